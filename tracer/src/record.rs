//! `vatrace record`: start a command (or attach to a process), stream its V4L2/media activity
//! into a trace file, and close the trace cleanly on the command's exit or on SIGINT/SIGTERM.

use std::{
    ffi::CString,
    fs::{File, OpenOptions},
    io::Write,
    os::{
        fd::{AsRawFd, OwnedFd},
        unix::fs::OpenOptionsExt,
    },
    path::PathBuf,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use anyhow::{bail, Context as _, Result};
use nix::{
    sys::{
        signal::{SigSet, Signal},
        signalfd::{SfdFlags, SignalFd},
        wait::{waitpid, WaitPidFlag, WaitStatus},
    },
    unistd::Pid,
};
use traces::{
    record::{End, EndReason},
    Header, TraceWriter,
};

use crate::{
    attach::Mechanism,
    convert::{Converter, Summary},
    devices,
    loader::{Options, Tracer},
    raw,
    reader::{Batch, Reader},
};

/// What to trace and where to write it.
#[derive(Debug, Clone)]
pub struct RecordArgs {
    pub output: PathBuf,
    pub options: Options,
    /// Attach to this running process instead of starting `command`.
    pub pid: Option<u32>,
    pub command: Vec<String>,
    /// Drop the kernel's events unconverted (benchmarking the kernel side).
    pub discard: bool,
    /// Niceness added to the converting thread once the command runs.
    pub nice: i32,
    /// The `--inject` specs as given (recorded in the header; the rules are in `options`).
    pub inject: Vec<String>,
    /// Which libva driver to put uprobes on (`probes`).
    pub driver_probes: crate::probes::DriverProbes,
}

/// How the trace ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub summary: Summary,
    /// Exit code for vatrace itself: the command's, 128+signal if it was killed, or 130/143 if
    /// vatrace was interrupted first.
    pub exit_code: i32,
    pub trace_bytes: u64,
}

/// How long a first SIGINT/SIGTERM keeps tracing the command's own shutdown.
const INTERRUPT_GRACE: Duration = Duration::from_secs(2);

fn monotonic_ns() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
        .map(|t| t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64)
        .unwrap_or(0)
}

/// A child process created stopped before `exec`, released by [`StoppedChild::release`].
struct StoppedChild {
    pid: Pid,
    go: OwnedFd,
}

impl StoppedChild {
    /// Forks; the child waits for a byte on a pipe, then execs `command` with signals unblocked.
    fn spawn(command: &[String]) -> Result<StoppedChild> {
        let argv: Vec<CString> = command
            .iter()
            .map(|a| CString::new(a.as_bytes()))
            .collect::<Result<_, _>>()
            .context("command argument contains a NUL byte")?;
        let (rd, wr) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
        // Everything the child needs is prepared before fork: it only calls async-signal-safe
        // functions (sigprocmask, read, execvp, write, _exit).
        let empty = SigSet::empty();
        let not_found = format!("vatrace: cannot run {}: ", command[0]);
        // SAFETY: vatrace is single-threaded here; the child sticks to async-signal-safe calls.
        match unsafe { nix::unistd::fork() }? {
            nix::unistd::ForkResult::Child => {
                drop(wr);
                let _ = empty.thread_set_mask();
                let mut b = [0u8; 1];
                match nix::unistd::read(rd.as_raw_fd(), &mut b) {
                    Ok(1) => {}
                    // vatrace went away before releasing us: do not run untraced.
                    _ => unsafe_exit(126),
                }
                let err = nix::unistd::execvp(&argv[0], &argv).unwrap_err();
                let _ = nix::unistd::write(std::io::stderr(), not_found.as_bytes());
                let _ = nix::unistd::write(std::io::stderr(), err.desc().as_bytes());
                let _ = nix::unistd::write(std::io::stderr(), b"\n");
                unsafe_exit(127)
            }
            nix::unistd::ForkResult::Parent { child } => {
                drop(rd);
                Ok(StoppedChild { pid: child, go: wr })
            }
        }
    }

    /// Lets the child exec.
    fn release(self) -> Result<Pid> {
        nix::unistd::write(&self.go, b"g").context("releasing the traced command")?;
        Ok(self.pid)
    }
}

/// `_exit` in a forked child (no atexit handlers, no flushing of the parent's buffers).
fn unsafe_exit(code: i32) -> ! {
    // SAFETY: _exit is async-signal-safe and never returns.
    unsafe { libc::_exit(code) }
}

fn uname() -> (String, String, String) {
    match nix::sys::utsname::uname() {
        Ok(u) => (
            u.release().to_string_lossy().into_owned(),
            u.machine().to_string_lossy().into_owned(),
            u.nodename().to_string_lossy().into_owned(),
        ),
        Err(_) => Default::default(),
    }
}

/// The process (thread group) a thread id belongs to, from /proc.
fn thread_group_of(tid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
}

/// Creates the trace file, readable by its owner only (it holds another process's data).
fn create_output(path: &PathBuf) -> Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating trace file {}", path.display()))
}

/// Runs `vatrace record`.
pub fn run(args: &RecordArgs) -> Result<Outcome> {
    if args.pid.is_none() && args.command.is_empty() {
        bail!("nothing to trace: give a command after `--`, or -p PID");
    }
    // Signals are read from a signalfd in the event loop; the child unblocks them before exec.
    let mut mask = SigSet::empty();
    mask.add(Signal::SIGINT);
    mask.add(Signal::SIGTERM);
    mask.add(Signal::SIGCHLD);
    mask.thread_block()?;
    let sigfd = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)?;

    let t0 = Instant::now();
    let mut tracer = Tracer::load(&args.options)?;
    log::info!(
        "start-up: programs loaded and attached in {:?}",
        t0.elapsed()
    );
    let file = create_output(&args.output)?;

    let stopped = match args.pid {
        Some(_) => None,
        None => Some(StoppedChild::spawn(&args.command)?),
    };
    let root = match (&stopped, args.pid) {
        (Some(c), _) => c.pid.as_raw() as u32,
        // Tracing is per process: a thread id given to -p stands for its process.
        (None, Some(p)) => thread_group_of(p).unwrap_or(p),
        _ => unreachable!(),
    };
    if args.pid.is_some() && nix::sys::signal::kill(Pid::from_raw(root as i32), None).is_err() {
        bail!("no process with pid {root}");
    }

    let (kernel_release, machine, hostname) = uname();
    let mut header = Header::new();
    header.kernel_release = kernel_release;
    header.machine = machine;
    header.hostname = hostname;
    header.command = args.command.clone();
    header.start_unix_ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    header.start_monotonic_ns = monotonic_ns();
    header.root_pid = root;
    let t0 = Instant::now();
    header.devices = devices::scan();
    log::info!("start-up: devices scanned in {:?}", t0.elapsed());
    header
        .options
        .insert("ringbuf_size".into(), args.options.ringbuf_size.to_string());
    header
        .options
        .insert("wakeup_bytes".into(), args.options.wakeup_bytes.to_string());
    let tracer_name = match tracer.mechanism() {
        Mechanism::FEntry => "ebpf fentry/fexit",
        Mechanism::Tracepoint => "ebpf raw_syscalls",
    };
    header.options.insert("tracer".into(), tracer_name.into());
    header
        .options
        .insert("attach".into(), tracer.mechanism().name().into());
    header.options.insert("nice".into(), args.nice.to_string());
    if !args.inject.is_empty() {
        header
            .options
            .insert("inject".into(), args.inject.join(" "));
    }
    let probed = attach_driver_probes(&mut tracer, args)?;
    if !probed.is_empty() {
        header
            .options
            .insert("driver_probes".into(), probed.join(":"));
    }
    let described = header
        .devices
        .iter()
        .map(|d| d.path.clone())
        .collect::<Vec<_>>();
    let writer = TraceWriter::new(file, &header)?;
    let mut conv = Converter::new(writer, described);

    tracer.trace_pid(root)?;
    if args.pid.is_some() {
        eprintln!("vatrace: tracing pid {root} and its threads; Ctrl-C to stop");
    }
    let reader = Reader::spawn(tracer.take_events().context("ring buffer already taken")?)?;
    let child = match stopped {
        Some(c) => Some(c.release()?),
        None => None,
    };
    // This thread converts and writes; when CPUs are short it gives way to the traced program
    // (the ring-buffer reader thread keeps its priority, so the kernel side never waits on us).
    if args.nice > 0 {
        // SAFETY: nice() changes the calling thread's priority (Linux) and touches no memory.
        if unsafe { libc::nice(args.nice) } == -1 {
            log::debug!(
                "nice({}) failed: {}",
                args.nice,
                std::io::Error::last_os_error()
            );
        }
    }

    let mut end_reason = EndReason::Exited;
    let mut exit_code: Option<i32> = None;
    let mut signal: Option<i32> = None;
    let mut reported_lost = 0u64;
    let mut last_stats = Instant::now();
    let mut done = false;
    let mut interrupted_at: Option<Instant> = None;
    while !done {
        if interrupted_at.is_some_and(|t| t.elapsed() >= INTERRUPT_GRACE) {
            done = true;
        }
        // Converting is paced by the reader thread's batches; signals and the child's exit are
        // looked at between them (at least every 50 ms).
        if let Some(batch) = reader.recv(Duration::from_millis(50)) {
            convert_batch(batch, &mut conv, args.discard)?;
            while let Some(batch) = reader.recv(Duration::ZERO) {
                convert_batch(batch, &mut conv, args.discard)?;
                if last_stats.elapsed() >= Duration::from_millis(200) {
                    break;
                }
            }
        }
        while let Ok(Some(si)) = sigfd.read_signal() {
            match Signal::try_from(si.ssi_signo as i32) {
                Ok(Signal::SIGCHLD) => {}
                Ok(sig) => {
                    // Ctrl-C reaches the command too (same process group) and clients such as
                    // gst-launch tear down on it: keep tracing that for a moment, unless asked
                    // twice or there is no command of ours to wait for.
                    if interrupted_at.is_some() || child.is_none() {
                        done = true;
                    } else {
                        interrupted_at = Some(Instant::now());
                    }
                    end_reason = EndReason::Interrupted;
                    signal = Some(sig as i32);
                }
                Err(_) => {}
            }
        }
        if let Some(child) = child {
            loop {
                match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                    Ok(WaitStatus::Exited(pid, code)) if pid == child => {
                        end_reason = EndReason::Exited;
                        exit_code = Some(code);
                        done = true;
                    }
                    Ok(WaitStatus::Signaled(pid, sig, _)) if pid == child => {
                        end_reason = EndReason::Signaled;
                        signal = Some(sig as i32);
                        exit_code = Some(128 + sig as i32);
                        done = true;
                    }
                    Ok(WaitStatus::StillAlive) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        } else if nix::sys::signal::kill(Pid::from_raw(root as i32), None).is_err() {
            end_reason = EndReason::Detached;
            done = true;
        }
        if done || last_stats.elapsed() >= Duration::from_millis(200) {
            last_stats = Instant::now();
            let lost = tracer.stats().lost + reader.dropped();
            if lost > reported_lost {
                conv.lost(lost - reported_lost, monotonic_ns())?;
                reported_lost = lost;
            }
        }
        if !done {
            conv.writer.flush()?;
        }
    }
    // Everything the command did happened before its exit was reported: one last drain.
    let (batches, dropped) = reader.finish();
    for batch in batches {
        convert_batch(batch, &mut conv, args.discard)?;
    }
    let lost = tracer.stats().lost + dropped;
    if lost > reported_lost {
        conv.lost(lost - reported_lost, monotonic_ns())?;
    }
    conv.flush_pending()?;
    let mut end = End::new(monotonic_ns(), end_reason);
    end.exit_code = exit_code.filter(|_| end_reason == EndReason::Exited);
    end.signal = signal.filter(|_| end_reason != EndReason::Exited);
    let summary = conv.summary;
    let trace_bytes = conv.writer.bytes_written();
    let mut file = conv.writer.finish(end)?;
    file.flush()?;
    let code = match (exit_code, signal) {
        // The command's own status wins: it exited (or died) while we were still tracing.
        (Some(c), _) => c,
        (None, Some(s)) => 128 + s,
        (None, None) => 0,
    };
    drop(file);
    let t0 = Instant::now();
    tracer.release();
    log::info!("tear-down: programs let go in {:?}", t0.elapsed());
    Ok(Outcome {
        summary,
        exit_code: code,
        trace_bytes,
    })
}

/// Puts the driver probes on the driver files `--driver-probes` finds; their paths.
fn attach_driver_probes(tracer: &mut Tracer, args: &RecordArgs) -> Result<Vec<String>> {
    let explicit = matches!(args.driver_probes, crate::probes::DriverProbes::Path(_));
    let mut probed = Vec::new();
    for so in crate::probes::find(&args.driver_probes, &args.command, args.pid)? {
        let n = tracer.attach_driver_probes(&so, explicit)?;
        if n > 0 {
            log::info!("driver probes: {n} functions of {}", so.display());
            probed.push(so.display().to_string());
        }
    }
    Ok(probed)
}

/// Converts one batch of raw records.
fn convert_batch<W: Write>(batch: Batch, conv: &mut Converter<W>, discard: bool) -> Result<()> {
    if discard {
        conv.summary.events += batch.len() as u64;
        return Ok(());
    }
    for bytes in batch.iter() {
        match raw::decode(bytes) {
            Ok(ev) => conv.push(ev)?,
            Err(e) => {
                conv.summary.bad += 1;
                log::warn!("undecodable ring-buffer record: {e}");
            }
        }
    }
    Ok(())
}
