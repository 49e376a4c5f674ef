//! `.vmx` and `.vmsd` files: takes raw bytes, gives the key/value entries
//! (with spans into the decoded text) and then the VM model.
//!
//! Lenient where ESXi is (unquoted values, a comment after the value, any
//! case in keys and booleans); what is really broken is a VL001 and the
//! rest of the file still loads.

use super::{Device, Format, Placement, Raw, RawEntry, Sp, Vm, pci};
use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::source::{FileId, Span};
use std::collections::{BTreeMap, HashMap};

/// A `.vmx` (or `.vmsd`) file read into entries.
#[derive(Debug, Default)]
pub struct VmxFile {
    pub entries: Vec<RawEntry>,
    /// `# vmlint: host=NAME` (or `cluster=NAME`): the name and its span.
    pub placement: Option<(bool, Sp<String>)>,
    pub diagnostics: Vec<Diagnostic>,
    /// Lowercased key → index of its last entry.
    index: HashMap<String, usize>,
}

impl VmxFile {
    pub fn get(&self, key: &str) -> Option<&RawEntry> {
        self.index
            .get(&key.to_ascii_lowercase())
            .and_then(|i| self.entries.get(*i))
    }
}

/// Decodes the bytes of a `.vmx` by the charset its `.encoding` line names
/// (UTF-8 when absent). Returns the text and, if bytes were not valid in
/// that charset, a message saying so.
pub fn decode(bytes: &[u8]) -> (String, Option<String>) {
    let label = declared_encoding(bytes);
    let encoding = label
        .as_deref()
        .and_then(|l| match l.to_ascii_lowercase().as_str() {
            "windows-949-2000" | "windows-949" | "cp949" => Some(encoding_rs::EUC_KR),
            other => encoding_rs::Encoding::for_label(other.as_bytes()),
        })
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _, had_errors) = encoding.decode(bytes);
    let note =
        had_errors.then(|| format!("bytes that are not valid {} were replaced", encoding.name()));
    (text.into_owned(), note)
}

/// The charset named by a `.encoding` line among the first lines.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    for line in bytes.split(|b| *b == b'\n').take(8) {
        let line = String::from_utf8_lossy(line);
        let t = line.trim();
        if let Some(rest) = t.strip_prefix(".encoding") {
            let v = rest
                .trim_start()
                .strip_prefix('=')?
                .trim()
                .trim_matches('"');
            return Some(v.to_string());
        }
    }
    None
}

/// Splits the decoded text into entries. Never fails: broken lines become
/// VL001 diagnostics and duplicate keys VL003.
pub fn parse(file: FileId, text: &str) -> VmxFile {
    let mut out = VmxFile::default();
    let mut first_seen: HashMap<String, Span> = HashMap::new();
    let mut offset = 0usize;
    for raw_line in text.split_inclusive('\n') {
        let start = offset;
        offset += raw_line.len();
        let line = raw_line.trim_end_matches(['\n', '\r']);
        let lead = line.len() - line.trim_start().len();
        let body = line.trim();
        if body.is_empty() {
            continue;
        }
        if body.starts_with('#') {
            if let Some((cluster, at, name)) = placement_comment(line) {
                let span = Span::new(file, start + at, start + at + name.len());
                out.placement = Some((cluster, Sp::new(name.to_string(), span)));
            }
            continue;
        }
        let line_span = Span::new(file, start + lead, start + line.len());
        let Some(eq) = line.find('=') else {
            out.diagnostics.push(
                Diagnostic::new(codes::PARSE, Severity::Error, line_span, "this line is not `key = \"value\"`")
                    .with_label("no `=` here")
                    .with_help("each line of a .vmx file sets one key: `key = \"value\"`; comments start with `#`"),
            );
            continue;
        };
        let key_text = line[..eq].trim();
        let key_start = start + lead;
        let key_span = Span::new(file, key_start, key_start + key_text.len());
        if key_text.is_empty() || !key_text.chars().all(is_key_char) {
            out.diagnostics.push(
                Diagnostic::new(
                    codes::PARSE,
                    Severity::Error,
                    if key_text.is_empty() {
                        line_span
                    } else {
                        key_span
                    },
                    "this line has no valid key before `=`",
                )
                .with_label(if key_text.is_empty() {
                    "missing key"
                } else {
                    "not a key"
                })
                .with_help(
                    "keys are made of letters, digits and `.:_-*`, like `pciPassthru0.present`",
                ),
            );
            continue;
        }
        let after = &line[eq + 1..];
        let vstart = start + eq + 1 + (after.len() - after.trim_start().len());
        let v = after.trim_start();
        let (value, vspan) = if let Some(inner) = v.strip_prefix('"') {
            match inner.find('"') {
                Some(close) => {
                    let rest = inner[close + 1..].trim();
                    if !rest.is_empty() && !rest.starts_with('#') {
                        let junk = vstart
                            + 1
                            + close
                            + 1
                            + (inner[close + 1..].len() - inner[close + 1..].trim_start().len());
                        out.diagnostics.push(
                            Diagnostic::new(
                                codes::PARSE,
                                Severity::Warning,
                                Span::new(file, junk, junk + rest.len()),
                                "text after the closing quote is ignored",
                            )
                            .with_label("ignored")
                            .with_help("put comments on their own line, starting with `#`"),
                        );
                    }
                    (
                        &inner[..close],
                        Span::new(file, vstart + 1, vstart + 1 + close),
                    )
                }
                None => {
                    out.diagnostics.push(
                        Diagnostic::new(
                            codes::PARSE,
                            Severity::Error,
                            Span::new(file, vstart, vstart + v.len()),
                            "this value has no closing quote",
                        )
                        .with_label("unterminated value; the rest of the line was taken")
                        .with_help(
                            "close the value with `\"`; a quote inside a value is written `|22`",
                        ),
                    );
                    (inner, Span::new(file, vstart + 1, vstart + v.len()))
                }
            }
        } else {
            // unquoted, as hand-edited files have it; a ` #` starts a comment
            let end = v.find(" #").or_else(|| v.find("\t#")).unwrap_or(v.len());
            let val = v[..end].trim_end();
            (val, Span::new(file, vstart, vstart + val.len()))
        };
        let lkey = key_text.to_ascii_lowercase();
        if let Some(first) = first_seen.get(&lkey) {
            out.diagnostics.push(
                Diagnostic::new(
                    codes::DUPLICATE,
                    Severity::Warning,
                    key_span,
                    format!("`{key_text}` is set more than once; the last value wins"),
                )
                .with_label("set again here")
                .with_related(*first, "first set here")
                .with_help("remove one of the lines")
                .with_key(lkey.clone()),
            );
        } else {
            first_seen.insert(lkey.clone(), key_span);
        }
        out.index.insert(lkey, out.entries.len());
        out.entries.push(RawEntry {
            key: Sp::new(key_text.to_string(), key_span),
            value: Sp::new(unescape(value), vspan),
        });
    }
    out
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '_' | '-' | '*' | '[' | ']' | '@')
}

/// `# vmlint: host=NAME` (or `cluster=NAME`): (is_cluster, offset of the
/// name in the line, the name).
fn placement_comment(line: &str) -> Option<(bool, usize, &str)> {
    let body = line.trim_start().strip_prefix('#')?.trim_start();
    let rest = body.strip_prefix("vmlint:")?.trim_start();
    let (cluster, tail) = match rest.strip_prefix("host=") {
        Some(n) => (false, n),
        None => (true, rest.strip_prefix("cluster=")?),
    };
    let name = tail.split_whitespace().next()?;
    // every step above only removed a prefix, so `tail` ends the line
    Some((cluster, line.len() - tail.len(), name))
}

/// Undoes VMware's `|XX` escapes (`|22` is `"`, `|0A` a newline). A `|`
/// not followed by two hex digits stays as it is. Backslashes are literal.
pub fn unescape(value: &str) -> String {
    if !value.contains('|') {
        return value.to_string();
    }
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'|'
            && let Some(hex) = value.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// Typed views of entries, each reporting a VL002 when the text does not fit.
struct Typed<'a> {
    file: &'a VmxFile,
    diags: Vec<Diagnostic>,
}

impl Typed<'_> {
    fn str(&self, key: &str) -> Option<Sp<String>> {
        self.file.get(key).map(|e| e.value.clone())
    }

    fn int(&mut self, key: &str) -> Option<Sp<i64>> {
        let e = self.file.get(key)?;
        let t = e.value.value.trim();
        let parsed = pci::parse_id(t)
            .map(i64::from)
            .or_else(|| t.parse::<i64>().ok());
        match parsed {
            Some(v) => Some(Sp::new(v, e.value.span)),
            None => {
                self.diags.push(wrong_type(e, "an integer"));
                None
            }
        }
    }

    fn bool(&mut self, key: &str) -> Option<Sp<bool>> {
        let e = self.file.get(key)?;
        match parse_bool(&e.value.value) {
            Some(v) => Some(Sp::new(v, e.value.span)),
            None => {
                self.diags.push(wrong_type(e, "TRUE or FALSE"));
                None
            }
        }
    }
}

fn wrong_type(e: &RawEntry, expected: &str) -> Diagnostic {
    Diagnostic::new(
        codes::SCHEMA,
        Severity::Error,
        e.value.span,
        format!(
            "`{}` should be {expected}, not `{}`",
            e.key.value, e.value.value
        ),
    )
    .with_label(format!("expected {expected}"))
    .with_key(e.key.value.to_ascii_lowercase())
}

/// Facts read from a sibling `.vmsd` file.
pub struct Vmsd {
    pub snapshots: Vec<Sp<String>>,
}

/// Snapshots a `.vmsd` records: `snapshot.numSnapshots` names how many;
/// each gets its `displayName` when there is one.
pub fn vmsd_snapshots(vmsd: &VmxFile) -> Vmsd {
    let Some(n) = vmsd.get("snapshot.numSnapshots") else {
        return Vmsd {
            snapshots: Vec::new(),
        };
    };
    let count = n.value.value.trim().parse::<usize>().unwrap_or(0).min(1024);
    let mut names: Vec<Sp<String>> = vmsd
        .entries
        .iter()
        .filter(|e| {
            let k = e.key.value.to_ascii_lowercase();
            k.starts_with("snapshot") && k.ends_with(".displayname")
        })
        .map(|e| e.value.clone())
        .collect();
    names.truncate(count);
    while names.len() < count {
        names.push(Sp::new(
            format!("snapshot {}", names.len() + 1),
            n.value.span,
        ));
    }
    Vmsd { snapshots: names }
}

#[derive(Default)]
struct Group {
    present: Option<(bool, Span)>,
    first_key: Option<Span>,
    id: Option<RawEntry>,
    vendor: Option<RawEntry>,
    device: Option<RawEntry>,
    system: Option<RawEntry>,
    allowed: Option<RawEntry>,
    vgpu: Option<RawEntry>,
    pf: Option<RawEntry>,
}

/// The VM model of a parsed `.vmx`. `stem` is the file name without
/// `.vmx` (ESXi names the base disk after it). Returns `None` for an
/// encrypted VM, with the VL005 that says so.
pub fn to_vm(
    file: FileId,
    vmx: &VmxFile,
    stem: &str,
    vmsd: Option<Vmsd>,
) -> (Option<Vm>, Vec<Diagnostic>) {
    let mut t = Typed {
        file: vmx,
        diags: Vec::new(),
    };
    if let Some(e) = vmx
        .get("encryption.keySafe")
        .or_else(|| vmx.get("encryption.data"))
    {
        let d = Diagnostic::new(
            codes::UNREADABLE,
            Severity::Warning,
            e.key.span,
            "this VM is encrypted; its configuration cannot be checked",
        )
        .with_label("encrypted configuration")
        .with_help("check the VM where its configuration is decrypted, or exclude the file");
        return (None, vec![d]);
    }
    // "missing" points at the first setting of the file
    let span = vmx
        .entries
        .first()
        .map_or(Span::file_start(file), |e| e.key.span.to(e.value.span));
    let mut vm = Vm::new(file, span, Format::Vmx);
    vm.name = t.str("displayName");
    vm.hardware_version = t.int("virtualHW.version");
    vm.firmware = t
        .str("firmware")
        .map(|s| Sp::new(s.value.trim().to_ascii_lowercase(), s.span));
    vm.memory_mb = t.int("memSize");
    vm.memory_reservation_mb = if vmx.get("sched.mem.min").is_some() {
        t.int("sched.mem.min")
    } else {
        t.int("sched.mem.minSize")
    };
    vm.memory_reservation_all = t.bool("sched.mem.pin");
    vm.mmio64_enabled = t.bool("pciPassthru.use64bitMMIO");
    vm.mmio64_size_gb = t.int("pciPassthru.64bitMMIOSizeGB");
    vm.hot_add_cpu = t.bool("vcpu.hotadd");
    vm.hot_add_memory = t.bool("mem.hotadd");
    if let Some(s) = vmx.get("checkpoint.vmState")
        && !s.value.value.trim().is_empty()
    {
        vm.power_state = Some(Sp::new("suspended".to_string(), s.value.span));
    }
    vm.placement = match &vmx.placement {
        Some((false, name)) => Placement::Host(name.clone()),
        Some((true, name)) => Placement::Cluster(name.clone()),
        None => Placement::Unplaced,
    };

    let mut groups: BTreeMap<u64, Group> = BTreeMap::new();
    let mut disks: BTreeMap<String, (Option<RawEntry>, Option<bool>)> = BTreeMap::new();
    for e in &vmx.entries {
        let lkey = e.key.value.to_ascii_lowercase();
        if let Some((n, field)) = passthrough_group(&lkey) {
            let g = groups.entry(n).or_default();
            g.first_key.get_or_insert(e.key.span);
            match field {
                "present" => {
                    g.present = Some((
                        parse_bool(&e.value.value).unwrap_or(false),
                        e.key.span.to(e.value.span),
                    ))
                }
                "id" => g.id = Some(e.clone()),
                "vendorid" => g.vendor = Some(e.clone()),
                "deviceid" => g.device = Some(e.clone()),
                "systemid" => g.system = Some(e.clone()),
                "alloweddevices" => g.allowed = Some(e.clone()),
                "vgpu" => g.vgpu = Some(e.clone()),
                "pfid" => g.pf = Some(e.clone()),
                _ => {}
            }
        } else if let Some((disk, field)) = disk_key(&lkey) {
            let d = disks.entry(disk.to_string()).or_default();
            match field {
                "filename" => d.0 = Some(e.clone()),
                _ => d.1 = parse_bool(&e.value.value),
            }
        }
    }
    for (n, g) in groups {
        let Some((true, span)) = g.present else {
            continue;
        };
        let mut dev = Device::new(span, i64::try_from(n).unwrap_or(i64::MAX));
        if let Some(e) = &g.id {
            match pci::PciAddr::parse(&e.value.value) {
                Some(a) => dev.address = Some(Sp::new(a, e.value.span)),
                None => t.diags.push(wrong_type(
                    e,
                    "a PCI address such as `0000:3b:00.0` or `00000:059:00.0`",
                )),
            }
        }
        let id = |t: &mut Typed, e: &Option<RawEntry>| -> Option<Sp<i64>> {
            let e = e.as_ref()?;
            match pci::parse_id(&e.value.value) {
                Some(v) => Some(Sp::new(i64::from(v), e.value.span)),
                None => {
                    t.diags.push(wrong_type(e, "a PCI id such as `0x10de`"));
                    None
                }
            }
        };
        dev.vendor_id = id(&mut t, &g.vendor);
        dev.device_id = id(&mut t, &g.device);
        dev.system_id = g.system.map(|e| e.value);
        if let Some(e) = g.allowed {
            // `0x10de:0x20f1`: the vendor and device of a Dynamic DirectPath device
            if let Some((v, d)) = e.value.value.split_once(':')
                && let (Some(v), Some(d)) = (pci::parse_id(v), pci::parse_id(d))
            {
                dev.vendor_id
                    .get_or_insert(Sp::new(i64::from(v), e.value.span));
                dev.device_id
                    .get_or_insert(Sp::new(i64::from(d), e.value.span));
            }
            dev.allowed_devices = Some(e.value);
        }
        dev.vgpu = g.vgpu.map(|e| e.value);
        dev.pf_id = g.pf.map(|e| e.value);
        vm.passthrough_span
            .get_or_insert(g.first_key.unwrap_or(span));
        vm.passthrough.push(dev);
    }
    let name = vm
        .name
        .as_ref()
        .map(|n| n.value.clone())
        .unwrap_or_default();
    for (file_entry, present) in disks.into_values() {
        let Some(e) = file_entry else { continue };
        if present == Some(false) {
            continue;
        }
        if is_delta_disk(&e.value.value, &[name.as_str(), stem]) {
            vm.snapshots.push(e.value);
        }
    }
    if vm.snapshots.is_empty()
        && let Some(vmsd) = vmsd
    {
        vm.snapshots = vmsd.snapshots;
    }
    vm.raw = Raw {
        entries: vmx.entries.clone(),
    };
    (Some(vm), t.diags)
}

/// `pcipassthru12.deviceid` → (12, "deviceid"). The literal key
/// `pciPassthru*.present` of hardening scripts is not a group.
fn passthrough_group(lkey: &str) -> Option<(u64, &str)> {
    let rest = lkey.strip_prefix("pcipassthru")?;
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits > 12 {
        return None;
    }
    let n = rest[..digits].parse().ok()?;
    let field = rest[digits..].strip_prefix('.')?;
    Some((n, field))
}

/// `scsi0:1.filename` → ("scsi0:1", "filename"); also `present`.
fn disk_key(lkey: &str) -> Option<(&str, &str)> {
    let (disk, field) = lkey.rsplit_once('.')?;
    if field != "filename" && field != "present" {
        return None;
    }
    let bus = disk.trim_end_matches(|c: char| c.is_ascii_digit() || c == ':');
    matches!(bus, "scsi" | "sata" | "nvme" | "ide").then_some((disk, field))?;
    disk.contains(':').then_some((disk, field))
}

/// A disk file named `<base>-NNNNNN.vmdk` is a snapshot delta, unless the
/// whole stem is the VM's own name (ESXi names base disks after the VM, so
/// a VM called `web-000001` has the base disk `web-000001.vmdk`).
pub fn is_delta_disk(path: &str, vm_names: &[&str]) -> bool {
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let Some(stem) = file
        .strip_suffix(".vmdk")
        .or_else(|| file.strip_suffix(".VMDK"))
    else {
        return false;
    };
    let Some((_, suffix)) = stem.rsplit_once('-') else {
        return false;
    };
    if suffix.len() != 6 || !suffix.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    !vm_names.iter().any(|n| !n.is_empty() && *n == stem)
}

#[cfg(test)]
mod tests;
