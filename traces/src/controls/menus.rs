//! Scalar controls: the item names of the menus a stateless decoder stack reads or sets
//! (decode mode, start code, and the per-codec profile/level menus a client queries to learn
//! what the decoder supports), and decoding of integer/menu payloads.

use super::ids::*;
use super::{scalar, ControlValue};

const H264_PROFILES: &[&str] = &[
    "BASELINE",
    "CONSTRAINED_BASELINE",
    "MAIN",
    "EXTENDED",
    "HIGH",
    "HIGH_10",
    "HIGH_422",
    "HIGH_444_PREDICTIVE",
    "HIGH_10_INTRA",
    "HIGH_422_INTRA",
    "HIGH_444_INTRA",
    "CAVLC_444_INTRA",
    "SCALABLE_BASELINE",
    "SCALABLE_HIGH",
    "SCALABLE_HIGH_INTRA",
    "STEREO_HIGH",
    "MULTIVIEW_HIGH",
    "CONSTRAINED_HIGH",
];
const H264_LEVELS: &[&str] = &[
    "1_0", "1B", "1_1", "1_2", "1_3", "2_0", "2_1", "2_2", "3_0", "3_1", "3_2", "4_0", "4_1",
    "4_2", "5_0", "5_1", "5_2", "6_0", "6_1", "6_2",
];
const HEVC_PROFILES: &[&str] = &["MAIN", "MAIN_STILL_PICTURE", "MAIN_10"];
const HEVC_LEVELS: &[&str] = &[
    "1", "2", "2_1", "3", "3_1", "4", "4_1", "5", "5_1", "5_2", "6", "6_1", "6_2",
];
const VPX_PROFILES: &[&str] = &["0", "1", "2", "3"];
const VP9_LEVELS: &[&str] = &[
    "1_0", "1_1", "2_0", "2_1", "3_0", "3_1", "4_0", "4_1", "5_0", "5_1", "5_2", "6_0", "6_1",
    "6_2",
];
const MPEG2_PROFILES: &[&str] = &[
    "SIMPLE",
    "MAIN",
    "SNR_SCALABLE",
    "SPATIALLY_SCALABLE",
    "HIGH",
    "MULTIVIEW",
];
const MPEG2_LEVELS: &[&str] = &["LOW", "MAIN", "HIGH_1440", "HIGH"];
const AV1_PROFILES: &[&str] = &["MAIN", "HIGH", "PROFESSIONAL"];
const AV1_LEVELS: &[&str] = &[
    "2_0", "2_1", "2_2", "2_3", "3_0", "3_1", "3_2", "3_3", "4_0", "4_1", "4_2", "4_3", "5_0",
    "5_1", "5_2", "5_3", "6_0", "6_1", "6_2", "6_3", "7_0", "7_1", "7_2", "7_3",
];
const DECODE_MODES: &[&str] = super::h264::DECODE_MODES;
const START_CODES: &[&str] = super::h264::START_CODES;

/// The item names of a menu control, if it is one the catalogue knows.
pub fn menu_items(id: u32) -> Option<&'static [&'static str]> {
    Some(match id {
        V4L2_CID_STATELESS_H264_DECODE_MODE | V4L2_CID_STATELESS_HEVC_DECODE_MODE => DECODE_MODES,
        V4L2_CID_STATELESS_H264_START_CODE | V4L2_CID_STATELESS_HEVC_START_CODE => START_CODES,
        V4L2_CID_MPEG_VIDEO_H264_PROFILE => H264_PROFILES,
        V4L2_CID_MPEG_VIDEO_H264_LEVEL => H264_LEVELS,
        V4L2_CID_MPEG_VIDEO_HEVC_PROFILE => HEVC_PROFILES,
        V4L2_CID_MPEG_VIDEO_HEVC_LEVEL => HEVC_LEVELS,
        V4L2_CID_MPEG_VIDEO_VP8_PROFILE | V4L2_CID_MPEG_VIDEO_VP9_PROFILE => VPX_PROFILES,
        V4L2_CID_MPEG_VIDEO_VP9_LEVEL => VP9_LEVELS,
        V4L2_CID_MPEG_VIDEO_MPEG2_PROFILE => MPEG2_PROFILES,
        V4L2_CID_MPEG_VIDEO_MPEG2_LEVEL => MPEG2_LEVELS,
        V4L2_CID_MPEG_VIDEO_AV1_PROFILE => AV1_PROFILES,
        V4L2_CID_MPEG_VIDEO_AV1_LEVEL => AV1_LEVELS,
        _ => return None,
    })
}

/// Compound controls in the catalogue that have no decoder (their payload is not a scalar).
fn undecoded_compound(id: u32) -> bool {
    matches!(
        id,
        V4L2_CID_COLORIMETRY_HDR10_CLL_INFO | V4L2_CID_COLORIMETRY_HDR10_MASTERING_DISPLAY
    )
}

/// Decodes a scalar control in the catalogue: a [`ControlValue::Menu`] for known menus, an
/// [`ControlValue::Integer`] otherwise; `None` for ids outside the catalogue and for compound
/// controls without a decoder.
pub fn decode_scalar(id: u32, payload: &[u8]) -> Option<ControlValue> {
    if super::ids::name(id).is_none() || undecoded_compound(id) {
        return None;
    }
    let value = match scalar(payload) {
        Ok(v) => v,
        Err(malformed) => return Some(malformed),
    };
    Some(match menu_items(id) {
        Some(items) => ControlValue::Menu {
            value,
            item: usize::try_from(value)
                .ok()
                .and_then(|i| items.get(i).copied()),
        },
        None => ControlValue::Integer(value),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menus() {
        assert_eq!(
            decode_scalar(V4L2_CID_MPEG_VIDEO_H264_PROFILE, &4i32.to_le_bytes()),
            Some(ControlValue::Menu {
                value: 4,
                item: Some("HIGH")
            })
        );
        assert_eq!(
            decode_scalar(V4L2_CID_MPEG_VIDEO_AV1_LEVEL, &23i32.to_le_bytes()),
            Some(ControlValue::Menu {
                value: 23,
                item: Some("7_3")
            })
        );
        assert_eq!(
            decode_scalar(V4L2_CID_MPEG_VIDEO_H264_LEVEL, &(-1i32).to_le_bytes()),
            Some(ControlValue::Menu {
                value: -1,
                item: None
            })
        );
        assert_eq!(
            decode_scalar(V4L2_CID_COLORIMETRY_HDR10_CLL_INFO, &[0; 4]),
            None
        );
        assert_eq!(decode_scalar(0x0098_0900, &[0; 4]), None);
    }
}
