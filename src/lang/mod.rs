//! The rule language: syntax tree, parser (pest), the load-time checker,
//! and the lowering of checked rules into the IR the evaluator runs.

pub mod ast;
pub mod check;
pub mod lower;
pub mod parser;
pub mod prescan;

use crate::diagnostic::Diagnostic;

/// Checks parsed rules and their predicates; when nothing is wrong, gives
/// their IR. This is the only way to a rule that can be evaluated. `taken`
/// are the codes of rules already compiled (a rule may not reuse one).
pub fn compile(
    mut rules: Vec<ast::Rule>,
    defs: &[ast::Def],
    taken: &[&ast::Name],
) -> Result<Vec<crate::ir::Rule>, Vec<Diagnostic>> {
    let diags = check::check_all(&mut rules, defs, taken);
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(rules.iter().filter_map(lower::rule).collect())
}
