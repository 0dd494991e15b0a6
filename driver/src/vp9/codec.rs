//! VP9 as a [`Codec`]: one request per frame (VA hands each frame of a superframe over as its
//! own picture), the frame appended whole, FRAME and COMPRESSED_HDR built from the frame's own
//! headers (parsed here, state kept across frames) and the reference surfaces of the VA
//! picture parameters.

use v4l2r::bindings as v4l2;

use super::compressed::{self, Compressed};
use super::controls;
use super::header::{Header, Parser};
use crate::codec::{Codec, Requests};
use crate::ioctl::{self, Ctrl};
use crate::va::{self, VaError, VaResult};

pub struct Vp9 {
    parser: Parser,
    pic_param: Option<va::VADecPictureParameterBufferVP9>,
    slice_param: Option<va::VASliceParameterBufferVP9>,
    /// The picture's frame, parsed and appended.
    frame: Option<(Header, Compressed)>,
}

pub fn new(_profile: va::VAProfile) -> Box<dyn Codec> {
    Box::new(Vp9 {
        parser: Parser::default(),
        pic_param: None,
        slice_param: None,
        frame: None,
    })
}

/// Parses both headers of `data`, one whole frame.
fn parse(parser: &mut Parser, data: &[u8]) -> VaResult<(Header, Compressed)> {
    let h = parser.parse(data).map_err(|e| {
        log::error!(
            "VP9: bad uncompressed header ({e:?}) in a {}-byte frame",
            data.len()
        );
        VaError::VA_STATUS_ERROR_DECODING_ERROR
    })?;
    if h.show_existing_frame {
        log::error!(
            "VP9: a show_existing_frame header has nothing to decode: the client should show \
             the reference it names instead of submitting it"
        );
        return Err(VaError::VA_STATUS_ERROR_DECODING_ERROR);
    }
    let start = usize::from(h.uncompressed_header_size);
    let hdr = data
        .get(start..start + usize::from(h.header_size_in_bytes))
        .ok_or(VaError::VA_STATUS_ERROR_DECODING_ERROR)?;
    let c = compressed::parse(&h, hdr).map_err(|e| {
        log::error!("VP9: bad compressed header ({e:?})");
        VaError::VA_STATUS_ERROR_DECODING_ERROR
    })?;
    Ok((h, c))
}

impl Codec for Vp9 {
    fn begin_picture(&mut self) {
        self.pic_param = None;
        self.slice_param = None;
        self.frame = None;
    }

    fn parameters(&mut self, type_: va::VABufferType, data: &[u8], _num: u32) -> VaResult<()> {
        let bad = VaError::VA_STATUS_ERROR_INVALID_BUFFER;
        match type_ {
            va::VAPictureParameterBufferType => {
                self.pic_param = Some(ioctl::read_plain(data, 0).ok_or(bad)?);
            }
            va::VASliceParameterBufferType => {
                self.slice_param = Some(ioctl::read_plain(data, 0).ok_or(bad)?);
            }
            t => log::debug!("VP9: ignoring buffer type {t}"),
        }
        Ok(())
    }

    fn slice_data(&mut self, data: &[u8], req: &mut dyn Requests) -> VaResult<()> {
        if self.frame.is_some() {
            log::error!("VP9: a second slice data buffer in one picture (one frame each)");
            return Err(VaError::VA_STATUS_ERROR_INVALID_BUFFER);
        }
        let frame = match &self.slice_param {
            Some(sp) => {
                let off = sp.slice_data_offset as usize;
                data.get(off..off + sp.slice_data_size as usize)
                    .ok_or(VaError::VA_STATUS_ERROR_INVALID_BUFFER)?
            }
            None => data,
        };
        let (h, c) = parse(&mut self.parser, frame)?;
        if let Some(pp) = &self.pic_param {
            if (pp.frame_width, pp.frame_height) != (h.width, h.height)
                || u16::from(pp.frame_header_length_in_bytes) != h.uncompressed_header_size
                || pp.first_partition_size != h.header_size_in_bytes
            {
                log::warn!(
                    "VP9: the VA picture parameters ({}x{}, headers {}+{} bytes) differ from \
                     the frame's ({}x{}, {}+{}): using the frame's",
                    pp.frame_width,
                    pp.frame_height,
                    pp.frame_header_length_in_bytes,
                    pp.first_partition_size,
                    h.width,
                    h.height,
                    h.uncompressed_header_size,
                    h.header_size_in_bytes
                );
            }
        }
        req.append(&[frame])?;
        self.frame = Some((h, c));
        Ok(())
    }

    fn end_picture(&mut self, req: &mut dyn Requests) -> VaResult<()> {
        let (h, c) = self.frame.ok_or(VaError::VA_STATUS_ERROR_DECODING_ERROR)?;
        let pp = self
            .pic_param
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_PARAMETER)?;
        // Intra frames have no references (0); a missing one is named by a timestamp no
        // buffer carries.
        let refs = if h.is_intra() {
            [0; 3]
        } else {
            h.ref_frame_idx.map(|i| {
                req.reference_ns(pp.reference_frames[usize::from(i)])
                    .unwrap_or(u64::MAX)
            })
        };
        let mut frame = controls::frame(&h, c.reference_mode, refs);
        let mut hdr = c.hdr;
        let mut ctrls = [
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_VP9_FRAME, &mut frame),
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_VP9_COMPRESSED_HDR, &mut hdr),
        ];
        req.submit(&mut ctrls, false)
    }
}
