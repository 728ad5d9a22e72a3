//! Promises kept under faults, through the real binary: a torn ledger line
//! never stops start-up or loses the runs around it, and a second instance on
//! one backup directory refuses to start instead of wrecking the first one's
//! work.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use std::io::Write;

use common::{refused_start, Dirs, ServerProcess, ADMIN};
use tablesafe_client::proto::event::Payload;
use tablesafe_client::proto::{
    BackupRun, Event, IssueCode, RunOutcome, TableOutcome, WatchEventsRequest,
};
use tablesafe_client::Client;
use tablesafe_engine::store::BackupName;

#[tokio::test(flavor = "multi_thread")]
async fn a_torn_ledger_line_is_skipped_and_every_other_run_survives() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("settings", "set_10.dets")]);
    let mut server = ServerProcess::spawn(dirs.root.path(), "", &dirs.serve_args());
    let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
    let first = common::backed_up(&client, vec![], "before").await;
    assert_eq!(first.outcome(), RunOutcome::Succeeded);
    server.kill();

    // A full disk mid-append, or a stray byte: not even UTF-8, no newline.
    let ledger = dirs.backups.join(".tablesafe/ledger.jsonl");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&ledger)
        .unwrap();
    file.write_all(b"{\"event\":\"fini\xff\xfe").unwrap();
    drop(file);

    let mut server = ServerProcess::spawn(dirs.root.path(), "", &dirs.serve_args());
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(log.contains("skipping a damaged ledger line"), "{log}");
    assert!(
        log.contains(&ledger.display().to_string()),
        "the log names the file: {log}"
    );
    let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
    let second = common::backed_up(&client, vec![], "after").await;
    assert_eq!(second.outcome(), RunOutcome::Succeeded);
    server.kill();

    // The run after the torn line starts on a line of its own: both survive.
    let server = ServerProcess::spawn(dirs.root.path(), "", &dirs.serve_args());
    let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
    let runs = client.list_runs(10).await.unwrap();
    let ids: Vec<&str> = runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids, [second.run_id.as_str(), first.run_id.as_str()]);
    assert!(
        runs.iter().all(|r| r.outcome() == RunOutcome::Succeeded),
        "{runs:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_instance_on_one_backup_directory_refuses_to_start_and_names_the_first() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("settings", "set_10.dets")]);
    let first = ServerProcess::spawn(dirs.root.path(), "", &dirs.serve_args());

    let stderr = refused_start(&dirs.serve_args());
    // `first.child` is bash, which exec'd the server: the same pid.
    let pid = first.child.id().to_string();
    assert!(
        stderr.contains("in use by another tablesafe") && stderr.contains(&pid),
        "{stderr}"
    );

    // The first instance is untouched and goes on backing up.
    let client = Client::connect(&first.url(), Some(ADMIN)).await.unwrap();
    let run = common::backed_up(&client, vec![], "still mine").await;
    assert_eq!(run.outcome(), RunOutcome::Succeeded);
    assert!(client
        .list_runs(10)
        .await
        .unwrap()
        .iter()
        .all(|r| r.outcome() == RunOutcome::Succeeded));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_static_damaged_open_table_is_corrupt_after_two_identical_copies() {
    let dirs = Dirs::new();
    // A table copied while open (not closed properly), then damaged inside an
    // object: every copy is the same bytes, and none verifies.
    let mut bytes = std::fs::read(testkit::fixture("set_open_dirty.dets")).unwrap();
    let object = bytes[5432..]
        .windows(2)
        .position(|w| w == [131, 104])
        .map(|i| 5432 + i + 1)
        .unwrap();
    bytes[object] = 0xE8; // no term has this tag
    std::fs::write(dirs.data.join("stuck.dets"), &bytes).unwrap();
    let server = ServerProcess::spawn(dirs.root.path(), "", &dirs.serve_args());
    let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
    let run = common::backed_up(&client, vec![], "damaged").await;
    let result = &run.tables[0];
    assert_eq!(result.error_code, "TABLE_CORRUPT", "{result:?}");
    assert!(
        result
            .error_message
            .contains("two copies of the same bytes"),
        "{}",
        result.error_message
    );
    assert!(
        dirs.all_backup_dir_files().is_empty(),
        "{:?}",
        dirs.all_backup_dir_files()
    );
}

#[test]
fn one_table_name_in_two_data_directories_refuses_start_up_naming_both() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("settings", "set_10.dets")]);
    let other = dirs.root.path().join("more-data");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(testkit::fixture("set_10.dets"), other.join("settings.dets")).unwrap();
    let mut args = dirs.serve_args();
    args.extend(["--data-dir".into(), other.display().to_string()]);
    let stderr = refused_start(&args);
    for path in [dirs.data.join("settings.dets"), other.join("settings.dets")] {
        assert!(stderr.contains(&path.display().to_string()), "{stderr}");
    }
    assert!(
        std::fs::read_dir(&dirs.backups).unwrap().next().is_none(),
        "nothing was written"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_data_directory_refuses_start_up_and_one_that_vanishes_is_critical() {
    let dirs = Dirs::new();
    let typo = dirs.root.path().join("dta");
    let stderr = refused_start(&[
        "--data-dir".into(),
        typo.display().to_string(),
        "--backup-dir".into(),
        dirs.backups.display().to_string(),
    ]);
    assert!(
        stderr.contains(&typo.display().to_string())
            && stderr.contains("No such file or directory"),
        "{stderr}"
    );

    dirs.add_fixtures(&[("settings", "set_10.dets")]);
    let server = ServerProcess::spawn(dirs.root.path(), "", &dirs.serve_args());
    let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
    client.trigger_backup(vec![], "first").await.unwrap();
    std::fs::rename(&dirs.data, dirs.root.path().join("unmounted")).unwrap();
    let health = client.get_health(true).await.unwrap();
    assert_eq!(
        health.status(),
        tablesafe_client::proto::HealthStatus::Critical
    );
    let storage = health
        .components
        .iter()
        .find(|c| c.name == "storage")
        .unwrap();
    let issue = storage
        .issues
        .iter()
        .find(|i| i.code() == tablesafe_client::proto::IssueCode::DataDirUnreadable)
        .unwrap_or_else(|| panic!("{storage:?}"));
    assert!(
        issue.message.contains(&dirs.data.display().to_string()),
        "{}",
        issue.message
    );
    // A run then is no success, and says why.
    let run = common::backed_up(&client, vec![], "after").await;
    assert_ne!(run.outcome(), RunOutcome::Succeeded);
    assert!(
        run.errors
            .iter()
            .any(|e| e.contains(&dirs.data.display().to_string())
                && e.contains("No such file or directory")),
        "{run:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_follows_capture_time_and_never_prunes_the_copy_a_run_just_made() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("settings", "set_10.dets")]);
    let server = ServerProcess::spawn(dirs.root.path(), "", &dirs.serve_args());
    let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
    for _ in 0..3 {
        client.trigger_backup(vec![], "before").await.unwrap();
    }
    // The clock was a year fast when these were made, then corrected.
    dirs.shift_backups("settings", chrono::Duration::days(365));
    let from_the_future = dirs.backup_files();
    assert_eq!(from_the_future.len(), 3);

    let run = common::backed_up(&client, vec![], "after the clock was corrected").await;
    assert_eq!(run.outcome(), RunOutcome::Succeeded);
    let own = &run.tables[0];
    assert!(!own.pruned.contains(&own.file_name), "{own:?}");
    assert!(dirs.backups.join(&own.file_name).is_file());
    assert_eq!(own.pruned.len(), 1, "{own:?}");
    assert!(from_the_future.contains(&own.pruned[0]));

    let health = client.get_health(true).await.unwrap();
    let settings = &health.tables[0];
    let skew: Vec<_> = settings
        .issues
        .iter()
        .filter(|i| i.code() == IssueCode::ClockSkew)
        .collect();
    assert_eq!(skew.len(), 2, "{:?}", settings.issues);
    assert!(from_the_future.iter().any(|f| skew[0].message.contains(f)));
    let since = settings.since_last_backup.unwrap();
    assert!(
        since.seconds < 60,
        "the believable copy is the last one: {since:?}"
    );

    // Two more runs replace the copies from the future; the skew is gone.
    for _ in 0..2 {
        client.trigger_backup(vec![], "more").await.unwrap();
    }
    assert!(dirs
        .backup_files()
        .iter()
        .all(|f| !from_the_future.contains(f)));
    let health = client.get_health(true).await.unwrap();
    assert!(health.tables[0]
        .issues
        .iter()
        .all(|i| i.code() != IssueCode::ClockSkew));
}

#[tokio::test(flavor = "multi_thread")]
async fn back_to_back_runs_keep_the_capture_second_in_their_names() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("settings", "set_10.dets")]);
    let server = ServerProcess::spawn(dirs.root.path(), "", &dirs.serve_args());
    let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
    let mut names = Vec::new();
    for _ in 0..12 {
        let run = common::backed_up(&client, vec![], "burst").await;
        let name = BackupName::parse(&run.tables[0].file_name).unwrap();
        // The name's second is the capture's: never ahead of the clock.
        assert!(name.at <= chrono::Utc::now(), "{name:?}");
        names.push(name);
    }
    assert!(
        names.iter().any(|n| n.seq > 1),
        "twelve runs in a few seconds share a second: {names:?}"
    );
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len());
    let listed = client.list_backups(Some("settings")).await.unwrap();
    for backup in &listed {
        let name = BackupName::parse(&backup.file_name).unwrap();
        let captured = backup.captured_at.unwrap();
        assert_eq!(captured.seconds, name.at.timestamp(), "{backup:?}");
    }
    // Newest capture first, whatever the names sort as.
    let order: Vec<_> = listed
        .iter()
        .map(|b| {
            let t = b.captured_at.unwrap();
            (t.seconds, t.nanos)
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] >= w[1]), "{order:?}");
}

/// A table whose copy takes a while: a real table's header followed by
/// `bytes` of holes (so it also fails verification, twice alike).
fn slow_table(dirs: &Dirs, name: &str, bytes: u64) {
    let path = dirs.data.join(format!("{name}.dets"));
    std::fs::copy(testkit::fixture("set_10.dets"), &path).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(bytes)
        .unwrap();
}

/// A table with a slow copy and `fixtures`, served by the real binary; its
/// client and a watch from now on.
async fn with_slow_table(
    fixtures: &[(&str, &str)],
) -> (Dirs, ServerProcess, Client, tonic::Streaming<Event>) {
    let dirs = Dirs::new();
    dirs.add_fixtures(fixtures);
    slow_table(&dirs, "big", 512 << 20);
    let server = ServerProcess::spawn(dirs.root.path(), "", &dirs.serve_args());
    let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
    let events = client
        .watch_events(WatchEventsRequest::default())
        .await
        .unwrap();
    (dirs, server, client, events)
}

/// Waits (bounded) until the server's log has a line containing `text`.
async fn wait_for_log(server: &ServerProcess, text: &str) {
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while !std::fs::read_to_string(&server.log).unwrap().contains(text) {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the log never said {text:?}"));
}

/// The tables of the next run to start.
async fn next_run_started(events: &mut tonic::Streaming<Event>) -> Vec<String> {
    loop {
        if let Some(Payload::RunStarted(started)) = events.message().await.unwrap().unwrap().payload
        {
            return started.tables;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trigger_the_run_under_way_does_not_cover_waits_for_a_follow_up_run() {
    let (dirs, _server, client, mut events) = with_slow_table(&[("small", "set_10.dets")]).await;

    let trigger = |tables: &[&str], reason: &str| {
        let (client, tables, reason) = (
            client.clone(),
            tables.iter().map(|t| t.to_string()).collect(),
            reason.to_owned(),
        );
        tokio::spawn(async move { client.trigger_backup(tables, reason).await.unwrap() })
    };
    let first = trigger(&["big"], "big first");
    assert_eq!(next_run_started(&mut events).await, ["big"]);
    let also_big = trigger(&["big"], "also big");
    let small = trigger(&["small"], "small please");
    let both = trigger(&["small", "big"], "both");
    let (first, also_big, small, both) = (
        first.await.unwrap(),
        also_big.await.unwrap(),
        small.await.unwrap(),
        both.await.unwrap(),
    );

    // A trigger the running run covers joins it, and its reason is recorded.
    let run = first.run.unwrap();
    assert!(!first.joined_existing_run);
    assert!(
        also_big.joined_existing_run,
        "the triggers came while it ran"
    );
    assert_eq!(also_big.run.as_ref().unwrap().run_id, run.run_id);
    assert_eq!(run.joined_reasons, ["also big"]);
    let tables = |run: &BackupRun| -> Vec<String> {
        let mut t: Vec<_> = run.tables.iter().map(|r| r.table.clone()).collect();
        t.sort();
        t
    };
    assert_eq!(tables(&run), ["big"]);

    // The others get one follow-up run after it, covering all they asked for.
    let follow_up = small.run.unwrap();
    assert_ne!(follow_up.run_id, run.run_id);
    assert_eq!(both.run.as_ref().unwrap().run_id, follow_up.run_id);
    assert_ne!(small.joined_existing_run, both.joined_existing_run);
    assert_eq!(tables(&follow_up), ["big", "small"]);
    let small_result = follow_up
        .tables
        .iter()
        .find(|r| r.table == "small")
        .unwrap();
    assert_eq!(small_result.outcome(), TableOutcome::Succeeded);
    assert!(dirs.backups.join(&small_result.file_name).is_file());
    assert!(follow_up.started_at.unwrap().seconds >= run.finished_at.unwrap().seconds);
    let mut reasons = follow_up.joined_reasons.clone();
    reasons.push(follow_up.reason.clone());
    reasons.sort();
    assert_eq!(reasons, ["both", "small please"]);
    // The ledger keeps the reasons too.
    let runs = client.list_runs(2).await.unwrap();
    assert_eq!(runs[0].run_id, follow_up.run_id);
    assert_eq!(runs[0].joined_reasons, follow_up.joined_reasons);
    assert_eq!(runs[1].joined_reasons, ["also big"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_directory_removed_while_running_is_recreated_with_its_lock_and_history() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("small", "set_10.dets")]);
    slow_table(&dirs, "big", 256 << 20);
    let mut server = ServerProcess::spawn(dirs.root.path(), "", &dirs.serve_args());
    let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
    let mut events = client
        .watch_events(WatchEventsRequest::default())
        .await
        .unwrap();
    let before = client.trigger_backup(vec!["small".into()], "before").await;
    assert_eq!(
        before.unwrap().run.unwrap().outcome(),
        RunOutcome::Succeeded
    );

    // Removed in the middle of a run (a mistyped clean-up, an unmount).
    let during = {
        let client = client.clone();
        tokio::spawn(async move { client.trigger_backup(vec!["big".into()], "during").await })
    };
    // The watch began before the "before" run: skip past its start.
    while next_run_started(&mut events).await != ["big"] {}
    while dirs.backups.exists() {
        let _ = std::fs::remove_dir_all(&dirs.backups);
    }
    let during = during.await.unwrap().unwrap().run.unwrap();
    assert_eq!(during.outcome(), RunOutcome::Failed);

    // Recreated at once: the next run backs up, the lock is held again, and
    // the history is whole.
    let after = common::backed_up(&client, vec!["small".into()], "after").await;
    assert_eq!(after.outcome(), RunOutcome::Succeeded);
    assert!(dirs.backups.join(&after.tables[0].file_name).is_file());
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(
        log.contains("the backup directory was removed or replaced")
            && log.contains(&dirs.backups.display().to_string()),
        "{log}"
    );
    let stderr = refused_start(&dirs.serve_args());
    assert!(stderr.contains("in use by another tablesafe"), "{stderr}");
    let reasons = |runs: Vec<BackupRun>| -> Vec<String> {
        runs.into_iter().rev().map(|r| r.reason).collect()
    };
    assert_eq!(
        reasons(client.list_runs(10).await.unwrap()),
        ["before", "during", "after"]
    );
    server.kill();
    let server = ServerProcess::spawn(dirs.root.path(), "", &dirs.serve_args());
    let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
    assert_eq!(
        reasons(client.list_runs(10).await.unwrap()),
        ["before", "during", "after"],
        "the history is on disk"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_table_that_vanishes_before_its_follow_up_run_is_a_failed_result_not_left_out() {
    let (dirs, server, client, mut events) = with_slow_table(&[("ephemeral", "set_10.dets")]).await;
    let spawn_trigger = |table: &str| {
        let (client, table) = (client.clone(), table.to_owned());
        tokio::spawn(async move { client.trigger_backup(vec![table], "t").await.unwrap() })
    };
    let first = spawn_trigger("big");
    assert_eq!(next_run_started(&mut events).await, ["big"]);
    let waiting = spawn_trigger("ephemeral");
    // Accepted (the table existed then) and waiting: the log says so.
    wait_for_log(&server, "trigger waits for a follow-up run").await;
    std::fs::remove_file(dirs.data.join("ephemeral.dets")).unwrap();
    first.await.unwrap();
    let run = waiting.await.unwrap().run.unwrap();
    assert_eq!(run.outcome(), RunOutcome::Failed);
    let result = run
        .tables
        .iter()
        .find(|r| r.table == "ephemeral")
        .unwrap_or_else(|| panic!("{run:?}"));
    assert_eq!(result.outcome(), TableOutcome::Failed);
    assert_eq!(result.error_code, "TABLE_MISSING", "{result:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_volume_gone_with_its_mount_point_is_not_recreated_elsewhere() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("small", "set_10.dets")]);
    let volume = dirs.root.path().join("volume");
    let backups = volume.join("backups");
    let mut args = dirs.serve_args();
    args[3] = backups.display().to_string();
    let server = ServerProcess::spawn(dirs.root.path(), "", &args);
    let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
    client.trigger_backup(vec![], "before").await.unwrap();

    std::fs::remove_dir_all(&volume).unwrap();
    let error = client.trigger_backup(vec![], "after").await.unwrap_err();
    assert!(
        error.to_string().contains("not the file system it was on"),
        "{error}"
    );
    assert!(!volume.exists(), "nothing was made in its place");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_follow_up_that_cannot_start_tells_its_callers_why_with_the_right_code() {
    let (dirs, server, client, mut events) = with_slow_table(&[("small", "set_10.dets")]).await;
    let first = {
        let client = client.clone();
        tokio::spawn(async move { client.trigger_backup(vec!["big".into()], "big").await })
    };
    assert_eq!(next_run_started(&mut events).await, ["big"]);
    let waiting = {
        let client = client.clone();
        tokio::spawn(async move { client.trigger_backup(vec!["small".into()], "small").await })
    };
    // While it waits, the backup directory is removed and a second instance
    // takes it: the follow-up cannot take the directory back.
    wait_for_log(&server, "trigger waits for a follow-up run").await;
    while dirs.backups.exists() {
        let _ = std::fs::remove_dir_all(&dirs.backups);
    }
    let mut other_data = dirs.serve_args();
    other_data[1] = dirs.root.path().join("other").display().to_string();
    std::fs::create_dir_all(&other_data[1]).unwrap();
    let _second = ServerProcess::spawn(dirs.root.path(), "", &other_data);
    first.await.unwrap().unwrap();
    let error = waiting.await.unwrap().unwrap_err();
    assert_eq!(
        error.code(),
        Some(tonic::Code::FailedPrecondition),
        "{error}"
    );
    assert!(
        error.to_string().contains("in use by another tablesafe"),
        "{error}"
    );
}
