//! `tablesafe backup | backups | runs` against a real server, and the demo.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use common::{Dirs, TestServer, ADMIN};
use serde_json::Value;

/// The CLI with `args`, and `token` (only) in its environment.
async fn run(args: &[&str], token: Option<&str>) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_tablesafe"));
    cmd.args(args).env_remove("TABLESAFE_TOKEN");
    if let Some(t) = token {
        cmd.env("TABLESAFE_TOKEN", t);
    }
    cmd.output().await.expect("tablesafe runs")
}

#[tokio::test(flavor = "multi_thread")]
async fn client_commands_print_json_and_tables_and_fail_clearly() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_grown.dets"), ("settings", "set_10.dets")]);
    let server = TestServer::start(dirs.config()).await;
    let url = server.url();

    let out = run(
        &["backup", "--server", &url, "--json", "--reason", "cli"],
        Some(ADMIN),
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reply: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reply["run"]["outcome"], "RUN_OUTCOME_SUCCEEDED");
    assert_eq!(reply["run"]["reason"], "cli");

    let out = run(
        &["backup", "--server", &url, "--table", "users"],
        Some(ADMIN),
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("succeeded") && table.contains("users_") && table.contains("1200"),
        "{table}"
    );
    assert!(!table.contains("settings"), "{table}");

    let out = run(
        &["backups", "--server", &url, "--json", "--table", "users"],
        None,
    )
    .await;
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed["backups"].as_array().unwrap().len(), 2);
    assert_eq!(listed["backups"][0]["verified"], true);

    let out = run(&["runs", "--server", &url], None).await;
    let runs = String::from_utf8(out.stdout).unwrap();
    assert_eq!(runs.lines().count(), 3, "header and two runs: {runs}");
    assert!(runs.lines().nth(1).unwrap().contains("manual"), "{runs}");

    let out = run(&["backup", "--server", &url], None).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("missing bearer token"),
        "{out:?}"
    );
    let out = run(
        &["backup", "--server", &url, "--table", "nope"],
        Some(ADMIN),
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown tables: nope"),
        "{out:?}"
    );
    let out = run(&["runs", "--server", "http://127.0.0.1:1"], None).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot connect"),
        "{out:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_serves_bundled_tables_with_no_other_argument() {
    let cwd = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tablesafe"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .current_dir(cwd.path())
        .env_remove("TABLESAFE_ADMIN_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut token, mut addr) = (None, None);
    while token.is_none() || addr.is_none() {
        let line = lines.next().expect("banner").unwrap();
        if let Some(t) = line.trim().strip_prefix("admin token:") {
            token = Some(t.trim().to_owned());
        }
        if let Some(rest) = line.trim().strip_prefix("grpcurl -plaintext ") {
            addr = rest.strip_suffix(" list").map(str::to_owned).or(addr);
        }
    }
    let (token, addr) = (token.unwrap(), addr.unwrap());
    assert_eq!(token.len(), 32);
    let client = tablesafe_client::Client::connect(&format!("http://{addr}"), Some(&token))
        .await
        .unwrap();
    let run = client
        .trigger_backup(vec![], "demo")
        .await
        .unwrap()
        .run
        .unwrap();
    assert_eq!(run.tables.len(), 5);
    assert_eq!(
        run.outcome(),
        tablesafe_client::proto::RunOutcome::Succeeded
    );
    let backups = std::fs::read_dir(cwd.path().join("tablesafe-demo/backups"))
        .unwrap()
        .count();
    assert!(backups >= 10, "5 backups and their manifests");
    child.kill().unwrap();
    child.wait().unwrap();
}
