//! How each ioctl moves the pool model: V4L2 calls on video fds (buffers, formats, streaming,
//! request-bound controls), MEDIA_IOC_REQUEST_ALLOC on media fds, QUEUE/REINIT on request fds.

use super::args::{self, BufArg};
use super::state::{BufState, Buffer, CtxId, Queue, ReqId, ReqState, Request, Side};
use super::{ErrorCount, FdRef, NotableKind, PoolModel, QueueCensus};
use crate::dump::FdKind;
use crate::record::Ioctl;

use crate::ioctl::reqbufs::MAX_BUFFERS;

use crate::dump::{EBADF, EBUSY, ENOTTY};

/// Moves `b` to `state` at `ts`, keeping the global busy count `depth` in step.
fn set_state(depth: &mut u32, b: &mut Buffer, state: BufState, ts: u64) {
    match (b.state.is_busy(), state.is_busy()) {
        (false, true) => *depth += 1,
        (true, false) => *depth = depth.saturating_sub(1),
        _ => {}
    }
    b.state = state;
    b.since = ts;
}

/// The queue's state, for EBUSY reports.
pub(super) fn census(q: &Queue) -> QueueCensus {
    let mut c = QueueCensus {
        buffers: q.buffers.len() as u32,
        streaming: q.streaming,
        ..Default::default()
    };
    for b in &q.buffers {
        if b.state.is_busy() {
            c.queued += 1;
        }
        if matches!(b.state, BufState::Done | BufState::Held) {
            c.held += 1;
        }
        if b.mapped > 0 {
            c.mapped += 1;
        }
        if b.exported > 0 {
            c.exported += 1;
        }
    }
    c
}

fn queue_mut(model_ctx: &mut super::Context, buf_type: u32) -> &mut Queue {
    model_ctx
        .queues
        .entry(buf_type)
        .or_insert_with(|| Queue::new(buf_type))
}

/// The buffer `index` of `q`, growing the queue for buffers allocated before tracing started.
fn buffer_in(q: &mut Queue, index: u32, ts: u64) -> Option<&mut Buffer> {
    if index >= MAX_BUFFERS {
        return None;
    }
    while q.buffers.len() <= index as usize {
        let i = q.buffers.len() as u32;
        q.buffers.push(Buffer::new(i, ts));
    }
    q.buffers.get_mut(index as usize)
}

impl PoolModel {
    pub(super) fn apply_ioctl(&mut self, io: &Ioctl) {
        self.totals.ioctls += 1;
        let errno = io.errno();
        let ts = io.ts_exit.max(io.ts_enter);
        {
            let s = self.rates.at(io.ts_enter, self.depth);
            s.ioctls += 1;
            if errno.is_some() {
                s.errors += 1;
            }
        }
        if let Some(e) = errno {
            self.totals.errors += 1;
            let c = self.errors.entry((io.request, e)).or_insert(ErrorCount {
                count: 0,
                first: ts,
                last: ts,
            });
            c.count += 1;
            c.last = ts;
        }
        match args::ioc_type(io.request) {
            b'V' => self.video_ioctl(io, errno, ts),
            b'|' if args::ioc_nr(io.request) >= 0x80 => self.request_ioctl(io, errno, ts),
            b'|' => self.media_ioctl(io, errno, ts),
            _ => {}
        }
        let depth = self.depth;
        let s = self.rates.at(io.ts_enter, depth);
        s.depth_max = s.depth_max.max(depth);
    }

    /// The context `fd` of `pid` is, created on first sight for fds opened before tracing (unless
    /// the call says the fd is no V4L2 device at all: ENOTTY, EBADF).
    fn video_ctx(&mut self, pid: u32, fd: i32, ts: u64, errno: Option<i32>) -> Option<CtxId> {
        match self.fd_ref(pid, fd) {
            Some(FdRef::Video(id)) => Some(id),
            Some(_) => None,
            None if matches!(errno, Some(ENOTTY) | Some(EBADF)) || fd < 0 => None,
            None => {
                let id = self.new_context(pid, fd, format!("fd {fd}"), ts);
                self.bind_fd(pid, fd, Some(FdRef::Video(id)), None, false, ts);
                Some(id)
            }
        }
    }

    /// The request `fd` of `pid` is. An unknown fd becomes a request (one allocated before tracing
    /// started) only when the call on it succeeded (`ok`), so a bad fd passed to a failing call
    /// does not make a phantom request that would later look leaked.
    fn request_id(&mut self, pid: u32, fd: i32, ts: u64, ok: bool) -> Option<ReqId> {
        match self.fd_ref(pid, fd) {
            Some(FdRef::Request(id)) => Some(id),
            Some(_) => None,
            None if ok && fd >= 0 => Some(self.new_request(pid, fd, None, ts)),
            None => None,
        }
    }

    /// A request on `fd` of `pid`, named `name` when its allocation was seen.
    fn new_request(&mut self, pid: u32, fd: i32, name: Option<FdKind>, ts: u64) -> ReqId {
        let id = self.id();
        self.requests.insert(
            id,
            Request {
                id,
                pid,
                fd,
                state: ReqState::Allocated,
                since: ts,
                allocated: ts,
                has_controls: false,
                buffer: None,
                failed: false,
                reinit_failed: false,
                uses: 0,
                last_step: self.queues,
                leak: None,
            },
        );
        // The kernel makes every request fd close-on-exec (media_request_alloc).
        self.bind_fd(pid, fd, Some(FdRef::Request(id)), name, true, ts);
        id
    }

    fn request_failed(&mut self, id: ReqId, op: &'static str, errno: i32, ts: u64) {
        let Some(r) = self.requests.get_mut(&id) else {
            return;
        };
        r.failed = true;
        if op == "MEDIA_REQUEST_IOC_REINIT" {
            r.reinit_failed = true;
        }
        let (fd, pid) = (r.fd, r.pid);
        self.note(
            ts,
            pid,
            NotableKind::RequestFailed {
                req: id,
                fd,
                op,
                errno,
            },
        );
    }

    fn request_bound(&mut self, id: ReqId, ts: u64, f: impl FnOnce(&mut Request)) {
        let step = self.queues;
        if let Some(r) = self.requests.get_mut(&id) {
            f(r);
            r.failed = false;
            r.last_step = step;
            if matches!(
                r.state,
                ReqState::Allocated | ReqState::Reinit | ReqState::Complete
            ) {
                r.state = ReqState::Bound;
                r.since = ts;
            }
        }
    }

    fn video_ioctl(&mut self, io: &Ioctl, errno: Option<i32>, ts: u64) {
        let Some(ctx) = self.video_ctx(io.pid, io.fd, ts, errno) else {
            return;
        };
        if let Some(c) = self.contexts.get_mut(&ctx) {
            c.last_active = ts;
        }
        match io.request {
            args::VIDIOC_QUERYCAP if errno.is_none() => {
                let Some((driver, card)) = args::querycap(io) else {
                    return self.totals.malformed += 1;
                };
                if let Some(c) = self.contexts.get_mut(&ctx) {
                    if c.driver.is_empty() {
                        c.driver = driver;
                        c.card = card;
                    }
                }
            }
            args::VIDIOC_G_FMT | args::VIDIOC_S_FMT => {
                let Some((t, w, h, fourcc)) = args::format(io) else {
                    return self.totals.malformed += 1;
                };
                let Some(c) = self.contexts.get_mut(&ctx) else {
                    return;
                };
                match errno {
                    None => {
                        let q = queue_mut(c, t);
                        (q.fourcc, q.width, q.height) = (fourcc, w, h);
                    }
                    Some(EBUSY) if io.request == args::VIDIOC_S_FMT => {
                        let mut census = QueueCensus::default();
                        for q in c.queues.values() {
                            let one = super::ioctls::census(q);
                            census.buffers += one.buffers;
                            census.queued += one.queued;
                            census.held += one.held;
                            census.mapped += one.mapped;
                            census.exported += one.exported;
                            census.streaming |= one.streaming;
                        }
                        self.note(
                            ts,
                            io.pid,
                            NotableKind::SetFmtBusy {
                                ctx,
                                buf_type: t,
                                census,
                            },
                        );
                    }
                    Some(_) => {}
                }
            }
            args::VIDIOC_REQBUFS => self.reqbufs(io, ctx, errno, ts),
            args::VIDIOC_CREATE_BUFS if errno.is_none() => {
                let Some((index, count, memory, t)) = args::create_bufs(io) else {
                    return self.totals.malformed += 1;
                };
                let Some(c) = self.contexts.get_mut(&ctx) else {
                    return;
                };
                let q = queue_mut(c, t);
                q.memory = memory;
                if count > 0 {
                    let _ = buffer_in(q, index.saturating_add(count - 1), ts);
                }
            }
            args::VIDIOC_REMOVE_BUFS if errno.is_none() => {
                let Some((index, count, t)) = args::remove_bufs(io) else {
                    return self.totals.malformed += 1;
                };
                let Some(q) = self
                    .contexts
                    .get_mut(&ctx)
                    .and_then(|c| c.queues.get_mut(&t))
                else {
                    return;
                };
                let end = index.saturating_add(count) as usize;
                if end >= q.buffers.len() {
                    q.buffers.truncate(index as usize);
                } else {
                    for b in q
                        .buffers
                        .iter_mut()
                        .skip(index as usize)
                        .take(count as usize)
                    {
                        set_state(&mut self.depth, b, BufState::Free, ts);
                    }
                }
            }
            args::VIDIOC_QUERYBUF if errno.is_none() => {
                let Some(b) = args::buffer_after(io) else {
                    return self.totals.malformed += 1;
                };
                let offsets = if super::state::is_mplane(b.buf_type) {
                    args::plane_offsets(io)
                } else {
                    vec![b.mem_offset]
                };
                let Some(c) = self.contexts.get_mut(&ctx) else {
                    return;
                };
                let q = queue_mut(c, b.buf_type);
                if b.memory != 0 {
                    q.memory = b.memory;
                }
                if let Some(buf) = buffer_in(q, b.index, ts) {
                    buf.mem_offsets = offsets;
                }
            }
            args::VIDIOC_QBUF => self.qbuf(io, ctx, errno, ts),
            args::VIDIOC_DQBUF if errno.is_none() => {
                let Some(b) = args::buffer_after(io) else {
                    return self.totals.malformed += 1;
                };
                self.dqbuf(b, ctx, ts);
            }
            args::VIDIOC_EXPBUF if errno.is_none() => {
                let Some((t, index, _plane, fd)) = args::expbuf(io) else {
                    return self.totals.malformed += 1;
                };
                let Some(c) = self.contexts.get_mut(&ctx) else {
                    return;
                };
                let Some(buf) = buffer_in(queue_mut(c, t), index, ts) else {
                    return self.totals.malformed += 1;
                };
                buf.exported += 1;
                let id = self.id();
                self.dmabufs.insert(
                    id,
                    super::DmaBuf {
                        ctx,
                        buf_type: t,
                        index,
                        refs: 0,
                    },
                );
                let (name, cloexec) = match FdKind::created_by(io, self.fd_name(io.pid, io.fd)) {
                    Some((_, name, cloexec)) => (Some(name), cloexec),
                    None => (None, false),
                };
                self.bind_fd(io.pid, fd, Some(FdRef::DmaBuf(id)), name, cloexec, ts);
            }
            args::VIDIOC_STREAMON | args::VIDIOC_STREAMOFF if errno.is_none() => {
                let Some(t) = args::int_before(io) else {
                    return self.totals.malformed += 1;
                };
                let Some(c) = self.contexts.get_mut(&ctx) else {
                    return;
                };
                let q = queue_mut(c, t as u32);
                q.streaming = io.request == args::VIDIOC_STREAMON;
                q.freed_at_streamoff = false;
                if !q.streaming && q.busy() > 0 {
                    q.freed = Some((ts, q.buffers.clone()));
                    q.freed_at_streamoff = true;
                }
                if !q.streaming {
                    for b in &mut q.buffers {
                        if b.state.is_busy() {
                            set_state(&mut self.depth, b, BufState::Free, ts);
                        }
                    }
                }
            }
            args::VIDIOC_S_EXT_CTRLS => {
                let Some((which, _count, request_fd)) = args::ext_ctrls(io) else {
                    return self.totals.malformed += 1;
                };
                if which != args::CTRL_WHICH_REQUEST_VAL {
                    return;
                }
                let Some(id) = self.request_id(io.pid, request_fd, ts, errno.is_none()) else {
                    return;
                };
                match errno {
                    None => self.request_bound(id, ts, |r| r.has_controls = true),
                    Some(e) => self.request_failed(id, "VIDIOC_S_EXT_CTRLS", e, ts),
                }
            }
            _ => {}
        }
    }

    fn reqbufs(&mut self, io: &Ioctl, ctx: CtxId, errno: Option<i32>, ts: u64) {
        let Some(((asked, t, memory), got)) = args::reqbufs(io) else {
            return self.totals.malformed += 1;
        };
        let Some(c) = self.contexts.get_mut(&ctx) else {
            return;
        };
        let q = queue_mut(c, t);
        match errno {
            None => {
                let n = got.unwrap_or(asked).min(MAX_BUFFERS);
                let busy = q.busy() as u32;
                self.depth = self.depth.saturating_sub(busy);
                q.memory = memory;
                let old =
                    std::mem::replace(&mut q.buffers, (0..n).map(|i| Buffer::new(i, ts)).collect());
                if !old.is_empty() && !q.freed_at_streamoff {
                    q.freed = Some((ts, old));
                }
                q.freed_at_streamoff = false;
                if n == 0 {
                    q.streaming = false;
                }
            }
            Some(EBUSY) => {
                let census = census(q);
                self.totals.reqbufs_ebusy += 1;
                self.note(
                    ts,
                    io.pid,
                    NotableKind::ReqbufsBusy {
                        ctx,
                        buf_type: t,
                        asked,
                        census,
                    },
                );
            }
            Some(_) => {}
        }
    }

    fn qbuf(&mut self, io: &Ioctl, ctx: CtxId, errno: Option<i32>, ts: u64) {
        let Some(b) = args::buffer_before(io) else {
            return self.totals.malformed += 1;
        };
        let with_request = b.flags & args::BUF_FLAG_REQUEST_FD != 0;
        let req = if with_request {
            self.request_id(io.pid, b.request_fd, ts, errno.is_none())
        } else {
            None
        };
        if let Some(e) = errno {
            if let Some(id) = req {
                self.request_failed(id, "VIDIOC_QBUF", e, ts);
            }
            return;
        }
        let side = Side::of(b.buf_type);
        let Some(c) = self.contexts.get_mut(&ctx) else {
            return;
        };
        let q = queue_mut(c, b.buf_type);
        let Some(buf) = buffer_in(q, b.index, ts) else {
            return self.totals.malformed += 1;
        };
        let state = if req.is_some() {
            BufState::InRequest
        } else {
            BufState::Queued
        };
        set_state(&mut self.depth, buf, state, ts);
        buf.queued_count += 1;
        buf.timestamp_us = b.timestamp_us;
        buf.error = false;
        if req.is_some() {
            buf.request = req;
        }
        if side == Side::Output {
            self.totals.output_qbufs += 1;
            self.rates.at(io.ts_enter, self.depth).output_qbufs += 1;
        }
        if let Some(id) = req {
            let t = b.buf_type;
            let index = b.index;
            self.request_bound(id, ts, |r| r.buffer = Some((ctx, t, index)));
        }
    }

    fn dqbuf(&mut self, b: BufArg, ctx: CtxId, ts: u64) {
        let side = Side::of(b.buf_type);
        let Some(c) = self.contexts.get_mut(&ctx) else {
            return;
        };
        let q = queue_mut(c, b.buf_type);
        let Some(buf) = buffer_in(q, b.index, ts) else {
            return self.totals.malformed += 1;
        };
        let state = if side == Side::Capture {
            BufState::Held
        } else {
            BufState::Done
        };
        set_state(&mut self.depth, buf, state, ts);
        buf.error = b.flags & args::BUF_FLAG_ERROR != 0;
        buf.timestamp_us = b.timestamp_us;
        let req = buf.request;
        if side == Side::Capture {
            self.totals.capture_dqbufs += 1;
            self.rates.at(ts, self.depth).capture_dqbufs += 1;
        }
        if side == Side::Output {
            if let Some(id) = req {
                self.request_complete(id, ts);
            }
        }
    }

    fn media_ioctl(&mut self, io: &Ioctl, errno: Option<i32>, ts: u64) {
        if io.request == args::MEDIA_IOC_REQUEST_ALLOC && errno.is_none() {
            let Some(fd) = args::int_after(io) else {
                return self.totals.malformed += 1;
            };
            if fd < 0 {
                return self.totals.malformed += 1;
            }
            if !matches!(self.fd_ref(io.pid, io.fd), Some(FdRef::Media)) {
                self.bind_fd(io.pid, io.fd, Some(FdRef::Media), None, false, ts);
            }
            self.totals.requests_allocated += 1;
            let name = FdKind::created_by(io, self.fd_name(io.pid, io.fd)).map(|(_, name, _)| name);
            self.new_request(io.pid, fd, name, ts);
        }
    }

    fn request_ioctl(&mut self, io: &Ioctl, errno: Option<i32>, ts: u64) {
        let queue = io.request == args::MEDIA_REQUEST_IOC_QUEUE;
        let reinit = io.request == args::MEDIA_REQUEST_IOC_REINIT;
        if !queue && !reinit {
            return;
        }
        let Some(id) = self.request_id(io.pid, io.fd, ts, errno.is_none()) else {
            return;
        };
        if let Some(e) = errno {
            let op = if queue {
                "MEDIA_REQUEST_IOC_QUEUE"
            } else {
                "MEDIA_REQUEST_IOC_REINIT"
            };
            return self.request_failed(id, op, e, ts);
        }
        if queue {
            self.queues += 1;
        }
        let step = self.queues;
        let Some(r) = self.requests.get_mut(&id) else {
            return;
        };
        r.failed = false;
        r.since = ts;
        r.last_step = step;
        if queue {
            r.state = ReqState::Queued;
            r.uses += 1;
            if let Some((ctx, t, index)) = r.buffer {
                if let Some(buf) = self
                    .contexts
                    .get_mut(&ctx)
                    .and_then(|c| c.queues.get_mut(&t))
                    .and_then(|q| q.buffers.get_mut(index as usize))
                {
                    if buf.state == BufState::InRequest && buf.request == Some(id) {
                        set_state(&mut self.depth, buf, BufState::Queued, ts);
                    }
                }
            }
        } else {
            r.state = ReqState::Reinit;
            r.has_controls = false;
            r.reinit_failed = false;
        }
    }
}
