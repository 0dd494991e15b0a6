//! VP9 stateless controls (`V4L2_CID_STATELESS_VP9_FRAME`, `…_COMPRESSED_HDR`): Rust mirrors
//! of the 6.12 uapi structs (frame header with loop-filter, quantisation and segmentation;
//! compressed-header probabilities with the MV probabilities), one-line summaries, and the
//! flattening visl's `visl_vp9_controls` events print
//! (drivers/media/test-drivers/visl/visl-trace-vp9.h).

use super::visl_fmt as vf;
#[cfg(any(test, feature = "testing"))]
use super::visl_fmt::kv;
use super::wire::{wire_struct, FlagTable};

/// `V4L2_VP9_LOOP_FILTER_FLAG_*`.
pub const LF_FLAGS: FlagTable = &[(0x1, "DELTA_ENABLED"), (0x2, "DELTA_UPDATE")];

/// `V4L2_VP9_SEGMENTATION_FLAG_*`.
pub const SEG_FLAGS: FlagTable = &[
    (0x01, "ENABLED"),
    (0x02, "UPDATE_MAP"),
    (0x04, "TEMPORAL_UPDATE"),
    (0x08, "UPDATE_DATA"),
    (0x10, "ABS_OR_DELTA_UPDATE"),
];

/// `V4L2_VP9_FRAME_FLAG_*`.
pub const FRAME_FLAGS: FlagTable = &[
    (0x001, "KEY_FRAME"),
    (0x002, "SHOW_FRAME"),
    (0x004, "ERROR_RESILIENT"),
    (0x008, "INTRA_ONLY"),
    (0x010, "ALLOW_HIGH_PREC_MV"),
    (0x020, "REFRESH_FRAME_CTX"),
    (0x040, "PARALLEL_DEC_MODE"),
    (0x080, "X_SUBSAMPLING"),
    (0x100, "Y_SUBSAMPLING"),
    (0x200, "COLOR_RANGE_FULL_SWING"),
];

/// `V4L2_VP9_SIGN_BIAS_*`.
pub const SIGN_BIAS: FlagTable = &[(0x1, "LAST"), (0x2, "GOLDEN"), (0x4, "ALT")];

/// `V4L2_VP9_TX_MODE_*`.
pub const TX_MODES: FlagTable = &[
    (0, "ONLY_4X4"),
    (1, "ALLOW_8X8"),
    (2, "ALLOW_16X16"),
    (3, "ALLOW_32X32"),
    (4, "SELECT"),
];

wire_struct! {
    /// `struct v4l2_vp9_loop_filter`.
    pub struct Vp9LoopFilter = "v4l2_vp9_loop_filter" {
        pub ref_deltas: [i8; 4],
        pub mode_deltas: [i8; 2],
        pub level: u8,
        pub sharpness: u8,
        pub flags: u8 => LF_FLAGS,
        pub reserved: [u8; 7],
    }
}

wire_struct! {
    /// `struct v4l2_vp9_quantization`.
    pub struct Vp9Quantization = "v4l2_vp9_quantization" {
        pub base_q_idx: u8,
        pub delta_q_y_dc: i8,
        pub delta_q_uv_dc: i8,
        pub delta_q_uv_ac: i8,
        pub reserved: [u8; 4],
    }
}

wire_struct! {
    /// `struct v4l2_vp9_segmentation`.
    pub struct Vp9Segmentation = "v4l2_vp9_segmentation" {
        pub feature_data: [[i16; 4]; 8],
        pub feature_enabled: [u8; 8],
        pub tree_probs: [u8; 7],
        pub pred_probs: [u8; 3],
        pub flags: u8 => SEG_FLAGS,
        pub reserved: [u8; 5],
    }
}

wire_struct! {
    /// `struct v4l2_ctrl_vp9_frame`: the uncompressed header; references are CAPTURE
    /// timestamps (ns).
    pub struct Vp9Frame = "v4l2_ctrl_vp9_frame" {
        pub lf: Vp9LoopFilter,
        pub quant: Vp9Quantization,
        pub seg: Vp9Segmentation,
        pub flags: u32 => FRAME_FLAGS,
        pub compressed_header_size: u16,
        pub uncompressed_header_size: u16,
        pub frame_width_minus_1: u16,
        pub frame_height_minus_1: u16,
        pub render_width_minus_1: u16,
        pub render_height_minus_1: u16,
        pub last_frame_ts: u64,
        pub golden_frame_ts: u64,
        pub alt_frame_ts: u64,
        pub ref_frame_sign_bias: u8 => SIGN_BIAS,
        pub reset_frame_context: u8,
        pub frame_context_idx: u8,
        pub profile: u8,
        pub bit_depth: u8,
        pub interpolation_filter: u8,
        pub tile_cols_log2: u8,
        pub tile_rows_log2: u8,
        pub reference_mode: u8,
        pub reserved: [u8; 7],
    }
}

wire_struct! {
    /// `struct v4l2_vp9_mv_probs`.
    pub struct Vp9MvProbs = "v4l2_vp9_mv_probs" {
        pub joint: [u8; 3],
        pub sign: [u8; 2],
        pub classes: [[u8; 10]; 2],
        pub class0_bit: [u8; 2],
        pub bits: [[u8; 10]; 2],
        pub class0_fr: [[[u8; 3]; 2]; 2],
        pub fr: [[u8; 3]; 2],
        pub class0_hp: [u8; 2],
        pub hp: [u8; 2],
    }
}

wire_struct! {
    /// `struct v4l2_ctrl_vp9_compressed_hdr`: the probability updates of the compressed header.
    pub struct Vp9CompressedHdr = "v4l2_ctrl_vp9_compressed_hdr" {
        pub tx_mode: u8,
        pub tx8: [[u8; 1]; 2],
        pub tx16: [[u8; 2]; 2],
        pub tx32: [[u8; 3]; 2],
        pub coef: [[[[[[u8; 3]; 6]; 6]; 2]; 2]; 4],
        pub skip: [u8; 3],
        pub inter_mode: [[u8; 3]; 7],
        pub interp_filter: [[u8; 2]; 4],
        pub is_inter: [u8; 4],
        pub comp_mode: [u8; 5],
        pub single_ref: [[u8; 2]; 5],
        pub comp_ref: [u8; 5],
        pub y_mode: [[u8; 9]; 4],
        pub uv_mode: [[u8; 9]; 10],
        pub partition: [[u8; 3]; 16],
        pub mv: Vp9MvProbs,
    }
}

/// Summary of a frame header.
pub fn summary_frame(f: &Vp9Frame) -> String {
    format!(
        "VP9 FRAME {}x{} profile={} depth={} q={} lf={} hdr={}+{}B refs last={} golden={} alt={} flags={}",
        u32::from(f.frame_width_minus_1) + 1,
        u32::from(f.frame_height_minus_1) + 1,
        f.profile,
        f.bit_depth,
        f.quant.base_q_idx,
        f.lf.level,
        f.uncompressed_header_size,
        f.compressed_header_size,
        f.last_frame_ts,
        f.golden_frame_ts,
        f.alt_frame_ts,
        vf::flags(u64::from(f.flags), FRAME_FLAGS)
    )
}

/// Summary of the compressed header.
pub fn summary_compressed(c: &Vp9CompressedHdr) -> String {
    format!(
        "VP9 COMPRESSED_HDR tx_mode={} skip={:?} mv.joint={:?}",
        vf::symbolic(u64::from(c.tx_mode), TX_MODES),
        c.skip,
        c.mv.joint
    )
}

// ---- visl field flattening ----------------------------------------------------------------

/// `ref_frame_sign_bias` as visl prints it: with `__print_symbolic`, so only single bits
/// have names.
pub const VISL_SIGN_BIAS: FlagTable = &[
    (1, "SIGN_BIAS_LAST"),
    (2, "SIGN_BIAS_GOLDEN"),
    (4, "SIGN_BIAS_ALT"),
];
pub const VISL_RESET_CTX: FlagTable = &[
    (0, "RESET_FRAME_CTX_NONE"),
    (1, "RESET_FRAME_CTX_SPEC"),
    (2, "RESET_FRAME_CTX_ALL"),
];
pub const VISL_INTERP: FlagTable = &[
    (0, "INTERP_FILTER_EIGHTTAP"),
    (1, "INTERP_FILTER_EIGHTTAP_SMOOTH"),
    (2, "INTERP_FILTER_EIGHTTAP_SHARP"),
    (3, "INTERP_FILTER_BILINEAR"),
    (4, "INTERP_FILTER_SWITCHABLE"),
];
pub const VISL_REF_MODE: FlagTable = &[
    (0, "REFERENCE_MODE_SINGLE_REFERENCE"),
    (1, "REFERENCE_MODE_COMPOUND_REFERENCE"),
    (2, "REFERENCE_MODE_SELECT"),
];
pub const VISL_TX_MODES: FlagTable = &[
    (0, "TX_MODE_ONLY_4X4"),
    (1, "TX_MODE_ALLOW_8X8"),
    (2, "TX_MODE_ALLOW_16X16"),
    (3, "TX_MODE_ALLOW_32X32"),
    (4, "TX_MODE_SELECT"),
];

#[cfg(any(test, feature = "testing"))]
fn flat<const N: usize, const M: usize>(v: &[[u8; M]; N]) -> Vec<u8> {
    v.iter().flatten().copied().collect()
}

#[cfg(any(test, feature = "testing"))]
/// Frame fields as `v4l2_ctrl_vp9_frame` prints them (`tile_rows_log2` is printed as
/// `tile_rows_log_2`).
pub fn visl_frame(f: &Vp9Frame) -> Vec<(String, String)> {
    let feature_data: Vec<u8> = f
        .seg
        .feature_data
        .iter()
        .flatten()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    vec![
        kv("lf.ref_deltas", vf::array_i8(&f.lf.ref_deltas)),
        kv("lf.mode_deltas", vf::array_i8(&f.lf.mode_deltas)),
        kv("lf.level", f.lf.level),
        kv("lf.sharpness", f.lf.sharpness),
        kv("lf.flags", vf::flags(u64::from(f.lf.flags), LF_FLAGS)),
        kv("quant.base_q_idx", f.quant.base_q_idx),
        kv("quant.delta_q_y_dc", f.quant.delta_q_y_dc),
        kv("quant.delta_q_uv_dc", f.quant.delta_q_uv_dc),
        kv("quant.delta_q_uv_ac", f.quant.delta_q_uv_ac),
        kv("seg.feature_data", vf::hex_dump(&feature_data)),
        kv("seg.feature_enabled", vf::array_u8(&f.seg.feature_enabled)),
        kv("seg.tree_probs", vf::array_u8(&f.seg.tree_probs)),
        kv("seg.pred_probs", vf::array_u8(&f.seg.pred_probs)),
        kv("seg.flags", vf::flags(u64::from(f.seg.flags), SEG_FLAGS)),
        kv("flags", vf::flags(u64::from(f.flags), FRAME_FLAGS)),
        kv("compressed_header_size", f.compressed_header_size),
        kv("uncompressed_header_size", f.uncompressed_header_size),
        kv("frame_width_minus_1", f.frame_width_minus_1),
        kv("frame_height_minus_1", f.frame_height_minus_1),
        kv("render_width_minus_1", f.render_width_minus_1),
        kv("render_height_minus_1", f.render_height_minus_1),
        kv("last_frame_ts", f.last_frame_ts),
        kv("golden_frame_ts", f.golden_frame_ts),
        kv("alt_frame_ts", f.alt_frame_ts),
        kv(
            "ref_frame_sign_bias",
            vf::symbolic(u64::from(f.ref_frame_sign_bias), VISL_SIGN_BIAS),
        ),
        kv(
            "reset_frame_context",
            vf::symbolic(u64::from(f.reset_frame_context), VISL_RESET_CTX),
        ),
        kv("frame_context_idx", f.frame_context_idx),
        kv("profile", f.profile),
        kv("bit_depth", f.bit_depth),
        kv(
            "interpolation_filter",
            vf::symbolic(u64::from(f.interpolation_filter), VISL_INTERP),
        ),
        kv("tile_cols_log2", f.tile_cols_log2),
        kv("tile_rows_log_2", f.tile_rows_log2),
        kv(
            "reference_mode",
            vf::symbolic(u64::from(f.reference_mode), VISL_REF_MODE),
        ),
    ]
}

#[cfg(any(test, feature = "testing"))]
/// Compressed-header fields as `v4l2_ctrl_vp9_compressed_hdr`,
/// `v4l2_ctrl_vp9_compressed_coeff` and `v4l2_vp9_mv_probs` print them.
pub fn visl_compressed(h: &Vp9CompressedHdr) -> Vec<(String, String)> {
    let coef: Vec<u8> = h
        .coef
        .iter()
        .flatten()
        .flatten()
        .flatten()
        .flatten()
        .flatten()
        .copied()
        .collect();
    let class0_fr: Vec<u8> = h.mv.class0_fr.iter().flatten().flatten().copied().collect();
    vec![
        kv("tx_mode", vf::symbolic(u64::from(h.tx_mode), VISL_TX_MODES)),
        kv("tx8", vf::hex_dump(&flat(&h.tx8))),
        kv("tx16", vf::hex_dump(&flat(&h.tx16))),
        kv("tx32", vf::hex_dump(&flat(&h.tx32))),
        kv("skip", vf::array_u8(&h.skip)),
        kv("inter_mode", vf::hex_dump(&flat(&h.inter_mode))),
        kv("interp_filter", vf::hex_dump(&flat(&h.interp_filter))),
        kv("is_inter", vf::array_u8(&h.is_inter)),
        kv("comp_mode", vf::array_u8(&h.comp_mode)),
        kv("single_ref", vf::hex_dump(&flat(&h.single_ref))),
        kv("comp_ref", vf::array_u8(&h.comp_ref)),
        kv("y_mode", vf::hex_dump(&flat(&h.y_mode))),
        kv("uv_mode", vf::hex_dump(&flat(&h.uv_mode))),
        kv("partition", vf::hex_dump(&flat(&h.partition))),
        kv("coef", vf::hex_dump(&coef)),
        kv("joint", vf::array_u8(&h.mv.joint)),
        kv("sign", vf::array_u8(&h.mv.sign)),
        kv("classes", vf::hex_dump(&flat(&h.mv.classes))),
        kv("class0_bit", vf::array_u8(&h.mv.class0_bit)),
        kv("bits", vf::hex_dump(&flat(&h.mv.bits))),
        kv("class0_fr", vf::hex_dump(&class0_fr)),
        kv("fr", vf::hex_dump(&flat(&h.mv.fr))),
        kv("class0_hp", vf::array_u8(&h.mv.class0_hp)),
        kv("hp", vf::array_u8(&h.mv.hp)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controls::wire::Wire;

    #[test]
    fn frame_payload() {
        let mut p = vec![0u8; Vp9Frame::SIZE];
        p[0] = (-1i8) as u8; // lf.ref_deltas[0]
        p[6] = 36; // lf.level
        p[16] = 60; // quant.base_q_idx
        p[24..26].copy_from_slice(&(-5i16).to_le_bytes()); // seg.feature_data[0][0]
        p[112..116].copy_from_slice(&3u32.to_le_bytes()); // flags
        p[120..122].copy_from_slice(&351u16.to_le_bytes()); // frame_width_minus_1
        p[122..124].copy_from_slice(&287u16.to_le_bytes()); // frame_height_minus_1
        p[136..144].copy_from_slice(&1000u64.to_le_bytes()); // golden_frame_ts
        p[152] = 1; // ref_frame_sign_bias
        p[156] = 8; // bit_depth
        let f = Vp9Frame::parse(&p).unwrap();
        assert_eq!(f.lf.ref_deltas[0], -1);
        assert_eq!(f.lf.level, 36);
        assert_eq!(f.quant.base_q_idx, 60);
        assert_eq!(f.seg.feature_data[0][0], -5);
        assert_eq!(f.flags, 3);
        assert_eq!(f.golden_frame_ts, 1000);
        assert_eq!(f.bit_depth, 8);
        assert!(summary_frame(&f).starts_with("VP9 FRAME 352x288"));
        let v = visl_frame(&f);
        assert_eq!(v[0], kv("lf.ref_deltas", "{0xff,0x0,0x0,0x0}"));
        assert!(v[9].1.starts_with("fb ff 00 00"));
        assert_eq!(v[14], kv("flags", "KEY_FRAME|SHOW_FRAME"));
        assert_eq!(v[24], kv("ref_frame_sign_bias", "SIGN_BIAS_LAST"));
        assert_eq!(v[31], kv("tile_rows_log_2", "0"));
        assert!(Vp9Frame::parse(&p[..10]).is_err());
    }

    #[test]
    fn compressed_header_payload() {
        let mut p = vec![0u8; Vp9CompressedHdr::SIZE];
        p[0] = 4;
        p[13] = 7; // coef[0][0][0][0][0][0]
        p[Vp9CompressedHdr::SIZE - 69] = 9; // mv.joint[0]
        let c = Vp9CompressedHdr::parse(&p).unwrap();
        assert_eq!(c.tx_mode, 4);
        assert_eq!(c.coef[0][0][0][0][0][0], 7);
        assert_eq!(c.mv.joint[0], 9);
        assert!(summary_compressed(&c).contains("tx_mode=SELECT"));
        let f = visl_compressed(&c);
        assert_eq!(f[0], kv("tx_mode", "TX_MODE_SELECT"));
        assert!(f[14].1.starts_with("07 00"));
        assert_eq!(f[14].1.len(), 1728 * 3 - 1);
        assert_eq!(f[15], kv("joint", "{0x9,0x0,0x0}"));
    }

    #[test]
    fn visl_events_with_leading_spaces_parse() {
        use crate::controls::visl_ftrace::parse_line;
        // TP_printk("\n joint %s\nsign %s\nclasses {%s}\n…", …)
        let ev = parse_line(
            "x-1 [000] ..... 2.000001: v4l2_vp9_mv_probs: \n joint {0x9,0x0,0x0}\nsign {0x0,0x0}\nclasses {\n\
             00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n}\n",
        )
        .unwrap();
        assert_eq!(ev.fields[0], kv("joint", "{0x9,0x0,0x0}"));
        assert_eq!(ev.fields[2].1.len(), 20 * 3 - 1);
        // TP_printk("\n coef {%s}", …)
        let ev = parse_line(
            "x-1 [000] ..... 2.000002: v4l2_ctrl_vp9_compressed_coeff: \n coef {\n07 00\n}",
        )
        .unwrap();
        assert_eq!(ev.fields, vec![kv("coef", "07 00")]);
    }
}
