//! Snapshots of the human rendering: one per rule (its fixture folder) and
//! one per engine diagnostic. Review changes with `cargo insta review`.

use crate::util::{GOOD_VM, HOST, tree, vmlint, vmlint_in};

fn human(args: &[&str]) -> String {
    let mut a = vec!["check", "--color", "never"];
    a.extend_from_slice(args);
    vmlint(&a).stdout
}

#[test]
fn every_rule_renders_with_its_labels() {
    for n in 1..=22 {
        let dir = format!("fixtures/rules/PT{n:03}");
        // PT019 runs when selected
        let out = if n == 19 {
            human(&[&dir, "--select", "PT019"])
        } else {
            human(&[&dir])
        };
        assert!(out.contains(&format!("PT{n:03}")), "{dir}: {out}");
        insta::assert_snapshot!(format!("rule_PT{n:03}"), out);
    }
}

#[test]
fn vl001_vl003_and_a_rule_finding_in_one_legacy_file() {
    insta::assert_snapshot!(human(&[
        "fixtures/estate/vms/legacy/esx5-db/esx5-db.vmx",
        "fixtures/estate/hosts"
    ]));
}

#[test]
fn vl002_unknown_key_with_a_suggestion() {
    insta::assert_snapshot!(
        human(&[
            "fixtures/estate/vms/nfv/fw-02.vm.yaml",
            "fixtures/estate/hosts",
            "--select",
            "VL"
        ])
        .lines()
        .take(14)
        .collect::<Vec<_>>()
        .join("\n")
    );
}

#[test]
fn vl004_unknown_host() {
    let vm = GOOD_VM.replace("host: esx-01", "host: esx-O1");
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("v.vm.yaml", vm.as_bytes()),
    ]);
    insta::assert_snapshot!(vmlint_in(t.path(), &["check", ".", "--color", "never"]).stdout);
}

#[test]
fn vl005_encrypted_and_binary_files() {
    let t = tree(&[
        ("a.vmx", b"\x7fELF\x02\x01\x01\x00\x00\x00junk"),
        (
            "b.vmx",
            b"displayName = \"b\"\nencryption.keySafe = \"vmware:key/list\"\n",
        ),
    ]);
    insta::assert_snapshot!(vmlint_in(t.path(), &["check", ".", "--color", "never"]).stdout);
}

#[test]
fn vl006_unused_suppression() {
    let vm = GOOD_VM.replace(
        "firmware: efi",
        "firmware: efi # vmlint: ignore PT010 -- not needed",
    );
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("v.vm.yaml", vm.as_bytes()),
    ]);
    insta::assert_snapshot!(vmlint_in(t.path(), &["check", ".", "--color", "never"]).stdout);
}

#[test]
fn rule_file_errors_render_with_their_snippets() {
    let t = tree(&[(
        "policy.rules",
        b"rule ACME1 a {\n  on vm\n  assert vm.name ==\n}\nrule ACME2 b {\n  on vm\n  assert vm.memroy_mb > 0\n}\nrule ACME3 c {\n  on vm\n  assert vm.name > 4\n}\n",
    )]);
    let r = vmlint_in(
        t.path(),
        &["check", ".", "--rules", "policy.rules", "--color", "never"],
    );
    assert_eq!(r.code, 2);
    insta::assert_snapshot!(r.stderr);
}
