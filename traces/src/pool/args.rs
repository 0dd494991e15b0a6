//! The few argument-struct fields the pool model reads (buffer index/type/flags, REQBUFS count,
//! formats, EXPBUF fds, request fds), taken out of an [`Ioctl`]'s captured bytes, plus the request
//! numbers the model reacts to.
//!
//! TODO(traces-ioctl): replace with traces::ioctl::decode_ioctl / lookup once the catalogue is
//! exported from lib.rs; this module only exists until then and never panics on short input
//! (`None` means "malformed", which the model counts).

use crate::record::{Ioctl, PayloadKind};

const fn ioc(dir: u32, ty: u8, nr: u8, size: usize) -> u32 {
    (dir << 30) | (((size as u32) & 0x3fff) << 16) | ((ty as u32) << 8) | nr as u32
}
const R: u32 = 2;
const W: u32 = 1;
const RW: u32 = 3;

pub const VIDIOC_QUERYCAP: u32 = ioc(R, b'V', 0, 104);
pub const VIDIOC_G_FMT: u32 = ioc(RW, b'V', 4, 208);
pub const VIDIOC_S_FMT: u32 = ioc(RW, b'V', 5, 208);
pub const VIDIOC_REQBUFS: u32 = ioc(RW, b'V', 8, 20);
pub const VIDIOC_QUERYBUF: u32 = ioc(RW, b'V', 9, 88);
pub const VIDIOC_QBUF: u32 = ioc(RW, b'V', 15, 88);
pub const VIDIOC_EXPBUF: u32 = ioc(RW, b'V', 16, 64);
pub const VIDIOC_DQBUF: u32 = ioc(RW, b'V', 17, 88);
pub const VIDIOC_STREAMON: u32 = ioc(W, b'V', 18, 4);
pub const VIDIOC_STREAMOFF: u32 = ioc(W, b'V', 19, 4);
pub const VIDIOC_S_EXT_CTRLS: u32 = ioc(RW, b'V', 72, 32);
pub const VIDIOC_CREATE_BUFS: u32 = ioc(RW, b'V', 92, 256);
pub const VIDIOC_REMOVE_BUFS: u32 = ioc(RW, b'V', 104, 64);
pub const MEDIA_IOC_REQUEST_ALLOC: u32 = ioc(R, b'|', 0x05, 4);
pub const MEDIA_REQUEST_IOC_QUEUE: u32 = ioc(0, b'|', 0x80, 0);
pub const MEDIA_REQUEST_IOC_REINIT: u32 = ioc(0, b'|', 0x81, 0);
pub const DMA_BUF_IOCTL_SYNC: u32 = ioc(W, b'b', 0, 8);

/// Names of the ioctls above, for error counters and logs.
const NAMES: &[(u32, &str)] = &[
    (VIDIOC_QUERYCAP, "VIDIOC_QUERYCAP"),
    (VIDIOC_G_FMT, "VIDIOC_G_FMT"),
    (VIDIOC_S_FMT, "VIDIOC_S_FMT"),
    (VIDIOC_REQBUFS, "VIDIOC_REQBUFS"),
    (VIDIOC_QUERYBUF, "VIDIOC_QUERYBUF"),
    (VIDIOC_QBUF, "VIDIOC_QBUF"),
    (VIDIOC_EXPBUF, "VIDIOC_EXPBUF"),
    (VIDIOC_DQBUF, "VIDIOC_DQBUF"),
    (VIDIOC_STREAMON, "VIDIOC_STREAMON"),
    (VIDIOC_STREAMOFF, "VIDIOC_STREAMOFF"),
    (VIDIOC_S_EXT_CTRLS, "VIDIOC_S_EXT_CTRLS"),
    (VIDIOC_CREATE_BUFS, "VIDIOC_CREATE_BUFS"),
    (VIDIOC_REMOVE_BUFS, "VIDIOC_REMOVE_BUFS"),
    (MEDIA_IOC_REQUEST_ALLOC, "MEDIA_IOC_REQUEST_ALLOC"),
    (MEDIA_REQUEST_IOC_QUEUE, "MEDIA_REQUEST_IOC_QUEUE"),
    (MEDIA_REQUEST_IOC_REINIT, "MEDIA_REQUEST_IOC_REINIT"),
    (DMA_BUF_IOCTL_SYNC, "DMA_BUF_IOCTL_SYNC"),
];

/// The C name of `request`, or `None` if this shim does not know it.
pub fn known_name(request: u32) -> Option<&'static str> {
    NAMES.iter().find(|(r, _)| *r == request).map(|(_, n)| *n)
}

/// `_IOC` type byte of a request number.
pub fn ioc_type(request: u32) -> u8 {
    (request >> 8) as u8
}

/// `_IOC` number byte of a request number.
pub fn ioc_nr(request: u32) -> u8 {
    request as u8
}

pub mod off {
    //! LP64 offsets (Linux 6.12 uapi). TODO(traces-ioctl): use traces::ioctl::layout.
    pub const BUF_SIZE: usize = 88;
    pub const BUF_INDEX: usize = 0;
    pub const BUF_TYPE: usize = 4;
    pub const BUF_BYTESUSED: usize = 8;
    pub const BUF_FLAGS: usize = 12;
    pub const BUF_TS_SEC: usize = 24;
    pub const BUF_TS_USEC: usize = 32;
    pub const BUF_MEMORY: usize = 60;
    pub const BUF_M: usize = 64;
    pub const BUF_LENGTH: usize = 72;
    pub const BUF_REQUEST_FD: usize = 80;
    pub const PLANE_SIZE: usize = 64;
    pub const PLANE_M: usize = 8;
    pub const RB_SIZE: usize = 20;
    pub const RB_COUNT: usize = 0;
    pub const RB_TYPE: usize = 4;
    pub const RB_MEMORY: usize = 8;
    pub const FMT_SIZE: usize = 208;
    pub const FMT_TYPE: usize = 0;
    pub const FMT_WIDTH: usize = 8;
    pub const FMT_HEIGHT: usize = 12;
    pub const FMT_PIXELFORMAT: usize = 16;
    pub const EXP_SIZE: usize = 64;
    pub const EXP_TYPE: usize = 0;
    pub const EXP_INDEX: usize = 4;
    pub const EXP_PLANE: usize = 8;
    pub const EXP_FD: usize = 16;
    pub const EXT_SIZE: usize = 32;
    pub const EXT_WHICH: usize = 0;
    pub const EXT_COUNT: usize = 4;
    pub const EXT_REQUEST_FD: usize = 12;
    pub const CB_SIZE: usize = 256;
    pub const CB_INDEX: usize = 0;
    pub const CB_COUNT: usize = 4;
    pub const CB_MEMORY: usize = 8;
    pub const CB_FORMAT: usize = 16;
    pub const RM_SIZE: usize = 64;
    pub const RM_INDEX: usize = 0;
    pub const RM_COUNT: usize = 4;
    pub const RM_TYPE: usize = 8;
}

/// `V4L2_BUF_FLAG_REQUEST_FD`.
pub const BUF_FLAG_REQUEST_FD: u32 = 0x0080_0000;
/// `V4L2_BUF_FLAG_ERROR`.
pub const BUF_FLAG_ERROR: u32 = 0x0000_0040;
/// `V4L2_CTRL_WHICH_REQUEST_VAL`.
pub const CTRL_WHICH_REQUEST_VAL: u32 = 0x0f01_0000;
/// `POLLPRI`.
pub const POLLPRI: u16 = 0x2;

fn u32_at(b: &[u8], off: usize) -> u32 {
    b.get(off..off + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]])).unwrap_or(0)
}
fn i32_at(b: &[u8], off: usize) -> i32 {
    u32_at(b, off) as i32
}
fn i64_at(b: &[u8], off: usize) -> i64 {
    b.get(off..off + 8)
        .map(|s| i64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]))
        .unwrap_or(0)
}

fn need(b: &[u8], size: usize) -> Option<&[u8]> {
    (b.len() >= size).then_some(b)
}

/// Whichever side of the call was captured, preferring `after` (what the kernel returned).
fn after_or_before(io: &Ioctl) -> &[u8] {
    if io.after.is_empty() {
        &io.before
    } else {
        &io.after
    }
}

/// Whichever side was captured, preferring `before` (what the application passed).
fn before_or_after(io: &Ioctl) -> &[u8] {
    if io.before.is_empty() {
        &io.after
    } else {
        &io.before
    }
}

/// The fields of `struct v4l2_buffer` the model uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufArg {
    pub index: u32,
    pub buf_type: u32,
    pub bytesused: u32,
    pub flags: u32,
    pub memory: u32,
    /// `m.offset` (single-planar MMAP).
    pub mem_offset: u32,
    pub length: u32,
    pub request_fd: i32,
    /// `timestamp` in microseconds.
    pub timestamp_us: i64,
}

fn buf_from(b: &[u8]) -> Option<BufArg> {
    let b = need(b, off::BUF_SIZE)?;
    Some(BufArg {
        index: u32_at(b, off::BUF_INDEX),
        buf_type: u32_at(b, off::BUF_TYPE),
        bytesused: u32_at(b, off::BUF_BYTESUSED),
        flags: u32_at(b, off::BUF_FLAGS),
        memory: u32_at(b, off::BUF_MEMORY),
        mem_offset: u32_at(b, off::BUF_M),
        length: u32_at(b, off::BUF_LENGTH),
        request_fd: i32_at(b, off::BUF_REQUEST_FD),
        timestamp_us: i64_at(b, off::BUF_TS_SEC)
            .saturating_mul(1_000_000)
            .saturating_add(i64_at(b, off::BUF_TS_USEC)),
    })
}

/// `v4l2_buffer` as the application passed it (QBUF).
pub fn buffer_before(io: &Ioctl) -> Option<BufArg> {
    buf_from(before_or_after(io))
}

/// `v4l2_buffer` as the kernel returned it (DQBUF, QUERYBUF).
pub fn buffer_after(io: &Ioctl) -> Option<BufArg> {
    buf_from(after_or_before(io))
}

/// `m.mem_offset` of each plane of a multi-planar buffer (QUERYBUF), from the plane payload.
pub fn plane_offsets(io: &Ioctl) -> Vec<u32> {
    let Some(p) = io.payload(&PayloadKind::Planes) else { return Vec::new() };
    let bytes = if p.after.is_empty() { &p.before } else { &p.after };
    bytes.chunks_exact(off::PLANE_SIZE).map(|pl| u32_at(pl, off::PLANE_M)).collect()
}

/// `(count, type, memory)` of `struct v4l2_requestbuffers`: asked for, and as answered.
pub fn reqbufs(io: &Ioctl) -> Option<((u32, u32, u32), Option<u32>)> {
    let b = need(before_or_after(io), off::RB_SIZE)?;
    let asked = (u32_at(b, off::RB_COUNT), u32_at(b, off::RB_TYPE), u32_at(b, off::RB_MEMORY));
    let got = need(&io.after, off::RB_SIZE).map(|a| u32_at(a, off::RB_COUNT));
    Some((asked, got))
}

/// `(type, width, height, pixelformat)` of `struct v4l2_format` (pix and pix_mp share these).
pub fn format(io: &Ioctl) -> Option<(u32, u32, u32, u32)> {
    let b = need(after_or_before(io), off::FMT_SIZE)?;
    Some((
        u32_at(b, off::FMT_TYPE),
        u32_at(b, off::FMT_WIDTH),
        u32_at(b, off::FMT_HEIGHT),
        u32_at(b, off::FMT_PIXELFORMAT),
    ))
}

/// `(type, index, plane, fd)` of `struct v4l2_exportbuffer` as returned.
pub fn expbuf(io: &Ioctl) -> Option<(u32, u32, u32, i32)> {
    let b = need(after_or_before(io), off::EXP_SIZE)?;
    Some((
        u32_at(b, off::EXP_TYPE),
        u32_at(b, off::EXP_INDEX),
        u32_at(b, off::EXP_PLANE),
        i32_at(b, off::EXP_FD),
    ))
}

/// `(which, count, request_fd)` of `struct v4l2_ext_controls` as passed.
pub fn ext_ctrls(io: &Ioctl) -> Option<(u32, u32, i32)> {
    let b = need(before_or_after(io), off::EXT_SIZE)?;
    Some((u32_at(b, off::EXT_WHICH), u32_at(b, off::EXT_COUNT), i32_at(b, off::EXT_REQUEST_FD)))
}

/// `(index, count, memory, format.type)` of `struct v4l2_create_buffers` as returned.
pub fn create_bufs(io: &Ioctl) -> Option<(u32, u32, u32, u32)> {
    let b = need(after_or_before(io), off::CB_SIZE)?;
    Some((
        u32_at(b, off::CB_INDEX),
        u32_at(b, off::CB_COUNT),
        u32_at(b, off::CB_MEMORY),
        u32_at(b, off::CB_FORMAT),
    ))
}

/// `(index, count, type)` of `struct v4l2_remove_buffers`.
pub fn remove_bufs(io: &Ioctl) -> Option<(u32, u32, u32)> {
    let b = need(before_or_after(io), off::RM_SIZE)?;
    Some((u32_at(b, off::RM_INDEX), u32_at(b, off::RM_COUNT), u32_at(b, off::RM_TYPE)))
}

/// The `int` argument as passed (STREAMON/OFF buffer type).
pub fn int_before(io: &Ioctl) -> Option<i32> {
    need(before_or_after(io), 4).map(|b| i32_at(b, 0))
}

/// The `int` argument as returned (REQUEST_ALLOC's new fd).
pub fn int_after(io: &Ioctl) -> Option<i32> {
    need(&io.after, 4).map(|b| i32_at(b, 0))
}

fn cstr(b: &[u8], off: usize, len: usize) -> String {
    let s = b.get(off..(off + len).min(b.len())).unwrap_or(&[]);
    let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
    String::from_utf8_lossy(&s[..end]).into_owned()
}

/// `(driver, card)` of `struct v4l2_capability` as returned.
pub fn querycap(io: &Ioctl) -> Option<(String, String)> {
    let b = need(&io.after, 104)?;
    Some((cstr(b, 0, 16), cstr(b, 16, 32)))
}
