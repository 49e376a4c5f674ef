//! Output formats: each one is checked against what its consumer needs,
//! and snapshotted. And the baseline, which must survive shifted lines.

use crate::util::{root, tree, vmlint, vmlint_in};
use serde_json::Value;

fn out(format: &str, dir: &str) -> String {
    let r = vmlint(&["check", dir, "--format", format, "--fail-on", "never"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout
}

#[test]
fn sarif_is_valid_sarif_2_1_0_and_every_result_is_located() {
    let mut schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/sarif/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    // the published schema's own `language` patterns have a stray `]`, which
    // the validator's check of the schema refuses; vmlint never writes `language`
    assert_eq!(fix_language_patterns(&mut schema), 2);
    let validator = jsonschema::validator_for(&schema).unwrap();
    let text = out("sarif", "fixtures");
    let doc: Value = serde_json::from_str(&text).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() > 40);
    for r in results {
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(
            loc["artifactLocation"]["uri"]
                .as_str()
                .is_some_and(|u| !u.is_empty()),
            "{r}"
        );
        assert!(
            loc["region"]["startLine"].as_u64().is_some_and(|l| l >= 1),
            "{r}"
        );
        assert!(r["partialFingerprints"]["vmlint/v1"].is_string());
    }
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(
        rules
            .iter()
            .filter(|r| r["id"].as_str().unwrap().starts_with("PT"))
            .all(|r| r["helpUri"].is_string())
    );
    assert!(results.iter().any(|r| {
        r["relatedLocations"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
    }));
    insta::assert_snapshot!(out("sarif", "fixtures/rules/PT003"));
}

#[test]
fn junit_is_xml_with_one_failure_per_finding() {
    let text = out("junit", "fixtures");
    let doc = roxmltree::Document::parse(&text).unwrap();
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    let compact = out("compact", "fixtures");
    assert_eq!(failures, compact.lines().count());
    insta::assert_snapshot!(out("junit", "fixtures/rules/PT004"));
}

#[test]
fn github_lines_are_workflow_commands() {
    let re = regex::Regex::new(r"^::(error|warning|notice) file=[^,:]+,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=vmlint [A-Z]+[0-9]+::.+$").unwrap();
    let text = out("github", "fixtures");
    for line in text.lines() {
        assert!(re.is_match(line), "{line}");
    }
    insta::assert_snapshot!(out("github", "fixtures/rules/PT006"));
}

#[test]
fn gitlab_issues_have_fingerprints_and_lines() {
    let doc: Value = serde_json::from_str(&out("gitlab", "fixtures")).unwrap();
    let issues = doc.as_array().unwrap();
    let mut prints = std::collections::HashSet::new();
    for i in issues {
        assert!(
            i["location"]["positions"]["begin"]["line"]
                .as_u64()
                .is_some_and(|l| l >= 1),
            "{i}"
        );
        assert!(
            i["location"]["path"]
                .as_str()
                .is_some_and(|p| !p.starts_with("./"))
        );
        prints.insert(i["fingerprint"].as_str().unwrap().to_string());
    }
    assert_eq!(prints.len(), issues.len(), "fingerprints are unique");
    insta::assert_snapshot!(out("gitlab", "fixtures/rules/PT007"));
}

#[test]
fn json_has_positions_related_labels_help_and_url() {
    let doc: Value = serde_json::from_str(&out("json", "fixtures/rules/PT011")).unwrap();
    let d = &doc["diagnostics"][0];
    assert_eq!(doc["version"], 1);
    assert_eq!(d["code"], "PT011");
    assert_eq!(d["start"]["line"], 25);
    assert_eq!(d["start"]["column"], 20);
    assert!(d["start"]["offset"].as_u64().unwrap() < d["end"]["offset"].as_u64().unwrap());
    assert_eq!(
        d["related"][0]["path"],
        "fixtures/rules/PT011/fail-b.vm.yaml"
    );
    assert!(d["help"].is_string() && d["url"].is_string());
    insta::assert_snapshot!(out("json", "fixtures/rules/PT011"));
}

#[test]
fn compact_and_statistics() {
    insta::assert_snapshot!(out("compact", "fixtures/estate"));
    let r = vmlint(&["check", "fixtures/rules", "--statistics"]);
    insta::assert_snapshot!(r.stdout);
}

/// Copies fixtures/ into a temporary folder.
fn copy_fixtures() -> tempfile::TempDir {
    let t = tree(&[]);
    for entry in ignore::WalkBuilder::new(root().join("fixtures"))
        .hidden(false)
        .build()
    {
        let e = entry.unwrap();
        if e.file_type().unwrap().is_file() {
            let rel = e.path().strip_prefix(root()).unwrap();
            let to = t.path().join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(e.path(), to).unwrap();
        }
    }
    t
}

#[test]
fn a_baseline_survives_a_line_added_at_the_top_of_every_file() {
    let t = copy_fixtures();
    let before = vmlint_in(t.path(), &["check", "fixtures", "--format", "compact"]);
    assert!(before.stdout.lines().count() > 40);
    let w = vmlint_in(
        t.path(),
        &["check", "fixtures", "--write-baseline", "baseline.json"],
    );
    assert_eq!(w.code, 0, "{}", w.stderr);
    for entry in ignore::WalkBuilder::new(t.path().join("fixtures")).build() {
        let e = entry.unwrap();
        if !e.file_type().unwrap().is_file() {
            continue;
        }
        let p = e.path();
        let old = std::fs::read(p).unwrap();
        // a comment where the format has them, a blank line in JSON
        let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
        let new = match ext {
            "json" => [b"\n".as_slice(), &old].concat(),
            // XML: after the declaration, which must come first
            "ovf" => {
                let nl = old.iter().position(|b| *b == b'\n').unwrap() + 1;
                [
                    &old[..nl],
                    b"<!-- reviewed in INFRA-5121 -->\n".as_slice(),
                    &old[nl..],
                ]
                .concat()
            }
            _ => [b"# reviewed in INFRA-5121\n".as_slice(), &old].concat(),
        };
        std::fs::write(p, new).unwrap();
    }
    let shifted = vmlint_in(t.path(), &["check", "fixtures", "--format", "compact"]);
    assert_eq!(
        shifted.stdout.lines().count(),
        before.stdout.lines().count(),
        "the edit itself adds no finding"
    );
    assert_ne!(shifted.stdout, before.stdout, "every line moved");
    let with_baseline = || {
        vmlint_in(
            t.path(),
            &[
                "check",
                "fixtures",
                "--format",
                "compact",
                "--baseline",
                "baseline.json",
            ],
        )
    };
    let after = with_baseline();
    assert_eq!(
        (after.code, after.stdout.as_str()),
        (0, ""),
        "{}",
        after.stdout
    );
    // a new finding still comes through
    let vm = t.path().join("fixtures/rules/PT005/pass-hw7.vmx");
    let text = std::fs::read_to_string(&vm)
        .unwrap()
        .replace("virtualHW.version = \"7\"", "virtualHW.version = \"6\"");
    std::fs::write(&vm, text).unwrap();
    let after = with_baseline();
    assert_eq!(
        crate::util::codes(&after.stdout),
        ["PT005"],
        "{}",
        after.stdout
    );
}

fn fix_language_patterns(v: &mut Value) -> usize {
    match v {
        Value::String(s) if s == "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$" => {
            *s = "^[a-zA-Z]{2}$|^[a-zA-Z]{2}-[a-zA-Z]{2}$".to_string();
            1
        }
        Value::Array(items) => items.iter_mut().map(fix_language_patterns).sum(),
        Value::Object(map) => map.values_mut().map(fix_language_patterns).sum(),
        _ => 0,
    }
}
