//! The durable record of every run.
//!
//! An append-only JSON-lines file: one `started` line before a run begins and
//! one `finished` line when it ends, each fsynced. A run with a `started` line
//! and no `finished` line was under way when the process died; opening the
//! ledger records it as interrupted.
//!
//! What it holds stays bounded whatever the history: in memory, the newest
//! [`RETAINED_RUNS`] runs, each but the newest finished one without its
//! per-table results (their counts kept), and each table's last attempt. The
//! file is compacted to the same (the last attempts first, as one `attempts`
//! line) when it has grown past [`COMPACT_LINES`] lines or [`COMPACT_BYTES`]
//! bytes: written to a temporary file, fsynced, renamed over the ledger, the
//! directory fsynced, so a crash at any point leaves the old ledger or the
//! new one, whole.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::health::AttemptFacts;
use crate::model::{RunOutcome, RunRecord, TableCounts};

/// Runs kept in memory and in the file after compaction.
pub const RETAINED_RUNS: usize = 500;
/// Lines past which the file is compacted.
pub const COMPACT_LINES: usize = 4 * RETAINED_RUNS;
/// Bytes past which the file is compacted (when compacting shrinks it).
pub const COMPACT_BYTES: u64 = 16 << 20;

#[derive(Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Line {
    Started(RunRecord),
    Finished(RunRecord),
    /// Each table's last attempt, as of the runs before this line (written
    /// first by compaction, which lets older results go).
    Attempts {
        attempts: BTreeMap<String, AttemptFacts>,
    },
}

/// Each table's last attempt, shared cheaply with readers.
pub type LastAttempts = Arc<HashMap<String, AttemptFacts>>;

/// The ledger file and the most recent runs, oldest first.
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
    file: File,
    runs: VecDeque<RunRecord>,
    attempts: LastAttempts,
    lines: usize,
    bytes: u64,
    /// The file's size after the last compaction: compacting again is worth
    /// it only once the file has grown well past it.
    compacted_bytes: u64,
    /// The last append failed part-way: the next one starts a new line.
    torn: bool,
}

impl Ledger {
    /// Opens (or creates) the ledger in `dir`, marking unfinished runs as
    /// interrupted. Returns the ledger and the runs it found interrupted.
    pub fn open(dir: &Path) -> io::Result<(Self, Vec<RunRecord>)> {
        crate::store::create_private_dir(dir).map_err(crate::store::naming(dir))?;
        let path = dir.join("ledger.jsonl");
        let with_path =
            |e: io::Error| io::Error::new(e.kind(), format!("ledger {}: {e}", path.display()));
        // What a crash during compaction may have left; the ledger is whole.
        let _ = fs::remove_file(compaction_path(&path));
        let text = match fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(with_path(e)),
        };
        let mut history = History::default();
        let mut lines = 0;
        // Lines as bytes: a torn line (a crash or a full disk mid-append, a
        // stray byte) may not even be UTF-8; it is reported and skipped.
        for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            lines += 1;
            match serde_json::from_slice::<Line>(line) {
                Ok(parsed) => history.apply(parsed),
                Err(_) => {
                    tracing::warn!(ledger = %path.display(), line = lines, "skipping a damaged ledger line")
                }
            }
        }
        let bytes = text.len() as u64;
        drop(text);
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
            runs: history.runs,
            attempts: Arc::new(history.attempts),
            lines,
            bytes,
            compacted_bytes: 0,
            torn: false,
        };
        let mut interrupted = Vec::new();
        let unfinished: Vec<RunRecord> = ledger
            .runs
            .iter()
            .filter(|r| r.outcome == RunOutcome::Running)
            .cloned()
            .collect();
        for mut run in unfinished {
            run.outcome = RunOutcome::Interrupted;
            run.finished_at = Some(Utc::now());
            ledger.record_finished(&run)?;
            interrupted.push(run);
        }
        ledger.compact_if_grown()?;
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

    /// Records how `run` ended: it becomes the run that keeps its results,
    /// and its tables' last attempts.
    pub fn record_finished(&mut self, run: &RunRecord) -> io::Result<()> {
        let mut run = run.clone();
        if run.counts == TableCounts::default() {
            run.counts = TableCounts::of(&run.results);
        }
        let line = Line::Finished(run);
        self.append(&line)?;
        let Line::Finished(run) = line else {
            unreachable!("built above")
        };
        let mut history = History {
            runs: std::mem::take(&mut self.runs),
            attempts: std::mem::take(Arc::make_mut(&mut self.attempts)),
        };
        history.finished(run);
        self.runs = history.runs;
        self.attempts = Arc::new(history.attempts);
        self.compact_if_grown()
    }

    /// The newest `limit` runs, newest first.
    pub fn recent(&self, limit: usize) -> Vec<RunRecord> {
        self.runs.iter().rev().take(limit).cloned().collect()
    }

    /// The newest finished backup run (restores are not runs of the schedule).
    pub fn last_finished(&self) -> Option<&RunRecord> {
        self.runs
            .iter()
            .rev()
            .find(|r| r.outcome != RunOutcome::Running && r.trigger.is_backup())
    }

    /// Each table's last attempt.
    pub fn last_attempts(&self) -> LastAttempts {
        self.attempts.clone()
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
        if let Ok(n) = &written {
            self.bytes += *n as u64;
        }
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

    /// Compacts the file when it has grown past its bounds, and compacting
    /// shrinks it (one run of many tables may be larger than the bound).
    fn compact_if_grown(&mut self) -> io::Result<()> {
        let grown = self.lines > COMPACT_LINES
            || (self.bytes > COMPACT_BYTES && self.bytes > 2 * self.compacted_bytes);
        if grown {
            self.compact()?;
        }
        Ok(())
    }

    /// Rewrites the file as what memory holds: the last attempts, then the
    /// retained runs. Atomic: a temporary file, fsynced, renamed over the
    /// ledger, the directory fsynced.
    fn compact(&mut self) -> io::Result<()> {
        let tmp = compaction_path(&self.path);
        let mut out = io::BufWriter::new(crate::store::create_with_mode(&tmp, 0o600)?);
        let attempts = Line::Attempts {
            attempts: self
                .attempts
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        let mut lines = 0;
        let mut bytes = 0u64;
        let mut write = |out: &mut io::BufWriter<File>, line: &Line| -> io::Result<()> {
            let mut text = serde_json::to_vec(line)?;
            text.push(b'\n');
            out.write_all(&text)?;
            lines += 1;
            bytes += text.len() as u64;
            Ok(())
        };
        write(&mut out, &attempts)?;
        for run in &self.runs {
            let line = if run.outcome == RunOutcome::Running {
                Line::Started(run.clone())
            } else {
                Line::Finished(run.clone())
            };
            write(&mut out, &line)?;
        }
        let out = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        out.sync_all()?;
        drop(out);
        crate::crash_point("ledger-compaction-written");
        fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            File::open(dir)?.sync_all()?;
        }
        self.file = OpenOptions::new()
            .append(true)
            .read(true)
            .open(&self.path)?;
        self.lines = lines;
        self.bytes = bytes;
        self.compacted_bytes = bytes;
        Ok(())
    }
}

/// Where compaction writes before it renames.
fn compaction_path(ledger: &Path) -> PathBuf {
    ledger.with_extension("jsonl.tmp")
}

/// Runs and last attempts as the ledger's lines build them up.
#[derive(Default)]
struct History {
    runs: VecDeque<RunRecord>,
    attempts: HashMap<String, AttemptFacts>,
}

impl History {
    fn apply(&mut self, line: Line) {
        match line {
            Line::Attempts { attempts } => self.attempts.extend(attempts),
            Line::Started(run) => self.started(run),
            Line::Finished(mut run) => {
                if run.counts == TableCounts::default() {
                    run.counts = TableCounts::of(&run.results);
                }
                self.finished(run);
            }
        }
    }

    fn started(&mut self, run: RunRecord) {
        match self.runs.iter_mut().rev().find(|r| r.run_id == run.run_id) {
            Some(existing) => *existing = run,
            None => self.runs.push_back(run),
        }
        if self.runs.len() > RETAINED_RUNS {
            self.runs.pop_front();
        }
    }

    /// `run` ended: its results become its tables' last attempts, and it
    /// the one run that keeps them (the one before it keeps its counts).
    fn finished(&mut self, run: RunRecord) {
        // A restore or a drill is no attempt to back a table up.
        let results = if run.trigger.is_backup() {
            &run.results[..]
        } else {
            &[][..]
        };
        for result in results {
            self.attempts.insert(
                result.table.clone(),
                AttemptFacts {
                    outcome: result.kind(),
                    at: run.started_at,
                    error: result.outcome.error(),
                },
            );
        }
        for older in self.runs.iter_mut() {
            // Each kind keeps the results of its newest run.
            let backup = older.trigger.is_backup() == run.trigger.is_backup();
            if backup && older.outcome != RunOutcome::Running && !older.results.is_empty() {
                *older = older.summary();
            }
        }
        self.started(run);
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
            counts: TableCounts::default(),
            results_omitted: false,
        }
    }

    /// A finished run of `tables` tables named `t0`...: all backed up but
    /// `t0`, which failed.
    fn finished(id: &str, tables: usize) -> RunRecord {
        use crate::model::{ErrorCode, TableError, TableResult};
        let mut run = run(id);
        run.outcome = RunOutcome::Partial;
        run.finished_at = Some(Utc::now());
        run.tables = (0..tables).map(|i| format!("t{i}")).collect();
        run.results = run
            .tables
            .iter()
            .map(|t| {
                TableResult::failed(
                    t,
                    TableError::new(ErrorCode::BackupDiskFull, format!("no room for {t}")),
                    std::time::Duration::ZERO,
                )
            })
            .collect();
        run
    }

    fn ledger_lines(dir: &Path) -> usize {
        fs::read_to_string(dir.join("ledger.jsonl"))
            .unwrap()
            .lines()
            .count()
    }

    #[test]
    fn history_stays_bounded_in_memory_and_on_disk_and_last_attempts_survive() {
        let dir = tempfile::tempdir().unwrap();
        let (mut ledger, _) = Ledger::open(dir.path()).unwrap();
        // One run of 300 tables, then many of 2: t2..t299 were last tried in
        // the first run only.
        ledger.record_started(&run("wide")).unwrap();
        ledger.record_finished(&finished("wide", 300)).unwrap();
        for i in 0..(COMPACT_LINES + 100) {
            let id = format!("r{i}");
            ledger.record_started(&run(&id)).unwrap();
            ledger.record_finished(&finished(&id, 2)).unwrap();
            assert!(ledger_lines(dir.path()) <= COMPACT_LINES + 1);
        }
        let recent = ledger.recent(usize::MAX);
        assert_eq!(recent.len(), RETAINED_RUNS);
        // Only the newest finished run keeps its results; the rest, counts.
        assert_eq!(recent[0].results.len(), 2);
        assert!(recent[1..]
            .iter()
            .all(|r| r.results.is_empty() && r.results_omitted));
        assert_eq!(recent[1].counts.failed, 2);
        let attempts = ledger.last_attempts();
        assert_eq!(attempts.len(), 300, "every table's last attempt is kept");
        assert_eq!(
            attempts["t299"].error.as_ref().unwrap().message,
            "no room for t299"
        );
        drop(ledger);
        // And all of it reads back after a restart.
        let (ledger, _) = Ledger::open(dir.path()).unwrap();
        assert_eq!(ledger.recent(usize::MAX).len(), RETAINED_RUNS);
        assert_eq!(ledger.last_attempts().len(), 300);
        assert_eq!(ledger.recent(1)[0].results.len(), 2);
    }

    /// The child of the test below: records runs until compaction, where the
    /// crash point aborts the process.
    #[test]
    fn compaction_crash_child() {
        let Some(dir) = std::env::var_os("TABLESAFE_LEDGER_CHILD") else {
            return;
        };
        let (mut ledger, _) = Ledger::open(Path::new(&dir)).unwrap();
        for i in 0..COMPACT_LINES {
            let id = format!("c{i}");
            ledger.record_started(&run(&id)).unwrap();
            ledger.record_finished(&finished(&id, 1)).unwrap();
        }
        unreachable!("compaction should have crashed the process");
    }

    #[test]
    fn a_crash_during_compaction_leaves_the_whole_old_ledger() {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "ledger::tests::compaction_crash_child",
                "--nocapture",
            ])
            .env("TABLESAFE_LEDGER_CHILD", dir.path())
            .env("TABLESAFE_CRASH_AT", "ledger-compaction-written")
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(!status.success(), "the child crashed in compaction");
        let tmp = dir.path().join("ledger.jsonl.tmp");
        assert!(
            tmp.exists(),
            "it crashed with the new file written, not renamed"
        );
        let lines = ledger_lines(dir.path());
        assert!(
            lines > COMPACT_LINES,
            "the old ledger is all there: {lines} lines"
        );
        let (ledger, interrupted) = Ledger::open(dir.path()).unwrap();
        assert!(!tmp.exists(), "the leftover is removed on open");
        assert!(interrupted.is_empty(), "every run had finished");
        // The run whose end made the file grow past its bound is in it.
        assert_eq!(
            ledger.recent(1)[0].run_id,
            format!("c{}", COMPACT_LINES / 2)
        );
        assert!(
            ledger_lines(dir.path()) <= RETAINED_RUNS + 1,
            "opening compacted it, this time to the end"
        );
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
