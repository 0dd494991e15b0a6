//! MPEG-2 stateless controls (`V4L2_CID_STATELESS_MPEG2_*`): sequence, picture and
//! quantisation structs of the 6.12 uapi, one-line summaries, and the flattening visl's
//! `visl_mpeg2_controls` events print (drivers/media/test-drivers/visl/visl-trace-mpeg2.h).

use super::visl_fmt as vf;
#[cfg(any(test, feature = "testing"))]
use super::visl_fmt::kv;
use super::wire::{wire_struct, FlagTable};

/// `V4L2_MPEG2_SEQ_FLAG_*`.
pub const SEQ_FLAGS: FlagTable = &[(0x01, "PROGRESSIVE")];

/// `V4L2_MPEG2_PIC_FLAG_*`.
pub const PIC_FLAGS: FlagTable = &[
    (0x0001, "TOP_FIELD_FIRST"),
    (0x0002, "FRAME_PRED_DCT"),
    (0x0004, "CONCEALMENT_MV"),
    (0x0008, "Q_SCALE_TYPE"),
    (0x0010, "INTRA_VLC"),
    (0x0020, "ALT_SCAN"),
    (0x0040, "REPEAT_FIRST"),
    (0x0080, "PROGRESSIVE"),
];

/// [`PIC_FLAGS`] as visl names them (it prints `INTA_VLC` for INTRA_VLC).
pub const VISL_PIC_FLAGS: FlagTable = &[
    (0x0001, "TOP_FIELD_FIRST"),
    (0x0002, "FRAME_PRED_DCT"),
    (0x0004, "CONCEALMENT_MV"),
    (0x0008, "Q_SCALE_TYPE"),
    (0x0010, "INTA_VLC"),
    (0x0020, "ALT_SCAN"),
    (0x0040, "REPEAT_FIRST"),
    (0x0080, "PROGRESSIVE"),
];

/// `V4L2_MPEG2_PIC_CODING_TYPE_*`.
pub const CODING_TYPES: FlagTable = &[(1, "I"), (2, "P"), (3, "B"), (4, "D")];

/// `V4L2_MPEG2_PIC_{TOP_FIELD,BOTTOM_FIELD,FRAME}`.
pub const PICTURE_STRUCTURES: FlagTable = &[(1, "TOP_FIELD"), (2, "BOTTOM_FIELD"), (3, "FRAME")];

wire_struct! {
    /// `struct v4l2_ctrl_mpeg2_sequence`: sequence header and extension.
    pub struct Mpeg2Sequence = "v4l2_ctrl_mpeg2_sequence" {
        pub horizontal_size: u16,
        pub vertical_size: u16,
        pub vbv_buffer_size: u32,
        pub profile_and_level_indication: u16,
        pub chroma_format: u8,
        pub flags: u8 => SEQ_FLAGS,
    }
}

wire_struct! {
    /// `struct v4l2_ctrl_mpeg2_picture`: picture header and coding extension; the references
    /// are CAPTURE buffer timestamps (ns).
    pub struct Mpeg2Picture = "v4l2_ctrl_mpeg2_picture" {
        pub backward_ref_ts: u64,
        pub forward_ref_ts: u64,
        pub flags: u32 => PIC_FLAGS,
        pub f_code: [[u8; 2]; 2],
        pub picture_coding_type: u8,
        pub picture_structure: u8,
        pub intra_dc_precision: u8,
        pub reserved: [u8; 5],
    }
}

wire_struct! {
    /// `struct v4l2_ctrl_mpeg2_quantisation`: the four quantiser matrices, in zigzag order.
    pub struct Mpeg2Quantisation = "v4l2_ctrl_mpeg2_quantisation" {
        pub intra_quantiser_matrix: [u8; 64],
        pub non_intra_quantiser_matrix: [u8; 64],
        pub chroma_intra_quantiser_matrix: [u8; 64],
        pub chroma_non_intra_quantiser_matrix: [u8; 64],
    }
}

/// Summary of a sequence.
pub fn summary_sequence(s: &Mpeg2Sequence) -> String {
    format!(
        "MPEG2 SEQUENCE {}x{} vbv={} profile_level=0x{:02x} chroma={} flags={}",
        s.horizontal_size,
        s.vertical_size,
        s.vbv_buffer_size,
        s.profile_and_level_indication,
        s.chroma_format,
        vf::flags(u64::from(s.flags), SEQ_FLAGS)
    )
}

/// Summary of a picture.
pub fn summary_picture(p: &Mpeg2Picture) -> String {
    format!(
        "MPEG2 PICTURE type={} structure={} fwd_ref={} bwd_ref={} f_code={:?} dc_prec={} flags={}",
        vf::symbolic(u64::from(p.picture_coding_type), CODING_TYPES),
        vf::symbolic(u64::from(p.picture_structure), PICTURE_STRUCTURES),
        p.forward_ref_ts,
        p.backward_ref_ts,
        p.f_code,
        p.intra_dc_precision,
        vf::flags(u64::from(p.flags), PIC_FLAGS)
    )
}

/// Summary of the quantiser matrices (their first coefficients).
pub fn summary_quantisation(q: &Mpeg2Quantisation) -> String {
    format!(
        "MPEG2 QUANTISATION intra[0..4]={:?} non_intra[0..4]={:?}",
        &q.intra_quantiser_matrix[..4],
        &q.non_intra_quantiser_matrix[..4]
    )
}

#[cfg(any(test, feature = "testing"))]
/// Sequence fields as `v4l2_ctrl_mpeg2_sequence` prints them.
pub fn visl_sequence(s: &Mpeg2Sequence) -> Vec<(String, String)> {
    vec![
        kv("horizontal_size", s.horizontal_size),
        kv("vertical_size", s.vertical_size),
        kv("vbv_buffer_size", s.vbv_buffer_size),
        kv(
            "profile_and_level_indication",
            s.profile_and_level_indication,
        ),
        kv("chroma_format", s.chroma_format),
        kv("flags", vf::flags(u64::from(s.flags), SEQ_FLAGS)),
    ]
}

#[cfg(any(test, feature = "testing"))]
/// Picture fields as `v4l2_ctrl_mpeg2_picture` prints them (`picture_coding_type` loses the
/// colon visl prints after it).
pub fn visl_picture(p: &Mpeg2Picture) -> Vec<(String, String)> {
    let f_code: Vec<u8> = p.f_code.iter().flatten().copied().collect();
    vec![
        kv("backward_ref_ts", p.backward_ref_ts),
        kv("forward_ref_ts", p.forward_ref_ts),
        kv("flags", vf::flags(u64::from(p.flags), VISL_PIC_FLAGS)),
        kv("f_code", vf::hex_dump(&f_code)),
        kv("picture_coding_type", p.picture_coding_type),
        kv("picture_structure", p.picture_structure),
        kv("intra_dc_precision", p.intra_dc_precision),
    ]
}

#[cfg(any(test, feature = "testing"))]
/// Quantisation fields as `v4l2_ctrl_mpeg2_quantisation` prints them.
pub fn visl_quantisation(q: &Mpeg2Quantisation) -> Vec<(String, String)> {
    vec![
        kv(
            "intra_quantiser_matrix",
            vf::array_u8(&q.intra_quantiser_matrix),
        ),
        kv(
            "non_intra_quantiser_matrix",
            vf::array_u8(&q.non_intra_quantiser_matrix),
        ),
        kv(
            "chroma_intra_quantiser_matrix",
            vf::array_u8(&q.chroma_intra_quantiser_matrix),
        ),
        kv(
            "chroma_non_intra_quantiser_matrix",
            vf::array_u8(&q.chroma_non_intra_quantiser_matrix),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controls::visl_ftrace::parse_line;
    use crate::controls::wire::Wire;

    #[test]
    fn sequence_payload() {
        let mut p = vec![0u8; Mpeg2Sequence::SIZE];
        p[0..2].copy_from_slice(&320u16.to_le_bytes());
        p[2..4].copy_from_slice(&240u16.to_le_bytes());
        p[4..8].copy_from_slice(&1_835_008u32.to_le_bytes());
        p[8..10].copy_from_slice(&0x48u16.to_le_bytes());
        p[10] = 1;
        p[11] = 1;
        let s = Mpeg2Sequence::parse(&p).unwrap();
        assert_eq!(
            (s.horizontal_size, s.vertical_size, s.chroma_format),
            (320, 240, 1)
        );
        assert_eq!(s.vbv_buffer_size, 1_835_008);
        assert!(summary_sequence(&s).contains("320x240"));
        // TP_printk("\nhorizontal_size %u\nvertical_size %u\nvbv_buffer_size %u\n"
        //           "profile_and_level_indication %u\nchroma_format %u\nflags %s\n", …)
        let ev = parse_line(
            "  gst-1 [000] ..... 5.000001: v4l2_ctrl_mpeg2_sequence: \nhorizontal_size 320\nvertical_size 240\n\
             vbv_buffer_size 1835008\nprofile_and_level_indication 72\nchroma_format 1\nflags PROGRESSIVE\n",
        )
        .unwrap();
        assert_eq!(ev.fields, visl_sequence(&s));
        assert!(Mpeg2Sequence::parse(&p[..11]).is_err());
    }

    #[test]
    fn picture_payload() {
        let mut p = vec![0u8; Mpeg2Picture::SIZE];
        p[0..8].copy_from_slice(&2000u64.to_le_bytes());
        p[8..16].copy_from_slice(&1000u64.to_le_bytes());
        p[16..20].copy_from_slice(&0x93u32.to_le_bytes());
        p[20..24].copy_from_slice(&[1, 2, 3, 4]);
        p[24] = 3;
        p[25] = 3;
        p[26] = 1;
        let pic = Mpeg2Picture::parse(&p).unwrap();
        assert_eq!(pic.backward_ref_ts, 2000);
        assert_eq!(pic.f_code, [[1, 2], [3, 4]]);
        assert_eq!(pic.intra_dc_precision, 1);
        assert!(summary_picture(&pic).contains("type=B structure=FRAME"));
        // TP_printk("\nbackward_ref_ts %llu\nforward_ref_ts %llu\nflags %s\nf_code {%s}\n"
        //           "picture_coding_type: %u\npicture_structure %u\nintra_dc_precision %u\n", …)
        let ev = parse_line(
            "  gst-1 [000] ..... 5.000002: v4l2_ctrl_mpeg2_picture: \nbackward_ref_ts 2000\nforward_ref_ts 1000\n\
             flags TOP_FIELD_FIRST|FRAME_PRED_DCT|INTA_VLC|PROGRESSIVE\nf_code {\n01 02 03 04\n}\n\
             picture_coding_type: 3\npicture_structure 3\nintra_dc_precision 1\n",
        )
        .unwrap();
        assert_eq!(ev.fields, visl_picture(&pic));
    }

    #[test]
    fn quantisation_payload() {
        let mut p = vec![16u8; Mpeg2Quantisation::SIZE];
        p[0] = 8;
        p[64 * 3 + 63] = 83;
        let q = Mpeg2Quantisation::parse(&p).unwrap();
        assert_eq!(q.intra_quantiser_matrix[0], 8);
        assert_eq!(q.chroma_non_intra_quantiser_matrix[63], 83);
        let f = visl_quantisation(&q);
        assert!(f[0].1.starts_with("{0x8,0x10,"));
        assert!(f[3].1.ends_with(",0x53}"));
    }
}
