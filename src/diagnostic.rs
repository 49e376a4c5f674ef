//! One `Diagnostic` type for rule findings and engine problems alike.
//!
//! Diagnostics are data: a code, a severity, a message, a primary label and
//! related labels (spans into any file), help and a documentation link.
//! Renderers take diagnostics and the source map and nothing else.

use crate::source::{FileId, SourceMap, Span};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A labelled span. An empty message draws the underline alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

impl Label {
    pub fn new(span: Span, message: impl Into<String>) -> Label {
        Label {
            span,
            message: message.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub primary: Label,
    pub related: Vec<Label>,
    /// Shared with the rule (and every other finding of it).
    pub help: Option<Arc<str>>,
    pub url: Option<Arc<str>>,
    /// What identifies this finding across edits that move lines: the key
    /// path and value the finding is about (used by baselines).
    pub key: String,
}

impl Diagnostic {
    pub fn new(
        code: impl Into<String>,
        severity: Severity,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            code: code.into(),
            severity,
            message: message.into(),
            primary: Label::new(span, ""),
            related: Vec::new(),
            help: None,
            url: None,
            key: String::new(),
        }
    }

    pub fn with_label(mut self, message: impl Into<String>) -> Diagnostic {
        self.primary.message = message.into();
        self
    }

    pub fn with_related(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.related.push(Label::new(span, message));
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(Arc::from(help.into()));
        self
    }

    pub fn with_key(mut self, key: impl Into<String>) -> Diagnostic {
        self.key = key.into();
        self
    }

    pub fn span(&self) -> Span {
        self.primary.span
    }
}

/// The engine's own codes (SPEC section 2), listed by `vmlint rules`.
pub mod codes {
    pub const PARSE: &str = "VL001";
    pub const SCHEMA: &str = "VL002";
    pub const DUPLICATE: &str = "VL003";
    pub const UNKNOWN_HOST: &str = "VL004";
    pub const UNREADABLE: &str = "VL005";
    pub const UNUSED_SUPPRESSION: &str = "VL006";
    /// Rule files and configuration: not findings, they stop the run (exit 2).
    pub const RULE_SYNTAX: &str = "VL101";
    pub const RULE_NAME: &str = "VL102";
    pub const RULE_TYPE: &str = "VL103";
    pub const RULE_DUPLICATE: &str = "VL104";
    pub const RULE_UNUSED: &str = "VL105";
    pub const CONFIG: &str = "VL106";

    /// (code, name, severity, summary) of every engine code.
    pub const ENGINE: &[(&str, &str, &str, &str)] = &[
        (
            PARSE,
            "descriptor-syntax",
            "error",
            "a descriptor line or document that does not parse",
        ),
        (
            SCHEMA,
            "descriptor-schema",
            "error",
            "an unknown key or a value of the wrong type",
        ),
        (
            DUPLICATE,
            "duplicate-key",
            "warning",
            "a key (or a host) defined twice; the later one wins",
        ),
        (
            UNKNOWN_HOST,
            "unknown-host",
            "error",
            "a VM whose host or cluster is not in the inventory",
        ),
        (
            UNREADABLE,
            "unreadable-file",
            "error",
            "a file that cannot be read or checked (binary, too large, encrypted)",
        ),
        (
            UNUSED_SUPPRESSION,
            "unused-suppression",
            "warning",
            "a suppression comment that suppresses nothing",
        ),
    ];
}

/// The output order: path, line, column, code, then the rest, so that
/// output is the same whatever the number of threads.
pub fn sort(diags: &mut [Diagnostic], sources: &SourceMap) {
    // each file's name is looked up once, not once per diagnostic
    let mut names: HashMap<FileId, Arc<str>> = HashMap::new();
    for d in diags.iter() {
        names
            .entry(d.primary.span.file)
            .or_insert_with(|| Arc::from(sources.name(d.primary.span.file)));
    }
    let name = |d: &Diagnostic| {
        names
            .get(&d.primary.span.file)
            .cloned()
            .unwrap_or_else(|| Arc::from(""))
    };
    diags.sort_by(|a, b| {
        name(a)
            .cmp(&name(b))
            .then(a.primary.span.start.cmp(&b.primary.span.start))
            .then_with(|| a.code.cmp(&b.code))
            .then_with(|| a.message.cmp(&b.message))
            .then_with(|| a.primary.span.end.cmp(&b.primary.span.end))
            .then_with(|| compare_related(&a.related, &b.related))
    });
}

fn compare_related(a: &[Label], b: &[Label]) -> Ordering {
    fn key(l: &Label) -> (Span, &str) {
        (l.span, l.message.as_str())
    }
    a.iter().map(key).cmp(b.iter().map(key))
}
