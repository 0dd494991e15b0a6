//! The H.264 device mode: frame-based with Annex-B start codes when the device offers it, else
//! slice-based (`V4L2_REQUEST_H264_MODE=slice|frame` and `V4L2_REQUEST_H264_START_CODE=none`
//! override the choice), set once per session with DECODE_MODE and START_CODE.

use std::fs::File;

use v4l2r::bindings as v4l2;

use crate::codec::Mode;
use crate::ioctl::{self, Ctrl};

const FRAME: i32 =
    v4l2::v4l2_stateless_h264_decode_mode_V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED as i32;
const SLICE: i32 =
    v4l2::v4l2_stateless_h264_decode_mode_V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED as i32;
const ANNEX_B: i32 =
    v4l2::v4l2_stateless_h264_start_code_V4L2_STATELESS_H264_START_CODE_ANNEX_B as i32;

fn offers(video: &File, id: u32, value: i32) -> bool {
    ioctl::queryctrl(video, id).is_some_and(|(min, max, _)| min <= value && value <= max)
}

pub fn set_up(video: &File) -> ioctl::Result<Mode> {
    let want = std::env::var("V4L2_REQUEST_H264_MODE").ok();
    let mode_id = v4l2::V4L2_CID_STATELESS_H264_DECODE_MODE;
    let (can_frame, can_slice) = (offers(video, mode_id, FRAME), offers(video, mode_id, SLICE));
    let mut frame_based = match want.as_deref() {
        Some("slice") if can_slice => false,
        Some("frame") if can_frame => true,
        _ => can_frame,
    };
    let sc_id = v4l2::V4L2_CID_STATELESS_H264_START_CODE;
    let mut annex_b = offers(video, sc_id, ANNEX_B);
    if std::env::var("V4L2_REQUEST_H264_START_CODE").as_deref() == Ok("none")
        && ioctl::queryctrl(video, sc_id).is_some_and(|(min, _, _)| min == 0)
    {
        annex_b = false;
    }
    // Without start codes the slices of a frame cannot be told apart.
    if frame_based && !annex_b && want.as_deref() != Some("frame") && can_slice {
        frame_based = false;
    }
    ioctl::s_ext_ctrls(
        video,
        None,
        &mut [
            Ctrl::Value(mode_id, if frame_based { FRAME } else { SLICE }),
            Ctrl::Value(sc_id, if annex_b { ANNEX_B } else { 0 }),
        ],
    )
    .inspect_err(|err| log::error!("S_EXT_CTRLS(DECODE_MODE, START_CODE): {err}"))?;
    Ok(Mode {
        frame_based,
        annex_b,
        ..Default::default()
    })
}
