//! VA-API HEVC parameters → V4L2 stateless HEVC controls: SPS, PPS, SLICE_PARAMS,
//! SCALING_MATRIX and DECODE_PARAMS (DPB named by reference timestamps). Pure functions over
//! plain data.
//!
//! What VA does not carry comes from the slice header ([`super::slice_header`]: NAL type,
//! temporal id, PPS id, RPS sizes, `no_output_of_prior_pics`), is inferred (PPS
//! uniform-spacing and deblocking-control-present flags), or is left 0 (VPS/SPS ids,
//! `sps_max_num_reorder_pics`, `sps_max_latency_increase_plus1`, `sps_max_sub_layers_minus1`,
//! `pic_struct`); driver/README.md lists them.

use v4l2r::bindings as v4l2;

use super::slice_header::{ceil_log2, ParseParams, SliceHeader, TailParams};
use crate::va;

pub type PicFields = va::_VAPictureParameterBufferHEVC__bindgen_ty_1__bindgen_ty_1;
pub type SliceParsingFields = va::_VAPictureParameterBufferHEVC__bindgen_ty_2__bindgen_ty_1;
pub type SliceFields = va::_VASliceParameterBufferHEVC__bindgen_ty_1__bindgen_ty_1;

/// VA's bit-field unions, read once.
pub fn fields(p: &va::VAPictureParameterBufferHEVC) -> (PicFields, SliceParsingFields) {
    // SAFETY: both union members are plain integer bit-fields of the union's size: any bit
    // pattern is a valid value of `bits`.
    unsafe { (p.pic_fields.bits, p.slice_parsing_fields.bits) }
}

pub fn slice_fields(s: &va::VASliceParameterBufferHEVC) -> SliceFields {
    // SAFETY: as in `fields`.
    unsafe { s.LongSliceFlags.fields }
}

/// Log2 of the CTB size and the picture size in CTBs (width, height).
fn ctbs(p: &va::VAPictureParameterBufferHEVC) -> (u32, u32, u32) {
    let log2_ctb = p.log2_min_luma_coding_block_size_minus3 as u32
        + 3
        + p.log2_diff_max_min_luma_coding_block_size as u32;
    let size = 1u32 << log2_ctb;
    (
        log2_ctb,
        (p.pic_width_in_luma_samples as u32).div_ceil(size),
        (p.pic_height_in_luma_samples as u32).div_ceil(size),
    )
}

pub fn parse_params(p: &va::VAPictureParameterBufferHEVC) -> ParseParams {
    let (f, sp) = fields(p);
    let (_, w, h) = ctbs(p);
    ParseParams {
        dependent_slice_segments_enabled: sp.dependent_slice_segments_enabled_flag() != 0,
        slice_segment_address_bits: ceil_log2(w * h),
        num_extra_slice_header_bits: p.num_extra_slice_header_bits as u32,
        output_flag_present: sp.output_flag_present_flag() != 0,
        separate_colour_plane: f.separate_colour_plane_flag() != 0,
        log2_max_pic_order_cnt_lsb: p.log2_max_pic_order_cnt_lsb_minus4 as u32 + 4,
        num_short_term_ref_pic_sets: p.num_short_term_ref_pic_sets as u32,
        long_term_ref_pics_present: sp.long_term_ref_pics_present_flag() != 0,
        num_long_term_ref_pics_sps: p.num_long_term_ref_pic_sps as u32,
        st_rps_bits: p.st_rps_bits,
        tail: TailParams {
            sps_temporal_mvp_enabled: sp.sps_temporal_mvp_enabled_flag() != 0,
            sample_adaptive_offset_enabled: sp.sample_adaptive_offset_enabled_flag() != 0,
            chroma_array_type: if f.separate_colour_plane_flag() != 0 {
                0
            } else {
                f.chroma_format_idc()
            },
            lists_modification_present: sp.lists_modification_present_flag() != 0,
            num_pic_total_curr: p
                .ReferenceFrames
                .iter()
                .filter(|r| {
                    r.flags & va::VA_PICTURE_HEVC_INVALID == 0
                        && r.flags
                            & (va::VA_PICTURE_HEVC_RPS_ST_CURR_BEFORE
                                | va::VA_PICTURE_HEVC_RPS_ST_CURR_AFTER
                                | va::VA_PICTURE_HEVC_RPS_LT_CURR)
                            != 0
                })
                .count() as u32,
            num_ref_idx_l0_default_active_minus1: p.num_ref_idx_l0_default_active_minus1 as u32,
            num_ref_idx_l1_default_active_minus1: p.num_ref_idx_l1_default_active_minus1 as u32,
            cabac_init_present: sp.cabac_init_present_flag() != 0,
            weighted_pred: f.weighted_pred_flag() != 0,
            weighted_bipred: f.weighted_bipred_flag() != 0,
            pps_slice_chroma_qp_offsets_present: sp.pps_slice_chroma_qp_offsets_present_flag() != 0,
            deblocking_filter_override_enabled: sp.deblocking_filter_override_enabled_flag() != 0,
            pps_disable_deblocking_filter: sp.pps_disable_deblocking_filter_flag() != 0,
            pps_loop_filter_across_slices_enabled: f.pps_loop_filter_across_slices_enabled_flag()
                != 0,
            entry_points: f.tiles_enabled_flag() != 0 || f.entropy_coding_sync_enabled_flag() != 0,
        },
    }
}

fn flag(on: u32, bit: u32) -> u64 {
    if on != 0 {
        bit as u64
    } else {
        0
    }
}

pub fn sps(p: &va::VAPictureParameterBufferHEVC) -> v4l2::v4l2_ctrl_hevc_sps {
    let (f, sp) = fields(p);
    let pcm = f.pcm_enabled_flag() != 0;
    let flags = flag(
        f.separate_colour_plane_flag(),
        v4l2::V4L2_HEVC_SPS_FLAG_SEPARATE_COLOUR_PLANE,
    ) | flag(
        f.scaling_list_enabled_flag(),
        v4l2::V4L2_HEVC_SPS_FLAG_SCALING_LIST_ENABLED,
    ) | flag(f.amp_enabled_flag(), v4l2::V4L2_HEVC_SPS_FLAG_AMP_ENABLED)
        | flag(
            sp.sample_adaptive_offset_enabled_flag(),
            v4l2::V4L2_HEVC_SPS_FLAG_SAMPLE_ADAPTIVE_OFFSET,
        )
        | flag(f.pcm_enabled_flag(), v4l2::V4L2_HEVC_SPS_FLAG_PCM_ENABLED)
        | flag(
            f.pcm_loop_filter_disabled_flag() & pcm as u32,
            v4l2::V4L2_HEVC_SPS_FLAG_PCM_LOOP_FILTER_DISABLED,
        )
        | flag(
            sp.long_term_ref_pics_present_flag(),
            v4l2::V4L2_HEVC_SPS_FLAG_LONG_TERM_REF_PICS_PRESENT,
        )
        | flag(
            sp.sps_temporal_mvp_enabled_flag(),
            v4l2::V4L2_HEVC_SPS_FLAG_SPS_TEMPORAL_MVP_ENABLED,
        )
        | flag(
            f.strong_intra_smoothing_enabled_flag(),
            v4l2::V4L2_HEVC_SPS_FLAG_STRONG_INTRA_SMOOTHING_ENABLED,
        );
    // PCM fields are meaningless (and filled with garbage by some clients) when PCM is off.
    let pcm_field = |v: u8| if pcm { v } else { 0 };
    v4l2::v4l2_ctrl_hevc_sps {
        video_parameter_set_id: 0,
        seq_parameter_set_id: 0,
        pic_width_in_luma_samples: p.pic_width_in_luma_samples,
        pic_height_in_luma_samples: p.pic_height_in_luma_samples,
        bit_depth_luma_minus8: p.bit_depth_luma_minus8,
        bit_depth_chroma_minus8: p.bit_depth_chroma_minus8,
        log2_max_pic_order_cnt_lsb_minus4: p.log2_max_pic_order_cnt_lsb_minus4,
        sps_max_dec_pic_buffering_minus1: p.sps_max_dec_pic_buffering_minus1,
        sps_max_num_reorder_pics: 0,
        sps_max_latency_increase_plus1: 0,
        log2_min_luma_coding_block_size_minus3: p.log2_min_luma_coding_block_size_minus3,
        log2_diff_max_min_luma_coding_block_size: p.log2_diff_max_min_luma_coding_block_size,
        log2_min_luma_transform_block_size_minus2: p.log2_min_transform_block_size_minus2,
        log2_diff_max_min_luma_transform_block_size: p.log2_diff_max_min_transform_block_size,
        max_transform_hierarchy_depth_inter: p.max_transform_hierarchy_depth_inter,
        max_transform_hierarchy_depth_intra: p.max_transform_hierarchy_depth_intra,
        pcm_sample_bit_depth_luma_minus1: pcm_field(p.pcm_sample_bit_depth_luma_minus1),
        pcm_sample_bit_depth_chroma_minus1: pcm_field(p.pcm_sample_bit_depth_chroma_minus1),
        log2_min_pcm_luma_coding_block_size_minus3: pcm_field(
            p.log2_min_pcm_luma_coding_block_size_minus3,
        ),
        log2_diff_max_min_pcm_luma_coding_block_size: pcm_field(
            p.log2_diff_max_min_pcm_luma_coding_block_size,
        ),
        num_short_term_ref_pic_sets: p.num_short_term_ref_pic_sets,
        num_long_term_ref_pics_sps: p.num_long_term_ref_pic_sps,
        chroma_format_idc: f.chroma_format_idc() as u8,
        sps_max_sub_layers_minus1: 0,
        reserved: [0; 6],
        flags,
    }
}

/// Whether `sizes` (tile column widths or row heights in CTBs, minus 1) are the uniform
/// spacing of `total` CTBs (H.265 6.5.1), which VA does not say.
fn uniform(sizes: &[u16], total: u32) -> bool {
    let n = sizes.len() as u32;
    sizes
        .iter()
        .enumerate()
        .all(|(i, &s)| s as u32 + 1 == ((i as u32 + 1) * total) / n - (i as u32 * total) / n)
}

pub fn pps(p: &va::VAPictureParameterBufferHEVC, h: &SliceHeader) -> v4l2::v4l2_ctrl_hevc_pps {
    let (f, sp) = fields(p);
    let tiles = f.tiles_enabled_flag() != 0;
    let (_, w, hgt) = ctbs(p);
    let (cols, rows) = (
        p.num_tile_columns_minus1 as usize + 1,
        p.num_tile_rows_minus1 as usize + 1,
    );
    let mut column_width_minus1 = [0u8; 20];
    let mut row_height_minus1 = [0u8; 22];
    // uniform_spacing_flag is inferred 1 when tiles are off.
    let mut uniform_spacing = true;
    if tiles {
        let cols = cols.min(20);
        let rows = rows.min(22);
        for (d, s) in column_width_minus1
            .iter_mut()
            .zip(&p.column_width_minus1[..cols])
        {
            *d = *s as u8;
        }
        for (d, s) in row_height_minus1
            .iter_mut()
            .zip(&p.row_height_minus1[..rows])
        {
            *d = *s as u8;
        }
        uniform_spacing = uniform(&p.column_width_minus1[..cols], w)
            && uniform(&p.row_height_minus1[..rows], hgt);
    }
    // deblocking_filter_control_present_flag: implied by any of what it gates.
    let deblocking_control = sp.deblocking_filter_override_enabled_flag() != 0
        || sp.pps_disable_deblocking_filter_flag() != 0
        || p.pps_beta_offset_div2 != 0
        || p.pps_tc_offset_div2 != 0;
    let flags = flag(
        sp.dependent_slice_segments_enabled_flag(),
        v4l2::V4L2_HEVC_PPS_FLAG_DEPENDENT_SLICE_SEGMENT_ENABLED,
    ) | flag(
        sp.output_flag_present_flag(),
        v4l2::V4L2_HEVC_PPS_FLAG_OUTPUT_FLAG_PRESENT,
    ) | flag(
        f.sign_data_hiding_enabled_flag(),
        v4l2::V4L2_HEVC_PPS_FLAG_SIGN_DATA_HIDING_ENABLED,
    ) | flag(
        sp.cabac_init_present_flag(),
        v4l2::V4L2_HEVC_PPS_FLAG_CABAC_INIT_PRESENT,
    ) | flag(
        f.constrained_intra_pred_flag(),
        v4l2::V4L2_HEVC_PPS_FLAG_CONSTRAINED_INTRA_PRED,
    ) | flag(
        f.transform_skip_enabled_flag(),
        v4l2::V4L2_HEVC_PPS_FLAG_TRANSFORM_SKIP_ENABLED,
    ) | flag(
        f.cu_qp_delta_enabled_flag(),
        v4l2::V4L2_HEVC_PPS_FLAG_CU_QP_DELTA_ENABLED,
    ) | flag(
        sp.pps_slice_chroma_qp_offsets_present_flag(),
        v4l2::V4L2_HEVC_PPS_FLAG_PPS_SLICE_CHROMA_QP_OFFSETS_PRESENT,
    ) | flag(
        f.weighted_pred_flag(),
        v4l2::V4L2_HEVC_PPS_FLAG_WEIGHTED_PRED,
    ) | flag(
        f.weighted_bipred_flag(),
        v4l2::V4L2_HEVC_PPS_FLAG_WEIGHTED_BIPRED,
    ) | flag(
        f.transquant_bypass_enabled_flag(),
        v4l2::V4L2_HEVC_PPS_FLAG_TRANSQUANT_BYPASS_ENABLED,
    ) | flag(
        f.tiles_enabled_flag(),
        v4l2::V4L2_HEVC_PPS_FLAG_TILES_ENABLED,
    ) | flag(
        f.entropy_coding_sync_enabled_flag(),
        v4l2::V4L2_HEVC_PPS_FLAG_ENTROPY_CODING_SYNC_ENABLED,
    ) | flag(
        f.loop_filter_across_tiles_enabled_flag(),
        v4l2::V4L2_HEVC_PPS_FLAG_LOOP_FILTER_ACROSS_TILES_ENABLED,
    ) | flag(
        f.pps_loop_filter_across_slices_enabled_flag(),
        v4l2::V4L2_HEVC_PPS_FLAG_PPS_LOOP_FILTER_ACROSS_SLICES_ENABLED,
    ) | flag(
        sp.deblocking_filter_override_enabled_flag(),
        v4l2::V4L2_HEVC_PPS_FLAG_DEBLOCKING_FILTER_OVERRIDE_ENABLED,
    ) | flag(
        sp.pps_disable_deblocking_filter_flag(),
        v4l2::V4L2_HEVC_PPS_FLAG_PPS_DISABLE_DEBLOCKING_FILTER,
    ) | flag(
        sp.lists_modification_present_flag(),
        v4l2::V4L2_HEVC_PPS_FLAG_LISTS_MODIFICATION_PRESENT,
    ) | flag(
        sp.slice_segment_header_extension_present_flag(),
        v4l2::V4L2_HEVC_PPS_FLAG_SLICE_SEGMENT_HEADER_EXTENSION_PRESENT,
    ) | flag(
        deblocking_control as u32,
        v4l2::V4L2_HEVC_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT,
    ) | flag(
        uniform_spacing as u32,
        v4l2::V4L2_HEVC_PPS_FLAG_UNIFORM_SPACING,
    );
    v4l2::v4l2_ctrl_hevc_pps {
        pic_parameter_set_id: h.pic_parameter_set_id as u8,
        num_extra_slice_header_bits: p.num_extra_slice_header_bits,
        num_ref_idx_l0_default_active_minus1: p.num_ref_idx_l0_default_active_minus1,
        num_ref_idx_l1_default_active_minus1: p.num_ref_idx_l1_default_active_minus1,
        init_qp_minus26: p.init_qp_minus26,
        diff_cu_qp_delta_depth: p.diff_cu_qp_delta_depth,
        pps_cb_qp_offset: p.pps_cb_qp_offset,
        pps_cr_qp_offset: p.pps_cr_qp_offset,
        num_tile_columns_minus1: if tiles { p.num_tile_columns_minus1 } else { 0 },
        num_tile_rows_minus1: if tiles { p.num_tile_rows_minus1 } else { 0 },
        column_width_minus1,
        row_height_minus1,
        pps_beta_offset_div2: p.pps_beta_offset_div2,
        pps_tc_offset_div2: p.pps_tc_offset_div2,
        log2_parallel_merge_level_minus2: p.log2_parallel_merge_level_minus2,
        reserved: 0,
        flags,
    }
}

/// VA's IQ matrix (already in raster order) as V4L2's.
pub fn scaling_matrix(iq: &va::VAIQMatrixBufferHEVC) -> v4l2::v4l2_ctrl_hevc_scaling_matrix {
    v4l2::v4l2_ctrl_hevc_scaling_matrix {
        scaling_list_4x4: iq.ScalingList4x4,
        scaling_list_8x8: iq.ScalingList8x8,
        scaling_list_16x16: iq.ScalingList16x16,
        scaling_list_32x32: iq.ScalingList32x32,
        scaling_list_dc_coef_16x16: iq.ScalingListDC16x16,
        scaling_list_dc_coef_32x32: iq.ScalingListDC32x32,
    }
}

/// The DPB: VA's valid reference frames in decode order (their surfaces' last decode
/// timestamps, which name them), as GStreamer keeps its DPB; `index[i]` is the DPB index of
/// `ReferenceFrames[i]` (0xff when not in it).
pub struct Dpb {
    pub entries: Vec<v4l2::v4l2_hevc_dpb_entry>,
    pub index: [u8; 15],
}

pub fn dpb(
    p: &va::VAPictureParameterBufferHEVC,
    timestamp: impl Fn(va::VASurfaceID) -> Option<u64>,
) -> Dpb {
    let mut refs: Vec<(usize, v4l2::v4l2_hevc_dpb_entry)> = p
        .ReferenceFrames
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.flags & va::VA_PICTURE_HEVC_INVALID == 0 && r.picture_id != va::VA_INVALID_SURFACE
        })
        .map(|(i, r)| {
            let entry = v4l2::v4l2_hevc_dpb_entry {
                // A reference never decoded here is named by a timestamp no buffer carries.
                timestamp: timestamp(r.picture_id).unwrap_or(u64::MAX),
                flags: if r.flags & va::VA_PICTURE_HEVC_LONG_TERM_REFERENCE != 0 {
                    v4l2::V4L2_HEVC_DPB_ENTRY_LONG_TERM_REFERENCE as u8
                } else {
                    0
                },
                field_pic: 0,
                reserved: 0,
                pic_order_cnt_val: r.pic_order_cnt,
            };
            (i, entry)
        })
        .collect();
    refs.sort_by_key(|(_, e)| e.timestamp);
    refs.truncate(v4l2::V4L2_HEVC_DPB_ENTRIES_NUM_MAX as usize);
    let mut index = [0xff; 15];
    for (k, (i, _)) in refs.iter().enumerate() {
        index[*i] = k as u8;
    }
    Dpb {
        entries: refs.into_iter().map(|(_, e)| e).collect(),
        index,
    }
}

pub fn decode_params(
    p: &va::VAPictureParameterBufferHEVC,
    h: &SliceHeader,
    dpb: &Dpb,
) -> v4l2::v4l2_ctrl_hevc_decode_params {
    let mut dp = v4l2::v4l2_ctrl_hevc_decode_params {
        pic_order_cnt_val: p.CurrPic.pic_order_cnt,
        short_term_ref_pic_set_size: p.st_rps_bits as u16,
        long_term_ref_pic_set_size: h.long_term_ref_pic_set_size as u16,
        num_active_dpb_entries: dpb.entries.len() as u8,
        num_delta_pocs_of_ref_rps_idx: h.num_delta_pocs_of_ref_rps_idx as u8,
        flags: flag(
            h.is_irap() as u32,
            v4l2::V4L2_HEVC_DECODE_PARAM_FLAG_IRAP_PIC,
        ) | flag(h.is_idr() as u32, v4l2::V4L2_HEVC_DECODE_PARAM_FLAG_IDR_PIC)
            | flag(
                h.no_output_of_prior_pics as u32,
                v4l2::V4L2_HEVC_DECODE_PARAM_FLAG_NO_OUTPUT_OF_PRIOR,
            ),
        ..Default::default()
    };
    for (e, d) in dp.dpb.iter_mut().zip(&dpb.entries) {
        *e = *d;
    }
    // The RPS lists in the order the slice header gives them: before the current picture
    // closest first (decreasing POC), after it closest first (increasing POC).
    let list = |flag: u32| {
        let mut l: Vec<(i32, u8)> = p
            .ReferenceFrames
            .iter()
            .zip(dpb.index)
            .filter(|(r, idx)| *idx != 0xff && r.flags & flag != 0)
            .map(|(r, idx)| (r.pic_order_cnt, idx))
            .collect();
        l.sort_by_key(|&(poc, _)| poc);
        l
    };
    let fill = |dst: &mut [u8; 16], src: &mut dyn Iterator<Item = u8>| -> u8 {
        *dst = [0xff; 16];
        let mut n = 0;
        for (d, s) in dst.iter_mut().zip(src) {
            *d = s;
            n += 1;
        }
        n
    };
    dp.num_poc_st_curr_before = fill(
        &mut dp.poc_st_curr_before,
        &mut list(va::VA_PICTURE_HEVC_RPS_ST_CURR_BEFORE)
            .into_iter()
            .rev()
            .map(|e| e.1),
    );
    dp.num_poc_st_curr_after = fill(
        &mut dp.poc_st_curr_after,
        &mut list(va::VA_PICTURE_HEVC_RPS_ST_CURR_AFTER)
            .into_iter()
            .map(|e| e.1),
    );
    dp.num_poc_lt_curr = fill(
        &mut dp.poc_lt_curr,
        &mut list(va::VA_PICTURE_HEVC_RPS_LT_CURR)
            .into_iter()
            .map(|e| e.1),
    );
    dp
}

/// SLICE_PARAMS of one slice: `bit_size` and `data_byte_offset` are of the bytes sent to the
/// device (start code included when there is one).
pub fn slice_params(
    p: &va::VAPictureParameterBufferHEVC,
    s: &va::VASliceParameterBufferHEVC,
    h: &SliceHeader,
    dpb: &Dpb,
    bit_size: u32,
    data_byte_offset: u32,
) -> v4l2::v4l2_ctrl_hevc_slice_params {
    let f = slice_fields(s);
    let flags = flag(
        f.slice_sao_luma_flag(),
        v4l2::V4L2_HEVC_SLICE_PARAMS_FLAG_SLICE_SAO_LUMA,
    ) | flag(
        f.slice_sao_chroma_flag(),
        v4l2::V4L2_HEVC_SLICE_PARAMS_FLAG_SLICE_SAO_CHROMA,
    ) | flag(
        f.slice_temporal_mvp_enabled_flag(),
        v4l2::V4L2_HEVC_SLICE_PARAMS_FLAG_SLICE_TEMPORAL_MVP_ENABLED,
    ) | flag(
        f.mvd_l1_zero_flag(),
        v4l2::V4L2_HEVC_SLICE_PARAMS_FLAG_MVD_L1_ZERO,
    ) | flag(
        f.cabac_init_flag(),
        v4l2::V4L2_HEVC_SLICE_PARAMS_FLAG_CABAC_INIT,
    ) | flag(
        f.collocated_from_l0_flag(),
        v4l2::V4L2_HEVC_SLICE_PARAMS_FLAG_COLLOCATED_FROM_L0,
    ) | flag(
        f.slice_deblocking_filter_disabled_flag(),
        v4l2::V4L2_HEVC_SLICE_PARAMS_FLAG_SLICE_DEBLOCKING_FILTER_DISABLED,
    ) | flag(
        f.slice_loop_filter_across_slices_enabled_flag(),
        v4l2::V4L2_HEVC_SLICE_PARAMS_FLAG_SLICE_LOOP_FILTER_ACROSS_SLICES_ENABLED,
    ) | flag(
        f.dependent_slice_segment_flag(),
        v4l2::V4L2_HEVC_SLICE_PARAMS_FLAG_DEPENDENT_SLICE_SEGMENT,
    );
    let slice_type = f.slice_type();
    let map = |list: &[u8; 15], active: Option<u8>| {
        let mut out = [0xffu8; 16];
        if let Some(n) = active {
            for (o, &r) in out.iter_mut().zip(list.iter()).take(n as usize + 1) {
                if let Some(&i) = dpb.index.get(r as usize) {
                    *o = i;
                }
            }
        }
        out
    };
    // B = 0, P = 1, I = 2: P and B slices use list 0, B slices list 1.
    let l0 = (slice_type < 2).then_some(s.num_ref_idx_l0_active_minus1);
    let l1 = (slice_type == 0).then_some(s.num_ref_idx_l1_active_minus1);
    let mut pw = v4l2::v4l2_hevc_pred_weight_table {
        luma_log2_weight_denom: s.luma_log2_weight_denom,
        delta_chroma_log2_weight_denom: s.delta_chroma_log2_weight_denom,
        ..Default::default()
    };
    pw.delta_luma_weight_l0[..15].copy_from_slice(&s.delta_luma_weight_l0);
    pw.luma_offset_l0[..15].copy_from_slice(&s.luma_offset_l0);
    pw.delta_chroma_weight_l0[..15].copy_from_slice(&s.delta_chroma_weight_l0);
    pw.chroma_offset_l0[..15].copy_from_slice(&s.ChromaOffsetL0);
    pw.delta_luma_weight_l1[..15].copy_from_slice(&s.delta_luma_weight_l1);
    pw.luma_offset_l1[..15].copy_from_slice(&s.luma_offset_l1);
    pw.delta_chroma_weight_l1[..15].copy_from_slice(&s.delta_chroma_weight_l1);
    pw.chroma_offset_l1[..15].copy_from_slice(&s.ChromaOffsetL1);
    v4l2::v4l2_ctrl_hevc_slice_params {
        bit_size,
        data_byte_offset,
        num_entry_point_offsets: h
            .num_entry_point_offsets
            .unwrap_or(s.num_entry_point_offsets as u32),
        nal_unit_type: h.nal_unit_type,
        nuh_temporal_id_plus1: h.nuh_temporal_id_plus1,
        slice_type: slice_type as u8,
        colour_plane_id: f.color_plane_id() as u8,
        slice_pic_order_cnt: p.CurrPic.pic_order_cnt,
        num_ref_idx_l0_active_minus1: if l0.is_some() {
            s.num_ref_idx_l0_active_minus1
        } else {
            0
        },
        num_ref_idx_l1_active_minus1: if l1.is_some() {
            s.num_ref_idx_l1_active_minus1
        } else {
            0
        },
        collocated_ref_idx: if s.collocated_ref_idx == 0xff {
            0
        } else {
            s.collocated_ref_idx
        },
        five_minus_max_num_merge_cand: s.five_minus_max_num_merge_cand,
        slice_qp_delta: s.slice_qp_delta,
        slice_cb_qp_offset: s.slice_cb_qp_offset,
        slice_cr_qp_offset: s.slice_cr_qp_offset,
        slice_beta_offset_div2: s.slice_beta_offset_div2,
        slice_tc_offset_div2: s.slice_tc_offset_div2,
        slice_segment_addr: s.slice_segment_address,
        ref_idx_l0: map(&s.RefPicList[0], l0),
        ref_idx_l1: map(&s.RefPicList[1], l1),
        short_term_ref_pic_set_size: p.st_rps_bits as u16,
        long_term_ref_pic_set_size: h.long_term_ref_pic_set_size as u16,
        pred_weight_table: pw,
        flags,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pic(id: u32, poc: i32, flags: u32) -> va::VAPictureHEVC {
        va::VAPictureHEVC {
            picture_id: id,
            pic_order_cnt: poc,
            flags,
            ..Default::default()
        }
    }

    #[test]
    fn dpb_in_decode_order_and_rps_lists_closest_first() {
        let mut p = va::VAPictureParameterBufferHEVC {
            CurrPic: pic(9, 6, 0),
            ..Default::default()
        };
        for r in p.ReferenceFrames.iter_mut() {
            *r = pic(va::VA_INVALID_SURFACE, 0, va::VA_PICTURE_HEVC_INVALID);
        }
        // VA order: POC 8 (decoded 2nd), POC 0 (1st), POC 4 (4th), POC 2 (3rd).
        p.ReferenceFrames[0] = pic(1, 8, va::VA_PICTURE_HEVC_RPS_ST_CURR_AFTER);
        p.ReferenceFrames[1] = pic(2, 0, 0);
        p.ReferenceFrames[3] = pic(3, 4, va::VA_PICTURE_HEVC_RPS_ST_CURR_BEFORE);
        p.ReferenceFrames[4] = pic(4, 2, va::VA_PICTURE_HEVC_RPS_ST_CURR_BEFORE);
        let decoded = |s: va::VASurfaceID| Some([0, 200, 100, 400, 300][s as usize]);
        let d = dpb(&p, decoded);
        let pocs: Vec<i32> = d.entries.iter().map(|e| e.pic_order_cnt_val).collect();
        assert_eq!(pocs, [0, 8, 2, 4]);
        assert_eq!(d.index[..5], [1, 0, 0xff, 3, 2]);
        let dp = decode_params(&p, &SliceHeader::default(), &d);
        assert_eq!(dp.num_active_dpb_entries, 4);
        assert_eq!(dp.pic_order_cnt_val, 6);
        // Before: POC 4 then 2; after: POC 8; unused entries 0xff.
        assert_eq!(dp.num_poc_st_curr_before, 2);
        assert_eq!(dp.poc_st_curr_before[..3], [3, 2, 0xff]);
        assert_eq!(dp.num_poc_st_curr_after, 1);
        assert_eq!(dp.poc_st_curr_after[..2], [1, 0xff]);
        assert_eq!((dp.num_poc_lt_curr, dp.poc_lt_curr[0]), (0, 0xff));
    }

    #[test]
    fn uniform_tile_spacing_is_recognised() {
        // 10 CTBs in 3 columns: 3, 3, 4 uniformly.
        assert!(uniform(&[2, 2, 3], 10));
        assert!(!uniform(&[3, 3, 2], 10));
    }
}
