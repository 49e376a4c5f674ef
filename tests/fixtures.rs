//! The rule fixtures: every `# expect:` in fixtures/ is met, and nothing else
//! is found, for .vmx and YAML VMs alike. This is `vmlint test`.

use crate::util::{GOOD_VM, HOST, tree, vmlint, vmlint_in};

#[test]
fn every_fixture_expectation_holds() {
    let r = vmlint(&["test", "fixtures"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains(" passed, 0 failed"), "{}", r.stdout);
}

#[test]
fn every_pt_rule_has_failing_vmx_and_yaml_fixtures() {
    let rules = crate::util::root().join("fixtures/rules");
    for n in 1..=18 {
        let dir = rules.join(format!("PT{n:03}"));
        let mut kinds = std::collections::BTreeSet::new();
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            if text.contains(&format!("# expect: PT{n:03}")) {
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                kinds.insert(if name.ends_with(".vmx") || name.ends_with(".vmsd") {
                    "vmx"
                } else {
                    "yaml"
                });
            }
        }
        let want: &[&str] = match n {
            // vCenter-only settings: only YAML descriptors carry them
            8 | 14 => &["yaml"],
            // a .vmx-only key family
            16 => &["vmx"],
            _ => &["vmx", "yaml"],
        };
        assert_eq!(kinds.into_iter().collect::<Vec<_>>(), want, "PT{n:03}");
    }
}

#[test]
fn vmlint_test_reports_the_missing_and_the_unexpected() {
    let vm = GOOD_VM
        .replace(
            "hardware_version: 19",
            "# expect: PT005\nhardware_version: 19",
        )
        .replace("memory_reservation: all\n", "");
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("v.vm.yaml", vm.as_bytes()),
    ]);
    let r = vmlint_in(t.path(), &["test", "."]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .contains("expected PT005 on line 5, but it was not reported"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("unexpected (reported, not expected)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("PT009"), "{}", r.stdout);
    // files are counted, not findings: the host passes, the VM fails
    assert!(
        r.stdout.contains("2 fixture files: 1 passed, 1 failed"),
        "{}",
        r.stdout
    );
}
