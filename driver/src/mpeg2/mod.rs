//! MPEG-2: the VA → V4L2 control translation ([`controls`]) and the [`Codec`] that sends one
//! request per picture, slices with their start codes, the first field of a field pair holding
//! the CAPTURE buffer for the second.
//!
//! [`Codec`]: crate::codec::Codec

pub mod codec;
pub mod controls;

use crate::codec::{self as c, CodecKind};
use crate::va;

pub const PROFILES: [va::VAProfile; 2] = [va::VAProfileMPEG2Simple, va::VAProfileMPEG2Main];

pub const KIND: CodecKind = CodecKind {
    name: "MPEG-2",
    coded_format: crate::discovery::PIX_FMT_MPEG2_SLICE,
    profiles: &PROFILES,
    set_up: c::frame_mode,
    new: codec::new,
};
