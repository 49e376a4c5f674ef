//! Hosts as vCenter describes them: `govc host.info -json` (its
//! `HostSystems` list), `govc object.collect -json` of hosts, and the same
//! HostSystem objects as the vSphere JSON API and pyVmomi dump them. Keys
//! come capitalised (`Hardware.PciDevice`) or lowerCamel
//! (`hardware.pciDevice`) depending on the tool's version, so they are
//! matched without regard to case; `_typeName` and other members vmlint does
//! not use are ignored. Vendor and device ids arrive as signed 16-bit
//! integers (`-32634` is `0x8086`) and are read as the unsigned id.
//!
//! Read: the name, `config.product.version`, `hardware.pciDevice[]` (id,
//! vendor, device and class ids, device name) and
//! `config.pciPassthruInfo[]` (enabled, capable). The IOMMU is inferred on
//! from a passthrough-capable device, never off; what the dump does not say
//! (boot device, coredump) stays unknown.

use super::node::{boolean, id, int, items, member, path, text};
use super::{
    Device, Format, Host, HostPci, PciAddr, Placement, Spanned, Version, Vm, class_name_of, pci,
};
use crate::source::FileId;
use crate::yaml_tree::{Node, NodeKind};

/// Whether a document is a dump of hosts: `HostSystems`, host objects, or
/// the property list `govc object.collect -json HOST` prints.
pub fn is_hosts(doc: &Node) -> bool {
    member(doc, "HostSystems").is_some()
        || host_like(doc)
        || items(Some(doc)).iter().any(host_like)
        || collected(doc).is_some_and(|h| host_like(&h))
}

/// `govc object.collect -json HOST` prints the object as a list of its
/// properties, `[{"name": "config.pciPassthruInfo", "op": "assign",
/// "val": [...]}, ...]`: made back into the object (a dotted name nests),
/// every value keeping its span.
fn collected(doc: &Node) -> Option<Node> {
    let props = items(Some(doc));
    if props.is_empty()
        || !props
            .iter()
            .all(|p| member(p, "Name").is_some() && member(p, "Val").is_some())
    {
        return None;
    }
    let mut root = Node {
        kind: NodeKind::Map(Vec::new()),
        span: doc.span,
    };
    for p in props {
        let (Some(name), Some(val)) = (member(p, "Name").and_then(Node::scalar), member(p, "Val"))
        else {
            continue;
        };
        let mut at = &mut root;
        let parts: Vec<&str> = name.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            let NodeKind::Map(entries) = &mut at.kind else {
                break;
            };
            let key = Node {
                kind: NodeKind::Scalar {
                    text: (*part).to_string(),
                    plain: true,
                },
                span: val.span,
            };
            let last = i + 1 == parts.len();
            let pos = match entries
                .iter()
                .position(|(k, _)| k.scalar().is_some_and(|k| k.eq_ignore_ascii_case(part)))
            {
                Some(pos) => pos,
                None => {
                    let v = if last {
                        val.clone()
                    } else {
                        Node {
                            kind: NodeKind::Map(Vec::new()),
                            span: val.span,
                        }
                    };
                    entries.push((key, v));
                    entries.len() - 1
                }
            };
            let Some((_, next)) = entries.get_mut(pos) else {
                break;
            };
            at = next;
        }
    }
    Some(root)
}

fn host_like(n: &Node) -> bool {
    member(n, "_typeName").and_then(Node::scalar) == Some("HostSystem")
        || (member(n, "Hardware").is_some() && member(n, "Config").is_some())
}

/// The hosts of a dump.
pub fn hosts(file: FileId, doc: &Node) -> Vec<Host> {
    if let Some(h) = collected(doc) {
        return vec![host(file, &h)];
    }
    let list: Vec<&Node> = match member(doc, "HostSystems") {
        Some(l) => items(Some(l)).iter().collect(),
        None if host_like(doc) => vec![doc],
        None => items(Some(doc)).iter().filter(|n| host_like(n)).collect(),
    };
    list.into_iter().map(|n| host(file, n)).collect()
}

fn host(file: FileId, n: &Node) -> Host {
    let mut h = Host::new(file, n.span);
    h.name = text(member(n, "Name")).or_else(|| text(path(n, &["Summary", "Config", "Name"])));
    h.system_id = text(path(n, &["Hardware", "SystemInfo", "Uuid"]));
    h.pci_span = path(n, &["Hardware", "PciDevice"]).map(|p| p.span);
    h.moref = path(n, &["Self", "Value"])
        .and_then(Node::scalar)
        .map(str::to_string);
    let version = path(n, &["Config", "Product", "Version"])
        .or_else(|| path(n, &["Summary", "Config", "Product", "Version"]));
    if let Some(v) = version
        && let Some(s) = v.scalar()
    {
        h.esxi_version = Version::parse(s).map(|ver| Spanned::new(ver, v.span));
    }
    for d in items(path(n, &["Hardware", "PciDevice"])) {
        let address = member(d, "Id").and_then(|a| {
            let (addr, _) = PciAddr::read(a.scalar()?, pci::Radix::Hex)?;
            Some(Spanned::new(addr, a.span))
        });
        let class = id(member(d, "ClassId"));
        let mut p = HostPci::new(d.span);
        p.vendor_id = id(member(d, "VendorId"));
        p.device_id = id(member(d, "DeviceId"));
        p.class_name = class.as_ref().and_then(|c| {
            class_name_of(c.value).map(|name| Spanned::new(name.to_string(), c.span))
        });
        p.name = text(member(d, "DeviceName"));
        p.class = class;
        p.address = address;
        h.pci.push(p);
    }
    let info = path(n, &["Config", "PciPassthruInfo"]);
    for p in items(info) {
        let Some(addr) = member(p, "Id")
            .and_then(Node::scalar)
            .and_then(|a| PciAddr::read(a, pci::Radix::Hex))
        else {
            continue;
        };
        let flag = |key: &str| member(p, key).and_then(|v| Some((v.scalar()? == "true", v.span)));
        let (enabled, capable) = (flag("PassthruEnabled"), flag("PassthruCapable"));
        let active = flag("PassthruActive");
        if let Some((true, span)) = capable
            && h.iommu.is_none()
        {
            h.iommu = Some(Spanned::new("enabled".to_string(), span));
            h.iommu_inferred = true;
        }
        let state = match (enabled, capable) {
            (Some((true, s)), _) => Some(("enabled", s)),
            (_, Some((false, s))) => Some(("unsupported", s)),
            (Some((false, s)), _) => Some(("disabled", s)),
            _ => None,
        };
        if let Some((state, span)) = state
            && let Some(dev) = h
                .pci
                .iter_mut()
                .find(|d| d.address.as_ref().is_some_and(|a| a.value == addr.0))
        {
            dev.passthrough = Some(Spanned::new(state.to_string(), span));
            dev.active = active.map(|(on, s)| Spanned::new(on, s));
            dev.dependent = member(p, "DependentDevice").and_then(|d| {
                let (a, _) = PciAddr::read(d.scalar()?, pci::Radix::Hex)?;
                Some(Spanned::new(a, d.span))
            });
        }
    }
    h
}

/// Whether a document is a dump of VMs: `VirtualMachines`, or VM objects.
pub fn is_vms(doc: &Node) -> bool {
    member(doc, "VirtualMachines").is_some() || vm_like(doc) || items(Some(doc)).iter().any(vm_like)
}

fn vm_like(n: &Node) -> bool {
    member(n, "_typeName").and_then(Node::scalar) == Some("VirtualMachine")
        || (member(n, "Config").is_some()
            && member(n, "Runtime").is_some()
            && member(n, "Hardware").is_none())
}

/// The VMs of a dump, placed on their hosts by reference.
pub fn vms(file: FileId, doc: &Node) -> Vec<Vm> {
    let list: Vec<&Node> = match member(doc, "VirtualMachines") {
        Some(l) => items(Some(l)).iter().collect(),
        None if vm_like(doc) => vec![doc],
        None => items(Some(doc)).iter().filter(|n| vm_like(n)).collect(),
    };
    list.into_iter().map(|n| vm(file, n)).collect()
}

fn vm(file: FileId, n: &Node) -> Vm {
    let mut vm = Vm::new(file, n.span, Format::Vsphere);
    let config = member(n, "Config");
    let cfg = |keys: &[&str]| config.and_then(|c| path(c, keys));
    vm.name = text(member(n, "Name")).or_else(|| text(cfg(&["Name"])));
    // `vmx-19`
    if let Some(v) = cfg(&["Version"])
        && let Some(num) = v
            .scalar()
            .and_then(|s| s.strip_prefix("vmx-"))
            .and_then(|s| s.parse().ok())
    {
        vm.settings_mut().hardware_version = Some(Spanned::new(num, v.span));
    }
    vm.settings_mut().firmware = text(cfg(&["Firmware"]));
    vm.settings_mut().memory_mb = int(cfg(&["Hardware", "MemoryMB"]));
    vm.settings_mut().memory_reservation_mb = int(path(
        n,
        &["ResourceConfig", "MemoryAllocation", "Reservation"],
    ))
    .or_else(|| int(cfg(&["MemoryAllocation", "Reservation"])));
    vm.settings_mut().memory_reservation_all = boolean(cfg(&["MemoryReservationLockedToMax"]));
    vm.settings_mut().hot_add_cpu = boolean(cfg(&["CpuHotAddEnabled"]));
    vm.settings_mut().hot_add_memory = boolean(cfg(&["MemoryHotAddEnabled"]));
    for e in items(cfg(&["ExtraConfig"])) {
        let (Some(k), Some(v)) = (member(e, "Key").and_then(Node::scalar), member(e, "Value"))
        else {
            continue;
        };
        match k.to_ascii_lowercase().as_str() {
            "pcipassthru.use64bitmmio" => {
                let on = v.scalar().and_then(super::vmx::parse_bool);
                vm.settings_mut().mmio64_enabled = on.map(|b| Spanned::new(b, v.span));
            }
            "pcipassthru.64bitmmiosizegb" => vm.settings_mut().mmio64_size_gb = int(Some(v)),
            _ => {}
        }
    }
    if let Some(state) = text(path(n, &["Runtime", "PowerState"])) {
        vm.settings_mut().power_state = Some(state);
    }
    if let Some(h) = path(n, &["Runtime", "Host", "Value"]).and_then(|v| text(Some(v))) {
        vm.placement = Placement::Host(h);
    }
    for s in items(path(n, &["Snapshot", "RootSnapshotList"])) {
        if let Some(name) = text(member(s, "Name")) {
            vm.snapshots.push(name);
        }
    }
    let devices = items(cfg(&["Hardware", "Device"]));
    for (i, d) in devices
        .iter()
        .filter_map(|d| Some((d, member(d, "Backing")?)))
        .enumerate()
    {
        let (d, b) = d;
        let static_id = member(b, "Id").filter(|_| member(b, "SystemId").is_some());
        let allowed = items(member(b, "AllowedDevice"));
        let vgpu = text(member(b, "Vgpu"));
        if static_id.is_none() && allowed.is_empty() && vgpu.is_none() {
            continue;
        }
        let mut dev = Device::new(d.span, i64::try_from(i).unwrap_or(i64::MAX));
        if let Some(a) = static_id {
            dev.id_given = Some(a.span);
            dev.address = a
                .scalar()
                .and_then(|s| PciAddr::read(s, pci::Radix::Hex))
                .map(|(p, _)| Spanned::new(p, a.span));
            dev.vendor_id = id(member(b, "VendorId"));
            // a backing's DeviceId is hex text without `0x`
            dev.device_id = member(b, "DeviceId").and_then(|n| {
                let v = i64::from_str_radix(n.scalar()?.trim_start_matches("0x"), 16).ok()?;
                Some(Spanned::new(v, n.span))
            });
            dev.system_id = text(member(b, "SystemId"));
        }
        if let Some(first) = allowed.first() {
            dev.vendor_id = id(member(first, "VendorId"));
            dev.device_id = id(member(first, "DeviceId"));
        }
        dev.set_extra(None, vgpu, None);
        if vm.passthrough_span.is_none() {
            vm.passthrough_span = Some(d.span);
        }
        vm.passthrough.push(dev);
    }
    vm
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<Host> {
        let p = crate::yaml_tree::parse(FileId(0), text);
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let doc = &p.documents[0];
        assert!(is_hosts(doc));
        hosts(FileId(0), doc)
    }

    const CAPITALISED: &str = r#"{"HostSystems": [{"Name": "esx-api-01",
      "Config": {"Product": {"Version": "8.0.2", "Build": "22380479"},
                 "PciPassthruInfo": [{"Id": "0000:3b:00.0", "PassthruEnabled": true, "PassthruCapable": true, "PassthruActive": true},
                                     {"Id": "0000:5e:00.0", "PassthruEnabled": false, "PassthruCapable": true},
                                     {"Id": "0000:00:1f.2", "PassthruEnabled": false, "PassthruCapable": false}]},
      "Hardware": {"PciDevice": [{"Id": "0000:3b:00.0", "ClassId": 770, "VendorId": 4318, "DeviceId": 8433, "DeviceName": "GA100 [A100 PCIe 40GB]"},
                                 {"Id": "0000:5e:00.0", "ClassId": 512, "VendorId": -32634, "DeviceId": 5531},
                                 {"Id": "0000:00:1f.2", "ClassId": 262, "VendorId": -32634, "DeviceId": -24286}]}}]}"#;

    #[test]
    fn govc_host_info_in_both_spellings_reads_alike() {
        let lower = CAPITALISED
            .replace("HostSystems", "hostSystems")
            .replace("\"Name\"", "\"name\"")
            .replace("Config", "config")
            .replace("Product", "product")
            .replace("Version", "version")
            .replace("PciPassthruInfo", "pciPassthruInfo")
            .replace("PassthruEnabled", "passthruEnabled")
            .replace("PassthruCapable", "passthruCapable")
            .replace("Hardware", "hardware")
            .replace("PciDevice", "pciDevice")
            .replace("\"Id\"", "\"id\"")
            .replace("VendorId", "vendorId");
        for text in [CAPITALISED, lower.as_str()] {
            let h = parse(text);
            assert_eq!(h.len(), 1);
            let h = &h[0];
            assert_eq!(
                h.name.as_ref().map(|n| n.value.as_str()),
                Some("esx-api-01")
            );
            assert_eq!(
                h.esxi_version.as_ref().map(|v| v.value),
                Version::parse("8.0.2")
            );
            let states: Vec<_> = h
                .pci
                .iter()
                .map(|p| p.passthrough.as_ref().map(|s| s.value.clone()))
                .collect();
            assert_eq!(
                states,
                [
                    Some("enabled".into()),
                    Some("disabled".into()),
                    Some("unsupported".into())
                ]
            );
            // -32634 is Intel's 0x8086
            assert_eq!(h.pci[1].vendor_id.as_ref().map(|v| v.value), Some(0x8086));
            assert_eq!(h.pci[2].device_id.as_ref().map(|v| v.value), Some(0xa122));
            assert_eq!(
                h.pci[0].class_name.as_ref().map(|c| c.value.as_str()),
                Some("display")
            );
            assert!(h.iommu_inferred);
        }
    }

    #[test]
    fn object_collect_property_lists_read_as_the_host() {
        let text = r#"[
  {"name": "name", "op": "assign", "val": "esx-oc-01"},
  {"name": "config.product", "op": "assign", "val": {"version": "8.0.3", "build": "24022510"}},
  {"name": "config.pciPassthruInfo", "op": "assign", "val": [
    {"id": "0000:3b:00.0", "passthruEnabled": true, "passthruCapable": true, "passthruActive": false}]},
  {"name": "hardware", "op": "assign", "val": {"pciDevice": [
    {"id": "0000:3b:00.0", "classId": 770, "vendorId": 4318, "deviceId": 8433, "deviceName": "GA100 [A100 PCIe 40GB]"}]}}
]"#;
        let h = parse(text);
        assert_eq!(h.len(), 1);
        let h = &h[0];
        assert_eq!(h.name.as_ref().map(|n| n.value.as_str()), Some("esx-oc-01"));
        assert_eq!(
            h.esxi_version.as_ref().map(|v| v.value),
            Version::parse("8.0.3")
        );
        assert_eq!(h.pci.len(), 1);
        assert_eq!(
            h.pci[0].passthrough.as_ref().map(|p| p.value.as_str()),
            Some("enabled")
        );
        assert_eq!(h.pci[0].active.as_ref().map(|a| a.value), Some(false));
    }
}
