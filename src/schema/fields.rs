//! The one table of model fields: name, type, where the value comes from in
//! each format, documentation, and how to read it. The checker resolves
//! `vm.memory_mb` here, the evaluator calls `get`, `vmlint explain` and
//! docs/rule-language.md print it.

use super::types::{RecordType, Ty};
use crate::model::inventory::Inventory;
use crate::schema::value::{Record, Val, Value};
use std::borrow::Cow;
use std::sync::LazyLock;

mod host;
mod vm;

/// What a field accessor may consult beyond its record.
pub struct FieldContext<'a> {
    pub inv: &'a Inventory,
    /// The VMs of the part of the estate being checked, unpacked, with
    /// their index in the inventory, in that order (looked up by binary
    /// search): what `host.vms` reads.
    pub vms: &'a [(usize, crate::model::Vm)],
}

impl<'a> FieldContext<'a> {
    /// The context of VMs checked as they load: no VM is unpacked.
    pub fn new(inv: &'a Inventory) -> FieldContext<'a> {
        FieldContext { inv, vms: &[] }
    }

    /// The VM of index `vi`, if it is one of those unpacked.
    pub fn vm(&self, vi: usize) -> Option<&'a crate::model::Vm> {
        let i = self.vms.binary_search_by_key(&vi, |(i, _)| *i).ok()?;
        self.vms.get(i).map(|(_, vm)| vm)
    }
}

pub type Getter = for<'a> fn(Record<'a>, &FieldContext<'a>) -> Val<'a>;

pub struct FieldDef {
    pub on: RecordType,
    pub name: &'static str,
    pub ty: Ty,
    /// The `.vmx` keys it is read from (`pciPassthruN.id`: every group N;
    /// `*`: every key); empty where a `.vmx` does not say it.
    pub vmx: &'static [&'static str],
    /// Its key in a YAML descriptor, within its record (`mmio64` of a VM,
    /// `enabled` of `mmio64`); empty where YAML does not give it.
    pub yaml: &'static str,
    pub doc: &'static str,
    pub get: Getter,
}

pub fn lookup(on: RecordType, name: &str) -> Option<usize> {
    FIELDS.iter().position(|f| f.on == on && f.name == name)
}

/// The `.vmx` keys of a field, as the table declares them (looked up by
/// name: the `.vmx` reader asks for a dozen fields of every file).
pub fn vmx_keys(on: RecordType, name: &str) -> &'static [&'static str] {
    type Keys = std::collections::HashMap<(RecordType, &'static str), &'static [&'static str]>;
    static KEYS: LazyLock<Keys> = LazyLock::new(|| {
        FIELDS
            .iter()
            .rev()
            .map(|f| ((f.on, f.name), f.vmx))
            .collect()
    });
    KEYS.get(&(on, name)).copied().unwrap_or(&[])
}

/// The field a raw `.vmx` key sets (`pciPassthru.use64bitMMIO` is
/// `mmio64.enabled`), for a key whose value is not known statically.
pub fn field_of_vmx_key(key: &str) -> Option<(RecordType, &'static str)> {
    FIELDS
        .iter()
        .find(|f| f.vmx.iter().any(|k| k.eq_ignore_ascii_case(key)))
        .map(|f| (f.on, f.name))
}

/// The YAML keys of a record, as the table declares them, and the keys a
/// loader reads besides (placement, `kind`): what a YAML descriptor of it
/// may hold.
pub fn yaml_keys(on: RecordType, besides: &[&'static str]) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = besides.to_vec();
    for f in FIELDS.iter().filter(|f| f.on == on && !f.yaml.is_empty()) {
        if !keys.contains(&f.yaml) {
            keys.push(f.yaml);
        }
    }
    keys
}

pub fn names(on: RecordType) -> impl Iterator<Item = &'static str> {
    FIELDS.iter().filter(move |f| f.on == on).map(|f| f.name)
}

/// Every field, VM records first: `Resolved::Field` indexes this list.
pub static FIELDS: LazyLock<Vec<&'static FieldDef>> =
    LazyLock::new(|| vm::FIELDS.iter().chain(host::FIELDS).collect());

macro_rules! field {
    ($on:ident, $name:literal, $ty:expr, vmx [$($vmx:literal),*], yaml $yaml:literal, $doc:literal, |$r:ident, $ctx:ident| $body:expr) => {
        FieldDef {
            on: RecordType::$on,
            name: $name,
            ty: $ty,
            vmx: &[$($vmx),*],
            yaml: $yaml,
            doc: $doc,
            get: {
                fn get<'a>($r: Record<'a>, $ctx: &FieldContext<'a>) -> Val<'a> {
                    let _ = $ctx;
                    $body
                }
                get
            },
        }
    };
}

pub(super) use field;

pub(super) fn text<'a>(s: &'static str, span: crate::source::Span) -> Val<'a> {
    Val::new(Value::Str(Cow::Borrowed(s)), Some(span))
}
