//! The `tablesafe` binary: the server and its command-line clients.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod inspect;

/// Keeps an application's DETS tables safe.
#[derive(Parser)]
#[command(name = "tablesafe", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read DETS files offline and report their figures and condition.
    ///
    /// Exit code 0 when every file is ok, 1 when any is not.
    Inspect {
        /// DETS files to read.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// One JSON object per file, one per line.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Inspect { files, json } => {
            let mut stdout = std::io::stdout().lock();
            match inspect::run(&files, json, &mut stdout) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::from(1),
                Err(err) => {
                    eprintln!("tablesafe: {err}");
                    ExitCode::from(1)
                }
            }
        }
    }
}
