//! Subcommands, one file each, and the exit status they return.

pub mod check;
pub mod explain;
pub mod rules;
pub mod schema;
pub mod test;

use crate::cli::{Cli, Command, RuleArgs};
use crate::config::{self, Config};
use crate::diagnostic::Diagnostic;
use crate::eval::Compiled;
use crate::render::{self, Format, Options};
use crate::source::SourceMap;
use std::io::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing at or above `--fail-on`.
    Clean,
    /// Findings.
    Findings,
    /// Usage, configuration or rule-file errors.
    Error,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Clean => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Error => 2,
        }
    }
}

pub fn dispatch(cli: Cli) -> ExitStatus {
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Rules(args) => rules::run(&args),
        Command::Explain { code, rules } => explain::run(&code, &rules),
        Command::Test { paths, rules } => test::run(&paths, &rules),
        Command::Schema => schema::run(),
    }
}

/// Writes to stdout; a closed pipe (`vmlint check | head`) is not an error.
pub fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Prints configuration or rule-file errors on stderr and says exit 2.
pub fn fail(diags: &[Diagnostic], sources: &SourceMap) -> ExitStatus {
    let mut sorted = diags.to_vec();
    crate::diagnostic::sort(&mut sorted, sources);
    let text = render::render(Format::Human, &sorted, sources, &stderr_options());
    let _ = std::io::stderr().write_all(text.as_bytes());
    ExitStatus::Error
}

pub fn stderr_options() -> Options {
    use std::io::IsTerminal;
    Options {
        color: std::io::stderr().is_terminal(),
        width: 100,
    }
}

/// The configuration and the checked rules, or the errors that stop the run.
pub fn setup(sources: &SourceMap, args: &RuleArgs) -> Result<(Config, Vec<Compiled>), ExitStatus> {
    let cfg = config::load(args.config.as_deref(), sources).map_err(|d| fail(&d, sources))?;
    let mut extra = cfg.rules.clone();
    extra.extend(args.rules.iter().cloned());
    let rules = crate::engine::load_rules(sources, cfg.builtin && !args.no_builtin, &extra, &cfg)
        .map_err(|d| fail(&d, sources))?;
    Ok((cfg, rules))
}
