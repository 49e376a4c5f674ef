//! `--shard K/N` and `vmlint merge`: the parts of an estate, checked
//! apart, give together exactly what one run gives, cross-VM findings and
//! clusters included.

use crate::util::{Run, tree, vmlint_in};

/// Twelve hosts (two clusters of three, six alone) and 40 VMs: some share
/// a device on one host (PT011, cross-VM), some lack reservations (PT009),
/// some are placed by cluster, one names a host that does not exist.
fn estate() -> tempfile::TempDir {
    let mut files: Vec<(String, String)> = Vec::new();
    for h in 0..12 {
        let cluster = match h {
            0..=2 => "cluster: gpu-a\n",
            3..=5 => "cluster: gpu-b\n",
            _ => "",
        };
        files.push((
            format!("hosts/esx-{h:02}.host.yaml"),
            format!("kind: host\nname: esx-{h:02}\n{cluster}esxi_version: 8.0.2\niommu: enabled\nboot_device: disk\ncoredump: {{ transport: disk }}\npci:\n  - address: \"0000:3b:00.0\"\n    vendor_id: 0x10de\n    device_id: 0x20b5\n    class: display\n    passthrough: enabled\n  - address: \"0000:5e:00.0\"\n    vendor_id: 0x8086\n    device_id: 0x159b\n    class: network\n    passthrough: enabled\n"),
        ));
    }
    for v in 0..40 {
        let place = match v % 7 {
            0 => "cluster: gpu-a".to_string(),
            1 => "cluster: gpu-b".to_string(),
            6 if v == 13 => "host: esx-99".to_string(),
            _ => format!("host: esx-{:02}", v % 12),
        };
        let device = if v % 3 == 0 {
            "0000:3b:00.0"
        } else {
            "0000:5e:00.0"
        };
        let reservation = if v % 4 == 0 {
            ""
        } else {
            "memory_reservation: all\n"
        };
        files.push((
            format!("vms/team-{}/vm-{v:02}.vm.yaml", v % 5),
            format!("kind: vm\nname: vm-{v:02}\n{place}\nhardware_version: 19\nfirmware: efi\nmemory_mb: 8192\n{reservation}passthrough:\n  - address: \"{device}\"\n"),
        ));
    }
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_bytes()))
        .collect();
    tree(&refs)
}

fn sorted_lines(r: &Run) -> Vec<String> {
    let mut l: Vec<String> = r.stdout.lines().map(str::to_string).collect();
    l.sort();
    l
}

#[test]
fn the_parts_of_an_estate_give_together_what_one_run_gives() {
    let t = estate();
    let whole = vmlint_in(t.path(), &["check", "--format", "compact"]);
    let want = sorted_lines(&whole);
    assert!(
        want.iter().any(|l| l.contains("[PT011]")),
        "{}",
        whole.stdout
    );
    assert!(
        want.iter().any(|l| l.contains("[VL004]")),
        "{}",
        whole.stdout
    );
    for n in 1..=4 {
        let mut union = Vec::new();
        for k in 1..=n {
            let shard = format!("{k}/{n}");
            let r = vmlint_in(
                t.path(),
                &["check", "--format", "compact", "--shard", &shard],
            );
            assert!(r.code <= 1, "{shard}: {}", r.stderr);
            union.extend(sorted_lines(&r));
        }
        union.sort();
        assert_eq!(union, want, "the {n} parts differ from the whole");
    }
}

#[test]
fn merge_joins_the_parts_json_and_sarif() {
    let t = estate();
    for format in ["json", "sarif"] {
        let whole = vmlint_in(t.path(), &["check", "--format", format]);
        let mut parts = Vec::new();
        for k in 1..=3 {
            let out = t.path().join(format!("part-{k}.{format}"));
            let shard = format!("{k}/3");
            let r = vmlint_in(
                t.path(),
                &[
                    "check",
                    "--format",
                    format,
                    "--shard",
                    &shard,
                    "--output-file",
                    out.to_str().unwrap(),
                ],
            );
            assert!(r.code <= 1, "{}", r.stderr);
            parts.push(out.to_str().unwrap().to_string());
        }
        // a part given twice adds nothing
        parts.push(parts[0].clone());
        let mut args = vec!["merge"];
        args.extend(parts.iter().map(String::as_str));
        let merged = vmlint_in(t.path(), &args);
        assert_eq!(merged.code, 0, "{}", merged.stderr);
        let m: serde_json::Value = serde_json::from_str(&merged.stdout).unwrap();
        let w: serde_json::Value = serde_json::from_str(&whole.stdout).unwrap();
        if format == "json" {
            assert_eq!(m["diagnostics"], w["diagnostics"]);
        } else {
            assert_eq!(m["runs"][0]["results"], w["runs"][0]["results"]);
            assert_eq!(
                m["runs"][0]["tool"]["driver"]["rules"],
                w["runs"][0]["tool"]["driver"]["rules"]
            );
        }
    }
    let r = vmlint_in(t.path(), &["check", "--shard", "5/4"]);
    assert_eq!(r.code, 2);
}

#[test]
fn every_output_is_byte_identical_on_one_thread_and_on_two() {
    // cross-VM findings (PT011), clusters, and files whose texts are
    // released and read again for snippets and fingerprints
    let t = estate();
    for format in ["human", "compact", "json", "sarif", "junit", "gitlab"] {
        let one = vmlint_in(t.path(), &["check", "--format", format, "--jobs", "1"]);
        let two = vmlint_in(t.path(), &["check", "--format", format, "--jobs", "2"]);
        assert_eq!(one.code, 1, "{format}: {}", one.stderr);
        assert!(one.stdout.contains("PT011"), "{format}: {}", one.stdout);
        assert_eq!(one.stdout, two.stdout, "{format}");
        assert_eq!(one.stderr, two.stderr, "{format}");
    }
}
