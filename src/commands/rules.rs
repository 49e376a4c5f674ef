//! `vmlint rules`: every rule with its code, name, severity and summary,
//! then the engine's own VL codes.

use super::{ExitStatus, emit, setup};
use crate::cli::RuleArgs;
use crate::diagnostic::codes::ENGINE;
use crate::source::SourceMap;
use std::fmt::Write;

pub fn run(args: &RuleArgs) -> ExitStatus {
    let sources = SourceMap::new();
    let (_, rules) = match setup(&sources, args) {
        Ok(x) => x,
        Err(s) => return s,
    };
    let mut out = String::new();
    for c in &rules {
        let _ = writeln!(
            out,
            "{:<7} {:<40} {:<8} {}",
            c.rule.code.text,
            c.rule.slug.text,
            c.severity,
            crate::eval::summary(c)
        );
    }
    for (code, name, sev, summary) in ENGINE {
        let _ = writeln!(out, "{code:<7} {name:<40} {sev:<8} {summary}");
    }
    emit(&out);
    ExitStatus::Clean
}
