//! Hashes checked against values real Erlang gave (OTP 25); the corpus test
//! in `tests/terms_against_erlang.rs` checks the rest.

use super::*;

fn hash(etf: &[u8]) -> Result<u32, TermError> {
    TermDecoder::new().hash(etf)
}

#[test]
fn known_hashes_from_erlang() {
    // erlang:phash2(T, 4294967296) for these encodings, printed by OTP 25.
    let cases: &[(&[u8], u32)] = &[
        (&[131, 97, 1], 539_485_162),
        (&[131, 106], 3_468_870_702),
        (&[131, 108, 0, 0, 0, 0, 106], 3_468_870_702),
        (&[131, 108, 0, 0, 0, 0, 97, 5], 676_967_202),
        (&[131, 77, 0, 0, 0, 0, 0], 147_926_629),
        (&[131, 77, 0, 0, 0, 1, 8, 5], 3_949_063_731),
        (&[131, 110, 1, 2, 5], 517_668_864),
        (&[131, 110, 0, 0], 3_175_731_469),
        (&[131, 100, 0, 3, b'a', b'@', b'b'], 25954),
        // Trailing bytes after a term are ignored, as binary_to_term does.
        (&[131, 104, 2, 97, 1, 97, 2, 0, 0, 0], 4_118_095_950),
    ];
    for (etf, expected) in cases {
        assert_eq!(hash(etf), Ok(*expected), "{etf:?}");
    }
}

#[test]
fn refusals_match_binary_to_term() {
    let refused: &[&[u8]] = &[
        &[],
        &[130, 97, 1],
        &[131],
        &[131, 77, 0, 0, 0, 0, 1],
        &[131, 77, 0, 0, 0, 1, 0, 5],
        &[131, 77, 0, 0, 0, 1, 9, 5],
        &[131, 70, 127, 240, 0, 0, 0, 0, 0, 0],
        &[131, 104, 3, 97, 1],
        &[131, 200],
        // A map with the key 1 twice.
        &[131, 116, 0, 0, 0, 2, 97, 1, 97, 2, 97, 1, 97, 3],
        // The same key, once as a small and once as a big.
        &[131, 116, 0, 0, 0, 2, 97, 1, 97, 2, 110, 1, 0, 1, 97, 3],
    ];
    for etf in refused {
        assert!(hash(etf).is_err(), "{etf:?}");
    }
}

#[test]
fn encodings_of_one_term_hash_alike() {
    let groups: &[&[&[u8]]] = &[
        // 'é' as Latin-1 and as UTF-8.
        &[
            &[131, 100, 0, 1, 0xE9],
            &[131, 119, 2, 0xC3, 0xA9],
            &[131, 115, 1, 0xE9],
        ],
        // 5 as a small integer, an integer and a big.
        &[
            &[131, 97, 5],
            &[131, 98, 0, 0, 0, 5],
            &[131, 110, 2, 0, 5, 0],
        ],
        // "ab" as a string, a list of bytes, and a list whose tail is a string.
        &[
            &[131, 107, 0, 2, b'a', b'b'],
            &[131, 108, 0, 0, 0, 2, 97, b'a', 97, b'b', 106],
            &[131, 108, 0, 0, 0, 1, 97, b'a', 107, 0, 1, b'b'],
        ],
        // #{1 => 2, 3 => 4} in either order.
        &[
            &[131, 116, 0, 0, 0, 2, 97, 1, 97, 2, 97, 3, 97, 4],
            &[131, 116, 0, 0, 0, 2, 97, 3, 97, 4, 97, 1, 97, 2],
        ],
    ];
    for group in groups {
        let first = hash(group[0]).unwrap();
        for etf in &group[1..] {
            assert_eq!(hash(etf), Ok(first), "{etf:?} vs {:?}", group[0]);
        }
        let bare: Vec<&[u8]> = group.iter().map(|etf| &etf[1..]).collect();
        for other in &bare[1..] {
            assert_eq!(terms_equal(bare[0], other), Ok(true), "{other:?}");
        }
    }
}

#[test]
fn objects_give_their_key() {
    // {a, 1} with keypos 1 and 2.
    let etf = [131, 104, 2, 100, 0, 1, b'a', 97, 1];
    let mut dec = TermDecoder::new();
    let o = dec.object(&etf, 1).unwrap();
    assert_eq!(&dec.body(&etf, &o)[o.key.clone()], &[100, 0, 1, b'a']);
    assert_eq!(o.key_hash, hash(&[131, 100, 0, 1, b'a']).unwrap());
    assert_eq!(o.hash, hash(&etf).unwrap());
    let o = dec.object(&etf, 2).unwrap();
    assert_eq!(o.key_hash, hash(&[131, 97, 1]).unwrap());
    assert_eq!(
        dec.object(&etf, 3),
        Err(TermError::NotAnObject { keypos: 3 })
    );
    assert_eq!(
        dec.object(&[131, 97, 1], 1),
        Err(TermError::NotAnObject { keypos: 1 })
    );
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let mut etf = vec![131];
    for _ in 0..1_000_000 {
        etf.extend([104, 1]);
    }
    etf.push(106);
    assert!(hash(&etf).is_ok());
    etf.pop();
    assert!(matches!(hash(&etf), Err(TermError::Truncated { .. })));
}

#[test]
fn every_prefix_of_a_term_is_refused_without_panicking() {
    let etf = [
        131, 116, 0, 0, 0, 1, 107, 0, 2, b'h', b'i', 108, 0, 0, 0, 2, 70, 64, 9, 33, 251, 84, 68,
        45, 24, 109, 0, 0, 0, 3, 1, 2, 3, 106,
    ];
    assert!(hash(&etf).is_ok());
    for len in 0..etf.len() {
        assert!(hash(&etf[..len]).is_err(), "prefix {len}");
    }
}
