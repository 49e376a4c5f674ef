//! Ansible: the `community.vmware` tasks of playbooks and roles, with or
//! without the collection prefix, in `tasks`, `pre_tasks`, `post_tasks`,
//! `handlers` and nested `block` / `rescue` / `always`:
//! `vmware_guest` is a VM (`hardware.*`, `advanced_settings` read as
//! `.vmx` keys, `esxi_hostname` or `cluster` for placement);
//! `vmware_guest_vgpu` gives the VM of the same name a vGPU;
//! `vmware_host_passthrough` is the host state a playbook asks for: the
//! devices it lists are enabled for passthrough on its hosts.
//!
//! A `{{ ... }}` value is not known before the play runs, nor is a
//! `!vault` one; booleans are YAML 1.1's (`yes`, `no`, `on`, `off`).

use super::iac::{self, KeyValue};
use super::node::{items, member, scalar, yaml_bool};
use super::{Format, Host, Placement, Spanned, Vm};
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};
use crate::yaml_tree::{Node, NodeKind};
use std::sync::Arc;

const GUEST: &str = "vmware_guest";
const VGPU: &str = "vmware_guest_vgpu";
const PASSTHROUGH: &str = "vmware_host_passthrough";

/// Devices a playbook enables for passthrough on a host or a cluster.
#[derive(Clone, Debug)]
pub struct Overlay {
    pub host: Option<String>,
    pub cluster: Option<String>,
    /// Each device's name or address, where the task lists it.
    pub devices: Vec<Spanned<String>>,
}

#[derive(Default)]
pub struct Read {
    pub vms: Vec<Vm>,
    pub overlays: Vec<Overlay>,
    pub diags: Vec<Diagnostic>,
    pub unknowns: Vec<(Span, String)>,
}

/// Whether a text may hold the tasks vmlint reads.
pub fn mentions(text: &str) -> bool {
    [GUEST, PASSTHROUGH].iter().any(|m| text.contains(m))
}

/// The module a task calls among those vmlint reads, and its arguments.
fn module(task: &Node) -> Option<(&'static str, &Node)> {
    task.as_map()?.iter().find_map(|(k, v)| {
        let k = k.scalar()?;
        let short = k.strip_prefix("community.vmware.").unwrap_or(k);
        [GUEST, VGPU, PASSTHROUGH]
            .into_iter()
            .find(|m| *m == short)
            .map(|m| (m, v))
    })
}

/// Every task of a document: a playbook (plays with task lists) or a task
/// file of a role, blocks opened.
fn tasks<'n>(list: &'n [Node], out: &mut Vec<&'n Node>) {
    for t in list {
        if t.as_map().is_none() {
            continue;
        }
        let mut nested = false;
        for key in [
            "tasks",
            "pre_tasks",
            "post_tasks",
            "handlers",
            "block",
            "rescue",
            "always",
        ] {
            if let Some(NodeKind::Seq(inner)) = member(t, key).map(|n| &n.kind) {
                tasks(inner, out);
                nested = true;
            }
        }
        if !nested {
            out.push(t);
        }
    }
}

pub fn is_playbook(doc: &Node) -> bool {
    let NodeKind::Seq(list) = &doc.kind else {
        return false;
    };
    let mut all = Vec::new();
    tasks(list, &mut all);
    all.iter().any(|t| module(t).is_some())
}

/// A value that is only known when the play runs.
fn unknown_why(n: &Node) -> Option<&'static str> {
    let s = n.scalar()?;
    if s.contains("{{") || s.contains("{%") {
        Some("a Jinja2 template, known only when the play runs")
    } else if s.trim_start().starts_with("$ANSIBLE_VAULT") {
        Some("a vaulted value")
    } else {
        None
    }
}

pub fn read(file: FileId, text: &Arc<str>, doc: &Node) -> Read {
    let mut out = Read::default();
    let NodeKind::Seq(list) = &doc.kind else {
        return out;
    };
    let mut all = Vec::new();
    tasks(list, &mut all);
    let mut vgpus = Vec::new();
    for t in all {
        let Some((m, args)) = module(t) else { continue };
        if args.as_map().is_none() {
            continue;
        }
        let state = member(args, "state")
            .and_then(Node::scalar)
            .unwrap_or("present");
        if state == "absent" {
            continue;
        }
        match m {
            GUEST => {
                if let Some(vm) = guest(file, text, t, args, &mut out) {
                    out.vms.push(vm);
                }
            }
            VGPU => vgpus.push((t, args)),
            _ => out.overlays.push(Overlay {
                host: known(member(args, "esxi_hostname")).map(|s| s.value),
                cluster: known(member(args, "cluster").or_else(|| member(args, "cluster_name")))
                    .map(|s| s.value),
                devices: items(member(args, "devices"))
                    .iter()
                    .filter_map(|d| {
                        known(
                            member(d, "device")
                                .or_else(|| member(d, "name"))
                                .or_else(|| member(d, "device_name")),
                        )
                    })
                    .collect(),
            }),
        }
    }
    for (t, args) in vgpus {
        let Some(profile) = known(member(args, "vgpu")) else {
            note_unknown(member(args, "vgpu"), "the vGPU profile", &mut out);
            continue;
        };
        let name = known(member(args, "name"));
        let at = vm_of(&out.vms, name.as_ref());
        let vm = match at {
            Some(i) => out.vms.get_mut(i),
            None => {
                let mut vm = Vm::new(file, t.span, Format::Ansible);
                vm.name = name.clone();
                vm.placement = placement(args);
                out.vms.push(vm);
                out.vms.last_mut()
            }
        };
        if let Some(vm) = vm {
            let n = vm.passthrough.len();
            iac::push_device(vm, iac::vgpu_device(profile.span, n, profile));
        }
    }
    out
}

fn vm_of(vms: &[Vm], name: Option<&Spanned<String>>) -> Option<usize> {
    let name = name?;
    vms.iter()
        .position(|v| v.name.as_ref().is_some_and(|n| n.value == name.value))
}

/// A scalar whose value is known.
fn known(n: Option<&Node>) -> Option<Spanned<String>> {
    let n = n?;
    if unknown_why(n).is_some() {
        return None;
    }
    scalar(n).map(|s| Spanned::new(s.to_string(), n.span))
}

fn note_unknown(n: Option<&Node>, what: &str, out: &mut Read) {
    if let Some(n) = n
        && let Some(why) = unknown_why(n)
    {
        out.unknowns
            .push((n.span, format!("{what} is not known statically: {why}")));
    }
}

fn placement(args: &Node) -> Placement {
    if let Some(h) = known(member(args, "esxi_hostname")) {
        Placement::Host(h)
    } else if let Some(c) = known(member(args, "cluster")) {
        Placement::Cluster(c)
    } else {
        Placement::Unplaced
    }
}

fn guest(file: FileId, text: &Arc<str>, task: &Node, args: &Node, out: &mut Read) -> Option<Vm> {
    let mut pairs = Vec::new();
    let mut unknown_keys = Vec::new();
    for kv in items(member(args, "advanced_settings")) {
        let (Some(k), Some(v)) = (member(kv, "key"), member(kv, "value")) else {
            continue;
        };
        if unknown_why(v).is_some() {
            note_unknown(Some(v), "an advanced setting", out);
            if let Some(key) = scalar(k) {
                unknown_keys.push((key.to_string(), v.span));
            }
            continue;
        }
        if let (Some(key), Some(value)) = (scalar(k), scalar(v)) {
            pairs.push(KeyValue::new(k.span, key, v.span, value));
        }
    }
    let mut vm = iac::vm_of(
        file,
        text,
        task.span,
        Format::Ansible,
        pairs,
        unknown_keys,
        &mut out.diags,
    )?;
    use crate::schema::types::RecordType::{HotAdd, Vm as V};
    let hw = member(args, "hardware");
    for (key, on, field) in [
        ("memory_mb", V, "memory_mb"),
        ("mem_reservation", V, "memory_reservation_mb"),
        ("memory_reservation", V, "memory_reservation_mb"),
        ("memory_reservation_lock", V, "memory_reservation_all"),
        ("version", V, "hardware_version"),
        ("boot_firmware", V, "firmware"),
        ("hotadd_cpu", HotAdd, "cpu"),
        ("hotadd_memory", HotAdd, "memory"),
    ] {
        if let Some(n) = hw
            .and_then(|h| member(h, key))
            .filter(|n| unknown_why(n).is_some())
        {
            iac::mark_unknown(&mut vm, on, field, n.span);
        }
    }
    note_unknown(member(args, "name"), "the VM's name", out);
    vm.name = known(member(args, "name")).or_else(|| known(member(task, "name")));
    vm.placement = placement(args);
    let int = |key: &str, out: &mut Read| -> Option<Spanned<i64>> {
        let n = hw.and_then(|h| member(h, key))?;
        note_unknown(Some(n), &format!("`hardware.{key}`"), out);
        let s = known(Some(n))?;
        match s.value.trim().parse() {
            Ok(v) => Some(Spanned::new(v, s.span)),
            Err(_) => {
                out.diags.push(iac::wrong_type(
                    s.span,
                    key,
                    "a whole number",
                    &format!("`{}`", s.value),
                ));
                None
            }
        }
    };
    let boolean = |key: &str, out: &mut Read| -> Option<Spanned<bool>> {
        let n = hw.and_then(|h| member(h, key))?;
        note_unknown(Some(n), &format!("`hardware.{key}`"), out);
        yaml_bool(Some(n))
    };
    if let Some(v) = int("memory_mb", out) {
        vm.settings_mut().memory_mb = Some(v);
    }
    if let Some(v) = int("mem_reservation", out).or_else(|| int("memory_reservation", out)) {
        vm.settings_mut().memory_reservation_mb = Some(v);
    }
    if let Some(v) = boolean("memory_reservation_lock", out) {
        vm.settings_mut().memory_reservation_all = Some(v);
    }
    if let Some(v) = boolean("hotadd_cpu", out) {
        vm.settings_mut().hot_add_cpu = Some(v);
    }
    if let Some(v) = boolean("hotadd_memory", out) {
        vm.settings_mut().hot_add_memory = Some(v);
    }
    // `version: 19`, or `latest` (what the host offers: unknown here)
    if let Some(v) = hw
        .and_then(|h| member(h, "version"))
        .and_then(|n| known(Some(n)))
        && let Ok(n) = v.value.trim().trim_start_matches("vmx-").parse()
    {
        vm.settings_mut().hardware_version = Some(Spanned::new(n, v.span));
    }
    if let Some(f) = hw
        .and_then(|h| member(h, "boot_firmware"))
        .and_then(|n| known(Some(n)))
    {
        vm.settings_mut().firmware = Some(Spanned::new(f.value.to_ascii_lowercase(), f.span));
    }
    Some(vm)
}

/// Marks the devices the playbooks enable as enabled on their hosts (the
/// state the play leaves; whether the host has rebooted since stays as the
/// host facts say).
pub fn apply(overlays: &[Overlay], hosts: &mut [Host]) {
    let short = |n: &str| n.split('.').next().unwrap_or(n).to_ascii_lowercase();
    for o in overlays {
        for h in hosts.iter_mut() {
            let name = h.name.as_ref().map(|n| short(&n.value));
            let on_host = o
                .host
                .as_ref()
                .is_some_and(|want| name.as_deref() == Some(short(want).as_str()));
            let in_cluster = o
                .cluster
                .as_ref()
                .is_some_and(|c| h.cluster.as_ref().is_some_and(|hc| &hc.value == c));
            if !on_host && !in_cluster {
                continue;
            }
            for d in &o.devices {
                let addr = super::PciAddr::read(&d.value, super::pci::Radix::Hex).map(|(a, _)| a);
                for p in h.pci.iter_mut() {
                    let by_addr =
                        addr.is_some_and(|a| p.address.as_ref().is_some_and(|pa| pa.value == a));
                    let by_name = p.name.as_ref().is_some_and(|n| n.value == d.value);
                    if by_addr || by_name {
                        p.passthrough = Some(Spanned::new("enabled".into(), d.span));
                    }
                }
            }
        }
    }
}
