//! VIDIOC_REQBUFS: allocate or free (count = 0) a queue's buffers.

use std::fmt;

use serde::Serialize;

use super::decode::{DecodeError, Fields};
use super::layout::v4l2_requestbuffers as L;
use super::names;
use super::raw::Raw;
use super::{ArgType, Family, IoctlInfo};

pub use uapi::VIDIOC_REQBUFS;

/// Most buffers per queue any index may name (VB2's limit for CREATE_BUFS queues); indices at or
/// above it are garbage, not a queue to grow. The pool model and replay's validation share it.
pub const MAX_BUFFERS: u32 = 1024;

pub(super) const IOCTLS: &[IoctlInfo] = &[IoctlInfo::new(
    "VIDIOC_REQBUFS",
    VIDIOC_REQBUFS,
    ArgType::RequestBuffers,
    Family::V4l2,
)];

/// `struct v4l2_requestbuffers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestBuffers {
    pub count: u32,
    #[serde(rename = "type")]
    pub buf_type: u32,
    pub memory: u32,
    pub capabilities: u32,
    pub flags: u8,
}

impl RequestBuffers {
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, L::SIZE, "v4l2_requestbuffers")?;
        Ok(RequestBuffers {
            count: r.u32(L::COUNT),
            buf_type: r.u32(L::TYPE),
            memory: r.u32(L::MEMORY),
            capabilities: r.u32(L::CAPABILITIES),
            flags: r.u8(L::FLAGS),
        })
    }
}

impl fmt::Display for RequestBuffers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            &Fields::new()
                .field("count", self.count)
                .field("type", names::enum_name(names::BUF_TYPES, self.buf_type))
                .field("memory", names::enum_name(names::MEMORY, self.memory))
                .field_if(
                    self.capabilities != 0,
                    "capabilities",
                    names::flags(names::BUF_CAPS, self.capabilities),
                )
                .field_if(
                    self.flags != 0,
                    "flags",
                    names::flags(names::MEMORY_FLAGS, self.flags.into()),
                )
                .finish(),
        )
    }
}
