//! `vmlint rules`: every rule with its code, name, severity and summary,
//! then the engine's own VL codes, as a table or as JSON.

use super::{ExitStatus, emit, setup};
use crate::cli::{ListFormat, RuleArgs};
use crate::diagnostic::codes::ENGINE;
use crate::source::SourceMap;
use std::fmt::Write;

/// One row of the listing.
struct Row {
    code: String,
    name: String,
    severity: String,
    summary: String,
    url: Option<String>,
    engine: bool,
}

pub fn run(format: ListFormat, args: &RuleArgs) -> ExitStatus {
    let sources = SourceMap::new();
    let (_, rules) = match setup(&sources, args, &crate::paths::cwd()) {
        Ok(x) => x,
        Err(s) => return s,
    };
    let mut rows: Vec<Row> = rules
        .iter()
        .map(|c| Row {
            code: c.rule.code.text.clone(),
            name: c.rule.slug.text.clone(),
            severity: c.severity.to_string(),
            summary: if c.rule.opt_in {
                format!(
                    "{} (opt-in: select {} to run it)",
                    crate::eval::summary(c),
                    c.rule.code.text
                )
            } else {
                crate::eval::summary(c)
            },
            url: c.url().map(str::to_string),
            engine: false,
        })
        .collect();
    rows.extend(ENGINE.iter().map(|e| Row {
        code: e.code.to_string(),
        name: e.name.to_string(),
        severity: e.severity.to_string(),
        summary: e.summary.to_string(),
        url: None,
        engine: true,
    }));
    let out = match format {
        ListFormat::Text => {
            let mut out = String::new();
            for r in &rows {
                let _ = writeln!(
                    out,
                    "{:<7} {:<40} {:<8} {}",
                    r.code, r.name, r.severity, r.summary
                );
            }
            out
        }
        ListFormat::Json => {
            let list: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "code": r.code,
                        "name": r.name,
                        "severity": r.severity,
                        "summary": r.summary,
                        "url": r.url,
                        "kind": if r.engine { "engine" } else { "rule" },
                    })
                })
                .collect();
            serde_json::to_string_pretty(&list).unwrap_or_default() + "\n"
        }
    };
    emit(&out);
    ExitStatus::Clean
}
