use super::*;
use crate::yaml_tree::parse;

fn load_all(text: &str, default: Option<&str>) -> (Vec<Doc>, Vec<Diagnostic>) {
    let p = parse(FileId(0), text);
    let mut diags = p.diagnostics;
    let docs = p
        .documents
        .iter()
        .map(|d| load(FileId(0), d, default, &mut diags))
        .collect();
    (docs, diags)
}

fn vm(text: &str) -> (Vm, Vec<Diagnostic>) {
    let (mut docs, diags) = load_all(text, Some("vm"));
    match docs.remove(0) {
        Doc::Vm(v) => (*v, diags),
        _ => panic!("not a vm"),
    }
}

#[test]
fn a_full_vm_descriptor_loads() {
    let text = "\
kind: vm
name: gpu-train-01
host: esx-gpu-01
hardware_version: 19
firmware: efi
memory_mb: 65536
memory_reservation: all
mmio64: { enabled: true, size_gb: 128 }
passthrough:
  - address: \"0000:3b:00.0\"
  - vendor_id: 0x10de
    device_id: \"0x20b5\"
  - vgpu: grid_a100-40c
snapshots: [before-driver-upgrade]
power_state: poweredOn
migration: { vmotion: true, drs_automation: fullyAutomated }
fault_tolerance: false
hot_add: { cpu: false, memory: false }
";
    let (vm, diags) = vm(text);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(vm.settings().hardware_version.as_ref().unwrap().value, 19);
    assert!(vm.settings().memory_reservation_all.as_ref().unwrap().value);
    let kinds: Vec<_> = vm.passthrough.iter().map(Device::kind).collect();
    assert_eq!(kinds, ["static", "dynamic", "vgpu"]);
    assert_eq!(vm.passthrough[1].device_id.as_ref().unwrap().value, 0x20b5);
    assert_eq!(vm.snapshots.len(), 1);
    assert!(vm.settings().vmotion.as_ref().unwrap().value);
    assert_eq!(
        &text[vm.settings().mmio64_size_gb.as_ref().unwrap().span.range()],
        "128"
    );
    assert_eq!(
        vm.raw
            .value(vm.raw.get("migration.drs_automation").unwrap()),
        "fullyAutomated"
    );
}

#[test]
fn unknown_keys_are_vl002_with_a_suggestion() {
    let (_, diags) = vm("kind: vm\nmemroy_mb: 4\n");
    assert_eq!(diags.len(), 1);
    assert_eq!(&*diags[0].code, "VL002");
    assert!(
        diags[0].message.contains("did you mean `memory_mb`"),
        "{}",
        diags[0].message
    );
}

#[test]
fn wrong_types_are_vl002_and_yes_is_not_a_boolean() {
    let (vm, diags) = vm("kind: vm\nmemory_mb: lots\nfault_tolerance: yes\nfirmware: uefi\n");
    let msgs: Vec<_> = diags.iter().map(|d| &*d.message).collect();
    assert_eq!(diags.len(), 3, "{msgs:?}");
    assert!(msgs[2].contains("did you mean `efi`"), "{msgs:?}");
    assert!(vm.settings().memory_mb.is_none());
}

#[test]
fn a_json_host_inventory_reads_like_yaml() {
    let text = r#"{"kind": "host", "name": "esx-01", "iommu": "enabled", "esxi_version": "8.0.2",
      "pci": [{"address": "0000:3b:00.0", "vendor_id": "0x10de", "device_id": 8373, "class": "0x0c03", "passthrough": "enabled"}]}"#;
    let (docs, diags) = load_all(text, None);
    assert!(diags.is_empty(), "{diags:?}");
    let Doc::Host(h) = &docs[0] else { panic!() };
    assert_eq!(h.pci[0].class_name.as_ref().unwrap().value, "usb");
    assert_eq!(h.pci[0].device_id.as_ref().unwrap().value, 8373);
    assert_eq!(
        h.esxi_version.as_ref().unwrap().value,
        Version::parse("8.0.2").unwrap()
    );
}

#[test]
fn files_without_a_kind_are_not_descriptors() {
    let (docs, diags) = load_all("name: something else\n", None);
    assert!(matches!(docs[0], Doc::Other));
    assert!(diags.is_empty());
}

#[test]
fn the_loader_reads_every_yaml_key_the_field_table_declares() {
    use crate::schema::fields::FIELDS;
    use crate::schema::types::RecordType;
    // each key of the table, in its record, must not be an unknown key
    for f in FIELDS.iter().filter(|f| !f.yaml.is_empty()) {
        let (kind, text) = match f.on {
            RecordType::Vm => ("vm", format!("{}: null\n", f.yaml)),
            RecordType::Mmio64 => ("vm", format!("mmio64: {{ {}: null }}\n", f.yaml)),
            RecordType::Migration => ("vm", format!("migration: {{ {}: null }}\n", f.yaml)),
            RecordType::HotAdd => ("vm", format!("hot_add: {{ {}: null }}\n", f.yaml)),
            RecordType::Device => ("vm", format!("passthrough:\n  - {}: null\n", f.yaml)),
            RecordType::Host => ("host", format!("{}: null\n", f.yaml)),
            RecordType::Coredump => ("host", format!("coredump: {{ {}: null }}\n", f.yaml)),
            RecordType::HostPci => ("host", format!("pci:\n  - {}: null\n", f.yaml)),
        };
        let doc = format!("kind: {kind}\nname: x\n{text}");
        let (_, diags) = load_all(&doc, None);
        assert!(
            diags.iter().all(|d| !d.message.contains("unknown")),
            "`{}` of {:?} is not read: {:?}",
            f.yaml,
            f.on,
            diags.iter().map(|d| &d.message).collect::<Vec<_>>()
        );
    }
}
