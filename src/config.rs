//! `.vmlint.yaml`: takes the file (found by walking up from the working
//! directory, or named with `--config`), gives typed settings. Unknown keys
//! and bad values are VL106 errors with spans, and the run stops (exit 2).

use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::model::Placement;
use crate::model::Sp;
use crate::source::{FileKind, SourceMap, Span};
use crate::suggest;
use crate::yaml::{Node, NodeKind};
use globset::{Glob, GlobMatcher, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = ".vmlint.yaml";

const KEYS: &[&str] = &[
    "rules",
    "builtin",
    "select",
    "ignore",
    "severity",
    "params",
    "hosts",
    "placement",
    "exclude",
    "per_file_ignores",
    "max_file_size",
];

/// A parameter override: `params: { PT001: { max: 16 } }`.
pub struct ParamOverride {
    pub code: Sp<String>,
    pub name: Sp<String>,
    pub value: Node,
}

pub struct Config {
    /// The folder relative paths and globs are resolved against.
    pub dir: PathBuf,
    pub path: Option<PathBuf>,
    pub rules: Vec<PathBuf>,
    pub builtin: bool,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub severity: Vec<(Sp<String>, Severity)>,
    pub params: Vec<ParamOverride>,
    pub hosts: Vec<PathBuf>,
    pub placement: Vec<(GlobMatcher, Placement)>,
    pub exclude: GlobSet,
    pub per_file_ignores: Vec<(GlobMatcher, Vec<String>)>,
    pub max_file_size: u64,
}

impl Config {
    pub fn default_in(dir: PathBuf) -> Config {
        Config {
            dir,
            path: None,
            rules: Vec::new(),
            builtin: true,
            select: Vec::new(),
            ignore: Vec::new(),
            severity: Vec::new(),
            params: Vec::new(),
            hosts: Vec::new(),
            placement: Vec::new(),
            exclude: GlobSet::empty(),
            per_file_ignores: Vec::new(),
            max_file_size: crate::discover::DEFAULT_MAX_FILE_SIZE,
        }
    }

    /// The path as seen from the configuration's folder, for globs.
    pub fn relative(&self, path: &Path) -> PathBuf {
        let abs = std::env::current_dir().unwrap_or_default().join(path);
        abs.strip_prefix(&self.dir)
            .map(Path::to_path_buf)
            .unwrap_or(abs)
    }

    /// Whether `code` runs: `select` (rule codes only; default all), then `ignore`.
    pub fn enabled(&self, code: &str) -> bool {
        let selected = code.starts_with("VL")
            || self.select.is_empty()
            || self.select.iter().any(|p| code.starts_with(p.as_str()));
        selected && !self.ignore.iter().any(|p| code.starts_with(p.as_str()))
    }

    pub fn ignored_in(&self, path: &Path, code: &str) -> bool {
        let rel = self.relative(path);
        self.per_file_ignores.iter().any(|(g, codes)| {
            (g.is_match(&rel) || g.is_match(path))
                && codes.iter().any(|c| code.starts_with(c.as_str()))
        })
    }

    pub fn placement_for(&self, path: &Path) -> Option<&Placement> {
        let rel = self.relative(path);
        self.placement
            .iter()
            .find(|(g, _)| g.is_match(&rel) || g.is_match(path))
            .map(|(_, p)| p)
    }
}

/// The configuration that applies: `explicit`, else the first `.vmlint.yaml`
/// walking up from the working directory, else the defaults.
pub fn load(explicit: Option<&Path>, sources: &SourceMap) -> Result<Config, Vec<Diagnostic>> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => cwd
            .ancestors()
            .map(|d| d.join(FILE_NAME))
            .find(|p| p.is_file()),
    };
    let Some(path) = path else {
        return Ok(Config::default_in(cwd));
    };
    let dir = cwd
        .join(&path)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or(cwd.clone());
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            let id = sources.add(&path, FileKind::Config, "");
            return Err(vec![Diagnostic::new(
                codes::CONFIG,
                Severity::Error,
                Span::file_start(id),
                format!("cannot read the configuration: {e}"),
            )]);
        }
    };
    let id = sources.add(&path, FileKind::Config, text.as_str());
    let parsed = crate::yaml::parse(id, &text);
    let mut r = Reader {
        diags: parsed
            .diagnostics
            .into_iter()
            .map(|mut d| {
                d.code = codes::CONFIG.to_string();
                d
            })
            .collect(),
    };
    let mut cfg = Config::default_in(dir);
    cfg.path = Some(path);
    if let Some(root) = parsed.documents.first() {
        r.read(root, &mut cfg);
    }
    if r.diags.is_empty() {
        Ok(cfg)
    } else {
        Err(r.diags)
    }
}

struct Reader {
    diags: Vec<Diagnostic>,
}

impl Reader {
    fn bad(&mut self, span: Span, msg: impl Into<String>, label: &str) {
        self.diags
            .push(Diagnostic::new(codes::CONFIG, Severity::Error, span, msg).with_label(label));
    }

    fn read(&mut self, root: &Node, cfg: &mut Config) {
        let Some(map) = root.as_map() else {
            if !root.is_null() {
                self.bad(
                    root.span,
                    "the configuration must be a mapping of settings",
                    "not a mapping",
                );
            }
            return;
        };
        for (k, v) in map {
            let key = k.scalar().unwrap_or("");
            match key {
                "rules" => cfg.rules = self.paths(v, &cfg.dir),
                "hosts" => cfg.hosts = self.paths(v, &cfg.dir),
                "builtin" => match v.scalar() {
                    Some("true") => cfg.builtin = true,
                    Some("false") => cfg.builtin = false,
                    _ => self.bad(
                        v.span,
                        "`builtin` must be true or false",
                        "expected true or false",
                    ),
                },
                "select" => cfg.select = self.codes(v),
                "ignore" => cfg.ignore = self.codes(v),
                "severity" => {
                    for (code, sev) in v.as_map().unwrap_or(&[]) {
                        let c = self.code(code);
                        match sev.scalar().and_then(Severity::parse) {
                            Some(s) => {
                                if let Some(c) = c {
                                    cfg.severity.push((c, s));
                                }
                            }
                            None => self.bad(
                                sev.span,
                                "a severity is `error`, `warning` or `info`",
                                "unknown severity",
                            ),
                        }
                    }
                    self.expect_map(v);
                }
                "params" => {
                    for (code, params) in v.as_map().unwrap_or(&[]) {
                        let Some(c) = self.code(code) else { continue };
                        let Some(pm) = params.as_map() else {
                            self.bad(
                                params.span,
                                "parameters are a mapping: `PT001: { max: 16 }`",
                                "expected a mapping",
                            );
                            continue;
                        };
                        for (name, value) in pm {
                            let n = Sp::new(name.scalar().unwrap_or("").to_string(), name.span);
                            cfg.params.push(ParamOverride {
                                code: c.clone(),
                                name: n,
                                value: value.clone(),
                            });
                        }
                    }
                    self.expect_map(v);
                }
                "placement" => {
                    for item in self.list(v) {
                        let files = item.get("files");
                        let glob = files.and_then(|f| self.glob(f));
                        let placement = match (item.get("host"), item.get("cluster")) {
                            (Some(h), None) => h
                                .scalar()
                                .map(|s| Placement::Host(Sp::new(s.to_string(), h.span))),
                            (None, Some(c)) => c
                                .scalar()
                                .map(|s| Placement::Cluster(Sp::new(s.to_string(), c.span))),
                            _ => None,
                        };
                        match (glob, placement) {
                            (Some(g), Some(p)) => cfg.placement.push((g, p)),
                            (_, None) => self.bad(
                                item.span,
                                "a placement needs `files` and one of `host` or `cluster`",
                                "incomplete placement",
                            ),
                            _ => {}
                        }
                        for (k, _) in item.as_map().unwrap_or(&[]) {
                            let name = k.scalar().unwrap_or("");
                            if !["files", "host", "cluster"].contains(&name) {
                                self.bad(
                                    k.span,
                                    format!(
                                        "unknown placement key `{name}`{}",
                                        suggest::did_you_mean(name, ["files", "host", "cluster"])
                                    ),
                                    "unknown key",
                                );
                            }
                        }
                    }
                }
                "exclude" => {
                    let mut b = GlobSetBuilder::new();
                    for s in self.strings(v) {
                        match Glob::new(&s.value) {
                            Ok(g) => {
                                b.add(g);
                            }
                            Err(e) => {
                                self.bad(s.span, format!("invalid glob: {e}"), "invalid glob")
                            }
                        }
                    }
                    cfg.exclude = b.build().unwrap_or_else(|_| GlobSet::empty());
                }
                "per_file_ignores" => {
                    for (pattern, codes) in v.as_map().unwrap_or(&[]) {
                        let g = self.glob(pattern);
                        let c = self.codes(codes);
                        if let Some(g) = g {
                            cfg.per_file_ignores.push((g, c));
                        }
                    }
                    self.expect_map(v);
                }
                "max_file_size" => match v.scalar().and_then(|s| s.parse::<u64>().ok()) {
                    Some(n) => cfg.max_file_size = n,
                    None => self.bad(
                        v.span,
                        "`max_file_size` is a number of bytes",
                        "expected a number",
                    ),
                },
                other => self.bad(
                    k.span,
                    format!(
                        "unknown configuration key `{other}`{}",
                        suggest::did_you_mean(other, KEYS.iter().copied())
                    ),
                    "unknown key",
                ),
            }
        }
    }

    fn expect_map(&mut self, v: &Node) {
        if v.as_map().is_none() && !v.is_null() {
            self.bad(v.span, "expected a mapping", "not a mapping");
        }
    }

    fn list<'n>(&mut self, v: &'n Node) -> Vec<&'n Node> {
        match &v.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            NodeKind::Scalar { .. } if !v.is_null() => vec![v],
            _ => {
                if !v.is_null() {
                    self.bad(v.span, "expected a list", "not a list");
                }
                Vec::new()
            }
        }
    }

    fn strings(&mut self, v: &Node) -> Vec<Sp<String>> {
        let mut out = Vec::new();
        for item in self.list(v) {
            match item.scalar() {
                Some(s) => out.push(Sp::new(s.to_string(), item.span)),
                None => self.bad(item.span, "expected a string", "not a string"),
            }
        }
        out
    }

    /// A list of paths, relative to the configuration's folder.
    fn paths(&mut self, v: &Node, dir: &Path) -> Vec<PathBuf> {
        self.strings(v)
            .into_iter()
            .map(|s| dir.join(s.value))
            .collect()
    }

    fn code(&mut self, n: &Node) -> Option<Sp<String>> {
        match n.scalar() {
            Some(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()) => {
                Some(Sp::new(s.to_string(), n.span))
            }
            _ => {
                self.bad(
                    n.span,
                    "expected a rule code or prefix such as `PT001` or `PT`",
                    "not a code",
                );
                None
            }
        }
    }

    fn codes(&mut self, v: &Node) -> Vec<String> {
        self.list(v)
            .into_iter()
            .filter_map(|n| self.code(n))
            .map(|s| s.value)
            .collect()
    }

    fn glob(&mut self, n: &Node) -> Option<GlobMatcher> {
        let s = n.scalar()?;
        match Glob::new(s) {
            Ok(g) => Some(g.compile_matcher()),
            Err(e) => {
                self.bad(n.span, format!("invalid glob: {e}"), "invalid glob");
                None
            }
        }
    }
}
