//! The closed sets of values: one list each, read by the YAML loader (a
//! value outside it is a VL002), by the checker (a rule comparing with a
//! value outside it is a load-time error with a "did you mean") and by the
//! field table's documentation.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enum {
    DeviceKind,
    Firmware,
    PowerState,
    DrsAutomation,
    Iommu,
    BootDevice,
    CoredumpTransport,
    Passthrough,
    PciClass,
    Format,
}

impl Enum {
    pub fn values(self) -> &'static [&'static str] {
        match self {
            Enum::DeviceKind => &["static", "dynamic", "sriov", "vgpu"],
            Enum::Firmware => &["bios", "efi"],
            Enum::PowerState => &["poweredOn", "poweredOff", "suspended"],
            Enum::DrsAutomation => &["disabled", "manual", "partiallyAutomated", "fullyAutomated"],
            Enum::Iommu => &["enabled", "disabled"],
            Enum::BootDevice => &["usb", "sd", "disk", "san", "pxe"],
            Enum::CoredumpTransport => &["usb", "sd", "disk", "network", "file", "none"],
            Enum::Passthrough => &["enabled", "disabled", "unsupported"],
            Enum::PciClass => &[
                "usb",
                "storage",
                "network",
                "display",
                "multimedia",
                "memory",
                "bridge",
                "serial-bus",
                "processor",
                "encryption",
                "accelerator",
            ],
            Enum::Format => crate::model::Format::NAMES,
        }
    }

    pub fn contains(self, value: &str) -> bool {
        self.values().contains(&value)
    }
}

impl fmt::Display for Enum {
    /// `` `a`, `b` or `c` ``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.values();
        for (i, x) in v.iter().enumerate() {
            let sep = match i {
                0 => "",
                _ if i + 1 == v.len() => " or ",
                _ => ", ",
            };
            write!(f, "{sep}`{x}`")?;
        }
        Ok(())
    }
}
