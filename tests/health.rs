//! Storage health end to end: issues derived from real files on disk, the
//! same answers after a restart, the JSON endpoint, grpc.health.v1, metrics.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use chrono::{Duration, Utc};
use common::{http_get, http_get_with, Dirs, TestServer, ADMIN, READER};
use serde_json::Value;
use tablesafe::auth::Tokens;
use tablesafe_client::proto::{
    GetHealthResponse, HealthStatus, IssueCode, TableHealth, TableOutcome,
};
use tablesafe_engine::catalog::TableSpec;
use testkit::DetsTool;
use tokio::process::Command;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

fn table<'a>(report: &'a GetHealthResponse, name: &str) -> &'a TableHealth {
    report
        .tables
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no table {name}"))
}

/// The table `name` of a `/v1/health` answer.
fn json_table<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["tables"]
        .as_array()
        .and_then(|tables| tables.iter().find(|t| t["name"] == name))
        .unwrap_or_else(|| panic!("no table {name} in {report}"))
}

fn codes(t: &TableHealth) -> Vec<IssueCode> {
    t.issues.iter().map(|i| i.code()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn healthy_after_a_backup_then_stale_when_it_is_three_days_old_and_the_same_after_restart() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_grown.dets"), ("settings", "set_10.dets")]);
    let server = TestServer::start(dirs.config()).await;
    let client = server.client(Some(ADMIN)).await;

    let before = client.get_health(false).await.unwrap();
    assert_eq!(before.status(), HealthStatus::Warning);
    assert_eq!(codes(table(&before, "users")), [IssueCode::NeverBackedUp]);
    let (_, before_json) = http_get(server.addr, "/v1/health", None).await;
    assert_eq!(
        serde_json::from_str::<Value>(&before_json).unwrap()["status"],
        "HEALTH_STATUS_WARNING"
    );

    client.trigger_backup(vec![], "").await.unwrap();
    // The snapshot is refreshed after every run; refresh=true waits for a fresh one.
    let healthy = client.get_health(true).await.unwrap();
    assert_eq!(healthy.status(), HealthStatus::Healthy, "{healthy:#?}");
    // Answers without refresh follow the new snapshot, in both wire forms.
    assert_eq!(client.get_health(false).await.unwrap(), healthy);
    let (_, healthy_json) = http_get(server.addr, "/v1/health", None).await;
    assert_eq!(
        serde_json::from_str::<Value>(&healthy_json).unwrap()["status"],
        "HEALTH_STATUS_HEALTHY"
    );
    let users = table(&healthy, "users");
    assert_eq!(
        (
            users.records,
            users.keys,
            users.file_size_bytes,
            users.free_bytes
        ),
        (1200, 1200, 54857, 1280)
    );
    assert!((users.fragmentation_ratio - 1280.0 / 54857.0).abs() < 1e-12);
    assert!(users.closed_properly);
    assert_eq!(users.backups_retained, 1);
    assert_eq!(users.last_attempt_outcome(), TableOutcome::Succeeded);
    assert!(users.since_last_backup.unwrap().seconds < 60);
    let names: Vec<&str> = healthy.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["storage", "scheduler", "backup_volume"]);

    dirs.shift_backups("users", -Duration::days(3));
    let stale = client.get_health(true).await.unwrap();
    assert_eq!(stale.status(), HealthStatus::Warning);
    let users = table(&stale, "users");
    assert_eq!(codes(users), [IssueCode::BackupStale]);
    assert_eq!(users.status(), HealthStatus::Warning);
    assert!(users.since_last_backup.unwrap().seconds >= 3 * 86_400);
    assert!(
        users.issues[0].message.contains("3d"),
        "{}",
        users.issues[0].message
    );
    assert_eq!(table(&stale, "settings").status(), HealthStatus::Healthy);
    server.stop().await;

    let server = TestServer::start(dirs.config()).await;
    let again = server.client(None).await.get_health(false).await.unwrap();
    assert_eq!(again.status(), stale.status());
    for t in &stale.tables {
        let after = table(&again, &t.name);
        assert_eq!(
            (after.status(), codes(after)),
            (t.status(), codes(t)),
            "{}",
            t.name
        );
        assert_eq!(after.last_backup_at, t.last_backup_at);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fragmentation_missing_critical_tables_and_failed_attempts() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("orders", "set_fragmented.dets"), ("users", "set_10.dets")]);
    let mut config = dirs.config();
    // The fixture has 40.4% free space: flag it with a threshold of 0.4.
    config.health.thresholds.fragmentation_warn = 0.4;
    config.engine.catalog.tables = vec![
        TableSpec::named("orders", false),
        TableSpec::named("users", false),
        TableSpec::named("ledger", true),
    ];
    let server = TestServer::start(config).await;
    let client = server.client(Some(ADMIN)).await;
    client.trigger_backup(vec![], "").await.unwrap();
    let report = client.get_health(true).await.unwrap();

    let orders = table(&report, "orders");
    assert_eq!(codes(orders), [IssueCode::FragmentationHigh]);
    assert!((orders.fragmentation_ratio - 46752.0 / 115685.0).abs() < 1e-12);
    let ledger = table(&report, "ledger");
    assert_eq!(ledger.status(), HealthStatus::Critical);
    assert!(
        codes(ledger).contains(&IssueCode::TableMissing),
        "{ledger:?}"
    );
    assert_eq!(report.status(), HealthStatus::Critical);
    assert_eq!(report.tables[0].name, "ledger", "worst first");

    // Damage users: the next attempt fails while the older backup remains.
    let path = dirs.data.join("users.dets");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[5432 + 4..5432 + 8].copy_from_slice(&0x03AB_CDEFu32.to_be_bytes());
    std::fs::write(&path, bytes).unwrap();
    client
        .trigger_backup(vec!["users".into()], "")
        .await
        .unwrap();
    let report = client.get_health(true).await.unwrap();
    let users = table(&report, "users");
    assert!(
        codes(users).contains(&IssueCode::LastBackupFailed),
        "{users:?}"
    );
    assert!(
        codes(users).contains(&IssueCode::TableUnreadable),
        "{users:?}"
    );
    assert_eq!(users.backups_retained, 1);
    assert!(users.last_backup_at.is_some());
    assert_eq!(users.last_attempt_outcome(), TableOutcome::Failed);
    let failed = users
        .issues
        .iter()
        .find(|i| i.code() == IssueCode::LastBackupFailed)
        .unwrap();
    assert!(
        failed.message.contains("TABLE_CORRUPT"),
        "{}",
        failed.message
    );
    server.stop().await;
}

/// The backup volume component's status and issue codes.
fn volume(report: &GetHealthResponse) -> (HealthStatus, Vec<IssueCode>) {
    let c = report
        .components
        .iter()
        .find(|c| c.name == "backup_volume")
        .unwrap();
    (c.status(), c.issues.iter().map(|i| i.code()).collect())
}

#[tokio::test(flavor = "multi_thread")]
async fn backup_volume_is_low_below_the_minimum_and_critical_below_what_the_next_run_needs() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets"), ("settings", "set_grown.dets")]);
    let mut config = dirs.config();
    config.health.thresholds.min_free_bytes = u64::MAX;
    let server = TestServer::start(config).await;
    let client = server.client(Some(ADMIN)).await;
    client.trigger_backup(vec![], "").await.unwrap();
    let report = client.get_health(true).await.unwrap();
    assert_eq!(table(&report, "users").status(), HealthStatus::Healthy);
    assert_eq!(
        volume(&report),
        (HealthStatus::Warning, vec![IssueCode::BackupDiskLow])
    );
    assert_eq!(
        report.status(),
        HealthStatus::Warning,
        "the worst component"
    );
    server.stop().await;

    // No volume has room for copies this large (the sum saturates, never wraps).
    let mut config = dirs.config();
    config.health.free_space_margin = u64::MAX / 2;
    let server = TestServer::start(config).await;
    let report = server.client(None).await.get_health(false).await.unwrap();
    assert_eq!(
        volume(&report),
        (HealthStatus::Critical, vec![IssueCode::BackupDiskLow])
    );
    assert_eq!(report.status(), HealthStatus::Critical);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn heavily_deleted_erlang_table_is_flagged_at_the_default_threshold() {
    let Some(erlang) = DetsTool::find() else {
        return;
    };
    let dirs = Dirs::new();
    erlang.make(&dirs.data, &["set_deleted"]);
    let server = TestServer::start(dirs.config()).await;
    let report = server.client(None).await.get_health(false).await.unwrap();
    let t = table(&report, "set_deleted");
    assert!(t.fragmentation_ratio > 0.5, "{}", t.fragmentation_ratio);
    assert!(codes(t).contains(&IssueCode::FragmentationHigh), "{t:?}");
    assert_eq!(
        t.free_bytes,
        erlang.report(&dirs.data.join("set_deleted.dets"))["free_bytes"]
            .as_u64()
            .unwrap()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn json_endpoint_and_grpcurl_agree_field_for_field() {
    let Some(grpcurl) = testkit::require("grpcurl") else {
        return;
    };
    let dirs = Dirs::new();
    dirs.add_fixtures(&[
        ("users", "set_grown.dets"),
        ("orders", "set_fragmented.dets"),
        ("dirty", "set_open_dirty.dets"),
    ]);
    let server = TestServer::start(dirs.config()).await;
    server
        .client(Some(ADMIN))
        .await
        .trigger_backup(vec![], "")
        .await
        .unwrap();
    server.client(None).await.get_health(true).await.unwrap();

    let addr = server.addr.to_string();
    let out = Command::new(grpcurl)
        .args(["-plaintext", &addr, "tablesafe.v1.StorageAdmin/GetHealth"])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_grpcurl: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (status, body) = http_get(server.addr, "/v1/health", None).await;
    assert_eq!(status, 200);
    let from_http: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(from_http, from_grpcurl);
    // Spot-check the mapping itself: camelCase names, enum names, 64-bit integers as strings.
    let dirty = json_table(&from_http, "dirty");
    assert_eq!(dirty["fileSizeBytes"], "13220");
    assert_eq!(dirty["lastBackupConsistency"], "CONSISTENCY_DIRTY");
    assert_eq!(dirty["issues"][0]["code"], "ISSUE_CODE_LAST_BACKUP_DIRTY");
    assert!(from_http["computedAt"].as_str().unwrap().ends_with('Z'));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn read_token_guards_health_and_liveness_and_metrics_are_served() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_grown.dets")]);
    let mut config = dirs.config();
    config.tokens = Tokens::new(ADMIN, Some(READER.into()));
    let server = TestServer::start(config).await;
    server
        .client(Some(ADMIN))
        .await
        .trigger_backup(vec![], "")
        .await
        .unwrap();

    assert_eq!(http_get(server.addr, "/v1/health", None).await.0, 401);
    assert_eq!(
        http_get(server.addr, "/v1/health", Some("wrong")).await.0,
        401
    );
    let (status, body) = http_get(server.addr, "/v1/health?refresh=true", Some(READER)).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["status"],
        "HEALTH_STATUS_HEALTHY"
    );
    let err = server
        .client(None)
        .await
        .get_health(false)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(tonic::Code::Unauthenticated));

    assert_eq!(
        http_get(server.addr, "/healthz", None).await,
        (200, "ok\n".to_owned())
    );
    assert_eq!(http_get(server.addr, "/metrics", None).await.0, 401);
    let (status, metrics) = http_get(server.addr, "/metrics", Some(READER)).await;
    assert_eq!(status, 200);
    for line in [
        "tablesafe_table_records{table=\"users\"} 1200",
        "tablesafe_table_file_size_bytes{table=\"users\"} 54857",
        "tablesafe_backup_runs_total{outcome=\"succeeded\"} 1",
        "tablesafe_health_status{component=\"system\"} 0",
        "tablesafe_backup_duration_seconds_count{table=\"users\"} 1",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} missing from:\n{metrics}"
        );
    }
    let last_backup = metrics
        .lines()
        .find(|l| l.starts_with("tablesafe_table_last_backup_timestamp_seconds{"))
        .unwrap();
    let at: f64 = last_backup.rsplit(' ').next().unwrap().parse().unwrap();
    assert!((Utc::now().timestamp() as f64 - at).abs() < 120.0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn grpc_health_serves_while_running_and_not_serving_during_shutdown() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets")]);
    let server = TestServer::start(dirs.config()).await;
    let channel = tonic::transport::Endpoint::from_shared(server.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = HealthClient::new(channel);
    for service in ["", "tablesafe.v1.StorageAdmin"] {
        let reply = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(reply.status(), ServingStatus::Serving, "{service:?}");
    }
    let mut watch = health
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        watch.message().await.unwrap().unwrap().status(),
        ServingStatus::Serving
    );
    let stopping = tokio::spawn(server.stop());
    let mut saw_not_serving = false;
    while let Ok(Some(update)) = watch.message().await {
        saw_not_serving |= update.status() == ServingStatus::NotServing;
    }
    assert!(
        saw_not_serving,
        "the health watch reported NOT_SERVING before the server went"
    );
    stopping.await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn health_command_prints_the_worst_first() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets")]);
    let mut config = dirs.config();
    config.engine.catalog.tables = vec![
        TableSpec::named("users", false),
        TableSpec::named("ledger", true),
    ];
    let server = TestServer::start(config).await;
    let url = server.url();
    let out = Command::new(env!("CARGO_BIN_EXE_tablesafe"))
        .args(["health", "--server", &url])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "not healthy");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("system: critical"), "{text}");
    let issues: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("critical ") || l.starts_with("warning "))
        .collect();
    assert!(
        issues[0].starts_with("critical TABLE_MISSING ledger"),
        "{text}"
    );
    assert!(
        issues.iter().any(|l| l.contains("NEVER_BACKED_UP users")),
        "{text}"
    );
    server.stop().await;
}

/// Free bytes on the volume holding `dir`, as `df` reports them.
fn free_bytes(dir: &std::path::Path) -> u64 {
    let out = std::process::Command::new("df")
        .args(["-B1", "--output=avail"])
        .arg(dir)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines().nth(1).unwrap().trim().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_free_space_need_is_the_next_runs_writes_plus_one_margin_not_one_per_table() {
    let dirs = Dirs::new();
    let tables: Vec<(String, &str)> = (0..12)
        .map(|i| (format!("t{i:02}"), "set_10.dets"))
        .collect();
    let refs: Vec<(&str, &str)> = tables.iter().map(|(n, f)| (n.as_str(), *f)).collect();
    dirs.add_fixtures(&refs);
    // A margin of a third of the free space: counted once, the 12 small
    // tables fit; counted per table (4x the free space), they would not.
    let mut config = dirs.config();
    let margin = free_bytes(&dirs.backups) / 3;
    config.health.free_space_margin = margin;
    config.engine.pipeline.free_space_margin = margin;
    let server = TestServer::start(config).await;
    let client = server.client(Some(ADMIN)).await;
    let run = client
        .trigger_backup(vec![], "")
        .await
        .unwrap()
        .run
        .unwrap();
    assert_eq!(run.succeeded, 12, "each copy fits beside one margin");
    let report = client.get_health(true).await.unwrap();
    assert_eq!(
        volume(&report),
        (HealthStatus::Healthy, vec![]),
        "{report:#?}"
    );
    server.stop().await;

    // One table larger than what is left beside the margin: CRITICAL,
    // naming what the next run needs.
    let mut config = dirs.config();
    config.health.free_space_margin = free_bytes(&dirs.backups);
    let server = TestServer::start(config).await;
    let report = server.client(None).await.get_health(false).await.unwrap();
    let (status, codes) = volume(&report);
    assert_eq!(
        (status, codes),
        (HealthStatus::Critical, vec![IssueCode::BackupDiskLow])
    );
    server.stop().await;
}

fn etag(head: &str) -> String {
    head.lines()
        .find_map(|l| l.strip_prefix("etag: "))
        .unwrap_or_else(|| panic!("no ETag in {head}"))
        .trim()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn etag_and_unchanged_follow_snapshots_and_summary_sends_only_tables_with_issues() {
    use tablesafe_client::proto::{GetHealthRequest, HealthView};
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets"), ("settings", "set_10.dets")]);
    let server = TestServer::start(dirs.config()).await;
    let client = server.client(Some(ADMIN)).await;
    client
        .trigger_backup(vec!["users".into()], "")
        .await
        .unwrap();
    let full = client.get_health(true).await.unwrap();
    assert_eq!(full.total_tables, 2);
    assert!(!full.snapshot_id.is_empty());

    // SUMMARY: the status and components, and only the table with issues.
    let summary = client
        .get_health_with(GetHealthRequest {
            view: HealthView::Summary.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let names: Vec<&str> = summary.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["settings"], "never backed up");
    assert_eq!((summary.status, summary.total_tables), (full.status, 2));
    assert_eq!(summary.components, full.components);
    assert_eq!(summary.snapshot_id, full.snapshot_id);

    // The caller's snapshot is still the one: unchanged, nothing else.
    let same = client
        .get_health_with(GetHealthRequest {
            if_none_match: full.snapshot_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(same.unchanged);
    assert!(same.tables.is_empty() && same.components.is_empty());
    assert_eq!(same.snapshot_id, full.snapshot_id);
    // The same over HTTP: the id is the ETag, If-None-Match answers 304.
    let (status, head, body) = http_get_with(server.addr, "/v1/health", &[]).await;
    assert_eq!(status, 200);
    let tag = etag(&head);
    assert_eq!(tag, format!("\"{}\"", full.snapshot_id));
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["snapshotId"],
        full.snapshot_id
    );
    let (status, head, body) = http_get_with(
        server.addr,
        "/v1/health?view=summary",
        &[("If-None-Match", &tag)],
    )
    .await;
    assert_eq!((status, body.as_str()), (304, ""));
    assert_eq!(etag(&head), tag);
    // Time passing alone changes nothing: a recomputed snapshot keeps its id.
    let again = client.get_health(true).await.unwrap();
    assert_eq!(again.snapshot_id, full.snapshot_id);

    // A change on disk is a new snapshot: a new id, and the old one no
    // longer matches.
    client
        .trigger_backup(vec!["settings".into()], "")
        .await
        .unwrap();
    let changed = client
        .get_health_with(GetHealthRequest {
            refresh: true,
            if_none_match: full.snapshot_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!changed.unchanged);
    assert_ne!(changed.snapshot_id, full.snapshot_id);
    assert_eq!(changed.tables.len(), 2);
    let (status, head, _) =
        http_get_with(server.addr, "/v1/health", &[("If-None-Match", &tag)]).await;
    assert_eq!(status, 200);
    assert_eq!(etag(&head), format!("\"{}\"", changed.snapshot_id));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_return_every_table_exactly_once_while_tables_come_and_go() {
    use std::collections::HashMap;
    use tablesafe_client::proto::GetHealthRequest;
    let dirs = Dirs::new();
    let names: Vec<String> = (0..30).map(|i| format!("t{i:02}")).collect();
    let fixtures: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "set_10.dets")).collect();
    dirs.add_fixtures(&fixtures);
    let server = TestServer::start(dirs.config()).await;
    let client = server.client(Some(ADMIN)).await;

    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut request = GetHealthRequest {
        refresh: true,
        page_size: 7,
        ..Default::default()
    };
    let mut pages = 0;
    loop {
        let page = client.get_health_with(request.clone()).await.unwrap();
        assert!(page.tables.len() <= 7);
        let mut page_names: Vec<&str> = page.tables.iter().map(|t| t.name.as_str()).collect();
        let sorted = {
            let mut s = page_names.clone();
            s.sort();
            s
        };
        assert_eq!(page_names, sorted, "a page is in name order");
        for name in page_names.drain(..) {
            *seen.entry(name.to_owned()).or_default() += 1;
        }
        pages += 1;
        // Between pages, tables come and go on both sides of the cursor.
        match pages {
            1 => {
                dirs.add_fixtures(&[
                    ("a_new_first", "set_10.dets"),
                    ("zz_new_last", "set_10.dets"),
                ]);
                std::fs::remove_file(dirs.data.join("t03.dets")).unwrap();
                std::fs::remove_file(dirs.data.join("t20.dets")).unwrap();
            }
            2 => std::fs::remove_file(dirs.data.join("t25.dets")).unwrap(),
            _ => {}
        }
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
    }
    assert!(pages >= 5, "{pages} pages");
    let twice: Vec<_> = seen.iter().filter(|(_, &n)| n > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
    for name in &names {
        if !["t03", "t20", "t25"].contains(&name.as_str()) {
            assert_eq!(seen.get(name), Some(&1), "{name} was there throughout");
        }
    }
    assert_eq!(
        seen.get("zz_new_last"),
        Some(&1),
        "added ahead of the cursor: sent"
    );
    assert_eq!(seen.get("t03"), Some(&1), "sent before it went");

    // Tokens are the server's own; pages have a bound.
    let bad = client
        .get_health_with(GetHealthRequest {
            page_token: "not a token".into(),
            page_size: 5,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(format!("{bad:?}").contains("InvalidArgument"), "{bad:?}");
    let too_big = client
        .get_health_with(GetHealthRequest {
            page_size: 100_000,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        format!("{too_big:?}").contains("InvalidArgument"),
        "{too_big:?}"
    );
    let (status, _, body) = http_get_with(server.addr, "/v1/health?page_size=x", &[]).await;
    assert_eq!(status, 400, "{body}");
    // The client's own pager gets every table of one snapshot.
    let all = client.get_health_paged(4).await.unwrap();
    assert_eq!(all.tables.len() as u32, all.total_tables);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_path_is_sent_only_where_the_data_directory_does_not_say_it() {
    let dirs = Dirs::new();
    // users (listed) and orders (found, not listed) sit in the first data
    // directory; audit in the second; ledger's file is elsewhere by name.
    dirs.add_fixtures(&[("users", "set_10.dets"), ("orders", "set_10.dets")]);
    let second = dirs.root.path().join("more");
    let elsewhere = dirs.root.path().join("elsewhere");
    for dir in [&second, &elsewhere] {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::copy(testkit::fixture("set_10.dets"), second.join("audit.dets")).unwrap();
    let ledger_file = elsewhere.join("ledger_2026.dets");
    std::fs::copy(testkit::fixture("set_10.dets"), &ledger_file).unwrap();
    let mut config = dirs.config();
    config.engine.catalog.data_dirs.push(second.clone());
    config.engine.catalog.tables = vec![
        TableSpec::named("users", false),
        TableSpec::named("audit", false),
        TableSpec {
            path: Some(ledger_file.clone()),
            ..TableSpec::named("ledger", false)
        },
    ];
    let server = TestServer::start(config).await;
    let client = server.client(Some(ADMIN)).await;
    let full = client.get_health(true).await.unwrap();

    let data = dirs.data.display().to_string();
    assert_eq!(full.data_dir, data);
    let expected = [
        ("users", format!("{data}/users.dets"), false),
        ("orders", format!("{data}/orders.dets"), false),
        (
            "audit",
            second.join("audit.dets").display().to_string(),
            true,
        ),
        ("ledger", ledger_file.display().to_string(), true),
    ];
    for (name, path, sent) in &expected {
        let t = table(&full, name);
        assert_eq!(!t.path.is_empty(), *sent, "{name}: {:?}", t.path);
        assert_eq!(tablesafe_client::table_path(&full, t), *path, "{name}");
        assert!(std::path::Path::new(path).is_file(), "{path}");
    }

    // Every view and page names the directory; the JSON endpoint says the same.
    let page = client.get_health_paged(1).await.unwrap();
    assert_eq!(page.data_dir, data);
    for (name, path, _) in &expected {
        assert_eq!(
            tablesafe_client::table_path(&page, table(&page, name)),
            *path
        );
    }
    let (status, body) = http_get(server.addr, "/v1/health", Some(ADMIN)).await;
    assert_eq!(status, 200, "{body}");
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["dataDir"], data.as_str());
    let users = json_table(&json, "users");
    assert!(users.get("path").is_none(), "{users}");
    server.stop().await;
}
