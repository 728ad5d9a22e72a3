//! `GET /metrics`: Prometheus text format, from the health snapshot (gauges,
//! set at scrape time) and the event bus (counters and durations).
//!
//! Every metric has HELP and its unit in its name. Each `..._timestamp_seconds`
//! gauge has an `..._age_seconds` gauge beside it (the age at scrape time), for
//! tools that cannot subtract from the current time. Counters start at 0 for
//! every label value they can take (each table, each outcome), so a first
//! failure is an increase that `increase()` sees. `monitoring/` has alerting
//! rules and a Grafana dashboard over these names (held to them by
//! tests/monitoring.rs).

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use tablesafe_engine::catalog::Role;
use tablesafe_engine::drill::DrillLevel;
use tablesafe_engine::events::{EventBus, EventPayload};
use tablesafe_engine::health::{HealthReport, Status};
use tablesafe_engine::model::RunOutcome;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

type Labels = Vec<(&'static str, String)>;
type FloatGauge = Gauge<f64, AtomicU64>;

/// Every metric tablesafe exports.
pub struct Metrics {
    registry: Registry,
    table_records: Family<Labels, Gauge>,
    table_keys: Family<Labels, Gauge>,
    table_size: Family<Labels, Gauge>,
    table_free: Family<Labels, Gauge>,
    table_fragmentation: Family<Labels, FloatGauge>,
    table_last_backup: Family<Labels, FloatGauge>,
    table_last_backup_age: Family<Labels, FloatGauge>,
    table_last_drill: Family<Labels, FloatGauge>,
    table_last_drill_age: Family<Labels, FloatGauge>,
    table_last_offsite: Family<Labels, FloatGauge>,
    table_last_offsite_age: Family<Labels, FloatGauge>,
    table_offsite_pending: Family<Labels, Gauge>,
    table_backups: Family<Labels, Gauge>,
    table_status: Family<Labels, Gauge>,
    table_info: Family<Labels, Gauge>,
    table_issues: Family<Labels, Gauge>,
    component_issues: Family<Labels, Gauge>,
    health_status: Family<Labels, Gauge>,
    snapshot_at: FloatGauge,
    snapshot_age: FloatGauge,
    volume_free: Family<Labels, Gauge>,
    runs: Family<Labels, Counter>,
    restores: Family<Labels, Counter>,
    compactions: Family<Labels, Counter>,
    compaction_reclaimed: Counter,
    drills: Family<Labels, Counter>,
    table_backups_total: Family<Labels, Counter>,
    backup_duration: Family<Labels, Histogram, fn() -> Histogram>,
    run_duration: Histogram,
    /// Serialises scrapes: gauges are reset and refilled from one snapshot.
    scrape: Mutex<()>,
}

fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 4.0, 12))
}

/// Every outcome a finished run can have (`running` is never finished).
const RUN_OUTCOMES: [RunOutcome; 4] = [
    RunOutcome::Succeeded,
    RunOutcome::Partial,
    RunOutcome::Failed,
    RunOutcome::Interrupted,
];

impl Metrics {
    /// A registry with every metric described.
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("tablesafe");
        let m = Self {
            table_records: Family::default(),
            table_keys: Family::default(),
            table_size: Family::default(),
            table_free: Family::default(),
            table_fragmentation: Family::default(),
            table_last_backup: Family::default(),
            table_last_backup_age: Family::default(),
            table_last_offsite: Family::default(),
            table_last_offsite_age: Family::default(),
            table_offsite_pending: Family::default(),
            table_last_drill: Family::default(),
            table_last_drill_age: Family::default(),
            table_backups: Family::default(),
            table_status: Family::default(),
            table_info: Family::default(),
            table_issues: Family::default(),
            component_issues: Family::default(),
            health_status: Family::default(),
            snapshot_at: FloatGauge::default(),
            snapshot_age: FloatGauge::default(),
            volume_free: Family::default(),
            runs: Family::default(),
            restores: Family::default(),
            compactions: Family::default(),
            compaction_reclaimed: Counter::default(),
            drills: Family::default(),
            table_backups_total: Family::default(),
            backup_duration: Family::new_with_constructor(duration_histogram),
            run_duration: Histogram::new(exponential_buckets(0.01, 4.0, 12)),
            scrape: Mutex::new(()),
            registry: Registry::default(),
        };
        registry.register(
            "table_records",
            "Objects in the table",
            m.table_records.clone(),
        );
        registry.register(
            "table_keys",
            "Distinct keys in the table",
            m.table_keys.clone(),
        );
        registry.register_with_unit(
            "table_file_size",
            "Size of the table's file",
            Unit::Bytes,
            m.table_size.clone(),
        );
        registry.register_with_unit(
            "table_free",
            "Free space inside the table's data area",
            Unit::Bytes,
            m.table_free.clone(),
        );
        registry.register(
            "table_fragmentation_ratio",
            "Free bytes over file size",
            m.table_fragmentation.clone(),
        );
        registry.register_with_unit(
            "table_last_backup_timestamp",
            "Capture time of the newest verified backup, Unix time",
            Unit::Seconds,
            m.table_last_backup.clone(),
        );
        registry.register_with_unit(
            "table_last_offsite_timestamp",
            "Capture time of the newest copy stored and checked at an offsite destination, Unix time",
            Unit::Seconds,
            m.table_last_offsite.clone(),
        );
        registry.register_with_unit(
            "table_last_offsite_age",
            "Age of the newest copy at an offsite destination at scrape time",
            Unit::Seconds,
            m.table_last_offsite_age.clone(),
        );
        registry.register(
            "table_offsite_pending",
            "Verified local backups not yet stored at an offsite destination",
            m.table_offsite_pending.clone(),
        );
        registry.register_with_unit(
            "table_last_drill_timestamp",
            "Unix time of the table's last restore drill that passed",
            Unit::Seconds,
            m.table_last_drill.clone(),
        );
        registry.register_with_unit(
            "table_last_drill_age",
            "Age of the table's last restore drill that passed, at scrape time",
            Unit::Seconds,
            m.table_last_drill_age.clone(),
        );
        registry.register(
            "drills",
            "Table restore drills, by outcome (passed, failed) and level (reader, erlang)",
            m.drills.clone(),
        );
        registry.register_with_unit(
            "table_last_backup_age",
            "Age of the newest verified backup at scrape time (absent when its capture time is ahead of the clock)",
            Unit::Seconds,
            m.table_last_backup_age.clone(),
        );
        registry.register(
            "table_backups_retained",
            "Backups of the table on disk",
            m.table_backups.clone(),
        );
        registry.register(
            "table_health_status",
            "Table status: 0 healthy, 1 warning, 2 critical",
            m.table_status.clone(),
        );
        registry.register(
            "table_info",
            "Always 1: the table's role (critical, listed, discovered, orphaned), to join on",
            m.table_info.clone(),
        );
        registry.register(
            "table_issues",
            "Issues of the table in health, by code (BACKUP_CORRUPT counts corrupt copies)",
            m.table_issues.clone(),
        );
        registry.register(
            "health_status",
            "Status of the system and each component: 0 healthy, 1 warning, 2 critical",
            m.health_status.clone(),
        );
        registry.register(
            "component_issues",
            "Issues of a component that are not a table's, by component and code",
            m.component_issues.clone(),
        );
        registry.register_with_unit(
            "health_snapshot_timestamp",
            "When the health snapshot behind these gauges was computed, Unix time",
            Unit::Seconds,
            m.snapshot_at.clone(),
        );
        registry.register_with_unit(
            "health_snapshot_age",
            "Age of the health snapshot behind these gauges at scrape time",
            Unit::Seconds,
            m.snapshot_age.clone(),
        );
        registry.register_with_unit(
            "backup_volume_free",
            "Free space on the backup volume",
            Unit::Bytes,
            m.volume_free.clone(),
        );
        registry.register(
            "backup_runs",
            "Backup runs finished, by outcome",
            m.runs.clone(),
        );
        registry.register(
            "restores",
            "Restores finished, by outcome",
            m.restores.clone(),
        );
        registry.register(
            "compactions",
            "Table compactions finished, by outcome",
            m.compactions.clone(),
        );
        registry.register_with_unit(
            "compaction_reclaimed",
            "Bytes compactions reclaimed, in all",
            Unit::Bytes,
            m.compaction_reclaimed.clone(),
        );
        registry.register(
            "table_backups",
            "Table backups attempted, by table and outcome",
            m.table_backups_total.clone(),
        );
        registry.register_with_unit(
            "backup_duration",
            "Time to back up one table",
            Unit::Seconds,
            m.backup_duration.clone(),
        );
        registry.register_with_unit(
            "backup_run_duration",
            "Wall time of a backup run, every table in it",
            Unit::Seconds,
            m.run_duration.clone(),
        );
        for outcome in RUN_OUTCOMES {
            drop(m.runs.get_or_create(&outcome_label(outcome.as_str())));
        }
        for outcome in ["succeeded", "failed"] {
            drop(m.restores.get_or_create(&outcome_label(outcome)));
            drop(m.compactions.get_or_create(&outcome_label(outcome)));
        }
        for outcome in ["passed", "failed"] {
            for level in [DrillLevel::Reader, DrillLevel::Erlang] {
                drop(m.drills.get_or_create(&drill_labels(outcome, level)));
            }
        }
        Arc::new(Self { registry, ..m })
    }

    /// Counts runs and table backups as the engine announces them, until `stop`.
    pub fn follow(self: &Arc<Self>, bus: &EventBus, stop: CancellationToken, tasks: &TaskTracker) {
        let metrics = self.clone();
        let mut events = bus.subscribe(None);
        tasks.spawn(async move {
            loop {
                let event = tokio::select! {
                    () = stop.cancelled() => break,
                    event = events.next() => event,
                };
                metrics.record(&event.payload);
            }
        });
    }

    fn record(&self, payload: &EventPayload) {
        match payload {
            EventPayload::RestoreFinished { error, .. } => {
                let outcome = if error.is_some() {
                    "failed"
                } else {
                    "succeeded"
                };
                self.restores.get_or_create(&outcome_label(outcome)).inc();
            }
            EventPayload::TableCompacted {
                error,
                bytes_before,
                bytes_after,
                ..
            } => {
                let outcome = if error.is_some() {
                    "failed"
                } else {
                    "succeeded"
                };
                self.compactions
                    .get_or_create(&outcome_label(outcome))
                    .inc();
                if error.is_none() {
                    self.compaction_reclaimed
                        .inc_by(bytes_before.saturating_sub(*bytes_after));
                }
            }
            EventPayload::TableDrilled { facts, .. } => {
                let outcome = if facts.passed { "passed" } else { "failed" };
                self.drills
                    .get_or_create(&drill_labels(outcome, facts.level))
                    .inc();
            }
            EventPayload::RunFinished {
                outcome, duration, ..
            } => {
                self.runs
                    .get_or_create(&outcome_label(outcome.as_str()))
                    .inc();
                self.run_duration.observe(duration.as_secs_f64());
            }
            EventPayload::TableBackedUp {
                table, duration, ..
            } => {
                let labels = vec![("table", table.clone())];
                self.backup_duration
                    .get_or_create(&labels)
                    .observe(duration.as_secs_f64());
                self.table_backups_total
                    .get_or_create(&table_outcome(table, "succeeded"))
                    .inc();
            }
            EventPayload::TableBackupFailed { table, .. } => {
                self.table_backups_total
                    .get_or_create(&table_outcome(table, "failed"))
                    .inc();
            }
            _ => {}
        }
    }

    /// The text exposition, with gauges from `report`.
    pub fn render(&self, report: &HealthReport) -> String {
        let _guard = self.scrape.lock().unwrap_or_else(|p| p.into_inner());
        let now = Utc::now();
        for family in [
            &self.table_records,
            &self.table_keys,
            &self.table_size,
            &self.table_free,
            &self.table_backups,
            &self.table_status,
            &self.table_info,
            &self.table_issues,
            &self.component_issues,
            &self.health_status,
            &self.volume_free,
            &self.table_offsite_pending,
        ] {
            family.clear();
        }
        self.table_last_offsite.clear();
        self.table_last_offsite_age.clear();
        self.table_fragmentation.clear();
        self.table_last_backup.clear();
        self.table_last_backup_age.clear();
        self.table_last_drill.clear();
        self.table_last_drill_age.clear();
        for table in &report.tables {
            let labels = vec![("table", table.name.clone())];
            self.table_info
                .get_or_create(&vec![
                    ("table", table.name.clone()),
                    ("role", role_label(table.role).to_owned()),
                ])
                .set(1);
            for issue in &table.issues {
                self.table_issues
                    .get_or_create(&vec![
                        ("table", table.name.clone()),
                        ("code", issue.code.as_str().to_owned()),
                    ])
                    .inc();
            }
            for outcome in ["succeeded", "failed"] {
                drop(
                    self.table_backups_total
                        .get_or_create(&table_outcome(&table.name, outcome)),
                );
            }
            if let Some(f) = &table.figures {
                self.table_records
                    .get_or_create(&labels)
                    .set(f.records as i64);
                self.table_keys.get_or_create(&labels).set(f.keys as i64);
                self.table_size
                    .get_or_create(&labels)
                    .set(f.file_size as i64);
                self.table_free
                    .get_or_create(&labels)
                    .set(f.free_bytes as i64);
                self.table_fragmentation
                    .get_or_create(&labels)
                    .set(f.fragmentation_ratio);
            }
            if let Some(at) = table.last_backup_at {
                self.table_last_backup
                    .get_or_create(&labels)
                    .set(unix_seconds(at));
                // Health leaves the age unknown when the copy claims to be
                // from the future (CLOCK_SKEW): no age, rather than a wrong one.
                if table.since_last_backup.is_some() {
                    self.table_last_backup_age
                        .get_or_create(&labels)
                        .set(seconds_between(at, now));
                }
            }
            if let Some(drill) = table.last_drill.as_ref().filter(|d| d.passed) {
                self.table_last_drill
                    .get_or_create(&labels)
                    .set(unix_seconds(drill.at));
                self.table_last_drill_age
                    .get_or_create(&labels)
                    .set(seconds_between(drill.at, now));
            }
            for offsite in &table.offsite {
                let labels = vec![
                    ("table", table.name.clone()),
                    ("destination", offsite.destination.clone()),
                ];
                if let Some(at) = offsite.last_copy_at {
                    self.table_last_offsite
                        .get_or_create(&labels)
                        .set(unix_seconds(at));
                    self.table_last_offsite_age
                        .get_or_create(&labels)
                        .set(seconds_between(at, now));
                }
                self.table_offsite_pending
                    .get_or_create(&labels)
                    .set(i64::from(offsite.pending));
            }
            self.table_backups
                .get_or_create(&labels)
                .set(i64::from(table.backups_retained));
            self.table_status
                .get_or_create(&labels)
                .set(level(table.status));
        }
        self.health_status
            .get_or_create(&vec![("component", "system".into())])
            .set(level(report.status));
        for component in &report.components {
            self.health_status
                .get_or_create(&vec![("component", component.name.to_owned())])
                .set(level(component.status));
            for issue in component.issues.iter().filter(|i| i.table.is_none()) {
                self.component_issues
                    .get_or_create(&vec![
                        ("component", component.name.to_owned()),
                        ("code", issue.code.as_str().to_owned()),
                    ])
                    .inc();
            }
        }
        if let Some(free) = report.backup_free_bytes {
            self.volume_free
                .get_or_create(&Vec::new())
                .set(i64::try_from(free).unwrap_or(i64::MAX));
        }
        self.snapshot_at.set(unix_seconds(report.computed_at));
        self.snapshot_age
            .set(seconds_between(report.computed_at, now));
        let mut text = String::new();
        if let Err(e) = encode(&mut text, &self.registry) {
            tracing::error!(error = %e, "cannot encode metrics");
        }
        text
    }
}

fn drill_labels(outcome: &str, level: DrillLevel) -> Labels {
    vec![
        ("outcome", outcome.to_owned()),
        ("level", level.as_str().to_owned()),
    ]
}

fn outcome_label(outcome: &str) -> Labels {
    vec![("outcome", outcome.to_owned())]
}

/// The labels of `tablesafe_table_backups_total`, in the one order the
/// family knows them by.
fn table_outcome(table: &str, outcome: &str) -> Labels {
    vec![("table", table.to_owned()), ("outcome", outcome.to_owned())]
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Critical => "critical",
        Role::Listed => "listed",
        Role::Discovered => "discovered",
        Role::Orphaned => "orphaned",
    }
}

fn unix_seconds(at: DateTime<Utc>) -> f64 {
    at.timestamp_millis() as f64 / 1000.0
}

/// Seconds from `from` to `to`, never negative.
fn seconds_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    ((to - from).num_milliseconds() as f64 / 1000.0).max(0.0)
}

fn level(status: Status) -> i64 {
    match status {
        Status::Healthy => 0,
        Status::Warning => 1,
        Status::Critical => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_never_negative() {
        let at = DateTime::from_timestamp(1_000_000, 0).unwrap();
        let later = DateTime::from_timestamp(1_000_090, 500_000_000).unwrap();
        assert_eq!(seconds_between(at, later), 90.5);
        assert_eq!(seconds_between(later, at), 0.0);
    }

    #[test]
    fn counters_start_at_zero_for_every_outcome() {
        let metrics = Metrics::new();
        let mut text = String::new();
        encode(&mut text, &metrics.registry).unwrap();
        for outcome in ["succeeded", "partial", "failed", "interrupted"] {
            let line = format!("tablesafe_backup_runs_total{{outcome=\"{outcome}\"}} 0");
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        for outcome in ["succeeded", "failed"] {
            for family in ["restores", "compactions"] {
                let line = format!("tablesafe_{family}_total{{outcome=\"{outcome}\"}} 0");
                assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
            }
        }
        assert!(
            text.contains("tablesafe_backup_run_duration_seconds_count 0"),
            "{text}"
        );
    }
}
