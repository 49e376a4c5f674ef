//! Before pest: takes a rule file's text, gives the byte ranges of its
//! `rule` blocks (so that each broken rule is reported on its own) and
//! refuses nesting deep enough to overflow pest's recursive descent.

use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::source::{FileId, Span};

/// Deepest bracket nesting and longest run of prefix operators accepted.
pub const MAX_NESTING: usize = 64;

/// A byte range of the rule file.
type Range = (usize, usize);

/// Byte ranges of the top-level `rule` blocks, and the first stretch of
/// text that stands outside any rule.
pub fn split(text: &str) -> (Vec<Range>, Option<Range>) {
    let bytes = text.as_bytes();
    let mut starts = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    // a slug such as `my-rule` holds the word too: `-` joins words
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let at = |k: usize| bytes.get(k).copied().unwrap_or(0);
    let before = |k: usize| k.checked_sub(1).map_or(0, at);
    while let Some(&b) = bytes.get(i) {
        match b {
            b'#' => {
                while i < bytes.len() && at(i) != b'\n' {
                    i += 1;
                }
            }
            b'"' => i = skip_string(bytes, i),
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b'r' | b'd'
                if depth == 0
                    && (text
                        .get(i..)
                        .is_some_and(|t| t.starts_with("rule") || t.starts_with("def")))
                    && (i == 0 || !ident(before(i)))
                    && !bytes
                        .get(i + if b == b'r' { 4 } else { 3 })
                        .is_some_and(|b| ident(*b)) =>
            {
                starts.push(i);
            }
            _ => {}
        }
        i += 1;
    }
    let first = starts.first().copied().unwrap_or(text.len());
    let stray =
        first_code(text, 0, first).map(|s| (s, first.min(s + text[s..first].trim_end().len())));
    let mut chunks = Vec::new();
    for (k, s) in starts.iter().enumerate() {
        chunks.push((*s, starts.get(k + 1).copied().unwrap_or(text.len())));
    }
    (chunks, stray)
}

/// Index just before the end of the string literal starting at `i`.
fn skip_string(bytes: &[u8], i: usize) -> usize {
    let from = |k: usize| bytes.get(k..).unwrap_or(&[]);
    if from(i).starts_with(b"\"\"\"") {
        let mut j = i + 3;
        while j < bytes.len() && !from(j).starts_with(b"\"\"\"") {
            j += 1;
        }
        return (j + 2).min(bytes.len());
    }
    let mut j = i + 1;
    while let Some(&c) = bytes.get(j) {
        if c == b'"' || c == b'\n' {
            break;
        }
        if c == b'\\' {
            j += 1;
        }
        j += 1;
    }
    j.min(bytes.len())
}

/// The first byte of `text[from..to]` that is not blank or a comment.
fn first_code(text: &str, from: usize, to: usize) -> Option<usize> {
    let mut off = from;
    for line in text[from..to].split_inclusive('\n') {
        let t = line.trim_start();
        if !t.is_empty() && !t.starts_with('#') {
            return Some(off + line.len() - t.len());
        }
        off += line.len();
    }
    None
}

/// Refuses a rule nested deeper than [`MAX_NESTING`] (brackets, or prefix
/// operators in a row) before pest, which recurses, sees it.
pub fn too_deep(file: FileId, chunk: &str, base: usize) -> Option<Diagnostic> {
    let bytes = chunk.as_bytes();
    // a slug such as `my-rule` holds the word too: `-` joins words
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let mut depth = 0usize;
    let mut prefix_run = 0usize;
    let mut i = 0;
    let at = |k: usize| bytes.get(k).copied().unwrap_or(0);
    while let Some(&b) = bytes.get(i) {
        let mut is_prefix = false;
        match b {
            b'#' => {
                while i < bytes.len() && at(i) != b'\n' {
                    i += 1;
                }
            }
            b'"' => i = skip_string(bytes, i),
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'-' => is_prefix = true,
            b'n' if chunk.get(i..).is_some_and(|t| t.starts_with("not"))
                && (i == 0 || !ident(i.checked_sub(1).map_or(0, at)))
                && !bytes.get(i + 3).is_some_and(|c| ident(*c)) =>
            {
                is_prefix = true;
                i += 2;
            }
            _ => {}
        }
        if is_prefix {
            prefix_run += 1;
        } else if !b.is_ascii_whitespace() && b != b'(' {
            prefix_run = 0;
        }
        if depth > MAX_NESTING || prefix_run > MAX_NESTING {
            let at = base + i.min(bytes.len().saturating_sub(1));
            return Some(
                Diagnostic::new(
                    codes::RULE_SYNTAX,
                    Severity::Error,
                    Span::new(file, at, at + 1),
                    format!("expression nested deeper than {MAX_NESTING} levels"),
                )
                .with_label("too deep here")
                .with_help("split the expression with `let`"),
            );
        }
        i += 1;
    }
    None
}
