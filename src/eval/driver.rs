//! The parallel driver: every VM and every host is evaluated on its own,
//! on all cores (rayon). A VM placed on a cluster is checked against each
//! candidate host, and identical findings are reported once.

use super::value::{Rec, V, Val};
use super::{Compiled, run};
use crate::diagnostic::Diagnostic;
use crate::lang::ast::Target;
use crate::lang::schema::Ctx;
use crate::model::inventory::Inventory;
use rayon::prelude::*;

pub fn evaluate(inv: &Inventory, rules: &[Compiled]) -> Vec<Diagnostic> {
    let vm_rules: Vec<&Compiled> = rules
        .iter()
        .filter(|c| matches!(c.rule.target, Some((Target::Vm, _))))
        .collect();
    let host_rules: Vec<&Compiled> = rules
        .iter()
        .filter(|c| matches!(c.rule.target, Some((Target::Host, _))))
        .collect();
    let ctx = Ctx { inv };
    let mut out: Vec<Diagnostic> = (0..inv.vms.len())
        .into_par_iter()
        .flat_map_iter(|vi| check_vm(&ctx, vi, &vm_rules))
        .collect();
    if !host_rules.is_empty() {
        out.par_extend((0..inv.hosts.len()).into_par_iter().flat_map_iter(|hi| {
            let mut found = Vec::new();
            if let Some(h) = inv.hosts.get(hi) {
                let subject = Val::new(V::Rec(Rec::Host(hi, h)), Some(h.span));
                for c in &host_rules {
                    run(c, subject.clone(), subject.clone(), &ctx, &mut found);
                }
            }
            found
        }));
    }
    out
}

fn check_vm(ctx: &Ctx<'_>, vi: usize, rules: &[&Compiled]) -> Vec<Diagnostic> {
    let inv = ctx.inv;
    let mut found = Vec::new();
    let Some(vm) = inv.vms.get(vi) else {
        return found;
    };
    let subject = Val::new(V::Rec(Rec::Vm(vi, vm)), Some(vm.span));
    let hosts = inv.vm_hosts.get(vi).map_or(&[][..], Vec::as_slice);
    for c in rules {
        // with no known host, `host` is null and the rule decides (`when host != null`)
        if !c.rule.info.uses_host || hosts.is_empty() {
            run(c, subject.clone(), Val::null(), ctx, &mut found);
            continue;
        }
        // a VM placed on a cluster may run on any of its hosts: a finding
        // stands when no candidate host is free of it
        let mut per_host: Vec<Vec<Diagnostic>> = Vec::with_capacity(hosts.len());
        for hi in hosts {
            if let Some(h) = inv.hosts.get(*hi) {
                let host = Val::new(V::Rec(Rec::Host(*hi, h)), Some(h.span));
                let mut mine = Vec::new();
                run(c, subject.clone(), host, ctx, &mut mine);
                per_host.push(mine);
            }
        }
        let mut rest = per_host.into_iter();
        if let Some(first) = rest.next() {
            let others: Vec<Vec<Diagnostic>> = rest.collect();
            found.extend(first.into_iter().filter(|d| {
                others
                    .iter()
                    .all(|o| o.iter().any(|x| x.primary.span == d.primary.span))
            }));
        }
    }
    found
}
