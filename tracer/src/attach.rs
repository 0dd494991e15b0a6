//! How `vatrace record` hooks the followed syscalls: fentry/fexit trampolines on each syscall's
//! wrapper (cost only to those syscalls) or the raw `sys_enter`/`sys_exit` tracepoints (every
//! syscall of every process takes the slow path), and the choice between them.

use std::{
    fmt,
    str::FromStr,
    time::{Duration, Instant},
};

use anyhow::{anyhow, Context as _, Result};
use aya::{
    programs::{FEntry, FExit, RawTracePoint},
    Btf, Ebpf,
};
use tracer_common::TRAMPOLINES;

/// What the user asked for (`--attach`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Attach {
    /// fentry/fexit where the kernel takes them, else the tracepoints.
    #[default]
    Auto,
    FEntry,
    Tracepoint,
}

impl FromStr for Attach {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Attach::Auto),
            "fentry" | "fexit" => Ok(Attach::FEntry),
            "tracepoint" | "tp" => Ok(Attach::Tracepoint),
            _ => Err(format!(
                "unknown attach mechanism {s:?}: use auto, fentry or tracepoint"
            )),
        }
    }
}

/// What is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    FEntry,
    Tracepoint,
}

impl Mechanism {
    /// The name the trace header records (`options["attach"]`) and `bench` prints.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::FEntry => "fentry",
            Mechanism::Tracepoint => "tracepoint",
        }
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The kernel's name of syscall `name`'s wrapper on this architecture.
pub fn wrapper(name: &str) -> String {
    if cfg!(target_arch = "aarch64") {
        format!("__arm64_sys_{name}")
    } else {
        format!("__x64_sys_{name}")
    }
}

/// What to do when the kernel refuses trampolines.
pub const FENTRY_FIX: &str = "BPF trampolines need a kernel built with CONFIG_FUNCTION_TRACER, \
    CONFIG_DYNAMIC_FTRACE, CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS and CONFIG_DEBUG_INFO_BTF \
    (and no container or lockdown policy forbidding them); here use `--attach tracepoint` (or \
    `--attach auto`, the default, which falls back to it)";

/// An error with its sources, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        text.push_str(&format!(": {s}"));
        src = s.source();
    }
    text
}

/// Loads and attaches the fentry (and fexit) program of every followed syscall of this
/// architecture. On error the programs attached so far stay in `ebpf` (unload them with
/// [`unload_trampolines`] before falling back).
pub fn attach_trampolines(ebpf: &mut Ebpf, btf: &Btf) -> Result<()> {
    let (mut verifying, mut attaching) = (Duration::ZERO, Duration::ZERO);
    for t in TRAMPOLINES {
        if t.x86_only && cfg!(target_arch = "aarch64") {
            continue;
        }
        let func = wrapper(t.name);
        let entry = format!("fentry_{}", t.name);
        let p: &mut FEntry = ebpf
            .program_mut(&entry)
            .with_context(|| format!("program {entry} missing from the eBPF object"))?
            .try_into()?;
        let t0 = Instant::now();
        p.load(&func, btf)
            .map_err(|e| anyhow!("loading fentry program on {func}: {}", chain(&e)))?;
        verifying += t0.elapsed();
        let t0 = Instant::now();
        p.attach()
            .map_err(|e| anyhow!("attaching fentry program to {func}: {}", chain(&e)))?;
        attaching += t0.elapsed();
        if t.exit {
            let exit = format!("fexit_{}", t.name);
            let p: &mut FExit = ebpf
                .program_mut(&exit)
                .with_context(|| format!("program {exit} missing from the eBPF object"))?
                .try_into()?;
            let t0 = Instant::now();
            p.load(&func, btf)
                .map_err(|e| anyhow!("loading fexit program on {func}: {}", chain(&e)))?;
            verifying += t0.elapsed();
            let t0 = Instant::now();
            p.attach()
                .map_err(|e| anyhow!("attaching fexit program to {func}: {}", chain(&e)))?;
            attaching += t0.elapsed();
        }
    }
    log::info!("trampolines: verified in {verifying:?}, attached in {attaching:?}");
    Ok(())
}

/// Detaches and unloads whatever [`attach_trampolines`] attached.
pub fn unload_trampolines(ebpf: &mut Ebpf) {
    for t in TRAMPOLINES {
        for prefix in ["fentry", "fexit"] {
            let name = format!("{prefix}_{}", t.name);
            let result = match ebpf.program_mut(&name) {
                Some(aya::programs::Program::FEntry(p)) => p.unload(),
                Some(aya::programs::Program::FExit(p)) => p.unload(),
                _ => Ok(()),
            };
            if let Err(e) = result {
                log::debug!("unloading {name}: {e}");
            }
        }
    }
}

/// Loads each named program of `ebpf` and attaches it to its raw tracepoint.
pub fn attach_raw<'a>(
    ebpf: &mut Ebpf,
    progs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<()> {
    for (prog, tp) in progs {
        let p: &mut RawTracePoint = ebpf
            .program_mut(prog)
            .with_context(|| format!("program {prog} missing from the eBPF object"))?
            .try_into()?;
        let t0 = std::time::Instant::now();
        p.load()
            .map_err(|e| crate::loader::explain(e, &format!("verifying program {prog}")))?;
        let verified = p.info().ok().and_then(|i| i.verified_instruction_count());
        log::info!(
            "{prog}: verified in {:?}, {verified:?} instructions processed",
            t0.elapsed()
        );
        p.attach(tp)
            .map_err(|e| crate::loader::explain(e, &format!("attaching raw tracepoint {tp}")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_mechanisms_and_refuses_others() {
        assert_eq!("auto".parse::<Attach>(), Ok(Attach::Auto));
        assert_eq!("fentry".parse::<Attach>(), Ok(Attach::FEntry));
        assert_eq!("tracepoint".parse::<Attach>(), Ok(Attach::Tracepoint));
        let err = "kprobe".parse::<Attach>().unwrap_err();
        assert!(err.contains("auto, fentry or tracepoint"), "{err}");
    }

    #[test]
    fn wrappers_are_named_per_architecture() {
        let w = wrapper("ioctl");
        assert!(w == "__x64_sys_ioctl" || w == "__arm64_sys_ioctl", "{w}");
    }
}
