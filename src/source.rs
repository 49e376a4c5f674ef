//! The file table: takes file texts, gives small `Copy` spans into them.
//!
//! Each file's text is stored once, behind an `Arc`. A [`Span`] is a file id
//! plus a byte range; line and column are derived only when rendering, from a
//! line index built on first use.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Index of a file in the [`SourceMap`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct FileId(pub u32);

/// A byte range in one file. Small and `Copy`, so every value can carry one.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        let end = u32::try_from(end).unwrap_or(u32::MAX).max(start);
        Span { file, start, end }
    }

    /// An empty span at the start of a file: for problems with the file as a whole.
    pub fn file_start(file: FileId) -> Span {
        Span {
            file,
            start: 0,
            end: 0,
        }
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// The smallest span covering both (same file assumed; else `self`).
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// What a file is, as discovery decided it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Vmx,
    Vmsd,
    Yaml,
    Esxcli,
    /// Terraform and Packer.
    Hcl,
    /// OVF.
    Xml,
    Rules,
    Config,
    Baseline,
}

/// One file: where it is, the name output gives it, and its decoded text.
pub struct SourceFile {
    /// Where the file is read from (absolute for files on disk).
    pub path: PathBuf,
    /// Its name in output: relative to the run's root (the configuration's
    /// folder), whatever the working directory and spelling.
    display: Name,
    pub kind: FileKind,
    pub text: Arc<str>,
    lines: OnceLock<Vec<u32>>,
}

/// A file's name in output: the end of its path, from a byte offset (the
/// usual case: a file below the root), or a text of its own.
#[derive(Clone)]
enum Name {
    Tail(usize),
    Own(Arc<str>),
}

impl Name {
    /// `shown`, as the end of `path` when it is one.
    fn of(path: &Path, shown: String) -> Name {
        match path.to_str() {
            Some(p) if !shown.is_empty() && p.ends_with(shown.as_str()) => {
                Name::Tail(p.len() - shown.len())
            }
            _ => Name::Own(Arc::from(shown)),
        }
    }
}

impl SourceFile {
    pub fn new(path: PathBuf, kind: FileKind, text: Arc<str>) -> SourceFile {
        let display = Name::of(&path, crate::paths::text(&path));
        SourceFile::named(path, display, kind, text)
    }

    fn named(path: PathBuf, display: Name, kind: FileKind, text: Arc<str>) -> SourceFile {
        SourceFile {
            path,
            display,
            kind,
            text,
            lines: OnceLock::new(),
        }
    }

    pub fn name(&self) -> String {
        self.shown().to_string()
    }

    /// Its name in output, borrowed.
    fn shown(&self) -> &str {
        match &self.display {
            Name::Tail(at) => self
                .path
                .to_str()
                .and_then(|p| p.get(*at..))
                .unwrap_or_default(),
            Name::Own(name) => name,
        }
    }

    fn line_starts(&self) -> &[u32] {
        self.lines.get_or_init(|| {
            let mut starts = vec![0u32];
            starts.extend(
                memchr::memchr_iter(b'\n', self.text.as_bytes())
                    .map(|i| u32::try_from(i + 1).unwrap_or(u32::MAX)),
            );
            starts
        })
    }

    /// Clamps a span to the text and to character boundaries, so no label
    /// can fall outside its file or inside a UTF-8 sequence.
    pub fn clamp(&self, span: Span) -> std::ops::Range<usize> {
        let len = self.text.len();
        let mut start = (span.start as usize).min(len);
        let mut end = (span.end as usize).clamp(start, len);
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        start..end
    }

    /// 0-based index of the line holding a byte offset.
    pub fn line_index(&self, offset: usize) -> usize {
        let starts = self.line_starts();
        match starts.binary_search(&u32::try_from(offset).unwrap_or(u32::MAX)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// Byte offset where the 0-based line `index` starts (`None` past the end).
    pub fn line_start(&self, index: usize) -> Option<usize> {
        self.line_starts().get(index).map(|s| *s as usize)
    }

    /// 1-based line and 1-based column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let starts = self.line_starts();
        let line = match starts.binary_search(&u32::try_from(offset).unwrap_or(u32::MAX)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let line_start = starts.get(line).map_or(0, |s| *s as usize);
        let col = self
            .text
            .get(line_start..offset)
            .map_or(0, |s| s.chars().count());
        (line + 1, col + 1)
    }

    /// The byte range of the 1-based line `line`, without its line break.
    pub fn line_range(&self, line: usize) -> Option<std::ops::Range<usize>> {
        let starts = self.line_starts();
        let start = *starts.get(line.checked_sub(1)?)? as usize;
        let mut end = starts.get(line).map_or(self.text.len(), |s| *s as usize);
        let bytes = self.text.as_bytes();
        while end > start && matches!(bytes.get(end - 1), Some(b'\n' | b'\r')) {
            end -= 1;
        }
        Some(start..end)
    }

    pub fn slice(&self, span: Span) -> &str {
        self.text.get(self.clamp(span)).unwrap_or("")
    }
}

/// The text of every released file, shared.
static NO_TEXT: std::sync::LazyLock<Arc<str>> = std::sync::LazyLock::new(|| Arc::from(""));

/// Re-reads a released file's text (decoded as when it was first read),
/// if it is at most the given number of bytes.
pub type Rereader = fn(&Path, FileKind, u64) -> Option<String>;

/// Every file the run has read, shared by the loaders (which add) and the
/// renderers (which read). To keep memory bounded by the findings on large
/// trees, the text of a file can be released once it is checked: its line
/// table stays, so positions need no text, and `get` reads the text again
/// (one file at a time, never kept) when a snippet or a fingerprint needs it.
#[derive(Default)]
pub struct SourceMap {
    files: Mutex<Vec<Arc<SourceFile>>>,
    /// Held in place, not each in a box of its own: there is one per file.
    released: Mutex<Vec<Option<Released>>>,
    reader: Option<Rereader>,
    /// The last text read again: renderers go file by file.
    last: Mutex<Option<(FileId, Arc<SourceFile>)>>,
    /// The folder names are relative to; set once, before files are added.
    root: OnceLock<PathBuf>,
    /// The most bytes a file is read again with (the run's `max_file_size`).
    limit: OnceLock<u64>,
}

/// What is kept of a released text: its length and, when it is all ASCII
/// (so a column is a byte count) and positions in it may be asked for,
/// the length of each line (most `.vmx` and YAML lines are short).
struct Released {
    len: usize,
    lines: Option<Box<[u16]>>,
}

impl Released {
    fn of(text: &str, positions: bool) -> Released {
        let lines = (positions && text.is_ascii())
            .then(|| {
                let mut lines = Vec::new();
                let mut start = 0;
                for nl in memchr::memchr_iter(b'\n', text.as_bytes()) {
                    lines.push(u16::try_from(nl + 1 - start).ok()?);
                    start = nl + 1;
                }
                if start < text.len() {
                    lines.push(u16::try_from(text.len() - start).ok()?);
                }
                // after a final newline (or in an empty text) is a line of its own
                if text.is_empty() || text.ends_with('\n') {
                    lines.push(0);
                }
                Some(lines.into_boxed_slice())
            })
            .flatten();
        Released {
            len: text.len(),
            lines,
        }
    }

    fn line_col(&self, offset: usize) -> Option<(usize, usize)> {
        let lines = self.lines.as_ref()?;
        let offset = offset.min(self.len);
        let mut start = 0;
        for (i, l) in lines.iter().enumerate() {
            let end = start + usize::from(*l);
            if offset < end {
                return Some((i + 1, offset.saturating_sub(start) + 1));
            }
            start = end;
        }
        // at the end of the text: on its last line
        let last = lines.last().map_or(0, |l| usize::from(*l));
        Some((
            lines.len().max(1),
            offset.saturating_sub(start.saturating_sub(last)) + 1,
        ))
    }
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// A map that may release texts and read them again with `reader`.
    pub fn with_reader(reader: Rereader) -> SourceMap {
        SourceMap {
            reader: Some(reader),
            ..SourceMap::default()
        }
    }

    /// Reads no file again that has grown past `bytes` (the run's
    /// `max_file_size`; 8 MiB until it is set).
    pub fn set_limit(&self, bytes: u64) {
        let _ = self.limit.set(bytes);
    }

    fn limit(&self) -> u64 {
        self.limit
            .get()
            .copied()
            .unwrap_or(crate::discover::DEFAULT_MAX_FILE_SIZE)
    }

    /// Names every file added from now on relative to `root` (absolute).
    pub fn set_root(&self, root: &Path) {
        let _ = self.root.set(root.to_path_buf());
    }

    fn display(&self, path: &Path) -> Name {
        let shown = match self.root.get() {
            Some(root) if path.is_absolute() => crate::paths::display(path, root),
            _ => crate::paths::text(path),
        };
        Name::of(path, shown)
    }

    /// Drops the text of a file (when a reader can bring it back), keeping
    /// what positions in it need when `positions` (it has findings or
    /// suppressions).
    pub fn release(&self, id: FileId, positions: bool) {
        if self.reader.is_none() {
            return;
        }
        // what is kept is made outside the locks: the other threads add and
        // release their files meanwhile
        let text = {
            let files = self.files.lock().unwrap_or_else(|e| e.into_inner());
            match files.get(id.0 as usize) {
                Some(f) => Arc::clone(&f.text),
                None => return,
            }
        };
        let kept = Released::of(&text, positions);
        drop(text);
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        let mut released = self.released.lock().unwrap_or_else(|e| e.into_inner());
        if let (Some(slot), Some(flag)) = (
            files.get_mut(id.0 as usize),
            released.get_mut(id.0 as usize),
        ) {
            if flag.is_some() {
                return;
            }
            *flag = Some(kept);
            let empty = Arc::clone(&NO_TEXT);
            match Arc::get_mut(slot) {
                Some(f) => {
                    f.text = empty;
                    f.lines = OnceLock::new();
                }
                None => {
                    *slot = Arc::new(SourceFile::named(
                        slot.path.clone(),
                        slot.display.clone(),
                        slot.kind,
                        empty,
                    ));
                }
            }
        }
    }

    /// Gives each released file among `ids` that kept no line table (its
    /// findings came after it was released: cross-VM rules) one, reading
    /// them again on the run's threads, so that the output, which asks
    /// positions file after file, need not read them one at a time.
    pub fn keep_positions(&self, ids: &[FileId]) {
        use rayon::prelude::*;
        let Some(reader) = self.reader else { return };
        let wanted: Vec<(FileId, PathBuf, FileKind)> = {
            let files = self.files.lock().unwrap_or_else(|e| e.into_inner());
            let released = self.released.lock().unwrap_or_else(|e| e.into_inner());
            ids.iter()
                .filter(|id| {
                    released
                        .get(id.0 as usize)
                        .is_some_and(|r| r.as_ref().is_some_and(|r| r.lines.is_none()))
                })
                .filter_map(|id| {
                    let f = files.get(id.0 as usize)?;
                    Some((*id, f.path.clone(), f.kind))
                })
                .collect()
        };
        let limit = self.limit();
        let tables: Vec<(FileId, Released)> = wanted
            .par_iter()
            .filter_map(|(id, path, kind)| {
                Some((*id, Released::of(&reader(path, *kind, limit)?, true)))
            })
            .filter(|(_, r)| r.lines.is_some())
            .collect();
        let mut released = self.released.lock().unwrap_or_else(|e| e.into_inner());
        for (id, table) in tables {
            if let Some(slot) = released.get_mut(id.0 as usize) {
                *slot = Some(table);
            }
        }
    }

    /// Line and column (1-based, in characters) of a byte offset, without
    /// reading a released ASCII text again.
    pub fn line_col(&self, id: FileId, offset: usize) -> (usize, usize) {
        if let Some(at) = self.with_released(id, |r| r.line_col(offset)).flatten() {
            return at;
        }
        self.get(id).line_col(offset)
    }

    /// Where a span starts and ends: ((line, column), (line, column)).
    pub fn position(&self, span: Span) -> ((usize, usize), (usize, usize)) {
        let kept = self.with_released(span.file, |r| {
            r.lines.is_some().then(|| {
                let start = (span.start as usize).min(r.len);
                let end = (span.end as usize).clamp(start, r.len);
                (
                    r.line_col(start).unwrap_or((1, 1)),
                    r.line_col(end).unwrap_or((1, 1)),
                )
            })
        });
        match kept.flatten() {
            Some(at) => at,
            None => {
                let file = self.get(span.file);
                let r = file.clamp(span);
                (file.line_col(r.start), file.line_col(r.end))
            }
        }
    }

    /// A span clamped to its file's text (and to character boundaries),
    /// as byte offsets, without reading a released ASCII text again.
    pub fn clamped(&self, span: Span) -> std::ops::Range<usize> {
        let kept = self.with_released(span.file, |r| {
            r.lines.is_some().then(|| {
                let start = (span.start as usize).min(r.len);
                start..(span.end as usize).clamp(start, r.len)
            })
        });
        match kept.flatten() {
            Some(range) => range,
            None => self.get(span.file).clamp(span),
        }
    }

    /// A span's offset and length in characters (SARIF's `charOffset` and
    /// `charLength`), without reading a released ASCII text again.
    pub fn chars(&self, span: Span) -> (usize, usize) {
        let positions = self
            .with_released(span.file, |r| r.lines.is_some())
            .unwrap_or(false);
        match positions {
            true => {
                let range = self.clamped(span);
                (range.start, range.len())
            }
            false => {
                let file = self.get(span.file);
                let r = file.clamp(span);
                let len = file.text.get(r.clone()).map_or(0, |t| t.chars().count());
                let offset = file.text.get(..r.start).map_or(0, |t| t.chars().count());
                (offset, len)
            }
        }
    }

    /// What `f` makes of what is kept of a released file, if it was
    /// released (under the lock: `f` must not call back into the map).
    fn with_released<R>(&self, id: FileId, f: impl FnOnce(&Released) -> R) -> Option<R> {
        let released = self.released.lock().unwrap_or_else(|e| e.into_inner());
        released.get(id.0 as usize).and_then(Option::as_ref).map(f)
    }

    /// The path of a file, without reading a released text again.
    pub fn path(&self, id: FileId) -> PathBuf {
        let files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        files
            .get(id.0 as usize)
            .map_or_else(|| PathBuf::from("<unknown>"), |f| f.path.clone())
    }

    /// The name of a file in output, without reading a released text again.
    pub fn name(&self, id: FileId) -> String {
        let files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        files
            .get(id.0 as usize)
            .map_or_else(|| "<unknown>".to_string(), |f| f.name())
    }

    /// Each of `ids` ranked by its name in output (files of the same name
    /// share a rank), no name copied: findings are sorted by it.
    pub fn rank_by_name(&self, ids: &[FileId]) -> std::collections::HashMap<FileId, u32> {
        let files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        let mut named: Vec<(&str, FileId)> = ids
            .iter()
            .map(|id| {
                (
                    files.get(id.0 as usize).map_or("<unknown>", |f| f.shown()),
                    *id,
                )
            })
            .collect();
        named.sort_unstable();
        let mut rank = std::collections::HashMap::with_capacity(named.len());
        let mut r = 0u32;
        for (i, (name, file)) in named.iter().enumerate() {
            if i > 0 && named.get(i - 1).is_some_and(|(before, _)| before != name) {
                r += 1;
            }
            rank.insert(*file, r);
        }
        rank
    }

    pub fn add(&self, path: impl AsRef<Path>, kind: FileKind, text: impl Into<Arc<str>>) -> FileId {
        let path = path.as_ref().to_path_buf();
        let display = self.display(&path);
        let file = Arc::new(SourceFile::named(path, display, kind, text.into()));
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        let mut released = self.released.lock().unwrap_or_else(|e| e.into_inner());
        files.push(file);
        released.push(None);
        FileId(u32::try_from(files.len() - 1).unwrap_or(u32::MAX))
    }

    pub fn get(&self, id: FileId) -> Arc<SourceFile> {
        if self.with_released(id, |_| ()).is_some()
            && let Some(reader) = self.reader
        {
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((at, file)) = last.as_ref()
                && *at == id
            {
                return Arc::clone(file);
            }
            let (path, display, kind) = {
                let files = self.files.lock().unwrap_or_else(|e| e.into_inner());
                match files.get(id.0 as usize) {
                    Some(f) => (f.path.clone(), f.display.clone(), f.kind),
                    None => {
                        return Arc::new(SourceFile::new(
                            PathBuf::from("<unknown>"),
                            FileKind::Yaml,
                            Arc::from(""),
                        ));
                    }
                }
            };
            let text = reader(&path, kind, self.limit()).unwrap_or_default();
            let file = Arc::new(SourceFile::named(path, display, kind, Arc::from(text)));
            *last = Some((id, Arc::clone(&file)));
            return file;
        }
        let files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        match files.get(id.0 as usize) {
            Some(f) => Arc::clone(f),
            None => Arc::new(SourceFile::new(
                PathBuf::from("<unknown>"),
                FileKind::Yaml,
                Arc::from(""),
            )),
        }
    }

    pub fn len(&self) -> usize {
        self.files.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests;
