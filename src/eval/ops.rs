//! The operations on values the evaluator applies: comparisons, indexing,
//! and constants shared rather than copied.

use crate::schema::value::{Record, Val, Value, equal};
use std::borrow::Cow;
use std::cmp::Ordering;

/// `lower(a) == lower(b)` as `binary` would answer it (unknown when either
/// is not a text, located at the operand from a descriptor), without
/// lowering: ASCII texts (nearly all) are compared in place.
pub(super) fn same_text<'a>(a: &Val<'a>, b: &Val<'a>, negate: bool) -> Val<'a> {
    let (Some(x), Some(y)) = (a.as_str(), b.as_str()) else {
        return Val::null().at(if a.as_str().is_none() { a } else { b });
    };
    let same = if x.is_ascii() && y.is_ascii() {
        x.eq_ignore_ascii_case(y)
    } else {
        x.to_lowercase() == y.to_lowercase()
    };
    let src = if a.span.is_none() { b } else { a };
    let src = if src.span.is_none() { a } else { src };
    Val::bool(same != negate, None).at(src)
}

/// A constant of the IR, borrowed for the evaluation instead of copied.
pub(super) fn share<'a>(v: &'a Val<'static>) -> Val<'a> {
    match &v.v {
        Value::Str(s) => Val {
            v: Value::Str(Cow::Borrowed(s.as_ref())),
            span: v.span,
            missing: v.missing,
            unknown: v.unknown,
        },
        _ => v.clone(),
    }
}

/// Ordering for `<`, `<=`, `>`, `>=`; `None` (so the comparison is false)
/// when either side is null or the types differ.
pub(super) fn order(a: &Value<'_>, b: &Value<'_>) -> Option<Ordering> {
    use crate::model::Version;
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        (Value::Version(x), Value::Version(y)) => Some(x.cmp(y)),
        (Value::Version(x), Value::Str(s)) => Version::parse(s).map(|y| x.cmp(&y)),
        (Value::Str(s), Value::Version(y)) => Version::parse(s).map(|x| x.cmp(y)),
        _ => None,
    }
}

/// `list[i]`, `host.pci["0000:3b:00.0"]`, `host.vms["name"]`, `raw["key"]`.
pub(super) fn index<'a>(base: &Val<'a>, idx: &Val<'a>) -> Val<'a> {
    let missing = || match base.span {
        Some(s) => Val::missing(s),
        None => Val::null(),
    };
    match (&base.v, &idx.v) {
        (Value::List(items), Value::Int(i)) => usize::try_from(*i)
            .ok()
            .and_then(|i| items.get(i))
            .cloned()
            .unwrap_or_else(missing),
        (Value::List(items), Value::Pci(_) | Value::Str(_)) => items
            .iter()
            .find(|x| match &x.v {
                Value::Record(Record::HostPci(_, p)) => p
                    .address
                    .as_ref()
                    .is_some_and(|a| equal(&Value::Pci(a.value), &idx.v)),
                Value::Record(Record::Vm(_, vm)) => {
                    matches!(&idx.v, Value::Str(s) if vm.label() == s.as_ref())
                }
                _ => false,
            })
            .cloned()
            .unwrap_or_else(missing),
        (Value::Raw(raw), Value::Str(key)) => match raw.get(key) {
            Some(e) => Val::new(Value::Str(Cow::Borrowed(raw.value(e))), Some(e.value)),
            None => missing(),
        },
        _ => missing(),
    }
}
