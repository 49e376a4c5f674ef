//! The inventory: takes the loaded hosts, gives hosts by name and cluster
//! and each VM's candidate hosts; with the VMs added, the VMs placed on
//! each host (for cross-VM rules).

use super::packed::Packed;
use super::{Host, Pick, Placement, Selector, Vm};
use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::source::Span;
use crate::suggest;
use std::collections::HashMap;

#[derive(Default)]
pub struct Inventory {
    pub hosts: Vec<Host>,
    by_name: HashMap<String, usize>,
    clusters: HashMap<String, Vec<usize>>,
    /// Packed, with only the fields cross-VM rules read: the cross-VM
    /// pass unpacks them part by part ([`Inventory::parts`]).
    pub vms: Packed,
    /// Candidate hosts of each VM ([`Inventory::vm_hosts`]), one list
    /// after another: where each VM's ends, and the hosts.
    hosts_end: Vec<usize>,
    hosts_of: Vec<usize>,
    /// VMs placed on each host by name (not those placed by cluster).
    pub host_vms: Vec<Vec<usize>>,
    /// VMs loaded only as context for cross-VM rules (not reported on).
    pub context: Vec<bool>,
}

impl Inventory {
    /// Indexes the hosts; a host described twice is a VL003.
    pub fn of_hosts(hosts: Vec<Host>) -> (Inventory, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut clusters: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, h) in hosts.iter().enumerate() {
            let Some(name) = &h.name else { continue };
            if let Some(first) = by_name.get(&name.value).and_then(|f| hosts.get(*f)) {
                let first_span = first.name.as_ref().map_or(first.span, |n| n.span);
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
            by_name.insert(name.value.clone(), i);
            if let Some(c) = &h.cluster {
                clusters.entry(c.value.clone()).or_default().push(i);
            }
        }
        // VMs of a vCenter export name their host by its reference (`host-12`)
        for (i, h) in hosts.iter().enumerate() {
            if let Some(m) = &h.moref {
                by_name.entry(m.clone()).or_insert(i);
            }
        }
        let host_vms = vec![Vec::new(); hosts.len()];
        (
            Inventory {
                hosts,
                by_name,
                clusters,
                host_vms,
                ..Inventory::default()
            },
            diags,
        )
    }

    /// The hosts a VM may run on, and the VL004 when its placement is unknown.
    pub fn candidates(&self, vm: &Vm) -> (Vec<usize>, Option<Diagnostic>) {
        match &vm.placement {
            Placement::Host(h) => match self.host_named(&h.value) {
                Some(i) => (vec![i], None),
                None => (Vec::new(), Some(unknown(&h.value, h.span, "host", self.by_name.keys()))),
            },
            Placement::Cluster(c) => match self.clusters.get(&c.value) {
                Some(list) => (list.clone(), None),
                None => (Vec::new(), Some(unknown(&c.value, c.span, "cluster", self.clusters.keys()))),
            },
            // only a VM whose rules need a host is worth a word: one with passthrough
            Placement::Unplaced if !self.hosts.is_empty() && !vm.passthrough.is_empty() => (
                Vec::new(),
                Some(
                    Diagnostic::new(
                        codes::UNPLACED,
                        Severity::Warning,
                        vm.passthrough_span.unwrap_or(vm.span),
                        "this VM uses passthrough but names no host, so it cannot be checked against one",
                    )
                    .with_label("no host given")
                    .with_help(
                        "add `host:` (YAML), a `# vmlint: host=NAME` comment (.vmx), or a `placement` entry in .vmlint.yaml",
                    ),
                ),
            ),
            Placement::Unplaced => (Vec::new(), None),
        }
    }

    /// The host a name stands for: the name as given, else the only host
    /// whose short name (before the first dot) matches it, in any case
    /// (`esx01` and `esx01.lab.local` are the same host).
    pub fn host_named(&self, name: &str) -> Option<usize> {
        if let Some(i) = self.by_name.get(name) {
            return Some(*i);
        }
        let short = |n: &str| n.split('.').next().unwrap_or(n).to_ascii_lowercase();
        let want = short(name);
        let mut hits = self
            .hosts
            .iter()
            .enumerate()
            .filter(|(_, h)| h.name.as_ref().is_some_and(|n| short(&n.value) == want));
        match (hits.next(), hits.next()) {
            (Some((i, _)), None) => Some(i),
            _ => None,
        }
    }

    /// Gives the devices a VM chooses on its host by what they are
    /// (Terraform's `data "vsphere_host_pci_device"`) the addresses they
    /// take there; a choice that selects no device, or several where the
    /// VM gets one, is a VL010. Without a known host they stay unknown.
    pub fn resolve_devices(&self, vm: &mut Vm, candidates: &[usize]) -> Vec<Diagnostic> {
        if vm.passthrough.iter().all(|d| d.selector().is_none()) {
            return Vec::new();
        }
        let mut diags = Vec::new();
        let mut out = Vec::with_capacity(vm.passthrough.len());
        for mut dev in std::mem::take(&mut vm.passthrough) {
            let Some(sel) = dev.extra.as_mut().and_then(|x| x.selector.take()) else {
                out.push(dev);
                continue;
            };
            let host = match &sel.host {
                Some(h) => self.host_named(&h.value),
                None => match candidates {
                    [one] => Some(*one),
                    _ => None,
                },
            };
            let Some(host) = host.and_then(|i| self.hosts.get(i)) else {
                out.push(dev);
                continue;
            };
            let (matches, bad_regex) = select(host, &sel);
            if let Some(d) = bad_regex {
                diags.push(d);
                out.push(dev);
                continue;
            }
            let host_name = host.name.as_ref().map_or("", |n| n.value.as_str());
            let listed = |m: &[&super::HostPci]| {
                m.iter()
                    .take(4)
                    .filter_map(|p| p.address.as_ref().map(|a| a.value.to_string()))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let chosen: Vec<&super::HostPci> = match sel.pick {
                Pick::First => {
                    if matches.len() > 1 {
                        diags.push(
                            Diagnostic::new(
                                codes::SELECTION,
                                Severity::Warning,
                                dev.span,
                                format!(
                                    "`{}` selects {} devices on host {host_name} ({}); the VM gets only the first",
                                    sel.source,
                                    matches.len(),
                                    listed(&matches)
                                ),
                            )
                            .with_label("several devices match")
                            .with_help("narrow `name_regex`, `class_id` or `vendor_id` so that one device matches, or pass `pci_devices[*].id`"),
                        );
                    }
                    matches.first().copied().into_iter().collect()
                }
                Pick::Nth(n) => matches.get(n).copied().into_iter().collect(),
                Pick::All => matches.clone(),
            };
            if chosen.is_empty() {
                diags.push(
                    Diagnostic::new(
                        codes::SELECTION,
                        Severity::Error,
                        dev.span,
                        format!(
                            "`{}` selects {} on host {host_name}, so the VM gets no device here",
                            sel.source,
                            if matches.is_empty() { "no device".to_string() } else { format!("only {} device(s)", matches.len()) }
                        ),
                    )
                    .with_label("selects nothing")
                    .with_help("check `name_regex`, `class_id` and `vendor_id` against the host's devices (`vmlint inventory`)"),
                );
                out.push(dev);
                continue;
            }
            for p in chosen {
                let mut d = dev.clone();
                d.index = i64::try_from(out.len()).unwrap_or(i64::MAX);
                d.address = p
                    .address
                    .as_ref()
                    .map(|a| super::Spanned::new(a.value, dev.span));
                out.push(d);
            }
        }
        vm.passthrough = out;
        diags
    }

    /// The part of the estate a VM belongs to, for `--shard`: its host's
    /// cluster, else its host, else (unplaced) its own file.
    pub fn unit_of(&self, placement: &Placement, file_name: &str) -> String {
        match placement {
            Placement::Cluster(c) => format!("cluster:{}", c.value),
            Placement::Host(h) => {
                let host = self.by_name.get(&h.value).and_then(|i| self.hosts.get(*i));
                match host.and_then(|h| h.cluster.as_ref()) {
                    Some(c) => format!("cluster:{}", c.value),
                    None => format!("host:{}", h.value),
                }
            }
            Placement::Unplaced => format!("file:{file_name}"),
        }
    }

    /// Adds a VM with its candidate hosts; placed by name, it joins
    /// `host.vms`. A context VM is seen by cross-VM rules, not checked.
    pub fn add_vm(&mut self, vm: &Vm, candidates: Vec<usize>, context: bool) {
        let mut kept = Kept::default();
        kept.push(vm, candidates, context);
        self.add_vms(kept);
    }

    /// Candidate hosts of the VM of index `vi`: one for `host:`, every host
    /// of the cluster for `cluster:`, none when unplaced or unknown.
    pub fn vm_hosts(&self, vi: usize) -> &[usize] {
        let start = match vi.checked_sub(1) {
            Some(p) => self.hosts_end.get(p).copied().unwrap_or(0),
            None => 0,
        };
        let end = self.hosts_end.get(vi).copied().unwrap_or(start);
        self.hosts_of.get(start..end).unwrap_or_default()
    }

    /// How many VMs were added.
    pub fn vm_count(&self) -> usize {
        self.hosts_end.len()
    }

    /// Adds the VMs kept as they loaded, in their order.
    pub fn add_vms(&mut self, kept: Kept) {
        let n = kept.len();
        self.hosts_end.reserve_exact(n);
        self.context.reserve_exact(n);
        self.hosts_of
            .reserve_exact(kept.hosts.iter().map(Vec::len).sum());
        for (meta, hosts) in kept.meta.into_iter().zip(kept.hosts) {
            let mut hosts = hosts.into_iter();
            for (count, by_name, context) in meta {
                let vi = self.hosts_end.len();
                let from = self.hosts_of.len();
                self.hosts_of.extend(hosts.by_ref().take(count as usize));
                if let (true, Some([h])) = (by_name, self.hosts_of.get(from..))
                    && let Some(list) = self.host_vms.get_mut(*h)
                {
                    list.push(vi);
                }
                self.hosts_end.push(self.hosts_of.len());
                self.context.push(context);
            }
        }
        self.vms.append(kept.vms);
        self.vms.shrink_to_fit();
    }

    /// The VMs in parts that cross-VM rules check apart: the VMs whose
    /// candidate hosts are linked (one host, or the hosts a VM placed on a
    /// cluster may run on) form one part, since a VM reads the VMs of each
    /// of its candidate hosts; a VM with no host is a part of its own.
    /// Each part lists its VMs in order, and its hosts.
    pub fn parts(&self) -> Vec<(Vec<usize>, Vec<usize>)> {
        // the hosts linked by a VM share a root
        let mut root: Vec<usize> = (0..self.hosts.len()).collect();
        fn find(root: &mut [usize], mut h: usize) -> usize {
            while let Some(&up) = root.get(h).filter(|&&up| up != h) {
                let above = root.get(up).copied().unwrap_or(up);
                if let Some(r) = root.get_mut(h) {
                    *r = above;
                }
                h = up;
            }
            h
        }
        for vi in 0..self.vm_count() {
            if let Some((&first, rest)) = self.vm_hosts(vi).split_first() {
                for &h in rest {
                    let (a, b) = (find(&mut root, first), find(&mut root, h));
                    if let Some(r) = root.get_mut(b.max(a)) {
                        *r = a.min(b);
                    }
                }
            }
        }
        let mut part_of: Vec<Option<usize>> = vec![None; self.hosts.len()];
        let mut parts: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
        for h in 0..self.hosts.len() {
            let r = find(&mut root, h);
            let p = match part_of.get(r).copied().flatten() {
                Some(p) => p,
                None => {
                    parts.push((Vec::new(), Vec::new()));
                    if let Some(slot) = part_of.get_mut(r) {
                        *slot = Some(parts.len() - 1);
                    }
                    parts.len() - 1
                }
            };
            if let Some(part) = parts.get_mut(p) {
                part.1.push(h);
            }
        }
        for vi in 0..self.vm_count() {
            let p = self
                .vm_hosts(vi)
                .first()
                .and_then(|h| part_of.get(find(&mut root, *h)).copied().flatten());
            match p.and_then(|p| parts.get_mut(p)) {
                Some(part) => part.0.push(vi),
                None => parts.push((vec![vi], Vec::new())),
            }
        }
        parts
    }
}

/// VMs kept for the cross-VM pass as they load, in the order they join
/// the inventory: packed, each with its candidate hosts, whether it is
/// placed by name on its one host, and whether it is only context. Kept
/// in pieces, one per loading thread's share, joined without copying.
#[derive(Default)]
pub struct Kept {
    vms: Packed,
    /// Per VM: how many candidate hosts, placed by name, only context.
    meta: Vec<Vec<(u32, bool, bool)>>,
    /// The candidate hosts, one list after another, in pieces as `meta`.
    hosts: Vec<Vec<usize>>,
}

impl Kept {
    pub fn push(&mut self, vm: &Vm, candidates: Vec<usize>, context: bool) {
        let by_name = matches!(vm.placement, Placement::Host(_)) && candidates.len() == 1;
        self.vms.push(vm);
        if self.meta.is_empty() {
            self.meta.push(Vec::new());
            self.hosts.push(Vec::new());
        }
        if let (Some(m), Some(h)) = (self.meta.last_mut(), self.hosts.last_mut()) {
            m.push((
                u32::try_from(candidates.len()).unwrap_or(u32::MAX),
                by_name,
                context,
            ));
            h.extend(candidates);
        }
    }

    pub fn len(&self) -> usize {
        self.meta.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.meta.iter().all(Vec::is_empty)
    }

    pub fn append(&mut self, other: Kept) {
        self.vms.append(other.vms);
        self.meta.extend(other.meta);
        self.hosts.extend(other.hosts);
    }
}

/// The part of the estate a host belongs to, for `--shard`.
pub fn unit_of_host(host: &Host, file_name: &str) -> String {
    match (&host.cluster, &host.name) {
        (Some(c), _) => format!("cluster:{}", c.value),
        (None, Some(n)) => format!("host:{}", n.value),
        (None, None) => format!("file:{file_name}"),
    }
}

fn unknown<'a>(
    name: &str,
    span: Span,
    what: &str,
    known: impl Iterator<Item = &'a String>,
) -> Diagnostic {
    let mut names: Vec<&str> = known.map(String::as_str).collect();
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

/// The devices of a host a selector matches, in the host's order, or the
/// VL002 of a `name_regex` that does not compile.
fn select<'h>(host: &'h Host, sel: &Selector) -> (Vec<&'h super::HostPci>, Option<Diagnostic>) {
    let re = match &sel.name_regex {
        Some(r) => match regex::RegexBuilder::new(&r.value)
            .size_limit(1 << 20)
            .build()
        {
            Ok(re) => Some(re),
            Err(e) => {
                let d = Diagnostic::new(
                    codes::SCHEMA,
                    Severity::Error,
                    r.span,
                    format!("`name_regex` of `{}` does not compile: {e}", sel.source),
                )
                .with_label("not a regular expression");
                return (Vec::new(), Some(d));
            }
        },
        None => None,
    };
    let hits = host
        .pci
        .iter()
        .filter(|p| {
            re.as_ref()
                .is_none_or(|re| re.is_match(p.name.as_ref().map_or("", |n| n.value.as_str())))
                && sel
                    .class_id
                    .is_none_or(|c| p.class.as_ref().is_some_and(|k| k.value == c))
                && sel
                    .vendor_id
                    .is_none_or(|v| p.vendor_id.as_ref().is_some_and(|k| k.value == v))
        })
        .collect();
    (hits, None)
}

#[cfg(test)]
mod tests {
    use super::Inventory;
    use crate::model::{Format, Host, Placement, Spanned, Vm};
    use crate::source::{FileId, Span};

    fn host(name: &str, cluster: Option<&str>) -> Host {
        let mut h = Host::new(FileId(0), Span::file_start(FileId(0)));
        h.name = Some(Spanned::new(name.to_string(), h.span));
        h.cluster = cluster.map(|c| Spanned::new(c.to_string(), h.span));
        h
    }

    fn vm(placement: Placement) -> Vm {
        let mut vm = Vm::new(FileId(1), Span::file_start(FileId(1)), Format::Yaml);
        vm.placement = placement;
        vm
    }

    /// A VM placed on a cluster links the cluster's hosts into one part; a
    /// host no VM links stays a part of its own (for host rules), and a VM
    /// with no host is one alone.
    #[test]
    fn the_parts_hold_every_vm_a_rule_can_reach() {
        let span = Span::file_start(FileId(1));
        let on = |n: &str| Placement::Host(Spanned::new(n.to_string(), span));
        let hosts = vec![
            host("a", Some("c1")),
            host("b", Some("c1")),
            host("c", None),
            host("d", None),
        ];
        let (mut inv, _) = Inventory::of_hosts(hosts);
        let vms = [
            vm(on("a")),
            vm(on("c")),
            vm(Placement::Unplaced),
            vm(Placement::Cluster(Spanned::new("c1".to_string(), span))),
            vm(on("b")),
        ];
        for v in &vms {
            let (candidates, _) = inv.candidates(v);
            inv.add_vm(v, candidates, false);
        }
        assert_eq!(inv.vm_hosts(3), &[0, 1]);
        assert_eq!(inv.host_vms.first(), Some(&vec![0]));
        let mut parts = inv.parts();
        parts.sort();
        assert_eq!(
            parts,
            vec![
                (vec![], vec![3]),
                (vec![0, 3, 4], vec![0, 1]),
                (vec![1], vec![2]),
                (vec![2], vec![]),
            ]
        );
        assert!(inv.vms.get(4).is_some() && inv.vms.get(5).is_none());
    }
}
