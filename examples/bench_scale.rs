//! How tablesafe scales with the number of tables, in one invocation.
//!
//! For each size (default 100, 1,000 and 10,000 copies of the small
//! Erlang-written `set_10.dets`), in a fresh data directory, REPEATS (3)
//! attempts, each of them in turn:
//!
//! 1. the baseline: a plain copy of the same files (`std::fs::copy`, then
//!    `fsync` of the copy and of its directory, per table), one table at a
//!    time and as many at a time as the server copies (2);
//! 2. start-up: from spawning `tablesafe serve` on a fresh backup directory
//!    (schedule off, so it starts no run of its own: no catch-up either) to
//!    its first GetHealth (FULL) answer naming every table;
//! 3. the server's first backup run, a `TriggerBackup` of every table, round
//!    trip.
//!
//! The best attempt of each counts. On the last attempt's server then: a
//! second run (information); at the memory size (1,000) the server's VmRSS
//! after the first run and after RUNS runs (100); at the health sizes (1,000
//! and 10,000) CLIENTS concurrent callers (32) for SECONDS each (3) of
//! grpc.health.v1/Check, GetHealth SUMMARY, GetHealth with `if_none_match` of
//! the current snapshot (`unchanged`) and GetHealth FULL, answers taken as
//! bytes and only their top-level fields walked (table entries counted, not
//! decoded). Last, start-up again on the same directories (information).
//!
//! Then every goal, its figure and whether it is met.
//!
//! usage: scripts/bench-scale.sh [--sizes=100,1000,10000] [--health-sizes=1000,10000]
//!        [--memory-tables=1000] [--runs=100] [--clients=32] [--seconds=3] [--repeats=3]
//! (runs `target/release/tablesafe`, which the script builds)

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Buf;
use tablesafe_client::{proto, Client};
use tonic::transport::Channel;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

mod support;
use support::{get_health_bytes, Server, TOKEN};

const FIXTURE: &str = "set_10.dets";

/// Tables the server copies at a time: `backup.concurrency`'s default
/// (`defaults::CONCURRENCY` in src/config.rs), which `Server::start` keeps.
const BACKUP_CONCURRENCY: usize = 2;

struct Args {
    sizes: Vec<usize>,
    health_sizes: Vec<usize>,
    memory_tables: usize,
    runs: usize,
    clients: usize,
    seconds: u64,
    repeats: usize,
}

impl Args {
    fn parse() -> anyhow::Result<Self> {
        let mut args = Self {
            sizes: vec![100, 1000, 10_000],
            health_sizes: vec![1000, 10_000],
            memory_tables: 1000,
            runs: 100,
            clients: 32,
            seconds: 3,
            repeats: 3,
        };
        let list = |v: &str| -> anyhow::Result<Vec<usize>> {
            v.split(',')
                .filter(|s| !s.is_empty())
                .map(|s| Ok(s.replace('_', "").parse()?))
                .collect()
        };
        for arg in std::env::args().skip(1) {
            let (key, value) = arg
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("{arg:?}: expected --name=value"))?;
            match key {
                "--sizes" => args.sizes = list(value)?,
                "--health-sizes" => args.health_sizes = list(value)?,
                "--memory-tables" => args.memory_tables = value.parse()?,
                "--runs" => args.runs = value.parse()?,
                "--clients" => args.clients = value.parse()?,
                "--seconds" => args.seconds = value.parse()?,
                "--repeats" => args.repeats = value.parse()?,
                _ => {
                    anyhow::bail!("unknown option {key} (see the usage in examples/bench_scale.rs)")
                }
            }
        }
        args.sizes.sort_unstable();
        args.sizes.dedup();
        args.health_sizes.sort_unstable();
        args.health_sizes.dedup();
        anyhow::ensure!(
            !args.sizes.is_empty() && args.sizes.iter().all(|&n| n > 0),
            "--sizes needs at least one size above 0"
        );
        anyhow::ensure!(
            args.runs >= 1 && args.clients >= 1 && args.seconds >= 1 && args.repeats >= 1,
            "--runs, --clients, --seconds and --repeats must be at least 1"
        );
        for n in &args.health_sizes {
            anyhow::ensure!(
                args.sizes.contains(n),
                "--health-sizes: {n} is not one of --sizes {:?}",
                args.sizes
            );
        }
        anyhow::ensure!(
            args.memory_tables == 0 || args.sizes.contains(&args.memory_tables),
            "--memory-tables: {} is not one of --sizes {:?} (0 for none)",
            args.memory_tables,
            args.sizes
        );
        Ok(args)
    }
}

/// What one size measured.
struct SizeResult {
    tables: usize,
    /// Plain copy of every table, one at a time, seconds.
    copy_serial: f64,
    /// The same, BACKUP_CONCURRENCY at a time.
    copy: f64,
    /// Spawn to first FULL answer, seconds.
    startup: f64,
    /// The same with a backup of every table and a ledger to read.
    restart: f64,
    /// First and second TriggerBackup round trips, seconds.
    first_run: f64,
    second_run: f64,
    memory: Option<Memory>,
    health: Option<HealthFigures>,
}

struct Memory {
    /// (runs so far, VmRSS KiB)
    samples: Vec<(usize, u64)>,
}

struct HealthFigures {
    full_bytes: usize,
    summary_bytes: usize,
    summary_tables: usize,
    check: Figures,
    summary: Figures,
    unchanged: Figures,
    full: Figures,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse()?;
    let started = Instant::now();
    let mut results = Vec::new();
    for &n in &args.sizes {
        results.push(measure_size(&args, n).await?);
    }
    report(&args, &results, started.elapsed());
    Ok(())
}

fn progress(text: impl std::fmt::Display) {
    eprintln!("  .. {text}");
}

async fn measure_size(args: &Args, n: usize) -> anyhow::Result<SizeResult> {
    eprintln!("{n} tables");
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    support::lay_out_tables(&data, FIXTURE, n, "t_")?;
    sync()?;

    // Each attempt, in turn: the baseline (the same files copied and made
    // durable, one at a time and as many at a time as the server copies),
    // then a server on a fresh backup directory, its start-up and its first
    // run. The best of the attempts counts; the last server stays up.
    let (mut copy_serial, mut copy, mut startup, mut first_run) = (vec![], vec![], vec![], vec![]);
    let mut kept = None;
    for attempt in 1..=args.repeats {
        for (samples, threads) in [(&mut copy_serial, 1), (&mut copy, BACKUP_CONCURRENCY)] {
            let plain = dir.path().join("plain");
            samples.push(plain_copy(&data, &plain, threads)?);
            std::fs::remove_dir_all(&plain)?;
            sync()?;
        }
        let backups = dir.path().join(format!("backups-{attempt}"));
        let (server, channel, seconds) = start_and_ask(&data, &backups, n).await?;
        startup.push(seconds);
        let admin = Client::with_channel(channel.clone(), Some(TOKEN))?;
        anyhow::ensure!(
            admin.list_runs(0).await?.is_empty(),
            "the server ran a backup of its own before the trigger"
        );
        first_run.push(timed_run(&admin, n, "bench-scale: first").await?);
        progress(format_args!(
            "attempt {attempt}: copy x1 {:.3}, copy x{BACKUP_CONCURRENCY} {:.3}, \
             start-up {:.3}, first run {:.3} ms/table",
            copy_serial[attempt - 1] * 1e3 / n as f64,
            copy[attempt - 1] * 1e3 / n as f64,
            startup[attempt - 1] * 1e3 / n as f64,
            first_run[attempt - 1] * 1e3 / n as f64,
        ));
        if attempt == args.repeats {
            kept = Some((server, admin, backups));
        } else {
            drop((admin, channel, server));
            std::fs::remove_dir_all(&backups)?;
            sync()?;
        }
    }
    let (server, admin, backups) = kept.expect("at least one attempt");

    let mut memory = None;
    let mut samples = Vec::new();
    if n == args.memory_tables {
        samples.push((1, server.rss_kib()?));
    }
    let second_run = timed_run(&admin, n, "bench-scale: second").await?;
    progress(format_args!(
        "second run: {:.3} ms/table",
        second_run * 1e3 / n as f64
    ));
    if n == args.memory_tables {
        if args.runs >= 2 {
            samples.push((2, server.rss_kib()?));
        }
        let runs_started = Instant::now();
        for run in 3..=args.runs {
            timed_run(&admin, n, "bench-scale: memory").await?;
            if [10, 25, 50, 75].contains(&run) || run == args.runs {
                let rss = server.rss_kib()?;
                samples.push((run, rss));
                progress(format_args!(
                    "after {run} runs: VmRSS {rss} KiB ({:.0} s of runs)",
                    runs_started.elapsed().as_secs_f64()
                ));
            }
        }
        memory = Some(Memory { samples });
    }

    let health = if args.health_sizes.contains(&n) {
        Some(measure_health(args, &server, n).await?)
    } else {
        None
    };
    drop((admin, server));

    // Start-up again on the same directories: a backup of every table (and
    // runs in the ledger) to read as well.
    let mut restart = Vec::new();
    for _ in 0..args.repeats {
        restart.push(start_and_ask(&data, &backups, n).await?.2);
    }
    progress(format_args!(
        "restart: {:.3} ms/table",
        best(&restart) * 1e3 / n as f64
    ));

    Ok(SizeResult {
        tables: n,
        copy_serial: best(&copy_serial),
        copy: best(&copy),
        startup: best(&startup),
        restart: best(&restart),
        first_run: best(&first_run),
        second_run,
        memory,
        health,
    })
}

fn best(samples: &[f64]) -> f64 {
    samples.iter().copied().fold(f64::INFINITY, f64::min)
}

/// Spawns a server on `data` and `backups` and asks GetHealth (FULL) until it
/// answers; the answer must name all `n` tables. Returns the server, the
/// channel and the seconds from spawning to the answer.
async fn start_and_ask(
    data: &Path,
    backups: &Path,
    n: usize,
) -> anyhow::Result<(Server, Channel, f64)> {
    let spawned = Instant::now();
    let server = Server::start(data, backups)?;
    let channel = tablesafe_client::endpoint(&server.url)?.connect().await?;
    let answer = loop {
        match get_health_bytes(channel.clone(), full()).await {
            Ok(bytes) => break bytes,
            Err(e) if spawned.elapsed() < Duration::from_secs(120) => {
                progress(format_args!("GetHealth not answered yet: {e}"));
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Err(e) => return Err(e.into()),
        }
    };
    let seconds = spawned.elapsed().as_secs_f64();
    let top = Top::scan(&answer).map_err(anyhow::Error::msg)?;
    anyhow::ensure!(
        top.total_tables == n as u64 && top.tables == n,
        "the first answer has {} of {n} tables (total_tables {})",
        top.tables,
        top.total_tables
    );
    Ok((server, channel, seconds))
}

/// One TriggerBackup of every table, round trip; the run must back up all `n`.
async fn timed_run(admin: &Client, n: usize, reason: &str) -> anyhow::Result<f64> {
    let started = Instant::now();
    let response = admin.trigger_backup(vec![], reason).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let run = response
        .run
        .ok_or_else(|| anyhow::anyhow!("no run in the answer"))?;
    anyhow::ensure!(
        run.outcome() == proto::RunOutcome::Succeeded && run.succeeded as usize == n,
        "run {}: {:?}, {} of {n} tables backed up, errors {:?}",
        run.run_id,
        run.outcome(),
        run.succeeded,
        run.errors
    );
    anyhow::ensure!(
        !response.joined_existing_run,
        "the trigger joined a run it did not start"
    );
    Ok(elapsed)
}

/// Copies every file of `data` into `to` (made here), each followed by
/// `fsync` of the copy and of `to`, `threads` tables at a time; seconds for
/// all of them.
fn plain_copy(data: &Path, to: &Path, threads: usize) -> anyhow::Result<f64> {
    let mut files: Vec<_> = std::fs::read_dir(data)?
        .map(|e| Ok(e?.path()))
        .collect::<std::io::Result<_>>()?;
    files.sort();
    std::fs::create_dir_all(to)?;
    let started = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| -> std::io::Result<()> {
                    let dir = std::fs::File::open(to)?;
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(file) = files.get(i) else {
                            return Ok(());
                        };
                        let target = to.join(file.file_name().expect("a file name"));
                        std::fs::copy(file, &target)?;
                        std::fs::File::options()
                            .write(true)
                            .open(&target)?
                            .sync_all()?;
                        dir.sync_all()?;
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().expect("copy thread"))
    })?;
    Ok(started.elapsed().as_secs_f64())
}

/// Writes dirty pages out, so the laying out of one step does not land on the
/// clock of the next.
fn sync() -> anyhow::Result<()> {
    let status = std::process::Command::new("sync").status()?;
    anyhow::ensure!(status.success(), "sync failed");
    Ok(())
}

fn full() -> proto::GetHealthRequest {
    proto::GetHealthRequest {
        view: proto::HealthView::Full.into(),
        ..Default::default()
    }
}

async fn measure_health(args: &Args, server: &Server, n: usize) -> anyhow::Result<HealthFigures> {
    let admin = Client::connect(&server.url, Some(TOKEN)).await?;
    // A fresh snapshot after the runs; its id is what `unchanged` names.
    let report = admin.get_health(true).await?;
    let snapshot_id = report.snapshot_id.clone();
    anyhow::ensure!(!snapshot_id.is_empty(), "the snapshot has no id");
    progress(format_args!(
        "health {:?}, snapshot {snapshot_id}",
        report.status()
    ));
    let channels = support::connect_channels(&server.url, args.clients.div_ceil(8)).await?;

    let full_answer = get_health_bytes(channels[0].clone(), full()).await?;
    let summary_request = proto::GetHealthRequest {
        view: proto::HealthView::Summary.into(),
        ..Default::default()
    };
    let summary_answer = get_health_bytes(channels[0].clone(), summary_request.clone()).await?;
    let summary_tables = Top::scan(&summary_answer)
        .map_err(anyhow::Error::msg)?
        .tables;
    let unchanged_request = proto::GetHealthRequest {
        view: proto::HealthView::Full.into(),
        if_none_match: snapshot_id.clone(),
        ..Default::default()
    };

    let (clients, seconds) = (args.clients, args.seconds);
    progress(format_args!(
        "{n} tables: grpc.health.v1/Check, {seconds} s"
    ));
    let check = measure(server, clients, seconds, {
        let channels = channels.clone();
        move |i| {
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
        }
    })
    .await?;
    progress(format_args!("{n} tables: GetHealth SUMMARY, {seconds} s"));
    let summary = measure_get_health(server, &channels, clients, seconds, summary_request, {
        move |top: &Top| match top.total_tables == n as u64
            && top.tables == summary_tables
            && !top.unchanged
        {
            true => Ok(()),
            false => Err(format!("SUMMARY answer {top:?}")),
        }
    })
    .await?;
    progress(format_args!(
        "{n} tables: GetHealth if_none_match (unchanged), {seconds} s"
    ));
    let unchanged = measure_get_health(server, &channels, clients, seconds, unchanged_request, {
        let id = snapshot_id.clone();
        move |top: &Top| match top.unchanged && top.tables == 0 && top.snapshot_id == id {
            true => Ok(()),
            false => Err(format!("answer not `unchanged` for {id}: {top:?}")),
        }
    })
    .await?;
    progress(format_args!("{n} tables: GetHealth FULL, {seconds} s"));
    let full = measure_get_health(server, &channels, clients, seconds, full(), {
        move |top: &Top| match top.tables == n && top.total_tables == n as u64 && !top.unchanged {
            true => Ok(()),
            false => Err(format!("FULL answer {top:?}")),
        }
    })
    .await?;
    Ok(HealthFigures {
        full_bytes: full_answer.len(),
        summary_bytes: summary_answer.len(),
        summary_tables,
        check,
        summary,
        unchanged,
        full,
    })
}

async fn measure_get_health(
    server: &Server,
    channels: &[Channel],
    clients: usize,
    seconds: u64,
    request: proto::GetHealthRequest,
    check: impl Fn(&Top) -> Result<(), String> + Send + Sync + 'static,
) -> anyhow::Result<Figures> {
    let channels = channels.to_vec();
    let check = Arc::new(check);
    measure(server, clients, seconds, move |i| {
        let channel = channels[i % channels.len()].clone();
        let request = request.clone();
        let check = check.clone();
        async move {
            let bytes = get_health_bytes(channel, request)
                .await
                .map_err(|e| e.to_string())?;
            check(&Top::scan(&bytes)?)
        }
    })
    .await
}

/// The top-level fields of a GetHealthResponse, read without decoding the
/// components and tables (they are counted and skipped).
#[derive(Debug, Default)]
struct Top {
    tables: usize,
    total_tables: u64,
    unchanged: bool,
    snapshot_id: String,
}

impl Top {
    fn scan(mut bytes: &[u8]) -> Result<Self, String> {
        use prost::encoding::decode_varint;
        let mut top = Self::default();
        let err = |e: prost::DecodeError| e.to_string();
        while bytes.has_remaining() {
            let key = decode_varint(&mut bytes).map_err(err)?;
            let (field, wire_type) = (key >> 3, key & 7);
            match wire_type {
                0 => {
                    let value = decode_varint(&mut bytes).map_err(err)?;
                    match field {
                        6 => top.unchanged = value != 0,
                        8 => top.total_tables = value,
                        _ => {}
                    }
                }
                2 => {
                    let len = decode_varint(&mut bytes).map_err(err)? as usize;
                    if len > bytes.len() {
                        return Err(format!("field {field}: {len} bytes past the end"));
                    }
                    match field {
                        4 => top.tables += 1,
                        5 => top.snapshot_id = String::from_utf8_lossy(&bytes[..len]).into(),
                        _ => {}
                    }
                    bytes.advance(len);
                }
                1 if bytes.len() >= 8 => bytes.advance(8),
                5 if bytes.len() >= 4 => bytes.advance(4),
                _ => return Err(format!("field {field}: wire type {wire_type}")),
            }
        }
        Ok(top)
    }
}

struct Figures {
    rate: f64,
    p50: f64,
    p99: f64,
    /// Seconds of server CPU per call.
    server_cpu: f64,
    /// Calls that failed or whose answer was not the expected one.
    errors: usize,
    first_error: Option<String>,
}

/// Runs `clients` loops of `call` for `seconds`; failed calls are counted
/// (and the first one kept), successful ones timed.
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
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..clients)
        .map(|i| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = (0, None);
                while Instant::now() < deadline {
                    let start = Instant::now();
                    match call(i).await {
                        Ok(()) => latencies.push(start.elapsed().as_secs_f64()),
                        Err(e) => {
                            errors.0 += 1;
                            errors.1.get_or_insert(e);
                        }
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let (mut errors, mut first_error) = (0, None);
    for w in workers {
        let (latencies, (n, first)) = w.await?;
        all.extend(latencies);
        errors += n;
        first_error = first_error.or(first);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let calls = (all.len() + errors).max(1);
    let server_cpu = (server.cpu_time()? - cpu_before).as_secs_f64() / calls as f64;
    all.sort_by(f64::total_cmp);
    let pick = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok(Figures {
        rate: all.len() as f64 / elapsed,
        p50: pick(0.50),
        p99: pick(0.99),
        server_cpu,
        errors,
        first_error,
    })
}

/// One goal of the summary.
struct Goal {
    name: String,
    figure: String,
    met: bool,
}

fn report(args: &Args, results: &[SizeResult], wall: Duration) {
    let mut goals = Vec::new();
    let ms_per_table = |s: f64, n: usize| s * 1e3 / n as f64;
    let (small, large) = (&results[0], &results[results.len() - 1]);
    let mut out = String::new();
    let w = &mut out;

    let _ = writeln!(
        w,
        "\ntablesafe at scale: copies of {FIXTURE} ({} bytes), {} cores",
        std::fs::metadata(testkit::fixture(FIXTURE)).map_or(0, |m| m.len()),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // 1. Backup runs.
    let _ = writeln!(
        w,
        "\n1. Backup run: TriggerBackup of every table, round trip, the server's first run \
         (schedule off: no catch-up run); best of {}",
        args.repeats
    );
    let _ = writeln!(
        w,
        "{:>8}{:>12}{:>12}{:>12}{:>12}{:>10}{:>12}{:>12}",
        "", "copy x1", "copy x2", "1st run", "1st run", "", "marginal", "2nd run"
    );
    let _ = writeln!(
        w,
        "{:>8}{:>12}{:>12}{:>12}{:>12}{:>10}{:>12}{:>12}",
        "tables", "ms/table", "ms/table", "s", "ms/table", "x copy x2", "ms/table", "ms/table"
    );
    for (i, r) in results.iter().enumerate() {
        let run = ms_per_table(r.first_run, r.tables);
        let copy = ms_per_table(r.copy, r.tables);
        let _ = writeln!(
            w,
            "{:>8}{:>12.3}{:>12.3}{:>12.3}{:>12.3}{:>10.2}{:>12}{:>12.3}",
            r.tables,
            ms_per_table(r.copy_serial, r.tables),
            copy,
            r.first_run,
            run,
            run / copy,
            marginal(results, i, |r| r.first_run),
            ms_per_table(r.second_run, r.tables)
        );
    }
    let _ = writeln!(
        w,
        "   copy xK = std::fs::copy + fsync of the copy + fsync of its directory, per table, \
         K tables at a time\n   (the server copies {BACKUP_CONCURRENCY} at a time; the goal compares with copy x{BACKUP_CONCURRENCY})\n   \
         marginal = (time - time of the row above) / (tables added)\n   \
         2nd run: a second trigger, with a copy of every table to keep already (information)"
    );
    if results.len() > 1 {
        let growth = ms_per_table(large.first_run, large.tables)
            / ms_per_table(small.first_run, small.tables);
        goals.push(Goal {
            name: format!(
                "run time/table at {} within 1.5x of {}",
                large.tables, small.tables
            ),
            figure: format!("{growth:.2}x"),
            met: growth <= 1.5,
        });
    }
    for r in results {
        let ratio = r.first_run / r.copy;
        goals.push(Goal {
            name: format!(
                "run time/table at {} <= 3x plain copy x{BACKUP_CONCURRENCY}",
                r.tables
            ),
            figure: format!("{ratio:.2}x"),
            met: ratio <= 3.0,
        });
    }

    // 2. Start-up.
    let _ = writeln!(
        w,
        "\n2. Start-up: spawn to first GetHealth FULL answer with every table; best of {}",
        args.repeats
    );
    let _ = writeln!(
        w,
        "{:>8}{:>12}{:>12}{:>12}{:>14}{:>12}",
        "", "fresh", "fresh", "marginal", "restart", "restart"
    );
    let _ = writeln!(
        w,
        "{:>8}{:>12}{:>12}{:>12}{:>14}{:>12}",
        "tables", "s", "ms/table", "ms/table", "s", "ms/table"
    );
    for (i, r) in results.iter().enumerate() {
        let _ = writeln!(
            w,
            "{:>8}{:>12.3}{:>12.4}{:>12}{:>14.3}{:>12.4}",
            r.tables,
            r.startup,
            ms_per_table(r.startup, r.tables),
            marginal(results, i, |r| r.startup),
            r.restart,
            ms_per_table(r.restart, r.tables)
        );
    }
    let _ = writeln!(
        w,
        "   fresh: no backups yet (the goal); restart: the same directories after the runs \
         above (information)"
    );
    if results.len() > 1 {
        let growth =
            ms_per_table(large.startup, large.tables) / ms_per_table(small.startup, small.tables);
        goals.push(Goal {
            name: format!(
                "start-up time/table at {} within 1.5x of {}",
                large.tables, small.tables
            ),
            figure: format!("{growth:.2}x"),
            met: growth <= 1.5,
        });
    }

    // 3. Memory.
    if let Some((r, memory)) = results
        .iter()
        .find_map(|r| r.memory.as_ref().map(|m| (r, m)))
    {
        let _ = writeln!(w, "\n3. Server memory (VmRSS) with {} tables", r.tables);
        let _ = writeln!(w, "{:>8}{:>14}{:>12}", "runs", "VmRSS KiB", "x 1 run");
        let first = memory.samples[0].1 as f64;
        for &(runs, kib) in &memory.samples {
            let _ = writeln!(w, "{runs:>8}{kib:>14}{:>12.2}", kib as f64 / first);
        }
        let &(runs, last) = memory.samples.last().expect("a sample");
        let ratio = last as f64 / first;
        goals.push(Goal {
            name: format!(
                "VmRSS after {runs} runs of {} tables within 1.2x of after 1",
                r.tables
            ),
            figure: format!("{ratio:.2}x ({} -> {last} KiB)", memory.samples[0].1),
            met: ratio <= 1.2,
        });
    }

    // 4. GetHealth.
    let healths: Vec<_> = results
        .iter()
        .filter_map(|r| r.health.as_ref().map(|h| (r.tables, h)))
        .collect();
    if !healths.is_empty() {
        let _ = writeln!(
            w,
            "\n4. GetHealth, {} concurrent callers, {} s each (answers taken as bytes)",
            args.clients, args.seconds
        );
        let _ = writeln!(
            w,
            "{:>8}  {:<26}{:>10}{:>10}{:>10}{:>10}{:>10}{:>9}{:>8}",
            "tables", "call", "bytes", "req/s", "p50 ms", "p99 ms", "x Check", "CPU us", "errors"
        );
        for (n, h) in &healths {
            for (name, bytes, f) in [
                ("grpc.health.v1/Check", None, &h.check),
                ("SUMMARY", Some(h.summary_bytes), &h.summary),
                ("if_none_match (unchanged)", None, &h.unchanged),
                ("FULL", Some(h.full_bytes), &h.full),
            ] {
                let _ = writeln!(
                    w,
                    "{n:>8}  {name:<26}{:>10}{:>10.0}{:>10.3}{:>10.3}{:>10.2}{:>9.1}{:>8}",
                    bytes.map_or("-".to_owned(), |b| b.to_string()),
                    f.rate,
                    f.p50 * 1e3,
                    f.p99 * 1e3,
                    f.rate / h.check.rate,
                    f.server_cpu * 1e6,
                    f.errors
                );
                if let Some(e) = &f.first_error {
                    let _ = writeln!(w, "{:>10}first error: {e}", "");
                }
            }
            let _ = writeln!(
                w,
                "{:>10}SUMMARY carries {} of {n} tables (those with issues)",
                "", h.summary_tables
            );
        }
        let _ = writeln!(w, "   CPU us = server CPU time per call");
        for (n, h) in &healths {
            for (name, f) in [("SUMMARY", &h.summary), ("unchanged", &h.unchanged)] {
                let ratio = f.rate / h.check.rate;
                goals.push(Goal {
                    name: format!("{name} at {n}: >= 0.8x Check, p99 < 5 ms"),
                    figure: format!("{ratio:.2}x, p99 {:.3} ms{}", f.p99 * 1e3, errors(f)),
                    met: ratio >= 0.8 && f.p99 < 0.005 && f.errors == 0,
                });
            }
        }
        // The goal is set at 1,000 tables; FULL at other sizes is information.
        if let Some((n, h)) = healths.iter().find(|(n, _)| *n == 1000) {
            let ratio = h.full.rate / h.check.rate;
            goals.push(Goal {
                name: format!("FULL at {n}: >= 0.4x Check"),
                figure: format!("{ratio:.2}x{}", errors(&h.full)),
                met: ratio >= 0.4 && h.full.errors == 0,
            });
        }
    }

    let _ = writeln!(w, "\nSummary ({:.0} s in all)", wall.as_secs_f64());
    let width = goals.iter().map(|g| g.name.len()).max().unwrap_or(0) + 2;
    let fig_width = goals.iter().map(|g| g.figure.len()).max().unwrap_or(0) + 2;
    for g in &goals {
        let _ = writeln!(
            w,
            "  {:<width$}{:<fig_width$}{}",
            g.name,
            g.figure,
            if g.met { "met" } else { "NOT met" }
        );
    }
    let met = goals.iter().filter(|g| g.met).count();
    let _ = writeln!(w, "  {met} of {} goals met", goals.len());
    print!("{out}");
}

/// Milliseconds per table added between the size before `i` and `i`.
fn marginal(results: &[SizeResult], i: usize, seconds: impl Fn(&SizeResult) -> f64) -> String {
    match i.checked_sub(1).map(|j| &results[j]) {
        Some(prev) => format!(
            "{:.4}",
            (seconds(&results[i]) - seconds(prev)) * 1e3 / (results[i].tables - prev.tables) as f64
        ),
        None => "-".into(),
    }
}

fn errors(f: &Figures) -> String {
    match f.errors {
        0 => String::new(),
        n => format!(", {n} errors"),
    }
}
