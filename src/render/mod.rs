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

/// Writes `doc` as pretty JSON, with the array of `items` where `doc`
/// holds the string `slot` (as the value of `key`, or as the whole
/// document): each item is serialized as it comes and written, so a large
/// report is never one tree of values nor one text in memory (the bytes
/// are those of the whole tree printed). The key is part of what is looked
/// for, so a rule's text that happens to equal `slot` is never taken for it
/// (a quote inside a string is always escaped).
pub fn write_pretty_with_array(
    doc: &serde_json::Value,
    key: Option<&str>,
    slot: &str,
    items: impl Iterator<Item = serde_json::Value>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(doc).unwrap_or_default();
    let marker = format!("\"{slot}\"");
    let found = match key {
        Some(k) => {
            let pair = format!("\"{k}\": {marker}");
            text.find(&pair).map(|at| at + pair.len() - marker.len())
        }
        None => (text == marker).then_some(0),
    };
    let Some(at) = found else {
        return writeln!(out, "{text}");
    };
    let (head, tail) = text.split_at(at);
    let tail = tail.get(marker.len()..).unwrap_or("");
    let line_start = head.rfind('\n').map_or(0, |i| i + 1);
    let indent = head
        .get(line_start..)
        .map_or(0, |l| l.len() - l.trim_start().len());
    let inner = format!("\n{}", " ".repeat(indent + 2));
    out.write_all(head.as_bytes())?;
    out.write_all(b"[")?;
    let mut any = false;
    for item in items {
        if any {
            out.write_all(b",")?;
        }
        any = true;
        out.write_all(inner.as_bytes())?;
        let one = serde_json::to_string_pretty(&item).unwrap_or_default();
        out.write_all(one.replace('\n', &inner).as_bytes())?;
    }
    if any {
        write!(out, "\n{}", " ".repeat(indent))?;
    }
    out.write_all(b"]")?;
    out.write_all(tail.as_bytes())?;
    out.write_all(b"\n")
}

/// Writes one format to `out`: the JSON reports as they are made, the
/// others as their text.
pub fn write(
    format: Format,
    diags: &[Diagnostic],
    sources: &SourceMap,
    opts: &Options,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => json::write(diags, sources, out),
        Format::Sarif => sarif::write(diags, sources, out),
        Format::Gitlab => gitlab::write(diags, sources, out),
        Format::Compact => compact::write(diags, sources, out),
        _ => out.write_all(render(format, diags, sources, opts).as_bytes()),
    }
}

/// What a writer wrote, as text.
fn written(f: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> String {
    let mut buf = Vec::new();
    let _ = f(&mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

pub fn render(format: Format, diags: &[Diagnostic], sources: &SourceMap, opts: &Options) -> String {
    match format {
        Format::Human => human::render(diags, sources, opts),
        Format::Compact => written(|w| compact::write(diags, sources, w)),
        Format::Json => written(|w| json::write(diags, sources, w)),
        Format::Sarif => written(|w| sarif::write(diags, sources, w)),
        Format::Github => github::render(diags, sources),
        Format::Junit => junit::render(diags, sources),
        Format::Gitlab => written(|w| gitlab::write(diags, sources, w)),
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
            // a text before the slot that equals it (a rule's name) stays as it is
            let whole = json!({ "v": 1, "runs": [{ "name": "@slot@", "results": some }] });
            let slotted = json!({ "v": 1, "runs": [{ "name": "@slot@", "results": "@slot@" }] });
            let want = serde_json::to_string_pretty(&whole).unwrap() + "\n";
            let got = super::written(|w| {
                super::write_pretty_with_array(
                    &slotted,
                    Some("results"),
                    "@slot@",
                    some.into_iter(),
                    w,
                )
            });
            assert_eq!(got, want, "{n} items");
        }
        // at the top level
        let want = serde_json::to_string_pretty(&items).unwrap() + "\n";
        let got = super::written(|w| {
            super::write_pretty_with_array(&json!("@s@"), None, "@s@", items.into_iter(), w)
        });
        assert_eq!(got, want);
    }
}
