//! The arithmetic of `erlang:phash2/1,2` (the emulator's `make_hash2`).
//!
//! The emulator hashes a term depth first with one running 32-bit state; each
//! leaf is folded in with Bob Jenkins' 96-bit mix and a constant per kind of
//! term. These are those building blocks; the traversal lives in the decoder,
//! which visits a term's encoding in the order the emulator visits the term.

/// The golden ratio, the seed of every constant below.
pub(crate) const HCONST: u32 = 0x9e37_79b9;

/// `HCONST * n mod 2^32`, the per-kind constants.
pub(crate) const fn hconst(n: u32) -> u32 {
    HCONST.wrapping_mul(n)
}

pub(crate) const HCONST_2: u32 = hconst(2);
pub(crate) const HCONST_3: u32 = hconst(3);
pub(crate) const HCONST_4: u32 = hconst(4);
pub(crate) const HCONST_5: u32 = hconst(5);
pub(crate) const HCONST_6: u32 = hconst(6);
pub(crate) const HCONST_7: u32 = hconst(7);
pub(crate) const HCONST_9: u32 = hconst(9);
pub(crate) const HCONST_10: u32 = hconst(10);
pub(crate) const HCONST_11: u32 = hconst(11);
pub(crate) const HCONST_12: u32 = hconst(12);
pub(crate) const HCONST_13: u32 = hconst(13);
pub(crate) const HCONST_14: u32 = hconst(14);
pub(crate) const HCONST_15: u32 = hconst(15);
pub(crate) const HCONST_16: u32 = hconst(16);
pub(crate) const HCONST_19: u32 = hconst(19);

/// The value `[]` hashes to when it is the first thing hashed.
pub(crate) const NIL_FIRST: u32 = 3_468_870_702;
/// The emulator's internal tag number of `[]`, which it hashes otherwise.
pub(crate) const NIL_TAG: u32 = 2;

/// Jenkins' mix of `a`, `b` into `c`.
#[inline(always)]
pub(crate) fn mix(a: u32, b: u32, c: u32) -> u32 {
    mix3(a, b, c).2
}

/// Folds two 32-bit values into `hash` under a kind constant.
#[inline(always)]
pub(crate) fn hash2(hash: u32, x: u32, y: u32, kind: u32) -> u32 {
    mix(kind.wrapping_add(x), kind.wrapping_add(y), hash)
}

/// Folds one 32-bit value into `hash` under a kind constant.
#[inline(always)]
pub(crate) fn hash1(hash: u32, x: u32, kind: u32) -> u32 {
    hash2(hash, x, 0, kind)
}

/// An integer: small ones (28 bits with sign) by value, larger ones by 64-bit
/// digits of their magnitude, least significant first.
pub(crate) fn integer(hash: u32, negative: bool, magnitude_le: &[u8]) -> u32 {
    if magnitude_le.len() <= 8 {
        let mut word = [0u8; 8];
        word[..magnitude_le.len()].copy_from_slice(magnitude_le);
        let m = u64::from_le_bytes(word);
        if m < (1 << 27) || (negative && m == 1 << 27) {
            let y = if negative {
                (m as i64).wrapping_neg()
            } else {
                m as i64
            } as i32;
            return small(hash, y);
        }
    }
    let kind = if negative { HCONST_10 } else { HCONST_11 };
    let mut hash = hash;
    for digit in magnitude_le.chunks(8) {
        let mut word = [0u8; 8];
        word[..digit.len()].copy_from_slice(digit);
        let d = u64::from_le_bytes(word);
        hash = hash2(hash, d as u32, (d >> 32) as u32, kind);
    }
    hash
}

/// An integer that fits 64 bits: [`integer`] without the byte juggling.
#[inline(always)]
pub(crate) fn int64(hash: u32, v: i64) -> u32 {
    if (-(1 << 27)..(1 << 27)).contains(&v) {
        small(hash, v as i32)
    } else {
        let m = v.unsigned_abs();
        let kind = if v < 0 { HCONST_10 } else { HCONST_11 };
        hash2(hash, m as u32, (m >> 32) as u32, kind)
    }
}

/// An integer in the signed 28-bit range.
#[inline(always)]
pub(crate) fn small(hash: u32, y: i32) -> u32 {
    let mut hash = hash;
    if y < 0 {
        // The emulator mixes negative numbers twice.
        hash = hash1(hash, y.wrapping_neg() as u32, HCONST);
    }
    hash1(hash, y as u32, HCONST)
}

/// A float by its IEEE bits, high word first; `-0.0` hashes as `0.0`.
pub(crate) fn float(hash: u32, value: f64) -> u32 {
    let bits = if value == 0.0 { 0 } else { value.to_bits() };
    hash2(hash, (bits >> 32) as u32, bits as u32, HCONST_12)
}

/// An atom, by the emulator's hash of its name.
#[inline(always)]
pub(crate) fn atom(hash: u32, name_hash: u32) -> u32 {
    if hash == 0 {
        name_hash
    } else {
        hash1(hash, name_hash, HCONST_3)
    }
}

/// `[]`.
#[inline(always)]
pub(crate) fn nil(hash: u32) -> u32 {
    if hash == 0 {
        NIL_FIRST
    } else {
        hash1(hash, NIL_TAG, HCONST_2)
    }
}

/// The emulator's atom-table hash (hashpjw) of a name held as UTF-8: a
/// two-byte sequence for U+0080..U+00FF counts as its Latin-1 byte.
pub(crate) fn atom_name_utf8(name: &[u8]) -> u32 {
    let mut h: u32 = 0;
    let mut i = 0;
    while i < name.len() {
        let mut v = name[i];
        i += 1;
        if i < name.len() && (v & 0xFE) == 0xC2 && (name[i] & 0xC0) == 0x80 {
            v = (v << 6) | (name[i] & 0x3F);
            i += 1;
        }
        h = pjw_step(h, v);
    }
    h
}

/// The same hash of a name held as Latin-1 (which the emulator stores as UTF-8).
pub(crate) fn atom_name_latin1(name: &[u8]) -> u32 {
    name.iter().fold(0, |h, &v| pjw_step(h, v))
}

#[inline(always)]
fn pjw_step(h: u32, v: u8) -> u32 {
    let mut h = (h << 4).wrapping_add(u32::from(v));
    let g = h & 0xf000_0000;
    if g != 0 {
        h ^= g >> 24;
        h ^= g;
    }
    h
}

/// A binary of whole bytes, and optionally `bits` (1..=7) more from `last`.
pub(crate) fn binary(hash: u32, bytes: &[u8], tail: Option<(u8, u8)>) -> u32 {
    let con = HCONST_13.wrapping_add(hash);
    if bytes.is_empty() && tail.is_none() {
        return con;
    }
    let mut hash = block_hash(bytes, con);
    if let Some((bits, last)) = tail {
        hash = hash2(
            hash,
            u32::from(bits),
            u32::from(last >> (8 - bits)),
            HCONST_15,
        );
    }
    hash
}

/// Jenkins' lookup2 over a block of bytes, seeded with `init`.
fn block_hash(bytes: &[u8], init: u32) -> u32 {
    let (mut a, mut b, mut c) = (HCONST, HCONST, init);
    let mut blocks = bytes.chunks_exact(12);
    for k in &mut blocks {
        a = a.wrapping_add(u32::from_le_bytes([k[0], k[1], k[2], k[3]]));
        b = b.wrapping_add(u32::from_le_bytes([k[4], k[5], k[6], k[7]]));
        c = c.wrapping_add(u32::from_le_bytes([k[8], k[9], k[10], k[11]]));
        (a, b, c) = mix3(a, b, c);
    }
    let rest = blocks.remainder();
    // The emulator adds the length as a 32-bit word (binaries over 4 GiB wrap).
    c = c.wrapping_add(bytes.len() as u32);
    let byte = |i: usize, shift: u32| u32::from(rest[i]) << shift;
    for (i, _) in rest.iter().enumerate() {
        match i {
            0..=3 => a = a.wrapping_add(byte(i, 8 * i as u32)),
            4..=7 => b = b.wrapping_add(byte(i, 8 * (i as u32 - 4))),
            // The first byte of c is reserved for the length.
            _ => c = c.wrapping_add(byte(i, 8 * (i as u32 - 7))),
        }
    }
    mix3(a, b, c).2
}

/// [`mix`] returning all three words, for the block loop.
#[inline(always)]
fn mix3(mut a: u32, mut b: u32, mut c: u32) -> (u32, u32, u32) {
    a = a.wrapping_sub(b).wrapping_sub(c) ^ (c >> 13);
    b = b.wrapping_sub(c).wrapping_sub(a) ^ (a << 8);
    c = c.wrapping_sub(a).wrapping_sub(b) ^ (b >> 13);
    a = a.wrapping_sub(b).wrapping_sub(c) ^ (c >> 12);
    b = b.wrapping_sub(c).wrapping_sub(a) ^ (a << 16);
    c = c.wrapping_sub(a).wrapping_sub(b) ^ (b >> 5);
    a = a.wrapping_sub(b).wrapping_sub(c) ^ (c >> 3);
    b = b.wrapping_sub(c).wrapping_sub(a) ^ (a << 10);
    c = c.wrapping_sub(a).wrapping_sub(b) ^ (b >> 15);
    (a, b, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_multiples_of_the_golden_ratio() {
        assert_eq!(HCONST_2, 0x3c6e_f372);
        assert_eq!(HCONST_9, 0x8ff3_4781);
        assert_eq!(HCONST_19, 0xbe1e_08bb);
    }

    #[test]
    fn latin1_and_utf8_names_hash_alike() {
        // 'é' as Latin-1 (one byte) and as UTF-8 (two bytes).
        assert_eq!(atom_name_latin1(&[0xE9]), atom_name_utf8(&[0xC3, 0xA9]));
        assert_eq!(atom_name_latin1(b"abc"), atom_name_utf8(b"abc"));
    }
}
