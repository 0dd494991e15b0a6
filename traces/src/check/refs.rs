//! Frame and reference rules: stateless decoders name reference pictures by the timestamp of
//! the CAPTURE buffer that holds them (copied from the OUTPUT buffer that carried the frame), and
//! look them up in the CAPTURE queue when the job runs (`vb2_find_buffer`).
//!
//! * `ref-unknown` (error): a reference timestamp (H.264 DPB entry marked VALID, MPEG-2
//!   forward/backward of P/B pictures, VP8 last/golden/alt of inter frames, VP9 last/golden/alt of
//!   inter frames, HEVC's active DPB entries) that no earlier OUTPUT buffer of the context carried;
//! * `ref-requeued` (warning): the CAPTURE buffer holding a reference was queued again (it may be
//!   decoded into, overwriting the reference, while it is read);
//! * `duplicate-timestamp` (warning): an OUTPUT buffer queued with the timestamp of another one
//!   still in flight, outside slice mode (`V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF`);
//! * `capture-error` (error): a CAPTURE buffer dequeued with `V4L2_BUF_FLAG_ERROR`.
//!
//! AV1's `reference_frame_ts` are not judged: which of the eight are used depends on
//! `ref_frame_idx` and the frame type, which the control alone does not settle.

use std::collections::VecDeque;

use rustc_hash::FxHashMap as HashMap;

use super::decode::{self, BUF_FLAG_ERROR, BUF_FLAG_HOLD_CAPTURE};
use super::{At, Facts, Severity, Sink};
use crate::controls::ControlValue;
use crate::pool::state::Side;
use crate::pool::{CtxId, PoolModel};
use crate::record::Record;

/// OUTPUT timestamps remembered per context (older ones cannot still be in any CAPTURE buffer
/// of a real pool; references to them are judged unknown).
pub const KNOWN_TIMESTAMPS: usize = 1024;

const DOC: &str =
    "Documentation/userspace-api/media/v4l/dev-stateless-decoder.rst (Buffer management while \
                   decoding)";

#[derive(Debug, Default)]
struct Ctx {
    known: HashMap<u64, u32>,
    order: VecDeque<u64>,
    /// Per CAPTURE index: the timestamp it came back with, and whether it was queued again since.
    cap: Vec<Option<(u64, bool)>>,
    /// The timestamp of the last OUTPUT buffer queued with HOLD_CAPTURE_BUF (slice mode).
    hold_ts: Option<u64>,
}

impl Ctx {
    fn remember(&mut self, ts: u64) {
        *self.known.entry(ts).or_insert(0) += 1;
        self.order.push_back(ts);
        while self.order.len() > KNOWN_TIMESTAMPS {
            if let Some(old) = self.order.pop_front() {
                if let Some(n) = self.known.get_mut(&old) {
                    *n -= 1;
                    if *n == 0 {
                        self.known.remove(&old);
                    }
                }
            }
        }
    }
}

/// The reference rules' state, per context.
#[derive(Debug, Default)]
pub struct State {
    ctxs: HashMap<CtxId, Ctx>,
}

/// The reference timestamps a control names, with a label for each.
fn references(v: &ControlValue) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    match v {
        ControlValue::H264DecodeParams(d) => {
            for (i, e) in d.dpb.iter().enumerate() {
                if e.flags & 0x1 != 0 {
                    out.push((format!("H.264 dpb[{i}]"), e.reference_ts));
                }
            }
        }
        ControlValue::Mpeg2Picture(p) => {
            if p.picture_coding_type == 2 || p.picture_coding_type == 3 {
                out.push(("MPEG-2 forward_ref_ts".into(), p.forward_ref_ts));
            }
            if p.picture_coding_type == 3 {
                out.push(("MPEG-2 backward_ref_ts".into(), p.backward_ref_ts));
            }
        }
        ControlValue::Vp8Frame(f) if f.flags & 0x1 == 0 => {
            out.push(("VP8 last_frame_ts".into(), f.last_frame_ts));
            out.push(("VP8 golden_frame_ts".into(), f.golden_frame_ts));
            out.push(("VP8 alt_frame_ts".into(), f.alt_frame_ts));
        }
        ControlValue::Vp9Frame(f) if f.flags & 0x9 == 0 => {
            out.push(("VP9 last_frame_ts".into(), f.last_frame_ts));
            out.push(("VP9 golden_frame_ts".into(), f.golden_frame_ts));
            out.push(("VP9 alt_frame_ts".into(), f.alt_frame_ts));
        }
        ControlValue::HevcDecodeParams(d) => {
            for (i, e) in d
                .dpb
                .iter()
                .take(usize::from(d.num_active_dpb_entries).min(16))
                .enumerate()
            {
                out.push((format!("HEVC dpb[{i}]"), e.timestamp));
            }
        }
        _ => {}
    }
    out
}

impl State {
    /// Entries kept (for [`super::Checker::in_flight`]).
    pub fn tracked(&self) -> usize {
        self.ctxs
            .values()
            .map(|c| 1 + c.known.len() + c.order.len() + c.cap.len())
            .sum::<usize>()
    }

    pub(super) fn before(
        &mut self,
        m: &PoolModel,
        rec: &Record,
        fx: &Facts,
        at: &At,
        s: &mut Sink,
    ) {
        let Record::Ioctl(io) = rec else { return };
        match io.request {
            decode::VIDIOC_S_EXT_CTRLS => self.controls(m, fx, at, s),
            decode::VIDIOC_QBUF => {
                let Some(b) = fx.buf.filter(|b| Side::of(b.buf_type) == Side::Output) else {
                    return;
                };
                let Some(c) = fx.ctx(m) else {
                    return;
                };
                let Some(q) = c.queues.get(&b.buf_type) else {
                    return;
                };
                let hold = self.ctxs.get(&c.id).and_then(|x| x.hold_ts);
                if b.flags & BUF_FLAG_HOLD_CAPTURE != 0 || hold == Some(b.ts_ns()) {
                    return;
                }
                let twin = q.buffers.iter().find(|o| {
                    o.index != b.index
                        && o.state.is_busy()
                        && (o.timestamp_us.max(0) as u64) * 1000 == b.ts_ns()
                });
                if let Some(o) = twin {
                    s.push(
                        at,
                        Severity::Warning,
                        "duplicate-timestamp",
                        None,
                        format!(
                            "OUTPUT buffer {} queued with timestamp {} ns, the same as OUTPUT buffer {} still in flight",
                            b.index, b.ts_ns(), o.index
                        ),
                        "References name frames by timestamp: two frames in flight with one timestamp make the \
                         CAPTURE lookup ambiguous. Only the slices of one frame (HOLD_CAPTURE_BUF) share one.",
                        DOC,
                    );
                }
            }
            decode::VIDIOC_DQBUF if io.errno().is_none() => {
                let Some(b) = fx.buf else {
                    return;
                };
                if Side::of(b.buf_type) == Side::Capture && b.flags & BUF_FLAG_ERROR != 0 {
                    s.push(
                        at,
                        Severity::Error,
                        "capture-error",
                        None,
                        format!("CAPTURE buffer {} (timestamp {} ns) dequeued with V4L2_BUF_FLAG_ERROR", b.index, b.ts_ns()),
                        "The driver reports the frame as not (or badly) decoded: the controls or the bitstream it \
                         was given were refused by the hardware, or a reference was missing.",
                        "Documentation/userspace-api/media/v4l/buffer.rst (V4L2_BUF_FLAG_ERROR)",
                    );
                }
            }
            _ => {}
        }
    }

    pub(super) fn after(
        &mut self,
        m: &PoolModel,
        rec: &Record,
        fx: &Facts,
        _at: &At,
        _s: &mut Sink,
    ) {
        match rec {
            Record::Ioctl(io) if io.errno().is_none() => {
                let qbuf = io.request == decode::VIDIOC_QBUF;
                if !qbuf && io.request != decode::VIDIOC_DQBUF {
                    return;
                }
                let b = fx.buf;
                let Some(b) = b else { return };
                let Some(c) = fx.ctx(m) else {
                    return;
                };
                let x = self.ctxs.entry(c.id).or_default();
                match (Side::of(b.buf_type), qbuf) {
                    (Side::Output, true) => {
                        x.remember(b.ts_ns());
                        x.hold_ts = (b.flags & BUF_FLAG_HOLD_CAPTURE != 0).then_some(b.ts_ns());
                    }
                    (Side::Capture, _) => {
                        let i = b.index as usize;
                        if i < 1024 {
                            if x.cap.len() <= i {
                                x.cap.resize(i + 1, None);
                            }
                            x.cap[i] = if qbuf {
                                x.cap[i].map(|(t, _)| (t, true))
                            } else {
                                Some((b.ts_ns(), false))
                            };
                        }
                    }
                    _ => {}
                }
            }
            Record::Close(_) | Record::Exit(_) => {
                self.ctxs
                    .retain(|id, _| m.context(*id).is_some_and(|c| c.closed.is_none()));
            }
            _ => {}
        }
    }

    fn controls(&mut self, m: &PoolModel, fx: &Facts, at: &At, s: &mut Sink) {
        let Some(c) = fx.ctx(m) else {
            return;
        };
        let Some(x) = fx.ctrls.as_ref() else {
            return;
        };
        let Some(ctx) = self.ctxs.get(&c.id) else {
            // Nothing queued on this context yet: every reference is unknown.
            for (label, ts) in x
                .controls
                .iter()
                .filter_map(|(_, v)| v.as_ref())
                .flat_map(references)
            {
                unknown(at, s, &label, ts);
            }
            return;
        };
        for (label, ts) in x
            .controls
            .iter()
            .filter_map(|(_, v)| v.as_ref())
            .flat_map(references)
        {
            if !ctx.known.contains_key(&ts) {
                unknown(at, s, &label, ts);
                continue;
            }
            let holders: Vec<(usize, bool)> = ctx
                .cap
                .iter()
                .enumerate()
                .filter_map(|(i, e)| e.filter(|(t, _)| *t == ts).map(|(_, r)| (i, r)))
                .collect();
            if !holders.is_empty() && holders.iter().all(|(_, requeued)| *requeued) {
                s.push(
                    at,
                    Severity::Warning,
                    "ref-requeued",
                    None,
                    format!(
                        "{label} names timestamp {ts} ns, whose CAPTURE buffer {} was already queued again",
                        holders[0].0
                    ),
                    "A reference picture must stay out of the CAPTURE queue while it is referenced: once queued \
                     again the hardware may decode a new frame into it while reading it as a reference.",
                    DOC,
                );
            }
        }
    }
}

fn unknown(at: &At, s: &mut Sink, label: &str, ts: u64) {
    s.push(
        at,
        Severity::Error,
        "ref-unknown",
        None,
        format!("{label} names timestamp {ts} ns, which no earlier OUTPUT buffer carried"),
        "References are looked up by the CAPTURE timestamp copied from the OUTPUT buffer that carried that frame; \
         a timestamp no frame had finds nothing, and the hardware reads a missing (or wrong) reference.",
        DOC,
    );
}
