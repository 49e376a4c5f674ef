//! Inline suppressions: takes a file's text, gives its
//! `# vmlint: ignore CODE[,CODE] -- reason` comments and the line each one
//! covers (the next line for a comment on its own line, the same line for
//! a comment at the end of a line). Suppressions that suppress nothing,
//! where their rules ran over everything they need, become VL006; codes
//! that no rule has, VL007.

use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::source::{FileId, SourceMap, Span};
use std::collections::HashMap;

#[derive(Clone, Debug)]
pub struct Suppression {
    pub span: Span,
    /// 1-based line the suppression covers.
    pub line: usize,
    pub codes: Vec<String>,
    pub used: bool,
}

/// Every suppression comment of a text.
pub fn scan(file: FileId, text: &str) -> Vec<Suppression> {
    if !text.contains("vmlint:") {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut pending: Vec<Suppression> = Vec::new();
    let mut offset = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim_start();
        let own_line = trimmed.starts_with('#');
        if !trimmed.is_empty() && !own_line {
            for mut p in pending.drain(..) {
                p.line = i + 1;
                out.push(p);
            }
        }
        // a `#` starts the comment; `vmlint: ignore` must follow it
        let Some((hash, list)) = line.match_indices('#').find_map(|(i, _)| {
            let rest = line.get(i + 1..)?.trim_start().strip_prefix("vmlint:")?;
            Some((i, rest.trim_start().strip_prefix("ignore")?))
        }) else {
            continue;
        };
        let list = list.split("--").next().unwrap_or("");
        let codes: Vec<String> = list
            .split([',', ' '])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_ascii_uppercase)
            .collect();
        let span = Span::new(file, start + hash, start + line.len());
        let s = Suppression {
            span,
            line: i + 1,
            codes,
            used: false,
        };
        if own_line {
            pending.push(s)
        } else {
            out.push(s)
        }
    }
    out
}

/// Drops the diagnostics a suppression covers; reports the codes that no
/// rule has (VL007, from `known`), and the suppressions that covered
/// nothing although every code they name `ran_fully` there (VL006).
pub fn apply(
    diags: Vec<Diagnostic>,
    mut sups: HashMap<FileId, Vec<Suppression>>,
    sources: &SourceMap,
    known: &[&str],
    ran_fully: &dyn Fn(FileId, &str) -> bool,
) -> Vec<Diagnostic> {
    let mut kept = Vec::with_capacity(diags.len());
    for d in diags {
        let file = d.primary.span.file;
        let Some(list) = sups.get_mut(&file) else {
            kept.push(d);
            continue;
        };
        let (line, _) = sources.get(file).line_col(d.primary.span.start as usize);
        let hit = list
            .iter_mut()
            .find(|s| s.line == line && s.codes.iter().any(|c| d.code.starts_with(c.as_str())));
        match hit {
            Some(s) => s.used = true,
            None => kept.push(d),
        }
    }
    for s in sups.values().flatten() {
        for c in s
            .codes
            .iter()
            .filter(|c| !crate::config::is_known(c, known))
        {
            kept.push(
                Diagnostic::engine(
                    codes::UNKNOWN_CODE,
                    s.span,
                    format!(
                        "no rule has the code `{c}`{}",
                        crate::suggest::did_you_mean(c, known.iter().copied())
                    ),
                )
                .with_label("unknown code")
                .with_help("`vmlint rules` lists every code")
                .with_key(c.clone()),
            );
        }
    }
    let unused = sups.into_iter().flat_map(|(file, list)| {
        list.into_iter().filter(move |s| {
            !s.used
                && s.codes
                    .iter()
                    .all(|c| crate::config::is_known(c, known) && ran_fully(file, c))
        })
    });
    for s in unused {
        let what = if s.codes.is_empty() {
            "no code".to_string()
        } else {
            s.codes.join(", ")
        };
        kept.push(
            Diagnostic::new(codes::UNUSED_SUPPRESSION, Severity::Warning, s.span, format!("this suppression ({what}) suppresses nothing"))
                .with_label("unused suppression")
                .with_help("remove it, or fix the code it names; it applies to the next line, or to its own line when it ends one")
                .with_key(what),
        );
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_line_comments_cover_the_next_line_and_trailing_ones_their_own() {
        let text = "# vmlint: ignore PT006 -- migration window\n\nsnapshots: [a]\npower_state: suspended # vmlint: ignore PT007,PT008\n";
        let s = scan(FileId(0), text);
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].line, s[0].codes.clone()),
            (3, vec!["PT006".to_string()])
        );
        assert_eq!(
            (s[1].line, s[1].codes.clone()),
            (4, vec!["PT007".to_string(), "PT008".to_string()])
        );
    }
}
