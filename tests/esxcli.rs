//! esxcli captures as host facts: the same host described in YAML and
//! captured with esxcli gives the same findings; a finding underlines the
//! capture's own line; broken captures are diagnostics, never a panic.

use crate::util::{Run, root, tree, vmlint_in};

/// The host of fixtures/esxcli/esx-cap-01.esxcli, written by hand in YAML.
const SAME_HOST: &str = "kind: host
name: esx-cap-01
esxi_version: 8.0.2
iommu: enabled
boot_device: usb
coredump: { transport: disk }
pci:
  - address: \"0000:00:14.0\"
    vendor_id: 0x8086
    device_id: 0xa1af
    class: 0x0c03
    name: C620 Series Chipset Family USB 3.0 xHCI Controller
    passthrough: enabled
  - address: \"0000:3b:00.0\"
    vendor_id: 0x10de
    device_id: 0x20f1
    class: 0x0302
    name: GA100 [A100 PCIe 40GB]
    passthrough: enabled
  - address: \"0000:5e:00.0\"
    vendor_id: 0x8086
    device_id: 0x159b
    class: 0x0200
    name: Ethernet Controller E810-XXV for SFP
    passthrough: disabled
";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures/esxcli").join(name)).unwrap()
}

/// The estate's findings, by VM file, line and code (what the host file
/// is does not show in them).
fn findings(r: &Run) -> Vec<String> {
    let mut out: Vec<String> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("vms/"))
        .map(|l| l.split(' ').take(2).collect::<Vec<_>>().join(" "))
        .collect();
    out.sort();
    out
}

#[test]
fn a_host_in_yaml_and_the_same_host_captured_give_the_same_findings() {
    let vms = [
        ("vms/train-01.vm.yaml", fixture("vms/train-01.vm.yaml")),
        ("vms/kiosk.vm.yaml", fixture("vms/kiosk.vm.yaml")),
    ];
    let capture = fixture("esx-cap-01.esxcli");
    let with_yaml = tree(&[
        ("hosts/esx-cap-01.host.yaml", SAME_HOST.as_bytes()),
        (vms[0].0, &vms[0].1),
        (vms[1].0, &vms[1].1),
    ]);
    let with_capture = tree(&[
        ("hosts/esx-cap-01.esxcli", &capture),
        (vms[0].0, &vms[0].1),
        (vms[1].0, &vms[1].1),
    ]);
    let a = vmlint_in(with_yaml.path(), &["check", "--format", "compact"]);
    let b = vmlint_in(with_capture.path(), &["check", "--format", "compact"]);
    assert_eq!(
        findings(&a),
        [
            "vms/kiosk.vm.yaml:11:14: error[PT004]",
            "vms/train-01.vm.yaml:15:14: error[PT003]"
        ],
        "{}",
        a.stdout
    );
    assert_eq!(findings(&a), findings(&b), "{}\n{}", a.stdout, b.stdout);
    // and a capture is found as the inventory, through `hosts:`, by name
    std::fs::write(
        with_capture.path().join(".vmlint.yaml"),
        "hosts: [hosts/]\n",
    )
    .unwrap();
    let r = vmlint_in(
        with_capture.path(),
        &["check", "--format", "compact", "vms/kiosk.vm.yaml"],
    );
    r.assert_says("error[PT004]");
}

#[test]
fn a_finding_underlines_the_line_of_the_capture() {
    let r = vmlint_in(&root(), &["check", "fixtures/esxcli", "--color", "never"]);
    let pt003 = r
        .stdout
        .split("\n\n")
        .skip_while(|b| !b.starts_with("PT003"))
        .take(3)
        .collect::<Vec<_>>()
        .join("\n\n");
    insta::assert_snapshot!(pt003);
}

#[test]
fn broken_captures_are_diagnostics_and_the_run_goes_on() {
    let good = String::from_utf8(fixture("esx-cap-01.esxcli")).unwrap();
    // cut in the middle of a device
    let truncated = &good[..good.find("Device Class: 0x0302").unwrap()];
    let huge = format!("{good}{}", "   Padding: x\\n".repeat(700_000));
    let t = tree(&[
        ("truncated.esxcli", truncated.as_bytes()),
        ("wrong.esxcli", b"[root@esx-w:~] esxcli network ip interface list\nvmk0\n   Name: vmk0\n   MTU: 9000\n"),
        ("nothing.esxcli.txt", b"just some notes\n"),
        ("binary.esxcli", b"\x00\x01\x02esxcli\x00"),
        ("huge.esxcli", huge.as_bytes()),
        ("witness.vm.yaml", b"kind: vm\nname: w\nhardware_version: 4\npassthrough:\n  - vendor_id: 0x10de\n    device_id: 0x20f1\n"),
    ]);
    let r = vmlint_in(t.path(), &["check", "--format", "compact"]);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert!(
        r.stdout.contains(
            "nothing.esxcli.txt:1:1: error[VL001] this capture holds no esxcli command vmlint reads"
        ),
        "{}",
        r.stdout
    );
    r.assert_says("binary.esxcli:1:1: error[VL005] this file is binary");
    r.assert_says("huge.esxcli:1:1: error[VL005]");
    // the witness is still checked
    r.assert_says("witness.vm.yaml:3:19: error[PT005]");
    // a truncated capture and one of another command are hosts with what they say
    let dump = "rule XHOST1 hosts {\n  on host\n  assert false\n  at host.name\n  message \"{host.name} {count(host.pci)}\"\n}\n";
    std::fs::write(t.path().join("dump.rules"), dump).unwrap();
    let r = vmlint_in(
        t.path(),
        &[
            "check",
            "--no-builtin",
            "--rules",
            "dump.rules",
            "--format",
            "compact",
        ],
    );
    r.assert_says("] esx-cap-01 2");
    r.assert_says("] esx-w 0");
}

#[test]
fn inventory_shows_each_fact_and_where_it_came_from() {
    let r = vmlint_in(&root(), &["inventory", "fixtures/esxcli"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for want in [
        "host esx-cap-01  (fixtures/esxcli/esx-cap-01.esxcli:1)",
        "  release      8.0.2 (fixtures/esxcli/esx-cap-01.esxcli:3)",
        "  iommu        enabled (fixtures/esxcli/esx-cap-01.esxcli:23), inferred from passthrough-capable devices",
        "  boot_device  usb (fixtures/esxcli/esx-cap-01.esxcli:97)",
        "passthrough disabled (fixtures/esxcli/esx-cap-01.esxcli:83)",
        "  vms          kiosk, train-01",
        "vm train-01  (fixtures/esxcli/vms/train-01.vm.yaml:2): on host esx-cap-01; passthrough: static 0000:3b:00.0, static 0000:5e:00.0",
    ] {
        assert!(r.stdout.contains(want), "{want}\n{}", r.stdout);
    }
    let r = vmlint_in(
        &root(),
        &["inventory", "fixtures/estate", "--format", "json"],
    );
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(doc["hosts"].as_array().unwrap().len() >= 3, "{}", r.stdout);
    assert!(
        doc["vms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["placement"] == "cluster gpu-a"),
        "{}",
        r.stdout
    );
}

#[test]
fn vms_exported_from_vcenter_are_placed_by_reference_and_checked() {
    let hosts = fixture_vsphere("hosts.json");
    let vms = fixture_vsphere("vms.json")
        .replace("\"Reservation\": 65536", "\"Reservation\": 32768")
        .replace(
            "\"MemoryReservationLockedToMax\": true",
            "\"MemoryReservationLockedToMax\": false",
        );
    // a second VM on the same host takes render-03's A100 too
    let other = "kind: vm\nname: ml-02\nhost: esx-api-01\nhardware_version: 20\nfirmware: efi\nmemory_mb: 8192\nmemory_reservation: all\nmmio64: { enabled: true, size_gb: 128 }\npassthrough:\n  - address: \"0000:3b:00.0\"\n";
    let t = tree(&[
        ("hosts.json", hosts.as_bytes()),
        ("vms.json", vms.as_bytes()),
        ("ml-02.vm.yaml", other.as_bytes()),
    ]);
    let r = vmlint_in(t.path(), &["check", "--format", "compact"]);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines.iter().any(|l| l.starts_with("vms.json:")
            && l.contains("error[PT009] memory reservation is 32768 MB")),
        "{}",
        r.stdout
    );
    assert!(
        lines.iter().any(|l| l.starts_with("vms.json:")
            && l.contains(
                "warning[PT011] 0000:3b:00.0 on host esx-api-01 is also passed through to ml-02"
            )),
        "{}",
        r.stdout
    );
    assert!(
        lines.iter().any(
            |l| l.starts_with("ml-02.vm.yaml:10:14: warning[PT011]") && l.contains("render-03")
        ),
        "{}",
        r.stdout
    );
    // the span is the backing's id in the JSON
    let pt011 = lines
        .iter()
        .find(|l| l.starts_with("vms.json:") && l.contains("PT011"))
        .unwrap();
    let line_no: usize = pt011.split(':').nth(1).unwrap().parse().unwrap();
    assert!(
        vms.lines()
            .nth(line_no - 1)
            .unwrap()
            .contains("\"Id\": \"0000:3b:00.0\""),
        "{pt011}"
    );
}

fn fixture_vsphere(name: &str) -> String {
    std::fs::read_to_string(root().join("fixtures/vsphere").join(name)).unwrap()
}

#[test]
fn hostile_vsphere_dumps_are_diagnostics() {
    let deep = format!(
        "{{\"HostSystems\": {}1{}}}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    let wide = format!(
        "{{\"HostSystems\": [{}]}}",
        vec!["{\"Name\": \"h\", \"Hardware\": {\"PciDevice\": []}, \"Config\": {}}"; 120_000]
            .join(",")
    );
    let odd = "{\"HostSystems\": [{\"Name\": 7, \"Config\": {\"PciPassthruInfo\": [{\"Id\": 3}]}, \"Hardware\": {\"PciDevice\": [{\"Id\": \"zz\", \"VendorId\": \"x\"}]}}]}";
    let t = tree(&[
        ("deep.json", deep.as_bytes()),
        ("wide.json", wide.as_bytes()),
        ("odd.json", odd.as_bytes()),
        ("witness.vm.yaml", b"kind: vm\nname: w\nhardware_version: 4\npassthrough:\n  - vendor_id: 0x10de\n    device_id: 0x20f1\n"),
    ]);
    let r = vmlint_in(t.path(), &["check", "--format", "compact"]);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert!(
        r.stdout.contains("deep.json:") && r.stdout.contains("VL001"),
        "{}",
        r.stdout
    );
    // too many nodes to build: a diagnostic, not unbounded memory
    assert!(
        r.stdout.contains("wide.json:1:") && r.stdout.contains("more than 200000 nodes"),
        "{}",
        r.stdout
    );
    r.assert_says("witness.vm.yaml:3:19: error[PT005]");
}

#[test]
fn a_txt_capture_is_found_by_its_content_and_other_text_is_left_alone() {
    let capture = fixture("esx-cap-01.esxcli");
    let t = tree(&[
        ("hosts/esx-cap-01.txt", &capture),
        ("hosts/notes.txt", b"rack 12, row C: the GPU hosts\n"),
        (
            "vms/kiosk.vm.yaml",
            b"kind: vm\nname: kiosk\nhost: esx-cap-01\nhardware_version: 19\nmemory_mb: 4096\nmemory_reservation: all\npassthrough:\n  - address: \"0000:00:14.0\"\n",
        ),
    ]);
    let r = vmlint_in(t.path(), &["check", ".", "--output", "compact"]);
    assert_eq!(
        r.stdout.lines().collect::<Vec<_>>(),
        [
            "vms/kiosk.vm.yaml:8:14: error[PT004] 0000:00:14.0 is a USB controller, and host esx-cap-01 boots from usb"
        ],
        "{}",
        r.stderr
    );
    let t = tree(&[
        ("notes.txt", b"nothing here\n"),
        ("providers.tf", b"terraform {\n}\n"),
    ]);
    let r = vmlint_in(t.path(), &["check", "."]);
    assert_eq!(r.code, 0);
    assert!(
        r.stderr
            .contains("no VM or host was found in what was named, so nothing was checked"),
        "{}",
        r.stderr
    );
}
