//! `GET /metrics`: Prometheus text format, from the health snapshot (gauges,
//! set at scrape time) and the event bus (counters and durations).

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use tablesafe_engine::events::{EventBus, EventPayload};
use tablesafe_engine::health::{HealthReport, Status};
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
    table_backups: Family<Labels, Gauge>,
    table_status: Family<Labels, Gauge>,
    health_status: Family<Labels, Gauge>,
    runs: Family<Labels, Counter>,
    restores: Family<Labels, Counter>,
    table_backups_total: Family<Labels, Counter>,
    backup_duration: Family<Labels, Histogram, fn() -> Histogram>,
    /// Serialises scrapes: gauges are reset and refilled from one snapshot.
    scrape: Mutex<()>,
}

fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 4.0, 12))
}

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
            table_backups: Family::default(),
            table_status: Family::default(),
            health_status: Family::default(),
            runs: Family::default(),
            restores: Family::default(),
            table_backups_total: Family::default(),
            backup_duration: Family::new_with_constructor(duration_histogram),
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
            "health_status",
            "Status of the system and each component: 0 healthy, 1 warning, 2 critical",
            m.health_status.clone(),
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
                self.restores
                    .get_or_create(&vec![("outcome", outcome.to_owned())])
                    .inc();
            }
            EventPayload::RunFinished { outcome, .. } => {
                self.runs
                    .get_or_create(&vec![("outcome", outcome.as_str().to_owned())])
                    .inc();
            }
            EventPayload::TableBackedUp {
                table, duration, ..
            } => {
                let labels = vec![("table", table.clone())];
                self.backup_duration
                    .get_or_create(&labels)
                    .observe(duration.as_secs_f64());
                self.table_backups_total
                    .get_or_create(&vec![
                        ("table", table.clone()),
                        ("outcome", "succeeded".into()),
                    ])
                    .inc();
            }
            EventPayload::TableBackupFailed { table, .. } => {
                self.table_backups_total
                    .get_or_create(&vec![
                        ("table", table.clone()),
                        ("outcome", "failed".into()),
                    ])
                    .inc();
            }
            _ => {}
        }
    }

    /// The text exposition, with gauges from `report`.
    pub fn render(&self, report: &HealthReport) -> String {
        let _guard = self.scrape.lock().unwrap_or_else(|p| p.into_inner());
        for family in [
            &self.table_records,
            &self.table_keys,
            &self.table_size,
            &self.table_free,
            &self.table_backups,
            &self.table_status,
        ] {
            family.clear();
        }
        self.table_fragmentation.clear();
        self.table_last_backup.clear();
        self.health_status.clear();
        for table in &report.tables {
            let labels = vec![("table", table.name.clone())];
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
                    .set(at.timestamp_millis() as f64 / 1000.0);
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
        }
        let mut text = String::new();
        if let Err(e) = encode(&mut text, &self.registry) {
            tracing::error!(error = %e, "cannot encode metrics");
        }
        text
    }
}

fn level(status: Status) -> i64 {
    match status {
        Status::Healthy => 0,
        Status::Warning => 1,
        Status::Critical => 2,
    }
}
