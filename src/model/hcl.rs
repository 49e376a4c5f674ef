//! What can be known of an HCL expression without running Terraform or
//! Packer: literals, `var.*` (a `.tfvars` value, else the default),
//! `local.*`, arithmetic, string templates of known parts, conditionals on
//! known values, and references to data sources, kept as paths for the
//! reader to resolve. Anything else is unknown, with the reason, and is
//! never guessed.
//!
//! `reader` reads typed attributes with this; `comments` finds the
//! comments of a file for directives.

use crate::source::{FileId, Span};
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::Body;
use hcl_edit::template::Element;
use std::collections::HashMap;

mod comments;
mod reader;
pub use comments::comments;
pub use reader::{Read, Reader, attr, blocks, folder_texts, label};

/// How deep `local` may refer to `local` (a cycle ends here, unknown).
const MAX_DEPTH: usize = 32;

/// A statically known value, or why it is not known.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    List(Vec<Value>),
    Map(Vec<(String, Value)>),
    /// A reference the reader resolves: `data.vsphere_host.esx01.id` is
    /// `["data", "vsphere_host", "esx01", "id"]`; an index is its number,
    /// a splat `*`.
    Ref(Vec<String>),
    Unknown(String),
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A whole number (`16384`, or `"16384"` as Terraform converts it).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Num(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Some(*n as i64),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// `true`, or `"true"` as Terraform converts it.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Str(s) if s == "true" => Some(true),
            Value::Str(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    fn get(&self, key: &str) -> Value {
        match self {
            Value::Map(m) => m.iter().rev().find(|(k, _)| k == key).map_or_else(
                || Value::Unknown(format!("no key `{key}`")),
                |(_, v)| v.clone(),
            ),
            Value::Ref(p) => Value::Ref(p.iter().cloned().chain([key.to_string()]).collect()),
            Value::Unknown(why) => Value::Unknown(why.clone()),
            _ => Value::Unknown(format!("`.{key}` of a value that has no keys")),
        }
    }

    fn index(&self, at: &Value) -> Value {
        match (self, at) {
            (Value::List(l), v) => v
                .as_int()
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| l.get(i).cloned())
                .unwrap_or_else(|| Value::Unknown("an index out of range".into())),
            (Value::Map(_), Value::Str(k)) => self.get(k),
            (Value::Ref(p), v) => match v.as_int() {
                Some(i) => Value::Ref(p.iter().cloned().chain([i.to_string()]).collect()),
                None => Value::Unknown("an index that is not known".into()),
            },
            (Value::Unknown(why), _) => Value::Unknown(why.clone()),
            _ => Value::Unknown("an index into a value that has none".into()),
        }
    }

    /// The text of a scalar as Terraform would interpolate it.
    fn text(&self) -> Option<String> {
        match self {
            Value::Str(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Num(n) if n.fract() == 0.0 => Some(format!("{}", *n as i64)),
            Value::Num(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// Why the value is not known, if it is not.
    pub fn unknown(&self) -> Option<&str> {
        match self {
            Value::Unknown(w) => Some(w),
            _ => None,
        }
    }
}

/// The bodies of the texts that parse (the other files of a folder: one
/// that does not parse is that file's problem, reported when it is read).
pub fn parse_all(texts: &[String]) -> Vec<Body> {
    texts
        .iter()
        .filter_map(|t| hcl_edit::parser::parse_body(t).ok())
        .collect()
}

/// The scope of a folder: the declarations of `bodies`, then the values of
/// `assignments` (variable files, later ones winning).
pub fn scope_of<'a>(bodies: &[&'a Body], assignments: &'a [Body]) -> Scope<'a> {
    let mut scope = Scope::default();
    for b in bodies {
        scope.declare(b);
    }
    for b in assignments {
        scope.assign(b);
    }
    scope
}

/// The span of an HCL item in its file.
pub fn span_of(file: FileId, item: &impl hcl_edit::Span) -> Option<Span> {
    item.span().map(|r| Span::new(file, r.start, r.end))
}

/// What a module (or a Packer template folder) declares: variable values
/// and defaults, and locals, by name.
#[derive(Default)]
pub struct Scope<'a> {
    /// `var.NAME`: the `.tfvars` value, else the declared default; `None`
    /// for a variable declared without one (a module input).
    pub vars: HashMap<String, Option<&'a Expression>>,
    pub locals: HashMap<String, &'a Expression>,
    /// Values from `.tfvars` files, which win over defaults.
    pub tfvars: HashMap<String, &'a Expression>,
}

impl<'a> Scope<'a> {
    /// Adds the `variable` and `locals` blocks of a body (a `.tf` file).
    pub fn declare(&mut self, body: &'a Body) {
        for b in body.blocks() {
            match b.ident.as_str() {
                "variable" => {
                    if let Some(name) = b.labels.first() {
                        let default = attr(&b.body, "default").map(|a| &a.value);
                        self.vars.insert(name.as_str().to_string(), default);
                    }
                }
                "locals" => {
                    for a in b.body.attributes() {
                        self.locals.insert(a.key.as_str().to_string(), &a.value);
                    }
                }
                // Packer's single `local "name" { expression = ... }`
                "local" => {
                    if let (Some(name), Some(e)) =
                        (b.labels.first(), reader::attr(&b.body, "expression"))
                    {
                        self.locals.insert(name.as_str().to_string(), &e.value);
                    }
                }
                _ => {}
            }
        }
    }

    /// Adds the assignments of a `.tfvars` (or `.pkrvars.hcl`) file.
    pub fn assign(&mut self, body: &'a Body) {
        for a in body.attributes() {
            self.tfvars.insert(a.key.as_str().to_string(), &a.value);
        }
    }

    pub fn eval(&self, e: &Expression) -> Value {
        self.eval_at(e, 0, &HashMap::new())
    }

    fn eval_at(&self, e: &Expression, depth: usize, bound: &HashMap<String, Value>) -> Value {
        if depth > MAX_DEPTH {
            return Value::Unknown("references nested too deeply (a cycle?)".into());
        }
        let ev = |x: &Expression| self.eval_at(x, depth + 1, bound);
        match e {
            Expression::Null(_) => Value::Null,
            Expression::Bool(b) => Value::Bool(*b.value()),
            Expression::Number(n) => n.value().as_f64().map_or_else(
                || Value::Unknown("a number out of range".into()),
                Value::Num,
            ),
            Expression::String(s) => Value::Str(s.value().clone()),
            Expression::Array(a) => Value::List(a.iter().map(ev).collect()),
            Expression::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, v)| {
                        let key = match k {
                            ObjectKey::Ident(i) => i.as_str().to_string(),
                            ObjectKey::Expression(x) => ev(x).text().unwrap_or_default(),
                        };
                        (key, ev(v.expr()))
                    })
                    .collect(),
            ),
            Expression::StringTemplate(t) => self.template(t.iter(), depth, bound),
            Expression::HeredocTemplate(h) => self.template(h.template.iter(), depth, bound),
            Expression::Parenthesis(p) => ev(p.inner()),
            Expression::Variable(v) => match bound.get(v.as_str()) {
                Some(x) => x.clone(),
                None => Value::Unknown(format!("`{}` is not known before apply", v.as_str())),
            },
            Expression::Conditional(c) => match ev(&c.cond_expr).as_bool() {
                Some(true) => ev(&c.true_expr),
                Some(false) => ev(&c.false_expr),
                None => Value::Unknown("a condition that is not known".into()),
            },
            Expression::Traversal(t) => self.traversal(t, depth, bound),
            Expression::UnaryOp(u) => match (u.operator.value(), ev(&u.expr)) {
                (UnaryOperator::Neg, Value::Num(n)) => Value::Num(-n),
                (UnaryOperator::Not, Value::Bool(b)) => Value::Bool(!b),
                (_, v @ Value::Unknown(_)) => v,
                _ => Value::Unknown("an operation on a value of the wrong type".into()),
            },
            Expression::BinaryOp(b) => {
                binary(*b.operator.value(), ev(&b.lhs_expr), ev(&b.rhs_expr))
            }
            Expression::FuncCall(f) => {
                let name = f.name.name.as_str();
                let args: Vec<Value> = f.args.iter().map(ev).collect();
                match (name, args.as_slice()) {
                    ("tolist" | "toset" | "tostring" | "tonumber" | "tobool" | "tomap", [v]) => {
                        convert(name, v.clone())
                    }
                    ("lower", [Value::Str(s)]) => Value::Str(s.to_lowercase()),
                    ("upper", [Value::Str(s)]) => Value::Str(s.to_uppercase()),
                    ("max" | "min", nums) if !nums.is_empty() => {
                        let ns: Option<Vec<f64>> = nums
                            .iter()
                            .map(|v| {
                                if let Value::Num(n) = v {
                                    Some(*n)
                                } else {
                                    None
                                }
                            })
                            .collect();
                        match ns {
                            Some(ns) if name == "max" => {
                                Value::Num(ns.into_iter().fold(f64::MIN, f64::max))
                            }
                            Some(ns) => Value::Num(ns.into_iter().fold(f64::MAX, f64::min)),
                            None => {
                                Value::Unknown(format!("`{name}` of values that are not known"))
                            }
                        }
                    }
                    ("merge", maps) if maps.iter().all(|m| matches!(m, Value::Map(_))) => {
                        Value::Map(
                            maps.iter()
                                .flat_map(|m| match m {
                                    Value::Map(kv) => kv.clone(),
                                    _ => Vec::new(),
                                })
                                .collect(),
                        )
                    }
                    _ => Value::Unknown(format!("the result of `{name}(...)`")),
                }
            }
            Expression::ForExpr(f) => {
                // `[for d in data.X.Y.pci_devices : d.id]`: each item's attribute
                let coll = ev(&f.intro.collection_expr);
                let var = f.intro.value_var.as_str();
                match (&coll, &f.value_expr, &f.key_expr, &f.cond) {
                    (Value::Ref(p), Expression::Traversal(t), None, None) if matches!(&t.expr, Expression::Variable(v) if v.as_str() == var) =>
                    {
                        let mut path = p.clone();
                        path.push("*".into());
                        for op in &t.operators {
                            match op.value() {
                                TraversalOperator::GetAttr(a) => path.push(a.as_str().to_string()),
                                _ => return Value::Unknown("a `for` expression".into()),
                            }
                        }
                        Value::Ref(path)
                    }
                    (Value::List(items), _, None, None) => Value::List(
                        items
                            .iter()
                            .map(|item| {
                                let mut b = bound.clone();
                                b.insert(var.to_string(), item.clone());
                                self.eval_at(&f.value_expr, depth + 1, &b)
                            })
                            .collect(),
                    ),
                    _ => Value::Unknown("a `for` expression".into()),
                }
            }
        }
    }

    fn template<'e>(
        &self,
        elements: impl Iterator<Item = &'e Element>,
        depth: usize,
        bound: &HashMap<String, Value>,
    ) -> Value {
        let mut out = String::new();
        for el in elements {
            match el {
                Element::Literal(l) => out.push_str(l.value()),
                Element::Interpolation(i) => match self.eval_at(&i.expr, depth + 1, bound) {
                    v @ Value::Unknown(_) => return v,
                    v => match v.text() {
                        Some(t) => out.push_str(&t),
                        None => {
                            return Value::Unknown("a template of values that are not text".into());
                        }
                    },
                },
                Element::Directive(_) => {
                    return Value::Unknown("a template with `%{ }` directives".into());
                }
            }
        }
        Value::Str(out)
    }

    fn traversal(
        &self,
        t: &hcl_edit::expr::Traversal,
        depth: usize,
        bound: &HashMap<String, Value>,
    ) -> Value {
        let ops = &t.operators;
        let attr_at = |i: usize| match ops.get(i).map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(a)) => Some(a.as_str()),
            _ => None,
        };
        let (mut v, rest) = match &t.expr {
            Expression::Variable(root) => match (root.as_str(), attr_at(0)) {
                ("var", Some(name)) => (self.var(name, depth), 1),
                ("local", Some(name)) => match self.locals.get(name) {
                    Some(e) => (self.eval_at(e, depth + 1, bound), 1),
                    None => (Value::Unknown(format!("`local.{name}` is not declared")), 1),
                },
                ("data", Some(kind)) => match attr_at(1) {
                    Some(name) => (Value::Ref(vec!["data".into(), kind.into(), name.into()]), 2),
                    None => (Value::Unknown("a data source".into()), 1),
                },
                (other, _) if bound.contains_key(other) => {
                    (bound.get(other).cloned().unwrap_or(Value::Null), 0)
                }
                (other @ ("module" | "each" | "count" | "path" | "terraform" | "self"), _) => {
                    return Value::Unknown(format!("`{other}.*` is not known before apply"));
                }
                (resource, Some(name)) => (Value::Ref(vec![resource.into(), name.into()]), 1),
                (other, None) => return Value::Unknown(format!("`{other}` is not known")),
            },
            other => (self.eval_at(other, depth + 1, bound), 0),
        };
        for op in ops.iter().skip(rest) {
            v = match op.value() {
                TraversalOperator::GetAttr(a) => v.get(a.as_str()),
                TraversalOperator::Index(i) => v.index(&self.eval_at(i, depth + 1, bound)),
                TraversalOperator::LegacyIndex(i) => v.index(&Value::Num(*i.value() as f64)),
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => match v {
                    Value::Ref(mut p) => {
                        p.push("*".into());
                        Value::Ref(p)
                    }
                    other => other,
                },
            };
        }
        v
    }

    fn var(&self, name: &str, depth: usize) -> Value {
        if let Some(e) = self.tfvars.get(name) {
            return self.eval_at(e, depth + 1, &HashMap::new());
        }
        match self.vars.get(name) {
            Some(Some(e)) => self.eval_at(e, depth + 1, &HashMap::new()),
            Some(None) => Value::Unknown(format!(
                "`var.{name}` has no default: it is an input of the module"
            )),
            None => Value::Unknown(format!("`var.{name}` is not declared in this folder")),
        }
    }
}

fn convert(to: &str, v: Value) -> Value {
    match (to, v) {
        ("tostring", v) => v
            .text()
            .map_or(Value::Unknown("a value with no text".into()), Value::Str),
        ("tonumber", v) => v
            .as_int()
            .map_or(Value::Unknown("a value that is no number".into()), |n| {
                Value::Num(n as f64)
            }),
        ("tobool", v) => v.as_bool().map_or(
            Value::Unknown("a value that is no boolean".into()),
            Value::Bool,
        ),
        (_, v) => v,
    }
}

fn binary(op: BinaryOperator, l: Value, r: Value) -> Value {
    use BinaryOperator as B;
    if let Value::Unknown(w) = &l {
        return Value::Unknown(w.clone());
    }
    if let Value::Unknown(w) = &r {
        return Value::Unknown(w.clone());
    }
    match (op, &l, &r) {
        (B::Plus, Value::Num(a), Value::Num(b)) => Value::Num(a + b),
        (B::Minus, Value::Num(a), Value::Num(b)) => Value::Num(a - b),
        (B::Mul, Value::Num(a), Value::Num(b)) => Value::Num(a * b),
        (B::Div, Value::Num(a), Value::Num(b)) if *b != 0.0 => Value::Num(a / b),
        (B::Mod, Value::Num(a), Value::Num(b)) if *b != 0.0 => Value::Num(a % b),
        (B::Eq, a, b) => Value::Bool(a == b),
        (B::NotEq, a, b) => Value::Bool(a != b),
        (B::Less, Value::Num(a), Value::Num(b)) => Value::Bool(a < b),
        (B::LessEq, Value::Num(a), Value::Num(b)) => Value::Bool(a <= b),
        (B::Greater, Value::Num(a), Value::Num(b)) => Value::Bool(a > b),
        (B::GreaterEq, Value::Num(a), Value::Num(b)) => Value::Bool(a >= b),
        (B::And, Value::Bool(a), Value::Bool(b)) => Value::Bool(*a && *b),
        (B::Or, Value::Bool(a), Value::Bool(b)) => Value::Bool(*a || *b),
        _ => Value::Unknown("an operation on values of the wrong type".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(src: &str, expr: &str) -> Value {
        let body = hcl_edit::parser::parse_body(src).unwrap_or_default();
        let mut scope = Scope::default();
        scope.declare(&body);
        let e = hcl_edit::parser::parse_expr(expr).unwrap_or_else(|_| Expression::null());
        scope.eval(&e)
    }

    #[test]
    fn variables_locals_and_arithmetic_resolve() {
        let src = "variable \"gb\" { default = 64 }\nvariable \"input\" {}\nlocals {\n  mb = var.gb * 1024\n  name = \"gpu-${var.gb}\"\n}\n";
        assert_eq!(eval(src, "local.mb").as_int(), Some(65536));
        assert_eq!(eval(src, "local.name"), Value::Str("gpu-64".into()));
        assert!(
            eval(src, "var.input")
                .unknown()
                .is_some_and(|w| w.contains("input of the module"))
        );
        assert_eq!(
            eval(src, "var.gb > 32 ? \"big\" : \"small\""),
            Value::Str("big".into())
        );
        assert_eq!(
            eval(src, "data.vsphere_host.esx.id"),
            Value::Ref(vec![
                "data".into(),
                "vsphere_host".into(),
                "esx".into(),
                "id".into()
            ])
        );
        assert_eq!(
            eval(
                src,
                "[for d in data.vsphere_host_pci_device.gpu.pci_devices : d.id]"
            ),
            Value::Ref(
                [
                    "data",
                    "vsphere_host_pci_device",
                    "gpu",
                    "pci_devices",
                    "*",
                    "id"
                ]
                .map(String::from)
                .to_vec()
            )
        );
        assert!(eval(src, "module.x.y").unknown().is_some());
    }

    #[test]
    fn a_local_cycle_is_unknown_not_a_hang() {
        let src = "locals {\n  a = local.b\n  b = local.a\n}\n";
        assert!(eval(src, "local.a").unknown().is_some());
    }
}
