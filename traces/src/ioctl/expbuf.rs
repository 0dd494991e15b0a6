//! VIDIOC_EXPBUF: export one plane of a buffer as a dma-buf fd.

use std::fmt;

use serde::Serialize;

use super::decode::{DecodeError, Fields};
use super::layout::v4l2_exportbuffer as L;
use super::names;
use super::raw::Raw;
use super::{ArgType, Family, IoctlInfo};

pub use uapi::VIDIOC_EXPBUF;

pub(super) const IOCTLS: &[IoctlInfo] = &[IoctlInfo::new(
    "VIDIOC_EXPBUF",
    VIDIOC_EXPBUF,
    ArgType::ExportBuffer,
    Family::V4l2,
)];

/// `struct v4l2_exportbuffer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportBuffer {
    #[serde(rename = "type")]
    pub buf_type: u32,
    pub index: u32,
    pub plane: u32,
    /// open(2) flags for the new fd (O_CLOEXEC, O_RDWR…).
    pub flags: u32,
    /// The exported dma-buf fd (output).
    pub fd: i32,
}

impl ExportBuffer {
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, L::SIZE, "v4l2_exportbuffer")?;
        Ok(ExportBuffer {
            buf_type: r.u32(L::TYPE),
            index: r.u32(L::INDEX),
            plane: r.u32(L::PLANE),
            flags: r.u32(L::FLAGS),
            fd: r.i32(L::FD),
        })
    }
}

/// open(2) flags as EXPBUF uses them.
pub fn open_flags(flags: u32) -> String {
    let mut parts = vec![match flags & 3 {
        0 => "O_RDONLY",
        1 => "O_WRONLY",
        2 => "O_RDWR",
        _ => "O_ACCMODE",
    }
    .to_string()];
    if flags & 0o2000000 != 0 {
        parts.push("O_CLOEXEC".into());
    }
    let rest = flags & !(3 | 0o2000000);
    if rest != 0 {
        parts.push(format!("{rest:#o}"));
    }
    parts.join("|")
}

impl fmt::Display for ExportBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            &Fields::new()
                .field("type", names::enum_name(names::BUF_TYPES, self.buf_type))
                .field("index", self.index)
                .field("plane", self.plane)
                .field("flags", open_flags(self.flags))
                .field("fd", self.fd)
                .finish(),
        )
    }
}
