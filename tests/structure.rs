//! The shape of the code: the rule language and the evaluator do not
//! import each other (what both need lives in `schema` and `ir`: the
//! language lowers its checked tree into the IR, the evaluator runs it),
//! and no source file grows past 600 lines (a file that does is doing two
//! things).

use crate::util::root;
use std::path::Path;

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn files_under(rel: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    sources(&root().join(rel), &mut out);
    out.sort();
    out
}

#[test]
fn lang_and_eval_do_not_import_each_other() {
    let ir = root().join("src/ir.rs");
    for (dir, other) in [
        ("src/lang", "eval"),
        ("src/eval", "lang"),
        ("src/schema", "eval"),
        ("src/schema", "lang"),
        ("src/ir.rs", "lang"),
        ("src/ir.rs", "eval"),
    ] {
        let files = if dir.ends_with(".rs") {
            vec![ir.clone()]
        } else {
            files_under(dir)
        };
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let needle = format!("crate::{other}");
            assert!(!text.contains(&needle), "{} uses `{needle}`", f.display());
        }
    }
}

#[test]
fn no_source_file_is_over_600_lines() {
    for f in files_under("src") {
        let lines = std::fs::read_to_string(&f).unwrap().lines().count();
        assert!(lines <= 600, "{} has {lines} lines", f.display());
    }
}
