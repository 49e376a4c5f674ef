//! Comment directives, read from the real comment tokens a loader found
//! (so a `#` inside a quoted YAML string is no comment): takes the tokens
//! and the file's text, gives the `# vmlint: ignore CODE[,CODE] -- reason`
//! suppressions, the `# vmlint: host=NAME` (or `cluster=NAME`) placement
//! and the `# expect: CODE` expectations of fixtures, each with the line it
//! covers: its own line for a comment that ends a line, else the next line
//! that holds more than comments.

use crate::model::Spanned;
use crate::source::{FileId, Span};

/// A comment as a loader found it: `span` starts at its `#`.
#[derive(Clone, Copy, Debug)]
pub struct CommentToken {
    pub span: Span,
    /// Code stands before it on its line (`key: value # comment`).
    pub trailing: bool,
}

/// `# vmlint: ignore ...`: the codes it names, and the line it covers.
#[derive(Clone, Debug)]
pub struct Suppression {
    pub span: Span,
    /// 1-based line the suppression covers.
    pub line: usize,
    pub codes: Vec<String>,
    pub used: bool,
}

/// `# expect: CODE`: a finding the fixture expects on the line it covers.
#[derive(Clone, Debug)]
pub struct Expectation {
    pub span: Span,
    pub line: usize,
    pub code: String,
}

/// One directive, from the text of one comment (after its `#`).
#[derive(Debug, PartialEq, Eq)]
pub enum Directive<'t> {
    /// Upper-cased codes; `--` and what follows is the reason.
    Ignore(Vec<String>),
    /// `host=NAME` (false) or `cluster=NAME` (true), and where the name is
    /// in the comment's text.
    Place(bool, usize, &'t str),
    Expect(Vec<String>),
}

/// Reads the directive a comment's text holds, if any.
pub fn parse(body: &str) -> Option<Directive<'_>> {
    let t = body.trim_start();
    if let Some(rest) = t.strip_prefix("expect:") {
        return Some(Directive::Expect(codes(rest)));
    }
    let rest = t.strip_prefix("vmlint:")?.trim_start();
    if let Some(list) = rest.strip_prefix("ignore") {
        return Some(Directive::Ignore(codes(list)));
    }
    let (cluster, tail) = match rest.strip_prefix("host=") {
        Some(n) => (false, n),
        None => (true, rest.strip_prefix("cluster=")?),
    };
    let name = tail.split_whitespace().next()?;
    // every step above only removed a prefix, so `tail` ends the text
    Some(Directive::Place(cluster, body.len() - tail.len(), name))
}

/// `PT006, pt007 -- why`: the codes, upper-cased, without the reason.
fn codes(list: &str) -> Vec<String> {
    let list = list.split("--").next().unwrap_or("");
    list.split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_ascii_uppercase)
        .collect()
}

/// The text of a comment without its markers (`#`, `//`, `/* */`,
/// `<!-- -->`), and how long the opening marker is.
fn comment_body(t: &str) -> Option<(usize, &str)> {
    if let Some(b) = t.strip_prefix('#') {
        return Some((1, b));
    }
    if let Some(b) = t.strip_prefix("//") {
        return Some((2, b));
    }
    if let Some(b) = t.strip_prefix("/*") {
        return Some((2, b.strip_suffix("*/").unwrap_or(b)));
    }
    let b = t.strip_prefix("<!--")?;
    Some((4, b.strip_suffix("-->").unwrap_or(b)))
}

/// Everything the comments of one file direct.
#[derive(Debug, Default)]
pub struct Directives {
    pub suppressions: Vec<Suppression>,
    pub expectations: Vec<Expectation>,
    /// The last placement comment: (is a cluster, the name).
    pub placement: Option<(bool, Spanned<String>)>,
}

/// Whether a text may hold a directive: one is a comment that starts
/// with `vmlint:` or `expect:`.
pub fn may_hold(text: &str) -> bool {
    let t = text.as_bytes();
    memchr::memmem::find(t, b"vmlint:").is_some() || memchr::memmem::find(t, b"expect:").is_some()
}

/// The directives of a file's comments. `text` is the file's text, from
/// which the lines the comments cover are found.
pub fn read(file: FileId, text: &str, comments: &[CommentToken]) -> Directives {
    let mut out = Directives::default();
    // only comments can hold directives
    let said = |needle: &str| {
        comments.iter().any(|c| {
            text.get(c.span.start as usize..c.span.end as usize)
                .is_some_and(|t| t.contains(needle))
        })
    };
    if !said("vmlint:") && !said("expect:") {
        return out;
    }
    // lines are counted only for a suppression or an expectation (a
    // placement, in nearly every file of an estate, needs none)
    let starts = std::cell::OnceCell::new();
    let starts = || -> &Vec<usize> {
        starts.get_or_init(|| {
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        })
    };
    let line_of = |offset: usize| match starts().binary_search(&offset) {
        Ok(i) => i,
        Err(i) => i.saturating_sub(1),
    };
    // lines that hold nothing but a comment are skipped when finding the
    // line an own-line comment covers
    let comment_only = std::cell::OnceCell::new();
    let comment_only = || -> &std::collections::HashSet<usize> {
        comment_only.get_or_init(|| {
            comments
                .iter()
                .filter(|c| !c.trailing)
                .map(|c| line_of(c.span.start as usize))
                .collect()
        })
    };
    let blank = |i: usize| {
        let s = starts().get(i).copied().unwrap_or(text.len());
        let e = starts().get(i + 1).copied().unwrap_or(text.len());
        text.get(s..e).is_none_or(|l| l.trim().is_empty())
    };
    let covered = |c: &CommentToken| -> usize {
        let own = line_of(c.span.start as usize);
        if c.trailing {
            return own + 1;
        }
        let mut i = own + 1;
        while i < starts().len() && (comment_only().contains(&i) || blank(i)) {
            i += 1;
        }
        i + 1
    };
    for c in comments {
        let (s, e) = (c.span.start as usize, c.span.end as usize);
        let Some((lead, body)) = text.get(s..e).and_then(comment_body) else {
            continue;
        };
        match parse(body) {
            Some(Directive::Ignore(codes)) => out.suppressions.push(Suppression {
                span: c.span,
                line: covered(c),
                codes,
                used: false,
            }),
            Some(Directive::Expect(codes)) => {
                let line = covered(c);
                out.expectations
                    .extend(codes.into_iter().map(|code| Expectation {
                        span: c.span,
                        line,
                        code,
                    }))
            }
            Some(Directive::Place(cluster, at, name)) => {
                let from = s + lead + at;
                let span = Span::new(file, from, from + name.len());
                out.placement = Some((cluster, Spanned::new(name.to_string(), span)));
            }
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<CommentToken> {
        // `#` at the start of a line, or after `  ` (enough for these tests)
        let mut out = Vec::new();
        let mut off = 0;
        for line in text.split_inclusive('\n') {
            if let Some(i) = line.find('#') {
                let end = off + line.trim_end().len();
                out.push(CommentToken {
                    span: Span::new(FileId(0), off + i, end),
                    trailing: !line[..i].trim().is_empty(),
                });
            }
            off += line.len();
        }
        out
    }

    #[test]
    fn own_line_comments_cover_the_next_line_and_trailing_ones_their_own() {
        let text = "# vmlint: ignore PT006 -- migration window\n\n# another comment\nsnapshots: [a]\npower_state: suspended # vmlint: ignore pt007,PT008\n# expect: PT009 -- why\nmemory_mb: 1\n";
        let d = read(FileId(0), text, &tokens(text));
        let s: Vec<(usize, Vec<String>)> = d
            .suppressions
            .iter()
            .map(|s| (s.line, s.codes.clone()))
            .collect();
        assert_eq!(
            s,
            [
                (4, vec!["PT006".into()]),
                (5, vec!["PT007".into(), "PT008".into()])
            ]
        );
        let e: Vec<(usize, &str)> = d
            .expectations
            .iter()
            .map(|e| (e.line, e.code.as_str()))
            .collect();
        assert_eq!(e, [(7, "PT009")]);
    }

    #[test]
    fn placement_names_the_host_with_its_span() {
        let text = "# vmlint: host=esx-gpu-01 (rack 4)\nmemSize = \"4\"\n";
        let d = read(FileId(0), text, &tokens(text));
        let (cluster, name) = d.placement.unwrap();
        assert!(!cluster);
        assert_eq!(&text[name.span.range()], "esx-gpu-01");
    }

    #[test]
    fn text_that_is_not_a_comment_token_directs_nothing() {
        let text = "notes: \"see # vmlint: ignore PT001\"\n";
        assert!(read(FileId(0), text, &[]).suppressions.is_empty());
    }
}
