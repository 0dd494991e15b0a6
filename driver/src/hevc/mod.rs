//! HEVC: slice-header parsing ([`slice_header`]), the VA → V4L2 control translation
//! ([`controls`]), the device mode ([`mode`]) and the [`Codec`] that sends one request per slice.
//!
//! [`Codec`]: crate::codec::Codec

pub mod codec;
pub mod controls;
pub mod mode;
pub mod slice_header;

use v4l2r::bindings as v4l2;

use crate::codec::CodecKind;
use crate::ioctl::{Plain, Zeroable};
use crate::va;

pub const PROFILES: [va::VAProfile; 1] = [va::VAProfileHEVCMain];

pub const KIND: CodecKind = CodecKind {
    name: "HEVC",
    coded_format: crate::discovery::PIX_FMT_HEVC_SLICE,
    profiles: &PROFILES,
    set_up: mode::set_up,
    new: codec::new,
};

macro_rules! plain {
    ($($t:ty),* $(,)?) => {$(
        // SAFETY: a bindgen `#[repr(C)]` struct of integers, arrays, unions of those and raw
        // pointers: all-zero and every other bit pattern are valid values of each field.
        unsafe impl Zeroable for $t {}
        // SAFETY: as above.
        unsafe impl Plain for $t {}
    )*};
}

plain!(
    v4l2::v4l2_ctrl_hevc_sps,
    v4l2::v4l2_ctrl_hevc_pps,
    v4l2::v4l2_ctrl_hevc_slice_params,
    v4l2::v4l2_ctrl_hevc_scaling_matrix,
    v4l2::v4l2_ctrl_hevc_decode_params,
    va::VAPictureParameterBufferHEVC,
    va::VASliceParameterBufferHEVC,
    va::VAIQMatrixBufferHEVC,
);
