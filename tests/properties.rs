//! Property tests: any bytes into the parsers (.vmx, YAML, rules, HCL, OVF) give diagnostics, never
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
        for d in check::check_all(&mut file.rules, &file.defs, &[]) {
            prop_assert!(inside(d.span(), text.len()));
        }
    }
}

/// Lines that look like Terraform and Packer, with the characters of HCL.
fn hcl_like() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("resource \"vsphere_virtual_machine\" \"vm\" {".to_string()),
        Just("source \"vsphere-iso\" \"x\" {".to_string()),
        Just("data \"vsphere_host_pci_device\" \"gpu\" {".to_string()),
        Just("}".to_string()),
        "  (memory|name|pci_device_id|host_system_id|RAM|extra_config|firmware) = [^\n]{0,24}",
        "  [a-z_]{1,8} = (var|local|data)\\.[a-z_.\\[\\]0-9*]{0,16}",
        "[\"${}%<>#/*a-z0-9 =\\[\\],.-]{0,24}",
        Just(
            "  pci_device_id = [for d in data.vsphere_host_pci_device.gpu.pci_devices : d.id]"
                .to_string()
        ),
        Just("locals {\n  a = local.b\n  b = \"${local.a}\"\n}".to_string()),
    ];
    prop::collection::vec(line, 0..30).prop_map(|l| l.join("\n"))
}

fn xml_like() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        Just("<VirtualSystem ovf:id=\"x\">".to_string()),
        Just("</VirtualSystem>".to_string()),
        Just("<Item><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>".to_string()),
        Just("<vmw:Config vmw:key=\"backing.id\" vmw:value=\"0000:3b:00.0\"/>".to_string()),
        Just("<rasd:ResourceSubType>vmware.pci.passthrough</rasd:ResourceSubType>".to_string()),
        "[<>/=\"a-z0-9:. !-]{0,20}",
    ];
    prop::collection::vec(part, 0..30)
        .prop_map(|p| format!("<?xml version=\"1.0\"?>\n<Envelope xmlns:ovf=\"o\" xmlns:rasd=\"r\" xmlns:vmw=\"v\">{}</Envelope>", p.join("\n")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_hcl_reads_without_panic_and_spans_stay_inside(text in hcl_like()) {
        let shared: Arc<str> = Arc::from(text.as_str());
        let r = vmlint::model::terraform::read(FileId(0), &shared, &[], &[]);
        for d in &r.diags {
            prop_assert!(inside(d.primary.span, text.len()), "{:?}", d);
        }
        let p = vmlint::model::packer::read_hcl(FileId(0), &shared, &[], &[]);
        for d in &p.diags {
            prop_assert!(inside(d.primary.span, text.len()), "{:?}", d);
        }
        for c in vmlint::model::hcl::comments(FileId(0), &text) {
            prop_assert!(inside(c.span, text.len()));
        }
    }

    #[test]
    fn any_ovf_reads_without_panic_and_spans_stay_inside(text in xml_like()) {
        let shared: Arc<str> = Arc::from(text.as_str());
        let r = vmlint::model::ovf::read(FileId(0), &shared);
        for d in &r.diags {
            prop_assert!(inside(d.primary.span, text.len()), "{:?}", d);
        }
        for vm in &r.vms {
            prop_assert!(inside(vm.span, text.len()));
        }
    }
}
