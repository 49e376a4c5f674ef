//! Values of the rule language. Each value remembers the span it came from
//! (and whether it is a missing key, pointing at the parent), so a failed
//! assertion can underline the text that made it fail at no extra cost.

use crate::model::{Device, Host, HostPci, PciAddr, Raw, Spanned, Version, Vm};
use crate::schema::types::RecordType;
use crate::source::Span;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// A record of the model: what `.field` applies to.
#[derive(Clone, Copy, Debug)]
pub enum Record<'a> {
    Vm(usize, &'a Vm),
    Host(usize, &'a Host),
    Device(&'a Device),
    /// A device of the host numbered by the first field.
    HostPci(usize, &'a HostPci),
    Mmio64(&'a Vm),
    Migration(&'a Vm),
    HotAdd(&'a Vm),
    Coredump(&'a Host),
}

impl Record<'_> {
    /// Where a field of this record is set to a value not known
    /// statically, if it is.
    pub fn unknown(&self, on: RecordType, name: &str) -> Option<Span> {
        let vm = match self {
            Record::Vm(_, vm) | Record::Mmio64(vm) | Record::HotAdd(vm) | Record::Migration(vm) => {
                vm
            }
            _ => return None,
        };
        vm.unknown
            .iter()
            .find(|(r, n, _)| *r == on && *n == name)
            .map(|(.., at)| *at)
    }

    /// The address of what the record stands on: with a field's index, it
    /// names one value of the model.
    pub fn address(&self) -> usize {
        match self {
            Record::Vm(_, vm) | Record::Mmio64(vm) | Record::Migration(vm) | Record::HotAdd(vm) => {
                std::ptr::from_ref::<crate::model::Vm>(vm) as usize
            }
            Record::Host(_, h) | Record::Coredump(h) => {
                std::ptr::from_ref::<crate::model::Host>(h) as usize
            }
            Record::Device(d) => std::ptr::from_ref::<crate::model::Device>(d) as usize,
            Record::HostPci(_, p) => std::ptr::from_ref::<crate::model::HostPci>(p) as usize,
        }
    }

    fn same(&self, other: &Record<'_>) -> bool {
        use Record::*;
        match (self, other) {
            (Vm(a, _), Vm(b, _)) | (Host(a, _), Host(b, _)) => a == b,
            (Device(a), Device(b)) => std::ptr::eq(*a, *b),
            (HostPci(_, a), HostPci(_, b)) => std::ptr::eq(*a, *b),
            _ => false,
        }
    }
}

#[derive(Clone, Debug)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Str(Cow<'a, str>),
    Version(Version),
    Pci(PciAddr),
    Record(Record<'a>),
    List(Arc<Vec<Val<'a>>>),
    Raw(&'a Raw),
}

#[derive(Clone, Debug)]
pub struct Val<'a> {
    pub v: Value<'a>,
    pub span: Option<Span>,
    /// A key that is absent: `span` is then its parent's.
    pub missing: bool,
    /// A key that is set, to a value not known before the tool runs (a
    /// Terraform module input, a Jinja2 template): null, and no `default`
    /// replaces it.
    pub unknown: bool,
}

impl<'a> Val<'a> {
    pub fn new(v: Value<'a>, span: Option<Span>) -> Val<'a> {
        Val {
            v,
            span,
            missing: false,
            unknown: false,
        }
    }

    pub fn null() -> Val<'a> {
        Val {
            v: Value::Null,
            span: None,
            missing: false,
            unknown: false,
        }
    }

    /// A key whose value is not known statically.
    pub fn unknown(span: Span) -> Val<'a> {
        Val {
            v: Value::Null,
            span: Some(span),
            missing: false,
            unknown: true,
        }
    }

    /// An absent key, located at its parent.
    pub fn missing(parent: Span) -> Val<'a> {
        Val {
            v: Value::Null,
            span: Some(parent),
            missing: true,
            unknown: false,
        }
    }

    pub fn bool(b: bool, span: Option<Span>) -> Val<'a> {
        Val::new(Value::Bool(b), span)
    }

    /// With the span (and missing flag) of `from`.
    pub fn at(mut self, from: &Val<'_>) -> Val<'a> {
        self.span = from.span;
        self.missing = from.missing;
        self
    }

    pub fn is_true(&self) -> bool {
        matches!(self.v, Value::Bool(true))
    }

    pub fn is_false(&self) -> bool {
        matches!(self.v, Value::Bool(false))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.v, Value::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.v {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self.v {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Val<'a>]> {
        match &self.v {
            Value::List(l) => Some(l),
            _ => None,
        }
    }
}

/// Equality as the language defines it: PCI addresses and versions compare
/// by value whatever their spelling; records by identity.
pub fn equal(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Version(x), Value::Version(y)) => x == y,
        (Value::Pci(x), Value::Pci(y)) => x == y,
        (Value::Version(x), Value::Str(s)) | (Value::Str(s), Value::Version(x)) => {
            Version::parse(s).is_some_and(|v| v == *x)
        }
        (Value::Pci(x), Value::Str(s)) | (Value::Str(s), Value::Pci(x)) => {
            PciAddr::parse(s).is_some_and(|p| p == *x)
        }
        (Value::Record(x), Value::Record(y)) => x.same(y),
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| equal(&a.v, &b.v))
        }
        _ => false,
    }
}

impl fmt::Display for Val<'_> {
    /// How a value reads inside a message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.v {
            Value::Null => f.write_str("missing"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => f.write_str(s),
            Value::Version(v) => write!(f, "{v}"),
            Value::Pci(p) => write!(f, "{p}"),
            Value::Record(Record::Vm(_, vm)) => f.write_str(vm.label()),
            Value::Record(Record::Host(_, h)) => {
                f.write_str(h.name.as_ref().map_or("?", |n| n.value.as_str()))
            }
            Value::Record(Record::Device(d)) => match &d.address {
                Some(a) => write!(f, "{}", a.value),
                None => write!(f, "device {}", d.index),
            },
            Value::Record(Record::HostPci(_, p)) => match &p.address {
                Some(a) => write!(f, "{}", a.value),
                None => f.write_str("?"),
            },
            Value::Record(_) | Value::Raw(_) => f.write_str("{...}"),
            Value::List(l) => {
                f.write_str("[")?;
                for (i, x) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// Conversions from the model's optional spanned fields.
pub fn int<'a>(v: &Option<Spanned<i64>>, parent: Span) -> Val<'a> {
    v.as_ref().map_or(Val::missing(parent), |s| {
        Val::new(Value::Int(s.value), Some(s.span))
    })
}

pub fn boolean<'a>(v: &Option<Spanned<bool>>, parent: Span) -> Val<'a> {
    v.as_ref().map_or(Val::missing(parent), |s| {
        Val::new(Value::Bool(s.value), Some(s.span))
    })
}

/// A switch whose absence ESXi defines as off (`sched.mem.pin`,
/// `vcpu.hotadd`...): false when absent, still pointing at the parent and
/// labelled missing, so a finding can say where to add it.
pub fn switch<'a>(v: &Option<Spanned<bool>>, parent: Span) -> Val<'a> {
    v.as_ref().map_or(
        Val {
            v: Value::Bool(false),
            span: Some(parent),
            missing: true,
            unknown: false,
        },
        |s| Val::new(Value::Bool(s.value), Some(s.span)),
    )
}

pub fn string<'a>(v: &'a Option<Spanned<String>>, parent: Span) -> Val<'a> {
    string_of(v.as_ref(), parent)
}

/// `string` of a value that may be absent.
pub fn string_of<'a>(v: Option<&'a Spanned<String>>, parent: Span) -> Val<'a> {
    v.map_or(Val::missing(parent), |s| {
        Val::new(Value::Str(Cow::Borrowed(&s.value)), Some(s.span))
    })
}

pub fn list<'a>(items: Vec<Val<'a>>, span: Span) -> Val<'a> {
    Val::new(Value::List(Arc::new(items)), Some(span))
}
