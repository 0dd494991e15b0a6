//! VP8 as a [`Codec`]: one request per frame, its OUTPUT buffer holding the whole frame from the
//! frame tag on (the client's tag when it left one before `slice_data_offset`, as GStreamer's
//! `va` does; else rebuilt, as FFmpeg strips it), FRAME from the picture, probability, IQ and
//! slice parameter buffers.

use v4l2r::bindings as v4l2;

use super::controls;
use super::tag::{self, Tag};
use crate::codec::{Codec, Requests};
use crate::ioctl::{self, Ctrl};
use crate::va::{self, VaError, VaResult};

pub struct Vp8 {
    pic_param: Option<va::VAPictureParameterBufferVP8>,
    slice_param: Option<va::VASliceParameterBufferVP8>,
    /// Probability and IQ buffers: kept across frames should a client send them only on change.
    probs: Option<va::VAProbabilityDataBufferVP8>,
    iq: Option<va::VAIQMatrixBufferVP8>,
    /// The tag of the frame appended to the request (None: no slice data yet).
    tag: Option<Tag>,
}

pub fn new(_profile: va::VAProfile) -> Box<dyn Codec> {
    Box::new(Vp8 {
        pic_param: None,
        slice_param: None,
        probs: None,
        iq: None,
        tag: None,
    })
}

impl Codec for Vp8 {
    fn begin_picture(&mut self) {
        self.pic_param = None;
        self.slice_param = None;
        self.tag = None;
    }

    fn parameters(&mut self, type_: va::VABufferType, data: &[u8], _num: u32) -> VaResult<()> {
        let bad = VaError::VA_STATUS_ERROR_INVALID_BUFFER;
        match type_ {
            va::VAPictureParameterBufferType => {
                self.pic_param = Some(ioctl::read_plain(data, 0).ok_or(bad)?);
            }
            va::VAProbabilityBufferType => {
                self.probs = Some(ioctl::read_plain(data, 0).ok_or(bad)?)
            }
            va::VAIQMatrixBufferType => self.iq = Some(ioctl::read_plain(data, 0).ok_or(bad)?),
            va::VASliceParameterBufferType => {
                self.slice_param = Some(ioctl::read_plain(data, 0).ok_or(bad)?);
            }
            t => log::debug!("VP8: ignoring buffer type {t}"),
        }
        Ok(())
    }

    fn slice_data(&mut self, data: &[u8], req: &mut dyn Requests) -> VaResult<()> {
        let missing = VaError::VA_STATUS_ERROR_INVALID_PARAMETER;
        let (pp, sp) = (
            self.pic_param.as_ref().ok_or(missing)?,
            self.slice_param.as_ref().ok_or(missing)?,
        );
        if self.tag.is_some() {
            log::error!("VP8: a second slice data buffer for one frame (VP8 has one)");
            return Err(VaError::VA_STATUS_ERROR_INVALID_BUFFER);
        }
        let off = sp.slice_data_offset as usize;
        let body_len = controls::body_len(sp);
        let body = data.get(off..off + body_len).ok_or_else(|| {
            log::error!(
                "VP8: slice data of {} bytes cannot hold the frame VA describes ({body_len} bytes \
                 from offset {off}: first partition {} + DCT partitions {:?})",
                data.len(),
                controls::first_part_size(sp),
                &sp.partition_size[1..=controls::dct_parts(sp)]
            );
            VaError::VA_STATUS_ERROR_INVALID_BUFFER
        })?;
        let key = controls::is_key_frame(pp);
        let fps = controls::first_part_size(sp);
        match tag::before(data, off, key, fps) {
            Some(t) => {
                log::debug!("VP8: frame tag kept from the client ({off} bytes before the data)");
                req.append(&[&data[off - Tag::len(key)..off], body])?;
                self.tag = Some(t);
            }
            None => {
                let t = controls::rebuilt_tag(pp, sp);
                log::debug!("VP8: frame tag rebuilt (the client stripped it)");
                req.append(&[&t.bytes(), body])?;
                self.tag = Some(t);
            }
        }
        Ok(())
    }

    fn end_picture(&mut self, req: &mut dyn Requests) -> VaResult<()> {
        let tag = self.tag.ok_or(VaError::VA_STATUS_ERROR_DECODING_ERROR)?;
        let missing = VaError::VA_STATUS_ERROR_INVALID_PARAMETER;
        let (pp, sp, probs, iq) = (
            self.pic_param.as_ref().ok_or(missing)?,
            self.slice_param.as_ref().ok_or(missing)?,
            self.probs.as_ref().ok_or(missing)?,
            self.iq.as_ref().ok_or(missing)?,
        );
        // A missing reference is named 0, as GStreamer does (key frames read none).
        let r = |s| req.reference_ns(s).unwrap_or(0);
        let refs = [
            r(pp.last_ref_frame),
            r(pp.golden_ref_frame),
            r(pp.alt_ref_frame),
        ];
        let mut frame = controls::frame(pp, probs, iq, sp, &tag, refs);
        let mut ctrls = [Ctrl::compound(
            v4l2::V4L2_CID_STATELESS_VP8_FRAME,
            &mut frame,
        )];
        req.submit(&mut ctrls, false)
    }
}
