//! Compaction: a table's file rebuilt in place into a compact one, in a way
//! that cannot make things worse.
//!
//! Preconditions, all checked and reported before anything is written:
//! - the file is sound and closed properly (a dirty or damaged file is for
//!   `tablesafe salvage`, not for an in-place rewrite);
//! - a verified backup holds exactly what the file holds now (its manifest's
//!   digest equals the file's): if the compaction went wrong in a way no check
//!   sees, that copy is the way back;
//! - its free space is above the threshold, unless forced;
//! - no process holds the file open, and the Erlang node (when one is
//!   configured) does not have it open;
//! - the table's directory has room for the new file, and the backup volume
//!   for the safety copy.
//!
//! Then: the file is rebuilt into a hidden temporary file beside it
//! ([`dets::rebuild_file`]: every collection copied, read back closed and
//! sound with the source's digest), the file as it was is kept as a safety
//! copy (as a restore keeps one), the source is checked unchanged, the new
//! file takes the old one's mode and owner and is renamed over it, and the
//! directory is synced. A crash at any point leaves the old file or the new
//! one, never a mix; leftovers are removed at start-up with a restore's.
//!
//! Blocking code; the control task runs it on a blocking thread.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::catalog::TableEntry;
use crate::dets;
use crate::model::{ErrorCode, TableError};
use crate::restore::{give_owner, holder, parent_dir, temp_path, TempFile};
use crate::store::{BackupStore, ContentDigest};

/// A compaction asked for.
#[derive(Debug, Clone)]
pub struct CompactRequest {
    /// The table, as the catalog sees it now.
    pub table: TableEntry,
    /// Compact even when the free space is not above the threshold.
    pub force: bool,
    /// The share of free space above which a file is compacted.
    pub threshold: f64,
}

/// What a compaction will do (all of a dry run).
#[derive(Debug, Clone, PartialEq)]
pub struct CompactPlan {
    /// The table.
    pub table: String,
    /// Its file.
    pub path: PathBuf,
    /// The file's size now.
    pub file_size: u64,
    /// Free bytes inside it.
    pub free_bytes: u64,
    /// Free bytes over size.
    pub fragmentation_ratio: f64,
    /// The threshold it was judged against.
    pub threshold: f64,
    /// Compacted below the threshold because asked to.
    pub forced: bool,
    /// The most the new file can take: every collection in its own block,
    /// the slot table, free lists and header.
    pub expected_size: u64,
    /// What the file holds (and the new file will).
    pub digest: ContentDigest,
    /// The verified backup that holds the same.
    pub backup: String,
}

impl CompactPlan {
    /// Bytes the compaction reclaims at least.
    pub fn reclaims_at_least(&self) -> u64 {
        self.file_size.saturating_sub(self.expected_size)
    }
}

/// A compaction carried out.
#[derive(Debug, Clone, PartialEq)]
pub struct Compacted {
    /// The new file's size.
    pub file_size: u64,
    /// Bytes reclaimed (old size minus new).
    pub reclaimed: u64,
    /// Where the file as it was is kept, in the backup directory.
    pub safety_copy: String,
}

/// Why a compaction was refused or failed. The table's file is as it was.
#[derive(Debug, thiserror::Error)]
pub enum CompactError {
    /// The file is not sound and closed.
    #[error("{path} is {status} ({reason}): compaction rewrites only sound, closed files; `tablesafe salvage` recovers a damaged one", path = .path.display())]
    NotSound {
        /// The file.
        path: PathBuf,
        /// What the reader says.
        status: dets::FileStatus,
        /// The first problem.
        reason: String,
    },
    /// No verified backup holds what the file holds now.
    #[error("no verified backup of {table} holds what its file holds now ({reason}): take one first (`tablesafe backup --table {table}`)")]
    NoFreshBackup {
        /// The table.
        table: String,
        /// What the newest copy is, or that there is none.
        reason: String,
    },
    /// Not fragmented enough, and not forced.
    #[error("{path} is {:.1}% free space, not above the threshold of {:.1}%: nothing worth reclaiming (--force compacts it anyway)", .ratio * 100.0, .threshold * 100.0, path = .path.display())]
    NotFragmented {
        /// The file.
        path: PathBuf,
        /// Its free share.
        ratio: f64,
        /// The threshold.
        threshold: f64,
    },
    /// Not enough room for the new file or the safety copy.
    #[error("{} has {free} bytes free, {needed} are needed ({what})", .dir.display())]
    NoSpace {
        /// The directory.
        dir: PathBuf,
        /// What needs the room.
        what: &'static str,
        /// Bytes needed.
        needed: u64,
        /// Bytes free.
        free: u64,
    },
    /// A process holds the file open.
    #[error("{} is open in process {pid} ({name}): stop it (or close the table) first", .path.display())]
    InUse {
        /// The file.
        path: PathBuf,
        /// The holder.
        pid: u32,
        /// Its command name.
        name: String,
    },
    /// The Erlang node has the table open.
    #[error("the Erlang node has {} open: close the table first", .0.display())]
    OpenOnNode(PathBuf),
    /// The file changed while it was compacted.
    #[error("{} changed while it was compacted; it was left as it is", .0.display())]
    Changed(PathBuf),
    /// The rebuild failed or did not prove out.
    #[error("the rebuild failed: {0}")]
    Rebuild(#[from] dets::RebuildError),
    /// The safety copy could not be kept.
    #[error("cannot keep a safety copy: {0}")]
    SafetyCopy(String),
    /// Reading or writing failed.
    #[error("{what} {}: {source}", .path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
}

impl CompactError {
    /// The failure as the ledger records it.
    pub fn table_error(&self) -> TableError {
        let code = match self {
            Self::NotSound { .. } => ErrorCode::TableCorrupt,
            Self::NoFreshBackup { .. } => ErrorCode::NoVerifiedCopy,
            Self::NoSpace { .. } => ErrorCode::BackupDiskFull,
            Self::NotFragmented { .. }
            | Self::InUse { .. }
            | Self::OpenOnNode(_)
            | Self::Changed(_) => ErrorCode::RestoreRefused,
            Self::Rebuild(_) | Self::SafetyCopy(_) | Self::Io { .. } => ErrorCode::BackupIo,
        };
        TableError::new(code, self.to_string())
    }
}

fn io_error<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> CompactError + 'a {
    move |source| CompactError::Io {
        what,
        path: path.to_owned(),
        source,
    }
}

/// Checks every precondition; writes nothing.
pub fn plan(
    store: &BackupStore,
    request: &CompactRequest,
    open_on_node: Option<&std::collections::HashSet<PathBuf>>,
    free_space: impl Fn(&Path) -> io::Result<u64>,
) -> Result<CompactPlan, CompactError> {
    // The real file: a table reached through a symbolic link keeps its link,
    // and the new file is written beside the file it replaces.
    let path = fs::canonicalize(&request.table.path)
        .map_err(io_error("cannot resolve", &request.table.path))?;
    let inspection = dets::inspect(&path).map_err(|err| CompactError::NotSound {
        path: path.clone(),
        status: dets::FileStatus::Corrupt,
        reason: err.to_string(),
    })?;
    let digest = match inspection.digest() {
        Some(d) if inspection.status() == dets::FileStatus::Ok => ContentDigest::from(d),
        _ => {
            return Err(CompactError::NotSound {
                path,
                status: inspection.status(),
                reason: inspection
                    .messages()
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| inspection.status().to_string()),
            })
        }
    };
    let backup = fresh_backup(store, &request.table.name, digest)?;
    let free_bytes = inspection.free_bytes.unwrap_or(0);
    let ratio = inspection.fragmentation_ratio().unwrap_or(0.0);
    if ratio <= request.threshold && !request.force {
        return Err(CompactError::NotFragmented {
            path,
            ratio,
            threshold: request.threshold,
        });
    }
    if let Some((pid, name)) = holder(&path) {
        return Err(CompactError::InUse { path, pid, name });
    }
    // `path` is canonical already, as the node's open files are.
    if open_on_node.is_some_and(|open| open.contains(&path)) {
        return Err(CompactError::OpenOnNode(path));
    }
    let expected_size = dets::compact_size_bound(&inspection);
    let dir = parent_dir(&path);
    let room = |dir: &Path, needed: u64, what| {
        let free = free_space(dir).map_err(io_error("cannot measure the free space of", dir))?;
        if free < needed {
            return Err(CompactError::NoSpace {
                dir: dir.to_owned(),
                what,
                needed,
                free,
            });
        }
        Ok(())
    };
    room(&dir, expected_size, "the new file")?;
    room(store.dir(), inspection.file_size, "the safety copy")?;
    Ok(CompactPlan {
        table: request.table.name.clone(),
        path,
        file_size: inspection.file_size,
        free_bytes,
        fragmentation_ratio: ratio,
        threshold: request.threshold,
        forced: request.force && ratio <= request.threshold,
        expected_size,
        digest,
        backup,
    })
}

/// The newest verified copy of `table` whose digest is `digest`.
fn fresh_backup(
    store: &BackupStore,
    table: &str,
    digest: ContentDigest,
) -> Result<String, CompactError> {
    let list = store
        .list(Some(table))
        .map_err(io_error("cannot list", store.dir()))?;
    let mut good: Vec<_> = list
        .into_iter()
        .filter(|b| b.made_by_tablesafe() && b.verified())
        .collect();
    good.sort_by_key(|b| std::cmp::Reverse(b.captured_at()));
    let newest = good.first().map(|b| b.name.file_name());
    match good
        .iter()
        .find(|b| b.manifest.as_ref().and_then(|m| m.digest) == Some(digest))
    {
        Some(b) => Ok(b.name.file_name()),
        None => Err(CompactError::NoFreshBackup {
            table: table.to_owned(),
            reason: match newest {
                None => "it has none".into(),
                Some(name) => {
                    format!("the newest, {name}, holds other objects: the table changed since")
                }
            },
        }),
    }
}

/// Carries out `plan` (made by [`plan`] just before). `keep_safety_copy`
/// keeps the file as it is and gives the copy's label.
pub fn execute(
    plan: &CompactPlan,
    keep_safety_copy: impl FnOnce(&Path) -> Result<String, CompactError>,
) -> Result<Compacted, CompactError> {
    let path = &plan.path;
    let dir = parent_dir(path);
    let source = File::open(path).map_err(io_error("cannot open", path))?;
    let before = source.metadata().map_err(io_error("cannot read", path))?;
    let temp = temp_path(path);
    let out = crate::store::create_with_mode(&temp, before.mode() & 0o7777)
        .map_err(io_error("cannot write", &temp))?;
    let mut written = TempFile::new(temp.clone());
    let rebuilt = dets::rebuild_file(&source, &out)?;
    if ContentDigest::from(rebuilt.digest) != plan.digest {
        return Err(CompactError::Changed(path.clone()));
    }
    crate::crash_point("compact-written");
    give_owner(&temp, before.uid(), before.gid())
        .map_err(io_error("cannot give the compacted file its owner", &temp))?;
    let safety_copy = keep_safety_copy(path)?;
    // Nothing may have written to the file since it was read.
    let now = fs::metadata(path).map_err(io_error("cannot read", path))?;
    let unchanged = now.len() == before.len()
        && now.modified().ok() == before.modified().ok()
        && now.ino() == before.ino();
    if !unchanged || holder(path).is_some() {
        return Err(CompactError::Changed(path.clone()));
    }
    crate::crash_point("compact-before-rename");
    fs::rename(&temp, path).map_err(io_error("cannot rename into place", path))?;
    written.disarm();
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error("cannot sync", &dir))?;
    crate::crash_point("compact-renamed");
    Ok(Compacted {
        file_size: rebuilt.written.file_size,
        reclaimed: rebuilt.reclaimed(),
        safety_copy,
    })
}

/// What the ledger says the compaction is.
pub fn reason(plan: &CompactPlan) -> String {
    format!(
        "compact {} ({} bytes, {:.1}% free; backup {})",
        plan.table,
        plan.file_size,
        plan.fragmentation_ratio * 100.0,
        plan.backup
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{canonical, Role};
    use crate::model::Consistency;
    use crate::store::{BackupName, Manifest, TOOL};

    /// A data directory with the fragmented fixture and a backup directory
    /// holding a verified copy of it (its manifest as the pipeline writes one).
    fn setup() -> (tempfile::TempDir, BackupStore, TableEntry) {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        fs::create_dir_all(&data).unwrap();
        let path = data.join("frag.dets");
        fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/dets/set_fragmented.dets"),
            &path,
        )
        .unwrap();
        let store = BackupStore::open(root.path().join("backups")).unwrap();
        let at = chrono::Utc::now();
        let name = BackupName::new("frag", at);
        fs::copy(&path, store.path(&name.file_name())).unwrap();
        let inspection = dets::inspect(&path).unwrap();
        let manifest = Manifest {
            tool: TOOL.into(),
            tool_version: "test".into(),
            table: "frag".into(),
            file_name: name.file_name(),
            sha256: String::new(),
            bytes: inspection.file_size,
            records: inspection.walk.records,
            keys: inspection.walk.keys,
            free_bytes: inspection.free_bytes,
            fragmentation_ratio: inspection.fragmentation_ratio(),
            consistency: Consistency::Clean,
            verified: true,
            source_path: path.clone(),
            source_mtime: None,
            captured_at: at,
            run_id: "test".into(),
            attempts: 1,
            digest: inspection.digest().map(Into::into),
            corrupt: None,
        };
        store.write_manifest(&name, &manifest).unwrap();
        let table = TableEntry {
            name: "frag".into(),
            path,
            role: Role::Listed,
            present: true,
            backed_up: true,
        };
        (root, store, table)
    }

    fn request(table: &TableEntry) -> CompactRequest {
        CompactRequest {
            table: table.clone(),
            force: false,
            threshold: 0.3,
        }
    }

    #[test]
    fn no_room_for_the_new_file_or_the_safety_copy_is_refused() {
        let (_root, store, table) = setup();
        let plan = plan(&store, &request(&table), None, |_| Ok(u64::MAX)).unwrap();
        assert!(plan.expected_size < plan.file_size);
        // Room for the new file but not for the safety copy.
        let room = plan.expected_size;
        let err = super::plan(&store, &request(&table), None, |_| Ok(room)).unwrap_err();
        assert!(
            matches!(
                err,
                CompactError::NoSpace {
                    what: "the safety copy",
                    ..
                }
            ),
            "{err}"
        );
        let err = super::plan(&store, &request(&table), None, |_| Ok(10)).unwrap_err();
        assert!(
            matches!(
                err,
                CompactError::NoSpace {
                    what: "the new file",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(err.table_error().code, ErrorCode::BackupDiskFull);
    }

    #[test]
    fn the_node_having_the_table_open_is_refused() {
        let (_root, store, table) = setup();
        let open = std::collections::HashSet::from([canonical(&table.path)]);
        let err = plan(&store, &request(&table), Some(&open), |_| Ok(u64::MAX)).unwrap_err();
        assert!(matches!(err, CompactError::OpenOnNode(_)), "{err}");
    }
}
