//! Static types of the rule language, used by the checker.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum RecordType {
    Vm,
    Host,
    Device,
    HostPci,
    Mmio64,
    Migration,
    HotAdd,
    Coredump,
}

impl RecordType {
    pub fn name(self) -> &'static str {
        match self {
            RecordType::Vm => "vm",
            RecordType::Host => "host",
            RecordType::Device => "passthrough device",
            RecordType::HostPci => "host PCI device",
            RecordType::Mmio64 => "mmio64",
            RecordType::Migration => "migration",
            RecordType::HotAdd => "hot_add",
            RecordType::Coredump => "coredump",
        }
    }
}

/// Element types of lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem {
    Any,
    Int,
    Str,
    Record(RecordType),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Any,
    Null,
    Bool,
    Int,
    Str,
    Version,
    Pci,
    Record(RecordType),
    List(Elem),
    /// `raw`: every key of a descriptor, indexed by a string.
    Raw,
    /// A string from a closed set (`dev.kind`, `host.iommu`...).
    Enum(super::enums::Enum),
}

impl Ty {
    pub fn elem(e: Elem) -> Ty {
        match e {
            Elem::Any => Ty::Any,
            Elem::Int => Ty::Int,
            Elem::Str => Ty::Str,
            Elem::Record(r) => Ty::Record(r),
        }
    }

    pub fn to_elem(self) -> Elem {
        match self {
            Ty::Int => Elem::Int,
            Ty::Str | Ty::Enum(_) => Elem::Str,
            Ty::Record(r) => Elem::Record(r),
            _ => Elem::Any,
        }
    }

    /// Whether a value of this type may stand where `want` is expected.
    pub fn fits(self, want: Ty) -> bool {
        self == want
            || matches!(self, Ty::Any | Ty::Null)
            || want == Ty::Any
            // a value of a closed set is a string
            || matches!((self, want), (Ty::Enum(_), Ty::Str) | (Ty::Str, Ty::Enum(_)))
            || matches!(
                (self, want),
                (Ty::List(_), Ty::List(Elem::Any)) | (Ty::List(Elem::Any), Ty::List(_))
            )
    }

    /// The type two branches have together.
    pub fn join(self, other: Ty) -> Ty {
        match (self, other) {
            (a, b) if a == b => a,
            (Ty::Enum(_), Ty::Str | Ty::Enum(_)) | (Ty::Str, Ty::Enum(_)) => Ty::Str,
            (Ty::Null, b) => b,
            (a, Ty::Null) => a,
            _ => Ty::Any,
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Any => f.write_str("any value"),
            Ty::Null => f.write_str("null"),
            Ty::Bool => f.write_str("a boolean"),
            Ty::Int => f.write_str("a number"),
            Ty::Str => f.write_str("a string"),
            Ty::Enum(e) => write!(f, "one of {e}"),
            Ty::Version => f.write_str("a version"),
            Ty::Pci => f.write_str("a PCI address"),
            Ty::Record(
                r @ (RecordType::Mmio64
                | RecordType::Migration
                | RecordType::HotAdd
                | RecordType::Coredump),
            ) => {
                write!(f, "the {} settings", r.name())
            }
            Ty::Record(r) => write!(f, "a {}", r.name()),
            Ty::List(Elem::Record(r)) => write!(f, "a list of {}s", r.name()),
            Ty::List(Elem::Int) => f.write_str("a list of numbers"),
            Ty::List(Elem::Str) => f.write_str("a list of strings"),
            Ty::List(Elem::Any) => f.write_str("a list"),
            Ty::Raw => f.write_str("the raw keys"),
        }
    }
}

/// The name used in `param NAME: TYPE`.
pub fn from_name(name: &str) -> Option<Ty> {
    Some(match name {
        "int" => Ty::Int,
        "string" => Ty::Str,
        "bool" => Ty::Bool,
        "version" => Ty::Version,
        "list" => Ty::List(Elem::Any),
        _ => return None,
    })
}
