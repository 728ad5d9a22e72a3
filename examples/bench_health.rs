//! GetHealth against grpc.health.v1/Check on the same server, side by side.
//!
//! Lays out TABLES tables (copies of a real Erlang-written file), backs them
//! all up once, then runs CLIENTS concurrent callers for SECONDS against each
//! RPC and prints requests per second and p50/p99 latency.
//!
//! The callers share the machine with the server, so what they do with an
//! answer counts against it. The goal rows take GetHealth's answer as bytes
//! (checked for length, not decoded), as a load generator should; the row
//! after them shows the same calls through `tablesafe-client`, which builds
//! every table's message, for what a full client costs on top.
//!
//! usage: scripts/bench-health.sh [TABLES] [CLIENTS] [SECONDS]
//! (runs `target/release/tablesafe`, which the script builds)

use std::sync::Arc;
use std::time::{Duration, Instant};

use tablesafe_client::{proto, Client};
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

mod support;
use support::{get_health_bytes, Server, TOKEN};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>());
    let tables = args.next().transpose()?.unwrap_or(1000) as usize;
    let clients = args.next().transpose()?.unwrap_or(32) as usize;
    let seconds = args.next().transpose()?.unwrap_or(5);

    let dir = tempfile::tempdir()?;
    let (data, backups) = (dir.path().join("data"), dir.path().join("backups"));
    support::lay_out_tables(&data, "set_grown.dets", tables, "table_")?;
    let server = Server::start(&data, &backups)?;
    let url = server.url.clone();

    let admin = Client::connect(&url, Some(TOKEN)).await?;
    let started = Instant::now();
    admin.trigger_backup(vec![], "bench").await?;
    let report = admin.get_health(true).await?;
    let response_len = prost::Message::encoded_len(&report);
    println!(
        "{tables} tables backed up in {:.1}s; health {:?}, response {response_len} bytes",
        started.elapsed().as_secs_f64(),
        report.status(),
    );

    // One channel per 8 callers, as a fleet of monitoring clients would have.
    let channels: Vec<_> = support::connect_channels(&url, clients.div_ceil(8)).await?;
    let health_raw = measure(&server, clients, seconds, {
        let channels = channels.clone();
        move |i| {
            let channel = channels[i % channels.len()].clone();
            async move {
                let request = proto::GetHealthRequest::default();
                let bytes = get_health_bytes(channel, request)
                    .await
                    .map_err(|e| e.to_string())?;
                match bytes.len() == response_len {
                    true => Ok(()),
                    false => Err(format!("{} bytes, not {response_len}", bytes.len())),
                }
            }
        }
    })
    .await?;
    let health = measure(&server, clients, seconds, {
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
    .await?;
    let check = measure(&server, clients, seconds, move |i| {
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
    .await?;

    println!("{clients} concurrent callers, {seconds}s each");
    println!(
        "{:<28}{:>12}{:>12}{:>12}{:>20}",
        "", "req/s", "p50 ms", "p99 ms", "server CPU us/call"
    );
    for (name, r) in [
        ("StorageAdmin/GetHealth", &health_raw),
        ("grpc.health.v1/Check", &check),
        ("GetHealth, decoded", &health),
    ] {
        println!(
            "{name:<28}{:>12.0}{:>12.3}{:>12.3}{:>20.1}",
            r.rate,
            r.p50 * 1e3,
            r.p99 * 1e3,
            r.server_cpu * 1e6
        );
    }
    println!(
        "GetHealth throughput is {:.2} of Check's (goal >= 0.5); p99 {:.3} ms (goal < 5 ms)",
        health_raw.rate / check.rate,
        health_raw.p99 * 1e3
    );
    println!(
        "decoded by tablesafe-client: {:.2} of Check's; p99 {:.3} ms",
        health.rate / check.rate,
        health.p99 * 1e3
    );
    drop(server);
    Ok(())
}

struct Figures {
    rate: f64,
    p50: f64,
    p99: f64,
    /// Seconds of server CPU per call.
    server_cpu: f64,
}

/// Runs `clients` loops of `call` for `seconds`; every call must succeed.
async fn measure<F, Fut>(
    server: &Server,
    clients: usize,
    seconds: u64,
    call: F,
) -> anyhow::Result<Figures>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send,
{
    let call = Arc::new(call);
    let cpu_before = server.cpu_time()?;
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
    let server_cpu = (server.cpu_time()? - cpu_before).as_secs_f64() / all.len() as f64;
    all.sort_by(f64::total_cmp);
    let pick = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    Ok(Figures {
        rate: all.len() as f64 / seconds as f64,
        p50: pick(0.50),
        p99: pick(0.99),
        server_cpu,
    })
}
