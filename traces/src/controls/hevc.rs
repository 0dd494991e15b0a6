//! HEVC stateless controls (`V4L2_CID_STATELESS_HEVC_*`) and the HDR10 colorimetry controls
//! HEVC streams carry: Rust mirrors of the 6.12 uapi structs, one-line summaries, and the
//! flattening visl's `visl_hevc_controls` events print
//! (drivers/media/test-drivers/visl/visl-trace-hevc.h).
//! SLICE_PARAMS and ENTRY_POINT_OFFSETS are dynamic arrays (one element per slice / per entry
//! point) and decode to `Vec`s.

use super::visl_fmt as vf;
#[cfg(any(test, feature = "testing"))]
use super::visl_fmt::kv;
use super::wire::{wire_struct, FlagTable, ParseResult, Reader, Wire};

/// `V4L2_HEVC_SPS_FLAG_*`.
pub const SPS_FLAGS: FlagTable = &[
    (1 << 0, "SEPARATE_COLOUR_PLANE"),
    (1 << 1, "SCALING_LIST_ENABLED"),
    (1 << 2, "AMP_ENABLED"),
    (1 << 3, "SAMPLE_ADAPTIVE_OFFSET"),
    (1 << 4, "PCM_ENABLED"),
    (1 << 5, "PCM_LOOP_FILTER_DISABLED"),
    (1 << 6, "LONG_TERM_REF_PICS_PRESENT"),
    (1 << 7, "SPS_TEMPORAL_MVP_ENABLED"),
    (1 << 8, "STRONG_INTRA_SMOOTHING_ENABLED"),
];

/// `V4L2_HEVC_PPS_FLAG_*`.
pub const PPS_FLAGS: FlagTable = &[
    (1 << 0, "DEPENDENT_SLICE_SEGMENT_ENABLED"),
    (1 << 1, "OUTPUT_FLAG_PRESENT"),
    (1 << 2, "SIGN_DATA_HIDING_ENABLED"),
    (1 << 3, "CABAC_INIT_PRESENT"),
    (1 << 4, "CONSTRAINED_INTRA_PRED"),
    (1 << 5, "TRANSFORM_SKIP_ENABLED"),
    (1 << 6, "CU_QP_DELTA_ENABLED"),
    (1 << 7, "PPS_SLICE_CHROMA_QP_OFFSETS_PRESENT"),
    (1 << 8, "WEIGHTED_PRED"),
    (1 << 9, "WEIGHTED_BIPRED"),
    (1 << 10, "TRANSQUANT_BYPASS_ENABLED"),
    (1 << 11, "TILES_ENABLED"),
    (1 << 12, "ENTROPY_CODING_SYNC_ENABLED"),
    (1 << 13, "LOOP_FILTER_ACROSS_TILES_ENABLED"),
    (1 << 14, "PPS_LOOP_FILTER_ACROSS_SLICES_ENABLED"),
    (1 << 15, "DEBLOCKING_FILTER_OVERRIDE_ENABLED"),
    (1 << 16, "PPS_DISABLE_DEBLOCKING_FILTER"),
    (1 << 17, "LISTS_MODIFICATION_PRESENT"),
    (1 << 18, "SLICE_SEGMENT_HEADER_EXTENSION_PRESENT"),
    (1 << 19, "DEBLOCKING_FILTER_CONTROL_PRESENT"),
    (1 << 20, "UNIFORM_SPACING"),
];

/// `V4L2_HEVC_SLICE_PARAMS_FLAG_*`.
pub const SLICE_FLAGS: FlagTable = &[
    (1 << 0, "SLICE_SAO_LUMA"),
    (1 << 1, "SLICE_SAO_CHROMA"),
    (1 << 2, "SLICE_TEMPORAL_MVP_ENABLED"),
    (1 << 3, "MVD_L1_ZERO"),
    (1 << 4, "CABAC_INIT"),
    (1 << 5, "COLLOCATED_FROM_L0"),
    (1 << 6, "USE_INTEGER_MV"),
    (1 << 7, "SLICE_DEBLOCKING_FILTER_DISABLED"),
    (1 << 8, "SLICE_LOOP_FILTER_ACROSS_SLICES_ENABLED"),
    (1 << 9, "DEPENDENT_SLICE_SEGMENT"),
];

/// `V4L2_HEVC_DPB_ENTRY_*`.
pub const DPB_FLAGS: FlagTable = &[(0x01, "LONG_TERM_REFERENCE")];

/// `V4L2_HEVC_DECODE_PARAM_FLAG_*`.
pub const DECODE_FLAGS: FlagTable = &[
    (0x1, "IRAP_PIC"),
    (0x2, "IDR_PIC"),
    (0x4, "NO_OUTPUT_OF_PRIOR"),
];

/// `V4L2_HEVC_SLICE_TYPE_*`.
pub const SLICE_TYPES: FlagTable = &[(0, "B"), (1, "P"), (2, "I")];

wire_struct! {
    /// `struct v4l2_ctrl_hevc_sps`.
    pub struct HevcSps = "v4l2_ctrl_hevc_sps" {
        pub video_parameter_set_id: u8,
        pub seq_parameter_set_id: u8,
        pub pic_width_in_luma_samples: u16,
        pub pic_height_in_luma_samples: u16,
        pub bit_depth_luma_minus8: u8,
        pub bit_depth_chroma_minus8: u8,
        pub log2_max_pic_order_cnt_lsb_minus4: u8,
        pub sps_max_dec_pic_buffering_minus1: u8,
        pub sps_max_num_reorder_pics: u8,
        pub sps_max_latency_increase_plus1: u8,
        pub log2_min_luma_coding_block_size_minus3: u8,
        pub log2_diff_max_min_luma_coding_block_size: u8,
        pub log2_min_luma_transform_block_size_minus2: u8,
        pub log2_diff_max_min_luma_transform_block_size: u8,
        pub max_transform_hierarchy_depth_inter: u8,
        pub max_transform_hierarchy_depth_intra: u8,
        pub pcm_sample_bit_depth_luma_minus1: u8,
        pub pcm_sample_bit_depth_chroma_minus1: u8,
        pub log2_min_pcm_luma_coding_block_size_minus3: u8,
        pub log2_diff_max_min_pcm_luma_coding_block_size: u8,
        pub num_short_term_ref_pic_sets: u8,
        pub num_long_term_ref_pics_sps: u8,
        pub chroma_format_idc: u8,
        pub sps_max_sub_layers_minus1: u8,
        pub reserved: [u8; 6],
        pub flags: u64 => SPS_FLAGS,
    }
}

wire_struct! {
    /// `struct v4l2_ctrl_hevc_pps`.
    pub struct HevcPps = "v4l2_ctrl_hevc_pps" {
        pub pic_parameter_set_id: u8,
        pub num_extra_slice_header_bits: u8,
        pub num_ref_idx_l0_default_active_minus1: u8,
        pub num_ref_idx_l1_default_active_minus1: u8,
        pub init_qp_minus26: i8,
        pub diff_cu_qp_delta_depth: u8,
        pub pps_cb_qp_offset: i8,
        pub pps_cr_qp_offset: i8,
        pub num_tile_columns_minus1: u8,
        pub num_tile_rows_minus1: u8,
        pub column_width_minus1: [u8; 20],
        pub row_height_minus1: [u8; 22],
        pub pps_beta_offset_div2: i8,
        pub pps_tc_offset_div2: i8,
        pub log2_parallel_merge_level_minus2: u8,
        pub reserved: u8,
        pub flags: u64 => PPS_FLAGS,
    }
}

wire_struct! {
    /// `struct v4l2_hevc_dpb_entry`: a reference picture, named by its CAPTURE timestamp (ns).
    pub struct HevcDpbEntry = "v4l2_hevc_dpb_entry" {
        pub timestamp: u64,
        pub flags: u8 => DPB_FLAGS,
        pub field_pic: u8,
        pub reserved: u16,
        pub pic_order_cnt_val: i32,
    }
}

wire_struct! {
    /// `struct v4l2_hevc_pred_weight_table`.
    pub struct HevcPredWeightTable = "v4l2_hevc_pred_weight_table" {
        pub delta_luma_weight_l0: [i8; 16],
        pub luma_offset_l0: [i8; 16],
        pub delta_chroma_weight_l0: [[i8; 2]; 16],
        pub chroma_offset_l0: [[i8; 2]; 16],
        pub delta_luma_weight_l1: [i8; 16],
        pub luma_offset_l1: [i8; 16],
        pub delta_chroma_weight_l1: [[i8; 2]; 16],
        pub chroma_offset_l1: [[i8; 2]; 16],
        pub luma_log2_weight_denom: u8,
        pub delta_chroma_log2_weight_denom: i8,
    }
}

wire_struct! {
    /// `struct v4l2_ctrl_hevc_slice_params`: one slice segment header.
    pub struct HevcSliceParams = "v4l2_ctrl_hevc_slice_params" {
        pub bit_size: u32,
        pub data_byte_offset: u32,
        pub num_entry_point_offsets: u32,
        pub nal_unit_type: u8,
        pub nuh_temporal_id_plus1: u8,
        pub slice_type: u8,
        pub colour_plane_id: u8,
        pub slice_pic_order_cnt: i32,
        pub num_ref_idx_l0_active_minus1: u8,
        pub num_ref_idx_l1_active_minus1: u8,
        pub collocated_ref_idx: u8,
        pub five_minus_max_num_merge_cand: u8,
        pub slice_qp_delta: i8,
        pub slice_cb_qp_offset: i8,
        pub slice_cr_qp_offset: i8,
        pub slice_act_y_qp_offset: i8,
        pub slice_act_cb_qp_offset: i8,
        pub slice_act_cr_qp_offset: i8,
        pub slice_beta_offset_div2: i8,
        pub slice_tc_offset_div2: i8,
        pub pic_struct: u8,
        pub reserved0: [u8; 3],
        pub slice_segment_addr: u32,
        pub ref_idx_l0: [u8; 16],
        pub ref_idx_l1: [u8; 16],
        pub short_term_ref_pic_set_size: u16,
        pub long_term_ref_pic_set_size: u16,
        pub pred_weight_table: HevcPredWeightTable,
        pub reserved1: [u8; 2],
        pub flags: u64 => SLICE_FLAGS,
    }
}

wire_struct! {
    /// `struct v4l2_ctrl_hevc_decode_params`: per-picture parameters and the DPB.
    pub struct HevcDecodeParams = "v4l2_ctrl_hevc_decode_params" {
        pub pic_order_cnt_val: i32,
        pub short_term_ref_pic_set_size: u16,
        pub long_term_ref_pic_set_size: u16,
        pub num_active_dpb_entries: u8,
        pub num_poc_st_curr_before: u8,
        pub num_poc_st_curr_after: u8,
        pub num_poc_lt_curr: u8,
        pub poc_st_curr_before: [u8; 16],
        pub poc_st_curr_after: [u8; 16],
        pub poc_lt_curr: [u8; 16],
        pub num_delta_pocs_of_ref_rps_idx: u8,
        pub reserved: [u8; 3],
        pub dpb: [HevcDpbEntry; 16],
        pub flags: u64 => DECODE_FLAGS,
    }
}

wire_struct! {
    /// `struct v4l2_ctrl_hevc_scaling_matrix`.
    pub struct HevcScalingMatrix = "v4l2_ctrl_hevc_scaling_matrix" {
        pub scaling_list_4x4: [[u8; 16]; 6],
        pub scaling_list_8x8: [[u8; 64]; 6],
        pub scaling_list_16x16: [[u8; 64]; 6],
        pub scaling_list_32x32: [[u8; 64]; 2],
        pub scaling_list_dc_coef_16x16: [u8; 6],
        pub scaling_list_dc_coef_32x32: [u8; 2],
    }
}

wire_struct! {
    /// `struct v4l2_ctrl_hdr10_cll_info` (`V4L2_CID_COLORIMETRY_HDR10_CLL_INFO`).
    pub struct Hdr10CllInfo = "v4l2_ctrl_hdr10_cll_info" {
        pub max_content_light_level: u16,
        pub max_pic_average_light_level: u16,
    }
}

wire_struct! {
    /// `struct v4l2_ctrl_hdr10_mastering_display`
    /// (`V4L2_CID_COLORIMETRY_HDR10_MASTERING_DISPLAY`).
    pub struct Hdr10MasteringDisplay = "v4l2_ctrl_hdr10_mastering_display" {
        pub display_primaries_x: [u16; 3],
        pub display_primaries_y: [u16; 3],
        pub white_point_x: u16,
        pub white_point_y: u16,
        pub max_display_mastering_luminance: u32,
        pub min_display_mastering_luminance: u32,
    }
}

/// Decodes a dynamic array control: every element of a payload that is a non-zero multiple
/// of `T::SIZE`, else `Err((T::SIZE, len))`.
pub fn parse_array<T: Wire>(payload: &[u8]) -> ParseResult<Vec<T>> {
    if payload.is_empty() || payload.len().checked_rem(T::SIZE) != Some(0) {
        return Err((T::SIZE, payload.len()));
    }
    let mut r = Reader::new(payload);
    Ok((0..payload.len() / T::SIZE)
        .map(|_| T::read(&mut r))
        .collect())
}

/// Summary of an SPS.
pub fn summary_sps(s: &HevcSps) -> String {
    format!(
        "HEVC SPS id={} {}x{} chroma={} depth={}/{} max_dec_pic_buffering={} flags={}",
        s.seq_parameter_set_id,
        s.pic_width_in_luma_samples,
        s.pic_height_in_luma_samples,
        s.chroma_format_idc,
        u32::from(s.bit_depth_luma_minus8) + 8,
        u32::from(s.bit_depth_chroma_minus8) + 8,
        u32::from(s.sps_max_dec_pic_buffering_minus1) + 1,
        vf::flags(s.flags, SPS_FLAGS)
    )
}

/// Summary of a PPS.
pub fn summary_pps(p: &HevcPps) -> String {
    format!(
        "HEVC PPS id={} qp={} tiles={}x{} flags={}",
        p.pic_parameter_set_id,
        26 + i32::from(p.init_qp_minus26),
        u32::from(p.num_tile_columns_minus1) + 1,
        u32::from(p.num_tile_rows_minus1) + 1,
        vf::flags(p.flags, PPS_FLAGS)
    )
}

/// Summary of the slices of one request.
pub fn summary_slices(v: &[HevcSliceParams]) -> String {
    let parts: Vec<String> = v
        .iter()
        .map(|s| {
            format!(
                "{}@{} poc={} bits={}",
                vf::symbolic(u64::from(s.slice_type), SLICE_TYPES),
                s.slice_segment_addr,
                s.slice_pic_order_cnt,
                s.bit_size
            )
        })
        .collect();
    format!("HEVC SLICE_PARAMS x{} [{}]", v.len(), parts.join(", "))
}

/// Summary of decode parameters with the active DPB as `ts:poc` pairs.
pub fn summary_decode(d: &HevcDecodeParams) -> String {
    let n = usize::from(d.num_active_dpb_entries).min(d.dpb.len());
    let dpb: Vec<String> = d.dpb[..n]
        .iter()
        .map(|e| format!("{}:{}", e.timestamp, e.pic_order_cnt_val))
        .collect();
    format!(
        "HEVC DECODE_PARAMS poc={} st_before={} st_after={} lt={} flags={} dpb=[{}]",
        d.pic_order_cnt_val,
        d.num_poc_st_curr_before,
        d.num_poc_st_curr_after,
        d.num_poc_lt_curr,
        vf::flags(d.flags, DECODE_FLAGS),
        dpb.join(" ")
    )
}

// ---- visl field flattening ----------------------------------------------------------------

/// visl's SPS flag names (two differ from the uapi's).
pub const VISL_SPS_FLAGS: FlagTable = &[
    (1 << 0, "SEPARATE_COLOUR_PLANE"),
    (1 << 1, "SCALING_LIST_ENABLED"),
    (1 << 2, "AMP_ENABLED"),
    (1 << 3, "SAMPLE_ADAPTIVE_OFFSET"),
    (1 << 4, "PCM_ENABLED"),
    (1 << 5, "V4L2_HEVC_SPS_FLAG_PCM_LOOP_FILTER_DISABLED"),
    (1 << 6, "LONG_TERM_REF_PICS_PRESENT"),
    (1 << 7, "TEMPORAL_MVP_ENABLED"),
    (1 << 8, "STRONG_INTRA_SMOOTHING_ENABLED"),
];

/// visl's PPS flag table: TRANSFORM_SKIP_ENABLED (bit 5) is missing, so visl prints it as a
/// leftover `0x20`, and PPS_DISABLE_DEBLOCKING_FILTER is named DISABLE_DEBLOCKING_FILTER.
pub const VISL_PPS_FLAGS: FlagTable = &[
    (1 << 0, "DEPENDENT_SLICE_SEGMENT_ENABLED"),
    (1 << 1, "OUTPUT_FLAG_PRESENT"),
    (1 << 2, "SIGN_DATA_HIDING_ENABLED"),
    (1 << 3, "CABAC_INIT_PRESENT"),
    (1 << 4, "CONSTRAINED_INTRA_PRED"),
    (1 << 6, "CU_QP_DELTA_ENABLED"),
    (1 << 7, "PPS_SLICE_CHROMA_QP_OFFSETS_PRESENT"),
    (1 << 8, "WEIGHTED_PRED"),
    (1 << 9, "WEIGHTED_BIPRED"),
    (1 << 10, "TRANSQUANT_BYPASS_ENABLED"),
    (1 << 11, "TILES_ENABLED"),
    (1 << 12, "ENTROPY_CODING_SYNC_ENABLED"),
    (1 << 13, "LOOP_FILTER_ACROSS_TILES_ENABLED"),
    (1 << 14, "PPS_LOOP_FILTER_ACROSS_SLICES_ENABLED"),
    (1 << 15, "DEBLOCKING_FILTER_OVERRIDE_ENABLED"),
    (1 << 16, "DISABLE_DEBLOCKING_FILTER"),
    (1 << 17, "LISTS_MODIFICATION_PRESENT"),
    (1 << 18, "SLICE_SEGMENT_HEADER_EXTENSION_PRESENT"),
    (1 << 19, "DEBLOCKING_FILTER_CONTROL_PRESENT"),
    (1 << 20, "UNIFORM_SPACING"),
];

#[cfg(any(test, feature = "testing"))]
fn i8_bytes(v: &[[i8; 2]; 16]) -> Vec<u8> {
    v.iter().flatten().map(|&b| b as u8).collect()
}

#[cfg(any(test, feature = "testing"))]
/// SPS fields as `v4l2_ctrl_hevc_sps` prints them.
pub fn visl_sps(s: &HevcSps) -> Vec<(String, String)> {
    vec![
        kv("video_parameter_set_id", s.video_parameter_set_id),
        kv("seq_parameter_set_id", s.seq_parameter_set_id),
        kv("pic_width_in_luma_samples", s.pic_width_in_luma_samples),
        kv("pic_height_in_luma_samples", s.pic_height_in_luma_samples),
        kv("bit_depth_luma_minus8", s.bit_depth_luma_minus8),
        kv("bit_depth_chroma_minus8", s.bit_depth_chroma_minus8),
        kv(
            "log2_max_pic_order_cnt_lsb_minus4",
            s.log2_max_pic_order_cnt_lsb_minus4,
        ),
        kv(
            "sps_max_dec_pic_buffering_minus1",
            s.sps_max_dec_pic_buffering_minus1,
        ),
        kv("sps_max_num_reorder_pics", s.sps_max_num_reorder_pics),
        kv(
            "sps_max_latency_increase_plus1",
            s.sps_max_latency_increase_plus1,
        ),
        kv(
            "log2_min_luma_coding_block_size_minus3",
            s.log2_min_luma_coding_block_size_minus3,
        ),
        kv(
            "log2_diff_max_min_luma_coding_block_size",
            s.log2_diff_max_min_luma_coding_block_size,
        ),
        kv(
            "log2_min_luma_transform_block_size_minus2",
            s.log2_min_luma_transform_block_size_minus2,
        ),
        kv(
            "log2_diff_max_min_luma_transform_block_size",
            s.log2_diff_max_min_luma_transform_block_size,
        ),
        kv(
            "max_transform_hierarchy_depth_inter",
            s.max_transform_hierarchy_depth_inter,
        ),
        kv(
            "max_transform_hierarchy_depth_intra",
            s.max_transform_hierarchy_depth_intra,
        ),
        kv(
            "pcm_sample_bit_depth_luma_minus1",
            s.pcm_sample_bit_depth_luma_minus1,
        ),
        kv(
            "pcm_sample_bit_depth_chroma_minus1",
            s.pcm_sample_bit_depth_chroma_minus1,
        ),
        kv(
            "log2_min_pcm_luma_coding_block_size_minus3",
            s.log2_min_pcm_luma_coding_block_size_minus3,
        ),
        kv(
            "log2_diff_max_min_pcm_luma_coding_block_size",
            s.log2_diff_max_min_pcm_luma_coding_block_size,
        ),
        kv("num_short_term_ref_pic_sets", s.num_short_term_ref_pic_sets),
        kv("num_long_term_ref_pics_sps", s.num_long_term_ref_pics_sps),
        kv("chroma_format_idc", s.chroma_format_idc),
        kv("sps_max_sub_layers_minus1", s.sps_max_sub_layers_minus1),
        kv("flags", vf::flags(s.flags, VISL_SPS_FLAGS)),
    ]
}

#[cfg(any(test, feature = "testing"))]
/// PPS fields as `v4l2_ctrl_hevc_pps` prints them.
pub fn visl_pps(p: &HevcPps) -> Vec<(String, String)> {
    vec![
        kv("pic_parameter_set_id", p.pic_parameter_set_id),
        kv("num_extra_slice_header_bits", p.num_extra_slice_header_bits),
        kv(
            "num_ref_idx_l0_default_active_minus1",
            p.num_ref_idx_l0_default_active_minus1,
        ),
        kv(
            "num_ref_idx_l1_default_active_minus1",
            p.num_ref_idx_l1_default_active_minus1,
        ),
        kv("init_qp_minus26", p.init_qp_minus26),
        kv("diff_cu_qp_delta_depth", p.diff_cu_qp_delta_depth),
        kv("pps_cb_qp_offset", p.pps_cb_qp_offset),
        kv("pps_cr_qp_offset", p.pps_cr_qp_offset),
        kv("num_tile_columns_minus1", p.num_tile_columns_minus1),
        kv("num_tile_rows_minus1", p.num_tile_rows_minus1),
        kv("column_width_minus1", vf::array_u8(&p.column_width_minus1)),
        kv("row_height_minus1", vf::array_u8(&p.row_height_minus1)),
        kv("pps_beta_offset_div2", p.pps_beta_offset_div2),
        kv("pps_tc_offset_div2", p.pps_tc_offset_div2),
        kv(
            "log2_parallel_merge_level_minus2",
            p.log2_parallel_merge_level_minus2,
        ),
        kv("flags", vf::flags(p.flags, VISL_PPS_FLAGS)),
    ]
}

#[cfg(any(test, feature = "testing"))]
/// The first slice's fields as `v4l2_ctrl_hevc_slice_params` prints them (visl traces only
/// the first element of the array), then its `v4l2_hevc_pred_weight_table` fields.
pub fn visl_slices(v: &[HevcSliceParams]) -> Vec<(String, String)> {
    let Some(s) = v.first() else {
        return Vec::new();
    };
    let w = &s.pred_weight_table;
    vec![
        kv("bit_size", s.bit_size),
        kv("data_byte_offset", s.data_byte_offset),
        kv("num_entry_point_offsets", s.num_entry_point_offsets),
        kv("nal_unit_type", s.nal_unit_type),
        kv("nuh_temporal_id_plus1", s.nuh_temporal_id_plus1),
        kv("slice_type", s.slice_type),
        kv("colour_plane_id", s.colour_plane_id),
        kv("slice_pic_order_cnt", s.slice_pic_order_cnt),
        kv(
            "num_ref_idx_l0_active_minus1",
            s.num_ref_idx_l0_active_minus1,
        ),
        kv(
            "num_ref_idx_l1_active_minus1",
            s.num_ref_idx_l1_active_minus1,
        ),
        kv("collocated_ref_idx", s.collocated_ref_idx),
        kv(
            "five_minus_max_num_merge_cand",
            s.five_minus_max_num_merge_cand,
        ),
        kv("slice_qp_delta", s.slice_qp_delta),
        kv("slice_cb_qp_offset", s.slice_cb_qp_offset),
        kv("slice_cr_qp_offset", s.slice_cr_qp_offset),
        kv("slice_act_y_qp_offset", s.slice_act_y_qp_offset),
        kv("slice_act_cb_qp_offset", s.slice_act_cb_qp_offset),
        kv("slice_act_cr_qp_offset", s.slice_act_cr_qp_offset),
        kv("slice_beta_offset_div2", s.slice_beta_offset_div2),
        kv("slice_tc_offset_div2", s.slice_tc_offset_div2),
        kv("pic_struct", s.pic_struct),
        kv("slice_segment_addr", s.slice_segment_addr),
        kv("ref_idx_l0", vf::array_u8(&s.ref_idx_l0)),
        kv("ref_idx_l1", vf::array_u8(&s.ref_idx_l1)),
        kv("short_term_ref_pic_set_size", s.short_term_ref_pic_set_size),
        kv("long_term_ref_pic_set_size", s.long_term_ref_pic_set_size),
        kv("flags", vf::flags(s.flags, SLICE_FLAGS)),
        kv(
            "delta_luma_weight_l0",
            vf::array_i8(&w.delta_luma_weight_l0),
        ),
        kv("luma_offset_l0", vf::array_i8(&w.luma_offset_l0)),
        kv(
            "delta_chroma_weight_l0",
            vf::hex_dump(&i8_bytes(&w.delta_chroma_weight_l0)),
        ),
        kv(
            "chroma_offset_l0",
            vf::hex_dump(&i8_bytes(&w.chroma_offset_l0)),
        ),
        kv(
            "delta_luma_weight_l1",
            vf::array_i8(&w.delta_luma_weight_l1),
        ),
        kv("luma_offset_l1", vf::array_i8(&w.luma_offset_l1)),
        kv(
            "delta_chroma_weight_l1",
            vf::hex_dump(&i8_bytes(&w.delta_chroma_weight_l1)),
        ),
        kv(
            "chroma_offset_l1",
            vf::hex_dump(&i8_bytes(&w.chroma_offset_l1)),
        ),
        kv("luma_log2_weight_denom", w.luma_log2_weight_denom),
        kv(
            "delta_chroma_log2_weight_denom",
            w.delta_chroma_log2_weight_denom,
        ),
    ]
}

#[cfg(any(test, feature = "testing"))]
/// Scaling matrix as `v4l2_ctrl_hevc_scaling_matrix` prints it.
pub fn visl_scaling(m: &HevcScalingMatrix) -> Vec<(String, String)> {
    let flat4: Vec<u8> = m.scaling_list_4x4.iter().flatten().copied().collect();
    let flat8: Vec<u8> = m.scaling_list_8x8.iter().flatten().copied().collect();
    let flat16: Vec<u8> = m.scaling_list_16x16.iter().flatten().copied().collect();
    let flat32: Vec<u8> = m.scaling_list_32x32.iter().flatten().copied().collect();
    vec![
        kv("scaling_list_4x4", vf::hex_dump(&flat4)),
        kv("scaling_list_8x8", vf::hex_dump(&flat8)),
        kv("scaling_list_16x16", vf::hex_dump(&flat16)),
        kv("scaling_list_32x32", vf::hex_dump(&flat32)),
        kv(
            "scaling_list_dc_coef_16x16",
            vf::array_u8(&m.scaling_list_dc_coef_16x16),
        ),
        kv(
            "scaling_list_dc_coef_32x32",
            vf::array_u8(&m.scaling_list_dc_coef_32x32),
        ),
    ]
}

#[cfg(any(test, feature = "testing"))]
/// Decode parameters as `v4l2_ctrl_hevc_decode_params` prints them, then the 16
/// `v4l2_hevc_dpb_entry` events as `dpb[i].<field>` (numbered by `visl_ftrace::parse_text`).
pub fn visl_decode(d: &HevcDecodeParams) -> Vec<(String, String)> {
    let mut out = vec![
        kv("pic_order_cnt_val", d.pic_order_cnt_val),
        kv("short_term_ref_pic_set_size", d.short_term_ref_pic_set_size),
        kv("long_term_ref_pic_set_size", d.long_term_ref_pic_set_size),
        kv("num_active_dpb_entries", d.num_active_dpb_entries),
        kv("num_poc_st_curr_before", d.num_poc_st_curr_before),
        kv("num_poc_st_curr_after", d.num_poc_st_curr_after),
        kv("num_poc_lt_curr", d.num_poc_lt_curr),
        kv("poc_st_curr_before", vf::array_u8(&d.poc_st_curr_before)),
        kv("poc_st_curr_after", vf::array_u8(&d.poc_st_curr_after)),
        kv("poc_lt_curr", vf::array_u8(&d.poc_lt_curr)),
        kv("flags", vf::flags(d.flags, DECODE_FLAGS)),
    ];
    for (i, e) in d.dpb.iter().enumerate() {
        out.push(kv(format!("dpb[{i}].timestamp"), e.timestamp));
        out.push(kv(
            format!("dpb[{i}].flags"),
            vf::flags(u64::from(e.flags), DPB_FLAGS),
        ));
        out.push(kv(format!("dpb[{i}].field_pic"), e.field_pic));
        out.push(kv(
            format!("dpb[{i}].pic_order_cnt_val"),
            e.pic_order_cnt_val,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sps_and_pps() {
        let mut p = vec![0u8; HevcSps::SIZE];
        p[1] = 3;
        p[2..4].copy_from_slice(&1920u16.to_le_bytes());
        p[4..6].copy_from_slice(&1080u16.to_le_bytes());
        p[24] = 1; // chroma_format_idc
        p[32..40].copy_from_slice(&0x88u64.to_le_bytes());
        let s = HevcSps::parse(&p).unwrap();
        assert_eq!(
            (s.pic_width_in_luma_samples, s.pic_height_in_luma_samples),
            (1920, 1080)
        );
        assert_eq!(s.chroma_format_idc, 1);
        assert!(summary_sps(&s).contains("SAMPLE_ADAPTIVE_OFFSET|SPS_TEMPORAL_MVP_ENABLED"));

        let mut p = vec![0u8; HevcPps::SIZE];
        p[4] = (-6i8) as u8;
        p[10] = 7; // column_width_minus1[0]
        p[30] = 9; // row_height_minus1[0]
        p[52] = (-1i8) as u8; // pps_beta_offset_div2
        p[56..64].copy_from_slice(&(1u64 << 11).to_le_bytes());
        let pps = HevcPps::parse(&p).unwrap();
        assert_eq!(pps.init_qp_minus26, -6);
        assert_eq!(
            (pps.column_width_minus1[0], pps.row_height_minus1[0]),
            (7, 9)
        );
        assert_eq!(pps.pps_beta_offset_div2, -1);
        assert!(summary_pps(&pps).contains("TILES_ENABLED"));
    }

    #[test]
    fn slice_params_array() {
        let n = HevcSliceParams::SIZE;
        let mut p = vec![0u8; 2 * n];
        p[0..4].copy_from_slice(&800u32.to_le_bytes());
        p[14] = 2; // slice_type I
        p[16..20].copy_from_slice(&(-3i32).to_le_bytes());
        p[n + 36..n + 40].copy_from_slice(&120u32.to_le_bytes()); // [1].slice_segment_addr
        p[n + 40] = 4; // [1].ref_idx_l0[0]
        p[2 * n - 8..2 * n].copy_from_slice(&1u64.to_le_bytes()); // [1].flags
        let v = parse_array::<HevcSliceParams>(&p).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].bit_size, 800);
        assert_eq!(v[0].slice_pic_order_cnt, -3);
        assert_eq!(v[1].slice_segment_addr, 120);
        assert_eq!(v[1].ref_idx_l0[0], 4);
        assert_eq!(v[1].flags, 1);
        assert!(summary_slices(&v).starts_with("HEVC SLICE_PARAMS x2 [I@0 poc=-3"));
        assert_eq!(parse_array::<HevcSliceParams>(&p[..n + 1]), Err((n, n + 1)));
        assert_eq!(parse_array::<HevcSliceParams>(&[]), Err((n, 0)));
    }

    #[test]
    fn decode_params_and_scaling() {
        let mut p = vec![0u8; HevcDecodeParams::SIZE];
        p[0..4].copy_from_slice(&16i32.to_le_bytes());
        p[8] = 1; // num_active_dpb_entries
        p[64..72].copy_from_slice(&5000u64.to_le_bytes()); // dpb[0].timestamp
        p[76..80].copy_from_slice(&8i32.to_le_bytes()); // dpb[0].pic_order_cnt_val
        p[320..328].copy_from_slice(&3u64.to_le_bytes());
        let d = HevcDecodeParams::parse(&p).unwrap();
        assert_eq!(d.dpb[0].timestamp, 5000);
        assert_eq!(d.dpb[0].pic_order_cnt_val, 8);
        assert_eq!(d.flags, 3);
        assert!(summary_decode(&d).ends_with("flags=IRAP_PIC|IDR_PIC dpb=[5000:8]"));

        let mut m = vec![16u8; HevcScalingMatrix::SIZE];
        m[HevcScalingMatrix::SIZE - 1] = 1;
        let sm = HevcScalingMatrix::parse(&m).unwrap();
        assert_eq!(sm.scaling_list_dc_coef_32x32[1], 1);
    }
}
