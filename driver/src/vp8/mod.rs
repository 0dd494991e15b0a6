//! VP8: the frame tag ([`tag`]: found where the client left it, else rebuilt), the VA → V4L2
//! FRAME control translation ([`controls`]) and the [`Codec`] that sends one request per frame,
//! the whole frame with its tag in the OUTPUT buffer.
//!
//! [`Codec`]: crate::codec::Codec

pub mod codec;
pub mod controls;
pub mod tag;

use crate::codec::{self as c, CodecKind};
use crate::va;

pub const PROFILES: [va::VAProfile; 1] = [va::VAProfileVP8Version0_3];

pub const KIND: CodecKind = CodecKind {
    name: "VP8",
    coded_format: crate::discovery::PIX_FMT_VP8_FRAME,
    profiles: &PROFILES,
    set_up: c::frame_mode,
    new: codec::new,
};
