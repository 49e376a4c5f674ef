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

use super::{Host, HostPci, PciAddr, Raw, Spanned, Version, class_name_of, pci};
use crate::source::FileId;
use crate::yaml_tree::{Node, NodeKind};

/// A member of a mapping, whatever the case of its key.
fn member<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    node.as_map()?
        .iter()
        .find(|(k, _)| k.scalar().is_some_and(|s| s.eq_ignore_ascii_case(key)))
        .map(|(_, v)| v)
}

fn path<'n>(node: &'n Node, keys: &[&str]) -> Option<&'n Node> {
    keys.iter().try_fold(node, |n, k| member(n, k))
}

fn items(node: Option<&Node>) -> &[Node] {
    match node.map(|n| &n.kind) {
        Some(NodeKind::Seq(items)) => items,
        _ => &[],
    }
}

/// Whether a document is a dump of hosts: `HostSystems`, or host objects.
pub fn is_hosts(doc: &Node) -> bool {
    member(doc, "HostSystems").is_some() || host_like(doc) || items(Some(doc)).iter().any(host_like)
}

fn host_like(n: &Node) -> bool {
    member(n, "_typeName").and_then(Node::scalar) == Some("HostSystem")
        || (member(n, "Hardware").is_some() && member(n, "Config").is_some())
}

/// The hosts of a dump.
pub fn hosts(file: FileId, doc: &Node) -> Vec<Host> {
    let list: Vec<&Node> = match member(doc, "HostSystems") {
        Some(l) => items(Some(l)).iter().collect(),
        None if host_like(doc) => vec![doc],
        None => items(Some(doc)).iter().filter(|n| host_like(n)).collect(),
    };
    list.into_iter().map(|n| host(file, n)).collect()
}

/// An id as the API writes it: a signed 16-bit integer, or text.
fn id(n: Option<&Node>) -> Option<Spanned<i64>> {
    let n = n?;
    let s = n.scalar()?;
    let v = match s.parse::<i64>() {
        Ok(v) if (-32768..0).contains(&v) => v + 65536,
        Ok(v) => v,
        Err(_) => i64::from(pci::parse_id(s)?),
    };
    Some(Spanned::new(v, n.span))
}

fn text(n: Option<&Node>) -> Option<Spanned<String>> {
    let n = n?;
    n.scalar()
        .filter(|s| !s.is_empty())
        .map(|s| Spanned::new(s.to_string(), n.span))
}

fn host(file: FileId, n: &Node) -> Host {
    let mut h = Host {
        file,
        span: n.span,
        name: text(member(n, "Name")).or_else(|| text(path(n, &["Summary", "Config", "Name"]))),
        cluster: None,
        esxi_version: None,
        iommu: None,
        iommu_inferred: false,
        boot_device: None,
        coredump_transport: None,
        coredump_span: None,
        system_id: text(path(n, &["Hardware", "SystemInfo", "Uuid"])),
        pci: Vec::new(),
        pci_span: path(n, &["Hardware", "PciDevice"]).map(|p| p.span),
        raw: Raw::default(),
    };
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
        h.pci.push(HostPci {
            span: d.span,
            address,
            vendor_id: id(member(d, "VendorId")),
            device_id: id(member(d, "DeviceId")),
            class_name: class.as_ref().and_then(|c| {
                class_name_of(c.value).map(|name| Spanned::new(name.to_string(), c.span))
            }),
            class,
            name: text(member(d, "DeviceName")),
            passthrough: None,
            active: None,
            mmio_gb: None,
        });
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
        }
    }
    h
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
}
