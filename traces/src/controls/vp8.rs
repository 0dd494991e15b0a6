//! VP8 stateless control (`V4L2_CID_STATELESS_VP8_FRAME`): the frame header struct of the 6.12
//! uapi with its segment, loop-filter, quantisation, entropy and coder-state sub-structs, a
//! one-line summary, and the flattening visl's `v4l2_ctrl_vp8_frame` and
//! `v4l2_ctrl_vp8_entropy` events print (drivers/media/test-drivers/visl/visl-trace-vp8.h).

use super::visl_fmt as vf;
#[cfg(any(test, feature = "testing"))]
use super::visl_fmt::kv;
use super::wire::{wire_struct, FlagTable};

/// `V4L2_VP8_SEGMENT_FLAG_*` (names as visl prints them).
pub const SEGMENT_FLAGS: FlagTable = &[
    (0x01, "SEGMENT_ENABLED"),
    (0x02, "SEGMENT_UPDATE_MAP"),
    (0x04, "SEGMENT_UPDATE_FEATURE_DATA"),
    (0x08, "SEGMENT_DELTA_VALUE_MODE"),
];

/// `V4L2_VP8_LF_*` (names as visl prints them).
pub const LF_FLAGS: FlagTable = &[
    (0x01, "LF_ADJ_ENABLED"),
    (0x02, "LF_DELTA_UPDATE"),
    (0x04, "LF_FILTER_TYPE_SIMPLE"),
];

/// `V4L2_VP8_FRAME_FLAG_*`.
pub const FRAME_FLAGS: FlagTable = &[
    (0x01, "KEY_FRAME"),
    (0x02, "EXPERIMENTAL"),
    (0x04, "SHOW_FRAME"),
    (0x08, "MB_NO_SKIP_COEFF"),
    (0x10, "SIGN_BIAS_GOLDEN"),
    (0x20, "SIGN_BIAS_ALT"),
];

wire_struct! {
    /// `struct v4l2_vp8_segment`.
    pub struct Vp8Segment = "v4l2_vp8_segment" {
        pub quant_update: [i8; 4],
        pub lf_update: [i8; 4],
        pub segment_probs: [u8; 3],
        pub padding: u8,
        pub flags: u32 => SEGMENT_FLAGS,
    }
}

wire_struct! {
    /// `struct v4l2_vp8_loop_filter`.
    pub struct Vp8LoopFilter = "v4l2_vp8_loop_filter" {
        pub ref_frm_delta: [i8; 4],
        pub mb_mode_delta: [i8; 4],
        pub sharpness_level: u8,
        pub level: u8,
        pub padding: u16,
        pub flags: u32 => LF_FLAGS,
    }
}

wire_struct! {
    /// `struct v4l2_vp8_quantization`.
    pub struct Vp8Quantization = "v4l2_vp8_quantization" {
        pub y_ac_qi: u8,
        pub y_dc_delta: i8,
        pub y2_dc_delta: i8,
        pub y2_ac_delta: i8,
        pub uv_dc_delta: i8,
        pub uv_ac_delta: i8,
        pub padding: u16,
    }
}

wire_struct! {
    /// `struct v4l2_vp8_entropy`: the probability tables.
    pub struct Vp8Entropy = "v4l2_vp8_entropy" {
        pub coeff_probs: [[[[u8; 11]; 3]; 8]; 4],
        pub y_mode_probs: [u8; 4],
        pub uv_mode_probs: [u8; 3],
        pub mv_probs: [[u8; 19]; 2],
        pub padding: [u8; 3],
    }
}

wire_struct! {
    /// `struct v4l2_vp8_entropy_coder_state`: the boolean decoder's state after the header.
    pub struct Vp8EntropyCoderState = "v4l2_vp8_entropy_coder_state" {
        pub range: u8,
        pub value: u8,
        pub bit_count: u8,
        pub padding: u8,
    }
}

wire_struct! {
    /// `struct v4l2_ctrl_vp8_frame`: the frame header; references are CAPTURE timestamps (ns).
    pub struct Vp8Frame = "v4l2_ctrl_vp8_frame" {
        pub segment: Vp8Segment,
        pub lf: Vp8LoopFilter,
        pub quant: Vp8Quantization,
        pub entropy: Vp8Entropy,
        pub coder_state: Vp8EntropyCoderState,
        pub width: u16,
        pub height: u16,
        pub horizontal_scale: u8,
        pub vertical_scale: u8,
        pub version: u8,
        pub prob_skip_false: u8,
        pub prob_intra: u8,
        pub prob_last: u8,
        pub prob_gf: u8,
        pub num_dct_parts: u8,
        pub first_part_size: u32,
        pub first_part_header_bits: u32,
        pub dct_part_sizes: [u32; 8],
        pub last_frame_ts: u64,
        pub golden_frame_ts: u64,
        pub alt_frame_ts: u64,
        pub flags: u64 => FRAME_FLAGS,
    }
}

/// Summary of a frame header.
pub fn summary_frame(f: &Vp8Frame) -> String {
    format!(
        "VP8 FRAME {}x{} {} q={} lf={} parts={} first_part={}B/{}bits refs last={} golden={} alt={} flags={}",
        f.width,
        f.height,
        if f.flags & 1 != 0 { "key" } else { "inter" },
        f.quant.y_ac_qi,
        f.lf.level,
        f.num_dct_parts,
        f.first_part_size,
        f.first_part_header_bits,
        f.last_frame_ts,
        f.golden_frame_ts,
        f.alt_frame_ts,
        vf::flags(f.flags, FRAME_FLAGS)
    )
}

#[cfg(any(test, feature = "testing"))]
/// Frame fields as `v4l2_ctrl_vp8_frame` prints them, then the entropy fields as
/// `v4l2_ctrl_vp8_entropy` prints them.
pub fn visl_frame(f: &Vp8Frame) -> Vec<(String, String)> {
    let coeff: Vec<u8> = f
        .entropy
        .coeff_probs
        .iter()
        .flatten()
        .flatten()
        .flatten()
        .copied()
        .collect();
    let mv: Vec<u8> = f.entropy.mv_probs.iter().flatten().copied().collect();
    vec![
        kv(
            "segment.quant_update",
            vf::array_i8(&f.segment.quant_update),
        ),
        kv("segment.lf_update", vf::array_i8(&f.segment.lf_update)),
        kv(
            "segment.segment_probs",
            vf::array_u8(&f.segment.segment_probs),
        ),
        kv(
            "segment.flags",
            vf::flags(u64::from(f.segment.flags), SEGMENT_FLAGS),
        ),
        kv("lf.ref_frm_delta", vf::array_i8(&f.lf.ref_frm_delta)),
        kv("lf.mb_mode_delta", vf::array_i8(&f.lf.mb_mode_delta)),
        kv("lf.sharpness_level", f.lf.sharpness_level),
        kv("lf.level", f.lf.level),
        kv("lf.flags", vf::flags(u64::from(f.lf.flags), LF_FLAGS)),
        kv("quant.y_ac_qi", f.quant.y_ac_qi),
        kv("quant.y_dc_delta", f.quant.y_dc_delta),
        kv("quant.y2_dc_delta", f.quant.y2_dc_delta),
        kv("quant.y2_ac_delta", f.quant.y2_ac_delta),
        kv("quant.uv_dc_delta", f.quant.uv_dc_delta),
        kv("quant.uv_ac_delta", f.quant.uv_ac_delta),
        kv("coder_state.range", f.coder_state.range),
        kv("coder_state.value", f.coder_state.value),
        kv("coder_state.bit_count", f.coder_state.bit_count),
        kv("width", f.width),
        kv("height", f.height),
        kv("horizontal_scale", f.horizontal_scale),
        kv("vertical_scale", f.vertical_scale),
        kv("version", f.version),
        kv("prob_skip_false", f.prob_skip_false),
        kv("prob_intra", f.prob_intra),
        kv("prob_last", f.prob_last),
        kv("prob_gf", f.prob_gf),
        kv("num_dct_parts", f.num_dct_parts),
        kv("first_part_size", f.first_part_size),
        kv("first_part_header_bits", f.first_part_header_bits),
        kv("dct_part_sizes", vf::array_u32(&f.dct_part_sizes)),
        kv("last_frame_ts", f.last_frame_ts),
        kv("golden_frame_ts", f.golden_frame_ts),
        kv("alt_frame_ts", f.alt_frame_ts),
        kv("flags", vf::flags(f.flags, FRAME_FLAGS)),
        kv("entropy.coeff_probs", vf::hex_dump(&coeff)),
        kv(
            "entropy.y_mode_probs",
            vf::array_u8(&f.entropy.y_mode_probs),
        ),
        kv(
            "entropy.uv_mode_probs",
            vf::array_u8(&f.entropy.uv_mode_probs),
        ),
        kv("entropy.mv_probs", vf::hex_dump(&mv)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controls::visl_ftrace::{parse_line, parse_text};
    use crate::controls::wire::Wire;

    /// A frame payload with a few fields set at their C offsets (see traces/src/layout_check/layout_expected.txt).
    fn payload() -> Vec<u8> {
        let mut p = vec![0u8; Vp8Frame::SIZE];
        p[0] = (-3i8) as u8; // segment.quant_update[0]
        p[12..16].copy_from_slice(&1u32.to_le_bytes()); // segment.flags
        p[16] = 2; // lf.ref_frm_delta[0]
        p[25] = 20; // lf.level
        p[28..32].copy_from_slice(&1u32.to_le_bytes()); // lf.flags
        p[32] = 40; // quant.y_ac_qi
        p[33] = (-1i8) as u8; // quant.y_dc_delta
        p[40] = 0xfd; // entropy.coeff_probs[0][0][0][0]
        p[40 + 1055] = 0x80; // entropy.coeff_probs[3][7][2][10]
        p[40 + 1056] = 145; // entropy.y_mode_probs[0]
        p[1144] = 255; // coder_state.range
        p[1148..1150].copy_from_slice(&176u16.to_le_bytes()); // width
        p[1150..1152].copy_from_slice(&144u16.to_le_bytes()); // height
        p[1159] = 1; // num_dct_parts
        p[1160..1164].copy_from_slice(&1234u32.to_le_bytes()); // first_part_size
        p[1168..1172].copy_from_slice(&5000u32.to_le_bytes()); // dct_part_sizes[0]
        p[1208..1216].copy_from_slice(&7000u64.to_le_bytes()); // golden_frame_ts
        p[1224..1232].copy_from_slice(&5u64.to_le_bytes()); // flags
        p
    }

    #[test]
    fn frame_payload() {
        let f = Vp8Frame::parse(&payload()).unwrap();
        assert_eq!(f.segment.quant_update[0], -3);
        assert_eq!(f.lf.level, 20);
        assert_eq!(f.quant.y_dc_delta, -1);
        assert_eq!(f.entropy.coeff_probs[0][0][0][0], 0xfd);
        assert_eq!(f.entropy.coeff_probs[3][7][2][10], 0x80);
        assert_eq!(f.entropy.y_mode_probs[0], 145);
        assert_eq!(f.coder_state.range, 255);
        assert_eq!((f.width, f.height), (176, 144));
        assert_eq!(f.first_part_size, 1234);
        assert_eq!(f.dct_part_sizes[0], 5000);
        assert_eq!(f.golden_frame_ts, 7000);
        assert_eq!(f.flags, 5);
        assert!(summary_frame(&f).starts_with("VP8 FRAME 176x144 key"));
        assert!(Vp8Frame::parse(&[0; 100]).is_err());
    }

    #[test]
    fn frame_and_entropy_events_match() {
        let f = Vp8Frame::parse(&payload()).unwrap();
        // TP_printk("\nsegment.quant_update %s\n…\nflags %s", …) of v4l2_ctrl_vp8_frame
        let frame = "  gst-1 [000] ..... 9.000001: v4l2_ctrl_vp8_frame: \n\
            segment.quant_update {0xfd,0x0,0x0,0x0}\nsegment.lf_update {0x0,0x0,0x0,0x0}\n\
            segment.segment_probs {0x0,0x0,0x0}\nsegment.flags SEGMENT_ENABLED\n\
            lf.ref_frm_delta {0x2,0x0,0x0,0x0}\nlf.mb_mode_delta {0x0,0x0,0x0,0x0}\n\
            lf.sharpness_level 0\nlf.level 20\nlf.flags LF_ADJ_ENABLED\nquant.y_ac_qi 40\n\
            quant.y_dc_delta -1\nquant.y2_dc_delta 0\nquant.y2_ac_delta 0\nquant.uv_dc_delta 0\n\
            quant.uv_ac_delta 0\ncoder_state.range 255\ncoder_state.value 0\ncoder_state.bit_count 0\n\
            width 176\nheight 144\nhorizontal_scale 0\nvertical_scale 0\nversion 0\nprob_skip_false 0\n\
            prob_intra 0\nprob_last 0\nprob_gf 0\nnum_dct_parts 1\nfirst_part_size 1234\n\
            first_part_header_bits 0\ndct_part_sizes {0x1388,0x0,0x0,0x0,0x0,0x0,0x0,0x0}\n\
            last_frame_ts 0\ngolden_frame_ts 7000\nalt_frame_ts 0\nflags KEY_FRAME|SHOW_FRAME";
        // TP_printk("\nentropy.coeff_probs {%s}\nentropy.y_mode_probs %s\n"
        //           "entropy.uv_mode_probs %s\nentropy.mv_probs {%s}", …)
        let mut coeff = vec![0u8; 1056];
        coeff[0] = 0xfd;
        coeff[1055] = 0x80;
        let rows = |b: &[u8]| -> String {
            b.chunks(32)
                .map(|r| {
                    r.iter()
                        .map(|x| format!("{x:02x}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                        + "\n"
                })
                .collect()
        };
        let entropy = format!(
            "  gst-1 [000] ..... 9.000002: v4l2_ctrl_vp8_entropy: \nentropy.coeff_probs {{\n{}}}\n\
             entropy.y_mode_probs {{0x91,0x0,0x0,0x0}}\nentropy.uv_mode_probs {{0x0,0x0,0x0}}\n\
             entropy.mv_probs {{\n{}}}",
            rows(&coeff),
            rows(&[0u8; 38])
        );
        let events = parse_text(&format!("{frame}\n{entropy}\n"));
        assert_eq!(events.len(), 2);
        assert_eq!(events[0], parse_line(frame).unwrap());
        let parsed: Vec<(String, String)> = events.into_iter().flat_map(|e| e.fields).collect();
        assert_eq!(parsed, visl_frame(&f));
    }
}
