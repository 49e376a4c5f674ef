//! Named predicates: takes a `def` and the arguments of a call, gives the
//! predicate's body with its parameters replaced by the arguments, ready to
//! be checked where it is called. Names the body binds itself are made
//! fresh first, so an argument never means something else inside it.
//! A predicate may call only those defined before it, so expansion ends.

use crate::lang::ast::{Def, Expr, ExprKind};

/// Most predicate calls inlined into one rule: a bound on how far a chain
/// of predicates calling predicates may grow.
pub const MAX_EXPANSIONS: usize = 1000;

/// Deepest chain of predicates inlined inside each other.
pub const MAX_DEPTH: usize = 32;

/// The body of `def` for a call with `args` (as many as it has parameters).
pub fn expand(def: &Def, args: &[Expr], fresh: &mut usize) -> Expr {
    let mut body = def.body.clone();
    freshen(&mut body, fresh);
    for ((param, _), arg) in def.params.iter().zip(args) {
        substitute(&mut body, &param.text, arg);
    }
    body
}

/// The sub-expressions of `e` that are evaluated in the same scope as `e`
/// (a quantifier's body is not: it has a binding of its own).
fn children(e: &mut Expr) -> Vec<&mut Expr> {
    match &mut e.kind {
        ExprKind::List(items) | ExprKind::Call(_, items) => items.iter_mut().collect(),
        ExprKind::Member(b, _) | ExprKind::Unary(_, b) => vec![b.as_mut()],
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => vec![a.as_mut(), b.as_mut()],
        ExprKind::If(c, t, f) => vec![c.as_mut(), t.as_mut(), f.as_mut()],
        ExprKind::Quant(_, _, list, _) => vec![list.as_mut()],
        _ => Vec::new(),
    }
}

/// Gives every name the body binds (quantifier variables) a name no rule
/// can write, so that the caller's names are never captured.
fn freshen(e: &mut Expr, fresh: &mut usize) {
    for c in children(e) {
        freshen(c, fresh);
    }
    if let ExprKind::Quant(_, var, _, body) = &mut e.kind {
        freshen(body, fresh);
        *fresh += 1;
        let new = format!("{}·{}", var.text, fresh);
        rename(body, &var.text, &new);
        var.text = new;
    }
}

fn rename(e: &mut Expr, from: &str, to: &str) {
    if let ExprKind::Var(n) = &mut e.kind
        && n.text == from
    {
        n.text = to.to_string();
    }
    let shadowed = matches!(&e.kind, ExprKind::Quant(_, v, _, _) if v.text == from);
    if let ExprKind::Quant(_, _, _, body) = &mut e.kind
        && !shadowed
    {
        rename(body, from, to);
    }
    for c in children(e) {
        rename(c, from, to);
    }
}

fn substitute(e: &mut Expr, param: &str, arg: &Expr) {
    if matches!(&e.kind, ExprKind::Var(n) if n.text == param) {
        *e = arg.clone();
        return;
    }
    if let ExprKind::Quant(_, _, _, body) = &mut e.kind {
        substitute(body, param, arg);
    }
    for c in children(e) {
        substitute(c, param, arg);
    }
}
