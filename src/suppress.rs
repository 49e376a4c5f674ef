//! Inline suppressions: takes the diagnostics and each file's
//! `# vmlint: ignore CODE[,CODE] -- reason` comments (read by
//! `directives`), drops what they cover, and reports suppressions that
//! suppress nothing where their rules ran over everything they need
//! (VL006), and codes that no rule has (VL007).

use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::directives::Suppression;
use crate::source::{FileId, SourceMap};
use std::collections::HashMap;

/// Drops the diagnostics a suppression covers; reports the codes that no
/// rule has (VL007, from `known`), and the suppressions that covered
/// nothing although every code they name `ran_fully` there (VL006).
pub fn apply(
    runs: &mut Vec<Vec<Diagnostic>>,
    mut sups: HashMap<FileId, Vec<Suppression>>,
    sources: &SourceMap,
    known: &[&str],
    ran_fully: &dyn Fn(FileId, &str) -> bool,
) {
    // in place, run by run: the findings are the largest thing a run holds,
    // and they are put together once, after this
    let mut kept: Vec<Diagnostic> = Vec::new();
    for run in runs.iter_mut() {
        run.retain(|d| {
            let file = d.primary.span.file;
            let Some(list) = sups.get_mut(&file).filter(|l| !l.is_empty()) else {
                return true;
            };
            let (line, _) = sources.line_col(file, d.primary.span.start as usize);
            let hit = list
                .iter_mut()
                .find(|s| s.line == line && s.codes.iter().any(|c| d.code.starts_with(c.as_str())));
            match hit {
                Some(s) => {
                    s.used = true;
                    false
                }
                None => true,
            }
        });
    }
    for s in sups.values().flatten() {
        for c in s
            .codes
            .iter()
            .filter(|c| !crate::config::is_known(c, known))
        {
            kept.push(
                Diagnostic::engine(
                    codes::UNKNOWN_CODE,
                    s.span,
                    format!(
                        "no rule has the code `{c}`{}",
                        crate::suggest::did_you_mean(c, known.iter().copied())
                    ),
                )
                .with_label("unknown code")
                .with_help("`vmlint rules` lists every code")
                .with_key(c.clone()),
            );
        }
    }
    let unused = sups.into_iter().flat_map(|(file, list)| {
        list.into_iter().filter(move |s| {
            !s.used
                && s.codes
                    .iter()
                    .all(|c| crate::config::is_known(c, known) && ran_fully(file, c))
        })
    });
    for s in unused {
        let what = if s.codes.is_empty() {
            "no code".to_string()
        } else {
            s.codes.join(", ")
        };
        kept.push(
            Diagnostic::new(codes::UNUSED_SUPPRESSION, Severity::Warning, s.span, format!("this suppression ({what}) suppresses nothing"))
                .with_label("unused suppression")
                .with_help("remove it, or fix the code it names; it applies to the next line, or to its own line when it ends one")
                .with_key(what),
        );
    }
    if !kept.is_empty() {
        runs.push(kept);
    }
}
