//! H.264: slice-header parsing, the VA → V4L2 control translation, and the [`Codec`]
//! implementation that sends them.
//!
//! [`Codec`]: crate::codec::Codec

pub mod bits;
pub mod codec;
pub mod controls;
pub mod corrupt;
pub mod mode;
pub mod slice_header;

use crate::codec::CodecKind;
use crate::va;

pub const PROFILES: [va::VAProfile; 3] = [
    va::VAProfileH264ConstrainedBaseline,
    va::VAProfileH264Main,
    va::VAProfileH264High,
];

pub const KIND: CodecKind = CodecKind {
    name: "H.264",
    coded_format: crate::discovery::PIX_FMT_H264_SLICE,
    profiles: &PROFILES,
    set_up: mode::set_up,
    new: codec::new,
};
