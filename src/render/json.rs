//! `json`: one object per diagnostic, with line, column and byte offset of
//! both ends, for editors and scripts. The schema is documented in the
//! README ("JSON output") and versioned.

use crate::baseline::fingerprint;
use crate::diagnostic::{Diagnostic, Label};
use crate::source::SourceMap;
use serde_json::{Value, json};

pub fn position(sources: &SourceMap, label: &Label) -> Value {
    let r = sources.clamped(label.span);
    let ((sl, sc), (el, ec)) = sources.position(label.span);
    json!({
        "path": sources.name(label.span.file),
        "start": { "line": sl, "column": sc, "offset": r.start },
        "end": { "line": el, "column": ec, "offset": r.end },
        "message": label.message,
    })
}

pub fn write(
    diags: &[Diagnostic],
    sources: &SourceMap,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let items = diags.iter().map(|d| {
        let p = position(sources, &d.primary);
        json!({
            "path": p.get("path"),
            "code": &*d.code,
            "severity": d.severity.as_str(),
            "message": d.message,
            "start": p.get("start"),
            "end": p.get("end"),
            "label": d.primary.message,
            "related": d.related.iter().map(|l| position(sources, l)).collect::<Vec<_>>(),
            "help": d.help(),
            "url": d.url(),
            "fingerprint": fingerprint(d, sources),
            "fix": d.fix.as_deref().map(|f| json!({
                "applicability": f.applicability.as_str(),
                "edits": f.text.iter().map(|e| {
                    let p = position(sources, &Label::new(e.span, ""));
                    json!({ "start": p.get("start"), "end": p.get("end"), "text": e.text })
                }).collect::<Vec<_>>(),
            })),
        })
    });
    const SLOT: &str = "@vmlint:diagnostics@";
    let doc = json!({ "version": 1, "tool": "vmlint", "diagnostics": SLOT });
    super::write_pretty_with_array(&doc, Some("diagnostics"), SLOT, items, out)
}
