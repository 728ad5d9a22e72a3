//! A property test of the writer: random tables, written from a stream of
//! objects by `Builder`, proved by real Erlang.
//!
//! Each table has a random type, key position and slot bound, and objects
//! whose keys are drawn from a small domain of mixed kinds, so keys repeat,
//! many share a slot, and keys that Erlang orders specially meet in one
//! collection: integers next to equal floats (`1` and `1.0` are different
//! keys), strings written both as `STRING_EXT` and as lists of integers (one
//! key, two encodings), tuples, atoms, binaries and big integers. For every
//! table:
//! - the counts follow a model of the table type computed from the
//!   generator's own values (a set keeps one object per key, a bag its
//!   distinct objects, a duplicate bag all);
//! - Erlang opens the file with `{repair, false}`, its digest equals ours,
//!   and it takes inserts, deletes and a new object under 1,000 existing keys
//!   (a set replaces, a bag adds), then reopens: keys out of dets' order
//!   would show here as a second entry for one key.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::HashSet;

use tablesafe_dets::{Builder, FileStatus, TableType};
use testkit::{DetsTool, Rng};

/// A term, as the generator knows it.
#[derive(Debug, Clone)]
enum T {
    Int(i64),
    Big(bool, Vec<u8>),
    Float(f64),
    Atom(&'static str),
    Bin(Vec<u8>),
    Tuple(Vec<T>),
    List(Vec<T>),
    /// A list of bytes written as `STRING_EXT`: the same term as `List`
    /// of those integers.
    Str(Vec<u8>),
}

impl T {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            T::Int(v) if (0..=255).contains(v) => out.extend([97, *v as u8]),
            T::Int(v) if i32::try_from(*v).is_ok() => {
                out.push(98);
                out.extend((*v as i32).to_be_bytes());
            }
            T::Int(v) => {
                let m = v.unsigned_abs().to_le_bytes();
                let n = m.iter().rposition(|&d| d != 0).unwrap() + 1;
                out.extend([110, n as u8, u8::from(*v < 0)]);
                out.extend(&m[..n]);
            }
            T::Big(negative, le) => {
                out.extend([110, le.len() as u8, u8::from(*negative)]);
                out.extend(le);
            }
            T::Float(f) => {
                out.push(70);
                out.extend(f.to_bits().to_be_bytes());
            }
            T::Atom(a) => {
                out.extend([119, a.len() as u8]);
                out.extend(a.as_bytes());
            }
            T::Bin(b) => {
                out.push(109);
                out.extend((b.len() as u32).to_be_bytes());
                out.extend(b);
            }
            T::Tuple(items) => {
                out.extend([104, items.len() as u8]);
                items.iter().for_each(|i| i.encode(out));
            }
            T::List(items) if items.is_empty() => out.push(106),
            T::List(items) => {
                out.push(108);
                out.extend((items.len() as u32).to_be_bytes());
                items.iter().for_each(|i| i.encode(out));
                out.push(106);
            }
            T::Str(bytes) => {
                out.push(107);
                out.extend((bytes.len() as u16).to_be_bytes());
                out.extend(bytes);
            }
        }
    }

    /// One text per term, whatever its encoding: `=:=` as string equality.
    fn canonical(&self) -> String {
        match self {
            T::Int(v) => format!("i{v}"),
            T::Big(negative, le) => {
                let v = le
                    .iter()
                    .rev()
                    .fold(0i128, |acc, &d| acc * 256 + i128::from(d));
                format!("i{}", if *negative { -v } else { v })
            }
            T::Float(f) => format!("f{:x}", f.to_bits()),
            T::Atom(a) => format!("a{a}"),
            T::Bin(b) => format!("b{b:?}"),
            T::Tuple(items) => format!(
                "t({})",
                items.iter().map(T::canonical).collect::<Vec<_>>().join(",")
            ),
            T::List(items) => format!(
                "l[{}]",
                items.iter().map(T::canonical).collect::<Vec<_>>().join(",")
            ),
            T::Str(bytes) => {
                T::List(bytes.iter().map(|&b| T::Int(i64::from(b))).collect()).canonical()
            }
        }
    }
}

const ATOMS: &[&str] = &["a", "b", "ok", "error", "nil", "tablesafe", "zz"];

/// A key from a small domain of mixed kinds.
fn key(rng: &mut Rng, depth: u32) -> T {
    match rng.below(if depth > 1 { 7 } else { 10 }) {
        0 => T::Int(rng.range(0, 40) as i64 - 5),
        1 => T::Float(rng.range(0, 12) as f64 - 2.0),
        2 => T::Float(rng.range(0, 12) as f64 + 0.5),
        3 => T::Atom(ATOMS[rng.below(ATOMS.len())]),
        4 => T::Bin((0..rng.below(3)).map(|_| rng.below(3) as u8).collect()),
        5 => T::Int(1 << 40 | rng.below(4) as i64),
        6 => {
            let bytes: Vec<u8> = (0..rng.below(3))
                .map(|_| b'a' + rng.below(2) as u8)
                .collect();
            if rng.below(2) == 0 {
                T::Str(bytes)
            } else {
                T::List(bytes.iter().map(|&b| T::Int(i64::from(b))).collect())
            }
        }
        7 => T::Tuple((0..1 + rng.below(3)).map(|_| key(rng, depth + 1)).collect()),
        8 => T::List((0..rng.below(3)).map(|_| key(rng, depth + 1)).collect()),
        _ => T::Big(
            rng.below(2) == 0,
            vec![rng.below(3) as u8, 0, 0, 0, 0, 0, 0, 0, 1],
        ),
    }
}

#[test]
fn random_tables_written_by_the_builder_are_what_erlang_expects() {
    let Some(tool) = DetsTool::find() else { return };
    let dir = tempfile::tempdir().unwrap();
    let tables = dir.path().join("tables");
    std::fs::create_dir_all(&tables).unwrap();
    let mut rng = Rng(0xb011_de25);
    let mut expected = Vec::new();
    for i in 0..24 {
        let table_type = [TableType::Set, TableType::Bag, TableType::DuplicateBag][i % 3];
        let keypos = 1 + rng.below(3) as u32;
        // 256 slots at most puts many keys in every collection.
        let max_slots = if rng.below(2) == 0 { 256 } else { 1 << 25 };
        let mut builder = Builder::new(table_type, keypos, dir.path()).unwrap();
        let (mut keys, mut distinct, mut all) = (HashSet::new(), HashSet::new(), 0u64);
        for seq in 0..rng.range(200, 3000) as u64 {
            let k = key(&mut rng, 0);
            let value = T::Int(rng.below(4) as i64);
            let mut items: Vec<T> = (1..keypos).map(|_| T::Atom("filler")).collect();
            items.push(k.clone());
            items.push(value);
            let object = T::Tuple(items);
            let mut etf = vec![131];
            object.encode(&mut etf);
            builder.add(&etf, seq, false).unwrap();
            keys.insert(k.canonical());
            distinct.insert(object.canonical());
            all += 1;
        }
        let model = match table_type {
            TableType::Set => keys.len() as u64,
            TableType::Bag => distinct.len() as u64,
            TableType::DuplicateBag => all,
        };
        let name = format!("t{i:02}.dets");
        let file = std::fs::File::create_new(tables.join(&name)).unwrap();
        let built = builder.finish(&file, 256, max_slots, dir.path()).unwrap();
        assert_eq!(
            built.written.keys,
            keys.len() as u64,
            "{name}: {table_type}"
        );
        assert_eq!(built.written.objects, model, "{name}: {table_type}");
        let back = tablesafe_dets::inspect(&tables.join(&name)).unwrap();
        assert_eq!(
            back.status(),
            FileStatus::Ok,
            "{name}: {:?}",
            back.messages()
        );
        expected.push((name, built));
    }

    let erlang = tool.digests(&tables);
    assert_eq!(erlang.len(), expected.len());
    for ((name, built), e) in expected.iter().zip(&erlang) {
        assert_eq!(&e.file, name);
        assert!(e.accepted && !e.rewritten, "{name}: Erlang said {e:?}");
        assert_eq!(e.objects, Some(built.digest.objects), "{name}");
        assert_eq!(e.sum, Some(built.digest.sum), "{name}");
        let file = tables.join(name);
        let proof = tool.prove(&file, &file);
        let ctx = format!("{name}: {proof}");
        assert_eq!(proof["accepted"], true, "{ctx}");
        assert_eq!(proof["copy"]["no_keys"], built.written.keys, "{ctx}");
        testkit::assert_update_cycle(&proof, &ctx);
    }
}
