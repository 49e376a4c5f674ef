//! `vmlint check`: find, load, evaluate, render; exit 1 when a finding is
//! at or above `--fail-on`.

use super::{ExitStatus, emit, setup};
use crate::cli::{CheckArgs, Color, FailOn};
use crate::diagnostic::Severity;
use crate::engine::{self, Input};
use crate::render::{self, Options};
use crate::source::SourceMap;
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

fn check(args: &CheckArgs) -> ExitStatus {
    let sources = SourceMap::new();
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
            .take(limit + 1)
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
    let outcome = engine::run(&sources, &cfg, &rules, input);
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let text = render::render(
        args.format,
        &outcome.diagnostics,
        &sources,
        &Options { color, width: 100 },
    );
    emit(&text);
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    };
    match threshold {
        Some(t) if outcome.diagnostics.iter().any(|d| d.severity >= t) => ExitStatus::Findings,
        _ => ExitStatus::Clean,
    }
}
