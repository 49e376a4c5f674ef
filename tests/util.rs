//! Running the binary and building temporary trees.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Fails, showing all the run printed, unless the codes of its compact
    /// findings are `want`, in order.
    #[track_caller]
    pub fn assert_codes(&self, want: &[&str]) {
        assert_eq!(codes(&self.stdout), want, "{}{}", self.stdout, self.stderr);
    }

    /// Fails, showing all the run printed, unless its output holds `text`.
    #[track_caller]
    pub fn assert_says(&self, text: &str) {
        assert!(
            self.stdout.contains(text),
            "no `{text}` in:\n{}{}",
            self.stdout,
            self.stderr
        );
    }
}

/// Runs `vmlint ARGS` in `dir` with a clean environment for colours.
pub fn vmlint_in(dir: &Path, args: &[&str]) -> Run {
    vmlint_env(dir, args, &[])
}

/// `check .` in `dir` with only the rules of `rules` (no built-in pack),
/// in compact format.
pub fn check_with_rules(dir: &Path, rules: &str) -> Run {
    vmlint_in(
        dir,
        &[
            "check",
            ".",
            "--rules",
            rules,
            "--no-builtin",
            "--format",
            "compact",
        ],
    )
}

/// `vmlint_in` with more environment variables.
pub fn vmlint_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_vmlint"))
        .args(args)
        .current_dir(dir)
        .env_remove("CI")
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("vmlint runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn vmlint(args: &[&str]) -> Run {
    vmlint_in(&root(), args)
}

/// Runs `vmlint ARGS` with `input` on stdin.
pub fn vmlint_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Run {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_vmlint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vmlint starts");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A temporary tree: `files` are (relative path, contents).
pub fn tree(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, bytes) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    dir
}

/// A host that has one A100 enabled for passthrough, at 0000:3b:00.0.
pub const HOST: &str = "kind: host
name: esx-01
esxi_version: 8.0.2
iommu: enabled
boot_device: disk
coredump: { transport: disk }
pci:
  - address: \"0000:3b:00.0\"
    vendor_id: 0x10de
    device_id: 0x20b5
    class: display
    name: NVIDIA A100
    passthrough: enabled
";

/// A clean VM on `esx-01` using that A100.
pub const GOOD_VM: &str = "kind: vm
name: good
host: esx-01
hardware_version: 19
firmware: efi
memory_mb: 4096
memory_reservation: all
passthrough:
  - address: \"0000:3b:00.0\"
";

/// The messages in compact output, in order (what follows `] `).
pub fn messages(compact: &str) -> Vec<&str> {
    compact
        .lines()
        .filter_map(|l| l.split_once("] ").map(|(_, m)| m))
        .collect()
}

/// The codes in compact output, in order.
pub fn codes(compact: &str) -> Vec<String> {
    compact
        .lines()
        .filter_map(|l| {
            l.split_once('[')
                .and_then(|(_, r)| r.split_once(']'))
                .map(|(c, _)| c.to_string())
        })
        .collect()
}

/// A `.vmx` of 100 keys and a rule `CODE` that loops over them five times
/// nested (10^10 steps without the loop budget), with the host, as a tree.
pub fn looping_estate(code: &str) -> tempfile::TempDir {
    let mut vmx = String::from("# vmlint: host=esx-01\n");
    for i in 0..100 {
        vmx.push_str(&format!("key{i}.x = \"{i}\"\n"));
    }
    let rule = format!(
        "rule {code} loops {{\n  on vm\n  for a in vm.raw_keys\n  for b in vm.raw_keys\n  for c in vm.raw_keys\n  for d in vm.raw_keys\n  for e in vm.raw_keys where a == e and b == c and c == d\n  assert true\n}}\n"
    );
    tree(&[
        ("h.host.yaml", HOST.as_bytes()),
        ("many.vmx", vmx.as_bytes()),
        ("loop.rules", rule.as_bytes()),
    ])
}
