//! The file header (offsets 0..312) and the part pointer table (312..1336).

use md5::{Digest, Md5};

use super::format::*;
use super::source::{be_word, Bytes, ReadAt, Window};
use super::DetsError;

/// The kind of table, from the type code at offset 12.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableType {
    /// One object per key.
    Set,
    /// Several distinct objects per key.
    Bag,
    /// Several objects per key, duplicates allowed.
    DuplicateBag,
}

impl TableType {
    /// The Erlang name of the type.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Set => "set",
            Self::Bag => "bag",
            Self::DuplicateBag => "duplicate_bag",
        }
    }

    /// Whether objects are stored in per-key groups (bag and duplicate_bag).
    pub fn is_grouped(self) -> bool {
        !matches!(self, Self::Set)
    }
}

impl std::fmt::Display for TableType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The hash function the table was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashMethod {
    /// `erlang:phash/2` (R8 files).
    Phash,
    /// `erlang:phash2/1` (every file since R9).
    Phash2,
}

impl HashMethod {
    /// The Erlang name of the hash function.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Phash => "phash",
            Self::Phash2 => "phash2",
        }
    }
}

/// A validated DETS version 9 header.
///
/// Every field has been checked for range before it is exposed, so arithmetic on
/// the slot parameters cannot overflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Offset where the free-list area starts (stale or 0 in an open file).
    pub freelists_pointer: u32,
    /// The closed-properly flag word: 1 closed, 0 open or crashed.
    pub closed_flag: u32,
    /// Table type.
    pub table_type: TableType,
    /// Linear-hashing modulus.
    pub m: u32,
    /// Slots in use.
    pub next: u32,
    /// 1-based key position.
    pub keypos: u32,
    /// Object count in the header (exact only when closed properly).
    pub no_objects: u32,
    /// Distinct key count in the header (exact only when closed properly).
    pub no_keys: u32,
    /// `min_no_slots`.
    pub min_slots: u32,
    /// `max_no_slots`.
    pub max_slots: u32,
    /// Hash function.
    pub hash_method: HashMethod,
    /// Linear-hashing split pointer.
    pub n: u32,
    /// Live collections per buddy block size 2^(i+4) (exact only when closed).
    pub counters: [u32; COUNTERS],
    /// Whether the header carries an MD5 (it was checked when it does).
    pub has_md5: bool,
    /// The buddy allocator base field (0 means 1336).
    pub base_field: u32,
    /// File offsets of the segment-array parts, up to the first zero pointer.
    pub part_pointers: Vec<u32>,
}

impl Header {
    /// Reads and validates the header, in the order Erlang's `dets` checks it.
    pub(crate) fn read<R: ReadAt + ?Sized>(w: &mut Window<'_, R>) -> Result<Self, DetsError> {
        let len = w.len();
        if len == 0 {
            return Err(DetsError::NotDets {
                reason: "the file is empty".into(),
            });
        }
        if len < COOKIE_OFFSET + WORD {
            return Err(DetsError::NotDets {
                reason: format!("the file is {len} bytes, too short for a DETS header"),
            });
        }
        let cookie = w.word(COOKIE_OFFSET, "cookie")?;
        if cookie != COOKIE {
            return Err(DetsError::NotDets {
                reason: format!("cookie at offset 4 is {cookie:#010x}, not {COOKIE:#010x}"),
            });
        }
        if len >= VERSION_OFFSET + WORD {
            let version = w.word(VERSION_OFFSET, "version")?;
            if version != VERSION {
                return Err(DetsError::UnsupportedVersion { version });
            }
        }
        let raw = w.bytes(0, BASE as usize, "header and part pointer table")?;
        let word = |offset: u64| be_word(raw, offset as usize);

        let closed_flag = word(CLOSED_PROPERLY_OFFSET);
        if closed_flag > 1 {
            return Err(DetsError::corrupt(
                CLOSED_PROPERLY_OFFSET,
                format!("closed-properly flag {closed_flag} (must be 0 or 1)"),
            ));
        }
        let table_type = match word(TYPE_OFFSET) {
            1 => TableType::Set,
            2 => TableType::Bag,
            3 => TableType::DuplicateBag,
            code => {
                return Err(DetsError::corrupt(
                    TYPE_OFFSET,
                    format!("table type code {code} (must be 1, 2 or 3)"),
                ))
            }
        };
        let md5 = &raw[MD5_OFFSET as usize..(MD5_OFFSET + MD5_LEN) as usize];
        let has_md5 = md5.iter().any(|&b| b != 0);
        if has_md5 {
            let digest = Md5::digest(&raw[TYPE_OFFSET as usize..MD5_OFFSET as usize]);
            if digest.as_slice() != md5 {
                return Err(DetsError::HeaderChecksum);
            }
        }
        let hash_method = match word(HASH_METHOD_OFFSET) {
            0 => HashMethod::Phash,
            1 => HashMethod::Phash2,
            code => {
                return Err(DetsError::corrupt(
                    HASH_METHOD_OFFSET,
                    format!("hash method {code} (must be 0 or 1)"),
                ))
            }
        };

        let mut counters = [0u32; COUNTERS];
        for (i, c) in counters.iter_mut().enumerate() {
            *c = word(COUNTERS_OFFSET + i as u64 * WORD);
        }
        let mut part_pointers = Vec::new();
        for p in 0..PART_POINTERS {
            let ptr = word(HEADEND + p * WORD);
            if ptr == 0 {
                break;
            }
            part_pointers.push(ptr);
        }

        let header = Self {
            freelists_pointer: word(FREELISTS_POINTER),
            closed_flag,
            table_type,
            m: word(M_OFFSET),
            next: word(NEXT_OFFSET),
            keypos: word(KEYPOS_OFFSET),
            no_objects: word(NO_OBJECTS_OFFSET),
            no_keys: word(NO_KEYS_OFFSET),
            min_slots: word(MIN_SLOTS_OFFSET),
            max_slots: word(MAX_SLOTS_OFFSET),
            hash_method,
            n: word(N_OFFSET),
            counters,
            has_md5,
            base_field: word(BASE_FIELD_OFFSET),
            part_pointers,
        };
        header.check_slot_parameters()?;
        Ok(header)
    }

    fn check_slot_parameters(&self) -> Result<(), DetsError> {
        let slots = SLOTS_PER_SEGMENT as u32;
        let valid_power = |v: u32| v.is_power_of_two() && v >= slots && u64::from(v) <= MAX_SLOTS;
        let checks: [(bool, u64, String); 6] = [
            (
                self.keypos >= 1,
                KEYPOS_OFFSET,
                format!("key position {}", self.keypos),
            ),
            (
                valid_power(self.m),
                M_OFFSET,
                format!("hash modulus M = {}", self.m),
            ),
            (
                self.n % slots == 0 && self.n < self.m,
                N_OFFSET,
                format!("split pointer N = {} (M = {})", self.n, self.m),
            ),
            (
                self.next % slots == 0 && self.next >= slots && u64::from(self.next) <= MAX_SLOTS,
                NEXT_OFFSET,
                format!("slot count Next = {}", self.next),
            ),
            (
                valid_power(self.min_slots),
                MIN_SLOTS_OFFSET,
                format!("min_no_slots {}", self.min_slots),
            ),
            (
                valid_power(self.max_slots),
                MAX_SLOTS_OFFSET,
                format!("max_no_slots {}", self.max_slots),
            ),
        ];
        match checks.into_iter().find(|(ok, _, _)| !ok) {
            Some((_, offset, what)) => Err(DetsError::corrupt(offset, what)),
            None => Ok(()),
        }
    }

    /// Whether the 28 collection counters carry information (all zero with
    /// objects present means a 9(a) file whose counters are unknown).
    pub fn counters_known(&self) -> bool {
        self.no_objects == 0 || self.counters.iter().any(|&c| c != 0)
    }
}
