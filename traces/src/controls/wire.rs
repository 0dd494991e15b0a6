//! The wire layer for codec-control payloads: a bounds-safe little-endian reader, the [`Wire`]
//! trait (C size/alignment, decoding, serialisation, flattening) and the `wire_struct!` macro
//! that declares a Rust mirror of one kernel uapi struct.
//!
//! A mirror lists the C fields in declaration order with their C types; the macro lays them out
//! with C's rules (each field aligned to its natural alignment, the struct padded to its largest
//! alignment), so implicit padding needs no hand-written offsets. `crate::layout_check` checks every
//! resulting offset and size against numbers gcc printed from the real headers.

use serde::ser::{SerializeSeq, Serializer};

/// A cursor over a payload. Reads past the end yield zero bytes rather than panicking; callers
/// check the payload size first, so in practice this never happens.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn seek(&mut self, pos: usize) {
        self.pos = pos;
    }

    pub fn align(&mut self, align: usize) {
        self.pos = align_up(self.pos, align);
    }

    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let end = self.pos.saturating_add(N);
        if let Some(src) = self.buf.get(self.pos..end) {
            out.copy_from_slice(src);
        }
        self.pos = end;
        out
    }
}

/// Rounds `off` up to a multiple of `align` (a power of two or 1).
pub const fn align_up(off: usize, align: usize) -> usize {
    if align <= 1 {
        off
    } else {
        off.div_ceil(align) * align
    }
}

/// A type with a fixed C layout that can be read from a payload.
pub trait Wire: Sized {
    /// `sizeof` of the C type.
    const SIZE: usize;
    /// `_Alignof` of the C type.
    const ALIGN: usize;
    /// Reads one value at the reader's (already aligned) position.
    fn read(r: &mut Reader<'_>) -> Self;
    /// Serialises the value (arrays as sequences, structs as maps).
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
    /// The value as one short string if it is a scalar or an array of scalars.
    fn scalar_str(&self) -> Option<String>;
    /// Appends (dotted field path, value) pairs: scalars and scalar arrays as one pair each,
    /// struct fields as `name.field`, struct arrays as `name[i].field`.
    fn flatten(&self, name: &str, out: &mut Vec<(String, String)>) {
        if let Some(s) = self.scalar_str() {
            out.push((name.to_string(), s));
        }
    }
}

macro_rules! wire_prim {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            const ALIGN: usize = std::mem::size_of::<$t>();
            fn read(r: &mut Reader<'_>) -> Self {
                <$t>::from_le_bytes(r.bytes())
            }
            fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                serde::Serialize::serialize(self, s)
            }
            fn scalar_str(&self) -> Option<String> {
                Some(self.to_string())
            }
        }
    )*};
}
wire_prim!(u8, i8, u16, i16, u32, i32, u64, i64);

impl<T: Wire, const N: usize> Wire for [T; N] {
    const SIZE: usize = T::SIZE * N;
    const ALIGN: usize = T::ALIGN;
    fn read(r: &mut Reader<'_>) -> Self {
        std::array::from_fn(|_| T::read(r))
    }
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(N))?;
        for v in self {
            seq.serialize_element(&W(v))?;
        }
        seq.end()
    }
    fn scalar_str(&self) -> Option<String> {
        let parts: Option<Vec<String>> = self.iter().map(Wire::scalar_str).collect();
        parts.map(|p| format!("{{{}}}", p.join(",")))
    }
    fn flatten(&self, name: &str, out: &mut Vec<(String, String)>) {
        if let Some(s) = self.scalar_str() {
            out.push((name.to_string(), s));
        } else {
            for (i, v) in self.iter().enumerate() {
                v.flatten(&format!("{name}[{i}]"), out);
            }
        }
    }
}

/// Adapter giving any [`Wire`] value a `serde::Serialize` impl.
pub struct W<'a, T>(pub &'a T);

impl<T: Wire> serde::Serialize for W<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.ser(s)
    }
}

/// A field's C name from its Rust identifier (drops a raw-identifier `r#`).
pub fn field_name(ident: &'static str) -> &'static str {
    ident.trim_start_matches("r#")
}

/// Joins a flattening prefix and a field name.
pub fn join(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_string()
    } else {
        format!("{prefix}.{field}")
    }
}

/// The result of decoding a payload: the value, or `(expected size, actual size)`.
pub type ParseResult<T> = Result<T, (usize, usize)>;

/// A table of flag masks and their names, in the order they are tested.
pub type FlagTable = &'static [(u64, &'static str)];

/// The names of the flags set in `value`; bits no entry covers come last as one hex number.
pub fn flag_names(value: u64, table: FlagTable) -> Vec<String> {
    let mut rest = value;
    let mut out = Vec::new();
    for &(mask, name) in table {
        if rest == 0 {
            break;
        }
        if mask != 0 && rest & mask == mask {
            rest &= !mask;
            out.push(name.to_string());
        }
    }
    if rest != 0 {
        out.push(format!("0x{rest:x}"));
    }
    out
}

/// Declares the Rust mirror of one kernel struct: see the module documentation. A flags field
/// may name its flag table after `=>`; the serialised form then also carries `<field>_names`.
macro_rules! wire_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident = $cname:literal {
            $( $(#[$fmeta:meta])* pub $f:ident : $t:ty $(=> $tbl:expr)? ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $f: $t, )*
        }

        #[allow(dead_code)]
        impl $name {
            /// The kernel struct this mirrors.
            pub const C_NAME: &'static str = $cname;

            /// Each field's C name and byte offset, in declaration order.
            pub fn offsets() -> Vec<(&'static str, usize)> {
                let mut off = 0usize;
                let mut v = Vec::new();
                $(
                    off = $crate::controls::wire::align_up(off, <$t as $crate::controls::wire::Wire>::ALIGN);
                    v.push(($crate::controls::wire::field_name(stringify!($f)), off));
                    off += <$t as $crate::controls::wire::Wire>::SIZE;
                )*
                let _ = off;
                v
            }

            /// Decodes one struct from a payload of exactly its size: `Err((expected, got))`
            /// otherwise.
            pub fn parse(payload: &[u8]) -> $crate::controls::wire::ParseResult<Self> {
                use $crate::controls::wire::Wire;
                if payload.len() != Self::SIZE {
                    return Err((Self::SIZE, payload.len()));
                }
                Ok(Self::read(&mut $crate::controls::wire::Reader::new(payload)))
            }

            /// Flattens into (field path, value) pairs with plain decimal values.
            pub fn fields(&self) -> Vec<(String, String)> {
                use $crate::controls::wire::Wire;
                let mut out = Vec::new();
                self.flatten("", &mut out);
                out
            }
        }

        impl $crate::controls::wire::Wire for $name {
            const ALIGN: usize = {
                let mut a = 1usize;
                $( if <$t as $crate::controls::wire::Wire>::ALIGN > a {
                    a = <$t as $crate::controls::wire::Wire>::ALIGN;
                } )*
                a
            };
            const SIZE: usize = {
                let mut off = 0usize;
                $( off = $crate::controls::wire::align_up(off, <$t as $crate::controls::wire::Wire>::ALIGN)
                    + <$t as $crate::controls::wire::Wire>::SIZE; )*
                $crate::controls::wire::align_up(off, Self::ALIGN)
            };
            fn read(r: &mut $crate::controls::wire::Reader<'_>) -> Self {
                let start = r.pos();
                $(
                    r.align(<$t as $crate::controls::wire::Wire>::ALIGN);
                    let $f = <$t as $crate::controls::wire::Wire>::read(r);
                )*
                r.seek(start + Self::SIZE);
                $name { $( $f, )* }
            }
            fn ser<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                serde::Serialize::serialize(self, s)
            }
            fn scalar_str(&self) -> Option<String> {
                None
            }
            fn flatten(&self, name: &str, out: &mut Vec<(String, String)>) {
                $(
                    $crate::controls::wire::Wire::flatten(
                        &self.$f,
                        &$crate::controls::wire::join(name, $crate::controls::wire::field_name(stringify!($f))),
                        out,
                    );
                )*
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let n = 0usize $( + 1 $( + { let _ = $tbl; 1 } )? )*;
                let mut st = s.serialize_struct(stringify!($name), n)?;
                $(
                    st.serialize_field(
                        $crate::controls::wire::field_name(stringify!($f)),
                        &$crate::controls::wire::W(&self.$f),
                    )?;
                    $(
                        st.serialize_field(
                            concat!(stringify!($f), "_names"),
                            &$crate::controls::wire::flag_names(u64::from(self.$f), $tbl),
                        )?;
                    )?
                )*
                st.end()
            }
        }
    };
}
pub(crate) use wire_struct;

#[cfg(test)]
mod tests {
    use super::*;

    wire_struct! {
        /// A struct with implicit padding, to test the layout rules.
        pub struct Padded = "padded" {
            pub a: u8,
            pub b: u32 => &[(1, "ONE"), (4, "FOUR")],
            pub c: [u16; 3],
            pub d: u64,
            pub e: u8,
        }
    }

    #[test]
    fn layout_follows_c_rules() {
        assert_eq!(Padded::SIZE, 32);
        assert_eq!(Padded::ALIGN, 8);
        assert_eq!(
            Padded::offsets(),
            vec![("a", 0), ("b", 4), ("c", 8), ("d", 16), ("e", 24)]
        );
    }

    #[test]
    fn reads_little_endian_and_flattens() {
        let mut p = [0u8; 32];
        p[0] = 7;
        p[4..8].copy_from_slice(&5u32.to_le_bytes());
        p[10..12].copy_from_slice(&0xbeefu16.to_le_bytes());
        p[16..24].copy_from_slice(&(-2i64 as u64).to_le_bytes());
        p[24] = 9;
        let v = Padded::parse(&p).unwrap();
        assert_eq!(v.a, 7);
        assert_eq!(v.b, 5);
        assert_eq!(v.c, [0, 0xbeef, 0]);
        assert_eq!(v.d, (-2i64) as u64);
        assert_eq!(v.e, 9);
        let f = v.fields();
        assert_eq!(f[2], ("c".to_string(), "{0,48879,0}".to_string()));
        assert_eq!(Padded::parse(&p[..31]), Err((32, 31)));
    }

    #[test]
    fn flag_names_keep_unknown_bits() {
        let t: FlagTable = &[(1, "A"), (2, "B")];
        assert_eq!(flag_names(0, t), Vec::<String>::new());
        assert_eq!(flag_names(3, t), vec!["A", "B"]);
        assert_eq!(flag_names(0x12, t), vec!["B", "0x10"]);
    }

    #[test]
    fn serialises_with_flag_names() {
        let mut p = [0u8; 32];
        p[4] = 5;
        let v = Padded::parse(&p).unwrap();
        let j = serde_json::to_value(&v).unwrap();
        assert_eq!(j["b"], 5);
        assert_eq!(j["b_names"], serde_json::json!(["ONE", "FOUR"]));
        assert_eq!(j["c"], serde_json::json!([0, 0, 0]));
    }
}
