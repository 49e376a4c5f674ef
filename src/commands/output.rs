//! Where `check` writes: `--format` to stdout or `--output-file`, or one
//! or more `--output FORMAT[=FILE]`, so that CI runs vmlint once for SARIF,
//! annotations and a log. Files are written whole, beside and renamed.

use super::{ExitStatus, emit};
use crate::cli::CheckArgs;
use crate::render::Format;
use clap::ValueEnum;
use std::io::Write;
use std::path::PathBuf;

pub struct Output {
    pub format: Format,
    /// `None`: stdout.
    pub file: Option<PathBuf>,
}

/// The outputs the flags ask for, or a usage error.
pub fn parse(args: &CheckArgs) -> Result<Vec<Output>, ExitStatus> {
    if args.output.is_empty() {
        return Ok(vec![Output {
            format: args.format,
            file: args.output_file.clone(),
        }]);
    }
    if args.output_file.is_some() {
        eprintln!(
            "vmlint: --output-file goes with --format; with --output, write `--output FORMAT=FILE`"
        );
        return Err(ExitStatus::Error);
    }
    let mut outs = Vec::new();
    for spec in &args.output {
        let (name, file) = match spec.split_once('=') {
            Some((n, f)) if !f.is_empty() => (n, Some(PathBuf::from(f))),
            Some(_) => {
                eprintln!("vmlint: `--output {spec}` names no file after `=`");
                return Err(ExitStatus::Error);
            }
            None => (spec.as_str(), None),
        };
        let Ok(format) = Format::from_str(name, true) else {
            let names: Vec<String> = Format::value_variants()
                .iter()
                .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_string()))
                .collect();
            eprintln!(
                "vmlint: `{name}` is not an output format; the formats are {}",
                names.join(", ")
            );
            return Err(ExitStatus::Error);
        };
        outs.push(Output { format, file });
    }
    if outs.iter().filter(|o| o.file.is_none()).count() > 1 {
        eprintln!(
            "vmlint: only one --output can go to stdout; give the others a file (`FORMAT=FILE`)"
        );
        return Err(ExitStatus::Error);
    }
    Ok(outs)
}

/// Writes one output: stdout, or a file replaced whole.
pub fn write(out: &Output, text: &str) -> Result<(), ExitStatus> {
    let Some(_) = &out.file else {
        emit(text);
        return Ok(());
    };
    write_with(out, |w| w.write_all(text.as_bytes()))
}

/// Writes what `f` writes, as it writes it: to stdout (a closed pipe is
/// not an error), or to a file beside the output, renamed when whole.
pub fn write_with(
    out: &Output,
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), ExitStatus> {
    let Some(path) = &out.file else {
        let stdout = std::io::stdout().lock();
        let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout);
        let _ = f(&mut w).and_then(|()| w.flush());
        return Ok(());
    };
    let tmp = path.with_extension("vmlint-tmp");
    std::fs::File::create(&tmp)
        .and_then(|file| {
            let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
            f(&mut w)?;
            w.flush()
        })
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            eprintln!("vmlint: cannot write {}: {e}", path.display());
            ExitStatus::Error
        })
}
