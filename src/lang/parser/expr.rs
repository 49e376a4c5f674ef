//! Expressions: folds operators by precedence (Pratt) with a depth bound,
//! and builds literals, quantifiers, filters, calls and look-ups.

use super::{Builder, MAX_EXPR_DEPTH, PRATT, R};
use crate::lang::ast::*;
use crate::source::Span;
use pest::iterators::{Pair, Pairs};

impl Builder {
    pub(super) fn expr(&self, p: Pair<R>) -> Expr {
        self.fold(p.into_inner()).0
    }

    /// Folds operators by precedence; each node carries its depth so a
    /// chain deeper than [`MAX_EXPR_DEPTH`] becomes an error node.
    pub(super) fn fold(&self, pairs: Pairs<R>) -> (Expr, usize) {
        PRATT
            .map_primary(|p| self.primary_post(p))
            .map_prefix(|op, (e, d)| {
                let span = self.span(&op).to(e.span);
                let o = if op.as_rule() == R::op_not {
                    UnOp::Not
                } else {
                    UnOp::Neg
                };
                self.node(ExprKind::Unary(o, Box::new(e)), span, d + 1)
            })
            .map_infix(|(l, dl), op, (r, dr)| {
                let o = match op.as_rule() {
                    R::op_or => BinOp::Or,
                    R::op_and => BinOp::And,
                    R::op_eq => BinOp::Eq,
                    R::op_ne => BinOp::Ne,
                    R::op_lt => BinOp::Lt,
                    R::op_le => BinOp::Le,
                    R::op_gt => BinOp::Gt,
                    R::op_ge => BinOp::Ge,
                    R::op_in => BinOp::In,
                    R::op_not_in => BinOp::NotIn,
                    R::op_matches => BinOp::Matches,
                    R::op_add => BinOp::Add,
                    R::op_sub => BinOp::Sub,
                    R::op_mul => BinOp::Mul,
                    R::op_div => BinOp::Div,
                    _ => BinOp::Mod,
                };
                let span = l.span.to(r.span);
                self.node(
                    ExprKind::Binary(o, Box::new(l), Box::new(r)),
                    span,
                    dl.max(dr) + 1,
                )
            })
            .parse(pairs)
    }

    fn node(&self, kind: ExprKind, span: Span, depth: usize) -> (Expr, usize) {
        if depth > MAX_EXPR_DEPTH {
            if depth == MAX_EXPR_DEPTH + 1 {
                self.error(
                    span,
                    format!("expression deeper than {MAX_EXPR_DEPTH} operators"),
                    "too deep",
                );
            }
            return (Expr::new(ExprKind::Error, span), depth);
        }
        (Expr::new(kind, span), depth)
    }

    fn primary_post(&self, p: Pair<R>) -> (Expr, usize) {
        let mut inner = p.into_inner();
        let Some(first) = inner.next() else {
            return (Expr::new(ExprKind::Error, Span::file_start(self.file)), 1);
        };
        let (mut e, mut d) = self.primary(first);
        for post in inner {
            let span = e.span.to(self.span(&post));
            let rule = post.as_rule();
            let Some(x) = post.into_inner().next() else {
                continue;
            };
            (e, d) = if rule == R::member {
                self.node(ExprKind::Member(Box::new(e), self.name(&x)), span, d + 1)
            } else {
                let (i, di) = self.fold(x.into_inner());
                self.node(
                    ExprKind::Index(Box::new(e), Box::new(i)),
                    span,
                    d.max(di) + 1,
                )
            };
        }
        (e, d)
    }

    fn primary(&self, p: Pair<R>) -> (Expr, usize) {
        let span = self.span(&p);
        let leaf = |k| (Expr::new(k, span), 1);
        match p.as_rule() {
            R::null_lit => leaf(ExprKind::Null),
            R::true_lit => leaf(ExprKind::Bool(true)),
            R::false_lit => leaf(ExprKind::Bool(false)),
            R::int => match p.as_str().parse() {
                Ok(n) => leaf(ExprKind::Int(n)),
                Err(_) => {
                    self.error(span, "this number is too large", "too large");
                    leaf(ExprKind::Error)
                }
            },
            R::hex_int => match i64::from_str_radix(&p.as_str()[2..], 16) {
                Ok(n) => leaf(ExprKind::Int(n)),
                Err(_) => {
                    self.error(span, "this number is too large", "too large");
                    leaf(ExprKind::Error)
                }
            },
            R::string => leaf(ExprKind::Str(self.plain_string(p))),
            R::esc_string => leaf(ExprKind::Str(
                p.into_inner()
                    .next()
                    .map_or_else(String::new, |i| i.as_str().to_string()),
            )),
            R::ident => leaf(ExprKind::Var(self.name(&p))),
            R::expr => self.fold(p.into_inner()),
            R::list_lit => {
                let mut depth = 1;
                let items = p
                    .into_inner()
                    .map(|e| {
                        let (x, d) = self.fold(e.into_inner());
                        depth = depth.max(d + 1);
                        x
                    })
                    .collect();
                self.node(ExprKind::List(items), span, depth)
            }
            R::if_expr => {
                let mut depth = 1;
                let mut parts: Vec<Expr> = p
                    .into_inner()
                    .filter(|x| x.as_rule() == R::expr)
                    .map(|e| {
                        let (x, d) = self.fold(e.into_inner());
                        depth = depth.max(d + 1);
                        x
                    })
                    .collect();
                let (Some(f), Some(t), Some(c)) = (parts.pop(), parts.pop(), parts.pop()) else {
                    return leaf(ExprKind::Error);
                };
                self.node(
                    ExprKind::If(Box::new(c), Box::new(t), Box::new(f)),
                    span,
                    depth,
                )
            }
            R::quant => {
                let mut it = p.into_inner();
                let (Some(kw), Some(var), Some(_in), Some(list), Some(body)) =
                    (it.next(), it.next(), it.next(), it.next(), it.next())
                else {
                    return leaf(ExprKind::Error);
                };
                let q = match kw.as_str() {
                    "any" => Quant::Any,
                    "all" => Quant::All,
                    "none" => Quant::None,
                    "count" => Quant::Count,
                    "find" => Quant::Find,
                    _ => Quant::Sum,
                };
                let (l, dl) = self.fold(list.into_inner());
                let (b, db) = self.fold(body.into_inner());
                self.node(
                    ExprKind::Quant(q, self.name(&var), Box::new(l), Box::new(b)),
                    span,
                    dl.max(db) + 1,
                )
            }
            R::filter_lit => {
                let mut it = p.into_inner();
                let (Some(var), Some(_in), Some(list), Some(_where), Some(cond)) =
                    (it.next(), it.next(), it.next(), it.next(), it.next())
                else {
                    return leaf(ExprKind::Error);
                };
                let (l, dl) = self.fold(list.into_inner());
                let (c, dc) = self.fold(cond.into_inner());
                self.node(
                    ExprKind::Quant(Quant::Filter, self.name(&var), Box::new(l), Box::new(c)),
                    span,
                    dl.max(dc) + 1,
                )
            }
            R::call => {
                let mut it = p.into_inner();
                let Some(name) = it.next() else {
                    return leaf(ExprKind::Error);
                };
                let mut depth = 1;
                let args = it
                    .map(|e| {
                        let (x, d) = self.fold(e.into_inner());
                        depth = depth.max(d + 1);
                        x
                    })
                    .collect();
                self.node(ExprKind::Call(self.name(&name), args), span, depth)
            }
            _ => leaf(ExprKind::Error),
        }
    }
}
