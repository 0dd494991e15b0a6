//! The stateless-codec interface between the VA object layer ([`crate::driver`]) and the
//! codecs (one folder each: [`crate::h264`], [`crate::mpeg2`], [`crate::vp8`],
//! [`crate::vp9`], [`crate::hevc`], [`crate::av1`]). A codec turns the VA buffers of a picture into
//! requests: per request, its controls and its bitstream, with references named by the
//! timestamps of earlier decodes. The VA layer owns everything else (surfaces, slots, CAPTURE
//! buffers, submission), reached by the codec only through [`Requests`].
//!
//! A codec is described once by a [`CodecKind`]: the V4L2 OUTPUT pixel format it feeds, the VA
//! profiles it serves, how it sets the device up, and how a per-context instance is made.

use std::fs::File;

use crate::ioctl::{self, Ctrl};
use crate::va::{self, VaError, VaResult};

/// How the device takes the bitstream (set once per session by [`CodecKind::set_up`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mode {
    /// One request per frame (else one per slice, HOLD_CAPTURE_BUF between slices).
    pub frame_based: bool,
    /// Slices carry Annex-B start codes.
    pub annex_b: bool,
    /// HEVC: the device takes ENTRY_POINT_OFFSETS (cedrus, visl; not rkvdec, hantro G2).
    pub entry_point_offsets: bool,
}

/// What a codec reaches of the picture being decoded: the request being filled, its
/// submission, and the reference timestamps of other surfaces.
pub trait Requests {
    /// The session's bitstream mode.
    fn mode(&self) -> Mode;
    /// Appends `parts`, in order, to the bitstream of the request being filled (one is started
    /// when none is). NOT_ENOUGH_BUFFER when the OUTPUT buffer is too small.
    fn append(&mut self, parts: &[&[u8]]) -> VaResult<()>;
    /// Queues the request being filled with `ctrls`. `hold_capture`: more requests of this
    /// picture follow into the same CAPTURE buffer (V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF).
    fn submit(&mut self, ctrls: &mut [Ctrl], hold_capture: bool) -> VaResult<()>;
    /// The timestamp (ns) of `surface`'s last decode (its name as a reference), if any.
    fn reference_ns(&self, surface: va::VASurfaceID) -> Option<u64>;
    /// The timestamp (ns) the current picture is decoded under.
    fn timestamp_ns(&self) -> u64;
}

/// One VA context's codec state: what it keeps of the current picture's buffers and across
/// pictures.
pub trait Codec: Send {
    /// A new picture starts (vaBeginPicture): forget the previous picture's buffers.
    fn begin_picture(&mut self);
    /// A parameter buffer (picture, IQ matrix, slice parameters, probabilities...).
    /// Unknown types are ignored.
    fn parameters(&mut self, type_: va::VABufferType, data: &[u8], num: u32) -> VaResult<()>;
    /// A slice data buffer, described by the slice parameters seen last.
    fn slice_data(&mut self, data: &[u8], req: &mut dyn Requests) -> VaResult<()>;
    /// vaEndPicture: sends what is left. DECODING_ERROR when the picture had no slice.
    fn end_picture(&mut self, req: &mut dyn Requests) -> VaResult<()>;
}

/// A codec as the VA layer sees it before any context exists.
pub struct CodecKind {
    pub name: &'static str,
    /// V4L2 OUTPUT pixel format (a discovery on the device must offer it).
    pub coded_format: u32,
    pub profiles: &'static [va::VAProfile],
    /// Sets the device's codec-wide controls (decode mode, start codes) once the OUTPUT format
    /// is set; returns the mode chosen.
    pub set_up: fn(&File) -> ioctl::Result<Mode>,
    /// A per-context instance for `profile`.
    pub new: fn(va::VAProfile) -> Box<dyn Codec>,
}

/// Every codec the driver knows, in the order their profiles are listed.
pub const CODECS: &[&CodecKind] = &[
    &crate::h264::KIND,
    &crate::mpeg2::KIND,
    &crate::vp8::KIND,
    &crate::vp9::KIND,
    &crate::hevc::KIND,
    &crate::av1::KIND,
];

pub fn for_profile(profile: va::VAProfile) -> Option<&'static CodecKind> {
    CODECS
        .iter()
        .copied()
        .find(|k| k.profiles.contains(&profile))
}

pub fn for_format(fmt: u32) -> Option<&'static CodecKind> {
    CODECS.iter().copied().find(|k| k.coded_format == fmt)
}

/// Runs `slice` on each slice of a VA slice data buffer in order, as its slice parameters place
/// it (`range`: offset and size in `data`); stops at the first error. INVALID_BUFFER when a slice
/// lies outside `data`.
pub fn each_slice<P>(
    params: &[P],
    data: &[u8],
    range: impl Fn(&P) -> (u32, u32),
    mut slice: impl FnMut(&P, &[u8]) -> VaResult<()>,
) -> VaResult<()> {
    for p in params {
        let (off, size) = range(p);
        let (off, size) = (off as usize, size as usize);
        let bytes = off
            .checked_add(size)
            .and_then(|end| data.get(off..end))
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_BUFFER)?;
        slice(p, bytes)?;
    }
    Ok(())
}

/// Mode of codecs without codec-wide controls: one request per frame, as given.
pub fn frame_mode(_video: &File) -> ioctl::Result<Mode> {
    Ok(Mode {
        frame_based: true,
        ..Default::default()
    })
}
