//! YAML VM and host descriptors: takes spanned YAML documents, gives `Vm`
//! and `Host` models. Unknown keys and values of the wrong type are VL002
//! (with "did you mean"); the rest of the document still loads.

use super::{
    Device, Format, Host, HostPci, Placement, Raw, RawEntry, Spanned, Version, Vm, class_name_of,
    pci,
};
use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::schema::enums::Enum;
use crate::schema::fields::yaml_keys;
use crate::schema::types::RecordType;
use crate::source::{FileId, Span};
use crate::suggest;
use crate::yaml_tree::{Node, NodeKind};
use std::sync::LazyLock;

/// What a YAML document describes.
pub enum Doc {
    Vm(Box<Vm>),
    Host(Box<Host>),
    /// Not a descriptor (no `kind: vm|host`): left alone.
    Other,
}

// what each record may hold: the field table's YAML keys, and the keys
// this loader reads besides (`kind`, and placement, which is no field)
static VM_KEYS: LazyLock<Vec<&str>> =
    LazyLock::new(|| yaml_keys(RecordType::Vm, &["kind", "host", "cluster"]));
// `name` labels a device for people; no rule reads it
static DEVICE_KEYS: LazyLock<Vec<&str>> =
    LazyLock::new(|| yaml_keys(RecordType::Device, &["name"]));
static HOST_KEYS: LazyLock<Vec<&str>> = LazyLock::new(|| yaml_keys(RecordType::Host, &["kind"]));
static PCI_KEYS: LazyLock<Vec<&str>> = LazyLock::new(|| yaml_keys(RecordType::HostPci, &[]));
static MMIO64_KEYS: LazyLock<Vec<&str>> = LazyLock::new(|| yaml_keys(RecordType::Mmio64, &[]));
static MIGRATION_KEYS: LazyLock<Vec<&str>> =
    LazyLock::new(|| yaml_keys(RecordType::Migration, &[]));
static HOT_ADD_KEYS: LazyLock<Vec<&str>> = LazyLock::new(|| yaml_keys(RecordType::HotAdd, &[]));
static COREDUMP_KEYS: LazyLock<Vec<&str>> = LazyLock::new(|| yaml_keys(RecordType::Coredump, &[]));

/// Reads one document. `default_kind` comes from the file name
/// (`*.vm.yaml`, `*.host.yaml`) and is used when `kind` is absent.
pub fn load(
    file: FileId,
    node: &Node,
    default_kind: Option<&str>,
    diags: &mut Vec<Diagnostic>,
) -> Doc {
    let kind_node = node.get("kind");
    let kind = kind_node.and_then(Node::scalar).or(default_kind);
    let mut r = DocReader { diags };
    match (kind, node.as_map()) {
        (Some("vm"), Some(_)) => Doc::Vm(Box::new(read_vm(file, node, &mut r))),
        (Some("host"), Some(_)) => Doc::Host(Box::new(read_host(file, node, &mut r))),
        (Some(k), Some(_)) if default_kind.is_some() => {
            let span = kind_node.map_or(node.span, |n| n.span);
            r.diags.push(
                Diagnostic::new(
                    codes::SCHEMA,
                    Severity::Error,
                    span,
                    format!(
                        "unknown descriptor kind `{k}`{}",
                        suggest::did_you_mean(k, ["vm", "host"])
                    ),
                )
                .with_label("expected `vm` or `host`"),
            );
            Doc::Other
        }
        (Some(_), None) if default_kind.is_some() => {
            r.diags.push(
                Diagnostic::new(
                    codes::SCHEMA,
                    Severity::Error,
                    node.span,
                    format!("a descriptor must be a mapping, not {}", node.describe()),
                )
                .with_label("expected `key: value` lines"),
            );
            Doc::Other
        }
        _ => Doc::Other,
    }
}

fn read_vm(file: FileId, node: &Node, r: &mut DocReader) -> Vm {
    let mut vm = Vm::new(file, node.span, Format::Yaml);
    for (k, v) in r.entries(node, &VM_KEYS, "VM") {
        match k {
            "name" => vm.name = r.string(v),
            "host" => vm.placement = r.string(v).map_or(Placement::Unplaced, Placement::Host),
            "cluster" => vm.placement = r.string(v).map_or(Placement::Unplaced, Placement::Cluster),
            "hardware_version" => vm.settings_mut().hardware_version = r.int(v),
            "firmware" => vm.settings_mut().firmware = r.choice(v, Enum::Firmware.values()),
            "memory_mb" => vm.settings_mut().memory_mb = r.int(v),
            "memory_reservation_mb" => vm.settings_mut().memory_reservation_mb = r.int(v),
            "memory_reservation" => {
                vm.settings_mut().memory_reservation_all =
                    r.choice(v, &["all"]).map(|s| Spanned::new(true, s.span));
            }
            "mmio64" => {
                for (k, v) in r.entries(v, &MMIO64_KEYS, "mmio64") {
                    match k {
                        "enabled" => vm.settings_mut().mmio64_enabled = r.bool(v),
                        _ => vm.settings_mut().mmio64_size_gb = r.int(v),
                    }
                }
            }
            "passthrough" => {
                vm.passthrough_span = Some(key_span(node, "passthrough"));
                for (i, item) in r.list(v).iter().enumerate() {
                    if let Some(d) = read_device(item, i, r) {
                        vm.passthrough.push(d);
                    }
                }
            }
            "snapshots" => {
                let items = r.list(v);
                vm.snapshots = items.iter().filter_map(|s| r.string(s)).collect();
            }
            "power_state" => vm.settings_mut().power_state = r.choice(v, Enum::PowerState.values()),
            "migration" => {
                for (k, v) in r.entries(v, &MIGRATION_KEYS, "migration") {
                    match k {
                        "vmotion" => vm.settings_mut().vmotion = r.bool(v),
                        _ => {
                            vm.settings_mut().drs_automation =
                                r.choice(v, Enum::DrsAutomation.values())
                        }
                    }
                }
            }
            "fault_tolerance" => vm.settings_mut().fault_tolerance = r.bool(v),
            "ha" => vm.settings_mut().ha = r.bool(v),
            "hot_add" => {
                for (k, v) in r.entries(v, &HOT_ADD_KEYS, "hot_add") {
                    match k {
                        "cpu" => vm.settings_mut().hot_add_cpu = r.bool(v),
                        _ => vm.settings_mut().hot_add_memory = r.bool(v),
                    }
                }
            }
            _ => {}
        }
    }
    vm.raw = flatten(node);
    vm
}

fn read_device(item: &Node, index: usize, r: &mut DocReader) -> Option<Device> {
    let mut d = Device::new(item.span, i64::try_from(index).unwrap_or(i64::MAX));
    if item.as_map().is_none() {
        r.wrong(
            item,
            "a device mapping (`address:`, `vendor_id:`/`device_id:` or `vgpu:`)",
        );
        return None;
    }
    for (k, v) in r.entries(item, &DEVICE_KEYS, "passthrough device") {
        match k {
            "address" => {
                d.id_given = Some(v.span);
                d.address = r.address(v);
            }
            "vendor_id" => d.vendor_id = r.id(v),
            "device_id" => d.device_id = r.id(v),
            "vgpu" => d.extra_mut().vgpu = r.string(v),
            "system_id" => d.system_id = r.string(v),
            "allowed_devices" => d.extra_mut().allowed_devices = r.string(v),
            _ => {}
        }
    }
    Some(d)
}

fn read_host(file: FileId, node: &Node, r: &mut DocReader) -> Host {
    let mut h = Host::new(file, node.span);
    for (k, v) in r.entries(node, &HOST_KEYS, "host") {
        match k {
            "name" => h.name = r.string(v),
            "cluster" => h.cluster = r.string(v),
            "esxi_version" => h.esxi_version = r.version(v),
            "iommu" => h.iommu = r.choice(v, Enum::Iommu.values()),
            "boot_device" => h.boot_device = r.choice(v, Enum::BootDevice.values()),
            "coredump" => {
                h.coredump_span = Some(v.span);
                for (_, v) in r.entries(v, &COREDUMP_KEYS, "coredump") {
                    h.coredump_transport = r.choice(v, Enum::CoredumpTransport.values());
                }
            }
            "system_id" => h.system_id = r.string(v),
            "pci" => {
                h.pci_span = Some(key_span(node, "pci"));
                for item in r.list(v) {
                    if item.as_map().is_none() {
                        r.wrong(item, "a PCI device mapping");
                        continue;
                    }
                    h.pci.push(read_pci(item, r));
                }
            }
            _ => {}
        }
    }
    h.raw = flatten(node);
    h
}

fn read_pci(item: &Node, r: &mut DocReader) -> HostPci {
    let mut p = HostPci::new(item.span);
    for (k, v) in r.entries(item, &PCI_KEYS, "PCI device") {
        match k {
            "address" => p.address = r.address(v),
            "vendor_id" => p.vendor_id = r.id(v),
            "device_id" => p.device_id = r.id(v),
            "class" => match v.scalar().and_then(pci::parse_id) {
                Some(code) => {
                    p.class = Some(Spanned::new(i64::from(code), v.span));
                    p.class_name =
                        class_name_of(i64::from(code)).map(|n| Spanned::new(n.to_string(), v.span));
                }
                None => {
                    let names: Vec<&str> = super::PCI_CLASSES.iter().map(|(n, _)| *n).collect();
                    if let Some(s) = r.choice(v, &names) {
                        p.class = super::PCI_CLASSES
                            .iter()
                            .find(|(n, _)| *n == s.value && *n == "usb")
                            .map(|(_, c)| Spanned::new(*c, s.span));
                        p.class_name = Some(s);
                    }
                }
            },
            "name" => p.name = r.string(v),
            "passthrough" => p.passthrough = r.choice(v, Enum::Passthrough.values()),
            "mmio_gb" => p.mmio_gb = r.int(v),
            "active" => p.active = r.bool(v),
            "dependent" => p.dependent = r.address(v),
            _ => {}
        }
    }
    p
}

/// The span of `key` itself in a mapping (for "passthrough:" and friends).
fn key_span(map: &Node, key: &str) -> Span {
    map.as_map()
        .and_then(|m| m.iter().find(|(k, _)| k.scalar() == Some(key)))
        .map_or(map.span, |(k, _)| k.span)
}

/// Every scalar of a document under its dotted path (`migration.vmotion`,
/// `pci.0.address`), for `raw["..."]` and key checks in custom rules.
fn flatten(node: &Node) -> Raw {
    let mut out = Vec::new();
    let mut todo: Vec<(String, Span, &Node)> = vec![(String::new(), node.span, node)];
    while let Some((path, kspan, n)) = todo.pop() {
        match &n.kind {
            NodeKind::Scalar { text, .. } => out.push(RawEntry {
                key: kspan,
                value: n.span,
                key_text: Some(path.into_boxed_str()),
                value_text: Some(text.clone().into_boxed_str()),
            }),
            NodeKind::Seq(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    todo.push((dotted(&path, &i.to_string()), item.span, item));
                }
            }
            NodeKind::Map(entries) => {
                for (k, v) in entries.iter().rev() {
                    let name = k.scalar().unwrap_or("?");
                    todo.push((dotted(&path, name), k.span, v));
                }
            }
        }
    }
    Raw {
        text: std::sync::Arc::from(""),
        entries: out,
    }
}

/// `path.name`, or `name` at the top; sized once, not formatted.
fn dotted(path: &str, name: &str) -> String {
    if path.is_empty() {
        return name.to_string();
    }
    let mut p = String::with_capacity(path.len() + 1 + name.len());
    p.push_str(path);
    p.push('.');
    p.push_str(name);
    p
}

/// Typed reads of YAML nodes; each mismatch is one VL002.
struct DocReader<'a> {
    diags: &'a mut Vec<Diagnostic>,
}

impl DocReader<'_> {
    /// The entries of a mapping whose keys are known; unknown and duplicate
    /// keys are reported and skipped.
    fn entries<'n>(
        &mut self,
        node: &'n Node,
        known: &[&'static str],
        what: &str,
    ) -> Vec<(&'static str, &'n Node)> {
        let Some(map) = node.as_map() else {
            if !node.is_null() {
                self.wrong(node, &format!("a mapping ({what} keys)"));
            }
            return Vec::new();
        };
        let mut out: Vec<(&'static str, &Node)> = Vec::new();
        let mut seen: Vec<(&str, Span)> = Vec::new();
        for (k, v) in map {
            let name = k.scalar().unwrap_or("");
            if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
                self.diags.push(
                    Diagnostic::new(
                        codes::DUPLICATE,
                        Severity::Warning,
                        k.span,
                        format!("`{name}` is set more than once; the last value wins"),
                    )
                    .with_label("set again here")
                    .with_related(*first, "first set here")
                    .with_key(name.to_string()),
                );
                out.retain(|(n, _)| *n != name);
            }
            seen.push((name, k.span));
            match known.iter().find(|c| **c == name) {
                Some(c) => out.push((c, v)),
                None => self.diags.push(
                    Diagnostic::new(
                        codes::SCHEMA,
                        Severity::Error,
                        k.span,
                        format!(
                            "unknown {what} key `{name}`{}",
                            suggest::did_you_mean(name, known.iter().copied())
                        ),
                    )
                    .with_label("unknown key")
                    .with_help(format!("{what} keys are: {}", known.join(", ")))
                    .with_key(name.to_string()),
                ),
            }
        }
        out
    }

    fn wrong(&mut self, node: &Node, expected: &str) {
        let found = match node.scalar() {
            Some(t) if !node.is_null() => format!("`{t}`"),
            _ => node.describe().to_string(),
        };
        self.diags.push(
            Diagnostic::new(
                codes::SCHEMA,
                Severity::Error,
                node.span,
                format!("expected {expected}, found {found}"),
            )
            .with_label(format!("expected {expected}")),
        );
    }

    fn list<'n>(&mut self, node: &'n Node) -> &'n [Node] {
        match &node.kind {
            NodeKind::Seq(items) => items,
            _ => {
                if !node.is_null() {
                    self.wrong(node, "a list");
                }
                &[]
            }
        }
    }

    fn string(&mut self, node: &Node) -> Option<Spanned<String>> {
        match node.scalar() {
            Some(t) if !node.is_null() => Some(Spanned::new(t.to_string(), node.span)),
            _ => {
                if !node.is_null() {
                    self.wrong(node, "a string");
                }
                None
            }
        }
    }

    fn int(&mut self, node: &Node) -> Option<Spanned<i64>> {
        let parsed = node.scalar().and_then(|t| {
            t.trim()
                .parse::<i64>()
                .ok()
                .or_else(|| pci::parse_id(t).map(i64::from))
        });
        match parsed {
            Some(v) => Some(Spanned::new(v, node.span)),
            None => {
                if !node.is_null() {
                    self.wrong(node, "an integer");
                }
                None
            }
        }
    }

    /// A PCI vendor or device id: `0x10de`, `"0x10de"` or decimal.
    fn id(&mut self, node: &Node) -> Option<Spanned<i64>> {
        match node.scalar().and_then(pci::parse_id) {
            Some(v) => Some(Spanned::new(i64::from(v), node.span)),
            None => {
                if !node.is_null() {
                    self.wrong(node, "a PCI id such as 0x10de");
                }
                None
            }
        }
    }

    fn bool(&mut self, node: &Node) -> Option<Spanned<bool>> {
        let v = match &node.kind {
            NodeKind::Scalar { text, plain: true } => match text.as_str() {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        };
        match v {
            Some(b) => Some(Spanned::new(b, node.span)),
            None => {
                if !node.is_null() {
                    self.wrong(node, "true or false");
                }
                None
            }
        }
    }

    fn choice(&mut self, node: &Node, allowed: &[&str]) -> Option<Spanned<String>> {
        let s = self.string(node)?;
        if allowed.contains(&s.value.as_str()) {
            return Some(s);
        }
        self.diags.push(
            Diagnostic::new(
                codes::SCHEMA,
                Severity::Error,
                node.span,
                format!(
                    "`{}` is not one of {}{}",
                    s.value,
                    allowed.join(", "),
                    suggest::did_you_mean(&s.value, allowed.iter().copied())
                ),
            )
            .with_label("unknown value")
            .with_key(s.value.clone()),
        );
        None
    }

    fn address(&mut self, node: &Node) -> Option<Spanned<pci::PciAddr>> {
        let s = self.string(node)?;
        match pci::PciAddr::read(&s.value, pci::Radix::Hex) {
            Some((a, other)) => {
                if let Some(o) = other {
                    self.diags
                        .push(pci::ambiguity(s.span, &s.value, a, o, pci::Radix::Hex));
                }
                Some(Spanned::new(a, s.span))
            }
            None => {
                self.wrong(node, "a PCI address such as \"0000:3b:00.0\"");
                None
            }
        }
    }

    fn version(&mut self, node: &Node) -> Option<Spanned<Version>> {
        let s = self.string(node)?;
        match Version::parse(&s.value) {
            Some(v) => Some(Spanned::new(v, s.span)),
            None => {
                self.wrong(node, "an ESXi version such as 8.0.2 or \"8.0 U2\"");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests;
