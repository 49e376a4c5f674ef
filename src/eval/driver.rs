//! The parallel driver. VM rules that look only at a VM and its host run
//! while the VMs load (`check_vm`, called from each loading thread);
//! cross-VM rules (`host.vms`) and host rules run once everything is loaded
//! (`evaluate`), on all cores. A VM placed on a cluster is checked against
//! each candidate host; a finding stands when every candidate has it.

use super::{CompiledRule, Scratch, run};
use crate::diagnostic::Diagnostic;
use crate::ir::Target;
use crate::model::Vm;
use crate::model::inventory::Inventory;
use crate::schema::fields::FieldContext;
use crate::schema::value::{Record, Val, Value};
use rayon::prelude::*;

/// Rules by when they run.
pub struct Plan<'r> {
    /// VM rules that need only the VM and its host.
    pub per_vm: Vec<&'r CompiledRule>,
    /// VM rules that read `host.vms`.
    pub cross_vm: Vec<&'r CompiledRule>,
    pub per_host: Vec<&'r CompiledRule>,
}

impl<'r> Plan<'r> {
    pub fn new(rules: &'r [CompiledRule]) -> Plan<'r> {
        let mut plan = Plan {
            per_vm: Vec::new(),
            cross_vm: Vec::new(),
            per_host: Vec::new(),
        };
        for c in rules {
            match c.rule.target {
                Target::Host => plan.per_host.push(c),
                _ if c.rule.info.uses_vms => plan.cross_vm.push(c),
                _ => plan.per_vm.push(c),
            }
        }
        plan
    }

    /// The rules that read VMs once all are loaded: the cross-VM rules, and
    /// host rules that read `host.vms` or a host device's VMs.
    fn reading_vms(&self) -> impl Iterator<Item = &&'r CompiledRule> {
        let host_rules = self.per_host.iter().filter(|c| c.rule.info.uses_vms);
        self.cross_vm.iter().chain(host_rules)
    }

    /// Whether VMs must be kept after loading for cross-VM rules.
    pub fn keeps_vms(&self) -> bool {
        self.reading_vms().next().is_some()
    }

    /// Whether a rule that reads VMs once all are loaded reads the VM
    /// field `name`.
    pub fn cross_reads(&self, name: &str) -> bool {
        self.reading_vms()
            .any(|c| c.rule.info.vm_fields.contains(&name))
    }
}

/// Runs `rules` on the VM numbered `vi`, whose candidate hosts are `hosts`.
pub fn check_vm(
    ctx: &FieldContext<'_>,
    vi: usize,
    vm: &Vm,
    hosts: &[usize],
    rules: &[&CompiledRule],
) -> Vec<Diagnostic> {
    check_vm_with(ctx, vi, vm, hosts, rules, &mut Scratch::default())
}

/// `check_vm` with a scratch that may hold the lists of earlier subjects:
/// only while the records they were built from stay where they are (the
/// inventory of the cross-VM pass, never a VM checked as it loads).
fn check_vm_with<'a>(
    ctx: &FieldContext<'a>,
    vi: usize,
    vm: &'a Vm,
    hosts: &[usize],
    rules: &[&'a CompiledRule],
    scratch: &mut Scratch<'a>,
) -> Vec<Diagnostic> {
    let inv = ctx.inv;
    let mut found = Vec::new();
    let subject = Val::new(Value::Record(Record::Vm(vi, vm)), Some(vm.span));
    for c in rules {
        // with no known host, `host` is null and the rule decides (`when host != null`)
        if !c.rule.info.uses_host || hosts.is_empty() {
            run(c, subject.clone(), Val::null(), ctx, scratch, &mut found);
            continue;
        }
        // one host (a VM placed on a host, not a cluster): its findings stand
        if let [hi] = hosts {
            if let Some(h) = inv.hosts.get(*hi) {
                let host = Val::new(Value::Record(Record::Host(*hi, h)), Some(h.span));
                run(c, subject.clone(), host, ctx, scratch, &mut found);
            }
            continue;
        }
        let mut per_host: Vec<Vec<Diagnostic>> = Vec::with_capacity(hosts.len());
        for hi in hosts {
            if let Some(h) = inv.hosts.get(*hi) {
                let host = Val::new(Value::Record(Record::Host(*hi, h)), Some(h.span));
                let mut mine = Vec::new();
                run(c, subject.clone(), host, ctx, scratch, &mut mine);
                per_host.push(mine);
            }
        }
        found.extend(on_every_host(per_host, hosts, inv));
    }
    found
}

/// Runs the cross-VM rules over every VM of the inventory, and the host
/// rules, part of the estate by part ([`Inventory::parts`]): a part's VMs
/// are unpacked, checked one after the other (a host's list of VMs and
/// their devices are built once for all of them) and let go, so only the
/// parts being checked are ever unpacked. The findings come in runs, in
/// order, one per piece of the work the pool split off, never copied into
/// one list here: the caller appends them run by run.
pub fn evaluate(inv: &Inventory, plan: &Plan<'_>) -> Vec<Vec<Diagnostic>> {
    let mut out: Vec<Vec<Diagnostic>> = Vec::new();
    if plan.cross_vm.is_empty() && plan.per_host.is_empty() {
        return out;
    }
    // each part's findings stay a run of their own, of their own size: one
    // list growing by doubling would, at 100,000 findings, hold twice
    // their room at the moment the estate's memory peaks
    out.par_extend(
        inv.parts()
            .into_par_iter()
            .map(|(vms, hosts)| {
                let mut found = check_part(inv, plan, &vms, &hosts);
                found.shrink_to_fit();
                found
            })
            .filter(|run| !run.is_empty()),
    );
    out
}

/// The cross-VM rules on the VMs of one part, and the host rules on its
/// hosts.
fn check_part(inv: &Inventory, plan: &Plan<'_>, vis: &[usize], hosts: &[usize]) -> Vec<Diagnostic> {
    let vms: Vec<(usize, Vm)> = vis
        .iter()
        .filter_map(|&vi| Some((vi, inv.vms.get(vi)?)))
        .collect();
    let ctx = FieldContext { inv, vms: &vms };
    let mut scratch = Scratch::default();
    let mut found = Vec::new();
    if !plan.cross_vm.is_empty() {
        for (vi, vm) in &vms {
            if inv.context.get(*vi).copied().unwrap_or(false) {
                continue;
            }
            let candidates = inv.vm_hosts(*vi);
            found.extend(check_vm_with(
                &ctx,
                *vi,
                vm,
                candidates,
                &plan.cross_vm,
                &mut scratch,
            ));
        }
    }
    for &hi in hosts {
        let Some(h) = inv.hosts.get(hi) else { continue };
        let subject = Val::new(Value::Record(Record::Host(hi, h)), Some(h.span));
        for c in &plan.per_host {
            run(
                c,
                subject.clone(),
                subject.clone(),
                &ctx,
                &mut scratch,
                &mut found,
            );
        }
    }
    found
}

/// The findings of a VM checked against each candidate host of a cluster
/// that every host has for the same subject (rule, and the items its `for`
/// clauses stood on), whatever each one points at: the first host's, with
/// the hosts named in the message.
fn on_every_host(
    per_host: Vec<Vec<Diagnostic>>,
    hosts: &[usize],
    inv: &Inventory,
) -> Vec<Diagnostic> {
    let mut rest = per_host.into_iter();
    let Some(first) = rest.next() else {
        return Vec::new();
    };
    let others: Vec<Vec<Diagnostic>> = rest.collect();
    if others.is_empty() {
        return first;
    }
    let names: Vec<&str> = hosts
        .iter()
        .filter_map(|h| inv.hosts.get(*h))
        .map(|h| h.name.as_ref().map_or("(unnamed)", |n| n.value.as_str()))
        .collect();
    let named = match names.as_slice() {
        [a, b] => format!("{a} and {b}"),
        [a, b, c] => format!("{a}, {b} and {c}"),
        [a, b, c, ..] => format!("{a}, {b}, {c} and {} more", names.len() - 3),
        _ => names.join(", "),
    };
    first
        .into_iter()
        .filter(|d| {
            others
                .iter()
                .all(|o| o.iter().any(|x| x.code == d.code && x.subject == d.subject))
        })
        .map(|mut d| {
            d.message = format!(
                "{} (on all {} candidate hosts: {named})",
                d.message,
                names.len()
            )
            .into();
            d
        })
        .collect()
}
