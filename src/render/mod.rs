//! Renderers: each takes the sorted diagnostics and the source map and
//! writes one output format. They know nothing of rules or descriptors.

pub mod compact;
pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

use crate::diagnostic::Diagnostic;
use crate::source::SourceMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// rustc-like reports with source snippets
    Human,
    /// one line each: `path:line:col: severity[CODE] message`
    Compact,
    /// a JSON document with positions (line, column, byte offset) of every label
    Json,
    /// SARIF 2.1.0, for code scanning
    Sarif,
    /// GitHub Actions workflow annotations
    Github,
    /// JUnit XML
    Junit,
    /// GitLab Code Quality
    Gitlab,
}

/// Where a diagnostic starts, for the line-oriented formats.
pub struct Location {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

pub fn locate(d: &Diagnostic, sources: &SourceMap) -> Location {
    let ((line, column), (end_line, end_column)) = sources.position(d.primary.span);
    Location {
        path: sources.name(d.primary.span.file),
        line,
        column,
        end_line,
        end_column,
    }
}

pub struct Options {
    pub color: bool,
    pub width: usize,
}

pub fn render(format: Format, diags: &[Diagnostic], sources: &SourceMap, opts: &Options) -> String {
    match format {
        Format::Human => human::render(diags, sources, opts),
        Format::Compact => compact::render(diags, sources),
        Format::Json => json::render(diags, sources),
        Format::Sarif => sarif::render(diags, sources),
        Format::Github => github::render(diags, sources),
        Format::Junit => junit::render(diags, sources),
        Format::Gitlab => gitlab::render(diags, sources),
    }
}
