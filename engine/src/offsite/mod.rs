//! Offsite copies: every verified local backup also goes to S3-compatible
//! object storage. One task per destination keeps the destination in step
//! with the backup directory.
//!
//! ```text
//! <prefix>/<host>/<table>/<backup file name>.tsa        the artifact: a header, then the copy
//! <prefix>/<host>/<table>/<backup file name>.tsa.json   its manifest, put last
//! ```
//!
//! - A remote copy exists only when its manifest does. The manifest is put
//!   after the artifact was stored and its size and ETag checked, so an upload
//!   cut short, however it ends, leaves no copy.
//! - Each host writes and deletes only under its own `<host>`; several hosts
//!   share a bucket without touching each other's objects.
//! - What to upload is worked out from the two sides each time (verified local
//!   copies without a remote manifest), so a crash, a restart or an unreachable
//!   store leaves nothing to replay: the next pass finds what is missing. A
//!   large copy's multipart upload goes on from its stored parts.
//! - Remote retention keeps the newest `keep` copies of each table; the newest
//!   remote copy is never deleted, nor a copy whose local original is still
//!   being uploaded.

mod artifact;
mod codec;
mod keep;
mod upload;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use object_store::multipart::MultipartStore;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

pub use age::x25519::{Identity, Recipient};
pub use artifact::{ArtifactHeader, Compression, Encryption, HeaderError, FORMAT};
pub use codec::{read_identities, OpenError, SealError, Sealing};
pub use keep::Retention;
pub use upload::{Stored, UploadError};

use crate::clock::Clock;
use crate::events::{EventBus, EventPayload};
use crate::pipeline::hex;
use crate::store::{from_the_future, BackupEntry, BackupName, BackupStore, Manifest, TOOL};

/// The artifact's suffix after the backup's file name.
const ARTIFACT_SUFFIX: &str = ".tsa";
/// The manifest object's suffix after the artifact's name.
const MANIFEST_SUFFIX: &str = ".json";

/// A store that takes single puts and multipart uploads.
pub trait RemoteStore: ObjectStore + MultipartStore {}
impl<T: ObjectStore + MultipartStore> RemoteStore for T {}

/// How one destination is used.
#[derive(Debug, Clone)]
pub struct DestinationConfig {
    /// Its name in health, metrics and events.
    pub name: String,
    /// Key prefix inside the bucket (no leading or trailing `/`; may be empty).
    pub prefix: String,
    /// This host's name: its copies go under `<prefix>/<host>/`.
    pub host: String,
    /// Remote copies kept per table.
    pub retention: Retention,
    /// A newest remote copy older than this is lagging.
    pub stale_after: Duration,
    /// Time between passes while everything is in step.
    pub resync_interval: Duration,
    /// Time before a failed pass is tried again.
    pub retry_interval: Duration,
    /// Bytes per part of a multipart upload; smaller artifacts go in one put.
    pub part_size: usize,
    /// How copies are compressed and encrypted.
    pub sealing: Sealing,
    /// Remote copies downloaded and checked on each verify round.
    pub verify_sample: usize,
    /// Time between verify rounds.
    pub verify_interval: Duration,
}

impl DestinationConfig {
    /// Defaults for everything but the name, prefix and host.
    pub fn new(name: &str, prefix: &str, host: &str) -> Self {
        Self {
            name: name.into(),
            prefix: prefix.trim_matches('/').into(),
            host: host.into(),
            retention: Retention::default(),
            stale_after: Duration::from_secs(48 * 3600),
            resync_interval: Duration::from_secs(3600),
            retry_interval: Duration::from_secs(60),
            part_size: 16 << 20,
            sealing: Sealing::plain(),
            verify_sample: 1,
            verify_interval: Duration::from_secs(24 * 3600),
        }
    }
}

/// A destination: its settings and its store.
#[derive(Clone)]
pub struct Destination {
    /// Settings.
    pub config: DestinationConfig,
    /// The bucket.
    pub store: Arc<dyn RemoteStore>,
}

impl std::fmt::Debug for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Destination")
            .field("config", &self.config)
            .field("store", &self.store.to_string())
            .finish()
    }
}

/// How to reach an S3-compatible bucket.
#[derive(Clone)]
pub struct S3Settings {
    /// The endpoint, `https://...` (or `http://...` with `allow_http`).
    pub endpoint: String,
    /// The region requests are signed for.
    pub region: String,
    /// The bucket.
    pub bucket: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// `https://endpoint/bucket/key` rather than `https://bucket.endpoint/key`.
    pub path_style: bool,
    /// Allows plain HTTP (credentials are signed, not sent, but the data is
    /// readable on the way).
    pub allow_http: bool,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .field("access_key_id", &self.access_key_id)
            .field("path_style", &self.path_style)
            .finish_non_exhaustive()
    }
}

impl S3Settings {
    /// The bucket's client. Nothing is sent until it is used.
    pub fn connect(&self) -> Result<Arc<dyn RemoteStore>, String> {
        use object_store::aws::AmazonS3Builder;
        use object_store::{BackoffConfig, ClientOptions, RetryConfig};
        let retry = RetryConfig {
            backoff: BackoffConfig::default(),
            max_retries: 3,
            retry_timeout: Duration::from_secs(30),
        };
        let client = ClientOptions::new()
            .with_allow_http(self.allow_http)
            .with_connect_timeout(Duration::from_secs(5))
            .with_timeout(Duration::from_secs(300));
        let store = AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_region(&self.region)
            .with_bucket_name(&self.bucket)
            .with_access_key_id(&self.access_key_id)
            .with_secret_access_key(&self.secret_access_key)
            .with_virtual_hosted_style_request(!self.path_style)
            .with_retry(retry)
            .with_client_options(client)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(store))
    }
}

/// What is stored next to each artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteManifest {
    /// [`FORMAT`].
    pub format: u32,
    /// Always [`TOOL`].
    pub tool: String,
    /// The host that wrote it.
    pub host: String,
    /// The table.
    pub table: String,
    /// The artifact's key.
    pub object: String,
    /// Bytes of the artifact.
    pub artifact_bytes: u64,
    /// Hex SHA-256 of the artifact; absent for a plain one (its header, then
    /// the copy: the copy's SHA-256 in `local` proves it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_sha256: Option<String>,
    /// The artifact's ETag as the store reported it.
    pub artifact_etag: String,
    /// The artifact's header.
    pub header: ArtifactHeader,
    /// When the upload was checked.
    pub uploaded_at: DateTime<Utc>,
    /// The local copy's manifest: its file name, SHA-256, digest and capture time.
    pub local: Manifest,
}

/// A remote copy as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteCopy {
    /// The backup it is a copy of.
    pub name: BackupName,
    /// Whether its manifest is there (only then is it a copy).
    pub has_manifest: bool,
    /// The manifest object's ETag, as listed.
    pub manifest_etag: Option<String>,
}

/// Remote manifests read before (see [`Remote::copies_with_manifests`]):
/// per destination, by object key, each with the ETag it had.
#[derive(Debug, Default)]
pub struct ManifestCache {
    destinations: Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<ManifestsRead>>>>,
}

type ManifestsRead = std::collections::HashMap<String, (Option<String>, Arc<RemoteManifest>)>;

/// How long one ListBackups listing of a destination may take.
pub const LISTING_TIMEOUT: Duration = Duration::from_secs(60);

impl ManifestCache {
    fn of(&self, destination: &str) -> Arc<tokio::sync::Mutex<ManifestsRead>> {
        let mut all = self
            .destinations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(all.entry(destination.to_owned()).or_default())
    }
}

/// A failure, as health shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// When.
    pub at: DateTime<Utc>,
    /// What went wrong.
    pub message: String,
}

/// One table at one destination.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableOffsite {
    /// The newest remote copy's backup.
    pub newest: Option<BackupName>,
    /// Remote copies.
    pub copies: usize,
    /// Verified local copies not yet stored there.
    pub pending: usize,
    /// The latest failed upload, cleared by the next one that succeeds.
    pub failure: Option<Failure>,
    /// Remote copies a verify round found damaged (and kept, their local
    /// copy being gone), by backup; they count as no copy.
    pub damaged: BTreeMap<BackupName, Failure>,
}

/// One destination as its task last saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DestinationFacts {
    /// The destination's name.
    pub name: String,
    /// A newest remote copy older than this is lagging.
    pub stale_after: Duration,
    /// When a pass last went through.
    pub last_pass: Option<DateTime<Utc>>,
    /// Why the last pass could not go through (the store unreachable, refused
    /// credentials), cleared by the next that does.
    pub failure: Option<Failure>,
    /// Per table.
    pub tables: BTreeMap<String, TableOffsite>,
}

/// Reads the destinations' facts and wakes their tasks.
#[derive(Clone, Default)]
pub struct OffsiteHandle {
    destinations: Vec<Arc<Shared>>,
}

struct Shared {
    destination: Destination,
    facts: Mutex<DestinationFacts>,
    wake: tokio::sync::Notify,
}

impl OffsiteHandle {
    /// Every destination's facts, in configuration order.
    pub fn facts(&self) -> Vec<DestinationFacts> {
        self.destinations
            .iter()
            .map(|d| {
                d.facts
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone()
            })
            .collect()
    }

    /// Whether any destination is configured.
    pub fn is_empty(&self) -> bool {
        self.destinations.is_empty()
    }

    /// The destinations.
    pub fn destinations(&self) -> impl Iterator<Item = &Destination> {
        self.destinations.iter().map(|d| &d.destination)
    }

    /// Asks every destination's task for a pass now.
    pub fn wake(&self) {
        for d in &self.destinations {
            d.wake.notify_one();
        }
    }
}

/// Starts one task per destination on `tasks`; each passes at start, after
/// every committed backup, and on its intervals, until `stop`.
pub fn start(
    destinations: Vec<Destination>,
    store: BackupStore,
    bus: EventBus,
    clock: Clock,
    stop: CancellationToken,
    tasks: &TaskTracker,
) -> OffsiteHandle {
    let mut handle = OffsiteHandle::default();
    for destination in destinations {
        let shared = Arc::new(Shared {
            facts: Mutex::new(DestinationFacts {
                name: destination.config.name.clone(),
                stale_after: destination.config.stale_after,
                ..DestinationFacts::default()
            }),
            destination,
            wake: tokio::sync::Notify::new(),
        });
        handle.destinations.push(shared.clone());
        let task = Task {
            remote: Remote::new(shared.destination.clone()),
            shared,
            store: store.clone(),
            bus: bus.clone(),
            clock,
        };
        let span = tracing::info_span!("offsite", destination = %task.remote.config().name);
        tasks.spawn(task.run(stop.clone()).instrument(span));
    }
    handle
}

/// The keys of one destination.
#[derive(Clone)]
pub struct Remote {
    destination: Destination,
}

impl Remote {
    /// The destination's keys.
    pub fn new(destination: Destination) -> Self {
        Self { destination }
    }

    fn config(&self) -> &DestinationConfig {
        &self.destination.config
    }

    fn store(&self) -> &dyn RemoteStore {
        &*self.destination.store
    }

    fn host_dir(&self, host: &str) -> ObjectPath {
        let prefix = &self.config().prefix;
        if prefix.is_empty() {
            ObjectPath::from(host)
        } else {
            ObjectPath::from(format!("{prefix}/{host}"))
        }
    }

    /// The artifact of `name` written by `host`.
    pub fn artifact(&self, host: &str, name: &BackupName) -> ObjectPath {
        self.host_dir(host)
            .join(name.table.as_str())
            .join(format!("{}{ARTIFACT_SUFFIX}", name.file_name()))
    }

    /// The manifest of `name` written by `host`.
    pub fn manifest(&self, host: &str, name: &BackupName) -> ObjectPath {
        self.host_dir(host).join(name.table.as_str()).join(format!(
            "{}{ARTIFACT_SUFFIX}{MANIFEST_SUFFIX}",
            name.file_name()
        ))
    }

    /// Every copy `host` has in the destination, by table, newest first.
    pub async fn list(
        &self,
        host: &str,
    ) -> Result<BTreeMap<String, Vec<RemoteCopy>>, object_store::Error> {
        let dir = self.host_dir(host);
        let mut found: BTreeMap<BackupName, RemoteCopy> = BTreeMap::new();
        let mut listing = self.store().list(Some(&dir));
        while let Some(meta) = listing.next().await {
            let meta = meta?;
            let Some(relative) = meta.location.prefix_match(&dir) else {
                continue;
            };
            let parts: Vec<_> = relative.map(|p| p.as_ref().to_owned()).collect();
            let [table, file] = parts.as_slice() else {
                continue;
            };
            let (stem, is_manifest) = match file.strip_suffix(MANIFEST_SUFFIX) {
                Some(stem) => (stem, true),
                None => (file.as_str(), false),
            };
            let Some(name) = stem
                .strip_suffix(ARTIFACT_SUFFIX)
                .and_then(BackupName::parse)
                .filter(|n| &n.table == table)
            else {
                continue;
            };
            let copy = found.entry(name.clone()).or_insert(RemoteCopy {
                name,
                has_manifest: false,
                manifest_etag: None,
            });
            if is_manifest {
                copy.has_manifest = true;
                copy.manifest_etag = meta.e_tag;
            }
        }
        let mut tables: BTreeMap<String, Vec<RemoteCopy>> = BTreeMap::new();
        for copy in found.into_values() {
            tables
                .entry(copy.name.table.clone())
                .or_default()
                .push(copy);
        }
        for copies in tables.values_mut() {
            copies.sort_by(|a, b| b.name.cmp(&a.name));
        }
        Ok(tables)
    }

    /// `host`'s copies (of `table`, or of every table) with their
    /// manifests, newest first in each table. A manifest is read from the
    /// store only when `cache` does not hold it under the ETag listed (new,
    /// or put again); what a listing did not find again leaves the cache.
    /// Callers take turns per destination, so a crowd of them costs the
    /// store one listing after another, never many at once; each gives up
    /// after [`LISTING_TIMEOUT`] rather than holding the others behind a
    /// store that stopped answering.
    pub async fn copies_with_manifests(
        &self,
        host: &str,
        table: Option<&str>,
        cache: &ManifestCache,
    ) -> Result<Vec<Arc<RemoteManifest>>, RemoteError> {
        let turn = cache.of(&self.config().name);
        let listed = async {
            let mut read = turn.lock().await;
            self.list_manifests(host, table, &mut read).await
        };
        tokio::time::timeout(LISTING_TIMEOUT, listed)
            .await
            .map_err(|_| {
                RemoteError::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!(
                        "the store did not list the copies within {} s",
                        LISTING_TIMEOUT.as_secs()
                    ),
                ))
            })?
    }

    async fn list_manifests(
        &self,
        host: &str,
        table: Option<&str>,
        read: &mut ManifestsRead,
    ) -> Result<Vec<Arc<RemoteManifest>>, RemoteError> {
        let mut seen = std::collections::HashSet::new();
        let mut found = Vec::new();
        for (listed, copies) in self.list(host).await? {
            if table.is_some_and(|t| t != listed) {
                continue;
            }
            for copy in copies.into_iter().filter(|c| c.has_manifest) {
                let key = self.manifest(host, &copy.name).to_string();
                let cached = read
                    .get(&key)
                    .filter(|(etag, _)| etag.is_some() && *etag == copy.manifest_etag);
                let manifest = match cached {
                    Some((_, manifest)) => Arc::clone(manifest),
                    None => {
                        let manifest = Arc::new(self.read_manifest(host, &copy.name).await?);
                        read.insert(key.clone(), (copy.manifest_etag, Arc::clone(&manifest)));
                        manifest
                    }
                };
                seen.insert(key);
                found.push(manifest);
            }
        }
        // What this listing covered and did not find again is gone.
        let covered = match table {
            Some(t) => format!("{}/", self.host_dir(host).join(t)),
            None => format!("{}/", self.host_dir(host)),
        };
        read.retain(|key, _| !key.starts_with(&covered) || seen.contains(key));
        Ok(found)
    }

    /// Reads a copy's manifest.
    pub async fn read_manifest(
        &self,
        host: &str,
        name: &BackupName,
    ) -> Result<RemoteManifest, RemoteError> {
        let key = self.manifest(host, name);
        let bytes = self.store().get(&key).await?.bytes().await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| RemoteError::Damaged(format!("manifest {key} cannot be read: {e}")))
    }

    /// Streams a copy's artifact and checks it against its manifest (its
    /// bytes and SHA-256, its header), writing it to `out` when given.
    /// Returns the manifest and where the payload starts.
    async fn fetch(
        &self,
        host: &str,
        name: &BackupName,
        mut out: Option<&mut tokio::fs::File>,
    ) -> Result<(RemoteManifest, usize), RemoteError> {
        use sha2::Digest as _;
        use tokio::io::AsyncWriteExt as _;
        let manifest = self.read_manifest(host, name).await?;
        let key = self.artifact(host, name);
        if manifest.object != key.as_ref() || manifest.local.file_name != name.file_name() {
            return Err(RemoteError::Damaged(format!(
                "manifest of {key} names {} ({})",
                manifest.object, manifest.local.file_name
            )));
        }
        // What is hashed: the whole artifact, or after a plain one's header
        // the copy itself.
        let (proved_from, want) = match &manifest.artifact_sha256 {
            Some(sha) => (0, sha.clone()),
            None => (
                manifest.header.encode().len() as u64,
                manifest.local.sha256.clone(),
            ),
        };
        let mut stream = self.store().get(&key).await?.into_stream();
        let mut sha = sha2::Sha256::new();
        let mut size = 0u64;
        let mut head = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            let skip = usize::try_from(proved_from.saturating_sub(size)).unwrap_or(usize::MAX);
            sha.update(&chunk[skip.min(chunk.len())..]);
            size += chunk.len() as u64;
            if head.len() < HEADER_WINDOW {
                head.extend_from_slice(&chunk[..chunk.len().min(HEADER_WINDOW - head.len())]);
            }
            if let Some(out) = out.as_mut() {
                out.write_all(&chunk).await.map_err(RemoteError::Io)?;
            }
        }
        if let Some(out) = out {
            // tokio's file writes in the background until flushed.
            out.flush().await.map_err(RemoteError::Io)?;
        }
        let sha = hex(&sha.finalize());
        if size != manifest.artifact_bytes || sha != want {
            let what = if proved_from == 0 {
                ""
            } else {
                " after its header"
            };
            return Err(RemoteError::Damaged(format!(
                "{key} has {size} bytes with SHA-256 {sha}{what}; its manifest says {} bytes with {want}",
                manifest.artifact_bytes
            )));
        }
        let (header, at) = ArtifactHeader::decode(&head)
            .map_err(|e| RemoteError::Damaged(format!("{key}: {e}")))?;
        if header != manifest.header {
            return Err(RemoteError::Damaged(format!(
                "{key}: its header is not the one its manifest records"
            )));
        }
        Ok((manifest, at))
    }

    /// Downloads a copy and checks that the store holds what was uploaded
    /// (nothing is decrypted: a host holds only the recipients).
    pub async fn check(
        &self,
        host: &str,
        name: &BackupName,
    ) -> Result<RemoteManifest, RemoteError> {
        Ok(self.fetch(host, name, None).await?.0)
    }

    /// Downloads a copy into `out` (which must not exist) and opens it with
    /// `identities`: the artifact is checked against its manifest, decrypted,
    /// decompressed, and what comes out must have the copy's SHA-256. On
    /// failure nothing is left at `out`.
    pub async fn download_to(
        &self,
        host: &str,
        name: &BackupName,
        identities: &[Identity],
        out: &std::path::Path,
    ) -> Result<RemoteManifest, RemoteError> {
        let artifact = out.with_extension("artifact.part");
        let result = async {
            let mut file = tokio::fs::File::from_std(
                crate::store::create_new_private(&artifact).map_err(RemoteError::Io)?,
            );
            let (manifest, at) = self.fetch(host, name, Some(&mut file)).await?;
            drop(file);
            let (identities, artifact, out) =
                (identities.to_vec(), artifact.clone(), out.to_owned());
            let header = manifest.header.clone();
            let (bytes, sha) = (manifest.local.bytes, manifest.local.sha256.clone());
            tokio::task::spawn_blocking(move || {
                use std::io::{Seek as _, SeekFrom};
                let mut payload = std::fs::File::open(&artifact).map_err(RemoteError::Io)?;
                payload
                    .seek(SeekFrom::Start(at as u64))
                    .map_err(RemoteError::Io)?;
                let file = crate::store::create_new_private(&out).map_err(RemoteError::Io)?;
                let mut writer = std::io::BufWriter::with_capacity(1 << 20, file);
                let payload = std::io::BufReader::with_capacity(1 << 20, payload);
                let opened = codec::open(&header, payload, &identities, bytes, &sha, &mut writer);
                let done = opened.map_err(RemoteError::from).and_then(|()| {
                    let file = writer
                        .into_inner()
                        .map_err(|e| RemoteError::Io(e.into_error()))?;
                    file.sync_all().map_err(RemoteError::Io)
                });
                if done.is_err() {
                    let _ = std::fs::remove_file(&out);
                }
                done
            })
            .await
            .map_err(|e| RemoteError::Io(std::io::Error::other(e)))??;
            Ok(manifest)
        }
        .await;
        let _ = tokio::fs::remove_file(&artifact).await;
        result
    }
    /// Uploads one verified local copy of `store`: the artifact, checked as
    /// stored, then its manifest, put last (only then is it a copy).
    pub async fn upload(
        &self,
        store: &BackupStore,
        entry: &BackupEntry,
        local: &Manifest,
        clock: Clock,
    ) -> Result<(RemoteManifest, upload::Stored), UploadError> {
        let config = self.config();
        let key = self.artifact(&config.host, &entry.name);
        let (header, stored) = self.send(store, entry, local, &key).await?;
        let manifest = RemoteManifest {
            format: FORMAT,
            tool: TOOL.into(),
            host: config.host.clone(),
            table: entry.name.table.clone(),
            object: key.to_string(),
            artifact_bytes: stored.bytes,
            artifact_sha256: stored.sha256.clone(),
            artifact_etag: stored.etag.clone(),
            header,
            uploaded_at: clock.now(),
            local: local.clone(),
        };
        let body = serde_json::to_vec_pretty(&manifest).map_err(std::io::Error::other)?;
        crate::crash_point("offsite-before-manifest");
        self.store()
            .put(
                &self.manifest(&config.host, &entry.name),
                PutPayload::from(body),
            )
            .await?;
        Ok((manifest, stored))
    }

    /// Sends the artifact of `entry`: a plain one straight from the copy; a
    /// compressed one larger than a part sealed as it is sent (sealing it
    /// again gives the same bytes, so an upload cut short goes on by sealing
    /// again); an encrypted or small one sealed first into a spool file
    /// beside the upload's state (kept until it is stored, so that an upload
    /// cut short goes on with the same bytes).
    async fn send(
        &self,
        store: &BackupStore,
        entry: &BackupEntry,
        local: &Manifest,
        key: &ObjectPath,
    ) -> Result<(ArtifactHeader, upload::Stored), UploadError> {
        let config = self.config();
        let sealing = &config.sealing;
        let header = sealing.header();
        let state = self.state_dir(store).join(entry.name.file_name());
        let resume_file = state.with_extension("dets.upload.json");
        let spool = state.with_extension("dets.tsa");
        let repeated = sealing.is_repeatable() && local.bytes > config.part_size as u64;
        if sealing.is_plain() || repeated {
            // A spool of an earlier version or setting is not needed.
            let _ = std::fs::remove_file(&spool);
            let _ = std::fs::remove_file(spool.with_extension("tsa.json"));
            // Plain: the header, then the copy; else the header is the
            // sealed bytes' own.
            let header_bytes = if repeated {
                Vec::new()
            } else {
                header.encode()
            };
            let upload = upload::Upload {
                store: self.store(),
                key,
                header: &header_bytes,
                source: &store.path(&entry.name.file_name()),
                source_bytes: local.bytes,
                source_sha256: &local.sha256,
                part_size: config.part_size,
                resume_file,
                sealing: repeated.then_some(sealing),
                growing: None,
            };
            return Ok((header, upload.run().await?));
        }
        let spooled =
            |sealed, growing| self.spool_upload(key, &spool, sealed, &resume_file, growing);
        let stored = match self.earlier_spool(local, &spool) {
            // Sealed before: sent from its stored parts on.
            Some(sealed) => spooled(Some(&sealed), None).run().await,
            // Small: sealed, then sent in one put.
            None if local.bytes <= config.part_size as u64 => {
                let sealed = self.seal_spool(store, entry, local, &spool, None).await?;
                spooled(Some(&sealed), None).run().await
            }
            // Sent while it is sealed, each part once it is written.
            None => {
                std::fs::create_dir_all(self.state_dir(store))?;
                std::fs::File::create(&spool)?;
                let (progress, growing) =
                    tokio::sync::watch::channel(upload::SealProgress::default());
                let sealing = self.seal_spool(store, entry, local, &spool, Some(progress));
                let upload = spooled(None, Some(growing));
                let (sealed, stored) = tokio::join!(sealing, upload.run());
                // The sealing's own failure names the cause.
                sealed.and(stored)
            }
        };
        if !matches!(stored, Err(UploadError::Store(_))) {
            // Stored, or the spool itself is in doubt: it is not used again.
            let _ = std::fs::remove_file(&spool);
            let _ = std::fs::remove_file(spool.with_extension("tsa.json"));
        }
        Ok((header, stored?))
    }

    /// The upload of a spool: sealed (`sealed`), or being sealed (`growing`).
    fn spool_upload<'a>(
        &'a self,
        key: &'a ObjectPath,
        spool: &'a std::path::Path,
        sealed: Option<&'a Spool>,
        resume_file: &std::path::Path,
        growing: Option<upload::Growing>,
    ) -> upload::Upload<'a> {
        upload::Upload {
            store: self.store(),
            key,
            header: &[],
            source: spool,
            source_bytes: sealed.map_or(0, |s| s.bytes),
            source_sha256: sealed.map_or("", |s| s.sha256.as_str()),
            part_size: self.config().part_size,
            resume_file: resume_file.to_owned(),
            sealing: None,
            growing,
        }
    }

    /// The spool an earlier attempt sealed of this copy with these
    /// settings, when it is still whole.
    fn earlier_spool(&self, local: &Manifest, spool: &std::path::Path) -> Option<Spool> {
        let header = self.config().sealing.header();
        std::fs::read(spool.with_extension("tsa.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<Spool>(&b).ok())
            .filter(|s| {
                s.copy_sha256 == local.sha256
                    && s.header == header
                    && std::fs::metadata(spool).is_ok_and(|m| m.len() == s.bytes)
            })
    }

    /// Seals the copy of `entry` into `spool` and records it; with
    /// `progress`, tells how far it is written and when it is done (with
    /// `None` when it failed).
    async fn seal_spool(
        &self,
        store: &BackupStore,
        entry: &BackupEntry,
        local: &Manifest,
        spool: &std::path::Path,
        progress: Option<tokio::sync::watch::Sender<upload::SealProgress>>,
    ) -> Result<Spool, UploadError> {
        let record = spool.with_extension("tsa.json");
        let header = self.config().sealing.header();
        std::fs::create_dir_all(self.state_dir(store))?;
        let sealing = self.config().sealing.clone();
        let (source, out) = (store.path(&entry.name.file_name()), spool.to_owned());
        let copy_sha256 = local.sha256.clone();
        let bytes = local.bytes;
        let sealed = tokio::task::spawn_blocking(move || {
            let tell = |written| {
                if let Some(p) = &progress {
                    p.send_modify(|p| p.written = written);
                }
            };
            let sealed = sealing
                .seal_watched(&source, bytes, &copy_sha256, &out, &tell)
                .map_err(|e| match e {
                    SealError::LocalChanged(what) => UploadError::LocalChanged {
                        file: source.display().to_string(),
                        what,
                    },
                    SealError::Io(e) => UploadError::Io(std::io::Error::new(
                        e.kind(),
                        format!("cannot seal the copy into {}: {e}", out.display()),
                    )),
                })
                .and_then(|(bytes, sha256)| {
                    // Recorded before anyone is told: a later attempt finds
                    // the spool of any upload state that names it.
                    let spooled = Spool {
                        copy_sha256,
                        header,
                        bytes,
                        sha256,
                    };
                    let body = serde_json::to_vec(&spooled).map_err(std::io::Error::other)?;
                    std::fs::write(&record, body)?;
                    Ok(spooled)
                });
            if let Some(p) = &progress {
                p.send_modify(|p| {
                    p.done = Some(sealed.as_ref().ok().map(|s| (s.bytes, s.sha256.clone())));
                });
            }
            sealed
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(sealed)
    }

    /// Where this destination keeps upload state and spools.
    fn state_dir(&self, store: &BackupStore) -> PathBuf {
        store.state_dir().join("offsite").join(&self.config().name)
    }
}

/// Bytes read from an artifact's start to find its header.
const HEADER_WINDOW: usize = 8192;

/// Why a remote copy could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The store refused or could not be reached.
    #[error("{0}")]
    Store(#[from] object_store::Error),
    /// What is stored is not what was uploaded.
    #[error("remote copy damaged: {0}")]
    Damaged(String),
    /// Encrypted, and no identity given opens it.
    #[error("{0}")]
    Locked(OpenError),
    /// Writing the download failed.
    #[error("{0}")]
    Io(std::io::Error),
}

impl From<OpenError> for RemoteError {
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::Damaged(why) => Self::Damaged(why),
            OpenError::Io(e) => Self::Io(e),
            e @ (OpenError::NeedsIdentity(_) | OpenError::WrongIdentity(_)) => Self::Locked(e),
        }
    }
}

/// The object that says which instance writes under a host name.
const CLAIM: &str = ".tablesafe-host.json";

/// Who writes under `<prefix>/<host>/`.
#[derive(Debug, Serialize, Deserialize)]
struct HostClaim {
    /// The instance's id (kept in its backup directory).
    instance: String,
    /// The machine it runs on.
    machine: String,
    /// Its backup directory.
    backup_dir: String,
    /// When it first claimed the name.
    claimed_at: DateTime<Utc>,
}

/// The kernel's name for this machine, for a claim's reader.
fn this_machine() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "unknown".into())
}

/// A sealed artifact waiting in the spool, as its record describes it.
#[derive(Debug, Serialize, Deserialize)]
struct Spool {
    /// The copy it was sealed from.
    copy_sha256: String,
    /// How it was sealed.
    header: ArtifactHeader,
    /// Its bytes.
    bytes: u64,
    /// Its SHA-256.
    sha256: String,
}

/// One destination's task.
struct Task {
    remote: Remote,
    shared: Arc<Shared>,
    store: BackupStore,
    bus: EventBus,
    clock: Clock,
}

impl Task {
    async fn run(self, stop: CancellationToken) {
        let mut events = self.bus.subscribe(None);
        let mut next = tokio::time::Instant::now();
        let verify_every = self.remote.config().verify_interval;
        let mut next_verify = tokio::time::Instant::now() + verify_every;
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep_until(next_verify) => {
                    tokio::select! {
                        () = stop.cancelled() => break,
                        () = self.verify_round() => {}
                    }
                    next_verify = tokio::time::Instant::now() + verify_every;
                }
                () = self.shared.wake.notified() => next = tokio::time::Instant::now(),
                event = events.next() => {
                    if matches!(event.payload, EventPayload::TableBackedUp { .. }) {
                        next = tokio::time::Instant::now();
                    }
                }
                () = tokio::time::sleep_until(next) => {
                    let pass = tokio::select! {
                        () = stop.cancelled() => break,
                        pass = self.pass() => pass,
                    };
                    let wait = if pass { self.remote.config().resync_interval } else { self.remote.config().retry_interval };
                    next = tokio::time::Instant::now() + wait;
                }
            }
        }
    }

    fn facts(&self) -> std::sync::MutexGuard<'_, DestinationFacts> {
        self.shared
            .facts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Brings the destination in step; whether everything went through.
    async fn pass(&self) -> bool {
        let store = self.store.clone();
        let local = match tokio::task::spawn_blocking(move || store.list(None)).await {
            Ok(Ok(local)) => local,
            Ok(Err(e)) => return self.pass_failed(format!("backup directory: {e}")),
            Err(e) => return self.pass_failed(format!("listing the backup directory: {e}")),
        };
        let mut by_table: BTreeMap<String, Vec<BackupEntry>> = BTreeMap::new();
        for entry in local {
            if entry.made_by_tablesafe() && entry.verified() {
                by_table
                    .entry(entry.name.table.clone())
                    .or_default()
                    .push(entry);
            }
        }
        self.clear_abandoned(&by_table).await;
        let host = self.remote.config().host.clone();
        let listed = match self.claim_host().await {
            Ok(()) => self
                .remote
                .list(&host)
                .await
                .map_err(|e| format!("listing the destination: {e}")),
            Err(message) => Err(message),
        };
        let mut remote = match listed {
            Ok(remote) => remote,
            Err(message) => {
                // What waits is still known: every local copy newer than
                // the newest seen stored.
                let mut facts = self.facts();
                for (table, local) in &by_table {
                    let entry = facts.tables.entry(table.clone()).or_default();
                    entry.pending = local
                        .iter()
                        .filter(|e| entry.newest.as_ref().is_none_or(|n| &e.name > n))
                        .count();
                }
                drop(facts);
                return self.pass_failed(message);
            }
        };
        let mut all_ok = true;
        let tables: BTreeSet<String> = by_table.keys().chain(remote.keys()).cloned().collect();
        for table in tables {
            let local = by_table.remove(&table).unwrap_or_default();
            let copies = remote.remove(&table).unwrap_or_default();
            all_ok &= self.sync_table(&table, &local, copies).await;
        }
        let mut facts = self.facts();
        facts.last_pass = Some(self.clock.now());
        facts.failure = None;
        all_ok
    }

    /// Makes sure this instance owns its host name at the destination: the
    /// first pass puts `<prefix>/<host>/.tablesafe-host.json` naming this
    /// backup directory's instance id; a pass that finds another instance's
    /// claim uploads and deletes nothing (two instances under one host name
    /// would prune each other's copies).
    async fn claim_host(&self) -> Result<(), String> {
        let ours = self
            .instance_id()
            .map_err(|e| format!("the instance id cannot be kept: {e}"))?;
        let config = self.remote.config();
        let key = self.remote.host_dir(&config.host).join(CLAIM);
        let store = self.remote.store();
        let read = |bytes: &[u8]| serde_json::from_slice::<HostClaim>(bytes).ok();
        let claim = match store.get(&key).await {
            Ok(found) => found.bytes().await.ok().and_then(|b| read(&b)),
            Err(object_store::Error::NotFound { .. }) => {
                let mine = HostClaim {
                    instance: ours.clone(),
                    machine: this_machine(),
                    backup_dir: self.store.dir().display().to_string(),
                    claimed_at: self.clock.now(),
                };
                let body = serde_json::to_vec_pretty(&mine).map_err(|e| e.to_string())?;
                let create = object_store::PutOptions::from(object_store::PutMode::Create);
                match store
                    .put_opts(&key, PutPayload::from(body.clone()), create)
                    .await
                {
                    Ok(_) => Some(mine),
                    // Another instance claimed it in between: read its claim.
                    Err(
                        object_store::Error::AlreadyExists { .. }
                        | object_store::Error::Precondition { .. },
                    ) => match store.get(&key).await {
                        Ok(found) => found.bytes().await.ok().and_then(|b| read(&b)),
                        Err(e) => return Err(format!("reading {key}: {e}")),
                    },
                    Err(object_store::Error::NotImplemented { .. }) => {
                        store
                            .put(&key, PutPayload::from(body))
                            .await
                            .map_err(|e| format!("claiming {key}: {e}"))?;
                        Some(mine)
                    }
                    Err(e) => return Err(format!("claiming {key}: {e}")),
                }
            }
            Err(e) => return Err(format!("reading {key}: {e}")),
        };
        match claim {
            Some(claim) if claim.instance == ours => Ok(()),
            Some(claim) => Err(format!(
                "host name {:?} at {} is claimed by another tablesafe (on {}, backup directory {}, since {}): nothing is uploaded or deleted there; give each instance its own host, or delete {key} if that instance is gone for good",
                config.host,
                config.name,
                claim.machine,
                claim.backup_dir,
                claim.claimed_at.format("%Y-%m-%dT%H:%M:%SZ")
            )),
            None => Err(format!("{key} cannot be read as a host claim: nothing is uploaded or deleted there")),
        }
    }

    /// This backup directory's instance id, made on first use.
    fn instance_id(&self) -> std::io::Result<String> {
        let path = self.store.state_dir().join("offsite").join("instance");
        if let Ok(id) = std::fs::read_to_string(&path) {
            if !id.trim().is_empty() {
                return Ok(id.trim().to_owned());
            }
        }
        std::fs::create_dir_all(path.parent().unwrap_or(&path))?;
        let id = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, &id)?;
        std::fs::rename(&tmp, &path)?;
        Ok(id)
    }

    /// Removes the upload state and spools of copies no longer in the backup
    /// directory (pruned there before they went up), aborting their uploads.
    async fn clear_abandoned(&self, local: &BTreeMap<String, Vec<BackupEntry>>) {
        let dir = self.remote.state_dir(&self.store);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return;
        };
        let here: BTreeSet<String> = local
            .values()
            .flatten()
            .map(|e| e.name.file_name())
            .collect();
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            let Some(at) = file.find(".dets.") else {
                continue;
            };
            if here.contains(&file[..at + ".dets".len()]) {
                continue;
            }
            if file.ends_with(".upload.json") {
                upload::abandon(self.remote.store(), &entry.path()).await;
            } else {
                let _ = std::fs::remove_file(entry.path());
            }
            tracing::info!(file = %file, "offsite state of a copy no longer here removed");
        }
    }

    /// Downloads a random sample of this host's remote copies and checks
    /// each against its manifest. A damaged one is deleted when its local
    /// copy is still here (the next pass uploads it again), else kept and
    /// shown in health as no copy.
    async fn verify_round(&self) {
        let config = self.remote.config();
        let remote = match self.remote.list(&config.host).await {
            Ok(remote) => remote,
            Err(e) => {
                self.pass_failed(format!("listing the destination to verify: {e}"));
                return;
            }
        };
        let mut copies: Vec<RemoteCopy> = remote
            .into_values()
            .flatten()
            .filter(|c| c.has_manifest)
            .collect();
        fastrand::shuffle(&mut copies);
        let mut heal = false;
        for copy in copies.into_iter().take(config.verify_sample) {
            let (table, file) = (copy.name.table.clone(), copy.name.file_name());
            let why = match self.remote.check(&config.host, &copy.name).await {
                Ok(_) => {
                    tracing::info!(table = %table, file = %file, "remote copy downloaded and checked");
                    if let Some(t) = self.facts().tables.get_mut(&table) {
                        t.damaged.remove(&copy.name);
                    }
                    continue;
                }
                Err(RemoteError::Damaged(why)) => why,
                Err(e) => {
                    tracing::warn!(table = %table, file = %file, error = %e, "remote copy could not be checked");
                    continue;
                }
            };
            let (store, name) = (self.store.clone(), copy.name.clone());
            let local_here = tokio::task::spawn_blocking(move || {
                store
                    .list(Some(&name.table))
                    .is_ok_and(|l| l.iter().any(|e| e.name == name && e.verified()))
            })
            .await
            .unwrap_or(false);
            let message = if local_here {
                format!("remote copy damaged, uploaded again from the local copy: {why}")
            } else {
                format!("remote copy damaged and its local copy is gone: {why}")
            };
            tracing::error!(table = %table, file = %file, error = %message, "remote copy failed its check");
            let event = EventPayload::OffsiteFailed {
                destination: config.name.clone(),
                table: table.clone(),
                file_name: file,
                message: message.clone(),
            };
            let failure = Failure {
                at: self.clock.now(),
                message,
            };
            if local_here {
                let deleted = async {
                    let store = self.remote.store();
                    store
                        .delete(&self.remote.manifest(&config.host, &copy.name))
                        .await?;
                    store
                        .delete(&self.remote.artifact(&config.host, &copy.name))
                        .await
                }
                .await;
                if let Err(e) = deleted {
                    tracing::warn!(error = %e, "the damaged remote copy could not be deleted");
                }
                heal = true;
                self.facts().tables.entry(table).or_default().failure = Some(failure);
            } else {
                self.facts()
                    .tables
                    .entry(table)
                    .or_default()
                    .damaged
                    .insert(copy.name, failure);
            }
            self.bus.publish(event);
        }
        if heal {
            self.shared.wake.notify_one();
        }
    }

    fn pass_failed(&self, message: String) -> bool {
        tracing::warn!(error = %message, "offsite pass failed; will try again");
        self.facts().failure = Some(Failure {
            at: self.clock.now(),
            message: message.clone(),
        });
        self.bus.publish(EventPayload::OffsiteFailed {
            destination: self.remote.config().name.clone(),
            table: String::new(),
            file_name: String::new(),
            message,
        });
        false
    }

    /// Uploads the table's missing copies, newest first, then applies remote
    /// retention; whether every upload went through.
    async fn sync_table(
        &self,
        table: &str,
        local: &[BackupEntry],
        mut copies: Vec<RemoteCopy>,
    ) -> bool {
        let stored: BTreeSet<BackupName> = copies
            .iter()
            .filter(|c| c.has_manifest)
            .map(|c| c.name.clone())
            .collect();
        let missing: Vec<&BackupEntry> =
            local.iter().filter(|e| !stored.contains(&e.name)).collect();
        let mut failure = None;
        let mut uploaded = 0;
        // Published once the table's facts are updated, so that whoever
        // reads health on an event sees what it announces.
        let mut events = Vec::new();
        for entry in &missing {
            let (result, event) = self.upload(entry).await;
            events.push(event);
            match result {
                Ok(()) => {
                    uploaded += 1;
                    if let Some(t) = self.facts().tables.get_mut(table) {
                        t.damaged.remove(&entry.name);
                    }
                    copies.push(RemoteCopy {
                        name: entry.name.clone(),
                        has_manifest: true,
                        manifest_etag: None,
                    });
                }
                Err(message) => {
                    failure = Some(Failure {
                        at: self.clock.now(),
                        message,
                    })
                }
            }
        }
        copies.sort_by(|a, b| b.name.cmp(&a.name));
        let uploading: BTreeSet<&BackupName> = missing.iter().map(|e| &e.name).collect();
        let damaged: BTreeSet<BackupName> = self
            .facts()
            .tables
            .get(table)
            .map(|t| t.damaged.keys().cloned().collect())
            .unwrap_or_default();
        let kept = self.prune(&copies, &uploading, local, &damaged).await;
        let ok = failure.is_none();
        let mut facts = self.facts();
        let entry = facts.tables.entry(table.to_owned()).or_default();
        let good = |c: &&RemoteCopy| c.has_manifest && !damaged.contains(&c.name);
        entry
            .damaged
            .retain(|name, _| kept.iter().any(|c| &c.name == name));
        // The newest believable copy: one dated ahead of the clock (it was
        // wrong then) has an unknown age, and is the newest only when no
        // other is there.
        let now = self.clock.now();
        entry.newest = kept
            .iter()
            .filter(good)
            .map(|c| &c.name)
            .min_by_key(|n| (from_the_future(n.at, now), std::cmp::Reverse(*n)))
            .cloned();
        entry.copies = kept.iter().filter(good).count();
        entry.pending = missing.len() - uploaded;
        if ok {
            entry.failure = None;
        } else {
            entry.failure = failure;
        }
        drop(facts);
        for event in events {
            self.bus.publish(event);
        }
        ok
    }

    /// Deletes the copies retention lets go (see [`keep`]: never the newest
    /// good one), and artifacts left without a manifest whose local copy is
    /// gone; returns what remains.
    async fn prune(
        &self,
        copies: &[RemoteCopy],
        uploading: &BTreeSet<&BackupName>,
        local: &[BackupEntry],
        damaged: &BTreeSet<BackupName>,
    ) -> Vec<RemoteCopy> {
        let host = &self.remote.config().host;
        let local: BTreeSet<&BackupName> = local.iter().map(|e| &e.name).collect();
        let retention = &self.remote.config().retention;
        let expired: BTreeSet<BackupName> =
            keep::to_delete(copies, damaged, retention, self.clock.now())
                .into_iter()
                .collect();
        let mut kept = Vec::new();
        for copy in copies {
            let delete = if copy.has_manifest {
                expired.contains(&copy.name)
            } else {
                // An artifact without a manifest is a cut-short upload: gone
                // once its local copy is, or it is retried over.
                !local.contains(&copy.name) && !uploading.contains(&copy.name)
            };
            if !delete {
                kept.push(copy.clone());
                continue;
            }
            // The manifest first: from then on it is no longer a copy.
            let manifest = self.remote.manifest(host, &copy.name);
            let artifact = self.remote.artifact(host, &copy.name);
            let result = async {
                if copy.has_manifest {
                    self.remote.store().delete(&manifest).await?;
                }
                self.remote.store().delete(&artifact).await
            }
            .await;
            match result {
                Ok(()) => {
                    tracing::info!(table = %copy.name.table, file = %copy.name.file_name(), "remote copy pruned")
                }
                Err(e) => {
                    tracing::warn!(table = %copy.name.table, file = %copy.name.file_name(), error = %e, "remote copy could not be pruned");
                    kept.push(copy.clone());
                }
            }
        }
        kept
    }

    /// Uploads one verified local copy and puts its manifest.
    async fn upload(&self, entry: &BackupEntry) -> (Result<(), String>, EventPayload) {
        let config = self.remote.config();
        let failed = |message: String| EventPayload::OffsiteFailed {
            destination: config.name.clone(),
            table: entry.name.table.clone(),
            file_name: entry.name.file_name(),
            message,
        };
        let Some(local) = entry.manifest.clone() else {
            let message = "no manifest".to_owned();
            return (Err(message.clone()), failed(message));
        };
        let started = Instant::now();
        let result = self
            .remote
            .upload(&self.store, entry, &local, self.clock)
            .await;
        let file_name = entry.name.file_name();
        match result {
            Ok((_, stored)) => {
                tracing::info!(
                    table = %entry.name.table,
                    file = %file_name,
                    bytes = stored.bytes,
                    parts_sent = stored.parts_sent,
                    parts_resumed = stored.parts_resumed,
                    duration_ms = started.elapsed().as_millis() as u64,
                    "offsite copy stored and checked"
                );
                let copied = EventPayload::OffsiteCopied {
                    destination: config.name.clone(),
                    table: entry.name.table.clone(),
                    file_name,
                    bytes: stored.bytes,
                    duration: started.elapsed(),
                    captured_at: entry.captured_at(),
                };
                (Ok(()), copied)
            }
            Err(e) => {
                let message = e.to_string();
                tracing::warn!(table = %entry.name.table, file = %file_name, error = %message, "offsite upload failed");
                (Err(message.clone()), failed(message))
            }
        }
    }
}
