//! Any text as a YAML descriptor: the spanned parser and the VM and host
//! loaders never panic, and every diagnostic stays inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vmlint::model::yaml::load;
use vmlint::source::FileId;

fuzz_target!(|text: &str| {
    let parsed = vmlint::yaml_tree::parse(FileId(0), text);
    let mut diags = parsed.diagnostics.clone();
    for doc in &parsed.documents {
        for kind in [None, Some("vm"), Some("host")] {
            let _ = load(FileId(0), doc, kind, &mut diags);
        }
    }
    for d in &diags {
        assert!(d.span().end as usize <= text.len());
    }
});
