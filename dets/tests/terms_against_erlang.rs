//! Our external-term-format validator and `erlang:phash2` agree with real
//! Erlang. `tests/erlang/terms.escript` makes a corpus: 100,000 seeded random
//! terms of every type (integers at every boundary, bignums, floats, latin-1
//! and UTF-8 atoms, binaries, bitstrings, proper and improper lists, strings,
//! tuples up to `LARGE_TUPLE_EXT`, flatmaps and hashmaps, local and external
//! pids, ports, references, local and external funs, deep nesting), each
//! encoded by `term_to_binary` with several options, followed by thousands of
//! crafted non-canonical, invalid, truncated and byte-flipped encodings. For
//! every record, [`TermDecoder::hash`] accepts exactly what `binary_to_term`
//! accepts, and its hash is `erlang:phash2(Term, 1 bsl 32)` (and, through
//! [`phash2_27`], `erlang:phash2(Term)`). A second test proves the hash does
//! not depend on the encoding: every encoding of one term hashes the same.
//!
//! `TABLESAFE_TERMS_DIR=DIR` keeps the corpus files in DIR for a closer look.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use tablesafe_dets::term::{phash2_27, TermDecoder};

/// Random terms in the corpus.
const COUNT: u32 = 100_000;
/// The corpus seed (`rand:seed(exsss, SEED)`).
const SEED: u64 = 20_250_107;
/// Terms in the equivalence corpus, and its seed.
const EQUIV_COUNT: u32 = 3_000;
const EQUIV_SEED: u64 = 7;
/// Disagreements shown in full.
const SHOWN: usize = 20;
/// How our verdict starts when the decoder panicked.
const PANICKED: &str = "PANICKED";
/// The kinds of disagreement, most serious first.
const KINDS: [&str; 4] = [
    "we panic",
    "hash differs",
    "Erlang accepts, we reject",
    "Erlang rejects (badarg), we accept",
];

/// One record: an encoding and Erlang's verdict on it.
struct Record<'a> {
    group: u32,
    etf: &'a [u8],
    accepted: bool,
    h32: u32,
    h27: u32,
}

/// Runs `terms.escript` with `args` (in `dir`, so a crash dump lands there).
fn escript(escript: &Path, dir: &Path, args: &[&str]) {
    let script = testkit::workspace().join("tests/erlang/terms.escript");
    let started = Instant::now();
    let out = Command::new(escript)
        .arg(&script)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("escript runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "terms.escript {args:?} failed ({}): {stderr}",
        out.status
    );
    eprint!("{stderr}");
    eprintln!("terms.escript {} took {:.1?}", args[0], started.elapsed());
}

/// Makes the corpus file `name` in a temporary directory and reads it back.
fn corpus(escript_path: &Path, name: &str, args: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join(name);
    let mut all = vec![args[0], file.to_str().expect("utf-8 path")];
    all.extend_from_slice(&args[1..]);
    escript(escript_path, dir.path(), &all);
    if let Some(keep) = std::env::var_os("TABLESAFE_TERMS_DIR") {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&file, keep.join(name)).unwrap();
    }
    std::fs::read(&file).expect("corpus written")
}

fn u32_at(data: &[u8], at: usize) -> u32 {
    let bytes: [u8; 4] = data
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .unwrap_or_else(|| panic!("corpus truncated at byte {at}"));
    u32::from_be_bytes(bytes)
}

/// Splits a corpus into records; `grouped` records start with a group number.
fn parse(data: &[u8], grouped: bool) -> Vec<Record<'_>> {
    let mut records = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let group = if grouped {
            at += 4;
            u32_at(data, at - 4)
        } else {
            0
        };
        let len = u32_at(data, at) as usize;
        at += 4;
        let etf = data
            .get(at..at + len)
            .unwrap_or_else(|| panic!("corpus truncated in a term at byte {at}"));
        at += len;
        let accepted = match data.get(at) {
            Some(0) => false,
            Some(1) => true,
            other => panic!("bad accepted byte {other:?} at {at}"),
        };
        let h32 = u32_at(data, at + 1);
        let h27 = u32_at(data, at + 5);
        at += 9;
        records.push(Record {
            group,
            etf,
            accepted,
            h32,
            h27,
        });
    }
    records
}

/// Our verdict: the hash, an error message, or a panic's message.
fn ours(dec: &mut TermDecoder, etf: &[u8]) -> Result<u32, String> {
    match catch_unwind(AssertUnwindSafe(|| dec.hash(etf))) {
        Ok(Ok(h)) => Ok(h),
        Ok(Err(e)) => Err(format!("rejected: {e} ({e:?})")),
        Err(panic) => {
            *dec = TermDecoder::new();
            let msg = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("?");
            Err(format!("{PANICKED}: {msg}"))
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    const LIMIT: usize = 4096;
    let mut s = String::with_capacity(bytes.len().min(LIMIT) * 2 + 32);
    for b in bytes.iter().take(LIMIT) {
        write!(s, "{b:02x}").unwrap();
    }
    if bytes.len() > LIMIT {
        write!(s, "... ({} bytes in all)", bytes.len()).unwrap();
    }
    s
}

/// The ETF tag's name, for the summary.
fn tag_name(tag: u8) -> String {
    let name = match tag {
        70 => "NEW_FLOAT_EXT",
        77 => "BIT_BINARY_EXT",
        80 => "compressed",
        88 => "NEW_PID_EXT",
        89 => "NEW_PORT_EXT",
        90 => "NEWER_REFERENCE_EXT",
        97 => "SMALL_INTEGER_EXT",
        98 => "INTEGER_EXT",
        99 => "FLOAT_EXT",
        100 => "ATOM_EXT",
        101 => "REFERENCE_EXT",
        102 => "PORT_EXT",
        103 => "PID_EXT",
        104 => "SMALL_TUPLE_EXT",
        105 => "LARGE_TUPLE_EXT",
        106 => "NIL_EXT",
        107 => "STRING_EXT",
        108 => "LIST_EXT",
        109 => "BINARY_EXT",
        110 => "SMALL_BIG_EXT",
        111 => "LARGE_BIG_EXT",
        112 => "NEW_FUN_EXT",
        113 => "EXPORT_EXT",
        114 => "NEW_REFERENCE_EXT",
        115 => "SMALL_ATOM_EXT",
        116 => "MAP_EXT",
        118 => "ATOM_UTF8_EXT",
        119 => "SMALL_ATOM_UTF8_EXT",
        120 => "V4_PORT_EXT",
        _ => return format!("tag {tag}"),
    };
    name.to_string()
}

/// What kind of input a record is, for the summary: the outer tag, and the
/// first one inside a tuple, list or map.
fn shape(etf: &[u8]) -> String {
    let outer = match etf {
        [131, tag, ..] => tag_name(*tag),
        [131] => "just 131".into(),
        [] => "empty".into(),
        [b, ..] => format!("version byte {b}"),
    };
    let inner = match etf {
        [131, 104, _, t, ..] | [131, 105 | 108 | 116, _, _, _, _, t, ..] => Some(*t),
        _ => None,
    };
    match inner {
        Some(t) => format!("{outer} of {}", tag_name(t)),
        None => outer,
    }
}

struct Disagreement {
    index: usize,
    /// Index into [`KINDS`].
    kind: usize,
    shape: String,
    len: usize,
    report: String,
}

/// Prints a summary and the smallest disagreement of each kind and shape
/// (then the next smallest) in full.
fn show(disagreements: &mut [Disagreement]) {
    disagreements.sort_by_key(|d| (d.len, d.index));
    let mut summary: BTreeMap<(usize, &str), usize> = BTreeMap::new();
    for d in disagreements.iter() {
        *summary.entry((d.kind, d.shape.as_str())).or_default() += 1;
    }
    eprintln!("{} disagreements, by kind and shape:", disagreements.len());
    for ((kind, shape), n) in &summary {
        eprintln!("  {n:>7}  {}: {shape}", KINDS[*kind]);
    }
    let mut shown = Vec::new();
    for key in summary.keys() {
        if let Some(i) = disagreements
            .iter()
            .position(|d| (d.kind, d.shape.as_str()) == *key)
        {
            shown.push(i);
        }
    }
    shown.truncate(SHOWN);
    for i in 0..disagreements.len() {
        if shown.len() >= SHOWN {
            break;
        }
        if !shown.contains(&i) {
            shown.push(i);
        }
    }
    for i in shown {
        eprintln!("{}", disagreements[i].report);
    }
}

#[test]
fn validator_and_phash2_agree_with_erlang_on_the_corpus() {
    let Some(escript_path) = testkit::require("escript") else {
        return;
    };
    println!("corpus: COUNT={COUNT} SEED={SEED}");
    let data = corpus(
        &escript_path,
        "corpus.bin",
        &["corpus", &COUNT.to_string(), &SEED.to_string()],
    );
    let records = parse(&data, false);
    let accepted = records.iter().filter(|r| r.accepted).count();
    let rejected = records.len() - accepted;
    println!(
        "{} records ({} bytes): Erlang accepts {accepted}, rejects {rejected}",
        records.len(),
        data.len()
    );

    let started = Instant::now();
    let mut dec = TermDecoder::new();
    let mut disagreements = Vec::new();
    for (index, r) in records.iter().enumerate() {
        let ours = ours(&mut dec, r.etf);
        let panicked = matches!(&ours, Err(e) if e.starts_with(PANICKED));
        let kind = match (&ours, r.accepted) {
            _ if panicked => 0,
            (Ok(h), true) if *h == r.h32 && phash2_27(*h) == r.h27 => continue,
            (Err(_), false) => continue,
            (Ok(_), true) => 1,
            (Err(_), true) => 2,
            (Ok(_), false) => 3,
        };
        let erlang = if r.accepted {
            format!(
                "accepts, phash2/2 = {:#010x} ({}), phash2/1 = {}",
                r.h32, r.h32, r.h27
            )
        } else {
            "badarg".to_string()
        };
        let ours = match &ours {
            Ok(h) => format!(
                "accepts, hash = {h:#010x} ({h}), phash2_27 = {}",
                phash2_27(*h)
            ),
            Err(e) => e.clone(),
        };
        let shape = shape(r.etf);
        let report = format!(
            "record {index} ({} bytes, {}, {shape}):\n  etf    {}\n  erlang {erlang}\n  ours   {ours}",
            r.etf.len(),
            KINDS[kind],
            hex(r.etf)
        );
        disagreements.push(Disagreement {
            index,
            kind,
            shape,
            len: r.etf.len(),
            report,
        });
    }
    println!(
        "checked {} records in {:.1?}",
        records.len(),
        started.elapsed()
    );
    if !disagreements.is_empty() {
        show(&mut disagreements);
    }

    assert!(
        accepted >= 100_000,
        "the corpus holds only {accepted} accepted terms"
    );
    assert!(
        rejected >= 1_000,
        "the corpus holds only {rejected} rejected inputs"
    );
    assert!(
        disagreements.is_empty(),
        "{} of {} records disagree with Erlang (see above)",
        disagreements.len(),
        records.len()
    );
}

#[test]
fn hash_does_not_depend_on_the_encoding() {
    let Some(escript_path) = testkit::require("escript") else {
        return;
    };
    println!("equivalence corpus: COUNT={EQUIV_COUNT} SEED={EQUIV_SEED}");
    let data = corpus(
        &escript_path,
        "equiv.bin",
        &["equiv", &EQUIV_COUNT.to_string(), &EQUIV_SEED.to_string()],
    );
    let records = parse(&data, true);
    let mut groups: BTreeMap<u32, Vec<&Record<'_>>> = BTreeMap::new();
    for r in &records {
        assert!(r.accepted, "equivalence record not accepted by Erlang");
        groups.entry(r.group).or_default().push(r);
    }
    let multi = groups.values().filter(|g| g.len() > 1).count();
    println!(
        "{} groups, {} encodings; {multi} groups have several encodings",
        groups.len(),
        records.len()
    );

    let mut dec = TermDecoder::new();
    let mut failures = Vec::new();
    for (group, members) in &groups {
        let first = members[0];
        assert!(
            members
                .iter()
                .all(|m| (m.h32, m.h27) == (first.h32, first.h27)),
            "group {group}: Erlang's own hashes differ"
        );
        let results: Vec<Result<u32, String>> =
            members.iter().map(|m| ours(&mut dec, m.etf)).collect();
        let agree = results.iter().all(|r| match r {
            Ok(h) => *h == first.h32 && phash2_27(*h) == first.h27,
            Err(_) => false,
        });
        if agree {
            continue;
        }
        let mut report = format!(
            "group {group}: Erlang's phash2/2 = {:#010x} ({}) for every encoding; ours:",
            first.h32, first.h32
        );
        for (m, r) in members.iter().zip(&results) {
            let verdict = match r {
                Ok(h) => format!("{h:#010x} ({h})"),
                Err(e) => e.clone(),
            };
            write!(report, "\n  {verdict:<28} {}", hex(m.etf)).unwrap();
        }
        failures.push((members.iter().map(|m| m.etf.len()).sum::<usize>(), report));
    }
    if !failures.is_empty() {
        failures.sort_by_key(|(len, _)| *len);
        eprintln!("{} groups disagree; the smallest:", failures.len());
        for (_, report) in failures.iter().take(SHOWN) {
            eprintln!("{report}");
        }
    }

    assert!(
        groups.len() >= EQUIV_COUNT as usize,
        "only {} groups",
        groups.len()
    );
    assert!(
        multi >= EQUIV_COUNT as usize / 2,
        "only {multi} groups hold more than one encoding"
    );
    assert!(
        failures.is_empty(),
        "{} of {} groups hash differently from Erlang or between encodings (see above)",
        failures.len(),
        groups.len()
    );
}
