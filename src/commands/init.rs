//! `vmlint init`: writes a commented `.vmlint.yaml` for the tree it is run
//! in: the folders that hold host descriptors and rule files it finds, and
//! commented examples of the rest. It never replaces a configuration.

use super::ExitStatus;
use crate::config::FILE_NAMES;
use crate::discover::{self, FileFormat};
use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;

pub fn run(dir: &Path) -> ExitStatus {
    let dir = crate::paths::absolute(dir, &crate::paths::cwd());
    if let Some(existing) = FILE_NAMES.iter().map(|n| dir.join(n)).find(|p| p.exists()) {
        eprintln!(
            "vmlint: {} already exists; it was left as it is",
            existing.display()
        );
        return ExitStatus::Error;
    }
    let text = template(&dir);
    let path = dir.join(crate::config::FILE_NAME);
    // create_new: a file that appeared meanwhile is not overwritten either
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
    match written {
        Ok(()) => {
            eprintln!("vmlint: wrote {}", path.display());
            ExitStatus::Clean
        }
        Err(e) => {
            eprintln!("vmlint: cannot write {}: {e}", path.display());
            ExitStatus::Error
        }
    }
}

/// The folders (relative, with a trailing `/`) that directly hold files
/// for which `keep` is true.
fn folders(dir: &Path, keep: impl Fn(&Path, Option<FileFormat>) -> bool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let walker = ignore::WalkBuilder::new(dir)
        .require_git(false)
        .max_depth(Some(8))
        .build();
    for e in walker.flatten().take(100_000) {
        let p = e.path();
        if e.file_type().is_some_and(|t| t.is_file())
            && keep(p, discover::classify(p))
            && let Some(parent) = p.parent()
        {
            let rel = crate::paths::display(parent, dir);
            out.insert(if rel == "." { rel } else { format!("{rel}/") });
        }
    }
    out
}

fn list(items: &BTreeSet<String>) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

fn template(dir: &Path) -> String {
    let hosts = folders(dir, |_, d| d == Some(FileFormat::Yaml(Some("host"))));
    let rules = folders(dir, |p, _| p.extension().is_some_and(|e| e == "rules"));
    let vmx = folders(dir, |_, d| d == Some(FileFormat::Vmx));
    let mut out = String::from(
        "# vmlint configuration. Paths and globs are relative to this file's folder,\n\
         # wherever vmlint is run from. `vmlint rules` lists the codes.\n\n",
    );
    out.push_str("# Host descriptors, always loaded: a run on one VM file (pre-commit) still finds its host.\n");
    if hosts.is_empty() {
        out.push_str("# hosts: [\"inventory/hosts/\"]\n\n");
    } else {
        let _ = writeln!(out, "hosts: {}\n", list(&hosts));
    }
    out.push_str("# More rule files or folders, besides the embedded DirectPath I/O pack.\n");
    if rules.is_empty() {
        out.push_str("# rules: [\"policies/\"]\n\n");
    } else {
        let _ = writeln!(out, "rules: {}\n", list(&rules));
    }
    out.push_str("# A .vmx file does not say which host runs it: place .vmx files by path\n");
    out.push_str("# (or write `# vmlint: host=NAME` in the file).\n");
    out.push_str("# placement:\n");
    let example = vmx
        .iter()
        .next()
        .map_or("datastores/esx-01/", String::as_str);
    let example = if example == "." { "" } else { example };
    let _ = writeln!(
        out,
        "#   - files: \"{example}**/*.vmx\"\n#     host: esx-01\n"
    );
    out.push_str("# Folders to leave out, such as rule fixtures that fail on purpose.\n");
    if dir.join("fixtures").is_dir() {
        out.push_str("exclude: [\"fixtures/**\"]\n\n");
    } else {
        out.push_str("# exclude: [\"archive/**\"]\n\n");
    }
    out.push_str(
        "# select: [PT]                          # only these codes or prefixes\n\
         # ignore: [PT015]\n\
         # severity: { PT011: error, VL008: info }\n\
         # params: { PT001: { max: 16 } }\n\
         # per_file_ignores: { \"lab/**\": [PT001] }\n",
    );
    out
}
