//! ESXi release versions: takes `7.0.3`, `8.0 U2`, `8.0U1`, `7.0.3c`, gives
//! an ordered (major, minor, update) value. Not semver: an update letter or
//! `U` is not a pre-release.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    pub parts: [u32; 3],
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.parts[0], self.parts[1], self.parts[2])
    }
}

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        let t = text.trim();
        let t = t.strip_prefix("ESXi").unwrap_or(t).trim();
        let (main, update) = match t.find(['U', 'u']) {
            Some(i) => (t.get(..i)?.trim(), Some(t.get(i + 1..)?.trim())),
            None => (t, None),
        };
        let mut parts = [0u32; 3];
        let mut n = 0;
        for (i, piece) in main.split('.').enumerate() {
            if i >= 3 {
                return None;
            }
            let digits: String = piece.chars().take_while(|c| c.is_ascii_digit()).collect();
            let rest = &piece[digits.len()..];
            // a patch letter (`7.0.3c`) is allowed on the last field only
            if digits.is_empty()
                || !(rest.is_empty()
                    || (rest.len() == 1 && rest.chars().all(|c| c.is_ascii_lowercase())))
            {
                return None;
            }
            parts[i] = digits.parse().ok()?;
            n = i + 1;
        }
        if n < 1 {
            return None;
        }
        if let Some(u) = update {
            let digits: String = u.chars().take_while(|c| c.is_ascii_digit()).collect();
            if n > 2 || digits.is_empty() {
                return None;
            }
            parts[2] = digits.parse().ok()?;
        }
        Some(Version { parts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_compare_in_release_order() {
        let v = |s| Version::parse(s).unwrap();
        assert_eq!(v("8.0 U2"), v("8.0.2"));
        assert_eq!(v("8.0U1"), v("8.0.1"));
        assert!(v("7.0.3c") == v("7.0.3"));
        assert!(v("7.0.2") < v("7.0.3"));
        assert!(v("8.0") < v("8.0.1"));
        assert!(v("6.7.0") < v("7"));
        assert_eq!(Version::parse("vmx-19"), None);
        assert_eq!(Version::parse(""), None);
    }
}
