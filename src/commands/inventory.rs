//! `vmlint inventory`: what vmlint knows of each host and VM once it has
//! read them, and where each fact came from (`file:line`), as a table or
//! JSON, so that a team can see what the tool believes before it trusts a
//! gate built on it. No rule runs.

use super::{ExitStatus, emit, setup};
use crate::cli::{ListFormat, RuleArgs};
use crate::discover::{self, FileFormat};
use crate::load;
use crate::model::inventory::Inventory;
use crate::model::{Placement, Spanned};
use crate::source::{SourceMap, Span};
use serde_json::{Value, json};
use std::fmt::Write;
use std::path::PathBuf;

pub fn run(paths: &[PathBuf], format: ListFormat, args: &RuleArgs) -> ExitStatus {
    let cwd = crate::paths::cwd();
    let paths: Vec<PathBuf> = paths
        .iter()
        .map(|p| crate::paths::absolute(p, &cwd))
        .collect();
    let start = paths.first().cloned().unwrap_or_else(|| cwd.clone());
    let sources = SourceMap::new();
    let (cfg, _) = match setup(&sources, args, &start) {
        Ok(x) => x,
        Err(s) => return s,
    };
    let mut found = discover::discover(&paths, &cfg.exclude, &cfg.dir, false).files;
    let named: std::collections::HashSet<PathBuf> = found.iter().map(|(p, _)| p.clone()).collect();
    found.extend(
        discover::discover(&cfg.hosts, &cfg.exclude, &cfg.dir, false)
            .files
            .into_iter()
            .filter(|(p, _)| !named.contains(p)),
    );
    let mut hosts = Vec::new();
    let mut vms = Vec::new();
    let mut overlays = Vec::new();
    let mut problems = 0;
    for (path, d) in &found {
        let l = load::load_path(&sources, path, *d, &cfg);
        problems += l.diags.len();
        hosts.extend(l.hosts);
        overlays.extend(l.overlays);
        for mut vm in l.vms {
            if matches!(vm.placement, Placement::Unplaced)
                && matches!(d, FileFormat::Vmx)
                && let Some(p) = cfg.placement_for(path)
            {
                vm.placement = p.clone();
            }
            vms.push(vm);
        }
    }
    crate::model::ansible::apply(&overlays, &mut hosts);
    let (mut inv, _) = Inventory::of_hosts(hosts);
    // the inventory places them; the listing reads them from here
    let mut placed_vms = Vec::with_capacity(vms.len());
    for mut vm in vms {
        let (c, _) = inv.candidates(&vm);
        problems += inv.resolve_devices(&mut vm, &c).len();
        inv.add_vm(&vm, c, false);
        placed_vms.push(vm);
    }
    let at = |span: Span| -> String {
        let f = sources.get(span.file);
        let (line, _) = f.line_col(f.clamp(span).start);
        format!("{}:{line}", f.name())
    };
    let fact = |v: Option<(String, Span)>| -> Value {
        match v {
            Some((v, s)) => json!({ "value": v, "from": at(s) }),
            None => Value::Null,
        }
    };
    let mut doc_hosts = Vec::new();
    for (hi, h) in inv.hosts.iter().enumerate() {
        let pci: Vec<Value> = h
            .pci
            .iter()
            .map(|p| {
                json!({
                    "address": p.address.as_ref().map(|a| a.value.to_string()),
                    "ids": match (&p.vendor_id, &p.device_id) {
                        (Some(v), Some(d)) => Some(format!("{:#06x}:{:#06x}", v.value, d.value)),
                        _ => None,
                    },
                    "class": p.class_name.as_ref().map(|c| c.value.clone()),
                    "name": p.name.as_ref().map(|n| n.value.clone()),
                    "passthrough": fact(pair(&p.passthrough)),
                })
            })
            .collect();
        let placed: Vec<&str> = inv
            .host_vms
            .get(hi)
            .into_iter()
            .flatten()
            .filter_map(|vi| placed_vms.get(*vi))
            .map(|vm| vm.label())
            .collect();
        doc_hosts.push(json!({
            "name": h.name.as_ref().map(|n| n.value.clone()),
            "from": at(h.span),
            "cluster": h.cluster.as_ref().map(|c| c.value.clone()),
            "release": fact(pair(&h.esxi_version)),
            "iommu": fact(pair(&h.iommu)),
            "iommu_inferred": h.iommu_inferred,
            "boot_device": fact(pair(&h.boot_device)),
            "coredump": fact(pair(&h.coredump_transport)),
            "pci": pci,
            "vms": placed,
        }));
    }
    let doc_vms: Vec<Value> = placed_vms
        .iter()
        .map(|vm| {
            let placement = match &vm.placement {
                Placement::Host(h) => format!("host {}", h.value),
                Placement::Cluster(c) => format!("cluster {}", c.value),
                Placement::Unplaced => "none".to_string(),
            };
            json!({
                "name": vm.name.as_ref().map(|n| n.value.clone()),
                "from": at(vm.span),
                "placement": placement,
                "passthrough": vm.passthrough.iter().map(|d| json!({
                    "kind": d.kind(),
                    "address": d.address.as_ref().map(|a| a.value.to_string()),
                    "from": at(d.span),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let out = match format {
        ListFormat::Json => {
            let doc = json!({ "version": 1, "hosts": doc_hosts, "vms": doc_vms });
            serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
        }
        ListFormat::Text => table(&doc_hosts, &doc_vms, problems),
    };
    emit(&out);
    ExitStatus::Clean
}

/// A fact's value and where it came from.
fn pair<T: ToString>(v: &Option<Spanned<T>>) -> Option<(String, Span)> {
    v.as_ref().map(|x| (x.value.to_string(), x.span))
}

/// The same facts as text: a block per host, then the VMs.
fn table(hosts: &[Value], vms: &[Value], problems: usize) -> String {
    let s = |v: &Value| -> String {
        match v {
            Value::Null => "unknown".to_string(),
            Value::String(s) => s.clone(),
            Value::Object(o) => format!(
                "{} ({})",
                o.get("value").and_then(Value::as_str).unwrap_or("?"),
                o.get("from").and_then(Value::as_str).unwrap_or("?")
            ),
            other => other.to_string(),
        }
    };
    let mut out = String::new();
    for h in hosts {
        let _ = writeln!(out, "host {}  ({})", s(&h["name"]), s(&h["from"]));
        for key in ["cluster", "release", "iommu", "boot_device", "coredump"] {
            let inferred = key == "iommu" && h["iommu_inferred"] == Value::Bool(true);
            let note = if inferred {
                ", inferred from passthrough-capable devices"
            } else {
                ""
            };
            let _ = writeln!(out, "  {key:<12} {}{note}", s(&h[key]));
        }
        for p in h["pci"].as_array().into_iter().flatten() {
            let _ = writeln!(
                out,
                "  pci {} {} {} {}: passthrough {}",
                s(&p["address"]),
                s(&p["ids"]),
                s(&p["class"]),
                s(&p["name"]),
                s(&p["passthrough"])
            );
        }
        let placed: Vec<String> = h["vms"].as_array().into_iter().flatten().map(s).collect();
        let _ = writeln!(
            out,
            "  vms          {}\n",
            if placed.is_empty() {
                "none".to_string()
            } else {
                placed.join(", ")
            }
        );
    }
    for v in vms {
        let devices: Vec<String> = v["passthrough"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| format!("{} {}", s(&d["kind"]), s(&d["address"])))
            .collect();
        let _ = writeln!(
            out,
            "vm {}  ({}): on {}; passthrough: {}",
            s(&v["name"]),
            s(&v["from"]),
            s(&v["placement"]),
            if devices.is_empty() {
                "none".to_string()
            } else {
                devices.join(", ")
            }
        );
    }
    if hosts.is_empty() && vms.is_empty() {
        out.push_str(&format!(
            "no host or VM found ({}, and the `hosts:` folders of .vmlint.yaml)\n",
            crate::engine::READS
        ));
    }
    if problems > 0 {
        let _ = writeln!(
            out,
            "\n{problems} problem(s) reading these files: `vmlint check` shows them"
        );
    }
    out
}
