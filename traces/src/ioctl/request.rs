//! MEDIA_REQUEST_IOC_QUEUE / MEDIA_REQUEST_IOC_REINIT: submit a media request, or make a
//! completed one reusable. Both are issued on the request fd and take no argument.
//! (MEDIA_IOC_REQUEST_ALLOC, which creates request fds, is on the media node: see [`super::media`].)

use super::{io, ArgType, Family, IoctlInfo};

pub const MEDIA_REQUEST_IOC_QUEUE: u32 = io(b'|', 0x80);
pub const MEDIA_REQUEST_IOC_REINIT: u32 = io(b'|', 0x81);

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
