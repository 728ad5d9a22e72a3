//! Backups end to end over real gRPC: names, manifests, Erlang's view of every
//! copy, retention, failures that keep older backups, auth and joining runs.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use common::{Dirs, TestServer, ADMIN, READER};
use tablesafe::auth::Tokens;
use tablesafe_client::proto::{Consistency, RunOutcome, TableOutcome};
use tablesafe_engine::catalog::TableSpec;
use tablesafe_engine::store::{BackupName, Manifest};
use testkit::DetsTool;
use tonic::Code;

const FIXTURES: &[(&str, &str)] = &[
    ("settings", "set_10.dets"),
    ("sessions", "bag_100.dets"),
    ("audit_log", "dup_bag_50.dets"),
    ("users", "set_grown.dets"),
    ("orders", "set_fragmented.dets"),
    ("empty", "set_empty.dets"),
    ("synced", "set_open_synced.dets"),
    ("dirty", "set_open_dirty.dets"),
    ("unflushed", "set_open_unflushed.dets"),
    ("cut", "truncated.dets"),
];

#[tokio::test(flavor = "multi_thread")]
async fn a_trigger_makes_verified_backups_that_erlang_reads_like_their_sources() {
    let Some(erlang) = DetsTool::find() else {
        return;
    };
    let dirs = Dirs::new();
    dirs.add_fixtures(FIXTURES);
    let server = TestServer::start(dirs.config()).await;
    let client = server.client(Some(ADMIN)).await;

    let reply = client.trigger_backup(vec![], "e2e").await.unwrap();
    assert!(!reply.joined_existing_run);
    let run = reply.run.unwrap();
    assert_eq!(
        run.outcome(),
        RunOutcome::Partial,
        "the truncated table fails, the rest succeed"
    );
    assert_eq!(run.reason, "e2e");
    assert_eq!(run.tables.len(), FIXTURES.len());

    for result in &run.tables {
        let source = dirs.data.join(format!("{}.dets", result.table));
        if result.table == "cut" {
            assert_eq!(result.outcome(), TableOutcome::Failed);
            assert_eq!(result.error_code, "TABLE_CORRUPT");
            assert!(
                result.error_message.contains("truncated at offset 32914"),
                "{}",
                result.error_message
            );
            assert!(result.file_name.is_empty());
            continue;
        }
        assert_eq!(result.outcome(), TableOutcome::Succeeded, "{result:?}");
        let name = BackupName::parse(&result.file_name).expect("backup name pattern");
        assert_eq!(name.table, result.table);
        let backup = dirs.backups.join(&result.file_name);
        assert_eq!(
            std::fs::read(&backup).unwrap(),
            std::fs::read(&source).unwrap(),
            "byte-identical copy"
        );

        let manifest: Manifest = serde_json::from_slice(
            &std::fs::read(dirs.backups.join(name.manifest_name())).unwrap(),
        )
        .unwrap();
        assert_eq!(manifest.tool, "tablesafe");
        assert_eq!(manifest.sha256, result.sha256);
        assert_eq!(
            manifest.sha256,
            tablesafe_engine::pipeline::sha256_file(&backup).unwrap()
        );
        assert_eq!(manifest.bytes, result.bytes);
        assert_eq!(manifest.records, result.records);
        assert!(manifest.verified);
        assert_eq!(manifest.source_path, source);

        let erl_source = erlang.report(&source);
        let erl_backup = erlang.report(&backup);
        if ["dirty", "unflushed"].contains(&result.table.as_str()) {
            // Open tables copied as they are: marked dirty, and Erlang agrees it must repair them.
            assert_eq!(result.consistency(), Consistency::Dirty, "{}", result.table);
            assert_eq!(erl_backup["error"], "needs_repair");
            assert_eq!(erl_backup["repaired"], erl_source["repaired"]);
            assert_eq!(result.records, erl_backup["repaired"].as_u64().unwrap());
        } else {
            assert_eq!(result.consistency(), Consistency::Clean, "{}", result.table);
            assert_eq!(
                erl_backup["accepted"], true,
                "{}: {erl_backup}",
                result.table
            );
            assert_eq!(
                erl_backup["content_md5"], erl_source["content_md5"],
                "{}",
                result.table
            );
            assert_eq!(result.records, erl_backup["size"].as_u64().unwrap());
            assert_eq!(result.keys, erl_backup["no_keys"].as_u64().unwrap());
        }
    }
    // Nothing half-written is left behind.
    assert!(dirs
        .all_backup_dir_files()
        .iter()
        .all(|f| !f.ends_with(".partial")));

    let listed = client.list_backups(None).await.unwrap();
    assert_eq!(listed.len(), FIXTURES.len() - 1);
    assert!(listed.iter().all(|b| b.verified));
    let runs = client.list_runs(0).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].run_id, run.run_id);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn five_triggers_keep_three_and_a_corrupt_table_keeps_its_older_backups() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_grown.dets"), ("settings", "set_10.dets")]);
    let server = TestServer::start(dirs.config()).await;
    let client = server.client(Some(ADMIN)).await;

    let mut pruned = Vec::new();
    for i in 0..5 {
        let run = common::backed_up(&client, vec![], &format!("round {i}")).await;
        assert_eq!(run.outcome(), RunOutcome::Succeeded);
        pruned.extend(run.tables.iter().flat_map(|t| t.pruned.clone()));
    }
    let files = dirs.backup_files();
    assert_eq!(
        files.iter().filter(|f| f.starts_with("users_")).count(),
        3,
        "{files:?}"
    );
    assert_eq!(
        files.iter().filter(|f| f.starts_with("settings_")).count(),
        3,
        "{files:?}"
    );
    assert_eq!(
        pruned.len(),
        4,
        "two oldest of each table pruned: {pruned:?}"
    );
    for f in &files {
        assert!(
            dirs.backups.join(format!("{f}.json")).is_file(),
            "manifest of {f}"
        );
    }
    for p in &pruned {
        assert!(!dirs.backups.join(p).exists() && !dirs.backups.join(format!("{p}.json")).exists());
    }

    // Damage the live table: a collection's status word becomes FREE.
    let users = dirs.data.join("users.dets");
    let mut bytes = std::fs::read(&users).unwrap();
    let insp = tablesafe_engine::dets::inspect(&users).unwrap();
    assert!(insp.walk.collections > 0);
    bytes[5432 + 4..5432 + 8].copy_from_slice(&0x03AB_CDEFu32.to_be_bytes());
    std::fs::write(&users, &bytes).unwrap();
    let users_before: Vec<String> = dirs
        .backup_files()
        .into_iter()
        .filter(|f| f.starts_with("users_"))
        .collect();

    let run = common::backed_up(&client, vec![], "after damage").await;
    assert_eq!(run.outcome(), RunOutcome::Partial);
    let users_result = run.tables.iter().find(|t| t.table == "users").unwrap();
    assert_eq!(users_result.outcome(), TableOutcome::Failed);
    assert_eq!(users_result.error_code, "TABLE_CORRUPT");
    assert!(
        users_result.error_message.contains("FREE"),
        "{}",
        users_result.error_message
    );
    assert!(users_result.pruned.is_empty());
    let settings = run.tables.iter().find(|t| t.table == "settings").unwrap();
    assert_eq!(settings.outcome(), TableOutcome::Succeeded);
    let users_after: Vec<String> = dirs
        .backup_files()
        .into_iter()
        .filter(|f| f.starts_with("users_"))
        .collect();
    assert_eq!(
        users_after, users_before,
        "older backups of the failed table are untouched"
    );
    assert!(dirs
        .all_backup_dir_files()
        .iter()
        .all(|f| !f.ends_with(".partial")));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_tables_are_rejected_by_name_and_nothing_is_done() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets")]);
    let server = TestServer::start(dirs.config()).await;
    let client = server.client(Some(ADMIN)).await;
    let err = client
        .trigger_backup(
            vec!["users".into(), "nope".into(), "../etc/passwd".into()],
            "",
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(Code::InvalidArgument));
    assert!(
        err.to_string().contains("nope") && err.to_string().contains("../etc/passwd"),
        "{err}"
    );
    assert!(!err.to_string().contains("users,"), "{err}");
    assert!(dirs.backup_files().is_empty());
    assert!(client.list_runs(0).await.unwrap().is_empty());
    let err = client.list_backups(Some("nope")).await.unwrap_err();
    assert_eq!(err.code(), Some(Code::InvalidArgument));

    // Only the named table is backed up when one is named.
    dirs.add_fixtures(&[("other", "set_empty.dets")]);
    let run = common::backed_up(&client, vec!["other".into()], "").await;
    let names: Vec<_> = run.tables.iter().map(|t| t.table.as_str()).collect();
    assert_eq!(names, ["other"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_guard_every_call() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets")]);
    let mut config = dirs.config();
    config.tokens = Tokens::new(ADMIN, Some(READER.into()));
    let server = TestServer::start(config).await;

    let anonymous = server.client(None).await;
    let reader = server.client(Some(READER)).await;
    let wrong = server.client(Some("wrong")).await;
    let admin = server.client(Some(ADMIN)).await;

    fn code<T>(r: Result<T, tablesafe_client::Error>) -> Option<Code> {
        r.err().and_then(|e| e.code())
    }
    assert_eq!(
        code(anonymous.trigger_backup(vec![], "").await),
        Some(Code::Unauthenticated)
    );
    assert_eq!(
        code(wrong.trigger_backup(vec![], "").await),
        Some(Code::Unauthenticated)
    );
    assert_eq!(
        code(reader.trigger_backup(vec![], "").await),
        Some(Code::PermissionDenied)
    );
    assert_eq!(
        code(anonymous.list_runs(0).await),
        Some(Code::Unauthenticated)
    );
    assert_eq!(
        code(wrong.list_backups(None).await),
        Some(Code::Unauthenticated)
    );
    assert!(
        dirs.backup_files().is_empty(),
        "nothing happened without the admin token"
    );

    assert!(reader.list_runs(0).await.unwrap().is_empty());
    assert!(admin.trigger_backup(vec![], "").await.is_ok());
    assert_eq!(reader.list_backups(None).await.unwrap().len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_concurrent_triggers_share_one_run() {
    let Some(erlang) = DetsTool::find() else {
        return;
    };
    let dirs = Dirs::new();
    // Large enough that every trigger arrives while the run is copying it.
    erlang.make(&dirs.data, &["large_values"]);
    dirs.add_fixtures(&[("users", "set_grown.dets")]);
    let server = TestServer::start(dirs.config()).await;
    let client = server.client(Some(ADMIN)).await;

    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(20));
    let calls: Vec<_> = (0..20)
        .map(|i| {
            let (client, barrier) = (client.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                client
                    .trigger_backup(vec![], format!("caller {i}"))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut replies = Vec::new();
    for call in calls {
        replies.push(call.await.unwrap());
    }
    let run_ids: std::collections::BTreeSet<_> = replies
        .iter()
        .map(|r| r.run.as_ref().unwrap().run_id.clone())
        .collect();
    assert_eq!(run_ids.len(), 1, "one run for all callers");
    assert_eq!(
        replies.iter().filter(|r| !r.joined_existing_run).count(),
        1,
        "one caller started it"
    );
    assert!(replies
        .iter()
        .all(|r| r.run.as_ref().unwrap().outcome() == RunOutcome::Succeeded));
    assert!(replies
        .iter()
        .all(|r| r.run.as_ref().unwrap().tables.len() == 2));
    assert_eq!(client.list_runs(0).await.unwrap().len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn listed_tables_orphans_and_missing_tables() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets"), ("stray", "bag_100.dets")]);
    let mut config = dirs.config();
    config.engine.catalog.tables = vec![
        TableSpec::named("users", true),
        TableSpec::named("orders", false),
    ];
    let server = TestServer::start(config).await;
    let client = server.client(Some(ADMIN)).await;
    let run = common::backed_up(&client, vec![], "").await;
    let view: Vec<_> = run
        .tables
        .iter()
        .map(|t| (t.table.as_str(), t.outcome(), t.error_code.as_str()))
        .collect();
    assert_eq!(
        view,
        [
            ("users", TableOutcome::Succeeded, ""),
            ("orders", TableOutcome::Failed, "TABLE_MISSING")
        ],
        "the orphan is not backed up; the missing listed table fails"
    );
    assert_eq!(run.outcome(), RunOutcome::Partial);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn runs_survive_a_restart() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets")]);
    let server = TestServer::start(dirs.config()).await;
    let first = server
        .client(Some(ADMIN))
        .await
        .trigger_backup(vec![], "before restart")
        .await
        .unwrap();
    server.stop().await;

    let server = TestServer::start(dirs.config()).await;
    let runs = server.client(Some(ADMIN)).await.list_runs(0).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].run_id, first.run.unwrap().run_id);
    assert_eq!(runs[0].outcome(), RunOutcome::Succeeded);
    assert_eq!(runs[0].tables[0].table, "users");
    server.stop().await;
}
