//! The offline table commands: `tablesafe rebuild` and `tablesafe salvage`.
//! They read one file and write a new one beside it; the server is not involved.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use serde_json::json;
use tablesafe_engine::dets::{self, Rebuilt};

/// `tablesafe rebuild IN OUT`: exit code 0 when OUT was written and proved.
pub fn rebuild(input: &Path, output: &Path, as_json: bool, out: &mut impl Write) -> ExitCode {
    let result = dets::rebuild(input, output);
    let printed = match &result {
        Ok(rebuilt) if as_json => writeln!(out, "{}", rebuilt_json(input, output, rebuilt)),
        Ok(rebuilt) => print_rebuilt(input, output, rebuilt, out),
        Err(err) if as_json => writeln!(
            out,
            "{}",
            json!({"input": input, "output": output, "ok": false, "error": err.to_string()})
        ),
        Err(err) => writeln!(out, "rebuild of {} failed: {err}", input.display()),
    };
    match (result, printed) {
        (Ok(_), Ok(())) => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    }
}

fn rebuilt_json(input: &Path, output: &Path, r: &Rebuilt) -> serde_json::Value {
    json!({
        "input": input,
        "output": output,
        "ok": true,
        "objects": r.written.objects,
        "keys": r.written.keys,
        "digest": r.digest.to_string(),
        "source_size": r.source_size,
        "source_free_bytes": r.source_free_bytes,
        "file_size": r.written.file_size,
        "reclaimed_bytes": r.reclaimed(),
    })
}

fn print_rebuilt(
    input: &Path,
    output: &Path,
    r: &Rebuilt,
    out: &mut impl Write,
) -> std::io::Result<()> {
    writeln!(
        out,
        "rebuilt {} -> {}: {} objects, {} keys, {} bytes (was {}, {} reclaimed)",
        input.display(),
        output.display(),
        r.written.objects,
        r.written.keys,
        r.written.file_size,
        r.source_size,
        r.reclaimed()
    )?;
    writeln!(
        out,
        "verified: read back closed and sound, digest {} equals the source's",
        r.digest
    )
}
