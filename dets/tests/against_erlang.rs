//! Tables made by real Erlang at test time, in many shapes: every figure the
//! reader gives equals what Erlang itself reports for the same file.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use tablesafe_dets::{self as dets, FileStatus};
use testkit::DetsTool;

#[test]
fn reader_agrees_with_erlang_on_every_shape() {
    let Some(tool) = DetsTool::find() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let shapes: Vec<&str> = testkit::CLOSED_SHAPES
        .iter()
        .copied()
        .chain(["open_copy"])
        .collect();
    tool.make(dir.path(), &shapes);
    for shape in &shapes {
        let path = dir.path().join(format!("{shape}.dets"));
        let erlang = tool.report(&path);
        let insp = dets::inspect(&path).unwrap_or_else(|e| panic!("{shape}: {e}"));
        let ctx = format!("{shape}: erlang {erlang}, ours {:?}", insp.messages());
        assert_eq!(insp.file_size, erlang["file_size"], "{ctx}");
        if erlang["accepted"] == true {
            assert_eq!(insp.status(), FileStatus::Ok, "{ctx}");
            assert_eq!(insp.header.table_type.as_str(), erlang["type"], "{ctx}");
            assert_eq!(u64::from(insp.header.keypos), erlang["keypos"], "{ctx}");
            assert_eq!(insp.walk.records, erlang["size"], "{ctx}");
            assert_eq!(insp.walk.records, erlang["objects"], "{ctx}");
            assert_eq!(insp.walk.keys, erlang["no_keys"], "{ctx}");
            assert_eq!(insp.walk.keys, erlang["distinct_keys"], "{ctx}");
            assert_eq!(insp.free_bytes, erlang["free_bytes"].as_u64(), "{ctx}");
        } else {
            // A copy of an open table: Erlang refuses it and its repair keeps
            // exactly the objects the slot walk finds.
            assert_eq!(erlang["error"], "needs_repair", "{ctx}");
            assert_eq!(insp.status(), FileStatus::NeedsRepair, "{ctx}");
            assert_eq!(insp.walk.records, erlang["repaired"], "{ctx}");
        }
    }
}
