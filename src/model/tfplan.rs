//! Terraform plans as `terraform show -json PLAN` writes them: every
//! `vsphere_virtual_machine` of `planned_values` (root and child modules;
//! else `resource_changes[].change.after`) is a VM whose values Terraform has
//! already resolved. A host or cluster is named by its managed object
//! reference (`host-12`); the data sources of the plan's state turn it back
//! into the name the host facts use. Spans point at the values in the JSON,
//! and each finding names the resource address.

use super::iac::{self, KeyValue};
use super::node::{self, boolean, int, items, member, path, scalar};
use super::{Format, Placement, Spanned, Vm};
use crate::diagnostic::Diagnostic;
use crate::source::FileId;
use crate::yaml_tree::{Node, NodeKind};
use std::sync::Arc;

/// Whether a text may be a plan (a cheap test before parsing).
pub fn mentions(text: &str) -> bool {
    text.contains("\"format_version\"")
        && (text.contains("\"planned_values\"") || text.contains("\"resource_changes\""))
}

pub fn is_plan(doc: &Node) -> bool {
    member(doc, "format_version").is_some()
        && (member(doc, "planned_values").is_some() || member(doc, "resource_changes").is_some())
}

/// Every resource of a module and its child modules, however deep (the
/// document's depth is bounded by its parser).
fn resources<'n>(module: Option<&'n Node>, out: &mut Vec<&'n Node>) {
    let Some(m) = module else { return };
    out.extend(items(member(m, "resources")));
    for child in items(member(m, "child_modules")) {
        resources(Some(child), out);
    }
}

fn of_type<'n>(list: &[&'n Node], mode: &str, kind: &str) -> Vec<&'n Node> {
    list.iter()
        .copied()
        .filter(|r| {
            member(r, "type").and_then(Node::scalar) == Some(kind)
                && member(r, "mode")
                    .and_then(Node::scalar)
                    .is_none_or(|m| m == mode)
        })
        .collect()
}

pub fn vms(file: FileId, text: &Arc<str>, doc: &Node) -> (Vec<Vm>, Vec<Diagnostic>) {
    let mut planned = Vec::new();
    resources(path(doc, &["planned_values", "root_module"]), &mut planned);
    // data sources: what the plan read (its prior state) and what it plans
    let mut data = Vec::new();
    resources(
        path(doc, &["prior_state", "values", "root_module"]),
        &mut data,
    );
    data.extend(planned.iter().copied());
    let mut list: Vec<(String, &Node)> = of_type(&planned, "managed", "vsphere_virtual_machine")
        .into_iter()
        .filter_map(|r| {
            Some((
                member(r, "address").and_then(Node::scalar)?.to_string(),
                member(r, "values")?,
            ))
        })
        .collect();
    if list.is_empty() {
        list = items(member(doc, "resource_changes"))
            .iter()
            .filter(|r| {
                member(r, "type").and_then(Node::scalar) == Some("vsphere_virtual_machine")
                    && member(r, "mode").and_then(Node::scalar) != Some("data")
            })
            .filter_map(|r| {
                let after = path(r, &["change", "after"]).filter(|a| a.as_map().is_some())?;
                Some((
                    member(r, "address").and_then(Node::scalar)?.to_string(),
                    after,
                ))
            })
            .collect();
    }
    let mut diags = Vec::new();
    let mut out = Vec::new();
    for (address, values) in list {
        let (vm, d) = vm(file, text, &address, values, &data);
        diags.extend(d);
        out.extend(vm);
    }
    (out, diags)
}

/// The name of the data source of `kind` whose `key` is `value`.
fn named_by(data: &[&Node], kind: &str, key: &str, value: &str) -> Option<String> {
    of_type(data, "data", kind).into_iter().find_map(|r| {
        let v = member(r, "values")?;
        (member(v, key)?.scalar()? == value)
            .then(|| Some(member(v, "name")?.scalar()?.to_string()))?
    })
}

fn vm(
    file: FileId,
    text: &Arc<str>,
    address: &str,
    v: &Node,
    data: &[&Node],
) -> (Option<Vm>, Vec<Diagnostic>) {
    let mut pairs = Vec::new();
    for (k, val) in member(v, "extra_config")
        .and_then(Node::as_map)
        .unwrap_or(&[])
    {
        if let (Some(key), Some(value)) = (k.scalar(), scalar(val)) {
            pairs.push(KeyValue::new(k.span, key, val.span, value));
        }
    }
    let (vm, mut diags) = iac::vm_with_keys(file, text, v.span, Format::TerraformPlan, pairs);
    let Some(mut vm) = vm else {
        return (None, diags);
    };
    let name = text_of(member(v, "name"));
    vm.name = Some(name.unwrap_or_else(|| Spanned::new(address.to_string(), v.span)));
    vm.address = Some(address.into());
    let set_int = |f: &mut Option<Spanned<i64>>, key: &str| {
        if let Some(x) = int(member(v, key)) {
            *f = Some(x);
        }
    };
    set_int(&mut vm.settings_mut().memory_mb, "memory");
    set_int(
        &mut vm.settings_mut().memory_reservation_mb,
        "memory_reservation",
    );
    set_int(&mut vm.settings_mut().hardware_version, "hardware_version");
    let set_bool = |f: &mut Option<Spanned<bool>>, key: &str| {
        if let Some(x) = boolean(member(v, key)) {
            *f = Some(x);
        }
    };
    set_bool(
        &mut vm.settings_mut().memory_reservation_all,
        "memory_reservation_locked_to_max",
    );
    set_bool(&mut vm.settings_mut().hot_add_cpu, "cpu_hot_add_enabled");
    set_bool(
        &mut vm.settings_mut().hot_add_memory,
        "memory_hot_add_enabled",
    );
    if let Some(f) = node::text(member(v, "firmware")) {
        vm.settings_mut().firmware = Some(Spanned::new(f.value.to_ascii_lowercase(), f.span));
    }
    if let Some(h) = node::text(member(v, "host_system_id")) {
        let name = named_by(data, "vsphere_host", "id", &h.value).unwrap_or(h.value);
        vm.placement = Placement::Host(Spanned::new(name, h.span));
    } else if let Some(p) = node::text(member(v, "resource_pool_id"))
        && let Some(c) = named_by(
            data,
            "vsphere_compute_cluster",
            "resource_pool_id",
            &p.value,
        )
    {
        vm.placement = Placement::Cluster(Spanned::new(c, p.span));
    }
    for d in items(member(v, "pci_device_id")) {
        if let Some(a) = d.scalar() {
            let n = vm.passthrough.len();
            iac::push_device(&mut vm, iac::static_device(d.span, n, a, &mut diags));
        }
    }
    for nic in items(member(v, "network_interface")) {
        if member(nic, "adapter_type").and_then(Node::scalar) == Some("sriov") {
            let pf = text_of(member(nic, "physical_function"))
                .unwrap_or_else(|| Spanned::new(String::new(), nic.span));
            let n = vm.passthrough.len();
            iac::push_device(&mut vm, iac::sriov_device(nic.span, n, pf));
        }
    }
    (Some(vm), diags)
}

fn text_of(n: Option<&Node>) -> Option<Spanned<String>> {
    let n = n?;
    match &n.kind {
        NodeKind::Scalar { .. } if !n.is_null() => node::text(Some(n)),
        _ => None,
    }
}
