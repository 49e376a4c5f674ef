//! Reading values out of spanned YAML and JSON documents, as the readers
//! of vCenter dumps, Terraform plans, Ansible and Packer need them: keys
//! matched without regard to case, values with their spans.

use super::{Spanned, pci};
use crate::yaml_tree::{Node, NodeKind};

/// A member of a mapping, whatever the case of its key.
pub fn member<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    node.as_map()?
        .iter()
        .find(|(k, _)| k.scalar().is_some_and(|s| s.eq_ignore_ascii_case(key)))
        .map(|(_, v)| v)
}

pub fn path<'n>(node: &'n Node, keys: &[&str]) -> Option<&'n Node> {
    keys.iter().try_fold(node, |n, k| member(n, k))
}

pub fn items(node: Option<&Node>) -> &[Node] {
    match node.map(|n| &n.kind) {
        Some(NodeKind::Seq(items)) => items,
        _ => &[],
    }
}

/// An id as the API writes it: a signed 16-bit integer, or text.
pub fn id(n: Option<&Node>) -> Option<Spanned<i64>> {
    let n = n?;
    let s = n.scalar()?;
    let v = match s.parse::<i64>() {
        Ok(v) if (-32768..0).contains(&v) => v + 65536,
        Ok(v) => v,
        Err(_) => i64::from(pci::parse_id(s)?),
    };
    Some(Spanned::new(v, n.span))
}

pub fn text(n: Option<&Node>) -> Option<Spanned<String>> {
    let n = n?;
    n.scalar()
        .filter(|s| !s.is_empty())
        .map(|s| Spanned::new(s.to_string(), n.span))
}

pub fn int(n: Option<&Node>) -> Option<Spanned<i64>> {
    let n = n?;
    n.scalar()?.parse().ok().map(|v| Spanned::new(v, n.span))
}

pub fn boolean(n: Option<&Node>) -> Option<Spanned<bool>> {
    let n = n?;
    match n.scalar()? {
        "true" => Some(Spanned::new(true, n.span)),
        "false" => Some(Spanned::new(false, n.span)),
        _ => None,
    }
}

/// A boolean as YAML 1.1 (which Ansible reads) writes it: `true`, `yes`,
/// `on` and their opposites, in any case.
pub fn yaml_bool(n: Option<&Node>) -> Option<Spanned<bool>> {
    let n = n?;
    let v = match n.scalar()?.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "y" => true,
        "false" | "no" | "off" | "n" => false,
        _ => return None,
    };
    Some(Spanned::new(v, n.span))
}

/// A scalar's text as a raw `.vmx` value (`true` stays `true`).
pub fn scalar(n: &Node) -> Option<&str> {
    n.scalar().filter(|_| !n.is_null())
}
