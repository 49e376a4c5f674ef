//! The rule language: syntax tree, parser (pest), types, the model field
//! table, and the load-time checker.

pub mod ast;
pub mod check;
pub mod parser;
pub mod prescan;
