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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Mode;

    /// What the codec asked of the VA layer: the bytes of each request and its HOLD flag.
    #[derive(Default)]
    struct Recorder {
        bitstream: Vec<u8>,
        requests: Vec<(Vec<u8>, usize, bool)>,
    }

    impl Requests for Recorder {
        fn mode(&self) -> Mode {
            Mode {
                frame_based: true,
                annex_b: false,
                ..Default::default()
            }
        }
        fn append(&mut self, parts: &[&[u8]]) -> VaResult<()> {
            parts
                .iter()
                .for_each(|p| self.bitstream.extend_from_slice(p));
            Ok(())
        }
        fn submit(&mut self, ctrls: &mut [Ctrl], hold_capture: bool) -> VaResult<()> {
            let bytes = std::mem::take(&mut self.bitstream);
            self.requests.push((bytes, ctrls.len(), hold_capture));
            Ok(())
        }
        fn reference_ns(&self, _: va::VASurfaceID) -> Option<u64> {
            None
        }
        fn timestamp_ns(&self) -> u64 {
            0
        }
    }

    /// A zeroed VA buffer of `T` with the `u32` fields at the given offsets set (built byte by
    /// byte, as a client's buffer reaches the driver).
    fn buffer<T>(fields: &[(usize, u32)]) -> Vec<u8> {
        let mut b = vec![0; std::mem::size_of::<T>()];
        for &(at, v) in fields {
            b[at..at + 4].copy_from_slice(&v.to_ne_bytes());
        }
        b
    }

    /// A picture's parameter buffer: `structure` 1 top field, 2 bottom, 3 frame.
    fn picture(structure: u32, first_field: bool) -> Vec<u8> {
        use va::VAPictureParameterBufferMPEG2 as P;
        buffer::<P>(&[
            (std::mem::offset_of!(P, picture_coding_type), 1),
            // picture_structure (bits 2-3), is_first_field (bit 12).
            (
                std::mem::offset_of!(P, picture_coding_extension),
                structure << 2 | u32::from(first_field) << 12,
            ),
        ])
    }

    /// One slice's parameter buffer.
    fn slice_params(offset: u32, size: u32, row: u32) -> Vec<u8> {
        use va::VASliceParameterBufferMPEG2 as S;
        buffer::<S>(&[
            (std::mem::offset_of!(S, slice_data_offset), offset),
            (std::mem::offset_of!(S, slice_data_size), size),
            (std::mem::offset_of!(S, slice_vertical_position), row),
        ])
    }

    /// Decodes one VA picture with one slice (`slice` as the client hands it, at `row`).
    fn decode(c: &mut dyn Codec, r: &mut Recorder, pic: &[u8], slice: &[u8], row: u32) {
        c.begin_picture();
        c.parameters(va::VAPictureParameterBufferType, pic, 1)
            .unwrap();
        let sp = slice_params(0, slice.len() as u32, row);
        c.parameters(va::VASliceParameterBufferType, &sp, 1)
            .unwrap();
        c.slice_data(slice, r).unwrap();
        c.end_picture(r).unwrap();
    }

    #[test]
    fn a_field_pair_holds_the_capture_buffer_for_its_second_field_only() {
        let mut c = new(va::VAProfileMPEG2Main);
        let mut r = Recorder::default();
        decode(&mut *c, &mut r, &picture(1, true), &[0, 0, 1, 1, 0xaa], 0);
        decode(&mut *c, &mut r, &picture(2, false), &[0, 0, 1, 1, 0xbb], 0);
        decode(&mut *c, &mut r, &picture(3, true), &[0, 0, 1, 1, 0xcc], 0);
        // Bottom field first: the first field holds whatever its parity.
        decode(&mut *c, &mut r, &picture(2, true), &[0, 0, 1, 1, 0xdd], 0);
        decode(&mut *c, &mut r, &picture(1, false), &[0, 0, 1, 1, 0xee], 0);
        let holds: Vec<bool> = r.requests.iter().map(|q| q.2).collect();
        assert_eq!(holds, [true, false, false, true, false]);
        // One request per field, each with SEQUENCE, PICTURE and QUANTISATION and its own
        // slices, start codes kept.
        assert!(r.requests.iter().all(|q| q.1 == 3));
        assert_eq!(r.requests[1].0, [0, 0, 1, 1, 0xbb]);
    }

    #[test]
    fn a_slice_without_its_start_code_gets_it_back_from_its_row() {
        let mut c = new(va::VAProfileMPEG2Main);
        let mut r = Recorder::default();
        decode(&mut *c, &mut r, &picture(3, false), &[0x12, 0x34], 6);
        assert_eq!(r.requests[0].0, [0, 0, 1, 7, 0x12, 0x34]);
    }

    #[test]
    fn a_picture_without_slices_is_a_decoding_error() {
        let mut c = new(va::VAProfileMPEG2Main);
        let mut r = Recorder::default();
        c.begin_picture();
        c.parameters(va::VAPictureParameterBufferType, &picture(3, false), 1)
            .unwrap();
        assert_eq!(
            c.end_picture(&mut r),
            Err(VaError::VA_STATUS_ERROR_DECODING_ERROR)
        );
        assert!(r.requests.is_empty());
    }
}
