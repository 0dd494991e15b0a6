//! The pre-pass: reads the whole trace once (streaming, nothing kept but small tables) before any
//! device is touched, and refuses a trace whose sizes or indices are out of range or that holds
//! an ioctl number of another subsystem; collects the device nodes it opens with their recorded
//! identity (checked by [`crate::node`] before any is opened), counts its ioctls for the progress
//! bar, notes the events the recording lost, and resolves frame and buffer injections to
//! sequence numbers ([`crate::target`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

use traces::ioctl::layout::{v4l2_buffer as B, v4l2_ext_controls as X, v4l2_plane as PL};
use traces::ioctl::{self, names, ArgType, PayloadKind, CONTROL_PAYLOAD_MAX};
use traces::procs::{Procs, O_CLOEXEC};
use traces::record::{DeviceInfo, DeviceKind, Ioctl, Record};
use traces::TraceReader;

use crate::bytes::{u32_at, u64_at};
use crate::options::InjectAt;
use crate::report::LostSpan;
use crate::target::Resolver;

/// Most buffers per queue any index may name (the catalogue's bound).
pub use traces::ioctl::reqbufs::MAX_BUFFERS;
/// Most planes per buffer.
pub const MAX_PLANES: u32 = 8;
/// Largest mapping or plane replay accepts.
pub const MAX_MAP: u64 = 1 << 30;
/// Largest control payload replay re-creates.
pub const MAX_CONTROL: u32 = 16 << 20;
/// The pre-pass keeps the records it read for the replay while they take less than this (about):
/// a trace that small is parsed once; a bigger one is read again, streamed.
pub const KEEP_BYTES: usize = 64 << 20;

/// What the pre-pass learnt.
#[derive(Debug, Default)]
pub struct Plan {
    /// Ioctl records in the trace.
    pub ioctls: u64,
    /// Device nodes the trace opened successfully, with what the recording knew of them.
    pub devices: BTreeMap<String, Option<DeviceInfo>>,
    /// Set when the trace is cut or damaged: the reader's message.
    pub cut: Option<String>,
    /// Out-of-range sizes and indices (the trace is refused when non-empty).
    pub problems: Vec<String>,
    /// How many Bitstream records use each blob, so replay can drop a blob after its last use.
    pub blob_uses: HashMap<u64, u32>,
    /// Frames in the trace (successful OUTPUT QBUFs).
    pub frames: u64,
    /// Per injection target given to [`scan`]: the sequence number a frame or buffer target
    /// resolved to (`None` for the other forms, or when the trace has no such call).
    pub targets: Vec<Option<u64>>,
    /// Every record read, when they all fit in the `keep` budget given to [`scan`].
    pub kept: Option<Vec<Record>>,
    /// Events the recording lost, and where (the first [`MAX_LOST_SPANS`] holes).
    pub lost: u64,
    pub lost_spans: Vec<LostSpan>,
}

/// Most holes (Lost records) the report lists.
pub const MAX_LOST_SPANS: usize = 16;

/// About how many bytes a record takes in memory.
fn footprint(r: &Record) -> usize {
    128 + match r {
        Record::Ioctl(io) => {
            io.before.len()
                + io.after.len()
                + io.payloads
                    .iter()
                    .map(|p| 64 + p.before.len() + p.after.len())
                    .sum::<usize>()
        }
        Record::Blob(b) => b.data.len(),
        Record::Open(o) => o.path.len(),
        Record::Poll(p) => 8 * p.fds.len(),
        _ => 0,
    }
}

/// A path the trace opened that replay takes for a V4L2 or media node (to be checked by
/// [`crate::node::check`] before anything is opened).
fn is_device_path(p: &str) -> bool {
    p.starts_with("/dev/video") || p.starts_with("/dev/media") || p.starts_with("/dev/v4l")
}

/// Reads `reader` to its end, resolving the frame and buffer forms among `targets`, and keeping
/// the records while they take less than `keep` bytes.
pub fn scan<R: Read>(mut reader: TraceReader<R>, targets: &[InjectAt], keep: usize) -> Plan {
    let mut resolver = Resolver::new(targets);
    let mut kept = Some(Vec::new());
    let mut kept_bytes = 0usize;
    let header_devices: HashMap<String, DeviceInfo> = reader
        .header()
        .devices
        .iter()
        .filter(|d| matches!(d.kind, DeviceKind::Video | DeviceKind::Media))
        .map(|d| (d.path.clone(), d.clone()))
        .collect();
    let mut first_ts = None;
    let mut last_seq = None;
    let mut plan = Plan::default();
    // The device path each fd of each process was opened at (dup, fork, exec, exit: traces::procs).
    let mut fd_path: Procs<String> = Procs::new();
    let mut counts: HashMap<(u32, i32, u32), u32> = HashMap::new();
    let mut lengths: HashMap<(u32, i32, u32, u32, u32), u32> = HashMap::new();
    let mut qbuf_of: HashMap<u64, (u32, i32, u32, u32)> = HashMap::new();
    let mut blobs: HashSet<u64> = HashSet::new();
    let mut problem = |p: &mut Plan, s: String| {
        if p.problems.len() < 20 {
            p.problems.push(s);
        }
    };
    loop {
        let rec = match reader.next_record() {
            None => break,
            Some(Err(e)) => {
                plan.cut = Some(e.to_string());
                break;
            }
            Some(Ok(r)) => r,
        };
        if let Some(ts) = rec.ts() {
            first_ts.get_or_insert(ts);
        }
        fd_path.follow(&rec);
        match &rec {
            Record::Open(o) if o.ret >= 0 => {
                let known = header_devices.contains_key(&o.path);
                if known || is_device_path(&o.path) {
                    let cloexec = o.flags & O_CLOEXEC != 0;
                    fd_path.insert(o.pid, o.ret as i32, o.path.clone(), cloexec);
                    plan.devices
                        .entry(o.path.clone())
                        .or_insert_with(|| header_devices.get(&o.path).cloned());
                }
            }
            Record::Ioctl(io) => {
                plan.ioctls += 1;
                for span in plan.lost_spans.iter_mut().rev() {
                    if span.before_seq.is_some() {
                        break;
                    }
                    span.before_seq = Some(io.seq);
                }
                last_seq = Some(io.seq);
                if !ioctl::is_v4l2_or_media(io.request) {
                    let f = ioctl::IocFields::split(io.request);
                    problem(
                        &mut plan,
                        format!(
                            "ioctl {}: request {:#010x} ({f}) belongs to another subsystem than V4L2, media or \
                             dma-buf; vatrace never records those and replay never issues them",
                            io.seq, io.request
                        ),
                    );
                }
                resolver.ioctl(io);
                check_ioctl(
                    io,
                    &mut plan,
                    &mut counts,
                    &mut lengths,
                    &mut qbuf_of,
                    &mut problem,
                );
                // The recorded identity of a device without a header entry: its first QUERYCAP.
                if io.request == ioctl::querycap::VIDIOC_QUERYCAP && io.ret == 0 {
                    if let (Some(path), Ok(ioctl::Arg::Capability(c))) = (
                        fd_path.get(io.pid, io.fd),
                        ioctl::decode(io.request, &io.after),
                    ) {
                        let slot = plan.devices.entry(path.clone()).or_insert(None);
                        if slot.is_none() {
                            *slot = Some(DeviceInfo {
                                path: path.clone(),
                                kind: DeviceKind::Video,
                                rdev: None,
                                driver: c.driver.clone(),
                                card: c.card.clone(),
                                bus_info: c.bus_info.clone(),
                                version: c.version,
                                capabilities: c.capabilities,
                                device_caps: c.device_caps,
                                formats: Vec::new(),
                                media: None,
                            });
                        }
                    }
                }
            }
            Record::Blob(b) => {
                blobs.insert(b.id);
            }
            Record::Bitstream(bs) => {
                *plan.blob_uses.entry(bs.blob).or_default() += 1;
                if !blobs.contains(&bs.blob) {
                    problem(
                        &mut plan,
                        format!(
                            "bitstream of ioctl {} names blob {} before it exists",
                            bs.ioctl_seq, bs.blob
                        ),
                    );
                }
                if bs.plane >= MAX_PLANES {
                    problem(
                        &mut plan,
                        format!(
                            "bitstream of ioctl {}: plane {} out of range",
                            bs.ioctl_seq, bs.plane
                        ),
                    );
                }
                let end = bs.offset.saturating_add(bs.len);
                let limit = qbuf_of
                    .get(&bs.ioctl_seq)
                    .and_then(|&(pid, fd, ty, index)| lengths.get(&(pid, fd, ty, index, bs.plane)))
                    .map(|&l| u64::from(l))
                    .unwrap_or(MAX_MAP);
                if end > limit {
                    problem(
                        &mut plan,
                        format!(
                            "bitstream of ioctl {}: bytes {}..{end} do not fit the {limit}-byte plane {}",
                            bs.ioctl_seq, bs.offset, bs.plane
                        ),
                    );
                }
            }
            Record::Mmap(m) if m.errno().is_none() && (m.len == 0 || m.len > MAX_MAP) => {
                problem(
                    &mut plan,
                    format!("mmap of {} bytes at ts {} is out of range", m.len, m.ts),
                );
            }
            Record::Lost(l) => {
                plan.lost += l.count;
                if plan.lost_spans.len() < MAX_LOST_SPANS {
                    plan.lost_spans.push(LostSpan {
                        count: l.count,
                        at_ns: l.at.saturating_sub(first_ts.unwrap_or(l.at)),
                        after_seq: last_seq,
                        before_seq: None,
                    });
                }
            }
            Record::Poll(p) if p.fds.len() > 1024 => {
                problem(
                    &mut plan,
                    format!("poll at ts {} names {} fds", p.ts_enter, p.fds.len()),
                );
            }
            _ => {}
        }
        if let Some(k) = &mut kept {
            kept_bytes += footprint(&rec);
            if kept_bytes > keep {
                kept = None;
            } else {
                k.push(rec);
            }
        }
    }
    plan.kept = kept;
    plan.frames = resolver.frames();
    plan.targets = (0..targets.len()).map(|i| resolver.resolved(i)).collect();
    plan
}

fn check_ioctl(
    io: &Ioctl,
    plan: &mut Plan,
    counts: &mut HashMap<(u32, i32, u32), u32>,
    lengths: &mut HashMap<(u32, i32, u32, u32, u32), u32>,
    qbuf_of: &mut HashMap<u64, (u32, i32, u32, u32)>,
    problem: &mut impl FnMut(&mut Plan, String),
) {
    let size = ioctl::IocFields::split(io.request).size;
    let name = ioctl::name(io.request);
    let at = format!("ioctl {} ({name})", io.seq);
    for (side, bytes) in [("before", &io.before), ("after", &io.after)] {
        if !bytes.is_empty() && bytes.len() != size {
            problem(
                plan,
                format!(
                    "{at}: argument {side} the call is {} bytes, the ioctl's struct is {size}",
                    bytes.len()
                ),
            );
        }
    }
    let arg = if io.before.is_empty() {
        &io.after
    } else {
        &io.before
    };
    let Some(info) = ioctl::lookup(io.request) else {
        return;
    };
    match info.arg {
        ArgType::Buffer => {
            let (Some(index), Some(ty), Some(len)) = (
                u32_at(arg, B::INDEX),
                u32_at(arg, B::TYPE),
                u32_at(arg, B::LENGTH),
            ) else {
                return;
            };
            let allocated = counts.get(&(io.pid, io.fd, ty)).copied();
            if index >= MAX_BUFFERS || (io.ret == 0 && allocated.is_some_and(|n| index >= n)) {
                problem(
                    plan,
                    format!(
                        "{at}: buffer index {index} out of range ({} buffers allocated)",
                        allocated.unwrap_or(0)
                    ),
                );
            }
            if names::is_mplane(ty) {
                if len > MAX_PLANES {
                    problem(plan, format!("{at}: {len} planes (at most {MAX_PLANES})"));
                }
                if let Some(p) = io.payload(&PayloadKind::Planes) {
                    // The kernel writes back the planes it used: an array captured after the
                    // call may be shorter than the `length` the client passed, never longer.
                    for bytes in [&p.before, &p.after] {
                        if bytes.len() > len as usize * PL::SIZE || bytes.len() % PL::SIZE != 0 {
                            problem(
                                plan,
                                format!(
                                    "{at}: plane array of {} bytes for {len} planes",
                                    bytes.len()
                                ),
                            );
                        }
                    }
                    // QUERYBUF's lengths bound the bitstream later written into the planes.
                    if io.request == ioctl::qbuf::VIDIOC_QUERYBUF && io.ret == 0 {
                        for (i, pl) in p.after.chunks_exact(PL::SIZE).enumerate() {
                            if let Some(l) = u32_at(pl, PL::LENGTH) {
                                lengths.insert((io.pid, io.fd, ty, index, i as u32), l);
                            }
                        }
                    }
                }
            } else if io.request == ioctl::qbuf::VIDIOC_QUERYBUF && io.ret == 0 {
                if let Some(l) = u32_at(&io.after, B::LENGTH) {
                    lengths.insert((io.pid, io.fd, ty, index, 0), l);
                }
            }
            if io.request == ioctl::qbuf::VIDIOC_QBUF {
                qbuf_of.insert(io.seq, (io.pid, io.fd, ty, index));
            }
        }
        ArgType::RequestBuffers if io.ret == 0 => {
            if let (Some(ty), Some(n)) = (u32_at(&io.after, 4), u32_at(&io.after, 0)) {
                counts.insert((io.pid, io.fd, ty), n);
            }
        }
        ArgType::CreateBuffers if io.ret == 0 => {
            use traces::ioctl::layout::v4l2_create_buffers as C;
            if let (Some(index), Some(n), Some(ty)) = (
                u32_at(&io.after, C::INDEX),
                u32_at(&io.after, C::COUNT),
                u32_at(&io.after, C::FORMAT),
            ) {
                let e = counts.entry((io.pid, io.fd, ty)).or_insert(0);
                *e = (*e).max(index.saturating_add(n));
            }
        }
        ArgType::ExtControls => {
            let count = u32_at(arg, X::COUNT).unwrap_or(0);
            if count > ioctl::ext_ctrls::MAX_CTRLS {
                problem(
                    plan,
                    format!(
                        "{at}: {count} controls (at most {})",
                        ioctl::ext_ctrls::MAX_CTRLS
                    ),
                );
                return;
            }
            let ptr = u64_at(arg, X::CONTROLS).unwrap_or(0);
            if let Some(p) = io.payload(&PayloadKind::ExtControls) {
                if ptr != 0
                    && !p.before.is_empty()
                    && p.before.len() != count as usize * ioctl::layout::v4l2_ext_control::SIZE
                {
                    problem(
                        plan,
                        format!(
                            "{at}: control array of {} bytes for {count} controls",
                            p.before.len()
                        ),
                    );
                }
                for el in p.before.chunks_exact(ioctl::layout::v4l2_ext_control::SIZE) {
                    let size = u32_at(el, ioctl::CONTROL_PAYLOAD_SIZE_OFFSET).unwrap_or(0);
                    if size > MAX_CONTROL {
                        problem(plan, format!("{at}: a control payload of {size} bytes"));
                    }
                }
            }
            for p in &io.payloads {
                if let PayloadKind::Control { index } = p.kind {
                    if index >= count
                        || p.before.len() > CONTROL_PAYLOAD_MAX.max(MAX_CONTROL) as usize
                    {
                        problem(
                            plan,
                            format!("{at}: payload of control {index} out of range"),
                        );
                    }
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::put_u32;
    use traces::ioctl::qbuf::VIDIOC_QBUF;
    use traces::ioctl::reqbufs::VIDIOC_REQBUFS;
    use traces::record::{End, EndReason, Header, Open, Payload};
    use traces::TraceWriter;

    fn trace(records: Vec<Record>, bitstream: Option<(u64, usize)>) -> Vec<u8> {
        let mut w = TraceWriter::new(Vec::new(), &Header::new()).unwrap();
        for r in &records {
            w.write(r).unwrap();
        }
        if let Some((seq, len)) = bitstream {
            w.write_bitstream(seq, 0, 0, len as u64, &vec![7u8; len])
                .unwrap();
        }
        w.finish(End::new(9, EndReason::Exited)).unwrap()
    }

    fn base(index: u32) -> Vec<Record> {
        let open = Record::Open(Open {
            ts: 0,
            pid: 1,
            tid: 1,
            dirfd: None,
            path: "/dev/video4".into(),
            flags: 2,
            mode: 0,
            ret: 3,
        });
        let mut rb = vec![0u8; 20];
        put_u32(&mut rb, 0, 4);
        put_u32(&mut rb, 4, names::BUF_TYPE_VIDEO_OUTPUT_MPLANE);
        let reqbufs = Record::Ioctl(Ioctl {
            seq: 0,
            pid: 1,
            fd: 3,
            request: VIDIOC_REQBUFS,
            before: rb.clone(),
            after: rb,
            ..Default::default()
        });
        let mut b = vec![0u8; B::SIZE];
        put_u32(&mut b, B::INDEX, index);
        put_u32(&mut b, B::TYPE, names::BUF_TYPE_VIDEO_OUTPUT_MPLANE);
        put_u32(&mut b, B::MEMORY, 1);
        put_u32(&mut b, B::LENGTH, 1);
        let planes = Payload {
            kind: PayloadKind::Planes,
            addr: 1,
            before: vec![0; PL::SIZE],
            after: vec![],
        };
        let qbuf = Record::Ioctl(Ioctl {
            seq: 1,
            pid: 1,
            fd: 3,
            request: VIDIOC_QBUF,
            before: b.clone(),
            after: b,
            payloads: vec![planes],
            ..Default::default()
        });
        vec![open, reqbufs, qbuf]
    }

    #[test]
    fn a_sane_trace_passes() {
        let bytes = trace(base(3), Some((1, 100)));
        let plan = scan(TraceReader::new(&bytes[..]).unwrap(), &[], 0);
        assert!(plan.problems.is_empty(), "{:?}", plan.problems);
        assert_eq!(plan.ioctls, 2);
        assert!(plan.devices.contains_key("/dev/video4"));
        assert!(plan.cut.is_none());
    }

    #[test]
    fn out_of_range_index_and_sizes_are_refused() {
        let bytes = trace(base(4), None);
        let plan = scan(TraceReader::new(&bytes[..]).unwrap(), &[], 0);
        assert!(
            plan.problems
                .iter()
                .any(|p| p.contains("buffer index 4 out of range")),
            "{:?}",
            plan.problems
        );

        let mut recs = base(0);
        if let Record::Ioctl(io) = &mut recs[2] {
            io.before.truncate(12);
        }
        let plan = scan(TraceReader::new(&trace(recs, None)[..]).unwrap(), &[], 0);
        assert!(
            plan.problems.iter().any(|p| p.contains("12 bytes")),
            "{:?}",
            plan.problems
        );

        let mut recs = base(0);
        if let Record::Ioctl(io) = &mut recs[2] {
            put_u32(&mut io.before, B::LENGTH, 9);
        }
        let plan = scan(TraceReader::new(&trace(recs, None)[..]).unwrap(), &[], 0);
        assert!(
            plan.problems.iter().any(|p| p.contains("9 planes")),
            "{:?}",
            plan.problems
        );
    }

    #[test]
    fn an_ioctl_of_another_subsystem_is_refused() {
        let mut recs = base(0);
        if let Record::Ioctl(io) = &mut recs[1] {
            // WDIOC_KEEPALIVE: a watchdog's ioctl ('W').
            io.request = ioctl::ior(b'W', 5, 4);
            io.before = vec![0; 4];
            io.after = vec![0; 4];
        }
        let plan = scan(TraceReader::new(&trace(recs, None)[..]).unwrap(), &[], 0);
        assert!(
            plan.problems.iter().any(|p| p.contains("ioctl 0")
                && p.contains("another subsystem")
                && p.contains("type='W'")),
            "{:?}",
            plan.problems
        );
    }

    #[test]
    fn lost_events_are_placed_between_ioctls() {
        use traces::record::Lost;
        let mut recs = base(0);
        recs.insert(
            2,
            Record::Lost(Lost {
                count: 5,
                at: 40,
                cpu: None,
            }),
        );
        recs.insert(
            1,
            Record::Lost(Lost {
                count: 2,
                at: 30,
                cpu: Some(1),
            }),
        );
        let plan = scan(TraceReader::new(&trace(recs, None)[..]).unwrap(), &[], 0);
        assert_eq!(plan.lost, 7);
        let spans: Vec<_> = plan
            .lost_spans
            .iter()
            .map(|s| (s.count, s.after_seq, s.before_seq))
            .collect();
        assert_eq!(spans, [(2, None, Some(0)), (5, Some(0), Some(1))]);
    }

    #[test]
    fn header_devices_of_other_kinds_are_not_taken_for_nodes_to_open() {
        let mut h = Header::new();
        for (path, kind) in [
            ("/dev/dri/renderD128", DeviceKind::Other),
            ("/dev/null", DeviceKind::Video),
        ] {
            h.devices.push(DeviceInfo {
                path: path.into(),
                kind,
                rdev: None,
                driver: "x".into(),
                card: String::new(),
                bus_info: String::new(),
                version: 0,
                capabilities: 0,
                device_caps: 0,
                formats: Vec::new(),
                media: None,
            });
        }
        let mut w = TraceWriter::new(Vec::new(), &h).unwrap();
        for (fd, path) in [(3, "/dev/dri/renderD128"), (4, "/dev/null")] {
            w.write(&Record::Open(Open {
                ts: 0,
                pid: 1,
                tid: 1,
                dirfd: None,
                path: path.into(),
                flags: 2,
                mode: 0,
                ret: fd,
            }))
            .unwrap();
        }
        let bytes = w.finish(End::new(9, EndReason::Exited)).unwrap();
        let plan = scan(TraceReader::new(&bytes[..]).unwrap(), &[], 0);
        assert_eq!(plan.devices.keys().collect::<Vec<_>>(), ["/dev/null"]);
    }

    #[test]
    fn cut_traces_are_noticed() {
        let bytes = trace(base(0), None);
        let plan = scan(TraceReader::new(&bytes[..bytes.len() - 2]).unwrap(), &[], 0);
        assert!(plan.cut.is_some());
        assert!(plan.problems.is_empty());
    }
}
