//! The dashboard in real headless Chromium, driven over the DevTools protocol:
//! it loads, shows every table, and updates the last backup time live; with a
//! read token configured it asks for the token, refuses a wrong one, and goes
//! live with the right one.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::{Dirs, TestServer, ADMIN, READER};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tablesafe::auth::Tokens;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A headless Chromium and one DevTools session on a page.
struct Browser {
    child: Child,
    socket: Socket,
    session: String,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn open(chromium: &std::path::Path, url: &str) -> Self {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1280,800",
                "--remote-debugging-port=0",
                &format!("--user-data-dir={}", profile.path().display()),
                "about:blank",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let ws = loop {
            let line = lines
                .next()
                .expect("chromium prints its DevTools address")
                .unwrap();
            if let Some(url) = line.split("DevTools listening on ").nth(1) {
                break url.trim().to_owned();
            }
        };
        std::thread::spawn(move || lines.for_each(drop));
        let (socket, _) = tokio_tungstenite::connect_async(&ws).await.unwrap();
        let mut browser = Self {
            child,
            socket,
            session: String::new(),
            next_id: 0,
            _profile: profile,
        };
        let target = browser
            .call("Target.createTarget", json!({ "url": url }), false)
            .await;
        let attached = browser
            .call(
                "Target.attachToTarget",
                json!({ "targetId": target["targetId"], "flatten": true }),
                false,
            )
            .await;
        browser.session = attached["sessionId"].as_str().unwrap().to_owned();
        browser
    }

    /// Sends a DevTools command and returns its result (events are skipped).
    async fn call(&mut self, method: &str, params: Value, in_page: bool) -> Value {
        self.next_id += 1;
        let mut message = json!({ "id": self.next_id, "method": method, "params": params });
        if in_page {
            message["sessionId"] = json!(self.session);
        }
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .unwrap();
        loop {
            let reply = tokio::time::timeout(Duration::from_secs(20), self.socket.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            let Message::Text(text) = reply else { continue };
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["id"] == json!(self.next_id) {
                assert!(value.get("error").is_none(), "{method}: {value}");
                return value["result"].clone();
            }
        }
    }

    /// Evaluates JavaScript in the page and returns its value.
    async fn eval(&mut self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true }),
                true,
            )
            .await;
        result["result"]["value"].clone()
    }

    /// Evaluates `expression` until it is true; returns how long that took.
    async fn wait_for(&mut self, expression: &str, limit: Duration) -> Duration {
        let start = Instant::now();
        while self.eval(expression).await != json!(true) {
            assert!(
                start.elapsed() < limit,
                "not within {limit:?}: {expression}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        start.elapsed()
    }

    /// Waits until the page shows `tables` rows and follows events live.
    async fn wait_until_live(&mut self, tables: usize) {
        let shown = format!("document.querySelectorAll('#tables tr').length === {tables}");
        self.wait_for(&shown, Duration::from_secs(15)).await;
        let live = "document.getElementById('live').textContent === 'live'";
        self.wait_for(live, Duration::from_secs(15)).await;
    }

    async fn screenshot(&mut self, path: &std::path::Path) {
        let shot = self
            .call("Page.captureScreenshot", json!({ "format": "png" }), true)
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_shows_every_table_and_updates_the_last_backup_live() {
    let Some(chromium) = testkit::require("chromium") else {
        return;
    };
    let dirs = Dirs::new();
    dirs.add_fixtures(&[
        ("users", "set_grown.dets"),
        ("orders", "set_fragmented.dets"),
        ("sessions", "bag_100.dets"),
    ]);
    let server = TestServer::start(dirs.config()).await;
    let admin = server.client(Some(ADMIN)).await;
    admin
        .trigger_backup(vec![], "before the page")
        .await
        .unwrap();
    // Captured times have one-second resolution: the next backup must be in a later second.
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let mut browser = Browser::open(&chromium, &format!("{}/", server.url())).await;
    browser.wait_until_live(3).await;
    let names = browser
        .eval("[...document.querySelectorAll('#tables tr')].map(r => r.dataset.table).sort()")
        .await;
    assert_eq!(names, json!(["orders", "sessions", "users"]));
    assert_eq!(
        browser
            .eval("document.getElementById('status').textContent")
            .await,
        json!("healthy")
    );
    let before = browser
        .eval("document.getElementById('last-backup-time').dataset.at")
        .await;
    let users_before = browser
        .eval("document.querySelector('tr[data-table=users] .last-backup').dataset.at")
        .await;
    assert!(before.as_str().is_some_and(|s| !s.is_empty()), "{before}");
    browser.eval("window.notReloaded = true").await;

    let triggered = Instant::now();
    let run = admin
        .trigger_backup(vec!["users".into()], "while watching")
        .await
        .unwrap()
        .run
        .unwrap();
    let file = &run.tables[0].file_name;
    let changed = browser
        .wait_for(
            &format!("document.getElementById('last-backup-time').dataset.at !== {before}"),
            Duration::from_secs(2).saturating_sub(triggered.elapsed()),
        )
        .await;
    let users_after = browser
        .eval("document.querySelector('tr[data-table=users] .last-backup').dataset.at")
        .await;
    assert_ne!(users_after, users_before);
    let stamp = file.trim_start_matches("users_").trim_end_matches(".dets");
    let shown = users_after.as_str().unwrap().replace(':', "-");
    assert!(shown.starts_with(stamp), "{shown} is the new backup {file}");
    assert_eq!(
        browser.eval("window.notReloaded === true").await,
        json!(true),
        "no reload"
    );
    eprintln!(
        "last backup time changed {:?} after the trigger returned",
        changed
    );

    let artifact = testkit::workspace().join("target/test-artifacts/dashboard.png");
    browser.screenshot(&artifact).await;
    assert!(std::fs::metadata(&artifact).unwrap().len() > 10_000);
    server.stop().await;
}

/// Types `token` into the page's token form and submits it.
fn submit_token(token: &str) -> String {
    format!(
        "document.getElementById('token').value = {}; \
         document.getElementById('token-form').requestSubmit(); true",
        json!(token)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_asks_for_the_read_token_and_goes_live_with_it() {
    let Some(chromium) = testkit::require("chromium") else {
        return;
    };
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_grown.dets"), ("orders", "set_10.dets")]);
    let mut config = dirs.config();
    config.tokens = Tokens::new(ADMIN, Some(READER.into()));
    let server = TestServer::start(config).await;

    let mut browser = Browser::open(&chromium, &format!("{}/", server.url())).await;
    let asked = "document.getElementById('token-form').classList.contains('shown')";
    browser.wait_for(asked, Duration::from_secs(15)).await;
    let rows = "document.querySelectorAll('#tables tr').length";
    assert_eq!(
        browser.eval(rows).await,
        json!(0),
        "nothing shown without the token"
    );

    // Submitting hides the form; the server's refusal brings it back.
    browser.eval(&submit_token("not-the-token")).await;
    browser.wait_for(asked, Duration::from_secs(15)).await;
    assert_eq!(
        browser.eval(rows).await,
        json!(0),
        "nothing shown for a wrong token"
    );

    browser.eval(&submit_token(READER)).await;
    browser.wait_until_live(2).await;
    assert_eq!(browser.eval(asked).await, json!(false));
    server.stop().await;
}
