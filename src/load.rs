//! Loading descriptors: takes a path (or stdin bytes), gives the VMs and
//! hosts it describes, its suppressions, and the problems found on the way.
//! A file that cannot be read is one VL005 and the run goes on.

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::directives::{self, CommentToken, Suppression};
use crate::discover::{FileFormat, read_limited};
use crate::model::yaml::{Doc, load as load_doc};
use crate::model::{Host, Placement, Vm, vmx};
use crate::source::{FileId, FileKind, SourceMap, Span};
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

#[derive(Default)]
pub struct Loaded {
    pub vms: Vec<Vm>,
    pub hosts: Vec<Host>,
    pub diags: Vec<Diagnostic>,
    pub suppressions: Vec<(FileId, Vec<Suppression>)>,
    /// What infrastructure code left unknown, and where (`--verbose`).
    pub unknowns: Vec<(Span, String)>,
    /// Host state a playbook asks for (`vmware_host_passthrough`).
    pub overlays: Vec<crate::model::ansible::Overlay>,
}

pub fn load_path(sources: &SourceMap, path: &Path, desc: FileFormat, cfg: &Config) -> Loaded {
    match read_limited(path, cfg.max_file_size) {
        Ok(bytes) => load_bytes(sources, path, desc, &bytes, cfg),
        Err(why) => {
            let id = sources.add(path, desc.kind(), "");
            let mut out = Loaded::default();
            out.diags.push(unreadable(id, format!("this file {why}")));
            out
        }
    }
}

fn unreadable(id: FileId, msg: String) -> Diagnostic {
    Diagnostic::new(
        codes::UNREADABLE,
        Severity::Error,
        Span::file_start(id),
        msg,
    )
    .with_label("not checked")
}

pub fn load_bytes(
    sources: &SourceMap,
    path: &Path,
    desc: FileFormat,
    bytes: &[u8],
    cfg: &Config,
) -> Loaded {
    let mut out = Loaded::default();
    if memchr::memchr(0, bytes.get(..8192).unwrap_or(bytes)).is_some() {
        let id = sources.add(path, desc.kind(), "");
        if desc.by_name() {
            out.diags.push(unreadable(
                id,
                "this file is binary (it holds NUL bytes), so it was not checked".into(),
            ));
        }
        return out;
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        // an empty `.tf` is valid Terraform that declares nothing
        if desc.by_name() && desc != FileFormat::Terraform {
            let id = sources.add(path, desc.kind(), "");
            out.diags.push(
                Diagnostic::new(
                    codes::UNREADABLE,
                    Severity::Error,
                    Span::file_start(id),
                    "this file is empty, so there is nothing to check",
                )
                .with_label("empty file"),
            );
        }
        return out;
    }
    match desc {
        FileFormat::Vmx => load_vmx(sources, path, bytes, cfg.max_file_size, &mut out),
        FileFormat::Yaml(default) => load_yaml(sources, path, default, bytes, cfg, &mut out),
        FileFormat::Esxcli => load_esxcli(sources, path, bytes, &mut out),
        // a text file is a capture when its content says so
        FileFormat::Text => {
            if crate::model::esxcli::is_capture(&String::from_utf8_lossy(bytes)) {
                load_esxcli(sources, path, bytes, &mut out);
            }
        }
        FileFormat::Terraform => load_terraform(sources, path, bytes, cfg, &mut out),
        FileFormat::Packer => load_packer(sources, path, bytes, cfg, &mut out),
        FileFormat::Ovf => load_ovf(sources, path, bytes, &mut out),
    }
    out
}

/// Text that should be UTF-8, with a VL001 where it is not.
fn utf8(bytes: &[u8]) -> (Cow<'_, str>, Option<usize>) {
    match std::str::from_utf8(bytes) {
        Ok(t) => (Cow::Borrowed(t), None),
        Err(e) => (String::from_utf8_lossy(bytes), Some(e.valid_up_to())),
    }
}

fn bad_utf8(id: FileId, at: Option<usize>, out: &mut Loaded) {
    if let Some(at) = at {
        out.diags.push(
            Diagnostic::new(
                codes::PARSE,
                Severity::Error,
                Span::new(id, at, at + 3),
                "this file is not valid UTF-8; the invalid bytes were replaced",
            )
            .with_label("invalid UTF-8"),
        );
    }
}

fn load_terraform(sources: &SourceMap, path: &Path, bytes: &[u8], cfg: &Config, out: &mut Loaded) {
    let (text, bad) = utf8(bytes);
    // a `.tf` file without a vSphere VM is not ours: skipped quietly
    if !crate::model::terraform::mentions_vms(&text) {
        return;
    }
    let text: Arc<str> = Arc::from(text);
    let id = sources.add(path, FileKind::Hcl, Arc::clone(&text));
    bad_utf8(id, bad, out);
    let (siblings, tfvars) = crate::model::terraform::module_files(path, cfg.max_file_size);
    let r = crate::model::terraform::read(id, &text, &siblings, &tfvars);
    took_hcl(id, &text, r, out);
}

fn load_packer(sources: &SourceMap, path: &Path, bytes: &[u8], cfg: &Config, out: &mut Loaded) {
    let (text, bad) = utf8(bytes);
    let text: Arc<str> = Arc::from(text);
    let id = sources.add(path, FileKind::Hcl, Arc::clone(&text));
    bad_utf8(id, bad, out);
    let (siblings, vars) = crate::model::packer::folder_files(path, cfg.max_file_size);
    let r = crate::model::packer::read_hcl(id, &text, &siblings, &vars);
    took_hcl(id, &text, r, out);
}

/// What an HCL reader found in a file, and the file's placement comments.
fn took_hcl(id: FileId, text: &str, r: crate::model::hcl::Read, out: &mut Loaded) {
    out.vms.extend(r.vms);
    out.diags.extend(r.diags);
    out.unknowns.extend(r.unknowns);
    let tokens = crate::model::hcl::comments(id, text);
    directed(id, text, &tokens, out);
}

fn load_ovf(sources: &SourceMap, path: &Path, bytes: &[u8], out: &mut Loaded) {
    let (text, bad) = utf8(bytes);
    let text: Arc<str> = Arc::from(text);
    let id = sources.add(path, FileKind::Xml, Arc::clone(&text));
    bad_utf8(id, bad, out);
    let r = crate::model::ovf::read(id, &text);
    out.vms.extend(r.vms);
    out.diags.extend(r.diags);
    let tokens = crate::model::ovf::comments(id, &text);
    directed(id, &text, &tokens, out);
}

/// The suppressions of a file's comments, and its `vmlint: host=NAME`
/// placement for the VMs that name no host themselves.
fn directed(id: FileId, text: &str, tokens: &[CommentToken], out: &mut Loaded) {
    let d = directives::read(id, text, tokens);
    if let Some((cluster, name)) = d.placement {
        for vm in out
            .vms
            .iter_mut()
            .filter(|v| matches!(v.placement, Placement::Unplaced))
        {
            vm.placement = if cluster {
                Placement::Cluster(name.clone())
            } else {
                Placement::Host(name.clone())
            };
        }
    }
    out.suppressions.push((id, d.suppressions));
}

/// The comment tokens of a file, by its kind, for directives.
pub fn comments_of(id: FileId, kind: FileKind, text: &Arc<str>) -> Vec<CommentToken> {
    match kind {
        FileKind::Vmx | FileKind::Vmsd => vmx::parse(id, Arc::clone(text)).comments,
        FileKind::Hcl => crate::model::hcl::comments(id, text),
        FileKind::Xml => crate::model::ovf::comments(id, text),
        _ => comment_tokens(&crate::yaml_tree::parse(id, text).comments),
    }
}

fn load_vmx(sources: &SourceMap, path: &Path, bytes: &[u8], max_size: u64, out: &mut Loaded) {
    let (text, note) = vmx::decode(bytes);
    let text: Arc<str> = Arc::from(text);
    let id = sources.add(path, FileKind::Vmx, Arc::clone(&text));
    if let Some(note) = note {
        let at = text.find('\u{FFFD}').unwrap_or(0);
        out.diags.push(
            Diagnostic::new(
                codes::DOUBTFUL,
                Severity::Warning,
                Span::new(id, at, at + '\u{FFFD}'.len_utf8()),
                format!("{note}; check the `.encoding` line"),
            )
            .with_label("undecodable bytes"),
        );
    }
    let mut file = vmx::parse(id, Arc::clone(&text));
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let vmsd = load_vmsd(sources, path, max_size);
    out.diags.append(&mut file.diagnostics);
    let suppressions = directives::read(id, &text, &file.comments).suppressions;
    let (vm, diags) = vmx::to_vm(id, file, stem, vmsd);
    out.diags.extend(diags);
    out.vms.extend(vm);
    out.suppressions.push((id, suppressions));
}

/// The `.vmsd` beside a `.vmx` (same name), when it records snapshots.
fn load_vmsd(sources: &SourceMap, vmx_path: &Path, max_size: u64) -> Option<vmx::Vmsd> {
    let path = vmx_path.with_extension("vmsd");
    let bytes = crate::discover::read_if_there(&path, max_size)?;
    let (text, _) = vmx::decode(&bytes);
    let text: Arc<str> = Arc::from(text);
    // parsed against a provisional id, then registered only if it matters
    let probe = vmx::parse(FileId(u32::MAX), Arc::clone(&text));
    if vmx::vmsd_snapshots(&probe).snapshots.is_empty() {
        return None;
    }
    let id = sources.add(&path, FileKind::Vmsd, Arc::clone(&text));
    Some(vmx::vmsd_snapshots(&vmx::parse(id, text)))
}

fn load_yaml(
    sources: &SourceMap,
    path: &Path,
    default: Option<&'static str>,
    bytes: &[u8],
    cfg: &Config,
    out: &mut Loaded,
) {
    let (text, bad) = utf8(bytes);
    // a file that only might be a descriptor is read only if it says
    // `kind: vm|host`, or is a vSphere dump of hosts (govc, the JSON API),
    // a Terraform plan, an Ansible playbook or a legacy Packer template
    let vsphere = cfg.reads("vsphere")
        && (text.contains("PciPassthruInfo")
            || text.contains("pciPassthruInfo")
            || text.contains("HostSystem")
            || text.contains("hostSystem")
            || text.contains("VirtualMachine"));
    let plan = cfg.reads("terraform-plan") && crate::model::tfplan::mentions(&text);
    let ansible = cfg.reads("ansible") && crate::model::ansible::mentions(&text);
    let packer = cfg.reads("packer") && crate::model::packer::mentions_json(&text);
    let ours = vsphere || plan || ansible || packer;
    if default.is_none() && !text.contains("kind") && !ours {
        return;
    }
    if default.is_some() && !cfg.reads("yaml") {
        return;
    }
    let id = sources.add(path, FileKind::Yaml, &*text);
    bad_utf8(id, bad, out);
    let parsed = crate::yaml_tree::parse(id, &text);
    let mut diags = Vec::new();
    let mut any = false;
    // the raw-key readers of plans, playbooks and templates share the text;
    // other YAML does not need the copy
    let shared: Arc<str> = if plan || ansible || packer {
        Arc::from(&*text)
    } else {
        Arc::from("")
    };
    for doc in &parsed.documents {
        // a vSphere dump is read as such, whatever the file is called
        if vsphere && crate::model::vsphere::is_hosts(doc) {
            out.hosts.extend(crate::model::vsphere::hosts(id, doc));
            any = true;
            continue;
        }
        if vsphere && crate::model::vsphere::is_vms(doc) {
            out.vms.extend(crate::model::vsphere::vms(id, doc));
            any = true;
            continue;
        }
        if plan && crate::model::tfplan::is_plan(doc) {
            let (vms, d) = crate::model::tfplan::vms(id, &shared, doc);
            out.vms.extend(vms);
            diags.extend(d);
            any = true;
            continue;
        }
        if ansible && crate::model::ansible::is_playbook(doc) {
            let r = crate::model::ansible::read(id, &shared, doc);
            out.vms.extend(r.vms);
            out.overlays.extend(r.overlays);
            out.unknowns.extend(r.unknowns);
            diags.extend(r.diags);
            any = true;
            continue;
        }
        if packer && crate::model::packer::is_json(doc) {
            let r = crate::model::packer::read_json(id, &shared, doc);
            out.vms.extend(r.vms);
            out.unknowns.extend(r.unknowns);
            diags.extend(r.diags);
            any = true;
            continue;
        }
        if default.is_none() && !cfg.reads("yaml") {
            continue;
        }
        match load_doc(id, doc, default, &mut diags) {
            Doc::Vm(v) => {
                out.vms.push(*v);
                any = true;
            }
            Doc::Host(h) => {
                out.hosts.push(*h);
                any = true;
            }
            Doc::Other => {}
        }
    }
    // syntax errors in a file that is not ours are not ours to report (one
    // that names vSphere objects, a plan or the modules vmlint reads is)
    if default.is_some() || any || ours {
        out.diags.extend(parsed.diagnostics);
        out.diags.extend(diags);
        let tokens = comment_tokens(&parsed.comments);
        out.suppressions
            .push((id, directives::read(id, &text, &tokens).suppressions));
    }
}

fn load_esxcli(sources: &SourceMap, path: &Path, bytes: &[u8], out: &mut Loaded) {
    let text = String::from_utf8_lossy(bytes);
    let id = sources.add(path, FileKind::Esxcli, text.as_ref());
    // the host's name when the capture names none: the file's, less `.esxcli`
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let stem = name
        .strip_suffix(".esxcli.txt")
        .or_else(|| name.strip_suffix(".esxcli"))
        .or_else(|| name.strip_suffix(".txt"))
        .unwrap_or(name);
    out.hosts
        .extend(crate::model::esxcli::read(id, &text, stem, &mut out.diags));
}

/// The comments of a YAML file as directive tokens.
pub fn comment_tokens(comments: &[crate::yaml_tree::Comment]) -> Vec<CommentToken> {
    comments
        .iter()
        .map(|c| CommentToken {
            span: c.span,
            trailing: c.trailing,
        })
        .collect()
}
