//! `vmlint test`: rule fixtures. A comment `# expect: CODE[, CODE]` says
//! that the next non-comment line carries the primary span of a finding
//! with that code. Every expectation must be met, and nothing else found.

use super::{ExitStatus, emit, setup};
use crate::cli::RuleArgs;
use crate::diagnostic::{Diagnostic, Severity};
use crate::engine::{self, Input};
use crate::render::{self, Format};
use crate::source::{FileId, FileKind, SourceMap, Span};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One `# expect:` code: where the comment is and the line it covers.
#[derive(Clone, Debug)]
pub struct Expectation {
    pub span: Span,
    pub line: usize,
    pub code: String,
}

pub fn expectations(file: FileId, text: &str) -> Vec<Expectation> {
    let mut out = Vec::new();
    let mut pending: Vec<Expectation> = Vec::new();
    let mut offset = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let t = line.trim_start();
        if t.is_empty() {
            continue;
        }
        if !t.starts_with('#') {
            for mut p in pending.drain(..) {
                p.line = i + 1;
                out.push(p);
            }
            continue;
        }
        let Some(codes) = t
            .trim_start_matches('#')
            .trim_start()
            .strip_prefix("expect:")
        else {
            continue;
        };
        let at = start + (line.len() - t.len());
        for code in codes.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            pending.push(Expectation {
                span: Span::new(file, at, start + line.len()),
                line: 0,
                code: code.to_string(),
            });
        }
    }
    out
}

/// The result of checking fixtures: what was expected and not found, and
/// what was found and not expected.
pub struct Verdict {
    pub expected: usize,
    pub missing: Vec<Diagnostic>,
    pub unexpected: Vec<Diagnostic>,
}

pub fn verdict(sources: &SourceMap, found: &[Diagnostic]) -> Verdict {
    let mut want: BTreeMap<(FileId, usize, String), Vec<Expectation>> = BTreeMap::new();
    let mut expected = 0;
    for i in 0..sources.len() {
        let id = FileId(u32::try_from(i).unwrap_or(u32::MAX));
        let f = sources.get(id);
        if !matches!(f.kind, FileKind::Vmx | FileKind::Vmsd | FileKind::Yaml) {
            continue;
        }
        for e in expectations(id, &f.text) {
            expected += 1;
            want.entry((id, e.line, e.code.clone()))
                .or_default()
                .push(e);
        }
    }
    let mut unexpected = Vec::new();
    for d in found {
        let f = sources.get(d.primary.span.file);
        let (line, _) = f.line_col(f.clamp(d.primary.span).start);
        let key = (d.primary.span.file, line, d.code.clone());
        match want.get_mut(&key).and_then(Vec::pop) {
            Some(_) => {}
            None => unexpected.push(d.clone()),
        }
    }
    let missing = want
        .into_values()
        .flatten()
        .map(|e| {
            Diagnostic::new(
                e.code.clone(),
                Severity::Error,
                e.span,
                format!(
                    "expected {} on line {}, but it was not reported",
                    e.code, e.line
                ),
            )
            .with_label("this expectation was not met")
        })
        .collect();
    Verdict {
        expected,
        missing,
        unexpected,
    }
}

pub fn run(paths: &[PathBuf], args: &RuleArgs) -> ExitStatus {
    // texts stay loaded: every fixture's `# expect:` comments are read
    let sources = SourceMap::new();
    let (cfg, rules) = match setup(&sources, args) {
        Ok(x) => x,
        Err(s) => return s,
    };
    let outcome = engine::run(
        &sources,
        &cfg,
        &rules,
        Input::Paths(paths.to_vec()),
        &engine::Quiet,
    );
    let v = verdict(&sources, &outcome.diagnostics);
    let opts = super::stderr_options();
    let mut out = String::new();
    if !v.missing.is_empty() {
        out.push_str("missing (expected, not reported):\n\n");
        out.push_str(&render::render(Format::Human, &v.missing, &sources, &opts));
    }
    if !v.unexpected.is_empty() {
        out.push_str("unexpected (reported, not expected):\n\n");
        out.push_str(&render::render(
            Format::Human,
            &v.unexpected,
            &sources,
            &opts,
        ));
    }
    let failed = v.missing.len() + v.unexpected.len();
    let passed = v.expected - v.missing.len();
    out.push_str(&format!(
        "{} fixture files: {passed} passed, {failed} failed\n",
        outcome.files_checked
    ));
    emit(&out);
    if failed == 0 {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    }
}
