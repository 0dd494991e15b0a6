//! VP9 (profile 0): the uncompressed-header parser ([`header`], over a plain bit reader
//! [`bits`]), the compressed-header bool decoder ([`bool_decoder`], [`compressed`]), the
//! headers → FRAME translation ([`controls`]) and the [`Codec`] sending one request per frame.
//! VA-API carries no probabilities, so both headers are parsed from the frame itself.
//!
//! [`Codec`]: crate::codec::Codec

pub mod bits;
pub mod bool_decoder;
pub mod codec;
pub mod compressed;
pub mod controls;
pub mod header;

use crate::codec::{self as c, CodecKind};
use crate::va;

pub const PROFILES: [va::VAProfile; 1] = [va::VAProfileVP9Profile0];

pub const KIND: CodecKind = CodecKind {
    name: "VP9",
    coded_format: crate::discovery::PIX_FMT_VP9_FRAME,
    profiles: &PROFILES,
    set_up: c::frame_mode,
    new: codec::new,
};

#[cfg(test)]
mod clip_tests;
