//! `.vmx` and `.vmsd` files: takes raw bytes, gives the key/value entries
//! (with spans into the decoded text) and then the VM model.
//!
//! Lenient where ESXi is (unquoted values, a comment after the value, any
//! case in keys and booleans); what is really broken is a VL001 and the
//! rest of the file still loads.

use super::{Raw, RawEntry, Spanned};
use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::directives::{self, CommentToken};
use crate::source::{FileId, Span};
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// A `.vmx` (or `.vmsd`) file read into entries.
#[derive(Debug, Default)]
pub struct VmxFile {
    pub raw: Raw,
    /// `# vmlint: host=NAME` (or `cluster=NAME`): the name and its span.
    pub placement: Option<(bool, Spanned<String>)>,
    /// Every comment: own-line `#` lines and comments after a value.
    pub comments: Vec<CommentToken>,
    pub diagnostics: Vec<Diagnostic>,
    /// Hash of the lowercased key → index of its last entry.
    index: HashMap<u64, u32, BuildHasherDefault<PassThrough>>,
}

/// The index's keys are hashes already.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// FNV-1a of the key's lowercased bytes, without allocating.
fn key_hash(key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b.to_ascii_lowercase());
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl VmxFile {
    pub fn entries(&self) -> &[RawEntry] {
        &self.raw.entries
    }

    /// The last entry of `key`, compared case-insensitively.
    pub fn get(&self, key: &str) -> Option<&RawEntry> {
        let hit = self
            .index
            .get(&key_hash(key))
            .and_then(|i| self.raw.entries.get(*i as usize));
        match hit {
            Some(e) if self.raw.key(e).eq_ignore_ascii_case(key) => Some(e),
            // a hash collision: fall back to a scan
            Some(_) => self.raw.get(key),
            None => None,
        }
    }

    pub fn key<'a>(&'a self, e: &'a RawEntry) -> &'a str {
        self.raw.key(e)
    }

    pub fn value<'a>(&'a self, e: &'a RawEntry) -> &'a str {
        self.raw.value(e)
    }

    fn value_sp(&self, e: &RawEntry) -> Spanned<String> {
        Spanned::new(self.value(e).to_string(), e.value)
    }

    fn wrong_type(&self, e: &RawEntry, expected: &str) -> Diagnostic {
        let key = self.key(e);
        Diagnostic::new(
            codes::SCHEMA,
            Severity::Error,
            e.value,
            format!("`{key}` should be {expected}, not `{}`", self.value(e)),
        )
        .with_label(format!("expected {expected}"))
        .with_key(key.to_ascii_lowercase())
    }
}

/// Decodes the bytes of a `.vmx` by the charset its `.encoding` line names
/// (UTF-8 when absent). Returns the text and, if bytes were not valid in
/// that charset, a message saying so.
pub fn decode(bytes: &[u8]) -> (Cow<'_, str>, Option<String>) {
    let label = declared_encoding(bytes);
    let encoding = label
        .as_deref()
        .and_then(|l| match l.to_ascii_lowercase().as_str() {
            "windows-949-2000" | "windows-949" | "cp949" => Some(encoding_rs::EUC_KR),
            other => encoding_rs::Encoding::for_label(other.as_bytes()),
        })
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _, had_errors) = encoding.decode(bytes);
    let note =
        had_errors.then(|| format!("bytes that are not valid {} were replaced", encoding.name()));
    (text, note)
}

/// The charset named by a `.encoding` line among the first lines.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    for line in bytes.split(|b| *b == b'\n').take(8) {
        let line = String::from_utf8_lossy(line);
        let t = line.trim();
        if let Some(rest) = t.strip_prefix(".encoding") {
            let v = rest
                .trim_start()
                .strip_prefix('=')?
                .trim()
                .trim_matches('"');
            return Some(v.to_string());
        }
    }
    None
}

/// Splits the decoded text into entries. Never fails: broken lines become
/// VL001 diagnostics and duplicate keys VL003.
pub fn parse(file: FileId, shared: Arc<str>) -> VmxFile {
    let mut out = VmxFile {
        raw: Raw {
            text: Arc::clone(&shared),
            entries: Vec::new(),
        },
        ..VmxFile::default()
    };
    let text: &str = &shared;
    parse_lines(file, text, &mut out);
    out.placement = directives::read(file, text, &out.comments).placement;
    out
}

/// The raw `.vmx` keys another format carries (Terraform's `extra_config`,
/// Ansible's `advanced_settings`, ...), indexed as a parsed file's are, so
/// that the `.vmx` reader reads them as it reads a file.
pub fn from_raw(raw: Raw) -> VmxFile {
    let mut out = VmxFile {
        raw,
        ..VmxFile::default()
    };
    for (i, e) in out.raw.entries.iter().enumerate() {
        let h = key_hash(out.raw.key(e));
        out.index.insert(h, u32::try_from(i).unwrap_or(u32::MAX));
    }
    out
}

/// The entries, comments and problems of each line.
fn parse_lines(file: FileId, text: &str, out: &mut VmxFile) {
    // one entry per line at most: sized once, not grown key by key
    let lines = memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1;
    out.raw.entries.reserve(lines);
    out.index.reserve(lines);
    let mut next = 0usize;
    while next < text.len() {
        let start = next;
        next = memchr::memchr(b'\n', text.as_bytes().get(start..).unwrap_or_default())
            .map_or(text.len(), |i| start + i + 1);
        let raw_line = text.get(start..next).unwrap_or_default();
        let line = raw_line.trim_end_matches(['\n', '\r']);
        // whitespace is ASCII's: spaces and tabs, as ESXi reads the file
        let lead = line.len() - line.trim_ascii_start().len();
        let body = line.trim_ascii();
        if body.is_empty() {
            continue;
        }
        if body.starts_with('#') {
            out.comments.push(CommentToken {
                span: Span::new(file, start + lead, start + line.len()),
                trailing: false,
            });
            continue;
        }
        let line_span = Span::new(file, start + lead, start + line.len());
        let Some(eq) = memchr::memchr(b'=', line.as_bytes()) else {
            out.diagnostics.push(
                Diagnostic::new(codes::PARSE, Severity::Error, line_span, "this line is not `key = \"value\"`")
                    .with_label("no `=` here")
                    .with_help("each line of a .vmx file sets one key: `key = \"value\"`; comments start with `#`"),
            );
            continue;
        };
        let key_text = line[..eq].trim_ascii();
        let key_start = start + lead;
        let key_span = Span::new(file, key_start, key_start + key_text.len());
        if key_text.is_empty() || !key_text.bytes().all(is_key_byte) {
            out.diagnostics.push(
                Diagnostic::new(
                    codes::PARSE,
                    Severity::Error,
                    if key_text.is_empty() {
                        line_span
                    } else {
                        key_span
                    },
                    "this line has no valid key before `=`",
                )
                .with_label(if key_text.is_empty() {
                    "missing key"
                } else {
                    "not a key"
                })
                .with_help(
                    "keys are made of letters, digits and `.:_-*`, like `pciPassthru0.present`",
                ),
            );
            continue;
        }
        let after = &line[eq + 1..];
        let vstart = start + eq + 1 + (after.len() - after.trim_ascii_start().len());
        let v = after.trim_ascii_start();
        let (value, vspan) = if let Some(inner) = v.strip_prefix('"') {
            match memchr::memchr(b'"', inner.as_bytes()) {
                Some(close) => {
                    let rest = inner[close + 1..].trim_ascii();
                    // where `rest` starts in the file
                    let junk = vstart
                        + 1
                        + close
                        + 1
                        + (inner[close + 1..].len() - inner[close + 1..].trim_ascii_start().len());
                    if rest.starts_with('#') {
                        out.comments.push(CommentToken {
                            span: Span::new(file, junk, junk + rest.len()),
                            trailing: true,
                        });
                    }
                    if !rest.is_empty() && !rest.starts_with('#') {
                        out.diagnostics.push(
                            Diagnostic::new(
                                codes::DOUBTFUL,
                                Severity::Warning,
                                Span::new(file, junk, junk + rest.len()),
                                "text after the closing quote is ignored",
                            )
                            .with_label("ignored")
                            .with_help("put comments on their own line, starting with `#`"),
                        );
                    }
                    (
                        &inner[..close],
                        Span::new(file, vstart + 1, vstart + 1 + close),
                    )
                }
                None => {
                    out.diagnostics.push(
                        Diagnostic::new(
                            codes::PARSE,
                            Severity::Error,
                            Span::new(file, vstart, vstart + v.len()),
                            "this value has no closing quote",
                        )
                        .with_label("unterminated value; the rest of the line was taken")
                        .with_help(
                            "close the value with `\"`; a quote inside a value is written `|22`",
                        ),
                    );
                    (inner, Span::new(file, vstart + 1, vstart + v.len()))
                }
            }
        } else {
            // unquoted, as hand-edited files have it; a ` #` starts a comment
            let end = v.find(" #").or_else(|| v.find("\t#")).unwrap_or(v.len());
            if end < v.len() {
                let at = vstart + end + 1;
                out.comments.push(CommentToken {
                    span: Span::new(file, at, vstart + v.len()),
                    trailing: true,
                });
            }
            let val = v[..end].trim_ascii_end();
            (val, Span::new(file, vstart, vstart + val.len()))
        };
        let h = key_hash(key_text);
        let previous = out
            .index
            .get(&h)
            .and_then(|i| out.raw.entries.get(*i as usize));
        if let Some(prev) = previous
            && out.raw.key(prev).eq_ignore_ascii_case(key_text)
        {
            out.diagnostics.push(
                Diagnostic::new(
                    codes::DUPLICATE,
                    Severity::Warning,
                    key_span,
                    format!("`{key_text}` is set more than once; the last value wins"),
                )
                .with_label("set again here")
                .with_related(prev.key, "set before here")
                .with_help("remove one of the lines")
                .with_key(key_text.to_ascii_lowercase()),
            );
        }
        out.index
            .insert(h, u32::try_from(out.raw.entries.len()).unwrap_or(u32::MAX));
        out.raw.entries.push(RawEntry {
            key: key_span,
            value: vspan,
            key_text: None,
            value_text: value
                .contains('|')
                .then(|| unescape(value).into_boxed_str()),
        });
    }
}

fn is_key_byte(c: u8) -> bool {
    c < 128 && (KEY_BYTES >> c) & 1 == 1
}

/// The bytes a key is made of, one bit each: letters, digits and `.:_-*[]@`.
const KEY_BYTES: u128 = {
    let mut mask = 0u128;
    let mut c = 0u8;
    while c < 128 {
        if c.is_ascii_alphanumeric()
            || matches!(c, b'.' | b':' | b'_' | b'-' | b'*' | b'[' | b']' | b'@')
        {
            mask |= 1 << c;
        }
        c += 1;
    }
    mask
};

/// Undoes VMware's `|XX` escapes (`|22` is `"`, `|0A` a newline). A `|`
/// not followed by two hex digits stays as it is. Backslashes are literal.
pub fn unescape(value: &str) -> String {
    if !value.contains('|') {
        return value.to_string();
    }
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        if c == b'|'
            && let Some(hex) = value.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(c);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

mod model;
pub use model::{Vmsd, is_delta_disk, to_vm, vmsd_snapshots};

#[cfg(test)]
mod tests;
