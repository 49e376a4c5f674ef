//! `vmlint check --fix`, `--unsafe-fixes`, `--diff`, `--show-fixes`: apply
//! the rules' fixes, re-check, and again, until nothing changes (at most
//! `MAX_ROUNDS`). A file that a round made worse (more findings) is put
//! back as it was and reported: that is a bug of the rule's fix. Files are
//! written atomically, in their own charset and line ends.

use crate::diagnostic::{Diagnostic, Fix};
use crate::engine::Outcome;
use crate::ir::Applicability;
use crate::source::{FileId, FileKind, SourceMap};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

/// Rounds of fix and re-check before vmlint stops (a fix that keeps
/// producing fixes is a bug of its rule).
const MAX_ROUNDS: usize = 10;

pub struct Options {
    pub unsafe_ok: bool,
    /// Print a unified diff of what would change; write nothing.
    pub diff: bool,
    /// List each fix applied.
    pub show: bool,
}

/// What the rounds did.
#[derive(Default)]
pub struct Report {
    pub applied: usize,
    /// Unsafe fixes not applied without `--unsafe-fixes`.
    pub held_back: usize,
    /// `--diff`: the diffs, one per file.
    pub diffs: Vec<String>,
    pub lines: Vec<String>,
    pub errors: Vec<String>,
}

/// Whether a fix may be applied under `opts`.
fn allowed(fix: &Fix, opts: &Options) -> bool {
    match fix.applicability {
        Applicability::Safe => true,
        Applicability::Unsafe => opts.unsafe_ok,
        Applicability::Display => false,
    }
}

/// Fills in the text edits of every finding's fix, from its file's text.
pub fn compute_all(diags: &mut [Diagnostic], sources: &SourceMap) {
    for d in diags.iter_mut() {
        if let Some(fix) = d.fix.as_deref_mut() {
            let id = d.primary.span.file;
            let f = sources.get(id);
            crate::fix::compute(fix, id, &f.text);
        }
    }
}

/// Runs the rounds: `check` runs the engine on a fresh source map.
pub fn run(check: &dyn Fn(&SourceMap) -> Outcome, opts: &Options) -> Report {
    let mut report = Report::default();
    // files put back after a round made them worse: not fixed again
    let mut frozen: HashSet<PathBuf> = HashSet::new();
    // files written in the last round: (original bytes, findings before)
    let mut last: HashMap<PathBuf, (Vec<u8>, usize, Vec<String>)> = HashMap::new();
    // one more round than fix rounds: the last only judges the one before
    for round in 0..=MAX_ROUNDS {
        // texts are kept, not read again: edits apply to the text they were
        // computed on, even when another name of the same file is written first
        let sources = SourceMap::new();
        let mut out = check(&sources);
        compute_all(&mut out.diagnostics, &sources);
        let mut count: HashMap<PathBuf, usize> = HashMap::new();
        for d in &out.diagnostics {
            *count.entry(sources.path(d.primary.span.file)).or_default() += 1;
        }
        // a round that made a file worse is undone
        for (path, (original, before, codes)) in last.drain() {
            let now = count.get(&path).copied().unwrap_or(0);
            if now > before {
                let _ = crate::fix::write_atomic(&path, &original);
                report.errors.push(format!(
                    "the fix of {} made {} worse ({before} finding(s) before, {now} after); it was undone: this is a bug of the rule",
                    codes.join(", "),
                    path.display()
                ));
                frozen.insert(path);
            }
        }
        let mut by_file: BTreeMap<FileId, Vec<&Diagnostic>> = BTreeMap::new();
        for d in &out.diagnostics {
            let Some(fix) = d.fix.as_deref() else {
                continue;
            };
            if fix.text.is_empty() {
                continue;
            }
            if !allowed(fix, opts) {
                if round == 0 && fix.applicability == Applicability::Unsafe {
                    report.held_back += 1;
                }
                continue;
            }
            by_file.entry(d.primary.span.file).or_default().push(d);
        }
        let mut changed = false;
        if round == MAX_ROUNDS {
            break;
        }
        for (id, ds) in by_file {
            let f = sources.get(id);
            if frozen.contains(&f.path) {
                continue;
            }
            let edits: Vec<&crate::diagnostic::TextEdit> = ds
                .iter()
                .filter_map(|d| d.fix.as_deref())
                .flat_map(|fx| fx.text.iter())
                .collect();
            let (new, n) = crate::fix::apply(&f.text, &edits);
            if n == 0 || *new == *f.text {
                continue;
            }
            let is_vmx = matches!(f.kind, FileKind::Vmx);
            if opts.diff {
                report.diffs.push(unified(&f.name(), &f.text, &new));
                report.applied += ds.len();
                continue;
            }
            let original = std::fs::read(&f.path).unwrap_or_default();
            if let Err(e) = crate::fix::write_atomic(&f.path, &crate::fix::encode(&new, is_vmx)) {
                report
                    .errors
                    .push(format!("cannot write {}: {e}", f.path.display()));
                continue;
            }
            changed = true;
            report.applied += ds.len();
            for d in &ds {
                let (line, _) = f.line_col(f.clamp(d.primary.span).start);
                report.lines.push(format!(
                    "{}:{line}: {} fixed ({})",
                    f.name(),
                    d.code,
                    d.fix
                        .as_deref()
                        .map_or("safe", |x| x.applicability.as_str())
                ));
            }
            let codes = ds.iter().map(|d| d.code.to_string()).collect();
            last.insert(
                f.path.clone(),
                (original, count.get(&f.path).copied().unwrap_or(0), codes),
            );
        }
        if opts.diff || !changed {
            break;
        }
    }
    report
}

/// A unified diff of a file's text before and after its fixes.
fn unified(name: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}
