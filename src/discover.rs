//! Discovery: takes the paths a user named, gives the sorted list of
//! descriptor files to check. Walking honours `.gitignore` (also outside a
//! git checkout) and the configuration's `exclude`; files named explicitly
//! are always checked.

use crate::source::FileKind;
use globset::GlobSet;
use std::path::{Path, PathBuf};

/// What a file name says about a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Descriptor {
    Vmx,
    /// YAML (or JSON); the default `kind` comes from `*.vm.yaml` / `*.host.yaml`.
    Yaml(Option<&'static str>),
}

impl Descriptor {
    pub fn kind(self) -> FileKind {
        match self {
            Descriptor::Vmx => FileKind::Vmx,
            Descriptor::Yaml(_) => FileKind::Yaml,
        }
    }
}

/// Classifies a path by its name; `None` for files vmlint does not read.
pub fn classify(path: &Path) -> Option<Descriptor> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name.ends_with(".vmx") {
        return Some(Descriptor::Vmx);
    }
    for (suffix, kind) in [
        (".vm.yaml", "vm"),
        (".vm.yml", "vm"),
        (".host.yaml", "host"),
        (".host.yml", "host"),
        (".host.json", "host"),
    ] {
        if name.ends_with(suffix) {
            return Some(Descriptor::Yaml(Some(kind)));
        }
    }
    if name == ".vmlint.yaml"
        || name == ".pre-commit-hooks.yaml"
        || name == ".pre-commit-config.yaml"
    {
        return None;
    }
    (name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json"))
        .then_some(Descriptor::Yaml(None))
}

pub struct Found {
    pub files: Vec<(PathBuf, Descriptor)>,
    /// Paths that do not exist or cannot be walked: (path, reason).
    pub errors: Vec<(PathBuf, String)>,
}

/// Walks `paths` (files or folders). `exclude` is matched against paths
/// relative to `base` (the configuration's folder).
pub fn discover(paths: &[PathBuf], exclude: &GlobSet, base: &Path) -> Found {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let cwd = std::env::current_dir().unwrap_or_default();
    let excluded = |p: &Path| {
        if exclude.is_empty() {
            return false;
        }
        let abs = cwd.join(p);
        let rel = abs.strip_prefix(base).unwrap_or(&abs);
        exclude.is_match(rel) || exclude.is_match(p)
    };
    for root in paths {
        match std::fs::symlink_metadata(root) {
            Err(e) => errors.push((root.clone(), e.to_string())),
            Ok(meta) if !meta.is_dir() => {
                // named explicitly: checked whatever it is called, if it can be a descriptor
                let d = classify(root).unwrap_or(Descriptor::Yaml(None));
                if !excluded(root) {
                    files.push((root.clone(), d));
                }
            }
            Ok(_) => {
                let walker = ignore::WalkBuilder::new(root)
                    .require_git(false)
                    .follow_links(false)
                    .sort_by_file_name(|a, b| a.cmp(b))
                    .build();
                for entry in walker {
                    match entry {
                        Ok(e) => {
                            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
                            if is_dir || excluded(e.path()) {
                                continue;
                            }
                            if let Some(d) = classify(e.path()) {
                                files.push((e.path().to_path_buf(), d));
                            }
                        }
                        Err(err) => errors.push((root.clone(), err.to_string())),
                    }
                }
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files.dedup_by(|a, b| a.0 == b.0);
    Found { files, errors }
}

/// Default limit on the size of one descriptor file.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 8 * 1024 * 1024;

/// Reads a file without blocking on FIFOs and without reading more than
/// `limit` bytes. The error says why in words for a VL005.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| match e.raw_os_error() {
        Some(40) => "cannot be read: a symbolic link loop".to_string(),
        _ if std::fs::symlink_metadata(path).is_ok() => {
            "cannot be read: a dangling symbolic link".to_string()
        }
        _ => format!("cannot be read: {e}"),
    })?;
    if meta.is_dir() {
        return Err("is a directory, not a descriptor file".to_string());
    }
    if !meta.is_file() {
        return Err(
            "is not a regular file (a FIFO, socket or device), so it was not read".to_string(),
        );
    }
    if meta.len() > limit {
        return Err(format!(
            "is {} bytes, larger than the limit of {limit} bytes (`max_file_size` in .vmlint.yaml)",
            meta.len()
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot be read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot be read: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "is larger than the limit of {limit} bytes (`max_file_size` in .vmlint.yaml)"
        ));
    }
    Ok(bytes)
}
