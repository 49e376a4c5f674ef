//! The descriptor model: what a VM and a host say, whatever file they came
//! from, each value with the span of the text it came from.
//!
//! Loaders (`vmx`, `yaml`, `esxcli`) build it; `inventory` links VMs to
//! hosts; the rule language reads it through the field table in `schema`.

pub mod ansible;
pub mod esxcli;
pub mod hcl;
pub mod iac;
pub mod inventory;
pub mod node;
pub mod ovf;
pub mod packed;
pub mod packer;
pub mod pci;
pub mod terraform;
pub mod tfplan;
pub mod version;
pub mod vmx;
pub mod vsphere;
pub mod yaml;

use crate::source::{FileId, Span};
pub use pci::PciAddr;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
pub use version::Version;

/// A value and the span of the text it came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Spanned<T> {
        Spanned { value, span }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    Vmx,
    Yaml,
    /// A vCenter dump (`govc vm.info -json`, the JSON API).
    Vsphere,
    /// A `resource "vsphere_virtual_machine"` of a `.tf` file.
    Terraform,
    /// A `vsphere_virtual_machine` of `terraform show -json` output.
    TerraformPlan,
    /// A `vmware_guest` task of a playbook or role.
    Ansible,
    /// A `vsphere-iso` or `vsphere-clone` source of a Packer template.
    Packer,
    /// An OVF descriptor's virtual system.
    Ovf,
}

impl Format {
    /// Every format's name, in the order of the enum.
    pub const NAMES: &[&str] = &[
        "vmx",
        "yaml",
        "vsphere",
        "terraform",
        "terraform-plan",
        "ansible",
        "packer",
        "ovf",
    ];

    /// The name rules compare `vm.format` with.
    pub fn name(self) -> &'static str {
        match self {
            Format::Vmx => "vmx",
            Format::Yaml => "yaml",
            Format::Vsphere => "vsphere",
            Format::Terraform => "terraform",
            Format::TerraformPlan => "terraform-plan",
            Format::Ansible => "ansible",
            Format::Packer => "packer",
            Format::Ovf => "ovf",
        }
    }
}

/// Where a VM says it runs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub enum Placement {
    #[default]
    Unplaced,
    Host(Spanned<String>),
    Cluster(Spanned<String>),
}

/// One passthrough device of a VM (a `pciPassthruN` group whose `present`
/// is true, or an item of a YAML `passthrough` list).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Device {
    /// The group's `present` line, or the YAML list item.
    pub span: Span,
    /// `N` of `pciPassthruN`, or the position in the YAML list.
    pub index: i64,
    pub address: Option<Spanned<PciAddr>>,
    pub vendor_id: Option<Spanned<i64>>,
    pub device_id: Option<Spanned<i64>>,
    pub system_id: Option<Spanned<String>>,
    /// An address was written (`.id`, `address:`), even one that does not
    /// parse: the device is still static, its address unknown.
    pub id_given: Option<Span>,
    /// What only some kinds of device have, apart so that the common
    /// device (and every VM kept for a cross-VM rule) stays small.
    pub extra: Option<Box<DeviceExtra>>,
}

/// The parts of a device that only Dynamic DirectPath I/O, vGPU, SR-IOV or
/// a Terraform device selector have.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DeviceExtra {
    /// Dynamic DirectPath I/O: `vendorId:deviceId` the VM accepts.
    pub allowed_devices: Option<Spanned<String>>,
    pub vgpu: Option<Spanned<String>>,
    /// SR-IOV: the physical function this virtual function belongs to.
    pub pf_id: Option<Spanned<String>>,
    /// A device chosen on the host by what it is (Terraform's
    /// `data "vsphere_host_pci_device"`), resolved once the host is known.
    pub selector: Option<Box<Selector>>,
}

/// What Terraform's `data "vsphere_host_pci_device"` asks of the host's
/// devices: every criterion given must hold (the provider matches
/// `name_regex`, then `class_id`, then `vendor_id`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Selector {
    /// `data.vsphere_host_pci_device.gpu`, for messages.
    pub source: String,
    pub name_regex: Option<Spanned<String>>,
    pub vendor_id: Option<i64>,
    pub class_id: Option<i64>,
    /// The host its `host_id` names, when that is known.
    pub host: Option<Spanned<String>>,
    pub pick: Pick,
}

/// Which of the devices a selector matches the VM gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pick {
    /// `.id`: the provider's first match.
    First,
    /// `.pci_devices[N].id`.
    Nth(usize),
    /// `.pci_devices[*].id` or a `for` over them: every match.
    All,
}

impl Device {
    pub fn new(span: Span, index: i64) -> Device {
        Device {
            span,
            index,
            address: None,
            vendor_id: None,
            device_id: None,
            system_id: None,
            id_given: None,
            extra: None,
        }
    }

    pub fn allowed_devices(&self) -> Option<&Spanned<String>> {
        self.extra.as_ref()?.allowed_devices.as_ref()
    }

    pub fn vgpu(&self) -> Option<&Spanned<String>> {
        self.extra.as_ref()?.vgpu.as_ref()
    }

    pub fn pf_id(&self) -> Option<&Spanned<String>> {
        self.extra.as_ref()?.pf_id.as_ref()
    }

    pub fn selector(&self) -> Option<&Selector> {
        self.extra.as_ref()?.selector.as_deref()
    }

    /// The rarer parts, made when one is first set.
    pub fn extra_mut(&mut self) -> &mut DeviceExtra {
        self.extra.get_or_insert_with(Box::default)
    }

    /// Sets the parts that are given (`None` leaves a part unset and makes
    /// nothing).
    pub fn set_extra(
        &mut self,
        allowed_devices: Option<Spanned<String>>,
        vgpu: Option<Spanned<String>>,
        pf_id: Option<Spanned<String>>,
    ) {
        if allowed_devices.is_some() {
            self.extra_mut().allowed_devices = allowed_devices;
        }
        if vgpu.is_some() {
            self.extra_mut().vgpu = vgpu;
        }
        if pf_id.is_some() {
            self.extra_mut().pf_id = pf_id;
        }
    }

    /// `static` (by host address), `dynamic` (by vendor and device id),
    /// `sriov` (a virtual function of a NIC; `.id` names its physical
    /// function, shared with its sibling functions) or `vgpu`.
    pub fn kind(&self) -> &'static str {
        if self.vgpu().is_some() {
            "vgpu"
        } else if self.pf_id().is_some()
            || self.system_id.as_ref().is_some_and(|s| s.value == "BYPASS")
        {
            "sriov"
        } else if self.address.is_some() || self.id_given.is_some() {
            "static"
        } else {
            "dynamic"
        }
    }
}

/// Every key of a descriptor as written, for `raw["key"]` and key checks.
/// Keys and values are spans into the file's text, which is shared with the
/// source map: only a value whose escapes were undone (or a YAML path) owns
/// its text.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Raw {
    pub text: Arc<str>,
    pub entries: Vec<RawEntry>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RawEntry {
    pub key: Span,
    pub value: Span,
    pub key_text: Option<Box<str>>,
    pub value_text: Option<Box<str>>,
}

impl Raw {
    pub fn key<'a>(&'a self, e: &'a RawEntry) -> &'a str {
        e.key_text
            .as_deref()
            .unwrap_or_else(|| self.text.get(e.key.range()).unwrap_or(""))
    }

    pub fn value<'a>(&'a self, e: &'a RawEntry) -> &'a str {
        e.value_text
            .as_deref()
            .unwrap_or_else(|| self.text.get(e.value.range()).unwrap_or(""))
    }

    /// The entry of `key`, compared case-insensitively; the last one wins.
    pub fn get(&self, key: &str) -> Option<&RawEntry> {
        self.entries
            .iter()
            .rev()
            .find(|e| self.key(e).eq_ignore_ascii_case(key))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Vm {
    pub file: FileId,
    /// The YAML document, or an empty span at the start of a `.vmx` file:
    /// where "missing" points when a key is absent.
    pub span: Span,
    pub format: Format,
    pub name: Option<Spanned<String>>,
    pub placement: Placement,
    pub passthrough: Vec<Device>,
    /// The `passthrough:` key, or the first `pciPassthruN` line.
    pub passthrough_span: Option<Span>,
    pub snapshots: Vec<Spanned<String>>,
    /// What the VM sets (memory, hardware, migration, ...), made when a
    /// loader first sets one of them; see [`Vm::settings`].
    settings: Option<Box<VmSettings>>,
    pub raw: Raw,
    /// Fields set to values not known statically (infrastructure code):
    /// their record, their name, and where they are set.
    #[serde(with = "packed::unknown_fields")]
    pub unknown: Vec<(crate::schema::types::RecordType, &'static str, Span)>,
    /// Where a generated file declared the VM (a plan's resource address),
    /// said in its findings, which point into JSON without context.
    pub address: Option<Box<str>>,
}

/// The settings of a VM, apart from what names and places it and its
/// devices: per-VM rules read them, and a VM kept for cross-VM rules that
/// read none of them keeps none of them.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct VmSettings {
    pub hardware_version: Option<Spanned<i64>>,
    pub firmware: Option<Spanned<String>>,
    pub memory_mb: Option<Spanned<i64>>,
    pub memory_reservation_mb: Option<Spanned<i64>>,
    pub memory_reservation_all: Option<Spanned<bool>>,
    pub mmio64_enabled: Option<Spanned<bool>>,
    pub mmio64_size_gb: Option<Spanned<i64>>,
    pub power_state: Option<Spanned<String>>,
    pub vmotion: Option<Spanned<bool>>,
    pub drs_automation: Option<Spanned<String>>,
    pub fault_tolerance: Option<Spanned<bool>>,
    pub ha: Option<Spanned<bool>>,
    pub hot_add_cpu: Option<Spanned<bool>>,
    pub hot_add_memory: Option<Spanned<bool>>,
}

/// The settings of a VM that sets none.
static NO_SETTINGS: VmSettings = VmSettings {
    hardware_version: None,
    firmware: None,
    memory_mb: None,
    memory_reservation_mb: None,
    memory_reservation_all: None,
    mmio64_enabled: None,
    mmio64_size_gb: None,
    power_state: None,
    vmotion: None,
    drs_automation: None,
    fault_tolerance: None,
    ha: None,
    hot_add_cpu: None,
    hot_add_memory: None,
};

/// The fields of a VM (by their name in rules) whose values are its
/// settings.
const SETTINGS_FIELDS: &[&str] = &[
    "hardware_version",
    "firmware",
    "memory_mb",
    "memory_reservation_mb",
    "memory_reservation_all",
    "mmio64",
    "power_state",
    "migration",
    "fault_tolerance",
    "ha",
    "hot_add",
];

impl Vm {
    pub fn new(file: FileId, span: Span, format: Format) -> Vm {
        Vm {
            file,
            span,
            format,
            name: None,
            placement: Placement::Unplaced,
            passthrough: Vec::new(),
            passthrough_span: None,
            snapshots: Vec::new(),
            settings: None,
            raw: Raw::default(),
            unknown: Vec::new(),
            address: None,
        }
    }

    /// What the VM sets (all unset when it sets nothing).
    pub fn settings(&self) -> &VmSettings {
        self.settings.as_deref().unwrap_or(&NO_SETTINGS)
    }

    /// The settings, to set one.
    pub fn settings_mut(&mut self) -> &mut VmSettings {
        self.settings.get_or_insert_with(Box::default)
    }

    /// Drops what no field that `reads` (by its name on a VM) needs, and
    /// spare room: a VM kept for cross-VM rules holds only what they read.
    pub fn keep_only(&mut self, reads: &dyn Fn(&str) -> bool) {
        if !reads("raw") && !reads("raw_keys") {
            self.raw = Raw::default();
        }
        if !SETTINGS_FIELDS.iter().any(|f| reads(f)) {
            self.settings = None;
        } else if let Some(s) = &mut self.settings {
            if !reads("firmware") {
                s.firmware = None;
            }
            if !reads("power_state") {
                s.power_state = None;
            }
            if !reads("migration") {
                s.drs_automation = None;
            }
        }
        if !reads("snapshots") {
            self.snapshots = Vec::new();
        }
        if !reads("passthrough") {
            self.passthrough = Vec::new();
        }
        self.passthrough.shrink_to_fit();
        self.snapshots.shrink_to_fit();
        self.unknown.shrink_to_fit();
    }

    /// The name for messages: `displayName`, `name`, or the file.
    pub fn label(&self) -> &str {
        self.name.as_ref().map_or("", |n| n.value.as_str())
    }
}

#[derive(Clone, Debug)]
pub struct HostPci {
    pub span: Span,
    pub address: Option<Spanned<PciAddr>>,
    pub vendor_id: Option<Spanned<i64>>,
    pub device_id: Option<Spanned<i64>>,
    /// The PCI class code (`0x0c03` is a USB controller), given or derived.
    pub class: Option<Spanned<i64>>,
    /// The class by name (`usb`, `display`, ...), given or derived.
    pub class_name: Option<Spanned<String>>,
    pub name: Option<Spanned<String>>,
    pub passthrough: Option<Spanned<String>>,
    /// Passthrough is in effect now (vCenter's `passthruActive`; esxcli's
    /// current owner): an enabled device that is not active waits for the
    /// host to reboot.
    pub active: Option<Spanned<bool>>,
    pub mmio_gb: Option<Spanned<i64>>,
    /// The device that must be released by the VMkernel along with this one
    /// (vCenter's `dependentDevice`, esxcli's `Dependent Device`): another
    /// function of the same card, or a bridge.
    pub dependent: Option<Spanned<PciAddr>>,
}

#[derive(Clone, Debug)]
pub struct Host {
    pub file: FileId,
    pub span: Span,
    pub name: Option<Spanned<String>>,
    pub cluster: Option<Spanned<String>>,
    pub esxi_version: Option<Spanned<Version>>,
    pub iommu: Option<Spanned<String>>,
    /// The IOMMU state was inferred (an esxcli capture does not print it).
    pub iommu_inferred: bool,
    pub boot_device: Option<Spanned<String>>,
    pub coredump_transport: Option<Spanned<String>>,
    pub coredump_span: Option<Span>,
    pub system_id: Option<Spanned<String>>,
    pub pci: Vec<HostPci>,
    pub pci_span: Option<Span>,
    pub raw: Raw,
    /// vCenter's managed object reference (`host-12`), by which the VMs of
    /// the same export name their host.
    pub moref: Option<String>,
}

impl HostPci {
    /// A device of which nothing is known yet but where it was described.
    pub fn new(span: Span) -> HostPci {
        HostPci {
            span,
            address: None,
            vendor_id: None,
            device_id: None,
            class: None,
            class_name: None,
            name: None,
            passthrough: None,
            active: None,
            mmio_gb: None,
            dependent: None,
        }
    }
}

impl Host {
    /// A host of which nothing is known yet but where it was described.
    pub fn new(file: FileId, span: Span) -> Host {
        Host {
            file,
            span,
            name: None,
            cluster: None,
            esxi_version: None,
            iommu: None,
            iommu_inferred: false,
            boot_device: None,
            coredump_transport: None,
            coredump_span: None,
            system_id: None,
            pci: Vec::new(),
            pci_span: None,
            raw: Raw::default(),
            moref: None,
        }
    }
}

/// PCI base-class names, and the one sub-class (USB) a rule needs by name.
pub const PCI_CLASSES: &[(&str, i64)] = &[
    ("usb", 0x0c03),
    ("storage", 0x01),
    ("network", 0x02),
    ("display", 0x03),
    ("multimedia", 0x04),
    ("memory", 0x05),
    ("bridge", 0x06),
    ("serial-bus", 0x0c),
    ("processor", 0x0b),
    ("encryption", 0x10),
    ("accelerator", 0x12),
];

/// `usb` for 0x0c03, else the base-class name of a class code.
pub fn class_name_of(code: i64) -> Option<&'static str> {
    if code == 0x0c03 {
        return Some("usb");
    }
    PCI_CLASSES
        .iter()
        .skip(1)
        .find(|(_, c)| *c == code >> 8)
        .map(|(n, _)| *n)
}
