//! `compact`: `path:line:col: severity[CODE] message`, one line each, the
//! format editors and problem matchers read.

use super::locate;
use crate::diagnostic::Diagnostic;
use crate::source::SourceMap;
use std::fmt::Write;

pub fn render(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = String::new();
    for d in diags {
        let l = locate(d, sources);
        let msg = d.message.replace('\n', " ");
        let _ = writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            l.path, l.line, l.column, d.severity, d.code, msg
        );
    }
    out
}
