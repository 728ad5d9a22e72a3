//! `tablesafe restore --from-offsite`: a remote copy restored on this
//! machine, the server not involved (a new host may have none yet).
//!
//! The copy is downloaded into a staging directory beside the target, checked
//! against its remote manifest (the artifact's size and SHA-256, its header),
//! decrypted with the identity given, decompressed, and checked again (the
//! copy's SHA-256); then the normal restore path takes it from there: proved
//! object by object against the copy's own manifest, written beside the
//! target, proved again, renamed into place. Nothing is left behind but the
//! restored file.
//!
//! In place (`--in-place`), the table's own file is the server's to replace:
//! the checked copy is imported into the server's backup directory (with its
//! manifest, never over another file of that name), and the server restores
//! it as it restores any local copy: the file quiesced and not held open,
//! kept first as a safety copy, the copy proved before and after. The
//! identity never leaves this machine. A dry run takes the imported copy
//! away again; a restore the server refuses keeps it (a proved copy: the next
//! attempt needs no download).

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use tablesafe_client::proto;
use tablesafe_engine::catalog::{Role, TableEntry};
use tablesafe_engine::offsite::{read_identities, Destination, Identity, Remote, RemoteError};
use tablesafe_engine::restore::{self, RestoreRequest, Which};
use tablesafe_engine::store::{
    free_space_at, remove_abandoned_staging, BackupName, BackupStore, Manifest, STAGING_PREFIX,
};

use crate::client_cli::Connection;
use crate::config::FileConfig;
use crate::convert::ToProto;

/// A restore from an offsite destination, as the command line asks for it.
#[derive(Debug)]
pub struct FromOffsite {
    /// The server's config file: the destinations and their credentials.
    pub config: PathBuf,
    /// Which destination (needed when there are several).
    pub destination: Option<String>,
    /// Whose copies: a host name in the bucket's layout (default this
    /// machine's, as the config names it).
    pub host: Option<String>,
    /// The table.
    pub table: String,
    /// This copy (a backup file name); else the newest at or before `as_of`;
    /// else the newest.
    pub backup: Option<String>,
    /// The newest copy captured at or before this time.
    pub as_of: Option<DateTime<Utc>>,
    /// Where to restore it.
    pub target: Target,
    /// Restore a dirty copy rewritten clean.
    pub allow_dirty: bool,
    /// Say what would be done, and change nothing (the copy is still
    /// downloaded and checked).
    pub dry_run: bool,
    /// An age identity file, for an encrypted copy.
    pub identity: Option<PathBuf>,
    /// Print proto3 JSON.
    pub json: bool,
}

/// Where a restore from offsite writes.
#[derive(Debug)]
pub enum Target {
    /// A file of the caller's, written here.
    Path {
        /// The file to write.
        path: PathBuf,
        /// Replace an existing file there.
        force: bool,
    },
    /// The table's own file, replaced by the server at this connection.
    InPlace(Connection),
}

/// Why a restore from offsite did not happen. The target is as it was.
#[derive(Debug, thiserror::Error)]
pub enum OffsiteRestoreError {
    /// The config, the destination or the identity cannot be used.
    #[error("{0}")]
    Setup(String),
    /// No remote copy qualifies.
    #[error("{0}")]
    NoCopy(String),
    /// The store refused, or what it holds is not what was uploaded.
    #[error("{0}")]
    Remote(#[from] RemoteError),
    /// The normal restore path refused or failed.
    #[error("{0}")]
    Restore(#[from] restore::RestoreError),
    /// The server refused or failed the in-place restore.
    #[error("{0}")]
    Server(String),
    /// The staging directory could not be made.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl FromOffsite {
    /// Runs it and prints the plan (and whether it was carried out).
    pub async fn run(self, out: &mut impl Write) -> Result<(), OffsiteRestoreError> {
        let setup = OffsiteRestoreError::Setup;
        let file = FileConfig::load(&self.config).map_err(|e| setup(e.to_string()))?;
        let found = file
            .offsite_restore(&|name| std::env::var(name).ok())
            .map_err(|e| setup(e.to_string()))?;
        let destination = self.destination_of(found.destinations)?;
        let identities = match &self.identity {
            Some(path) => read_identities(path).map_err(setup)?,
            None => Vec::new(),
        };
        let host = self
            .host
            .clone()
            .unwrap_or_else(|| destination.config.host.clone());
        let label = format!("{}:{host}", destination.config.name);
        let from = Source {
            label,
            remote: Remote::new(destination),
            host,
            identities,
        };
        let reply = match &self.target {
            Target::Path { path, force } => {
                self.to_path(&from, path, *force, found.protected).await?
            }
            Target::InPlace(conn) => {
                let backup_dir = found.backup_dir.ok_or_else(|| {
                    setup(format!(
                        "{} names no backup_dir: an in-place restore imports the copy into the server's backup directory",
                        self.config.display()
                    ))
                })?;
                self.in_place(&from, conn, &backup_dir).await?
            }
        };
        crate::client_cli::print_restore(&reply, self.json, out);
        Ok(())
    }

    /// Restores the chosen copy to `path`, on this machine.
    async fn to_path(
        &self,
        from: &Source,
        path: &Path,
        force: bool,
        protected: Vec<PathBuf>,
    ) -> Result<proto::RestoreBackupResponse, OffsiteRestoreError> {
        let name = self.choose(from).await?;
        let request = RestoreRequest {
            table: TableEntry {
                name: self.table.clone(),
                path: path.to_owned(),
                role: Role::Listed,
                present: path.exists(),
                backed_up: true,
            },
            which: Which::File(name.file_name()),
            to: restore::Destination::Path {
                path: path.to_owned(),
                force,
            },
            allow_dirty: self.allow_dirty,
            keep_out_of: protected,
        };
        // Refused targets are refused before anything is downloaded.
        restore::check_target(&request)?;
        let staging = Staging::beside(path)?;
        let store = BackupStore::open(staging.path())?;
        let manifest = from.download(&name, &store.path(&name.file_name())).await?;
        store.write_manifest(&name, &manifest)?;

        let started = std::time::Instant::now();
        let dry_run = self.dry_run;
        let (plan, restored) = tokio::task::spawn_blocking(move || {
            let plan = restore::plan(&store, &request, None, Utc::now())?;
            if !dry_run {
                restore::execute(&store, &plan, "offsite")?;
            }
            Ok::<_, restore::RestoreError>((plan, !dry_run))
        })
        .await
        .map_err(std::io::Error::other)??;
        drop(staging);
        let mut plan = plan.to_proto();
        from.name_in(&self.table, &mut plan);
        Ok(proto::RestoreBackupResponse {
            plan: Some(plan),
            restored,
            run_id: "offsite".into(),
            duration: Some(started.elapsed().to_proto()),
        })
    }

    /// Imports the chosen copy into the server's backup directory and has
    /// the server restore it onto the table's own file.
    async fn in_place(
        &self,
        from: &Source,
        conn: &Connection,
        backup_dir: &Path,
    ) -> Result<proto::RestoreBackupResponse, OffsiteRestoreError> {
        let name = self.choose(from).await?;
        let store = BackupStore::open(backup_dir)?;
        let remote_manifest = from.remote.read_manifest(&from.host, &name).await?;
        let imported = if already_here(&store, &name, &remote_manifest.local).await? {
            None
        } else {
            let need = remote_manifest.artifact_bytes + remote_manifest.local.bytes;
            let free = free_space_at(backup_dir)?;
            if free < need {
                return Err(OffsiteRestoreError::Setup(format!(
                    "{} has {free} bytes free; the download and the copy need {need}",
                    backup_dir.display()
                )));
            }
            // Inside the backup directory: the same file system, so the copy
            // moves into place by a link, never copied again.
            let staging = Staging::inside(backup_dir)?;
            let staged = staging.path().join(name.file_name());
            let manifest = from.download(&name, &staged).await?;
            Some(import(&store, &name, &staged, &manifest)?)
        };
        let request = proto::RestoreBackupRequest {
            table: self.table.clone(),
            backup: name.file_name(),
            in_place: true,
            allow_dirty: self.allow_dirty,
            dry_run: self.dry_run,
            ..Default::default()
        };
        let answer = crate::client_cli::restore_reply(conn, request).await;
        // A dry run changes nothing: the copy it imported goes again (unless
        // another file has taken its name since). A refused restore keeps it:
        // it is a proved copy, and the next attempt needs no download.
        if let (Some(linked), true) = (&imported, self.dry_run) {
            if let Err(e) = linked.take_away(&store, &name) {
                tracing::warn!(error = %e, copy = %name.file_name(), "cannot take the imported copy away");
            }
        }
        let mut reply = answer.map_err(|e| {
            let kept = match (&imported, self.dry_run) {
                (Some(_), false) => format!(
                    " (the copy stays in the backup directory as {}; a new attempt uses it)",
                    name.file_name()
                ),
                _ => String::new(),
            };
            OffsiteRestoreError::Server(format!("{}{kept}", crate::client_cli::explain(conn, &e)))
        })?;
        if let Some(plan) = reply.plan.as_mut() {
            from.name_in(&self.table, plan);
        }
        Ok(reply)
    }

    /// The destination asked for, or the only one.
    fn destination_of(
        &self,
        mut all: Vec<Destination>,
    ) -> Result<Destination, OffsiteRestoreError> {
        let names = || {
            all.iter()
                .map(|d| d.config.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let found = match &self.destination {
            Some(name) => all
                .iter()
                .position(|d| &d.config.name == name)
                .ok_or_else(|| {
                    format!(
                        "{} names no [[offsite]] destination {name:?} (it has: {})",
                        self.config.display(),
                        names()
                    )
                }),
            None if all.len() == 1 => Ok(0),
            None if all.is_empty() => Err(format!(
                "{} has no [[offsite]] destination",
                self.config.display()
            )),
            None => Err(format!(
                "several destinations ({}): pass --destination",
                names()
            )),
        };
        let index = found.map_err(OffsiteRestoreError::Setup)?;
        Ok(all.swap_remove(index))
    }

    /// The remote copy asked for among the host's copies of the table.
    async fn choose(&self, from: &Source) -> Result<BackupName, OffsiteRestoreError> {
        let copies: Vec<BackupName> = from
            .remote
            .list(&from.host)
            .await
            .map_err(RemoteError::from)?
            .remove(&self.table)
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.has_manifest)
            .map(|c| c.name)
            .collect();
        let where_ = format!("at {}", from.label);
        let chosen = match (&self.backup, self.as_of) {
            (Some(file), _) => copies
                .into_iter()
                .find(|n| &n.file_name() == file)
                .ok_or_else(|| format!("{file} is not a copy of {} {where_}", self.table)),
            (None, Some(at)) => copies.into_iter().find(|n| n.at <= at).ok_or_else(|| {
                format!(
                    "no copy of {} {where_} captured at or before {}",
                    self.table,
                    at.format("%Y-%m-%dT%H:%M:%SZ")
                )
            }),
            (None, None) => copies
                .into_iter()
                .next()
                .ok_or_else(|| format!("no copy of {} {where_}", self.table)),
        };
        chosen.map_err(OffsiteRestoreError::NoCopy)
    }
}

/// Where the copy comes from.
struct Source {
    remote: Remote,
    host: String,
    identities: Vec<Identity>,
    /// `destination:host`, as plans name the copy.
    label: String,
}

impl Source {
    /// Names the copy of `table` a plan restores as this source's.
    fn name_in(&self, table: &str, plan: &mut proto::RestorePlan) {
        plan.backup = format!("{}/{table}/{}", self.label, plan.backup);
    }

    /// Downloads and checks `name` into `out`: its local manifest.
    async fn download(&self, name: &BackupName, out: &Path) -> Result<Manifest, RemoteError> {
        let manifest = self
            .remote
            .download_to(&self.host, name, &self.identities, out)
            .await?;
        Ok(manifest.local)
    }
}

/// Whether the very copy (`manifest`'s bytes, hashed now) is in `store`
/// under `name` already. Refused when something else has that name: another
/// copy (left as it is), or a copy the server is writing now.
async fn already_here(
    store: &BackupStore,
    name: &BackupName,
    manifest: &Manifest,
) -> Result<bool, OffsiteRestoreError> {
    let copy = store.path(&name.file_name());
    let taken = |what: &str| {
        OffsiteRestoreError::Setup(format!(
            "{} {what}: it is left as it is; restore to a path with --to instead",
            copy.display()
        ))
    };
    if !copy.exists() {
        let partial = store.path(&name.partial_name()).exists();
        if partial || store.path(&name.manifest_name()).exists() {
            return Err(taken("is being written by the server"));
        }
        return Ok(false);
    }
    let (path, bytes) = (copy.clone(), manifest.bytes);
    let sha = tokio::task::spawn_blocking(move || {
        // Another size is another file: no need to hash it.
        if std::fs::metadata(&path)?.len() != bytes {
            return Ok(None);
        }
        tablesafe_engine::pipeline::sha256_file(&path).map(Some)
    })
    .await
    .map_err(std::io::Error::other)??;
    if sha.as_deref() != Some(manifest.sha256.as_str()) {
        return Err(taken(
            "is in the backup directory and is not the remote copy",
        ));
    }
    // An import cut short before its manifest (or a manifest lost since).
    if !store.path(&name.manifest_name()).exists() {
        store.write_manifest(name, manifest)?;
        store.sync_dir()?;
    }
    Ok(true)
}

/// A copy this command linked into the backup directory: the file it is.
struct Imported {
    dev: u64,
    ino: u64,
}

impl Imported {
    /// Removes the copy and its manifest, if the name still holds this file.
    fn take_away(&self, store: &BackupStore, name: &BackupName) -> std::io::Result<()> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(store.path(&name.file_name()))?;
        if (meta.dev(), meta.ino()) != (self.dev, self.ino) {
            return Ok(());
        }
        store.delete(name)?;
        store.sync_dir()
    }
}

/// Puts the checked copy `staged` into `store` under `name` with its
/// manifest, durably. The manifest goes first: a crash between the two
/// leaves a manifest without its copy, which the server removes when it
/// starts; a copy without a manifest it would keep forever. Never replaces
/// a file: the link fails when the name was taken meanwhile.
fn import(
    store: &BackupStore,
    name: &BackupName,
    staged: &Path,
    manifest: &Manifest,
) -> Result<Imported, OffsiteRestoreError> {
    use std::os::unix::fs::MetadataExt;
    let target = store.path(&name.file_name());
    store.write_manifest(name, manifest)?;
    if let Err(e) = std::fs::hard_link(staged, &target) {
        let _ = std::fs::remove_file(store.path(&name.manifest_name()));
        return Err(std::io::Error::new(
            e.kind(),
            format!("cannot import the copy as {}: {e}", target.display()),
        )
        .into());
    }
    store.sync_dir()?;
    let meta = std::fs::metadata(&target)?;
    Ok(Imported {
        dev: meta.dev(),
        ino: meta.ino(),
    })
}

/// A directory for the download, removed with all in it.
struct Staging(PathBuf);

impl Staging {
    /// Beside the file a restore writes.
    fn beside(target: &Path) -> std::io::Result<Self> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        Self::inside(&parent)
    }

    /// In `dir`, hidden; first removes what restores killed midway left in
    /// `dir`.
    fn inside(dir: &Path) -> std::io::Result<Self> {
        for name in remove_abandoned_staging(dir)? {
            tracing::info!(dir = %dir.display(), staging = %name, "removed the staging of a restore that did not finish");
        }
        let name = format!(
            "{STAGING_PREFIX}{}-{:08x}",
            std::process::id(),
            fastrand::u32(..)
        );
        let dir = dir.join(name);
        std::fs::create_dir(&dir)?;
        Ok(Self(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
