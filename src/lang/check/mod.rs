//! Checks rules when they load: takes parsed rules, resolves every name
//! against the field and function tables, checks types, and reports
//! unknown names (with "did you mean"), type errors, duplicate codes and
//! unused bindings, each pointing into the `.rules` file.

use super::ast::*;
use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::schema::functions::lookup as lookup_fn;
use crate::schema::types::{RecordType, Ty, from_name};
use crate::source::Span;
use std::collections::HashMap;

mod defs;
mod expr;
use expr::is_literal;

/// Most `for`, `let` and `when` clauses in one rule (each one is a level
/// of the evaluator's recursion).
pub const MAX_STEPS: usize = 64;

pub use crate::lang::ast::{SLOT_HOST, SLOT_SUBJECT};

/// Checks every rule and the uniqueness of codes across them.
pub fn check_all(rules: &mut [Rule], defs: &[Def], taken: &[&Name]) -> Vec<Diagnostic> {
    let mut diags = check_defs(defs);
    let mut seen: HashMap<String, Span> = taken.iter().map(|n| (n.text.clone(), n.span)).collect();
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
        "vm" => Ty::Record(RecordType::Vm),
        "host" => Ty::Record(RecordType::Host),
        "device" => Ty::Record(RecordType::Device),
        "host_pci" => Ty::Record(RecordType::HostPci),
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
    vm_fields: Vec<&'static str>,
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
            vm_fields: Vec::new(),
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
            Some((Target::Vm, _)) => Ty::Record(RecordType::Vm),
            Some((Target::Host, _)) => Ty::Record(RecordType::Host),
            None => {
                self.err(
                    codes::RULE_SYNTAX,
                    rule.span,
                    format!("rule `{}` does not say what it checks", rule.code.text),
                    "add `on vm` or `on host`",
                );
                Ty::Record(RecordType::Vm)
            }
        };
        let subject_name = if subject == Ty::Record(RecordType::Host) {
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
            ty: Ty::Record(RecordType::Host),
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
        if let Some(fix) = &mut rule.fix {
            self.fix(fix);
        }
        self.pop_to(base.min(self.scope.len()));
        self.pop_to(0);
        rule.info = RuleInfo {
            slots: self.slots,
            uses_host: self.uses_host,
            uses_vms: self.uses_vms,
            uses_raw: self.uses_raw,
            uses_host_raw: self.uses_host_raw,
            vm_fields: std::mem::take(&mut self.vm_fields),
        };
    }

    /// A `fix` sets fields that a descriptor can write (a `.vmx` key or a
    /// YAML key) to values of their type, or renames a raw key.
    fn fix(&mut self, fix: &mut crate::lang::ast::Fix) {
        use crate::lang::ast::FixEdit;
        for edit in &mut fix.edits {
            match edit {
                FixEdit::Set { target, value } => {
                    let want = self.expr(target);
                    let got = self.expr(value);
                    let field = match target.res {
                        Resolved::Field(i) => crate::schema::fields::FIELDS.get(i),
                        _ => None,
                    };
                    match field {
                        Some(f) if !f.vmx.is_empty() || !f.yaml.is_empty() => {
                            if !got.fits(want) {
                                self.err(
                                    codes::RULE_TYPE,
                                    value.span,
                                    format!("`{}` is {want}, but this is {got}", f.name),
                                    "a value of the wrong type",
                                );
                            }
                        }
                        _ => self.err(
                            codes::RULE_TYPE,
                            target.span,
                            "a fix sets a field that descriptors write, such as `vm.hot_add.cpu`"
                                .to_string(),
                            "not a field a fix can set",
                        ),
                    }
                }
                FixEdit::Remove { target } => {
                    self.expr(target);
                    let settable = match target.res {
                        Resolved::Field(i) => crate::schema::fields::FIELDS
                            .get(i)
                            .is_some_and(|f| !f.vmx.is_empty() || !f.yaml.is_empty()),
                        _ => false,
                    };
                    if !settable {
                        self.err(
                            codes::RULE_TYPE,
                            target.span,
                            "a fix removes a field that descriptors write, such as `vm.hot_add.cpu`"
                                .to_string(),
                            "not a field a fix can remove",
                        );
                    }
                }
                FixEdit::Rename { key, to } => {
                    for e in [key, to] {
                        let t = self.expr(e);
                        if !t.fits(Ty::Str) {
                            self.err(
                                codes::RULE_TYPE,
                                e.span,
                                format!("a key to rename is a string, but this is {t}"),
                                "not a string",
                            );
                        }
                    }
                }
            }
        }
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
}
