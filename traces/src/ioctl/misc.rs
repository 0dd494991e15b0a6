//! The other VIDIOC_* a decoder client may issue: selections (the visible rectangle of decoded
//! frames), stream parameters, inputs, priority, frame intervals, LOG_STATUS. Selections are
//! decoded; the rest are known by name.

use std::fmt;

use serde::Serialize;

use super::decode::{DecodeError, Fields};
use super::layout::v4l2_selection as S;
use super::names;
use super::raw::Raw;
use super::{ArgType, Family, IoctlInfo};

pub use uapi::VIDIOC_ENUM_FRAMEINTERVALS;
pub use uapi::VIDIOC_G_INPUT;
pub use uapi::VIDIOC_G_PARM;
pub use uapi::VIDIOC_G_PRIORITY;
pub use uapi::VIDIOC_G_SELECTION;
pub use uapi::VIDIOC_LOG_STATUS;
pub use uapi::VIDIOC_S_INPUT;
pub use uapi::VIDIOC_S_PARM;
pub use uapi::VIDIOC_S_PRIORITY;
pub use uapi::VIDIOC_S_SELECTION;

pub(super) const IOCTLS: &[IoctlInfo] = &[
    IoctlInfo::new(
        "VIDIOC_G_PARM",
        VIDIOC_G_PARM,
        ArgType::StreamParm,
        Family::V4l2,
    ),
    IoctlInfo::new(
        "VIDIOC_S_PARM",
        VIDIOC_S_PARM,
        ArgType::StreamParm,
        Family::V4l2,
    ),
    IoctlInfo::new("VIDIOC_G_INPUT", VIDIOC_G_INPUT, ArgType::Int, Family::V4l2),
    IoctlInfo::new("VIDIOC_S_INPUT", VIDIOC_S_INPUT, ArgType::Int, Family::V4l2),
    IoctlInfo::new(
        "VIDIOC_G_PRIORITY",
        VIDIOC_G_PRIORITY,
        ArgType::U32,
        Family::V4l2,
    ),
    IoctlInfo::new(
        "VIDIOC_S_PRIORITY",
        VIDIOC_S_PRIORITY,
        ArgType::U32,
        Family::V4l2,
    ),
    IoctlInfo::new(
        "VIDIOC_LOG_STATUS",
        VIDIOC_LOG_STATUS,
        ArgType::None,
        Family::V4l2,
    ),
    IoctlInfo::new(
        "VIDIOC_ENUM_FRAMEINTERVALS",
        VIDIOC_ENUM_FRAMEINTERVALS,
        ArgType::FrmIvalEnum,
        Family::V4l2,
    ),
    IoctlInfo::new(
        "VIDIOC_G_SELECTION",
        VIDIOC_G_SELECTION,
        ArgType::Selection,
        Family::V4l2,
    ),
    IoctlInfo::new(
        "VIDIOC_S_SELECTION",
        VIDIOC_S_SELECTION,
        ArgType::Selection,
        Family::V4l2,
    ),
];

/// `struct v4l2_rect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rect {
    pub left: i32,
    pub top: i32,
    pub width: u32,
    pub height: u32,
}

/// `struct v4l2_selection`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Selection {
    #[serde(rename = "type")]
    pub buf_type: u32,
    pub target: u32,
    pub flags: u32,
    pub r: Rect,
}

impl Selection {
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, S::SIZE, "v4l2_selection")?;
        Ok(Selection {
            buf_type: r.u32(S::TYPE),
            target: r.u32(S::TARGET),
            flags: r.u32(S::FLAGS),
            r: Rect {
                left: r.i32(S::R_LEFT),
                top: r.i32(S::R_TOP),
                width: r.u32(S::R_WIDTH),
                height: r.u32(S::R_HEIGHT),
            },
        })
    }
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.r;
        f.write_str(
            &Fields::new()
                .field("type", names::enum_name(names::BUF_TYPES, self.buf_type))
                .field("target", names::enum_name(names::SEL_TARGETS, self.target))
                .field_if(self.flags != 0, "flags", format!("{:#x}", self.flags))
                .field(
                    "r",
                    format!("{}x{}@{},{}", r.width, r.height, r.left, r.top),
                )
                .finish(),
        )
    }
}
