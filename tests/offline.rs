//! The offline commands as an operator runs them: `tablesafe rebuild` and
//! `tablesafe salvage`, their exit codes, their output, and that they never
//! replace a file.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::path::Path;
use std::process::Command;

use tablesafe_engine::dets::{self, FileStatus};

fn tablesafe(args: &[&Path]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tablesafe"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn salvage_exit_codes_say_whether_anything_was_lost() {
    let dir = tempfile::tempdir().unwrap();
    let clean = testkit::fixture("bag_100.dets");
    let out = dir.path().join("clean.dets");
    let (code, text) = tablesafe(&[Path::new("salvage"), &clean, &out]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("100 objects") && text.contains("nothing lost"),
        "{text}"
    );

    // One object's length word destroyed: the object is read through its
    // own encoding, and nothing is lost.
    let mut bytes = std::fs::read(testkit::fixture("set_grown.dets")).unwrap();
    let before = dets::inspect_bytes(&bytes).unwrap();
    let victim = find_record(&bytes);
    bytes[victim..victim + 4].copy_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
    let damaged = dir.path().join("damaged.dets");
    std::fs::write(&damaged, &bytes).unwrap();
    let out = dir.path().join("salvaged.dets");
    let (code, text) = tablesafe(&[Path::new("salvage"), &damaged, &out, Path::new("--json")]);
    let json: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert!(code == 0 || code == 2, "{text}");
    assert_eq!(json["ok"], true, "{json}");
    assert_eq!(
        json["objects"], before.walk.records,
        "no object lost: {json}"
    );
    assert_eq!(code, if json["lost_places"] == 0 { 0 } else { 2 });
    let after = dets::inspect(&out).unwrap();
    assert_eq!(after.status(), FileStatus::Ok);
    assert_eq!(after.digest(), before.digest());

    // An existing output is never replaced.
    let (code, text) = tablesafe(&[Path::new("salvage"), &damaged, &out]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("already exists"), "{text}");
    assert_eq!(dets::inspect(&out).unwrap().digest(), before.digest());

    // Not a DETS file at all: nothing written.
    let junk = dir.path().join("junk.dets");
    std::fs::write(&junk, b"not a table").unwrap();
    let nothing = dir.path().join("nothing.dets");
    let (code, text) = tablesafe(&[Path::new("salvage"), &junk, &nothing]);
    assert_eq!(code, 1, "{text}");
    assert!(!nothing.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        4,
        "no temporary file left"
    );
}

/// The offset of the first object record of the first collection after the
/// slot table: `[size][ACTIVE]` at a 16-byte step from 1336, then the record.
fn find_record(bytes: &[u8]) -> usize {
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (1336..bytes.len() - 8)
        .step_by(16)
        .find(|&at| word(at + 4) == 0x1234_5678)
        .map(|at| at + 8)
        .unwrap()
}

#[test]
fn rebuild_refuses_a_dirty_file_and_compacts_a_clean_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.dets");
    let (code, text) = tablesafe(&[
        Path::new("rebuild"),
        &testkit::fixture("set_open_dirty.dets"),
        &out,
    ]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("salvage"), "names the remedy: {text}");
    assert!(!out.exists());
    let (code, text) = tablesafe(&[
        Path::new("rebuild"),
        &testkit::fixture("set_fragmented.dets"),
        &out,
    ]);
    assert_eq!(code, 0, "{text}");
    let after = dets::inspect(&out).unwrap();
    assert_eq!(after.free_bytes, Some(0));
    assert_eq!(
        after.digest(),
        dets::inspect(&testkit::fixture("set_fragmented.dets"))
            .unwrap()
            .digest()
    );
}

/// Runs `tablesafe ARGS` with writes limited to `kib` KiB per file (as a
/// full disk stops them: the write fails, the process goes on).
fn tablesafe_with_room(kib: u64, args: &[&Path]) -> (i32, String) {
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(format!("trap '' XFSZ; ulimit -f {kib}; exec \"$0\" \"$@\""));
    command.arg(env!("CARGO_BIN_EXE_tablesafe")).args(args);
    let out = command.output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn a_write_that_fails_midway_leaves_no_output_and_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    // set_fragmented rebuilds to about 67 KB; 16 KiB of room fails midway.
    let source = testkit::fixture("set_fragmented.dets");
    for command in ["rebuild", "salvage"] {
        let out = dir.path().join(format!("{command}.dets"));
        let (code, text) = tablesafe_with_room(16, &[Path::new(command), &source, &out]);
        assert_eq!(code, 1, "{command}: {text}");
        assert!(
            text.contains("File too large") || text.contains("i/o error"),
            "{command}: {text}"
        );
        assert!(!out.exists(), "{command}: no output");
        // With room, the same command succeeds in the same directory.
        let (code, text) = tablesafe_with_room(1 << 20, &[Path::new(command), &source, &out]);
        assert_eq!(code, 0, "{command}: {text}");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut left = left;
    left.sort();
    assert_eq!(
        left,
        ["rebuild.dets", "salvage.dets"],
        "nothing else left behind"
    );
}
