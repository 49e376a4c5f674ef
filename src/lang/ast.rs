//! The rule language's syntax tree. Every node keeps its span in the rule
//! file; the checker fills in `res` (what a name resolved to), and
//! `lower` turns the checked tree into the IR that the evaluator runs.

use crate::diagnostic::Severity;
pub use crate::ir::{
    Applicability, BinOp, Name, Quant, RuleInfo, SLOT_HOST, SLOT_SUBJECT, Target, UnOp,
};
use crate::source::Span;
use std::sync::Arc;

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
    /// Runs only when `select` names it.
    pub opt_in: bool,
    pub params: Vec<Param>,
    pub target: Option<(Target, Span)>,
    pub steps: Vec<Step>,
    pub assert: Option<Expr>,
    pub at: Option<Expr>,
    pub message: Option<Template>,
    pub related: Vec<(Expr, Template)>,
    pub fix: Option<Fix>,
    /// Filled by the checker.
    pub info: RuleInfo,
}

/// `fix safe set vm.hot_add.cpu = false, rename key to "..."`.
#[derive(Clone, Debug)]
pub struct Fix {
    pub applicability: Applicability,
    pub edits: Vec<FixEdit>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum FixEdit {
    Set { target: Expr, value: Expr },
    Remove { target: Expr },
    Rename { key: Expr, to: Expr },
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: Name,
    pub ty: Option<(String, Span)>,
    pub default: Expr,
    /// Slot of the parameter, set by the checker.
    pub slot: usize,
}

#[derive(Clone, Debug)]
pub enum Step {
    For {
        var: Name,
        list: Expr,
        filter: Option<Expr>,
        slot: usize,
    },
    Let {
        var: Name,
        value: Expr,
        slot: usize,
    },
    When(Expr),
}

#[derive(Clone, Debug)]
pub struct Template {
    pub parts: Vec<Part>,
    pub span: Span,
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
    pub kind: ExprKind,
    pub span: Span,
    pub res: Resolved,
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr {
            kind,
            span,
            res: Resolved::None,
        }
    }
}

/// A named predicate: `def uses_directpath(v: vm) = any(...)`, usable by
/// the rules of its file. The checker inlines it where it is called.
#[derive(Clone, Debug)]
pub struct Def {
    pub name: Name,
    pub params: Vec<(Name, Name)>,
    pub body: Expr,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<Expr>),
    Var(Name),
    Member(Box<Expr>, Name),
    Index(Box<Expr>, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Call(Name, Vec<Expr>),
    Quant(Quant, Name, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A subtree the parser refused (too deep); its error is already reported.
    Error,
}

/// What the checker resolved a node to.
#[derive(Clone, Debug, Default)]
pub enum Resolved {
    #[default]
    None,
    /// A variable, parameter or quantifier binding: its slot.
    Slot(usize),
    /// A model field: its index in `schema::FIELDS`.
    Field(usize),
    /// A built-in function: its index in `functions::FUNCTIONS`.
    Func(usize),
    /// A string literal used as a regular expression, compiled once.
    Regex(Arc<crate::ir::Pattern>),
    /// A string literal compared with a version or a PCI address, parsed once.
    Version(crate::model::Version),
    Pci(crate::model::PciAddr),
}
