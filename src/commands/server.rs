//! `vmlint server`: a language server over stdio (the `lsp-server` crate,
//! as ruff uses it). Open documents are read from the editor's buffers,
//! never from the stale files on disk; each is checked with the
//! configuration `check` would find for it, on a worker thread, so the
//! server always answers (hover and code actions use the last results).
//! A change re-checks that document first, then the other open documents
//! (a host file concerns its VMs, a VM the cross-VM findings of its host's
//! other VMs); the workspace is not re-checked as a whole.

use crate::diagnostic::{Diagnostic, Severity};
use crate::discover::set_overlay;
use crate::engine;
use crate::settings::Settings;
use crate::source::{FileKind, SourceMap};
use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types as lsp;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

/// How positions are counted, as the client and server agreed.
#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    Utf8,
    Utf16,
}

/// An open document's last findings, with the text they were found in.
struct Checked {
    text: Arc<str>,
    diags: Vec<Diagnostic>,
}

type Results = Arc<Mutex<HashMap<PathBuf, Checked>>>;

pub fn run() -> super::ExitStatus {
    let (conn, io) = Connection::stdio();
    let status = serve(&conn);
    drop(conn);
    let _ = io.join();
    status
}

fn serve(conn: &Connection) -> super::ExitStatus {
    let Ok((id, params)) = conn.initialize_start() else {
        return super::ExitStatus::Error;
    };
    let offered: Vec<String> = params
        .pointer("/capabilities/general/positionEncodings")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let enc = if offered.iter().any(|e| e == "utf-8") {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    };
    let caps = json!({
        "capabilities": {
            "positionEncoding": if enc == Encoding::Utf8 { "utf-8" } else { "utf-16" },
            "textDocumentSync": { "openClose": true, "change": 1, "save": { "includeText": false } },
            "hoverProvider": true,
            "codeActionProvider": { "codeActionKinds": ["quickfix"] },
        },
        "serverInfo": { "name": "vmlint", "version": env!("CARGO_PKG_VERSION") },
    });
    // `initialized` is taken as it comes, like any notification: a client
    // that sends a document first is served all the same
    if conn
        .sender
        .send(Message::Response(Response::new_ok(id, caps)))
        .is_err()
    {
        return super::ExitStatus::Error;
    }
    let results: Results = Arc::default();
    let (tx, rx) = mpsc::channel::<Job>();
    let worker = {
        let sender = conn.sender.clone();
        let results = Arc::clone(&results);
        std::thread::spawn(move || work(&rx, &sender, &results, enc))
    };
    let mut open: Vec<PathBuf> = Vec::new();
    for msg in &conn.receiver {
        match msg {
            Message::Request(req) => {
                if conn.handle_shutdown(&req).unwrap_or(true) {
                    break;
                }
                let resp = answer(&req, &results, enc);
                let _ = conn.sender.send(Message::Response(resp));
            }
            Message::Notification(n) => {
                if let Some(jobs) = notified(&n, &mut open) {
                    for j in jobs {
                        let _ = tx.send(j);
                    }
                }
            }
            Message::Response(_) => {}
        }
    }
    drop(tx);
    let _ = worker.join();
    super::ExitStatus::Clean
}

/// A document to check again.
struct Job {
    path: PathBuf,
}

fn path_of(uri: &str) -> Option<PathBuf> {
    lsp::Url::parse(uri).ok()?.to_file_path().ok()
}

fn uri_of(path: &Path) -> String {
    lsp::Url::from_file_path(path).map_or_else(|_| String::new(), |u| u.to_string())
}

/// What a notification changes: the buffers, and which documents to check.
fn notified(n: &Notification, open: &mut Vec<PathBuf>) -> Option<Vec<Job>> {
    let p = &n.params;
    let uri = p.pointer("/textDocument/uri").and_then(Value::as_str);
    match n.method.as_str() {
        "textDocument/didOpen" | "textDocument/didChange" => {
            let path = path_of(uri?)?;
            let text = p
                .pointer("/textDocument/text")
                .or_else(|| p.pointer("/contentChanges/0/text"))
                .and_then(Value::as_str)?;
            // a `.vmx` is read in the charset its `.encoding` names: the
            // buffer goes back to those bytes, so positions are the editor's
            let is_vmx = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("vmx"));
            set_overlay(&path, Some(crate::fix::encode(text, is_vmx)));
            if !open.contains(&path) {
                open.push(path.clone());
            }
            Some(jobs_for(&path, open))
        }
        "textDocument/didClose" => {
            let path = path_of(uri?)?;
            set_overlay(&path, None);
            open.retain(|o| *o != path);
            None
        }
        // files changed on disk, or settings: every open document again
        "workspace/didChangeWatchedFiles"
        | "workspace/didChangeConfiguration"
        | "textDocument/didSave" => Some(open.iter().map(|p| Job { path: p.clone() }).collect()),
        _ => None,
    }
}

/// The document that changed first, then every other open document: a
/// host, rule or configuration file concerns them all, and a VM the
/// cross-VM findings of the other VMs of its host.
fn jobs_for(path: &Path, open: &[PathBuf]) -> Vec<Job> {
    std::iter::once(path.to_path_buf())
        .chain(open.iter().filter(|p| p.as_path() != path).cloned())
        .map(|path| Job { path })
        .collect()
}

/// The worker: checks documents, the latest request for each first.
fn work(
    rx: &mpsc::Receiver<Job>,
    sender: &crossbeam_channel::Sender<Message>,
    results: &Results,
    enc: Encoding,
) {
    while let Ok(first) = rx.recv() {
        // what piled up while the last check ran: each document once
        let mut queue = vec![first.path];
        while let Ok(j) = rx.try_recv() {
            if !queue.contains(&j.path) {
                queue.push(j.path);
            }
        }
        for path in queue {
            // a bad buffer is a diagnostic; a bug is a message, never the end
            let found = std::panic::catch_unwind(|| check(&path)).ok().flatten();
            let Some((text, diags)) = found else { continue };
            let items: Vec<Value> = diags.iter().map(|d| to_lsp(d, &text, enc)).collect();
            let params = json!({ "uri": uri_of(&path), "diagnostics": items });
            let _ = sender.send(Message::Notification(Notification::new(
                "textDocument/publishDiagnostics".into(),
                params,
            )));
            if let Ok(mut r) = results.lock() {
                r.insert(path, Checked { text, diags });
            }
        }
    }
}

/// The findings in one document, and its text as they point into it.
fn check(path: &Path) -> Option<(Arc<str>, Vec<Diagnostic>)> {
    let sources = SourceMap::new();
    let cfg = match crate::config::load(None, path, &sources) {
        Ok(c) => c,
        Err(d) => return Some(in_file(&sources, path, d)),
    };
    // a rule file being edited is checked whether or not the configuration names it
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut extra = cfg.rules.clone();
    if name.ends_with(".rules") && !extra.iter().any(|r| path.starts_with(r)) {
        extra.push(path.to_path_buf());
    }
    let rules = match crate::ruleset::load_rules(&sources, cfg.builtin, &extra, &cfg) {
        Ok(r) => r,
        Err(d) => return Some(in_file(&sources, path, d)),
    };
    if name.ends_with(".rules") || crate::config::FILE_NAMES.contains(&name.as_str()) {
        return Some(in_file(&sources, path, Vec::new()));
    }
    let settings = Settings::of(cfg);
    let known: Vec<String> = crate::ruleset::known_codes(&rules)
        .into_iter()
        .map(str::to_string)
        .collect();
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    let mut rules = rules;
    rules.retain(|c| {
        let code = &c.rule.code.text;
        settings.enabled(code) && (!c.rule.opt_in || settings.opted_in(code))
    });
    // the tree the document belongs to, so that its hosts and the other VMs
    // of its hosts are seen; open buffers are read instead of their files
    let tree = match &settings.config.path {
        Some(_) => settings.config.dir.clone(),
        None => path
            .parent()
            .map_or_else(|| path.to_path_buf(), Path::to_path_buf),
    };
    let request = engine::Request {
        paths: vec![tree],
        stdin: None,
        force_exclude: false,
        complete: false,
        inventory: true,
    };
    let out = engine::run(&sources, &settings, &rules, &known, request, &engine::Quiet);
    let mut diags = out.diagnostics;
    super::fixes::compute_all(&mut diags, &sources);
    Some(in_file(&sources, path, diags))
}

/// The diagnostics of `diags` that point into `path`, and its text.
fn in_file(
    sources: &SourceMap,
    path: &Path,
    diags: Vec<Diagnostic>,
) -> (Arc<str>, Vec<Diagnostic>) {
    let id = (0..sources.len())
        .map(|i| crate::source::FileId(u32::try_from(i).unwrap_or(u32::MAX)))
        .find(|id| sources.path(*id) == path);
    let text = match id {
        Some(id) => Arc::clone(&sources.get(id).text),
        None => crate::discover::read_limited(path, u64::MAX)
            .map(|b| Arc::from(decode(path, &b)))
            .unwrap_or_else(|_| Arc::from("")),
    };
    let mine = diags
        .into_iter()
        .filter(|d| Some(d.primary.span.file) == id)
        .collect();
    (text, mine)
}

fn decode(path: &Path, bytes: &[u8]) -> String {
    match crate::discover::classify(path).map(|f| f.kind()) {
        Some(FileKind::Vmx) => crate::model::vmx::decode(bytes).0.into_owned(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// A position in the client's encoding.
fn position(text: &str, offset: usize, enc: Encoding) -> Value {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or("");
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = text.get(start..offset).unwrap_or("");
    let character = match enc {
        Encoding::Utf8 => col.len(),
        Encoding::Utf16 => col.encode_utf16().count(),
    };
    json!({ "line": line, "character": character })
}

/// The byte offset of a position.
fn offset(text: &str, line: usize, character: usize, enc: Encoding) -> usize {
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let rest = text.get(start..).unwrap_or("");
    let mut units = 0;
    for (i, c) in rest.char_indices() {
        if units >= character || c == '\n' {
            return start + i;
        }
        units += match enc {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
        };
    }
    start + rest.len()
}

fn range(text: &str, span: crate::source::Span, enc: Encoding) -> Value {
    json!({ "start": position(text, span.start as usize, enc), "end": position(text, span.end as usize, enc) })
}

fn to_lsp(d: &Diagnostic, text: &str, enc: Encoding) -> Value {
    let severity = match d.severity {
        Severity::Error => 1,
        Severity::Warning => 2,
        Severity::Info => 3,
    };
    let mut v = json!({
        "range": range(text, d.primary.span, enc),
        "severity": severity,
        "code": &*d.code,
        "source": "vmlint",
        "message": d.message,
    });
    if let Some(u) = d.url()
        && let Some(o) = v.as_object_mut()
    {
        o.insert("codeDescription".into(), json!({ "href": u }));
    }
    v
}

/// Answers hover and code action requests from the last results.
fn answer(req: &Request, results: &Results, enc: Encoding) -> Response {
    let p = &req.params;
    let path = p
        .pointer("/textDocument/uri")
        .and_then(Value::as_str)
        .and_then(path_of);
    let r = results.lock().ok();
    let checked = r.as_ref().zip(path.as_ref()).and_then(|(r, p)| r.get(p));
    let result = match (req.method.as_str(), checked) {
        ("textDocument/hover", Some(c)) => hover(p, c, enc),
        ("textDocument/hover", None) => Value::Null,
        ("textDocument/codeAction", Some(c)) => {
            actions(p, c, path.as_deref().unwrap_or(Path::new("")), enc)
        }
        ("textDocument/codeAction", None) => json!([]),
        _ => {
            return Response::new_err(
                req.id.clone(),
                lsp_server::ErrorCode::MethodNotFound as i32,
                format!("vmlint does not answer {}", req.method),
            );
        }
    };
    Response::new_ok(req.id.clone(), result)
}

fn at(p: &Value, key: &str, text: &str, enc: Encoding) -> usize {
    let line = p
        .pointer(&format!("{key}/line"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let ch = p
        .pointer(&format!("{key}/character"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    offset(
        text,
        usize::try_from(line).unwrap_or(0),
        usize::try_from(ch).unwrap_or(0),
        enc,
    )
}

/// Hover: a rule code under the cursor explains the rule; a descriptor key,
/// the field it sets.
fn hover(p: &Value, c: &Checked, enc: Encoding) -> Value {
    let off = at(p, "/position", &c.text, enc);
    let is_word = |ch: char| ch.is_ascii_alphanumeric() || "._".contains(ch);
    let back = c
        .text
        .get(..off)
        .map_or(0, |t| t.len() - t.trim_end_matches(is_word).len());
    let ahead = c
        .text
        .get(off..)
        .map_or(0, |t| t.len() - t.trim_start_matches(is_word).len());
    let word = c
        .text
        .get(off - back..off + ahead)
        .unwrap_or("")
        .trim_matches('.');
    let code = word.to_ascii_uppercase();
    let finding = c
        .diags
        .iter()
        .find(|d| (d.primary.span.start as usize) <= off && off <= d.primary.span.end as usize);
    let code_text = (code.chars().any(|ch| ch.is_ascii_digit())
        && crate::config::parse_code(&code).is_some())
    .then(|| super::explain::text(&code))
    .flatten();
    let text = if code_text.is_some() {
        code_text
    } else if let Some(f) = crate::schema::fields::field_of_vmx_key(word)
        .and_then(|(on, name)| {
            crate::schema::fields::FIELDS
                .iter()
                .find(|f| f.on == on && f.name == name)
        })
        .or_else(|| {
            crate::schema::fields::FIELDS
                .iter()
                .find(|f| f.yaml == word)
        })
    {
        Some(format!("`{}`: {}", f.name, f.doc))
    } else {
        finding.and_then(|d| super::explain::text(&d.code))
    };
    match text {
        Some(t) => json!({ "contents": { "kind": "markdown", "value": t } }),
        None => Value::Null,
    }
}

/// Code actions: each finding's fix as a workspace edit, and a comment that
/// suppresses it with a reason.
fn actions(p: &Value, c: &Checked, path: &Path, enc: Encoding) -> Value {
    let (from, to) = (
        at(p, "/range/start", &c.text, enc),
        at(p, "/range/end", &c.text, enc),
    );
    let uri = uri_of(path);
    let xml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("ovf"));
    let mut out = Vec::new();
    for d in &c.diags {
        let (s, e) = (d.primary.span.start as usize, d.primary.span.end as usize);
        if e < from || s > to {
            continue;
        }
        if let Some(f) = d.fix.as_deref().filter(|f| !f.text.is_empty()) {
            let edits: Vec<Value> = f
                .text
                .iter()
                .map(|t| json!({ "range": range(&c.text, t.span, enc), "newText": t.text }))
                .collect();
            out.push(json!({
                "title": format!("Fix {}: {} ({})", d.code, d.message, f.applicability.as_str()),
                "kind": "quickfix",
                "isPreferred": f.applicability == crate::ir::Applicability::Safe,
                "edit": { "changes": { uri.clone(): edits } },
            }));
        }
        // `# vmlint: ignore CODE -- reason` on the line above, indented as it
        let line_start = c
            .text
            .get(..s)
            .and_then(|t| t.rfind('\n'))
            .map_or(0, |i| i + 1);
        let indent: String = c
            .text
            .get(line_start..)
            .unwrap_or("")
            .chars()
            .take_while(|ch| *ch == ' ' || *ch == '\t')
            .collect();
        let eol = if c.text.contains("\r\n") {
            "\r\n"
        } else {
            "\n"
        };
        let comment = if xml {
            format!("{indent}<!-- vmlint: ignore {} -- reason -->{eol}", d.code)
        } else {
            format!("{indent}# vmlint: ignore {} -- reason{eol}", d.code)
        };
        let here = position(&c.text, line_start, enc);
        out.push(json!({
            "title": format!("Suppress {} on this line, with a reason", d.code),
            "kind": "quickfix",
            "edit": { "changes": { uri.clone(): [{ "range": { "start": here, "end": here }, "newText": comment }] } },
        }));
    }
    Value::Array(out)
}
