//! Little-endian field access on raw argument bytes: reads return `None` past the end, writes
//! are refused past the end, so a malformed trace can never make replay panic.

/// The `u32` at `off`.
pub fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes(s.try_into().ok()?))
}

/// The `i32` at `off`.
pub fn i32_at(b: &[u8], off: usize) -> Option<i32> {
    u32_at(b, off).map(|v| v as i32)
}

/// The `u64` at `off`.
pub fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    let s = b.get(off..off.checked_add(8)?)?;
    Some(u64::from_le_bytes(s.try_into().ok()?))
}

/// Writes `v` at `off`; `false` if it does not fit.
pub fn put_u32(b: &mut [u8], off: usize, v: u32) -> bool {
    match off.checked_add(4).and_then(|end| b.get_mut(off..end)) {
        Some(s) => {
            s.copy_from_slice(&v.to_le_bytes());
            true
        }
        None => false,
    }
}

/// Writes `v` at `off`; `false` if it does not fit.
pub fn put_i32(b: &mut [u8], off: usize, v: i32) -> bool {
    put_u32(b, off, v as u32)
}

/// Writes `v` at `off`; `false` if it does not fit.
pub fn put_u64(b: &mut [u8], off: usize, v: u64) -> bool {
    match off.checked_add(8).and_then(|end| b.get_mut(off..end)) {
        Some(s) => {
            s.copy_from_slice(&v.to_le_bytes());
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        let mut b = [0u8; 8];
        assert!(put_u32(&mut b, 4, 7));
        assert_eq!(u32_at(&b, 4), Some(7));
        assert!(!put_u32(&mut b, 5, 1));
        assert_eq!(u32_at(&b, 5), None);
        assert_eq!(u64_at(&b, usize::MAX), None);
        assert!(!put_u64(&mut b, usize::MAX - 2, 1));
    }
}
