#!/usr/bin/env python3
"""vmlint's benchmark: whole-pack throughput against the read floor, and the
one-file latency of the pre-commit case.

    python3 bench/bench.py [--sizes 20000,100000] [--corpus DIR ...] [--reps 5] [--work DIR] [--peers DIR]

For each size it generates a corpus with bench/gen_corpus.py (kept in DIR
between runs); each --corpus names an existing corpus instead (any
generator's, with an expected.json: counts per code, and `args`). It warms
the page cache, then times, median of --reps runs:
  vmlint   target/release/vmlint check CORPUS --format compact --fail-on never
           (the whole pack, then only the codes expected.json counts, which
           are the rules the peers evaluate)
  rg       rg -c pciPassthru CORPUS            (reading every file: the floor)
  regorus  the Rego peer, when --peers names the peers' folder: built here
           with cargo (CARGO_TARGET_DIR under --work, so the peers' folder may
           be read-only) and run on both cores
  opa      the OPA peer, where its folder is set up (its README says how)
and prints, side by side: wall time, peak memory (GNU time), files/s and
MB/s, and the ratios to ripgrep and to regorus. It checks vmlint's findings
per code against the corpus's expected.json (the codes it lists; with
PT001's documented limit of 6, as those corpora count it). Last, it times `vmlint check` on one .vmx file and its
host (hyperfine when installed, else the median of 50 runs).
Needs python3, GNU time (/usr/bin/time) and ripgrep; hyperfine is optional.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VMLINT = os.path.join(ROOT, "target", "release", "vmlint")


def timed(cmd, cwd=None):
    """Runs cmd (a shell string) under GNU time: (wall seconds, peak RSS MB, exit code, stdout)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        p = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", tf.name, "bash", "-c", cmd],
                           capture_output=True, text=True, cwd=cwd)
        wall, rss = tf.read().split()[-2:]
    return float(wall), int(rss) / 1024, p.returncode, p.stdout


def median_run(cmd, reps, cwd=None):
    runs = [timed(cmd, cwd) for _ in range(reps)]
    runs.sort(key=lambda r: r[0])
    wall = statistics.median(r[0] for r in runs)
    return wall, runs[len(runs) // 2][1], runs[len(runs) // 2][2], [r[0] for r in runs]


def corpus(work, n):
    path = os.path.join(work, f"corpus-{n}")
    exp = os.path.join(path, "expected.json")
    if not os.path.exists(exp) or json.load(open(exp)).get("vms") != n:
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_corpus.py"), path, "--vms", str(n)], check=True)
    return path, json.load(open(exp))


def check_counts(path, expected, config):
    out = subprocess.run([VMLINT, "check", path, "--statistics", "--fail-on", "never", "--config", config],
                         capture_output=True, text=True).stdout
    got = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            got[parts[1]] = int(parts[0])
    want = {c: n for c, n in expected["counts"].items() if n}
    mine = {c: got.get(c, 0) for c in want}
    return mine == want, mine, want


def size_of(path):
    files = size = 0
    for dirpath, _, names in os.walk(path):
        for f in names:
            if f != "expected.json":
                files += 1
                size += os.path.getsize(os.path.join(dirpath, f))
    return files, size / 1e6


def build_regorus(peers, work):
    """Builds the regorus peer from its folder; its target goes under `work`."""
    manifest = os.path.join(peers, "regorus", "Cargo.toml")
    if not os.path.exists(manifest):
        return None
    target = os.path.join(work, "peers-target")
    env = dict(os.environ, CARGO_TARGET_DIR=target)
    subprocess.run(["cargo", "build", "--release", "--quiet", "--manifest-path", manifest], env=env, check=True)
    return os.path.join(target, "release", "regorus-peer")


def one_file(work):
    """The pre-commit case: one .vmx and its host file, whole pack, whole process."""
    d = os.path.join(work, "one")
    os.makedirs(d, exist_ok=True)
    src, _ = corpus(work, 50)
    host = sorted(os.listdir(os.path.join(src, "hosts")))[0]
    shutil.copy(os.path.join(src, "hosts", host), os.path.join(d, host))
    name = host[: -len(".host.yaml")]
    for dirpath, _, files in os.walk(os.path.join(src, "vms")):
        for f in files:
            if f.endswith(".vmx") and f"host={name}" in open(os.path.join(dirpath, f)).read():
                shutil.copy(os.path.join(dirpath, f), os.path.join(d, "vm.vmx"))
                break
    cmd = f"{VMLINT} check vm.vmx {host} --fail-on never --format compact"
    if shutil.which("hyperfine"):
        out = os.path.join(work, "hyperfine.json")
        subprocess.run(["hyperfine", "-N", "--warmup", "20", "--runs", "200", "--export-json", out, cmd],
                       cwd=d, capture_output=True, check=True)
        r = json.load(open(out))["results"][0]
        return f"{r['median'] * 1000:.2f} ms median ({r['min'] * 1000:.2f}-{r['max'] * 1000:.2f}), hyperfine, 200 runs"
    walls = sorted(timed(cmd, d)[0] for _ in range(50))
    return f"{statistics.median(walls) * 1000:.1f} ms median of 50 (GNU time, 10 ms resolution)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="20000,100000", help="sizes of vmlint's own corpora ('' for none)")
    ap.add_argument("--corpus", action="append", default=[], help="an existing corpus with an expected.json")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--work", default=os.path.join(ROOT, "bench", "out"))
    ap.add_argument("--peers", help="the folder of the Rego peers (regorus/, opa/)")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    # the corpora's oracle counts PT001 with the documented flat limit of 6
    config = os.path.join(a.work, "bench.vmlint.yaml")
    with open(config, "w") as f:
        f.write("params: { PT001: { max: 6 } }\n")
    regorus = build_regorus(a.peers, a.work) if a.peers else None
    print(f"machine: {os.cpu_count()} cores; vmlint {subprocess.run([VMLINT, '--version'], capture_output=True, text=True).stdout.strip()}")
    corpora = [corpus(a.work, int(s)) for s in a.sizes.split(",") if s]
    corpora += [(c, json.load(open(os.path.join(c, "expected.json")))) for c in a.corpus]
    for path, expected in corpora:
        files, mb = size_of(path)
        vms = expected.get("args", {}).get("vms", expected.get("vms", "?"))
        ok, got, want = check_counts(path, expected, config)
        print(f"\ncorpus {path} ({vms} VMs): {files} files, {mb:.1f} MB; findings per code "
              + ("MATCH expected.json" if ok else f"MISMATCH: got {got}, want {want}"))
        subprocess.run(f"find {path} -type f -print0 | xargs -0 cat > /dev/null", shell=True)
        # the peers evaluate the codes the oracle counts: vmlint on those alone too
        codes = ",".join(sorted(expected.get("counts", {})))
        cases = [("vmlint", f"{VMLINT} check {path} --config {config} --format compact --fail-on never > /dev/null"),
                 ("vmlint, peers' rules", f"{VMLINT} check {path} --config {config} --select {codes} --format compact --fail-on never > /dev/null"),
                 ("rg (read floor)", f"rg -c pciPassthru {path} > /dev/null")]
        if regorus:
            cases.append(("regorus -j0", f"{regorus} {path} --threads 0 > /dev/null"))
        if a.peers and os.path.isdir(os.path.join(a.peers, "opa", "vendor-unpacked")):
            opa = os.path.join(a.peers, "opa", "run.py")
            cases.append(("opa batch", f"python3.11 {opa} {path} --mode batch --batch-size 500 > /dev/null"))
        rows = {}
        for name, cmd in cases:
            rows[name] = median_run(cmd, a.reps)
        floor = rows["rg (read floor)"][0]
        print(f"{'case':<21} {'wall s':>8} {'peak MB':>8} {'files/s':>10} {'MB/s':>8} {'x rg':>6}  runs")
        for name, (wall, rss, code, walls) in rows.items():
            print(f"{name:<21} {wall:>8.2f} {rss:>8.0f} {files / wall:>10.0f} {mb / wall:>8.1f} {wall / floor:>6.1f}  "
                  + " ".join(f"{w:.2f}" for w in walls) + ("" if code == 0 else f"  (exit {code})"))
        mine = rows["vmlint"][0]
        line = f"ratios: vmlint / rg {mine / floor:.2f}"
        if "regorus -j0" in rows:
            peer = rows["regorus -j0"][0]
            same = rows["vmlint, peers' rules"][0]
            line += (f"; regorus / vmlint {peer / mine:.2f} (whole pack), {peer / same:.2f} (the peers' rules)"
                     " (vmlint is that many times faster)")
        print(line)
    print(f"\none .vmx and its host, whole pack: {one_file(a.work)}")


if __name__ == "__main__":
    main()
