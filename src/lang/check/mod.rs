//! Checks rules when they load: takes parsed rules, resolves every name
//! against the field and function tables, checks types, and reports
//! unknown names (with "did you mean"), type errors, duplicate codes and
//! unused bindings, each pointing into the `.rules` file.

use super::ast::*;
use super::schema;
use super::types::{Elem, RecTy, Ty, from_name};
use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::eval::functions::{FUNCTIONS, lookup as lookup_fn};
use crate::model::{PciAddr, Version};
use crate::source::Span;
use crate::suggest;
use std::collections::HashMap;
use std::sync::Arc;

mod defs;

/// Largest compiled regular expression a rule may use.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Most `for`, `let` and `when` clauses in one rule (each one is a level
/// of the evaluator's recursion).
pub const MAX_STEPS: usize = 64;

/// Slot of the rule's subject (`vm` or `host`), and of `host` in VM rules.
pub const SLOT_SUBJECT: usize = 0;
pub const SLOT_HOST: usize = 1;

/// Checks every rule and the uniqueness of codes across them.
pub fn check_all(rules: &mut [Rule], defs: &[Def]) -> Vec<Diagnostic> {
    let mut diags = check_defs(defs);
    let mut seen: HashMap<String, Span> = HashMap::new();
    for rule in rules.iter_mut() {
        if let Some(first) = seen.get(&rule.code.text) {
            diags.push(
                Diagnostic::new(codes::RULE_DUPLICATE, Severity::Error, rule.code.span, format!("rule code `{}` is defined twice", rule.code.text))
                    .with_label("defined again here")
                    .with_related(*first, "first defined here")
                    .with_help("every rule needs its own code; users refer to rules by code in configs and suppressions"),
            );
        } else {
            seen.insert(rule.code.text.clone(), rule.code.span);
        }
        Checker::new(&mut diags, defs, defs.len()).rule(rule);
    }
    // a predicate's errors are found where it is defined and again where it
    // is inlined: each is reported once
    diags.sort_by(|a, b| (a.primary.span, &a.message).cmp(&(b.primary.span, &b.message)));
    diags.dedup_by(|a, b| a.primary.span == b.primary.span && a.message == b.message);
    diags
}

/// Checks each predicate's body once, with its parameters bound to their
/// declared types; a predicate sees only those defined before it.
fn check_defs(defs: &[Def]) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for (i, d) in defs.iter().enumerate() {
        let before = defs.get(..i).unwrap_or(&[]);
        if let Some(first) = before
            .iter()
            .find(|o| o.name.text == d.name.text && o.name.span.file == d.name.span.file)
        {
            diags.push(
                Diagnostic::new(
                    codes::RULE_DUPLICATE,
                    Severity::Error,
                    d.name.span,
                    format!("predicate `{}` is defined twice", d.name.text),
                )
                .with_label("defined again here")
                .with_related(first.name.span, "first defined here"),
            );
        }
        if lookup_fn(&d.name.text).is_some() {
            diags.push(
                Diagnostic::new(
                    codes::RULE_NAME,
                    Severity::Error,
                    d.name.span,
                    format!(
                        "`{}` is a built-in function; name the predicate otherwise",
                        d.name.text
                    ),
                )
                .with_label("taken by a built-in function"),
            );
        }
        let mut c = Checker::new(&mut diags, defs, i);
        for (name, ty) in &d.params {
            let t = def_type(&ty.text);
            c.bind(name, t, true);
        }
        let mut body = d.body.clone();
        c.expr(&mut body);
        c.pop_to(0);
    }
    diags
}

/// The type a predicate's parameter declares.
fn def_type(name: &str) -> Ty {
    match name {
        "vm" => Ty::Rec(RecTy::Vm),
        "host" => Ty::Rec(RecTy::Host),
        "device" => Ty::Rec(RecTy::Device),
        "host_pci" => Ty::Rec(RecTy::HostPci),
        other => from_name(other).unwrap_or(Ty::Any),
    }
}

struct Binding {
    name: String,
    ty: Ty,
    slot: usize,
    span: Span,
    used: bool,
    /// Unused-binding reports apply to `for`, `let` and parameters.
    report_unused: bool,
}

struct Checker<'d> {
    diags: &'d mut Vec<Diagnostic>,
    scope: Vec<Binding>,
    slots: usize,
    uses_host: bool,
    uses_vms: bool,
    uses_raw: bool,
    uses_host_raw: bool,
    /// Every predicate, and how many of them (in order) may be called here.
    defs: &'d [Def],
    visible: usize,
    fresh: usize,
    expansions: usize,
    /// Predicates being inlined inside each other here.
    depth: usize,
}

impl<'d> Checker<'d> {
    fn new(diags: &'d mut Vec<Diagnostic>, defs: &'d [Def], visible: usize) -> Checker<'d> {
        Checker {
            diags,
            scope: Vec::new(),
            slots: 0,
            uses_host: false,
            uses_vms: false,
            uses_raw: false,
            uses_host_raw: false,
            defs,
            visible,
            fresh: 0,
            expansions: 0,
            depth: 0,
        }
    }

    /// The predicate a call names: one of the same file, defined where
    /// this expression may see it.
    fn predicate(&self, name: &Name) -> Option<&'d Def> {
        let defs: &'d [Def] = self.defs;
        defs.get(..self.visible)?
            .iter()
            .find(|d| d.name.text == name.text && d.name.span.file == name.span.file)
    }

    fn err(&mut self, code: &str, span: Span, msg: String, label: &str) {
        self.diags
            .push(Diagnostic::new(code, Severity::Error, span, msg).with_label(label));
    }

    fn bind(&mut self, name: &Name, ty: Ty, report_unused: bool) -> usize {
        let slot = self.slots;
        self.slots += 1;
        self.scope.push(Binding {
            name: name.text.clone(),
            ty,
            slot,
            span: name.span,
            used: false,
            report_unused,
        });
        slot
    }

    fn pop_to(&mut self, len: usize) {
        while self.scope.len() > len {
            if let Some(b) = self.scope.pop() {
                self.report_unused(&b);
            }
        }
    }

    fn report_unused(&mut self, b: &Binding) {
        if b.report_unused && !b.used && !b.name.starts_with('_') {
            self.diags.push(
                Diagnostic::new(
                    codes::RULE_UNUSED,
                    Severity::Error,
                    b.span,
                    format!("`{}` is never used", b.name),
                )
                .with_label("bound here")
                .with_help(format!("use it, remove it, or name it `_{}`", b.name)),
            );
        }
    }

    fn rule(&mut self, rule: &mut Rule) {
        let subject = match rule.target {
            Some((Target::Vm, _)) => Ty::Rec(RecTy::Vm),
            Some((Target::Host, _)) => Ty::Rec(RecTy::Host),
            None => {
                self.err(
                    codes::RULE_SYNTAX,
                    rule.span,
                    format!("rule `{}` does not say what it checks", rule.code.text),
                    "add `on vm` or `on host`",
                );
                Ty::Rec(RecTy::Vm)
            }
        };
        let subject_name = if subject == Ty::Rec(RecTy::Host) {
            "host"
        } else {
            "vm"
        };
        self.scope.push(Binding {
            name: subject_name.into(),
            ty: subject,
            slot: SLOT_SUBJECT,
            span: rule.span,
            used: true,
            report_unused: false,
        });
        self.scope.push(Binding {
            name: "host".into(),
            ty: Ty::Rec(RecTy::Host),
            slot: SLOT_HOST,
            span: rule.span,
            used: true,
            report_unused: false,
        });
        self.slots = 2;
        if rule.steps.len() > MAX_STEPS {
            let n = rule.steps.len();
            self.err(
                codes::RULE_SYNTAX,
                rule.span,
                format!("rule `{}` has {n} `for`, `let` and `when` clauses; at most {MAX_STEPS} are allowed", rule.code.text),
                "too many clauses",
            );
            rule.steps.truncate(MAX_STEPS);
        }
        if rule.assert.is_none() {
            self.err(
                codes::RULE_SYNTAX,
                rule.span,
                format!("rule `{}` has no `assert`", rule.code.text),
                "add `assert CONDITION`",
            );
        }
        for p in &mut rule.params {
            let lit_ty = self.expr(&mut p.default);
            if !is_literal(&p.default) {
                self.err(
                    codes::RULE_TYPE,
                    p.default.span,
                    "a parameter's default must be a literal value".into(),
                    "not a literal",
                );
            }
            let ty = match &p.ty {
                Some((name, span)) => match from_name(name) {
                    Some(t) => {
                        if !lit_ty.fits(t) {
                            self.err(
                                codes::RULE_TYPE,
                                p.default.span,
                                format!(
                                    "the default is {lit_ty}, but the parameter is declared {t}"
                                ),
                                "wrong type",
                            );
                        }
                        t
                    }
                    None => {
                        let span = *span;
                        self.err(
                            codes::RULE_TYPE,
                            span,
                            format!("unknown type `{name}`"),
                            "unknown type",
                        );
                        Ty::Any
                    }
                },
                None if lit_ty == Ty::Null => {
                    self.err(codes::RULE_TYPE, p.name.span, format!("parameter `{}` defaults to null, so it needs a type: `param {}: int = null`", p.name.text, p.name.text), "type needed");
                    Ty::Any
                }
                None => lit_ty,
            };
            p.slot = self.bind(&p.name, ty, true);
        }
        // summary and url are read outside findings too: parameters only
        for t in [&mut rule.summary, &mut rule.url].into_iter().flatten() {
            self.template(t);
        }
        let base = self.scope.len();
        for step in &mut rule.steps {
            match step {
                Step::For {
                    var,
                    list,
                    filter,
                    slot,
                } => {
                    let lt = self.expr(list);
                    let elem = self.element_of(lt, list.span);
                    *slot = self.bind(var, elem, true);
                    if let Some(f) = filter {
                        self.condition(f, "a `where` condition");
                    }
                }
                Step::Let { var, value, slot } => {
                    let t = self.expr(value);
                    *slot = self.bind(var, t, true);
                }
                Step::When(e) => self.condition(e, "a `when` condition"),
            }
        }
        if let Some(a) = &mut rule.assert {
            self.condition(a, "an assertion");
        }
        if let Some(at) = &mut rule.at {
            self.expr(at);
        }
        // message and help are read in a finding: every binding is in scope
        for t in [&mut rule.message, &mut rule.help].into_iter().flatten() {
            self.template(t);
        }
        for (e, t) in &mut rule.related {
            self.expr(e);
            self.template(t);
        }
        self.pop_to(base.min(self.scope.len()));
        self.pop_to(0);
        rule.info = RuleInfo {
            slots: self.slots,
            uses_host: self.uses_host,
            uses_vms: self.uses_vms,
            uses_raw: self.uses_raw,
            uses_host_raw: self.uses_host_raw,
        };
    }

    fn template(&mut self, t: &mut Template) {
        for p in &mut t.parts {
            if let Part::Hole(e) = p {
                self.expr(e);
            }
        }
    }

    fn condition(&mut self, e: &mut Expr, what: &str) {
        let t = self.expr(e);
        if !t.fits(Ty::Bool) {
            self.err(
                codes::RULE_TYPE,
                e.span,
                format!("{what} must be true or false, but this is {t}"),
                "not a condition",
            );
        }
    }

    fn element_of(&mut self, t: Ty, span: Span) -> Ty {
        match t {
            Ty::List(e) => Ty::elem(e),
            Ty::Any | Ty::Null => Ty::Any,
            other => {
                self.err(
                    codes::RULE_TYPE,
                    span,
                    format!("expected a list, but this is {other}"),
                    "not a list",
                );
                Ty::Any
            }
        }
    }

    fn expr(&mut self, e: &mut Expr) -> Ty {
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
                        e.res = Res::Slot(b.slot);
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
                    Ty::Rec(r) => match schema::lookup(r, &field.text) {
                        Some(i) => {
                            e.res = Res::Field(i);
                            let f = &schema::FIELDS[i];
                            self.uses_vms |= f.name == "vms";
                            let raw = f.name == "raw" || f.name == "raw_keys";
                            self.uses_raw |= raw && r == RecTy::Vm;
                            self.uses_host_raw |= raw && r == RecTy::Host;
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
                                    format!("{} has no field `{ft}`{hint}", Ty::Rec(r)),
                                )
                                .with_label("unknown field")
                                .with_help(format!(
                                    "the fields of {} are: {}",
                                    Ty::Rec(r),
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
                    (Ty::List(Elem::Rec(RecTy::HostPci)), Ty::Pci | Ty::Str) => {
                        self.literal_as(idx, Ty::Pci);
                        Ty::Rec(RecTy::HostPci)
                    }
                    (Ty::List(Elem::Rec(RecTy::Vm)), Ty::Str) => Ty::Rec(RecTy::Vm),
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
                e.res = Res::Slot(slot);
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
                e.res = Res::Func(fi);
                let f = &FUNCTIONS[fi];
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

    /// A string literal used as a version or PCI address is parsed now, so
    /// a typo is reported at load time. Non-literals are compared at run time.
    fn literal_as(&mut self, e: &mut Expr, ty: Ty) -> bool {
        let ExprKind::Str(s) = &e.kind else {
            return true;
        };
        match ty {
            Ty::Version => match Version::parse(s) {
                Some(v) => e.res = Res::Version(v),
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
                Some(p) => e.res = Res::Pci(p),
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
        match regex::RegexBuilder::new(pattern)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_SIZE_LIMIT)
            .build()
        {
            Ok(re) => e.res = Res::Regex(Arc::new(re)),
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

fn is_literal(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Null | ExprKind::Bool(_) | ExprKind::Int(_) | ExprKind::Str(_) => true,
        ExprKind::Unary(UnOp::Neg, x) => matches!(x.kind, ExprKind::Int(_)),
        ExprKind::List(items) => items.iter().all(is_literal),
        _ => false,
    }
}
