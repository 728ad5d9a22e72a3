//! Live events over real gRPC: ordering, exact resumption, resync, filters,
//! slow watchers, grpcurl, and streams that end with the server.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Dirs, TestServer, ADMIN};
use tablesafe_client::proto::{event::Payload, Event, EventKind, WatchEventsRequest};
use tablesafe_client::Client;
use tablesafe_engine::events::{EventBus, EventPayload};
use tablesafe_engine::health::Status;

/// The next `n` events that are not heartbeats.
async fn next_events(stream: &mut tonic::Streaming<Event>, n: usize) -> Vec<Event> {
    let mut events = Vec::new();
    while events.len() < n {
        let event = tokio::time::timeout(Duration::from_secs(10), stream.message())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if !matches!(event.payload, Some(Payload::Heartbeat(_))) {
            events.push(event);
        }
    }
    events
}

fn kind(e: &Event) -> &'static str {
    match e.payload.as_ref().unwrap() {
        Payload::RunStarted(_) => "started",
        Payload::TableBackedUp(_) => "backed_up",
        Payload::TableBackupFailed(_) => "failed",
        Payload::RunFinished(_) => "finished",
        Payload::HealthChanged(_) => "health",
        Payload::Heartbeat(_) => "heartbeat",
        Payload::ResyncRequired(_) => "resync",
        Payload::RestoreStarted(_) => "restore_started",
        Payload::RestoreFinished(_) => "restore_finished",
        Payload::TableDrilled(_) => "drilled",
        Payload::TableCompacted(_) => "compacted",
        Payload::OffsiteCopied(_) => "offsite_copied",
        Payload::OffsiteFailed(_) => "offsite_failed",
    }
}

fn request(after: u64, epoch: &str) -> WatchEventsRequest {
    WatchEventsRequest {
        after_sequence: after,
        epoch: epoch.into(),
        ..Default::default()
    }
}

/// The run events of one run: started, a result per table, finished (health events skipped).
async fn run_events(stream: &mut tonic::Streaming<Event>, tables: usize) -> Vec<Event> {
    let mut events = Vec::new();
    while events.len() < tables + 2 {
        let e = next_events(stream, 1).await.remove(0);
        if kind(&e) != "health" {
            events.push(e);
        }
    }
    events
}

#[tokio::test(flavor = "multi_thread")]
async fn a_watcher_sees_each_run_and_resumes_exactly_where_it_left_off() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[
        ("users", "set_grown.dets"),
        ("settings", "set_10.dets"),
        ("orders", "set_fragmented.dets"),
    ]);
    let server = TestServer::start(dirs.config()).await;
    let client = server.client(Some(ADMIN)).await;

    let mut stream = client.watch_events(request(0, "")).await.unwrap();
    let run = common::backed_up(&client, vec![], "first").await;
    let events = run_events(&mut stream, 3).await;
    let kinds: Vec<_> = events.iter().map(kind).collect();
    assert_eq!(
        kinds,
        ["started", "backed_up", "backed_up", "backed_up", "finished"]
    );
    assert!(
        events.windows(2).all(|w| w[0].sequence < w[1].sequence),
        "strictly increasing"
    );
    let mut tables: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.payload {
            Some(Payload::TableBackedUp(t)) => {
                assert_eq!(t.run_id, run.run_id);
                assert!(t.file_name.starts_with(&format!("{}_", t.table)));
                Some(t.table.clone())
            }
            _ => None,
        })
        .collect();
    tables.sort();
    assert_eq!(tables, ["orders", "settings", "users"]);
    let last = events.last().unwrap().clone();
    let epoch = last.epoch.clone();
    drop(stream);

    // Missed while disconnected: health changes after the first run, and a second run.
    let second = common::backed_up(&client, vec![], "second").await;
    let mut resumed = client
        .watch_events(request(last.sequence, &epoch))
        .await
        .unwrap();
    let mut replayed = Vec::new();
    loop {
        let e = next_events(&mut resumed, 1).await.remove(0);
        let done = matches!(&e.payload, Some(Payload::RunFinished(r)) if r.run_id == second.run_id);
        replayed.push(e);
        if done {
            break;
        }
    }
    let sequences: Vec<u64> = replayed.iter().map(|e| e.sequence).collect();
    let expected: Vec<u64> = (last.sequence + 1..=last.sequence + sequences.len() as u64).collect();
    assert_eq!(
        sequences, expected,
        "exactly the missed events: nothing lost, nothing repeated"
    );
    let run_kinds: Vec<_> = replayed
        .iter()
        .map(kind)
        .filter(|k| *k != "health")
        .collect();
    assert_eq!(
        run_kinds,
        ["started", "backed_up", "backed_up", "backed_up", "finished"]
    );

    // The whole history from the start of the epoch is still in the ring.
    let mut from_start = client.watch_events(request(0, &epoch)).await.unwrap();
    assert_eq!(next_events(&mut from_start, 1).await[0].sequence, 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn evicted_sequences_and_old_epochs_start_with_resync_and_filters_apply() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets"), ("settings", "set_empty.dets")]);
    let mut config = dirs.config();
    config.ring_size = 6;
    let server = TestServer::start(config).await;
    let client = server.client(Some(ADMIN)).await;
    let mut probe = client.watch_events(request(0, "")).await.unwrap();
    for _ in 0..3 {
        client.trigger_backup(vec![], "").await.unwrap();
    }
    let epoch = next_events(&mut probe, 1).await[0].epoch.clone();

    for (after, e) in [(1, epoch.as_str()), (0, "an-old-epoch")] {
        let mut stream = client.watch_events(request(after, e)).await.unwrap();
        let first = next_events(&mut stream, 1).await.remove(0);
        let Some(Payload::ResyncRequired(r)) = first.payload else {
            panic!("{first:?}")
        };
        assert_eq!(r.epoch, epoch);
        assert!(r.oldest_sequence > 1, "{r:?}");
        assert!(!r.reason.is_empty());
    }

    let filtered = WatchEventsRequest {
        kinds: vec![EventKind::TableBackedUp as i32],
        tables: vec!["users".into()],
        ..Default::default()
    };
    let mut only_users = client.watch_events(filtered).await.unwrap();
    client.trigger_backup(vec![], "").await.unwrap();
    client.trigger_backup(vec![], "").await.unwrap();
    let got = next_events(&mut only_users, 2).await;
    for e in &got {
        let Some(Payload::TableBackedUp(t)) = &e.payload else {
            panic!("{e:?}")
        };
        assert_eq!(t.table, "users");
    }
    server.stop().await;
}

/// The next item of an SDK watcher, which must be an event.
async fn next_of(
    stream: &mut tokio_stream::wrappers::ReceiverStream<Result<Event, tablesafe_client::Error>>,
) -> Event {
    use tokio_stream::StreamExt;
    tokio::time::timeout(Duration::from_secs(20), stream.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap()
}

/// Resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_watcher_that_never_reads_slows_nothing_and_costs_a_bounded_amount() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_grown.dets")]);
    let bus = EventBus::new(1024);
    let server = TestServer::start_with_events(dirs.config(), bus.clone()).await;
    let client = server.client(Some(ADMIN)).await;

    // Never read: the stream is opened and left alone.
    let stuck = client.watch_events(request(0, "")).await.unwrap();
    let mut reader = client.watch_events(request(0, "")).await.unwrap();
    let before = rss_kib();

    const EVENTS: u64 = 10_000;
    const BATCH: u64 = 100;
    // The reading watcher reports how far it got; the publisher goes on one
    // batch at a time, so a fast publisher cannot outrun a reader that reads.
    let (progress_tx, mut progress) = tokio::sync::watch::channel(0u64);
    let first_sequence = bus.latest() + 1;
    let reading = tokio::spawn(async move {
        let mut expected = first_sequence;
        let mut ours = 0;
        while ours < EVENTS {
            let e = next_events(&mut reader, 1).await.remove(0);
            assert_ne!(kind(&e), "resync", "the reading watcher kept up");
            if e.sequence < first_sequence {
                continue;
            }
            assert_eq!(e.sequence, expected, "no gap, no repeat");
            expected += 1;
            if matches!(&e.payload, Some(Payload::HealthChanged(h)) if h.table.len() == 4096) {
                ours += 1;
            }
            progress_tx.send_replace(e.sequence);
        }
    });
    let big_name = "t".repeat(4096);
    let publisher = {
        let bus = bus.clone();
        tokio::spawn(async move {
            for _ in 0..EVENTS / BATCH {
                let mut last = 0;
                for _ in 0..BATCH {
                    last = bus.publish(EventPayload::HealthChanged {
                        table: Some(big_name.clone()),
                        old: Status::Healthy,
                        new: Status::Warning,
                    });
                }
                progress.wait_for(|seen| *seen >= last).await.unwrap();
            }
        })
    };
    // A backup runs meanwhile and finishes.
    let run = common::backed_up(&client, vec![], "under load").await;
    assert_eq!(run.tables.len(), 1);
    tokio::time::timeout(Duration::from_secs(120), publisher)
        .await
        .unwrap()
        .unwrap();
    reading.await.unwrap();

    // 10,000 events of 4 KiB passed by the stuck watcher: it held at most its
    // small buffer, not 40 MiB.
    let grown_mib = rss_kib().saturating_sub(before) / 1024;
    assert!(grown_mib < 24, "memory grew by {grown_mib} MiB");

    // When it finally reads, it learns it fell behind instead of missing events
    // silently: after what was already in flight (its buffer and the HTTP/2
    // window), the next thing it hears is ResyncRequired.
    let mut stuck = stuck;
    let mut told = false;
    for _ in 0..EVENTS {
        let e = next_events(&mut stuck, 1).await.remove(0);
        if kind(&e) == "resync" {
            told = true;
            break;
        }
    }
    assert!(told, "the stuck watcher was told to resync");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn open_streams_end_when_the_server_stops() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets")]);
    let server = TestServer::start(dirs.config()).await;
    let client = server.client(None).await;
    let mut stream = client.watch_events(request(0, "")).await.unwrap();
    let stopped = tokio::time::timeout(Duration::from_secs(5), server.stop()).await;
    assert!(stopped.is_ok(), "shutdown was not held by the open stream");
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match stream.message().await {
                Ok(Some(_)) => continue,
                other => return other.map(|_| ()),
            }
        }
    })
    .await;
    assert!(end.is_ok(), "the stream ended");
}

#[tokio::test(flavor = "multi_thread")]
async fn grpcurl_streams_watch_events() {
    let Some(grpcurl) = testkit::require("grpcurl") else {
        return;
    };
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_grown.dets")]);
    let server = TestServer::start(dirs.config()).await;
    // An unknown epoch makes the server answer at once with ResyncRequired:
    // grpcurl's first line proves the stream is open before the backup starts.
    let mut child = Command::new(grpcurl)
        .args([
            "-plaintext",
            "-d",
            r#"{"epoch": "unknown"}"#,
            &server.addr.to_string(),
            "tablesafe.v1.StorageAdmin/WatchEvents",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, mut lines_rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut printed = String::new();
    while !printed.contains("resyncRequired") {
        printed.push_str(&lines_rx.recv().await.unwrap());
    }
    server
        .client(Some(ADMIN))
        .await
        .trigger_backup(vec![], "")
        .await
        .unwrap();
    while !printed.contains("runFinished") {
        printed.push_str(&lines_rx.recv().await.unwrap());
    }
    assert!(
        printed.contains("\"tableBackedUp\"") && printed.contains("users_"),
        "{printed}"
    );
    server.stop().await;
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(
        status.success(),
        "the stream ended cleanly with the server: {status:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sdk_watcher_and_watch_command_resume_across_a_server_restart() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets")]);
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let start = || {
        let dirs_config = dirs.config();
        async move {
            let mut config = dirs_config;
            config.listen = format!("127.0.0.1:{port}").parse().unwrap();
            let listener = tokio::net::TcpListener::bind(config.listen).await.unwrap();
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let task = tokio::spawn(tablesafe::server::run(config, listener, async {
                let _ = rx.await;
            }));
            (tx, task)
        }
    };
    let url = format!("http://127.0.0.1:{port}");
    let (stop, task) = start().await;

    let mut cli = Command::new(env!("CARGO_BIN_EXE_tablesafe"))
        .args(["watch", "--json", "--server", &url, "--epoch", "unknown"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = cli.stdout.take().unwrap();
    let (lines_tx, mut cli_lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let sdk = Client::connect_lazy(&url, None).unwrap();
    let mut sdk_events = sdk.watch(tablesafe_client::WatchOptions {
        epoch: "unknown".into(),
        ..Default::default()
    });
    async fn until(lines: &mut tokio::sync::mpsc::UnboundedReceiver<String>, what: &str) -> String {
        loop {
            let line = tokio::time::timeout(Duration::from_secs(20), lines.recv())
                .await
                .unwrap()
                .unwrap();
            if line.contains(what) {
                return line;
            }
        }
    }
    // Both are connected once they print the resync for the unknown epoch.
    assert_eq!(kind(&next_of(&mut sdk_events).await), "resync");
    until(&mut cli_lines, "resyncRequired").await;

    let admin = Client::connect(&url, Some(ADMIN)).await.unwrap();
    let first = common::backed_up(&admin, vec![], "before restart").await;
    let mut finished = None;
    while finished.is_none() {
        let e = next_of(&mut sdk_events).await;
        if let Some(Payload::RunFinished(r)) = e.payload {
            finished = Some(r.run_id);
        }
    }
    assert_eq!(finished.unwrap(), first.run_id);
    assert!(until(&mut cli_lines, "runFinished")
        .await
        .contains(&first.run_id));

    // Restart: a new process history (epoch). Both reconnect by themselves and
    // are told to resync, then carry on.
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    let (stop, task) = start().await;
    loop {
        if kind(&next_of(&mut sdk_events).await) == "resync" {
            break;
        }
    }
    until(&mut cli_lines, "resyncRequired").await;
    let admin = Client::connect(&url, Some(ADMIN)).await.unwrap();
    let second = common::backed_up(&admin, vec![], "after restart").await;
    loop {
        if let Some(Payload::RunFinished(r)) = next_of(&mut sdk_events).await.payload {
            assert_eq!(r.run_id, second.run_id);
            break;
        }
    }
    assert!(until(&mut cli_lines, "runFinished")
        .await
        .contains(&second.run_id));
    cli.kill().unwrap();
    cli.wait().unwrap();
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_token_ends_the_sdk_watcher_with_unauthenticated() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets")]);
    let mut config = dirs.config();
    config.tokens = tablesafe::auth::Tokens::new(ADMIN, Some("reader".into()));
    let server = TestServer::start(config).await;
    let client = server.client(Some("wrong")).await;
    use tokio_stream::StreamExt;
    let mut events = client.watch(Default::default());
    let first = tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        first.unwrap_err().code(),
        Some(tonic::Code::Unauthenticated)
    );
    assert!(
        events.next().await.is_none(),
        "the watcher stops on a permanent error"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missed_scheduled_run_is_caught_up_after_start() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets")]);
    let mut config = dirs.config();
    config.engine.schedule = "0 3 * * *".parse().unwrap();
    config.engine.catch_up_delay = Duration::from_millis(300);
    let bus = EventBus::new(64);
    // Subscribed before the server starts: the catch-up run cannot be missed.
    let mut events = bus.subscribe(None);
    let server = TestServer::start_with_events(config, bus).await;
    let finished = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let EventPayload::RunFinished { run_id, .. } = &events.next().await.payload {
                return run_id.clone();
            }
        }
    })
    .await
    .unwrap();
    let runs = server.client(None).await.list_runs(0).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].run_id, finished);
    assert_eq!(runs[0].trigger(), tablesafe_client::proto::Trigger::CatchUp);
    assert_eq!(dirs.backup_files().len(), 1);
    server.stop().await;

    // With a fresh backup on disk, a restart plans no catch-up.
    let mut config = dirs.config();
    config.engine.schedule = "0 3 * * *".parse().unwrap();
    let server = TestServer::start(config).await;
    let health = server.client(None).await.get_health(false).await.unwrap();
    let scheduler = health
        .components
        .iter()
        .find(|c| c.name == "scheduler")
        .unwrap();
    assert!(
        scheduler.detail.contains("T03:00:00Z"),
        "next run is the scheduled one: {}",
        scheduler.detail
    );
    server.stop().await;
}
