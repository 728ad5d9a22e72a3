//! `tablesafe inspect` as an operator runs it: JSON fields, the table, exit codes.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::process::{Command, Output};

use serde_json::Value;
use testkit::fixture;

fn inspect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tablesafe"))
        .arg("inspect")
        .args(args)
        .output()
        .expect("tablesafe runs")
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

#[test]
fn json_reports_every_field_for_each_file() {
    let grown = fixture("set_grown.dets");
    let bag = fixture("bag_100.dets");
    let out = inspect(&["--json", grown.to_str().unwrap(), bag.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = json_lines(&out);
    assert_eq!(files.len(), 2);
    let g = &files[0];
    assert_eq!(g["path"], grown.to_str().unwrap());
    assert_eq!(g["status"], "ok");
    assert_eq!(g["type"], "set");
    assert_eq!(g["keypos"], 1);
    assert_eq!(g["records"], 1200);
    assert_eq!(g["keys"], 1200);
    assert_eq!(g["header_records"], 1200);
    assert_eq!(g["header_keys"], 1200);
    assert_eq!(g["file_size"], 54857);
    assert_eq!(g["free_bytes"], 1280);
    let ratio = g["fragmentation_ratio"].as_f64().unwrap();
    assert!((ratio - 1280.0 / 54857.0).abs() < 1e-12);
    assert_eq!(g["closed_properly"], true);
    assert_eq!(g["problems"], Value::Array(vec![]));
    assert_eq!(files[1]["type"], "bag");
    assert_eq!(files[1]["keypos"], 2);
    assert_eq!(files[1]["keys"], 30);
}

#[test]
fn any_file_not_ok_exits_1_with_its_status() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.dets");
    std::fs::write(&junk, b"definitely not a table").unwrap();
    let missing = dir.path().join("missing.dets");
    let files = [
        fixture("set_10.dets"),
        fixture("set_open_dirty.dets"),
        fixture("truncated.dets"),
        junk,
        missing,
    ];
    let mut args = vec!["--json"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let out = inspect(&args);
    assert_eq!(out.status.code(), Some(1));
    let statuses: Vec<_> = json_lines(&out)
        .iter()
        .map(|f| f["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        ["ok", "needs_repair", "truncated", "not_dets", "unreadable"]
    );
    let dirty = &json_lines(&out)[1];
    assert_eq!(dirty["records"], 240);
    assert_eq!(dirty["header_records"], 200);
    assert!(dirty["problems"][0]
        .as_str()
        .unwrap()
        .contains("not closed properly"));
}

#[test]
fn human_form_is_a_table_and_usage_errors_exit_2() {
    let out = inspect(&[fixture("set_fragmented.dets").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    for column in [
        "FILE", "STATUS", "TYPE", "RECORDS", "KEYS", "SIZE", "FREE", "FRAG",
    ] {
        assert!(header.contains(column), "{header}");
    }
    let row = lines.next().unwrap();
    assert!(
        row.contains("set_fragmented.dets") && row.contains("46752") && row.contains("40.4%"),
        "{row}"
    );

    assert_eq!(inspect(&[]).status.code(), Some(2));
    assert_eq!(inspect(&["--bogus", "x"]).status.code(), Some(2));
}
