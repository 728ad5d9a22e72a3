//! Salvage: every object of a dirty or damaged file that can be trusted, into
//! a clean file, and an account of what could not be.
//!
//! Erlang repairs a file by scanning it from offset 1336 in steps of 16
//! bytes for `[size][ACTIVE]`, keeping every collection whose objects all
//! decode (`fsck_input` in `dets_v9.erl`). Salvage reads the same way, and
//! differs where Erlang loses objects or keeps damage:
//!
//! - no collection is skipped for its size (Erlang 25 skips every collection
//!   larger than the largest size class its stale header counts);
//! - one bad object costs that object, not its whole collection: records
//!   are framed by their length words, so the objects around a bad one are
//!   still whole; a broken length word costs the rest of its group or
//!   collection;
//! - an object whose key cannot belong to the collection it sits in (its
//!   `phash2` names another slot) is damage, not data, and is left out, as
//!   is an object of a bag group whose key is not the group's;
//! - for a set, the version the slot table points at wins over stale copies
//!   the scan finds elsewhere; among stale copies the last in the file wins,
//!   as in Erlang's repair. Bags keep every distinct object found for a key
//!   and duplicate bags every object, as Erlang's repair does.
//!
//! What salvage cannot see: a changed byte inside an object's value that
//! still decodes and leaves the key alone. DETS stores no checksum per
//! object, so no reader can tell such an object from the original; salvage
//! promises "no object that is not in the source" for damage to the file's
//! structure and keys, not for such silent changes.

use std::fs::File;
use std::io;
use std::path::Path;

use crate::build::{AddError, Builder, Built};
use crate::format::*;
use crate::source::{be_word, Bytes, ReadAt, Window};
use crate::term::{terms_equal, TermDecoder};
use crate::write::WriteError;
use crate::{inspect_source, walk, DetsError, FileStatus, Header, Problems, TableType, TempOutput};

/// Places where salvage lost something that are listed one by one.
pub const MAX_LISTED: usize = 100;
/// Default slot bounds when the header's cannot be read.
const DEFAULT_MIN_SLOTS: u32 = 256;
const DEFAULT_MAX_SLOTS: u32 = 1 << 25;

/// Why salvage produced no file.
#[derive(Debug, thiserror::Error)]
pub enum SalvageError {
    /// The source cannot be read as a DETS file at all: without its table
    /// type and key position nothing in it can be interpreted.
    #[error("cannot salvage: {0}")]
    Source(#[source] DetsError),
    /// Writing the clean file failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The clean file does not read back as what was written.
    #[error("the salvaged file failed its check: {0}")]
    Verify(String),
}

impl From<io::Error> for SalvageError {
    fn from(err: io::Error) -> Self {
        Self::Write(WriteError::Io(err))
    }
}

/// A part of the source that held no trustworthy object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lost {
    /// File offset where it starts.
    pub offset: u64,
    /// Its length in bytes.
    pub bytes: u64,
    /// What was wrong.
    pub reason: String,
}

/// What a salvage recovered and wrote, and what it could not recover.
#[derive(Debug, Clone)]
pub struct Salvaged {
    /// Length of the source.
    pub source_size: u64,
    /// What the reader says of the source.
    pub source_status: FileStatus,
    /// Why the source's header could not be used whole, if so.
    pub header_problem: Option<String>,
    /// Objects found in collections the slot table points at.
    pub from_slot_table: u64,
    /// Objects found only by the scan (stale copies, or collections the slot
    /// table lost).
    pub from_scan: u64,
    /// The clean file.
    pub built: Built,
    /// The first [`MAX_LISTED`] places where something was lost.
    pub lost: Vec<Lost>,
    /// How many places lost something.
    pub lost_places: u64,
    /// Their bytes in all.
    pub lost_bytes: u64,
}

/// Where salvage looks for objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everywhere, as Erlang's repair does: the slot table's collections and
    /// every other place that holds one (stale copies, collections the slot
    /// table lost).
    Everything,
    /// Only the collections the slot table names: a copy of a table taken
    /// while it was open, rewritten to hold exactly what its slot table
    /// reached (the same digest the reader gives it), and closed.
    SlotTable,
}

/// Salvages `input` into a new file at `output`, which must not exist. The
/// file appears under its name only once it is written, synced and read
/// back; a failed salvage leaves nothing behind.
pub fn salvage(input: &Path, output: &Path) -> Result<Salvaged, SalvageError> {
    let source = File::open(input).map_err(|err| SalvageError::Source(err.into()))?;
    let temp = TempOutput::create(output)?;
    let dir = output
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let salvaged = salvage_file(&source, temp.file(), dir, Scope::Everything)?;
    temp.persist(output)?;
    Ok(salvaged)
}

/// Salvages the table in `source` into `out` (emptied first), looking where
/// `scope` says, spilling into unnamed files in `spill_dir`, and reads the
/// result back.
pub fn salvage_file(
    source: &File,
    out: &File,
    spill_dir: &Path,
    scope: Scope,
) -> Result<Salvaged, SalvageError> {
    let len = source
        .metadata()
        .map_err(|err| SalvageError::Source(err.into()))?
        .len();
    let source_status = match inspect_source(source, len) {
        Ok(inspection) => inspection.status(),
        Err(DetsError::Io(err)) => return Err(SalvageError::Source(DetsError::Io(err))),
        Err(_) => FileStatus::Corrupt,
    };
    let params = TableParams::read(source, len)?;
    let pointers = match &params.header {
        Some(header) => slot_pointers(source, len, header).map_err(SalvageError::Source)?,
        None => Vec::new(),
    };

    let mut builder = Builder::new(params.table_type, params.keypos, spill_dir)?;
    let mut scan = Scan {
        table_type: params.table_type,
        keypos: params.keypos,
        decoder: TermDecoder::new(),
        found: Vec::new(),
        group: 0,
        lost: Vec::new(),
        lost_places: 0,
        lost_bytes: 0,
        from_slot_table: 0,
        from_scan: 0,
    };
    // A closed file's slot table was written whole; a dirty one may be torn.
    let trust_slots = params.header.as_ref().is_some_and(|h| h.closed_flag == 1);
    match scope {
        Scope::Everything => scan.run(source, len, &pointers, trust_slots, &mut builder)?,
        Scope::SlotTable => scan.slot_table(source, len, &pointers, trust_slots, &mut builder)?,
    }

    let built = builder.finish(out, params.min_slots, params.max_slots, spill_dir)?;
    let out_len = out.metadata()?.len();
    let back = inspect_source(out, out_len).map_err(|err| SalvageError::Verify(err.to_string()))?;
    if back.status() != FileStatus::Ok
        || back.digest() != Some(built.digest)
        || back.walk.keys != built.written.keys
    {
        return Err(SalvageError::Verify(format!(
            "it reads as {} with {} objects and {} keys, {} and {} were written: {}",
            back.status(),
            back.walk.records,
            back.walk.keys,
            built.written.objects,
            built.written.keys,
            back.messages().join("; ")
        )));
    }
    Ok(Salvaged {
        source_size: len,
        source_status,
        header_problem: params.problem,
        from_slot_table: scan.from_slot_table,
        from_scan: scan.from_scan,
        built,
        lost: scan.lost,
        lost_places: scan.lost_places,
        lost_bytes: scan.lost_bytes,
    })
}

/// What salvage needs from the header.
struct TableParams {
    table_type: TableType,
    keypos: u32,
    min_slots: u32,
    max_slots: u32,
    /// The whole header, when it validates: its slot table is worth reading.
    header: Option<Header>,
    problem: Option<String>,
}

impl TableParams {
    /// The validated header, or when its checksum or slot parameters are
    /// damaged, the type and key position read as they stand.
    fn read(source: &File, len: u64) -> Result<Self, SalvageError> {
        let mut w = Window::new(source, len, BASE as usize);
        let problem = match Header::read(&mut w) {
            Ok(header) => {
                return Ok(Self {
                    table_type: header.table_type,
                    keypos: header.keypos,
                    min_slots: header.min_slots,
                    max_slots: header.max_slots,
                    header: Some(header),
                    problem: None,
                })
            }
            Err(err @ (DetsError::HeaderChecksum | DetsError::Corrupt { .. })) => err,
            Err(other) => return Err(SalvageError::Source(other)),
        };
        let raw = w
            .bytes(0, HEADSZ as usize, "header")
            .map_err(SalvageError::Source)?;
        let word = |offset: u64| be_word(raw, offset as usize);
        let table_type = match word(TYPE_OFFSET) {
            1 => TableType::Set,
            2 => TableType::Bag,
            3 => TableType::DuplicateBag,
            _ => return Err(SalvageError::Source(problem)),
        };
        let keypos = word(KEYPOS_OFFSET);
        if keypos == 0 || keypos > 1 << 24 {
            return Err(SalvageError::Source(problem));
        }
        let power = |v: u32| v.is_power_of_two() && v >= 256 && u64::from(v) <= MAX_SLOTS;
        let (min, max) = (word(MIN_SLOTS_OFFSET), word(MAX_SLOTS_OFFSET));
        let (min_slots, max_slots) = if power(min) && power(max) && min <= max {
            (min, max)
        } else {
            (DEFAULT_MIN_SLOTS, DEFAULT_MAX_SLOTS)
        };
        Ok(Self {
            table_type,
            keypos,
            min_slots,
            max_slots,
            header: None,
            problem: Some(format!(
                "{problem}; type {table_type} and key position {keypos} taken as they stand, the slot table not used"
            )),
        })
    }
}

/// Every (collection offset, slot) the slot table names, by offset.
fn slot_pointers(source: &File, len: u64, header: &Header) -> Result<Vec<(u64, u32)>, DetsError> {
    let mut problems = Problems::default();
    let mut table = Window::new(source, len, SEGMENT_SIZE as usize * 64);
    let parts = walk::find_parts(header, len, false, &mut problems);
    let segments = walk::find_segments(&mut table, &parts, header, len, false, &mut problems)?;
    let mut pointers = Vec::new();
    for (seg_ptr, number) in segments {
        let raw = table.bytes(u64::from(seg_ptr), SEGMENT_SIZE as usize, "segment")?;
        for j in 0..SLOTS_PER_SEGMENT as usize {
            let size = be_word(raw, j * SLOT_ENTRY as usize);
            let ptr = be_word(raw, j * SLOT_ENTRY as usize + WORD as usize);
            if size != 0 {
                pointers.push((u64::from(ptr), number * SLOTS_PER_SEGMENT as u32 + j as u32));
            }
        }
    }
    pointers.sort_unstable();
    Ok(pointers)
}

/// One object found: its record's offset in the collection and its bytes.
#[derive(Debug, Clone)]
struct Found {
    /// The key group it was framed in (always 0 in a set).
    group: usize,
    /// Still trusted after the checks across objects.
    keep: bool,
    at: usize,
    etf: std::ops::Range<usize>,
    key_hash: u32,
    key: std::ops::Range<usize>,
    compressed: bool,
}

/// The linear scan and what it has found so far.
struct Scan {
    table_type: TableType,
    keypos: u32,
    decoder: TermDecoder,
    found: Vec<Found>,
    /// The key group being framed.
    group: usize,
    lost: Vec<Lost>,
    lost_places: u64,
    lost_bytes: u64,
    from_slot_table: u64,
    from_scan: u64,
}

impl Scan {
    fn lose(&mut self, offset: u64, bytes: u64, reason: impl Into<String>) {
        self.lost_places += 1;
        self.lost_bytes += bytes;
        if self.lost.len() < MAX_LISTED {
            self.lost.push(Lost {
                offset,
                bytes,
                reason: reason.into(),
            });
        }
    }

    fn run(
        &mut self,
        source: &File,
        len: u64,
        pointers: &[(u64, u32)],
        trust_slots: bool,
        builder: &mut Builder,
    ) -> Result<(), SalvageError> {
        let mut w = Window::new(source, len, 4 << 20);
        let mut next_pointer = 0;
        let mut pos = BASE;
        while pos + COLLECTION_HEADER <= len {
            let head = w
                .bytes(pos, COLLECTION_HEADER as usize, "scan")
                .map_err(SalvageError::Source)?;
            let (size, status) = (be_word(head, 0), be_word(head, WORD as usize));
            if status != ACTIVE || u64::from(size) < MIN_COLLECTION {
                pos += MIN_BLOCK;
                continue;
            }
            if pos + u64::from(size) > len {
                self.lose(
                    pos,
                    len - pos,
                    format!("collection of {size} bytes runs past the end of the file"),
                );
                pos += MIN_BLOCK;
                continue;
            }
            while next_pointer < pointers.len() && pointers[next_pointer].0 < pos {
                next_pointer += 1;
            }
            let named = slots_at(&pointers[next_pointer..], pos);
            // Read through the window, which the scan reads ahead anyway.
            let bytes = w
                .bytes(pos, size as usize, "collection")
                .map_err(SalvageError::Source)?;
            let whole = self.take(bytes, pos, &named, trust_slots, builder)?;
            pos += if whole {
                1u64 << block_log2(size)
            } else {
                MIN_BLOCK
            };
        }
        Ok(())
    }

    /// Reads only the collections the slot table names.
    fn slot_table(
        &mut self,
        source: &File,
        len: u64,
        pointers: &[(u64, u32)],
        trust_slots: bool,
        builder: &mut Builder,
    ) -> Result<(), SalvageError> {
        let mut bytes = Vec::new();
        let mut at = 0;
        while at < pointers.len() {
            let pos = pointers[at].0;
            let named = slots_at(&pointers[at..], pos);
            at += named.len();
            let mut head = [0u8; COLLECTION_HEADER as usize];
            let fits = pos >= BASE && pos + COLLECTION_HEADER <= len;
            if fits {
                ReadAt::read_exact_at(source, &mut head, pos)
                    .map_err(|err| SalvageError::Source(err.into()))?;
            }
            let (size, status) = (be_word(&head, 0), be_word(&head, WORD as usize));
            if !fits
                || status != ACTIVE
                || pos + u64::from(size) > len
                || u64::from(size) < MIN_COLLECTION
            {
                self.lose(
                    pos,
                    0,
                    format!("slot {} names no collection at {pos}", named[0]),
                );
                continue;
            }
            bytes.resize(size as usize, 0);
            ReadAt::read_exact_at(source, &mut bytes, pos)
                .map_err(|err| SalvageError::Source(err.into()))?;
            self.take(&bytes, pos, &named, trust_slots, builder)?;
        }
        Ok(())
    }

    /// Adds the trustworthy objects of the collection in `bytes`, found at
    /// `pos`, to `builder`; says whether it was whole.
    fn take(
        &mut self,
        bytes: &[u8],
        pos: u64,
        named: &[u32],
        trust_slots: bool,
        builder: &mut Builder,
    ) -> Result<bool, SalvageError> {
        let (whole, slot) = self.collection(bytes, pos, named, trust_slots);
        for f in std::mem::take(&mut self.found) {
            let etf = &bytes[f.etf.clone()];
            match builder.add(etf, pos + f.at as u64, slot.is_some()) {
                Ok(()) if slot.is_some() => self.from_slot_table += 1,
                Ok(()) => self.from_scan += 1,
                Err(AddError::Io(err)) => return Err(err.into()),
                Err(err) => self.lose(pos + f.at as u64, etf.len() as u64, err.to_string()),
            }
        }
        Ok(whole)
    }

    /// Collects the trustworthy objects of the collection in `bytes`, found
    /// at `base`, into `found`; says whether the whole collection was sound,
    /// and which of the slots that point at it (`named`) it belongs to.
    fn collection(
        &mut self,
        bytes: &[u8],
        base: u64,
        named: &[u32],
        trust_slots: bool,
    ) -> (bool, Option<u32>) {
        self.found.clear();
        self.group = 0;
        let end = bytes.len();
        let mut sound = true;
        let mut at = COLLECTION_HEADER as usize;
        while at < end {
            if self.table_type.is_grouped() {
                let Some(group_end) = record_end(bytes, at, end, 4 + 5) else {
                    self.lose(
                        base + at as u64,
                        (end - at) as u64,
                        "key group length word is damaged",
                    );
                    sound = false;
                    break;
                };
                let mut object_at = at + WORD as usize;
                while object_at < group_end {
                    match self.object(bytes, object_at, group_end, base) {
                        Some(next) => object_at = next,
                        None => {
                            sound = false;
                            break;
                        }
                    }
                }
                self.group += 1;
                at = group_end;
            } else {
                match self.object(bytes, at, end, base) {
                    Some(next) => at = next,
                    None => {
                        sound = false;
                        break;
                    }
                }
            }
        }
        let slot = self.same_slot(named, trust_slots);
        if self.table_type.is_grouped() {
            self.one_key_per_group(bytes);
        }
        let mut lost = Vec::new();
        self.found.retain(|f| {
            if !f.keep {
                lost.push((f.at, f.etf.end - f.at));
            }
            f.keep
        });
        sound &= lost.is_empty();
        for (at, n) in lost {
            self.lose(
                base + at as u64,
                n as u64,
                "object's key does not belong where it is (another slot, or not its group's key)",
            );
        }
        (sound, slot)
    }

    /// Decodes the record at `at`; gives the offset after it, or `None` when
    /// nothing after it can be framed (the rest of the run is lost).
    ///
    /// The length word is checked against the object's own encoding, which
    /// delimits itself: dets writes exactly `4 + byte_size(term_to_binary(O))`.
    /// When the word is damaged but the term is whole, the object is kept and
    /// the next record found where the term ends.
    fn object(&mut self, bytes: &[u8], at: usize, end: usize, base: u64) -> Option<usize> {
        let offset = base + at as u64;
        let etf_at = at + WORD as usize;
        if etf_at >= end {
            self.lose(
                offset,
                (end - at) as u64,
                "object length word runs past its collection",
            );
            return None;
        }
        let stated = record_end(bytes, at, end, 5);
        if bytes[etf_at] != ETF_VERSION {
            return match stated {
                Some(record_end) => {
                    self.lose(
                        offset,
                        (record_end - at) as u64,
                        "object does not start with 131",
                    );
                    Some(record_end)
                }
                None => {
                    self.lose(
                        offset,
                        (end - at) as u64,
                        "object is not where its record says",
                    );
                    None
                }
            };
        }
        // The record as its length word frames it, unless the word is what
        // was damaged: then the term's own end is where a record starts and
        // the stated end is not.
        let plausible = |p: usize| {
            p == end
                || (record_end(bytes, p, end, 5).is_some()
                    && bytes[p + WORD as usize] == ETF_VERSION)
        };
        let (object, term_end, next) = match stated {
            Some(record_end) => match self.decode(bytes, etf_at, record_end) {
                Some((object, t)) => {
                    let resync = t < record_end && plausible(t) && !plausible(record_end);
                    (object, t, if resync { t } else { record_end })
                }
                None => match self
                    .decode(bytes, etf_at, end)
                    .filter(|&(_, t)| !plausible(record_end) && plausible(t))
                {
                    Some((object, t)) => (object, t, t),
                    None => {
                        self.lose(offset, (record_end - at) as u64, "object does not decode");
                        return Some(record_end);
                    }
                },
            },
            None => match self
                .decode(bytes, etf_at, end)
                .filter(|&(_, t)| plausible(t))
            {
                Some((object, t)) => (object, t, t),
                None => {
                    self.lose(
                        offset,
                        (end - at) as u64,
                        "object length word is damaged and the object does not decode",
                    );
                    return None;
                }
            },
        };
        let key = if object.compressed {
            object.key.clone()
        } else {
            etf_at + 1 + object.key.start..etf_at + 1 + object.key.end
        };
        self.found.push(Found {
            group: self.group,
            keep: true,
            at,
            etf: etf_at..term_end,
            key_hash: object.key_hash,
            key,
            compressed: object.compressed,
        });
        Some(next)
    }

    /// The object encoded from `etf_at` and the end of its encoding, when it
    /// decodes within `limit`. A compressed object's end is its record's.
    fn decode(
        &mut self,
        bytes: &[u8],
        etf_at: usize,
        limit: usize,
    ) -> Option<(crate::term::ObjectTerm, usize)> {
        let object = self
            .decoder
            .object(&bytes[etf_at..limit], self.keypos)
            .ok()?;
        let term_end = if object.compressed {
            limit
        } else {
            etf_at + 1 + object.body_len
        };
        Some((object, term_end))
    }

    /// Marks the objects whose keys cannot share one slot, and says which
    /// of the `named` slots that is. Every slot number's low eight bits are
    /// those of `phash2(Key)`, whatever the table's size. In a closed file the
    /// slot table is the truth; in a file copied while it was written it may
    /// be torn (two slots naming one place, one of them stale), so the slot
    /// most of the objects name decides.
    fn same_slot(&mut self, named: &[u32], trust_slots: bool) -> Option<u32> {
        let residue = |f: &Found| crate::term::phash2_27(f.key_hash) & 0xFF;
        let expected = match named {
            [only] if trust_slots => only & 0xFF,
            _ => {
                let mut counts = [0u32; 256];
                for f in &self.found {
                    counts[residue(f) as usize] += 1;
                }
                (0..256u32).max_by_key(|&r| counts[r as usize]).unwrap_or(0)
            }
        };
        for f in &mut self.found {
            f.keep &= residue(f) == expected;
        }
        named.iter().copied().find(|s| s & 0xFF == expected)
    }

    /// In each bag group, marks the objects whose key is not the group's:
    /// the key most of its trusted objects have.
    fn one_key_per_group(&mut self, bytes: &[u8]) {
        let mut decoder = TermDecoder::new();
        let keypos = self.keypos;
        let mut start = 0;
        while start < self.found.len() {
            let group = self.found[start].group;
            let len = self.found[start..]
                .iter()
                .take_while(|f| f.group == group)
                .count();
            let members = &mut self.found[start..start + len];
            start += len;
            if members.len() < 2 {
                continue;
            }
            let keys: Vec<Vec<u8>> = members
                .iter()
                .map(|f| {
                    if f.compressed {
                        let etf = &bytes[f.etf.clone()];
                        match decoder.object(etf, keypos) {
                            Ok(o) => decoder.body(etf, &o)[o.key.clone()].to_vec(),
                            Err(_) => Vec::new(),
                        }
                    } else {
                        bytes[f.key.clone()].to_vec()
                    }
                })
                .collect();
            let same = |a: usize, b: usize| {
                members[a].key_hash == members[b].key_hash
                    && (keys[a] == keys[b] || terms_equal(&keys[a], &keys[b]).unwrap_or(false))
            };
            let trusted: Vec<usize> = (0..members.len()).filter(|&i| members[i].keep).collect();
            let votes = |i: usize| trusted.iter().filter(|&&j| same(i, j)).count();
            let Some(chosen) = trusted
                .iter()
                .copied()
                .max_by_key(|&i| (votes(i), std::cmp::Reverse(i)))
            else {
                continue;
            };
            let keep: Vec<bool> = (0..members.len()).map(|i| same(chosen, i)).collect();
            for (f, k) in members.iter_mut().zip(keep) {
                f.keep &= k;
            }
        }
    }
}

/// The slots `pointers` (sorted by offset, from its first entry on) name
/// for the collection at `pos`.
fn slots_at(pointers: &[(u64, u32)], pos: u64) -> Vec<u32> {
    pointers
        .iter()
        .take_while(|p| p.0 == pos)
        .map(|p| p.1)
        .collect()
}

/// The smallest collection: its header and one record of a one-byte term.
const MIN_COLLECTION: u64 = COLLECTION_HEADER + 5;

/// The smallest buddy block, and the scan's step.
const MIN_BLOCK: u64 = 1 << MIN_BLOCK_LOG2;

/// The end of the length-prefixed record at `at`, if it fits before `end`.
fn record_end(bytes: &[u8], at: usize, end: usize, min: u32) -> Option<usize> {
    if at + WORD as usize > end {
        return None;
    }
    let size = be_word(bytes, at);
    let record_end = at as u64 + u64::from(size);
    (size >= min && record_end <= end as u64).then_some(record_end as usize)
}
