//! `compact`: `path:line:col: severity[CODE] message`, one line each, the
//! format editors and problem matchers read.

use super::locate;
use crate::diagnostic::Diagnostic;
use crate::source::SourceMap;

/// Writes one line per finding, as it goes.
pub fn write(
    diags: &[Diagnostic],
    sources: &SourceMap,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    for d in diags {
        let l = locate(d, sources);
        let msg = d.message.replace('\n', " ");
        writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            l.path, l.line, l.column, d.severity, d.code, msg
        )?;
    }
    Ok(())
}
