//! The argument fields the rules read, through the ioctl catalogue's decoders: buffers (with
//! bytesused and flags), REQBUFS/CREATE_BUFS/REMOVE_BUFS/S_FMT arguments, and the controls of an
//! S_EXT_CTRLS call with their decoded payloads. (The pool model has its own private accessors
//! for the fields it needs; these add the ones only the checks use.)

use crate::controls::ControlValue;
use crate::ioctl::{create_bufs, ext_ctrls, fmt, qbuf, reqbufs, Side as IoSide};
use crate::pool::{Context, CtxId, PoolModel, ReqId, Request};
use crate::record::{Ioctl, PayloadKind};

pub use crate::ioctl::create_bufs::{VIDIOC_CREATE_BUFS, VIDIOC_REMOVE_BUFS};
pub use crate::ioctl::ext_ctrls::VIDIOC_S_EXT_CTRLS;
pub use crate::ioctl::fmt::VIDIOC_S_FMT;
pub use crate::ioctl::names::{BUF_FLAG_REQUEST_FD, CTRL_WHICH_REQUEST_VAL};
pub use crate::ioctl::qbuf::{VIDIOC_DQBUF, VIDIOC_QBUF};
pub use crate::ioctl::reqbufs::VIDIOC_REQBUFS;
pub use crate::ioctl::request::{MEDIA_REQUEST_IOC_QUEUE, MEDIA_REQUEST_IOC_REINIT};
pub use crate::ioctl::streamon::{VIDIOC_STREAMOFF, VIDIOC_STREAMON};

/// `V4L2_BUF_FLAG_ERROR`.
pub const BUF_FLAG_ERROR: u32 = 0x40;
/// `V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF`.
pub const BUF_FLAG_HOLD_CAPTURE: u32 = 0x200;
/// errno values the rules name.
pub const EAGAIN: i32 = 11;
pub const EBUSY: i32 = 16;
pub const ENOENT: i32 = 2;

/// Whichever side was captured, preferring `before` (what the application passed).
fn passed(io: &Ioctl) -> &[u8] {
    if io.before.is_empty() {
        &io.after
    } else {
        &io.before
    }
}

/// Whichever side was captured, preferring `after` (what the kernel returned).
fn returned(io: &Ioctl) -> &[u8] {
    if io.after.is_empty() {
        &io.before
    } else {
        &io.after
    }
}

/// The fields of `struct v4l2_buffer` the rules use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buf {
    pub index: u32,
    pub buf_type: u32,
    pub flags: u32,
    pub request_fd: i32,
    /// `timestamp` in ns (as references name frames).
    pub ts_ns: u64,
    /// Bytes used over all planes (0 when a multi-planar buffer's planes were not captured).
    pub bytesused: u64,
}

fn buf(bytes: &[u8], io: &Ioctl, before: bool) -> Option<Buf> {
    let planes = io.payload(&PayloadKind::Planes).map(|p| {
        let (a, b) = if before {
            (&p.before, &p.after)
        } else {
            (&p.after, &p.before)
        };
        if a.is_empty() {
            b.as_slice()
        } else {
            a.as_slice()
        }
    });
    let d = qbuf::Buffer::decode(bytes, planes).ok()?;
    let bytesused = match &d.planes {
        Some(p) => p
            .iter()
            .map(|p| u64::from(p.bytesused.saturating_sub(p.data_offset)))
            .sum(),
        None => u64::from(d.bytesused),
    };
    let us = d
        .timestamp
        .sec
        .saturating_mul(1_000_000)
        .saturating_add(d.timestamp.usec);
    Some(Buf {
        index: d.index,
        buf_type: d.buf_type,
        flags: d.flags,
        request_fd: d.request_fd,
        ts_ns: (us.max(0) as u64).saturating_mul(1000),
        bytesused,
    })
}

/// `v4l2_buffer` as passed (QBUF).
pub fn buf_passed(io: &Ioctl) -> Option<Buf> {
    buf(passed(io), io, true)
}

/// `v4l2_buffer` as returned (DQBUF).
pub fn buf_returned(io: &Ioctl) -> Option<Buf> {
    buf(returned(io), io, false)
}

/// `(count, type)` of REQBUFS as asked.
pub fn reqbufs(io: &Ioctl) -> Option<(u32, u32)> {
    let r = reqbufs::RequestBuffers::decode(passed(io)).ok()?;
    Some((r.count, r.buf_type))
}

/// `(count, format.type)` of CREATE_BUFS as asked.
pub fn create_bufs(io: &Ioctl) -> Option<(u32, u32)> {
    let c = create_bufs::CreateBuffers::decode(passed(io)).ok()?;
    Some((c.count, c.format.buf_type))
}

/// `(index, count, type)` of REMOVE_BUFS.
pub fn remove_bufs(io: &Ioctl) -> Option<(u32, u32, u32)> {
    let r = create_bufs::RemoveBuffers::decode(passed(io)).ok()?;
    Some((r.index, r.count, r.buf_type))
}

/// `(type, width, height, pixelformat)` of S_FMT as passed.
pub fn format_passed(io: &Ioctl) -> Option<(u32, u32, u32, u32)> {
    let f = fmt::Format::decode(passed(io)).ok()?;
    let (w, h) = f.size().unwrap_or((0, 0));
    Some((f.buf_type, w, h, f.pixelformat().map_or(0, |p| p.0)))
}

/// An S_EXT_CTRLS call's `which`, `request_fd` and controls as passed: `(id, value)` with the
/// decoded value when the catalogue decodes it.
pub struct Ctrls {
    pub which: u32,
    pub request_fd: i32,
    pub controls: Vec<(u32, Option<ControlValue>)>,
}

/// The controls of an S_EXT_CTRLS call as passed.
pub fn ext_ctrls(io: &Ioctl) -> Option<Ctrls> {
    let x = ext_ctrls::ExtControls::decode(passed(io), &io.payloads, IoSide::Before).ok()?;
    Some(Ctrls {
        which: x.which,
        request_fd: x.request_fd,
        controls: x.controls.into_iter().map(|c| (c.id, c.decoded)).collect(),
    })
}

/// What the rules read from one record, decoded once: the buffer of a QBUF (as passed) or DQBUF
/// (as returned), the controls of an S_EXT_CTRLS (as passed), and the context and request the
/// call is about, looked up once in the model before the record is applied (the ids stay valid
/// after it).
#[derive(Default)]
pub struct Facts {
    pub buf: Option<Buf>,
    pub ctrls: Option<Ctrls>,
    /// The context of the video fd a V4L2 call was issued on.
    pub ctx: Option<CtxId>,
    /// The request a request-fd call, a QBUF with `REQUEST_FD` or a request S_EXT_CTRLS names.
    pub req: Option<ReqId>,
}

impl Facts {
    /// Decodes what the rules need from `rec`, with `m` as it is before `rec` is applied.
    pub fn of(rec: &crate::record::Record, m: &PoolModel) -> Facts {
        let crate::record::Record::Ioctl(io) = rec else {
            return Facts::default();
        };
        let mut f = match io.request {
            VIDIOC_QBUF => Facts {
                buf: buf_passed(io),
                ..Facts::default()
            },
            VIDIOC_DQBUF => Facts {
                buf: buf_returned(io),
                ..Facts::default()
            },
            VIDIOC_S_EXT_CTRLS => Facts {
                ctrls: ext_ctrls(io),
                ..Facts::default()
            },
            _ => Facts::default(),
        };
        let req_fd = if is_video(io.request) {
            f.ctx = m.context_by_fd(io.pid, io.fd).map(|c| c.id);
            match (&f.buf, &f.ctrls) {
                (Some(b), _) if io.request == VIDIOC_QBUF && b.flags & BUF_FLAG_REQUEST_FD != 0 => {
                    Some(b.request_fd)
                }
                (_, Some(x)) if x.which == CTRL_WHICH_REQUEST_VAL => Some(x.request_fd),
                _ => None,
            }
        } else if (io.request >> 8) as u8 == b'|' && (io.request as u8) >= 0x80 {
            Some(io.fd)
        } else {
            None
        };
        f.req = req_fd
            .and_then(|fd| m.request_by_fd(io.pid, fd))
            .map(|r| r.id);
        f
    }

    /// The context, in `m`.
    pub fn ctx<'a>(&self, m: &'a PoolModel) -> Option<&'a Context> {
        m.context(self.ctx?)
    }

    /// The request, in `m`.
    pub fn req<'a>(&self, m: &'a PoolModel) -> Option<&'a Request> {
        m.request(self.req?)
    }
}

/// Whether a V4L2 ioctl request number is `V4L2` (type `'V'`).
pub fn is_video(request: u32) -> bool {
    (request >> 8) as u8 == b'V'
}

/// A fourcc as text.
pub fn fourcc(code: u32) -> String {
    crate::ioctl::names::fourcc(code)
}

/// `V4L2_PIX_FMT_*` codes of the coded (OUTPUT) formats of stateless decoders.
pub mod pix {
    use crate::ioctl::names::fourcc_code;
    pub const H264_SLICE: u32 = fourcc_code(b"S264");
    pub const HEVC_SLICE: u32 = fourcc_code(b"S265");
    pub const MPEG2_SLICE: u32 = fourcc_code(b"MG2S");
    pub const VP8_FRAME: u32 = fourcc_code(b"VP8F");
    pub const VP9_FRAME: u32 = fourcc_code(b"VP9F");
    pub const AV1_FRAME: u32 = fourcc_code(b"AV1F");
    pub const FWHT_STATELESS: u32 = fourcc_code(b"SFWH");
    pub const NV12: u32 = fourcc_code(b"NV12");
    pub const YUV420: u32 = fourcc_code(b"YU12");
    pub const NV12_32L32: u32 = fourcc_code(b"ST12");
}
