use super::*;
use crate::source::FileId;

fn compiled_from_text() -> Vec<crate::ir::Rule> {
    match compile_text(FileId(0), BUILTIN_TEXT, &[]) {
        Ok(rules) => rules,
        Err(d) => panic!("the embedded pack does not compile: {d:#?}"),
    }
}

/// The compiled pack shipped in `rules/passthrough.ir` is what compiling
/// the pack's text gives with these sources, and decodes to the same
/// rules. After an edit of the pack, the grammar, the language, the IR or
/// the schema, `VMLINT_BLESS=1 cargo test compiled_pack` writes it again.
#[test]
fn the_compiled_pack_is_the_pack_compiled() {
    let fresh = compiled_from_text();
    let bytes = crate::ir::encode(&fresh, BUILTIN_INPUTS).expect("every literal encodes");
    if bytes != BUILTIN_IR {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/passthrough.ir");
        if std::env::var_os("VMLINT_BLESS").is_some() {
            std::fs::write(&path, &bytes).expect("rules/passthrough.ir is writable");
        } else {
            panic!(
                "{} is not the embedded pack compiled from these sources: run `VMLINT_BLESS=1 cargo test compiled_pack` and commit it",
                path.display()
            );
        }
    }
    let back = crate::ir::decode(&bytes, BUILTIN_INPUTS, FileId(0)).expect("it decodes");
    assert_eq!(format!("{:#?}", back.rules), format!("{fresh:#?}"));
    // its regular expressions compile, as the checker compiled them
    assert!(!back.patterns.is_empty());
    assert!(back.patterns.iter().all(|p| p.regex().is_some()));
}

/// Bytes compiled from other sources, cut short, or damaged are never
/// used: decoding gives nothing (and never panics), and the rules load
/// from their text.
#[test]
fn a_compiled_pack_from_other_sources_or_damaged_is_not_used() {
    let bytes = crate::ir::encode(&compiled_from_text(), BUILTIN_INPUTS).expect("encodes");
    assert!(crate::ir::decode(&bytes, "0123456789abcdef", FileId(0)).is_none());
    let cuts = (0..bytes.len())
        .step_by(101)
        .chain(bytes.len().saturating_sub(40)..bytes.len());
    for n in cuts {
        let cut = bytes.get(..n).unwrap_or_default();
        assert!(
            crate::ir::decode(cut, BUILTIN_INPUTS, FileId(0)).is_none(),
            "{n} bytes"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(crate::ir::decode(&longer, BUILTIN_INPUTS, FileId(0)).is_none());
    for at in (40..bytes.len()).step_by(211) {
        let mut damaged = bytes.clone();
        if let Some(b) = damaged.get_mut(at) {
            *b ^= 0xa5;
        }
        let _ = crate::ir::decode(&damaged, BUILTIN_INPUTS, FileId(0));
    }
}

/// A rule file of the user's may not reuse a code of the compiled pack.
#[test]
fn a_user_rule_may_not_take_a_code_of_the_pack() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("mine.rules");
    let rule = "rule PT001 mine {\n  severity warning\n  summary \"x\"\n  on vm\n  assert vm.memory_mb > 0\n  message \"m\"\n}\n";
    std::fs::write(&path, rule).expect("written");
    let sources = SourceMap::new();
    let diags = match load_rules(
        &sources,
        true,
        &[path],
        &Config::default_in(dir.path().to_path_buf()),
    ) {
        Ok(_) => panic!("a second PT001 loaded"),
        Err(d) => d,
    };
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = diags.first().expect("one");
    assert_eq!(&*d.message, "rule code `PT001` is defined twice");
    assert_eq!(d.related.first().map(|r| r.span.file), Some(FileId(0)));
}

/// Bytes that nest an expression deeper than a rule can are refused
/// without recursing past the stack (decoded on a thread with the stack a
/// worker of the pool has); a rule nested as deep as a checked one can be
/// decodes.
#[test]
fn a_compiled_pack_nested_too_deep_is_not_used() {
    use crate::ir::{Expr, Kind, UnOp};
    let nested = |depth: usize| {
        let mut rule = compiled_from_text().swap_remove(0);
        let span = rule.assert.span;
        for _ in 0..depth {
            let inner = std::mem::replace(
                &mut rule.assert,
                Expr {
                    kind: Kind::Slot(0),
                    span,
                },
            );
            rule.assert = Expr {
                kind: Kind::Unary(UnOp::Not, Box::new(inner)),
                span,
            };
        }
        let bytes =
            crate::ir::encode(std::slice::from_ref(&rule), BUILTIN_INPUTS).expect("encodes");
        // a tree this deep is let go without recursing
        let mut e = rule.assert;
        while let Kind::Unary(_, inner) = e.kind {
            e = *inner;
        }
        bytes
    };
    let (shallow, deep) = (nested(400), nested(3000));
    let decoded = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let ok = crate::ir::decode(&shallow, BUILTIN_INPUTS, FileId(0)).is_some();
            let refused = crate::ir::decode(&deep, BUILTIN_INPUTS, FileId(0)).is_none();
            (ok, refused)
        })
        .expect("a thread")
        .join()
        .expect("no overflow");
    assert_eq!(decoded, (true, true));
}

/// A rule that reads a host device's VMs reads VMs through their devices:
/// the VMs kept for it keep their devices, though it names none.
#[test]
fn a_host_devices_vms_make_a_cross_vm_rule_that_keeps_the_devices() {
    let text = r#"
rule X001 shared-device {
  severity warning
  summary "a host device is passed through to one VM at most"
  on host
  for p in host.pci
  assert count(p.vms) <= 1
}
"#;
    let rules = compile_text(FileId(0), text, &[]).expect("it compiles");
    let info = &rules[0].info;
    assert!(info.uses_vms);
    assert!(info.vm_fields.contains(&"passthrough"));
}
