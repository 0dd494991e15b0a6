//! Buffer rules: videobuf2's queue life (REQBUFS, CREATE_BUFS, REMOVE_BUFS, S_FMT, QBUF, DQBUF,
//! STREAMON/OFF, mmap, EXPBUF) as `drivers/media/common/videobuf2/videobuf2-core.c` enforces it.
//!
//! * `reqbufs-busy` (error): REQBUFS on a streaming queue (the kernel answers EBUSY: "streaming
//!   active"), or any REQBUFS that failed with EBUSY, with the queue's buffers at that moment (the
//!   resolution-change probe pattern);
//! * `reqbufs-orphans` (warning): REQBUFS(0) freeing buffers still mapped or exported: their
//!   memory lives on, orphaned, until unmapped and closed;
//! * `fmt-busy`, `create-bufs-busy` (error): S_FMT / CREATE_BUFS answered EBUSY, with the census;
//! * `remove-bufs-busy` (error): REMOVE_BUFS over buffers still queued;
//! * `qbuf-queued` (error): QBUF of a buffer already queued (or in a request);
//! * `capture-never-returned` (warning): a CAPTURE buffer queued while more than a whole queue's
//!   worth of other CAPTURE buffers came back, still not dequeued when streaming stopped, the
//!   context closed or the trace ended;
//! * `dqbuf-busy-poll` (warning): a run of DQBUF calls answered EAGAIN without a poll between;
//! * `exit-mappings` (note): buffers still mapped or exported when their process exited.

use rustc_hash::FxHashMap as HashMap;

use super::decode::{self, EAGAIN, EBUSY};
use super::{At, Facts, Severity, Sink};
use crate::pool::state::Side;
use crate::pool::{BufState, Context, CtxId, PoolModel, Queue};
use crate::record::{Ioctl, Record};

const VB2: &str = "drivers/media/common/videobuf2/videobuf2-core.c";
/// DQBUF EAGAIN runs at least this long are reported.
pub const BUSY_POLL_RUN: u64 = 50;

#[derive(Debug, Clone, Copy)]
struct Run {
    count: u64,
    first: At,
    last_ts: u64,
}

/// What one context's CAPTURE queue needs beyond the pool model.
#[derive(Debug, Default)]
struct Cap {
    /// CAPTURE DQBUFs so far.
    dequeued: u64,
    /// Per buffer index: `(dequeued count, frame)` when it was last queued.
    queued_at: Vec<Option<(u64, u64)>>,
}

/// The buffer rules' state.
#[derive(Debug, Default)]
pub struct State {
    runs: HashMap<(u32, i32), Run>,
    caps: HashMap<CtxId, Cap>,
}

/// One line describing a queue's buffers.
pub fn census(q: &Queue) -> String {
    let (mut queued, mut held, mut mapped, mut exported) = (0, 0, 0, 0);
    let mut each = Vec::new();
    for b in &q.buffers {
        if b.state.is_busy() {
            queued += 1;
        }
        if matches!(b.state, BufState::Done | BufState::Held) {
            held += 1;
        }
        if b.mapped > 0 {
            mapped += 1;
        }
        if b.exported > 0 {
            exported += 1;
        }
        if each.len() < 32 {
            let mut d = format!("{}:{}", b.index, b.state.label());
            if b.mapped > 0 {
                d.push_str("+mapped");
            }
            if b.exported > 0 {
                d.push_str("+exported");
            }
            each.push(d);
        }
    }
    format!(
        "{} buffers, {queued} queued, {held} held, {mapped} mapped, {exported} exported{} [{}]",
        q.buffers.len(),
        if q.streaming { ", streaming" } else { "" },
        each.join(" ")
    )
}

/// The queue of `buf_type` on the context `io` was issued on (`None` before it has any state).
fn queue<'a>(m: &'a PoolModel, fx: &Facts, buf_type: u32) -> Option<(CtxId, &'a Queue)> {
    let c = fx.ctx(m)?;
    Some((c.id, c.queues.get(&buf_type)?))
}

impl State {
    /// Entries kept (for [`super::Checker::in_flight`]).
    pub fn tracked(&self) -> usize {
        self.runs.len()
            + self
                .caps
                .values()
                .map(|c| 1 + c.queued_at.len())
                .sum::<usize>()
    }

    pub(super) fn before(
        &mut self,
        m: &PoolModel,
        rec: &Record,
        fx: &Facts,
        at: &At,
        s: &mut Sink,
    ) {
        match rec {
            Record::Ioctl(io) if decode::is_video(io.request) => self.video(m, io, fx, at, s),
            Record::Poll(p) => {
                for f in &p.fds {
                    self.end_run(p.pid, f.fd, s);
                }
            }
            Record::Exit(e) if e.pid == e.tid => {
                let keys: Vec<(u32, i32)> =
                    self.runs.keys().filter(|k| k.0 == e.pid).copied().collect();
                for (pid, fd) in keys {
                    self.end_run(pid, fd, s);
                }
                for c in m
                    .contexts()
                    .filter(|c| c.pid == e.pid && c.closed.is_none())
                {
                    self.never_returned(c, "its process exited", at, s);
                    exit_mappings(c, at, s);
                }
            }
            Record::End(_) => self.end_of_trace(m, at, s),
            _ => {}
        }
    }

    pub(super) fn after(&mut self, m: &PoolModel, rec: &Record, fx: &Facts, at: &At, s: &mut Sink) {
        match rec {
            Record::Ioctl(io) if io.errno().is_none() => {
                let qbuf = io.request == decode::VIDIOC_QBUF;
                if !qbuf && io.request != decode::VIDIOC_DQBUF {
                    return;
                }
                let b = fx.buf;
                let Some(b) = b.filter(|b| Side::of(b.buf_type) == Side::Capture) else {
                    return;
                };
                let Some(c) = fx.ctx(m) else {
                    return;
                };
                let cap = self.caps.entry(c.id).or_default();
                let i = b.index as usize;
                if i >= 1024 {
                    return;
                }
                if cap.queued_at.len() <= i {
                    cap.queued_at.resize(i + 1, None);
                }
                if qbuf {
                    cap.queued_at[i] = Some((cap.dequeued, at.frames_before));
                } else {
                    cap.dequeued += 1;
                    cap.queued_at[i] = None;
                }
            }
            Record::Close(c) => {
                // A context whose last fd this was: judge its CAPTURE queue as it was left.
                let closed: Vec<CtxId> = self
                    .caps
                    .keys()
                    .filter(|id| {
                        m.context(**id)
                            .is_none_or(|x| x.closed.is_some() && x.pid == c.pid)
                    })
                    .copied()
                    .collect();
                for id in closed {
                    if let Some(ctx) = m.context(id) {
                        self.never_returned(ctx, "its device fd was closed", at, s);
                    }
                    self.caps.remove(&id);
                }
            }
            _ => {}
        }
    }

    pub(super) fn end_of_trace(&mut self, m: &PoolModel, at: &At, s: &mut Sink) {
        let keys: Vec<(u32, i32)> = self.runs.keys().copied().collect();
        for (pid, fd) in keys {
            self.end_run(pid, fd, s);
        }
        for c in m.contexts().filter(|c| c.closed.is_none()) {
            self.never_returned(c, "the trace ended", at, s);
        }
    }

    fn video(&mut self, m: &PoolModel, io: &Ioctl, fx: &Facts, at: &At, s: &mut Sink) {
        let errno = io.errno();
        match io.request {
            decode::VIDIOC_REQBUFS => {
                let Some((count, t)) = decode::reqbufs(io) else {
                    return;
                };
                let Some((_, q)) = queue(m, fx, t) else {
                    return;
                };
                let side = Side::of(t).name();
                if q.streaming || errno == Some(EBUSY) {
                    let outcome = match errno {
                        Some(e) => format!("failed with {}", crate::pool::errno_name(e)),
                        None => "succeeded (unexpectedly)".into(),
                    };
                    s.push(
                        at,
                        Severity::Error,
                        "reqbufs-busy",
                        None,
                        format!("VIDIOC_REQBUFS({side}, {count}) {outcome} while the queue held {}", census(q)),
                        "vb2_core_reqbufs refuses with EBUSY while the queue is streaming (\"streaming active\"). \
                         Stop streaming first (STREAMOFF returns every queued buffer), drop the mappings and \
                         exported fds, then REQBUFS(0): otherwise the old buffers stay and the new size never \
                         applies (the resolution-change probe pattern).",
                        VB2,
                    );
                    if q.side() == Side::Capture {
                        if let Some(c) = fx.ctx(m) {
                            self.never_returned(c, "REQBUFS tried to free it", at, s);
                        }
                    }
                } else if count == 0 && errno.is_none() {
                    let mapped = q
                        .buffers
                        .iter()
                        .filter(|b| b.mapped > 0 || b.exported > 0)
                        .count();
                    if mapped > 0 {
                        s.push(
                            at,
                            Severity::Warning,
                            "reqbufs-orphans",
                            None,
                            format!(
                                "VIDIOC_REQBUFS({side}, 0) freed {mapped} buffers still mapped or exported ({})",
                                census(q)
                            ),
                            "vb2 \"orphans\" buffers whose memory is still mapped or exported: the memory stays \
                             allocated until the last mapping and dma-buf fd go, so a resolution change can run \
                             out of memory. munmap and close the exported fds first.",
                            VB2,
                        );
                    }
                }
            }
            decode::VIDIOC_S_FMT if errno == Some(EBUSY) => {
                let Some((t, w, h, fourcc)) = decode::format_passed(io) else {
                    return;
                };
                let Some(c) = fx.ctx(m) else {
                    return;
                };
                // Drivers check the queue itself and, for OUTPUT, the CAPTURE queue it sizes.
                let queues: Vec<String> = c
                    .queues
                    .values()
                    .filter(|q| !q.buffers.is_empty())
                    .map(|q| format!("{}: {}", q.side().name(), census(q)))
                    .collect();
                s.push(
                    at,
                    Severity::Error,
                    "fmt-busy",
                    None,
                    format!(
                        "VIDIOC_S_FMT({}, {} {w}x{h}) failed with EBUSY while buffers were allocated ({})",
                        Side::of(t).name(),
                        decode::fourcc(fourcc),
                        if queues.is_empty() { "none seen".to_string() } else { queues.join("; ") }
                    ),
                    "Drivers refuse a format change while buffers are allocated (vb2_is_busy): free them with \
                     STREAMOFF and REQBUFS(0) first.",
                    "Documentation/userspace-api/media/v4l/vidioc-g-fmt.rst; drivers/media/platform/verisilicon/\
                     hantro_v4l2.c (vb2_is_busy)",
                );
            }
            decode::VIDIOC_CREATE_BUFS if errno == Some(EBUSY) => {
                let Some((_index, count, _memory, t)) = decode::create_bufs(io) else {
                    return;
                };
                let Some((_, q)) = queue(m, fx, t) else {
                    return;
                };
                s.push(
                    at,
                    Severity::Error,
                    "create-bufs-busy",
                    None,
                    format!(
                        "VIDIOC_CREATE_BUFS({}, {count}) failed with EBUSY while the queue held {}",
                        Side::of(t).name(),
                        census(q)
                    ),
                    "CREATE_BUFS is refused while another fd waits in DQBUF or file I/O is active.",
                    VB2,
                );
            }
            decode::VIDIOC_REMOVE_BUFS => {
                let Some((index, count, t)) = decode::remove_bufs(io) else {
                    return;
                };
                let Some((_, q)) = queue(m, fx, t) else {
                    return;
                };
                let busy: Vec<String> = q
                    .buffers
                    .iter()
                    .skip(index as usize)
                    .take(count as usize)
                    .filter(|b| b.state.is_busy())
                    .map(|b| b.index.to_string())
                    .collect();
                if !busy.is_empty() {
                    s.push(
                        at,
                        Severity::Error,
                        "remove-bufs-busy",
                        None,
                        format!(
                            "VIDIOC_REMOVE_BUFS({}, index {index}, count {count}) over buffers still queued: {}",
                            Side::of(t).name(),
                            busy.join(", ")
                        ),
                        "vb2_core_remove_bufs answers EBUSY when a buffer in the range is not dequeued.",
                        VB2,
                    );
                }
            }
            decode::VIDIOC_QBUF => {
                let Some(b) = fx.buf else {
                    return;
                };
                let Some((_, q)) = queue(m, fx, b.buf_type) else {
                    return;
                };
                let Some(buf) = q.buffers.get(b.index as usize) else {
                    return;
                };
                if buf.state.is_busy() {
                    s.push(
                        at,
                        Severity::Error,
                        "qbuf-queued",
                        None,
                        format!(
                            "VIDIOC_QBUF({} {}) of a buffer already {}{}",
                            Side::of(b.buf_type).name(),
                            b.index,
                            buf.state.label(),
                            match errno {
                                Some(e) => format!("; failed with {}", crate::pool::errno_name(e)),
                                None => String::new(),
                            }
                        ),
                        "A buffer can be queued once until it is dequeued: vb2 refuses the second QBUF \
                         (\"buffer already queued\" / invalid state), and the client's idea of which buffers \
                         are free is wrong.",
                        VB2,
                    );
                }
            }
            decode::VIDIOC_DQBUF => {
                if errno == Some(EAGAIN) {
                    let ts = at.ts.unwrap_or(0);
                    let r = self.runs.entry((io.pid, io.fd)).or_insert(Run {
                        count: 0,
                        first: *at,
                        last_ts: ts,
                    });
                    r.count += 1;
                    r.last_ts = ts;
                } else {
                    self.end_run(io.pid, io.fd, s);
                }
            }
            decode::VIDIOC_STREAMOFF => {
                if let Some(c) = fx.ctx(m) {
                    let t = crate::ioctl::decode(
                        io.request,
                        if io.before.is_empty() {
                            &io.after
                        } else {
                            &io.before
                        },
                    );
                    let capture = matches!(t, Ok(crate::ioctl::Arg::Int(v)) if Side::of(v as u32) == Side::Capture)
                        || matches!(t, Ok(crate::ioctl::Arg::U32(v)) if Side::of(v) == Side::Capture);
                    if capture {
                        self.never_returned(c, "streaming stopped", at, s);
                    }
                }
            }
            _ => {}
        }
    }

    fn end_run(&mut self, pid: u32, fd: i32, s: &mut Sink) {
        let Some(r) = self.runs.remove(&(pid, fd)) else {
            return;
        };
        if r.count < BUSY_POLL_RUN {
            return;
        }
        let ms = r.last_ts.saturating_sub(r.first.ts.unwrap_or(0)) as f64 / 1e6;
        s.push(
            &r.first,
            Severity::Warning,
            "dqbuf-busy-poll",
            Some(r.first.frames_before.saturating_sub(1)),
            format!("{} VIDIOC_DQBUF calls on fd {fd} answered EAGAIN in a row over {ms:.1} ms, no poll between", r.count),
            "Busy-polling a non-blocking queue burns a CPU while the hardware decodes: poll() the video fd (or the \
             request fd) for POLLIN and dequeue when it is ready.",
            "Documentation/userspace-api/media/v4l/vidioc-qbuf.rst (EAGAIN); func-poll.rst",
        );
    }

    fn never_returned(&mut self, c: &Context, why: &str, at: &At, s: &mut Sink) {
        let Some(cap) = self.caps.get_mut(&c.id) else {
            return;
        };
        let Some(q) = c.queue(Side::Capture) else {
            return;
        };
        let n = q.buffers.len() as u64;
        for b in q.buffers.iter().filter(|b| b.state == BufState::Queued) {
            let Some(Some((dq_at, frame))) = cap.queued_at.get(b.index as usize).copied() else {
                continue;
            };
            let others = cap.dequeued.saturating_sub(dq_at);
            if others > n {
                s.push(
                    &At { pid: Some(c.pid), ..*at },
                    Severity::Warning,
                    "capture-never-returned",
                    Some(frame),
                    format!(
                        "CAPTURE buffer {} queued at frame {frame} never came back: {others} other CAPTURE buffers were \
                         dequeued meanwhile, and then {why}",
                        b.index
                    ),
                    "The decoder fills CAPTURE buffers in queue order, so a buffer that stays queued while more than \
                     a queue's worth of others come back was decoded into and never dequeued (a DQBUF that failed \
                     and was not retried), or the driver lost it.",
                    "Documentation/userspace-api/media/v4l/dev-stateless-decoder.rst (Decoding)",
                );
                cap.queued_at[b.index as usize] = None;
            }
        }
    }
}

fn exit_mappings(c: &Context, at: &At, s: &mut Sink) {
    let (mut mapped, mut exported) = (0u32, 0u32);
    for q in c.queues.values() {
        for b in &q.buffers {
            mapped += u32::from(b.mapped > 0);
            exported += u32::from(b.exported > 0);
        }
    }
    if mapped + exported == 0 {
        return;
    }
    s.push(
        at,
        Severity::Note,
        "exit-mappings",
        None,
        format!("{mapped} buffers of {} still mapped and {exported} exported when the process exited", c.path),
        "The kernel releases them at exit; a long-lived client that leaves mappings or dma-buf fds behind keeps \
         buffer memory alive and makes the next REQBUFS(0) orphan buffers.",
        VB2,
    );
}
