//! Live fault injection, `vatrace record --inject SPEC=ERRNO`: the specs (parsed by the replay
//! crate's `Inject`, the same syntax as `vatrace replay --inject`) turned into the rules of
//! tracer-ebpf's BPF LSM `file_ioctl` program, and that program loaded and attached, with an
//! error naming the fix where the kernel has no BPF LSM.

use anyhow::{anyhow, bail, Context as _, Result};
use aya::{maps::Array, programs::Lsm, Btf, Ebpf};
use replay::{options::InjectAt, Inject};
use tracer_common::{inject_kind, InjectRule, MAX_INJECT};

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
    let errno = spec.errno as u32;
    let request = |name: &str| {
        traces::ioctl::by_name(name)
            .map(|info| info.request)
            .ok_or_else(|| anyhow!("--inject {s:?}: {name} is not an ioctl vatrace knows"))
    };
    match &spec.at {
        InjectAt::Nth { name, nth } => Ok(InjectRule {
            cmd: request(name)?,
            errno,
            nth: *nth,
            kind: inject_kind::CALL,
            index: 0,
        }),
        InjectAt::Seq(_) => bail!(
            "--inject {s:?}: a sequence number (@SEQ) is given to a call when its record is \
             written, after the call, so the kernel cannot match it live; name the call as \
             NAME#K (its K-th call in the process, e.g. 'MEDIA_REQUEST_IOC_REINIT#17=EBUSY'), \
             NAME@frameF (VIDIOC_QBUF, MEDIA_REQUEST_IOC_QUEUE) or NAME@bufI#K, or use @SEQ \
             with `vatrace replay --inject` on a recording"
        ),
        InjectAt::Frame { name, frame } => match name.as_str() {
            "VIDIOC_QBUF" | "MEDIA_REQUEST_IOC_QUEUE" => Ok(InjectRule {
                cmd: request(name)?,
                errno,
                nth: *frame,
                kind: inject_kind::FRAME,
                index: 0,
            }),
            _ => bail!(
                "--inject {s:?}: live, frames (NAME@frameF) are decided before the call, so only \
                 VIDIOC_QBUF@frameF (the F-th QBUF on an OUTPUT queue) and \
                 MEDIA_REQUEST_IOC_QUEUE@frameF (the process's first request queue after it) are \
                 matched; {name}'s call of frame F {why}. Name the call as NAME#K (the K-th {name} \
                 call of the process: a client that issues one per frame makes {name}#F frame \
                 F's), or use {name}@frameF with `vatrace replay --inject` on a recording",
                why = frame_refusal(name)
            ),
        },
        InjectAt::Buffer { name, index, nth } => match name.as_str() {
            "VIDIOC_QBUF" | "VIDIOC_QUERYBUF" | "VIDIOC_PREPARE_BUF" => Ok(InjectRule {
                cmd: request(name)?,
                errno,
                nth: *nth,
                kind: inject_kind::BUFFER,
                index: *index,
            }),
            _ => bail!(
                "--inject {s:?}: buffer indices (NAME@bufI) are matched live only where the index \
                 is an input of the call (VIDIOC_QBUF, VIDIOC_QUERYBUF, VIDIOC_PREPARE_BUF): \
                 {name}'s index is written by the kernel during the call, after the BPF LSM hook \
                 decides. Name the call as NAME#K (the K-th {name} call of the process), inject \
                 the QBUF of that buffer (VIDIOC_QBUF@buf{index}#K), or use {name}@buf{index} \
                 with `vatrace replay --inject` on a recording"
            ),
        },
    }
}

/// Why the call of frame F of ioctl `name` (other than QBUF and the request queue) cannot be
/// picked before it is made.
fn frame_refusal(name: &str) -> &'static str {
    match name {
        "VIDIOC_S_EXT_CTRLS" => {
            "is the first one setting controls into that QBUF's request, made before the QBUF, \
             so it is known only once the QBUF comes"
        }
        "VIDIOC_DQBUF" => {
            "is the one returning that OUTPUT buffer, whose index and queue the kernel writes \
             during the call, after the hook"
        }
        "MEDIA_REQUEST_IOC_REINIT" => {
            "is the first REINIT of that QBUF's request, matched by its request fd, which the \
             hook (given the file, not the fd) cannot compare"
        }
        _ => "is not tracked by the BPF LSM program",
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
                    nth: 3,
                    kind: inject_kind::CALL,
                    index: 0,
                },
                InjectRule {
                    cmd: dqbuf.request,
                    errno: libc::EIO as u32,
                    nth: 10,
                    kind: inject_kind::CALL,
                    index: 0,
                },
            ]
        );
    }

    #[test]
    fn buffer_and_frame_forms_become_rules() {
        let req = |n: &str| traces::ioctl::by_name(n).unwrap().request;
        let r = rules(&[
            spec("VIDIOC_QBUF@buf2#3=EIO"),
            spec("VIDIOC_QUERYBUF@buf0=EINVAL"),
            spec("vidioc_prepare_buf@buf7#1=ENOMEM"),
            spec("VIDIOC_QBUF@frame5=EIO"),
            spec("MEDIA_REQUEST_IOC_QUEUE@frame12=EBUSY"),
        ])
        .unwrap();
        let rule = |cmd, errno: i32, nth, kind, index| InjectRule {
            cmd,
            errno: errno as u32,
            nth,
            kind,
            index,
        };
        assert_eq!(
            r,
            vec![
                rule(req("VIDIOC_QBUF"), libc::EIO, 3, inject_kind::BUFFER, 2),
                // #K left out: the first call on that index.
                rule(
                    req("VIDIOC_QUERYBUF"),
                    libc::EINVAL,
                    1,
                    inject_kind::BUFFER,
                    0
                ),
                rule(
                    req("VIDIOC_PREPARE_BUF"),
                    libc::ENOMEM,
                    1,
                    inject_kind::BUFFER,
                    7
                ),
                rule(req("VIDIOC_QBUF"), libc::EIO, 5, inject_kind::FRAME, 0),
                rule(
                    req("MEDIA_REQUEST_IOC_QUEUE"),
                    libc::EBUSY,
                    12,
                    inject_kind::FRAME,
                    0
                ),
            ]
        );
    }

    #[test]
    fn forms_the_kernel_cannot_match_are_refused_with_the_alternative() {
        for (s, why) in [
            ("@42=EIO", "sequence number"),
            (
                "VIDIOC_DQBUF@frame5=EIO",
                "the kernel writes during the call",
            ),
            ("VIDIOC_S_EXT_CTRLS@frame5=EIO", "made before the QBUF"),
            ("MEDIA_REQUEST_IOC_REINIT@frame2=EBUSY", "request fd"),
            ("VIDIOC_STREAMON@frame1=EIO", "not tracked"),
            (
                "VIDIOC_DQBUF@buf3#2=EINVAL",
                "written by the kernel during the call",
            ),
        ] {
            let e = format!("{:#}", rules(&[spec(s)]).unwrap_err());
            assert!(e.contains(why), "{s}: {e}");
            assert!(e.contains("NAME#K"), "{s}: {e}");
            assert!(e.contains("vatrace replay --inject"), "{s}: {e}");
        }
        // The frame refusals name the two frame forms that do work live.
        let e = format!(
            "{:#}",
            rules(&[spec("VIDIOC_DQBUF@frame5=EIO")]).unwrap_err()
        );
        assert!(
            e.contains("VIDIOC_QBUF@frameF") && e.contains("MEDIA_REQUEST_IOC_QUEUE@frameF"),
            "{e}"
        );
        // DQBUF@buf points at the QBUF of that buffer.
        let e = format!(
            "{:#}",
            rules(&[spec("VIDIOC_DQBUF@buf3#2=EINVAL")]).unwrap_err()
        );
        assert!(e.contains("VIDIOC_QBUF@buf3#K"), "{e}");
        // One refused spec among good ones refuses the lot.
        assert!(rules(&[spec("VIDIOC_QBUF@frame1=EIO"), spec("@7=EIO")]).is_err());
    }

    #[test]
    fn at_most_max_inject_rules() {
        let many: Vec<Inject> = (1..=MAX_INJECT as u64 + 1)
            .map(|k| spec(&format!("MEDIA_REQUEST_IOC_REINIT#{k}=EBUSY")))
            .collect();
        assert!(rules(&many[..MAX_INJECT as usize]).is_ok());
        let e = format!("{:#}", rules(&many).unwrap_err());
        assert!(e.contains(&format!("at most {MAX_INJECT}")), "{e}");
    }
}
