//! Writing a table from a stream of objects, in bounded memory.
//!
//! Objects arrive in any order, as the bytes dets stores (`term_to_binary`
//! of each). The builder places each by `phash2` of its key, groups one
//! key's objects, applies the table type's rules and writes the collections
//! through [`Sink`]:
//!
//! ```text
//! add ──► spill file ──► partitions by slot range ──► per partition, in memory:
//!                         (only when large)            sort by slot, group keys in
//!                                                       dets order, one collection
//!                                                       per slot ──► collection file ──► Sink
//! ```
//!
//! Memory is one partition (at most [`PARTITION_BYTES`] of records) plus the
//! sink's buffers and four bytes per object for the key count, whatever the
//! table's size; the spill files are unnamed, beside the output, and vanish
//! with the builder.
//!
//! Rules per key, as `dets` keeps them: a set holds one object (the
//! preferred one, else the one added with the highest sequence number), a
//! bag its distinct objects, a duplicate bag all of them; objects of a key
//! keep their sequence order and keys within a collection are in
//! `dets_utils:cmp` order ([`crate::term::KeyOrder`]).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::Path;

use crate::format::{ACTIVE, COLLECTION_HEADER, COUNTERS, MIN_BLOCK_LOG2, WORD};
use crate::term::{terms_equal, KeyOrder, TermDecoder, TermError};
use crate::write::{Shape, Sink, WriteError, Written};
use crate::{Digest, TableType};

/// Records held in memory at once while collections are formed.
pub const PARTITION_BYTES: u64 = 64 << 20;
/// Most partitions (open spill files) one build uses.
const MAX_PARTITIONS: u64 = 256;
/// A spilled record: `[hash][key hash][seq:8][preferred:1][key len][object len]`
/// (little-endian), then the key's and the object's bytes. Offsets of its
/// fields, and the bytes before the key.
const SEQ_AT: usize = 8;
const PREFERRED_AT: usize = 16;
const KEY_LEN_AT: usize = 17;
const ETF_LEN_AT: usize = 21;
const RECORD_HEADER: usize = 25;

/// What the builder wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Built {
    /// The file's figures.
    pub written: Written,
    /// The digest of the objects written.
    pub digest: Digest,
    /// The shape the table was written with.
    pub shape: Shape,
    /// Objects added but not written: older versions of a set's key and
    /// objects a bag already held.
    pub superseded: u64,
}

/// Collects objects and writes them as one table.
pub struct Builder {
    table_type: TableType,
    keypos: u32,
    /// Records held in memory at once ([`PARTITION_BYTES`]).
    partition_bytes: u64,
    spill: BufWriter<File>,
    spilled: u64,
    key_hashes: Vec<u32>,
    decoder: TermDecoder,
    scratch: Vec<u8>,
}

/// One record as read back from a spill file: its place in the buffer.
#[derive(Debug, Clone)]
struct Record {
    slot: u32,
    hash: u32,
    key_hash: u32,
    seq: u64,
    preferred: bool,
    key: Range<usize>,
    etf: Range<usize>,
}

impl Builder {
    /// A builder for a table of this type and key position, spilling into
    /// unnamed files in `spill_dir`.
    pub fn new(table_type: TableType, keypos: u32, spill_dir: &Path) -> io::Result<Self> {
        Ok(Self {
            table_type,
            keypos,
            partition_bytes: PARTITION_BYTES,
            spill: BufWriter::with_capacity(1 << 20, tempfile::tempfile_in(spill_dir)?),
            spilled: 0,
            key_hashes: Vec::new(),
            decoder: TermDecoder::new(),
            scratch: Vec::new(),
        })
    }

    /// Objects added so far.
    pub fn objects(&self) -> u64 {
        self.key_hashes.len() as u64
    }

    /// Adds one stored object (`term_to_binary` bytes, from the 131). `seq`
    /// orders versions of a key; `preferred` marks the version a set keeps
    /// whatever its sequence.
    pub fn add(&mut self, etf: &[u8], seq: u64, preferred: bool) -> Result<(), AddError> {
        let object = self.decoder.object(etf, self.keypos)?;
        let key = &self.decoder.body(etf, &object)[object.key.clone()];
        let (key_len, etf_len) = match (u32::try_from(key.len()), u32::try_from(etf.len())) {
            (Ok(k), Ok(e)) => (k, e),
            _ => return Err(AddError::TooLarge),
        };
        self.scratch.clear();
        self.scratch.extend_from_slice(&object.hash.to_le_bytes());
        self.scratch
            .extend_from_slice(&object.key_hash.to_le_bytes());
        self.scratch.extend_from_slice(&seq.to_le_bytes());
        self.scratch.push(u8::from(preferred));
        self.scratch.extend_from_slice(&key_len.to_le_bytes());
        self.scratch.extend_from_slice(&etf_len.to_le_bytes());
        self.scratch.extend_from_slice(key);
        self.spill.write_all(&self.scratch)?;
        self.spill.write_all(etf)?;
        self.spilled += (self.scratch.len() + etf.len()) as u64;
        self.key_hashes.push(object.key_hash);
        Ok(())
    }

    /// Writes the table into `out` (emptied first), with the slot count
    /// `dets` would grow to for the keys added, within `min_slots` and
    /// `max_slots` (powers of two from 256 to 2^25).
    pub fn finish(
        mut self,
        out: &File,
        min_slots: u32,
        max_slots: u32,
        spill_dir: &Path,
    ) -> Result<Built, WriteError> {
        let shape = self.shape(min_slots, max_slots)?;
        let mut spill = self.spill.into_inner().map_err(|err| err.into_error())?;
        spill.seek(SeekFrom::Start(0))?;
        let partitions = self
            .spilled
            .div_ceil(self.partition_bytes)
            .clamp(1, MAX_PARTITIONS);

        let mut collections = Collections::new(spill_dir)?;
        let mut former = Former {
            table_type: self.table_type,
            decoder: &mut self.decoder,
            collections: &mut collections,
            bytes: Vec::new(),
        };
        if partitions == 1 {
            let mut buf = Vec::with_capacity(self.spilled as usize);
            spill.read_to_end(&mut buf)?;
            former.partition(&buf, &shape)?;
        } else {
            let mut files = (0..partitions)
                .map(|_| Ok(BufWriter::new(tempfile::tempfile_in(spill_dir)?)))
                .collect::<io::Result<Vec<_>>>()?;
            let mut reader = BufReader::with_capacity(1 << 20, spill);
            let mut record = Vec::new();
            while read_record(&mut reader, &mut record)? {
                let key_hash = u32::from_le_bytes(record[4..8].try_into().expect("4 bytes"));
                let slot = shape.slot(key_hash);
                let p = u64::from(slot) * partitions / u64::from(shape.next);
                files[p as usize].write_all(&record)?;
            }
            for file in files {
                let mut file = file.into_inner().map_err(|err| err.into_error())?;
                let len = file.seek(SeekFrom::End(0))?;
                file.seek(SeekFrom::Start(0))?;
                let mut buf = Vec::with_capacity(len as usize);
                file.read_to_end(&mut buf)?;
                former.partition(&buf, &shape)?;
            }
        }

        let Collections {
            file,
            histogram,
            objects,
            keys,
            sum,
            superseded,
        } = collections;
        let mut file = file.into_inner().map_err(|err| err.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut sink = Sink::new(out, shape, histogram)?;
        let mut bytes = Vec::new();
        let mut head = [0u8; 8];
        loop {
            match reader.read_exact(&mut head) {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => break,
                Err(err) => return Err(err.into()),
            }
            let slot = u32::from_le_bytes(head[..4].try_into().expect("4 bytes"));
            let len = u32::from_le_bytes(head[4..].try_into().expect("4 bytes"));
            bytes.resize(len as usize, 0);
            reader.read_exact(&mut bytes)?;
            sink.collection(slot, &bytes)?;
        }
        let written = sink.finish(objects, keys)?;
        Ok(Built {
            written,
            digest: Digest { objects, sum },
            shape,
            superseded,
        })
    }

    /// Next as `dets` grows it: one slot per key, in whole segments.
    fn shape(&mut self, min_slots: u32, max_slots: u32) -> Result<Shape, WriteError> {
        self.key_hashes.sort_unstable();
        self.key_hashes.dedup();
        let keys = self.key_hashes.len() as u64;
        let next = keys
            .next_multiple_of(256)
            .clamp(u64::from(min_slots), u64::from(max_slots.max(min_slots)));
        let shape = Shape {
            table_type: self.table_type,
            keypos: self.keypos,
            min_slots,
            max_slots,
            next: next as u32,
        };
        shape.check()?;
        Ok(shape)
    }
}

/// Why an object was not taken.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// It is not an object of this table.
    #[error(transparent)]
    Term(#[from] TermError),
    /// It is larger than a DETS file can hold.
    #[error("the object is larger than a DETS file can hold")]
    TooLarge,
    /// Spilling it failed.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
}

/// Reads one spilled record whole into `record`; false at the end.
fn read_record(reader: &mut impl Read, record: &mut Vec<u8>) -> io::Result<bool> {
    record.resize(RECORD_HEADER, 0);
    match reader.read_exact(record) {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
        Err(err) => return Err(err),
    }
    let word = |at: usize| u32::from_le_bytes(record[at..at + 4].try_into().expect("4 bytes"));
    let (key_len, etf_len) = (word(KEY_LEN_AT) as usize, word(ETF_LEN_AT) as usize);
    record.resize(RECORD_HEADER + key_len + etf_len, 0);
    reader.read_exact(&mut record[RECORD_HEADER..])?;
    Ok(true)
}

/// Parses a buffer of spilled records.
fn records(buf: &[u8], shape: &Shape) -> Vec<Record> {
    let mut out = Vec::new();
    let mut at = 0;
    let word = |at: usize| u32::from_le_bytes(buf[at..at + 4].try_into().expect("4 bytes"));
    while at < buf.len() {
        let key_len = word(at + KEY_LEN_AT) as usize;
        let etf_len = word(at + ETF_LEN_AT) as usize;
        let key_at = at + RECORD_HEADER;
        let etf_at = key_at + key_len;
        let key_hash = word(at + 4);
        out.push(Record {
            slot: shape.slot(key_hash),
            hash: word(at),
            key_hash,
            seq: u64::from_le_bytes(
                buf[at + SEQ_AT..at + PREFERRED_AT]
                    .try_into()
                    .expect("8 bytes"),
            ),
            preferred: buf[at + PREFERRED_AT] != 0,
            key: key_at..etf_at,
            etf: etf_at..etf_at + etf_len,
        });
        at = etf_at + etf_len;
    }
    out
}

/// The collection file and the figures of what it holds.
struct Collections {
    file: BufWriter<File>,
    histogram: [u64; COUNTERS],
    objects: u64,
    keys: u64,
    sum: u64,
    superseded: u64,
}

impl Collections {
    fn new(dir: &Path) -> io::Result<Self> {
        Ok(Self {
            file: BufWriter::with_capacity(1 << 20, tempfile::tempfile_in(dir)?),
            histogram: [0; COUNTERS],
            objects: 0,
            keys: 0,
            sum: 0,
            superseded: 0,
        })
    }
}

/// Forms the collections of one partition.
struct Former<'a> {
    table_type: TableType,
    decoder: &'a mut TermDecoder,
    collections: &'a mut Collections,
    bytes: Vec<u8>,
}

impl Former<'_> {
    fn partition(&mut self, buf: &[u8], shape: &Shape) -> Result<(), WriteError> {
        let mut recs = records(buf, shape);
        recs.sort_unstable_by_key(|r| (r.slot, r.key_hash, r.seq));
        let mut start = 0;
        while start < recs.len() {
            let slot = recs[start].slot;
            let end = start + recs[start..].iter().take_while(|r| r.slot == slot).count();
            self.slot(buf, &recs[start..end])?;
            start = end;
        }
        Ok(())
    }

    /// One slot's records, sorted by key hash and sequence.
    fn slot(&mut self, buf: &[u8], recs: &[Record]) -> Result<(), WriteError> {
        let key = |r: &Record| &buf[r.key.clone()];
        // Key groups: records of one hash that are one term.
        let mut groups: Vec<Vec<&Record>> = Vec::new();
        let mut run = 0;
        while run < recs.len() {
            let hash = recs[run].key_hash;
            let run_end = run
                + recs[run..]
                    .iter()
                    .take_while(|r| r.key_hash == hash)
                    .count();
            let first_group = groups.len();
            for r in &recs[run..run_end] {
                let found = groups[first_group..]
                    .iter_mut()
                    .find(|g| same_key(key(g[0]), key(r)));
                match found {
                    Some(group) => group.push(r),
                    None => groups.push(vec![r]),
                }
            }
            run = run_end;
        }
        if groups.len() > 1 {
            let mut keyed = groups
                .into_iter()
                .map(|g| Ok((KeyOrder::new(key(g[0]))?, g)))
                .collect::<Result<Vec<_>, TermError>>()
                .map_err(|err| WriteError::Inconsistent(format!("a key does not decode: {err}")))?;
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            groups = keyed.into_iter().map(|(_, g)| g).collect();
        }

        let grouped = self.table_type.is_grouped();
        let bytes = &mut self.bytes;
        bytes.clear();
        bytes.extend_from_slice(&[0; COLLECTION_HEADER as usize]);
        let c = &mut *self.collections;
        for mut group in groups {
            group.sort_by_key(|r| r.seq);
            let kept: Vec<&Record> = match self.table_type {
                TableType::Set => {
                    let winner = group
                        .iter()
                        .copied()
                        .max_by(|a, b| a.preferred.cmp(&b.preferred).then(a.seq.cmp(&b.seq)))
                        .expect("a group has an object");
                    vec![winner]
                }
                TableType::Bag => {
                    let mut kept: Vec<&Record> = Vec::with_capacity(group.len());
                    for r in group.iter().copied() {
                        let dup = kept.iter().any(|k| {
                            k.hash == r.hash
                                && same_object(
                                    self.decoder,
                                    &buf[k.etf.clone()],
                                    &buf[r.etf.clone()],
                                )
                        });
                        if !dup {
                            kept.push(r);
                        }
                    }
                    kept
                }
                TableType::DuplicateBag => group.clone(),
            };
            c.superseded += (group.len() - kept.len()) as u64;
            let group_at = bytes.len();
            if grouped {
                bytes.extend_from_slice(&[0; WORD as usize]);
            }
            for r in &kept {
                let etf = &buf[r.etf.clone()];
                bytes.extend_from_slice(&(etf.len() as u32 + WORD as u32).to_be_bytes());
                bytes.extend_from_slice(etf);
                c.objects += 1;
                c.sum = c.sum.wrapping_add(u64::from(r.hash));
            }
            if grouped {
                let size = (bytes.len() - group_at) as u32;
                bytes[group_at..group_at + 4].copy_from_slice(&size.to_be_bytes());
            }
            c.keys += 1;
        }
        let size = u32::try_from(bytes.len()).map_err(|_| WriteError::TooLarge {
            needed: bytes.len() as u64,
        })?;
        bytes[..4].copy_from_slice(&size.to_be_bytes());
        bytes[4..8].copy_from_slice(&ACTIVE.to_be_bytes());
        let class = (crate::format::block_log2(size) - MIN_BLOCK_LOG2) as usize;
        if class >= COUNTERS {
            return Err(WriteError::TooLarge {
                needed: u64::from(size),
            });
        }
        c.histogram[class] += 1;
        c.file.write_all(&recs[0].slot.to_le_bytes())?;
        c.file.write_all(&size.to_le_bytes())?;
        c.file.write_all(bytes)?;
        Ok(())
    }
}

/// Whether two key encodings are one term.
fn same_key(a: &[u8], b: &[u8]) -> bool {
    a == b || terms_equal(a, b).unwrap_or(false)
}

/// Whether two stored objects are one term (`=:=`), compressed or not.
fn same_object(decoder: &mut TermDecoder, a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    let body = |decoder: &mut TermDecoder, etf: &[u8]| -> Option<Vec<u8>> {
        // Key position 1 reads any tuple; only the body is wanted.
        let object = decoder.object(etf, 1).ok()?;
        Some(decoder.body(etf, &object).to_vec())
    };
    match (body(decoder, a), body(decoder, b)) {
        (Some(x), Some(y)) => terms_equal(&x, &y).unwrap_or(false),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{inspect_source, FileStatus};

    /// `term_to_binary({K, V})` for small integers.
    fn pair(k: u8, v: u8) -> Vec<u8> {
        vec![131, 104, 2, 97, k, 97, v]
    }

    fn build(table_type: TableType, objects: &[(Vec<u8>, u64, bool)]) -> (Built, File) {
        let dir = tempfile::tempdir().unwrap();
        let mut b = Builder::new(table_type, 1, dir.path()).unwrap();
        for (etf, seq, preferred) in objects {
            b.add(etf, *seq, *preferred).unwrap();
        }
        let out = tempfile::tempfile().unwrap();
        let built = b.finish(&out, 256, 1 << 25, dir.path()).unwrap();
        (built, out)
    }

    #[test]
    fn a_set_keeps_one_object_per_key_the_preferred_or_the_latest() {
        let objects = vec![
            (pair(1, 10), 1, false),
            (pair(1, 11), 2, false),
            (pair(2, 20), 5, true),
            (pair(2, 21), 6, false),
        ];
        let (built, out) = build(TableType::Set, &objects);
        assert_eq!((built.written.objects, built.written.keys), (2, 2));
        assert_eq!(built.superseded, 2);
        let len = out.metadata().unwrap().len();
        let back = inspect_source(&out, len).unwrap();
        assert_eq!(back.status(), FileStatus::Ok, "{:?}", back.messages());
        assert_eq!(back.digest(), Some(built.digest));
        let mut d = TermDecoder::new();
        let want = [pair(1, 11), pair(2, 20)]
            .iter()
            .fold(0u64, |s, o| s.wrapping_add(u64::from(d.hash(o).unwrap())));
        assert_eq!(built.digest.sum, want);
    }

    #[test]
    fn bags_drop_identical_objects_and_duplicate_bags_keep_them() {
        let objects = vec![
            (pair(1, 10), 1, false),
            (pair(1, 10), 2, false),
            (pair(1, 11), 3, false),
        ];
        let (bag, out) = build(TableType::Bag, &objects);
        assert_eq!(
            (bag.written.objects, bag.written.keys, bag.superseded),
            (2, 1, 1)
        );
        let back = inspect_source(&out, out.metadata().unwrap().len()).unwrap();
        assert_eq!(back.status(), FileStatus::Ok, "{:?}", back.messages());
        let (dup, out) = build(TableType::DuplicateBag, &objects);
        assert_eq!(
            (dup.written.objects, dup.written.keys, dup.superseded),
            (3, 1, 0)
        );
        let back = inspect_source(&out, out.metadata().unwrap().len()).unwrap();
        assert_eq!(back.status(), FileStatus::Ok, "{:?}", back.messages());
    }

    #[test]
    fn many_partitions_write_the_same_table_as_one() {
        let dir = tempfile::tempdir().unwrap();
        let objects: Vec<Vec<u8>> = (0..5000u32)
            .map(|i| {
                let mut etf = vec![131, 104, 2, 98];
                etf.extend((i % 3000).to_be_bytes());
                etf.extend([109, 0, 0, 0, 4]);
                etf.extend(i.to_be_bytes());
                etf
            })
            .collect();
        let build = |partition_bytes: u64, table_type: TableType| {
            let mut b = Builder::new(table_type, 1, dir.path()).unwrap();
            b.partition_bytes = partition_bytes;
            for (seq, etf) in objects.iter().enumerate() {
                b.add(etf, seq as u64, false).unwrap();
            }
            let out = tempfile::tempfile().unwrap();
            let built = b.finish(&out, 256, 1 << 25, dir.path()).unwrap();
            let back = inspect_source(&out, out.metadata().unwrap().len()).unwrap();
            assert_eq!(back.status(), FileStatus::Ok, "{:?}", back.messages());
            assert_eq!(back.digest(), Some(built.digest));
            built
        };
        for table_type in [TableType::Set, TableType::Bag] {
            // 1 KiB per partition: the 256 partitions the builder allows at most.
            let many = build(1024, table_type);
            let one = build(PARTITION_BYTES, table_type);
            assert_eq!(many, one, "{table_type}");
        }
        assert_eq!(build(1024, TableType::Set).written.keys, 3000);
    }

    #[test]
    fn an_empty_table_is_a_valid_file() {
        let (built, out) = build(TableType::Set, &[]);
        assert_eq!(built.written.objects, 0);
        let back = inspect_source(&out, out.metadata().unwrap().len()).unwrap();
        assert_eq!(back.status(), FileStatus::Ok, "{:?}", back.messages());
    }

    #[test]
    fn something_that_is_not_an_object_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = Builder::new(TableType::Set, 2, dir.path()).unwrap();
        // A 1-tuple has no second element to be the key.
        assert!(matches!(
            b.add(&[131, 104, 1, 97, 1], 0, false),
            Err(AddError::Term(_))
        ));
        assert_eq!(b.objects(), 0);
    }
}
