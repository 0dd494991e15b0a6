//! The replay's verdict: [`Report`] (JSON with `--json`, text otherwise), the per-call field
//! comparison that decides a divergence (behaviour) or only lists a difference (environment:
//! kernel and driver versions, bus and card names, kernel-made timestamps), whether the replay
//! is complete enough for a verdict, the findings of `traces::check` over the replayed calls,
//! and `--compare A B` of two reports.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use traces::check::{Finding, Summary};
use traces::ioctl::{self, Arg, ArgType};
use traces::record::Ioctl;

use crate::sys::errno_name;

/// One field that differs between the recording and the replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDiff {
    pub field: String,
    pub recorded: String,
    pub replayed: String,
}

/// A difference in a field that identifies the environment rather than the behaviour: kernel
/// and driver version numbers, bus_info, card/model/serial strings, media hw revision, the
/// header's kernel release, timestamps the kernel made (not copied from the client). Listed in
/// the report; counted as a divergence only with `--strict`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvDiff {
    /// Where: `header`, `device /dev/video4` (the node's identity checked before the replay),
    /// or the ioctl's name.
    pub at: String,
    /// The first ioctl that showed it (none for the header and device checks).
    pub seq: Option<u64>,
    pub field: String,
    pub recorded: String,
    pub replayed: String,
    /// How many calls showed this same difference.
    pub count: u64,
}

/// Events the recording lost (its ring buffer overflowed): a hole in the trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostSpan {
    pub count: u64,
    /// When the loss was noticed, ns after the trace's first record.
    pub at_ns: u64,
    /// The last ioctl recorded before the hole and the first after it.
    pub after_seq: Option<u64>,
    pub before_seq: Option<u64>,
}

impl LostSpan {
    /// "5 events lost between ioctl 10 and ioctl 11 (+0.123 s)".
    pub fn describe(&self) -> String {
        let side = |s: Option<u64>, none: &str| match s {
            Some(n) => format!("ioctl {n}"),
            None => none.to_string(),
        };
        format!(
            "{} events lost between {} and {} (+{:.3} s)",
            self.count,
            side(self.after_seq, "the start"),
            side(self.before_seq, "the end"),
            self.at_ns as f64 / 1e9
        )
    }
}

/// Below this share of the ioctls it reached replayed (the rest skipped: fds the replay does
/// not have, arguments it cannot rebuild, numbers outside the catalogue), a replay is
/// INCOMPLETE.
pub const MIN_REPLAYED_SHARE: f64 = 0.5;

/// A call whose result differs from the recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Divergence {
    /// The ioctl's sequence number in the trace (or the record's timestamp for polls/mmaps).
    pub seq: u64,
    pub call: String,
    pub fields: Vec<FieldDiff>,
    /// The recorded call, decoded (argument after the call and result).
    pub recorded: String,
    /// The replayed call, decoded.
    pub replayed: String,
}

/// A recorded failure and whether the replay failed the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub seq: u64,
    pub call: String,
    pub recorded: String,
    pub replayed: String,
    pub reproduced: bool,
}

/// What an injected fault did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Injection {
    pub spec: String,
    pub seq: u64,
    pub call: String,
    /// What the recording got from that call.
    pub recorded: String,
    pub injected: String,
    /// The next calls: (seq, call, recorded result, replayed result).
    pub next: Vec<(u64, String, String, String)>,
}

/// A call the recording shows injected live (`vatrace record --inject`, `Ioctl.injected`): the
/// replay injects it again (not issued, failed with the recorded errno), as `--inject @SEQ=ERRNO`
/// would; it reproduces the recording and is no divergence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedInjection {
    pub seq: u64,
    /// `NAME#K`, K counted over the whole trace as `--inject NAME#K` counts.
    pub call: String,
    /// The recorded (and replayed) result, e.g. `-EBUSY`.
    pub result: String,
}

/// A checksum of one dequeued CAPTURE buffer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    /// Sequence number of the DQBUF in the trace.
    pub seq: u64,
    pub index: u32,
    /// `v4l2_buffer.sequence`.
    pub sequence: u32,
    pub timestamp_ns: u64,
    /// Bytes hashed (sum over planes of `bytesused - data_offset`).
    pub bytes: u64,
    /// SHA-256 of the planes' bytes, hex; empty when the buffer could not be read.
    pub sha256: String,
}

/// What `traces::pool::PoolModel` made of the replay's side of the calls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PoolSummary {
    pub requests_allocated: u64,
    pub requests_leaked: u64,
    pub reqbufs_ebusy: u64,
    pub errors: u64,
    pub capture_dqbufs: u64,
    /// The model's notable events (EBUSY with the queue's census, failed and leaked requests).
    pub notable: Vec<String>,
}

/// The result of a replay.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Report {
    pub trace: String,
    pub command: Vec<String>,
    pub recorded_kernel: String,
    pub replay_kernel: String,
    /// Device nodes used: recorded path → replay path.
    pub devices: BTreeMap<String, String>,
    /// The trace ended with its End record (else it was cut; see `cut`).
    pub complete: bool,
    pub cut: Option<String>,
    /// `--until` stopped the replay after this ioctl.
    pub stopped_after: Option<u64>,
    pub ioctls_in_trace: u64,
    pub ioctls_replayed: u64,
    pub ioctls_matched: u64,
    /// Ioctls reached and not issued (every reason in `skipped` that is an ioctl's, except DQBUFs
    /// that returned EAGAIN when recorded: those are left out on purpose).
    pub ioctls_skipped: u64,
    /// Calls not issued, by reason.
    pub skipped: BTreeMap<String, u64>,
    pub divergences: u64,
    pub first_divergence: Option<Divergence>,
    /// Divergences per ioctl name.
    pub divergences_by_call: BTreeMap<String, u64>,
    /// `--strict`: environment differences count as divergences.
    pub strict: bool,
    /// Environment differences (the first 32 distinct ones), never divergences unless `strict`.
    pub environment: Vec<EnvDiff>,
    /// All environment differences, repeats included.
    pub environment_differences: u64,
    /// Events the recording lost, and where (the first 16 holes).
    pub lost_events: u64,
    pub lost_spans: Vec<LostSpan>,
    /// Why the replay cannot vouch for the recording (lost events, too little replayed); empty
    /// when complete. Non-empty means the INCOMPLETE verdict.
    pub incomplete: Vec<String>,
    /// Calls that failed in the recording, in order (the first 64).
    pub recorded_failures: Vec<Failure>,
    pub injections: Vec<Injection>,
    /// Calls injected live when recorded, injected again by the replay (never issued).
    pub recorded_injections: Vec<RecordedInjection>,
    /// What `traces::check` found over the replay's side of the calls (the same rules as
    /// `vatrace check`: request-slot leaks, starvation, EBUSY with the buffers' states, …), in
    /// order. They inform; the verdict (divergence, incomplete) does not depend on them.
    pub findings: Vec<Finding>,
    /// The check's counts (records, frames, errors, warnings, notes).
    pub check: Summary,
    /// The pool model's view of the replay.
    pub pool: PoolSummary,
    pub frames: Vec<Frame>,
    pub polls: u64,
    pub mmaps: u64,
    /// QUERYBUFs the replay issued of its own to find buffers to checksum (they change no state).
    pub extra_querybufs: u64,
    pub bitstream_bytes: u64,
    /// Wall time of the recorded span and of the replay, ns.
    pub recorded_ns: u64,
    pub replay_ns: u64,
    /// Wall time of the pre-pass (reading the whole trace once) and of opening and checking
    /// the devices, before the replay proper, ns.
    pub prepass_ns: u64,
    pub devices_ns: u64,
    /// The replay process's peak resident memory (VmHWM), KiB.
    pub peak_rss_kib: u64,
    /// Where the replay's own time went, ns per phase: `read` (streaming the trace), `issue`
    /// (the ioctls, DQBUF waits included), `wait` (recorded polls), `verdict` (comparing with the
    /// recording), `pool` (the pool model and `traces::check`'s rules, which move it),
    /// `bookkeeping` (fds, mappings, checksums), `checksum` (the CAPTURE checksums alone, a part
    /// of `bookkeeping`).
    pub profile_ns: BTreeMap<String, u64>,
    /// The recorded process's exit code.
    pub recorded_exit_code: Option<i32>,
}

impl Report {
    /// Whether the replay diverged from the recording (environment differences count only
    /// with `--strict`).
    pub fn diverged(&self) -> bool {
        self.divergences > 0
    }

    /// Whether the verdict is INCOMPLETE (see [`Report::incomplete`]).
    pub fn is_incomplete(&self) -> bool {
        !self.incomplete.is_empty()
    }

    /// Share of the ioctls the replay reached that it issued (1 when it reached none).
    pub fn replayed_share(&self) -> f64 {
        let reached = self.ioctls_replayed + self.ioctls_skipped;
        if reached == 0 {
            1.0
        } else {
            self.ioctls_replayed as f64 / reached as f64
        }
    }

    /// Lists an environment difference (once per distinct difference, counted every time).
    pub fn environment_differs(&mut self, at: &str, seq: Option<u64>, d: FieldDiff) {
        self.environment_differences += 1;
        if let Some(e) = self.environment.iter_mut().find(|e| {
            e.at == at && e.field == d.field && e.recorded == d.recorded && e.replayed == d.replayed
        }) {
            e.count += 1;
        } else if self.environment.len() < 32 {
            self.environment.push(EnvDiff {
                at: at.to_string(),
                seq,
                field: d.field,
                recorded: d.recorded,
                replayed: d.replayed,
                count: 1,
            });
        }
    }

    /// Decides whether the replay is complete enough for a verdict: fills [`Report::incomplete`].
    pub fn judge_completeness(&mut self) {
        let mut why = Vec::new();
        if self.lost_events > 0 {
            let spans: Vec<String> = self.lost_spans.iter().map(LostSpan::describe).collect();
            why.push(format!(
                "the recording lost {} events ({} holes: {}{})",
                self.lost_events,
                self.lost_spans.len(),
                spans.join("; "),
                if self.lost_spans.len() >= 16 {
                    "; …"
                } else {
                    ""
                }
            ));
        }
        let reached = self.ioctls_replayed + self.ioctls_skipped;
        if self.ioctls_in_trace > 0 && self.ioctls_replayed == 0 {
            why.push(format!(
                "nothing replayed: 0 of {} ioctls issued",
                self.ioctls_in_trace
            ));
        } else if reached > 0 && self.replayed_share() < MIN_REPLAYED_SHARE {
            why.push(format!(
                "only {} of {reached} ioctls reached were issued ({:.1} %, {} skipped); at least {:.0} % are needed",
                self.ioctls_replayed,
                100.0 * self.replayed_share(),
                self.ioctls_skipped,
                100.0 * MIN_REPLAYED_SHARE
            ));
        }
        self.incomplete = why;
    }

    /// The human-readable report.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "replay of {} ({:?})", self.trace, self.command.join(" "));
        for (a, b) in &self.devices {
            let _ = writeln!(s, "  device {a} -> {b}");
        }
        let _ = writeln!(
            s,
            "  {} of {} ioctls replayed, {} matched, {} diverged{}",
            self.ioctls_replayed,
            self.ioctls_in_trace,
            self.ioctls_matched,
            self.divergences,
            if self.skipped.is_empty() {
                String::new()
            } else {
                format!(", skipped {:?}", self.skipped)
            }
        );
        let _ = writeln!(
            s,
            "  {} polls, {} mmaps, {} bitstream bytes, {} CAPTURE frames checksummed; recorded {:.3} s, replayed {:.3} s",
            self.polls,
            self.mmaps,
            self.bitstream_bytes,
            self.frames.len(),
            self.recorded_ns as f64 / 1e9,
            self.replay_ns as f64 / 1e9
        );
        if let Some(c) = &self.cut {
            let _ = writeln!(s, "  TRUNCATED TRACE: replayed up to its end: {c}");
        }
        if let Some(n) = self.stopped_after {
            let _ = writeln!(s, "  stopped after ioctl {n} (--until)");
        }
        for f in self.recorded_failures.iter().take(8) {
            let _ = writeln!(
                s,
                "  recorded failure: ioctl {} {} -> {}; replay -> {} ({})",
                f.seq,
                f.call,
                f.recorded,
                f.replayed,
                if f.reproduced {
                    "reproduced"
                } else {
                    "NOT reproduced"
                }
            );
        }
        let c = &self.check;
        let _ = writeln!(
            s,
            "  check (the replayed calls, as `vatrace check` judges them): {} errors, {} warnings, {} notes",
            c.errors, c.warnings, c.notes
        );
        for f in self.findings.iter().take(MAX_FINDINGS_SHOWN) {
            let _ = writeln!(s, "    {}", finding_line(f));
        }
        if self.findings.len() > MAX_FINDINGS_SHOWN {
            let _ = writeln!(
                s,
                "    … {} more findings (--json lists them all)",
                self.findings.len() - MAX_FINDINGS_SHOWN
            );
        }
        let p = &self.pool;
        let _ = writeln!(
            s,
            "  pool model: {} requests allocated, {} leaked, {} REQBUFS EBUSY, {} failed calls, {} CAPTURE dequeues",
            p.requests_allocated, p.requests_leaked, p.reqbufs_ebusy, p.errors, p.capture_dqbufs
        );
        for n in p.notable.iter().take(8) {
            let _ = writeln!(s, "    {n}");
        }
        if !self.recorded_injections.is_empty() {
            let calls: Vec<String> = self
                .recorded_injections
                .iter()
                .map(|i| format!("ioctl {} {} {}", i.seq, i.call, i.result))
                .collect();
            let _ = writeln!(
                s,
                "  injected as recorded ({} calls the recording shows injected by `vatrace record --inject`: \
                 not issued, failed with the recorded errno, as `--inject @SEQ=ERRNO` would): {}",
                calls.len(),
                calls.join(", ")
            );
        }
        for i in &self.injections {
            let _ = writeln!(
                s,
                "  injected {} at ioctl {} {}: recorded {}, injected {}",
                i.spec, i.seq, i.call, i.recorded, i.injected
            );
            for (seq, call, rec, rep) in &i.next {
                let _ = writeln!(
                    s,
                    "    then ioctl {seq} {call}: recorded {rec}, replay {rep}"
                );
            }
        }
        if !self.environment.is_empty() {
            let _ = writeln!(
                s,
                "  environment: {} differences ({}):",
                self.environment_differences,
                if self.strict {
                    "counted as divergences: --strict"
                } else {
                    "not divergences; --strict counts them"
                }
            );
            for e in &self.environment {
                let at = match e.seq {
                    Some(seq) => format!("ioctl {seq} {}", e.at),
                    None => e.at.clone(),
                };
                let times = if e.count > 1 {
                    format!(" ({} calls)", e.count)
                } else {
                    String::new()
                };
                let _ = writeln!(
                    s,
                    "    {at} {}: recorded {}, replayed {}{times}",
                    e.field, e.recorded, e.replayed
                );
            }
        }
        match &self.first_divergence {
            Some(d) => {
                let _ = writeln!(s, "  FIRST DIVERGENCE at ioctl {} {}:", d.seq, d.call);
                for f in &d.fields {
                    let _ = writeln!(
                        s,
                        "    {}: recorded {}, replayed {}",
                        f.field, f.recorded, f.replayed
                    );
                }
                let _ = writeln!(s, "    recorded: {}", d.recorded);
                let _ = writeln!(s, "    replayed: {}", d.replayed);
                if self.divergences > 1 {
                    let _ = writeln!(
                        s,
                        "  {} more divergences: {:?}",
                        self.divergences - 1,
                        self.divergences_by_call
                    );
                }
            }
            None if self.divergences > 0 => {
                let _ = writeln!(
                    s,
                    "  {} divergences: {:?}",
                    self.divergences, self.divergences_by_call
                );
            }
            None => {
                let _ = writeln!(s, "  no divergence");
            }
        }
        for why in &self.incomplete {
            let _ = writeln!(s, "  INCOMPLETE: {why}");
        }
        s
    }
}

/// Findings the text report lists (all of them are in the JSON).
pub const MAX_FINDINGS_SHOWN: usize = 16;

/// A finding on one line: `error[request-leak] record 231 frame 3 pid 62: statement`.
pub fn finding_line(f: &Finding) -> String {
    let mut s = format!("{}[{}]", f.severity.name(), f.rule);
    match f.seq {
        Some(q) => {
            let _ = write!(s, " ioctl {q}");
        }
        None => {
            let _ = write!(s, " record {}", f.record);
        }
    }
    if let Some(fr) = f.frame {
        let _ = write!(s, " frame {fr}");
    }
    if let Some(p) = f.pid {
        let _ = write!(s, " pid {p}");
    }
    let _ = write!(s, ": {}", f.statement);
    s
}

/// "0", "-EBUSY", …
pub fn result_str(ret: i64) -> String {
    match traces::record::errno_of(ret) {
        Some(e) => format!("-{}", errno_name(e)),
        None => ret.to_string(),
    }
}

/// The call and its decoded argument after the call.
pub fn describe(io: &Ioctl) -> String {
    let d = ioctl::decode_ioctl(io);
    match d.best() {
        Some(Ok(arg)) => format!("{}({arg}) = {}", d.name, result_str(io.ret)),
        _ => format!("{}(…) = {}", d.name, result_str(io.ret)),
    }
}

fn after_arg(io: &Ioctl) -> Option<Arg> {
    match ioctl::decode_ioctl(io).after {
        Some(Ok(a)) => Some(a),
        _ => None,
    }
}

/// Records that `field` differs, when it does.
fn differs<T: PartialEq>(
    diffs: &mut Vec<FieldDiff>,
    field: &str,
    a: T,
    b: T,
    show: impl Fn(T) -> String,
) {
    if a != b {
        diffs.push(FieldDiff {
            field: field.into(),
            recorded: show(a),
            replayed: show(b),
        });
    }
}

/// How a replayed call differs from its recording.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compared {
    /// Behaviour: results, errnos, buffer indices, flags, sizes, formats, capabilities…
    pub behaviour: Vec<FieldDiff>,
    /// Environment: version numbers, bus and card names, kernel-made timestamps.
    pub environment: Vec<FieldDiff>,
}

impl Compared {
    /// No difference at all.
    pub fn is_empty(&self) -> bool {
        self.behaviour.is_empty() && self.environment.is_empty()
    }
}

/// The fields of `replayed` the kernel wrote that differ from `recorded`, split into behaviour
/// and environment. Values are compared first and only formatted when they differ; calls whose
/// written fields are not compared (QBUF, controls…) are not decoded at all.
pub fn compare(recorded: &Ioctl, replayed: &Ioctl) -> Compared {
    let mut c = Compared::default();
    let (re, rp) = (
        traces::record::errno_of(recorded.ret),
        traces::record::errno_of(replayed.ret),
    );
    if re != rp || (re.is_none() && recorded.ret != replayed.ret) {
        differs(
            &mut c.behaviour,
            "result",
            recorded.ret,
            replayed.ret,
            result_str,
        );
        return c;
    }
    if re.is_some() || recorded.request == ioctl::qbuf::VIDIOC_QBUF {
        return c;
    }
    let Some(info) = ioctl::lookup(recorded.request) else {
        return c;
    };
    let compared = matches!(
        info.arg,
        ArgType::Buffer
            | ArgType::RequestBuffers
            | ArgType::Format
            | ArgType::Capability
            | ArgType::FmtDesc
            | ArgType::FrmSizeEnum
            | ArgType::CreateBuffers
            | ArgType::QueryCtrl
            | ArgType::QueryExtCtrl
            | ArgType::QueryMenu
            | ArgType::Selection
            | ArgType::MediaDeviceInfo
            | ArgType::DecoderCmd
    );
    if !compared {
        return c;
    }
    let (Some(a), Some(b)) = (after_arg(recorded), after_arg(replayed)) else {
        return c;
    };
    let (d, env) = (&mut c.behaviour, &mut c.environment);
    let s = |v: String| v;
    let version = |v: u32| ioctl::querycap::kernel_version(v);
    match (info.arg, a, b) {
        (ArgType::Buffer, Arg::Buffer(a), Arg::Buffer(b)) => {
            let dq = recorded.request == ioctl::qbuf::VIDIOC_DQBUF;
            if dq {
                differs(d, "index", a.index, b.index, |v| v.to_string());
                differs(d, "flags", a.flags, b.flags, ioctl::names::buf_flags);
                differs(d, "sequence", a.sequence, b.sequence, |v| v.to_string());
                // A copied timestamp is the client's (and names reference frames); any other
                // kind is the kernel's clock at that moment.
                let copied =
                    a.flags & ioctl::names::BUF_FLAG_TIMESTAMP_MASK == BUF_FLAG_TIMESTAMP_COPY;
                differs(
                    if copied { &mut *d } else { &mut *env },
                    "timestamp",
                    a.timestamp.ns(),
                    b.timestamp.ns(),
                    |v| v.to_string(),
                );
                differs(d, "bytesused", a.bytesused, b.bytesused, |v| v.to_string());
            }
            let planes = |p: &Option<Vec<ioctl::qbuf::Plane>>| -> Vec<u32> {
                p.iter()
                    .flatten()
                    .map(|p| if dq { p.bytesused } else { p.length })
                    .collect()
            };
            let what = if dq {
                "planes.bytesused"
            } else {
                "planes.length"
            };
            let join = |v: Vec<u32>| v.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
            differs(d, what, planes(&a.planes), planes(&b.planes), join);
            if recorded.request == ioctl::qbuf::VIDIOC_QUERYBUF && !a.is_mplane() {
                differs(d, "length", a.length, b.length, |v| v.to_string());
            }
        }
        (ArgType::RequestBuffers, Arg::RequestBuffers(a), Arg::RequestBuffers(b)) => {
            differs(d, "request buffers", a.to_string(), b.to_string(), |v| v);
        }
        // A buffer call decoded as something else: nothing to compare.
        (ArgType::Buffer | ArgType::RequestBuffers, _, _) => {}
        (ArgType::Capability, Arg::Capability(a), Arg::Capability(b)) => {
            differs(d, "driver", a.driver, b.driver, s);
            differs(d, "capabilities", a.capabilities, b.capabilities, |v| {
                format!("{v:#010x}")
            });
            differs(d, "device_caps", a.device_caps, b.device_caps, |v| {
                format!("{v:#010x}")
            });
            differs(env, "card", a.card, b.card, s);
            differs(env, "bus_info", a.bus_info, b.bus_info, s);
            differs(env, "version", a.version, b.version, version);
        }
        (ArgType::MediaDeviceInfo, Arg::MediaDeviceInfo(a), Arg::MediaDeviceInfo(b)) => {
            differs(d, "driver", a.driver, b.driver, s);
            differs(env, "model", a.model, b.model, s);
            differs(env, "serial", a.serial, b.serial, s);
            differs(env, "bus_info", a.bus_info, b.bus_info, s);
            differs(
                env,
                "media_version",
                a.media_version,
                b.media_version,
                version,
            );
            differs(env, "hw_revision", a.hw_revision, b.hw_revision, |v| {
                format!("{v:#x}")
            });
            differs(
                env,
                "driver_version",
                a.driver_version,
                b.driver_version,
                version,
            );
        }
        (_, a, b) => differs(d, "argument", a.to_string(), b.to_string(), |v| v),
    }
    c
}

/// `V4L2_BUF_FLAG_TIMESTAMP_COPY`: the buffer's timestamp is the one the client queued.
const BUF_FLAG_TIMESTAMP_COPY: u32 = 0x4000;

/// `--compare A B`: where two replays' frames and verdicts differ. Returns the text and whether
/// they are identical.
pub fn compare_reports(a: &Report, b: &Report) -> (String, bool) {
    let mut s = String::new();
    let mut same = true;
    let _ = writeln!(
        s,
        "A: {} ({} frames, {} divergences)",
        a.trace,
        a.frames.len(),
        a.divergences
    );
    let _ = writeln!(
        s,
        "B: {} ({} frames, {} divergences)",
        b.trace,
        b.frames.len(),
        b.divergences
    );
    let mut differing = 0;
    for (i, (fa, fb)) in a.frames.iter().zip(&b.frames).enumerate() {
        if fa.sha256 != fb.sha256 || fa.timestamp_ns != fb.timestamp_ns {
            if differing < 10 {
                let _ = writeln!(
                    s,
                    "frame {i}: A ioctl {} index {} ts {} {} | B ioctl {} index {} ts {} {}",
                    fa.seq,
                    fa.index,
                    fa.timestamp_ns,
                    short(&fa.sha256),
                    fb.seq,
                    fb.index,
                    fb.timestamp_ns,
                    short(&fb.sha256)
                );
            }
            differing += 1;
        }
    }
    if a.frames.len() != b.frames.len() {
        let _ = writeln!(
            s,
            "frame counts differ: A {} B {}",
            a.frames.len(),
            b.frames.len()
        );
        same = false;
    }
    if differing > 0 {
        let _ = writeln!(s, "{differing} frames differ");
        same = false;
    }
    let judged = |r: &Report| -> Vec<(String, Option<u64>, Option<u64>)> {
        r.findings
            .iter()
            .map(|f| (f.rule.to_string(), f.seq, f.frame))
            .collect()
    };
    let (ja, jb) = (judged(a), judged(b));
    if ja != jb {
        let first = ja
            .iter()
            .zip(&jb)
            .position(|(x, y)| x != y)
            .unwrap_or(ja.len().min(jb.len()));
        let show = |r: &Report| {
            r.findings
                .get(first)
                .map_or("none".to_string(), finding_line)
        };
        let _ = writeln!(
            s,
            "findings differ: A {} B {}; the first that differs: A {} | B {}",
            ja.len(),
            jb.len(),
            show(a),
            show(b)
        );
        same = false;
    }
    let fd = |r: &Report| r.first_divergence.as_ref().map(|d| (d.seq, d.call.clone()));
    if fd(a) != fd(b) {
        let _ = writeln!(s, "first divergence: A {:?} | B {:?}", fd(a), fd(b));
        same = false;
    }
    if same {
        let _ = writeln!(
            s,
            "identical: {} frames with the same checksums, same verdict",
            a.frames.len()
        );
    }
    (s, same)
}

fn short(h: &str) -> &str {
    &h[..h.len().min(16)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use traces::ioctl::reqbufs::VIDIOC_REQBUFS;

    #[test]
    fn errno_and_count_differences_are_reported() {
        let mut after = vec![0u8; 20];
        after[0] = 4;
        after[4] = 9;
        let rec = Ioctl {
            request: VIDIOC_REQBUFS,
            before: after.clone(),
            after: after.clone(),
            ret: -16,
            ..Default::default()
        };
        let rep = Ioctl {
            ret: 0,
            ..rec.clone()
        };
        let d = compare(&rec, &rep).behaviour;
        assert_eq!(d[0].field, "result");
        assert_eq!(d[0].recorded, "-EBUSY");
        let rec = Ioctl { ret: 0, ..rec };
        let mut rep = rec.clone();
        rep.after[0] = 2;
        let d = compare(&rec, &rep);
        assert_eq!(d.behaviour.len(), 1, "{d:?}");
        assert!(d.environment.is_empty());
        assert!(compare(&rec, &rec).is_empty());
    }

    fn put(b: &mut [u8], off: usize, v: u32) {
        b[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }

    fn call(request: u32, after: Vec<u8>) -> Ioctl {
        Ioctl {
            request,
            before: after.clone(),
            after,
            ..Default::default()
        }
    }

    #[test]
    fn versions_and_names_are_environment_driver_and_caps_are_behaviour() {
        use traces::ioctl::layout::{media_device_info as DI, v4l2_capability as C};
        let mut cap = vec![0u8; C::SIZE];
        cap[C::DRIVER..C::DRIVER + 4].copy_from_slice(b"visl");
        put(&mut cap, C::VERSION, 0x060c75);
        put(&mut cap, C::CAPABILITIES, 0x8420_4000);
        let rec = call(ioctl::querycap::VIDIOC_QUERYCAP, cap.clone());
        let mut rep = rec.clone();
        put(&mut rep.after, C::VERSION, 0x060c76);
        rep.after[C::BUS_INFO] = b'x';
        let c = compare(&rec, &rep);
        assert!(c.behaviour.is_empty(), "{c:?}");
        let fields: Vec<_> = c.environment.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["bus_info", "version"]);
        assert_eq!(c.environment[1].recorded, "6.12.117");
        put(&mut rep.after, C::CAPABILITIES, 0x8420_0000);
        rep.after[C::DRIVER] = b'V';
        let c = compare(&rec, &rep);
        let fields: Vec<_> = c.behaviour.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["driver", "capabilities"]);

        let mut di = vec![0u8; DI::SIZE];
        di[..4].copy_from_slice(b"visl");
        put(&mut di, DI::MEDIA_VERSION, 0x060c75);
        put(&mut di, DI::DRIVER_VERSION, 0x060c75);
        let rec = call(ioctl::media::MEDIA_IOC_DEVICE_INFO, di);
        let mut rep = rec.clone();
        put(&mut rep.after, DI::MEDIA_VERSION, 0x060c76);
        put(&mut rep.after, DI::DRIVER_VERSION, 0x060c76);
        put(&mut rep.after, DI::HW_REVISION, 3);
        rep.after[DI::MODEL] = b'm';
        let c = compare(&rec, &rep);
        assert!(c.behaviour.is_empty(), "{c:?}");
        assert_eq!(c.environment.len(), 4, "{c:?}");
        rep.after[0] = b'V';
        assert_eq!(compare(&rec, &rep).behaviour[0].field, "driver");
    }

    #[test]
    fn a_copied_timestamp_is_behaviour_a_kernel_one_environment() {
        use traces::ioctl::layout::v4l2_buffer as B;
        let mut b = vec![0u8; B::SIZE];
        put(&mut b, B::TYPE, ioctl::names::BUF_TYPE_VIDEO_CAPTURE_MPLANE);
        put(&mut b, B::FLAGS, BUF_FLAG_TIMESTAMP_COPY);
        put(&mut b, B::TIMESTAMP, 5);
        let rec = call(ioctl::qbuf::VIDIOC_DQBUF, b);
        let mut rep = rec.clone();
        put(&mut rep.after, B::TIMESTAMP, 6);
        let c = compare(&rec, &rep);
        assert_eq!((c.behaviour.len(), c.environment.len()), (1, 0), "{c:?}");
        let (mut rec, mut rep) = (rec, rep);
        put(&mut rec.after, B::FLAGS, 0x2000);
        put(&mut rep.after, B::FLAGS, 0x2000);
        let c = compare(&rec, &rep);
        assert_eq!((c.behaviour.len(), c.environment.len()), (0, 1), "{c:?}");
        assert_eq!(c.environment[0].field, "timestamp");
    }

    #[test]
    fn lost_events_or_little_replayed_make_the_verdict_incomplete() {
        let mut r = Report {
            ioctls_in_trace: 100,
            ioctls_replayed: 90,
            ioctls_skipped: 10,
            ..Default::default()
        };
        r.judge_completeness();
        assert!(!r.is_incomplete());
        r.lost_events = 7;
        r.lost_spans.push(LostSpan {
            count: 7,
            at_ns: 1_500_000_000,
            after_seq: Some(41),
            before_seq: Some(42),
        });
        r.judge_completeness();
        assert!(r.text().contains(
            "INCOMPLETE: the recording lost 7 events (1 holes: 7 events lost between ioctl 41 and ioctl 42 (+1.500 s))"
        ), "{}", r.text());
        r.lost_events = 0;
        r.lost_spans.clear();
        (r.ioctls_replayed, r.ioctls_skipped) = (10, 90);
        r.judge_completeness();
        assert!(
            r.text().contains("INCOMPLETE: only 10 of 100"),
            "{}",
            r.text()
        );
        (r.ioctls_replayed, r.ioctls_skipped) = (0, 100);
        r.judge_completeness();
        assert!(
            r.text().contains("INCOMPLETE: nothing replayed"),
            "{}",
            r.text()
        );
    }

    #[test]
    fn compare_reports_finds_differing_frames() {
        let f = |h: &str| Frame {
            seq: 1,
            index: 0,
            sequence: 0,
            timestamp_ns: 5,
            bytes: 1,
            sha256: h.into(),
        };
        let a = Report {
            frames: vec![f("aa"), f("bb")],
            ..Default::default()
        };
        let mut b = a.clone();
        assert!(compare_reports(&a, &b).1);
        b.frames[1] = f("cc");
        let (text, same) = compare_reports(&a, &b);
        assert!(!same);
        assert!(text.contains("frame 1"), "{text}");
    }

    /// A report with the findings `traces::check` makes over the hand-built leak sample.
    fn checked() -> Report {
        let (h, recs) = traces::pool::synth::leak_and_ebusy();
        let mut rules = traces::check::Checker::new(&h, None);
        let mut findings = Vec::new();
        for r in &recs {
            rules.apply(r);
            findings.extend(rules.drain());
        }
        findings.extend(rules.finish(None));
        Report {
            check: rules.summary(),
            findings,
            ..Default::default()
        }
    }

    #[test]
    fn findings_are_listed_read_back_and_compared() {
        let a = checked();
        assert!(a.check.errors > 0);
        let text = a.text();
        assert!(
            text.contains(&format!("{} errors", a.check.errors)),
            "{text}"
        );
        let first = &a.findings[0];
        assert!(text.contains(&finding_line(first)), "{text}");
        // `--compare` reads reports back from their JSON, findings included.
        let back: Report = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(back.findings, a.findings);
        assert_eq!(back.check, a.check);
        assert!(compare_reports(&a, &back).1);
        let mut b = back;
        let gone = b.findings.remove(1);
        let (text, same) = compare_reports(&a, &b);
        assert!(!same);
        assert!(text.contains("findings differ"), "{text}");
        assert!(text.contains(&gone.statement), "{text}");
        // A report written before findings existed still reads.
        let old: Report = serde_json::from_str(r#"{"trace": "t", "divergences": 0}"#).unwrap();
        assert!(old.findings.is_empty());
    }

    #[test]
    fn recorded_injections_are_said_and_read_back() {
        let r = Report {
            recorded_injections: vec![RecordedInjection {
                seq: 41,
                call: "MEDIA_REQUEST_IOC_REINIT#3".into(),
                result: "-EBUSY".into(),
            }],
            ..Default::default()
        };
        let text = r.text();
        assert!(
            text.contains("injected as recorded (1 calls")
                && text.contains("ioctl 41 MEDIA_REQUEST_IOC_REINIT#3 -EBUSY"),
            "{text}"
        );
        assert!(!Report::default().text().contains("injected as recorded"));
        let back: Report = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back.recorded_injections, r.recorded_injections);
        // A report written before recorded injections existed still reads.
        let old: Report = serde_json::from_str(r#"{"trace": "t", "divergences": 0}"#).unwrap();
        assert!(old.recorded_injections.is_empty());
    }
}
