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

impl RunOutcome {
    /// The outcome of a finished run with these per-table outcomes.
    pub fn of(tables: &[TableResult]) -> Self {
        let succeeded = tables
            .iter()
            .filter(|t| t.outcome == TableOutcome::Succeeded)
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
pub struct TableResult {
    /// Table name.
    pub table: String,
    /// How it ended.
    pub outcome: TableOutcome,
    /// The committed backup's file name.
    pub file_name: Option<String>,
    /// Bytes of the backup.
    pub bytes: u64,
    /// Objects in the backup.
    pub records: u64,
    /// Distinct keys in the backup.
    pub keys: u64,
    /// Clean or dirty, for a committed backup.
    pub consistency: Option<Consistency>,
    /// Hex SHA-256 of the backup file.
    pub sha256: Option<String>,
    /// Wall time spent on this table.
    #[serde(with = "duration_millis")]
    pub duration: Duration,
    /// Time spent in the capture stage (every attempt) and in verification.
    #[serde(default)]
    pub timings: StageTimings,
    /// When the copy was captured.
    pub captured_at: Option<DateTime<Utc>>,
    /// Why it failed.
    pub error: Option<TableError>,
    /// Older backups retention deleted.
    pub pruned: Vec<String>,
    /// Copies taken (more than one when the source changed during a copy).
    pub attempts: u32,
    /// The committed copy's content digest.
    #[serde(default)]
    pub digest: Option<crate::store::ContentDigest>,
}

impl TableResult {
    /// A failed result with nothing written.
    pub fn failed(table: &str, error: TableError, duration: Duration) -> Self {
        Self {
            table: table.to_owned(),
            outcome: TableOutcome::Failed,
            file_name: None,
            bytes: 0,
            records: 0,
            keys: 0,
            consistency: None,
            sha256: None,
            duration,
            timings: StageTimings::default(),
            captured_at: None,
            error: Some(error),
            pruned: Vec::new(),
            attempts: 0,
            digest: None,
        }
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

    fn result(outcome: TableOutcome) -> TableResult {
        TableResult {
            outcome,
            ..TableResult::failed(
                "t",
                TableError::new(ErrorCode::BackupIo, "x"),
                Duration::ZERO,
            )
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
}
