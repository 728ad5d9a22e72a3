//! The offline table commands: `tablesafe rebuild` and `tablesafe salvage`.
//! They read one file and write a new one beside it; the server is not involved.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use serde_json::json;
use tablesafe_engine::dets::{self, Rebuilt, Salvaged};

/// `tablesafe rebuild IN OUT`: exit code 0 when OUT was written and proved.
pub fn rebuild(input: &Path, output: &Path, as_json: bool, out: &mut impl Write) -> ExitCode {
    let done = Done {
        verb: "rebuild",
        input,
        output,
        as_json,
    };
    done.report(
        dets::rebuild(input, output),
        |r| rebuilt_json(input, output, r),
        |r, out| print_rebuilt(input, output, r, out),
        |_| ExitCode::SUCCESS,
        out,
    )
}

/// One finished offline command: prints its result and gives its exit code
/// (1 when it failed or its report could not be printed).
struct Done<'a> {
    verb: &'a str,
    input: &'a Path,
    output: &'a Path,
    as_json: bool,
}

impl Done<'_> {
    fn report<T, E: std::fmt::Display, W: Write>(
        &self,
        result: Result<T, E>,
        to_json: impl Fn(&T) -> serde_json::Value,
        print: impl Fn(&T, &mut W) -> std::io::Result<()>,
        code: impl Fn(&T) -> ExitCode,
        out: &mut W,
    ) -> ExitCode {
        let (input, output) = (self.input, self.output);
        let printed = match &result {
            Ok(done) if self.as_json => writeln!(out, "{}", to_json(done)),
            Ok(done) => print(done, out),
            Err(err) if self.as_json => writeln!(
                out,
                "{}",
                json!({"input": input, "output": output, "ok": false, "error": err.to_string()})
            ),
            Err(err) => writeln!(out, "{} of {} failed: {err}", self.verb, input.display()),
        };
        match (result, printed) {
            (Ok(done), Ok(())) => code(&done),
            _ => ExitCode::from(1),
        }
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

/// `tablesafe salvage IN OUT`: exit code 0 when OUT was written and nothing
/// was lost, 2 when OUT was written but parts of IN could not be recovered,
/// 1 when no file was written.
pub fn salvage(input: &Path, output: &Path, as_json: bool, out: &mut impl Write) -> ExitCode {
    let done = Done {
        verb: "salvage",
        input,
        output,
        as_json,
    };
    done.report(
        dets::salvage(input, output),
        |s| salvaged_json(input, output, s),
        |s, out| print_salvaged(input, output, s, out),
        |s| {
            if s.lost_places == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            }
        },
        out,
    )
}

fn salvaged_json(input: &Path, output: &Path, s: &Salvaged) -> serde_json::Value {
    json!({
        "input": input,
        "output": output,
        "ok": true,
        "source_status": s.source_status.to_string(),
        "source_size": s.source_size,
        "header_problem": s.header_problem,
        "objects": s.built.written.objects,
        "keys": s.built.written.keys,
        "digest": s.built.digest.to_string(),
        "file_size": s.built.written.file_size,
        "from_slot_table": s.from_slot_table,
        "from_scan": s.from_scan,
        "superseded": s.built.superseded,
        "lost_places": s.lost_places,
        "lost_bytes": s.lost_bytes,
        "lost": s.lost.iter().map(|l| json!({
            "offset": l.offset, "bytes": l.bytes, "reason": l.reason,
        })).collect::<Vec<_>>(),
    })
}

fn print_salvaged(
    input: &Path,
    output: &Path,
    s: &Salvaged,
    out: &mut impl Write,
) -> std::io::Result<()> {
    writeln!(
        out,
        "salvaged {} ({}) -> {}: {} objects, {} keys, {} bytes",
        input.display(),
        s.source_status,
        output.display(),
        s.built.written.objects,
        s.built.written.keys,
        s.built.written.file_size,
    )?;
    if let Some(problem) = &s.header_problem {
        writeln!(out, "header: {problem}")?;
    }
    writeln!(
        out,
        "found {} objects through the slot table and {} more by scanning; {} older versions or repeats not kept",
        s.from_slot_table, s.from_scan, s.built.superseded
    )?;
    writeln!(
        out,
        "verified: read back closed and sound, digest {}",
        s.built.digest
    )?;
    if s.lost_places == 0 {
        writeln!(
            out,
            "nothing lost: every collection the scan found was recovered whole"
        )?;
    } else {
        writeln!(
            out,
            "NOT recovered: {} places, {} bytes in all:",
            s.lost_places, s.lost_bytes
        )?;
        for l in &s.lost {
            writeln!(
                out,
                "  offset {}: {} bytes: {}",
                l.offset, l.bytes, l.reason
            )?;
        }
        let unlisted = s.lost_places - s.lost.len() as u64;
        if unlisted > 0 {
            writeln!(out, "  ... and {unlisted} more places")?;
        }
    }
    writeln!(
        out,
        "note: DETS keeps no checksum per object; a changed byte inside a value that still decodes cannot be detected"
    )
}
