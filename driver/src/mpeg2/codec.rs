//! MPEG-2 as a [`Codec`]: one request per picture (field pictures: one per field, the first
//! holding the CAPTURE buffer), its slices appended with their start codes, SEQUENCE, PICTURE
//! and QUANTISATION controls from the picture, IQ-matrix and slice buffers.

use v4l2r::bindings as v4l2;

use super::controls;
use crate::codec::{self, Codec, Requests};
use crate::ioctl::{self, Ctrl};
use crate::va::{self, VaError, VaResult};

pub struct Mpeg2 {
    profile: va::VAProfile,
    pic_param: Option<va::VAPictureParameterBufferMPEG2>,
    slice_params: Vec<va::VASliceParameterBufferMPEG2>,
    /// The matrices in force (they persist across pictures until reloaded).
    quantisation: v4l2::v4l2_ctrl_mpeg2_quantisation,
    /// Slices appended to the picture's request.
    slices: usize,
}

pub fn new(profile: va::VAProfile) -> Box<dyn Codec> {
    Box::new(Mpeg2 {
        profile,
        pic_param: None,
        slice_params: Vec::new(),
        quantisation: controls::default_quantisation(),
        slices: 0,
    })
}

/// A slice from its start code on: the client's bytes when they hold it (FFmpeg, GStreamer),
/// else the start code rebuilt from the slice's row (slice_vertical_position + 1).
fn start_code(sp: &va::VASliceParameterBufferMPEG2, data: &[u8]) -> Option<[u8; 4]> {
    if data.starts_with(&[0, 0, 1]) {
        None
    } else {
        Some([0, 0, 1, (sp.slice_vertical_position + 1).min(0xaf) as u8])
    }
}

impl Codec for Mpeg2 {
    fn begin_picture(&mut self) {
        self.pic_param = None;
        self.slice_params.clear();
        self.slices = 0;
    }

    fn parameters(&mut self, type_: va::VABufferType, data: &[u8], num: u32) -> VaResult<()> {
        let bad = VaError::VA_STATUS_ERROR_INVALID_BUFFER;
        match type_ {
            va::VAPictureParameterBufferType => {
                self.pic_param = Some(ioctl::read_plain(data, 0).ok_or(bad)?);
            }
            va::VAIQMatrixBufferType => {
                let iq: va::VAIQMatrixBufferMPEG2 = ioctl::read_plain(data, 0).ok_or(bad)?;
                controls::load_iq(&mut self.quantisation, &iq);
            }
            va::VASliceParameterBufferType => {
                self.slice_params = ioctl::read_plain_array(data, num).ok_or(bad)?;
            }
            t => log::debug!("MPEG-2: ignoring buffer type {t}"),
        }
        Ok(())
    }

    fn slice_data(&mut self, data: &[u8], req: &mut dyn Requests) -> VaResult<()> {
        let slices = &mut self.slices;
        codec::each_slice(
            &self.slice_params,
            data,
            |sp| (sp.slice_data_offset, sp.slice_data_size),
            |sp, slice| {
                match start_code(sp, slice) {
                    Some(sc) => req.append(&[&sc, slice])?,
                    None => req.append(&[slice])?,
                }
                *slices += 1;
                Ok(())
            },
        )
    }

    fn end_picture(&mut self, req: &mut dyn Requests) -> VaResult<()> {
        if self.slices == 0 {
            return Err(VaError::VA_STATUS_ERROR_DECODING_ERROR);
        }
        let pp = self
            .pic_param
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_PARAMETER)?;
        // A missing reference is named by a timestamp no buffer carries (as GStreamer does).
        let refs = |s| req.reference_ns(s).unwrap_or(u64::MAX);
        let (forward, backward) = (
            refs(pp.forward_reference_picture),
            refs(pp.backward_reference_picture),
        );
        let mut seq = controls::sequence(self.profile, &pp);
        let mut pic = controls::picture(&pp, forward, backward);
        let mut quant = self.quantisation;
        let e = controls::ext(&pp);
        // The first field of a pair holds the CAPTURE buffer for the second.
        let hold = pic.picture_structure != controls::FRAME && e.is_first_field() != 0;
        let mut ctrls = [
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_MPEG2_SEQUENCE, &mut seq),
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_MPEG2_PICTURE, &mut pic),
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_MPEG2_QUANTISATION, &mut quant),
        ];
        req.submit(&mut ctrls, hold)
    }
}
