//! The per-architecture syscall tables of `tracer-ebpf/src/syscalls.rs`, read as text on the host
//! (that crate only builds for BPF), so that the arm64 build can check which table its eBPF object
//! was built with, and a host test can hold the tables against the kernel's own unistd headers.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{ensure, Context, Result};

/// The file with the tables, relative to the repository.
pub const SOURCE: &str = "tracer-ebpf/src/syscalls.rs";

/// The syscall-number constants (`pub const NAME: i64 = N;`, -1 for a syscall the architecture
/// lacks) of the `mod arch` under `#[cfg(bpf_target_arch = "ARCH")]` in `source`.
pub fn parse(source: &str, arch: &str) -> Result<BTreeMap<String, i64>> {
    let cfg = format!("#[cfg(bpf_target_arch = \"{arch}\")]");
    let start = source
        .find(&cfg)
        .with_context(|| format!("{SOURCE} has no {cfg}"))?;
    let body = &source[start..];
    let end = body
        .find("\n}")
        .with_context(|| format!("{SOURCE}: the {arch} module does not end"))?;
    let mut table = BTreeMap::new();
    for line in body[..end].lines() {
        let Some(rest) = line.trim().strip_prefix("pub const ") else {
            continue;
        };
        let Some((name, value)) = rest.split_once(": i64 = ") else {
            continue;
        };
        let value = value.trim_end_matches(';').trim();
        let nr = value
            .parse()
            .with_context(|| format!("{SOURCE}: {arch} {name} = {value:?} is not a number"))?;
        table.insert(name.to_string(), nr);
    }
    ensure!(
        table.contains_key("IOCTL"),
        "{SOURCE}: no IOCTL constant in the {arch} module"
    );
    Ok(table)
}

/// The immediates of the `jeq`-style comparisons (`if rN == IMM goto`, also `!=`) in
/// `llvm-objdump -d` output of a BPF object.
pub fn jeq_immediates(disassembly: &str) -> BTreeSet<i64> {
    let mut seen = BTreeSet::new();
    for line in disassembly.lines() {
        let Some(cond) = line.split_once("if ").map(|(_, c)| c) else {
            continue;
        };
        let mut words = cond.split_whitespace();
        let (Some(_reg), Some(op), Some(imm)) = (words.next(), words.next(), words.next()) else {
            continue;
        };
        if op != "==" && op != "!=" {
            continue;
        }
        let imm = imm.trim_end_matches(',');
        let value = match imm.strip_prefix("0x") {
            Some(hex) => i64::from_str_radix(hex, 16).ok(),
            None => imm.parse().ok(),
        };
        if let Some(v) = value {
            seen.insert(v);
        }
    }
    seen
}

/// What says that the comparisons `seen` in an eBPF object were not built from the `want` table:
/// a number of `want` never compared against, or a distinctive number of the `other` table
/// compared against (one above 100 that `want` lacks: small ones also occur as loop bounds).
pub fn wrong_table(
    seen: &BTreeSet<i64>,
    want: &BTreeMap<String, i64>,
    other: &BTreeMap<String, i64>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, nr) in want {
        if *nr >= 0 && !seen.contains(nr) {
            problems.push(format!("no comparison against {name} = {nr}"));
        }
    }
    for (name, nr) in other {
        if *nr > 100 && !want.values().any(|w| w == nr) && seen.contains(nr) {
            problems.push(format!(
                "a comparison against the other table's {name} = {nr}"
            ));
        }
    }
    problems
}

#[cfg(test)]
/// `#define __NR_name N` (and their aliases, e.g. `__NR_fcntl __NR3264_fcntl`) of a unistd header.
pub fn unistd_numbers(header: &str) -> BTreeMap<String, i64> {
    let mut raw = BTreeMap::new();
    for line in header.lines() {
        let mut words = line.split_whitespace();
        if words.next() != Some("#define") {
            continue;
        }
        if let (Some(name), Some(value)) = (words.next(), words.next()) {
            raw.insert(name.to_string(), value.to_string());
        }
    }
    let resolve = |value: &str| -> Option<i64> {
        value.parse().ok().or_else(|| raw.get(value)?.parse().ok())
    };
    raw.iter()
        .filter_map(|(name, value)| {
            Some((name.strip_prefix("__NR_")?.to_string(), resolve(value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(arch: &str) -> BTreeMap<String, i64> {
        let source = std::fs::read_to_string(testbed::paths::repo_root().join(SOURCE)).unwrap();
        parse(&source, arch).unwrap()
    }

    /// Every constant of the `arch` table equals the kernel's `__NR_name` in `header`, and the
    /// ones marked -1 are syscalls the architecture really lacks.
    fn check(arch: &str, header: &str) {
        let text = std::fs::read_to_string(header)
            .unwrap_or_else(|e| panic!("{header}: {e} (Debian's linux-libc-dev has it)"));
        let kernel = unistd_numbers(&text);
        assert!(
            kernel.len() > 250,
            "{header}: only {} syscalls parsed",
            kernel.len()
        );
        let ours = table(arch);
        assert!(
            ours.len() >= 19,
            "{arch}: only {} constants parsed",
            ours.len()
        );
        for (name, nr) in &ours {
            let kname = name.to_lowercase();
            match kernel.get(&kname) {
                Some(k) => assert_eq!(
                    nr, k,
                    "{arch} {name}: ours {nr}, the kernel's __NR_{kname} {k}"
                ),
                None => assert_eq!(
                    *nr, -1,
                    "{arch} {name} = {nr}, but {header} has no __NR_{kname}"
                ),
            }
        }
    }

    /// arm64 uses the generic table (`arch/arm64/include/uapi/asm/unistd.h` includes it).
    #[test]
    fn aarch64_table_matches_the_kernels_generic_unistd() {
        check("aarch64", "/usr/include/asm-generic/unistd.h");
        let arm = table("aarch64");
        assert_eq!(
            (arm["OPEN"], arm["DUP2"], arm["POLL"]),
            (-1, -1, -1),
            "arm64 has no open, dup2 or poll"
        );
    }

    #[test]
    fn x86_64_table_matches_the_kernels_unistd_64() {
        check("x86_64", "/usr/include/x86_64-linux-gnu/asm/unistd_64.h");
    }

    #[test]
    fn reads_the_comparisons_of_a_bpf_disassembly() {
        let text = "      12:\tif r1 == 0x1d goto +0x4 <LBB0_3>\n      13:\tif w2 != 57 goto +3\n      14:\tif r1 > 0x40 goto +1\n      15:\tr1 = 0x38\n";
        assert_eq!(jeq_immediates(text), BTreeSet::from([29, 57]));
    }

    #[test]
    fn tells_the_arm64_table_from_the_x86_64_one() {
        let (arm, x86) = (table("aarch64"), table("x86_64"));
        let arm_seen: BTreeSet<i64> = arm.values().copied().chain([0, 1, 16]).collect();
        assert_eq!(wrong_table(&arm_seen, &arm, &x86), Vec::<String>::new());
        let x86_seen: BTreeSet<i64> = x86.values().copied().collect();
        let problems = wrong_table(&x86_seen, &arm, &x86);
        assert!(
            problems.iter().any(|p| p.contains("IOCTL = 29")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("OPENAT = 257")),
            "{problems:?}"
        );
        let mut mixed = arm_seen.clone();
        mixed.insert(x86["PPOLL"]);
        assert_eq!(
            wrong_table(&mixed, &arm, &x86),
            vec!["a comparison against the other table's PPOLL = 271".to_string()]
        );
    }

    #[test]
    fn resolves_the_3264_aliases() {
        let kernel = unistd_numbers(
            "#define __NR3264_fcntl 25\n#define __NR_fcntl __NR3264_fcntl\n#define __NR_ioctl 29\n",
        );
        assert_eq!(kernel.get("fcntl"), Some(&25));
        assert_eq!(kernel.get("ioctl"), Some(&29));
    }
}
