//! `sarif`: SARIF 2.1.0 for code-scanning services. Every result has a
//! physical location; related labels become relatedLocations; rules carry
//! their help URI; partialFingerprints come from the baseline fingerprint.

use crate::baseline::fingerprint;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::source::SourceMap;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A relative path as a URI reference: every byte outside the unreserved
/// set (and `/`) percent-encoded.
pub fn uri(path: &str) -> String {
    let path = path.strip_prefix("./").unwrap_or(path).replace('\\', "/");
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn location(sources: &SourceMap, label: &Label) -> Value {
    let ((sl, sc), (el, ec)) = sources.position(label.span);
    let (char_offset, chars) = sources.chars(label.span);
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(&sources.name(label.span.file)) },
            "region": {
                "startLine": sl, "startColumn": sc, "endLine": el, "endColumn": ec,
                "charOffset": char_offset, "charLength": chars,
            }
        }
    })
}

/// Adds a member to a JSON object (built by `json!`, so always an object).
fn set(obj: &mut Value, key: &str, value: Value) {
    if let Some(o) = obj.as_object_mut() {
        o.insert(key.to_string(), value);
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

pub fn write(
    diags: &[Diagnostic],
    sources: &SourceMap,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut rules: BTreeMap<&str, &Diagnostic> = BTreeMap::new();
    for d in diags {
        rules.entry(&*d.code).or_insert(d);
    }
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, c)| (*c, i)).collect();
    let rule_objs: Vec<Value> = rules
        .values()
        .map(|d| {
            let (name, summary) = match (&d.meta, crate::diagnostic::codes::engine(&d.code)) {
                (Some(m), _) => (m.name.as_str(), m.summary.as_str()),
                (None, Some(e)) => (e.name, e.summary),
                (None, None) => (&*d.code, &*d.message),
            };
            let mut r = json!({
                "id": &*d.code,
                "name": name,
                "shortDescription": { "text": summary },
                "defaultConfiguration": { "level": level(d.severity) },
            });
            if let Some(m) = d.meta.as_ref().filter(|m| !m.tags.is_empty()) {
                set(&mut r, "properties", json!({ "tags": m.tags }));
            }
            if let Some(u) = d.url() {
                set(&mut r, "helpUri", json!(u));
            }
            if let Some(h) = d.help() {
                set(&mut r, "help", json!({ "text": h }));
            }
            r
        })
        .collect();
    let results = diags
        .iter()
        .map(|d| {
            let mut msg = d.message.to_string();
            if !d.primary.message.is_empty() {
                msg.push_str(&format!(" ({})", d.primary.message));
            }
            json!({
                "ruleId": &*d.code,
                "ruleIndex": index.get(&*d.code).copied().unwrap_or(0),
                "level": level(d.severity),
                "message": { "text": msg },
                "locations": [location(sources, &d.primary)],
                "relatedLocations": d.related.iter().enumerate().map(|(i, l)| {
                    let mut loc = location(sources, l);
                    set(&mut loc, "id", json!(i + 1));
                    set(&mut loc, "message", json!({ "text": if l.message.is_empty() { "related" } else { &*l.message } }));
                    loc
                }).collect::<Vec<_>>(),
                "partialFingerprints": { "vmlint/v1": fingerprint(d, sources) },
            })
        })
        .zip(diags)
        .map(|(mut r, d)| {
            // a fix that can be applied: its edits as SARIF replacements
            if let Some(f) = d.fix.as_deref().filter(|f| !f.text.is_empty() && f.applicability != crate::ir::Applicability::Display) {
                let replacements: Vec<Value> = f.text.iter().map(|e| {
                    let loc = location(sources, &Label::new(e.span, ""));
                    json!({
                        "deletedRegion": loc.get("physicalLocation").and_then(|p| p.get("region")).cloned().unwrap_or_default(),
                        "insertedContent": { "text": e.text },
                    })
                }).collect();
                set(&mut r, "fixes", json!([{
                    "description": { "text": format!("{} fix of {}", f.applicability.as_str(), d.code) },
                    "artifactChanges": [{
                        "artifactLocation": { "uri": uri(&sources.name(d.primary.span.file)) },
                        "replacements": replacements,
                    }],
                }]));
            }
            r
        });
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "vmlint",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rule_objs,
            }},
            "columnKind": "unicodeCodePoints",
            "results": SLOT,
        }]
    });
    super::write_pretty_with_array(&doc, Some("results"), SLOT, results, out)
}

/// Where the results go in the document, serialized one by one.
const SLOT: &str = "@vmlint:results@";
