//! WATCHERS concurrent WatchEvents streams on one server process, one run of
//! 100 events (run started, 98 tables, run finished): prints the delivery
//! count, p50/p99 delivery latency and the server's memory per watcher.
//!
//! usage: cargo run --release --example bench_watchers [WATCHERS]
//! (runs `target/release/tablesafe`, so build it first: scripts/bench-watchers.sh)

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tablesafe_client::proto::{event::Payload, WatchEventsRequest};
use tablesafe_client::Client;
use tokio::sync::Mutex;

const TOKEN: &str = "bench";
const TABLES: usize = 98;

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .ok_or_else(|| anyhow::anyhow!("no VmRSS"))?;
    Ok(line.split_whitespace().nth(1).unwrap_or("0").parse()?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let watchers: usize = std::env::args().nth(1).map_or(Ok(1000), |a| a.parse())?;
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data)?;
    let sample = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/dets/set_10.dets"
    ))?;
    for i in 0..TABLES {
        std::fs::write(data.join(format!("t{i:03}.dets")), &sample)?;
    }
    let binary = concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/tablesafe");
    let mut server = Command::new(binary)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--schedule",
            "off",
            "--data-dir",
        ])
        .arg(&data)
        .arg("--backup-dir")
        .arg(dir.path().join("backups"))
        .env("TABLESAFE_ADMIN_TOKEN", TOKEN)
        .env("RUST_LOG", "warn,tablesafe::server=info")
        .stderr(Stdio::piped())
        .spawn()?;
    let mut lines = BufReader::new(
        server
            .stderr
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stderr"))?,
    )
    .lines();
    let addr = loop {
        let line = lines
            .next()
            .ok_or_else(|| anyhow::anyhow!("server exited"))??;
        if let Some(rest) = line.split("tablesafe listening addr=").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    let url = format!("http://{addr}");
    let admin = Client::connect(&url, Some(TOKEN)).await?;
    // A first run settles health, so the measured run publishes run events only.
    admin.trigger_backup(vec![], "warm-up").await?;
    admin.get_health(true).await?;
    let rss_before = rss_kib(server.id())?;

    let mut channels = Vec::new();
    for _ in 0..watchers.div_ceil(50) {
        channels.push(
            tonic::transport::Endpoint::from_shared(url.clone())?
                .connect()
                .await?,
        );
    }
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(watchers * 100)));
    let (connected_tx, mut connected_rx) = tokio::sync::mpsc::channel::<()>(watchers);
    let mut tasks = Vec::new();
    for i in 0..watchers {
        let client = Client::with_channel(channels[i % channels.len()].clone(), None)?;
        let (latencies, connected_tx) = (latencies.clone(), connected_tx.clone());
        tasks.push(tokio::spawn(async move {
            // An unknown epoch is answered at once with ResyncRequired: the
            // watcher knows it is connected, then streams live.
            let request = WatchEventsRequest {
                epoch: "bench".into(),
                ..Default::default()
            };
            let mut stream = client.watch_events(request).await.expect("stream opens");
            let mut mine = Vec::with_capacity(100);
            while let Some(event) = stream.message().await.expect("stream") {
                let received = SystemTime::now();
                match &event.payload {
                    Some(Payload::ResyncRequired(_)) => {
                        connected_tx.send(()).await.expect("report")
                    }
                    Some(Payload::Heartbeat(_)) | Some(Payload::HealthChanged(_)) => {}
                    Some(payload) => {
                        let at: chrono::DateTime<chrono::Utc> =
                            event.at.expect("at").try_into().expect("time");
                        let sent: SystemTime = at.into();
                        mine.push(received.duration_since(sent).unwrap_or_default());
                        if matches!(payload, Payload::RunFinished(_)) {
                            break;
                        }
                    }
                    None => {}
                }
            }
            latencies.lock().await.extend(mine);
        }));
    }
    for _ in 0..watchers {
        connected_rx.recv().await;
    }
    let rss_watching = rss_kib(server.id())?;
    admin.trigger_backup(vec![], "measured").await?;
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(60), task).await??;
    }
    let mut all = latencies.lock().await.clone();
    all.sort();
    let pick = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    let per_watcher = (rss_watching.saturating_sub(rss_before)) as f64 / watchers as f64;
    println!("{watchers} watchers, one run of {} events", TABLES + 2);
    println!(
        "delivered        {} of {}",
        all.len(),
        watchers * (TABLES + 2)
    );
    println!("latency p50      {:.2} ms", pick(0.50).as_secs_f64() * 1e3);
    println!(
        "latency p99      {:.2} ms   (goal < 50 ms)",
        pick(0.99).as_secs_f64() * 1e3
    );
    println!(
        "server memory    {:.1} KiB per watcher   (goal < 64 KiB; RSS {} -> {} KiB)",
        per_watcher, rss_before, rss_watching
    );
    server.kill()?;
    server.wait()?;
    Ok(())
}
