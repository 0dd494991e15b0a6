//! VA-API VP8 parameters → the V4L2 stateless FRAME control (`v4l2_ctrl_vp8_frame`). Pure
//! functions over plain data, unit-tested on the host.
//!
//! What VA gives differently from the bitstream (see README, "VP8"):
//! - quantiser indices and loop-filter levels already resolved per segment: with segmentation
//!   on, the segments are sent in absolute mode (their own values), which decodes the same as
//!   the header's delta mode; with it off, in delta mode with zero updates (as GStreamer's
//!   parser leaves them);
//! - the quantiser deltas as indices: each delta is segment 0's index minus its Y AC index;
//! - the first partition's size split in two: `first_part_size` = `partition_size[0]` + the
//!   header's bytes (`macroblock_offset` bits, rounded up); `first_part_header_bits` =
//!   `macroblock_offset`;
//! - `show_frame` and the scale bits only in the frame tag (see [`super::tag`]), when the
//!   client left it.

use v4l2r::bindings as v4l2;

use super::tag::Tag;
use crate::va;

/// VA's picture flag bits, read once.
pub fn pic_fields(
    p: &va::VAPictureParameterBufferVP8,
) -> va::_VAPictureParameterBufferVP8__bindgen_ty_1__bindgen_ty_1 {
    // SAFETY: both union members are plain integers of the same size: any bit pattern is a
    // valid value of `bits`.
    unsafe { p.pic_fields.bits }
}

/// Whether VA's picture is a key frame (VA's `key_frame` bit is the bitstream's: 0 = key).
pub fn is_key_frame(p: &va::VAPictureParameterBufferVP8) -> bool {
    pic_fields(p).key_frame() == 0
}

/// The number of DCT (token) partitions, 1..8.
pub fn dct_parts(s: &va::VASliceParameterBufferVP8) -> usize {
    usize::from(s.num_of_partitions.saturating_sub(1)).clamp(1, 8)
}

/// The first partition's size in bytes (the tag excluded): VA's `partition_size[0]` counts only
/// what follows the header's `macroblock_offset` bits.
pub fn first_part_size(s: &va::VASliceParameterBufferVP8) -> u32 {
    s.partition_size[0] + s.macroblock_offset.div_ceil(8)
}

/// Bytes of the frame after its tag: the first partition, the table of the DCT partitions'
/// sizes (3 bytes for each but the last), the DCT partitions.
pub fn body_len(s: &va::VASliceParameterBufferVP8) -> usize {
    let n = dct_parts(s);
    first_part_size(s) as usize
        + 3 * (n - 1)
        + s.partition_size[1..=n]
            .iter()
            .map(|&p| p as usize)
            .sum::<usize>()
}

/// The tag of a frame whose client stripped it: rebuilt from VA's parameters; `show_frame`
/// is unknown to VA and assumed set, the scales 0.
pub fn rebuilt_tag(p: &va::VAPictureParameterBufferVP8, s: &va::VASliceParameterBufferVP8) -> Tag {
    Tag {
        key_frame: is_key_frame(p),
        version: pic_fields(p).version() as u8,
        show_frame: true,
        first_part_size: first_part_size(s),
        width: p.frame_width as u16,
        horizontal_scale: 0,
        height: p.frame_height as u16,
        vertical_scale: 0,
    }
}

/// The references as timestamps (ns): last, golden, alt; 0 where none (as GStreamer).
pub type Refs = [u64; 3];

/// FRAME from VA's picture, probability, IQ and slice parameters, `tag` the frame's (the
/// client's or rebuilt), `refs` the reference timestamps.
pub fn frame(
    p: &va::VAPictureParameterBufferVP8,
    probs: &va::VAProbabilityDataBufferVP8,
    iq: &va::VAIQMatrixBufferVP8,
    s: &va::VASliceParameterBufferVP8,
    tag: &Tag,
    refs: Refs,
) -> v4l2::v4l2_ctrl_vp8_frame {
    let f = pic_fields(p);
    let mut out = v4l2::v4l2_ctrl_vp8_frame {
        segment: segment(p, iq),
        lf: loop_filter(p),
        quant: quantisation(iq),
        width: p.frame_width as u16,
        height: p.frame_height as u16,
        horizontal_scale: tag.horizontal_scale,
        vertical_scale: tag.vertical_scale,
        version: f.version() as u8,
        prob_skip_false: p.prob_skip_false,
        prob_intra: p.prob_intra,
        prob_last: p.prob_last,
        prob_gf: p.prob_gf,
        num_dct_parts: dct_parts(s) as u8,
        first_part_size: first_part_size(s),
        first_part_header_bits: s.macroblock_offset,
        last_frame_ts: refs[0],
        golden_frame_ts: refs[1],
        alt_frame_ts: refs[2],
        ..Default::default()
    };
    out.entropy.coeff_probs = probs.dct_coeff_probs;
    out.entropy.y_mode_probs = p.y_mode_probs;
    out.entropy.uv_mode_probs = p.uv_mode_probs;
    out.entropy.mv_probs = p.mv_probs;
    out.coder_state.range = p.bool_coder_ctx.range;
    out.coder_state.value = p.bool_coder_ctx.value;
    out.coder_state.bit_count = p.bool_coder_ctx.count;
    let n = dct_parts(s);
    out.dct_part_sizes[..n].copy_from_slice(&s.partition_size[1..=n]);
    for (bit, on) in [
        (v4l2::V4L2_VP8_FRAME_FLAG_KEY_FRAME, tag.key_frame),
        (v4l2::V4L2_VP8_FRAME_FLAG_SHOW_FRAME, tag.show_frame),
        (
            v4l2::V4L2_VP8_FRAME_FLAG_MB_NO_SKIP_COEFF,
            f.mb_no_coeff_skip() != 0,
        ),
        (
            v4l2::V4L2_VP8_FRAME_FLAG_SIGN_BIAS_GOLDEN,
            f.sign_bias_golden() != 0,
        ),
        (
            v4l2::V4L2_VP8_FRAME_FLAG_SIGN_BIAS_ALT,
            f.sign_bias_alternate() != 0,
        ),
    ] {
        if on {
            out.flags |= u64::from(bit);
        }
    }
    out
}

/// Segmentation: absolute values per segment when on (VA's are resolved), delta mode with
/// zero updates when off.
fn segment(
    p: &va::VAPictureParameterBufferVP8,
    iq: &va::VAIQMatrixBufferVP8,
) -> v4l2::v4l2_vp8_segment {
    let f = pic_fields(p);
    let mut s = v4l2::v4l2_vp8_segment {
        segment_probs: p.mb_segment_tree_probs,
        ..Default::default()
    };
    if f.segmentation_enabled() == 0 {
        s.flags = v4l2::V4L2_VP8_SEGMENT_FLAG_DELTA_VALUE_MODE;
        return s;
    }
    s.flags = v4l2::V4L2_VP8_SEGMENT_FLAG_ENABLED;
    if f.update_mb_segmentation_map() != 0 {
        s.flags |= v4l2::V4L2_VP8_SEGMENT_FLAG_UPDATE_MAP;
    }
    if f.update_segment_feature_data() != 0 {
        s.flags |= v4l2::V4L2_VP8_SEGMENT_FLAG_UPDATE_FEATURE_DATA;
    }
    for i in 0..4 {
        s.quant_update[i] = iq.quantization_index[i][0].min(127) as i8;
        s.lf_update[i] = p.loop_filter_level[i].min(63) as i8;
    }
    s
}

/// The loop filter. `level` is what decides whether it runs at all (hantro: off at 0): 0 when
/// VA says it is disabled, else segment 0's level (segmentation off: the frame's level) or, with
/// segmentation on, the highest segment level (the segments' own levels are in `segment`).
fn loop_filter(p: &va::VAPictureParameterBufferVP8) -> v4l2::v4l2_vp8_loop_filter {
    let f = pic_fields(p);
    let level = if f.loop_filter_disable() != 0 {
        0
    } else if f.segmentation_enabled() == 0 {
        p.loop_filter_level[0]
    } else {
        p.loop_filter_level.iter().copied().max().unwrap_or(0)
    };
    let mut flags = 0;
    for (bit, on) in [
        (v4l2::V4L2_VP8_LF_FILTER_TYPE_SIMPLE, f.filter_type()),
        (v4l2::V4L2_VP8_LF_ADJ_ENABLE, f.loop_filter_adj_enable()),
        (v4l2::V4L2_VP8_LF_DELTA_UPDATE, f.mode_ref_lf_delta_update()),
    ] {
        if on != 0 {
            flags |= bit;
        }
    }
    v4l2::v4l2_vp8_loop_filter {
        ref_frm_delta: p.loop_filter_deltas_ref_frame,
        mb_mode_delta: p.loop_filter_deltas_mode,
        sharpness_level: f.sharpness_level() as u8,
        level: level.min(63),
        padding: 0,
        flags,
    }
}

/// Quantisation: segment 0's Y AC index and the other five of its indices as deltas from it
/// (VA's order: Y AC, Y DC, Y2 DC, Y2 AC, UV DC, UV AC).
fn quantisation(iq: &va::VAIQMatrixBufferVP8) -> v4l2::v4l2_vp8_quantization {
    let q = iq.quantization_index[0].map(|v| i16::try_from(v.min(127)).unwrap_or(127));
    let d = |j: usize| (q[j] - q[0]) as i8;
    v4l2::v4l2_vp8_quantization {
        y_ac_qi: q[0] as u8,
        y_dc_delta: d(1),
        y2_dc_delta: d(2),
        y2_ac_delta: d(3),
        uv_dc_delta: d(4),
        uv_ac_delta: d(5),
        padding: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ioctl;

    fn slice(macroblock_offset: u32, sizes: &[u32]) -> va::VASliceParameterBufferVP8 {
        let mut s: va::VASliceParameterBufferVP8 = ioctl::zeroed();
        s.macroblock_offset = macroblock_offset;
        s.num_of_partitions = sizes.len() as u8;
        s.partition_size[..sizes.len()].copy_from_slice(sizes);
        s
    }

    #[test]
    fn partition_sizes_as_hantro_reads_them() {
        // 4 DCT partitions; the header took 139 bits = 18 bytes rounded up.
        let s = slice(139, &[100, 10, 20, 30, 40]);
        assert_eq!(first_part_size(&s), 118);
        assert_eq!(dct_parts(&s), 4);
        assert_eq!(body_len(&s), 118 + 3 * 3 + 100);
        let p: va::VAPictureParameterBufferVP8 = ioctl::zeroed();
        let f = frame(
            &p,
            &ioctl::zeroed(),
            &ioctl::zeroed(),
            &s,
            &rebuilt_tag(&p, &s),
            [1, 2, 3],
        );
        assert_eq!((f.first_part_size, f.first_part_header_bits), (118, 139));
        assert_eq!(
            (f.num_dct_parts, f.dct_part_sizes),
            (4, [10, 20, 30, 40, 0, 0, 0, 0])
        );
        assert_eq!(
            (f.last_frame_ts, f.golden_frame_ts, f.alt_frame_ts),
            (1, 2, 3)
        );
        // VA's key_frame 0 is a key frame; the rebuilt tag assumes a shown frame.
        assert_eq!(
            f.flags,
            u64::from(v4l2::V4L2_VP8_FRAME_FLAG_KEY_FRAME | v4l2::V4L2_VP8_FRAME_FLAG_SHOW_FRAME)
        );
    }

    #[test]
    fn segments_in_absolute_mode_when_on_delta_mode_with_zero_updates_when_off() {
        let mut p: va::VAPictureParameterBufferVP8 = ioctl::zeroed();
        let mut iq: va::VAIQMatrixBufferVP8 = ioctl::zeroed();
        // Segment i: Y AC index 40 + i, the other five 2 higher, except a clipped one.
        for i in 0..4 {
            iq.quantization_index[i] = [40 + i as u16, 42, 42, 42, 42, 42];
        }
        p.loop_filter_level = [20, 30, 0, 10];
        let off = segment(&p, &iq);
        assert_eq!(off.flags, v4l2::V4L2_VP8_SEGMENT_FLAG_DELTA_VALUE_MODE);
        assert_eq!((off.quant_update, off.lf_update), ([0; 4], [0; 4]));
        assert_eq!(
            loop_filter(&p).level,
            20,
            "segmentation off: the frame's level"
        );

        // segmentation_enabled is bit 4, update_mb_segmentation_map bit 5.
        p.pic_fields.value = 1 << 4 | 1 << 5;
        let on = segment(&p, &iq);
        assert_eq!(
            on.flags,
            v4l2::V4L2_VP8_SEGMENT_FLAG_ENABLED | v4l2::V4L2_VP8_SEGMENT_FLAG_UPDATE_MAP
        );
        assert_eq!(on.quant_update, [40, 41, 42, 43]);
        assert_eq!(on.lf_update, [20, 30, 0, 10]);
        assert_eq!(
            loop_filter(&p).level,
            30,
            "on: any level but 0 keeps it running"
        );

        // loop_filter_disable is bit 16.
        p.pic_fields.value = 1 << 4 | 1 << 5 | 1 << 16;
        assert_eq!(loop_filter(&p).level, 0);

        let q = quantisation(&iq);
        assert_eq!(q.y_ac_qi, 40);
        assert_eq!(
            [
                q.y_dc_delta,
                q.y2_dc_delta,
                q.y2_ac_delta,
                q.uv_dc_delta,
                q.uv_ac_delta
            ],
            [2; 5]
        );
    }
}
