//! Every Erlang-written fixture gives exactly Erlang's figures (EXPECTED.json).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::path::PathBuf;

use serde_json::Value;
use tablesafe_dets::{self as dets, FileStatus};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/dets")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(fixtures().join("EXPECTED.json")).expect("EXPECTED.json");
    serde_json::from_str(&text).expect("EXPECTED.json parses")
}

#[test]
fn every_fixture_matches_erlangs_figures() {
    let expected = expected();
    let files = expected["files"].as_object().expect("files");
    assert_eq!(files.len(), 10, "all ten fixtures are listed");
    for (name, entry) in files {
        let want = &entry["expect"];
        let insp = dets::inspect(&fixtures().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let ctx = format!("{name}: {:?}", insp.messages());

        assert_eq!(insp.header.table_type.as_str(), want["type"], "{ctx}");
        assert_eq!(u64::from(insp.header.keypos), want["keypos"], "{ctx}");
        assert_eq!(insp.file_size, want["file_size"], "{ctx}");
        assert_eq!(
            u64::from(insp.header.closed_flag),
            want["closed_properly_flag"],
            "{ctx}"
        );
        assert_eq!(
            insp.closed_properly, want["accepted_by_open_file_repair_false"],
            "{ctx}"
        );
        assert_eq!(
            u64::from(insp.header.no_objects),
            want["header_no_objects"],
            "{ctx}"
        );
        assert_eq!(
            u64::from(insp.header.no_keys),
            want["header_no_keys"],
            "{ctx}"
        );
        assert_eq!(
            insp.walk.records, want["objects_found_by_slot_walk"],
            "{ctx}"
        );
        assert_eq!(insp.walk.keys, want["keys_found_by_slot_walk"], "{ctx}");
        if let Some(n) = want["no_objects"].as_u64() {
            assert_eq!(insp.walk.records, n, "{ctx}");
            assert_eq!(insp.walk.keys, want["no_keys"], "{ctx}");
        }

        match want["free_bytes_in_data_area"].as_u64() {
            Some(free) => {
                assert_eq!(insp.free_bytes, Some(free), "{ctx}");
                // Exact ratio from Erlang's byte counts; EXPECTED's own ratio is rounded to 1e-6.
                let exact = free as f64 / want["file_size"].as_f64().expect("size");
                let ratio = insp.fragmentation_ratio().expect("ratio");
                assert!((ratio - exact).abs() < 1e-9, "{ctx}: {ratio} vs {exact}");
                let rounded = want["fragmentation_ratio"].as_f64().expect("ratio");
                assert!((ratio - rounded).abs() <= 5e-7, "{ctx}");
            }
            None => assert_eq!(insp.free_bytes, None, "{ctx}"),
        }

        let reference = &entry["reference_parser"];
        assert_eq!(insp.walk.parts, reference["parts"], "{ctx}");
        if let Some(live) = reference["live_exact_bytes"].as_u64() {
            assert_eq!(insp.walk.live_bytes, live, "{ctx}");
            assert_eq!(insp.walk.collections, reference["collections"], "{ctx}");
        }

        let status = match (want["structurally_sound"].as_bool(), insp.closed_properly) {
            (Some(false), _) => FileStatus::Truncated,
            (_, true) => FileStatus::Ok,
            (_, false) => FileStatus::NeedsRepair,
        };
        assert_eq!(insp.status(), status, "{ctx}");
    }
}

#[test]
fn the_truncated_fixture_names_every_collection_past_the_end() {
    let insp = dets::inspect(&fixtures().join("truncated.dets")).expect("header reads");
    assert_eq!(insp.status(), FileStatus::Truncated);
    // 2 segments and 147 collections lie past the end (FORMAT.md's reference walk: 149 errors).
    assert_eq!(insp.problems.total(), 149 + 1, "{:?}", insp.messages());
    let first = insp.messages().join("\n");
    assert!(first.contains("not closed properly"), "{first}");
    assert!(first.contains("beyond the end of the file"), "{first}");
}
