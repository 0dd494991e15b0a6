//! Host tests of the checks: every committed sample trace judged as its README says it should
//! be, a sample rewritten with the traces writer to break one rule, and a cut trace.

use super::*;
use crate::controls::ids::V4L2_CID_STATELESS_H264_DECODE_PARAMS;
use crate::ioctl::ext_ctrls::ExtControls;
use crate::ioctl::Side;
use crate::record::{End, PayloadKind};
use crate::stream::read_all;
use crate::TraceWriter;

const PROBE: &[u8] = include_bytes!("../../samples/probe-ebusy.trace");
const LEAK: &[u8] = include_bytes!("../../samples/request-leak.trace");
const FIXED: &[u8] = include_bytes!("../../samples/request-leak-fixed.trace");
const GST: &[u8] = include_bytes!("../../samples/gst-v4l2slh264dec.trace");
const FFMPEG: &[u8] = include_bytes!("../../samples/ffmpeg-vaapi.trace");

fn run(bytes: &[u8], profile: Option<Profile>) -> Vec<Finding> {
    let (h, recs, err) = read_all(bytes).expect("sample reads");
    assert!(err.is_none(), "{err:?}");
    check_all(&h, profile, &recs)
}

fn errors(f: &[Finding]) -> Vec<&Finding> {
    f.iter().filter(|f| f.severity == Severity::Error).collect()
}

fn rule<'a>(f: &'a [Finding], name: &str) -> Vec<&'a Finding> {
    f.iter().filter(|f| f.rule == name).collect()
}

#[test]
fn probe_ebusy_reports_the_reqbufs_call_with_four_queued_mapped_capture_buffers() {
    let (_, recs, _) = read_all(PROBE).unwrap();
    let f = run(PROBE, None);
    let busy = rule(&f, "reqbufs-busy");
    assert!(!busy.is_empty(), "{f:#?}");
    let first = busy[0];
    assert_eq!(first.severity, Severity::Error);
    // At the REQBUFS(CAPTURE, 0) call that failed with EBUSY.
    let call = recs
        .iter()
        .find_map(|r| match r {
            Record::Ioctl(io) if Some(io.seq) == first.seq => Some(io),
            _ => None,
        })
        .expect("the finding names an ioctl of the trace");
    assert_eq!(call.request, decode::VIDIOC_REQBUFS);
    assert_eq!(call.errno(), Some(decode::EBUSY));
    assert_eq!(
        decode::reqbufs(call).map(|(count, t)| (count, crate::pool::state::Side::of(t))),
        Some((0, crate::pool::state::Side::Capture))
    );
    assert!(
        first
            .statement
            .contains("VIDIOC_REQBUFS(CAPTURE, 0) failed with EBUSY"),
        "{}",
        first.statement
    );
    assert!(
        first.statement.contains("4 buffers, 4 queued"),
        "{}",
        first.statement
    );
    assert!(first.statement.contains("4 mapped"), "{}", first.statement);
    assert!(first.statement.contains("streaming"), "{}", first.statement);
    for i in 0..4 {
        assert!(
            first.statement.contains(&format!("{i}:queued+mapped")),
            "{}",
            first.statement
        );
    }
}

#[test]
fn request_leak_reports_each_leaked_request_and_starvation_from_frame_16() {
    let f = run(LEAK, None);
    let mut leaks: Vec<u64> = rule(&f, "request-leak")
        .iter()
        .map(|f| f.frame.unwrap())
        .collect();
    leaks.sort();
    // The client leaks on every 4th frame (3, 7, 11, 15) with 4 slots.
    assert_eq!(leaks, vec![3, 7, 11, 15], "{f:#?}");
    let starved = rule(&f, "request-starved");
    assert_eq!(starved.len(), 1, "{f:#?}");
    assert_eq!(starved[0].frame, Some(16));
    assert!(
        starved[0].statement.contains("all 4 requests"),
        "{}",
        starved[0].statement
    );
}

#[test]
fn clean_samples_have_no_error() {
    for (name, bytes) in [
        ("request-leak-fixed", FIXED),
        ("gst", GST),
        ("ffmpeg", FFMPEG),
    ] {
        let f = run(bytes, None);
        assert!(errors(&f).is_empty(), "{name}: {:#?}", errors(&f));
    }
}

#[test]
fn default_profile_is_the_recorded_driver() {
    let (h, _, _) = read_all(GST).unwrap();
    assert_eq!(Checker::new(&h, None).profile(), Some(Profile::Visl));
    assert_eq!(
        Checker::new(&h, Some(Profile::Cedrus)).profile(),
        Some(Profile::Cedrus)
    );
    assert!(Profile::parse("hantro").unwrap_err().contains("hantro-g1"));
}

/// Offsets of `dec_ref_pic_marking_bit_size` and `pic_order_cnt_bit_size` in
/// `struct v4l2_ctrl_h264_decode_params` (16 DPB entries of 32 bytes, then the fields).
const DEC_REF_BITS: usize = 540;
const POC_BITS: usize = 544;

/// The GStreamer sample with every DECODE_PARAMS' bit sizes set to zero, written anew.
fn gst_with_zero_bit_sizes() -> Vec<u8> {
    let (h, recs, _) = read_all(GST).unwrap();
    let mut out = TraceWriter::new(Vec::new(), &h).unwrap();
    let mut zeroed = 0;
    let mut end = None;
    for mut r in recs {
        if let Record::Ioctl(io) = &mut r {
            if io.request == decode::VIDIOC_S_EXT_CTRLS {
                let x = ExtControls::decode(&io.before, &io.payloads, Side::Before).unwrap();
                for (i, c) in x.controls.iter().enumerate() {
                    if c.id != V4L2_CID_STATELESS_H264_DECODE_PARAMS {
                        continue;
                    }
                    let p = io
                        .payloads
                        .iter_mut()
                        .find(|p| p.kind == PayloadKind::Control { index: i as u32 })
                        .unwrap();
                    for bytes in [&mut p.before, &mut p.after] {
                        if bytes.len() >= POC_BITS + 4 {
                            bytes[DEC_REF_BITS..DEC_REF_BITS + 4].fill(0);
                            bytes[POC_BITS..POC_BITS + 4].fill(0);
                        }
                    }
                    zeroed += 1;
                }
            }
        }
        match r {
            Record::End(e) => end = Some(e),
            r => out.write(&r).unwrap(),
        }
    }
    assert!(zeroed > 0);
    out.finish(end.unwrap_or_else(|| End::new(0, crate::record::EndReason::Exited)))
        .unwrap()
}

#[test]
fn hantro_g1_flags_zero_decode_params_bit_sizes_and_passes_gstreamer() {
    // GStreamer fills the bit sizes: the hantro-g1 profile finds no error.
    let f = run(GST, Some(Profile::HantroG1));
    assert!(errors(&f).is_empty(), "{:#?}", errors(&f));
    // The same trace with the bit sizes zeroed: every reference picture is flagged.
    let bytes = gst_with_zero_bit_sizes();
    let (_, recs, _) = read_all(&bytes).unwrap();
    let decoded: Vec<_> = recs
        .iter()
        .filter_map(|r| match r {
            Record::Ioctl(io) if io.request == decode::VIDIOC_S_EXT_CTRLS => decode::ext_ctrls(io),
            _ => None,
        })
        .flat_map(|x| x.controls)
        .filter_map(|(_, v)| match v {
            Some(crate::controls::ControlValue::H264DecodeParams(d)) => Some(d),
            _ => None,
        })
        .collect();
    assert!(decoded
        .iter()
        .all(|d| d.dec_ref_pic_marking_bit_size == 0 && d.pic_order_cnt_bit_size == 0));
    let f = run(&bytes, Some(Profile::HantroG1));
    let bits = rule(&f, "profile-h264-bit-sizes");
    let refs = decoded.iter().filter(|d| d.nal_ref_idc != 0).count();
    assert!(refs > 0);
    assert!(
        bits.len() >= refs,
        "{} findings for {refs} reference pictures",
        bits.len()
    );
    assert!(bits
        .iter()
        .all(|f| f.severity == Severity::Error && f.seq.is_some() && f.frame.is_some()));
    assert!(
        bits[0].statement.contains("dec_ref_pic_marking_bit_size"),
        "{}",
        bits[0].statement
    );
    // Without the profile (visl reads neither field) the rewritten trace passes.
    let f = run(&bytes, Some(Profile::Visl));
    assert!(rule(&f, "profile-h264-bit-sizes").is_empty());
}

#[test]
fn a_cut_trace_is_checked_up_to_its_end_and_says_so() {
    // Cut request-leak after its 12th frame's records: the leaks found so far come from the
    // end-of-trace judgement, and a note says where the trace stopped.
    let (h, recs, _) = read_all(LEAK).unwrap();
    let mut c = Checker::new(&h, None);
    let mut out = Vec::new();
    let half = recs.len() / 2;
    for r in &recs[..half] {
        c.apply(r);
        out.extend(c.drain());
    }
    out.extend(c.finish(Some("trace is cut at byte 1234")));
    let cut = rule(&out, "trace-cut");
    assert_eq!(cut.len(), 1);
    assert!(
        cut[0].statement.contains(&format!("record {half}")),
        "{}",
        cut[0].statement
    );
    assert!(cut[0].statement.contains("cut at byte 1234"));
    // The full trace's findings about frames before the cut are there too.
    let f = c.summary();
    assert_eq!(f.records, half as u64);
    assert!(out.iter().all(|f| f.record <= half as u64));
}

#[test]
fn findings_of_a_rule_are_capped() {
    let mut s = Sink::default();
    let at = At::default();
    for _ in 0..PER_RULE_KEEP + 5 {
        s.push(&at, Severity::Warning, "x", None, String::new(), "", "");
    }
    assert_eq!(s.findings.len() as u64, PER_RULE_KEEP);
    assert_eq!(s.counts["x"], PER_RULE_KEEP + 5);
}

#[test]
fn memory_stays_bounded_over_a_long_decode() {
    let (h, recs) = synthetic::decode_stream(20_000);
    let mut c = Checker::new(&h, None);
    let mut sizes = Vec::new();
    for (i, r) in recs.enumerate() {
        c.apply(&r);
        assert!(c.drain().is_empty(), "a clean synthetic decode");
        if i % 20_000 == 0 {
            sizes.push(c.in_flight());
        }
    }
    assert!(c.finish(None).iter().all(|f| f.severity != Severity::Error));
    // Only the remembered OUTPUT timestamps grow, up to their cap; nothing grows with the trace.
    let (early, late) = (sizes[sizes.len() / 4], *sizes.last().unwrap());
    assert!(late <= early + 2 * refs::KNOWN_TIMESTAMPS, "{sizes:?}");
    assert!(late < 4 * refs::KNOWN_TIMESTAMPS, "{sizes:?}");
    assert_eq!(c.summary().frames, 20_000);
}

mod rules {
    //! One hand-made trace per rule the samples do not exercise: the synthetic decode's set-up
    //! and frames, with the one call that breaks the rule.

    use super::super::synthetic::{self, CAPS, REQ0, VIDEO};
    use super::*;
    use crate::pool::state::buf_type::{VIDEO_CAPTURE_MPLANE as CAP, VIDEO_OUTPUT_MPLANE as OUT};
    use crate::pool::synth::{sample_header, Synth, RET_EAGAIN, RET_EBUSY, RET_EINVAL};
    use crate::record::{Poll, PollFd};

    /// Checks set-up, two clean frames, then `extra(s)`.
    fn with(extra: impl FnOnce(&mut Synth) -> Vec<Record>) -> Vec<Finding> {
        let mut s = Synth::new(synthetic::PID, 1_000_000_000);
        let mut recs = synthetic::setup(&mut s);
        recs.extend(synthetic::frame(&mut s, 0));
        recs.extend(synthetic::frame(&mut s, 1));
        recs.extend(extra(&mut s));
        let mut c = Checker::new(&sample_header(), None);
        let mut out = Vec::new();
        for r in &recs {
            c.apply(r);
            out.extend(c.drain());
        }
        out
    }

    fn only(f: &[Finding], name: &str) -> Vec<Finding> {
        let hits: Vec<Finding> = f.iter().filter(|f| f.rule == name).cloned().collect();
        let others: Vec<&Finding> = f.iter().filter(|f| f.rule != name).collect();
        assert!(others.is_empty(), "only {name} expected: {others:#?}");
        hits
    }

    #[test]
    fn clean_frames_find_nothing() {
        assert!(with(|_| Vec::new()).is_empty());
    }

    #[test]
    fn qbuf_of_a_queued_buffer() {
        // After frame 1 CAPTURE buffer 1 was dequeued; queue it twice.
        let f = with(|s| {
            vec![
                s.qbuf(VIDEO, CAP, 1, None, 0),
                s.qbuf(VIDEO, CAP, 1, None, RET_EINVAL),
            ]
        });
        let hits = only(&f, "qbuf-queued");
        assert_eq!(hits.len(), 1);
        assert!(
            hits[0]
                .statement
                .contains("CAPTURE 1) of a buffer already queued; failed with EINVAL"),
            "{hits:#?}"
        );
        assert_eq!(hits[0].frame, Some(1));
    }

    #[test]
    fn dqbuf_eagain_runs_without_poll() {
        let poll = |s: &mut Synth| {
            Record::Poll(Poll {
                ts_enter: s.ts,
                ts_exit: s.ts + 10,
                pid: synthetic::PID,
                tid: synthetic::PID,
                syscall: "poll".into(),
                fds: vec![PollFd {
                    fd: VIDEO,
                    events: 1,
                    revents: 1,
                }],
                timeout_ns: None,
                ret: 1,
            })
        };
        let f = with(|s| {
            let mut r: Vec<Record> = (0..60)
                .map(|_| s.dqbuf(VIDEO, CAP, 0, 0, RET_EAGAIN))
                .collect();
            r.push(poll(s));
            // A short run before a poll is how non-blocking clients work: not reported.
            r.extend((0..3).map(|_| s.dqbuf(VIDEO, CAP, 0, 0, RET_EAGAIN)));
            r.push(poll(s));
            r
        });
        let hits = only(&f, "dqbuf-busy-poll");
        assert_eq!(hits.len(), 1);
        assert!(
            hits[0]
                .statement
                .starts_with("60 VIDIOC_DQBUF calls on fd 3"),
            "{hits:#?}"
        );
    }

    #[test]
    fn request_reused_while_queued() {
        let req = REQ0 + 2;
        let f = with(|s| {
            vec![
                synthetic::controls(s, req),
                s.qbuf(VIDEO, OUT, 2, Some(req), 0),
                s.request_queue(req, 0),
                // Reused without waiting or REINIT: each refused by the kernel.
                synthetic::controls(s, req),
                s.request_queue(req, RET_EBUSY),
                s.request_reinit(req, RET_EBUSY),
            ]
        });
        let rules: Vec<&str> = f.iter().map(|f| &*f.rule).collect();
        assert_eq!(
            rules,
            [
                "request-busy-update",
                "request-requeued",
                "request-op-failed"
            ],
            "{f:#?}"
        );
        assert!(f[2]
            .statement
            .contains("MEDIA_REQUEST_IOC_REINIT on request fd 12 failed with EBUSY"));
        assert!(f.iter().all(|f| f.severity == Severity::Error));
    }

    #[test]
    fn request_queued_without_buffer_or_controls() {
        let req = REQ0 + 2;
        let f = with(|s| vec![synthetic::controls(s, req), s.request_queue(req, -2)]);
        assert_eq!(only(&f, "request-no-buffer").len(), 1);
        // A fresh context whose request carries no controls at all.
        let mut s = Synth::new(synthetic::PID, 1);
        let mut recs = synthetic::setup(&mut s);
        recs.push(s.s_ext_ctrls(VIDEO, REQ0, 0, 0));
        recs.push(s.qbuf(VIDEO, OUT, 0, Some(REQ0), 0));
        recs.push(s.request_queue(REQ0, 0));
        let f = check_all(&sample_header(), None, &recs);
        let hits: Vec<&Finding> = f.iter().filter(|f| f.rule == "control-missing").collect();
        assert_eq!(hits.len(), 1, "{f:#?}");
        assert!(hits[0]
            .statement
            .contains("V4L2_CID_STATELESS_H264_SPS, V4L2_CID_STATELESS_H264_PPS"));
    }

    #[test]
    fn reference_no_output_buffer_carried_and_capture_error() {
        let req = REQ0 + 2;
        let f = with(|s| {
            let mut c = synthetic::controls(s, req);
            if let Record::Ioctl(io) = &mut c {
                // DECODE_PARAMS (control 2): dpb[0] VALID, naming 5 ms, which no frame carried.
                let p = &mut io.payloads[3].before;
                p[0..8].copy_from_slice(&5_000_000u64.to_le_bytes());
                p[28..32].copy_from_slice(&1u32.to_le_bytes());
            }
            vec![c, s.dqbuf(VIDEO, CAP, CAPS - 1, 0x40, 0)]
        });
        let rules: Vec<&str> = f.iter().map(|f| &*f.rule).collect();
        assert_eq!(rules, ["ref-unknown", "capture-error"], "{f:#?}");
        assert!(
            f[0].statement
                .contains("H.264 dpb[0] names timestamp 5000000 ns"),
            "{}",
            f[0].statement
        );
        // Controls for the next frame belong to it: frame 2.
        assert_eq!(f[0].frame, Some(2));
    }
}
