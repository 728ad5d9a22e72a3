//! The structural walk: parts, segments, slots and object collections.
//!
//! Every block the slot table reaches is visited once, in ascending file
//! offset, so the disk is read front to back. Problems found on the way are
//! collected (the walk goes on past a bad slot) rather than returned at the
//! first one, so a damaged file still yields every figure that can be had.

use super::format::*;
use super::header::Header;
use super::objects::{CollectionChecker, Placement};
use super::source::{be_word, Bytes, ReadAt, Window, WINDOW};
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

    /// Appends `later`'s problems, found further on in the file.
    pub(crate) fn merge(&mut self, later: Problems) {
        let room = MAX_KEPT_PROBLEMS - self.kept.len();
        self.kept.extend(later.kept.into_iter().take(room));
        self.total += later.total;
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
    /// Sum of `erlang:phash2(Object, 4294967296)` over the objects found, mod 2^64.
    pub object_hash_sum: u64,
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
    /// Live buddy blocks `[start, end)`, ascending (the last may pass the data end).
    pub live: Vec<(u64, u64)>,
}

/// Walks the slot table of a file whose header is valid.
///
/// `closed` says whether the header is trustworthy (closed properly);
/// `data_end` is where the data area ends.
pub(crate) fn walk<R: ReadAt + Sync + ?Sized>(
    source: &R,
    len: u64,
    header: &Header,
    closed: bool,
    data_end: u64,
    problems: &mut Problems,
) -> Result<Walk, DetsError> {
    // Parts and segments are 2048-byte reads scattered over the file: read
    // exactly those. Collections are dense and read a window at a time.
    let mut table_reader = Window::new(source, len, SEGMENT_SIZE as usize);
    let parts = find_parts(header, len, closed, problems);
    let segments = find_segments(&mut table_reader, &parts, header, len, closed, problems)?;
    let mut blocks: Vec<Block> = parts
        .iter()
        .map(|&(offset, _)| Block {
            offset,
            size: PART_SIZE as u32,
            kind: BlockKind::Part,
        })
        .collect();
    find_collections(
        &mut table_reader,
        &segments,
        header,
        len,
        closed,
        &mut blocks,
        problems,
    )?;
    let mut layout = lay_out(blocks, data_end, problems);
    layout.figures.parts = parts.len() as u64;
    layout.figures.segments = segments.len() as u64;
    // Keys are checked against the slots they sit in only when the header's
    // hashing state is the one the objects were placed with.
    let placement = closed.then_some(Placement {
        m: header.m,
        n: header.n,
    });
    let mut figures = layout.figures;
    count_all(
        source,
        len,
        header,
        placement,
        &layout.collections,
        &mut figures,
        problems,
    )?;
    Ok(Walk {
        figures,
        live: layout.live,
    })
}

/// The parts the header points to, as (offset, index), in file order.
pub(crate) fn find_parts(
    header: &Header,
    len: u64,
    closed: bool,
    problems: &mut Problems,
) -> Vec<(u32, u32)> {
    let mut parts = Vec::new();
    for (index, &ptr) in header.part_pointers.iter().enumerate() {
        match check_extent(ptr, PART_SIZE, len, || format!("part {index}")) {
            Some(problem) => problems.push(problem),
            None => parts.push((ptr, index as u32)),
        }
    }
    let expected = u64::from(header.next).div_ceil(SLOTS_PER_SEGMENT * SEGMENTS_PER_PART);
    if closed && header.part_pointers.len() as u64 != expected {
        problems.push(DetsError::corrupt(
            HEADEND,
            format!(
                "{} parts for Next = {} (expected {expected})",
                header.part_pointers.len(),
                header.next
            ),
        ));
    }
    parts.sort_unstable();
    parts
}

/// The segments the parts point to, as (offset, number), in file order.
pub(crate) fn find_segments<R: ReadAt + ?Sized>(
    reader: &mut Window<'_, R>,
    parts: &[(u32, u32)],
    header: &Header,
    len: u64,
    closed: bool,
    problems: &mut Problems,
) -> Result<Vec<(u32, u32)>, DetsError> {
    let mut segments = Vec::new();
    let mut count = 0u64;
    for &(ptr, part) in parts {
        let raw = reader.bytes(u64::from(ptr), PART_SIZE as usize, "segment-array part")?;
        for s in 0..SEGMENTS_PER_PART as usize {
            let seg_ptr = be_word(raw, s * WORD as usize);
            if seg_ptr == 0 {
                break;
            }
            count += 1;
            let number = part * SEGMENTS_PER_PART as u32 + s as u32;
            match check_extent(seg_ptr, SEGMENT_SIZE, len, || format!("segment {number}")) {
                Some(problem) => problems.push(problem),
                None => segments.push((seg_ptr, number)),
            }
        }
    }
    let expected = u64::from(header.next) / SLOTS_PER_SEGMENT;
    if closed && count != expected {
        problems.push(DetsError::corrupt(
            HEADEND,
            format!(
                "{count} segments for Next = {} (expected {expected})",
                header.next
            ),
        ));
    }
    segments.sort_unstable();
    Ok(segments)
}

/// Adds each segment and every collection its slots point to to `blocks`.
fn find_collections<R: ReadAt + ?Sized>(
    reader: &mut Window<'_, R>,
    segments: &[(u32, u32)],
    header: &Header,
    len: u64,
    closed: bool,
    blocks: &mut Vec<Block>,
    problems: &mut Problems,
) -> Result<(), DetsError> {
    for &(seg_ptr, number) in segments {
        blocks.push(Block {
            offset: seg_ptr,
            size: SEGMENT_SIZE as u32,
            kind: BlockKind::Segment,
        });
        let raw = reader.bytes(u64::from(seg_ptr), SEGMENT_SIZE as usize, "segment")?;
        for j in 0..SLOTS_PER_SEGMENT as usize {
            let size = be_word(raw, j * SLOT_ENTRY as usize);
            let ptr = be_word(raw, j * SLOT_ENTRY as usize + WORD as usize);
            let slot = number * SLOTS_PER_SEGMENT as u32 + j as u32;
            let entry_at = u64::from(seg_ptr) + j as u64 * SLOT_ENTRY;
            let problem = if size == 0 {
                (ptr != 0).then(|| format!("slot {slot}: empty slot with pointer {ptr}"))
            } else if closed && slot >= header.next {
                Some(format!("slot {slot}: in use beyond Next = {}", header.next))
            } else if u64::from(size) < COLLECTION_HEADER + 5 {
                Some(format!("slot {slot}: collection size {size} is too small"))
            } else {
                match check_extent(ptr, u64::from(size), len, || {
                    format!("slot {slot}: collection")
                }) {
                    Some(problem) => {
                        problems.push(problem);
                        continue;
                    }
                    None => {
                        blocks.push(Block {
                            offset: ptr,
                            size,
                            kind: BlockKind::Collection { slot },
                        });
                        None
                    }
                }
            };
            if let Some(message) = problem {
                problems.push(DetsError::corrupt(entry_at, message));
            }
        }
    }
    Ok(())
}

/// Where the blocks lie: the space they take, and the collections to parse.
struct Layout {
    figures: WalkFigures,
    live: Vec<(u64, u64)>,
    collections: Vec<Block>,
}

/// Every block in file order: overlaps and blocks past the data end are
/// problems; the rest are counted as live space.
fn lay_out(mut blocks: Vec<Block>, data_end: u64, problems: &mut Problems) -> Layout {
    blocks.sort_unstable_by_key(|b| b.offset);
    let mut figures = WalkFigures {
        allocated_bytes: BASE.min(data_end),
        live_bytes: BASE,
        ..WalkFigures::default()
    };
    let mut live = Vec::with_capacity(blocks.len());
    let mut collections = Vec::with_capacity(blocks.len());
    let mut previous_end = BASE;
    for block in blocks {
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
        // The whole buddy block, padding beyond the data end included: the
        // free lists hold the space after it.
        live.push((start, previous_end));
        if matches!(block.kind, BlockKind::Collection { .. }) {
            collections.push(block);
        }
    }
    Layout {
        figures,
        live,
        collections,
    }
}

/// Parses every collection, in contiguous runs of the file, one run per
/// core, and adds up what they hold.
fn count_all<R: ReadAt + Sync + ?Sized>(
    source: &R,
    len: u64,
    header: &Header,
    placement: Option<Placement>,
    collections: &[Block],
    figures: &mut WalkFigures,
    problems: &mut Problems,
) -> Result<(), DetsError> {
    let total_bytes: u64 = collections.iter().map(|b| u64::from(b.size)).sum();
    let threads = if total_bytes < PARALLEL_THRESHOLD {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_THREADS))
    };
    let chunk = collections.len().div_ceil(threads).max(1);
    let counts: Vec<Result<Counts, DetsError>> = if threads == 1 {
        vec![count_collections(
            source,
            len,
            header,
            placement,
            collections,
        )]
    } else {
        std::thread::scope(|scope| {
            let workers: Vec<_> = collections
                .chunks(chunk)
                .map(|run| {
                    scope.spawn(move || count_collections(source, len, header, placement, run))
                })
                .collect();
            workers
                .into_iter()
                .map(|worker| {
                    worker
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    };
    for run in counts {
        let run = run?;
        figures.collections += run.collections;
        figures.records += run.records;
        figures.keys += run.keys;
        figures.object_hash_sum = figures.object_hash_sum.wrapping_add(run.hash_sum);
        for (total, n) in figures.histogram.iter_mut().zip(run.histogram) {
            *total += n;
        }
        problems.merge(run.problems);
    }
    Ok(())
}

/// Collection bytes below which one thread parses everything.
const PARALLEL_THRESHOLD: u64 = 8 << 20;
/// Threads at most: the walk is bound by memory bandwidth beyond a few.
const MAX_THREADS: usize = 4;

/// What one run of collections holds.
#[derive(Default)]
struct Counts {
    collections: u64,
    records: u64,
    keys: u64,
    hash_sum: u64,
    histogram: [u64; COUNTERS],
    problems: Problems,
}

/// Parses a run of collections sorted by offset, reading the file front to back.
fn count_collections<R: ReadAt + ?Sized>(
    source: &R,
    len: u64,
    header: &Header,
    placement: Option<Placement>,
    run: &[Block],
) -> Result<Counts, DetsError> {
    let mut reader = Window::new(source, len, WINDOW);
    let mut checker = CollectionChecker::default();
    let mut counts = Counts::default();
    for block in run {
        let BlockKind::Collection { slot } = block.kind else {
            continue;
        };
        let start = u64::from(block.offset);
        // The whole collection as one slice: a collection larger than the
        // window is read whole, so memory follows the largest collection.
        let bytes = reader.bytes(start, block.size as usize, "collection")?;
        match checker.check(bytes, start, header, slot, placement) {
            Ok(facts) => {
                counts.collections += 1;
                counts.records += facts.objects;
                counts.keys += facts.keys;
                counts.hash_sum = counts.hash_sum.wrapping_add(facts.hash_sum);
                let class = (block_log2(block.size) - MIN_BLOCK_LOG2) as usize;
                if let Some(count) = counts.histogram.get_mut(class) {
                    *count += 1;
                }
            }
            Err(problem @ DetsError::Io(_)) => return Err(problem),
            Err(problem) => counts.problems.push(problem),
        }
    }
    Ok(counts)
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
