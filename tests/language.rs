//! The rule language's regressions: templates parsed by the grammar, text
//! clauses that interpolate alike, clauses given once, missing values that
//! print as what they are, and rules that do not run when not selected.

use crate::util::{GOOD_VM, HOST, codes, tree, vmlint_in};

fn run_rule(rule: &str, args: &[&str]) -> crate::util::Run {
    let vm = GOOD_VM.replace("memory_reservation: all\n", "");
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("v.vm.yaml", vm.as_bytes()),
        ("r.rules", rule.as_bytes()),
    ]);
    let mut all = vec![
        "check",
        ".",
        "--rules",
        "r.rules",
        "--no-builtin",
        "--format",
        "compact",
    ];
    all.extend_from_slice(args);
    vmlint_in(t.path(), &all)
}

#[test]
fn a_string_inside_a_hole_needs_no_escaping_and_may_hold_a_brace() {
    let rule = r#"rule ACME010 braces {
  on vm
  assert false
  at vm.name
  message "{if vm.name == "good" then "a } and a { inside" else "other"} and {{literal}}"
}
"#;
    let r = run_rule(rule, &[]);
    assert!(
        r.stdout
            .contains("error[ACME010] a } and a { inside and {literal}"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    // the first release's `\"` inside a hole is still read
    let old = rule.replace(
        r#""good" then "a } and a { inside" else "other""#,
        r#"\"good\" then \"old\" else \"other\""#,
    );
    let r = run_rule(&old, &[]);
    assert!(
        r.stdout.contains("error[ACME010] old and {literal}"),
        "{}{}",
        r.stdout,
        r.stderr
    );
}

#[test]
fn help_interpolates_in_findings_and_in_explain_and_uses_its_parameter() {
    let rule = r#"rule ACME011 enough-memory {
  param min = 8192
  on vm
  assert vm.memory_mb >= min
  at vm.memory_mb
  message "{vm.memory_mb} MB"
  help "give {vm.name} at least {min} MB"
  url "https://example.com/rules/{min}"
}
"#;
    let vm = GOOD_VM.to_string();
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("v.vm.yaml", vm.as_bytes()),
        ("r.rules", rule.as_bytes()),
    ]);
    let r = vmlint_in(
        t.path(),
        &[
            "check",
            ".",
            "--rules",
            "r.rules",
            "--no-builtin",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 1, "`min` used only in help is used: {}", r.stderr);
    assert!(
        r.stdout.contains("give good at least 8192 MB"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("https://example.com/rules/8192"),
        "{}",
        r.stdout
    );
    let r = vmlint_in(
        t.path(),
        &["explain", "ACME011", "--rules", "r.rules", "--no-builtin"],
    );
    assert!(r.stdout.contains("at least 8192 MB"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("Reference: https://example.com/rules/8192"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_clause_given_twice_is_an_error_with_both_spans() {
    let rule =
        "rule ACME012 twice {\n  severity error\n  on vm\n  severity warning\n  assert true\n}\n";
    let r = run_rule(rule, &[]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.stderr
            .contains("`severity` is given twice in rule ACME012"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("first given here") && r.stderr.contains("given again here"),
        "{}",
        r.stderr
    );
    for clause in [
        "message \"a\"",
        "help \"a\"",
        "url \"a\"",
        "at vm.name",
        "summary \"a\"",
    ] {
        let rule =
            format!("rule ACME013 twice {{\n  on vm\n  assert true\n  {clause}\n  {clause}\n}}\n");
        let r = run_rule(&rule, &[]);
        assert_eq!(r.code, 2, "{clause}: {}", r.stderr);
    }
}

#[test]
fn a_missing_value_prints_as_missing() {
    let rule = r#"rule ACME014 shows-missing {
  on vm
  assert false
  at vm.name
  message "reservation {vm.memory_reservation_mb}"
}
"#;
    let r = run_rule(rule, &[]);
    assert!(r.stdout.contains("reservation missing"), "{}", r.stdout);
    // and the pack says so in words
    let vm = GOOD_VM.replace("memory_reservation: all\n", "");
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("v.vm.yaml", vm.as_bytes()),
    ]);
    let r = vmlint_in(t.path(), &["check", "--format", "compact"]);
    assert!(
        r.stdout
            .contains("error[PT009] memory reservation is not set (memory 4096 MB)"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_rule_that_is_not_selected_does_not_run() {
    // five nested loops over 100 keys: it would give up on its budget
    let mut vmx = String::from("# vmlint: host=esx-01\n");
    for i in 0..100 {
        vmx.push_str(&format!("key{i}.x = \"{i}\"\n"));
    }
    let rule = "rule LOOP2 loops {\n  on vm\n  for a in vm.raw_keys\n  for b in vm.raw_keys\n  for c in vm.raw_keys\n  for d in vm.raw_keys\n  for e in vm.raw_keys where a == e and b == c and c == d\n  assert true\n}\n";
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("many.vmx", vmx.as_bytes()),
        ("loop.rules", rule.as_bytes()),
    ]);
    let r = vmlint_in(
        t.path(),
        &[
            "check",
            ".",
            "--rules",
            "loop.rules",
            "--ignore",
            "LOOP2",
            "--format",
            "compact",
        ],
    );
    assert_eq!((r.code, codes(&r.stdout)), (0, vec![]), "{}", r.stdout);
    let r = vmlint_in(
        t.path(),
        &[
            "check",
            ".",
            "--rules",
            "loop.rules",
            "--select",
            "PT",
            "--format",
            "compact",
        ],
    );
    assert_eq!((r.code, codes(&r.stdout)), (0, vec![]), "{}", r.stdout);
}
