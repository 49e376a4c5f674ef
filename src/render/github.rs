//! `github`: GitHub Actions workflow commands, one annotation per line:
//! `::error file=F,line=L,col=C,endLine=..,endColumn=..,title=CODE::message`.

use super::locate;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceMap;
use std::fmt::Write;

/// Escapes for the data part of a workflow command.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes for a property value (also `:` and `,`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = String::new();
    for d in diags {
        let l = locate(d, sources);
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let path = l.path.strip_prefix("./").unwrap_or(&l.path);
        let _ = writeln!(
            out,
            "::{kind} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            property(path),
            l.line,
            l.column,
            l.end_line,
            l.end_column,
            property(&format!("vmlint {}", d.code)),
            data(&d.message)
        );
    }
    out
}
