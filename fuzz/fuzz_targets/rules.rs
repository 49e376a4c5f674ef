//! Any text as a rule file: the parser and the checker never panic, and
//! every diagnostic stays inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vmlint::lang::{check, parser};
use vmlint::source::FileId;

fuzz_target!(|text: &str| {
    let (mut file, diags) = parser::parse_file(FileId(0), text);
    for d in diags.iter().chain(check::check_all(&mut file.rules, &file.defs, &[]).iter()) {
        assert!(d.span().end as usize <= text.len());
    }
});
