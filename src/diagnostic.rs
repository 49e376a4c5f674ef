//! One `Diagnostic` type for rule findings and engine problems alike.
//!
//! Diagnostics are data: a code, a severity, a message, a primary label and
//! related labels (spans into any file), help and a documentation link.
//! Renderers take diagnostics and the source map and nothing else.

use crate::source::{FileId, SourceMap, Span};
use std::cmp::Ordering;
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
    /// Not a `String`: a finding's labels are kept until the output, and a
    /// rule's label without holes is one text shared by all its findings.
    pub message: Arc<str>,
}

impl Label {
    pub fn new(span: Span, message: impl Into<String>) -> Label {
        Label::shared(span, Arc::from(message.into()))
    }

    pub fn shared(span: Span, message: Arc<str>) -> Label {
        Label { span, message }
    }
}

/// The empty label text, one for every finding without one (an `Arc`
/// made of nothing still takes an allocation).
fn no_text() -> Arc<str> {
    static EMPTY: std::sync::LazyLock<Arc<str>> = std::sync::LazyLock::new(|| Arc::from(""));
    Arc::clone(&EMPTY)
}

/// What output formats that describe rules (SARIF) say of a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleMeta {
    /// The rule's name: `too-many-passthrough-devices`.
    pub name: String,
    /// Its summary, with parameters filled in.
    pub summary: String,
    /// The controls it implements (`DISA-STIG:VMCH-70-000028`).
    pub tags: Vec<String>,
}

/// A correction a rule declares, in terms of model fields; `crate::fix`
/// turns it into edits of the file's text, in the file's own format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub applicability: crate::ir::Applicability,
    /// The format of the VM the edits are for (the keys differ by format).
    pub format: crate::model::Format,
    pub edits: Vec<FieldEdit>,
    /// The text edits, once computed for the file (empty when the format
    /// cannot say the fields: then the fix is only shown).
    pub text: Vec<TextEdit>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldEdit {
    /// Set a field: where its value stands (`present`), or the record that
    /// lacks it.
    Set {
        on: crate::schema::types::RecordType,
        field: &'static str,
        at: Span,
        present: bool,
        value: FixValue,
        /// The device's number (`N` of `pciPassthruN`), for a device field.
        index: Option<i64>,
    },
    /// Rename a raw key.
    Rename { key: Span, to: String },
    /// Remove the key that says a field (`at`: its value).
    Remove {
        on: crate::schema::types::RecordType,
        field: &'static str,
        at: Span,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixValue {
    Bool(bool),
    Int(i64),
    Str(String),
}

/// Replace `span` of its file with `text` (an empty span inserts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    pub span: Span,
    pub text: String,
}

/// A finding's help text and link, one pointer in the finding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Links {
    pub help: Option<Arc<str>>,
    pub url: Option<Arc<str>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Shared with the rule's other findings (a rule finding's is its
    /// rule's).
    pub code: Arc<str>,
    pub severity: Severity,
    /// The texts are boxed, not `String`s or a `Vec`, and so are the labels:
    /// a finding is kept until the output, and a large run holds 100,000s.
    pub message: Box<str>,
    pub primary: Label,
    pub related: Box<[Label]>,
    /// Its help and link: shared with the rule (and every other finding of
    /// it), unless their texts read the finding.
    pub links: Option<Arc<Links>>,
    /// The rule's name and summary, shared with every finding of it
    /// (engine codes have theirs in the registry).
    pub meta: Option<Arc<RuleMeta>>,
    /// What identifies this finding across edits that move lines: the key
    /// path and value the finding is about (used by baselines).
    pub key: Box<str>,
    /// What a rule finding is about within its VM: the items its `for`
    /// clauses stood on (a hash of their spans). A VM checked against each
    /// host of a cluster has a finding when every host has one for the
    /// same subject, wherever each points.
    pub subject: u64,
    /// The rule's fix for this finding, if it declares one.
    pub fix: Option<Box<Fix>>,
}

impl Diagnostic {
    pub fn help(&self) -> Option<&str> {
        self.links.as_ref()?.help.as_deref()
    }

    pub fn url(&self) -> Option<&str> {
        self.links.as_ref()?.url.as_deref()
    }

    pub fn new(
        code: impl Into<Arc<str>>,
        severity: Severity,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            code: code.into(),
            severity,
            message: message.into().into_boxed_str(),
            primary: Label::shared(span, no_text()),
            related: Box::default(),
            links: None,
            meta: None,
            key: Box::default(),
            subject: 0,
            fix: None,
        }
    }

    pub fn with_label(mut self, message: impl Into<String>) -> Diagnostic {
        self.primary.message = Arc::from(message.into());
        self
    }

    pub fn with_related(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        let mut related = std::mem::take(&mut self.related).into_vec();
        related.push(Label::new(span, message));
        self.related = related.into_boxed_slice();
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        Arc::make_mut(self.links.get_or_insert_with(Default::default)).help =
            Some(Arc::from(help.into()));
        self
    }

    pub fn with_key(mut self, key: impl Into<String>) -> Diagnostic {
        self.key = key.into().into_boxed_str();
        self
    }

    pub fn span(&self) -> Span {
        self.primary.span
    }
}

/// The engine's own codes: one registry that emitters, `vmlint rules`,
/// `vmlint explain` and SARIF read. Each code has one default severity,
/// which `severity:` in `.vmlint.yaml` may change like a rule's.
pub mod codes {
    use super::Severity;

    pub const PARSE: &str = "VL001";
    pub const SCHEMA: &str = "VL002";
    pub const DUPLICATE: &str = "VL003";
    pub const UNKNOWN_HOST: &str = "VL004";
    pub const UNREADABLE: &str = "VL005";
    pub const UNUSED_SUPPRESSION: &str = "VL006";
    pub const UNKNOWN_CODE: &str = "VL007";
    pub const UNPLACED: &str = "VL008";
    pub const DOUBTFUL: &str = "VL009";
    pub const SELECTION: &str = "VL010";
    /// Rule files and configuration: not findings, they stop the run (exit 2).
    pub const RULE_SYNTAX: &str = "VL101";
    pub const RULE_NAME: &str = "VL102";
    pub const RULE_TYPE: &str = "VL103";
    pub const RULE_DUPLICATE: &str = "VL104";
    pub const RULE_UNUSED: &str = "VL105";
    pub const CONFIG: &str = "VL106";

    /// One engine code: what `vmlint rules` lists and `vmlint explain` prints.
    pub struct EngineCode {
        pub code: &'static str,
        pub name: &'static str,
        pub severity: Severity,
        pub summary: &'static str,
        pub docs: &'static str,
    }

    const fn code(
        code: &'static str,
        name: &'static str,
        severity: Severity,
        summary: &'static str,
        docs: &'static str,
    ) -> EngineCode {
        EngineCode {
            code,
            name,
            severity,
            summary,
            docs,
        }
    }

    pub const ENGINE: &[EngineCode] = &[
        code(
            PARSE,
            "descriptor-syntax",
            Severity::Error,
            "a descriptor line or document that does not parse",
            "A `.vmx` line that is not `key = \"value\"` (or a value without its closing quote), or a YAML or JSON document with a syntax error. The rest of the file is still read where it can be.",
        ),
        code(
            SCHEMA,
            "descriptor-schema",
            Severity::Error,
            "an unknown key or a value of the wrong type",
            "A key that the descriptor format does not have (with a \"did you mean\"), or a value that is not of the key's type, such as a PCI address that does not parse.",
        ),
        code(
            DUPLICATE,
            "duplicate-key",
            Severity::Warning,
            "a key (or a host) defined twice; the later one wins",
            "ESXi uses the last of two lines that set the same key; vmlint does the same and says so. A host described in two files is reported once, and the later file is used.",
        ),
        code(
            UNKNOWN_HOST,
            "unknown-host",
            Severity::Error,
            "a VM whose host or cluster is not in the inventory",
            "The VM names a host (or a cluster) that no host descriptor describes, so the rules that compare a VM with its host cannot run on it. Host descriptors are found among the checked paths and in the `hosts` folders of .vmlint.yaml.",
        ),
        code(
            UNREADABLE,
            "unreadable-file",
            Severity::Error,
            "a file that cannot be read or checked (missing, binary, too large, empty, encrypted)",
            "The file was named or found, but it could not be checked: it does not exist, is binary, is larger than `max_file_size`, is a FIFO, socket or device, is empty, or is an encrypted VM (its configuration is sealed in `encryption.data`); or a rule gave up on it after its loop budget. What vmlint would find there is unknown, so this is an error by default; re-grade it with `severity: { VL005: warning }`. The run goes on with the other files.",
        ),
        code(
            UNUSED_SUPPRESSION,
            "unused-suppression",
            Severity::Warning,
            "a suppression comment that suppresses nothing",
            "A `# vmlint: ignore CODE -- reason` comment whose rule ran over everything it needs and found nothing on the line the comment covers (the next line, or its own line when it ends one). Suppressions of rules that did not run, or ran on part of the estate only, are never reported.",
        ),
        code(
            UNKNOWN_CODE,
            "unknown-code",
            Severity::Error,
            "a suppression or expectation that names a code no rule has",
            "`# vmlint: ignore` and `# expect:` comments name rule codes (PT003) or prefixes (PT); a code that matches no rule is a typo that would silently suppress nothing. Codes are case-insensitive.",
        ),
        code(
            UNPLACED,
            "unplaced-vm",
            Severity::Warning,
            "a VM with passthrough devices that names no host",
            "The rules that compare a VM with its host (device availability, IOMMU, USB boot) cannot run on a VM whose host is unknown. Only VMs that use passthrough are reported, and only when host descriptors are loaded. Add `host:` (YAML), a `# vmlint: host=NAME` comment (.vmx), or a `placement` entry in .vmlint.yaml.",
        ),
        code(
            DOUBTFUL,
            "doubtful-value",
            Severity::Warning,
            "text that vmlint read, but that ESXi may read differently",
            "Bytes that do not decode in the file's `.encoding`, text after a closing quote (ESXi ignores it), or a two-part PCI address such as `10:00.0` whose bus reads differently as decimal and as hex. In `.vmx` files two-part addresses are decimal, as ESXi writes them; in YAML and host files they are hex, as esxcli prints them.",
        ),
        code(
            SELECTION,
            "device-selection",
            Severity::Error,
            "a Terraform device lookup that selects no device, or several where the VM gets one",
            "Terraform's `data \"vsphere_host_pci_device\"` chooses a host's device by `name_regex`, `class_id` and `vendor_id`; vmlint resolves it against the host's facts. When it matches no device, the VM gets none (an error: the apply fails or the VM does not power on). When it matches several and the VM takes its `id`, the provider keeps the first match only (a warning: which device that is depends on the host's device order). Without host facts for the host its `host_id` names, the device stays unknown and nothing is reported.",
        ),
        code(
            RULE_SYNTAX,
            "rule-syntax",
            Severity::Error,
            "a rule file that does not parse, or a rule without `on vm` / `on host`",
            "The rule file is cut into `rule` blocks and every broken block is reported. The run stops with exit code 2 until the rule files are fixed.",
        ),
        code(
            RULE_NAME,
            "rule-unknown-name",
            Severity::Error,
            "a rule that uses an unknown field, function or binding",
            "Every name in a rule is checked against the model schema (`vmlint schema`) and the function table when the rule loads, with a \"did you mean\".",
        ),
        code(
            RULE_TYPE,
            "rule-type-error",
            Severity::Error,
            "a rule expression whose types do not fit",
            "Comparing a number with a string, indexing something that is not a list, a literal that does not parse (a regular expression, a version, a PCI address) or a parameter default of the wrong type. Checked when the rule loads, so a rule never fails at run time.",
        ),
        code(
            RULE_DUPLICATE,
            "rule-duplicate-code",
            Severity::Error,
            "two rules with the same code",
            "Rule codes are what configurations and suppressions name, so each code is defined once across the embedded pack and every rule file.",
        ),
        code(
            RULE_UNUSED,
            "rule-unused-binding",
            Severity::Error,
            "a parameter or binding that a rule never uses",
            "A `let`, `for` or `param` name that no later clause reads is usually a mistake. Name it with a leading `_` to keep it.",
        ),
        code(
            CONFIG,
            "config-error",
            Severity::Error,
            "an error in .vmlint.yaml or in the command line's codes",
            "An unknown key, a value of the wrong type, a folder that does not exist, a glob that does not parse, or a code or prefix that no rule has. The run stops with exit code 2.",
        ),
    ];

    /// The registry entry of an engine code.
    pub fn engine(code: &str) -> Option<&'static EngineCode> {
        ENGINE.iter().find(|c| c.code == code)
    }

    /// The default severity of an engine code (error for a code not listed).
    pub fn severity(code: &str) -> Severity {
        engine(code).map_or(Severity::Error, |c| c.severity)
    }
}

impl Diagnostic {
    /// An engine diagnostic at its registered severity.
    pub fn engine(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, codes::severity(code), span, message)
    }
}

/// The output order: path, line, column, code, then the rest, so that
/// output is the same whatever the number of threads.
pub fn sort(diags: &mut [Diagnostic], sources: &SourceMap) {
    // each file is ranked once by its name (files of the same name share a
    // rank), so comparing findings compares numbers before texts
    let mut files: Vec<FileId> = diags.iter().map(|d| d.primary.span.file).collect();
    files.sort_unstable();
    files.dedup();
    let rank = sources.rank_by_name(&files);
    let rank_of = |d: &Diagnostic| rank.get(&d.primary.span.file).copied().unwrap_or(0);
    let keys: Vec<u32> = diags.iter().map(rank_of).collect();
    // the positions are sorted, not the findings: a finding is moved once
    let mut order: Vec<usize> = (0..diags.len()).collect();
    order.sort_by(|&i, &j| match (diags.get(i), diags.get(j)) {
        (Some(a), Some(b)) => keys
            .get(i)
            .cmp(&keys.get(j))
            .then(a.primary.span.start.cmp(&b.primary.span.start))
            .then_with(|| a.code.cmp(&b.code))
            .then_with(|| a.message.cmp(&b.message))
            .then_with(|| a.primary.span.end.cmp(&b.primary.span.end))
            .then_with(|| compare_related(&a.related, &b.related)),
        _ => Ordering::Equal,
    });
    permute(diags, &mut order);
}

/// Puts at each position `k` the item that was at `order[k]`, following
/// each cycle of the permutation once (`order` is used up).
fn permute<T>(items: &mut [T], order: &mut [usize]) {
    const DONE: usize = usize::MAX;
    for start in 0..order.len() {
        let mut at = start;
        while let Some(slot) = order.get_mut(at) {
            let from = std::mem::replace(slot, DONE);
            if from == DONE || from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

fn compare_related(a: &[Label], b: &[Label]) -> Ordering {
    fn key(l: &Label) -> (Span, &str) {
        (l.span, &*l.message)
    }
    a.iter().map(key).cmp(b.iter().map(key))
}

#[cfg(test)]
mod tests {
    #[test]
    fn permute_puts_each_item_where_the_order_says() {
        // cycles of every length, fixed points among them
        let order = [3usize, 0, 2, 1, 6, 4, 5, 7, 9, 8];
        let mut items: Vec<usize> = (0..order.len()).map(|i| i * 10).collect();
        let want: Vec<usize> = order.iter().map(|i| i * 10).collect();
        super::permute(&mut items, &mut order.to_vec());
        assert_eq!(items, want);
    }
}
