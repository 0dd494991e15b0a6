//! Trace editing on the committed samples (traces/samples/) and on synthetic traces.

use std::path::PathBuf;

use super::*;
use crate::check::check_all;
use crate::ioctl::{names, qbuf, reqbufs};
use crate::pool::{args, synth};
use crate::record::{Derivation, Record};
use crate::stream::read_all;

fn sample(name: &str) -> Trace {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name);
    Trace::read(&p).unwrap()
}

fn output_qbufs(records: &[Record]) -> usize {
    records
        .iter()
        .filter(|r| match r {
            Record::Ioctl(io) if io.request == qbuf::VIDIOC_QBUF && io.ret == 0 => {
                args::buffer_before(io).is_some_and(|b| names::is_output(b.buf_type))
            }
            _ => false,
        })
        .count()
}

/// Writes the kept records and reads them back.
fn round_trip(t: &Trace, keep: &[bool], how: &str) -> Trace {
    let d = Derivation {
        tool: "cut".into(),
        source: "sample".into(),
        source_sha256: String::new(),
        how: how.into(),
        ioctls_before: t.ioctls(&vec![true; t.records.len()]),
        ioctls_after: t.ioctls(keep),
        parent: None,
    };
    let mut buf = Vec::new();
    write_kept(t, keep, Some(d.clone()), &mut buf).unwrap();
    let (h, recs, err) = read_all(&buf).unwrap();
    assert!(err.is_none(), "{err:?}");
    assert_eq!(h.derived, Some(d));
    let mut recs = recs;
    let end = match recs.pop() {
        Some(Record::End(e)) => Some(e),
        other => panic!("no End: {other:?}"),
    };
    Trace {
        header: h,
        records: recs,
        end,
    }
}

#[test]
fn spans_parse_like_rust_ranges() {
    let s: cut::Span = "3..5".parse().unwrap();
    assert!(!s.contains(2) && s.contains(3) && s.contains(4) && !s.contains(5));
    let s: cut::Span = "3..=5".parse().unwrap();
    assert!(s.contains(5) && !s.contains(6));
    let s: cut::Span = "7..".parse().unwrap();
    assert!(s.contains(1000) && !s.contains(6));
    let s: cut::Span = "..2".parse().unwrap();
    assert!(s.contains(0) && !s.contains(2));
    assert!("5..5".parse::<cut::Span>().is_err());
    assert!("x..3"
        .parse::<cut::Span>()
        .unwrap_err()
        .contains("not a range"));
}

#[test]
fn keeping_everything_writes_the_same_records() {
    for name in ["probe-ebusy.trace", "gst-v4l2slh264dec.trace"] {
        let t = sample(name);
        let keep = vec![true; t.records.len()];
        let back = round_trip(&t, &keep, "all");
        let strip = |rs: &[Record]| -> Vec<Record> {
            rs.iter()
                .filter(|r| !matches!(r, Record::Blob(_)))
                .cloned()
                .collect()
        };
        assert_eq!(strip(&back.records), strip(&t.records), "{name}");
        assert_eq!(back.end.unwrap().reason, t.end.clone().unwrap().reason);
    }
}

#[test]
fn the_header_says_where_a_trace_came_from() {
    let t = sample("probe-ebusy.trace");
    assert!(
        t.header.derived.is_none(),
        "a recorded trace has no derivation"
    );
    let keep = vec![true; t.records.len()];
    let d = Derivation {
        tool: "minimize".into(),
        source: "probe-ebusy.trace".into(),
        source_sha256: "ab".into(),
        how: "errno:VIDIOC_REQBUFS=EBUSY".into(),
        ioctls_before: 22,
        ioctls_after: 5,
        parent: None,
    };
    let mut buf = Vec::new();
    write_kept(&t, &keep, Some(d.clone()), &mut buf).unwrap();
    let (h, _, _) = read_all(&buf).unwrap();
    assert_eq!(h.derived.as_ref(), Some(&d));
    // Cutting that again keeps the first derivation as the parent.
    let again = Trace::from_reader(crate::TraceReader::new(&buf[..]).unwrap()).unwrap();
    let mut buf2 = Vec::new();
    let d2 = Derivation {
        tool: "cut".into(),
        how: "--seq 0..10".into(),
        ..d.clone()
    };
    write_kept(&again, &keep, Some(d2), &mut buf2).unwrap();
    let (h2, _, _) = read_all(&buf2).unwrap();
    let got = h2.derived.unwrap();
    assert_eq!(got.tool, "cut");
    assert_eq!(got.parent.as_deref(), Some(&d));
}

#[test]
fn removing_an_open_removes_everything_done_with_its_fd() {
    let t = sample("probe-ebusy.trace");
    let deps = t.deps();
    let video_open = t
        .records
        .iter()
        .position(|r| matches!(r, Record::Open(o) if o.path.contains("video")))
        .unwrap();
    let mut keep = vec![true; t.records.len()];
    keep[video_open] = false;
    deps.close(&mut keep);
    // Only the media probes (3 DEVICE_INFO) are left of the ioctls.
    assert_eq!(t.ioctls(&keep), 3);
    assert!(t
        .records
        .iter()
        .zip(&keep)
        .all(|(r, k)| !k || !matches!(r, Record::Mmap(_) | Record::Munmap(_))));
}

#[test]
fn a_buffer_call_needs_its_reqbufs_and_an_mmap_its_querybuf() {
    let t = sample("probe-ebusy.trace");
    let deps = t.deps();
    let reqbufs = t
        .records
        .iter()
        .position(|r| matches!(r, Record::Ioctl(io) if io.request == reqbufs::VIDIOC_REQBUFS))
        .unwrap();
    for (i, r) in t.records.iter().enumerate() {
        match r {
            Record::Ioctl(io) if io.request == qbuf::VIDIOC_QBUF => {
                assert!(deps.needs(i).contains(&reqbufs), "QBUF #{}", io.seq)
            }
            Record::Mmap(_) => {
                let q = deps.needs(i).iter().any(|&j| {
                    matches!(&t.records[j], Record::Ioctl(io) if io.request == qbuf::VIDIOC_QUERYBUF)
                });
                assert!(q, "mmap at record {i}: {:?}", deps.needs(i));
            }
            _ => {}
        }
    }
}

#[test]
fn frames_are_counted_as_the_pool_counts_them() {
    for name in [
        "request-leak.trace",
        "request-leak-fixed.trace",
        "gst-v4l2slh264dec.trace",
        "ffmpeg-vaapi.trace",
    ] {
        let t = sample(name);
        let deps = t.deps();
        let frames = units::frames(&t.records, &deps);
        let n = frames.iter().flatten().max().map_or(0, |f| f + 1);
        let mut model = crate::pool::PoolModel::with_header(&t.header);
        for r in &t.records {
            model.apply(r);
        }
        assert_eq!(n, model.totals().output_qbufs, "{name}");
        // Every frame holds its QBUF and, with requests, its QUEUE.
        let levels = levels(&t.records, t.header.root_pid, &deps);
        let frame_units: Vec<&Unit> = levels
            .iter()
            .flatten()
            .filter(|u| matches!(u.kind, UnitKind::Frame(_)))
            .collect();
        assert_eq!(frame_units.len() as u64, n, "{name}");
        for u in frame_units {
            let names: Vec<String> = u
                .records
                .iter()
                .filter_map(|&i| match &t.records[i] {
                    Record::Ioctl(io) => Some(crate::ioctl::name(io.request).into_owned()),
                    _ => None,
                })
                .collect();
            assert!(
                names.iter().any(|n| n == "VIDIOC_QBUF"),
                "{name}: {names:?}"
            );
            assert!(
                names.iter().any(|n| n == "MEDIA_REQUEST_IOC_QUEUE"),
                "{name}: {names:?}"
            );
        }
    }
}

#[test]
fn a_frame_cut_of_the_leak_sample_keeps_the_set_up_and_those_frames() {
    let t = sample("request-leak-fixed.trace");
    let deps = t.deps();
    let sel = Selection::Frames("3..6".parse().unwrap());
    let keep = cut(&t.records, &deps, sel);
    let back = round_trip(&t, &keep, &sel.to_string());
    assert_eq!(output_qbufs(&back.records), 3);
    // Still a decode with every request allocated and streaming; nothing the checker calls an
    // error.
    let all: Vec<Record> = back
        .records
        .iter()
        .cloned()
        .chain(back.end.clone().map(Record::End))
        .collect();
    let findings = check_all(&back.header, None, &all);
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f.severity == crate::check::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let names: Vec<String> = back
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Ioctl(io) => Some(crate::ioctl::name(io.request).into_owned()),
            _ => None,
        })
        .collect();
    for needed in [
        "VIDIOC_REQBUFS",
        "VIDIOC_QUERYBUF",
        "MEDIA_IOC_REQUEST_ALLOC",
        "VIDIOC_STREAMON",
        "VIDIOC_S_FMT",
    ] {
        assert!(names.iter().any(|n| n == needed), "{needed} missing");
    }
    assert!(back.records.len() < t.records.len());
}

#[test]
fn a_frame_cut_of_a_decode_keeps_each_kept_frames_bitstream() {
    let t = sample("gst-v4l2slh264dec.trace");
    let deps = t.deps();
    let keep = cut(
        &t.records,
        &deps,
        Selection::Frames("0..10".parse().unwrap()),
    );
    let back = round_trip(&t, &keep, "--frames 0..10");
    assert_eq!(output_qbufs(&back.records), 10);
    let blobs: std::collections::HashSet<u64> = back
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Blob(b) => Some(b.id),
            _ => None,
        })
        .collect();
    let bitstreams: Vec<_> = back
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Bitstream(b) => Some(b),
            _ => None,
        })
        .collect();
    assert_eq!(bitstreams.len(), 10);
    assert!(bitstreams.iter().all(|b| blobs.contains(&b.blob)));
    assert!(blobs.len() <= 10);
}

#[test]
fn a_seq_cut_brings_back_what_the_calls_need() {
    let t = sample("request-leak-fixed.trace");
    let deps = t.deps();
    // The calls of one frame in the middle.
    let qbuf = t
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Ioctl(io)
                if io.request == qbuf::VIDIOC_QBUF
                    && args::buffer_before(io).is_some_and(|b| names::is_output(b.buf_type)) =>
            {
                Some(io.seq)
            }
            _ => None,
        })
        .nth(10)
        .unwrap();
    let sel = Selection::Seq(cut::Span {
        start: qbuf - 1,
        end: Some(qbuf + 6),
    });
    let keep = cut(&t.records, &deps, sel);
    let back = round_trip(&t, &keep, &sel.to_string());
    let names: Vec<String> = back
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Ioctl(io) => Some(crate::ioctl::name(io.request).into_owned()),
            _ => None,
        })
        .collect();
    for needed in [
        "VIDIOC_REQBUFS",
        "MEDIA_IOC_REQUEST_ALLOC",
        "VIDIOC_STREAMON",
    ] {
        assert!(names.iter().any(|n| n == needed), "{needed}: {names:?}");
    }
    assert!(back.records.iter().any(|r| matches!(r, Record::Open(_))));
    assert!(names.len() < 40, "{names:?}");
}

#[test]
fn synthetic_leak_units_and_closure() {
    let (header, records) = synth::leak_and_ebusy();
    let records: Vec<Record> = records
        .into_iter()
        .filter(|r| !matches!(r, Record::End(_)))
        .collect();
    let deps = Deps::of(&records);
    let levels = levels(&records, header.root_pid, &deps);
    let calls = levels.last().unwrap();
    assert!(calls.iter().all(|u| u.kind == UnitKind::Call));
    // Removing a request's alloc removes every frame call that used it.
    let alloc = records
        .iter()
        .position(|r| {
            matches!(r, Record::Ioctl(io) if io.request == crate::ioctl::media::MEDIA_IOC_REQUEST_ALLOC)
        })
        .unwrap();
    let mut keep = vec![true; records.len()];
    keep[alloc] = false;
    deps.close(&mut keep);
    let Record::Ioctl(a) = &records[alloc] else {
        unreachable!()
    };
    let fd = args::int_after(a).unwrap();
    for (r, k) in records.iter().zip(&keep) {
        if let Record::Ioctl(io) = r {
            if io.fd == fd && io.pid == a.pid {
                assert!(!k, "a call on request fd {fd} survived its alloc");
            }
        }
    }
}
