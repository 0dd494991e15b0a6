//! Live fault injection, `vatrace record --inject SPEC=ERRNO`: the specs (parsed by the replay
//! crate's `Inject`, the same syntax as `vatrace replay --inject`) turned into the rules of
//! tracer-ebpf's BPF LSM `file_ioctl` program, and that program loaded and attached, with an
//! error naming the fix where the kernel has no BPF LSM.

use anyhow::{anyhow, bail, Context as _, Result};
use aya::{maps::Array, programs::Lsm, Btf, Ebpf};
use replay::{options::InjectAt, Inject};
use tracer_common::{InjectRule, MAX_INJECT};

/// The eBPF program (tracer-ebpf's inject.rs) and the hook it takes.
const PROGRAM: &str = "inject_file_ioctl";
pub(crate) const HOOK: &str = "file_ioctl";

/// Where the kernel lists its active LSMs.
const LSM_LIST: &str = "/sys/kernel/security/lsm";

/// What to do when the kernel has no BPF LSM.
pub const FIX: &str = "live injection needs BPF LSM: a kernel built with CONFIG_BPF_LSM=y (and \
    CONFIG_DEBUG_INFO_BTF=y, plus CONFIG_FUNCTION_TRACER, CONFIG_DYNAMIC_FTRACE and \
    CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS for the trampoline it attaches through), booted with \
    `bpf` among its LSMs (CONFIG_LSM=\"...,bpf\" or `lsm=...,bpf` on the kernel command line; \
    `cat /sys/kernel/security/lsm` lists them), and no lockdown or container policy refusing \
    LSM programs; `vatrace doctor` says whether this machine has it. Without it, inject into a \
    recording instead: `vatrace replay TRACE --inject SPEC`";

/// The LSM program's rules for `specs`; refuses the forms the kernel cannot match live.
pub fn rules(specs: &[Inject]) -> Result<Vec<InjectRule>> {
    if specs.len() > MAX_INJECT as usize {
        bail!(
            "--inject given {} times: vatrace record takes at most {MAX_INJECT}",
            specs.len()
        );
    }
    specs.iter().map(rule).collect()
}

fn rule(spec: &Inject) -> Result<InjectRule> {
    let s = &spec.spec;
    match &spec.at {
        InjectAt::Nth { name, nth } => {
            let info = traces::ioctl::by_name(name)
                .ok_or_else(|| anyhow!("--inject {s:?}: {name} is not an ioctl vatrace knows"))?;
            Ok(InjectRule {
                cmd: info.request,
                errno: spec.errno as u32,
                nth: *nth,
            })
        }
        InjectAt::Seq(_) => bail!(
            "--inject {s:?}: a sequence number (@SEQ) is given to a call when its record is \
             written, after the call, so the kernel cannot match it live; name the call as \
             NAME#K (its K-th call in the process, e.g. 'MEDIA_REQUEST_IOC_REINIT#17=EBUSY'), \
             or use @SEQ with `vatrace replay --inject` on a recording"
        ),
        InjectAt::Frame { .. } => bail!(
            "--inject {s:?}: frames (NAME@frameF) are counted by successful OUTPUT QBUFs, whose \
             success is known only after the call, while the BPF LSM hook decides before it; \
             live injection takes NAME#K (the K-th NAME call of the process: a client that \
             reinitialises one request per frame makes MEDIA_REQUEST_IOC_REINIT#F frame F's), \
             or use NAME@frameF with `vatrace replay --inject` on a recording"
        ),
        InjectAt::Buffer { .. } => bail!(
            "--inject {s:?}: buffer indices (NAME@bufI) are not matched live (the BPF LSM hook \
             would have to read each call's argument); use NAME#K, or NAME@bufI with \
             `vatrace replay --inject` on a recording"
        ),
    }
}

/// Whether BPF LSM is active here, from the kernel's list of LSMs (None: the list is
/// unreadable, e.g. securityfs not mounted, so only loading a program can tell).
pub fn bpf_lsm_listed() -> Option<bool> {
    let list = std::fs::read_to_string(LSM_LIST).ok()?;
    Some(list.trim().split(',').any(|m| m == "bpf"))
}

/// An error from aya on one line, with its sources.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        text.push_str(&format!(": {s}"));
        src = s.source();
    }
    text
}

/// Fills the rules map, loads the LSM program and attaches it to `file_ioctl`. The program fires
/// only for processes in the traced set.
pub fn attach(ebpf: &mut Ebpf, btf: Option<&Btf>, rules: &[InjectRule]) -> Result<()> {
    if bpf_lsm_listed() == Some(false) {
        let list = std::fs::read_to_string(LSM_LIST).unwrap_or_default();
        bail!(
            "--inject: BPF LSM is not active on this kernel (the active LSMs in {LSM_LIST} are \
             {:?}, without `bpf`). Fix: {FIX}",
            list.trim()
        );
    }
    let Some(btf) = btf else {
        bail!("--inject: the kernel publishes no BTF (/sys/kernel/btf/vmlinux). Fix: {FIX}");
    };
    let mut map: Array<_, InjectRule> = Array::try_from(
        ebpf.map_mut("INJECT_RULES")
            .context("map INJECT_RULES missing from the eBPF object")?,
    )?;
    for (i, r) in rules.iter().enumerate() {
        map.set(i as u32, r, 0)
            .with_context(|| format!("writing injection rule {i}"))?;
    }
    let p: &mut Lsm = ebpf
        .program_mut(PROGRAM)
        .with_context(|| format!("program {PROGRAM} missing from the eBPF object"))?
        .try_into()?;
    p.load(HOOK, btf).map_err(|e| {
        let text = chain(&e);
        if text.contains("os error 1)") {
            anyhow!(
                "--inject: the kernel refused to load a BPF LSM program ({text}): BPF LSM is \
                 not available here. Fix: {FIX}"
            )
        } else {
            anyhow!("--inject: loading the BPF LSM program on {HOOK}: {text}. Fix: {FIX}")
        }
    })?;
    p.attach().map_err(|e| {
        anyhow!(
            "--inject: attaching the BPF LSM program to {HOOK} was refused ({}). Fix: {FIX}",
            chain(&e)
        )
    })?;
    log::info!("injection: {} rule(s) on {HOOK}", rules.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> Inject {
        s.parse().unwrap()
    }

    #[test]
    fn nth_forms_become_rules() {
        let r = rules(&[
            spec("MEDIA_REQUEST_IOC_REINIT#3=EBUSY"),
            spec("vidioc_dqbuf#10=5"),
        ])
        .unwrap();
        let reinit = traces::ioctl::by_name("MEDIA_REQUEST_IOC_REINIT").unwrap();
        let dqbuf = traces::ioctl::by_name("VIDIOC_DQBUF").unwrap();
        assert_eq!(
            r,
            vec![
                InjectRule {
                    cmd: reinit.request,
                    errno: libc::EBUSY as u32,
                    nth: 3
                },
                InjectRule {
                    cmd: dqbuf.request,
                    errno: libc::EIO as u32,
                    nth: 10
                },
            ]
        );
    }

    #[test]
    fn forms_the_kernel_cannot_match_are_refused_with_the_alternative() {
        for (s, why) in [
            ("@42=EIO", "sequence number"),
            ("VIDIOC_DQBUF@frame5=EIO", "frames"),
            ("VIDIOC_QBUF@buf3#2=EINVAL", "buffer indices"),
        ] {
            let e = format!("{:#}", rules(&[spec(s)]).unwrap_err());
            assert!(e.contains(why), "{e}");
            assert!(e.contains("NAME#K"), "{e}");
            assert!(e.contains("vatrace replay --inject"), "{e}");
        }
    }

    #[test]
    fn at_most_max_inject_rules() {
        let many: Vec<Inject> = (1..=MAX_INJECT as u64 + 1)
            .map(|k| spec(&format!("MEDIA_REQUEST_IOC_REINIT#{k}=EBUSY")))
            .collect();
        assert!(rules(&many[..MAX_INJECT as usize]).is_ok());
        let e = format!("{:#}", rules(&many).unwrap_err());
        assert!(e.contains("at most 16"), "{e}");
    }
}
