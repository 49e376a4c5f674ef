//! vmlint: a policy and lint engine for VMware virtual-machine
//! configuration. Data flows source → model → rules → evaluation →
//! suppressions → sort → render; each stage is a module below.

pub(crate) mod baseline;
pub mod cli;
pub mod commands;
pub(crate) mod config;
pub(crate) mod diagnostic;
pub(crate) mod directives;
pub(crate) mod discover;
pub(crate) mod engine;
pub(crate) mod eval;
pub(crate) mod fix;
pub(crate) mod ir;
pub mod lang;
pub(crate) mod load;
pub mod model;
pub(crate) mod paths;
pub(crate) mod render;
pub(crate) mod ruleset;
pub(crate) mod schema;
pub(crate) mod settings;
pub mod source;
pub(crate) mod suggest;
pub(crate) mod suppress;
#[cfg(test)]
mod test_rand;
pub mod yaml_tree;
