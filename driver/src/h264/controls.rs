//! VA-API H.264 parameters → V4L2 stateless H.264 controls: SPS, PPS, SCALING_MATRIX,
//! PRED_WEIGHTS, SLICE_PARAMS and DECODE_PARAMS (DPB named by reference timestamps).
//! Pure functions over plain data, unit-tested on the host.
//!
//! VA does not carry everything V4L2 wants; what comes from elsewhere:
//! - from the slice header ([`super::slice_header`]): nal_ref_idc, IDR flag, idr_pic_id,
//!   pic_order_cnt_lsb, delta POCs, the POC and dec_ref_pic_marking bit sizes, the PPS id, and
//!   the PPS's default reference counts (learned from slices without an override);
//! - from the VA profile: profile_idc and constraint_set1 for Constrained Baseline;
//! - unknown and left 0: sps.level_idc, seq_parameter_set_id, POC type 1 cycle offsets,
//!   qpprime_y_zero_transform_bypass.

#![allow(clippy::field_reassign_with_default)]

use v4l2r::bindings as v4l2;

use super::slice_header::{ParseParams, SliceHeader, SLICE_B, SLICE_P, SLICE_SP};
use crate::va;

pub const VA_PICTURE_H264_INVALID: u32 = 0x01;
pub const VA_PICTURE_H264_TOP_FIELD: u32 = 0x02;
pub const VA_PICTURE_H264_BOTTOM_FIELD: u32 = 0x04;
pub const VA_PICTURE_H264_SHORT_TERM_REFERENCE: u32 = 0x08;
pub const VA_PICTURE_H264_LONG_TERM_REFERENCE: u32 = 0x10;

/// VA's bit-field unions, read once.
pub struct PicFields {
    pub seq: va::_VAPictureParameterBufferH264__bindgen_ty_1__bindgen_ty_1,
    pub pic: va::_VAPictureParameterBufferH264__bindgen_ty_2__bindgen_ty_1,
}

impl PicFields {
    pub fn of(p: &va::VAPictureParameterBufferH264) -> Self {
        // SAFETY: both union members are plain integer bit-fields of the same size: any bit
        // pattern is a valid value of `bits`.
        unsafe {
            PicFields {
                seq: p.seq_fields.bits,
                pic: p.pic_fields.bits,
            }
        }
    }
}

/// Slice-header parse parameters from VA's picture and slice parameters.
pub fn parse_params(
    p: &va::VAPictureParameterBufferH264,
    s: &va::VASliceParameterBufferH264,
) -> ParseParams {
    let f = PicFields::of(p);
    ParseParams {
        separate_colour_plane: f.seq.residual_colour_transform_flag() != 0,
        chroma_format_idc: f.seq.chroma_format_idc(),
        log2_max_frame_num: f.seq.log2_max_frame_num_minus4() + 4,
        frame_mbs_only: f.seq.frame_mbs_only_flag() != 0,
        pic_order_cnt_type: f.seq.pic_order_cnt_type(),
        log2_max_pic_order_cnt_lsb: f.seq.log2_max_pic_order_cnt_lsb_minus4() + 4,
        delta_pic_order_always_zero: f.seq.delta_pic_order_always_zero_flag() != 0,
        bottom_field_pic_order_in_frame_present: f.pic.pic_order_present_flag() != 0,
        redundant_pic_cnt_present: f.pic.redundant_pic_cnt_present_flag() != 0,
        weighted_pred: f.pic.weighted_pred_flag() != 0,
        weighted_bipred_idc: f.pic.weighted_bipred_idc(),
        entropy_coding_mode: f.pic.entropy_coding_mode_flag() != 0,
        deblocking_filter_control_present: f.pic.deblocking_filter_control_present_flag() != 0,
        num_ref_idx_l0_active_minus1: s.num_ref_idx_l0_active_minus1 as u32,
        num_ref_idx_l1_active_minus1: s.num_ref_idx_l1_active_minus1 as u32,
    }
}

/// (profile_idc, constraint_set_flags) of a VA profile.
pub fn profile_idc(profile: va::VAProfile) -> (u8, u8) {
    match profile {
        // Constrained Baseline = Baseline with constraint_set1 (and, from most encoders, set0).
        va::VAProfileH264ConstrainedBaseline => (
            66,
            (v4l2::V4L2_H264_SPS_CONSTRAINT_SET0_FLAG | v4l2::V4L2_H264_SPS_CONSTRAINT_SET1_FLAG)
                as u8,
        ),
        va::VAProfileH264Main => (77, 0),
        va::VAProfileH264High => (100, 0),
        _ => (100, 0),
    }
}

pub fn sps(
    profile: va::VAProfile,
    p: &va::VAPictureParameterBufferH264,
) -> v4l2::v4l2_ctrl_h264_sps {
    let f = PicFields::of(p);
    let (profile_idc, constraint_set_flags) = profile_idc(profile);
    let frame_mbs_only = f.seq.frame_mbs_only_flag() != 0;
    let field_pic = f.pic.field_pic_flag() != 0;
    // VA gives the height of the picture being decoded: a field's when decoding a field.
    let height_mbs = p.picture_height_in_mbs_minus1 as u32 + 1;
    let map_units = if frame_mbs_only || field_pic {
        height_mbs
    } else {
        height_mbs / 2
    };
    let mut flags = 0;
    let mut set = |on: u32, flag: u32| {
        if on != 0 {
            flags |= flag
        }
    };
    set(
        f.seq.residual_colour_transform_flag(),
        v4l2::V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE,
    );
    set(
        f.seq.delta_pic_order_always_zero_flag(),
        v4l2::V4L2_H264_SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO,
    );
    set(
        f.seq.gaps_in_frame_num_value_allowed_flag(),
        v4l2::V4L2_H264_SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED,
    );
    set(
        f.seq.frame_mbs_only_flag(),
        v4l2::V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY,
    );
    set(
        f.seq.mb_adaptive_frame_field_flag(),
        v4l2::V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD,
    );
    set(
        f.seq.direct_8x8_inference_flag(),
        v4l2::V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE,
    );
    v4l2::v4l2_ctrl_h264_sps {
        profile_idc,
        constraint_set_flags,
        level_idc: 0,
        seq_parameter_set_id: 0,
        chroma_format_idc: f.seq.chroma_format_idc() as u8,
        bit_depth_luma_minus8: p.bit_depth_luma_minus8,
        bit_depth_chroma_minus8: p.bit_depth_chroma_minus8,
        log2_max_frame_num_minus4: f.seq.log2_max_frame_num_minus4() as u8,
        pic_order_cnt_type: f.seq.pic_order_cnt_type() as u8,
        log2_max_pic_order_cnt_lsb_minus4: f.seq.log2_max_pic_order_cnt_lsb_minus4() as u8,
        max_num_ref_frames: p.num_ref_frames,
        num_ref_frames_in_pic_order_cnt_cycle: 0,
        offset_for_ref_frame: [0; 255],
        offset_for_non_ref_pic: 0,
        offset_for_top_to_bottom_field: 0,
        pic_width_in_mbs_minus1: p.picture_width_in_mbs_minus1,
        pic_height_in_map_units_minus1: (map_units.max(1) - 1) as u16,
        flags,
    }
}

/// `num_ref_idx_default`: the PPS's default active reference counts, as learned so far.
pub fn pps(
    p: &va::VAPictureParameterBufferH264,
    h: &SliceHeader,
    num_ref_idx_default: (u8, u8),
    scaling_matrix_present: bool,
) -> v4l2::v4l2_ctrl_h264_pps {
    let f = PicFields::of(p);
    let mut flags = 0u32;
    let mut set = |on: u32, flag: u32| {
        if on != 0 {
            flags |= flag
        }
    };
    set(
        f.pic.entropy_coding_mode_flag(),
        v4l2::V4L2_H264_PPS_FLAG_ENTROPY_CODING_MODE,
    );
    set(
        f.pic.pic_order_present_flag(),
        v4l2::V4L2_H264_PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT,
    );
    set(
        f.pic.weighted_pred_flag(),
        v4l2::V4L2_H264_PPS_FLAG_WEIGHTED_PRED,
    );
    set(
        f.pic.deblocking_filter_control_present_flag(),
        v4l2::V4L2_H264_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT,
    );
    set(
        f.pic.constrained_intra_pred_flag(),
        v4l2::V4L2_H264_PPS_FLAG_CONSTRAINED_INTRA_PRED,
    );
    set(
        f.pic.redundant_pic_cnt_present_flag(),
        v4l2::V4L2_H264_PPS_FLAG_REDUNDANT_PIC_CNT_PRESENT,
    );
    set(
        f.pic.transform_8x8_mode_flag(),
        v4l2::V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE,
    );
    set(
        scaling_matrix_present as u32,
        v4l2::V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT,
    );
    v4l2::v4l2_ctrl_h264_pps {
        pic_parameter_set_id: h.pic_parameter_set_id as u8,
        seq_parameter_set_id: 0,
        num_slice_groups_minus1: p.num_slice_groups_minus1,
        num_ref_idx_l0_default_active_minus1: num_ref_idx_default.0,
        num_ref_idx_l1_default_active_minus1: num_ref_idx_default.1,
        weighted_bipred_idc: f.pic.weighted_bipred_idc() as u8,
        pic_init_qp_minus26: p.pic_init_qp_minus26,
        pic_init_qs_minus26: p.pic_init_qs_minus26,
        chroma_qp_index_offset: p.chroma_qp_index_offset,
        second_chroma_qp_index_offset: p.second_chroma_qp_index_offset,
        flags: flags as u16,
    }
}

/// Whether an IQ matrix differs from the flat (all 16) default.
pub fn is_flat(iq: &va::VAIQMatrixBufferH264) -> bool {
    iq.ScalingList4x4.iter().flatten().all(|&v| v == 16)
        && iq.ScalingList8x8.iter().flatten().all(|&v| v == 16)
}

/// VA lists are in raster order like V4L2's. VA has the two luma 8x8 lists (intra, inter);
/// V4L2's order is Intra Y, Inter Y, Intra Cb, Inter Cb, Intra Cr, Inter Cr. The chroma 8x8
/// lists only exist in 4:4:4 streams, which VA cannot describe: as GStreamer does, they are
/// flat when no matrix is present and zero otherwise.
pub fn scaling_matrix(iq: &va::VAIQMatrixBufferH264) -> v4l2::v4l2_ctrl_h264_scaling_matrix {
    let flat = is_flat(iq);
    let mut m = v4l2::v4l2_ctrl_h264_scaling_matrix {
        scaling_list_4x4: iq.ScalingList4x4,
        scaling_list_8x8: [[if flat { 16 } else { 0 }; 64]; 6],
    };
    m.scaling_list_8x8[0] = iq.ScalingList8x8[0];
    m.scaling_list_8x8[1] = iq.ScalingList8x8[1];
    m
}

/// Looks up the reference timestamp (ns) of a VA surface.
pub trait SurfaceTimestamps {
    fn timestamp_ns(&self, surface: va::VASurfaceID) -> Option<u64>;
}

fn ref_fields(flags: u32) -> u8 {
    match flags & (VA_PICTURE_H264_TOP_FIELD | VA_PICTURE_H264_BOTTOM_FIELD) {
        VA_PICTURE_H264_TOP_FIELD => v4l2::V4L2_H264_TOP_FIELD_REF as u8,
        VA_PICTURE_H264_BOTTOM_FIELD => v4l2::V4L2_H264_BOTTOM_FIELD_REF as u8,
        _ => v4l2::V4L2_H264_FRAME_REF as u8,
    }
}

fn is_reference(pic: &va::VAPictureH264) -> bool {
    pic.picture_id != va::VA_INVALID_SURFACE
        && pic.flags & VA_PICTURE_H264_INVALID == 0
        && pic.flags & (VA_PICTURE_H264_SHORT_TERM_REFERENCE | VA_PICTURE_H264_LONG_TERM_REFERENCE)
            != 0
}

/// The offset a client adds to every POC (FFmpeg starts counting at 65536), from an IDR
/// picture, whose POC the spec fixes: None for other pictures (keep the previous base).
pub fn poc_base(p: &va::VAPictureParameterBufferH264, h: &SliceHeader) -> Option<i32> {
    if !h.is_idr() {
        return None;
    }
    let f = PicFields::of(p);
    let expected = match f.seq.pic_order_cnt_type() {
        0 => h.pic_order_cnt_lsb as i32,
        1 => h.delta_pic_order_cnt[0],
        _ => 0,
    };
    let bottom_only = p.CurrPic.flags & (VA_PICTURE_H264_TOP_FIELD | VA_PICTURE_H264_BOTTOM_FIELD)
        == VA_PICTURE_H264_BOTTOM_FIELD;
    let poc = if bottom_only {
        p.CurrPic.BottomFieldOrderCnt
    } else {
        p.CurrPic.TopFieldOrderCnt
    };
    Some(poc - expected)
}

/// DECODE_PARAMS, DPB included. Only reference pictures enter the DPB, in decode order (by
/// timestamp, as GStreamer orders its DPB); unused entries stay zero. `poc_base` (see
/// [`poc_base`]) is taken off every POC.
pub fn decode_params(
    p: &va::VAPictureParameterBufferH264,
    h: &SliceHeader,
    ts: &impl SurfaceTimestamps,
    poc_base: i32,
) -> v4l2::v4l2_ctrl_h264_decode_params {
    let f = PicFields::of(p);
    let max_frame_num = 1i64 << (f.seq.log2_max_frame_num_minus4() + 4);
    let mut d: v4l2::v4l2_ctrl_h264_decode_params = Default::default();
    let mut n = 0;
    for r in p.ReferenceFrames.iter().filter(|r| is_reference(r)) {
        let Some(reference_ts) = ts.timestamp_ns(r.picture_id) else {
            log::debug!(
                "reference surface {:#x} has no decoded frame: left out of the DPB",
                r.picture_id
            );
            continue;
        };
        let long_term = r.flags & VA_PICTURE_H264_LONG_TERM_REFERENCE != 0;
        let fields = ref_fields(r.flags);
        // PicNum (8.2.4.1): FrameNumWrap for short-term frames, LongTermFrameIdx for long-term.
        let frame_num_wrap = if r.frame_idx as i64 > p.frame_num as i64 {
            r.frame_idx as i64 - max_frame_num
        } else {
            r.frame_idx as i64
        };
        let mut flags =
            v4l2::V4L2_H264_DPB_ENTRY_FLAG_VALID | v4l2::V4L2_H264_DPB_ENTRY_FLAG_ACTIVE;
        if long_term {
            flags |= v4l2::V4L2_H264_DPB_ENTRY_FLAG_LONG_TERM;
        }
        if fields != v4l2::V4L2_H264_FRAME_REF as u8 {
            flags |= v4l2::V4L2_H264_DPB_ENTRY_FLAG_FIELD;
        }
        d.dpb[n] = v4l2::v4l2_h264_dpb_entry {
            reference_ts,
            pic_num: if long_term {
                r.frame_idx
            } else {
                frame_num_wrap as i32 as u32
            },
            frame_num: r.frame_idx as u16,
            fields,
            reserved: [0; 5],
            top_field_order_cnt: r.TopFieldOrderCnt.wrapping_sub(poc_base),
            bottom_field_order_cnt: r.BottomFieldOrderCnt.wrapping_sub(poc_base),
            flags,
        };
        n += 1;
        if n == d.dpb.len() {
            break;
        }
    }
    d.dpb[..n].sort_by_key(|e| e.reference_ts);
    d.nal_ref_idc = h.nal_ref_idc as u16;
    d.frame_num = p.frame_num;
    d.top_field_order_cnt = p.CurrPic.TopFieldOrderCnt.wrapping_sub(poc_base);
    d.bottom_field_order_cnt = p.CurrPic.BottomFieldOrderCnt.wrapping_sub(poc_base);
    d.idr_pic_id = h.idr_pic_id as u16;
    d.pic_order_cnt_lsb = h.pic_order_cnt_lsb as u16;
    d.delta_pic_order_cnt_bottom = h.delta_pic_order_cnt_bottom;
    d.delta_pic_order_cnt0 = h.delta_pic_order_cnt[0];
    d.delta_pic_order_cnt1 = h.delta_pic_order_cnt[1];
    d.dec_ref_pic_marking_bit_size = h.dec_ref_pic_marking_bit_size;
    d.pic_order_cnt_bit_size = h.pic_order_cnt_bit_size;
    if h.is_idr() {
        d.flags |= v4l2::V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC;
    }
    if f.pic.field_pic_flag() != 0 {
        d.flags |= v4l2::V4L2_H264_DECODE_PARAM_FLAG_FIELD_PIC;
        if p.CurrPic.flags & VA_PICTURE_H264_BOTTOM_FIELD != 0 {
            d.flags |= v4l2::V4L2_H264_DECODE_PARAM_FLAG_BOTTOM_FIELD;
        }
    }
    match h.slice_type {
        SLICE_P | SLICE_SP => d.flags |= v4l2::V4L2_H264_DECODE_PARAM_FLAG_PFRAME,
        SLICE_B => d.flags |= v4l2::V4L2_H264_DECODE_PARAM_FLAG_BFRAME,
        _ => {}
    }
    d
}

/// SLICE_PARAMS for one slice; reference lists index `dpb` (the DECODE_PARAMS DPB).
pub fn slice_params(
    s: &va::VASliceParameterBufferH264,
    h: &SliceHeader,
    dpb: &[v4l2::v4l2_h264_dpb_entry; 16],
    ts: &impl SurfaceTimestamps,
) -> v4l2::v4l2_ctrl_h264_slice_params {
    let mut sp: v4l2::v4l2_ctrl_h264_slice_params = Default::default();
    // Counted from the start of the NAL unit, its header byte included (as GStreamer does).
    sp.header_bit_size = h.header_bit_size + 8;
    // Unused reference list entries are all-ones (as GStreamer sends them).
    let unused = v4l2::v4l2_h264_reference {
        fields: 0xff,
        index: 0xff,
    };
    sp.ref_pic_list0 = [unused; 32];
    sp.ref_pic_list1 = [unused; 32];
    sp.first_mb_in_slice = s.first_mb_in_slice as u32;
    sp.slice_type = h.slice_type as u8;
    sp.colour_plane_id = h.colour_plane_id as u8;
    sp.redundant_pic_cnt = h.redundant_pic_cnt as u8;
    sp.cabac_init_idc = s.cabac_init_idc;
    sp.slice_qp_delta = s.slice_qp_delta;
    sp.slice_qs_delta = h.slice_qs_delta as i8;
    sp.disable_deblocking_filter_idc = s.disable_deblocking_filter_idc;
    sp.slice_alpha_c0_offset_div2 = s.slice_alpha_c0_offset_div2;
    sp.slice_beta_offset_div2 = s.slice_beta_offset_div2;
    sp.num_ref_idx_l0_active_minus1 = s.num_ref_idx_l0_active_minus1;
    sp.num_ref_idx_l1_active_minus1 = s.num_ref_idx_l1_active_minus1;
    if s.direct_spatial_mv_pred_flag != 0 {
        sp.flags |= v4l2::V4L2_H264_SLICE_FLAG_DIRECT_SPATIAL_MV_PRED;
    }
    if h.sp_for_switch {
        sp.flags |= v4l2::V4L2_H264_SLICE_FLAG_SP_FOR_SWITCH;
    }
    let fill = |list: &[va::VAPictureH264; 32],
                n: usize,
                out: &mut [v4l2::v4l2_h264_reference; 32]| {
        for (i, r) in list.iter().take(n).enumerate() {
            if r.picture_id == va::VA_INVALID_SURFACE || r.flags & VA_PICTURE_H264_INVALID != 0 {
                continue;
            }
            let Some(t) = ts.timestamp_ns(r.picture_id) else {
                continue;
            };
            if let Some(idx) = dpb.iter().position(|e| {
                e.flags & v4l2::V4L2_H264_DPB_ENTRY_FLAG_VALID != 0 && e.reference_ts == t
            }) {
                out[i] = v4l2::v4l2_h264_reference {
                    fields: ref_fields(r.flags),
                    index: idx as u8,
                };
            }
        }
    };
    let t = h.slice_type;
    if t == SLICE_P || t == SLICE_SP || t == SLICE_B {
        fill(
            &s.RefPicList0,
            s.num_ref_idx_l0_active_minus1 as usize + 1,
            &mut sp.ref_pic_list0,
        );
    }
    if t == SLICE_B {
        fill(
            &s.RefPicList1,
            s.num_ref_idx_l1_active_minus1 as usize + 1,
            &mut sp.ref_pic_list1,
        );
    }
    sp
}

/// PRED_WEIGHTS of one slice: all zero when the slice has no explicit weights (`weighted`).
/// List 1 only for B slices (VA clients may fill it for P slices too).
pub fn pred_weights(
    s: &va::VASliceParameterBufferH264,
    weighted: bool,
    slice_type: u32,
) -> v4l2::v4l2_ctrl_h264_pred_weights {
    let mut w: v4l2::v4l2_ctrl_h264_pred_weights = Default::default();
    if !weighted {
        return w;
    }
    w.luma_log2_weight_denom = s.luma_log2_weight_denom as u16;
    w.chroma_log2_weight_denom = s.chroma_log2_weight_denom as u16;
    let f0 = &mut w.weight_factors[0];
    f0.luma_weight = s.luma_weight_l0;
    f0.luma_offset = s.luma_offset_l0;
    f0.chroma_weight = s.chroma_weight_l0;
    f0.chroma_offset = s.chroma_offset_l0;
    if slice_type != SLICE_B {
        return w;
    }
    let f1 = &mut w.weight_factors[1];
    f1.luma_weight = s.luma_weight_l1;
    f1.luma_offset = s.luma_offset_l1;
    f1.chroma_weight = s.chroma_weight_l1;
    f1.chroma_offset = s.chroma_offset_l1;
    w
}

/// Whether a slice needs PRED_WEIGHTS (explicit weighted prediction).
pub fn needs_pred_weights(p: &va::VAPictureParameterBufferH264, slice_type: u32) -> bool {
    let f = PicFields::of(p);
    (f.pic.weighted_pred_flag() != 0 && (slice_type == SLICE_P || slice_type == SLICE_SP))
        || (f.pic.weighted_bipred_idc() == 1 && slice_type == SLICE_B)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Ts(HashMap<va::VASurfaceID, u64>);
    impl SurfaceTimestamps for Ts {
        fn timestamp_ns(&self, s: va::VASurfaceID) -> Option<u64> {
            self.0.get(&s).copied()
        }
    }

    fn pic(id: u32, frame_idx: u32, flags: u32, poc: i32) -> va::VAPictureH264 {
        va::VAPictureH264 {
            picture_id: id,
            frame_idx,
            flags,
            TopFieldOrderCnt: poc,
            BottomFieldOrderCnt: poc + 1,
            va_reserved: [0; 4],
        }
    }

    fn invalid() -> va::VAPictureH264 {
        pic(va::VA_INVALID_SURFACE, 0, VA_PICTURE_H264_INVALID, 0)
    }

    fn pp() -> va::VAPictureParameterBufferH264 {
        // SAFETY: an all-zero VA parameter buffer is a valid value.
        let mut p: va::VAPictureParameterBufferH264 = unsafe { std::mem::zeroed() };
        let mut seq = va::_VAPictureParameterBufferH264__bindgen_ty_1__bindgen_ty_1::default();
        seq.set_chroma_format_idc(1);
        seq.set_frame_mbs_only_flag(1);
        seq.set_direct_8x8_inference_flag(1);
        seq.set_log2_max_frame_num_minus4(0);
        seq.set_pic_order_cnt_type(0);
        seq.set_log2_max_pic_order_cnt_lsb_minus4(3);
        p.seq_fields.bits = seq;
        let mut pf = va::_VAPictureParameterBufferH264__bindgen_ty_2__bindgen_ty_1::default();
        pf.set_entropy_coding_mode_flag(1);
        pf.set_transform_8x8_mode_flag(1);
        pf.set_weighted_pred_flag(1);
        pf.set_weighted_bipred_idc(2);
        pf.set_deblocking_filter_control_present_flag(1);
        pf.set_pic_order_present_flag(1);
        pf.set_reference_pic_flag(1);
        p.pic_fields.bits = pf;
        p.picture_width_in_mbs_minus1 = 19;
        p.picture_height_in_mbs_minus1 = 14;
        p.num_ref_frames = 4;
        p.pic_init_qp_minus26 = -3;
        p.chroma_qp_index_offset = -2;
        p.second_chroma_qp_index_offset = 1;
        p.frame_num = 2;
        p.CurrPic = pic(20, 2, 0, 8);
        p.ReferenceFrames = [invalid(); 16];
        p
    }

    #[test]
    fn sps_from_picture_parameters() {
        let s = sps(va::VAProfileH264High, &pp());
        assert_eq!((s.profile_idc, s.constraint_set_flags), (100, 0));
        assert_eq!(s.chroma_format_idc, 1);
        assert_eq!(s.log2_max_frame_num_minus4, 0);
        assert_eq!(s.log2_max_pic_order_cnt_lsb_minus4, 3);
        assert_eq!(s.max_num_ref_frames, 4);
        assert_eq!(
            (s.pic_width_in_mbs_minus1, s.pic_height_in_map_units_minus1),
            (19, 14)
        );
        assert_eq!(
            s.flags,
            v4l2::V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY | v4l2::V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE
        );
        let cb = sps(va::VAProfileH264ConstrainedBaseline, &pp());
        assert_eq!((cb.profile_idc, cb.constraint_set_flags), (66, 3));
    }

    #[test]
    fn interlaced_sps_counts_map_units() {
        let mut p = pp();
        // SAFETY: reading the bit-field view of a union of plain integers.
        let mut seq = unsafe { p.seq_fields.bits };
        seq.set_frame_mbs_only_flag(0);
        seq.set_mb_adaptive_frame_field_flag(1);
        p.seq_fields.bits = seq;
        p.picture_height_in_mbs_minus1 = 33; // 34 MB rows in the frame = 17 map units
        let s = sps(va::VAProfileH264High, &p);
        assert_eq!(s.pic_height_in_map_units_minus1, 16);
        assert_ne!(
            s.flags & v4l2::V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD,
            0
        );
        assert_eq!(s.flags & v4l2::V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY, 0);
    }

    #[test]
    fn pps_from_picture_parameters_and_slice_header() {
        let h = SliceHeader {
            pic_parameter_set_id: 1,
            ..Default::default()
        };
        let p = pps(&pp(), &h, (2, 1), true);
        assert_eq!(p.pic_parameter_set_id, 1);
        assert_eq!(
            (
                p.num_ref_idx_l0_default_active_minus1,
                p.num_ref_idx_l1_default_active_minus1
            ),
            (2, 1)
        );
        assert_eq!(p.weighted_bipred_idc, 2);
        assert_eq!(
            (
                p.pic_init_qp_minus26,
                p.chroma_qp_index_offset,
                p.second_chroma_qp_index_offset
            ),
            (-3, -2, 1)
        );
        let want = v4l2::V4L2_H264_PPS_FLAG_ENTROPY_CODING_MODE
            | v4l2::V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE
            | v4l2::V4L2_H264_PPS_FLAG_WEIGHTED_PRED
            | v4l2::V4L2_H264_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT
            | v4l2::V4L2_H264_PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT
            | v4l2::V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT;
        assert_eq!(p.flags as u32, want);
    }

    #[test]
    fn dpb_has_only_decoded_references_with_pic_nums() {
        let mut p = pp();
        p.ReferenceFrames[0] = pic(10, 3, VA_PICTURE_H264_SHORT_TERM_REFERENCE, 6);
        p.ReferenceFrames[1] = pic(11, 1, VA_PICTURE_H264_LONG_TERM_REFERENCE, 2);
        p.ReferenceFrames[2] = pic(12, 1, 0, 4); // not a reference
        p.ReferenceFrames[3] = pic(13, 1, VA_PICTURE_H264_SHORT_TERM_REFERENCE, 4); // never decoded
        p.ReferenceFrames[4] = pic(
            14,
            1,
            VA_PICTURE_H264_SHORT_TERM_REFERENCE | VA_PICTURE_H264_TOP_FIELD,
            0,
        );
        let ts = Ts([(10, 1000), (11, 2000), (12, 3000), (14, 4000)]
            .into_iter()
            .collect());
        let h = SliceHeader {
            nal_ref_idc: 2,
            nal_unit_type: 1,
            slice_type: SLICE_B,
            pic_order_cnt_lsb: 8,
            dec_ref_pic_marking_bit_size: 1,
            pic_order_cnt_bit_size: 7,
            ..Default::default()
        };
        let d = decode_params(&p, &h, &ts, 0);
        let valid: Vec<_> = d
            .dpb
            .iter()
            .filter(|e| e.flags & v4l2::V4L2_H264_DPB_ENTRY_FLAG_VALID != 0)
            .collect();
        assert_eq!(valid.len(), 3);
        // Short-term, frame_num 3 > current 2: wraps (MaxFrameNum 16).
        assert_eq!(valid[0].reference_ts, 1000);
        assert_eq!(valid[0].pic_num as i32, 3 - 16);
        assert_eq!(valid[0].fields, v4l2::V4L2_H264_FRAME_REF as u8);
        assert_eq!(
            (
                valid[0].top_field_order_cnt,
                valid[0].bottom_field_order_cnt
            ),
            (6, 7)
        );
        // Long-term: LongTermPicNum = LongTermFrameIdx.
        assert_eq!(valid[1].reference_ts, 2000);
        assert_eq!(valid[1].pic_num, 1);
        assert_ne!(valid[1].flags & v4l2::V4L2_H264_DPB_ENTRY_FLAG_LONG_TERM, 0);
        // A single field.
        assert_eq!(valid[2].fields, v4l2::V4L2_H264_TOP_FIELD_REF as u8);
        assert_ne!(valid[2].flags & v4l2::V4L2_H264_DPB_ENTRY_FLAG_FIELD, 0);
        // Unused entries stay zero.
        assert!(d.dpb[3..]
            .iter()
            .all(|e| *e == v4l2::v4l2_h264_dpb_entry::default()));
        assert_eq!((d.nal_ref_idc, d.frame_num, d.pic_order_cnt_lsb), (2, 2, 8));
        assert_eq!((d.top_field_order_cnt, d.bottom_field_order_cnt), (8, 9));
        assert_eq!(
            (d.dec_ref_pic_marking_bit_size, d.pic_order_cnt_bit_size),
            (1, 7)
        );
        assert_eq!(d.flags, v4l2::V4L2_H264_DECODE_PARAM_FLAG_BFRAME);

        let idr = SliceHeader {
            nal_unit_type: 5,
            nal_ref_idc: 3,
            idr_pic_id: 7,
            slice_type: 2,
            ..Default::default()
        };
        let d = decode_params(&pp(), &idr, &ts, 0);
        assert_eq!(d.flags, v4l2::V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC);
        assert_eq!(d.idr_pic_id, 7);
    }

    #[test]
    fn slice_reference_lists_index_the_dpb() {
        let mut p = pp();
        p.ReferenceFrames[0] = pic(10, 1, VA_PICTURE_H264_SHORT_TERM_REFERENCE, 6);
        p.ReferenceFrames[1] = pic(11, 0, VA_PICTURE_H264_SHORT_TERM_REFERENCE, 2);
        let ts = Ts([(10, 1000), (11, 2000)].into_iter().collect());
        let h = SliceHeader {
            slice_type: SLICE_B,
            header_bit_size: 42,
            ..Default::default()
        };
        let d = decode_params(&p, &h, &ts, 0);
        // SAFETY: an all-zero VA slice parameter buffer is a valid value.
        let mut s: va::VASliceParameterBufferH264 = unsafe { std::mem::zeroed() };
        s.RefPicList0 = [invalid(); 32];
        s.RefPicList1 = [invalid(); 32];
        s.RefPicList0[0] = pic(11, 0, VA_PICTURE_H264_SHORT_TERM_REFERENCE, 2);
        s.RefPicList0[1] = pic(10, 1, VA_PICTURE_H264_SHORT_TERM_REFERENCE, 6);
        s.RefPicList1[0] = pic(10, 1, VA_PICTURE_H264_SHORT_TERM_REFERENCE, 6);
        s.num_ref_idx_l0_active_minus1 = 1;
        s.num_ref_idx_l1_active_minus1 = 0;
        s.first_mb_in_slice = 40;
        s.slice_qp_delta = -4;
        s.direct_spatial_mv_pred_flag = 1;
        let sp = slice_params(&s, &h, &d.dpb, &ts);
        assert_eq!(
            (sp.header_bit_size, sp.first_mb_in_slice, sp.slice_type),
            (50, 40, SLICE_B as u8)
        );
        assert_eq!(
            (sp.ref_pic_list0[2].fields, sp.ref_pic_list0[2].index),
            (0xff, 0xff)
        );
        assert_eq!(sp.slice_qp_delta, -4);
        assert_eq!(
            (sp.ref_pic_list0[0].index, sp.ref_pic_list0[1].index),
            (1, 0)
        );
        assert_eq!(sp.ref_pic_list0[0].fields, v4l2::V4L2_H264_FRAME_REF as u8);
        assert_eq!(sp.ref_pic_list1[0].index, 0);
        assert_eq!(sp.flags, v4l2::V4L2_H264_SLICE_FLAG_DIRECT_SPATIAL_MV_PRED);
    }

    #[test]
    fn scaling_lists_go_to_their_v4l2_slots() {
        // SAFETY: an all-zero IQ matrix buffer is a valid value.
        let mut iq: va::VAIQMatrixBufferH264 = unsafe { std::mem::zeroed() };
        for (i, l) in iq.ScalingList4x4.iter_mut().enumerate() {
            l.fill(i as u8 + 1);
        }
        iq.ScalingList8x8[0].fill(50); // intra Y
        iq.ScalingList8x8[1].fill(60); // inter Y
        iq.ScalingList8x8[0][1] = 7;
        let m = scaling_matrix(&iq);
        assert_eq!(m.scaling_list_4x4[5], [6; 16]);
        assert_eq!(m.scaling_list_8x8[0][1], 7); // raster order kept
        assert_eq!(m.scaling_list_8x8[1], [60; 64]);
        assert_eq!(m.scaling_list_8x8[2], [0; 64]);
        assert!(!is_flat(&iq));
        iq.ScalingList4x4 = [[16; 16]; 6];
        iq.ScalingList8x8 = [[16; 64]; 2];
        assert!(is_flat(&iq));
        assert_eq!(scaling_matrix(&iq).scaling_list_8x8, [[16; 64]; 6]);
    }

    #[test]
    fn pred_weights_copy_both_lists() {
        // SAFETY: an all-zero VA slice parameter buffer is a valid value.
        let mut s: va::VASliceParameterBufferH264 = unsafe { std::mem::zeroed() };
        s.luma_log2_weight_denom = 5;
        s.chroma_log2_weight_denom = 3;
        s.luma_weight_l0[2] = 40;
        s.chroma_offset_l1[1] = [-3, 4];
        let w = pred_weights(&s, true, SLICE_B);
        assert_eq!(pred_weights(&s, false, SLICE_B), Default::default());
        assert_eq!(
            pred_weights(&s, true, SLICE_P).weight_factors[1],
            Default::default()
        );
        assert_eq!(
            (w.luma_log2_weight_denom, w.chroma_log2_weight_denom),
            (5, 3)
        );
        assert_eq!(w.weight_factors[0].luma_weight[2], 40);
        assert_eq!(w.weight_factors[1].chroma_offset[1], [-3, 4]);
        assert!(needs_pred_weights(&pp(), SLICE_P));
        assert!(!needs_pred_weights(&pp(), SLICE_B)); // weighted_bipred_idc 2 is implicit
    }
}
