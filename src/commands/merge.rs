//! `vmlint merge`: joins the outputs of `check --shard K/N` runs (all JSON
//! or all SARIF) into one, dropping findings that two inputs both carry
//! (by fingerprint) and sorting as `check` does.

use super::{ExitStatus, emit};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

pub fn run(files: &[PathBuf]) -> ExitStatus {
    let mut docs = Vec::new();
    for f in files {
        let parsed = std::fs::read_to_string(f)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<Value>(&t).map_err(|e| e.to_string()));
        match parsed {
            Ok(v) => docs.push((f, v)),
            Err(e) => {
                eprintln!("vmlint: cannot read {} as JSON: {e}", f.display());
                return ExitStatus::Error;
            }
        }
    }
    let sarif = |v: &Value| v.get("runs").is_some();
    let ours = |v: &Value| v.get("tool").and_then(Value::as_str) == Some("vmlint");
    let merged = if docs.iter().all(|(_, v)| sarif(v)) {
        merge_sarif(docs.iter().map(|(_, v)| v))
    } else if docs.iter().all(|(_, v)| ours(v)) {
        merge_json(docs.iter().map(|(_, v)| v))
    } else {
        let odd = docs
            .iter()
            .find(|(_, v)| !sarif(v) && !ours(v))
            .map_or_else(
                || "the inputs mix SARIF and JSON".to_string(),
                |(f, _)| format!("{} is neither vmlint's JSON nor SARIF", f.display()),
            );
        eprintln!(
            "vmlint: {odd}; merge takes the outputs of `check --format json` or `--format sarif`"
        );
        return ExitStatus::Error;
    };
    emit(&(serde_json::to_string_pretty(&merged).unwrap_or_default() + "\n"));
    ExitStatus::Clean
}

/// Where a finding is, for the order `check` gives: path, line, column, code.
fn order_key(path: &str, line: u64, column: u64, code: &str) -> (String, u64, u64, String) {
    (path.to_string(), line, column, code.to_string())
}

fn merge_json<'a>(docs: impl Iterator<Item = &'a Value>) -> Value {
    let mut seen = HashSet::new();
    let mut all: Vec<Value> = Vec::new();
    for d in docs {
        for item in d
            .get("diagnostics")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let field = |k: &str| item.get(k).map(Value::to_string).unwrap_or_default();
            if seen.insert(format!(
                "{}|{}|{}",
                field("path"),
                field("code"),
                field("fingerprint")
            )) {
                all.push(item.clone());
            }
        }
    }
    let num = |v: &Value, k: &str| {
        v.get("start")
            .and_then(|s| s.get(k))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    all.sort_by_key(|v| {
        order_key(
            &text(v, "path"),
            num(v, "line"),
            num(v, "column"),
            &text(v, "code"),
        )
    });
    json!({ "version": 1, "tool": "vmlint", "diagnostics": all })
}

fn merge_sarif<'a>(docs: impl Iterator<Item = &'a Value>) -> Value {
    let mut rules: BTreeMap<String, Value> = BTreeMap::new();
    let mut results: Vec<Value> = Vec::new();
    let mut seen = HashSet::new();
    let mut driver = Map::new();
    let mut schema = Value::Null;
    for d in docs {
        if schema.is_null() {
            schema = d.get("$schema").cloned().unwrap_or(Value::Null);
        }
        for run in d
            .get("runs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(Value::Object(dr)) = run.get("tool").and_then(|t| t.get("driver")) {
                for (k, v) in dr {
                    if k != "rules" {
                        driver.insert(k.clone(), v.clone());
                    }
                }
                for r in dr
                    .get("rules")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(id) = r.get("id").and_then(Value::as_str) {
                        rules.entry(id.to_string()).or_insert_with(|| r.clone());
                    }
                }
            }
            for r in run
                .get("results")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let key = format!(
                    "{}|{}",
                    r.get("ruleId").map(Value::to_string).unwrap_or_default(),
                    r.get("partialFingerprints")
                        .map(Value::to_string)
                        .unwrap_or_default()
                );
                if seen.insert(key) {
                    results.push(r.clone());
                }
            }
        }
    }
    let index: BTreeMap<String, usize> = rules
        .keys()
        .enumerate()
        .map(|(i, k)| (k.clone(), i))
        .collect();
    let region = |r: &Value, k: &str| {
        r.pointer(&format!("/locations/0/physicalLocation/region/{k}"))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let uri = |r: &Value| {
        r.pointer("/locations/0/physicalLocation/artifactLocation/uri")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    for r in &mut results {
        let id = r
            .get("ruleId")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if let (Some(o), Some(i)) = (r.as_object_mut(), index.get(&id)) {
            o.insert("ruleIndex".to_string(), json!(i));
        }
    }
    results.sort_by_key(|r| {
        let code = r
            .get("ruleId")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        order_key(
            &uri(r),
            region(r, "startLine"),
            region(r, "startColumn"),
            &code,
        )
    });
    driver.insert(
        "rules".to_string(),
        Value::Array(rules.into_values().collect()),
    );
    json!({
        "$schema": schema,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}
