//! Keeps the health snapshot: gathers observations from disk (tables, backups
//! and manifests, the ledger through the engine), computes the report, and
//! publishes it as the latest value and status changes as events.
//!
//! Refreshed on an interval, after every run, and on request. Readers take the
//! latest snapshot from a `watch` and never wait for a refresh.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::Utc;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::catalog::TableEntry;
use crate::control::Handle;
use crate::dets;
use crate::erlang::{NodeClient, NodeStatus};
use crate::events::{EventBus, EventPayload};
use crate::health::{
    compute_health, BackupFacts, FileFigures, HealthReport, Observations, SchedulerFacts, Status,
    TableObservation, Thresholds,
};
use crate::offsite::OffsiteHandle;
use crate::store::BackupStore;

/// Settings of the monitor.
#[derive(Debug, Clone)]
pub struct MonitorConfig {
    /// Issue thresholds.
    pub thresholds: Thresholds,
    /// Time between refreshes.
    pub refresh_interval: Duration,
    /// Free space a copy needs beyond the table's size.
    pub free_space_margin: u64,
}

/// Reads the latest report and asks for fresh ones.
#[derive(Clone)]
pub struct HealthHandle {
    latest: watch::Receiver<Arc<HealthReport>>,
    refresh: mpsc::Sender<oneshot::Sender<Arc<HealthReport>>>,
}

impl HealthHandle {
    /// The latest snapshot (no waiting).
    pub fn latest(&self) -> Arc<HealthReport> {
        self.latest.borrow().clone()
    }

    /// Recomputes from disk and returns the new snapshot; the latest one if the
    /// monitor has stopped.
    pub async fn refresh(&self) -> Arc<HealthReport> {
        let (reply, answer) = oneshot::channel();
        if self.refresh.send(reply).await.is_err() {
            return self.latest();
        }
        answer.await.unwrap_or_else(|_| self.latest())
    }

    /// A receiver that wakes on every new snapshot.
    pub fn subscribe(&self) -> watch::Receiver<Arc<HealthReport>> {
        self.latest.clone()
    }
}

/// A file's figures as of its size and mtime, reused while neither changes.
type FigureCache = HashMap<PathBuf, (u64, Option<SystemTime>, Result<FileFigures, String>)>;

struct Monitor {
    config: MonitorConfig,
    engine: Handle,
    node: Option<NodeClient>,
    offsite: OffsiteHandle,
    bus: EventBus,
    cache: FigureCache,
    latest: watch::Sender<Arc<HealthReport>>,
}

/// Computes a first report, then keeps it fresh on `tasks` until `shutdown`.
pub async fn start(
    config: MonitorConfig,
    engine: Handle,
    node: Option<NodeClient>,
    offsite: OffsiteHandle,
    shutdown: CancellationToken,
    tasks: &TaskTracker,
) -> HealthHandle {
    let bus = engine.events().clone();
    let mut monitor = Monitor {
        config,
        engine,
        node,
        offsite,
        bus,
        cache: FigureCache::new(),
        latest: watch::channel(Arc::new(empty_report())).0,
    };
    let first = monitor.compute().await;
    monitor.latest.send_replace(first);
    let (refresh_tx, refresh_rx) = mpsc::channel(64);
    let handle = HealthHandle {
        latest: monitor.latest.subscribe(),
        refresh: refresh_tx,
    };
    tasks.spawn(
        monitor
            .serve(refresh_rx, shutdown)
            .instrument(tracing::info_span!("health")),
    );
    handle
}

impl Monitor {
    async fn serve(
        mut self,
        mut requests: mpsc::Receiver<oneshot::Sender<Arc<HealthReport>>>,
        shutdown: CancellationToken,
    ) {
        let mut events = self.bus.subscribe(None);
        let mut tick = tokio::time::interval(self.config.refresh_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.reset();
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = tick.tick() => {
                    self.refresh().await;
                }
                Some(reply) = requests.recv() => {
                    let report = self.refresh().await;
                    let _ = reply.send(report);
                }
                event = events.next() => {
                    if matches!(
                        event.payload,
                        EventPayload::RunFinished { .. }
                            | EventPayload::OffsiteCopied { .. }
                            | EventPayload::OffsiteFailed { .. }
                    ) {
                        self.refresh().await;
                    }
                }
            }
        }
    }

    /// Computes, publishes status changes, and stores the snapshot.
    async fn refresh(&mut self) -> Arc<HealthReport> {
        let report = self.compute().await;
        let previous = self.latest.borrow().clone();
        for (table, old, new) in status_changes(&previous, &report) {
            tracing::info!(
                table = table.as_deref().unwrap_or("(system)"),
                old = old.as_str(),
                new = new.as_str(),
                "health changed"
            );
            self.bus
                .publish(EventPayload::HealthChanged { table, old, new });
        }
        self.latest.send_replace(report.clone());
        report
    }

    async fn compute(&mut self) -> Arc<HealthReport> {
        let status = self.engine.status().await.ok();
        let attempts = self.engine.last_attempts().await.unwrap_or_default();
        let scan = self.engine.scan().await;
        let drills = self.engine.last_drills();
        let (tables, unreadable) = (scan.tables, scan.unreadable);
        let store = self.engine.store().clone();
        let margin = self.config.free_space_margin;
        let cache = std::mem::take(&mut self.cache);
        let gathered = tokio::task::spawn_blocking(move || {
            gather(tables, &store, attempts, drills, cache, margin)
        })
        .await;
        let (mut obs, cache) = match gathered {
            Ok(done) => done,
            Err(e) => {
                tracing::error!(error = %e, "health gathering failed");
                return self.latest.borrow().clone();
            }
        };
        self.cache = cache;
        obs.scheduler = match status {
            Some(s) => SchedulerFacts {
                schedule: s.schedule,
                next_run: s.next_run,
                running: s.running.is_some(),
                last_outcome: s.last_run.map(|r| r.outcome),
            },
            None => SchedulerFacts {
                schedule: "stopped".into(),
                next_run: None,
                running: false,
                last_outcome: None,
            },
        };
        obs.unreadable_data_dirs = unreadable;
        obs.offsite = self.offsite.facts();
        obs.erlang_node = self.node.as_ref().map(|node| match node.status() {
            NodeStatus::Connected => Ok(node.name().to_owned()),
            NodeStatus::Connecting => Ok(format!("{} (connecting)", node.name())),
            NodeStatus::Unreachable(why) => Err(why),
        });
        Arc::new(compute_health(&obs, &self.config.thresholds, Utc::now()))
    }
}

/// The blocking half: table files, backups, free space.
fn gather(
    tables: Vec<TableEntry>,
    store: &BackupStore,
    attempts: crate::ledger::LastAttempts,
    drills: std::sync::Arc<HashMap<String, crate::drill::DrillFacts>>,
    mut cache: FigureCache,
    margin: u64,
) -> (Observations, FigureCache) {
    let mut backups: HashMap<String, Vec<BackupFacts>> = HashMap::new();
    match store.list(None) {
        Ok(list) => {
            for b in list {
                let facts = BackupFacts {
                    at: b.captured_at(),
                    file: b.name.file_name(),
                    consistency: b.manifest.as_ref().map(|m| m.consistency),
                    verified: b.verified(),
                    corrupt: b.corrupt().map(|c| (b.name.file_name(), c.reason.clone())),
                };
                backups.entry(b.name.table).or_default().push(facts);
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot list backups for health"),
    }
    let mut fresh = FigureCache::new();
    let mut next_run_sizes = Vec::new();
    let observations = tables
        .into_iter()
        .map(|entry| {
            // One stat: the size shown even when the file is unreadable as
            // DETS, and the key of the figure cache.
            let meta = std::fs::metadata(&entry.path);
            let file_size = meta.as_ref().ok().map(std::fs::Metadata::len);
            let file = if entry.present {
                figures(&entry.path, meta, &mut cache, &mut fresh)
            } else {
                Err("missing".into())
            };
            if entry.backed_up {
                next_run_sizes.push(file_size.unwrap_or(0));
            }
            TableObservation {
                file_size,
                backups: backups.remove(&entry.name).unwrap_or_default(),
                last_attempt: attempts.get(&entry.name).cloned(),
                last_drill: drills.get(&entry.name).cloned(),
                file,
                entry,
            }
        })
        .collect();
    let obs = Observations {
        tables: observations,
        backup_free_bytes: store.free_space().ok(),
        next_run_bytes: crate::health::next_run_need(next_run_sizes, margin),
        scheduler: SchedulerFacts {
            schedule: String::new(),
            next_run: None,
            running: false,
            last_outcome: None,
        },
        erlang_node: None,
        unreadable_data_dirs: Vec::new(),
        offsite: Vec::new(),
    };
    (obs, fresh)
}

/// A table's figures, from the cache while its size and mtime are unchanged.
fn figures(
    path: &std::path::Path,
    meta: std::io::Result<std::fs::Metadata>,
    old: &mut FigureCache,
    fresh: &mut FigureCache,
) -> Result<FileFigures, String> {
    let meta = meta.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let (len, mtime) = (meta.len(), meta.modified().ok());
    let result = match old.remove(path) {
        Some((l, m, cached)) if l == len && m == mtime => cached,
        _ => read_figures(path),
    };
    fresh.insert(path.to_path_buf(), (len, mtime, result.clone()));
    result
}

fn read_figures(path: &std::path::Path) -> Result<FileFigures, String> {
    let insp = dets::inspect(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if let Err(e) = insp.check_sound() {
        return Err(format!("{}: {e}", path.display()));
    }
    Ok(FileFigures {
        table_type: insp.header.table_type.as_str().to_owned(),
        records: insp.walk.records,
        keys: insp.walk.keys,
        file_size: insp.file_size,
        free_bytes: insp.free_bytes.unwrap_or(0),
        fragmentation_ratio: insp.fragmentation_ratio().unwrap_or(0.0),
        closed_properly: insp.closed_properly,
    })
}

/// Statuses that differ between two reports: the system's (`None`) and each table's.
fn status_changes(old: &HealthReport, new: &HealthReport) -> Vec<(Option<String>, Status, Status)> {
    let mut changes = Vec::new();
    if old.status != new.status {
        changes.push((None, old.status, new.status));
    }
    let before: HashMap<&str, Status> = old
        .tables
        .iter()
        .map(|t| (t.name.as_str(), t.status))
        .collect();
    for table in &new.tables {
        let before = before.get(table.name.as_str()).copied();
        if let Some(before) = before.filter(|b| *b != table.status) {
            changes.push((Some(table.name.clone()), before, table.status));
        }
    }
    changes
}

fn empty_report() -> HealthReport {
    HealthReport {
        status: Status::Healthy,
        computed_at: Utc::now(),
        components: Vec::new(),
        tables: Vec::new(),
        backup_free_bytes: None,
    }
}
