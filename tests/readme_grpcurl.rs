//! Every grpcurl command the README shows runs, as written, against a real server.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use tokio::process::Command;

use common::{Dirs, TestServer, ADMIN};

/// The grpcurl commands in README.md's shell blocks, continuation lines joined.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(testkit::workspace().join("README.md")).unwrap();
    let mut commands = Vec::new();
    let mut in_shell = false;
    let mut pending = String::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_shell = line == "```sh";
            continue;
        }
        if !in_shell {
            continue;
        }
        let text = line.split(" #").next().unwrap().trim();
        if pending.is_empty() && !text.starts_with("grpcurl ") {
            continue;
        }
        match text.strip_suffix('\\') {
            Some(head) => pending.push_str(head),
            None => {
                pending.push_str(text);
                commands.push(std::mem::take(&mut pending));
            }
        }
    }
    commands
}

#[tokio::test(flavor = "multi_thread")]
async fn every_grpcurl_command_in_the_readme_works() {
    let Some(grpcurl) = testkit::require("grpcurl") else {
        return;
    };
    let commands = readme_commands();
    assert!(commands.len() >= 8, "{commands:?}");
    let dirs = Dirs::new();
    dirs.add_fixtures(&[
        ("users", "set_grown.dets"),
        ("orders", "set_fragmented.dets"),
    ]);
    let server = TestServer::start(dirs.config()).await;
    let addr = server.addr.to_string();
    let bin_dir = grpcurl.parent().unwrap().to_owned();
    for command in commands {
        // The README's address is the default listen address; the stream of
        // WatchEvents never ends by itself, so it gets a deadline here.
        let mut line = command.replace("127.0.0.1:50051", &addr);
        let streaming = line.contains("WatchEvents");
        if streaming {
            line = line.replacen("grpcurl ", "grpcurl -max-time 2 ", 1);
        }
        let out = Command::new("bash")
            .args(["-c", &line])
            .env("TOKEN", ADMIN)
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    bin_dir.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .output()
            .await
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if streaming {
            // Ended by the deadline (exit 64 + 4), having streamed without error otherwise.
            assert_eq!(out.status.code(), Some(68), "{command}\n{text}");
        } else {
            assert!(out.status.success(), "{command}\n{text}");
        }
    }
    server.stop().await;
}
