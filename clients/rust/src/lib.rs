//! Typed Rust client for tablesafe's `StorageAdmin` gRPC API.
//!
//! ```no_run
//! # async fn demo() -> Result<(), tablesafe_client::Error> {
//! let client = tablesafe_client::Client::connect("http://127.0.0.1:50051", Some("admin-token")).await?;
//! let run = client.trigger_backup(vec![], "before the upgrade").await?;
//! println!("{:?}", run.run.map(|r| r.outcome()));
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::service::Interceptor;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Request, Status};

/// The generated protobuf types of `tablesafe.v1`, with proto3 JSON (serde).
#[allow(missing_docs, clippy::all, clippy::pedantic)] // generated code
pub mod proto {
    tonic::include_proto!("tablesafe.v1");
    include!(concat!(env!("OUT_DIR"), "/tablesafe.v1.serde.rs"));
}

mod watch;
pub mod wkt;

pub use watch::{Retry, WatchOptions};

use proto::storage_admin_client::StorageAdminClient;

/// A table's file as a health answer names it: its `path`, or, where the
/// answer leaves that out (the file is `<data_dir>/<name>.dets`), that path.
///
/// ```
/// use tablesafe_client::{proto, table_path};
/// let health = proto::GetHealthResponse { data_dir: "/srv/app/data".into(), ..Default::default() };
/// let users = proto::TableHealth { name: "users".into(), ..Default::default() };
/// assert_eq!(table_path(&health, &users), "/srv/app/data/users.dets");
/// ```
pub fn table_path(health: &proto::GetHealthResponse, table: &proto::TableHealth) -> String {
    if table.path.is_empty() {
        format!("{}/{}.dets", health.data_dir, table.name)
    } else {
        table.path.clone()
    }
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server could not be reached ("connection refused", a name that
    /// does not resolve, a TLS failure: the cause is in the message).
    #[error("cannot connect to {url}: {}", causes(.source))]
    Connect {
        /// The server URL.
        url: String,
        /// The transport's error.
        #[source]
        source: tonic::transport::Error,
    },
    /// TLS material could not be used.
    #[error("tls: {0}")]
    Tls(String),
    /// The token cannot be sent as gRPC metadata.
    #[error("the token contains characters that cannot be sent in a header")]
    InvalidToken,
    /// The server answered with an error status (UNAUTHENTICATED, INVALID_ARGUMENT, ...).
    #[error("{}: {}", .0.code(), .0.message())]
    Status(#[from] Status),
}

impl Error {
    /// The gRPC status code, when the server answered.
    pub fn code(&self) -> Option<tonic::Code> {
        match self {
            Self::Status(status) => Some(status.code()),
            _ => None,
        }
    }
}

/// What a TLS connection trusts and presents.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// PEM CA certificate(s) the server's certificate must chain to.
    pub ca_pem: Vec<u8>,
    /// The name to check the server's certificate against (default: the URL's host).
    pub domain: Option<String>,
    /// PEM certificate and key of the client, for servers that require one.
    pub identity: Option<(Vec<u8>, Vec<u8>)>,
}

/// Adds `authorization: Bearer <token>` to every request.
#[derive(Clone)]
pub struct BearerToken(Option<MetadataValue<Ascii>>);

impl Interceptor for BearerToken {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// The endpoint every [`Client`] constructor connects through: `url` with
/// HTTP/2 settings for tablesafe's answers. Health reports of large
/// deployments run to hundreds of kilobytes; windows and frames that take one
/// in one go spare flow-control round trips and a write per 16 KiB frame.
/// Add TLS or other settings and pass the channel to [`Client::with_channel`].
pub fn endpoint(url: &str) -> Result<Endpoint, Error> {
    let url = with_scheme(url, "http");
    Ok(Endpoint::from_shared(url.clone())
        .map_err(|source| Error::Connect {
            url: url.clone(),
            source,
        })?
        .initial_stream_window_size(Some(4 << 20))
        .initial_connection_window_size(Some(16 << 20))
        .max_frame_size(Some(1 << 20)))
}

/// `url` as given when it names a scheme; `host:port` (as grpcurl takes it)
/// becomes `<scheme>://host:port`.
fn with_scheme(url: &str, scheme: &str) -> String {
    if url.contains("://") {
        url.to_owned()
    } else {
        format!("{scheme}://{url}")
    }
}

/// An error and its causes, most specific last: tonic's own message is only
/// "transport error", the cause says "Connection refused".
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// A connection to one tablesafe server, with the token set once.
#[derive(Clone)]
pub struct Client {
    inner: StorageAdminClient<InterceptedService<Channel, BearerToken>>,
}

impl Client {
    /// Connects to `url` (for example `http://127.0.0.1:50051`, or
    /// `127.0.0.1:50051` for plain-text HTTP/2).
    pub async fn connect(url: &str, token: Option<&str>) -> Result<Self, Error> {
        let connect_error = |source| Error::Connect {
            url: url.to_owned(),
            source,
        };
        let channel = endpoint(url)?.connect().await.map_err(connect_error)?;
        Self::with_channel(channel, token)
    }

    /// Connects over TLS: `url` is `https://host:port` (or `host:port`); `tls` says which CA to
    /// trust (the system's roots are not used) and, for mutual TLS, the
    /// client's own certificate.
    pub async fn connect_tls(
        url: &str,
        token: Option<&str>,
        tls: &TlsOptions,
    ) -> Result<Self, Error> {
        let connect_error = |source| Error::Connect {
            url: url.to_owned(),
            source,
        };
        let mut settings =
            ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&tls.ca_pem));
        if let Some(domain) = &tls.domain {
            settings = settings.domain_name(domain.clone());
        }
        if let Some((cert, key)) = &tls.identity {
            settings = settings.identity(Identity::from_pem(cert, key));
        }
        let channel = endpoint(&with_scheme(url, "https"))?
            .tls_config(settings)
            .map_err(connect_error)?
            .connect()
            .await
            .map_err(connect_error)?;
        Self::with_channel(channel, token)
    }

    /// Like [`Client::connect`], but connects on the first call (and
    /// reconnects after breaks), so it works before the server is up.
    pub fn connect_lazy(url: &str, token: Option<&str>) -> Result<Self, Error> {
        let channel = endpoint(url)?.connect_lazy();
        Self::with_channel(channel, token)
    }

    /// Uses an existing channel (TLS or custom settings configured by the caller).
    pub fn with_channel(channel: Channel, token: Option<&str>) -> Result<Self, Error> {
        let token = token
            .map(|t| {
                format!("Bearer {t}")
                    .parse()
                    .map_err(|_| Error::InvalidToken)
            })
            .transpose()?;
        let inner = StorageAdminClient::with_interceptor(channel, BearerToken(token));
        Ok(Self { inner })
    }

    /// Backs up `tables` (all when empty) and waits for the run. Admin token.
    pub async fn trigger_backup(
        &self,
        tables: Vec<String>,
        reason: impl Into<String>,
    ) -> Result<proto::TriggerBackupResponse, Error> {
        let request = proto::TriggerBackupRequest {
            tables,
            reason: reason.into(),
        };
        Ok(self
            .inner
            .clone()
            .trigger_backup(request)
            .await?
            .into_inner())
    }

    /// The backups on disk, newest first (one table's when `table` is given).
    pub async fn list_backups(&self, table: Option<&str>) -> Result<Vec<proto::BackupFile>, Error> {
        self.backups(table, false).await
    }

    /// The safety copies restores kept (`safety/<name>`), newest first.
    pub async fn list_safety_copies(
        &self,
        table: Option<&str>,
    ) -> Result<Vec<proto::BackupFile>, Error> {
        self.backups(table, true).await
    }

    /// The backups on disk, then this host's copies at every offsite
    /// destination (`destination` set), newest first in each.
    pub async fn list_backups_with_offsite(
        &self,
        table: Option<&str>,
    ) -> Result<Vec<proto::BackupFile>, Error> {
        let request = proto::ListBackupsRequest {
            table: table.unwrap_or_default().to_owned(),
            offsite: true,
            ..Default::default()
        };
        Ok(self
            .inner
            .clone()
            .list_backups(request)
            .await?
            .into_inner()
            .backups)
    }

    async fn backups(
        &self,
        table: Option<&str>,
        safety_copies: bool,
    ) -> Result<Vec<proto::BackupFile>, Error> {
        let request = proto::ListBackupsRequest {
            table: table.unwrap_or_default().to_owned(),
            safety_copies,
            ..Default::default()
        };
        Ok(self
            .inner
            .clone()
            .list_backups(request)
            .await?
            .into_inner()
            .backups)
    }

    /// Restores a copy of one table, or for `dry_run` says what it would do
    /// (admin token).
    pub async fn restore_backup(
        &self,
        request: proto::RestoreBackupRequest,
    ) -> Result<proto::RestoreBackupResponse, Error> {
        Ok(self
            .inner
            .clone()
            .restore_backup(request)
            .await?
            .into_inner())
    }

    /// Compacts one table's file in place, or (`dry_run`) says what it would
    /// do: refused unless a verified backup holds what the file holds, no
    /// process has it open, and there is room (admin token).
    pub async fn compact_table(
        &self,
        request: proto::CompactTableRequest,
    ) -> Result<proto::CompactTableResponse, Error> {
        Ok(self
            .inner
            .clone()
            .compact_table(request)
            .await?
            .into_inner())
    }

    /// Runs restore drills (every backed-up table when `request.tables` is
    /// empty) and waits for them (admin token).
    pub async fn run_drill(
        &self,
        request: proto::RunDrillRequest,
    ) -> Result<proto::RunDrillResponse, Error> {
        Ok(self.inner.clone().run_drill(request).await?.into_inner())
    }

    /// Deletes a safety copy, `safety/<name>` (admin token).
    pub async fn remove_safety_copy(&self, file: &str) -> Result<(), Error> {
        let request = proto::RemoveSafetyCopyRequest { file: file.into() };
        self.inner.clone().remove_safety_copy(request).await?;
        Ok(())
    }

    /// Recent runs, newest first (at most `limit`; 0 for the server's default).
    pub async fn list_runs(&self, limit: u32) -> Result<Vec<proto::BackupRun>, Error> {
        let request = proto::ListRunsRequest { limit };
        Ok(self
            .inner
            .clone()
            .list_runs(request)
            .await?
            .into_inner()
            .runs)
    }

    /// Re-reads every retained backup and proves it against its manifest;
    /// copies that no longer match are marked corrupt (admin token).
    pub async fn scrub_backups(&self) -> Result<proto::ScrubBackupsResponse, Error> {
        let request = proto::ScrubBackupsRequest {};
        Ok(self
            .inner
            .clone()
            .scrub_backups(request)
            .await?
            .into_inner())
    }

    /// The storage health report, every table in one answer; `refresh`
    /// recomputes it from disk first.
    pub async fn get_health(&self, refresh: bool) -> Result<proto::GetHealthResponse, Error> {
        self.get_health_with(proto::GetHealthRequest {
            refresh,
            ..Default::default()
        })
        .await
    }

    /// The storage health report as `request` asks: a view, a page, or
    /// nothing but `unchanged` when the snapshot is still the one it names.
    pub async fn get_health_with(
        &self,
        request: proto::GetHealthRequest,
    ) -> Result<proto::GetHealthResponse, Error> {
        Ok(self.inner.clone().get_health(request).await?.into_inner())
    }

    /// Every table of one snapshot's FULL view, `page_size` tables per call
    /// (status and components from the first page).
    pub async fn get_health_paged(
        &self,
        page_size: u32,
    ) -> Result<proto::GetHealthResponse, Error> {
        let mut request = proto::GetHealthRequest {
            view: proto::HealthView::Full.into(),
            page_size,
            ..Default::default()
        };
        let mut all = self.get_health_with(request.clone()).await?;
        while !all.next_page_token.is_empty() {
            request.page_token = std::mem::take(&mut all.next_page_token);
            let mut page = self.get_health_with(request.clone()).await?;
            all.tables.append(&mut page.tables);
            all.next_page_token = page.next_page_token;
        }
        Ok(all)
    }

    /// The raw event stream from `request.after_sequence` on.
    pub async fn watch_events(
        &self,
        request: proto::WatchEventsRequest,
    ) -> Result<tonic::Streaming<proto::Event>, Error> {
        Ok(self.inner.clone().watch_events(request).await?.into_inner())
    }
}
