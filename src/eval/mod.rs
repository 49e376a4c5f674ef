//! The evaluator: takes checked rules and the inventory, gives findings.
//!
//! Rules are checked once; each VM (and host) is evaluated independently,
//! in parallel, in `driver`. Evaluation always terminates: the language has
//! no recursion and loops only over finite lists from the model.

pub mod driver;
mod fixes;
mod forms;
mod ops;

use ops::{index, order, same_text, share};

use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::ir::*;
use crate::schema::fields::FieldContext;
use crate::schema::value::{Val, Value, equal};

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;

/// A checked rule with its parameter values (defaults, or the configuration's).
#[derive(Clone)]
pub struct CompiledRule {
    pub rule: Rule,
    /// The rule's code, shared by its findings.
    pub code: Arc<str>,
    pub params: Vec<(usize, Val<'static>)>,
    pub severity: Severity,
    /// `help` and `url` with the parameters filled in, shared by every
    /// finding (a text whose holes read the finding is rendered with it).
    pub links: Option<Arc<crate::diagnostic::Links>>,
    /// Name and summary for the findings, set once the parameters are final.
    pub meta: Option<Arc<crate::diagnostic::RuleMeta>>,
    /// The text of each `related` label without holes, shared by the
    /// findings.
    pub related_texts: Vec<Option<Arc<str>>>,
}

impl CompiledRule {
    pub fn help(&self) -> Option<&str> {
        self.links.as_ref()?.help.as_deref()
    }

    pub fn url(&self) -> Option<&str> {
        self.links.as_ref()?.url.as_deref()
    }

    /// A rule of the IR, with its parameters at their defaults.
    pub fn new(rule: Rule) -> CompiledRule {
        let params = rule
            .params
            .iter()
            .map(|p| (p.slot, p.default.clone()))
            .collect();
        let severity = rule.severity;
        let related_texts = rule
            .related
            .iter()
            .map(|(_, t)| {
                let text = t.parts.iter().map(|p| match p {
                    Part::Text(x) => Some(x.as_str()),
                    Part::Hole(_) => None,
                });
                text.collect::<Option<String>>().map(Arc::from)
            })
            .collect();
        CompiledRule {
            related_texts,
            code: Arc::from(rule.code.text.as_str()),
            rule,
            params,
            severity,
            links: None,
            meta: None,
        }
    }
}

/// What the rules run on one subject share: the variable slots' buffer,
/// and the list fields already built (`vm.passthrough` is read by most
/// rules; `host.vms` by each device of a cross-VM rule). Field getters
/// are pure, so a list read again is the same list.
#[derive(Default)]
pub struct Scratch<'a> {
    env: Vec<Val<'a>>,
    pending: Vec<Option<&'a Expr>>,
    lists: Vec<(usize, usize, Val<'a>)>,
    args: Vec<Val<'a>>,
}

/// Runs one rule on one subject. `host` is the VM's host for VM rules.
pub fn run<'a>(
    c: &'a CompiledRule,
    subject: Val<'a>,
    host: Val<'a>,
    ctx: &FieldContext<'a>,
    scratch: &mut Scratch<'a>,
    out: &mut Vec<Diagnostic>,
) {
    let mut env = std::mem::take(&mut scratch.env);
    env.clear();
    env.resize(c.rule.info.slots.max(2), Val::null());
    if let Some(s) = env.get_mut(SLOT_SUBJECT) {
        *s = subject;
    }
    if let Some(h) = env.get_mut(SLOT_HOST) {
        *h = host;
    }
    for (slot, v) in &c.params {
        if let Some(s) = env.get_mut(*slot) {
            *s = v.clone();
        }
    }
    let mut ev = Eval {
        ctx,
        env,
        budget: STEP_BUDGET,
        lists: std::mem::take(&mut scratch.lists),
        args: std::mem::take(&mut scratch.args),
        pending: std::mem::take(&mut scratch.pending),
    };
    ev.pending.clear();
    ev.pending.resize(c.rule.info.slots, None);
    ev.steps(c, 0, out);
    if ev.budget == 0 {
        // the subject always comes from a file; else the rule itself is the place
        let span = ev.env.first().and_then(|v| v.span).unwrap_or(c.rule.span);
        out.push(
            Diagnostic::new(
                crate::diagnostic::codes::UNREADABLE,
                Severity::Error,
                span,
                format!("rule {} gave up on this file after {STEP_BUDGET} loop steps; its result here is unknown", c.rule.code.text),
            )
            .with_label("not fully checked")
            .with_help("the rule walks too many combinations (nested `for` or quantifiers over long lists); narrow it with `where`"),
        );
    }
    scratch.env = ev.env;
    scratch.lists = ev.lists;
    scratch.args = ev.args;
    scratch.pending = ev.pending;
}

/// Loop iterations (of `for` and of quantifiers) one rule may spend on one
/// VM or host: real rules use a few thousand; nested loops over long lists
/// would otherwise run for hours.
pub const STEP_BUDGET: u64 = 1_000_000;

struct Eval<'c, 'a> {
    ctx: &'c FieldContext<'a>,
    env: Vec<Val<'a>>,
    /// Steps left; at 0 every loop stops and the run reports that it gave up.
    budget: u64,
    /// List fields built for this subject: (field, record, list).
    lists: Vec<(usize, usize, Val<'a>)>,
    /// The arguments of the calls being evaluated.
    args: Vec<Val<'a>>,
    /// The `let`s not evaluated yet, by slot: a value is worked out when
    /// first read, so one that only a message or a branch not taken needs
    /// costs nothing for the subjects that pass. Evaluation is pure and
    /// every binding has its own slot, so when it is read changes nothing.
    pending: Vec<Option<&'a Expr>>,
}

impl<'a> Eval<'_, 'a> {
    /// Evaluates the `let` of `slot` if it is still pending.
    fn force(&mut self, slot: usize) {
        if let Some(e) = self.pending.get_mut(slot).and_then(Option::take) {
            let v = self.eval(e);
            self.set(slot, v);
        }
    }

    fn set(&mut self, slot: usize, v: Val<'a>) {
        if let Some(s) = self.env.get_mut(slot) {
            *s = v;
        }
    }

    /// Spends one loop step; false once the budget is gone.
    fn spend(&mut self) -> bool {
        self.budget = self.budget.saturating_sub(1);
        self.budget > 0
    }

    fn steps(&mut self, c: &'a CompiledRule, i: usize, out: &mut Vec<Diagnostic>) {
        let Some(step) = c.rule.steps.get(i) else {
            self.finish(c, out);
            return;
        };
        match step {
            Step::For { list, filter, slot } => {
                let l = self.eval(list);
                let Some(items) = l.as_list() else { return };
                let guard = filter.as_ref().and_then(|f| prefix_guard(f, *slot));
                for item in items.iter() {
                    if !self.spend() {
                        return;
                    }
                    // an item the filter's first `matches` rules out by its
                    // prefix is not bound: the filter is false for it
                    if let (Some(p), Value::Str(s)) = (guard, &item.v)
                        && p.rules_out(s)
                    {
                        continue;
                    }
                    self.set(*slot, item.clone());
                    if filter.as_ref().is_none_or(|f| self.eval(f).is_true()) {
                        self.steps(c, i + 1, out);
                    }
                }
            }
            Step::Let { value, slot } => {
                if let Some(p) = self.pending.get_mut(*slot) {
                    *p = Some(value);
                }
                self.steps(c, i + 1, out);
            }
            Step::When(e) => {
                if self.eval(e).is_true() {
                    self.steps(c, i + 1, out);
                }
            }
        }
    }

    /// Evaluates the assertion; when it does not hold, builds the finding.
    fn finish(&mut self, c: &'a CompiledRule, out: &mut Vec<Diagnostic>) {
        let assert = &c.rule.assert;
        if self.budget == 0 {
            return;
        }
        let verdict = self.eval(assert);
        // only a definite `false` is a finding: unknown is not, unless the
        // rule says what a missing value means (`default`, `exists`)
        if !verdict.is_false() {
            return;
        }
        // a finding: every binding is worked out, as a fix looks for its
        // device among them
        for slot in 0..self.pending.len() {
            self.force(slot);
        }
        let at = match &c.rule.at {
            Some(e) => self.eval(e),
            None => verdict,
        };
        let subject_span = self
            .env
            .get(SLOT_SUBJECT)
            .and_then(|v| v.span)
            .unwrap_or(c.rule.span);
        let span = at.span.unwrap_or(subject_span);
        let message = match (&c.rule.message, &c.rule.summary) {
            (Some(t), _) | (None, Some(t)) => self.render(t),
            (None, None) => c.rule.slug.text.replace('-', " "),
        };
        let mut d = Diagnostic::new(Arc::clone(&c.code), c.severity, span, message);
        if at.missing {
            d.primary.message = Arc::from("missing");
        }
        // kept until the output, one per finding: room for these labels only
        let mut related = Vec::with_capacity(c.rule.related.len());
        for (i, (e, t)) in c.rule.related.iter().enumerate() {
            let v = self.eval(e);
            if let Some(s) = v.span {
                match c.related_texts.get(i).cloned().flatten() {
                    Some(text) if !v.missing => related.push(Label::shared(s, text)),
                    _ => {
                        let mut m = self.render(t);
                        if v.missing {
                            m.push_str(" (missing)");
                        }
                        related.push(Label::new(s, m));
                    }
                }
            }
        }
        d.related = related.into_boxed_slice();
        // a text without holes is shared by every finding of the rule
        fn own(t: &Option<crate::ir::Template>) -> Option<&crate::ir::Template> {
            t.as_ref().filter(|t| !t.is_plain())
        }
        d.links = match (own(&c.rule.help), own(&c.rule.url)) {
            (None, None) => c.links.clone(),
            (help, url) => Some(Arc::new(crate::diagnostic::Links {
                help: help.map_or_else(
                    || c.links.as_ref().and_then(|l| l.help.clone()),
                    |t| Some(Arc::from(self.render(t))),
                ),
                url: url.map_or_else(
                    || c.links.as_ref().and_then(|l| l.url.clone()),
                    |t| Some(Arc::from(self.render(t))),
                ),
            })),
        };
        d.meta = c.meta.clone();
        d.subject = self.subject(c);
        if let Some(fix) = &c.rule.fix {
            d.fix = self.fix(fix).map(Box::new);
        }
        out.push(d);
    }

    /// A hash of what the `for` clauses stand on: the same device of the
    /// same VM gives the same subject on every host it is checked against.
    fn subject(&self, c: &CompiledRule) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for step in &c.rule.steps {
            if let Step::For { slot, .. } = step {
                let v = self.env.get(*slot);
                v.and_then(|v| v.span).hash(&mut h);
                // the value as a message reads it, hashed as it is written
                if let Some(v) = v {
                    let _ = std::fmt::Write::write_fmt(&mut Hashing(&mut h), format_args!("{v}"));
                }
                h.write_u8(0xff);
            }
        }
        h.finish()
    }

    pub fn render(&mut self, t: &'a Template) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        for p in &t.parts {
            match p {
                Part::Text(x) => s.push_str(x),
                Part::Hole(e) => {
                    let v = self.eval(e);
                    let _ = write!(s, "{v}");
                }
            }
        }
        // a finding keeps its texts until the output: not the room that
        // growing them left
        s.shrink_to_fit();
        s
    }

    fn eval(&mut self, e: &'a Expr) -> Val<'a> {
        match &e.kind {
            Kind::Const(v) => share(v),
            Kind::List(items) => {
                let vals = items.iter().map(|i| self.eval(i)).collect();
                Val::new(Value::List(Arc::new(vals)), None)
            }
            Kind::Slot(s) => {
                self.force(*s);
                self.env.get(*s).cloned().unwrap_or_else(Val::null)
            }
            Kind::Field(base, i) => self.field(base, *i),
            Kind::Index(base, idx) => {
                let b = self.eval(base);
                let i = self.eval(idx);
                index(&b, &i)
            }
            Kind::Unary(op, x) => {
                let v = self.eval(x);
                let r = match (op, &v.v) {
                    // not unknown is unknown
                    (UnOp::Not, Value::Bool(b)) => Value::Bool(!b),
                    (UnOp::Not, _) => Value::Null,
                    (UnOp::Neg, Value::Int(i)) => i.checked_neg().map_or(Value::Null, Value::Int),
                    _ => Value::Null,
                };
                Val::new(r, None).at(&v)
            }
            Kind::Binary {
                op,
                left,
                right,
                presence,
            } => self.binary(*op, left, right, *presence),
            Kind::Matches(l, re, prefix) => {
                let a = self.eval(l);
                let v = match &a.v {
                    Value::Str(s) if prefix.as_ref().is_some_and(|p| p.rules_out(s)) => {
                        Value::Bool(false)
                    }
                    Value::Str(s) => Value::Bool(re.is_match(s)),
                    Value::Null => Value::Null,
                    _ => Value::Bool(false),
                };
                Val::new(v, None).at(&a)
            }
            Kind::SameText {
                left,
                right,
                negate,
            } => {
                let a = self.eval(left);
                let b = self.eval(right);
                same_text(&a, &b, *negate)
            }
            Kind::If(c, t, f) => {
                if self.eval(c).is_true() {
                    self.eval(t)
                } else {
                    self.eval(f)
                }
            }
            Kind::Quant(q, slot, list, body) => self.quant(*q, *slot, list, body),
            Kind::Call(fi, args, re) => self.call(*fi, args, re.as_deref()),
        }
    }

    fn binary(&mut self, op: BinOp, l: &'a Expr, r: &'a Expr, presence: bool) -> Val<'a> {
        use BinOp::*;
        let a = self.eval(l);
        match op {
            And if a.is_false() => return Val::bool(false, None).at(&a),
            Or if a.is_true() => return Val::bool(true, None).at(&a),
            _ => {}
        }
        let b = self.eval(r);
        // Kleene logic: a comparison with a missing value is unknown (null),
        // and so is what depends on it; `x == null` and `x != null` ask
        // whether a value is present, and always answer
        let unknown = !presence && (a.is_null() || b.is_null());
        match op {
            And if b.is_false() => return Val::bool(false, None).at(&b),
            Or if b.is_true() => return Val::bool(true, None).at(&b),
            And | Or if a.is_null() || b.is_null() => return Val::null().at(&b),
            Eq | Ne | Lt | Le | Gt | Ge | In | NotIn if unknown => {
                let src = if a.is_null() { &a } else { &b };
                return Val::null().at(src);
            }
            _ => {}
        }
        // the result is located at the operand that came from a descriptor
        let src = if matches!(op, And | Or) || a.span.is_none() {
            &b
        } else {
            &a
        };
        let src = if src.span.is_none() { &a } else { src };
        let v = match op {
            And | Or => Value::Bool(b.is_true()),
            Eq | Ne => return equality(&a, &b, op == Ne, presence),
            Lt => Value::Bool(order(&a.v, &b.v) == Some(Ordering::Less)),
            Le => Value::Bool(matches!(
                order(&a.v, &b.v),
                Some(Ordering::Less | Ordering::Equal)
            )),
            Gt => Value::Bool(order(&a.v, &b.v) == Some(Ordering::Greater)),
            Ge => Value::Bool(matches!(
                order(&a.v, &b.v),
                Some(Ordering::Greater | Ordering::Equal)
            )),
            In | NotIn => {
                let found = match (&a.v, &b.v) {
                    (_, Value::List(items)) => items.iter().any(|x| equal(&a.v, &x.v)),
                    (Value::Str(s), Value::Str(hay)) => hay.contains(s.as_ref()),
                    _ => false,
                };
                Value::Bool(found == (op == In))
            }
            // lowered to `Kind::Matches`
            Matches => Value::Null,
            Add => match (&a.v, &b.v) {
                (Value::Int(x), Value::Int(y)) => x.checked_add(*y).map_or(Value::Null, Value::Int),
                (Value::Str(x), Value::Str(y)) => Value::Str(Cow::Owned(format!("{x}{y}"))),
                _ => Value::Null,
            },
            Sub | Mul | Div | Mod => match (&a.v, &b.v) {
                (Value::Int(x), Value::Int(y)) => match op {
                    Sub => x.checked_sub(*y),
                    Mul => x.checked_mul(*y),
                    Div => x.checked_div(*y),
                    _ => x.checked_rem(*y),
                }
                .map_or(Value::Null, Value::Int),
                _ => Value::Null,
            },
        };
        Val::new(v, None).at(src)
    }
}

/// `a == b` (`!=` when `negate`) as `Eval::binary` answers it: unknown
/// when either side is missing (unless one side is the literal `null`),
/// located at the operand that came from a descriptor.
fn equality<'a>(a: &Val<'a>, b: &Val<'a>, negate: bool, presence: bool) -> Val<'a> {
    if !presence && (a.is_null() || b.is_null()) {
        return Val::null().at(if a.is_null() { a } else { b });
    }
    let src = if a.span.is_none() { b } else { a };
    let src = if src.span.is_none() { a } else { src };
    Val::new(Value::Bool(equal(&a.v, &b.v) != negate), None).at(src)
}

/// Text written into a hash, as it is written: no string is built.
struct Hashing<'h, H>(&'h mut H);

impl<H: std::hash::Hasher> std::fmt::Write for Hashing<'_, H> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.write(s.as_bytes());
        Ok(())
    }
}

/// The literal prefix a `for` filter requires of the item bound to `slot`:
/// that of a `slot matches "^..."` the filter starts with (alone, or first
/// of an `and`, whose other side is then not evaluated).
fn prefix_guard(filter: &Expr, slot: usize) -> Option<&crate::ir::Prefix> {
    match &filter.kind {
        Kind::Binary {
            op: BinOp::And,
            left,
            ..
        } => prefix_guard(left, slot),
        Kind::Matches(item, _, Some(prefix)) if matches!(item.kind, Kind::Slot(s) if s == slot) => {
            Some(prefix)
        }
        _ => None,
    }
}

/// A rule's summary with its parameters filled in, for `vmlint rules`.
pub fn summary(c: &CompiledRule) -> String {
    match &c.rule.summary {
        Some(t) => describe(c, t),
        None => c.rule.slug.text.replace('-', " "),
    }
}

/// A text clause of a rule (summary, help, url) with its parameters
/// filled in: what it says outside any finding.
pub fn describe(c: &CompiledRule, t: &Template) -> String {
    let inv = crate::model::inventory::Inventory::default();
    let ctx = FieldContext::new(&inv);
    let mut env: Vec<Val<'_>> = vec![Val::null(); c.rule.info.slots.max(2)];
    for (slot, v) in &c.params {
        if let Some(s) = env.get_mut(*slot) {
            *s = v.clone();
        }
    }
    Eval {
        ctx: &ctx,
        env,
        budget: STEP_BUDGET,
        lists: Vec::new(),
        args: Vec::new(),
        pending: Vec::new(),
    }
    .render(t)
}
