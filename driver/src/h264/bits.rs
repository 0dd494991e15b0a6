//! A bit reader over an H.264 NAL unit's payload: skips emulation-prevention bytes
//! (`00 00 03`) and reports positions in bits of the raw payload (EPB bytes included), which is
//! how V4L2's `*_bit_size` fields count.

/// Reading past the end of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndOfData;

pub struct BitReader<'a> {
    data: &'a [u8],
    /// Next raw byte to load.
    byte: usize,
    /// Bits left in `cur` (MSB first).
    left: u32,
    cur: u8,
    zeros: u32,
}

impl<'a> BitReader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        BitReader {
            data,
            byte: 0,
            left: 0,
            cur: 0,
            zeros: 0,
        }
    }

    /// Position in bits from the start of the data, emulation-prevention bytes included.
    pub fn position(&self) -> usize {
        self.byte * 8 - self.left as usize
    }

    fn load(&mut self) -> Result<(), EndOfData> {
        loop {
            let b = *self.data.get(self.byte).ok_or(EndOfData)?;
            self.byte += 1;
            if self.zeros >= 2 && b == 3 {
                self.zeros = 0;
                continue;
            }
            self.zeros = if b == 0 { self.zeros + 1 } else { 0 };
            self.cur = b;
            self.left = 8;
            return Ok(());
        }
    }

    pub fn bit(&mut self) -> Result<u32, EndOfData> {
        if self.left == 0 {
            self.load()?;
        }
        self.left -= 1;
        Ok(((self.cur >> self.left) & 1) as u32)
    }

    pub fn flag(&mut self) -> Result<bool, EndOfData> {
        Ok(self.bit()? == 1)
    }

    /// `u(n)`, n <= 32.
    pub fn bits(&mut self, n: u32) -> Result<u32, EndOfData> {
        let mut v = 0u32;
        for _ in 0..n {
            v = (v << 1) | self.bit()?;
        }
        Ok(v)
    }

    /// `ue(v)`.
    pub fn ue(&mut self) -> Result<u32, EndOfData> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return Err(EndOfData);
            }
        }
        Ok(((1u64 << zeros) - 1 + self.bits(zeros)? as u64) as u32)
    }

    /// `se(v)`.
    pub fn se(&mut self) -> Result<i32, EndOfData> {
        let k = self.ue()? as i64;
        Ok(if k & 1 == 1 {
            ((k + 1) / 2) as i32
        } else {
            -(k / 2) as i32
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_golomb() {
        // 1 | 010 | 011 | 00100 | 00101 -> ue 0,1,2,3 then se(4) = -2
        let data = [0b1010_0110, 0b0100_0010, 0b1000_0000];
        let mut r = BitReader::new(&data);
        assert_eq!(r.ue(), Ok(0));
        assert_eq!(r.ue(), Ok(1));
        assert_eq!(r.ue(), Ok(2));
        assert_eq!(r.ue(), Ok(3));
        assert_eq!(r.se(), Ok(-2));
        assert_eq!(r.position(), 17);
    }

    #[test]
    fn skips_emulation_prevention() {
        let data = [0x00, 0x00, 0x03, 0x01, 0xff];
        let mut r = BitReader::new(&data);
        assert_eq!(r.bits(16), Ok(0));
        assert_eq!(r.bits(8), Ok(1));
        // 4 raw bytes consumed: the EPB counts in positions.
        assert_eq!(r.position(), 32);
        assert_eq!(r.bits(8), Ok(0xff));
        assert_eq!(r.bit(), Err(EndOfData));
    }
}
