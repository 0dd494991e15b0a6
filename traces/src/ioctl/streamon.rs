//! VIDIOC_STREAMON / VIDIOC_STREAMOFF: start or stop a queue (argument: a buffer type).

use super::{iow, ArgType, Family, IoctlInfo};

pub const VIDIOC_STREAMON: u32 = iow(b'V', 18, 4);
pub const VIDIOC_STREAMOFF: u32 = iow(b'V', 19, 4);

pub(super) const IOCTLS: &[IoctlInfo] = &[
    IoctlInfo::new(
        "VIDIOC_STREAMON",
        VIDIOC_STREAMON,
        ArgType::BufType,
        Family::V4l2,
    ),
    IoctlInfo::new(
        "VIDIOC_STREAMOFF",
        VIDIOC_STREAMOFF,
        ArgType::BufType,
        Family::V4l2,
    ),
];
