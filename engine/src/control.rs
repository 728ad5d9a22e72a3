//! The engine's one owner of mutable state: runs, the ledger and the timer.
//!
//! [`start`] spawns a task driven by `select!` over a closed [`Command`] enum,
//! the schedule's timer, the run in progress and shutdown. [`Handle`]s are
//! cheap clones that send it commands.

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::catalog::{CatalogConfig, OpenFiles, Scan, TableEntry};
use crate::clock::Clock;
use crate::compact::{self, CompactError, CompactPlan, CompactRequest, Compacted};
use crate::drill::{DrillBook, ErlangFold, TableDrill};
use crate::events::{EventBus, EventPayload};
use crate::ledger::{LastAttempts, Ledger};
use crate::model::{
    ErrorCode, Outcome, RunOutcome, RunRecord, TableError, TableOutcome, TableResult, Trigger,
};
use crate::pipeline::{CopyJob, CopySlot, PipelineOptions, Quiesce};
use crate::restore::{self, Destination, Plan, RestoreError, RestoreRequest, Which};
use crate::scheduler::Schedule;
use crate::scrub::ScrubReport;
use crate::store::{BackupEntry, BackupStore, StoreLock};

/// Everything the engine needs to run.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Where the tables are.
    pub catalog: CatalogConfig,
    /// Where backups go.
    pub backup_dir: PathBuf,
    /// Pipeline settings (retention among them).
    pub pipeline: PipelineOptions,
    /// When scheduled runs happen.
    pub schedule: Schedule,
    /// Tables copied at the same time.
    pub concurrency: usize,
    /// Delay before a catch-up run after start-up.
    pub catch_up_delay: Duration,
    /// Time between scrubs of every retained backup; `None` for none.
    pub scrub_interval: Option<Duration>,
    /// Drill every table after each scheduled (or catch-up) run.
    pub drill_after_backup: bool,
    /// Where the time is read (the system's clock but in tests).
    pub clock: Clock,
}

/// What the engine works with besides its config.
#[derive(Clone)]
pub struct Parts {
    /// Flushes a table just before it is copied.
    pub quiesce: Option<Arc<dyn Quiesce>>,
    /// Tells which table files the application has open, asked before every
    /// scan of the data directories.
    pub open_files: Option<Arc<dyn OpenFiles>>,
    /// Where run events are published.
    pub events: EventBus,
    /// Real Erlang's reading of a drill's restored copy, when a node is configured.
    pub erlang_fold: Option<Arc<dyn ErlangFold>>,
}

/// Why the engine refused a request.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Names that are not tables of the catalog.
    #[error("unknown tables: {}; the tables are: {}", few(.unknown), few(.known))]
    UnknownTables {
        /// The names asked for that are not tables.
        unknown: Vec<String>,
        /// The tables there are.
        known: Vec<String>,
    },
    /// The engine is shutting down or has stopped.
    #[error("the engine is shutting down")]
    ShuttingDown,
    /// The backup directory or ledger could not be read or written.
    #[error("backup store: {0}")]
    Store(#[from] std::io::Error),
    /// A data directory cannot be listed.
    #[error("data directory {}: {reason}", .dir.display())]
    DataDirUnreadable {
        /// The directory.
        dir: PathBuf,
        /// What the OS said.
        reason: String,
    },
    /// Two data directories hold files of one table name.
    #[error("table {name} is in two data directories: {} and {}; rename one or list it in [[tables]] with a path", .first.display(), .second.display())]
    NameClash {
        /// The table name.
        name: String,
        /// The file in the first data directory.
        first: PathBuf,
        /// The file in a later one.
        second: PathBuf,
    },
    /// Another process holds the backup directory.
    #[error(transparent)]
    Locked(#[from] crate::store::LockError),
    /// A restore was refused or failed; the target is as it was.
    #[error(transparent)]
    Restore(#[from] RestoreError),
    /// Another restore or compaction of the table is under way.
    #[error("a restore or compaction of {0} is under way; wait for it")]
    RestoreBusy(String),
    /// A compaction was refused or failed; the file is as it was.
    #[error(transparent)]
    Compact(#[from] CompactError),
    /// No such safety copy.
    #[error("no safety copy {0}: ListBackups with safety_copies lists them")]
    NoSuchSafetyCopy(String),
    /// The follow-up run a trigger waited for could not start, and why
    /// (shared by every trigger that waited for it).
    #[error("the follow-up run could not start: {0}")]
    FollowUp(Arc<EngineError>),
}

/// A trigger's answer: the run it started or joined, once finished.
#[derive(Debug, Clone)]
pub struct TriggerReply {
    /// The finished run.
    pub run: RunRecord,
    /// Whether the trigger joined a run already in progress.
    pub joined_existing_run: bool,
}

/// What the scheduler is doing.
#[derive(Debug, Clone)]
pub struct SchedulerStatus {
    /// The schedule as configured.
    pub schedule: String,
    /// When the next run starts, if one is planned.
    pub next_run: Option<DateTime<Utc>>,
    /// The run in progress.
    pub running: Option<RunRecord>,
    /// The reasons of triggers waiting for a follow-up run after it.
    pub follow_up: Vec<String>,
    /// The newest finished run.
    pub last_run: Option<RunRecord>,
}

/// The closed set of requests the engine task serves.
enum Command {
    /// Writes the `started` (or `finished`) line of a restore or a drill,
    /// which run outside the engine task, to the ledger.
    Record {
        run: Box<RunRecord>,
        finished: bool,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    Trigger {
        /// The catalog the tables asked for were checked against.
        scan: Scan,
        tables: Vec<String>,
        reason: String,
        reply: oneshot::Sender<Result<Waiter, EngineError>>,
    },
    ListRuns {
        limit: usize,
        reply: oneshot::Sender<Vec<RunRecord>>,
    },
    Status {
        reply: oneshot::Sender<SchedulerStatus>,
    },
    LastAttempts {
        reply: oneshot::Sender<LastAttempts>,
    },
    Scrub {
        reply: oneshot::Sender<ScrubWaiter>,
    },
}

/// A caller waiting for a scrub to finish.
type ScrubWaiter = oneshot::Receiver<ScrubDone>;

/// A scrub's report, or why it could not go through the backup directory
/// (shared by every caller that waited for it).
type ScrubDone = Result<Arc<ScrubReport>, Arc<std::io::Error>>;

/// A caller waiting for a run to finish.
struct Waiter {
    joined: bool,
    done: oneshot::Receiver<RunDone>,
}

/// A run's record once it finished, or why the run could not start.
type RunDone = Result<RunRecord, Arc<EngineError>>;

/// A cheap, cloneable handle to the engine task.
#[derive(Clone)]
pub struct Handle {
    commands: mpsc::Sender<Command>,
    scanner: Scanner,
    store: BackupStore,
    events: EventBus,
    clock: Clock,
    /// Tables a restore is under way for: one at a time per table.
    restoring: Arc<Mutex<HashSet<String>>>,
    /// Each table's last drill.
    drills: Arc<Mutex<DrillBook>>,
    /// One drill at a time; a second waits for the first.
    drilling: Arc<tokio::sync::Mutex<()>>,
    erlang_fold: Option<Arc<dyn ErlangFold>>,
}

/// A drill's answer.
#[derive(Debug, Clone)]
pub struct DrillReply {
    /// The drill's id in the ledger.
    pub run_id: String,
    /// Each table's drill, in catalog order.
    pub tables: Vec<TableDrill>,
}

/// A restore as asked for, before its table is looked up.
#[derive(Debug, Clone)]
pub struct RestoreAsk {
    /// The table.
    pub table: String,
    /// Which copy.
    pub which: Which,
    /// Where.
    pub to: Destination,
    /// Restore a dirty copy.
    pub allow_dirty: bool,
    /// Only say what would be done.
    pub dry_run: bool,
}

/// A compaction as asked for, before its table is looked up.
#[derive(Debug, Clone)]
pub struct CompactAsk {
    /// The table.
    pub table: String,
    /// Compact below the threshold too.
    pub force: bool,
    /// The free share above which a file is compacted (health's
    /// `fragmentation_warn`).
    pub threshold: f64,
    /// Only say what would be done.
    pub dry_run: bool,
}

/// A compaction's answer.
#[derive(Debug, Clone)]
pub struct CompactReply {
    /// What was (or, for a dry run, would be) done.
    pub plan: CompactPlan,
    /// What was done; `None` for a dry run.
    pub done: Option<Compacted>,
    /// The compaction's id in the ledger; `None` for a dry run.
    pub run_id: Option<String>,
    /// Time it took.
    pub duration: Duration,
}

/// A restore's answer.
#[derive(Debug, Clone)]
pub struct RestoreReply {
    /// What was (or, for a dry run, would be) done.
    pub plan: Plan,
    /// The restore's id in the ledger; `None` for a dry run.
    pub run_id: Option<String>,
    /// Time it took.
    pub duration: Duration,
}

/// Lists the data directories (on a blocking thread), asking first which
/// files the application has open.
#[derive(Clone)]
struct Scanner {
    catalog: Arc<CatalogConfig>,
    open_files: Option<Arc<dyn OpenFiles>>,
}

impl Scanner {
    async fn scan(&self) -> Scan {
        let open = match &self.open_files {
            Some(source) => source.open_files().await,
            None => None,
        };
        let catalog = self.catalog.clone();
        tokio::task::spawn_blocking(move || catalog.scan_with_open(open.as_ref()))
            .await
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "the catalog scan failed");
                Scan::default()
            })
    }
}

impl Handle {
    /// Backs up `tables` (every backed-up table when empty) and waits for the
    /// run; joins the run in progress if there is one.
    pub async fn trigger(
        &self,
        tables: Vec<String>,
        reason: String,
    ) -> Result<TriggerReply, EngineError> {
        // The scan runs here, in the caller's task, not in the engine's.
        let scan = self.scanner.scan().await;
        let (reply, answer) = oneshot::channel();
        self.send(Command::Trigger {
            scan,
            tables,
            reason,
            reply,
        })
        .await?;
        let waiter = answer.await.map_err(|_| EngineError::ShuttingDown)??;
        let run = waiter
            .done
            .await
            .map_err(|_| EngineError::ShuttingDown)?
            .map_err(EngineError::FollowUp)?;
        Ok(TriggerReply {
            run,
            joined_existing_run: waiter.joined,
        })
    }

    /// The newest `limit` runs, newest first.
    pub async fn list_runs(&self, limit: usize) -> Result<Vec<RunRecord>, EngineError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::ListRuns { limit, reply }).await?;
        answer.await.map_err(|_| EngineError::ShuttingDown)
    }

    /// What the scheduler is doing.
    pub async fn status(&self) -> Result<SchedulerStatus, EngineError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Status { reply }).await?;
        answer.await.map_err(|_| EngineError::ShuttingDown)
    }

    /// The latest attempt for each table, from the ledger.
    pub async fn last_attempts(&self) -> Result<LastAttempts, EngineError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::LastAttempts { reply }).await?;
        answer.await.map_err(|_| EngineError::ShuttingDown)
    }

    /// Scrubs every retained backup and waits for it; joins the scrub in
    /// progress if there is one.
    pub async fn scrub(&self) -> Result<Arc<ScrubReport>, EngineError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Scrub { reply }).await?;
        let done = answer.await.map_err(|_| EngineError::ShuttingDown)?;
        done.await
            .map_err(|_| EngineError::ShuttingDown)?
            .map_err(|e| EngineError::Store(std::io::Error::new(e.kind(), e.to_string())))
    }

    /// The backup store.
    pub fn store(&self) -> &BackupStore {
        &self.store
    }

    /// The bus the engine publishes run events on.
    pub fn events(&self) -> &EventBus {
        &self.events
    }

    /// The backups on disk (of `table`, or all), newest first.
    pub async fn list_backups(
        &self,
        table: Option<String>,
    ) -> Result<Vec<BackupEntry>, EngineError> {
        if let Some(name) = &table {
            check_known(&self.scan().await.tables, std::slice::from_ref(name))?;
        }
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.list(table.as_deref()))
            .await
            .map_err(|_| EngineError::ShuttingDown)?
            .map_err(EngineError::Store)
    }

    /// The safety copies restores kept (of `table`, or all), newest first.
    pub async fn list_safety_copies(
        &self,
        table: Option<String>,
    ) -> Result<Vec<BackupEntry>, EngineError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let safety = restore::safety_store(&store)?;
            Ok(safety.list(table.as_deref())?)
        })
        .await
        .map_err(|_| EngineError::ShuttingDown)?
    }

    /// Deletes the safety copy `file` (`safety/<name>`) and its manifest.
    pub async fn remove_safety_copy(&self, file: String) -> Result<(), EngineError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let name = file
                .strip_prefix(&format!("{}/", restore::SAFETY_DIR))
                .and_then(crate::store::BackupName::parse)
                .ok_or_else(|| EngineError::NoSuchSafetyCopy(few(std::slice::from_ref(&file))))?;
            let safety = restore::safety_store(&store)?;
            match safety.delete(&name) {
                Ok(()) => {
                    tracing::info!(file = %file, "safety copy removed");
                    Ok(safety.sync_dir()?)
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Err(EngineError::NoSuchSafetyCopy(few(&[file])))
                }
                Err(e) => Err(EngineError::Store(e)),
            }
        })
        .await
        .map_err(|_| EngineError::ShuttingDown)?
    }

    /// The table named `name` as the catalog sees it now, what the Erlang
    /// node has open, and the table's claim: one restore or compaction of a
    /// table at a time.
    async fn claim_table(
        &self,
        name: &str,
    ) -> Result<(TableEntry, Option<HashSet<PathBuf>>, RestoreClaim), EngineError> {
        let scan = self.scan().await;
        check_known(&scan.tables, &[name.to_owned()])?;
        let table = scan
            .tables
            .into_iter()
            .find(|t| t.name == name)
            .ok_or(EngineError::ShuttingDown)?;
        let open_on_node = match &self.scanner.open_files {
            Some(source) => source.open_files().await,
            None => None,
        };
        let claim = RestoreClaim::take(&self.restoring, &table.name)?;
        Ok((table, open_on_node, claim))
    }

    /// Restores a copy of one table (see [`crate::restore`]), or for a dry
    /// run says what would be done. Recorded in the ledger, announced by
    /// events, logged.
    pub async fn restore(&self, ask: RestoreAsk) -> Result<RestoreReply, EngineError> {
        let started = std::time::Instant::now();
        let (table, open_on_node, _claim) = self.claim_table(&ask.table).await?;
        let mut keep_out_of = self.scanner.catalog.data_dirs.clone();
        keep_out_of.push(self.store.dir().to_owned());
        let request = RestoreRequest {
            table,
            which: ask.which,
            to: ask.to,
            allow_dirty: ask.allow_dirty,
            keep_out_of,
        };
        let now = self.clock.now();
        let store = self.store.clone();
        let plan = tokio::task::spawn_blocking(move || {
            restore::plan(&store, &request, open_on_node.as_ref(), now)
        })
        .await
        .map_err(|_| EngineError::ShuttingDown)??;
        if ask.dry_run {
            return Ok(RestoreReply {
                plan,
                run_id: None,
                duration: started.elapsed(),
            });
        }
        let mut run = restore_record(&plan, now);
        self.record(&run, false).await?;
        let target = plan.target.display().to_string();
        tracing::info!(run_id = %run.run_id, table = %plan.table, backup = %plan.backup, %target, "restore started");
        self.events.publish(EventPayload::RestoreStarted {
            run_id: run.run_id.clone(),
            table: plan.table.clone(),
            backup: plan.backup.clone(),
            target: target.clone(),
        });
        let store = self.store.clone();
        let (job, run_id) = (plan.clone(), run.run_id.clone());
        let done = tokio::task::spawn_blocking(move || restore::execute(&store, &job, &run_id))
            .await
            .unwrap_or_else(|e| {
                Err(RestoreError::Io {
                    what: "the restore task failed on",
                    path: plan.target.clone(),
                    source: std::io::Error::other(e.to_string()),
                })
            });
        let mut plan = plan;
        let result = match &done {
            Ok(safety) => {
                plan.safety_copy = safety.clone();
                restored_result(&plan, started.elapsed())
            }
            Err(e) => TableResult::failed(&plan.table, e.table_error(), started.elapsed()),
        };
        let error = result.outcome.error();
        finish_one_table_run(&mut run, result, self.clock.now());
        match &error {
            None => tracing::info!(
                run_id = %run.run_id,
                table = %plan.table,
                backup = %plan.backup,
                %target,
                safety_copy = plan.safety_copy.as_deref().unwrap_or(""),
                duration_ms = started.elapsed().as_millis() as u64,
                "restore finished"
            ),
            Some(e) => tracing::error!(
                run_id = %run.run_id,
                table = %plan.table,
                backup = %plan.backup,
                %target,
                code = e.code.as_str(),
                error = %e.message,
                "restore failed; the target is as it was"
            ),
        }
        self.events.publish(EventPayload::RestoreFinished {
            run_id: run.run_id.clone(),
            table: plan.table.clone(),
            backup: plan.backup.clone(),
            target,
            error,
            safety_copy: plan.safety_copy.clone(),
        });
        self.record(&run, true).await?;
        done?;
        Ok(RestoreReply {
            plan,
            run_id: Some(run.run_id),
            duration: started.elapsed(),
        })
    }

    /// Compacts one table's file in place (see [`crate::compact`]), or for
    /// a dry run says what would be done. Recorded in the ledger, announced
    /// by an event, logged.
    pub async fn compact(&self, ask: CompactAsk) -> Result<CompactReply, EngineError> {
        let started = std::time::Instant::now();
        let (table, open_on_node, _claim) = self.claim_table(&ask.table).await?;
        let request = CompactRequest {
            table,
            force: ask.force,
            threshold: ask.threshold,
        };
        let store = self.store.clone();
        let plan = tokio::task::spawn_blocking(move || {
            compact::plan(&store, &request, open_on_node.as_ref(), |dir| {
                crate::store::free_space_at(dir)
            })
        })
        .await
        .map_err(|_| EngineError::ShuttingDown)??;
        if ask.dry_run {
            return Ok(CompactReply {
                plan,
                done: None,
                run_id: None,
                duration: started.elapsed(),
            });
        }
        let now = self.clock.now();
        let mut run = starting_run(
            Trigger::Compact,
            compact::reason(&plan),
            vec![plan.table.clone()],
            now,
        );
        self.record(&run, false).await?;
        tracing::info!(run_id = %run.run_id, table = %plan.table, path = %plan.path.display(), bytes = plan.file_size, free_bytes = plan.free_bytes, backup = %plan.backup, "compaction started");
        let store = self.store.clone();
        let (job, run_id) = (plan.clone(), run.run_id.clone());
        let done = tokio::task::spawn_blocking(move || {
            compact::execute(&job, |path| {
                restore::keep_safety_copy(&store, &job.table, path, &run_id)
                    .map_err(|e| CompactError::SafetyCopy(e.to_string()))
            })
        })
        .await
        .unwrap_or_else(|e| {
            Err(CompactError::Io {
                what: "the compaction task failed on",
                path: plan.path.clone(),
                source: std::io::Error::other(e.to_string()),
            })
        });
        let result = match &done {
            Ok(c) => compacted_result(&plan, c, self.clock.now(), started.elapsed()),
            Err(e) => TableResult::failed(&plan.table, e.table_error(), started.elapsed()),
        };
        let error = result.outcome.error();
        finish_one_table_run(&mut run, result, self.clock.now());
        if let Ok(c) = &done {
            tracing::info!(
                run_id = %run.run_id,
                table = %plan.table,
                bytes_before = plan.file_size,
                bytes_after = c.file_size,
                reclaimed_bytes = c.reclaimed,
                safety_copy = %c.safety_copy,
                duration_ms = started.elapsed().as_millis() as u64,
                "compaction finished"
            );
        } else if let Some(e) = &error {
            tracing::error!(
                run_id = %run.run_id,
                table = %plan.table,
                code = e.code.as_str(),
                error = %e.message,
                "compaction failed; the file is as it was"
            );
        }
        self.events.publish(EventPayload::TableCompacted {
            run_id: run.run_id.clone(),
            table: plan.table.clone(),
            bytes_before: plan.file_size,
            bytes_after: done.as_ref().map_or(plan.file_size, |c| c.file_size),
            error,
            safety_copy: done.as_ref().ok().map(|c| c.safety_copy.clone()),
        });
        self.record(&run, true).await?;
        let done = done?;
        Ok(CompactReply {
            plan,
            done: Some(done),
            run_id: Some(run.run_id),
            duration: started.elapsed(),
        })
    }

    /// Each table's last drill.
    pub fn last_drills(&self) -> Arc<std::collections::HashMap<String, crate::drill::DrillFacts>> {
        self.drills
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .facts()
    }

    /// Drills `tables` (every backed-up table when empty): each table's
    /// newest good copy restored into a scratch directory and proved (see
    /// [`crate::drill`]). One drill at a time; recorded in the ledger and the
    /// drill book, announced per table.
    pub async fn drill(&self, tables: Vec<String>) -> Result<DrillReply, EngineError> {
        let scan = self.scan().await;
        check_known(&scan.tables, &tables)?;
        let entries: Vec<TableEntry> = scan
            .tables
            .into_iter()
            .filter(|t| {
                if tables.is_empty() {
                    t.backed_up
                } else {
                    tables.contains(&t.name)
                }
            })
            .collect();
        let _one_at_a_time = self.drilling.lock().await;
        let now = self.clock.now();
        let mut run = starting_run(
            Trigger::Drill,
            "restore drill".into(),
            entries.iter().map(|t| t.name.clone()).collect(),
            now,
        );
        // Announced per table (TableDrilled), not as a run: run events and
        // their metrics are the backup runs'.
        self.record(&run, false).await?;
        let scratch = self.store.state_dir().join("drill");
        crate::store::create_private_dir(&scratch).map_err(EngineError::Store)?;
        let mut drills = Vec::with_capacity(entries.len());
        for table in &entries {
            let started = std::time::Instant::now();
            let drill = crate::drill::drill_table(
                &self.store,
                table,
                &scratch,
                self.erlang_fold.as_deref(),
                &run.run_id,
                self.clock.now(),
            )
            .await;
            let f = &drill.facts;
            match &f.error {
                None => {
                    tracing::info!(run_id = %run.run_id, table = %table.name, backup = %f.backup, level = f.level.as_str(), duration_ms = started.elapsed().as_millis() as u64, "restore drill passed")
                }
                Some(e) => {
                    tracing::error!(run_id = %run.run_id, table = %table.name, backup = %f.backup, level = f.level.as_str(), code = e.code.as_str(), error = %e.message, "restore drill failed")
                }
            }
            self.events.publish(EventPayload::TableDrilled {
                run_id: run.run_id.clone(),
                table: table.name.clone(),
                facts: drill.facts.clone(),
            });
            run.results.push(match (&drill.plan, &drill.facts.error) {
                (Some(plan), None) => restored_result(plan, started.elapsed()),
                (_, error) => TableResult::failed(
                    &table.name,
                    error
                        .clone()
                        .unwrap_or_else(|| TableError::new(ErrorCode::DrillFailed, "no copy")),
                    started.elapsed(),
                ),
            });
            drills.push(drill);
        }
        let book = self.drills.clone();
        let recorded = drills.clone();
        tokio::task::spawn_blocking(move || {
            book.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .record(&recorded)
        })
        .await
        .map_err(|_| EngineError::ShuttingDown)??;
        run.finished_at = Some(self.clock.now());
        run.counts = crate::model::TableCounts::of(&run.results);
        run.outcome = RunOutcome::of(&run.results);
        self.record(&run, true).await?;
        tracing::info!(run_id = %run.run_id, outcome = run.outcome.as_str(), passed = run.counts.succeeded, failed = run.counts.failed, "restore drill finished");
        Ok(DrillReply {
            run_id: run.run_id,
            tables: drills,
        })
    }

    async fn record(&self, run: &RunRecord, finished: bool) -> Result<(), EngineError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Record {
            run: Box::new(run.clone()),
            finished,
            reply,
        })
        .await?;
        answer.await.map_err(|_| EngineError::ShuttingDown)?
    }

    /// The tables as the catalog sees them now (and, with a node, as the
    /// node has them open), and the data directories it could not list.
    pub async fn scan(&self) -> Scan {
        self.scanner.scan().await
    }

    async fn send(&self, command: Command) -> Result<(), EngineError> {
        self.commands
            .send(command)
            .await
            .map_err(|_| EngineError::ShuttingDown)
    }
}

/// A table's place in the set of tables under restore, given back on drop.
struct RestoreClaim {
    set: Arc<Mutex<HashSet<String>>>,
    table: String,
}

impl RestoreClaim {
    fn take(set: &Arc<Mutex<HashSet<String>>>, table: &str) -> Result<Self, EngineError> {
        let mut held = set.lock().unwrap_or_else(PoisonError::into_inner);
        if !held.insert(table.to_owned()) {
            return Err(EngineError::RestoreBusy(table.to_owned()));
        }
        Ok(Self {
            set: set.clone(),
            table: table.to_owned(),
        })
    }
}

impl Drop for RestoreClaim {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.table);
    }
}

fn check_known(tables: &[TableEntry], names: &[String]) -> Result<(), EngineError> {
    let unknown: Vec<String> = names
        .iter()
        .filter(|n| !tables.iter().any(|t| &t.name == *n))
        .cloned()
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(EngineError::UnknownTables {
            unknown,
            known: tables.iter().map(|t| t.name.clone()).collect(),
        })
    }
}

/// The first few of `names`, each cut short, and how many more: what an
/// error may echo of a list a client sent, however long it was.
fn few(names: &[String]) -> String {
    const SHOWN: usize = 5;
    const NAME: usize = 64;
    if names.is_empty() {
        return "none".into();
    }
    let mut text = names
        .iter()
        .take(SHOWN)
        .map(|n| match n.char_indices().nth(NAME) {
            Some((end, _)) => format!("{}...", &n[..end]),
            None => n.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}

/// Waits for the scrub in progress; pending forever when there is none.
async fn wait_for_scrub(scrubbing: &mut Option<Scrubbing>) -> ScrubDone {
    match scrubbing {
        Some(s) => match (&mut s.task).await {
            Ok(Ok(report)) => Ok(Arc::new(report)),
            Ok(Err(e)) => Err(Arc::new(std::io::Error::new(
                e.kind(),
                format!("cannot scrub the backup directory: {e}"),
            ))),
            Err(e) => Err(Arc::new(std::io::Error::other(format!(
                "the scrub task failed: {e}"
            )))),
        },
        None => std::future::pending().await,
    }
}

/// Sleeps until `at`; pending forever when there is no such time.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Starts the engine on `tasks`: cleans leftovers, recovers the ledger, plans
/// a catch-up run if one is due, and spawns the task. It stops when
/// `shutdown` fires, after the run in progress (if any) has stopped and been
/// recorded.
pub fn start(
    config: EngineConfig,
    parts: Parts,
    shutdown: CancellationToken,
    tasks: &TaskTracker,
) -> Result<Handle, EngineError> {
    let first = config.catalog.scan();
    if let Some((dir, reason)) = first.unreadable.into_iter().next() {
        return Err(EngineError::DataDirUnreadable { dir, reason });
    }
    if let Some((name, first, second)) = config.catalog.name_clashes().into_iter().next() {
        return Err(EngineError::NameClash {
            name,
            first,
            second,
        });
    }
    let store = BackupStore::open(&config.backup_dir)?;
    // Before anything is cleaned or recovered: a second instance would take
    // the first one's partial copies for leftovers and its run for interrupted.
    let lock = store.lock()?;
    for leftover in store.remove_leftovers()? {
        tracing::info!(file = %leftover, "removed leftover from an interrupted run");
    }
    for dir in &config.catalog.data_dirs {
        for leftover in restore::remove_leftovers(dir) {
            tracing::info!(file = %leftover.display(), "removed what an interrupted restore left");
        }
    }
    let (ledger, interrupted) = Ledger::open(&store.state_dir())?;
    for run in interrupted {
        tracing::warn!(run_id = %run.run_id, "run was interrupted by a stop; recorded as interrupted");
    }
    let now = config.clock.now();
    // The newest copy with a believable capture time (see `CLOCK_SKEW`).
    let copies = store.list(None)?;
    let newest = copies
        .iter()
        .find(|b| !b.from_the_future(now))
        .map(BackupEntry::captured_at);
    let only_future = newest.is_none() && !copies.is_empty();
    let next = if config.schedule.needs_catch_up(newest, now) {
        let delay = chrono::Duration::from_std(config.catch_up_delay).unwrap_or_default();
        let when = if config.catch_up_delay.is_zero() {
            "now".to_owned()
        } else {
            format!("in {} s", config.catch_up_delay.as_secs())
        };
        match newest {
            None if only_future => tracing::warn!(
                "every backup's capture time is ahead of this clock (CLOCK_SKEW): catch-up run {when}"
            ),
            None => tracing::info!("no backup yet: first run {when}"),
            Some(newest) => {
                tracing::info!(%newest, "a scheduled run was missed: catch-up run {when}")
            }
        }
        Some(NextRun {
            at: now + delay,
            trigger: Trigger::CatchUp,
        })
    } else {
        NextRun::scheduled(&config.schedule, now)
    };
    let catch_up_reason = match newest {
        None if only_future => "catch-up: every backup's capture time was ahead of the clock",
        None => "first backup: none existed at start-up",
        Some(_) => "catch-up after a missed scheduled run",
    };
    let scanner = Scanner {
        catalog: Arc::new(config.catalog.clone()),
        open_files: parts.open_files,
    };
    let (commands, command_rx) = mpsc::channel(64);
    let handle = Handle {
        commands,
        scanner: scanner.clone(),
        store: store.clone(),
        events: parts.events.clone(),
        clock: config.clock,
        restoring: Arc::default(),
        drills: Arc::new(Mutex::new(DrillBook::open(&store.state_dir()))),
        drilling: Arc::default(),
        erlang_fold: parts.erlang_fold.clone(),
    };
    let next_scrub = config_scrub_start(&config);
    let engine = Engine {
        durable: Arc::new(Mutex::new(Durable {
            store: store.clone(),
            lock,
            ledger,
        })),
        next_scrub,
        context: Arc::new(RunContext {
            store,
            clock: config.clock,
            options: config.pipeline.clone(),
            quiesce: parts.quiesce,
            concurrency: config.concurrency.max(1),
            events: parts.events,
        }),
        config,
        scanner,
        next,
        catch_up_reason,
        running: None,
        follow_up: None,
        scrubbing: None,
        shutdown,
        tasks: tasks.clone(),
        handle: handle.clone(),
    };
    tasks.spawn(
        engine
            .serve(command_rx)
            .instrument(tracing::info_span!("engine")),
    );
    Ok(handle)
}

/// What every table copy of a run shares.
struct RunContext {
    store: BackupStore,
    clock: Clock,
    options: PipelineOptions,
    quiesce: Option<Arc<dyn Quiesce>>,
    concurrency: usize,
    events: EventBus,
}

struct Running {
    record: RunRecord,
    waiters: Vec<oneshot::Sender<RunDone>>,
    task: JoinHandle<Vec<TableResult>>,
}

/// Triggers that arrived during a run that does not cover all their tables:
/// they wait for one run, after the current one, that covers every table any
/// of them asked for.
struct FollowUp {
    /// The tables asked for; `None` when one of them asked for every table.
    tables: Option<BTreeSet<String>>,
    /// Every caller's reason, in arrival order.
    reasons: Vec<String>,
    waiters: Vec<oneshot::Sender<RunDone>>,
}

/// A scrub under way and who waits for it.
struct Scrubbing {
    waiters: Vec<oneshot::Sender<ScrubDone>>,
    task: JoinHandle<std::io::Result<ScrubReport>>,
}

/// When the first scheduled scrub is due: one interval after start-up.
fn config_scrub_start(config: &EngineConfig) -> Option<tokio::time::Instant> {
    config
        .scrub_interval
        .map(|every| tokio::time::Instant::now() + every)
}

/// The run the engine's timer starts next, and why.
#[derive(Debug, Clone, Copy)]
struct NextRun {
    at: DateTime<Utc>,
    trigger: Trigger,
}

impl NextRun {
    /// The schedule's next run after `now` (none when it is off).
    fn scheduled(schedule: &Schedule, now: DateTime<Utc>) -> Option<Self> {
        schedule.next_after(now).map(|at| Self {
            at,
            trigger: Trigger::Scheduled,
        })
    }
}

/// What the engine keeps on disk: the backup directory's lock (held while the
/// engine runs) and the ledger. Its I/O runs on blocking threads, one call at
/// a time, awaited by the engine task (see [`Engine::durably`]).
struct Durable {
    store: BackupStore,
    lock: StoreLock,
    ledger: Ledger,
}

impl Durable {
    /// Makes sure the backup directory, its lock and the ledger are still in
    /// place before the ledger is written: the directory may have been
    /// removed or replaced while tablesafe ran. Recreates them, loudly (the
    /// ledger from the runs in memory, so no history is lost); fails when
    /// another instance took the directory meanwhile.
    fn ensure_store(&mut self) -> Result<(), EngineError> {
        if !self.lock.still_in_place() {
            tracing::error!(
                dir = %self.store.dir().display(),
                "the backup directory was removed or replaced while tablesafe ran; recreating it, its lock and its ledger if its parent is still on the same file system"
            );
            self.store.recreate(&self.lock)?;
            self.lock = self.store.lock()?;
        }
        if self.ledger.restore_if_gone()? {
            tracing::error!(
                ledger = %self.ledger.path().display(),
                runs = self.ledger.len(),
                "the ledger was gone; wrote it anew from the runs in memory"
            );
        }
        Ok(())
    }

    /// Records that `run` starts: durable before any copy is written.
    fn record_started(&mut self, run: &RunRecord) -> Result<(), EngineError> {
        self.ensure_store()?;
        Ok(self.ledger.record_started(run)?)
    }

    /// Records how `run` ended; a failure is logged (the run is over either way).
    fn record_finished(&mut self, run: &RunRecord) {
        if let Err(e) = self.ensure_store() {
            tracing::error!(run_id = %run.run_id, error = %e, "the backup directory cannot be restored");
        }
        if let Err(e) = self.ledger.record_finished(run) {
            tracing::error!(run_id = %run.run_id, error = %e, "cannot record the run's end in the ledger");
        }
    }
}

struct Engine {
    /// The lock and the ledger; see [`Durable`].
    durable: Arc<Mutex<Durable>>,
    config: EngineConfig,
    context: Arc<RunContext>,
    scanner: Scanner,
    /// The run the timer starts, if one is planned.
    next: Option<NextRun>,
    /// The reason a catch-up run gives: the first backup, or a missed run.
    catch_up_reason: &'static str,
    running: Option<Running>,
    follow_up: Option<FollowUp>,
    next_scrub: Option<tokio::time::Instant>,
    scrubbing: Option<Scrubbing>,
    shutdown: CancellationToken,
    tasks: TaskTracker,
    /// For the drills that follow scheduled runs.
    handle: Handle,
}

impl Engine {
    async fn serve(mut self, mut commands: mpsc::Receiver<Command>) {
        loop {
            let timer = sleep_until_utc(self.config.clock, self.next.map(|n| n.at));
            tokio::select! {
                () = self.shutdown.cancelled() => break,
                Some(command) = commands.recv() => self.handle(command).await,
                results = wait_for(&mut self.running) => self.finish(results).await,
                report = wait_for_scrub(&mut self.scrubbing) => self.finish_scrub(report),
                () = sleep_until(self.next_scrub), if self.scrubbing.is_none() => {
                    self.next_scrub = self
                        .config
                        .scrub_interval
                        .map(|every| tokio::time::Instant::now() + every);
                    self.begin_scrub(None);
                }
                () = timer, if self.running.is_none() => self.begin_scheduled().await,
            }
        }
        // Shutdown: copies see the cancelled token and stop between chunks.
        if self.running.is_some() {
            let results = wait_for(&mut self.running).await;
            self.finish(results).await;
        }
    }

    /// Runs `io` on a blocking thread with the lock and the ledger, and waits
    /// for it: the engine task never blocks its runtime thread on a fsync.
    async fn durably<T: Send + 'static>(
        &self,
        io: impl FnOnce(&mut Durable) -> T + Send + 'static,
    ) -> Result<T, EngineError> {
        let durable = self.durable.clone();
        tokio::task::spawn_blocking(move || {
            io(&mut durable.lock().unwrap_or_else(PoisonError::into_inner))
        })
        .await
        .map_err(|e| match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(_) => EngineError::ShuttingDown,
        })
    }

    /// The lock and the ledger, for reading what is in memory (never
    /// contended: only the engine task takes it, and it waits for its I/O).
    fn memory(&self) -> MutexGuard<'_, Durable> {
        self.durable.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a scrub, or joins the one under way.
    fn begin_scrub(&mut self, waiter: Option<oneshot::Sender<ScrubDone>>) {
        let scrubbing = self.scrubbing.get_or_insert_with(|| {
            let store = self.context.store.clone();
            let clock = self.config.clock;
            let task = self
                .tasks
                .spawn_blocking(move || crate::scrub::scrub(&store, &[], || clock.now()));
            tracing::info!("scrub started");
            Scrubbing {
                waiters: Vec::new(),
                task,
            }
        });
        scrubbing.waiters.extend(waiter);
    }

    fn finish_scrub(&mut self, report: ScrubDone) {
        if let Err(e) = &report {
            tracing::error!(error = %e, "scrub failed");
        }
        if let Some(scrubbing) = self.scrubbing.take() {
            for waiter in scrubbing.waiters {
                let _ = waiter.send(report.clone());
            }
        }
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Trigger {
                scan,
                tables,
                reason,
                reply,
            } => {
                let answer = self.join_or_begin(scan, tables, reason).await;
                let _ = reply.send(answer);
            }
            Command::Scrub { reply } => {
                let (done_tx, done_rx) = oneshot::channel();
                self.begin_scrub(Some(done_tx));
                let _ = reply.send(done_rx);
            }
            Command::ListRuns { limit, reply } => {
                let _ = reply.send(self.memory().ledger.recent(limit));
            }
            Command::LastAttempts { reply } => {
                let _ = reply.send(self.memory().ledger.last_attempts());
            }
            Command::Record {
                run,
                finished,
                reply,
            } => {
                let written = self
                    .durably(move |d| {
                        if finished {
                            d.record_finished(&run);
                            Ok(())
                        } else {
                            d.record_started(&run)
                        }
                    })
                    .await;
                let _ = reply.send(written.and_then(|w| w));
            }
            Command::Status { reply } => {
                let last_run = self.memory().ledger.last_finished().map(RunRecord::summary);
                let _ = reply.send(SchedulerStatus {
                    schedule: self.config.schedule.describe().into(),
                    next_run: self.next.map(|n| n.at),
                    running: self.running.as_ref().map(|r| r.record.summary()),
                    follow_up: self
                        .follow_up
                        .as_ref()
                        .map(|f| f.reasons.clone())
                        .unwrap_or_default(),
                    last_run,
                });
            }
        }
    }

    /// Starts a run for `tables` (every backed-up table when empty) among the
    /// `scan` they were checked against, or joins the run under way when it
    /// covers every table asked for, or waits for the follow-up run after it.
    async fn join_or_begin(
        &mut self,
        scan: Scan,
        tables: Vec<String>,
        reason: String,
    ) -> Result<Waiter, EngineError> {
        check_known(&scan.tables, &tables)?;
        let (done_tx, done) = oneshot::channel();
        let Some(running) = self.running.as_mut() else {
            self.begin_on(scan, Trigger::Manual, tables, reason, Vec::new())
                .await?;
            let running = self.running.as_mut().ok_or(EngineError::ShuttingDown)?;
            running.waiters.push(done_tx);
            return Ok(Waiter {
                joined: false,
                done,
            });
        };
        let covered = |name: &String| running.record.tables.contains(name);
        let all_covered = if tables.is_empty() {
            scan.tables
                .iter()
                .filter(|t| t.backed_up)
                .all(|t| covered(&t.name))
        } else {
            tables.iter().all(covered)
        };
        if all_covered {
            tracing::info!(run_id = %running.record.run_id, %reason, "trigger joined the run under way");
            running.record.joined.push(reason);
            running.waiters.push(done_tx);
            return Ok(Waiter { joined: true, done });
        }
        let follow_up = self.follow_up.get_or_insert_with(|| FollowUp {
            tables: Some(BTreeSet::new()),
            reasons: Vec::new(),
            waiters: Vec::new(),
        });
        let joined = !follow_up.waiters.is_empty();
        match (&mut follow_up.tables, tables.is_empty()) {
            (Some(_), true) => follow_up.tables = None,
            (Some(asked), false) => asked.extend(tables),
            (None, _) => {}
        }
        tracing::info!(run_under_way = %running.record.run_id, %reason, "trigger waits for a follow-up run: the run under way does not cover its tables");
        follow_up.reasons.push(reason);
        follow_up.waiters.push(done_tx);
        Ok(Waiter { joined, done })
    }

    /// Starts the scheduled (or catch-up) run that is due.
    async fn begin_scheduled(&mut self) {
        let trigger = self.next.map_or(Trigger::Scheduled, |n| n.trigger);
        self.next = NextRun::scheduled(&self.config.schedule, self.config.clock.now());
        let reason = match trigger {
            Trigger::CatchUp => self.catch_up_reason,
            _ => "scheduled",
        };
        if let Err(e) = self
            .begin(trigger, Vec::new(), reason.into(), Vec::new())
            .await
        {
            tracing::error!(error = %e, "scheduled run could not start");
        }
    }

    /// What runs after a run ends: the scheduled run when it fell due
    /// meanwhile (follow-ups never starve it; those whose tables it covers
    /// ride along), else the follow-up run.
    async fn begin_next(&mut self) {
        let due = self.next.is_some_and(|n| n.at <= self.config.clock.now());
        if !due {
            self.begin_follow_up().await;
            return;
        }
        self.begin_scheduled().await;
        let (Some(running), Some(follow_up)) = (self.running.as_mut(), self.follow_up.as_ref())
        else {
            return;
        };
        let covered = match &follow_up.tables {
            None => true,
            Some(asked) => asked.iter().all(|t| running.record.tables.contains(t)),
        };
        if covered {
            if let Some(follow_up) = self.follow_up.take() {
                running.record.joined.extend(follow_up.reasons);
                running.waiters.extend(follow_up.waiters);
            }
        }
    }

    /// Starts the follow-up run, if triggers wait for one.
    async fn begin_follow_up(&mut self) {
        let Some(follow_up) = self.follow_up.take() else {
            return;
        };
        let tables = follow_up.tables.map(Vec::from_iter).unwrap_or_default();
        let mut reasons = follow_up.reasons.into_iter();
        let reason = reasons.next().unwrap_or_default();
        match self
            .begin(Trigger::Manual, tables, reason, reasons.collect())
            .await
        {
            Ok(()) => {
                if let Some(running) = self.running.as_mut() {
                    running.waiters.extend(follow_up.waiters);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "follow-up run could not start");
                let e = Arc::new(e);
                for waiter in follow_up.waiters {
                    let _ = waiter.send(Err(e.clone()));
                }
            }
        }
    }

    /// Scans the catalog, then [`Engine::begin_on`] it.
    async fn begin(
        &mut self,
        trigger: Trigger,
        names: Vec<String>,
        reason: String,
        joined: Vec<String>,
    ) -> Result<(), EngineError> {
        let scan = self.scanner.scan().await;
        self.begin_on(scan, trigger, names, reason, joined).await
    }

    /// Records the run of `names` (every backed-up table when empty) among
    /// the `scan` just made in the ledger, then starts copying.
    async fn begin_on(
        &mut self,
        scan: Scan,
        trigger: Trigger,
        names: Vec<String>,
        reason: String,
        joined: Vec<String>,
    ) -> Result<(), EngineError> {
        let errors: Vec<String> = scan
            .unreadable
            .iter()
            .map(|(dir, why)| {
                tracing::error!(dir = %dir.display(), error = %why, "data directory cannot be listed; its tables are not in this run");
                format!(
                    "data directory {} cannot be listed: {why}; its tables are not in this run",
                    dir.display()
                )
            })
            .collect();
        let mut tables: Vec<TableEntry> = scan
            .tables
            .into_iter()
            .filter(|t| {
                if names.is_empty() {
                    t.backed_up
                } else {
                    names.contains(&t.name)
                }
            })
            .collect();
        // A table asked for that is gone by now (a follow-up run starts
        // later than its triggers were checked) is a failed result of its
        // own, never silently left out of a run that then "succeeds".
        for name in &names {
            if !tables.iter().any(|t| &t.name == name) {
                let dir = self
                    .config
                    .catalog
                    .data_dirs
                    .first()
                    .cloned()
                    .unwrap_or_default();
                tables.push(TableEntry {
                    name: name.clone(),
                    path: dir.join(format!("{name}.dets")),
                    role: crate::catalog::Role::Discovered,
                    present: false,
                    backed_up: true,
                });
            }
        }
        let now = self.config.clock.now();
        let record = RunRecord {
            joined,
            errors,
            ..starting_run(
                trigger,
                reason,
                tables.iter().map(|t| t.name.clone()).collect(),
                now,
            )
        };
        let started = record.clone();
        self.durably(move |d| d.record_started(&started)).await??;
        tracing::info!(run_id = %record.run_id, trigger = trigger.as_str(), tables = record.tables.len(), "backup run started");
        self.context.events.publish(EventPayload::RunStarted {
            run_id: record.run_id.clone(),
            trigger,
            tables: record.tables.clone(),
            reason: record.reason.clone(),
        });
        let span = tracing::info_span!("run", run_id = %record.run_id);
        let task = tokio::spawn(
            copy_tables(
                self.context.clone(),
                record.run_id.clone(),
                tables,
                self.shutdown.clone(),
            )
            .instrument(span),
        );
        self.running = Some(Running {
            record,
            waiters: Vec::new(),
            task,
        });
        Ok(())
    }

    async fn finish(&mut self, results: Vec<TableResult>) {
        let Some(running) = self.running.take() else {
            return;
        };
        if self.next.is_some_and(|n| n.trigger == Trigger::CatchUp) {
            // Any run makes a pending catch-up moot.
            self.next = NextRun::scheduled(&self.config.schedule, self.config.clock.now());
        }
        let mut run = running.record;
        run.finished_at = Some(self.config.clock.now());
        run.outcome = if self.shutdown.is_cancelled() {
            RunOutcome::Interrupted
        } else {
            match RunOutcome::of(&results) {
                RunOutcome::Succeeded if !run.errors.is_empty() => RunOutcome::Partial,
                outcome => outcome,
            }
        };
        run.counts = crate::model::TableCounts::of(&results);
        run.results = results;
        let finished = run.clone();
        if let Err(e) = self.durably(move |d| d.record_finished(&finished)).await {
            tracing::error!(run_id = %run.run_id, error = %e, "cannot record the run's end in the ledger");
        }
        let count = |o: TableOutcome| run.results.iter().filter(|r| r.kind() == o).count();
        let succeeded = count(TableOutcome::Succeeded);
        let duration = (run.finished_at.unwrap_or(run.started_at) - run.started_at)
            .to_std()
            .unwrap_or_default();
        tracing::info!(
            run_id = %run.run_id,
            outcome = run.outcome.as_str(),
            succeeded,
            failed = run.results.len() - succeeded,
            duration_ms = duration.as_millis() as u64,
            "backup run finished"
        );
        self.context.events.publish(EventPayload::RunFinished {
            run_id: run.run_id.clone(),
            outcome: run.outcome,
            succeeded: succeeded as u32,
            failed: count(TableOutcome::Failed) as u32,
            skipped: count(TableOutcome::Skipped) as u32,
            duration,
        });
        for waiter in running.waiters {
            let _ = waiter.send(Ok(run.clone()));
        }
        let scheduled = matches!(run.trigger, Trigger::Scheduled | Trigger::CatchUp);
        if scheduled && self.config.drill_after_backup && !self.shutdown.is_cancelled() {
            let handle = self.handle.clone();
            self.tasks.spawn(
                async move {
                    if let Err(e) = handle.drill(Vec::new()).await {
                        tracing::error!(error = %e, "the drill after the scheduled run could not run");
                    }
                }
                .instrument(tracing::info_span!("drill")),
            );
        }
        if !self.shutdown.is_cancelled() {
            self.begin_next().await;
        }
    }
}

/// Copies every table with bounded concurrency; results in catalog order.
async fn copy_tables(
    context: Arc<RunContext>,
    run_id: String,
    tables: Vec<TableEntry>,
    cancel: CancellationToken,
) -> Vec<TableResult> {
    // The backup directory is listed once for the run, not once per table.
    let store = context.store.clone();
    let listed = tokio::task::spawn_blocking(move || store.index())
        .await
        .unwrap_or_else(|e| {
            Err(std::io::Error::other(format!(
                "the listing task failed: {e}"
            )))
        });
    let index = match listed {
        Ok(index) => Arc::new(Mutex::new(index)),
        Err(why) => {
            let error = TableError::new(
                ErrorCode::BackupDirUnwritable,
                format!(
                    "cannot list backup directory {}: {why}",
                    context.store.dir().display()
                ),
            );
            return tables
                .iter()
                .map(|t| {
                    let result = TableResult::failed(&t.name, error.clone(), Duration::ZERO);
                    log_table(&result);
                    context.events.publish(table_event(&run_id, &result));
                    result
                })
                .collect();
        }
    };
    let permits = Arc::new(Semaphore::new(context.concurrency));
    let mut jobs = Vec::with_capacity(tables.len());
    for table in tables {
        let (context, run_id, cancel, permits, index) = (
            context.clone(),
            run_id.clone(),
            cancel.clone(),
            permits.clone(),
            index.clone(),
        );
        let span = tracing::info_span!("table", table = %table.name);
        let job_table = table.name.clone();
        jobs.push((
            job_table,
            tokio::spawn(
                async move {
                    let Ok(permit) = permits.acquire_owned().await else {
                        return TableResult::skipped(&table.name);
                    };
                    if cancel.is_cancelled() {
                        return TableResult::skipped(&table.name);
                    }
                    let name = table.name.clone();
                    let job_context = context.clone();
                    let job_run_id = run_id.clone();
                    let slot = CopySlot::new(permit);
                    let result = tokio::task::spawn_blocking(move || {
                        CopyJob {
                            table: &table,
                            store: &job_context.store,
                            run_id: &job_run_id,
                            options: &job_context.options,
                            cancel: &cancel,
                            quiesce: job_context.quiesce.as_deref(),
                            clock: job_context.clock,
                            index: &index,
                            slot: &slot,
                        }
                        .run()
                    })
                    .await
                    .unwrap_or_else(|e| {
                        TableResult::failed(
                            &name,
                            TableError::new(ErrorCode::BackupIo, format!("copy task failed: {e}")),
                            Duration::ZERO,
                        )
                    });
                    log_table(&result);
                    context.events.publish(table_event(&run_id, &result));
                    result
                }
                .instrument(span),
            ),
        ));
    }
    let mut results = Vec::with_capacity(jobs.len());
    for (table, job) in jobs {
        let result = match job.await {
            Ok(result) => result,
            Err(e) => {
                tracing::error!(%table, error = %e, "a table's copy task failed");
                TableResult::failed(
                    &table,
                    TableError::new(ErrorCode::BackupIo, format!("the copy task failed: {e}")),
                    Duration::ZERO,
                )
            }
        };
        results.push(result);
    }
    results
}

/// The event announcing one table's result.
fn table_event(run_id: &str, result: &TableResult) -> EventPayload {
    match &result.outcome {
        Outcome::Committed(copy) => EventPayload::TableBackedUp {
            run_id: run_id.to_owned(),
            table: result.table.clone(),
            file_name: copy.file_name.clone(),
            bytes: copy.bytes,
            records: copy.records,
            consistency: copy.consistency,
            duration: result.duration,
            captured_at: copy.captured_at,
        },
        outcome => {
            let error = outcome
                .error()
                .unwrap_or_else(|| TableError::new(ErrorCode::BackupIo, "no backup was made"));
            EventPayload::TableBackupFailed {
                run_id: run_id.to_owned(),
                table: result.table.clone(),
                code: error.code,
                message: error.message,
            }
        }
    }
}

/// The structured log line after each table.
fn log_table(result: &TableResult) {
    match &result.outcome {
        Outcome::Committed(copy) => tracing::info!(
            table = %result.table,
            file = %copy.file_name,
            bytes = copy.bytes,
            records = copy.records,
            keys = copy.keys,
            duration_ms = result.duration.as_millis() as u64,
            capture_ms = result.timings.capture.as_millis() as u64,
            verify_ms = result.timings.verify.as_millis() as u64,
            consistency = copy.consistency.as_str(),
            pruned = copy.pruned.len(),
            "backup committed"
        ),
        Outcome::Failed(error) => tracing::warn!(
            table = %result.table,
            code = error.code.as_str(),
            error = %error.message,
            duration_ms = result.duration.as_millis() as u64,
            "backup failed"
        ),
        Outcome::Skipped => {
            tracing::info!(table = %result.table, "skipped: the run was stopped first")
        }
    }
}

/// The run's results once its task ends; a task that failed (a panic) is a
/// failed result for each of its tables, logged, never an empty success.
async fn wait_for(running: &mut Option<Running>) -> Vec<TableResult> {
    match running {
        Some(run) => match (&mut run.task).await {
            Ok(results) => results,
            Err(e) => {
                tracing::error!(run_id = %run.record.run_id, error = %e, "the run's task failed");
                run.record
                    .tables
                    .iter()
                    .map(|table| {
                        TableResult::failed(
                            table,
                            TableError::new(
                                ErrorCode::BackupIo,
                                format!("the run's task failed: {e}"),
                            ),
                            Duration::ZERO,
                        )
                    })
                    .collect()
            }
        },
        None => std::future::pending().await,
    }
}

async fn sleep_until_utc(clock: Clock, at: Option<DateTime<Utc>>) {
    match at {
        Some(at) => clock.sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn new_run_id(now: DateTime<Utc>) -> String {
    format!(
        "{}-{:04x}",
        now.format("%Y%m%dT%H%M%S%.3fZ"),
        fastrand::u16(..)
    )
}

/// A run's ledger record as it starts (a backup run, a restore, a drill).
fn starting_run(
    trigger: Trigger,
    reason: String,
    tables: Vec<String>,
    now: DateTime<Utc>,
) -> RunRecord {
    RunRecord {
        run_id: new_run_id(now),
        trigger,
        reason,
        started_at: now,
        finished_at: None,
        outcome: RunOutcome::Running,
        tables,
        results: Vec::new(),
        joined: Vec::new(),
        errors: Vec::new(),
        counts: Default::default(),
        results_omitted: false,
    }
}

/// A restore's ledger record as it starts.
fn restore_record(plan: &Plan, now: DateTime<Utc>) -> RunRecord {
    let reason = format!(
        "restore {} from {} to {}",
        plan.table,
        plan.backup,
        plan.target.display()
    );
    starting_run(Trigger::Restore, reason, vec![plan.table.clone()], now)
}

/// Ends the ledger record of a run of one table (a restore, a compaction)
/// with that table's result.
fn finish_one_table_run(run: &mut RunRecord, result: TableResult, at: DateTime<Utc>) {
    run.finished_at = Some(at);
    run.outcome = match result.outcome.error() {
        None => RunOutcome::Succeeded,
        Some(_) => RunOutcome::Failed,
    };
    run.counts = crate::model::TableCounts::of(std::slice::from_ref(&result));
    run.results = vec![result];
}

/// A compaction that went through, as the ledger records it: the new
/// file's size and content, and the safety copy kept of the old one.
fn compacted_result(
    plan: &CompactPlan,
    done: &Compacted,
    at: DateTime<Utc>,
    duration: Duration,
) -> TableResult {
    TableResult {
        table: plan.table.clone(),
        outcome: Outcome::Committed(Box::new(crate::model::CommittedCopy {
            file_name: done.safety_copy.clone(),
            bytes: done.file_size,
            records: plan.digest.objects,
            keys: 0,
            consistency: crate::model::Consistency::Clean,
            sha256: String::new(),
            captured_at: at,
            digest: Some(plan.digest),
            pruned: Vec::new(),
        })),
        duration,
        timings: Default::default(),
        attempts: 1,
    }
}

/// A restore that went through, as the ledger records it: the copy it
/// restored.
fn restored_result(plan: &Plan, duration: Duration) -> TableResult {
    TableResult {
        table: plan.table.clone(),
        outcome: Outcome::Committed(Box::new(crate::model::CommittedCopy {
            file_name: plan.backup.clone(),
            bytes: plan.bytes,
            records: plan.records,
            keys: 0,
            consistency: plan.consistency,
            sha256: plan.sha256.clone(),
            captured_at: plan.captured_at,
            digest: plan.digest,
            pruned: Vec::new(),
        })),
        duration,
        timings: Default::default(),
        attempts: 1,
    }
}
