//! Buffers: VIDIOC_QUERYBUF, VIDIOC_QBUF, VIDIOC_DQBUF and VIDIOC_PREPARE_BUF, all on
//! `struct v4l2_buffer` (+ the `v4l2_plane` array of multi-planar queues), including the
//! request-API fields (`V4L2_BUF_FLAG_REQUEST_FD`, `request_fd`).

use std::fmt;

use serde::Serialize;

use super::decode::{list, DecodeError, Fields};
use super::layout::{v4l2_buffer as L, v4l2_plane as PL};
use super::names;
use super::raw::{elements, Raw};
use super::{ArgType, Family, IoctlInfo};

pub use uapi::VIDIOC_DQBUF;
pub use uapi::VIDIOC_PREPARE_BUF;
pub use uapi::VIDIOC_QBUF;
pub use uapi::VIDIOC_QUERYBUF;

pub(super) const IOCTLS: &[IoctlInfo] = &[
    IoctlInfo::new(
        "VIDIOC_QUERYBUF",
        VIDIOC_QUERYBUF,
        ArgType::Buffer,
        Family::V4l2,
    ),
    IoctlInfo::new("VIDIOC_QBUF", VIDIOC_QBUF, ArgType::Buffer, Family::V4l2),
    IoctlInfo::new("VIDIOC_DQBUF", VIDIOC_DQBUF, ArgType::Buffer, Family::V4l2),
    IoctlInfo::new(
        "VIDIOC_PREPARE_BUF",
        VIDIOC_PREPARE_BUF,
        ArgType::Buffer,
        Family::V4l2,
    ),
];

/// The `m` union of `v4l2_buffer` / `v4l2_plane`, read according to `memory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Memory {
    /// MMAP: the offset to pass to mmap(2).
    Offset(u32),
    /// USERPTR: the user pointer.
    UserPtr(u64),
    /// DMABUF: the dma-buf fd.
    Fd(i32),
    /// Multi-planar `v4l2_buffer`: the address of the plane array.
    Planes(u64),
    /// Unknown memory type: the raw 8 bytes.
    Raw(u64),
}

impl Memory {
    fn read(r: &Raw<'_>, off: usize, memory: u32) -> Memory {
        match memory {
            names::MEMORY_MMAP => Memory::Offset(r.u32(off)),
            names::MEMORY_USERPTR => Memory::UserPtr(r.u64(off)),
            names::MEMORY_DMABUF => Memory::Fd(r.i32(off)),
            _ => Memory::Raw(r.u64(off)),
        }
    }
    fn write(&self, w: &mut Fields) {
        match *self {
            Memory::Offset(o) => w.field("m.offset", format!("{o:#x}")),
            Memory::UserPtr(p) => w.field("m.userptr", format!("{p:#x}")),
            Memory::Fd(fd) => w.field("m.fd", fd),
            Memory::Planes(p) => w.field("m.planes", format!("{p:#x}")),
            Memory::Raw(v) => w.field("m", format!("{v:#x}")),
        };
    }
}

/// `struct v4l2_plane`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Plane {
    pub bytesused: u32,
    pub length: u32,
    pub m: Memory,
    pub data_offset: u32,
}

impl Plane {
    /// Decodes one `v4l2_plane` (`PL::SIZE` bytes) of a buffer with the given memory type.
    pub fn decode(bytes: &[u8], memory: u32) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, PL::SIZE, "v4l2_plane")?;
        Ok(Plane {
            bytesused: r.u32(PL::BYTESUSED),
            length: r.u32(PL::LENGTH),
            m: Memory::read(&r, PL::M, memory),
            data_offset: r.u32(PL::DATA_OFFSET),
        })
    }
}

impl fmt::Display for Plane {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = Fields::new();
        w.field("bytesused", self.bytesused);
        w.field_if(self.length != 0, "length", self.length);
        if !matches!(
            self.m,
            Memory::Offset(0) | Memory::UserPtr(0) | Memory::Raw(0)
        ) {
            self.m.write(&mut w);
        }
        w.field_if(self.data_offset != 0, "data_offset", self.data_offset);
        f.write_str(&w.finish())
    }
}

/// `struct timeval` as V4L2 uses it (also the frame's identity for reference lookups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Timeval {
    pub sec: i64,
    pub usec: i64,
}

impl Timeval {
    /// Nanoseconds, as the kernel's `v4l2_timeval_to_ns` (what reference_ts fields hold).
    pub fn ns(&self) -> u64 {
        (self.sec as i128 * 1_000_000_000 + self.usec as i128 * 1000).clamp(0, u64::MAX as i128)
            as u64
    }
}

/// `struct v4l2_buffer`, with its planes when the plane array was captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Buffer {
    pub index: u32,
    #[serde(rename = "type")]
    pub buf_type: u32,
    pub bytesused: u32,
    pub flags: u32,
    pub field: u32,
    pub timestamp: Timeval,
    pub sequence: u32,
    pub memory: u32,
    pub m: Memory,
    /// Buffer size (single-planar) or number of planes in the array (multi-planar).
    pub length: u32,
    /// The request fd; meaningful only with `V4L2_BUF_FLAG_REQUEST_FD`.
    pub request_fd: i32,
    /// Multi-planar queues: the plane array, if captured (`length` entries, at most 8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub planes: Option<Vec<Plane>>,
}

impl Buffer {
    /// Decodes a `v4l2_buffer` and, for multi-planar types, the captured plane array bytes.
    pub fn decode(bytes: &[u8], planes: Option<&[u8]>) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, L::SIZE, "v4l2_buffer")?;
        let buf_type = r.u32(L::TYPE);
        let memory = r.u32(L::MEMORY);
        let length = r.u32(L::LENGTH);
        let mplane = names::is_mplane(buf_type);
        let m = if mplane {
            Memory::Planes(r.u64(L::M))
        } else {
            Memory::read(&r, L::M, memory)
        };
        let planes = match planes {
            Some(p) if mplane => Some(
                elements(
                    p,
                    PL::SIZE,
                    (length as usize).min(super::fmt::VIDEO_MAX_PLANES),
                )
                .filter_map(|b| Plane::decode(b, memory).ok())
                .collect(),
            ),
            _ => None,
        };
        Ok(Buffer {
            index: r.u32(L::INDEX),
            buf_type,
            bytesused: r.u32(L::BYTESUSED),
            flags: r.u32(L::FLAGS),
            field: r.u32(L::FIELD),
            timestamp: Timeval {
                sec: r.i64(L::TIMESTAMP),
                usec: r.i64(L::TIMESTAMP_TV_USEC),
            },
            sequence: r.u32(L::SEQUENCE),
            memory,
            m,
            length,
            request_fd: r.i32(L::REQUEST_FD),
            planes,
        })
    }

    /// Whether the buffer names a request (`V4L2_BUF_FLAG_REQUEST_FD`).
    pub fn has_request(&self) -> bool {
        self.flags & names::BUF_FLAG_REQUEST_FD != 0
    }

    /// The request fd, when the buffer names one.
    pub fn request(&self) -> Option<i32> {
        self.has_request().then_some(self.request_fd)
    }

    /// Whether this is a multi-planar buffer.
    pub fn is_mplane(&self) -> bool {
        names::is_mplane(self.buf_type)
    }
}

impl fmt::Display for Buffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = Fields::new();
        w.field("type", names::enum_name(names::BUF_TYPES, self.buf_type))
            .field("index", self.index)
            .field("memory", names::enum_name(names::MEMORY, self.memory))
            .field("flags", names::buf_flags(self.flags));
        if let Some(fd) = self.request() {
            w.field("request_fd", fd);
        }
        w.field_if(
            self.field > 1,
            "field",
            names::enum_name(names::FIELDS, self.field),
        );
        w.field("timestamp", self.timestamp.ns());
        w.field_if(self.sequence != 0, "sequence", self.sequence);
        if self.is_mplane() {
            match &self.planes {
                Some(planes) => {
                    w.field("planes", list(planes));
                }
                None => {
                    w.field("length", self.length);
                }
            }
        } else {
            w.field("bytesused", self.bytesused)
                .field("length", self.length);
            self.m.write(&mut w);
        }
        f.write_str(&w.finish())
    }
}
