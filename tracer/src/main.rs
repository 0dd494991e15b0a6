//! The `vatrace` binary: `record` traces a command's V4L2/media ioctl stream with eBPF, `dump`
//! prints a trace, `replay` re-executes one against the device (the `replay` crate), `tui` shows
//! the request and buffer pools live or from a file (the `tui` crate), `bench` measures the
//! tracer's overhead, `minimize` and `cut` make a trace smaller (the `minimize` crate).

mod attach;
mod bench;
mod btf;
mod check_cmd;
mod diff_cmd;
mod doctor;
mod dump;
mod inject;
mod loader;
mod probes;
mod reader;
mod record;
mod tracefs;
mod tui_cmd;

use tracer::{convert, devices, raw};

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "vatrace",
    version,
    about = "Trace, replay and inspect V4L2 stateless decoding"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Trace a command (or a running process) into a trace file.
    Record {
        /// Trace file to write (created mode 0600).
        #[arg(short, long, default_value = "vatrace.trace")]
        output: PathBuf,
        /// Kernel ring-buffer size in bytes (power of two; suffixes K, M allowed).
        #[arg(long, default_value = "16M", value_parser = parse_size)]
        ringbuf_size: u32,
        /// How to hook the syscalls: fentry (fentry/fexit trampolines on each followed
        /// syscall: other syscalls pay nothing), tracepoint (the raw syscall tracepoints: every
        /// syscall on the machine pays), or auto (fentry where the kernel allows it, else
        /// tracepoint; `vatrace doctor` says which).
        #[arg(long, default_value = "auto", value_name = "auto|fentry|tracepoint")]
        attach: attach::Attach,
        /// Attach to this running process (and its threads and future children).
        #[arg(short, long, conflicts_with = "command")]
        pid: Option<u32>,
        /// Make one ioctl call of a traced process fail with ERRNO before its driver sees it,
        /// counted per process: NAME#K=ERRNO (the K-th NAME call, e.g.
        /// 'MEDIA_REQUEST_IOC_REINIT#17=EBUSY'); NAME@bufI[#K]=ERRNO (the K-th, default 1st,
        /// call passing buffer index I: VIDIOC_QBUF, VIDIOC_QUERYBUF, VIDIOC_PREPARE_BUF);
        /// VIDIOC_QBUF@frameF=ERRNO (the F-th QBUF on a VIDEO_OUTPUT(_MPLANE) queue, failed or
        /// not) or MEDIA_REQUEST_IOC_QUEUE@frameF=ERRNO (the first request queue after it).
        /// Other @frame forms, DQBUF@buf and @SEQ are replay-only (`vatrace replay --inject`).
        /// Repeatable (at most 32). Needs BPF LSM (`vatrace doctor`); the call's record is
        /// marked injected.
        #[arg(long, value_name = "SPEC")]
        inject: Vec<replay::Inject>,
        /// uprobes on the libva driver's pool transitions (slot acquire/release/force-release/
        /// dead, CAPTURE alloc/drain/free): `auto` probes the driver libva would load given
        /// LIBVA_DRIVERS_PATH/LIBVA_DRIVER_NAME (vatrace's or the command's leading `env`
        /// assignments; with -p, the process's, and the drivers it has mapped), PATH that file,
        /// `off` none.
        #[arg(long, default_value = "auto", value_name = "auto|off|PATH")]
        driver_probes: probes::DriverProbes,
        /// Drain the kernel's events without converting or writing them (benchmarking the
        /// kernel side alone).
        #[arg(long, hide = true)]
        discard: bool,
        /// Niceness added to vatrace's converting and writing thread while it records (0-19),
        /// so that it gives way to the traced program when CPUs are short. Events wait in
        /// memory meanwhile (up to 1 GiB, then dropped and counted); the thread draining the
        /// kernel's ring buffer keeps its priority.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(i32).range(0..=19))]
        nice: i32,
        /// The command to run, after `--`.
        #[arg(last = true)]
        command: Vec<String>,
    },
    /// Measure the tracer's overhead on a tight loop of V4L2 ioctls (needs v4l2-ioctl-probe
    /// next to vatrace, and strace for the comparison).
    Bench {
        /// Ioctls per configuration (strace gets a hundredth).
        #[arg(long, default_value_t = 1_000_000)]
        count: u64,
        /// Rounds of every configuration; medians are reported.
        #[arg(long, default_value_t = 3)]
        runs: u32,
        /// Kernel ring-buffer size in bytes.
        #[arg(long, default_value = "16M", value_parser = parse_size)]
        ringbuf_size: u32,
        /// Loop on VIDIOC_G_FMT on this V4L2 stateless-decoder node (succeeds) instead of
        /// VIDIOC_DQBUF on /dev/null (ENOTTY).
        #[arg(long)]
        device: Option<String>,
    },
    /// Re-execute a trace against the device and judge every call (see `vatrace replay --help`).
    Replay(replay::Args),
    /// Watch the request and buffer pools: play a trace FILE, or trace `-- CMD` / `-p PID` live.
    Tui {
        /// A trace file to play (pause: space, step: n, speed: + -, seek: g G [ ], help: ?).
        #[arg(conflicts_with_all = ["pid", "command"])]
        file: Option<PathBuf>,
        /// Live mode: the trace file to write (the recorder's and command's output go to FILE.log).
        #[arg(short, long, default_value = "vatrace.trace")]
        output: PathBuf,
        /// Live mode: attach to this running process.
        #[arg(short, long, conflicts_with = "command")]
        pid: Option<u32>,
        /// Highlight slots busy for longer than this many milliseconds.
        #[arg(long, default_value_t = 500)]
        busy_ms: u64,
        /// With FILE: print one frame of the screen as plain text (at the trace's end, or after
        /// --at records) and exit; no terminal needed.
        #[arg(long, requires = "file")]
        snapshot: bool,
        /// With --snapshot: records applied before drawing (default: all).
        #[arg(long, requires = "snapshot", value_name = "N")]
        at: Option<usize>,
        /// With --snapshot: the screen size, WIDTHxHEIGHT.
        #[arg(long, requires = "snapshot", default_value = "100x32", value_parser = tui::snapshot::parse_size)]
        size: (u16, u16),
        /// Live mode: the command to run, after `--`.
        #[arg(last = true)]
        command: Vec<String>,
    },
    /// Check what recording needs here (privileges, BTF, tracefs, eBPF attachments), the V4L2
    /// stateless decoders and libva with vatrace's driver; exit 0 when recording would work.
    Doctor {
        /// One JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Judge a trace: request, buffer, reference and control rules, and a hardware profile
    /// (exit 1 when a finding is an error).
    Check {
        file: PathBuf,
        /// Hardware rules to apply: hantro-g1, rkvdec, cedrus or visl (default: the driver the
        /// trace recorded).
        #[arg(long)]
        profile: Option<String>,
        /// One JSON document (findings, summary) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Compare two traces of the same stream frame by frame (exit 0 same, 1 different, 2 refused).
    Diff(diff_cmd::DiffArgs),
    /// The smallest trace that still shows the bug: delta debugging over processes, threads,
    /// frames, probing runs and calls, every candidate replayed on the device (exit 0 written
    /// and confirmed, 1 written but not confirmed every time, 2 refused).
    Minimize(minimize::cli::MinimizeArgs),
    /// A shorter valid trace by frame or sequence range, without search.
    Cut(minimize::cli::CutArgs),
    /// Export a trace as a Perfetto timeline (--perfetto), Chrome JSON (--json) or a picture
    /// of the pools (--svg, --png).
    Export(export::cli::ExportArgs),
    /// Print a trace's records.
    Dump {
        file: PathBuf,
        /// One JSON object per line (header first).
        #[arg(long)]
        json: bool,
    },
}

fn parse_size(s: &str) -> Result<u32, String> {
    let (num, mult) = match s.chars().last() {
        Some('K' | 'k') => (&s[..s.len() - 1], 1u64 << 10),
        Some('M' | 'm') => (&s[..s.len() - 1], 1 << 20),
        Some('G' | 'g') => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    let n: u64 = num.parse().map_err(|e| format!("bad size {s:?}: {e}"))?;
    u32::try_from(n * mult).map_err(|_| format!("size {s:?} is too large"))
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    if let Command::Replay(args) = &cli.command {
        // The replay crate owns its exit codes (0 same, 1 diverged, 2 refused or failed,
        // 3 incomplete).
        std::process::exit(i32::from(replay::cli::exit_code(args)));
    }
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vatrace: {e:#}");
            1
        }
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Record {
            output,
            ringbuf_size,
            attach,
            pid,
            driver_probes,
            discard,
            nice,
            inject,
            command,
        } => {
            let args = record::RecordArgs {
                output: output.clone(),
                options: loader::Options {
                    ringbuf_size,
                    attach,
                    inject: crate::inject::rules(&inject)?,
                    ..Default::default()
                },
                inject: inject.iter().map(|i| i.spec.clone()).collect(),
                pid,
                command,
                discard,
                nice,
                driver_probes,
            };
            let out = record::run(&args)?;
            let s = out.summary;
            eprintln!(
                "vatrace: {} events, {} ioctls, {} frames, {} bitstream bytes, {} lost events; \
                 wrote {} ({} bytes)",
                s.events,
                s.ioctls,
                s.frames,
                s.bitstream_bytes,
                s.lost,
                output.display(),
                out.trace_bytes
            );
            Ok(out.exit_code)
        }
        Command::Bench {
            count,
            runs,
            ringbuf_size,
            device,
        } => {
            bench::run_bench(count, runs, ringbuf_size, device.as_deref())?;
            Ok(0)
        }
        Command::Replay(_) => unreachable!("dispatched in main"),
        Command::Tui {
            file,
            output,
            pid,
            busy_ms,
            snapshot,
            at,
            size,
            command,
        } => tui_cmd::run(tui_cmd::TuiArgs {
            file,
            output,
            pid,
            command,
            busy_threshold: std::time::Duration::from_millis(busy_ms),
            snapshot: snapshot.then_some(tui::snapshot::Frame {
                at,
                width: size.0,
                height: size.1,
            }),
        }),
        Command::Doctor { json } => doctor::run(json),
        Command::Check {
            file,
            profile,
            json,
        } => check_cmd::run(&file, profile.as_deref(), json),
        Command::Diff(args) => Ok(diff_cmd::run(&args)),
        Command::Minimize(args) => Ok(minimize::cli::minimize(&args)),
        Command::Cut(args) => Ok(minimize::cli::cut(&args)),
        Command::Export(args) => export::cli::run(&args),
        Command::Dump { file, json } => {
            dump::run(&file, json)?;
            Ok(0)
        }
    }
}
