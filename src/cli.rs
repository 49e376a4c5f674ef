//! Command-line definitions (clap). Raw flags only; `commands` resolves them.

use crate::render::Format;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "vmlint",
    version,
    about = "Lints VMware VM and ESXi host descriptors: DirectPath I/O (PCI passthrough) first"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check descriptor files (`.vmx`, `*.vm.yaml`, `*.host.yaml`, YAML with `kind: vm|host`)
    Check(CheckArgs),
    /// List the rules: code, name, severity and summary
    Rules {
        /// `text` (a table) or `json`
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Print the documentation of a rule
    Explain {
        /// A rule code such as PT003
        code: String,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Print the model fields and functions rules can use (Markdown)
    Schema,
    /// Serve diagnostics, hovers and fixes to an editor (Language Server Protocol over stdio)
    Server,
    /// Run rule fixtures: each `# expect: CODE` comment must match a finding on the next line, and nothing else may be found
    Test {
        /// Folders or files of fixtures (`exclude` of .vmlint.yaml does not apply)
        #[arg(default_value = "fixtures")]
        paths: Vec<PathBuf>,
        /// `human` (a report) or `junit` (one test case per fixture file)
        #[arg(long, value_enum, default_value = "human")]
        format: TestFormat,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Write a commented .vmlint.yaml for the tree in this folder (never overwrites one)
    Init {
        /// The folder to write it in
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Print what vmlint knows of each host and VM, and where each fact came from
    Inventory {
        /// Files or folders to read (the configured `hosts:` too)
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        /// `text` (a block per host) or `json`
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Join the JSON or SARIF outputs of `check --shard` runs into one (duplicates dropped)
    Merge {
        /// The outputs, all JSON (`--format json`) or all SARIF
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print a shell completion script: `vmlint completions bash > /etc/bash_completion.d/vmlint`
    Completions { shell: clap_complete::Shell },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    Human,
    Junit,
}

#[derive(Args, Debug, Clone)]
pub struct RuleArgs {
    /// More rule files or folders of `.rules` files
    #[arg(long = "rules", value_name = "FILE_OR_DIR")]
    pub rules: Vec<PathBuf>,
    /// Leave out the embedded rule pack
    #[arg(long)]
    pub no_builtin: bool,
    /// Use this configuration instead of the nearest .vmlint.yaml
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Say which configuration is used, and other details of the run, on stderr
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or folders to check; `-` reads one file from stdin
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Write the `--format` output to FILE instead of stdout
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// An output, repeatable: `--output sarif=vmlint.sarif --output github`
    /// (FORMAT alone writes to stdout); replaces `--format`
    #[arg(long, value_name = "FORMAT[=FILE]")]
    pub output: Vec<String>,
    /// Leave out the summary line of the human format
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Apply `exclude` to files named on the command line too (pre-commit names every file)
    #[arg(long)]
    pub force_exclude: bool,
    /// Report only part K of N of the estate (for a CI matrix): each
    /// cluster, or host outside one, with its VMs, falls in one part;
    /// `vmlint merge` joins the parts' JSON or SARIF
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<crate::settings::Shard>,
    /// The lowest severity that makes the exit code 1
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
    /// Number of threads, at least 1 (default: all cores; more than the
    /// machine's cores is lowered to that number, since the work is CPU-bound)
    #[arg(long, short = 'j', value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// The name of the file read from stdin (decides its format and placement)
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
    /// Leave out the findings recorded in this baseline file
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record every current finding in FILE (then exit 0), to adopt vmlint on an existing repository
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Print how many findings each rule has instead of the findings
    #[arg(long)]
    pub statistics: bool,
    /// Only these codes or prefixes (replaces `select` of .vmlint.yaml)
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub select: Vec<String>,
    /// Leave out these codes or prefixes (added to `ignore` of .vmlint.yaml)
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub ignore: Vec<String>,
    /// Apply the rules' safe fixes to the files, then report what is left
    #[arg(long)]
    pub fix: bool,
    /// With --fix or --diff, apply unsafe fixes too (they may change what the VM does)
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print the fixes as a unified diff; write nothing
    #[arg(long)]
    pub diff: bool,
    /// With --fix, list each fix applied
    #[arg(long)]
    pub show_fixes: bool,
    #[command(flatten)]
    pub rules: RuleArgs,
}

fn parse_shard(text: &str) -> Result<crate::settings::Shard, String> {
    crate::settings::Shard::parse(text)
}
