//! Fingerprints and baselines: takes diagnostics, gives a stable identity
//! for each (the file, the code, and the key and value it is about, never
//! the line number), so a baseline written today still recognises its
//! findings after unrelated edits shift every line.

use crate::diagnostic::Diagnostic;
use crate::source::SourceMap;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// FNV-1a, 64 bits: stable across platforms and Rust releases.
fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The identity of a finding: file, code, and the text of the line its
/// primary span is on (a `.vmx` or YAML line holds the key and the value),
/// plus the underlined text itself.
pub fn fingerprint(d: &Diagnostic, sources: &SourceMap) -> String {
    let file = sources.get(d.primary.span.file);
    let r = file.clamp(d.primary.span);
    let (line, _) = file.line_col(r.start);
    let line_text = file
        .line_range(line)
        .and_then(|lr| file.text.get(lr))
        .unwrap_or("")
        .trim();
    let value = file.text.get(r).unwrap_or("");
    let path = file.name();
    format!("{:016x}", fnv(&[&path, &d.code, line_text, value, &d.key]))
}

#[derive(Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize, Clone)]
pub struct Entry {
    pub path: String,
    pub code: String,
    pub fingerprint: String,
    pub message: String,
}

pub fn build(diags: &[Diagnostic], sources: &SourceMap) -> Baseline {
    let findings = diags
        .iter()
        .map(|d| Entry {
            path: sources.get(d.primary.span.file).name(),
            code: d.code.to_string(),
            fingerprint: fingerprint(d, sources),
            message: d.message.to_string(),
        })
        .collect();
    Baseline {
        version: 1,
        findings,
    }
}

pub fn write(path: &Path, baseline: &Baseline) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(baseline).map_err(std::io::Error::other)?;
    // written beside the target, then renamed: an interrupted run leaves the old file whole
    let tmp = path.with_extension("vmlint-tmp");
    std::fs::write(&tmp, text + "\n")?;
    std::fs::rename(&tmp, path)
}

pub fn read(path: &Path) -> Result<Baseline, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the baseline `{}`: {e}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("`{}` is not a vmlint baseline: {e}", path.display()))
}

/// Drops the diagnostics the baseline knows (each entry matches once).
pub fn filter(diags: Vec<Diagnostic>, baseline: &Baseline, sources: &SourceMap) -> Vec<Diagnostic> {
    let mut known: HashMap<(String, String), usize> = HashMap::new();
    for e in &baseline.findings {
        *known
            .entry((e.code.clone(), e.fingerprint.clone()))
            .or_default() += 1;
    }
    diags
        .into_iter()
        .filter(|d| {
            let key = (d.code.to_string(), fingerprint(d, sources));
            match known.get_mut(&key) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            }
        })
        .collect()
}
