//! Term equality (`=:=`) across encodings, for the rare case that two terms
//! hash alike but are encoded differently: both are read into an owned form
//! in which every encoding of one term is the same value.

use super::{integer, tag, whole_atom, Cursor, Int, TermError};

/// Nesting this comparison follows; deeper terms are reported, not compared.
const MAX_DEPTH: usize = 512;

/// Whether two validated encodings (without the 131) are the same term.
pub fn terms_equal(a: &[u8], b: &[u8]) -> Result<bool, TermError> {
    if a == b {
        return Ok(true);
    }
    Ok(Value::decode(a)? == Value::decode(b)?)
}

/// A term in canonical form.
#[derive(Debug)]
pub(super) enum Value {
    Int {
        negative: bool,
        magnitude: Vec<u8>,
    },
    Float(u64),
    Atom(String),
    Bits {
        bytes: Vec<u8>,
        bits: u8,
    },
    Nil,
    /// Elements, then a tail that is never a list.
    List(Vec<Value>, Box<Value>),
    Tuple(Vec<Value>),
    Map(Vec<(Value, Value)>),
    /// Pids, ports, references and exports, as canonical bytes.
    Id(Vec<u8>),
    Fun {
        rest: Vec<u8>,
        free: Vec<Value>,
    },
}

fn too_deep(at: usize) -> TermError {
    TermError::Invalid {
        what: "term nested too deeply to compare",
        at,
    }
}

impl Value {
    /// Reads one validated encoding (without the 131).
    pub(super) fn decode(bytes: &[u8]) -> Result<Value, TermError> {
        let mut c = Cursor { bytes, at: 0 };
        Value::read(&mut c, 0)
    }

    fn read(c: &mut Cursor<'_>, depth: usize) -> Result<Value, TermError> {
        if depth > MAX_DEPTH {
            return Err(too_deep(c.at));
        }
        let at = c.at;
        let t = c.u8()?;
        Ok(match t {
            tag::SMALL_INTEGER | tag::INTEGER | tag::SMALL_BIG | tag::LARGE_BIG => {
                match integer(c, t)? {
                    Int::Small(v) => {
                        let m = v.unsigned_abs().to_le_bytes();
                        let len = m.iter().rposition(|&d| d != 0).map_or(0, |i| i + 1);
                        Value::Int {
                            negative: v < 0,
                            magnitude: m[..len].to_vec(),
                        }
                    }
                    Int::Big {
                        negative,
                        magnitude,
                    } => Value::Int {
                        negative: negative && !magnitude.is_empty(),
                        magnitude: magnitude.to_vec(),
                    },
                }
            }
            tag::NEW_FLOAT => Value::float(f64::from_bits(c.u64()?)),
            tag::FLOAT => {
                let v = super::old_float(c.bytes, c.at)?;
                c.take(31)?;
                Value::float(v)
            }
            tag::ATOM | tag::SMALL_ATOM | tag::ATOM_UTF8 | tag::SMALL_ATOM_UTF8 => {
                c.at = at;
                Value::Atom(atom_text(c)?)
            }
            tag::NIL => Value::Nil,
            tag::STRING => {
                let n = c.u16()?;
                let bytes = c.take(usize::from(n))?;
                Value::list(bytes.iter().map(|&b| Value::byte(b)).collect(), Value::Nil)
            }
            tag::LIST => {
                let n = c.u32()?;
                c.room_for(n, 1, at)?;
                let mut items = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    items.push(Value::read(c, depth + 1)?);
                }
                let tail = Value::read(c, depth + 1)?;
                Value::list(items, tail)
            }
            tag::SMALL_TUPLE | tag::LARGE_TUPLE => {
                let n = if t == tag::SMALL_TUPLE {
                    u32::from(c.u8()?)
                } else {
                    c.u32()?
                };
                c.room_for(n, 1, at)?;
                let mut items = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    items.push(Value::read(c, depth + 1)?);
                }
                Value::Tuple(items)
            }
            tag::MAP => {
                let n = c.u32()?;
                c.room_for(n, 2, at)?;
                let mut pairs = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    let key = Value::read(c, depth + 1)?;
                    let value = Value::read(c, depth + 1)?;
                    pairs.push((key, value));
                }
                Value::Map(pairs)
            }
            tag::BINARY => {
                let n = c.u32()?;
                Value::Bits {
                    bytes: c.take(n as usize)?.to_vec(),
                    bits: 0,
                }
            }
            tag::BIT_BINARY => {
                let n = c.u32()? as usize;
                let bits = c.u8()?;
                let mut bytes = c.take(n)?.to_vec();
                if bits == 8 || n == 0 {
                    Value::Bits { bytes, bits: 0 }
                } else {
                    if let Some(last) = bytes.last_mut() {
                        *last &= 0xFFu8 << (8 - bits);
                    }
                    Value::Bits { bytes, bits }
                }
            }
            tag::PID | tag::NEW_PID => {
                let mut id = identity(b'P', c)?;
                id.extend(c.take(8)?);
                let creation = if t == tag::PID {
                    u32::from(c.u8()?)
                } else {
                    c.u32()?
                };
                id.extend(creation.to_be_bytes());
                Value::Id(id)
            }
            tag::PORT | tag::NEW_PORT | tag::V4_PORT => {
                let mut id = identity(b'O', c)?;
                let number = if t == tag::V4_PORT {
                    c.u64()?
                } else {
                    u64::from(c.u32()?)
                };
                let creation = if t == tag::PORT {
                    u32::from(c.u8()?)
                } else {
                    c.u32()?
                };
                id.extend(number.to_be_bytes());
                id.extend(creation.to_be_bytes());
                Value::Id(id)
            }
            tag::REFERENCE => {
                let mut id = identity(b'R', c)?;
                let word = c.take(4)?;
                id.extend(u32::from(c.u8()?).to_be_bytes());
                id.extend(word);
                Value::Id(id)
            }
            tag::NEW_REFERENCE | tag::NEWER_REFERENCE => {
                let words = c.u16()?;
                let mut id = identity(b'R', c)?;
                let creation = if t == tag::NEW_REFERENCE {
                    u32::from(c.u8()?)
                } else {
                    c.u32()?
                };
                id.extend(creation.to_be_bytes());
                id.extend(c.take(4 * usize::from(words))?);
                Value::Id(id)
            }
            tag::EXPORT => {
                let mut id = identity(b'E', c)?;
                id.extend(atom_text(c)?.as_bytes());
                id.push(0);
                let arity_tag = c.u8()?;
                match integer(c, arity_tag)? {
                    Int::Small(v) => id.extend((v as u32).to_be_bytes()),
                    Int::Big { .. } => {
                        return Err(TermError::Invalid {
                            what: "export with a bad arity",
                            at,
                        })
                    }
                }
                Value::Id(id)
            }
            tag::NEW_FUN => {
                // Everything up to the free variables identifies the fun; the
                // creator pid is compared as encoded.
                let start = c.at;
                c.take(4 + 1 + 16 + 4)?;
                let free = c.u32()?;
                whole_atom(c)?;
                for _ in 0..2 {
                    match c.u8()? {
                        tag::SMALL_INTEGER => drop(c.u8()?),
                        _ => drop(c.u32()?),
                    }
                }
                // The creator, as Erlang reads it: any term.
                Value::read(c, depth + 1)?;
                let mut rest = c.bytes[start..c.at].to_vec();
                // The size word depends on the free variables' encoding.
                rest[..4].fill(0);
                let mut values = Vec::new();
                for _ in 0..free {
                    values.push(Value::read(c, depth + 1)?);
                }
                Value::Fun { rest, free: values }
            }
            other => return Err(TermError::UnknownTag { tag: other, at }),
        })
    }

    fn byte(b: u8) -> Value {
        Value::Int {
            negative: false,
            magnitude: if b == 0 { Vec::new() } else { vec![b] },
        }
    }

    fn float(v: f64) -> Value {
        Value::Float(if v == 0.0 { 0 } else { v.to_bits() })
    }

    /// A list with its tail's elements merged in: one form per list.
    fn list(mut items: Vec<Value>, tail: Value) -> Value {
        match tail {
            Value::List(more, tail) => {
                items.extend(more);
                Value::List(items, tail)
            }
            tail if items.is_empty() => tail,
            tail => Value::List(items, Box::new(tail)),
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (
                Int {
                    negative: a,
                    magnitude: m,
                },
                Int {
                    negative: b,
                    magnitude: n,
                },
            ) => a == b && m == n,
            (Float(a), Float(b)) => a == b,
            (Atom(a), Atom(b)) => a == b,
            (Bits { bytes: a, bits: x }, Bits { bytes: b, bits: y }) => a == b && x == y,
            (Nil, Nil) => true,
            (List(a, t), List(b, u)) => a == b && t == u,
            (Tuple(a), Tuple(b)) => a == b,
            // A map is a set of pairs, whatever order it was written in.
            (Map(a), Map(b)) => a.len() == b.len() && a.iter().all(|pair| b.contains(pair)),
            (Id(a), Id(b)) => a == b,
            (Fun { rest: a, free: x }, Fun { rest: b, free: y }) => a == b && x == y,
            _ => false,
        }
    }
}

/// The start of a pid's, port's, reference's or export's canonical bytes:
/// its kind and its node (or module) name.
fn identity(kind: u8, c: &mut Cursor<'_>) -> Result<Vec<u8>, TermError> {
    let mut id = vec![kind];
    id.extend(atom_text(c)?.as_bytes());
    id.push(0);
    Ok(id)
}

/// An atom's name as text (Latin-1 names converted).
fn atom_text(c: &mut Cursor<'_>) -> Result<String, TermError> {
    let at = c.at;
    let t = *c.bytes.get(at).ok_or(TermError::Truncated { at })?;
    let atom = whole_atom(c)?;
    Ok(if t == tag::ATOM || t == tag::SMALL_ATOM {
        atom.name.iter().map(|&b| char::from(b)).collect()
    } else {
        String::from_utf8_lossy(atom.name).into_owned()
    })
}
