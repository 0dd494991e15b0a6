//! `vatrace check`: the rules of the request API, videobuf2 and the stateless codec uAPI (and what
//! a given piece of hardware accepts), run over a trace's records one by one, turning a trace
//! into findings instead of lines to read by eye.
//!
//! [`Checker::apply`] takes each [`Record`] in order, from any source (a file, a live tracer), and
//! keeps only in-flight state: the [`PoolModel`] (fds, contexts, buffers, requests), and per
//! family a few facts per open request, buffer and context. Memory is bounded by what is in
//! flight, never by the trace's length. Each [`Finding`] names its severity, rule, record, ioctl
//! sequence number, time, frame (as [`PoolModel`] counts OUTPUT buffers queued: frame `F` is the
//! one whose OUTPUT QBUF was the `F`-th, from 0; a record belongs to the frame of the last OUTPUT
//! QBUF before it, controls set into a request to the frame queued next), process, a one-line
//! statement, an explanation and the rule's source (kernel document or driver file).
//!
//! One file per rule family: [`requests`], [`buffers`], [`refs`] (frames and references),
//! [`controls`], [`profiles`] (what one hardware decoder accepts), [`driver`] (the libva
//! driver's own pool transitions, from `vatrace record`'s driver probes). `traces/CHECK.md` lists every
//! rule with its source.

pub mod buffers;
pub mod controls;
mod decode;
pub mod driver;
pub mod profiles;
pub mod refs;
pub mod requests;
#[cfg(any(test, feature = "testing"))]
pub mod synthetic;
#[cfg(test)]
mod tests;

use rustc_hash::FxHashMap as HashMap;
use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::pool::PoolModel;
use crate::record::{Header, Record};

pub use decode::Facts;
pub use profiles::Profile;

/// How bad a finding is. `vatrace check` exits 1 when any finding is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; not wrong.
    Note,
    /// Likely wrong or fragile; the decode may still work.
    Warning,
    /// The kernel refused it, or the hardware would refuse it or decode garbage.
    Error,
}

impl Severity {
    /// `"error"`, `"warning"` or `"note"`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding. It reads back from its JSON (a replay report holding findings is read again by
/// `vatrace replay --compare`), hence the owned-or-static names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub severity: Severity,
    /// The rule's name (`request-leak`, `reqbufs-busy`, …), as listed in `traces/CHECK.md`.
    pub rule: Cow<'static, str>,
    /// Index of the record it was found at (0 = the first record after the header).
    pub record: u64,
    /// The ioctl's sequence number when that record is an ioctl.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// Monotonic ns of the record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ts: Option<u64>,
    /// The frame it concerns (OUTPUT buffers queued before it, from 0); `None` before the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame: Option<u64>,
    /// The process.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// The request fd (in `pid`) the finding is about, for the rules about one request (leaked,
    /// closed in flight): tools mark that request without reading the statement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_fd: Option<i32>,
    /// One line: what happened.
    pub statement: String,
    /// Why it matters.
    pub explanation: String,
    /// Where the rule comes from (kernel document section or driver file).
    pub source: Cow<'static, str>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.severity.name(), self.rule)?;
        match self.seq {
            Some(s) => write!(f, " #{s}")?,
            None => write!(f, " record {}", self.record)?,
        }
        if let Some(fr) = self.frame {
            write!(f, " frame {fr}")?;
        }
        if let Some(p) = self.pid {
            write!(f, " pid {p}")?;
        }
        write!(
            f,
            ": {}\n    {} [{}]",
            self.statement, self.explanation, self.source
        )
    }
}

/// Where a record sits: what a rule stamps on the findings it makes there.
#[derive(Debug, Clone, Copy, Default)]
pub struct At {
    pub record: u64,
    pub seq: Option<u64>,
    pub ts: Option<u64>,
    pub pid: Option<u32>,
    /// Frames (OUTPUT QBUFs) counted before this record.
    pub frames_before: u64,
    /// The request fd a finding made here is about, if one (see [`Finding::request_fd`]).
    pub request_fd: Option<i32>,
}

/// Findings of one rule beyond this many are counted, not kept (a summary note says how many).
pub const PER_RULE_KEEP: u64 = 200;

/// Where rules put their findings; caps each rule at [`PER_RULE_KEEP`].
#[derive(Debug, Default)]
pub struct Sink {
    findings: Vec<Finding>,
    counts: HashMap<&'static str, u64>,
    /// Findings from index `unframed` on get the frame of the record being checked.
    unframed: usize,
}

impl Sink {
    /// Adds a finding made at `at` (its frame filled in once the record is applied, unless
    /// `frame` is given).
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        at: &At,
        severity: Severity,
        rule: &'static str,
        frame: Option<u64>,
        statement: String,
        explanation: impl Into<String>,
        source: &'static str,
    ) {
        let n = self.counts.entry(rule).or_insert(0);
        *n += 1;
        if *n > PER_RULE_KEEP {
            return;
        }
        let f = Finding {
            severity,
            rule: Cow::Borrowed(rule),
            record: at.record,
            seq: at.seq,
            ts: at.ts,
            frame,
            pid: at.pid,
            request_fd: at.request_fd,
            statement,
            explanation: explanation.into(),
            source: Cow::Borrowed(source),
        };
        if frame.is_some() {
            // Keep findings with a fixed frame out of the range the record's frame fills.
            let pos = self.unframed;
            self.findings.insert(pos, f);
            self.unframed += 1;
        } else {
            self.findings.push(f);
        }
    }

    fn stamp_frames(&mut self, frame: Option<u64>) {
        for f in &mut self.findings[self.unframed..] {
            f.frame = frame;
        }
        self.unframed = self.findings.len();
    }
}

/// What the checker saw, for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub records: u64,
    pub ioctls: u64,
    pub frames: u64,
    pub errors: u64,
    pub warnings: u64,
    pub notes: u64,
}

/// Every rule's in-flight state and the findings made so far, without the pool model the rules
/// read: for a consumer that keeps its own [`PoolModel`] (the TUI's live screen) and lets
/// [`Rules::apply`] move it, so the model is applied once per record. [`Checker`] is these rules
/// with a model of their own.
pub struct Rules {
    profile: Option<Profile>,
    requests: requests::State,
    buffers: buffers::State,
    refs: refs::State,
    controls: controls::State,
    sink: Sink,
    records: u64,
    summary: Summary,
    finished: bool,
}

impl Rules {
    /// Rules for a trace with `header`, judging hardware rules for `profile` (`None`: the
    /// driver the header lists, if [`Profile::from_driver`] knows it).
    pub fn new(header: &Header, profile: Option<Profile>) -> Self {
        let profile = profile.or_else(|| Profile::of_header(header));
        Rules {
            profile,
            requests: requests::State::default(),
            buffers: buffers::State::default(),
            refs: refs::State::default(),
            controls: controls::State::default(),
            sink: Sink::default(),
            records: 0,
            summary: Summary::default(),
            finished: false,
        }
    }

    /// The hardware profile in use.
    pub fn profile(&self) -> Option<Profile> {
        self.profile
    }

    /// Checks one record and applies it to `model`, which must be the model of the same
    /// records so far (made with [`PoolModel::with_header`] of the same header, and moved by
    /// nothing else).
    pub fn apply(&mut self, model: &mut PoolModel, rec: &Record) {
        let frames_before = model.totals().output_qbufs;
        let (seq, pid) = match rec {
            Record::Ioctl(io) => (Some(io.seq), Some(io.pid)),
            _ => (None, rec.task().map(|(p, _)| p)),
        };
        let at = At {
            record: self.records,
            seq,
            ts: rec.ts(),
            pid,
            frames_before,
            request_fd: None,
        };
        self.records += 1;
        if let Record::End(_) = rec {
            self.finished = true;
        }
        let m = &*model;
        let s = &mut self.sink;
        let fx = Facts::of(rec, m);
        let fx = &fx;
        self.requests.before(m, rec, fx, &at, s);
        self.buffers.before(m, rec, fx, &at, s);
        self.refs.before(m, rec, fx, &at, s);
        self.controls.before(m, self.profile, rec, fx, &at, s);
        model.apply(rec);
        let m = &*model;
        self.requests.after(m, rec, fx, &at, s);
        self.buffers.after(m, rec, fx, &at, s);
        self.refs.after(m, rec, fx, &at, s);
        self.controls.after(m, rec, fx);
        driver::check(rec, &at, s);
        // A record belongs to the frame of the last OUTPUT QBUF, except controls set into a
        // request: those belong to the frame about to be queued with it.
        let frames = model.totals().output_qbufs;
        let frame = match rec {
            Record::Ioctl(io) if io.request == decode::VIDIOC_S_EXT_CTRLS => {
                match decode::ext_ctrls(io) {
                    Some(x) if x.which == decode::CTRL_WHICH_REQUEST_VAL => Some(frames_before),
                    _ => frames.checked_sub(1),
                }
            }
            _ => frames.checked_sub(1),
        };
        self.sink.stamp_frames(frame);
    }

    /// Takes the findings made so far (for streaming consumers: the TUI, a live check).
    pub fn drain(&mut self) -> Vec<Finding> {
        self.count(0);
        self.sink.unframed = 0;
        std::mem::take(&mut self.sink.findings)
    }

    fn count(&mut self, from: usize) {
        for f in &self.sink.findings[from..] {
            match f.severity {
                Severity::Error => self.summary.errors += 1,
                Severity::Warning => self.summary.warnings += 1,
                Severity::Note => self.summary.notes += 1,
            }
        }
    }

    /// Ends the check over `model` (the model of every record applied): for a trace without
    /// `End` (cut, or a live source that stopped), runs the end-of-trace rules as if it ended at
    /// the last record and adds a note saying where it was cut (`cut`: the reader's message).
    /// Adds a note per rule whose findings were capped. Returns the remaining findings.
    pub fn finish(&mut self, model: &PoolModel, cut: Option<&str>) -> Vec<Finding> {
        let at = At {
            record: self.records,
            seq: None,
            ts: Some(model.now()),
            pid: None,
            frames_before: model.totals().output_qbufs,
            request_fd: None,
        };
        if !self.finished {
            let s = &mut self.sink;
            self.requests.end_of_trace(model, &at, s);
            self.buffers.end_of_trace(model, &at, s);
            self.sink.push(
                &at,
                Severity::Note,
                "trace-cut",
                None,
                format!(
                    "the trace has no End record: checked up to its record {} ({})",
                    self.records,
                    cut.unwrap_or("the input stopped")
                ),
                "Rules that need later records (leaks at close or exit, buffers never returned) were judged as if \
                 the trace ended here.",
                "traces/FORMAT.md (End record)",
            );
            self.finished = true;
        }
        let mut capped: Vec<(&'static str, u64)> = self
            .sink
            .counts
            .iter()
            .filter(|(_, n)| **n > PER_RULE_KEEP)
            .map(|(r, n)| (*r, *n))
            .collect();
        capped.sort();
        for (rule, n) in capped {
            self.sink.counts.insert(rule, PER_RULE_KEEP);
            self.sink.push(
                &at,
                Severity::Note,
                "capped",
                None,
                format!("rule {rule} fired {n} times; only the first {PER_RULE_KEEP} are listed"),
                "The rest are counted, not kept, so a long trace cannot grow the report without bound.",
                "traces/CHECK.md",
            );
        }
        self.sink
            .stamp_frames(model.totals().output_qbufs.checked_sub(1));
        self.drain()
    }

    /// Entries the rules keep about what is in flight (requests, buffers, contexts, runs): what
    /// bounds the rules' memory besides the pool model.
    pub fn in_flight(&self) -> usize {
        self.requests.tracked()
            + self.buffers.tracked()
            + self.refs.tracked()
            + self.controls.tracked()
    }

    /// Counts over what was checked (read from `model`) and found (findings counted once
    /// drained).
    pub fn summary(&self, model: &PoolModel) -> Summary {
        let t = model.totals();
        Summary {
            records: self.records,
            ioctls: t.ioctls,
            frames: t.output_qbufs,
            ..self.summary
        }
    }
}

/// Runs every rule over records applied one at a time, on a pool model of its own.
pub struct Checker {
    model: PoolModel,
    rules: Rules,
}

impl Checker {
    /// A checker for a trace with `header`, judging hardware rules for `profile` (`None`: the
    /// driver the header lists, if [`Profile::from_driver`] knows it).
    pub fn new(header: &Header, profile: Option<Profile>) -> Self {
        Checker {
            model: PoolModel::with_header(header),
            rules: Rules::new(header, profile),
        }
    }

    /// The hardware profile in use.
    pub fn profile(&self) -> Option<Profile> {
        self.rules.profile()
    }

    /// The pool model the rules read (after the last applied record).
    pub fn model(&self) -> &PoolModel {
        &self.model
    }

    /// Checks one record, then applies it to the model.
    pub fn apply(&mut self, rec: &Record) {
        self.rules.apply(&mut self.model, rec);
    }

    /// Takes the findings made so far (for streaming consumers: the TUI, a live check).
    pub fn drain(&mut self) -> Vec<Finding> {
        self.rules.drain()
    }

    /// Ends the check; see [`Rules::finish`].
    pub fn finish(&mut self, cut: Option<&str>) -> Vec<Finding> {
        self.rules.finish(&self.model, cut)
    }

    /// Entries the rules keep about what is in flight; see [`Rules::in_flight`].
    pub fn in_flight(&self) -> usize {
        self.rules.in_flight()
    }

    /// Counts over what was checked and found (findings counted once drained).
    pub fn summary(&self) -> Summary {
        self.rules.summary(&self.model)
    }
}

/// Checks a whole sequence of records (a convenience for tests and small traces).
pub fn check_all<'a>(
    header: &Header,
    profile: Option<Profile>,
    records: impl IntoIterator<Item = &'a Record>,
) -> Vec<Finding> {
    let mut c = Checker::new(header, profile);
    let mut out = Vec::new();
    for r in records {
        c.apply(r);
        out.extend(c.drain());
    }
    out.extend(c.finish(None));
    out
}
