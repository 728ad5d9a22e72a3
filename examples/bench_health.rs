//! GetHealth against grpc.health.v1/Check on the same server, side by side.
//!
//! Lays out TABLES tables (copies of a real Erlang-written file), backs them
//! all up once, then runs CLIENTS concurrent callers for SECONDS against each
//! RPC and prints requests per second and p50/p99 latency.
//!
//! usage: cargo run --release --example bench_health [TABLES] [CLIENTS] [SECONDS]

use std::sync::Arc;
use std::time::{Duration, Instant};

use tablesafe::config::{BackupSection, FileConfig, Overrides, ADMIN_TOKEN_ENV};
use tablesafe_client::Client;
use tokio::net::TcpListener;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

const TOKEN: &str = "bench";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>());
    let tables = args.next().transpose()?.unwrap_or(1000);
    let clients = args.next().transpose()?.unwrap_or(32) as usize;
    let seconds = args.next().transpose()?.unwrap_or(5);

    let dir = tempfile::tempdir()?;
    let (data, backups) = (dir.path().join("data"), dir.path().join("backups"));
    std::fs::create_dir_all(&data)?;
    let sample = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/dets/set_grown.dets"
    ))?;
    for i in 0..tables {
        std::fs::write(data.join(format!("table_{i:04}.dets")), &sample)?;
    }
    let file = FileConfig {
        data_dirs: vec![data],
        backup_dir: Some(backups),
        backup: BackupSection {
            schedule: Some("off".into()),
            concurrency: Some(2),
            ..Default::default()
        },
        ..Default::default()
    };
    let config = file.resolve(Overrides::default(), &|n| {
        (n == ADMIN_TOKEN_ENV).then(|| TOKEN.to_owned())
    })?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(tablesafe::server::run(config, listener, async {
        let _ = stop_rx.await;
    }));

    let admin = Client::connect(&url, Some(TOKEN)).await?;
    let started = Instant::now();
    admin.trigger_backup(vec![], "bench").await?;
    let report = admin.get_health(true).await?;
    println!(
        "{tables} tables backed up in {:.1}s; health {:?}, response {} bytes",
        started.elapsed().as_secs_f64(),
        report.status(),
        prost::Message::encoded_len(&report)
    );

    // One channel per 8 callers, as a fleet of monitoring clients would have.
    let channels: Vec<_> = futures_channels(&url, clients.div_ceil(8)).await?;
    let health = measure(clients, seconds, {
        let channels = channels.clone();
        move |i| {
            let client = Client::with_channel(channels[i % channels.len()].clone(), Some(TOKEN))
                .expect("client");
            async move {
                client
                    .get_health(false)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        }
    })
    .await;
    let check = measure(clients, seconds, move |i| {
        let mut client = HealthClient::new(channels[i % channels.len()].clone());
        async move {
            client
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    })
    .await;

    println!("{clients} concurrent callers, {seconds}s each");
    println!("{:<28}{:>12}{:>12}{:>12}", "", "req/s", "p50 ms", "p99 ms");
    for (name, r) in [
        ("StorageAdmin/GetHealth", &health),
        ("grpc.health.v1/Check", &check),
    ] {
        println!(
            "{name:<28}{:>12.0}{:>12.3}{:>12.3}",
            r.rate,
            r.p50 * 1e3,
            r.p99 * 1e3
        );
    }
    println!(
        "GetHealth throughput is {:.2} of Check's (goal >= 0.5); p99 {:.3} ms (goal < 5 ms)",
        health.rate / check.rate,
        health.p99 * 1e3
    );
    let _ = stop_tx.send(());
    server.await??;
    Ok(())
}

async fn futures_channels(url: &str, n: usize) -> anyhow::Result<Vec<tonic::transport::Channel>> {
    let mut channels = Vec::new();
    for _ in 0..n.max(1) {
        let endpoint = tonic::transport::Endpoint::from_shared(url.to_owned())?
            .initial_stream_window_size(Some(4 << 20))
            .initial_connection_window_size(Some(16 << 20));
        channels.push(endpoint.connect().await?);
    }
    Ok(channels)
}

struct Figures {
    rate: f64,
    p50: f64,
    p99: f64,
}

/// Runs `clients` loops of `call` for `seconds`; every call must succeed.
async fn measure<F, Fut>(clients: usize, seconds: u64, call: F) -> Figures
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send,
{
    let call = Arc::new(call);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..clients)
        .map(|i| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let start = Instant::now();
                    call(i).await.expect("call succeeds");
                    latencies.push(start.elapsed().as_secs_f64());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.expect("worker"));
    }
    all.sort_by(f64::total_cmp);
    let pick = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    Figures {
        rate: all.len() as f64 / seconds as f64,
        p50: pick(0.50),
        p99: pick(0.99),
    }
}
