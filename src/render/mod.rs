//! Renderers: each takes the sorted diagnostics and the source map and
//! writes one output format. They know nothing of rules or descriptors.

pub mod compact;
pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

use crate::diagnostic::Diagnostic;
use crate::source::SourceMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// rustc-like reports with source snippets
    Human,
    /// one line each: `path:line:col: severity[CODE] message`
    Compact,
    /// a JSON document with positions (line, column, byte offset) of every label
    Json,
    /// SARIF 2.1.0, for code scanning
    Sarif,
    /// GitHub Actions workflow annotations
    Github,
    /// JUnit XML
    Junit,
    /// GitLab Code Quality
    Gitlab,
}

/// Where a diagnostic starts, for the line-oriented formats.
pub struct Location {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

pub fn locate(d: &Diagnostic, sources: &SourceMap) -> Location {
    let ((line, column), (end_line, end_column)) = sources.position(d.primary.span);
    Location {
        path: sources.name(d.primary.span.file),
        line,
        column,
        end_line,
        end_column,
    }
}

pub struct Options {
    pub color: bool,
    pub width: usize,
}

/// `doc` as pretty JSON, with the array of `items` where `doc` holds the
/// string `slot`: each item is serialized as it comes, so a large report is
/// never one tree of values (the bytes are those of the whole tree).
pub fn pretty_with_array(
    doc: &serde_json::Value,
    slot: &str,
    items: impl Iterator<Item = serde_json::Value>,
) -> String {
    let text = serde_json::to_string_pretty(doc).unwrap_or_default();
    let marker = format!("\"{slot}\"");
    let Some(at) = text.find(&marker) else {
        return text + "\n";
    };
    let (head, tail) = text.split_at(at);
    let tail = tail.get(marker.len()..).unwrap_or("");
    let line_start = head.rfind('\n').map_or(0, |i| i + 1);
    let indent = head
        .get(line_start..)
        .map_or(0, |l| l.len() - l.trim_start().len());
    let inner = format!("\n{}", " ".repeat(indent + 2));
    let mut out = String::with_capacity(text.len());
    out.push_str(head);
    out.push('[');
    let mut any = false;
    for item in items {
        if any {
            out.push(',');
        }
        any = true;
        out.push_str(&inner);
        let one = serde_json::to_string_pretty(&item).unwrap_or_default();
        out.push_str(&one.replace('\n', &inner));
    }
    if any {
        out.push('\n');
        out.push_str(&" ".repeat(indent));
    }
    out.push(']');
    out.push_str(tail);
    out.push('\n');
    out
}

pub fn render(format: Format, diags: &[Diagnostic], sources: &SourceMap, opts: &Options) -> String {
    match format {
        Format::Human => human::render(diags, sources, opts),
        Format::Compact => compact::render(diags, sources),
        Format::Json => json::render(diags, sources),
        Format::Sarif => sarif::render(diags, sources),
        Format::Github => github::render(diags, sources),
        Format::Junit => junit::render(diags, sources),
        Format::Gitlab => gitlab::render(diags, sources),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn an_array_serialized_item_by_item_is_the_whole_tree_pretty_printed() {
        let items = vec![
            json!({ "a": 1, "b": [1, 2], "c": { "d": "x\ny" } }),
            json!({ "a": 2, "b": [], "c": {} }),
        ];
        for n in [0, 1, 2] {
            let some: Vec<_> = items.iter().take(n).cloned().collect();
            let whole = json!({ "v": 1, "runs": [{ "tool": "t", "results": some }] });
            let slotted = json!({ "v": 1, "runs": [{ "tool": "t", "results": "@slot@" }] });
            let want = serde_json::to_string_pretty(&whole).unwrap() + "\n";
            let got = super::pretty_with_array(&slotted, "@slot@", some.into_iter());
            assert_eq!(got, want, "{n} items");
        }
        // at the top level
        let want = serde_json::to_string_pretty(&items).unwrap() + "\n";
        let got = super::pretty_with_array(&json!("@s@"), "@s@", items.into_iter());
        assert_eq!(got, want);
    }
}
