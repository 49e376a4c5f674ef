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
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// A `.vmx` (or `.vmsd`) file read into entries.
#[derive(Debug, Default)]
pub struct VmxFile {
    pub raw: Raw,
    /// `# vmlint: host=NAME` (or `cluster=NAME`): the name and its span.
    pub placement: Option<(bool, Sp<String>)>,
    pub diagnostics: Vec<Diagnostic>,
    /// Hash of the lowercased key → index of its last entry.
    index: HashMap<u64, u32, BuildHasherDefault<PassThrough>>,
}

/// The index's keys are hashes already.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// FNV-1a of the key's lowercased bytes, without allocating.
fn key_hash(key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b.to_ascii_lowercase());
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl VmxFile {
    pub fn entries(&self) -> &[RawEntry] {
        &self.raw.entries
    }

    /// The last entry of `key`, compared case-insensitively.
    pub fn get(&self, key: &str) -> Option<&RawEntry> {
        let hit = self
            .index
            .get(&key_hash(key))
            .and_then(|i| self.raw.entries.get(*i as usize));
        match hit {
            Some(e) if self.raw.key(e).eq_ignore_ascii_case(key) => Some(e),
            // a hash collision: fall back to a scan
            Some(_) => self.raw.get(key),
            None => None,
        }
    }

    pub fn key<'a>(&'a self, e: &'a RawEntry) -> &'a str {
        self.raw.key(e)
    }

    pub fn value<'a>(&'a self, e: &'a RawEntry) -> &'a str {
        self.raw.value(e)
    }

    fn value_sp(&self, e: &RawEntry) -> Sp<String> {
        Sp::new(self.value(e).to_string(), e.value)
    }

    fn wrong_type(&self, e: &RawEntry, expected: &str) -> Diagnostic {
        let key = self.key(e);
        Diagnostic::new(
            codes::SCHEMA,
            Severity::Error,
            e.value,
            format!("`{key}` should be {expected}, not `{}`", self.value(e)),
        )
        .with_label(format!("expected {expected}"))
        .with_key(key.to_ascii_lowercase())
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
pub fn parse(file: FileId, shared: Arc<str>) -> VmxFile {
    let mut out = VmxFile {
        raw: Raw {
            text: Arc::clone(&shared),
            entries: Vec::new(),
        },
        ..VmxFile::default()
    };
    let text: &str = &shared;
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
                                codes::DOUBTFUL,
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
        let h = key_hash(key_text);
        let previous = out
            .index
            .get(&h)
            .and_then(|i| out.raw.entries.get(*i as usize));
        if let Some(prev) = previous
            && out.raw.key(prev).eq_ignore_ascii_case(key_text)
        {
            out.diagnostics.push(
                Diagnostic::new(
                    codes::DUPLICATE,
                    Severity::Warning,
                    key_span,
                    format!("`{key_text}` is set more than once; the last value wins"),
                )
                .with_label("set again here")
                .with_related(prev.key, "set before here")
                .with_help("remove one of the lines")
                .with_key(key_text.to_ascii_lowercase()),
            );
        }
        out.index
            .insert(h, u32::try_from(out.raw.entries.len()).unwrap_or(u32::MAX));
        out.raw.entries.push(RawEntry {
            key: key_span,
            value: vspan,
            key_text: None,
            value_text: value
                .contains('|')
                .then(|| unescape(value).into_boxed_str()),
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
        self.file.get(key).map(|e| self.file.value_sp(e))
    }

    fn int(&mut self, key: &str) -> Option<Sp<i64>> {
        let e = self.file.get(key)?;
        let t = self.file.value(e).trim();
        let parsed = pci::parse_id(t)
            .map(i64::from)
            .or_else(|| t.parse::<i64>().ok());
        match parsed {
            Some(v) => Some(Sp::new(v, e.value)),
            None => {
                self.diags.push(self.file.wrong_type(e, "an integer"));
                None
            }
        }
    }

    fn bool(&mut self, key: &str) -> Option<Sp<bool>> {
        let e = self.file.get(key)?;
        match parse_bool(self.file.value(e)) {
            Some(v) => Some(Sp::new(v, e.value)),
            None => {
                self.diags.push(self.file.wrong_type(e, "TRUE or FALSE"));
                None
            }
        }
    }

    fn id(&mut self, e: Option<&RawEntry>) -> Option<Sp<i64>> {
        let e = e?;
        match pci::parse_id(self.file.value(e)) {
            Some(v) => Some(Sp::new(i64::from(v), e.value)),
            None => {
                self.diags
                    .push(self.file.wrong_type(e, "a PCI id such as `0x10de`"));
                None
            }
        }
    }
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
    let count = vmsd.value(n).trim().parse::<usize>().unwrap_or(0).min(1024);
    let mut names: Vec<Sp<String>> = vmsd
        .entries()
        .iter()
        .filter(|e| {
            let k = vmsd.key(e);
            k.get(..8)
                .is_some_and(|p| p.eq_ignore_ascii_case("snapshot"))
                && k.len() > 12
                && k.get(k.len() - 12..)
                    .is_some_and(|p| p.eq_ignore_ascii_case(".displayname"))
        })
        .map(|e| vmsd.value_sp(e))
        .collect();
    names.truncate(count);
    while names.len() < count {
        names.push(Sp::new(format!("snapshot {}", names.len() + 1), n.value));
    }
    Vmsd { snapshots: names }
}

#[derive(Default)]
struct Group<'a> {
    present: Option<(bool, Span)>,
    first_key: Option<Span>,
    id: Option<&'a RawEntry>,
    vendor: Option<&'a RawEntry>,
    device: Option<&'a RawEntry>,
    system: Option<&'a RawEntry>,
    allowed: Option<&'a RawEntry>,
    vgpu: Option<&'a RawEntry>,
    pf: Option<&'a RawEntry>,
}

/// The VM model of a parsed `.vmx`. `stem` is the file name without
/// `.vmx` (ESXi names the base disk after it). Returns `None` for an
/// encrypted VM, with the VL005 that says so.
pub fn to_vm(
    file: FileId,
    vmx: VmxFile,
    stem: &str,
    vmsd: Option<Vmsd>,
) -> (Option<Vm>, Vec<Diagnostic>) {
    if let Some(e) = vmx
        .get("encryption.keySafe")
        .or_else(|| vmx.get("encryption.data"))
    {
        let d = Diagnostic::new(
            codes::UNREADABLE,
            Severity::Error,
            e.key,
            "this VM is encrypted; its configuration cannot be checked",
        )
        .with_label("encrypted configuration")
        .with_help("check the VM where its configuration is decrypted, or exclude the file");
        return (None, vec![d]);
    }
    // "missing" points at the first setting of the file
    let span = vmx
        .entries()
        .first()
        .map_or(Span::file_start(file), |e| e.key.to(e.value));
    let mut vm = Vm::new(file, span, Format::Vmx);
    let mut t = Typed {
        file: &vmx,
        diags: Vec::new(),
    };
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
        && !vmx.value(s).trim().is_empty()
    {
        vm.power_state = Some(Sp::new("suspended".to_string(), s.value));
    }
    vm.placement = match &vmx.placement {
        Some((false, name)) => Placement::Host(name.clone()),
        Some((true, name)) => Placement::Cluster(name.clone()),
        None => Placement::Unplaced,
    };

    let mut groups: BTreeMap<u64, Group> = BTreeMap::new();
    let mut disks: BTreeMap<&str, (Option<&RawEntry>, Option<bool>)> = BTreeMap::new();
    for e in vmx.entries() {
        let key = vmx.key(e);
        if let Some((n, field)) = passthrough_group(key) {
            let g = groups.entry(n).or_default();
            g.first_key.get_or_insert(e.key);
            match field.to_ascii_lowercase().as_str() {
                "present" => {
                    g.present = Some((parse_bool(vmx.value(e)).unwrap_or(false), e.key.to(e.value)))
                }
                "id" => g.id = Some(e),
                "vendorid" => g.vendor = Some(e),
                "deviceid" => g.device = Some(e),
                "systemid" => g.system = Some(e),
                "alloweddevices" => g.allowed = Some(e),
                "vgpu" => g.vgpu = Some(e),
                "pfid" => g.pf = Some(e),
                _ => {}
            }
        } else if let Some((disk, is_file)) = disk_key(key) {
            let d = disks.entry(disk).or_default();
            if is_file {
                d.0 = Some(e);
            } else {
                d.1 = parse_bool(vmx.value(e));
            }
        }
    }
    for (n, g) in groups {
        let Some((true, span)) = g.present else {
            continue;
        };
        let mut dev = Device::new(span, i64::try_from(n).unwrap_or(i64::MAX));
        if let Some(e) = g.id {
            // short forms are decimal, as ESXi writes them (`12:00.0`); a hex
            // letter makes a hand-written one hex: no reading is in doubt
            match pci::PciAddr::parse(vmx.value(e)) {
                Some(a) => dev.address = Some(Sp::new(a, e.value)),
                None => t.diags.push(vmx.wrong_type(
                    e,
                    "a PCI address such as `0000:3b:00.0` or `00000:059:00.0`",
                )),
            }
        }
        dev.vendor_id = t.id(g.vendor);
        dev.device_id = t.id(g.device);
        dev.system_id = g.system.map(|e| vmx.value_sp(e));
        if let Some(e) = g.allowed {
            // `0x10de:0x20f1`: the vendor and device of a Dynamic DirectPath device
            if let Some((v, d)) = vmx.value(e).split_once(':')
                && let (Some(v), Some(d)) = (pci::parse_id(v), pci::parse_id(d))
            {
                dev.vendor_id.get_or_insert(Sp::new(i64::from(v), e.value));
                dev.device_id.get_or_insert(Sp::new(i64::from(d), e.value));
            }
            dev.allowed_devices = Some(vmx.value_sp(e));
        }
        dev.vgpu = g.vgpu.map(|e| vmx.value_sp(e));
        dev.pf_id = g.pf.map(|e| vmx.value_sp(e));
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
        if is_delta_disk(vmx.value(e), &[name.as_str(), stem]) {
            vm.snapshots.push(vmx.value_sp(e));
        }
    }
    if vm.snapshots.is_empty()
        && let Some(vmsd) = vmsd
    {
        vm.snapshots = vmsd.snapshots;
    }
    let diags = t.diags;
    vm.raw = vmx.raw;
    (Some(vm), diags)
}

/// `pciPassthru12.deviceId` → (12, "deviceId"), in any case. The literal
/// key `pciPassthru*.present` of hardening scripts is not a group.
fn passthrough_group(key: &str) -> Option<(u64, &str)> {
    if !key.get(..11)?.eq_ignore_ascii_case("pcipassthru") {
        return None;
    }
    let rest = key.get(11..)?;
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits > 12 {
        return None;
    }
    let n = rest.get(..digits)?.parse().ok()?;
    let field = rest.get(digits..)?.strip_prefix('.')?;
    Some((n, field))
}

/// `scsi0:1.fileName` → ("scsi0:1", true); `scsi0:1.present` → ("scsi0:1", false).
fn disk_key(key: &str) -> Option<(&str, bool)> {
    let (disk, field) = key.rsplit_once('.')?;
    let is_file = field.eq_ignore_ascii_case("filename");
    if !is_file && !field.eq_ignore_ascii_case("present") {
        return None;
    }
    let bus = disk.trim_end_matches(|c: char| c.is_ascii_digit() || c == ':');
    let known = ["scsi", "sata", "nvme", "ide"]
        .iter()
        .any(|b| bus.eq_ignore_ascii_case(b));
    (known && disk.contains(':')).then_some((disk, is_file))
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
