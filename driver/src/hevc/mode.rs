//! The HEVC device mode: slice-based (one slice per request, the CAPTURE buffer held between
//! the slices of a picture, as GStreamer's `v4l2slh265dec` sends them), with the start code the
//! device defaults to (GStreamer reads it and never sets it); set once per session.

use std::fs::File;

use v4l2r::bindings as v4l2;

use crate::codec::Mode;
use crate::ioctl::{self, Ctrl};

const SLICE: i32 =
    v4l2::v4l2_stateless_hevc_decode_mode_V4L2_STATELESS_HEVC_DECODE_MODE_SLICE_BASED as i32;
const ANNEX_B: i32 =
    v4l2::v4l2_stateless_hevc_start_code_V4L2_STATELESS_HEVC_START_CODE_ANNEX_B as i32;

pub fn set_up(video: &File) -> ioctl::Result<Mode> {
    let mode_id = v4l2::V4L2_CID_STATELESS_HEVC_DECODE_MODE;
    let sc_id = v4l2::V4L2_CID_STATELESS_HEVC_START_CODE;
    if !ioctl::queryctrl(video, mode_id).is_some_and(|(min, max, _)| min <= SLICE && SLICE <= max) {
        // Frame-based devices (rkvdec, hantro G2) need the whole SLICE_PARAMS array per frame.
        log::error!(
            "HEVC: the device does not offer slice-based decoding, the only mode this driver \
             implements for HEVC"
        );
    }
    let annex_b = ioctl::queryctrl(video, sc_id).is_some_and(|(_, _, def)| def == ANNEX_B);
    ioctl::s_ext_ctrls(
        video,
        None,
        &mut [
            Ctrl::Value(mode_id, SLICE),
            Ctrl::Value(sc_id, if annex_b { ANNEX_B } else { 0 }),
        ],
    )
    .inspect_err(|err| log::error!("S_EXT_CTRLS(HEVC DECODE_MODE, START_CODE): {err}"))?;
    Ok(Mode {
        frame_based: false,
        annex_b,
    })
}
