//! The replay's verdict: [`Report`] (JSON with `--json`, text otherwise), the per-call field
//! comparison that decides a divergence, and `--compare A B` of two reports.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
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
    /// Calls not issued, by reason.
    pub skipped: BTreeMap<String, u64>,
    pub divergences: u64,
    pub first_divergence: Option<Divergence>,
    /// Divergences per ioctl name.
    pub divergences_by_call: BTreeMap<String, u64>,
    /// Calls that failed in the recording, in order (the first 64).
    pub recorded_failures: Vec<Failure>,
    pub injections: Vec<Injection>,
    /// Requests the replay queued and never reinitialised before they were closed or the trace
    /// ended (the request-slot leak): the sequence numbers of their last MEDIA_REQUEST_IOC_QUEUE.
    pub requests_never_reinit: Vec<u64>,
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
    /// recording), `pool` (the pool model), `bookkeeping` (fds, mappings, checksums), `checksum` (the
    /// CAPTURE checksums alone, a part of `bookkeeping`).
    pub profile_ns: BTreeMap<String, u64>,
    /// The recorded process's exit code.
    pub recorded_exit_code: Option<i32>,
}

impl Report {
    /// Whether the replay matched the recording.
    pub fn diverged(&self) -> bool {
        self.divergences > 0
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
        if !self.requests_never_reinit.is_empty() {
            let _ = writeln!(
                s,
                "  {} requests queued and never reinitialised (slots leaked), queued at ioctls {:?}",
                self.requests_never_reinit.len(),
                self.requests_never_reinit
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
            None => {
                let _ = writeln!(s, "  no divergence");
            }
        }
        s
    }
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

/// The fields of `replayed` the kernel wrote that differ from `recorded`. Values are compared
/// first and only formatted when they differ; calls whose written fields are not compared (QBUF,
/// controls…) are not decoded at all.
pub fn compare(recorded: &Ioctl, replayed: &Ioctl) -> Vec<FieldDiff> {
    let mut diffs = Vec::new();
    let (re, rp) = (
        traces::record::errno_of(recorded.ret),
        traces::record::errno_of(replayed.ret),
    );
    if re != rp || (re.is_none() && recorded.ret != replayed.ret) {
        differs(&mut diffs, "result", recorded.ret, replayed.ret, result_str);
        return diffs;
    }
    if re.is_some() || recorded.request == ioctl::qbuf::VIDIOC_QBUF {
        return diffs;
    }
    let Some(info) = ioctl::lookup(recorded.request) else {
        return diffs;
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
        return diffs;
    }
    let (Some(a), Some(b)) = (after_arg(recorded), after_arg(replayed)) else {
        return diffs;
    };
    let d = &mut diffs;
    match (info.arg, a, b) {
        (ArgType::Buffer, Arg::Buffer(a), Arg::Buffer(b)) => {
            let dq = recorded.request == ioctl::qbuf::VIDIOC_DQBUF;
            if dq {
                differs(d, "index", a.index, b.index, |v| v.to_string());
                differs(d, "flags", a.flags, b.flags, ioctl::names::buf_flags);
                differs(d, "sequence", a.sequence, b.sequence, |v| v.to_string());
                differs(d, "timestamp", a.timestamp.ns(), b.timestamp.ns(), |v| {
                    v.to_string()
                });
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
        (_, a, b) => differs(d, "argument", a.to_string(), b.to_string(), |v| v),
    }
    diffs
}

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
        let d = compare(&rec, &rep);
        assert_eq!(d[0].field, "result");
        assert_eq!(d[0].recorded, "-EBUSY");
        let rec = Ioctl { ret: 0, ..rec };
        let mut rep = rec.clone();
        rep.after[0] = 2;
        let d = compare(&rec, &rep);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(compare(&rec, &rec).is_empty());
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
}
