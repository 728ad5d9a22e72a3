//! The structural walk: parts, segments, slots and object collections.
//!
//! Every block the slot table reaches is visited once, in ascending file
//! offset, so the disk is read front to back. Problems found on the way are
//! collected (the walk goes on past a bad slot) rather than returned at the
//! first one, so a damaged file still yields every figure that can be had.

use super::format::*;
use super::header::Header;
use super::source::{be_word, ReadAt, Window};
use super::DetsError;

/// Problems kept in full; beyond this only the count grows.
pub const MAX_KEPT_PROBLEMS: usize = 100;

/// Problems found while reading, bounded in memory.
#[derive(Debug, Default)]
pub struct Problems {
    kept: Vec<DetsError>,
    total: u64,
}

impl Problems {
    pub(crate) fn push(&mut self, problem: DetsError) {
        self.total += 1;
        if self.kept.len() < MAX_KEPT_PROBLEMS {
            self.kept.push(problem);
        }
    }

    /// The first problems found, at most [`MAX_KEPT_PROBLEMS`].
    pub fn kept(&self) -> &[DetsError] {
        &self.kept
    }

    /// How many problems were found in all.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    Part,
    Segment,
    Collection { slot: u32 },
}

/// One allocated block, by the offset and exact size its pointer gives.
#[derive(Debug, Clone, Copy)]
struct Block {
    offset: u32,
    size: u32,
    kind: BlockKind,
}

impl Block {
    /// End of the buddy block holding this structure (padding included).
    fn block_end(self) -> u64 {
        let log2 = match self.kind {
            BlockKind::Collection { .. } => block_log2(self.size),
            BlockKind::Part | BlockKind::Segment => block_log2(SEGMENT_SIZE as u32),
        };
        u64::from(self.offset) + (1u64 << log2)
    }
}

/// What the walk counted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WalkFigures {
    /// Objects found by following every slot.
    pub records: u64,
    /// Distinct keys found (records for a set, groups for a bag).
    pub keys: u64,
    /// Segment-array parts reached.
    pub parts: u64,
    /// Segments reached.
    pub segments: u64,
    /// Non-empty slots.
    pub collections: u64,
    /// Exact bytes of every structure: header, parts, segments, collection sizes.
    pub live_bytes: u64,
    /// Bytes of the data area covered by allocated buddy blocks, header included.
    pub allocated_bytes: u64,
    /// Collections per buddy block size 2^(i+4), as the header counters count them.
    pub histogram: [u64; COUNTERS],
}

/// The outcome of a walk.
pub(crate) struct Walk {
    pub figures: WalkFigures,
    /// Live intervals `[start, end)` clipped to the data end, ascending.
    pub live: Vec<(u64, u64)>,
}

/// Walks the slot table of a file whose header is valid.
///
/// `closed` says whether the header is trustworthy (closed properly);
/// `data_end` is where the data area ends.
pub(crate) fn walk<R: ReadAt + ?Sized>(
    w: &mut Window<'_, R>,
    header: &Header,
    closed: bool,
    data_end: u64,
    problems: &mut Problems,
) -> Result<Walk, DetsError> {
    let len = w.len();
    let mut blocks = Vec::new();

    // Parts: positions in the header table give the segment numbering.
    let mut parts = Vec::new();
    for (index, &ptr) in header.part_pointers.iter().enumerate() {
        if let Some(problem) = check_extent(ptr, PART_SIZE, len, || format!("part {index}")) {
            problems.push(problem);
            continue;
        }
        parts.push((ptr, index as u32));
        blocks.push(Block {
            offset: ptr,
            size: PART_SIZE as u32,
            kind: BlockKind::Part,
        });
    }
    let expected_parts = u64::from(header.next).div_ceil(SLOTS_PER_SEGMENT * SEGMENTS_PER_PART);
    if closed && header.part_pointers.len() as u64 != expected_parts {
        problems.push(DetsError::corrupt(
            HEADEND,
            format!(
                "{} parts for Next = {} (expected {expected_parts})",
                header.part_pointers.len(),
                header.next
            ),
        ));
    }

    // Segments, reading parts in file order.
    parts.sort_unstable();
    let mut segments = Vec::new();
    let mut segment_count = 0u64;
    for &(ptr, part) in &parts {
        let raw = w.bytes(u64::from(ptr), PART_SIZE as usize, "segment-array part")?;
        for s in 0..SEGMENTS_PER_PART as usize {
            let seg_ptr = be_word(raw, s * WORD as usize);
            if seg_ptr == 0 {
                break;
            }
            segment_count += 1;
            let number = part * SEGMENTS_PER_PART as u32 + s as u32;
            match check_extent(seg_ptr, SEGMENT_SIZE, len, || format!("segment {number}")) {
                Some(problem) => problems.push(problem),
                None => segments.push((seg_ptr, number)),
            }
        }
    }
    let expected_segments = u64::from(header.next) / SLOTS_PER_SEGMENT;
    if closed && segment_count != expected_segments {
        problems.push(DetsError::corrupt(
            HEADEND,
            format!(
                "{segment_count} segments for Next = {} (expected {expected_segments})",
                header.next
            ),
        ));
    }

    // Slots, reading segments in file order.
    segments.sort_unstable();
    for &(seg_ptr, number) in &segments {
        blocks.push(Block {
            offset: seg_ptr,
            size: SEGMENT_SIZE as u32,
            kind: BlockKind::Segment,
        });
        let raw = w.bytes(u64::from(seg_ptr), SEGMENT_SIZE as usize, "segment")?;
        for j in 0..SLOTS_PER_SEGMENT as usize {
            let size = be_word(raw, j * SLOT_ENTRY as usize);
            let ptr = be_word(raw, j * SLOT_ENTRY as usize + WORD as usize);
            let slot = number * SLOTS_PER_SEGMENT as u32 + j as u32;
            let entry_at = u64::from(seg_ptr) + j as u64 * SLOT_ENTRY;
            if size == 0 {
                if ptr != 0 {
                    problems.push(DetsError::corrupt(
                        entry_at,
                        format!("slot {slot}: empty slot with pointer {ptr}"),
                    ));
                }
                continue;
            }
            if closed && slot >= header.next {
                problems.push(DetsError::corrupt(
                    entry_at,
                    format!("slot {slot}: in use beyond Next = {}", header.next),
                ));
                continue;
            }
            if u64::from(size) < COLLECTION_HEADER + 5 {
                problems.push(DetsError::corrupt(
                    entry_at,
                    format!("slot {slot}: collection size {size} is too small"),
                ));
                continue;
            }
            match check_extent(ptr, u64::from(size), len, || {
                format!("slot {slot}: collection")
            }) {
                Some(problem) => problems.push(problem),
                None => blocks.push(Block {
                    offset: ptr,
                    size,
                    kind: BlockKind::Collection { slot },
                }),
            }
        }
    }

    // Every block in file order: collections parsed, overlaps and space counted.
    blocks.sort_unstable_by_key(|b| b.offset);
    let mut figures = WalkFigures {
        parts: parts.len() as u64,
        segments: segments.len() as u64,
        allocated_bytes: BASE.min(data_end),
        live_bytes: BASE,
        ..WalkFigures::default()
    };
    let mut live = Vec::with_capacity(blocks.len());
    let mut previous_end = BASE;
    for block in &blocks {
        let start = u64::from(block.offset);
        if start < previous_end {
            problems.push(DetsError::corrupt(
                start,
                format!(
                    "{} overlaps the block before it (which ends at {previous_end})",
                    describe(block.kind)
                ),
            ));
            continue;
        }
        previous_end = block.block_end();
        if start >= data_end {
            problems.push(DetsError::corrupt(
                start,
                format!(
                    "{} lies beyond the data end {data_end}",
                    describe(block.kind)
                ),
            ));
            continue;
        }
        let end = previous_end.min(data_end);
        figures.allocated_bytes += end - start;
        figures.live_bytes += u64::from(block.size);
        live.push((start, end));
        if let BlockKind::Collection { slot } = block.kind {
            match read_collection(w, header, *block, slot) {
                Ok((records, keys)) => {
                    figures.collections += 1;
                    figures.records += records;
                    figures.keys += keys;
                    let log2 = block_log2(block.size);
                    if let Some(count) = figures.histogram.get_mut((log2 - MIN_BLOCK_LOG2) as usize)
                    {
                        *count += 1;
                    }
                }
                Err(problem @ DetsError::Io(_)) => return Err(problem),
                Err(problem) => problems.push(problem),
            }
        }
    }
    Ok(Walk { figures, live })
}

fn describe(kind: BlockKind) -> String {
    match kind {
        BlockKind::Part => "segment-array part".into(),
        BlockKind::Segment => "segment".into(),
        BlockKind::Collection { slot } => format!("slot {slot}: collection"),
    }
}

/// Checks that `[ptr, ptr + size)` lies after the header and inside the file.
fn check_extent(ptr: u32, size: u64, len: u64, what: impl Fn() -> String) -> Option<DetsError> {
    let start = u64::from(ptr);
    if start < BASE {
        return Some(DetsError::corrupt(
            start,
            format!("{} points into the header (offset {start})", what()),
        ));
    }
    if start + size > len {
        return Some(DetsError::truncated(
            len,
            format!(
                "{} at [{start}, +{size}) lies beyond the end of the file",
                what()
            ),
        ));
    }
    None
}

/// Parses one object collection; returns (objects, keys).
fn read_collection<R: ReadAt + ?Sized>(
    w: &mut Window<'_, R>,
    header: &Header,
    block: Block,
    slot: u32,
) -> Result<(u64, u64), DetsError> {
    let start = u64::from(block.offset);
    let end = start + u64::from(block.size);
    let size_word = w.word(start, "collection header")?;
    if size_word != block.size {
        return Err(DetsError::corrupt(
            start,
            format!(
                "slot {slot}: collection size word {size_word} differs from the slot's {}",
                block.size
            ),
        ));
    }
    let status = w.word(start + WORD, "collection header")?;
    if status != ACTIVE {
        let name = if status == FREE { " (FREE)" } else { "" };
        return Err(DetsError::corrupt(
            start + WORD,
            format!("slot {slot}: collection status {status:#010x}{name}, not ACTIVE"),
        ));
    }
    let mut at = start + COLLECTION_HEADER;
    let (mut objects, mut keys) = (0u64, 0u64);
    while at < end {
        if header.table_type.is_grouped() {
            let group_end = length_prefixed(w, at, end, 4 + 5, slot, "key group")?;
            let mut object_at = at + WORD;
            while object_at < group_end {
                object_at = read_object(w, object_at, group_end, slot)?;
                objects += 1;
            }
            at = group_end;
        } else {
            at = read_object(w, at, end, slot)?;
            objects += 1;
        }
        keys += 1;
    }
    Ok((objects, keys))
}

/// Checks one `[objsize][ETF]` record and returns the offset after it.
fn read_object<R: ReadAt + ?Sized>(
    w: &mut Window<'_, R>,
    at: u64,
    end: u64,
    slot: u32,
) -> Result<u64, DetsError> {
    let object_end = length_prefixed(w, at, end, 5, slot, "object")?;
    let first = w.bytes(at + WORD, 1, "object")?[0];
    if first != ETF_VERSION {
        return Err(DetsError::corrupt(
            at + WORD,
            format!(
                "slot {slot}: object does not start with the term format byte 131 (found {first})"
            ),
        ));
    }
    Ok(object_end)
}

/// Reads a length word at `at` and checks the record fits before `end`.
fn length_prefixed<R: ReadAt + ?Sized>(
    w: &mut Window<'_, R>,
    at: u64,
    end: u64,
    min: u32,
    slot: u32,
    what: &str,
) -> Result<u64, DetsError> {
    if at + WORD > end {
        return Err(DetsError::corrupt(
            at,
            format!("slot {slot}: {what} length word runs past the collection end {end}"),
        ));
    }
    let size = w.word(at, what)?;
    let record_end = at + u64::from(size);
    if size < min || record_end > end {
        return Err(DetsError::corrupt(
            at,
            format!(
                "slot {slot}: {what} length {size} does not fit the collection ending at {end}"
            ),
        ));
    }
    Ok(record_end)
}
