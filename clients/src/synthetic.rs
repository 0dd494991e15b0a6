//! Shared pieces of the synthetic clients (`probe-ebusy`, `request-leak`): a tiny valid MPEG-2
//! parameter set (SEQUENCE, PICTURE, QUANTISATION control payloads as the 6.12 uapi lays them
//! out), a small bitstream chunk, device discovery, and a numbered call log so that the client's
//! output names "call N" the same way on every run.

use std::path::PathBuf;

use v4l2r::bindings as b;

use crate::v4l2::{self, CallResult};

/// `V4L2_PIX_FMT_MPEG2_SLICE` ("MG2S").
pub const MPEG2_SLICE: u32 = v4l2::fourcc(b"MG2S");
/// `V4L2_PIX_FMT_H264_SLICE` ("S264").
pub const H264_SLICE: u32 = v4l2::fourcc(b"S264");
/// `V4L2_PIX_FMT_NV12`.
pub const NV12: u32 = v4l2::fourcc(b"NV12");

/// `struct v4l2_ctrl_mpeg2_sequence` (12 bytes) for a progressive 4:2:0 main-profile stream.
pub fn mpeg2_sequence(width: u16, height: u16) -> Vec<u8> {
    let mut v = Vec::with_capacity(12);
    v.extend_from_slice(&width.to_le_bytes()); // horizontal_size
    v.extend_from_slice(&height.to_le_bytes()); // vertical_size
    v.extend_from_slice(&(112u32 * 16 * 1024).to_le_bytes()); // vbv_buffer_size
    v.extend_from_slice(&0x48u16.to_le_bytes()); // profile_and_level_indication: main@main
    v.push(1); // chroma_format: 4:2:0
    v.push(b::V4L2_MPEG2_SEQ_FLAG_PROGRESSIVE as u8); // flags
    debug_assert_eq!(v.len(), std::mem::size_of::<b::v4l2_ctrl_mpeg2_sequence>());
    v
}

/// `struct v4l2_ctrl_mpeg2_picture` (32 bytes): an intra-coded progressive frame.
pub fn mpeg2_picture_intra() -> Vec<u8> {
    let mut v = Vec::with_capacity(32);
    v.extend_from_slice(&0u64.to_le_bytes()); // backward_ref_ts
    v.extend_from_slice(&0u64.to_le_bytes()); // forward_ref_ts
    let flags = b::V4L2_MPEG2_PIC_FLAG_FRAME_PRED_DCT | b::V4L2_MPEG2_PIC_FLAG_PROGRESSIVE;
    v.extend_from_slice(&flags.to_le_bytes()); // flags
    v.extend_from_slice(&[15, 15, 15, 15]); // f_code[2][2]
    v.push(b::V4L2_MPEG2_PIC_CODING_TYPE_I as u8); // picture_coding_type
    v.push(b::V4L2_MPEG2_PIC_FRAME as u8); // picture_structure
    v.push(0); // intra_dc_precision
    v.extend_from_slice(&[0; 5]); // reserved
    debug_assert_eq!(v.len(), std::mem::size_of::<b::v4l2_ctrl_mpeg2_picture>());
    v
}

/// `struct v4l2_ctrl_mpeg2_quantisation` (4 × 64 bytes): the default matrices (intra: the
/// MPEG-2 default; the others flat 16).
pub fn mpeg2_quantisation() -> Vec<u8> {
    const INTRA: [u8; 64] = [
        8, 16, 16, 19, 16, 19, 22, 22, 22, 22, 22, 22, 26, 24, 26, 27, 27, 27, 26, 26, 26, 26, 27,
        27, 27, 29, 29, 29, 34, 34, 34, 29, 29, 29, 27, 27, 29, 29, 32, 32, 34, 34, 37, 38, 37, 35,
        35, 34, 35, 38, 38, 40, 40, 40, 48, 48, 46, 46, 56, 56, 58, 69, 69, 83,
    ];
    let mut v = Vec::with_capacity(256);
    v.extend_from_slice(&INTRA); // intra_quantiser_matrix
    v.extend_from_slice(&[16; 64]); // non_intra_quantiser_matrix
    v.extend_from_slice(&INTRA); // chroma_intra_quantiser_matrix
    v.extend_from_slice(&[16; 64]); // chroma_non_intra_quantiser_matrix
    debug_assert_eq!(
        v.len(),
        std::mem::size_of::<b::v4l2_ctrl_mpeg2_quantisation>()
    );
    v
}

/// The three MPEG-2 controls of one intra frame, as `(id, payload)` for
/// [`v4l2::VideoDevice::s_ext_ctrls_request`].
pub fn mpeg2_controls(width: u16, height: u16) -> Vec<(u32, Vec<u8>)> {
    vec![
        (
            b::V4L2_CID_STATELESS_MPEG2_SEQUENCE,
            mpeg2_sequence(width, height),
        ),
        (b::V4L2_CID_STATELESS_MPEG2_PICTURE, mpeg2_picture_intra()),
        (
            b::V4L2_CID_STATELESS_MPEG2_QUANTISATION,
            mpeg2_quantisation(),
        ),
    ]
}

/// A small MPEG-2 picture-layer chunk for frame `n` (a picture start code, a header with the
/// temporal reference, one slice start code and deterministic filler). visl does not parse it.
pub fn mpeg2_chunk(n: u32) -> Vec<u8> {
    let mut v = vec![0, 0, 1, 0x00]; // picture_start_code
    v.extend_from_slice(&[(n >> 2) as u8, ((n & 3) << 6) as u8 | 0x0f, 0xff, 0xf8]);
    v.extend_from_slice(&[0, 0, 1, 0x01]); // slice_start_code, slice 1
    v.extend((0..48u32).map(|i| (i.wrapping_mul(37) ^ n) as u8));
    v
}

/// Where the client runs: the visl video node and its media node, found through sysfs and
/// MEDIA_IOC_DEVICE_INFO unless given.
pub fn visl_nodes(
    video: Option<PathBuf>,
    media: Option<PathBuf>,
) -> Result<(PathBuf, PathBuf), String> {
    match (video, media) {
        (Some(v), Some(m)) => Ok((v, m)),
        (v, m) => {
            let (fv, fm) = v4l2::find_nodes("visl", "visl")?;
            Ok((v.unwrap_or(fv), m.unwrap_or(fm)))
        }
    }
}

/// Numbers the client's calls and prints one line per call: `call N: WHAT -> RESULT`.
#[derive(Debug, Default)]
pub struct CallLog {
    n: u32,
    /// Print successful calls too (else only failures and notes).
    pub verbose: bool,
}

impl CallLog {
    /// A log printing every call when `verbose`.
    pub fn new(verbose: bool) -> Self {
        CallLog { n: 0, verbose }
    }

    /// Numbers and prints the outcome of one call, returning it unchanged.
    pub fn call<T>(&mut self, what: &str, r: CallResult<T>) -> CallResult<T> {
        self.n += 1;
        match &r {
            Ok(_) if self.verbose => println!("call {}: {what} -> ok", self.n),
            Ok(_) => {}
            Err(e) => println!("call {}: {what} -> {}", self.n, e.errno.name()),
        }
        r
    }

    /// The number of the last call.
    pub fn last(&self) -> u32 {
        self.n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_sizes_match_the_uapi() {
        assert_eq!(mpeg2_sequence(320, 240).len(), 12);
        assert_eq!(mpeg2_picture_intra().len(), 32);
        assert_eq!(mpeg2_quantisation().len(), 256);
        assert_eq!(&mpeg2_sequence(320, 240)[..4], &[0x40, 1, 240, 0]);
        assert_eq!(MPEG2_SLICE.to_le_bytes(), *b"MG2S");
    }
}
