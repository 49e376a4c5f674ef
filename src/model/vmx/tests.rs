use super::*;
use crate::model::{Placement, Vm};

fn load(text: &str) -> (VmxFile, Option<Vm>, Vec<Diagnostic>) {
    let file = parse(FileId(0), Arc::from(text));
    let (vm, diags) = to_vm(FileId(0), parse(FileId(0), Arc::from(text)), "test", None);
    (file, vm, diags)
}

fn val<'a>(f: &'a VmxFile, key: &str) -> &'a str {
    f.value(f.get(key).unwrap())
}

fn at(text: &str, span: Span) -> &str {
    &text[span.range()]
}

#[test]
fn keys_are_case_insensitive_and_keep_their_spelling() {
    let text = "MEMSIZE = \"4096\"\nvirtualhw.VERSION = \"19\"\n";
    let (f, vm, _) = load(text);
    let vm = vm.unwrap();
    assert_eq!(
        vm.settings().memory_mb.as_ref().map(|m| m.value),
        Some(4096)
    );
    assert_eq!(
        vm.settings().hardware_version.as_ref().map(|m| m.value),
        Some(19)
    );
    assert_eq!(f.key(f.get("memSize").unwrap()), "MEMSIZE");
}

#[test]
fn booleans_come_in_any_case() {
    for t in ["TRUE", "true", "True"] {
        let text = format!("pciPassthru0.present = \"{t}\"\npciPassthru0.id = \"0000:3b:00.0\"\n");
        let (_, vm, _) = load(&text);
        assert_eq!(vm.unwrap().passthrough.len(), 1, "{t}");
    }
}

#[test]
fn escapes_are_undone_and_backslashes_kept() {
    let text = "annotation = \"a|0Ab |22q|22 |7C x|zz\"\np = \"C:\\Users\\x.iso\"\n";
    let (f, _, _) = load(text);
    assert_eq!(val(&f, "annotation"), "a\nb \"q\" | x|zz");
    assert_eq!(val(&f, "p"), "C:\\Users\\x.iso");
}

#[test]
fn crlf_shebang_comments_and_blank_lines() {
    let text = "#!/usr/bin/vmware\r\n.encoding = \"UTF-8\"\r\n\r\n# a comment = \"no\"\r\nmemSize = \"2048\"\r\n";
    let (f, vm, d) = load(text);
    assert!(f.diagnostics.is_empty() && d.is_empty());
    let vm = vm.unwrap();
    let m = vm.settings().memory_mb.as_ref().unwrap();
    assert_eq!(at(text, m.span), "2048");
    assert!(f.get("a comment").is_none());
}

#[test]
fn hand_edited_lines_are_accepted() {
    let text =
        "scsi0:0.virtualSSD = 1\nfirmware = \"efi\"          # use EFI\nuuid.bios = REDACTED # x\n";
    let (f, vm, _) = load(text);
    assert!(f.diagnostics.is_empty(), "{:?}", f.diagnostics);
    assert_eq!(val(&f, "scsi0:0.virtualSSD"), "1");
    assert_eq!(val(&f, "uuid.bios"), "REDACTED");
    assert_eq!(
        vm.unwrap().settings().firmware.as_ref().unwrap().value,
        "efi"
    );
}

#[test]
fn broken_lines_are_vl001_and_the_rest_still_loads() {
    let text = "memSize = \"4096\"\nthis line is broken\nsharedFolder0.hostPath = \"D:\\VMs\\x\nnumvcpus = \"4\"\n";
    let (f, vm, _) = load(text);
    let codes: Vec<_> = f.diagnostics.iter().map(|d| &*d.code).collect();
    assert_eq!(codes, ["VL001", "VL001"]);
    assert_eq!(at(text, f.diagnostics[0].span()), "this line is broken");
    assert_eq!(val(&f, "sharedFolder0.hostPath"), "D:\\VMs\\x");
    assert_eq!(val(&f, "numvcpus"), "4");
    assert!(vm.is_some());
}

#[test]
fn duplicate_keys_are_vl003_and_the_later_wins() {
    let text = "memSize = \"1024\"\nmemsize = \"2048\"\n";
    let (f, vm, _) = load(text);
    assert_eq!(f.diagnostics.len(), 1);
    assert_eq!(&*f.diagnostics[0].code, "VL003");
    assert_eq!(at(text, f.diagnostics[0].span()), "memsize");
    assert_eq!(f.diagnostics[0].related.len(), 1);
    assert_eq!(
        vm.unwrap().settings().memory_mb.as_ref().unwrap().value,
        2048
    );
}

#[test]
fn sparse_groups_present_false_and_the_literal_star_key() {
    let text = "\
pciPassthru0.present = \"TRUE\"
pciPassthru0.id = \"00000:059:00.0\"
pciPassthru27.present = \"TRUE\"
pciPassthru27.id = \"130:00.0\"
pciPassthru28.present = \"FALSE\"
pciPassthru28.id = \"0:66:0.0\"
pciPassthru*.present = \"False\"
pciPassthru.use64bitMMIO = \"TRUE\"
";
    let (_, vm, _) = load(text);
    let vm = vm.unwrap();
    let idx: Vec<_> = vm.passthrough.iter().map(|d| d.index).collect();
    assert_eq!(idx, [0, 27]);
    let a: Vec<_> = vm
        .passthrough
        .iter()
        .map(|d| d.address.as_ref().unwrap().value.to_string())
        .collect();
    assert_eq!(a, ["0000:3b:00.0", "0000:82:00.0"]);
    assert!(vm.settings().mmio64_enabled.as_ref().unwrap().value);
}

#[test]
fn dynamic_directpath_reads_vendor_and_device_from_allowed_devices() {
    let text = "pciPassthru0.present = \"TRUE\"\npciPassthru0.allowedDevices = \"0x10de:0x20f1\"\n";
    let (_, vm, _) = load(text);
    let d = &vm.unwrap().passthrough[0];
    assert_eq!(d.kind(), "dynamic");
    assert_eq!(d.vendor_id.as_ref().unwrap().value, 0x10de);
    assert_eq!(d.device_id.as_ref().unwrap().value, 0x20f1);
}

#[test]
fn a_bad_address_is_vl002() {
    let text = "pciPassthru0.present = \"TRUE\"\npciPassthru0.id = \"somewhere\"\n";
    let (_, _, d) = load(text);
    assert_eq!(d.len(), 1);
    assert_eq!(&*d[0].code, "VL002");
}

#[test]
fn delta_disks_are_snapshots_but_a_base_disk_named_like_one_is_not() {
    let text = "\
displayName = \"web-000001\"
scsi0:0.fileName = \"web-000001.vmdk\"
scsi0:1.fileName = \"web-000001_1-000002.vmdk\"
nvme0:0.fileName = \"/vmfs/volumes/ds/web-000001/data-000003.vmdk\"
sata0:0.fileName = \"/vmfs/devices/cdrom/mpx.vmhba0:C0:T0:L0\"
";
    let (_, vm, _) = load(text);
    let s: Vec<_> = vm.unwrap().snapshots.into_iter().map(|s| s.value).collect();
    assert_eq!(
        s,
        [
            "/vmfs/volumes/ds/web-000001/data-000003.vmdk",
            "web-000001_1-000002.vmdk"
        ]
    );
}

#[test]
fn snapshots_come_from_the_vmsd_too() {
    let vmsd = parse(
        FileId(1),
        Arc::from(
            ".encoding = \"UTF-8\"\nsnapshot.numSnapshots = \"2\"\nsnapshot0.displayName = \"pre-patch\"\n",
        ),
    );
    let file = parse(FileId(0), Arc::from("displayName = \"a\"\n"));
    let (vm, _) = to_vm(FileId(0), file, "a", Some(vmsd_snapshots(&vmsd)));
    let s: Vec<_> = vm.unwrap().snapshots.into_iter().map(|s| s.value).collect();
    assert_eq!(s, ["pre-patch", "snapshot 2"]);
    let empty = parse(
        FileId(1),
        Arc::from(".encoding = \"UTF-8\"\nsnapshot.lastUID = \"1\"\n"),
    );
    assert!(vmsd_snapshots(&empty).snapshots.is_empty());
}

#[test]
fn suspended_state_comes_from_checkpoint_vmstate() {
    let (_, vm, _) = load("checkpoint.vmState = \"\"\n");
    assert!(vm.unwrap().settings().power_state.is_none());
    let (_, vm, _) = load("checkpoint.vmState = \"a-16ac563f.vmss\"\n");
    assert_eq!(
        vm.unwrap().settings().power_state.as_ref().unwrap().value,
        "suspended"
    );
}

#[test]
fn an_encrypted_vm_is_reported_once_and_not_checked() {
    let (_, vm, d) = load(
        "displayName = \"x\"\nencryption.keySafe = \"vmware:key\"\nencryption.data = \"AAAA\"\n",
    );
    assert!(vm.is_none());
    assert_eq!(d.len(), 1);
    assert_eq!(&*d[0].code, "VL005");
}

#[test]
fn placement_comment_names_the_host_with_its_span() {
    let text = "# vmlint: host=esx-gpu-01\nmemSize = \"1\"\n";
    let (_, vm, _) = load(text);
    match vm.unwrap().placement {
        Placement::Host(h) => assert_eq!(at(text, h.span), "esx-gpu-01"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn declared_charsets_are_decoded() {
    let mut bytes = b".encoding = \"windows-1252\"\ndisplayName = \"caf".to_vec();
    bytes.extend([0xe9, b'"', b'\n']);
    let (text, note) = decode(&bytes);
    assert!(note.is_none());
    let f = parse(FileId(0), Arc::from(&*text));
    let e = f.get("displayName").unwrap();
    assert_eq!(f.value(e), "café");
    assert_eq!(at(&text, e.value), "café");
    let sjis = b".encoding = \"Shift_JIS\"\ndisplayName = \"\x93\xfa\x96\x7b\"\n";
    let (text, _) = decode(sjis);
    assert!(text.contains("日本"));
}
