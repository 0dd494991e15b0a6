//! One trace's side of `vatrace diff`: turns its records, one at a time, into decode units (one
//! per OUTPUT `VIDIOC_QBUF`, i.e. one per frame, or per slice in slice-based mode) carrying the
//! codec controls in force for that unit, with reference timestamps already resolved to decode
//! ordinals, and the shape of the calls that led to it; plus the stream-level facts (formats,
//! buffer counts, requests, decode mode) of the fds that decoded.
//!
//! Fds are followed through [`crate::procs`] (fork, dup, exec, exit), so the state belongs to the
//! open file, not to a (process, fd number) pair: a client that sets up in one process and decodes
//! in a forked child, or decodes from several threads, is one stream. Each open file gets a
//! number ([`FileId`]) when first seen; dups and inherited fds refer to the same file, which is
//! closed when its last fd goes.
//!
//! State kept is the in-flight state only: per open file its formats and current controls, per
//! request the controls set into it, the units queued but not yet submitted, and a bounded map
//! from OUTPUT timestamps to picture ordinals ([`TS_KEEP`] pictures).

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::controls::{self, ids, ControlValue};
use crate::ioctl::{
    create_bufs, decode_with_payloads, ext_ctrls, fmt, media, names, qbuf, reqbufs, request, Arg,
    Side as ArgSide,
};
use crate::pool::args::int_after;
use crate::procs::{Procs, O_CLOEXEC};
use crate::record::{Ioctl, Record};

/// An open file (a video, media or request fd and every fd that refers to the same file).
pub type FileId = u64;

/// How many pictures' timestamps are remembered for resolving references (a reference older than
/// this many pictures shows as an unresolved timestamp).
pub const TS_KEEP: usize = 4096;

/// Set in a normalised reference field whose timestamp no earlier OUTPUT buffer carried; the low
/// bits keep the timestamp.
pub const UNRESOLVED: u64 = 1 << 63;

/// One call of a unit's call sequence: the ioctl, the queue it acted on (for buffer calls), its
/// errno, and how many times in a row it occurred.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub request: u32,
    /// 0: not a buffer call, 1: OUTPUT, 2: CAPTURE.
    pub queue: u8,
    pub errno: i32,
    pub times: u32,
}

/// One OUTPUT buffer queued for decoding, with everything compared about it.
#[derive(Debug, Clone)]
pub struct Unit {
    /// Decode order: the ordinal of its OUTPUT QBUF in the trace (0, 1, 2, …).
    pub ordinal: u64,
    /// Picture ordinal: distinct OUTPUT timestamps in decode order.
    pub picture: u64,
    /// Index of this unit within its picture (slices of a slice-based decode).
    pub slice: u32,
    /// Sequence number of the OUTPUT QBUF record.
    pub seq: u64,
    /// The codec controls in force when the unit was submitted (sorted by id), references
    /// normalised to picture ordinals (see [`UNRESOLVED`]).
    pub controls: Vec<(u32, ControlValue)>,
    /// The ioctls since the previous unit was submitted, up to this one's submission.
    pub calls: Vec<Call>,
    /// How the request was submitted: `None` queued (or no request), `Some(errno)` failed,
    /// `Some(0)` never queued.
    pub submit_errno: Option<i32>,
}

/// What one trace tells about its stream as a whole, as `field → value`.
pub type StreamFacts = BTreeMap<String, String>;

#[derive(Debug, Clone, Default)]
struct FdState {
    /// Controls set with CUR_VAL (and applied from queued requests), by id.
    cur: BTreeMap<u32, ControlValue>,
    /// The fd's facts, adopted into the stream's when it first decodes.
    facts: Vec<(String, String)>,
    adopted: bool,
}

impl FdState {
    /// Appends `value` to the fact `key` (as `a → b` when it changes).
    fn fact(&mut self, key: &str, value: String) {
        match self.facts.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => {
                if v.rsplit(" → ").next().is_none_or(|last| last != value) {
                    v.push_str(" → ");
                    v.push_str(&value);
                }
            }
            None => self.facts.push((key.to_string(), value)),
        }
    }
}

/// A unit whose request was not yet queued.
#[derive(Debug, Clone)]
struct Started {
    ordinal: u64,
    picture: u64,
    slice: u32,
    seq: u64,
    fd: FileId,
}

/// The per-trace state machine.
#[derive(Debug, Default)]
pub struct TraceSide {
    /// What each fd of each process refers to.
    procs: Procs<FileId>,
    /// Fds referring to each open file.
    refs: HashMap<FileId, u32>,
    next_file: FileId,
    fds: HashMap<FileId, FdState>,
    /// Controls set into each request since its last queue or reinit.
    pending_ctrls: HashMap<FileId, Vec<(u32, ControlValue)>>,
    /// Units QBUF'd with a request not queued yet, by request fd.
    started: HashMap<FileId, Started>,
    /// Finished units waiting for the ones before them.
    ready: BTreeMap<u64, Unit>,
    next_emit: u64,
    next_ordinal: u64,
    pictures: u64,
    last_ts: Option<u64>,
    slice: u32,
    ts_map: HashMap<u64, u64>,
    ts_order: VecDeque<u64>,
    calls: Vec<Call>,
    recording_calls: bool,
    requests_allocated: u64,
    /// Facts of decoding fds that were closed.
    closed_facts: Vec<Vec<(String, String)>>,
    adopted: Vec<FileId>,
    /// Records seen, and events the tracer lost.
    pub records: u64,
    pub lost: u64,
    /// Whether the `End` record was seen.
    pub complete: bool,
    flushed: bool,
}

fn side_of(buf_type: u32) -> u8 {
    if names::is_output(buf_type) {
        1
    } else {
        2
    }
}

fn queue_name(buf_type: u32) -> &'static str {
    if names::is_output(buf_type) {
        "output"
    } else {
        "capture"
    }
}

/// The controls a unit compares: the stateless codec controls (compound payloads).
fn is_codec_control(v: &ControlValue) -> bool {
    v.codec().is_some()
}

impl TraceSide {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one record; finished units become available from [`TraceSide::pop`].
    pub fn apply(&mut self, record: &Record) {
        self.records += 1;
        self.follow(record);
        match record {
            Record::Ioctl(io) => self.ioctl(io),
            Record::Open(o) if o.ret >= 0 => {
                self.new_file(o.pid, o.ret as i32, o.flags & O_CLOEXEC != 0);
            }
            Record::Lost(l) => self.lost += l.count,
            Record::End(_) => {
                self.complete = true;
                self.flush();
            }
            _ => {}
        }
    }

    /// Follows the record's effect on the fd tables (close, dup, fork, exec, exit), closing the
    /// files whose last fd went.
    fn follow(&mut self, record: &Record) {
        match record {
            Record::Ioctl(_) => return,
            // A dup of an fd not seen yet: both refer to one file from now on.
            Record::Dup(d) if d.ret >= 0 => {
                self.file(d.pid, d.old);
            }
            _ => {}
        }
        let released = self.procs.follow(record);
        if let Record::Dup(d) = record {
            if let Some(f) = (d.ret >= 0)
                .then(|| self.procs.get(d.pid, d.ret as i32))
                .flatten()
            {
                *self.refs.entry(*f).or_default() += 1;
            }
        }
        if let Record::Fork(f) = record {
            if !f.is_thread {
                let inherited: Vec<FileId> = self.procs.fds(f.child).map(|(_, f)| *f).collect();
                for f in inherited {
                    *self.refs.entry(f).or_default() += 1;
                }
            }
        }
        for (_, file) in released.fds {
            self.unref(file);
        }
    }

    /// One fd fewer refers to `file`; the last one closes it.
    fn unref(&mut self, file: FileId) {
        let Some(n) = self.refs.get_mut(&file) else {
            return;
        };
        *n = n.saturating_sub(1);
        if *n > 0 {
            return;
        }
        self.refs.remove(&file);
        if let Some(st) = self.fds.remove(&file) {
            if st.adopted {
                self.adopted.retain(|k| *k != file);
                self.closed_facts.push(st.facts);
            }
        }
        self.pending_ctrls.remove(&file);
        if let Some(s) = self.started.remove(&file) {
            self.finish(s, Some(0));
        }
    }

    /// `fd` of `pid` now refers to a new open file (an open, a request allocated).
    fn new_file(&mut self, pid: u32, fd: i32, cloexec: bool) -> FileId {
        let id = self.next_file;
        self.next_file += 1;
        if let Some(old) = self.procs.insert(pid, fd, id, cloexec) {
            self.unref(old);
        }
        self.refs.insert(id, 1);
        id
    }

    /// The open file `fd` of `pid` refers to; an fd the trace never showed opening (the tracer
    /// attached later, a hand-made trace) is taken as a file of its own.
    fn file(&mut self, pid: u32, fd: i32) -> FileId {
        match self.procs.get(pid, fd) {
            Some(f) => *f,
            None => self.new_file(pid, fd, false),
        }
    }

    /// At the end of the input: units started but never submitted are finished as such, unless
    /// the trace is cut (no `End`): then where their requests went is unknown and they are
    /// dropped.
    pub fn flush(&mut self) {
        if !self.complete {
            self.started.clear();
        }
        let mut rest: Vec<Started> = self.started.drain().map(|(_, s)| s).collect();
        rest.sort_by_key(|s| s.ordinal);
        for s in rest {
            self.finish(s, Some(0));
        }
        self.flushed = true;
    }

    /// The next unit in decode order, once it and every unit before it are finished (after
    /// [`TraceSide::flush`], whatever is left, in order).
    pub fn pop(&mut self) -> Option<Unit> {
        let first = *self.ready.keys().next()?;
        if first != self.next_emit && !self.flushed {
            return None;
        }
        self.next_emit = first + 1;
        self.ready.remove(&first)
    }

    /// Units finished and waiting, plus units started: the in-flight state's size.
    pub fn in_flight(&self) -> usize {
        self.ready.len() + self.started.len()
    }

    /// OUTPUT QBUFs seen so far.
    pub fn units(&self) -> u64 {
        self.next_ordinal
    }

    /// The stream's facts: those of every fd that decoded, in the order they started.
    pub fn facts(&self) -> StreamFacts {
        let mut out = StreamFacts::new();
        let live = self
            .adopted
            .iter()
            .filter_map(|k| self.fds.get(k))
            .map(|s| &s.facts);
        for facts in self.closed_facts.iter().chain(live) {
            for (k, v) in facts {
                out.entry(k.clone())
                    .and_modify(|old: &mut String| {
                        old.push_str(" | ");
                        old.push_str(v)
                    })
                    .or_insert_with(|| v.clone());
            }
        }
        out.insert(
            "stream.requests_allocated".into(),
            self.requests_allocated.to_string(),
        );
        out.insert("stream.frames".into(), self.next_ordinal.to_string());
        out.insert("stream.pictures".into(), self.pictures.to_string());
        out
    }

    fn note_call(&mut self, io: &Ioctl, queue: u8) {
        if !self.recording_calls {
            return;
        }
        let errno = io.errno().unwrap_or(0);
        if let Some(last) = self.calls.last_mut() {
            if last.request == io.request && last.queue == queue && last.errno == errno {
                last.times += 1;
                return;
            }
        }
        self.calls.push(Call {
            request: io.request,
            queue,
            errno,
            times: 1,
        });
    }

    fn ioctl(&mut self, io: &Ioctl) {
        let key = self.file(io.pid, io.fd);
        let ok = io.ret >= 0;
        match io.request {
            fmt::VIDIOC_S_FMT | fmt::VIDIOC_G_FMT if ok => {
                if let Ok(Arg::Format(f)) =
                    decode_with_payloads(io.request, &io.after, &[], ArgSide::After)
                {
                    if let (Some((w, h)), Some(cc)) = (f.size(), f.pixelformat()) {
                        let st = self.fds.entry(key).or_default();
                        st.fact(
                            &format!("stream.{}_format", queue_name(f.buf_type)),
                            format!("{cc} {w}x{h}"),
                        );
                    }
                }
                self.note_call(io, 0);
            }
            reqbufs::VIDIOC_REQBUFS if ok => {
                if let Ok(Arg::RequestBuffers(r)) =
                    decode_with_payloads(io.request, &io.after, &[], ArgSide::After)
                {
                    let st = self.fds.entry(key).or_default();
                    let q = queue_name(r.buf_type);
                    st.fact(&format!("stream.{q}_buffers"), r.count.to_string());
                    st.fact(
                        &format!("stream.{q}_memory"),
                        names::enum_name(names::MEMORY, r.memory),
                    );
                }
                self.note_call(io, 0);
            }
            create_bufs::VIDIOC_CREATE_BUFS if ok => {
                if let Ok(Arg::CreateBuffers(c)) =
                    decode_with_payloads(io.request, &io.after, &[], ArgSide::After)
                {
                    let st = self.fds.entry(key).or_default();
                    let q = queue_name(c.format.buf_type);
                    st.fact(&format!("stream.{q}_buffers"), format!("+{}", c.count));
                    st.fact(
                        &format!("stream.{q}_memory"),
                        names::enum_name(names::MEMORY, c.memory),
                    );
                }
                self.note_call(io, 0);
            }
            ext_ctrls::VIDIOC_S_EXT_CTRLS | ext_ctrls::VIDIOC_G_EXT_CTRLS => {
                if ok {
                    self.ext_ctrls(io);
                }
                self.note_call(io, 0);
            }
            qbuf::VIDIOC_QBUF => {
                let buf = match decode_with_payloads(
                    io.request,
                    &io.before,
                    &io.payloads,
                    ArgSide::Before,
                ) {
                    Ok(Arg::Buffer(b)) => Some(b),
                    _ => None,
                };
                let queue = buf.as_ref().map_or(0, |b| side_of(b.buf_type));
                if queue == 1 {
                    self.recording_calls = true;
                }
                self.note_call(io, queue);
                if let (true, Some(b)) = (ok && queue == 1, buf) {
                    self.output_qbuf(io, &b);
                }
            }
            qbuf::VIDIOC_DQBUF | qbuf::VIDIOC_PREPARE_BUF => {
                let side = if ok { ArgSide::After } else { ArgSide::Before };
                let bytes = if ok { &io.after } else { &io.before };
                let queue = match decode_with_payloads(io.request, bytes, &io.payloads, side) {
                    Ok(Arg::Buffer(b)) => side_of(b.buf_type),
                    _ => 0,
                };
                self.note_call(io, queue);
            }
            media::MEDIA_IOC_REQUEST_ALLOC => {
                if ok {
                    self.requests_allocated += 1;
                    // The kernel makes every request fd close-on-exec.
                    if let Some(fd) = int_after(io) {
                        self.new_file(io.pid, fd, true);
                    }
                }
                self.note_call(io, 0);
            }
            request::MEDIA_REQUEST_IOC_QUEUE => {
                self.note_call(io, 0);
                if let Some(s) = self.started.remove(&key) {
                    let pending = self.pending_ctrls.remove(&key).unwrap_or_default();
                    if ok {
                        let st = self.fds.entry(s.fd).or_default();
                        for (id, v) in pending {
                            st.cur.insert(id, v);
                        }
                        self.finish(s, None);
                    } else {
                        self.finish_with(s, Some(io.errno().unwrap_or(0)), pending);
                    }
                }
            }
            request::MEDIA_REQUEST_IOC_REINIT => {
                self.note_call(io, 0);
                if ok {
                    self.pending_ctrls.remove(&key);
                }
            }
            _ => self.note_call(io, 0),
        }
    }

    fn ext_ctrls(&mut self, io: &Ioctl) {
        let set = io.request == ext_ctrls::VIDIOC_S_EXT_CTRLS;
        let (bytes, side) = if set {
            (&io.before, ArgSide::Before)
        } else {
            (&io.after, ArgSide::After)
        };
        let Ok(Arg::ExtControls(x)) = decode_with_payloads(io.request, bytes, &io.payloads, side)
        else {
            return;
        };
        let key = self.file(io.pid, io.fd);
        if set && x.is_request() {
            self.recording_calls = true;
            let req = self.file(io.pid, x.request_fd);
            let pending = self.pending_ctrls.entry(req).or_default();
            for c in x.controls {
                if let Some(v) = c.decoded {
                    if is_codec_control(&v) {
                        pending.retain(|(id, _)| *id != c.id);
                        pending.push((c.id, v));
                    } else {
                        mode_fact(self.fds.entry(key).or_default(), c.id, &v, true);
                    }
                }
            }
            return;
        }
        let st = self.fds.entry(key).or_default();
        for c in x.controls {
            if let Some(v) = c.decoded {
                if set && is_codec_control(&v) {
                    st.cur.insert(c.id, v);
                } else {
                    mode_fact(st, c.id, &v, set);
                }
            }
        }
    }

    fn output_qbuf(&mut self, io: &Ioctl, b: &qbuf::Buffer) {
        let key = self.file(io.pid, io.fd);
        let st = self.fds.entry(key).or_default();
        if !st.adopted {
            // What the fd went through before it decoded (probing other formats) is not the
            // stream's: keep each fact's value at this point.
            for (_, v) in &mut st.facts {
                if let Some(i) = v.rfind(" → ") {
                    v.drain(..i + " → ".len());
                }
            }
            st.adopted = true;
            self.adopted.push(key);
        }
        let ts = b.timestamp.ns();
        if self.last_ts == Some(ts) && self.next_ordinal > 0 {
            self.slice += 1;
        } else {
            self.slice = 0;
            if self.ts_order.len() >= TS_KEEP {
                if let Some(old) = self.ts_order.pop_front() {
                    if self.ts_map.get(&old) == Some(&(self.pictures - TS_KEEP as u64)) {
                        self.ts_map.remove(&old);
                    }
                }
            }
            self.ts_map.insert(ts, self.pictures);
            self.ts_order.push_back(ts);
            self.pictures += 1;
        }
        self.last_ts = Some(ts);
        let s = Started {
            ordinal: self.next_ordinal,
            picture: self.pictures - 1,
            slice: self.slice,
            seq: io.seq,
            fd: key,
        };
        self.next_ordinal += 1;
        match b.request() {
            Some(req) => {
                let req = self.file(io.pid, req);
                if let Some(old) = self.started.insert(req, s) {
                    self.finish(old, Some(0));
                }
            }
            None => self.finish(s, None),
        }
    }

    fn finish(&mut self, s: Started, errno: Option<i32>) {
        self.finish_with(s, errno, Vec::new());
    }

    fn finish_with(&mut self, s: Started, errno: Option<i32>, extra: Vec<(u32, ControlValue)>) {
        let mut controls: Vec<(u32, ControlValue)> = self
            .fds
            .get(&s.fd)
            .map(|st| st.cur.iter().map(|(id, v)| (*id, v.clone())).collect())
            .unwrap_or_default();
        for (id, v) in extra {
            match controls.binary_search_by_key(&id, |(i, _)| *i) {
                Ok(i) => controls[i].1 = v,
                Err(i) => controls.insert(i, (id, v)),
            }
        }
        let ts_map = &self.ts_map;
        for (_, v) in &mut controls {
            super::canon::map_refs(v, &mut |ts| match ts_map.get(&ts) {
                Some(&p) => p,
                None => UNRESOLVED | (ts & !UNRESOLVED),
            });
        }
        let unit = Unit {
            ordinal: s.ordinal,
            picture: s.picture,
            slice: s.slice,
            seq: s.seq,
            controls,
            calls: std::mem::take(&mut self.calls),
            submit_errno: errno,
        };
        self.ready.insert(unit.ordinal, unit);
    }
}

/// Records the decode mode and start code controls (set, or read back) as stream facts.
fn mode_fact(st: &mut FdState, id: u32, v: &ControlValue, set: bool) {
    let key = match id {
        ids::V4L2_CID_STATELESS_H264_DECODE_MODE | ids::V4L2_CID_STATELESS_HEVC_DECODE_MODE => {
            "stream.decode_mode"
        }
        ids::V4L2_CID_STATELESS_H264_START_CODE | ids::V4L2_CID_STATELESS_HEVC_START_CODE => {
            "stream.start_code"
        }
        _ => return,
    };
    // A value read back only counts when none was set.
    if !set && st.facts.iter().any(|(k, _)| k == key) {
        return;
    }
    let text = match v {
        ControlValue::Menu {
            item: Some(name), ..
        } => name.to_string(),
        other => other.to_string(),
    };
    st.fact(key, text);
}

/// The short name of a call for the call-sequence shape: `QBUF(OUTPUT)`, `DQBUF(CAPTURE)=EAGAIN`.
pub fn call_text(c: &Call) -> String {
    let name = crate::ioctl::name(c.request);
    let short = [
        "VIDIOC_",
        "MEDIA_REQUEST_IOC_",
        "MEDIA_IOC_",
        "DMA_BUF_IOCTL_",
    ]
    .iter()
    .find_map(|p| name.strip_prefix(p))
    .unwrap_or(&name)
    .to_string();
    let mut s = short;
    match c.queue {
        1 => s.push_str("(OUTPUT)"),
        2 => s.push_str("(CAPTURE)"),
        _ => {}
    }
    if c.errno != 0 {
        s.push('=');
        match crate::dump::errno_name(c.errno) {
            Some(n) => s.push_str(n),
            None => s.push_str(&c.errno.to_string()),
        }
    }
    if c.times > 1 {
        s.push_str(&format!("×{}", c.times));
    }
    s
}

/// The whole call sequence as one line.
pub fn calls_text(calls: &[Call]) -> String {
    calls.iter().map(call_text).collect::<Vec<_>>().join(" ")
}

/// A control's field prefix: `V4L2_CID_STATELESS_H264_SPS` → `h264_sps`.
pub fn control_prefix(id: u32) -> String {
    match controls::control_name(id) {
        Some(n) => n
            .strip_prefix("V4L2_CID_STATELESS_")
            .or_else(|| n.strip_prefix("V4L2_CID_"))
            .unwrap_or(n)
            .to_ascii_lowercase(),
        None => format!("control_{id:#x}"),
    }
}
