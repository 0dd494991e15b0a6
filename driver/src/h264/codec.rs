//! H.264 as a [`Codec`]: keeps the picture's VA buffers, parses each slice header, and sends
//! SPS, PPS, SCALING_MATRIX and DECODE_PARAMS per request (plus SLICE_PARAMS and PRED_WEIGHTS in
//! slice-based mode, where each slice is its own request holding the CAPTURE buffer).

use v4l2r::bindings as v4l2;

use super::controls::{self as h264c, SurfaceTimestamps};
use super::slice_header::{self, SliceHeader, SLICE_B, SLICE_P, SLICE_SP};
use crate::codec::{self, Codec, Requests};
use crate::ioctl::{self, Ctrl};
use crate::va::{self, VaError, VaResult};

pub struct H264 {
    profile: va::VAProfile,
    pic_param: Option<va::VAPictureParameterBufferH264>,
    iq: Option<va::VAIQMatrixBufferH264>,
    /// Slice parameters of the last slice-parameter buffer (reused allocation).
    slice_params: Vec<va::VASliceParameterBufferH264>,
    /// The slice of the request being filled (slice-based mode) or the first slice of the
    /// frame (frame-based mode); None when no request is being filled.
    current: Option<(va::VASliceParameterBufferH264, SliceHeader)>,
    first_header: Option<SliceHeader>,
    /// The PPS's default active reference counts, learned from slices without an override.
    num_ref_idx_default: (u8, u8),
    /// The client's POC offset, learned at each IDR (see `h264::controls::poc_base`).
    poc_base: i32,
}

pub fn new(profile: va::VAProfile) -> Box<dyn Codec> {
    Box::new(H264 {
        profile,
        pic_param: None,
        iq: None,
        slice_params: Vec::new(),
        current: None,
        first_header: None,
        num_ref_idx_default: (0, 0),
        poc_base: 0,
    })
}

/// Reference timestamps as the control builders want them.
struct Refs<'a>(&'a dyn Requests);

impl SurfaceTimestamps for Refs<'_> {
    fn timestamp_ns(&self, s: va::VASurfaceID) -> Option<u64> {
        self.0.reference_ns(s)
    }
}

impl H264 {
    /// Sends the request being filled: controls for its slice, then the request.
    fn send(&mut self, req: &mut dyn Requests, hold_capture: bool) -> VaResult<()> {
        let (sp, sh) = self
            .current
            .take()
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_PARAMETER)?;
        let pp = self
            .pic_param
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_PARAMETER)?;
        let first = self.first_header.unwrap_or(sh);
        let iq_present = self.iq.as_ref().is_some_and(|iq| !h264c::is_flat(iq));
        let mut sps = h264c::sps(self.profile, &pp);
        let mut pps = h264c::pps(&pp, &first, self.num_ref_idx_default, iq_present);
        if let Some(base) = h264c::poc_base(&pp, &first) {
            self.poc_base = base;
        }
        let refs = Refs(req);
        let mut dp = h264c::decode_params(&pp, &first, &refs, self.poc_base);
        let mut sm = self.iq.as_ref().map(h264c::scaling_matrix).unwrap_or(
            v4l2::v4l2_ctrl_h264_scaling_matrix {
                scaling_list_4x4: [[16; 16]; 6],
                scaling_list_8x8: [[16; 64]; 6],
            },
        );
        let mut slp = h264c::slice_params(&sp, &sh, &dp.dpb, &refs);
        let mut pw = h264c::pred_weights(
            &sp,
            h264c::needs_pred_weights(&pp, sh.slice_type),
            sh.slice_type,
        );
        super::corrupt::apply(&mut sps, &mut pps, &mut dp, &mut slp);
        let mut ctrls: [Ctrl; 6] = [
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_H264_SPS, &mut sps),
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_H264_PPS, &mut pps),
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_H264_SCALING_MATRIX, &mut sm),
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_H264_DECODE_PARAMS, &mut dp),
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_H264_SLICE_PARAMS, &mut slp),
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_H264_PRED_WEIGHTS, &mut pw),
        ];
        // Frame-based devices parse slices themselves; slice-based ones get both per slice.
        let n = if req.mode().frame_based { 4 } else { 6 };
        req.submit(&mut ctrls[..n], hold_capture)
    }

    /// One slice: its header parsed, the previous slice sent first in slice-based mode.
    fn slice(
        &mut self,
        pp: &va::VAPictureParameterBufferH264,
        sp: &va::VASliceParameterBufferH264,
        nal: &[u8],
        req: &mut dyn Requests,
    ) -> VaResult<()> {
        let header = match slice_header::parse(nal, &h264c::parse_params(pp, sp)) {
            Ok(h) => h,
            Err(_) => {
                log::warn!("slice header parse failed; using VA values only");
                SliceHeader {
                    slice_type: sp.slice_type as u32 % 5,
                    ..Default::default()
                }
            }
        };
        let t = header.slice_type;
        if (t == SLICE_P || t == SLICE_SP || t == SLICE_B) && !header.num_ref_idx_active_override {
            self.num_ref_idx_default.0 = sp.num_ref_idx_l0_active_minus1;
            if t == SLICE_B {
                self.num_ref_idx_default.1 = sp.num_ref_idx_l1_active_minus1;
            }
        }
        if self.first_header.is_none() {
            self.first_header = Some(header);
        }
        let mode = req.mode();
        if !mode.frame_based && self.current.is_some() {
            // Slice-based: the previous slice goes out now, holding the CAPTURE buffer.
            self.send(req, true)?;
        }
        let start: &[u8] = if mode.annex_b { &[0, 0, 1] } else { &[] };
        req.append(&[start, nal])?;
        if self.current.is_none() {
            self.current = Some((*sp, header));
        }
        Ok(())
    }
}

impl Codec for H264 {
    fn begin_picture(&mut self) {
        self.pic_param = None;
        self.iq = None;
        self.slice_params.clear();
        self.current = None;
        self.first_header = None;
    }

    fn parameters(&mut self, type_: va::VABufferType, data: &[u8], num: u32) -> VaResult<()> {
        let bad = VaError::VA_STATUS_ERROR_INVALID_BUFFER;
        match type_ {
            va::VAPictureParameterBufferType => {
                self.pic_param = Some(ioctl::read_plain(data, 0).ok_or(bad)?);
            }
            va::VAIQMatrixBufferType => self.iq = Some(ioctl::read_plain(data, 0).ok_or(bad)?),
            va::VASliceParameterBufferType => {
                self.slice_params = ioctl::read_plain_array(data, num).ok_or(bad)?;
            }
            t => log::debug!("H.264: ignoring buffer type {t}"),
        }
        Ok(())
    }

    fn slice_data(&mut self, data: &[u8], req: &mut dyn Requests) -> VaResult<()> {
        let pp = self
            .pic_param
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_PARAMETER)?;
        let slices = std::mem::take(&mut self.slice_params);
        let result = codec::each_slice(
            &slices,
            data,
            |sp| (sp.slice_data_offset, sp.slice_data_size),
            |sp, nal| self.slice(&pp, sp, nal, req),
        );
        self.slice_params = slices;
        result
    }

    fn end_picture(&mut self, req: &mut dyn Requests) -> VaResult<()> {
        if self.current.is_none() {
            return Err(VaError::VA_STATUS_ERROR_DECODING_ERROR);
        }
        self.send(req, false)
    }
}
