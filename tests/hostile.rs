//! Hostile input: each bad file becomes a diagnostic, nothing panics or
//! hangs, and a good file beside it is still checked.

use crate::util::{GOOD_VM, HOST, check_with_rules, codes, tree, vmlint_in};
use std::path::Path;

/// A VM beside the hostile files that must still produce its PT005.
fn still_checked() -> String {
    GOOD_VM
        .replace("hardware_version: 19", "hardware_version: 4")
        .replace("name: good", "name: witness")
}

fn check(dir: &Path) -> (i32, String) {
    let r = vmlint_in(dir, &["check", ".", "--format", "compact"]);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    (r.code, r.stdout)
}

fn assert_witness(out: &str) {
    assert!(
        out.contains("witness.vm.yaml:4:19: error[PT005]"),
        "the good file was not checked:\n{out}"
    );
}

#[test]
fn binary_data_named_vmx() {
    let mut bytes = vec![0u8; 4096];
    bytes.extend((0..=255u8).cycle().take(100_000));
    let w = still_checked();
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("witness.vm.yaml", w.as_bytes()),
        ("blob.vmx", &bytes),
    ]);
    let (_, out) = check(t.path());
    assert!(
        out.contains("blob.vmx:1:1: error[VL005] this file is binary"),
        "{out}"
    );
    assert_witness(&out);
}

#[test]
fn invalid_utf8_in_yaml_and_in_vmx() {
    let w = still_checked();
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("witness.vm.yaml", w.as_bytes()),
        ("bad.vm.yaml", b"kind: vm\nname: caf\xe9\xff\n"),
        (
            "bad.vmx",
            b".encoding = \"UTF-8\"\ndisplayName = \"\xe5\xa4\x3f\"\n",
        ),
    ]);
    let (_, out) = check(t.path());
    assert!(
        out.contains("bad.vm.yaml:2:10: error[VL001] this file is not valid UTF-8"),
        "{out}"
    );
    assert!(
        out.contains("bad.vmx:2:16: warning[VL009] bytes that are not valid UTF-8 were replaced"),
        "{out}"
    );
    assert_witness(&out);
}

#[test]
fn a_one_megabyte_line_and_an_empty_file() {
    // the device after the long line proves the line was read past
    let long = format!(
        "annotation = \"{}\"\npciPassthru0.present = \"TRUE\"\npciPassthru0.id = \"0000:3b:00.0\"\n",
        "x".repeat(1 << 20)
    );
    let w = still_checked();
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("witness.vm.yaml", w.as_bytes()),
        ("long.vmx", long.as_bytes()),
        ("empty.vmx", b""),
        ("empty.vm.yaml", b""),
    ]);
    let (_, out) = check(t.path());
    assert_eq!(codes(&out), ["VL005", "VL005", "VL008", "PT005"], "{out}");
    assert!(
        out.contains("empty.vm.yaml:1:1: error[VL005] this file is empty"),
        "{out}"
    );
    assert!(
        out.contains("long.vmx:2:1: warning[VL008] this VM uses passthrough but names no host"),
        "{out}"
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_named_vmx_does_not_block() {
    let w = still_checked();
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("witness.vm.yaml", w.as_bytes()),
    ]);
    let fifo = t.path().join("pipe.vmx");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let (_, out) = check(t.path());
    assert!(
        out.contains("pipe.vmx:1:1: error[VL005] this file is not a regular file"),
        "{out}"
    );
    assert_witness(&out);
    let (_, out) = {
        let r = vmlint_in(
            t.path(),
            &[
                "check",
                "pipe.vmx",
                "witness.vm.yaml",
                "h.host.yaml",
                "--format",
                "compact",
            ],
        );
        (r.code, r.stdout)
    };
    assert!(
        out.contains("VL005"),
        "named explicitly, still not read: {out}"
    );
}

#[test]
fn an_alias_bomb_and_deep_nesting_in_yaml() {
    let mut bomb = String::from(
        "kind: vm\nname: bomb\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for i in 1..12 {
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{}", i - 1); 9].join(", ")
        ));
    }
    let deep = format!(
        "kind: vm\nname: deep\nx: {}1{}\n",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    let block = format!(
        "kind: vm\nname: block\nx:\n{}",
        (0..50_000)
            .map(|i| format!("{}- \n", "  ".repeat(i.min(30_000))))
            .collect::<String>()
    );
    let w = still_checked();
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("witness.vm.yaml", w.as_bytes()),
        ("bomb.vm.yaml", bomb.as_bytes()),
        ("deep.vm.yaml", deep.as_bytes()),
        ("block.vm.yaml", block.as_bytes()),
    ]);
    let (_, out) = check(t.path());
    assert!(
        out.contains("bomb.vm.yaml") && out.contains("alias"),
        "{out}"
    );
    assert!(
        out.contains("deep.vm.yaml") && out.contains("VL001"),
        "{out}"
    );
    assert!(out.contains("block.vm.yaml:"), "{out}");
    assert_witness(&out);
}

#[test]
fn a_file_over_the_size_limit_is_vl005_and_not_read_whole() {
    let big = format!(
        "displayName = \"big\"\nannotation = \"{}\"\n",
        "y".repeat(64 * 1024)
    );
    let w = still_checked();
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("witness.vm.yaml", w.as_bytes()),
        ("big.vmx", big.as_bytes()),
        (".vmlint.yaml", b"max_file_size: 16384\n"),
    ]);
    let (_, out) = check(t.path());
    assert!(
        out.contains("big.vmx:1:1: error[VL005] this file is")
            && out.contains("larger than the limit of 16384 bytes"),
        "{out}"
    );
    assert_witness(&out);
}

#[test]
fn an_8_mb_line_a_100_000_deep_yaml_and_a_100_000_deep_rule() {
    let line = format!(
        "displayName = \"{}\"\npciPassthru0.present = \"TRUE\"\n",
        "z".repeat(8 << 20)
    );
    let deep = format!(
        "kind: vm\nname: deep\nx: {}1{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let rule = format!(
        "rule DEEP1 deep {{\n  on vm\n  assert {}true{}\n}}\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let w = still_checked();
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("witness.vm.yaml", w.as_bytes()),
        ("line.vmx", line.as_bytes()),
        ("deep.vm.yaml", deep.as_bytes()),
        ("deep.rules", rule.as_bytes()),
        (".vmlint.yaml", b"max_file_size: 16777216\n"),
    ]);
    let (_, out) = check(t.path());
    assert!(
        out.contains("deep.vm.yaml:3:") && out.contains("error[VL001]"),
        "{out}"
    );
    assert!(
        out.contains("line.vmx:2:1: warning[VL008]"),
        "the 8 MB line was read: {out}"
    );
    assert_witness(&out);
    let r = vmlint_in(t.path(), &["check", ".", "--rules", "deep.rules"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("expression nested deeper than 64 levels"),
        "{}",
        r.stderr
    );
}

#[test]
fn many_documents_ten_thousand_passthrough_groups_and_absurd_indices() {
    let docs = (0..2000)
        .map(|i| format!("kind: host\nname: h{i}\n"))
        .collect::<Vec<_>>()
        .join("---\n");
    let mut groups = String::from("# vmlint: host=esx-01\nvirtualHW.version = \"19\"\n");
    for i in 0..10_000 {
        groups.push_str(&format!(
            "pciPassthru{i}.present = \"TRUE\"\npciPassthru{i}.id = \"0000:3b:00.0\"\n"
        ));
    }
    let absurd = "# vmlint: host=esx-01\npciPassthru99999999999999999999.present = \"TRUE\"\npciPassthru18446744073709551616.id = \"0000:3b:00.0\"\npciPassthru-1.present = \"TRUE\"\n";
    let w = still_checked();
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("witness.vm.yaml", w.as_bytes()),
        ("many.host.yaml", docs.as_bytes()),
        ("groups.vmx", groups.as_bytes()),
        ("absurd.vmx", absurd.as_bytes()),
    ]);
    let (_, out) = check(t.path());
    assert!(
        out.contains("error[PT001] 10000 passthrough devices; at most 16 are supported"),
        "{out}"
    );
    assert!(
        !out.contains("many.host.yaml"),
        "2,000 documents are read: {out}"
    );
    assert!(
        !out.contains("absurd.vmx") || !out.contains("panicked"),
        "{out}"
    );
    assert_witness(&out);
}

#[cfg(unix)]
#[test]
fn directories_and_dangling_or_looping_symlinks_named_like_descriptors() {
    use std::os::unix::fs::symlink;
    let w = still_checked();
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("witness.vm.yaml", w.as_bytes()),
        ("dir.vmx/inner.txt", b"x"),
    ]);
    symlink(t.path().join("nowhere.vmx"), t.path().join("dangling.vmx")).unwrap();
    symlink(t.path().join("loop-b.vmx"), t.path().join("loop-a.vmx")).unwrap();
    symlink(t.path().join("loop-a.vmx"), t.path().join("loop-b.vmx")).unwrap();
    symlink(t.path(), t.path().join("cycle")).unwrap();
    let (_, out) = check(t.path());
    assert!(
        out.contains(
            "dangling.vmx:1:1: error[VL005] this file cannot be read: a dangling symbolic link"
        ),
        "{out}"
    );
    assert!(
        out.contains("loop-a.vmx:1:1: error[VL005] this file cannot be read: a symbolic link loop"),
        "{out}"
    );
    assert!(
        !out.contains("dir.vmx"),
        "a directory named like a descriptor is walked, not read: {out}"
    );
    assert_witness(&out);
    let r = vmlint_in(
        t.path(),
        &["check", "dir.vmx", "dangling.vmx", "--format", "compact"],
    );
    assert!(
        r.stdout.contains("dangling.vmx") && !r.stderr.contains("panicked"),
        "{}",
        r.stdout
    );
}

#[test]
fn checking_never_writes_to_the_checked_files() {
    fn snapshot(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>, std::time::SystemTime)> {
        let mut out = Vec::new();
        for e in ignore::WalkBuilder::new(dir).hidden(false).build() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                let m = std::fs::metadata(e.path()).unwrap();
                out.push((
                    e.path().to_path_buf(),
                    std::fs::read(e.path()).unwrap(),
                    m.modified().unwrap(),
                ));
            }
        }
        out.sort();
        out
    }
    let w = still_checked();
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("witness.vm.yaml", w.as_bytes()),
        ("x.vmx", b"memSize = \"1\"\n"),
    ]);
    let before = snapshot(t.path());
    for format in ["human", "json", "sarif", "github", "junit", "gitlab"] {
        let _ = vmlint_in(t.path(), &["check", ".", "--format", format]);
    }
    assert_eq!(before, snapshot(t.path()));
}

#[test]
fn a_rule_that_loops_too_much_gives_up_with_a_warning_instead_of_hanging() {
    // 100 keys, five nested loops: 10^10 combinations without a budget
    let t = crate::util::looping_estate("LOOP1");
    let r = check_with_rules(t.path(), "loop.rules");
    assert!(
        r.stdout.contains(
            "many.vmx:2:1: error[VL005] rule LOOP1 gave up on this file after 1000000 loop steps"
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn a_rule_with_too_many_clauses_is_refused() {
    let rule = format!(
        "rule MANY1 many {{\n  on vm\n{}  assert true\n}}\n",
        "  when true\n".repeat(100_000)
    );
    let t = tree(&[("many.rules", rule.as_bytes())]);
    let r = vmlint_in(t.path(), &["check", ".", "--rules", "many.rules"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("has 100000 `for`, `let` and `when` clauses; at most 64 are allowed"),
        "{}",
        r.stderr
    );
}
