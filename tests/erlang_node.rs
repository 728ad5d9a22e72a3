//! Live tables: a real Erlang node holds three tables open and writes to them
//! continuously while tablesafe backs them up, with and without the node.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use std::time::Duration;

use common::{Dirs, TestServer, ADMIN};
use eetf::{Atom, Term};
use tablesafe_client::proto::{Consistency, HealthStatus, IssueCode, RunOutcome, TableOutcome};
use tablesafe_engine::erlang::{NodeClient, NodeConfig};
use testkit::{DetsTool, WriterNode};
use tokio_util::sync::CancellationToken;

const TABLES: &[&str] = &["t1", "t2", "t3"];
const COOKIE: &str = "tablesafe-test-cookie";

fn node_config(node: &WriterNode, cookie: &str) -> NodeConfig {
    NodeConfig {
        node: node.name.clone(),
        cookie: cookie.into(),
        timeout: Duration::from_secs(5),
    }
}

/// How many records the writer had inserted into every table, asked over RPC.
async fn written(client: &NodeClient) -> u64 {
    let reply = client
        .call(
            "ets",
            "lookup",
            vec![Atom::from("progress").into(), Atom::from("count").into()],
        )
        .await
        .unwrap();
    let Term::List(list) = reply else {
        panic!("{reply}")
    };
    let Some(Term::Tuple(t)) = list.elements.first() else {
        return 0;
    };
    match &t.elements[1] {
        Term::FixInteger(i) => i.value as u64,
        other => panic!("{other}"),
    }
}

/// Records written before the trigger that a dirty backup does not give back.
/// Dirty is the cautious verdict: the copy may still open as it is (the source
/// changed during the copy, but not in a way that shows), or need repair.
fn lost(report: &serde_json::Value, before: u64) -> u64 {
    let recovered = if report["accepted"] == true {
        report["size"].as_u64().unwrap()
    } else {
        assert_eq!(report["error"], "needs_repair", "{report}");
        report["repaired"].as_u64().unwrap()
    };
    before.saturating_sub(recovered)
}

/// One backup per table, under writes; returns (records written before the
/// trigger, the run's table results).
async fn backup_under_writes(
    server: &TestServer,
    node: &NodeClient,
) -> (u64, Vec<tablesafe_client::proto::TableBackupResult>) {
    let before = written(node).await;
    let run = server
        .client(Some(ADMIN))
        .await
        .trigger_backup(vec![], "under writes")
        .await
        .unwrap()
        .run
        .unwrap();
    assert_eq!(run.tables.len(), 3);
    (before, run.tables)
}

#[tokio::test(flavor = "multi_thread")]
async fn backups_of_live_tables_are_classified_honestly_with_and_without_the_node() {
    let Some(erlang) = DetsTool::find() else {
        return;
    };
    let dirs = Dirs::new();
    let Some(writer) = WriterNode::start(&dirs.data, TABLES, COOKIE) else {
        return;
    };
    let node = NodeClient::start(
        node_config(&writer, COOKIE),
        CancellationToken::new(),
        &tokio_util::task::TaskTracker::new(),
    )
    .unwrap();
    tokio::time::timeout(Duration::from_secs(10), async {
        while written(&node).await < 100 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap();

    // Without the node: copies of open tables, classified honestly.
    let server = TestServer::start(dirs.config()).await;
    let mut dirty_lost = Vec::new();
    let mut clean_unsynced = 0;
    for _ in 0..20 {
        let (before, results) = backup_under_writes(&server, &node).await;
        for result in results {
            assert_eq!(result.outcome(), TableOutcome::Succeeded, "{result:?}");
            let report = erlang.report(&dirs.backups.join(&result.file_name));
            match result.consistency() {
                Consistency::Dirty => dirty_lost.push(lost(&report, before)),
                Consistency::Clean => {
                    assert_eq!(
                        report["accepted"], true,
                        "clean means Erlang opens it as it is"
                    );
                    clean_unsynced += 1;
                }
                other => panic!("{other:?}"),
            }
        }
    }
    // Dirty is recorded where users look: the manifest and health.
    let newest = dirs.backups.join(format!(
        "{}.json",
        dirs.backup_files()
            .iter()
            .rev()
            .find(|f| f.starts_with("t1_"))
            .unwrap()
    ));
    let manifest: tablesafe_engine::store::Manifest =
        serde_json::from_slice(&std::fs::read(newest).unwrap()).unwrap();
    assert_eq!(
        manifest.consistency,
        tablesafe_engine::model::Consistency::Dirty
    );
    let health = server.client(None).await.get_health(true).await.unwrap();
    for table in &health.tables {
        assert!(
            table
                .issues
                .iter()
                .any(|i| i.code() == IssueCode::LastBackupDirty),
            "{table:?}"
        );
    }
    server.stop().await;

    // With the node: dets:sync before each copy.
    let mut config = dirs.config();
    config.erlang = Some(node_config(&writer, COOKIE));
    let server = TestServer::start(config).await;
    let (mut synced_clean, mut synced_lost) = (0, Vec::new());
    for _ in 0..20 {
        let (before, results) = backup_under_writes(&server, &node).await;
        for result in results {
            assert_eq!(result.outcome(), TableOutcome::Succeeded, "{result:?}");
            let report = erlang.report(&dirs.backups.join(&result.file_name));
            match result.consistency() {
                Consistency::Clean => {
                    assert_eq!(report["accepted"], true, "{report}");
                    let held = report["size"].as_u64().unwrap();
                    assert!(
                        held >= before,
                        "{}: holds {held} of the {before} records written before the trigger",
                        result.table
                    );
                    synced_clean += 1;
                }
                Consistency::Dirty => synced_lost.push(lost(&report, before)),
                other => panic!("{other:?}"),
            }
        }
    }
    let health = server.client(None).await.get_health(true).await.unwrap();
    let component = health
        .components
        .iter()
        .find(|c| c.name == "erlang_node")
        .unwrap();
    assert_eq!(component.status(), HealthStatus::Healthy, "{component:?}");
    assert!(
        synced_clean > 0,
        "syncing through the node yields clean backups"
    );
    server.stop().await;

    dirty_lost.sort_unstable();
    let median = dirty_lost.get(dirty_lost.len() / 2).copied().unwrap_or(0);
    eprintln!(
        "                      backups  clean  dirty  records lost after repair (min/median/max)"
    );
    eprintln!(
        "without the node      {:>7}  {:>5}  {:>5}  {}/{}/{}",
        60,
        clean_unsynced,
        dirty_lost.len(),
        dirty_lost.first().unwrap_or(&0),
        median,
        dirty_lost.last().unwrap_or(&0)
    );
    synced_lost.sort_unstable();
    eprintln!(
        "with dets:sync        {:>7}  {:>5}  {:>5}  {}/{}/{}",
        60,
        synced_clean,
        synced_lost.len(),
        synced_lost.first().unwrap_or(&0),
        synced_lost.get(synced_lost.len() / 2).unwrap_or(&0),
        synced_lost.last().unwrap_or(&0)
    );
    assert!(
        !dirty_lost.is_empty(),
        "copies of tables under writes are dirty without the node"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_cookie_node_down_and_restart_are_reported_and_backups_go_on() {
    let Some(_) = DetsTool::find() else { return };
    let dirs = Dirs::new();
    let Some(mut writer) = WriterNode::start(&dirs.data, TABLES, COOKIE) else {
        return;
    };

    // Wrong cookie: the handshake is refused; health says so; backups go on, dirty.
    let mut config = dirs.config();
    config.erlang = Some(node_config(&writer, "not-the-cookie"));
    let server = TestServer::start(config).await;
    let client = server.client(Some(ADMIN)).await;
    let run = common::backed_up(&client, vec![], "wrong cookie").await;
    assert_eq!(run.outcome(), RunOutcome::Succeeded);
    assert!(
        run.tables
            .iter()
            .all(|t| t.consistency() == Consistency::Dirty),
        "{run:?}"
    );
    let component = node_component(&client).await;
    assert_eq!(component.status(), HealthStatus::Warning);
    let issue = &component.issues[0];
    assert_eq!(issue.code(), IssueCode::ErlangNodeUnreachable);
    assert!(issue.message.contains("cookie"), "{}", issue.message);
    server.stop().await;

    // The right cookie, then the node goes down, then comes back under the same name.
    let mut config = dirs.config();
    config.erlang = Some(node_config(&writer, COOKIE));
    let server = TestServer::start(config).await;
    let client = server.client(Some(ADMIN)).await;
    let run = common::backed_up(&client, vec![], "connected").await;
    assert_eq!(run.outcome(), RunOutcome::Succeeded);
    assert_eq!(
        node_component(&client).await.status(),
        HealthStatus::Healthy
    );

    // The node dies while a run is starting: calls in flight fail, the run goes on.
    let trigger = {
        let client = client.clone();
        tokio::spawn(async move { client.trigger_backup(vec![], "node down").await })
    };
    writer.kill();
    let run = trigger.await.unwrap().unwrap().run.unwrap();
    assert_eq!(
        run.outcome(),
        RunOutcome::Succeeded,
        "backups go on without the node"
    );
    for t in &run.tables {
        // Killed while open: whatever state the files were left in, the
        // classification agrees with Erlang's own verdict.
        let report = DetsTool::find()
            .unwrap()
            .report(&dirs.backups.join(&t.file_name));
        assert_eq!(
            t.consistency() == Consistency::Clean,
            report["accepted"] == true,
            "{t:?}: {report}"
        );
    }
    let down = node_component(&client).await;
    assert_eq!(
        down.issues[0].code(),
        IssueCode::ErlangNodeUnreachable,
        "{down:?}"
    );

    // The node restarts (repairing and reopening its tables): the same server
    // reconnects by itself.
    let _writer = WriterNode::start_as(&writer.name, &dirs.data, TABLES, COOKIE).unwrap();
    tokio::time::timeout(Duration::from_secs(60), async {
        while node_component(&client).await.status() != HealthStatus::Healthy {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("reconnected to the restarted node");
    let run = common::backed_up(&client, vec![], "node back").await;
    assert_eq!(run.outcome(), RunOutcome::Succeeded);
    assert!(
        run.tables
            .iter()
            .any(|t| t.consistency() == Consistency::Clean),
        "{run:?}"
    );
    server.stop().await;
}

/// The `erlang_node` component of a freshly computed health report.
async fn node_component(
    client: &tablesafe_client::Client,
) -> tablesafe_client::proto::ComponentHealth {
    let health = client.get_health(true).await.unwrap();
    health
        .components
        .into_iter()
        .find(|c| c.name == "erlang_node")
        .unwrap()
}
