//! PCI addresses: takes the spellings real `.vmx` files, hosts and esxcli
//! use, gives (domain, bus, slot, function) to compare numerically.

use std::fmt;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct PciAddr {
    pub domain: u32,
    pub bus: u16,
    pub slot: u8,
    pub function: u8,
}

impl fmt::Display for PciAddr {
    /// The host's canonical form, as esxcli prints it: `0000:3b:00.0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{:x}",
            self.domain, self.bus, self.slot, self.function
        )
    }
}

impl PciAddr {
    /// Parses every real spelling:
    /// - `0000:3b:00.0` / `0000:AF:00.0`: four-digit domain, all hex (hosts, esxcli);
    /// - `00000:059:00.0`: five-digit domain, all decimal (ESXi 6.5 and later);
    /// - `130:00.0`, `06:00.0`: no domain, decimal bus (older hosts);
    /// - `0:66:0.0`: hand-written short fields, decimal.
    ///
    /// A field with a hex letter makes the whole address hex.
    pub fn parse(text: &str) -> Option<PciAddr> {
        PciAddr::read(text, Radix::Decimal).map(|(a, _)| a)
    }

    /// Parses with `short` as the radix of the forms that do not say
    /// theirs (no four-digit hex or five-digit decimal domain, no hex
    /// letter): decimal in `.vmx` files, as ESXi writes them; hex in YAML
    /// and host files, as esxcli prints them. The second value is the
    /// other reading, when the text reads as two different addresses.
    pub fn read(text: &str, short: Radix) -> Option<(PciAddr, Option<PciAddr>)> {
        let text = text.trim();
        let (head, _) = text.rsplit_once('.')?;
        let parts: Vec<&str> = head.split(':').collect();
        let domain = match parts.as_slice() {
            [d, _, _] => Some(*d),
            _ => None,
        };
        let said = text.chars().any(|c| c.is_ascii_alphabetic())
            || domain.is_some_and(|d| d.len() == 4 || d.len() == 5);
        let first = PciAddr::parse_radix(text, if said { None } else { Some(short) })?;
        if said {
            return Some((first, None));
        }
        let other = match short {
            Radix::Decimal => Radix::Hex,
            Radix::Hex => Radix::Decimal,
        };
        let second = PciAddr::parse_radix(text, Some(other)).filter(|a| *a != first);
        Some((first, second))
    }

    /// `force`: the radix of every field; `None`: as the text says.
    fn parse_radix(text: &str, force: Option<Radix>) -> Option<PciAddr> {
        let text = text.trim();
        let (head, function) = text.rsplit_once('.')?;
        let parts: Vec<&str> = head.split(':').collect();
        let (domain, bus, slot) = match parts.as_slice() {
            [d, b, s] => (Some(*d), *b, *s),
            [b, s] => (None, *b, *s),
            _ => return None,
        };
        let fields = [domain.unwrap_or("0"), bus, slot, function];
        if fields
            .iter()
            .any(|f| f.is_empty() || f.len() > 8 || !f.chars().all(|c| c.is_ascii_hexdigit()))
        {
            return None;
        }
        let has_letter = fields
            .iter()
            .any(|f| f.chars().any(|c| c.is_ascii_alphabetic()));
        let hex = match force {
            Some(r) => r == Radix::Hex,
            None => has_letter || domain.is_some_and(|d| d.len() == 4),
        };
        let radix = if hex { 16 } else { 10 };
        let num = |s: &str| u32::from_str_radix(s, radix).ok();
        let addr = PciAddr {
            domain: num(fields[0])?,
            bus: u16::try_from(num(bus)?).ok().filter(|b| *b <= 0xff)?,
            slot: u8::try_from(num(slot)?).ok().filter(|s| *s < 32)?,
            function: u8::try_from(num(function)?).ok().filter(|f| *f < 8)?,
        };
        Some(addr)
    }
}

/// The VL009 for an address that reads two ways: which reading was taken,
/// by the rule of the file's format, and how to write it unambiguously.
pub fn ambiguity(
    span: crate::source::Span,
    text: &str,
    taken: PciAddr,
    other: PciAddr,
    short: Radix,
) -> crate::diagnostic::Diagnostic {
    let (how, why) = match short {
        Radix::Decimal => ("decimal", "as ESXi writes `.vmx` files"),
        Radix::Hex => (
            "hex",
            "as esxcli prints addresses, the rule for YAML and host files",
        ),
    };
    crate::diagnostic::Diagnostic::engine(
        crate::diagnostic::codes::DOUBTFUL,
        span,
        format!("`{text}` reads two ways: it is taken as {how} ({why}), {taken}; the other reading is {other}"),
    )
    .with_label(format!("read as {taken}"))
    .with_help(format!("write the full form `{taken}` (or `{other}` if that is the device meant)"))
    .with_key(text.to_string())
}

/// How the short forms of a PCI address are read (see [`PciAddr::read`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Radix {
    Decimal,
    Hex,
}

/// Parses a PCI vendor, device or class id: `0x10de`, `10de` is not
/// accepted without the prefix, but plain decimal is (`4318`).
pub fn parse_id(text: &str) -> Option<u32> {
    let t = text.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(d: u32, b: u16, s: u8, f: u8) -> Option<PciAddr> {
        Some(PciAddr {
            domain: d,
            bus: b,
            slot: s,
            function: f,
        })
    }

    #[test]
    fn every_real_spelling_parses_to_the_same_address() {
        assert_eq!(PciAddr::parse("0000:3b:00.0"), a(0, 0x3b, 0, 0));
        assert_eq!(PciAddr::parse("00000:059:00.0"), a(0, 0x3b, 0, 0));
        assert_eq!(PciAddr::parse("0000:AF:00.0"), a(0, 0xaf, 0, 0));
        assert_eq!(PciAddr::parse("130:00.0"), a(0, 0x82, 0, 0));
        assert_eq!(PciAddr::parse("0:66:0.0"), a(0, 66, 0, 0));
        assert_eq!(PciAddr::parse("00000:002:00.1"), a(0, 2, 0, 1));
        assert_eq!(PciAddr::parse("06:00.0"), a(0, 6, 0, 0));
    }

    #[test]
    fn short_forms_read_by_the_files_rule_and_say_when_they_read_two_ways() {
        // .vmx: decimal, as ESXi writes; YAML and hosts: hex, as esxcli prints
        assert_eq!(
            PciAddr::read("10:00.0", Radix::Decimal),
            Some((a(0, 10, 0, 0).unwrap(), a(0, 16, 0, 0)))
        );
        assert_eq!(
            PciAddr::read("10:00.0", Radix::Hex),
            Some((a(0, 16, 0, 0).unwrap(), a(0, 10, 0, 0)))
        );
        // the same either way, or said by a letter or the domain's width: one reading
        assert_eq!(
            PciAddr::read("06:00.0", Radix::Hex),
            Some((a(0, 6, 0, 0).unwrap(), None))
        );
        assert_eq!(
            PciAddr::read("0a:00.0", Radix::Decimal),
            Some((a(0, 10, 0, 0).unwrap(), None))
        );
        assert_eq!(
            PciAddr::read("0000:10:00.0", Radix::Decimal),
            Some((a(0, 16, 0, 0).unwrap(), None))
        );
        assert_eq!(
            PciAddr::read("00000:010:00.0", Radix::Hex),
            Some((a(0, 10, 0, 0).unwrap(), None))
        );
        // 130 is no hex bus: decimal is the only reading
        assert_eq!(
            PciAddr::read("130:00.0", Radix::Decimal),
            Some((a(0, 130, 0, 0).unwrap(), None))
        );
    }

    #[test]
    fn nonsense_is_not_an_address() {
        for bad in [
            "",
            "x",
            "0000:3b:00",
            "0000:3b:40.0",
            "1:2:3:4.0",
            "0000:3b:00.9",
            "0000:zz:00.0",
            "999:00.0",
        ] {
            assert_eq!(PciAddr::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn canonical_form_is_the_hosts() {
        assert_eq!(
            PciAddr::parse("00000:059:00.0").map(|p| p.to_string()),
            Some("0000:3b:00.0".into())
        );
    }

    #[test]
    fn ids_are_hex_with_prefix() {
        assert_eq!(parse_id("0x10de"), Some(0x10de));
        assert_eq!(parse_id("4318"), Some(4318));
        assert_eq!(parse_id("0xzz"), None);
    }
}
