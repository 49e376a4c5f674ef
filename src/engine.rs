//! One run of vmlint: takes the configuration, rule sources and paths,
//! gives sorted diagnostics. Shared by `check` and `test`; nothing here
//! prints.

use crate::config::Config;
use crate::diagnostic::{self, Diagnostic, Severity, codes};
use crate::discover::{self, Descriptor};
use crate::eval::value::{V, Val};
use crate::eval::{Compiled, driver};
use crate::lang::schema::Ctx;
use crate::lang::{check, parser};
use crate::load::{self, Loaded};
use crate::model::inventory::Inventory;
use crate::model::{Placement, Vm};
use crate::source::{FileKind, SourceMap, Span};
use crate::suggest;
use crate::yaml::{Node, NodeKind};
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The rule files embedded in the binary.
pub const BUILTIN: &[(&str, &str)] = &[(
    "rules/passthrough.rules",
    include_str!("../rules/passthrough.rules"),
)];

/// Loads, parses and checks rules: the embedded pack (unless `builtin` is
/// off) and every `.rules` file under `extra`. Any problem is an error of
/// the rule files: the caller stops with exit code 2.
pub fn load_rules(
    sources: &SourceMap,
    builtin: bool,
    extra: &[PathBuf],
    cfg: &Config,
) -> Result<Vec<Compiled>, Vec<Diagnostic>> {
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let mut diags = Vec::new();
    if builtin {
        files.extend(
            BUILTIN
                .iter()
                .map(|(p, t)| (PathBuf::from(p), (*t).to_string())),
        );
    }
    for root in extra {
        let mut found: Vec<PathBuf> = if root.is_dir() {
            ignore::WalkBuilder::new(root)
                .require_git(false)
                .build()
                .filter_map(Result::ok)
                .map(|e| e.into_path())
                .filter(|p| p.extension().is_some_and(|e| e == "rules"))
                .collect()
        } else {
            vec![root.clone()]
        };
        found.sort();
        for p in found {
            match discover::read_limited(&p, cfg.max_file_size)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
            {
                Ok(t) => files.push((p, t)),
                Err(why) => {
                    let id = sources.add(&p, FileKind::Rules, "");
                    diags.push(Diagnostic::new(
                        codes::RULE_SYNTAX,
                        Severity::Error,
                        Span::file_start(id),
                        format!("rule file {why}"),
                    ));
                }
            }
        }
    }
    let mut rules = Vec::new();
    for (path, text) in files {
        let id = sources.add(&path, FileKind::Rules, text.as_str());
        let (r, d) = parser::parse_file(id, &text);
        rules.extend(r);
        diags.extend(d);
    }
    diags.extend(check::check_all(&mut rules));
    let mut compiled: Vec<Compiled> = rules.into_iter().map(Compiled::new).collect();
    diags.extend(apply_config(&mut compiled, cfg));
    if diags.is_empty() {
        Ok(compiled)
    } else {
        Err(diags)
    }
}

/// Applies `severity` and `params` of the configuration; a code or a
/// parameter that does not exist, or a value of the wrong type, is an error.
fn apply_config(rules: &mut [Compiled], cfg: &Config) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let codes_known: Vec<String> = rules.iter().map(|c| c.rule.code.text.clone()).collect();
    for (code, sev) in &cfg.severity {
        let mut hit = false;
        for c in rules
            .iter_mut()
            .filter(|c| c.rule.code.text.starts_with(code.value.as_str()))
        {
            c.severity = *sev;
            hit = true;
        }
        if !hit {
            diags.push(unknown_code(code.span, &code.value, &codes_known));
        }
    }
    for o in &cfg.params {
        let Some(c) = rules.iter_mut().find(|c| c.rule.code.text == o.code.value) else {
            diags.push(unknown_code(o.code.span, &o.code.value, &codes_known));
            continue;
        };
        let Some(p) = c.rule.params.iter().find(|p| p.name.text == o.name.value) else {
            let names: Vec<&str> = c.rule.params.iter().map(|p| p.name.text.as_str()).collect();
            diags.push(
                Diagnostic::new(
                    codes::CONFIG,
                    Severity::Error,
                    o.name.span,
                    format!(
                        "rule {} has no parameter `{}`{}",
                        o.code.value,
                        o.name.value,
                        suggest::did_you_mean(&o.name.value, names.iter().copied())
                    ),
                )
                .with_label("unknown parameter")
                .with_help(if names.is_empty() {
                    "this rule has no parameters".to_string()
                } else {
                    format!("its parameters are: {}", names.join(", "))
                }),
            );
            continue;
        };
        let want =
            p.ty.as_ref()
                .and_then(|(t, _)| crate::lang::types::from_name(t));
        let default = crate::eval::literal(&p.default);
        match param_value(&o.value, want, &default) {
            Ok(v) => {
                let slot = p.slot;
                if let Some(entry) = c.params.iter_mut().find(|(s, _)| *s == slot) {
                    entry.1 = v;
                }
            }
            Err(expected) => diags.push(
                Diagnostic::new(
                    codes::CONFIG,
                    Severity::Error,
                    o.value.span,
                    format!(
                        "parameter `{}` of {} must be {expected}",
                        o.name.value, o.code.value
                    ),
                )
                .with_label(format!("expected {expected}")),
            ),
        }
    }
    diags
}

fn unknown_code(span: Span, code: &str, known: &[String]) -> Diagnostic {
    Diagnostic::new(
        codes::CONFIG,
        Severity::Error,
        span,
        format!(
            "no rule has the code `{code}`{}",
            suggest::did_you_mean(code, known.iter().map(String::as_str))
        ),
    )
    .with_label("unknown code")
}

/// A configuration value for a parameter, of the parameter's type.
fn param_value(
    n: &Node,
    want: Option<crate::lang::types::Ty>,
    default: &Val<'static>,
) -> Result<Val<'static>, &'static str> {
    use crate::lang::types::Ty;
    let want = want.unwrap_or(match default.v {
        V::Int(_) => Ty::Int,
        V::Bool(_) => Ty::Bool,
        V::List(_) => Ty::List(crate::lang::types::Elem::Any),
        _ => Ty::Str,
    });
    let scalar = |n: &Node| -> Option<Val<'static>> {
        let s = n.scalar()?;
        Some(match s.parse::<i64>() {
            Ok(i) => Val::new(V::Int(i), None),
            Err(_) => match s {
                "true" => Val::bool(true, None),
                "false" => Val::bool(false, None),
                _ => Val::new(V::Str(Cow::Owned(s.to_string())), None),
            },
        })
    };
    let v = match (&n.kind, want) {
        (_, _) if n.is_null() => Val::null(),
        (NodeKind::Seq(items), Ty::List(_)) => Val::new(
            V::List(Arc::new(items.iter().filter_map(scalar).collect())),
            None,
        ),
        (NodeKind::Scalar { .. }, _) => scalar(n).ok_or("a value")?,
        _ => return Err("a single value"),
    };
    let ok = match (&v.v, want) {
        (V::Null, _) => true,
        (V::Int(_), Ty::Int) | (V::Bool(_), Ty::Bool) | (V::List(_), Ty::List(_)) => true,
        (V::Str(_), Ty::Str) => true,
        (V::Int(i), Ty::Str) => return Ok(Val::new(V::Str(Cow::Owned(i.to_string())), None)),
        _ => false,
    };
    if ok {
        Ok(v)
    } else {
        Err(match want {
            Ty::Int => "a number",
            Ty::Bool => "true or false",
            Ty::List(_) => "a list",
            _ => "a string",
        })
    }
}

/// Everything one run found, and the sources to render it with.
pub struct Outcome {
    pub diagnostics: Vec<Diagnostic>,
    pub files_checked: usize,
}

/// What to check: files found on disk, or one text from stdin.
pub enum Input {
    Paths(Vec<PathBuf>),
    Stdin { name: PathBuf, bytes: Vec<u8> },
}

/// What a long run reports as it goes (a progress bar, or nothing).
pub trait Progress: Sync {
    fn start(&self, _files: usize) {}
    fn tick(&self) {}
}

/// No progress reporting.
pub struct Quiet;

impl Progress for Quiet {}

/// Reads a file's text again, decoded as the loaders decode it (for a
/// snippet in a file whose text was released).
pub fn reread(path: &Path, kind: FileKind) -> Option<String> {
    let bytes = discover::read_limited(path, u64::MAX).ok()?;
    Some(match kind {
        FileKind::Vmx | FileKind::Vmsd => crate::model::vmx::decode(&bytes).0,
        _ => String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// One run, in three steps that keep memory bounded by what is reported:
/// 1. host descriptors (and YAML files of unknown kind) are loaded;
/// 2. every VM file is loaded and checked at once against its host by the
///    rules that need nothing else, then only a slim VM is kept (for
///    cross-VM rules) and the text of a file without findings is released;
/// 3. cross-VM rules (`host.vms`) and host rules run over what was kept.
pub fn run(
    sources: &SourceMap,
    cfg: &Config,
    rules: &[Compiled],
    input: Input,
    progress: &dyn Progress,
) -> Outcome {
    let mut diags = Vec::new();
    let (mut files, stdin) = match input {
        Input::Paths(paths) => {
            let found = discover::discover(&paths, &cfg.exclude, &cfg.dir);
            for (p, why) in found.errors {
                let id = sources.add(&p, FileKind::Yaml, "");
                diags.push(Diagnostic::new(
                    codes::UNREADABLE,
                    Severity::Error,
                    Span::file_start(id),
                    format!("cannot check `{}`: {why}", p.display()),
                ));
            }
            (found.files, None)
        }
        Input::Stdin { name, bytes } => (Vec::new(), Some((name, bytes))),
    };
    // the host inventory is always loaded, so that one VM file finds its host
    if !cfg.hosts.is_empty() {
        let hosts = discover::discover(&cfg.hosts, &cfg.exclude, &cfg.dir);
        let have: std::collections::HashSet<PathBuf> =
            files.iter().map(|(p, _)| normalise(p)).collect();
        files.extend(
            hosts
                .files
                .into_iter()
                .filter(|(p, _)| !have.contains(&normalise(p))),
        );
    }
    let files_checked = files.len() + usize::from(stdin.is_some());
    progress.start(files_checked);
    let plan = driver::Plan::new(rules);
    let (keep_vms, keep_raw) = plan.keeps_vms();
    let mut sups = HashMap::new();

    // 1. hosts, and YAML whose kind only its content tells
    let (first, vm_files): (Vec<_>, Vec<_>) = files
        .into_iter()
        .partition(|(_, d)| matches!(d, Descriptor::Yaml(None) | Descriptor::Yaml(Some("host"))));
    // a host's raw keys are a copy of its whole file: kept only for rules that
    // read them, and dropped file by file so they never pile up
    let host_raw = rules.iter().any(|c| c.rule.info.uses_host_raw);
    let mut early: Vec<(PathBuf, Loaded)> = first
        .par_iter()
        .map(|(p, d)| {
            let mut l = load::load_path(sources, p, *d, cfg.max_file_size);
            if !host_raw {
                for h in &mut l.hosts {
                    h.raw = crate::model::Raw::default();
                }
            }
            progress.tick();
            (p.clone(), l)
        })
        .collect();
    if let Some((name, bytes)) = stdin {
        let d = discover::classify(&name).unwrap_or(Descriptor::Yaml(None));
        early.push((
            name.clone(),
            load::load_bytes(sources, &name, d, &bytes, cfg.max_file_size),
        ));
    }
    let mut hosts = Vec::new();
    let mut early_vms = Vec::new();
    for (path, l) in early {
        diags.extend(l.diags);
        hosts.extend(l.hosts);
        sups.extend(l.suppressions);
        early_vms.extend(l.vms.into_iter().map(|vm| (path.clone(), vm)));
    }
    let (mut inv, inv_diags) = Inventory::of_hosts(hosts);
    diags.extend(inv_diags);

    // 2. each VM, checked as it loads
    let place = |path: &Path, mut vm: Vm| {
        if matches!(vm.placement, Placement::Unplaced)
            && let Some(p) = cfg.placement_for(path)
        {
            vm.placement = p.clone();
        }
        vm
    };
    let check_one = |inv: &Inventory, vi: usize, vm: Vm, found: &mut Vec<Diagnostic>| {
        let (candidates, d) = inv.candidates(&vm);
        found.extend(d);
        let ctx = Ctx { inv };
        found.extend(driver::check_vm(&ctx, vi, &vm, &candidates, &plan.per_vm));
        keep_vms.then(|| (slim(vm, keep_raw), candidates))
    };
    let offset = early_vms.len();
    let streamed: Vec<(Loaded, Vec<Kept>)> = vm_files
        .par_iter()
        .enumerate()
        .map(|(i, (p, d))| {
            let mut l = load::load_path(sources, p, *d, cfg.max_file_size);
            let mut kept = Vec::new();
            for vm in std::mem::take(&mut l.vms) {
                kept.extend(check_one(&inv, offset + i, place(p, vm), &mut l.diags));
            }
            // nothing to show in this file (yet): its text can go
            if l.diags.is_empty() && l.suppressions.iter().all(|(_, s)| s.is_empty()) {
                for (id, _) in &l.suppressions {
                    sources.release(*id);
                }
            }
            progress.tick();
            (l, kept)
        })
        .collect();
    let mut kept = Vec::new();
    for (i, (path, vm)) in early_vms.into_iter().enumerate() {
        kept.extend(check_one(&inv, i, place(&path, vm), &mut diags));
    }
    // VMs move into the inventory once, into room made for all of them
    inv.reserve_vms(kept.len() + streamed.iter().map(|(_, k)| k.len()).sum::<usize>());
    for (vm, candidates) in kept {
        inv.add_vm(vm, candidates);
    }
    for (l, k) in streamed {
        diags.extend(l.diags);
        sups.extend(l.suppressions);
        for (vm, candidates) in k {
            inv.add_vm(vm, candidates);
        }
    }

    // 3. cross-VM and host rules
    diags.extend(driver::evaluate(&inv, &plan));
    diags.retain(|d| {
        cfg.enabled(&d.code) && !cfg.ignored_in(&sources.path(d.primary.span.file), &d.code)
    });
    let mut diags = crate::suppress::apply(diags, sups, sources);
    diags.retain(|d| cfg.enabled(&d.code));
    diagnostic::sort(&mut diags, sources);
    Outcome {
        diagnostics: diags,
        files_checked,
    }
}

/// A VM kept for cross-VM rules, with its candidate hosts.
type Kept = (Vm, Vec<usize>);

/// What cross-VM rules may read of a VM: all but its raw keys, unless a
/// cross-VM rule reads them.
fn slim(mut vm: Vm, keep_raw: bool) -> Vm {
    if !keep_raw {
        vm.raw = crate::model::Raw::default();
    }
    vm
}

fn normalise(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}
