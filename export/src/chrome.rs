//! The Chrome trace-event JSON writer (the format chrome://tracing, Perfetto and many other tools
//! read): the same timeline, threads as threads of their process, request and buffer lanes as
//! threads of a pseudo-process per group, counters as `C` events, flows as `s`/`t`/`f` events
//! bound to the enclosing slice. Written as it goes: one JSON array, one event per line.

use std::io::Write;

use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::{json, Value};

use crate::timeline::{Event, EventKind, Sink, Track, TrackId, TrackKind};

/// Where a track shows in the JSON's process/thread model.
#[derive(Debug, Clone, Copy)]
struct Place {
    pid: u64,
    tid: u64,
    counter: bool,
}

/// Writes Chrome trace-event JSON.
pub struct ChromeSink<W: Write> {
    out: W,
    places: FxHashMap<TrackId, Place>,
    names: FxHashMap<TrackId, String>,
    flows: FxHashSet<u64>,
    next_pseudo: u64,
    first: bool,
}

impl<W: Write> ChromeSink<W> {
    pub fn new(out: W) -> Self {
        ChromeSink {
            out,
            places: FxHashMap::default(),
            names: FxHashMap::default(),
            flows: FxHashSet::default(),
            // Pseudo pids/tids for lanes and groups, above any real pid (pid_max is 2^22).
            next_pseudo: 1 << 32,
            first: true,
        }
    }

    fn write(&mut self, v: &Value) -> anyhow::Result<()> {
        if self.first {
            self.out.write_all(b"[\n")?;
            self.first = false;
        } else {
            self.out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut self.out, v)?;
        Ok(())
    }

    fn pseudo(&mut self) -> u64 {
        self.next_pseudo += 1;
        self.next_pseudo
    }
}

impl<W: Write> Sink for ChromeSink<W> {
    fn track(&mut self, t: &Track) -> anyhow::Result<()> {
        self.names.insert(t.id, t.name.clone());
        let parent = t.parent.and_then(|p| self.places.get(&p).copied());
        let place = match &t.kind {
            TrackKind::Process { pid, .. } => {
                let p = Place {
                    pid: *pid as u64,
                    tid: *pid as u64,
                    counter: false,
                };
                self.write(&json!({"ph": "M", "name": "process_name", "pid": p.pid, "args": {"name": t.name}}))?;
                p
            }
            TrackKind::Thread { pid, tid } => {
                let p = Place {
                    pid: *pid as u64,
                    tid: *tid as u64,
                    counter: false,
                };
                self.write(&json!({"ph": "M", "name": "thread_name", "pid": p.pid, "tid": p.tid, "args": {"name": t.name}}))?;
                p
            }
            TrackKind::Group => {
                let pid = self.pseudo();
                self.write(&json!({"ph": "M", "name": "process_name", "pid": pid, "args": {"name": t.name}}))?;
                self.write(&json!({"ph": "M", "name": "process_sort_index", "pid": pid, "args": {"sort_index": t.order}}))?;
                Place {
                    pid,
                    tid: pid,
                    counter: false,
                }
            }
            TrackKind::Lane | TrackKind::Counter => {
                let pid = match parent {
                    Some(p) => p.pid,
                    None => {
                        let pid = self.pseudo();
                        self.write(&json!({"ph": "M", "name": "process_name", "pid": pid, "args": {"name": t.name}}))?;
                        pid
                    }
                };
                let tid = self.pseudo();
                self.write(&json!({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid, "args": {"name": t.name}}))?;
                self.write(&json!({"ph": "M", "name": "thread_sort_index", "pid": pid, "tid": tid, "args": {"sort_index": t.order}}))?;
                Place {
                    pid,
                    tid,
                    counter: t.kind == TrackKind::Counter,
                }
            }
        };
        self.places.insert(t.id, place);
        Ok(())
    }

    fn event(&mut self, e: &Event) -> anyhow::Result<()> {
        let Some(p) = self.places.get(&e.track).copied() else {
            anyhow::bail!("event on undeclared track {:#x}", e.track);
        };
        let ts = e.ts as f64 / 1000.0;
        let mut args = Value::Object(e.args.clone());
        if e.error {
            args["error"] = args.get("error").cloned().unwrap_or(Value::Bool(true));
        }
        let v = match e.kind {
            EventKind::Begin => {
                json!({"ph": "B", "name": e.name, "cat": e.category, "ts": ts, "pid": p.pid, "tid": p.tid, "args": args})
            }
            EventKind::End => json!({"ph": "E", "ts": ts, "pid": p.pid, "tid": p.tid}),
            EventKind::Instant => {
                json!({"ph": "i", "s": "t", "name": e.name, "cat": e.category, "ts": ts, "pid": p.pid, "tid": p.tid, "args": args})
            }
            EventKind::Counter(v) => {
                let name = self.names.get(&e.track).cloned().unwrap_or_default();
                json!({"ph": "C", "name": name, "ts": ts, "pid": p.pid, "tid": p.tid, "args": {"value": v}})
            }
        };
        debug_assert!(!p.counter || matches!(e.kind, EventKind::Counter(_)));
        self.write(&v)?;
        for f in &e.flows {
            let ph = if self.flows.insert(*f) { "s" } else { "t" };
            self.write(&json!({"ph": ph, "id": f, "name": "frame", "cat": "frame", "bp": "e", "ts": ts, "pid": p.pid, "tid": p.tid}))?;
        }
        for f in &e.end_flows {
            if self.flows.remove(f) {
                self.write(&json!({"ph": "f", "id": f, "name": "frame", "cat": "frame", "bp": "e", "ts": ts, "pid": p.pid, "tid": p.tid}))?;
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        if self.first {
            self.out.write_all(b"[")?;
        }
        self.out.write_all(b"\n]\n")?;
        self.out.flush()?;
        Ok(())
    }
}
