//! The per-table copy pipeline: preflight, quiesce, capture, settle, verify,
//! commit, prune.
//!
//! A job is blocking file work; the run drives it from a blocking thread. It
//! never writes outside the backup directory, never leaves a file under a
//! final name that did not pass verification, and never prunes after a
//! failed copy.

use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use crate::catalog::TableEntry;
use crate::clock::Clock;
use crate::dets::{self, format, DetsError, Inspection};
use crate::model::{
    CommittedCopy, Consistency, ErrorCode, Outcome, StageTimings, TableError, TableResult,
};
use crate::retention::plan_prune;
use crate::store::{BackupIndex, BackupName, BackupStore, Manifest, TOOL};

/// Settings of the pipeline.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Backups kept per table.
    pub keep: usize,
    /// Copies tried before a changing source is accepted as dirty.
    pub settle_attempts: u32,
    /// Free space required beyond the source's size before copying.
    pub free_space_margin: u64,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        Self {
            keep: 3,
            settle_attempts: 20,
            free_space_margin: 16 << 20,
        }
    }
}

/// Makes a table's file complete on disk just before it is copied (for DETS,
/// `dets:sync/1` on the node that holds it open).
pub trait Quiesce: Send + Sync {
    /// Asks the owner of `table` to flush it; an error says why it could not.
    fn quiesce(&self, table: &TableEntry) -> Result<(), QuiesceError>;
}

/// Why a table could not be quiesced (the copy then goes ahead as it is).
#[derive(Debug, thiserror::Error)]
pub enum QuiesceError {
    /// The owner does not have the table's file open.
    #[error("the owner does not have {} open", .0.display())]
    NotOpen(PathBuf),
    /// The owner could not be asked, or refused.
    #[error(transparent)]
    Owner(Box<dyn std::error::Error + Send + Sync>),
}

/// Bytes copied between two checks for cancellation (and hashed as one piece).
const COPY_CHUNK: u64 = 16 << 20;
/// Read size when hashing.
const HASH_BUFFER: usize = 1 << 20;

/// One table's trip through the pipeline.
pub struct CopyJob<'a> {
    /// The table.
    pub table: &'a TableEntry,
    /// Where backups go.
    pub store: &'a BackupStore,
    /// The run this copy belongs to.
    pub run_id: &'a str,
    /// Settings.
    pub options: &'a PipelineOptions,
    /// Stops the copy between chunks.
    pub cancel: &'a CancellationToken,
    /// The quiesce stage, when one is configured.
    pub quiesce: Option<&'a dyn Quiesce>,
    /// Where capture times are read.
    pub clock: Clock,
    /// The backup directory's names, listed once for the whole run.
    pub index: &'a Mutex<BackupIndex>,
    /// The run's leave to copy, given back once the copy is renamed.
    pub slot: &'a CopySlot,
}

/// One of a run's bounded places for copying (a semaphore permit). A table
/// holds it from its first stage to the rename of its copy and gives it back
/// before the directory fsync and the prune: waiting for the disk to make a
/// rename durable is not copying, and while one table waits the next one's
/// copy goes on (and its rename shares the same directory fsync).
#[derive(Debug, Default)]
pub struct CopySlot(Mutex<Option<tokio::sync::OwnedSemaphorePermit>>);

impl CopySlot {
    /// Holds `permit` until [`CopySlot::free`] or the drop.
    pub fn new(permit: tokio::sync::OwnedSemaphorePermit) -> Self {
        Self(Mutex::new(Some(permit)))
    }

    fn free(&self) {
        drop(self.0.lock().unwrap_or_else(PoisonError::into_inner).take());
    }
}

/// A verified copy, committed under its final name.
struct Committed {
    name: BackupName,
    manifest: Manifest,
    pruned: Vec<String>,
    timings: StageTimings,
}

impl CopyJob<'_> {
    /// Runs every stage; a failure of any stage is the table's result.
    pub fn run(&self) -> TableResult {
        let started = Instant::now();
        match self.try_run() {
            Ok(done) => {
                let m = done.manifest;
                TableResult {
                    table: self.table.name.clone(),
                    outcome: Outcome::Committed(Box::new(CommittedCopy {
                        file_name: done.name.file_name(),
                        bytes: m.bytes,
                        records: m.records,
                        keys: m.keys,
                        consistency: m.consistency,
                        sha256: m.sha256,
                        captured_at: m.captured_at,
                        digest: m.digest,
                        pruned: done.pruned,
                    })),
                    duration: started.elapsed(),
                    timings: done.timings,
                    attempts: m.attempts,
                }
            }
            Err(error) => TableResult::failed(&self.table.name, error, started.elapsed()),
        }
    }

    fn try_run(&self) -> Result<Committed, TableError> {
        let source = &self.table.path;
        if !self.table.present || !source.is_file() {
            return Err(TableError::new(
                ErrorCode::TableMissing,
                format!("table file {} does not exist", source.display()),
            ));
        }
        self.preflight()?;
        let captured_at = self.clock.now();
        let name = self
            .index()
            .free_name(self.store, &self.table.name, captured_at);
        let partial = PartialFile::new(self.store.path(&name.partial_name()));
        let stage = Instant::now();
        let capture = self.capture_settled(partial.path())?;
        let timings = StageTimings {
            capture: capture.copy_time,
            verify: stage.elapsed().saturating_sub(capture.copy_time),
        };
        let inspection = &capture.inspection;
        let consistency = if capture.clean && inspection.closed_properly {
            Consistency::Clean
        } else {
            Consistency::Dirty
        };
        let manifest = Manifest {
            tool: TOOL.into(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            table: self.table.name.clone(),
            file_name: name.file_name(),
            sha256: capture.sha256.clone(),
            bytes: inspection.file_size,
            records: inspection.walk.records,
            keys: inspection.walk.keys,
            free_bytes: inspection.free_bytes,
            fragmentation_ratio: inspection.fragmentation_ratio(),
            consistency,
            verified: true,
            source_path: source.clone(),
            source_mtime: capture.source_mtime,
            captured_at,
            run_id: self.run_id.into(),
            attempts: capture.attempts,
            digest: inspection.digest().map(Into::into),
            corrupt: None,
        };
        self.commit(&name, &manifest, partial)?;
        {
            let mut index = self.index();
            index.insert(&self.table.name, name.file_name());
            index.insert(&self.table.name, name.manifest_name());
        }
        let pruned = self.prune(&name);
        Ok(Committed {
            name,
            manifest,
            pruned,
            timings,
        })
    }

    /// The backup directory is writable and has room for the copy.
    fn preflight(&self) -> Result<(), TableError> {
        let size = fs::metadata(&self.table.path)
            .map_err(|e| unreadable(&self.table.path, &e))?
            .len();
        let free = self.store.free_space().map_err(|e| {
            TableError::new(
                ErrorCode::BackupDirUnwritable,
                format!(
                    "cannot stat backup directory {}: {e}",
                    self.store.dir().display()
                ),
            )
        })?;
        let needed = size.saturating_add(self.options.free_space_margin);
        if free < needed {
            return Err(TableError::new(
                ErrorCode::BackupDiskFull,
                format!(
                    "backup volume has {free} bytes free; the copy needs {size} plus a margin of {}",
                    self.options.free_space_margin
                ),
            ));
        }
        Ok(())
    }

    /// Capture and settle: copy until the source held still during a copy.
    ///
    /// The first verified copy that is not clean is kept aside (a stable one
    /// replaces an unstable one) while clean ones are tried for, so that a
    /// table that never holds still is still backed up, as dirty.
    fn capture_settled(&self, partial: &Path) -> Result<Capture, TableError> {
        let attempts = self.options.settle_attempts.max(1);
        let mut ever_changed = false;
        let mut copy_time = Duration::ZERO;
        let fallback = PartialFile::new(fallback_path(partial));
        let mut kept: Option<(Capture, bool)> = None;
        // The hash of the last copy that failed verification: the same bytes
        // failing twice are a damaged table, not a torn copy.
        let mut failed_sha256: Option<String> = None;
        for number in 1..=attempts {
            let attempt = self.copy_once(partial, number, &mut copy_time)?;
            ever_changed |= !attempt.stable;
            let last = number == attempts;
            // Without a quiesce stage nothing will close an open table for us:
            // a stable copy of it is as good as it gets.
            let settled = attempt.clean || (attempt.stable && !attempt.quiesced);
            if !settled && !last {
                tracing::debug!(table = %self.table.name, attempt = number, stable = attempt.stable, "copy not clean; retrying");
                let better = kept
                    .as_ref()
                    .is_none_or(|(_, stable)| attempt.stable && !stable);
                if better {
                    if let Ok(inspection) = verify(partial) {
                        fs::rename(partial, fallback.path())
                            .map_err(|e| write_error(partial, &e))?;
                        let stable = attempt.stable;
                        kept = Some((attempt.into_capture(inspection, copy_time), stable));
                    }
                }
                std::thread::sleep(backoff(number));
                continue;
            }
            // Verified here, so that a torn copy of a table being written (a
            // change the size, mtime and header did not show) is retried.
            let damage = match verify(partial) {
                Ok(inspection) => return Ok(attempt.into_capture(inspection, copy_time)),
                Err(Verify::Io(e)) => return Err(write_error(partial, &e)),
                Err(Verify::Damaged(e)) => e,
            };
            if last && !attempt.clean {
                if let Some((capture, _)) = kept {
                    fs::rename(fallback.path(), partial).map_err(|e| write_error(partial, &e))?;
                    return Ok(capture);
                }
            }
            if failed_sha256.as_deref() == Some(&attempt.sha256) {
                return Err(TableError::new(
                    ErrorCode::TableCorrupt,
                    format!(
                        "copy failed verification (the table is damaged: two copies of the same bytes failed alike): {damage}"
                    ),
                ));
            }
            if last {
                let (code, cause) = if ever_changed {
                    (
                        ErrorCode::SourceUnstable,
                        "the table kept changing during every copy",
                    )
                } else {
                    (ErrorCode::TableCorrupt, "the table is damaged")
                };
                return Err(TableError::new(
                    code,
                    format!("copy failed verification ({cause}): {damage}"),
                ));
            }
            ever_changed = true;
            failed_sha256 = Some(attempt.sha256);
            tracing::debug!(table = %self.table.name, attempt = number, error = %damage, "torn copy; retrying");
            std::thread::sleep(backoff(number));
        }
        unreachable!("the last attempt always returns")
    }

    /// Quiesces (when there is a stage for it) and copies once, reading the
    /// source's state just before and the moment the last byte is across.
    fn copy_once(
        &self,
        partial: &Path,
        number: u32,
        copy_time: &mut Duration,
    ) -> Result<Attempt, TableError> {
        let source = &self.table.path;
        let quiesced = self.quiesce.is_some_and(|q| match q.quiesce(self.table) {
            Ok(()) => true,
            Err(why) => {
                tracing::warn!(table = %self.table.name, error = %why, "quiesce failed; copying as it is");
                false
            }
        });
        let started = Instant::now();
        let before = SourceState::read(source)?;
        // Hashing and fsyncing the copy are not part of the window.
        let (sha256, after) =
            copy_file(source, partial, self.cancel, || SourceState::read(source))?;
        let after = after?;
        let copy_flag = closed_flag(partial).map_err(|e| write_error(partial, &e))?;
        *copy_time += started.elapsed();
        let stable = before == after;
        Ok(Attempt {
            number,
            quiesced,
            stable,
            clean: stable && before.closed_flag() == Some(1) && copy_flag == Some(1),
            sha256,
            source_mtime: before.mtime,
        })
    }

    fn index(&self) -> MutexGuard<'_, BackupIndex> {
        self.index.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Manifest first, then the copy under its final name, then the directory.
    fn commit(
        &self,
        name: &BackupName,
        manifest: &Manifest,
        partial: PartialFile,
    ) -> Result<(), TableError> {
        let final_path = self.store.path(&name.file_name());
        // The copy gets the table's mode (never wider), and the manifest the
        // copy's: a private table stays private.
        let mode = fs::metadata(&self.table.path).map_or(0o600, |m| crate::store::copy_mode(&m));
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(partial.path(), fs::Permissions::from_mode(mode))
                .map_err(|e| write_error(partial.path(), &e))?;
        }
        self.store
            .write_manifest(name, manifest)
            .map_err(|e| write_error(&self.store.path(&name.manifest_name()), &e))?;
        fs::rename(partial.path(), &final_path).map_err(|e| write_error(&final_path, &e))?;
        partial.disarm();
        self.slot.free();
        self.store
            .sync_dir()
            .map_err(|e| write_error(self.store.dir(), &e))
    }

    /// Deletes what retention no longer keeps; failures are logged, not fatal.
    fn prune(&self, own: &BackupName) -> Vec<String> {
        let copies = self.index().copies_of(&self.table.name);
        let backups = self.store.entries_of(copies.iter().map(String::as_str));
        let mut pruned = Vec::new();
        for name in plan_prune(&backups, self.options.keep, own, self.clock.now()) {
            match self.store.delete(&name) {
                Ok(()) => {
                    let mut index = self.index();
                    index.remove(&self.table.name, &name.file_name());
                    index.remove(&self.table.name, &name.manifest_name());
                    pruned.push(name.file_name());
                }
                Err(e) => {
                    tracing::warn!(file = %name.file_name(), error = %e, "cannot prune backup")
                }
            }
        }
        pruned
    }
}

/// What the capture stage settled on.
struct Capture {
    /// The source was closed properly and unchanged, and so is the copy.
    clean: bool,
    attempts: u32,
    source_mtime: Option<DateTime<Utc>>,
    /// Hex SHA-256 of the copy.
    sha256: String,
    /// The verified copy.
    inspection: Inspection,
    /// Time spent copying (every attempt), as opposed to verifying.
    copy_time: Duration,
}

/// One copy of the source and what was seen around it.
struct Attempt {
    number: u32,
    /// The quiesce stage ran and succeeded just before.
    quiesced: bool,
    /// The source's size, mtime and header were the same after as before.
    stable: bool,
    /// Stable, and the source and the copy both say closed properly.
    clean: bool,
    sha256: String,
    source_mtime: Option<DateTime<Utc>>,
}

impl Attempt {
    fn into_capture(self, inspection: Inspection, copy_time: Duration) -> Capture {
        Capture {
            clean: self.clean,
            attempts: self.number,
            source_mtime: self.source_mtime,
            sha256: self.sha256,
            inspection,
            copy_time,
        }
    }
}

/// What is compared before and after a copy to tell whether the source changed.
#[derive(Debug, PartialEq, Eq)]
struct SourceState {
    len: u64,
    mtime: Option<DateTime<Utc>>,
    header: Vec<u8>,
}

impl SourceState {
    fn read(path: &Path) -> Result<Self, TableError> {
        let file = File::open(path).map_err(|e| unreadable(path, &e))?;
        let meta = file.metadata().map_err(|e| unreadable(path, &e))?;
        let mut header = vec![0; format::HEADEND as usize];
        let n = read_up_to(&file, &mut header).map_err(|e| unreadable(path, &e))?;
        header.truncate(n);
        Ok(Self {
            len: meta.len(),
            mtime: meta.modified().ok().map(DateTime::<Utc>::from),
            header,
        })
    }

    fn closed_flag(&self) -> Option<u32> {
        flag_in(&self.header)
    }
}

fn flag_in(header: &[u8]) -> Option<u32> {
    let at = format::CLOSED_PROPERLY_OFFSET as usize;
    header
        .get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn closed_flag(path: &Path) -> io::Result<Option<u32>> {
    let mut header = [0u8; 12];
    let n = read_up_to(&File::open(path)?, &mut header)?;
    Ok(flag_in(&header[..n]))
}

fn read_up_to(file: &File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], filled as u64)? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Copies with the kernel's copy (copy_file_range) in chunks, runs `copied`
/// as soon as the last byte is across, then fsyncs the copy.
///
/// A copy of more than one chunk is hashed from the copy itself by a second
/// thread while the next chunk is copied, so the SHA-256 of the copy is ready
/// when the copy is; a smaller one is hashed after it, on the same thread.
fn copy_file<T>(
    source: &Path,
    dest: &Path,
    cancel: &CancellationToken,
    copied: impl FnOnce() -> T,
) -> Result<(String, T), TableError> {
    let mut src = File::open(source).map_err(|e| unreadable(source, &e))?;
    // Owner-only while it is written and retried; the table's own mode once
    // it is committed (see `commit`).
    let mut dst = crate::store::create_with_mode(dest, 0o600).map_err(|e| write_error(dest, &e))?;
    let reader = File::open(dest).map_err(|e| write_error(dest, &e))?;
    let (chunks_tx, chunks_rx) = std::sync::mpsc::channel::<u64>();
    let small = src.metadata().is_ok_and(|m| m.len() <= COPY_CHUNK);
    if small {
        // One chunk: nothing to overlap, so no thread; hashed from the copy
        // (in the page cache) once it is across.
        let copying = copy_chunks(&mut src, &mut dst, dest, cancel, |n| {
            let _ = chunks_tx.send(n);
        });
        let after = copying.map(|()| copied())?;
        drop(chunks_tx);
        let hashed = hash_as_written(&reader, chunks_rx).map_err(|e| write_error(dest, &e))?;
        dst.sync_all().map_err(|e| write_error(dest, &e))?;
        return Ok((hashed, after));
    }
    std::thread::scope(|scope| {
        let hasher = scope.spawn(move || hash_as_written(&reader, chunks_rx));
        // The hasher may only have stopped on a read error, reported below.
        let copying = copy_chunks(&mut src, &mut dst, dest, cancel, |n| {
            let _ = chunks_tx.send(n);
        });
        let after = copying.map(|()| copied());
        drop(chunks_tx);
        let hashed = hasher
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let after = after?;
        dst.sync_all().map_err(|e| write_error(dest, &e))?;
        Ok((hashed.map_err(|e| write_error(dest, &e))?, after))
    })
}

/// Copies `src` to `dst` a chunk at a time, checking for cancellation
/// between chunks and telling `copied` the bytes written so far.
fn copy_chunks(
    src: &mut File,
    dst: &mut File,
    dest: &Path,
    cancel: &CancellationToken,
    mut copied: impl FnMut(u64),
) -> Result<(), TableError> {
    let mut written = 0u64;
    loop {
        if cancel.is_cancelled() {
            return Err(TableError::new(
                ErrorCode::Cancelled,
                "the run was stopped during the copy",
            ));
        }
        match io::copy(&mut (&mut *src).take(COPY_CHUNK), dst) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                written += n;
                copied(written);
            }
            Err(e) => return Err(write_error(dest, &e)),
        }
    }
}

/// Hashes `file` up to each length received, then returns the hex digest.
fn hash_as_written(file: &File, lengths: std::sync::mpsc::Receiver<u64>) -> io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = Vec::new();
    let mut hashed = 0u64;
    for target in lengths {
        while hashed < target {
            let want = (target - hashed).min(HASH_BUFFER as u64) as usize;
            if buf.len() < want {
                buf.resize(want, 0);
            }
            file.read_exact_at(&mut buf[..want], hashed)?;
            hasher.update(&buf[..want]);
            hashed += want as u64;
        }
    }
    Ok(hex(&hasher.finalize()))
}

/// Parses the copy: header, MD5, full slot walk, every object decoded and
/// checked (placement, type rules), counts.
fn verify(partial: &Path) -> Result<Inspection, Verify> {
    let inspection = match dets::inspect(partial) {
        Ok(i) => i,
        Err(DetsError::Io(e)) => return Err(Verify::Io(e)),
        Err(e) => return Err(Verify::Damaged(e)),
    };
    inspection.check_sound().map_err(Verify::Damaged)?;
    Ok(inspection)
}

/// Why a copy did not verify.
enum Verify {
    /// The copy could not be read back.
    Io(io::Error),
    /// The copy is not a sound DETS file.
    Damaged(DetsError),
}

/// Where a verified dirty copy waits while clean ones are tried for (a
/// `.partial` name, so start-up removes it if the process dies).
fn fallback_path(partial: &Path) -> PathBuf {
    let name = partial
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(".copy.partial");
    partial.with_file_name(name.replace(".partial", ".kept.partial"))
}

/// Hex SHA-256 of a file.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; HASH_BUFFER];
    loop {
        match file.read(&mut buf)? {
            0 => break,
            n => hasher.update(&buf[..n]),
        }
    }
    Ok(hex(&hasher.finalize()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A short, jittered pause: a table's writes come in bursts, and a retry
/// should not fall into the same phase of the writer's rhythm.
fn backoff(attempt: u32) -> Duration {
    let base = u64::from(attempt.min(10));
    Duration::from_millis(base + fastrand::u64(0..=10))
}

fn unreadable(path: &Path, e: &io::Error) -> TableError {
    TableError::new(
        ErrorCode::TableUnreadable,
        format!("cannot read {}: {e}", path.display()),
    )
}

/// Classifies a failure to write into the backup directory.
fn write_error(path: &Path, e: &io::Error) -> TableError {
    use rustix::io::Errno;
    let code = match Errno::from_io_error(e) {
        // EFBIG: a file-size limit (ulimit -f) stops the copy like a full disk.
        Some(Errno::NOSPC | Errno::FBIG | Errno::DQUOT) => ErrorCode::BackupDiskFull,
        Some(Errno::ACCESS | Errno::ROFS | Errno::PERM) => ErrorCode::BackupDirUnwritable,
        _ => ErrorCode::BackupIo,
    };
    TableError::new(code, format!("cannot write {}: {e}", path.display()))
}

/// A temporary copy that is deleted unless it was committed.
struct PartialFile {
    path: PathBuf,
    armed: bool,
}

impl PartialFile {
    fn new(path: PathBuf) -> Self {
        Self { path, armed: true }
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if self.armed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use tokio::sync::Semaphore;

    use super::*;
    use crate::catalog::Role;

    fn table(path: PathBuf) -> TableEntry {
        TableEntry {
            name: "users".into(),
            present: path.is_file(),
            path,
            role: Role::Discovered,
            backed_up: true,
        }
    }

    /// Runs one copy of `table` holding the only permit of a semaphore and
    /// tells whether the permit was back before the slot was dropped.
    fn freed_by_the_job(table: &TableEntry, backups: &Path) -> (TableResult, bool) {
        let store = BackupStore::open(backups).unwrap();
        let index = Mutex::new(store.index().unwrap());
        let permits = Arc::new(Semaphore::new(1));
        let slot = CopySlot::new(permits.clone().try_acquire_owned().unwrap());
        let result = CopyJob {
            table,
            store: &store,
            run_id: "run",
            options: &PipelineOptions::default(),
            cancel: &CancellationToken::new(),
            quiesce: None,
            clock: Clock::System,
            index: &index,
            slot: &slot,
        }
        .run();
        let freed = permits.available_permits() == 1;
        drop(slot);
        assert_eq!(permits.available_permits(), 1, "the drop gives it back");
        (result, freed)
    }

    #[test]
    fn a_committed_copy_gives_its_slot_back_before_the_job_ends() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("users.dets");
        fs::copy(testkit::fixture("set_10.dets"), &source).unwrap();
        let (result, freed) = freed_by_the_job(&table(source), &dir.path().join("backups"));
        assert!(
            matches!(result.outcome, Outcome::Committed(_)),
            "{result:?}"
        );
        assert!(freed, "the slot is freed at the rename");

        // A table that fails before its rename holds the slot to the end.
        let missing = table(dir.path().join("gone.dets"));
        let (result, freed) = freed_by_the_job(&missing, &dir.path().join("backups"));
        assert!(result.outcome.error().is_some(), "{result:?}");
        assert!(!freed);
    }
}
