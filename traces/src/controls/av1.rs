//! AV1 stateless controls (`V4L2_CID_STATELESS_AV1_*`): Rust mirrors of the 6.12 uapi
//! structs (sequence, tile-group entry, frame with its tile-info, quantisation, segmentation,
//! loop-filter, CDEF, loop-restoration and global-motion sub-structs, film grain) and one-line
//! summaries, and the flattening visl's `visl_av1_controls` events print
//! (drivers/media/test-drivers/visl/visl-trace-av1.h). TILE_GROUP_ENTRY is a dynamic array
//! and decodes to a `Vec`. C enums are 4-byte integers on the Linux ABIs and appear here as
//! `u32`.

use super::visl_fmt as vf;
#[cfg(any(test, feature = "testing"))]
use super::visl_fmt::kv;
use super::wire::{wire_struct, FlagTable};

/// `V4L2_AV1_SEQUENCE_FLAG_*`.
pub const SEQUENCE_FLAGS: FlagTable = &[
    (1 << 0, "STILL_PICTURE"),
    (1 << 1, "USE_128X128_SUPERBLOCK"),
    (1 << 2, "ENABLE_FILTER_INTRA"),
    (1 << 3, "ENABLE_INTRA_EDGE_FILTER"),
    (1 << 4, "ENABLE_INTERINTRA_COMPOUND"),
    (1 << 5, "ENABLE_MASKED_COMPOUND"),
    (1 << 6, "ENABLE_WARPED_MOTION"),
    (1 << 7, "ENABLE_DUAL_FILTER"),
    (1 << 8, "ENABLE_ORDER_HINT"),
    (1 << 9, "ENABLE_JNT_COMP"),
    (1 << 10, "ENABLE_REF_FRAME_MVS"),
    (1 << 11, "ENABLE_SUPERRES"),
    (1 << 12, "ENABLE_CDEF"),
    (1 << 13, "ENABLE_RESTORATION"),
    (1 << 14, "MONO_CHROME"),
    (1 << 15, "COLOR_RANGE"),
    (1 << 16, "SUBSAMPLING_X"),
    (1 << 17, "SUBSAMPLING_Y"),
    (1 << 18, "FILM_GRAIN_PARAMS_PRESENT"),
    (1 << 19, "SEPARATE_UV_DELTA_Q"),
];

/// `V4L2_AV1_FRAME_FLAG_*`.
pub const FRAME_FLAGS: FlagTable = &[
    (1 << 0, "SHOW_FRAME"),
    (1 << 1, "SHOWABLE_FRAME"),
    (1 << 2, "ERROR_RESILIENT_MODE"),
    (1 << 3, "DISABLE_CDF_UPDATE"),
    (1 << 4, "ALLOW_SCREEN_CONTENT_TOOLS"),
    (1 << 5, "FORCE_INTEGER_MV"),
    (1 << 6, "ALLOW_INTRABC"),
    (1 << 7, "USE_SUPERRES"),
    (1 << 8, "ALLOW_HIGH_PRECISION_MV"),
    (1 << 9, "IS_MOTION_MODE_SWITCHABLE"),
    (1 << 10, "USE_REF_FRAME_MVS"),
    (1 << 11, "DISABLE_FRAME_END_UPDATE_CDF"),
    (1 << 12, "ALLOW_WARPED_MOTION"),
    (1 << 13, "REFERENCE_SELECT"),
    (1 << 14, "REDUCED_TX_SET"),
    (1 << 15, "SKIP_MODE_ALLOWED"),
    (1 << 16, "SKIP_MODE_PRESENT"),
    (1 << 17, "FRAME_SIZE_OVERRIDE"),
    (1 << 18, "BUFFER_REMOVAL_TIME_PRESENT"),
    (1 << 19, "FRAME_REFS_SHORT_SIGNALING"),
];

/// `V4L2_AV1_TILE_INFO_FLAG_*`.
pub const TILE_INFO_FLAGS: FlagTable = &[(0x1, "UNIFORM_TILE_SPACING")];
/// `V4L2_AV1_QUANTIZATION_FLAG_*`.
pub const QUANT_FLAGS: FlagTable = &[
    (0x1, "DIFF_UV_DELTA"),
    (0x2, "USING_QMATRIX"),
    (0x4, "DELTA_Q_PRESENT"),
];
/// `V4L2_AV1_SEGMENTATION_FLAG_*`.
pub const SEG_FLAGS: FlagTable = &[
    (0x1, "ENABLED"),
    (0x2, "UPDATE_MAP"),
    (0x4, "TEMPORAL_UPDATE"),
    (0x8, "UPDATE_DATA"),
    (0x10, "SEG_ID_PRE_SKIP"),
];
/// `V4L2_AV1_LOOP_FILTER_FLAG_*`.
pub const LF_FLAGS: FlagTable = &[
    (0x1, "DELTA_ENABLED"),
    (0x2, "DELTA_UPDATE"),
    (0x4, "DELTA_LF_PRESENT"),
    (0x8, "DELTA_LF_MULTI"),
];
/// `V4L2_AV1_LOOP_RESTORATION_FLAG_*`.
pub const LR_FLAGS: FlagTable = &[(0x1, "USES_LR"), (0x2, "USES_CHROMA_LR")];
/// `V4L2_AV1_FILM_GRAIN_FLAG_*`.
pub const FILM_GRAIN_FLAGS: FlagTable = &[
    (0x1, "APPLY_GRAIN"),
    (0x2, "UPDATE_GRAIN"),
    (0x4, "CHROMA_SCALING_FROM_LUMA"),
    (0x8, "OVERLAP"),
    (0x10, "CLIP_TO_RESTRICTED_RANGE"),
];
/// `enum v4l2_av1_frame_type`.
pub const FRAME_TYPES: FlagTable = &[(0, "KEY"), (1, "INTER"), (2, "INTRA_ONLY"), (3, "SWITCH")];

wire_struct! {
    /// `struct v4l2_ctrl_av1_sequence`: the sequence header OBU.
    pub struct Av1Sequence = "v4l2_ctrl_av1_sequence" {
        pub flags: u32 => SEQUENCE_FLAGS,
        pub seq_profile: u8,
        pub order_hint_bits: u8,
        pub bit_depth: u8,
        pub reserved: u8,
        pub max_frame_width_minus_1: u16,
        pub max_frame_height_minus_1: u16,
    }
}

wire_struct! {
    /// `struct v4l2_ctrl_av1_tile_group_entry`: where one tile is in the bitstream buffer.
    pub struct Av1TileGroupEntry = "v4l2_ctrl_av1_tile_group_entry" {
        pub tile_offset: u32,
        pub tile_size: u32,
        pub tile_row: u32,
        pub tile_col: u32,
    }
}

wire_struct! {
    /// `struct v4l2_av1_global_motion`; `type` holds `enum v4l2_av1_warp_model` values.
    pub struct Av1GlobalMotion = "v4l2_av1_global_motion" {
        pub flags: [u8; 8],
        pub r#type: [u32; 8],
        pub params: [[i32; 6]; 8],
        pub invalid: u8,
        pub reserved: [u8; 3],
    }
}

wire_struct! {
    /// `struct v4l2_av1_loop_restoration`; `frame_restoration_type` holds
    /// `enum v4l2_av1_frame_restoration_type` values.
    pub struct Av1LoopRestoration = "v4l2_av1_loop_restoration" {
        pub flags: u8 => LR_FLAGS,
        pub lr_unit_shift: u8,
        pub lr_uv_shift: u8,
        pub reserved: u8,
        pub frame_restoration_type: [u32; 3],
        pub loop_restoration_size: [u32; 3],
    }
}

wire_struct! {
    /// `struct v4l2_av1_cdef`.
    pub struct Av1Cdef = "v4l2_av1_cdef" {
        pub damping_minus_3: u8,
        pub bits: u8,
        pub y_pri_strength: [u8; 8],
        pub y_sec_strength: [u8; 8],
        pub uv_pri_strength: [u8; 8],
        pub uv_sec_strength: [u8; 8],
    }
}

wire_struct! {
    /// `struct v4l2_av1_segmentation`.
    pub struct Av1Segmentation = "v4l2_av1_segmentation" {
        pub flags: u8 => SEG_FLAGS,
        pub last_active_seg_id: u8,
        pub feature_enabled: [u8; 8],
        pub feature_data: [[i16; 8]; 8],
    }
}

wire_struct! {
    /// `struct v4l2_av1_loop_filter`.
    pub struct Av1LoopFilter = "v4l2_av1_loop_filter" {
        pub flags: u8 => LF_FLAGS,
        pub level: [u8; 4],
        pub sharpness: u8,
        pub ref_deltas: [i8; 8],
        pub mode_deltas: [i8; 2],
        pub delta_lf_res: u8,
    }
}

wire_struct! {
    /// `struct v4l2_av1_quantization`.
    pub struct Av1Quantization = "v4l2_av1_quantization" {
        pub flags: u8 => QUANT_FLAGS,
        pub base_q_idx: u8,
        pub delta_q_y_dc: i8,
        pub delta_q_u_dc: i8,
        pub delta_q_u_ac: i8,
        pub delta_q_v_dc: i8,
        pub delta_q_v_ac: i8,
        pub qm_y: u8,
        pub qm_u: u8,
        pub qm_v: u8,
        pub delta_q_res: u8,
    }
}

wire_struct! {
    /// `struct v4l2_av1_tile_info`.
    pub struct Av1TileInfo = "v4l2_av1_tile_info" {
        pub flags: u8 => TILE_INFO_FLAGS,
        pub context_update_tile_id: u8,
        pub tile_cols: u8,
        pub tile_rows: u8,
        pub mi_col_starts: [u32; 65],
        pub mi_row_starts: [u32; 65],
        pub width_in_sbs_minus_1: [u32; 64],
        pub height_in_sbs_minus_1: [u32; 64],
        pub tile_size_bytes: u8,
        pub reserved: [u8; 3],
    }
}

wire_struct! {
    /// `struct v4l2_ctrl_av1_frame`: the frame header OBU; references are CAPTURE timestamps
    /// (ns). `frame_type`, `interpolation_filter` and `tx_mode` hold C enum values.
    pub struct Av1Frame = "v4l2_ctrl_av1_frame" {
        pub tile_info: Av1TileInfo,
        pub quantization: Av1Quantization,
        pub superres_denom: u8,
        pub segmentation: Av1Segmentation,
        pub loop_filter: Av1LoopFilter,
        pub cdef: Av1Cdef,
        pub skip_mode_frame: [u8; 2],
        pub primary_ref_frame: u8,
        pub loop_restoration: Av1LoopRestoration,
        pub global_motion: Av1GlobalMotion,
        pub flags: u32 => FRAME_FLAGS,
        pub frame_type: u32,
        pub order_hint: u32,
        pub upscaled_width: u32,
        pub interpolation_filter: u32,
        pub tx_mode: u32,
        pub frame_width_minus_1: u32,
        pub frame_height_minus_1: u32,
        pub render_width_minus_1: u16,
        pub render_height_minus_1: u16,
        pub current_frame_id: u32,
        pub buffer_removal_time: [u32; 32],
        pub reserved: [u8; 4],
        pub order_hints: [u32; 8],
        pub reference_frame_ts: [u64; 8],
        pub ref_frame_idx: [i8; 7],
        pub refresh_frame_flags: u8,
    }
}

wire_struct! {
    /// `struct v4l2_ctrl_av1_film_grain`.
    pub struct Av1FilmGrain = "v4l2_ctrl_av1_film_grain" {
        pub flags: u8 => FILM_GRAIN_FLAGS,
        pub cr_mult: u8,
        pub grain_seed: u16,
        pub film_grain_params_ref_idx: u8,
        pub num_y_points: u8,
        pub point_y_value: [u8; 16],
        pub point_y_scaling: [u8; 16],
        pub num_cb_points: u8,
        pub point_cb_value: [u8; 16],
        pub point_cb_scaling: [u8; 16],
        pub num_cr_points: u8,
        pub point_cr_value: [u8; 16],
        pub point_cr_scaling: [u8; 16],
        pub grain_scaling_minus_8: u8,
        pub ar_coeff_lag: u8,
        pub ar_coeffs_y_plus_128: [u8; 25],
        pub ar_coeffs_cb_plus_128: [u8; 25],
        pub ar_coeffs_cr_plus_128: [u8; 25],
        pub ar_coeff_shift_minus_6: u8,
        pub grain_scale_shift: u8,
        pub cb_mult: u8,
        pub cb_luma_mult: u8,
        pub cr_luma_mult: u8,
        pub cb_offset: u16,
        pub cr_offset: u16,
        pub reserved: [u8; 4],
    }
}

/// Summary of a sequence header.
pub fn summary_sequence(s: &Av1Sequence) -> String {
    format!(
        "AV1 SEQUENCE profile={} depth={} max={}x{} order_hint_bits={} flags={}",
        s.seq_profile,
        s.bit_depth,
        u32::from(s.max_frame_width_minus_1) + 1,
        u32::from(s.max_frame_height_minus_1) + 1,
        s.order_hint_bits,
        vf::flags(u64::from(s.flags), SEQUENCE_FLAGS)
    )
}

/// Summary of the tile-group entries of one request.
pub fn summary_tiles(v: &[Av1TileGroupEntry]) -> String {
    let parts: Vec<String> = v
        .iter()
        .map(|t| {
            format!(
                "({},{})@{}+{}",
                t.tile_row, t.tile_col, t.tile_offset, t.tile_size
            )
        })
        .collect();
    format!("AV1 TILE_GROUP_ENTRY x{} [{}]", v.len(), parts.join(" "))
}

/// Summary of a frame header.
pub fn summary_frame(f: &Av1Frame) -> String {
    format!(
        "AV1 FRAME {} {}x{} order_hint={} q={} tiles={}x{} refs={:?} flags={}",
        vf::symbolic(u64::from(f.frame_type), FRAME_TYPES),
        u64::from(f.frame_width_minus_1) + 1,
        u64::from(f.frame_height_minus_1) + 1,
        f.order_hint,
        f.quantization.base_q_idx,
        f.tile_info.tile_cols,
        f.tile_info.tile_rows,
        f.reference_frame_ts,
        vf::flags(u64::from(f.flags), FRAME_FLAGS)
    )
}

/// Summary of film-grain parameters.
pub fn summary_film_grain(g: &Av1FilmGrain) -> String {
    format!(
        "AV1 FILM_GRAIN seed={} points y/cb/cr={}/{}/{} flags={}",
        g.grain_seed,
        g.num_y_points,
        g.num_cb_points,
        g.num_cr_points,
        vf::flags(u64::from(g.flags), FILM_GRAIN_FLAGS)
    )
}

// ---- visl field flattening ----------------------------------------------------------------

#[cfg(any(test, feature = "testing"))]
fn arr_u64(v: &[u64]) -> String {
    vf::array(v.iter().copied())
}

#[cfg(any(test, feature = "testing"))]
/// Sequence fields as `v4l2_ctrl_av1_sequence` prints them.
pub fn visl_sequence(s: &Av1Sequence) -> Vec<(String, String)> {
    vec![
        kv("flags", vf::flags(u64::from(s.flags), SEQUENCE_FLAGS)),
        kv("seq_profile", s.seq_profile),
        kv("order_hint_bits", s.order_hint_bits),
        kv("bit_depth", s.bit_depth),
        kv("max_frame_width_minus_1", s.max_frame_width_minus_1),
        kv("max_frame_height_minus_1", s.max_frame_height_minus_1),
    ]
}

#[cfg(any(test, feature = "testing"))]
/// The first entry as `v4l2_ctrl_av1_tile_group_entry` prints it (visl traces only the
/// first element of the array).
pub fn visl_tiles(v: &[Av1TileGroupEntry]) -> Vec<(String, String)> {
    let Some(t) = v.first() else {
        return Vec::new();
    };
    vec![
        kv("tile_offset", t.tile_offset),
        kv("tile_size", t.tile_size),
        kv("tile_row", t.tile_row),
        kv("tile_col", t.tile_col),
    ]
}

#[cfg(any(test, feature = "testing"))]
/// Frame fields as `v4l2_ctrl_av1_frame` prints them (visl leaves out the segmentation
/// feature data, the global motion parameters and the frame type, interpolation filter and
/// tx mode).
pub fn visl_frame(f: &Av1Frame) -> Vec<(String, String)> {
    let t = &f.tile_info;
    let q = &f.quantization;
    let lf = &f.loop_filter;
    let lr = &f.loop_restoration;
    vec![
        kv(
            "tile_info.flags",
            vf::flags(u64::from(t.flags), TILE_INFO_FLAGS),
        ),
        kv("tile_info.context_update_tile_id", t.context_update_tile_id),
        kv("tile_info.tile_cols", t.tile_cols),
        kv("tile_info.tile_rows", t.tile_rows),
        kv("tile_info.mi_col_starts", vf::array_u32(&t.mi_col_starts)),
        kv("tile_info.mi_row_starts", vf::array_u32(&t.mi_row_starts)),
        kv(
            "tile_info.width_in_sbs_minus_1",
            vf::array_u32(&t.width_in_sbs_minus_1),
        ),
        kv(
            "tile_info.height_in_sbs_minus_1",
            vf::array_u32(&t.height_in_sbs_minus_1),
        ),
        kv("tile_info.tile_size_bytes", t.tile_size_bytes),
        kv(
            "quantization.flags",
            vf::flags(u64::from(q.flags), QUANT_FLAGS),
        ),
        kv("quantization.base_q_idx", q.base_q_idx),
        kv("quantization.delta_q_y_dc", q.delta_q_y_dc),
        kv("quantization.delta_q_u_dc", q.delta_q_u_dc),
        kv("quantization.delta_q_u_ac", q.delta_q_u_ac),
        kv("quantization.delta_q_v_dc", q.delta_q_v_dc),
        kv("quantization.delta_q_v_ac", q.delta_q_v_ac),
        kv("quantization.qm_y", q.qm_y),
        kv("quantization.qm_u", q.qm_u),
        kv("quantization.qm_v", q.qm_v),
        kv("quantization.delta_q_res", q.delta_q_res),
        kv("superres_denom", f.superres_denom),
        kv(
            "segmentation.flags",
            vf::flags(u64::from(f.segmentation.flags), SEG_FLAGS),
        ),
        kv(
            "segmentation.last_active_seg_id",
            f.segmentation.last_active_seg_id,
        ),
        kv(
            "segmentation.feature_enabled",
            vf::array_u8(&f.segmentation.feature_enabled),
        ),
        kv(
            "loop_filter.flags",
            vf::flags(u64::from(lf.flags), LF_FLAGS),
        ),
        kv("loop_filter.level", vf::array_u8(&lf.level)),
        kv("loop_filter.sharpness", lf.sharpness),
        kv("loop_filter.ref_deltas", vf::array_i8(&lf.ref_deltas)),
        kv("loop_filter.mode_deltas", vf::array_i8(&lf.mode_deltas)),
        kv("loop_filter.delta_lf_res", lf.delta_lf_res),
        kv("cdef.damping_minus_3", f.cdef.damping_minus_3),
        kv("cdef.bits", f.cdef.bits),
        kv("cdef.y_pri_strength", vf::array_u8(&f.cdef.y_pri_strength)),
        kv("cdef.y_sec_strength", vf::array_u8(&f.cdef.y_sec_strength)),
        kv(
            "cdef.uv_pri_strength",
            vf::array_u8(&f.cdef.uv_pri_strength),
        ),
        kv(
            "cdef.uv_sec_strength",
            vf::array_u8(&f.cdef.uv_sec_strength),
        ),
        kv("skip_mode_frame", vf::array_u8(&f.skip_mode_frame)),
        kv("primary_ref_frame", f.primary_ref_frame),
        kv(
            "loop_restoration.flags",
            vf::flags(u64::from(lr.flags), LR_FLAGS),
        ),
        kv("loop_restoration.lr_unit_shift", lr.lr_unit_shift),
        kv("loop_restoration.lr_uv_shift", lr.lr_uv_shift),
        kv(
            "loop_restoration.frame_restoration_type",
            vf::array_u32(&lr.frame_restoration_type),
        ),
        kv(
            "loop_restoration.loop_restoration_size",
            vf::array_u32(&lr.loop_restoration_size),
        ),
        kv("flags", vf::flags(u64::from(f.flags), FRAME_FLAGS)),
        kv("order_hint", f.order_hint),
        kv("upscaled_width", f.upscaled_width),
        kv("frame_width_minus_1", f.frame_width_minus_1),
        kv("frame_height_minus_1", f.frame_height_minus_1),
        kv("render_width_minus_1", f.render_width_minus_1),
        kv("render_height_minus_1", f.render_height_minus_1),
        kv("current_frame_id", f.current_frame_id),
        kv("buffer_removal_time", vf::array_u32(&f.buffer_removal_time)),
        kv("order_hints", vf::array_u32(&f.order_hints)),
        kv("reference_frame_ts", arr_u64(&f.reference_frame_ts)),
        kv("ref_frame_idx", vf::array_i8(&f.ref_frame_idx)),
        kv("refresh_frame_flags", f.refresh_frame_flags),
    ]
}

#[cfg(any(test, feature = "testing"))]
/// Film-grain fields as `v4l2_ctrl_av1_film_grain` prints them.
pub fn visl_film_grain(g: &Av1FilmGrain) -> Vec<(String, String)> {
    vec![
        kv("flags", vf::flags(u64::from(g.flags), FILM_GRAIN_FLAGS)),
        kv("cr_mult", g.cr_mult),
        kv("grain_seed", g.grain_seed),
        kv("film_grain_params_ref_idx", g.film_grain_params_ref_idx),
        kv("num_y_points", g.num_y_points),
        kv("point_y_value", vf::array_u8(&g.point_y_value)),
        kv("point_y_scaling", vf::array_u8(&g.point_y_scaling)),
        kv("num_cb_points", g.num_cb_points),
        kv("point_cb_value", vf::array_u8(&g.point_cb_value)),
        kv("point_cb_scaling", vf::array_u8(&g.point_cb_scaling)),
        kv("num_cr_points", g.num_cr_points),
        kv("point_cr_value", vf::array_u8(&g.point_cr_value)),
        kv("point_cr_scaling", vf::array_u8(&g.point_cr_scaling)),
        kv("grain_scaling_minus_8", g.grain_scaling_minus_8),
        kv("ar_coeff_lag", g.ar_coeff_lag),
        kv(
            "ar_coeffs_y_plus_128",
            vf::array_u8(&g.ar_coeffs_y_plus_128),
        ),
        kv(
            "ar_coeffs_cb_plus_128",
            vf::array_u8(&g.ar_coeffs_cb_plus_128),
        ),
        kv(
            "ar_coeffs_cr_plus_128",
            vf::array_u8(&g.ar_coeffs_cr_plus_128),
        ),
        kv("ar_coeff_shift_minus_6", g.ar_coeff_shift_minus_6),
        kv("grain_scale_shift", g.grain_scale_shift),
        kv("cb_mult", g.cb_mult),
        kv("cb_luma_mult", g.cb_luma_mult),
        kv("cr_luma_mult", g.cr_luma_mult),
        kv("cb_offset", g.cb_offset),
        kv("cr_offset", g.cr_offset),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controls::hevc::parse_array;
    use crate::controls::wire::Wire;

    #[test]
    fn sequence_and_tiles() {
        let mut p = vec![0u8; Av1Sequence::SIZE];
        p[0..4].copy_from_slice(&(1u32 << 12).to_le_bytes());
        p[6] = 10;
        p[8..10].copy_from_slice(&1919u16.to_le_bytes());
        p[10..12].copy_from_slice(&1079u16.to_le_bytes());
        let s = Av1Sequence::parse(&p).unwrap();
        assert_eq!(s.bit_depth, 10);
        assert!(summary_sequence(&s).contains("max=1920x1080"));
        assert!(summary_sequence(&s).contains("ENABLE_CDEF"));

        let mut t = vec![0u8; 32];
        t[16..20].copy_from_slice(&100u32.to_le_bytes());
        t[20..24].copy_from_slice(&50u32.to_le_bytes());
        t[28..32].copy_from_slice(&1u32.to_le_bytes());
        let v = parse_array::<Av1TileGroupEntry>(&t).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(
            (v[1].tile_offset, v[1].tile_size, v[1].tile_col),
            (100, 50, 1)
        );
        assert_eq!(
            summary_tiles(&v),
            "AV1 TILE_GROUP_ENTRY x2 [(0,0)@0+0 (0,1)@100+50]"
        );
        assert!(parse_array::<Av1TileGroupEntry>(&t[..17]).is_err());
    }

    #[test]
    fn visl_events_with_colons_parse_and_match() {
        use crate::controls::visl_ftrace::parse_line;
        let mut p = vec![0u8; Av1Sequence::SIZE];
        p[0] = 0x01;
        p[4] = 1;
        p[8..10].copy_from_slice(&639u16.to_le_bytes());
        let s = Av1Sequence::parse(&p).unwrap();
        // TP_printk("\nflags %s\nseq_profile: %u\norder_hint_bits: %u\nbit_depth: %u\n"
        //           "max_frame_width_minus_1: %u\nmax_frame_height_minus_1: %u\n", …)
        let ev = parse_line(
            "x-1 [000] ..... 3.000001: v4l2_ctrl_av1_sequence: \nflags STILL_PICTURE\nseq_profile: 1\n\
             order_hint_bits: 0\nbit_depth: 0\nmax_frame_width_minus_1: 639\nmax_frame_height_minus_1: 0\n",
        )
        .unwrap();
        assert_eq!(ev.fields, visl_sequence(&s));
        // TP_printk("\ntile_offset: %u\n tile_size: %u\n tile_row: %u\ntile_col: %u\n", …)
        let ev = parse_line(
            "x-1 [000] ..... 3.000002: v4l2_ctrl_av1_tile_group_entry: \ntile_offset: 10\n tile_size: 20\n tile_row: 0\ntile_col: 1\n",
        )
        .unwrap();
        let t = Av1TileGroupEntry {
            tile_offset: 10,
            tile_size: 20,
            tile_row: 0,
            tile_col: 1,
        };
        assert_eq!(ev.fields, visl_tiles(&[t]));
        // "…\nsegmentation.feature_enabled:%s\n…" has no space after the colon.
        let ev = parse_line(
            "x-1 [000] ..... 3.000003: v4l2_ctrl_av1_frame: \nsegmentation.feature_enabled:{0x0,0x1}\ncdef.uv_sec_strength:{0x2}\n",
        )
        .unwrap();
        assert_eq!(ev.get("segmentation.feature_enabled"), Some("{0x0,0x1}"));
        assert_eq!(ev.get("cdef.uv_sec_strength"), Some("{0x2}"));
    }

    #[test]
    fn frame_payload_with_raw_identifier_field() {
        let n = Av1Frame::SIZE;
        let offsets: std::collections::HashMap<_, _> = Av1Frame::offsets().into_iter().collect();
        let gm = offsets["global_motion"];
        let gm_off: std::collections::HashMap<_, _> =
            Av1GlobalMotion::offsets().into_iter().collect();
        assert!(gm_off.contains_key("type"));
        let mut p = vec![0u8; n];
        p[gm + gm_off["type"] + 4..gm + gm_off["type"] + 8].copy_from_slice(&2u32.to_le_bytes());
        let ts = offsets["reference_frame_ts"];
        p[ts + 8..ts + 16].copy_from_slice(&77u64.to_le_bytes());
        p[n - 1] = 0xff; // refresh_frame_flags
        p[offsets["frame_type"]] = 1;
        let f = Av1Frame::parse(&p).unwrap();
        assert_eq!(f.global_motion.r#type[1], 2);
        assert_eq!(f.reference_frame_ts[1], 77);
        assert_eq!(f.refresh_frame_flags, 0xff);
        assert!(summary_frame(&f).starts_with("AV1 FRAME INTER 1x1"));
        let v = visl_frame(&f);
        assert_eq!(v.len(), 56);
        assert!(v.contains(&kv(
            "reference_frame_ts",
            "{0x0,0x4d,0x0,0x0,0x0,0x0,0x0,0x0}"
        )));
        assert!(v.contains(&kv("refresh_frame_flags", "255")));
        let fields = f.fields();
        assert!(fields.iter().any(|(k, _)| k == "global_motion.type"));
        let j = serde_json::to_value(&f).unwrap();
        assert_eq!(j["global_motion"]["type"][1], 2);
    }

    #[test]
    fn film_grain_payload() {
        let mut p = vec![0u8; Av1FilmGrain::SIZE];
        p[0] = 1;
        p[2..4].copy_from_slice(&1234u16.to_le_bytes());
        p[5] = 2;
        let g = Av1FilmGrain::parse(&p).unwrap();
        assert_eq!((g.grain_seed, g.num_y_points), (1234, 2));
        assert!(summary_film_grain(&g).contains("APPLY_GRAIN"));
    }
}
