//! Rule files: takes the text of a `.rules` file, gives rules (the AST) and
//! syntax diagnostics. The only module that sees pest's types.
//!
//! The file is cut into `rule` blocks first, so that a syntax error in one
//! rule does not hide the errors of the others: every broken rule is
//! reported. Nesting is bounded before pest sees the text, so a hostile
//! rule file cannot overflow the stack.

use super::ast::*;
pub use super::prescan::MAX_NESTING;
use super::prescan::{split, too_deep};
use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::source::{FileId, Span};
use pest::Parser as _;
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::cell::RefCell;

use std::sync::LazyLock;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/vmlint.pest"]
struct RuleParser;

type R = Rule;
type Ast = super::ast::Rule;

/// Deepest expression tree accepted (operators chained without brackets).
pub const MAX_EXPR_DEPTH: usize = 256;

static PRATT: LazyLock<PrattParser<R>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(R::op_or, Assoc::Left))
        .op(Op::infix(R::op_and, Assoc::Left))
        .op(Op::prefix(R::op_not))
        .op(Op::infix(R::op_eq, Assoc::Left)
            | Op::infix(R::op_ne, Assoc::Left)
            | Op::infix(R::op_lt, Assoc::Left)
            | Op::infix(R::op_le, Assoc::Left)
            | Op::infix(R::op_gt, Assoc::Left)
            | Op::infix(R::op_ge, Assoc::Left)
            | Op::infix(R::op_in, Assoc::Left)
            | Op::infix(R::op_not_in, Assoc::Left)
            | Op::infix(R::op_matches, Assoc::Left))
        .op(Op::infix(R::op_add, Assoc::Left) | Op::infix(R::op_sub, Assoc::Left))
        .op(Op::infix(R::op_mul, Assoc::Left)
            | Op::infix(R::op_div, Assoc::Left)
            | Op::infix(R::op_mod, Assoc::Left))
        .op(Op::prefix(R::op_neg))
});

/// A parsed rule file: its rules and its named predicates.
#[derive(Default)]
pub struct RuleFile {
    pub rules: Vec<Ast>,
    pub defs: Vec<Def>,
}

/// Parses a whole rule file. All syntax errors are reported, one per
/// broken rule or predicate.
pub fn parse_file(file: FileId, text: &str) -> (RuleFile, Vec<Diagnostic>) {
    pest::set_call_limit(std::num::NonZeroUsize::new(20_000_000));
    let mut out = RuleFile::default();
    let mut diags = Vec::new();
    let (chunks, stray) = split(text);
    if let Some((s, e)) = stray {
        diags.push(
            Diagnostic::new(
                codes::RULE_SYNTAX,
                Severity::Error,
                Span::new(file, s, e),
                "expected `rule`",
            )
            .with_label("this is outside any rule")
            .with_help(
                "a rule file is a list of `rule CODE name { ... }` blocks and `def name(x: vm) = ...` predicates; comments start with `#`",
            ),
        );
    }
    // rule blocks parse apart, on every core: the embedded pack is most of
    // the start-up of a one-file run
    use rayon::prelude::*;
    let parsed: Vec<(Option<Chunk>, Vec<Diagnostic>)> = chunks
        .par_iter()
        .map(|&(start, end)| parse_chunk(file, text, start, end))
        .collect();
    for (chunk, d) in parsed {
        match chunk {
            Some(Chunk::Rule(r)) => out.rules.push(*r),
            Some(Chunk::Defs(defs)) => out.defs.extend(defs),
            None => {}
        }
        diags.extend(d);
    }
    (out, diags)
}

/// What one block of a rule file holds.
enum Chunk {
    Rule(Box<Ast>),
    Defs(Vec<Def>),
}

/// Parses the block of `text` from `start` to `end`.
fn parse_chunk(
    file: FileId,
    text: &str,
    start: usize,
    end: usize,
) -> (Option<Chunk>, Vec<Diagnostic>) {
    let chunk = text.get(start..end).unwrap_or("");
    if let Some(d) = too_deep(file, chunk, start) {
        return (None, vec![d]);
    }
    let b = Builder {
        file,
        base: start,
        end,
        errors: RefCell::new(Vec::new()),
    };
    let kind = if chunk.starts_with("def") {
        R::def_chunk
    } else {
        R::rule_chunk
    };
    let mut diags = Vec::new();
    let out = match RuleParser::parse(kind, chunk) {
        Ok(mut pairs) => match pairs.next().and_then(|p| p.into_inner().next()) {
            Some(p) if kind == R::def_chunk => Some(Chunk::Defs(b.def(p).into_iter().collect())),
            Some(p) => Some(Chunk::Rule(Box::new(b.rule(p)))),
            None => None,
        },
        Err(e) => {
            diags.push(b.pest_error(&e));
            None
        }
    };
    diags.extend(b.errors.into_inner());
    (out, diags)
}

struct Builder {
    file: FileId,
    base: usize,
    /// The end of the text this builder parses (spans never pass it).
    end: usize,
    errors: RefCell<Vec<Diagnostic>>,
}

impl Builder {
    fn span(&self, p: &Pair<R>) -> Span {
        let s = p.as_span();
        Span::new(self.file, self.base + s.start(), self.base + s.end())
    }

    fn name(&self, p: &Pair<R>) -> Name {
        Name {
            text: p.as_str().to_string(),
            span: self.span(p),
        }
    }

    fn error(&self, span: Span, msg: impl Into<String>, label: &str) {
        self.errors.borrow_mut().push(
            Diagnostic::new(codes::RULE_SYNTAX, Severity::Error, span, msg).with_label(label),
        );
    }

    fn pest_error(&self, e: &pest::error::Error<R>) -> Diagnostic {
        let (s, end) = match e.location {
            pest::error::InputLocation::Pos(p) => (p, p + 1),
            pest::error::InputLocation::Span((s, e)) => (s, e.max(s + 1)),
        };
        // an error at the very end of the text is located on its last byte
        let limit = self.end.saturating_sub(self.base);
        let (s, end) = (s.min(limit), end.min(limit));
        let expected = match &e.variant {
            pest::error::ErrorVariant::ParsingError { positives, .. } => describe(positives),
            pest::error::ErrorVariant::CustomError { message } => message.clone(),
        };
        Diagnostic::new(
            codes::RULE_SYNTAX,
            Severity::Error,
            Span::new(self.file, self.base + s, self.base + end),
            format!("syntax error: expected {expected}"),
        )
        .with_label(format!("expected {expected}"))
    }

    fn rule(&self, p: Pair<R>) -> Ast {
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let _kw = inner.next();
        let code = inner.next().map(|c| self.name(&c)).unwrap_or(Name {
            text: String::new(),
            span,
        });
        let slug = inner.next().map(|c| self.name(&c)).unwrap_or(Name {
            text: String::new(),
            span,
        });
        let mut rule = Ast {
            span: code.span.to(slug.span),
            code,
            slug,
            severity: Severity::Error,
            summary: None,
            help: None,
            url: None,
            docs: None,
            tags: Vec::new(),
            opt_in: false,
            params: Vec::new(),
            target: None,
            steps: Vec::new(),
            assert: None,
            at: None,
            message: None,
            related: Vec::new(),
            fix: None,
            info: RuleInfo::default(),
        };
        // the clauses a rule gives once, and where each was first given
        let mut given: Vec<(R, Span)> = Vec::new();
        for clause in inner {
            let cspan = self.span(&clause);
            let kind = clause.as_rule();
            let once = [
                (R::severity_c, "severity"),
                (R::summary_c, "summary"),
                (R::help_c, "help"),
                (R::url_c, "url"),
                (R::docs_c, "docs"),
                (R::tags_c, "tags"),
                (R::opt_in_c, "opt_in"),
                (R::on_c, "on"),
                (R::assert_c, "assert"),
                (R::at_c, "at"),
                (R::message_c, "message"),
                (R::fix_c, "fix"),
            ];
            if let Some((_, what)) = once.iter().find(|(k, _)| *k == kind) {
                match given.iter().find(|(k, _)| *k == kind) {
                    Some((_, first)) => self.errors.borrow_mut().push(
                        Diagnostic::new(
                            codes::RULE_SYNTAX,
                            Severity::Error,
                            cspan,
                            format!("`{what}` is given twice in rule {}", rule.code.text),
                        )
                        .with_label("given again here")
                        .with_related(*first, "first given here")
                        .with_help(format!("a rule has one `{what}` clause; remove one")),
                    ),
                    None => given.push((kind, cspan)),
                }
            }
            let mut parts = clause.into_inner();
            let _kw = parts.next();
            let first = parts.next();
            let second = parts.next();
            let third = parts.next();
            match (kind, first) {
                (R::severity_c, Some(v)) => {
                    rule.severity = Severity::parse(v.as_str()).unwrap_or(Severity::Error)
                }
                (R::summary_c, Some(v)) => rule.summary = Some(self.template(v)),
                (R::help_c, Some(v)) => rule.help = Some(self.template(v)),
                (R::url_c, Some(v)) => rule.url = Some(self.template(v)),
                (R::docs_c, Some(v)) => rule.docs = Some(self.plain_string(v)),
                (R::tags_c, Some(v)) => {
                    let all = std::iter::once(v).chain(second).chain(third).chain(parts);
                    rule.tags.extend(all.map(|t| self.plain_string(t)));
                    continue;
                }
                (R::opt_in_c, _) => rule.opt_in = true,
                (R::param_c, Some(n)) => {
                    let (ty, default) = match (second, third) {
                        (Some(t), Some(d)) if t.as_rule() == R::type_name => {
                            (Some((t.as_str().to_string(), self.span(&t))), d)
                        }
                        (Some(d), _) => (None, d),
                        (None, _) => continue,
                    };
                    rule.params.push(Param {
                        name: self.name(&n),
                        ty,
                        default: self.expr(default),
                        slot: 0,
                    });
                }
                (R::on_c, Some(t)) => {
                    let target = if t.as_str() == "vm" {
                        Target::Vm
                    } else {
                        Target::Host
                    };
                    rule.target = Some((target, self.span(&t)));
                }
                (R::for_c, Some(var)) => {
                    let _in = second;
                    let list = third.map(|l| self.expr(l));
                    let filter = parts.nth(1).map(|f| self.expr(f));
                    if let Some(list) = list {
                        rule.steps.push(Step::For {
                            var: self.name(&var),
                            list,
                            filter,
                            slot: 0,
                        });
                    }
                }
                (R::let_c, Some(var)) => {
                    if let Some(v) = second {
                        rule.steps.push(Step::Let {
                            var: self.name(&var),
                            value: self.expr(v),
                            slot: 0,
                        });
                    }
                }
                (R::when_c, Some(e)) => rule.steps.push(Step::When(self.expr(e))),
                (R::assert_c, Some(e)) => rule.assert = Some(self.expr(e)),
                (R::at_c, Some(e)) => rule.at = Some(self.expr(e)),
                (R::message_c, Some(v)) => rule.message = Some(self.template(v)),
                (R::related_c, Some(e)) => {
                    if let Some(t) = second {
                        rule.related.push((self.expr(e), self.template(t)));
                    }
                }
                (R::fix_c, Some(k)) => {
                    let applicability = match k.as_str() {
                        "unsafe" => Applicability::Unsafe,
                        "display" => Applicability::Display,
                        _ => Applicability::Safe,
                    };
                    let mut edits = Vec::new();
                    for e in second.into_iter().chain(third).chain(parts) {
                        let kind = e.as_rule();
                        let mut it = e.into_inner();
                        let _kw = it.next();
                        let (Some(a), b) = (it.next(), it.next()) else {
                            continue;
                        };
                        if kind == R::fix_remove {
                            edits.push(FixEdit::Remove {
                                target: self.expr(a),
                            });
                            continue;
                        }
                        match (kind, b) {
                            (R::fix_set, Some(v)) => edits.push(FixEdit::Set {
                                target: self.expr(a),
                                value: self.expr(v),
                            }),
                            (R::fix_rename, Some(to)) => {
                                // `rename KEY to NAME`: the `to` keyword sits between
                                let to = if to.as_rule() == R::kw_to {
                                    it.next()
                                } else {
                                    Some(to)
                                };
                                if let Some(to) = to {
                                    edits.push(FixEdit::Rename {
                                        key: self.expr(a),
                                        to: self.expr(to),
                                    });
                                }
                            }
                            _ => {}
                        }
                    }
                    rule.fix = Some(Fix {
                        applicability,
                        edits,
                        span: cspan,
                    });
                    continue;
                }
                _ => {}
            }
            if matches!(kind, R::for_c | R::let_c | R::when_c) && rule.assert.is_some() {
                self.error(
                    cspan,
                    "`for`, `let` and `when` must come before `assert`",
                    "after `assert`",
                );
            }
        }
        rule
    }

    fn def(&self, p: Pair<R>) -> Option<Def> {
        let mut it = p.into_inner();
        let _kw = it.next();
        let name = self.name(&it.next()?);
        let mut params = Vec::new();
        let mut body = None;
        for part in it {
            match part.as_rule() {
                R::def_param => {
                    let mut pi = part.into_inner();
                    if let (Some(n), Some(t)) = (pi.next(), pi.next()) {
                        params.push((self.name(&n), self.name(&t)));
                    }
                }
                R::expr => body = Some(self.expr(part)),
                _ => {}
            }
        }
        Some(Def {
            name,
            params,
            body: body?,
        })
    }

    fn string_body<'i>(&self, p: &Pair<'i, R>) -> (Pair<'i, R>, bool) {
        let inner = p.clone().into_inner().next();
        match inner {
            Some(i) if i.as_rule() == R::triple => match i.clone().into_inner().next() {
                Some(t) => (t, true),
                None => (i, true),
            },
            Some(i) => (i, false),
            None => (p.clone(), false),
        }
    }

    fn plain_string(&self, p: Pair<R>) -> String {
        let (body, triple) = self.string_body(&p);
        if triple {
            dedent(body.as_str())
        } else {
            unescape(body.as_str())
        }
    }

    /// A template: text and `{expression}` holes, as the grammar parsed
    /// them where they stand, so their spans point at the right text.
    fn template(&self, p: Pair<R>) -> Template {
        let span = self.span(&p);
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut triple = false;
        let mut inner: Vec<Pair<R>> = p.into_inner().collect();
        if let [only] = inner.as_slice()
            && only.as_rule() == R::triple_tpl
        {
            triple = true;
            inner = only.clone().into_inner().collect();
        }
        for part in inner {
            match part.as_rule() {
                R::tpl_text => text.push_str(&unescape(part.as_str())),
                R::triple_text => text.push_str(part.as_str()),
                R::tpl_open => text.push('{'),
                R::tpl_close => text.push('}'),
                R::tpl_hole => {
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    if let Some(e) = part.into_inner().next() {
                        parts.push(Part::Hole(self.expr(e)));
                    }
                }
                _ => {}
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        if triple {
            dedent_parts(&mut parts);
        }
        Template { parts, span }
    }
}

/// What pest expected, in words a rule author knows.
fn describe(positives: &[R]) -> String {
    let mut words: Vec<&str> = positives
        .iter()
        .map(|r| match r {
            R::expr | R::primary_post | R::ident | R::call | R::quant | R::if_expr | R::list_lit | R::int | R::hex_int | R::null_lit | R::true_lit | R::false_lit => "an expression",
            R::code => "a rule code such as `PT001` or `ACME12`",
            R::slug => "a rule name in lower-case-with-dashes",
            R::string | R::str_inner | R::template | R::tpl_text => "a string in double quotes",
            R::tpl_hole => "`{` and an expression",
            R::severity_v => "`error`, `warning` or `info`",
            R::on_target => "`vm` or `host`",
            R::type_name => "a type (int, string, bool, version, list)",
            R::kw_rule => "`rule`",
            R::kw_in => "`in`",
            R::kw_then => "`then`",
            R::kw_else => "`else`",
            R::field_name => "a field name",
            r if format!("{r:?}").starts_with("op_") => "an operator",
            r if format!("{r:?}").starts_with("kw_") || format!("{r:?}").ends_with("_c") => {
                "a clause (severity, summary, help, url, docs, param, on, for, let, when, assert, at, message, related)"
            }
            _ => "something else",
        })
        .collect();
    words.sort_unstable();
    words.dedup();
    if words.is_empty() {
        return "the end of the rule".to_string();
    }
    words.join(" or ")
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Dedents the text of a `"""` template as [`dedent`] does a plain block:
/// the indentation common to its lines goes, and so do its blank edges.
fn dedent_parts(parts: &mut [Part]) {
    let mut whole = String::new();
    for p in parts.iter() {
        match p {
            Part::Text(t) => whole.push_str(t),
            Part::Hole(_) => whole.push('x'),
        }
    }
    let indent = whole
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let pad = format!("\n{}", " ".repeat(indent));
    let last = parts.len().saturating_sub(1);
    for (i, p) in parts.iter_mut().enumerate() {
        if let Part::Text(t) = p {
            let mut s = t.replace(&pad, "\n");
            if i == 0 {
                s = s.trim_start_matches([' ', '\n']).to_string();
            }
            if i == last {
                s = s.trim_end().to_string();
            }
            *t = s;
        }
    }
}

/// Strips the common indentation of a `"""` block and its blank edges.
fn dedent(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let body: Vec<&str> = lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect();
    body.join("\n").trim_matches('\n').to_string()
}

mod expr;

#[cfg(test)]
mod tests;
