//! The free-list area a save appends at the data end, and the trailer after it.
//!
//! ```text
//! D:  [recsize][FREE][k][addr]...   one or more records per block size 2^(k-1)
//!     ...
//!     [12][FREE][12345]             end marker
//!     [trailer]                     file length - base field
//! ```

use super::format::*;
use super::source::{be_word, Bytes, ReadAt, Window};
use super::DetsError;

/// Reads the free lists of a closed file whose data ends at `data_end`.
///
/// Returns the free intervals inside the data area, clipped to `data_end`, in
/// ascending order (blocks past the data end are the buddy system's unused
/// upper halves, not holes).
pub(crate) fn read_free_lists<R: ReadAt + ?Sized>(
    w: &mut Window<'_, R>,
    data_end: u64,
) -> Result<Vec<(u64, u64)>, DetsError> {
    let trailer_at = w.len() - WORD;
    let mut at = data_end;
    let mut free = Vec::new();
    let mut last: Option<(u32, u32)> = None;
    loop {
        if at + FREELIST_RECORD_HEADER > trailer_at {
            return Err(DetsError::truncated(
                w.len(),
                format!("free-list area at {at} ends before its end marker"),
            ));
        }
        let head = w.bytes(at, FREELIST_RECORD_HEADER as usize, "free-list record")?;
        let (size, status, k) = (be_word(head, 0), be_word(head, 4), be_word(head, 8));
        if status != FREE {
            return Err(DetsError::corrupt(
                at + WORD,
                format!("free-list record status {status:#010x}, not FREE"),
            ));
        }
        if u64::from(size) == FREELIST_RECORD_HEADER && k == ENDFREE {
            at += FREELIST_RECORD_HEADER;
            break;
        }
        let addresses = u64::from(size).saturating_sub(FREELIST_RECORD_HEADER) / WORD;
        if !(1..=32).contains(&k)
            || addresses == 0
            || u64::from(size) != FREELIST_RECORD_HEADER + addresses * WORD
        {
            return Err(DetsError::corrupt(
                at,
                format!("free-list record of {size} bytes for block class {k}"),
            ));
        }
        if at + u64::from(size) > trailer_at {
            return Err(DetsError::truncated(
                w.len(),
                format!("free-list record at {at} of {size} bytes runs past the end"),
            ));
        }
        let block = 1u64 << (k - 1);
        let list_at = at + FREELIST_RECORD_HEADER;
        for i in 0..addresses {
            let addr = w.word(list_at + i * WORD, "free-list address")?;
            if last.is_some_and(|(lk, la)| lk == k && addr <= la) {
                return Err(DetsError::corrupt(
                    list_at + i * WORD,
                    format!("free-list addresses for block class {k} are not ascending"),
                ));
            }
            last = Some((k, addr));
            // Blocks beyond the data end (the buddy system's unused upper
            // halves) count too: dets takes whatever no free list holds for
            // allocated space, and reads it.
            let start = u64::from(addr);
            free.push((start, start + block));
        }
        at += u64::from(size);
    }
    if at != trailer_at {
        return Err(DetsError::corrupt(
            at,
            format!(
                "free-list end marker is followed by {} bytes, not the 4-byte trailer",
                w.len() - at
            ),
        ));
    }
    free.sort_unstable();
    Ok(free)
}

/// Checks that live blocks and free blocks cover `[BASE, data_end)` exactly once.
pub(crate) fn check_tiling(
    live: &[(u64, u64)],
    free: &[(u64, u64)],
    data_end: u64,
) -> Result<(), DetsError> {
    let (mut l, mut f) = (live.iter().peekable(), free.iter().peekable());
    let mut cursor = BASE;
    loop {
        let (next, is_free) = match (l.peek(), f.peek()) {
            (Some(&&a), Some(&&b)) if b.0 < a.0 => (f.next().copied(), true),
            (Some(_), _) => (l.next().copied(), false),
            (None, Some(_)) => (f.next().copied(), true),
            (None, None) => break,
        };
        let Some((start, end)) = next else { break };
        if start != cursor {
            let what = if start > cursor {
                format!("bytes [{cursor}, {start}) are neither allocated nor on a free list")
            } else if is_free {
                format!("free block [{start}, {end}) overlaps allocated space")
            } else {
                format!("allocated block [{start}, {end}) is also on a free list")
            };
            return Err(DetsError::corrupt(start.min(cursor), what));
        }
        cursor = end;
    }
    if cursor < data_end {
        return Err(DetsError::corrupt(
            cursor,
            format!("bytes [{cursor}, {data_end}) are neither allocated nor on a free list"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiling_accepts_an_exact_cover_and_names_gaps_and_overlaps() {
        let live = [(BASE, 2000), (2100, 2200)];
        assert!(check_tiling(&live, &[(2000, 2100)], 2200).is_ok());
        let gap = check_tiling(&live, &[], 2200).unwrap_err().to_string();
        assert!(gap.contains("[2000, 2100) are neither"), "{gap}");
        let overlap = check_tiling(&live, &[(1990, 2100)], 2200)
            .unwrap_err()
            .to_string();
        assert!(overlap.contains("overlaps"), "{overlap}");
        let short = check_tiling(&live, &[(2000, 2100)], 2300)
            .unwrap_err()
            .to_string();
        assert!(short.contains("[2200, 2300)"), "{short}");
    }
}
