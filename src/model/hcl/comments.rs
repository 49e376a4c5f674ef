//! The comments of an HCL file (`#`, `//`, `/* */`), for suppressions and
//! `# expect:`, found by a scan that skips strings and heredocs.

use crate::directives::CommentToken;
use crate::source::{FileId, Span};

/// The comments of an HCL file: `#` and `//` to the end of the line,
/// `/* */` blocks; strings (with their `${ }` holes) and heredocs skipped.
pub fn comments(file: FileId, text: &str) -> Vec<CommentToken> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line_has_code = false;
    while let Some(&c) = b.get(i) {
        match c {
            b'\n' => {
                line_has_code = false;
                i += 1;
            }
            b'#' | b'/' if c == b'#' || b.get(i + 1) == Some(&b'/') => {
                let end = text
                    .get(i..)
                    .and_then(|t| t.find('\n'))
                    .map_or(text.len(), |n| i + n);
                let end = if text.get(..end).is_some_and(|t| t.ends_with('\r')) {
                    end - 1
                } else {
                    end
                };
                out.push(CommentToken {
                    span: Span::new(file, i, end),
                    trailing: line_has_code,
                });
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = text
                    .get(i + 2..)
                    .and_then(|t| t.find("*/"))
                    .map_or(text.len(), |n| i + 2 + n + 2);
                out.push(CommentToken {
                    span: Span::new(file, i, end),
                    trailing: line_has_code,
                });
                i = end;
            }
            b'"' => {
                i = skip_string(b, i + 1);
                line_has_code = true;
            }
            b'<' if b.get(i + 1) == Some(&b'<') => {
                i = skip_heredoc(text, i);
                line_has_code = true;
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                line_has_code = true;
                i += 1;
            }
        }
    }
    out
}

/// Past the closing quote of a string that opened before `i`; `${ }` holes
/// may hold strings of their own, which hold holes: a stack of how many
/// holes each open string has open, kept without recursion.
fn skip_string(b: &[u8], mut i: usize) -> usize {
    let mut strings: Vec<usize> = vec![0];
    while let Some(&c) = b.get(i) {
        let Some(holes) = strings.last_mut() else {
            return i;
        };
        match c {
            b'\\' => i += 2,
            b'$' | b'%' if b.get(i + 1) == Some(&b'{') => {
                *holes += 1;
                i += 2;
            }
            b'}' if *holes > 0 => {
                *holes -= 1;
                i += 1;
            }
            // a string inside a hole
            b'"' if *holes > 0 => {
                strings.push(0);
                i += 1;
            }
            b'"' | b'\n' => {
                strings.pop();
                i += 1;
                if strings.is_empty() {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    i
}

/// Past the end line of a heredoc `<<EOF` / `<<-EOF` that starts at `i`.
fn skip_heredoc(text: &str, i: usize) -> usize {
    let rest = text.get(i + 2..).unwrap_or("");
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let tag: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let Some(nl) = text.get(i..).and_then(|t| t.find('\n')) else {
        return text.len();
    };
    if tag.is_empty() {
        return i + 2;
    }
    let mut at = i + nl + 1;
    for line in text.get(at..).unwrap_or("").split_inclusive('\n') {
        at += line.len();
        if line.trim() == tag {
            return at;
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_skip_strings_and_heredocs() {
        let text = "a = \"# not\" # yes\n// two\nb = <<EOT\n# not either\nEOT\n/* three */ c = \"${x} // no\"\n";
        let found: Vec<&str> = comments(FileId(0), text)
            .iter()
            .filter_map(|c| text.get(c.span.range()))
            .collect();
        assert_eq!(found, ["# yes", "// two", "/* three */"]);
        // strings in holes in strings, deeper than any stack would take
        let deep = format!(
            "a = {}x{} # after\n",
            "\"${".repeat(200_000),
            "}\"".repeat(200_000)
        );
        let c = comments(FileId(0), &deep);
        assert_eq!(c.len(), 1);
    }
}
