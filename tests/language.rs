//! The rule language's regressions: templates parsed by the grammar, text
//! clauses that interpolate alike, clauses given once, missing values that
//! print as what they are, and rules that do not run when not selected.

use crate::util::{GOOD_VM, HOST, codes, messages, tree, vmlint_in};

fn run_rule(rule: &str, args: &[&str]) -> crate::util::Run {
    run_rules_on(
        &GOOD_VM.replace("memory_reservation: all\n", ""),
        rule,
        args,
    )
}

/// `check` with only `rules`, on one VM (`vm`, a YAML descriptor) and its host.
fn run_rules_on(vm: &str, rule: &str, args: &[&str]) -> crate::util::Run {
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
    r.assert_says("error[ACME010] a } and a { inside and {literal}");
    // the first release's `\"` inside a hole is still read
    let old = rule.replace(
        r#""good" then "a } and a { inside" else "other""#,
        r#"\"good\" then \"old\" else \"other\""#,
    );
    let r = run_rule(&old, &[]);
    r.assert_says("error[ACME010] old and {literal}");
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
    r.assert_says("give good at least 8192 MB");
    r.assert_says("https://example.com/rules/8192");
    let r = vmlint_in(
        t.path(),
        &["explain", "ACME011", "--rules", "r.rules", "--no-builtin"],
    );
    r.assert_says("at least 8192 MB");
    r.assert_says("Reference: https://example.com/rules/8192");
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
    r.assert_says("reservation missing");
    // and the pack says so in words
    let vm = GOOD_VM.replace("memory_reservation: all\n", "");
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("v.vm.yaml", vm.as_bytes()),
    ]);
    let r = vmlint_in(t.path(), &["check", "--format", "compact"]);
    r.assert_says("error[PT009] memory reservation is not set (memory 4096 MB)");
}

#[test]
fn a_rule_that_is_not_selected_does_not_run() {
    // five nested loops over 100 keys: it would give up on its budget
    let t = crate::util::looping_estate("LOOP2");
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

#[test]
fn a_missing_value_is_unknown_and_never_a_finding_by_accident() {
    // `hardware_version` is missing: both forms are unknown, neither a finding
    let vm = "kind: vm\nname: nohw\nhost: esx-01\nmemory_mb: 4096\n";
    let rules = "rule ACME020 lt {\n  on vm\n  assert not (vm.hardware_version < 7)\n  at vm.name\n}\n\
                 rule ACME021 ge {\n  on vm\n  assert vm.hardware_version >= 7\n  at vm.name\n}\n\
                 rule ACME022 presence {\n  on vm\n  assert vm.hardware_version != null\n  at vm.name\n}\n\
                 rule ACME023 asked {\n  on vm\n  assert default(vm.hardware_version, 0) >= 7\n  at vm.hardware_version\n}\n";
    let r = run_rules_on(vm, rules, &[]);
    // a presence test answers, and `default` says what missing means (at the parent, labelled missing)
    r.assert_codes(&["ACME023", "ACME022"]);
    assert!(
        r.stdout.starts_with("v.vm.yaml:1:1: error[ACME023]"),
        "{}",
        r.stdout
    );
}

const PREDICATES: &str = r#"
def big(v: vm) = v.memory_mb > 8192
def big_and_named(v: vm, prefix: string) = big(v) and starts_with(v.name, prefix)
def has_static(v: vm) = any(d in v.passthrough, d.kind == "static")

rule ACME030 big-prod {
  on vm
  assert not big_and_named(vm, "prod-")
  at vm.memory_mb
}

rule ACME031 big-static {
  on vm
  for d in vm.passthrough
  # the caller's `d` is not the predicate's own `d`
  assert not (big(vm) and has_static(vm) and d.kind == "static")
  at d
}

rule ACME032 filtered {
  on vm
  let statics = [d in vm.passthrough where d.kind == "static"]
  assert count(statics) < 1
  at statics[0]
}
"#;

#[test]
fn named_predicates_and_filters_serve_several_rules() {
    let vm = GOOD_VM
        .replace("name: good", "name: prod-big")
        .replace("memory_mb: 4096", "memory_mb: 16384");
    let r = run_rules_on(&vm, PREDICATES, &[]);
    r.assert_codes(&["ACME030", "ACME031", "ACME032"]);
}

#[test]
fn predicates_are_checked_and_cannot_recurse() {
    let cases = [
        (
            "def a(v: vm) = a(v)\nrule ACME040 x {\n  on vm\n  assert a(vm)\n}\n",
            "unknown function `a`",
        ),
        (
            "def a(v: vm) = v.memroy_mb > 1\nrule ACME041 x {\n  on vm\n  assert a(vm)\n}\n",
            "memroy_mb",
        ),
        (
            "def a(v: vm) = v.memory_mb > 1\nrule ACME042 x {\n  on vm\n  assert a(vm.name)\n}\n",
            "`v` of `a` is a vm",
        ),
        (
            "def a(v: vm) = true\nrule ACME043 x {\n  on vm\n  assert a(vm)\n}\n",
            "`v` is never used",
        ),
        (
            "def count(v: vm) = true\nrule ACME044 x {\n  on vm\n  assert true\n}\n",
            "built-in function",
        ),
    ];
    for (rules, want) in cases {
        let r = run_rule(rules, &[]);
        assert_eq!(r.code, 2, "{rules}: {}", r.stdout);
        assert!(r.stderr.contains(want), "{rules}: {}", r.stderr);
    }
}

#[test]
fn predicates_calling_predicates_cannot_blow_up() {
    // each calls the one before twice: 2^200 inlinings without a bound
    let mut rules = String::from("def p0(v: vm) = v.memory_mb > 1\n");
    for i in 1..200 {
        rules.push_str(&format!(
            "def p{i}(v: vm) = p{}(v) and p{}(v)\n",
            i - 1,
            i - 1
        ));
    }
    rules.push_str("rule ACME050 x {\n  on vm\n  assert p199(vm)\n}\n");
    let r = run_rule(&rules, &[]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("inlined more than"), "{}", r.stderr);
}

#[test]
fn a_value_outside_a_closed_set_is_a_load_time_error() {
    let cases = [
        (
            "dev.kind == \"statc\"",
            "`statc` is never a value here; did you mean `static`?",
        ),
        ("\"dynamc\" != dev.kind", "did you mean `dynamic`?"),
        (
            "host.boot_device in [\"usb\", \"sdd\"]",
            "`sdd` is never a value here",
        ),
        (
            "host.iommu == \"on\"",
            "the values are `enabled` or `disabled`",
        ),
    ];
    for (cond, want) in cases {
        let rule = format!(
            "rule ACME060 x {{\n  on vm\n  when host != null\n  for dev in vm.passthrough\n  assert not ({cond})\n}}\n"
        );
        let r = run_rule(&rule, &[]);
        assert_eq!(r.code, 2, "{cond}: {}", r.stdout);
        assert!(r.stderr.contains(want), "{cond}: {}", r.stderr);
    }
    let rule = "rule ACME061 x {\n  on vm\n  for dev in vm.passthrough\n  assert dev.kind in [\"static\", \"sriov\"] and lower(dev.kind) != \"vgpu\"\n  at dev\n}\n";
    assert_eq!(run_rule(rule, &[]).code, 0);
}

#[test]
fn lower_compared_with_lower_means_what_it_says_for_every_text() {
    // `lower(a) == lower(b)` is compiled to a comparison that lowers
    // nothing: it must answer as the lowered texts would, for ASCII,
    // other scripts, a character whose lower case is ASCII (the Kelvin
    // sign), a literal, and a missing value (unknown: no finding)
    let vm =
        "kind: vm\nname: \"ÉTÉ-\u{212A}\"\nhost: esx-01\nhardware_version: 19\nmemory_mb: 4096\n";
    let rules = "rule ACME040 ascii {\n  on vm\n  assert lower(host.name) != lower(\"ESX-01\")\n  at vm.name\n}\n\
                 rule ACME041 accents {\n  on vm\n  assert lower(vm.name) != \"été-k\"\n  at vm.name\n}\n\
                 rule ACME042 differ {\n  on vm\n  assert lower(vm.name) == lower(host.name)\n  at vm.name\n}\n\
                 rule ACME043 missing {\n  on vm\n  assert lower(vm.migration.drs_automation) == \"x\"\n  at vm.name\n}\n\
                 rule ACME044 negated {\n  on vm\n  assert not (lower(\"Été-K\") != lower(vm.name))\n  at vm.name\n}\n";
    let r = run_rules_on(vm, rules, &[]);
    r.assert_codes(&["ACME040", "ACME041", "ACME042"]);
}

#[test]
fn a_quantifier_comparing_its_items_in_place_answers_as_the_general_form() {
    // a quantifier whose condition is `lower(item) == lower(x)` or
    // `item == x` with `x` bound outside it (or a literal) compares in
    // place; `x + ""` takes the general path:
    // each quantifier must answer alike, present or missing, on texts of
    // any script, a null item and the Kelvin sign
    let vm = "kind: vm\nname: \"\u{c9}t\u{e9}-K\"\nhost: esx-01\nhardware_version: 19\nmemory_mb: 4096\n";
    let list = "[\"b\", \"\u{e9}t\u{e9}-\u{212A}\", vm.migration.drs_automation, \"\u{c9}t\u{e9}-K\", \"\u{c9}T\u{c9}-k\"]";
    let forms = [
        "any(f in L, lower(f) == lower(X))",
        "all(f in L, lower(X) != lower(f))",
        "none(f in L, lower(f) == lower(X))",
        "count(f in L, lower(f) == lower(X))",
        "find(f in L, lower(X) == lower(f))",
        "[f in L where lower(f) != lower(X)]",
        "text(count(f in L, lower(f) == \"b\")) + X",
        "count(f in L, f == X)",
        "[f in L where X != f]",
        "find(f in L, f == X)",
        "text(count(f in L, f != null)) + X",
    ];
    let mut rules = String::new();
    for (i, form) in forms.iter().enumerate() {
        for (j, x) in ["vm.name", "vm.migration.drs_automation"]
            .iter()
            .enumerate()
        {
            let fast = form.replace('L', list).replace('X', "x");
            let general = form.replace('L', list).replace('X', "x + \"\"");
            let general = general
                .replace("\"b\")", "\"b\" + \"\")")
                .replace("f != null", "(f + \"\") != null");
            rules.push_str(&format!(
                "rule ACME{:03} q {{\n  on vm\n  let x = {x}\n  assert vm.name == null\n  at vm.name\n  message \"{{{fast}}} / {{{general}}}\"\n}}\n",
                100 + i * 2 + j
            ));
        }
    }
    let r = run_rules_on(vm, &rules, &[]);
    let found = messages(&r.stdout);
    assert_eq!(found.len(), forms.len() * 2, "{}{}", r.stdout, r.stderr);
    for m in found {
        let (fast, general) = m.split_once(" / ").unwrap();
        assert_eq!(fast, general, "{m}");
    }
}

#[test]
fn a_let_is_worked_out_for_each_item_when_read_and_only_then() {
    // lets are evaluated when first read: in a loop each item's own value,
    // one bound before the loop once, and one only a message reads still
    // right in each finding
    let vm = GOOD_VM.replace(
        "  - address: \"0000:3b:00.0\"\n",
        "  - address: \"0000:3b:00.0\"\n  - address: \"0000:5e:00.0\"\n",
    );
    let rules = "rule ACME050 per-item {\n  on vm\n  let who = upper(vm.name)\n  for d in vm.passthrough\n  let at = text(d.address)\n  let late = who + \"/\" + at\n  assert d.index > 5\n  at d.address\n  message \"{late}\"\n}\n";
    let r = run_rules_on(&vm, rules, &[]);
    assert_eq!(
        messages(&r.stdout),
        ["GOOD/0000:3b:00.0", "GOOD/0000:5e:00.0"],
        "{}{}",
        r.stdout,
        r.stderr
    );
}
