//! Rebuilt tables proved by real Erlang: every shape Erlang makes is rebuilt,
//! and Erlang opens the new file with `{repair, false}`, finds every key's
//! objects as in the source, takes 1,000 inserts and 1,000 deletes, closes it
//! and opens it again with `{repair, false}`.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::path::Path;

use tablesafe_dets::{self as dets, FileStatus};
use testkit::DetsTool;

use testkit::CLOSED_SHAPES as SHAPES;

const FIXTURES: &[&str] = &[
    "set_empty",
    "set_10",
    "bag_100",
    "dup_bag_50",
    "set_grown",
    "set_fragmented",
    "set_open_synced",
];

/// Rebuilds `source` into `out` and has Erlang prove it.
fn rebuild_and_prove(tool: &DetsTool, source: &Path, out: &Path) {
    let name = source.file_name().unwrap().to_string_lossy().into_owned();
    let before = dets::inspect(source).unwrap();
    let rebuilt = dets::rebuild(source, out).unwrap_or_else(|e| panic!("{name}: {e}"));
    let after = dets::inspect(out).unwrap();
    assert_eq!(
        after.status(),
        FileStatus::Ok,
        "{name}: {:?}",
        after.messages()
    );
    assert_eq!(after.digest(), before.digest(), "{name}");
    assert_eq!(rebuilt.written.file_size, after.file_size, "{name}");
    assert_eq!(
        after.free_bytes,
        Some(0),
        "{name}: a rebuilt file has no holes"
    );

    let proof = tool.prove(source, out);
    let ctx = format!("{name}: {proof}");
    assert_eq!(proof["accepted"], true, "{ctx}");
    assert_eq!(proof["lookup_mismatches"], 0, "{ctx}");
    assert_eq!(proof["keys_looked_up"], before.walk.keys, "{ctx}");
    assert_eq!(proof["copy"]["size"], before.walk.records, "{ctx}");
    assert_eq!(proof["copy"]["no_keys"], before.walk.keys, "{ctx}");
    assert_eq!(proof["source"], proof["copy"], "{ctx}");
    testkit::assert_update_cycle(&proof, &ctx);
}

#[test]
fn every_shape_erlang_makes_is_rebuilt_and_proved_by_erlang() {
    let Some(tool) = DetsTool::find() else { return };
    let dir = tempfile::tempdir().unwrap();
    tool.make(dir.path(), SHAPES);
    for shape in SHAPES {
        let source = dir.path().join(format!("{shape}.dets"));
        rebuild_and_prove(&tool, &source, &dir.path().join(format!("{shape}.rebuilt")));
    }
    for fixture in FIXTURES {
        let out = dir.path().join(format!("{fixture}.rebuilt"));
        rebuild_and_prove(&tool, &testkit::fixture(&format!("{fixture}.dets")), &out);
    }
    // Erlang's content digest of each rebuilt file equals the source's.
    let digests = tool.digests(dir.path());
    for shape in SHAPES {
        let ours = dets::inspect(&dir.path().join(format!("{shape}.rebuilt")))
            .unwrap()
            .digest()
            .unwrap();
        let erlang = digests
            .iter()
            .find(|d| d.file == format!("{shape}.dets"))
            .unwrap();
        assert_eq!(
            (erlang.objects, erlang.sum),
            (Some(ours.objects), Some(ours.sum)),
            "{shape}"
        );
    }
}

#[test]
fn a_million_objects_are_rebuilt_and_proved_by_erlang() {
    let Some(tool) = DetsTool::find() else { return };
    let dir = tempfile::tempdir().unwrap();
    tool.make(dir.path(), &["set_1m"]);
    let source = dir.path().join("set_1m.dets");
    rebuild_and_prove(&tool, &source, &dir.path().join("set_1m.rebuilt"));
}

#[test]
fn a_file_that_is_not_sound_and_closed_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    for fixture in ["set_open_dirty", "truncated", "set_open_unflushed"] {
        let out = dir.path().join(format!("{fixture}.rebuilt"));
        let err = dets::rebuild(&testkit::fixture(&format!("{fixture}.dets")), &out).unwrap_err();
        assert!(
            matches!(err, dets::RebuildError::NotSound { .. }),
            "{fixture}: {err}"
        );
        assert!(err.to_string().contains("salvage"), "{err}");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "no file left"
        );
    }
    // An existing output is never replaced.
    let out = dir.path().join("taken.dets");
    std::fs::write(&out, b"keep me").unwrap();
    assert!(dets::rebuild(&testkit::fixture("set_10.dets"), &out).is_err());
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}
