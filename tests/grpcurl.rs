//! The real grpcurl 1.8.6 against a real server: reflection, describe, and
//! TriggerBackup with and without the token.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use std::process::Output;

use tokio::process::Command;

use common::{Dirs, TestServer, ADMIN};
use serde_json::Value;

async fn grpcurl(grpcurl: &std::path::Path, args: &[&str]) -> Output {
    Command::new(grpcurl)
        .args(args)
        .output()
        .await
        .expect("grpcurl runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn grpcurl_lists_describes_and_triggers_with_the_token_only() {
    let Some(bin) = testkit::require("grpcurl") else {
        return;
    };
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_grown.dets"), ("sessions", "bag_100.dets")]);
    let server = TestServer::start(dirs.config()).await;
    let addr = server.addr.to_string();

    let list = grpcurl(&bin, &["-plaintext", &addr, "list"]).await;
    assert!(list.status.success(), "{}", text(&list));
    let services: Vec<&str> = std::str::from_utf8(&list.stdout).unwrap().lines().collect();
    for s in [
        "tablesafe.v1.StorageAdmin",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    ] {
        assert!(services.contains(&s), "{services:?}");
    }

    let describe = grpcurl(
        &bin,
        &["-plaintext", &addr, "describe", "tablesafe.v1.StorageAdmin"],
    )
    .await;
    let described = text(&describe);
    assert!(describe.status.success(), "{described}");
    for rpc in [
        "TriggerBackup",
        "GetHealth",
        "WatchEvents",
        "ListBackups",
        "ListRuns",
    ] {
        assert!(described.contains(&format!("rpc {rpc}")), "{described}");
    }
    let message = grpcurl(
        &bin,
        &[
            "-plaintext",
            &addr,
            "describe",
            "tablesafe.v1.TableBackupResult",
        ],
    )
    .await;
    assert!(
        text(&message).contains(".google.protobuf.Duration duration"),
        "{}",
        text(&message)
    );

    let header = format!("authorization: Bearer {ADMIN}");
    let trigger = grpcurl(
        &bin,
        &[
            "-plaintext",
            "-H",
            &header,
            "-d",
            r#"{"reason": "from grpcurl"}"#,
            &addr,
            "tablesafe.v1.StorageAdmin/TriggerBackup",
        ],
    )
    .await;
    assert!(trigger.status.success(), "{}", text(&trigger));
    let reply: Value = serde_json::from_slice(&trigger.stdout).unwrap();
    assert_eq!(reply["run"]["outcome"], "RUN_OUTCOME_SUCCEEDED");
    assert_eq!(reply["run"]["reason"], "from grpcurl");
    assert_eq!(reply["run"]["tables"].as_array().unwrap().len(), 2);
    assert_eq!(
        reply["run"]["tables"][1]["records"], "1200",
        "uint64 is a JSON string"
    );
    assert_eq!(dirs.backup_files().len(), 2);

    let refused = grpcurl(
        &bin,
        &[
            "-plaintext",
            "-d",
            "{}",
            &addr,
            "tablesafe.v1.StorageAdmin/TriggerBackup",
        ],
    )
    .await;
    assert_eq!(
        refused.status.code(),
        Some(80),
        "grpcurl exits 64 + 16 for UNAUTHENTICATED"
    );
    assert!(
        text(&refused).contains("Unauthenticated"),
        "{}",
        text(&refused)
    );
    assert_eq!(
        dirs.backup_files().len(),
        2,
        "nothing new without the token"
    );
    server.stop().await;
}
