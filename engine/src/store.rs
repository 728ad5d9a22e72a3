//! The backup directory: file names, manifests, listing and clean-up.
//!
//! ```text
//! <backup_dir>/<table>_<YYYY-MM-DDTHH-MM-SS>.dets        a verified copy (UTC time)
//! <backup_dir>/<table>_<YYYY-MM-DDTHH-MM-SS>.dets.json   its manifest
//! <backup_dir>/.<final name>.partial                     a copy under way
//! <backup_dir>/.tablesafe/ledger.jsonl                   the run ledger
//! ```

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::group_sync::GroupSync;
use crate::model::Consistency;

/// The `tool` field of every manifest tablesafe writes.
pub const TOOL: &str = "tablesafe";
const TIME_FORMAT: &str = "%Y-%m-%dT%H-%M-%S";
const SUFFIX: &str = ".dets";
const MANIFEST_SUFFIX: &str = ".json";
const PARTIAL_SUFFIX: &str = ".partial";

/// A backup file name: `<table>_<YYYY-MM-DDTHH-MM-SS>.dets`, or
/// `<table>_<YYYY-MM-DDTHH-MM-SS>.<n>.dets` (n >= 2) for the n-th copy of a
/// table captured within the same second.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BackupName {
    /// The table.
    pub table: String,
    /// The capture time, to the second, UTC.
    pub at: DateTime<Utc>,
    /// 1 for the first copy of the second, then 2, 3, ...
    pub seq: u32,
}

impl BackupName {
    /// The name for `table` captured at `at` (sub-second part dropped).
    pub fn new(table: &str, at: DateTime<Utc>) -> Self {
        let at = at.with_nanosecond(0).unwrap_or(at);
        Self {
            table: table.to_owned(),
            at,
            seq: 1,
        }
    }

    /// Parses a file name; `None` for anything that is not a backup name.
    pub fn parse(file_name: &str) -> Option<Self> {
        let stem = file_name.strip_suffix(SUFFIX)?;
        let (table, when) = stem.rsplit_once('_')?;
        // The time itself has no '_', so the last one separates it.
        let (at, seq) = match when.split_once('.') {
            None => (when, 1),
            Some((at, seq)) => {
                // Exactly the digits `file_name` writes: no sign, no zeros first.
                if seq.starts_with('0') || !seq.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                (at, seq.parse().ok().filter(|&n| n >= 2)?)
            }
        };
        let at = NaiveDateTime::parse_from_str(at, TIME_FORMAT)
            .ok()?
            .and_utc();
        crate::catalog::check_name(table).ok()?;
        Some(Self {
            table: table.to_owned(),
            at,
            seq,
        })
    }

    /// The backup a file of the store belongs to: the copy itself, its
    /// manifest, or one of its temporary files (`.<name>.partial`,
    /// `.<name>.kept.partial`, `.<name>.json.partial`).
    pub fn of_any(file_name: &str) -> Option<Self> {
        let hidden = file_name.strip_prefix('.');
        let mut stem = hidden.unwrap_or(file_name);
        if hidden.is_some() {
            stem = stem
                .strip_suffix(".kept.partial")
                .or_else(|| stem.strip_suffix(PARTIAL_SUFFIX))?;
        }
        let stem = stem.strip_suffix(MANIFEST_SUFFIX).unwrap_or(stem);
        Self::parse(stem)
    }

    /// The file name.
    pub fn file_name(&self) -> String {
        let at = self.at.format(TIME_FORMAT);
        match self.seq {
            1 => format!("{}_{at}{SUFFIX}", self.table),
            n => format!("{}_{at}.{n}{SUFFIX}", self.table),
        }
    }

    /// The manifest's file name.
    pub fn manifest_name(&self) -> String {
        format!("{}{MANIFEST_SUFFIX}", self.file_name())
    }

    /// The temporary name a copy is written under before it is committed.
    pub fn partial_name(&self) -> String {
        format!(".{}{PARTIAL_SUFFIX}", self.file_name())
    }
}

/// What tablesafe records next to every backup it commits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`TOOL`]: only files with such a manifest are ever pruned.
    pub tool: String,
    /// tablesafe's version.
    pub tool_version: String,
    /// The table.
    pub table: String,
    /// The backup's file name.
    pub file_name: String,
    /// Hex SHA-256 of the backup file.
    pub sha256: String,
    /// Bytes of the backup file.
    pub bytes: u64,
    /// Objects.
    pub records: u64,
    /// Distinct keys.
    pub keys: u64,
    /// Free bytes inside the data area.
    pub free_bytes: Option<u64>,
    /// Free bytes over file size.
    pub fragmentation_ratio: Option<f64>,
    /// Clean or dirty.
    pub consistency: Consistency,
    /// Whether the copy passed verification (always true for committed copies).
    pub verified: bool,
    /// The source file.
    pub source_path: PathBuf,
    /// The source's modification time when it was copied.
    pub source_mtime: Option<DateTime<Utc>>,
    /// When the copy was captured.
    pub captured_at: DateTime<Utc>,
    /// The run that made it.
    pub run_id: String,
    /// Copies taken before this one was accepted.
    pub attempts: u32,
    /// The content digest the copy verified with (absent in manifests of
    /// versions that did not record it).
    #[serde(default)]
    pub digest: Option<ContentDigest>,
    /// Set when a scrub found the copy no longer matching this manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrupt: Option<Corruption>,
}

/// A table's content identity: object count and the sum (mod 2^64) of
/// `erlang:phash2(Object, 4294967296)`; see [`crate::dets::Digest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentDigest {
    /// Objects.
    pub objects: u64,
    /// Sum of the objects' 32-bit `phash2`, mod 2^64.
    pub sum: u64,
}

impl From<crate::dets::Digest> for ContentDigest {
    fn from(d: crate::dets::Digest) -> Self {
        Self {
            objects: d.objects,
            sum: d.sum,
        }
    }
}

/// Why a committed copy is no longer trusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Corruption {
    /// When the scrub found it.
    pub detected_at: DateTime<Utc>,
    /// What no longer matches.
    pub reason: String,
}

/// A backup on disk.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupEntry {
    /// Its parsed name.
    pub name: BackupName,
    /// Bytes on disk.
    pub bytes: u64,
    /// Its manifest, when it has a readable one.
    pub manifest: Option<Manifest>,
}

/// How far ahead of this host's clock a capture time may be before it is taken
/// for a clock that was wrong (`CLOCK_SKEW`) rather than clocks a little apart.
pub const FUTURE_TOLERANCE: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// Whether a capture time `at` is later than `now` allows (see
/// [`FUTURE_TOLERANCE`]): the clock was ahead then, or is behind now.
pub fn from_the_future(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    at > now + FUTURE_TOLERANCE
}

impl BackupEntry {
    /// When the copy was captured: its manifest's time, else its name's.
    pub fn captured_at(&self) -> DateTime<Utc> {
        self.manifest
            .as_ref()
            .map_or(self.name.at, |m| m.captured_at)
    }

    /// Whether its capture time is later than `now` allows: it was made while
    /// the clock was ahead (or the clock is behind now), so its real age is
    /// unknown.
    pub fn from_the_future(&self, now: DateTime<Utc>) -> bool {
        from_the_future(self.captured_at(), now)
    }

    /// Whether tablesafe made this file (only such files are ever deleted).
    pub fn made_by_tablesafe(&self) -> bool {
        self.manifest
            .as_ref()
            .is_some_and(|m| m.tool == TOOL && m.file_name == self.name.file_name())
    }

    /// Whether its manifest says it passed verification, no scrub has found
    /// it corrupt since, and the file still has the size it had then.
    pub fn verified(&self) -> bool {
        self.manifest
            .as_ref()
            .is_some_and(|m| m.verified && m.corrupt.is_none() && m.bytes == self.bytes)
    }

    /// Whether a scrub found it no longer matching its manifest.
    pub fn corrupt(&self) -> Option<&Corruption> {
        self.manifest.as_ref().and_then(|m| m.corrupt.as_ref())
    }

    /// Whether it is a clean copy that passed verification and is not corrupt.
    pub fn clean_and_verified(&self) -> bool {
        self.verified()
            && self
                .manifest
                .as_ref()
                .is_some_and(|m| m.consistency == Consistency::Clean)
    }
}

/// Why the backup directory could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error("backup directory {} is in use by another tablesafe (pid {holder}); one instance per backup directory", .dir.display())]
    Held {
        /// The backup directory.
        dir: PathBuf,
        /// What the holder wrote into the lock file: its pid.
        holder: String,
    },
    /// The lock file could not be opened or locked.
    #[error("cannot lock {}: {source}", .path.display())]
    Io {
        /// The lock file or its directory.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
}

/// The backup directory's lock, held while this value lives.
#[derive(Debug)]
pub struct StoreLock {
    file: File,
    path: PathBuf,
    /// The device of the backup directory's parent when the lock was taken.
    parent_device: Option<u64>,
}

impl StoreLock {
    /// Whether the lock file is still where it was taken. When the backup
    /// directory is removed or replaced, the lock guards nothing any more: a
    /// second instance would find no lock and take the directory.
    pub fn still_in_place(&self) -> bool {
        same_file(&self.file, &self.path)
    }
}

/// Permission bits for a copy of a file with `source`'s: the same, never
/// wider, never executable or set-id (a private table stays private).
pub fn copy_mode(source: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    source.permissions().mode() & 0o666
}

/// Creates (or truncates) `path` for writing with exactly `mode`, whatever
/// the umask: never readable by anyone the mode does not name.
pub(crate) fn create_with_mode(path: &Path, mode: u32) -> io::Result<File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode & 0o600)
        .open(path)?;
    file.set_permissions(fs::Permissions::from_mode(mode))?;
    Ok(file)
}

/// A new file at `path` (refused when one is there) that only its owner
/// reads: for what holds a table's data.
pub(crate) fn create_new_private(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// How the staging directory of a `restore --from-offsite` starts; then the
/// process id, `-`, and a random suffix.
pub const STAGING_PREFIX: &str = ".tablesafe-offsite-";

/// Whether `file_name` is a staging directory whose process is gone.
fn abandoned_staging(file_name: &str) -> bool {
    let pid = file_name
        .strip_prefix(STAGING_PREFIX)
        .and_then(|rest| rest.split_once('-'))
        .and_then(|(pid, _)| pid.parse::<u32>().ok());
    pid.is_some_and(|pid| !Path::new("/proc").join(pid.to_string()).exists())
}

/// Removes `dir/file_name` when it is a staging directory whose process is
/// gone; returns whether it did.
fn remove_if_abandoned_staging(dir: &Path, file_name: &str) -> io::Result<bool> {
    if !abandoned_staging(file_name) {
        return Ok(false);
    }
    let path = dir.join(file_name);
    fs::remove_dir_all(&path).map_err(naming(&path))?;
    Ok(true)
}

/// Removes the staging directories in `dir` of offsite restores whose
/// process is gone (a restore killed midway); returns their names.
pub fn remove_abandoned_staging(dir: &Path) -> io::Result<Vec<String>> {
    let mut removed = Vec::new();
    for entry in fs::read_dir(dir).map_err(naming(dir))? {
        let file_name = entry.map_err(naming(dir))?.file_name();
        if let Some(file_name) = file_name.to_str() {
            if remove_if_abandoned_staging(dir, file_name)? {
                removed.push(file_name.to_owned());
            }
        }
    }
    Ok(removed)
}

/// Bytes an unprivileged writer can still put on the volume of `dir`.
pub fn free_space_at(dir: &Path) -> io::Result<u64> {
    let stat = rustix::fs::statvfs(dir)?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

/// Creates `dir` and any missing parents as 0700: tablesafe's directories
/// are its own. Existing directories keep their mode.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Adds the path an I/O error concerns to its message.
pub(crate) fn naming(path: &Path) -> impl FnOnce(io::Error) -> io::Error + '_ {
    move |e| io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Whether `path` names the very file `file` has open (same device and inode).
pub(crate) fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

/// The backup directory's file names by table, from one listing: what a run
/// needs to name and prune copies without listing the directory once per
/// table. The run keeps it up to date with what it writes and deletes (its
/// lock makes it the only writer); a file put there by someone else since
/// the listing is still never overwritten (see [`BackupIndex::free_name`]).
#[derive(Debug, Default)]
pub struct BackupIndex {
    by_table: std::collections::HashMap<String, Vec<String>>,
}

impl BackupIndex {
    /// Notes `file_name` (a copy, manifest or partial copy of `table`).
    pub fn insert(&mut self, table: &str, file_name: String) {
        self.by_table
            .entry(table.to_owned())
            .or_default()
            .push(file_name);
    }

    /// Forgets `file_name`.
    pub fn remove(&mut self, table: &str, file_name: &str) {
        if let Some(names) = self.by_table.get_mut(table) {
            names.retain(|n| n != file_name);
        }
    }

    /// The names of `table`'s copies (not manifests or partials).
    pub fn copies_of(&self, table: &str) -> Vec<String> {
        self.by_table
            .get(table)
            .into_iter()
            .flatten()
            .filter(|n| BackupName::parse(n).is_some())
            .cloned()
            .collect()
    }

    /// A name for `table` captured at `at` that no file in the store has had
    /// since the newest copy of that second: the name keeps the capture
    /// second, and copies of the same second get the suffixes `.2`, `.3`, ...
    /// above every one still present (a pruned name is never handed out again
    /// while a later copy of its second remains). A name whose copy, manifest
    /// or partial copy exists on disk all the same is skipped.
    pub fn free_name(&self, store: &BackupStore, table: &str, at: DateTime<Utc>) -> BackupName {
        let mut name = BackupName::new(table, at);
        let taken = self
            .by_table
            .get(table)
            .into_iter()
            .flatten()
            .filter_map(|n| BackupName::of_any(n))
            .filter(|n| n.table == name.table && n.at == name.at)
            .map(|n| n.seq)
            .max()
            .unwrap_or(0);
        name.seq = taken + 1;
        let exists = |file: String| fs::symlink_metadata(store.path(&file)).is_ok();
        while exists(name.file_name())
            || exists(name.manifest_name())
            || exists(name.partial_name())
        {
            name.seq += 1;
        }
        name
    }
}

/// The backup directory.
#[derive(Debug, Clone)]
pub struct BackupStore {
    dir: PathBuf,
    /// Shared by this store's clones: commits at once share a directory fsync.
    dir_sync: GroupSync,
}

impl BackupStore {
    /// The store at `dir` (created when missing).
    pub fn open(dir: impl Into<PathBuf>) -> io::Result<Self> {
        let dir = dir.into();
        create_private_dir(&dir).map_err(naming(&dir))?;
        Ok(Self {
            dir,
            dir_sync: GroupSync::default(),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where tablesafe keeps its own state (the ledger).
    pub fn state_dir(&self) -> PathBuf {
        self.dir.join(".tablesafe")
    }

    /// Takes the store for this process alone: an exclusive `flock` on
    /// `.tablesafe/lock`, held as long as the returned file is open (the
    /// kernel lets go when the process dies, so a crash leaves no stale lock).
    /// Another holder is named by the pid it wrote there.
    pub fn lock(&self) -> Result<StoreLock, LockError> {
        use std::io::{Read, Seek};
        use std::os::unix::fs::OpenOptionsExt;
        let state = self.state_dir();
        create_private_dir(&state).map_err(|e| LockError::Io {
            path: state.clone(),
            source: e,
        })?;
        let path = state.join("lock");
        let mut file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| LockError::Io {
                path: path.clone(),
                source: e,
            })?;
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(rustix::io::Errno::WOULDBLOCK) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(LockError::Held {
                    dir: self.dir.clone(),
                    holder: holder.trim().to_owned(),
                });
            }
            Err(e) => {
                return Err(LockError::Io {
                    path,
                    source: e.into(),
                })
            }
        }
        let pid = format!("{}\n", std::process::id());
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(pid.as_bytes()))
            .map_err(|e| LockError::Io {
                path: path.clone(),
                source: e,
            })?;
        Ok(StoreLock {
            file,
            path,
            parent_device: self.parent_device(),
        })
    }

    fn parent_device(&self) -> Option<u64> {
        use std::os::unix::fs::MetadataExt;
        let parent = self.dir.parent()?;
        fs::metadata(parent).ok().map(|m| m.dev())
    }

    /// Makes the backup directory again after it was removed while `lock`
    /// was held: only the directory itself (0700), and only when its parent
    /// is still on the file system it was on. An unmounted volume leaves an
    /// empty mount point behind: copies made there would fill the wrong disk
    /// and hide under the volume once it is back.
    pub fn recreate(&self, lock: &StoreLock) -> io::Result<()> {
        if self.parent_device() != lock.parent_device {
            return Err(io::Error::other(format!(
                "backup directory {} is gone and its parent is not the file system it was on (unmounted?); not making it there",
                self.dir.display()
            )));
        }
        use std::os::unix::fs::DirBuilderExt;
        match fs::DirBuilder::new().mode(0o700).create(&self.dir) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(naming(&self.dir)(e)),
            _ => Ok(()),
        }
    }

    /// Full path of a file in the store.
    pub fn path(&self, file_name: &str) -> PathBuf {
        self.dir.join(file_name)
    }

    /// Every backup (of `table`, or all), newest capture first, then by table.
    pub fn list(&self, table: Option<&str>) -> io::Result<Vec<BackupEntry>> {
        let mut entries = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(naming(&self.dir))? {
            let entry = entry.map_err(naming(&self.dir))?;
            let Some(name) = entry.file_name().to_str().and_then(BackupName::parse) else {
                continue;
            };
            if table.is_some_and(|t| t != name.table) {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let manifest = self.read_manifest(&name);
            entries.push(BackupEntry {
                name,
                bytes: meta.len(),
                manifest,
            });
        }
        entries.sort_by(|a, b| {
            (b.captured_at(), b.name.seq)
                .cmp(&(a.captured_at(), a.name.seq))
                .then_with(|| a.name.table.cmp(&b.name.table))
        });
        Ok(entries)
    }

    fn read_manifest(&self, name: &BackupName) -> Option<Manifest> {
        let text = fs::read(self.path(&name.manifest_name())).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// A name for `table` captured at `at` (see [`BackupIndex::free_name`]),
    /// from a listing made now.
    pub fn free_name(&self, table: &str, at: DateTime<Utc>) -> io::Result<BackupName> {
        Ok(self.index()?.free_name(self, table, at))
    }

    /// One listing of the directory: every name tablesafe could have made
    /// (copies, manifests, partial copies), by table.
    pub fn index(&self) -> io::Result<BackupIndex> {
        let mut index = BackupIndex::default();
        for entry in fs::read_dir(&self.dir).map_err(naming(&self.dir))? {
            let entry = entry.map_err(naming(&self.dir))?;
            let Some(file_name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if let Some(name) = BackupName::of_any(&file_name) {
                index.insert(&name.table, file_name);
            }
        }
        Ok(index)
    }

    /// The backups among `file_names` that are files here, each with its
    /// manifest, newest capture first.
    pub fn entries_of<'a>(
        &self,
        file_names: impl IntoIterator<Item = &'a str>,
    ) -> Vec<BackupEntry> {
        let mut entries: Vec<BackupEntry> = file_names
            .into_iter()
            .filter_map(|file_name| {
                let name = BackupName::parse(file_name)?;
                let meta = fs::metadata(self.path(file_name)).ok()?;
                meta.is_file().then(|| BackupEntry {
                    manifest: self.read_manifest(&name),
                    name,
                    bytes: meta.len(),
                })
            })
            .collect();
        entries.sort_by(|a, b| {
            (b.captured_at(), b.name.seq)
                .cmp(&(a.captured_at(), a.name.seq))
                .then_with(|| a.name.table.cmp(&b.name.table))
        });
        entries
    }

    /// Writes `manifest` durably under its final name (via a temporary file),
    /// with its copy's mode (it names the table and its figures).
    pub fn write_manifest(&self, name: &BackupName, manifest: &Manifest) -> io::Result<()> {
        let tmp = self.path(&format!(".{}{PARTIAL_SUFFIX}", name.manifest_name()));
        let mode = [name.file_name(), name.partial_name()]
            .iter()
            .find_map(|f| fs::metadata(self.path(f)).ok())
            .map_or(0o600, |copy| copy_mode(&copy));
        let mut file = io::BufWriter::new(create_with_mode(&tmp, mode)?);
        serde_json::to_writer_pretty(&mut file, manifest)?;
        file.write_all(b"\n")?;
        file.into_inner()
            .map_err(io::IntoInnerError::into_error)?
            .sync_all()?;
        fs::rename(&tmp, self.path(&name.manifest_name()))
    }

    /// Makes the renames made in the directory before this call durable;
    /// callers at once (through this store or its clones) share one fsync.
    pub fn sync_dir(&self) -> io::Result<()> {
        self.dir_sync.sync(&self.dir)
    }

    /// Deletes a backup and its manifest.
    pub fn delete(&self, name: &BackupName) -> io::Result<()> {
        fs::remove_file(self.path(&name.file_name()))?;
        match fs::remove_file(self.path(&name.manifest_name())) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Removes what an interrupted process left: partial copies, manifests
    /// whose backup never got its final name, and the staging directories of
    /// offsite restores whose process is gone. Returns what it removed.
    pub fn remove_leftovers(&self) -> io::Result<Vec<String>> {
        let mut removed = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(naming(&self.dir))? {
            let file_name = entry.map_err(naming(&self.dir))?.file_name();
            let Some(file_name) = file_name.to_str() else {
                continue;
            };
            if remove_if_abandoned_staging(&self.dir, file_name)? {
                removed.push(file_name.to_owned());
                continue;
            }
            let partial = file_name.starts_with('.') && file_name.ends_with(PARTIAL_SUFFIX);
            let orphan_manifest = file_name
                .strip_suffix(MANIFEST_SUFFIX)
                .and_then(BackupName::parse)
                .is_some_and(|name| !self.path(&name.file_name()).exists());
            if partial || orphan_manifest {
                let path = self.path(file_name);
                fs::remove_file(&path).map_err(naming(&path))?;
                removed.push(file_name.to_owned());
            }
        }
        Ok(removed)
    }

    /// Bytes available to tablesafe on the backup volume.
    pub fn free_space(&self) -> io::Result<u64> {
        free_space_at(&self.dir)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn names_round_trip_and_reject_everything_else() {
        let at = Utc.with_ymd_and_hms(2026, 11, 29, 3, 0, 7).unwrap();
        let name = BackupName::new("user_sessions", at);
        assert_eq!(name.file_name(), "user_sessions_2026-11-29T03-00-07.dets");
        assert_eq!(
            name.manifest_name(),
            "user_sessions_2026-11-29T03-00-07.dets.json"
        );
        assert_eq!(
            name.partial_name(),
            ".user_sessions_2026-11-29T03-00-07.dets.partial"
        );
        assert_eq!(BackupName::parse(&name.file_name()), Some(name.clone()));
        let third = BackupName { seq: 3, ..name };
        assert_eq!(
            third.file_name(),
            "user_sessions_2026-11-29T03-00-07.3.dets"
        );
        assert_eq!(BackupName::parse(&third.file_name()), Some(third));
        for other in [
            "users_2026-11-29T03-00-07.1.dets",
            "users_2026-11-29T03-00-07.02.dets",
            "users_2026-11-29T03-00-07.+2.dets",
            "users_2026-11-29T03-00-07..dets",
            "users_2026-11-29T03-00-07.x.dets",
            "users.dets",
            "users_2026-11-29.dets",
            "users_2026-13-29T03-00-07.dets",
            "_2026-11-29T03-00-07.dets",
            "users_2026-11-29T03-00-07.dets.json",
            ".users_2026-11-29T03-00-07.dets.partial",
        ] {
            assert_eq!(BackupName::parse(other), None, "{other}");
        }
    }

    #[test]
    fn same_second_names_never_collide() {
        let dir = tempfile::tempdir().unwrap();
        let store = BackupStore::open(dir.path()).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let first = store.free_name("t", at).unwrap();
        std::fs::write(store.path(&first.file_name()), b"x").unwrap();
        let second = store.free_name("t", at).unwrap();
        assert_eq!(second.file_name(), "t_2026-01-02T03-04-05.2.dets");
        assert_eq!(second.at, first.at, "the name keeps the capture second");
        std::fs::write(store.path(&second.partial_name()), b"x").unwrap();
        let third = store.free_name("t", at).unwrap();
        assert_eq!(third.file_name(), "t_2026-01-02T03-04-05.3.dets");
        // The first and second pruned: the next is still above the third.
        std::fs::write(store.path(&third.manifest_name()), b"x").unwrap();
        std::fs::remove_file(store.path(&first.file_name())).unwrap();
        std::fs::remove_file(store.path(&second.partial_name())).unwrap();
        assert_eq!(store.free_name("t", at).unwrap().seq, 4);
        // A table whose name holds ".dets" is no exception.
        let odd = store.free_name("x.dets_y", at).unwrap();
        std::fs::write(store.path(&odd.partial_name()), b"x").unwrap();
        assert_eq!(store.free_name("x.dets_y", at).unwrap().seq, 2);
        // Other tables and other seconds do not count.
        assert_eq!(store.free_name("u", at).unwrap().seq, 1);
        assert_eq!(
            store
                .free_name("t", at + chrono::Duration::seconds(1))
                .unwrap()
                .seq,
            1
        );
    }

    #[test]
    fn leftovers_are_partials_manifests_without_their_backup_and_abandoned_staging() {
        let dir = tempfile::tempdir().unwrap();
        let store = BackupStore::open(dir.path()).unwrap();
        for f in [
            ".t_2026-01-02T03-04-05.dets.partial",
            "t_2026-01-02T03-04-06.dets.json",
            "t_2026-01-02T03-04-07.dets",
            "t_2026-01-02T03-04-07.dets.json",
            "unrelated.json",
        ] {
            std::fs::write(store.path(f), b"{}").unwrap();
        }
        // Offsite restores' staging: one of a process that is gone (pid
        // numbers stop well below u32::MAX), one of this running process.
        let gone = format!("{STAGING_PREFIX}4294967295-0badc0de");
        let running = format!("{STAGING_PREFIX}{}-0badc0de", std::process::id());
        for staging in [&gone, &running] {
            std::fs::create_dir(store.path(staging)).unwrap();
            std::fs::write(store.path(staging).join("t.dets"), b"copy").unwrap();
        }
        let mut removed = store.remove_leftovers().unwrap();
        removed.sort();
        assert_eq!(
            removed,
            [
                ".t_2026-01-02T03-04-05.dets.partial",
                gone.as_str(),
                "t_2026-01-02T03-04-06.dets.json"
            ]
        );
        assert!(store.path("t_2026-01-02T03-04-07.dets.json").exists());
        assert!(store.path("unrelated.json").exists());
        assert!(store.path(&running).join("t.dets").exists());
    }
}
