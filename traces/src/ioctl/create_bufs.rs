//! VIDIOC_CREATE_BUFS and VIDIOC_REMOVE_BUFS: add buffers to a live queue for a given format,
//! and remove them again (kernel ≥ 6.10), the alternative to REQBUFS(0).

use std::fmt;

use serde::Serialize;

use super::decode::{DecodeError, Fields};
use super::fmt::Format;
use super::layout::{v4l2_create_buffers as C, v4l2_remove_buffers as R};
use super::names;
use super::raw::Raw;
use super::{ArgType, Family, IoctlInfo};

pub use uapi::VIDIOC_CREATE_BUFS;
pub use uapi::VIDIOC_REMOVE_BUFS;

pub(super) const IOCTLS: &[IoctlInfo] = &[
    IoctlInfo::new(
        "VIDIOC_CREATE_BUFS",
        VIDIOC_CREATE_BUFS,
        ArgType::CreateBuffers,
        Family::V4l2,
    ),
    IoctlInfo::new(
        "VIDIOC_REMOVE_BUFS",
        VIDIOC_REMOVE_BUFS,
        ArgType::RemoveBuffers,
        Family::V4l2,
    ),
];

/// `struct v4l2_create_buffers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreateBuffers {
    /// First index of the created buffers (output).
    pub index: u32,
    pub count: u32,
    pub memory: u32,
    pub format: Format,
    pub capabilities: u32,
    pub flags: u32,
    pub max_num_buffers: u32,
}

impl CreateBuffers {
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, C::SIZE, "v4l2_create_buffers")?;
        Ok(CreateBuffers {
            index: r.u32(C::INDEX),
            count: r.u32(C::COUNT),
            memory: r.u32(C::MEMORY),
            format: Format::decode_raw(&r, C::FORMAT),
            capabilities: r.u32(C::CAPABILITIES),
            flags: r.u32(C::FLAGS),
            max_num_buffers: r.u32(C::MAX_NUM_BUFFERS),
        })
    }
}

impl fmt::Display for CreateBuffers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            &Fields::new()
                .field("index", self.index)
                .field("count", self.count)
                .field("memory", names::enum_name(names::MEMORY, self.memory))
                .field("format", &self.format)
                .field_if(
                    self.capabilities != 0,
                    "capabilities",
                    names::flags(names::BUF_CAPS, self.capabilities),
                )
                .field_if(
                    self.flags != 0,
                    "flags",
                    names::flags(names::MEMORY_FLAGS, self.flags),
                )
                .field_if(
                    self.max_num_buffers != 0,
                    "max_num_buffers",
                    self.max_num_buffers,
                )
                .finish(),
        )
    }
}

/// `struct v4l2_remove_buffers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoveBuffers {
    pub index: u32,
    pub count: u32,
    #[serde(rename = "type")]
    pub buf_type: u32,
}

impl RemoveBuffers {
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, R::SIZE, "v4l2_remove_buffers")?;
        Ok(RemoveBuffers {
            index: r.u32(R::INDEX),
            count: r.u32(R::COUNT),
            buf_type: r.u32(R::TYPE),
        })
    }
}

impl fmt::Display for RemoveBuffers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            &Fields::new()
                .field("index", self.index)
                .field("count", self.count)
                .field("type", names::enum_name(names::BUF_TYPES, self.buf_type))
                .finish(),
        )
    }
}
