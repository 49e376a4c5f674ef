//! Any bytes as a .vmx file: decoding, parsing and the VM model never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use vmlint::model::vmx;
use vmlint::source::FileId;

fuzz_target!(|data: &[u8]| {
    let (text, _) = vmx::decode(data);
    let text: Arc<str> = Arc::from(text);
    let file = vmx::parse(FileId(0), Arc::clone(&text));
    for e in file.entries() {
        assert!(e.value.end as usize <= text.len());
    }
    let _ = vmx::vmsd_snapshots(&file);
    let _ = vmx::to_vm(FileId(0), file, "fuzz", None);
});
