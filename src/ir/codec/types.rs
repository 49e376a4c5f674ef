//! The bytes of each type of the IR.

use super::*;

variants!(Severity: Severity::Info, Severity::Warning, Severity::Error);
variants!(Target: Target::Vm, Target::Host);
variants!(UnOp: UnOp::Not, UnOp::Neg);
variants!(Applicability: Applicability::Safe, Applicability::Unsafe, Applicability::Display);
variants!(
    Quant: Quant::Any,
    Quant::All,
    Quant::None,
    Quant::Count,
    Quant::Sum,
    Quant::Find,
    Quant::Filter
);
variants!(
    BinOp: BinOp::Or,
    BinOp::And,
    BinOp::Eq,
    BinOp::Ne,
    BinOp::Lt,
    BinOp::Le,
    BinOp::Gt,
    BinOp::Ge,
    BinOp::In,
    BinOp::NotIn,
    BinOp::Matches,
    BinOp::Add,
    BinOp::Sub,
    BinOp::Mul,
    BinOp::Div,
    BinOp::Mod
);

fields!(Name { text, span });
fields!(Param {
    name,
    ty,
    default,
    slot
});
fields!(Template { parts });
fields!(Fix {
    applicability,
    edits
});
fields!(Prefix {
    literal,
    ignore_case
});
fields!(Version { parts });
fields!(PciAddr {
    domain,
    bus,
    slot,
    function
});
fields!(RuleInfo {
    slots,
    uses_host,
    uses_vms,
    uses_raw,
    uses_host_raw,
    vm_fields
});
fields!(Rule {
    code,
    slug,
    span,
    severity,
    summary,
    help,
    url,
    docs,
    tags,
    opt_in,
    params,
    target,
    steps,
    assert,
    at,
    message,
    related,
    fix,
    info,
});

impl Code for [u32; 3] {
    fn put(&self, w: &mut Writer) -> Option<()> {
        self.iter().try_for_each(|x| x.put(w))
    }
    fn get(r: &mut Reader<'_>) -> Option<[u32; 3]> {
        Some([u32::get(r)?, u32::get(r)?, u32::get(r)?])
    }
}

impl Code for Val<'static> {
    fn put(&self, w: &mut Writer) -> Option<()> {
        self.v.put(w)?;
        self.span.put(w)?;
        self.missing.put(w)?;
        self.unknown.put(w)
    }
    fn get(r: &mut Reader<'_>) -> Option<Val<'static>> {
        let (v, span) = (Value::get(r)?, Option::get(r)?);
        Some(Val {
            v,
            span,
            missing: bool::get(r)?,
            unknown: bool::get(r)?,
        })
    }
}

impl Code for Value<'static> {
    fn put(&self, w: &mut Writer) -> Option<()> {
        match self {
            Value::Null => w.tag(0),
            Value::Bool(b) => {
                w.tag(1);
                b.put(w)?;
            }
            Value::Int(i) => {
                w.tag(2);
                i.put(w)?;
            }
            Value::Str(s) => {
                w.tag(3);
                s.to_string().put(w)?;
            }
            Value::Version(v) => {
                w.tag(4);
                v.put(w)?;
            }
            Value::Pci(p) => {
                w.tag(5);
                p.put(w)?;
            }
            Value::List(items) => {
                w.tag(6);
                w.seq(items)?;
            }
            Value::Record(_) | Value::Raw(_) => return None,
        }
        Some(())
    }
    fn get(r: &mut Reader<'_>) -> Option<Value<'static>> {
        Some(match r.tag()? {
            0 => Value::Null,
            1 => Value::Bool(bool::get(r)?),
            2 => Value::Int(i64::get(r)?),
            3 => Value::Str(Cow::Owned(String::get(r)?)),
            4 => Value::Version(Version::get(r)?),
            5 => Value::Pci(PciAddr::get(r)?),
            6 => Value::List(Arc::new(Vec::get(r)?)),
            _ => return None,
        })
    }
}

impl Code for Part {
    fn put(&self, w: &mut Writer) -> Option<()> {
        match self {
            Part::Text(t) => {
                w.tag(0);
                t.put(w)
            }
            Part::Hole(e) => {
                w.tag(1);
                e.put(w)
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Part> {
        match r.tag()? {
            0 => Some(Part::Text(String::get(r)?)),
            1 => Some(Part::Hole(Expr::get(r)?)),
            _ => None,
        }
    }
}

impl Code for Step {
    fn put(&self, w: &mut Writer) -> Option<()> {
        match self {
            Step::For { slot, list, filter } => {
                w.tag(0);
                slot.put(w)?;
                list.put(w)?;
                filter.put(w)
            }
            Step::Let { slot, value } => {
                w.tag(1);
                slot.put(w)?;
                value.put(w)
            }
            Step::When(e) => {
                w.tag(2);
                e.put(w)
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Step> {
        Some(match r.tag()? {
            0 => Step::For {
                slot: Code::get(r)?,
                list: Code::get(r)?,
                filter: Code::get(r)?,
            },
            1 => Step::Let {
                slot: Code::get(r)?,
                value: Code::get(r)?,
            },
            2 => Step::When(Code::get(r)?),
            _ => return None,
        })
    }
}

impl Code for FixEdit {
    fn put(&self, w: &mut Writer) -> Option<()> {
        match self {
            FixEdit::Set {
                field,
                target,
                value,
            } => {
                w.tag(0);
                field.put(w)?;
                target.put(w)?;
                value.put(w)
            }
            FixEdit::Remove { field, target } => {
                w.tag(1);
                field.put(w)?;
                target.put(w)
            }
            FixEdit::Rename { key, to } => {
                w.tag(2);
                key.put(w)?;
                to.put(w)
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<FixEdit> {
        Some(match r.tag()? {
            0 => FixEdit::Set {
                field: Code::get(r)?,
                target: Code::get(r)?,
                value: Code::get(r)?,
            },
            1 => FixEdit::Remove {
                field: Code::get(r)?,
                target: Code::get(r)?,
            },
            2 => FixEdit::Rename {
                key: Code::get(r)?,
                to: Code::get(r)?,
            },
            _ => return None,
        })
    }
}

/// An expression: nested at most [`MAX_DEPTH`] deep, so that no bytes can
/// make decoding recurse past the stack.
impl Code for Expr {
    fn put(&self, w: &mut Writer) -> Option<()> {
        self.kind.put(w)?;
        self.span.put(w)
    }
    fn get(r: &mut Reader<'_>) -> Option<Expr> {
        r.depth += 1;
        if r.depth > MAX_DEPTH {
            return None;
        }
        let kind = Kind::get(r);
        r.depth -= 1;
        Some(Expr {
            kind: kind?,
            span: Span::get(r)?,
        })
    }
}

impl Code for Kind {
    fn put(&self, w: &mut Writer) -> Option<()> {
        match self {
            Kind::Const(v) => {
                w.tag(0);
                v.put(w)
            }
            Kind::List(items) => {
                w.tag(1);
                items.put(w)
            }
            Kind::Slot(s) => {
                w.tag(2);
                s.put(w)
            }
            Kind::Field(x, f) => {
                w.tag(3);
                x.put(w)?;
                f.put(w)
            }
            Kind::Index(x, i) => {
                w.tag(4);
                x.put(w)?;
                i.put(w)
            }
            Kind::Unary(op, x) => {
                w.tag(5);
                op.put(w)?;
                x.put(w)
            }
            Kind::Binary {
                op,
                left,
                right,
                presence,
            } => {
                w.tag(6);
                op.put(w)?;
                left.put(w)?;
                right.put(w)?;
                presence.put(w)
            }
            Kind::Matches(x, re, prefix) => {
                w.tag(7);
                x.put(w)?;
                re.put(w)?;
                prefix.put(w)
            }
            Kind::SameText {
                left,
                right,
                negate,
            } => {
                w.tag(8);
                left.put(w)?;
                right.put(w)?;
                negate.put(w)
            }
            Kind::Call(f, args, re) => {
                w.tag(9);
                f.put(w)?;
                args.put(w)?;
                re.put(w)
            }
            Kind::Quant(q, slot, list, cond) => {
                w.tag(10);
                q.put(w)?;
                slot.put(w)?;
                list.put(w)?;
                cond.put(w)
            }
            Kind::If(c, a, b) => {
                w.tag(11);
                c.put(w)?;
                a.put(w)?;
                b.put(w)
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Kind> {
        Some(match r.tag()? {
            0 => Kind::Const(Code::get(r)?),
            1 => Kind::List(Code::get(r)?),
            2 => Kind::Slot(Code::get(r)?),
            3 => Kind::Field(Code::get(r)?, Code::get(r)?),
            4 => Kind::Index(Code::get(r)?, Code::get(r)?),
            5 => Kind::Unary(Code::get(r)?, Code::get(r)?),
            6 => Kind::Binary {
                op: Code::get(r)?,
                left: Code::get(r)?,
                right: Code::get(r)?,
                presence: Code::get(r)?,
            },
            7 => Kind::Matches(Code::get(r)?, Code::get(r)?, Code::get(r)?),
            8 => Kind::SameText {
                left: Code::get(r)?,
                right: Code::get(r)?,
                negate: Code::get(r)?,
            },
            9 => Kind::Call(Code::get(r)?, Code::get(r)?, Code::get(r)?),
            10 => Kind::Quant(Code::get(r)?, Code::get(r)?, Code::get(r)?, Code::get(r)?),
            11 => Kind::If(Code::get(r)?, Code::get(r)?, Code::get(r)?),
            _ => return None,
        })
    }
}
