use super::*;
use crate::lang::check::check_all;

fn parse(text: &str) -> (Vec<Ast>, Vec<Diagnostic>) {
    let (file, diags) = parse_file(FileId(0), text);
    (file.rules, diags)
}

fn checked(text: &str) -> Vec<Diagnostic> {
    let (mut file, mut diags) = parse_file(FileId(0), text);
    diags.extend(check_all(&mut file.rules, &file.defs, &[]));
    diags
}

const GOOD: &str = r#"
# a comment
rule ACME001 prod-vms-reserve-memory {
  severity warning
  summary "production VMs reserve all memory"
  param prefix = "prod-"
  on vm
  when starts_with(vm.name, prefix)
  assert vm.memory_reservation_all == true or vm.memory_reservation_mb >= vm.memory_mb
  message "{vm.name} reserves {vm.memory_reservation_mb} of {vm.memory_mb} MB"
}
"#;

#[test]
fn a_rule_parses_with_every_clause() {
    let (rules, diags) = parse(GOOD);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(rules.len(), 1);
    let r = &rules[0];
    assert_eq!(r.code.text, "ACME001");
    assert_eq!(r.severity, Severity::Warning);
    assert_eq!(r.steps.len(), 1);
    assert!(r.assert.is_some() && r.message.is_some());
    assert!(checked(GOOD).is_empty());
}

#[test]
fn each_broken_rule_is_reported_and_the_others_still_parse() {
    let text = "rule A001 one {\n  on vm\n  assert vm.name ==\n}\nrule A002 two {\n  on vm\n  assert true\n}\nrule A003 three {\n  on vm\n  assert (1 + \n}\n";
    let (rules, diags) = parse(text);
    assert_eq!(rules.len(), 1, "the good rule still parses");
    assert_eq!(diags.len(), 2);
    assert!(diags.iter().all(|d| &*d.code == codes::RULE_SYNTAX));
    assert_eq!(&text[diags[0].span().range()].chars().next(), &Some('}'));
}

#[test]
fn text_outside_a_rule_is_an_error() {
    let (_, diags) = parse("rules A001 x { on vm assert true }\n");
    assert_eq!(diags.len(), 1);
    assert_eq!(&*diags[0].message, "expected `rule`");
}

#[test]
fn deep_nesting_is_refused_before_the_parser_recurses() {
    let deep = format!(
        "rule A001 x {{ on vm assert {}true{} }}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let (_, diags) = parse(&deep);
    assert_eq!(diags.len(), 1);
    assert!(diags[0].message.contains("nested deeper"));
    let nots = format!(
        "rule A001 x {{ on vm assert {}true }}",
        "not ".repeat(100_000)
    );
    let (_, diags) = parse(&nots);
    assert_eq!(diags.len(), 1);
    let chain = format!(
        "rule A001 x {{ on vm assert 1{} > 0 }}",
        " + 1".repeat(5_000)
    );
    let (_, diags) = parse(&chain);
    assert_eq!(diags.len(), 1);
    assert!(diags[0].message.contains("deeper than"));
}

#[test]
fn template_holes_keep_their_spans_and_escaped_quotes() {
    let text = "rule A001 x {\n  on vm\n  assert true\n  message \"a {if true then \\\"b c\\\" else \\\"d\\\"} e {vm.name}\"\n}\n";
    let (rules, diags) = parse(text);
    assert!(diags.is_empty(), "{diags:?}");
    let parts = &rules[0].message.as_ref().unwrap().parts;
    assert_eq!(parts.len(), 4);
    match (&parts[1], &parts[3]) {
        (Part::Hole(h), Part::Hole(n)) => {
            match &h.kind {
                ExprKind::If(_, t, _) => assert!(matches!(&t.kind, ExprKind::Str(s) if s == "b c")),
                other => panic!("{other:?}"),
            }
            assert_eq!(&text[n.span.range()], "vm.name");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn operators_bind_as_documented() {
    let (rules, _) = parse("rule A001 x { on vm assert not 1 + 2 * 3 == 7 and true or false }");
    let e = rules[0].assert.as_ref().unwrap();
    // ((not ((1 + (2 * 3)) == 7)) and true) or false
    let ExprKind::Binary(BinOp::Or, l, _) = &e.kind else {
        panic!()
    };
    let ExprKind::Binary(BinOp::And, l, _) = &l.kind else {
        panic!()
    };
    let ExprKind::Unary(UnOp::Not, x) = &l.kind else {
        panic!()
    };
    let ExprKind::Binary(BinOp::Eq, sum, _) = &x.kind else {
        panic!()
    };
    assert!(
        matches!(&sum.kind, ExprKind::Binary(BinOp::Add, _, r) if matches!(r.kind, ExprKind::Binary(BinOp::Mul, _, _)))
    );
}

#[test]
fn three_different_mistakes_are_three_diagnostics() {
    let text = r#"
rule A001 syntax {
  on vm
  assert vm.name ==
}
rule A002 unknown-field {
  on vm
  assert vm.memroy_mb > 0
}
rule A003 type-error {
  on vm
  assert vm.name > 4
}
"#;
    let diags = checked(text);
    let codes: Vec<&str> = diags.iter().map(|d| &*d.code).collect();
    assert_eq!(
        codes,
        [codes::RULE_SYNTAX, codes::RULE_NAME, codes::RULE_TYPE],
        "{diags:?}"
    );
    assert!(diags[1].message.contains("did you mean `memory_mb`"));
    assert!(
        diags[2]
            .message
            .contains("cannot order a string with a number")
    );
}

#[test]
fn the_checker_finds_names_types_duplicates_and_unused_bindings() {
    let text = r#"
rule A001 x {
  on vm
  for dev in vm.passthrough
  let unused = 3
  assert dev.adress != null and len(lowr(vm.name)) > 0 and host.esxi_version >= "seven" and vm.hardware_version == true
}
rule A001 y {
  on host
  assert host.iommu matches "(a"
}
"#;
    let diags = checked(text);
    let msgs: Vec<&str> = diags.iter().map(|d| &*d.message).collect();
    let has = |s: &str| msgs.iter().any(|m| m.contains(s));
    assert!(
        has("has no field `adress`; did you mean `address`?"),
        "{msgs:#?}"
    );
    assert!(
        has("unknown function `lowr`; did you mean `lower`?"),
        "{msgs:#?}"
    );
    assert!(has("`seven` is not a version"), "{msgs:#?}");
    assert!(has("cannot compare a number with a boolean"), "{msgs:#?}");
    assert!(has("rule code `A001` is defined twice"), "{msgs:#?}");
    assert!(has("`unused` is never used"), "{msgs:#?}");
    assert!(has("invalid regular expression"), "{msgs:#?}");
}
