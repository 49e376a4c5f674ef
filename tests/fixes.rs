//! Fixes: every built-in fix turns its case in tests/fix/ into the
//! `.fixed` twin, fixing twice gives the bytes of fixing once, a file keeps
//! its charset, line ends and every byte the fix does not touch, unsafe
//! fixes wait for `--unsafe-fixes`, and an interrupted write leaves the
//! file as it was.

use crate::util::{root, tree, vmlint_in};
use std::path::{Path, PathBuf};

/// A case folder copied to a temporary folder, without its `.fixed` twin;
/// the file to fix and the bytes it must become.
fn case(name: &str) -> (tempfile::TempDir, PathBuf, Vec<u8>) {
    let dir = root().join("tests/fix").join(name);
    let t = tempfile::tempdir().unwrap();
    let mut target = None;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let n = p.file_name().unwrap().to_str().unwrap().to_string();
        if let Some(stem) = n.strip_suffix(".fixed") {
            target = Some((t.path().join(stem), std::fs::read(&p).unwrap()));
        } else {
            std::fs::copy(&p, t.path().join(&n)).unwrap();
        }
    }
    let (file, want) = target.unwrap();
    (t, file, want)
}

fn cases() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("tests/fix"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn fix(dir: &Path, extra: &[&str]) -> crate::util::Run {
    let mut args = vec!["check", ".", "--fix", "--output", "compact"];
    args.extend_from_slice(extra);
    vmlint_in(dir, &args)
}

#[test]
fn every_built_in_fix_gives_its_fixed_twin_and_fixing_twice_changes_nothing() {
    let names = cases();
    assert!(names.len() >= 10, "{names:?}");
    for name in names {
        let (t, file, want) = case(&name);
        let r = fix(t.path(), &["--unsafe-fixes"]);
        let got = std::fs::read(&file).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want),
            "{name}: {}{}",
            r.stdout,
            r.stderr
        );
        // nothing is left to report, and a second run changes no byte
        assert_eq!(r.stdout, "", "{name}: {}", r.stderr);
        let again = fix(t.path(), &["--unsafe-fixes"]);
        assert_eq!(
            std::fs::read(&file).unwrap(),
            want,
            "{name}: {}",
            again.stderr
        );
        assert!(
            again.stderr.contains("fixed 0 finding(s)"),
            "{name}: {}",
            again.stderr
        );
    }
}

#[test]
fn an_unsafe_fix_waits_for_unsafe_fixes_and_the_output_says_so() {
    let (t, file, _) = case("pt010-yaml");
    let before = std::fs::read(&file).unwrap();
    let r = fix(t.path(), &[]);
    assert_eq!(std::fs::read(&file).unwrap(), before);
    assert!(
        r.stderr
            .contains("1 unsafe fix(es) held back (apply them with --unsafe-fixes)"),
        "{}",
        r.stderr
    );
    r.assert_says("PT010");
}

#[test]
fn diff_prints_the_change_and_writes_nothing() {
    let (t, file, _) = case("pt015-vmx");
    let before = std::fs::read(&file).unwrap();
    let r = vmlint_in(t.path(), &["check", ".", "--diff"]);
    assert_eq!(r.code, 1);
    assert_eq!(std::fs::read(&file).unwrap(), before);
    assert!(
        r.stdout.contains("\n-vcpu.hotadd = \"TRUE\"\n")
            && r.stdout.contains("\n+vcpu.hotadd = \"FALSE\"\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.starts_with("--- a/vm.vmx\n+++ b/vm.vmx\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_shift_jis_crlf_vmx_keeps_its_charset_line_ends_and_untouched_bytes() {
    let host = std::fs::read(root().join("tests/fix/pt009-vmx/esx-fix-01.host.yaml")).unwrap();
    let text = ".encoding = \"Shift_JIS\"\r\n# vmlint: host=esx-fix-01\r\nconfig.version = \"8\"\r\nvirtualHW.version = \"20\"\r\ndisplayName = \"学習サーバー01\"\r\nannotation = \"担当: 機械学習基盤|0Aチケット |22INFRA-88|22\"\r\nfirmware = \"efi\"\r\nmemSize = \"65536\"\r\npciPassthru.use64bitMMIO = \"TRUE\"\r\npciPassthru.64bitMMIOSizeGB = \"128\"\r\npciPassthru0.id = \"00000:059:00.0\"\r\npciPassthru0.present = \"TRUE\"\r\n";
    let (bytes, _, bad) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!bad);
    let t = tree(&[("esx-fix-01.host.yaml", &host), ("vm.vmx", &bytes)]);
    let r = fix(t.path(), &[]);
    assert_eq!(r.stdout, "", "{}", r.stderr);
    let got = std::fs::read(t.path().join("vm.vmx")).unwrap();
    // every original byte is kept, and the new line is Shift_JIS with CRLF
    assert!(got.starts_with(&bytes), "{}", String::from_utf8_lossy(&got));
    assert_eq!(&got[bytes.len()..], b"sched.mem.pin = \"TRUE\"\r\n");
}

#[test]
fn an_interrupted_write_leaves_the_file_as_it_was() {
    let (t, file, _) = case("pt015-yaml");
    let before = std::fs::read(&file).unwrap();
    let r = crate::util::vmlint_env(
        t.path(),
        &["check", ".", "--fix"],
        &[("VMLINT_TEST_INTERRUPT_BEFORE_RENAME", "1")],
    );
    assert!(r.stderr.contains("cannot write"), "{}", r.stderr);
    assert_eq!(std::fs::read(&file).unwrap(), before);
    // no temporary file is left beside it
    let left: Vec<String> = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_str().unwrap().to_string())
        .filter(|n| n.contains("vmlint-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn json_carries_the_edits_of_a_fix() {
    let (t, _, _) = case("pt009-vmx");
    let r = vmlint_in(t.path(), &["check", ".", "--output", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let fix = &doc["diagnostics"][0]["fix"];
    assert_eq!(fix["applicability"], "safe");
    assert_eq!(fix["edits"][0]["text"], "sched.mem.pin = \"TRUE\"\n");
}

#[test]
fn a_user_rule_can_remove_a_key() {
    let host = std::fs::read(root().join("tests/fix/pt009-vmx/esx-fix-01.host.yaml")).unwrap();
    let t = tree(&[
        ("esx-fix-01.host.yaml", &host),
        (
            "policy.rules",
            b"rule LAB001 no-annotations {\n  severity warning\n  summary \"no annotations on lab VMs\"\n  on vm\n  assert raw_missing\n  message \"an annotation\"\n  fix safe remove vm.name\n}\n",
        ),
        ("vm.vmx", b"displayName = \"lab-01\"\nmemSize = \"1024\"\n"),
    ]);
    // a fix of a field no descriptor writes is refused when the rule loads
    let bad = vmlint_in(t.path(), &["check", ".", "--rules", "policy.rules"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    let rules = b"rule LAB001 lab-vms-have-no-hot-add-key {\n  severity warning\n  summary \"lab VMs leave hot add to the default\"\n  on vm\n  assert vm.raw[\"vcpu.hotadd\"] == null\n  at vm.hot_add.cpu\n  message \"vcpu.hotadd is set\"\n  fix safe remove vm.hot_add.cpu\n}\n";
    std::fs::write(t.path().join("policy.rules"), rules).unwrap();
    std::fs::write(
        t.path().join("vm.vmx"),
        "displayName = \"lab-01\"\r\nvcpu.hotadd = \"FALSE\"\r\nmemSize = \"1024\"\r\n",
    )
    .unwrap();
    let r = vmlint_in(
        t.path(),
        &[
            "check",
            ".",
            "--rules",
            "policy.rules",
            "--fix",
            "--select",
            "LAB001",
        ],
    );
    assert!(
        r.stderr.contains("fixed 1 finding(s)"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(t.path().join("vm.vmx")).unwrap(),
        "displayName = \"lab-01\"\r\nmemSize = \"1024\"\r\n"
    );
}

#[test]
fn a_fix_that_makes_a_file_worse_is_undone_and_reported() {
    let host = std::fs::read(root().join("tests/fix/pt009-vmx/esx-fix-01.host.yaml")).unwrap();
    // a rule whose fix turns a lab key into a passthrough device that names
    // nothing: the file gets more findings than it had
    let rules = b"rule LAB002 lab-flag {\n  severity warning\n  summary \"no lab flags\"\n  on vm\n  for key in vm.raw_keys where key == \"lab.flag\"\n  assert false\n  at key\n  message \"a lab flag\"\n  fix safe rename key to \"pciPassthru0.present\"\n}\n";
    let vm = b"# vmlint: host=esx-fix-01\ndisplayName = \"lab-02\"\nvirtualHW.version = \"20\"\nmemSize = \"1024\"\nlab.flag = \"TRUE\"\n";
    let t = tree(&[
        ("esx-fix-01.host.yaml", &host),
        ("policy.rules", rules),
        ("vm.vmx", vm),
    ]);
    let r = vmlint_in(
        t.path(),
        &["check", ".", "--rules", "policy.rules", "--fix"],
    );
    assert!(r.stderr.contains("the fix of LAB002 made"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("it was undone: this is a bug of the rule"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(t.path().join("vm.vmx")).unwrap(), vm);
}

#[cfg(unix)]
#[test]
fn a_fix_through_a_symbolic_link_writes_its_target_and_keeps_the_link_and_mode() {
    use std::os::unix::fs::PermissionsExt;
    let (t, file, want) = case("pt015-vmx");
    let real = t.path().join("real.vmx");
    std::fs::rename(&file, &real).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("real.vmx", &file).unwrap();
    fix(t.path(), &[]);
    assert!(
        std::fs::symlink_metadata(&file)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(&real).unwrap(), want);
    assert_eq!(
        std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o640
    );
}
