//! `human`: rustc-like reports drawn by miette, with source snippets; colour
//! and hyperlinks only on a terminal. Labels in other files (the host file,
//! another VM) are drawn as related reports under the main one.

use super::Options;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{SourceFile, SourceMap, Span};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
use std::fmt;
use std::sync::Arc;

pub fn render(diags: &[Diagnostic], sources: &SourceMap, opts: &Options) -> String {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(opts.color)
        .with_width(opts.width);
    let mut out = String::new();
    for d in diags {
        let report = Report::new(d, sources);
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&format!("{}[{}]: {}\n", d.severity, d.code, d.message));
        }
        out.push('\n');
    }
    out
}

/// A source file as miette reads it: a window of whole lines around each
/// span, found with the file's line index instead of a scan from byte 0.
struct Src(Arc<SourceFile>);

impl SourceCode for Src {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let text = self.0.text.as_bytes();
        let (start, len) = (span.offset(), span.len());
        if start + len > text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first = self.0.line_index(start).saturating_sub(before);
        let last = self.0.line_index(start + len.saturating_sub(1));
        let win_start = self.0.line_start(first).unwrap_or(0);
        let win_end = self
            .0
            .line_start(last + after + 1)
            .unwrap_or(text.len())
            .max(start + len);
        let window = text
            .get(win_start..win_end)
            .ok_or(MietteError::OutOfBounds)?;
        let local = SourceSpan::new((start - win_start).into(), len);
        let c = window.read_span(&local, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.0.name(),
            c.data(),
            SourceSpan::new((c.span().offset() + win_start).into(), c.span().len()),
            c.line() + first,
            c.column(),
            c.line_count(),
        )))
    }
}

struct Report {
    code: String,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    url: Option<String>,
    src: Src,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    fn new(d: &Diagnostic, sources: &SourceMap) -> Report {
        let file = sources.get(d.primary.span.file);
        let mut labels = vec![label(&file, d.primary.span, &d.primary.message, true)];
        let mut related = Vec::new();
        for l in &d.related {
            if l.span.file == d.primary.span.file {
                labels.push(label(&file, l.span, &l.message, false));
            } else {
                let other = sources.get(l.span.file);
                related.push(Report {
                    code: String::new(),
                    message: l.message.to_string(),
                    severity: miette::Severity::Advice,
                    help: None,
                    url: None,
                    labels: vec![label(&other, l.span, "", true)],
                    src: Src(other),
                    related: Vec::new(),
                });
            }
        }
        Report {
            code: d.code.to_string(),
            message: d.message.to_string(),
            severity: match d.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
                Severity::Info => miette::Severity::Advice,
            },
            help: d.help().map(str::to_string),
            url: d.url().map(str::to_string),
            src: Src(file),
            labels,
            related,
        }
    }
}

/// A label clamped into its file; an empty span at the very end is moved
/// onto the last character, where miette can draw it.
fn label(file: &SourceFile, span: Span, message: &str, primary: bool) -> LabeledSpan {
    let mut r = file.clamp(span);
    if r.start == r.end && r.start == file.text.len() && r.start > 0 {
        let prev = file.text[..r.start]
            .chars()
            .next_back()
            .map_or(1, char::len_utf8);
        r.start -= prev;
    }
    let text = (!message.is_empty()).then(|| message.to_string());
    let s = SourceSpan::new(r.start.into(), r.end - r.start);
    if primary {
        LabeledSpan::new_primary_with_span(text, s)
    } else {
        LabeledSpan::new_with_span(text, s)
    }
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.url
            .as_ref()
            .map(|u| Box::new(u) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.src)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}
