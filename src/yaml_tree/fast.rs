//! The plain YAML that descriptors are written in, read without the full
//! parser: block mappings and sequences, one-line flow collections of
//! scalars, plain and simple quoted scalars, comments.
//!
//! It gives the tree the full parser would give, or nothing: any line it is
//! not sure of (tabs, anchors, tags, escapes, block or multi-line scalars,
//! several documents, empty values, deep nesting, non-ASCII text) sends the
//! whole file to the full parser, which also reports every syntax error.
//! Comments are not kept, so it serves only texts without directives.

use super::{Node, NodeKind};
use crate::source::{FileId, Span};

/// Deepest nesting read here; deeper files go to the full parser.
const MAX_DEPTH: usize = 24;

/// The file's documents, if the text is the plain YAML read here.
pub fn parse(file: FileId, text: &str) -> Option<Vec<Node>> {
    let b = text.as_bytes();
    // printable ASCII and newlines only: no tabs, carriage returns or
    // multi-byte text, whose rules the full parser knows
    if !b.iter().all(|&c| c == b'\n' || (b' '..=b'~').contains(&c)) {
        return None;
    }
    let mut lines = Vec::new();
    // where each document's lines begin: after each `---`
    let mut starts = vec![0];
    let mut start = 0;
    while start < b.len() {
        let rest = b.get(start..).unwrap_or_default();
        let end = memchr::memchr(b'\n', rest).map_or(b.len(), |i| start + i);
        let line = b.get(start..end).unwrap_or_default();
        let indent = line.iter().take_while(|&&c| c == b' ').count();
        match line.get(indent) {
            None | Some(b'#') => {}
            Some(b'-') if indent == 0 && line.starts_with(b"---") => {
                // a marker alone on its line; `--- value` and `---x` are the
                // full parser's
                if line.iter().skip(3).any(|&c| c != b' ') {
                    return None;
                }
                starts.push(lines.len());
            }
            // directives, and the end of a document
            Some(b'%') if indent == 0 => return None,
            Some(b'.') if indent == 0 && line.starts_with(b"...") => return None,
            Some(_) => lines.push(Line {
                start,
                indent: start + indent,
                end,
            }),
        }
        start = end + 1;
    }
    // nothing before the first `---` is no document; an empty one after a
    // `---` is the full parser's
    if starts.get(1) == Some(&0) {
        starts.remove(0);
    }
    if starts.len() > super::MAX_DOCUMENTS {
        return None;
    }
    starts.push(lines.len());
    let mut p = Reader {
        b,
        text,
        file,
        lines,
        at: 0,
        limit: 0,
        nodes: 0,
    };
    let mut documents = Vec::with_capacity(starts.len() - 1);
    for &limit in starts.iter().skip(1) {
        p.limit = limit;
        let first = p.line()?;
        documents.push(p.block(first.indent, 0)?);
        if p.at != p.limit {
            return None;
        }
    }
    (p.nodes <= super::MAX_NODES).then_some(documents)
}

/// A line that holds something: where it starts, its first character, its end.
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    indent: usize,
    end: usize,
}

impl Line {
    fn col(&self) -> usize {
        self.indent - self.start
    }
}

struct Reader<'t> {
    b: &'t [u8],
    /// The same text, for its scalars (ASCII: every byte is a character).
    text: &'t str,
    file: FileId,
    lines: Vec<Line>,
    /// The line being read.
    at: usize,
    /// The end of the document's lines.
    limit: usize,
    nodes: usize,
}

impl Reader<'_> {
    /// The byte at `i`; past the end, a line's end.
    fn byte(&self, i: usize) -> u8 {
        byte(self.b, i)
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn line(&self) -> Option<Line> {
        self.lines
            .get(self.at)
            .filter(|_| self.at < self.limit)
            .copied()
    }

    fn node(&mut self, kind: NodeKind, start: usize, end: usize) -> Node {
        self.nodes += 1;
        Node {
            kind,
            span: self.span(start, end),
        }
    }

    /// The block collection that starts at `pos` of the current line (at
    /// its column, for a mapping after `- `).
    fn block(&mut self, pos: usize, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        if self.is_item(pos) {
            self.seq(pos, depth, false)
        } else {
            self.map(pos, depth)
        }
    }

    fn is_item(&self, pos: usize) -> bool {
        self.b.get(pos) == Some(&b'-')
            && self.b.get(pos + 1).is_none_or(|&c| c == b' ' || c == b'\n')
    }

    /// A block sequence whose first `-` is at `pos`; an indentless one
    /// (at its key's column) starts where its first item does.
    fn seq(&mut self, pos: usize, depth: usize, indentless: bool) -> Option<Node> {
        let col = pos.checked_sub(self.line()?.start)?;
        let mut items = Vec::new();
        let mut dash = pos;
        loop {
            let line = self.line()?;
            let after = skip_spaces(self.b, dash + 1, line.end);
            // `-` alone, `-x`, or `- - x`: the full parser
            if after == dash + 1
                || after >= line.end
                || self.byte(after) == b'#'
                || self.is_item(after)
            {
                return None;
            }
            let item = if self.starts_entry(after, line.end) {
                self.map(after, depth + 1)?
            } else {
                self.inline_value(after, line.end, depth + 1)?
            };
            items.push(item);
            match self.line() {
                Some(next) if next.col() == col && self.is_item(next.indent) => dash = next.indent,
                Some(next) if next.col() > col => return None,
                _ => break,
            }
        }
        let end = items.last()?.span.end as usize;
        let start = if indentless {
            items.first()?.span.start as usize
        } else {
            pos
        };
        Some(self.node(NodeKind::Seq(items), start, end))
    }

    fn map(&mut self, pos: usize, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let col = pos.checked_sub(self.line()?.start)?;
        let mut entries = Vec::new();
        let mut at = pos;
        loop {
            let line = self.line()?;
            let (key, colon) = self.key(at, line.end)?;
            let v = skip_spaces(self.b, colon + 1, line.end);
            let value = if v >= line.end || self.byte(v) == b'#' {
                // the value is the block below; an empty one is the full
                // parser's to place
                self.at += 1;
                let next = self.line()?;
                if next.col() > col {
                    self.block(next.indent, depth + 1)?
                } else if next.col() == col && self.is_item(next.indent) {
                    self.seq(next.indent, depth + 1, true)?
                } else {
                    return None;
                }
            } else {
                self.inline_value(v, line.end, depth + 1)?
            };
            entries.push((key, value));
            match self.line() {
                Some(next) if next.col() == col && !self.is_item(next.indent) => at = next.indent,
                Some(next) if next.col() > col => return None,
                _ => break,
            }
        }
        let end = entries.last()?.1.span.end as usize;
        Some(self.node(NodeKind::Map(entries), pos, end))
    }

    /// Whether a plain key and `: ` (or `:` at the end) start at `pos`.
    fn starts_entry(&self, pos: usize, end: usize) -> bool {
        self.key_end(pos, end).is_some()
    }

    /// Where the `:` after a plain key at `pos` stands.
    fn key_end(&self, pos: usize, end: usize) -> Option<usize> {
        if !plain_start(self.b, pos, end) {
            return None;
        }
        let mut i = pos;
        while i < end {
            match self.byte(i) {
                b':' if i + 1 == end || self.byte(i + 1) == b' ' => {
                    // `key :` is the full parser's
                    return (self.byte(i.saturating_sub(1)) != b' ').then_some(i);
                }
                b'#' if self.byte(i.saturating_sub(1)) == b' ' => return None,
                _ => i += 1,
            }
        }
        None
    }

    fn key(&mut self, pos: usize, end: usize) -> Option<(Node, usize)> {
        let colon = self.key_end(pos, end)?;
        let text = self.text(pos, colon);
        Some((self.scalar(text, true, pos, colon), colon))
    }

    fn text(&self, start: usize, end: usize) -> String {
        self.text.get(start..end).unwrap_or_default().to_string()
    }

    fn scalar(&mut self, text: String, plain: bool, start: usize, end: usize) -> Node {
        self.node(NodeKind::Scalar { text, plain }, start, end)
    }

    /// A scalar or flow collection from `pos` to the end of the line (or
    /// its comment); the line is then read.
    fn inline_value(&mut self, pos: usize, end: usize, depth: usize) -> Option<Node> {
        let (node, after) = match self.byte(pos) {
            b'{' | b'[' => self.flow(pos, end, depth)?,
            b'"' | b'\'' => self.quoted(pos, end)?,
            _ => {
                if !plain_start(self.b, pos, end) {
                    return None;
                }
                let mut i = pos;
                while i < end {
                    match self.byte(i) {
                        // a second key on the line, or a key without value
                        b':' if i + 1 == end || self.byte(i + 1) == b' ' => return None,
                        b'#' if self.byte(i.saturating_sub(1)) == b' ' => break,
                        _ => i += 1,
                    }
                }
                let stop = trim_end(self.b, pos, i);
                let text = self.text(pos, stop);
                (self.scalar(text, true, pos, stop), i)
            }
        };
        let rest = skip_spaces(self.b, after, end);
        // only a comment after a space may follow
        if rest < end && !(self.byte(rest) == b'#' && self.byte(rest.saturating_sub(1)) == b' ') {
            return None;
        }
        self.at += 1;
        Some(node)
    }

    /// A quoted scalar without escapes, on one line.
    fn quoted(&mut self, pos: usize, end: usize) -> Option<(Node, usize)> {
        let q = self.byte(pos);
        let close = pos + 1 + memchr::memchr(q, self.b.get(pos + 1..end)?)?;
        let inner = self.b.get(pos + 1..close)?;
        if (q == b'"' && inner.contains(&b'\\')) || self.b.get(close + 1) == Some(&q) {
            return None;
        }
        let text = self.text(pos + 1, close);
        Some((self.scalar(text, false, pos, close + 1), close + 1))
    }

    /// A flow mapping or sequence of scalars, on one line.
    fn flow(&mut self, pos: usize, end: usize, depth: usize) -> Option<(Node, usize)> {
        if depth > MAX_DEPTH {
            return None;
        }
        let is_map = self.byte(pos) == b'{';
        let close = if is_map { b'}' } else { b']' };
        let mut items = Vec::new();
        let mut entries = Vec::new();
        let mut i = skip_spaces(self.b, pos + 1, end);
        // `[]` and `{}` end at their closing bracket
        let empty = self.byte(i) == close && i < end;
        // the items up to the closing bracket
        if !empty {
            loop {
                let (first, after) = self.flow_scalar(i, end)?;
                i = skip_spaces(self.b, after, end);
                if is_map {
                    // `key: value`, the colon right after the key
                    if self.b.get(i) != Some(&b':')
                        || i != after
                        || self.b.get(i + 1) != Some(&b' ')
                    {
                        return None;
                    }
                    let (value, after) = self.flow_scalar(skip_spaces(self.b, i + 1, end), end)?;
                    entries.push((first, value));
                    i = skip_spaces(self.b, after, end);
                } else {
                    items.push(first);
                }
                match self.b.get(i) {
                    Some(b',') if i < end => i = skip_spaces(self.b, i + 1, end),
                    Some(&c) if c == close && i < end => break,
                    _ => return None,
                }
            }
        }
        self.flow_end(is_map, items, entries, pos, i)
    }

    /// The flow collection from `pos` to its closing bracket at `i`.
    fn flow_end(
        &mut self,
        is_map: bool,
        items: Vec<Node>,
        entries: Vec<(Node, Node)>,
        pos: usize,
        i: usize,
    ) -> Option<(Node, usize)> {
        let last = if is_map {
            entries.last().map(|(_, v)| v.span.end)
        } else {
            items.last().map(|n| n.span.end)
        };
        let kind = if is_map {
            NodeKind::Map(entries)
        } else {
            NodeKind::Seq(items)
        };
        let last = match last {
            Some(last) => last as usize,
            None => i + 1,
        };
        let node = self.node(kind, pos, last);
        Some((node, i + 1))
    }

    /// A scalar inside a flow collection: quoted, or plain up to a flow
    /// indicator.
    fn flow_scalar(&mut self, pos: usize, end: usize) -> Option<(Node, usize)> {
        if pos >= end {
            return None;
        }
        if matches!(self.byte(pos), b'"' | b'\'') {
            return self.quoted(pos, end);
        }
        if !plain_start(self.b, pos, end) {
            return None;
        }
        let mut i = pos;
        while i < end && !matches!(self.byte(i), b',' | b'[' | b']' | b'{' | b'}') {
            match self.byte(i) {
                // `a:b` and `a :b` are the full parser's
                b':' => break,
                b'#' if self.byte(i.saturating_sub(1)) == b' ' => return None,
                _ => i += 1,
            }
        }
        let stop = trim_end(self.b, pos, i);
        if stop == pos {
            return None;
        }
        if self.b.get(i) == Some(&b':') && stop != i {
            return None;
        }
        let text = self.text(pos, stop);
        Some((self.scalar(text, true, pos, stop), stop))
    }
}

/// Whether a plain scalar may start at `pos`: not at an indicator (a
/// `-` followed by a letter or digit is the start of a word).
fn plain_start(b: &[u8], pos: usize, end: usize) -> bool {
    match b.get(pos) {
        None => false,
        _ if pos >= end => false,
        Some(b'-') => b.get(pos + 1).is_some_and(u8::is_ascii_alphanumeric) && pos + 1 < end,
        Some(
            b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|'
            | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' | b' ',
        ) => false,
        Some(_) => true,
    }
}

fn byte(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(b'\n')
}

fn skip_spaces(b: &[u8], mut i: usize, end: usize) -> usize {
    while i < end && byte(b, i) == b' ' {
        i += 1;
    }
    i
}

fn trim_end(b: &[u8], start: usize, mut end: usize) -> usize {
    while end > start && byte(b, end - 1) == b' ' {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests;
