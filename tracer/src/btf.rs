//! The kernel's BTF (/sys/kernel/btf/vmlinux), read for the facts vatrace needs from it: the
//! byte offset of a struct member (`task_struct.exit_code`, from which the exit records take the
//! status of a process killed by a signal) and the type ids of the functions the trampolines and
//! the LSM program attach to. aya-obj parses BTF but keeps struct members private, and its full
//! parse of the ~5 MB vmlinux BTF is a large part of start-up (issue 17); the BTF crate that
//! exposes members is LGPL. So this walks the type section itself, in one pass, allocating
//! nothing per type.

use anyhow::{bail, Context as _, Result};

/// Where the running kernel publishes its BTF.
pub const VMLINUX: &str = "/sys/kernel/btf/vmlinux";

const MAGIC: u16 = 0xeb9f;
const KIND_PTR: u32 = 2;
const KIND_STRUCT: u32 = 4;
const KIND_FUNC: u32 = 12;
/// `btf_func_linkage` BTF_FUNC_GLOBAL, kept in a FUNC's vlen bits.
const LINKAGE_GLOBAL: u32 = 1;

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

/// The type and string sections of the BTF blob `btf` (native byte order, as the kernel
/// publishes it).
fn sections(btf: &[u8]) -> Result<(&[u8], &[u8])> {
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
    Ok((types, strings))
}

/// One type of the type section: its id, `info` word, name, and where its kind-specific part
/// starts in the type section.
struct Type<'a> {
    id: u32,
    info: u32,
    name_off: u32,
    strings: &'a [u8],
    body: usize,
}

impl<'a> Type<'a> {
    /// Its name (looked up only when asked: most types' names are never needed).
    fn name(&self) -> &'a [u8] {
        string_at(self.strings, self.name_off)
    }
    fn kind(&self) -> u32 {
        (self.info >> 24) & 0x1f
    }
    fn vlen(&self) -> usize {
        (self.info & 0xffff) as usize
    }
}

/// Calls `f` on each type in id order until it returns `Some`.
fn walk<'a, T>(
    types: &'a [u8],
    strings: &'a [u8],
    mut f: impl FnMut(&Type<'a>) -> Result<Option<T>>,
) -> Result<Option<T>> {
    let mut at = 0;
    let mut id = 1;
    while at < types.len() {
        let t = Type {
            id,
            info: u32_at(types, at + 4)?,
            name_off: u32_at(types, at)?,
            strings,
            body: at + 12,
        };
        if let Some(found) = f(&t)? {
            return Ok(Some(found));
        }
        at = t.body + extra_len(t.kind(), t.vlen())?;
        id += 1;
    }
    Ok(None)
}

/// Byte offset of `member` in the first struct named `strukt` of the BTF blob `btf` (native
/// byte order, as the kernel publishes it); None if there is no such struct or member.
pub fn member_offset(btf: &[u8], strukt: &str, member: &str) -> Result<Option<u32>> {
    let (types, strings) = sections(btf)?;
    let found = walk(types, strings, |t| {
        if t.kind() != KIND_STRUCT || t.vlen() == 0 || t.name() != strukt.as_bytes() {
            return Ok(None);
        }
        let bitfields = t.info >> 31 != 0;
        for m in 0..t.vlen() {
            let base = t.body + 12 * m;
            if string_at(strings, u32_at(types, base)?) == member.as_bytes() {
                let raw = u32_at(types, base + 8)?;
                let bits = if bitfields { raw & 0x00ff_ffff } else { raw };
                return Ok(Some(Some(bits / 8)));
            }
        }
        Ok(Some(None))
    })?;
    Ok(found.flatten())
}

/// The type id of each function (FUNC) named in `names`, in that order (None for a name the
/// blob has no function of).
pub fn func_ids(btf: &[u8], names: &[&str]) -> Result<Vec<Option<u32>>> {
    let (types, strings) = sections(btf)?;
    let mut ids = vec![None; names.len()];
    let mut left = names.len();
    walk::<()>(types, strings, |t| {
        if t.kind() == KIND_FUNC {
            // Compared in place (NUL after the name), not measured first: most of the
            // kernel's tens of thousands of functions differ from every name at byte one.
            let at = t.name_off as usize;
            for (i, n) in names.iter().enumerate() {
                let n = n.as_bytes();
                if ids[i].is_none()
                    && strings.get(at..at + n.len()) == Some(n)
                    && strings.get(at + n.len()) == Some(&0)
                {
                    ids[i] = Some(t.id);
                    left -= 1;
                }
            }
        }
        // Stop as soon as every name is found.
        Ok((left == 0).then_some(()))
    })?;
    Ok(ids)
}

/// A BTF blob in which each function of `funcs` (name, id) has the id it has in the kernel's
/// BTF and every other id up to the largest is an anonymous placeholder: all aya's `FEntry`,
/// `FExit` and `Lsm` `load` look up in the BTF they are given is a function's id, so parsing
/// this (one small type per id, no strings) stands in for parsing the kernel's whole BTF.
pub fn attach_points(funcs: &[(&str, u32)]) -> Vec<u8> {
    let last = funcs.iter().map(|f| f.1).max().unwrap_or(0);
    let mut strings = vec![0u8];
    let mut named = std::collections::HashMap::new();
    for (name, id) in funcs {
        named.insert(*id, strings.len() as u32);
        strings.extend(name.as_bytes());
        strings.push(0);
    }
    let mut types = Vec::with_capacity(12 * last as usize);
    for id in 1..=last {
        let (name, info) = match named.get(&id) {
            Some(&off) => (off, (KIND_FUNC << 24) | LINKAGE_GLOBAL),
            // A pointer to void: 12 bytes, no name, nothing else.
            None => (0, KIND_PTR << 24),
        };
        for v in [name, info, 0] {
            types.extend(v.to_ne_bytes());
        }
    }
    let mut b = Vec::with_capacity(24 + types.len() + strings.len());
    b.extend(MAGIC.to_ne_bytes());
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
    b.extend(types);
    b.extend(strings);
    b
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
    fn finds_function_ids_and_rebuilds_them_for_aya() {
        // A blob with `pair` (id 2) and `flags` (id 3) before two functions, ids 4 and 5.
        let mut b = blob();
        let hdr_len = 24;
        let type_len = u32::from_ne_bytes(b[12..16].try_into().unwrap()) as usize;
        let str_len = u32::from_ne_bytes(b[20..24].try_into().unwrap());
        let strings = b.split_off(hdr_len + type_len);
        let mut extra = b"f_one\0f_two\0".to_vec();
        let f1 = str_len;
        let f2 = str_len + 6;
        for v in [f1, 12 << 24, 0, f2, (12 << 24) | 1, 0] {
            b.extend(v.to_ne_bytes());
        }
        let type_len = type_len as u32 + 24;
        b[12..16].copy_from_slice(&type_len.to_ne_bytes());
        b[16..20].copy_from_slice(&type_len.to_ne_bytes());
        b.extend(strings);
        b.append(&mut extra);
        b[20..24].copy_from_slice(&(str_len + 12).to_ne_bytes());

        let ids = super::func_ids(&b, &["f_two", "pair", "missing", "f_one"]).unwrap();
        // `pair` is a struct, not a function.
        assert_eq!(ids, [Some(5), None, None, Some(4)]);
        assert_eq!(member_offset(&b, "pair", "b").unwrap(), Some(4));

        // aya finds each function at its id in the stand-in blob.
        let stand_in = super::attach_points(&[("f_one", 4), ("f_two", 5), ("far", 90_000)]);
        let btf = aya::Btf::parse(&stand_in, aya::Endianness::default()).unwrap();
        let kind = aya_obj::btf::BtfKind::Func;
        assert_eq!(btf.id_by_type_name_kind("f_one", kind).unwrap(), 4);
        assert_eq!(btf.id_by_type_name_kind("f_two", kind).unwrap(), 5);
        assert_eq!(btf.id_by_type_name_kind("far", kind).unwrap(), 90_000);
        assert!(btf.id_by_type_name_kind("f_three", kind).is_err());
    }

    #[test]
    fn rejects_what_is_not_btf() {
        assert!(member_offset(b"hello world, this is not btf", "a", "b").is_err());
        let mut cut = blob();
        cut.truncate(40);
        assert!(member_offset(&cut, "pair", "a").is_err());
    }

    #[test]
    fn the_running_kernels_function_ids_are_the_ones_aya_finds() {
        let Ok(b) = super::read_vmlinux() else {
            eprintln!("skipped: no {}", super::VMLINUX);
            return;
        };
        let names = [
            crate::attach::wrapper("ioctl"),
            crate::attach::wrapper("openat"),
            "bpf_lsm_file_ioctl".to_string(),
        ];
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let ids = super::func_ids(&b, &names).unwrap();
        let full = aya::Btf::parse(&b, aya::Endianness::default()).unwrap();
        let kind = aya_obj::btf::BtfKind::Func;
        for (name, id) in names.iter().zip(ids) {
            assert_eq!(id, full.id_by_type_name_kind(name, kind).ok(), "{name}");
        }
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
