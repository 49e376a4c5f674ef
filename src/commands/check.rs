//! `vmlint check`: find, load, evaluate, leave out what the baseline knows,
//! render; exit 1 when a finding is at or above `--fail-on`.

use super::{ExitStatus, emit, setup};
use crate::baseline;
use crate::cli::{CheckArgs, Color, FailOn};
use crate::diagnostic::{Diagnostic, Severity};
use crate::engine::{self, Input, Progress};
use crate::render::{self, Options};
use crate::source::SourceMap;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;

pub fn run(args: &CheckArgs) -> ExitStatus {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build();
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
    let sources = SourceMap::with_reader(engine::reread);
    let (mut cfg, rules) = match setup(&sources, &args.rules) {
        Ok(x) => x,
        Err(status) => return status,
    };
    if !args.select.is_empty() {
        cfg.select = args.select.clone();
    }
    cfg.ignore.extend(args.ignore.iter().cloned());
    let input = if args.paths.len() == 1 && args.paths[0].as_os_str() == "-" {
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
        Input::Stdin {
            name: args
                .stdin_filename
                .clone()
                .unwrap_or_else(|| PathBuf::from("stdin.vm.yaml")),
            bytes,
        }
    } else {
        Input::Paths(args.paths.clone())
    };
    let bar = Bar::new();
    let outcome = engine::run(&sources, &cfg, &rules, input, &bar);
    bar.0.finish_and_clear();
    let mut diags = outcome.diagnostics;
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
    if args.statistics {
        emit(&statistics(&diags));
    } else {
        emit(&render::render(
            args.format,
            &diags,
            &sources,
            &Options { color, width: 100 },
        ));
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

/// `count  CODE  severity`, most frequent first.
fn statistics(diags: &[Diagnostic]) -> String {
    let mut counts: BTreeMap<(&str, Severity), usize> = BTreeMap::new();
    for d in diags {
        *counts.entry((d.code.as_str(), d.severity)).or_default() += 1;
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out = String::new();
    for ((code, sev), n) in rows {
        out.push_str(&format!("{n:>7}  {code:<7} {sev}\n"));
    }
    out.push_str(&format!("{:>7}  total\n", diags.len()));
    out
}
