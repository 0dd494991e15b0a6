//! The few argument-struct fields the pool model reads (buffer index/type/flags, REQBUFS count,
//! formats, EXPBUF fds, request fds), taken from an [`Ioctl`] through the ioctl catalogue's
//! decoders ([`crate::ioctl`]), plus the request numbers the model reacts to. Every accessor
//! returns `None` for bytes the decoder refuses (the model counts those as malformed). The
//! protocol checker ([`crate::check`]) reads its fields through these same accessors.

use crate::controls::ControlValue;
use crate::ioctl::{
    self, create_bufs, expbuf, ext_ctrls, fmt, names, qbuf, querycap, reqbufs, Arg, Side,
};
use crate::record::{Ioctl, PayloadKind};

pub use crate::ioctl::create_bufs::{VIDIOC_CREATE_BUFS, VIDIOC_REMOVE_BUFS};
pub use crate::ioctl::expbuf::VIDIOC_EXPBUF;
pub use crate::ioctl::ext_ctrls::VIDIOC_S_EXT_CTRLS;
pub use crate::ioctl::fmt::{VIDIOC_G_FMT, VIDIOC_S_FMT};
pub use crate::ioctl::media::MEDIA_IOC_REQUEST_ALLOC;
pub use crate::ioctl::names::{BUF_FLAG_REQUEST_FD, CTRL_WHICH_REQUEST_VAL};
pub use crate::ioctl::qbuf::{VIDIOC_DQBUF, VIDIOC_QBUF, VIDIOC_QUERYBUF};
pub use crate::ioctl::querycap::VIDIOC_QUERYCAP;
pub use crate::ioctl::reqbufs::VIDIOC_REQBUFS;
pub use crate::ioctl::request::{MEDIA_REQUEST_IOC_QUEUE, MEDIA_REQUEST_IOC_REINIT};
pub use crate::ioctl::streamon::{VIDIOC_STREAMOFF, VIDIOC_STREAMON};

/// `V4L2_BUF_FLAG_ERROR`.
pub const BUF_FLAG_ERROR: u32 = 0x0000_0040;
/// `POLLPRI`.
pub const POLLPRI: u16 = 0x2;

/// `_IOC` type byte of a request number.
pub fn ioc_type(request: u32) -> u8 {
    (request >> 8) as u8
}

/// `_IOC` number byte of a request number.
pub fn ioc_nr(request: u32) -> u8 {
    request as u8
}

/// Of two captured sides, the preferred one unless it is empty.
fn either<'a>(preferred: &'a [u8], other: &'a [u8]) -> &'a [u8] {
    if preferred.is_empty() {
        other
    } else {
        preferred
    }
}

/// Whichever side of the call was captured, preferring `after` (what the kernel returned).
fn after_or_before(io: &Ioctl) -> &[u8] {
    either(&io.after, &io.before)
}

/// Whichever side was captured, preferring `before` (what the application passed).
fn before_or_after(io: &Ioctl) -> &[u8] {
    either(&io.before, &io.after)
}

/// The captured plane array of a multi-planar buffer, preferring the same side as the buffer.
fn planes(io: &Ioctl, before: bool) -> Option<&[u8]> {
    io.payload(&PayloadKind::Planes).map(|p| {
        if before {
            either(&p.before, &p.after)
        } else {
            either(&p.after, &p.before)
        }
    })
}

/// The fields of `struct v4l2_buffer` the model uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufArg {
    pub index: u32,
    pub buf_type: u32,
    pub flags: u32,
    pub memory: u32,
    /// `m.offset` (single-planar MMAP), else 0.
    pub mem_offset: u32,
    pub request_fd: i32,
    /// `timestamp` in microseconds.
    pub timestamp_us: i64,
    /// Bytes used over all planes, less their data offsets (0 when a multi-planar buffer's
    /// planes were not captured).
    pub bytesused: u64,
}

impl BufArg {
    /// `timestamp` in ns (as references name frames; negative times count as 0).
    pub fn ts_ns(&self) -> u64 {
        (self.timestamp_us.max(0) as u64).saturating_mul(1000)
    }
}

fn buf_from(b: &[u8], planes: Option<&[u8]>) -> Option<BufArg> {
    let d = qbuf::Buffer::decode(b, planes).ok()?;
    let bytesused = match &d.planes {
        Some(p) => p
            .iter()
            .map(|p| u64::from(p.bytesused.saturating_sub(p.data_offset)))
            .sum(),
        None => u64::from(d.bytesused),
    };
    Some(BufArg {
        index: d.index,
        buf_type: d.buf_type,
        flags: d.flags,
        memory: d.memory,
        mem_offset: match d.m {
            qbuf::Memory::Offset(o) => o,
            _ => 0,
        },
        request_fd: d.request_fd,
        timestamp_us: d
            .timestamp
            .sec
            .saturating_mul(1_000_000)
            .saturating_add(d.timestamp.usec),
        bytesused,
    })
}

/// `v4l2_buffer` as the application passed it (QBUF).
pub fn buffer_before(io: &Ioctl) -> Option<BufArg> {
    buf_from(before_or_after(io), planes(io, true))
}

/// `v4l2_buffer` as the kernel returned it (DQBUF, QUERYBUF).
pub fn buffer_after(io: &Ioctl) -> Option<BufArg> {
    buf_from(after_or_before(io), planes(io, false))
}

/// `m.mem_offset` of each plane of a multi-planar buffer (QUERYBUF), from the plane payload.
pub fn plane_offsets(io: &Ioctl) -> Vec<u32> {
    let Some(planes) = planes(io, false) else {
        return Vec::new();
    };
    let Ok(b) = qbuf::Buffer::decode(after_or_before(io), Some(planes)) else {
        return Vec::new();
    };
    b.planes
        .unwrap_or_default()
        .iter()
        .filter_map(|pl| match pl.m {
            qbuf::Memory::Offset(o) => Some(o),
            _ => None,
        })
        .collect()
}

/// `(count, type, memory)` of `struct v4l2_requestbuffers` as asked for, and the count answered.
pub fn reqbufs(io: &Ioctl) -> Option<((u32, u32, u32), Option<u32>)> {
    let asked = reqbufs::RequestBuffers::decode(before_or_after(io)).ok()?;
    let got = reqbufs::RequestBuffers::decode(&io.after)
        .ok()
        .map(|a| a.count);
    Some(((asked.count, asked.buf_type, asked.memory), got))
}

fn format_from(b: &[u8]) -> Option<(u32, u32, u32, u32)> {
    let f = fmt::Format::decode(b).ok()?;
    let (w, h) = f.size().unwrap_or((0, 0));
    Some((f.buf_type, w, h, f.pixelformat().map_or(0, |p| p.0)))
}

/// `(type, width, height, pixelformat)` of `struct v4l2_format` as returned.
pub fn format(io: &Ioctl) -> Option<(u32, u32, u32, u32)> {
    format_from(after_or_before(io))
}

/// `(type, width, height, pixelformat)` of `struct v4l2_format` as passed (what S_FMT asked).
pub fn format_passed(io: &Ioctl) -> Option<(u32, u32, u32, u32)> {
    format_from(before_or_after(io))
}

/// `(type, index, plane, fd)` of `struct v4l2_exportbuffer` as returned.
pub fn expbuf(io: &Ioctl) -> Option<(u32, u32, u32, i32)> {
    let e = expbuf::ExportBuffer::decode(after_or_before(io)).ok()?;
    Some((e.buf_type, e.index, e.plane, e.fd))
}

/// `(which, count, request_fd)` of `struct v4l2_ext_controls` as passed (controls not decoded).
pub fn ext_ctrls(io: &Ioctl) -> Option<(u32, u32, i32)> {
    let x = ext_ctrls::ExtControls::decode(before_or_after(io), &[], Side::Before).ok()?;
    Some((x.which, x.count, x.request_fd))
}

/// An S_EXT_CTRLS call's `which`, `request_fd` and controls as passed: `(id, value)` with the
/// decoded value when the catalogue decodes it.
pub struct Ctrls {
    pub which: u32,
    pub request_fd: i32,
    pub controls: Vec<(u32, Option<ControlValue>)>,
}

/// `struct v4l2_ext_controls` as passed, with each control's payload decoded.
pub fn ext_ctrls_values(io: &Ioctl) -> Option<Ctrls> {
    let x = ext_ctrls::ExtControls::decode(before_or_after(io), &io.payloads, Side::Before).ok()?;
    Some(Ctrls {
        which: x.which,
        request_fd: x.request_fd,
        controls: x.controls.into_iter().map(|c| (c.id, c.decoded)).collect(),
    })
}

fn create_bufs_from(b: &[u8]) -> Option<(u32, u32, u32, u32)> {
    let c = create_bufs::CreateBuffers::decode(b).ok()?;
    Some((c.index, c.count, c.memory, c.format.buf_type))
}

/// `(index, count, memory, format.type)` of `struct v4l2_create_buffers` as returned.
pub fn create_bufs(io: &Ioctl) -> Option<(u32, u32, u32, u32)> {
    create_bufs_from(after_or_before(io))
}

/// `(index, count, memory, format.type)` of `struct v4l2_create_buffers` as asked for.
pub fn create_bufs_passed(io: &Ioctl) -> Option<(u32, u32, u32, u32)> {
    create_bufs_from(before_or_after(io))
}

/// `(index, count, type)` of `struct v4l2_remove_buffers`.
pub fn remove_bufs(io: &Ioctl) -> Option<(u32, u32, u32)> {
    let r = create_bufs::RemoveBuffers::decode(before_or_after(io)).ok()?;
    Some((r.index, r.count, r.buf_type))
}

fn int_of(request: u32, bytes: &[u8]) -> Option<i32> {
    match ioctl::decode(request, bytes).ok()? {
        Arg::Int(v) => Some(v),
        Arg::U32(v) => Some(v as i32),
        _ => None,
    }
}

/// The `int` argument as passed (STREAMON/OFF buffer type).
pub fn int_before(io: &Ioctl) -> Option<i32> {
    let b = before_or_after(io);
    // STREAMON's argument is an `int` holding a buffer type.
    int_of(io.request, b).or_else(|| {
        b.get(..4)
            .map(|s| i32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    })
}

/// The `int` argument as returned (REQUEST_ALLOC's new fd).
pub fn int_after(io: &Ioctl) -> Option<i32> {
    int_of(io.request, &io.after)
}

/// `(driver, card)` of `struct v4l2_capability` as returned.
pub fn querycap(io: &Ioctl) -> Option<(String, String)> {
    let c = querycap::Capability::decode(&io.after).ok()?;
    Some((c.driver, c.card))
}

/// The C name of `request` (`UNKNOWN(0x…)` if the catalogue lacks it).
pub fn name(request: u32) -> std::borrow::Cow<'static, str> {
    ioctl::name(request)
}

/// A fourcc as text (the catalogue's).
pub use names::fourcc;
