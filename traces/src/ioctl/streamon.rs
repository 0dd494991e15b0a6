//! VIDIOC_STREAMON / VIDIOC_STREAMOFF: start or stop a queue (argument: a buffer type).

use super::{ArgType, Family, IoctlInfo};

pub use uapi::VIDIOC_STREAMOFF;
pub use uapi::VIDIOC_STREAMON;

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
