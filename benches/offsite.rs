//! Offsite upload benchmark (issue 18), in one invocation: a table of MIB MiB
//! (default 1024) written by real Erlang, twice: each value random bytes (as
//! most data: nothing for the store to compress or keep once), then every
//! value the same (the store keeps its blocks once and compresses them). Each
//! is uploaded to a real Garage node on loopback by tablesafe (multipart,
//! every part's ETag and the object's size and ETag checked, the manifest put
//! last) plain, zstd-compressed, age-encrypted, and both; and put by a plain
//! `object_store` client (`put_multipart` in 16 MiB parts, one in flight, as
//! tablesafe sends them, nothing checked). Runs alternate; the best of RUNS
//! (default 3) is printed with its ratio to the plain put.
//!
//! Goals: at most 1.2x the plain put without encryption, 1.5x with.
//! `cargo bench --bench offsite -- [MIB]` (scripts/bench-offsite.sh); `ONLY=age`
//! runs the variants whose label ends so, on random values, for a profiler.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, WriteMultipart};
use tablesafe_engine::clock::Clock;
use tablesafe_engine::model::Consistency;
use tablesafe_engine::offsite::{
    Destination, DestinationConfig, Identity, Remote, RemoteStore, S3Settings, Sealing,
};
use tablesafe_engine::store::{BackupName, BackupStore, Manifest, TOOL};
use testkit::garage::GarageCluster;
use tokio::io::AsyncReadExt;

const PART: usize = 16 << 20;

fn main() {
    let mib: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1024);
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(bench(mib, runs));
}

async fn bench(mib: u32, runs: usize) {
    let garage = GarageCluster::start(1, 1).expect("garage: run scripts/install-test-deps.sh");
    let tool = testkit::DetsTool::find().expect("Erlang: run scripts/install-test-deps.sh");
    let bucket = S3Settings {
        endpoint: garage.endpoint(),
        region: garage.region().into(),
        bucket: garage.bucket().into(),
        access_key_id: garage.key_id().into(),
        secret_access_key: garage.secret().into(),
        path_style: true,
        allow_http: true,
    }
    .connect()
    .expect("a client");
    let store_pid = garage.pid_of(0);
    let recipient = Identity::generate().to_public().to_string();
    let variants: Vec<(&str, Sealing)> = vec![
        ("tablesafe plain", Sealing::plain()),
        ("tablesafe zstd", Sealing::new(Some(3), &[]).expect("zstd")),
        (
            "tablesafe age",
            Sealing::new(None, std::slice::from_ref(&recipient)).expect("age"),
        ),
        (
            "tablesafe zstd+age",
            Sealing::new(Some(3), std::slice::from_ref(&recipient)).expect("zstd+age"),
        ),
    ];
    // ONLY=age (a part of a label) runs those variants alone, on random
    // values: for a profiler.
    let only = std::env::var("ONLY").ok();
    let variants: Vec<(&str, Sealing)> = variants
        .into_iter()
        .filter(|(label, _)| only.as_ref().is_none_or(|o| label.ends_with(o.as_str())))
        .collect();
    let tables: &[Values] = if only.is_some() {
        &[Values::Random]
    } else {
        &[Values::Random, Values::Repeated]
    };
    for &values in tables {
        let work = tempfile::tempdir().expect("a scratch directory");
        let store = BackupStore::open(work.path().join("backups")).expect("a backup directory");
        let name = BackupName::new("big", chrono::Utc::now());
        let copy = store.path(&name.file_name());
        let mut baseline = Vec::new();
        let mut figures: Vec<(Vec<Figure>, u64)> = vec![(Vec::new(), 0); variants.len()];
        let mut bytes = 0;
        for run in 0..runs {
            // Random values are written anew for every run: the store keeps
            // blocks by content, and a block it holds already costs it
            // nothing, which would favour whatever sends the same bytes again.
            if run == 0 || values == Values::Random {
                eprintln!(
                    "writing a {mib} MiB table of {} values with Erlang ...",
                    values.label()
                );
                tool.big_table(&copy, mib, values == Values::Random);
            }
            let manifest = manifest_of(&copy, &name);
            store
                .write_manifest(&name, &manifest)
                .expect("manifest written");
            let entry = store
                .list(Some("big"))
                .expect("listed")
                .into_iter()
                .next()
                .expect("the copy");
            bytes = manifest.bytes;
            // The put's own time (its object's deletion after it not counted).
            let (figure, wall) = measured(store_pid, plain_put(&*bucket, &copy)).await;
            baseline.push(Figure { wall, ..figure });
            for (i, (label, sealing)) in variants.iter().enumerate() {
                let mut config = DestinationConfig::new(label, "bench", "host");
                config.part_size = PART;
                config.sealing = sealing.clone();
                let remote = Remote::new(Destination {
                    config,
                    store: Arc::clone(&bucket),
                });
                let (figure, uploaded) = measured(
                    store_pid,
                    remote.upload(&store, &entry, &manifest, Clock::System),
                )
                .await;
                figures[i].0.push(figure);
                figures[i].1 = uploaded.expect("uploaded").0.artifact_bytes;
            }
        }
        report(values, bytes, runs, &baseline, &variants, &figures);
    }
}

/// CPU time (user + system) a process has used so far: `self`, or a pid.
fn cpu_seconds(pid: Option<u32>) -> f64 {
    let path = pid.map_or_else(
        || "/proc/self/stat".to_owned(),
        |p| format!("/proc/{p}/stat"),
    );
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // Fields after the command name (which may hold spaces), from field 3.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    ticks.iter().sum::<f64>() / 100.0
}

/// One upload's figures: wall time, and the CPU the client and the store
/// spent on it.
#[derive(Debug, Clone, Copy, Default)]
struct Figure {
    wall: Duration,
    client_cpu: f64,
    store_cpu: f64,
}

async fn measured<F: std::future::Future>(store_pid: Option<u32>, f: F) -> (Figure, F::Output) {
    let (client, store) = (cpu_seconds(None), cpu_seconds(store_pid));
    let started = Instant::now();
    let out = f.await;
    let figure = Figure {
        wall: started.elapsed(),
        client_cpu: cpu_seconds(None) - client,
        store_cpu: cpu_seconds(store_pid) - store,
    };
    (figure, out)
}

/// What the table's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Values {
    /// Each value random bytes, written anew for every run: nothing for the
    /// store to compress or find twice, as with most real data.
    Random,
    /// Every value the same: the store keeps such blocks once, and zstd
    /// shrinks the table about 9,000 times.
    Repeated,
}

impl Values {
    fn label(self) -> &'static str {
        match self {
            Self::Random => "random",
            Self::Repeated => "repeated",
        }
    }
}

fn report(
    values: Values,
    bytes: u64,
    runs: usize,
    baseline: &[Figure],
    variants: &[(&str, Sealing)],
    figures: &[(Vec<Figure>, u64)],
) {
    let best = |f: &[Figure]| f.iter().min_by_key(|f| f.wall).copied().unwrap_or_default();
    let base = best(baseline);
    let mb_s = |d: Duration| bytes as f64 / d.as_secs_f64() / 1e6;
    println!(
        "offsite upload of a {bytes}-byte table of {} values to one Garage node on loopback, best of {runs}",
        values.label()
    );
    println!(
        "{:<28} {:>8} {:>6} {:>11} {:>10} {:>14} {:>7}",
        "", "seconds", "MB/s", "client CPU", "store CPU", "stored bytes", "ratio"
    );
    let row = |label: &str, f: Figure, stored: u64, ratio: String| {
        println!(
            "{label:<28} {:>8.2} {:>6.0} {:>10.2}s {:>9.2}s {stored:>14} {ratio}",
            f.wall.as_secs_f64(),
            mb_s(f.wall),
            f.client_cpu,
            f.store_cpu,
        );
    };
    row("object_store put_multipart", base, bytes, "  1.00x".into());
    for ((label, sealing), (times, stored)) in variants.iter().zip(figures) {
        let f = best(times);
        let ratio = f.wall.as_secs_f64() / base.wall.as_secs_f64();
        let goal = if sealing.encrypts() { 1.5 } else { 1.2 };
        let verdict = if ratio <= goal { "met" } else { "NOT met" };
        row(
            label,
            f,
            *stored,
            format!("{ratio:>6.2}x  (goal {goal}x: {verdict})"),
        );
    }
    println!();
}

/// The plain client's upload: the file read in parts and put, nothing checked.
async fn plain_put(bucket: &dyn RemoteStore, file: &Path) -> Duration {
    let started = Instant::now();
    let key = ObjectPath::from("bench/plain/big.dets");
    let upload = bucket.put_multipart(&key).await.expect("multipart");
    let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
    let mut source = tokio::fs::File::open(file).await.expect("opened");
    let mut buf = vec![0u8; PART];
    loop {
        let mut filled = 0;
        while filled < PART {
            let n = source.read(&mut buf[filled..]).await.expect("read");
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            break;
        }
        writer.wait_for_capacity(1).await.expect("a part stored");
        writer.write(&buf[..filled]);
        if filled < PART {
            break;
        }
    }
    writer.finish().await.expect("completed");
    let elapsed = started.elapsed();
    let _ = bucket.delete(&key).await;
    elapsed
}

/// A manifest for the copy: what an upload reads (its name, size, SHA-256).
fn manifest_of(copy: &Path, name: &BackupName) -> Manifest {
    let bytes = std::fs::metadata(copy).expect("the copy").len();
    Manifest {
        tool: TOOL.into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        table: name.table.clone(),
        file_name: name.file_name(),
        sha256: tablesafe_engine::pipeline::sha256_file(copy).expect("hashed"),
        bytes,
        records: 0,
        keys: 0,
        free_bytes: None,
        fragmentation_ratio: None,
        consistency: Consistency::Clean,
        verified: true,
        source_path: copy.to_owned(),
        source_mtime: None,
        captured_at: name.at,
        run_id: "bench".into(),
        attempts: 1,
        digest: None,
        corrupt: None,
    }
}
