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
    /// Tables copied at the same time.
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
        if let Some(tls) = config.tls.as_mut() {
            resolve(&mut tls.cert_file);
            resolve(&mut tls.key_file);
            tls.client_ca_file.iter_mut().for_each(resolve);
        }
        Ok(config)
    }

    /// Applies overrides and checks everything; reads the tokens.
    pub fn resolve(
        self,
        overrides: Overrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let invalid = |m: String| ConfigError::Invalid(m);
        let listen = overrides
            .listen
            .or(self.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.into());
        // An address, or host:port with a name (`localhost:50051`): the
        // first address the name resolves to.
        let listen: SocketAddr = match listen.parse() {
            Ok(addr) => addr,
            Err(_) => std::net::ToSocketAddrs::to_socket_addrs(&listen)
                .map_err(|e| invalid(format!("listen address {listen:?}: {e}")))?
                .next()
                .ok_or_else(|| invalid(format!("listen address {listen:?} resolves to nothing")))?,
        };
        let data_dirs = if overrides.data_dirs.is_empty() {
            self.data_dirs
        } else {
            overrides.data_dirs
        };
        if data_dirs.is_empty() {
            return Err(invalid(
                "no data directory: give --data-dir or data_dirs".into(),
            ));
        }
        let backup_dir = overrides.backup_dir.or(self.backup_dir).ok_or_else(|| {
            invalid("no backup directory: give --backup-dir or backup_dir".into())
        })?;
        // Compared as the kernel resolves them: through symlinks and `..`.
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
        let mut names = std::collections::HashSet::new();
        for spec in &self.tables {
            check_name(&spec.name).map_err(|e| invalid(e.to_string()))?;
            if !names.insert(spec.name.as_str()) {
                return Err(invalid(format!(
                    "[[tables]] lists {:?} twice: each table once",
                    spec.name
                )));
            }
        }
        let keep = overrides.keep.or(self.backup.keep).unwrap_or(3);
        in_range("backup.keep", keep, 1, MAX_KEEP)?;
        let schedule_text = overrides
            .schedule
            .or(self.backup.schedule)
            .unwrap_or_else(|| DEFAULT_SCHEDULE.into());
        let schedule: Schedule = schedule_text
            .parse()
            .map_err(|e: tablesafe_engine::scheduler::ScheduleError| invalid(e.to_string()))?;
        if matches!(schedule, Schedule::Cron { .. })
            && schedule.next_after(chrono::Utc::now()).is_none()
        {
            return Err(invalid(format!(
                "backup.schedule {schedule_text:?} never fires (no such date): fix it, or say \"off\""
            )));
        }
        let concurrency = self.backup.concurrency.unwrap_or(2);
        in_range("backup.concurrency", concurrency, 1, MAX_CONCURRENCY)?;
        if let Some(attempts) = self.backup.settle_attempts {
            in_range("backup.settle_attempts", attempts, 1, MAX_SETTLE_ATTEMPTS)?;
        }
        let defaults = PipelineOptions::default();
        let free_space_margin = self
            .backup
            .free_space_margin_bytes
            .unwrap_or(defaults.free_space_margin);
        let fragmentation_warn = self.health.fragmentation_warn.unwrap_or(0.5);
        if !(0.0..=1.0).contains(&fragmentation_warn) {
            return Err(invalid(format!(
                "health.fragmentation_warn {fragmentation_warn} must be between 0 and 1"
            )));
        }
        let ring_size = self.events.ring_size.unwrap_or(DEFAULT_RING_SIZE);
        in_range("events.ring_size", ring_size, 1, MAX_RING_SIZE)?;
        let health = MonitorConfig {
            thresholds: Thresholds {
                stale_after: duration("health.stale_after", self.health.stale_after, "48h")?,
                fragmentation_warn,
                min_free_bytes: self.health.min_free_bytes.unwrap_or(0),
            },
            refresh_interval: positive(
                duration(
                    "health.refresh_interval",
                    self.health.refresh_interval,
                    "60s",
                )?,
                "health.refresh_interval",
            )?,
            free_space_margin,
        };
        let erlang = match self.erlang {
            None => None,
            Some(section) => {
                if !section.node.contains('@') {
                    return Err(invalid(format!(
                        "erlang.node {:?} must be name@host",
                        section.node
                    )));
                }
                let cookie =
                    match (env(ERLANG_COOKIE_ENV), &section.cookie_file) {
                        (Some(c), _) => c,
                        (None, Some(path)) => std::fs::read_to_string(path).map_err(|e| {
                            invalid(format!(
                                "cannot read erlang.cookie_file {}: {e}",
                                path.display()
                            ))
                        })?,
                        (None, None) => return Err(invalid(
                            "no Erlang cookie: set TABLESAFE_ERLANG_COOKIE or erlang.cookie_file"
                                .into(),
                        )),
                    };
                Some(NodeConfig {
                    node: section.node,
                    cookie: cookie.trim().to_owned(),
                    timeout: positive(
                        duration("erlang.timeout", section.timeout, "5s")?,
                        "erlang.timeout",
                    )?,
                })
            }
        };
        let read_pem = |what: &str, path: &Path| {
            std::fs::read(path)
                .map_err(|e| invalid(format!("cannot read tls.{what} {}: {e}", path.display())))
        };
        let tls = match &self.tls {
            None => None,
            Some(t) => Some(TlsFiles {
                cert: read_pem("cert_file", &t.cert_file)?,
                key: read_pem("key_file", &t.key_file)?,
                client_ca: t
                    .client_ca_file
                    .as_deref()
                    .map(|p| read_pem("client_ca_file", p))
                    .transpose()?,
            }),
        };
        if let (Some(files), Some(section)) = (&tls, &self.tls) {
            // Built once here, so that a bad PEM stops start-up before the
            // port is bound, naming the files.
            tonic::transport::Server::builder()
                .tls_config(crate::server::tls_settings(files))
                .map_err(|e| {
                    invalid(format!(
                        "tls.cert_file {} / tls.key_file {}{}: not a usable certificate and key: {}",
                        section.cert_file.display(),
                        section.key_file.display(),
                        section
                            .client_ca_file
                            .as_ref()
                            .map(|p| format!(" / tls.client_ca_file {}", p.display()))
                            .unwrap_or_default(),
                        error_chain(&e)
                    ))
                })?;
        }
        let heartbeat_interval = positive(
            duration(
                "events.heartbeat_interval",
                self.events.heartbeat_interval,
                "15s",
            )?,
            "events.heartbeat_interval",
        )?;
        let mut limits = Limits::for_heartbeat(heartbeat_interval);
        if let Some(max) = self.server.max_connections {
            in_range("server.max_connections", max, 1, MAX_CONNECTIONS)?;
            limits.max_connections = max;
        }
        if let Some(text) = self.server.first_byte_timeout {
            limits.first_byte = positive(
                duration("server.first_byte_timeout", Some(text), "")?,
                "server.first_byte_timeout",
            )?;
        }
        if let Some(text) = self.server.idle_timeout {
            limits.idle = duration("server.idle_timeout", Some(text), "")?;
            if limits.idle <= heartbeat_interval {
                return Err(invalid(format!(
                    "server.idle_timeout {} must be longer than events.heartbeat_interval {}: event streams would be cut",
                    humantime::format_duration(limits.idle),
                    humantime::format_duration(heartbeat_interval)
                )));
            }
        }
        if let Some(text) = self.server.keepalive_interval {
            limits.keepalive = positive(
                duration("server.keepalive_interval", Some(text), "")?,
                "server.keepalive_interval",
            )?;
        }
        let tokens = Tokens::load(
            env(ADMIN_TOKEN_ENV),
            self.auth.admin_token_file.as_deref(),
            env(READ_TOKEN_ENV),
            self.auth.read_token_file.as_deref(),
        )
        .map_err(invalid)?;
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
                pipeline: PipelineOptions {
                    keep,
                    settle_attempts: self
                        .backup
                        .settle_attempts
                        .unwrap_or(defaults.settle_attempts)
                        .max(1),
                    free_space_margin: self
                        .backup
                        .free_space_margin_bytes
                        .unwrap_or(defaults.free_space_margin),
                },
                schedule,
                concurrency,
                catch_up_delay: duration(
                    "backup.catch_up_delay",
                    self.backup.catch_up_delay,
                    "30s",
                )?,
                clock: tablesafe_engine::clock::Clock::System,
                scrub_interval: match self.verify.scrub_interval.as_deref() {
                    Some("off") => None,
                    other => Some(positive(
                        duration("verify.scrub_interval", other.map(Into::into), "24h")?,
                        "verify.scrub_interval",
                    )?),
                },
            },
            tokens,
            shutdown_grace: duration("shutdown_grace", self.shutdown_grace, "10s")?,
            health,
            ring_size,
            heartbeat_interval,
            erlang,
            tls,
            metrics_public: self.metrics.public,
            limits,
        })
    }
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

fn duration(field: &str, value: Option<String>, default: &str) -> Result<Duration, ConfigError> {
    let text = value.unwrap_or_else(|| default.into());
    humantime::parse_duration(&text)
        .map_err(|e| ConfigError::Invalid(format!("{field} {text:?}: {e}")))
}

fn positive(value: Duration, field: &str) -> Result<Duration, ConfigError> {
    if value.is_zero() {
        return Err(ConfigError::Invalid(format!(
            "{field} must be longer than zero"
        )));
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
