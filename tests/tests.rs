//! vmlint's integration tests: one binary, one module per concern. Each
//! module runs the real `vmlint` binary on the bundled fixtures or on
//! temporary trees.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod util;

mod cli;
mod esxcli;
mod fixes;
mod fixtures;
mod formats;
mod gate;
mod hostile;
mod iac;
mod language;
mod properties;
mod server;
mod shard;
mod snapshots;
mod structure;
mod user_rules;
