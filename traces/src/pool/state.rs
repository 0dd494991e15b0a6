//! The state the pool model keeps: open device contexts (one per open of a video node, since every
//! open of a mem2mem device is its own decoding context), their queues and buffers, request fds,
//! and the states each of them moves through.

use std::collections::BTreeMap;

/// Identifies one open of a video node for the model's whole life (fd numbers get reused).
pub type CtxId = u64;
/// Identifies one media request for the model's whole life (request fd numbers get reused).
pub type ReqId = u64;

/// `enum v4l2_buf_type` values the model distinguishes.
pub mod buf_type {
    pub use crate::ioctl::names::{
        BUF_TYPE_VIDEO_CAPTURE as VIDEO_CAPTURE,
        BUF_TYPE_VIDEO_CAPTURE_MPLANE as VIDEO_CAPTURE_MPLANE,
        BUF_TYPE_VIDEO_OUTPUT as VIDEO_OUTPUT, BUF_TYPE_VIDEO_OUTPUT_MPLANE as VIDEO_OUTPUT_MPLANE,
    };
}

/// Which side of a mem2mem decoder a queue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    /// OUTPUT: compressed bitstream, one buffer per request slot.
    Output,
    /// CAPTURE: decoded frames.
    Capture,
    /// Any other buffer type (metadata, VBI, …).
    Other,
}

impl Side {
    /// The side of an `enum v4l2_buf_type`.
    pub fn of(buf_type: u32) -> Side {
        match buf_type {
            buf_type::VIDEO_OUTPUT | buf_type::VIDEO_OUTPUT_MPLANE => Side::Output,
            buf_type::VIDEO_CAPTURE | buf_type::VIDEO_CAPTURE_MPLANE => Side::Capture,
            _ => Side::Other,
        }
    }
    /// "OUTPUT", "CAPTURE" or "OTHER".
    pub fn name(self) -> &'static str {
        match self {
            Side::Output => "OUTPUT",
            Side::Capture => "CAPTURE",
            Side::Other => "OTHER",
        }
    }
}

/// Whether an `enum v4l2_buf_type` is multi-planar (the catalogue's).
pub use crate::ioctl::names::is_mplane;

/// Where one buffer is, as the application's ioctls show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BufState {
    /// Allocated and never queued since allocation or the last STREAMOFF.
    Free,
    /// QBUF'd into a request that is not queued yet (vb2's IN_REQUEST).
    InRequest,
    /// Owned by the driver: queued, not dequeued yet.
    Queued,
    /// An OUTPUT buffer given back by DQBUF: its slot can be reused.
    Done,
    /// A CAPTURE buffer given back by DQBUF: a decoded frame the application holds until it
    /// queues it again.
    Held,
}

impl BufState {
    /// Whether the buffer is somewhere it must come back from (the driver, or a pending request).
    pub fn is_busy(self) -> bool {
        matches!(self, BufState::InRequest | BufState::Queued)
    }
    /// A short label for grids and logs.
    pub fn label(self) -> &'static str {
        match self {
            BufState::Free => "free",
            BufState::InRequest => "in-req",
            BufState::Queued => "queued",
            BufState::Done => "done",
            BufState::Held => "held",
        }
    }
}

/// One buffer index of a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buffer {
    pub index: u32,
    pub state: BufState,
    /// Monotonic ns of the last state change.
    pub since: u64,
    /// Live mmaps of any of its planes.
    pub mapped: u32,
    /// Live dma-buf fds exported from it (EXPBUF).
    pub exported: u32,
    /// The request it was last queued with (OUTPUT, QBUF with `V4L2_BUF_FLAG_REQUEST_FD`).
    pub request: Option<ReqId>,
    /// Whether the last DQBUF returned it with `V4L2_BUF_FLAG_ERROR`.
    pub error: bool,
    /// `v4l2_buffer.timestamp` (µs) at the last QBUF/DQBUF: names reference frames.
    pub timestamp_us: i64,
    /// `m.offset` of each plane (MMAP), from QUERYBUF: matches mmaps to buffers.
    pub mem_offsets: Vec<u32>,
    /// Times it was queued.
    pub queued_count: u64,
}

impl Buffer {
    pub fn new(index: u32, ts: u64) -> Self {
        Buffer {
            index,
            state: BufState::Free,
            since: ts,
            mapped: 0,
            exported: 0,
            request: None,
            error: false,
            timestamp_us: 0,
            mem_offsets: Vec::new(),
            queued_count: 0,
        }
    }
}

/// One queue (buffer type) of a context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queue {
    pub buf_type: u32,
    /// `enum v4l2_memory` of the last REQBUFS/CREATE_BUFS (1 MMAP, 2 USERPTR, 4 DMABUF).
    pub memory: u32,
    pub streaming: bool,
    /// From the last successful S_FMT/G_FMT.
    pub fourcc: u32,
    pub width: u32,
    pub height: u32,
    pub buffers: Vec<Buffer>,
    /// The buffers as they were when a successful REQBUFS last freed them, and when: what a
    /// post-mortem view shows once the queue is empty.
    pub freed: Option<(u64, Vec<Buffer>)>,
    /// `freed` was taken at a STREAMOFF that returned busy buffers (kept over the REQBUFS(0)
    /// that usually follows, whose buffers would all show as free).
    pub freed_at_streamoff: bool,
}

impl Queue {
    pub fn new(buf_type: u32) -> Self {
        Queue {
            buf_type,
            memory: 0,
            streaming: false,
            fourcc: 0,
            width: 0,
            height: 0,
            buffers: Vec::new(),
            freed: None,
            freed_at_streamoff: false,
        }
    }
    pub fn side(&self) -> Side {
        Side::of(self.buf_type)
    }
    /// Buffers the driver owns or a pending request holds.
    pub fn busy(&self) -> usize {
        self.buffers.iter().filter(|b| b.state.is_busy()).count()
    }
}

/// One open of a video node: a decoding context with its queues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub id: CtxId,
    pub pid: u32,
    pub path: String,
    /// Driver name (from the header's device list or QUERYCAP), empty if unknown.
    pub driver: String,
    pub card: String,
    /// The fd it was opened as (later dups are not listed).
    pub fd: i32,
    pub opened: u64,
    /// Set when its last fd was closed.
    pub closed: Option<u64>,
    /// Last record that touched it (for picking what to show).
    pub last_active: u64,
    /// Queues by `enum v4l2_buf_type`.
    pub queues: BTreeMap<u32, Queue>,
}

impl Context {
    /// The queue for `side` (the multi-planar one if both exist and it has buffers).
    pub fn queue(&self, side: Side) -> Option<&Queue> {
        let mut best: Option<&Queue> = None;
        for q in self.queues.values().filter(|q| q.side() == side) {
            best = match best {
                Some(b) if b.buffers.len() >= q.buffers.len() && b.fourcc != 0 => Some(b),
                _ => Some(q),
            };
        }
        best
    }
}

/// Where a media request is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReqState {
    /// Returned by MEDIA_IOC_REQUEST_ALLOC, nothing attached.
    Allocated,
    /// Has controls (S_EXT_CTRLS with `V4L2_CTRL_WHICH_REQUEST_VAL`) and/or a buffer (QBUF).
    Bound,
    /// Submitted (MEDIA_REQUEST_IOC_QUEUE).
    Queued,
    /// Completed: poll on it returned POLLPRI, or its OUTPUT buffer was dequeued.
    Complete,
    /// Made reusable by MEDIA_REQUEST_IOC_REINIT.
    Reinit,
    /// Its last fd was closed.
    Closed,
    /// Left failed (an operation on it failed and it was never reinitialised or closed again) when
    /// the trace or its process ended: the request-slot leak.
    Leaked,
}

impl ReqState {
    /// Whether the request is out of the application's pool (in flight or waiting to be recycled).
    pub fn is_busy(self) -> bool {
        matches!(
            self,
            ReqState::Bound | ReqState::Queued | ReqState::Complete
        )
    }
    pub fn label(self) -> &'static str {
        match self {
            ReqState::Allocated => "alloc",
            ReqState::Bound => "bound",
            ReqState::Queued => "queued",
            ReqState::Complete => "complete",
            ReqState::Reinit => "reinit",
            ReqState::Closed => "closed",
            ReqState::Leaked => "LEAKED",
        }
    }
}

/// One media request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub id: ReqId,
    pub pid: u32,
    /// The fd MEDIA_IOC_REQUEST_ALLOC returned.
    pub fd: i32,
    pub state: ReqState,
    /// Monotonic ns of the last state change.
    pub since: u64,
    pub allocated: u64,
    /// Controls were set in it since the last REINIT.
    pub has_controls: bool,
    /// The OUTPUT buffer last queued with it: (context, buffer type, index).
    pub buffer: Option<(CtxId, u32, u32)>,
    /// The last operation on it (QUEUE, REINIT, S_EXT_CTRLS, QBUF) failed and nothing succeeded since.
    pub failed: bool,
    /// The last REINIT on it failed.
    pub reinit_failed: bool,
    /// Times it was queued.
    pub uses: u64,
    /// The model's count of request QUEUEs (all requests) when this one last moved forward.
    pub last_step: u64,
    /// Why it was declared leaked.
    pub leak: Option<LeakReason>,
}

/// Why a request counts as leaked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeakReason {
    /// An operation on it failed (QUEUE, REINIT, S_EXT_CTRLS, QBUF) and it was never released.
    Failed,
    /// It was left in flight (bound, queued or completed, never REINIT'd) while every other
    /// request of the pool was queued again: the slot dropped out of the pool.
    NeverRecycled,
}

impl Request {
    /// Busy (in flight, waiting to be recycled, or failed and not recovered).
    pub fn is_busy(&self) -> bool {
        self.state.is_busy() || (self.failed && self.state != ReqState::Closed)
    }
}
