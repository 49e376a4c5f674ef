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

use super::{Host, HostPci, PciAddr, Raw, Spanned, Version, class_name_of, pci};
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
    let has = |key: &str| lines.iter().any(|(_, l)| l.trim_start().starts_with(key));
    let command = if has("Passthru Capable:") || has("Address: ") {
        "hardware pci list"
    } else if lines
        .iter()
        .any(|(_, l)| l.starts_with("Device ID") && l.contains("Enabled"))
    {
        "hardware pci pcipassthru list"
    } else if has("Is Boot Device:") || has("Devfs Path:") {
        "storage core device list"
    } else if has("Product: VMware ESXi") {
        "system version get"
    } else if has("Active:") && has("Configured:") {
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

/// A `Key: value` line: the key, the value and the value's offset in the line.
fn key_value(line: &str) -> Option<(&str, &str, usize)> {
    let (k, v) = line.split_once(':')?;
    let key = k.trim();
    if key.is_empty() || key.contains("  ") {
        return None;
    }
    let value = v.trim();
    let at = k.len() + 1 + (v.len() - v.trim_start().len());
    Some((key, value, at))
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
    let mut host = Host {
        file,
        span: Span::file_start(file),
        name: None,
        cluster: None,
        esxi_version: None,
        iommu: None,
        iommu_inferred: false,
        boot_device: None,
        coredump_transport: None,
        coredump_span: None,
        system_id: None,
        pci: Vec::new(),
        pci_span: None,
        raw: Raw::default(),
    };
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
                        Some(("Version", v, at)) => Some((v, at)),
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
                    if let Some(("Host Name", v, at)) = key_value(line)
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
                for (off, line) in &s.lines {
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
                    if !line.starts_with(' ') && !line.trim().is_empty() {
                        if let Some(d) = current.take() {
                            usb_disks.push((d, usb));
                        }
                        current = Some(line.trim().to_string());
                        usb = false;
                    } else if let Some(("Is USB" | "Is Boot USB Device", v, _)) = key_value(line) {
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
                    if let Some(("Boot NIC", v, at)) = key_value(line)
                        && v.eq_ignore_ascii_case("yes")
                    {
                        host.boot_device =
                            Some(Spanned::new("pxe".to_string(), sp(*off, at, v.len())));
                    }
                }
            }
            "system coredump partition get" | "system coredump file get" => {
                let is_file = s.command.ends_with("file get");
                for (off, line) in &s.lines {
                    if let Some(("Active", v, at)) = key_value(line) {
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
            host.pci.push(HostPci {
                span,
                address: Some(Spanned::new(addr, span)),
                vendor_id: None,
                device_id: None,
                class: None,
                class_name: None,
                name: None,
                passthrough: None,
                mmio_gb: None,
            });
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
        if !line.starts_with(' ') && !line.trim().is_empty() {
            flush(usb, boot.take(), host);
            usb = false;
        }
        match key_value(line) {
            Some(("Is USB" | "Is Boot USB Device", v, _)) => usb |= v == "true",
            Some(("Is Boot Device", "true", at)) => {
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
        if !line.starts_with(' ') && !line.trim().is_empty() {
            // a device's first line is its address, alone
            out.push(HostPci {
                span: sp(0, line.trim_end().len()),
                address: None,
                vendor_id: None,
                device_id: None,
                class: None,
                class_name: None,
                name: None,
                passthrough: None,
                mmio_gb: None,
            });
            continue;
        }
        let (Some(dev), Some((key, value, at))) = (out.last_mut(), key_value(line)) else {
            continue;
        };
        let here = sp(at, value.len());
        let id = || pci::parse_id(value).map(|v| Spanned::new(i64::from(v), here));
        match key {
            "Address" => match PciAddr::read(value, pci::Radix::Hex) {
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
            "Vendor ID" => dev.vendor_id = id(),
            "Device ID" => dev.device_id = id(),
            "Device Class" => {
                dev.class = id();
                dev.class_name = dev
                    .class
                    .as_ref()
                    .and_then(|c| class_name_of(c.value))
                    .map(|n| Spanned::new(n.to_string(), here));
            }
            "Device Name" if !value.is_empty() => {
                dev.name = Some(Spanned::new(value.to_string(), here));
            }
            "Current Owner" | "Configured Owner" if value.eq_ignore_ascii_case("VM Passthru") => {
                dev.passthrough = Some(Spanned::new("enabled".to_string(), here));
                capable_any = capable_any.or(Some((here, true)));
            }
            "Passthru Capable" => {
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
mod tests {
    use super::*;

    fn host(text: &str) -> (Option<Host>, Vec<Diagnostic>) {
        let mut d = Vec::new();
        let h = read(FileId(0), text, "from-file-name", &mut d);
        (h, d)
    }

    #[test]
    fn every_command_line_form_is_one_command() {
        for line in [
            "[root@esx01:~] esxcli hardware pci list",
            "$ esxcli hardware pci list",
            "# esxcli hardware pci list",
            "esxcli hardware pci list",
            "[root@esx01:~] esxcli --formatter=keyvalue hardware pci list | grep -A3 x",
        ] {
            assert_eq!(
                command_line(line).map(|c| c.0),
                Some("hardware pci list".to_string()),
                "{line}"
            );
        }
        assert_eq!(
            command_line("[root@esx01:~] esxcli x").and_then(|c| c.1),
            Some("esx01")
        );
        assert_eq!(command_line("   Address: 0000:3b:00.0"), None);
        // another command at a prompt ends a section, and is not read
        assert_eq!(
            command_line("[root@esx01:~] ls -l /bootbank").map(|c| c.0),
            Some(String::new())
        );
    }

    #[test]
    fn commands_in_any_order_and_missing_ones_stay_unknown() {
        let text = "$ esxcli hardware pci pcipassthru list\nDevice ID     Enabled\n------------  -------\n0000:3b:00.0  true\n\n$ vmware -vl\nVMware ESXi 8.0.1 build-21495797\nVMware ESXi 8.0 Update 1\n";
        let (h, d) = host(text);
        let h = h.unwrap();
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(h.esxi_version.map(|v| v.value), Version::parse("8.0.1"));
        assert_eq!(h.pci.len(), 1);
        assert_eq!(
            h.pci[0].passthrough.as_ref().map(|p| p.value.as_str()),
            Some("enabled")
        );
        // nothing printed the name: the file's; nor the boot device, coredump or IOMMU
        assert_eq!(h.name.map(|n| n.value), Some("from-file-name".to_string()));
        assert!(h.boot_device.is_none() && h.coredump_transport.is_none() && h.iommu.is_none());
    }

    #[test]
    fn output_saved_without_its_command_line_is_recognised() {
        let text = "0000:04:00.0\n   Address: 0000:04:00.0\n   Vendor ID: 0x10de\n   Device ID: 0x1eb8\n   Device Class: 0x0302\n   Current Owner: VM Passthru\n   Passthru Capable: true\n";
        let (h, _) = host(text);
        let h = h.unwrap();
        assert_eq!(h.pci.len(), 1);
        assert_eq!(
            h.pci[0].class_name.as_ref().map(|c| c.value.as_str()),
            Some("display")
        );
        assert_eq!(h.iommu.map(|i| i.value), Some("enabled".to_string()));
        // text that is no capture at all says so
        let (h, d) = host("hello\nworld\n");
        assert!(h.is_none() && d.len() == 1, "{d:?}");
    }

    #[test]
    fn the_coredump_lives_on_the_disk_the_partition_is_on() {
        let text = "[root@e:~] esxcli storage core device list\nmpx.vmhba32:C0:T0:L0\n   Is USB: true\n   Is Boot Device: true\n\n[root@e:~] esxcli system coredump partition get\n   Active: mpx.vmhba32:C0:T0:L0:9\n   Configured: mpx.vmhba32:C0:T0:L0:9\n";
        let h = host(text).0.unwrap();
        assert_eq!(
            h.coredump_transport.map(|c| c.value),
            Some("usb".to_string())
        );
        assert_eq!(h.boot_device.map(|b| b.value), Some("usb".to_string()));
        assert_eq!(h.name.map(|n| n.value), Some("e".to_string()));
        // a partition on a disk the capture does not describe: unknown, not guessed
        let h = host("[root@e:~] esxcli system coredump partition get\n   Active: naa.600:7\n")
            .0
            .unwrap();
        assert!(h.coredump_transport.is_none());
    }
}
