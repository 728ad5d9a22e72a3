//! Runs the copy pipeline on one table, RUNS times, into a scratch backup
//! directory, and prints each run's stage timings as JSON lines.
//!
//! usage: bench_pipeline TABLE.dets BACKUP_DIR [RUNS]

use std::path::PathBuf;

use tablesafe_engine::catalog::{Role, TableEntry};
use tablesafe_engine::pipeline::{CopyJob, PipelineOptions};
use tablesafe_engine::store::BackupStore;
use tokio_util::sync::CancellationToken;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(source), Some(dir)) = (args.next(), args.next()) else {
        eprintln!("usage: bench_pipeline TABLE.dets BACKUP_DIR [RUNS]");
        std::process::exit(2);
    };
    let runs: u32 = args.next().map_or(Ok(3), |r| r.parse())?;
    let path = PathBuf::from(source);
    let table = TableEntry {
        name: path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("table")
            .to_owned(),
        path,
        role: Role::Discovered,
        present: true,
        backed_up: true,
    };
    let store = BackupStore::open(dir)?;
    let options = PipelineOptions {
        keep: 1,
        ..PipelineOptions::default()
    };
    let cancel = CancellationToken::new();
    for _ in 0..runs {
        let result = CopyJob {
            table: &table,
            store: &store,
            run_id: "bench",
            options: &options,
            cancel: &cancel,
            quiesce: None,
            clock: tablesafe_engine::clock::Clock::System,
            index: &std::sync::Mutex::new(store.index()?),
            // One copy at a time: no run's permits to give back.
            slot: &tablesafe_engine::pipeline::CopySlot::default(),
        }
        .run();
        let Some(copy) = result.committed() else {
            return Err(format!("{:?}", result.outcome).into());
        };
        println!(
            "{{\"capture_s\": {}, \"verify_s\": {}, \"total_s\": {}, \"bytes\": {}}}",
            result.timings.capture.as_secs_f64(),
            result.timings.verify.as_secs_f64(),
            result.duration.as_secs_f64(),
            copy.bytes
        );
        // Two runs in the same second would otherwise get consecutive names; keep 1 prunes the rest.
    }
    Ok(())
}
