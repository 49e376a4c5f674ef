//! Subcommands, one file each, and the exit status they return.

pub mod check;
pub mod explain;
pub mod fixes;
pub mod init;
pub mod inventory;
pub mod merge;
mod output;
pub mod rules;
pub mod schema;
pub mod server;
pub mod test;

use crate::cli::{Cli, Command, RuleArgs};
use crate::config::{self, Config};
use crate::diagnostic::Diagnostic;
use crate::eval::CompiledRule;
use crate::render::{self, Format, Options};
use crate::source::SourceMap;
use std::io::Write;
use std::path::Path;

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
        Command::Rules { format, rules } => rules::run(format, &rules),
        Command::Explain { code, rules } => explain::run(&code, &rules),
        Command::Test {
            paths,
            format,
            rules,
        } => test::run(&paths, format, &rules),
        Command::Schema => schema::run(),
        Command::Server => server::run(),
        Command::Init { dir } => init::run(&dir),
        Command::Merge { files } => merge::run(&files),
        Command::Inventory {
            paths,
            format,
            rules,
        } => inventory::run(&paths, format, &rules),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut cmd = Cli::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "vmlint", &mut out);
            emit(&String::from_utf8_lossy(&out));
            ExitStatus::Clean
        }
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

/// The configuration that applies to `start` (the first checked path) and
/// every rule, checked, or the errors that stop the run. The codes the
/// configuration names are checked against the rules' and the engine's.
pub fn setup(
    sources: &SourceMap,
    args: &RuleArgs,
    start: &Path,
) -> Result<(Config, Vec<CompiledRule>), ExitStatus> {
    let cfg =
        config::load(args.config.as_deref(), start, sources).map_err(|d| fail(&d, sources))?;
    if args.verbose {
        match &cfg.path {
            Some(p) => eprintln!("vmlint: using the configuration {}", p.display()),
            None => eprintln!(
                "vmlint: no .vmlint.yaml found from {} upwards; using the defaults",
                start.display()
            ),
        }
    }
    let cwd = crate::paths::cwd();
    let mut extra = cfg.rules.clone();
    extra.extend(args.rules.iter().map(|p| crate::paths::absolute(p, &cwd)));
    let rules = crate::ruleset::load_rules(sources, cfg.builtin && !args.no_builtin, &extra, &cfg)
        .map_err(|d| fail(&d, sources))?;
    let bad = crate::ruleset::check_named_codes(&cfg, &rules);
    if !bad.is_empty() {
        return Err(fail(&bad, sources));
    }
    Ok((cfg, rules))
}

/// Codes given on the command line (`--select PT00,pt011`), upper-cased,
/// or the usage error that names the unknown one.
pub fn cli_codes(
    flag: &str,
    given: &[String],
    rules: &[CompiledRule],
) -> Result<Vec<String>, ExitStatus> {
    let known = crate::ruleset::known_codes(rules);
    let mut out = Vec::new();
    for g in given {
        let Some(code) = config::parse_code(g) else {
            eprintln!(
                "vmlint: `{g}` in {flag} is not a code or prefix; separate codes with commas (`{flag} PT006,PT007`)"
            );
            return Err(ExitStatus::Error);
        };
        if !config::is_known(&code, &known) {
            eprintln!(
                "vmlint: no rule has the code or prefix `{g}` (in {flag}){}",
                crate::suggest::did_you_mean(&code, known.iter().copied())
            );
            return Err(ExitStatus::Error);
        }
        out.push(code);
    }
    Ok(out)
}
