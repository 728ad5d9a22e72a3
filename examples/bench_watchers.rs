//! WATCHERS concurrent WatchEvents streams on one server process, one run of
//! 100 events (run started, 98 tables, run finished): prints the delivery
//! count, p50/p99 delivery latency and the server's memory per watcher.
//!
//! usage: cargo run --release --example bench_watchers [WATCHERS]
//! (runs `target/release/tablesafe`, so build it first: scripts/bench-watchers.sh)

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tablesafe_client::proto::{event::Payload, WatchEventsRequest};
use tablesafe_client::Client;
use tokio::sync::Mutex;

mod support;
use support::{Server, TOKEN};

const TABLES: usize = 98;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let watchers: usize = std::env::args().nth(1).map_or(Ok(1000), |a| a.parse())?;
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    support::lay_out_tables(&data, "set_10.dets", TABLES, "t")?;
    let server = Server::start(&data, &dir.path().join("backups"))?;
    let url = server.url.clone();
    let admin = Client::connect(&url, Some(TOKEN)).await?;
    // A first run settles health, so the measured run publishes run events only.
    admin.trigger_backup(vec![], "warm-up").await?;
    admin.get_health(true).await?;
    let rss_before = server.rss_kib()?;

    let channels = support::connect_channels(&url, watchers.div_ceil(50)).await?;
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
    let rss_watching = server.rss_kib()?;
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
    drop(server);
    Ok(())
}
