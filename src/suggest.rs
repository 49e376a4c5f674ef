//! "Did you mean": takes a misspelled name and the names that exist, gives
//! the closest one when it is close enough to be a likely typo.

/// Edit distance (insertions, deletions, substitutions), case-insensitive.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    // one row of the table at a time: `row[j]` is the distance between the
    // prefix of `a` read so far and the first `j` characters of `b`
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = i;
        let mut left = i + 1;
        let mut next = Vec::with_capacity(row.len());
        next.push(left);
        for (cb, above) in b.iter().zip(row.iter().skip(1)) {
            let d = (diagonal + usize::from(ca != cb))
                .min(above + 1)
                .min(left + 1);
            next.push(d);
            diagonal = *above;
            left = d;
        }
        row = next;
    }
    row.last().copied().unwrap_or(0)
}

/// The closest candidate within a third of the name's length (at least 2).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// `, did you mean `x`?` or nothing.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(name, candidates)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_not() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(
            closest("memroy_mb", ["memory_mb", "name"]),
            Some("memory_mb")
        );
        assert_eq!(closest("xyz", ["memory_mb"]), None);
        assert_eq!(
            closest("use64bitmmio", ["use64bitMMIO"]),
            Some("use64bitMMIO")
        );
    }
}
