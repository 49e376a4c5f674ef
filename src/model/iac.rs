//! What the readers of infrastructure code share (Terraform, its plan,
//! Ansible, Packer, OVF): raw `.vmx` keys that those tools pass through
//! (`extra_config`, `advanced_settings`, `configuration_parameters`,
//! `vmw:ExtraConfig`) are read by the `.vmx` reader itself, so a key means
//! the same wherever it is written; the tool's own typed attributes are set
//! on top of them, as the tool sets them on the VM.

use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::model::{Device, Format, PciAddr, Raw, RawEntry, Spanned, Vm, pci, vmx};
use crate::schema::types::RecordType;
use crate::source::{FileId, Span};
use std::sync::Arc;

/// One raw `.vmx` key and its value, as another format wrote them.
pub struct KeyValue {
    pub key: Span,
    pub key_text: String,
    pub value: Span,
    pub value_text: String,
}

impl KeyValue {
    pub fn new(key: Span, key_text: &str, value: Span, value_text: &str) -> KeyValue {
        KeyValue {
            key,
            key_text: key_text.to_string(),
            value,
            value_text: value_text.to_string(),
        }
    }
}

/// `vm_with_keys`, its problems added to `diags`, and the raw keys the
/// tool only knows at run time (`unknown_keys`) marked unknown on the VM.
pub fn vm_of(
    file: FileId,
    text: &Arc<str>,
    span: Span,
    format: Format,
    pairs: Vec<KeyValue>,
    unknown_keys: Vec<(String, Span)>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vm> {
    let (vm, d) = vm_with_keys(file, text, span, format, pairs);
    diags.extend(d);
    let mut vm = vm?;
    for (key, at) in unknown_keys {
        mark_unknown_key(&mut vm, &key, at);
    }
    Some(vm)
}

/// A VM of `format` whose raw `.vmx` keys are `pairs` (spans into `text`,
/// the file's text), read as a `.vmx` file would be. `span` is the whole
/// resource, task or section: where "missing" points.
pub fn vm_with_keys(
    file: FileId,
    text: &Arc<str>,
    span: Span,
    format: Format,
    pairs: Vec<KeyValue>,
) -> (Option<Vm>, Vec<Diagnostic>) {
    let raw = Raw {
        text: Arc::clone(text),
        entries: pairs
            .into_iter()
            .map(|p| RawEntry {
                key: p.key,
                value: p.value,
                key_text: Some(p.key_text.into_boxed_str()),
                value_text: Some(p.value_text.into_boxed_str()),
            })
            .collect(),
    };
    let (vm, diags) = vmx::to_vm(file, vmx::from_raw(raw), "", None);
    let vm = vm.map(|mut vm| {
        vm.span = span;
        vm.format = format;
        vm
    });
    (vm, diags)
}

/// A VL002 for a value of the wrong type.
pub fn wrong_type(span: Span, key: &str, expected: &str, found: &str) -> Diagnostic {
    Diagnostic::new(
        codes::SCHEMA,
        Severity::Error,
        span,
        format!("`{key}` should be {expected}, not {found}"),
    )
    .with_label(format!("expected {expected}"))
    .with_key(key.to_ascii_lowercase())
}

/// A static DirectPath I/O device by its host address (`0000:3b:00.0`, as
/// the vSphere API and esxcli write it: hex).
pub fn static_device(
    span: Span,
    index: usize,
    address: &str,
    diags: &mut Vec<Diagnostic>,
) -> Device {
    let mut dev = Device::new(span, i64::try_from(index).unwrap_or(i64::MAX));
    dev.id_given = Some(span);
    match PciAddr::read(address.trim(), pci::Radix::Hex) {
        Some((a, _)) => dev.address = Some(Spanned::new(a, span)),
        None => diags.push(wrong_type(
            span,
            "pci_device_id",
            "a PCI address such as `0000:3b:00.0`",
            &format!("`{address}`"),
        )),
    }
    dev
}

/// A Dynamic DirectPath I/O device by vendor and device id.
pub fn dynamic_device(
    span: Span,
    index: usize,
    vendor: Option<Spanned<i64>>,
    device: Option<Spanned<i64>>,
) -> Device {
    let mut dev = Device::new(span, i64::try_from(index).unwrap_or(i64::MAX));
    if let (Some(v), Some(d)) = (&vendor, &device) {
        dev.extra_mut().allowed_devices = Some(Spanned::new(
            format!("{:#06x}:{:#06x}", v.value, d.value),
            span,
        ));
    }
    dev.vendor_id = vendor;
    dev.device_id = device;
    dev
}

/// An NVIDIA vGPU device of `profile` (`grid_a100-8c`).
pub fn vgpu_device(span: Span, index: usize, profile: Spanned<String>) -> Device {
    let mut dev = Device::new(span, i64::try_from(index).unwrap_or(i64::MAX));
    dev.extra_mut().vgpu = Some(profile);
    dev
}

/// An SR-IOV virtual function of the physical function at `pf`.
pub fn sriov_device(span: Span, index: usize, pf: Spanned<String>) -> Device {
    let mut dev = Device::new(span, i64::try_from(index).unwrap_or(i64::MAX));
    dev.extra_mut().pf_id = Some(pf);
    dev
}

/// A PCI id as the tools write it: `0x10de`, `10de` (hex, as Terraform's
/// data source and Packer take them), or a decimal number.
pub fn pci_id(text: &str, hex_default: bool) -> Option<i64> {
    let t = text.trim();
    if let Some(v) = pci::parse_id(t).filter(|_| t.starts_with("0x") || t.starts_with("0X")) {
        return Some(i64::from(v));
    }
    if hex_default {
        return i64::from_str_radix(t, 16).ok().filter(|v| *v <= 0xffff);
    }
    t.parse::<i64>()
        .ok()
        .map(|v| if v < 0 { v + 0x1_0000 } else { v })
        .filter(|v| (0..=0xffff).contains(v))
}

/// Adds a device to a VM, noting where its devices are declared.
pub fn push_device(vm: &mut Vm, dev: Device) {
    vm.passthrough_span.get_or_insert(dev.span);
    vm.passthrough.push(dev);
}

/// Marks a field of a VM as set to a value not known statically, so that
/// no rule reads it as absent (an absent reservation reserves nothing; an
/// unknown one may reserve everything).
pub fn mark_unknown(vm: &mut Vm, on: RecordType, field: &'static str, at: Span) {
    vm.unknown.push((on, field, at));
}

/// Marks the field a raw `.vmx` key sets, when its value is not known.
pub fn mark_unknown_key(vm: &mut Vm, key: &str, at: Span) {
    if let Some((on, field)) = crate::schema::fields::field_of_vmx_key(key) {
        vm.unknown.push((on, field, at));
    }
}

/// Sets a field when the value is known: a tool's attribute overrides the
/// raw `.vmx` key it also passes.
pub fn set<T>(field: &mut Option<T>, v: Option<T>) {
    if v.is_some() {
        *field = v;
    }
}
