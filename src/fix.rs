//! Fixes: takes the field edits a rule's `fix` declares, gives edits of the
//! file's text in the file's own format: a `.vmx` value in quotes with its
//! `|XX` escapes (written back in the file's charset, with its line ends),
//! a YAML scalar or key with the document's indentation and comments kept,
//! a Terraform attribute. A format that cannot say a field gets no edit:
//! the fix is then only shown. Writing is atomic (see `write_atomic`).

use crate::diagnostic::{FieldEdit, Fix, FixValue, TextEdit};
use crate::model::Format;
use crate::schema::fields::{FIELDS, vmx_keys};
use crate::schema::types::{RecordType, Ty};
use crate::source::{FileId, Span};
use std::path::Path;
use std::sync::Arc;

/// A YAML key and the text of its value.
type KeyText = (&'static str, String);

/// Fills `fix.text` with the edits of `text` (the file `file`'s decoded
/// text) that the fix's field edits stand for.
pub fn compute(fix: &mut Fix, file: FileId, text: &Arc<str>) {
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut out = Vec::new();
    // YAML: fields of one missing nested record go on one line
    let mut nested: Vec<(RecordType, Span, Vec<KeyText>)> = Vec::new();
    for e in &fix.edits {
        match e {
            FieldEdit::Rename { key, to } => out.push(TextEdit {
                span: *key,
                text: to.clone(),
            }),
            FieldEdit::Remove { at, .. } => {
                // the whole line that says it, where the key stands alone on it
                if matches!(fix.format, Format::Vmx | Format::Yaml | Format::Terraform) {
                    let start = text
                        .get(..at.start as usize)
                        .and_then(|t| t.rfind('\n'))
                        .map_or(0, |i| i + 1);
                    let line = text
                        .get(start..line_end(text, at.end as usize))
                        .unwrap_or("");
                    if !line.contains('{') && !line.contains('}') {
                        let end = line_end(text, at.end as usize);
                        let end = end
                            + text.get(end..).map_or(0, |t| {
                                if t.starts_with("\r\n") {
                                    2
                                } else {
                                    usize::from(t.starts_with('\n'))
                                }
                            });
                        out.push(TextEdit {
                            span: Span::new(file, start, end),
                            text: String::new(),
                        });
                    }
                }
            }
            FieldEdit::Set {
                on,
                field,
                at,
                present,
                value,
                index,
            } => match fix.format {
                Format::Vmx => {
                    out.extend(vmx_set(*on, field, *at, *present, value, *index, text, eol))
                }
                // a device item that lacks a key: not written (its list item's layout varies)
                Format::Yaml if *on == RecordType::Device && !*present => {}
                Format::Yaml => {
                    let Some(key) = yaml_key(*on, field) else {
                        continue;
                    };
                    let rendered = yaml_value(*on, field, value);
                    if *present {
                        out.push(TextEdit {
                            span: *at,
                            text: rendered,
                        });
                    } else if *on == RecordType::Vm {
                        out.extend(yaml_insert(
                            file,
                            text,
                            *at,
                            &format!("{key}: {rendered}"),
                            eol,
                        ));
                    } else {
                        match nested.iter_mut().find(|(r, ..)| r == on) {
                            Some((.., kv)) => kv.push((key, rendered)),
                            None => nested.push((*on, *at, vec![(key, rendered)])),
                        }
                    }
                }
                Format::Terraform => out.extend(hcl_set(*on, field, *at, *present, value, text)),
                _ => {}
            },
        }
    }
    for (on, at, kv) in nested {
        out.extend(yaml_nested(file, text, on, at, &kv, eol));
    }
    fix.text = out;
}

/// A `.vmx` value: `TRUE`/`FALSE`, a number, or text with `|XX` escapes.
fn vmx_value(v: &FixValue) -> String {
    match v {
        FixValue::Bool(true) => "TRUE".into(),
        FixValue::Bool(false) => "FALSE".into(),
        FixValue::Int(n) => n.to_string(),
        FixValue::Str(s) => s
            .chars()
            .map(|c| match c {
                '"' => "|22".to_string(),
                '|' => "|7C".to_string(),
                '#' => "|23".to_string(),
                c => c.to_string(),
            })
            .collect(),
    }
}

#[allow(clippy::too_many_arguments)]
fn vmx_set(
    on: RecordType,
    field: &str,
    at: Span,
    present: bool,
    value: &FixValue,
    index: Option<i64>,
    text: &str,
    eol: &str,
) -> Option<TextEdit> {
    let v = match value {
        // ids as ESXi writes them
        FixValue::Int(n) if on == RecordType::Device && field.ends_with("_id") => {
            format!("{n:#06x}")
        }
        _ => vmx_value(value),
    };
    if present {
        return Some(TextEdit { span: at, text: v });
    }
    let template = vmx_keys(on, field).first()?;
    // `pciPassthruN.vendorId`: N is the device's number
    let key = match index {
        Some(n) => template.replacen("pciPassthruN", &format!("pciPassthru{n}"), 1),
        None if template.contains("pciPassthruN") => return None,
        None => (*template).to_string(),
    };
    // a new line at the end of the file, in its own line ends
    let end = text.len();
    let lead = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        eol
    };
    Some(TextEdit {
        span: Span::new(at.file, end, end),
        text: format!("{lead}{key} = \"{v}\"{eol}"),
    })
}

/// The YAML key of a field within its record.
fn yaml_key(on: RecordType, field: &str) -> Option<&'static str> {
    FIELDS
        .iter()
        .find(|f| f.on == on && f.name == field)
        .map(|f| f.yaml)
        .filter(|k| !k.is_empty())
}

/// The YAML key of a nested record within the VM (`hot_add`).
fn record_key(on: RecordType) -> Option<&'static str> {
    FIELDS
        .iter()
        .find(|f| f.on == RecordType::Vm && f.ty == Ty::Record(on))
        .map(|f| f.yaml)
        .filter(|k| !k.is_empty())
}

/// A YAML scalar; `memory_reservation: all` says "all memory reserved".
fn yaml_value(on: RecordType, field: &str, v: &FixValue) -> String {
    match v {
        FixValue::Int(n) if on == RecordType::Device && field.ends_with("_id") => {
            format!("{n:#06x}")
        }
        FixValue::Bool(true) if on == RecordType::Vm && field == "memory_reservation_all" => {
            "all".into()
        }
        FixValue::Bool(b) => b.to_string(),
        FixValue::Int(n) => n.to_string(),
        FixValue::Str(s)
            if s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                && !s.is_empty() =>
        {
            s.clone()
        }
        FixValue::Str(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
    }
}

/// The YAML document of `text` that holds `at`.
fn yaml_doc(file: FileId, text: &str, at: Span) -> Option<crate::yaml_tree::Node> {
    let parsed = crate::yaml_tree::parse(file, text);
    parsed
        .documents
        .into_iter()
        .find(|d| d.span.start <= at.start && at.end <= d.span.end.max(at.end))
}

/// A line `line` added at the end of the YAML mapping that starts at
/// `at`, indented as its keys are.
fn yaml_insert(file: FileId, text: &str, at: Span, line: &str, eol: &str) -> Option<TextEdit> {
    let doc = yaml_doc(file, text, at)?;
    let map = doc.as_map()?;
    let (last_k, last_v) = map.last()?;
    let indent = column(text, last_k.span.start as usize);
    let end = line_end(text, last_v.span.end as usize);
    Some(TextEdit {
        span: Span::new(file, end, end),
        text: format!("{eol}{}{line}", " ".repeat(indent)),
    })
}

/// The fields of a nested record (`hot_add`) a document lacks: into its
/// mapping when it has one (flow or block), else a new flow mapping.
fn yaml_nested(
    file: FileId,
    text: &str,
    on: RecordType,
    at: Span,
    kv: &[KeyText],
    eol: &str,
) -> Option<TextEdit> {
    let parent = record_key(on)?;
    let doc = yaml_doc(file, text, at)?;
    let Some(existing) = doc.get(parent) else {
        let body = kv
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        return yaml_insert(file, text, at, &format!("{parent}: {{ {body} }}"), eol);
    };
    let span = existing.span;
    let src = text.get(span.range())?;
    if src.trim_start().starts_with('{') {
        // `{ cpu: true }` → `{ cpu: true, memory: false }`
        let close = span.start as usize + src.rfind('}')?;
        let before = text.get(..close)?.trim_end();
        let sep = if before.ends_with('{') { " " } else { ", " };
        let body = kv
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let at = before.len();
        return Some(TextEdit {
            span: Span::new(file, at, close),
            text: format!("{sep}{body} "),
        });
    }
    let (first_k, _) = existing.as_map()?.first()?;
    let indent = column(text, first_k.span.start as usize);
    let end = line_end(text, span.end as usize);
    let lines: String = kv
        .iter()
        .map(|(k, v)| format!("{eol}{}{k}: {v}", " ".repeat(indent)))
        .collect();
    Some(TextEdit {
        span: Span::new(file, end, end),
        text: lines,
    })
}

/// Terraform's attribute for a field of `vsphere_virtual_machine`.
fn hcl_attr(on: RecordType, field: &str) -> Option<&'static str> {
    match (on, field) {
        (RecordType::Vm, "memory_reservation_all") => Some("memory_reservation_locked_to_max"),
        (RecordType::Vm, "memory_reservation_mb") => Some("memory_reservation"),
        (RecordType::Vm, "firmware") => Some("firmware"),
        (RecordType::Vm, "hardware_version") => Some("hardware_version"),
        (RecordType::HotAdd, "cpu") => Some("cpu_hot_add_enabled"),
        (RecordType::HotAdd, "memory") => Some("memory_hot_add_enabled"),
        _ => None,
    }
}

fn hcl_set(
    on: RecordType,
    field: &str,
    at: Span,
    present: bool,
    value: &FixValue,
    text: &str,
) -> Option<TextEdit> {
    // a raw `.vmx` key of `extra_config`: its value is a string there
    let in_extra = !vmx_keys(on, field).is_empty() && hcl_attr(on, field).is_none();
    let v = match value {
        _ if in_extra => format!("\"{}\"", vmx_value(value)),
        FixValue::Bool(b) => b.to_string(),
        FixValue::Int(n) => n.to_string(),
        FixValue::Str(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
    };
    if present {
        return Some(TextEdit { span: at, text: v });
    }
    let attr = hcl_attr(on, field)?;
    // after the block's opening line, indented as a block's attributes are
    let open = at.start as usize + text.get(at.range())?.find('{')? + 1;
    let end = line_end(text, open);
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    Some(TextEdit {
        span: Span::new(at.file, end, end),
        text: format!("{eol}  {attr} = {v}"),
    })
}

fn column(text: &str, at: usize) -> usize {
    let start = text
        .get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    at.saturating_sub(start)
}

/// The end of the line `at` is on (before its line end).
fn line_end(text: &str, at: usize) -> usize {
    let rest = text.get(at..).unwrap_or("");
    let n = rest.find('\n').unwrap_or(rest.len());
    let n = if rest.get(..n).is_some_and(|l| l.ends_with('\r')) {
        n - 1
    } else {
        n
    };
    at + n
}

/// `text` with `edits` applied; an edit that overlaps one already taken is
/// left for the next round. Returns the text and how many were applied.
pub fn apply(text: &str, edits: &[&TextEdit]) -> (String, usize) {
    let mut sorted: Vec<&TextEdit> = edits.to_vec();
    sorted.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut pos = 0usize;
    let mut applied = 0;
    for e in sorted {
        let (s, t) = (e.span.start as usize, e.span.end as usize);
        if s < pos || t > text.len() || s > t {
            continue;
        }
        out.push_str(text.get(pos..s).unwrap_or(""));
        out.push_str(&e.text);
        pos = t;
        applied += 1;
    }
    out.push_str(text.get(pos..).unwrap_or(""));
    (out, applied)
}

/// The bytes of a file's new text in its own encoding: a `.vmx` in the
/// charset its `.encoding` names (UTF-8 when it names none it knows).
pub fn encode(text: &str, is_vmx: bool) -> Vec<u8> {
    if !is_vmx {
        return text.as_bytes().to_vec();
    }
    let label = text
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case(".encoding")
                .then(|| v.trim().trim_matches('"').to_string())
        })
        .unwrap_or_default();
    match encoding_rs::Encoding::for_label(label.as_bytes()) {
        Some(enc) if enc != encoding_rs::UTF_8 => enc.encode(text).0.into_owned(),
        _ => text.as_bytes().to_vec(),
    }
}

/// Writes `bytes` to `path` so that an interruption leaves it either old or
/// new: a temporary file beside it (the link's target, for a symbolic
/// link), flushed to disk, given the file's mode, then renamed over it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let target = std::fs::canonicalize(path)?;
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("file");
    let tmp = dir.join(format!(".{name}.vmlint-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        let perms = std::fs::metadata(&target)?.permissions();
        std::fs::set_permissions(&tmp, perms)?;
        // for the tests of interrupted writes: stop between write and rename
        if std::env::var_os("VMLINT_TEST_INTERRUPT_BEFORE_RENAME").is_some() {
            return Err(std::io::Error::other(
                "interrupted before the rename (test)",
            ));
        }
        std::fs::rename(&tmp, &target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
