//! The fields of a host and of its nested records (PCI devices, `coredump`).

use super::{FieldContext, FieldDef, field};
use crate::schema::enums::Enum;
use crate::schema::types::{Elem, RecordType, Ty};
use crate::schema::value::{Record, Val, Value, boolean, int, list, string};

pub static FIELDS: &[FieldDef] = &[
    field!(
        Host,
        "name",
        Ty::Str,
        vmx [],
        yaml "name",
        "the host's name",
        |r, c| match r {
            Record::Host(_, h) => string(&h.name, h.span),
            _ => Val::null(),
        }
    ),
    field!(
        Host,
        "cluster",
        Ty::Str,
        vmx [],
        yaml "cluster",
        "the host's cluster",
        |r, c| match r {
            Record::Host(_, h) => string(&h.cluster, h.span),
            _ => Val::null(),
        }
    ),
    field!(
        Host,
        "esxi_version",
        Ty::Version,
        vmx [],
        yaml "esxi_version",
        "the ESXi release, such as 8.0.2 (8.0 U2)",
        |r, c| match r {
            Record::Host(_, h) => h
                .esxi_version
                .as_ref()
                .map_or(Val::missing(h.span), |v| Val::new(
                    Value::Version(v.value),
                    Some(v.span)
                )),
            _ => Val::null(),
        }
    ),
    field!(
        Host,
        "iommu",
        Ty::Enum(Enum::Iommu),
        vmx [],
        yaml "iommu",
        "VT-d / AMD-Vi in the BIOS: `enabled` or `disabled`",
        |r, c| match r {
            Record::Host(_, h) => string(&h.iommu, h.span),
            _ => Val::null(),
        }
    ),
    field!(
        Host,
        "boot_device",
        Ty::Enum(Enum::BootDevice),
        vmx [],
        yaml "boot_device",
        "`usb`, `sd`, `disk`, `san` or `pxe`",
        |r, c| match r {
            Record::Host(_, h) => string(&h.boot_device, h.span),
            _ => Val::null(),
        }
    ),
    field!(
        Host,
        "coredump",
        Ty::Record(RecordType::Coredump),
        vmx [],
        yaml "coredump",
        "where the active coredump partition lives",
        |r, c| match r {
            Record::Host(_, h) => Val::new(
                Value::Record(Record::Coredump(h)),
                Some(h.coredump_span.unwrap_or(h.span))
            ),
            _ => Val::null(),
        }
    ),
    field!(
        Host,
        "system_id",
        Ty::Str,
        vmx [],
        yaml "system_id",
        "the host's system UUID",
        |r, c| match r {
            Record::Host(_, h) => string(&h.system_id, h.span),
            _ => Val::null(),
        }
    ),
    field!(
        Host,
        "pci",
        Ty::List(Elem::Record(RecordType::HostPci)),
        vmx [],
        yaml "pci",
        "the host's PCI devices; `host.pci[dev.address]` looks one up",
        |r, c| match r {
            Record::Host(i, h) => list(
                h.pci
                    .iter()
                    .map(|p| Val::new(Value::Record(Record::HostPci(i, p)), Some(p.span)))
                    .collect(),
                h.pci_span.unwrap_or(h.span),
            ),
            _ => Val::null(),
        }
    ),
    field!(
        Host,
        "vms",
        Ty::List(Elem::Record(RecordType::Vm)),
        vmx [],
        yaml "",
        "the VMs placed on this host (by `host`, not by `cluster`)",
        |r, c| match r {
            Record::Host(i, h) => list(
                c.inv
                    .host_vms
                    .get(i)
                    .map(|vms| {
                        vms.iter()
                            .filter_map(|vi| {
                                c.vm(*vi)
                                    .map(|vm| Val::new(Value::Record(Record::Vm(*vi, vm)), Some(vm.span)))
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
        vmx [],
        yaml "",
        "every key as written",
        |r, c| match r {
            Record::Host(_, h) => Val::new(Value::Raw(&h.raw), Some(h.span)),
            _ => Val::null(),
        }
    ),
    field!(
        Coredump,
        "transport",
        Ty::Enum(Enum::CoredumpTransport),
        vmx [],
        yaml "transport",
        "`usb`, `sd`, `disk`, `network`, `file` or `none`",
        |r, c| match r {
            Record::Coredump(h) => string(&h.coredump_transport, h.coredump_span.unwrap_or(h.span)),
            _ => Val::null(),
        }
    ),
    field!(
        HostPci,
        "address",
        Ty::Pci,
        vmx [],
        yaml "address",
        "the PCI address",
        |r, c| match r {
            Record::HostPci(_, p) => p
                .address
                .as_ref()
                .map_or(Val::missing(p.span), |a| Val::new(
                    Value::Pci(a.value),
                    Some(a.span)
                )),
            _ => Val::null(),
        }
    ),
    field!(
        HostPci,
        "vendor_id",
        Ty::Int,
        vmx [],
        yaml "vendor_id",
        "the PCI vendor id",
        |r, c| match r {
            Record::HostPci(_, p) => int(&p.vendor_id, p.span),
            _ => Val::null(),
        }
    ),
    field!(
        HostPci,
        "device_id",
        Ty::Int,
        vmx [],
        yaml "device_id",
        "the PCI device id",
        |r, c| match r {
            Record::HostPci(_, p) => int(&p.device_id, p.span),
            _ => Val::null(),
        }
    ),
    field!(
        HostPci,
        "class",
        Ty::Int,
        vmx [],
        yaml "class",
        "the PCI class code (`0x0c03` is a USB controller)",
        |r, c| match r {
            Record::HostPci(_, p) => int(&p.class, p.span),
            _ => Val::null(),
        }
    ),
    field!(
        HostPci,
        "class_name",
        Ty::Enum(Enum::PciClass),
        vmx [],
        yaml "class",
        "the class by name: `usb`, `display`, `network`, `storage`...",
        |r, c| match r {
            Record::HostPci(_, p) => string(&p.class_name, p.span),
            _ => Val::null(),
        }
    ),
    field!(
        HostPci,
        "name",
        Ty::Str,
        vmx [],
        yaml "name",
        "the device's name",
        |r, c| match r {
            Record::HostPci(_, p) => string(&p.name, p.span),
            _ => Val::null(),
        }
    ),
    field!(
        HostPci,
        "passthrough",
        Ty::Enum(Enum::Passthrough),
        vmx [],
        yaml "passthrough",
        "`enabled` (available for passthrough), `disabled` or `unsupported`",
        |r, c| match r {
            Record::HostPci(_, p) => string(&p.passthrough, p.span),
            _ => Val::null(),
        }
    ),
    field!(
        HostPci,
        "mmio_gb",
        Ty::Int,
        vmx [],
        yaml "mmio_gb",
        "the size of the device's memory regions (BARs) in GB",
        |r, c| match r {
            Record::HostPci(_, p) => int(&p.mmio_gb, p.span),
            _ => Val::null(),
        }
    ),
    field!(
        HostPci,
        "active",
        Ty::Bool,
        vmx [],
        yaml "active",
        "passthrough is in effect now; an enabled device that is not active waits for the host to reboot (vCenter's `passthruActive`, esxcli's current owner)",
        |r, c| match r {
            Record::HostPci(_, p) => boolean(&p.active, p.span),
            _ => Val::null(),
        }
    ),
    field!(
        HostPci,
        "dependent",
        Ty::Pci,
        vmx [],
        yaml "dependent",
        "the device the VMkernel must release along with this one for passthrough: another function of the card, or a bridge (vCenter's `dependentDevice`, esxcli's `Dependent Device`)",
        |r, c| match r {
            Record::HostPci(_, p) => p
                .dependent
                .as_ref()
                .map_or(Val::missing(p.span), |a| Val::new(
                    Value::Pci(a.value),
                    Some(a.span)
                )),
            _ => Val::null(),
        }
    ),
    field!(
        HostPci,
        "vms",
        Ty::List(Elem::Record(RecordType::Vm)),
        vmx [],
        yaml "",
        "the VMs placed on this host (by `host`) that pass this device through by its address, as static DirectPath I/O, in the order of `host.vms`",
        |r, c| match r {
            Record::HostPci(hi, p) => list(
                p.address
                    .as_ref()
                    .and_then(|a| {
                        let on_host = c.inv.host_vms.get(hi)?;
                        Some(
                            on_host
                                .iter()
                                .filter_map(|vi| Some((*vi, c.vm(*vi)?)))
                                .filter(|(_, vm)| passes_through(vm, a.value))
                                .map(|(vi, vm)| Val::new(Value::Record(Record::Vm(vi, vm)), Some(vm.span)))
                                .collect(),
                        )
                    })
                    .unwrap_or_default(),
                p.span,
            ),
            _ => Val::null(),
        }
    ),
];

/// Whether `vm` passes the device at `address` through as a static
/// DirectPath I/O device: what `any(d in vm.passthrough, d.address ==
/// address and d.kind == "static")` finds true (a VM whose devices are not
/// known statically has none).
fn passes_through(vm: &crate::model::Vm, address: crate::model::PciAddr) -> bool {
    let unknown = vm
        .unknown
        .iter()
        .any(|(r, n, _)| *r == RecordType::Vm && *n == "passthrough");
    !unknown
        && vm
            .passthrough
            .iter()
            .any(|d| d.address.as_ref().is_some_and(|a| a.value == address) && d.kind() == "static")
}
