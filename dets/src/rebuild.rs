//! Rebuilding a sound, properly closed table into a compact file.
//!
//! The new file keeps the table's slot parameters, so every key stays in its
//! slot and every collection is copied byte for byte: the objects, their
//! order and their encodings are the source's. Only the layout changes: no
//! holes, the largest blocks first, minimal free lists. This is what Erlang's
//! compaction (`{repair, force}` on a closed file) does, without decoding a
//! term or sorting anything: the source's slot table already says where
//! every collection goes.
//!
//! The result proves itself before it is reported: it is read back whole and
//! must be closed properly, sound, and hold the source's digest.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use crate::format::{SEGMENT_SIZE, SLOTS_PER_SEGMENT, SLOT_ENTRY, WORD};
use crate::source::{be_word, Bytes, ReadAt, Window};
use crate::write::{Shape, Sink, WriteError, Written};
use crate::{inspect_source, walk, DetsError, Digest, FileStatus, Inspection, Problems};

/// Why a rebuild did not produce a file.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// The source could not be read.
    #[error("cannot read the source: {0}")]
    Source(#[source] DetsError),
    /// The source is not sound and closed: its slot table cannot be trusted.
    #[error("the source is {status} ({reason}); `tablesafe salvage` recovers what it can")]
    NotSound {
        /// What the reader found.
        status: FileStatus,
        /// The first problem, or why it is not closed.
        reason: String,
    },
    /// The source changed while it was copied.
    #[error("the source changed while it was rebuilt: {0}")]
    SourceChanged(String),
    /// Writing failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The written file does not hold what the source holds.
    #[error("the rebuilt file failed its check: {0}")]
    Verify(String),
}

impl From<io::Error> for RebuildError {
    fn from(err: io::Error) -> Self {
        Self::Write(WriteError::Io(err))
    }
}

/// A rebuilt table, proved.
#[derive(Debug, Clone)]
pub struct Rebuilt {
    /// Length of the source file.
    pub source_size: u64,
    /// Free bytes inside the source's data area.
    pub source_free_bytes: u64,
    /// What the new file holds.
    pub written: Written,
    /// The digest both files have.
    pub digest: Digest,
}

impl Rebuilt {
    /// Bytes the new file saves (0 if it is not smaller).
    pub fn reclaimed(&self) -> u64 {
        self.source_size.saturating_sub(self.written.file_size)
    }
}

/// Rebuilds `input` into a new file at `output`, which must not exist. The
/// file appears under its name only once it has been written, synced and
/// proved; a failed rebuild leaves nothing behind.
pub fn rebuild(input: &Path, output: &Path) -> Result<Rebuilt, RebuildError> {
    let source = File::open(input).map_err(|err| RebuildError::Source(err.into()))?;
    let temp = TempOutput::create(output)?;
    let rebuilt = rebuild_file(&source, temp.file())?;
    temp.persist(output)?;
    Ok(rebuilt)
}

/// Rebuilds the table in `source` into `out` (emptied first) and proves it.
pub fn rebuild_file(source: &File, out: &File) -> Result<Rebuilt, RebuildError> {
    let len = source
        .metadata()
        .map_err(|err| RebuildError::Source(err.into()))?
        .len();
    let before = inspect_source(source, len).map_err(RebuildError::Source)?;
    // Ok means sound and closed, and a sound file has a digest.
    let Some(digest) = before
        .digest()
        .filter(|_| before.status() == FileStatus::Ok)
    else {
        return Err(RebuildError::NotSound {
            status: before.status(),
            reason: before
                .messages()
                .into_iter()
                .next()
                .unwrap_or_else(|| before.status().to_string()),
        });
    };
    let written = copy_collections(source, len, &before, out)?;
    prove(out, &before, digest)?;
    Ok(Rebuilt {
        source_size: len,
        source_free_bytes: before.free_bytes.unwrap_or(0),
        written,
        digest,
    })
}

/// The most bytes [`rebuild`] writes for the sound file `inspection`
/// describes (`u64::MAX` when it cannot be rebuilt at all).
pub fn compact_size_bound(inspection: &Inspection) -> u64 {
    crate::write::file_size_bound(&shape_of(inspection), &inspection.walk.histogram)
        .unwrap_or(u64::MAX)
}

/// The shape a sound table is rewritten with: its own.
pub(crate) fn shape_of(inspection: &Inspection) -> Shape {
    let header = &inspection.header;
    Shape {
        table_type: header.table_type,
        keypos: header.keypos,
        min_slots: header.min_slots,
        max_slots: header.max_slots,
        next: header.next,
    }
}

/// Copies every collection, in slot order, into a compact layout.
fn copy_collections(
    source: &File,
    len: u64,
    before: &Inspection,
    out: &File,
) -> Result<Written, RebuildError> {
    let header = &before.header;
    let mut problems = Problems::default();
    let mut table = Window::new(source, len, SEGMENT_SIZE as usize);
    let parts = walk::find_parts(header, len, true, &mut problems);
    let mut segments = walk::find_segments(&mut table, &parts, header, len, true, &mut problems)
        .map_err(RebuildError::Source)?;
    if let Some(problem) = problems.kept().first() {
        return Err(RebuildError::SourceChanged(problem.to_string()));
    }
    segments.sort_unstable_by_key(|&(_, number)| number);

    let mut sink = Sink::new(out, shape_of(before), before.walk.histogram)?;
    let mut collection = Vec::new();
    for (seg_ptr, number) in segments {
        let raw = table
            .bytes(u64::from(seg_ptr), SEGMENT_SIZE as usize, "segment")
            .map_err(RebuildError::Source)?;
        for j in 0..SLOTS_PER_SEGMENT as usize {
            let size = be_word(raw, j * SLOT_ENTRY as usize);
            if size == 0 {
                continue;
            }
            let ptr = be_word(raw, j * SLOT_ENTRY as usize + WORD as usize);
            collection.resize(size as usize, 0);
            ReadAt::read_exact_at(source, &mut collection, u64::from(ptr))
                .map_err(|err| RebuildError::Source(err.into()))?;
            if be_word(&collection, 0) != size {
                return Err(RebuildError::SourceChanged(format!(
                    "the collection at {ptr} no longer has the size its slot gives"
                )));
            }
            let slot = number * SLOTS_PER_SEGMENT as u32 + j as u32;
            sink.collection(slot, &collection)?;
        }
    }
    Ok(sink.finish(before.walk.records, before.walk.keys)?)
}

/// Reads the new file back whole: closed, sound, and the source's content.
fn prove(out: &File, before: &Inspection, digest: Digest) -> Result<(), RebuildError> {
    let len = out.metadata()?.len();
    let after = inspect_source(out, len).map_err(|err| RebuildError::Verify(err.to_string()))?;
    if after.status() != FileStatus::Ok {
        return Err(RebuildError::Verify(format!(
            "it reads as {}: {}",
            after.status(),
            after.messages().join("; ")
        )));
    }
    if after.digest() != Some(digest) || after.walk.keys != before.walk.keys {
        return Err(RebuildError::Verify(format!(
            "it holds {} objects and {} keys (digest {}), the source {} and {} (digest {digest})",
            after.walk.records,
            after.walk.keys,
            after
                .digest()
                .map_or_else(|| "none".into(), |d| d.to_string()),
            before.walk.records,
            before.walk.keys,
        )));
    }
    Ok(())
}

/// A file written beside its destination under a hidden name, removed
/// unless it is persisted.
pub struct TempOutput {
    path: PathBuf,
    file: File,
    persisted: bool,
}

impl TempOutput {
    /// Creates the temporary file for `dest`; fails if `dest` exists.
    pub fn create(dest: &Path) -> io::Result<Self> {
        if dest.symlink_metadata().is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} already exists", dest.display()),
            ));
        }
        let name = dest
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
        let mut hidden = std::ffi::OsString::from(".");
        hidden.push(name);
        hidden.push(format!(".{}.tablesafe-tmp", std::process::id()));
        let path = dest.with_file_name(hidden);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok(Self {
            path,
            file,
            persisted: false,
        })
    }

    /// The open file.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Gives the file its name (refusing to replace one that appeared since)
    /// and syncs the directory.
    pub fn persist(mut self, dest: &Path) -> io::Result<()> {
        // A hard link fails if the destination exists: nothing is replaced.
        std::fs::hard_link(&self.path, dest)?;
        self.persisted = true;
        std::fs::remove_file(&self.path)?;
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}

impl Drop for TempOutput {
    fn drop(&mut self) {
        if !self.persisted {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
