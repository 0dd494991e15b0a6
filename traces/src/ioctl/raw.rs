//! A tiny bounds-checked little-endian reader over captured struct bytes: every accessor returns
//! 0 (or an empty string) past the end instead of panicking, and [`Raw::new`] refuses input
//! shorter than the struct so decoders never see a short struct.

use super::decode::DecodeError;

/// Captured bytes of one struct.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Raw<'a> {
    bytes: &'a [u8],
}

impl<'a> Raw<'a> {
    /// Wraps `bytes`, which must hold at least `need` bytes of the struct `what`.
    pub(crate) fn new(
        bytes: &'a [u8],
        need: usize,
        what: &'static str,
    ) -> Result<Self, DecodeError> {
        if bytes.len() < need {
            return Err(DecodeError::Short {
                what,
                need,
                got: bytes.len(),
            });
        }
        Ok(Raw { bytes })
    }

    /// The bytes `[off, off + len)`, or fewer at the end of the input.
    pub(crate) fn slice(&self, off: usize, len: usize) -> &'a [u8] {
        let start = off.min(self.bytes.len());
        let end = off.saturating_add(len).min(self.bytes.len());
        &self.bytes[start..end]
    }

    fn array<const N: usize>(&self, off: usize) -> [u8; N] {
        let mut out = [0u8; N];
        let s = self.slice(off, N);
        out[..s.len()].copy_from_slice(s);
        out
    }

    pub(crate) fn u8(&self, off: usize) -> u8 {
        self.array::<1>(off)[0]
    }
    pub(crate) fn u16(&self, off: usize) -> u16 {
        u16::from_le_bytes(self.array(off))
    }
    pub(crate) fn u32(&self, off: usize) -> u32 {
        u32::from_le_bytes(self.array(off))
    }
    pub(crate) fn i32(&self, off: usize) -> i32 {
        i32::from_le_bytes(self.array(off))
    }
    pub(crate) fn u64(&self, off: usize) -> u64 {
        u64::from_le_bytes(self.array(off))
    }
    pub(crate) fn i64(&self, off: usize) -> i64 {
        i64::from_le_bytes(self.array(off))
    }

    /// A NUL-terminated string in a fixed-size `char[len]` field (lossy UTF-8).
    pub(crate) fn cstr(&self, off: usize, len: usize) -> String {
        let s = self.slice(off, len);
        let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
        String::from_utf8_lossy(&s[..end]).into_owned()
    }
}

/// Splits `bytes` into `count` elements of `size` bytes (fewer if `bytes` is short).
pub(crate) fn elements(bytes: &[u8], size: usize, count: usize) -> impl Iterator<Item = &[u8]> {
    bytes.chunks_exact(size.max(1)).take(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_reads_past_the_end() {
        let r = Raw::new(&[1, 2, 3], 0, "x").unwrap();
        assert_eq!(r.u8(2), 3);
        assert_eq!(r.u16(2), 3);
        assert_eq!(r.u32(0), 0x030201);
        assert_eq!(r.u64(100), 0);
        assert_eq!(r.u32(usize::MAX), 0);
        assert_eq!(r.cstr(1, usize::MAX), "\u{2}\u{3}");
        assert!(Raw::new(&[1], 4, "int").is_err());
    }

    #[test]
    fn cstr_stops_at_nul() {
        let r = Raw::new(b"visl\0garbage", 0, "x").unwrap();
        assert_eq!(r.cstr(0, 12), "visl");
        assert_eq!(r.cstr(0, 3), "vis");
    }
}
