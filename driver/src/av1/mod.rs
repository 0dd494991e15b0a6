//! AV1 (profile 0, 8-bit 4:2:0): VA's picture parameters → the stateless controls
//! ([`controls`]) and the [`Codec`] sending one request per frame with its tile groups
//! ([`codec`]). VA-API hands tile data only (no sequence or frame header), so what it lacks is
//! derived as the specification does or documented in the README's AV1 section.
//!
//! [`Codec`]: crate::codec::Codec

pub mod codec;
pub mod controls;

use crate::codec::{self as c, CodecKind};
use crate::va;

pub const PROFILES: [va::VAProfile; 1] = [va::VAProfileAV1Profile0];

pub const KIND: CodecKind = CodecKind {
    name: "AV1",
    coded_format: crate::discovery::PIX_FMT_AV1_FRAME,
    profiles: &PROFILES,
    set_up: c::frame_mode,
    new: codec::new,
};
