//! The server as an operator runs it: killed mid-copy, stopped by SIGTERM,
//! and short of space. Uses the real binary and real Erlang-made tables.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Dirs, ServerProcess, ADMIN};
use tablesafe_client::proto::{RunOutcome, TableOutcome, TriggerBackupResponse};
use tablesafe_client::Client;
use testkit::DetsTool;

/// Waits (polling the directory) until a copy is under way; panics after 60 s.
fn wait_for_partial(backups: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let partial = std::fs::read_dir(backups)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .find(|n| n.ends_with(".partial"));
        if let Some(p) = partial {
            return p;
        }
        assert!(Instant::now() < deadline, "no copy started");
        std::thread::sleep(Duration::from_millis(1));
    }
}

async fn client(server: &ServerProcess) -> Client {
    Client::connect(&server.url(), Some(ADMIN)).await.unwrap()
}

/// A server copying a 1 GiB table for a waiting trigger, caught mid-copy.
struct LargeCopy {
    dirs: Dirs,
    server: ServerProcess,
    trigger: tokio::task::JoinHandle<Result<TriggerBackupResponse, tablesafe_client::Error>>,
    partial: String,
}

async fn large_copy_under_way(reason: &'static str) -> Option<LargeCopy> {
    let erlang = DetsTool::find()?;
    let dirs = Dirs::new();
    erlang.big_table(&dirs.data.join("big.dets"), 1024, false);
    let server = ServerProcess::spawn(dirs.root.path(), "", &dirs.serve_args());
    let client = client(&server).await;
    let trigger = tokio::spawn(async move { client.trigger_backup(vec![], reason).await });
    let backups = dirs.backups.clone();
    let partial = tokio::task::spawn_blocking(move || wait_for_partial(&backups))
        .await
        .unwrap();
    Some(LargeCopy {
        dirs,
        server,
        trigger,
        partial,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_during_a_large_copy_leaves_no_final_file_and_the_run_shows_interrupted() {
    let Some(LargeCopy {
        dirs,
        mut server,
        trigger,
        partial,
    }) = large_copy_under_way("will be killed").await
    else {
        return;
    };
    server.kill(); // SIGKILL
    assert!(
        trigger.await.unwrap().is_err(),
        "the caller sees the server go away"
    );
    assert!(
        dirs.backup_files().is_empty(),
        "no file under a final name: {:?}",
        dirs.all_backup_dir_files()
    );

    let server = ServerProcess::spawn(dirs.root.path(), "", &dirs.serve_args());
    assert!(
        !dirs.backups.join(&partial).exists(),
        "start-up removed the partial copy"
    );
    let client = client(&server).await;
    let runs = client.list_runs(0).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].outcome(), RunOutcome::Interrupted);
    assert_eq!(runs[0].reason, "will be killed");

    let run = common::backed_up(&client, vec![], "after restart").await;
    assert_eq!(run.outcome(), RunOutcome::Succeeded);
    assert_eq!(dirs.backup_files().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_a_copy_within_the_grace_period_and_records_the_run() {
    let Some(LargeCopy {
        dirs,
        mut server,
        trigger,
        ..
    }) = large_copy_under_way("stopped").await
    else {
        return;
    };
    let log = server.log.clone();
    let stopped_at = Instant::now();
    std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    let status = tokio::task::spawn_blocking(move || server.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "clean exit: {status:?}");
    assert!(
        stopped_at.elapsed() < Duration::from_secs(10),
        "within the grace period"
    );
    let log = std::fs::read_to_string(log).unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains("shutdown requested") && l.contains("SIGTERM")),
        "the log says which signal: {log}"
    );

    // The waiting caller got the run's end before the server went.
    let run = trigger.await.unwrap().unwrap().run.unwrap();
    assert_eq!(run.outcome(), RunOutcome::Interrupted);
    assert_ne!(run.tables[0].outcome(), TableOutcome::Succeeded);
    assert!(
        dirs.all_backup_dir_files().is_empty(),
        "{:?}",
        dirs.all_backup_dir_files()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_backup_volume_fails_the_table_cleanly_and_keeps_older_backups() {
    let Some(erlang) = DetsTool::find() else {
        return;
    };
    let dirs = Dirs::new();
    erlang.big_table(&dirs.data.join("big.dets"), 48, false);
    std::fs::copy(
        testkit::fixture("set_10.dets"),
        dirs.data.join("small.dets"),
    )
    .unwrap();

    let server = ServerProcess::spawn(dirs.root.path(), "", &dirs.serve_args());
    let run = client(&server)
        .await
        .trigger_backup(vec![], "room")
        .await
        .unwrap()
        .run
        .unwrap();
    assert_eq!(run.outcome(), RunOutcome::Succeeded);
    let before = dirs.backup_files();
    drop(server);

    // 20,000 KiB: room for the small table, the manifests and the ledger, not the big one.
    let server = ServerProcess::spawn(dirs.root.path(), "ulimit -f 20000", &dirs.serve_args());
    let client = client(&server).await;
    let run = common::backed_up(&client, vec![], "no room").await;
    assert_eq!(run.outcome(), RunOutcome::Partial);
    let big = run.tables.iter().find(|t| t.table == "big").unwrap();
    assert_eq!(big.outcome(), TableOutcome::Failed);
    assert_eq!(big.error_code, "BACKUP_DISK_FULL", "{}", big.error_message);
    let small = run.tables.iter().find(|t| t.table == "small").unwrap();
    assert_eq!(small.outcome(), TableOutcome::Succeeded);

    let after = dirs.backup_files();
    for old in &before {
        assert!(after.contains(old), "older backup {old} kept");
    }
    assert_eq!(after.iter().filter(|f| f.starts_with("big_")).count(), 1);
    assert!(dirs
        .all_backup_dir_files()
        .iter()
        .all(|f| !f.ends_with(".partial")));
    // The server is still up and answering.
    assert_eq!(client.list_runs(0).await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_logs_carry_a_structured_line_per_table_and_per_run() {
    let dirs = Dirs::new();
    std::fs::copy(
        testkit::fixture("set_grown.dets"),
        dirs.data.join("users.dets"),
    )
    .unwrap();
    let mut args = dirs.serve_args();
    args.extend(["--log-format".into(), "json".into()]);
    let mut server = ServerProcess::spawn(dirs.root.path(), "", &args);
    let run = client(&server)
        .await
        .trigger_backup(vec![], "logged")
        .await
        .unwrap()
        .run
        .unwrap();
    server.kill();
    let log = std::fs::read_to_string(&server.log).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let committed = lines
        .iter()
        .find(|l| l["message"] == "backup committed")
        .expect("a line per table");
    assert_eq!(committed["table"], "users");
    assert_eq!(committed["file"], run.tables[0].file_name.as_str());
    assert_eq!(committed["bytes"], 54857);
    assert_eq!(committed["records"], 1200);
    assert_eq!(committed["consistency"], "clean");
    assert!(committed["duration_ms"].is_u64());
    let finished = lines
        .iter()
        .find(|l| l["message"] == "backup run finished")
        .expect("a line per run");
    assert_eq!(finished["run_id"], run.run_id.as_str());
    assert_eq!(finished["succeeded"], 1);
    assert_eq!(finished["outcome"], "succeeded");
    assert!(!log.contains(ADMIN), "tokens are never logged");
}

/// The server's environment, as the kernel has it.
fn environ_of(server: &ServerProcess) -> Vec<String> {
    let raw = std::fs::read(format!("/proc/{}/environ", server.child.id())).unwrap();
    raw.split(|&b| b == 0)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect()
}

#[test]
fn the_server_runs_with_its_malloc_settings_unless_the_operator_chose_others() {
    let dirs = Dirs::new();
    let server = ServerProcess::spawn(dirs.root.path(), "", &dirs.serve_args());
    let env = environ_of(&server);
    for setting in ["MALLOC_ARENA_MAX=1", "MALLOC_MMAP_THRESHOLD_=131072"] {
        assert!(env.iter().any(|v| v == setting), "{setting} not in {env:?}");
    }
    drop(server);

    let server = ServerProcess::spawn(
        dirs.root.path(),
        "export MALLOC_ARENA_MAX=4",
        &dirs.serve_args(),
    );
    let env = environ_of(&server);
    assert!(env.iter().any(|v| v == "MALLOC_ARENA_MAX=4"), "{env:?}");
    assert!(!env.iter().any(|v| v == "MALLOC_ARENA_MAX=1"), "{env:?}");
    assert!(
        env.iter().any(|v| v == "MALLOC_MMAP_THRESHOLD_=131072"),
        "{env:?}"
    );
}
