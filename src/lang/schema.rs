//! The one table of model fields: name, type, where the value comes from in
//! each format, documentation, and how to read it. The checker resolves
//! `vm.memory_mb` here, the evaluator calls `get`, `vmlint explain` and
//! docs/rule-language.md print it.

use super::types::{Elem, RecTy, Ty};
use crate::eval::value::{Rec, V, Val, boolean, int, list, string, switch};
use crate::model::inventory::Inventory;
use std::borrow::Cow;

/// What a field accessor may consult beyond its record.
pub struct Ctx<'a> {
    pub inv: &'a Inventory,
}

pub type Getter = for<'a> fn(Rec<'a>, &Ctx<'a>) -> Val<'a>;

pub struct FieldDef {
    pub on: RecTy,
    pub name: &'static str,
    pub ty: Ty,
    /// Where it comes from: `.vmx` key / YAML key.
    pub source: &'static str,
    pub doc: &'static str,
    pub get: Getter,
}

pub fn lookup(on: RecTy, name: &str) -> Option<usize> {
    FIELDS.iter().position(|f| f.on == on && f.name == name)
}

pub fn names(on: RecTy) -> impl Iterator<Item = &'static str> {
    FIELDS.iter().filter(move |f| f.on == on).map(|f| f.name)
}

macro_rules! field {
    ($on:ident, $name:literal, $ty:expr, $src:literal, $doc:literal, |$r:ident, $ctx:ident| $body:expr) => {
        FieldDef {
            on: RecTy::$on,
            name: $name,
            ty: $ty,
            source: $src,
            doc: $doc,
            get: {
                fn get<'a>($r: Rec<'a>, $ctx: &Ctx<'a>) -> Val<'a> {
                    let _ = $ctx;
                    $body
                }
                get
            },
        }
    };
}

fn text<'a>(s: &'static str, span: crate::source::Span) -> Val<'a> {
    Val::new(V::Str(Cow::Borrowed(s)), Some(span))
}

pub static FIELDS: &[FieldDef] = &[
    field!(
        Vm,
        "name",
        Ty::Str,
        "displayName / name",
        "the VM's name",
        |r, c| match r {
            Rec::Vm(_, vm) => string(&vm.name, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "format",
        Ty::Str,
        "-",
        "`vmx` or `yaml`",
        |r, c| match r {
            Rec::Vm(_, vm) => text(
                if vm.format == crate::model::Format::Vmx {
                    "vmx"
                } else {
                    "yaml"
                },
                vm.span
            ),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "hardware_version",
        Ty::Int,
        "virtualHW.version / hardware_version",
        "the virtual hardware version (`vmx-NN`)",
        |r, c| match r {
            Rec::Vm(_, vm) => int(&vm.hardware_version, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "firmware",
        Ty::Str,
        "firmware / firmware",
        "`bios` or `efi`; absent means `bios`",
        |r, c| match r {
            Rec::Vm(_, vm) => match &vm.firmware {
                Some(_) => string(&vm.firmware, vm.span),
                None => Val {
                    v: V::Str(Cow::Borrowed("bios")),
                    span: Some(vm.span),
                    missing: true
                },
            },
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "memory_mb",
        Ty::Int,
        "memSize / memory_mb",
        "configured memory in MB",
        |r, c| match r {
            Rec::Vm(_, vm) => int(&vm.memory_mb, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "memory_reservation_mb",
        Ty::Int,
        "sched.mem.min (or sched.mem.minSize) / memory_reservation_mb",
        "reserved memory in MB",
        |r, c| match r {
            Rec::Vm(_, vm) => int(&vm.memory_reservation_mb, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "memory_reservation_all",
        Ty::Bool,
        "sched.mem.pin / memory_reservation: all",
        "all guest memory is reserved (locked); absent means false, as in ESXi",
        |r, c| match r {
            Rec::Vm(_, vm) => switch(&vm.memory_reservation_all, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "passthrough",
        Ty::List(Elem::Rec(RecTy::Device)),
        "pciPassthruN.* with present = TRUE / passthrough",
        "the passthrough devices",
        |r, c| match r {
            Rec::Vm(_, vm) => list(
                vm.passthrough
                    .iter()
                    .map(|d| Val::new(V::Rec(Rec::Device(d)), Some(d.span)))
                    .collect(),
                vm.passthrough_span.unwrap_or(vm.span),
            ),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "mmio64",
        Ty::Rec(RecTy::Mmio64),
        "pciPassthru.use64bitMMIO, pciPassthru.64bitMMIOSizeGB / mmio64",
        "64-bit MMIO settings",
        |r, c| match r {
            Rec::Vm(_, vm) => Val::new(V::Rec(Rec::Mmio64(vm)), Some(vm.span)),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "snapshots",
        Ty::List(Elem::Str),
        "delta disks (-NNNNNN.vmdk) and the .vmsd / snapshots",
        "the VM's snapshots",
        |r, c| match r {
            Rec::Vm(_, vm) => list(
                vm.snapshots
                    .iter()
                    .map(|s| Val::new(V::Str(Cow::Borrowed(&s.value)), Some(s.span)))
                    .collect(),
                vm.snapshots.first().map_or(vm.span, |s| s.span),
            ),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "power_state",
        Ty::Str,
        "checkpoint.vmState (non-empty: suspended) / power_state",
        "`poweredOn`, `poweredOff` or `suspended`",
        |r, c| match r {
            Rec::Vm(_, vm) => string(&vm.power_state, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "migration",
        Ty::Rec(RecTy::Migration),
        "- / migration",
        "vMotion and DRS settings",
        |r, c| match r {
            Rec::Vm(_, vm) => Val::new(V::Rec(Rec::Migration(vm)), Some(vm.span)),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "fault_tolerance",
        Ty::Bool,
        "- / fault_tolerance",
        "vSphere Fault Tolerance is on",
        |r, c| match r {
            Rec::Vm(_, vm) => boolean(&vm.fault_tolerance, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "ha",
        Ty::Bool,
        "- / ha",
        "vSphere HA restarts the VM",
        |r, c| match r {
            Rec::Vm(_, vm) => boolean(&vm.ha, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "hot_add",
        Ty::Rec(RecTy::HotAdd),
        "vcpu.hotadd, mem.hotadd / hot_add",
        "CPU and memory hot add",
        |r, c| match r {
            Rec::Vm(_, vm) => Val::new(V::Rec(Rec::HotAdd(vm)), Some(vm.span)),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "raw",
        Ty::Raw,
        "every key",
        "every key as written: `vm.raw[\"sched.mem.pin\"]`",
        |r, c| match r {
            Rec::Vm(_, vm) => Val::new(V::Raw(&vm.raw), Some(vm.span)),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "raw_keys",
        Ty::List(Elem::Str),
        "every key",
        "every key as written, each at its own span",
        |r, c| match r {
            Rec::Vm(_, vm) => list(
                vm.raw
                    .entries
                    .iter()
                    .map(|e| Val::new(V::Str(Cow::Borrowed(vm.raw.key(e))), Some(e.key)))
                    .collect(),
                vm.span,
            ),
            _ => Val::null(),
        }
    ),
    field!(
        Mmio64,
        "enabled",
        Ty::Bool,
        "pciPassthru.use64bitMMIO / mmio64.enabled",
        "64-bit MMIO is on; absent means false, as in ESXi",
        |r, c| match r {
            Rec::Mmio64(vm) => switch(&vm.mmio64_enabled, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Mmio64,
        "size_gb",
        Ty::Int,
        "pciPassthru.64bitMMIOSizeGB / mmio64.size_gb",
        "64-bit MMIO size in GB",
        |r, c| match r {
            Rec::Mmio64(vm) => int(&vm.mmio64_size_gb, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Migration,
        "vmotion",
        Ty::Bool,
        "- / migration.vmotion",
        "vMotion is allowed",
        |r, c| match r {
            Rec::Migration(vm) => boolean(&vm.vmotion, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Migration,
        "drs_automation",
        Ty::Str,
        "- / migration.drs_automation",
        "`disabled`, `manual`, `partiallyAutomated` or `fullyAutomated`",
        |r, c| match r {
            Rec::Migration(vm) => string(&vm.drs_automation, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        HotAdd,
        "cpu",
        Ty::Bool,
        "vcpu.hotadd / hot_add.cpu",
        "CPU hot add is on; absent means false, as in ESXi",
        |r, c| match r {
            Rec::HotAdd(vm) => switch(&vm.hot_add_cpu, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        HotAdd,
        "memory",
        Ty::Bool,
        "mem.hotadd / hot_add.memory",
        "memory hot add is on; absent means false, as in ESXi",
        |r, c| match r {
            Rec::HotAdd(vm) => switch(&vm.hot_add_memory, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Device,
        "index",
        Ty::Int,
        "N of pciPassthruN / position in the list",
        "the device's index",
        |r, c| match r {
            Rec::Device(d) => Val::new(V::Int(d.index), Some(d.span)),
            _ => Val::null(),
        }
    ),
    field!(
        Device,
        "kind",
        Ty::Str,
        "-",
        "`static` (by address), `dynamic` (by vendor and device id), `sriov` (an SR-IOV virtual function) or `vgpu`",
        |r, c| match r {
            Rec::Device(d) => text(d.kind(), d.span),
            _ => Val::null(),
        }
    ),
    field!(
        Device,
        "address",
        Ty::Pci,
        "pciPassthruN.id / address",
        "the host PCI address",
        |r, c| match r {
            Rec::Device(d) => d
                .address
                .as_ref()
                .map_or(Val::missing(d.span), |a| Val::new(
                    V::Pci(a.value),
                    Some(a.span)
                )),
            _ => Val::null(),
        }
    ),
    field!(
        Device,
        "vendor_id",
        Ty::Int,
        "pciPassthruN.vendorId / vendor_id",
        "the PCI vendor id",
        |r, c| match r {
            Rec::Device(d) => int(&d.vendor_id, d.span),
            _ => Val::null(),
        }
    ),
    field!(
        Device,
        "device_id",
        Ty::Int,
        "pciPassthruN.deviceId / device_id",
        "the PCI device id",
        |r, c| match r {
            Rec::Device(d) => int(&d.device_id, d.span),
            _ => Val::null(),
        }
    ),
    field!(
        Device,
        "system_id",
        Ty::Str,
        "pciPassthruN.systemId / system_id",
        "the UUID of the host the device was added on",
        |r, c| match r {
            Rec::Device(d) => string(&d.system_id, d.span),
            _ => Val::null(),
        }
    ),
    field!(
        Device,
        "allowed_devices",
        Ty::Str,
        "pciPassthruN.allowedDevices / allowed_devices",
        "Dynamic DirectPath I/O `vendor:device` list",
        |r, c| match r {
            Rec::Device(d) => string(&d.allowed_devices, d.span),
            _ => Val::null(),
        }
    ),
    field!(
        Device,
        "vgpu",
        Ty::Str,
        "pciPassthruN.vgpu / vgpu",
        "the NVIDIA vGPU profile",
        |r, c| match r {
            Rec::Device(d) => string(&d.vgpu, d.span),
            _ => Val::null(),
        }
    ),
    field!(
        Host,
        "name",
        Ty::Str,
        "name",
        "the host's name",
        |r, c| match r {
            Rec::Host(_, h) => string(&h.name, h.span),
            _ => Val::null(),
        }
    ),
    field!(
        Host,
        "cluster",
        Ty::Str,
        "cluster",
        "the host's cluster",
        |r, c| match r {
            Rec::Host(_, h) => string(&h.cluster, h.span),
            _ => Val::null(),
        }
    ),
    field!(
        Host,
        "esxi_version",
        Ty::Version,
        "esxi_version",
        "the ESXi release, such as 8.0.2 (8.0 U2)",
        |r, c| match r {
            Rec::Host(_, h) => h
                .esxi_version
                .as_ref()
                .map_or(Val::missing(h.span), |v| Val::new(
                    V::Version(v.value),
                    Some(v.span)
                )),
            _ => Val::null(),
        }
    ),
    field!(
        Host,
        "iommu",
        Ty::Str,
        "iommu",
        "VT-d / AMD-Vi in the BIOS: `enabled` or `disabled`",
        |r, c| match r {
            Rec::Host(_, h) => string(&h.iommu, h.span),
            _ => Val::null(),
        }
    ),
    field!(
        Host,
        "boot_device",
        Ty::Str,
        "boot_device",
        "`usb`, `sd`, `disk`, `san` or `pxe`",
        |r, c| match r {
            Rec::Host(_, h) => string(&h.boot_device, h.span),
            _ => Val::null(),
        }
    ),
    field!(
        Host,
        "coredump",
        Ty::Rec(RecTy::Coredump),
        "coredump",
        "where the active coredump partition lives",
        |r, c| match r {
            Rec::Host(_, h) => Val::new(
                V::Rec(Rec::Coredump(h)),
                Some(h.coredump_span.unwrap_or(h.span))
            ),
            _ => Val::null(),
        }
    ),
    field!(
        Host,
        "system_id",
        Ty::Str,
        "system_id",
        "the host's system UUID",
        |r, c| match r {
            Rec::Host(_, h) => string(&h.system_id, h.span),
            _ => Val::null(),
        }
    ),
    field!(
        Host,
        "pci",
        Ty::List(Elem::Rec(RecTy::HostPci)),
        "pci",
        "the host's PCI devices; `host.pci[dev.address]` looks one up",
        |r, c| match r {
            Rec::Host(_, h) => list(
                h.pci
                    .iter()
                    .map(|p| Val::new(V::Rec(Rec::HostPci(p)), Some(p.span)))
                    .collect(),
                h.pci_span.unwrap_or(h.span),
            ),
            _ => Val::null(),
        }
    ),
    field!(
        Host,
        "vms",
        Ty::List(Elem::Rec(RecTy::Vm)),
        "-",
        "the VMs placed on this host (by `host`, not by `cluster`)",
        |r, c| match r {
            Rec::Host(i, h) => list(
                c.inv
                    .host_vms
                    .get(i)
                    .map(|vms| {
                        vms.iter()
                            .filter_map(|vi| {
                                c.inv
                                    .vms
                                    .get(*vi)
                                    .map(|vm| Val::new(V::Rec(Rec::Vm(*vi, vm)), Some(vm.span)))
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                h.span,
            ),
            _ => Val::null(),
        }
    ),
    field!(
        Host,
        "raw",
        Ty::Raw,
        "every key",
        "every key as written",
        |r, c| match r {
            Rec::Host(_, h) => Val::new(V::Raw(&h.raw), Some(h.span)),
            _ => Val::null(),
        }
    ),
    field!(
        Coredump,
        "transport",
        Ty::Str,
        "coredump.transport",
        "`usb`, `sd`, `disk`, `network`, `file` or `none`",
        |r, c| match r {
            Rec::Coredump(h) => string(&h.coredump_transport, h.coredump_span.unwrap_or(h.span)),
            _ => Val::null(),
        }
    ),
    field!(
        HostPci,
        "address",
        Ty::Pci,
        "pci[].address",
        "the PCI address",
        |r, c| match r {
            Rec::HostPci(p) => p
                .address
                .as_ref()
                .map_or(Val::missing(p.span), |a| Val::new(
                    V::Pci(a.value),
                    Some(a.span)
                )),
            _ => Val::null(),
        }
    ),
    field!(
        HostPci,
        "vendor_id",
        Ty::Int,
        "pci[].vendor_id",
        "the PCI vendor id",
        |r, c| match r {
            Rec::HostPci(p) => int(&p.vendor_id, p.span),
            _ => Val::null(),
        }
    ),
    field!(
        HostPci,
        "device_id",
        Ty::Int,
        "pci[].device_id",
        "the PCI device id",
        |r, c| match r {
            Rec::HostPci(p) => int(&p.device_id, p.span),
            _ => Val::null(),
        }
    ),
    field!(
        HostPci,
        "class",
        Ty::Int,
        "pci[].class",
        "the PCI class code (`0x0c03` is a USB controller)",
        |r, c| match r {
            Rec::HostPci(p) => int(&p.class, p.span),
            _ => Val::null(),
        }
    ),
    field!(
        HostPci,
        "class_name",
        Ty::Str,
        "pci[].class",
        "the class by name: `usb`, `display`, `network`, `storage`...",
        |r, c| match r {
            Rec::HostPci(p) => string(&p.class_name, p.span),
            _ => Val::null(),
        }
    ),
    field!(
        HostPci,
        "name",
        Ty::Str,
        "pci[].name",
        "the device's name",
        |r, c| match r {
            Rec::HostPci(p) => string(&p.name, p.span),
            _ => Val::null(),
        }
    ),
    field!(
        HostPci,
        "passthrough",
        Ty::Str,
        "pci[].passthrough",
        "`enabled` (available for passthrough), `disabled` or `unsupported`",
        |r, c| match r {
            Rec::HostPci(p) => string(&p.passthrough, p.span),
            _ => Val::null(),
        }
    ),
    field!(
        HostPci,
        "mmio_gb",
        Ty::Int,
        "pci[].mmio_gb",
        "the size of the device's memory regions (BARs) in GB",
        |r, c| match r {
            Rec::HostPci(p) => int(&p.mmio_gb, p.span),
            _ => Val::null(),
        }
    ),
];
