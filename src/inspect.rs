//! `tablesafe inspect`: offline figures and verdicts for DETS files.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use tablesafe_engine::dets::{self, DetsError, FileStatus, Inspection};

use crate::client_cli::print_table;

/// Messages per file in the human form; `--json` has them all.
const HUMAN_MESSAGES: usize = 5;

/// One file's outcome: its inspection, or why it could not be inspected.
struct Outcome {
    path: PathBuf,
    result: Result<Inspection, DetsError>,
}

impl Outcome {
    fn status(&self) -> FileStatus {
        match &self.result {
            Ok(insp) => insp.status(),
            Err(err) => err.status(),
        }
    }

    fn to_json(&self) -> Value {
        let path = self.path.display().to_string();
        match &self.result {
            Ok(insp) => json!({
                "path": path,
                "status": insp.status().as_str(),
                "type": insp.header.table_type.as_str(),
                "keypos": insp.header.keypos,
                "records": insp.walk.records,
                "keys": insp.walk.keys,
                "header_records": insp.header.no_objects,
                "header_keys": insp.header.no_keys,
                "file_size": insp.file_size,
                "free_bytes": insp.free_bytes,
                "fragmentation_ratio": insp.fragmentation_ratio(),
                "closed_properly": insp.closed_properly,
                "digest": insp.digest().map(|d| json!({"objects": d.objects, "phash2_sum": d.sum})),
                "closed_flag": insp.header.closed_flag,
                "hash_method": insp.header.hash_method.as_str(),
                "slots": {
                    "m": insp.header.m,
                    "n": insp.header.n,
                    "next": insp.header.next,
                    "min": insp.header.min_slots,
                    "max": insp.header.max_slots,
                },
                "parts": insp.walk.parts,
                "segments": insp.walk.segments,
                "collections": insp.walk.collections,
                "live_bytes": insp.walk.live_bytes,
                "problem_count": insp.problems.total(),
                "problems": insp.messages(),
            }),
            Err(err) => json!({
                "path": path,
                "status": err.status().as_str(),
                "type": null,
                "keypos": null,
                "records": null,
                "keys": null,
                "header_records": null,
                "header_keys": null,
                "file_size": std::fs::metadata(&self.path).ok().map(|m| m.len()),
                "free_bytes": null,
                "fragmentation_ratio": null,
                "closed_properly": false,
                "digest": null,
                "problem_count": 1,
                "problems": [err.to_string()],
            }),
        }
    }
}

/// Inspects every file and prints the result; returns whether all were `ok`.
pub fn run(files: &[PathBuf], as_json: bool, out: &mut impl Write) -> std::io::Result<bool> {
    let outcomes: Vec<Outcome> = files
        .iter()
        .map(|path| Outcome {
            path: path.clone(),
            result: dets::inspect(path),
        })
        .collect();
    if as_json {
        for outcome in &outcomes {
            writeln!(out, "{}", outcome.to_json())?;
        }
    } else {
        print_outcomes(&outcomes, out)?;
    }
    Ok(outcomes.iter().all(|o| o.status() == FileStatus::Ok))
}

fn print_outcomes(outcomes: &[Outcome], out: &mut impl Write) -> std::io::Result<()> {
    let header = [
        "FILE", "STATUS", "TYPE", "RECORDS", "KEYS", "SIZE", "FREE", "FRAG",
    ];
    let rows: Vec<Vec<String>> = outcomes
        .iter()
        .map(|o| {
            let name = short_name(&o.path);
            match &o.result {
                Ok(insp) => vec![
                    name,
                    insp.status().to_string(),
                    insp.header.table_type.to_string(),
                    insp.walk.records.to_string(),
                    insp.walk.keys.to_string(),
                    insp.file_size.to_string(),
                    insp.free_bytes.map_or("-".into(), |f| f.to_string()),
                    insp.fragmentation_ratio()
                        .map_or("-".into(), |r| format!("{:.1}%", r * 100.0)),
                ],
                Err(err) => {
                    let mut row = vec![name, err.status().to_string()];
                    row.resize(header.len(), "-".into());
                    row
                }
            }
        })
        .collect();
    print_table(&header, &rows, out);
    for o in outcomes {
        let (messages, total) = match &o.result {
            Ok(insp) => {
                let not_closed = u64::from(!insp.closed_properly);
                (insp.messages(), insp.problems.total() + not_closed)
            }
            Err(err) => (vec![err.to_string()], 1),
        };
        let shown = messages.len().min(HUMAN_MESSAGES);
        for message in &messages[..shown] {
            writeln!(out, "{}: {message}", short_name(&o.path))?;
        }
        if total > shown as u64 {
            let more = total - shown as u64;
            writeln!(
                out,
                "{}: ... {more} more problems (see --json)",
                short_name(&o.path)
            )?;
        }
    }
    Ok(())
}

fn short_name(path: &Path) -> String {
    path.display().to_string()
}
