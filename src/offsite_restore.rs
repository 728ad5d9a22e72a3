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

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use tablesafe_client::proto;
use tablesafe_engine::catalog::{Role, TableEntry};
use tablesafe_engine::offsite::{read_identities, Destination, Remote, RemoteError};
use tablesafe_engine::restore::{self, RestoreRequest, Which};
use tablesafe_engine::store::{BackupName, BackupStore};

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
    /// The file to write.
    pub to: PathBuf,
    /// Replace an existing file there.
    pub force: bool,
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
    /// The staging directory could not be made.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl FromOffsite {
    /// Runs it and prints the plan (and whether it was carried out).
    pub async fn run(self, out: &mut impl Write) -> Result<(), OffsiteRestoreError> {
        let setup = OffsiteRestoreError::Setup;
        let file = FileConfig::load(&self.config).map_err(|e| setup(e.to_string()))?;
        let (destinations, protected) = file
            .offsite_restore(&|name| std::env::var(name).ok())
            .map_err(|e| setup(e.to_string()))?;
        let destination = self.destination_of(destinations)?;
        let identities = match &self.identity {
            Some(path) => read_identities(path).map_err(setup)?,
            None => Vec::new(),
        };
        let host = self
            .host
            .clone()
            .unwrap_or_else(|| destination.config.host.clone());
        let dest_name = destination.config.name.clone();
        let remote = Remote::new(destination);
        let name = self.choose(&remote, &host, &dest_name).await?;

        let request = RestoreRequest {
            table: TableEntry {
                name: self.table.clone(),
                path: self.to.clone(),
                role: Role::Listed,
                present: self.to.exists(),
                backed_up: true,
            },
            which: Which::File(name.file_name()),
            to: restore::Destination::Path {
                path: self.to.clone(),
                force: self.force,
            },
            allow_dirty: self.allow_dirty,
            keep_out_of: protected,
        };
        // Refused targets are refused before anything is downloaded.
        restore::check_target(&request)?;
        let staging = Staging::beside(&self.to)?;
        let store = BackupStore::open(staging.path())?;
        let copy = store.path(&name.file_name());
        let manifest = remote.download_to(&host, &name, &identities, &copy).await?;
        store.write_manifest(&name, &manifest.local)?;

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
        plan.backup = format!("{dest_name}:{host}/{}/{}", self.table, plan.backup);
        let reply = proto::RestoreBackupResponse {
            plan: Some(plan),
            restored,
            run_id: "offsite".into(),
            duration: Some(started.elapsed().to_proto()),
        };
        crate::client_cli::print_restore(&reply, self.json, out);
        Ok(())
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

    /// The remote copy asked for among `host`'s copies of the table.
    async fn choose(
        &self,
        remote: &Remote,
        host: &str,
        dest: &str,
    ) -> Result<BackupName, OffsiteRestoreError> {
        let copies: Vec<BackupName> = remote
            .list(host)
            .await
            .map_err(RemoteError::from)?
            .remove(&self.table)
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.has_manifest)
            .map(|c| c.name)
            .collect();
        let where_ = format!("at {dest} for host {host}");
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

/// A directory beside the target for the download, removed with all in it.
struct Staging(PathBuf);

impl Staging {
    fn beside(target: &Path) -> std::io::Result<Self> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        let name = format!(
            ".tablesafe-offsite-{}-{:08x}",
            std::process::id(),
            fastrand::u32(..)
        );
        let dir = parent.join(name);
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
