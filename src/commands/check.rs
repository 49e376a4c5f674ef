//! `vmlint check`: find, load, evaluate, leave out what the baseline knows,
//! render; exit 1 when a finding is at or above `--fail-on`.

use super::{ExitStatus, setup};
use crate::baseline;
use crate::cli::{CheckArgs, Color, FailOn};
use crate::diagnostic::{Diagnostic, Severity};
use crate::engine::{self, Progress};
use crate::render::{self, Options};
use crate::settings::Settings;
use crate::source::SourceMap;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;

pub fn run(args: &CheckArgs) -> ExitStatus {
    // more threads than cores only costs memory: the work is CPU-bound
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let jobs = args.jobs.map_or(0, |j| usize::from(j).min(cores));
    if args.rules.verbose && args.jobs.is_some_and(|j| usize::from(j) > cores) {
        eprintln!("vmlint: --jobs lowered to {cores}, the number of cores");
    }
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build();
    match pool {
        Ok(pool) => pool.install(|| check(args)),
        Err(_) => check(args),
    }
}

/// A progress bar on stderr, for long runs on a terminal only: never in CI
/// (`CI` set) or when stderr is a pipe or a file.
struct Bar(ProgressBar);

impl Bar {
    fn new() -> Bar {
        let visible = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} checking {pos}/{len} files {wide_bar} {eta}")
        {
            bar.set_style(style);
        }
        Bar(bar)
    }
}

impl Progress for Bar {
    fn start(&self, files: usize) {
        // short runs (the pre-commit case) never show a bar
        if files < 2000 {
            self.0.set_draw_target(ProgressDrawTarget::hidden());
        }
        self.0.set_length(files as u64);
    }

    fn tick(&self) {
        self.0.inc(1);
    }
}

fn check(args: &CheckArgs) -> ExitStatus {
    let cwd = crate::paths::cwd();
    let stdin_named = args.paths.iter().any(|p| p.as_os_str() == "-");
    if args.stdin_filename.is_some() && !stdin_named {
        eprintln!(
            "vmlint: --stdin-filename names the text read from stdin; pass `-` as a path to read it"
        );
        return ExitStatus::Error;
    }
    if args.paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        eprintln!("vmlint: `-` (stdin) can be named once");
        return ExitStatus::Error;
    }
    let stdin_name = args
        .stdin_filename
        .as_ref()
        .map(|n| crate::paths::absolute(n, &cwd));
    let paths: Vec<PathBuf> = args
        .paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .map(|p| crate::paths::absolute(p, &cwd))
        .collect();
    let outputs = match super::output::parse(args) {
        Ok(o) => o,
        Err(status) => return status,
    };
    // the configuration is found from what is checked, not from where vmlint runs
    let start = paths
        .first()
        .cloned()
        .or_else(|| stdin_name.clone())
        .unwrap_or_else(|| cwd.clone());
    let sources = SourceMap::with_reader(engine::reread);
    let (cfg, mut rules) = match setup(&sources, &args.rules, &start) {
        Ok(x) => x,
        Err(status) => return status,
    };
    // a file read again for a snippet or a position is held to the same size
    sources.set_limit(cfg.max_file_size);
    let mut settings = Settings::of(cfg);
    settings.shard = args.shard;
    if !args.select.is_empty() {
        match super::cli_codes("--select", &args.select, &rules) {
            Ok(c) => settings.select = Some(c),
            Err(status) => return status,
        }
    }
    match super::cli_codes("--ignore", &args.ignore, &rules) {
        Ok(c) => settings.ignore = c,
        Err(status) => return status,
    }
    let cfg = &settings.config;
    let known: Vec<String> = crate::ruleset::known_codes(&rules)
        .into_iter()
        .map(str::to_string)
        .collect();
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    // unselected rules do not run
    rules.retain(|c| {
        let code = &c.rule.code.text;
        settings.enabled(code) && (!c.rule.opt_in || settings.opted_in(code))
    });
    let stdin = if stdin_named {
        let mut bytes = Vec::new();
        let limit = cfg.max_file_size;
        if std::io::stdin()
            .lock()
            .take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .is_err()
        {
            eprintln!("vmlint: cannot read stdin");
            return ExitStatus::Error;
        }
        let name = stdin_name.unwrap_or_else(|| cwd.join("stdin"));
        Some((name, bytes))
    } else {
        None
    };
    if args.fix || args.diff {
        if stdin.is_some() {
            eprintln!("vmlint: --fix and --diff change files; they cannot fix stdin");
            return ExitStatus::Error;
        }
        let root = settings.config.dir.clone();
        let check = |s: &SourceMap| {
            s.set_root(&root);
            let request = engine::Request {
                paths: paths.clone(),
                stdin: None,
                force_exclude: args.force_exclude,
                complete: false,
                inventory: true,
            };
            engine::run(s, &settings, &rules, &known, request, &engine::Quiet)
        };
        let opts = super::fixes::Options {
            unsafe_ok: args.unsafe_fixes,
            diff: args.diff,
            show: args.show_fixes,
        };
        let report = super::fixes::run(&check, &opts);
        for e in &report.errors {
            eprintln!("vmlint: error: {e}");
        }
        if args.diff {
            print!("{}", report.diffs.concat());
            eprintln!(
                "vmlint: {} fix(es) would be applied{}",
                report.applied,
                held_back(report.held_back)
            );
            return if report.applied > 0 {
                ExitStatus::Findings
            } else {
                ExitStatus::Clean
            };
        }
        if opts.show {
            for l in &report.lines {
                eprintln!("vmlint: {l}");
            }
        }
        eprintln!(
            "vmlint: fixed {} finding(s){}",
            report.applied,
            held_back(report.held_back)
        );
    }
    let request = engine::Request {
        paths,
        stdin,
        force_exclude: args.force_exclude,
        complete: false,
        inventory: true,
    };
    let bar = Bar::new();
    let outcome = engine::run(&sources, &settings, &rules, &known, request, &bar);
    bar.0.finish_and_clear();
    for note in &outcome.notes {
        eprintln!("vmlint: warning: {note}");
    }
    if args.rules.verbose {
        for (span, what) in &outcome.unknowns {
            let f = sources.get(span.file);
            let (line, col) = f.line_col(f.clamp(*span).start);
            eprintln!("vmlint: {}:{line}:{col}: {what}", f.name());
        }
    }
    let mut diags = outcome.diagnostics;
    // the fixes' text edits, for the formats that carry them (JSON, SARIF)
    if outputs
        .iter()
        .any(|o| matches!(o.format, render::Format::Json | render::Format::Sarif))
    {
        super::fixes::compute_all(&mut diags, &sources);
    }
    if let Some(path) = &args.write_baseline {
        let b = baseline::build(&diags, &sources);
        return match baseline::write(path, &b) {
            Ok(()) => {
                eprintln!(
                    "vmlint: recorded {} finding(s) in {}",
                    b.findings.len(),
                    path.display()
                );
                ExitStatus::Clean
            }
            Err(e) => {
                eprintln!("vmlint: cannot write {}: {e}", path.display());
                ExitStatus::Error
            }
        };
    }
    if let Some(path) = &args.baseline {
        match baseline::read(path) {
            Ok(b) => diags = baseline::filter(diags, &b, &sources),
            Err(e) => {
                eprintln!("vmlint: {e}");
                return ExitStatus::Error;
            }
        }
    }
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let summary = Summary {
        files: outcome.files_checked,
        quiet: args.quiet,
    };
    for out in &outputs {
        let color = color && out.file.is_none();
        let opts = Options { color, width: 100 };
        let written = if args.statistics {
            super::output::write(out, &statistics(&diags, out.format))
        } else if out.format == render::Format::Human {
            let mut text = render::render(out.format, &diags, &sources, &opts);
            text.push_str(&summary.line(&diags, &sources));
            super::output::write(out, &text)
        } else {
            // large reports are written as they are made
            super::output::write_with(out, |w| {
                render::write(out.format, &diags, &sources, &opts, w)
            })
        };
        if let Err(status) = written {
            return status;
        }
    }
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    };
    match threshold {
        Some(t) if diags.iter().any(|d| d.severity >= t) => ExitStatus::Findings,
        _ => ExitStatus::Clean,
    }
}

/// `; N unsafe fix(es) held back (--unsafe-fixes)`, when there are.
fn held_back(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!("; {n} unsafe fix(es) held back (apply them with --unsafe-fixes)")
    }
}

/// The last line of the human format, so that a clean run says so.
struct Summary {
    files: usize,
    quiet: bool,
}

impl Summary {
    fn line(&self, diags: &[Diagnostic], sources: &SourceMap) -> String {
        if self.quiet {
            return String::new();
        }
        let files = plural(self.files, "file");
        if diags.is_empty() {
            return format!("All clear: {files} checked\n");
        }
        let count = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
        let mut parts = vec![
            plural(count(Severity::Error), "error"),
            plural(count(Severity::Warning), "warning"),
        ];
        let infos = count(Severity::Info);
        if infos > 0 {
            parts.push(plural(infos, "note"));
        }
        let with: std::collections::HashSet<_> =
            diags.iter().map(|d| d.primary.span.file).collect();
        let _ = sources;
        format!(
            "{} in {} ({} checked)\n",
            parts.join(", "),
            plural(with.len(), "file"),
            files
        )
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// How many findings each rule has: `count  CODE  severity` lines, most
/// frequent first, or a JSON object for `--format json`.
fn statistics(diags: &[Diagnostic], format: render::Format) -> String {
    let mut counts: BTreeMap<(&str, Severity), usize> = BTreeMap::new();
    for d in diags {
        *counts.entry((&*d.code, d.severity)).or_default() += 1;
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if format == render::Format::Json {
        let rows: Vec<serde_json::Value> = rows
            .iter()
            .map(|((code, sev), n)| serde_json::json!({ "code": code, "severity": sev.as_str(), "count": n }))
            .collect();
        let doc = serde_json::json!({ "version": 1, "total": diags.len(), "codes": rows });
        return serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
    }
    let mut out = String::new();
    for ((code, sev), n) in rows {
        out.push_str(&format!("{n:>7}  {code:<7} {sev}\n"));
    }
    out.push_str(&format!("{:>7}  total\n", diags.len()));
    out
}
