//! Request rules: the media request's life (MEDIA_IOC_REQUEST_ALLOC, bind, QUEUE, complete,
//! REINIT, close) as `Documentation/userspace-api/media/mediactl/request-api.rst` defines it.
//!
//! * `request-leak` (error): a request queued, completed, and never REINIT'd before its fd was
//!   closed or its process or the trace ended: the slot dropped out of the client's pool;
//! * `request-closed-in-flight` (warning): closed while still queued (never completed);
//! * `request-starved` (error): every live request of a process completed and held, none
//!   REINIT'd: no slot is free from the frame after the last one queued;
//! * `request-op-failed` (error): MEDIA_REQUEST_IOC_QUEUE or REINIT failed;
//! * `request-requeued` (error): QUEUE of a request still queued or completed (no REINIT);
//! * `request-busy-update` (error): controls set, or a buffer queued, into a request that is
//!   queued or completed and not reinitialised;
//! * `request-no-buffer` (error): QUEUE of a request without an OUTPUT buffer.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::decode::{self, EBUSY, ENOENT};
use super::{At, Facts, Severity, Sink};
use crate::pool::{PoolModel, ReqId, ReqState, Request};
use crate::record::{Ioctl, Record};

const DOC: &str = "Documentation/userspace-api/media/mediactl/request-api.rst";
const DOC_REINIT: &str = "Documentation/userspace-api/media/mediactl/media-request-ioc-reinit.rst";
const DOC_QUEUE: &str = "Documentation/userspace-api/media/mediactl/media-request-ioc-queue.rst";

/// What the request rules keep per request.
#[derive(Debug, Clone, Default)]
struct Req {
    /// The frame of the OUTPUT buffer queued into it since the last REINIT.
    frame: Option<u64>,
    /// Set by a successful QUEUE (the frame it carried), cleared by REINIT.
    queued_frame: Option<u64>,
    has_buffer: bool,
}

/// The request rules' state: per open request, and the processes already found starved.
#[derive(Debug, Default)]
pub struct State {
    reqs: HashMap<ReqId, Req>,
    starved: HashSet<u32>,
    /// A request fd being closed: judged once the model says whether it was the last fd.
    closing: Option<Request>,
}

fn held(r: &Request) -> bool {
    matches!(r.state, ReqState::Queued | ReqState::Complete)
}

impl State {
    /// Entries kept (for [`super::Checker::in_flight`]).
    pub fn tracked(&self) -> usize {
        self.reqs.len() + self.starved.len()
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
            Record::Ioctl(io) if decode::is_request(io.request) => {
                self.request_call(m, io, fx, at, s)
            }
            Record::Ioctl(io) if io.request == decode::VIDIOC_S_EXT_CTRLS => {
                let Some(x) = fx.ctrls.as_ref() else {
                    return;
                };
                if x.which != decode::CTRL_WHICH_REQUEST_VAL {
                    return;
                }
                self.busy_update(
                    m,
                    io,
                    fx,
                    "controls set into".to_string(),
                    "A queued or completed request cannot be changed: the kernel answers EBUSY. The client \
                     reused a request fd it still thinks is free; REINIT it first.",
                    at,
                    s,
                );
            }
            Record::Ioctl(io) if io.request == decode::VIDIOC_QBUF => {
                let Some(b) = fx.buf else {
                    return;
                };
                if b.flags & decode::BUF_FLAG_REQUEST_FD == 0 {
                    return;
                }
                self.busy_update(
                    m,
                    io,
                    fx,
                    format!("buffer {} queued into", b.index),
                    "A queued or completed request takes no more objects: the kernel answers EBUSY. REINIT it \
                     before binding a new frame to it.",
                    at,
                    s,
                );
            }
            Record::Close(c) => {
                self.closing = m.request_by_fd(c.pid, c.fd).cloned();
                if let Some(r) = &self.closing {
                    if self
                        .reqs
                        .get(&r.id)
                        .is_some_and(|q| q.queued_frame.is_some())
                    {
                        self.starvation(m, r.pid, at, s);
                    }
                }
            }
            Record::Exit(e) if e.pid == e.tid => {
                self.starvation(m, e.pid, at, s);
                self.teardown(m, Some(e.pid), "its process exited", at, s);
            }
            Record::End(_) => self.end_of_trace(m, at, s),
            _ => {}
        }
    }

    pub(super) fn after(&mut self, m: &PoolModel, rec: &Record, fx: &Facts, at: &At, s: &mut Sink) {
        match rec {
            Record::Ioctl(io) if io.errno().is_none() => {
                if io.request == decode::VIDIOC_QBUF {
                    let Some(b) = fx.buf else {
                        return;
                    };
                    if b.flags & decode::BUF_FLAG_REQUEST_FD == 0 {
                        return;
                    }
                    if let Some(r) = fx.req(m) {
                        let q = self.reqs.entry(r.id).or_default();
                        q.has_buffer = true;
                        q.frame = Some(at.frames_before);
                    }
                } else if decode::is_request(io.request) {
                    let Some(r) = fx.req(m) else {
                        return;
                    };
                    let q = self.reqs.entry(r.id).or_default();
                    if io.request == decode::MEDIA_REQUEST_IOC_QUEUE {
                        q.queued_frame =
                            Some(q.frame.unwrap_or(at.frames_before.saturating_sub(1)));
                    } else if io.request == decode::MEDIA_REQUEST_IOC_REINIT {
                        *q = Req::default();
                    }
                }
            }
            Record::Close(_) => {
                if let Some(r) = self.closing.take() {
                    let gone = m
                        .request(r.id)
                        .is_none_or(|now| matches!(now.state, ReqState::Closed | ReqState::Leaked));
                    if gone {
                        self.judge(&r, "its fd was closed", at, s);
                    }
                }
            }
            _ => {}
        }
    }

    /// Judges every request still open (of `pid`, or of every process) at a teardown.
    fn teardown(&mut self, m: &PoolModel, pid: Option<u32>, why: &str, at: &At, s: &mut Sink) {
        let open: Vec<Request> = m
            .requests()
            .filter(|r| pid.is_none_or(|p| p == r.pid))
            .filter(|r| !matches!(r.state, ReqState::Closed | ReqState::Leaked))
            .cloned()
            .collect();
        for r in open {
            self.judge(&r, why, at, s);
        }
    }

    /// The end of the trace (its End record, or where a cut trace stops).
    pub(super) fn end_of_trace(&mut self, m: &PoolModel, at: &At, s: &mut Sink) {
        let pids: HashSet<u32> = m.requests().map(|r| r.pid).collect();
        for pid in pids {
            self.starvation(m, pid, at, s);
        }
        self.teardown(m, None, "the trace ended", at, s);
    }

    /// A request whose last fd goes away (`r` as it was just before).
    fn judge(&mut self, r: &Request, why: &str, at: &At, s: &mut Sink) {
        let Some(q) = self.reqs.remove(&r.id) else {
            return;
        };
        let Some(frame) = q.queued_frame else { return };
        let at = At {
            pid: Some(r.pid),
            request_fd: Some(r.fd),
            ..*at
        };
        match r.state {
            ReqState::Complete => s.push(
                &at,
                Severity::Error,
                "request-leak",
                Some(frame),
                format!(
                    "request fd {} (queued with frame {frame}, completed) was never REINIT'd before {why}: \
                     its slot leaked",
                    r.fd
                ),
                "A completed request must be reinitialised (MEDIA_REQUEST_IOC_REINIT) before it can carry another \
                 frame. A client that skips it on an error path loses that slot for good; once every slot is lost \
                 decoding stops (the slot leak).",
                DOC_REINIT,
            ),
            ReqState::Queued | ReqState::Bound => s.push(
                &at,
                Severity::Warning,
                "request-closed-in-flight",
                Some(frame),
                format!("request fd {} (queued with frame {frame}) was still in flight when {why}", r.fd),
                "Closing a queued request does not cancel it: the frame is decoded into a CAPTURE buffer nobody \
                 waits for. Drain (wait for completion, DQBUF) before tearing down.",
                DOC,
            ),
            _ => {}
        }
    }

    /// `request-starved`: every live request of `pid` completed and held (never REINIT'd).
    fn starvation(&mut self, m: &PoolModel, pid: u32, at: &At, s: &mut Sink) {
        if self.starved.contains(&pid) {
            return;
        }
        let mut n = 0;
        let mut last = None;
        for r in m
            .requests()
            .filter(|r| r.pid == pid && !matches!(r.state, ReqState::Closed | ReqState::Leaked))
        {
            let Some(f) = self.reqs.get(&r.id).and_then(|q| q.queued_frame) else {
                return;
            };
            if r.state != ReqState::Complete {
                return;
            }
            n += 1;
            last = last.max(Some(f));
        }
        let Some(last) = last else { return };
        self.starved.insert(pid);
        let from = last + 1;
        s.push(
            &At { pid: Some(pid), ..*at },
            Severity::Error,
            "request-starved",
            Some(from),
            format!(
                "all {n} requests of the pool are completed and held, none REINIT'd: no request is free from frame \
                 {from} on (starvation)"
            ),
            "Every request the process allocated was queued and completed and none was reinitialised, so no \
             request can carry the next frame: decoding stops. See the request-leak findings for each slot.",
            DOC,
        );
    }

    fn request_call(&mut self, m: &PoolModel, io: &Ioctl, fx: &Facts, at: &At, s: &mut Sink) {
        let queue = io.request == decode::MEDIA_REQUEST_IOC_QUEUE;
        let reinit = io.request == decode::MEDIA_REQUEST_IOC_REINIT;
        if !queue && !reinit {
            return;
        }
        let r = fx.req(m);
        if queue {
            if let Some(r) = r.filter(|r| held(r)) {
                return s.push(
                    at,
                    Severity::Error,
                    "request-requeued",
                    None,
                    format!(
                        "request fd {} queued again while {} (queued{}), without REINIT{}",
                        r.fd,
                        r.state.label(),
                        self.frame_text(r.id),
                        failed_text(io)
                    ),
                    "A request can be queued once; to reuse it, wait for completion and REINIT it. The client \
                     reused a request fd it still considers busy elsewhere, or lost track of its slots.",
                    DOC_QUEUE,
                );
            }
            let has_buffer = r.is_some_and(|r| self.reqs.get(&r.id).is_some_and(|q| q.has_buffer));
            if r.is_some() && !has_buffer {
                return s.push(
                    at,
                    Severity::Error,
                    "request-no-buffer",
                    None,
                    format!("request fd {} queued without an OUTPUT buffer{}", io.fd, failed_text(io)),
                    "A decoder request must hold exactly one OUTPUT buffer (QBUF with V4L2_BUF_FLAG_REQUEST_FD): \
                     the driver's request_validate answers ENOENT otherwise.",
                    "Documentation/userspace-api/media/v4l/dev-stateless-decoder.rst (Decoding); \
                     drivers/media/test-drivers/visl/visl-video.c visl_request_validate",
                );
            }
        }
        let Some(errno) = io.errno() else { return };
        let op = if queue {
            "MEDIA_REQUEST_IOC_QUEUE"
        } else {
            "MEDIA_REQUEST_IOC_REINIT"
        };
        let why = match (queue, errno) {
            (false, EBUSY) => {
                "REINIT answers EBUSY while the request is queued and not completed: wait for completion (poll the \
                 request fd) before reinitialising."
            }
            (true, EBUSY) => "QUEUE answers EBUSY when the request is already queued or completed.",
            (true, ENOENT) => "QUEUE answers ENOENT when the request holds no buffer (or required data).",
            (true, _) => {
                "The request was refused (its controls or buffer did not validate): it stays unqueued and must be \
                 REINIT'd or closed, or its slot leaks."
            }
            (false, _) => {
                "A request that cannot be reinitialised must be closed and re-allocated, or its slot is lost."
            }
        };
        s.push(
            at,
            Severity::Error,
            "request-op-failed",
            None,
            format!(
                "{op} on request fd {} failed with {}",
                io.fd,
                crate::pool::errno_name(errno)
            ),
            why,
            if queue { DOC_QUEUE } else { DOC_REINIT },
        );
    }

    /// `request-busy-update`: `what` (a control set or a buffer queued) went into the request the
    /// call names while that request is queued or complete.
    #[allow(clippy::too_many_arguments)]
    fn busy_update(
        &self,
        m: &PoolModel,
        io: &Ioctl,
        fx: &Facts,
        what: String,
        fix: &'static str,
        at: &At,
        s: &mut Sink,
    ) {
        let Some(r) = fx.req(m).filter(|r| held(r)) else {
            return;
        };
        s.push(
            at,
            Severity::Error,
            "request-busy-update",
            None,
            format!(
                "{what} request fd {} while it is {} (queued{}, not reinitialised){}",
                r.fd,
                r.state.label(),
                self.frame_text(r.id),
                failed_text(io)
            ),
            fix,
            DOC,
        );
    }

    fn frame_text(&self, id: ReqId) -> String {
        match self.reqs.get(&id).and_then(|q| q.queued_frame) {
            Some(f) => format!(" with frame {f}"),
            None => String::new(),
        }
    }
}

/// `; the call failed with EBUSY` when it did.
fn failed_text(io: &Ioctl) -> String {
    match io.errno() {
        Some(e) => format!("; the call failed with {}", crate::pool::errno_name(e)),
        None => String::new(),
    }
}
