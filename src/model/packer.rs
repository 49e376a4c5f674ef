//! Packer: the `vsphere-iso` and `vsphere-clone` sources of a template,
//! in HCL2 (`source "vsphere-iso" "name" { ... }` in `*.pkr.hcl`, with the
//! folder's `variable` defaults, `locals` and `*.pkrvars.hcl` values) and in
//! legacy JSON (`builders` with `"type": "vsphere-iso"`). Read: `vm_name`,
//! `host` or `cluster`, `RAM`, `RAM_reservation`, `RAM_reserve_all`,
//! `firmware`, `vm_version`, `CPU_hot_plug`, `RAM_hot_plug`,
//! `pci_passthrough_allowed_device` (Dynamic DirectPath I/O, ids in hex as
//! the vSphere plugin takes them), `vgpu_profile`, and
//! `configuration_parameters` read as `.vmx` keys.

use super::hcl::{Read, Reader, Value, blocks, label, parse_all, scope_of, span_of};
use super::iac::{self, KeyValue};
use super::node::{self, boolean, int, items, member, scalar};
use super::{Format, Placement, Spanned, Vm};
use crate::schema::types::RecordType;
use crate::source::{FileId, Span};
use crate::yaml_tree::Node;
use hcl_edit::structure::Body;
use std::path::Path;
use std::sync::Arc;

const BUILDERS: [&str; 2] = ["vsphere-iso", "vsphere-clone"];

/// The settings that set fields, in both syntaxes, for unknown values.
const FIELDS: &[(&str, RecordType, &str)] = &[
    ("vm_name", RecordType::Vm, "name"),
    ("RAM", RecordType::Vm, "memory_mb"),
    ("RAM_reservation", RecordType::Vm, "memory_reservation_mb"),
    ("RAM_reserve_all", RecordType::Vm, "memory_reservation_all"),
    ("vm_version", RecordType::Vm, "hardware_version"),
    ("firmware", RecordType::Vm, "firmware"),
    ("CPU_hot_plug", RecordType::HotAdd, "cpu"),
    ("RAM_hot_plug", RecordType::HotAdd, "memory"),
];

/// The other files of a template's folder: `*.pkr.hcl` siblings, then
/// `*.pkrvars.hcl` and `*.auto.pkrvars.hcl` (later files win).
pub fn folder_files(path: &Path, max_size: u64) -> (Vec<String>, Vec<String>) {
    super::hcl::folder_texts(
        path,
        max_size,
        |n| n.ends_with(".pkr.hcl"),
        |n| match n {
            n if n.ends_with(".auto.pkrvars.hcl") => Some(1),
            n if n.ends_with(".pkrvars.hcl") => Some(0),
            _ => None,
        },
    )
}

pub fn read_hcl(file: FileId, text: &Arc<str>, siblings: &[String], vars: &[String]) -> Read {
    let mut out = Read::default();
    let body = match super::terraform::parse(file, text) {
        Ok(b) => b,
        Err(d) => {
            out.diags.push(*d);
            return out;
        }
    };
    let others = parse_all(siblings);
    let var_files = parse_all(vars);
    let all: Vec<&Body> = others.iter().chain(std::iter::once(&body)).collect();
    let r = Reader {
        file,
        text,
        scope: scope_of(&all, &var_files),
    };
    for src in blocks(&body, "source").filter(|b| BUILDERS.contains(&label(b, 0))) {
        if let Some(vm) = source(&r, src, &mut out) {
            out.vms.push(vm);
        }
    }
    out
}

fn source(r: &Reader<'_>, src: &hcl_edit::structure::Block, out: &mut Read) -> Option<Vm> {
    let who = format!("source.{}.{}", label(src, 0), label(src, 1));
    let span = span_of(r.file, src).unwrap_or(Span::file_start(r.file));
    let b = &src.body;
    let pairs = r.key_values(b, "configuration_parameters", &who, out);
    let unknown_keys = std::mem::take(&mut out.unknown_keys);
    let mut vm = iac::vm_of(
        r.file,
        r.text,
        span,
        Format::Packer,
        pairs,
        unknown_keys,
        &mut out.diags,
    )?;
    for (attr, on, field) in FIELDS {
        if let Some(at) = r.unknown_at(b, attr) {
            iac::mark_unknown(&mut vm, *on, field, at);
        }
    }
    let w = format!("`{who}`");
    vm.name = r
        .str(b, "vm_name", &w, out)
        .or_else(|| Some(Spanned::new(who.clone(), span)));
    if let Some(h) = r.str(b, "host", &w, out) {
        // `folder/host`: the host is the last part
        let name = h.value.rsplit('/').next().unwrap_or(&h.value).to_string();
        vm.placement = Placement::Host(Spanned::new(name, h.span));
    } else if let Some(c) = r.str(b, "cluster", &w, out) {
        vm.placement = Placement::Cluster(c);
    }
    let s = vm.settings_mut();
    iac::set(&mut s.memory_mb, r.int(b, "RAM", &w, out));
    iac::set(
        &mut s.memory_reservation_mb,
        r.int(b, "RAM_reservation", &w, out),
    );
    iac::set(
        &mut s.memory_reservation_all,
        r.bool(b, "RAM_reserve_all", &w, out),
    );
    iac::set(&mut s.hardware_version, r.int(b, "vm_version", &w, out));
    iac::set(&mut s.hot_add_cpu, r.bool(b, "CPU_hot_plug", &w, out));
    iac::set(&mut s.hot_add_memory, r.bool(b, "RAM_hot_plug", &w, out));
    if let Some(f) = r.str(b, "firmware", &w, out) {
        s.firmware = Some(firmware(f));
    }
    for d in blocks(b, "pci_passthrough_allowed_device") {
        let at = span_of(r.file, d).unwrap_or(span);
        let id = |key: &str, out: &mut Read| -> Option<Spanned<i64>> {
            let (s, v) = r.get(&d.body, key)?;
            if let Value::Unknown(why) = &v {
                r.note(out, s, &format!("`{key}` of {w}"), why);
                return None;
            }
            let t = v
                .as_str()
                .map(str::to_string)
                .or_else(|| v.as_int().map(|n| format!("{n:x}")))?;
            match iac::pci_id(&t, true) {
                Some(n) => Some(Spanned::new(n, s)),
                None => {
                    out.diags.push(iac::wrong_type(
                        s,
                        key,
                        "a PCI id in hex such as `10de`",
                        &format!("`{t}`"),
                    ));
                    None
                }
            }
        };
        let (vendor, device) = (id("vendor_id", out), id("device_id", out));
        let n = vm.passthrough.len();
        iac::push_device(&mut vm, iac::dynamic_device(at, n, vendor, device));
    }
    if let Some(p) = r.str(b, "vgpu_profile", &w, out) {
        let n = vm.passthrough.len();
        iac::push_device(&mut vm, iac::vgpu_device(p.span, n, p));
    }
    Some(vm)
}

/// `efi-secure` is EFI with secure boot.
fn firmware(f: Spanned<String>) -> Spanned<String> {
    let v = f.value.to_ascii_lowercase();
    let v = if v == "efi-secure" {
        "efi".to_string()
    } else {
        v
    };
    Spanned::new(v, f.span)
}

/// Whether a JSON text may be a legacy Packer template for vSphere.
pub fn mentions_json(text: &str) -> bool {
    text.contains("\"builders\"") && BUILDERS.iter().any(|b| text.contains(b))
}

pub fn is_json(doc: &Node) -> bool {
    items(member(doc, "builders")).iter().any(|b| {
        member(b, "type")
            .and_then(Node::scalar)
            .is_some_and(|t| BUILDERS.contains(&t))
    })
}

/// A value of a legacy template that Packer fills in at build time
/// (`{{user `ram`}}`): unknown.
fn templated(n: Option<&Node>) -> bool {
    n.and_then(Node::scalar).is_some_and(|s| s.contains("{{"))
}

pub fn read_json(file: FileId, text: &Arc<str>, doc: &Node) -> Read {
    let mut out = Read::default();
    for bld in items(member(doc, "builders")) {
        let kind = member(bld, "type").and_then(Node::scalar).unwrap_or("");
        if !BUILDERS.contains(&kind) {
            continue;
        }
        let mut pairs = Vec::new();
        for (k, v) in member(bld, "configuration_parameters")
            .and_then(Node::as_map)
            .unwrap_or(&[])
        {
            if templated(Some(v)) {
                if let Some(k) = k.scalar() {
                    out.unknown_keys.push((k.to_string(), v.span));
                }
                out.unknowns.push((
                    v.span,
                    "a configuration parameter is not known statically: a template value".into(),
                ));
                continue;
            }
            if let (Some(key), Some(value)) = (k.scalar(), scalar(v)) {
                pairs.push(KeyValue::new(k.span, key, v.span, value));
            }
        }
        let unknown_keys = std::mem::take(&mut out.unknown_keys);
        let vm = iac::vm_of(
            file,
            text,
            bld.span,
            Format::Packer,
            pairs,
            unknown_keys,
            &mut out.diags,
        );
        let Some(mut vm) = vm else { continue };
        for (attr, on, field) in FIELDS {
            if let Some(n) = member(bld, attr).filter(|n| templated(Some(n))) {
                iac::mark_unknown(&mut vm, *on, field, n.span);
            }
        }
        let get = |key: &str, out: &mut Read| -> Option<&Node> {
            let n = member(bld, key)?;
            if templated(Some(n)) {
                out.unknowns.push((
                    n.span,
                    format!("`{key}` is not known statically: a template value"),
                ));
                return None;
            }
            Some(n)
        };
        vm.name = node::text(get("vm_name", &mut out)).or_else(|| node::text(member(bld, "name")));
        if let Some(h) = node::text(get("host", &mut out)) {
            let name = h.value.rsplit('/').next().unwrap_or(&h.value).to_string();
            vm.placement = Placement::Host(Spanned::new(name, h.span));
        } else if let Some(c) = node::text(get("cluster", &mut out)) {
            vm.placement = Placement::Cluster(c);
        }
        let s = vm.settings_mut();
        iac::set(&mut s.memory_mb, int(get("RAM", &mut out)));
        iac::set(
            &mut s.memory_reservation_mb,
            int(get("RAM_reservation", &mut out)),
        );
        iac::set(
            &mut s.memory_reservation_all,
            boolean(get("RAM_reserve_all", &mut out)),
        );
        iac::set(&mut s.hardware_version, int(get("vm_version", &mut out)));
        iac::set(&mut s.hot_add_cpu, boolean(get("CPU_hot_plug", &mut out)));
        iac::set(
            &mut s.hot_add_memory,
            boolean(get("RAM_hot_plug", &mut out)),
        );
        if let Some(f) = node::text(get("firmware", &mut out)) {
            s.firmware = Some(firmware(f));
        }
        for d in items(member(bld, "pci_passthrough_allowed_device")) {
            let id = |key: &str| {
                let n = member(d, key)?;
                iac::pci_id(n.scalar()?, true).map(|v| Spanned::new(v, n.span))
            };
            let n = vm.passthrough.len();
            iac::push_device(
                &mut vm,
                iac::dynamic_device(d.span, n, id("vendor_id"), id("device_id")),
            );
        }
        if let Some(p) = node::text(get("vgpu_profile", &mut out)) {
            let n = vm.passthrough.len();
            iac::push_device(&mut vm, iac::vgpu_device(p.span, n, p));
        }
        out.vms.push(vm);
    }
    out
}
