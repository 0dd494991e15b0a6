//! Tests of the text and JSON dumps on a hand-built decode sequence.

use super::*;
use crate::ioctl::layout::{
    v4l2_buffer as B, v4l2_exportbuffer as X, v4l2_plane as PL, v4l2_requestbuffers as R,
};
use crate::ioctl::{dma_buf, expbuf, media, names, qbuf, reqbufs, request};
use crate::record::*;

fn put(buf: &mut [u8], off: usize, bytes: &[u8]) {
    buf[off..off + bytes.len()].copy_from_slice(bytes);
}

const PID: u32 = 1234;
const TID: u32 = 1235;
const T0: u64 = 1_000_000_000;

fn header() -> Header {
    let mut h = Header::new();
    h.start_monotonic_ns = T0;
    h.devices.push(DeviceInfo {
        path: "/dev/video0".into(),
        kind: DeviceKind::Video,
        rdev: None,
        driver: "visl".into(),
        card: "visl".into(),
        bus_info: "platform:visl".into(),
        version: 0,
        capabilities: 0x8420_4000,
        device_caps: 0x0420_4000,
        formats: vec![QueueFormats {
            buf_type: 10,
            formats: vec![FormatDesc {
                fourcc: names::fourcc_code(b"S264"),
                description: String::new(),
                flags: 0,
            }],
        }],
        media: None,
    });
    h
}

fn ioctl(seq: u64, fd: i32, request: u32, before: Vec<u8>, after: Vec<u8>, ret: i64) -> Ioctl {
    Ioctl {
        seq,
        ts_enter: T0 + 12_345_678_000 + seq,
        ts_exit: T0 + 12_345_679_000 + seq,
        pid: PID,
        tid: TID,
        fd,
        request,
        arg: 0x7ffd_0000,
        before,
        after,
        payloads: vec![],
        ret,
        injected: false,
    }
}

fn open(path: &str, ret: i64) -> Record {
    Record::Open(Open {
        ts: T0 + 1000,
        pid: PID,
        tid: PID,
        dirfd: Some(-100),
        path: path.into(),
        flags: 0o2004002,
        mode: 0,
        ret,
    })
}

fn qbuf_record() -> Record {
    let mut b = vec![0u8; B::SIZE];
    put(&mut b, B::INDEX, &3u32.to_le_bytes());
    put(&mut b, B::TYPE, &10u32.to_le_bytes());
    put(&mut b, B::FLAGS, &names::BUF_FLAG_REQUEST_FD.to_le_bytes());
    put(&mut b, B::TIMESTAMP_TV_USEC, &1i64.to_le_bytes());
    put(&mut b, B::MEMORY, &1u32.to_le_bytes());
    put(&mut b, B::LENGTH, &1u32.to_le_bytes());
    put(&mut b, B::REQUEST_FD, &12i32.to_le_bytes());
    let mut p = vec![0u8; PL::SIZE];
    put(&mut p, PL::BYTESUSED, &1234u32.to_le_bytes());
    let mut i = ioctl(4, 5, qbuf::VIDIOC_QBUF, b.clone(), b, 0);
    i.payloads.push(Payload {
        kind: PayloadKind::Planes,
        addr: 0x7ffe_0000,
        before: p,
        after: vec![],
    });
    Record::Ioctl(i)
}

fn session() -> Vec<Record> {
    let mut reqbufs = vec![0u8; R::SIZE];
    put(&mut reqbufs, R::TYPE, &9u32.to_le_bytes());
    put(&mut reqbufs, R::MEMORY, &1u32.to_le_bytes());
    let mut exp = vec![0u8; X::SIZE];
    put(&mut exp, X::TYPE, &9u32.to_le_bytes());
    put(&mut exp, X::INDEX, &2u32.to_le_bytes());
    let mut exp_after = exp.clone();
    put(&mut exp_after, X::FD, &17i32.to_le_bytes());
    vec![
        open("/dev/video0", 5),
        open("/dev/media0", 6),
        Record::Ioctl(ioctl(
            1,
            6,
            media::MEDIA_IOC_REQUEST_ALLOC,
            vec![],
            12i32.to_le_bytes().to_vec(),
            0,
        )),
        Record::Ioctl(ioctl(
            2,
            5,
            reqbufs::VIDIOC_REQBUFS,
            reqbufs.clone(),
            reqbufs,
            -16,
        )),
        Record::Ioctl(ioctl(3, 5, expbuf::VIDIOC_EXPBUF, exp, exp_after, 0)),
        qbuf_record(),
        Record::Ioctl(ioctl(
            5,
            12,
            request::MEDIA_REQUEST_IOC_QUEUE,
            vec![],
            vec![],
            0,
        )),
        Record::Poll(Poll {
            ts_enter: T0 + 2_000_000,
            ts_exit: T0 + 3_000_000,
            pid: PID,
            tid: TID,
            syscall: "ppoll".into(),
            fds: vec![PollFd {
                fd: 12,
                events: 2,
                revents: 2,
            }],
            timeout_ns: Some(1_500_000_000),
            ret: 1,
        }),
        Record::Ioctl(ioctl(
            6,
            17,
            dma_buf::DMA_BUF_IOCTL_SYNC,
            1u64.to_le_bytes().to_vec(),
            vec![],
            0,
        )),
        Record::Ioctl(ioctl(7, 5, 0xc058_56ee, vec![0; 88], vec![0; 88], -25)),
        Record::Dup(Dup {
            ts: T0,
            pid: PID,
            tid: PID,
            old: 12,
            new: None,
            ret: 20,
            cloexec: false,
        }),
        Record::Close(Close {
            ts: T0,
            pid: PID,
            tid: PID,
            fd: 12,
            ret: 0,
        }),
        Record::Ioctl(ioctl(
            8,
            12,
            request::MEDIA_REQUEST_IOC_REINIT,
            vec![],
            vec![],
            -9,
        )),
        Record::Ioctl(ioctl(
            9,
            20,
            request::MEDIA_REQUEST_IOC_REINIT,
            vec![],
            vec![],
            0,
        )),
        Record::Fork(Fork {
            ts: T0,
            parent_pid: PID,
            parent_tid: PID,
            child: 2000,
            is_thread: false,
        }),
        // exit_group from the leader: the worker thread goes first, then the leader, the last.
        Record::Exit(Exit {
            ts: T0 + 5_000_000_000,
            pid: PID,
            tid: TID,
            code: 0,
            group_dead: None,
        }),
        Record::Exit(Exit {
            ts: T0 + 5_000_000_000,
            pid: PID,
            tid: PID,
            code: 0,
            group_dead: None,
        }),
    ]
}

#[test]
fn text_lines() {
    let mut d = Dumper::new(&header());
    let lines: Vec<String> = session().iter().map(|r| d.line(r)).collect();
    assert_eq!(lines[0], "0.000001 [pid 1234/1234] openat(AT_FDCWD, \"/dev/video0\", O_RDWR|O_NONBLOCK|O_CLOEXEC) = 5");
    assert_eq!(
        lines[2],
        "12.345678 [pid 1234/1235] ioctl(6</dev/media0>, MEDIA_IOC_REQUEST_ALLOC, [12]) = 0"
    );
    assert_eq!(
        lines[3],
        "12.345678 [pid 1234/1235] ioctl(5</dev/video0>, VIDIOC_REQBUFS, {count=0, type=VIDEO_CAPTURE_MPLANE, memory=MMAP}) \
         = -1 EBUSY (Device or resource busy)"
    );
    assert_eq!(
        lines[4],
        "12.345678 [pid 1234/1235] ioctl(5</dev/video0>, VIDIOC_EXPBUF, {type=VIDEO_CAPTURE_MPLANE, index=2, plane=0, flags=O_RDONLY, fd=17}) = 0"
    );
    // The example line of the design brief.
    assert_eq!(
        lines[5],
        "12.345678 [pid 1234/1235] ioctl(5</dev/video0>, VIDIOC_QBUF, {type=VIDEO_OUTPUT_MPLANE, index=3, memory=MMAP, \
         flags=REQUEST_FD, request_fd=12, timestamp=1000, planes=[{bytesused=1234}]}) = 0"
    );
    assert_eq!(
        lines[6],
        "12.345678 [pid 1234/1235] ioctl(12<request:/dev/media0>, MEDIA_REQUEST_IOC_QUEUE) = 0"
    );
    assert_eq!(
        lines[7],
        "0.002000 [pid 1234/1235] ppoll([{fd=12<request:/dev/media0>, events=POLLPRI}], 1, {tv_sec=1, tv_nsec=500000000}) \
         = 1 ([{fd=12, revents=POLLPRI}])"
    );
    assert_eq!(
        lines[8],
        "12.345678 [pid 1234/1235] ioctl(17<dmabuf:/dev/video0 CAPTURE#2.0>, DMA_BUF_IOCTL_SYNC, {flags=START|READ}) = 0"
    );
    assert_eq!(
        lines[9],
        "12.345678 [pid 1234/1235] ioctl(5</dev/video0>, UNKNOWN(0xc05856ee: dir=RW, type='V', nr=0xee, size=88), \
         0x7ffd0000 /* 88 bytes */) = -1 ENOTTY (Inappropriate ioctl for device)"
    );
    assert_eq!(
        lines[10],
        "0.000000 [pid 1234/1234] dup(12<request:/dev/media0>) = 20"
    );
    assert_eq!(
        lines[11],
        "0.000000 [pid 1234/1234] close(12<request:/dev/media0>) = 0"
    );
    // After close, fd 12 is unknown; its dup 20 is still the request.
    assert_eq!(lines[12], "12.345678 [pid 1234/1235] ioctl(12, MEDIA_REQUEST_IOC_REINIT) = -1 EBADF (Bad file descriptor)");
    assert_eq!(
        lines[13],
        "12.345678 [pid 1234/1235] ioctl(20<request:/dev/media0>, MEDIA_REQUEST_IOC_REINIT) = 0"
    );
    assert_eq!(
        lines[14],
        "0.000000 [pid 1234/1234] clone() = 2000 (process)"
    );
    assert_eq!(
        d.ctx.fd_label(2000, 5),
        "5</dev/video0>",
        "a forked child inherits the fd table"
    );
    assert_eq!(lines[16], "5.000000 [pid 1234/1234] +++ exited with 0 +++");
    assert_eq!(
        d.ctx.fd_label(PID, 5),
        "5",
        "an exited process's fds are dropped"
    );
}

#[test]
fn json_lines() {
    let mut d = Dumper::new(&header());
    let lines: Vec<Value> = session()
        .iter()
        .map(|r| serde_json::from_str(&d.json_line(r)).unwrap())
        .collect();
    assert_eq!(lines[0]["kind"], "Open");
    assert_eq!(lines[0]["path"], "/dev/video0");
    let reqbufs = &lines[3];
    assert_eq!(reqbufs["kind"], "Ioctl");
    assert_eq!(reqbufs["name"], "VIDIOC_REQBUFS");
    assert_eq!(reqbufs["errno_name"], "EBUSY");
    assert_eq!(reqbufs["fd_is"], "/dev/video0");
    assert_eq!(reqbufs["before"]["RequestBuffers"]["type"], 9);
    let qbuf = &lines[5];
    assert_eq!(qbuf["after"]["Buffer"]["request_fd"], 12);
    assert_eq!(qbuf["before"]["Buffer"]["planes"][0]["bytesused"], 1234);
    assert_eq!(lines[6]["fd_is"], "request:/dev/media0");
    assert_eq!(lines[9]["name"], "UNKNOWN(0xc05856ee)");
    assert_eq!(lines[7]["kind"], "Poll");
    assert_eq!(lines[7]["t"], "0.002000");
}

#[test]
fn other_records() {
    let ctx = Context::new(&header());
    let end = Record::End(End {
        ts: T0 + 1_500_000,
        reason: EndReason::Signaled,
        exit_code: None,
        signal: Some(9),
        message: None,
        totals: Totals {
            records: 10,
            ioctls: 5,
            bitstreams: 1,
            bitstream_bytes: 100,
            blobs: 1,
            blob_bytes: 100,
            lost: 0,
        },
    });
    assert_eq!(
        format_record(&end, &ctx),
        "0.001500 +++ trace ends: command killed by SIGKILL; 10 records, 5 ioctls, 100 bitstream bytes in 1 blobs, 0 events lost +++"
    );
    let lost = Record::Lost(Lost {
        count: 3,
        at: T0,
        cpu: Some(1),
    });
    assert_eq!(
        format_record(&lost, &ctx),
        "0.000000 !!! 3 events lost on cpu 1 !!!"
    );
    let bs = Record::Bitstream(Bitstream {
        ioctl_seq: 4,
        plane: 0,
        offset: 0,
        len: 1234,
        blob: 7,
    });
    assert_eq!(
        format_record(&bs, &ctx),
        "    bitstream of ioctl #4 plane 0: 1234 bytes at offset 0 (blob 7)"
    );
    let mm = Record::Mmap(Mmap {
        ts: T0,
        pid: 1,
        tid: 1,
        fd: 5,
        addr: 0,
        len: 4096,
        prot: 3,
        flags: 1,
        offset: 0x40000,
        ret: 0x7f00_0000,
    });
    assert_eq!(format_record(&mm, &ctx), "0.000000 [pid 1/1] mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_SHARED, 5, 0x40000) = 0x7f000000");
    let failed = Record::Mmap(Mmap {
        ret: (-22i64) as u64,
        ..match mm {
            Record::Mmap(m) => m,
            _ => unreachable!(),
        }
    });
    assert!(format_record(&failed, &ctx).ends_with("= -1 EINVAL (Invalid argument)"));
    let killed = Record::Exit(Exit {
        ts: T0,
        pid: 1,
        tid: 2,
        code: 11,
        group_dead: None,
    });
    assert_eq!(
        format_record(&killed, &ctx),
        "0.000000 [pid 1/2] +++ thread killed by SIGSEGV +++"
    );
    let unknown = Record::Unknown {
        tag: "Future".into(),
    };
    assert!(format_record(&unknown, &ctx).contains("Future"));
    assert_eq!(
        record_json(
            &Record::Blob(Blob {
                id: 1,
                data: vec![0; 5]
            }),
            &ctx
        )["len"],
        5
    );
    let h = format_header(&header());
    assert!(
        h.contains("# device /dev/video0 (Video): driver=\"visl\""),
        "{h}"
    );
    assert!(h.contains("VIDEO_OUTPUT_MPLANE=[S264]"), "{h}");
}

#[test]
fn injected_calls_are_marked_in_text_and_json() {
    let ctx = Context::new(&header());
    let mut i = ioctl(
        1,
        9,
        crate::ioctl::request::MEDIA_REQUEST_IOC_REINIT,
        vec![],
        vec![],
        -16,
    );
    let plain = format_record(&Record::Ioctl(i.clone()), &ctx);
    assert!(!plain.contains("INJECTED"), "{plain}");
    i.injected = true;
    let r = Record::Ioctl(i);
    assert_eq!(
        format_record(&r, &ctx),
        "12.345678 [pid 1234/1235] ioctl(9, MEDIA_REQUEST_IOC_REINIT) = -1 EBUSY (Device or resource busy) (INJECTED)"
    );
    let j = record_json(&r, &ctx);
    assert_eq!(j["injected"], true, "{j}");
    assert_eq!(j["errno_name"], "EBUSY", "{j}");
}

#[test]
fn failed_read_ioctl_shows_pointer() {
    let ctx = Context::new(&header());
    let r = Record::Ioctl(ioctl(
        1,
        6,
        media::MEDIA_IOC_REQUEST_ALLOC,
        vec![],
        vec![0; 4],
        -12,
    ));
    assert_eq!(
        format_record(&r, &ctx),
        "12.345678 [pid 1234/1235] ioctl(6, MEDIA_IOC_REQUEST_ALLOC, 0x7ffd0000) = -1 ENOMEM (Cannot allocate memory)"
    );
    // A short capture is reported, not a panic.
    let r = Record::Ioctl(ioctl(1, 5, qbuf::VIDIOC_QBUF, vec![0; 10], vec![0; 10], 0));
    assert!(
        format_record(&r, &ctx).contains("0x7ffd0000 /* v4l2_buffer: 10 of 88 bytes captured */"),
        "{}",
        format_record(&r, &ctx)
    );
}

#[test]
fn munmap_names_the_mapping() {
    let mut d = Dumper::new(&header());
    d.line(&open("/dev/video0", 5));
    let mm = Record::Mmap(Mmap {
        ts: T0,
        pid: PID,
        tid: PID,
        fd: 5,
        addr: 0,
        len: 4096,
        prot: 3,
        flags: 1,
        offset: 0x40000,
        ret: 0x7f00_0000,
    });
    assert!(d
        .line(&mm)
        .contains(", 5</dev/video0>, 0x40000) = 0x7f000000"));
    let un = Record::Munmap(Munmap {
        ts: T0,
        pid: PID,
        tid: PID,
        addr: 0x7f00_0000,
        len: 4096,
        ret: 0,
    });
    assert_eq!(
        d.line(&un),
        "0.000000 [pid 1234/1234] munmap(0x7f000000, 4096 /* /dev/video0 offset 0x40000 */) = 0"
    );
    assert!(d.ctx.mapping(PID, 0x7f00_0000).is_none());
}

#[test]
fn dump_of_a_written_and_read_trace_matches() {
    let h = header();
    let mut w = crate::stream::TraceWriter::new(Vec::new(), &h).unwrap();
    for r in session() {
        w.write(&r).unwrap();
    }
    let bytes = w
        .finish(End::new(T0 + 6_000_000_000, EndReason::Exited))
        .unwrap();
    let (h2, records, err) = crate::stream::read_all(&bytes).unwrap();
    assert!(err.is_none());
    let mut direct = Dumper::new(&h);
    let mut read = Dumper::new(&h2);
    for (a, b) in session().iter().zip(&records) {
        assert_eq!(direct.line(a), read.line(b));
    }
    let end = read.line(records.last().unwrap());
    assert!(
        end.contains("trace ends: command exited with ?; 17 records, 9 ioctls"),
        "{end}"
    );
}

#[test]
fn fd_names_follow_thread_exit_exec_and_process_exit() {
    let recs = session();
    let mut ctx = Context::new(&header());
    for r in &recs[..recs.len() - 2] {
        ctx.update(r);
    }
    // The worker thread's exit leaves the process and its fds.
    let mut after_thread = ctx.clone();
    after_thread.update(&recs[recs.len() - 2]);
    assert_eq!(after_thread.fd_label(PID, 5), "5</dev/video0>");
    after_thread.update(&recs[recs.len() - 1]);
    assert_eq!(after_thread.fd_label(PID, 5), "5");
    // An exec closes the close-on-exec fds: the video and media nodes (opened O_CLOEXEC); the
    // request's dup (dup clears the flag) and the dma-buf exported without O_CLOEXEC stay.
    assert_eq!(ctx.fd_label(PID, 6), "6</dev/media0>");
    ctx.update(&Record::Exec(Exec {
        ts: T0,
        pid: PID,
        tid: PID,
        path: "/usr/bin/next".into(),
        argv: vec![],
    }));
    assert_eq!(ctx.fd_label(PID, 5), "5");
    assert_eq!(ctx.fd_label(PID, 6), "6");
    assert_eq!(ctx.fd_label(PID, 20), "20<request:/dev/media0>");
    assert!(ctx.fd_label(PID, 17).starts_with("17<dmabuf:"));
    assert_eq!(
        ctx.fd_label(2000, 5),
        "5</dev/video0>",
        "the forked child is not the exec'd one"
    );
}

#[test]
fn a_cloexec_dup_is_shown_and_closed_by_exec() {
    let recs = session();
    let mut ctx = Context::new(&header());
    for r in &recs[..recs.len() - 2] {
        ctx.update(r);
    }
    let dup = Record::Dup(Dup {
        ts: T0,
        pid: PID,
        tid: PID,
        old: 20,
        new: Some(40),
        ret: 40,
        cloexec: true,
    });
    let line = format_record(&dup, &ctx);
    assert!(
        line.contains("dup3(20<request:/dev/media0>, 40, O_CLOEXEC) = 40"),
        "{line}"
    );
    ctx.update(&dup);
    assert_eq!(ctx.fd_label(PID, 40), "40<request:/dev/media0>");
    ctx.update(&Record::Exec(Exec {
        ts: T0,
        pid: PID,
        tid: PID,
        path: "/usr/bin/next".into(),
        argv: vec![],
    }));
    assert_eq!(ctx.fd_label(PID, 40), "40", "closed by the exec");
    assert_eq!(ctx.fd_label(PID, 20), "20<request:/dev/media0>", "kept");
}

#[test]
fn header_says_what_a_trace_was_cut_or_minimised_from() {
    let mut h = header();
    assert!(
        !format_header(&h).contains(" of its "),
        "a recording has no derivation"
    );
    h.derived = Some(Derivation {
        tool: "minimize".into(),
        source: "cut.trace".into(),
        source_sha256: String::new(),
        how: "leak".into(),
        ioctls_before: 40,
        ioctls_after: 11,
        parent: Some(Box::new(Derivation {
            tool: "cut".into(),
            source: "dec.trace".into(),
            source_sha256: String::new(),
            how: "--frames 0..10".into(),
            ioctls_before: 589,
            ioctls_after: 40,
            parent: None,
        })),
    });
    let text = format_header(&h);
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(" of its ")).collect();
    assert_eq!(
        lines,
        [
            "# minimize of cut.trace (leak): 11 of its 40 ioctls",
            "# cut of dec.trace (--frames 0..10): 40 of its 589 ioctls"
        ],
        "{text}"
    );
}
