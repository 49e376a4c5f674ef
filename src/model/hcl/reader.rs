//! Typed attributes of HCL blocks (Terraform, Packer), with the notes of
//! what stayed unknown, and the files of a block's folder.

use super::{Scope, Value, span_of};
use crate::model::Spanned;
use crate::model::iac::{self, KeyValue};
use crate::source::{FileId, Span};
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Attribute, Block, Body};

/// What one HCL file gives.
#[derive(Default)]
pub struct Read {
    pub vms: Vec<crate::model::Vm>,
    pub diags: Vec<crate::diagnostic::Diagnostic>,
    /// What could not be known statically, and where.
    pub unknowns: Vec<(Span, String)>,
    /// Raw `.vmx` keys set to values not known statically, for the VM
    /// being read.
    pub unknown_keys: Vec<(String, Span)>,
}

/// Typed attributes of one file's blocks, in the scope of its folder.
pub struct Reader<'a> {
    pub file: FileId,
    pub text: &'a std::sync::Arc<str>,
    pub scope: Scope<'a>,
}

impl Reader<'_> {
    /// Where attribute `key` is set to a value not known statically.
    pub fn unknown_at(&self, body: &Body, key: &str) -> Option<Span> {
        let (span, v) = self.get(body, key)?;
        v.unknown().map(|_| span)
    }

    /// An attribute of a body: the span of its value and what it is.
    pub fn get(&self, body: &Body, key: &str) -> Option<(Span, Value)> {
        let a = attr(body, key)?;
        Some((span_of(self.file, &a.value)?, self.scope.eval(&a.value)))
    }

    pub fn note(&self, out: &mut Read, at: Span, what: &str, why: &str) {
        out.unknowns
            .push((at, format!("{what} is not known statically: {why}")));
    }

    pub fn int(&self, body: &Body, key: &str, who: &str, out: &mut Read) -> Option<Spanned<i64>> {
        let (span, v) = self.get(body, key)?;
        match (&v, v.as_int()) {
            (_, Some(n)) => Some(Spanned::new(n, span)),
            (Value::Unknown(why), _) => {
                self.note(out, span, &format!("`{key}` of {who}"), why);
                None
            }
            _ => {
                out.diags
                    .push(iac::wrong_type(span, key, "a whole number", "this value"));
                None
            }
        }
    }

    pub fn bool(&self, body: &Body, key: &str, who: &str, out: &mut Read) -> Option<Spanned<bool>> {
        let (span, v) = self.get(body, key)?;
        match (&v, v.as_bool()) {
            (_, Some(b)) => Some(Spanned::new(b, span)),
            (Value::Unknown(why), _) => {
                self.note(out, span, &format!("`{key}` of {who}"), why);
                None
            }
            _ => {
                out.diags
                    .push(iac::wrong_type(span, key, "true or false", "this value"));
                None
            }
        }
    }

    pub fn str(
        &self,
        body: &Body,
        key: &str,
        who: &str,
        out: &mut Read,
    ) -> Option<Spanned<String>> {
        let (span, v) = self.get(body, key)?;
        match v {
            Value::Str(s) => Some(Spanned::new(s, span)),
            Value::Unknown(why) => {
                self.note(out, span, &format!("`{key}` of {who}"), &why);
                None
            }
            _ => None,
        }
    }

    /// Raw `.vmx` keys in a map attribute (Terraform's `extra_config`,
    /// Packer's `configuration_parameters`), each with its spans.
    pub fn key_values(&self, body: &Body, name: &str, who: &str, out: &mut Read) -> Vec<KeyValue> {
        let Some(a) = attr(body, name) else {
            return Vec::new();
        };
        let Expression::Object(o) = &a.value else {
            if let Some(span) = span_of(self.file, &a.value) {
                match self.scope.eval(&a.value) {
                    Value::Map(m) => {
                        return m
                            .into_iter()
                            .filter_map(|(k, v)| {
                                Some(KeyValue {
                                    key: span,
                                    key_text: k,
                                    value: span,
                                    value_text: scalar_text(&v)?,
                                })
                            })
                            .collect();
                    }
                    Value::Unknown(why) => {
                        self.note(out, span, &format!("`{name}` of `{who}`"), &why);
                        // which keys it sets is not known: the switches that
                        // read as off when absent are unknown
                        for k in [
                            "pciPassthru.use64bitMMIO",
                            "pciPassthru.64bitMMIOSizeGB",
                            "sched.mem.pin",
                            "sched.mem.min",
                        ] {
                            out.unknown_keys.push((k.to_string(), span));
                        }
                    }
                    _ => {}
                }
            }
            return Vec::new();
        };
        let mut pairs = Vec::new();
        for (k, v) in o.iter() {
            let key_text = match k {
                ObjectKey::Ident(i) => Some(i.as_str().to_string()),
                ObjectKey::Expression(e) => self.scope.eval(e).as_str().map(str::to_string),
            };
            let (Some(key_text), Some(key), Some(value)) = (
                key_text,
                span_of(self.file, k),
                span_of(self.file, v.expr()),
            ) else {
                continue;
            };
            match self.scope.eval(v.expr()) {
                Value::Unknown(why) => {
                    self.note(out, value, &format!("`{key_text}`"), &why);
                    out.unknown_keys.push((key_text, value));
                }
                val => {
                    if let Some(value_text) = scalar_text(&val) {
                        pairs.push(KeyValue {
                            key,
                            key_text,
                            value,
                            value_text,
                        });
                    }
                }
            }
        }
        pairs
    }
}

/// A scalar as the text of a `.vmx` value (`true` as Terraform passes it).
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Num(_) => v.as_int().map(|n| n.to_string()),
        _ => None,
    }
}

/// Most sibling files read for a folder's variables and data sources.
const MAX_SIBLINGS: usize = 256;

/// The texts of the other files of `path`'s folder: those `code` accepts,
/// and the variable files `vars` ranks (lower rank first; within a rank,
/// name order), so that later values win as the tool applies them.
pub fn folder_texts(
    path: &std::path::Path,
    max_size: u64,
    code: impl Fn(&str) -> bool,
    vars: impl Fn(&str) -> Option<u8>,
) -> (Vec<String>, Vec<String>) {
    let Some(entries) = path.parent().and_then(|d| std::fs::read_dir(d).ok()) else {
        return (Vec::new(), Vec::new());
    };
    let mut names: Vec<std::path::PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.as_path() != path)
        .collect();
    names.sort();
    let mut texts = Vec::new();
    let mut ranked = Vec::new();
    for p in names.into_iter().take(MAX_SIBLINGS) {
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let rank = vars(&name);
        if !code(&name) && rank.is_none() {
            continue;
        }
        let Ok(bytes) = crate::discover::read_limited(&p, max_size) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        match rank {
            Some(r) => ranked.push((r, text)),
            None => texts.push(text),
        }
    }
    ranked.sort_by_key(|(r, _)| *r);
    (texts, ranked.into_iter().map(|(_, t)| t).collect())
}

/// The last attribute `key` of a body (Terraform refuses duplicates).
pub fn attr<'b>(body: &'b Body, key: &str) -> Option<&'b Attribute> {
    body.attributes().filter(|a| a.key.as_str() == key).last()
}

/// The blocks `ident "label0" "label1"` of a body.
pub fn blocks<'b>(body: &'b Body, ident: &'b str) -> impl Iterator<Item = &'b Block> + 'b {
    body.blocks().filter(move |b| b.ident.as_str() == ident)
}

/// Label `i` of a block, as text.
pub fn label(b: &Block, i: usize) -> &str {
    b.labels.get(i).map_or("", |l| l.as_str())
}
