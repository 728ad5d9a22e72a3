//! Promises kept under faults, through the real binary: a torn ledger line
//! never stops start-up or loses the runs around it, and a second instance on
//! one backup directory refuses to start instead of wrecking the first one's
//! work.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{Dirs, ServerProcess, ADMIN};
use tablesafe_client::proto::RunOutcome;
use tablesafe_client::Client;

/// Runs `tablesafe serve ARGS` to its end; it must refuse to start. Its stderr.
fn refused_start(args: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tablesafe"))
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env("TABLESAFE_ADMIN_TOKEN", ADMIN)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success(), "it started: {out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_torn_ledger_line_is_skipped_and_every_other_run_survives() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("settings", "set_10.dets")]);
    let mut server = ServerProcess::spawn(dirs.root.path(), "", &dirs.serve_args());
    let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
    let first = client
        .trigger_backup(vec![], "before")
        .await
        .unwrap()
        .run
        .unwrap();
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
    let second = client
        .trigger_backup(vec![], "after")
        .await
        .unwrap()
        .run
        .unwrap();
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
    let run = client
        .trigger_backup(vec![], "still mine")
        .await
        .unwrap()
        .run
        .unwrap();
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
    let run = client
        .trigger_backup(vec![], "damaged")
        .await
        .unwrap()
        .run
        .unwrap();
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
}
