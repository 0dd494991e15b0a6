//! The kernel's BTF (/sys/kernel/btf/vmlinux), read for the one fact vatrace needs from it: the
//! byte offset of a struct member (`task_struct.exit_code`, from which the exit records take the
//! status of a process killed by a signal). aya-obj parses BTF but keeps struct members private,
//! and the BTF crate that exposes them is LGPL, so this walks the type section itself.

use anyhow::{bail, Context as _, Result};

/// Where the running kernel publishes its BTF.
pub const VMLINUX: &str = "/sys/kernel/btf/vmlinux";

const MAGIC: u16 = 0xeb9f;
const KIND_STRUCT: u32 = 4;

/// The running kernel's BTF bytes.
pub fn read_vmlinux() -> Result<Vec<u8>> {
    std::fs::read(VMLINUX).with_context(|| {
        format!("reading {VMLINUX} (kernel option CONFIG_DEBUG_INFO_BTF gives it)")
    })
}

fn u32_at(b: &[u8], off: usize) -> Result<u32> {
    match b.get(off..off + 4) {
        Some(s) => Ok(u32::from_ne_bytes(s.try_into().expect("4 bytes"))),
        None => bail!("BTF is cut at byte {off}"),
    }
}

/// The NUL-terminated string at `off` of the string section.
fn string_at(strings: &[u8], off: u32) -> &[u8] {
    let rest = strings.get(off as usize..).unwrap_or_default();
    &rest[..rest.iter().position(|&c| c == 0).unwrap_or(rest.len())]
}

/// Bytes following a type's 12-byte common part, by kind (see the kernel's btf.rst).
fn extra_len(kind: u32, vlen: usize) -> Result<usize> {
    Ok(match kind {
        // INT, VAR, DECL_TAG
        1 | 14 | 17 => 4,
        // ARRAY
        3 => 12,
        // STRUCT, UNION, DATASEC, ENUM64
        4 | 5 | 15 | 19 => 12 * vlen,
        // ENUM, FUNC_PROTO
        6 | 13 => 8 * vlen,
        // PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG
        2 | 7..=12 | 16 | 18 => 0,
        other => bail!("BTF type of unknown kind {other}"),
    })
}

/// Byte offset of `member` in the first struct named `strukt` of the BTF blob `btf` (native
/// byte order, as the kernel publishes it); None if there is no such struct or member.
pub fn member_offset(btf: &[u8], strukt: &str, member: &str) -> Result<Option<u32>> {
    if btf.len() < 24 || u16::from_ne_bytes([btf[0], btf[1]]) != MAGIC {
        bail!("not BTF in native byte order (bad magic)");
    }
    let hdr_len = u32_at(btf, 4)? as usize;
    let type_off = hdr_len + u32_at(btf, 8)? as usize;
    let type_len = u32_at(btf, 12)? as usize;
    let str_off = hdr_len + u32_at(btf, 16)? as usize;
    let str_len = u32_at(btf, 20)? as usize;
    let types = btf
        .get(type_off..type_off + type_len)
        .context("BTF type section out of bounds")?;
    let strings = btf
        .get(str_off..str_off + str_len)
        .context("BTF string section out of bounds")?;
    let mut at = 0;
    while at < types.len() {
        let name = u32_at(types, at)?;
        let info = u32_at(types, at + 4)?;
        let kind = (info >> 24) & 0x1f;
        let vlen = (info & 0xffff) as usize;
        let body = at + 12;
        if kind == KIND_STRUCT && string_at(strings, name) == strukt.as_bytes() && vlen > 0 {
            let bitfields = info >> 31 != 0;
            for m in 0..vlen {
                let base = body + 12 * m;
                if string_at(strings, u32_at(types, base)?) == member.as_bytes() {
                    let raw = u32_at(types, base + 8)?;
                    let bits = if bitfields { raw & 0x00ff_ffff } else { raw };
                    return Ok(Some(bits / 8));
                }
            }
            return Ok(None);
        }
        at = body + extra_len(kind, vlen)?;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::member_offset;

    /// A BTF blob: an INT, then `struct pair { int a; int b; }` with `b` at bit 32, then a
    /// bitfield struct `flags { int x:3 at bit 8 }`.
    fn blob() -> Vec<u8> {
        let strings = b"\0int\0pair\0a\0b\0flags\0x\0";
        let mut types: Vec<u32> = Vec::new();
        // [1] INT "int", size 4, encoding word.
        types.extend([1, 1 << 24, 4, 32]);
        // [2] STRUCT "pair", 2 members, size 8.
        types.extend([5, (4 << 24) | 2, 8]);
        types.extend([10, 1, 0, 12, 1, 32]);
        // [3] STRUCT "flags" with kind_flag: bitfield size 3 at bit 8.
        types.extend([14, (1 << 31) | (4 << 24) | 1, 4]);
        types.extend([20, 1, (3 << 24) | 8]);
        let types: Vec<u8> = types.iter().flat_map(|v| v.to_ne_bytes()).collect();
        let mut b = Vec::new();
        b.extend(0xeb9fu16.to_ne_bytes());
        b.extend([1, 0]);
        for v in [
            24u32,
            0,
            types.len() as u32,
            types.len() as u32,
            strings.len() as u32,
        ] {
            b.extend(v.to_ne_bytes());
        }
        b.extend(&types);
        b.extend(strings);
        b
    }

    #[test]
    fn finds_members_by_name() {
        let b = blob();
        assert_eq!(member_offset(&b, "pair", "a").unwrap(), Some(0));
        assert_eq!(member_offset(&b, "pair", "b").unwrap(), Some(4));
        assert_eq!(member_offset(&b, "flags", "x").unwrap(), Some(1));
        assert_eq!(member_offset(&b, "pair", "c").unwrap(), None);
        assert_eq!(member_offset(&b, "task_struct", "a").unwrap(), None);
    }

    #[test]
    fn rejects_what_is_not_btf() {
        assert!(member_offset(b"hello world, this is not btf", "a", "b").is_err());
        let mut cut = blob();
        cut.truncate(40);
        assert!(member_offset(&cut, "pair", "a").is_err());
    }

    #[test]
    fn the_running_kernels_task_struct_has_an_exit_code() {
        // Every kernel vatrace targets publishes BTF; exit_code sits well inside task_struct.
        let Ok(b) = super::read_vmlinux() else {
            eprintln!("skipped: no {}", super::VMLINUX);
            return;
        };
        let off = member_offset(&b, "task_struct", "exit_code").unwrap();
        assert!(matches!(off, Some(o) if o > 0), "{off:?}");
    }
}
