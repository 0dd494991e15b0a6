//! Hand-built records for tests, benchmarks and sample traces: a [`Synth`] that writes the
//! argument bytes of the calls a stateless decoder client makes (one process, advancing clock),
//! and [`leak_and_ebusy`], a complete sample trace with a request-slot leak and a CAPTURE
//! REQBUFS(0) that fails with EBUSY.

use super::args;
use super::state::buf_type;
use crate::ioctl::layout::{
    v4l2_buffer as buf, v4l2_capability as cap, v4l2_exportbuffer as exp, v4l2_ext_controls as ext,
    v4l2_format as fmt, v4l2_pix_format as pix, v4l2_plane as plane, v4l2_requestbuffers as rb,
};
use crate::record::{
    Close, DeviceInfo, DeviceKind, End, EndReason, Header, Ioctl, Mmap, Munmap, Open, Payload,
    PayloadKind, Poll, PollFd, Record,
};

/// `V4L2_MEMORY_MMAP`.
pub const MEMORY_MMAP: u32 = 1;
/// `EBUSY`, `EIO`, `EAGAIN`, `EINVAL` as negative return values.
pub const RET_EBUSY: i64 = -16;
pub const RET_EIO: i64 = -5;
pub const RET_EAGAIN: i64 = -11;
pub const RET_EINVAL: i64 = -22;
/// `V4L2_PIX_FMT_H264_SLICE` and `V4L2_PIX_FMT_NV12`.
pub const FOURCC_S264: u32 = u32::from_le_bytes(*b"S264");
pub const FOURCC_NV12: u32 = u32::from_le_bytes(*b"NV12");

fn put_u32(b: &mut [u8], off: usize, v: u32) {
    if let Some(s) = b.get_mut(off..off + 4) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}

/// Bytes of a `struct v4l2_buffer`.
pub fn v4l2_buffer(
    index: u32,
    buf_type: u32,
    flags: u32,
    request_fd: i32,
    mem_offset: u32,
) -> Vec<u8> {
    let mut b = vec![0u8; buf::SIZE];
    put_u32(&mut b, buf::INDEX, index);
    put_u32(&mut b, buf::TYPE, buf_type);
    put_u32(&mut b, buf::BYTESUSED, 1024);
    put_u32(&mut b, buf::FLAGS, flags);
    put_u32(&mut b, buf::MEMORY, MEMORY_MMAP);
    put_u32(&mut b, buf::M, mem_offset);
    put_u32(&mut b, buf::LENGTH, 1);
    put_u32(&mut b, buf::REQUEST_FD, request_fd as u32);
    b
}

/// Bytes of a `struct v4l2_requestbuffers`.
pub fn v4l2_requestbuffers(count: u32, buf_type: u32, memory: u32) -> Vec<u8> {
    let mut b = vec![0u8; rb::SIZE];
    put_u32(&mut b, rb::COUNT, count);
    put_u32(&mut b, rb::TYPE, buf_type);
    put_u32(&mut b, rb::MEMORY, memory);
    b
}

/// Bytes of a `struct v4l2_format` (pix and pix_mp start alike).
pub fn v4l2_format(buf_type: u32, fourcc: u32, width: u32, height: u32) -> Vec<u8> {
    let mut b = vec![0u8; fmt::SIZE];
    put_u32(&mut b, fmt::TYPE, buf_type);
    put_u32(&mut b, fmt::FMT + pix::WIDTH, width);
    put_u32(&mut b, fmt::FMT + pix::HEIGHT, height);
    put_u32(&mut b, fmt::FMT + pix::PIXELFORMAT, fourcc);
    b
}

/// Bytes of a `struct v4l2_exportbuffer`.
pub fn v4l2_exportbuffer(buf_type: u32, index: u32, fd: i32) -> Vec<u8> {
    let mut b = vec![0u8; exp::SIZE];
    put_u32(&mut b, exp::TYPE, buf_type);
    put_u32(&mut b, exp::INDEX, index);
    put_u32(&mut b, exp::PLANE, 0);
    put_u32(&mut b, exp::FD, fd as u32);
    b
}

/// Bytes of a `struct v4l2_ext_controls`.
pub fn v4l2_ext_controls(which: u32, count: u32, request_fd: i32) -> Vec<u8> {
    let mut b = vec![0u8; ext::SIZE];
    put_u32(&mut b, ext::WHICH, which);
    put_u32(&mut b, ext::COUNT, count);
    put_u32(&mut b, ext::REQUEST_FD, request_fd as u32);
    b
}

/// Bytes of a `struct v4l2_capability`.
pub fn v4l2_capability(driver: &str, card: &str) -> Vec<u8> {
    let mut b = vec![0u8; cap::SIZE];
    for (off, len, s) in [
        (cap::DRIVER, cap::CARD - cap::DRIVER, driver),
        (cap::CARD, cap::BUS_INFO - cap::CARD, card),
    ] {
        let n = s.len().min(len - 1);
        b[off..off + n].copy_from_slice(&s.as_bytes()[..n]);
    }
    b
}

/// Writes the records of one traced process, advancing a clock by `step_ns` per call.
#[derive(Debug, Clone)]
pub struct Synth {
    pub pid: u32,
    /// Monotonic ns of the next event.
    pub ts: u64,
    /// Time each call takes and the gap after it.
    pub step_ns: u64,
    seq: u64,
}

impl Synth {
    pub fn new(pid: u32, start_ns: u64) -> Self {
        Synth {
            pid,
            ts: start_ns,
            step_ns: 100_000,
            seq: 0,
        }
    }

    /// Lets `ns` pass.
    pub fn sleep(&mut self, ns: u64) {
        self.ts += ns;
    }

    fn tick(&mut self) -> (u64, u64) {
        let t0 = self.ts;
        self.ts += self.step_ns;
        (t0, t0 + self.step_ns / 2)
    }

    /// Any ioctl with the given argument bytes.
    pub fn ioctl(
        &mut self,
        fd: i32,
        request: u32,
        before: Vec<u8>,
        after: Vec<u8>,
        ret: i64,
    ) -> Record {
        let (t0, t1) = self.tick();
        let seq = self.seq;
        self.seq += 1;
        Record::Ioctl(Ioctl {
            seq,
            ts_enter: t0,
            ts_exit: t1,
            pid: self.pid,
            tid: self.pid,
            fd,
            request,
            arg: 0x7fff_0000,
            before,
            after,
            payloads: Vec::new(),
            ret,
            injected: false,
        })
    }

    pub fn open(&mut self, path: &str, fd: i32) -> Record {
        let (ts, _) = self.tick();
        Record::Open(Open {
            ts,
            pid: self.pid,
            tid: self.pid,
            dirfd: Some(-100),
            path: path.into(),
            flags: 2,
            mode: 0,
            ret: fd as i64,
        })
    }

    pub fn close(&mut self, fd: i32) -> Record {
        let (ts, _) = self.tick();
        Record::Close(Close {
            ts,
            pid: self.pid,
            tid: self.pid,
            fd,
            ret: 0,
        })
    }

    pub fn querycap(&mut self, fd: i32, driver: &str, card: &str) -> Record {
        self.ioctl(
            fd,
            args::VIDIOC_QUERYCAP,
            Vec::new(),
            v4l2_capability(driver, card),
            0,
        )
    }

    pub fn s_fmt(&mut self, fd: i32, t: u32, fourcc: u32, w: u32, h: u32, ret: i64) -> Record {
        let b = v4l2_format(t, fourcc, w, h);
        let a = if ret == 0 { b.clone() } else { Vec::new() };
        self.ioctl(fd, args::VIDIOC_S_FMT, b, a, ret)
    }

    /// REQBUFS asking for `count` MMAP buffers; the kernel answers `got` on success.
    pub fn reqbufs(&mut self, fd: i32, t: u32, count: u32, got: u32, ret: i64) -> Record {
        let a = if ret == 0 {
            v4l2_requestbuffers(got, t, MEMORY_MMAP)
        } else {
            Vec::new()
        };
        self.ioctl(
            fd,
            args::VIDIOC_REQBUFS,
            v4l2_requestbuffers(count, t, MEMORY_MMAP),
            a,
            ret,
        )
    }

    /// QUERYBUF of a buffer at `mem_offset` (single-planar, or plane 0 of a multi-planar one).
    pub fn querybuf(&mut self, fd: i32, t: u32, index: u32, mem_offset: u32) -> Record {
        let mut r = self.ioctl(
            fd,
            args::VIDIOC_QUERYBUF,
            v4l2_buffer(index, t, 0, 0, 0),
            v4l2_buffer(index, t, 0, 0, mem_offset),
            0,
        );
        if super::state::is_mplane(t) {
            if let Record::Ioctl(io) = &mut r {
                let mut plane = vec![0u8; plane::SIZE];
                put_u32(&mut plane, plane::M, mem_offset);
                io.payloads.push(Payload {
                    kind: PayloadKind::Planes,
                    addr: 0x7ffe_0000,
                    before: Vec::new(),
                    after: plane,
                });
            }
        }
        r
    }

    pub fn mmap(&mut self, fd: i32, mem_offset: u32, addr: u64, len: u64) -> Record {
        let (ts, _) = self.tick();
        Record::Mmap(Mmap {
            ts,
            pid: self.pid,
            tid: self.pid,
            fd,
            addr: 0,
            len,
            prot: 3,
            flags: 1,
            offset: mem_offset as u64,
            ret: addr,
        })
    }

    pub fn munmap(&mut self, addr: u64, len: u64) -> Record {
        let (ts, _) = self.tick();
        Record::Munmap(Munmap {
            ts,
            pid: self.pid,
            tid: self.pid,
            addr,
            len,
            ret: 0,
        })
    }

    pub fn expbuf(&mut self, fd: i32, t: u32, index: u32, new_fd: i32) -> Record {
        self.ioctl(
            fd,
            args::VIDIOC_EXPBUF,
            v4l2_exportbuffer(t, index, 0),
            v4l2_exportbuffer(t, index, new_fd),
            0,
        )
    }

    pub fn streamon(&mut self, fd: i32, t: u32) -> Record {
        self.ioctl(
            fd,
            args::VIDIOC_STREAMON,
            t.to_le_bytes().to_vec(),
            Vec::new(),
            0,
        )
    }

    pub fn streamoff(&mut self, fd: i32, t: u32) -> Record {
        self.ioctl(
            fd,
            args::VIDIOC_STREAMOFF,
            t.to_le_bytes().to_vec(),
            Vec::new(),
            0,
        )
    }

    pub fn request_alloc(&mut self, media_fd: i32, req_fd: i32) -> Record {
        self.ioctl(
            media_fd,
            args::MEDIA_IOC_REQUEST_ALLOC,
            Vec::new(),
            req_fd.to_le_bytes().to_vec(),
            0,
        )
    }

    /// S_EXT_CTRLS of `count` controls into request `req_fd`.
    pub fn s_ext_ctrls(&mut self, fd: i32, req_fd: i32, count: u32, ret: i64) -> Record {
        let b = v4l2_ext_controls(args::CTRL_WHICH_REQUEST_VAL, count, req_fd);
        self.ioctl(fd, args::VIDIOC_S_EXT_CTRLS, b.clone(), b, ret)
    }

    /// QBUF of buffer `index`, bound to request `req_fd` if given.
    pub fn qbuf(&mut self, fd: i32, t: u32, index: u32, req_fd: Option<i32>, ret: i64) -> Record {
        let flags = if req_fd.is_some() {
            args::BUF_FLAG_REQUEST_FD
        } else {
            0
        };
        let b = v4l2_buffer(index, t, flags, req_fd.unwrap_or(0), 0);
        self.ioctl(fd, args::VIDIOC_QBUF, b.clone(), b, ret)
    }

    /// DQBUF returning buffer `index` with `flags` (on success).
    pub fn dqbuf(&mut self, fd: i32, t: u32, index: u32, flags: u32, ret: i64) -> Record {
        let a = if ret == 0 {
            v4l2_buffer(index, t, flags, 0, 0)
        } else {
            Vec::new()
        };
        self.ioctl(fd, args::VIDIOC_DQBUF, v4l2_buffer(0, t, 0, 0, 0), a, ret)
    }

    pub fn request_queue(&mut self, req_fd: i32, ret: i64) -> Record {
        self.ioctl(
            req_fd,
            args::MEDIA_REQUEST_IOC_QUEUE,
            Vec::new(),
            Vec::new(),
            ret,
        )
    }

    pub fn request_reinit(&mut self, req_fd: i32, ret: i64) -> Record {
        self.ioctl(
            req_fd,
            args::MEDIA_REQUEST_IOC_REINIT,
            Vec::new(),
            Vec::new(),
            ret,
        )
    }

    /// poll on `req_fd` returning POLLPRI.
    pub fn poll_done(&mut self, req_fd: i32) -> Record {
        let (t0, t1) = self.tick();
        Record::Poll(Poll {
            ts_enter: t0,
            ts_exit: t1,
            pid: self.pid,
            tid: self.pid,
            syscall: "ppoll".into(),
            fds: vec![PollFd {
                fd: req_fd,
                events: args::POLLPRI,
                revents: args::POLLPRI,
            }],
            timeout_ns: None,
            ret: 1,
        })
    }

    pub fn end(&mut self) -> Record {
        let (ts, _) = self.tick();
        let mut e = End::new(ts, EndReason::Exited);
        e.exit_code = Some(0);
        Record::End(e)
    }
}

/// Fds and numbers used by [`leak_and_ebusy`].
pub mod sample {
    pub const PID: u32 = 4242;
    pub const VIDEO_FD: i32 = 3;
    pub const MEDIA_FD: i32 = 4;
    /// Request fds of the slots, slot `i` uses `REQ_FD0 + i`.
    pub const REQ_FD0: i32 = 10;
    pub const SLOTS: u32 = 4;
    pub const CAPTURE_BUFS: u32 = 4;
    /// The CAPTURE buffer exported as a dma-buf, and its fd.
    pub const EXPORTED_INDEX: u32 = 0;
    pub const DMABUF_FD: i32 = 20;
    /// The slot whose request leaks (DQBUF fails, then REINIT fails, never released).
    pub const LEAKED_SLOT: u32 = 2;
    /// Frames decoded in all.
    pub const FRAMES: u32 = 12;
}

/// One decoded frame on `slot` with CAPTURE buffer `cap`: controls, QBUF both, QUEUE, poll,
/// DQBUF both, REINIT.
pub fn decode_frame(s: &mut Synth, video: i32, req_fd: i32, slot: u32, cap: u32) -> Vec<Record> {
    let out_t = buf_type::VIDEO_OUTPUT_MPLANE;
    let cap_t = buf_type::VIDEO_CAPTURE_MPLANE;
    vec![
        s.s_ext_ctrls(video, req_fd, 5, 0),
        s.qbuf(video, out_t, slot, Some(req_fd), 0),
        s.qbuf(video, cap_t, cap, None, 0),
        s.request_queue(req_fd, 0),
        s.poll_done(req_fd),
        s.dqbuf(video, out_t, slot, 0, 0),
        s.dqbuf(video, cap_t, cap, 0, 0),
        s.request_reinit(req_fd, 0),
    ]
}

/// The header of [`leak_and_ebusy`]: one visl video node and its media node.
pub fn sample_header() -> Header {
    let mut h = Header::new();
    h.kernel_release = "6.12.0-vatrace-testbed".into();
    h.machine = "x86_64".into();
    h.command = vec!["synthetic-client".into(), "probe.h264".into()];
    h.root_pid = sample::PID;
    for (path, kind) in [
        ("/dev/video0", DeviceKind::Video),
        ("/dev/media0", DeviceKind::Media),
    ] {
        h.devices.push(DeviceInfo {
            path: path.into(),
            kind,
            rdev: None,
            driver: "visl".into(),
            card: "visl".into(),
            bus_info: "platform:visl".into(),
            version: 0,
            capabilities: 0,
            device_caps: 0,
            formats: Vec::new(),
            media: None,
        });
    }
    h
}

/// The set-up of the [`sample`] decoder up to its buffers: opens the video and media nodes, sets
/// H.264 128x128 OUTPUT and NV12 CAPTURE formats, allocates the [`sample::SLOTS`] OUTPUT and
/// [`sample::CAPTURE_BUFS`] CAPTURE buffers and maps each CAPTURE buffer (at `map_base` plus
/// 1 MiB per buffer).
pub fn sample_buffers(s: &mut Synth, map_base: u64) -> Vec<Record> {
    use sample::*;
    let out_t = buf_type::VIDEO_OUTPUT_MPLANE;
    let cap_t = buf_type::VIDEO_CAPTURE_MPLANE;
    let mut r = vec![
        s.open("/dev/video0", VIDEO_FD),
        s.open("/dev/media0", MEDIA_FD),
        s.querycap(VIDEO_FD, "visl", "visl"),
        s.s_fmt(VIDEO_FD, out_t, FOURCC_S264, 128, 128, 0),
        s.s_fmt(VIDEO_FD, cap_t, FOURCC_NV12, 128, 128, 0),
        s.reqbufs(VIDEO_FD, out_t, SLOTS, SLOTS, 0),
        s.reqbufs(VIDEO_FD, cap_t, CAPTURE_BUFS, CAPTURE_BUFS, 0),
    ];
    for i in 0..CAPTURE_BUFS {
        let offset = 0x1000_0000 + i * 0x10_0000;
        r.push(s.querybuf(VIDEO_FD, cap_t, i, offset));
        r.push(s.mmap(
            VIDEO_FD,
            offset,
            map_base + u64::from(i) * 0x10_0000,
            128 * 128 * 3 / 2,
        ));
    }
    r
}

/// The rest of the [`sample`] decoder's set-up: allocates one request per slot and starts
/// streaming on both queues.
pub fn sample_start(s: &mut Synth) -> Vec<Record> {
    use sample::*;
    let mut r: Vec<Record> = (0..SLOTS)
        .map(|i| s.request_alloc(MEDIA_FD, REQ_FD0 + i as i32))
        .collect();
    r.push(s.streamon(VIDEO_FD, buf_type::VIDEO_OUTPUT_MPLANE));
    r.push(s.streamon(VIDEO_FD, buf_type::VIDEO_CAPTURE_MPLANE));
    r
}

/// A complete sample trace: 4 OUTPUT slots each with its request fd, 4 mapped 128x128 "probe"
/// CAPTURE buffers (one also exported); frames decoded round-robin until slot
/// [`sample::LEAKED_SLOT`]'s DQBUF fails with EIO and its REINIT with EBUSY, after which the
/// client skips that slot for good (the leak); then a resolution change to 1920x1080 whose
/// CAPTURE `REQBUFS(0)` fails with EBUSY because the buffers are still queued, mapped and
/// exported; then End. At End the failed request is leaked.
pub fn leak_and_ebusy() -> (Header, Vec<Record>) {
    use sample::*;
    let out_t = buf_type::VIDEO_OUTPUT_MPLANE;
    let cap_t = buf_type::VIDEO_CAPTURE_MPLANE;
    let mut s = Synth::new(PID, 1_000_000_000);
    let mut r = sample_buffers(&mut s, 0x7f00_0000_0000);
    r.push(s.expbuf(VIDEO_FD, cap_t, EXPORTED_INDEX, DMABUF_FD));
    r.extend(sample_start(&mut s));
    let mut slot = 0u32;
    let mut leaked = false;
    for frame in 0..FRAMES {
        s.sleep(33_000_000);
        if leaked && slot == LEAKED_SLOT {
            slot = (slot + 1) % SLOTS;
        }
        let req = REQ_FD0 + slot as i32;
        let cap = frame % CAPTURE_BUFS;
        if !leaked && slot == LEAKED_SLOT && frame >= SLOTS {
            // The error path without force_release(): the slot is never recycled.
            r.push(s.s_ext_ctrls(VIDEO_FD, req, 5, 0));
            r.push(s.qbuf(VIDEO_FD, out_t, slot, Some(req), 0));
            r.push(s.qbuf(VIDEO_FD, cap_t, cap, None, 0));
            r.push(s.request_queue(req, 0));
            r.push(s.dqbuf(VIDEO_FD, out_t, 0, 0, RET_EIO));
            r.push(s.request_reinit(req, RET_EBUSY));
            leaked = true;
        } else {
            r.extend(decode_frame(&mut s, VIDEO_FD, req, slot, cap));
        }
        slot = (slot + 1) % SLOTS;
    }
    // Resolution change: the real surfaces are 1920x1080, but CAPTURE was not drained.
    s.sleep(50_000_000);
    for i in 0..2 {
        r.push(s.qbuf(VIDEO_FD, cap_t, i, None, 0));
    }
    r.push(s.reqbufs(VIDEO_FD, cap_t, 0, 0, RET_EBUSY));
    r.push(s.s_fmt(VIDEO_FD, cap_t, FOURCC_NV12, 1920, 1080, RET_EBUSY));
    s.sleep(2_000_000_000);
    r.push(s.end());
    (sample_header(), r)
}
