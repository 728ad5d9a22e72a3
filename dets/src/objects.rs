//! One object collection, object by object, as Erlang reads it.
//!
//! A collection is `[size][ACTIVE]` and then its records: for a set one
//! `[objsize][ETF]` per key, for a bag or duplicate bag one
//! `[groupsize]([objsize][ETF])+` per key (section 4 of `FORMAT.md`). Beyond
//! the framing, every object must be what `binary_to_term` accepts, a tuple
//! with the key at `keypos`; in a properly closed file its key must hash to
//! this slot (a lookup looks nowhere else); a set holds one object per key, a
//! bag no two identical objects under one key, and no key has two groups.

use std::ops::Range;

use crate::format::{ACTIVE, COLLECTION_HEADER, ETF_VERSION, FREE, WORD};
use crate::header::Header;
use crate::source::be_word;
use crate::term::{phash2_27, terms_equal, TermDecoder};
use crate::DetsError;

/// The linear-hashing state that places keys in slots.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placement {
    /// The modulus M.
    pub m: u32,
    /// The split pointer N: slots below it use 2M.
    pub n: u32,
}

impl Placement {
    /// The slot dets looks in for a key of this `phash2(Key)`.
    pub fn slot(self, key_hash: u32) -> u32 {
        // M is a power of two (the header is validated), at most 2^25: the
        // remainders are masks, and 2M fits.
        let h = phash2_27(key_hash);
        let slot = h & (self.m - 1);
        if slot < self.n {
            h & (2 * self.m - 1)
        } else {
            slot
        }
    }
}

/// What a sound collection holds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CollectionFacts {
    pub objects: u64,
    pub keys: u64,
    /// Sum of `phash2(Object, 2^32)` over the objects, mod 2^64.
    pub hash_sum: u64,
}

/// One object as decoded, for the checks across objects.
#[derive(Debug, Clone)]
struct Seen {
    hash: u32,
    key_hash: u32,
    /// The object's term (after 131) and its key, in the collection's bytes
    /// or, for a compressed object, in the arena.
    body: Range<usize>,
    key: Range<usize>,
    in_arena: bool,
    /// File offset of the object's record, for messages.
    offset: u64,
    /// The key group the object belongs to.
    group: usize,
}

/// Checks collections one after another, reusing its buffers.
#[derive(Debug, Default)]
pub(crate) struct CollectionChecker {
    decoder: TermDecoder,
    seen: Vec<Seen>,
    arena: Vec<u8>,
    order: Vec<(u64, usize)>,
}

impl CollectionChecker {
    /// Checks the collection held in `bytes` (exactly its `size` bytes), found
    /// at file offset `base` through `slot`. `placement` is given when the
    /// header's hashing state can be trusted (a properly closed file).
    pub fn check(
        &mut self,
        bytes: &[u8],
        base: u64,
        header: &Header,
        slot: u32,
        placement: Option<Placement>,
    ) -> Result<CollectionFacts, DetsError> {
        let size = bytes.len() as u64;
        let corrupt =
            |at: u64, what: String| DetsError::corrupt(base + at, format!("slot {slot}: {what}"));
        let size_word = be_word(bytes, 0);
        if u64::from(size_word) != size {
            return Err(corrupt(
                0,
                format!("collection size word {size_word} differs from the slot's {size}"),
            ));
        }
        let status = be_word(bytes, WORD as usize);
        if status != ACTIVE {
            let name = if status == FREE { " (FREE)" } else { "" };
            return Err(corrupt(
                WORD,
                format!("collection status {status:#010x}{name}, not ACTIVE"),
            ));
        }

        // Framing first, decoding as each object is met.
        self.seen.clear();
        self.arena.clear();
        let end = bytes.len();
        let mut at = COLLECTION_HEADER as usize;
        let mut groups = 0usize;
        while at < end {
            if header.table_type.is_grouped() {
                let group_end = length_prefixed(bytes, at, end, 4 + 5)
                    .map_err(|what| corrupt(at as u64, format!("key group {what}")))?;
                let mut object_at = at + WORD as usize;
                while object_at < group_end {
                    object_at =
                        self.object(bytes, object_at, group_end, base, slot, groups, header)?;
                }
                at = group_end;
            } else {
                at = self.object(bytes, at, end, base, slot, groups, header)?;
            }
            groups += 1;
        }

        if let Some(placement) = placement {
            if let Some(seen) = self
                .seen
                .iter()
                .find(|s| placement.slot(s.key_hash) != slot)
            {
                return Err(DetsError::corrupt(
                    seen.offset,
                    format!(
                        "slot {slot}: object's key hashes to slot {}, where lookups look for it",
                        placement.slot(seen.key_hash)
                    ),
                ));
            }
        }
        self.check_type_rules(bytes, header, slot)?;
        Ok(CollectionFacts {
            objects: self.seen.len() as u64,
            keys: groups as u64,
            hash_sum: self
                .seen
                .iter()
                .fold(0u64, |sum, s| sum.wrapping_add(u64::from(s.hash))),
        })
    }

    /// Decodes the `[objsize][ETF]` record at `at`; gives the offset after it.
    #[allow(clippy::too_many_arguments)] // one call site, each argument a different fact
    fn object(
        &mut self,
        bytes: &[u8],
        at: usize,
        end: usize,
        base: u64,
        slot: u32,
        group: usize,
        header: &Header,
    ) -> Result<usize, DetsError> {
        let offset = base + at as u64;
        let object_end = length_prefixed(bytes, at, end, 5)
            .map_err(|what| DetsError::corrupt(offset, format!("slot {slot}: object {what}")))?;
        let etf_at = at + WORD as usize;
        let etf = &bytes[etf_at..object_end];
        if etf[0] != ETF_VERSION {
            return Err(DetsError::corrupt(
                offset + WORD,
                format!(
                    "slot {slot}: object does not start with the term format byte 131 (found {})",
                    etf[0]
                ),
            ));
        }
        let object = self.decoder.object(etf, header.keypos).map_err(|err| {
            DetsError::corrupt(
                offset,
                format!("slot {slot}: object does not decode: {err}"),
            )
        })?;
        let (body, key, in_arena) = if object.compressed {
            // The inflated bytes are the decoder's until the next object.
            let inflated = self.decoder.body(etf, &object);
            let from = self.arena.len();
            self.arena.extend_from_slice(inflated);
            let key = from + object.key.start..from + object.key.end;
            (from..self.arena.len(), key, true)
        } else {
            let body = etf_at + 1..object_end;
            let key = body.start + object.key.start..body.start + object.key.end;
            (body, key, false)
        };
        self.seen.push(Seen {
            hash: object.hash,
            key_hash: object.key_hash,
            body,
            key,
            in_arena,
            offset,
            group,
        });
        Ok(object_end)
    }

    /// A set: one object per key. A bag: objects of a group share its key, and
    /// no two are identical. Both bags: no key has two groups.
    fn check_type_rules(
        &mut self,
        bytes: &[u8],
        header: &Header,
        slot: u32,
    ) -> Result<(), DetsError> {
        let seen = &self.seen;
        let arena = &self.arena;
        let term = |s: &Seen, range: &Range<usize>| -> &[u8] {
            if s.in_arena {
                &arena[range.clone()]
            } else {
                &bytes[range.clone()]
            }
        };
        let same_key = |a: &Seen, b: &Seen| -> Result<bool, DetsError> {
            if a.key_hash != b.key_hash {
                return Ok(false);
            }
            terms_equal(term(a, &a.key), term(b, &b.key))
                .map_err(|err| DetsError::corrupt(b.offset, format!("slot {slot}: {err}")))
        };
        let grouped = header.table_type.is_grouped();
        if seen.len() < 2 {
            return Ok(());
        }

        if grouped {
            // Every object of a group has the key of the group's first object.
            let mut first = 0;
            for i in 1..seen.len() {
                if seen[i].group != seen[first].group {
                    first = i;
                } else if !same_key(&seen[first], &seen[i])? {
                    return Err(DetsError::corrupt(
                        seen[i].offset,
                        format!("slot {slot}: object's key differs from its group's key"),
                    ));
                }
            }
        }

        // Distinct keys: one object per key for a set, one group for a bag.
        let order = &mut self.order;
        order.clear();
        order.extend(
            (0..seen.len())
                .filter(|&i| !grouped || i == 0 || seen[i].group != seen[i - 1].group)
                .map(|i| (u64::from(seen[i].key_hash), i)),
        );
        if let Some((a, b)) = same_pair(order, |a, b| same_key(&seen[a], &seen[b]))? {
            let what = if grouped {
                "two key groups"
            } else {
                "two objects"
            };
            return Err(DetsError::corrupt(
                seen[a].offset.max(seen[b].offset),
                format!("slot {slot}: {what} with the same key"),
            ));
        }

        // A bag never holds one object twice under a key.
        if header.table_type == crate::TableType::Bag {
            order.clear();
            order.extend(
                (0..seen.len())
                    .map(|i| ((seen[i].group as u64) << 32 | u64::from(seen[i].hash), i)),
            );
            let same_object = |a: usize, b: usize| {
                let (a, b) = (&seen[a], &seen[b]);
                terms_equal(term(a, &a.body), term(b, &b.body))
                    .map_err(|err| DetsError::corrupt(b.offset, format!("slot {slot}: {err}")))
            };
            if let Some((a, b)) = same_pair(order, same_object)? {
                return Err(DetsError::corrupt(
                    seen[a].offset.max(seen[b].offset),
                    format!("slot {slot}: a bag holds the same object twice"),
                ));
            }
        }
        Ok(())
    }
}

/// Items below this many are compared pair by pair; more are sorted first.
const SORT_FROM: usize = 64;

/// The first pair of `items` (key, index) with equal keys that `same` says
/// are one: the key is a hash, so only pairs that hash alike are compared.
fn same_pair(
    items: &mut [(u64, usize)],
    mut same: impl FnMut(usize, usize) -> Result<bool, DetsError>,
) -> Result<Option<(usize, usize)>, DetsError> {
    let sorted = items.len() >= SORT_FROM;
    if sorted {
        items.sort_unstable_by_key(|&(key, _)| key);
    }
    for x in 0..items.len() {
        let key = items[x].0;
        // Most collections have no two keys alike: one branch-free scan says so.
        if !sorted && !items[x + 1..].iter().any(|&(k, _)| k == key) {
            continue;
        }
        for y in x + 1..items.len() {
            if items[x].0 != items[y].0 {
                if sorted {
                    // Past the run of equal keys that starts at x.
                    break;
                }
                continue;
            }
            if same(items[x].1, items[y].1)? {
                return Ok(Some((items[x].1, items[y].1)));
            }
        }
    }
    Ok(None)
}

/// Reads the length word at `at` and checks the record fits before `end`;
/// gives the record's end.
fn length_prefixed(bytes: &[u8], at: usize, end: usize, min: u32) -> Result<usize, String> {
    if at + WORD as usize > end {
        return Err(format!(
            "length word runs past the collection end at +{end}"
        ));
    }
    let size = be_word(bytes, at);
    let record_end = at as u64 + u64::from(size);
    if size < min || record_end > end as u64 {
        return Err(format!(
            "length {size} does not fit the collection of {end} bytes"
        ));
    }
    Ok(record_end as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_pair_compares_every_pair_that_hashes_alike() {
        // Three objects hash alike; only the first and the last are one.
        let same = |a: usize, b: usize| Ok((a, b) == (0, 2));
        let mut few = vec![(5, 0), (5, 1), (5, 2)];
        assert_eq!(same_pair(&mut few, same).unwrap(), Some((0, 2)));
        // Enough to be sorted first: the run of equal keys is searched whole.
        let mut many: Vec<(u64, usize)> = (0..100).map(|i| (i as u64 + 10, i)).collect();
        many.extend([(5, 200), (5, 201), (5, 202)]);
        let same = |a: usize, b: usize| Ok((a.min(b), a.max(b)) == (200, 202));
        let found = same_pair(&mut many, same).unwrap().unwrap();
        assert_eq!((found.0.min(found.1), found.0.max(found.1)), (200, 202));
        let mut distinct: Vec<(u64, usize)> = (0..100).map(|i| (i as u64, i)).collect();
        assert_eq!(same_pair(&mut distinct, |_, _| Ok(true)).unwrap(), None);
    }

    #[test]
    fn placement_follows_linear_hashing() {
        let p = Placement { m: 256, n: 0 };
        assert_eq!(p.slot(300), 300 % 256);
        // Slots below the split pointer use 2M.
        let p = Placement { m: 256, n: 256 - 1 };
        assert_eq!(p.slot(300), 300);
        assert_eq!(p.slot(255 + 512), 255);
    }
}
