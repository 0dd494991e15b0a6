//! `vatrace diff`: a semantic comparison of two traces of the same stream (two clients decoding
//! the same clip, or one client before and after a change).
//!
//! * Frames are aligned by decode order: the ordinal of each OUTPUT `VIDIOC_QBUF` (in slice-based
//!   decoding one per slice, labelled `frame.slice`); see [`side`].
//! * Per frame, every field of every codec control in force when the frame was submitted is
//!   compared ([`crate::controls`]' decoders flatten them), references resolved from each
//!   client's own timestamps to decode ordinals, the H.264 DPB compared as a set keyed by POC,
//!   inactive list slots ignored ([`canon`]); and the shape of the calls since the previous frame
//!   (which ioctls, in what order, how many, which failed) as the field `calls`.
//! * Per stream: OUTPUT and CAPTURE formats, buffer counts and memory, requests allocated, decode
//!   mode and start code, frame and picture counts (`stream.*`).
//! * Two traces of different codecs or sizes are refused ([`DiffError::Refused`]); a cut trace is
//!   compared up to its cut and the report says so.
//!
//! Both traces are read in step, one frame at a time: memory holds the in-flight state of each
//! side (fds, pending requests, the last [`side::TS_KEEP`] pictures' timestamps) and one entry per
//! differing field, never the trace.

pub mod ahead;
pub mod canon;
pub mod report;
pub mod side;
#[cfg(any(test, feature = "testing"))]
pub mod synth;

#[cfg(test)]
mod tests;

use crate::record::Record;
use crate::stream::TraceError;

pub use ahead::Remote;
pub use report::{Example, FieldDiff, FirstDiff, FrameRange, Report, SideSummary};
pub use side::{StreamFacts, TraceSide, Unit};

/// What to leave out of the comparison.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Field patterns: a field is ignored when a pattern equals it, is a prefix of it followed by
    /// `.` or `[`, or matches it with `*` standing for any text (`h264_dpb*`, `*.reserved`).
    pub ignore: Vec<String>,
}

impl Options {
    /// Whether `field` is left out.
    pub fn ignores(&self, field: &str) -> bool {
        self.ignore.iter().any(|p| pattern_matches(p, field))
    }
}

fn pattern_matches(pattern: &str, field: &str) -> bool {
    if pattern.contains('*') {
        return glob(pattern.as_bytes(), field.as_bytes());
    }
    field == pattern
        || (field.starts_with(pattern)
            && matches!(field.as_bytes().get(pattern.len()), Some(b'.' | b'[')))
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob(rest, &s[i..])),
        Some((c, rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
    }
}

/// Why no comparison was made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    /// The two traces are not of the same stream.
    #[error("{0}")]
    Refused(String),
}

/// One trace to compare: a name for the report and its records.
pub struct Input<I> {
    pub label: String,
    pub records: I,
}

/// One side of a comparison: where its units come from and, once read, what it was.
pub trait Units {
    /// The name given on the command line.
    fn label(&self) -> &str;
    /// The next unit in decode order.
    fn next_unit(&mut self) -> Option<Unit>;
    /// The stream's facts as far as read.
    fn facts(&self) -> StreamFacts;
    /// How the trace was read, as far as read.
    fn state(&self) -> SideState;

    /// Reads what is left (stream-level facts come after the last frame); returns the units read.
    fn drain(&mut self) -> u64 {
        let mut extra = 0;
        while self.next_unit().is_some() {
            extra += 1;
        }
        extra
    }
}

/// What reading one trace found, besides its units.
#[derive(Debug, Clone)]
pub struct SideState {
    pub facts: StreamFacts,
    pub records: u64,
    pub frames: u64,
    pub complete: bool,
    pub cut: Option<String>,
    pub lost: u64,
}

/// One trace read on the comparing thread.
struct Reading<I> {
    label: String,
    records: I,
    side: TraceSide,
    cut: Option<String>,
    ended: bool,
}

impl<I> Reading<I> {
    fn new(input: Input<I>) -> Self {
        Reading {
            label: input.label,
            records: input.records,
            side: TraceSide::new(),
            cut: None,
            ended: false,
        }
    }
}

impl<I: Iterator<Item = Result<Record, TraceError>>> Units for Reading<I> {
    fn label(&self) -> &str {
        &self.label
    }

    fn next_unit(&mut self) -> Option<Unit> {
        loop {
            if let Some(u) = self.side.pop() {
                return Some(u);
            }
            if self.ended {
                return None;
            }
            match self.records.next() {
                Some(Ok(r)) => self.side.apply(&r),
                Some(Err(e)) => {
                    self.cut = Some(e.to_string());
                    self.ended = true;
                    self.side.flush();
                }
                None => {
                    self.ended = true;
                    self.side.flush();
                }
            }
        }
    }

    fn facts(&self) -> StreamFacts {
        self.side.facts()
    }

    fn state(&self) -> SideState {
        SideState {
            facts: self.side.facts(),
            records: self.side.records,
            frames: self.side.units(),
            complete: self.side.complete,
            cut: self.cut.clone(),
            lost: self.side.lost,
        }
    }
}

fn summary(side: &impl Units) -> SideSummary {
    let s = side.state();
    SideSummary {
        label: side.label().to_string(),
        records: s.records,
        frames: s.frames,
        complete: s.complete,
        cut: s.cut,
        lost: s.lost,
    }
}

/// A unit's label: `12` for frame 12, `12.1` for its second slice.
pub fn label(u: &Unit) -> String {
    if u.slice == 0 {
        u.picture.to_string()
    } else {
        format!("{}.{}", u.picture, u.slice)
    }
}

/// The last value of a fact that changed over time (`a → b`).
fn last_value(v: &str) -> &str {
    v.rsplit(" → ").next().unwrap_or(v)
}

/// Refuses two traces that do not decode the same stream (codec or coded size differ).
fn check_same_stream(a: &impl Units, b: &impl Units) -> Result<(), DiffError> {
    let (fa, fb) = (a.facts(), b.facts());
    let key = "stream.output_format";
    let (Some(va), Some(vb)) = (fa.get(key), fb.get(key)) else {
        return Ok(());
    };
    let (va, vb) = (last_value(va), last_value(vb));
    let (ca, sa) = va.split_once(' ').unwrap_or((va, ""));
    let (cb, sb) = vb.split_once(' ').unwrap_or((vb, ""));
    if ca != cb {
        return Err(DiffError::Refused(format!(
            "not the same stream: {} decodes {ca} ({va}), {} decodes {cb} ({vb}); diff compares two \
             decodes of one clip",
            a.label(),
            b.label()
        )));
    }
    if sa != sb {
        return Err(DiffError::Refused(format!(
            "not the same stream: {} decodes {ca} at {sa}, {} at {sb}; diff compares two decodes \
             of one clip",
            a.label(),
            b.label()
        )));
    }
    Ok(())
}

/// The canonical fields of a unit, including its position, submission and calls.
fn unit_fields(u: &Unit) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(256);
    out.push(("frame.picture".into(), u.picture.to_string()));
    out.push(("frame.slice".into(), u.slice.to_string()));
    out.push((
        "frame.submit".into(),
        match u.submit_errno {
            None => "queued".into(),
            Some(0) => "never queued".into(),
            Some(e) => format!(
                "queue failed: {}",
                crate::dump::errno_name(e).unwrap_or("errno")
            ),
        },
    ));
    out.push(("calls".into(), side::calls_text(&u.calls)));
    canon::fields(&u.controls, &mut out);
    out
}

/// Compares two traces of the same stream, reading both on this thread.
pub fn compare<I, J>(a: Input<I>, b: Input<J>, opts: &Options) -> Result<Report, DiffError>
where
    I: Iterator<Item = Result<Record, TraceError>>,
    J: Iterator<Item = Result<Record, TraceError>>,
{
    compare_units_of(Reading::new(a), Reading::new(b), opts)
}

/// Compares two traces of the same stream, each read on its own thread ([`Remote`]): what
/// `vatrace diff` runs. The report is the same as [`compare`]'s.
pub fn compare_threaded<I, J>(a: Input<I>, b: Input<J>, opts: &Options) -> Result<Report, DiffError>
where
    I: Iterator<Item = Result<Record, TraceError>> + Send + 'static,
    J: Iterator<Item = Result<Record, TraceError>> + Send + 'static,
{
    compare_units_of(
        Remote::spawn(a.label, a.records),
        Remote::spawn(b.label, b.records),
        opts,
    )
}

fn compare_units_of(
    mut ra: impl Units,
    mut rb: impl Units,
    opts: &Options,
) -> Result<Report, DiffError> {
    let mut report = Report {
        ignored: opts.ignore.clone(),
        ..Report::default()
    };
    let mut first = true;
    loop {
        let (ua, ub) = (ra.next_unit(), rb.next_unit());
        if first {
            first = false;
            match (&ua, &ub) {
                (Some(_), None) | (None, Some(_)) => {
                    let (has, hasnt) = if ua.is_some() {
                        (ra.label(), rb.label())
                    } else {
                        (rb.label(), ra.label())
                    };
                    return Err(DiffError::Refused(format!(
                        "{hasnt} decodes no frame (no OUTPUT VIDIOC_QBUF) while {has} does: not \
                         two decodes of the same stream"
                    )));
                }
                (Some(_), Some(_)) => check_same_stream(&ra, &rb)?,
                (None, None) => {}
            }
        }
        match (ua, ub) {
            (Some(x), Some(y)) => compare_units(&x, &y, opts, &mut report),
            (Some(x), None) => {
                let extra = 1 + ra.drain();
                report.notes.push(format!(
                    "{} has {extra} frames more than {}, from frame {}",
                    ra.label(),
                    rb.label(),
                    label(&x)
                ));
                break;
            }
            (None, Some(y)) => {
                let extra = 1 + rb.drain();
                report.notes.push(format!(
                    "{} has {extra} frames more than {}, from frame {}",
                    rb.label(),
                    ra.label(),
                    label(&y)
                ));
                break;
            }
            (None, None) => break,
        }
    }
    ra.drain();
    rb.drain();
    // Stream level.
    let (fa, fb) = (ra.facts(), rb.facts());
    for k in fa.keys().chain(fb.keys().filter(|k| !fa.contains_key(*k))) {
        let (va, vb) = (fa.get(k), fb.get(k));
        if va != vb && !opts.ignores(k) {
            report.add(
                k,
                None,
                "stream",
                va.map(|s| s.as_str()),
                vb.map(|s| s.as_str()),
            );
        }
    }
    report.a = summary(&ra);
    report.b = summary(&rb);
    for side in [&report.a, &report.b] {
        let notes = side_notes(side);
        report.notes.extend(notes);
    }
    Ok(report)
}

/// Notes about how a trace was read: cut, not ended, events lost.
fn side_notes(s: &SideSummary) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(cut) = &s.cut {
        notes.push(format!(
            "{} is cut ({cut}): compared up to its last whole record",
            s.label
        ));
    } else if !s.complete {
        notes.push(format!(
            "{} has no End record (the tracer was killed?): compared up to where it stops",
            s.label
        ));
    }
    if s.lost > 0 {
        notes.push(format!(
            "{} lost {} events while recording: differences may come from the gaps",
            s.label, s.lost
        ));
    }
    notes
}
/// Compares two units aligned by decode order; records their differences.
fn compare_units(a: &Unit, b: &Unit, opts: &Options, report: &mut Report) {
    report.frames_compared += 1;
    // Fast path: identical after reference normalisation.
    if a.picture == b.picture
        && a.slice == b.slice
        && a.submit_errno == b.submit_errno
        && a.calls == b.calls
        && a.controls == b.controls
    {
        return;
    }
    let fa = unit_fields(a);
    let fb = unit_fields(b);
    let mb: std::collections::HashMap<&str, &str> =
        fb.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let ma: std::collections::HashMap<&str, &str> =
        fa.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut differing: Vec<(String, Option<String>, Option<String>)> = Vec::new();
    for (k, v) in &fa {
        if mb.get(k.as_str()) != Some(&v.as_str()) && !opts.ignores(k) {
            differing.push((
                k.clone(),
                Some(v.clone()),
                mb.get(k.as_str()).map(|s| s.to_string()),
            ));
        }
    }
    for (k, v) in &fb {
        if !ma.contains_key(k.as_str()) && !opts.ignores(k) {
            differing.push((k.clone(), None, Some(v.clone())));
        }
    }
    if differing.is_empty() {
        return;
    }
    report.frames_differing += 1;
    let lbl = label(a);
    for (k, va, vb) in &differing {
        report.add(k, Some(a.ordinal), &lbl, va.as_deref(), vb.as_deref());
    }
    if report.first.is_none() {
        let lines = |u: &Unit| -> Vec<String> {
            u.controls
                .iter()
                .map(|(id, v)| format!("{}: {v}", side::control_prefix(*id)))
                .collect()
        };
        report.first = Some(FirstDiff {
            frame: lbl,
            ordinal: a.ordinal,
            seq_a: a.seq,
            seq_b: b.seq,
            calls_a: side::calls_text(&a.calls),
            calls_b: side::calls_text(&b.calls),
            controls_a: lines(a),
            controls_b: lines(b),
            differing,
            fields_a: fa,
            fields_b: fb,
        });
    }
}
