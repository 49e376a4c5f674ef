//! vmlint as a blocking gate: the answers that must not change with the
//! working directory, the spelling of a path, a baseline or a partial run,
//! and never a silent green. Each test runs the real binary on a temporary
//! estate laid out as a team's infrastructure repository would be.

use crate::util::{GOOD_VM, HOST, Run, codes, tree, vmlint_in};
use std::path::Path;

/// A `.vmx` on a host found by placement, passing one device through.
fn vmx(name: &str, device: &str, reserved: bool) -> String {
    let reservation = if reserved {
        "sched.mem.min = \"16384\"\r\n"
    } else {
        ""
    };
    format!(
        ".encoding = \"windows-1252\"\r\nconfig.version = \"8\"\r\nvirtualHW.version = \"19\"\r\n\
         displayName = \"{name}\"\r\nguestOS = \"ubuntu-64\"\r\nfirmware = \"efi\"\r\n\
         memSize = \"16384\"\r\n{reservation}annotation = \"owner: J\u{e9}r\u{f4}me\"\r\n\
         pciPassthru0.present = \"TRUE\"\r\npciPassthru0.id = \"{device}\"\r\n"
    )
}

const GPU_HOST: &str = "kind: host
name: esx-gpu-01
esxi_version: 8.0.2
iommu: enabled
boot_device: disk
coredump: { transport: disk }
pci:
  - address: \"0000:3b:00.0\"
    vendor_id: 0x10de
    device_id: 0x20b5
    class: display
    name: NVIDIA A100
    passthrough: enabled
";

const OLD_HOST: &str = "kind: host
name: esx-old-01
esxi_version: 7.0 Update 3
iommu: disabled
boot_device: disk
coredump: { transport: disk }
pci: []
";

const POLICY: &str = "rule ACME001 prod-vms-are-named {
  severity warning
  on vm
  when starts_with(vm.name, \"prod-\")
  assert vm.memory_mb >= 4096
  at vm.name
  message \"{vm.name} has {vm.memory_mb} MB\"
}
";

const CONFIG: &str = "hosts: [inventory/hosts/]
rules: [policies/]
placement:
  - files: \"datastores/gpu/**/*.vmx\"
    host: esx-gpu-01
exclude: [\"policies/fixtures/**\", \"archive/**\"]
per_file_ignores: { \"datastores/lab/**\": [PT009] }
";

/// The estate: two GPU VMs sharing one A100 (PT011 on both), one without
/// its reservation (PT009), a lab VM whose PT009 is ignored by path, a YAML
/// VM on a host without IOMMU (PT002), an excluded archive and a custom
/// rule with its (excluded) fixture.
fn estate() -> tempfile::TempDir {
    let legacy = GOOD_VM.replace("hardware_version: 19", "hardware_version: 3");
    let old_vm = GOOD_VM
        .replace("host: esx-01", "host: esx-old-01")
        .replace("name: good", "name: prod-old");
    tree(&[
        (".vmlint.yaml", CONFIG.as_bytes()),
        ("inventory/hosts/esx-gpu-01.host.yaml", GPU_HOST.as_bytes()),
        ("inventory/hosts/esx-old-01.host.yaml", OLD_HOST.as_bytes()),
        (
            "datastores/gpu/train-01/train-01.vmx",
            &encode(&vmx("train-01", "0000:3b:00.0", false)),
        ),
        (
            "datastores/gpu/train-02/train-02.vmx",
            &encode(&vmx("train-02", "00000:059:00.0", true)),
        ),
        (
            "datastores/lab/scratch/scratch.vmx",
            &encode(&format!(
                "# vmlint: host=esx-gpu-01\r\n{}",
                vmx("scratch", "0000:3b:00.0", false)
            )),
        ),
        ("vms/prod-old.vm.yaml", old_vm.as_bytes()),
        ("archive/legacy.vm.yaml", legacy.as_bytes()),
        ("policies/acme.rules", POLICY.as_bytes()),
        (
            "policies/fixtures/acme.vm.yaml",
            b"kind: vm\n# expect: ACME001\nname: prod-tiny\nmemory_mb: 1024\n",
        ),
    ])
}

/// Text as windows-1252 bytes (the `.vmx` above says so).
fn encode(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

fn compact(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["check", "--format", "compact"];
    all.extend_from_slice(args);
    vmlint_in(dir, &all)
}

const ESTATE_CODES: [&str; 6] = ["PT009", "PT011", "PT011", "PT011", "PT002", "PT003"];

#[test]
fn item1_the_same_estate_gives_the_same_output_from_anywhere_and_any_spelling() {
    let t = estate();
    let root = t.path();
    let want = compact(root, &[]);
    assert_eq!(want.code, 1, "{}{}", want.stdout, want.stderr);
    let mut got = codes(&want.stdout);
    got.sort();
    let mut expected = ESTATE_CODES.to_vec();
    expected.sort();
    assert_eq!(got, expected, "{}", want.stdout);
    let abs = root.to_str().unwrap();
    let outside = root.parent().unwrap();
    let name = root.file_name().unwrap().to_str().unwrap();
    let spelled = format!("{abs}/datastores/../.");
    let runs = [
        (root.join("datastores"), vec![".."]),
        (root.join("datastores/gpu"), vec!["../.."]),
        (outside.to_path_buf(), vec![name]),
        (outside.to_path_buf(), vec![abs]),
        (root.to_path_buf(), vec!["./"]),
        (root.to_path_buf(), vec![spelled.as_str()]),
        (
            root.to_path_buf(),
            vec!["./datastores", "vms/../vms", abs.trim_end_matches('/')],
        ),
    ];
    for (dir, args) in runs {
        let r = compact(&dir, &args);
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (1, want.stdout.as_str()),
            "from {} with {args:?}: {}",
            dir.display(),
            r.stderr
        );
    }
}

#[test]
fn item1_a_subfolder_run_still_places_its_vms_and_runs_host_rules() {
    let t = estate();
    let r = compact(&t.path().join("datastores"), &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        !r.stdout.contains("VL004") && !r.stdout.contains("VL008"),
        "{}",
        r.stdout
    );
    r.assert_says("datastores/gpu/train-01/train-01.vmx:");
    // `a/../b` is placed by what it names, not by how it is spelled
    let r = compact(
        t.path(),
        &[
            "datastores/lab/../gpu/train-01/train-01.vmx",
            "--select",
            "PT009",
        ],
    );
    r.assert_codes(&["PT009"]);
    assert!(
        r.stdout
            .starts_with("datastores/gpu/train-01/train-01.vmx:"),
        "{}",
        r.stdout
    );
    // `exclude` is matched from the root, also when run below it
    let r = compact(&t.path().join("policies"), &[]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
    assert!(r.stderr.contains("excluded"), "{}", r.stderr);
}

#[test]
fn item2_the_configuration_is_found_from_the_checked_path() {
    let t = estate();
    let elsewhere = tempfile::tempdir().unwrap();
    let r = vmlint_in(
        elsewhere.path(),
        &[
            "check",
            "--format",
            "compact",
            "--verbose",
            t.path().to_str().unwrap(),
        ],
    );
    assert_eq!(
        codes(&r.stdout).len(),
        ESTATE_CODES.len(),
        "{}{}",
        r.stdout,
        r.stderr
    );
    assert!(
        r.stderr.contains("using the configuration") && r.stderr.contains(".vmlint.yaml"),
        "{}",
        r.stderr
    );
    // `.vmlint.yml` too
    let yml = tree(&[
        (".vmlint.yml", b"ignore: [PT005]\n"),
        ("h.host.yaml", HOST.as_bytes()),
        (
            "v.vm.yaml",
            GOOD_VM
                .replace("hardware_version: 19", "hardware_version: 4")
                .as_bytes(),
        ),
    ]);
    let r = vmlint_in(
        elsewhere.path(),
        &["check", "--format", "compact", yml.path().to_str().unwrap()],
    );
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
    // stdin: from --stdin-filename
    // the editor's buffer of v.vm.yaml: the file on disk is not a second VM
    let text = std::fs::read(yml.path().join("v.vm.yaml")).unwrap();
    let name = yml.path().join("v.vm.yaml");
    let r = crate::util::vmlint_stdin(
        elsewhere.path(),
        &[
            "check",
            "--format",
            "compact",
            "-",
            "--stdin-filename",
            name.to_str().unwrap(),
        ],
        &text,
    );
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
}

#[test]
fn item3_a_baseline_matches_whatever_the_spelling_of_the_paths() {
    let t = estate();
    let root = t.path();
    let w = vmlint_in(
        root,
        &[
            "check",
            "./datastores",
            "./vms",
            "--write-baseline",
            "base.json",
        ],
    );
    assert_eq!(w.code, 0, "{}", w.stderr);
    let text = std::fs::read_to_string(root.join("base.json")).unwrap();
    assert!(
        text.contains("\"datastores/gpu/train-01/train-01.vmx\""),
        "{text}"
    );
    let base = root.join("base.json");
    let base = base.to_str().unwrap();
    let abs = root.to_str().unwrap();
    let sub = root.join("datastores");
    for (dir, args) in [
        (root, vec!["datastores", "vms"]),
        (root, vec![abs]),
        (
            root,
            vec![
                "datastores/gpu/train-01/train-01.vmx",
                "datastores/gpu/train-02/train-02.vmx",
                "vms/prod-old.vm.yaml",
            ],
        ),
        (sub.as_path(), vec![".."]),
    ] {
        let mut all = vec!["--baseline", base];
        all.extend(args.iter().copied());
        let r = compact(dir, &all);
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (0, ""),
            "{args:?}: {}",
            r.stderr
        );
    }
    // a new finding still comes back
    std::fs::write(
        root.join("vms/new.vm.yaml"),
        GOOD_VM.replace("hardware_version: 19", "hardware_version: 4"),
    )
    .unwrap();
    let r = compact(root, &["--baseline", base]);
    r.assert_codes(&["VL004", "PT005"]);
}

#[test]
fn item4_a_suppression_is_unused_only_where_its_rule_ran_fully() {
    let vm = GOOD_VM.replace(
        "memory_reservation: all\n",
        "memory_reservation: all # vmlint: ignore PT009 -- kept for the migration\n",
    );
    let shared = GOOD_VM.replace("name: good", "name: other").replace(
        "  - address: \"0000:3b:00.0\"\n",
        "  - address: \"0000:3b:00.0\" # vmlint: ignore PT011 -- never on together\n",
    );
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("lab/v.vm.yaml", vm.as_bytes()),
        ("other.vm.yaml", shared.as_bytes()),
        ("good.vm.yaml", GOOD_VM.as_bytes()),
    ]);
    // everything ran: PT009 there is nothing to suppress, PT011 is used
    // (in other.vm.yaml; the two other VMs on the device still report it)
    let r = compact(t.path(), &[]);
    r.assert_codes(&["PT011", "VL006", "PT011"]);
    // not when the rule is ignored, not selected, or ignored for the file
    for args in [vec!["--ignore", "PT009"], vec!["--select", "PT011"]] {
        let r = compact(t.path(), &args);
        assert!(!r.stdout.contains("VL006"), "{args:?}: {}", r.stdout);
    }
    std::fs::write(
        t.path().join(".vmlint.yaml"),
        "per_file_ignores: { \"lab/**\": [PT009] }\n",
    )
    .unwrap();
    let r = compact(t.path(), &[]);
    assert!(!r.stdout.contains("VL006"), "{}", r.stdout);
    std::fs::remove_file(t.path().join(".vmlint.yaml")).unwrap();
    // a pre-commit run on one file of a cross-VM pair: PT011 saw half of it
    let r = compact(t.path(), &["h.host.yaml", "other.vm.yaml"]);
    assert!(!r.stdout.contains("VL006"), "{}", r.stdout);
}

#[test]
fn item5_vmlint_test_reads_excluded_fixtures_counts_files_and_keeps_folders_apart() {
    let t = estate();
    let r = vmlint_in(t.path(), &["test", "policies/fixtures"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    r.assert_says("1 fixture files: 1 passed, 0 failed");
    // nothing to test is a failure, not a green
    let r = vmlint_in(t.path(), &["test", "inventory/none"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    std::fs::create_dir(t.path().join("empty")).unwrap();
    let r = vmlint_in(t.path(), &["test", "empty"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("no fixture files"), "{}", r.stderr);
    // two rule folders that each describe esx-01 do not see each other's VMs
    let mut a = GOOD_VM.replace("memory_reservation: all\n", "");
    a = a.replace(
        "hardware_version: 19",
        "# expect: PT009\nhardware_version: 19",
    );
    let f = tree(&[
        ("one/h.host.yaml", HOST.as_bytes()),
        ("one/v.vm.yaml", GOOD_VM.as_bytes()),
        ("two/h.host.yaml", HOST.as_bytes()),
        (
            "two/v.vm.yaml",
            GOOD_VM.replace("name: good", "name: twin").as_bytes(),
        ),
        ("three/h.host.yaml", HOST.as_bytes()),
        ("three/v.vm.yaml", a.as_bytes()),
    ]);
    let r = vmlint_in(f.path(), &["test", "."]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    // five files pass; the VM in three/ reports PT009 on another line
    r.assert_says("6 fixture files: 5 passed, 1 failed");
    assert!(
        !r.stdout.contains("PT011") && !r.stdout.contains("VL003"),
        "{}",
        r.stdout
    );
}

#[test]
fn item6_no_silent_green() {
    let t = estate();
    std::fs::create_dir(t.path().join("empty")).unwrap();
    let r = vmlint_in(t.path(), &["check", "empty"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stderr.contains("`empty` holds no descriptor file"),
        "{}",
        r.stderr
    );
    // the configured hosts were still read
    assert_eq!(r.stdout, "All clear: 2 files checked\n");
    let r = vmlint_in(t.path(), &["check", "archive"]);
    assert!(r.stderr.contains("excluded"), "{}", r.stderr);
    // a path that is not there is a VL005, and only that
    let r = vmlint_in(t.path(), &["check", "nope", "--format", "compact"]);
    assert_eq!(r.code, 1);
    r.assert_says("nope:1:1: error[VL005] cannot check `nope`");
    assert!(!r.stderr.contains("holds no descriptor"), "{}", r.stderr);
    // an inventory of nothing says so
    let nothing = tempfile::tempdir().unwrap();
    let r = vmlint_in(nothing.path(), &["inventory"]);
    assert!(r.stdout.starts_with("no host or VM found"), "{}", r.stdout);
    // a configured folder that is not there is a configuration error
    std::fs::write(t.path().join(".vmlint.yaml"), "hosts: [inventory/hostz/]\n").unwrap();
    let r = vmlint_in(t.path(), &["check"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.stderr
            .contains("`inventory/hostz/` in `hosts` does not exist"),
        "{}",
        r.stderr
    );
    // the human format ends with a summary; --quiet drops it
    std::fs::write(t.path().join(".vmlint.yaml"), CONFIG).unwrap();
    let r = vmlint_in(t.path(), &["check"]);
    let last = r.stdout.lines().last().unwrap_or("");
    // PT009, PT002, PT003; PT011 three times; two hosts and four VMs read
    assert_eq!(
        last, "3 errors, 3 warnings in 4 files (6 files checked)",
        "{}",
        r.stdout
    );
    let r = vmlint_in(t.path(), &["check", "-q"]);
    assert!(!r.stdout.contains("files checked"), "{}", r.stdout);
}

#[test]
fn item7_unknown_codes_are_errors_and_codes_are_case_insensitive() {
    let t = estate();
    for args in [
        vec!["--select", "PT99"],
        vec!["--ignore", "PT0066"],
        vec!["--select", "PT006 PT007"],
    ] {
        let r = compact(t.path(), &args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stdout);
        assert!(r.stderr.contains("vmlint:"), "{}", r.stderr);
    }
    let r = compact(t.path(), &["--select", "PT99"]);
    assert!(r.stderr.contains("did you mean `PT009`"), "{}", r.stderr);
    let r = compact(t.path(), &["--select", "pt002"]);
    r.assert_codes(&["PT002"]);
    std::fs::write(
        t.path().join(".vmlint.yaml"),
        format!("{CONFIG}ignore: [PT99]\n"),
    )
    .unwrap();
    let r = compact(t.path(), &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no rule has the code or prefix `PT99`"),
        "{}",
        r.stderr
    );
    // VL codes can be re-graded like rules
    std::fs::write(
        t.path().join(".vmlint.yaml"),
        format!("{CONFIG}severity: {{ VL004: info, pt002: warning }}\n"),
    )
    .unwrap();
    std::fs::write(
        t.path().join("vms/lost.vm.yaml"),
        GOOD_VM.replace("esx-01", "esx-nowhere"),
    )
    .unwrap();
    let r = compact(t.path(), &[]);
    r.assert_says("info[VL004]");
    r.assert_says("warning[PT002]");
    // in comments
    std::fs::write(
        t.path().join("vms/odd.vm.yaml"),
        "kind: vm\nname: odd\nhost: esx-old-01\nmemory_mb: 4096 # vmlint: ignore pt99 -- typo\n",
    )
    .unwrap();
    let r = compact(t.path(), &["vms/odd.vm.yaml"]);
    r.assert_says("error[VL007] no rule has the code `PT99`; did you mean `PT009`?");
}

#[test]
fn item8_jobs_is_bounded() {
    let t = estate();
    let r = compact(t.path(), &["--jobs", "0"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let want = compact(t.path(), &["--jobs", "1"]);
    let r = compact(t.path(), &["--jobs", "20000", "--verbose"]);
    assert_eq!((r.code, r.stdout.as_str()), (1, want.stdout.as_str()));
    assert!(r.stderr.contains("--jobs lowered to"), "{}", r.stderr);
}

#[test]
fn item9_rule_folders_rule_names_statistics_and_stdin() {
    let t = estate();
    // the folder of the configuration, named on the command line too, is read once
    let r = compact(
        t.path(),
        &["--rules", "policies", "--rules", "./policies/acme.rules"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    // a rule whose name holds the word `rule`
    std::fs::write(
        t.path().join("policies/extra.rules"),
        "rule ACME009 my-rule-of-thumb {\n  on vm\n  assert vm.memory_mb != 1\n}\n",
    )
    .unwrap();
    let r = vmlint_in(t.path(), &["rules"]);
    r.assert_says("ACME009 my-rule-of-thumb");
    // --statistics follows --format
    let r = vmlint_in(t.path(), &["check", "--statistics", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["total"], 6, "{}", r.stdout);
    // stdin: a .vmx without a name is read as a .vmx; `-` goes with paths
    let text = encode(&vmx("piped", "0000:3b:00.0", false));
    let r = crate::util::vmlint_stdin(t.path(), &["check", "--format", "compact", "-"], &text);
    assert!(
        !r.stdout.contains("VL001") && !r.stdout.contains("VL002"),
        "{}",
        r.stdout
    );
    let r = crate::util::vmlint_stdin(
        t.path(),
        &[
            "check",
            "--format",
            "compact",
            "-",
            "vms/prod-old.vm.yaml",
            "--stdin-filename",
            "datastores/gpu/p/p.vmx",
        ],
        &text,
    );
    r.assert_codes(&["PT009", "PT011", "PT002", "PT003"]);
    let r = compact(t.path(), &["--stdin-filename", "x.vmx"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("pass `-`"), "{}", r.stderr);
}

#[test]
fn item9_expect_reasons_relative_related_paths_sarif_rules_and_explain() {
    let t = estate();
    std::fs::write(
        t.path().join("policies/fixtures/why.vm.yaml"),
        "kind: vm\n# expect: ACME001 -- too small on purpose\nname: prod-why\nmemory_mb: 1024\n",
    )
    .unwrap();
    let r = vmlint_in(t.path(), &["test", "policies/fixtures"]);
    r.assert_says("2 fixture files: 2 passed, 0 failed");
    // hosts loaded through `hosts:` are named from the root in labels and SARIF
    let r = vmlint_in(t.path(), &["check", "--format", "sarif"]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let text = r.stdout.as_str();
    assert!(
        !text.contains(t.path().to_str().unwrap()),
        "an absolute path: {text}"
    );
    let driver = &doc["runs"][0]["tool"]["driver"];
    assert!(driver.get("informationUri").is_none());
    for rule in driver["rules"].as_array().unwrap() {
        assert!(
            rule["name"].is_string() && rule["shortDescription"]["text"].is_string(),
            "{rule}"
        );
    }
    let r = vmlint_in(t.path(), &["check", "--format", "json"]);
    assert!(
        !r.stdout.contains(t.path().to_str().unwrap()),
        "{}",
        r.stdout
    );
    // every code has one severity, and explain says "How to fix" once
    let r = vmlint_in(t.path(), &["rules"]);
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("VL005") && l.contains(" error "))
    );
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("VL008") && l.contains(" warning "))
    );
    for code in ["PT001", "PT003", "PT006"] {
        let r = vmlint_in(t.path(), &["explain", code]);
        assert_eq!(
            r.stdout.matches("How to fix").count(),
            1,
            "{code}: {}",
            r.stdout
        );
    }
    let r = vmlint_in(t.path(), &["explain", "vl103"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout
            .starts_with("VL103 rule-type-error (error, engine)"),
        "{}",
        r.stdout
    );
}

#[test]
fn item10_the_pre_commit_hook_sees_what_it_needs() {
    let hooks =
        std::fs::read_to_string(crate::util::root().join(".pre-commit-hooks.yaml")).unwrap();
    let files = hooks
        .lines()
        .find_map(|l| l.trim().strip_prefix("files: "))
        .unwrap()
        .trim_matches('\'');
    let re = regex::Regex::new(files).unwrap();
    for name in [
        "datastores/a/a.vmx",
        "datastores/a/a.vmsd",
        "inventory/gpu.yaml",
        "inventory/gpu.json",
        ".vmlint.yaml",
        "policies/acme.rules",
    ] {
        assert!(re.is_match(name), "{name} is missed by {files}");
    }
    assert!(hooks.contains("--force-exclude"), "{hooks}");
    let t = estate();
    // one changed VM of a pair: the other VM is loaded as context, so the
    // conflict is caught, and reported only in the changed file
    let r = compact(
        t.path(),
        &[
            "--force-exclude",
            "datastores/gpu/train-02/train-02.vmx",
            "archive/legacy.vm.yaml",
        ],
    );
    r.assert_codes(&["PT011"]);
    assert!(
        r.stdout
            .starts_with("datastores/gpu/train-02/train-02.vmx:"),
        "{}",
        r.stdout
    );
    // a changed .vmsd checks its .vmx; a changed configuration, everything
    std::fs::write(
        t.path().join("datastores/gpu/train-01/train-01.vmsd"),
        "snapshot.numSnapshots = \"1\"\nsnapshot0.displayName = \"before\"\n",
    )
    .unwrap();
    let r = compact(t.path(), &["datastores/gpu/train-01/train-01.vmsd"]);
    r.assert_says("PT006");
    let r = compact(t.path(), &[".vmlint.yaml"]);
    assert_eq!(
        codes(&r.stdout).len(),
        ESTATE_CODES.len() + 1,
        "{}",
        r.stdout
    );
}

#[test]
fn item11_only_vms_with_passthrough_need_a_host() {
    let plain = "kind: vm\nname: web\nhardware_version: 19\nmemory_mb: 4096\n";
    let gpu = GOOD_VM.replace("host: esx-01\n", "");
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("web.vm.yaml", plain.as_bytes()),
        ("gpu.vm.yaml", gpu.as_bytes()),
    ]);
    let r = compact(t.path(), &[]);
    r.assert_codes(&["VL008"]);
    assert!(
        r.stdout.starts_with("gpu.vm.yaml:7:1: warning[VL008]"),
        "{}",
        r.stdout
    );
    std::fs::write(t.path().join(".vmlint.yaml"), "severity: { VL008: info }\n").unwrap();
    let r = compact(t.path(), &[]);
    r.assert_says("info[VL008]");
}

#[test]
fn item12_short_pci_addresses_have_one_rule_per_format() {
    let host = HOST.replace("0000:3b:00.0", "0000:10:00.0");
    let yaml = GOOD_VM.replace("0000:3b:00.0", "10:00.0");
    let t = tree(&[
        ("h.host.yaml", host.as_bytes()),
        ("v.vm.yaml", yaml.as_bytes()),
        (
            "w.vmx",
            b"# vmlint: host=esx-01\ndisplayName = \"w\"\nvirtualHW.version = \"19\"\nfirmware = \"efi\"\nmemSize = \"4096\"\nsched.mem.pin = \"TRUE\"\npciPassthru0.present = \"TRUE\"\npciPassthru0.id = \"16:00.0\"\n",
        ),
    ]);
    // YAML: hex, as esxcli prints, with a warning; .vmx: decimal, as ESXi writes
    let r = compact(t.path(), &[]);
    r.assert_codes(&["PT011", "VL009", "PT011"]);
    assert!(
        r.stdout.contains(
            "v.vm.yaml:9:14: warning[VL009] `10:00.0` reads two ways: it is taken as hex"
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn outputs_init_completions_and_listings() {
    let t = estate();
    // a file that cannot be written is an error, not a silent loss
    let r = vmlint_in(
        t.path(),
        &[
            "check",
            "--output",
            "compact",
            "--output",
            "sarif=out/v.sarif",
            "--output",
            "github=gh.txt",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot write out/v.sarif"),
        "{}",
        r.stderr
    );
    std::fs::create_dir(t.path().join("out")).unwrap();
    let r = vmlint_in(
        t.path(),
        &[
            "check",
            "--output",
            "compact",
            "--output",
            "sarif=out/v.sarif",
            "--output",
            "github=gh.txt",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t.path().join("out/v.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 6);
    let gh = std::fs::read_to_string(t.path().join("gh.txt")).unwrap();
    assert_eq!(
        gh.lines().filter(|l| l.starts_with("::")).count(),
        6,
        "{gh}"
    );
    let r = vmlint_in(
        t.path(),
        &["check", "--output", "compact", "--output", "json"],
    );
    assert_eq!(r.code, 2, "two outputs on stdout");
    let r = vmlint_in(
        t.path(),
        &["check", "--format", "json", "--output-file", "f.json"],
    );
    assert_eq!((r.code, r.stdout.as_str()), (1, ""));
    assert!(
        std::fs::read_to_string(t.path().join("f.json"))
            .unwrap()
            .contains("\"PT011\"")
    );
    // init writes a configuration for the tree, and never replaces one
    let r = vmlint_in(t.path(), &["init"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(t.path().join(".vmlint.yaml")).unwrap(),
        CONFIG
    );
    std::fs::remove_file(t.path().join(".vmlint.yaml")).unwrap();
    let r = vmlint_in(t.path(), &["init"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let written = std::fs::read_to_string(t.path().join(".vmlint.yaml")).unwrap();
    assert!(
        written.contains("hosts: [\"inventory/hosts/\"]"),
        "{written}"
    );
    assert!(written.contains("rules: [\"policies/\"]"), "{written}");
    let r = vmlint_in(t.path(), &["check", "--format", "compact"]);
    assert!(
        !r.stderr.contains("error"),
        "the written configuration loads: {}",
        r.stderr
    );
    let r = vmlint_in(t.path(), &["completions", "bash"]);
    assert!(r.stdout.contains("_vmlint()") && r.stdout.contains("--force-exclude"));
    let r = vmlint_in(t.path(), &["rules", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "VL007")
    );
    let r = vmlint_in(
        t.path(),
        &["test", "policies/fixtures", "--format", "junit"],
    );
    let xml = roxmltree::Document::parse(&r.stdout).unwrap();
    let cases: Vec<_> = xml
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 1, "{}", r.stdout);
}

#[test]
fn a_cluster_finding_stands_when_every_host_has_it_for_the_same_subject() {
    // hardware 20: 32 devices on ESXi 8.0, 64 on 8.0 U1; 70 exceed both,
    // and each host's finding points at a different device
    let host = |name: &str, release: &str| {
        format!(
            "kind: host\nname: {name}\ncluster: gpu\nesxi_version: {release}\niommu: enabled\nboot_device: disk\ncoredump: {{ transport: disk }}\npci: []\n"
        )
    };
    let devices = |n: usize| -> String {
        (0..n)
            .map(|i| format!("  - address: \"0000:{:02x}:00.0\"\n", i + 1))
            .collect()
    };
    let vm = |name: &str, n: usize| {
        format!(
            "kind: vm\nname: {name}\ncluster: gpu\nhardware_version: 20\nfirmware: efi\nmemory_mb: 4096\nmemory_reservation: all\npassthrough:\n{}",
            devices(n)
        )
    };
    let t = tree(&[
        ("a.host.yaml", host("esx-a", "8.0.0").as_bytes()),
        ("b.host.yaml", host("esx-b", "8.0 Update 1").as_bytes()),
        ("many.vm.yaml", vm("many", 70).as_bytes()),
        ("some.vm.yaml", vm("some", 40).as_bytes()),
    ]);
    let r = compact(t.path(), &["--select", "PT001"]);
    // 40 devices fit on esx-b: no finding, since the VM may run there
    r.assert_codes(&["PT001"]);
    assert!(r.stdout.starts_with("many.vm.yaml:"), "{}", r.stdout);
    r.assert_says("(on all 2 candidate hosts: esx-a and esx-b)");
}

#[test]
fn a_hash_inside_a_quoted_yaml_string_is_not_a_directive() {
    let vm = GOOD_VM.replace(
        "name: good\n",
        "name: good\nnotes: \"moved from lab # vmlint: ignore PT009 -- no\"\n",
    );
    let fixture = format!("{vm}# expect: PT011\n");
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("v.vm.yaml", vm.as_bytes()),
    ]);
    let r = compact(t.path(), &[]);
    assert_eq!(
        codes(&r.stdout),
        ["VL002"],
        "only the unknown key: {}",
        r.stdout
    );
    // nor is an `# expect:` in a string an expectation
    let f = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        (
            "v.vm.yaml",
            fixture
                .replace("# expect: PT011\n", "notes2: \"# expect: PT011\"\n")
                .as_bytes(),
        ),
    ]);
    let r = vmlint_in(f.path(), &["test", "."]);
    assert!(!r.stdout.contains("expected PT011"), "{}", r.stdout);
}

#[test]
fn the_stig_rule_runs_when_selected_and_takes_the_approved_devices() {
    let t = tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("v.vm.yaml", GOOD_VM.as_bytes()),
    ]);
    // off by default, and a prefix does not turn it on
    for args in [vec![], vec!["--select", "PT"]] {
        let r = compact(t.path(), &args);
        assert!(!r.stdout.contains("PT019"), "{args:?}: {}", r.stdout);
    }
    let r = compact(t.path(), &["--select", "PT019"]);
    r.assert_codes(&["PT019"]);
    for approved in ["\"0000:3b:00.0\"", "\"0x10de:0x20b5\"", "\"go*\""] {
        std::fs::write(
            t.path().join(".vmlint.yaml"),
            format!("select: [PT019]\nparams: {{ PT019: {{ approved: [{approved}] }} }}\n"),
        )
        .unwrap();
        let r = compact(t.path(), &[]);
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (0, ""),
            "{approved}: {}",
            r.stderr
        );
    }
    // SARIF carries the control ids
    std::fs::write(t.path().join(".vmlint.yaml"), "select: [PT019]\n").unwrap();
    let r = vmlint_in(t.path(), &["check", "--format", "sarif"]);
    r.assert_says("\"DISA-STIG:VMCH-70-000028\"");
}
