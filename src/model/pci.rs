//! PCI addresses: takes the spellings real `.vmx` files, hosts and esxcli
//! use, gives (domain, bus, slot, function) to compare numerically.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
        let hex = has_letter || domain.is_some_and(|d| d.len() == 4);
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
