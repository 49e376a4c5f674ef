//! The rule set: takes the embedded pack, the user's rule files and the
//! configuration, gives the checked rules with severities and parameters
//! applied. Every code the configuration or the command line names is
//! checked here against the codes that exist (rules and the engine's).

use crate::config::{self, Config};
use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::discover;
use crate::eval::CompiledRule;
use crate::lang::parser;
use crate::schema::value::{Val, Value};
use crate::source::{FileKind, SourceMap, Span};
use crate::suggest;
use crate::yaml_tree::{Node, NodeKind};
use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

/// The embedded rule pack: its name in output and its text.
pub const BUILTIN_PATH: &str = "rules/passthrough.rules";
pub const BUILTIN_TEXT: &str = include_str!("../rules/passthrough.rules");

/// The pack compiled ahead of time, and the fingerprint of the sources
/// this binary is built from (`build.rs`): the compiled pack is used only
/// when it was made from those.
const BUILTIN_IR: &[u8] = include_bytes!("../rules/passthrough.ir");
const BUILTIN_INPUTS: &str = env!("VMLINT_PACK_INPUTS");

/// Loads, parses and checks rules: the embedded pack (unless `builtin` is
/// off) and every `.rules` file under `extra`. Any problem is an error of
/// the rule files: the caller stops with exit code 2.
pub fn load_rules(
    sources: &SourceMap,
    builtin: bool,
    extra: &[PathBuf],
    cfg: &Config,
) -> Result<Vec<CompiledRule>, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut compiled: Vec<crate::ir::Rule> = Vec::new();
    if builtin {
        let id = sources.add(BUILTIN_PATH, FileKind::Rules, BUILTIN_TEXT);
        compiled = match crate::ir::decode(BUILTIN_IR, BUILTIN_INPUTS, id) {
            Some(pack) => {
                // compiled on the other threads while the files load
                for p in pack.patterns {
                    rayon::spawn(move || {
                        p.regex();
                    });
                }
                pack.rules
            }
            None => compile_text(id, BUILTIN_TEXT, &[]).unwrap_or_else(|d| {
                diags.extend(d);
                Vec::new()
            }),
        };
    }
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for root in extra {
        let mut found: Vec<PathBuf> = if root.is_dir() {
            ignore::WalkBuilder::new(root)
                .require_git(false)
                .build()
                .filter_map(Result::ok)
                .map(|e| e.into_path())
                .filter(|p| p.extension().is_some_and(|e| e == "rules"))
                .collect()
        } else {
            vec![root.clone()]
        };
        found.sort();
        // the same folder named in the configuration and on the command line is read once
        found.retain(|p| !seen.contains(p));
        seen.extend(found.iter().cloned());
        for p in found {
            match discover::read_limited(&p, cfg.max_file_size)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
            {
                Ok(t) => files.push((p, t)),
                Err(why) => {
                    let id = sources.add(&p, FileKind::Rules, "");
                    diags.push(Diagnostic::new(
                        codes::RULE_SYNTAX,
                        Severity::Error,
                        Span::file_start(id),
                        format!("rule file {why}"),
                    ));
                }
            }
        }
    }
    let mut rules = Vec::new();
    let mut defs = Vec::new();
    for (path, text) in files {
        let id = sources.add(&path, FileKind::Rules, text.as_str());
        let (file, d) = parser::parse_file(id, &text);
        rules.extend(file.rules);
        defs.extend(file.defs);
        diags.extend(d);
    }
    // the rules that parsed are checked even when others did not, so that
    // every mistake is reported at once
    if !rules.is_empty() || !defs.is_empty() {
        let taken: Vec<&crate::ir::Name> = compiled.iter().map(|r| &r.code).collect();
        match crate::lang::compile(rules, &defs, &taken) {
            Ok(more) => compiled.extend(more),
            Err(d) => diags.extend(d),
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let mut compiled: Vec<CompiledRule> = compiled.into_iter().map(CompiledRule::new).collect();
    diags.extend(apply_config(&mut compiled, cfg));
    for c in &mut compiled {
        let fixed = |c: &CompiledRule, t: &Option<crate::ir::Template>| {
            t.as_ref().map(|t| Arc::from(crate::eval::describe(c, t)))
        };
        let (help, url) = (fixed(c, &c.rule.help), fixed(c, &c.rule.url));
        c.links = (help.is_some() || url.is_some())
            .then(|| Arc::new(crate::diagnostic::Links { help, url }));
        c.meta = Some(Arc::new(crate::diagnostic::RuleMeta {
            name: c.rule.slug.text.clone(),
            summary: crate::eval::summary(c),
            tags: c.rule.tags.clone(),
        }));
    }
    if diags.is_empty() {
        Ok(compiled)
    } else {
        Err(diags)
    }
}

/// Parses and checks one rule file's text.
fn compile_text(
    id: crate::source::FileId,
    text: &str,
    taken: &[&crate::ir::Name],
) -> Result<Vec<crate::ir::Rule>, Vec<Diagnostic>> {
    let (file, mut diags) = parser::parse_file(id, text);
    match crate::lang::compile(file.rules, &file.defs, taken) {
        Ok(rules) if diags.is_empty() => Ok(rules),
        Ok(_) => Err(diags),
        Err(d) => {
            diags.extend(d);
            Err(diags)
        }
    }
}

/// Applies `severity` and `params` of the configuration; a code or a
/// parameter that does not exist, or a value of the wrong type, is an error.
fn apply_config(rules: &mut [CompiledRule], cfg: &Config) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let codes_known: Vec<String> = rules.iter().map(|c| c.rule.code.text.clone()).collect();
    for (code, sev) in &cfg.severity {
        let mut hit = false;
        for c in rules
            .iter_mut()
            .filter(|c| c.rule.code.text.starts_with(code.value.as_str()))
        {
            c.severity = *sev;
            hit = true;
        }
        // engine codes are re-graded when they are emitted (see `regrade`)
        if !hit
            && !codes::ENGINE
                .iter()
                .any(|e| e.code.starts_with(code.value.as_str()))
        {
            diags.push(unknown_code(code.span, &code.value, &codes_known));
        }
    }
    for o in &cfg.params {
        let Some(c) = rules.iter_mut().find(|c| c.rule.code.text == o.code.value) else {
            diags.push(unknown_code(o.code.span, &o.code.value, &codes_known));
            continue;
        };
        let Some(p) = c.rule.params.iter().find(|p| p.name.text == o.name.value) else {
            let names: Vec<&str> = c.rule.params.iter().map(|p| p.name.text.as_str()).collect();
            diags.push(
                Diagnostic::new(
                    codes::CONFIG,
                    Severity::Error,
                    o.name.span,
                    format!(
                        "rule {} has no parameter `{}`{}",
                        o.code.value,
                        o.name.value,
                        suggest::did_you_mean(&o.name.value, names.iter().copied())
                    ),
                )
                .with_label("unknown parameter")
                .with_help(if names.is_empty() {
                    "this rule has no parameters".to_string()
                } else {
                    format!("its parameters are: {}", names.join(", "))
                }),
            );
            continue;
        };
        let want =
            p.ty.as_ref()
                .and_then(|(t, _)| crate::schema::types::from_name(t));
        let default = p.default.clone();
        match param_value(&o.value, want, &default) {
            Ok(v) => {
                let slot = p.slot;
                if let Some(entry) = c.params.iter_mut().find(|(s, _)| *s == slot) {
                    entry.1 = v;
                }
            }
            Err(expected) => diags.push(
                Diagnostic::new(
                    codes::CONFIG,
                    Severity::Error,
                    o.value.span,
                    format!(
                        "parameter `{}` of {} must be {expected}",
                        o.name.value, o.code.value
                    ),
                )
                .with_label(format!("expected {expected}")),
            ),
        }
    }
    diags
}

fn unknown_code(span: Span, code: &str, known: &[String]) -> Diagnostic {
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    config::unknown_code(span, code, &known)
}

/// Every code there is: the rules' and the engine's.
pub fn known_codes(rules: &[CompiledRule]) -> Vec<&str> {
    rules
        .iter()
        .map(|c| c.rule.code.text.as_str())
        .chain(codes::ENGINE.iter().map(|e| e.code))
        .collect()
}

/// The codes and prefixes the configuration names that match no code.
pub fn check_named_codes(cfg: &Config, rules: &[CompiledRule]) -> Vec<Diagnostic> {
    let known = known_codes(rules);
    cfg.named_codes()
        .filter(|c| !config::is_known(&c.value, &known))
        .map(|c| config::unknown_code(c.span, &c.value, &known))
        .collect()
}

/// Engine diagnostics at the severity `severity:` gives their code.
pub fn regrade(diags: &mut [Diagnostic], cfg: &Config) {
    if cfg.severity.is_empty() {
        return;
    }
    for d in diags.iter_mut().filter(|d| d.code.starts_with("VL")) {
        // the longest matching prefix decides, as for rules
        if let Some((_, sev)) = cfg
            .severity
            .iter()
            .filter(|(c, _)| d.code.starts_with(c.value.as_str()))
            .max_by_key(|(c, _)| c.value.len())
        {
            d.severity = *sev;
        }
    }
}

/// A configuration value for a parameter, of the parameter's type.
fn param_value(
    n: &Node,
    want: Option<crate::schema::types::Ty>,
    default: &Val<'static>,
) -> Result<Val<'static>, &'static str> {
    use crate::schema::types::Ty;
    let want = want.unwrap_or(match default.v {
        Value::Int(_) => Ty::Int,
        Value::Bool(_) => Ty::Bool,
        Value::List(_) => Ty::List(crate::schema::types::Elem::Any),
        _ => Ty::Str,
    });
    let scalar = |n: &Node| -> Option<Val<'static>> {
        let s = n.scalar()?;
        Some(match s.parse::<i64>() {
            Ok(i) => Val::new(Value::Int(i), None),
            Err(_) => match s {
                "true" => Val::bool(true, None),
                "false" => Val::bool(false, None),
                _ => Val::new(Value::Str(Cow::Owned(s.to_string())), None),
            },
        })
    };
    let v = match (&n.kind, want) {
        (_, _) if n.is_null() => Val::null(),
        (NodeKind::Seq(items), Ty::List(_)) => Val::new(
            Value::List(Arc::new(items.iter().filter_map(scalar).collect())),
            None,
        ),
        (NodeKind::Scalar { .. }, _) => scalar(n).ok_or("a value")?,
        _ => return Err("a single value"),
    };
    let ok = match (&v.v, want) {
        (Value::Null, _) => true,
        (Value::Int(_), Ty::Int) | (Value::Bool(_), Ty::Bool) | (Value::List(_), Ty::List(_)) => {
            true
        }
        (Value::Str(_), Ty::Str) => true,
        (Value::Int(i), Ty::Str) => {
            return Ok(Val::new(Value::Str(Cow::Owned(i.to_string())), None));
        }
        _ => false,
    };
    if ok {
        Ok(v)
    } else {
        Err(match want {
            Ty::Int => "a number",
            Ty::Bool => "true or false",
            Ty::List(_) => "a list",
            _ => "a string",
        })
    }
}

#[cfg(test)]
mod tests;
