//! The `vmlint` binary: parse the arguments, run the subcommand, exit with
//! its status (0 clean, 1 findings, 2 usage, configuration or rule errors).

use clap::Parser;

/// A faster allocator than the system's for the many small, short-lived
/// values of loading and evaluation, and one that returns memory to the
/// system as threads finish with it.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = vmlint::cli::Cli::parse();
    let status = vmlint::commands::dispatch(cli);
    std::process::exit(status.code());
}
