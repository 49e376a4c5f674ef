//! Property tests: any bytes into the three parsers give diagnostics, never
//! a panic, and every span they report lies inside its text.

use proptest::prelude::*;
use std::sync::Arc;
use vmlint::lang::{check, parser};
use vmlint::model::{vmx, yaml as yaml_model};
use vmlint::source::{FileId, Span};

fn inside(span: Span, len: usize) -> bool {
    span.start <= span.end && (span.end as usize) <= len
}

/// Lines that look like a .vmx, with the characters that matter nearby.
fn vmx_like() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        "[a-zA-Z0-9.:_*-]{1,20} = \"[^\"\n]{0,20}\"",
        "pciPassthru[0-9]{1,3}\\.(present|id|deviceId|vendorId|allowedDevices) = \"[0-9a-fxTRUE:.]{0,16}\"",
        "[^\n]{0,30}",
        "#[^\n]{0,20}",
        Just(".encoding = \"Shift_JIS\"".to_string()),
    ];
    prop::collection::vec(line, 0..40).prop_map(|l| l.join("\n").into_bytes())
}

fn yaml_like() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "(kind|name|host|hardware_version|memory_mb|passthrough|pci|address|vendor_id): [^\n]{0,12}",
        " {0,6}- [^\n]{0,12}",
        "[ \\[\\]{}:,&*!|>#'\"a-z0-9-]{0,16}",
        Just("kind: vm".to_string()),
        Just("kind: host".to_string()),
        Just("---".to_string()),
    ];
    prop::collection::vec(line, 0..30).prop_map(|l| l.join("\n"))
}

fn rules_like() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("rule A001 x {".to_string()),
        Just("}".to_string()),
        Just("on vm".to_string()),
        Just("assert".to_string()),
        Just("for d in vm.passthrough where".to_string()),
        Just("let x =".to_string()),
        Just("message \"{vm.name} {".to_string()),
        "[a-z_.()\\[\\]\" =<>!+*/%,0-9{}-]{0,12}",
    ];
    prop::collection::vec(token, 0..30).prop_map(|t| t.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn the_vmx_parser_takes_any_bytes(bytes in prop_oneof![vmx_like(), prop::collection::vec(any::<u8>(), 0..600)]) {
        let (text, _) = vmx::decode(&bytes);
        let text: Arc<str> = Arc::from(text);
        let file = vmx::parse(FileId(0), Arc::clone(&text));
        for d in &file.diagnostics {
            prop_assert!(inside(d.span(), text.len()));
        }
        for e in file.entries() {
            prop_assert!(inside(e.key, text.len()) && inside(e.value, text.len()));
        }
        let (vm, diags) = vmx::to_vm(FileId(0), file, "x", None);
        for d in &diags {
            prop_assert!(inside(d.span(), text.len()));
        }
        if let Some(vm) = vm {
            for dev in &vm.passthrough {
                prop_assert!(inside(dev.span, text.len()));
            }
        }
    }

    #[test]
    fn the_yaml_loaders_take_any_text(text in prop_oneof![yaml_like(), "\\PC{0,300}"]) {
        let parsed = vmlint::yaml_tree::parse(FileId(0), &text);
        let mut diags = parsed.diagnostics.clone();
        for doc in &parsed.documents {
            prop_assert!(inside(doc.span, text.len()));
            for default in [None, Some("vm"), Some("host")] {
                let _ = yaml_model::load(FileId(0), doc, default, &mut diags);
            }
        }
        for d in &diags {
            prop_assert!(inside(d.span(), text.len()));
        }
    }

    #[test]
    fn the_rule_parser_and_checker_take_any_text(text in prop_oneof![rules_like(), "\\PC{0,200}"]) {
        let (mut file, diags) = parser::parse_file(FileId(0), &text);
        for d in &diags {
            prop_assert!(inside(d.span(), text.len()));
        }
        for d in check::check_all(&mut file.rules, &file.defs) {
            prop_assert!(inside(d.span(), text.len()));
        }
    }
}
