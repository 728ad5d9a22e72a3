//! Storage health: a pure function from what was observed on disk, the
//! thresholds and `now` to a report. No I/O, no clock.
//!
//! Severity of each issue by the table's role:
//!
//! | issue                | critical | listed / discovered | orphaned (backed up) |
//! | -------------------- | -------- | ------------------- | -------------------- |
//! | TABLE_MISSING        | CRITICAL | WARNING             | -                    |
//! | TABLE_UNREADABLE     | CRITICAL | CRITICAL            | WARNING              |
//! | NEVER_BACKED_UP      | CRITICAL | WARNING             | WARNING              |
//! | BACKUP_STALE         | CRITICAL | WARNING             | WARNING              |
//! | LAST_BACKUP_FAILED   | CRITICAL | WARNING             | WARNING              |
//! | BACKUP_CORRUPT       | CRITICAL | WARNING             | WARNING              |
//! | LAST_BACKUP_DIRTY    | WARNING  | WARNING             | WARNING              |
//! | FRAGMENTATION_HIGH   | WARNING  | WARNING             | WARNING              |
//! | SIZE_LIMIT_NEAR      | WARNING  | WARNING             | WARNING              |
//! | CLOCK_SKEW           | WARNING  | WARNING             | WARNING              |
//! | RESTORE_DRILL_FAILED | CRITICAL | WARNING             | WARNING              |
//! | DRILL_STALE          | WARNING  | WARNING             | WARNING              |
//! | NEVER_DRILLED        | WARNING  | WARNING             | WARNING              |
//!
//! ([`severity`] is this table in code.)
//!
//! Orphans that are not backed up get no backup issues at all: not backing
//! them up is the configuration's choice. Component issues: BACKUP_DISK_LOW
//! is CRITICAL when the next run does not fit, WARNING when free space is
//! below `min_free_bytes`; ERLANG_NODE_UNREACHABLE is WARNING; a scheduler
//! whose last run failed or was interrupted is WARNING.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::catalog::{Role, TableEntry};
use crate::model::{Consistency, RunOutcome, TableOutcome};
use crate::store;

/// Overall, component and table status, ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Nothing to do.
    Healthy,
    /// Someone should look.
    Warning,
    /// Data is at risk.
    Critical,
}

impl Status {
    /// The status as logs spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

/// What an issue is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueCode {
    /// The last good backup is older than `stale_after`.
    BackupStale,
    /// No backup exists.
    NeverBackedUp,
    /// More than `fragmentation_warn` of the file is free space.
    FragmentationHigh,
    /// The last attempt to back the table up failed.
    LastBackupFailed,
    /// The newest backup is dirty.
    LastBackupDirty,
    /// A listed table has no file.
    TableMissing,
    /// The table's file cannot be read or is damaged.
    TableUnreadable,
    /// The backup volume is short of space.
    BackupDiskLow,
    /// The configured Erlang node cannot be reached.
    ErlangNodeUnreachable,
    /// The scheduler's last run did not succeed.
    SchedulerStopped,
    /// A retained backup no longer matches its manifest (found by a scrub).
    BackupCorrupt,
    /// A data directory cannot be listed: its tables cannot be found.
    DataDirUnreadable,
    /// A backup's capture time is ahead of this host's clock: one of the two
    /// clocks was wrong, and the copy's real age is unknown.
    ClockSkew,
    /// The last restore drill failed: the newest copy did not restore and prove out.
    RestoreDrillFailed,
    /// The last passed drill is older than `drill.stale_after`.
    DrillStale,
    /// The table has had a good backup for a day and was never drilled.
    NeverDrilled,
    /// The file has passed 75% of the 2 GiB a DETS file can address.
    SizeLimitNear,
    /// The newest copy at an offsite destination is older than its `stale_after`.
    OffsiteLagging,
    /// Copies cannot be stored at an offsite destination.
    OffsiteFailed,
}

impl IssueCode {
    /// The code's name on the wire, without the enum prefix.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BackupStale => "BACKUP_STALE",
            Self::NeverBackedUp => "NEVER_BACKED_UP",
            Self::FragmentationHigh => "FRAGMENTATION_HIGH",
            Self::LastBackupFailed => "LAST_BACKUP_FAILED",
            Self::LastBackupDirty => "LAST_BACKUP_DIRTY",
            Self::TableMissing => "TABLE_MISSING",
            Self::TableUnreadable => "TABLE_UNREADABLE",
            Self::BackupDiskLow => "BACKUP_DISK_LOW",
            Self::ErlangNodeUnreachable => "ERLANG_NODE_UNREACHABLE",
            Self::SchedulerStopped => "SCHEDULER_STOPPED",
            Self::BackupCorrupt => "BACKUP_CORRUPT",
            Self::DataDirUnreadable => "DATA_DIR_UNREADABLE",
            Self::ClockSkew => "CLOCK_SKEW",
            Self::RestoreDrillFailed => "RESTORE_DRILL_FAILED",
            Self::DrillStale => "DRILL_STALE",
            Self::NeverDrilled => "NEVER_DRILLED",
            Self::SizeLimitNear => "SIZE_LIMIT_NEAR",
            Self::OffsiteLagging => "OFFSITE_LAGGING",
            Self::OffsiteFailed => "OFFSITE_FAILED",
        }
    }
}

/// One problem, with its weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// What it is.
    pub code: IssueCode,
    /// How much it weighs.
    pub severity: Status,
    /// The table concerned (`None` for component issues).
    pub table: Option<String>,
    /// What to read.
    pub message: String,
}

/// Thresholds, from `[health]`.
#[derive(Debug, Clone)]
pub struct Thresholds {
    /// A last good backup older than this is stale.
    pub stale_after: Duration,
    /// Fragmentation above this ratio is high.
    pub fragmentation_warn: f64,
    /// Free space on the backup volume below this is low.
    pub min_free_bytes: u64,
    /// A last drill older than this is stale; `None` when drills are off
    /// (then no drill issues at all).
    pub drill_stale_after: Option<Duration>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            stale_after: Duration::from_secs(48 * 3600),
            fragmentation_warn: 0.5,
            min_free_bytes: 0,
            drill_stale_after: Some(DRILL_STALE_AFTER),
        }
    }
}

/// How old a last drill may be (default `drill.stale_after`): eight days.
pub const DRILL_STALE_AFTER: Duration = Duration::from_secs(8 * 24 * 3600);

/// How long a table may have had a good backup before a first drill is
/// missed (NEVER_DRILLED): a day, the default drill schedule's period.
pub const FIRST_DRILL_GRACE: Duration = Duration::from_secs(24 * 3600);

/// Figures read from a table's file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileFigures {
    /// set, bag or duplicate_bag.
    pub table_type: String,
    /// Objects.
    pub records: u64,
    /// Distinct keys.
    pub keys: u64,
    /// Bytes.
    pub file_size: u64,
    /// Free bytes inside the data area.
    pub free_bytes: u64,
    /// Free bytes over file size.
    pub fragmentation_ratio: f64,
    /// Whether Erlang would open it without repair.
    pub closed_properly: bool,
}

/// A backup of the table, as its manifest describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupFacts {
    /// Its file name.
    pub file: String,
    /// When it was captured (its manifest's time, else its name's).
    pub at: DateTime<Utc>,
    /// Clean or dirty (`None` without a readable manifest).
    pub consistency: Option<Consistency>,
    /// Whether it passed verification and no scrub found it corrupt since.
    pub verified: bool,
    /// The file and why, when a scrub found it no longer matching its manifest.
    pub corrupt: Option<(String, String)>,
}

/// The latest attempt to back the table up, from the ledger.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AttemptFacts {
    /// How it ended.
    pub outcome: TableOutcome,
    /// When its run started.
    pub at: DateTime<Utc>,
    /// Why it made no backup.
    pub error: Option<crate::model::TableError>,
}

/// Everything observed about one table.
#[derive(Debug, Clone)]
pub struct TableObservation {
    /// The catalog's view.
    pub entry: TableEntry,
    /// Its file's figures, or why they could not be read.
    pub file: Result<FileFigures, String>,
    /// Bytes on disk, when the file exists (also when it cannot be read as DETS).
    pub file_size: Option<u64>,
    /// Its backups, newest first.
    pub backups: Vec<BackupFacts>,
    /// The latest attempt, if any.
    pub last_attempt: Option<AttemptFacts>,
    /// The latest restore drill, if any.
    pub last_drill: Option<crate::drill::DrillFacts>,
}

/// What the scheduler reports.
#[derive(Debug, Clone, PartialEq)]
pub struct SchedulerFacts {
    /// The schedule as configured.
    pub schedule: String,
    /// When the next run starts.
    pub next_run: Option<DateTime<Utc>>,
    /// Whether a run is under way.
    pub running: bool,
    /// How the newest finished run ended.
    pub last_outcome: Option<RunOutcome>,
}

/// Everything health is computed from.
#[derive(Debug, Clone)]
pub struct Observations {
    /// Every table of the catalog.
    pub tables: Vec<TableObservation>,
    /// Free bytes on the backup volume (`None` when it could not be read).
    pub backup_free_bytes: Option<u64>,
    /// Bytes the next run needs on the backup volume ([`next_run_need`]).
    pub next_run_bytes: u64,
    /// The scheduler.
    pub scheduler: SchedulerFacts,
    /// The Erlang node, when one is configured: `Ok(name)` or why it is unreachable.
    pub erlang_node: Option<Result<String, String>>,
    /// Data directories that could not be listed, and why.
    pub unreadable_data_dirs: Vec<(std::path::PathBuf, String)>,
    /// Every offsite destination, as its task last saw it.
    pub offsite: Vec<crate::offsite::DestinationFacts>,
}

/// One table at one offsite destination.
#[derive(Debug, Clone, PartialEq)]
pub struct OffsiteHealth {
    /// The destination.
    pub destination: String,
    /// The newest remote copy's capture time.
    pub last_copy_at: Option<DateTime<Utc>>,
    /// Its age.
    pub since_last_copy: Option<Duration>,
    /// Remote copies.
    pub copies: u32,
    /// Verified local copies not yet stored there.
    pub pending: u32,
    /// Why the latest upload (or the destination's latest pass) failed.
    pub last_error: Option<String>,
}

/// One table's health.
#[derive(Debug, Clone, PartialEq)]
pub struct TableHealth {
    /// Name.
    pub name: String,
    /// File.
    pub path: String,
    /// Role.
    pub role: Role,
    /// Worst of its issues.
    pub status: Status,
    /// Its issues, worst first.
    pub issues: Vec<Issue>,
    /// The file's figures, when readable.
    pub figures: Option<FileFigures>,
    /// Bytes on disk, when the file exists (also when it cannot be read as DETS).
    pub file_size: Option<u64>,
    /// Newest backup.
    pub last_backup_at: Option<DateTime<Utc>>,
    /// Age of the newest backup.
    pub since_last_backup: Option<Duration>,
    /// Consistency of the newest backup.
    pub last_backup_consistency: Option<Consistency>,
    /// Outcome of the latest attempt.
    pub last_attempt_outcome: Option<TableOutcome>,
    /// Backups on disk.
    pub backups_retained: u32,
    /// The latest restore drill.
    pub last_drill: Option<crate::drill::DrillFacts>,
    /// Each offsite destination's copies of it.
    pub offsite: Vec<OffsiteHealth>,
}

/// A component's health.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentHealth {
    /// storage, scheduler, backup_volume or erlang_node.
    pub name: &'static str,
    /// Worst of its issues.
    pub status: Status,
    /// Its issues, worst first.
    pub issues: Vec<Issue>,
    /// A one-line summary.
    pub detail: String,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthReport {
    /// Worst of the components.
    pub status: Status,
    /// The `now` it was computed for.
    pub computed_at: DateTime<Utc>,
    /// storage, scheduler, backup_volume (and erlang_node when configured).
    pub components: Vec<ComponentHealth>,
    /// Every table, worst first, then by name.
    pub tables: Vec<TableHealth>,
    /// Free bytes on the backup volume, when they could be read.
    pub backup_free_bytes: Option<u64>,
}

/// Computes the report. Pure: same observations, thresholds and `now`, same report.
pub fn compute_health(
    obs: &Observations,
    thresholds: &Thresholds,
    now: DateTime<Utc>,
) -> HealthReport {
    let mut tables: Vec<TableHealth> = obs
        .tables
        .iter()
        .map(|t| table_health(t, &obs.offsite, thresholds, now))
        .collect();
    tables.sort_by(|a, b| b.status.cmp(&a.status).then_with(|| a.name.cmp(&b.name)));

    let dir_issues = obs.unreadable_data_dirs.iter().map(|(dir, why)| Issue {
        code: IssueCode::DataDirUnreadable,
        severity: Status::Critical,
        table: None,
        message: format!(
            "data directory {} cannot be read: {why}; its tables are not found",
            dir.display()
        ),
    });
    let storage_issues: Vec<Issue> = sorted(
        dir_issues
            .chain(tables.iter().flat_map(|t| t.issues.clone()))
            .collect(),
    );
    let unhealthy = tables
        .iter()
        .filter(|t| t.status != Status::Healthy)
        .count();
    let mut components = vec![
        component(
            "storage",
            storage_issues,
            format!("{} tables, {unhealthy} need attention", tables.len()),
        ),
        scheduler_health(&obs.scheduler),
        volume_health(obs, thresholds),
    ];
    if !obs.offsite.is_empty() {
        components.push(offsite_component(&obs.offsite, &tables));
    }
    if let Some(node) = &obs.erlang_node {
        let (issues, detail) = match node {
            Ok(name) => (Vec::new(), format!("connected to {name}")),
            Err(why) => (
                vec![Issue {
                    code: IssueCode::ErlangNodeUnreachable,
                    severity: Status::Warning,
                    table: None,
                    message: format!("Erlang node unreachable: {why}; backups go on without sync and may be dirty"),
                }],
                "unreachable".to_owned(),
            ),
        };
        components.push(component("erlang_node", issues, detail));
    }
    let status = components
        .iter()
        .map(|c| c.status)
        .max()
        .unwrap_or(Status::Healthy);
    HealthReport {
        status,
        computed_at: now,
        components,
        tables,
        backup_free_bytes: obs.backup_free_bytes,
    }
}

/// The file system's allocation unit, as copies and manifests take space.
const BLOCK: u64 = 4096;

/// What the next run writes to the backup volume: each table's copy (its
/// size, rounded up to whole blocks) and manifest (a block), plus one
/// `margin` for the run as a whole, not one per table.
pub fn next_run_need(sizes: impl IntoIterator<Item = u64>, margin: u64) -> u64 {
    sizes
        .into_iter()
        .map(|size| {
            size.div_ceil(BLOCK)
                .saturating_mul(BLOCK)
                .saturating_add(BLOCK)
        })
        .fold(margin, u64::saturating_add)
}

/// How much an issue of a table weighs, by the table's role: the table of
/// the module doc, in code, and the only place severities of table issues
/// are decided. `None` for issues of components, not of tables.
fn severity(code: IssueCode, role: Role) -> Option<Status> {
    use IssueCode::*;
    use Status::{Critical, Warning};
    let (critical, listed, orphaned) = match code {
        TableMissing => (Critical, Warning, Warning),
        TableUnreadable => (Critical, Critical, Warning),
        NeverBackedUp => (Critical, Warning, Warning),
        BackupStale => (Critical, Warning, Warning),
        LastBackupFailed => (Critical, Warning, Warning),
        BackupCorrupt => (Critical, Warning, Warning),
        LastBackupDirty => (Warning, Warning, Warning),
        RestoreDrillFailed => (Critical, Warning, Warning),
        DrillStale => (Warning, Warning, Warning),
        NeverDrilled => (Warning, Warning, Warning),
        FragmentationHigh => (Warning, Warning, Warning),
        SizeLimitNear => (Warning, Warning, Warning),
        OffsiteLagging => (Warning, Warning, Warning),
        OffsiteFailed => (Warning, Warning, Warning),
        ClockSkew => (Warning, Warning, Warning),
        BackupDiskLow | ErlangNodeUnreachable | SchedulerStopped | DataDirUnreadable => {
            return None
        }
    };
    Some(match role {
        Role::Critical => critical,
        Role::Listed | Role::Discovered => listed,
        Role::Orphaned => orphaned,
    })
}

/// A table's issues as they are found, each weighed by [`severity`].
struct TableIssues<'a> {
    entry: &'a TableEntry,
    issues: Vec<Issue>,
}

impl TableIssues<'_> {
    fn add(&mut self, code: IssueCode, message: String) {
        self.issues.push(Issue {
            code,
            severity: severity(code, self.entry.role).unwrap_or(Status::Warning),
            table: Some(self.entry.name.clone()),
            message,
        });
    }
}

fn table_health(
    obs: &TableObservation,
    offsite: &[crate::offsite::DestinationFacts],
    th: &Thresholds,
    now: DateTime<Utc>,
) -> TableHealth {
    let entry = &obs.entry;
    let mut found = TableIssues {
        entry,
        issues: Vec::new(),
    };
    let figures = file_issues(obs, th, &mut found);
    for (file, why) in obs.backups.iter().filter_map(|b| b.corrupt.as_ref()) {
        found.add(
            IssueCode::BackupCorrupt,
            format!("backup {file} is corrupt and no longer counts as a backup: {why}"),
        );
    }
    let from_the_future = |b: &BackupFacts| store::from_the_future(b.at, now);
    for b in obs.backups.iter().filter(|b| from_the_future(b)) {
        found.add(
            IssueCode::ClockSkew,
            format!(
                "backup {} says it was captured at {}, {} ahead of this host's clock: \
                 the clock was wrong then or is wrong now, so its real age is unknown; \
                 retention ranks it below copies with a believable time",
                b.file,
                b.at.format("%Y-%m-%dT%H:%M:%SZ"),
                human((b.at - now).to_std().unwrap_or_default()),
            ),
        );
    }
    // The last good backup is the newest with a believable time; a copy from
    // the future counts only when there is no other, and then its age is unknown.
    let newest = obs
        .backups
        .iter()
        .find(|b| b.verified && !from_the_future(b))
        .or_else(|| obs.backups.iter().find(|b| b.verified));
    let since = newest
        .filter(|b| !from_the_future(b))
        .map(|b| (now - b.at).to_std().unwrap_or_default());
    // Orphans that are not backed up get no backup issues: not backing them
    // up is the configuration's choice.
    if entry.backed_up {
        backup_issues(obs, th, newest, since, &mut found);
        if let Some(stale_after) = th.drill_stale_after {
            drill_issues(obs, stale_after, now, &mut found);
        }
    }
    let offsite = offsite
        .iter()
        .map(|d| offsite_health(obs, d, now, &mut found))
        .collect();
    let issues = sorted(found.issues);
    TableHealth {
        name: entry.name.clone(),
        path: entry.path.display().to_string(),
        role: entry.role,
        status: worst(&issues),
        issues,
        figures,
        file_size: obs.file_size,
        last_backup_at: newest.map(|b| b.at),
        since_last_backup: since,
        last_backup_consistency: newest.and_then(|b| b.consistency),
        last_attempt_outcome: obs.last_attempt.as_ref().map(|a| a.outcome),
        backups_retained: obs.backups.len() as u32,
        last_drill: obs.last_drill.clone(),
        offsite,
    }
}

/// A table at one destination: OFFSITE_FAILED when its latest upload failed,
/// OFFSITE_LAGGING when its newest remote copy is older than the
/// destination's `stale_after`, or when there is none and a verified local
/// copy has waited longer than that.
fn offsite_health(
    obs: &TableObservation,
    dest: &crate::offsite::DestinationFacts,
    now: DateTime<Utc>,
    found: &mut TableIssues<'_>,
) -> OffsiteHealth {
    let facts = dest
        .tables
        .get(&obs.entry.name)
        .cloned()
        .unwrap_or_default();
    let last_copy_at = facts.newest.as_ref().map(|n| n.at);
    let age = |at: DateTime<Utc>| (now - at).to_std().unwrap_or_default();
    let failure = facts.failure.as_ref().or(dest.failure.as_ref());
    if let Some(failure) = failure {
        found.add(
            IssueCode::OffsiteFailed,
            format!(
                "copies cannot be stored at {} since {}: {}; local backups are not affected, the upload is tried again",
                dest.name,
                failure.at.format("%Y-%m-%dT%H:%M:%SZ"),
                failure.message
            ),
        );
    }
    for (name, failure) in &facts.damaged {
        found.add(
            IssueCode::OffsiteFailed,
            format!(
                "the copy {} at {} failed its check on {} and counts as no copy: {}",
                name.file_name(),
                dest.name,
                failure.at.format("%Y-%m-%dT%H:%M:%SZ"),
                failure.message
            ),
        );
    }
    let oldest_waiting = obs
        .backups
        .iter()
        .filter(|b| b.verified && !store::from_the_future(b.at, now))
        .map(|b| b.at)
        .min();
    match (last_copy_at, oldest_waiting) {
        (Some(at), _) if age(at) > dest.stale_after => found.add(
            IssueCode::OffsiteLagging,
            format!(
                "the newest copy at {} is {} old ({}), older than {}",
                dest.name,
                human(age(at)),
                at.format("%Y-%m-%dT%H:%M:%SZ"),
                human(dest.stale_after)
            ),
        ),
        (None, Some(at)) if age(at) > dest.stale_after => found.add(
            IssueCode::OffsiteLagging,
            format!(
                "no copy at {} yet; a verified backup has waited {} for it, longer than {}",
                dest.name,
                human(age(at)),
                human(dest.stale_after)
            ),
        ),
        _ => {}
    }
    OffsiteHealth {
        destination: dest.name.clone(),
        last_copy_at,
        since_last_copy: last_copy_at.map(age),
        copies: u32::try_from(facts.copies).unwrap_or(u32::MAX),
        pending: u32::try_from(facts.pending).unwrap_or(u32::MAX),
        last_error: failure.map(|f| f.message.clone()),
    }
}

/// The `offsite` component: each destination's own failures (the store
/// unreachable, credentials refused) and how many tables are current there.
fn offsite_component(
    destinations: &[crate::offsite::DestinationFacts],
    tables: &[TableHealth],
) -> ComponentHealth {
    let issues = destinations
        .iter()
        .filter_map(|d| {
            let failure = d.failure.as_ref()?;
            Some(Issue {
                code: IssueCode::OffsiteFailed,
                severity: Status::Warning,
                table: None,
                message: format!(
                    "destination {} cannot be used since {}: {}",
                    d.name,
                    failure.at.format("%Y-%m-%dT%H:%M:%SZ"),
                    failure.message
                ),
            })
        })
        .collect();
    let detail = destinations
        .iter()
        .map(|d| {
            let current = tables
                .iter()
                .filter(|t| {
                    t.offsite.iter().any(|o| {
                        o.destination == d.name && o.last_copy_at.is_some() && o.pending == 0
                    })
                })
                .count();
            format!(
                "{}: {current} of {} tables with every copy stored",
                d.name,
                tables.len()
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    component("offsite", issues, detail)
}

/// RESTORE_DRILL_FAILED, DRILL_STALE, NEVER_DRILLED.
fn drill_issues(
    obs: &TableObservation,
    stale_after: Duration,
    now: DateTime<Utc>,
    found: &mut TableIssues<'_>,
) {
    let when = |at: DateTime<Utc>| at.format("%Y-%m-%dT%H:%M:%SZ");
    match &obs.last_drill {
        Some(d) if !d.passed => {
            let (code, message) = d
                .error
                .as_ref()
                .map_or(("", ""), |e| (e.code.as_str(), e.message.as_str()));
            found.add(
                IssueCode::RestoreDrillFailed,
                format!(
                    "the restore drill at {} failed ({} level): {code}: {message}",
                    when(d.at),
                    d.level.as_str()
                ),
            );
        }
        Some(d) => {
            let age = (now - d.at).to_std().unwrap_or_default();
            if age > stale_after {
                found.add(
                    IssueCode::DrillStale,
                    format!(
                        "the last proven restore is {} old ({}), older than {}",
                        human(age),
                        when(d.at),
                        human(stale_after)
                    ),
                );
            }
        }
        None => {
            let oldest_good = obs
                .backups
                .iter()
                .filter(|b| b.verified && !store::from_the_future(b.at, now))
                .map(|b| b.at)
                .min();
            if oldest_good
                .is_some_and(|at| (now - at).to_std().unwrap_or_default() > FIRST_DRILL_GRACE)
            {
                found.add(
                    IssueCode::NeverDrilled,
                    "no restore drill has proved a copy of this table yet".into(),
                );
            }
        }
    }
}

/// The most a DETS file can address: its buddy system spans 2^31 bytes.
pub const DETS_SIZE_LIMIT: u64 = 1 << 31;
/// The share of [`DETS_SIZE_LIMIT`] past which SIZE_LIMIT_NEAR is raised.
pub const SIZE_LIMIT_WARN: f64 = 0.75;

/// TABLE_MISSING, TABLE_UNREADABLE, FRAGMENTATION_HIGH, SIZE_LIMIT_NEAR;
/// the file's figures when it could be read.
fn file_issues(
    obs: &TableObservation,
    th: &Thresholds,
    found: &mut TableIssues<'_>,
) -> Option<FileFigures> {
    if !obs.entry.present {
        found.add(
            IssueCode::TableMissing,
            format!("table file {} does not exist", obs.entry.path.display()),
        );
        return None;
    }
    match &obs.file {
        Ok(f) => {
            if f.fragmentation_ratio > th.fragmentation_warn {
                found.add(
                    IssueCode::FragmentationHigh,
                    format!(
                        "{:.1}% of the file is free space (threshold {:.1}%): {} bytes reclaimable; \
                         with the table closed and a fresh backup, `tablesafe compact {}` rewrites \
                         it in place (about {} bytes)",
                        f.fragmentation_ratio * 100.0,
                        th.fragmentation_warn * 100.0,
                        f.free_bytes,
                        obs.entry.name,
                        f.file_size.saturating_sub(f.free_bytes),
                    ),
                );
            }
            if f.file_size as f64 > DETS_SIZE_LIMIT as f64 * SIZE_LIMIT_WARN {
                found.add(
                    IssueCode::SizeLimitNear,
                    format!(
                        "the file is {} bytes, {:.1}% of the {DETS_SIZE_LIMIT} bytes a DETS file can hold \
                         (warning past {:.0}%); inserts fail once it is full{}",
                        f.file_size,
                        f.file_size as f64 * 100.0 / DETS_SIZE_LIMIT as f64,
                        SIZE_LIMIT_WARN * 100.0,
                        if f.free_bytes > 0 {
                            format!("; {} bytes of it are free space `tablesafe compact` reclaims", f.free_bytes)
                        } else {
                            String::new()
                        }
                    ),
                );
            }
            Some(f.clone())
        }
        Err(why) => {
            found.add(IssueCode::TableUnreadable, why.clone());
            None
        }
    }
}

/// BACKUP_STALE, NEVER_BACKED_UP, LAST_BACKUP_FAILED, LAST_BACKUP_DIRTY.
fn backup_issues(
    obs: &TableObservation,
    th: &Thresholds,
    newest: Option<&BackupFacts>,
    since: Option<Duration>,
    found: &mut TableIssues<'_>,
) {
    match (newest, since) {
        (Some(b), Some(age)) if age > th.stale_after => found.add(
            IssueCode::BackupStale,
            format!(
                "last good backup is {} old ({}), older than {}",
                human(age),
                b.at.format("%Y-%m-%dT%H:%M:%SZ"),
                human(th.stale_after)
            ),
        ),
        (None, _) => found.add(
            IssueCode::NeverBackedUp,
            "no backup of this table exists".into(),
        ),
        _ => {}
    }
    if let Some(AttemptFacts {
        outcome: TableOutcome::Failed,
        at,
        error,
    }) = &obs.last_attempt
    {
        let (code, message) = error
            .as_ref()
            .map_or(("", ""), |e| (e.code.as_str(), e.message.as_str()));
        found.add(
            IssueCode::LastBackupFailed,
            format!(
                "last attempt at {} failed: {code}: {message}",
                at.format("%Y-%m-%dT%H:%M:%SZ")
            ),
        );
    }
    if newest.and_then(|b| b.consistency) == Some(Consistency::Dirty) {
        found.add(
            IssueCode::LastBackupDirty,
            "the newest backup is dirty: the table was open with unsaved writes; Erlang repairs it on open".into(),
        );
    }
}

fn scheduler_health(s: &SchedulerFacts) -> ComponentHealth {
    let mut issues = Vec::new();
    let off = s.schedule == crate::scheduler::Schedule::Off.describe();
    if off {
        // Nothing is scheduled, so nothing scheduled stopped: a failed
        // triggered run shows on its tables (LAST_BACKUP_FAILED).
        let detail = if s.running {
            "schedule off: runs happen only when triggered; a run is under way"
        } else {
            "schedule off: runs happen only when triggered"
        };
        return component("scheduler", issues, detail.into());
    }
    if let Some(outcome @ (RunOutcome::Failed | RunOutcome::Partial | RunOutcome::Interrupted)) =
        s.last_outcome
    {
        issues.push(Issue {
            code: IssueCode::SchedulerStopped,
            severity: Status::Warning,
            table: None,
            message: format!("the last run ended {}", outcome.as_str()),
        });
    }
    let next = s.next_run.map_or("no run planned".to_owned(), |t| {
        format!("next run {}", t.format("%Y-%m-%dT%H:%M:%SZ"))
    });
    let detail = format!(
        "schedule {}; {next}{}",
        s.schedule,
        if s.running {
            "; a run is under way"
        } else {
            ""
        }
    );
    component("scheduler", issues, detail)
}

fn volume_health(obs: &Observations, th: &Thresholds) -> ComponentHealth {
    let mut issues = Vec::new();
    let detail = match obs.backup_free_bytes {
        Some(free) => {
            if free < obs.next_run_bytes {
                issues.push(Issue {
                    code: IssueCode::BackupDiskLow,
                    severity: Status::Critical,
                    table: None,
                    message: format!(
                        "{free} bytes free; the next run needs {}",
                        obs.next_run_bytes
                    ),
                });
            } else if free < th.min_free_bytes {
                issues.push(Issue {
                    code: IssueCode::BackupDiskLow,
                    severity: Status::Warning,
                    table: None,
                    message: format!(
                        "{free} bytes free, below the minimum of {}",
                        th.min_free_bytes
                    ),
                });
            }
            format!("{} free", human_bytes(free))
        }
        None => {
            issues.push(Issue {
                code: IssueCode::BackupDiskLow,
                severity: Status::Critical,
                table: None,
                message: "the backup volume's free space cannot be read".into(),
            });
            "unknown free space".into()
        }
    };
    component("backup_volume", issues, detail)
}

fn component(name: &'static str, issues: Vec<Issue>, detail: String) -> ComponentHealth {
    let issues = sorted(issues);
    ComponentHealth {
        name,
        status: worst(&issues),
        issues,
        detail,
    }
}

fn worst(issues: &[Issue]) -> Status {
    issues
        .iter()
        .map(|i| i.severity)
        .max()
        .unwrap_or(Status::Healthy)
}

fn sorted(mut issues: Vec<Issue>) -> Vec<Issue> {
    issues.sort_by_key(|i| std::cmp::Reverse(i.severity));
    issues
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn human(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        s if s >= 86_400 => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
        s if s >= 3600 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        s => format!("{}m {}s", s / 60, s % 60),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_next_run_needs_what_it_writes_plus_one_margin() {
        const MIB: u64 = 1 << 20;
        // 5,000 small tables (55 KB each): 5,000 copies of 14 blocks and
        // 5,000 manifests, and one 16 MiB margin: about 300 MiB, not 80 GiB.
        let need = next_run_need(std::iter::repeat_n(55_000, 5000), 16 * MIB);
        assert_eq!(need, 5000 * (14 * 4096 + 4096) + 16 * MIB);
        // One table of 1 GiB: the table, its manifest and the margin.
        assert_eq!(
            next_run_need([1024 * MIB], 16 * MIB),
            1024 * MIB + 4096 + 16 * MIB
        );
        // Nothing to back up: just the margin.
        assert_eq!(next_run_need([], 16 * MIB), 16 * MIB);
    }

    #[test]
    fn the_severity_table_of_the_docs_is_the_one_in_code() {
        let parse = |cell: &str| match cell.trim() {
            "CRITICAL" => Some(Status::Critical),
            "WARNING" => Some(Status::Warning),
            _ => None,
        };
        let mut rows = 0;
        for line in include_str!("health.rs").lines() {
            let cells: Vec<&str> = line.trim_start_matches("//!").split('|').collect();
            if !line.starts_with("//! |") || cells.len() != 6 {
                continue;
            }
            let Some(code) = ALL_CODES.iter().find(|c| c.as_str() == cells[1].trim()) else {
                continue;
            };
            rows += 1;
            for (role, cell) in [
                (Role::Critical, cells[2]),
                (Role::Listed, cells[3]),
                (Role::Discovered, cells[3]),
                (Role::Orphaned, cells[4]),
            ] {
                if let Some(documented) = parse(cell) {
                    assert_eq!(severity(*code, role), Some(documented), "{code:?} {role:?}");
                }
            }
        }
        assert_eq!(rows, 13, "every table issue is in the doc's table");
    }

    const ALL_CODES: [IssueCode; 17] = [
        IssueCode::BackupStale,
        IssueCode::NeverBackedUp,
        IssueCode::FragmentationHigh,
        IssueCode::LastBackupFailed,
        IssueCode::LastBackupDirty,
        IssueCode::TableMissing,
        IssueCode::TableUnreadable,
        IssueCode::BackupDiskLow,
        IssueCode::ErlangNodeUnreachable,
        IssueCode::SchedulerStopped,
        IssueCode::BackupCorrupt,
        IssueCode::DataDirUnreadable,
        IssueCode::ClockSkew,
        IssueCode::RestoreDrillFailed,
        IssueCode::DrillStale,
        IssueCode::NeverDrilled,
        IssueCode::SizeLimitNear,
    ];

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
    }

    fn figures(frag: f64) -> FileFigures {
        FileFigures {
            table_type: "set".into(),
            records: 10,
            keys: 10,
            file_size: 1000,
            free_bytes: (frag * 1000.0) as u64,
            fragmentation_ratio: frag,
            closed_properly: true,
        }
    }

    fn table(name: &str, role: Role, backups: Vec<BackupFacts>) -> TableObservation {
        TableObservation {
            entry: TableEntry {
                name: name.into(),
                path: format!("/data/{name}.dets").into(),
                role,
                present: true,
                backed_up: role != Role::Orphaned,
            },
            file: Ok(figures(0.1)),
            file_size: Some(1000),
            backups,
            last_attempt: None,
            last_drill: Some(drill(true, 1)),
        }
    }

    fn drill(passed: bool, hours_ago: i64) -> crate::drill::DrillFacts {
        crate::drill::DrillFacts {
            at: now() - chrono::Duration::hours(hours_ago),
            passed,
            level: crate::drill::DrillLevel::Erlang,
            backup: "t_1.dets".into(),
            error: (!passed).then(|| {
                crate::model::TableError::new(crate::model::ErrorCode::DrillFailed, "needs_repair")
            }),
        }
    }

    #[test]
    fn drills_failed_stale_and_never_done_are_issues_and_none_when_drills_are_off() {
        let with = |drill: Option<crate::drill::DrillFacts>, role: Role, backup_hours: i64| {
            let mut t = table("t", role, vec![backup(backup_hours, Consistency::Clean)]);
            t.last_drill = drill;
            t
        };
        let th = Thresholds::default();
        let cases = [
            (
                with(Some(drill(false, 1)), Role::Critical, 1),
                vec![(IssueCode::RestoreDrillFailed, Status::Critical)],
            ),
            (
                with(Some(drill(false, 1)), Role::Listed, 1),
                vec![(IssueCode::RestoreDrillFailed, Status::Warning)],
            ),
            (
                with(Some(drill(true, 9 * 24)), Role::Critical, 1),
                vec![(IssueCode::DrillStale, Status::Warning)],
            ),
            (with(Some(drill(true, 7 * 24)), Role::Critical, 1), vec![]),
            (
                with(None, Role::Critical, 25),
                vec![(IssueCode::NeverDrilled, Status::Warning)],
            ),
            // A first backup less than a day old has a day before its first drill.
            (with(None, Role::Critical, 2), vec![]),
        ];
        for (i, (obs, expected)) in cases.into_iter().enumerate() {
            let report = compute_health(&observations(vec![obs]), &th, now());
            assert_eq!(codes(&report.tables[0]), expected, "case {i}");
        }
        let off = Thresholds {
            drill_stale_after: None,
            ..Thresholds::default()
        };
        let report = compute_health(
            &observations(vec![with(Some(drill(false, 1)), Role::Critical, 25)]),
            &off,
            now(),
        );
        assert_eq!(
            codes(&report.tables[0]),
            vec![],
            "drills off: no drill issues"
        );
    }

    fn backup(hours_ago: i64, consistency: Consistency) -> BackupFacts {
        BackupFacts {
            file: format!("t_{hours_ago}.dets"),
            at: now() - chrono::Duration::hours(hours_ago),
            consistency: Some(consistency),
            verified: true,
            corrupt: None,
        }
    }

    fn observations(tables: Vec<TableObservation>) -> Observations {
        Observations {
            unreadable_data_dirs: Vec::new(),
            tables,
            backup_free_bytes: Some(1 << 40),
            next_run_bytes: 1 << 20,
            scheduler: SchedulerFacts {
                schedule: "0 3 * * *".into(),
                next_run: None,
                running: false,
                last_outcome: None,
            },
            erlang_node: None,
            offsite: Vec::new(),
        }
    }

    fn codes(t: &TableHealth) -> Vec<(IssueCode, Status)> {
        t.issues.iter().map(|i| (i.code, i.severity)).collect()
    }

    #[test]
    fn a_failed_run_stops_a_schedule_but_an_off_schedule_is_no_problem() {
        let scheduler = |schedule: &str| {
            let mut obs = observations(Vec::new());
            obs.scheduler.schedule = schedule.into();
            obs.scheduler.last_outcome = Some(RunOutcome::Failed);
            let report = compute_health(&obs, &Thresholds::default(), now());
            report
                .components
                .into_iter()
                .find(|c| c.name == "scheduler")
                .unwrap()
        };
        let daily = scheduler("0 3 * * *");
        assert_eq!(daily.issues[0].code, IssueCode::SchedulerStopped);
        let off = scheduler("off");
        assert!(off.issues.is_empty(), "{off:?}");
        assert_eq!(off.status, Status::Healthy);
        assert!(off.detail.contains("schedule off"), "{}", off.detail);
    }

    #[test]
    fn a_fresh_clean_backup_is_healthy() {
        let obs = observations(vec![table(
            "users",
            Role::Discovered,
            vec![backup(2, Consistency::Clean)],
        )]);
        let report = compute_health(&obs, &Thresholds::default(), now());
        assert_eq!(report.status, Status::Healthy);
        assert_eq!(
            report.tables[0].since_last_backup,
            Some(Duration::from_secs(7200))
        );
        assert_eq!(report.tables[0].backups_retained, 1);
    }

    #[test]
    fn a_backup_from_the_future_is_clock_skew_and_not_a_fresh_backup() {
        // Named a year ahead (the clock was fast, then corrected), and an
        // older copy with a believable time.
        let obs = observations(vec![table(
            "users",
            Role::Discovered,
            vec![
                backup(-24 * 365, Consistency::Clean),
                backup(3, Consistency::Clean),
            ],
        )]);
        let report = compute_health(&obs, &Thresholds::default(), now());
        let users = &report.tables[0];
        assert_eq!(codes(users), [(IssueCode::ClockSkew, Status::Warning)]);
        assert!(
            users.issues[0].message.contains("t_-8760.dets"),
            "{:?}",
            users.issues
        );
        assert_eq!(users.since_last_backup, Some(Duration::from_secs(3 * 3600)));
        // Only the copy from the future: its age is unknown, not "0 s".
        let obs = observations(vec![table(
            "users",
            Role::Discovered,
            vec![backup(-1, Consistency::Clean)],
        )]);
        let report = compute_health(&obs, &Thresholds::default(), now());
        assert_eq!(report.tables[0].since_last_backup, None);
        assert_eq!(
            codes(&report.tables[0]),
            [(IssueCode::ClockSkew, Status::Warning)]
        );
        // A minute ahead is clocks a little apart, not skew.
        let mut close = backup(0, Consistency::Clean);
        close.at += chrono::Duration::minutes(1);
        let report = compute_health(
            &observations(vec![table("users", Role::Discovered, vec![close])]),
            &Thresholds::default(),
            now(),
        );
        assert_eq!(report.status, Status::Healthy);
        assert_eq!(report.tables[0].since_last_backup, Some(Duration::ZERO));
    }

    #[test]
    fn severity_follows_the_role() {
        let stale = || vec![backup(72, Consistency::Clean)];
        let obs = observations(vec![
            table("crit", Role::Critical, stale()),
            table("listed", Role::Listed, stale()),
            table("orphan", Role::Orphaned, vec![]),
        ]);
        let report = compute_health(&obs, &Thresholds::default(), now());
        let by_name = |n: &str| report.tables.iter().find(|t| t.name == n).unwrap().clone();
        assert_eq!(
            codes(&by_name("crit")),
            [(IssueCode::BackupStale, Status::Critical)]
        );
        assert_eq!(
            codes(&by_name("listed")),
            [(IssueCode::BackupStale, Status::Warning)]
        );
        assert_eq!(
            codes(&by_name("orphan")),
            [],
            "orphans not backed up get no backup issues"
        );
        assert_eq!(report.status, Status::Critical);
        assert_eq!(report.tables[0].name, "crit", "worst first");

        let mut missing = table("gone", Role::Critical, vec![]);
        missing.entry.present = false;
        let mut missing_listed = table("gone2", Role::Listed, vec![]);
        missing_listed.entry.present = false;
        let report = compute_health(
            &observations(vec![missing, missing_listed]),
            &Thresholds::default(),
            now(),
        );
        assert_eq!(report.tables[0].issues[0].code, IssueCode::TableMissing);
        assert_eq!(report.tables[0].status, Status::Critical);
        assert_eq!(report.tables[1].status, Status::Warning);
    }

    #[test]
    fn failures_dirt_fragmentation_and_unreadable_files() {
        let mut failed = table("failed", Role::Listed, vec![backup(1, Consistency::Clean)]);
        failed.last_attempt = Some(AttemptFacts {
            outcome: TableOutcome::Failed,
            at: now(),
            error: Some(crate::model::TableError::new(
                crate::model::ErrorCode::BackupDiskFull,
                "no room",
            )),
        });
        let dirty = table(
            "dirty",
            Role::Listed,
            vec![
                backup(1, Consistency::Dirty),
                backup(30, Consistency::Clean),
            ],
        );
        let mut fragmented = table("frag", Role::Listed, vec![backup(1, Consistency::Clean)]);
        fragmented.file = Ok(figures(0.6));
        let mut broken = table(
            "broken",
            Role::Discovered,
            vec![backup(1, Consistency::Clean)],
        );
        broken.file = Err("corrupt slot 3 at offset 5436".into());
        let report = compute_health(
            &observations(vec![failed, dirty, fragmented, broken]),
            &Thresholds::default(),
            now(),
        );
        let by_name = |n: &str| report.tables.iter().find(|t| t.name == n).unwrap().clone();
        assert_eq!(
            codes(&by_name("failed")),
            [(IssueCode::LastBackupFailed, Status::Warning)]
        );
        assert!(by_name("failed").issues[0]
            .message
            .contains("BACKUP_DISK_FULL"));
        assert_eq!(
            codes(&by_name("dirty")),
            [(IssueCode::LastBackupDirty, Status::Warning)]
        );
        assert_eq!(
            codes(&by_name("frag")),
            [(IssueCode::FragmentationHigh, Status::Warning)]
        );
        // The remedy is named with what it reclaims.
        let frag = &by_name("frag").issues[0].message;
        assert!(frag.contains("600 bytes reclaimable"), "{frag}");
        assert!(
            frag.contains("tablesafe compact frag") && frag.contains("about 400 bytes"),
            "{frag}"
        );
        assert_eq!(
            codes(&by_name("broken")),
            [(IssueCode::TableUnreadable, Status::Critical)]
        );
        assert_eq!(report.components[0].issues.len(), 4);
    }

    #[test]
    fn a_file_past_three_quarters_of_2_gib_is_near_the_limit() {
        let sized = |name: &str, bytes: u64| {
            let mut t = table(name, Role::Critical, vec![backup(1, Consistency::Clean)]);
            t.file = Ok(FileFigures {
                file_size: bytes,
                free_bytes: 1 << 20,
                fragmentation_ratio: (1 << 20) as f64 / bytes as f64,
                ..figures(0.0)
            });
            t
        };
        let limit = DETS_SIZE_LIMIT;
        let report = compute_health(
            &observations(vec![
                sized("below", limit / 4 * 3),
                sized("above", limit / 4 * 3 + 1),
            ]),
            &Thresholds::default(),
            now(),
        );
        let by_name = |n: &str| report.tables.iter().find(|t| t.name == n).unwrap().clone();
        assert!(codes(&by_name("below")).is_empty());
        assert_eq!(
            codes(&by_name("above")),
            [(IssueCode::SizeLimitNear, Status::Warning)]
        );
        let message = &by_name("above").issues[0].message;
        assert!(
            message.contains("75.0%") && message.contains("1048576 bytes"),
            "{message}"
        );
    }

    #[test]
    fn volume_scheduler_and_node_components() {
        let mut obs = observations(vec![table(
            "t",
            Role::Discovered,
            vec![backup(1, Consistency::Clean)],
        )]);
        obs.backup_free_bytes = Some(100);
        obs.next_run_bytes = 1000;
        obs.scheduler.last_outcome = Some(RunOutcome::Partial);
        obs.erlang_node = Some(Err("connection refused".into()));
        let report = compute_health(
            &obs,
            &Thresholds {
                min_free_bytes: 10,
                ..Default::default()
            },
            now(),
        );
        let status: Vec<_> = report
            .components
            .iter()
            .map(|c| (c.name, c.status))
            .collect();
        assert_eq!(
            status,
            [
                ("storage", Status::Healthy),
                ("scheduler", Status::Warning),
                ("backup_volume", Status::Critical),
                ("erlang_node", Status::Warning)
            ]
        );
        assert_eq!(report.status, Status::Critical);
        obs.backup_free_bytes = Some(5000);
        let report = compute_health(
            &obs,
            &Thresholds {
                min_free_bytes: 10_000,
                ..Default::default()
            },
            now(),
        );
        assert_eq!(report.components[2].status, Status::Warning);
    }

    #[test]
    fn offsite_lagging_failed_and_damaged_copies_are_issues_per_destination() {
        use crate::offsite::{DestinationFacts, Failure, TableOffsite};
        use crate::store::BackupName;
        let copy =
            |hours_ago: i64| BackupName::new("t", now() - chrono::Duration::hours(hours_ago));
        let dest = |tables: TableOffsite, failure: Option<Failure>| DestinationFacts {
            name: "s3".into(),
            stale_after: std::time::Duration::from_secs(48 * 3600),
            last_pass: Some(now()),
            failure,
            tables: [("t".to_owned(), tables)].into(),
        };
        let failure = || Failure {
            at: now(),
            message: "connection refused".into(),
        };
        let current = TableOffsite {
            newest: Some(copy(1)),
            copies: 1,
            ..TableOffsite::default()
        };
        let cases = [
            // A copy an hour old: nothing to say.
            (dest(current.clone(), None), vec![1], vec![]),
            // The newest copy there is three days old.
            (
                dest(
                    TableOffsite {
                        newest: Some(copy(72)),
                        ..current.clone()
                    },
                    None,
                ),
                vec![1],
                vec![(IssueCode::OffsiteLagging, Status::Warning)],
            ),
            // None there yet: fine while the local copy is younger than
            // stale_after, lagging once it waited longer.
            (dest(TableOffsite::default(), None), vec![1], vec![]),
            (
                dest(TableOffsite::default(), None),
                vec![1, 50],
                vec![(IssueCode::OffsiteLagging, Status::Warning)],
            ),
            // The store unreachable: failed, and the copy is still current.
            (
                dest(current.clone(), Some(failure())),
                vec![1],
                vec![(IssueCode::OffsiteFailed, Status::Warning)],
            ),
            // A copy a verify round found damaged.
            (
                dest(
                    TableOffsite {
                        damaged: [(copy(30), failure())].into(),
                        ..current.clone()
                    },
                    None,
                ),
                vec![1],
                vec![(IssueCode::OffsiteFailed, Status::Warning)],
            ),
        ];
        for (i, (facts, local_hours, expected)) in cases.into_iter().enumerate() {
            let local = local_hours
                .into_iter()
                .map(|h| backup(h, Consistency::Clean))
                .collect();
            let mut obs = observations(vec![table("t", Role::Listed, local)]);
            obs.offsite = vec![facts];
            let report = compute_health(&obs, &Thresholds::default(), now());
            let t = &report.tables[0];
            assert_eq!(codes(t), expected, "case {i}: {:?}", t.issues);
            assert_eq!(t.offsite.len(), 1, "case {i}");
            assert_eq!(t.offsite[0].destination, "s3");
            let offsite = report.components.iter().find(|c| c.name == "offsite");
            assert!(offsite.is_some(), "case {i}: an offsite component");
        }
    }
}
