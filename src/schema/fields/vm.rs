//! The fields of a VM and of its nested records (passthrough devices,
//! `mmio64`, `migration`, `hot_add`).

use super::text;
use super::{FieldContext, FieldDef, field};
use crate::schema::enums::Enum;
use crate::schema::types::{Elem, RecordType, Ty};
use crate::schema::value::{Record, Val, Value, boolean, int, list, string, string_of, switch};
use std::borrow::Cow;

pub static FIELDS: &[FieldDef] = &[
    field!(
        Vm,
        "name",
        Ty::Str,
        vmx ["displayName"],
        yaml "name",
        "the VM's name",
        |r, c| match r {
            Record::Vm(_, vm) => string(&vm.name, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "format",
        Ty::Enum(Enum::Format),
        vmx [],
        yaml "",
        "the file format the VM was read from: `vmx`, `yaml`, `vsphere` (a vCenter dump), `terraform`, `terraform-plan`, `ansible`, `packer` or `ovf`",
        |r, c| match r {
            Record::Vm(_, vm) => text(vm.format.name(), vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "hardware_version",
        Ty::Int,
        vmx ["virtualHW.version"],
        yaml "hardware_version",
        "the virtual hardware version (`vmx-NN`)",
        |r, c| match r {
            Record::Vm(_, vm) => int(&vm.settings().hardware_version, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "firmware",
        Ty::Enum(Enum::Firmware),
        vmx ["firmware"],
        yaml "firmware",
        "`bios` or `efi`; absent means `bios`",
        |r, c| match r {
            Record::Vm(_, vm) => match &vm.settings().firmware {
                Some(_) => string(&vm.settings().firmware, vm.span),
                None => Val {
                    v: Value::Str(Cow::Borrowed("bios")),
                    span: Some(vm.span),
                    missing: true,
                    unknown: false,
                },
            },
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "memory_mb",
        Ty::Int,
        vmx ["memSize"],
        yaml "memory_mb",
        "configured memory in MB",
        |r, c| match r {
            Record::Vm(_, vm) => int(&vm.settings().memory_mb, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "memory_reservation_mb",
        Ty::Int,
        vmx ["sched.mem.min", "sched.mem.minSize"],
        yaml "memory_reservation_mb",
        "reserved memory in MB",
        |r, c| match r {
            Record::Vm(_, vm) => int(&vm.settings().memory_reservation_mb, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "memory_reservation_all",
        Ty::Bool,
        vmx ["sched.mem.pin"],
        yaml "memory_reservation",
        "all guest memory is reserved (locked); absent means false, as in ESXi",
        |r, c| match r {
            Record::Vm(_, vm) => switch(&vm.settings().memory_reservation_all, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "passthrough",
        Ty::List(Elem::Record(RecordType::Device)),
        vmx ["pciPassthruN.*"],
        yaml "passthrough",
        "the passthrough devices",
        |r, c| match r {
            Record::Vm(_, vm) => list(
                vm.passthrough
                    .iter()
                    .map(|d| Val::new(Value::Record(Record::Device(d)), Some(d.span)))
                    .collect(),
                vm.passthrough_span.unwrap_or(vm.span),
            ),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "mmio64",
        Ty::Record(RecordType::Mmio64),
        vmx ["pciPassthru.use64bitMMIO", "pciPassthru.64bitMMIOSizeGB"],
        yaml "mmio64",
        "64-bit MMIO settings",
        |r, c| match r {
            Record::Vm(_, vm) => Val::new(Value::Record(Record::Mmio64(vm)), Some(vm.span)),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "snapshots",
        Ty::List(Elem::Str),
        vmx ["scsiX:Y.fileName", "sataX:Y.fileName", "nvmeX:Y.fileName", "ideX:Y.fileName"],
        yaml "snapshots",
        "the VM's snapshots",
        |r, c| match r {
            Record::Vm(_, vm) => list(
                vm.snapshots
                    .iter()
                    .map(|s| Val::new(Value::Str(Cow::Borrowed(&s.value)), Some(s.span)))
                    .collect(),
                vm.snapshots.first().map_or(vm.span, |s| s.span),
            ),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "power_state",
        Ty::Enum(Enum::PowerState),
        vmx ["checkpoint.vmState"],
        yaml "power_state",
        "`poweredOn`, `poweredOff` or `suspended`",
        |r, c| match r {
            Record::Vm(_, vm) => string(&vm.settings().power_state, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "migration",
        Ty::Record(RecordType::Migration),
        vmx [],
        yaml "migration",
        "vMotion and DRS settings",
        |r, c| match r {
            Record::Vm(_, vm) => Val::new(Value::Record(Record::Migration(vm)), Some(vm.span)),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "fault_tolerance",
        Ty::Bool,
        vmx [],
        yaml "fault_tolerance",
        "vSphere Fault Tolerance is on",
        |r, c| match r {
            Record::Vm(_, vm) => boolean(&vm.settings().fault_tolerance, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "ha",
        Ty::Bool,
        vmx [],
        yaml "ha",
        "vSphere HA restarts the VM",
        |r, c| match r {
            Record::Vm(_, vm) => boolean(&vm.settings().ha, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "hot_add",
        Ty::Record(RecordType::HotAdd),
        vmx ["vcpu.hotadd", "mem.hotadd"],
        yaml "hot_add",
        "CPU and memory hot add",
        |r, c| match r {
            Record::Vm(_, vm) => Val::new(Value::Record(Record::HotAdd(vm)), Some(vm.span)),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "raw",
        Ty::Raw,
        vmx ["*"],
        yaml "",
        "every key as written: `vm.raw[\"sched.mem.pin\"]`",
        |r, c| match r {
            Record::Vm(_, vm) => Val::new(Value::Raw(&vm.raw), Some(vm.span)),
            _ => Val::null(),
        }
    ),
    field!(
        Vm,
        "raw_keys",
        Ty::List(Elem::Str),
        vmx ["*"],
        yaml "",
        "every key as written, each at its own span",
        |r, c| match r {
            Record::Vm(_, vm) => list(
                vm.raw
                    .entries
                    .iter()
                    .map(|e| Val::new(Value::Str(Cow::Borrowed(vm.raw.key(e))), Some(e.key)))
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
        vmx ["pciPassthru.use64bitMMIO"],
        yaml "enabled",
        "64-bit MMIO is on; absent means false, as in ESXi",
        |r, c| match r {
            Record::Mmio64(vm) => switch(&vm.settings().mmio64_enabled, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Mmio64,
        "size_gb",
        Ty::Int,
        vmx ["pciPassthru.64bitMMIOSizeGB"],
        yaml "size_gb",
        "64-bit MMIO size in GB",
        |r, c| match r {
            Record::Mmio64(vm) => int(&vm.settings().mmio64_size_gb, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Migration,
        "vmotion",
        Ty::Bool,
        vmx [],
        yaml "vmotion",
        "vMotion is allowed",
        |r, c| match r {
            Record::Migration(vm) => boolean(&vm.settings().vmotion, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Migration,
        "drs_automation",
        Ty::Enum(Enum::DrsAutomation),
        vmx [],
        yaml "drs_automation",
        "`disabled`, `manual`, `partiallyAutomated` or `fullyAutomated`",
        |r, c| match r {
            Record::Migration(vm) => string(&vm.settings().drs_automation, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        HotAdd,
        "cpu",
        Ty::Bool,
        vmx ["vcpu.hotadd"],
        yaml "cpu",
        "CPU hot add is on; absent means false, as in ESXi",
        |r, c| match r {
            Record::HotAdd(vm) => switch(&vm.settings().hot_add_cpu, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        HotAdd,
        "memory",
        Ty::Bool,
        vmx ["mem.hotadd"],
        yaml "memory",
        "memory hot add is on; absent means false, as in ESXi",
        |r, c| match r {
            Record::HotAdd(vm) => switch(&vm.settings().hot_add_memory, vm.span),
            _ => Val::null(),
        }
    ),
    field!(
        Device,
        "index",
        Ty::Int,
        vmx ["pciPassthruN"],
        yaml "",
        "the device's index",
        |r, c| match r {
            Record::Device(d) => Val::new(Value::Int(d.index), Some(d.span)),
            _ => Val::null(),
        }
    ),
    field!(
        Device,
        "kind",
        Ty::Enum(Enum::DeviceKind),
        vmx [],
        yaml "",
        "`static` (by address), `dynamic` (by vendor and device id), `sriov` (an SR-IOV virtual function) or `vgpu`",
        |r, c| match r {
            Record::Device(d) => text(d.kind(), d.span),
            _ => Val::null(),
        }
    ),
    field!(
        Device,
        "address",
        Ty::Pci,
        vmx ["pciPassthruN.id"],
        yaml "address",
        "the host PCI address",
        |r, c| match r {
            Record::Device(d) => d
                .address
                .as_ref()
                .map_or(Val::missing(d.span), |a| Val::new(
                    Value::Pci(a.value),
                    Some(a.span)
                )),
            _ => Val::null(),
        }
    ),
    field!(
        Device,
        "vendor_id",
        Ty::Int,
        vmx ["pciPassthruN.vendorId"],
        yaml "vendor_id",
        "the PCI vendor id",
        |r, c| match r {
            Record::Device(d) => int(&d.vendor_id, d.span),
            _ => Val::null(),
        }
    ),
    field!(
        Device,
        "device_id",
        Ty::Int,
        vmx ["pciPassthruN.deviceId"],
        yaml "device_id",
        "the PCI device id",
        |r, c| match r {
            Record::Device(d) => int(&d.device_id, d.span),
            _ => Val::null(),
        }
    ),
    field!(
        Device,
        "system_id",
        Ty::Str,
        vmx ["pciPassthruN.systemId"],
        yaml "system_id",
        "the UUID of the host the device was added on",
        |r, c| match r {
            Record::Device(d) => string(&d.system_id, d.span),
            _ => Val::null(),
        }
    ),
    field!(
        Device,
        "allowed_devices",
        Ty::Str,
        vmx ["pciPassthruN.allowedDevices"],
        yaml "allowed_devices",
        "Dynamic DirectPath I/O `vendor:device` list",
        |r, c| match r {
            Record::Device(d) => string_of(d.allowed_devices(), d.span),
            _ => Val::null(),
        }
    ),
    field!(
        Device,
        "vgpu",
        Ty::Str,
        vmx ["pciPassthruN.vgpu"],
        yaml "vgpu",
        "the NVIDIA vGPU profile",
        |r, c| match r {
            Record::Device(d) => string_of(d.vgpu(), d.span),
            _ => Val::null(),
        }
    ),
];
