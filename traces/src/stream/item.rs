//! Taking CBOR apart without building a value tree: [`head`] reads one item's head, [`extent`]
//! finds where the item starting a buffer ends (or how many bytes it needs at least). The reader
//! uses them to find a whole compact record in its input buffer before decoding it in place
//! ([`super::compact`]'s `Fields`), so a record cut by the end of the input never touches the
//! decoding state.

/// CBOR major types.
pub const UNSIGNED: u8 = 0;
pub const NEGATIVE: u8 = 1;
pub const BYTES: u8 = 2;
pub const TEXT: u8 = 3;
pub const ARRAY: u8 = 4;
pub const MAP: u8 = 5;
pub const TAG: u8 = 6;
pub const SIMPLE: u8 = 7;
/// The "break" that ends an indefinite-length item.
pub const BREAK: u8 = 0xff;
/// [`Malformed::what`] of an item nested deeper than allowed.
pub const TOO_DEEP: &str = "items nested too deep";

/// One item's head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub major: u8,
    /// The argument (a value, a length, a count, a tag number, a simple value or a float's
    /// bits); `None` for an indefinite length (or a break, major type 7).
    pub arg: Option<u64>,
    /// Bytes of the head.
    pub len: usize,
}

/// What looking at the start of a buffer gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan<T> {
    /// Found.
    Done(T),
    /// The buffer ends first: the item needs at least this many bytes from the buffer's start
    /// (saturating: a length no input can hold gives `usize::MAX`).
    Need(usize),
}

/// A malformed item: what is wrong, and the byte (from the buffer's start) where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub at: usize,
    pub what: &'static str,
}

/// The head of the item at `buf[pos..]`.
#[inline]
pub fn head(buf: &[u8], pos: usize) -> Result<Scan<Head>, Malformed> {
    let Some(&first) = buf.get(pos) else {
        return Ok(Scan::Need(pos.saturating_add(1)));
    };
    let (major, info) = (first >> 5, first & 0x1f);
    let size = match info {
        0..=23 => {
            return Ok(Scan::Done(Head {
                major,
                arg: Some(info.into()),
                len: 1,
            }))
        }
        24 => 1,
        25 => 2,
        26 => 4,
        27 => 8,
        31 if matches!(major, BYTES | TEXT | ARRAY | MAP | SIMPLE) => {
            return Ok(Scan::Done(Head {
                major,
                arg: None,
                len: 1,
            }))
        }
        _ => {
            return Err(Malformed {
                at: pos,
                what: "a reserved or invalid head",
            })
        }
    };
    let Some(bytes) = buf.get(pos + 1..pos + 1 + size) else {
        return Ok(Scan::Need(pos + 1 + size));
    };
    let arg = match *bytes {
        [a] => a.into(),
        [a, b] => u16::from_be_bytes([a, b]).into(),
        [a, b, c, d] => u32::from_be_bytes([a, b, c, d]).into(),
        [a, b, c, d, e, f, g, h] => u64::from_be_bytes([a, b, c, d, e, f, g, h]),
        _ => unreachable!("a head argument is 1, 2, 4 or 8 bytes"),
    };
    Ok(Scan::Done(Head {
        major,
        arg: Some(arg),
        len: 1 + size,
    }))
}

/// Where the item at `buf[pos..]` ends (the offset just past it), nested at most `depth` levels.
#[inline]
pub fn extent(buf: &[u8], pos: usize, depth: usize) -> Result<Scan<usize>, Malformed> {
    let h = match head(buf, pos)? {
        Scan::Done(h) => h,
        Scan::Need(n) => return Ok(Scan::Need(n)),
    };
    let mut at = pos + h.len;
    let nested = |at: usize| -> Result<usize, Malformed> {
        depth.checked_sub(1).ok_or(Malformed { at, what: TOO_DEEP })
    };
    match (h.major, h.arg) {
        (UNSIGNED | NEGATIVE | SIMPLE, Some(_)) => Ok(Scan::Done(at)),
        (SIMPLE, None) => Err(Malformed {
            at: pos,
            what: "a break outside an indefinite-length item",
        }),
        (BYTES | TEXT, Some(n)) => {
            let end = usize::try_from(n)
                .ok()
                .and_then(|n| at.checked_add(n))
                .unwrap_or(usize::MAX);
            Ok(if end <= buf.len() {
                Scan::Done(end)
            } else {
                Scan::Need(end)
            })
        }
        (BYTES | TEXT, None) => loop {
            // Definite chunks of the same major type, then a break.
            match buf.get(at) {
                None => return Ok(Scan::Need(at + 1)),
                Some(&BREAK) => return Ok(Scan::Done(at + 1)),
                Some(&b) if b >> 5 != h.major || b & 0x1f == 31 => {
                    return Err(Malformed {
                        at,
                        what: "a chunk of an indefinite-length string of another type",
                    })
                }
                Some(_) => match extent(buf, at, 0)? {
                    Scan::Done(end) => at = end,
                    need => return Ok(need),
                },
            }
        },
        (ARRAY | MAP, Some(n)) => {
            let depth = nested(pos)?;
            let items = if h.major == MAP {
                n.saturating_mul(2)
            } else {
                n
            };
            // Every item takes a byte at least: a count the buffer cannot hold ends in `Need`
            // after at most `buf.len()` turns.
            for _ in 0..items {
                match extent(buf, at, depth)? {
                    Scan::Done(end) => at = end,
                    need => return Ok(need),
                }
            }
            Ok(Scan::Done(at))
        }
        (ARRAY | MAP, None) => {
            let depth = nested(pos)?;
            loop {
                match buf.get(at) {
                    None => return Ok(Scan::Need(at + 1)),
                    Some(&BREAK) => return Ok(Scan::Done(at + 1)),
                    Some(_) => match extent(buf, at, depth)? {
                        Scan::Done(end) => at = end,
                        need => return Ok(need),
                    },
                }
            }
        }
        // A tag: its number, then the item it tags.
        _ => extent(buf, at, nested(pos)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(v: &ciborium::Value) -> Vec<u8> {
        let mut b = Vec::new();
        ciborium::into_writer(v, &mut b).unwrap();
        b
    }

    #[test]
    fn extent_matches_ciborium_and_every_cut_needs_more() {
        use ciborium::Value as V;
        let values = [
            V::Integer(0.into()),
            V::Integer(u64::MAX.into()),
            V::Integer((-1_000_000).into()),
            V::Bytes(vec![7; 300]),
            V::Text("ppoll".into()),
            V::Null,
            V::Float(1.5),
            V::Array(vec![
                V::Integer(3.into()),
                V::Array(vec![
                    V::Bytes(vec![1, 2]),
                    V::Map(vec![(V::Null, V::Bool(true))]),
                ]),
                V::Tag(24, Box::new(V::Bytes(vec![9; 30]))),
            ]),
        ];
        for v in &values {
            let mut b = encoded(v);
            let len = b.len();
            b.extend_from_slice(&[0, 1, 2]); // what follows the item is not part of it
            assert_eq!(extent(&b, 0, 8), Ok(Scan::Done(len)), "{v:?}");
            for cut in 0..len {
                match extent(&b[..cut], 0, 8) {
                    Ok(Scan::Need(n)) => assert!(n > cut && n <= len, "{v:?} cut at {cut}: {n}"),
                    other => panic!("{v:?} cut at {cut}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn indefinite_lengths_are_followed() {
        // [_ h'01', (_ h'02' h'0304'), "a"] then a trailing byte.
        let b = [
            0x9f, 0x41, 1, 0x5f, 0x41, 2, 0x42, 3, 4, 0xff, 0x61, b'a', 0xff, 0,
        ];
        assert_eq!(extent(&b, 0, 8), Ok(Scan::Done(13)));
        assert_eq!(extent(&b[..9], 0, 8), Ok(Scan::Need(10)));
    }

    #[test]
    fn malformed_items_are_errors() {
        for (b, what) in [
            (&[0x1c][..], "reserved"),
            (&[0xff], "break outside"),
            (&[0x5f, 0x61, b'a', 0xff], "another type"),
            (&[0x1f], "reserved"),
        ] {
            match extent(b, 0, 8) {
                Err(e) => assert!(e.what.contains(what), "{b:?}: {e:?}"),
                other => panic!("{b:?}: {other:?}"),
            }
        }
        let deep = [0x81u8; 10];
        assert!(matches!(extent(&deep, 0, 8), Err(e) if e.what.contains("deep")));
        assert_eq!(extent(&deep, 0, 10), Ok(Scan::Need(11)));
    }

    #[test]
    fn huge_counts_and_lengths_only_need_more() {
        assert_eq!(
            extent(&[0x5b, 0x40, 0, 0, 0, 0, 0, 0, 0], 0, 8),
            Ok(Scan::Need(9 + (1 << 62)))
        );
        let mut b = vec![0x9b, 0x40, 0, 0, 0, 0, 0, 0, 0];
        b.extend_from_slice(&[0; 100]);
        assert_eq!(extent(&b, 0, 8), Ok(Scan::Need(110)));
    }
}
