//! Expressions: resolves names, fields, functions and predicates, checks
//! types, and parses the literals compared with versions, PCI addresses
//! and regular expressions once, when the rule loads.

use super::{Checker, def_type, defs};
use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::lang::ast::*;
use crate::model::{PciAddr, Version};
use crate::schema::enums::Enum;
use crate::schema::fields as schema;
use crate::schema::functions::{FUNCTIONS, lookup as lookup_fn};
use crate::schema::types::{Elem, RecordType, Ty};
use crate::source::Span;
use crate::suggest;
use std::sync::Arc;

impl Checker<'_> {
    pub(super) fn expr(&mut self, e: &mut Expr) -> Ty {
        let span = e.span;
        match &mut e.kind {
            ExprKind::Null => Ty::Null,
            ExprKind::Bool(_) => Ty::Bool,
            ExprKind::Int(_) => Ty::Int,
            ExprKind::Str(_) => Ty::Str,
            ExprKind::Error => Ty::Any,
            ExprKind::List(items) => {
                let mut t = Ty::Null;
                for i in items.iter_mut() {
                    let it = self.expr(i);
                    t = t.join(it);
                }
                Ty::List(t.to_elem())
            }
            ExprKind::Var(name) => {
                if name.text == "host" {
                    self.uses_host = true;
                }
                match self.scope.iter_mut().rev().find(|b| b.name == name.text) {
                    Some(b) => {
                        b.used = true;
                        e.res = Resolved::Slot(b.slot);
                        b.ty
                    }
                    None => {
                        let known: Vec<String> =
                            self.scope.iter().map(|b| b.name.clone()).collect();
                        let hint =
                            suggest::did_you_mean(&name.text, known.iter().map(String::as_str));
                        let n = name.text.clone();
                        self.err(
                            codes::RULE_NAME,
                            span,
                            format!("unknown name `{n}`{hint}"),
                            "not defined",
                        );
                        Ty::Any
                    }
                }
            }
            ExprKind::Member(base, field) => {
                let bt = self.expr(base);
                match bt {
                    Ty::Record(r) => match schema::lookup(r, &field.text)
                        .and_then(|i| Some((i, *schema::FIELDS.get(i)?)))
                    {
                        Some((i, f)) => {
                            e.res = Resolved::Field(i);
                            self.uses_vms |= f.name == "vms";
                            let raw = f.name == "raw" || f.name == "raw_keys";
                            self.uses_raw |= raw && r == RecordType::Vm;
                            self.uses_host_raw |= raw && r == RecordType::Host;
                            if r == RecordType::Vm && !self.vm_fields.contains(&f.name) {
                                self.vm_fields.push(f.name);
                            }
                            // a host device's VMs are found by their devices
                            if r == RecordType::HostPci
                                && f.name == "vms"
                                && !self.vm_fields.contains(&"passthrough")
                            {
                                self.vm_fields.push("passthrough");
                            }
                            f.ty
                        }
                        None => {
                            let hint = suggest::did_you_mean(&field.text, schema::names(r));
                            let (fs, ft) = (field.span, field.text.clone());
                            let all: Vec<&str> = schema::names(r).collect();
                            self.diags.push(
                                Diagnostic::new(
                                    codes::RULE_NAME,
                                    Severity::Error,
                                    fs,
                                    format!("{} has no field `{ft}`{hint}", Ty::Record(r)),
                                )
                                .with_label("unknown field")
                                .with_help(format!(
                                    "the fields of {} are: {}",
                                    Ty::Record(r),
                                    all.join(", ")
                                )),
                            );
                            Ty::Any
                        }
                    },
                    Ty::Any => Ty::Any,
                    other => {
                        let ft = field.text.clone();
                        self.err(
                            codes::RULE_TYPE,
                            field.span,
                            format!("{other} has no fields, so `.{ft}` cannot be read"),
                            "no such field",
                        );
                        Ty::Any
                    }
                }
            }
            ExprKind::Index(base, idx) => {
                let bt = self.expr(base);
                let it = self.expr(idx);
                match (bt, it) {
                    (Ty::List(el), Ty::Int | Ty::Any) => Ty::elem(el),
                    (Ty::List(Elem::Record(RecordType::HostPci)), Ty::Pci | Ty::Str) => {
                        self.literal_as(idx, Ty::Pci);
                        Ty::Record(RecordType::HostPci)
                    }
                    (Ty::List(Elem::Record(RecordType::Vm)), Ty::Str) => Ty::Record(RecordType::Vm),
                    (Ty::Raw, Ty::Str | Ty::Any) => Ty::Str,
                    (Ty::Any, _) => Ty::Any,
                    (b, i) => {
                        self.err(
                            codes::RULE_TYPE,
                            idx.span,
                            format!("{b} cannot be indexed by {i}"),
                            "wrong index",
                        );
                        Ty::Any
                    }
                }
            }
            ExprKind::Unary(op, x) => {
                let t = self.expr(x);
                let (want, out) = if *op == UnOp::Not {
                    (Ty::Bool, Ty::Bool)
                } else {
                    (Ty::Int, Ty::Int)
                };
                if !t.fits(want) {
                    let sym = if *op == UnOp::Not { "not" } else { "-" };
                    self.err(
                        codes::RULE_TYPE,
                        x.span,
                        format!("`{sym}` needs {want}, but this is {t}"),
                        "wrong type",
                    );
                }
                out
            }
            ExprKind::Binary(op, l, r) => {
                let op = *op;
                let lt = self.expr(l);
                let rt = self.expr(r);
                self.binary(op, l, r, lt, rt, span)
            }
            ExprKind::If(c, t, f) => {
                self.condition(c, "an `if` condition");
                let a = self.expr(t);
                let b = self.expr(f);
                a.join(b)
            }
            ExprKind::Quant(q, var, list, body) => {
                let q = *q;
                let lt = self.expr(list);
                let el = self.element_of(lt, list.span);
                let mark = self.scope.len();
                let slot = self.bind(var, el, true);
                e.res = Resolved::Slot(slot);
                let bt = self.expr(body);
                let want = if q == Quant::Sum { Ty::Int } else { Ty::Bool };
                let list_ty = lt;
                if !bt.fits(want) {
                    self.err(
                        codes::RULE_TYPE,
                        body.span,
                        format!("expected {want}, but this is {bt}"),
                        "wrong type",
                    );
                }
                self.pop_to(mark);
                match q {
                    Quant::Count | Quant::Sum => Ty::Int,
                    Quant::Find => el,
                    Quant::Filter => list_ty,
                    _ => Ty::Bool,
                }
            }
            ExprKind::Call(name, args) if self.predicate(name).is_some() => {
                let Some(def) = self.predicate(name) else {
                    return Ty::Any;
                };
                if args.len() != def.params.len() {
                    let msg = format!(
                        "predicate `{}` takes {} argument(s), but {} were given",
                        def.name.text,
                        def.params.len(),
                        args.len()
                    );
                    self.err(codes::RULE_TYPE, span, msg, "wrong number of arguments");
                    return Ty::Any;
                }
                for (arg, (pname, pty)) in args.iter_mut().zip(&def.params) {
                    let want = def_type(&pty.text);
                    let got = self.expr(arg);
                    if !got.fits(want) {
                        let msg = format!(
                            "`{}` of `{}` is {want}, but this is {got}",
                            pname.text, def.name.text
                        );
                        self.err(codes::RULE_TYPE, arg.span, msg, "wrong type");
                    }
                }
                self.expansions += 1;
                if self.expansions > defs::MAX_EXPANSIONS || self.depth >= defs::MAX_DEPTH {
                    let msg = format!(
                        "predicates are inlined more than {} times, or nested more than {} deep, in this rule",
                        defs::MAX_EXPANSIONS,
                        defs::MAX_DEPTH
                    );
                    self.err(codes::RULE_TYPE, span, msg, "expands too far");
                    e.kind = ExprKind::Error;
                    return Ty::Any;
                }
                *e = defs::expand(def, args, &mut self.fresh);
                // the body sees only the predicates defined before its own
                let own = self
                    .defs
                    .iter()
                    .position(|d| std::ptr::eq(d, def))
                    .unwrap_or(0);
                let (visible, depth) = (self.visible, self.depth);
                self.visible = own;
                self.depth += 1;
                let t = self.expr(e);
                self.visible = visible;
                self.depth = depth;
                t
            }
            ExprKind::Call(name, args) => {
                let Some(fi) = lookup_fn(&name.text) else {
                    let hint = suggest::did_you_mean(&name.text, FUNCTIONS.iter().map(|f| f.name));
                    let (ns, nt) = (name.span, name.text.clone());
                    for a in args.iter_mut() {
                        self.expr(a);
                    }
                    self.err(
                        codes::RULE_NAME,
                        ns,
                        format!("unknown function `{nt}`{hint}"),
                        "unknown function",
                    );
                    return Ty::Any;
                };
                e.res = Resolved::Func(fi);
                let Some(f) = FUNCTIONS.get(fi) else {
                    return Ty::Any;
                };
                if args.len() != f.params.len() {
                    self.err(
                        codes::RULE_TYPE,
                        span,
                        format!(
                            "`{}` takes {} argument{}, but {} {} given",
                            f.name,
                            f.params.len(),
                            if f.params.len() == 1 { "" } else { "s" },
                            args.len(),
                            if args.len() == 1 { "was" } else { "were" }
                        ),
                        "wrong number of arguments",
                    );
                }
                for (i, a) in args.iter_mut().enumerate() {
                    let at = self.expr(a);
                    if let Some(want) = f.params.get(i)
                        && !at.fits(*want)
                    {
                        self.err(
                            codes::RULE_TYPE,
                            a.span,
                            format!(
                                "argument {} of `{}` must be {want}, but this is {at}",
                                i + 1,
                                f.name
                            ),
                            "wrong type",
                        );
                    }
                    if f.regex_arg == Some(i) {
                        self.regex(a);
                    }
                }
                f.ret
            }
        }
    }

    fn binary(&mut self, op: BinOp, l: &mut Expr, r: &mut Expr, lt: Ty, rt: Ty, span: Span) -> Ty {
        use BinOp::*;
        let mismatch = |c: &mut Self, what: &str| {
            c.err(
                codes::RULE_TYPE,
                span,
                format!("cannot {what} {lt} with {rt}"),
                "incompatible types",
            );
        };
        match op {
            Or | And => {
                for (t, x) in [(lt, &*l), (rt, &*r)] {
                    if !t.fits(Ty::Bool) {
                        self.err(
                            codes::RULE_TYPE,
                            x.span,
                            format!(
                                "`{}` needs true or false on both sides, but this is {t}",
                                op.symbol()
                            ),
                            "not a condition",
                        );
                    }
                }
                Ty::Bool
            }
            Eq | Ne => {
                if !self.comparable(l, r, lt, rt) {
                    mismatch(self, "compare");
                }
                Ty::Bool
            }
            Lt | Le | Gt | Ge => {
                let ok = match (lt, rt) {
                    (Ty::Any | Ty::Null, _) | (_, Ty::Any | Ty::Null) => true,
                    (Ty::Int, Ty::Int) | (Ty::Str, Ty::Str) | (Ty::Version, Ty::Version) => true,
                    (Ty::Version, Ty::Str) => self.literal_as(r, Ty::Version),
                    (Ty::Str, Ty::Version) => self.literal_as(l, Ty::Version),
                    _ => false,
                };
                if !ok {
                    mismatch(self, "order");
                }
                Ty::Bool
            }
            In | NotIn => {
                if let (Ty::Enum(en), ExprKind::List(items)) = (lt, &mut r.kind) {
                    for item in items.iter_mut() {
                        self.member_of(item, en);
                    }
                }
                match rt {
                    Ty::List(e) => {
                        let et = Ty::elem(e);
                        if !(lt.fits(et) || et.fits(lt)) {
                            mismatch(self, "look for");
                        }
                    }
                    Ty::Str if lt.fits(Ty::Str) => {}
                    Ty::Any | Ty::Null => {}
                    _ => mismatch(self, "look for"),
                }
                Ty::Bool
            }
            Matches => {
                if !lt.fits(Ty::Str) {
                    self.err(
                        codes::RULE_TYPE,
                        l.span,
                        format!("`matches` needs a string on its left, but this is {lt}"),
                        "not a string",
                    );
                }
                self.regex(r);
                Ty::Bool
            }
            Add if lt == Ty::Str || rt == Ty::Str => {
                if !(lt.fits(Ty::Str) && rt.fits(Ty::Str)) {
                    mismatch(self, "add");
                }
                Ty::Str
            }
            Add | Sub | Mul | Div | Mod => {
                if !(lt.fits(Ty::Int) && rt.fits(Ty::Int)) {
                    mismatch(self, &format!("apply `{}` to", op.symbol()));
                }
                Ty::Int
            }
        }
    }

    fn comparable(&mut self, l: &mut Expr, r: &mut Expr, lt: Ty, rt: Ty) -> bool {
        match (lt, rt) {
            (Ty::Enum(e), Ty::Str) => self.member_of(r, e),
            (Ty::Str, Ty::Enum(e)) => self.member_of(l, e),
            (Ty::Enum(_), Ty::Enum(_)) => true,
            (a, b) if a == b => true,
            (Ty::Any | Ty::Null, _) | (_, Ty::Any | Ty::Null) => true,
            (Ty::Version, Ty::Str) => self.literal_as(r, Ty::Version),
            (Ty::Str, Ty::Version) => self.literal_as(l, Ty::Version),
            (Ty::Pci, Ty::Str) => self.literal_as(r, Ty::Pci),
            (Ty::Str, Ty::Pci) => self.literal_as(l, Ty::Pci),
            (Ty::List(_), Ty::List(_)) => true,
            _ => false,
        }
    }

    /// A string literal compared with a value of a closed set must be one
    /// of its values: `dev.kind == "statc"` would never be true.
    fn member_of(&mut self, e: &mut Expr, set: Enum) -> bool {
        if let ExprKind::Str(s) = &e.kind
            && !set.contains(s)
        {
            let hint = suggest::did_you_mean(s, set.values().iter().copied());
            let msg = format!("`{s}` is never a value here{hint}; the values are {set}");
            self.err(codes::RULE_TYPE, e.span, msg, "not one of the values");
        }
        true
    }

    /// A string literal used as a version or PCI address is parsed now, so
    /// a typo is reported at load time. Non-literals are compared at run time.
    fn literal_as(&mut self, e: &mut Expr, ty: Ty) -> bool {
        let ExprKind::Str(s) = &e.kind else {
            return true;
        };
        match ty {
            Ty::Version => match Version::parse(s) {
                Some(v) => e.res = Resolved::Version(v),
                None => {
                    let s = s.clone();
                    self.err(
                        codes::RULE_TYPE,
                        e.span,
                        format!("`{s}` is not a version such as \"8.0.2\" or \"8.0 U2\""),
                        "not a version",
                    );
                }
            },
            _ => match PciAddr::parse(s) {
                Some(p) => e.res = Resolved::Pci(p),
                None => {
                    let s = s.clone();
                    self.err(
                        codes::RULE_TYPE,
                        e.span,
                        format!("`{s}` is not a PCI address such as \"0000:3b:00.0\""),
                        "not a PCI address",
                    );
                }
            },
        }
        true
    }

    /// Regular expressions must be literals: compiled once, bounded in
    /// size, and matched in linear time (no look-around, no backreferences).
    fn regex(&mut self, e: &mut Expr) {
        let ExprKind::Str(pattern) = &e.kind else {
            self.err(
                codes::RULE_TYPE,
                e.span,
                "a regular expression must be a string literal".into(),
                "not a literal",
            );
            return;
        };
        match crate::ir::regex(pattern) {
            Ok(re) => e.res = Resolved::Regex(Arc::new(crate::ir::Pattern::compiled(re))),
            Err(err) => {
                let msg = err
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or("invalid")
                    .trim()
                    .to_string();
                self.diags.push(
                    Diagnostic::new(codes::RULE_TYPE, Severity::Error, e.span, format!("invalid regular expression: {msg}"))
                        .with_label("here")
                        .with_help("vmlint's regular expressions run in linear time: no look-around, no backreferences"),
                );
            }
        }
    }
}

pub(super) fn is_literal(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Null | ExprKind::Bool(_) | ExprKind::Int(_) | ExprKind::Str(_) => true,
        ExprKind::Unary(UnOp::Neg, x) => matches!(x.kind, ExprKind::Int(_)),
        ExprKind::List(items) => items.iter().all(is_literal),
        _ => false,
    }
}
