//! Unit tests of the converter: raw kernel-side events in, trace records out (read back with
//! `traces`' reader), as `vatrace record` feeds it.

use tracer_common::{ioctl_flags, EventHeader, EventKind, IoctlEvent, SegmentEvent, SegmentKind};
use traces::ioctl::layout::v4l2_buffer as B;
use traces::ioctl::names::{BUF_TYPE_VIDEO_CAPTURE, BUF_TYPE_VIDEO_OUTPUT};
use traces::ioctl::{qbuf::VIDIOC_QBUF, streamon::VIDIOC_STREAMON};
use traces::record::{End, EndReason, PayloadKind};
use traces::{Header, Record, TraceWriter};

use super::Converter;
use crate::raw::RawEvent;

const PID: u32 = 100;

fn hdr(kind: EventKind, ts: u64, tid: u32) -> EventHeader {
    EventHeader {
        kind: kind as u32,
        len: 0,
        ts_ns: ts,
        pid: PID,
        tid,
    }
}

fn ioctl(
    exit: bool,
    ts: u64,
    tid: u32,
    cmd: u32,
    ret: i64,
    flags: u32,
    arg: &[u8],
) -> RawEvent<'_> {
    let kind = if exit {
        EventKind::IoctlExit
    } else {
        EventKind::IoctlEnter
    };
    RawEvent::Ioctl {
        hdr: hdr(kind, ts, tid),
        exit,
        ev: IoctlEvent {
            hdr: hdr(kind, ts, tid),
            fd: 3,
            cmd,
            arg: 0x7000,
            ret,
            arg_len: arg.len() as u32,
            flags,
        },
        arg,
    }
}

fn segment(tid: u32, kind: SegmentKind, index: u32, total: u32, data: &[u8]) -> RawEvent<'_> {
    let h = hdr(EventKind::Segment, 0, tid);
    RawEvent::Segment {
        hdr: h,
        ev: SegmentEvent {
            hdr: h,
            kind: kind as u32,
            phase: 0,
            index,
            len: data.len() as u32,
            offset: 0,
            total,
            addr: 0x9000,
        },
        kind: Some(kind),
        data,
    }
}

/// A `v4l2_buffer` of `buf_type` with `bytesused`.
fn buffer(buf_type: u32, bytesused: u32) -> Vec<u8> {
    let mut b = vec![0u8; B::SIZE];
    b[B::TYPE..B::TYPE + 4].copy_from_slice(&buf_type.to_ne_bytes());
    b[B::BYTESUSED..B::BYTESUSED + 4].copy_from_slice(&bytesused.to_ne_bytes());
    b
}

/// Converts `events` and reads the trace back: its records and the converter's summary.
fn convert(events: Vec<RawEvent<'_>>) -> (Vec<Record>, super::Summary) {
    let writer = TraceWriter::new(Vec::new(), &Header::new()).unwrap();
    let mut c = Converter::new(writer, Vec::<String>::new());
    for e in events {
        c.push(e).unwrap();
    }
    c.flush_pending().unwrap();
    let summary = c.summary;
    let bytes = c.writer.finish(End::new(9, EndReason::Exited)).unwrap();
    let (_, records, error) = traces::stream::read_all(&bytes).unwrap();
    assert!(error.is_none(), "{error:?}");
    (records, summary)
}

fn ioctls(records: &[Record]) -> Vec<&traces::record::Ioctl> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Ioctl(i) => Some(i),
            _ => None,
        })
        .collect()
}

#[test]
fn entry_and_exit_make_one_record_with_both_argument_images() {
    let before = buffer(BUF_TYPE_VIDEO_CAPTURE, 0);
    let after = buffer(BUF_TYPE_VIDEO_CAPTURE, 4096);
    let (records, summary) = convert(vec![
        ioctl(false, 10, 7, VIDIOC_QBUF, 0, 0, &before),
        ioctl(true, 20, 7, VIDIOC_QBUF, 0, 0, &after),
    ]);
    let io = ioctls(&records);
    assert_eq!(io.len(), 1);
    let i = io[0];
    assert_eq!((i.request, i.pid, i.tid, i.fd), (VIDIOC_QBUF, PID, 7, 3));
    assert_eq!((i.ts_enter, i.ts_exit, i.ret), (10, 20, 0));
    assert_eq!((i.before.clone(), i.after.clone()), (before, after));
    assert_eq!(summary.ioctls, 1);
    // A CAPTURE buffer is no frame.
    assert_eq!(summary.frames, 0);
}

#[test]
fn an_untouched_argument_after_a_failed_call_is_the_entry_image() {
    let before = buffer(BUF_TYPE_VIDEO_CAPTURE, 0);
    let (records, _) = convert(vec![
        ioctl(false, 10, 7, VIDIOC_QBUF, 0, 0, &before),
        ioctl(
            true,
            20,
            7,
            VIDIOC_QBUF,
            -25,
            ioctl_flags::ARG_UNCHANGED,
            &[],
        ),
    ]);
    let i = ioctls(&records)[0];
    assert_eq!(i.ret, -25);
    assert_eq!(
        i.after, before,
        "QBUF's argument comes back: the entry bytes stand for it"
    );
    // STREAMON (_IOW) has no argument coming back: nothing stands for it.
    let ty = BUF_TYPE_VIDEO_OUTPUT.to_ne_bytes();
    let (records, _) = convert(vec![
        ioctl(false, 10, 7, VIDIOC_STREAMON, 0, 0, &ty),
        ioctl(
            true,
            20,
            7,
            VIDIOC_STREAMON,
            -22,
            ioctl_flags::ARG_UNCHANGED,
            &[],
        ),
    ]);
    assert!(ioctls(&records)[0].after.is_empty());
}

#[test]
fn an_injected_failure_is_marked_and_only_that_call() {
    let before = buffer(BUF_TYPE_VIDEO_CAPTURE, 0);
    let (records, _) = convert(vec![
        ioctl(false, 10, 7, VIDIOC_QBUF, 0, 0, &before),
        ioctl(
            true,
            20,
            7,
            VIDIOC_QBUF,
            -16,
            ioctl_flags::INJECTED,
            &before,
        ),
        ioctl(false, 30, 7, VIDIOC_QBUF, 0, 0, &before),
        ioctl(true, 40, 7, VIDIOC_QBUF, -16, 0, &before),
    ]);
    let got: Vec<(i64, bool)> = ioctls(&records)
        .iter()
        .map(|i| (i.ret, i.injected))
        .collect();
    assert_eq!(got, [(-16, true), (-16, false)]);
}

#[test]
fn threads_interleave_and_a_lost_exit_still_writes_the_entry() {
    let a = buffer(BUF_TYPE_VIDEO_CAPTURE, 1);
    let b = buffer(BUF_TYPE_VIDEO_CAPTURE, 2);
    let (records, summary) = convert(vec![
        ioctl(false, 10, 7, VIDIOC_QBUF, 0, 0, &a),
        ioctl(false, 11, 8, VIDIOC_QBUF, 0, 0, &b),
        ioctl(true, 12, 8, VIDIOC_QBUF, 0, 0, &b),
        // Thread 7's exit was lost: its next entry writes the first call as it was.
        ioctl(false, 13, 7, VIDIOC_QBUF, 0, 0, &b),
        ioctl(true, 14, 7, VIDIOC_QBUF, 0, 0, &b),
    ]);
    let io = ioctls(&records);
    let got: Vec<(u32, u64, u64)> = io.iter().map(|i| (i.tid, i.ts_enter, i.ts_exit)).collect();
    assert_eq!(got, [(8, 11, 12), (7, 10, 0), (7, 13, 14)]);
    assert_eq!(io[1].before, a);
    assert!(io[1].after.is_empty());
    assert_eq!(summary.ioctls, 3);
}

#[test]
fn an_output_qbuf_carries_its_bitstream_and_counts_as_a_frame() {
    let arg = buffer(BUF_TYPE_VIDEO_OUTPUT, 6);
    let (records, summary) = convert(vec![
        ioctl(false, 10, 7, VIDIOC_QBUF, 0, 0, &arg),
        segment(7, SegmentKind::Bitstream, 0, 6, b"\0\0\x01"),
        segment(7, SegmentKind::Bitstream, 0, 6, b"\x65\x88\x84"),
        ioctl(true, 20, 7, VIDIOC_QBUF, 0, 0, &arg),
    ]);
    let seq = ioctls(&records)[0].seq;
    let bits: Vec<_> = records
        .iter()
        .filter_map(|r| match r {
            Record::Bitstream(b) => Some(b),
            _ => None,
        })
        .collect();
    assert_eq!(bits.len(), 1);
    assert_eq!((bits[0].ioctl_seq, bits[0].plane, bits[0].len), (seq, 0, 6));
    assert_eq!(summary.frames, 1);
    assert_eq!(summary.bitstream_bytes, 6);
}

#[test]
fn payload_segments_become_the_ioctls_payloads() {
    let arg = buffer(BUF_TYPE_VIDEO_CAPTURE, 0);
    let planes = [7u8; 64];
    let (records, _) = convert(vec![
        ioctl(false, 10, 7, VIDIOC_QBUF, 0, 0, &arg),
        segment(7, SegmentKind::Planes, 0, 64, &planes),
        ioctl(true, 20, 7, VIDIOC_QBUF, 0, 0, &arg),
    ]);
    let i = ioctls(&records)[0];
    assert_eq!(i.payloads.len(), 1);
    assert_eq!(i.payloads[0].kind, PayloadKind::Planes);
    assert_eq!(i.payloads[0].addr, 0x9000);
    assert_eq!(i.payloads[0].before, planes);
}
