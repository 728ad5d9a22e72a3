//! The monitoring pack (`monitoring/`), held to the real server: the
//! exposition's shape (HELP, units, an age beside each timestamp), the alert
//! rules checked by promtool and unit-tested over series taken from a real
//! scrape, a real Prometheus scraping a running server with the read token
//! and firing the alerts the server's state calls for (and no others), and
//! the Grafana dashboard's queries naming only exported metrics. The server
//! stores its copies offsite in a real one-node Garage cluster, so the
//! offsite series are real too.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{http_get, Dirs, TestServer, ADMIN, READER};
use serde_json::{json, Value};
use tablesafe::auth::Tokens;
use tablesafe_client::proto::{GetHealthResponse, IssueCode};
use tablesafe_engine::catalog::TableSpec;
use tablesafe_engine::erlang::NodeConfig;
use tablesafe_engine::offsite::{Destination, DestinationConfig};
use testkit::garage::GarageCluster;

/// Metrics that `monitoring/` uses but tablesafe does not export yet: the
/// rules and panels over them are ready (and the rules unit-tested with
/// promtool series), and stay silent or empty until they exist. ONLY such
/// names belong here: every other name the pack uses must be in a real
/// scrape, so a typo or a renamed metric fails. The tests also fail when a
/// name here starts being exported (take it off then) or is no longer used.
const PLANNED: &[&str] = &[];

fn monitoring(file: &str) -> PathBuf {
    testkit::workspace().join("monitoring").join(file)
}

// ---------------------------------------------------------------------------
// The exposition, parsed.

#[derive(Debug)]
struct Family {
    kind: String,
    help: String,
    unit: Option<String>,
}

#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// One scrape of `/metrics` (OpenMetrics text).
struct Scrape {
    text: String,
    families: BTreeMap<String, Family>,
    samples: Vec<Sample>,
}

impl Scrape {
    fn parse(text: &str) -> Self {
        let mut families: BTreeMap<String, Family> = BTreeMap::new();
        let mut samples = Vec::new();
        for line in text.lines().filter(|l| !l.is_empty() && *l != "# EOF") {
            if let Some(meta) = line.strip_prefix("# ") {
                let mut parts = meta.splitn(3, ' ');
                let (what, name, rest) = (
                    parts.next().unwrap(),
                    parts.next().unwrap(),
                    parts.next().unwrap_or(""),
                );
                let family = families.entry(name.to_owned()).or_insert(Family {
                    kind: String::new(),
                    help: String::new(),
                    unit: None,
                });
                match what {
                    "HELP" => family.help = rest.to_owned(),
                    "TYPE" => family.kind = rest.to_owned(),
                    "UNIT" => family.unit = Some(rest.to_owned()),
                    other => panic!("unknown metadata {other}: {line}"),
                }
                continue;
            }
            let name_end = line.find(['{', ' ']).unwrap();
            let name = &line[..name_end];
            let (labels, rest) = if line[name_end..].starts_with('{') {
                parse_labels(&line[name_end + 1..])
            } else {
                (BTreeMap::new(), &line[name_end..])
            };
            let value = rest.split_whitespace().next().unwrap();
            samples.push(Sample {
                name: name.to_owned(),
                labels,
                value: value.parse().unwrap_or_else(|_| panic!("{line}")),
            });
        }
        Self {
            text: text.to_owned(),
            families,
            samples,
        }
    }

    /// Family names and sample names (`..._total`, `..._bucket`, ...).
    fn names(&self) -> BTreeSet<String> {
        self.families
            .keys()
            .cloned()
            .chain(self.samples.iter().map(|s| s.name.clone()))
            .collect()
    }

    fn find(&self, name: &str, having: &[(&str, &str)]) -> Option<&Sample> {
        self.samples.iter().find(|s| {
            s.name == name
                && having
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }

    fn value(&self, name: &str, having: &[(&str, &str)]) -> f64 {
        self.find(name, having)
            .unwrap_or_else(|| panic!("no {name} {having:?} in\n{}", self.text))
            .value
    }

    /// A series exactly as the scrape has it (its name and every label),
    /// with the labels Prometheus adds: what the promtool tests are fed.
    fn series(&self, name: &str, having: &[(&str, &str)]) -> Series {
        let sample = self
            .find(name, having)
            .unwrap_or_else(|| panic!("no series {name} {having:?} in the scrape:\n{}", self.text));
        let mut labels = sample.labels.clone();
        labels.insert("job".into(), "tablesafe".into());
        labels.insert("instance".into(), INSTANCE.into());
        Series {
            name: name.to_owned(),
            labels,
        }
    }
}

/// Label pairs up to the closing brace; the rest of the line.
fn parse_labels(s: &str) -> (BTreeMap<String, String>, &str) {
    let mut labels = BTreeMap::new();
    let mut chars = s.char_indices().peekable();
    loop {
        let (start, c) = chars.next().unwrap();
        if c == '}' {
            return (labels, &s[start + 1..]);
        }
        if c == ',' {
            continue;
        }
        let eq = start + s[start..].find('=').unwrap();
        let key = s[start..eq].to_owned();
        while chars.peek().unwrap().0 <= eq + 1 {
            chars.next();
        }
        let mut value = String::new();
        loop {
            match chars.next().unwrap().1 {
                '"' => break,
                '\\' => match chars.next().unwrap().1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                other => value.push(other),
            }
        }
        labels.insert(key, value);
    }
}

const INSTANCE: &str = "tablesafe.example:50051";

/// A series for promtool's `input_series`.
#[derive(Debug, Clone)]
struct Series {
    name: String,
    labels: BTreeMap<String, String>,
}

impl Series {
    /// `up`, which Prometheus itself records for every target.
    fn up() -> Self {
        Self {
            name: "up".into(),
            labels: [("job", "tablesafe"), ("instance", INSTANCE)]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .into(),
        }
    }

    /// The same series with another value of a label it has.
    fn with(mut self, key: &str, value: &str) -> Self {
        assert!(
            self.labels.contains_key(key),
            "{} has no label {key}",
            self.name
        );
        self.labels.insert(key.into(), value.into());
        self
    }

    fn selector(&self) -> String {
        let labels: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect();
        format!("{}{{{}}}", self.name, labels.join(", "))
    }

    /// An alert's expected labels: this series' labels and `extra`.
    fn alert(&self, extra: &[(&str, &str)], summary: &str) -> Value {
        let mut labels: BTreeMap<String, String> = self.labels.clone();
        for (k, v) in extra {
            labels.insert((*k).into(), (*v).into());
        }
        json!({"exp_labels": labels, "exp_annotations": {"summary": summary}})
    }
}

// ---------------------------------------------------------------------------
// A server with something for every alert to say.

/// The offsite destination's name (the `destination` label).
const DESTINATION: &str = "garage";

/// Tables in every state the alerts tell apart, on a server with the read
/// token: `users` (critical) has a three-day-old backup, which is also its
/// newest copy offsite, `settings` and `orders` are fine (offsite too),
/// `broken` is damaged (unreadable, its backup failed), `rotten`'s only
/// copy rotted (the scrub found it), `ledger` (critical) has no file,
/// `stray` is an orphan; a second data directory is gone, the Erlang node
/// cannot be reached, the backup volume is below its minimum.
struct Scenario {
    dirs: Dirs,
    server: TestServer,
    /// The offsite store, kept running while the server is.
    _garage: GarageCluster,
}

impl Scenario {
    /// `None` when Garage is not installed (outside CI).
    async fn start() -> Option<Self> {
        let mut garage = tokio::task::block_in_place(|| GarageCluster::start(1, 1))?;
        let dirs = Dirs::new();
        dirs.add_fixtures(&[
            ("users", "set_grown.dets"),
            ("settings", "set_10.dets"),
            ("orders", "set_fragmented.dets"),
            ("broken", "set_10.dets"),
            ("rotten", "set_10.dets"),
            ("stray", "set_10.dets"),
        ]);
        let broken = dirs.data.join("broken.dets");
        let mut bytes = std::fs::read(&broken).unwrap();
        bytes[5432 + 4..5432 + 8].copy_from_slice(&0x03AB_CDEFu32.to_be_bytes());
        std::fs::write(&broken, bytes).unwrap();
        let second = dirs.root.path().join("more-data");
        std::fs::create_dir(&second).unwrap();

        let mut config = dirs.config();
        config.tokens = Tokens::new(ADMIN, Some(READER.into()));
        config.engine.catalog.data_dirs.push(second.clone());
        config.engine.catalog.tables = vec![
            TableSpec::named("users", true),
            TableSpec::named("settings", false),
            TableSpec::named("orders", false),
            TableSpec::named("broken", false),
            TableSpec::named("rotten", false),
            TableSpec::named("ledger", true),
        ];
        config.health.thresholds.min_free_bytes = u64::MAX;
        config.erlang = Some(NodeConfig {
            node: format!("nobody{}@127.0.0.1", testkit::unique_suffix()),
            cookie: "no-such-node".into(),
            timeout: Duration::from_secs(1),
        });
        config.offsite = vec![Destination {
            config: DestinationConfig {
                retry_interval: Duration::from_millis(300),
                ..DestinationConfig::new(DESTINATION, "tablesafe", "monitoring")
            },
            store: common::garage_bucket(&garage),
        }];
        // The store is down during the run: the copies wait for it, and
        // users' is moved three days back meanwhile, so that its copy there
        // is as old as its newest backup.
        tokio::task::block_in_place(|| garage.stop_node(0));
        let server = TestServer::start(config).await;
        let client = server.client(Some(ADMIN)).await;
        let run = common::backed_up(&client, vec![], "monitoring").await;
        let backed_up: Vec<String> = run
            .tables
            .iter()
            .filter(|t| !t.file_name.is_empty())
            .map(|t| t.table.clone())
            .collect();
        assert!(backed_up.contains(&"users".to_owned()), "{run:?}");
        dirs.shift_backups("users", -chrono::Duration::days(3));
        tokio::task::block_in_place(|| garage.start_node(0));
        // Every copy stored (a pass begun before the move fails and is tried
        // again), as health has it.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let health = client.get_health(true).await.unwrap();
            let stored = |table: &String| {
                health.tables.iter().any(|t| {
                    &t.name == table
                        && t.offsite.iter().any(|o| {
                            o.destination == DESTINATION
                                && o.last_copy_at.is_some()
                                && o.pending == 0
                                && o.last_error.is_empty()
                        })
                })
            };
            if backed_up.iter().all(stored) {
                break;
            }
            assert!(Instant::now() < deadline, "{health:#?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let rotten = &run.tables.iter().find(|t| t.table == "rotten").unwrap();
        let path = dirs.backups.join(&rotten.file_name);
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x80;
        std::fs::write(&path, bytes).unwrap();
        client.scrub_backups().await.unwrap();
        // A drill of one table: with the node unreachable, proved by the reader.
        let drill = client
            .run_drill(tablesafe_client::proto::RunDrillRequest {
                tables: vec!["settings".into()],
            })
            .await
            .unwrap();
        assert!(drill.tables[0].passed, "{drill:?}");
        std::fs::remove_dir(&second).unwrap();

        // The node client gives up on its first attempt within its timeout.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let health = client.get_health(true).await.unwrap();
            if component_has(&health, "erlang_node", IssueCode::ErlangNodeUnreachable)
                && component_has(&health, "storage", IssueCode::DataDirUnreadable)
            {
                break;
            }
            assert!(Instant::now() < deadline, "{health:#?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Some(Self {
            dirs,
            server,
            _garage: garage,
        })
    }

    async fn scrape(&self) -> Scrape {
        let (status, text) = http_get(self.server.addr, "/metrics", Some(READER)).await;
        assert_eq!(status, 200, "{text}");
        Scrape::parse(&text)
    }
}

fn component_has(health: &GetHealthResponse, component: &str, code: IssueCode) -> bool {
    health
        .components
        .iter()
        .any(|c| c.name == component && c.issues.iter().any(|i| i.code() == code))
}

// ---------------------------------------------------------------------------
// Metric names in the pack.

/// Every `tablesafe_...` name in `text` (rules, their comments and
/// annotations, or the dashboard).
fn tablesafe_names(text: &str) -> BTreeSet<String> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let mut names = BTreeSet::new();
    for (at, _) in text.match_indices("tablesafe_") {
        if text[..at].chars().next_back().is_some_and(ident) {
            continue;
        }
        let end = text[at..]
            .find(|c| !ident(c))
            .map_or(text.len(), |n| at + n);
        names.insert(text[at..end].to_owned());
    }
    names
}

/// The metric names a PromQL expression selects: identifiers that are not
/// functions, keywords, label names or inside strings, braces or brackets.
fn promql_metrics(expr: &str) -> BTreeSet<String> {
    const GROUPING: [&str; 6] = [
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    ];
    const KEYWORDS: [&str; 6] = ["and", "or", "unless", "bool", "offset", "atan2"];
    let chars: Vec<char> = expr.chars().collect();
    let mut names = BTreeSet::new();
    let mut i = 0;
    let skip_to = |i: &mut usize, close: char| {
        let mut quote = None;
        while *i < chars.len() {
            let c = chars[*i];
            *i += 1;
            match quote {
                Some(q) if c == '\\' => *i += usize::from(q != '`'),
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '"' || c == '\'' || c == '`' => quote = Some(c),
                None if c == close => return,
                None => {}
            }
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' | '\'' | '`' => {
                i += 1;
                skip_to(&mut i, c);
            }
            '{' => {
                i += 1;
                skip_to(&mut i, '}');
            }
            '[' => {
                i += 1;
                skip_to(&mut i, ']');
            }
            '$' => {
                // A Grafana variable.
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
            }
            c if c.is_ascii_digit() || c == '.' => {
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                    i += 1;
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let mut next = i;
                while next < chars.len() && chars[next].is_whitespace() {
                    next += 1;
                }
                let call = chars.get(next) == Some(&'(');
                // `sum by (...)`, `max without (...)`: an aggregation.
                let rest: String = chars[next..].iter().take(8).collect();
                let aggregation = ["by", "without"].iter().any(|g| {
                    rest.strip_prefix(g)
                        .is_some_and(|r| r.starts_with(|c: char| c == '(' || c.is_whitespace()))
                });
                if GROUPING.contains(&word.as_str()) {
                    if call {
                        i = next + 1;
                        skip_to(&mut i, ')');
                    }
                } else if !KEYWORDS.contains(&word.as_str()) && !call && !aggregation {
                    names.insert(word);
                }
            }
            _ => i += 1,
        }
    }
    names
}

#[test]
fn promql_metric_names_are_found_and_nothing_else() {
    let names = |e: &str| promql_metrics(e).into_iter().collect::<Vec<_>>();
    assert_eq!(
        names(r#"sum by (le, table) (increase(a_bucket{x="y}", t=~"$t"}[$__range])) > 0.5"#),
        ["a_bucket"]
    );
    assert_eq!(
        names("(b > 172800) * on(job, instance, table) group_left(role) c or vector(0)"),
        ["b", "c"]
    );
    assert_eq!(names("time() - d offset 5m and bool e"), ["d", "e"]);
    assert_eq!(names("1e3 * f"), ["f"]);
    assert_eq!(names("sum without (x) (g) / max by(y) (h)"), ["g", "h"]);
}

/// The names the pack uses must be in the scrape or planned; planned names
/// must be used and not exported yet.
fn check_names(used: &BTreeSet<String>, scrape: &Scrape, what: &str) {
    let exported = scrape.names();
    for name in used {
        assert!(
            exported.contains(name) || PLANNED.contains(&name.as_str()),
            "{what} uses {name}, which the real /metrics does not export (and it is not planned):\n{}",
            scrape.text
        );
    }
    for planned in PLANNED {
        assert!(
            !exported.contains(*planned),
            "{planned} is exported now: take it off PLANNED"
        );
    }
}

// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn every_metric_has_help_a_unit_in_its_name_and_an_age_beside_each_timestamp() {
    let Some(scenario) = Scenario::start().await else {
        return;
    };
    let scrape = scenario.scrape().await;
    let now = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;

    const UNITLESS: [&str; 7] = [
        "_records",
        "_keys",
        "_retained",
        "_pending",
        "_status",
        "_info",
        "_issues",
    ];
    for (name, family) in &scrape.families {
        assert!(!family.help.is_empty(), "{name} has no HELP");
        assert!(!family.kind.is_empty(), "{name} has no TYPE");
        if let Some(unit) = &family.unit {
            assert!(name.ends_with(&format!("_{unit}")), "{name} ({unit})");
        }
        let unit_named = ["_seconds", "_bytes", "_ratio"]
            .iter()
            .any(|u| name.ends_with(u));
        let count = family.kind == "counter" || UNITLESS.iter().any(|u| name.ends_with(u));
        assert!(unit_named || count, "{name}: no unit in its name");
        assert!(
            scrape
                .samples
                .iter()
                .any(|s| s.name.starts_with(name.as_str())),
            "{name} has no samples: its counters are not initialised"
        );
    }

    let timestamps: Vec<&String> = scrape
        .families
        .keys()
        .filter(|n| n.ends_with("_timestamp_seconds"))
        .collect();
    for name in [
        "tablesafe_table_last_backup_timestamp_seconds",
        "tablesafe_table_last_offsite_timestamp_seconds",
        "tablesafe_health_snapshot_timestamp_seconds",
    ] {
        assert!(timestamps.iter().any(|t| *t == name), "{timestamps:?}");
    }
    for name in timestamps {
        let age_name = name.replace("_timestamp_seconds", "_age_seconds");
        assert_eq!(
            scrape
                .families
                .get(&age_name)
                .and_then(|f| f.unit.as_deref()),
            Some("seconds"),
            "{age_name} beside {name}"
        );
        for sample in scrape.samples.iter().filter(|s| &s.name == name) {
            let labels: Vec<(&str, &str)> = sample
                .labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let age = scrape.value(&age_name, &labels);
            assert!(
                (now - sample.value - age).abs() < 30.0,
                "{name} {labels:?}: {} and age {age} at {now}",
                sample.value
            );
        }
    }
    let users_age = scrape.value(
        "tablesafe_table_last_backup_age_seconds",
        &[("table", "users")],
    );
    assert!(
        (3.0 * 86_400.0..3.0 * 86_400.0 + 300.0).contains(&users_age),
        "{users_age}"
    );
    // Offsite, per table and destination: users' newest copy there is its
    // three-day-old backup, settings' is fresh; nothing waits to go up.
    fn offsite(table: &str) -> [(&str, &str); 2] {
        [("table", table), ("destination", DESTINATION)]
    }
    let users_offsite_age = scrape.value(
        "tablesafe_table_last_offsite_age_seconds",
        &offsite("users"),
    );
    assert!(
        (3.0 * 86_400.0..3.0 * 86_400.0 + 300.0).contains(&users_offsite_age),
        "{users_offsite_age}"
    );
    let settings_offsite_age = scrape.value(
        "tablesafe_table_last_offsite_age_seconds",
        &offsite("settings"),
    );
    assert!(settings_offsite_age < 300.0, "{settings_offsite_age}");
    for table in ["users", "settings", "orders", "rotten", "broken", "ledger"] {
        assert_eq!(
            scrape.value("tablesafe_table_offsite_pending", &offsite(table)),
            0.0,
            "{table}"
        );
    }
    // A table with no backup has nothing offsite either.
    assert!(scrape
        .find(
            "tablesafe_table_last_offsite_timestamp_seconds",
            &offsite("broken")
        )
        .is_none());

    // Roles, issues and component issues, as health has them.
    for (table, role) in [
        ("users", "critical"),
        ("ledger", "critical"),
        ("settings", "listed"),
        ("stray", "orphaned"),
    ] {
        assert_eq!(
            scrape.value("tablesafe_table_info", &[("table", table), ("role", role)]),
            1.0
        );
    }
    for (table, code) in [
        ("users", "BACKUP_STALE"),
        ("broken", "TABLE_UNREADABLE"),
        ("broken", "LAST_BACKUP_FAILED"),
        ("rotten", "BACKUP_CORRUPT"),
        ("rotten", "NEVER_BACKED_UP"),
        ("ledger", "TABLE_MISSING"),
        ("users", "OFFSITE_LAGGING"),
    ] {
        assert_eq!(
            scrape.value(
                "tablesafe_table_issues",
                &[("table", table), ("code", code)]
            ),
            1.0,
            "{table} {code}"
        );
    }
    assert!(scrape
        .find("tablesafe_table_issues", &[("table", "settings")])
        .is_none());
    for (component, code) in [
        ("erlang_node", "ERLANG_NODE_UNREACHABLE"),
        ("storage", "DATA_DIR_UNREADABLE"),
        ("backup_volume", "BACKUP_DISK_LOW"),
    ] {
        assert_eq!(
            scrape.value(
                "tablesafe_component_issues",
                &[("component", component), ("code", code)]
            ),
            1.0
        );
    }
    // Counters exist from 0 for every table and outcome, so that the first
    // failure is an increase.
    assert_eq!(
        scrape.value(
            "tablesafe_table_backups_total",
            &[("table", "settings"), ("outcome", "failed")]
        ),
        0.0
    );
    assert_eq!(
        scrape.value(
            "tablesafe_table_backups_total",
            &[("table", "broken"), ("outcome", "failed")]
        ),
        1.0
    );
    assert_eq!(
        scrape.value("tablesafe_backup_runs_total", &[("outcome", "partial")]),
        1.0
    );
    assert_eq!(
        scrape.value("tablesafe_backup_run_duration_seconds_count", &[]),
        1.0
    );
    assert_eq!(
        scrape.value("tablesafe_restores_total", &[("outcome", "failed")]),
        0.0
    );

    // The volume's free space, as df has it (health states it to a tenth of
    // its unit).
    let free = scrape.value("tablesafe_backup_volume_free_bytes", &[]);
    let df = df_free_bytes(&scenario.dirs.backups);
    assert!(
        (free - df).abs() <= df * 0.05 + 64.0 * 1024.0 * 1024.0,
        "{free} against df's {df}"
    );
    scenario.server.stop().await;
}

fn df_free_bytes(dir: &Path) -> f64 {
    let out = Command::new("df")
        .args(["-B1", "--output=avail"])
        .arg(dir)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines().nth(1).unwrap().trim().parse().unwrap()
}

// ---------------------------------------------------------------------------
// promtool.

/// `alerts.yml` without the `description` and `runbook` annotations, for
/// promtool's unit tests: they compare every annotation, and the summary
/// (kept) exercises the templates. The labels and expressions are the file's.
fn rules_with_summaries_only(rules: &str) -> String {
    let mut out = String::new();
    let mut skipping: Option<usize> = None;
    for line in rules.lines() {
        let indent = line.len() - line.trim_start().len();
        if let Some(key) = skipping {
            if line.trim().is_empty() || indent > key {
                continue;
            }
            skipping = None;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with("description:") || trimmed.starts_with("runbook:") {
            skipping = Some(indent);
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn alert_names(rules: &str) -> BTreeSet<String> {
    rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .map(|n| n.trim().to_owned())
        .collect()
}

/// promtool unit tests, and which alerts they see fire and stay quiet.
#[derive(Default)]
struct Suite {
    tests: Vec<Value>,
    fired: BTreeSet<String>,
    quiet: BTreeSet<String>,
}

impl Suite {
    /// One test: `series` (each with promtool's value notation) sampled
    /// every `interval`, and at each `(time, alert, expected alerts)`
    /// exactly those alerts firing.
    fn test(
        &mut self,
        name: &str,
        interval: &str,
        series: &[(&Series, &str)],
        evals: Vec<(&str, &str, Vec<Value>)>,
    ) {
        let input: Vec<Value> = series
            .iter()
            .map(|(s, values)| json!({"series": s.selector(), "values": values}))
            .collect();
        let mut checks = Vec::new();
        for (at, alert, expected) in evals {
            if expected.is_empty() {
                self.quiet.insert(alert.to_owned());
            } else {
                self.fired.insert(alert.to_owned());
            }
            checks.push(json!({"eval_time": at, "alertname": alert, "exp_alerts": expected}));
        }
        self.tests.push(json!({
            "name": name,
            "interval": interval,
            "input_series": input,
            "alert_rule_test": checks,
        }));
    }
}

/// A unit test for every alert, each fed series shaped like the scrape's.
fn alert_tests(s: &Scrape) -> Suite {
    let mut suite = Suite::default();
    let info = |table: &str, role: &str| {
        s.series(
            "tablesafe_table_info",
            &[("table", "users"), ("role", "critical")],
        )
        .with("table", table)
        .with("role", role)
    };
    let issue = |table: &str, code: &str| {
        s.series(
            "tablesafe_table_issues",
            &[("table", "broken"), ("code", "TABLE_UNREADABLE")],
        )
        .with("table", table)
        .with("code", code)
    };
    let component_issue = |component: &str, code: &str| {
        s.series(
            "tablesafe_component_issues",
            &[("component", component), ("code", code)],
        )
    };
    let critical = [("role", "critical"), ("severity", "critical")];
    let listed_warning = [("role", "listed"), ("severity", "warning")];
    let listed_critical = [("role", "listed"), ("severity", "critical")];
    let orphaned_warning = [("role", "orphaned"), ("severity", "warning")];

    let up = Series::up();
    suite.test(
        "down for 5 minutes",
        "1m",
        &[(&up, "0x15")],
        vec![(
            "10m",
            "TablesafeDown",
            vec![up.alert(
                &[("severity", "critical")],
                &format!("tablesafe on {INSTANCE} cannot be scraped"),
            )],
        )],
    );
    suite.test(
        "up, then down for less than 5 minutes",
        "1m",
        &[(&up, "1x10 0x3")],
        vec![
            ("10m", "TablesafeDown", vec![]),
            ("13m", "TablesafeDown", vec![]),
        ],
    );

    let age = |table: &str| {
        s.series(
            "tablesafe_table_last_backup_age_seconds",
            &[("table", "users")],
        )
        .with("table", table)
    };
    let (users, orders, settings, stray) =
        (age("users"), age("orders"), age("settings"), age("stray"));
    suite.test(
        "stale after 48 hours, weighed by role",
        "1m",
        &[
            (&users, "259200+60x40"),
            (&info("users", "critical"), "1x40"),
            // Past 48 h after 14 minutes: firing 15 minutes later.
            (&orders, "172000+60x40"),
            (&info("orders", "listed"), "1x40"),
            (&settings, "3600+60x40"),
            (&info("settings", "listed"), "1x40"),
            (&stray, "259200+60x40"),
            (&info("stray", "orphaned"), "1x40"),
        ],
        vec![
            (
                "20m",
                "TablesafeBackupStale",
                vec![
                    users.alert(
                        &critical,
                        "The last good backup of users is 3d 0h 20m 0s old",
                    ),
                    stray.alert(
                        &orphaned_warning,
                        "The last good backup of stray is 3d 0h 20m 0s old",
                    ),
                ],
            ),
            (
                "30m",
                "TablesafeBackupStale",
                vec![
                    users.alert(
                        &critical,
                        "The last good backup of users is 3d 0h 30m 0s old",
                    ),
                    orders.alert(
                        &listed_warning,
                        "The last good backup of orders is 2d 0h 16m 40s old",
                    ),
                    stray.alert(
                        &orphaned_warning,
                        "The last good backup of stray is 3d 0h 30m 0s old",
                    ),
                ],
            ),
        ],
    );
    suite.test(
        "fresh backups are not stale",
        "1m",
        &[
            (&settings, "3600+60x40"),
            (&info("settings", "listed"), "1x40"),
        ],
        vec![("30m", "TablesafeBackupStale", vec![])],
    );

    let (ledger_nb, rotten_nb, broken_nb) = (
        issue("ledger", "NEVER_BACKED_UP"),
        issue("rotten", "NEVER_BACKED_UP"),
        issue("broken", "NEVER_BACKED_UP"),
    );
    suite.test(
        "never backed up for an hour",
        "1m",
        &[
            (&ledger_nb, "1x90"),
            (&info("ledger", "critical"), "1x90"),
            (&rotten_nb, "1x90"),
            (&info("rotten", "listed"), "1x90"),
            // Backed up after 30 minutes: the issue goes from the scrape.
            (&broken_nb, "1x30 stale"),
            (&info("broken", "listed"), "1x90"),
            (&info("settings", "listed"), "1x90"),
        ],
        vec![
            ("30m", "TablesafeNeverBackedUp", vec![]),
            (
                "70m",
                "TablesafeNeverBackedUp",
                vec![
                    ledger_nb.alert(&critical, "Table ledger has no backup at all"),
                    rotten_nb.alert(&listed_warning, "Table rotten has no backup at all"),
                ],
            ),
        ],
    );

    let failed = |table: &str| {
        s.series(
            "tablesafe_table_backups_total",
            &[("table", "broken"), ("outcome", "failed")],
        )
        .with("table", table)
    };
    let succeeded = s.series(
        "tablesafe_table_backups_total",
        &[("table", "users"), ("outcome", "succeeded")],
    );
    let (broken_failed, users_failed, settings_failed) =
        (failed("broken"), failed("users"), failed("settings"));
    suite.test(
        "a failed attempt within the hour",
        "1m",
        &[
            (&broken_failed, "0x3 1x100"),
            (&info("broken", "listed"), "1x100"),
            (&users_failed, "0x5 2x100"),
            (&succeeded, "0+1x100"),
            (&info("users", "critical"), "1x100"),
            (&settings_failed, "0x100"),
            (&info("settings", "listed"), "1x100"),
        ],
        vec![
            (
                "10m",
                "TablesafeBackupFailed",
                vec![
                    broken_failed.alert(&listed_warning, "Backing up broken failed"),
                    users_failed.alert(&critical, "Backing up users failed"),
                ],
            ),
            // An hour without another failure: quiet again.
            ("70m", "TablesafeBackupFailed", vec![]),
        ],
    );

    let (broken_unreadable, stray_unreadable) = (
        issue("broken", "TABLE_UNREADABLE"),
        issue("stray", "TABLE_UNREADABLE"),
    );
    suite.test(
        "unreadable for 5 minutes",
        "1m",
        &[
            (&broken_unreadable, "1x20"),
            (&info("broken", "listed"), "1x20"),
            (&stray_unreadable, "1x20"),
            (&info("stray", "orphaned"), "1x20"),
            (&info("settings", "listed"), "1x20"),
        ],
        vec![
            ("3m", "TablesafeTableUnreadable", vec![]),
            (
                "10m",
                "TablesafeTableUnreadable",
                vec![
                    broken_unreadable.alert(&listed_critical, "Table file broken cannot be read"),
                    stray_unreadable.alert(&orphaned_warning, "Table file stray cannot be read"),
                ],
            ),
        ],
    );

    let missing = issue("ledger", "TABLE_MISSING");
    suite.test(
        "a listed table without its file",
        "1m",
        &[
            (&missing, "1x20"),
            (&info("ledger", "critical"), "1x20"),
            (&info("settings", "listed"), "1x20"),
        ],
        vec![
            ("3m", "TablesafeTableMissing", vec![]),
            (
                "10m",
                "TablesafeTableMissing",
                vec![missing.alert(&critical, "Listed table ledger has no file")],
            ),
        ],
    );

    let corrupt = issue("rotten", "BACKUP_CORRUPT");
    suite.test(
        "the scrub finds two corrupt copies",
        "1m",
        &[
            (&corrupt, "_x5 2x10"),
            (&info("rotten", "listed"), "1x15"),
            (&info("settings", "listed"), "1x15"),
        ],
        vec![
            ("3m", "TablesafeBackupCorrupt", vec![]),
            (
                "7m",
                "TablesafeBackupCorrupt",
                vec![corrupt.alert(
                    &listed_warning,
                    "2 backup(s) of rotten no longer match their manifest",
                )],
            ),
        ],
    );

    let drill_failed = s.series(
        "tablesafe_drills_total",
        &[("outcome", "failed"), ("level", "erlang")],
    );
    let drill_passed = s.series(
        "tablesafe_drills_total",
        &[("outcome", "passed"), ("level", "reader")],
    );
    suite.test(
        "a failed restore drill",
        "1m",
        &[(&drill_failed, "0x3 1x100"), (&drill_passed, "0+1x100")],
        vec![
            (
                "10m",
                "TablesafeRestoreDrillFailed",
                vec![drill_failed.alert(
                    &[("severity", "critical")],
                    &format!("A restore drill failed on {INSTANCE}"),
                )],
            ),
            ("70m", "TablesafeRestoreDrillFailed", vec![]),
        ],
    );

    let drilled = |table: &str| {
        s.series(
            "tablesafe_table_last_drill_timestamp_seconds",
            &[("table", "settings")],
        )
        .with("table", table)
    };
    let (users_drill, settings_drill) = (drilled("users"), drilled("settings"));
    suite.test(
        "no restore drill for 8 days",
        "1m",
        &[
            // Drilled 8 days before the test's clock starts (Unix time 0),
            // then never again: past 8 days at once, firing an hour later.
            (&users_drill, "-691200x100"),
            // Drilled 7 days before: past 8 days only after a day.
            (&settings_drill, "-604800x100"),
        ],
        vec![
            ("30m", "TablesafeRestoreDrillStale", vec![]),
            (
                "70m",
                "TablesafeRestoreDrillStale",
                vec![users_drill.alert(
                    &[("severity", "warning")],
                    "No restore drill of users for 8d 1h 10m 0s",
                )],
            ),
        ],
    );

    let ratio = |table: &str| {
        s.series(
            "tablesafe_table_fragmentation_ratio",
            &[("table", "orders")],
        )
        .with("table", table)
    };
    let (fragmented, orders_ratio) = (ratio("users"), ratio("orders"));
    suite.test(
        "more than half free space for an hour",
        "1m",
        &[(&fragmented, "0.7x100"), (&orders_ratio, "0.404x100")],
        vec![
            ("30m", "TablesafeFragmentationHigh", vec![]),
            (
                "70m",
                "TablesafeFragmentationHigh",
                vec![fragmented.alert(
                    &[("severity", "warning")],
                    "70% of users's file is free space",
                )],
            ),
        ],
    );

    let size = |table: &str| {
        s.series("tablesafe_table_file_size_bytes", &[("table", "users")])
            .with("table", table)
    };
    let (big, at_limit, small) = (size("users"), size("orders"), size("settings"));
    suite.test(
        "a file over 75% of 2 GiB",
        "1m",
        &[
            (&big, "1700000000x30"),
            // Exactly 75% is not over it.
            (&at_limit, "1610612736x30"),
            (&small, "54857x30"),
        ],
        vec![
            ("10m", "TablesafeTableFileNearDetsLimit", vec![]),
            (
                "20m",
                "TablesafeTableFileNearDetsLimit",
                vec![big.alert(
                    &[("severity", "warning")],
                    "Table file users is 1.583GiB, near DETS's 2 GiB limit",
                )],
            ),
        ],
    );

    let volume = s.series("tablesafe_health_status", &[("component", "backup_volume")]);
    let (low, full, fine) = (
        volume.clone().with("instance", "low:50051"),
        volume.clone().with("instance", "full:50051"),
        volume.clone().with("instance", "fine:50051"),
    );
    suite.test(
        "a warning and a critical backup volume",
        "1m",
        &[(&low, "1x30"), (&full, "2x30"), (&fine, "0x30")],
        vec![
            (
                "10m",
                "TablesafeBackupVolumeLow",
                vec![full.alert(
                    &[("severity", "critical")],
                    "The next backup run on full:50051 does not fit on the backup volume",
                )],
            ),
            (
                "20m",
                "TablesafeBackupVolumeLow",
                vec![
                    low.alert(
                        &[("severity", "warning")],
                        "The backup volume on low:50051 is low on space",
                    ),
                    full.alert(
                        &[("severity", "critical")],
                        "The next backup run on full:50051 does not fit on the backup volume",
                    ),
                ],
            ),
        ],
    );
    suite.test(
        "a healthy backup volume",
        "1m",
        &[(&fine, "0x30")],
        vec![("20m", "TablesafeBackupVolumeLow", vec![])],
    );

    let node = component_issue("erlang_node", "ERLANG_NODE_UNREACHABLE");
    suite.test(
        "the Erlang node unreachable for 5 minutes",
        "1m",
        &[(&node, "_x2 1x20")],
        vec![
            ("6m", "TablesafeErlangNodeUnreachable", vec![]),
            (
                "10m",
                "TablesafeErlangNodeUnreachable",
                vec![node.alert(
                    &[("severity", "warning")],
                    &format!("tablesafe on {INSTANCE} cannot reach the Erlang node"),
                )],
            ),
        ],
    );

    let dir = component_issue("storage", "DATA_DIR_UNREADABLE");
    let disk_low = component_issue("backup_volume", "BACKUP_DISK_LOW");
    suite.test(
        "a data directory that cannot be listed",
        "1m",
        &[(&dir, "_x2 1x20"), (&disk_low, "1x22")],
        vec![
            ("6m", "TablesafeDataDirUnreadable", vec![]),
            (
                "10m",
                "TablesafeDataDirUnreadable",
                vec![dir.alert(
                    &[("severity", "critical")],
                    &format!("A data directory on {INSTANCE} cannot be listed"),
                )],
            ),
        ],
    );

    let snapshot = s.series("tablesafe_health_snapshot_age_seconds", &[]);
    let (stuck, refreshing) = (
        snapshot.clone().with("instance", "stuck:50051"),
        snapshot.clone().with("instance", "fresh:50051"),
    );
    suite.test(
        "a health snapshot that stops being refreshed",
        "1m",
        &[
            // Past 10 minutes after 11: firing 5 minutes later.
            (&stuck, "0+60x30"),
            (
                &refreshing,
                "30 45 5 20 35 50 10 25 40 55 15 30 45 5 20 35 50 10 25 40 55",
            ),
        ],
        vec![
            ("14m", "TablesafeHealthSnapshotStale", vec![]),
            (
                "20m",
                "TablesafeHealthSnapshotStale",
                vec![stuck.alert(
                    &[("severity", "warning")],
                    "tablesafe's health on stuck:50051 is 20m 0s old",
                )],
            ),
        ],
    );

    let offsite_age = |table: &str, destination: &str| {
        s.series(
            "tablesafe_table_last_offsite_age_seconds",
            &[("table", "users"), ("destination", DESTINATION)],
        )
        .with("table", table)
        .with("destination", destination)
    };
    let (users_garage, users_cold, orders_garage, settings_garage) = (
        offsite_age("users", DESTINATION),
        offsite_age("users", "cold"),
        offsite_age("orders", DESTINATION),
        offsite_age("settings", DESTINATION),
    );
    let listed_offsite = [("role", "listed"), ("severity", "warning")];
    let critical_offsite = [("role", "critical"), ("severity", "warning")];
    suite.test(
        "the newest offsite copy older than 48 hours, per destination",
        "1m",
        &[
            // Two destinations of one table: only the one lagging fires.
            (&users_garage, "259200+60x40"),
            (&users_cold, "3600+60x40"),
            (&info("users", "critical"), "1x40"),
            // Past 48 h after 14 minutes: firing 15 minutes later.
            (&orders_garage, "172000+60x40"),
            (&info("orders", "listed"), "1x40"),
            (&settings_garage, "3600+60x40"),
            (&info("settings", "listed"), "1x40"),
        ],
        vec![
            ("10m", "TablesafeOffsiteLagging", vec![]),
            (
                "20m",
                "TablesafeOffsiteLagging",
                vec![users_garage.alert(
                    &critical_offsite,
                    "The newest copy of users at garage is 3d 0h 20m 0s old",
                )],
            ),
            (
                "30m",
                "TablesafeOffsiteLagging",
                vec![
                    users_garage.alert(
                        &critical_offsite,
                        "The newest copy of users at garage is 3d 0h 30m 0s old",
                    ),
                    orders_garage.alert(
                        &listed_offsite,
                        "The newest copy of orders at garage is 2d 0h 16m 40s old",
                    ),
                ],
            ),
        ],
    );
    suite.test(
        "fresh offsite copies are not lagging",
        "1m",
        &[
            (&users_cold, "3600+60x40"),
            (&info("users", "critical"), "1x40"),
            (&settings_garage, "3600+60x40"),
            (&info("settings", "listed"), "1x40"),
        ],
        vec![("30m", "TablesafeOffsiteLagging", vec![])],
    );
    suite
}

fn run(tool: &Path, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{} {args:?}:\n{text}", tool.display());
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn alert_rules_pass_promtool_and_unit_tests_fed_with_series_from_a_real_scrape() {
    let Some(promtool) = testkit::require("promtool") else {
        return;
    };
    let rules_file = monitoring("alerts.yml");
    let rules = std::fs::read_to_string(&rules_file).unwrap();
    let checked = run(&promtool, &["check", "rules", rules_file.to_str().unwrap()]);
    assert!(checked.contains("SUCCESS"), "{checked}");
    let linted = run(
        &promtool,
        &[
            "check",
            "rules",
            "--lint=all",
            "--lint-fatal",
            rules_file.to_str().unwrap(),
        ],
    );
    assert!(linted.contains("SUCCESS"), "{linted}");

    let Some(scenario) = Scenario::start().await else {
        return;
    };
    let scrape = scenario.scrape().await;
    scenario.server.stop().await;
    check_names(&tablesafe_names(&rules), &scrape, "alerts.yml");

    let suite = alert_tests(&scrape);
    let alerts = alert_names(&rules);
    assert!(alerts.len() >= 16, "{alerts:?}");
    assert_eq!(suite.fired, alerts, "a test where each alert fires");
    assert_eq!(suite.quiet, alerts, "a test where each alert stays quiet");

    let dir = tempfile::tempdir().unwrap();
    let derived = dir.path().join("alerts-summaries-only.yml");
    std::fs::write(&derived, rules_with_summaries_only(&rules)).unwrap();
    assert_eq!(
        alert_names(&std::fs::read_to_string(&derived).unwrap()),
        alerts
    );
    // JSON is YAML: promtool reads the test file as it is.
    let tests = dir.path().join("alerts-test.yml");
    std::fs::write(
        &tests,
        serde_json::to_string_pretty(&json!({
            "rule_files": [derived],
            "evaluation_interval": "1m",
            "tests": suite.tests,
        }))
        .unwrap(),
    )
    .unwrap();
    let tested = run(&promtool, &["test", "rules", tests.to_str().unwrap()]);
    assert!(tested.contains("SUCCESS"), "{tested}");
}

// ---------------------------------------------------------------------------
// A real Prometheus.

/// A `prometheus` process of this test's own, killed when dropped.
struct Prometheus {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Prometheus {
    fn start(binary: &Path, dir: &Path, config: &str) -> Self {
        let config_file = dir.join("prometheus.yml");
        std::fs::write(&config_file, config).unwrap();
        // A free port: bound here, released, then given to Prometheus.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let log = dir.join("prometheus.log");
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config_file.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("tsdb").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Self { child, addr, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// GET `path` on Prometheus's HTTP API: (status, body). HTTP/1.0, so
    /// the body is never chunked.
    async fn get(&self, path: &str) -> Option<(u16, String)> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.ok()?;
        let request = format!("GET {path} HTTP/1.0\r\nHost: {}\r\n\r\n", self.addr);
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.ok()?;
        let response = String::from_utf8(response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n")?;
        let status = head.split_whitespace().nth(1)?.parse().ok()?;
        Some((status, body.to_owned()))
    }

    /// An API call that succeeded: its `data`.
    async fn api(&self, path: &str) -> Value {
        let (status, body) = self
            .get(path)
            .await
            .unwrap_or_else(|| panic!("no answer to {path}:\n{}", self.log()));
        let answer: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (status, answer["status"].as_str()),
            (200, Some("success")),
            "{path}: {body}"
        );
        answer["data"].clone()
    }

    async fn query(&self, expr: &str) -> Value {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("query", expr)
            .finish();
        self.api(&format!("/api/v1/query?{query}")).await
    }

    /// Waits, up to `limit`, until `done` holds for the `data` of `path`; its last answer.
    async fn until(&self, path: &str, limit: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            if let Some((200, body)) = self.get(path).await {
                let data = serde_json::from_str::<Value>(&body).unwrap()["data"].clone();
                if done(&data) {
                    return data;
                }
                assert!(
                    Instant::now() < deadline,
                    "{path} never got there; last answer: {data:#}\nPrometheus' log:\n{}",
                    self.log()
                );
            } else {
                assert!(Instant::now() < deadline, "{path}:\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The rule file with every `for:` at 0s, so the test need not wait for them.
fn rules_firing_at_once(rules: &str) -> String {
    rules
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("for: ") {
                format!("{}for: 0s\n", &l[..l.len() - l.trim_start().len()])
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

/// The rules in an `/api/v1/rules` answer.
fn rules_of(data: &Value) -> Vec<&Value> {
    data["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["rules"].as_array().unwrap())
        .collect()
}

/// When Prometheus last evaluated `rule`.
fn evaluated_at(rule: &Value) -> Option<chrono::DateTime<chrono::Utc>> {
    let at = chrono::DateTime::parse_from_rfc3339(rule["lastEvaluation"].as_str()?).ok()?;
    Some(at.with_timezone(&chrono::Utc)).filter(|at| at.timestamp() > 0)
}

/// Firing alerts as (alertname, the table or component concerned, severity).
fn firing(alerts: &Value) -> BTreeSet<(String, String, String)> {
    alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["state"] == "firing")
        .map(|a| {
            let l = &a["labels"];
            let about = l["table"]
                .as_str()
                .or(l["component"].as_str())
                .unwrap_or("");
            (
                l["alertname"].as_str().unwrap().to_owned(),
                about.to_owned(),
                l["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_prometheus_scrapes_with_the_read_token_and_fires_exactly_the_alerts_due() {
    let Some(prometheus) = testkit::require("prometheus") else {
        return;
    };
    let Some(scenario) = Scenario::start().await else {
        return;
    };
    let addr = scenario.server.addr;
    let dir = tempfile::tempdir().unwrap();
    let rules = std::fs::read_to_string(monitoring("alerts.yml")).unwrap();
    let rule_file = dir.path().join("alerts.yml");
    std::fs::write(&rule_file, rules_firing_at_once(&rules)).unwrap();
    let config = format!(
        r#"global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [{rule_file:?}]
scrape_configs:
  - job_name: tablesafe
    authorization:
      credentials: {READER:?}
    static_configs:
      - targets: ["{addr}"]
  - job_name: tablesafe-without-token
    static_configs:
      - targets: ["{addr}"]
"#
    );
    let prom = Prometheus::start(&prometheus, dir.path(), &config);
    let limit = Duration::from_secs(90);
    prom.until("/api/v1/query?query=up", limit, |d| {
        d["result"].as_array().is_some_and(|r| r.len() == 2)
    })
    .await;
    let up: BTreeMap<String, String> = prom.query("up").await["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["metric"]["job"].as_str().unwrap().to_owned(),
                r["value"][1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        up,
        [("tablesafe", "1"), ("tablesafe-without-token", "0")]
            .map(|(j, v)| (j.to_owned(), v.to_owned()))
            .into(),
        "the read token is needed, and enough"
    );

    // The stale alert, from what Prometheus scraped: users' newest backup is
    // three days old, and users is critical.
    let alerts = prom
        .until("/api/v1/alerts", limit, |d| {
            firing(d)
                .iter()
                .any(|(a, t, _)| a == "TablesafeBackupStale" && t == "users")
        })
        .await;
    let stale = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["labels"]["alertname"] == "TablesafeBackupStale")
        .unwrap();
    assert_eq!(stale["labels"]["severity"], "critical", "{stale:#}");
    assert_eq!(stale["labels"]["role"], "critical", "{stale:#}");
    assert_eq!(stale["labels"]["instance"], addr.to_string());
    let summary = stale["annotations"]["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("The last good backup of users is 3d 0h "),
        "{summary}"
    );
    let runbook = stale["annotations"]["runbook"].as_str().unwrap();
    assert!(
        runbook.contains("tablesafe backup --table users"),
        "{runbook}"
    );

    // A failure while Prometheus watches is an increase it sees.
    let client = scenario.server.client(Some(ADMIN)).await;
    common::backed_up(&client, vec!["broken".into()], "again").await;

    let expected: BTreeSet<(String, String, String)> = [
        ("TablesafeBackupStale", "users", "critical"),
        ("TablesafeBackupFailed", "broken", "warning"),
        ("TablesafeTableUnreadable", "broken", "critical"),
        ("TablesafeNeverBackedUp", "broken", "warning"),
        ("TablesafeNeverBackedUp", "rotten", "warning"),
        ("TablesafeNeverBackedUp", "ledger", "critical"),
        ("TablesafeBackupCorrupt", "rotten", "warning"),
        ("TablesafeTableMissing", "ledger", "critical"),
        ("TablesafeErlangNodeUnreachable", "erlang_node", "warning"),
        ("TablesafeDataDirUnreadable", "storage", "critical"),
        ("TablesafeBackupVolumeLow", "backup_volume", "warning"),
        ("TablesafeOffsiteLagging", "users", "warning"),
    ]
    .iter()
    .map(|(a, t, s)| ((*a).to_owned(), (*t).to_owned(), (*s).to_owned()))
    .collect();
    let alerts = prom
        .until("/api/v1/alerts", limit, |d| firing(d) == expected)
        .await;
    // And it holds: once every rule was evaluated again, nothing else fires.
    let since = chrono::Utc::now() + chrono::Duration::seconds(1);
    let groups = prom
        .until("/api/v1/rules", limit, |d| {
            rules_of(d)
                .iter()
                .all(|r| evaluated_at(r).is_some_and(|at| at > since))
        })
        .await;
    assert_eq!(
        firing(&prom.api("/api/v1/alerts").await),
        expected,
        "{alerts:#}"
    );

    // Every rule evaluated over the real data without an error.
    let rules_loaded = rules_of(&groups);
    let in_file = rules
        .lines()
        .filter(|l| l.trim_start().starts_with("- alert: "))
        .count();
    assert_eq!(rules_loaded.len(), in_file);
    for rule in &rules_loaded {
        assert_eq!(rule["health"], "ok", "{rule:#}");
    }
    // The expressions as Prometheus parsed them select only exported (or
    // planned) metrics, and `up`.
    let scrape = scenario.scrape().await;
    let used: BTreeSet<String> = rules_loaded
        .iter()
        .flat_map(|r| promql_metrics(r["query"].as_str().unwrap()))
        .filter(|n| n != "up")
        .collect();
    check_names(&used, &scrape, "a rule");

    // Every dashboard query runs on this Prometheus, over this data.
    for expr in dashboard_queries(&dashboard()) {
        let concrete = expr
            .replace("$__rate_interval", "1m")
            .replace("$__interval", "1m")
            .replace("$__range", "1h")
            .replace("$instance", ".*")
            .replace("$table", ".*");
        assert!(!concrete.contains('$'), "{expr}");
        prom.query(&concrete).await;
    }
    drop(prom);
    scenario.server.stop().await;
}

// ---------------------------------------------------------------------------
// The dashboard.

fn dashboard() -> Value {
    let text = std::fs::read_to_string(monitoring("dashboard.json")).unwrap();
    serde_json::from_str(&text).expect("dashboard.json is valid JSON")
}

/// The panels, those inside collapsed rows included.
fn panels(dashboard: &Value) -> Vec<&Value> {
    let mut all = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        all.push(panel);
        if let Some(inner) = panel["panels"].as_array() {
            all.extend(inner);
        }
    }
    all
}

/// Every PromQL expression in the panels.
fn dashboard_queries(dashboard: &Value) -> Vec<String> {
    panels(dashboard)
        .iter()
        .flat_map(|p| p["targets"].as_array().into_iter().flatten())
        .map(|t| t["expr"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_is_valid_and_queries_only_metrics_the_real_server_exports() {
    let dashboard = dashboard();
    assert_eq!(dashboard["uid"], "tablesafe");
    let variables = dashboard["templating"]["list"].as_array().unwrap();
    let datasource = variables
        .iter()
        .find(|v| v["type"] == "datasource")
        .expect("a datasource variable");
    assert_eq!(datasource["query"], "prometheus");
    let name = datasource["name"].as_str().unwrap();
    let uid = format!("${{{name}}}");

    let mut ids = BTreeSet::new();
    let mut titles = BTreeSet::new();
    for panel in panels(&dashboard) {
        assert!(ids.insert(panel["id"].as_u64().unwrap()), "{panel:#}");
        titles.insert(panel["title"].as_str().unwrap().to_owned());
        for key in ["x", "y", "w", "h"] {
            assert!(panel["gridPos"][key].is_u64(), "{panel:#}");
        }
        if panel["type"] == "row" {
            continue;
        }
        assert_eq!(panel["datasource"]["uid"], uid.as_str(), "{panel:#}");
        let targets = panel["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "{panel:#}");
        for target in targets {
            assert_eq!(target["datasource"]["uid"], uid.as_str(), "{target:#}");
            assert!(!target["expr"].as_str().unwrap().trim().is_empty());
        }
    }
    for wanted in [
        "Overall status",
        "Last backup age",
        "Records",
        "File size",
        "Fragmentation",
        "Runs by outcome",
        "Run duration",
        "Drills by outcome",
        "Backup volume free space",
    ] {
        assert!(titles.contains(wanted), "no panel {wanted:?}: {titles:?}");
    }

    let scrape = {
        let Some(scenario) = Scenario::start().await else {
            return;
        };
        let scrape = scenario.scrape().await;
        scenario.server.stop().await;
        scrape
    };
    let mut used = BTreeSet::new();
    for expr in dashboard_queries(&dashboard) {
        let names = promql_metrics(&expr);
        assert!(!names.is_empty(), "{expr}");
        for name in &names {
            assert!(name.starts_with("tablesafe_"), "{expr}: {name}");
        }
        used.extend(names);
    }
    for variable in variables.iter().filter(|v| v["type"] == "query") {
        assert_eq!(variable["datasource"]["uid"], uid.as_str(), "{variable:#}");
        let query = variable["query"]["query"].as_str().unwrap();
        let inner = query
            .strip_prefix("label_values(")
            .and_then(|q| q.strip_suffix(')'))
            .unwrap_or_else(|| panic!("{query}"));
        let (selector, label) = inner.rsplit_once(',').unwrap();
        let names = promql_metrics(selector);
        assert_eq!(names.len(), 1, "{query}");
        let metric = names.iter().next().unwrap();
        let label = label.trim();
        assert!(
            label == "instance"
                || scrape
                    .samples
                    .iter()
                    .any(|s| &s.name == metric && s.labels.contains_key(label)),
            "{query}: {metric} has no label {label}"
        );
        used.extend(names);
    }
    // The whole file, not only the expressions, names only real (or planned) metrics.
    let text = std::fs::read_to_string(monitoring("dashboard.json")).unwrap();
    assert_eq!(tablesafe_names(&text), used);
    check_names(&used, &scrape, "dashboard.json");

    // Each planned name is used somewhere in the pack.
    let rules = std::fs::read_to_string(monitoring("alerts.yml")).unwrap();
    let pack: BTreeSet<String> = tablesafe_names(&rules).into_iter().chain(used).collect();
    for planned in PLANNED {
        assert!(pack.contains(*planned), "{planned} is planned but unused");
    }
}
