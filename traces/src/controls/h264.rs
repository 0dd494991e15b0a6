//! H.264 stateless controls (`V4L2_CID_STATELESS_H264_*`): Rust mirrors of the 6.12 uapi
//! structs, the decode-mode/start-code menus, one-line summaries, and the flattening into the
//! field names and value formats that visl's `visl_h264_controls` ftrace events print
//! (drivers/media/test-drivers/visl/visl-trace-h264.h).

use super::visl_fmt as vf;
#[cfg(any(test, feature = "testing"))]
use super::visl_fmt::kv;
use super::wire::{wire_struct, FlagTable};

/// `V4L2_H264_SPS_CONSTRAINT_SET*_FLAG` (names as visl prints them).
pub const SPS_CONSTRAINT_FLAGS: FlagTable = &[
    (0x01, "CONSTRAINT_SET0_FLAG"),
    (0x02, "CONSTRAINT_SET1_FLAG"),
    (0x04, "CONSTRAINT_SET2_FLAG"),
    (0x08, "CONSTRAINT_SET3_FLAG"),
    (0x10, "CONSTRAINT_SET4_FLAG"),
    (0x20, "CONSTRAINT_SET5_FLAG"),
];

/// `V4L2_H264_SPS_FLAG_*`.
pub const SPS_FLAGS: FlagTable = &[
    (0x01, "SEPARATE_COLOUR_PLANE"),
    (0x02, "QPPRIME_Y_ZERO_TRANSFORM_BYPASS"),
    (0x04, "DELTA_PIC_ORDER_ALWAYS_ZERO"),
    (0x08, "GAPS_IN_FRAME_NUM_VALUE_ALLOWED"),
    (0x10, "FRAME_MBS_ONLY"),
    (0x20, "MB_ADAPTIVE_FRAME_FIELD"),
    (0x40, "DIRECT_8X8_INFERENCE"),
];

/// `V4L2_H264_PPS_FLAG_*`.
pub const PPS_FLAGS: FlagTable = &[
    (0x0001, "ENTROPY_CODING_MODE"),
    (0x0002, "BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT"),
    (0x0004, "WEIGHTED_PRED"),
    (0x0008, "DEBLOCKING_FILTER_CONTROL_PRESENT"),
    (0x0010, "CONSTRAINED_INTRA_PRED"),
    (0x0020, "REDUNDANT_PIC_CNT_PRESENT"),
    (0x0040, "TRANSFORM_8X8_MODE"),
    (0x0080, "SCALING_MATRIX_PRESENT"),
];

/// `V4L2_H264_SLICE_TYPE_*` (a symbolic value, not flags).
pub const SLICE_TYPES: FlagTable = &[(0, "P"), (1, "B"), (2, "I"), (3, "SP"), (4, "SI")];

/// `V4L2_H264_SLICE_FLAG_*`.
pub const SLICE_FLAGS: FlagTable = &[(0x01, "DIRECT_SPATIAL_MV_PRED"), (0x02, "SP_FOR_SWITCH")];

/// `V4L2_H264_{TOP,BOTTOM}_FIELD_REF` / `V4L2_H264_FRAME_REF`, in visl's test order.
pub const REF_FIELDS: FlagTable = &[
    (0x1, "TOP_FIELD_REF"),
    (0x2, "BOTTOM_FIELD_REF"),
    (0x3, "FRAME_REF"),
];

/// `V4L2_H264_DPB_ENTRY_FLAG_*`.
pub const DPB_FLAGS: FlagTable = &[
    (0x01, "VALID"),
    (0x02, "ACTIVE"),
    (0x04, "LONG_TERM"),
    (0x08, "FIELD"),
];

/// `V4L2_H264_DECODE_PARAM_FLAG_*`.
pub const DECODE_FLAGS: FlagTable = &[
    (0x01, "IDR_PIC"),
    (0x02, "FIELD_PIC"),
    (0x04, "BOTTOM_FIELD"),
    (0x08, "PFRAME"),
    (0x10, "BFRAME"),
];

/// Items of `V4L2_CID_STATELESS_H264_DECODE_MODE` (`enum v4l2_stateless_h264_decode_mode`).
pub const DECODE_MODES: &[&str] = &["SLICE_BASED", "FRAME_BASED"];
/// Items of `V4L2_CID_STATELESS_H264_START_CODE` (`enum v4l2_stateless_h264_start_code`).
pub const START_CODES: &[&str] = &["NONE", "ANNEX_B"];

wire_struct! {
    /// `struct v4l2_ctrl_h264_sps`: the active sequence parameter set.
    pub struct H264Sps = "v4l2_ctrl_h264_sps" {
        pub profile_idc: u8,
        pub constraint_set_flags: u8 => SPS_CONSTRAINT_FLAGS,
        pub level_idc: u8,
        pub seq_parameter_set_id: u8,
        pub chroma_format_idc: u8,
        pub bit_depth_luma_minus8: u8,
        pub bit_depth_chroma_minus8: u8,
        pub log2_max_frame_num_minus4: u8,
        pub pic_order_cnt_type: u8,
        pub log2_max_pic_order_cnt_lsb_minus4: u8,
        pub max_num_ref_frames: u8,
        pub num_ref_frames_in_pic_order_cnt_cycle: u8,
        pub offset_for_ref_frame: [i32; 255],
        pub offset_for_non_ref_pic: i32,
        pub offset_for_top_to_bottom_field: i32,
        pub pic_width_in_mbs_minus1: u16,
        pub pic_height_in_map_units_minus1: u16,
        pub flags: u32 => SPS_FLAGS,
    }
}

wire_struct! {
    /// `struct v4l2_ctrl_h264_pps`: the active picture parameter set.
    pub struct H264Pps = "v4l2_ctrl_h264_pps" {
        pub pic_parameter_set_id: u8,
        pub seq_parameter_set_id: u8,
        pub num_slice_groups_minus1: u8,
        pub num_ref_idx_l0_default_active_minus1: u8,
        pub num_ref_idx_l1_default_active_minus1: u8,
        pub weighted_bipred_idc: u8,
        pub pic_init_qp_minus26: i8,
        pub pic_init_qs_minus26: i8,
        pub chroma_qp_index_offset: i8,
        pub second_chroma_qp_index_offset: i8,
        pub flags: u16 => PPS_FLAGS,
    }
}

wire_struct! {
    /// `struct v4l2_ctrl_h264_scaling_matrix`: lists in the order Intra Y, Intra Cb, Intra Cr,
    /// Inter Y, Inter Cb, Inter Cr (8x8: the same six), coefficients in matrix (raster) order.
    pub struct H264ScalingMatrix = "v4l2_ctrl_h264_scaling_matrix" {
        pub scaling_list_4x4: [[u8; 16]; 6],
        pub scaling_list_8x8: [[u8; 64]; 6],
    }
}

wire_struct! {
    /// `struct v4l2_h264_weight_factors`: one reference list's explicit weights.
    pub struct H264WeightFactors = "v4l2_h264_weight_factors" {
        pub luma_weight: [i16; 32],
        pub luma_offset: [i16; 32],
        pub chroma_weight: [[i16; 2]; 32],
        pub chroma_offset: [[i16; 2]; 32],
    }
}

wire_struct! {
    /// `struct v4l2_ctrl_h264_pred_weights`: the slice header's pred_weight_table().
    pub struct H264PredWeights = "v4l2_ctrl_h264_pred_weights" {
        pub luma_log2_weight_denom: u16,
        pub chroma_log2_weight_denom: u16,
        pub weight_factors: [H264WeightFactors; 2],
    }
}

wire_struct! {
    /// `struct v4l2_h264_reference`: one reference-list entry (a DPB index and which fields).
    pub struct H264Reference = "v4l2_h264_reference" {
        pub fields: u8 => REF_FIELDS,
        pub index: u8,
    }
}

wire_struct! {
    /// `struct v4l2_ctrl_h264_slice_params`: one slice header.
    pub struct H264SliceParams = "v4l2_ctrl_h264_slice_params" {
        pub header_bit_size: u32,
        pub first_mb_in_slice: u32,
        pub slice_type: u8,
        pub colour_plane_id: u8,
        pub redundant_pic_cnt: u8,
        pub cabac_init_idc: u8,
        pub slice_qp_delta: i8,
        pub slice_qs_delta: i8,
        pub disable_deblocking_filter_idc: u8,
        pub slice_alpha_c0_offset_div2: i8,
        pub slice_beta_offset_div2: i8,
        pub num_ref_idx_l0_active_minus1: u8,
        pub num_ref_idx_l1_active_minus1: u8,
        pub reserved: u8,
        pub ref_pic_list0: [H264Reference; 32],
        pub ref_pic_list1: [H264Reference; 32],
        pub flags: u32 => SLICE_FLAGS,
    }
}

wire_struct! {
    /// `struct v4l2_h264_dpb_entry`: one DPB slot; the picture is the CAPTURE buffer whose
    /// timestamp (in ns) is `reference_ts`.
    pub struct H264DpbEntry = "v4l2_h264_dpb_entry" {
        pub reference_ts: u64,
        pub pic_num: u32,
        pub frame_num: u16,
        pub fields: u8 => REF_FIELDS,
        pub reserved: [u8; 5],
        pub top_field_order_cnt: i32,
        pub bottom_field_order_cnt: i32,
        pub flags: u32 => DPB_FLAGS,
    }
}

wire_struct! {
    /// `struct v4l2_ctrl_h264_decode_params`: per-picture parameters and the DPB.
    pub struct H264DecodeParams = "v4l2_ctrl_h264_decode_params" {
        pub dpb: [H264DpbEntry; 16],
        pub nal_ref_idc: u16,
        pub frame_num: u16,
        pub top_field_order_cnt: i32,
        pub bottom_field_order_cnt: i32,
        pub idr_pic_id: u16,
        pub pic_order_cnt_lsb: u16,
        pub delta_pic_order_cnt_bottom: i32,
        pub delta_pic_order_cnt0: i32,
        pub delta_pic_order_cnt1: i32,
        pub dec_ref_pic_marking_bit_size: u32,
        pub pic_order_cnt_bit_size: u32,
        pub slice_group_change_cycle: u32,
        pub reserved: u32,
        pub flags: u32 => DECODE_FLAGS,
    }
}

impl H264Sps {
    /// Coded width in pixels.
    pub fn width(&self) -> u32 {
        (u32::from(self.pic_width_in_mbs_minus1) + 1) * 16
    }

    /// Coded height in pixels (map units are field MB pairs unless FRAME_MBS_ONLY).
    pub fn height(&self) -> u32 {
        let units = u32::from(self.pic_height_in_map_units_minus1) + 1;
        let frame_mbs_only = self.flags & 0x10 != 0;
        units * if frame_mbs_only { 16 } else { 32 }
    }
}

// ---- one-line summaries -------------------------------------------------------------------

/// Summary of an SPS for `vatrace dump`.
pub fn summary_sps(s: &H264Sps) -> String {
    format!(
        "H264 SPS id={} profile={} level={} {}x{} chroma={} depth={}/{} poc_type={} max_ref={} flags={}",
        s.seq_parameter_set_id,
        s.profile_idc,
        s.level_idc,
        s.width(),
        s.height(),
        s.chroma_format_idc,
        u32::from(s.bit_depth_luma_minus8) + 8,
        u32::from(s.bit_depth_chroma_minus8) + 8,
        s.pic_order_cnt_type,
        s.max_num_ref_frames,
        vf::flags(u64::from(s.flags), SPS_FLAGS)
    )
}

/// Summary of a PPS.
pub fn summary_pps(p: &H264Pps) -> String {
    format!(
        "H264 PPS id={} sps={} ref_idx_default={}/{} bipred={} qp={} flags={}",
        p.pic_parameter_set_id,
        p.seq_parameter_set_id,
        p.num_ref_idx_l0_default_active_minus1,
        p.num_ref_idx_l1_default_active_minus1,
        p.weighted_bipred_idc,
        26 + i32::from(p.pic_init_qp_minus26),
        vf::flags(u64::from(p.flags), PPS_FLAGS)
    )
}

/// Summary of a scaling matrix (flat lists are all 16).
pub fn summary_scaling(m: &H264ScalingMatrix) -> String {
    let flat = m.scaling_list_4x4.iter().flatten().all(|&v| v == 16)
        && m.scaling_list_8x8.iter().flatten().all(|&v| v == 16);
    format!(
        "H264 SCALING_MATRIX {} 4x4[0][0..4]={:?} 8x8[0][0..4]={:?}",
        if flat { "flat" } else { "custom" },
        &m.scaling_list_4x4[0][..4],
        &m.scaling_list_8x8[0][..4]
    )
}

/// Summary of prediction weights.
pub fn summary_pred_weights(p: &H264PredWeights) -> String {
    format!(
        "H264 PRED_WEIGHTS luma_denom={} chroma_denom={} l0.luma_weight[0]={} l1.luma_weight[0]={}",
        p.luma_log2_weight_denom,
        p.chroma_log2_weight_denom,
        p.weight_factors[0].luma_weight[0],
        p.weight_factors[1].luma_weight[0]
    )
}

/// Summary of a slice header.
pub fn summary_slice(s: &H264SliceParams) -> String {
    format!(
        "H264 SLICE_PARAMS type={} first_mb={} header_bits={} qp_delta={} refs={}/{} flags={}",
        vf::symbolic(u64::from(s.slice_type), SLICE_TYPES),
        s.first_mb_in_slice,
        s.header_bit_size,
        s.slice_qp_delta,
        u32::from(s.num_ref_idx_l0_active_minus1) + 1,
        u32::from(s.num_ref_idx_l1_active_minus1) + 1,
        vf::flags(u64::from(s.flags), SLICE_FLAGS)
    )
}

/// Summary of decode parameters, with the DPB's valid entries as `ts:poc` pairs.
pub fn summary_decode(d: &H264DecodeParams) -> String {
    let dpb: Vec<String> = d
        .dpb
        .iter()
        .filter(|e| e.flags & 0x01 != 0)
        .map(|e| {
            format!(
                "{}:{}",
                e.reference_ts,
                e.top_field_order_cnt.min(e.bottom_field_order_cnt)
            )
        })
        .collect();
    format!(
        "H264 DECODE_PARAMS frame_num={} poc={}/{} nal_ref_idc={} idr_pic_id={} flags={} dpb=[{}]",
        d.frame_num,
        d.top_field_order_cnt,
        d.bottom_field_order_cnt,
        d.nal_ref_idc,
        d.idr_pic_id,
        vf::flags(u64::from(d.flags), DECODE_FLAGS),
        dpb.join(" ")
    )
}

// ---- visl field flattening ----------------------------------------------------------------

#[cfg(any(test, feature = "testing"))]
/// SPS fields as `v4l2_ctrl_h264_sps` prints them.
pub fn visl_sps(s: &H264Sps) -> Vec<(String, String)> {
    vec![
        kv("profile_idc", s.profile_idc),
        kv(
            "constraint_set_flags",
            vf::flags(u64::from(s.constraint_set_flags), SPS_CONSTRAINT_FLAGS),
        ),
        kv("level_idc", s.level_idc),
        kv("seq_parameter_set_id", s.seq_parameter_set_id),
        kv("chroma_format_idc", s.chroma_format_idc),
        kv("bit_depth_luma_minus8", s.bit_depth_luma_minus8),
        kv("bit_depth_chroma_minus8", s.bit_depth_chroma_minus8),
        kv("log2_max_frame_num_minus4", s.log2_max_frame_num_minus4),
        kv("pic_order_cnt_type", s.pic_order_cnt_type),
        kv(
            "log2_max_pic_order_cnt_lsb_minus4",
            s.log2_max_pic_order_cnt_lsb_minus4,
        ),
        kv("max_num_ref_frames", s.max_num_ref_frames),
        kv(
            "num_ref_frames_in_pic_order_cnt_cycle",
            s.num_ref_frames_in_pic_order_cnt_cycle,
        ),
        kv(
            "offset_for_ref_frame",
            vf::array_i32(&s.offset_for_ref_frame),
        ),
        kv("offset_for_non_ref_pic", s.offset_for_non_ref_pic),
        kv(
            "offset_for_top_to_bottom_field",
            s.offset_for_top_to_bottom_field,
        ),
        kv("pic_width_in_mbs_minus1", s.pic_width_in_mbs_minus1),
        kv(
            "pic_height_in_map_units_minus1",
            s.pic_height_in_map_units_minus1,
        ),
        kv("flags", vf::flags(u64::from(s.flags), SPS_FLAGS)),
    ]
}

#[cfg(any(test, feature = "testing"))]
/// PPS fields as `v4l2_ctrl_h264_pps` prints them.
pub fn visl_pps(p: &H264Pps) -> Vec<(String, String)> {
    vec![
        kv("pic_parameter_set_id", p.pic_parameter_set_id),
        kv("seq_parameter_set_id", p.seq_parameter_set_id),
        kv("num_slice_groups_minus1", p.num_slice_groups_minus1),
        kv(
            "num_ref_idx_l0_default_active_minus1",
            p.num_ref_idx_l0_default_active_minus1,
        ),
        kv(
            "num_ref_idx_l1_default_active_minus1",
            p.num_ref_idx_l1_default_active_minus1,
        ),
        kv("weighted_bipred_idc", p.weighted_bipred_idc),
        kv("pic_init_qp_minus26", p.pic_init_qp_minus26),
        kv("pic_init_qs_minus26", p.pic_init_qs_minus26),
        kv("chroma_qp_index_offset", p.chroma_qp_index_offset),
        kv(
            "second_chroma_qp_index_offset",
            p.second_chroma_qp_index_offset,
        ),
        kv("flags", vf::flags(u64::from(p.flags), PPS_FLAGS)),
    ]
}

#[cfg(any(test, feature = "testing"))]
/// Scaling matrix as `v4l2_ctrl_h264_scaling_matrix` prints it (hex dumps).
pub fn visl_scaling(m: &H264ScalingMatrix) -> Vec<(String, String)> {
    let l4: Vec<u8> = m.scaling_list_4x4.iter().flatten().copied().collect();
    let l8: Vec<u8> = m.scaling_list_8x8.iter().flatten().copied().collect();
    vec![
        kv("scaling_list_4x4", vf::hex_dump(&l4)),
        kv("scaling_list_8x8", vf::hex_dump(&l8)),
    ]
}

#[cfg(any(test, feature = "testing"))]
fn le_bytes_i16(v: &[[i16; 2]; 32]) -> Vec<u8> {
    v.iter().flatten().flat_map(|x| x.to_le_bytes()).collect()
}

#[cfg(any(test, feature = "testing"))]
/// Prediction weights as `v4l2_ctrl_h264_pred_weights` prints them.
pub fn visl_pred_weights(p: &H264PredWeights) -> Vec<(String, String)> {
    let mut out = vec![
        kv("luma_log2_weight_denom", p.luma_log2_weight_denom),
        kv("chroma_log2_weight_denom", p.chroma_log2_weight_denom),
    ];
    for (i, w) in p.weight_factors.iter().enumerate() {
        out.push(kv(
            format!("weight_factor[{i}].luma_weight"),
            vf::array_i16(&w.luma_weight),
        ));
        out.push(kv(
            format!("weight_factor[{i}].luma_offset"),
            vf::array_i16(&w.luma_offset),
        ));
        out.push(kv(
            format!("weight_factor[{i}].chroma_weight"),
            vf::hex_dump(&le_bytes_i16(&w.chroma_weight)),
        ));
        out.push(kv(
            format!("weight_factor[{i}].chroma_offset"),
            vf::hex_dump(&le_bytes_i16(&w.chroma_offset)),
        ));
    }
    out
}

#[cfg(any(test, feature = "testing"))]
/// Slice parameters as `v4l2_ctrl_h264_slice_params` prints them, followed by the 32 + 32
/// `v4l2_h264_ref_pic_list0/1` events as `ref_pic_list0[i].fields` / `.index`.
pub fn visl_slice(s: &H264SliceParams) -> Vec<(String, String)> {
    let mut out = vec![
        kv("header_bit_size", s.header_bit_size),
        kv("first_mb_in_slice", s.first_mb_in_slice),
        kv(
            "slice_type",
            vf::symbolic(u64::from(s.slice_type), SLICE_TYPES),
        ),
        kv("colour_plane_id", s.colour_plane_id),
        kv("redundant_pic_cnt", s.redundant_pic_cnt),
        kv("cabac_init_idc", s.cabac_init_idc),
        kv("slice_qp_delta", s.slice_qp_delta),
        kv("slice_qs_delta", s.slice_qs_delta),
        kv(
            "disable_deblocking_filter_idc",
            s.disable_deblocking_filter_idc,
        ),
        // visl prints these s8 fields with %u.
        kv(
            "slice_alpha_c0_offset_div2",
            vf::u_of_signed(i32::from(s.slice_alpha_c0_offset_div2)),
        ),
        kv(
            "slice_beta_offset_div2",
            vf::u_of_signed(i32::from(s.slice_beta_offset_div2)),
        ),
        kv(
            "num_ref_idx_l0_active_minus1",
            s.num_ref_idx_l0_active_minus1,
        ),
        kv(
            "num_ref_idx_l1_active_minus1",
            s.num_ref_idx_l1_active_minus1,
        ),
        kv("flags", vf::flags(u64::from(s.flags), SLICE_FLAGS)),
    ];
    for (list, refs) in [
        ("ref_pic_list0", &s.ref_pic_list0),
        ("ref_pic_list1", &s.ref_pic_list1),
    ] {
        for (i, r) in refs.iter().enumerate() {
            out.push(kv(
                format!("{list}[{i}].fields"),
                vf::flags(u64::from(r.fields), REF_FIELDS),
            ));
            out.push(kv(format!("{list}[{i}].index"), r.index));
        }
    }
    out
}

#[cfg(any(test, feature = "testing"))]
/// Decode parameters as `v4l2_ctrl_h264_decode_params` prints them, followed by the 16
/// `v4l2_h264_dpb_entry` events as `dpb[i].<field>`.
pub fn visl_decode(d: &H264DecodeParams) -> Vec<(String, String)> {
    let mut out = vec![
        kv("nal_ref_idc", d.nal_ref_idc),
        kv("frame_num", d.frame_num),
        kv("top_field_order_cnt", d.top_field_order_cnt),
        kv("bottom_field_order_cnt", d.bottom_field_order_cnt),
        kv("idr_pic_id", d.idr_pic_id),
        kv("pic_order_cnt_lsb", d.pic_order_cnt_lsb),
        kv("delta_pic_order_cnt_bottom", d.delta_pic_order_cnt_bottom),
        kv("delta_pic_order_cnt0", d.delta_pic_order_cnt0),
        kv("delta_pic_order_cnt1", d.delta_pic_order_cnt1),
        kv(
            "dec_ref_pic_marking_bit_size",
            d.dec_ref_pic_marking_bit_size,
        ),
        kv("pic_order_cnt_bit_size", d.pic_order_cnt_bit_size),
        kv("slice_group_change_cycle", d.slice_group_change_cycle),
        kv("flags", vf::flags(u64::from(d.flags), DECODE_FLAGS)),
    ];
    for (i, e) in d.dpb.iter().enumerate() {
        out.push(kv(format!("dpb[{i}].reference_ts"), e.reference_ts));
        out.push(kv(format!("dpb[{i}].pic_num"), e.pic_num));
        out.push(kv(format!("dpb[{i}].frame_num"), e.frame_num));
        out.push(kv(
            format!("dpb[{i}].fields"),
            vf::flags(u64::from(e.fields), REF_FIELDS),
        ));
        out.push(kv(
            format!("dpb[{i}].top_field_order_cnt"),
            e.top_field_order_cnt,
        ));
        out.push(kv(
            format!("dpb[{i}].bottom_field_order_cnt"),
            e.bottom_field_order_cnt,
        ));
        out.push(kv(
            format!("dpb[{i}].flags"),
            vf::flags(u64::from(e.flags), DPB_FLAGS),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controls::wire::Wire;

    fn put(buf: &mut [u8], off: usize, bytes: &[u8]) {
        buf[off..off + bytes.len()].copy_from_slice(bytes);
    }

    #[test]
    fn sps_from_hand_built_payload() {
        let mut p = vec![0u8; H264Sps::SIZE];
        p[0] = 100; // profile_idc
        p[1] = 0x03; // constraint_set_flags
        p[2] = 40; // level_idc
        put(&mut p, 12, &(-7i32).to_le_bytes()); // offset_for_ref_frame[0]
        put(&mut p, 12 + 254 * 4, &9i32.to_le_bytes()); // offset_for_ref_frame[254]
        put(&mut p, 1036, &(-3i32).to_le_bytes()); // offset_for_top_to_bottom_field
        put(&mut p, 1040, &19u16.to_le_bytes()); // pic_width_in_mbs_minus1
        put(&mut p, 1042, &14u16.to_le_bytes()); // pic_height_in_map_units_minus1
        put(&mut p, 1044, &0x50u32.to_le_bytes()); // flags
        let s = H264Sps::parse(&p).unwrap();
        assert_eq!((s.profile_idc, s.level_idc), (100, 40));
        assert_eq!(s.offset_for_ref_frame[0], -7);
        assert_eq!(s.offset_for_ref_frame[254], 9);
        assert_eq!(s.offset_for_top_to_bottom_field, -3);
        assert_eq!((s.width(), s.height()), (320, 240));
        let f = visl_sps(&s);
        assert_eq!(
            f[1],
            kv(
                "constraint_set_flags",
                "CONSTRAINT_SET0_FLAG|CONSTRAINT_SET1_FLAG"
            )
        );
        assert!(f[12].1.starts_with("{0xfffffff9,0x0,"));
        assert!(f[12].1.ends_with(",0x9}"));
        assert_eq!(f[17], kv("flags", "FRAME_MBS_ONLY|DIRECT_8X8_INFERENCE"));
        assert!(summary_sps(&s).contains("320x240"));
    }

    #[test]
    fn pps_and_slice_from_hand_built_payloads() {
        let mut p = vec![0u8; H264Pps::SIZE];
        p[0] = 1;
        p[6] = (-4i8) as u8;
        put(&mut p, 10, &0x81u16.to_le_bytes());
        let pps = H264Pps::parse(&p).unwrap();
        assert_eq!(pps.pic_init_qp_minus26, -4);
        assert_eq!(
            visl_pps(&pps)[10].1,
            "ENTROPY_CODING_MODE|SCALING_MATRIX_PRESENT"
        );

        let mut s = vec![0u8; H264SliceParams::SIZE];
        put(&mut s, 0, &1234u32.to_le_bytes());
        s[8] = 1; // B
        s[15] = (-2i8) as u8; // slice_alpha_c0_offset_div2
        s[20] = 3; // ref_pic_list0[0].fields
        s[21] = 5; // ref_pic_list0[0].index
        s[20 + 64 + 2 * 31 + 1] = 7; // ref_pic_list1[31].index
        put(&mut s, 148, &1u32.to_le_bytes());
        let sl = H264SliceParams::parse(&s).unwrap();
        assert_eq!(
            sl.ref_pic_list0[0],
            H264Reference {
                fields: 3,
                index: 5
            }
        );
        assert_eq!(sl.ref_pic_list1[31].index, 7);
        let f = visl_slice(&sl);
        assert_eq!(f[2], kv("slice_type", "B"));
        assert_eq!(f[9], kv("slice_alpha_c0_offset_div2", "4294967294"));
        assert_eq!(f[13], kv("flags", "DIRECT_SPATIAL_MV_PRED"));
        assert!(f.contains(&kv(
            "ref_pic_list0[0].fields",
            "TOP_FIELD_REF|BOTTOM_FIELD_REF"
        )));
        assert!(f.contains(&kv("ref_pic_list1[31].index", "7")));
        assert_eq!(f.len(), 14 + 128);
    }

    #[test]
    fn decode_params_with_dpb() {
        let mut p = vec![0u8; H264DecodeParams::SIZE];
        // dpb[1]
        put(&mut p, 32, &33_000u64.to_le_bytes());
        put(&mut p, 40, &2u32.to_le_bytes());
        p[46] = 3;
        put(&mut p, 52, &(-4i32).to_le_bytes());
        put(&mut p, 60, &3u32.to_le_bytes());
        put(&mut p, 514, &6u16.to_le_bytes()); // frame_num
        put(&mut p, 516, &12i32.to_le_bytes()); // top_field_order_cnt
        put(&mut p, 556, &0x9u32.to_le_bytes()); // flags
        let d = H264DecodeParams::parse(&p).unwrap();
        assert_eq!(d.dpb[1].reference_ts, 33_000);
        assert_eq!(d.dpb[1].fields, 3);
        assert_eq!(d.dpb[1].top_field_order_cnt, -4);
        assert_eq!(d.frame_num, 6);
        assert_eq!(d.top_field_order_cnt, 12);
        let f = visl_decode(&d);
        assert_eq!(f[12], kv("flags", "IDR_PIC|PFRAME"));
        assert!(f.contains(&kv("dpb[1].fields", "TOP_FIELD_REF|BOTTOM_FIELD_REF")));
        assert!(f.contains(&kv("dpb[1].flags", "VALID|ACTIVE")));
        assert!(f.contains(&kv("dpb[0].flags", "")));
        assert!(summary_decode(&d).contains("dpb=[33000:-4]"));
    }

    #[test]
    fn pred_weights_and_scaling() {
        let mut p = vec![0u8; H264PredWeights::SIZE];
        put(&mut p, 0, &5u16.to_le_bytes());
        put(&mut p, 4, &(-1i16).to_le_bytes()); // [0].luma_weight[0]
        put(&mut p, 4 + 64 + 64, &0x0102i16.to_le_bytes()); // [0].chroma_weight[0][0]
        put(&mut p, 4 + 384, &7i16.to_le_bytes()); // [1].luma_weight[0]
        let w = H264PredWeights::parse(&p).unwrap();
        assert_eq!(w.weight_factors[0].luma_weight[0], -1);
        assert_eq!(w.weight_factors[0].chroma_weight[0][0], 0x0102);
        assert_eq!(w.weight_factors[1].luma_weight[0], 7);
        let f = visl_pred_weights(&w);
        assert!(f[2].1.starts_with("{0xffff,0x0"));
        assert!(f[4].1.starts_with("02 01 00 00"));
        assert_eq!(f[4].1.len(), 128 * 3 - 1);

        let mut m = vec![16u8; H264ScalingMatrix::SIZE];
        m[96] = 6; // scaling_list_8x8[0][0]
        let sm = H264ScalingMatrix::parse(&m).unwrap();
        assert_eq!(sm.scaling_list_8x8[0][0], 6);
        assert!(visl_scaling(&sm)[1].1.starts_with("06 10"));
        assert!(summary_scaling(&sm).contains("custom"));
    }

    #[test]
    fn wrong_sizes_are_errors() {
        assert_eq!(H264Sps::parse(&[0; 10]), Err((H264Sps::SIZE, 10)));
        assert!(H264DecodeParams::parse(&vec![0; H264DecodeParams::SIZE + 1]).is_err());
        assert!(H264Pps::parse(&[]).is_err());
    }
}
