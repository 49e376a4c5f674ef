//! Inline suppressions: takes a file's text, gives its
//! `# vmlint: ignore CODE[,CODE] -- reason` comments and the line each one
//! covers (the next line for a comment on its own line, the same line for
//! a comment at the end of a line). Suppressions that suppress nothing
//! become VL006.

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
            .map(str::to_string)
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

/// Drops the diagnostics a suppression covers and reports the suppressions
/// that covered nothing (VL006).
pub fn apply(
    diags: Vec<Diagnostic>,
    mut sups: HashMap<FileId, Vec<Suppression>>,
    sources: &SourceMap,
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
    for s in sups.into_values().flatten().filter(|s| !s.used) {
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
