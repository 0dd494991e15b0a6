//! The timeline model every output format is written from: tracks (threads, request fds, buffer
//! indices, counters) and events on them (slices, instants, counter values, flow links), handed
//! one at a time to a [`Sink`], so a writer never needs the whole trace in memory.

use serde_json::{Map, Value};

/// Identifies a track for the whole export.
pub type TrackId = u64;

/// What a track shows.
#[derive(Debug, Clone, PartialEq)]
pub enum TrackKind {
    /// A traced process (parent of its threads).
    Process { pid: u32, name: String },
    /// A traced thread: its ioctls and polls.
    Thread { pid: u32, tid: u32 },
    /// A track that only groups others (a media device's requests, a queue's buffers).
    Group,
    /// One request fd or one buffer index: its states as slices.
    Lane,
    /// A counter.
    Counter,
}

/// One track, declared to the sink before any event uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    pub id: TrackId,
    pub parent: Option<TrackId>,
    pub name: String,
    pub kind: TrackKind,
    /// Where it sorts among its siblings (buffer index, request id).
    pub order: i32,
    /// The pool a lane shows, if it is one.
    pub pool: Option<Pool>,
}

/// Which pool a lane belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pool {
    Requests,
    Output,
    Capture,
}

/// What an [`Event`] is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EventKind {
    /// A slice opens (closed by the next `End` on the same track).
    Begin,
    /// The innermost open slice of the track closes.
    End,
    /// A point in time.
    Instant,
    /// A counter's new value.
    Counter(f64),
}

/// One event on a track.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// CLOCK_MONOTONIC ns, as in the trace.
    pub ts: u64,
    pub track: TrackId,
    pub kind: EventKind,
    pub name: String,
    /// `"ioctl"`, `"poll"`, `"request"`, `"buffer"`, `"check"`, `"error"`, …
    pub category: &'static str,
    /// Decoded fields shown with the event.
    pub args: Map<String, Value>,
    /// Flows this event continues (or starts, the first time an id is seen).
    pub flows: Vec<u64>,
    /// Flows this event ends.
    pub end_flows: Vec<u64>,
    /// The call failed, or the state is an error state.
    pub error: bool,
}

impl Event {
    /// An event without args or flows.
    pub fn new(ts: u64, track: TrackId, kind: EventKind, name: impl Into<String>) -> Self {
        Event {
            ts,
            track,
            kind,
            name: name.into(),
            category: "",
            args: Map::new(),
            flows: Vec::new(),
            end_flows: Vec::new(),
            error: false,
        }
    }

    /// The same with a category.
    pub fn cat(mut self, category: &'static str) -> Self {
        self.category = category;
        self
    }

    /// The same with one more arg.
    pub fn arg(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.args.insert(name.to_string(), value.into());
        self
    }
}

/// Where the timeline goes: a file format, or a picture being gathered.
pub trait Sink {
    /// A new track; called once per track, before any event on it.
    fn track(&mut self, track: &Track) -> anyhow::Result<()>;
    /// One event, in the order the trace's records produced them.
    fn event(&mut self, event: &Event) -> anyhow::Result<()>;
    /// The end of the timeline: flush and close.
    fn finish(&mut self) -> anyhow::Result<()>;
}
