//! `.vmlint.yaml`: takes the file (found by walking up from the first
//! checked path, as ruff does, or named with `--config`), gives typed
//! settings whose paths and globs are resolved against one root: the
//! configuration's folder. Unknown keys and bad values are VL106 errors
//! with spans, and the run stops (exit 2).

use crate::diagnostic::{Diagnostic, Severity, codes};
use crate::model::Placement;
use crate::model::Spanned;
use crate::source::{FileKind, SourceMap, Span};
use crate::suggest;
use crate::yaml_tree::{Node, NodeKind};
use globset::{Glob, GlobMatcher, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = ".vmlint.yaml";
/// The names a configuration may have, in the order they are looked for.
pub const FILE_NAMES: &[&str] = &[".vmlint.yaml", ".vmlint.yml"];

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
    "inputs",
];

/// The kinds of input `inputs:` can turn off: the formats as `vm.format`
/// names them, and `esxcli` host captures.
pub fn inputs() -> impl Iterator<Item = &'static str> {
    crate::model::Format::NAMES
        .iter()
        .copied()
        .chain(["esxcli"])
}

/// A parameter override: `params: { PT001: { max: 16 } }`.
pub struct ParamOverride {
    pub code: Spanned<String>,
    pub name: Spanned<String>,
    pub value: Node,
}

pub struct Config {
    /// The root: the folder relative paths and globs are resolved against
    /// (absolute; the working directory when there is no configuration).
    pub dir: PathBuf,
    pub path: Option<PathBuf>,
    pub rules: Vec<PathBuf>,
    pub builtin: bool,
    /// Codes and prefixes, upper-cased; checked against the rule set once
    /// the rules are loaded.
    pub select: Vec<Spanned<String>>,
    pub ignore: Vec<Spanned<String>>,
    pub severity: Vec<(Spanned<String>, Severity)>,
    pub params: Vec<ParamOverride>,
    pub hosts: Vec<PathBuf>,
    pub placement: Vec<(GlobMatcher, Placement)>,
    pub exclude: GlobSet,
    pub per_file_ignores: Vec<(GlobMatcher, Vec<Spanned<String>>)>,
    pub max_file_size: u64,
    /// Input kinds turned off with `inputs: { KIND: false }`.
    pub inputs_off: Vec<&'static str>,
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
            inputs_off: Vec::new(),
        }
    }

    /// Whether files of an input kind (`terraform`, `ansible`, ...) are read.
    pub fn reads(&self, kind: &str) -> bool {
        !self.inputs_off.contains(&kind)
    }

    /// A path (absolute) as seen from the root, for globs: `vms/a.vmx`.
    pub fn relative(&self, path: &Path) -> PathBuf {
        let abs = crate::paths::absolute(path, &crate::paths::cwd());
        match abs.strip_prefix(&self.dir) {
            Ok(rel) => rel.to_path_buf(),
            Err(_) => abs,
        }
    }

    /// Whether `per_file_ignores` leaves `code` out in the file at `path`.
    pub fn ignored_in(&self, path: &Path, code: &str) -> bool {
        if self.per_file_ignores.is_empty() {
            return false;
        }
        let rel = self.relative(path);
        self.per_file_ignores.iter().any(|(g, codes)| {
            g.is_match(&rel) && codes.iter().any(|c| code.starts_with(c.value.as_str()))
        })
    }

    pub fn placement_for(&self, path: &Path) -> Option<&Placement> {
        let rel = self.relative(path);
        self.placement
            .iter()
            .find(|(g, _)| g.is_match(&rel))
            .map(|(_, p)| p)
    }

    /// Every code and prefix the configuration names, for checking them
    /// against the rule set.
    pub fn named_codes(&self) -> impl Iterator<Item = &Spanned<String>> {
        self.select
            .iter()
            .chain(&self.ignore)
            .chain(self.per_file_ignores.iter().flat_map(|(_, c)| c))
            .chain(self.severity.iter().map(|(c, _)| c))
            .chain(self.params.iter().map(|p| &p.code))
    }
}

/// The configuration file that applies to `start` (a checked path): the
/// first `.vmlint.yaml` or `.vmlint.yml` in its folder or a folder above.
pub fn find(start: &Path) -> Option<PathBuf> {
    let start = crate::paths::absolute(start, &crate::paths::cwd());
    let first = if start.is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    first?
        .ancestors()
        .flat_map(|d| FILE_NAMES.iter().map(move |n| d.join(n)))
        .find(|p| p.is_file())
}

/// The configuration that applies: `explicit`, else the one [`find`] finds
/// from `start`, else the defaults with the working directory as root. The
/// root is given to `sources`, so every file is named relative to it.
pub fn load(
    explicit: Option<&Path>,
    start: &Path,
    sources: &SourceMap,
) -> Result<Config, Vec<Diagnostic>> {
    let cwd = crate::paths::cwd();
    let path = match explicit {
        Some(p) => Some(crate::paths::absolute(p, &cwd)),
        None => find(start),
    };
    let Some(path) = path else {
        sources.set_root(&cwd);
        return Ok(Config::default_in(cwd));
    };
    let dir = path.parent().map_or(cwd, Path::to_path_buf);
    sources.set_root(&dir);
    let text = match crate::discover::read_limited(&path, crate::discover::DEFAULT_MAX_FILE_SIZE)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
    {
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
    let parsed = crate::yaml_tree::parse(id, &text);
    let mut r = ConfigReader {
        diags: parsed
            .diagnostics
            .into_iter()
            .map(|mut d| {
                d.code = codes::CONFIG.into();
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

struct ConfigReader {
    diags: Vec<Diagnostic>,
}

impl ConfigReader {
    fn bad(&mut self, span: Span, msg: impl Into<String>, label: &str) {
        self.diags
            .push(Diagnostic::new(codes::CONFIG, Severity::Error, span, msg).with_label(label));
    }

    fn with_help_last(&mut self, help: &str) {
        if let Some(d) = self.diags.pop() {
            self.diags.push(d.with_help(help));
        }
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
                "rules" => cfg.rules = self.paths(v, &cfg.dir, "rules"),
                "hosts" => cfg.hosts = self.paths(v, &cfg.dir, "hosts"),
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
                            let n =
                                Spanned::new(name.scalar().unwrap_or("").to_string(), name.span);
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
                                .map(|s| Placement::Host(Spanned::new(s.to_string(), h.span))),
                            (None, Some(c)) => c
                                .scalar()
                                .map(|s| Placement::Cluster(Spanned::new(s.to_string(), c.span))),
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
                "inputs" => {
                    for (kind, on) in v.as_map().unwrap_or(&[]) {
                        let name = kind.scalar().unwrap_or("");
                        let Some(known) = inputs().find(|k| *k == name) else {
                            self.bad(
                                kind.span,
                                format!(
                                    "unknown input kind `{name}`{}",
                                    suggest::did_you_mean(name, inputs())
                                ),
                                "unknown input kind",
                            );
                            continue;
                        };
                        match on.scalar() {
                            Some("false") => cfg.inputs_off.push(known),
                            Some("true") => cfg.inputs_off.retain(|k| *k != known),
                            _ => self.bad(
                                on.span,
                                "an input kind is turned on or off with `true` or `false`",
                                "expected true or false",
                            ),
                        }
                    }
                    self.expect_map(v);
                }
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

    fn strings(&mut self, v: &Node) -> Vec<Spanned<String>> {
        let mut out = Vec::new();
        for item in self.list(v) {
            match item.scalar() {
                Some(s) => out.push(Spanned::new(s.to_string(), item.span)),
                None => self.bad(item.span, "expected a string", "not a string"),
            }
        }
        out
    }

    /// A list of paths, relative to the configuration's folder; each must
    /// exist, since a folder that is not there would check nothing silently.
    fn paths(&mut self, v: &Node, dir: &Path, key: &str) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for s in self.strings(v) {
            let p = crate::paths::absolute(Path::new(&s.value), dir);
            if !p.exists() {
                self.bad(
                    s.span,
                    format!(
                        "`{}` in `{key}` does not exist (relative to {})",
                        s.value,
                        dir.display()
                    ),
                    "no such file or folder",
                );
            }
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }

    fn code(&mut self, n: &Node) -> Option<Spanned<String>> {
        match n.scalar().and_then(parse_code) {
            Some(c) => Some(Spanned::new(c, n.span)),
            None => {
                self.bad(
                    n.span,
                    "expected a rule code or prefix such as `PT001` or `PT`",
                    "not a code",
                );
                self.with_help_last("write one code per list item: `[PT006, PT007]`");
                None
            }
        }
    }

    fn codes(&mut self, v: &Node) -> Vec<Spanned<String>> {
        self.list(v)
            .into_iter()
            .filter_map(|n| self.code(n))
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

/// A code or prefix as written by a user (`pt006`, ` PT006 `), upper-cased;
/// `None` for what cannot be one (`PT006 PT007`, `PT-6`, empty).
pub fn parse_code(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric())).then(|| t.to_ascii_uppercase())
}

/// A code or prefix that no rule has: the error, with a "did you mean".
pub fn unknown_code(span: Span, code: &str, known: &[&str]) -> Diagnostic {
    Diagnostic::new(
        codes::CONFIG,
        Severity::Error,
        span,
        format!(
            "no rule has the code or prefix `{code}`{}",
            suggest::did_you_mean(code, known.iter().copied())
        ),
    )
    .with_label("unknown code")
    .with_help("`vmlint rules` lists every code")
}

/// Whether `code` names a rule or a prefix of one.
pub fn is_known(code: &str, known: &[&str]) -> bool {
    known.iter().any(|k| k.starts_with(code))
}
