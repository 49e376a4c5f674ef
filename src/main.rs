//! The `vmlint` binary: parse the arguments, run the subcommand, exit with
//! its status (0 clean, 1 findings, 2 usage, configuration or rule errors).

use clap::Parser;

fn main() {
    let cli = vmlint::cli::Cli::parse();
    let status = vmlint::commands::dispatch(cli);
    std::process::exit(status.code());
}
