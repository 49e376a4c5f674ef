//! The VM model of a parsed `.vmx`: typed values with their spans, the
//! `pciPassthruN` groups as devices, delta disks and the `.vmsd` beside it
//! as snapshots, `checkpoint.vmState` as the power state.

use super::{VmxFile, parse_bool};
use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::model::{Device, Format, Placement, RawEntry, Spanned, Vm, pci};
use crate::schema::fields::vmx_keys;
use crate::schema::types::RecordType;
use crate::source::{FileId, Span};
use std::collections::BTreeMap;

/// Typed views of entries, each reporting a VL002 when the text does not fit.
struct Typed<'a> {
    file: &'a VmxFile,
    diags: Vec<Diagnostic>,
}

impl Typed<'_> {
    /// The key a field is read from: the first of the table's keys for it
    /// that the file has (`sched.mem.min`, else `sched.mem.minSize`).
    fn key(&self, on: RecordType, field: &str) -> &'static str {
        let keys = vmx_keys(on, field);
        keys.iter()
            .find(|k| self.file.get(k).is_some())
            .or(keys.first())
            .copied()
            .unwrap_or("")
    }

    fn str(&self, key: &str) -> Option<Spanned<String>> {
        self.file.get(key).map(|e| self.file.value_sp(e))
    }

    fn int(&mut self, key: &str) -> Option<Spanned<i64>> {
        let e = self.file.get(key)?;
        let t = self.file.value(e).trim();
        let parsed = pci::parse_id(t)
            .map(i64::from)
            .or_else(|| t.parse::<i64>().ok());
        match parsed {
            Some(v) => Some(Spanned::new(v, e.value)),
            None => {
                self.diags.push(self.file.wrong_type(e, "an integer"));
                None
            }
        }
    }

    fn bool(&mut self, key: &str) -> Option<Spanned<bool>> {
        let e = self.file.get(key)?;
        match parse_bool(self.file.value(e)) {
            Some(v) => Some(Spanned::new(v, e.value)),
            None => {
                self.diags.push(self.file.wrong_type(e, "TRUE or FALSE"));
                None
            }
        }
    }

    fn id(&mut self, e: Option<&RawEntry>) -> Option<Spanned<i64>> {
        let e = e?;
        match pci::parse_id(self.file.value(e)) {
            Some(v) => Some(Spanned::new(i64::from(v), e.value)),
            None => {
                self.diags
                    .push(self.file.wrong_type(e, "a PCI id such as `0x10de`"));
                None
            }
        }
    }
}

/// Facts read from a sibling `.vmsd` file.
pub struct Vmsd {
    pub snapshots: Vec<Spanned<String>>,
}

/// Snapshots a `.vmsd` records: `snapshot.numSnapshots` names how many;
/// each gets its `displayName` when there is one.
pub fn vmsd_snapshots(vmsd: &VmxFile) -> Vmsd {
    let Some(n) = vmsd.get("snapshot.numSnapshots") else {
        return Vmsd {
            snapshots: Vec::new(),
        };
    };
    let count = vmsd.value(n).trim().parse::<usize>().unwrap_or(0).min(1024);
    let mut names: Vec<Spanned<String>> = vmsd
        .entries()
        .iter()
        .filter(|e| {
            let k = vmsd.key(e);
            k.get(..8)
                .is_some_and(|p| p.eq_ignore_ascii_case("snapshot"))
                && k.len() > 12
                && k.get(k.len() - 12..)
                    .is_some_and(|p| p.eq_ignore_ascii_case(".displayname"))
        })
        .map(|e| vmsd.value_sp(e))
        .collect();
    names.truncate(count);
    while names.len() < count {
        names.push(Spanned::new(
            format!("snapshot {}", names.len() + 1),
            n.value,
        ));
    }
    Vmsd { snapshots: names }
}

#[derive(Default)]
struct Group<'a> {
    present: Option<(bool, Span)>,
    first_key: Option<Span>,
    id: Option<&'a RawEntry>,
    vendor: Option<&'a RawEntry>,
    device: Option<&'a RawEntry>,
    system: Option<&'a RawEntry>,
    allowed: Option<&'a RawEntry>,
    vgpu: Option<&'a RawEntry>,
    pf: Option<&'a RawEntry>,
}

/// The VM model of a parsed `.vmx`. `stem` is the file name without
/// `.vmx` (ESXi names the base disk after it). Returns `None` for an
/// encrypted VM, with the VL005 that says so.
pub fn to_vm(
    file: FileId,
    vmx: VmxFile,
    stem: &str,
    vmsd: Option<Vmsd>,
) -> (Option<Vm>, Vec<Diagnostic>) {
    if let Some(e) = vmx
        .get("encryption.keySafe")
        .or_else(|| vmx.get("encryption.data"))
    {
        let d = Diagnostic::new(
            codes::UNREADABLE,
            Severity::Error,
            e.key,
            "this VM is encrypted; its configuration cannot be checked",
        )
        .with_label("encrypted configuration")
        .with_help("check the VM where its configuration is decrypted, or exclude the file");
        return (None, vec![d]);
    }
    // "missing" points at the first setting of the file
    let span = vmx
        .entries()
        .first()
        .map_or(Span::file_start(file), |e| e.key.to(e.value));
    let mut vm = Vm::new(file, span, Format::Vmx);
    let mut t = Typed {
        file: &vmx,
        diags: Vec::new(),
    };
    // each key as the field table declares it
    use RecordType::{HotAdd, Mmio64, Vm as VmRecord};
    vm.name = t.str(t.key(VmRecord, "name"));
    vm.settings_mut().hardware_version = t.int(t.key(VmRecord, "hardware_version"));
    vm.settings_mut().firmware = t
        .str(t.key(VmRecord, "firmware"))
        .map(|s| Spanned::new(s.value.trim().to_ascii_lowercase(), s.span));
    vm.settings_mut().memory_mb = t.int(t.key(VmRecord, "memory_mb"));
    vm.settings_mut().memory_reservation_mb = t.int(t.key(VmRecord, "memory_reservation_mb"));
    vm.settings_mut().memory_reservation_all = t.bool(t.key(VmRecord, "memory_reservation_all"));
    vm.settings_mut().mmio64_enabled = t.bool(t.key(Mmio64, "enabled"));
    vm.settings_mut().mmio64_size_gb = t.int(t.key(Mmio64, "size_gb"));
    vm.settings_mut().hot_add_cpu = t.bool(t.key(HotAdd, "cpu"));
    vm.settings_mut().hot_add_memory = t.bool(t.key(HotAdd, "memory"));
    if let Some(s) = vmx.get(t.key(VmRecord, "power_state"))
        && !vmx.value(s).trim().is_empty()
    {
        vm.settings_mut().power_state = Some(Spanned::new("suspended".to_string(), s.value));
    }
    vm.placement = match &vmx.placement {
        Some((false, name)) => Placement::Host(name.clone()),
        Some((true, name)) => Placement::Cluster(name.clone()),
        None => Placement::Unplaced,
    };

    let mut groups: BTreeMap<u64, Group> = BTreeMap::new();
    let mut disks: BTreeMap<&str, (Option<&RawEntry>, Option<bool>)> = BTreeMap::new();
    for e in vmx.entries() {
        let key = vmx.key(e);
        if let Some((n, field)) = passthrough_group(key) {
            let g = groups.entry(n).or_default();
            g.first_key.get_or_insert(e.key);
            // compared regardless of case, as ESXi reads keys
            let is = |name: &str| field.eq_ignore_ascii_case(name);
            if is("present") {
                g.present = Some((parse_bool(vmx.value(e)).unwrap_or(false), e.key.to(e.value)));
            } else if is("id") {
                g.id = Some(e);
            } else if is("vendorId") {
                g.vendor = Some(e);
            } else if is("deviceId") {
                g.device = Some(e);
            } else if is("systemId") {
                g.system = Some(e);
            } else if is("allowedDevices") {
                g.allowed = Some(e);
            } else if is("vgpu") {
                g.vgpu = Some(e);
            } else if is("pfId") {
                g.pf = Some(e);
            }
        } else if let Some((disk, is_file)) = disk_key(key) {
            let d = disks.entry(disk).or_default();
            if is_file {
                d.0 = Some(e);
            } else {
                d.1 = parse_bool(vmx.value(e));
            }
        }
    }
    for (n, g) in groups {
        let Some((true, span)) = g.present else {
            continue;
        };
        let mut dev = Device::new(span, i64::try_from(n).unwrap_or(i64::MAX));
        if let Some(e) = g.id {
            dev.id_given = Some(e.value);
            // short forms are decimal, as ESXi writes them (`12:00.0`); a hex
            // letter makes a hand-written one hex: no reading is in doubt
            match pci::PciAddr::parse(vmx.value(e)) {
                Some(a) => dev.address = Some(Spanned::new(a, e.value)),
                None => t.diags.push(vmx.wrong_type(
                    e,
                    "a PCI address such as `0000:3b:00.0` or `00000:059:00.0`",
                )),
            }
        }
        dev.vendor_id = t.id(g.vendor);
        dev.device_id = t.id(g.device);
        dev.system_id = g.system.map(|e| vmx.value_sp(e));
        if let Some(e) = g.allowed {
            // `0x10de:0x20f1`: the vendor and device of a Dynamic DirectPath device
            if let Some((v, d)) = vmx.value(e).split_once(':')
                && let (Some(v), Some(d)) = (pci::parse_id(v), pci::parse_id(d))
            {
                dev.vendor_id
                    .get_or_insert(Spanned::new(i64::from(v), e.value));
                dev.device_id
                    .get_or_insert(Spanned::new(i64::from(d), e.value));
            }
            dev.extra_mut().allowed_devices = Some(vmx.value_sp(e));
        }
        dev.set_extra(
            None,
            g.vgpu.map(|e| vmx.value_sp(e)),
            g.pf.map(|e| vmx.value_sp(e)),
        );
        vm.passthrough_span
            .get_or_insert(g.first_key.unwrap_or(span));
        vm.passthrough.push(dev);
    }
    let name = vm
        .name
        .as_ref()
        .map(|n| n.value.clone())
        .unwrap_or_default();
    for (file_entry, present) in disks.into_values() {
        let Some(e) = file_entry else { continue };
        if present == Some(false) {
            continue;
        }
        if is_delta_disk(vmx.value(e), &[name.as_str(), stem]) {
            vm.snapshots.push(vmx.value_sp(e));
        }
    }
    if vm.snapshots.is_empty()
        && let Some(vmsd) = vmsd
    {
        vm.snapshots = vmsd.snapshots;
    }
    let diags = t.diags;
    vm.raw = vmx.raw;
    (Some(vm), diags)
}

/// `pciPassthru12.deviceId` → (12, "deviceId"), in any case. The literal
/// key `pciPassthru*.present` of hardening scripts is not a group.
fn passthrough_group(key: &str) -> Option<(u64, &str)> {
    // bytes, not a text: a key that is not ASCII at its 11th byte is not one
    if !key
        .as_bytes()
        .get(..11)?
        .eq_ignore_ascii_case(b"pcipassthru")
    {
        return None;
    }
    let rest = key.get(11..)?;
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits > 12 {
        return None;
    }
    let n = rest.get(..digits)?.parse().ok()?;
    let field = rest.get(digits..)?.strip_prefix('.')?;
    Some((n, field))
}

/// `scsi0:1.fileName` → ("scsi0:1", true); `scsi0:1.present` → ("scsi0:1", false).
fn disk_key(key: &str) -> Option<(&str, bool)> {
    // every key is asked: most are not a bus's, as their first letter says
    if !matches!(
        key.as_bytes().first()?.to_ascii_lowercase(),
        b's' | b'n' | b'i'
    ) {
        return None;
    }
    let (disk, field) = key.rsplit_once('.')?;
    let is_file = field.eq_ignore_ascii_case("filename");
    if !is_file && !field.eq_ignore_ascii_case("present") {
        return None;
    }
    let bus = disk.trim_end_matches(|c: char| c.is_ascii_digit() || c == ':');
    let known = ["scsi", "sata", "nvme", "ide"]
        .iter()
        .any(|b| bus.eq_ignore_ascii_case(b));
    (known && disk.contains(':')).then_some((disk, is_file))
}

/// A disk file named `<base>-NNNNNN.vmdk` is a snapshot delta, unless the
/// whole stem is the VM's own name (ESXi names base disks after the VM, so
/// a VM called `web-000001` has the base disk `web-000001.vmdk`).
pub fn is_delta_disk(path: &str, vm_names: &[&str]) -> bool {
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let Some(stem) = file
        .strip_suffix(".vmdk")
        .or_else(|| file.strip_suffix(".VMDK"))
    else {
        return false;
    };
    let Some((_, suffix)) = stem.rsplit_once('-') else {
        return false;
    };
    if suffix.len() != 6 || !suffix.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    !vm_names.iter().any(|n| !n.is_empty() && *n == stem)
}
