//! The plain reader against the full parser.

use super::*;

/// The plain reader's tree is the full parser's, wherever it gives one.
fn agrees(text: &str) -> bool {
    let full = crate::yaml_tree::full(FileId(0), text, false);
    match parse(FileId(0), text) {
        Some(root) => {
            assert!(
                full.diagnostics.is_empty(),
                "{text:?}: {:?}",
                full.diagnostics
            );
            assert_eq!(full.documents, root, "{text:?}");
            true
        }
        None => false,
    }
}

#[test]
fn descriptors_read_as_the_full_parser_reads_them() {
    let read = [
        "kind: vm\nname: db-01\n",
        "# a comment\nkind: vm   \nmemory_mb: 4096 # MiB\n\n",
        "kind: host\npci:\n  - address: \"0000:04:00.0\"\n    vendor_id: 0x10de\n    name: NVIDIA A100 40GB PCIe\n  - address: '0000:2b:00.0'\n",
        "pci:\n- address: a\n  x: 1\n- b\nname: c",
        "migration: { vmotion: false, drs_automation: manual }\nlist: [a, \"b\", 'c d' ]\n",
        "a:\n  b:\n    c: 1\n  d: [x]\ne: f\n",
        "- a\n- b: 1\n  c:\n  - d\n- e\n",
        "url: http://example.com/a#b\nt: a\"b\nn: -5\nm: -x\nk: a #c\n",
        "a:    {x: 1}   # c\nb: [ 1 , 2 ]\n",
        "a: 1\na: 2\n",
        "key: text with  two spaces\n",
        "x:\n    - 1\n    - 2\ny: 3\n",
        "---\na: 1\n",
        "# c\n---   \na: 1\n---\n- b\n",
        "a: 1\n---\nb: 2\n",
        "# cache VM owned by team-000 (managed by terraform)\nkind: vm\nname: team-000-cache-vm001281\nhost: esx-sjc1-00008\n",
        "a: {}\nb: []\nc: [ ]  # none\nd:\n- []\n- {  }\n",
        "passthrough:\n  - address: \"0000:5a:00.0\"\npower_state: poweredOff\n",
        "migration: { vmotion: false, drs_automation: manual }\nfault_tolerance: false\nhot_add: { cpu: false, memory: false }\n",
    ];
    for text in read {
        assert!(agrees(text), "not read by the plain reader: {text:?}");
    }
}

#[test]
fn what_it_is_not_sure_of_goes_to_the_full_parser() {
    let refused = [
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: |\n  text\n",
        "a: >-\n  text\n",
        "a: \"esc\\n\"\n",
        "a: 'it''s'\n",
        "a: b\n  c\n",
        "a:\nb: 1\n",
        "a:\n",
        "--- a: 1\n",
        "---x\na: 1\n",
        "a: 1\n---\n---\nb: 2\n",
        "a: 1\n---\n",
        "a: 1\n...\n",
        "%YAML 1.2\n---\na: 1\n",
        "a:\tb\n",
        "a: b\r\n",
        "name: café\n",
        "a: [1, [2]]\n",
        "a: {b: {c: 1}}\n",
        "a: [1, 2,]\n",
        "a: {b:1}\n",
        "a : 1\n",
        "\"a\": 1\n",
        "? a\n: 1\n",
        "a: b: c\n",
        "- - a\n",
        "-\n  a: 1\n",
        "a: \"open\n",
        "just a scalar\n",
        "",
        "# only a comment\n",
        "a: 1\n b: 2\n",
        "- a\n b\n",
        "a: [1, 2\n",
        "a: x # c\n  b: 1\n",
        "a: \"x\"y\n",
        "a: \"x\"#c\n",
    ];
    for text in refused {
        assert!(!agrees(text), "read by the plain reader: {text:?}");
    }
}

#[test]
fn deep_nesting_goes_to_the_full_parser() {
    let mut text = String::new();
    for i in 0..40 {
        text.push_str(&" ".repeat(i * 2));
        text.push_str("k:\n");
    }
    text.push_str(&" ".repeat(80));
    text.push_str("v: 1\n");
    assert!(!agrees(&text));
}

/// Texts built at random from the pieces descriptors are made of:
/// wherever the plain reader gives a tree, it is the full parser's.
#[test]
fn random_texts_read_alike() {
    let pieces = [
        "a",
        "b: 1",
        "- x",
        "- c: d",
        "  ",
        "    ",
        ": ",
        "e:",
        "\"q\"",
        "'s'",
        "# c",
        " #c",
        "{ f: g }",
        "[h, i]",
        "-",
        "j k",
        "0x10de",
        "\n",
        "\n",
        "\n",
        "l: ",
        "m",
        ",",
        "}",
        "]",
        "#",
        "n:x",
        "\n  - ",
        "\n- ",
        "\n  ",
        "-5",
        "'t''u'",
        "\"v\\\"\"",
        "{w: x, y: z}",
        "[ ]",
        "{ }",
        "\n  # c\n",
        "o: p\n",
        "\n   q:",
        "r: 's'",
        ":",
        "?",
        "&a",
        "*a",
        "!t",
        "|",
        ">",
        "\"",
        "'",
        "...",
        "---",
        "\n---\n",
        "\n--- \n",
    ];
    let mut next = crate::test_rand::numbers(0x2545_f491_4f6c_dd1d);
    let mut read = 0;
    for _ in 0..50_000 {
        let mut text = String::new();
        for _ in 0..next(24) {
            text.push_str(pieces[next(pieces.len())]);
        }
        if agrees(&text) {
            read += 1;
        }
    }
    // the pieces make enough plain YAML for the comparison to mean something
    assert!(read > 1_000, "only {read} texts read");
}

/// Every YAML file of the bundled fixtures reads alike, and those
/// without directives take the plain reader.
#[test]
fn the_fixtures_read_alike() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let (mut read, mut plain) = (0, 0);
    for entry in ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .build()
    {
        let path = entry.unwrap().into_path();
        if !path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        if crate::directives::may_hold(&text) {
            continue;
        }
        plain += 1;
        if agrees(&text) {
            read += 1;
        }
    }
    assert!(
        plain > 20 && read * 10 >= plain * 9,
        "{read} of {plain} read"
    );
}
