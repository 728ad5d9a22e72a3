//! Restore end to end through the server, with real Erlang as the judge of
//! what was restored: every table type to a path and in place, the copy
//! chosen by time, dry runs, refusals (tampered, corrupt, dirty, open,
//! existing), the safety copy restored back, and a crash at each step of an
//! in-place restore.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use common::{backed_up, sha256, Dirs, ServerProcess, TestServer, ADMIN};
use tablesafe_client::proto::{RestoreBackupRequest, RestoreBackupResponse, Trigger};
use tablesafe_client::Client;
use tablesafe_engine::dets;
use testkit::{DetsTool, WriterNode};

fn to_path(table: &str, path: &std::path::Path) -> RestoreBackupRequest {
    RestoreBackupRequest {
        table: table.into(),
        to_path: path.display().to_string(),
        ..Default::default()
    }
}

fn in_place(table: &str) -> RestoreBackupRequest {
    RestoreBackupRequest {
        table: table.into(),
        in_place: true,
        ..Default::default()
    }
}

async fn restore(client: &Client, request: RestoreBackupRequest) -> RestoreBackupResponse {
    client.restore_backup(request).await.unwrap()
}

/// The gRPC code and message of a refused restore.
async fn refused(client: &Client, request: RestoreBackupRequest) -> (tonic::Code, String) {
    match client.restore_backup(request).await {
        Ok(reply) => panic!("restored: {reply:?}"),
        Err(tablesafe_client::Error::Status(status)) => {
            (status.code(), status.message().to_owned())
        }
        Err(e) => panic!("{e:?}"),
    }
}

fn erlang() -> Option<DetsTool> {
    let tool = DetsTool::find();
    if tool.is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI must have Erlang");
    }
    tool
}

#[tokio::test(flavor = "multi_thread")]
async fn every_table_type_restores_to_a_path_and_in_place_and_erlang_has_every_object() {
    let Some(erlang) = erlang() else { return };
    let dirs = Dirs::new();
    dirs.add_fixtures(&[
        ("users", "set_grown.dets"),
        ("tags", "bag_100.dets"),
        ("events", "dup_bag_50.dets"),
    ]);
    let made = dirs.root.path().join("made");
    std::fs::create_dir_all(&made).unwrap();
    erlang.make(&made, &["bag_kp2"]);
    std::fs::copy(made.join("bag_kp2.dets"), dirs.data.join("kp2.dets")).unwrap();
    let tables = ["users", "tags", "events", "kp2"];
    let server = TestServer::start(dirs.config()).await;
    let client = server.client(Some(ADMIN)).await;
    let run = backed_up(&client, vec![], "before restores").await;
    assert_eq!(run.succeeded, 4);

    // To a path: what Erlang reads there is what the backup held.
    let out = dirs.root.path().join("restored");
    std::fs::create_dir_all(&out).unwrap();
    let mut plans = Vec::new();
    for table in tables {
        let reply = restore(&client, to_path(table, &out.join(format!("{table}.dets")))).await;
        assert!(reply.restored, "{reply:?}");
        assert!(!reply.run_id.is_empty());
        let plan = reply.plan.unwrap();
        assert_eq!(sha256(&out.join(format!("{table}.dets"))), plan.sha256);
        plans.push(plan);
    }
    let verdicts = erlang.digests(&out);
    assert_eq!(verdicts.len(), 4);
    for verdict in &verdicts {
        let table = verdict.file.trim_end_matches(".dets");
        let plan = plans.iter().find(|p| p.table == table).unwrap();
        let digest = plan.digest.unwrap();
        assert!(
            verdict.accepted,
            "{verdict:?}: opened with {{repair,false}}"
        );
        assert!(!verdict.rewritten, "{verdict:?}");
        assert_eq!(
            (verdict.objects, verdict.sum),
            (Some(digest.objects), Some(digest.phash2_sum)),
            "{table}: Erlang has every object of the backup"
        );
    }

    // In place, every type, over files that changed since: Erlang reads in
    // the table's own file every object the backup held.
    for table in tables {
        std::fs::copy(
            testkit::fixture("set_10.dets"),
            dirs.data.join(format!("{table}.dets")),
        )
        .unwrap();
        assert!(restore(&client, in_place(table)).await.restored);
    }
    for verdict in erlang.digests(&dirs.data) {
        let table = verdict.file.trim_end_matches(".dets");
        let digest = plans
            .iter()
            .find(|p| p.table == table)
            .unwrap()
            .digest
            .unwrap();
        assert!(verdict.accepted && !verdict.rewritten, "{verdict:?}");
        assert_eq!(
            (verdict.objects, verdict.sum),
            (Some(digest.objects), Some(digest.phash2_sum)),
            "{table} in place"
        );
    }
    for copy in client.list_safety_copies(None).await.unwrap() {
        client.remove_safety_copy(&copy.file_name).await.unwrap();
    }

    // In place, over a file that changed since: the backup's bytes are back,
    // and the file as it was is kept as a safety copy that restores back.
    let live = dirs.data.join("users.dets");
    std::fs::copy(testkit::fixture("set_10.dets"), &live).unwrap();
    let changed = sha256(&live);
    let reply = restore(&client, in_place("users")).await;
    let plan = reply.plan.unwrap();
    assert_eq!(sha256(&live), plan.sha256);
    assert_eq!(
        plan.overwritten_bytes,
        std::fs::metadata(testkit::fixture("set_10.dets"))
            .unwrap()
            .len()
    );
    let safety = plan.safety_copy.clone();
    assert!(safety.starts_with("safety/users_"), "{safety}");
    let listed = client.list_safety_copies(Some("users")).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].file_name, safety);
    assert!(listed[0].verified);
    // Safety copies are no backups: retention and ListBackups never see them.
    assert!(client
        .list_backups(Some("users"))
        .await
        .unwrap()
        .iter()
        .all(|b| !b.file_name.starts_with("safety/")));
    let back = restore(
        &client,
        RestoreBackupRequest {
            backup: safety.clone(),
            ..in_place("users")
        },
    )
    .await;
    assert!(back.restored);
    assert_eq!(sha256(&live), changed, "the safety copy restored back");
    let report = erlang.report(&live);
    assert_eq!(report["accepted"], true, "{report}");

    // Every restore is in the ledger, as a RESTORE beside the runs.
    let runs = client.list_runs(20).await.unwrap();
    let restores: Vec<_> = runs
        .iter()
        .filter(|r| r.trigger() == Trigger::Restore)
        .collect();
    assert_eq!(restores.len(), 10);
    assert!(
        restores[0].reason.contains(&safety),
        "{}",
        restores[0].reason
    );
    // A restore is no backup attempt: health still sees the backup run.
    let health = client.get_health(true).await.unwrap();
    let users = health.tables.iter().find(|t| t.name == "users").unwrap();
    assert_eq!(
        users.last_attempt_outcome(),
        tablesafe_client::proto::TableOutcome::Succeeded
    );

    let (_, metrics) = common::http_get(server.addr, "/metrics", Some(ADMIN)).await;
    assert!(
        metrics.contains("tablesafe_restores_total{outcome=\"succeeded\"} 10"),
        "{metrics}"
    );

    // Safety copies go only when asked for.
    client.remove_safety_copy(&safety).await.unwrap();
    assert!(
        client.list_safety_copies(None).await.unwrap().len() == 1,
        "the second restore's remains"
    );
    let gone = client.remove_safety_copy(&safety).await.unwrap_err();
    assert!(format!("{gone:?}").contains("NotFound"), "{gone:?}");
    let outside = client
        .remove_safety_copy("users_2026-01-01T00-00-00.dets")
        .await
        .unwrap_err();
    assert!(
        format!("{outside:?}").contains("NotFound"),
        "only safety copies: {outside:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn as_of_picks_the_copy_of_that_time_and_a_dry_run_changes_nothing() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets")]);
    let server = TestServer::start(dirs.config()).await;
    let client = server.client(Some(ADMIN)).await;
    backed_up(&client, vec![], "old").await;
    dirs.shift_backups("users", -chrono::Duration::days(2));
    let live = dirs.data.join("users.dets");
    std::fs::copy(testkit::fixture("set_grown.dets"), &live).unwrap();
    backed_up(&client, vec![], "new").await;
    let backups = client.list_backups(Some("users")).await.unwrap();
    let (newest, oldest) = (&backups[0], &backups[1]);

    let as_of = |days: i64| {
        let t = chrono::Utc::now() - chrono::Duration::days(days);
        Some(tablesafe_client::wkt::Timestamp {
            seconds: t.timestamp(),
            nanos: 0,
        })
    };
    let target = dirs.root.path().join("out.dets");
    let dry = |request: RestoreBackupRequest| RestoreBackupRequest {
        dry_run: true,
        ..request
    };
    let yesterday = restore(
        &client,
        dry(RestoreBackupRequest {
            as_of: as_of(1),
            ..to_path("users", &target)
        }),
    )
    .await;
    assert_eq!(yesterday.plan.unwrap().backup, oldest.file_name);
    assert!(!yesterday.restored);
    let now = restore(&client, dry(to_path("users", &target))).await;
    assert_eq!(now.plan.unwrap().backup, newest.file_name);
    let (code, message) = refused(
        &client,
        RestoreBackupRequest {
            as_of: as_of(3),
            ..to_path("users", &target)
        },
    )
    .await;
    assert_eq!(code, tonic::Code::NotFound, "{message}");
    assert!(message.contains("captured at or before"), "{message}");

    // A dry run in place: the plan names what it would replace and keep,
    // and nothing changes, not even the ledger.
    let before = (sha256(&live), client.list_runs(50).await.unwrap().len());
    let plan = restore(
        &client,
        dry(RestoreBackupRequest {
            backup: oldest.file_name.clone(),
            ..in_place("users")
        }),
    )
    .await
    .plan
    .unwrap();
    assert!(plan.overwrites);
    assert!(plan.safety_copy.starts_with("safety/users_"));
    assert_eq!(plan.records, 10);
    assert!(!target.exists());
    assert_eq!(
        (sha256(&live), client.list_runs(50).await.unwrap().len()),
        before
    );
    assert!(client.list_safety_copies(None).await.unwrap().is_empty());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tampered_corrupt_dirty_and_existing_targets_are_refused_and_nothing_changes() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_grown.dets"), ("open", "set_open_dirty.dets")]);
    let server = TestServer::start(dirs.config()).await;
    let client = server.client(Some(ADMIN)).await;
    backed_up(&client, vec![], "").await;
    let live = dirs.data.join("users.dets");
    let live_sha = sha256(&live);
    let backup = client.list_backups(Some("users")).await.unwrap()[0]
        .file_name
        .clone();

    // A flipped byte in the copy: refused before anything is written.
    let copy = dirs.backups.join(&backup);
    let mut bytes = std::fs::read(&copy).unwrap();
    bytes[3000] ^= 0x40;
    std::fs::write(&copy, &bytes).unwrap();
    let (code, message) = refused(&client, in_place("users")).await;
    assert_eq!(code, tonic::Code::FailedPrecondition, "{message}");
    assert!(message.contains("sha256"), "{message}");
    assert_eq!(sha256(&live), live_sha);
    // Once the scrub marked it corrupt, it is no candidate at all.
    client.scrub_backups().await.unwrap();
    let (code, message) = refused(&client, in_place("users")).await;
    assert_eq!(code, tonic::Code::NotFound, "{message}");
    let (code, message) = refused(
        &client,
        RestoreBackupRequest {
            backup: backup.clone(),
            ..in_place("users")
        },
    )
    .await;
    assert_eq!(code, tonic::Code::FailedPrecondition, "{message}");
    assert!(message.contains("corrupt"), "{message}");
    assert_eq!(sha256(&live), live_sha);

    // A dirty copy only when asked for, with a warning.
    let target = dirs.root.path().join("open.dets");
    let (code, message) = refused(&client, to_path("open", &target)).await;
    assert_eq!(code, tonic::Code::FailedPrecondition, "{message}");
    assert!(message.contains("--allow-dirty"), "{message}");
    let reply = restore(
        &client,
        RestoreBackupRequest {
            allow_dirty: true,
            ..to_path("open", &target)
        },
    )
    .await;
    let warning = &reply.plan.unwrap().warnings[0];
    assert!(warning.contains("rewritten as a clean file"), "{warning}");
    // Written clean: closed properly, exactly what the copy's slot table
    // holds, and real Erlang opens it with {repair, false}.
    let restored = dets::inspect(&target).unwrap();
    let copied = dets::inspect(&testkit::fixture("set_open_dirty.dets")).unwrap();
    assert_eq!(
        restored.status(),
        dets::FileStatus::Ok,
        "{:?}",
        restored.messages()
    );
    assert_eq!(restored.digest(), copied.digest());
    if let Some(tool) = DetsTool::find() {
        let alone = tempfile::tempdir().unwrap();
        std::fs::copy(&target, alone.path().join("open.dets")).unwrap();
        let verdict = &tool.digests(alone.path())[0];
        assert!(verdict.accepted && !verdict.rewritten, "{verdict:?}");
        let digest = copied.digest().unwrap();
        assert_eq!(
            (verdict.objects, verdict.sum),
            (Some(digest.objects), Some(digest.sum))
        );
    }
    // An existing target only with force.
    let (code, message) = refused(
        &client,
        RestoreBackupRequest {
            allow_dirty: true,
            ..to_path("open", &target)
        },
    )
    .await;
    assert_eq!(code, tonic::Code::AlreadyExists, "{message}");
    let forced = restore(
        &client,
        RestoreBackupRequest {
            allow_dirty: true,
            force: true,
            ..to_path("open", &target)
        },
    )
    .await;
    assert!(forced.restored);
    // Bad requests say what is wrong.
    for (request, expect) in [
        (
            RestoreBackupRequest {
                table: "users".into(),
                ..Default::default()
            },
            "say where",
        ),
        (
            to_path("users", std::path::Path::new("relative.dets")),
            "absolute",
        ),
        (to_path("nope", &target), "unknown tables"),
        // A table's own file only in place (holders checked, safety copy
        // kept), and nothing into tablesafe's directories, however named.
        (
            RestoreBackupRequest {
                force: true,
                ..to_path("users", &dirs.data.join("users.dets"))
            },
            "--in-place",
        ),
        (
            RestoreBackupRequest {
                force: true,
                ..to_path("users", &dirs.data.join("../data/other.dets"))
            },
            "inside",
        ),
        (to_path("users", &dirs.backups.join("x.dets")), "inside"),
    ] {
        let (code, message) = refused(&client, request).await;
        assert_eq!(code, tonic::Code::InvalidArgument, "{message}");
        assert!(message.contains(expect), "{message}");
    }
    // The read token restores nothing.
    let reader = server.client(None).await;
    assert!(reader.restore_backup(in_place("users")).await.is_err());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_a_real_erlang_process_holds_open_is_not_replaced_and_the_holder_is_named() {
    if erlang().is_none() {
        return;
    }
    let dirs = Dirs::new();
    let Some(mut writer) = WriterNode::start(&dirs.data, &["live"], "restore-cookie") else {
        return;
    };
    let server = TestServer::start(dirs.config()).await;
    let client = server.client(Some(ADMIN)).await;
    let run = backed_up(&client, vec!["live".into()], "").await;
    assert_eq!(run.succeeded, 1, "{run:?}");
    let (code, message) = refused(
        &client,
        RestoreBackupRequest {
            allow_dirty: true,
            ..in_place("live")
        },
    )
    .await;
    assert_eq!(code, tonic::Code::FailedPrecondition, "{message}");
    assert!(message.contains("beam"), "the holder is named: {message}");
    assert!(message.contains("process"), "{message}");
    writer.kill();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_at_any_step_of_an_in_place_restore_leaves_the_old_file_or_the_new_one() {
    for (point, restored) in [
        ("restore-written", false),
        ("restore-before-rename", false),
        ("restore-renamed", true),
    ] {
        let dirs = Dirs::new();
        dirs.add_fixtures(&[("users", "set_grown.dets")]);
        let mut server = ServerProcess::spawn(
            dirs.root.path(),
            &format!("export TABLESAFE_CRASH_AT={point}"),
            &dirs.serve_args(),
        );
        let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
        backed_up(&client, vec![], "").await;
        let backup_sha = sha256(&dirs.backups.join(&dirs.backup_files()[0]));
        let live = dirs.data.join("users.dets");
        std::fs::copy(testkit::fixture("set_10.dets"), &live).unwrap();
        let old_sha = sha256(&live);
        assert!(
            client.restore_backup(in_place("users")).await.is_err(),
            "{point}: it crashed"
        );
        let _ = server.child.wait();
        let now = sha256(&live);
        assert_eq!(
            &now,
            if restored { &backup_sha } else { &old_sha },
            "{point}"
        );
        // A restart clears what the crash left beside the table.
        server = ServerProcess::spawn(dirs.root.path(), "", &dirs.serve_args());
        let hidden: Vec<_> = std::fs::read_dir(&dirs.data)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(hidden.is_empty(), "{point}: {hidden:?}");
        let client = Client::connect(&server.url(), Some(ADMIN)).await.unwrap();
        let runs = client.list_runs(5).await.unwrap();
        assert_eq!(runs[0].trigger(), Trigger::Restore);
        assert_eq!(
            runs[0].outcome(),
            tablesafe_client::proto::RunOutcome::Interrupted,
            "{point}: the ledger says it was cut short"
        );
        server.kill();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_in_place_restore_of_a_table_reached_through_a_symbolic_link_keeps_the_link() {
    let dirs = Dirs::new();
    let (link, real) = dirs.add_linked_fixture("users", "set_grown.dets");
    let server = TestServer::start(dirs.config()).await;
    let client = server.client(Some(ADMIN)).await;
    backed_up(&client, vec!["users".into()], "").await;
    let backup_sha = sha256(&dirs.backups.join(&dirs.backup_files()[0]));
    std::fs::copy(testkit::fixture("set_10.dets"), &real).unwrap();
    let reply = restore(&client, in_place("users")).await;
    assert!(reply.restored, "{reply:?}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is still a link"
    );
    assert_eq!(sha256(&real), backup_sha);
    server.stop().await;
}
