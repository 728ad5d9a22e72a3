//! Writing DETS version 9 files, laid out as Erlang lays out a table it has
//! just created or compacted.
//!
//! ```text
//! 0     header, part pointer table                      written last
//! 1336  parts, then segments, back to back              slot entries in slot order
//! Base  collections, largest buddy class first          each class a contiguous run
//! D     free lists: the unused rest of the 2^31 buddy space, then the trailer
//! ```
//!
//! Allocating the largest blocks first leaves no holes: every block lands on a
//! multiple of its own size from Base, as the buddy system needs, and the
//! file is as small as the collections allow. This is what `dets` itself does
//! when it compacts (`allocate_all_objects` in `dets_v9.erl`), and the header
//! it writes (Base field, counters, MD5, trailer) is the one a fresh table has.
//!
//! [`Sink`] takes collections in ascending slot order once it knows how many
//! collections of each size there will be; memory is one buffer per size class.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use md5::{Digest as _, Md5};

use crate::format::*;
use crate::TableType;

/// The bytes the buddy system of a DETS file spans above its base.
const BUDDY_SPACE: u64 = 1 << 31;
/// Bytes buffered per region before they are written.
const REGION_BUFFER: usize = 1 << 20;
/// The largest file offset a 32-bit pointer can hold.
const MAX_OFFSET: u64 = u32::MAX as u64;

/// Why a table could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The slot parameters are not ones `dets` accepts.
    #[error("invalid table parameters: {0}")]
    InvalidShape(String),
    /// The collections do not fit the 2 GiB a DETS file can address.
    #[error("the table needs {needed} bytes of collections, more than the {BUDDY_SPACE} a DETS file can hold")]
    TooLarge {
        /// Bytes of buddy blocks the collections take.
        needed: u64,
    },
    /// What was handed to the writer contradicts what it was told to expect.
    #[error("inconsistent input: {0}")]
    Inconsistent(String),
    /// Writing the file failed.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
}

/// Type, key position and slot parameters of a table to write.
///
/// The hashing state follows from `next`: M is the largest power of two not
/// above it and N the rest, as in every file `dets` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Table type.
    pub table_type: TableType,
    /// 1-based key position.
    pub keypos: u32,
    /// `min_no_slots`: a power of two, at least 256.
    pub min_slots: u32,
    /// `max_no_slots`: a power of two, at most 2^25.
    pub max_slots: u32,
    /// Slots in use: a multiple of 256 from `min_slots` to `max_slots`.
    pub next: u32,
}

impl Shape {
    /// The linear-hashing modulus M.
    pub fn m(&self) -> u32 {
        1 << (u32::BITS - 1 - self.next.leading_zeros())
    }

    /// The linear-hashing split pointer N.
    pub fn n(&self) -> u32 {
        self.next - self.m()
    }

    /// The slot `dets` keeps a key of this `phash2(Key)` (27 bits) in.
    pub fn slot(&self, key_hash: u32) -> u32 {
        crate::objects::Placement {
            m: self.m(),
            n: self.n(),
        }
        .slot(key_hash)
    }

    /// Checks the invariants `dets` checks (`hash_invars` in `dets_v9.erl`).
    pub fn check(&self) -> Result<(), WriteError> {
        let slots = SLOTS_PER_SEGMENT as u32;
        let power = |v: u32| v.is_power_of_two() && v >= slots && u64::from(v) <= MAX_SLOTS;
        let problem = if self.keypos == 0 {
            Some(format!("key position {}", self.keypos))
        } else if !power(self.min_slots) || !power(self.max_slots) {
            Some(format!(
                "min_no_slots {} and max_no_slots {} must be powers of two from 256 to {MAX_SLOTS}",
                self.min_slots, self.max_slots
            ))
        } else if self.next % slots != 0
            || self.next < self.min_slots
            || self.next > self.max_slots
            || self.min_slots > self.m()
        {
            Some(format!(
                "Next = {} must be a multiple of 256 from min_no_slots {} to max_no_slots {}",
                self.next, self.min_slots, self.max_slots
            ))
        } else {
            None
        };
        match problem {
            Some(what) => Err(WriteError::InvalidShape(what)),
            None => Ok(()),
        }
    }

    fn parts(&self) -> u64 {
        u64::from(self.next).div_ceil(SLOTS_PER_SEGMENT * SEGMENTS_PER_PART)
    }

    fn segments(&self) -> u64 {
        u64::from(self.next) / SLOTS_PER_SEGMENT
    }
}

/// Where everything goes, from the shape and the collections per size class.
#[derive(Debug, Clone)]
struct Layout {
    /// First segment.
    segments_at: u64,
    /// Base of the buddy system: the first byte after the last segment.
    base: u64,
    /// First block of each class 2^(i+4); classes run from the largest down.
    class_at: [u64; COUNTERS],
    /// End of the last block.
    data_end: u64,
}

impl Layout {
    fn new(shape: &Shape, histogram: &[u64; COUNTERS]) -> Result<Self, WriteError> {
        let segments_at = BASE + shape.parts() * PART_SIZE;
        let base = segments_at + shape.segments() * SEGMENT_SIZE;
        let mut class_at = [0; COUNTERS];
        let mut at = 0u64;
        for class in (0..COUNTERS).rev() {
            class_at[class] = base + at;
            let bytes = histogram[class].saturating_mul(1 << (class as u32 + MIN_BLOCK_LOG2));
            at = at.saturating_add(bytes);
        }
        if at > BUDDY_SPACE || base + at + free_list_bytes(at) + WORD > MAX_OFFSET {
            return Err(WriteError::TooLarge { needed: at });
        }
        Ok(Self {
            segments_at,
            base,
            class_at,
            data_end: base + at,
        })
    }

    /// The free buddy blocks above the data end, as (address, log2 size),
    /// smallest first: the space from D to Base + 2^31 cut at its alignments.
    fn free_blocks(&self) -> Vec<(u64, u32)> {
        free_blocks(self.data_end - self.base)
            .into_iter()
            .map(|(offset, log2)| (self.base + offset, log2))
            .collect()
    }
}

/// The most bytes a file of `shape` whose collections fill `histogram`
/// takes: every collection in a whole block, then the free lists and trailer.
pub(crate) fn file_size_bound(
    shape: &Shape,
    histogram: &[u64; COUNTERS],
) -> Result<u64, WriteError> {
    let layout = Layout::new(shape, histogram)?;
    Ok(layout.data_end + free_list_bytes(layout.data_end - layout.base) + WORD)
}

/// The aligned blocks that cover `[used, 2^31)`, as (offset, log2 size).
fn free_blocks(used: u64) -> Vec<(u64, u32)> {
    let mut blocks = Vec::new();
    let mut at = used;
    if at == 0 {
        blocks.push((0, BUDDY_SPACE.trailing_zeros()));
        return blocks;
    }
    while at < BUDDY_SPACE {
        let log2 = at.trailing_zeros();
        blocks.push((at, log2));
        at += 1 << log2;
    }
    blocks
}

/// Bytes of the free-list area for `used` bytes of blocks: one record per
/// block (every class holds at most one), then the end marker.
fn free_list_bytes(used: u64) -> u64 {
    free_blocks(used).len() as u64 * (FREELIST_RECORD_HEADER + WORD) + FREELIST_RECORD_HEADER
}

/// A run of the output file written front to back through a buffer.
struct Region {
    /// File offset of the first buffered byte.
    at: u64,
    end: u64,
    buf: Vec<u8>,
}

impl Region {
    fn new(at: u64, end: u64) -> Self {
        Self {
            at,
            end,
            buf: Vec::new(),
        }
    }

    fn push(&mut self, file: &File, bytes: &[u8], what: &str) -> Result<(), WriteError> {
        let pending = self.at + self.buf.len() as u64;
        if pending + bytes.len() as u64 > self.end {
            return Err(WriteError::Inconsistent(format!(
                "more {what} than were counted"
            )));
        }
        if self.buf.len() + bytes.len() > REGION_BUFFER {
            self.flush(file)?;
            if bytes.len() >= REGION_BUFFER {
                file.write_all_at(bytes, self.at)?;
                self.at += bytes.len() as u64;
                return Ok(());
            }
        }
        if self.buf.capacity() == 0 {
            let room = (self.end - self.at).min(REGION_BUFFER as u64) as usize;
            self.buf.reserve_exact(room);
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    fn zeros(&mut self, file: &File, mut n: u64) -> Result<(), WriteError> {
        const ZEROS: [u8; 4096] = [0; 4096];
        while n > 0 {
            let step = n.min(ZEROS.len() as u64) as usize;
            self.push(file, &ZEROS[..step], "bytes")?;
            n -= step as u64;
        }
        Ok(())
    }

    fn flush(&mut self, file: &File) -> io::Result<()> {
        if !self.buf.is_empty() {
            file.write_all_at(&self.buf, self.at)?;
            self.at += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }

    fn finish(mut self, file: &File, what: &str) -> Result<(), WriteError> {
        self.flush(file)?;
        if self.at != self.end {
            return Err(WriteError::Inconsistent(format!(
                "fewer {what} than were counted"
            )));
        }
        Ok(())
    }
}

/// What a finished file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Length of the file.
    pub file_size: u64,
    /// Objects written.
    pub objects: u64,
    /// Distinct keys written.
    pub keys: u64,
    /// Collections (non-empty slots) written.
    pub collections: u64,
}

/// Writes a table from its collections, handed over in ascending slot order.
pub(crate) struct Sink<'f> {
    file: &'f File,
    shape: Shape,
    layout: Layout,
    histogram: [u64; COUNTERS],
    slots: Region,
    next_slot: u64,
    classes: Vec<Region>,
    collections: u64,
    /// End of the collection bytes at the highest address: the data end, as
    /// `dets` has it (the last block's padding is never written).
    last_end: u64,
}

impl<'f> Sink<'f> {
    /// A sink for a table of `shape` that will hold `histogram[i]` collections
    /// whose buddy block is 2^(i+4) bytes.
    pub fn new(
        file: &'f File,
        shape: Shape,
        histogram: [u64; COUNTERS],
    ) -> Result<Self, WriteError> {
        shape.check()?;
        let layout = Layout::new(&shape, &histogram)?;
        let classes = (0..COUNTERS)
            .map(|class| {
                let start = layout.class_at[class];
                let end = start + (histogram[class] << (class as u32 + MIN_BLOCK_LOG2));
                Region::new(start, end)
            })
            .collect();
        // Start from an empty file: stale bytes must not survive between blocks.
        file.set_len(0)?;
        Ok(Self {
            file,
            shape,
            slots: Region::new(layout.segments_at, layout.base),
            layout,
            histogram,
            next_slot: 0,
            classes,
            collections: 0,
            last_end: 0,
        })
    }

    /// Adds the collection of `slot`: its bytes whole, from the size word on.
    pub fn collection(&mut self, slot: u32, bytes: &[u8]) -> Result<(), WriteError> {
        let slot = u64::from(slot);
        if slot < self.next_slot || slot >= u64::from(self.shape.next) {
            return Err(WriteError::Inconsistent(format!(
                "slot {slot} out of order or beyond Next = {}",
                self.shape.next
            )));
        }
        let size = u32::try_from(bytes.len())
            .ok()
            .filter(|&s| u64::from(s) >= COLLECTION_HEADER)
            .ok_or_else(|| {
                WriteError::Inconsistent(format!("collection of {} bytes", bytes.len()))
            })?;
        let class = (block_log2(size) - MIN_BLOCK_LOG2) as usize;
        let region = self.classes.get_mut(class).ok_or_else(|| {
            WriteError::Inconsistent(format!("collection of {size} bytes is too large"))
        })?;
        let address = region.at + region.buf.len() as u64;
        region.push(self.file, bytes, "collections")?;
        region.zeros(
            self.file,
            (1u64 << (class as u32 + MIN_BLOCK_LOG2)) - u64::from(size),
        )?;

        self.slots
            .zeros(self.file, (slot - self.next_slot) * SLOT_ENTRY)?;
        let mut entry = [0u8; SLOT_ENTRY as usize];
        entry[..4].copy_from_slice(&size.to_be_bytes());
        entry[4..].copy_from_slice(&(address as u32).to_be_bytes());
        self.slots.push(self.file, &entry, "slots")?;
        self.next_slot = slot + 1;
        self.collections += 1;
        self.last_end = self.last_end.max(address + u64::from(size));
        Ok(())
    }

    /// Writes the empty slots left, the free lists, the trailer and then the
    /// header that marks the file closed, and syncs it to disk.
    pub fn finish(mut self, objects: u64, keys: u64) -> Result<Written, WriteError> {
        let counts = |n: u64, what: &str| {
            u32::try_from(n)
                .map_err(|_| WriteError::Inconsistent(format!("{n} {what} exceed a DETS header")))
        };
        let (no_objects, no_keys) = (counts(objects, "objects")?, counts(keys, "keys")?);
        let rest = u64::from(self.shape.next) - self.next_slot;
        self.slots.zeros(self.file, rest * SLOT_ENTRY)?;
        let slots = std::mem::replace(&mut self.slots, Region::new(0, 0));
        slots.finish(self.file, "slots")?;
        for region in std::mem::take(&mut self.classes) {
            region.finish(self.file, "collections")?;
        }

        // Free lists and trailer at the data end, over the last block's
        // padding: the free lists name whole blocks, the file ends short.
        let data_end = self.last_end.max(self.layout.base);
        let mut tail = Vec::new();
        for (address, log2) in self.layout.free_blocks() {
            push_words(
                &mut tail,
                &[
                    (FREELIST_RECORD_HEADER + WORD) as u32,
                    FREE,
                    log2 + 1,
                    address as u32,
                ],
            );
        }
        push_words(&mut tail, &[FREELIST_RECORD_HEADER as u32, FREE, ENDFREE]);
        let file_size = data_end + tail.len() as u64 + WORD;
        push_words(&mut tail, &[(file_size - self.layout.base) as u32]);
        self.file.write_all_at(&tail, data_end)?;
        self.file.set_len(file_size)?;

        // Parts: segment s of part p at segments_at + (512p + s) * 2048.
        let segments = self.shape.segments();
        let mut parts = Vec::with_capacity((self.shape.parts() * PART_SIZE) as usize);
        for p in 0..self.shape.parts() {
            let mut part = vec![0u8; PART_SIZE as usize];
            for s in 0..SEGMENTS_PER_PART.min(segments - p * SEGMENTS_PER_PART) {
                let segment = self.layout.segments_at + (p * SEGMENTS_PER_PART + s) * SEGMENT_SIZE;
                part[(s * WORD) as usize..][..4].copy_from_slice(&(segment as u32).to_be_bytes());
            }
            parts.extend_from_slice(&part);
        }
        self.file.write_all_at(&parts, BASE)?;
        self.file.sync_data()?;

        // The header last, so that a file cut short is never marked closed.
        let header = self.header(data_end, no_objects, no_keys);
        self.file.write_all_at(&header, 0)?;
        self.file.sync_all()?;
        Ok(Written {
            file_size,
            objects,
            keys,
            collections: self.collections,
        })
    }

    /// The header and part pointer table of the finished file.
    fn header(&self, data_end: u64, no_objects: u32, no_keys: u32) -> Vec<u8> {
        let shape = &self.shape;
        let type_code = match shape.table_type {
            TableType::Set => 1,
            TableType::Bag => 2,
            TableType::DuplicateBag => 3,
        };
        let mut header = Vec::with_capacity(BASE as usize);
        push_words(
            &mut header,
            &[
                data_end as u32,
                COOKIE,
                1,
                type_code,
                VERSION,
                shape.m(),
                shape.next,
                shape.keypos,
                no_objects,
                no_keys,
                shape.min_slots,
                shape.max_slots,
                1, // phash2
                shape.n(),
            ],
        );
        for &count in &self.histogram {
            // Counts above u32 cannot occur: the blocks fit in 2^31 bytes.
            push_words(&mut header, &[count as u32]);
        }
        let md5 = Md5::digest(&header[TYPE_OFFSET as usize..MD5_OFFSET as usize]);
        header.extend_from_slice(&md5);
        push_words(&mut header, &[self.layout.base as u32]);
        header.resize(HEADEND as usize, 0);
        for p in 0..PART_POINTERS {
            let part = if p < shape.parts() {
                (BASE + p * PART_SIZE) as u32
            } else {
                0
            };
            push_words(&mut header, &[part]);
        }
        header
    }
}

fn push_words(out: &mut Vec<u8>, words: &[u32]) {
    for word in words {
        out.extend_from_slice(&word.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(next: u32) -> Shape {
        Shape {
            table_type: TableType::Set,
            keypos: 1,
            min_slots: 256,
            max_slots: 1 << 25,
            next,
        }
    }

    #[test]
    fn hashing_state_follows_next() {
        assert_eq!((shape(256).m(), shape(256).n()), (256, 0));
        assert_eq!((shape(1280).m(), shape(1280).n()), (1024, 256));
        assert_eq!((shape(768).m(), shape(768).n()), (512, 256));
        assert!(shape(300).check().is_err());
        assert!(shape(1 << 26).check().is_err());
        shape(1 << 25).check().unwrap();
    }

    #[test]
    fn free_blocks_tile_the_rest_of_the_buddy_space() {
        assert_eq!(free_blocks(0), vec![(0, 31)]);
        for used in [16u64, 448, 4096 + 48, (1 << 31) - 16] {
            let blocks = free_blocks(used);
            let mut at = used;
            for &(offset, log2) in &blocks {
                assert_eq!(offset, at, "contiguous from the data end");
                assert_eq!(offset % (1 << log2), 0, "aligned to its own size");
                at += 1 << log2;
            }
            assert_eq!(at, BUDDY_SPACE);
            assert!(blocks.windows(2).all(|w| w[0].1 < w[1].1), "smallest first");
        }
    }

    #[test]
    fn a_fresh_layout_matches_the_one_dets_makes() {
        // 768 slots: one part and three segments from 1336, the base at 9528
        // (FORMAT.md, section 5); 262,144 slots: two parts, 1024 segments.
        let layout = Layout::new(&shape(768), &[0; COUNTERS]).unwrap();
        assert_eq!((layout.segments_at, layout.base), (3384, 9528));
        let layout = Layout::new(&shape(262_144), &[0; COUNTERS]).unwrap();
        assert_eq!(layout.base, 2_102_584);
        // set_10.dets: six 32-byte and four 64-byte blocks; data ends at 5880.
        let mut histogram = [0; COUNTERS];
        histogram[1] = 6;
        histogram[2] = 4;
        let layout = Layout::new(&shape(256), &histogram).unwrap();
        assert_eq!(layout.class_at[2], 5432, "the larger class first");
        assert_eq!(layout.class_at[1], 5432 + 256);
        assert_eq!(layout.data_end, 5880);
    }

    #[test]
    fn more_than_2_gib_of_collections_is_refused() {
        let mut histogram = [0; COUNTERS];
        histogram[COUNTERS - 1] = 2;
        assert!(matches!(
            Layout::new(&shape(256), &histogram),
            Err(WriteError::TooLarge { .. })
        ));
    }
}
