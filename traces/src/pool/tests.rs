//! Unit tests of the pool model on hand-built record sequences.

use super::state::buf_type::{VIDEO_CAPTURE_MPLANE as CAP, VIDEO_OUTPUT_MPLANE as OUT};
use super::synth::{self, sample, Synth, RET_EAGAIN, RET_EBUSY, RET_EINVAL, RET_EIO};
use super::*;
use crate::record::{Dup, Fork, Lost};

fn model_of(records: &[Record]) -> PoolModel {
    let mut m = PoolModel::with_header(&synth::sample_header());
    for r in records {
        m.apply(r);
    }
    m
}

fn ctx(m: &PoolModel) -> &Context {
    m.contexts()
        .find(|c| c.fd == sample::VIDEO_FD && c.closed.is_none())
        .expect("video context")
}

fn buf(m: &PoolModel, t: u32, i: u32) -> &Buffer {
    &ctx(m).queues[&t].buffers[i as usize]
}

/// Open, formats, 2 OUTPUT slots with requests 10/11, 2 CAPTURE buffers, streaming.
fn setup(s: &mut Synth) -> Vec<Record> {
    vec![
        s.open("/dev/video0", 3),
        s.open("/dev/media0", 4),
        s.s_fmt(3, OUT, synth::FOURCC_S264, 320, 240, 0),
        s.s_fmt(3, CAP, synth::FOURCC_NV12, 320, 240, 0),
        s.reqbufs(3, OUT, 2, 2, 0),
        s.reqbufs(3, CAP, 2, 2, 0),
        s.request_alloc(4, 10),
        s.request_alloc(4, 11),
        s.streamon(3, OUT),
        s.streamon(3, CAP),
    ]
}

#[test]
fn one_frame_moves_through_every_state() {
    let mut s = Synth::new(sample::PID, 1_000);
    let mut m = model_of(&setup(&mut s));
    let c = ctx(&m);
    assert_eq!(c.driver, "visl");
    assert_eq!(c.queues[&OUT].buffers.len(), 2);
    assert!(c.queues[&CAP].streaming);
    assert_eq!(
        m.request_by_fd(sample::PID, 10).unwrap().state,
        ReqState::Allocated
    );

    m.apply(&s.s_ext_ctrls(3, 10, 4, 0));
    let r = m.request_by_fd(sample::PID, 10).unwrap();
    assert_eq!(r.state, ReqState::Bound);
    assert!(r.has_controls);

    m.apply(&s.qbuf(3, OUT, 1, Some(10), 0));
    assert_eq!(buf(&m, OUT, 1).state, BufState::InRequest);
    let rid = m.request_by_fd(sample::PID, 10).unwrap().id;
    assert_eq!(buf(&m, OUT, 1).request, Some(rid));
    assert_eq!(m.request(rid).unwrap().buffer, Some((ctx(&m).id, OUT, 1)));

    m.apply(&s.qbuf(3, CAP, 0, None, 0));
    assert_eq!(buf(&m, CAP, 0).state, BufState::Queued);
    assert_eq!(m.depth(), 2);

    m.apply(&s.request_queue(10, 0));
    assert_eq!(m.request(rid).unwrap().state, ReqState::Queued);
    assert_eq!(buf(&m, OUT, 1).state, BufState::Queued);

    m.apply(&s.poll_done(10));
    assert_eq!(m.request(rid).unwrap().state, ReqState::Complete);

    m.apply(&s.dqbuf(3, OUT, 1, 0, 0));
    m.apply(&s.dqbuf(3, CAP, 0, 0, 0));
    assert_eq!(buf(&m, OUT, 1).state, BufState::Done);
    assert_eq!(buf(&m, CAP, 0).state, BufState::Held);
    assert_eq!(m.depth(), 0);

    m.apply(&s.request_reinit(10, 0));
    let r = m.request(rid).unwrap();
    assert_eq!(r.state, ReqState::Reinit);
    assert!(!r.has_controls && !r.failed);
    assert_eq!(r.uses, 1);
    let t = m.totals();
    assert_eq!(
        (t.output_qbufs, t.capture_dqbufs, t.errors, t.malformed),
        (1, 1, 0, 0)
    );

    m.apply(&s.close(10));
    assert_eq!(m.request(rid).unwrap().state, ReqState::Closed);
    assert!(m.request_by_fd(sample::PID, 10).is_none());
}

#[test]
fn dqbuf_of_output_completes_its_request_without_poll() {
    let mut s = Synth::new(1, 0);
    let mut recs = setup(&mut s);
    recs.extend(synth::decode_frame(&mut s, 3, 11, 0, 1));
    let mut m = model_of(&recs);
    let rid = m.request_by_fd(1, 11).unwrap().id;
    m.apply(&s.s_ext_ctrls(3, 11, 1, 0));
    m.apply(&s.qbuf(3, OUT, 0, Some(11), 0));
    m.apply(&s.request_queue(11, 0));
    m.apply(&s.dqbuf(3, OUT, 0, 0, 0));
    assert_eq!(m.request(rid).unwrap().state, ReqState::Complete);
    assert_eq!(m.request(rid).unwrap().uses, 2);
}

#[test]
fn request_slot_leak() {
    let (h, recs) = synth::leak_and_ebusy();
    let mut m = PoolModel::with_header(&h);
    let before_end = recs.len() - 1;
    for r in &recs[..before_end] {
        m.apply(r);
    }
    // Before End: the slot's request failed (REINIT EBUSY) and is not recycled.
    let req_fd = sample::REQ_FD0 + sample::LEAKED_SLOT as i32;
    let r = m.request_by_fd(sample::PID, req_fd).unwrap().clone();
    assert!(r.failed && r.reinit_failed, "{r:?}");
    assert_eq!(r.state, ReqState::Queued);
    assert_eq!(buf(&m, OUT, sample::LEAKED_SLOT).state, BufState::Queued);
    let snap = m.snapshot(None, 60, 16);
    let out = snap.focus.as_ref().unwrap().output.as_ref().unwrap();
    let oldest = out.oldest().unwrap();
    assert_eq!(oldest.index, sample::LEAKED_SLOT);
    assert!(oldest.is_failed());
    assert!(oldest.busy_ns >= 200_000_000, "busy {} ns", oldest.busy_ns);
    assert_eq!(snap.requests.failed, 1);
    assert_eq!(m.error_count("MEDIA_REQUEST_IOC_REINIT", 16), 1);
    assert_eq!(m.error_count("VIDIOC_DQBUF", 5), 1);

    m.apply(&recs[before_end]);
    assert_eq!(m.request(r.id).unwrap().state, ReqState::Leaked);
    assert_eq!(m.totals().requests_leaked, 1);
    assert!(m
        .notable()
        .any(|n| matches!(n.kind, NotableKind::RequestLeaked { fd, .. } if fd == req_fd)));
    // The other slots were recycled and are not leaked.
    let leaked: Vec<_> = m
        .requests()
        .filter(|r| r.state == ReqState::Leaked)
        .collect();
    assert_eq!(leaked.len(), 1);
    let snap = m.snapshot(None, 60, 16);
    assert_eq!(snap.requests.leaked, 1);
    let oldest = snap
        .focus
        .as_ref()
        .unwrap()
        .output
        .as_ref()
        .unwrap()
        .oldest()
        .unwrap()
        .clone();
    assert_eq!(oldest.request.as_ref().unwrap().state, ReqState::Leaked);
    assert!(
        oldest.busy_ns >= 2_000_000_000,
        "busy {} ns",
        oldest.busy_ns
    );
    assert!(snap
        .notable
        .iter()
        .any(|n| n.alarm && n.text.contains("LEAKED")));
}

#[test]
fn force_release_by_close_is_not_a_leak() {
    let mut s = Synth::new(1, 0);
    let mut recs = setup(&mut s);
    recs.push(s.s_ext_ctrls(3, 10, 1, 0));
    recs.push(s.qbuf(3, OUT, 0, Some(10), 0));
    recs.push(s.request_queue(10, RET_EINVAL));
    recs.push(s.request_reinit(10, RET_EBUSY));
    recs.push(s.close(10));
    recs.push(s.request_alloc(4, 10));
    recs.push(s.end());
    let m = model_of(&recs);
    assert_eq!(m.totals().requests_leaked, 0);
    assert_eq!(
        m.requests().filter(|r| r.state == ReqState::Closed).count(),
        1
    );
    // The same fd number now names a new request.
    assert_eq!(m.request_by_fd(1, 10).unwrap().state, ReqState::Allocated);
    assert_eq!(m.totals().requests_allocated, 3);
}

#[test]
fn ebusy_race_records_the_queue_state() {
    let (h, recs) = synth::leak_and_ebusy();
    let mut m = PoolModel::with_header(&h);
    for r in &recs {
        m.apply(r);
    }
    assert_eq!(m.totals().reqbufs_ebusy, 1);
    let census = m
        .notable()
        .find_map(|n| match n.kind {
            NotableKind::ReqbufsBusy {
                buf_type,
                asked,
                census,
                ..
            } => Some((buf_type, asked, census)),
            _ => None,
        })
        .expect("REQBUFS EBUSY noted");
    let (t, asked, c) = census;
    assert_eq!((t, asked), (CAP, 0));
    assert_eq!(c.buffers, sample::CAPTURE_BUFS);
    assert_eq!(c.queued, 2);
    assert_eq!(c.held, 2);
    assert_eq!(c.mapped, sample::CAPTURE_BUFS);
    assert_eq!(c.exported, 1);
    assert!(c.streaming);
    // The buffers survive the failed REQBUFS; the failed S_FMT leaves the old size.
    assert_eq!(
        ctx(&m).queues[&CAP].buffers.len(),
        sample::CAPTURE_BUFS as usize
    );
    assert_eq!(ctx(&m).queues[&CAP].width, 128);
    assert_eq!(m.error_count("VIDIOC_REQBUFS", 16), 1);
    assert_eq!(m.error_count("VIDIOC_S_FMT", 16), 1);
    let snap = m.snapshot(None, 60, 16);
    assert!(snap
        .notable
        .iter()
        .any(|n| n.alarm && n.text.contains("REQBUFS(0) CAPTURE EBUSY")));
    let v = snap.focus.unwrap();
    assert_eq!(v.codec(), "S264");
    assert_eq!(v.resolution(), Some((128, 128)));
}

#[test]
fn drained_capture_frees_without_ebusy() {
    let mut s = Synth::new(1, 0);
    let mut recs = setup(&mut s);
    recs.push(s.querybuf(3, CAP, 0, 0x1000));
    recs.push(s.mmap(3, 0x1000, 0x7000_0000, 4096));
    recs.push(s.expbuf(3, CAP, 1, 30));
    recs.push(s.qbuf(3, CAP, 0, None, 0));
    let mut m = model_of(&recs);
    assert_eq!(buf(&m, CAP, 0).mapped, 1);
    assert_eq!(buf(&m, CAP, 1).exported, 1);
    // A dup keeps the export alive until both fds are closed.
    m.apply(&Record::Dup(Dup {
        ts: s.ts,
        pid: 1,
        tid: 1,
        old: 30,
        new: None,
        ret: 31,
        cloexec: false,
    }));
    m.apply(&s.close(30));
    assert_eq!(buf(&m, CAP, 1).exported, 1);
    m.apply(&s.close(31));
    assert_eq!(buf(&m, CAP, 1).exported, 0);
    m.apply(&s.munmap(0x7000_0000, 4096));
    assert_eq!(buf(&m, CAP, 0).mapped, 0);
    m.apply(&s.streamoff(3, CAP));
    assert_eq!(buf(&m, CAP, 0).state, BufState::Free);
    assert_eq!(m.depth(), 0);
    m.apply(&s.reqbufs(3, CAP, 0, 0, 0));
    assert!(ctx(&m).queues[&CAP].buffers.is_empty());
    assert_eq!(m.totals().reqbufs_ebusy, 0);
    // The snapshot shows the freed buffers as they were (post-mortem).
    let snap = m.snapshot(None, 1, 1);
    let cap = snap.focus.unwrap().capture.unwrap();
    assert!(cap.freed_at.is_some());
    assert_eq!(cap.slots.len(), 2);
    assert_eq!(cap.census.buffers, 0);
}

#[test]
fn malformed_records_are_counted_not_fatal() {
    let mut s = Synth::new(1, 0);
    let mut m = model_of(&setup(&mut s));
    m.apply(&s.ioctl(3, args::VIDIOC_QBUF, vec![1, 2, 3], Vec::new(), 0));
    m.apply(&s.ioctl(3, args::VIDIOC_REQBUFS, Vec::new(), Vec::new(), 0));
    m.apply(&s.ioctl(4, args::MEDIA_IOC_REQUEST_ALLOC, Vec::new(), vec![9], 0));
    // A buffer index far out of range.
    m.apply(&s.qbuf(3, OUT, 1_000_000, None, 0));
    m.apply(&s.ioctl(3, 0xdead_beef, vec![0; 3], vec![], -4095));
    assert_eq!(m.totals().malformed, 4);
    assert_eq!(ctx(&m).queues[&OUT].buffers.len(), 2);
    m.apply(&Record::Unknown {
        tag: "Future".into(),
    });
    assert_eq!(
        m.totals().records,
        setup(&mut Synth::new(1, 0)).len() as u64 + 6
    );
}

#[test]
fn attach_mode_learns_fds_from_their_ioctls() {
    // No Open records: the process was running before tracing started.
    let mut s = Synth::new(7, 0);
    let mut m = PoolModel::new();
    m.apply(&s.qbuf(5, OUT, 3, Some(40), 0));
    m.apply(&s.request_queue(40, 0));
    let c = m.context_by_fd(7, 5).unwrap();
    assert_eq!(c.path, "fd 5");
    assert_eq!(c.queues[&OUT].buffers.len(), 4);
    assert_eq!(c.queues[&OUT].buffers[3].state, BufState::Queued);
    assert_eq!(m.request_by_fd(7, 40).unwrap().state, ReqState::Queued);
}

#[test]
fn errors_are_counted_by_ioctl_and_errno() {
    let mut s = Synth::new(1, 0);
    let mut m = model_of(&setup(&mut s));
    for _ in 0..3 {
        m.apply(&s.dqbuf(3, CAP, 0, 0, RET_EAGAIN));
    }
    m.apply(&s.request_queue(11, RET_EIO));
    assert_eq!(m.error_count("VIDIOC_DQBUF", 11), 3);
    assert_eq!(m.error_count("MEDIA_REQUEST_IOC_QUEUE", 5), 1);
    let snap = m.snapshot(None, 10, 10);
    assert_eq!(snap.errors[0].ioctl, "VIDIOC_DQBUF");
    assert_eq!(snap.errors[0].errno_name, "EAGAIN");
    assert_eq!(snap.errors[0].count, 3);
    assert!(m.request_by_fd(1, 11).unwrap().failed);
    assert!(snap
        .notable
        .iter()
        .any(|n| n.text.contains("MEDIA_REQUEST_IOC_QUEUE failed with EIO")));
}

#[test]
fn fork_shares_and_exit_releases() {
    let mut s = Synth::new(1, 0);
    let mut m = model_of(&setup(&mut s));
    m.apply(&Record::Fork(Fork {
        ts: s.ts,
        parent_pid: 1,
        parent_tid: 1,
        child: 2,
        is_thread: false,
    }));
    assert!(m.context_by_fd(2, 3).is_some());
    m.apply(&s.close(3));
    assert!(ctx_open(&m), "the child still holds the video fd");
    m.apply(&Record::Exit(crate::record::Exit {
        ts: s.ts,
        pid: 2,
        tid: 2,
        code: 0,
        group_dead: None,
    }));
    assert!(!ctx_open(&m));
    fn ctx_open(m: &PoolModel) -> bool {
        m.contexts().any(|c| c.closed.is_none())
    }
}

#[test]
fn rates_count_frames_per_second() {
    let mut s = Synth::new(1, 0);
    let mut recs = setup(&mut s);
    for f in 0..60u32 {
        s.ts = 1_000_000_000 + f as u64 * 33_400_000;
        recs.extend(synth::decode_frame(
            &mut s,
            3,
            10 + (f % 2) as i32,
            f % 2,
            f % 2,
        ));
    }
    let mut m = model_of(&recs);
    m.apply(&Record::Lost(Lost {
        count: 5,
        at: s.ts,
        cpu: None,
    }));
    let secs = m.rates().last(10);
    assert_eq!(secs.len(), 3);
    assert_eq!(secs[1].output_qbufs, 30);
    assert_eq!(secs[1].capture_dqbufs, 30);
    assert_eq!(secs[1].ioctls, 30 * 7);
    assert_eq!(secs[1].depth_max, 2);
    assert_eq!(m.totals().lost, 5);
}

#[test]
fn snapshot_of_empty_model() {
    let m = PoolModel::new();
    let s = m.snapshot(None, 10, 10);
    assert!(s.focus.is_none());
    assert_eq!(s.totals, Totals::default());
}

#[test]
fn random_bytes_never_panic() {
    // A small LCG: deterministic garbage for every ioctl the model reads.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        x >> 33
    };
    let requests = [
        args::VIDIOC_QBUF,
        args::VIDIOC_DQBUF,
        args::VIDIOC_QUERYBUF,
        args::VIDIOC_REQBUFS,
        args::VIDIOC_S_FMT,
        args::VIDIOC_EXPBUF,
        args::VIDIOC_STREAMON,
        args::VIDIOC_STREAMOFF,
        args::VIDIOC_S_EXT_CTRLS,
        args::VIDIOC_CREATE_BUFS,
        args::VIDIOC_REMOVE_BUFS,
        args::MEDIA_IOC_REQUEST_ALLOC,
        args::MEDIA_REQUEST_IOC_QUEUE,
        args::MEDIA_REQUEST_IOC_REINIT,
    ];
    let mut s = Synth::new(1, 0);
    let mut m = model_of(&setup(&mut s));
    for _ in 0..20_000 {
        let rq = requests[next() as usize % requests.len()];
        let (lb, la) = (next() % 300, next() % 300);
        let b: Vec<u8> = (0..lb).map(|_| (next() % 7) as u8).collect();
        let a: Vec<u8> = (0..la).map(|_| (next() % 7) as u8).collect();
        let ret = [0i64, -16, -22, 5][next() as usize % 4];
        let fd = (next() % 16) as i32;
        let r = s.ioctl(fd, rq, b, a, ret);
        m.apply(&r);
        if next() % 50 == 0 {
            m.apply(&s.close((next() % 16) as i32));
        }
        if next() % 500 == 0 {
            let _ = m.snapshot(None, 10, 10);
        }
    }
    let snap = m.snapshot(None, 10, 10);
    assert!(snap.totals.ioctls >= 20_000);
    for r in m.requests() {
        let _ = describe::describe(&s.request_queue(r.fd, 0));
    }
}

/// A slot whose error path forgets the request (DQBUF fails, no REINIT, no error on the request
/// itself): it is stuck once the other slots have cycled twice, and leaked at the end.
#[test]
fn slot_dropped_from_the_pool_is_stuck_then_leaked() {
    let mut s = Synth::new(1, 0);
    let mut recs = setup(&mut s);
    recs.push(s.request_alloc(4, 12));
    // Slot 0 / request 10 is queued and completes, but the client's DQBUF fails and it moves on.
    recs.push(s.s_ext_ctrls(3, 10, 1, 0));
    recs.push(s.qbuf(3, OUT, 0, Some(10), 0));
    recs.push(s.request_queue(10, 0));
    recs.push(s.poll_done(10));
    recs.push(s.dqbuf(3, OUT, 0, 0, RET_EIO));
    let mut m = model_of(&recs);
    let rid = m.request_by_fd(1, 10).unwrap().id;
    // Requests 11 and 12 keep going on slot 1.
    for i in 0..6 {
        let req = 11 + (i % 2);
        for r in synth::decode_frame(&mut s, 3, req, 1, 0) {
            m.apply(&r);
        }
        let stuck = m.never_recycled(m.request(rid).unwrap());
        assert_eq!(stuck, i >= 5, "after {} frames", i + 1);
    }
    let snap = m.snapshot(None, 10, 10);
    assert_eq!(snap.requests.stuck, 1);
    let slot0 = &snap.focus.as_ref().unwrap().output.as_ref().unwrap().slots[0];
    assert!(slot0.request.as_ref().unwrap().stuck && slot0.is_failed());
    // Closing it at teardown does not hide the leak.
    m.apply(&s.close(10));
    assert_eq!(m.request(rid).unwrap().state, ReqState::Leaked);
    assert_eq!(
        m.request(rid).unwrap().leak,
        Some(LeakReason::NeverRecycled)
    );
    assert_eq!(m.totals().requests_leaked, 1);
}

/// At a normal teardown the last requests are still in flight: not a leak.
#[test]
fn teardown_with_requests_in_flight_is_not_a_leak() {
    let mut s = Synth::new(1, 0);
    let mut recs = setup(&mut s);
    for i in 0..10 {
        recs.extend(synth::decode_frame(
            &mut s,
            3,
            10 + (i % 2),
            (i % 2) as u32,
            0,
        ));
    }
    recs.push(s.s_ext_ctrls(3, 10, 1, 0));
    recs.push(s.qbuf(3, OUT, 0, Some(10), 0));
    recs.push(s.request_queue(10, 0));
    recs.push(s.s_ext_ctrls(3, 11, 1, 0));
    recs.push(s.qbuf(3, OUT, 1, Some(11), 0));
    recs.push(s.request_queue(11, 0));
    recs.push(s.close(10));
    recs.push(s.close(11));
    recs.push(s.end());
    let m = model_of(&recs);
    assert_eq!(m.totals().requests_leaked, 0);
}

/// Reads a recorded sample (traces/samples/, see its README.md).
fn fixture(bytes: &[u8]) -> PoolModel {
    let (header, records, err) = crate::stream::read_all(bytes).expect("fixture reads");
    assert!(err.is_none(), "{err:?}");
    let mut m = PoolModel::with_header(&header);
    for r in &records {
        m.apply(r);
    }
    assert_eq!(m.totals().malformed, 0);
    m
}

#[test]
fn recorded_probe_pattern_shows_the_ebusy() {
    let m = fixture(include_bytes!("../../samples/probe-ebusy.trace"));
    assert_eq!(m.totals().reqbufs_ebusy, 2);
    assert_eq!(m.error_count("VIDIOC_REQBUFS", 16), 2);
    assert_eq!(m.error_count("VIDIOC_S_FMT", 16), 1);
    let c = m
        .notable()
        .find_map(|n| match n.kind {
            NotableKind::ReqbufsBusy {
                buf_type,
                asked: 0,
                census,
                ..
            } => Some((buf_type, census)),
            _ => None,
        })
        .expect("REQBUFS(0) EBUSY");
    assert_eq!(c.0, CAP);
    assert_eq!((c.1.buffers, c.1.queued, c.1.mapped), (4, 4, 4));
    assert!(c.1.streaming);
}

#[test]
fn recorded_leak_is_found_and_the_fixed_client_is_clean() {
    let m = fixture(include_bytes!("../../samples/request-leak.trace"));
    let leaked: Vec<&Request> = m
        .requests()
        .filter(|r| r.state == ReqState::Leaked)
        .collect();
    assert_eq!(leaked.len(), 3, "{leaked:?}");
    assert!(leaked
        .iter()
        .all(|r| r.leak == Some(LeakReason::NeverRecycled)));
    assert_eq!(m.totals().requests_leaked, 3);
    assert!(m.error_count("VIDIOC_DQBUF", 22) > 0);

    let m = fixture(include_bytes!("../../samples/request-leak-fixed.trace"));
    assert_eq!(m.totals().requests_leaked, 0);
    assert!(
        m.requests().all(|r| r.state == ReqState::Closed),
        "{:?}",
        m.requests().collect::<Vec<_>>()
    );
}

#[test]
fn a_request_per_frame_does_not_grow_the_model() {
    let mut s = Synth::new(1, 0);
    let mut m = model_of(&setup(&mut s));
    for _ in 0..3 * ENDED_REQUESTS_KEEP {
        m.apply(&s.request_alloc(4, 20));
        for r in synth::decode_frame(&mut s, 3, 20, 0, 0) {
            m.apply(&r);
        }
        m.apply(&s.close(20));
    }
    assert!(m.requests().count() <= ENDED_REQUESTS_KEEP + 2);
    assert_eq!(m.totals().requests_leaked, 0);
    assert_eq!(
        m.totals().requests_allocated,
        2 + 3 * ENDED_REQUESTS_KEEP as u64
    );
}

#[test]
fn a_bad_request_fd_in_a_failing_call_is_not_a_phantom_leak() {
    let mut s = Synth::new(1, 0);
    let mut recs = setup(&mut s);
    recs.push(s.qbuf(3, OUT, 0, Some(99), RET_EINVAL));
    recs.push(s.s_ext_ctrls(3, 98, 1, RET_EINVAL));
    recs.push(s.request_queue(97, -9));
    recs.push(s.end());
    let m = model_of(&recs);
    assert!(
        m.request_by_fd(1, 99).is_none()
            && m.request_by_fd(1, 98).is_none()
            && m.request_by_fd(1, 97).is_none()
    );
    assert_eq!(m.totals().requests_leaked, 0);
    assert_eq!(m.totals().errors, 3);
}

// ---- the process/fd model's rules (crate::procs), where the old tables were wrong ----------

fn fork_rec(s: &Synth, child: u32, is_thread: bool) -> Record {
    Record::Fork(Fork {
        ts: s.ts,
        parent_pid: s.pid,
        parent_tid: s.pid,
        child,
        is_thread,
    })
}

fn ctx_open(m: &PoolModel) -> bool {
    m.contexts().any(|c| c.closed.is_none())
}

#[test]
fn close_interrupted_by_a_signal_still_closes() {
    // Linux frees the fd even when close returns EINTR; the old table kept it open forever.
    let mut s = Synth::new(1, 0);
    let mut recs = setup(&mut s);
    let Record::Close(mut c) = s.close(3) else {
        unreachable!()
    };
    c.ret = -4;
    recs.push(Record::Close(c));
    let m = model_of(&recs);
    assert!(!ctx_open(&m));
    // EBADF is the one failure that leaves the table alone.
    let mut recs = setup(&mut s);
    let Record::Close(mut c) = s.close(3) else {
        unreachable!()
    };
    c.ret = -9;
    recs.push(Record::Close(c));
    assert!(ctx_open(&model_of(&recs)));
}

#[test]
fn exec_in_a_forked_child_drops_its_close_on_exec_copies() {
    // The parent opens the video node close-on-exec, forks a helper that execs and keeps
    // running. The helper's copies (the video fd and every request fd, which the kernel makes
    // close-on-exec) are gone at its exec; the old table kept them until the helper's exit, so
    // the parent's close left the context and request open.
    let mut s = Synth::new(1, 0);
    let mut recs = setup(&mut s);
    let Record::Open(o) = &mut recs[0] else {
        unreachable!()
    };
    o.flags |= crate::procs::O_CLOEXEC;
    recs.push(fork_rec(&s, 2, false));
    recs.push(Record::Exec(crate::record::Exec {
        ts: s.ts,
        pid: 2,
        tid: 2,
        path: "/bin/helper".into(),
        argv: vec![],
    }));
    let mut m = model_of(&recs);
    assert!(m.context_by_fd(2, 3).is_none(), "closed at exec");
    assert_eq!(
        m.fd_ref(2, 4),
        Some(FdRef::Media),
        "the media fd was not close-on-exec"
    );
    m.apply(&s.close(3));
    assert!(!ctx_open(&m), "the parent held the last reference");
    m.apply(&s.close(10));
    assert!(m
        .requests()
        .any(|r| r.fd == 10 && r.state == ReqState::Closed));
}

#[test]
fn a_forked_child_holds_the_mappings_until_its_exec() {
    let mut s = Synth::new(1, 0);
    let mut recs = setup(&mut s);
    recs.push(s.querybuf(3, CAP, 0, 0x4000));
    recs.push(s.mmap(3, 0x4000, 0x7000_0000, 4096));
    recs.push(fork_rec(&s, 2, false));
    let mut m = model_of(&recs);
    assert_eq!(
        buf(&m, CAP, 0).mapped,
        2,
        "the child inherits the shared mapping"
    );
    m.apply(&s.munmap(0x7000_0000, 4096));
    assert_eq!(buf(&m, CAP, 0).mapped, 1);
    m.apply(&Record::Exec(crate::record::Exec {
        ts: s.ts,
        pid: 2,
        tid: 2,
        path: "/bin/x".into(),
        argv: vec![],
    }));
    assert_eq!(buf(&m, CAP, 0).mapped, 0, "exec unmaps everything");
}

#[test]
fn the_model_names_fds_as_the_dump_does() {
    // The pool model's fd table carries the dump's names, so a viewer formats records from it
    // alone: every line of every sample, and of the synthetic leak trace, is the same either way.
    let samples: [&[u8]; 5] = [
        include_bytes!("../../samples/probe-ebusy.trace"),
        include_bytes!("../../samples/request-leak.trace"),
        include_bytes!("../../samples/request-leak-fixed.trace"),
        include_bytes!("../../samples/gst-v4l2slh264dec.trace"),
        include_bytes!("../../samples/ffmpeg-vaapi.trace"),
    ];
    let mut traces: Vec<(Header, Vec<Record>)> = samples
        .iter()
        .map(|bytes| {
            let (h, records, _) = crate::stream::read_all(bytes).expect("sample reads");
            (h, records)
        })
        .collect();
    traces.push(synth::leak_and_ebusy());
    for (h, records) in traces {
        let mut dumper = crate::dump::Dumper::new(&h);
        let mut m = PoolModel::with_header(&h);
        let mut labelled = 0;
        for r in &records {
            let from_pool = crate::dump::format_record(r, &m);
            assert_eq!(from_pool, dumper.line(r));
            labelled += from_pool.contains("</dev/") as usize;
            m.apply(r);
        }
        assert!(labelled > 10, "the fds are named ({labelled} lines)");
    }
}
