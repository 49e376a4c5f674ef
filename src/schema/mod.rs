//! What rules can say about the model, shared below the rule language
//! (`lang`, which checks names and types against it) and the evaluator
//! (`eval`, which reads values through it), so that neither imports the
//! other: the types of the language, the values of the model with their
//! spans, the one field table and the one function table.

pub mod enums;
pub mod fields;
pub mod functions;
pub mod types;
pub mod value;
