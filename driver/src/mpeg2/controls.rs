//! VA-API MPEG-2 parameters → V4L2 stateless MPEG-2 controls: SEQUENCE, PICTURE and
//! QUANTISATION. Pure functions over plain data, unit-tested on the host.
//!
//! VA never passes the sequence header; what comes from elsewhere (see README, "MPEG-2"):
//! - `profile_and_level_indication` from the VA profile (Simple or Main) at Main level;
//! - `chroma_format` 4:2:0 (the only format VA's MPEG-2 profiles decode);
//! - the sequence PROGRESSIVE flag from the picture's `progressive_frame`;
//! - `vbv_buffer_size` unknown, left 0 (no kernel driver reads it).
//!
//! Matrices are in zigzag order on both sides: copied, never reordered.

use v4l2r::bindings as v4l2;

use crate::va;

/// Raster index of each zigzag position (ISO/IEC 13818-2, figure 7-2).
const ZIGZAG: [usize; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// The default intra matrix in raster order (ISO/IEC 13818-2, 6.3.11).
const DEFAULT_INTRA_RASTER: [u8; 64] = [
    8, 16, 19, 22, 26, 27, 29, 34, 16, 16, 22, 24, 27, 29, 34, 37, 19, 22, 26, 27, 29, 34, 34, 38,
    22, 22, 26, 27, 29, 34, 37, 40, 22, 26, 27, 29, 32, 35, 40, 48, 26, 27, 29, 32, 35, 40, 48, 58,
    26, 27, 29, 34, 38, 46, 56, 69, 27, 29, 35, 38, 46, 56, 69, 83,
];

/// The default intra matrix in zigzag order, as V4L2 and VA hold matrices.
pub fn default_intra() -> [u8; 64] {
    let mut m = [0; 64];
    for (i, &r) in ZIGZAG.iter().enumerate() {
        m[i] = DEFAULT_INTRA_RASTER[r];
    }
    m
}

/// The matrices in force: defaults until a sequence header (VA IQ buffer) loads others.
pub fn default_quantisation() -> v4l2::v4l2_ctrl_mpeg2_quantisation {
    let intra = default_intra();
    v4l2::v4l2_ctrl_mpeg2_quantisation {
        intra_quantiser_matrix: intra,
        non_intra_quantiser_matrix: [16; 64],
        chroma_intra_quantiser_matrix: intra,
        chroma_non_intra_quantiser_matrix: [16; 64],
    }
}

/// Loads the matrices the IQ buffer carries into `q`. A 4:2:0 stream never loads chroma
/// matrices: they follow the luma ones.
pub fn load_iq(q: &mut v4l2::v4l2_ctrl_mpeg2_quantisation, iq: &va::VAIQMatrixBufferMPEG2) {
    if iq.load_intra_quantiser_matrix != 0 {
        q.intra_quantiser_matrix = iq.intra_quantiser_matrix;
        q.chroma_intra_quantiser_matrix = iq.intra_quantiser_matrix;
    }
    if iq.load_non_intra_quantiser_matrix != 0 {
        q.non_intra_quantiser_matrix = iq.non_intra_quantiser_matrix;
        q.chroma_non_intra_quantiser_matrix = iq.non_intra_quantiser_matrix;
    }
    if iq.load_chroma_intra_quantiser_matrix != 0 {
        q.chroma_intra_quantiser_matrix = iq.chroma_intra_quantiser_matrix;
    }
    if iq.load_chroma_non_intra_quantiser_matrix != 0 {
        q.chroma_non_intra_quantiser_matrix = iq.chroma_non_intra_quantiser_matrix;
    }
}

/// VA's picture coding extension bits, read once.
pub fn ext(
    p: &va::VAPictureParameterBufferMPEG2,
) -> va::_VAPictureParameterBufferMPEG2__bindgen_ty_1__bindgen_ty_1 {
    // SAFETY: both union members are plain integers of the same size: any bit pattern is a
    // valid value of `bits`.
    unsafe { p.picture_coding_extension.bits }
}

/// V4L2's picture_structure value for a frame picture.
pub const FRAME: u8 = v4l2::V4L2_MPEG2_PIC_FRAME as u8;

pub fn sequence(
    profile: va::VAProfile,
    p: &va::VAPictureParameterBufferMPEG2,
) -> v4l2::v4l2_ctrl_mpeg2_sequence {
    // profile_and_level_indication: escape bit 0, profile (Simple 5, Main 4), level Main (8).
    let profile_id: u16 = if profile == va::VAProfileMPEG2Simple {
        5
    } else {
        4
    };
    v4l2::v4l2_ctrl_mpeg2_sequence {
        horizontal_size: p.horizontal_size,
        vertical_size: p.vertical_size,
        vbv_buffer_size: 0,
        profile_and_level_indication: profile_id << 4 | 8,
        chroma_format: 1,
        flags: if ext(p).progressive_frame() != 0 {
            v4l2::V4L2_MPEG2_SEQ_FLAG_PROGRESSIVE as u8
        } else {
            0
        },
    }
}

/// PICTURE; `forward`/`backward` are the reference timestamps (ns), u64::MAX when absent.
pub fn picture(
    p: &va::VAPictureParameterBufferMPEG2,
    forward: u64,
    backward: u64,
) -> v4l2::v4l2_ctrl_mpeg2_picture {
    let e = ext(p);
    let f = p.f_code as u32;
    let mut flags = 0;
    for (bit, on) in [
        (
            v4l2::V4L2_MPEG2_PIC_FLAG_TOP_FIELD_FIRST,
            e.top_field_first(),
        ),
        (
            v4l2::V4L2_MPEG2_PIC_FLAG_FRAME_PRED_DCT,
            e.frame_pred_frame_dct(),
        ),
        (
            v4l2::V4L2_MPEG2_PIC_FLAG_CONCEALMENT_MV,
            e.concealment_motion_vectors(),
        ),
        (v4l2::V4L2_MPEG2_PIC_FLAG_Q_SCALE_TYPE, e.q_scale_type()),
        (v4l2::V4L2_MPEG2_PIC_FLAG_INTRA_VLC, e.intra_vlc_format()),
        (v4l2::V4L2_MPEG2_PIC_FLAG_ALT_SCAN, e.alternate_scan()),
        (
            v4l2::V4L2_MPEG2_PIC_FLAG_REPEAT_FIRST,
            e.repeat_first_field(),
        ),
        (v4l2::V4L2_MPEG2_PIC_FLAG_PROGRESSIVE, e.progressive_frame()),
    ] {
        if on != 0 {
            flags |= bit;
        }
    }
    v4l2::v4l2_ctrl_mpeg2_picture {
        backward_ref_ts: backward,
        forward_ref_ts: forward,
        flags,
        f_code: [
            [((f >> 12) & 15) as u8, ((f >> 8) & 15) as u8],
            [((f >> 4) & 15) as u8, (f & 15) as u8],
        ],
        picture_coding_type: p.picture_coding_type as u8,
        picture_structure: e.picture_structure() as u8,
        intra_dc_precision: e.intra_dc_precision() as u8,
        reserved: [0; 5],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ioctl;

    #[test]
    fn default_intra_in_zigzag_order() {
        let m = default_intra();
        // Zigzag positions 0..6 walk raster 0, 1, 8, 16, 9, 2: 8 16 16 19 16 19.
        assert_eq!(m[..6], [8, 16, 16, 19, 16, 19]);
        assert_eq!(m[63], 83);
        let mut sorted = m;
        sorted.sort();
        let mut raster = DEFAULT_INTRA_RASTER;
        raster.sort();
        assert_eq!(sorted, raster, "a permutation of the raster matrix");
    }

    #[test]
    fn iq_matrices_are_copied_not_reordered_and_chroma_follows_luma() {
        let mut q = default_quantisation();
        let mut iq: va::VAIQMatrixBufferMPEG2 = ioctl::zeroed();
        iq.load_intra_quantiser_matrix = 1;
        for i in 0..64 {
            iq.intra_quantiser_matrix[i] = i as u8 + 1;
        }
        load_iq(&mut q, &iq);
        assert_eq!(q.intra_quantiser_matrix, iq.intra_quantiser_matrix);
        assert_eq!(q.chroma_intra_quantiser_matrix, iq.intra_quantiser_matrix);
        assert_eq!(q.non_intra_quantiser_matrix, [16; 64], "not loaded: kept");
    }

    #[test]
    fn f_code_unpacked_and_flags_mapped() {
        let mut p: va::VAPictureParameterBufferMPEG2 = ioctl::zeroed();
        p.f_code = 0x12f3;
        p.picture_coding_type = 3;
        // intra_dc_precision 2 (bits 0-1), picture_structure 3 (bits 2-3), top_field_first
        // (bit 4), alternate_scan (bit 9), progressive_frame (bit 11).
        p.picture_coding_extension.value = 2 | 3 << 2 | 1 << 4 | 1 << 9 | 1 << 11;
        let pic = picture(&p, 1000, 2000);
        assert_eq!(pic.f_code, [[1, 2], [15, 3]]);
        assert_eq!(pic.picture_coding_type, 3);
        assert_eq!(pic.picture_structure, FRAME);
        assert_eq!(pic.intra_dc_precision, 2);
        assert_eq!(
            pic.flags,
            v4l2::V4L2_MPEG2_PIC_FLAG_TOP_FIELD_FIRST
                | v4l2::V4L2_MPEG2_PIC_FLAG_ALT_SCAN
                | v4l2::V4L2_MPEG2_PIC_FLAG_PROGRESSIVE
        );
        assert_eq!((pic.forward_ref_ts, pic.backward_ref_ts), (1000, 2000));
        let seq = sequence(va::VAProfileMPEG2Main, &p);
        assert_eq!(seq.profile_and_level_indication, 0x48);
        assert_eq!(seq.flags, v4l2::V4L2_MPEG2_SEQ_FLAG_PROGRESSIVE as u8);
        assert_eq!(seq.chroma_format, 1);
    }
}
