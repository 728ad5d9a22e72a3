//! The control task on paused tokio time: the engine's clock starts where a
//! test says and moves only as tokio's paused clock does, so a schedule's
//! fire, a first backup and a catch-up after downtime are seen to happen at
//! exactly the times they should, in milliseconds of real time. A gate in
//! the quiesce stage holds a run under way for as long as a test needs, to
//! show what triggers, follow-ups and shutdown do meanwhile.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::sync::{mpsc as sync_mpsc, Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use tablesafe_engine::catalog::{CatalogConfig, TableEntry};
use tablesafe_engine::clock::Clock;
use tablesafe_engine::control::{self, EngineConfig, Handle, Parts, TriggerReply};
use tablesafe_engine::events::{EventBus, EventPayload, Subscription};
use tablesafe_engine::model::{ErrorCode, RunOutcome, RunRecord, TableOutcome, Trigger};
use tablesafe_engine::pipeline::{PipelineOptions, Quiesce, QuiesceError};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

struct Engine {
    handle: Handle,
    events: Subscription,
    stop: CancellationToken,
    tasks: TaskTracker,
}

/// A quiesce stage that says which table it was asked for, then holds the
/// copy until the test lets one through (all of them once the test drops
/// its sender).
struct Gate {
    entered: mpsc::UnboundedSender<String>,
    open: Mutex<sync_mpsc::Receiver<()>>,
}

impl Quiesce for Gate {
    fn quiesce(&self, table: &TableEntry) -> Result<(), QuiesceError> {
        let _ = self.entered.send(table.name.clone());
        let _ = self.open.lock().unwrap().recv();
        Ok(())
    }
}

/// The test's side of a [`Gate`].
struct GateControl {
    entered: mpsc::UnboundedReceiver<String>,
    open: Option<sync_mpsc::Sender<()>>,
}

impl GateControl {
    /// The table whose copy waits at the gate now.
    async fn waiting(&mut self) -> String {
        self.entered.recv().await.unwrap()
    }

    /// Lets every copy through, from now on.
    fn open(&mut self) {
        self.open = None;
    }
}

fn gate() -> (Arc<Gate>, GateControl) {
    let (entered_tx, entered) = mpsc::unbounded_channel();
    let (open_tx, open_rx) = sync_mpsc::channel();
    (
        Arc::new(Gate {
            entered: entered_tx,
            open: Mutex::new(open_rx),
        }),
        GateControl {
            entered,
            open: Some(open_tx),
        },
    )
}

fn start(dir: &std::path::Path, at: DateTime<Utc>) -> Engine {
    start_with(dir, at, None)
}

fn start_with(
    dir: &std::path::Path,
    at: DateTime<Utc>,
    quiesce: Option<Arc<dyn Quiesce>>,
) -> Engine {
    launch(config(dir, at), quiesce)
}

fn config(dir: &std::path::Path, at: DateTime<Utc>) -> EngineConfig {
    EngineConfig {
        catalog: CatalogConfig {
            data_dirs: vec![dir.join("data")],
            ..Default::default()
        },
        backup_dir: dir.join("backups"),
        pipeline: PipelineOptions::default(),
        schedule: "0 3 * * *".parse().unwrap(),
        concurrency: 1,
        catch_up_delay: Duration::from_secs(30),
        scrub_interval: None,
        drill_after_backup: false,
        clock: Clock::tokio_at(at),
    }
}

fn launch(config: EngineConfig, quiesce: Option<Arc<dyn Quiesce>>) -> Engine {
    let bus = EventBus::new(64);
    let events = bus.subscribe(None);
    let stop = CancellationToken::new();
    let tasks = TaskTracker::new();
    let parts = Parts {
        quiesce,
        open_files: None,
        events: bus,
        erlang_fold: None,
    };
    let handle = control::start(config, parts, stop.clone(), &tasks).unwrap();
    tasks.close();
    Engine {
        handle,
        events,
        stop,
        tasks,
    }
}

impl Engine {
    /// The next run to finish, as the ledger has it. Awaiting lets the paused
    /// clock run on to the engine's next timer.
    async fn next_run(&mut self) -> RunRecord {
        loop {
            if let EventPayload::RunFinished { run_id, .. } = &self.events.next().await.payload {
                let runs = self.handle.list_runs(10).await.unwrap();
                return runs.into_iter().find(|r| &r.run_id == run_id).unwrap();
            }
        }
    }

    /// The next run to start.
    async fn next_start(&mut self) -> (String, Vec<String>) {
        loop {
            if let EventPayload::RunStarted { run_id, tables, .. } =
                &self.events.next().await.payload
            {
                return (run_id.clone(), tables.clone());
            }
        }
    }

    /// Until the engine has taken `joined` triggers into the run under way
    /// and `follow_up` into the follow-up after it (a trigger scans the
    /// catalog before the engine sees it).
    async fn until_waiting(&self, joined: usize, follow_up: usize) {
        loop {
            let status = self.handle.status().await.unwrap();
            let now = status.running.map_or(0, |r| r.joined.len());
            if (now, status.follow_up.len()) == (joined, follow_up) {
                return;
            }
            tokio::task::yield_now().await;
        }
    }

    /// A trigger of `tables`, waiting for its run in a task of its own.
    fn trigger(&self, tables: &[&str], reason: &str) -> JoinHandle<TriggerReply> {
        let handle = self.handle.clone();
        let tables = tables.iter().map(|t| t.to_string()).collect();
        let reason = reason.to_owned();
        tokio::spawn(async move { handle.trigger(tables, reason).await.unwrap() })
    }

    async fn stop(self) {
        self.stop.cancel();
        self.tasks.wait().await;
    }
}

fn at(day: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, h, m, s).unwrap()
}

fn table_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    add_table(dir.path(), "t");
    dir
}

fn add_table(dir: &std::path::Path, name: &str) {
    std::fs::copy(
        testkit::fixture("set_10.dets"),
        dir.join(format!("data/{name}.dets")),
    )
    .unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_first_backup_after_the_delay_then_the_schedule_fires_on_time() {
    let dir = table_dir();
    let mut engine = start(dir.path(), at(1, 2, 58, 0));

    let first = engine.next_run().await;
    assert_eq!(first.trigger, Trigger::CatchUp);
    assert!(first.reason.starts_with("first backup"), "{}", first.reason);
    assert_eq!(first.started_at, at(1, 2, 58, 30), "after catch_up_delay");
    assert_eq!(first.outcome, RunOutcome::Succeeded);

    let scheduled = engine.next_run().await;
    assert_eq!(scheduled.trigger, Trigger::Scheduled);
    assert_eq!(scheduled.reason, "scheduled");
    assert_eq!(scheduled.started_at, at(1, 3, 0, 0), "exactly at 03:00");
    assert_eq!(scheduled.outcome, RunOutcome::Succeeded);

    let next_day = engine.next_run().await;
    assert_eq!(next_day.started_at, at(2, 3, 0, 0));
    // The capture time in the name is the engine's clock too.
    let names: Vec<String> = std::fs::read_dir(dir.path().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".dets"))
        .collect();
    assert!(
        names.contains(&"t_2026-03-02T03-00-00.dets".to_owned()),
        "{names:?}"
    );
    engine.stop().await;
}

#[tokio::test(start_paused = true)]
async fn after_downtime_a_missed_run_is_caught_up_and_a_recent_backup_needs_none() {
    let dir = table_dir();
    let mut engine = start(dir.path(), at(1, 2, 58, 0));
    engine.next_run().await;
    engine.stop().await;

    // Down for two days: the 03:00 runs of the 2nd and 3rd were missed.
    let mut engine = start(dir.path(), at(3, 10, 0, 0));
    let caught_up = engine.next_run().await;
    assert_eq!(caught_up.trigger, Trigger::CatchUp);
    assert_eq!(caught_up.reason, "catch-up after a missed scheduled run");
    assert_eq!(caught_up.started_at, at(3, 10, 0, 30));
    engine.stop().await;

    // Restarted an hour later: the backup is recent, the next run is 03:00.
    let mut engine = start(dir.path(), at(3, 11, 0, 0));
    let next = engine.next_run().await;
    assert_eq!(next.trigger, Trigger::Scheduled);
    assert_eq!(next.started_at, at(4, 3, 0, 0));
    engine.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_trigger_during_a_run_that_covers_its_tables_joins_it() {
    let dir = table_dir();
    let (quiesce, mut gate) = gate();
    let mut engine = start_with(dir.path(), at(1, 2, 58, 0), Some(quiesce));
    let (run_id, tables) = engine.next_start().await;
    assert_eq!(tables, ["t"]);
    assert_eq!(gate.waiting().await, "t");

    let everything = engine.trigger(&[], "operator: before the upgrade");
    let just_t = engine.trigger(&["t"], "ci: before the deploy");
    engine.until_waiting(2, 0).await;
    gate.open();

    for reply in [everything.await.unwrap(), just_t.await.unwrap()] {
        assert!(reply.joined_existing_run);
        assert_eq!(reply.run.run_id, run_id);
        assert_eq!(reply.run.trigger, Trigger::CatchUp);
        assert_eq!(reply.run.outcome, RunOutcome::Succeeded);
        assert_eq!(
            reply.run.joined,
            ["operator: before the upgrade", "ci: before the deploy"]
        );
    }
    // One run, not three.
    let runs = engine.handle.list_runs(10).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].joined.len(), 2, "the ledger has the joined reasons");
    engine.stop().await;
}

#[tokio::test(start_paused = true)]
async fn triggers_the_run_under_way_does_not_cover_share_one_follow_up_run() {
    let dir = table_dir();
    let (quiesce, mut gate) = gate();
    let mut engine = start_with(dir.path(), at(1, 2, 58, 0), Some(quiesce));
    let (first_run, _) = engine.next_start().await;
    assert_eq!(gate.waiting().await, "t");
    // A table that appeared after the run began is not in it.
    add_table(dir.path(), "u");
    let for_u = engine.trigger(&["u"], "new table u");
    engine.until_waiting(0, 1).await;
    let for_both = engine.trigger(&["t", "u"], "both, please");
    engine.until_waiting(0, 2).await;
    gate.open();

    let (for_u, for_both) = (for_u.await.unwrap(), for_both.await.unwrap());
    assert_ne!(for_u.run.run_id, first_run, "not the run that lacks u");
    assert_eq!(
        for_u.run.run_id, for_both.run.run_id,
        "one follow-up for both"
    );
    assert!(!for_u.joined_existing_run, "the first caller started it");
    assert!(for_both.joined_existing_run, "the second joined it");
    let follow_up = for_u.run;
    assert_eq!(follow_up.trigger, Trigger::Manual);
    assert_eq!(
        follow_up.tables,
        ["t", "u"],
        "every table any caller asked for"
    );
    assert_eq!(follow_up.reason, "new table u");
    assert_eq!(follow_up.joined, ["both, please"]);
    assert_eq!(follow_up.outcome, RunOutcome::Succeeded);
    let first = engine.handle.list_runs(10).await.unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(first[1].run_id, first_run);
    // The older run keeps its counts; only the newest keeps its results.
    assert_eq!(first[1].counts.succeeded, 1);
    assert!(first[1].results_omitted);
    engine.stop().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_during_a_run_records_it_interrupted_and_skips_what_had_not_started() {
    let dir = table_dir();
    add_table(dir.path(), "u");
    let (quiesce, mut gate) = gate();
    let mut engine = start_with(dir.path(), at(1, 2, 58, 0), Some(quiesce));
    let (run_id, tables) = engine.next_start().await;
    assert_eq!(tables, ["t", "u"]);
    // One copy at a time: t waits at the gate, u has not started.
    assert_eq!(gate.waiting().await, "t");
    let waiting = engine.trigger(&[], "joined before the stop");
    engine.until_waiting(1, 0).await;

    engine.stop.cancel();
    gate.open();
    let reply = waiting.await.unwrap();
    assert_eq!(reply.run.run_id, run_id);
    assert_eq!(reply.run.outcome, RunOutcome::Interrupted);
    let [t, u] = &reply.run.results[..] else {
        panic!("{:?}", reply.run.results)
    };
    assert_eq!(t.kind(), TableOutcome::Failed);
    assert_eq!(t.outcome.error().unwrap().code, ErrorCode::Cancelled);
    assert_eq!(u.kind(), TableOutcome::Skipped);
    engine.tasks.wait().await;
    // No copy under a final name, no partial left behind.
    let left: Vec<_> = std::fs::read_dir(dir.path().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".dets"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // The ledger has it as it ended, and a restart catches up.
    let mut engine = start(dir.path(), at(1, 3, 10, 0));
    let runs = engine.handle.list_runs(10).await.unwrap();
    assert_eq!(runs[0].run_id, run_id);
    assert_eq!(runs[0].outcome, RunOutcome::Interrupted);
    let caught_up = engine.next_run().await;
    assert_eq!(caught_up.trigger, Trigger::CatchUp);
    assert_eq!(caught_up.outcome, RunOutcome::Succeeded);
    engine.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_drill_follows_each_scheduled_run_and_proves_its_copies() {
    let dir = table_dir();
    let mut config = config(dir.path(), at(1, 2, 58, 0));
    config.drill_after_backup = true;
    let mut engine = launch(config, None);
    let first = engine.next_run().await;
    assert_eq!(first.trigger, Trigger::CatchUp);
    let facts = loop {
        if let EventPayload::TableDrilled { table, facts, .. } = &engine.events.next().await.payload
        {
            assert_eq!(table, "t");
            break facts.clone();
        }
    };
    assert!(facts.passed, "{facts:?}");
    assert_eq!(facts.level, tablesafe_engine::drill::DrillLevel::Reader);
    assert_eq!(
        facts.at,
        at(1, 2, 58, 30),
        "on the engine's clock, right after the run"
    );
    assert!(
        facts.backup.starts_with("t_2026-03-01T02-58-30"),
        "{facts:?}"
    );
    // The drill book is written once the drill is over.
    while !engine.handle.last_drills().contains_key("t") {
        tokio::task::yield_now().await;
    }
    assert_eq!(engine.handle.last_drills()["t"], facts);
    engine.stop().await;
}
