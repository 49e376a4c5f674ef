//! The field edits of a finding's fix: what a rule's `fix` clause says,
//! evaluated where the finding stands.

use super::Eval;
use crate::ir::SLOT_SUBJECT;
use crate::schema::fields::FIELDS;
use crate::schema::value::Value;

impl<'a> Eval<'_, 'a> {
    /// The number of the device bound in the environment that `at` is, or
    /// lies in.
    fn device_at(&self, at: crate::source::Span) -> Option<i64> {
        self.env.iter().find_map(|v| match &v.v {
            Value::Record(crate::schema::value::Record::Device(d))
                if d.span.file == at.file
                    && d.span.start <= at.start
                    && at.end <= d.span.end.max(at.end) =>
            {
                Some(d.index)
            }
            _ => None,
        })
    }

    /// The edits a rule's `fix` makes for this finding: each field to set,
    /// where it stands (or the record that lacks it) and its new value; an
    /// edit whose value is unknown, or already there, is left out.
    pub(super) fn fix(&mut self, fix: &'a crate::ir::Fix) -> Option<crate::diagnostic::Fix> {
        use crate::diagnostic::{FieldEdit, FixValue};
        let mut edits = Vec::new();
        for e in &fix.edits {
            match e {
                crate::ir::FixEdit::Set {
                    field,
                    target,
                    value,
                } => {
                    let (Some(f), t, v) = (FIELDS.get(*field), self.eval(target), self.eval(value))
                    else {
                        continue;
                    };
                    let new = match &v.v {
                        Value::Bool(b) => FixValue::Bool(*b),
                        Value::Int(n) => FixValue::Int(*n),
                        Value::Str(s) => FixValue::Str(s.to_string()),
                        _ => continue,
                    };
                    let present = !t.missing && !t.unknown && t.span.is_some();
                    let same = match (&t.v, &new) {
                        (Value::Bool(a), FixValue::Bool(b)) => a == b,
                        (Value::Int(a), FixValue::Int(b)) => a == b,
                        (Value::Str(a), FixValue::Str(b)) => a.as_ref() == b.as_str(),
                        _ => false,
                    };
                    if same || t.unknown {
                        continue;
                    }
                    let Some(at) = t.span else { continue };
                    // a device field: the device's number, from the binding
                    // that stands on it
                    let index = (f.on == crate::schema::types::RecordType::Device)
                        .then(|| self.device_at(at))
                        .flatten();
                    edits.push(FieldEdit::Set {
                        on: f.on,
                        field: f.name,
                        at,
                        present,
                        value: new,
                        index,
                    });
                }
                crate::ir::FixEdit::Remove { field, target } => {
                    let (Some(f), t) = (FIELDS.get(*field), self.eval(target)) else {
                        continue;
                    };
                    if let (Some(at), false) = (t.span, t.missing || t.unknown) {
                        edits.push(FieldEdit::Remove {
                            on: f.on,
                            field: f.name,
                            at,
                        });
                    }
                }
                crate::ir::FixEdit::Rename { key, to } => {
                    let (k, t) = (self.eval(key), self.eval(to));
                    if let (Some(span), Some(to)) = (k.span, t.as_str()) {
                        edits.push(FieldEdit::Rename {
                            key: span,
                            to: to.to_string(),
                        });
                    }
                }
            }
        }
        let format = match self.env.get(SLOT_SUBJECT).map(|v| &v.v) {
            Some(Value::Record(crate::schema::value::Record::Vm(_, vm))) => vm.format,
            _ => return None,
        };
        (!edits.is_empty()).then(|| crate::diagnostic::Fix {
            applicability: fix.applicability,
            format,
            edits,
            text: Vec::new(),
        })
    }
}
