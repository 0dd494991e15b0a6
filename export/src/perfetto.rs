//! The Perfetto writer: the timeline as Perfetto's native protobuf trace (`TracePacket`s with
//! `TrackDescriptor`s and `TrackEvent`s), one packet at a time. The messages are the subset of
//! Perfetto's `perfetto_trace.proto` this writer uses, derived by hand with prost under the same
//! field numbers (the structure test decodes the output with Perfetto's own schema).

use std::io::Write;

use prost::Message;
use serde_json::Value;

use crate::timeline::{Event, EventKind, Sink, Track, TrackKind};

/// `TracePacket.sequence_flags`: SEQ_INCREMENTAL_STATE_CLEARED.
const SEQ_INCREMENTAL_STATE_CLEARED: u32 = 1;
/// `TracePacket.sequence_flags`: SEQ_NEEDS_INCREMENTAL_STATE.
const SEQ_NEEDS_INCREMENTAL_STATE: u32 = 2;
/// The one packet sequence this writer uses.
const SEQUENCE_ID: u32 = 1;
/// Decoded arrays longer than this are cut (scaling matrices, DPBs) with a note of the length.
const ARRAY_KEEP: usize = 64;

/// `perfetto.protos.TracePacket` (the fields used here).
#[derive(Clone, PartialEq, Message)]
pub struct TracePacket {
    #[prost(uint64, optional, tag = "8")]
    pub timestamp: Option<u64>,
    #[prost(uint32, optional, tag = "10")]
    pub trusted_packet_sequence_id: Option<u32>,
    #[prost(message, optional, tag = "11")]
    pub track_event: Option<TrackEvent>,
    #[prost(uint32, optional, tag = "13")]
    pub sequence_flags: Option<u32>,
    #[prost(message, optional, tag = "60")]
    pub track_descriptor: Option<TrackDescriptor>,
}

/// `perfetto.protos.TrackDescriptor`.
#[derive(Clone, PartialEq, Message)]
pub struct TrackDescriptor {
    #[prost(uint64, optional, tag = "1")]
    pub uuid: Option<u64>,
    #[prost(string, optional, tag = "2")]
    pub name: Option<String>,
    #[prost(message, optional, tag = "3")]
    pub process: Option<ProcessDescriptor>,
    #[prost(message, optional, tag = "4")]
    pub thread: Option<ThreadDescriptor>,
    #[prost(uint64, optional, tag = "5")]
    pub parent_uuid: Option<u64>,
    #[prost(message, optional, tag = "8")]
    pub counter: Option<CounterDescriptor>,
    /// `ChildTracksOrdering`: 3 = EXPLICIT (by `sibling_order_rank`).
    #[prost(int32, optional, tag = "11")]
    pub child_ordering: Option<i32>,
    #[prost(int32, optional, tag = "12")]
    pub sibling_order_rank: Option<i32>,
}

/// `perfetto.protos.ProcessDescriptor`.
#[derive(Clone, PartialEq, Message)]
pub struct ProcessDescriptor {
    #[prost(int32, optional, tag = "1")]
    pub pid: Option<i32>,
    #[prost(string, optional, tag = "6")]
    pub process_name: Option<String>,
}

/// `perfetto.protos.ThreadDescriptor`.
#[derive(Clone, PartialEq, Message)]
pub struct ThreadDescriptor {
    #[prost(int32, optional, tag = "1")]
    pub pid: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub tid: Option<i32>,
    #[prost(string, optional, tag = "5")]
    pub thread_name: Option<String>,
}

/// `perfetto.protos.CounterDescriptor`.
#[derive(Clone, PartialEq, Message)]
pub struct CounterDescriptor {
    /// `Unit`: 2 = UNIT_COUNT.
    #[prost(int32, optional, tag = "3")]
    pub unit: Option<i32>,
}

/// `perfetto.protos.TrackEvent`.
#[derive(Clone, PartialEq, Message)]
pub struct TrackEvent {
    #[prost(message, repeated, tag = "4")]
    pub debug_annotations: Vec<DebugAnnotation>,
    /// `Type`: 1 SLICE_BEGIN, 2 SLICE_END, 3 INSTANT, 4 COUNTER.
    #[prost(int32, optional, tag = "9")]
    pub r#type: Option<i32>,
    #[prost(uint64, optional, tag = "11")]
    pub track_uuid: Option<u64>,
    #[prost(string, repeated, tag = "22")]
    pub categories: Vec<String>,
    #[prost(string, optional, tag = "23")]
    pub name: Option<String>,
    #[prost(int64, optional, tag = "30")]
    pub counter_value: Option<i64>,
    #[prost(double, optional, tag = "44")]
    pub double_counter_value: Option<f64>,
    #[prost(fixed64, repeated, packed = "false", tag = "47")]
    pub flow_ids: Vec<u64>,
    #[prost(fixed64, repeated, packed = "false", tag = "48")]
    pub terminating_flow_ids: Vec<u64>,
}

/// `perfetto.protos.DebugAnnotation`.
#[derive(Clone, PartialEq, Message)]
pub struct DebugAnnotation {
    #[prost(bool, optional, tag = "2")]
    pub bool_value: Option<bool>,
    #[prost(uint64, optional, tag = "3")]
    pub uint_value: Option<u64>,
    #[prost(int64, optional, tag = "4")]
    pub int_value: Option<i64>,
    #[prost(double, optional, tag = "5")]
    pub double_value: Option<f64>,
    #[prost(string, optional, tag = "6")]
    pub string_value: Option<String>,
    #[prost(string, optional, tag = "10")]
    pub name: Option<String>,
    #[prost(message, repeated, tag = "11")]
    pub dict_entries: Vec<DebugAnnotation>,
    #[prost(message, repeated, tag = "12")]
    pub array_values: Vec<DebugAnnotation>,
}

/// Dicts and arrays nest as annotations this deep; deeper ones (control payloads' inner arrays)
/// are one compact JSON string, which keeps the UI readable and the writer fast.
const NEST_KEEP: usize = 3;

/// A decoded JSON value as a debug annotation (dicts and arrays nest, [`NEST_KEEP`] deep).
pub fn annotation(name: Option<&str>, v: &Value) -> DebugAnnotation {
    nested(name, v, 0)
}

fn nested(name: Option<&str>, v: &Value, depth: usize) -> DebugAnnotation {
    let mut a = DebugAnnotation {
        name: name.map(str::to_string),
        ..Default::default()
    };
    match v {
        Value::Null => a.string_value = Some("null".into()),
        Value::Bool(b) => a.bool_value = Some(*b),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                a.uint_value = Some(u);
            } else if let Some(i) = n.as_i64() {
                a.int_value = Some(i);
            } else {
                a.double_value = n.as_f64();
            }
        }
        Value::String(s) => a.string_value = Some(s.clone()),
        Value::Array(_) | Value::Object(_) if depth >= NEST_KEEP => {
            a.string_value = Some(v.to_string())
        }
        Value::Array(xs) => {
            a.array_values = xs
                .iter()
                .take(ARRAY_KEEP)
                .map(|x| nested(None, x, depth + 1))
                .collect();
            if xs.len() > ARRAY_KEEP {
                a.array_values.push(DebugAnnotation {
                    string_value: Some(format!("… {} more", xs.len() - ARRAY_KEEP)),
                    ..Default::default()
                });
            }
        }
        Value::Object(m) => {
            a.dict_entries = m
                .iter()
                .map(|(k, x)| nested(Some(k), x, depth + 1))
                .collect();
            if a.dict_entries.is_empty() {
                a.string_value = Some("{}".into());
            }
        }
    }
    a
}

/// Writes packets as the `repeated TracePacket packet = 1` of a `perfetto.protos.Trace`.
pub struct PerfettoSink<W: Write> {
    out: W,
    first: bool,
    buf: Vec<u8>,
}

impl<W: Write> PerfettoSink<W> {
    pub fn new(out: W) -> Self {
        PerfettoSink {
            out,
            first: true,
            buf: Vec::with_capacity(4096),
        }
    }

    /// The writer back.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn packet(&mut self, mut p: TracePacket) -> anyhow::Result<()> {
        p.trusted_packet_sequence_id = Some(SEQUENCE_ID);
        if self.first {
            p.sequence_flags = Some(SEQ_INCREMENTAL_STATE_CLEARED);
            self.first = false;
        } else if p.track_event.is_some() {
            p.sequence_flags = Some(SEQ_NEEDS_INCREMENTAL_STATE);
        }
        self.buf.clear();
        // Field 1 (packet), wire type 2 (length-delimited).
        self.buf.push(0x0a);
        p.encode_length_delimited(&mut self.buf)?;
        self.out.write_all(&self.buf)?;
        Ok(())
    }
}

impl<W: Write> Sink for PerfettoSink<W> {
    fn track(&mut self, t: &Track) -> anyhow::Result<()> {
        let mut d = TrackDescriptor {
            uuid: Some(t.id),
            name: Some(t.name.clone()),
            parent_uuid: t.parent,
            sibling_order_rank: Some(t.order),
            ..Default::default()
        };
        match &t.kind {
            TrackKind::Process { pid, name } => {
                d.process = Some(ProcessDescriptor {
                    pid: Some(*pid as i32),
                    process_name: Some(name.clone()),
                });
                d.parent_uuid = None;
            }
            TrackKind::Thread { pid, tid } => {
                d.thread = Some(ThreadDescriptor {
                    pid: Some(*pid as i32),
                    tid: Some(*tid as i32),
                    thread_name: Some(t.name.clone()),
                });
                d.parent_uuid = None;
            }
            TrackKind::Group => d.child_ordering = Some(3),
            TrackKind::Counter => d.counter = Some(CounterDescriptor { unit: Some(2) }),
            TrackKind::Lane => {}
        }
        self.packet(TracePacket {
            track_descriptor: Some(d),
            ..Default::default()
        })
    }

    fn event(&mut self, e: &Event) -> anyhow::Result<()> {
        let mut te = TrackEvent {
            track_uuid: Some(e.track),
            flow_ids: e.flows.clone(),
            terminating_flow_ids: e.end_flows.clone(),
            ..Default::default()
        };
        match e.kind {
            EventKind::Begin | EventKind::Instant => {
                te.r#type = Some(if e.kind == EventKind::Begin { 1 } else { 3 });
                te.name = Some(e.name.clone());
                if !e.category.is_empty() {
                    te.categories.push(e.category.to_string());
                }
                te.debug_annotations = e.args.iter().map(|(k, v)| annotation(Some(k), v)).collect();
                if e.error && !e.args.contains_key("error") {
                    te.debug_annotations
                        .push(annotation(Some("error"), &Value::Bool(true)));
                }
            }
            EventKind::End => te.r#type = Some(2),
            EventKind::Counter(v) => {
                te.r#type = Some(4);
                if v.fract() == 0.0 {
                    te.counter_value = Some(v as i64);
                } else {
                    te.double_counter_value = Some(v);
                }
            }
        }
        self.packet(TracePacket {
            timestamp: Some(e.ts),
            track_event: Some(te),
            ..Default::default()
        })
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        self.out.flush()?;
        Ok(())
    }
}
