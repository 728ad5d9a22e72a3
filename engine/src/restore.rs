//! Restore: a proved copy back onto a table's own file or to a new path,
//! in a way that cannot make things worse.
//!
//! The copy is chosen (the newest good one, the newest at or before a time,
//! or one by name), proved against its manifest (size, SHA-256, every object,
//! content digest), written to a temporary file in the target's directory,
//! fsynced, proved again from what is on disk, given the replaced file's mode
//! and owner, renamed over the target and the directory fsynced: a crash at
//! any point leaves the old file or the restored one, never a mix. In place,
//! nothing is replaced while a process holds the file open, and the file as
//! it was is first kept as a safety copy (`<backup_dir>/safety/`), which
//! retention never prunes and which restores back like any copy.
//!
//! Blocking code; the control task's handle runs it on a blocking thread.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::catalog::{canonical, TableEntry};
use crate::dets;
use crate::model::{Consistency, ErrorCode, TableError};
use crate::scrub::{prove, Fault};
use crate::store::{BackupEntry, BackupName, BackupStore, ContentDigest, Manifest, TOOL};

/// The directory under the backup directory that holds safety copies.
pub const SAFETY_DIR: &str = "safety";

/// Which copy to restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Which {
    /// The newest good copy.
    Newest,
    /// The newest good copy captured at or before this time.
    AsOf(DateTime<Utc>),
    /// This copy: a file name of the backup directory, or `safety/<name>`.
    File(String),
}

/// Where to restore it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A path of the caller's; an existing file there is replaced only when
    /// `force`.
    Path {
        /// The file to write.
        path: PathBuf,
        /// Replace an existing file.
        force: bool,
    },
    /// The table's own file.
    InPlace,
}

/// A restore asked for.
#[derive(Debug, Clone)]
pub struct RestoreRequest {
    /// The table, as the catalog sees it now.
    pub table: TableEntry,
    /// Which copy.
    pub which: Which,
    /// Where.
    pub to: Destination,
    /// Restore a dirty copy (Erlang repairs it on open, which on OTP 25 can
    /// lose objects).
    pub allow_dirty: bool,
    /// Directories a `Path` target may not be in (the data and backup
    /// directories): a table's file is restored only in place, with its
    /// checks and safety copy, and the backup directory is tablesafe's.
    pub keep_out_of: Vec<PathBuf>,
}

/// What a restore would do (all of a dry run), and what it did.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The table.
    pub table: String,
    /// The copy: its file name, `safety/<name>` for a safety copy.
    pub backup: String,
    /// When it was captured.
    pub captured_at: DateTime<Utc>,
    /// Clean or dirty.
    pub consistency: Consistency,
    /// Objects in it.
    pub records: u64,
    /// Its content digest, when its manifest has one.
    pub digest: Option<ContentDigest>,
    /// Its SHA-256.
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
    /// The file written.
    pub target: PathBuf,
    /// The size of the file it replaces, when there is one.
    pub overwrites: Option<u64>,
    /// Where the replaced file is kept (in place only), in the backup directory.
    pub safety_copy: Option<String>,
    /// What the caller should know (a dirty copy).
    pub warnings: Vec<String>,
}

/// Why a restore was refused or failed. Nothing was replaced.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// No copy qualifies.
    #[error("no verified copy of {table}{}", .as_of.map(|t| format!(" captured at or before {}", t.format("%Y-%m-%dT%H:%M:%SZ"))).unwrap_or_default())]
    NoCopy {
        /// The table.
        table: String,
        /// The time asked for.
        as_of: Option<DateTime<Utc>>,
    },
    /// The named copy is not a backup of the table.
    #[error("{file} is not a backup of {table} in the backup directory")]
    NotFound {
        /// The name given.
        file: String,
        /// The table.
        table: String,
    },
    /// The copy is not one tablesafe made and verified, or the scrub found it
    /// corrupt, or it no longer matches its manifest.
    #[error("{file} cannot be restored: {reason}")]
    Untrusted {
        /// The copy.
        file: String,
        /// Why.
        reason: String,
    },
    /// A dirty copy without `allow_dirty`.
    #[error("{file} is dirty (copied while the table was open, with writes it may not have reached): pass --allow-dirty to restore it rewritten as a clean file of what its slot table holds (no Erlang repair)")]
    Dirty {
        /// The copy.
        file: String,
    },
    /// A `--to` target inside a data or the backup directory.
    #[error("{} is inside {}: restore a table's own file with --in-place (it checks for holders and keeps a safety copy), and keep other restores out of tablesafe's directories", .target.display(), .dir.display())]
    ProtectedTarget {
        /// The target asked for.
        target: PathBuf,
        /// The directory it is in.
        dir: PathBuf,
    },
    /// The target exists and `force` was not given.
    #[error("{} exists; pass --force to replace it", .0.display())]
    TargetExists(PathBuf),
    /// A process holds the target open.
    #[error("{} is open in process {pid} ({name}); stop it, or close the table, first", .path.display())]
    InUse {
        /// The file.
        path: PathBuf,
        /// The holder's pid.
        pid: u32,
        /// Its command name.
        name: String,
    },
    /// The Erlang node has the table open.
    #[error("the Erlang node has {} open; close the table there first", .0.display())]
    OpenOnNode(PathBuf),
    /// What was written did not prove out (it was removed).
    #[error("the restored file did not match the backup and was removed: {0}")]
    WrittenMismatch(String),
    /// Reading or writing failed.
    #[error("{what} {}: {source}", .path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS's error.
        source: io::Error,
    },
}

impl RestoreError {
    /// The failure as the ledger records it.
    pub fn table_error(&self) -> TableError {
        let code = match self {
            Self::NoCopy { .. } | Self::NotFound { .. } => ErrorCode::NoVerifiedCopy,
            Self::Untrusted { .. } | Self::WrittenMismatch(_) => ErrorCode::BackupCorrupt,
            Self::Dirty { .. }
            | Self::TargetExists(_)
            | Self::ProtectedTarget { .. }
            | Self::InUse { .. }
            | Self::OpenOnNode(_) => ErrorCode::RestoreRefused,
            Self::Io { .. } => ErrorCode::BackupIo,
        };
        TableError::new(code, self.to_string())
    }
}

fn io_error<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> RestoreError + 'a {
    move |source| RestoreError::Io {
        what,
        path: path.to_owned(),
        source,
    }
}

/// A chosen copy: where it is and what its manifest says.
struct Chosen {
    label: String,
    path: PathBuf,
    manifest: Manifest,
}

/// Chooses the copy and checks everything that can be checked without
/// writing: the copy proves against its manifest, the target may be
/// written, nothing holds it open. `open_on_node` is what the Erlang node has
/// open, when one is configured.
pub fn plan(
    store: &BackupStore,
    request: &RestoreRequest,
    open_on_node: Option<&std::collections::HashSet<PathBuf>>,
    now: DateTime<Utc>,
) -> Result<Plan, RestoreError> {
    check_target(request)?;
    let chosen = choose(store, request, now)?;
    let m = &chosen.manifest;
    let mut warnings = Vec::new();
    if m.consistency == Consistency::Dirty {
        if !request.allow_dirty {
            return Err(RestoreError::Dirty { file: chosen.label });
        }
        warnings.push(format!(
            "{} is dirty: it is rewritten as a clean file holding exactly what its slot table holds (its manifest's digest), so Erlang opens it without its repair; writes the table had cached but not written when the copy was taken are not in it",
            chosen.label
        ));
    }
    prove(&chosen.path, m).map_err(|fault| RestoreError::Untrusted {
        file: chosen.label.clone(),
        reason: match fault {
            Fault::Unreadable(why) | Fault::Mismatch(why) => why,
        },
    })?;
    let (target, in_place) = match &request.to {
        // The real file: a table reached through a symbolic link keeps its link.
        Destination::InPlace => (canonical(&request.table.path), true),
        Destination::Path { path, .. } => (path.clone(), false),
    };
    let overwrites = fs::metadata(&target).ok().map(|meta| meta.len());
    if overwrites.is_some() {
        if let Some((pid, name)) = holder(&target) {
            return Err(RestoreError::InUse {
                path: target,
                pid,
                name,
            });
        }
        if open_on_node.is_some_and(|open| open.contains(&canonical(&target))) {
            return Err(RestoreError::OpenOnNode(target));
        }
    }
    let safety_copy = (in_place && overwrites.is_some()).then(|| {
        format!(
            "{SAFETY_DIR}/{}",
            BackupName::new(&request.table.name, now).file_name()
        )
    });
    Ok(Plan {
        table: request.table.name.clone(),
        backup: chosen.label,
        captured_at: m.captured_at,
        consistency: m.consistency,
        records: m.records,
        digest: m.digest,
        sha256: m.sha256.clone(),
        bytes: m.bytes,
        target,
        overwrites,
        safety_copy,
        warnings,
    })
}

/// Where first: a `Path` target inside a directory tablesafe must not write
/// is refused whatever the copy, and so is an existing file without `force`.
pub fn check_target(request: &RestoreRequest) -> Result<(), RestoreError> {
    let Destination::Path { path, force } = &request.to else {
        return Ok(());
    };
    let real = real_target(path);
    if let Some(dir) = request
        .keep_out_of
        .iter()
        .find(|dir| real.starts_with(canonical(dir)))
    {
        return Err(RestoreError::ProtectedTarget {
            target: path.clone(),
            dir: dir.clone(),
        });
    }
    if fs::symlink_metadata(path).is_ok() && !force {
        return Err(RestoreError::TargetExists(path.clone()));
    }
    Ok(())
}

/// `path` as the kernel would resolve it: the parent through its links, so
/// a link or `..` cannot slip a target into a protected directory.
fn real_target(path: &Path) -> PathBuf {
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => canonical(parent).join(name),
        _ => canonical(path),
    }
}

/// The copy `request` asks for among the good ones of its table.
fn choose(
    store: &BackupStore,
    request: &RestoreRequest,
    now: DateTime<Utc>,
) -> Result<Chosen, RestoreError> {
    let table = &request.table.name;
    let listing = |store: &BackupStore| {
        store
            .list(Some(table))
            .map_err(io_error("cannot list", store.dir()))
    };
    let entry = match &request.which {
        Which::File(file) => {
            let (store, name) = locate(store, file)?;
            let entry = listing(&store)?
                .into_iter()
                .find(|b| b.name.file_name() == name)
                .ok_or_else(|| RestoreError::NotFound {
                    file: file.clone(),
                    table: table.clone(),
                })?;
            trusted(&entry, file)?;
            return Ok(Chosen {
                label: file.clone(),
                path: store.path(name),
                manifest: entry
                    .manifest
                    .clone()
                    .expect("trusted copies have manifests"),
            });
        }
        Which::Newest => good_copies(listing(store)?, now).next(),
        Which::AsOf(at) => good_copies(listing(store)?, now).find(|b| b.captured_at() <= *at),
    };
    let as_of = match request.which {
        Which::AsOf(at) => Some(at),
        _ => None,
    };
    let entry = entry.ok_or_else(|| RestoreError::NoCopy {
        table: table.clone(),
        as_of,
    })?;
    let label = entry.name.file_name();
    Ok(Chosen {
        path: store.path(&label),
        manifest: entry.manifest.expect("good copies have manifests"),
        label,
    })
}

/// Copies tablesafe made and verified, not found corrupt, newest capture
/// first; copies with a capture time ahead of the clock (its real age
/// unknown) after every believable one.
fn good_copies(list: Vec<BackupEntry>, now: DateTime<Utc>) -> impl Iterator<Item = BackupEntry> {
    let (believable, future): (Vec<_>, Vec<_>) = list
        .into_iter()
        .filter(|b| b.made_by_tablesafe() && b.verified())
        .partition(|b| !b.from_the_future(now));
    believable.into_iter().chain(future)
}

/// A copy asked for by name must be one tablesafe made and verified, not
/// found corrupt since.
fn trusted(entry: &BackupEntry, label: &str) -> Result<(), RestoreError> {
    let untrusted = |reason: String| RestoreError::Untrusted {
        file: label.to_owned(),
        reason,
    };
    if !entry.made_by_tablesafe() {
        return Err(untrusted(
            "it has no manifest tablesafe wrote for it, so nothing proves what it should hold"
                .into(),
        ));
    }
    if let Some(corrupt) = entry.corrupt() {
        return Err(untrusted(format!(
            "the scrub found it corrupt on {}: {}",
            corrupt.detected_at.format("%Y-%m-%dT%H:%M:%SZ"),
            corrupt.reason
        )));
    }
    if !entry.verified() {
        return Err(untrusted(
            "it did not pass verification when it was made, or its size changed since".into(),
        ));
    }
    Ok(())
}

/// The store of safety copies.
pub fn safety_store(store: &BackupStore) -> Result<BackupStore, RestoreError> {
    let dir = store.dir().join(SAFETY_DIR);
    BackupStore::open(&dir).map_err(io_error("cannot open", &dir))
}

/// Carries out `plan` (made by [`plan`] just before): writes, proves, keeps a
/// safety copy when in place, renames. Returns the safety copy's label.
pub fn execute(
    store: &BackupStore,
    plan: &Plan,
    run_id: &str,
) -> Result<Option<String>, RestoreError> {
    let (held_in, name) = locate(store, &plan.backup)?;
    let source = held_in.path(name);
    let manifest = read_manifest_of(&held_in, name, plan)?;
    let target = &plan.target;
    let dir = parent_dir(target);
    let temp = temp_path(target);
    let replaced = fs::metadata(target).ok();
    // The replaced file's mode and owner; a new file gets the copy's mode.
    let (mode, owner) = match &replaced {
        Some(meta) => (meta.mode() & 0o7777, Some((meta.uid(), meta.gid()))),
        None => (
            fs::metadata(&source).map_or(0o600, |m| m.mode() & 0o777),
            None,
        ),
    };
    let mut written = TempFile::new(temp.clone());
    if manifest.consistency == Consistency::Dirty {
        rewrite_clean(&source, &temp, &dir, mode, &manifest)?;
    } else {
        copy_synced(&source, &temp, mode).map_err(io_error("cannot write", &temp))?;
        crate::crash_point("restore-written");
        prove(&temp, &manifest)
            .map_err(|fault| RestoreError::WrittenMismatch(fault_reason(fault)))?;
    }
    if let Some((uid, gid)) = owner {
        give_owner(&temp, uid, gid)
            .map_err(io_error("cannot give the restored file its owner", &temp))?;
    }
    let safety = match (&plan.safety_copy, &replaced) {
        (Some(_), Some(_)) => Some(keep_safety_copy(store, &plan.table, &plan.target, run_id)?),
        _ => None,
    };
    crate::crash_point("restore-before-rename");
    fs::rename(&temp, target).map_err(io_error("cannot rename into place", target))?;
    written.disarm();
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error("cannot sync", &dir))?;
    crate::crash_point("restore-renamed");
    Ok(safety)
}

fn fault_reason(fault: Fault) -> String {
    match fault {
        Fault::Unreadable(why) | Fault::Mismatch(why) => why,
    }
}

/// Writes a dirty copy to `temp` as a clean file that holds exactly what
/// the copy's slot table holds: the copy is proved against its manifest
/// first, and what is written must read back closed, sound, with nothing
/// lost and the manifest's digest. Erlang then opens it without its repair.
fn rewrite_clean(
    source: &Path,
    temp: &Path,
    dir: &Path,
    mode: u32,
    manifest: &Manifest,
) -> Result<(), RestoreError> {
    prove(source, manifest).map_err(|fault| RestoreError::Untrusted {
        file: manifest.file_name.clone(),
        reason: fault_reason(fault),
    })?;
    let from = File::open(source).map_err(io_error("cannot read", source))?;
    let out = crate::store::create_with_mode(temp, mode).map_err(io_error("cannot write", temp))?;
    let salvaged = dets::salvage_file(&from, &out, dir, dets::Scope::SlotTable).map_err(|err| {
        RestoreError::WrittenMismatch(format!(
            "the dirty copy could not be rewritten clean: {err}"
        ))
    })?;
    crate::crash_point("restore-written");
    let digest = ContentDigest::from(salvaged.built.digest);
    let same = salvaged.lost_places == 0
        && digest.objects == manifest.records
        && manifest.digest.is_none_or(|d| d == digest);
    if !same {
        return Err(RestoreError::WrittenMismatch(format!(
            "rewritten clean it holds {} objects (digest {}, {} places lost), its manifest says {} objects (digest {})",
            digest.objects,
            salvaged.built.digest,
            salvaged.lost_places,
            manifest.records,
            manifest
                .digest
                .map_or_else(|| "none".into(), |d| format!("{}:{:016x}", d.objects, d.sum)),
        )));
    }
    Ok(())
}

/// The store that holds the copy named `label` (a backup's file name, or
/// `safety/<name>`), and its file name there.
fn locate<'a>(store: &BackupStore, label: &'a str) -> Result<(BackupStore, &'a str), RestoreError> {
    match label.strip_prefix(&format!("{SAFETY_DIR}/")) {
        Some(name) => Ok((safety_store(store)?, name)),
        None => Ok((store.clone(), label)),
    }
}

/// The manifest the plan's copy (`name` in `store`) was proved against.
fn read_manifest_of(
    store: &BackupStore,
    name: &str,
    plan: &Plan,
) -> Result<Manifest, RestoreError> {
    store
        .list(Some(&plan.table))
        .map_err(io_error("cannot list", store.dir()))?
        .into_iter()
        .find(|b| b.name.file_name() == name)
        .and_then(|b| b.manifest)
        .ok_or_else(|| RestoreError::NotFound {
            file: plan.backup.clone(),
            table: plan.table.clone(),
        })
}

/// Copies the table's file as it is now into the safety store, with a
/// manifest of what the reader found in it (a damaged file is kept all the
/// same, marked unverified).
pub(crate) fn keep_safety_copy(
    store: &BackupStore,
    table: &str,
    target: &Path,
    run_id: &str,
) -> Result<String, RestoreError> {
    let safety = safety_store(store)?;
    let now = Utc::now();
    let name = safety
        .free_name(table, now)
        .map_err(io_error("cannot list", safety.dir()))?;
    let partial = safety.path(&name.partial_name());
    let mut written = TempFile::new(partial.clone());
    copy_synced(target, &partial, 0o600)
        .map_err(io_error("cannot keep a safety copy of", target))?;
    let inspection = dets::inspect(&partial).ok();
    let sound = inspection.as_ref().is_some_and(|i| i.problems.is_empty());
    let mut file = File::open(&partial).map_err(io_error("cannot read", &partial))?;
    let sha256 = crate::scrub::sha256_of(&mut file).map_err(io_error("cannot read", &partial))?;
    let manifest = Manifest {
        tool: TOOL.into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        table: table.to_owned(),
        file_name: name.file_name(),
        sha256,
        bytes: file.metadata().map(|m| m.len()).unwrap_or(0),
        records: inspection.as_ref().map_or(0, |i| i.walk.records),
        keys: inspection.as_ref().map_or(0, |i| i.walk.keys),
        free_bytes: inspection.as_ref().and_then(|i| i.free_bytes),
        fragmentation_ratio: inspection.as_ref().and_then(|i| i.fragmentation_ratio()),
        consistency: if inspection.as_ref().is_some_and(|i| i.closed_properly) {
            Consistency::Clean
        } else {
            Consistency::Dirty
        },
        verified: sound,
        source_path: target.to_owned(),
        source_mtime: fs::metadata(target)
            .and_then(|m| m.modified())
            .ok()
            .map(DateTime::<Utc>::from),
        captured_at: now,
        run_id: run_id.to_owned(),
        attempts: 1,
        digest: inspection.as_ref().and_then(|i| i.digest()).map(Into::into),
        corrupt: None,
    };
    safety
        .write_manifest(&name, &manifest)
        .map_err(io_error("cannot write the manifest of", &partial))?;
    let kept = safety.path(&name.file_name());
    fs::rename(&partial, &kept).map_err(io_error("cannot rename", &kept))?;
    written.disarm();
    safety
        .sync_dir()
        .map_err(io_error("cannot sync", safety.dir()))?;
    Ok(format!("{SAFETY_DIR}/{}", name.file_name()))
}

/// Gives `path` the owner `uid`:`gid`. Only root may give a file away; a
/// file that already has that owner needs nothing.
pub(crate) fn give_owner(path: &Path, uid: u32, gid: u32) -> io::Result<()> {
    match std::os::unix::fs::chown(path, Some(uid), Some(gid)) {
        Err(e) if !fs::metadata(path).is_ok_and(|m| m.uid() == uid && m.gid() == gid) => Err(e),
        _ => Ok(()),
    }
}

/// The directory `path` is in (`.` for a bare name).
pub(crate) fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Where a restore writes before it renames: beside the target, hidden, and
/// not a `*.dets` name (so never taken for a table).
pub fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}{TEMP_SUFFIX}"))
}

/// The suffix of [`temp_path`]: files with it in a data directory are what a
/// crash during a restore left, and are removed at start-up.
pub const TEMP_SUFFIX: &str = ".tablesafe-restore";

/// Removes what an interrupted restore left in `dir`.
pub fn remove_leftovers(dir: &Path) -> Vec<PathBuf> {
    let Ok(listing) = fs::read_dir(dir) else {
        return Vec::new();
    };
    listing
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.') && n.ends_with(TEMP_SUFFIX))
        })
        .filter(|p| fs::remove_file(p).is_ok())
        .collect()
}

/// `source` copied to a new `dest` with `mode`, fsynced.
fn copy_synced(source: &Path, dest: &Path, mode: u32) -> io::Result<()> {
    let mut from = File::open(source)?;
    let mut to = crate::store::create_with_mode(dest, mode)?;
    io::copy(&mut from, &mut to)?;
    to.sync_all()
}

/// A file removed on drop unless disarmed.
pub(crate) struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl TempFile {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path, armed: true }
    }

    pub(crate) fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// A process that has `path` open, other than this one: (pid, command name).
pub fn holder(path: &Path) -> Option<(u32, String)> {
    let want = canonical(path);
    let own = std::process::id();
    for entry in fs::read_dir("/proc").ok()?.filter_map(Result::ok) {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == own {
            continue;
        }
        let Ok(fds) = fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let holds = fds
            .filter_map(Result::ok)
            .any(|fd| fs::read_link(fd.path()).is_ok_and(|p| p == want));
        if holds {
            let name = fs::read_to_string(entry.path().join("comm"))
                .map(|c| c.trim().to_owned())
                .unwrap_or_default();
            return Some((pid, name));
        }
    }
    None
}
