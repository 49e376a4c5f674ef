//! The inventory: takes every loaded host and VM, gives hosts by name and
//! cluster, each VM's candidate hosts, and the VMs placed on each host.

use super::{Host, Placement, Vm};
use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::suggest;
use std::collections::HashMap;

#[derive(Default)]
pub struct Inventory {
    pub hosts: Vec<Host>,
    pub vms: Vec<Vm>,
    /// Candidate hosts of each VM: one for `host:`, every host of the
    /// cluster for `cluster:`, none when unplaced or unknown.
    pub vm_hosts: Vec<Vec<usize>>,
    /// VMs placed on each host by name (not those placed by cluster).
    pub host_vms: Vec<Vec<usize>>,
}

impl Inventory {
    pub fn build(hosts: Vec<Host>, vms: Vec<Vm>) -> (Inventory, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let mut by_name: HashMap<&str, usize> = HashMap::new();
        let mut clusters: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, h) in hosts.iter().enumerate() {
            let Some(name) = &h.name else { continue };
            if let Some(first) = by_name.get(name.value.as_str()) {
                let first_span = hosts[*first]
                    .name
                    .as_ref()
                    .map_or(hosts[*first].span, |n| n.span);
                diags.push(
                    Diagnostic::new(
                        codes::DUPLICATE,
                        Severity::Warning,
                        name.span,
                        format!(
                            "host `{}` is described more than once; the later one is used",
                            name.value
                        ),
                    )
                    .with_label("described again here")
                    .with_related(first_span, "first described here")
                    .with_key(name.value.clone()),
                );
            }
            by_name.insert(&name.value, i);
            if let Some(c) = &h.cluster {
                clusters.entry(&c.value).or_default().push(i);
            }
        }
        let mut vm_hosts = Vec::with_capacity(vms.len());
        let mut host_vms = vec![Vec::new(); hosts.len()];
        for (vi, vm) in vms.iter().enumerate() {
            let cands = match &vm.placement {
                Placement::Host(h) => match by_name.get(h.value.as_str()) {
                    Some(i) => {
                        host_vms[*i].push(vi);
                        vec![*i]
                    }
                    None => {
                        diags.push(unknown(&h.value, h.span, "host", by_name.keys().copied()));
                        Vec::new()
                    }
                },
                Placement::Cluster(c) => match clusters.get(c.value.as_str()) {
                    Some(list) => list.clone(),
                    None => {
                        diags.push(unknown(
                            &c.value,
                            c.span,
                            "cluster",
                            clusters.keys().copied(),
                        ));
                        Vec::new()
                    }
                },
                Placement::Unplaced => {
                    if !hosts.is_empty() {
                        diags.push(
                            Diagnostic::new(codes::UNKNOWN_HOST, Severity::Warning, vm.span, "this VM names no host, so it cannot be checked against one")
                                .with_label("no host given")
                                .with_help("add `host:` (YAML), a `# vmlint: host=NAME` comment (.vmx), or a `placement` entry in .vmlint.yaml"),
                        );
                    }
                    Vec::new()
                }
            };
            vm_hosts.push(cands);
        }
        (
            Inventory {
                hosts,
                vms,
                vm_hosts,
                host_vms,
            },
            diags,
        )
    }
}

fn unknown<'a>(
    name: &str,
    span: crate::source::Span,
    what: &str,
    known: impl Iterator<Item = &'a str>,
) -> Diagnostic {
    let mut names: Vec<&str> = known.collect();
    names.sort_unstable();
    Diagnostic::new(
        codes::UNKNOWN_HOST,
        Severity::Error,
        span,
        format!("{what} `{name}` is not in the inventory{}", suggest::did_you_mean(name, names.iter().copied())),
    )
    .with_label(format!("unknown {what}"))
    .with_help("host descriptors (`kind: host`) are found among the checked paths and in the `hosts` folders of .vmlint.yaml")
    .with_key(name.to_string())
}
