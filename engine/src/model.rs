//! The domain vocabulary shared by the pipeline, the ledger and the server.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The daily (or configured) schedule.
    Scheduled,
    /// An operator or program asked for it.
    Manual,
    /// Start-up found that a scheduled run was missed.
    CatchUp,
    /// Not a backup: a restore of one table (in the ledger beside the runs).
    Restore,
    /// Not a backup: a restore drill (in the ledger beside the runs).
    Drill,
    /// Not a backup: a compaction of one table (in the ledger beside the runs).
    Compact,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// Every table backed up.
    Succeeded,
    /// Some tables backed up, some not.
    Partial,
    /// No table backed up.
    Failed,
    /// The process stopped while the run was under way.
    Interrupted,
    /// Still under way.
    Running,
}

impl Trigger {
    /// The trigger as logs and metric labels spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Manual => "manual",
            Self::CatchUp => "catch_up",
            Self::Restore => "restore",
            Self::Drill => "drill",
            Self::Compact => "compact",
        }
    }

    /// Whether the run backs tables up (restores, drills and compactions
    /// do not: they are no backup attempts and no runs of the schedule).
    pub fn is_backup(self) -> bool {
        !matches!(self, Self::Restore | Self::Drill | Self::Compact)
    }
}

impl RunOutcome {
    /// The outcome as logs and metric labels spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Partial => "partial",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
            Self::Running => "running",
        }
    }

    /// The outcome of a finished run with these per-table outcomes.
    pub fn of(tables: &[TableResult]) -> Self {
        let succeeded = tables
            .iter()
            .filter(|t| t.kind() == TableOutcome::Succeeded)
            .count();
        match succeeded {
            n if n == tables.len() && n > 0 => Self::Succeeded,
            0 => Self::Failed,
            _ => Self::Partial,
        }
    }
}

/// Whether a backup holds every write the application had made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consistency {
    /// Closed properly and unchanged during the copy: Erlang opens it as it is.
    Clean,
    /// Copied while open with unsaved state: Erlang repairs it on open.
    Dirty,
}

impl Consistency {
    /// The consistency as logs and metric labels spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clean => "clean",
            Self::Dirty => "dirty",
        }
    }
}

/// How one table's backup ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableOutcome {
    /// A verified backup was committed.
    Succeeded,
    /// No backup was made; older backups are untouched.
    Failed,
    /// Not attempted: the run was stopped first.
    Skipped,
}

impl TableOutcome {
    /// The outcome as logs and metric labels spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }
}

/// Why a table's backup failed, as a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// A table listed in the config has no file.
    TableMissing,
    /// The source could not be read.
    TableUnreadable,
    /// The copy failed verification: the table's file is damaged.
    TableCorrupt,
    /// The source kept changing during every copy attempt.
    SourceUnstable,
    /// The backup volume has no room (before or during the copy).
    BackupDiskFull,
    /// The backup directory could not be written.
    BackupDirUnwritable,
    /// Any other I/O failure while writing the backup.
    BackupIo,
    /// The run was stopped before this table finished.
    Cancelled,
    /// A restore found no copy that qualifies.
    NoVerifiedCopy,
    /// A restore's copy no longer proves against its manifest.
    BackupCorrupt,
    /// A restore would have made things worse and was refused (the target
    /// exists or is open, the copy is dirty).
    RestoreRefused,
    /// A drill's restored copy did not open, or held other objects, in Erlang.
    DrillFailed,
}

impl ErrorCode {
    /// The code as it appears on the wire and in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TableMissing => "TABLE_MISSING",
            Self::TableUnreadable => "TABLE_UNREADABLE",
            Self::TableCorrupt => "TABLE_CORRUPT",
            Self::SourceUnstable => "SOURCE_UNSTABLE",
            Self::BackupDiskFull => "BACKUP_DISK_FULL",
            Self::BackupDirUnwritable => "BACKUP_DIR_UNWRITABLE",
            Self::BackupIo => "BACKUP_IO",
            Self::Cancelled => "CANCELLED",
            Self::NoVerifiedCopy => "NO_VERIFIED_COPY",
            Self::BackupCorrupt => "BACKUP_CORRUPT",
            Self::RestoreRefused => "RESTORE_REFUSED",
            Self::DrillFailed => "DRILL_FAILED",
        }
    }
}

/// A table's failure: a code to act on and a message to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct TableError {
    /// Stable code.
    pub code: ErrorCode,
    /// What went wrong and where.
    pub message: String,
}

impl TableError {
    /// A failure with `code`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// The result of backing up one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredResult", into = "StoredResult")]
pub struct TableResult {
    /// Table name.
    pub table: String,
    /// How it ended, with what it made or why it failed.
    pub outcome: Outcome,
    /// Wall time spent on this table.
    pub duration: Duration,
    /// Time spent in the capture stage (every attempt) and in verification.
    pub timings: StageTimings,
    /// Copies taken (more than one when the source changed during a copy).
    pub attempts: u32,
}

/// How one table's backup ended, with what only that ending has.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A verified backup was committed.
    Committed(Box<CommittedCopy>),
    /// No backup was made; older backups are untouched.
    Failed(TableError),
    /// Not attempted: the run was stopped first.
    Skipped,
}

/// A backup that passed verification and is on disk under its final name.
#[derive(Debug, Clone, PartialEq)]
pub struct CommittedCopy {
    /// The backup's file name.
    pub file_name: String,
    /// Bytes of the backup.
    pub bytes: u64,
    /// Objects in the backup.
    pub records: u64,
    /// Distinct keys in the backup.
    pub keys: u64,
    /// Clean or dirty.
    pub consistency: Consistency,
    /// Hex SHA-256 of the backup file.
    pub sha256: String,
    /// When the copy was captured.
    pub captured_at: DateTime<Utc>,
    /// The copy's content digest (absent in ledgers older than digests).
    pub digest: Option<crate::store::ContentDigest>,
    /// Older backups retention deleted.
    pub pruned: Vec<String>,
}

impl Outcome {
    /// The outcome's kind.
    pub fn kind(&self) -> TableOutcome {
        match self {
            Self::Committed(_) => TableOutcome::Succeeded,
            Self::Failed(_) => TableOutcome::Failed,
            Self::Skipped => TableOutcome::Skipped,
        }
    }

    /// Why no backup was made: the failure, or for a skipped table that the
    /// run was stopped first.
    pub fn error(&self) -> Option<TableError> {
        match self {
            Self::Committed(_) => None,
            Self::Failed(error) => Some(error.clone()),
            Self::Skipped => Some(TableError::new(
                ErrorCode::Cancelled,
                "the run was stopped first",
            )),
        }
    }
}

impl TableResult {
    /// A failed result with nothing written.
    pub fn failed(table: &str, error: TableError, duration: Duration) -> Self {
        Self {
            table: table.to_owned(),
            outcome: Outcome::Failed(error),
            duration,
            timings: StageTimings::default(),
            attempts: 0,
        }
    }

    /// A table the run never started on.
    pub fn skipped(table: &str) -> Self {
        Self {
            table: table.to_owned(),
            outcome: Outcome::Skipped,
            duration: Duration::ZERO,
            timings: StageTimings::default(),
            attempts: 0,
        }
    }

    /// How it ended.
    pub fn kind(&self) -> TableOutcome {
        self.outcome.kind()
    }

    /// The committed copy, when there is one.
    pub fn committed(&self) -> Option<&CommittedCopy> {
        match &self.outcome {
            Outcome::Committed(copy) => Some(copy),
            _ => None,
        }
    }
}

/// A result as the ledger stores it: one flat record whatever the outcome,
/// the shape every ledger line has had, so old ledgers still read.
#[derive(Clone, Serialize, Deserialize)]
struct StoredResult {
    table: String,
    outcome: TableOutcome,
    file_name: Option<String>,
    bytes: u64,
    records: u64,
    keys: u64,
    consistency: Option<Consistency>,
    sha256: Option<String>,
    #[serde(with = "duration_millis")]
    duration: Duration,
    #[serde(default)]
    timings: StageTimings,
    captured_at: Option<DateTime<Utc>>,
    error: Option<TableError>,
    pruned: Vec<String>,
    attempts: u32,
    #[serde(default)]
    digest: Option<crate::store::ContentDigest>,
}

impl From<TableResult> for StoredResult {
    fn from(result: TableResult) -> Self {
        let error = result.outcome.error();
        let mut stored = Self {
            table: result.table,
            outcome: result.outcome.kind(),
            file_name: None,
            bytes: 0,
            records: 0,
            keys: 0,
            consistency: None,
            sha256: None,
            duration: result.duration,
            timings: result.timings,
            captured_at: None,
            error,
            pruned: Vec::new(),
            attempts: result.attempts,
            digest: None,
        };
        if let Outcome::Committed(copy) = result.outcome {
            let copy = *copy;
            stored.file_name = Some(copy.file_name);
            stored.bytes = copy.bytes;
            stored.records = copy.records;
            stored.keys = copy.keys;
            stored.consistency = Some(copy.consistency);
            stored.sha256 = Some(copy.sha256);
            stored.captured_at = Some(copy.captured_at);
            stored.pruned = copy.pruned;
            stored.digest = copy.digest;
        }
        stored
    }
}

impl TryFrom<StoredResult> for TableResult {
    type Error = String;

    fn try_from(s: StoredResult) -> Result<Self, String> {
        let outcome = match s.outcome {
            TableOutcome::Succeeded => {
                let missing =
                    |field: &str| format!("the succeeded result of {} has no {field}", s.table);
                Outcome::Committed(Box::new(CommittedCopy {
                    file_name: s.file_name.ok_or_else(|| missing("file_name"))?,
                    bytes: s.bytes,
                    records: s.records,
                    keys: s.keys,
                    consistency: s.consistency.ok_or_else(|| missing("consistency"))?,
                    sha256: s.sha256.ok_or_else(|| missing("sha256"))?,
                    captured_at: s.captured_at.ok_or_else(|| missing("captured_at"))?,
                    digest: s.digest,
                    pruned: s.pruned,
                }))
            }
            TableOutcome::Failed => Outcome::Failed(s.error.unwrap_or_else(|| {
                TableError::new(ErrorCode::BackupIo, "failed (no reason recorded)")
            })),
            TableOutcome::Skipped => Outcome::Skipped,
        };
        Ok(Self {
            table: s.table,
            outcome,
            duration: s.duration,
            timings: s.timings,
            attempts: s.attempts,
        })
    }
}

/// Where a table's time went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageTimings {
    /// Copying, settle re-reads included, over every attempt.
    #[serde(with = "duration_millis")]
    pub capture: Duration,
    /// Parsing and hashing the copy.
    #[serde(with = "duration_millis")]
    pub verify: Duration,
}

/// One run: its identity, what it did to each table, how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Unique id (time-ordered).
    pub run_id: String,
    /// What started it.
    pub trigger: Trigger,
    /// Free text given with the trigger.
    pub reason: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended (`None` while running).
    pub finished_at: Option<DateTime<Utc>>,
    /// How it ended.
    pub outcome: RunOutcome,
    /// Tables in the run, in catalog order.
    pub tables: Vec<String>,
    /// Results, one per table, once finished.
    pub results: Vec<TableResult>,
    /// The reasons of triggers that joined the run while it was under way (or
    /// waited for it as a follow-up), in arrival order; `reason` is the first's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub joined: Vec<String>,
    /// Problems of the run as a whole, not of one table: a data directory
    /// that could not be listed, so that its tables are not in the run. A run
    /// with any is never SUCCEEDED.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// How its tables ended, once finished (kept when `results` is not).
    #[serde(default)]
    pub counts: TableCounts,
    /// `results` were let go to keep memory and the ledger bounded: only the
    /// newest finished run keeps them (`counts` remain).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub results_omitted: bool,
}

impl RunRecord {
    /// The run without its per-table results (its counts kept).
    pub fn summary(&self) -> Self {
        Self {
            results: Vec::new(),
            results_omitted: self.results_omitted || !self.results.is_empty(),
            tables: Vec::new(),
            ..self.clone()
        }
    }
}

/// How many tables of a run ended each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableCounts {
    /// Backed up.
    pub succeeded: u32,
    /// Not backed up.
    pub failed: u32,
    /// Not attempted.
    pub skipped: u32,
}

impl TableCounts {
    /// The counts of `results`.
    pub fn of(results: &[TableResult]) -> Self {
        let mut counts = Self::default();
        for result in results {
            match result.kind() {
                TableOutcome::Succeeded => counts.succeeded += 1,
                TableOutcome::Failed => counts.failed += 1,
                TableOutcome::Skipped => counts.skipped += 1,
            }
        }
        counts
    }
}

mod duration_millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(kind: TableOutcome) -> TableResult {
        match kind {
            TableOutcome::Succeeded => TableResult {
                outcome: Outcome::Committed(Box::new(copy())),
                ..TableResult::skipped("t")
            },
            TableOutcome::Failed => TableResult::failed(
                "t",
                TableError::new(ErrorCode::BackupIo, "x"),
                Duration::ZERO,
            ),
            TableOutcome::Skipped => TableResult::skipped("t"),
        }
    }

    fn copy() -> CommittedCopy {
        CommittedCopy {
            file_name: "t_2026-12-01T03-00-00.dets".into(),
            bytes: 5464,
            records: 3,
            keys: 3,
            consistency: Consistency::Clean,
            sha256: "ab".repeat(32),
            captured_at: "2026-12-01T03:00:00Z".parse().unwrap(),
            digest: None,
            pruned: vec!["t_2026-11-28T03-00-00.dets".into()],
        }
    }

    #[test]
    fn run_outcome_follows_the_tables() {
        use TableOutcome::*;
        assert_eq!(
            RunOutcome::of(&[result(Succeeded), result(Succeeded)]),
            RunOutcome::Succeeded
        );
        assert_eq!(
            RunOutcome::of(&[result(Succeeded), result(Failed)]),
            RunOutcome::Partial
        );
        assert_eq!(
            RunOutcome::of(&[result(Failed), result(Skipped)]),
            RunOutcome::Failed
        );
        assert_eq!(RunOutcome::of(&[]), RunOutcome::Failed);
    }

    #[test]
    fn labels_are_the_serialized_names() {
        let json = |v: serde_json::Value| v.as_str().unwrap().to_owned();
        for t in [
            Trigger::Scheduled,
            Trigger::Manual,
            Trigger::CatchUp,
            Trigger::Restore,
            Trigger::Drill,
            Trigger::Compact,
        ] {
            assert_eq!(t.as_str(), json(serde_json::to_value(t).unwrap()));
        }
        for o in [
            RunOutcome::Succeeded,
            RunOutcome::Partial,
            RunOutcome::Failed,
            RunOutcome::Interrupted,
            RunOutcome::Running,
        ] {
            assert_eq!(o.as_str(), json(serde_json::to_value(o).unwrap()));
        }
        for o in [
            TableOutcome::Succeeded,
            TableOutcome::Failed,
            TableOutcome::Skipped,
        ] {
            assert_eq!(o.as_str(), json(serde_json::to_value(o).unwrap()));
        }
        for c in [Consistency::Clean, Consistency::Dirty] {
            assert_eq!(c.as_str(), json(serde_json::to_value(c).unwrap()));
        }
    }

    #[test]
    fn every_outcome_reads_back_as_written() {
        for kind in [
            TableOutcome::Succeeded,
            TableOutcome::Failed,
            TableOutcome::Skipped,
        ] {
            let written = result(kind);
            let line = serde_json::to_string(&written).unwrap();
            let read: TableResult = serde_json::from_str(&line).unwrap();
            assert_eq!(read, written, "{line}");
        }
    }

    #[test]
    fn ledger_lines_of_earlier_versions_still_read() {
        // A succeeded result as the ledger has always written it.
        let line = r#"{"table":"t","outcome":"succeeded","file_name":"t_2026-12-01T03-00-00.dets","bytes":5464,"records":3,"keys":3,"consistency":"clean","sha256":"ab","duration":12,"captured_at":"2026-12-01T03:00:00Z","error":null,"pruned":[],"attempts":1}"#;
        let read: TableResult = serde_json::from_str(line).unwrap();
        let copy = read.committed().expect("committed");
        assert_eq!((copy.bytes, copy.records, copy.digest), (5464, 3, None));
        assert_eq!(read.duration, Duration::from_millis(12));
        // A failure keeps its code; a success without its file is refused.
        let line = r#"{"table":"t","outcome":"failed","file_name":null,"bytes":0,"records":0,"keys":0,"consistency":null,"sha256":null,"duration":0,"captured_at":null,"error":{"code":"BACKUP_DISK_FULL","message":"full"},"pruned":[],"attempts":0}"#;
        let read: TableResult = serde_json::from_str(line).unwrap();
        assert_eq!(
            read.outcome.error().map(|e| e.code),
            Some(ErrorCode::BackupDiskFull)
        );
        let torn = line.replace(r#""outcome":"failed""#, r#""outcome":"succeeded""#);
        assert!(serde_json::from_str::<TableResult>(&torn).is_err());
    }
}
