//! `junit`: JUnit XML for CI dashboards: one test suite per file with
//! findings, one failing test case per finding.

use super::locate;
use crate::diagnostic::Diagnostic;
use crate::source::SourceMap;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Text escaped for XML attributes and content.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

pub fn render(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut by_file: BTreeMap<String, Vec<(&Diagnostic, super::Location)>> = BTreeMap::new();
    for d in diags {
        let l = locate(d, sources);
        by_file.entry(l.path.clone()).or_default().push((d, l));
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"vmlint\" tests=\"{}\" failures=\"{}\">",
        diags.len().max(1),
        diags.len()
    );
    if diags.is_empty() {
        out.push_str("  <testsuite name=\"vmlint\" tests=\"1\" failures=\"0\">\n    <testcase name=\"no findings\" classname=\"vmlint\"/>\n  </testsuite>\n");
    }
    for (path, items) in &by_file {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">",
            escape(path),
            items.len(),
            items.len()
        );
        for (d, l) in items {
            let _ = writeln!(
                out,
                "    <testcase name=\"{}:{}:{} {}\" classname=\"{}\" file=\"{}\" line=\"{}\">",
                escape(path),
                l.line,
                l.column,
                escape(&d.code),
                escape(path),
                escape(path),
                l.line
            );
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}\">{} at {}:{}:{}{}</failure>",
                escape(&d.code),
                escape(&d.message),
                escape(&d.severity.to_string()),
                escape(path),
                l.line,
                l.column,
                d.help()
                    .map(|h| format!("\nhelp: {}", escape(h)))
                    .unwrap_or_default()
            );
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
