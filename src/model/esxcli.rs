//! esxcli captures: takes the text one host printed for several commands,
//! each after its command line (`[root@esx01:~] esxcli hardware pci list`,
//! `$ esxcli ...`, a bare `esxcli ...`), gives the host with a span into the
//! capture on every fact. Commands may come in any order, and any may be
//! missing: what no command printed stays unknown, never guessed. Read:
//! `system version get` (and `vmware -v`/`-vl`), `system hostname get`,
//! `hardware pci list`, `hardware pci pcipassthru list`,
//! `storage core device list`, `system boot device get`,
//! `system coredump partition get` and `system coredump file get`.
//!
//! Whether the IOMMU is on is not printed: a device that is passthrough
//! capable, or owned by passthrough, says it is (an inferred fact); nothing
//! says it is off, so it is never read as off.

use super::{Host, HostPci, PciAddr, Spanned, Version, class_name_of, pci};
use crate::diagnostic::{Diagnostic, codes};
use crate::source::{FileId, Span};

/// One command's output: its command line, and its lines with their offsets.
struct Section<'t> {
    command: String,
    /// The prompt's host (`[root@esx01:~]`), if the command line had one.
    prompt_host: Option<&'t str>,
    lines: Vec<(usize, &'t str)>,
}

/// The command a line runs, and the prompt's host: `[root@esx01:~] esxcli
/// hardware pci list`, `$ esxcli ...`, `# esxcli ...`, `esxcli ...`,
/// `vmware -vl`.
fn command_line(line: &str) -> Option<(String, Option<&str>)> {
    let t = line.trim_start();
    let (prompt_host, rest) = match t.strip_prefix('[') {
        Some(p) => {
            let (inside, rest) = p.split_once(']')?;
            let host = inside.split_once('@').map(|(_, h)| h).unwrap_or(inside);
            let host = host.split(':').next().unwrap_or(host).trim();
            (Some(host).filter(|h| !h.is_empty()), rest.trim_start())
        }
        None => (
            None,
            t.strip_prefix("$ ")
                .or_else(|| t.strip_prefix("# "))
                .unwrap_or(t),
        ),
    };
    let rest = rest.trim_start_matches(['$', '#', ' ']);
    let words: Vec<&str> = rest.split_whitespace().collect();
    match words.first() {
        // `esxcli --formatter=... hardware pci list`: the command without options
        Some(&"esxcli") => {
            let cmd: Vec<&str> = words
                .iter()
                .skip(1)
                .take_while(|w| !w.starts_with('|'))
                .filter(|w| !w.starts_with('-'))
                .copied()
                .collect();
            Some((cmd.join(" "), prompt_host))
        }
        Some(&"vmware") => Some(("vmware".to_string(), prompt_host)),
        // another command at a prompt ends the section before it
        Some(_) if prompt_host.is_some() => Some((String::new(), prompt_host)),
        _ => None,
    }
}

/// The command whose output `lines` look like, for output saved without
/// its command line: each command prints keys no other prints.
fn recognise(lines: &[(usize, &str)]) -> String {
    let keys: Vec<String> = lines
        .iter()
        .filter_map(|(_, l)| key_value(l))
        .map(|k| k.0)
        .collect();
    let has = |key: &str| keys.iter().any(|k| k == key);
    let table = lines
        .iter()
        .any(|(_, l)| l.starts_with("Device ID") && l.contains("Enabled"));
    let command = if has("passthrucapable") || (has("address") && has("vendorid")) {
        "hardware pci list"
    } else if table || (has("deviceid") && has("enabled")) {
        "hardware pci pcipassthru list"
    } else if has("isbootdevice") || has("devfspath") {
        "storage core device list"
    } else if has("product") && has("build") {
        "system version get"
    } else if has("active") && has("configured") {
        "system coredump partition get"
    } else {
        ""
    };
    command.to_string()
}

fn sections(text: &str) -> Vec<Section<'_>> {
    let mut out: Vec<Section<'_>> = vec![Section {
        command: String::new(),
        prompt_host: None,
        lines: Vec::new(),
    }];
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        if let Some((command, prompt_host)) = command_line(line) {
            out.push(Section {
                command,
                prompt_host,
                lines: Vec::new(),
            });
        } else if let Some(s) = out.last_mut() {
            s.lines.push((start, line));
        }
    }
    // output before any command line (saved without one) is recognised
    if let Some(first) = out.first_mut()
        && first.command.is_empty()
    {
        first.command = recognise(&first.lines);
    }
    out
}

/// A key as both forms spell it: `Passthru Capable` and `PassthruCapable`
/// are `passthrucapable`.
fn norm(key: &str) -> String {
    key.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A `--formatter=keyvalue` line, `PCIDevice.PassthruCapable.boolean=true`,
/// or a `--formatter=xml` one, `<field name="Passthru Capable"><boolean>true</boolean></field>`.
fn keyvalue(line: &str) -> Option<(&str, &str, usize)> {
    if let Some(x) = xml_field(line) {
        return Some(x);
    }
    let (left, value) = line.split_once('=')?;
    let parts: Vec<&str> = left.trim().split('.').collect();
    let field = match parts.as_slice() {
        [_, field, _] => *field,
        [_, .., field, _] => *field,
        _ => return None,
    };
    (!field.is_empty() && !left.contains(' ')).then_some((field, value.trim(), left.len() + 1))
}

/// `<field name="Address"><string>0000:3b:00.0</string></field>`: the
/// name, the value and the value's offset in the line.
fn xml_field(line: &str) -> Option<(&str, &str, usize)> {
    let lead = line.len() - line.trim_start().len();
    let rest = line.get(lead..)?.strip_prefix("<field name=\"")?;
    let (name, after) = rest.split_once('"')?;
    // `><string>` : past the field's `>` and the value's opening tag
    let open = after.find('>')? + 1;
    let inner = after.get(open..)?;
    let vstart = inner.find('>')? + 1;
    let value_and_rest = inner.get(vstart..)?;
    let vend = value_and_rest.find("</")?;
    let value = value_and_rest.get(..vend)?;
    let at = line.len() - value_and_rest.len();
    Some((name, value.trim(), at))
}

/// A `Key: value` line (or its keyvalue form): the key as [`norm`] spells
/// it, the value and the value's offset in the line.
fn key_value(line: &str) -> Option<(String, &str, usize)> {
    if let Some((k, v, at)) = keyvalue(line) {
        return Some((norm(k), v, at));
    }
    let (k, v) = line.split_once(':')?;
    let key = k.trim();
    if key.is_empty() || key.contains("  ") {
        return None;
    }
    let value = v.trim();
    let at = k.len() + 1 + (v.len() - v.trim_start().len());
    Some((norm(key), value, at))
}

/// The first line of a record in the text form: a device's address, a
/// disk's name, alone and not indented.
fn record_head(line: &str) -> bool {
    !line.starts_with([' ', '\t', '<']) && !line.trim().is_empty() && keyvalue(line).is_none()
}

/// Whether a text (a `.txt` file) is an esxcli capture: it holds an
/// `esxcli ...` command line of a command vmlint reads, or output that
/// can only be esxcli's (`Passthru Capable:` lines).
pub fn is_capture(text: &str) -> bool {
    sections(text).iter().any(|s| !s.command.is_empty())
}

/// Reads one capture into a host. `stem` names the host when nothing in
/// the capture does.
pub fn read(file: FileId, text: &str, stem: &str, diags: &mut Vec<Diagnostic>) -> Option<Host> {
    let secs = sections(text);
    if !secs.iter().any(|s| !s.command.is_empty()) {
        diags.push(
            Diagnostic::engine(
                codes::PARSE,
                Span::new(file, 0, text.find('\n').unwrap_or(text.len())),
                "this capture holds no esxcli command vmlint reads, so it describes no host",
            )
            .with_label("no `esxcli ...` line, and no output vmlint recognises")
            .with_help("each command's output follows its command line, as an SSH session shows it: `[root@esx01:~] esxcli hardware pci list`"),
        );
        return None;
    }
    let mut host = Host::new(file, Span::file_start(file));
    let sp = |offset: usize, line_at: usize, len: usize| {
        Span::new(file, offset + line_at, offset + line_at + len)
    };
    let mut enabled: Vec<(PciAddr, bool, Span)> = Vec::new();
    let mut capable_seen = None;
    let mut usb_disks: Vec<(String, bool)> = Vec::new();
    let mut coredump: Option<(String, Span, bool)> = None;
    for s in &secs {
        match s.command.as_str() {
            "system version get" | "vmware" => {
                for (off, line) in &s.lines {
                    let value = match key_value(line) {
                        Some((k, v, at)) if k == "version" => Some((v, at)),
                        Some(_) => None,
                        // `vmware -v`: `VMware ESXi 8.0.2 build-22380479`
                        None if line.trim_start().starts_with("VMware ESXi") => {
                            Some((line.trim(), line.len() - line.trim_start().len()))
                        }
                        None => None,
                    };
                    if let Some((v, at)) = value
                        && host.esxi_version.is_none()
                    {
                        match Version::parse(v) {
                            Some(ver) => {
                                host.esxi_version = Some(Spanned::new(ver, sp(*off, at, v.len())))
                            }
                            None => diags.push(
                                Diagnostic::engine(
                                    codes::SCHEMA,
                                    sp(*off, at, v.len()),
                                    format!("`{v}` is not an ESXi version vmlint can read"),
                                )
                                .with_label("not a version"),
                            ),
                        }
                    }
                }
            }
            "system hostname get" => {
                for (off, line) in &s.lines {
                    if let Some((k, v, at)) = key_value(line)
                        && k == "hostname"
                        && !v.is_empty()
                    {
                        host.name = Some(Spanned::new(v.to_string(), sp(*off, at, v.len())));
                    }
                }
            }
            "hardware pci list" => {
                let (devices, capable) = pci_devices(file, &s.lines, diags);
                capable_seen = capable_seen.or(capable);
                if let Some((off, _)) = s.lines.first() {
                    host.pci_span = Some(Span::new(file, *off, *off));
                }
                host.pci.extend(devices);
            }
            "hardware pci pcipassthru list" => {
                let mut kv_addr: Option<(PciAddr, usize)> = None;
                for (off, line) in &s.lines {
                    // keyvalue: `...DeviceID.string=0000:03:00.0`, then `...Enabled.boolean=false`
                    if let Some((k, v, at)) = key_value(line).filter(|_| keyvalue(line).is_some()) {
                        match k.as_str() {
                            "deviceid" | "address" => {
                                kv_addr = PciAddr::parse(v).map(|a| (a, *off + at))
                            }
                            "enabled" => {
                                if let (Some((a, _)), Some(on)) =
                                    (kv_addr.take(), super::vmx::parse_bool(v))
                                {
                                    enabled.push((a, on, sp(*off, at, v.len())));
                                }
                            }
                            _ => {}
                        }
                        continue;
                    }
                    let mut words = line.split_whitespace();
                    if let (Some(a), Some(e)) = (words.next(), words.next())
                        && let Some(addr) = PciAddr::parse(a)
                        && let Some(on) = super::vmx::parse_bool(e)
                    {
                        let at = line.find(e).unwrap_or(0);
                        enabled.push((addr, on, sp(*off, at, e.len())));
                    }
                }
            }
            "storage core device list" => {
                let mut current: Option<String> = None;
                let mut usb = false;
                for (_, line) in &s.lines {
                    let kv = key_value(line);
                    let head = match &kv {
                        Some((k, v, _)) if k == "device" => Some(v.to_string()),
                        _ if record_head(line) => Some(line.trim().to_string()),
                        _ => None,
                    };
                    if let Some(name) = head {
                        if let Some(d) = current.take() {
                            usb_disks.push((d, usb));
                        }
                        current = Some(name);
                        usb = false;
                    } else if let Some((k, v, _)) = kv
                        && (k == "isusb" || k == "isbootusbdevice")
                    {
                        usb |= v == "true";
                    }
                }
                if let Some(d) = current.take() {
                    usb_disks.push((d, usb));
                }
                boot_device_from_list(file, &s.lines, &mut host);
            }
            "system boot device get" => {
                for (off, line) in &s.lines {
                    if let Some((k, v, at)) = key_value(line)
                        && k == "bootnic"
                        && (v.eq_ignore_ascii_case("yes") || v == "true")
                    {
                        host.boot_device =
                            Some(Spanned::new("pxe".to_string(), sp(*off, at, v.len())));
                    }
                }
            }
            "system coredump partition get" | "system coredump file get" => {
                let is_file = s.command.ends_with("file get");
                for (off, line) in &s.lines {
                    if let Some((k, v, at)) = key_value(line)
                        && k == "active"
                    {
                        coredump = Some((v.to_string(), sp(*off, at, v.len()), is_file));
                    }
                }
            }
            _ => {}
        }
    }
    // enabled per device, from `pcipassthru list`, wins over the owners
    for (addr, on, span) in enabled {
        // a device that only `pcipassthru list` names is known by address and state
        if !host
            .pci
            .iter()
            .any(|p| p.address.as_ref().is_some_and(|a| a.value == addr))
        {
            let mut p = HostPci::new(span);
            p.address = Some(Spanned::new(addr, span));
            host.pci.push(p);
        }
        if let Some(p) = host
            .pci
            .iter_mut()
            .find(|p| p.address.as_ref().is_some_and(|a| a.value == addr))
        {
            let capable = p
                .passthrough
                .as_ref()
                .is_none_or(|s| s.value != "unsupported");
            let state = match (on, capable) {
                (true, _) => "enabled",
                (false, true) => "disabled",
                (false, false) => "unsupported",
            };
            p.passthrough = Some(Spanned::new(state.to_string(), span));
        }
    }
    if let Some((span, true)) = capable_seen {
        // inferred: a device can be passed through only with the IOMMU on
        host.iommu = Some(Spanned::new("enabled".to_string(), span));
        host.iommu_inferred = true;
    }
    if let Some((active, span, is_file)) = coredump {
        let transport = if is_file {
            (!active.is_empty()).then_some("file")
        } else {
            // `mpx.vmhba32:C0:T0:L0:9`: the disk is what stands before the partition
            let disk = active.rsplit_once(':').map_or(active.as_str(), |(d, _)| d);
            usb_disks
                .iter()
                .find(|(d, _)| d == disk)
                .map(|(_, usb)| if *usb { "usb" } else { "disk" })
        };
        if let Some(t) = transport {
            host.coredump_transport = Some(Spanned::new(t.to_string(), span));
            host.coredump_span = Some(span);
        }
    }
    if host.name.is_none() {
        let prompt = secs.iter().find_map(|s| s.prompt_host);
        let name = prompt.unwrap_or(stem);
        // the prompt's span: where it stands in the file
        let span = prompt
            .and_then(|p| text.find(p).map(|at| Span::new(file, at, at + p.len())))
            .unwrap_or(Span::file_start(file));
        host.name = Some(Spanned::new(name.to_string(), span));
    }
    Some(host)
}

/// The boot device: the `Is Boot Device: true` disk of `storage core
/// device list`, USB (or SD behind USB) when it says `Is USB: true`.
fn boot_device_from_list(file: FileId, lines: &[(usize, &str)], host: &mut Host) {
    let mut usb = false;
    let mut boot: Option<Span> = None;
    let flush = |usb: bool, boot: Option<Span>, host: &mut Host| {
        if let (Some(span), None) = (boot, &host.boot_device) {
            let kind = if usb { "usb" } else { "disk" };
            host.boot_device = Some(Spanned::new(kind.to_string(), span));
        }
    };
    for (off, line) in lines {
        let kv = key_value(line);
        if record_head(line) || kv.as_ref().is_some_and(|(k, _, _)| k == "device") {
            flush(usb, boot.take(), host);
            usb = false;
        }
        match kv {
            Some((k, v, _)) if k == "isusb" || k == "isbootusbdevice" => usb |= v == "true",
            Some((k, "true", at)) if k == "isbootdevice" => {
                boot = Some(Span::new(file, off + at, off + at + 4));
            }
            _ => {}
        }
    }
    flush(usb, boot, host);
}

/// The devices of `hardware pci list`, and the first `Passthru Capable`
/// (its span, and whether it said true).
fn pci_devices(
    file: FileId,
    lines: &[(usize, &str)],
    diags: &mut Vec<Diagnostic>,
) -> (Vec<HostPci>, Option<(Span, bool)>) {
    let mut out: Vec<HostPci> = Vec::new();
    let mut capable_any: Option<(Span, bool)> = None;
    for (off, line) in lines {
        let sp = |at: usize, len: usize| Span::new(file, off + at, off + at + len);
        // a device's first line is its address, alone (keyvalue: a new
        // `Address` field begins the next device)
        let kv_address = keyvalue(line).is_some_and(|(k, _, _)| norm(k) == "address")
            && out.last().is_none_or(|d| d.address.is_some());
        if record_head(line) || kv_address {
            out.push(HostPci::new(sp(0, line.trim_end().len())));
            if !kv_address {
                continue;
            }
        }
        let (Some(dev), Some((key, value, at))) = (out.last_mut(), key_value(line)) else {
            continue;
        };
        let here = sp(at, value.len());
        let id = || pci::parse_id(value).map(|v| Spanned::new(i64::from(v), here));
        match key.as_str() {
            "address" => match PciAddr::read(value, pci::Radix::Hex) {
                Some((a, _)) => dev.address = Some(Spanned::new(a, here)),
                None => diags.push(
                    Diagnostic::engine(
                        codes::SCHEMA,
                        here,
                        format!("`{value}` is not a PCI address"),
                    )
                    .with_label("not a PCI address"),
                ),
            },
            "vendorid" => dev.vendor_id = id(),
            "deviceid" => dev.device_id = id(),
            "deviceclass" => {
                dev.class = id();
                dev.class_name = dev
                    .class
                    .as_ref()
                    .and_then(|c| class_name_of(c.value))
                    .map(|n| Spanned::new(n.to_string(), here));
            }
            // `PCI 0:94:0:1`: segment, bus, slot and function, in decimal
            "dependentdevice" => {
                let nums: Vec<u32> = value
                    .trim_start_matches("PCI")
                    .trim()
                    .split(':')
                    .filter_map(|n| n.trim().parse().ok())
                    .collect();
                if let [d, b, s, f] = nums.as_slice()
                    && let Some(a) = PciAddr::parse(&format!("{d:04x}:{b:02x}:{s:02x}.{f:x}"))
                {
                    dev.dependent = Some(Spanned::new(a, here));
                }
            }
            "devicename" if !value.is_empty() => {
                dev.name = Some(Spanned::new(value.to_string(), here));
            }
            "currentowner" => {
                let on = value.eq_ignore_ascii_case("VM Passthru") || value == "passthru";
                dev.active = Some(Spanned::new(on, here));
                if on {
                    dev.passthrough = Some(Spanned::new("enabled".to_string(), here));
                    capable_any = capable_any.or(Some((here, true)));
                }
            }
            "configuredowner"
                if value.eq_ignore_ascii_case("VM Passthru") || value == "passthru" =>
            {
                dev.passthrough = Some(Spanned::new("enabled".to_string(), here));
                capable_any = capable_any.or(Some((here, true)));
            }
            "passthrucapable" => {
                let capable = value == "true";
                if capable {
                    capable_any = match capable_any {
                        Some((_, true)) => capable_any,
                        _ => Some((here, true)),
                    };
                }
                if dev.passthrough.is_none() {
                    let state = if capable { "disabled" } else { "unsupported" };
                    dev.passthrough = Some(Spanned::new(state.to_string(), here));
                }
            }
            _ => {}
        }
    }
    (out, capable_any)
}

#[cfg(test)]
mod tests;
