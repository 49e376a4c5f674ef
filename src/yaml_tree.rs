//! Spanned YAML: takes a file's text, gives documents whose every key and
//! value keeps its byte span, plus the comments (for suppressions).
//!
//! Built from granit-parser's event stream with an explicit stack (no
//! recursion), under budgets for depth, nodes and alias expansion, so a
//! hostile file becomes a diagnostic instead of a crash or a memory blow-up.

use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::source::{FileId, Span};
use granit_parser::{Event, Options, Parser, ScalarStyle};
use std::collections::HashMap;

mod fast;

/// Deepest nesting a descriptor may have; real ones use four or five levels.
pub const MAX_DEPTH: usize = 64;
/// Most nodes one file may produce, aliases expanded.
pub const MAX_NODES: usize = 200_000;
/// Most documents in one file (memory is bounded by `MAX_NODES` anyway;
/// an inventory exported as one multi-document file can be long).
pub const MAX_DOCUMENTS: usize = 100_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Scalar { text: String, plain: bool },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The text of a scalar, `None` for collections.
    pub fn scalar(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// A plain `null`, `~` or empty scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { text, plain: true } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.scalar() == Some(key))
            .map(|(_, v)| v)
    }

    /// What kind of YAML value this is, for "expected X, found Y" messages.
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            NodeKind::Scalar { .. } if self.is_null() => "null",
            NodeKind::Scalar { .. } => "a scalar",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }
}

/// A comment and where it stands.
#[derive(Clone, Debug)]
pub struct Comment {
    pub text: String,
    pub span: Span,
    /// Whether code stands before it on its line (`key: value # comment`).
    pub trailing: bool,
}

#[derive(Debug, Default)]
pub struct Parsed {
    pub documents: Vec<Node>,
    pub comments: Vec<Comment>,
    pub diagnostics: Vec<Diagnostic>,
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: usize,
        anchor: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        start: usize,
        anchor: usize,
    },
}

/// Parses every document of `text`. Problems become VL001 diagnostics; the
/// documents read before a problem are kept.
pub fn parse(file: FileId, text: &str) -> Parsed {
    // comments are kept for the directives they may hold: a text that holds
    // none is read without them, by the plain reader when it can
    let comments = crate::directives::may_hold(text);
    if !comments && let Some(documents) = fast::parse(file, text) {
        return Parsed {
            documents,
            ..Parsed::default()
        };
    }
    full(file, text, comments)
}

/// `parse` by the full parser, with comments or without.
fn full(file: FileId, text: &str, comments: bool) -> Parsed {
    let mut out = Parsed::default();
    let mut options = Options::default();
    options.block_nesting_limit = MAX_DEPTH + 8;
    options.flow_nesting_limit = MAX_DEPTH + 8;
    options.emit_comments = comments;
    let parser = Parser::new_from_str_with_options(text, options);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut nodes = 0usize;
    let mut doc_root: Option<Node> = None;
    let span_of = |s: &granit_parser::Span| {
        let r = s.byte_range().unwrap_or(0..0);
        Span::new(file, r.start, r.end)
    };
    let fail = |out: &mut Parsed, span: Span, msg: String| {
        out.diagnostics
            .push(Diagnostic::new(codes::PARSE, Severity::Error, span, msg).with_label("here"));
    };
    for item in parser {
        let (event, espan) = match item {
            Ok(x) => x,
            Err(e) => {
                let m = e.marker();
                let at = m.byte_offset().unwrap_or(0).min(text.len());
                fail(
                    &mut out,
                    Span::new(file, at, (at + 1).min(text.len())),
                    format!("YAML syntax error: {}", e.info()),
                );
                return out;
            }
        };
        let span = span_of(&espan);
        let node = match event {
            Event::Comment(t, placement) => {
                out.comments.push(Comment {
                    text: t.into_owned(),
                    span,
                    trailing: placement == granit_parser::Placement::Right,
                });
                continue;
            }
            Event::DocumentStart(..) => {
                if out.documents.len() >= MAX_DOCUMENTS {
                    fail(
                        &mut out,
                        span,
                        format!("more than {MAX_DOCUMENTS} documents in one file"),
                    );
                    return out;
                }
                anchors.clear();
                continue;
            }
            Event::DocumentEnd => {
                if let Some(root) = doc_root.take() {
                    out.documents.push(root);
                }
                continue;
            }
            Event::UnresolvedAlias(..) => {
                fail(&mut out, span, "alias to an unknown anchor".to_string());
                return out;
            }
            Event::StreamStart | Event::StreamEnd | Event::Anchor(..) => continue,
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _)
                if stack.len() >= MAX_DEPTH =>
            {
                let _ = anchor;
                fail(
                    &mut out,
                    span,
                    format!("nesting deeper than {MAX_DEPTH} levels"),
                );
                return out;
            }
            Event::SequenceStart(_, anchor, _) => {
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    start: span.start as usize,
                    anchor,
                });
                continue;
            }
            Event::MappingStart(_, anchor, _) => {
                stack.push(Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    start: span.start as usize,
                    anchor,
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = stack.pop() else { continue };
                let (kind, start, anchor) = match frame {
                    Frame::Seq {
                        items,
                        start,
                        anchor,
                    } => (NodeKind::Seq(items), start, anchor),
                    Frame::Map {
                        entries,
                        start,
                        anchor,
                        ..
                    } => (NodeKind::Map(entries), start, anchor),
                };
                let end = match &kind {
                    NodeKind::Seq(v) => v.last().map_or(span.end as usize, |n| n.span.end as usize),
                    NodeKind::Map(v) => v
                        .last()
                        .map_or(span.end as usize, |(_, n)| n.span.end as usize),
                    NodeKind::Scalar { .. } => span.end as usize,
                };
                let node = Node {
                    kind,
                    span: Span::new(file, start, end.max(start)),
                };
                if anchor != 0 {
                    anchors.insert(anchor, node.clone());
                }
                node
            }
            Event::Scalar(text, style, anchor, _) => {
                let node = Node {
                    kind: NodeKind::Scalar {
                        text: text.into_owned(),
                        plain: style == ScalarStyle::Plain,
                    },
                    span,
                };
                if anchor != 0 {
                    anchors.insert(anchor, node.clone());
                }
                node
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(target) => {
                    let size = count_nodes(target);
                    if nodes.saturating_add(size) > MAX_NODES {
                        fail(
                            &mut out,
                            span,
                            format!(
                                "aliases expand to more than {MAX_NODES} nodes (an alias bomb?)"
                            ),
                        );
                        return out;
                    }
                    nodes += size;
                    let mut n = target.clone();
                    n.span = span;
                    n
                }
                None => {
                    fail(&mut out, span, "alias to an unknown anchor".to_string());
                    return out;
                }
            },
            _ => continue,
        };
        nodes += 1;
        if nodes > MAX_NODES {
            fail(
                &mut out,
                span,
                format!("more than {MAX_NODES} nodes in one file"),
            );
            return out;
        }
        match stack.last_mut() {
            None => doc_root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }
    if let Some(root) = doc_root.take() {
        out.documents.push(root);
    }
    out
}

/// Nodes in a tree, counted without recursion and capped at the budget.
fn count_nodes(node: &Node) -> usize {
    let mut n = 0usize;
    let mut todo = vec![node];
    while let Some(x) = todo.pop() {
        n += 1;
        if n > MAX_NODES {
            return n;
        }
        match &x.kind {
            NodeKind::Scalar { .. } => {}
            NodeKind::Seq(v) => todo.extend(v.iter()),
            NodeKind::Map(v) => todo.extend(v.iter().flat_map(|(k, v)| [k, v])),
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(text: &str, span: Span) -> &str {
        &text[span.range()]
    }

    #[test]
    fn keys_and_values_keep_byte_spans_after_multibyte_text() {
        let text = "# café ✓\nkind: vm\nmemory_mb: 4096 # vmlint: ignore PT009\n";
        let p = parse(FileId(0), text);
        assert!(p.diagnostics.is_empty());
        let root = &p.documents[0];
        let (k, v) = &root.as_map().unwrap()[1];
        assert_eq!(slice(text, k.span), "memory_mb");
        assert_eq!(slice(text, v.span), "4096");
        assert!(
            p.comments
                .iter()
                .any(|c| c.trailing && c.text == " vmlint: ignore PT009")
        );
    }

    #[test]
    fn comments_are_kept_only_where_a_directive_may_be() {
        let p = parse(FileId(0), "# owned by team-131\nkind: vm # MiB\n");
        assert!(p.diagnostics.is_empty());
        assert_eq!(p.documents.len(), 1);
        assert!(p.comments.is_empty());
        let p = parse(FileId(0), "# owned by team-131\nkind: vm # expect: PT001\n");
        assert_eq!(p.comments.len(), 2);
    }

    #[test]
    fn every_document_is_read() {
        let p = parse(FileId(0), "kind: host\nname: a\n---\nkind: host\nname: b\n");
        assert_eq!(p.documents.len(), 2);
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let refs = vec![format!("*a{}", i - 1); 9].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let p = parse(FileId(0), &text);
        assert_eq!(p.diagnostics.len(), 1);
        assert!(p.diagnostics[0].message.contains("alias"));
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let text = "- ".repeat(50_000) + "x\n";
        let p = parse(FileId(0), &text);
        assert_eq!(p.diagnostics.len(), 1);
        let flow = "[".repeat(50_000);
        let p = parse(FileId(0), &flow);
        assert_eq!(p.diagnostics.len(), 1);
    }
}
