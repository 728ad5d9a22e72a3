//! The control task on paused tokio time: the engine's clock starts where a
//! test says and moves only as tokio's paused clock does, so a schedule's
//! fire, a first backup and a catch-up after downtime are seen to happen at
//! exactly the times they should, in milliseconds of real time.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use tablesafe_engine::catalog::CatalogConfig;
use tablesafe_engine::clock::Clock;
use tablesafe_engine::control::{self, EngineConfig, Handle};
use tablesafe_engine::events::{EventBus, EventPayload, Subscription};
use tablesafe_engine::model::{RunOutcome, RunRecord, Trigger};
use tablesafe_engine::pipeline::PipelineOptions;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

struct Engine {
    handle: Handle,
    events: Subscription,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

fn start(dir: &std::path::Path, at: DateTime<Utc>) -> Engine {
    let config = EngineConfig {
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
        clock: Clock::tokio_at(at),
    };
    let bus = EventBus::new(64);
    let events = bus.subscribe(None);
    let stop = CancellationToken::new();
    let (handle, task) = control::start(config, None, bus, stop.clone()).unwrap();
    Engine {
        handle,
        events,
        stop,
        task,
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

    async fn stop(self) {
        self.stop.cancel();
        self.task.await.unwrap();
    }
}

fn at(day: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, h, m, s).unwrap()
}

fn table_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::copy(
        testkit::fixture("set_10.dets"),
        dir.path().join("data/t.dets"),
    )
    .unwrap();
    dir
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
