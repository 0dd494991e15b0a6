//! The pool-state model: turns a trace's records, one by one, into the state of every decoder's
//! buffer pools and media requests, so the TUI, replay reports and checks all see the same thing.
//!
//! [`PoolModel::apply`] takes each [`Record`] in order and keeps:
//! * per process, its fds and what they refer to (an open video node = a [`Context`], a media
//!   device, a request, an exported dma-buf) and its mmaps of device buffers, in the shared
//!   process/fd model ([`crate::procs`]: dup, fork, exec with close-on-exec, thread and process
//!   exit follow the kernel's rules there);
//! * per context, its queues ([`Queue`], OUTPUT/CAPTURE, single- or multi-planar) and each buffer
//!   index's [`BufState`] with how many mappings and exported fds it has;
//! * every media [`Request`] from MEDIA_IOC_REQUEST_ALLOC to close, with the OUTPUT buffer it was
//!   last queued with; requests left failed at the end are [`ReqState::Leaked`];
//! * errors counted by (ioctl, errno), [`Notable`] events (REQBUFS/S_FMT answered EBUSY with the
//!   queue's state at that moment, failed and leaked requests, lost events) and per-second
//!   [`Rates`].
//!
//! [`PoolModel::snapshot`] gives a self-contained view for display. Malformed records are
//! counted, never a panic. Arguments are read through the ioctl catalogue's decoders.
//!
//! Also here: [`describe`], compact one-line record descriptions for narrow logs, and [`synth`],
//! hand-built records (and a sample trace with a leak and an EBUSY) for tests and benchmarks.

pub(crate) mod args;
pub mod describe;
mod ioctls;
pub mod rates;
pub mod snapshot;
pub mod state;
#[cfg(any(test, feature = "testing"))]
pub mod synth;

use std::collections::{BTreeMap, HashMap, VecDeque};

use rustc_hash::FxHashMap;

use crate::dump::{self, FdKind, FdNames};
use crate::procs::{Procs, Released, O_CLOEXEC};
use crate::record::{DeviceInfo, EndReason, Header, Mmap, Record};

pub use rates::{Rates, SecondStats};
pub use snapshot::{ContextView, ErrorView, QueueView, RequestView, SlotView, Snapshot};
pub use state::{
    BufState, Buffer, Context, CtxId, LeakReason, Queue, ReqId, ReqState, Request, Side,
};

/// How many [`Notable`] events the model keeps (oldest dropped first).
pub const NOTABLE_KEEP: usize = 256;
/// How many seconds of [`Rates`] the model keeps.
pub const RATE_SECONDS: usize = 600;
/// How many closed contexts the model keeps for display (oldest dropped first).
pub const CLOSED_CONTEXTS_KEEP: usize = 8;
/// How many closed or leaked requests the model keeps (oldest dropped first), so a client that
/// allocates a request per frame does not grow the model without bound.
pub const ENDED_REQUESTS_KEEP: usize = 1024;

/// What an fd of a traced process refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FdRef {
    Video(CtxId),
    Media,
    Request(ReqId),
    DmaBuf(u64),
}

/// An fd of a traced process: what the model follows it as, if anything, and what it is by name
/// (the dump's [`FdKind`], so a viewer formats records from this table: [`FdNames`]).
#[derive(Debug, Clone, PartialEq, Eq)]
struct PoolFd {
    r: Option<FdRef>,
    name: Option<FdKind>,
}

/// An exported dma-buf: which buffer, and how many fds refer to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DmaBuf {
    ctx: CtxId,
    buf_type: u32,
    index: u32,
    refs: u32,
}

/// A mapping of a device buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mapping {
    len: u64,
    ctx: CtxId,
    buf_type: u32,
    index: u32,
}

/// A live mmap: the device buffer it maps, if the model knows it, and its name for display.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PoolMap {
    buf: Option<Mapping>,
    name: dump::Mapping,
}

/// An event worth pointing out, kept in [`PoolModel::notable`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notable {
    pub ts: u64,
    pub pid: u32,
    pub kind: NotableKind,
}

/// The state of a queue when a call on it failed with EBUSY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueCensus {
    /// Buffers allocated.
    pub buffers: u32,
    /// Buffers queued or in a pending request.
    pub queued: u32,
    /// Buffers dequeued and held by the application (CAPTURE) or done (OUTPUT).
    pub held: u32,
    /// Buffers with a live mmap.
    pub mapped: u32,
    /// Buffers with a live exported dma-buf fd.
    pub exported: u32,
    pub streaming: bool,
}

/// What a [`Notable`] event is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotableKind {
    /// REQBUFS failed with EBUSY (the CAPTURE-pool race): what was asked and the queue then.
    ReqbufsBusy {
        ctx: CtxId,
        buf_type: u32,
        asked: u32,
        census: QueueCensus,
    },
    /// S_FMT failed with EBUSY (the set-format-after-allocation trap).
    SetFmtBusy {
        ctx: CtxId,
        buf_type: u32,
        census: QueueCensus,
    },
    /// An operation on a request failed.
    RequestFailed {
        req: ReqId,
        fd: i32,
        op: &'static str,
        errno: i32,
    },
    /// A request was still failed, or had dropped out of its pool, when it was closed or its
    /// process or the trace ended.
    RequestLeaked {
        req: ReqId,
        fd: i32,
        reason: LeakReason,
    },
    /// The tracer lost events: the model may be wrong from here on.
    Lost { count: u64 },
}

impl NotableKind {
    /// A one-line description.
    pub fn describe(&self) -> String {
        match self {
            NotableKind::ReqbufsBusy {
                buf_type,
                asked,
                census: c,
                ..
            } => format!(
                "REQBUFS({asked}) {} EBUSY: {} bufs, {} queued, {} held, {} mapped, {} exported{}",
                Side::of(*buf_type).name(),
                c.buffers,
                c.queued,
                c.held,
                c.mapped,
                c.exported,
                if c.streaming { ", streaming" } else { "" }
            ),
            NotableKind::SetFmtBusy {
                buf_type,
                census: c,
                ..
            } => format!(
                "S_FMT {} EBUSY: {} bufs allocated, {} queued",
                Side::of(*buf_type).name(),
                c.buffers,
                c.queued
            ),
            NotableKind::RequestFailed { fd, op, errno, .. } => {
                format!("request fd {fd}: {op} failed with {}", errno_name(*errno))
            }
            NotableKind::RequestLeaked {
                fd,
                reason: LeakReason::Failed,
                ..
            } => {
                format!("request fd {fd} LEAKED (failed, never released)")
            }
            NotableKind::RequestLeaked {
                fd,
                reason: LeakReason::NeverRecycled,
                ..
            } => {
                format!("request fd {fd} LEAKED (never reinitialised while its pool cycled)")
            }
            NotableKind::Lost { count } => format!("{count} events lost"),
        }
    }
}

/// How often one ioctl failed with one errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCount {
    pub count: u64,
    pub first: u64,
    pub last: u64,
}

/// Whole-trace counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub records: u64,
    pub ioctls: u64,
    pub errors: u64,
    /// Records the model could not make sense of (short argument bytes, …).
    pub malformed: u64,
    /// Sum of `Lost::count`.
    pub lost: u64,
    pub output_qbufs: u64,
    pub capture_dqbufs: u64,
    pub requests_allocated: u64,
    pub requests_leaked: u64,
    pub reqbufs_ebusy: u64,
}

/// The pool-state model. Cheap to clone (players keep checkpoints for seeking back).
#[derive(Debug, Clone)]
pub struct PoolModel {
    devices: HashMap<String, DeviceInfo>,
    /// CLOCK_MONOTONIC at trace start (from the header).
    start_ns: u64,
    /// Every traced process's fds and mappings.
    procs: Procs<PoolFd, PoolMap>,
    contexts: BTreeMap<CtxId, Context>,
    ctx_refs: FxHashMap<CtxId, u32>,
    requests: BTreeMap<ReqId, Request>,
    req_refs: FxHashMap<ReqId, u32>,
    dmabufs: FxHashMap<u64, DmaBuf>,
    next_id: u64,
    errors: BTreeMap<(u32, i32), ErrorCount>,
    notable: VecDeque<Notable>,
    rates: Rates,
    totals: Totals,
    /// Buffers busy (queued or in a request) over all contexts.
    depth: u32,
    /// Successful MEDIA_REQUEST_IOC_QUEUEs so far (the clock [`Request::last_step`] counts in).
    queues: u64,
    /// Closed and leaked requests, oldest first, for pruning.
    ended_requests: VecDeque<ReqId>,
    first_ts: Option<u64>,
    now: u64,
    ended: Option<EndReason>,
}

impl Default for PoolModel {
    fn default() -> Self {
        PoolModel::new()
    }
}

impl PoolModel {
    /// An empty model.
    pub fn new() -> Self {
        PoolModel {
            devices: HashMap::new(),
            start_ns: 0,
            procs: Procs::new(),
            contexts: BTreeMap::new(),
            ctx_refs: FxHashMap::default(),
            requests: BTreeMap::new(),
            req_refs: FxHashMap::default(),
            dmabufs: FxHashMap::default(),
            next_id: 1,
            errors: BTreeMap::new(),
            notable: VecDeque::new(),
            rates: Rates::new(RATE_SECONDS),
            totals: Totals::default(),
            depth: 0,
            queues: 0,
            ended_requests: VecDeque::new(),
            first_ts: None,
            now: 0,
            ended: None,
        }
    }

    /// A model that knows the devices (driver and card names) listed in `header`.
    pub fn with_header(header: &Header) -> Self {
        let mut m = PoolModel::new();
        m.start_ns = header.start_monotonic_ns;
        for d in &header.devices {
            m.devices.insert(d.path.clone(), d.clone());
        }
        m
    }

    /// Applies one record.
    pub fn apply(&mut self, record: &Record) {
        self.totals.records += 1;
        if let Some(ts) = record.ts() {
            if self.first_ts.is_none() {
                self.first_ts = Some(ts);
                self.rates.start(ts);
            }
            self.now = self.now.max(ts);
        }
        // What the record did to fd tables and mappings (close, dup, fork, exec, exit, munmap, an
        // open reusing a number) is the process model's; what it released is released here.
        let released = self.procs.follow(record);
        let ts = record.ts().unwrap_or(self.now);
        match record {
            Record::Ioctl(io) => {
                self.now = self.now.max(io.ts_exit);
                self.apply_ioctl(io);
            }
            Record::Open(o) => {
                self.release_all(released, o.ts);
                if o.ret >= 0 && o.ret <= i32::MAX as i64 {
                    self.open(o.pid, o.ret as i32, &o.path, o.flags & O_CLOEXEC != 0, o.ts);
                }
            }
            Record::Dup(d) => {
                // The new fd is a copy of the old one's reference.
                if d.ret >= 0 && d.ret != d.old as i64 {
                    if let Some(r) = self.fd_ref(d.pid, d.ret as i32) {
                        self.add_ref(r);
                    }
                }
                self.release_all(released, d.ts);
            }
            Record::Mmap(m) => {
                if m.errno().is_none() {
                    self.mmap(m);
                }
            }
            Record::Poll(p) => {
                if p.ret > 0 {
                    for pfd in &p.fds {
                        if pfd.revents & args::POLLPRI != 0 {
                            if let Some(FdRef::Request(id)) = self.fd_ref(p.pid, pfd.fd) {
                                self.request_complete(id, p.ts_exit);
                            }
                        }
                    }
                }
            }
            Record::Fork(f) => {
                // A forked child holds copies of its parent's fds and mappings.
                if !f.is_thread {
                    let copies: Vec<FdRef> =
                        self.procs.fds(f.child).filter_map(|(_, f)| f.r).collect();
                    for r in copies {
                        self.add_ref(r);
                    }
                    let maps: Vec<Mapping> = self
                        .procs
                        .process(f.child)
                        .into_iter()
                        .flat_map(|p| p.maps().filter_map(|(_, m)| m.buf))
                        .collect();
                    for m in maps {
                        if let Some(b) = self.buffer_mut(m.ctx, m.buf_type, m.index) {
                            b.mapped += 1;
                        }
                    }
                }
                self.release_all(released, f.ts);
            }
            Record::Exit(e) => {
                if released.exited {
                    self.leak_check(Some(e.pid), e.ts);
                }
                self.release_all(released, e.ts);
            }
            Record::Lost(l) => {
                self.totals.lost += l.count;
                self.note(l.at, 0, NotableKind::Lost { count: l.count });
            }
            Record::Device(d) => {
                self.devices.insert(d.path.clone(), d.clone());
            }
            Record::End(e) => {
                self.ended = Some(e.reason);
                self.leak_check(None, e.ts);
            }
            Record::Close(_) | Record::Munmap(_) | Record::Exec(_) => {
                self.release_all(released, ts)
            }
            Record::Bitstream(_) | Record::Blob(_) | Record::Probe(_) | Record::Unknown { .. } => {}
        }
    }

    fn id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Remembers that request `id` ended (closed or leaked), dropping the oldest ended ones.
    fn request_ended(&mut self, id: ReqId) {
        self.ended_requests.push_back(id);
        while self.ended_requests.len() > ENDED_REQUESTS_KEEP {
            if let Some(old) = self.ended_requests.pop_front() {
                self.requests.remove(&old);
            }
        }
    }

    fn note(&mut self, ts: u64, pid: u32, kind: NotableKind) {
        if self.notable.len() == NOTABLE_KEEP {
            self.notable.pop_front();
        }
        self.notable.push_back(Notable { ts, pid, kind });
    }

    fn fd_ref(&self, pid: u32, fd: i32) -> Option<FdRef> {
        self.procs.get(pid, fd)?.r
    }

    fn fd_name(&self, pid: u32, fd: i32) -> Option<&FdKind> {
        self.procs.get(pid, fd)?.name.as_ref()
    }

    fn add_ref(&mut self, r: FdRef) {
        match r {
            FdRef::Video(c) => *self.ctx_refs.entry(c).or_insert(0) += 1,
            FdRef::Request(q) => *self.req_refs.entry(q).or_insert(0) += 1,
            FdRef::DmaBuf(d) => {
                if let Some(d) = self.dmabufs.get_mut(&d) {
                    d.refs += 1;
                }
            }
            FdRef::Media => {}
        }
    }

    /// Binds `fd` of `pid` to `r` named `name`, releasing what it referred to before (a missed
    /// close). Without a name (an fd learnt from its first call), the name it had stays.
    fn bind_fd(
        &mut self,
        pid: u32,
        fd: i32,
        r: Option<FdRef>,
        name: Option<FdKind>,
        cloexec: bool,
        ts: u64,
    ) {
        if let Some(r) = r {
            self.add_ref(r);
        }
        let name = name.or_else(|| self.fd_name(pid, fd).cloned());
        if let Some(old) = self
            .procs
            .insert(pid, fd, PoolFd { r, name }, cloexec)
            .and_then(|f| f.r)
        {
            self.release(old, ts);
        }
    }

    fn release(&mut self, r: FdRef, ts: u64) {
        match r {
            FdRef::Video(c) => {
                if dec(&mut self.ctx_refs, c) {
                    self.close_context(c, ts);
                }
            }
            FdRef::Request(q) => {
                if dec(&mut self.req_refs, q) {
                    if self
                        .requests
                        .get(&q)
                        .is_some_and(|r| self.never_recycled(r))
                    {
                        self.declare_leaked(q, LeakReason::NeverRecycled, ts);
                    }
                    let mut closed = false;
                    if let Some(req) = self.requests.get_mut(&q) {
                        if req.state != ReqState::Leaked {
                            req.state = ReqState::Closed;
                            req.since = ts;
                            closed = true;
                        }
                        req.failed = false;
                    }
                    if closed {
                        self.request_ended(q);
                    }
                }
            }
            FdRef::DmaBuf(d) => {
                let gone = match self.dmabufs.get_mut(&d) {
                    Some(b) => {
                        b.refs = b.refs.saturating_sub(1);
                        b.refs == 0
                    }
                    None => false,
                };
                if gone {
                    if let Some(b) = self.dmabufs.remove(&d) {
                        if let Some(buf) = self.buffer_mut(b.ctx, b.buf_type, b.index) {
                            buf.exported = buf.exported.saturating_sub(1);
                        }
                    }
                }
            }
            FdRef::Media => {}
        }
    }

    /// Releases the mappings, then the fds, the process model let go of.
    fn release_all(&mut self, released: Released<PoolFd, PoolMap>, ts: u64) {
        for (_, m) in released.maps {
            self.unmapped(m);
        }
        for r in released.fds.into_iter().filter_map(|(_, f)| f.r) {
            self.release(r, ts);
        }
    }

    fn unmapped(&mut self, m: PoolMap) {
        let Some(m) = m.buf else { return };
        if let Some(b) = self.buffer_mut(m.ctx, m.buf_type, m.index) {
            b.mapped = b.mapped.saturating_sub(1);
        }
    }

    /// Marks a context closed. Its buffers keep the states they had (a post-mortem view); they
    /// no longer count in the busy depth.
    fn close_context(&mut self, id: CtxId, ts: u64) {
        let mut freed = 0;
        if let Some(c) = self.contexts.get_mut(&id) {
            c.closed = Some(ts);
            c.last_active = ts;
            for q in c.queues.values_mut() {
                q.streaming = false;
                freed += q.busy() as u32;
            }
        }
        self.depth = self.depth.saturating_sub(freed);
        let closed: Vec<CtxId> = self
            .contexts
            .values()
            .filter(|c| c.closed.is_some())
            .map(|c| c.id)
            .collect();
        if closed.len() > CLOSED_CONTEXTS_KEEP {
            for id in &closed[..closed.len() - CLOSED_CONTEXTS_KEEP] {
                self.contexts.remove(id);
                self.ctx_refs.remove(id);
            }
        }
    }

    /// A successful open (the number's previous meaning is already released): a video node
    /// opens a new context.
    fn open(&mut self, pid: u32, fd: i32, path: &str, cloexec: bool, ts: u64) {
        let kind = FdKind::opened(path, &self.devices);
        let r = match kind {
            FdKind::Video { .. } => Some(FdRef::Video(self.new_context(
                pid,
                fd,
                path.to_string(),
                ts,
            ))),
            FdKind::Media { .. } => Some(FdRef::Media),
            _ => None,
        };
        self.bind_fd(pid, fd, r, Some(kind), cloexec, ts);
    }

    fn new_context(&mut self, pid: u32, fd: i32, path: String, ts: u64) -> CtxId {
        let id = self.id();
        let (driver, card) = self
            .devices
            .get(&path)
            .map(|d| (d.driver.clone(), d.card.clone()))
            .unwrap_or_default();
        self.contexts.insert(
            id,
            Context {
                id,
                pid,
                path,
                driver,
                card,
                fd,
                opened: ts,
                closed: None,
                last_active: ts,
                queues: BTreeMap::new(),
            },
        );
        id
    }

    /// A successful mmap: of a device buffer (found by its offset) or of anything else.
    fn mmap(&mut self, m: &Mmap) {
        let name = dump::Mapping::of(m, self.fd_name(m.pid, m.fd));
        let buf = self.map_buffer(m);
        // A mapping placed over an older one at the same address (MAP_FIXED) replaces it.
        if let Some(old) = self.procs.map(m.pid, m.ret, PoolMap { buf, name }) {
            self.unmapped(old);
        }
    }

    /// The buffer of a video fd that an mmap maps, counted as mapped.
    fn map_buffer(&mut self, m: &Mmap) -> Option<Mapping> {
        let Some(FdRef::Video(ctx)) = self.fd_ref(m.pid, m.fd) else {
            return None;
        };
        let c = self.contexts.get_mut(&ctx)?;
        c.last_active = m.ts;
        let (buf_type, b) = c.queues.values_mut().find_map(|q| {
            let t = q.buf_type;
            q.buffers
                .iter_mut()
                .find(|b| b.mem_offsets.iter().any(|&o| o as u64 == m.offset))
                .map(|b| (t, b))
        })?;
        b.mapped += 1;
        Some(Mapping {
            len: m.len,
            ctx,
            buf_type,
            index: b.index,
        })
    }

    fn buffer_mut(&mut self, ctx: CtxId, buf_type: u32, index: u32) -> Option<&mut Buffer> {
        self.contexts
            .get_mut(&ctx)?
            .queues
            .get_mut(&buf_type)?
            .buffers
            .get_mut(index as usize)
    }

    fn request_complete(&mut self, id: ReqId, ts: u64) {
        if let Some(r) = self.requests.get_mut(&id) {
            if r.state == ReqState::Queued {
                r.state = ReqState::Complete;
                r.since = ts;
            }
        }
    }

    /// Requests of `pid` not closed or leaked: the size of its request pool.
    fn pool_size(&self, pid: u32) -> u64 {
        self.requests
            .values()
            .filter(|r| r.pid == pid && !matches!(r.state, ReqState::Closed | ReqState::Leaked))
            .count() as u64
    }

    /// Whether `r` is in flight but its pool has been cycled through twice since it last moved
    /// (twice, so a client that allocates per frame and closes late is not flagged): it dropped
    /// out of the pool, a slot whose error path forgot to release it.
    pub fn never_recycled(&self, r: &Request) -> bool {
        matches!(
            r.state,
            ReqState::Bound | ReqState::Queued | ReqState::Complete
        ) && self.queues.saturating_sub(r.last_step) >= 2 * self.pool_size(r.pid).max(2)
    }

    fn declare_leaked(&mut self, id: ReqId, reason: LeakReason, ts: u64) {
        let Some(r) = self.requests.get_mut(&id) else {
            return;
        };
        if r.state == ReqState::Leaked {
            return;
        }
        r.state = ReqState::Leaked;
        r.leak = Some(reason);
        let (fd, pid) = (r.fd, r.pid);
        self.request_ended(id);
        self.totals.requests_leaked += 1;
        self.note(
            ts,
            pid,
            NotableKind::RequestLeaked {
                req: id,
                fd,
                reason,
            },
        );
    }

    /// Declares leaked every open request (of `pid`, or of everyone) that failed and was never
    /// released, or dropped out of its pool.
    fn leak_check(&mut self, pid: Option<u32>, ts: u64) {
        let leaked: Vec<(ReqId, LeakReason)> = self
            .requests
            .values()
            .filter(|r| pid.is_none_or(|p| p == r.pid))
            .filter(|r| !matches!(r.state, ReqState::Closed | ReqState::Leaked))
            .filter_map(|r| {
                if r.failed {
                    Some((r.id, LeakReason::Failed))
                } else if self.never_recycled(r) {
                    Some((r.id, LeakReason::NeverRecycled))
                } else {
                    None
                }
            })
            .collect();
        for (id, reason) in leaked {
            self.declare_leaked(id, reason, ts);
        }
    }

    // ---- read access -------------------------------------------------------------------------

    /// Every context still kept (open ones and the last few closed), by id.
    pub fn contexts(&self) -> impl Iterator<Item = &Context> {
        self.contexts.values()
    }

    /// One context.
    pub fn context(&self, id: CtxId) -> Option<&Context> {
        self.contexts.get(&id)
    }

    /// Every request seen, by id.
    pub fn requests(&self) -> impl Iterator<Item = &Request> {
        self.requests.values()
    }

    /// One request.
    pub fn request(&self, id: ReqId) -> Option<&Request> {
        self.requests.get(&id)
    }

    /// The open (not closed or leaked) request `fd` of `pid` refers to.
    pub fn request_by_fd(&self, pid: u32, fd: i32) -> Option<&Request> {
        match self.fd_ref(pid, fd)? {
            FdRef::Request(id) => self.requests.get(&id),
            _ => None,
        }
    }

    /// The context `fd` of `pid` refers to.
    pub fn context_by_fd(&self, pid: u32, fd: i32) -> Option<&Context> {
        match self.fd_ref(pid, fd)? {
            FdRef::Video(id) => self.contexts.get(&id),
            _ => None,
        }
    }

    /// Errors by (ioctl request number, errno).
    pub fn errors(&self) -> impl Iterator<Item = (u32, i32, &ErrorCount)> {
        self.errors.iter().map(|((r, e), c)| (*r, *e, c))
    }

    /// How often ioctl `name` failed with `errno`.
    pub fn error_count(&self, name: &str, errno: i32) -> u64 {
        self.errors
            .iter()
            .filter(|((r, e), _)| *e == errno && ioctl_name(*r) == name)
            .map(|(_, c)| c.count)
            .sum()
    }

    /// Notable events, oldest first.
    pub fn notable(&self) -> impl DoubleEndedIterator<Item = &Notable> {
        self.notable.iter()
    }

    pub fn rates(&self) -> &Rates {
        &self.rates
    }

    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Buffers busy now over all contexts.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// The latest timestamp seen (monotonic ns).
    pub fn now(&self) -> u64 {
        self.now
    }

    /// The first timestamp seen.
    pub fn first_ts(&self) -> Option<u64> {
        self.first_ts
    }

    /// Why the trace ended, once `End` was applied.
    pub fn ended(&self) -> Option<EndReason> {
        self.ended
    }

    /// The context most worth showing: the most recently active open one with buffers, else the
    /// most recently active one.
    pub fn focus(&self) -> Option<CtxId> {
        let with_bufs = |c: &&Context| c.queues.values().any(|q| !q.buffers.is_empty());
        let open = |c: &&Context| c.closed.is_none();
        self.contexts
            .values()
            .filter(open)
            .filter(with_bufs)
            .max_by_key(|c| c.last_active)
            .or_else(|| {
                self.contexts
                    .values()
                    .filter(with_bufs)
                    .max_by_key(|c| c.last_active)
            })
            .or_else(|| self.contexts.values().max_by_key(|c| c.last_active))
            .map(|c| c.id)
    }
}

/// The pool model keeps every fd's name next to what it follows it as, so a viewer formats
/// records ([`dump::format_record`]) from this one table.
impl FdNames for PoolModel {
    fn fd_kind(&self, pid: u32, fd: i32) -> Option<&FdKind> {
        self.fd_name(pid, fd)
    }

    fn mapping(&self, pid: u32, addr: u64) -> Option<&dump::Mapping> {
        self.procs.mapping(pid, addr).map(|m| &m.name)
    }

    fn start_ns(&self) -> u64 {
        self.start_ns
    }
}

/// Decrements a reference count; true when it reached zero (or was unknown).
fn dec(refs: &mut FxHashMap<u64, u32>, id: u64) -> bool {
    match refs.get_mut(&id) {
        Some(n) if *n > 1 => {
            *n -= 1;
            false
        }
        _ => {
            refs.remove(&id);
            true
        }
    }
}

/// The C name of an ioctl request number (from the ioctl catalogue).
pub fn ioctl_name(request: u32) -> String {
    args::name(request).into_owned()
}

/// The symbolic name of an errno (`EBUSY`, from [`crate::dump::errno_name`]), or `errno N`.
pub fn errno_name(errno: i32) -> String {
    match crate::dump::errno_name(errno) {
        Some(n) => n.to_string(),
        None => format!("errno {errno}"),
    }
}

#[cfg(test)]
mod tests;
