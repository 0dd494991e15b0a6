//! The parsed VP9 headers → V4L2's `v4l2_ctrl_vp9_frame`. Pure functions, unit-tested on the
//! host. What VA-API does not carry (probabilities, loop-filter deltas, segmentation features,
//! header sizes, colour range, render size) comes from the headers themselves, so the control
//! is built from them alone, plus the reference timestamps.

use v4l2r::bindings as v4l2;

use super::header::{Header, KEY_FRAME};

/// `reset_frame_context` syntax (0..3) → V4L2's NONE / SPEC / ALL.
pub fn reset_frame_context(raw: u8) -> u8 {
    match raw {
        2 => v4l2::V4L2_VP9_RESET_FRAME_CTX_SPEC as u8,
        3 => v4l2::V4L2_VP9_RESET_FRAME_CTX_ALL as u8,
        _ => v4l2::V4L2_VP9_RESET_FRAME_CTX_NONE as u8,
    }
}

fn bits(pairs: &[(u32, bool)]) -> u32 {
    pairs
        .iter()
        .filter(|(_, on)| *on)
        .fold(0, |f, (b, _)| f | b)
}

/// FRAME for header `h`, with `reference_mode` from the compressed header and the LAST,
/// GOLDEN and ALTREF timestamps `refs` (ns; 0 for intra frames, as they have none).
pub fn frame(h: &Header, reference_mode: u8, refs: [u64; 3]) -> v4l2::v4l2_ctrl_vp9_frame {
    let mut f: v4l2::v4l2_ctrl_vp9_frame = crate::ioctl::zeroed();
    f.lf.ref_deltas = h.lf.ref_deltas;
    f.lf.mode_deltas = h.lf.mode_deltas;
    f.lf.level = h.lf.level;
    f.lf.sharpness = h.lf.sharpness;
    f.lf.flags = bits(&[
        (
            v4l2::V4L2_VP9_LOOP_FILTER_FLAG_DELTA_ENABLED,
            h.lf.delta_enabled,
        ),
        (
            v4l2::V4L2_VP9_LOOP_FILTER_FLAG_DELTA_UPDATE,
            h.lf.delta_update,
        ),
    ]) as u8;
    f.quant.base_q_idx = h.base_q_idx;
    f.quant.delta_q_y_dc = h.delta_q_y_dc;
    f.quant.delta_q_uv_dc = h.delta_q_uv_dc;
    f.quant.delta_q_uv_ac = h.delta_q_uv_ac;
    let s = &h.seg;
    for i in 0..8 {
        f.seg.feature_data[i] = s.feature_data[i];
        f.seg.feature_enabled[i] = s.feature_enabled[i]
            .iter()
            .enumerate()
            .filter(|(_, on)| **on)
            .fold(0, |m, (j, _)| m | 1 << j);
    }
    f.seg.tree_probs = s.tree_probs;
    f.seg.pred_probs = s.pred_probs;
    f.seg.flags = bits(&[
        (v4l2::V4L2_VP9_SEGMENTATION_FLAG_ENABLED, s.enabled),
        (v4l2::V4L2_VP9_SEGMENTATION_FLAG_UPDATE_MAP, s.update_map),
        (
            v4l2::V4L2_VP9_SEGMENTATION_FLAG_TEMPORAL_UPDATE,
            s.temporal_update,
        ),
        (v4l2::V4L2_VP9_SEGMENTATION_FLAG_UPDATE_DATA, s.update_data),
        (
            v4l2::V4L2_VP9_SEGMENTATION_FLAG_ABS_OR_DELTA_UPDATE,
            s.abs_or_delta_update,
        ),
    ]) as u8;
    f.flags = bits(&[
        (
            v4l2::V4L2_VP9_FRAME_FLAG_KEY_FRAME,
            h.frame_type == KEY_FRAME,
        ),
        (v4l2::V4L2_VP9_FRAME_FLAG_SHOW_FRAME, h.show_frame),
        (
            v4l2::V4L2_VP9_FRAME_FLAG_ERROR_RESILIENT,
            h.error_resilient_mode,
        ),
        (v4l2::V4L2_VP9_FRAME_FLAG_INTRA_ONLY, h.intra_only),
        (
            v4l2::V4L2_VP9_FRAME_FLAG_ALLOW_HIGH_PREC_MV,
            h.allow_high_precision_mv,
        ),
        (
            v4l2::V4L2_VP9_FRAME_FLAG_REFRESH_FRAME_CTX,
            h.refresh_frame_context,
        ),
        (
            v4l2::V4L2_VP9_FRAME_FLAG_PARALLEL_DEC_MODE,
            h.frame_parallel_decoding_mode,
        ),
        (v4l2::V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING, h.subsampling_x),
        (v4l2::V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING, h.subsampling_y),
        (
            v4l2::V4L2_VP9_FRAME_FLAG_COLOR_RANGE_FULL_SWING,
            h.color_range,
        ),
    ]);
    f.compressed_header_size = h.header_size_in_bytes;
    f.uncompressed_header_size = h.uncompressed_header_size;
    f.frame_width_minus_1 = h.width - 1;
    f.frame_height_minus_1 = h.height - 1;
    f.render_width_minus_1 = h.render_width - 1;
    f.render_height_minus_1 = h.render_height - 1;
    [f.last_frame_ts, f.golden_frame_ts, f.alt_frame_ts] = refs;
    f.ref_frame_sign_bias = bits(&[
        (v4l2::V4L2_VP9_SIGN_BIAS_LAST, h.ref_frame_sign_bias[0]),
        (v4l2::V4L2_VP9_SIGN_BIAS_GOLDEN, h.ref_frame_sign_bias[1]),
        (v4l2::V4L2_VP9_SIGN_BIAS_ALT, h.ref_frame_sign_bias[2]),
    ]) as u8;
    f.reset_frame_context = reset_frame_context(h.reset_frame_context);
    f.frame_context_idx = h.frame_context_idx;
    f.profile = h.profile;
    f.bit_depth = h.bit_depth;
    f.interpolation_filter = h.interp_filter;
    f.tile_cols_log2 = h.tile_cols_log2;
    f.tile_rows_log2 = h.tile_rows_log2;
    f.reference_mode = reference_mode;
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_frame_context_maps_the_syntax_to_v4l2() {
        assert_eq!(
            [0, 1, 2, 3].map(reset_frame_context),
            [0, 0, 1, 2],
            "0 and 1 reset nothing, 2 the named context, 3 all"
        );
    }

    #[test]
    fn frame_maps_flags_sizes_and_segment_feature_masks() {
        let mut h = Header {
            frame_type: 1,
            show_frame: true,
            refresh_frame_context: true,
            subsampling_x: true,
            subsampling_y: true,
            width: 320,
            height: 240,
            render_width: 320,
            render_height: 240,
            ref_frame_sign_bias: [false, false, true],
            bit_depth: 8,
            header_size_in_bytes: 22,
            uncompressed_header_size: 10,
            ..Default::default()
        };
        h.seg.enabled = true;
        h.seg.feature_enabled[1] = [true, false, true, false];
        h.seg.feature_data[1] = [-5, 0, 2, 0];
        let f = frame(&h, 2, [10, 20, 30]);
        assert_eq!(
            f.flags,
            v4l2::V4L2_VP9_FRAME_FLAG_SHOW_FRAME
                | v4l2::V4L2_VP9_FRAME_FLAG_REFRESH_FRAME_CTX
                | v4l2::V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING
                | v4l2::V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING
        );
        assert_eq!((f.frame_width_minus_1, f.frame_height_minus_1), (319, 239));
        assert_eq!(f.ref_frame_sign_bias, v4l2::V4L2_VP9_SIGN_BIAS_ALT as u8);
        assert_eq!(f.seg.feature_enabled[1], 0b101);
        assert_eq!(f.seg.feature_data[1], [-5, 0, 2, 0]);
        assert_eq!(f.seg.flags, v4l2::V4L2_VP9_SEGMENTATION_FLAG_ENABLED as u8);
        assert_eq!(
            (f.last_frame_ts, f.golden_frame_ts, f.alt_frame_ts),
            (10, 20, 30)
        );
        assert_eq!(
            (f.compressed_header_size, f.uncompressed_header_size),
            (22, 10)
        );
        assert_eq!(f.reference_mode, 2);
    }
}
