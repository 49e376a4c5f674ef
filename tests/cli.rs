//! The command line: exit codes, formats, stdin, configuration, discovery,
//! determinism.

use crate::util::{GOOD_VM, HOST, codes, root, tree, vmlint, vmlint_in, vmlint_stdin};

#[test]
fn exit_code_0_on_a_clean_tree() {
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("v.vm.yaml", GOOD_VM.as_bytes()),
    ]);
    let r = vmlint_in(t.path(), &["check", "."]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "All clear: 2 files checked\n"),
        "{}",
        r.stderr
    );
    let r = vmlint_in(t.path(), &["check", ".", "--quiet"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
}

#[test]
fn exit_code_1_with_findings_and_0_with_fail_on_never() {
    let r = vmlint(&["check", "fixtures/estate", "--format", "compact"]);
    assert_eq!(r.code, 1);
    r.assert_says("fixtures/estate/vms/gpu/train-02/train-02.vmx:26:23: error[PT007]");
    let r = vmlint(&["check", "fixtures/estate", "--fail-on", "never"]);
    assert_eq!(r.code, 0);
}

#[test]
fn fail_on_warning_counts_warnings() {
    let vm = GOOD_VM.replace("firmware: efi", "firmware: efi\nhot_add: { cpu: true }");
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("v.vm.yaml", vm.as_bytes()),
    ]);
    assert_eq!(vmlint_in(t.path(), &["check", "."]).code, 0);
    let r = vmlint_in(
        t.path(),
        &["check", ".", "--fail-on", "warning", "--format", "compact"],
    );
    assert_eq!(r.code, 1);
    assert_eq!(codes(&r.stdout), ["PT015"]);
}

#[test]
fn exit_code_2_on_a_broken_rule_file() {
    let t = tree(&[(
        "bad.rules",
        b"rule X001 broken {\n  on vm\n  assert vm.nmae == \"a\"\n}\n",
    )]);
    let r = vmlint_in(t.path(), &["check", ".", "--rules", "bad.rules"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("vm has no field `nmae`; did you mean `name`?"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("bad.rules:3:13"), "{}", r.stderr);
}

#[test]
fn exit_code_2_on_a_broken_config() {
    let t = tree(&[(
        ".vmlint.yaml",
        b"selct: [PT]\nparams: { PT001: { mx: 3 } }\n",
    )]);
    let r = vmlint_in(t.path(), &["check", "."]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("unknown configuration key `selct`; did you mean `select`?"),
        "{}",
        r.stderr
    );
    let t = tree(&[(
        ".vmlint.yaml",
        b"params: { PT001: { mx: 3 }, PT005: { min: seven } }\n",
    )]);
    let r = vmlint_in(t.path(), &["check", "."]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("rule PT001 has no parameter `mx`; did you mean `max`?"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("parameter `min` of PT005 must be a number"),
        "{}",
        r.stderr
    );
}

#[test]
fn compact_lines_have_path_line_column_severity_code_and_message() {
    let r = vmlint(&["check", "fixtures/rules/PT003", "--format", "compact"]);
    let first = r.stdout.lines().next().unwrap();
    assert_eq!(
        first,
        "fixtures/rules/PT003/fail.vm.yaml:11:14: error[PT003] 0000:d8:00.0 (Mellanox ConnectX-5) cannot be passed through at all on host esx-pt003-02: the host reports that it is not passthrough-capable"
    );
}

#[test]
fn output_is_the_same_on_one_thread_and_on_two() {
    let one = vmlint(&["check", "fixtures", "--format", "compact", "--jobs", "1"]);
    let two = vmlint(&["check", "fixtures", "--format", "compact", "--jobs", "2"]);
    assert!(!one.stdout.is_empty());
    assert_eq!(one.stdout, two.stdout);
}

#[test]
fn stdin_is_named_by_stdin_filename_and_finds_its_host_through_the_config() {
    let t = tree(&[
        (".vmlint.yaml", b"hosts: [inventory/]\n"),
        ("inventory/esx-01.host.yaml", HOST.as_bytes()),
    ]);
    let vm = GOOD_VM.replace("hardware_version: 19", "hardware_version: 4");
    let r = vmlint_stdin(
        t.path(),
        &[
            "check",
            "-",
            "--stdin-filename",
            "vms/new.vm.yaml",
            "--format",
            "compact",
        ],
        vm.as_bytes(),
    );
    assert_eq!(
        r.stdout,
        "vms/new.vm.yaml:4:19: error[PT005] virtual hardware version 4; passthrough needs version 7 (ESX/ESXi 4.x) or later\n",
        "{}",
        r.stderr
    );
    assert_eq!(r.code, 1);
}

#[test]
fn placement_globs_place_vmx_files_and_the_inventory_is_always_loaded() {
    let vmx = "displayName = \"gpu-1\"\nvirtualHW.version = \"19\"\nmemSize = \"1024\"\nsched.mem.pin = \"TRUE\"\nfirmware = \"efi\"\npciPassthru0.present = \"TRUE\"\npciPassthru0.id = \"0000:99:00.0\"\n";
    let t = tree(&[
        (".vmlint.yaml", b"hosts: [inventory]\nplacement:\n  - files: \"datastores/gpu-*/**/*.vmx\"\n    host: esx-01\n"),
        ("inventory/esx-01.host.yaml", HOST.as_bytes()),
        ("datastores/gpu-a/gpu-1/gpu-1.vmx", vmx.as_bytes()),
    ]);
    let r = vmlint_in(
        t.path(),
        &[
            "check",
            "datastores/gpu-a/gpu-1/gpu-1.vmx",
            "--format",
            "compact",
        ],
    );
    r.assert_codes(&["PT003"]);
    assert!(r.stdout.contains("not a PCI device of host esx-01"));
}

#[test]
fn gitignore_and_exclude_are_honoured_outside_a_git_checkout() {
    let bad = GOOD_VM.replace("hardware_version: 19", "hardware_version: 3");
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        (".gitignore", b"build/\n"),
        ("build/old.vm.yaml", bad.as_bytes()),
        ("archive/older.vm.yaml", bad.as_bytes()),
        ("live.vm.yaml", bad.as_bytes()),
        (".vmlint.yaml", b"exclude: [\"archive/**\"]\n"),
    ]);
    let r = vmlint_in(t.path(), &["check", ".", "--format", "compact"]);
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    assert!(r.stdout.starts_with("live.vm.yaml:"), "{}", r.stdout);
}

#[test]
fn select_ignore_severity_params_and_per_file_ignores() {
    let vm = GOOD_VM
        .replace("hardware_version: 19", "hardware_version: 4")
        .replace("memory_reservation: all\n", "");
    let files = |cfg: &'static str| {
        tree(&[
            ("h.host.yaml", HOST.as_bytes()),
            ("lab/v.vm.yaml", vm.as_bytes()),
            ("prod/v.vm.yaml", vm.as_bytes()),
            (".vmlint.yaml", cfg.as_bytes()),
        ])
    };
    let run = |cfg| {
        let t = files(cfg);
        // the two VMs share a device on purpose here; PT011 is not under test
        let mut c = codes(
            &vmlint_in(
                t.path(),
                &["check", ".", "--format", "compact", "--ignore", "PT011"],
            )
            .stdout,
        );
        c.sort();
        c
    };
    assert_eq!(run("select: [PT]\n"), ["PT005", "PT005", "PT009", "PT009"]);
    assert_eq!(run("ignore: [PT009]\n"), ["PT005", "PT005"]);
    assert_eq!(run("select: [PT009]\n"), ["PT009", "PT009"]);
    assert_eq!(
        run("per_file_ignores: { \"lab/**\": [PT005] }\n"),
        ["PT005", "PT009", "PT009"]
    );
    assert_eq!(run("params: { PT005: { min: 3 } }\n"), ["PT009", "PT009"]);
    let t = files("severity: { PT009: warning }\n");
    let r = vmlint_in(
        t.path(),
        &["check", ".", "--format", "compact", "--ignore", "PT011"],
    );
    r.assert_says("warning[PT009]");
}

#[test]
fn rules_lists_codes_and_explain_prints_documentation() {
    let r = vmlint(&["rules"]);
    assert_eq!(r.code, 0);
    r.assert_says("PT003   passthrough-device-not-available");
    assert!(r.stdout.contains("VL006   unused-suppression"));
    let r = vmlint(&["explain", "pt004"]);
    assert_eq!(r.code, 0);
    r.assert_says("PT004 usb-controller-on-usb-booted-host (error, checks VMs)");
    assert!(r.stdout.contains("KB 1021345") && r.stdout.contains("https://techdocs.broadcom.com/"));
    let r = vmlint(&["explain", "PT0004"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("did you mean `PT004`?"), "{}", r.stderr);
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_vmlint"))
        .args(["check", "fixtures", "--format", "compact"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.code().is_some(), "not killed by a signal");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn the_rule_language_reference_prints_the_current_field_and_function_tables() {
    let doc = std::fs::read_to_string(root().join("docs/rule-language.md")).unwrap();
    let schema = vmlint(&["schema"]).stdout;
    assert!(
        doc.ends_with(&schema),
        "docs/rule-language.md is stale: append the output of `vmlint schema`"
    );
}

/// A host file's text is let go once it is loaded, as a VM's is: a finding
/// that points into it later still has its position and its snippet.
#[test]
fn a_label_in_a_host_file_keeps_its_place_and_snippet_after_the_host_was_loaded() {
    let vm = GOOD_VM.replace(
        "  - address: \"0000:3b:00.0\"\n",
        "  - address: \"0000:3b:00.0\"\n    vendor_id: 0x8086\n",
    );
    let t = tree(&[
        ("esx-01.host.yaml", HOST.as_bytes()),
        ("vm.vm.yaml", vm.as_bytes()),
    ]);
    let json = vmlint_in(
        t.path(),
        &["check", ".", "--format", "json", "--select", "PT012"],
    );
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let related = &doc["diagnostics"][0]["related"][0];
    assert_eq!(related["path"], "esx-01.host.yaml", "{}", json.stdout);
    assert_eq!(related["start"]["line"], 9, "{}", json.stdout);
    assert_eq!(related["start"]["column"], 16, "{}", json.stdout);
    assert_eq!(related["end"]["column"], 22, "{}", json.stdout);
    let human = vmlint_in(
        t.path(),
        &["check", ".", "--select", "PT012", "--color", "never"],
    );
    human.assert_says("vendor_id: 0x10de");
    human.assert_says("the host's value");
}
