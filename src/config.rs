//! The server's configuration: a TOML file, overridden by command-line flags,
//! validated before anything is bound or started.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use tablesafe_engine::catalog::{check_name, CatalogConfig, TableSpec};
use tablesafe_engine::control::EngineConfig;
use tablesafe_engine::erlang::NodeConfig;
use tablesafe_engine::events::DEFAULT_RING_SIZE;
use tablesafe_engine::health::Thresholds;
use tablesafe_engine::monitor::MonitorConfig;
use tablesafe_engine::offsite::{Destination, DestinationConfig, S3Settings, Sealing};
use tablesafe_engine::pipeline::PipelineOptions;
use tablesafe_engine::scheduler::{Schedule, DEFAULT_SCHEDULE};

use crate::auth::Tokens;
use crate::listener::Limits;

/// The default listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:50051";
/// Environment variable holding the admin token.
pub const ADMIN_TOKEN_ENV: &str = "TABLESAFE_ADMIN_TOKEN";
/// Environment variable holding the read token.
pub const READ_TOKEN_ENV: &str = "TABLESAFE_READ_TOKEN";

/// The config file, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileConfig {
    /// Address to listen on.
    pub listen: Option<String>,
    /// Directories holding the application's `*.dets` files.
    pub data_dirs: Vec<PathBuf>,
    /// Directory that receives the backups.
    pub backup_dir: Option<PathBuf>,
    /// Back up files found but not listed in `[[tables]]`.
    pub backup_orphans: bool,
    /// How long shutdown waits for work in progress.
    pub shutdown_grace: Option<String>,
    /// `[backup]`.
    pub backup: BackupSection,
    /// `[auth]`.
    pub auth: AuthSection,
    /// `[health]`.
    pub health: HealthSection,
    /// `[events]`.
    pub events: EventsSection,
    /// `[verify]`.
    pub verify: VerifySection,
    /// `[drill]`.
    pub drill: DrillSection,
    /// `[erlang]`.
    pub erlang: Option<ErlangSection>,
    /// `[tls]`.
    pub tls: Option<TlsSection>,
    /// `[metrics]`.
    pub metrics: MetricsSection,
    /// `[server]`.
    pub server: ServerSection,
    /// Take symlinks in a data directory that lead out of it for tables.
    pub follow_symlinks: bool,
    /// `[[tables]]`.
    pub tables: Vec<TableSpec>,
    /// `[[offsite]]`: where every verified backup is also stored.
    pub offsite: Vec<OffsiteSection>,
}

/// `[[offsite]]` in the config file: an S3-compatible destination.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OffsiteSection {
    /// Its name in health, metrics and events (default `offsite`).
    pub name: Option<String>,
    /// `https://...`; `http://...` only with `allow_http`.
    pub endpoint: String,
    /// The region requests are signed for (default `us-east-1`).
    pub region: Option<String>,
    /// The bucket.
    pub bucket: String,
    /// Key prefix inside the bucket.
    pub prefix: Option<String>,
    /// Path-style requests (`endpoint/bucket/key`), as most self-hosted stores want.
    pub path_style: bool,
    /// Allow a plain-HTTP endpoint.
    pub allow_http: bool,
    /// Environment variable holding the access key id (default `AWS_ACCESS_KEY_ID`).
    pub access_key_id_env: Option<String>,
    /// Environment variable holding the secret key (default `AWS_SECRET_ACCESS_KEY`).
    pub secret_access_key_env: Option<String>,
    /// A TOML file with `access_key_id` and `secret_access_key`, used when
    /// the environment variables are not set.
    pub credentials_file: Option<PathBuf>,
    /// This host's name in the bucket's layout (default: the machine's host name).
    pub host: Option<String>,
    /// Remote copies kept per table (default 3).
    pub keep: Option<usize>,
    /// Also keep the newest copy of each of the latest N days (default 0).
    pub keep_daily: Option<usize>,
    /// Also keep the newest copy of each of the latest N ISO weeks (default 0).
    pub keep_weekly: Option<usize>,
    /// Also keep the newest copy of each of the latest N months (default 0).
    pub keep_monthly: Option<usize>,
    /// A newest remote copy older than this is lagging (default 48h).
    pub stale_after: Option<String>,
    /// Time before a failed upload is tried again (default 60s).
    pub retry_interval: Option<String>,
    /// Time between passes while in step (default 1h).
    pub resync_interval: Option<String>,
    /// Bytes per multipart part (default 16 MiB; 5 MiB to 5 GiB).
    pub part_size_bytes: Option<usize>,
    /// `"zstd"` compresses copies before they leave (default `"none"`).
    pub compression: Option<String>,
    /// The zstd level (default 3).
    pub compression_level: Option<i32>,
    /// age X25519 recipients (`age1...`): copies are encrypted to them before
    /// they leave; restoring needs one of their identities. With recipients
    /// (here or in `recipients_file`) tablesafe does not start unless it can
    /// encrypt to every one.
    pub recipients: Vec<String>,
    /// A file of age recipients, one per line (`#` comments).
    pub recipients_file: Option<PathBuf>,
    /// Remote copies downloaded and checked on each verify round (default 1; 0 for none).
    pub verify_sample: Option<usize>,
    /// Time between verify rounds (default 24h).
    pub verify_interval: Option<String>,
}

/// The credentials file of an `[[offsite]]` destination.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    access_key_id: String,
    secret_access_key: String,
}

/// `[server]` in the config file: what clients may hold.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// Connections open at once (default 1024); more are closed on arrival.
    pub max_connections: Option<usize>,
    /// Time a new connection has to send its first byte (default 10s).
    pub first_byte_timeout: Option<String>,
    /// Time a connection may pass with nothing read or written (default
    /// 5m, and at least four heartbeat intervals).
    pub idle_timeout: Option<String>,
    /// How often HTTP/2 connections are pinged (default 30s); one that does
    /// not answer within the interval (at most 10s) is closed.
    pub keepalive_interval: Option<String>,
}

const MAX_CONNECTIONS: usize = 1_000_000;

/// `[metrics]` in the config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSection {
    /// Serve `/metrics` without the read token (it names every table and its
    /// figures). Off: with a read token configured, Prometheus must send it.
    pub public: bool,
}

/// The largest values the sizes of the config file may take: beyond them a
/// value is a typo, and taking it would exhaust memory or file descriptors.
const MAX_RING_SIZE: usize = 1_000_000;
const MAX_KEEP: usize = 10_000;
const MAX_CONCURRENCY: usize = 256;
const MAX_SETTLE_ATTEMPTS: u32 = 1_000;

/// `[backup]` in the config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupSection {
    /// 5-field cron expression in UTC, or `off`.
    pub schedule: Option<String>,
    /// Backups kept per table.
    pub keep: Option<usize>,
    /// Tables copied at the same time (a table waiting for the directory
    /// fsync that makes its rename durable no longer counts).
    pub concurrency: Option<usize>,
    /// Copies tried while the source changes during the copy.
    pub settle_attempts: Option<u32>,
    /// Delay before a catch-up run at start-up.
    pub catch_up_delay: Option<String>,
    /// Free bytes required on the backup volume beyond a table's size.
    pub free_space_margin_bytes: Option<u64>,
}

/// `[health]` in the config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HealthSection {
    /// A last good backup older than this is stale (default 48h).
    pub stale_after: Option<String>,
    /// Fragmentation ratio above which a table is flagged (default 0.5).
    pub fragmentation_warn: Option<f64>,
    /// Free bytes on the backup volume below which it is flagged (default 0).
    pub min_free_bytes: Option<u64>,
    /// Time between refreshes of the snapshot (default 60s).
    pub refresh_interval: Option<String>,
}

/// `[verify]` in the config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VerifySection {
    /// Time between scrubs of every retained backup (default 24h), or `off`.
    pub scrub_interval: Option<String>,
}

/// `[drill]` in the config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DrillSection {
    /// `after-backup` (default: every table drilled after each scheduled
    /// run) or `off` (drills only on request, and no drill issues in health).
    pub schedule: Option<String>,
    /// A last drill older than this is DRILL_STALE (default 8d).
    pub stale_after: Option<String>,
}

impl DrillSection {
    /// Whether drills follow scheduled runs, and when a last drill is stale
    /// (`None`: drills are off).
    fn checked(&self) -> Result<(bool, Option<Duration>), ConfigError> {
        let on = match self.schedule.as_deref() {
            None | Some("after-backup") => true,
            Some("off") => false,
            Some(other) => {
                return Err(invalid(format!(
                    "drill.schedule {other:?}: say \"after-backup\" or \"off\""
                )))
            }
        };
        let stale_after = positive_duration(
            "drill.stale_after",
            self.stale_after.clone(),
            tablesafe_engine::health::DRILL_STALE_AFTER,
        )?;
        Ok((on, on.then_some(stale_after)))
    }
}

/// `[events]` in the config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventsSection {
    /// Events kept for replay (default 1024).
    pub ring_size: Option<usize>,
    /// Time between heartbeats on open streams (default 15s).
    pub heartbeat_interval: Option<String>,
}

/// `[erlang]` in the config file: the node that holds the tables open.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ErlangSection {
    /// `name@host`, for example `app@localhost`.
    pub node: String,
    /// File holding the node's cookie (`TABLESAFE_ERLANG_COOKIE` wins).
    pub cookie_file: Option<PathBuf>,
    /// Longest wait for a connection or a call (default 5s).
    pub timeout: Option<String>,
}

/// `[tls]` in the config file: serve gRPC and HTTP over TLS (rustls).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSection {
    /// PEM certificate chain of the server.
    pub cert_file: PathBuf,
    /// PEM private key of the server.
    pub key_file: PathBuf,
    /// PEM CA bundle: when set, clients must present a certificate it signed.
    pub client_ca_file: Option<PathBuf>,
}

/// TLS material, read and checked before anything is bound.
#[derive(Clone)]
pub struct TlsFiles {
    /// PEM certificate chain.
    pub cert: Vec<u8>,
    /// PEM private key.
    pub key: Vec<u8>,
    /// PEM CA bundle for client certificates.
    pub client_ca: Option<Vec<u8>>,
}

impl std::fmt::Debug for TlsFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsFiles")
            .field("client_certificates", &self.client_ca.is_some())
            .finish_non_exhaustive()
    }
}

/// Environment variable holding the Erlang cookie.
pub const ERLANG_COOKIE_ENV: &str = "TABLESAFE_ERLANG_COOKIE";

/// `[auth]` in the config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSection {
    /// File holding the admin token (`TABLESAFE_ADMIN_TOKEN` wins).
    pub admin_token_file: Option<PathBuf>,
    /// File holding the read token (`TABLESAFE_READ_TOKEN` wins).
    pub read_token_file: Option<PathBuf>,
}

/// Command-line values that override the file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--listen`.
    pub listen: Option<String>,
    /// `--data-dir` (replaces the file's list).
    pub data_dirs: Vec<PathBuf>,
    /// `--backup-dir`.
    pub backup_dir: Option<PathBuf>,
    /// `--keep`.
    pub keep: Option<usize>,
    /// `--schedule`.
    pub schedule: Option<String>,
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The engine's settings.
    pub engine: EngineConfig,
    /// Tokens.
    pub tokens: Tokens,
    /// How long shutdown waits for work in progress.
    pub shutdown_grace: Duration,
    /// The health monitor's settings.
    pub health: MonitorConfig,
    /// Events kept for replay.
    pub ring_size: usize,
    /// Time between heartbeats on open streams.
    pub heartbeat_interval: Duration,
    /// The Erlang node to sync tables through, when configured.
    pub erlang: Option<NodeConfig>,
    /// TLS, when configured (checked: the server can be built with it).
    pub tls: Option<TlsFiles>,
    /// `/metrics` answers without the read token.
    pub metrics_public: bool,
    /// Connection limits and deadlines.
    pub limits: Limits,
    /// Offsite destinations.
    pub offsite: Vec<Destination>,
}

/// What is wrong with a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema.
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message (line and column included).
        message: String,
    },
    /// A value is out of range or inconsistent.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// What `restore --from-offsite` reads from the server's config file.
#[derive(Debug)]
pub struct OffsiteRestoreSetup {
    /// The destinations, their credentials read.
    pub destinations: Vec<Destination>,
    /// Directories a restore to a path must not write into (data and backup).
    pub protected: Vec<PathBuf>,
    /// The server's backup directory: an in-place restore imports the
    /// remote copy there for the server to restore.
    pub backup_dir: Option<PathBuf>,
}

impl FileConfig {
    /// Reads a TOML file; relative paths in it are taken from its directory.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        let mut config: Self = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.into(),
            message: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        config.data_dirs.iter_mut().for_each(resolve);
        config.backup_dir.iter_mut().for_each(resolve);
        config.auth.admin_token_file.iter_mut().for_each(resolve);
        config.auth.read_token_file.iter_mut().for_each(resolve);
        if let Some(erlang) = config.erlang.as_mut() {
            erlang.cookie_file.iter_mut().for_each(resolve);
        }
        for offsite in &mut config.offsite {
            offsite.credentials_file.iter_mut().for_each(resolve);
            offsite.recipients_file.iter_mut().for_each(resolve);
        }
        if let Some(tls) = config.tls.as_mut() {
            resolve(&mut tls.cert_file);
            resolve(&mut tls.key_file);
            tls.client_ca_file.iter_mut().for_each(resolve);
        }
        Ok(config)
    }

    /// What a restore from offsite on this machine needs (see
    /// [`OffsiteRestoreSetup`]); the server not involved.
    pub fn offsite_restore(
        self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<OffsiteRestoreSetup, ConfigError> {
        let mut protected = self.data_dirs;
        protected.extend(self.backup_dir.clone());
        Ok(OffsiteRestoreSetup {
            destinations: offsite_destinations(self.offsite, env)?,
            protected,
            backup_dir: self.backup_dir,
        })
    }

    /// Applies overrides and checks everything; reads the tokens.
    pub fn resolve(
        self,
        overrides: Overrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let listen = listen_address(overrides.listen.or(self.listen))?;
        let data_dirs = if overrides.data_dirs.is_empty() {
            self.data_dirs
        } else {
            overrides.data_dirs
        };
        let backup_dir = overrides.backup_dir.or(self.backup_dir);
        let backup_dir = check_directories(&data_dirs, backup_dir)?;
        check_tables(&self.tables)?;
        let pipeline = self.backup.pipeline(overrides.keep)?;
        let (drill_after_backup, drill_stale_after) = self.drill.checked()?;
        let mut health = self.health.monitor(pipeline.free_space_margin)?;
        health.thresholds.drill_stale_after = drill_stale_after;
        let events = self.events.checked()?;
        let erlang = self.erlang.map(|s| s.node(env)).transpose()?;
        let tls = self.tls.as_ref().map(TlsSection::load).transpose()?;
        let limits = self.server.limits(events.heartbeat_interval)?;
        let offsite = offsite_destinations(self.offsite, env)?;
        let tokens = Tokens::load(
            env(ADMIN_TOKEN_ENV),
            self.auth.admin_token_file.as_deref(),
            env(READ_TOKEN_ENV),
            self.auth.read_token_file.as_deref(),
        )
        .map_err(ConfigError::Invalid)?;
        Ok(Config {
            listen,
            engine: EngineConfig {
                catalog: CatalogConfig {
                    data_dirs,
                    tables: self.tables,
                    backup_orphans: self.backup_orphans,
                    follow_symlinks: self.follow_symlinks,
                },
                backup_dir,
                schedule: self.backup.schedule(overrides.schedule)?,
                concurrency: self.backup.concurrency()?,
                catch_up_delay: duration(
                    "backup.catch_up_delay",
                    self.backup.catch_up_delay,
                    defaults::CATCH_UP_DELAY,
                )?,
                pipeline,
                clock: tablesafe_engine::clock::Clock::System,
                scrub_interval: self.verify.scrub_interval()?,
                drill_after_backup,
            },
            tokens,
            shutdown_grace: duration(
                "shutdown_grace",
                self.shutdown_grace,
                defaults::SHUTDOWN_GRACE,
            )?,
            health,
            ring_size: events.ring_size,
            heartbeat_interval: events.heartbeat_interval,
            erlang,
            tls,
            metrics_public: self.metrics.public,
            limits,
            offsite,
        })
    }
}

/// The defaults of settings only the server has; the engine's own (keep,
/// settle attempts, free-space margin, health thresholds) are its types'
/// `Default`s.
mod defaults {
    use std::time::Duration;

    pub const CONCURRENCY: usize = 2;
    pub const CATCH_UP_DELAY: Duration = Duration::from_secs(30);
    pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
    pub const REFRESH_INTERVAL: Duration = Duration::from_secs(60);
    pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(15);
    pub const SCRUB_INTERVAL: Duration = Duration::from_secs(24 * 3600);
    pub const ERLANG_TIMEOUT: Duration = Duration::from_secs(5);
}

/// An address, or host:port with a name (`localhost:50051`): the first
/// address the name resolves to.
fn listen_address(text: Option<String>) -> Result<SocketAddr, ConfigError> {
    let text = text.unwrap_or_else(|| DEFAULT_LISTEN.into());
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    std::net::ToSocketAddrs::to_socket_addrs(&text)
        .map_err(|e| invalid(format!("listen address {text:?}: {e}")))?
        .next()
        .ok_or_else(|| invalid(format!("listen address {text:?} resolves to nothing")))
}

/// There are data directories and a backup directory, and they do not
/// overlap as the kernel resolves them (through symlinks and `..`).
fn check_directories(
    data_dirs: &[PathBuf],
    backup_dir: Option<PathBuf>,
) -> Result<PathBuf, ConfigError> {
    if data_dirs.is_empty() {
        return Err(invalid(
            "no data directory: give --data-dir or data_dirs".into(),
        ));
    }
    let backup_dir = backup_dir
        .ok_or_else(|| invalid("no backup directory: give --backup-dir or backup_dir".into()))?;
    let backup_real = canonical(&backup_dir);
    if let Some(d) = data_dirs.iter().find(|d| {
        let d = canonical(d);
        backup_real.starts_with(&d) || d.starts_with(&backup_real)
    }) {
        return Err(invalid(format!(
            "backup directory {} overlaps data directory {}: keep them apart",
            backup_dir.display(),
            d.display()
        )));
    }
    Ok(backup_dir)
}

/// Every `[[tables]]` name is plain and listed once.
fn check_tables(tables: &[TableSpec]) -> Result<(), ConfigError> {
    let mut names = std::collections::HashSet::new();
    for spec in tables {
        check_name(&spec.name).map_err(|e| invalid(e.to_string()))?;
        if !names.insert(spec.name.as_str()) {
            return Err(invalid(format!(
                "[[tables]] lists {:?} twice: each table once",
                spec.name
            )));
        }
    }
    Ok(())
}

impl BackupSection {
    fn pipeline(&self, keep: Option<usize>) -> Result<PipelineOptions, ConfigError> {
        let defaults = PipelineOptions::default();
        let keep = keep.or(self.keep).unwrap_or(defaults.keep);
        in_range("backup.keep", keep, 1, MAX_KEEP)?;
        let settle_attempts = self.settle_attempts.unwrap_or(defaults.settle_attempts);
        in_range(
            "backup.settle_attempts",
            settle_attempts,
            1,
            MAX_SETTLE_ATTEMPTS,
        )?;
        Ok(PipelineOptions {
            keep,
            settle_attempts,
            free_space_margin: self
                .free_space_margin_bytes
                .unwrap_or(defaults.free_space_margin),
        })
    }

    /// The schedule, which must fire some day.
    fn schedule(&self, text: Option<String>) -> Result<Schedule, ConfigError> {
        let text = text
            .or_else(|| self.schedule.clone())
            .unwrap_or_else(|| DEFAULT_SCHEDULE.into());
        let schedule: Schedule = text
            .parse()
            .map_err(|e: tablesafe_engine::scheduler::ScheduleError| invalid(e.to_string()))?;
        if matches!(schedule, Schedule::Cron { .. })
            && schedule.next_after(chrono::Utc::now()).is_none()
        {
            return Err(invalid(format!(
                "backup.schedule {text:?} never fires (no such date): fix it, or say \"off\""
            )));
        }
        Ok(schedule)
    }

    fn concurrency(&self) -> Result<usize, ConfigError> {
        let concurrency = self.concurrency.unwrap_or(defaults::CONCURRENCY);
        in_range("backup.concurrency", concurrency, 1, MAX_CONCURRENCY)?;
        Ok(concurrency)
    }
}

impl HealthSection {
    fn monitor(self, free_space_margin: u64) -> Result<MonitorConfig, ConfigError> {
        let defaults = Thresholds::default();
        let fragmentation_warn = self
            .fragmentation_warn
            .unwrap_or(defaults.fragmentation_warn);
        if !(0.0..=1.0).contains(&fragmentation_warn) {
            return Err(invalid(format!(
                "health.fragmentation_warn {fragmentation_warn} must be between 0 and 1"
            )));
        }
        Ok(MonitorConfig {
            thresholds: Thresholds {
                stale_after: duration(
                    "health.stale_after",
                    self.stale_after,
                    defaults.stale_after,
                )?,
                fragmentation_warn,
                min_free_bytes: self.min_free_bytes.unwrap_or(defaults.min_free_bytes),
                drill_stale_after: defaults.drill_stale_after,
            },
            refresh_interval: positive_duration(
                "health.refresh_interval",
                self.refresh_interval,
                defaults::REFRESH_INTERVAL,
            )?,
            free_space_margin,
        })
    }
}

impl VerifySection {
    /// Time between scrubs; `None` for `off`.
    fn scrub_interval(&self) -> Result<Option<Duration>, ConfigError> {
        match self.scrub_interval.as_deref() {
            Some("off") => Ok(None),
            other => positive_duration(
                "verify.scrub_interval",
                other.map(Into::into),
                defaults::SCRUB_INTERVAL,
            )
            .map(Some),
        }
    }
}

/// The `[events]` settings, checked.
struct EventSettings {
    ring_size: usize,
    heartbeat_interval: Duration,
}

impl EventsSection {
    fn checked(&self) -> Result<EventSettings, ConfigError> {
        let ring_size = self.ring_size.unwrap_or(DEFAULT_RING_SIZE);
        in_range("events.ring_size", ring_size, 1, MAX_RING_SIZE)?;
        Ok(EventSettings {
            ring_size,
            heartbeat_interval: positive_duration(
                "events.heartbeat_interval",
                self.heartbeat_interval.clone(),
                defaults::HEARTBEAT_INTERVAL,
            )?,
        })
    }
}

impl ErlangSection {
    /// The node to call, with its cookie (from the environment first).
    fn node(self, env: &dyn Fn(&str) -> Option<String>) -> Result<NodeConfig, ConfigError> {
        if !self.node.contains('@') {
            return Err(invalid(format!(
                "erlang.node {:?} must be name@host",
                self.node
            )));
        }
        let cookie = match (env(ERLANG_COOKIE_ENV), &self.cookie_file) {
            (Some(c), _) => c,
            (None, Some(path)) => std::fs::read_to_string(path).map_err(|e| {
                invalid(format!(
                    "cannot read erlang.cookie_file {}: {e}",
                    path.display()
                ))
            })?,
            (None, None) => {
                return Err(invalid(
                    "no Erlang cookie: set TABLESAFE_ERLANG_COOKIE or erlang.cookie_file".into(),
                ))
            }
        };
        Ok(NodeConfig {
            node: self.node,
            cookie: cookie.trim().to_owned(),
            timeout: positive_duration("erlang.timeout", self.timeout, defaults::ERLANG_TIMEOUT)?,
        })
    }
}

/// Every `[[offsite]]` destination, checked, with its credentials read.
fn offsite_destinations(
    sections: Vec<OffsiteSection>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Destination>, ConfigError> {
    let mut names = std::collections::HashSet::new();
    let mut destinations = Vec::new();
    for section in sections {
        let destination = section.destination(env)?;
        if !names.insert(destination.config.name.clone()) {
            return Err(invalid(format!(
                "two [[offsite]] destinations are named {:?}: give each a name",
                destination.config.name
            )));
        }
        destinations.push(destination);
    }
    Ok(destinations)
}

/// S3's smallest part but the last, and its largest.
const MIN_PART: usize = 5 << 20;
const MAX_PART: usize = 5 << 30;

impl OffsiteSection {
    fn destination(self, env: &dyn Fn(&str) -> Option<String>) -> Result<Destination, ConfigError> {
        let name = self.name.clone().unwrap_or_else(|| "offsite".into());
        let field = |f: &str| format!("offsite {name:?}: {f}");
        check_name(&name).map_err(|e| invalid(field(&e.to_string())))?;
        if self.bucket.is_empty() {
            return Err(invalid(field("no bucket")));
        }
        match self.endpoint.split_once("://").map(|(scheme, _)| scheme) {
            Some("https") => {}
            Some("http") if self.allow_http => {}
            Some("http") => {
                return Err(invalid(field(
                    "endpoint is plain http: the data would be readable on the way; use https or set allow_http = true",
                )))
            }
            _ => {
                return Err(invalid(field(&format!(
                    "endpoint {:?} is not an http(s) URL",
                    self.endpoint
                ))))
            }
        }
        let sealing = self.sealing(&field)?;
        let (access_key_id, secret_access_key) = self.credentials(env, &field)?;
        let host = match self.host {
            Some(host) => host,
            None => this_host().ok_or_else(|| {
                invalid(field("this machine's host name cannot be read: set host"))
            })?,
        };
        check_name(&host).map_err(|e| invalid(field(&format!("host: {e}"))))?;
        let mut config = DestinationConfig::new(&name, self.prefix.as_deref().unwrap_or(""), &host);
        if let Some(keep) = self.keep {
            if keep == 0 || keep > MAX_KEEP {
                return Err(invalid(field(&format!("keep must be 1 to {MAX_KEEP}"))));
            }
            config.retention.keep = keep;
        }
        for (count, slot, what) in [
            (self.keep_daily, &mut config.retention.daily, "keep_daily"),
            (
                self.keep_weekly,
                &mut config.retention.weekly,
                "keep_weekly",
            ),
            (
                self.keep_monthly,
                &mut config.retention.monthly,
                "keep_monthly",
            ),
        ] {
            if let Some(count) = count {
                if count > MAX_KEEP {
                    return Err(invalid(field(&format!("{what} must be 0 to {MAX_KEEP}"))));
                }
                *slot = count;
            }
        }
        config.stale_after =
            positive_duration(&field("stale_after"), self.stale_after, config.stale_after)?;
        config.retry_interval = positive_duration(
            &field("retry_interval"),
            self.retry_interval,
            config.retry_interval,
        )?;
        config.resync_interval = positive_duration(
            &field("resync_interval"),
            self.resync_interval,
            config.resync_interval,
        )?;
        if let Some(part) = self.part_size_bytes {
            if !(MIN_PART..=MAX_PART).contains(&part) {
                return Err(invalid(field("part_size_bytes must be 5 MiB to 5 GiB")));
            }
            config.part_size = part;
        }
        config.sealing = sealing;
        if let Some(sample) = self.verify_sample {
            config.verify_sample = sample;
        }
        config.verify_interval = positive_duration(
            &field("verify_interval"),
            self.verify_interval,
            config.verify_interval,
        )?;
        let settings = S3Settings {
            endpoint: self.endpoint,
            region: self.region.unwrap_or_else(|| "us-east-1".into()),
            bucket: self.bucket,
            access_key_id,
            secret_access_key,
            path_style: self.path_style,
            allow_http: self.allow_http,
        };
        let store = settings.connect().map_err(|e| invalid(field(&e)))?;
        Ok(Destination { config, store })
    }

    /// How copies are sealed: refused unless every recipient can be
    /// encrypted to.
    fn sealing(&self, field: &dyn Fn(&str) -> String) -> Result<Sealing, ConfigError> {
        let level = match self.compression.as_deref() {
            None | Some("none") => {
                if self.compression_level.is_some() {
                    return Err(invalid(field(
                        "compression_level without compression = \"zstd\"",
                    )));
                }
                None
            }
            Some("zstd") => Some(self.compression_level.unwrap_or(3)),
            Some(other) => {
                return Err(invalid(field(&format!(
                    "compression {other:?} is not one of \"none\", \"zstd\""
                ))))
            }
        };
        let mut recipients = self.recipients.clone();
        if let Some(path) = &self.recipients_file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                invalid(field(&format!(
                    "cannot read recipients_file {}: {e}; copies are not sent unencrypted",
                    path.display()
                )))
            })?;
            let listed: Vec<String> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned)
                .collect();
            if listed.is_empty() {
                return Err(invalid(field(&format!(
                    "recipients_file {} names no recipient; copies are not sent unencrypted",
                    path.display()
                ))));
            }
            recipients.extend(listed);
        }
        Sealing::new(level, &recipients).map_err(|e| {
            let unsent = if recipients.is_empty() {
                ""
            } else {
                "; copies are not sent unencrypted"
            };
            invalid(field(&format!("{e}{unsent}")))
        })
    }

    /// The key pair: from the environment when both variables are set, else
    /// from the credentials file.
    fn credentials(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
        field: &dyn Fn(&str) -> String,
    ) -> Result<(String, String), ConfigError> {
        let id_var = self
            .access_key_id_env
            .as_deref()
            .unwrap_or("AWS_ACCESS_KEY_ID");
        let secret_var = self
            .secret_access_key_env
            .as_deref()
            .unwrap_or("AWS_SECRET_ACCESS_KEY");
        if let (Some(id), Some(secret)) = (env(id_var), env(secret_var)) {
            return Ok((id.trim().to_owned(), secret.trim().to_owned()));
        }
        let Some(path) = &self.credentials_file else {
            return Err(invalid(field(&format!(
                "no credentials: set {id_var} and {secret_var}, or credentials_file"
            ))));
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            invalid(field(&format!(
                "cannot read credentials_file {}: {e}",
                path.display()
            )))
        })?;
        let file: CredentialsFile = toml::from_str(&text)
            .map_err(|e| invalid(field(&format!("credentials_file {}: {e}", path.display()))))?;
        Ok((file.access_key_id, file.secret_access_key))
    }
}

/// The machine's host name, as the kernel has it.
fn this_host() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()?;
    Some(name.trim().to_owned()).filter(|n| !n.is_empty())
}

impl TlsSection {
    /// The PEM files, read and built into a server config once here, so that
    /// a bad PEM stops start-up before the port is bound, naming the files.
    fn load(&self) -> Result<TlsFiles, ConfigError> {
        let read_pem = |what: &str, path: &Path| {
            std::fs::read(path)
                .map_err(|e| invalid(format!("cannot read tls.{what} {}: {e}", path.display())))
        };
        let files = TlsFiles {
            cert: read_pem("cert_file", &self.cert_file)?,
            key: read_pem("key_file", &self.key_file)?,
            client_ca: self
                .client_ca_file
                .as_deref()
                .map(|p| read_pem("client_ca_file", p))
                .transpose()?,
        };
        tonic::transport::Server::builder()
            .tls_config(crate::server::tls_settings(&files))
            .map_err(|e| {
                invalid(format!(
                    "tls.cert_file {} / tls.key_file {}{}: not a usable certificate and key: {}",
                    self.cert_file.display(),
                    self.key_file.display(),
                    self.client_ca_file
                        .as_ref()
                        .map(|p| format!(" / tls.client_ca_file {}", p.display()))
                        .unwrap_or_default(),
                    error_chain(&e)
                ))
            })?;
        Ok(files)
    }
}

impl ServerSection {
    /// The connection limits, with idle connections outliving heartbeats.
    fn limits(self, heartbeat_interval: Duration) -> Result<Limits, ConfigError> {
        let mut limits = Limits::for_heartbeat(heartbeat_interval);
        if let Some(max) = self.max_connections {
            in_range("server.max_connections", max, 1, MAX_CONNECTIONS)?;
            limits.max_connections = max;
        }
        limits.first_byte = positive_duration(
            "server.first_byte_timeout",
            self.first_byte_timeout,
            limits.first_byte,
        )?;
        if let Some(text) = self.idle_timeout {
            limits.idle = duration("server.idle_timeout", Some(text), limits.idle)?;
            if limits.idle <= heartbeat_interval {
                return Err(invalid(format!(
                    "server.idle_timeout {} must be longer than events.heartbeat_interval {}: event streams would be cut",
                    humantime::format_duration(limits.idle),
                    humantime::format_duration(heartbeat_interval)
                )));
            }
        }
        limits.keepalive = positive_duration(
            "server.keepalive_interval",
            self.keepalive_interval,
            limits.keepalive,
        )?;
        Ok(limits)
    }
}

fn invalid(message: String) -> ConfigError {
    ConfigError::Invalid(message)
}

/// `value` of `field` must be within `min..=max`.
fn in_range<T: PartialOrd + std::fmt::Display>(
    field: &str,
    value: T,
    min: T,
    max: T,
) -> Result<(), ConfigError> {
    if value < min || value > max {
        return Err(ConfigError::Invalid(format!(
            "{field} {value} is out of range: {min} to {max}"
        )));
    }
    Ok(())
}

/// An error and its sources, as one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// `field`'s duration as written (`90s`, `2h`), or `default`.
fn duration(
    field: &str,
    value: Option<String>,
    default: Duration,
) -> Result<Duration, ConfigError> {
    match value {
        None => Ok(default),
        Some(text) => {
            humantime::parse_duration(&text).map_err(|e| invalid(format!("{field} {text:?}: {e}")))
        }
    }
}

/// [`duration`], which must be longer than zero.
fn positive_duration(
    field: &str,
    value: Option<String>,
    default: Duration,
) -> Result<Duration, ConfigError> {
    let value = duration(field, value, default)?;
    if value.is_zero() {
        return Err(invalid(format!("{field} must be longer than zero")));
    }
    Ok(value)
}

/// `path` with symlinks and `..` resolved as far as it exists; the part that
/// does not exist yet (a backup directory to be made) is appended as written.
fn canonical(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            return rest.iter().rev().fold(real, |p, part| p.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn admin_env(name: &str) -> Option<String> {
        (name == ADMIN_TOKEN_ENV).then(|| "secret".into())
    }

    fn minimal() -> FileConfig {
        FileConfig {
            data_dirs: vec!["/srv/app/data".into()],
            backup_dir: Some("/srv/app/backups".into()),
            ..Default::default()
        }
    }

    #[test]
    fn the_readmes_configuration_is_every_option_and_only_real_ones() {
        let readme = include_str!("../README.md");
        let section = readme.split("## Configuration").nth(1).unwrap();
        let block = section
            .split("```toml\n")
            .nth(1)
            .and_then(|b| b.split("```").next())
            .unwrap();
        let file: FileConfig = toml::from_str(block).unwrap_or_else(|e| panic!("{e}"));
        assert!(!file.follow_symlinks && !file.metrics.public);
        assert_eq!(file.server.max_connections, Some(1024));
        assert!(file.tls.is_some() && file.erlang.is_some());
    }

    #[test]
    fn defaults_are_loopback_daily_and_keep_three() {
        let config = minimal().resolve(Overrides::default(), &admin_env).unwrap();
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(config.engine.pipeline.keep, 3);
        assert_eq!(config.engine.schedule.describe(), "0 3 * * *");
        assert_eq!(config.shutdown_grace, Duration::from_secs(10));
    }

    #[test]
    fn a_full_file_parses_and_flags_override_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tablesafe.toml");
        std::fs::write(dir.path().join("admin.token"), "from-file\n").unwrap();
        std::fs::write(
            &path,
            r#"
listen = "127.0.0.1:6000"
data_dirs = ["data"]
backup_dir = "backups"
shutdown_grace = "3s"
[backup]
schedule = "off"
keep = 5
concurrency = 4
[auth]
admin_token_file = "admin.token"
[[tables]]
name = "users"
critical = true
"#,
        )
        .unwrap();
        let file = FileConfig::load(&path).unwrap();
        let overrides = Overrides {
            keep: Some(7),
            ..Default::default()
        };
        let config = file.resolve(overrides, &no_env).unwrap();
        assert_eq!(config.listen.port(), 6000);
        assert_eq!(config.engine.catalog.data_dirs, [dir.path().join("data")]);
        assert_eq!(config.engine.pipeline.keep, 7);
        assert_eq!(config.engine.concurrency, 4);
        assert!(matches!(config.engine.schedule, Schedule::Off));
        assert!(config.tokens.admin_matches("from-file"));
        assert!(config.engine.catalog.tables[0].critical);
    }

    #[test]
    fn bad_configs_say_what_is_wrong() {
        let cases: Vec<(FileConfig, &str)> = vec![
            (
                FileConfig {
                    data_dirs: vec![],
                    ..minimal()
                },
                "no data directory",
            ),
            (
                FileConfig {
                    backup_dir: None,
                    ..minimal()
                },
                "no backup directory",
            ),
            (
                FileConfig {
                    backup_dir: Some("/srv/app/data/backups".into()),
                    ..minimal()
                },
                "overlaps",
            ),
            (
                FileConfig {
                    listen: Some("nowhere".into()),
                    ..minimal()
                },
                "listen address",
            ),
            (
                FileConfig {
                    backup: BackupSection {
                        schedule: Some("0 3 * *".into()),
                        ..Default::default()
                    },
                    ..minimal()
                },
                "schedule",
            ),
            (
                FileConfig {
                    backup: BackupSection {
                        keep: Some(0),
                        ..Default::default()
                    },
                    ..minimal()
                },
                "keep",
            ),
        ];
        for (file, expected) in cases {
            let err = file
                .resolve(Overrides::default(), &admin_env)
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{err}");
        }
        let err = minimal()
            .resolve(Overrides::default(), &no_env)
            .unwrap_err()
            .to_string();
        assert!(err.contains("TABLESAFE_ADMIN_TOKEN"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "listen = 5\nunknown = true\n").unwrap();
        assert!(matches!(
            FileConfig::load(&path),
            Err(ConfigError::Parse { .. })
        ));
    }
}
