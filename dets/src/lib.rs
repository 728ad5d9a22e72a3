//! A reader for DETS version 9 files, the disk tables of Erlang/Elixir.
//!
//! It reports what Erlang's `dets` would: the header, the objects and keys the
//! slot table holds, free space and fragmentation, whether the file was closed
//! properly, and everything that is wrong with it. It never writes, never reads
//! a whole file into memory, and returns an error rather than panicking on any
//! input.
//!
//! ```text
//! offset  0 ┌───────────────────────────────────────────────┐
//!           │ FreelistsPointer  Cookie  ClosedProperly       │ not in MD5
//!        12 │ Type Version M Next KeyPos NoObjects NoKeys    │
//!           │ MinSlots MaxSlots HashMethod N                 │ MD5 covers
//!        56 │ 28 collection counters (2^4 .. 2^31 bytes)     │ 12..168
//!       168 │ MD5                                            │
//!       184 │ Base                                           │
//!       312 │ 256 part pointers ─────┐                       │
//!      1336 ├────────────────────────┼──────────────────────┤
//!           │ part: 512 segment pointers ──┐                 │ buddy-allocated
//!           │ segment: 256 × [size, ptr] ──┼─► collection    │ blocks, in any
//!           │ collection: [size][ACTIVE] records ...         │ order
//!         D ├───────────────────────────────────────────────┤
//!           │ free lists, end marker, trailer                │ only when saved
//!           └───────────────────────────────────────────────┘
//! ```
//!
//! `FORMAT.md`'s figures are reproduced exactly: records and keys come from
//! the walk, free bytes are the holes in `[1336, D)` and the fragmentation
//! ratio is free bytes over the file length.

mod build;
mod error;
pub mod format;
mod freelist;
mod header;
mod objects;
mod rebuild;
mod salvage;
mod source;
pub mod term;
mod walk;
mod write;

use std::fs::File;
use std::path::Path;

pub use build::{AddError, Builder, Built};
pub use error::{DetsError, FileStatus};
pub use header::{HashMethod, Header, TableType};
pub use rebuild::{compact_size_bound, rebuild, rebuild_file, RebuildError, Rebuilt, TempOutput};
pub use salvage::{salvage, salvage_file, Lost, SalvageError, Salvaged, Scope, MAX_LISTED};
pub use source::ReadAt;
pub use walk::{Problems, WalkFigures, MAX_KEPT_PROBLEMS};
pub use write::{Shape, WriteError, Written};

use format::WORD;
use source::{Bytes, Window};

/// The identity of a table's content, whatever the file's layout: how many
/// objects it holds and the sum (mod 2^64) of `erlang:phash2(Object, 4294967296)`
/// over them. Erlang computes the same with one `dets:foldl`, so a copy, a
/// compacted file or a restored one proves itself by giving the same digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest {
    /// Objects in the table.
    pub objects: u64,
    /// Sum of the objects' 32-bit `phash2`, mod 2^64.
    pub sum: u64,
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{:016x}", self.objects, self.sum)
    }
}

/// Everything learnt from one DETS file.
#[derive(Debug)]
pub struct Inspection {
    /// The validated header.
    pub header: Header,
    /// Length of the file in bytes.
    pub file_size: u64,
    /// Flag 1, trailer consistent with the length, MD5 correct: Erlang opens it
    /// without repair.
    pub closed_properly: bool,
    /// End of the data area: the free-list pointer of a closed file, else the length.
    pub data_end: u64,
    /// What the slot walk counted.
    pub walk: WalkFigures,
    /// Free bytes inside the data area; `None` when the structure is damaged.
    pub free_bytes: Option<u64>,
    /// Everything found wrong, besides not being closed.
    pub problems: Problems,
}

impl Inspection {
    /// The verdict: damage first, then whether Erlang must repair it.
    pub fn status(&self) -> FileStatus {
        let kept = self.problems.kept();
        if kept
            .iter()
            .any(|p| matches!(p, DetsError::Truncated { .. }))
        {
            FileStatus::Truncated
        } else if !self.problems.is_empty() {
            FileStatus::Corrupt
        } else if !self.closed_properly {
            FileStatus::NeedsRepair
        } else {
            FileStatus::Ok
        }
    }

    /// The content digest of the objects the slots hold; `None` unless the
    /// file is sound, since a damaged file's objects are not all known.
    pub fn digest(&self) -> Option<Digest> {
        self.problems.is_empty().then_some(Digest {
            objects: self.walk.records,
            sum: self.walk.object_hash_sum,
        })
    }

    /// Free bytes over file size, as `FORMAT.md` defines fragmentation.
    pub fn fragmentation_ratio(&self) -> Option<f64> {
        self.free_bytes
            .map(|free| free as f64 / self.file_size as f64)
    }

    /// Why the file is not closed properly, when it is not.
    pub fn not_closed_reason(&self) -> Option<String> {
        if self.closed_properly {
            None
        } else if self.header.closed_flag == 0 {
            Some("not closed properly (flag 0): the table was open or crashed; Erlang repairs it on open".into())
        } else {
            Some("not closed properly: the trailer does not match the file length; Erlang repairs it on open".into())
        }
    }

    /// Every message about the file, the not-closed reason first.
    pub fn messages(&self) -> Vec<String> {
        let mut messages: Vec<String> = self.not_closed_reason().into_iter().collect();
        messages.extend(self.problems.kept().iter().map(ToString::to_string));
        let hidden = self.problems.total() - self.problems.kept().len() as u64;
        if hidden > 0 {
            messages.push(format!("... and {hidden} more problems"));
        }
        messages
    }

    /// `Ok` when the file is structurally sound; the first problem otherwise.
    ///
    /// A sound file may still be not closed properly: see [`Inspection::closed_properly`].
    pub fn check_sound(&self) -> Result<(), DetsError> {
        match self.problems.kept().first() {
            None => Ok(()),
            Some(DetsError::Truncated { offset, what }) => {
                Err(DetsError::truncated(*offset, what.clone()))
            }
            Some(DetsError::Corrupt { offset, what }) => {
                Err(DetsError::corrupt(*offset, what.clone()))
            }
            Some(other) => Err(DetsError::corrupt(0, other.to_string())),
        }
    }
}

/// Inspects the DETS file at `path`.
pub fn inspect(path: &Path) -> Result<Inspection, DetsError> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    inspect_source(&file, len)
}

/// Inspects a DETS file held in memory.
pub fn inspect_bytes(bytes: &[u8]) -> Result<Inspection, DetsError> {
    inspect_source(bytes, bytes.len() as u64)
}

/// Inspects `len` bytes of any positioned source.
///
/// Header damage is an error; damage found further in is listed in
/// [`Inspection::problems`] and the walk goes on past it.
pub fn inspect_source<R: ReadAt + Sync + ?Sized>(
    source: &R,
    len: u64,
) -> Result<Inspection, DetsError> {
    // Header, trailer and free lists: small reads near the two ends of the file.
    let mut w = Window::new(source, len, 64 << 10);
    let header = Header::read(&mut w)?;
    let mut problems = Problems::default();

    // dets' own test: flag 1 and trailer + base field == file length. The
    // data area must also end inside the file, or the file was cut short.
    let trailer = w.word(len - WORD, "trailer")?;
    let trailer_matches = u64::from(trailer) + u64::from(header.base_field) == len;
    let flp = u64::from(header.freelists_pointer);
    let saved = header.closed_flag == 1;
    if saved && flp > len - WORD {
        problems.push(DetsError::truncated(
            len,
            format!("the free lists should start at {flp}, past the end of the file"),
        ));
    } else if saved && flp < format::BASE {
        problems.push(DetsError::corrupt(
            format::FREELISTS_POINTER,
            format!("free-list pointer {flp} points into the header"),
        ));
    } else if saved && !trailer_matches {
        // A cut copy shows as free lists that run past the end; anything
        // else (an appended byte, a changed trailer) is left to repair.
        if let Err(cut @ DetsError::Truncated { .. }) = freelist::read_free_lists(&mut w, flp) {
            problems.push(cut);
        }
    }
    let closed_properly = saved && trailer_matches && problems.is_empty();
    let data_end = if closed_properly { flp } else { len };

    let walk = walk::walk(
        source,
        len,
        &header,
        closed_properly,
        data_end,
        &mut problems,
    )?;
    let figures = &walk.figures;
    if closed_properly {
        if figures.records != u64::from(header.no_objects)
            || figures.keys != u64::from(header.no_keys)
        {
            problems.push(DetsError::corrupt(
                format::NO_OBJECTS_OFFSET,
                format!(
                    "header counts {} objects and {} keys, the slots hold {} and {}",
                    header.no_objects, header.no_keys, figures.records, figures.keys
                ),
            ));
        }
        if header.counters_known()
            && header
                .counters
                .iter()
                .zip(&figures.histogram)
                .any(|(&c, &h)| u64::from(c) != h)
        {
            problems.push(DetsError::corrupt(
                format::COUNTERS_OFFSET,
                "header collection counters differ from the collections the slots hold",
            ));
        }
        match freelist::read_free_lists(&mut w, data_end) {
            Ok(free) => {
                if problems.is_empty() {
                    if let Err(problem) = freelist::check_tiling(&walk.live, &free, data_end) {
                        problems.push(problem);
                    }
                }
            }
            Err(problem @ DetsError::Io(_)) => return Err(problem),
            Err(problem) => problems.push(problem),
        }
    }
    let free_bytes = problems
        .is_empty()
        .then(|| data_end.checked_sub(walk.figures.allocated_bytes))
        .flatten();
    if problems.is_empty() && free_bytes.is_none() {
        problems.push(DetsError::corrupt(
            format::BASE,
            "allocated blocks exceed the data area",
        ));
    }
    Ok(Inspection {
        header,
        file_size: len,
        closed_properly,
        data_end,
        walk: walk.figures,
        free_bytes,
        problems,
    })
}
