//! Values of the rule language. Each value remembers the span it came from
//! (and whether it is a missing key, pointing at the parent), so a failed
//! assertion can underline the text that made it fail at no extra cost.

use crate::model::{Device, Host, HostPci, PciAddr, Raw, Sp, Version, Vm};
use crate::source::Span;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// A record of the model: what `.field` applies to.
#[derive(Clone, Copy, Debug)]
pub enum Rec<'a> {
    Vm(usize, &'a Vm),
    Host(usize, &'a Host),
    Device(&'a Device),
    HostPci(&'a HostPci),
    Mmio64(&'a Vm),
    Migration(&'a Vm),
    HotAdd(&'a Vm),
    Coredump(&'a Host),
}

impl Rec<'_> {
    fn same(&self, other: &Rec<'_>) -> bool {
        use Rec::*;
        match (self, other) {
            (Vm(a, _), Vm(b, _)) | (Host(a, _), Host(b, _)) => a == b,
            (Device(a), Device(b)) => std::ptr::eq(*a, *b),
            (HostPci(a), HostPci(b)) => std::ptr::eq(*a, *b),
            _ => false,
        }
    }
}

#[derive(Clone, Debug)]
pub enum V<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Str(Cow<'a, str>),
    Version(Version),
    Pci(PciAddr),
    Rec(Rec<'a>),
    List(Arc<Vec<Val<'a>>>),
    Raw(&'a Raw),
}

#[derive(Clone, Debug)]
pub struct Val<'a> {
    pub v: V<'a>,
    pub span: Option<Span>,
    /// A key that is absent: `span` is then its parent's.
    pub missing: bool,
}

impl<'a> Val<'a> {
    pub fn new(v: V<'a>, span: Option<Span>) -> Val<'a> {
        Val {
            v,
            span,
            missing: false,
        }
    }

    pub fn null() -> Val<'a> {
        Val {
            v: V::Null,
            span: None,
            missing: false,
        }
    }

    /// An absent key, located at its parent.
    pub fn missing(parent: Span) -> Val<'a> {
        Val {
            v: V::Null,
            span: Some(parent),
            missing: true,
        }
    }

    pub fn bool(b: bool, span: Option<Span>) -> Val<'a> {
        Val::new(V::Bool(b), span)
    }

    /// With the span (and missing flag) of `from`.
    pub fn at(mut self, from: &Val<'_>) -> Val<'a> {
        self.span = from.span;
        self.missing = from.missing;
        self
    }

    pub fn is_true(&self) -> bool {
        matches!(self.v, V::Bool(true))
    }

    pub fn is_false(&self) -> bool {
        matches!(self.v, V::Bool(false))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.v, V::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.v {
            V::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self.v {
            V::Int(i) => Some(i),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Val<'a>]> {
        match &self.v {
            V::List(l) => Some(l),
            _ => None,
        }
    }
}

/// Equality as the language defines it: PCI addresses and versions compare
/// by value whatever their spelling; records by identity.
pub fn equal(a: &V<'_>, b: &V<'_>) -> bool {
    match (a, b) {
        (V::Null, V::Null) => true,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Int(x), V::Int(y)) => x == y,
        (V::Str(x), V::Str(y)) => x == y,
        (V::Version(x), V::Version(y)) => x == y,
        (V::Pci(x), V::Pci(y)) => x == y,
        (V::Version(x), V::Str(s)) | (V::Str(s), V::Version(x)) => {
            Version::parse(s).is_some_and(|v| v == *x)
        }
        (V::Pci(x), V::Str(s)) | (V::Str(s), V::Pci(x)) => {
            PciAddr::parse(s).is_some_and(|p| p == *x)
        }
        (V::Rec(x), V::Rec(y)) => x.same(y),
        (V::List(x), V::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| equal(&a.v, &b.v))
        }
        _ => false,
    }
}

impl fmt::Display for Val<'_> {
    /// How a value reads inside a message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.v {
            V::Null => f.write_str("missing"),
            V::Bool(b) => write!(f, "{b}"),
            V::Int(i) => write!(f, "{i}"),
            V::Str(s) => f.write_str(s),
            V::Version(v) => write!(f, "{v}"),
            V::Pci(p) => write!(f, "{p}"),
            V::Rec(Rec::Vm(_, vm)) => f.write_str(vm.label()),
            V::Rec(Rec::Host(_, h)) => {
                f.write_str(h.name.as_ref().map_or("?", |n| n.value.as_str()))
            }
            V::Rec(Rec::Device(d)) => match &d.address {
                Some(a) => write!(f, "{}", a.value),
                None => write!(f, "device {}", d.index),
            },
            V::Rec(Rec::HostPci(p)) => match &p.address {
                Some(a) => write!(f, "{}", a.value),
                None => f.write_str("?"),
            },
            V::Rec(_) | V::Raw(_) => f.write_str("{...}"),
            V::List(l) => {
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
pub fn int<'a>(v: &Option<Sp<i64>>, parent: Span) -> Val<'a> {
    v.as_ref().map_or(Val::missing(parent), |s| {
        Val::new(V::Int(s.value), Some(s.span))
    })
}

pub fn boolean<'a>(v: &Option<Sp<bool>>, parent: Span) -> Val<'a> {
    v.as_ref().map_or(Val::missing(parent), |s| {
        Val::new(V::Bool(s.value), Some(s.span))
    })
}

/// A switch whose absence ESXi defines as off (`sched.mem.pin`,
/// `vcpu.hotadd`...): false when absent, still pointing at the parent and
/// labelled missing, so a finding can say where to add it.
pub fn switch<'a>(v: &Option<Sp<bool>>, parent: Span) -> Val<'a> {
    v.as_ref().map_or(
        Val {
            v: V::Bool(false),
            span: Some(parent),
            missing: true,
        },
        |s| Val::new(V::Bool(s.value), Some(s.span)),
    )
}

pub fn string<'a>(v: &'a Option<Sp<String>>, parent: Span) -> Val<'a> {
    v.as_ref().map_or(Val::missing(parent), |s| {
        Val::new(V::Str(Cow::Borrowed(&s.value)), Some(s.span))
    })
}

pub fn list<'a>(items: Vec<Val<'a>>, span: Span) -> Val<'a> {
    Val::new(V::List(Arc::new(items)), Some(span))
}
