//! Test-only corruption of one named H.264 control field (cargo feature `test-corrupt`, off by
//! default): with `VATRACE_TEST_CORRUPT=FIELD` the driver sends a wrong value in that field of
//! every request, so a test can check that `vatrace diff` against GStreamer reports exactly that
//! field. FIELD is named as `vatrace diff` names it (`h264_decode_params.idr_pic_id`); see
//! [`FIELDS`]. Without the feature, [`apply`] is empty and compiles away.

use v4l2r::bindings as v4l2;

/// The fields that can be corrupted, as `vatrace diff` names them.
pub const FIELDS: &[&str] = &[
    "h264_sps.log2_max_frame_num_minus4",
    "h264_pps.pic_init_qp_minus26",
    "h264_decode_params.idr_pic_id",
    "h264_decode_params.pic_order_cnt_bit_size",
    "h264_decode_params.dec_ref_pic_marking_bit_size",
    "h264_slice_params.slice_qp_delta",
];

/// Makes the field named by `VATRACE_TEST_CORRUPT` wrong (its value + 1, wrapping).
#[cfg(feature = "test-corrupt")]
pub fn apply(
    sps: &mut v4l2::v4l2_ctrl_h264_sps,
    pps: &mut v4l2::v4l2_ctrl_h264_pps,
    dp: &mut v4l2::v4l2_ctrl_h264_decode_params,
    slp: &mut v4l2::v4l2_ctrl_h264_slice_params,
) {
    use std::sync::OnceLock;
    static FIELD: OnceLock<Option<String>> = OnceLock::new();
    let field = FIELD.get_or_init(|| {
        let f = std::env::var("VATRACE_TEST_CORRUPT").ok()?;
        if !FIELDS.contains(&f.as_str()) {
            log::error!("VATRACE_TEST_CORRUPT={f}: not one of {FIELDS:?}; nothing corrupted");
            return None;
        }
        log::warn!("test build: corrupting {f} in every request");
        Some(f)
    });
    match field.as_deref() {
        Some("h264_sps.log2_max_frame_num_minus4") => {
            sps.log2_max_frame_num_minus4 = sps.log2_max_frame_num_minus4.wrapping_add(1)
        }
        Some("h264_pps.pic_init_qp_minus26") => {
            pps.pic_init_qp_minus26 = pps.pic_init_qp_minus26.wrapping_add(1)
        }
        Some("h264_decode_params.idr_pic_id") => dp.idr_pic_id = dp.idr_pic_id.wrapping_add(1),
        Some("h264_decode_params.pic_order_cnt_bit_size") => {
            dp.pic_order_cnt_bit_size = dp.pic_order_cnt_bit_size.wrapping_add(1)
        }
        Some("h264_decode_params.dec_ref_pic_marking_bit_size") => {
            dp.dec_ref_pic_marking_bit_size = dp.dec_ref_pic_marking_bit_size.wrapping_add(1)
        }
        Some("h264_slice_params.slice_qp_delta") => {
            slp.slice_qp_delta = slp.slice_qp_delta.wrapping_add(1)
        }
        _ => {}
    }
}

/// Without the `test-corrupt` feature: nothing.
#[cfg(not(feature = "test-corrupt"))]
#[inline(always)]
pub fn apply(
    _sps: &mut v4l2::v4l2_ctrl_h264_sps,
    _pps: &mut v4l2::v4l2_ctrl_h264_pps,
    _dp: &mut v4l2::v4l2_ctrl_h264_decode_params,
    _slp: &mut v4l2::v4l2_ctrl_h264_slice_params,
) {
}
