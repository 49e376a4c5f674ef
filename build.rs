//! Fingerprints the sources the compiled form of the embedded rule pack
//! (`rules/passthrough.ir`) is made from: the pack, the grammar, the rule
//! language, the IR and the schema. A build whose sources differ from the
//! ones the compiled pack records compiles the pack's text at start-up
//! instead, so an edit of the rules is never ignored; the test
//! `the_compiled_pack_is_the_pack_compiled` says when to compile it again.

use std::path::Path;

const INPUTS: &[&str] = &[
    "rules",
    "grammar",
    "src/lang",
    "src/ir.rs",
    "src/ir",
    "src/schema",
    "src/model/version.rs",
    "src/model/pci.rs",
];

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let root = Path::new(&root);
    let mut files = Vec::new();
    for input in INPUTS {
        println!("cargo::rerun-if-changed={input}");
        collect(&root.join(input), &mut files);
    }
    files.sort();
    // FNV-1a: stable across toolchains, unlike the standard library's hasher
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    for f in &files {
        let rel = f
            .strip_prefix(root)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/");
        feed(rel.as_bytes());
        feed(&[0]);
        feed(&std::fs::read(f).unwrap_or_default());
        feed(&[0xff]);
    }
    println!("cargo::rustc-env=VMLINT_PACK_INPUTS={hash:016x}");
}

/// The source files under `path` (or `path` itself): rules, grammar, Rust,
/// leaving out unit tests (`tests.rs`, `tests/`), which compile nothing.
fn collect(path: &Path, out: &mut Vec<std::path::PathBuf>) {
    if path
        .file_name()
        .is_some_and(|n| n == "tests" || n == "tests.rs")
    {
        return;
    }
    if let Ok(entries) = std::fs::read_dir(path) {
        for e in entries.flatten() {
            collect(&e.path(), out);
        }
    } else if path
        .extension()
        .is_some_and(|x| x == "rs" || x == "rules" || x == "pest")
    {
        out.push(path.to_path_buf());
    }
}
