//! `gitlab`: GitLab Code Quality report (a JSON array of issues, each with
//! a fingerprint, a severity and the file's line).

use super::locate;
use crate::baseline::fingerprint;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceMap;
use serde_json::{Value, json};

pub fn write(
    diags: &[Diagnostic],
    sources: &SourceMap,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let issues = diags.iter().map(|d| {
        let l = locate(d, sources);
        let path = l.path.strip_prefix("./").unwrap_or(&l.path).to_string();
        json!({
            "description": format!("[{}] {}", d.code, d.message),
            "check_name": &*d.code,
            "fingerprint": fingerprint(d, sources),
            "severity": match d.severity {
                Severity::Error => "major",
                Severity::Warning => "minor",
                Severity::Info => "info",
            },
            "location": {
                "path": path,
                "positions": {
                    "begin": { "line": l.line, "column": l.column },
                    "end": { "line": l.end_line, "column": l.end_column },
                }
            },
        })
    });
    const SLOT: &str = "@vmlint:issues@";
    super::write_pretty_with_array(&Value::String(SLOT.to_string()), None, SLOT, issues, out)
}
