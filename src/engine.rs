//! One run of vmlint: takes the configuration, the rule set and the paths
//! to check, gives sorted diagnostics. Shared by `check` and `test`;
//! nothing here prints.

use crate::config::Config;
use crate::diagnostic::{self, Diagnostic, codes};
use crate::discover::{self, FileFormat};
use crate::eval::{CompiledRule, driver};
use crate::load::{self, Loaded};
use crate::model::inventory::{Inventory, Kept, unit_of_host};
use crate::model::{Placement, Vm};
use crate::schema::fields::FieldContext;
use crate::settings::Settings;
use crate::source::{FileId, FileKind, SourceMap, Span};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Everything one run found.
pub struct Outcome {
    pub diagnostics: Vec<Diagnostic>,
    /// FileFormat files read and checked (not counting context files).
    pub files_checked: usize,
    /// Of those, the configured `hosts:` files that were not named.
    pub inventory_files: usize,
    /// Said on stderr: named paths that held nothing to check.
    pub notes: Vec<String>,
    /// What infrastructure code left unknown, and where (said with `--verbose`).
    pub unknowns: Vec<(Span, String)>,
}

/// What to check.
pub struct Request {
    /// Files or folders, absolute.
    pub paths: Vec<PathBuf>,
    /// One text from stdin, with the (absolute) name it stands for.
    pub stdin: Option<(PathBuf, Vec<u8>)>,
    /// Leave out excluded files even when they are named.
    pub force_exclude: bool,
    /// The named files are a whole estate (`vmlint test`): load no context
    /// around them, and judge suppressions as in a full run.
    pub complete: bool,
    /// Load the configured `hosts:` (the inventory).
    pub inventory: bool,
}

/// What vmlint reads, for the notes that say a path held nothing.
pub const READS: &str = "vmlint reads .vmx files, *.vm.yaml and *.host.yaml, YAML with `kind: vm|host`, esxcli captures, govc and vSphere JSON, and the Terraform, plan, Ansible, Packer and OVF files that declare vSphere VMs";

/// What a long run reports as it goes (a progress bar, or nothing).
pub trait Progress: Sync {
    fn start(&self, _files: usize) {}
    fn tick(&self) {}
}

/// No progress reporting.
pub struct Quiet;

impl Progress for Quiet {}

/// Reads a file's text again, decoded as the loaders decode it (for a
/// snippet in a file whose text was released), unless it is now larger
/// than `limit` bytes.
pub fn reread(path: &Path, kind: FileKind, limit: u64) -> Option<String> {
    let bytes = discover::read_limited(path, limit).ok()?;
    Some(match kind {
        FileKind::Vmx | FileKind::Vmsd => crate::model::vmx::decode(&bytes).0.into_owned(),
        _ => String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// A file to load, and whether it is only context: loaded so that the
/// cross-VM rules of a partial run see every VM of a host, but not
/// reported on.
type Job = (PathBuf, FileFormat, bool);

/// One run: discover → load hosts → inventory → load and check VMs (in
/// parallel, each VM checked as it loads so that memory is bounded by what
/// is reported) → cross-VM and host rules → suppressions → per-file
/// ignores and engine codes → sort. `rules` is the rule set after
/// select/ignore: a rule that is not in it does not run.
pub fn run(
    sources: &SourceMap,
    settings: &Settings,
    rules: &[CompiledRule],
    known: &[&str],
    request: Request,
    progress: &dyn Progress,
) -> Outcome {
    let cfg = &settings.config;
    let plan = driver::Plan::new(rules);
    let (mut diags, jobs, mut notes, partial, inventory_files) =
        plan_jobs(sources, cfg, &plan, &request);
    let files_total = jobs.iter().filter(|j| !j.2).count() + usize::from(request.stdin.is_some());
    progress.start(files_total);
    let keep_vms = plan.keeps_vms();
    let reads = |name: &str| plan.cross_reads(name);
    let mut sups = HashMap::new();
    let mut checked = FileCount::default();
    let mut hostless: HashSet<FileId> = HashSet::new();
    let context: HashSet<PathBuf> = jobs.iter().filter(|j| j.2).map(|j| j.0.clone()).collect();

    // 1. hosts, and YAML whose kind only its content tells
    let (first, vm_files): (Vec<Job>, Vec<Job>) = jobs.into_iter().partition(|(_, d, _)| {
        matches!(
            d,
            FileFormat::Yaml(None)
                | FileFormat::Yaml(Some("host"))
                | FileFormat::Esxcli
                | FileFormat::Text
        )
    });
    // a host's raw keys are a copy of its whole file: kept only for rules that
    // read them, and dropped file by file so they never pile up
    let host_raw = rules.iter().any(|c| c.rule.info.uses_host_raw);
    let mut early: Vec<(PathBuf, bool, Loaded)> = first
        .par_iter()
        .map(|(p, d, ctx)| {
            let mut l = load::load_path(sources, p, *d, cfg);
            for h in &mut l.hosts {
                if !host_raw {
                    h.raw = crate::model::Raw::default();
                }
                // hosts stay for the whole run: in room for their devices only
                h.pci.shrink_to_fit();
            }
            progress.tick();
            (p.clone(), *ctx, l)
        })
        .collect();
    if let Some((name, bytes)) = &request.stdin {
        let d = stdin_descriptor(name, bytes);
        early.push((
            name.clone(),
            false,
            load::load_bytes(sources, name, d, bytes, cfg),
        ));
    }
    let mut hosts = Vec::new();
    let mut early_vms = Vec::new();
    let mut unknowns = Vec::new();
    let mut overlays = Vec::new();
    // the part of the estate each file belongs to, for `--shard`
    let shard = settings.shard;
    let mut owners: HashMap<FileId, String> = HashMap::new();
    for (path, ctx, mut l) in early {
        checked.count(&l, ctx);
        // loaded: the text of a host (or inventory) file can go as a VM's
        // does; the findings of host rules come later, and their files get
        // their positions back before the output (`keep_positions`); what
        // came on stdin cannot be read again
        let from_stdin = request
            .stdin
            .as_ref()
            .is_some_and(|(name, _)| *name == path);
        for (id, sups) in l.suppressions.iter().filter(|_| !from_stdin) {
            let shown = !sups.is_empty() || l.diags.iter().any(|d| d.primary.span.file == *id);
            sources.release(*id, shown);
        }
        if shard.is_some()
            && let Some(h) = l.hosts.first()
        {
            owners.insert(h.file, unit_of_host(h, &sources.name(h.file)));
        }
        if ctx {
            l.diags.clear();
            l.suppressions.clear();
        }
        diags.extend(l.diags);
        hosts.extend(l.hosts);
        unknowns.extend(l.unknowns);
        overlays.extend(l.overlays);
        sups.extend(l.suppressions);
        early_vms.extend(l.vms.into_iter().map(|vm| (path.clone(), ctx, vm)));
    }
    crate::model::ansible::apply(&overlays, &mut hosts);
    let (mut inv, inv_diags) = Inventory::of_hosts(hosts);
    diags.extend(inv_diags);

    // 2. each VM, checked as it loads (context VMs only join the inventory)
    let place = |path: &Path, mut vm: Vm| {
        if matches!(vm.placement, Placement::Unplaced)
            && let Some(p) = cfg.placement_for(path)
        {
            vm.placement = p.clone();
        }
        vm
    };
    // a file belongs to the part of its first VM (or host); with --shard,
    // the files of other parts are read, for placement and host.vms, but
    // not checked
    let unit = |inv: &Inventory, path: &Path, vm: &Vm| {
        let placement = match (&vm.placement, cfg.placement_for(path)) {
            (Placement::Unplaced, Some(p)) => p,
            (p, _) => p,
        };
        inv.unit_of(placement, &sources.name(vm.file))
    };
    let elsewhere = |unit: Option<&String>| shard.is_some_and(|s| unit.is_some_and(|u| !s.owns(u)));
    let check_one = |inv: &Inventory,
                     vi: usize,
                     mut vm: Vm,
                     ctx: bool,
                     found: &mut Vec<Diagnostic>,
                     hostless: &mut Vec<FileId>,
                     kept: &mut Kept| {
        let (candidates, d) = inv.candidates(&vm);
        let chosen = inv.resolve_devices(&mut vm, &candidates);
        if !ctx {
            found.extend(chosen);
        }
        if candidates.is_empty() {
            hostless.push(vm.file);
        }
        if !ctx {
            found.extend(d);
            let ctx = FieldContext::new(inv);
            let from = found.len();
            found.extend(driver::check_vm(&ctx, vi, &vm, &candidates, &plan.per_vm));
            if let Some(address) = &vm.address {
                for d in found.iter_mut().skip(from) {
                    d.message = format!("{} (`{address}`)", d.message).into();
                }
            }
        }
        if keep_vms {
            vm.keep_only(&reads);
            kept.push(&vm, candidates, ctx);
        }
    };
    let offset = early_vms.len();
    // each thread gathers what its files leave into one set of results, in
    // file order (nothing is kept of a file with nothing to say; its path
    // goes once it is loaded, the source map has its own)
    let streamed = vm_files
        .into_par_iter()
        .enumerate()
        .fold(Streamed::default, |mut acc, (i, (p, d, ctx))| {
            let (p, d, ctx) = (p.as_path(), &d, &ctx);
            let mut l = load::load_path(sources, p, *d, cfg);
            let owner = match (shard, l.vms.first()) {
                (Some(_), Some(vm)) => Some((vm.file, unit(&inv, p, vm))),
                _ => None,
            };
            let skip = elsewhere(owner.as_ref().map(|(_, u)| u));
            let kept_before = acc.kept.len();
            for vm in std::mem::take(&mut l.vms) {
                check_one(
                    &inv,
                    offset + i,
                    place(p, vm),
                    *ctx || skip,
                    &mut l.diags,
                    &mut acc.no_host,
                    &mut acc.kept,
                );
            }
            if *ctx {
                l.diags.clear();
                l.suppressions.clear();
            }
            checked_file(&mut acc.files, &l, acc.kept.len() > kept_before, *ctx);
            // checked: its text can go (positions stay; a snippet or a
            // fingerprint reads it again), so memory follows the findings
            for (id, sups) in &l.suppressions {
                let shown = !sups.is_empty() || l.diags.iter().any(|d| d.primary.span.file == *id);
                sources.release(*id, shown);
            }
            acc.owners.extend(owner);
            if !l.diags.is_empty() {
                if acc.diags.is_empty() {
                    acc.diags.push(Vec::new());
                }
                if let Some(run) = acc.diags.last_mut() {
                    run.append(&mut l.diags);
                }
            }
            acc.sups
                .extend(l.suppressions.into_iter().filter(|(_, s)| !s.is_empty()));
            acc.unknowns.append(&mut l.unknowns);
            progress.tick();
            acc
        })
        .reduce(Streamed::default, Streamed::join);
    let mut kept = Kept::default();
    let mut no_host = Vec::new();
    for (i, (path, ctx, vm)) in early_vms.into_iter().enumerate() {
        if shard.is_some() {
            let u = unit(&inv, &path, &vm);
            owners.entry(vm.file).or_insert(u);
        }
        let skip = elsewhere(owners.get(&vm.file));
        check_one(
            &inv,
            i,
            place(&path, vm),
            ctx || skip,
            &mut diags,
            &mut no_host,
            &mut kept,
        );
    }
    hostless.extend(no_host);
    inv.add_vms(kept);
    let Streamed {
        diags: streamed_diags,
        sups: streamed_sups,
        unknowns: streamed_unknowns,
        kept: streamed_kept,
        no_host: streamed_no_host,
        owners: streamed_owners,
        files,
    } = streamed;
    checked.files += files;
    owners.extend(streamed_owners);
    sups.extend(streamed_sups);
    unknowns.extend(streamed_unknowns);
    hostless.extend(streamed_no_host);
    inv.add_vms(streamed_kept);

    // 3. cross-VM and host rules
    let runs = driver::evaluate(&inv, &plan);
    // findings hold spans, not VMs: the kept VMs go before the findings are
    // filtered and sorted, so the two never peak together
    drop(inv);
    // every finding, in runs (the loading threads', the cross-VM pass's):
    // filtered run by run, then put together once
    let cross = runs.into_iter().map(|mut found| {
        // a host in a context file is not reported on either
        if !context.is_empty() {
            found.retain(|d| !context.contains(&sources.path(d.primary.span.file)));
        }
        found
    });
    let mut runs: Vec<Vec<Diagnostic>> = std::iter::once(diags)
        .chain(streamed_diags)
        .chain(cross)
        .collect();

    // 4. suppressions, knowing which rules ran over everything they need
    let scope = Scope {
        settings,
        sources,
        rules,
        partial,
        hostless: &hostless,
    };
    crate::suppress::apply(&mut runs, sups, sources, known, &|file, code| {
        scope.ran_fully(file, code)
    });
    let per_file = !cfg.per_file_ignores.is_empty();
    for run in &mut runs {
        run.retain(|d| {
            settings.enabled(&d.code)
                && !(per_file && cfg.ignored_in(&sources.path(d.primary.span.file), &d.code))
        });
        if let Some(s) = shard {
            // every finding is in exactly one part: the part of its file
            run.retain(|d| {
                let file = d.primary.span.file;
                match owners.get(&file) {
                    Some(u) => s.owns(u),
                    None => s.owns(&format!("file:{}", sources.name(file))),
                }
            });
        }
    }
    // room for exactly these, each run let go once appended
    let mut diags = Vec::with_capacity(runs.iter().map(Vec::len).sum());
    for mut run in runs {
        diags.append(&mut run);
    }
    crate::ruleset::regrade(&mut diags, cfg);
    diagnostic::sort(&mut diags, sources);
    let mut shown: Vec<FileId> = diags
        .iter()
        .flat_map(|d| std::iter::once(&d.primary).chain(&d.related))
        .map(|l| l.span.file)
        .collect();
    shown.sort_unstable();
    shown.dedup();
    sources.keep_positions(&shown);
    // files were found, but none held a VM or a host: never a silent green
    if checked.files == 0 && diags.is_empty() && notes.is_empty() && !request.paths.is_empty() {
        notes.push(format!(
            "no VM or host was found in what was named, so nothing was checked ({READS})"
        ));
    }
    Outcome {
        diagnostics: diags,
        files_checked: checked.files,
        inventory_files,
        notes,
        unknowns,
    }
}

/// What the loading threads leave, gathered in file order.
#[derive(Default)]
struct Streamed {
    /// In runs, one per loading thread's share: joined without copying.
    diags: Vec<Vec<Diagnostic>>,
    sups: Vec<(FileId, Vec<crate::directives::Suppression>)>,
    unknowns: Vec<(Span, String)>,
    kept: Kept,
    no_host: Vec<FileId>,
    owners: Vec<(FileId, String)>,
    files: usize,
}

impl Streamed {
    fn join(mut self, mut other: Streamed) -> Streamed {
        self.diags.extend(other.diags);
        self.sups.append(&mut other.sups);
        self.unknowns.append(&mut other.unknowns);
        self.kept.append(other.kept);
        self.no_host.append(&mut other.no_host);
        self.owners.append(&mut other.owners);
        self.files += other.files;
        self
    }
}

/// Counts a streamed file as checked: it held VMs, suppressions or
/// problems, and is not only context.
fn checked_file(files: &mut usize, l: &Loaded, had_vms: bool, context: bool) {
    if !context && (had_vms || !l.suppressions.is_empty() || !l.diags.is_empty()) {
        *files += 1;
    }
}

/// FileFormat files that were read (VMs, hosts, or problems found), not
/// YAML files that turned out to be something else.
#[derive(Default)]
struct FileCount {
    files: usize,
}

impl FileCount {
    fn count(&mut self, l: &Loaded, context: bool) {
        if !context && (!l.vms.is_empty() || !l.hosts.is_empty() || !l.diags.is_empty()) {
            self.files += 1;
        }
    }
}

/// Which files to load, the problems and notes of discovery, whether the
/// run is partial (named files, without the tree around them), and how
/// many inventory files were added to what was named.
fn plan_jobs(
    sources: &SourceMap,
    cfg: &Config,
    plan: &driver::Plan<'_>,
    request: &Request,
) -> (Vec<Diagnostic>, Vec<Job>, Vec<String>, bool, usize) {
    let mut diags = Vec::new();
    let mut notes = Vec::new();
    let mut paths = request.paths.clone();
    let found = discover::discover(&paths, &cfg.exclude, &cfg.dir, request.force_exclude);
    let mut found = if found.whole_tree && !paths.contains(&cfg.dir) {
        // a changed configuration or rule file: everything may change
        paths.push(cfg.dir.clone());
        discover::discover(&paths, &cfg.exclude, &cfg.dir, request.force_exclude)
    } else {
        found
    };
    for (p, why) in std::mem::take(&mut found.errors) {
        let id = sources.add(&p, FileKind::Yaml, "");
        diags.push(
            Diagnostic::engine(
                codes::UNREADABLE,
                Span::file_start(id),
                format!(
                    "cannot check `{}`: {why}",
                    crate::paths::display(&p, &cfg.dir)
                ),
            )
            .with_label("not checked"),
        );
    }
    for (p, excluded) in &found.empty {
        let name = crate::paths::display(p, &cfg.dir);
        notes.push(if *excluded {
            format!("every descriptor file in `{name}` is excluded by `exclude` in .vmlint.yaml, so nothing there was checked")
        } else {
            format!("`{name}` holds no descriptor file, so nothing there was checked ({READS})")
        });
    }
    // input kinds turned off in .vmlint.yaml are not read
    let reads = |d: &FileFormat| d.input().is_none_or(|k| cfg.reads(k));
    let mut jobs: Vec<Job> = found
        .files
        .into_iter()
        .filter(|(_, d)| reads(d))
        .map(|(p, d)| (p, d, false))
        .collect();
    let named = jobs.len();
    let partial = !request.complete && (found.named_files || request.stdin.is_some());
    let with_context = partial && cfg.path.is_some() && !plan.cross_vm.is_empty();
    let with_inventory = request.inventory && !cfg.hosts.is_empty();
    // what is named already, when more is added (a copy of every path)
    let mut have: HashSet<PathBuf> = if with_inventory || with_context {
        jobs.iter().map(|j| j.0.clone()).collect()
    } else {
        HashSet::new()
    };
    // the host inventory is always loaded, so that one VM file finds its host
    if with_inventory {
        let hosts = discover::discover(&cfg.hosts, &cfg.exclude, &cfg.dir, false);
        for (p, d) in hosts.files {
            if reads(&d) && have.insert(p.clone()) {
                jobs.push((p, d, false));
            }
        }
    }
    let inventory = jobs.len() - named;
    // a partial run of a project (pre-commit) loads the rest of its tree as
    // context, so that cross-VM rules still see every VM of a host
    if with_context {
        let tree = discover::discover(std::slice::from_ref(&cfg.dir), &cfg.exclude, &cfg.dir, true);
        let stdin = request.stdin.as_ref().map(|(n, _)| n);
        for (p, d) in tree.files {
            if Some(&p) != stdin && reads(&d) && have.insert(p.clone()) {
                jobs.push((p, d, true));
            }
        }
    }
    (diags, jobs, notes, partial && !with_context, inventory)
}

/// The format of a text read from stdin: its name's, else its content's (a
/// `.vmx` is `key = "value"` lines; anything else is read as YAML).
fn stdin_descriptor(name: &Path, bytes: &[u8]) -> FileFormat {
    if let Some(d) = discover::classify(name) {
        return d;
    }
    let text = String::from_utf8_lossy(bytes.get(..4096).unwrap_or(bytes));
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    let vmx_line = first.is_some_and(|l| {
        l.split_once('=').is_some_and(|(k, _)| {
            let k = k.trim();
            !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._:".contains(c))
        })
    });
    if vmx_line {
        FileFormat::Vmx
    } else {
        FileFormat::Yaml(None)
    }
}

/// What a suppression needs to know of the run: whether a code's rules ran
/// over everything they need for a file. Only then is a suppression of
/// that code that covers nothing reported as unused.
struct Scope<'a> {
    settings: &'a Settings,
    sources: &'a SourceMap,
    rules: &'a [CompiledRule],
    /// Named files without their tree: cross-VM rules saw part of a host.
    partial: bool,
    /// Files whose VM has no known host: host rules saw `host` as null.
    hostless: &'a HashSet<FileId>,
}

impl Scope<'_> {
    fn ran_fully(&self, file: FileId, code: &str) -> bool {
        if !self.settings.enabled(code) && !code.starts_with("VL") {
            return false;
        }
        if self
            .settings
            .config
            .ignored_in(&self.sources.path(file), code)
        {
            return false;
        }
        if code.starts_with("VL") {
            return true;
        }
        let mut any = false;
        for c in self
            .rules
            .iter()
            .filter(|c| c.rule.code.text.starts_with(code))
        {
            any = true;
            let info = &c.rule.info;
            if (info.uses_vms && self.partial) || (info.uses_host && self.hostless.contains(&file))
            {
                return false;
            }
        }
        any
    }
}
