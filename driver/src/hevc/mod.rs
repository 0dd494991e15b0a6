//! HEVC: slice-header parsing ([`slice_header`]), the VA → V4L2 control translation
//! ([`controls`]), the device mode ([`mode`]: frame- or slice-based) and the [`Codec`] that sends
//! one request per picture or per slice.
//!
//! [`Codec`]: crate::codec::Codec

pub mod codec;
pub mod controls;
pub mod mode;
pub mod slice_header;

use crate::codec::CodecKind;
use crate::va;

pub const PROFILES: [va::VAProfile; 1] = [va::VAProfileHEVCMain];

pub const KIND: CodecKind = CodecKind {
    name: "HEVC",
    coded_format: crate::discovery::PIX_FMT_HEVC_SLICE,
    profiles: &PROFILES,
    set_up: mode::set_up,
    new: codec::new,
};
