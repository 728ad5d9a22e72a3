//! Salvage against Erlang's own repair, on the same files.
//!
//! Two kinds of input: raw copies of tables taken while a real Erlang node
//! writes to them without pause (dirty, possibly torn), and more than 1,000
//! damaged variants of Erlang-written tables (flipped bits, zeroed and
//! overwritten runs, cut files, damaged headers). For every file:
//! - what salvage writes opens in Erlang with `{repair, false}`;
//! - salvage recovers at least as many of the source's objects as Erlang 25's
//!   repair does, taken at its best for each file: a default `dets:open_file`
//!   (which repairs a file not closed) or `{repair, force}`;
//! - every object salvage emits is one the source held or could have held,
//!   except where damage (or, in a dirty copy, a rewrite torn by the copier)
//!   changed bytes inside a value and left the object decodable under its own
//!   key: no DETS reader can see that (the format has no checksum per object).
//!   Such objects are counted and must keep a key of the source; Erlang's
//!   repair emits them too where it keeps their collection (salvage keeps
//!   the objects of a collection that decode and belong to its slot, where
//!   Erlang's repair may drop the collection, so salvage can also emit one
//!   under a key Erlang's repair lost).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::{HashMap, HashSet};
use std::path::Path;

use tablesafe_dets::{self as dets, FileStatus};
use testkit::{DetsTool, ErlangObjects, OpenMode, Rng};

/// A multiset of object hashes.
fn counts(hashes: &[u32]) -> HashMap<u32, u64> {
    let mut m = HashMap::new();
    for &h in hashes {
        *m.entry(h).or_insert(0) += 1;
    }
    m
}

/// Objects of `found` that the source holds (as a multiset).
fn genuine(found: &[u32], source: &HashMap<u32, u64>) -> u64 {
    counts(found)
        .iter()
        .map(|(h, &n)| n.min(source.get(h).copied().unwrap_or(0)))
        .sum()
}

fn by_file(list: Vec<ErlangObjects>) -> HashMap<String, ErlangObjects> {
    list.into_iter().map(|o| (o.file.clone(), o)).collect()
}

/// Salvages every `*.dets` of `inputs` into `outputs`; the names salvage
/// refused (with nothing written).
fn salvage_all(inputs: &Path, outputs: &Path) -> HashSet<String> {
    std::fs::create_dir_all(outputs).unwrap();
    let mut refused = HashSet::new();
    for entry in std::fs::read_dir(inputs).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "dets") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let out = outputs.join(&name);
        match dets::salvage(&path, &out) {
            Ok(s) => {
                let back = dets::inspect(&out).unwrap();
                assert_eq!(
                    back.status(),
                    FileStatus::Ok,
                    "{name}: {:?}",
                    back.messages()
                );
                assert_eq!(back.digest(), Some(s.built.digest), "{name}");
            }
            Err(err) => {
                assert!(!out.exists(), "{name}: a refused salvage left {out:?}");
                eprintln!("{name}: salvage refused: {err}");
                refused.insert(name);
            }
        }
    }
    refused
}

/// Proves one salvaged file in Erlang: opens with `{repair, false}`, takes
/// inserts, deletes and rewrites of existing keys, reopens.
fn prove_usable(tool: &DetsTool, file: &Path) {
    let proof = tool.prove(file, file);
    let ctx = format!("{}: {proof}", file.display());
    assert_eq!(proof["accepted"], true, "{ctx}");
    assert_eq!(proof["lookup_mismatches"], 0, "{ctx}");
    testkit::assert_update_cycle(&proof, &ctx);
}

#[test]
fn dirty_copies_under_a_live_writer_lose_nothing_erlang_keeps() {
    let Some(tool) = DetsTool::find() else { return };
    let (mut ours_total, mut theirs_total, mut torn_ours, mut torn_theirs) =
        (0u64, 0u64, 0u64, 0u64);
    let mut torn_where_erlang_lost_the_key = 0u64;
    for table_type in ["set", "bag", "duplicate_bag"] {
        let dir = tempfile::tempdir().unwrap();
        let universe = tool.churn(table_type, dir.path(), 30);
        let copies = dir.path().join("copies");
        let out = dir.path().join("out");
        let refused = salvage_all(&copies, &out);
        assert!(refused.is_empty(), "{table_type}: refused {refused:?}");
        let erlang = by_file(tool.hashes(&copies, OpenMode::Repair));
        let ours = by_file(tool.hashes(&out, OpenMode::Strict));
        assert_eq!(erlang.len(), 30, "{table_type}");
        for (name, e) in &erlang {
            let o = &ours[name];
            assert!(
                o.accepted,
                "{table_type} {name}: Erlang refuses ours: {:?}",
                o.error
            );
            // An object the writer never wrote can only be a torn one: the
            // copier read part of it before a rewrite of its bytes and part
            // after, and what it read still decodes under its own key. No
            // reader can see that (DETS has no checksum per object). Such an
            // object must keep a key the table could hold. Erlang's repair
            // of the same copy finds it too, or another version under its
            // key, unless it dropped the collection salvage took it from:
            // those are counted apart.
            let theirs_keys: HashSet<u32> = e.keys.iter().copied().collect();
            for (h, k) in o.hashes.iter().zip(&o.keys) {
                if !universe.objects.contains(h) {
                    assert!(
                        universe.keys.contains(k),
                        "{table_type} {name}: salvage emitted object {h} under a key never written"
                    );
                    torn_ours += 1;
                    torn_where_erlang_lost_the_key += u64::from(!theirs_keys.contains(k));
                }
            }
            let written = |hashes: &[u32]| {
                hashes
                    .iter()
                    .filter(|h| universe.objects.contains(h))
                    .count() as u64
            };
            let (mine, theirs) = (written(&o.hashes), written(&e.hashes));
            torn_theirs += e.hashes.len() as u64 - theirs;
            assert!(
                mine >= theirs,
                "{table_type} {name}: salvage {mine} written objects, Erlang's repair {theirs}"
            );
            ours_total += mine;
            theirs_total += theirs;
        }
        // The largest copy, through Erlang's update cycle.
        let largest = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .max_by_key(|p| p.metadata().unwrap().len())
            .unwrap();
        prove_usable(&tool, &largest);
    }
    eprintln!(
        "dirty copies: salvage recovered {ours_total} written objects, Erlang's repair {theirs_total} \
         ({} more); torn but decodable objects emitted: salvage {torn_ours} \
         ({torn_where_erlang_lost_the_key} under a key Erlang's repair lost), Erlang {torn_theirs}",
        ours_total - theirs_total
    );
}

/// One way to damage a file, applied to its bytes.
fn damage(bytes: &mut Vec<u8>, kind: usize, rng: &mut Rng) {
    const BASE: usize = 1336;
    let len = bytes.len();
    let data = |rng: &mut Rng| rng.range(BASE, len);
    match kind {
        // One bit of the data area.
        0 => {
            let at = data(rng);
            bytes[at] ^= 1 << rng.below(8);
        }
        // Eight bits anywhere past the header.
        1 => {
            for _ in 0..8 {
                let at = data(rng);
                bytes[at] ^= 1 << rng.below(8);
            }
        }
        // A zeroed run, as a lost write leaves.
        2 => {
            let at = data(rng);
            let n = rng.range(16, 2048).min(len - at);
            bytes[at..at + n].fill(0);
        }
        // A run of garbage.
        3 => {
            let at = data(rng);
            let n = rng.range(4, 64).min(len - at);
            for b in &mut bytes[at..at + n] {
                *b = rng.next_u64() as u8;
            }
        }
        // Cut short.
        4 => bytes.truncate(data(rng)),
        // One aligned word replaced: a size, a pointer, a status.
        5 => {
            let at = data(rng) & !3;
            if at + 4 <= len {
                let word = rng.next_u64() as u32 % (len as u32 * 2);
                bytes[at..at + 4].copy_from_slice(&word.to_be_bytes());
            }
        }
        // Marked open, as a crash leaves it, and one bit flipped.
        6 => {
            bytes[8..12].fill(0);
            let at = data(rng);
            bytes[at] ^= 1 << rng.below(8);
        }
        // One bit of the header or the part table.
        _ => {
            let at = rng.range(0, BASE);
            bytes[at] ^= 1 << rng.below(8);
        }
    }
}

const KINDS: usize = 8;

#[test]
fn damaged_variants_salvage_at_least_what_erlang_repairs() {
    let Some(tool) = DetsTool::find() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sources_dir = dir.path().join("sources");
    let shapes = ["dup_bag", "bag_deleted", "set_kp3"];
    tool.make(&sources_dir, &shapes);
    let mut sources: Vec<(String, Vec<u8>)> = shapes
        .iter()
        .map(|s| {
            let name = format!("{s}.dets");
            (
                name.clone(),
                std::fs::read(sources_dir.join(&name)).unwrap(),
            )
        })
        .collect();
    let fixture = testkit::fixture("set_fragmented.dets");
    std::fs::copy(&fixture, sources_dir.join("set_fragmented.dets")).unwrap();
    sources.push((
        "set_fragmented.dets".into(),
        std::fs::read(&fixture).unwrap(),
    ));
    let source_objects = by_file(tool.hashes(&sources_dir, OpenMode::Strict));

    let variants = dir.path().join("variants");
    std::fs::create_dir_all(&variants).unwrap();
    let mut rng = Rng(0x5a17_a9e5);
    let mut origin = HashMap::new();
    for i in 0..1040 {
        let (name, bytes) = &sources[i % sources.len()];
        let kind = (i / sources.len()) % KINDS;
        let mut damaged = bytes.clone();
        damage(&mut damaged, kind, &mut rng);
        let file = format!("v{i:04}_k{kind}_{name}");
        std::fs::write(variants.join(&file), &damaged).unwrap();
        origin.insert(file, (name.clone(), kind));
    }

    let out = dir.path().join("out");
    let refused = salvage_all(&variants, &out);
    let repaired = by_file(tool.hashes(&variants, OpenMode::Repair));
    let forced = by_file(tool.hashes(&variants, OpenMode::Force));
    let ours = by_file(tool.hashes(&out, OpenMode::Strict));
    assert_eq!(repaired.len(), origin.len());
    assert_eq!(forced.len(), origin.len());

    let (mut ours_total, mut theirs_total, mut silent, mut their_stray) = (0u64, 0u64, 0u64, 0u64);
    let mut worse = Vec::new();
    for (file, (source, kind)) in &origin {
        let src = &source_objects[source];
        let src_counts = counts(&src.hashes);
        let src_keys: HashSet<u32> = src.keys.iter().copied().collect();
        // Erlang's best: its default open (repair when not closed) or
        // {repair, force}, whichever recovers more.
        let (theirs, stray) = [&repaired[file], &forced[file]]
            .iter()
            .map(|e| {
                let g = genuine(&e.hashes, &src_counts);
                (g, e.hashes.len() as u64 - g)
            })
            .max()
            .unwrap();
        their_stray += stray;
        let mine = match ours.get(file) {
            Some(o) => {
                assert!(
                    o.accepted,
                    "{file}: Erlang refuses the salvaged file: {:?}",
                    o.error
                );
                let mine = genuine(&o.hashes, &src_counts);
                // Objects the source never held: only silent value changes,
                // under a key the source has.
                for (h, k) in o.hashes.iter().zip(&o.keys) {
                    if !src_counts.contains_key(h) {
                        assert!(
                            src_keys.contains(k),
                            "{file} (damage {kind}): salvage emitted an object under a key the source never had"
                        );
                    }
                }
                silent += o.hashes.len() as u64 - mine;
                mine
            }
            None => {
                assert!(refused.contains(file), "{file}: no output and no refusal");
                0
            }
        };
        if mine < theirs {
            worse.push(format!("{file}: salvage {mine}, Erlang {theirs}"));
        }
        ours_total += mine;
        theirs_total += theirs;
    }
    assert!(
        worse.is_empty(),
        "salvage recovered fewer than Erlang's repair: {worse:#?}"
    );
    eprintln!(
        "{} variants: salvage recovered {ours_total} source objects, Erlang's repair at its best {theirs_total} \
         ({} more); changed-but-decodable objects emitted: salvage {silent}, Erlang (any kind) {their_stray}; \
         salvage refused {} files",
        origin.len(),
        ours_total - theirs_total,
        refused.len()
    );

    // A few salvaged files through Erlang's update cycle.
    let mut proved = 0;
    for kind in 0..KINDS {
        let file = origin
            .iter()
            .filter(|(f, (_, k))| *k == kind && out.join(f).exists())
            .map(|(f, _)| f)
            .min();
        if let Some(file) = file {
            prove_usable(&tool, &out.join(file));
            proved += 1;
        }
    }
    assert!(
        proved >= KINDS - 1,
        "only {proved} kinds of damage left a salvaged file"
    );
}
