//! vmlint: a policy and lint engine for VMware virtual-machine
//! configuration. Data flows source → model → rules → evaluation →
//! suppressions → sort → render; each stage is a module below.

pub mod baseline;
pub mod cli;
pub mod commands;
pub mod config;
pub mod diagnostic;
pub mod directives;
pub mod discover;
pub mod engine;
pub mod eval;
pub mod ir;
pub mod lang;
pub mod load;
pub mod model;
pub mod paths;
pub mod render;
pub mod ruleset;
pub mod schema;
pub mod source;
pub mod suggest;
pub mod suppress;
pub mod yaml;
