//! What a replay is asked to do: [`ReplayOptions`] (the library's input), the clap [`Args`] of
//! `vatrace replay`, and the parsers of `--device-map OLD=NEW` and `--inject SPEC` (`NAME#K`,
//! `@SEQ`, `NAME@frameF`, `NAME@bufI[#K]`, each `=ERRNO`; see [`crate::target`] for frames).

use std::path::PathBuf;
use std::str::FromStr;

use clap::{Parser, ValueEnum};

use crate::sys;

/// How fast to re-issue calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, serde::Serialize)]
pub enum Pace {
    /// Keep the recorded gaps between calls (never faster than recorded).
    Original,
    /// As fast as the device answers; waits only where the recording waited.
    #[default]
    Fast,
}

/// A device node of the trace replaced by another one: `OLD=NEW`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceMap {
    pub old: String,
    pub new: String,
}

impl FromStr for DeviceMap {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once('=') {
            Some((old, new)) if !old.is_empty() && !new.is_empty() => Ok(DeviceMap {
                old: old.to_string(),
                new: new.to_string(),
            }),
            _ => Err(format!(
                "--device-map wants OLD=NEW (e.g. /dev/video0=/dev/video4), got {s:?}"
            )),
        }
    }
}

/// Which recorded call an injection hits.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum InjectAt {
    /// The `nth` (1-based) call of the ioctl named `name` (e.g. `MEDIA_REQUEST_IOC_REINIT#17`).
    Nth { name: String, nth: u64 },
    /// The ioctl record with this sequence number (`@123`).
    Seq(u64),
    /// The call of `name` belonging to frame `frame` (1-based; `VIDIOC_DQBUF@frame5`), see
    /// [`crate::target`]: resolved to a sequence number by the pre-pass.
    Frame { name: String, frame: u64 },
    /// The `nth` call of `name` on buffer index `index` (`VIDIOC_QBUF@buf3#2`).
    Buffer { name: String, index: u32, nth: u64 },
}

/// An ioctl name vatrace knows, upper-cased.
fn ioctl_name(spec: &str, name: &str) -> Result<String, String> {
    let name = name.trim().to_ascii_uppercase();
    if traces::ioctl::by_name(&name).is_none() {
        return Err(format!(
            "--inject {spec:?}: {name} is not an ioctl vatrace knows"
        ));
    }
    Ok(name)
}

/// A 1-based count.
fn count(spec: &str, what: &str, n: &str) -> Result<u64, String> {
    match n.trim().parse::<u64>() {
        Ok(0) => Err(format!("--inject {spec:?}: {what} are counted from 1")),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("--inject {spec:?}: {n:?} is not a {what} number")),
    }
}

/// `--inject SPEC`: a recorded call that is not issued and fails with `errno` instead.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Inject {
    pub at: InjectAt,
    pub errno: i32,
    /// The spec as written.
    pub spec: String,
}

impl FromStr for Inject {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "--inject wants NAME#K=ERRNO (the K-th NAME call, 1-based), @SEQ=ERRNO (the ioctl with that \
                 sequence number), NAME@frameF=ERRNO (NAME's call of frame F: the F-th OUTPUT QBUF) or \
                 NAME@bufI[#K]=ERRNO (the K-th NAME call on buffer index I), e.g. \
                 'MEDIA_REQUEST_IOC_REINIT#17=EBUSY'; got {s:?}"
            )
        };
        let (what, errno) = s.split_once('=').ok_or_else(bad)?;
        let errno = sys::errno_by_name(errno.trim()).ok_or_else(|| {
            format!("--inject {s:?}: unknown errno {errno:?} (a name such as EBUSY, or a number)")
        })?;
        let at = if let Some(seq) = what.strip_prefix('@') {
            InjectAt::Seq(seq.parse().map_err(|_| bad())?)
        } else if let Some((name, place)) = what.split_once('@') {
            let name = ioctl_name(s, name)?;
            if let Some(f) = place.strip_prefix("frame") {
                InjectAt::Frame {
                    frame: count(s, "frames", f)?,
                    name,
                }
            } else if let Some(b) = place.strip_prefix("buf") {
                if !crate::target::takes_buffer(&name) {
                    return Err(format!(
                        "--inject {s:?}: {name} does not take a buffer index"
                    ));
                }
                let (index, nth) = match b.split_once('#') {
                    Some((i, k)) => (i, count(s, "calls", k)?),
                    None => (b, 1),
                };
                let index = index.trim().parse().map_err(|_| bad())?;
                InjectAt::Buffer { name, index, nth }
            } else {
                return Err(bad());
            }
        } else {
            let (name, nth) = what.split_once('#').ok_or_else(bad)?;
            let nth = count(s, "calls", nth)?;
            InjectAt::Nth {
                name: ioctl_name(s, name)?,
                nth,
            }
        };
        Ok(Inject {
            at,
            errno,
            spec: s.to_string(),
        })
    }
}

/// Everything [`crate::run`] needs besides the trace.
#[derive(Debug, Clone, Default)]
pub struct ReplayOptions {
    /// Replacement device nodes.
    pub device_map: Vec<DeviceMap>,
    /// Timing.
    pub pace: Pace,
    /// Stop after the ioctl with this sequence number.
    pub until: Option<u64>,
    /// Faults to inject.
    pub inject: Vec<Inject>,
    /// Show a progress bar (only honoured when stderr is a terminal).
    pub progress: bool,
    /// How long to wait for a buffer or request the recording got (ms).
    pub wait_timeout_ms: u32,
    /// Count environment differences (versions, bus and card names) as divergences.
    pub strict: bool,
}

impl ReplayOptions {
    /// Defaults: no maps, fast pace, 5 s waits.
    pub fn new() -> Self {
        ReplayOptions {
            wait_timeout_ms: 5000,
            progress: true,
            ..Default::default()
        }
    }
}

/// What `vatrace replay --help` says after the options: what a trace can and cannot make
/// replay do, and the exit codes.
pub const AFTER_HELP: &str = "\
A trace is input from someone else, and replay runs as root. What a trace can make replay do:
  - open the V4L2 and media device nodes it recorded opening (or their --device-map targets),
    read-write, and only after each path resolved (symlinks followed, `..` walked) to a
    character device whose /sys/dev/char/MAJ:MIN/subsystem is video4linux or media and of the
    kind the trace used; one refused path refuses the replay before any node is opened (exit 2);
  - issue, on those nodes and on the request and dma-buf fds the kernel hands out during the
    replay, the ioctls of vatrace's catalogue (V4L2, media, media request, dma-buf), each on an
    fd of its own family, with the argument rebuilt at the catalogued size and every pointer
    pointing into replay-owned copies of the recorded arrays;
  - mmap buffers of those fds (at most 1 GiB each; the kernel checks the rest), write the
    recorded bitstream into OUTPUT buffers, read CAPTURE buffers, wait on those fds.
What it cannot make replay do: open any other path, file or device; issue an ioctl number of
another subsystem (the trace is refused, exit 2) or one outside the catalogue (skipped and
counted); pass pointers or fds the catalogue does not describe (USERPTR buffers, unknown
layouts: skipped); exceed the pre-pass's bounds on sizes, indices and counts (refused, exit 2);
run programs, fork, send signals, or write any file but --report.

Exit codes:
  0  the replay behaved as recorded (or --allow-divergence / --allow-incomplete accepted it);
     environment differences (kernel and driver versions, bus/card names) are listed, not counted
  1  it diverged (with --strict, environment differences count too)
  2  refused or failed: bad trace, a node that is not V4L2/media, another driver, I/O errors
  3  INCOMPLETE: the recording lost events, or too little of it could be replayed (less than
     half of the ioctls reached); the report says where the holes are";

/// `vatrace replay`'s command line.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "vatrace replay",
    about = "Re-execute a trace against the V4L2 devices, compare every call's result with the recording, inject faults",
    after_help = AFTER_HELP
)]
pub struct Args {
    /// The trace to replay.
    #[arg(required_unless_present = "compare")]
    pub trace: Option<PathBuf>,
    /// Replace a device node of the trace: OLD=NEW (checked with QUERYCAP first). Repeatable.
    #[arg(long = "device-map", value_name = "OLD=NEW")]
    pub device_map: Vec<DeviceMap>,
    /// original: keep the recorded timing; fast: as fast as the device answers.
    #[arg(long, value_enum, default_value_t = Pace::Fast)]
    pub pace: Pace,
    /// Stop after the ioctl with this sequence number.
    #[arg(long, value_name = "SEQ")]
    pub until: Option<u64>,
    /// Make a recorded call fail instead of issuing it: NAME#K=ERRNO, @SEQ=ERRNO,
    /// NAME@frameF=ERRNO (frame F = the F-th OUTPUT QBUF) or NAME@bufI[#K]=ERRNO. Repeatable.
    #[arg(long, value_name = "SPEC")]
    pub inject: Vec<Inject>,
    /// Exit 0 even if the replay diverged from the recording.
    #[arg(long)]
    pub allow_divergence: bool,
    /// Exit 0 even if the verdict is INCOMPLETE (lost events, too little replayed); the report
    /// still says so.
    #[arg(long)]
    pub allow_incomplete: bool,
    /// Count environment differences (kernel and driver versions, bus_info, card/model names,
    /// kernel-made timestamps, the kernel release) as divergences instead of only listing them.
    #[arg(long)]
    pub strict: bool,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also write the JSON report to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Compare two JSON replay reports (frames' checksums and verdicts) instead of replaying.
    #[arg(long, num_args = 2, value_names = ["A", "B"], conflicts_with = "trace")]
    pub compare: Option<Vec<PathBuf>>,
    /// How long to wait for a buffer or request the recording got, in milliseconds.
    #[arg(long, default_value_t = 5000)]
    pub wait_timeout_ms: u32,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

impl Args {
    /// The library options these arguments ask for.
    pub fn options(&self) -> ReplayOptions {
        ReplayOptions {
            device_map: self.device_map.clone(),
            pace: self.pace,
            until: self.until,
            inject: self.inject.clone(),
            progress: !self.quiet && !self.json,
            wait_timeout_ms: self.wait_timeout_ms,
            strict: self.strict,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_injections() {
        let i: Inject = "MEDIA_REQUEST_IOC_REINIT#17=EBUSY".parse().unwrap();
        assert_eq!(
            i.at,
            InjectAt::Nth {
                name: "MEDIA_REQUEST_IOC_REINIT".into(),
                nth: 17
            }
        );
        assert_eq!(i.errno, libc::EBUSY);
        let i: Inject = "@42=22".parse().unwrap();
        assert_eq!(i.at, InjectAt::Seq(42));
        assert_eq!(i.errno, 22);
        assert!("VIDIOC_NOPE#1=EBUSY".parse::<Inject>().is_err());
        assert!("VIDIOC_QBUF#0=EBUSY".parse::<Inject>().is_err());
        assert!("VIDIOC_QBUF#1=EWHAT".parse::<Inject>().is_err());
        assert!("VIDIOC_QBUF".parse::<Inject>().is_err());
        let i: Inject = "vidioc_dqbuf@frame5=EIO".parse().unwrap();
        assert_eq!(
            i.at,
            InjectAt::Frame {
                name: "VIDIOC_DQBUF".into(),
                frame: 5
            }
        );
        let i: Inject = "VIDIOC_QBUF@buf3#2=EINVAL".parse().unwrap();
        assert_eq!(
            i.at,
            InjectAt::Buffer {
                name: "VIDIOC_QBUF".into(),
                index: 3,
                nth: 2
            }
        );
        let i: Inject = "VIDIOC_QBUF@buf3=EINVAL".parse().unwrap();
        assert!(matches!(i.at, InjectAt::Buffer { nth: 1, .. }));
        assert!("VIDIOC_QBUF@frame0=EIO".parse::<Inject>().is_err());
        assert!("VIDIOC_QBUF@framex=EIO".parse::<Inject>().is_err());
        assert!("MEDIA_REQUEST_IOC_QUEUE@buf1=EIO"
            .parse::<Inject>()
            .is_err());
        assert!("VIDIOC_QBUF@slot1=EIO".parse::<Inject>().is_err());
    }

    #[test]
    fn parses_device_maps() {
        let m: DeviceMap = "/dev/video0=/dev/video4".parse().unwrap();
        assert_eq!(
            (m.old.as_str(), m.new.as_str()),
            ("/dev/video0", "/dev/video4")
        );
        assert!("/dev/video0".parse::<DeviceMap>().is_err());
    }

    #[test]
    fn clap_args() {
        use clap::CommandFactory;
        Args::command().debug_assert();
        let a = Args::try_parse_from([
            "replay",
            "t.trace",
            "--inject",
            "VIDIOC_QBUF#3=EIO",
            "--pace",
            "original",
        ])
        .unwrap();
        assert_eq!(a.pace, Pace::Original);
        assert_eq!(a.inject.len(), 1);
        let a = Args::try_parse_from(["replay", "--compare", "a.json", "b.json"]).unwrap();
        assert_eq!(a.compare.unwrap().len(), 2);
    }
}
