//! Zero false "ok", proved against real Erlang: thousands of damaged copies of
//! real DETS tables (byte flips in object payloads, in the header, in the
//! slot directory, in collection headers and length words, in the free lists;
//! truncations; swapped blocks) go to both the reader and `dets` itself.
//! Wherever the reader says [`FileStatus::Ok`], Erlang opens the file with
//! `{repair, false}`, folds over it without an error and without rewriting
//! it, and finds exactly the same objects (count and `phash2` sum); wherever
//! Erlang refuses a file, the reader does not call it ok. Refusing a file
//! Erlang can read is allowed (a false alarm) and only counted: expect many,
//! since `dets:foldl` scans the data area by way of the free lists and never
//! looks at the slot table, and its `binary_to_term` reads past an object's
//! length word; damage there shows in Erlang only on lookups and inserts.
//!
//! `TABLESAFE_DAMAGE_DIR=DIR` keeps the variants and a `MANIFEST.txt` (every
//! variant, its damage and both verdicts) in DIR for a closer look.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::Path;

use tablesafe_dets::{self as dets, Digest, FileStatus};
use testkit::DetsTool;
use testkit::Rng;

/// Real-Erlang fixtures and how many damaged variants each one gets.
const FIXTURES: &[(&str, usize)] = &[
    ("set_10.dets", 550),
    ("bag_100.dets", 550),
    ("dup_bag_50.dets", 550),
    ("set_grown.dets", 450),
    ("set_fragmented.dets", 450),
];

/// Shapes made at test time (`dets_tool.escript` shape/1) and their variants.
const SHAPES: &[(&str, usize)] = &[("bag_kp2", 250), ("dup_bag", 350), ("set_kp3", 250)];

const BASE: usize = 1336;
const HEADEND: usize = 312;

/// A nonzero XOR mask: random, or the top or bottom bit.
fn mask(rng: &mut Rng) -> u8 {
    match rng.next_u64() % 3 {
        0 => 0x80,
        1 => 0x01,
        _ => rng.range(1, 256) as u8,
    }
}

fn be32(bytes: &[u8], at: usize) -> Option<usize> {
    let word = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(word.try_into().ok()?) as usize)
}

/// Where things are in an undamaged file, found by walking it (FORMAT.md 3-4).
#[derive(Default)]
struct Layout {
    /// Offsets of the words of used part pointers and segment pointers.
    directory_words: Vec<usize>,
    /// Offsets of non-empty slot entries (8 bytes: size, pointer).
    slot_entries: Vec<usize>,
    /// Offsets of collection headers (8 bytes: size, status).
    collections: Vec<usize>,
    /// Offsets of object-size and group-size words.
    length_words: Vec<usize>,
    /// ETF payloads: `(start, len)`.
    payloads: Vec<(usize, usize)>,
    /// The free-list pointer: end of the data area.
    data_end: usize,
}

impl Layout {
    fn of(bytes: &[u8]) -> Self {
        let bag = be32(bytes, 12).unwrap() != 1;
        let mut l = Layout {
            data_end: be32(bytes, 0).unwrap(),
            ..Layout::default()
        };
        for p in 0..256 {
            let part = be32(bytes, HEADEND + 4 * p).unwrap();
            if part == 0 {
                break;
            }
            l.directory_words.push(HEADEND + 4 * p);
            for s in 0..512 {
                let seg = be32(bytes, part + 4 * s).unwrap();
                if seg == 0 {
                    break;
                }
                l.directory_words.push(part + 4 * s);
                for e in 0..256 {
                    let entry = seg + 8 * e;
                    let size = be32(bytes, entry).unwrap();
                    if size == 0 {
                        continue;
                    }
                    let coll = be32(bytes, entry + 4).unwrap();
                    l.slot_entries.push(entry);
                    l.collections.push(coll);
                    l.walk_collection(bytes, coll, size, bag);
                }
            }
        }
        l
    }

    fn walk_collection(&mut self, bytes: &[u8], coll: usize, size: usize, bag: bool) {
        let end = coll + size;
        let mut at = coll + 8;
        while at < end {
            let len = be32(bytes, at).unwrap();
            self.length_words.push(at);
            if bag {
                let mut o = at + 4;
                while o < at + len {
                    let objsize = be32(bytes, o).unwrap();
                    self.length_words.push(o);
                    self.payloads.push((o + 4, objsize - 4));
                    o += objsize;
                }
            } else {
                self.payloads.push((at + 4, len - 4));
            }
            at += len;
        }
    }

    /// What the byte at `at` belongs to, for the damage description.
    fn region(&self, at: usize, len: usize) -> String {
        if at < HEADEND {
            return "header".into();
        }
        if at < BASE {
            return "part-pointer table".into();
        }
        if at >= self.data_end {
            return if at + 4 >= len {
                "trailer".into()
            } else {
                "free lists".into()
            };
        }
        let word = |offs: &[usize], n: usize| offs.iter().any(|&o| (o..o + n).contains(&at));
        if let Some((start, _)) = self
            .payloads
            .iter()
            .find(|(s, n)| (*s..s + n).contains(&at))
        {
            format!("payload byte {} of the object at {start}", at - start)
        } else if word(&self.length_words, 4) {
            "a length word".into()
        } else if word(&self.collections, 8) {
            "a collection header".into()
        } else if word(&self.slot_entries, 8) {
            "a slot entry".into()
        } else if word(&self.directory_words, 4) {
            "a segment pointer".into()
        } else {
            "unused bytes (empty slots, padding, free blocks)".into()
        }
    }
}

/// One damaged copy and what the reader said about it.
struct Variant {
    name: String,
    source: String,
    kind: &'static str,
    what: String,
    status: FileStatus,
    digest: Option<Digest>,
    first_message: String,
    in_payload: bool,
}

fn flip(bytes: &mut [u8], at: usize, mask: u8) -> String {
    let old = bytes[at];
    bytes[at] ^= mask;
    format!(
        "byte {at}: {old:#04x} -> {:#04x} (xor {mask:#04x})",
        bytes[at]
    )
}

/// Makes one damaged copy of `good`; `None` when the pick did not apply.
fn damage(
    good: &[u8],
    layout: &Layout,
    rng: &mut Rng,
    slot: usize,
) -> Option<(&'static str, Vec<u8>, String, bool)> {
    let len = good.len();
    let mut b = good.to_vec();
    let data_end = layout.data_end.min(len);
    let (kind, what) = match slot % 20 {
        0..=7 => {
            let (start, n) = rng.pick(&layout.payloads)?;
            // A quarter of them hit the first bytes: version byte and term tag.
            let at = if rng.next_u64() % 4 == 0 {
                start + rng.range(0, n.min(3))
            } else {
                rng.range(start, start + n)
            };
            let mask = mask(rng);
            ("payload", flip(&mut b, at, mask))
        }
        8 => {
            // Half in the fields dets reads (0..56, Base), half anywhere in 0..312.
            let at = if rng.next_u64() % 2 == 0 {
                if rng.next_u64() % 8 == 0 {
                    rng.range(184, 188)
                } else {
                    rng.range(0, 56)
                }
            } else {
                rng.range(0, HEADEND)
            };
            let mask = mask(rng);
            ("header", flip(&mut b, at, mask))
        }
        9 => {
            let at = if rng.next_u64() % 4 == 0 {
                rng.range(HEADEND, BASE)
            } else {
                rng.pick(&layout.directory_words)? + rng.range(0, 4)
            };
            let mask = mask(rng);
            ("directory", flip(&mut b, at, mask))
        }
        10 => {
            let at = rng.pick(&layout.slot_entries)? + rng.range(0, 8);
            let mask = mask(rng);
            ("slot entry", flip(&mut b, at, mask))
        }
        11 => {
            let at = rng.pick(&layout.collections)? + rng.range(0, 8);
            let mask = mask(rng);
            ("collection header", flip(&mut b, at, mask))
        }
        12 | 13 => {
            let at = rng.pick(&layout.length_words)? + rng.range(0, 4);
            let mask = mask(rng);
            ("length word", flip(&mut b, at, mask))
        }
        14 => {
            let at = rng.range(BASE, data_end);
            let mask = mask(rng);
            let what = flip(&mut b, at, mask);
            ("data area", format!("{what} in {}", layout.region(at, len)))
        }
        15 => {
            let at = rng.range(data_end, len);
            let mask = mask(rng);
            let what = flip(&mut b, at, mask);
            (
                "free lists",
                format!("{what} in {}", layout.region(at, len)),
            )
        }
        16 | 17 => {
            let keep = match rng.next_u64() % 4 {
                0 => rng.range(len.saturating_sub(64), len),
                1 => rng.range(data_end.saturating_sub(256), data_end + 1),
                _ => rng.range(0, len),
            };
            b.truncate(keep);
            ("truncation", format!("cut to {keep} of {len} bytes"))
        }
        _ => {
            let size = 16 << rng.range(0, 5);
            let blocks = data_end.checked_sub(BASE + size)? / 16;
            let x = BASE + 16 * rng.range(0, blocks + 1);
            let y = BASE + 16 * rng.range(0, blocks + 1);
            if x.abs_diff(y) < size {
                return None;
            }
            let (lo, hi) = (x.min(y), x.max(y));
            let (head, tail) = b.split_at_mut(hi);
            head[lo..lo + size].swap_with_slice(&mut tail[..size]);
            (
                "swap",
                format!(
                    "swapped {size} bytes at {lo} ({}) and {hi} ({})",
                    layout.region(lo, len),
                    layout.region(hi, len)
                ),
            )
        }
    };
    let in_payload = kind == "payload" || what.contains("payload byte");
    Some((kind, b, what, in_payload))
}

fn verdict(bytes: &[u8]) -> (FileStatus, Option<Digest>, String) {
    match dets::inspect_bytes(bytes) {
        Ok(insp) => {
            let first = insp.messages().into_iter().next().unwrap_or_default();
            (insp.status(), insp.digest(), first)
        }
        Err(err) => (err.status(), None, err.to_string()),
    }
}

fn content_hash(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// Writes `count` distinct damaged copies of `good` into `dir`.
fn make_variants(dir: &Path, stem: &str, good: &[u8], count: usize, seed: u64) -> Vec<Variant> {
    let layout = Layout::of(good);
    assert!(
        !layout.payloads.is_empty(),
        "{stem}: the walk found no objects"
    );
    let mut rng = Rng(seed | 1);
    let mut seen = HashSet::from([content_hash(good)]);
    let mut out = Vec::with_capacity(count);
    let mut slot = 0;
    let mut tries = 0;
    while out.len() < count {
        tries += 1;
        assert!(
            tries < count * 50,
            "{stem}: cannot make {count} distinct variants"
        );
        slot += 1;
        let Some((kind, bytes, what, in_payload)) = damage(good, &layout, &mut rng, slot) else {
            continue;
        };
        if !seen.insert(content_hash(&bytes)) {
            continue;
        }
        let name = format!("{stem}-{:05}.dets", out.len() + 1);
        let (status, digest, first_message) = verdict(&bytes);
        std::fs::write(dir.join(&name), &bytes).unwrap();
        out.push(Variant {
            name,
            source: stem.to_owned(),
            kind,
            what,
            status,
            digest,
            first_message,
            in_payload,
        });
    }
    out
}

#[test]
fn reader_never_says_ok_where_erlang_disagrees() {
    let Some(tool) = DetsTool::find() else { return };
    let started = std::time::Instant::now();
    let made = tempfile::tempdir().unwrap();
    let shapes: Vec<&str> = SHAPES.iter().map(|(s, _)| *s).collect();
    tool.make(made.path(), &shapes);

    let mut sources: Vec<(String, Vec<u8>, usize)> = FIXTURES
        .iter()
        .map(|(f, n)| {
            let stem = f.trim_end_matches(".dets").to_owned();
            (stem, std::fs::read(testkit::fixture(f)).unwrap(), *n)
        })
        .collect();
    for (shape, n) in SHAPES {
        let bytes = std::fs::read(made.path().join(format!("{shape}.dets"))).unwrap();
        sources.push((format!("made_{shape}"), bytes, *n));
    }

    // TABLESAFE_DAMAGE_DIR keeps the variants and MANIFEST.txt (see the top).
    let keep = std::env::var_os("TABLESAFE_DAMAGE_DIR").map(std::path::PathBuf::from);
    let scratch = tempfile::tempdir().unwrap();
    let dir = keep.as_deref().unwrap_or(scratch.path());
    std::fs::create_dir_all(dir).unwrap();
    let mut originals = Vec::new();
    let mut variants = Vec::new();
    for (i, (stem, good, n)) in sources.iter().enumerate() {
        let name = format!("{stem}-00000-original.dets");
        std::fs::write(dir.join(&name), good).unwrap();
        let (status, digest, first) = verdict(good);
        originals.push((name, status, digest, first));
        let seed = 0x9E37_79B9_7F4A_7C15_u64.wrapping_mul(i as u64 + 1);
        variants.extend(make_variants(dir, stem, good, *n, seed));
    }
    let generated = started.elapsed();

    let erlang: HashMap<String, testkit::ErlangDigest> = tool
        .digests(dir)
        .into_iter()
        .map(|d| (d.file.clone(), d))
        .collect();
    let erlang_time = started.elapsed() - generated;
    assert_eq!(
        erlang.len(),
        originals.len() + variants.len(),
        "Erlang reported on every file"
    );

    for (name, status, digest, first) in &originals {
        let e = &erlang[name];
        assert_eq!(*status, FileStatus::Ok, "{name}: {first}");
        assert!(e.accepted && !e.rewritten, "{name}: Erlang said {e:?}");
        let digest = digest.unwrap();
        assert_eq!(
            (Some(digest.objects), Some(digest.sum)),
            (e.objects, e.sum),
            "{name}"
        );
    }

    let mut manifest = String::new();
    let mut violations = Vec::new();
    let mut false_alarms = Vec::new();
    let (mut ours_ok, mut theirs_ok, mut both_ok, mut in_payload) = (0, 0, 0, 0);
    let mut by_kind: BTreeMap<&str, [usize; 4]> = BTreeMap::new();
    for v in &variants {
        let e = &erlang[&v.name];
        let ok = v.status == FileStatus::Ok;
        ours_ok += usize::from(ok);
        theirs_ok += usize::from(e.accepted);
        both_ok += usize::from(ok && e.accepted);
        in_payload += usize::from(v.in_payload);
        let k = by_kind.entry(v.kind).or_default();
        k[0] += 1;
        k[1] += usize::from(ok);
        k[2] += usize::from(e.accepted);
        k[3] += usize::from(e.accepted && !ok);
        let theirs = if e.accepted {
            format!(
                "Erlang accepted: {} objects, sum {}{}",
                e.objects.unwrap_or_default(),
                e.sum.unwrap_or_default(),
                if e.rewritten {
                    ", after rewriting the file"
                } else {
                    ""
                }
            )
        } else {
            format!("Erlang refused: {}", e.error.as_deref().unwrap_or("?"))
        };
        let ours = match v.digest {
            Some(d) if ok => format!("tablesafe ok: {} objects, sum {}", d.objects, d.sum),
            _ => format!("tablesafe {}: {}", v.status, v.first_message),
        };
        let line = format!(
            "{} (from {}, {}: {}): {ours}; {theirs}",
            v.name, v.source, v.kind, v.what
        );
        if keep.is_some() {
            manifest.push_str(&format!("{line}\n"));
        }
        if ok {
            let same = v
                .digest
                .is_some_and(|d| e.objects == Some(d.objects) && e.sum == Some(d.sum));
            if !e.accepted || !same || e.rewritten {
                violations.push(line);
            }
        } else if e.accepted {
            false_alarms.push(line);
        }
    }

    if let Some(keep) = &keep {
        std::fs::write(keep.join("MANIFEST.txt"), manifest).unwrap();
    }
    println!(
        "damage vs Erlang: {} variants ({in_payload} in object payloads), tablesafe ok {ours_ok}, \
         erlang accepted {theirs_ok}, both ok {both_ok}, erlang accepted but tablesafe refused {}, \
         violations {}; generate+inspect {generated:.1?}, erlang {erlang_time:.1?}",
        variants.len(),
        false_alarms.len(),
        violations.len()
    );
    for (kind, [n, ours, theirs, alarms]) in &by_kind {
        println!(
            "  {kind:>17}: {n:>5} variants, tablesafe ok {ours:>4}, erlang accepted {theirs:>4}, \
             false alarms {alarms:>4}"
        );
    }
    for alarm in false_alarms.iter().take(10) {
        println!("  false alarm: {alarm}");
    }

    assert!(variants.len() >= 3000, "only {} variants", variants.len());
    assert!(
        in_payload >= 300,
        "only {in_payload} variants in object payloads"
    );
    assert!(
        violations.is_empty(),
        "{} files where tablesafe says ok and Erlang disagrees (first 20):\n{}",
        violations.len(),
        violations
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
