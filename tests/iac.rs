//! Infrastructure code as input: the same VMs written in every format give
//! the same findings; Terraform's lookups, unknown values and broken or
//! hostile files behave as a user expects.

use crate::util::{Run, root, tree, vmlint_in};
use std::collections::{BTreeMap, BTreeSet};

/// Each format of fixtures/formats, and the VMs it can express.
const FORMATS: &[(&str, &[&str])] = &[
    ("vmx", &["train-01", "infer-01", "vgpu-01", "nfv-01"]),
    ("yaml", &["train-01", "infer-01", "vgpu-01", "nfv-01"]),
    ("terraform", &["train-01", "nfv-01"]),
    ("plan", &["train-01", "nfv-01"]),
    ("ansible", &["train-01", "vgpu-01"]),
    ("packer", &["infer-01", "vgpu-01"]),
    ("packer-json", &["infer-01", "vgpu-01"]),
    ("ovf", &["train-01", "infer-01", "vgpu-01"]),
];

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", run.stdout, run.stderr))
}

/// `file:line` as inventory writes it.
fn at(from: &str) -> (String, u64) {
    let (f, l) = from.rsplit_once(':').unwrap();
    (f.to_string(), l.parse().unwrap())
}

/// The codes found on each VM of one format's folder, checked alone
/// against the estate's host: a finding belongs to the VM of its file
/// that starts last before it.
fn codes_by_vm(format: &str) -> BTreeMap<String, Vec<String>> {
    let dir = root().join("fixtures/formats");
    let paths = ["hosts", format];
    let inv = json(&vmlint_in(
        &dir,
        &["inventory", paths[0], paths[1], "--format", "json"],
    ));
    let mut starts: Vec<(String, u64, String)> = inv["vms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let (f, l) = at(v["from"].as_str().unwrap());
            // a plan's VM carries its resource address
            let name = v["name"]
                .as_str()
                .unwrap()
                .split(" (")
                .next()
                .unwrap()
                .to_string();
            (f, l, name)
        })
        .collect();
    starts.sort();
    let run = vmlint_in(&dir, &["check", paths[0], paths[1], "--output", "json"]);
    let mut out: BTreeMap<String, Vec<String>> = starts
        .iter()
        .map(|(.., n)| (n.clone(), Vec::new()))
        .collect();
    for d in json(&run)["diagnostics"].as_array().unwrap() {
        let path = d["path"]
            .as_str()
            .unwrap()
            .trim_start_matches("fixtures/formats/");
        let line = d["start"]["line"].as_u64().unwrap();
        let vm = starts
            .iter()
            .rfind(|(f, l, _)| f.trim_start_matches("fixtures/formats/") == path && *l <= line)
            .map_or_else(|| format!("{path}:{line} (no VM)"), |(.., n)| n.clone());
        out.entry(vm)
            .or_default()
            .push(d["code"].as_str().unwrap().to_string());
    }
    for codes in out.values_mut() {
        codes.sort();
    }
    out
}

#[test]
fn every_format_gives_the_same_codes_for_the_same_vms() {
    let reference = codes_by_vm("vmx");
    assert_eq!(
        reference.get("train-01").map(Vec::as_slice),
        Some(["PT009".to_string(), "PT015".to_string()].as_slice()),
        "{reference:?}"
    );
    for (format, vms) in FORMATS {
        let found = codes_by_vm(format);
        let names: BTreeSet<&String> = found.keys().collect();
        let want: BTreeSet<String> = vms.iter().map(|v| v.to_string()).collect();
        assert_eq!(names, want.iter().collect(), "{format}: the VMs read");
        for vm in *vms {
            assert_eq!(
                found.get(*vm),
                reference.get(*vm),
                "{format}: the findings of {vm}"
            );
        }
    }
}

const HOST: &str = "kind: host
name: esx-gpu-09.lab.example
esxi_version: 8.0.2
iommu: enabled
pci:
  - { address: \"0000:3b:00.0\", vendor_id: 0x10de, device_id: 0x20b5, class: 0x0302, name: \"GA100 [A100 PCIe 80GB]\", passthrough: enabled }
  - { address: \"0000:5e:00.0\", vendor_id: 0x10de, device_id: 0x20b5, class: 0x0302, name: \"GA100 [A100 PCIe 80GB]\", passthrough: enabled }
  - { address: \"0000:86:00.0\", vendor_id: 0x8086, device_id: 0x1592, class: 0x0200, name: \"Ethernet Controller E810-C for QSFP\", passthrough: disabled }
";

const DATA: &str = "data \"vsphere_host\" \"h\" {
  name          = \"esx-gpu-09\"
  datacenter_id = \"datacenter-3\"
}
";

fn module(vm: &str) -> tempfile::TempDir {
    tree(&[
        ("hosts/esx-gpu-09.host.yaml", HOST.as_bytes()),
        ("tf/data.tf", DATA.as_bytes()),
        ("tf/main.tf", vm.as_bytes()),
    ])
}

fn compact(t: &tempfile::TempDir, extra: &[&str]) -> Run {
    let mut args = vec!["check", "hosts", "tf", "--output", "compact"];
    args.extend_from_slice(extra);
    vmlint_in(t.path(), &args)
}

const GOOD_VM: &str = "memory = 65536\n  memory_reservation_locked_to_max = true\n  firmware = \"efi\"\n  hardware_version = 20\n  extra_config = { \"pciPassthru.use64bitMMIO\" = \"TRUE\", \"pciPassthru.64bitMMIOSizeGB\" = \"256\" }\n  host_system_id = data.vsphere_host.h.id\n";

#[test]
fn a_device_lookup_is_resolved_against_the_host_facts() {
    // `.id` of a lookup that matches both A100s: the provider keeps the first
    let t = module(&format!(
        "data \"vsphere_host_pci_device\" \"gpu\" {{\n  host_id    = data.vsphere_host.h.id\n  name_regex = \"A100\"\n}}\n\nresource \"vsphere_virtual_machine\" \"a\" {{\n  name = \"a\"\n  {GOOD_VM}  pci_device_id = [data.vsphere_host_pci_device.gpu.id]\n}}\n"
    ));
    let r = compact(&t, &[]);
    r.assert_says("warning[VL010] `data.vsphere_host_pci_device.gpu` selects 2 devices on host esx-gpu-09.lab.example (0000:3b:00.0, 0000:5e:00.0)");
    let inv = vmlint_in(t.path(), &["inventory", "hosts", "tf"]);
    inv.assert_says("passthrough: static 0000:3b:00.0");

    // every match, by class and vendor (hex, as the provider takes them)
    let t = module(&format!(
        "data \"vsphere_host_pci_device\" \"gpu\" {{\n  host_id   = data.vsphere_host.h.id\n  class_id  = \"302\"\n  vendor_id = \"10de\"\n}}\n\nresource \"vsphere_virtual_machine\" \"a\" {{\n  name = \"a\"\n  {GOOD_VM}  pci_device_id = [for d in data.vsphere_host_pci_device.gpu.pci_devices : d.id]\n}}\n"
    ));
    assert_eq!(compact(&t, &[]).stdout, "", "two devices, both enabled");
    let inv = vmlint_in(t.path(), &["inventory", "hosts", "tf"]);
    inv.assert_says("static 0000:3b:00.0, static 0000:5e:00.0");

    // a lookup that matches nothing is an error on the attribute
    let t = module(&format!(
        "data \"vsphere_host_pci_device\" \"gpu\" {{\n  host_id    = data.vsphere_host.h.id\n  name_regex = \"H100\"\n}}\n\nresource \"vsphere_virtual_machine\" \"a\" {{\n  name = \"a\"\n  {GOOD_VM}  pci_device_id = [data.vsphere_host_pci_device.gpu.pci_devices[0].id]\n}}\n"
    ));
    let r = compact(&t, &[]);
    r.assert_says("tf/main.tf:14:20: error[VL010] `data.vsphere_host_pci_device.gpu` selects no device on host esx-gpu-09.lab.example");
}

#[test]
fn a_device_id_from_a_module_input_is_unknown_not_a_finding() {
    let t = module(&format!(
        "variable \"gpu_ids\" {{\n  type = list(string)\n}}\n\nvariable \"extra_gpu\" {{\n  type = string\n}}\n\nresource \"vsphere_virtual_machine\" \"a\" {{\n  name = \"a\"\n  {GOOD_VM}  pci_device_id = var.gpu_ids\n}}\n\nresource \"vsphere_virtual_machine\" \"b\" {{\n  name = \"b\"\n  {GOOD_VM}  pci_device_id = [var.extra_gpu]\n}}\n"
    ));
    let r = compact(&t, &["--verbose"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr
            .contains("`var.gpu_ids` has no default: it is an input of the module"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(
            "tf/main.tf:28:20: a device of `vsphere_virtual_machine.b` is not known statically"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn terraform_values_come_from_tfvars_locals_and_defaults() {
    let t = tree(&[
        ("hosts/esx-gpu-09.host.yaml", HOST.as_bytes()),
        ("tf/data.tf", DATA.as_bytes()),
        ("tf/variables.tf", b"variable \"memory_gb\" {\n  default = 16\n}\nvariable \"reserve\" {\n  default = true\n}\n"),
        ("tf/terraform.tfvars", b"memory_gb = 64\n"),
        ("tf/zz.auto.tfvars", b"reserve = false\n"),
        (
            "tf/main.tf",
            b"locals {\n  mb = var.memory_gb * 1024\n}\n\nresource \"vsphere_virtual_machine\" \"a\" {\n  name             = \"a\"\n  host_system_id   = data.vsphere_host.h.id\n  memory           = local.mb\n  memory_reservation_locked_to_max = var.reserve\n  pci_device_id    = [\"0000:3b:00.0\"]\n}\n",
        ),
    ]);
    let r = compact(&t, &[]);
    assert!(
        // 64 GB from terraform.tfvars; the lock off from zz.auto.tfvars
        r.stdout.contains(
            "tf/main.tf:5:1: error[PT009] memory reservation is not set (memory 65536 MB)"
        ),
        "{}{}",
        r.stdout,
        r.stderr
    );
}

#[test]
fn a_tf_file_without_vms_is_skipped_and_a_broken_one_is_reported() {
    let t = tree(&[
        ("hosts/esx-gpu-09.host.yaml", HOST.as_bytes()),
        ("tf/providers.tf", b"terraform {\n  required_providers {\n    vsphere = { source = \"vmware/vsphere\" }\n  }\n}\n"),
        ("tf/broken-network.tf", b"resource \"aws_vpc\" \"x\" {\n  cidr = \n"),
        ("tf/vm.tf", b"resource \"vsphere_virtual_machine\" \"a\" {\n  name = \"a\"\n  memory = \n}\n"),
        ("tf/binary.tf", b"\x00\x01vsphere_virtual_machine\x00"),
        ("tf/empty.tf", b""),
        ("tf/deep.tf", format!("resource \"vsphere_virtual_machine\" \"d\" {{\n  name = {}1{}\n}}\n", "[".repeat(5000), "]".repeat(5000)).as_bytes()),
        ("tf/ok.tf", b"resource \"vsphere_virtual_machine\" \"ok\" {\n  name = \"ok\"\n  host_system_id = \"esx-gpu-09.lab.example\"\n  memory = 4096\n  pci_device_id = [\"0000:3b:00.0\"]\n}\n"),
    ]);
    let r = compact(&t, &[]);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("tf/vm.tf:3:")
                && l.contains("error[VL001] this HCL does not parse")),
        "{}",
        r.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("tf/binary.tf:1:1: error[VL005]")),
        "{}",
        r.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("tf/deep.tf:") && l.contains("VL001")),
        "{}",
        r.stdout
    );
    // the rest of the run goes on
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("tf/ok.tf:1:1") && l.contains("PT009")),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("providers.tf")
            && !r.stdout.contains("broken-network")
            && !r.stdout.contains("empty.tf"),
        "{}",
        r.stdout
    );
}

#[test]
fn an_input_kind_can_be_turned_off() {
    let t = tree(&[
        (".vmlint.yaml", b"inputs:\n  terraform: false\n  ansibel: false\n"),
        ("hosts/esx-gpu-09.host.yaml", HOST.as_bytes()),
        ("tf/ok.tf", b"resource \"vsphere_virtual_machine\" \"ok\" {\n  name = \"ok\"\n  host_system_id = \"esx-gpu-09\"\n  memory = 4096\n  pci_device_id = [\"0000:3b:00.0\"]\n}\n"),
    ]);
    let r = compact(&t, &[]);
    assert!(
        (r.stdout.clone() + &r.stderr)
            .contains("unknown input kind `ansibel`; did you mean `ansible`?"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    let t = tree(&[
        (".vmlint.yaml", b"inputs:\n  terraform: false\n"),
        ("hosts/esx-gpu-09.host.yaml", HOST.as_bytes()),
        ("tf/ok.tf", b"resource \"vsphere_virtual_machine\" \"ok\" {\n  name = \"ok\"\n  host_system_id = \"esx-gpu-09\"\n  memory = 4096\n  pci_device_id = [\"0000:3b:00.0\"]\n}\n"),
    ]);
    let r = compact(&t, &[]);
    assert_eq!(r.stdout, "", "{}", r.stderr);
}

#[test]
fn playbooks_are_read_and_other_yaml_is_left_alone() {
    let t = tree(&[
        ("hosts/esx-gpu-09.host.yaml", HOST.as_bytes()),
        (
            "ansible/vm.yml",
            b"- hosts: localhost\n  tasks:\n    - name: gpu vm\n      vmware_guest:\n        name: \"{{ vm_name }}\"\n        esxi_hostname: esx-gpu-09\n        hardware:\n          memory_mb: 8192\n          mem_reservation: \"{{ reserve }}\"\n        advanced_settings:\n          - { key: pciPassthru0.present, value: \"TRUE\" }\n          - { key: pciPassthru0.id, value: \"00000:094:00.0\" }\n          - { key: pciPasthru0.vendorId, value: \"0x10de\" }\n",
        ),
        ("ansible/inventory.yml", b"all:\n  hosts:\n    esx-gpu-09: { kind: esxi }\n"),
        ("ansible/broken.yml", b"- hosts: [\n"),
    ]);
    let r = vmlint_in(
        t.path(),
        &[
            "check",
            "hosts",
            "ansible",
            "--output",
            "compact",
            "--verbose",
        ],
    );
    // the reservation is a template: unknown, not a finding; the device key is misspelled
    assert_eq!(
        crate::util::codes(&r.stdout),
        ["PT016"],
        "{}{}",
        r.stdout,
        r.stderr
    );
    assert!(
        r.stderr
            .contains("is not known statically: a Jinja2 template"),
        "{}",
        r.stderr
    );
}

#[test]
fn hostile_iac_files_are_diagnostics() {
    let huge_tf = format!(
        "{}resource \"vsphere_virtual_machine\" \"x\" {{\n  name = \"x\"\n}}\n",
        "locals {\n  a = \"x\"\n}\n".repeat(200_000)
    );
    let deep_ovf = format!(
        "<?xml version=\"1.0\"?>\n<Envelope>{}{}</Envelope>\n",
        "<a>".repeat(100_000),
        "</a>".repeat(100_000)
    );
    let t = tree(&[
        ("huge.tf", huge_tf.as_bytes()),
        ("deep.ovf", deep_ovf.as_bytes()),
        ("truncated.ovf", b"<?xml version=\"1.0\"?>\n<Envelope><VirtualSystem ovf:id=\"x\"><Name>x</Na"),
        ("bomb.ovf", b"<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]>\n<Envelope>&b;</Envelope>\n"),
        ("cyclic.tf", b"locals {\n  a = local.b\n  b = local.a\n}\nresource \"vsphere_virtual_machine\" \"c\" {\n  name = local.a\n  memory = local.b\n}\n"),
        ("deep.pkr.hcl", format!("source \"vsphere-iso\" \"x\" {{\n  RAM = {}1{}\n}}\n", "(".repeat(3000), ")".repeat(3000)).as_bytes()),
        ("plan.json", format!("{{\"format_version\": \"1.2\", \"planned_values\": {}{}}}\n", "{\"a\":".repeat(5000), "}".repeat(5000)).as_bytes()),
        ("play.yml", b"- hosts: localhost\n  tasks:\n    - vmware_guest: { name: [\n"),
        ("ok.vmx", b"displayName = \"ok\"\nmemSize = \"4096\"\npciPassthru0.present = \"TRUE\"\npciPassthru0.id = \"0000:3b:00.0\"\n"),
    ]);
    let r = vmlint_in(t.path(), &["check", ".", "--output", "compact"]);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    for f in [
        "deep.ovf",
        "truncated.ovf",
        "bomb.ovf",
        "deep.pkr.hcl",
        "plan.json",
        "play.yml",
    ] {
        assert!(
            r.stdout
                .lines()
                .any(|l| l.starts_with(f) && l.contains("VL001")),
            "{f}: {}",
            r.stdout
        );
    }
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("ok.vmx") && l.contains("PT009")),
        "{}",
        r.stdout
    );
}

fn human(args: &[&str]) -> String {
    let mut a = vec!["check", "--color", "never"];
    a.extend_from_slice(args);
    vmlint_in(&root(), &a).stdout
}

#[test]
fn a_finding_in_a_tf_file_underlines_the_attribute() {
    insta::assert_snapshot!(human(&[
        "fixtures/formats/hosts",
        "fixtures/formats/terraform",
        "--select",
        "PT009"
    ]));
}

#[test]
fn a_finding_in_a_playbook_underlines_the_task_setting() {
    insta::assert_snapshot!(human(&[
        "fixtures/formats/hosts",
        "fixtures/formats/ansible",
        "--select",
        "PT015"
    ]));
}
