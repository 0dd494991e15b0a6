//! Loading and attaching the eBPF programs, and the handles user space keeps on their maps.

use anyhow::{anyhow, bail, Context as _, Result};
use std::{os::fd::AsRawFd, time::Instant};

use aya::{
    maps::{Array, MapData, PerCpuArray, RingBuf},
    programs::TracePoint,
    Btf, Ebpf, EbpfLoader,
};
use tracer_common::{stats, TRAMPOLINES};

use crate::{
    attach::{attach_raw, attach_trampolines, unload_trampolines, Attach, Mechanism, FENTRY_FIX},
    tracefs,
};

/// The eBPF object built by build.rs.
static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/tracer"));

/// Load-time settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Ring-buffer size in bytes (a power of two, at least a page).
    pub ringbuf_size: u32,
    /// Bytes each CPU sends between two wake-ups of the reader (at most a quarter of the ring
    /// buffer shared out among the CPUs: every CPU may have that much unannounced at once).
    pub wakeup_bytes: u64,
    /// How to hook the syscalls.
    pub attach: Attach,
    /// Live fault injection rules (`--inject`, see `crate::inject`); none: the LSM program is
    /// not loaded.
    pub inject: Vec<tracer_common::InjectRule>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ringbuf_size: 16 << 20,
            wakeup_bytes: 256 << 10,
            attach: Attach::Auto,
            inject: Vec::new(),
        }
    }
}

/// Counters the kernel side keeps (summed over CPUs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub lost: u64,
    pub lost_bytes: u64,
    pub ioctls: u64,
    pub truncated: u64,
}

/// Loaded and attached programs.
pub struct Tracer {
    // Keeps programs and links alive.
    _ebpf: Ebpf,
    events: Option<RingBuf<MapData>>,
    traced: Array<MapData, [u8; 8]>,
    stats: PerCpuArray<MapData, u64>,
    mechanism: Mechanism,
    fallback: Option<String>,
}

/// Explains an error from loading/attaching in terms of what the user can do.
pub(crate) fn explain(e: impl std::fmt::Display + std::fmt::Debug, what: &str) -> anyhow::Error {
    let text = format!("{e:?}");
    if text.contains("PermissionDenied") || text.contains("EPERM") || text.contains("os error 1)") {
        anyhow!(
            "{what}: permission denied ({e}). vatrace needs root, or CAP_BPF + CAP_PERFMON \
             (e.g. `sudo setcap cap_bpf,cap_perfmon,cap_sys_resource+ep $(which vatrace)`); \
             kernel lockdown can also forbid BPF"
        )
    } else {
        anyhow!("{what}: {e}")
    }
}

impl Tracer {
    /// Checks prerequisites, loads the programs and attaches them. Nothing is traced until
    /// [`Tracer::trace_pid`].
    pub fn load(opts: &Options) -> Result<Tracer> {
        if !opts.ringbuf_size.is_power_of_two() || opts.ringbuf_size < 4096 {
            bail!(
                "ring-buffer size {} is not a power of two of at least 4096 bytes",
                opts.ringbuf_size
            );
        }
        if OBJECT.is_empty() {
            bail!("this vatrace was built with AYA_BUILD_SKIP set: it holds no eBPF programs; rebuild it without");
        }
        check_privileges()?;
        raise_memlock();
        let t0 = Instant::now();
        let tracefs = tracefs::locate()?;
        let fork_child =
            tracefs::field_offset(&tracefs, "sched", "sched_process_fork", "child_pid")?
                .context("sched/sched_process_fork has no child_pid field")?;
        let exit_group_dead =
            tracefs::field_offset(&tracefs, "sched", "sched_process_exit", "group_dead")?
                .unwrap_or(0);
        let raw_tracepoints = || -> Result<()> {
            for tp in ["sys_enter", "sys_exit"] {
                if !tracefs.join("events/raw_syscalls").join(tp).is_dir() {
                    bail!(
                        "the kernel has no raw_syscalls/{tp} tracepoint (needs CONFIG_FTRACE_SYSCALLS)"
                    );
                }
            }
            Ok(())
        };
        log::info!("start-up: tracefs in {:?}", t0.elapsed());
        // aya's loader parses the kernel's whole BTF when it is made (for CO-RE relocations,
        // which it skips when the object has none); there is no way around that parse, but it
        // is the only one (the attach ids come from our walk below). Made first: in the
        // test-bed the first touch of fresh memory is dear, and our read of the BTF then reuses
        // the heap aya's parse left behind (made on a thread of its own, overlapping our walk,
        // it was slower still: two emulated CPUs on a loaded host).
        let t0 = Instant::now();
        let mut loader = EbpfLoader::new();
        log::info!(
            "start-up: aya's loader made (its kernel BTF parse) in {:?}",
            t0.elapsed()
        );
        let t0 = Instant::now();
        // One read and walk of the kernel's BTF for task_struct.exit_code and the attach points.
        let vmlinux = crate::btf::read_vmlinux();
        let exit_code_off = task_exit_code_offset(vmlinux.as_deref());
        let btf = match vmlinux {
            Ok(bytes) => attach_points(&bytes, opts),
            Err(e) => {
                log::info!("no kernel BTF ({e:#}): only the raw tracepoints can be used");
                None
            }
        };
        log::info!(
            "start-up: kernel BTF walked (task_struct.exit_code, attach ids) in {:?}",
            t0.elapsed()
        );
        let cpus = aya::util::nr_cpus()
            .map_err(|(_, e)| e)
            .context("counting the CPUs")? as u64;
        let wakeup_bytes = opts
            .wakeup_bytes
            .min(u64::from(opts.ringbuf_size) / 4 / cpus.max(1));
        let t0 = Instant::now();
        let mut ebpf = loader
            .map_max_entries("EVENTS", opts.ringbuf_size)
            .override_global("FORK_CHILD_PID_OFF", &fork_child, true)
            .override_global("EXIT_GROUP_DEAD_OFF", &exit_group_dead, true)
            .override_global("WAKEUP_BYTES", &wakeup_bytes, true)
            .override_global("TASK_EXIT_CODE_OFF", &exit_code_off, true)
            .override_global("INJECTING", &u64::from(!opts.inject.is_empty()), true)
            .load(OBJECT)
            .map_err(|e| explain(e, "loading the eBPF programs"))?;
        log::info!(
            "start-up: object parsed, maps created in {:?}",
            t0.elapsed()
        );

        let t0 = Instant::now();
        let raw = [("sys_enter", "sys_enter"), ("sys_exit", "sys_exit")];
        let mut fallback = None;
        let mechanism = match (opts.attach, &btf) {
            (Attach::Tracepoint, _) => {
                raw_tracepoints()?;
                attach_raw(&mut ebpf, raw)?;
                Mechanism::Tracepoint
            }
            (Attach::FEntry, None) => bail!(
                "--attach fentry: the kernel publishes no BTF (/sys/kernel/btf/vmlinux), which \
                 fentry/fexit need. {FENTRY_FIX}"
            ),
            (Attach::FEntry, Some(btf)) => {
                attach_trampolines(&mut ebpf, btf)
                    .map_err(|e| anyhow!("--attach fentry: {e:#}. {FENTRY_FIX}"))?;
                Mechanism::FEntry
            }
            (Attach::Auto, Some(btf)) => match attach_trampolines(&mut ebpf, btf) {
                Ok(()) => Mechanism::FEntry,
                Err(e) => {
                    log::info!("fentry/fexit refused ({e:#}): using the raw tracepoints");
                    unload_trampolines(&mut ebpf);
                    fallback = Some(format!("{e:#}"));
                    raw_tracepoints()?;
                    attach_raw(&mut ebpf, raw)?;
                    Mechanism::Tracepoint
                }
            },
            (Attach::Auto, None) => {
                fallback = Some("the kernel publishes no BTF".into());
                raw_tracepoints()?;
                attach_raw(&mut ebpf, raw)?;
                Mechanism::Tracepoint
            }
        };
        log::info!(
            "start-up: syscall programs ({mechanism}) verified and attached in {:?}",
            t0.elapsed()
        );
        if !opts.inject.is_empty() {
            crate::inject::attach(&mut ebpf, btf.as_ref(), &opts.inject)?;
        }
        let t0 = Instant::now();
        for (prog, cat, tp) in [
            ("sched_process_fork", "sched", "sched_process_fork"),
            ("sched_process_exit", "sched", "sched_process_exit"),
        ] {
            let p: &mut TracePoint = ebpf
                .program_mut(prog)
                .with_context(|| format!("program {prog} missing from the eBPF object"))?
                .try_into()?;
            p.load()
                .map_err(|e| explain(e, &format!("verifying program {prog}")))?;
            p.attach(cat, tp)
                .map_err(|e| explain(e, &format!("attaching tracepoint {cat}/{tp}")))?;
        }
        log::info!(
            "start-up: sched programs verified and attached in {:?}",
            t0.elapsed()
        );

        let events = RingBuf::try_from(ebpf.take_map("EVENTS").context("map EVENTS missing")?)?;
        let traced = Array::try_from(ebpf.take_map("TRACED").context("map TRACED missing")?)?;
        let stats = PerCpuArray::try_from(ebpf.take_map("STATS").context("map STATS missing")?)?;
        Ok(Tracer {
            _ebpf: ebpf,
            events: Some(events),
            traced,
            stats,
            mechanism,
            fallback,
        })
    }

    /// Attaches the driver probes to the libva driver file `so` (see `probes`); how many of
    /// its functions were probed.
    pub fn attach_driver_probes(&mut self, so: &std::path::Path, explicit: bool) -> Result<usize> {
        crate::probes::attach(&mut self._ebpf, so, explicit)
    }

    /// Lets go of the programs, without making vatrace wait for the trampolines' detach: the
    /// kernel unhooks each fentry/fexit'ed function with an RCU-tasks grace period (≈ 2 s for
    /// the 19 functions in the test-bed), so a forked child keeps the links and drops them when
    /// vatrace has exited (the kernel closes them in its exit). The child holds no standard
    /// stream, so a caller reading vatrace's output sees it end with vatrace. The tracepoints
    /// detach at once: dropped here.
    pub fn release(self) {
        if self.mechanism != Mechanism::FEntry {
            return;
        }
        let Ok((rd, wr)) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) else {
            return;
        };
        // SAFETY: the child only calls async-signal-safe functions (close, read, _exit).
        match unsafe { nix::unistd::fork() } {
            Ok(nix::unistd::ForkResult::Child) => {
                drop(wr);
                for fd in 0..3 {
                    // SAFETY: closing the standard streams this process inherited.
                    unsafe { libc::close(fd) };
                }
                // Until vatrace exits (end of file on the pipe) the links stay ours.
                let mut b = [0u8; 1];
                let _ = nix::unistd::read(rd.as_raw_fd(), &mut b);
                // SAFETY: _exit is async-signal-safe and never returns.
                unsafe { libc::_exit(0) }
            }
            Ok(nix::unistd::ForkResult::Parent { .. }) => {
                // Open until vatrace exits: the child's signal to go.
                std::mem::forget(wr);
            }
            Err(e) => log::debug!("no child to detach the trampolines ({e}): detaching here"),
        }
    }

    /// How the syscalls are hooked.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// Why `--attach auto` did not get fentry/fexit (None if it did, or was not asked to try).
    pub fn fallback(&self) -> Option<&str> {
        self.fallback.as_deref()
    }

    /// The event ring buffer (once: its reader owns it).
    pub fn take_events(&mut self) -> Option<RingBuf<MapData>> {
        self.events.take()
    }

    /// Starts tracing process `pid` (all its threads, and the children it creates from now on).
    pub fn trace_pid(&mut self, pid: u32) -> Result<()> {
        // One byte per pid, eight to an element (see tracer-ebpf's maps.rs). The element is
        // read, changed and written back whole: nothing else is traced yet, so no fork in the
        // kernel writes the neighbouring bytes meanwhile.
        let context = || format!("adding pid {pid} to the traced set");
        let mut bytes = self.traced.get(&(pid / 8), 0).with_context(context)?;
        bytes[(pid % 8) as usize] = 1;
        self.traced.set(pid / 8, bytes, 0).with_context(context)
    }

    /// The kernel side's counters, summed over CPUs.
    pub fn stats(&self) -> Stats {
        let sum = |i: u32| -> u64 {
            self.stats
                .get(&i, 0)
                .map(|v| v.iter().copied().sum())
                .unwrap_or(0)
        };
        Stats {
            lost: sum(stats::LOST),
            lost_bytes: sum(stats::LOST_BYTES),
            ioctls: sum(stats::IOCTLS),
            truncated: sum(stats::TRUNCATED),
        }
    }
}

/// Programs that do nothing, attached where the tracer's are (`vatrace bench`'s floor: what the
/// raw syscall tracepoints cost every process by themselves). Detached when dropped.
pub struct EmptyPrograms {
    _ebpf: Ebpf,
}

impl EmptyPrograms {
    /// Loads the object and attaches only its empty programs.
    pub fn attach() -> Result<EmptyPrograms> {
        check_privileges()?;
        raise_memlock();
        let mut ebpf = EbpfLoader::new()
            .map_max_entries("EVENTS", 4096)
            .load(OBJECT)
            .map_err(|e| explain(e, "loading the eBPF programs"))?;
        attach_raw(
            &mut ebpf,
            [("empty_enter", "sys_enter"), ("empty_exit", "sys_exit")],
        )?;
        Ok(EmptyPrograms { _ebpf: ebpf })
    }
}

/// Offset of `exit_code` in the kernel's `task_struct`, from its BTF `vmlinux` (0 if unknown:
/// the exit records then know only the codes given to exit/exit_group, not deaths by signal).
fn task_exit_code_offset(vmlinux: Result<&[u8], &anyhow::Error>) -> u64 {
    let found = vmlinux
        .map_err(|e| anyhow!("{e:#}"))
        .and_then(|b| crate::btf::member_offset(b, "task_struct", "exit_code"));
    match found {
        Ok(Some(off)) => u64::from(off),
        Ok(None) => {
            log::warn!("the kernel's BTF has no task_struct.exit_code: exit records will not name the signal that killed a process");
            0
        }
        Err(e) => {
            log::warn!("{e:#}: exit records will not name the signal that killed a process");
            0
        }
    }
}

/// The functions `opts` may attach programs to by BTF id: the followed syscalls' wrappers
/// (unless only the tracepoints are asked for) and the LSM hook of `--inject`.
fn attach_functions(opts: &Options) -> Vec<String> {
    let mut names = Vec::new();
    if opts.attach != Attach::Tracepoint {
        names.extend(
            TRAMPOLINES
                .iter()
                .filter(|t| !(t.x86_only && cfg!(target_arch = "aarch64")))
                .map(|t| crate::attach::wrapper(t.name)),
        );
    }
    if !opts.inject.is_empty() {
        names.push(format!("bpf_lsm_{}", crate::inject::HOOK));
    }
    names
}

/// A stand-in for the kernel's BTF holding just the functions `opts` attaches to, at their ids
/// (see `btf::attach_points`); None if the kernel's BTF cannot be walked. A function the kernel
/// lacks is left out: loading its program then fails as it would against the whole BTF.
fn attach_points(vmlinux: &[u8], opts: &Options) -> Option<Btf> {
    let names = attach_functions(opts);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let found = crate::btf::func_ids(vmlinux, &names).and_then(|ids| {
        let funcs: Vec<(&str, u32)> = names
            .iter()
            .zip(ids)
            .filter_map(|(n, id)| Some((*n, id?)))
            .collect();
        Btf::parse(
            &crate::btf::attach_points(&funcs),
            aya::Endianness::default(),
        )
        .context("parsing the attach points' BTF")
    });
    match found {
        Ok(btf) => Some(btf),
        Err(e) => {
            log::info!("kernel BTF unusable ({e:#}): only the raw tracepoints can be used");
            None
        }
    }
}

/// Fails early, with what to do, unless we are root or hold CAP_BPF and CAP_PERFMON.
pub(crate) fn check_privileges() -> Result<()> {
    // SAFETY: geteuid has no arguments and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return Ok(());
    }
    const CAP_SYS_ADMIN: u32 = 21;
    const CAP_PERFMON: u32 = 38;
    const CAP_BPF: u32 = 39;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let eff = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or(0);
    let has = |cap: u32| eff & (1u64 << cap) != 0;
    if has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON)) {
        return Ok(());
    }
    bail!(
        "tracing needs root, or the capabilities CAP_BPF and CAP_PERFMON (this process has neither): \
         run it with sudo, or `sudo setcap cap_bpf,cap_perfmon,cap_sys_resource+ep $(which vatrace)`"
    )
}

/// Lifts RLIMIT_MEMLOCK for kernels that still charge BPF maps to it (before 5.11).
fn raise_memlock() {
    let rlim = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: setrlimit reads the struct we pass; failure is harmless (newer kernels ignore it).
    let ret = unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &rlim) };
    if ret != 0 {
        log::debug!(
            "raising RLIMIT_MEMLOCK failed: {}",
            std::io::Error::last_os_error()
        );
    }
}
