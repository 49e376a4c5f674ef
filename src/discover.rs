//! Discovery: takes the paths a user named (absolute), gives the sorted
//! list of descriptor files to check. Walking honours `.gitignore` (also
//! outside a git checkout) and the configuration's `exclude`, matched
//! against root-relative paths; files named explicitly are checked unless
//! `--force-exclude` (what pre-commit passes, since it names every file).

use crate::source::FileKind;
use globset::GlobSet;
use rayon::slice::ParallelSliceMut;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What a file name says about a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Vmx,
    /// YAML (or JSON); the default `kind` comes from `*.vm.yaml` / `*.host.yaml`.
    Yaml(Option<&'static str>),
    /// What one host printed for esxcli commands (`*.esxcli`, `*.esxcli.txt`).
    Esxcli,
    /// A text file (`*.txt`): read as an esxcli capture when it is one.
    Text,
    /// Terraform (`*.tf`): read when it declares a `vsphere_virtual_machine`.
    Terraform,
    /// A Packer HCL2 template (`*.pkr.hcl`).
    Packer,
    /// An OVF descriptor (`*.ovf`).
    Ovf,
}

impl FileFormat {
    pub fn kind(self) -> FileKind {
        match self {
            FileFormat::Vmx => FileKind::Vmx,
            FileFormat::Yaml(_) => FileKind::Yaml,
            FileFormat::Esxcli | FileFormat::Text => FileKind::Esxcli,
            FileFormat::Terraform | FileFormat::Packer => FileKind::Hcl,
            FileFormat::Ovf => FileKind::Xml,
        }
    }

    /// The input kind of `inputs:` in .vmlint.yaml that turns these files
    /// off (`None` for YAML and JSON whose kind only the content tells).
    pub fn input(self) -> Option<&'static str> {
        match self {
            FileFormat::Vmx => Some("vmx"),
            FileFormat::Yaml(Some(_)) => Some("yaml"),
            FileFormat::Yaml(None) => None,
            FileFormat::Esxcli | FileFormat::Text => Some("esxcli"),
            FileFormat::Terraform => Some("terraform"),
            FileFormat::Packer => Some("packer"),
            FileFormat::Ovf => Some("ovf"),
        }
    }

    /// Whether the name alone says the file is one vmlint reads, so that a
    /// file that cannot be read is worth a word.
    pub fn by_name(self) -> bool {
        !matches!(self, FileFormat::Yaml(None) | FileFormat::Text)
    }
}

/// Classifies a path by its name; `None` for files vmlint does not read.
pub fn classify(path: &Path) -> Option<FileFormat> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name.ends_with(".vmx") {
        return Some(FileFormat::Vmx);
    }
    if name.ends_with(".esxcli") || name.ends_with(".esxcli.txt") {
        return Some(FileFormat::Esxcli);
    }
    if name.ends_with(".tf") {
        return Some(FileFormat::Terraform);
    }
    if name.ends_with(".txt") {
        return Some(FileFormat::Text);
    }
    if name.ends_with(".pkr.hcl") {
        return Some(FileFormat::Packer);
    }
    if name.ends_with(".ovf") {
        return Some(FileFormat::Ovf);
    }
    for (suffix, kind) in [
        (".vm.yaml", "vm"),
        (".vm.yml", "vm"),
        (".host.yaml", "host"),
        (".host.yml", "host"),
        (".host.json", "host"),
    ] {
        if name.ends_with(suffix) {
            return Some(FileFormat::Yaml(Some(kind)));
        }
    }
    if name == ".vmlint.yaml"
        || name == ".pre-commit-hooks.yaml"
        || name == ".pre-commit-config.yaml"
    {
        return None;
    }
    (name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json"))
        .then_some(FileFormat::Yaml(None))
}

pub struct Found {
    pub files: Vec<(PathBuf, FileFormat)>,
    /// Paths that do not exist or cannot be walked: (path, reason).
    pub errors: Vec<(PathBuf, String)>,
    /// Named paths that gave no file to read: (path, whether `exclude`
    /// left files out), so that a run on nothing is never a silent green.
    pub empty: Vec<(PathBuf, bool)>,
    /// A file was named (not a folder): a partial run, as pre-commit makes.
    pub named_files: bool,
    /// A named `.vmlint.yaml` or `.rules` file: what it changes is the
    /// whole tree, so the whole tree is checked.
    pub whole_tree: bool,
}

/// Walks `paths` (absolute files or folders). `exclude` is matched against
/// paths relative to `root` (the configuration's folder); a file named
/// explicitly is checked even when excluded, unless `force_exclude`.
pub fn discover(paths: &[PathBuf], exclude: &GlobSet, root: &Path, force_exclude: bool) -> Found {
    let mut found = Found {
        files: Vec::new(),
        errors: Vec::new(),
        empty: Vec::new(),
        named_files: false,
        whole_tree: false,
    };
    let excluded = |p: &Path| is_excluded(exclude, root, p);
    for path in paths {
        let before = found.files.len();
        let mut left_out = false;
        match std::fs::symlink_metadata(path) {
            // its VL005 says why; it is not also an empty folder
            Err(e) => {
                found.errors.push((path.clone(), e.to_string()));
                continue;
            }
            Ok(meta) if !meta.is_dir() => {
                found.named_files = true;
                if force_exclude && excluded(path) {
                    left_out = true;
                } else if let Some(file) = named(path, &mut found.whole_tree) {
                    found.files.push(file);
                } else {
                    continue;
                }
            }
            Ok(_) => {
                let (files, errors, pruned) = walk(path, exclude, root);
                found.files.extend(files);
                found
                    .errors
                    .extend(errors.into_iter().map(|e| (path.clone(), e)));
                left_out = pruned;
            }
        }
        if found.files.len() == before {
            found.empty.push((path.clone(), left_out));
        }
    }
    // on the run's threads: a large estate has a hundred thousand paths
    if found.files.iter().all(|f| plain(&f.0)) {
        found.files.par_sort_by(|a, b| path_order(&a.0, &b.0));
        found
            .files
            .dedup_by(|a, b| a.0.as_os_str() == b.0.as_os_str());
    } else {
        found.files.par_sort_by(|a, b| a.0.cmp(&b.0));
        found.files.dedup_by(|a, b| a.0 == b.0);
    }
    found
}

/// Whether a path's bytes are its components joined by single `/`: no
/// `.` component, no doubled or trailing separator. Comparing such paths
/// byte by byte, with the separator below every other byte, orders them as
/// comparing them component by component does (`Path`'s order), without
/// splitting them.
fn plain(path: &Path) -> bool {
    let b = path.as_os_str().as_encoded_bytes();
    cfg!(unix)
        && !b.ends_with(b"/")
        && !b.ends_with(b"/.")
        && !b.starts_with(b"./")
        && memchr::memmem::find(b, b"//").is_none()
        && memchr::memmem::find(b, b"/./").is_none()
}

/// `Path`'s order, for paths that are [`plain`].
fn path_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    let (x, y) = (
        a.as_os_str().as_encoded_bytes(),
        b.as_os_str().as_encoded_bytes(),
    );
    let key = |c: u8| if c == b'/' { 0 } else { u16::from(c) + 1 };
    match x.iter().zip(y).find(|(p, q)| p != q) {
        Some((p, q)) => key(*p).cmp(&key(*q)),
        None => x.len().cmp(&y.len()),
    }
}

/// Whether `exclude` leaves out `path` (absolute), matched from `root`.
pub fn is_excluded(exclude: &GlobSet, root: &Path, path: &Path) -> bool {
    !exclude.is_empty() && exclude.is_match(path.strip_prefix(root).unwrap_or(path))
}

/// What a file named on the command line stands for: itself (checked
/// whatever it is called, if it can be a descriptor), the `.vmx` beside a
/// `.vmsd`, or, for a configuration or rule file, the whole tree.
fn named(path: &Path, whole_tree: &mut bool) -> Option<(PathBuf, FileFormat)> {
    let name = path
        .file_name()?
        .to_str()
        .unwrap_or("")
        .to_ascii_lowercase();
    if crate::config::FILE_NAMES.contains(&name.as_str()) || name.ends_with(".rules") {
        *whole_tree = true;
        return None;
    }
    if name.ends_with(".vmsd") {
        let vmx = path.with_extension("vmx");
        return vmx.is_file().then_some((vmx, FileFormat::Vmx));
    }
    Some((
        path.to_path_buf(),
        classify(path).unwrap_or(FileFormat::Yaml(None)),
    ))
}

/// The descriptor files below a folder, and whether `exclude` left any out.
fn walk(
    dir: &Path,
    exclude: &GlobSet,
    root: &Path,
) -> (Vec<(PathBuf, FileFormat)>, Vec<String>, bool) {
    let pruned = Arc::new(AtomicBool::new(false));
    let filter = {
        let (exclude, root, pruned) = (exclude.clone(), root.to_path_buf(), Arc::clone(&pruned));
        move |e: &ignore::DirEntry| {
            let out = is_excluded(&exclude, &root, e.path());
            if out {
                pruned.store(true, Ordering::Relaxed);
            }
            !out
        }
    };
    // walked on every core (the caller sorts): on a large tree, listing
    // folders and reading `.gitignore` files is a tenth of the run
    let found = std::sync::Mutex::new(Batch::default());
    ignore::WalkBuilder::new(dir)
        .require_git(false)
        .follow_links(false)
        .threads(rayon::current_num_threads())
        .filter_entry(filter)
        .build_parallel()
        .run(|| {
            let mut mine = Flushed {
                batch: Batch::default(),
                to: &found,
            };
            Box::new(move |entry| {
                match entry {
                    Ok(e) if e.file_type().is_some_and(|t| t.is_dir()) => {}
                    Ok(e) => {
                        if let Some(d) = classify(e.path()) {
                            mine.batch.files.push((e.into_path(), d));
                        }
                    }
                    Err(err) => mine.batch.errors.push(err.to_string()),
                }
                if mine.batch.files.len() >= 256 {
                    mine.flush();
                }
                ignore::WalkState::Continue
            })
        });
    let Batch { files, mut errors } = found.into_inner().unwrap_or_else(|e| e.into_inner());
    errors.sort();
    (files, errors, pruned.load(Ordering::Relaxed))
}

/// What walking threads found.
#[derive(Default)]
struct Batch {
    files: Vec<(PathBuf, FileFormat)>,
    errors: Vec<String>,
}

/// One walking thread's finds, handed over in batches and when it ends.
struct Flushed<'a> {
    batch: Batch,
    to: &'a std::sync::Mutex<Batch>,
}

impl Flushed<'_> {
    fn flush(&mut self) {
        let mut all = self.to.lock().unwrap_or_else(|e| e.into_inner());
        all.files.append(&mut self.batch.files);
        all.errors.append(&mut self.batch.errors);
    }
}

impl Drop for Flushed<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Default limit on the size of one descriptor file.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 8 * 1024 * 1024;

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadError {
    SymlinkLoop,
    DanglingSymlink,
    Directory,
    /// A FIFO, socket or device: reading it could block.
    NotRegular,
    TooLarge {
        size: Option<u64>,
        limit: u64,
    },
    Io(std::io::Error),
}

impl std::fmt::Display for ReadError {
    /// What follows "this file" in a VL005: `cannot be read: ...`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::SymlinkLoop => f.write_str("cannot be read: a symbolic link loop"),
            ReadError::DanglingSymlink => f.write_str("cannot be read: a dangling symbolic link"),
            ReadError::Directory => f.write_str("is a directory, not a descriptor file"),
            ReadError::NotRegular => {
                f.write_str("is not a regular file (a FIFO, socket or device), so it was not read")
            }
            ReadError::TooLarge {
                size: Some(size),
                limit,
            } => write!(
                f,
                "is {size} bytes, larger than the limit of {limit} bytes (`max_file_size` in .vmlint.yaml)"
            ),
            ReadError::TooLarge { size: None, limit } => write!(
                f,
                "is larger than the limit of {limit} bytes (`max_file_size` in .vmlint.yaml)"
            ),
            ReadError::Io(e) => write!(f, "cannot be read: {e}"),
        }
    }
}

/// The texts of files open in an editor (`vmlint server`), read instead of
/// the files on disk: what the user sees is what is checked.
static OVERLAY: std::sync::RwLock<Option<std::collections::HashMap<PathBuf, Arc<Vec<u8>>>>> =
    std::sync::RwLock::new(None);

/// Reads `path` from `bytes` from now on (`None`: from disk again).
pub fn set_overlay(path: &Path, bytes: Option<Vec<u8>>) {
    let mut o = OVERLAY.write().unwrap_or_else(|e| e.into_inner());
    let map = o.get_or_insert_with(Default::default);
    match bytes {
        Some(b) => {
            map.insert(path.to_path_buf(), Arc::new(b));
        }
        None => {
            map.remove(path);
        }
    }
}

fn overlay(path: &Path) -> Option<Arc<Vec<u8>>> {
    let o = OVERLAY.read().unwrap_or_else(|e| e.into_inner());
    o.as_ref().and_then(|m| m.get(path).cloned())
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// Reads a file without blocking on FIFOs and without reading more than
/// `limit` bytes.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    if let Some(b) = overlay(path) {
        return Ok(b.as_ref().clone());
    }
    let not_opened = |e: std::io::Error| match e.raw_os_error() {
        Some(40) => ReadError::SymlinkLoop,
        _ if e.kind() == std::io::ErrorKind::NotFound
            && std::fs::symlink_metadata(path).is_ok() =>
        {
            ReadError::DanglingSymlink
        }
        _ => ReadError::Io(e),
    };
    // opened without blocking (a FIFO would wait for a writer), then asked
    // what it is: one path lookup per file instead of two
    let file = open_nonblocking(path).map_err(not_opened)?;
    read_opened(file, limit)
}

/// The bytes of a file that may well not exist (the `.vmsd` beside each
/// `.vmx`), or `None`: absent costs one failed open, nothing more.
pub fn read_if_there(path: &Path, limit: u64) -> Option<Vec<u8>> {
    if let Some(b) = overlay(path) {
        return Some(b.as_ref().clone());
    }
    read_opened(open_nonblocking(path).ok()?, limit).ok()
}

fn read_opened(file: std::fs::File, limit: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if meta.is_dir() {
        return Err(ReadError::Directory);
    }
    if !meta.is_file() {
        return Err(ReadError::NotRegular);
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: Some(meta.len()),
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).saturating_add(1));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { size: None, limit });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_compare_as_path_compares_them() {
        let parts = ["a", "a-b", "a.b", "ab", "b", "a b", "é", "_", "0", "A"];
        let mut next = crate::test_rand::numbers(0x9e37_79b9_7f4a_7c15);
        let mut paths = Vec::new();
        for _ in 0..400 {
            let mut p = String::new();
            for _ in 0..1 + next(4) {
                p.push('/');
                for _ in 0..1 + next(2) {
                    p.push_str(parts[next(parts.len())]);
                }
            }
            paths.push(PathBuf::from(p));
        }
        assert!(paths.iter().all(|p| plain(p)));
        for a in &paths {
            for b in &paths {
                assert_eq!(path_order(a, b), a.cmp(b), "{a:?} {b:?}");
            }
        }
        assert!(
            !plain(Path::new("/a//b")) && !plain(Path::new("/a/./b")) && !plain(Path::new("/a/"))
        );
    }
}
