//! The order `dets` keeps the keys of one collection in.
//!
//! `dets_utils:cmp/2` is Erlang's term order with one change: an integer is
//! smaller than any float it meets in the comparison, even an equal one, so
//! that `1` and `1.0`, which are different keys, have a fixed order. It
//! descends into lists and into tuples of one size; everything else is
//! compared with Erlang's `<`. The update code (`eval_slot` in `dets_v9.erl`)
//! merges a sorted batch of keys into a collection assuming its keys are in
//! this order, so a writer that puts them in any other order makes later
//! inserts miss existing keys.
//!
//! Where term order is not defined by the terms' values alone (pids, ports,
//! references and funs are ordered by their node and internal numbers), two
//! of one kind are ordered by their canonical bytes: deterministic, but not
//! necessarily Erlang's order. Such keys are rare in a disk table (they do
//! not outlive the node that made them); the rebuild never reorders keys, only
//! a salvage of a damaged collection does.

use std::cmp::Ordering;

use super::value::Value;
use super::TermError;

/// A key decoded once, to be sorted in `dets` order.
#[derive(Debug)]
pub struct KeyOrder {
    value: Value,
}

impl KeyOrder {
    /// Decodes a key's validated encoding (without the 131).
    pub fn new(key: &[u8]) -> Result<Self, TermError> {
        Ok(Self {
            value: Value::decode(key)?,
        })
    }
}

/// `dets_utils:cmp/2`: `Equal` exactly when the keys are `=:=`.
impl Ord for KeyOrder {
    fn cmp(&self, other: &KeyOrder) -> Ordering {
        dets_cmp(&self.value, &other.value)
    }
}

impl PartialOrd for KeyOrder {
    fn partial_cmp(&self, other: &KeyOrder) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for KeyOrder {
    fn eq(&self, other: &KeyOrder) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for KeyOrder {}

/// `dets_utils:cmp/2` over two validated key encodings (without the 131).
pub fn compare_keys(a: &[u8], b: &[u8]) -> Result<Ordering, TermError> {
    if a == b {
        return Ok(Ordering::Equal);
    }
    Ok(KeyOrder::new(a)?.cmp(&KeyOrder::new(b)?))
}

fn dets_cmp(a: &Value, b: &Value) -> Ordering {
    use Value::*;
    match (a, b) {
        (List(x, xt), List(y, yt)) => lists_cmp((x, xt), (y, yt), dets_cmp),
        (Tuple(x), Tuple(y)) if x.len() == y.len() => elements_cmp(x, y, dets_cmp),
        (Int { .. }, Float(_)) => Ordering::Less,
        (Float(_), Int { .. }) => Ordering::Greater,
        // Erlang's `<` from here; `==` but not `=:=` (a map holding 1 where
        // the other holds 1.0) is settled by the encodings' canonical form.
        _ => match term_cmp(a, b) {
            Ordering::Equal if a != b => tie_break(a, b),
            o => o,
        },
    }
}

/// Two lists, element by element with `cmp`, then their tails; one list
/// may go on where the other has its tail.
fn lists_cmp(
    (x, xt): (&[Value], &Value),
    (y, yt): (&[Value], &Value),
    cmp: fn(&Value, &Value) -> Ordering,
) -> Ordering {
    elements_cmp(x, y, cmp).then_with(|| match x.len().cmp(&y.len()) {
        Ordering::Equal => cmp(xt, yt),
        Ordering::Greater => rank_vs_tail(yt).reverse(),
        Ordering::Less => rank_vs_tail(xt),
    })
}

/// A tail that is not a list (nil or an improper tail) against a list that
/// goes on: the tail's order against a non-empty list.
fn rank_vs_tail(tail: &Value) -> Ordering {
    // `[] < [_ | _]`; an improper tail is of a lower kind than a list unless
    // it is a bitstring.
    rank(tail).cmp(&LIST_RANK).then(Ordering::Less)
}

const LIST_RANK: u8 = 9;

/// Erlang's term order: number < atom < reference < fun < port < pid <
/// tuple < map < nil < list < bitstring.
fn rank(v: &Value) -> u8 {
    match v {
        Value::Int { .. } | Value::Float(_) => 0,
        Value::Atom(_) => 1,
        Value::Id(id) => match id.first() {
            Some(b'R') => 2,
            Some(b'E') => 3,
            Some(b'O') => 4,
            _ => 5,
        },
        Value::Fun { .. } => 3,
        Value::Tuple(_) => 6,
        Value::Map(_) => 7,
        Value::Nil => 8,
        Value::List(..) => LIST_RANK,
        Value::Bits { .. } => 10,
    }
}

/// Erlang's `<` as an ordering (`Equal` for `==`).
fn term_cmp(a: &Value, b: &Value) -> Ordering {
    use Value::*;
    let by_rank = rank(a).cmp(&rank(b));
    if by_rank != Ordering::Equal {
        return by_rank;
    }
    match (a, b) {
        (Int { .. } | Float(_), Int { .. } | Float(_)) => number_cmp(a, b),
        (Atom(x), Atom(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Tuple(x), Tuple(y)) => x
            .len()
            .cmp(&y.len())
            .then_with(|| elements_cmp(x, y, term_cmp)),
        (Map(x), Map(y)) => x.len().cmp(&y.len()).then_with(|| map_cmp(x, y)),
        (Nil, Nil) => Ordering::Equal,
        (List(x, xt), List(y, yt)) => lists_cmp((x, xt), (y, yt), term_cmp),
        (Bits { bytes: x, bits: xb }, Bits { bytes: y, bits: yb }) => bits_cmp(x, *xb, y, *yb),
        _ => tie_break(a, b),
    }
}

fn elements_cmp(x: &[Value], y: &[Value], cmp: fn(&Value, &Value) -> Ordering) -> Ordering {
    x.iter()
        .zip(y)
        .map(|(p, q)| cmp(p, q))
        .find(|o| *o != Ordering::Equal)
        .unwrap_or(Ordering::Equal)
}

/// Maps of one size: keys in map-key order (integers before floats), then
/// the values in that key order.
fn map_cmp(x: &[(Value, Value)], y: &[(Value, Value)]) -> Ordering {
    let (x, y) = (sorted_pairs(x), sorted_pairs(y));
    x.iter()
        .zip(&y)
        .map(|(p, q)| map_key_cmp(&p.0, &q.0))
        .chain(x.iter().zip(&y).map(|(p, q)| term_cmp(&p.1, &q.1)))
        .find(|o| *o != Ordering::Equal)
        .unwrap_or(Ordering::Equal)
}

fn sorted_pairs(pairs: &[(Value, Value)]) -> Vec<&(Value, Value)> {
    let mut refs: Vec<&(Value, Value)> = pairs.iter().collect();
    refs.sort_by(|p, q| map_key_cmp(&p.0, &q.0));
    refs
}

/// The order of map keys: term order, except that integers sort before floats.
fn map_key_cmp(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Int { .. }, Value::Float(_)) => Ordering::Less,
        (Value::Float(_), Value::Int { .. }) => Ordering::Greater,
        _ => match term_cmp(a, b) {
            Ordering::Equal if a != b => tie_break(a, b),
            o => o,
        },
    }
}

/// Numbers by value; an integer equal to a float compares equal.
fn number_cmp(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (
            Value::Int {
                negative: an,
                magnitude: am,
            },
            Value::Int {
                negative: bn,
                magnitude: bm,
            },
        ) => int_cmp(*an, am, *bn, bm),
        (Value::Float(x), Value::Float(y)) => float(*x).total_cmp(&float(*y)),
        (
            Value::Int {
                negative,
                magnitude,
            },
            Value::Float(f),
        ) => int_float_cmp(*negative, magnitude, float(*f)),
        (
            Value::Float(f),
            Value::Int {
                negative,
                magnitude,
            },
        ) => int_float_cmp(*negative, magnitude, float(*f)).reverse(),
        _ => Ordering::Equal,
    }
}

fn float(bits: u64) -> f64 {
    f64::from_bits(bits)
}

/// Little-endian magnitude without its high zero bytes.
fn trimmed(magnitude: &[u8]) -> &[u8] {
    let len = magnitude.iter().rposition(|&d| d != 0).map_or(0, |i| i + 1);
    &magnitude[..len]
}

fn int_cmp(an: bool, am: &[u8], bn: bool, bm: &[u8]) -> Ordering {
    let (am, bm) = (trimmed(am), trimmed(bm));
    let (an, bn) = (an && !am.is_empty(), bn && !bm.is_empty());
    let by_magnitude = am
        .len()
        .cmp(&bm.len())
        .then_with(|| am.iter().rev().cmp(bm.iter().rev()));
    match (an, bn) {
        (false, false) => by_magnitude,
        (true, true) => by_magnitude.reverse(),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
    }
}

/// An integer against a finite float, exactly.
fn int_float_cmp(negative: bool, magnitude: &[u8], f: f64) -> Ordering {
    let magnitude = trimmed(magnitude);
    if magnitude.len() <= 14 {
        let mut m = 0i128;
        for &d in magnitude.iter().rev() {
            m = (m << 8) | i128::from(d);
        }
        let i = if negative { -m } else { m };
        let floor = f.floor();
        // An integer below 2^112 against a float below 2^119: exact in i128.
        if floor.abs() < 2f64.powi(119) {
            let fi = floor as i128;
            return i.cmp(&fi).then(if f > floor {
                Ordering::Less
            } else {
                Ordering::Equal
            });
        }
        // A float beyond 2^119 is beyond every such integer.
        return if f > 0.0 {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    // Larger integers: a float has 53 bits, so the approximation decides.
    let approx = magnitude
        .iter()
        .rev()
        .fold(0f64, |acc, &d| acc * 256.0 + f64::from(d));
    let i = if negative { -approx } else { approx };
    i.total_cmp(&f)
}

/// Bitstrings bit by bit; a prefix is smaller.
fn bits_cmp(x: &[u8], xb: u8, y: &[u8], yb: u8) -> Ordering {
    let bit_len = |bytes: &[u8], bits: u8| {
        bytes.len() as u64 * 8 - if bits == 0 { 0 } else { 8 - u64::from(bits) }
    };
    let (xl, yl) = (bit_len(x, xb), bit_len(y, yb));
    let common = xl.min(yl);
    let whole = (common / 8) as usize;
    let o = x[..whole].cmp(&y[..whole]);
    if o != Ordering::Equal {
        return o;
    }
    let rest = (common % 8) as u32;
    if rest > 0 {
        let mask = 0xFFu8 << (8 - rest);
        let o = (x[whole] & mask).cmp(&(y[whole] & mask));
        if o != Ordering::Equal {
            return o;
        }
    }
    xl.cmp(&yl)
}

/// A fixed order for terms Erlang orders by what the bytes do not say.
fn tie_break(a: &Value, b: &Value) -> Ordering {
    format!("{a:?}").cmp(&format!("{b:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn etf(bytes: &[u8]) -> KeyOrder {
        KeyOrder::new(bytes).unwrap()
    }

    const ONE: &[u8] = &[97, 1];
    const TWO: &[u8] = &[97, 2];
    const ONE_F: &[u8] = &[70, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0];
    const HALF: &[u8] = &[70, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0];
    const ATOM_A: &[u8] = &[119, 1, b'a'];
    const ATOM_B: &[u8] = &[119, 1, b'b'];
    const NIL: &[u8] = &[106];
    const BIN: &[u8] = &[109, 0, 0, 0, 1, 7];

    #[test]
    fn integers_come_before_floats_they_meet() {
        // Term order puts 0.5 < 1 < 2; dets puts every integer first.
        assert_eq!(etf(TWO).cmp(&etf(HALF)), Ordering::Less);
        assert_eq!(etf(ONE).cmp(&etf(ONE_F)), Ordering::Less);
        assert_eq!(etf(ONE_F).cmp(&etf(ONE)), Ordering::Greater);
        assert_eq!(etf(HALF).cmp(&etf(ONE_F)), Ordering::Less);
        // Inside a tuple of one size, element by element.
        let t = |e: &[u8]| [&[104, 2][..], ATOM_A, e].concat();
        assert_eq!(etf(&t(TWO)).cmp(&etf(&t(HALF))), Ordering::Less);
    }

    #[test]
    fn kinds_follow_term_order() {
        let tuple = [&[104, 1][..], ONE].concat();
        let list = [&[108, 0, 0, 0, 1][..], ONE, NIL].concat();
        let order: [&[u8]; 6] = [ONE, ATOM_A, &tuple, NIL, &list, BIN];
        for w in order.windows(2) {
            assert_eq!(etf(w[0]).cmp(&etf(w[1])), Ordering::Less, "{w:?}");
            assert_eq!(etf(w[1]).cmp(&etf(w[0])), Ordering::Greater, "{w:?}");
        }
        assert_eq!(etf(ATOM_A).cmp(&etf(ATOM_B)), Ordering::Less);
        // Tuples by size first.
        let big = [&[104, 2][..], ONE, ONE].concat();
        let small = [&[104, 1][..], TWO].concat();
        assert_eq!(etf(&small).cmp(&etf(&big)), Ordering::Less);
    }

    #[test]
    fn strings_lists_and_binaries_compare_as_erlang_does() {
        // "ab" as STRING_EXT equals [97, 98] as LIST_EXT.
        let s = [107, 0, 2, b'a', b'b'];
        let l = [108, 0, 0, 0, 2, 97, b'a', 97, b'b', 106];
        assert_eq!(compare_keys(&s, &l), Ok(Ordering::Equal));
        // "a" < "ab": a prefix is smaller.
        assert_eq!(compare_keys(&[107, 0, 1, b'a'], &s), Ok(Ordering::Less));
        // <<1>> < <<1, 0>> < <<2>>.
        let b = |v: &[u8]| [&[109, 0, 0, 0, v.len() as u8][..], v].concat();
        assert_eq!(compare_keys(&b(&[1]), &b(&[1, 0])), Ok(Ordering::Less));
        assert_eq!(compare_keys(&b(&[1, 0]), &b(&[2])), Ok(Ordering::Less));
    }

    #[test]
    fn big_integers_order_by_value() {
        // -2^64 < -1 < 2^64 < 2^64 + 1.
        let big = |sign: u8, le: &[u8]| [&[110, le.len() as u8, sign][..], le].concat();
        let minus_2_64 = big(1, &[0, 0, 0, 0, 0, 0, 0, 0, 1]);
        let two_64 = big(0, &[0, 0, 0, 0, 0, 0, 0, 0, 1]);
        let two_64_1 = big(0, &[1, 0, 0, 0, 0, 0, 0, 0, 1]);
        let minus_1 = [98, 0xff, 0xff, 0xff, 0xff];
        let chain: [&[u8]; 4] = [&minus_2_64, &minus_1, &two_64, &two_64_1];
        for w in chain.windows(2) {
            assert_eq!(compare_keys(w[0], w[1]), Ok(Ordering::Less), "{w:?}");
        }
    }
}
