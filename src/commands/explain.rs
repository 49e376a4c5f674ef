//! `vmlint explain CODE`: a rule's documentation, from its rule file.

use super::{ExitStatus, emit, setup};
use crate::cli::RuleArgs;
use crate::diagnostic::codes::ENGINE;
use crate::lang::ast::Target;
use crate::source::SourceMap;
use crate::suggest;
use std::fmt::Write;

pub fn run(code: &str, args: &RuleArgs) -> ExitStatus {
    let sources = SourceMap::new();
    let (_, rules) = match setup(&sources, args, &crate::paths::cwd()) {
        Ok(x) => x,
        Err(s) => return s,
    };
    let code_up = code.to_ascii_uppercase();
    if let Some(out) = describe(&code_up, &rules) {
        emit(&out);
        return ExitStatus::Clean;
    }
    let known = crate::ruleset::known_codes(&rules);
    eprintln!(
        "vmlint: no rule has the code `{code}`{}",
        suggest::did_you_mean(&code_up, known)
    );
    ExitStatus::Error
}

/// The documentation of a code of the built-in pack or the engine (for
/// hover in `vmlint server`).
pub fn text(code: &str) -> Option<String> {
    let sources = SourceMap::new();
    let cfg = crate::config::Config::default_in(crate::paths::cwd());
    let rules = crate::ruleset::load_rules(&sources, true, &[], &cfg).ok()?;
    describe(&code.to_ascii_uppercase(), &rules)
}

/// What `explain` prints for an upper-cased code.
fn describe(code_up: &str, rules: &[crate::eval::CompiledRule]) -> Option<String> {
    let mut out = String::new();
    if let Some(c) = rules.iter().find(|c| c.rule.code.text == code_up) {
        let r = &c.rule;
        let on = match r.target {
            Target::Host => "hosts",
            _ => "VMs",
        };
        let _ = writeln!(
            out,
            "{} {} ({}, checks {on})\n",
            r.code.text, r.slug.text, c.severity
        );
        let _ = writeln!(out, "{}\n", crate::eval::summary(c));
        if let Some(d) = &r.docs {
            let _ = writeln!(out, "{d}\n");
        }
        // docs written in sections carry their own "How to fix"
        let fixed_in_docs = r.docs.as_ref().is_some_and(|d| d.contains("How to fix"));
        if let (Some(h), false) = (c.help(), fixed_in_docs) {
            let _ = writeln!(out, "How to fix: {h}\n");
        }
        if !r.params.is_empty() {
            let _ = writeln!(
                out,
                "Parameters (override in .vmlint.yaml under `params: {{ {}: {{ ... }} }}`):",
                r.code.text
            );
            for (p, (_, v)) in r.params.iter().zip(&c.params) {
                if v.is_null() {
                    let _ = writeln!(out, "  {} (not set)", p.name.text);
                } else {
                    let _ = writeln!(out, "  {} = {v}", p.name.text);
                }
            }
            out.push('\n');
        }
        if let Some(u) = c.url() {
            let _ = writeln!(out, "Reference: {u}");
        }
        return Some(out);
    }
    ENGINE.iter().find(|e| e.code == code_up).map(|e| {
        format!(
            "{} {} ({}, engine)\n\n{}\n\n{}\n",
            e.code, e.name, e.severity, e.summary, e.docs
        )
    })
}
