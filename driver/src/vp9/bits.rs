//! A plain MSB-first bit reader for VP9's uncompressed header (VP9 has no emulation
//! prevention): `f(n)` and `su(n)` of the VP9 bitstream specification, and the byte position
//! after `trailing_bits`.

/// Reading past the end of the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndOfData;

pub struct BitReader<'a> {
    data: &'a [u8],
    /// Position in bits.
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        BitReader { data, pos: 0 }
    }

    /// `f(n)`, n ≤ 32: an unsigned n-bit number, most significant bit first.
    pub fn f(&mut self, n: u32) -> Result<u32, EndOfData> {
        let mut v = 0u32;
        for _ in 0..n {
            let byte = *self.data.get(self.pos / 8).ok_or(EndOfData)?;
            v = v << 1 | u32::from(byte >> (7 - self.pos % 8) & 1);
            self.pos += 1;
        }
        Ok(v)
    }

    pub fn flag(&mut self) -> Result<bool, EndOfData> {
        Ok(self.f(1)? == 1)
    }

    /// `su(n)`: n bits of magnitude, then a sign bit.
    pub fn su(&mut self, n: u32) -> Result<i32, EndOfData> {
        let v = self.f(n)? as i32;
        Ok(if self.flag()? { -v } else { v })
    }

    /// Bytes read so far, the last one counted whole (`trailing_bits` pads to a byte).
    pub fn bytes_used(&self) -> usize {
        self.pos.div_ceil(8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_msb_first_across_bytes_and_signed_values() {
        let mut r = BitReader::new(&[0b1010_0000, 0b0111_1111]);
        assert_eq!(r.f(2), Ok(2));
        assert_eq!(r.f(1), Ok(1));
        // Magnitude 0000, sign 0.
        assert_eq!(r.su(4), Ok(0));
        assert_eq!(r.bytes_used(), 1);
        assert_eq!(r.su(3), Ok(-3), "magnitude 011, sign 1");
        assert_eq!(r.bytes_used(), 2);
        assert_eq!(r.f(8), Err(EndOfData));
    }
}
