//! The kernel half of `vatrace doctor`: privileges, BTF, tracefs, which eBPF attachments the
//! kernel allows (each probed by loading a minimal program), and a real load of vatrace's own
//! programs.

use std::time::Instant;

use aya::programs::{LsmAttachType, ProgramType};

use super::Check;
use crate::{attach::Mechanism, btf, loader, tracefs};

const SETCAP: &str = "run vatrace as root (sudo), or give it the capabilities: \
                      `sudo setcap cap_bpf,cap_perfmon,cap_sys_resource+ep $(which vatrace)`";

/// Root, or CAP_BPF + CAP_PERFMON.
pub fn privileges() -> Check {
    // SAFETY: geteuid has no arguments and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    match loader::check_privileges() {
        Ok(()) if root => Check::ok("privileges", "root"),
        Ok(()) => Check::ok("privileges", "CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN)"),
        Err(_) => Check::fail(
            "privileges",
            "neither root nor CAP_BPF + CAP_PERFMON: eBPF programs cannot be loaded",
            SETCAP,
        ),
    }
}

/// /sys/kernel/btf/vmlinux, parsed for what vatrace reads from it.
pub fn btf() -> Check {
    const FIX: &str = "a kernel built with CONFIG_DEBUG_INFO_BTF=y (most distribution kernels are)";
    match btf::read_vmlinux() {
        Err(_) => Check::warn(
            "BTF",
            format!(
                "{} missing: recording works, but exit records cannot name the signal that \
                 killed a process, and fentry/fexit and BPF LSM need it",
                btf::VMLINUX
            ),
            FIX,
        ),
        Ok(b) => match btf::member_offset(&b, "task_struct", "exit_code") {
            Ok(Some(off)) => Check::ok(
                "BTF",
                format!(
                    "{} ({} KiB), task_struct.exit_code at byte {off}",
                    btf::VMLINUX,
                    b.len() >> 10
                ),
            ),
            Ok(None) => Check::warn(
                "BTF",
                format!("{} has no task_struct.exit_code", btf::VMLINUX),
                "exit records will not name signals; report this kernel to vatrace",
            ),
            Err(e) => Check::warn("BTF", format!("{} unreadable: {e:#}", btf::VMLINUX), FIX),
        },
    }
}

/// tracefs mounted, with the tracepoints vatrace attaches to.
pub fn tracefs() -> Check {
    match tracefs::mounted() {
        Err(e) => Check::fail("tracefs", format!("{e:#}"), SETCAP),
        Ok(None) => Check::warn(
            "tracefs",
            "not mounted; vatrace record mounts it at /sys/kernel/tracing by itself",
            "to mount it now: `mount -t tracefs tracefs /sys/kernel/tracing`",
        ),
        Ok(Some(path)) => {
            let missing: Vec<&str> = [
                "raw_syscalls/sys_enter",
                "raw_syscalls/sys_exit",
                "sched/sched_process_fork",
                "sched/sched_process_exit",
            ]
            .into_iter()
            .filter(|tp| !path.join("events").join(tp).is_dir())
            .collect();
            if missing.is_empty() {
                Check::ok(
                    "tracefs",
                    format!(
                        "{}, with the raw_syscalls and sched tracepoints",
                        path.display()
                    ),
                )
            } else {
                Check::fail(
                    "tracefs",
                    format!("{} lacks {}", path.display(), missing.join(", ")),
                    "a kernel with CONFIG_FTRACE_SYSCALLS=y",
                )
            }
        }
    }
}

/// What happened to a minimal program of one type (aya's `is_program_supported`, which for
/// fentry/fexit and LSM also attaches it).
enum Probe {
    Works,
    Unknown,
    LoadRefused(String),
    AttachRefused(String),
}

fn probe(kind: ProgramType) -> Probe {
    match aya::sys::is_program_supported(kind) {
        Ok(true) => Probe::Works,
        Ok(false) => Probe::Unknown,
        Err(e) => {
            let mut text = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                text.push_str(&format!(": {s}"));
                src = s.source();
            }
            if text.contains("bpf_raw_tracepoint_open") {
                Probe::AttachRefused(text)
            } else {
                Probe::LoadRefused(text)
            }
        }
    }
}

/// Verdict for an attachment vatrace does not need.
fn optional(name: &'static str, what: &str, result: Probe, extra: &str, fix: &str) -> Check {
    match result {
        Probe::Works => Check::ok(name, format!("{what} programs load and attach{extra}")),
        Probe::Unknown => Check::warn(
            name,
            format!("the kernel does not support {what} programs{extra}"),
            fix,
        ),
        Probe::LoadRefused(e) => Check::warn(
            name,
            format!("the kernel refused to load a minimal {what} program ({e}){extra}"),
            fix,
        ),
        Probe::AttachRefused(e) if e.contains("os error 16") => Check::warn(
            name,
            // x86 patches the function's entry for a BPF trampoline: without the ftrace nop
            // there the patch is refused with EBUSY.
            format!(
                "{what} programs load, but attaching one was refused ({e}): the kernel cannot \
                 patch the function's entry{extra}"
            ),
            "a kernel with CONFIG_FUNCTION_TRACER=y and CONFIG_DYNAMIC_FTRACE=y \
             (vatrace then falls back to the raw tracepoints)",
        ),
        Probe::AttachRefused(e) => Check::warn(
            name,
            format!("{what} programs load, but attaching one was refused ({e}){extra}"),
            fix,
        ),
    }
}

/// The eBPF attachments: raw tracepoints and fentry/fexit (what `vatrace record` uses), BPF LSM,
/// uprobes.
pub fn attachments(may_load: bool) -> Vec<Check> {
    const UNUSED: &str = "vatrace does not need it; a lockdown or container policy (seccomp, \
                          no CAP_SYS_ADMIN) can refuse it";
    const FENTRY: &str = "vatrace falls back to the raw tracepoints without it (every syscall on \
                          the machine then pays); a lockdown or container policy (seccomp, no \
                          CAP_SYS_ADMIN) can refuse it";
    if !may_load {
        return ["raw tracepoints", "fentry/fexit", "BPF LSM", "uprobes"]
            .into_iter()
            .map(|name| {
                Check::warn(
                    name,
                    "not probed: loading a program needs the privileges above",
                    SETCAP,
                )
            })
            .collect();
    }
    let raw = match loader::EmptyPrograms::attach() {
        Ok(progs) => {
            drop(progs);
            Check::ok(
                "raw tracepoints",
                "an empty program loads and attaches to raw_syscalls sys_enter/sys_exit",
            )
        }
        Err(e) => Check::fail(
            "raw tracepoints",
            format!("{e:#}"),
            "vatrace record needs raw tracepoints (CONFIG_BPF_EVENTS=y, CONFIG_FTRACE_SYSCALLS=y)",
        ),
    };
    let fentry = optional(
        "fentry/fexit",
        "fentry",
        probe(ProgramType::Tracing),
        "",
        FENTRY,
    );
    let lsm = lsm(probe(ProgramType::Lsm(LsmAttachType::Mac)));
    let uprobes = match (
        probe(ProgramType::KProbe),
        std::path::Path::new("/sys/bus/event_source/devices/uprobe/type").exists(),
    ) {
        (Probe::Works, true) => Check::ok(
            "uprobes",
            "the kernel loads kprobe-type programs and has the uprobe event source",
        ),
        (Probe::Works, false) => Check::warn(
            "uprobes",
            "kprobe-type programs load, but there is no uprobe event source",
            "a kernel with CONFIG_UPROBE_EVENTS=y (vatrace does not need it)",
        ),
        (other, _) => optional("uprobes", "kprobe-type", other, "", UNUSED),
    };
    vec![raw, fentry, lsm, uprobes]
}

/// BPF LSM: the program type loads and attaches, and "bpf" is among the active LSMs: what live
/// fault injection (`vatrace record --inject`) needs.
fn lsm(probed: Probe) -> Check {
    const FIX: &str = "`vatrace record --inject` needs it (recording does not): a kernel with \
                       CONFIG_BPF_LSM=y booted with `lsm=...,bpf`";
    let active = std::fs::read_to_string("/sys/kernel/security/lsm");
    let listed = match &active {
        Ok(list) => format!("; active LSMs: {}", list.trim()),
        Err(_) => "; /sys/kernel/security/lsm unreadable (securityfs not mounted?)".to_string(),
    };
    let in_list = active
        .as_ref()
        .is_ok_and(|l| l.trim().split(',').any(|m| m == "bpf"));
    let unavailable = "live fault injection (`record --inject`) unavailable";
    match probed {
        Probe::Works if in_list => Check::ok(
            "BPF LSM",
            format!(
                "LSM programs load and attach{listed}: live fault injection (`record --inject`) \
                 works here"
            ),
        ),
        Probe::Works => Check::warn(
            "BPF LSM",
            format!(
                "LSM programs load and attach, but \"bpf\" is not an active LSM{listed}: \
                 {unavailable}"
            ),
            FIX,
        ),
        other => {
            let mut c = optional("BPF LSM", "LSM", other, &listed, FIX);
            c.says = format!("{}: {unavailable}", c.says);
            c
        }
    }
}

/// Loads, verifies and attaches vatrace's own programs as `vatrace record` does, then lets go.
pub fn record(may_load: bool) -> Check {
    if !may_load {
        return Check::fail(
            "record",
            "vatrace record needs the privileges above",
            SETCAP,
        );
    }
    let t0 = Instant::now();
    let opts = loader::Options {
        ringbuf_size: 1 << 16,
        ..Default::default()
    };
    match loader::Tracer::load(&opts) {
        Ok(t) => {
            let how = match (t.mechanism(), t.fallback()) {
                (Mechanism::FEntry, _) => {
                    "`--attach auto` uses fentry/fexit (only the followed syscalls pay)".to_string()
                }
                (Mechanism::Tracepoint, Some(why)) => format!(
                    "`--attach auto` uses the raw syscall tracepoints (every syscall pays): \
                     fentry/fexit refused ({why})"
                ),
                (Mechanism::Tracepoint, None) => {
                    "`--attach auto` uses the raw syscall tracepoints".to_string()
                }
            };
            drop(t);
            Check::ok(
                "record",
                format!(
                    "vatrace's programs load, pass the verifier and attach ({} ms); {how}",
                    t0.elapsed().as_millis()
                ),
            )
        }
        Err(e) => Check::fail(
            "record",
            format!("loading vatrace's programs failed: {e:#}"),
            "see the FAIL and warn lines above; `RUST_LOG=info vatrace doctor` shows each step",
        ),
    }
}
