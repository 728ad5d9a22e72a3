//! The Erlang external term format, as `binary_to_term/1` reads it, and
//! `erlang:phash2` over what it reads.
//!
//! A DETS object is `term_to_binary(Object)`. Erlang reads it back with
//! `binary_to_term`, and a lookup finds it only in the slot that
//! `erlang:phash2(Key)` names. [`TermDecoder`] checks both without building the
//! term: one pass over the encoding accepts exactly what `binary_to_term`
//! accepts (every tag, compressed terms, non-canonical encodings) and computes
//! the hash the emulator computes for the decoded term, so that two encodings
//! of one term hash alike.
//!
//! The pass is iterative (no recursion, so no nesting depth can overflow the
//! stack), reads only the bytes it is given, and reuses its buffers: after the
//! first few objects it allocates nothing.
//!
//! ```text
//! 131 ┬ tag ...                       a term (trailing bytes are ignored, as Erlang does)
//!     └ 80 size:u32 zlib(tag ...)     a compressed term; size is the inflated length
//! ```

mod hash;
mod order;
mod value;

use std::ops::Range;

pub use order::{compare_keys, KeyOrder};
pub use value::terms_equal;

/// First byte of every encoded term.
pub const VERSION: u8 = 131;

mod tag {
    pub const COMPRESSED: u8 = 80;
    pub const NEW_FLOAT: u8 = 70;
    pub const BIT_BINARY: u8 = 77;
    pub const NEW_PID: u8 = 88;
    pub const NEW_PORT: u8 = 89;
    pub const NEWER_REFERENCE: u8 = 90;
    pub const SMALL_INTEGER: u8 = 97;
    pub const INTEGER: u8 = 98;
    pub const FLOAT: u8 = 99;
    pub const ATOM: u8 = 100;
    pub const REFERENCE: u8 = 101;
    pub const PORT: u8 = 102;
    pub const PID: u8 = 103;
    pub const SMALL_TUPLE: u8 = 104;
    pub const LARGE_TUPLE: u8 = 105;
    pub const NIL: u8 = 106;
    pub const STRING: u8 = 107;
    pub const LIST: u8 = 108;
    pub const BINARY: u8 = 109;
    pub const SMALL_BIG: u8 = 110;
    pub const LARGE_BIG: u8 = 111;
    pub const NEW_FUN: u8 = 112;
    pub const EXPORT: u8 = 113;
    pub const NEW_REFERENCE: u8 = 114;
    pub const SMALL_ATOM: u8 = 115;
    pub const MAP: u8 = 116;
    pub const ATOM_UTF8: u8 = 118;
    pub const SMALL_ATOM_UTF8: u8 = 119;
    pub const V4_PORT: u8 = 120;
}

/// `LIST_EXT` of no elements: the term that follows is the whole term.
const EMPTY_LIST_PREFIX: [u8; 5] = [tag::LIST, 0, 0, 0, 0];
/// The most characters an atom may have.
const MAX_ATOM_CHARS: usize = 255;
/// The most words a reference may have.
const MAX_REF_WORDS: usize = 5;
/// Largest inflated size of a compressed term this decoder takes on: dets never
/// compresses objects, so a larger one is reported rather than held in memory.
pub const MAX_INFLATED: usize = 64 << 20;
/// The node name and creation that a non-distributed Erlang calls its own: its
/// pids are held to the emulator's internal limits.
const LOCAL_NODE: &[u8] = b"nonode@nohost";
const MAX_LOCAL_PID_NUMBER: u32 = (1 << 15) - 1;
const MAX_LOCAL_PID_SERIAL: u32 = (1 << 13) - 1;
const MAX_LOCAL_PORT_NUMBER: u64 = (1 << 28) - 1;
const MAX_LOCAL_REF_WORDS: usize = 3;
const MAX_REF_FIRST_WORD: u32 = (1 << 18) - 1;
/// Export arities `binary_to_term` takes: any integer below 2^59.
const MAX_EXPORT_ARITY: i64 = 1 << 59;

/// Why `binary_to_term` would refuse an encoding. Offsets count from the
/// first byte after 131 (into the inflated bytes for a compressed term).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermError {
    /// The encoding ends inside a term.
    #[error("term ends early (byte {at})")]
    Truncated {
        /// Where more bytes were needed.
        at: usize,
    },
    /// A byte that starts no term.
    #[error("unknown term tag {tag} at byte {at}")]
    UnknownTag {
        /// The byte.
        tag: u8,
        /// Where it is.
        at: usize,
    },
    /// Bytes that are there but cannot be a term.
    #[error("invalid term at byte {at}: {what}")]
    Invalid {
        /// What is wrong.
        what: &'static str,
        /// Where the bad term starts.
        at: usize,
    },
    /// The encoding does not start with 131.
    #[error("not an encoded term (first byte {0}, expected 131)")]
    NoVersion(u8),
    /// A compressed term whose data does not inflate to its stated size.
    #[error("compressed term does not inflate to its stated {stated} bytes")]
    BadCompression {
        /// The size the header states.
        stated: u64,
    },
    /// A compressed term too large for this decoder's memory budget.
    #[error("compressed term of {stated} bytes exceeds the {MAX_INFLATED}-byte limit")]
    TooLarge {
        /// The size the header states.
        stated: u64,
    },
    /// An object that is not a tuple with the key position.
    #[error("object is not a tuple of at least {keypos} elements")]
    NotAnObject {
        /// The table's key position.
        keypos: u32,
    },
}

/// What one stored object is, as far as the table cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectTerm {
    /// `erlang:phash2(Object, 4294967296)`.
    pub hash: u32,
    /// `erlang:phash2(Key, 4294967296)`; `phash2(Key)` is [`phash2_27`] of it.
    pub key_hash: u32,
    /// Where the key's encoding lies, in [`TermDecoder::body`] of this object.
    pub key: Range<usize>,
    /// Whether the object was compressed (its body is then the inflated bytes).
    pub compressed: bool,
    /// Bytes of the term in its body: an uncompressed object's encoding is
    /// `1 + body_len` bytes (what follows, `binary_to_term` ignores).
    pub body_len: usize,
}

/// `erlang:phash2/1` from the full 32-bit hash: its low 27 bits.
pub fn phash2_27(hash: u32) -> u32 {
    hash & ((1 << 27) - 1)
}

/// One container being read, innermost last.
#[derive(Debug, Clone, Copy)]
enum Frame {
    /// Elements of a tuple still to come.
    Tuple { left: u32 },
    /// Elements of a `LIST_EXT` still to come, then its tail; the run of
    /// bytes the emulator hashes four at a time goes on across tails.
    List { left: u32, run: Run },
    /// Pairs of a map still to come; `value_next` after a key. The hash and
    /// pair sum of the enclosing map are kept here while pairs hash from 0.
    Map {
        left: u32,
        value_next: bool,
        outer_hash: u32,
        outer_xor: u32,
        keys_from: usize,
        key_start: usize,
    },
    /// Free variables of a fun still to come.
    Fun { left: u32 },
}

/// Bytes of a string being hashed four at a time.
#[derive(Debug, Default, Clone, Copy)]
struct Run {
    count: u8,
    bits: u32,
}

impl Run {
    #[inline(always)]
    fn push(&mut self, hash: u32, byte: u8) -> u32 {
        self.bits = (self.bits << 8) | u32::from(byte);
        if self.count == 3 {
            let hash = hash::hash1(hash, self.bits, hash::HCONST_4);
            *self = Run::default();
            hash
        } else {
            self.count += 1;
            hash
        }
    }

    #[inline(always)]
    fn flush(&mut self, hash: u32) -> u32 {
        let hash = if self.count > 0 {
            hash::hash1(hash, self.bits, hash::HCONST_4)
        } else {
            hash
        };
        *self = Run::default();
        hash
    }
}

/// A map key seen, for the duplicate check at the map's end.
#[derive(Debug, Clone, Copy)]
struct MapKey {
    hash: u32,
    start: usize,
    end: usize,
}

/// Reads encoded terms and hashes them; reuse one for many objects.
#[derive(Debug, Default)]
pub struct TermDecoder {
    stack: Vec<Frame>,
    map_keys: Vec<MapKey>,
    inflated: Vec<u8>,
}

impl TermDecoder {
    /// A decoder with empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// `erlang:phash2(binary_to_term(Etf), 4294967296)`, or why
    /// `binary_to_term` would refuse `etf`.
    pub fn hash(&mut self, etf: &[u8]) -> Result<u32, TermError> {
        let (mut walker, body, _) = self.open(etf)?;
        walker.term(body, 0).map(|(hash, _)| hash)
    }

    /// Decodes a stored object: a tuple of at least `keypos` elements. Gives
    /// its hash, its key's hash and where the key is.
    pub fn object(&mut self, etf: &[u8], keypos: u32) -> Result<ObjectTerm, TermError> {
        let (mut walker, body, compressed) = self.open(etf)?;
        if let Some(flat) = flat_object(body, keypos, compressed) {
            return flat;
        }
        let (hash, body_len) = walker.term(body, 0)?;
        let key = element(&mut walker, body, keypos)?;
        let (key_hash, key_end) = walker.term(body, key)?;
        Ok(ObjectTerm {
            hash,
            key_hash,
            key: key..key_end,
            compressed,
            body_len,
        })
    }

    /// The bytes an [`ObjectTerm`]'s ranges refer to: `etf` after its 131,
    /// or the inflated bytes of a compressed object.
    pub fn body<'a>(&'a self, etf: &'a [u8], object: &ObjectTerm) -> &'a [u8] {
        if object.compressed {
            &self.inflated
        } else {
            etf.get(1..).unwrap_or_default()
        }
    }

    /// A walker over the term of `etf` (inflated when compressed), the term's
    /// bytes, and whether they were inflated.
    fn open<'a>(&'a mut self, etf: &'a [u8]) -> Result<(Walker<'a>, &'a [u8], bool), TermError> {
        let (start, compressed) = self.body_of(etf)?;
        let Self {
            stack,
            map_keys,
            inflated,
        } = self;
        let body: &[u8] = if compressed { inflated } else { &etf[start..] };
        Ok((Walker { stack, map_keys }, body, compressed))
    }

    /// Checks the version byte and inflates a compressed term; gives where the
    /// term starts in `etf`, or that it is in `self.inflated`.
    fn body_of(&mut self, etf: &[u8]) -> Result<(usize, bool), TermError> {
        match etf {
            [] => Err(TermError::Truncated { at: 0 }),
            [VERSION, tag::COMPRESSED, rest @ ..] => {
                let size = rest
                    .get(..4)
                    .ok_or(TermError::Truncated { at: 1 })
                    .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))?;
                inflate(&rest[4..], size, &mut self.inflated)?;
                Ok((0, true))
            }
            [VERSION, ..] => Ok((1, false)),
            [other, ..] => Err(TermError::NoVersion(*other)),
        }
    }
}

/// Inflates a zlib stream into `out`, which must come to exactly `size` bytes.
/// Memory follows what the stream really inflates to, never the stated size.
fn inflate(data: &[u8], size: u32, out: &mut Vec<u8>) -> Result<(), TermError> {
    let stated = u64::from(size);
    let size = size as usize;
    if size > MAX_INFLATED {
        return Err(TermError::TooLarge { stated });
    }
    out.clear();
    match miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(data, size) {
        Ok(inflated) if inflated.len() == size => {
            *out = inflated;
            Ok(())
        }
        _ => Err(TermError::BadCompression { stated }),
    }
}

/// The common object, a small tuple of leaves (`{Key, Value}` and the like),
/// in one loop: the key hashed from 0 beside the object. `None` when the
/// object has another shape, for the general walk.
#[inline]
fn flat_object(
    body: &[u8],
    keypos: u32,
    compressed: bool,
) -> Option<Result<ObjectTerm, TermError>> {
    let [tag::SMALL_TUPLE, arity, ..] = *body else {
        return None;
    };
    if keypos == 0 || u32::from(arity) < keypos {
        return None;
    }
    let mut c = Cursor { bytes: body, at: 2 };
    let mut hash = hash::hash1(0, u32::from(arity), hash::HCONST_9);
    let mut key = (0, 0..0);
    for position in 1..=u32::from(arity) {
        let at = c.at;
        let t = *body.get(at)?;
        if t == tag::LIST {
            return None;
        }
        c.at += 1;
        hash = match leaf(&mut c, t, at, hash) {
            Ok(Some(hash)) => hash,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        if position == keypos {
            let mut k = Cursor {
                bytes: body,
                at: at + 1,
            };
            let key_hash = match leaf(&mut k, t, at, 0) {
                Ok(Some(h)) => h,
                _ => return None,
            };
            key = (key_hash, at..c.at);
        }
    }
    Some(Ok(ObjectTerm {
        hash,
        key_hash: key.0,
        key: key.1,
        compressed,
        body_len: c.at,
    }))
}

/// Where element `keypos` (1-based) of the tuple at the start of `body` begins.
fn element(walker: &mut Walker<'_>, body: &[u8], keypos: u32) -> Result<usize, TermError> {
    let not_object = TermError::NotAnObject { keypos };
    let (arity, mut at) = match body {
        [tag::SMALL_TUPLE, arity, ..] => (u32::from(*arity), 2),
        [tag::LARGE_TUPLE, a, b, c, d, ..] => (u32::from_be_bytes([*a, *b, *c, *d]), 5),
        _ => return Err(not_object),
    };
    if keypos == 0 || arity < keypos {
        return Err(not_object);
    }
    for _ in 1..keypos {
        at = walker.term(body, at)?.1;
    }
    Ok(at)
}

/// One pass over one term: validation and hash together.
struct Walker<'s> {
    stack: &'s mut Vec<Frame>,
    map_keys: &'s mut Vec<MapKey>,
}

/// A cursor over the bytes of one term.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    #[inline(always)]
    fn take(&mut self, n: usize) -> Result<&'a [u8], TermError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or(TermError::Truncated { at: self.at })?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    #[inline(always)]
    fn u8(&mut self) -> Result<u8, TermError> {
        let b = *self
            .bytes
            .get(self.at)
            .ok_or(TermError::Truncated { at: self.at })?;
        self.at += 1;
        Ok(b)
    }

    #[inline(always)]
    fn u16(&mut self) -> Result<u16, TermError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    #[inline(always)]
    fn u32(&mut self) -> Result<u32, TermError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, TermError> {
        let b = self.take(8)?;
        let mut word = [0u8; 8];
        word.copy_from_slice(b);
        Ok(u64::from_be_bytes(word))
    }

    fn left(&self) -> usize {
        self.bytes.len() - self.at
    }

    /// Fails unless `count` items of at least `min` bytes each can still follow.
    fn room_for(&self, count: u32, min: usize, at: usize) -> Result<(), TermError> {
        if (count as usize).saturating_mul(min) > self.left() {
            Err(TermError::Truncated { at })
        } else {
            Ok(())
        }
    }
}

/// An integer read from any integer encoding, magnitude little-endian.
enum Int<'a> {
    Small(i64),
    Big { negative: bool, magnitude: &'a [u8] },
}

impl Int<'_> {
    /// The value when it is 0..=255: an element of a string.
    fn as_byte(&self) -> Option<u8> {
        match *self {
            Int::Small(v) => u8::try_from(v).ok(),
            Int::Big { .. } => None,
        }
    }

    fn hash(&self, hash: u32) -> u32 {
        match *self {
            Int::Small(v) => hash::int64(hash, v),
            Int::Big {
                negative,
                magnitude,
            } => hash::integer(hash, negative, magnitude),
        }
    }
}

impl Walker<'_> {
    /// Reads the term at `start`; gives its hash and where it ends.
    fn term(&mut self, bytes: &[u8], start: usize) -> Result<(u32, usize), TermError> {
        self.stack.clear();
        self.map_keys.clear();
        let mut c = Cursor { bytes, at: start };
        let mut hash = 0u32;
        let mut xor = 0u32;
        loop {
            // A list of no elements is its tail: look through such wrappers.
            while bytes.get(c.at) == Some(&tag::LIST)
                && bytes.get(c.at..c.at + 5) == Some(&EMPTY_LIST_PREFIX)
            {
                c.at += 5;
            }
            // Where the next term stands decides how it is hashed: an integer
            // 0..=255 inside a list joins the list's run of bytes, a list as
            // a list's tail continues that list.
            let at = c.at;
            let t = *bytes.get(at).ok_or(TermError::Truncated { at })?;
            match self.stack.last_mut() {
                Some(Frame::List { left, run }) => {
                    if *left > 0 {
                        if is_integer(t) {
                            c.at += 1;
                            let int = integer(&mut c, t)?;
                            if let Some(b) = int.as_byte() {
                                hash = run.push(hash, b);
                            } else {
                                hash = run.flush(hash);
                                hash = int.hash(hash);
                            }
                            *left -= 1;
                            continue;
                        }
                        hash = run.flush(hash);
                        *left -= 1;
                    } else {
                        // The tail.
                        match t {
                            tag::LIST => {
                                c.at += 1;
                                let n = c.u32()?;
                                c.room_for(n, 1, at)?;
                                *left = n;
                                continue;
                            }
                            tag::STRING => {
                                c.at += 1;
                                let n = c.u16()?;
                                for &b in c.take(usize::from(n))? {
                                    hash = run.push(hash, b);
                                }
                                hash = run.flush(hash);
                                hash = hash::nil(hash);
                                self.stack.pop();
                                hash = self.finish(hash, &mut xor, &c)?;
                                if self.stack.is_empty() {
                                    return Ok((hash, c.at));
                                }
                                continue;
                            }
                            _ => {
                                hash = run.flush(hash);
                                // The tail is the last of the list: the frame
                                // is done once the tail is.
                                self.stack.pop();
                            }
                        }
                    }
                }
                Some(Frame::Map {
                    value_next: false,
                    key_start,
                    ..
                }) => *key_start = at,
                _ => {}
            }
            c.at += 1;
            hash = match leaf(&mut c, t, at, hash)? {
                Some(hash) => hash,
                None => match t {
                    tag::SMALL_TUPLE | tag::LARGE_TUPLE => {
                        let arity = if t == tag::SMALL_TUPLE {
                            u32::from(c.u8()?)
                        } else {
                            c.u32()?
                        };
                        c.room_for(arity, 1, at)?;
                        hash = hash::hash1(hash, arity, hash::HCONST_9);
                        if arity > 0 {
                            self.stack.push(Frame::Tuple { left: arity });
                            continue;
                        }
                        hash
                    }
                    tag::LIST => {
                        let n = c.u32()?;
                        c.room_for(n, 1, at)?;
                        self.stack.push(Frame::List {
                            left: n,
                            run: Run::default(),
                        });
                        continue;
                    }
                    tag::MAP => {
                        let n = c.u32()?;
                        c.room_for(n, 2, at)?;
                        hash = hash::hash1(hash, n, hash::HCONST_16);
                        if n > 0 {
                            self.stack.push(Frame::Map {
                                left: n,
                                value_next: false,
                                outer_hash: hash,
                                outer_xor: xor,
                                keys_from: self.map_keys.len(),
                                key_start: c.at,
                            });
                            hash = 0;
                            xor = 0;
                            continue;
                        }
                        hash
                    }
                    tag::NEW_FUN => {
                        let _size = c.u32()?;
                        let _arity = c.u8()?;
                        c.take(16)?; // uniq
                        let index = c.u32()?;
                        let free = c.u32()?;
                        let module = node_atom(&mut c)?;
                        let _old_index = fun_integer(&mut c, at)?;
                        let old_uniq = fun_integer(&mut c, at)?;
                        // The creator "pid": OTP 25 reads whatever term stands
                        // there, and the fun's hash does not include it.
                        c.at = end_of_term(c.bytes, c.at)?;
                        c.room_for(free, 1, at)?;
                        hash = hash::hash2(hash, free, module, hash::HCONST);
                        hash = hash::hash2(hash, index, old_uniq, hash::HCONST);
                        if free > 0 {
                            self.stack.push(Frame::Fun { left: free });
                            continue;
                        }
                        hash
                    }
                    other => return Err(TermError::UnknownTag { tag: other, at }),
                },
            };
            hash = self.finish(hash, &mut xor, &c)?;
            if self.stack.is_empty() {
                return Ok((hash, c.at));
            }
        }
    }

    /// After a whole term: counts it off its container and closes every
    /// container it completes.
    fn finish(&mut self, mut hash: u32, xor: &mut u32, c: &Cursor<'_>) -> Result<u32, TermError> {
        loop {
            match self.stack.last_mut() {
                None => return Ok(hash),
                Some(Frame::Tuple { left }) | Some(Frame::Fun { left }) => {
                    *left -= 1;
                    if *left > 0 {
                        return Ok(hash);
                    }
                    self.stack.pop();
                }
                // An element was counted when it began; the tail closes the list.
                Some(Frame::List { .. }) => return Ok(hash),
                Some(Frame::Map {
                    left,
                    value_next,
                    outer_hash,
                    outer_xor,
                    keys_from,
                    key_start,
                }) => {
                    if !*value_next {
                        // A key ends: hashed from 0, its hash is phash2's own.
                        self.map_keys.push(MapKey {
                            hash,
                            start: *key_start,
                            end: c.at,
                        });
                        *value_next = true;
                        return Ok(hash);
                    }
                    *xor ^= hash;
                    hash = 0;
                    *value_next = false;
                    *left -= 1;
                    if *left > 0 {
                        return Ok(hash);
                    }
                    let (outer_hash, outer_xor, keys_from) = (*outer_hash, *outer_xor, *keys_from);
                    self.stack.pop();
                    check_unique_keys(c.bytes, &mut self.map_keys[keys_from..])?;
                    self.map_keys.truncate(keys_from);
                    hash = hash::hash1(outer_hash, *xor, hash::HCONST_19);
                    *xor = outer_xor;
                }
            }
        }
    }
}

/// Hashes the leaf term whose tag `t` at `at` has been consumed into `hash`;
/// `None` for a container (tuple, list, map, fun), which the walker opens.
#[inline(always)]
fn leaf(c: &mut Cursor<'_>, t: u8, at: usize, hash: u32) -> Result<Option<u32>, TermError> {
    let mut hash = hash;
    Ok(Some(match t {
        tag::SMALL_INTEGER => hash::small(hash, i32::from(c.u8()?)),
        tag::INTEGER => hash::int64(hash, i64::from(c.u32()? as i32)),
        tag::SMALL_BIG | tag::LARGE_BIG => integer(c, t)?.hash(hash),
        tag::NEW_FLOAT => {
            let v = f64::from_bits(c.u64()?);
            if !v.is_finite() {
                return Err(invalid("float is not finite", at));
            }
            hash::float(hash, v)
        }
        tag::FLOAT => {
            let v = old_float(c.bytes, c.at)?;
            c.take(31)?;
            hash::float(hash, v)
        }
        tag::ATOM | tag::SMALL_ATOM | tag::ATOM_UTF8 | tag::SMALL_ATOM_UTF8 => {
            hash::atom(hash, atom(c, t, at)?.hash)
        }
        tag::NIL => hash::nil(hash),
        tag::STRING => {
            let n = c.u16()?;
            let mut run = Run::default();
            for &b in c.take(usize::from(n))? {
                hash = run.push(hash, b);
            }
            hash = run.flush(hash);
            hash::nil(hash)
        }
        tag::BINARY => {
            let n = c.u32()?;
            hash::binary(hash, c.take(n as usize)?, None)
        }
        tag::BIT_BINARY => {
            let n = c.u32()? as usize;
            let bits = c.u8()?;
            if (bits == 0) != (n == 0) || bits > 8 {
                return Err(invalid("bit string with a bad bit count", at));
            }
            let data = c.take(n)?;
            match data.split_last() {
                Some((&last, whole)) if bits < 8 => hash::binary(hash, whole, Some((bits, last))),
                _ => hash::binary(hash, data, None),
            }
        }
        tag::PID | tag::NEW_PID => hash::hash1(hash, pid(c, t, at)?, hash::HCONST_5),
        tag::PORT | tag::NEW_PORT | tag::V4_PORT => {
            let node = whole_atom(c)?;
            let number = if t == tag::V4_PORT {
                c.u64()?
            } else {
                u64::from(c.u32()?)
            };
            let creation = if t == tag::PORT {
                tiny_creation(c, at)?
            } else {
                c.u32()?
            };
            if is_local(node.name, creation) && number > MAX_LOCAL_PORT_NUMBER {
                return Err(invalid("local port out of range", at));
            }
            hash::hash2(hash, number as u32, (number >> 32) as u32, hash::HCONST_6)
        }
        tag::REFERENCE | tag::NEW_REFERENCE | tag::NEWER_REFERENCE => {
            let words = if t == tag::REFERENCE {
                1
            } else {
                usize::from(c.u16()?)
            };
            // OTP 25 accepts a reference of no words and then corrupts
            // its heap: no Erlang can read such an object back.
            if words == 0 || words > MAX_REF_WORDS {
                return Err(invalid("reference with a bad number of words", at));
            }
            let node = whole_atom(c)?;
            let (first, creation) = if t == tag::REFERENCE {
                let first = c.u32()?;
                (first, tiny_creation(c, at)?)
            } else {
                let creation = if t == tag::NEW_REFERENCE {
                    tiny_creation(c, at)?
                } else {
                    c.u32()?
                };
                let ids = c.take(4 * words)?;
                (
                    u32::from_be_bytes([ids[0], ids[1], ids[2], ids[3]]),
                    creation,
                )
            };
            // The old encodings, and references of this node, keep the
            // emulator's 18-bit first word and at most three words.
            let local = is_local(node.name, creation);
            if (t != tag::NEWER_REFERENCE || local) && first > MAX_REF_FIRST_WORD {
                return Err(invalid("reference number out of range", at));
            }
            if local && words > MAX_LOCAL_REF_WORDS {
                return Err(invalid("local reference with too many words", at));
            }
            hash::hash1(hash, first, hash::HCONST_7)
        }
        tag::EXPORT => {
            let module = node_atom(c)?;
            let function = node_atom(c)?;
            // Any integer encoding of 0..2^59 - 1; the emulator keeps 32 bits.
            let arity_at = c.at;
            let arity_tag = c.u8()?;
            let arity = match is_integer(arity_tag).then(|| integer(c, arity_tag)) {
                Some(Ok(Int::Small(v))) if (0..MAX_EXPORT_ARITY).contains(&v) => v as u32,
                Some(Err(e)) => return Err(e),
                _ => return Err(invalid("export with a bad arity", arity_at)),
            };
            hash = hash::hash2(hash, arity, module, hash::HCONST);
            hash::hash1(hash, function, hash::HCONST_14)
        }
        _ => return Ok(None),
    }))
}

/// `binary_to_term` refuses a map with two equal keys.
fn check_unique_keys(bytes: &[u8], keys: &mut [MapKey]) -> Result<(), TermError> {
    keys.sort_unstable_by_key(|k| k.hash);
    for pair in keys.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if a.hash == b.hash && terms_equal(&bytes[a.start..a.end], &bytes[b.start..b.end])? {
            return Err(invalid("map with a duplicate key", b.start));
        }
    }
    Ok(())
}

fn invalid(what: &'static str, at: usize) -> TermError {
    TermError::Invalid { what, at }
}

fn is_integer(t: u8) -> bool {
    matches!(
        t,
        tag::SMALL_INTEGER | tag::INTEGER | tag::SMALL_BIG | tag::LARGE_BIG
    )
}

/// Reads an integer whose tag `t` at `at` has been consumed.
fn integer<'a>(c: &mut Cursor<'a>, t: u8) -> Result<Int<'a>, TermError> {
    Ok(match t {
        tag::SMALL_INTEGER => Int::Small(i64::from(c.u8()?)),
        tag::INTEGER => Int::Small(i64::from(c.u32()? as i32)),
        _ => {
            let n = if t == tag::SMALL_BIG {
                usize::from(c.u8()?)
            } else {
                c.u32()? as usize
            };
            let negative = c.u8()? != 0;
            let digits = c.take(n)?;
            // Erlang normalises: high zero bytes are not part of the number.
            let len = digits.iter().rposition(|&d| d != 0).map_or(0, |i| i + 1);
            let magnitude = &digits[..len];
            if len <= 8 {
                let mut word = [0u8; 8];
                word[..len].copy_from_slice(magnitude);
                let m = u64::from_le_bytes(word);
                // Values of the emulator's small range hash the same as bigs
                // of one digit, so only the value matters here.
                if m <= i64::MAX as u64 {
                    let v = m as i64;
                    return Ok(Int::Small(if negative { -v } else { v }));
                }
            }
            Int::Big {
                negative,
                magnitude,
            }
        }
    })
}

/// An atom's name and its atom-table hash.
struct Atom<'a> {
    name: &'a [u8],
    hash: u32,
}

/// Reads an atom whose tag `t` at `at` has been consumed.
fn atom<'a>(c: &mut Cursor<'a>, t: u8, at: usize) -> Result<Atom<'a>, TermError> {
    let len = match t {
        tag::ATOM | tag::ATOM_UTF8 => usize::from(c.u16()?),
        tag::SMALL_ATOM | tag::SMALL_ATOM_UTF8 => usize::from(c.u8()?),
        _ => return Err(invalid("expected an atom", at)),
    };
    let name = c.take(len)?;
    let hash = if t == tag::ATOM || t == tag::SMALL_ATOM {
        if len > MAX_ATOM_CHARS {
            return Err(invalid("atom longer than 255 characters", at));
        }
        hash::atom_name_latin1(name)
    } else {
        let text = std::str::from_utf8(name).map_err(|_| invalid("atom is not UTF-8", at))?;
        if len > MAX_ATOM_CHARS && text.chars().count() > MAX_ATOM_CHARS {
            return Err(invalid("atom longer than 255 characters", at));
        }
        hash::atom_name_utf8(name)
    };
    Ok(Atom { name, hash })
}

/// Reads a whole atom (tag included), as in pids, funs and exports.
fn whole_atom<'a>(c: &mut Cursor<'a>) -> Result<Atom<'a>, TermError> {
    let at = c.at;
    let t = c.u8()?;
    atom(c, t, at)
}

/// Reads a whole atom and gives its hash.
fn node_atom(c: &mut Cursor<'_>) -> Result<u32, TermError> {
    whole_atom(c).map(|a| a.hash)
}

/// The creation byte of the old pid, port and reference encodings: 0..=3.
fn tiny_creation(c: &mut Cursor<'_>, at: usize) -> Result<u32, TermError> {
    match c.u8()? {
        creation @ 0..=3 => Ok(u32::from(creation)),
        _ => Err(invalid("bad creation", at)),
    }
}

/// Whether a pid, port or reference is one of the reading node's own, which
/// the emulator holds to its internal limits (a non-distributed Erlang).
fn is_local(node: &[u8], creation: u32) -> bool {
    node == LOCAL_NODE && creation == 0
}

/// OldIndex and OldUniq of a fun: integers of the two small encodings.
fn fun_integer(c: &mut Cursor<'_>, at: usize) -> Result<u32, TermError> {
    match c.u8()? {
        tag::SMALL_INTEGER => Ok(u32::from(c.u8()?)),
        tag::INTEGER => c.u32(),
        _ => Err(invalid("fun with a bad index", at)),
    }
}

/// Where the term at `at` ends, checked as any term is (a walk of its own:
/// only for the rare fun).
fn end_of_term(bytes: &[u8], at: usize) -> Result<usize, TermError> {
    let (mut stack, mut map_keys) = (Vec::new(), Vec::new());
    Walker {
        stack: &mut stack,
        map_keys: &mut map_keys,
    }
    .term(bytes, at)
    .map(|(_, end)| end)
}

/// Reads a pid whose tag `t` at `at` has been consumed; gives its number.
fn pid(c: &mut Cursor<'_>, t: u8, at: usize) -> Result<u32, TermError> {
    let node = whole_atom(c)?;
    let number = c.u32()?;
    let serial = c.u32()?;
    let creation = if t == tag::PID {
        let creation = c.u8()?;
        if creation > 3 {
            return Err(invalid("pid with a bad creation", at));
        }
        u32::from(creation)
    } else {
        c.u32()?
    };
    if is_local(node.name, creation)
        && (number > MAX_LOCAL_PID_NUMBER || serial > MAX_LOCAL_PID_SERIAL)
    {
        return Err(invalid("local pid out of range", at));
    }
    Ok(number)
}

/// The old textual float at `at` (31 bytes of the encoding). As the emulator
/// does, its text runs to the first NUL, even past those 31 bytes, and must
/// read `[+-]digits[.,]digits`, optionally `e[+-]digits`; it may not overflow.
fn old_float(bytes: &[u8], at: usize) -> Result<f64, TermError> {
    let bad = || invalid("float text does not parse", at);
    let rest = bytes.get(at..).ok_or(TermError::Truncated { at })?;
    let text = &rest[..rest.iter().position(|&b| b == 0).ok_or_else(bad)?];
    let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
    let mut i = usize::from(matches!(text.first(), Some(b'+' | b'-')));
    let whole = digits(&text[i..]);
    i += whole;
    if whole == 0 || !matches!(text.get(i), Some(b'.' | b',')) {
        return Err(bad());
    }
    i += 1;
    let fraction = digits(&text[i..]);
    i += fraction;
    if fraction == 0 {
        return Err(bad());
    }
    if matches!(text.get(i), Some(b'e' | b'E')) {
        i += 1;
        i += usize::from(matches!(text.get(i), Some(b'+' | b'-')));
        let exponent = digits(&text[i..]);
        if exponent == 0 {
            return Err(bad());
        }
        i += exponent;
    }
    if i != text.len() {
        return Err(bad());
    }
    let text: String = text
        .iter()
        .map(|&b| if b == b',' { '.' } else { char::from(b) })
        .collect();
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests;
