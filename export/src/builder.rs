//! Turns a trace's records, one at a time, into the [`timeline`](crate::timeline): the records go
//! through `traces`' own [`Checker`] (which keeps the one pool model, [`PoolModel`], and judges the
//! check rules), and what changed in the model's requests and buffers after each record becomes
//! slices on their lanes. Memory is what is in flight: live requests, buffers, open flows.
//!
//! The libva driver's own pool transitions (`Record::Probe`, `traces::probe`) are instants on a
//! "driver" track under their process, named and described by `traces::probe` (the dump's JSON of
//! the record gives the args); a force-release or a dead slot is also marked on the lane of the
//! request fd it names. The pool model does not follow the probes, so there is no slot counter.

use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::{json, Value};
use traces::check::{Checker, Finding};
use traces::ioctl::{self, Arg};
use traces::pool::{BufState, PoolModel, ReqState, Side};
use traces::probe::ProbeKind;
use traces::record::{Ioctl, Poll, Probe};
use traces::{dump, Header, Record};

use crate::timeline::{Event, EventKind, Pool, Sink, Track, TrackId, TrackKind};

/// `V4L2_CTRL_WHICH_REQUEST_VAL`.
const CTRL_WHICH_REQUEST_VAL: u32 = 0x0f01_0000;
/// `V4L2_BUF_FLAG_REQUEST_FD`.
const BUF_FLAG_REQUEST_FD: u32 = 0x0080_0000;
/// `POLLPRI`: a request fd is ready when its request completed.
const POLLPRI: u16 = 0x2;
/// Open frame flows waiting for their CAPTURE buffer beyond this many are ended (a client whose
/// CAPTURE timestamps never match its OUTPUT ones must not grow the export).
const PENDING_FLOWS_KEEP: usize = 256;

/// Track id spaces (top byte), so ids of different things never collide.
mod space {
    pub const PROCESS: u64 = 1 << 56;
    pub const THREAD: u64 = 2 << 56;
    pub const MEDIA: u64 = 3 << 56;
    pub const REQUEST: u64 = 4 << 56;
    pub const QUEUE: u64 = 5 << 56;
    pub const BUFFER: u64 = 6 << 56;
    pub const COUNTER: u64 = 7 << 56;
    pub const MARKS: u64 = 8 << 56;
    pub const FINDINGS: u64 = 9 << 56;
    pub const DRIVER: u64 = 10 << 56;
}

/// The counters the export keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Counter {
    RequestsInFlight,
    CaptureQueued,
    CaptureHeld,
    Fps,
}

impl Counter {
    const ALL: [Counter; 4] = [
        Counter::RequestsInFlight,
        Counter::CaptureQueued,
        Counter::CaptureHeld,
        Counter::Fps,
    ];
    fn name(self) -> &'static str {
        match self {
            Counter::RequestsInFlight => "requests in flight",
            Counter::CaptureQueued => "CAPTURE buffers queued",
            Counter::CaptureHeld => "CAPTURE buffers held",
            Counter::Fps => "frames per second",
        }
    }
    fn track(self) -> TrackId {
        space::COUNTER | self as u64
    }
}

/// What the export last showed of a request.
#[derive(Debug, Clone, Copy)]
struct ReqSeen {
    state: ReqState,
    failed: bool,
    open: bool,
    leaked: bool,
}

/// What the export last showed of a buffer index.
#[derive(Debug, Clone, Copy)]
struct BufSeen {
    state: BufState,
    mapped: u32,
    exported: u32,
    open: bool,
}

/// Whole-export counts (for the CLI's summary and the benchmark).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub records: u64,
    pub tracks: u64,
    pub slices: u64,
    pub flows: u64,
    pub instants: u64,
}

/// Builds the timeline of one trace into a [`Sink`].
pub struct Builder<S: Sink> {
    sink: S,
    checker: Checker,
    declared: FxHashSet<TrackId>,
    requests: FxHashMap<u64, ReqSeen>,
    max_request: u64,
    allocated: u64,
    buffers: FxHashMap<(u64, u32, u32), BufSeen>,
    /// Open slices per track (so every one is closed at the end).
    open: FxHashMap<TrackId, u32>,
    /// The flow of the frame a request carries.
    req_flow: FxHashMap<u64, u64>,
    /// The flow of a frame queued on OUTPUT, by its timestamp (µs), waiting for the CAPTURE
    /// buffer that carries the same timestamp; oldest first.
    ts_flow: Vec<(i64, u64)>,
    live_flows: FxHashSet<u64>,
    next_flow: u64,
    counters: FxHashMap<Counter, f64>,
    fps_second: Option<u64>,
    fps_frames: u64,
    first_ts: Option<u64>,
    last_ts: u64,
    media_name: String,
    /// (pid, fd) of requests the check's `request-leak` rule found leaked at this record.
    check_leaks: FxHashSet<(u32, i32)>,
    /// The root pid and the traced command's program name.
    root: (u32, Option<String>),
    /// What each process last exec'd (program name), for naming its track.
    execs: FxHashMap<u32, String>,
    /// The request lane last declared for each (pid, request fd), for the driver's marks (a dead
    /// slot names an fd already closed).
    req_lanes: FxHashMap<(u32, i32), u64>,
    stats: Stats,
}

impl<S: Sink> Builder<S> {
    /// A builder for a trace with `header`, writing into `sink`.
    pub fn new(header: &Header, sink: S) -> Self {
        let media_name = header
            .devices
            .iter()
            .find(|d| d.kind == traces::record::DeviceKind::Media)
            .map(|d| format!("{} ({})", d.path, d.driver))
            .unwrap_or_else(|| "media device".to_string());
        Builder {
            sink,
            checker: Checker::new(header, None),
            declared: FxHashSet::default(),
            requests: FxHashMap::default(),
            max_request: 0,
            allocated: 0,
            buffers: FxHashMap::default(),
            open: FxHashMap::default(),
            req_flow: FxHashMap::default(),
            ts_flow: Vec::new(),
            live_flows: FxHashSet::default(),
            next_flow: 1,
            counters: FxHashMap::default(),
            fps_second: None,
            fps_frames: 0,
            first_ts: None,
            last_ts: 0,
            media_name,
            check_leaks: FxHashSet::default(),
            root: (header.root_pid, header.command.first().map(|c| program(c))),
            execs: FxHashMap::default(),
            req_lanes: FxHashMap::default(),
            stats: Stats::default(),
        }
    }

    /// The pool model after the last record.
    pub fn model(&self) -> &PoolModel {
        self.checker.model()
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Entries kept about what is in flight (what bounds the export's memory besides the model).
    pub fn in_flight(&self) -> usize {
        self.requests.len()
            + self.buffers.len()
            + self.open.len()
            + self.req_flow.len()
            + self.ts_flow.len()
            + self.live_flows.len()
            + self.checker.in_flight()
    }

    /// Applies one record.
    pub fn apply(&mut self, rec: &Record) -> anyhow::Result<()> {
        self.stats.records += 1;
        if let Some(ts) = rec.ts() {
            self.first_ts.get_or_insert(ts);
            self.last_ts = self.last_ts.max(ts);
        }
        // Decoded fields are named with the fds as they were before the record.
        let args = match rec {
            Record::Ioctl(_) | Record::Poll(_) | Record::Probe(_) => {
                Some(dump::record_json(rec, self.model()))
            }
            _ => None,
        };
        self.checker.apply(rec);
        match rec {
            Record::Ioctl(io) => {
                self.last_ts = self.last_ts.max(io.ts_exit);
                self.ioctl(io, args)?;
            }
            Record::Poll(p) => {
                self.last_ts = self.last_ts.max(p.ts_exit);
                self.poll(p, args)?;
            }
            Record::Exec(x) => {
                self.execs.insert(x.pid, program(&x.path));
            }
            Record::Probe(p) => self.probe(rec, p, args)?,
            Record::Lost(l) => {
                self.declare_marks()?;
                let e = Event::new(
                    l.at,
                    space::MARKS,
                    EventKind::Instant,
                    format!("{} events lost", l.count),
                )
                .cat("lost")
                .arg("count", l.count)
                .arg("cpu", l.cpu.map(Value::from).unwrap_or(Value::Null));
                self.emit(Event { error: true, ..e })?;
            }
            _ => {}
        }
        let ts = self.last_ts;
        let findings = self.checker.drain();
        self.check_leaks = check_leaks(&findings);
        self.requests_changed(ts)?;
        self.check_leaks.clear();
        if !matches!(
            rec,
            Record::Poll(_)
                | Record::Bitstream(_)
                | Record::Blob(_)
                | Record::Device(_)
                | Record::Lost(_)
                | Record::Probe(_)
        ) {
            self.buffers_changed(ts)?;
        }
        self.update_counters(ts)?;
        self.findings(findings)?;
        Ok(())
    }

    /// Ends the timeline: closes every open slice and flow at the last timestamp, writes the
    /// remaining check findings, and returns the sink.
    pub fn finish(mut self, cut: Option<&str>) -> anyhow::Result<(S, Stats)> {
        let findings = self.checker.finish(cut);
        self.findings(findings)?;
        let ts = self.last_ts;
        self.requests_changed(ts)?;
        self.buffers_changed(ts)?;
        self.fps_tick(ts)?;
        if self.fps_frames > 0 {
            // The last, partial second: frames counted so far.
            let frames = std::mem::take(&mut self.fps_frames);
            self.set_counter(Counter::Fps, ts, frames as f64)?;
        }
        let live: Vec<u64> = {
            let mut v: Vec<u64> = self.live_flows.iter().copied().collect();
            v.sort_unstable();
            v
        };
        if !live.is_empty() {
            self.declare_marks()?;
            let mut e = Event::new(
                ts,
                space::MARKS,
                EventKind::Instant,
                "frames still in flight at the end",
            )
            .cat("flow")
            .arg("frames", live.len());
            e.end_flows = live;
            self.emit(e)?;
        }
        let mut open: Vec<(TrackId, u32)> = self.open.iter().map(|(t, n)| (*t, *n)).collect();
        open.sort_unstable();
        for (track, n) in open {
            for _ in 0..n {
                self.emit(Event::new(ts, track, EventKind::End, ""))?;
            }
        }
        self.sink.finish()?;
        Ok((self.sink, self.stats))
    }

    // ---- emitting ----------------------------------------------------------------------------

    fn declare(&mut self, t: Track) -> anyhow::Result<()> {
        if self.declared.insert(t.id) {
            self.stats.tracks += 1;
            self.sink.track(&t)?;
        }
        Ok(())
    }

    fn emit(&mut self, e: Event) -> anyhow::Result<()> {
        match e.kind {
            EventKind::Begin => {
                *self.open.entry(e.track).or_insert(0) += 1;
                self.stats.slices += 1;
            }
            EventKind::End => {
                if let Some(n) = self.open.get_mut(&e.track) {
                    *n -= 1;
                    if *n == 0 {
                        self.open.remove(&e.track);
                    }
                }
            }
            EventKind::Instant => self.stats.instants += 1,
            EventKind::Counter(_) => {}
        }
        for f in &e.end_flows {
            self.live_flows.remove(f);
        }
        self.sink.event(&e)
    }

    fn declare_marks(&mut self) -> anyhow::Result<()> {
        self.declare(Track {
            id: space::MARKS,
            parent: None,
            name: "vatrace: lost events and trace marks".into(),
            kind: TrackKind::Lane,
            order: 0,
            pool: None,
        })
    }

    /// The track of process `pid`, declared the first time.
    fn declare_process(&mut self, pid: u32) -> anyhow::Result<TrackId> {
        let ptrack = space::PROCESS | pid as u64;
        if !self.declared.contains(&ptrack) {
            // The traced command's name for the root process, else what it last exec'd.
            let name = match (pid == self.root.0, &self.root.1) {
                (true, Some(cmd)) => cmd.clone(),
                _ => self
                    .execs
                    .get(&pid)
                    .cloned()
                    .unwrap_or_else(|| "traced process".into()),
            };
            self.declare(Track {
                id: ptrack,
                parent: None,
                name: format!("{name} {pid}"),
                kind: TrackKind::Process { pid, name },
                order: 0,
                pool: None,
            })?;
        }
        Ok(ptrack)
    }

    fn declare_thread(&mut self, pid: u32, tid: u32) -> anyhow::Result<TrackId> {
        let ptrack = self.declare_process(pid)?;
        let id = space::THREAD | tid as u64;
        self.declare(Track {
            id,
            parent: Some(ptrack),
            name: format!("tid {tid}"),
            kind: TrackKind::Thread { pid, tid },
            order: 0,
            pool: None,
        })?;
        Ok(id)
    }

    // ---- calls -------------------------------------------------------------------------------

    fn new_flow(&mut self) -> u64 {
        let f = self.next_flow;
        self.next_flow += 1;
        self.live_flows.insert(f);
        self.stats.flows += 1;
        f
    }

    /// The flow of the frame request `req` carries, started if `start`.
    fn req_flow(&mut self, req: u64, start: bool) -> Option<u64> {
        match self.req_flow.get(&req) {
            Some(f) if self.live_flows.contains(f) => Some(*f),
            _ if start => {
                let f = self.new_flow();
                self.req_flow.insert(req, f);
                Some(f)
            }
            _ => None,
        }
    }

    fn ioctl(&mut self, io: &Ioctl, args: Option<Value>) -> anyhow::Result<()> {
        let track = self.declare_thread(io.pid, io.tid)?;
        let name = ioctl::name(io.request).into_owned();
        let (mut flows, mut end_flows) = (Vec::new(), Vec::new());
        let ok = io.errno().is_none();
        let short = name
            .strip_prefix("VIDIOC_")
            .or_else(|| name.strip_prefix("MEDIA_REQUEST_IOC_"));
        match short {
            Some("S_EXT_CTRLS") => {
                if let Ok(Arg::ExtControls(x)) = ioctl::decode(io.request, &io.before) {
                    if x.which == CTRL_WHICH_REQUEST_VAL && x.request_fd > 0 {
                        if let Some(r) = self
                            .model()
                            .request_by_fd(io.pid, x.request_fd)
                            .map(|r| r.id)
                        {
                            flows.extend(self.req_flow(r, ok));
                        }
                    }
                }
            }
            Some("QBUF") => {
                if let Ok(Arg::Buffer(b)) = ioctl::decode(io.request, &io.before) {
                    if Side::of(b.buf_type) == Side::Output && b.flags & BUF_FLAG_REQUEST_FD != 0 {
                        if let Some(r) = self
                            .model()
                            .request_by_fd(io.pid, b.request_fd)
                            .map(|r| r.id)
                        {
                            if let Some(f) = self.req_flow(r, ok) {
                                flows.push(f);
                                if ok {
                                    let t = b.timestamp.sec * 1_000_000 + b.timestamp.usec;
                                    self.ts_flow.retain(|(ts, _)| *ts != t);
                                    self.ts_flow.push((t, f));
                                    if self.ts_flow.len() > PENDING_FLOWS_KEEP {
                                        let (_, old) = self.ts_flow.remove(0);
                                        end_flows.push(old);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            Some("QUEUE") | Some("REINIT") => {
                if let Some(r) = self.model().request_by_fd(io.pid, io.fd).map(|r| r.id) {
                    if let Some(f) = self.req_flow(r, false) {
                        if short == Some("REINIT") && ok {
                            self.req_flow.remove(&r);
                            // A frame whose OUTPUT buffer was never queued ends here.
                            if !self.ts_flow.iter().any(|(_, x)| *x == f) {
                                end_flows.push(f);
                            }
                        } else {
                            flows.push(f);
                        }
                    }
                }
            }
            Some("DQBUF") if ok => {
                if let Ok(Arg::Buffer(b)) = ioctl::decode(io.request, &io.after) {
                    match Side::of(b.buf_type) {
                        Side::Output => {
                            // The OUTPUT buffer back: its request completed.
                            let ctx = self.model().context_by_fd(io.pid, io.fd).map(|c| c.id);
                            let req = ctx.and_then(|c| {
                                let q = self.model().context(c)?.queues.get(&b.buf_type)?;
                                q.buffers.get(b.index as usize)?.request
                            });
                            if let Some(r) = req {
                                flows.extend(self.req_flow(r, false));
                            }
                        }
                        Side::Capture => {
                            let t = b.timestamp.sec * 1_000_000 + b.timestamp.usec;
                            if let Some(i) = self.ts_flow.iter().position(|(ts, _)| *ts == t) {
                                end_flows.push(self.ts_flow.remove(i).1);
                            }
                            self.frame_done(io.ts_exit)?;
                        }
                        Side::Other => {}
                    }
                }
            }
            _ => {}
        }
        self.slice(
            track,
            io.ts_enter,
            io.ts_exit,
            name,
            "ioctl",
            io.errno(),
            args,
            flows,
            end_flows,
        )
    }

    fn poll(&mut self, p: &Poll, args: Option<Value>) -> anyhow::Result<()> {
        let track = self.declare_thread(p.pid, p.tid)?;
        let mut flows = Vec::new();
        if p.ret > 0 {
            for pfd in p.fds.iter().filter(|f| f.revents & POLLPRI != 0) {
                if let Some(r) = self.model().request_by_fd(p.pid, pfd.fd).map(|r| r.id) {
                    flows.extend(self.req_flow(r, false));
                }
            }
        }
        let errno = traces::record::errno_of(p.ret);
        self.slice(
            track,
            p.ts_enter,
            p.ts_exit,
            p.syscall.clone(),
            "poll",
            errno,
            args,
            flows,
            Vec::new(),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn slice(
        &mut self,
        track: TrackId,
        t0: u64,
        t1: u64,
        name: String,
        category: &'static str,
        errno: Option<i32>,
        args: Option<Value>,
        flows: Vec<u64>,
        end_flows: Vec<u64>,
    ) -> anyhow::Result<()> {
        let mut b = Event::new(t0, track, EventKind::Begin, name).cat(category);
        if let Some(Value::Object(mut m)) = args {
            for key in [
                "seq",
                "fd",
                "fd_is",
                "ret",
                "errno_name",
                "injected",
                "before",
                "after",
                "fds",
                "timeout_ns",
            ] {
                if let Some(v) = m.remove(key) {
                    if !v.is_null() {
                        b.args.insert(key.to_string(), v);
                    }
                }
            }
        }
        if let Some(e) = errno {
            b.error = true;
            b.category = "error";
            b.args
                .insert("error".into(), json!(traces::pool::errno_name(e)));
        }
        b.flows = flows;
        b.end_flows = end_flows;
        self.emit(b)?;
        if let Some(e) = errno {
            let mark = Event::new(
                t1,
                track,
                EventKind::Instant,
                format!("error {}", traces::pool::errno_name(e)),
            )
            .cat("error");
            self.emit(Event {
                error: true,
                ..mark
            })?;
        }
        self.emit(Event::new(t1.max(t0), track, EventKind::End, ""))
    }

    // ---- driver probes -----------------------------------------------------------------------

    /// A driver pool transition: an instant on its process's "driver" track, named after the
    /// probe kind, with the function's arguments (as the dump names them), the thread, the
    /// symbol and `traces::probe::describe`'s line (which names a force-release's outcome). A
    /// force-release or a dead slot is also marked on the lane of the request fd it names.
    fn probe(&mut self, rec: &Record, p: &Probe, json: Option<Value>) -> anyhow::Result<()> {
        let process = self.declare_process(p.pid)?;
        let track = space::DRIVER | p.pid as u64;
        self.declare(Track {
            id: track,
            parent: Some(process),
            name: "driver".into(),
            kind: TrackKind::Lane,
            order: -1,
            pool: None,
        })?;
        let error = traces::pool::describe::is_failure(rec);
        let call = traces::probe::describe(p);
        let mut e = Event::new(p.ts, track, EventKind::Instant, p.func.name()).cat("driver");
        if let Some(Value::Object(mut m)) = json {
            if let Some(Value::Object(args)) = m.remove("args") {
                e.args.extend(args);
            }
        }
        let e = e
            .arg("tid", p.tid)
            .arg("symbol", p.func.symbol())
            .arg("call", call.clone());
        self.emit(Event { error, ..e })?;
        if matches!(p.func, ProbeKind::SlotForceRelease | ProbeKind::SlotDead) {
            let fd = p
                .arg("request_fd")
                .or(p.arg("old_fd"))
                .and_then(|fd| i32::try_from(fd).ok());
            if let Some(id) = fd.and_then(|fd| self.req_lanes.get(&(p.pid, fd)).copied()) {
                let mark = Event::new(
                    p.ts,
                    space::REQUEST | id,
                    EventKind::Instant,
                    format!("driver {}", p.func.name()),
                )
                .cat("driver")
                .arg("call", call);
                self.emit(Event { error, ..mark })?;
            }
        }
        Ok(())
    }

    // ---- requests ----------------------------------------------------------------------------

    fn requests_changed(&mut self, ts: u64) -> anyhow::Result<()> {
        // New requests (ids only grow), then every request still followed.
        // Requests are only born by MEDIA_IOC_REQUEST_ALLOC: look for new ones when that count moved.
        let allocated = self.model().totals().requests_allocated;
        let new: Vec<u64> = if allocated != self.allocated {
            self.allocated = allocated;
            let max = self.max_request;
            self.model()
                .requests()
                .filter(|r| r.id > max)
                .map(|r| r.id)
                .collect()
        } else {
            Vec::new()
        };
        let mut ids: Vec<u64> = self.requests.keys().copied().collect();
        ids.extend(new.iter());
        ids.sort_unstable();
        ids.dedup();
        if let Some(m) = new.iter().max() {
            self.max_request = self.max_request.max(*m);
        }
        for id in ids {
            self.request_changed(id, ts)?;
        }
        Ok(())
    }

    fn request_changed(&mut self, id: u64, ts: u64) -> anyhow::Result<()> {
        let now = self.model().request(id).map(|r| {
            (
                r.state,
                r.failed,
                r.since,
                r.fd,
                r.pid,
                r.uses,
                r.has_controls,
                r.leak,
            )
        });
        let seen = self.requests.get(&id).copied();
        let Some((state, failed, since, fd, pid, uses, has_controls, leak)) = now else {
            // Pruned from the model: it ended long ago.
            if let Some(s) = seen {
                if s.open && !s.leaked {
                    self.emit(Event::new(ts, space::REQUEST | id, EventKind::End, ""))?;
                }
            }
            self.requests.remove(&id);
            return Ok(());
        };
        let track = space::REQUEST | id;
        if seen.is_none() {
            let group = space::MEDIA | pid as u64;
            self.declare(Track {
                id: group,
                parent: None,
                name: format!("{} requests (pid {pid})", self.media_name),
                kind: TrackKind::Group,
                order: 1,
                pool: None,
            })?;
            self.declare(Track {
                id: track,
                parent: Some(group),
                name: format!("request fd {fd} (#{id})"),
                kind: TrackKind::Lane,
                order: id.min(i32::MAX as u64) as i32,
                pool: Some(Pool::Requests),
            })?;
            self.req_lanes.insert((pid, fd), id);
        }
        let mut s = seen.unwrap_or(ReqSeen {
            state,
            failed: false,
            open: false,
            leaked: false,
        });
        if seen.is_some() && s.state == state && s.failed == failed {
            return Ok(());
        }
        let at = since.max(self.first_ts.unwrap_or(0)).min(ts.max(since));
        // Closed while the check's request-leak rule says its slot leaked: shown as leaked.
        let leaked_by_check = state == ReqState::Closed && self.check_leaks.contains(&(pid, fd));
        if state == ReqState::Leaked || leaked_by_check {
            // A leaked request stays in the state it was left in, open to the end of the trace.
            if !s.leaked {
                let reason = match leak {
                    Some(traces::pool::LeakReason::NeverRecycled) => {
                        "never reinitialised while its pool cycled"
                    }
                    _ => "failed, never released",
                };
                let e = Event::new(ts.max(at), track, EventKind::Instant, "LEAKED")
                    .cat("error")
                    .arg("why", reason);
                self.emit(Event { error: true, ..e })?;
                if !s.open {
                    let b = Event::new(at, track, EventKind::Begin, "LEAKED").cat("error");
                    self.emit(Event { error: true, ..b })?;
                    s.open = true;
                }
                s.leaked = true;
            }
            s.state = ReqState::Leaked;
            self.requests.insert(id, s);
            return Ok(());
        }
        if s.open && !s.leaked {
            self.emit(Event::new(at, track, EventKind::End, ""))?;
            s.open = false;
        }
        if failed && !s.failed {
            let e = Event::new(at, track, EventKind::Instant, "failed").cat("error");
            self.emit(Event { error: true, ..e })?;
        }
        s.state = state;
        s.failed = failed;
        if state == ReqState::Closed {
            self.requests.remove(&id);
            return Ok(());
        }
        let name = if failed {
            format!("{} (failed)", state.label())
        } else {
            state.label().to_string()
        };
        let b = Event::new(at, track, EventKind::Begin, name)
            .cat("request")
            .arg("fd", fd)
            .arg("uses", uses)
            .arg("controls set", has_controls);
        self.emit(Event { error: failed, ..b })?;
        s.open = true;
        self.requests.insert(id, s);
        Ok(())
    }

    // ---- buffers -----------------------------------------------------------------------------

    fn buffers_changed(&mut self, ts: u64) -> anyhow::Result<()> {
        let mut now: Vec<BufNow> = Vec::new();
        let mut queues: Vec<(u64, u32, String)> = Vec::new();
        for c in self.model().contexts() {
            if c.closed.is_some() {
                continue;
            }
            for q in c.queues.values() {
                let side = q.side();
                if side == Side::Other || q.buffers.is_empty() {
                    continue;
                }
                // Named once, when first seen.
                if !self
                    .declared
                    .contains(&(space::QUEUE | c.id << 8 | q.buf_type as u64))
                {
                    queues.push((
                        c.id,
                        q.buf_type,
                        format!(
                            "{} {} (pid {}, fd {}, {})",
                            c.path,
                            side.name(),
                            c.pid,
                            c.fd,
                            traces::pool::snapshot::fourcc(q.fourcc)
                        ),
                    ));
                }
                for b in &q.buffers {
                    now.push((
                        (c.id, q.buf_type, b.index),
                        b.state,
                        b.mapped,
                        b.exported,
                        b.since,
                        b.error,
                    ));
                }
            }
        }
        for (ctx, bt, name) in queues {
            let id = space::QUEUE | ctx << 8 | bt as u64;
            if !self.declared.contains(&id) {
                self.declare(Track {
                    id,
                    parent: None,
                    name,
                    kind: TrackKind::Group,
                    order: if Side::of(bt) == Side::Output { 2 } else { 3 },
                    pool: None,
                })?;
            }
        }
        // Buffers freed (REQBUFS 0, a smaller pool) or whose context closed: usually none.
        let same =
            now.len() == self.buffers.len() && now.iter().all(|n| self.buffers.contains_key(&n.0));
        let present: FxHashSet<(u64, u32, u32)> = if same {
            FxHashSet::default()
        } else {
            now.iter().map(|n| n.0).collect()
        };
        let gone: Vec<(u64, u32, u32)> = if same {
            Vec::new()
        } else {
            self.buffers
                .keys()
                .filter(|k| !present.contains(k))
                .copied()
                .collect()
        };
        for key in gone {
            if let Some(s) = self.buffers.remove(&key) {
                if s.open {
                    self.emit(Event::new(ts, buffer_track(key), EventKind::End, ""))?;
                }
            }
        }
        for (key, state, mapped, exported, since, error) in now {
            self.buffer_changed(key, state, mapped, exported, since.min(ts), error)?;
        }
        Ok(())
    }

    fn buffer_changed(
        &mut self,
        key: (u64, u32, u32),
        state: BufState,
        mapped: u32,
        exported: u32,
        since: u64,
        error: bool,
    ) -> anyhow::Result<()> {
        let track = buffer_track(key);
        let seen = self.buffers.get(&key).copied();
        if seen.is_none() {
            let (ctx, bt, index) = key;
            self.declare(Track {
                id: track,
                parent: Some(space::QUEUE | ctx << 8 | bt as u64),
                name: format!("{} {index}", Side::of(bt).name()),
                kind: TrackKind::Lane,
                order: index as i32,
                pool: Some(if Side::of(bt) == Side::Output {
                    Pool::Output
                } else {
                    Pool::Capture
                }),
            })?;
        }
        let mut s = seen.unwrap_or(BufSeen {
            state: BufState::Free,
            mapped: 0,
            exported: 0,
            open: false,
        });
        if seen.is_some() && s.state == state && s.mapped == mapped && s.exported == exported {
            return Ok(());
        }
        for (what, was, is) in [
            ("mapped", s.mapped, mapped),
            ("exported", s.exported, exported),
        ] {
            if was != is {
                let name = if is > was {
                    what.to_string()
                } else {
                    format!("un{what}")
                };
                let name = if what == "exported" && is < was {
                    "export closed".to_string()
                } else {
                    name
                };
                self.emit(
                    Event::new(since, track, EventKind::Instant, name)
                        .cat("buffer")
                        .arg(what, is),
                )?;
            }
        }
        if s.state != state || seen.is_none() {
            if s.open {
                self.emit(Event::new(since, track, EventKind::End, ""))?;
                s.open = false;
            }
            let shown = match state {
                BufState::InRequest | BufState::Queued | BufState::Held => true,
                BufState::Free | BufState::Done => false,
            };
            if shown {
                let b = Event::new(since, track, EventKind::Begin, state.label())
                    .cat("buffer")
                    .arg("mapped", mapped)
                    .arg("exported", exported);
                let b = if error {
                    b.arg("error", "V4L2_BUF_FLAG_ERROR")
                } else {
                    b
                };
                self.emit(Event {
                    error: error && state == BufState::Held,
                    ..b
                })?;
                s.open = true;
            }
        }
        s.state = state;
        s.mapped = mapped;
        s.exported = exported;
        self.buffers.insert(key, s);
        Ok(())
    }

    // ---- counters ----------------------------------------------------------------------------

    fn set_counter(&mut self, c: Counter, ts: u64, v: f64) -> anyhow::Result<()> {
        if self.counters.get(&c) == Some(&v) {
            return Ok(());
        }
        if !self.counters.contains_key(&c) {
            self.declare(Track {
                id: c.track(),
                parent: None,
                name: c.name().to_string(),
                kind: TrackKind::Counter,
                order: 0,
                pool: None,
            })?;
        }
        self.counters.insert(c, v);
        self.emit(Event::new(ts, c.track(), EventKind::Counter(v), c.name()))
    }

    fn update_counters(&mut self, ts: u64) -> anyhow::Result<()> {
        if self.stats.records == 1 {
            for c in Counter::ALL {
                self.set_counter(c, ts, 0.0)?;
            }
        }
        let in_flight = self
            .requests
            .values()
            .filter(|r| r.state.is_busy() || (r.failed && r.state != ReqState::Leaked) || r.leaked)
            .count();
        let (mut queued, mut held) = (0, 0);
        for (k, b) in &self.buffers {
            if Side::of(k.1) == Side::Capture {
                match b.state {
                    BufState::InRequest | BufState::Queued => queued += 1,
                    BufState::Held => held += 1,
                    _ => {}
                }
            }
        }
        self.set_counter(Counter::RequestsInFlight, ts, in_flight as f64)?;
        self.set_counter(Counter::CaptureQueued, ts, queued as f64)?;
        self.set_counter(Counter::CaptureHeld, ts, held as f64)?;
        self.fps_tick(ts)
    }

    /// One decoded frame (a CAPTURE DQBUF) at `ts`.
    fn frame_done(&mut self, ts: u64) -> anyhow::Result<()> {
        self.fps_tick(ts)?;
        self.fps_frames += 1;
        Ok(())
    }

    /// Writes the frames-per-second counter for every whole second before `ts`.
    fn fps_tick(&mut self, ts: u64) -> anyhow::Result<()> {
        let Some(first) = self.first_ts else {
            return Ok(());
        };
        let sec = ts.saturating_sub(first) / 1_000_000_000;
        let cur = *self.fps_second.get_or_insert(sec);
        if sec > cur {
            let frames = std::mem::take(&mut self.fps_frames);
            self.set_counter(
                Counter::Fps,
                first + (cur + 1) * 1_000_000_000,
                frames as f64,
            )?;
            if sec > cur + 1 {
                self.set_counter(Counter::Fps, first + (cur + 2) * 1_000_000_000, 0.0)?;
            }
            self.fps_second = Some(sec);
        }
        Ok(())
    }

    // ---- findings ----------------------------------------------------------------------------

    fn findings(&mut self, findings: Vec<Finding>) -> anyhow::Result<()> {
        if findings.is_empty() {
            return Ok(());
        }
        self.declare(Track {
            id: space::FINDINGS,
            parent: None,
            name: "vatrace check findings".into(),
            kind: TrackKind::Lane,
            order: 0,
            pool: None,
        })?;
        for f in findings {
            let mut e = Event::new(
                f.ts.unwrap_or(self.last_ts),
                space::FINDINGS,
                EventKind::Instant,
                format!("{}[{}]", f.severity.name(), f.rule),
            )
            .cat("check")
            .arg("statement", f.statement)
            .arg("explanation", f.explanation)
            .arg("source", f.source)
            .arg("record", f.record);
            if let Some(s) = f.seq {
                e = e.arg("seq", s);
            }
            if let Some(fr) = f.frame {
                e = e.arg("frame", fr);
            }
            e.error = f.severity == traces::check::Severity::Error;
            self.emit(e)?;
        }
        Ok(())
    }
}

/// The file name of a program path.
fn program(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

/// (pid, fd) of the requests `request-leak` findings name.
fn check_leaks(findings: &[Finding]) -> FxHashSet<(u32, i32)> {
    findings
        .iter()
        .filter(|f| f.rule == "request-leak")
        .filter_map(|f| Some((f.pid?, f.request_fd?)))
        .collect()
}

/// A buffer index as the model has it now: (context, buffer type, index), state, mappings,
/// exported fds, since when, error flag.
type BufNow = ((u64, u32, u32), BufState, u32, u32, u64, bool);

/// The track of one buffer index.
fn buffer_track((ctx, bt, index): (u64, u32, u32)) -> TrackId {
    space::BUFFER | ctx << 24 | (bt as u64) << 16 | index as u64
}
