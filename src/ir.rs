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

mod codec;
mod memo;
pub use codec::decode;
#[cfg(test)]
pub use codec::encode;

/// Largest compiled size of a rule's regular expression (and of its lazy
/// DFA): a bound on what a hostile rule file can make the engine build.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A rule's regular expression, as the checker and a compiled pack build
/// it: bounded in size, matched in linear time.
pub fn regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
}

/// A rule's regular expression: its pattern, compiled once, when first
/// matched or ahead of that on another thread ([`Pattern::regex`]). The
/// checker hands over the one it compiled; a compiled pack decodes the
/// pattern alone (compiling its expressions was most of its decoding).
pub struct Pattern {
    text: String,
    compiled: std::sync::OnceLock<Option<regex::Regex>>,
    /// Unique in the process: what names it in the memo of answers.
    id: u64,
}

/// The next pattern's id.
static PATTERN_IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_id() -> u64 {
    PATTERN_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Pattern {
    pub fn compiled(re: regex::Regex) -> Pattern {
        Pattern {
            text: re.as_str().to_string(),
            compiled: std::sync::OnceLock::from(Some(re)),
            id: next_id(),
        }
    }

    /// A pattern the checker accepted, compiled when first needed.
    pub fn deferred(text: String) -> Pattern {
        Pattern {
            text,
            compiled: std::sync::OnceLock::new(),
            id: next_id(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The compiled expression (none only for a pattern the checker never
    /// saw that does not compile: it then matches nothing).
    pub fn regex(&self) -> Option<&regex::Regex> {
        self.compiled
            .get_or_init(|| regex(&self.text).ok())
            .as_ref()
    }

    /// Whether the expression matches `text` (asked of the same text
    /// before on this thread, answered from [`memo`]).
    pub fn is_match(&self, text: &str) -> bool {
        let a = memo::answer(self.id, memo::Question::Matches, text, || {
            memo::Answer::Matches(self.regex().is_some_and(|re| re.is_match(text)))
        });
        a == memo::Answer::Matches(true)
    }

    /// Where `capture` finds its text in `text`: the first group of the
    /// first match, or the whole match when the expression has no group.
    pub fn capture(&self, text: &str) -> Option<std::ops::Range<usize>> {
        let a = memo::answer(self.id, memo::Question::Capture, text, || {
            let found = self.regex().and_then(|re| {
                let c = re.captures(text)?;
                let m = c.get(1).or_else(|| c.get(0))?;
                Some((u32::try_from(m.start()).ok()?, u32::try_from(m.end()).ok()?))
            });
            memo::Answer::Capture(found)
        });
        a.range()
    }
}

/// As the expression itself prints: compiled or not, the same.
impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Regex").field(&self.text).finish()
    }
}

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
    /// Reads `host.vms` or `host.pci[].vms`: a cross-VM rule, run once every
    /// VM is loaded.
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
    Matches(Box<Expr>, Arc<Pattern>, Option<Prefix>),
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
    Call(usize, Vec<Expr>, Option<Arc<Pattern>>),
    Quant(Quant, usize, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
}

/// What a text must start with for a regular expression anchored at its
/// start (`^pci`, `(?i)^pci[a-z]*`) to match: checked before the
/// expression runs, as most texts a rule tries (every key of a `.vmx`)
/// fail at their first letters.
#[derive(Clone, Debug)]
pub struct Prefix {
    literal: Vec<u8>,
    ignore_case: bool,
}

impl Prefix {
    /// The prefix of `pattern`, when its syntax makes it plain: `^` (after
    /// `(?i)` at most), then letters and digits; none for a pattern with an
    /// alternation anywhere, or other flags.
    pub fn of(pattern: &str) -> Option<Prefix> {
        if pattern.contains('|') {
            return None;
        }
        let (ignore_case, rest) = match pattern.strip_prefix("(?i)") {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        let rest = rest.strip_prefix('^')?;
        let run = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
        let mut literal = rest.as_bytes().get(..run)?.to_vec();
        // a quantifier applies to the last letter: it is not required
        if matches!(rest.as_bytes().get(run), Some(b'*' | b'?' | b'{' | b'+')) {
            literal.pop();
        }
        (!literal.is_empty()).then_some(Prefix {
            literal,
            ignore_case,
        })
    }

    /// True when `text` cannot match. Past a character outside ASCII
    /// nothing is decided when case is ignored (case folding maps `K` to
    /// the Kelvin sign, and the letters after it are shifted): the
    /// expression then runs.
    pub fn rules_out(&self, text: &str) -> bool {
        let text = text.as_bytes();
        for (i, p) in self.literal.iter().enumerate() {
            // shorter than the prefix, in letters that each match one
            let Some(t) = text.get(i) else { return true };
            if self.ignore_case {
                if !t.is_ascii() {
                    return false;
                }
                if !p.eq_ignore_ascii_case(t) {
                    return true;
                }
            } else if p != t {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The prefix checked before a regular expression runs never turns a
        /// match away: on texts near the prefix, in any case, with the
        /// characters that case folding maps onto ASCII letters.
        #[test]
        fn a_regex_prefix_never_rules_out_a_match(
            ci in any::<bool>(),
            lit in "[a-zA-Z0-9ks]{1,5}",
            tail in prop_oneof![Just(""), Just("*"), Just("?"), Just("[a-z]*"), Just("[0-9]+\\."), Just("{0,2}")],
            text in "[a-zA-Z0-9ksKS\u{212A}\u{17F}\u{130}.]{0,8}",
        ) {
            let pattern = format!("{}^{lit}{tail}", if ci { "(?i)" } else { "" });
            let re = regex::Regex::new(&pattern).unwrap();
            if let Some(p) = super::Prefix::of(&pattern) {
                prop_assert!(!(p.rules_out(&text) && re.is_match(&text)), "{pattern} {text:?}");
            }
            // a matching text is never ruled out, built from the pattern's own letters
            let made: String = lit.chars().map(|c| if ci && c == 'k' { '\u{212A}' } else { c }).collect();
            if re.is_match(&made) && let Some(p) = super::Prefix::of(&pattern) {
                prop_assert!(!p.rules_out(&made), "{pattern} {made:?}");
            }
        }
    }

    #[test]
    fn a_prefix_is_only_what_the_syntax_makes_plain() {
        let of = |p: &str| {
            super::Prefix::of(p).map(|x| (String::from_utf8(x.literal).unwrap(), x.ignore_case))
        };
        assert_eq!(of("(?i)^pci[a-z]*[0-9]*\\."), Some(("pci".into(), true)));
        assert_eq!(of("^abc*"), Some(("ab".into(), false)));
        assert_eq!(of("^a|^b"), None);
        assert_eq!(of("pci"), None);
        assert_eq!(of("(?m)^pci"), None);
        assert_eq!(of("(?i)^(pci)"), None);
    }
}
