//! Building and taking apart the CBOR arrays of compact records: [`cbor`] appends items straight
//! to the output (no value tree), [`Packer`] packs scalars, signed differences, and [`Fields`],
//! which takes a record's fields in order with errors naming the missing or malformed one.

use ciborium::Value;

/// Appending CBOR items to a buffer. Every head takes its shortest form and lengths are definite,
/// as ciborium writes them: the bytes are exactly those of serializing the equivalent
/// [`ciborium::Value`] (which is what the reader decodes them into).
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

/// The fields of a compact record, taken in order, with errors naming the missing or bad one.
pub struct Fields {
    items: std::vec::IntoIter<Value>,
}

impl Fields {
    pub fn new(items: Vec<Value>) -> Self {
        Fields {
            items: items.into_iter(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.len() == 0
    }

    pub fn next(&mut self, name: &str) -> Result<Value, String> {
        self.items
            .next()
            .ok_or_else(|| format!("the record ends before its field `{name}`"))
    }

    pub fn int(&mut self, name: &str) -> Result<i128, String> {
        match self.next(name)? {
            Value::Integer(i) => Ok(i.into()),
            other => Err(format!("field `{name}` is not an integer: {other:?}")),
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

    pub fn bytes(&mut self, name: &str) -> Result<Vec<u8>, String> {
        match self.next(name)? {
            Value::Bytes(b) => Ok(b),
            other => Err(format!("field `{name}` is not a byte string: {other:?}")),
        }
    }

    pub fn optional_array(&mut self, name: &str) -> Result<Option<Vec<Value>>, String> {
        match self.items.next() {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(other) => Err(format!("field `{name}` is not an array: {other:?}")),
        }
    }

    pub fn end(&mut self) -> Result<(), String> {
        match self.items.len() {
            0 => Ok(()),
            n => Err(format!("{n} unexpected fields at the end of the record")),
        }
    }
}

impl Fields {
    /// An optional integer (`null` for `None`).
    pub fn opt_int<T: TryFrom<i128>>(&mut self, name: &str) -> Result<Option<T>, String> {
        match self.next(name)? {
            Value::Null => Ok(None),
            Value::Integer(i) => {
                let v = i128::from(i);
                T::try_from(v)
                    .map(Some)
                    .map_err(|_| format!("field `{name}` = {v} is out of range"))
            }
            other => Err(format!(
                "field `{name}` is neither null nor an integer: {other:?}"
            )),
        }
    }

    pub fn text(&mut self, name: &str) -> Result<String, String> {
        match self.next(name)? {
            Value::Text(t) => Ok(t),
            other => Err(format!("field `{name}` is not text: {other:?}")),
        }
    }
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
pub struct Unpacker {
    bytes: Vec<u8>,
    pos: usize,
}

impl Unpacker {
    pub fn new(bytes: Vec<u8>) -> Self {
        Unpacker { bytes, pos: 0 }
    }

    pub fn u(&mut self, name: &str) -> Result<u64, String> {
        super::delta::get_varint(&self.bytes, &mut self.pos)
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
