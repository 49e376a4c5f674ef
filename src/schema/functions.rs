//! The built-in functions, one table: name, parameter and result types,
//! documentation, and the code. The checker checks calls against it, the
//! evaluator calls it, the docs print it.

use super::value::{Val, Value};
use crate::ir::Pattern;
use crate::model::Version;
use crate::schema::types::{Elem, Ty};
use crate::suggest;
use std::borrow::Cow;

pub type Call = for<'a> fn(&[Val<'a>], Option<&Pattern>) -> Val<'a>;

pub struct FuncDef {
    pub name: &'static str,
    pub params: &'static [Ty],
    pub ret: Ty,
    /// Index of a parameter that must be a literal regular expression.
    pub regex_arg: Option<usize>,
    pub doc: &'static str,
    pub call: Call,
}

pub fn lookup(name: &str) -> Option<usize> {
    FUNCTIONS.iter().position(|f| f.name == name)
}

fn str_arg<'a, 'b>(args: &'b [Val<'a>], i: usize) -> Option<&'b str> {
    args.get(i).and_then(Val::as_str)
}

fn owned<'a>(s: String) -> Value<'a> {
    Value::Str(Cow::Owned(s))
}

pub static FUNCTIONS: &[FuncDef] = &[
    FuncDef {
        name: "count",
        params: &[Ty::List(Elem::Any)],
        ret: Ty::Int,
        regex_arg: None,
        doc: "the number of items of a list: `count(vm.passthrough)`; `count(d in LIST, COND)` counts those that satisfy COND",
        call: |a, _| {
            Val::new(
                Value::Int(
                    a.first()
                        .and_then(Val::as_list)
                        .map_or(0, |l| l.len() as i64),
                ),
                None,
            )
        },
    },
    FuncDef {
        name: "len",
        params: &[Ty::Str],
        ret: Ty::Int,
        regex_arg: None,
        doc: "the length of a string, in characters",
        call: |a, _| match str_arg(a, 0) {
            Some(s) => Val::new(Value::Int(s.chars().count() as i64), None),
            None => Val::null(),
        },
    },
    FuncDef {
        name: "lower",
        params: &[Ty::Str],
        ret: Ty::Str,
        regex_arg: None,
        doc: "the string in lower case",
        call: |a, _| match a.first().map(|v| &v.v) {
            // already in lower case (most keys and names are): the same text
            Some(Value::Str(Cow::Borrowed(s)))
                if s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) =>
            {
                Val::new(Value::Str(Cow::Borrowed(s)), None)
            }
            _ => str_arg(a, 0).map_or(Val::null(), |s| Val::new(owned(s.to_lowercase()), None)),
        },
    },
    FuncDef {
        name: "upper",
        params: &[Ty::Str],
        ret: Ty::Str,
        regex_arg: None,
        doc: "the string in upper case",
        call: |a, _| str_arg(a, 0).map_or(Val::null(), |s| Val::new(owned(s.to_uppercase()), None)),
    },
    FuncDef {
        name: "starts_with",
        params: &[Ty::Str, Ty::Str],
        ret: Ty::Bool,
        regex_arg: None,
        doc: "whether the first string starts with the second: `starts_with(vm.name, \"prod-\")`",
        call: |a, _| {
            Val::bool(
                matches!((str_arg(a, 0), str_arg(a, 1)), (Some(s), Some(p)) if s.starts_with(p)),
                None,
            )
        },
    },
    FuncDef {
        name: "ends_with",
        params: &[Ty::Str, Ty::Str],
        ret: Ty::Bool,
        regex_arg: None,
        doc: "whether the first string ends with the second",
        call: |a, _| {
            Val::bool(
                matches!((str_arg(a, 0), str_arg(a, 1)), (Some(s), Some(p)) if s.ends_with(p)),
                None,
            )
        },
    },
    FuncDef {
        name: "contains",
        params: &[Ty::Str, Ty::Str],
        ret: Ty::Bool,
        regex_arg: None,
        doc: "whether the first string contains the second",
        call: |a, _| {
            Val::bool(
                matches!((str_arg(a, 0), str_arg(a, 1)), (Some(s), Some(p)) if s.contains(p)),
                None,
            )
        },
    },
    FuncDef {
        name: "capture",
        params: &[Ty::Str, Ty::Str],
        ret: Ty::Str,
        regex_arg: Some(1),
        doc: "the first group of a regular expression's match, or null: `capture(key, \"^pciPassthru([0-9]+)\\\\.\")`",
        call: |a, re| match (a.first().map(|v| &v.v), re) {
            // a part of a text read from a file is borrowed from it, not copied
            (Some(Value::Str(Cow::Borrowed(s))), Some(re)) => re
                .capture(s)
                .and_then(|r| s.get(r))
                .map_or(Val::null(), |part| {
                    Val::new(Value::Str(Cow::Borrowed(part)), None)
                }),
            (_, Some(re)) => match str_arg(a, 0) {
                Some(s) => re
                    .capture(s)
                    .and_then(|r| s.get(r))
                    .map_or(Val::null(), |part| Val::new(owned(part.to_string()), None)),
                None => Val::null(),
            },
            _ => Val::null(),
        },
    },
    FuncDef {
        name: "closest",
        params: &[Ty::Str, Ty::List(Elem::Str)],
        ret: Ty::Str,
        regex_arg: None,
        doc: "the item of the list closest to the string, if it is close enough to be a typo (for \"did you mean\"), else null",
        call: |a, _| {
            let (Some(s), Some(l)) = (str_arg(a, 0), a.get(1).and_then(Val::as_list)) else {
                return Val::null();
            };
            suggest::closest(s, l.iter().filter_map(Val::as_str))
                .map_or(Val::null(), |c| Val::new(owned(c.to_string()), None))
        },
    },
    FuncDef {
        name: "distance",
        params: &[Ty::Str, Ty::Str],
        ret: Ty::Int,
        regex_arg: None,
        doc: "the edit distance between two strings, ignoring case",
        call: |a, _| match (str_arg(a, 0), str_arg(a, 1)) {
            (Some(x), Some(y)) => Val::new(Value::Int(suggest::distance(x, y) as i64), None),
            _ => Val::null(),
        },
    },
    FuncDef {
        name: "version",
        params: &[Ty::Str],
        ret: Ty::Version,
        regex_arg: None,
        doc: "a string read as an ESXi version (`8.0.2`, `8.0 U2`), or null",
        call: |a, _| {
            str_arg(a, 0)
                .and_then(Version::parse)
                .map_or(Val::null(), |v| Val::new(Value::Version(v), None))
        },
    },
    FuncDef {
        name: "text",
        params: &[Ty::Any],
        ret: Ty::Str,
        regex_arg: None,
        doc: "any value as it reads in a message, to join with `+`: `\"version \" + text(vm.hardware_version)`",
        call: |a, _| {
            a.first()
                .map_or(Val::null(), |v| Val::new(owned(v.to_string()), None))
        },
    },
    FuncDef {
        name: "hex",
        params: &[Ty::Int],
        ret: Ty::Str,
        regex_arg: None,
        doc: "a number written as a PCI id: `hex(4318)` is `0x10de`",
        call: |a, _| {
            a.first()
                .and_then(Val::as_int)
                .map_or(Val::null(), |i| Val::new(owned(format!("{i:#06x}")), None))
        },
    },
    FuncDef {
        name: "min",
        params: &[Ty::Int, Ty::Int],
        ret: Ty::Int,
        regex_arg: None,
        doc: "the smaller of two numbers",
        call: |a, _| match (
            a.first().and_then(Val::as_int),
            a.get(1).and_then(Val::as_int),
        ) {
            (Some(x), Some(y)) => Val::new(Value::Int(x.min(y)), None),
            _ => Val::null(),
        },
    },
    FuncDef {
        name: "max",
        params: &[Ty::Int, Ty::Int],
        ret: Ty::Int,
        regex_arg: None,
        doc: "the larger of two numbers",
        call: |a, _| match (
            a.first().and_then(Val::as_int),
            a.get(1).and_then(Val::as_int),
        ) {
            (Some(x), Some(y)) => Val::new(Value::Int(x.max(y)), None),
            _ => Val::null(),
        },
    },
    FuncDef {
        name: "next_power_of_two",
        params: &[Ty::Int],
        ret: Ty::Int,
        regex_arg: None,
        doc: "the smallest power of two at least as large as the number (1 for 0 or less): `next_power_of_two(48)` is 64",
        call: |a, _| match a.first().and_then(Val::as_int) {
            Some(n) if n <= 1 => Val::new(Value::Int(1), None),
            Some(n) => u64::try_from(n)
                .ok()
                .and_then(u64::checked_next_power_of_two)
                .and_then(|p| i64::try_from(p).ok())
                .map_or_else(Val::null, |p| Val::new(Value::Int(p), None)),
            None => Val::null(),
        },
    },
    FuncDef {
        name: "default",
        params: &[Ty::Any, Ty::Any],
        ret: Ty::Any,
        regex_arg: None,
        doc: "the value, or the fallback when it is missing: `default(vm.memory_reservation_all, false)` says what a missing key means; the result still points at the key (its parent, labelled missing). A key that is set to a value not known statically (a Terraform module input, a Jinja2 template) stays unknown",
        call: |a, _| match (a.first(), a.get(1)) {
            (Some(v), _) if !v.is_null() || v.unknown => v.clone(),
            (Some(v), Some(f)) => f.clone().at(v),
            _ => Val::null(),
        },
    },
    FuncDef {
        name: "same_file",
        params: &[Ty::Any, Ty::Any],
        ret: Ty::Bool,
        regex_arg: None,
        doc: "whether two values come from the same file: `same_file(vm.snapshots[0], vm)` is false for a snapshot read from the `.vmsd` beside a `.vmx`",
        call: |a, _| match (
            a.first().and_then(|v| v.span),
            a.get(1).and_then(|v| v.span),
        ) {
            (Some(x), Some(y)) => Val::bool(x.file == y.file, None),
            _ => Val::null(),
        },
    },
    FuncDef {
        name: "glob",
        params: &[Ty::Str, Ty::Str],
        ret: Ty::Bool,
        regex_arg: None,
        doc: "whether a text matches a pattern where `*` stands for any run of characters and `?` for one: `glob(vm.name, \"gpu-*\")`",
        call: |a, _| match (str_arg(a, 0), str_arg(a, 1)) {
            (Some(t), Some(p)) => Val::bool(glob(t, p), None),
            _ => Val::null(),
        },
    },
    FuncDef {
        name: "exists",
        params: &[Ty::Any],
        ret: Ty::Bool,
        regex_arg: None,
        doc: "whether a value is present (not null): `exists(vm.raw[\"sched.mem.pin\"])`",
        call: |a, _| Val::bool(a.first().is_some_and(|v| !v.is_null()), None),
    },
];

/// `*` and `?` wildcards, in linear time (the greedy algorithm with one
/// backtrack point), so a hostile pattern cannot make a rule slow.
fn glob(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    let (mut ti, mut pi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if *c == '?' || Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn glob_matches_stars_and_question_marks() {
        assert!(glob("gpu-train-01", "gpu-*"));
        assert!(glob("gpu-train-01", "*-01"));
        assert!(glob("gpu-train-01", "gpu-?????-0?"));
        assert!(glob("abc", "*"));
        assert!(!glob("gpu-train-01", "db-*"));
        assert!(!glob("ab", "a?c"));
        assert!(glob("", "*"));
    }
}
