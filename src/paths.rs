//! Paths against one root: takes what the user typed (relative to the
//! working directory, `./x`, `a/../x`, absolute), gives one absolute,
//! lexically normal spelling, and the root-relative name that output,
//! globs, baselines and fingerprints use, so that the same estate gives the
//! same answer from wherever vmlint is run.

use std::path::{Component, Path, PathBuf};

/// The working directory, or `/` when it cannot be read (deleted under us).
pub fn cwd() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"))
}

/// `path` made absolute against `base`, with `.` and `..` resolved
/// lexically (symbolic links are not followed, so names stay the user's).
pub fn absolute(path: &Path, base: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                // `..` above the root stays at the root, as the kernel does
                if out.file_name().is_some() {
                    out.pop();
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The name of an absolute path as seen from `root`, with `/` separators;
/// a path outside the root keeps its absolute spelling.
pub fn display(path: &Path, root: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
        Ok(rel) => slashes(rel),
        Err(_) => slashes(path),
    }
}

/// A path as text: itself when it is UTF-8 (nearly always: no formatting
/// machinery for each of 100,000 files), else as `Path::display` shows it.
pub fn text(p: &Path) -> String {
    p.to_str()
        .map_or_else(|| p.display().to_string(), str::to_string)
}

fn slashes(p: &Path) -> String {
    let s = text(p);
    if std::path::MAIN_SEPARATOR == '/' {
        s
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_path_is_one_path() {
        let base = Path::new("/repo/datastores");
        let want = PathBuf::from("/repo/datastores/b/vm.vmx");
        for typed in [
            "b/vm.vmx",
            "./b/vm.vmx",
            "a/../b/vm.vmx",
            "/repo/datastores/b/./vm.vmx",
        ] {
            assert_eq!(absolute(Path::new(typed), base), want, "{typed}");
        }
        assert_eq!(absolute(Path::new("../../../x"), base), PathBuf::from("/x"));
    }

    #[test]
    fn names_are_relative_to_the_root_when_inside_it() {
        let root = Path::new("/repo");
        assert_eq!(display(Path::new("/repo/vms/a.vmx"), root), "vms/a.vmx");
        assert_eq!(display(Path::new("/repo"), root), ".");
        assert_eq!(
            display(Path::new("/elsewhere/h.yaml"), root),
            "/elsewhere/h.yaml"
        );
        // a sibling whose name merely starts like the root is outside it
        assert_eq!(display(Path::new("/repo2/a.vmx"), root), "/repo2/a.vmx");
    }
}
