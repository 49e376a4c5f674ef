//! `vmlint schema`: the model fields and built-in functions as Markdown
//! tables, printed from the tables the checker and evaluator use.
//! docs/rule-language.md includes this output (a test keeps them equal).

use super::{ExitStatus, emit};
use crate::schema::fields::FIELDS;
use crate::schema::functions::FUNCTIONS;
use crate::schema::types::{RecordType, Ty};
use std::fmt::Write;

pub fn markdown() -> String {
    let mut out =
        String::from("| field | type | .vmx key / YAML key | meaning |\n|---|---|---|---|\n");
    for f in FIELDS.iter() {
        let owner = match f.on.name() {
            "passthrough device" => "dev",
            "host PCI device" => "host.pci[]",
            "mmio64" => "vm.mmio64",
            "migration" => "vm.migration",
            "hot_add" => "vm.hot_add",
            "coredump" => "host.coredump",
            other => other,
        };
        let quoted = |keys: &[&str]| -> String {
            keys.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let vmx = match f.vmx {
            [] => "-".to_string(),
            ["*"] => "every key".to_string(),
            keys => quoted(keys),
        };
        let yaml = if f.yaml.is_empty() {
            "-".to_string()
        } else {
            quoted(&[f.yaml])
        };
        // hosts have no .vmx: their column names the YAML key only
        let source = if matches!(
            f.on,
            RecordType::Host | RecordType::HostPci | RecordType::Coredump
        ) {
            yaml
        } else {
            format!("{vmx} / {yaml}")
        };
        let _ = writeln!(
            out,
            "| `{owner}.{}` | {} | {source} | {} |",
            f.name, f.ty, f.doc
        );
    }
    out.push_str("\n| function | arguments | result | meaning |\n|---|---|---|---|\n");
    for f in FUNCTIONS {
        let args: Vec<String> = f.params.iter().map(Ty::to_string).collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            f.name,
            args.join(", "),
            f.ret,
            f.doc.replace('|', "\\|")
        );
    }
    out
}

pub fn run() -> ExitStatus {
    emit(&markdown());
    ExitStatus::Clean
}
