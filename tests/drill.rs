//! Restore drills end to end: every table's newest copy restored into a
//! scratch directory and proved, by real Erlang when a node is configured,
//! while the node keeps writing to the live tables; a copy damaged after it
//! was committed fails the next drill, and health says so.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use std::time::Duration;

use common::{backed_up, Dirs, TestServer, ADMIN};
use tablesafe_client::proto::{DrillLevel, HealthStatus, IssueCode, RunDrillRequest, Trigger};
use tablesafe_engine::catalog::TableSpec;
use tablesafe_engine::erlang::NodeConfig;
use testkit::WriterNode;

const COOKIE: &str = "tablesafe-drill-cookie";

fn issues(
    report: &tablesafe_client::proto::GetHealthResponse,
    table: &str,
) -> Vec<(IssueCode, HealthStatus)> {
    report
        .tables
        .iter()
        .find(|t| t.name == table)
        .unwrap()
        .issues
        .iter()
        .map(|i| (i.code(), i.severity()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn drills_prove_every_copy_with_real_erlang_while_the_node_writes() {
    if testkit::DetsTool::find().is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI must have Erlang");
        return;
    }
    let dirs = Dirs::new();
    let tables = ["d1", "d2"];
    let Some(mut writer) = WriterNode::start(&dirs.data, &tables, COOKIE) else {
        return;
    };
    let mut config = dirs.config();
    config.health.thresholds.drill_stale_after = Some(tablesafe_engine::health::DRILL_STALE_AFTER);
    config.erlang = Some(NodeConfig {
        node: writer.name.clone(),
        cookie: COOKIE.into(),
        timeout: Duration::from_secs(5),
    });
    let server = TestServer::start(config).await;
    let client = server.client(Some(ADMIN)).await;
    let run = backed_up(&client, vec![], "before the drill").await;
    assert_eq!(run.succeeded, 2, "{run:?}");

    let drill = client.run_drill(RunDrillRequest::default()).await.unwrap();
    assert_eq!(drill.tables.len(), 2);
    for table in &drill.tables {
        assert!(table.passed, "{table:?}");
        assert_eq!(table.level(), DrillLevel::Erlang, "{table:?}");
        assert!(table.backup.starts_with(&format!("{}_", table.table)));
        assert!(table.records > 0);
    }
    // Nothing is left in the scratch directory; the live tables are untouched
    // and still being written.
    let scratch = dirs.backups.join(".tablesafe/drill");
    let left: Vec<_> = std::fs::read_dir(&scratch)
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    let health = client.get_health(true).await.unwrap();
    for name in tables {
        let t = health.tables.iter().find(|t| t.name == name).unwrap();
        assert!(t.last_drill_passed, "{t:?}");
        assert_eq!(t.last_drill_level(), DrillLevel::Erlang);
        assert!(t.last_drill_at.is_some());
    }
    // In the ledger as a DRILL.
    let runs = client.list_runs(5).await.unwrap();
    assert_eq!(runs[0].trigger(), Trigger::Drill);
    assert_eq!(runs[0].succeeded, 2);
    writer.kill();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_damaged_after_commit_fails_the_next_drill_and_a_critical_table_goes_critical() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_grown.dets"), ("notes", "set_10.dets")]);
    let mut config = dirs.config();
    config.health.thresholds.drill_stale_after = Some(tablesafe_engine::health::DRILL_STALE_AFTER);
    config.engine.catalog.tables = vec![
        TableSpec::named("users", true),
        TableSpec::named("notes", false),
    ];
    let server = TestServer::start(config).await;
    let client = server.client(Some(ADMIN)).await;
    backed_up(&client, vec![], "").await;
    let passed = client.run_drill(RunDrillRequest::default()).await.unwrap();
    assert!(
        passed
            .tables
            .iter()
            .all(|t| t.passed && t.level() == DrillLevel::Reader),
        "{passed:?}"
    );
    let health = client.get_health(true).await.unwrap();
    assert_eq!(issues(&health, "users"), []);

    // One byte of the committed copy flips on disk.
    let copy = dirs
        .backup_files()
        .into_iter()
        .find(|f| f.starts_with("users_"))
        .unwrap();
    let path = dirs.backups.join(&copy);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[4000] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();

    let failed = client
        .run_drill(RunDrillRequest {
            tables: vec!["users".into()],
        })
        .await
        .unwrap();
    let users = &failed.tables[0];
    assert!(!users.passed, "{users:?}");
    assert_eq!(users.error_code, "BACKUP_CORRUPT", "{users:?}");
    let health = client.get_health(true).await.unwrap();
    assert_eq!(
        issues(&health, "users"),
        [(IssueCode::RestoreDrillFailed, HealthStatus::Critical)]
    );
    assert_eq!(health.status(), HealthStatus::Critical);
    // The other table's drill still stands.
    assert_eq!(issues(&health, "notes"), []);
    // Drills are not backup runs: the backup's own outcome is unchanged.
    let t = health.tables.iter().find(|t| t.name == "users").unwrap();
    assert_eq!(
        t.last_attempt_outcome(),
        tablesafe_client::proto::TableOutcome::Succeeded
    );
    // The read token runs no drill.
    assert!(server
        .client(None)
        .await
        .run_drill(RunDrillRequest::default())
        .await
        .is_err());
    server.stop().await;
}
