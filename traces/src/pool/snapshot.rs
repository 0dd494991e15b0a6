//! A self-contained, display-ready view of the pool model at one instant: the focused context's
//! OUTPUT slots (buffer + paired request) and CAPTURE buffers with ages, the oldest busy one of
//! each, request counts, errors by (ioctl, errno), notable events and per-second rates.

use super::state::{BufState, Context, CtxId, Queue, ReqId, ReqState, Request, Side};
use super::{errno_name, ioctl_name, ioctls::census, PoolModel, QueueCensus, SecondStats, Totals};
use crate::record::EndReason;

/// One media request as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestView {
    pub id: ReqId,
    pub fd: i32,
    pub state: ReqState,
    pub failed: bool,
    pub reinit_failed: bool,
    pub since: u64,
    pub age_ns: u64,
    pub uses: u64,
    /// In flight while the rest of its pool was queued again: dropped out of the pool.
    pub stuck: bool,
}

impl RequestView {
    fn of(r: &Request, now: u64, stuck: bool) -> Self {
        RequestView {
            id: r.id,
            fd: r.fd,
            state: r.state,
            failed: r.failed,
            reinit_failed: r.reinit_failed,
            since: r.since,
            age_ns: now.saturating_sub(r.since),
            uses: r.uses,
            stuck,
        }
    }
    /// In flight, waiting to be recycled, failed, or leaked.
    pub fn is_busy(&self) -> bool {
        self.state.is_busy()
            || self.state == ReqState::Leaked
            || (self.failed && self.state != ReqState::Closed)
    }
}

/// One buffer index (for OUTPUT: a request slot) as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotView {
    pub index: u32,
    pub state: BufState,
    /// When the buffer entered `state`.
    pub since: u64,
    pub mapped: bool,
    pub exported: u32,
    /// The last DQBUF returned it with `V4L2_BUF_FLAG_ERROR`.
    pub error: bool,
    /// The request it was last queued with (OUTPUT slots).
    pub request: Option<RequestView>,
    /// When the slot became busy (buffer queued/in a request, or its request not recycled yet).
    pub busy_since: Option<u64>,
    /// `now - busy_since`, 0 when not busy.
    pub busy_ns: u64,
}

impl SlotView {
    /// Whether the slot's request leaked or failed and was not recovered.
    pub fn is_failed(&self) -> bool {
        self.request.as_ref().is_some_and(|r| {
            r.state == ReqState::Leaked || r.stuck || (r.failed && r.state != ReqState::Closed)
        })
    }
}

/// One queue as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueView {
    pub side: Side,
    pub buf_type: u32,
    pub mplane: bool,
    pub memory: u32,
    pub streaming: bool,
    pub fourcc: u32,
    pub width: u32,
    pub height: u32,
    pub slots: Vec<SlotView>,
    /// Index into `slots` of the slot busy the longest.
    pub oldest_busy: Option<usize>,
    pub census: QueueCensus,
    /// Set when the queue is empty and `slots` show its buffers as they were then: at the
    /// STREAMOFF that returned busy buffers, else at the REQBUFS that freed them.
    pub freed_at: Option<u64>,
}

impl QueueView {
    fn of(q: &Queue, model: &PoolModel, now: u64) -> Self {
        // An emptied queue shows its buffers as they were freed.
        let (buffers, freed_at) = match &q.freed {
            Some((ts, old)) if q.buffers.is_empty() => (old, Some(*ts)),
            _ => (&q.buffers, None),
        };
        let now = freed_at.unwrap_or(now);
        let slots: Vec<SlotView> = buffers
            .iter()
            .map(|b| {
                let request = b
                    .request
                    .and_then(|id| model.requests.get(&id))
                    .map(|r| RequestView::of(r, now, model.never_recycled(r)));
                let mut busy_since = b.state.is_busy().then_some(b.since);
                if let Some(r) = request.as_ref().filter(|r| r.is_busy()) {
                    busy_since = Some(busy_since.map_or(r.since, |s| s.min(r.since)));
                }
                SlotView {
                    index: b.index,
                    state: b.state,
                    since: b.since,
                    mapped: b.mapped > 0,
                    exported: b.exported,
                    error: b.error,
                    request,
                    busy_since,
                    busy_ns: busy_since.map_or(0, |s| now.saturating_sub(s)),
                }
            })
            .collect();
        let oldest_busy = slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.busy_since.map(|t| (t, i)))
            .min()
            .map(|(_, i)| i);
        QueueView {
            side: q.side(),
            buf_type: q.buf_type,
            mplane: super::state::is_mplane(q.buf_type),
            memory: q.memory,
            streaming: q.streaming,
            fourcc: q.fourcc,
            width: q.width,
            height: q.height,
            slots,
            oldest_busy,
            census: census(q),
            freed_at,
        }
    }

    /// The slot busy the longest.
    pub fn oldest(&self) -> Option<&SlotView> {
        self.oldest_busy.and_then(|i| self.slots.get(i))
    }
}

/// The focused context as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextView {
    pub id: CtxId,
    pub pid: u32,
    pub path: String,
    pub driver: String,
    pub card: String,
    pub fd: i32,
    pub closed: bool,
    pub output: Option<QueueView>,
    pub capture: Option<QueueView>,
}

impl ContextView {
    fn of(c: &Context, model: &PoolModel, now: u64) -> Self {
        // A closed context's ages stop at its close.
        let now = c.closed.unwrap_or(now);
        ContextView {
            id: c.id,
            pid: c.pid,
            path: c.path.clone(),
            driver: c.driver.clone(),
            card: c.card.clone(),
            fd: c.fd,
            closed: c.closed.is_some(),
            output: c.queue(Side::Output).map(|q| QueueView::of(q, model, now)),
            capture: c.queue(Side::Capture).map(|q| QueueView::of(q, model, now)),
        }
    }

    /// The coded format (OUTPUT fourcc) as text, e.g. `S264`.
    pub fn codec(&self) -> String {
        self.output
            .as_ref()
            .filter(|q| q.fourcc != 0)
            .map(|q| fourcc(q.fourcc))
            .unwrap_or_default()
    }

    /// The decoded frame size (CAPTURE format, else OUTPUT's).
    pub fn resolution(&self) -> Option<(u32, u32)> {
        [self.capture.as_ref(), self.output.as_ref()]
            .into_iter()
            .flatten()
            .find(|q| q.width != 0 && q.height != 0)
            .map(|q| (q.width, q.height))
    }
}

/// One (ioctl, errno) error counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorView {
    pub ioctl: String,
    pub errno: i32,
    pub errno_name: String,
    pub count: u64,
    pub last: u64,
}

/// Request counts of every request seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RequestCounts {
    /// Not closed.
    pub open: u32,
    /// In flight or waiting to be recycled.
    pub busy: u32,
    /// Failed and not recovered (yet).
    pub failed: u32,
    /// Dropped out of their pool (in flight while every other request was queued again).
    pub stuck: u32,
    pub leaked: u32,
    pub closed: u32,
}

/// A notable event as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotableView {
    pub ts: u64,
    pub pid: u32,
    pub text: String,
    /// An EBUSY of REQBUFS/S_FMT or a leak: to be highlighted.
    pub alarm: bool,
}

/// Everything a display needs, copied out of the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub now: u64,
    pub first_ts: Option<u64>,
    pub focus: Option<ContextView>,
    /// (id, pid, path, closed) of every context kept.
    pub contexts: Vec<(CtxId, u32, String, bool)>,
    pub requests: RequestCounts,
    /// The request busy the longest.
    pub oldest_request: Option<RequestView>,
    /// Most frequent first.
    pub errors: Vec<ErrorView>,
    /// Newest last.
    pub notable: Vec<NotableView>,
    /// Oldest first.
    pub rates: Vec<SecondStats>,
    pub totals: Totals,
    pub depth: u32,
    pub ended: Option<EndReason>,
}

impl Snapshot {
    /// Nanoseconds from the first record to `now`.
    pub fn elapsed_ns(&self) -> u64 {
        self.now.saturating_sub(self.first_ts.unwrap_or(self.now))
    }
}

impl PoolModel {
    /// A view of the model: `focus` picks the context (default: [`PoolModel::focus`]); `seconds`
    /// and `notable` bound how many rate seconds and notable events are copied.
    pub fn snapshot(&self, focus: Option<CtxId>, seconds: usize, notable: usize) -> Snapshot {
        let now = self.now;
        let focus = focus
            .filter(|id| self.contexts.contains_key(id))
            .or_else(|| self.focus());
        let mut counts = RequestCounts::default();
        let mut oldest: Option<&Request> = None;
        for r in self.requests.values() {
            match r.state {
                ReqState::Closed => counts.closed += 1,
                ReqState::Leaked => counts.leaked += 1,
                _ => counts.open += 1,
            }
            if r.state.is_busy() {
                counts.busy += 1;
            }
            if r.failed && r.state != ReqState::Closed && r.state != ReqState::Leaked {
                counts.failed += 1;
            } else if self.never_recycled(r) {
                counts.stuck += 1;
            }
            if r.is_busy() && oldest.is_none_or(|o| r.since < o.since) {
                oldest = Some(r);
            }
        }
        let mut errors: Vec<ErrorView> = self
            .errors
            .iter()
            .map(|((rq, e), c)| ErrorView {
                ioctl: ioctl_name(*rq),
                errno: *e,
                errno_name: errno_name(*e),
                count: c.count,
                last: c.last,
            })
            .collect();
        errors.sort_by(|a, b| b.count.cmp(&a.count).then(b.last.cmp(&a.last)));
        let skip = self.notable.len().saturating_sub(notable);
        let notable = self
            .notable
            .iter()
            .skip(skip)
            .map(|n| NotableView {
                ts: n.ts,
                pid: n.pid,
                text: n.kind.describe(),
                alarm: matches!(
                    n.kind,
                    super::NotableKind::ReqbufsBusy { .. }
                        | super::NotableKind::SetFmtBusy { .. }
                        | super::NotableKind::RequestLeaked { .. }
                ),
            })
            .collect();
        Snapshot {
            now,
            first_ts: self.first_ts,
            focus: focus
                .and_then(|id| self.contexts.get(&id))
                .map(|c| ContextView::of(c, self, now)),
            contexts: self
                .contexts
                .values()
                .map(|c| (c.id, c.pid, c.path.clone(), c.closed.is_some()))
                .collect(),
            requests: counts,
            oldest_request: oldest.map(|r| RequestView::of(r, now, self.never_recycled(r))),
            errors,
            notable,
            rates: self.rates.last(seconds),
            totals: self.totals,
            depth: self.depth,
            ended: self.ended,
        }
    }
}

/// A fourcc code as its four characters (the catalogue's).
pub use crate::ioctl::names::fourcc;
