//! Named offsets and constants of the DETS version 9 file format.
//!
//! Every integer in a DETS file is an unsigned 32-bit big-endian word and every
//! offset is absolute. The constants below are derived from each other so that
//! a change to one shows up in all that depend on it.

/// Size in bytes of every integer in the file.
pub const WORD: u64 = 4;

/// Offset of the free-list pointer (the data end when the file was last saved).
pub const FREELISTS_POINTER: u64 = 0;
/// Offset of the cookie ([`COOKIE`]).
pub const COOKIE_OFFSET: u64 = FREELISTS_POINTER + WORD;
/// Offset of the closed-properly flag (1 closed, 0 open or crashed).
pub const CLOSED_PROPERLY_OFFSET: u64 = COOKIE_OFFSET + WORD;
/// Offset of the table type code (1 set, 2 bag, 3 duplicate_bag); first byte covered by the MD5.
pub const TYPE_OFFSET: u64 = CLOSED_PROPERLY_OFFSET + WORD;
/// Offset of the format version ([`VERSION`]).
pub const VERSION_OFFSET: u64 = TYPE_OFFSET + WORD;
/// Offset of M, the linear-hashing modulus.
pub const M_OFFSET: u64 = VERSION_OFFSET + WORD;
/// Offset of Next, the number of slots in use.
pub const NEXT_OFFSET: u64 = M_OFFSET + WORD;
/// Offset of the 1-based key position.
pub const KEYPOS_OFFSET: u64 = NEXT_OFFSET + WORD;
/// Offset of the object count (exact only in a properly closed file).
pub const NO_OBJECTS_OFFSET: u64 = KEYPOS_OFFSET + WORD;
/// Offset of the distinct key count (exact only in a properly closed file).
pub const NO_KEYS_OFFSET: u64 = NO_OBJECTS_OFFSET + WORD;
/// Offset of `min_no_slots`.
pub const MIN_SLOTS_OFFSET: u64 = NO_KEYS_OFFSET + WORD;
/// Offset of `max_no_slots`.
pub const MAX_SLOTS_OFFSET: u64 = MIN_SLOTS_OFFSET + WORD;
/// Offset of the hash method (1 phash2, 0 phash).
pub const HASH_METHOD_OFFSET: u64 = MAX_SLOTS_OFFSET + WORD;
/// Offset of N, the linear-hashing split pointer.
pub const N_OFFSET: u64 = HASH_METHOD_OFFSET + WORD;
/// Offset of the 28 collection counters.
pub const COUNTERS_OFFSET: u64 = N_OFFSET + WORD;
/// Number of collection counters: buddy blocks of 2^4 .. 2^31 bytes.
pub const COUNTERS: usize = 28;
/// Offset of the MD5 of bytes `TYPE_OFFSET..MD5_OFFSET`.
pub const MD5_OFFSET: u64 = COUNTERS_OFFSET + COUNTERS as u64 * WORD;
/// Length of the MD5 digest.
pub const MD5_LEN: u64 = 16;
/// Offset of the buddy allocator base (0 means [`BASE`]).
pub const BASE_FIELD_OFFSET: u64 = MD5_OFFSET + MD5_LEN;
/// Bytes of the header proper.
pub const HEADSZ: u64 = BASE_FIELD_OFFSET + WORD;
/// End of the header and its reserved area; the part pointer table starts here.
pub const HEADEND: u64 = 312;
/// Number of part pointers in the header.
pub const PART_POINTERS: u64 = 256;
/// First byte after the part pointer table: the lowest address of any block.
pub const BASE: u64 = HEADEND + PART_POINTERS * WORD;

/// Size of a segment-array part: 512 segment pointers.
pub const PART_SIZE: u64 = 2048;
/// Segment pointers in one part.
pub const SEGMENTS_PER_PART: u64 = PART_SIZE / WORD;
/// Bytes of one slot entry: `size:u32, pointer:u32`.
pub const SLOT_ENTRY: u64 = 2 * WORD;
/// Size of a segment: 256 slot entries.
pub const SEGMENT_SIZE: u64 = 2048;
/// Slots in one segment.
pub const SLOTS_PER_SEGMENT: u64 = SEGMENT_SIZE / SLOT_ENTRY;
/// The most slots a table can have.
pub const MAX_SLOTS: u64 = PART_POINTERS * SEGMENTS_PER_PART * SLOTS_PER_SEGMENT;

/// Bytes of an object collection's header: `size:u32, status:u32`.
pub const COLLECTION_HEADER: u64 = 2 * WORD;
/// The smallest buddy block.
pub const MIN_BLOCK_LOG2: u32 = 4;

/// Magic number at [`COOKIE_OFFSET`].
pub const COOKIE: u32 = 0x00AB_CDEF;
/// The only version this reader supports.
pub const VERSION: u32 = 9;
/// Status word of a live object collection.
pub const ACTIVE: u32 = 0x1234_5678;
/// Status word of a freed collection; also tags free-list records.
pub const FREE: u32 = 0x03AB_CDEF;
/// Marks the end of the free-list area.
pub const ENDFREE: u32 = 12345;
/// First byte of every Erlang external term format payload.
pub const ETF_VERSION: u8 = 131;

/// Bytes of a free-list record header: `recsize:u32, FREE:u32, k:u32`.
pub const FREELIST_RECORD_HEADER: u64 = 3 * WORD;

/// Buddy block size (log2) holding a collection of `size` bytes.
pub fn block_log2(size: u32) -> u32 {
    let log2 = u32::BITS - size.saturating_sub(1).leading_zeros();
    log2.max(MIN_BLOCK_LOG2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_offsets_match_the_documented_layout() {
        assert_eq!(TYPE_OFFSET, 12);
        assert_eq!(VERSION_OFFSET, 16);
        assert_eq!(KEYPOS_OFFSET, 28);
        assert_eq!(N_OFFSET, 52);
        assert_eq!(COUNTERS_OFFSET, 56);
        assert_eq!(MD5_OFFSET, 168);
        assert_eq!(BASE_FIELD_OFFSET, 184);
        assert_eq!(HEADSZ, 188);
        assert_eq!(BASE, 1336);
        assert_eq!(MAX_SLOTS, 33_554_432);
    }

    #[test]
    fn block_sizes_round_up_to_a_power_of_two_of_at_least_16() {
        assert_eq!(block_log2(1), 4);
        assert_eq!(block_log2(16), 4);
        assert_eq!(block_log2(17), 5);
        assert_eq!(block_log2(25), 5);
        assert_eq!(block_log2(2048), 11);
        assert_eq!(block_log2(u32::MAX), 32);
    }
}
