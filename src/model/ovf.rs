//! OVF descriptors (`*.ovf`): each `VirtualSystem` is a VM. Read: its name,
//! the virtual hardware version (`vssd:VirtualSystemType` `vmx-NN`), memory
//! (`rasd:ResourceType` 4, its quantity and reservation), passthrough items
//! by `rasd:ResourceSubType` — `vmware.pci.passthrough` (static, with
//! `backing.id`, and `backing.vendorId` written as a signed short),
//! `vmware.pci.passthrough-ah` (Dynamic DirectPath I/O,
//! `backing.allowedDevice`) and `vmware.pci.passthrough-vmiop` (vGPU,
//! `backing.vgpu`) — the section's `vmw:Config` (`firmware`,
//! `memoryReservationLockedToMax`, hot add) and its `vmw:ExtraConfig` read
//! as `.vmx` keys. `<!-- vmlint: ... -->` comments are directives.

use super::iac::{self, KeyValue};
use super::{Format, Spanned, Vm};
use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::directives::CommentToken;
use crate::source::{FileId, Span};
use roxmltree::{Document, Node, ParsingOptions};
use std::sync::Arc;

/// Most XML nodes one descriptor may have (real ones have hundreds).
const MAX_NODES: u32 = 1_000_000;
/// Deepest element nesting read (real descriptors nest six or seven deep);
/// checked before parsing, which recurses.
const MAX_DEPTH: usize = 256;

/// How deep elements nest, by a scan of the tags (a guard, not a parser:
/// comments, declarations and self-closing tags do not count).
fn depth(text: &str) -> usize {
    let b = text.as_bytes();
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while let Some(at) = b.get(i..).and_then(|r| r.iter().position(|c| *c == b'<')) {
        i += at + 1;
        match b.get(i) {
            Some(b'/') => depth = depth.saturating_sub(1),
            Some(b'!' | b'?') | None => {}
            Some(_) => {
                let end = b
                    .get(i..)
                    .and_then(|r| r.iter().position(|c| *c == b'>'))
                    .map_or(b.len(), |e| i + e);
                if end == 0 || b.get(end - 1) != Some(&b'/') {
                    depth += 1;
                    max = max.max(depth);
                }
                i = end;
            }
        }
    }
    max
}

#[derive(Default)]
pub struct Read {
    pub vms: Vec<Vm>,
    pub diags: Vec<Diagnostic>,
}

fn parse(text: &str) -> Result<Document<'_>, roxmltree::Error> {
    let opts = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
    };
    Document::parse_with_options(text, opts)
}

pub fn read(file: FileId, text: &Arc<str>) -> Read {
    let mut out = Read::default();
    if depth(text) > MAX_DEPTH {
        out.diags.push(
            Diagnostic::new(
                codes::PARSE,
                Severity::Error,
                Span::file_start(file),
                format!("this OVF descriptor nests elements more than {MAX_DEPTH} levels deep, so it was not read"),
            )
            .with_label("too deep"),
        );
        return out;
    }
    let doc = match parse(text) {
        Ok(d) => d,
        Err(e) => {
            let pos = e.pos();
            let at = offset_of(text, pos.row as usize, pos.col as usize);
            out.diags.push(
                Diagnostic::new(
                    codes::PARSE,
                    Severity::Error,
                    Span::new(file, at, at),
                    format!("this OVF descriptor is not well-formed XML: {e}"),
                )
                .with_label("here"),
            );
            return out;
        }
    };
    for sys in doc
        .descendants()
        .filter(|n| n.has_tag_name_local("VirtualSystem"))
    {
        if let Some(vm) = system(file, text, sys, &mut out.diags) {
            out.vms.push(vm);
        }
    }
    out
}

trait Local {
    fn has_tag_name_local(&self, name: &str) -> bool;
}

impl Local for Node<'_, '_> {
    fn has_tag_name_local(&self, name: &str) -> bool {
        self.is_element() && self.tag_name().name() == name
    }
}

fn span(file: FileId, r: std::ops::Range<usize>) -> Span {
    Span::new(file, r.start, r.end)
}

/// The text of the first child element `name`, and its span.
fn child_text(file: FileId, n: Node<'_, '_>, name: &str) -> Option<Spanned<String>> {
    let c = n.children().find(|c| c.has_tag_name_local(name))?;
    let t = c.children().find(|t| t.is_text())?;
    let v = t.text()?.trim();
    (!v.is_empty()).then(|| Spanned::new(v.to_string(), span(file, t.range())))
}

/// An attribute by local name, whatever its namespace prefix.
fn attr<'a>(n: Node<'a, '_>, name: &str) -> Option<roxmltree::Attribute<'a, 'a>> {
    n.attributes().find(|a| a.name() == name)
}

/// The `vmw:key` / `vmw:value` pairs of the `vmw:Config` children of `n`.
fn configs(file: FileId, n: Node<'_, '_>, tag: &str) -> Vec<(String, Spanned<String>, Span)> {
    n.children()
        .filter(|c| c.has_tag_name_local(tag))
        .filter_map(|c| {
            let k = attr(c, "key")?;
            let v = attr(c, "value")?;
            Some((
                k.value().to_string(),
                Spanned::new(v.value().to_string(), span(file, v.range_value())),
                span(file, k.range_value()),
            ))
        })
        .collect()
}

fn system(
    file: FileId,
    text: &Arc<str>,
    sys: Node<'_, '_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vm> {
    let hw = sys
        .children()
        .find(|c| c.has_tag_name_local("VirtualHardwareSection"));
    let pairs: Vec<KeyValue> = hw
        .map(|h| configs(file, h, "ExtraConfig"))
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v, ks)| KeyValue {
            key: ks,
            key_text: k,
            value: v.span,
            value_text: v.value,
        })
        .collect();
    let (vm, d) = iac::vm_with_keys(file, text, span(file, sys.range()), Format::Ovf, pairs);
    diags.extend(d);
    let mut vm = vm?;
    vm.name = child_text(file, sys, "Name").or_else(|| {
        let a = attr(sys, "id")?;
        Some(Spanned::new(
            a.value().to_string(),
            span(file, a.range_value()),
        ))
    });
    let Some(hw) = hw else { return Some(vm) };
    if let Some(system) = hw.children().find(|c| c.has_tag_name_local("System"))
        && let Some(t) = child_text(file, system, "VirtualSystemType")
    {
        // `vmx-19`, or several types separated by spaces
        if let Some(n) = t
            .value
            .split_whitespace()
            .find_map(|p| p.strip_prefix("vmx-")?.parse().ok())
        {
            vm.settings_mut().hardware_version = Some(Spanned::new(n, t.span));
        }
    }
    for (k, v, _) in configs(file, hw, "Config") {
        let b = || super::vmx::parse_bool(&v.value).map(|x| Spanned::new(x, v.span));
        match k.as_str() {
            "firmware" => {
                vm.settings_mut().firmware =
                    Some(Spanned::new(v.value.to_ascii_lowercase(), v.span))
            }
            "memoryReservationLockedToMax" => vm.settings_mut().memory_reservation_all = b(),
            "cpuHotAddEnabled" => vm.settings_mut().hot_add_cpu = b(),
            "memoryHotAddEnabled" => vm.settings_mut().hot_add_memory = b(),
            _ => {}
        }
    }
    for item in hw.children().filter(|c| c.has_tag_name_local("Item")) {
        let kind = child_text(file, item, "ResourceType");
        let sub = child_text(file, item, "ResourceSubType").map(|s| s.value);
        if kind.as_ref().is_some_and(|k| k.value == "4") {
            let mb = |t: Option<Spanned<String>>| {
                let t = t?;
                let n: i64 = t.value.parse().ok()?;
                Some(Spanned::new(n * memory_unit(item), t.span))
            };
            if let Some(q) = mb(child_text(file, item, "VirtualQuantity")) {
                vm.settings_mut().memory_mb = Some(q);
            }
            if let Some(r) = mb(child_text(file, item, "Reservation")) {
                vm.settings_mut().memory_reservation_mb = Some(r);
            }
            continue;
        }
        let Some(sub) = sub else { continue };
        let at = span(file, item.range());
        let n = vm.passthrough.len();
        let cfg = configs(file, item, "Config");
        let get = |key: &str| {
            cfg.iter()
                .find(|(k, ..)| k.eq_ignore_ascii_case(key))
                .map(|(_, v, _)| v.clone())
        };
        let dev = match sub.as_str() {
            "vmware.pci.passthrough" => {
                let mut dev = match get("backing.id") {
                    Some(a) => iac::static_device(a.span, n, &a.value, diags),
                    None => iac::dynamic_device(at, n, None, None),
                };
                dev.span = at;
                dev.vendor_id = get("backing.vendorId")
                    .and_then(|v| Some(Spanned::new(iac::pci_id(&v.value, false)?, v.span)));
                dev.device_id = get("backing.deviceId")
                    .and_then(|v| Some(Spanned::new(iac::pci_id(&v.value, true)?, v.span)));
                dev.system_id = get("backing.systemId");
                dev
            }
            "vmware.pci.passthrough-ah" => {
                // `backing.allowedDevice` as `vendor:device`, or its parts
                let (v, d) = match get("backing.allowedDevice") {
                    Some(a) => match a.value.split_once(':') {
                        Some((v, d)) => (
                            iac::pci_id(v, true).map(|x| Spanned::new(x, a.span)),
                            iac::pci_id(d, true).map(|x| Spanned::new(x, a.span)),
                        ),
                        None => (None, None),
                    },
                    None => (
                        get("backing.allowedDevice.vendorId")
                            .or_else(|| get("backing.vendorId"))
                            .and_then(|v| {
                                Some(Spanned::new(iac::pci_id(&v.value, false)?, v.span))
                            }),
                        get("backing.allowedDevice.deviceId")
                            .or_else(|| get("backing.deviceId"))
                            .and_then(|v| {
                                Some(Spanned::new(iac::pci_id(&v.value, false)?, v.span))
                            }),
                    ),
                };
                iac::dynamic_device(at, n, v, d)
            }
            "vmware.pci.passthrough-vmiop" => match get("backing.vgpu") {
                Some(p) => iac::vgpu_device(at, n, p),
                None => continue,
            },
            _ => continue,
        };
        iac::push_device(&mut vm, dev);
    }
    Some(vm)
}

/// MB per unit of a memory item's `rasd:AllocationUnits` (`byte * 2^20`
/// is MB, `byte * 2^30` GB).
fn memory_unit(item: Node<'_, '_>) -> i64 {
    let units = item
        .children()
        .find(|c| c.has_tag_name_local("AllocationUnits"))
        .and_then(|c| c.text())
        .unwrap_or("byte * 2^20")
        .replace(' ', "");
    match units.as_str() {
        "byte*2^30" | "GigaBytes" => 1024,
        _ => 1,
    }
}

/// The byte offset of a 1-based row and column.
fn offset_of(text: &str, row: usize, col: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(row.saturating_sub(1))
        .map(str::len)
        .sum();
    let line = text
        .get(line_start..)
        .and_then(|t| t.lines().next())
        .unwrap_or("");
    let col_bytes: usize = line
        .chars()
        .take(col.saturating_sub(1))
        .map(char::len_utf8)
        .sum();
    (line_start + col_bytes).min(text.len())
}

/// The comments of a descriptor (`<!-- -->`), for directives.
pub fn comments(file: FileId, text: &str) -> Vec<CommentToken> {
    if depth(text) > MAX_DEPTH {
        return Vec::new();
    }
    let Ok(doc) = parse(text) else {
        return Vec::new();
    };
    doc.descendants()
        .filter(|n| n.is_comment())
        .map(|n| {
            let r = n.range();
            let line_start = text
                .get(..r.start)
                .and_then(|t| t.rfind('\n'))
                .map_or(0, |i| i + 1);
            let before = text.get(line_start..r.start).unwrap_or("");
            CommentToken {
                span: span(file, r),
                trailing: !before.trim().is_empty(),
            }
        })
        .collect()
}
