//! Terraform: every `resource "vsphere_virtual_machine"` of a `.tf` file is
//! a VM, read with the values that can be known without running Terraform
//! (see `hcl`): its module's `variable` defaults and `terraform.tfvars` /
//! `*.auto.tfvars` values, `locals`, and the data sources that name a host
//! (`vsphere_host`, placement by name), a cluster (`vsphere_compute_cluster`)
//! or a host's PCI device (`vsphere_host_pci_device`, resolved against the
//! host's facts once hosts are loaded). Spans point at the attribute in the
//! `.tf` file; what stays unknown is said, never guessed.

use super::hcl::{Read, Reader, Value, attr, blocks, label, parse_all, scope_of, span_of};
use super::iac;
use super::{Format, Pick, Placement, Selector, Spanned, Vm};
use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::source::{FileId, Span};
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The body of an HCL file, or its VL001.
pub fn parse(file: FileId, text: &str) -> Result<Body, Box<Diagnostic>> {
    hcl_edit::parser::parse_body(text).map_err(|e| {
        let at = e.location().offset().min(text.len());
        Box::new(
            Diagnostic::new(
                codes::PARSE,
                Severity::Error,
                Span::new(file, at, at),
                format!("this HCL does not parse: {}", e.message()),
            )
            .with_label("here"),
        )
    })
}

/// Whether a file's text may declare a VM (a cheap test before parsing).
pub fn mentions_vms(text: &str) -> bool {
    text.contains("vsphere_virtual_machine")
}

/// The other files of a `.tf` file's module: `.tf` siblings, then
/// `terraform.tfvars` and `*.auto.tfvars` (later files win).
pub fn module_files(path: &Path, max_size: u64) -> (Vec<String>, Vec<String>) {
    super::hcl::folder_texts(
        path,
        max_size,
        |n| n.ends_with(".tf"),
        |n| match n {
            "terraform.tfvars" => Some(0),
            n if n.ends_with(".auto.tfvars") => Some(1),
            _ => None,
        },
    )
}

/// Reads the VMs of one `.tf` file; `siblings` and `tfvars` are the texts
/// of the rest of its module.
pub fn read(file: FileId, text: &Arc<str>, siblings: &[String], tfvars: &[String]) -> Read {
    let mut out = Read::default();
    let body = match parse(file, text) {
        Ok(b) => b,
        Err(d) => {
            out.diags.push(*d);
            return out;
        }
    };
    let others = parse_all(siblings);
    let vars = parse_all(tfvars);
    let all: Vec<&Body> = others.iter().chain(std::iter::once(&body)).collect();
    let scope = scope_of(&all, &vars);
    let mut data: HashMap<(String, String), &Block> = HashMap::new();
    for b in &all {
        for d in blocks(b, "data") {
            data.insert((label(d, 0).to_string(), label(d, 1).to_string()), d);
        }
    }
    let module = Module {
        r: Reader { file, text, scope },
        data,
    };
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for r in blocks(&body, "resource").filter(|r| label(r, 0) == "vsphere_virtual_machine") {
        if let Some(vm) = module.vm(r, &mut out) {
            by_name.insert(label(r, 1).to_string(), out.vms.len());
            out.vms.push(vm);
        }
    }
    // snapshots and DRS overrides of the VMs of this file
    for r in blocks(&body, "resource") {
        module.companion(r, &by_name, &mut out);
    }
    out
}

struct Module<'a> {
    r: Reader<'a>,
    data: HashMap<(String, String), &'a Block>,
}

impl<'a> std::ops::Deref for Module<'a> {
    type Target = Reader<'a>;
    fn deref(&self) -> &Reader<'a> {
        &self.r
    }
}

impl Module<'_> {
    /// The name a data source declares (`data "vsphere_host" "x" { name = ... }`).
    fn data_name(&self, kind: &str, name: &str, at: Span) -> Result<Spanned<String>, String> {
        let Some(block) = self.data.get(&(kind.to_string(), name.to_string())) else {
            return Err(format!(
                "`data.{kind}.{name}` is not declared in this folder"
            ));
        };
        let Some(a) = attr(&block.body, "name") else {
            return Err(format!("`data.{kind}.{name}` has no `name`"));
        };
        match self.scope.eval(&a.value) {
            Value::Str(s) => Ok(Spanned::new(s, at)),
            Value::Unknown(why) => Err(why),
            _ => Err(format!("the `name` of `data.{kind}.{name}` is not text")),
        }
    }

    fn vm(&self, r: &Block, out: &mut Read) -> Option<Vm> {
        let file = self.file;
        let address = format!("vsphere_virtual_machine.{}", label(r, 1));
        let span = span_of(file, r).unwrap_or(Span::file_start(file));
        let body = &r.body;
        let pairs = self.key_values(body, "extra_config", &address, out);
        let unknown_keys = std::mem::take(&mut out.unknown_keys);
        let mut vm = iac::vm_of(
            file,
            self.text,
            span,
            Format::Terraform,
            pairs,
            unknown_keys,
            &mut out.diags,
        )?;
        use crate::schema::types::RecordType::{HotAdd, Vm as V};
        for (attr, on, field) in [
            ("name", V, "name"),
            ("memory", V, "memory_mb"),
            ("memory_reservation", V, "memory_reservation_mb"),
            (
                "memory_reservation_locked_to_max",
                V,
                "memory_reservation_all",
            ),
            ("hardware_version", V, "hardware_version"),
            ("firmware", V, "firmware"),
            ("cpu_hot_add_enabled", HotAdd, "cpu"),
            ("memory_hot_add_enabled", HotAdd, "memory"),
        ] {
            if let Some(at) = self.unknown_at(body, attr) {
                iac::mark_unknown(&mut vm, on, field, at);
            }
        }
        let who = format!("`{address}`");
        vm.name = self
            .str(body, "name", &who, out)
            .or_else(|| Some(Spanned::new(address.clone(), span)));
        if attr(body, "count").is_some() || attr(body, "for_each").is_some() {
            out.unknowns.push((
                span,
                format!(
                    "{who} stands for several VMs (`count` / `for_each`); it is checked as one"
                ),
            ));
        }
        let s = vm.settings_mut();
        iac::set(&mut s.memory_mb, self.int(body, "memory", &who, out));
        // the provider's default memory, when none is written
        if attr(body, "memory").is_none() && s.memory_mb.is_none() {
            s.memory_mb = Some(Spanned::new(1024, span));
        }
        iac::set(
            &mut s.memory_reservation_mb,
            self.int(body, "memory_reservation", &who, out),
        );
        iac::set(
            &mut s.memory_reservation_all,
            self.bool(body, "memory_reservation_locked_to_max", &who, out),
        );
        iac::set(
            &mut s.hardware_version,
            self.int(body, "hardware_version", &who, out),
        );
        iac::set(
            &mut s.hot_add_cpu,
            self.bool(body, "cpu_hot_add_enabled", &who, out),
        );
        iac::set(
            &mut s.hot_add_memory,
            self.bool(body, "memory_hot_add_enabled", &who, out),
        );
        if let Some(f) = self.str(body, "firmware", &who, out) {
            s.firmware = Some(Spanned::new(f.value.to_ascii_lowercase(), f.span));
        }
        self.place(body, &mut vm, &who, out);
        self.devices(body, &mut vm, &who, out);
        Some(vm)
    }

    /// `host_system_id = data.vsphere_host.x.id` places the VM on the host
    /// named `x`'s `name`; without one, `resource_pool_id` of a
    /// `vsphere_compute_cluster` places it in that cluster.
    fn place(&self, body: &Body, vm: &mut Vm, who: &str, out: &mut Read) {
        if let Some((span, v)) = self.get(body, "host_system_id") {
            match self.host_of(&v, span) {
                Ok(Some(h)) => vm.placement = Placement::Host(h),
                Ok(None) => {}
                Err(why) => self.note(out, span, &format!("the host of {who}"), &why),
            }
            return;
        }
        if let Some((span, v)) = self.get(body, "resource_pool_id") {
            let refs: Vec<&str> = match &v {
                Value::Ref(p) => p.iter().map(String::as_str).collect(),
                _ => Vec::new(),
            };
            match (&v, refs.as_slice()) {
                (_, ["data", "vsphere_compute_cluster", name, _]) => {
                    match self.data_name("vsphere_compute_cluster", name, span) {
                        Ok(c) => vm.placement = Placement::Cluster(c),
                        Err(why) => self.note(out, span, &format!("the cluster of {who}"), &why),
                    }
                }
                (Value::Unknown(why), _) => {
                    self.note(out, span, &format!("the cluster of {who}"), why)
                }
                _ => {}
            }
        }
    }

    /// The host name a `host_id`-like value stands for.
    fn host_of(&self, v: &Value, span: Span) -> Result<Option<Spanned<String>>, String> {
        match v {
            Value::Ref(p)
                if matches!(
                    p.iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
                    ["data", "vsphere_host", _, "id"]
                ) =>
            {
                let name = p.get(2).map_or("", String::as_str);
                self.data_name("vsphere_host", name, span).map(Some)
            }
            // a managed object reference (`host-12`), as vCenter names hosts
            Value::Str(s) => Ok(Some(Spanned::new(s.clone(), span))),
            Value::Unknown(why) => Err(why.clone()),
            _ => Ok(None),
        }
    }

    /// `pci_device_id` (static DirectPath I/O) and SR-IOV network adapters.
    fn devices(&self, body: &Body, vm: &mut Vm, who: &str, out: &mut Read) {
        if let Some(a) = attr(body, "pci_device_id")
            && let Some(span) = span_of(self.file, &a.value)
        {
            // each item with its own span when the list is written out
            let items: Vec<(Span, Value)> = match &a.value {
                Expression::Array(list) => list
                    .iter()
                    .map(|e| (span_of(self.file, e).unwrap_or(span), self.scope.eval(e)))
                    .collect(),
                e => match self.scope.eval(e) {
                    Value::List(l) => l.into_iter().map(|v| (span, v)).collect(),
                    v => vec![(span, v)],
                },
            };
            for (at, v) in items {
                let n = vm.passthrough.len();
                match v {
                    Value::Str(s) => {
                        iac::push_device(vm, iac::static_device(at, n, &s, &mut out.diags))
                    }
                    Value::Ref(p)
                        if p.get(..2)
                            == Some(
                                &["data".to_string(), "vsphere_host_pci_device".to_string()][..],
                            ) =>
                    {
                        match self.selector(&p, at) {
                            Ok(sel) => {
                                let mut dev =
                                    super::Device::new(at, i64::try_from(n).unwrap_or(i64::MAX));
                                dev.id_given = Some(at);
                                dev.extra_mut().selector = Some(Box::new(sel));
                                iac::push_device(vm, dev);
                            }
                            Err(why) => {
                                self.note(out, at, &format!("a device of {who}"), &why);
                                iac::push_device(vm, unknown_static(at, n));
                            }
                        }
                    }
                    Value::Unknown(why) if at != span => {
                        self.note(out, at, &format!("a device of {who}"), &why);
                        iac::push_device(vm, unknown_static(at, n));
                    }
                    Value::Unknown(why) => {
                        self.note(out, at, &format!("`pci_device_id` of {who}"), &why);
                    }
                    _ => out.diags.push(iac::wrong_type(
                        at,
                        "pci_device_id",
                        "a PCI address",
                        "this value",
                    )),
                }
            }
        }
        for nic in blocks(body, "network_interface") {
            let sriov = self
                .get(&nic.body, "adapter_type")
                .is_some_and(|(_, v)| v.as_str() == Some("sriov"));
            if !sriov {
                continue;
            }
            let at = span_of(self.file, nic).unwrap_or(vm.span);
            let n = vm.passthrough.len();
            let pf = match self.get(&nic.body, "physical_function") {
                Some((s, Value::Str(pf))) => Spanned::new(pf, s),
                Some((s, v)) => {
                    if let Some(why) = v.unknown() {
                        self.note(out, s, &format!("the physical function of {who}"), why);
                    }
                    Spanned::new(String::new(), s)
                }
                None => Spanned::new(String::new(), at),
            };
            iac::push_device(vm, iac::sriov_device(at, n, pf));
        }
    }

    /// What `data.vsphere_host_pci_device.NAME...` asks of the host.
    fn selector(&self, path: &[String], at: Span) -> Result<Selector, String> {
        let name = path.get(2).ok_or("a data source without a name")?;
        let block = self
            .data
            .get(&("vsphere_host_pci_device".to_string(), name.clone()))
            .ok_or_else(|| {
                format!("`data.vsphere_host_pci_device.{name}` is not declared in this folder")
            })?;
        let rest: Vec<&str> = path.iter().skip(3).map(String::as_str).collect();
        let pick = match rest.as_slice() {
            ["id"] => Pick::First,
            ["pci_devices", "*", "id"] => Pick::All,
            ["pci_devices", n, "id"] => Pick::Nth(
                n.parse()
                    .map_err(|_| "an index that is not known".to_string())?,
            ),
            _ => return Err(format!("`{}` is not a device id", path.join("."))),
        };
        let b = &block.body;
        let text_of = |key: &str| -> Result<Option<String>, String> {
            match attr(b, key).map(|a| self.scope.eval(&a.value)) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Str(s)) => Ok(Some(s)),
                Some(Value::Unknown(why)) => Err(why),
                Some(other) => Ok(other.as_int().map(|n| n.to_string())),
            }
        };
        let hex = |key: &str| -> Result<Option<i64>, String> {
            match text_of(key)? {
                None => Ok(None),
                Some(t) => iac::pci_id(&t, true).map(Some).ok_or_else(|| {
                    format!(
                        "`{key}` `{t}` of `data.vsphere_host_pci_device.{name}` is not a hex id"
                    )
                }),
            }
        };
        let host = match attr(b, "host_id") {
            Some(a) => self.host_of(&self.scope.eval(&a.value), at)?,
            None => None,
        };
        Ok(Selector {
            source: format!("data.vsphere_host_pci_device.{name}"),
            name_regex: text_of("name_regex")?.map(|r| Spanned::new(r, at)),
            vendor_id: hex("vendor_id")?,
            class_id: hex("class_id")?,
            host,
            pick,
        })
    }

    /// `vsphere_virtual_machine_snapshot` and `vsphere_drs_vm_override`
    /// resources that name a VM of this file.
    fn companion(&self, r: &Block, by_name: &HashMap<String, usize>, out: &mut Read) {
        let (key, kind) = match label(r, 0) {
            "vsphere_virtual_machine_snapshot" => ("virtual_machine_uuid", 0),
            "vsphere_drs_vm_override" => ("virtual_machine_id", 1),
            _ => return,
        };
        let Some((_, Value::Ref(p))) = self.get(&r.body, key) else {
            return;
        };
        let Some(i) = p
            .get(1)
            .filter(|_| p.first().map(String::as_str) == Some("vsphere_virtual_machine"))
            .and_then(|n| by_name.get(n))
        else {
            return;
        };
        let span = span_of(self.file, r).unwrap_or(Span::file_start(self.file));
        let snapshot = (kind == 0).then(|| self.get(&r.body, "snapshot_name"));
        let level = self.get(&r.body, "drs_automation_level");
        let enabled = self.get(&r.body, "drs_enabled");
        let Some(vm) = out.vms.get_mut(*i) else {
            return;
        };
        if let Some(snap) = snapshot {
            let name = match snap {
                Some((s, Value::Str(n))) => Spanned::new(n, s),
                _ => Spanned::new(label(r, 1).to_string(), span),
            };
            vm.snapshots.push(name);
            return;
        }
        if let Some((s, Value::Bool(false))) = enabled {
            vm.settings_mut().drs_automation = Some(Spanned::new("disabled".into(), s));
        } else if let Some((s, Value::Str(l))) = level {
            vm.settings_mut().drs_automation = Some(Spanned::new(l, s));
        }
    }
}

/// A static device whose address is not known.
fn unknown_static(at: Span, n: usize) -> super::Device {
    let mut dev = super::Device::new(at, i64::try_from(n).unwrap_or(i64::MAX));
    dev.id_given = Some(at);
    dev
}
