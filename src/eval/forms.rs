//! The evaluation of the forms that read the model or loop: a field of a
//! record (list fields built once per subject), a quantifier, a call of a
//! built-in function; `eval` dispatches to them.

use super::Eval;
use super::equality;
use super::ops::same_text;
use crate::ir::{BinOp, Expr, Kind, Quant};
use crate::schema::fields::FIELDS;
use crate::schema::functions;
use crate::schema::types::Ty;
use crate::schema::value::{Val, Value};
use std::sync::Arc;

impl<'a> Eval<'_, 'a> {
    pub(super) fn field(&mut self, base: &'a Expr, i: usize) -> Val<'a> {
        // a field of a variable reads the record where it is, uncopied
        if let Kind::Slot(s) = &base.kind {
            self.force(*s);
        }
        let (record, span) = match &base.kind {
            Kind::Slot(s) => match self.env.get(*s) {
                Some(Val {
                    v: Value::Record(r),
                    span,
                    ..
                }) => (Some(*r), *span),
                Some(v) => (None, v.span),
                None => (None, None),
            },
            _ => {
                let b = self.eval(base);
                match b.v {
                    Value::Record(r) => (Some(r), b.span),
                    _ => (None, b.span),
                }
            }
        };
        match (record.as_ref(), FIELDS.get(i)) {
            (Some(r), Some(f)) => match r.unknown(f.on, f.name) {
                Some(at) => Val::unknown(at),
                None if matches!(f.ty, Ty::List(_)) => {
                    let key = r.address();
                    if let Some((.., v)) =
                        self.lists.iter().find(|(fi, k, _)| *fi == i && *k == key)
                    {
                        return v.clone();
                    }
                    let v = (f.get)(*r, self.ctx);
                    // a subject's lists are few; a long walk keeps the last ones
                    if self.lists.len() >= 64 {
                        self.lists.remove(0);
                    }
                    self.lists.push((i, key, v.clone()));
                    v
                }
                None => (f.get)(*r, self.ctx),
            },
            // a field of a missing record is missing at the same place
            _ => Val {
                v: Value::Null,
                span,
                missing: span.is_some(),
                unknown: false,
            },
        }
    }

    pub(super) fn quant(
        &mut self,
        q: Quant,
        slot: usize,
        list: &'a Expr,
        body: &'a Expr,
    ) -> Val<'a> {
        let l = self.eval(list);
        // shares the list instead of copying it
        let items: Arc<Vec<Val<'a>>> = match &l.v {
            Value::List(items) => Arc::clone(items),
            _ => Arc::new(Vec::new()),
        };
        let mut count = 0i64;
        let mut sum = 0i64;
        // an item whose condition is unknown makes `any`, `all` and
        // `none` unknown, unless another item decides them
        let mut unknown = false;
        let mut kept = Vec::new();
        // `lower(f) == lower(x)` or `f != x` against a value the loop does
        // not change: that value is read once, and each item compared in place
        let compare = compared_body(body, slot);
        let mut other = None;
        for item in items.iter() {
            if !self.spend() {
                return Val::null();
            }
            let b = match compare {
                Some((how, item_left, x)) => {
                    // a record stays bound, as a fix looks for its device there
                    if matches!(item.v, Value::Record(_)) {
                        self.set(slot, item.clone());
                    }
                    let x = match &other {
                        Some(v) => v,
                        None => other.insert(self.eval(x)),
                    };
                    let (a, b) = if item_left { (item, x) } else { (x, item) };
                    match how {
                        Compare::SameText { negate } => same_text(a, b, negate),
                        Compare::Equal { negate, presence } => equality(a, b, negate, presence),
                    }
                }
                None => {
                    self.set(slot, item.clone());
                    self.eval(body)
                }
            };
            match q {
                Quant::Any if b.is_true() => return Val::bool(true, None).at(&b),
                Quant::Find if b.is_true() => return item.clone(),
                Quant::All if b.is_false() => return Val::bool(false, None).at(&b),
                Quant::None if b.is_true() => return Val::bool(false, None).at(&b),
                Quant::Count if b.is_true() => count += 1,
                Quant::Filter if b.is_true() => kept.push(item.clone()),
                Quant::Sum => sum = sum.saturating_add(b.as_int().unwrap_or(0)),
                _ if b.is_null() => unknown = true,
                _ => {}
            }
        }
        let v = match q {
            Quant::Any | Quant::All | Quant::None if unknown => Value::Null,
            Quant::Any => Value::Bool(false),
            Quant::All | Quant::None => Value::Bool(true),
            Quant::Count => Value::Int(count),
            Quant::Sum => Value::Int(sum),
            Quant::Find => return Val::null(),
            Quant::Filter => Value::List(Arc::new(kept)),
        };
        Val::new(v, None).at(&l)
    }

    pub(super) fn call(
        &mut self,
        fi: usize,
        args: &'a [Expr],
        re: Option<&crate::ir::Pattern>,
    ) -> Val<'a> {
        let Some(f) = functions::FUNCTIONS.get(fi) else {
            return Val::null();
        };
        // arguments go on a stack shared by the calls of the run
        let base = self.args.len();
        for a in args {
            let v = self.eval(a);
            self.args.push(v);
        }
        let vals = self.args.get(base..).unwrap_or(&[]);
        let out = (f.call)(vals, re);
        let out = match vals.iter().find(|v| v.span.is_some()) {
            Some(src) if out.span.is_none() => out.at(src),
            _ => out,
        };
        self.args.truncate(base);
        out
    }
}

/// How a quantifier's condition compares its item with the other side.
#[derive(Clone, Copy)]
enum Compare {
    SameText { negate: bool },
    Equal { negate: bool, presence: bool },
}

/// A quantifier's condition that compares its item with a variable bound
/// outside it or a literal (`lower(f) == lower(key)`, `o != vm`): how,
/// whether the item is on the left, and the other side.
fn compared_body(body: &Expr, slot: usize) -> Option<(Compare, bool, &Expr)> {
    let (how, left, right) = match &body.kind {
        Kind::SameText {
            left,
            right,
            negate,
        } => (Compare::SameText { negate: *negate }, left, right),
        Kind::Binary {
            op: op @ (BinOp::Eq | BinOp::Ne),
            left,
            right,
            presence,
        } => (
            Compare::Equal {
                negate: *op == BinOp::Ne,
                presence: *presence,
            },
            left,
            right,
        ),
        _ => return None,
    };
    let outside = |e: &Expr| match e.kind {
        Kind::Slot(s) => s != slot,
        Kind::Const(_) => true,
        _ => false,
    };
    match (&left.kind, &right.kind) {
        (Kind::Slot(s), _) if *s == slot && outside(right) => Some((how, true, right)),
        (_, Kind::Slot(s)) if *s == slot && outside(left) => Some((how, false, left)),
        _ => None,
    }
}
