//! HEVC as a [`Codec`]: keeps the picture's VA buffers, parses each slice header, and sends
//! SPS, PPS, DECODE_PARAMS, SLICE_PARAMS, SCALING_MATRIX and (when the device takes it and a
//! slice has entry points) ENTRY_POINT_OFFSETS: in slice-based mode one request per slice, every
//! slice but the picture's last holding the CAPTURE buffer; in frame-based mode one request per
//! picture with every slice (start codes included) and SLICE_PARAMS as an array.

use v4l2r::bindings as v4l2;

use super::controls;
use super::slice_header::{self, SliceHeader};
use crate::codec::{self, Codec, Requests};
use crate::ioctl::{self, Ctrl};
use crate::va::{self, VaError, VaResult};

/// A slice of the request being filled.
struct Pending {
    sp: va::VASliceParameterBufferHEVC,
    header: SliceHeader,
    bit_size: u32,
    data_byte_offset: u32,
}

pub struct Hevc {
    pic_param: Option<va::VAPictureParameterBufferHEVC>,
    iq: Option<va::VAIQMatrixBufferHEVC>,
    slice_params: Vec<va::VASliceParameterBufferHEVC>,
    /// The slices of the request being filled (at most one in slice-based mode).
    pending: Vec<Pending>,
    /// The last independent slice segment's header (a dependent one inherits its fields).
    independent: SliceHeader,
}

pub fn new(_profile: va::VAProfile) -> Box<dyn Codec> {
    Box::new(Hevc {
        pic_param: None,
        iq: None,
        slice_params: Vec::new(),
        pending: Vec::new(),
        independent: SliceHeader::default(),
    })
}

/// The offset in `nal` (which keeps its emulation-prevention bytes) of the byte that is
/// `unescaped` bytes from its start once they are removed (VA counts without them).
pub fn escaped_offset(nal: &[u8], unescaped: usize) -> usize {
    let (mut zeros, mut seen) = (0, 0);
    for (i, &b) in nal.iter().enumerate() {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        if seen == unescaped {
            return i;
        }
        seen += 1;
        zeros = if b == 0 { zeros + 1 } else { 0 };
    }
    nal.len()
}

impl Hevc {
    /// Sends the request being filled with the controls of its slices.
    fn send(&mut self, req: &mut dyn Requests, hold_capture: bool) -> VaResult<()> {
        let slices = std::mem::take(&mut self.pending);
        let first = slices
            .first()
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_PARAMETER)?;
        let pp = self
            .pic_param
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_PARAMETER)?;
        let dpb = controls::dpb(&pp, |s| req.reference_ns(s));
        let mut sps = controls::sps(&pp);
        let mut pps = controls::pps(&pp, &first.header);
        let mut dp = controls::decode_params(&pp, &first.header, &dpb);
        let mut slp: Vec<v4l2::v4l2_ctrl_hevc_slice_params> = slices
            .iter()
            .map(|s| {
                controls::slice_params(&pp, &s.sp, &s.header, &dpb, s.bit_size, s.data_byte_offset)
            })
            .collect();
        // One array for the request: each slice's offsets in turn, as many as its
        // `num_entry_point_offsets` says.
        let mut entry_points: Vec<u32> = slices
            .iter()
            .flat_map(|s| s.header.entry_point_offset_minus1.iter().copied())
            .collect();
        // Sent on every request, zeros when scaling lists are off (as GStreamer does).
        let mut sm = self
            .iq
            .as_ref()
            .map(controls::scaling_matrix)
            .unwrap_or_default();
        let mut ctrls = vec![
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_HEVC_SPS, &mut sps),
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_HEVC_PPS, &mut pps),
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_HEVC_DECODE_PARAMS, &mut dp),
            Ctrl::array(v4l2::V4L2_CID_STATELESS_HEVC_SLICE_PARAMS, &mut slp),
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_HEVC_SCALING_MATRIX, &mut sm),
        ];
        if req.mode().entry_point_offsets && !entry_points.is_empty() {
            ctrls.push(Ctrl::array(
                v4l2::V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS,
                &mut entry_points,
            ));
        }
        req.submit(&mut ctrls, hold_capture)
    }

    /// One slice: its header parsed, its bytes appended; in slice-based mode the previous
    /// slice of the picture is sent first.
    fn slice(
        &mut self,
        pp: &va::VAPictureParameterBufferHEVC,
        sp: &va::VASliceParameterBufferHEVC,
        nal: &[u8],
        req: &mut dyn Requests,
    ) -> VaResult<()> {
        // trailing_zero_8bits (the zero_byte of the next start code, which FFmpeg leaves in)
        // are no part of the slice: its RBSP ends with a one bit.
        let end = nal.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        let nal = &nal[..end];
        let mut header = match slice_header::parse(nal, &controls::parse_params(pp)) {
            Ok(h) => h,
            Err(_) => {
                log::warn!("HEVC slice header parse failed; using VA values only");
                SliceHeader::default()
            }
        };
        if header.dependent_slice_segment {
            header = SliceHeader {
                nal_unit_type: header.nal_unit_type,
                nuh_temporal_id_plus1: header.nuh_temporal_id_plus1,
                first_slice_segment_in_pic: false,
                dependent_slice_segment: true,
                num_entry_point_offsets: header.num_entry_point_offsets,
                entry_point_offset_minus1: header.entry_point_offset_minus1,
                ..self.independent.clone()
            };
        } else {
            self.independent = header.clone();
        }
        let mode = req.mode();
        if !mode.frame_based && !self.pending.is_empty() {
            self.send(req, true)?;
        }
        let start: &[u8] = if mode.annex_b { &[0, 0, 1] } else { &[] };
        req.append(&[start, nal])?;
        let offset = escaped_offset(nal, sp.slice_data_byte_offset as usize);
        self.pending.push(Pending {
            sp: *sp,
            header,
            bit_size: ((start.len() + nal.len()) * 8) as u32,
            data_byte_offset: (start.len() + offset) as u32,
        });
        Ok(())
    }
}

impl Codec for Hevc {
    fn begin_picture(&mut self) {
        self.pic_param = None;
        self.iq = None;
        self.slice_params.clear();
        self.pending.clear();
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
            t => log::debug!("HEVC: ignoring buffer type {t}"),
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
        if self.pending.is_empty() {
            return Err(VaError::VA_STATUS_ERROR_DECODING_ERROR);
        }
        self.send(req, false)
    }
}

#[cfg(test)]
mod tests {
    use super::escaped_offset;

    #[test]
    fn offsets_count_emulation_prevention_bytes_before_them() {
        let nal = [
            0x26, 0x01, 0x00, 0x00, 0x03, 0x01, 0xaa, 0x00, 0x00, 0x03, 0x00, 0xbb,
        ];
        assert_eq!(escaped_offset(&nal, 2), 2);
        // The 5th unescaped byte (0x01) follows the EPB at 4.
        assert_eq!(escaped_offset(&nal, 4), 5);
        assert_eq!(escaped_offset(&nal, 8), 10);
        assert_eq!(escaped_offset(&nal, 20), nal.len());
    }
}
