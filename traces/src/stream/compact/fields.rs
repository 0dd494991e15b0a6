//! Building and taking apart the CBOR arrays of compact records: [`cbor`] appends items straight
//! to the output (no value tree), [`Packer`] packs scalars, signed differences, and [`Fields`],
//! which takes a record's fields in order straight from its bytes (no value tree either), with
//! errors naming the missing or malformed one.

use super::super::item::{self, Scan};

/// Appending CBOR items to a buffer. Every head takes its shortest form and lengths are definite,
/// as ciborium writes them: the bytes are exactly those of serializing the equivalent
/// [`ciborium::Value`].
pub mod cbor {
    const UNSIGNED: u8 = 0;
    const NEGATIVE: u8 = 1;
    const BYTES: u8 = 2;
    const TEXT: u8 = 3;
    const ARRAY: u8 = 4;
    /// `null` (major type 7, simple value 22).
    const NULL: u8 = 0xf6;

    /// A head of major type `major` with argument `v`.
    #[inline]
    fn head(out: &mut Vec<u8>, major: u8, v: u64) {
        let m = major << 5;
        if v < 24 {
            out.push(m | v as u8);
        } else if let Ok(v) = u8::try_from(v) {
            out.extend_from_slice(&[m | 24, v]);
        } else if let Ok(v) = u16::try_from(v) {
            out.push(m | 25);
            out.extend_from_slice(&v.to_be_bytes());
        } else if let Ok(v) = u32::try_from(v) {
            out.push(m | 26);
            out.extend_from_slice(&v.to_be_bytes());
        } else {
            out.push(m | 27);
            out.extend_from_slice(&v.to_be_bytes());
        }
    }

    /// The head of an array of `len` items (which follow).
    pub fn array(out: &mut Vec<u8>, len: usize) {
        head(out, ARRAY, len as u64);
    }

    pub fn uint(out: &mut Vec<u8>, v: u64) {
        head(out, UNSIGNED, v);
    }

    pub fn int(out: &mut Vec<u8>, v: i64) {
        match u64::try_from(v) {
            Ok(v) => head(out, UNSIGNED, v),
            // -1 - n is stored as n.
            Err(_) => head(out, NEGATIVE, !(v as u64)),
        }
    }

    /// `v - reference` as a signed 64-bit difference (wrapping).
    pub fn diff(out: &mut Vec<u8>, v: u64, reference: u64) {
        int(out, super::wrapping_diff(v, reference));
    }

    /// `Some(v)` as an integer, `None` as `null`.
    pub fn opt(out: &mut Vec<u8>, v: Option<i64>) {
        match v {
            Some(v) => int(out, v),
            None => out.push(NULL),
        }
    }

    /// The head of a byte string of `len` bytes (which follow).
    pub fn bytes_head(out: &mut Vec<u8>, len: usize) {
        head(out, BYTES, len as u64);
    }

    pub fn bytes(out: &mut Vec<u8>, b: &[u8]) {
        bytes_head(out, b.len());
        out.extend_from_slice(b);
    }

    pub fn text(out: &mut Vec<u8>, t: &str) {
        head(out, TEXT, t.len() as u64);
        out.extend_from_slice(t.as_bytes());
    }
}

pub fn undiff(it: &mut Fields, name: &str, reference: u64) -> Result<u64, String> {
    Ok(reference.wrapping_add(it.i64(name)? as u64))
}

/// One field of a compact record, borrowed from the record's bytes.
#[derive(Debug)]
pub enum Item<'a> {
    Int(i128),
    Bytes(&'a [u8]),
    Text(&'a [u8]),
    Array(Fields<'a>),
    Null,
    /// Anything else compact records never hold: what it is.
    Other(&'static str),
}

impl Item<'_> {
    /// What the item is, for errors.
    fn what(&self) -> String {
        match self {
            Item::Int(i) => format!("the integer {i}"),
            Item::Bytes(b) => format!("a byte string of {} bytes", b.len()),
            Item::Text(t) => format!("the text {:?}", String::from_utf8_lossy(t)),
            Item::Array(_) => "an array".into(),
            Item::Null => "null".into(),
            Item::Other(what) => (*what).into(),
        }
    }
}

/// The fields of a compact record (a CBOR array, whole and well-formed: [`super::super::item`]
/// checked it), taken in order straight from its bytes, with errors naming the missing or bad
/// one.
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Items left; `None` for an indefinite-length array (which ends at a break).
    left: Option<u64>,
}

/// The error for bytes that do not hold what [`super::super::item::extent`] promised.
fn cut(at: usize) -> String {
    format!("the record's CBOR is cut at its byte {at}")
}

impl<'a> Fields<'a> {
    /// The fields of the array at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Result<Self, String> {
        match item::head(bytes, 0) {
            Ok(Scan::Done(h)) if h.major == item::ARRAY => Ok(Fields {
                bytes,
                pos: h.len,
                left: h.arg,
            }),
            Ok(Scan::Done(_)) => Err("the record is not an array".into()),
            Ok(Scan::Need(_)) => Err(cut(0)),
            Err(e) => Err(format!("{} at its byte {}", e.what, e.at)),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self.left {
            Some(n) => n == 0,
            None => self.bytes.get(self.pos).is_none_or(|&b| b == item::BREAK),
        }
    }

    /// How many fields are left.
    pub fn len(&self) -> Result<usize, String> {
        match self.left {
            Some(n) => usize::try_from(n).map_err(|_| format!("an array of {n} items")),
            None => {
                let mut rest = self.clone();
                let mut n = 0;
                while rest.item()?.is_some() {
                    n += 1;
                }
                Ok(n)
            }
        }
    }

    /// The next field, `None` at the end of the array.
    fn item(&mut self) -> Result<Option<Item<'a>>, String> {
        if self.is_empty() {
            return Ok(None);
        }
        let at = self.pos;
        let h = match item::head(self.bytes, at) {
            Ok(Scan::Done(h)) => h,
            Ok(Scan::Need(_)) => return Err(cut(at)),
            Err(e) => return Err(format!("{} at its byte {}", e.what, e.at)),
        };
        let body = at + h.len;
        // Scalars and definite strings end where their head says (the common case); anything
        // else is measured.
        let end = match (h.major, h.arg) {
            (item::UNSIGNED | item::NEGATIVE | item::SIMPLE, Some(_)) => Some(body),
            (item::BYTES | item::TEXT, Some(n)) => usize::try_from(n)
                .ok()
                .and_then(|n| body.checked_add(n))
                .filter(|&end| end <= self.bytes.len()),
            _ => match item::extent(self.bytes, at, super::super::RECURSION_LIMIT) {
                Ok(Scan::Done(end)) => Some(end),
                Ok(Scan::Need(_)) => None,
                Err(e) => return Err(format!("{} at its byte {}", e.what, e.at)),
            },
        };
        let end = end.ok_or_else(|| cut(at))?;
        let item = match (h.major, h.arg) {
            (item::UNSIGNED, Some(n)) => Item::Int(n.into()),
            (item::NEGATIVE, Some(n)) => Item::Int(-1 - i128::from(n)),
            (item::BYTES, Some(_)) => Item::Bytes(&self.bytes[body..end]),
            (item::TEXT, Some(_)) => Item::Text(&self.bytes[body..end]),
            (item::BYTES | item::TEXT, None) => Item::Other("an indefinite-length string"),
            (item::ARRAY, left) => Item::Array(Fields {
                bytes: &self.bytes[..end],
                pos: body,
                left,
            }),
            (item::MAP, _) => Item::Other("a map"),
            (item::TAG, _) => Item::Other("a tagged item"),
            (_, Some(22)) => Item::Null,
            _ => Item::Other("a simple value or a float"),
        };
        self.pos = end;
        if let Some(n) = &mut self.left {
            *n -= 1;
        }
        Ok(Some(item))
    }

    pub fn next(&mut self, name: &str) -> Result<Item<'a>, String> {
        self.item()?
            .ok_or_else(|| format!("the record ends before its field `{name}`"))
    }

    pub fn int(&mut self, name: &str) -> Result<i128, String> {
        match self.next(name)? {
            Item::Int(i) => Ok(i),
            other => Err(format!(
                "field `{name}` is not an integer: {}",
                other.what()
            )),
        }
    }

    pub fn ranged<T: TryFrom<i128>>(&mut self, name: &str) -> Result<T, String> {
        let v = self.int(name)?;
        T::try_from(v).map_err(|_| format!("field `{name}` = {v} is out of range"))
    }

    pub fn uint(&mut self, name: &str) -> Result<u64, String> {
        self.ranged(name)
    }
    pub fn u32(&mut self, name: &str) -> Result<u32, String> {
        self.ranged(name)
    }
    pub fn u16(&mut self, name: &str) -> Result<u16, String> {
        self.ranged(name)
    }
    pub fn i32(&mut self, name: &str) -> Result<i32, String> {
        self.ranged(name)
    }
    pub fn i64(&mut self, name: &str) -> Result<i64, String> {
        self.ranged(name)
    }

    pub fn bytes(&mut self, name: &str) -> Result<&'a [u8], String> {
        match self.next(name)? {
            Item::Bytes(b) => Ok(b),
            other => Err(format!(
                "field `{name}` is not a byte string: {}",
                other.what()
            )),
        }
    }

    pub fn optional_array(&mut self, name: &str) -> Result<Option<Fields<'a>>, String> {
        match self.item()? {
            None => Ok(None),
            Some(Item::Array(a)) => Ok(Some(a)),
            Some(other) => Err(format!("field `{name}` is not an array: {}", other.what())),
        }
    }

    pub fn end(&mut self) -> Result<(), String> {
        match self.len()? {
            0 => Ok(()),
            n => Err(format!("{n} unexpected fields at the end of the record")),
        }
    }

    /// An optional integer (`null` for `None`).
    pub fn opt_int<T: TryFrom<i128>>(&mut self, name: &str) -> Result<Option<T>, String> {
        match self.next(name)? {
            Item::Null => Ok(None),
            Item::Int(v) => T::try_from(v)
                .map(Some)
                .map_err(|_| format!("field `{name}` = {v} is out of range")),
            other => Err(format!(
                "field `{name}` is neither null nor an integer: {}",
                other.what()
            )),
        }
    }

    pub fn text(&mut self, name: &str) -> Result<String, String> {
        match self.next(name)? {
            Item::Text(t) => text(name, t),
            other => Err(format!("field `{name}` is not text: {}", other.what())),
        }
    }
}

/// A text field's bytes as a string (CBOR text is UTF-8).
pub fn text(name: &str, t: &[u8]) -> Result<String, String> {
    String::from_utf8(t.to_vec()).map_err(|e| format!("field `{name}` is not valid UTF-8: {e}"))
}

/// The scalar fields of a compact record packed as LEB128 varints in one byte string (signed ones
/// zigzag-encoded): a time difference of 65 µs–1 ms takes 3 bytes instead of CBOR's 5.
#[derive(Debug, Default)]
pub struct Packer(pub Vec<u8>);

impl Packer {
    /// A packer writing into `buf` (cleared), to reuse its allocation.
    pub fn reuse(mut buf: Vec<u8>) -> Self {
        buf.clear();
        Packer(buf)
    }

    pub fn u(&mut self, v: u64) {
        super::delta::put_varint(&mut self.0, v);
    }

    pub fn i(&mut self, v: i64) {
        self.u(((v << 1) ^ (v >> 63)) as u64);
    }

    /// Appends the packed scalars to `out` as a byte string; hands the buffer back for reuse.
    pub fn done(self, out: &mut Vec<u8>) -> Vec<u8> {
        cbor::bytes(out, &self.0);
        self.0
    }
}

/// Reads what a [`Packer`] wrote, with errors naming the field.
pub struct Unpacker<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Unpacker<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Unpacker { bytes, pos: 0 }
    }

    pub fn u(&mut self, name: &str) -> Result<u64, String> {
        super::delta::get_varint(self.bytes, &mut self.pos)
            .map_err(|e| format!("scalar `{name}`: {e}"))
    }

    pub fn i(&mut self, name: &str) -> Result<i64, String> {
        let v = self.u(name)?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    /// A signed field that must fit `T`.
    pub fn ranged<T: TryFrom<i64>>(&mut self, name: &str) -> Result<T, String> {
        let v = self.i(name)?;
        T::try_from(v).map_err(|_| format!("scalar `{name}` = {v} is out of range"))
    }

    /// `reference` moved by a signed difference (wrapping, as written by [`wrapping_diff`]).
    pub fn undiff(&mut self, name: &str, reference: u64) -> Result<u64, String> {
        Ok(reference.wrapping_add(self.i(name)? as u64))
    }

    /// A u32 id (pid, tid) moved by a signed difference from `reference`.
    pub fn undiff_u32(&mut self, name: &str, reference: u32) -> Result<u32, String> {
        let d = self.i(name)?;
        u32::try_from(i64::from(reference) + d)
            .map_err(|_| format!("{name} {d} leaves the range of ids"))
    }

    pub fn end(&self) -> Result<(), String> {
        match self.bytes.len() - self.pos {
            0 => Ok(()),
            n => Err(format!("{n} unexpected bytes after the scalar fields")),
        }
    }
}

/// `v - reference` as a signed 64-bit difference (wrapping).
pub fn wrapping_diff(v: u64, reference: u64) -> i64 {
    v.wrapping_sub(reference) as i64
}
