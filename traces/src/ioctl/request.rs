//! MEDIA_REQUEST_IOC_QUEUE / MEDIA_REQUEST_IOC_REINIT: submit a media request, or make a
//! completed one reusable. Both are issued on the request fd and take no argument.
//! (MEDIA_IOC_REQUEST_ALLOC, which creates request fds, is on the media node: see [`super::media`].)

use super::{ArgType, Family, IoctlInfo};

pub use uapi::MEDIA_REQUEST_IOC_QUEUE;
pub use uapi::MEDIA_REQUEST_IOC_REINIT;

pub(super) const IOCTLS: &[IoctlInfo] = &[
    IoctlInfo::new(
        "MEDIA_REQUEST_IOC_QUEUE",
        MEDIA_REQUEST_IOC_QUEUE,
        ArgType::None,
        Family::Request,
    ),
    IoctlInfo::new(
        "MEDIA_REQUEST_IOC_REINIT",
        MEDIA_REQUEST_IOC_REINIT,
        ArgType::None,
        Family::Request,
    ),
];
