//! The dashboard in real headless Chromium, driven over the DevTools protocol:
//! it loads, shows every table, and updates the last backup time live; with a
//! read token configured it asks for the token, refuses a wrong one, and goes
//! live with the right one. It speaks to people: component issues as text
//! under their component, an empty state when there are no tables, numbers
//! aligned under their headers and never wrapped, labels instead of enum
//! names, local times with an age kept current. Screenshots of the healthy,
//! problem and empty states are checked to be real PNGs. A report of more
//! tables than one page holds is loaded in pages and shown whole. With an
//! offsite destination (a real Garage node), each table's newest copy there
//! shows and follows new copies live, and while the store is down the page
//! says why and how many copies wait.

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
use tablesafe_engine::offsite::{Destination, DestinationConfig};
use testkit::garage::GarageCluster;
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

    /// Evaluates JavaScript that must not throw and returns its value.
    async fn value(&mut self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true }),
                true,
            )
            .await;
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression}: {}",
            result["exceptionDetails"]
        );
        result["result"]["value"].clone()
    }

    /// Renders the page at `width` CSS pixels (`None`: back to the window's size).
    async fn set_width(&mut self, width: Option<u32>) {
        match width {
            Some(width) => {
                let metrics = json!({ "width": width, "height": 800, "deviceScaleFactor": 1, "mobile": false });
                self.call("Emulation.setDeviceMetricsOverride", metrics, true)
                    .await
            }
            None => {
                self.call("Emulation.clearDeviceMetricsOverride", json!({}), true)
                    .await
            }
        };
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
        json!("Healthy")
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
    let run = common::backed_up(&admin, vec!["users".into()], "while watching").await;
    let file = &run.tables[0].file_name;
    let changed = browser
        .wait_for(
            &format!("document.getElementById('last-backup-time').dataset.at !== {before}"),
            Duration::from_secs(2).saturating_sub(triggered.elapsed()),
        )
        .await;
    assert_eq!(
        browser
            .eval("document.querySelector('tr[data-table=users]').classList.contains('flash')")
            .await,
        json!(true),
        "the row that was backed up flashes"
    );
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
    assert_eq!(
        browser
            .eval("document.getElementById('empty').hidden")
            .await,
        json!(true),
        "no claim that there are no tables while the report is refused"
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

/// Takes a screenshot of the page's `state` into `dir` (and a copy under
/// target/test-artifacts for people to look at); checks it is a real PNG.
async fn screenshot_state(browser: &mut Browser, dir: &std::path::Path, state: &str) {
    let path = dir.join(format!("dashboard-{state}.png"));
    browser.screenshot(&path).await;
    let png = std::fs::read(&path).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{state}: not a PNG");
    assert_eq!(&png[12..16], b"IHDR", "{state}: no PNG header chunk");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert!(width >= 1000 && height >= 600, "{state}: {width}x{height}");
    assert!(png.len() > 10_000, "{state}: only {} bytes", png.len());
    let artifacts = testkit::workspace().join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::copy(&path, artifacts.join(format!("dashboard-{state}.png"))).unwrap();
}

/// The visible text has labels, not the wire's enum names, and no ISO timestamps.
async fn assert_humane_text(browser: &mut Browser) {
    let text = browser.value("document.body.innerText").await;
    let text = text.as_str().unwrap();
    for raw in [
        "HEALTH_STATUS_",
        "ISSUE_CODE_",
        "BACKUP_VOLUME",
        "backup_volume",
        "TABLE_ROLE_",
        "CONSISTENCY_",
        "_BACKED_UP",
    ] {
        assert!(!text.contains(raw), "{raw:?} shown in: {text}");
    }
    let iso = browser
        .value(r"/\d{4}-\d\d-\d\dT\d\d:\d\d/.test(document.body.innerText)")
        .await;
    assert_eq!(iso, json!(false), "an ISO timestamp shown in: {text}");
}

/// Each header's alignment, its first cell's, and how far apart their text ends.
const COLUMNS: &str = r"(() => {
  const right = (el) => { const r = document.createRange(); r.selectNodeContents(el); return r.getBoundingClientRect().right; };
  const left = (el) => { const r = document.createRange(); r.selectNodeContents(el); return r.getBoundingClientRect().left; };
  const row = document.querySelector('#tables tr');
  return [...document.querySelectorAll('#table-list thead th')].map((th, i) => ({
    header: th.textContent,
    align: getComputedStyle(th).textAlign,
    cell: getComputedStyle(row.cells[i]).textAlign,
    rightGap: Math.abs(right(th) - right(row.cells[i])),
    leftGap: Math.abs(left(th) - left(row.cells[i])),
  }));
})()";

/// Every size cell: its text, white-space, and how many lines its text takes.
const SIZES: &str = r"[...document.querySelectorAll('#tables td.size')].map((td) => {
  const r = document.createRange(); r.selectNodeContents(td);
  const lines = new Set([...r.getClientRects()].filter((b) => b.width > 0).map((b) => Math.round(b.top))).size;
  return { text: td.textContent, whiteSpace: getComputedStyle(td).whiteSpace, lines };
})";

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_healthy_state_speaks_plainly_and_keeps_numbers_aligned() {
    let Some(chromium) = testkit::require("chromium") else {
        return;
    };
    let dirs = Dirs::new();
    dirs.add_fixtures(&[
        ("users", "set_grown.dets"),
        ("orders", "set_fragmented.dets"),
        ("sessions", "bag_100.dets"),
    ]);
    let mut config = dirs.config();
    config.engine.schedule = "0 3 * * *".parse().unwrap();
    // No catch-up run of its own while the page is watched: the trigger below is the run.
    config.engine.catch_up_delay = Duration::from_secs(3600);
    let server = TestServer::start(config).await;
    let admin = server.client(Some(ADMIN)).await;
    let run = common::backed_up(&admin, vec![], "before the page").await;
    assert_eq!(run.tables.len(), 3);
    let report = admin.get_health(true).await.unwrap();
    assert!(
        report.components.iter().all(|c| c.issues.is_empty()),
        "{report:?}"
    );

    let mut browser = Browser::open(&chromium, &format!("{}/", server.url())).await;
    browser.wait_until_live(3).await;
    assert_eq!(
        browser
            .value("[document.getElementById('status').textContent, document.getElementById('status').title]")
            .await,
        json!(["Healthy", "HEALTH_STATUS_HEALTHY"])
    );

    // Components by name, raw names kept in the title; no issues, so no issue lists.
    let components = browser
        .value(
            "[...document.querySelectorAll('#components .component')].map((c) => \
             [c.querySelector('.component-head b').textContent, c.querySelector('.component-head b').title, \
              c.querySelector('.badge').textContent, c.querySelectorAll('.issues li').length])",
        )
        .await;
    assert_eq!(
        components,
        json!([
            ["Storage", "storage", "Healthy", 0],
            ["Scheduler", "scheduler", "Healthy", 0],
            ["Backup volume", "backup_volume", "Healthy", 0],
        ])
    );

    // The schedule as configured, said in words, and the next run as a local time with its distance.
    let schedule = browser
        .value(
            "(() => { const s = document.querySelector('[data-component=scheduler]'); \
             const next = s.querySelector('.next-run'); return { \
               cron: s.querySelector('code.schedule').textContent, words: s.querySelector('.cron-text').textContent, \
               at: next.dataset.at, title: next.title, next: next.textContent, \
               hhmm: new Date(next.dataset.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }), \
               in: s.querySelector('.next-run-in').textContent, raw: s.querySelector('.detail').title }; })()",
        )
        .await;
    assert_eq!(schedule["cron"], json!("0 3 * * *"), "{schedule}");
    assert_eq!(
        schedule["words"],
        json!("(every day at 03:00 UTC)"),
        "{schedule}"
    );
    let next_at = schedule["at"].as_str().unwrap();
    assert!(next_at.ends_with("T03:00:00Z"), "{schedule}");
    assert_eq!(schedule["title"], json!(next_at), "the raw time is kept");
    let next = schedule["next"].as_str().unwrap();
    assert!(
        (next.starts_with("today ") || next.starts_with("tomorrow "))
            && next.ends_with(schedule["hhmm"].as_str().unwrap()),
        "{schedule}"
    );
    assert!(
        schedule["in"].as_str().unwrap().starts_with("in "),
        "{schedule}"
    );
    assert_eq!(
        schedule["raw"],
        json!(format!("schedule 0 3 * * *; next run {next_at}")),
        "the detail as the server sent it stays in the title"
    );

    // Last backups: an age, then the local time; the ISO time only in attributes.
    let backups = browser
        .value(
            "[...document.querySelectorAll('#tables td.last-backup')].map((td) => \
             [td.dataset.at, td.title, td.querySelector('.rel').textContent, td.querySelector('.local').textContent])",
        )
        .await;
    for row in backups.as_array().unwrap() {
        let at = row[0].as_str().unwrap();
        assert_eq!(row[1], json!(at), "{row}");
        let age = row[2].as_str().unwrap();
        assert!(age == "just now" || age.ends_with(" ago"), "{row}");
        let local = row[3].as_str().unwrap();
        let captured = chrono::DateTime::parse_from_rfc3339(at).unwrap();
        let seconds = captured.with_timezone(&chrono::Local).format(":%M:%S");
        assert!(
            (local.starts_with("today ") || local.starts_with("yesterday "))
                && local.contains(&seconds.to_string()),
            "{row}: local time {seconds}"
        );
    }
    // The age is measured from now and kept current.
    let age = "document.getElementById('last-backup-time').textContent";
    let first = browser.value(age).await;
    let first_age = first.as_str().unwrap();
    assert!(
        first_age == "just now" || first_age.ends_with(" ago"),
        "{first}"
    );
    browser
        .wait_for(
            &format!("{age} !== {first} && {age}.endsWith(' ago')"),
            Duration::from_secs(5),
        )
        .await;

    // Numeric headers are right-aligned, their text ending where their numbers end.
    let columns = browser.value(COLUMNS).await;
    for column in columns.as_array().unwrap() {
        let numeric =
            ["Records", "Size", "Fragmentation"].contains(&column["header"].as_str().unwrap());
        let (align, gap) = if numeric {
            ("right", "rightGap")
        } else {
            ("left", "leftGap")
        };
        assert_eq!(column["align"], json!(align), "{column}");
        assert_eq!(column["cell"], json!(align), "{column}");
        assert!(column[gap].as_f64().unwrap() < 1.5, "{column}");
    }

    // Sizes never wrap, even on a narrow screen.
    browser.set_width(Some(480)).await;
    browser
        .wait_for("window.innerWidth === 480", Duration::from_secs(5))
        .await;
    let sizes = browser.value(SIZES).await;
    assert_eq!(sizes.as_array().unwrap().len(), 3, "{sizes}");
    for size in sizes.as_array().unwrap() {
        let text = size["text"].as_str().unwrap();
        assert!(
            text.contains('\u{a0}') && !text.contains(' '),
            "{size}: a non-breaking space between number and unit"
        );
        assert_eq!(size["whiteSpace"], json!("nowrap"), "{size}");
        assert_eq!(size["lines"], json!(1), "{size}");
    }
    browser.set_width(None).await;
    browser
        .wait_for("window.innerWidth === 1280", Duration::from_secs(5))
        .await;

    assert_humane_text(&mut browser).await;
    let shots = tempfile::tempdir().unwrap();
    screenshot_state(&mut browser, shots.path(), "healthy").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_shows_component_and_table_issues_as_text() {
    let Some(chromium) = testkit::require("chromium") else {
        return;
    };
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_grown.dets"), ("orders", "set_10.dets")]);
    let mut config = dirs.config();
    // No volume has an exbibyte free: BACKUP_DISK_LOW, a warning.
    config.health.thresholds.min_free_bytes = 1 << 60;
    let server = TestServer::start(config).await;
    let admin = server.client(Some(ADMIN)).await;
    admin.trigger_backup(vec![], "for the page").await.unwrap();
    // Three days old: BACKUP_STALE, with the backup's time in its message.
    dirs.shift_backups("users", -chrono::Duration::days(3));
    let report = admin.get_health(true).await.unwrap();
    let volume = report
        .components
        .iter()
        .find(|c| c.name == "backup_volume")
        .unwrap();
    assert_eq!(volume.issues.len(), 1, "{volume:?}");
    let disk_low = volume.issues[0].message.clone();
    assert!(disk_low.contains("below the minimum"), "{disk_low}");
    let users = report.tables.iter().find(|t| t.name == "users").unwrap();
    assert_eq!(users.issues.len(), 1, "{users:?}");
    let stale = users.issues[0].message.clone();

    let mut browser = Browser::open(&chromium, &format!("{}/", server.url())).await;
    let shown =
        "document.querySelectorAll('[data-component=backup_volume] .issues li').length === 1 \
                 && document.querySelector('tr[data-table=users]')?.dataset.status === 'warning'";
    browser.wait_for(shown, Duration::from_secs(15)).await;
    browser.wait_until_live(2).await;
    assert_eq!(
        browser
            .value("document.getElementById('status').textContent")
            .await,
        json!("Warning")
    );

    // The volume's issue as text, inside the volume's card, visible.
    let issue = browser
        .value(
            "(() => { const c = document.querySelector('[data-component=backup_volume]'); \
             const li = c.querySelector('.issues li'); const code = li.querySelector('.code'); \
             const box = c.getBoundingClientRect(), it = li.getBoundingClientRect(); return { \
               status: c.dataset.status, badge: c.querySelector('.badge').textContent, \
               text: li.innerText, raw: li.title, code: code.textContent, rawCode: code.title, \
               visible: it.height > 0 && it.width > 0 && getComputedStyle(li).visibility === 'visible', \
               inside: it.top >= box.top && it.bottom <= box.bottom && it.left >= box.left && it.right <= box.right, \
               area: c.innerText }; })()",
        )
        .await;
    assert_eq!(issue["status"], json!("warning"), "{issue}");
    assert_eq!(issue["badge"], json!("Warning"), "{issue}");
    assert_eq!(issue["code"], json!("Backup disk low"), "{issue}");
    assert_eq!(
        issue["rawCode"],
        json!("ISSUE_CODE_BACKUP_DISK_LOW"),
        "{issue}"
    );
    assert_eq!(
        issue["raw"],
        json!(disk_low),
        "the message as sent stays in the title"
    );
    let text = issue["text"].as_str().unwrap();
    assert!(
        text.contains("below the minimum of 1.0\u{a0}EiB") && text.contains("free"),
        "{issue}"
    );
    assert_eq!(issue["visible"], json!(true), "{issue}");
    assert_eq!(issue["inside"], json!(true), "{issue}");
    assert!(
        issue["area"]
            .as_str()
            .unwrap()
            .contains("below the minimum"),
        "{issue}"
    );

    // Storage points at the tables with issues; the table's issue shows its time locally.
    let storage = browser
        .value("document.querySelector('[data-component=storage] .table-issues').textContent")
        .await;
    assert!(
        storage.as_str().unwrap().contains("1 table issue in users"),
        "{storage}"
    );
    let row = browser
        .value(
            "(() => { const li = document.querySelector('tr[data-table=users] .issues li'); \
             const t = li.querySelector('time.local'); return { \
               code: li.querySelector('.code').textContent, raw: li.title, text: li.innerText, \
               at: t.dataset.at, local: t.textContent, \
               expected: new Date(t.dataset.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }) }; })()",
        )
        .await;
    assert_eq!(row["code"], json!("Backup stale"), "{row}");
    assert_eq!(row["raw"], json!(stale), "{row}");
    let at = row["at"].as_str().unwrap();
    assert!(stale.contains(at), "{row}");
    assert!(
        row["local"]
            .as_str()
            .unwrap()
            .ends_with(row["expected"].as_str().unwrap()),
        "{row}"
    );
    assert!(!row["text"].as_str().unwrap().contains(at), "{row}");

    assert_humane_text(&mut browser).await;
    let shots = tempfile::tempdir().unwrap();
    screenshot_state(&mut browser, shots.path(), "problem").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_says_so_when_there_are_no_tables() {
    let Some(chromium) = testkit::require("chromium") else {
        return;
    };
    let dirs = Dirs::new();
    let server = TestServer::start(dirs.config()).await;
    let report = server.client(None).await.get_health(false).await.unwrap();
    assert!(report.tables.is_empty(), "{report:?}");

    let mut browser = Browser::open(&chromium, &format!("{}/", server.url())).await;
    let empty = "!document.getElementById('empty').hidden";
    browser.wait_for(empty, Duration::from_secs(15)).await;
    browser.wait_until_live(0).await;
    let state = browser
        .value(
            "(() => { const e = document.getElementById('empty'); const box = e.getBoundingClientRect(); return { \
               text: e.innerText, visible: box.height > 0 && box.width > 0, \
               tableHidden: document.getElementById('table-list').getBoundingClientRect().height === 0, \
               count: document.getElementById('table-count').textContent }; })()",
        )
        .await;
    let text = state["text"].as_str().unwrap();
    assert!(text.starts_with("No tables found"), "{state}");
    assert!(text.contains("data directories"), "{state}");
    assert_eq!(state["visible"], json!(true), "{state}");
    assert_eq!(state["tableHidden"], json!(true), "{state}");
    assert_eq!(state["count"], json!("0"), "{state}");
    assert_eq!(
        browser
            .value("document.querySelector('[data-component=scheduler] code.schedule').textContent")
            .await,
        json!("off")
    );

    assert_humane_text(&mut browser).await;
    let shots = tempfile::tempdir().unwrap();
    screenshot_state(&mut browser, shots.path(), "empty").await;
    server.stop().await;
}

/// The health requests the page has made (their URLs, oldest first).
const HEALTH_REQUESTS: &str = "performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.includes('/v1/health'))";

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_shows_every_table_when_the_report_takes_several_pages() {
    let Some(chromium) = testkit::require("chromium") else {
        return;
    };
    // The dashboard asks for 500 tables a page: 1,200 take three pages.
    const TABLES: usize = 1200;
    let dirs = Dirs::new();
    let names: Vec<String> = (0..TABLES).map(|i| format!("table_{i:04}")).collect();
    for name in &names {
        std::fs::copy(
            testkit::fixture("set_10.dets"),
            dirs.data.join(format!("{name}.dets")),
        )
        .unwrap();
    }
    let server = TestServer::start(dirs.config()).await;
    let admin = server.client(Some(ADMIN)).await;
    let run = common::backed_up(&admin, vec![], "before the page").await;
    assert_eq!(run.tables.len(), TABLES);
    // The server does cut the report into pages of that size.
    let (status, body) =
        common::http_get(server.addr, "/v1/health?view=full&page_size=500", None).await;
    assert_eq!(status, 200, "{body}");
    let first: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(first["tables"].as_array().unwrap().len(), 500);
    assert_eq!(first["totalTables"], json!(TABLES));
    assert!(
        first["nextPageToken"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "a first page with more to come: {}",
        first["nextPageToken"]
    );

    let mut browser = Browser::open(&chromium, &format!("{}/", server.url())).await;
    browser.wait_until_live(TABLES).await;
    assert_eq!(
        browser
            .value("document.getElementById('table-count').textContent")
            .await,
        json!(TABLES.to_string()),
        "the header counts every table"
    );
    let shown = browser
        .value("[...document.querySelectorAll('#tables tr')].map((r) => r.dataset.table)")
        .await;
    assert_eq!(shown, json!(names), "every table once, in order");
    assert_eq!(
        browser
            .value("document.getElementById('status').textContent")
            .await,
        json!("Healthy")
    );
    // A table of the last page, as a user finds it: scrolled to, with its figures.
    let last = browser
        .value(
            "(() => { const r = document.querySelector('tr[data-table=table_1199]'); r.scrollIntoView(); \
             const box = r.getBoundingClientRect(); return { \
               name: r.cells[0].querySelector('b').textContent, status: r.cells[1].textContent, \
               records: r.querySelector('td.records').textContent, \
               backup: r.querySelector('td.last-backup').dataset.at, \
               visible: box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight }; })()",
        )
        .await;
    assert_eq!(last["name"], json!("table_1199"), "{last}");
    assert_eq!(last["status"], json!("Healthy"), "{last}");
    assert_eq!(last["records"], json!("10"), "{last}");
    assert!(
        last["backup"].as_str().is_some_and(|at| !at.is_empty()),
        "{last}"
    );
    assert_eq!(last["visible"], json!(true), "{last}");
    // It came in parts.
    let requests = browser.value(HEALTH_REQUESTS).await;
    let requests: Vec<&str> = requests
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        requests.iter().all(|r| r.contains("page_size=500")),
        "{requests:?}"
    );
    assert!(
        requests
            .iter()
            .filter(|r| r.contains("page_token="))
            .count()
            >= 2,
        "{requests:?}"
    );

    // A backup of one table: the page takes in the new snapshot, every page of it.
    let checked = browser
        .value("document.getElementById('computed-at').dataset.at")
        .await;
    // Captured times have one-second resolution: the next backup must be in a later second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    common::backed_up(&admin, vec!["table_1199".into()], "while watching").await;
    let renewed = format!(
        "document.getElementById('computed-at').dataset.at !== {checked} \
         && document.querySelector('tr[data-table=table_1199] .last-backup').dataset.at !== {}",
        last["backup"]
    );
    browser.wait_for(&renewed, Duration::from_secs(15)).await;
    assert_eq!(
        browser
            .value("[document.querySelectorAll('#tables tr').length, document.getElementById('table-count').textContent]")
            .await,
        json!([TABLES, TABLES.to_string()])
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_shows_the_last_proven_restore_of_each_table() {
    let Some(chromium) = testkit::require("chromium") else {
        return;
    };
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_grown.dets"), ("orders", "set_10.dets")]);
    let server = TestServer::start(dirs.config()).await;
    let admin = server.client(Some(ADMIN)).await;
    admin.trigger_backup(vec![], "").await.unwrap();
    admin
        .run_drill(tablesafe_client::proto::RunDrillRequest {
            tables: vec!["users".into()],
        })
        .await
        .unwrap();
    let mut browser = Browser::open(&chromium, &format!("{}/", server.url())).await;
    browser.wait_until_live(2).await;
    let drilled = browser
        .eval("document.querySelector('tr[data-table=users] .last-drill').textContent")
        .await;
    assert!(
        drilled
            .as_str()
            .is_some_and(|t| t.contains("checked by the reader")),
        "{drilled}"
    );
    let at = browser
        .eval("document.querySelector('tr[data-table=users] .last-drill').dataset.at")
        .await;
    assert!(at.as_str().is_some_and(|s| !s.is_empty()), "{at}");
    let never = browser
        .eval("document.querySelector('tr[data-table=orders] .last-drill').textContent")
        .await;
    assert_eq!(never, json!("never"));
}

/// Offsite copies to `garage`'s bucket, under the destination name `garage`.
fn destination(garage: &GarageCluster) -> Destination {
    Destination {
        config: DestinationConfig {
            retry_interval: Duration::from_millis(300),
            ..DestinationConfig::new("garage", "tablesafe", "dashboard")
        },
        store: common::garage_bucket(garage),
    }
}

/// An RFC 3339 time's Unix second (events and reports send it at different
/// precisions).
fn second(at: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(at.as_str().unwrap())
        .unwrap()
        .timestamp()
}

/// The health report as the page reads it (proto3 JSON).
async fn health_json(server: &TestServer) -> Value {
    let (status, body) = common::http_get(server.addr, "/v1/health?view=full", None).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// `table`'s entry for the destination `garage` in a health report.
fn offsite_of<'a>(health: &'a Value, table: &str) -> &'a Value {
    let table = health["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == table)
        .unwrap();
    table["offsite"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["destination"] == "garage")
        .unwrap_or_else(|| panic!("no offsite entry: {table:#}"))
}

/// What the page shows of `table`'s copies at the destination `garage`.
fn offsite_shown(table: &str) -> String {
    format!(
        "(() => {{ const d = document.querySelector('tr[data-table={table}] .offsite[data-destination=garage]'); \
         if (!d) return null; const e = d.querySelector('.offsite-error'), p = d.querySelector('.pending'); \
         const box = d.getBoundingClientRect(); return {{ \
           at: d.dataset.at, pending: d.dataset.pending, error: d.dataset.error, text: d.innerText, \
           age: d.querySelector('.rel')?.textContent ?? null, local: d.querySelector('.local')?.textContent ?? null, \
           pendingText: p ? p.textContent : null, errorText: e ? e.innerText : null, errorTitle: e ? e.title : null, \
           visible: box.width > 0 && box.height > 0, \
           fits: (w => w.scrollWidth <= w.clientWidth)(document.querySelector('.table-wrap')) }}; }})()"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_shows_each_tables_offsite_copy_live_and_why_uploads_fail() {
    let Some(chromium) = testkit::require("chromium") else {
        return;
    };
    let Some(mut garage) = tokio::task::block_in_place(|| GarageCluster::start(1, 1)) else {
        return;
    };
    let dirs = Dirs::new();
    dirs.add_fixtures(&[("users", "set_grown.dets"), ("orders", "set_10.dets")]);
    let mut config = dirs.config();
    config.offsite = vec![destination(&garage)];
    let server = TestServer::start(config).await;
    let admin = server.client(Some(ADMIN)).await;
    common::backed_up(&admin, vec![], "before the page").await;
    // Both copies stored, as the report the page reads has it (proto3 JSON
    // leaves out a pending count of 0).
    let deadline = Instant::now() + Duration::from_secs(60);
    let health = loop {
        let health = health_json(&server).await;
        if ["users", "orders"].iter().all(|t| {
            let o = offsite_of(&health, t);
            o["lastCopyAt"].is_string() && o["pending"].is_null() && o["lastError"].is_null()
        }) {
            break health;
        }
        assert!(Instant::now() < deadline, "{health:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    let mut browser = Browser::open(&chromium, &format!("{}/", server.url())).await;
    browser.wait_until_live(2).await;
    for table in ["users", "orders"] {
        let shown = browser.value(&offsite_shown(table)).await;
        let sent = offsite_of(&health, table);
        assert_eq!(shown["at"], sent["lastCopyAt"], "{shown}");
        assert_eq!(shown["pending"], json!("0"), "{shown}");
        assert_eq!(shown["error"], json!(""), "{shown}");
        assert_eq!(shown["visible"], json!(true), "{shown}");
        let age = shown["age"].as_str().unwrap();
        assert!(age == "just now" || age.ends_with(" ago"), "{shown}");
        assert!(
            shown["local"].as_str().unwrap().starts_with("today "),
            "{shown}"
        );
        assert!(
            shown["text"]
                .as_str()
                .unwrap()
                .starts_with("offsite garage"),
            "{shown}"
        );
        assert_eq!(shown["pendingText"], Value::Null, "{shown}");
        assert_eq!(shown["errorText"], Value::Null, "{shown}");
    }

    // A new copy goes up: the page shows its time without a reload.
    browser.eval("window.notReloaded = true").await;
    let before = browser.value(&offsite_shown("users")).await["at"].clone();
    // Captured times have one-second resolution: the next backup must be in a later second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let run = common::backed_up(&admin, vec!["users".into()], "while watching").await;
    let file = run.tables[0].file_name.clone();
    browser
        .wait_for(
            &format!("{}?.at !== {before}", offsite_shown("users")),
            Duration::from_secs(30),
        )
        .await;
    let shown = browser.value(&offsite_shown("users")).await;
    let stamp = file.trim_start_matches("users_").trim_end_matches(".dets");
    let at = shown["at"].as_str().unwrap().replace(':', "-");
    assert!(at.starts_with(stamp), "{shown} is the new backup {file}");
    assert_eq!(shown["pending"], json!("0"), "{shown}");
    assert_eq!(
        browser.eval("window.notReloaded === true").await,
        json!(true),
        "no reload"
    );
    let copied_at = shown["at"].clone();

    // The store goes down: the next copy waits, and the page says why.
    tokio::task::block_in_place(|| garage.stop_node(0));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    common::backed_up(&admin, vec!["users".into()], "store down").await;
    let failing = format!(
        "(() => {{ const s = {}; return s && s.pending === '1' && s.error !== ''; }})()",
        offsite_shown("users")
    );
    browser.wait_for(&failing, Duration::from_secs(60)).await;
    let shown = browser.value(&offsite_shown("users")).await;
    assert_eq!(shown["pendingText"], json!("1 pending"), "{shown}");
    assert!(
        shown["errorText"]
            .as_str()
            .unwrap()
            .starts_with("Failing: "),
        "{shown}"
    );
    assert_eq!(
        shown["errorTitle"], shown["error"],
        "the message as sent stays in the title"
    );
    assert_eq!(shown["visible"], json!(true), "{shown}");
    assert_eq!(
        shown["fits"],
        json!(true),
        "the table still fits the page: {shown}"
    );
    assert_eq!(
        second(&shown["at"]),
        second(&copied_at),
        "the newest copy there is still the last one stored: {shown}"
    );
    let sent = health_json(&server).await;
    let sent = offsite_of(&sent, "users");
    assert_eq!(sent["pending"], json!(1), "{sent}");
    assert!(
        sent["lastError"].as_str().is_some_and(|e| !e.is_empty()),
        "{sent}"
    );
    assert_humane_text(&mut browser).await;
    let shots = tempfile::tempdir().unwrap();
    screenshot_state(&mut browser, shots.path(), "offsite-failing").await;

    // The store is back: the waiting copy goes up, the error goes away.
    tokio::task::block_in_place(|| garage.start_node(0));
    let current = format!(
        "(() => {{ const s = {}; return s && s.pending === '0' && s.error === '' && s.at !== {}; }})()",
        offsite_shown("users"),
        shown["at"]
    );
    browser.wait_for(&current, Duration::from_secs(60)).await;
    assert_eq!(
        browser.eval("window.notReloaded === true").await,
        json!(true),
        "no reload"
    );
    server.stop().await;
}
