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
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("missing bearer token")
            && stderr.contains("--token")
            && stderr.contains("TABLESAFE_TOKEN"),
        "{out:?}"
    );
    // host:port without a scheme, as grpcurl takes it.
    let host_port = url.strip_prefix("http://").unwrap();
    let out = run(&["runs", "--server", host_port], None).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = run(
        &["backup", "--server", &url, "--table", "nope"],
        Some(ADMIN),
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("unknown tables: nope; the tables are: settings, users"),
        "{out:?}"
    );
    let out = run(&["watch", "--server", &url, "--kind", "nope"], None).await;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the kinds are: run-started"),
        "{out:?}"
    );
    for server in ["http://127.0.0.1:1", "127.0.0.1:1"] {
        let out = run(&["runs", "--server", server], None).await;
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("cannot connect") && stderr.contains("Connection refused"),
            "{out:?}"
        );
    }
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
    let (mut token, mut addr, mut commands, mut dashboard) = (None, None, Vec::new(), None);
    while token.is_none() || addr.is_none() {
        let line = lines.next().expect("banner").unwrap();
        let line = line.trim();
        if let Some(t) = line.strip_prefix("admin token:") {
            token = Some(t.trim().to_owned());
        }
        if let Some(rest) = line.strip_prefix("grpcurl -plaintext ") {
            addr = rest.strip_suffix(" list").map(str::to_owned).or(addr);
        }
        if let Some(url) = line.strip_prefix("dashboard") {
            dashboard = Some(url.trim().to_owned());
        }
        if line.starts_with("TABLESAFE_TOKEN=") || line.starts_with("./") || line.starts_with('/') {
            commands.push(line.to_owned());
        }
    }
    let (token, addr) = (token.unwrap(), addr.unwrap());
    assert_eq!(token.len(), 32);
    assert_eq!(dashboard.as_deref(), Some(&*format!("http://{addr}/")));
    let client = tablesafe_client::Client::connect(&format!("http://{addr}"), Some(&token))
        .await
        .unwrap();
    // The first backup runs at once, with no trigger.
    let first = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        loop {
            let runs = client.list_runs(10).await.unwrap();
            if let Some(run) = runs.into_iter().find(|r| {
                r.reason.starts_with("first backup")
                    && r.outcome() != tablesafe_client::proto::RunOutcome::Running
            }) {
                return run;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the demo backs up at start-up");
    assert_eq!(
        first.outcome(),
        tablesafe_client::proto::RunOutcome::Succeeded
    );
    // The banner's commands work as printed (all but `watch`, which runs on).
    for command in commands.iter().filter(|c| !c.contains(" watch ")) {
        let out = Command::new("bash")
            .args(["-c", command])
            .current_dir(cwd.path())
            .output()
            .unwrap();
        let ok = if command.contains(" health ") {
            // Exit 1 means "not healthy" (a sample table is fragmented): it ran.
            matches!(out.status.code(), Some(0 | 1)) && !out.stdout.is_empty()
        } else {
            out.status.success()
        };
        assert!(ok, "{command}: {out:?}");
    }
    assert!(commands.len() >= 3, "{commands:?}");
    let run = common::backed_up(&client, vec![], "demo").await;
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

#[test]
fn a_demo_that_cannot_listen_names_the_address_and_leaves_nothing_behind() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let cwd = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tablesafe"))
        .args(["serve", "--demo", "--listen", &addr])
        .current_dir(cwd.path())
        .env_remove("TABLESAFE_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")) && stderr.contains("in use"),
        "{stderr}"
    );
    assert!(
        std::fs::read_dir(cwd.path()).unwrap().next().is_none(),
        "the demo directory is gone"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_prints_its_epoch_and_says_when_it_waits_for_a_server_that_went_away() {
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_10.dets")]);
    let mut server = common::ServerProcess::spawn(dirs.root.path(), "", &dirs.serve_args());
    let mut watch = Command::new(env!("CARGO_BIN_EXE_tablesafe"))
        .args(["watch", "--server", &server.addr.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let client = tablesafe_client::Client::connect(&server.url(), Some(ADMIN))
        .await
        .unwrap();
    // Events come once the watcher is subscribed: trigger until one shows.
    let mut stdout = BufReader::new(watch.stdout.take().unwrap()).lines();
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for line in stdout.by_ref() {
            let line = line.unwrap();
            let done = line.contains("finished");
            seen.push(line);
            if done {
                break;
            }
        }
        seen
    });
    while !reader.is_finished() {
        client.trigger_backup(vec![], "watched").await.unwrap();
    }
    let seen = reader.join().unwrap();
    let epoch_line = seen.iter().find(|l| l.starts_with("epoch ")).unwrap();
    assert!(
        epoch_line.contains("--epoch") && epoch_line.contains("--after"),
        "{seen:?}"
    );

    server.kill();
    let stderr = BufReader::new(watch.stderr.take().unwrap());
    let said = stderr
        .lines()
        .map(Result::unwrap)
        .find(|l| l.contains("reconnecting in"))
        .unwrap();
    assert!(said.contains("resuming after #"), "{said}");
    watch.kill().unwrap();
    watch.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_table_shows_its_file_size() {
    let dirs = Dirs::new();
    std::fs::write(dirs.data.join("broken.dets"), vec![7u8; 1234]).unwrap();
    let server = TestServer::start(dirs.config()).await;
    let health = server.client(None).await.get_health(true).await.unwrap();
    assert_eq!(health.tables[0].file_size_bytes, 1234);
    assert!(health.tables[0]
        .issues
        .iter()
        .any(|i| i.code() == tablesafe_client::proto::IssueCode::TableUnreadable));
    server.stop().await;
}

#[test]
fn serve_listens_on_a_host_name() {
    let dirs = Dirs::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tablesafe"))
        .arg("serve")
        .args(dirs.serve_args())
        .args(["--listen", "localhost:0"])
        .env("TABLESAFE_ADMIN_TOKEN", ADMIN)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = testkit::listening_address(child.stderr.take().unwrap(), |_| {}).unwrap();
    assert!(addr.ip().is_loopback(), "{addr}");
    child.kill().unwrap();
    child.wait().unwrap();
}
