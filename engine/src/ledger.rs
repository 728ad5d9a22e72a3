//! The durable record of every run.
//!
//! An append-only JSON-lines file: one `started` line before a run begins and
//! one `finished` line when it ends, each fsynced. A run with a `started` line
//! and no `finished` line was under way when the process died; opening the
//! ledger records it as interrupted.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::model::{RunOutcome, RunRecord};

/// Runs kept in memory and in the file after compaction.
pub const RETAINED_RUNS: usize = 500;

#[derive(Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Line {
    Started(RunRecord),
    Finished(RunRecord),
}

/// The ledger file and the most recent runs, oldest first.
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
    file: File,
    runs: VecDeque<RunRecord>,
    lines: usize,
    /// The last append failed part-way: the next one starts a new line.
    torn: bool,
}

impl Ledger {
    /// Opens (or creates) the ledger in `dir`, marking unfinished runs as
    /// interrupted. Returns the ledger and the runs it found interrupted.
    pub fn open(dir: &Path) -> io::Result<(Self, Vec<RunRecord>)> {
        crate::store::create_private_dir(dir).map_err(crate::store::naming(dir))?;
        let path = dir.join("ledger.jsonl");
        let mut runs: VecDeque<RunRecord> = VecDeque::new();
        let mut lines = 0;
        let with_path =
            |e: io::Error| io::Error::new(e.kind(), format!("ledger {}: {e}", path.display()));
        let text = match fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(with_path(e)),
        };
        // Lines as bytes: a torn line (a crash or a full disk mid-append, a
        // stray byte) may not even be UTF-8; it is reported and skipped.
        for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            lines += 1;
            let Ok(parsed) = serde_json::from_slice::<Line>(line) else {
                tracing::warn!(ledger = %path.display(), line = lines, "skipping a damaged ledger line");
                continue;
            };
            let (Line::Started(run) | Line::Finished(run)) = parsed;
            match runs.iter_mut().rev().find(|r| r.run_id == run.run_id) {
                Some(existing) => *existing = run,
                None => runs.push_back(run),
            }
            if runs.len() > RETAINED_RUNS {
                runs.pop_front();
            }
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .mode(0o600)
            .open(&path)
            .map_err(with_path)?;
        end_with_newline(&mut file).map_err(with_path)?;
        let mut ledger = Self {
            path,
            file,
            runs,
            lines,
            torn: false,
        };
        let mut interrupted = Vec::new();
        for i in 0..ledger.runs.len() {
            if ledger.runs[i].outcome == RunOutcome::Running {
                let mut run = ledger.runs[i].clone();
                run.outcome = RunOutcome::Interrupted;
                run.finished_at = Some(Utc::now());
                ledger.record_finished(&run)?;
                interrupted.push(run);
            }
        }
        if ledger.lines > 4 * RETAINED_RUNS {
            ledger.compact()?;
        }
        Ok((ledger, interrupted))
    }

    /// Records that `run` is starting.
    pub fn record_started(&mut self, run: &RunRecord) -> io::Result<()> {
        self.append(&Line::Started(run.clone()))?;
        self.runs.push_back(run.clone());
        if self.runs.len() > RETAINED_RUNS {
            self.runs.pop_front();
        }
        Ok(())
    }

    /// Records how `run` ended.
    pub fn record_finished(&mut self, run: &RunRecord) -> io::Result<()> {
        self.append(&Line::Finished(run.clone()))?;
        match self.runs.iter_mut().rev().find(|r| r.run_id == run.run_id) {
            Some(existing) => *existing = run.clone(),
            None => self.runs.push_back(run.clone()),
        }
        Ok(())
    }

    /// The newest `limit` runs, newest first.
    pub fn recent(&self, limit: usize) -> Vec<RunRecord> {
        self.runs.iter().rev().take(limit).cloned().collect()
    }

    /// The newest finished run.
    pub fn last_finished(&self) -> Option<&RunRecord> {
        self.runs
            .iter()
            .rev()
            .find(|r| r.outcome != RunOutcome::Running)
    }

    /// Appends one record as one `write` of a whole line, then syncs. A
    /// failed or short write is an error naming the file; the next record
    /// then starts on a line of its own, so at most the torn one is lost.
    fn append(&mut self, line: &Line) -> io::Result<()> {
        let mut bytes = Vec::with_capacity(256);
        if self.torn {
            bytes.push(b'\n');
        }
        serde_json::to_writer(&mut bytes, line)?;
        bytes.push(b'\n');
        let written = self.file.write(&bytes);
        let result = match written {
            Ok(n) if n == bytes.len() => self.file.sync_data(),
            Ok(n) => Err(io::Error::new(
                io::ErrorKind::WriteZero,
                format!("wrote {n} of {} bytes", bytes.len()),
            )),
            Err(e) => Err(e),
        };
        self.torn = result.is_err();
        result.map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot append to the ledger {}: {e}", self.path.display()),
            )
        })?;
        self.lines += 1;
        Ok(())
    }

    /// Writes the ledger anew from the runs in memory when its file is no
    /// longer where it was opened (the backup directory was removed or
    /// replaced), so that appends never go to a deleted file. Returns whether
    /// it had to.
    pub fn restore_if_gone(&mut self) -> io::Result<bool> {
        if crate::store::same_file(&self.file, &self.path) {
            return Ok(false);
        }
        let path = self.path.clone();
        let with_path = |e: io::Error| {
            io::Error::new(
                e.kind(),
                format!("cannot recreate the ledger {}: {e}", path.display()),
            )
        };
        if let Some(dir) = self.path.parent() {
            crate::store::create_private_dir(dir).map_err(with_path)?;
        }
        self.compact().map_err(with_path)?;
        self.torn = false;
        Ok(true)
    }

    /// The ledger file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The number of runs it holds.
    pub fn len(&self) -> usize {
        self.runs.len()
    }

    /// Whether it holds no run.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// Rewrites the file with only the retained runs.
    fn compact(&mut self) -> io::Result<()> {
        let tmp = self.path.with_extension("jsonl.tmp");
        let mut out = crate::store::create_with_mode(&tmp, 0o600)?;
        for run in &self.runs {
            let mut bytes = serde_json::to_vec(&Line::Finished(run.clone()))?;
            bytes.push(b'\n');
            out.write_all(&bytes)?;
        }
        out.sync_all()?;
        fs::rename(&tmp, &self.path)?;
        self.file = OpenOptions::new().append(true).open(&self.path)?;
        self.lines = self.runs.len();
        Ok(())
    }
}

/// Ends a torn last line so that the next record starts on a line of its own.
fn end_with_newline(file: &mut File) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    let len = file.metadata()?.len();
    let mut last = [0u8; 1];
    if len > 0 && file.read_at(&mut last, len - 1)? == 1 && last[0] != b'\n' {
        file.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Trigger;

    fn run(id: &str) -> RunRecord {
        RunRecord {
            run_id: id.into(),
            trigger: Trigger::Manual,
            reason: String::new(),
            started_at: Utc::now(),
            finished_at: None,
            outcome: RunOutcome::Running,
            tables: vec!["t".into()],
            results: Vec::new(),
            joined: Vec::new(),
            errors: Vec::new(),
        }
    }

    #[test]
    fn an_unfinished_run_is_interrupted_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (mut ledger, interrupted) = Ledger::open(dir.path()).unwrap();
            assert!(interrupted.is_empty());
            let mut done = run("a");
            ledger.record_started(&done).unwrap();
            done.outcome = RunOutcome::Succeeded;
            ledger.record_finished(&done).unwrap();
            ledger.record_started(&run("b")).unwrap();
        }
        // A torn line from a crash mid-append is skipped.
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join("ledger.jsonl"))
            .unwrap();
        f.write_all(b"{\"event\":\"star\xff\n\xff\xfe").unwrap();
        let (mut ledger, interrupted) = Ledger::open(dir.path()).unwrap();
        assert_eq!(interrupted.len(), 1);
        assert_eq!(interrupted[0].run_id, "b");
        let outcomes: Vec<_> = ledger
            .recent(10)
            .iter()
            .map(|r| (r.run_id.clone(), r.outcome))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("b".to_string(), RunOutcome::Interrupted),
                ("a".to_string(), RunOutcome::Succeeded)
            ]
        );
        let mut next = run("c");
        ledger.record_started(&next).unwrap();
        next.outcome = RunOutcome::Failed;
        ledger.record_finished(&next).unwrap();
        drop(ledger);
        let (ledger, again) = Ledger::open(dir.path()).unwrap();
        assert!(again.is_empty(), "interruption is recorded once");
        assert_eq!(
            ledger.recent(1)[0].outcome,
            RunOutcome::Failed,
            "records after a torn line survive"
        );
    }
}
