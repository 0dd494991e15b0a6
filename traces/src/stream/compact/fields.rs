//! Building and taking apart the CBOR arrays of compact records: value constructors, signed
//! differences, and [`Fields`], which takes a record's fields in order with errors naming the
//! missing or malformed one.

use ciborium::Value;

pub fn uint(v: u64) -> Value {
    Value::Integer(v.into())
}

pub fn arr(v: Vec<Value>) -> Value {
    Value::Array(v)
}

/// `v - reference` as a signed 64-bit difference (wrapping).
pub fn diff(v: u64, reference: u64) -> Value {
    Value::Integer((v.wrapping_sub(reference) as i64).into())
}

pub fn undiff(it: &mut Fields, name: &str, reference: u64) -> Result<u64, String> {
    Ok(reference.wrapping_add(it.i64(name)? as u64))
}

pub fn undiff_u32(it: &mut Fields, name: &str, reference: u32) -> Result<u32, String> {
    let d = it.i64(name)?;
    u32::try_from(i64::from(reference) + d)
        .map_err(|_| format!("{name} {d} leaves the range of ids"))
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

/// `Some(v)` as an integer, `None` as `null`.
pub fn opt<T: Into<i128>>(v: Option<T>) -> Value {
    match v {
        Some(v) => Value::Integer(
            v.into()
                .try_into()
                .expect("64-bit values fit CBOR integers"),
        ),
        None => Value::Null,
    }
}

/// A signed or unsigned 64-bit (or smaller) value.
pub fn int<T: Into<i128>>(v: T) -> Value {
    Value::Integer(
        v.into()
            .try_into()
            .expect("64-bit values fit CBOR integers"),
    )
}
