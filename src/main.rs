//! The `tablesafe` binary: parses arguments, sets up logging, runs a command.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use tablesafe::client_cli::{self, Connection, DEFAULT_SERVER};
use tablesafe::config::{FileConfig, Overrides, ADMIN_TOKEN_ENV};
use tablesafe::offsite_restore::{FromOffsite, Target};
use tablesafe::{demo, inspect, offline, server};
use tokio::net::TcpListener;

/// Keeps an application's DETS tables safe: backups, verification and health.
#[derive(Parser)]
#[command(name = "tablesafe", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(clap::Args)]
struct ClientArgs {
    /// Server URL.
    #[arg(long, default_value = DEFAULT_SERVER)]
    server: String,
    /// Bearer token (admin for `backup`).
    #[arg(long, env = "TABLESAFE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Print proto3 JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// PEM CA certificate to trust, for an https:// server.
    #[arg(long)]
    ca_cert: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service.
    Serve {
        /// TOML config file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Address to listen on (default 127.0.0.1:50051).
        #[arg(long)]
        listen: Option<String>,
        /// Directory holding the application's .dets files (repeatable).
        #[arg(long = "data-dir")]
        data_dirs: Vec<PathBuf>,
        /// Directory that receives the backups.
        #[arg(long)]
        backup_dir: Option<PathBuf>,
        /// Backups kept per table (default 3).
        #[arg(long)]
        keep: Option<usize>,
        /// Backup schedule: 5-field cron in UTC, or "off" (default "0 3 * * *").
        #[arg(long)]
        schedule: Option<String>,
        /// Serve bundled sample tables from ./tablesafe-demo, with a fresh admin token.
        #[arg(long)]
        demo: bool,
        /// Log format.
        #[arg(long, value_enum, default_value = "text")]
        log_format: LogFormat,
    },
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
    /// Rebuild a sound, closed DETS file into a new compact one, offline:
    /// the same objects in the same slots, no holes. The new file appears
    /// only once Erlang's own checks would pass it and its digest equals the
    /// source's (exit code 1 otherwise; OUT is never replaced).
    Rebuild {
        /// The DETS file to read (never written).
        input: PathBuf,
        /// The new file; must not exist.
        output: PathBuf,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Salvage a dirty or damaged DETS file into a new clean one, offline,
    /// without Erlang's repair: every object that decodes in a sound record
    /// and belongs to its slot, and a list of what could not be recovered.
    /// Exit code 0: written, nothing lost; 2: written, something lost (listed);
    /// 1: nothing written. OUT is never replaced.
    Salvage {
        /// The DETS file to read (never written).
        input: PathBuf,
        /// The new file; must not exist.
        output: PathBuf,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Back up now and wait for the result (exit code 1 unless every table succeeded).
    Backup {
        /// Only this table (repeatable); all tables by default.
        #[arg(long = "table")]
        tables: Vec<String>,
        /// Why, recorded with the run.
        #[arg(long, default_value = "")]
        reason: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// List the backups on disk, newest first.
    Backups {
        /// Only this table's backups.
        #[arg(long)]
        table: Option<String>,
        /// The safety copies restores kept instead (`safety/<name>`).
        #[arg(long, conflicts_with = "offsite")]
        safety: bool,
        /// Also this host's copies at every offsite destination.
        #[arg(long)]
        offsite: bool,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Restore a proved copy of TABLE to a path or onto its own file
    /// (admin token; exit code 1 when refused or failed, the target as it was).
    ///
    /// The newest good copy by default. A copy that fails its proof or was
    /// found corrupt is never restored; in place, nothing is replaced while a
    /// process holds the file, and the file as it was is kept first as a
    /// safety copy (`tablesafe backups --safety`).
    Restore {
        /// The table.
        table: String,
        /// This copy (a file name from `tablesafe backups`, or `safety/<name>`).
        #[arg(long, conflicts_with = "as_of")]
        backup: Option<String>,
        /// The newest good copy captured at or before this time (RFC 3339).
        #[arg(long)]
        as_of: Option<chrono::DateTime<chrono::Utc>>,
        /// Write the table here (an absolute path on the server's host).
        #[arg(
            long,
            required_unless_present = "in_place",
            conflicts_with = "in_place"
        )]
        to: Option<PathBuf>,
        /// Replace the table's own file.
        #[arg(long)]
        in_place: bool,
        /// Replace an existing file at --to.
        #[arg(long, requires = "to")]
        force: bool,
        /// Restore a dirty copy, rewritten as a clean file of exactly what its slot
        /// table holds (no Erlang repair on open).
        #[arg(long)]
        allow_dirty: bool,
        /// Print the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Restore a copy from an offsite destination: downloaded on this
        /// machine, checked against its remote manifest, decrypted
        /// (--identity), decompressed, then proved and written like any
        /// restore. Needs --config. With --to, the server is not involved;
        /// with --in-place, the copy is imported into the server's backup
        /// directory and the server restores it onto the table's file (admin
        /// token; the identity stays here).
        #[arg(long, requires = "config")]
        from_offsite: bool,
        /// The server's config file, for its [[offsite]] destinations.
        #[arg(long, requires = "from_offsite")]
        config: Option<PathBuf>,
        /// Which [[offsite]] destination (when there are several).
        #[arg(long, requires = "from_offsite")]
        destination: Option<String>,
        /// Whose copies: the host name they were stored under (default the config's).
        #[arg(long, requires = "from_offsite")]
        host: Option<String>,
        /// An age identity file (AGE-SECRET-KEY-1...) for an encrypted copy.
        #[arg(long, requires = "from_offsite")]
        identity: Option<PathBuf>,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Compact one table's file in place: rebuilt into a compact file, proved
    /// (closed, sound, the same digest), then put in place of the old one,
    /// which is kept as a safety copy (admin token; exit code 1 when refused
    /// or failed, the file as it was). Refused unless a verified backup holds
    /// exactly what the file holds now, no process has it open, its free
    /// space is above health's fragmentation_warn (or --force), and there is
    /// room.
    Compact {
        /// The table.
        table: String,
        /// Compact even when its free space is not above the threshold.
        #[arg(long)]
        force: bool,
        /// Print the plan (and the size the new file takes at most) and change nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Restore drills: each table's newest good copy restored into a scratch
    /// directory and proved (by Erlang too when the server has a node); the
    /// live files are never touched (admin token; exit code 1 when one fails).
    Drill {
        /// Only these tables; every backed-up table by default.
        tables: Vec<String>,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Delete a safety copy a restore kept (admin token).
    RemoveSafetyCopy {
        /// `safety/<name>`, as `tablesafe backups --safety` lists it.
        file: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Show storage health, worst problems first (exit code 1 unless healthy).
    Health {
        /// Recompute from disk first instead of the last snapshot.
        #[arg(long)]
        refresh: bool,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Print events as they arrive; resumes by itself after a reconnect.
    Watch {
        /// Replay events after this sequence (needs --epoch).
        #[arg(long, default_value_t = 0)]
        after: u64,
        /// The epoch --after belongs to.
        #[arg(long, default_value = "")]
        epoch: String,
        /// Only these kinds (repeatable): run-started, table-backed-up,
        /// table-backup-failed, run-finished, health-changed.
        #[arg(long = "kind", value_parser = parse_kind)]
        kinds: Vec<tablesafe_client::proto::EventKind>,
        /// Only events about this table (repeatable).
        #[arg(long = "table")]
        tables: Vec<String>,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Re-read every retained backup and prove it against its manifest
    /// (exit code 1 when a copy is found corrupt).
    Scrub {
        #[command(flatten)]
        client: ClientArgs,
    },
    /// List recent runs, newest first.
    Runs {
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[command(flatten)]
        client: ClientArgs,
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
                Err(err) => fail(&err),
            }
        }
        Command::Rebuild {
            input,
            output,
            json,
        } => offline::rebuild(&input, &output, json, &mut std::io::stdout().lock()),
        Command::Salvage {
            input,
            output,
            json,
        } => offline::salvage(&input, &output, json, &mut std::io::stdout().lock()),
        Command::Serve {
            config,
            listen,
            data_dirs,
            backup_dir,
            keep,
            schedule,
            demo,
            log_format,
        } => {
            with_tuned_malloc();
            init_tracing(log_format);
            let overrides = Overrides {
                listen,
                data_dirs,
                backup_dir,
                keep,
                schedule,
            };
            runtime()
                .block_on(serve(config, overrides, demo))
                .unwrap_or_else(|e| fail(&e))
        }
        Command::Backup {
            tables,
            reason,
            client,
        } => runtime().block_on(async {
            let conn = connection(client);
            match client_cli::backup(&conn, tables, reason, &mut std::io::stdout()).await {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::from(1),
                Err(e) => fail(&client_cli::explain(&conn, &e)),
            }
        }),
        Command::Restore {
            table,
            backup,
            as_of,
            to,
            in_place: _,
            force,
            allow_dirty,
            dry_run,
            from_offsite: true,
            config: Some(config),
            destination,
            host,
            identity,
            client,
        } => {
            init_tracing(LogFormat::Text);
            let json = client.json;
            let target = match to {
                Some(path) => Target::Path {
                    path: std::path::absolute(&path).unwrap_or(path),
                    force,
                },
                None => Target::InPlace(connection(client)),
            };
            let restore = FromOffsite {
                config,
                destination,
                host,
                table,
                backup,
                as_of,
                target,
                allow_dirty,
                dry_run,
                identity,
                json,
            };
            runtime().block_on(async {
                match restore.run(&mut std::io::stdout()).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => fail(&format!("restore from offsite failed: {e}")),
                }
            })
        }
        Command::Restore {
            table,
            backup,
            as_of,
            to,
            in_place,
            force,
            allow_dirty,
            dry_run,
            client,
            ..
        } => runtime().block_on(async {
            let conn = connection(client);
            let request = tablesafe_client::proto::RestoreBackupRequest {
                table,
                backup: backup.unwrap_or_default(),
                as_of: as_of.map(timestamp),
                to_path: to
                    .map(|p| std::path::absolute(&p).unwrap_or(p).display().to_string())
                    .unwrap_or_default(),
                in_place,
                force,
                allow_dirty,
                dry_run,
            };
            client_cli::restore(&conn, request, &mut std::io::stdout())
                .await
                .map_or_else(
                    |e| fail(&client_cli::explain(&conn, &e)),
                    |()| ExitCode::SUCCESS,
                )
        }),
        Command::Compact {
            table,
            force,
            dry_run,
            client,
        } => runtime().block_on(async {
            let conn = connection(client);
            let request = tablesafe_client::proto::CompactTableRequest {
                table,
                force,
                dry_run,
            };
            client_cli::compact(&conn, request, &mut std::io::stdout())
                .await
                .map_or_else(
                    |e| fail(&client_cli::explain(&conn, &e)),
                    |()| ExitCode::SUCCESS,
                )
        }),
        Command::Drill { tables, client } => runtime().block_on(async {
            let conn = connection(client);
            match client_cli::drill(&conn, tables, &mut std::io::stdout()).await {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::from(1),
                Err(e) => fail(&client_cli::explain(&conn, &e)),
            }
        }),
        Command::RemoveSafetyCopy { file, client } => runtime().block_on(async {
            let conn = connection(client);
            client_cli::remove_safety_copy(&conn, &file, &mut std::io::stdout())
                .await
                .map_or_else(
                    |e| fail(&client_cli::explain(&conn, &e)),
                    |()| ExitCode::SUCCESS,
                )
        }),
        Command::Backups {
            table,
            safety,
            offsite,
            client,
        } => runtime().block_on(async {
            let conn = connection(client);
            let which = if safety {
                client_cli::Copies::Safety
            } else if offsite {
                client_cli::Copies::WithOffsite
            } else {
                client_cli::Copies::Local
            };
            client_cli::backups(&conn, table, which, &mut std::io::stdout())
                .await
                .map_or_else(
                    |e| fail(&client_cli::explain(&conn, &e)),
                    |()| ExitCode::SUCCESS,
                )
        }),
        Command::Health { refresh, client } => runtime().block_on(async {
            let conn = connection(client);
            match client_cli::health(&conn, refresh, &mut std::io::stdout()).await {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::from(1),
                Err(e) => fail(&client_cli::explain(&conn, &e)),
            }
        }),
        Command::Watch {
            after,
            epoch,
            kinds,
            tables,
            client,
        } => runtime().block_on(async {
            let options = tablesafe_client::WatchOptions {
                after_sequence: after,
                epoch,
                kinds,
                tables,
                ..Default::default()
            };
            let conn = connection(client);
            client_cli::watch(&conn, options, &mut std::io::stdout())
                .await
                .map_or_else(
                    |e| fail(&client_cli::explain(&conn, &e)),
                    |()| ExitCode::SUCCESS,
                )
        }),
        Command::Scrub { client } => runtime().block_on(async {
            let conn = connection(client);
            match client_cli::scrub(&conn, &mut std::io::stdout()).await {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::from(1),
                Err(e) => fail(&client_cli::explain(&conn, &e)),
            }
        }),
        Command::Runs { limit, client } => runtime().block_on(async {
            let conn = connection(client);
            client_cli::runs(&conn, limit, &mut std::io::stdout())
                .await
                .map_or_else(
                    |e| fail(&client_cli::explain(&conn, &e)),
                    |()| ExitCode::SUCCESS,
                )
        }),
    }
}

async fn serve(
    config: Option<PathBuf>,
    mut overrides: Overrides,
    demo: bool,
) -> anyhow::Result<ExitCode> {
    let file = match &config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    let mut demo_token = None;
    // A demo that fails to start leaves nothing behind that it made.
    let demo_root = std::path::Path::new(demo::DEMO_DIR);
    let demo_made = demo && !demo_root.exists();
    let clean_up = |error: anyhow::Error| {
        if demo_made {
            let _ = std::fs::remove_dir_all(demo_root);
        }
        error
    };
    if demo {
        let layout = demo::lay_out(demo_root).map_err(|e| clean_up(e.into()))?;
        if overrides.data_dirs.is_empty() && file.data_dirs.is_empty() {
            overrides.data_dirs = vec![layout.data_dir.clone()];
        }
        overrides.backup_dir = overrides.backup_dir.or(Some(layout.backup_dir.clone()));
        let token = std::env::var(ADMIN_TOKEN_ENV).unwrap_or_else(|_| demo::random_token());
        demo_token = Some((token, layout));
    }
    let env = |name: &str| match (&demo_token, name) {
        (Some((token, _)), ADMIN_TOKEN_ENV) => Some(token.clone()),
        _ => std::env::var(name).ok(),
    };
    // Validated before anything is bound.
    let mut config = file
        .resolve(overrides, &env)
        .map_err(|e| clean_up(e.into()))?;
    if demo {
        // The demo's first backup runs at once, not after the catch-up delay.
        config.engine.catch_up_delay = std::time::Duration::ZERO;
    }
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| clean_up(anyhow::anyhow!("cannot listen on {}: {e}", config.listen)))?;
    if let Some((token, layout)) = &demo_token {
        println!(
            "{}",
            demo::banner(
                &listener.local_addr()?.to_string(),
                token,
                layout,
                &demo::this_binary()
            )
        );
    }
    // A file-size limit (ulimit -f) must fail the write, not kill the process.
    let _file_size_signal =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(25))?;
    server::run(config, listener, shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM");
            return std::future::pending().await;
        }
    };
    let signal = tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    };
    tracing::info!(signal, "shutdown requested");
}

fn parse_kind(text: &str) -> Result<tablesafe_client::proto::EventKind, String> {
    use tablesafe_client::proto::EventKind;
    let name = format!("EVENT_KIND_{}", text.replace('-', "_").to_uppercase());
    EventKind::from_str_name(&name)
        .filter(|k| *k != EventKind::Unspecified)
        .ok_or_else(|| {
            let known: Vec<String> = (1..)
                .map_while(|n| EventKind::try_from(n).ok())
                .map(|k| {
                    k.as_str_name()
                        .trim_start_matches("EVENT_KIND_")
                        .to_lowercase()
                        .replace('_', "-")
                })
                .collect();
            format!(
                "unknown event kind {text:?}; the kinds are: {}",
                known.join(", ")
            )
        })
}

fn connection(args: ClientArgs) -> Connection {
    Connection {
        server: args.server,
        token: args.token,
        json: args.json,
        ca_cert: args.ca_cert,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts")
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

fn fail(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("tablesafe: {error}");
    ExitCode::from(1)
}

fn timestamp(t: chrono::DateTime<chrono::Utc>) -> tablesafe_client::wkt::Timestamp {
    tablesafe_client::wkt::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

/// glibc's malloc settings the server runs with, each unless the operator
/// set it: what glibc reads once, from the environment, before `main`.
///
/// - `MALLOC_ARENA_MAX=1`: glibc keeps an arena for each thread that has
///   allocated, and with tokio's blocking threads taking turns at copies the
///   resident memory rose by half again over the first runs and stayed there
///   (18 MB to 36 MB with 1,000 tables; 22 MB with one arena, no slower).
/// - `MALLOC_MMAP_THRESHOLD_=131072`: glibc's own starting threshold, fixed.
///   By default each freed block above it raises the threshold to its size,
///   so the next such blocks (listings and reports of many tables) come from
///   the heap and leave holes there: 19 MB after one run of 1,000 tables,
///   25 MB after 100; with the threshold fixed, 23 MB from the 10th run on.
///
/// When one is missing the server runs itself again, once, with it set
/// (`exec`, the same process). A C library that ignores them loses nothing.
fn with_tuned_malloc() {
    use std::os::unix::process::CommandExt;
    const SETTINGS: [(&str, &str); 2] = [
        ("MALLOC_ARENA_MAX", "1"),
        ("MALLOC_MMAP_THRESHOLD_", "131072"),
    ];
    let missing: Vec<_> = SETTINGS
        .iter()
        .filter(|(name, _)| std::env::var_os(name).is_none())
        .collect();
    if missing.is_empty() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    // Returns only when exec failed: go on as we are.
    let _ = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .envs(missing.iter().map(|(name, value)| (name, value)))
        .exec();
}
