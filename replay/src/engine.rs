//! The replay engine: checks every device node the trace used ([`crate::node`]: V4L2 or media
//! character devices only, before any is opened), opens them and checks their identity, then
//! walks the trace once more and re-issues every call in recorded order — opens, dups, closes,
//! ioctls with rebuilt arguments ([`crate::args`]), mmaps, munmaps, waits — writing each OUTPUT
//! QBUF's recorded bitstream into the replay's buffer first, checksumming each dequeued CAPTURE
//! buffer, injecting the requested faults (and again those the recording shows injected live by
//! `vatrace record --inject`), and judging every result against the recording
//! (behaviour; environment differences are listed apart). The replay's side of every call goes
//! through `traces::check`'s rules on the pool model (the same findings `vatrace check` makes);
//! the report lists them.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use traces::check::Rules;
use traces::ioctl::layout::{v4l2_buffer as B, v4l2_exportbuffer as EB, v4l2_plane as PL};
use traces::ioctl::{self, names};
use traces::pool::PoolModel;
use traces::procs::{Procs, Released, O_CLOEXEC};
use traces::record::{DeviceInfo, DeviceKind, Ioctl, Record};
use traces::TraceReader;

use crate::args::{self, Prepared};
use crate::bytes::{i32_at, put_i32, put_u32, put_u64, u32_at};
use crate::feed::{Feed, Next, Source};
use crate::hasher::Hasher;
use crate::node::{self, Node, Subsystem};
use crate::options::{InjectAt, ReplayOptions};
use crate::report::{
    self, Divergence, Failure, FieldDiff, Frame, Injection, PoolSummary, RecordedInjection, Report,
};
use crate::sys::{self, Errno, Mapping};
use crate::validate;

/// What a replay fd refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A video node; the id names the open file (shared by dups).
    Video(u32),
    Media,
    Request,
    /// An exported buffer: (file, type, index, plane).
    DmaBuf(BufKey),
}

/// A buffer plane of one open video file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct BufKey {
    file: u32,
    ty: u32,
    index: u32,
    plane: u32,
}

struct Entry {
    fd: OwnedFd,
    kind: Kind,
}

/// An injection still waiting for its call.
#[derive(Debug)]
struct Pending {
    at: InjectAt,
    errno: i32,
    spec: String,
}

/// Why a call is not issued but fails: asked for with `--inject`, or injected live when it was
/// recorded (`Ioctl.injected`: injected again, with its recorded errno).
#[derive(Debug)]
enum Fault {
    Asked(Pending),
    Recorded(i32),
}

impl Fault {
    fn errno(&self) -> i32 {
        match self {
            Fault::Asked(p) => p.errno,
            Fault::Recorded(errno) => *errno,
        }
    }
}

/// The fault for the `nth` call of `name` (`io`), if any: a pending `--inject` matching it (taken
/// from `pending`; it wins), else the recording's own live injection of it.
fn fault_for(pending: &mut Vec<Pending>, io: &Ioctl, name: &str, nth: u64) -> Option<Fault> {
    let asked = pending.iter().position(|p| match &p.at {
        InjectAt::Seq(s) => *s == io.seq,
        InjectAt::Nth { name: n, nth: k } => n == name && *k == nth,
        // Resolved to `Seq` by the pre-pass before the replay starts.
        InjectAt::Frame { .. } | InjectAt::Buffer { .. } => false,
    });
    match asked {
        Some(i) => Some(Fault::Asked(pending.remove(i))),
        None if io.injected => io.errno().map(Fault::Recorded),
        None => None,
    }
}

/// The engine's state during one replay.
struct Engine<'a> {
    opts: &'a ReplayOptions,
    /// The checked node of each device path the trace opens.
    nodes: BTreeMap<String, Node>,
    /// The replay's fd for each recorded fd of each process (dups share one; close, dup, fork,
    /// exec with close-on-exec and exit follow `traces::procs`).
    fds: Procs<Rc<Entry>>,
    next_file: u32,
    /// Recorded mem_offset of a plane → its key, per video file.
    trace_offsets: HashMap<(u32, u64), BufKey>,
    /// The replay's own (mem_offset, length) of each plane, from its QUERYBUFs.
    replay_planes: HashMap<BufKey, (u64, u32)>,
    /// Mappings by (pid, recorded address).
    maps: HashMap<(u32, u64), (Option<BufKey>, Mapping)>,
    by_key: HashMap<BufKey, (u32, u64)>,
    /// Planes the replay mapped for itself (checksums, bitstream writes) where the client had no
    /// mapping: kept for the next frame, dropped before anything that frees buffers
    /// (REQBUFS, REMOVE_BUFS, the file's last close) so the kernel sees no extra user.
    fresh: HashMap<BufKey, Mapping>,
    /// Calls so far per ioctl number.
    counts: HashMap<u32, u64>,
    prof: Profile,
    pending: Vec<Pending>,
    /// Injections whose follow-up calls are still being collected.
    following: Vec<Injection>,
    report: Report,
    /// The pool-state model fed with the replay's side of every call (recorded fds, replay
    /// results), moved by `rules`.
    pool: PoolModel,
    /// `traces::check`'s rules over the replay's side of every call (what `vatrace check` judges).
    rules: Rules,
    first_ts: Option<u64>,
    last_ts: u64,
    start: Instant,
    /// SHA-256 of the CAPTURE frames, off the replay's thread.
    hasher: Hasher,
}

/// This process's peak resident memory (`VmHWM` of /proc/self/status), KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The phases of the report's profile (`Report::profile_ns`).
#[derive(Clone, Copy)]
enum Phase {
    Read,
    Issue,
    Wait,
    Verdict,
    Pool,
    Bookkeeping,
    Checksum,
}

const PHASES: [&str; 7] = [
    "read",
    "issue",
    "wait",
    "verdict",
    "pool",
    "bookkeeping",
    "checksum",
];

/// Time spent per [`Phase`], ns.
#[derive(Default)]
struct Profile([u64; PHASES.len()]);

impl Profile {
    /// Adds the time since `t` to `phase`.
    fn spent(&mut self, phase: Phase, t: Instant) {
        self.0[phase as usize] += t.elapsed().as_nanos() as u64;
    }
}

/// Replays the trace at `path`.
pub fn run(path: &Path, opts: &ReplayOptions) -> Result<Report> {
    let t0 = Instant::now();
    let reader = TraceReader::open(path).with_context(|| format!("opening {}", path.display()))?;
    let header = reader.header().clone();
    let targets: Vec<InjectAt> = opts.inject.iter().map(|i| i.at.clone()).collect();
    let mut plan = validate::scan(reader, &targets, validate::KEEP_BYTES);
    if !plan.problems.is_empty() {
        bail!(
            "refusing to replay {}: the trace has out-of-range sizes, indices or ioctl numbers (nothing was issued):\n  {}",
            path.display(),
            plan.problems.join("\n  ")
        );
    }
    let mut pending = Vec::new();
    for (i, inj) in opts.inject.iter().enumerate() {
        let at = match (&inj.at, plan.targets.get(i).copied().flatten()) {
            (InjectAt::Frame { .. } | InjectAt::Buffer { .. }, Some(seq)) => InjectAt::Seq(seq),
            (InjectAt::Frame { .. } | InjectAt::Buffer { .. }, None) => bail!(
                "refusing to replay {}: --inject {}: the trace has no such call ({} frames; nothing was issued)",
                path.display(),
                inj.spec,
                plan.frames
            ),
            (at, _) => at.clone(),
        };
        pending.push(Pending {
            at,
            errno: inj.errno,
            spec: inj.spec.clone(),
        });
    }
    let prepass_ns = t0.elapsed().as_nanos() as u64;
    let nodes = check_nodes(&plan.devices, opts)
        .map_err(|e| anyhow::anyhow!("refusing to replay {}: {e:#}", path.display()))?;
    let identity_env = check_identities(&nodes, &plan.devices)?;
    let devices_ns = t0.elapsed().as_nanos() as u64 - prepass_ns;
    let paths: BTreeMap<String, String> = nodes
        .iter()
        .map(|(old, n)| (old.clone(), n.path.clone()))
        .collect();
    let mut e = Engine {
        opts,
        nodes,
        fds: Procs::new(),
        next_file: 0,
        trace_offsets: HashMap::new(),
        replay_planes: HashMap::new(),
        maps: HashMap::new(),
        by_key: HashMap::new(),
        fresh: HashMap::new(),
        counts: HashMap::new(),
        prof: Profile::default(),
        pending,
        following: Vec::new(),
        report: Report {
            trace: path.display().to_string(),
            command: header.command.clone(),
            recorded_kernel: header.kernel_release.clone(),
            replay_kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .into(),
            devices: paths,
            ioctls_in_trace: plan.ioctls,
            prepass_ns,
            devices_ns,
            strict: opts.strict,
            lost_events: plan.lost,
            lost_spans: std::mem::take(&mut plan.lost_spans),
            ..Default::default()
        },
        pool: PoolModel::with_header(&header),
        rules: Rules::new(&header, None),
        first_ts: None,
        last_ts: 0,
        start: Instant::now(),
        hasher: Hasher::start(),
    };
    if !e.report.recorded_kernel.is_empty() && e.report.recorded_kernel != e.report.replay_kernel {
        let d = FieldDiff {
            field: "kernel_release".into(),
            recorded: e.report.recorded_kernel.clone(),
            replayed: e.report.replay_kernel.clone(),
        };
        e.environment("header", None, vec![d]);
    }
    for (at, d) in identity_env {
        e.environment(&at, None, vec![d]);
    }
    let bar = (opts.progress && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(plan.ioctls);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "replay {bar:40} {pos}/{len} ioctls {elapsed} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let mut feed = match plan.kept.take() {
        Some(records) => Feed::from_source(Source::Kept {
            records: records.into_iter(),
            cut: plan.cut.clone(),
        }),
        None => Feed::new(TraceReader::open(path)?),
    };
    feed.set_blob_uses(plan.blob_uses.clone());
    loop {
        let t = Instant::now();
        let next = feed.next_action();
        e.prof.spent(Phase::Read, t);
        match next {
            Next::Done => break,
            Next::Cut(msg) => {
                e.report.cut = Some(msg);
                break;
            }
            Next::Record(rec) => {
                let rec = *rec;
                if let Record::Ioctl(io) = &rec {
                    if opts.until.is_some_and(|u| io.seq > u) {
                        e.report.stopped_after = opts.until;
                        break;
                    }
                }
                if let Some(ts) = rec.ts() {
                    e.pace(ts);
                }
                if !matches!(rec, Record::Ioctl(_)) {
                    let t = Instant::now();
                    e.check(&rec);
                    e.prof.spent(Phase::Pool, t);
                }
                let released = e.fds.follow(&rec);
                let unmapped = released.exited || matches!(rec, Record::Exec(_));
                e.release(released, unmapped);
                match rec {
                    Record::Ioctl(io) => {
                        e.ioctl(&io, &mut feed);
                        if let Some(b) = &bar {
                            b.inc(1);
                            b.set_message(format!("{} diverged", e.report.divergences));
                        }
                    }
                    Record::Open(o) => e.open(o.pid, &o.path, o.flags & O_CLOEXEC != 0, o.ret),
                    Record::Mmap(m) if m.errno().is_none() => {
                        e.mmap(m.pid, m.fd, m.len, m.offset, m.ret)
                    }
                    Record::Munmap(m) => {
                        if let Some((_, (Some(k), _))) = e.maps.remove_entry(&(m.pid, m.addr)) {
                            e.by_key.remove(&k);
                        }
                    }
                    Record::Poll(p) => {
                        let t = Instant::now();
                        e.poll(&p);
                        e.prof.spent(Phase::Wait, t);
                    }
                    Record::End(end) => {
                        e.report.complete = true;
                        e.report.recorded_exit_code = end.exit_code;
                    }
                    _ => {}
                }
            }
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let t = Instant::now();
    let stopped = e
        .report
        .stopped_after
        .map(|n| format!("the replay stopped after ioctl {n} (--until)"));
    let cut = e.report.cut.clone().or(stopped);
    let found = e.rules.finish(&e.pool, cut.as_deref());
    e.report.findings.extend(found);
    e.report.check = e.rules.summary(&e.pool);
    e.prof.spent(Phase::Pool, t);
    let t = e.pool.totals();
    e.report.pool = PoolSummary {
        requests_allocated: t.requests_allocated,
        requests_leaked: t.requests_leaked,
        reqbufs_ebusy: t.reqbufs_ebusy,
        errors: t.errors,
        capture_dqbufs: t.capture_dqbufs,
        notable: e
            .pool
            .notable()
            .take(32)
            .map(|n| n.kind.describe())
            .collect(),
    };
    // Tear down: mappings first, then the fds (requests, then devices, as their last refs go).
    e.maps.clear();
    e.fresh.clear();
    drop(e.fds.drain());
    for (slot, hex) in e.hasher.finish() {
        if let Some(f) = e.report.frames.get_mut(slot) {
            f.sha256 = hex;
        }
    }
    e.report.injections.append(&mut e.following);
    e.report.replay_ns = e.start.elapsed().as_nanos() as u64;
    e.report.peak_rss_kib = peak_rss_kib().unwrap_or(0);
    e.report.profile_ns = PHASES
        .iter()
        .zip(e.prof.0)
        .map(|(p, ns)| (p.to_string(), ns))
        .collect();
    e.report.recorded_ns = e.last_ts.saturating_sub(e.first_ts.unwrap_or(e.last_ts));
    e.report.judge_completeness();
    Ok(e.report)
}

/// Resolves each device node the trace opens to the replay's (through `--device-map`) and
/// checks, without opening any, that each is a V4L2 or media character device of the kind the
/// trace used. Every refusal is listed; nothing is opened when there is one.
fn check_nodes(
    devices: &BTreeMap<String, Option<DeviceInfo>>,
    opts: &ReplayOptions,
) -> Result<BTreeMap<String, Node>> {
    for m in &opts.device_map {
        if !devices.contains_key(&m.old) {
            bail!(
                "--device-map {}={}: the trace never opens {} (it opens: {})",
                m.old,
                m.new,
                m.old,
                devices.keys().cloned().collect::<Vec<_>>().join(", ")
            );
        }
    }
    let mut out = BTreeMap::new();
    let mut refused = Vec::new();
    for (old, info) in devices {
        let mapped = opts.device_map.iter().find(|m| &m.old == old);
        let new = mapped.map(|m| m.new.clone()).unwrap_or_else(|| old.clone());
        let whose = match mapped {
            Some(_) => format!("--device-map target for the trace's {old}"),
            None => "a device node the trace opens".to_string(),
        };
        match node::check(&new) {
            Ok(n) => {
                let want = match info.as_ref().map(|i| i.kind) {
                    Some(DeviceKind::Media) => Subsystem::Media,
                    Some(_) => Subsystem::Video4Linux,
                    None if old.starts_with("/dev/media") => Subsystem::Media,
                    None => Subsystem::Video4Linux,
                };
                if n.subsystem != want {
                    refused.push(format!(
                        "{new} ({whose}) is a {} node, the trace's {old} was a {} node",
                        n.subsystem.name(),
                        want.name()
                    ));
                } else {
                    out.insert(old.clone(), n);
                }
            }
            Err(r) => refused.push(format!("{r} ({whose})")),
        }
    }
    if !refused.is_empty() {
        bail!(
            "replay opens only V4L2 (video4linux) and media character devices; refused (nothing was opened):\n  {}\n\
             map the trace's node to one of this machine's with --device-map OLD=/dev/videoN (or /dev/mediaN)",
            refused.join("\n  ")
        );
    }
    Ok(out)
}

/// Opens each checked node and checks it is the same kind of device as the recording's: same
/// driver and capabilities (else refused). Returns the environment differences of the nodes'
/// identities (versions, card and bus names), which do not refuse.
fn check_identities(
    nodes: &BTreeMap<String, Node>,
    devices: &BTreeMap<String, Option<DeviceInfo>>,
) -> Result<Vec<(String, FieldDiff)>> {
    let mut env = Vec::new();
    for (old, n) in nodes {
        let new = &n.path;
        let fd = n
            .open()
            .map_err(|e| anyhow::anyhow!("cannot open {new} (for the trace's {old}): {e}"))?;
        let is_media = n.subsystem == Subsystem::Media;
        let found = if is_media {
            media_identity(&fd)
        } else {
            video_identity(&fd)
        };
        let found = found.map_err(|e| {
            anyhow::anyhow!(
                "refusing {new} as the trace's {old}: it is not a {} device ({})",
                if is_media { "media controller" } else { "V4L2" },
                e
            )
        })?;
        let Some(want) = devices.get(old).and_then(Option::as_ref) else {
            continue;
        };
        let same = want.driver == found.driver
            && (is_media
                || (want.capabilities == found.capabilities
                    && want.device_caps == found.device_caps));
        if !same {
            bail!(
                "refusing {new} as the trace's {old}: the trace used driver {:?} (capabilities {:#x}, device caps {:#x}), \
                 {new} is driver {:?} (capabilities {:#x}, device caps {:#x}); map the trace's device to a node of the \
                 same driver with --device-map {old}=/dev/…",
                want.driver,
                want.capabilities,
                want.device_caps,
                found.driver,
                found.capabilities,
                found.device_caps
            );
        }
        let at = format!("device {old}");
        let mut diff = |field: &str, recorded: String, replayed: String| {
            if recorded != replayed {
                env.push((
                    at.clone(),
                    FieldDiff {
                        field: field.into(),
                        recorded,
                        replayed,
                    },
                ));
            }
        };
        let version = ioctl::querycap::kernel_version;
        match (&want.media, &found.media) {
            (Some(w), Some(f)) => {
                diff("model", w.model.clone(), f.model.clone());
                diff("serial", w.serial.clone(), f.serial.clone());
                diff("bus_info", w.bus_info.clone(), f.bus_info.clone());
                diff(
                    "media_version",
                    version(w.media_version),
                    version(f.media_version),
                );
                diff(
                    "hw_revision",
                    format!("{:#x}", w.hw_revision),
                    format!("{:#x}", f.hw_revision),
                );
                diff(
                    "driver_version",
                    version(w.driver_version),
                    version(f.driver_version),
                );
            }
            _ if !is_media => {
                diff("card", want.card.clone(), found.card.clone());
                diff("bus_info", want.bus_info.clone(), found.bus_info.clone());
                diff("version", version(want.version), version(found.version));
            }
            _ => {}
        }
    }
    Ok(env)
}

/// What a node says it is.
struct Identity {
    driver: String,
    card: String,
    bus_info: String,
    version: u32,
    capabilities: u32,
    device_caps: u32,
    media: Option<traces::record::MediaInfo>,
}

fn video_identity(fd: &OwnedFd) -> std::result::Result<Identity, Errno> {
    let mut buf = vec![0u8; ioctl::layout::v4l2_capability::SIZE];
    // SAFETY: v4l2_capability holds no pointers; `buf` has its full size.
    unsafe { sys::ioctl_bytes(fd.as_raw_fd(), ioctl::querycap::VIDIOC_QUERYCAP, &mut buf)? };
    match ioctl::decode(ioctl::querycap::VIDIOC_QUERYCAP, &buf) {
        Ok(ioctl::Arg::Capability(c)) => Ok(Identity {
            driver: c.driver,
            card: c.card,
            bus_info: c.bus_info,
            version: c.version,
            capabilities: c.capabilities,
            device_caps: c.device_caps,
            media: None,
        }),
        _ => Err(Errno(libc::EINVAL)),
    }
}

fn media_identity(fd: &OwnedFd) -> std::result::Result<Identity, Errno> {
    let mut buf = vec![0u8; ioctl::layout::media_device_info::SIZE];
    // SAFETY: media_device_info holds no pointers; `buf` has its full size.
    unsafe {
        sys::ioctl_bytes(
            fd.as_raw_fd(),
            ioctl::media::MEDIA_IOC_DEVICE_INFO,
            &mut buf,
        )?
    };
    match ioctl::decode(ioctl::media::MEDIA_IOC_DEVICE_INFO, &buf) {
        Ok(ioctl::Arg::MediaDeviceInfo(i)) => Ok(Identity {
            driver: i.driver.clone(),
            card: i.model.clone(),
            bus_info: i.bus_info.clone(),
            version: i.driver_version,
            capabilities: 0,
            device_caps: 0,
            media: Some(i.into()),
        }),
        _ => Err(Errno(libc::EINVAL)),
    }
}

/// Whether an ioctl of `family` may be issued on an fd of `kind`.
fn family_fits(family: ioctl::Family, kind: Kind) -> bool {
    matches!(
        (family, kind),
        (ioctl::Family::V4l2, Kind::Video(_))
            | (ioctl::Family::Media, Kind::Media)
            | (ioctl::Family::Request, Kind::Request)
            | (ioctl::Family::DmaBuf, Kind::DmaBuf(_))
    )
}

/// Where a call returns a new fd inside its argument: MEDIA_IOC_REQUEST_ALLOC's int, EXPBUF's fd.
fn fd_field(request: u32) -> Option<usize> {
    match request {
        r if r == ioctl::media::MEDIA_IOC_REQUEST_ALLOC => Some(0),
        r if r == ioctl::expbuf::VIDIOC_EXPBUF => Some(EB::FD),
        _ => None,
    }
}

/// The fd the recorded call got back (REQUEST_ALLOC, EXPBUF that succeeded when recorded).
fn recorded_fd(recorded: &Ioctl) -> Option<i32> {
    let off = fd_field(recorded.request)?;
    (recorded.ret >= 0).then(|| i32_at(&recorded.after, off))?
}

/// Puts the recorded fd number back where the replayed call returned a new fd (so `replayed`
/// speaks of the recording's fds), and returns the replay's fd.
fn swap_returned_fd(recorded: &Ioctl, replayed: &mut Ioctl) -> Option<i32> {
    let off = fd_field(recorded.request)?;
    let new_fd = i32_at(&replayed.after, off)?;
    if let Some(trace_fd) = recorded_fd(recorded) {
        put_i32(&mut replayed.after, off, trace_fd);
    }
    Some(new_fd)
}

fn ret_of(r: std::result::Result<i32, Errno>) -> i64 {
    match r {
        Ok(v) => i64::from(v),
        Err(e) => -i64::from(e.0),
    }
}

impl Engine<'_> {
    fn pace(&mut self, ts: u64) {
        let first = *self.first_ts.get_or_insert(ts);
        self.last_ts = self.last_ts.max(ts);
        if self.opts.pace == crate::options::Pace::Original {
            let due = Duration::from_nanos(ts.saturating_sub(first));
            let now = self.start.elapsed();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
    }

    fn raw(&self, pid: u32, fd: i32) -> Option<RawFd> {
        self.fds.get(pid, fd).map(|e| e.fd.as_raw_fd())
    }

    /// Lets go of what a record released: the process's mappings when it exec'd or ended, then
    /// the fds (a video file's last fd takes the replay's own mappings of its buffers with it).
    fn release(&mut self, released: Released<Rc<Entry>>, unmapped: bool) {
        let pid = released.pid;
        if unmapped {
            let gone: Vec<(u32, u64)> = self
                .maps
                .keys()
                .filter(|(p, _)| *p == pid)
                .copied()
                .collect();
            for at in gone {
                if let Some((Some(k), _)) = self.maps.remove(&at) {
                    self.by_key.remove(&k);
                }
            }
        }
        for (_, en) in released.fds {
            if let (Kind::Video(file), 1) = (en.kind, Rc::strong_count(&en)) {
                self.drop_fresh(file);
            }
        }
    }

    /// Checks a record of the replay's side (`traces::check`) and applies it to the pool model.
    fn check(&mut self, rec: &Record) {
        self.rules.apply(&mut self.pool, rec);
        let found = self.rules.drain();
        self.report.findings.extend(found);
    }

    fn open(&mut self, pid: u32, path: &str, cloexec: bool, ret: i64) {
        if ret < 0 {
            return;
        }
        let Some(node) = self.nodes.get(path) else {
            return;
        };
        match node.open() {
            Ok(fd) => {
                let kind = match node.subsystem {
                    Subsystem::Media => Kind::Media,
                    Subsystem::Video4Linux => {
                        self.next_file += 1;
                        Kind::Video(self.next_file)
                    }
                };
                let old = self
                    .fds
                    .insert(pid, ret as i32, Rc::new(Entry { fd, kind }), cloexec);
                debug_assert!(old.is_none(), "follow released the number");
            }
            Err(e) => self.diverge_simple(
                0,
                &format!("open({path})"),
                ret.to_string(),
                format!("-{}", e.name()),
            ),
        }
    }

    fn diverge_simple(&mut self, seq: u64, call: &str, recorded: String, replayed: String) {
        self.report.divergences += 1;
        *self
            .report
            .divergences_by_call
            .entry(call.to_string())
            .or_default() += 1;
        if self.report.first_divergence.is_none() {
            self.report.first_divergence = Some(Divergence {
                seq,
                call: call.to_string(),
                fields: vec![report::FieldDiff {
                    field: "result".into(),
                    recorded: recorded.clone(),
                    replayed: replayed.clone(),
                }],
                recorded,
                replayed,
            });
        }
    }

    fn skip(&mut self, why: &str) {
        *self.report.skipped.entry(why.to_string()).or_default() += 1;
    }

    /// An ioctl reached and not issued (it counts against the replayed share).
    fn skip_ioctl(&mut self, why: &str) {
        self.report.ioctls_skipped += 1;
        self.skip(why);
    }

    /// Lists environment differences found at `at` (the header, a device, an ioctl). With
    /// `--strict`, those of the header and devices count as divergences here (an ioctl's count
    /// with the call's own verdict).
    fn environment(&mut self, at: &str, seq: Option<u64>, diffs: Vec<FieldDiff>) {
        if self.opts.strict && seq.is_none() && !diffs.is_empty() {
            self.report.divergences += 1;
            *self
                .report
                .divergences_by_call
                .entry(at.to_string())
                .or_default() += 1;
        }
        for d in diffs {
            self.report.environment_differs(at, seq, d);
        }
    }

    fn mmap(&mut self, pid: u32, fd: i32, len: u64, offset: u64, addr: u64) {
        let Some(entry) = self.fds.get(pid, fd).cloned() else {
            return;
        };
        // Only buffers are mapped: video nodes' planes and exported dma-bufs.
        let (key, replay_offset) = match entry.kind {
            Kind::Video(file) => {
                let key = self.trace_offsets.get(&(file, offset)).copied();
                let off = key
                    .and_then(|k| self.replay_planes.get(&k))
                    .map(|p| p.0)
                    .unwrap_or(offset);
                (key, off)
            }
            Kind::DmaBuf(k) => (Some(k), offset),
            Kind::Media | Kind::Request => {
                self.skip("mmap of a media or request fd");
                return;
            }
        };
        self.report.mmaps += 1;
        match Mapping::map(entry.fd.as_raw_fd(), len as usize, replay_offset) {
            Ok(m) => {
                if let Some(k) = key {
                    self.by_key.insert(k, (pid, addr));
                }
                self.maps.insert((pid, addr), (key, m));
            }
            Err(e) => {
                self.diverge_simple(0, "mmap", format!("{addr:#x}"), format!("-{}", e.name()))
            }
        }
    }

    fn poll(&mut self, p: &traces::record::Poll) {
        self.report.polls += 1;
        // Fds the replay does not have (a client's own eventfds, pipes) are left out of the wait.
        let wanted: Vec<_> = p
            .fds
            .iter()
            .filter_map(|f| {
                self.raw(p.pid, f.fd)
                    .map(|raw| (raw, f.events as i16, f.revents as i16))
            })
            .collect();
        if wanted.is_empty() {
            self.skip("poll on fds the replay does not have");
            return;
        }
        if p.ret <= 0 {
            return; // The recording timed out or failed: nothing to wait for.
        }
        let deadline = Instant::now() + Duration::from_millis(u64::from(self.opts.wait_timeout_ms));
        for (raw, events, revents) in wanted {
            if revents == 0 {
                continue;
            }
            loop {
                let left = deadline
                    .saturating_duration_since(Instant::now())
                    .as_millis() as i32;
                let got = sys::poll_one(raw, events, left).unwrap_or(0);
                if got & revents == revents {
                    break;
                }
                if Instant::now() >= deadline {
                    self.diverge_simple(
                        0,
                        &format!("{}(fd {})", p.syscall, raw),
                        format!("revents {revents:#x}"),
                        format!("revents {got:#x} after {} ms", self.opts.wait_timeout_ms),
                    );
                    break;
                }
                if got == 0 {
                    continue;
                }
                // Some but not all events: give the device a moment.
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }

    fn ioctl(&mut self, io: &Ioctl, feed: &mut Feed<std::fs::File>) {
        let bitstreams = feed.take_bitstreams(io.seq);
        self.ioctl_with(io, feed, &bitstreams);
        for bs in &bitstreams {
            feed.release(bs.blob);
        }
    }

    fn ioctl_with(
        &mut self,
        io: &Ioctl,
        feed: &Feed<std::fs::File>,
        bitstreams: &[traces::record::Bitstream],
    ) {
        let name = ioctl::name(io.request);
        let nth = {
            let c = self.counts.entry(io.request).or_default();
            *c += 1;
            *c
        };
        let Some(entry) = self.fds.get(io.pid, io.fd).cloned() else {
            self.skip_ioctl("ioctl on an fd the replay does not have");
            return;
        };
        // Only the catalogue's numbers are issued, each on the kind of fd its family belongs to
        // (a dma-buf ioctl never reaches a video node's driver, for one).
        let Some(info) = ioctl::lookup(io.request) else {
            self.skip_ioctl("ioctl number outside vatrace's catalogue (never issued)");
            return;
        };
        if !family_fits(info.family, entry.kind) {
            self.skip_ioctl("ioctl of another family than its fd's (never issued)");
            return;
        }
        // A DQBUF that found nothing in the recording is a timing artefact: issuing it could
        // take a buffer the recording only got later.
        if io.request == ioctl::qbuf::VIDIOC_DQBUF && io.errno() == Some(libc::EAGAIN) {
            self.skip("DQBUF that returned EAGAIN when recorded");
            return;
        }
        let pid = io.pid;
        let fd_map = |fd: i32| self.fds.get(pid, fd).map(|e| e.fd.as_raw_fd());
        let mut prep = match args::prepare(io, &fd_map) {
            Ok(p) => p,
            Err(args::NotReplayable(why)) => {
                self.skip_ioctl(&why);
                return;
            }
        };
        if io.request == ioctl::qbuf::VIDIOC_QBUF {
            self.write_bitstream(&entry, io, &prep, bitstreams, feed);
        }
        if io.request == ioctl::reqbufs::VIDIOC_REQBUFS
            || io.request == ioctl::create_bufs::VIDIOC_REMOVE_BUFS
        {
            if let Kind::Video(file) = entry.kind {
                self.drop_fresh(file);
            }
        }
        let fault = fault_for(&mut self.pending, io, &name, nth);
        let t = Instant::now();
        let ret = match &fault {
            Some(f) => -i64::from(f.errno()),
            None => ret_of(self.issue(&entry, io, &mut prep)),
        };
        self.prof.spent(Phase::Issue, t);
        self.report.ioctls_replayed += 1;
        let t = Instant::now();
        // The replay's side in the recording's terms: the argument the client passed, what the
        // kernel wrote back, and any fd the kernel handed out under its recorded number (the
        // pool model and the verdict follow the recording's fd table; the replay's own number
        // goes to the bookkeeping).
        let mut replayed = prep.to_record(io, io.before.clone(), ret, fault.is_some());
        let new_fd = if ret >= 0 {
            swap_returned_fd(io, &mut replayed)
        } else {
            None
        };
        let rec = Record::Ioctl(replayed);
        self.check(&rec);
        let Record::Ioctl(replayed) = rec else {
            unreachable!("built as an Ioctl just above")
        };
        self.prof.spent(Phase::Pool, t);
        let t = Instant::now();
        if ret >= 0 {
            self.after_success(&entry, io, &replayed, new_fd);
        }
        self.prof.spent(Phase::Bookkeeping, t);
        // Follow-ups of earlier injections.
        for inj in &mut self.following {
            inj.next.push((
                io.seq,
                name.to_string(),
                report::result_str(io.ret),
                report::result_str(ret),
            ));
        }
        let (done, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.following)
            .into_iter()
            .partition(|i| i.next.len() >= 5);
        self.report.injections.extend(done);
        self.following = keep;
        match fault {
            Some(Fault::Asked(p)) => self.following.push(Injection {
                spec: p.spec,
                seq: io.seq,
                call: format!("{name}#{nth}"),
                recorded: report::result_str(io.ret),
                injected: report::result_str(ret),
                next: Vec::new(),
            }),
            Some(Fault::Recorded(_)) => self.report.recorded_injections.push(RecordedInjection {
                seq: io.seq,
                call: format!("{name}#{nth}"),
                result: report::result_str(ret),
            }),
            None => {}
        }
        if io.errno().is_some() && self.report.recorded_failures.len() < 64 {
            let reproduced = io.ret == ret;
            self.report.recorded_failures.push(Failure {
                seq: io.seq,
                call: name.to_string(),
                recorded: report::result_str(io.ret),
                replayed: report::result_str(ret),
                reproduced,
            });
        }
        let t = Instant::now();
        let compared = report::compare(io, &replayed);
        self.prof.spent(Phase::Verdict, t);
        let mut diffs = compared.behaviour;
        if !compared.environment.is_empty() {
            if self.opts.strict {
                diffs.extend(compared.environment.iter().cloned());
            }
            self.environment(&name, Some(io.seq), compared.environment);
        }
        if diffs.is_empty() {
            self.report.ioctls_matched += 1;
        } else {
            self.report.divergences += 1;
            *self
                .report
                .divergences_by_call
                .entry(name.to_string())
                .or_default() += 1;
            if self.report.first_divergence.is_none() {
                self.report.first_divergence = Some(Divergence {
                    seq: io.seq,
                    call: name.into_owned(),
                    fields: diffs,
                    recorded: report::describe(io),
                    replayed: report::describe(&replayed),
                });
            }
        }
    }

    /// Issues the call; a DQBUF the recording got is waited for (the replay's fds are non-blocking).
    fn issue(
        &mut self,
        entry: &Entry,
        io: &Ioctl,
        prep: &mut Prepared,
    ) -> std::result::Result<i32, Errno> {
        let raw = entry.fd.as_raw_fd();
        let deadline = Instant::now() + Duration::from_millis(u64::from(self.opts.wait_timeout_ms));
        let template = prep.arg.clone();
        loop {
            // SAFETY: `prepare` rewrote every pointer of the argument to replay-owned memory
            // (`prep.nested`, `prep.controls`) of the recorded sizes, or to null, and refused
            // arguments whose pointers it does not know.
            let r = unsafe { sys::ioctl_bytes(raw, io.request, &mut prep.arg) };
            let retry = io.request == ioctl::qbuf::VIDIOC_DQBUF
                && io.ret == 0
                && r == Err(Errno(libc::EAGAIN));
            if !retry || Instant::now() >= deadline {
                return r;
            }
            let ty = u32_at(&template, B::TYPE).unwrap_or(0);
            let ev = if names::is_output(ty) {
                libc::POLLOUT
            } else {
                libc::POLLIN
            };
            let left = deadline
                .saturating_duration_since(Instant::now())
                .as_millis() as i32;
            let _ = sys::poll_one(raw, ev, left.max(1));
            prep.arg.copy_from_slice(&template);
        }
    }

    /// Bookkeeping after a successful call: request and dma-buf fds, plane offsets, checksums.
    /// `new_fd`: the fd the kernel handed out in the replay (REQUEST_ALLOC, EXPBUF).
    fn after_success(&mut self, entry: &Entry, io: &Ioctl, replayed: &Ioctl, new_fd: Option<i32>) {
        if let (Some(fd), None) = (new_fd, recorded_fd(io)) {
            // The recording has no fd for it (the call failed there): close ours.
            // SAFETY: the kernel just installed `fd` for us; nobody else owns it.
            drop(unsafe { sys::own_fd(fd) });
            return;
        }
        match io.request {
            r if r == ioctl::media::MEDIA_IOC_REQUEST_ALLOC => {
                if let (Some(trace_fd), Some(new_fd)) = (recorded_fd(io), new_fd) {
                    // SAFETY: the kernel just installed `new_fd` for us; nobody else owns it.
                    let fd = unsafe { sys::own_fd(new_fd) };
                    // The kernel makes every request fd close-on-exec.
                    let entry = Rc::new(Entry {
                        fd,
                        kind: Kind::Request,
                    });
                    let old = self.fds.insert(io.pid, trace_fd, entry, true);
                    self.release(Released::of(io.pid, trace_fd, old), false);
                }
            }
            r if r == ioctl::expbuf::VIDIOC_EXPBUF => {
                if let (Some(trace_fd), Some(new_fd), Kind::Video(file)) =
                    (recorded_fd(io), new_fd, entry.kind)
                {
                    let key = BufKey {
                        file,
                        ty: u32_at(&replayed.after, EB::TYPE).unwrap_or(0),
                        index: u32_at(&replayed.after, EB::INDEX).unwrap_or(0),
                        plane: u32_at(&replayed.after, EB::PLANE).unwrap_or(0),
                    };
                    // SAFETY: the kernel just installed `new_fd` for us; nobody else owns it.
                    let fd = unsafe { sys::own_fd(new_fd) };
                    let cloexec = u32_at(&io.before, EB::FLAGS).is_some_and(|f| f & O_CLOEXEC != 0);
                    let entry = Rc::new(Entry {
                        fd,
                        kind: Kind::DmaBuf(key),
                    });
                    let old = self.fds.insert(io.pid, trace_fd, entry, cloexec);
                    self.release(Released::of(io.pid, trace_fd, old), false);
                }
            }
            r if r == ioctl::qbuf::VIDIOC_QUERYBUF => {
                if let Kind::Video(file) = entry.kind {
                    for (key, trace_off, off, len) in planes_of(file, io, replayed) {
                        self.trace_offsets.insert((file, trace_off), key);
                        self.replay_planes.insert(key, (off, len));
                    }
                }
            }
            r if r == ioctl::qbuf::VIDIOC_DQBUF => {
                if let Kind::Video(file) = entry.kind {
                    let ty = u32_at(&replayed.after, B::TYPE).unwrap_or(0);
                    if !names::is_output(ty) {
                        let t = Instant::now();
                        self.checksum(file, io, replayed);
                        self.prof.spent(Phase::Checksum, t);
                    }
                }
            }
            _ => {}
        }
    }

    /// A mapping of the plane `key`: the replay's copy of the client's, or a fresh one.
    fn with_plane<T>(
        &mut self,
        key: BufKey,
        raw: RawFd,
        f: impl FnOnce(&mut Mapping) -> T,
    ) -> Option<T> {
        if let Some(at) = self.by_key.get(&key) {
            if let Some((_, m)) = self.maps.get_mut(at) {
                return Some(f(m));
            }
        }
        if !self.replay_planes.contains_key(&key) {
            self.query_planes(key, raw);
        }
        if let Some(m) = self.fresh.get_mut(&key) {
            return Some(f(m));
        }
        let &(off, len) = self.replay_planes.get(&key)?;
        let mut m = Mapping::map(raw, len as usize, off).ok()?;
        let r = f(&mut m);
        self.fresh.insert(key, m);
        Some(r)
    }

    /// Drops the replay's own mappings of `file`'s buffers.
    fn drop_fresh(&mut self, file: u32) {
        self.fresh.retain(|k, _| k.file != file);
    }

    /// Learns a buffer's plane offsets with a QUERYBUF of the replay's own (clients such as
    /// GStreamer query one buffer and export the rest; QUERYBUF changes no state).
    fn query_planes(&mut self, key: BufKey, raw: RawFd) {
        let mplane = names::is_mplane(key.ty);
        let mut planes = vec![0u8; PL::SIZE * 8];
        let mut arg = vec![0u8; B::SIZE];
        put_u32(&mut arg, B::INDEX, key.index);
        put_u32(&mut arg, B::TYPE, key.ty);
        put_u32(&mut arg, B::MEMORY, names::MEMORY_MMAP);
        if mplane {
            put_u32(&mut arg, B::LENGTH, 8);
            put_u64(&mut arg, B::M, planes.as_mut_ptr() as u64);
        }
        // SAFETY: `arg` is a full v4l2_buffer whose only pointer (m.planes, multi-planar only)
        // points to 8 live v4l2_plane entries in `planes`.
        if unsafe { sys::ioctl_bytes(raw, ioctl::qbuf::VIDIOC_QUERYBUF, &mut arg) }.is_err() {
            return;
        }
        self.report.extra_querybufs += 1;
        if mplane {
            let n = u32_at(&arg, B::LENGTH).unwrap_or(0).min(8) as usize;
            for (i, pl) in planes.chunks_exact(PL::SIZE).take(n).enumerate() {
                let k = BufKey {
                    plane: i as u32,
                    ..key
                };
                let off = u64::from(u32_at(pl, PL::M).unwrap_or(0));
                self.replay_planes
                    .insert(k, (off, u32_at(pl, PL::LENGTH).unwrap_or(0)));
            }
        } else {
            let off = u64::from(u32_at(&arg, B::M).unwrap_or(0));
            self.replay_planes
                .insert(key, (off, u32_at(&arg, B::LENGTH).unwrap_or(0)));
        }
    }

    fn write_bitstream(
        &mut self,
        entry: &Entry,
        io: &Ioctl,
        prep: &Prepared,
        bitstreams: &[traces::record::Bitstream],
        feed: &Feed<std::fs::File>,
    ) {
        let Kind::Video(file) = entry.kind else {
            return;
        };
        let ty = u32_at(&prep.arg, B::TYPE).unwrap_or(0);
        let index = u32_at(&prep.arg, B::INDEX).unwrap_or(0);
        for bs in bitstreams {
            let Some(data) = feed.blob(bs.blob) else {
                self.skip("bitstream whose blob is missing");
                continue;
            };
            let key = BufKey {
                file,
                ty,
                index,
                plane: bs.plane,
            };
            let offset = bs.offset as usize;
            let wrote = self.with_plane(key, entry.fd.as_raw_fd(), |m| {
                let dst = m.as_mut_slice();
                match offset
                    .checked_add(data.len())
                    .filter(|&end| end <= dst.len())
                {
                    Some(end) => {
                        dst[offset..end].copy_from_slice(data);
                        true
                    }
                    None => false,
                }
            });
            let len = data.len() as u64;
            match wrote {
                Some(true) => self.report.bitstream_bytes += len,
                Some(false) => self.skip("bitstream larger than the replay's buffer"),
                None => self.skip("bitstream for a buffer the replay cannot map"),
            }
        }
        let _ = io;
    }

    fn checksum(&mut self, file: u32, io: &Ioctl, replayed: &Ioctl) {
        let Ok(ioctl::Arg::Buffer(buf)) = ioctl::decode_ioctl(replayed)
            .after
            .unwrap_or(Err(ioctl::DecodeError::Missing))
        else {
            return;
        };
        let Some(entry) = self.fds.get(io.pid, io.fd).cloned() else {
            return;
        };
        let planes: Vec<(u32, u32)> = match &buf.planes {
            Some(p) => p.iter().map(|p| (p.data_offset, p.bytesused)).collect(),
            None => vec![(0, buf.bytesused)],
        };
        let mut bytes = Vec::new();
        let mut ok = true;
        for (i, (start, end)) in planes.into_iter().enumerate() {
            let key = BufKey {
                file,
                ty: buf.buf_type,
                index: buf.index,
                plane: i as u32,
            };
            let r = self.with_plane(key, entry.fd.as_raw_fd(), |m| {
                let s = m.as_slice();
                let end = (end as usize).min(s.len());
                let start = (start as usize).min(end);
                bytes.extend_from_slice(&s[start..end]);
            });
            ok &= r.is_some();
        }
        let total = bytes.len() as u64;
        if ok {
            // The hash is filled in when the replay ends (see `hasher`).
            self.hasher.submit(self.report.frames.len(), bytes);
        }
        self.report.frames.push(Frame {
            seq: io.seq,
            index: buf.index,
            sequence: buf.sequence,
            timestamp_ns: buf.timestamp.ns(),
            bytes: total,
            sha256: String::new(),
        });
    }
}

/// The planes a QUERYBUF described: (key, recorded mem_offset, replay mem_offset, replay length).
fn planes_of(file: u32, rec: &Ioctl, rep: &Ioctl) -> Vec<(BufKey, u64, u64, u32)> {
    let ty = u32_at(&rep.after, B::TYPE).unwrap_or(0);
    let index = u32_at(&rep.after, B::INDEX).unwrap_or(0);
    if u32_at(&rep.after, B::MEMORY) != Some(names::MEMORY_MMAP) {
        return Vec::new();
    }
    if !names::is_mplane(ty) {
        let key = BufKey {
            file,
            ty,
            index,
            plane: 0,
        };
        let t = u32_at(&rec.after, B::M).unwrap_or(0);
        let r = u32_at(&rep.after, B::M).unwrap_or(0);
        return vec![(
            key,
            u64::from(t),
            u64::from(r),
            u32_at(&rep.after, B::LENGTH).unwrap_or(0),
        )];
    }
    let planes = |io: &Ioctl| -> Vec<u8> {
        io.payload(&ioctl::PayloadKind::Planes)
            .map(|p| {
                if p.after.is_empty() {
                    p.before.clone()
                } else {
                    p.after.clone()
                }
            })
            .unwrap_or_default()
    };
    let (tp, rp) = (planes(rec), planes(rep));
    tp.chunks_exact(PL::SIZE)
        .zip(rp.chunks_exact(PL::SIZE))
        .enumerate()
        .map(|(i, (t, r))| {
            (
                BufKey {
                    file,
                    ty,
                    index,
                    plane: i as u32,
                },
                u64::from(u32_at(t, PL::M).unwrap_or(0)),
                u64::from(u32_at(r, PL::M).unwrap_or(0)),
                u32_at(r, PL::LENGTH).unwrap_or(0),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reinit(seq: u64, ret: i64, injected: bool) -> Ioctl {
        Ioctl {
            seq,
            request: ioctl::request::MEDIA_REQUEST_IOC_REINIT,
            ret,
            injected,
            ..Default::default()
        }
    }

    fn asked(spec: &str) -> Pending {
        let i: crate::Inject = spec.parse().unwrap();
        Pending {
            at: i.at,
            errno: i.errno,
            spec: i.spec,
        }
    }

    const REINIT: &str = "MEDIA_REQUEST_IOC_REINIT";

    #[test]
    fn a_call_injected_when_recorded_is_injected_again_with_its_errno() {
        let mut pending = Vec::new();
        let f = fault_for(&mut pending, &reinit(7, -16, true), REINIT, 3);
        assert!(matches!(f, Some(Fault::Recorded(16))), "{f:?}");
        // Not injected when recorded (failed or not): issued.
        assert!(fault_for(&mut pending, &reinit(8, -16, false), REINIT, 4).is_none());
        assert!(fault_for(&mut pending, &reinit(9, 0, false), REINIT, 5).is_none());
        // A flag without a failure is no injection to repeat.
        assert!(fault_for(&mut pending, &reinit(10, 0, true), REINIT, 6).is_none());
    }

    #[test]
    fn an_asked_injection_wins_over_the_recorded_one_and_is_used_once() {
        let mut pending = vec![asked("@7=EIO"), asked("MEDIA_REQUEST_IOC_REINIT#4=EINVAL")];
        let f = fault_for(&mut pending, &reinit(7, -16, true), REINIT, 3);
        assert!(
            matches!(&f, Some(Fault::Asked(p)) if p.errno == libc::EIO),
            "{f:?}"
        );
        assert_eq!(f.unwrap().errno(), libc::EIO);
        let f = fault_for(&mut pending, &reinit(8, 0, false), REINIT, 4);
        assert_eq!(f.map(|f| f.errno()), Some(libc::EINVAL));
        assert!(pending.is_empty());
        assert!(fault_for(&mut pending, &reinit(8, 0, false), REINIT, 4).is_none());
    }
}
