//! Bad input never panics and always gets the right typed error.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::path::PathBuf;

use md5::{Digest, Md5};
use tablesafe_dets::{self as dets, DetsError, FileStatus, Inspection};
use testkit::Rng;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/dets")
        .join(name);
    std::fs::read(path).expect("fixture")
}

/// Recomputes the header MD5 after an edit of bytes 12..168.
fn reseal(bytes: &mut [u8]) {
    let digest = Md5::digest(&bytes[12..168]);
    bytes[168..184].copy_from_slice(&digest);
}

fn put_word(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_be_bytes());
}

fn status_of(result: &Result<Inspection, DetsError>) -> FileStatus {
    match result {
        Ok(insp) => insp.status(),
        Err(err) => err.status(),
    }
}

#[test]
fn hand_corrupted_headers_give_the_exact_error() {
    let good = fixture("set_10.dets");
    let edit = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = good.clone();
        f(&mut b);
        dets::inspect_bytes(&b)
    };
    assert!(matches!(
        edit(&|b| put_word(b, 4, 0xDEAD_BEEF)),
        Err(DetsError::NotDets { .. })
    ));
    assert!(matches!(
        edit(&|b| put_word(b, 16, 8)),
        Err(DetsError::UnsupportedVersion { version: 8 })
    ));
    assert!(matches!(
        edit(&|b| put_word(b, 16, 10)),
        Err(DetsError::UnsupportedVersion { version: 10 })
    ));
    assert!(matches!(
        edit(&|b| put_word(b, 8, 2)),
        Err(DetsError::Corrupt { offset: 8, .. })
    ));
    assert!(matches!(
        edit(&|b| {
            put_word(b, 12, 4);
            reseal(b)
        }),
        Err(DetsError::Corrupt { offset: 12, .. })
    ));
    assert!(matches!(
        edit(&|b| {
            put_word(b, 48, 7);
            reseal(b)
        }),
        Err(DetsError::Corrupt { offset: 48, .. })
    ));
    assert!(matches!(
        edit(&|b| b[170] ^= 1),
        Err(DetsError::HeaderChecksum)
    ));
    assert!(matches!(
        edit(&|b| put_word(b, 32, 11)),
        Err(DetsError::HeaderChecksum)
    ));
    assert!(matches!(
        edit(&|b| {
            put_word(b, 20, 300);
            reseal(b)
        }),
        Err(DetsError::Corrupt { offset: 20, .. })
    ));

    // No MD5 means the header counts are not checked there, but the walk still is.
    let zeroed = edit(&|b| {
        b[168..184].fill(0);
        put_word(b, 32, 11);
    })
    .expect("header reads");
    assert_eq!(zeroed.status(), FileStatus::Corrupt);
    assert!(zeroed
        .messages()
        .iter()
        .any(|m| m.contains("header counts 11 objects")));

    // A reserved byte is not looked at (Erlang accepts it too).
    assert_eq!(status_of(&edit(&|b| b[200] = 7)), FileStatus::Ok);
    // Flag 0, a changed trailer or base field, or an appended byte: Erlang repairs.
    for f in [
        &(|b: &mut Vec<u8>| put_word(b, 8, 0)) as &dyn Fn(&mut Vec<u8>),
        &|b| {
            let n = b.len();
            put_word(b, n - 4, 1)
        },
        &|b| put_word(b, 184, 1),
        &|b| b.push(0),
    ] {
        assert_eq!(status_of(&edit(f)), FileStatus::NeedsRepair);
    }
}

#[test]
fn damaged_collections_are_corrupt_with_their_offset() {
    let good = fixture("set_10.dets");
    // set_10: part at 1336, segment at 3384, first collection at 5432.
    let mut freed = good.clone();
    put_word(&mut freed, 5432 + 4, 0x03AB_CDEF);
    let insp = dets::inspect_bytes(&freed).expect("header reads");
    assert_eq!(insp.status(), FileStatus::Corrupt);
    let err = insp.check_sound().unwrap_err();
    assert!(
        matches!(err, DetsError::Corrupt { offset: 5436, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("FREE"), "{err}");

    let mut not_etf = good.clone();
    not_etf[5432 + 12] = 130;
    let err = dets::inspect_bytes(&not_etf)
        .expect("header")
        .check_sound()
        .unwrap_err();
    assert!(
        matches!(err, DetsError::Corrupt { offset: 5444, .. }),
        "{err}"
    );

    let mut bad_length = good.clone();
    put_word(&mut bad_length, 5432 + 8, 9999);
    let err = dets::inspect_bytes(&bad_length)
        .expect("header")
        .check_sound()
        .unwrap_err();
    assert!(err.to_string().contains("does not fit"), "{err}");
}

#[test]
fn empty_and_tiny_files_are_not_dets() {
    assert!(matches!(
        dets::inspect_bytes(&[]),
        Err(DetsError::NotDets { .. })
    ));
    assert!(matches!(
        dets::inspect_bytes(b"hello"),
        Err(DetsError::NotDets { .. })
    ));
    assert!(matches!(
        dets::inspect_bytes(&[0u8; 10_000]),
        Err(DetsError::NotDets { .. })
    ));
}

#[test]
fn every_prefix_of_real_files_is_truncated_or_not_dets() {
    for name in [
        "set_10.dets",
        "bag_100.dets",
        "dup_bag_50.dets",
        "set_open_synced.dets",
    ] {
        let file = fixture(name);
        for cut in 0..file.len() {
            let result = dets::inspect_bytes(&file[..cut]);
            let status = status_of(&result);
            let want = if cut < 8 {
                FileStatus::NotDets
            } else {
                FileStatus::Truncated
            };
            assert_eq!(
                status,
                want,
                "{name} cut to {cut}: {:?}",
                result.map(|i| i.messages())
            );
        }
    }
}

#[test]
fn prefixes_of_a_grown_table_are_truncated() {
    let file = fixture("set_grown.dets");
    for cut in (8..file.len())
        .step_by(97)
        .chain(file.len() - 40..file.len())
    {
        let result = dets::inspect_bytes(&file[..cut]);
        assert_eq!(status_of(&result), FileStatus::Truncated, "cut to {cut}");
    }
}

/// A damaged file may be rejected or flagged, but never passed as ok with other figures.
fn assert_never_wrong(original: &Inspection, damaged: &[u8], what: &str) {
    if let Ok(insp) = dets::inspect_bytes(damaged) {
        if insp.status() == FileStatus::Ok {
            assert_eq!(insp.walk.records, original.walk.records, "{what}");
            assert_eq!(insp.walk.keys, original.walk.keys, "{what}");
            assert_eq!(insp.header.table_type, original.header.table_type, "{what}");
        }
    }
}

#[test]
fn single_byte_flips_in_the_header_and_first_segments_never_pass_wrong_figures() {
    for name in [
        "set_10.dets",
        "bag_100.dets",
        "set_grown.dets",
        "set_fragmented.dets",
    ] {
        let file = fixture(name);
        let original = dets::inspect_bytes(&file).expect("fixture reads");
        let end = file.len().min(1336 + 6 * 2048);
        for at in 0..end {
            for mask in [0x01u8, 0x80, 0xFF] {
                let mut damaged = file.clone();
                damaged[at] ^= mask;
                assert_never_wrong(
                    &original,
                    &damaged,
                    &format!("{name} byte {at} ^ {mask:#x}"),
                );
            }
        }
    }
}

#[test]
fn random_damage_and_random_bytes_never_panic() {
    let mut rng = Rng(0x5EED_0FDE);
    let files: Vec<Vec<u8>> = [
        "set_grown.dets",
        "bag_100.dets",
        "dup_bag_50.dets",
        "set_open_dirty.dets",
    ]
    .into_iter()
    .map(fixture)
    .collect();
    for round in 0..3000 {
        let file = &files[round % files.len()];
        let original = dets::inspect_bytes(file).expect("fixture reads");
        let mut damaged = file.clone();
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(damaged.len());
            damaged[at] = rng.next_u64() as u8;
        }
        if rng.below(4) == 0 {
            damaged.truncate(rng.below(damaged.len()));
        }
        if original.status() == FileStatus::Ok {
            assert_never_wrong(&original, &damaged, &format!("round {round}"));
        } else {
            let _ = dets::inspect_bytes(&damaged);
        }
    }
    // A valid header in front of noise: the walk meets garbage pointers everywhere.
    let header = &files[0][..1336];
    for _ in 0..300 {
        let mut noise = header.to_vec();
        noise.extend((0..rng.below(70_000)).map(|_| rng.next_u64() as u8));
        let result = dets::inspect_bytes(&noise);
        assert_ne!(status_of(&result), FileStatus::Ok);
    }
    for _ in 0..300 {
        let noise: Vec<u8> = (0..rng.below(5000)).map(|_| rng.next_u64() as u8).collect();
        let _ = dets::inspect_bytes(&noise);
    }
}
