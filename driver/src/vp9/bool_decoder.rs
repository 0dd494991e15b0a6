//! VP9's boolean (arithmetic) decoder (spec section 9.2), as the compressed header needs it:
//! `B(p)` and `L(n)`, the marker bit, and the check that the padding after the header is zero.

/// A bad compressed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolError {
    /// Fewer bytes than `header_size_in_bytes` says, or none.
    Truncated,
    /// The marker bit after `init_bool` is set.
    BadMarker,
    /// The padding after the header is not zero: the header was not decoded as written.
    BadPadding,
}

pub struct BoolDecoder<'a> {
    data: &'a [u8],
    /// Next bit to shift in.
    pos: usize,
    value: u32,
    range: u32,
    /// Bits left in the header (`BoolMaxBits`).
    max_bits: i64,
}

impl<'a> BoolDecoder<'a> {
    /// `init_bool(sz)` over the header's `data`, then its marker bit.
    pub fn new(data: &'a [u8]) -> Result<Self, BoolError> {
        let first = *data.first().ok_or(BoolError::Truncated)?;
        let mut d = BoolDecoder {
            data,
            pos: 8,
            value: u32::from(first),
            range: 255,
            max_bits: 8 * data.len() as i64 - 8,
        };
        if d.bool(128) {
            return Err(BoolError::BadMarker);
        }
        Ok(d)
    }

    fn next_bit(&mut self) -> u32 {
        if self.max_bits <= 0 {
            return 0;
        }
        self.max_bits -= 1;
        let bit = self.data[self.pos / 8] >> (7 - self.pos % 8) & 1;
        self.pos += 1;
        u32::from(bit)
    }

    /// `B(p)`: one bool whose probability of being 0 is p/256.
    pub fn bool(&mut self, p: u8) -> bool {
        let split = 1 + (((self.range - 1) * u32::from(p)) >> 8);
        let bit = if self.value < split {
            self.range = split;
            false
        } else {
            self.range -= split;
            self.value -= split;
            true
        };
        while self.range < 128 {
            self.value = self.value << 1 | self.next_bit();
            self.range <<= 1;
        }
        bit
    }

    /// `L(n)`: an n-bit unsigned literal.
    pub fn literal(&mut self, n: u32) -> u32 {
        (0..n).fold(0, |v, _| v << 1 | u32::from(self.bool(128)))
    }

    /// `exit_bool`: the padding left must be zero.
    pub fn finish(mut self) -> Result<(), BoolError> {
        let mut padding = 0;
        while self.max_bits > 0 {
            padding |= self.next_bit();
        }
        if padding != 0 {
            return Err(BoolError::BadPadding);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_empty_data_and_a_set_marker_bit() {
        assert!(matches!(BoolDecoder::new(&[]), Err(BoolError::Truncated)));
        // value 0xff ≥ split 128: the marker decodes as 1.
        assert!(matches!(
            BoolDecoder::new(&[0xff, 0]),
            Err(BoolError::BadMarker)
        ));
    }

    #[test]
    fn all_zero_data_decodes_zeros_with_zero_padding() {
        let mut d = BoolDecoder::new(&[0; 4]).unwrap();
        assert_eq!(d.literal(8), 0);
        assert!(!d.bool(1));
        d.finish().unwrap();
    }
}
