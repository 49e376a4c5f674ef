//! Lowering: takes a checked rule, gives its IR. Names become slots, field
//! and function indices; literals become shared constants. Only called on
//! rules the checker passed (see `compile`).

use crate::ir::{self, Kind};
use crate::lang::ast::{self, ExprKind, Resolved};
use crate::schema::functions::{FUNCTIONS, lookup};
use crate::schema::value::{Val, Value};
use std::borrow::Cow;
use std::sync::Arc;

/// The IR of a checked rule; `None` for a rule without `on` or `assert`,
/// which the checker has already reported.
pub fn rule(r: &ast::Rule) -> Option<ir::Rule> {
    Some(ir::Rule {
        code: r.code.clone(),
        slug: r.slug.clone(),
        span: r.span,
        severity: r.severity,
        summary: r.summary.as_ref().map(template),
        help: r.help.as_ref().map(template),
        url: r.url.as_ref().map(template),
        docs: r.docs.clone(),
        tags: r.tags.clone(),
        opt_in: r.opt_in,
        params: r
            .params
            .iter()
            .map(|p| ir::Param {
                name: p.name.clone(),
                ty: p.ty.clone(),
                default: constant(&p.default).unwrap_or_else(Val::null),
                slot: p.slot,
            })
            .collect(),
        target: r.target?.0,
        steps: r.steps.iter().map(step).collect(),
        assert: expr(r.assert.as_ref()?),
        at: r.at.as_ref().map(expr),
        message: r.message.as_ref().map(template),
        related: r
            .related
            .iter()
            .map(|(e, t)| (expr(e), template(t)))
            .collect(),
        fix: r.fix.as_ref().map(|f| ir::Fix {
            applicability: f.applicability,
            edits: f
                .edits
                .iter()
                .filter_map(|e| match e {
                    ast::FixEdit::Set { target, value } => match target.res {
                        Resolved::Field(field) => Some(ir::FixEdit::Set {
                            field,
                            target: expr(target),
                            value: expr(value),
                        }),
                        _ => None,
                    },
                    ast::FixEdit::Remove { target } => match target.res {
                        Resolved::Field(field) => Some(ir::FixEdit::Remove {
                            field,
                            target: expr(target),
                        }),
                        _ => None,
                    },
                    ast::FixEdit::Rename { key, to } => Some(ir::FixEdit::Rename {
                        key: expr(key),
                        to: expr(to),
                    }),
                })
                .collect(),
        }),
        info: r.info.clone(),
    })
}

fn step(s: &ast::Step) -> ir::Step {
    match s {
        ast::Step::For {
            list, filter, slot, ..
        } => ir::Step::For {
            slot: *slot,
            list: expr(list),
            filter: filter.as_ref().map(expr),
        },
        ast::Step::Let { value, slot, .. } => ir::Step::Let {
            slot: *slot,
            value: expr(value),
        },
        ast::Step::When(e) => ir::Step::When(expr(e)),
    }
}

fn template(t: &ast::Template) -> ir::Template {
    ir::Template {
        parts: t
            .parts
            .iter()
            .map(|p| match p {
                ast::Part::Text(s) => ir::Part::Text(s.clone()),
                ast::Part::Hole(e) => ir::Part::Hole(expr(e)),
            })
            .collect(),
    }
}

/// The value of a literal (a parameter default, a constant list), or
/// `None` for anything that must be evaluated.
pub fn constant(e: &ast::Expr) -> Option<Val<'static>> {
    Some(match (&e.kind, &e.res) {
        (ExprKind::Null, _) => Val::null(),
        (ExprKind::Bool(b), _) => Val::bool(*b, None),
        (ExprKind::Int(i), _) => Val::new(Value::Int(*i), None),
        (ExprKind::Str(_), Resolved::Version(v)) => Val::new(Value::Version(*v), None),
        (ExprKind::Str(_), Resolved::Pci(p)) => Val::new(Value::Pci(*p), None),
        (ExprKind::Str(s), _) => Val::new(Value::Str(Cow::Owned(s.clone())), None),
        (ExprKind::Unary(ast::UnOp::Neg, x), _) => match x.kind {
            ExprKind::Int(i) => Val::new(Value::Int(i.checked_neg()?), None),
            _ => return None,
        },
        (ExprKind::List(items), _) => {
            let vals: Option<Vec<Val<'static>>> = items.iter().map(constant).collect();
            Val::new(Value::List(Arc::new(vals?)), None)
        }
        _ => return None,
    })
}

fn is_lower_call(e: &ast::Expr) -> bool {
    matches!((&e.kind, &e.res), (ExprKind::Call(_, args), Resolved::Func(fi))
        if args.len() == 1 && Some(*fi) == lookup("lower"))
}

/// For a side of `==` that `Kind::SameText` can compare: the argument of
/// `lower(x)`, or a string literal with no upper-case letter.
fn lowered(e: &ast::Expr) -> Option<ir::Expr> {
    match (&e.kind, &e.res) {
        (ExprKind::Call(_, args), _) if is_lower_call(e) => args.first().map(expr),
        (ExprKind::Str(s), Resolved::None)
            if s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) =>
        {
            Some(expr(e))
        }
        _ => None,
    }
}

fn boxed(e: &ast::Expr) -> Box<ir::Expr> {
    Box::new(expr(e))
}

fn expr(e: &ast::Expr) -> ir::Expr {
    let kind = match (&e.kind, &e.res) {
        _ if !matches!(e.kind, ExprKind::Var(_)) && constant(e).is_some() => {
            Kind::Const(constant(e).unwrap_or_else(Val::null))
        }
        (ExprKind::List(items), _) => Kind::List(items.iter().map(expr).collect()),
        (ExprKind::Var(_), Resolved::Slot(s)) => Kind::Slot(*s),
        (ExprKind::Member(base, _), Resolved::Field(i)) => Kind::Field(boxed(base), *i),
        // a field that did not resolve reads as missing at its base
        (ExprKind::Member(base, _), _) => Kind::Field(boxed(base), usize::MAX),
        (ExprKind::Index(b, i), _) => Kind::Index(boxed(b), boxed(i)),
        (ExprKind::Unary(op, x), _) => Kind::Unary(*op, boxed(x)),
        (ExprKind::Binary(ast::BinOp::Matches, l, r), _) => match &r.res {
            Resolved::Regex(re) => {
                Kind::Matches(boxed(l), Arc::clone(re), ir::Prefix::of(re.as_str()))
            }
            _ => Kind::Const(Val::null()),
        },
        (ExprKind::Binary(op @ (ast::BinOp::Eq | ast::BinOp::Ne), l, r), _)
            if lowered(l).is_some()
                && lowered(r).is_some()
                && (is_lower_call(l) || is_lower_call(r)) =>
        {
            Kind::SameText {
                left: Box::new(lowered(l).unwrap_or_else(|| expr(l))),
                right: Box::new(lowered(r).unwrap_or_else(|| expr(r))),
                negate: *op == ast::BinOp::Ne,
            }
        }
        (ExprKind::Binary(op, l, r), _) => Kind::Binary {
            op: *op,
            left: boxed(l),
            right: boxed(r),
            presence: matches!(l.kind, ExprKind::Null) || matches!(r.kind, ExprKind::Null),
        },
        (ExprKind::Call(_, args), Resolved::Func(fi)) => {
            let regex = FUNCTIONS
                .get(*fi)
                .and_then(|f| f.regex_arg)
                .and_then(|i| args.get(i))
                .and_then(|a| match &a.res {
                    Resolved::Regex(r) => Some(Arc::clone(r)),
                    _ => None,
                });
            Kind::Call(*fi, args.iter().map(expr).collect(), regex)
        }
        (ExprKind::Quant(q, _, list, body), Resolved::Slot(s)) => {
            Kind::Quant(*q, *s, boxed(list), boxed(body))
        }
        (ExprKind::If(c, t, f), _) => Kind::If(boxed(c), boxed(t), boxed(f)),
        // unresolved names and refused subtrees: the checker reported them
        _ => Kind::Const(Val::null()),
    };
    ir::Expr { kind, span: e.span }
}
