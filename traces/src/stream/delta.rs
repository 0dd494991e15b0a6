//! Byte-level deltas for format version 2: a captured byte string is stored either as it is or as
//! a patch against a *reference* both sides of the format know (all zeros, the same call's
//! `before`, or an earlier value of the same field; [`super::history`] keeps those).
//!
//! Encoding of one field (the contents of a CBOR byte string):
//! * empty: the value is empty;
//! * `[0, bytes…]`: the value is `bytes` (literal);
//! * `[mode ≥ 1, varint len, ops…]`: the value has `len` bytes, equal to the reference (cut or
//!   zero-extended to `len`) except where an op says otherwise; an op is `varint skip, varint n,
//!   n bytes` (skip `skip` bytes, then replace `n` ≥ 1 bytes). Varints are unsigned LEB128.
//!
//! What `mode` names is up to the caller ([`Reference`]); this module only patches bytes.

/// The first byte of an encoded field that holds its value literally.
pub const LITERAL: u8 = 0;

/// Longest value a patch may declare: a hostile `len` must not make the reader allocate more.
pub const MAX_LEN: u64 = 16 << 20;

/// Bytes all the fields of one record may resolve to together (a record may hold up to 1024
/// control payloads): the budget callers of [`decode`] start each record with.
pub const MAX_RECORD: u64 = 64 << 20;

/// Runs of equal bytes shorter than this are folded into the surrounding replacement (a new op
/// costs at least two bytes of header).
const MIN_GAP: usize = 3;

/// Appends `v` as unsigned LEB128.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// Reads an unsigned LEB128 at `*pos`, advancing it.
pub fn get_varint(bytes: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let Some(&b) = bytes.get(*pos) else {
            return Err("a varint runs past the end of the field".into());
        };
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("a varint is longer than 64 bits".into())
}

/// The first index from `i` on where `target` differs from `reference` (zero-extended), or
/// `target.len()`. Equal stretches are compared a 64-bit word at a time.
fn next_difference(target: &[u8], reference: &[u8], mut i: usize) -> usize {
    // The 8 bytes at `at` as a little-endian word (so the first differing byte is the lowest).
    let word = |b: &[u8], at: usize| {
        b.get(at..at + 8)
            .and_then(|w| w.try_into().ok())
            .map_or(0, u64::from_le_bytes)
    };
    let shared = target.len().min(reference.len());
    while i + 8 <= shared {
        let x = word(target, i) ^ word(reference, i);
        if x != 0 {
            return i + (x.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < shared && target[i] == reference[i] {
        i += 1;
    }
    if i < shared {
        return i;
    }
    while i + 8 <= target.len() {
        let x = word(target, i);
        if x != 0 {
            return i + (x.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < target.len() && target[i] == 0 {
        i += 1;
    }
    i
}

/// The byte ranges where `target` differs from `reference` (zero-extended), each extended over
/// gaps of fewer than [`MIN_GAP`] equal bytes: the ops of a patch.
fn runs<'a>(target: &'a [u8], reference: &'a [u8]) -> impl Iterator<Item = (usize, usize)> + 'a {
    let differs = move |i: usize| target[i] != reference.get(i).copied().unwrap_or(0);
    let mut i = 0;
    std::iter::from_fn(move || {
        i = next_difference(target, reference, i);
        if i >= target.len() {
            return None;
        }
        let start = i;
        let mut end = i + 1;
        let mut j = end;
        while j < target.len() {
            if differs(j) {
                end = j + 1;
            } else if j - end + 1 >= MIN_GAP {
                break;
            }
            j += 1;
        }
        i = end;
        Some((start, end))
    })
}

/// Bytes a varint of `v` takes.
fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Plans the patch of `target` against `reference`: leaves its ops (byte ranges to replace) in
/// `ops` and returns the length [`write_patch`] will give, or `limit` if that is not smaller
/// (counting stops there, and `ops` is then incomplete).
pub fn plan(target: &[u8], reference: &[u8], limit: usize, ops: &mut Vec<(usize, usize)>) -> usize {
    ops.clear();
    let mut len = 1 + varint_len(target.len() as u64);
    let mut done = 0;
    for (start, end) in runs(target, reference) {
        len += varint_len((start - done) as u64) + varint_len((end - start) as u64) + (end - start);
        if len >= limit {
            return limit;
        }
        ops.push((start, end));
        done = end;
    }
    len.min(limit)
}

/// Appends `target` as a patch with `mode` as its first byte and the `ops` [`plan`] made.
pub fn write_patch(out: &mut Vec<u8>, mode: u8, target: &[u8], ops: &[(usize, usize)]) {
    debug_assert_ne!(mode, LITERAL);
    out.push(mode);
    put_varint(out, target.len() as u64);
    let mut done = 0;
    for &(start, end) in ops {
        put_varint(out, (start - done) as u64);
        put_varint(out, (end - start) as u64);
        out.extend_from_slice(&target[start..end]);
        done = end;
    }
}

/// Appends `target` stored literally (nothing if it is empty); `1 + target.len()` bytes.
pub fn write_literal(out: &mut Vec<u8>, target: &[u8]) {
    if !target.is_empty() {
        out.push(LITERAL);
        out.extend_from_slice(target);
    }
}

/// Decodes an encoded field; `reference` is called with the mode when the field is a patch and
/// must give that reference's bytes (or an error saying why there is none). The value's length
/// is taken from `budget` (what the record may still resolve to) before anything is allocated.
pub fn decode<'r>(
    field: &[u8],
    budget: &mut u64,
    reference: impl FnOnce(u8) -> Result<&'r [u8], String>,
) -> Result<Vec<u8>, String> {
    let Some(&mode) = field.first() else {
        return Ok(Vec::new());
    };
    let mut pos = 1;
    let len = if mode == LITERAL {
        field.len() as u64 - 1
    } else {
        get_varint(field, &mut pos)?
    };
    if len > MAX_LEN {
        return Err(format!(
            "a field claims {len} bytes, more than the {MAX_LEN} allowed"
        ));
    }
    if len > *budget {
        return Err(format!(
            "a field claims {len} bytes, more than the {budget} left of the {MAX_RECORD} a record may resolve to"
        ));
    }
    *budget -= len;
    if mode == LITERAL {
        return Ok(field[1..].to_vec());
    }
    let reference = reference(mode)?;
    let len = len as usize;
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&reference[..reference.len().min(len)]);
    out.resize(len, 0);
    let mut at = 0usize;
    while pos < field.len() {
        let skip = get_varint(field, &mut pos)?;
        let n = get_varint(field, &mut pos)?;
        let start = at as u64 + skip;
        let end = start + n;
        if n == 0 || end > len as u64 {
            return Err(format!(
                "a patch op (skip {skip}, {n} bytes at byte {at}) does not fit the {len}-byte field"
            ));
        }
        let (start, end) = (start as usize, end as usize);
        let Some(bytes) = field.get(pos..pos + (end - start)) else {
            return Err("a patch op's bytes run past the end of the field".into());
        };
        out[start..end].copy_from_slice(bytes);
        pos += end - start;
        at = end;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode_patch(mode: u8, target: &[u8], reference: &[u8]) -> Vec<u8> {
        let mut ops = Vec::new();
        plan(target, reference, usize::MAX, &mut ops);
        let mut out = Vec::new();
        write_patch(&mut out, mode, target, &ops);
        out
    }

    fn patch_len(target: &[u8], reference: &[u8], limit: usize) -> usize {
        plan(target, reference, limit, &mut Vec::new())
    }

    fn encode_literal(target: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_literal(&mut out, target);
        out
    }

    fn round(target: &[u8], reference: &[u8]) -> Vec<u8> {
        let enc = encode_patch(5, target, reference);
        assert_eq!(patch_len(target, reference, usize::MAX), enc.len());
        assert_eq!(patch_len(target, reference, 2), 2);
        assert_eq!(patch_len(target, reference, enc.len() + 1), enc.len());
        let dec = decode(&enc, &mut { MAX_RECORD }, |m| {
            assert_eq!(m, 5);
            Ok(reference)
        })
        .unwrap();
        assert_eq!(dec, target, "reference {reference:?}");
        enc
    }

    #[test]
    fn patches_round_trip() {
        let a: Vec<u8> = (0..88).collect();
        let mut b = a.clone();
        b[3] = 99;
        b[4] = 98;
        b[60] = 0;
        assert_eq!(round(&b, &a).len(), 1 + 1 + (2 + 2) + (2 + 1));
        assert_eq!(
            round(&a, &a).len(),
            2,
            "equal to the reference: mode and length only"
        );
        round(&a, &[]);
        round(&a, &a[..10]);
        round(&a[..10], &a);
        round(&[], &a);
        round(&[0; 300], &[]);
        // Gaps shorter than MIN_GAP are folded into one op.
        let mut c = a.clone();
        c[10] = 0;
        c[12] = 0;
        assert_eq!(round(&c, &a).len(), 1 + 1 + 2 + 3);
    }

    /// The byte ranges a patch replaces, found one byte at a time: what [`runs`] must give.
    fn runs_bytewise(target: &[u8], reference: &[u8]) -> Vec<(usize, usize)> {
        let differs = |i: usize| target[i] != reference.get(i).copied().unwrap_or(0);
        let mut out: Vec<(usize, usize)> = Vec::new();
        for i in (0..target.len()).filter(|&i| differs(i)) {
            match out.last_mut() {
                Some((_, end)) if i - *end < MIN_GAP => *end = i + 1,
                _ => out.push((i, i + 1)),
            }
        }
        out
    }

    #[test]
    fn runs_match_a_bytewise_scan() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..3000 {
            let n = (next() % 80) as usize;
            let reference: Vec<u8> = (0..(next() % 80) as usize).map(|_| next() as u8).collect();
            // Mostly equal to the reference (or zero past it), with sparse changes.
            let sparse = 1 + next() % 12;
            let target: Vec<u8> = (0..n)
                .map(|i| match next() % sparse {
                    0 => next() as u8,
                    _ => reference.get(i).copied().unwrap_or(0),
                })
                .collect();
            let found: Vec<_> = runs(&target, &reference).collect();
            assert_eq!(
                found,
                runs_bytewise(&target, &reference),
                "{target:?} against {reference:?}"
            );
        }
    }

    #[test]
    fn zero_reference_keeps_only_nonzero_runs() {
        let mut v = vec![0u8; 1000];
        v[500..504].copy_from_slice(b"abcd");
        let enc = round(&v, &[]);
        assert!(enc.len() < 12, "{} bytes", enc.len());
    }

    #[test]
    fn literal_and_empty() {
        assert!(encode_literal(&[]).is_empty());
        assert_eq!(
            decode(&[], &mut 0, |_| unreachable!()).unwrap(),
            Vec::<u8>::new()
        );
        let enc = encode_literal(b"xyz");
        assert_eq!(decode(&enc, &mut 3, |_| unreachable!()).unwrap(), b"xyz");
        assert_eq!(enc[0], LITERAL);
    }

    #[test]
    fn bad_patches_are_errors() {
        let none = |_| -> Result<&'static [u8], String> { Ok(&[]) };
        // Length beyond the limit.
        let mut huge = vec![1];
        put_varint(&mut huge, MAX_LEN + 1);
        assert!(decode(&huge, &mut { MAX_RECORD }, none)
            .unwrap_err()
            .contains("claims"));
        // An op past the declared length.
        assert!(decode(&[1, 4, 3, 2, 1, 1], &mut 100, none)
            .unwrap_err()
            .contains("does not fit"));
        // An op whose bytes are missing.
        assert!(decode(&[1, 4, 0, 3, 1], &mut 100, none)
            .unwrap_err()
            .contains("past the end"));
        // A zero-length op.
        assert!(decode(&[1, 4, 0, 0], &mut 100, none).is_err());
        // A cut varint.
        assert!(decode(&[1, 0x80], &mut 100, none)
            .unwrap_err()
            .contains("varint"));
        // More than the record's budget, checked before the reference is even asked for.
        let mut budget = 10;
        assert_eq!(decode(&[1, 6], &mut budget, none).unwrap().len(), 6);
        assert!(decode(&[1, 6], &mut budget, |_| unreachable!())
            .unwrap_err()
            .contains("left of"));
        assert!(decode(&[0, 1, 2, 3, 4, 5], &mut budget, none)
            .unwrap_err()
            .contains("left of"));
        assert_eq!(budget, 4);
        // The reference is refused.
        assert_eq!(
            decode(&[2, 1], &mut 100, |_| Err("no such".to_string())).unwrap_err(),
            "no such"
        );
    }

    #[test]
    fn varints() {
        for v in [0, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            let mut pos = 0;
            assert_eq!(get_varint(&b, &mut pos).unwrap(), v);
            assert_eq!(pos, b.len());
        }
    }
}
