//! Host tests of `vatrace diff` on the synthetic H.264 decode ([`super::synth`]) and on the
//! committed sample traces.

use super::synth::H264Synth;
use super::*;
use crate::controls::wire::Wire;
use crate::controls::{H264DecodeParams, H264DpbEntry};
use crate::{Record, TraceReader, TraceWriter};

fn ok(it: impl Iterator<Item = Record>) -> impl Iterator<Item = Result<Record, TraceError>> {
    it.map(Ok)
}

/// Compares `a` with `b` on one thread and with each read on its own thread (as `vatrace diff`
/// runs); the two reports must be the same.
fn run(a: H264Synth, b: H264Synth, ignore: &[&str]) -> Result<Report, DiffError> {
    let (a, b): (Vec<Record>, Vec<Record>) = (a.collect(), b.collect());
    let opts = Options {
        ignore: ignore.iter().map(|s| s.to_string()).collect(),
    };
    let input = |label: &str, records: &Vec<Record>| Input {
        label: label.into(),
        records: ok(records.clone().into_iter()),
    };
    let one = compare(input("A", &a), input("B", &b), &opts);
    let threaded = compare_threaded(input("A", &a), input("B", &b), &opts);
    match (&one, &threaded) {
        (Ok(x), Ok(y)) => assert_eq!(
            serde_json::to_string(x).unwrap(),
            serde_json::to_string(y).unwrap()
        ),
        _ => assert_eq!(one.as_ref().err(), threaded.as_ref().err()),
    }
    one
}

fn field_offset(name: &str) -> usize {
    H264DecodeParams::offsets()
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap()
        .1
}

#[test]
fn a_trace_against_itself_is_the_same() {
    let r = run(
        H264Synth::new(40, 320, 240),
        H264Synth::new(40, 320, 240),
        &[],
    )
    .unwrap();
    assert!(!r.differs(), "{}", r.text());
    assert_eq!(r.frames_compared, 40);
    assert!(r.summary().starts_with("same"), "{}", r.summary());
}

#[test]
fn references_are_compared_by_decode_order_not_timestamp() {
    let mut b = H264Synth::new(40, 320, 240);
    b.ts_base = 777_000;
    let r = run(H264Synth::new(40, 320, 240), b, &[]).unwrap();
    assert!(!r.differs(), "{}", r.text());
}

#[test]
fn one_corrupted_field_is_reported_alone_at_its_frame() {
    let mut b = H264Synth::new(40, 320, 240);
    let off = field_offset("idr_pic_id");
    b.tweak = Some(Box::new(move |k, d| {
        if k == 7 {
            d[off] = 9;
        }
    }));
    let r = run(H264Synth::new(40, 320, 240), b, &[]).unwrap();
    let names: Vec<&str> = r.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(names, ["h264_decode_params.idr_pic_id"], "{}", r.text());
    let f = &r.fields[0];
    assert_eq!(f.frames, 1);
    assert_eq!((f.ranges[0].first, f.ranges[0].last), (7, 7));
    assert_eq!(f.examples[0].a.as_deref(), Some("0"));
    assert_eq!(f.examples[0].b.as_deref(), Some("9"));
    let first = r.first.as_ref().unwrap();
    assert_eq!(first.frame, "7");
    assert_eq!(r.frames_differing, 1);
    assert!(r
        .text()
        .contains("h264_decode_params.idr_pic_id: differs in 1 of 40 frames: 7"));
    // Ignored, nothing is left.
    let mut b = H264Synth::new(40, 320, 240);
    b.tweak = Some(Box::new(move |k, d| {
        if k == 7 {
            d[off] = 9;
        }
    }));
    let r = run(
        H264Synth::new(40, 320, 240),
        b,
        &["h264_decode_params.idr_pic_id"],
    )
    .unwrap();
    assert!(!r.differs(), "{}", r.text());
}

#[test]
fn a_wrong_reference_shows_as_the_frame_it_names() {
    // Frame 12's first DPB entry points at frame 10 instead of frame 11.
    let mut b = H264Synth::new(20, 320, 240);
    b.tweak = Some(Box::new(move |k, d| {
        if k == 12 {
            d[0..8].copy_from_slice(&10_000u64.to_le_bytes());
        }
    }));
    let r = run(H264Synth::new(20, 320, 240), b, &[]).unwrap();
    let names: Vec<&str> = r.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        names,
        ["h264_decode_params.dpb[poc=22/22].reference_ts"],
        "{}",
        r.text()
    );
    assert_eq!(r.fields[0].examples[0].a.as_deref(), Some("frame 11"));
    assert_eq!(r.fields[0].examples[0].b.as_deref(), Some("frame 10"));
}

#[test]
fn inactive_dpb_slots_and_slot_order_do_not_count() {
    // B: garbage in an invalid slot, and the two valid entries swapped (the slice's list then
    // names the other slot: still the same pictures).
    let size = H264DpbEntry::SIZE;
    let mut b = H264Synth::new(20, 320, 240);
    b.tweak = Some(Box::new(move |k, d| {
        if k >= 3 {
            d[9 * size..9 * size + 8].copy_from_slice(&123_456u64.to_le_bytes());
            d[9 * size + 12] = 7;
            let (x, y) = d.split_at_mut(size);
            x.swap_with_slice(&mut y[..size]);
        }
    }));
    let r = run(H264Synth::new(20, 320, 240), b, &[]).unwrap();
    // Only the reference list's view changes (slot 0 now holds the older picture).
    assert!(
        r.fields
            .iter()
            .all(|f| f.field.starts_with("h264_slice_params.ref_pic_list0")),
        "{}",
        r.text()
    );
    assert!(r.differs());
}

#[test]
fn different_sizes_are_refused_naming_them() {
    let e = run(
        H264Synth::new(5, 320, 240),
        H264Synth::new(5, 176, 144),
        &[],
    )
    .unwrap_err();
    let DiffError::Refused(msg) = e;
    assert!(msg.contains("320x240") && msg.contains("176x144"), "{msg}");
}

#[test]
fn a_cut_trace_is_compared_up_to_the_cut_and_says_so() {
    let mut w = TraceWriter::new(Vec::new(), &H264Synth::header()).unwrap();
    let mut file = Vec::new();
    let mut n = 0;
    for r in H264Synth::new(30, 320, 240) {
        if let Record::End(e) = r {
            file = w.finish(e).unwrap();
            break;
        }
        w.write(&r).unwrap();
        n += 1;
    }
    assert!(n > 100);
    let cut = &file[..file.len() * 2 / 3];
    let reader = TraceReader::new(cut).unwrap();
    let r = compare(
        Input {
            label: "cut".into(),
            records: reader,
        },
        Input {
            label: "whole".into(),
            records: ok(H264Synth::new(30, 320, 240)),
        },
        &Options::default(),
    )
    .unwrap();
    // Read on their own threads (as `vatrace diff` does): the same report, cut included.
    let threaded = compare_threaded(
        Input {
            label: "cut".into(),
            records: TraceReader::new(std::io::Cursor::new(cut.to_vec())).unwrap(),
        },
        Input {
            label: "whole".into(),
            records: ok(H264Synth::new(30, 320, 240).collect::<Vec<_>>().into_iter()),
        },
        &Options::default(),
    )
    .unwrap();
    assert_eq!(
        serde_json::to_string(&r).unwrap(),
        serde_json::to_string(&threaded).unwrap()
    );
    assert!(!r.a.complete);
    assert!(r.a.cut.is_some(), "{:?}", r.a);
    assert!(
        r.notes.iter().any(|n| n.starts_with("cut is cut")),
        "{:?}",
        r.notes
    );
    assert!(
        r.notes.iter().any(|n| n.contains("whole has")),
        "{:?}",
        r.notes
    );
    assert!(r.frames_compared > 0 && r.frames_compared < 30);
    assert_eq!(r.frames_differing, 0, "{}", r.text());
    let names: Vec<&str> = r.fields.iter().map(|f| f.field.as_str()).collect();
    assert!(names.contains(&"stream.frames"), "{names:?}");
}

#[test]
fn ignore_patterns() {
    let o = Options {
        ignore: vec!["h264_sps".into(), "*.reserved".into(), "calls".into()],
    };
    assert!(o.ignores("h264_sps.level_idc"));
    assert!(o.ignores("h264_decode_params.reserved"));
    assert!(o.ignores("calls"));
    assert!(!o.ignores("h264_sps_ext.x"));
    assert!(!o.ignores("h264_pps.flags"));
}

#[test]
fn every_committed_sample_against_itself_is_the_same() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");
    let mut seen = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "trace") {
            continue;
        }
        seen += 1;
        let r = compare(
            Input {
                label: "a".into(),
                records: TraceReader::open(&p).unwrap(),
            },
            Input {
                label: "b".into(),
                records: TraceReader::open(&p).unwrap(),
            },
            &Options::default(),
        )
        .unwrap();
        assert!(!r.differs(), "{}: {}", p.display(), r.text());
        assert!(r.a.complete, "{}", p.display());
    }
    assert!(seen >= 5);
}

/// The synthetic decode with its frames decoded by a forked child: the parent sets up (formats,
/// buffers, decode mode, requests), forks, closes its own copies of the fds and waits; the child
/// decodes on the fds it inherited, from two threads, and exits.
fn decoded_in_a_child(frames: u64) -> Vec<Record> {
    use crate::record::{Close, Exit, Fork};
    const CHILD: u32 = 4321;
    let mut out = Vec::new();
    let mut parent = None;
    let mut last_ts = 0;
    for r in H264Synth::new(frames, 320, 240) {
        match r {
            Record::Ioctl(mut io) => {
                last_ts = io.ts_exit;
                if parent.is_none() && io.request == crate::ioctl::dma_buf::DMA_BUF_IOCTL_SYNC {
                    let (pid, ts) = (io.pid, io.ts_enter);
                    parent = Some(pid);
                    out.push(Record::Fork(Fork {
                        ts,
                        parent_pid: pid,
                        parent_tid: pid,
                        child: CHILD,
                        is_thread: false,
                    }));
                    out.push(Record::Fork(Fork {
                        ts,
                        parent_pid: CHILD,
                        parent_tid: CHILD,
                        child: CHILD + 1,
                        is_thread: true,
                    }));
                    // The video, media and request fds, and the dma-bufs, are the child's now.
                    for fd in [3, 4, 10, 11, 12, 13, 20, 21, 22, 23] {
                        out.push(Record::Close(Close {
                            ts,
                            pid,
                            tid: pid,
                            fd,
                            ret: 0,
                        }));
                    }
                }
                if parent.is_some() {
                    io.pid = CHILD;
                    // Odd frames' calls from the second thread.
                    io.tid = CHILD + (io.seq / 13 % 2) as u32;
                }
                out.push(Record::Ioctl(io));
            }
            Record::End(e) => {
                for (pid, tid) in [(CHILD, CHILD + 1), (CHILD, CHILD)] {
                    out.push(Record::Exit(Exit {
                        ts: last_ts,
                        pid,
                        tid,
                        code: 0,
                        group_dead: None,
                    }));
                }
                let pid = parent.unwrap();
                out.push(Record::Exit(Exit {
                    ts: last_ts,
                    pid,
                    tid: pid,
                    code: 0,
                    group_dead: None,
                }));
                out.push(Record::End(e));
            }
            other => out.push(other),
        }
    }
    out
}

#[test]
fn a_decode_in_a_forked_child_is_followed() {
    let child = decoded_in_a_child(40);
    assert!(child
        .iter()
        .any(|r| matches!(r, Record::Ioctl(io) if io.pid == 4321)));
    let r = compare(
        Input {
            label: "one process".into(),
            records: ok(H264Synth::new(40, 320, 240)),
        },
        Input {
            label: "forked child".into(),
            records: ok(child.clone().into_iter()),
        },
        &Options::default(),
    )
    .unwrap();
    assert!(!r.differs(), "{}", r.text());
    assert_eq!(r.frames_compared, 40);
    // The parent's set-up reached the child: the stream facts are there, not just equal.
    let mut side = TraceSide::new();
    for rec in &child {
        side.apply(rec);
    }
    let facts = side.facts();
    assert_eq!(
        facts.get("stream.output_format").map(String::as_str),
        Some("S264 320x240"),
        "{facts:?}"
    );
    assert_eq!(
        facts.get("stream.decode_mode").map(String::as_str),
        Some("FRAME_BASED"),
        "{facts:?}"
    );
    // The child's controls still resolve references (DPB entries) as the one-process decode's.
    let mut one = TraceSide::new();
    for rec in H264Synth::new(40, 320, 240) {
        one.apply(&rec);
    }
    one.flush();
    side.flush();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    while let Some(u) = one.pop() {
        a.push(u.controls);
    }
    while let Some(u) = side.pop() {
        b.push(u.controls);
    }
    assert_eq!(a.len(), 40);
    assert_eq!(a, b);
}
