//! The HEVC device mode, set once per session: frame-based (all slices of a picture in one
//! request, SLICE_PARAMS as an array, Annex-B start codes: what rkvdec and hantro G2 take) when
//! the DECODE_MODE menu offers it, else slice-based (one slice per request, the CAPTURE buffer
//! held between the slices of a picture, as GStreamer's `v4l2slh265dec` sends them, with the
//! start code the device defaults to). `V4L2_REQUEST_HEVC_MODE=slice|frame` picks a mode the
//! device offers. Also whether the device takes ENTRY_POINT_OFFSETS (rkvdec and hantro G2 do
//! not register it: sending it there would fail the whole request).

use std::fs::File;

use v4l2r::bindings as v4l2;
use v4l2r::ioctl as v4l2_ioctl;

use crate::codec::Mode;
use crate::ioctl::{self, Ctrl};

const SLICE: u32 =
    v4l2::v4l2_stateless_hevc_decode_mode_V4L2_STATELESS_HEVC_DECODE_MODE_SLICE_BASED;
const FRAME: u32 =
    v4l2::v4l2_stateless_hevc_decode_mode_V4L2_STATELESS_HEVC_DECODE_MODE_FRAME_BASED;
const NONE: u32 = v4l2::v4l2_stateless_hevc_start_code_V4L2_STATELESS_HEVC_START_CODE_NONE;
const ANNEX_B: u32 = v4l2::v4l2_stateless_hevc_start_code_V4L2_STATELESS_HEVC_START_CODE_ANNEX_B;

/// The menu of control `id` lists `value` (VIDIOC_QUERYMENU answers for it: a menu may skip
/// values between its minimum and maximum).
fn offers(video: &File, id: u32, value: u32) -> bool {
    v4l2_ioctl::querymenu::<v4l2::v4l2_querymenu>(video, id, value).is_ok()
}

/// The mode chosen from what the device offers and what `want` (the environment) asks for.
/// Frame-based needs start codes (the slices of a frame cannot be told apart without them).
pub fn choose(
    can_slice: bool,
    can_frame: bool,
    can_annex_b: bool,
    default_annex_b: bool,
    want: Option<&str>,
) -> Mode {
    let frame_based = match want {
        Some("slice") if can_slice => false,
        Some("frame") if can_frame && can_annex_b => true,
        _ => can_frame && can_annex_b || !can_slice,
    };
    Mode {
        frame_based,
        // Slice mode keeps the device's default (GStreamer reads it and never sets it).
        annex_b: if frame_based {
            can_annex_b
        } else {
            default_annex_b
        },
        entry_point_offsets: false,
    }
}

pub fn set_up(video: &File) -> ioctl::Result<Mode> {
    let mode_id = v4l2::V4L2_CID_STATELESS_HEVC_DECODE_MODE;
    let sc_id = v4l2::V4L2_CID_STATELESS_HEVC_START_CODE;
    let (can_slice, can_frame) = (offers(video, mode_id, SLICE), offers(video, mode_id, FRAME));
    let can_annex_b = offers(video, sc_id, ANNEX_B);
    let default_annex_b =
        ioctl::queryctrl(video, sc_id).is_some_and(|(_, _, def)| def == ANNEX_B as i32);
    let want = std::env::var("V4L2_REQUEST_HEVC_MODE").ok();
    if let Some(w) = want.as_deref().filter(|w| !["slice", "frame"].contains(w)) {
        log::warn!("V4L2_REQUEST_HEVC_MODE={w}: expected `slice` or `frame`; ignored");
    }
    if can_frame && !can_slice && !can_annex_b {
        log::error!(
            "HEVC: the device is frame-based without Annex-B start codes, which this driver \
             does not implement"
        );
    }
    let mut mode = choose(
        can_slice,
        can_frame,
        can_annex_b,
        default_annex_b,
        want.as_deref(),
    );
    mode.entry_point_offsets =
        ioctl::queryctrl(video, v4l2::V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS).is_some();
    let sc = if mode.annex_b { ANNEX_B } else { NONE };
    ioctl::s_ext_ctrls(
        video,
        None,
        &mut [
            Ctrl::Value(
                mode_id,
                (if mode.frame_based { FRAME } else { SLICE }) as i32,
            ),
            Ctrl::Value(sc_id, sc as i32),
        ],
    )
    .inspect_err(|err| log::error!("S_EXT_CTRLS(HEVC DECODE_MODE, START_CODE): {err}"))?;
    log::info!(
        "HEVC: {}-based, {} start codes, ENTRY_POINT_OFFSETS {}",
        if mode.frame_based { "frame" } else { "slice" },
        if mode.annex_b { "Annex-B" } else { "no" },
        if mode.entry_point_offsets {
            "sent"
        } else {
            "not offered"
        }
    );
    Ok(mode)
}

#[cfg(test)]
mod tests {
    use super::choose;

    #[test]
    fn frame_based_when_offered_with_start_codes() {
        // visl: both modes, both start codes, slice-based without start codes by default.
        let m = choose(true, true, true, false, None);
        assert!(m.frame_based && m.annex_b);
        // rkvdec / hantro G2: frame-based with Annex-B only.
        let m = choose(false, true, true, true, None);
        assert!(m.frame_based && m.annex_b);
        // cedrus: slice-based only, no start codes.
        let m = choose(true, false, false, false, None);
        assert!(!m.frame_based && !m.annex_b);
    }

    #[test]
    fn the_environment_picks_only_an_offered_mode() {
        let m = choose(true, true, true, false, Some("slice"));
        assert!(!m.frame_based && !m.annex_b, "slice mode keeps the default");
        assert!(!choose(true, false, false, false, Some("frame")).frame_based);
        assert!(choose(false, true, true, true, Some("slice")).frame_based);
        // Frame-based without start codes is not served: slice-based instead.
        assert!(!choose(true, true, false, false, Some("frame")).frame_based);
    }
}
