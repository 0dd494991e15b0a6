//! Formatting helpers that reproduce, byte for byte, how the kernel's ftrace print helpers
//! (`__print_flags`, `__print_symbolic`, `__print_array`, `__print_hex_dump`) and printf
//! conversions render values in visl's events, so decoded controls can be compared with
//! `visl_*_controls` events as strings.
//!
//! Hex dumps span several lines in the trace; both sides use one canonical form here: every
//! byte as two lower-case hex digits, separated by single spaces (see `visl_ftrace`).

use super::wire::FlagTable;

/// `__print_flags(v, "|", …)`: names of set masks in table order, leftover bits as `0x…`,
/// the empty string for 0 (kernel `trace_print_flags_seq`).
pub fn flags(value: u64, table: FlagTable) -> String {
    let mut rest = value;
    let mut out: Vec<String> = Vec::new();
    for &(mask, name) in table {
        if rest == 0 {
            break;
        }
        if rest & mask != mask {
            continue;
        }
        rest &= !mask;
        out.push(name.to_string());
    }
    if rest != 0 {
        out.push(format!("0x{rest:x}"));
    }
    out.join("|")
}

/// `__print_symbolic(v, …)`: the name of the equal entry, else `0x…`.
pub fn symbolic(value: u64, table: FlagTable) -> String {
    table
        .iter()
        .find(|&&(v, _)| v == value)
        .map(|&(_, n)| n.to_string())
        .unwrap_or_else(|| format!("0x{value:x}"))
}

/// `__print_array(a, n, el_size)`: `{0x…,0x…}` with each element as an unsigned number of
/// its own width (so a signed -1 byte prints `0xff`). Pass the elements already converted to
/// their unsigned bit pattern.
pub fn array<I: IntoIterator<Item = u64>>(values: I) -> String {
    let parts: Vec<String> = values.into_iter().map(|v| format!("0x{v:x}")).collect();
    format!("{{{}}}", parts.join(","))
}

/// `__print_array` of a byte array of signed bytes.
pub fn array_i8(values: &[i8]) -> String {
    array(values.iter().map(|&v| u64::from(v as u8)))
}

/// `__print_array` of a byte array.
pub fn array_u8(values: &[u8]) -> String {
    array(values.iter().map(|&v| u64::from(v)))
}

/// `__print_array` of an s16 array.
pub fn array_i16(values: &[i16]) -> String {
    array(values.iter().map(|&v| u64::from(v as u16)))
}

/// `__print_array` of an s32 array.
pub fn array_i32(values: &[i32]) -> String {
    array(values.iter().map(|&v| u64::from(v as u32)))
}

/// `__print_array` of a u32 array.
pub fn array_u32(values: &[u32]) -> String {
    array(values.iter().map(|&v| u64::from(v)))
}

/// `__print_hex_dump("", DUMP_PREFIX_NONE, 32, 1, buf, len, false)` in canonical one-line
/// form: `xx xx xx …`.
pub fn hex_dump(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(" ")
}

/// `%u` applied to a value that C promotes to `int` (a signed 8/16-bit field): negative
/// values print as their 32-bit two's complement.
pub fn u_of_signed(v: i32) -> String {
    (v as u32).to_string()
}

/// Shorthand for a (name, value) pair.
pub fn kv(name: impl Into<String>, value: impl ToString) -> (String, String) {
    (name.into(), value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_like_the_kernel() {
        let t: FlagTable = &[(1, "A"), (2, "B"), (6, "BC")];
        assert_eq!(flags(0, t), "");
        assert_eq!(flags(1, t), "A");
        assert_eq!(flags(3, t), "A|B");
        assert_eq!(flags(7, t), "A|B|0x4");
        assert_eq!(flags(0x40, t), "0x40");
    }

    #[test]
    fn arrays_and_dumps() {
        assert_eq!(array_i8(&[-1, 2]), "{0xff,0x2}");
        assert_eq!(array_i16(&[-2]), "{0xfffe}");
        assert_eq!(array_i32(&[-1, 0]), "{0xffffffff,0x0}");
        assert_eq!(hex_dump(&[1, 0xab]), "01 ab");
        assert_eq!(u_of_signed(-2), "4294967294");
        assert_eq!(symbolic(2, &[(2, "I")]), "I");
        assert_eq!(symbolic(9, &[(2, "I")]), "0x9");
    }
}
