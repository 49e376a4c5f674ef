//! The compiled form of a rule, below the rule language (which lowers its
//! checked tree into it) and the evaluator (which runs it): names are
//! resolved to slots, fields to their index in the field table and
//! functions to theirs; literals are folded into shared values (versions
//! and PCI addresses parsed, regular expressions compiled) so evaluation
//! looks nothing up by name and allocates nothing for a constant. Only
//! `lang::compile` makes one, after the checker found no error, so an
//! unchecked tree cannot be evaluated.

use crate::diagnostic::Severity;
use crate::schema::value::Val;
use crate::source::Span;
use std::sync::Arc;

/// Slot of the rule's subject (`vm` or `host`), and of `host` in VM rules.
pub const SLOT_SUBJECT: usize = 0;
pub const SLOT_HOST: usize = 1;

#[derive(Clone, Debug)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Vm,
    Host,
}

/// What the checker learnt about a rule.
#[derive(Clone, Debug, Default)]
pub struct RuleInfo {
    /// Number of variable slots the evaluator needs.
    pub slots: usize,
    /// Mentions `host` (evaluated once per candidate host).
    pub uses_host: bool,
    /// Reads `host.vms`: a cross-VM rule, run once every VM is loaded.
    pub uses_vms: bool,
    /// Reads `raw` or `raw_keys` of a VM.
    pub uses_raw: bool,
    /// Reads `raw` of a host.
    pub uses_host_raw: bool,
    /// The fields of a VM it reads, by name (what a VM kept for a cross-VM
    /// rule must hold).
    pub vm_fields: Vec<&'static str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Matches,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::NotIn => "not in",
            BinOp::Matches => "matches",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quant {
    Any,
    All,
    None,
    Count,
    Sum,
    /// The first item that satisfies the condition, or null.
    Find,
    /// The list of the items that satisfy the condition.
    Filter,
}

/// A parameter: its name, declared type and default value.
#[derive(Clone, Debug)]
pub struct Param {
    pub name: Name,
    pub ty: Option<(String, Span)>,
    pub default: Val<'static>,
    pub slot: usize,
}

/// A checked, lowered rule.
#[derive(Clone, Debug)]
pub struct Rule {
    pub code: Name,
    pub slug: Name,
    /// `rule CODE slug` itself.
    pub span: Span,
    pub severity: Severity,
    pub summary: Option<Template>,
    pub help: Option<Template>,
    pub url: Option<Template>,
    pub docs: Option<String>,
    pub tags: Vec<String>,
    pub opt_in: bool,
    pub params: Vec<Param>,
    pub target: Target,
    pub steps: Vec<Step>,
    pub assert: Expr,
    pub at: Option<Expr>,
    pub message: Option<Template>,
    pub related: Vec<(Expr, Template)>,
    pub fix: Option<Fix>,
    pub info: RuleInfo,
}

/// How safe a rule's fix is: `safe` keeps the meaning, `unsafe` may change
/// it (applied with `--unsafe-fixes`), `display` is only shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applicability {
    Safe,
    Unsafe,
    Display,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::Display => "display-only",
        }
    }
}

/// A rule's `fix` clause: edits of model fields.
#[derive(Clone, Debug)]
pub struct Fix {
    pub applicability: Applicability,
    pub edits: Vec<FixEdit>,
}

#[derive(Clone, Debug)]
pub enum FixEdit {
    /// `set FIELD = VALUE`: the field's index in the table, the expression
    /// that reads it (where it stands, or its parent when missing), and the
    /// new value.
    Set {
        field: usize,
        target: Expr,
        value: Expr,
    },
    /// `remove FIELD`: the key that says it goes.
    Remove { field: usize, target: Expr },
    /// `rename KEY to NAME`: a raw key (its span) and its new spelling.
    Rename { key: Expr, to: Expr },
}

#[derive(Clone, Debug)]
pub enum Step {
    For {
        slot: usize,
        list: Expr,
        filter: Option<Expr>,
    },
    Let {
        slot: usize,
        value: Expr,
    },
    When(Expr),
}

#[derive(Clone, Debug)]
pub struct Template {
    pub parts: Vec<Part>,
}

impl Template {
    /// Text only, no holes: the same for every finding.
    pub fn is_plain(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Text(_)))
    }
}

#[derive(Clone, Debug)]
pub enum Part {
    Text(String),
    Hole(Expr),
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: Kind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Kind {
    /// A literal, folded: numbers, strings, versions, PCI addresses, null
    /// and lists of literals.
    Const(Val<'static>),
    List(Vec<Expr>),
    Slot(usize),
    /// A field of a record: its index in the field table.
    Field(Box<Expr>, usize),
    Index(Box<Expr>, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    /// `presence`: one side is the literal `null`, so `==` and `!=` ask
    /// whether the other is there and always answer.
    Binary {
        op: BinOp,
        left: Box<Expr>,
        right: Box<Expr>,
        presence: bool,
    },
    Matches(Box<Expr>, Arc<regex::Regex>),
    /// `lower(a) == lower(b)` (`!=` when `negate`), or `lower(a)` against a
    /// literal already in lower case: `a` and `b` (the literal) compared
    /// regardless of case, without building the lowered texts.
    SameText {
        left: Box<Expr>,
        right: Box<Expr>,
        negate: bool,
    },
    /// A built-in function: its index in the function table, and its
    /// compiled regular expression argument, if it takes one.
    Call(usize, Vec<Expr>, Option<Arc<regex::Regex>>),
    Quant(Quant, usize, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
}
