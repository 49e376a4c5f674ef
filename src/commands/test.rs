//! `vmlint test`: rule fixtures. A comment `# expect: CODE[, CODE]` says
//! that the next non-comment line carries the primary span of a finding
//! with that code. Every expectation must be met, and nothing else found.

use super::{ExitStatus, emit, setup};
use crate::cli::{RuleArgs, TestFormat};
use crate::diagnostic::{Diagnostic, Severity};
use crate::directives::{self, Expectation};
use crate::discover::{self, FileFormat};
use crate::engine;
use crate::render::{self, Format};
use crate::settings::Settings;
use crate::source::{FileId, FileKind, SourceMap};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The `# expect:` comments of a fixture, from the comment tokens of its
/// format's own reader (a `#` inside a quoted YAML string is no comment).
/// A JSON file cannot hold comments: its expectations are in the file
/// beside it named `NAME.json.expect`, one `LINE: CODE[, CODE]` a line.
fn expectations(
    id: FileId,
    kind: FileKind,
    path: &Path,
    text: &std::sync::Arc<str>,
) -> Vec<Expectation> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        return sidecar(id, path, text);
    }
    if !text.contains("expect:") {
        return Vec::new();
    }
    let tokens = crate::load::comments_of(id, kind, text);
    directives::read(id, text, &tokens).expectations
}

/// The expectations of `NAME.json.expect`; each points at the start of
/// its line of the JSON file.
fn sidecar(id: FileId, path: &Path, text: &str) -> Vec<Expectation> {
    let mut side = path.as_os_str().to_owned();
    side.push(".expect");
    let Ok(list) = std::fs::read_to_string(&side) else {
        return Vec::new();
    };
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut out = Vec::new();
    for l in list.lines() {
        let l = l.trim();
        let Some((line, codes)) = l.split_once(':').filter(|_| !l.starts_with('#')) else {
            continue;
        };
        let Ok(line) = line.trim().parse::<usize>() else {
            continue;
        };
        let at = starts.get(line.saturating_sub(1)).copied().unwrap_or(0);
        for code in codes.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            out.push(Expectation {
                span: crate::source::Span::new(id, at, at),
                line,
                code: code.to_ascii_uppercase(),
            });
        }
    }
    out
}

/// The result of checking fixtures: what was expected and not found, and
/// what was found and not expected.
pub struct Verdict {
    pub expected: usize,
    pub missing: Vec<Diagnostic>,
    pub unexpected: Vec<Diagnostic>,
}

pub fn verdict(sources: &SourceMap, found: &[Diagnostic]) -> Verdict {
    let mut want: BTreeMap<(FileId, usize, String), Vec<Expectation>> = BTreeMap::new();
    let mut expected = 0;
    for i in 0..sources.len() {
        let id = FileId(u32::try_from(i).unwrap_or(u32::MAX));
        let f = sources.get(id);
        if !matches!(
            f.kind,
            FileKind::Vmx | FileKind::Vmsd | FileKind::Yaml | FileKind::Hcl | FileKind::Xml
        ) {
            continue;
        }
        for e in expectations(id, f.kind, &f.path, &f.text) {
            expected += 1;
            want.entry((id, e.line, e.code.clone()))
                .or_default()
                .push(e);
        }
    }
    let mut unexpected = Vec::new();
    for d in found {
        let f = sources.get(d.primary.span.file);
        let (line, _) = f.line_col(f.clamp(d.primary.span).start);
        let key = (d.primary.span.file, line, d.code.to_string());
        match want.get_mut(&key).and_then(Vec::pop) {
            Some(_) => {}
            None => unexpected.push(d.clone()),
        }
    }
    let missing = want
        .into_values()
        .flatten()
        .map(|e| {
            Diagnostic::new(
                e.code.clone(),
                Severity::Error,
                e.span,
                format!(
                    "expected {} on line {}, but it was not reported",
                    e.code, e.line
                ),
            )
            .with_label("this expectation was not met")
        })
        .collect();
    Verdict {
        expected,
        missing,
        unexpected,
    }
}

pub fn run(paths: &[PathBuf], format: TestFormat, args: &RuleArgs) -> ExitStatus {
    let cwd = crate::paths::cwd();
    let paths: Vec<PathBuf> = paths
        .iter()
        .map(|p| crate::paths::absolute(p, &cwd))
        .collect();
    let start = paths.first().cloned().unwrap_or_else(|| cwd.clone());
    // texts stay loaded: every fixture's `# expect:` comments are read
    let sources = SourceMap::new();
    let (mut config, rules) = match setup(&sources, args, &start) {
        Ok(x) => x,
        Err(s) => return s,
    };
    // fixtures are excluded from `check` (they fail on purpose), never from `test`
    config.exclude = globset::GlobSet::empty();
    let settings = Settings::of(config);
    let cfg = &settings.config;
    let known = crate::ruleset::known_codes(&rules);
    let mut found = Vec::new();
    let mut files = 0;
    for (estate, has_hosts) in estates(&paths, cfg) {
        // an opt-in rule runs on the estates whose fixtures expect it
        let expected = expected_codes(&estate);
        let estate_rules: Vec<_> = rules
            .iter()
            .filter(|c| !c.rule.opt_in || expected.contains(&c.rule.code.text))
            .cloned()
            .collect();
        // a folder with hosts of its own is a world of its own; one without
        // is checked against the configured inventory
        let request = engine::Request {
            paths: estate,
            stdin: None,
            force_exclude: false,
            complete: true,
            inventory: !has_hosts,
        };
        let outcome = engine::run(
            &sources,
            &settings,
            &estate_rules,
            &known,
            request,
            &engine::Quiet,
        );
        files += outcome.files_checked - outcome.inventory_files;
        found.extend(outcome.diagnostics);
    }
    if files == 0 {
        let names: Vec<String> = paths
            .iter()
            .map(|p| crate::paths::display(p, &cfg.dir))
            .collect();
        eprintln!(
            "vmlint: no fixture files found in {}; fixtures are descriptors (.vmx, *.vm.yaml, *.host.yaml, YAML with `kind: vm|host`) with `# expect: CODE` comments",
            names.join(", ")
        );
        return ExitStatus::Error;
    }
    let v = verdict(&sources, &found);
    let failed_files: BTreeSet<String> = v
        .missing
        .iter()
        .chain(&v.unexpected)
        .map(|d| sources.name(d.primary.span.file))
        .collect();
    let failed = failed_files.len();
    let passed = files.saturating_sub(failed);
    if format == TestFormat::Junit {
        emit(&junit(&sources, &v, files, &paths));
    } else {
        let opts = super::stderr_options();
        let mut out = String::new();
        if !v.missing.is_empty() {
            out.push_str("missing (expected, not reported):\n\n");
            out.push_str(&render::render(Format::Human, &v.missing, &sources, &opts));
        }
        if !v.unexpected.is_empty() {
            out.push_str("unexpected (reported, not expected):\n\n");
            out.push_str(&render::render(
                Format::Human,
                &v.unexpected,
                &sources,
                &opts,
            ));
        }
        out.push_str(&format!(
            "{files} fixture files: {passed} passed, {failed} failed\n"
        ));
        emit(&out);
    }
    if failed == 0 {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    }
}

/// The fixtures under `paths`, cut into estates that do not see each
/// other: a VM belongs to the nearest folder above it whose tree holds a
/// host descriptor, a host to the deepest such estate above it. Two rule
/// folders that each describe an `esx-01` stay apart, while a folder with
/// `hosts/` and `vms/` below it is one estate. Each comes with whether it
/// holds host descriptors of its own.
fn estates(paths: &[PathBuf], cfg: &crate::config::Config) -> Vec<(Vec<PathBuf>, bool)> {
    let mut out = Vec::new();
    for top in paths {
        let found = discover::discover(std::slice::from_ref(top), &cfg.exclude, &cfg.dir, false);
        if found.files.is_empty() {
            // a missing path is reported by the run
            out.push((vec![top.clone()], false));
            continue;
        }
        let is_host: Vec<bool> = found
            .files
            .iter()
            .map(|(p, d)| describes_host(p, *d))
            .collect();
        let mut with_hosts: BTreeSet<PathBuf> = BTreeSet::new();
        for ((p, _), host) in found.files.iter().zip(&is_host) {
            if *host {
                for a in p.ancestors().skip(1) {
                    with_hosts.insert(a.to_path_buf());
                    if a == top.as_path() {
                        break;
                    }
                }
            }
        }
        let estate_of = |p: &Path| -> PathBuf {
            p.ancestors()
                .skip(1)
                .take_while(|a| a.starts_with(top))
                .find(|a| with_hosts.contains(*a))
                .map_or_else(|| top.clone(), Path::to_path_buf)
        };
        let mut groups: BTreeMap<PathBuf, (Vec<PathBuf>, bool)> = BTreeMap::new();
        for ((p, _), host) in found.files.iter().zip(&is_host) {
            if !*host {
                groups.entry(estate_of(p)).or_default().0.push(p.clone());
            }
        }
        for ((p, _), host) in found.files.iter().zip(&is_host) {
            if *host {
                let home = p
                    .ancestors()
                    .skip(1)
                    .take_while(|a| a.starts_with(top))
                    .find(|a| groups.contains_key(*a))
                    .map_or_else(|| estate_of(p), Path::to_path_buf);
                let group = groups.entry(home).or_default();
                group.0.push(p.clone());
                group.1 = true;
            }
        }
        out.extend(groups.into_values());
    }
    out
}

/// The codes the `# expect:` comments of some files name (a quick look at
/// their text; the verdict reads the comments properly).
fn expected_codes(files: &[PathBuf]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for f in files {
        let mut side = f.as_os_str().to_owned();
        side.push(".expect");
        if let Ok(list) = std::fs::read_to_string(&side) {
            out.extend(
                list.lines()
                    .filter_map(|l| l.split_once(':'))
                    .flat_map(|(_, c)| {
                        c.split(',')
                            .map(|c| c.trim().to_ascii_uppercase())
                            .collect::<Vec<_>>()
                    }),
            );
        }
        let Ok(bytes) = std::fs::read(f) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        for (i, _) in text.match_indices("expect:") {
            let rest = text.get(i + "expect:".len()..).unwrap_or("");
            let line = rest.lines().next().unwrap_or("");
            let codes = line.split("--").next().unwrap_or("");
            out.extend(
                codes
                    .split([',', ' '])
                    .filter(|c| !c.is_empty())
                    .map(str::to_ascii_uppercase),
            );
        }
    }
    out
}

/// Whether a file describes a host, by its name or a `kind: host` line.
fn describes_host(path: &Path, d: FileFormat) -> bool {
    match d {
        FileFormat::Esxcli => true,
        FileFormat::Text => std::fs::read(path)
            .is_ok_and(|b| crate::model::esxcli::is_capture(&String::from_utf8_lossy(&b))),
        FileFormat::Yaml(Some(kind)) => kind == "host",
        FileFormat::Yaml(None) => std::fs::read(path).is_ok_and(|b| {
            let t = String::from_utf8_lossy(&b);
            t.lines().any(|l| {
                let l = l.trim().trim_start_matches('{').trim();
                let rest = l
                    .strip_prefix("kind:")
                    .or_else(|| l.strip_prefix("\"kind\":"))
                    .unwrap_or("");
                rest.trim()
                    .trim_matches(|c| c == '"' || c == '\'' || c == ',')
                    == "host"
            })
        }),
        FileFormat::Vmx | FileFormat::Terraform | FileFormat::Packer | FileFormat::Ovf => false,
    }
}

/// JUnit XML: one test case per fixture file, failing with what was
/// missing or unexpected in it.
fn junit(sources: &SourceMap, v: &Verdict, files: usize, tested: &[PathBuf]) -> String {
    let mut problems: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (what, list) in [("missing", &v.missing), ("unexpected", &v.unexpected)] {
        for d in list {
            let loc = render::locate(d, sources);
            problems.entry(loc.path.clone()).or_default().push(format!(
                "{what} {} at {}:{}: {}",
                d.code, loc.path, loc.line, d.message
            ));
        }
    }
    let mut names: BTreeSet<String> = problems.keys().cloned().collect();
    for i in 0..sources.len() {
        let f = sources.get(FileId(u32::try_from(i).unwrap_or(u32::MAX)));
        if matches!(
            f.kind,
            FileKind::Vmx | FileKind::Yaml | FileKind::Hcl | FileKind::Xml
        ) && tested.iter().any(|t| f.path.starts_with(t))
        {
            names.insert(f.name());
        }
    }
    let esc = crate::render::junit::escape;
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"vmlint test\" tests=\"{}\" failures=\"{}\">\n  <testsuite name=\"fixtures\" tests=\"{}\" failures=\"{}\">\n",
        names.len().max(files),
        problems.len(),
        names.len().max(files),
        problems.len()
    );
    for name in &names {
        match problems.get(name) {
            None => out.push_str(&format!("    <testcase classname=\"fixtures\" name=\"{}\"/>\n", esc(name))),
            Some(list) => out.push_str(&format!(
                "    <testcase classname=\"fixtures\" name=\"{}\">\n      <failure message=\"{} problem(s)\">{}</failure>\n    </testcase>\n",
                esc(name),
                list.len(),
                esc(&list.join("\n"))
            )),
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
