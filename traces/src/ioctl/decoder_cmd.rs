//! VIDIOC_DECODER_CMD / VIDIOC_TRY_DECODER_CMD (drain with STOP, FLUSH of held CAPTURE buffers
//! in slice-based decoding) and, by name only, the encoder commands.

use std::fmt;

use serde::Serialize;

use super::decode::{DecodeError, Fields};
use super::layout::v4l2_decoder_cmd as D;
use super::names;
use super::raw::Raw;
use super::{ArgType, Family, IoctlInfo};

pub use uapi::VIDIOC_DECODER_CMD;
pub use uapi::VIDIOC_ENCODER_CMD;
pub use uapi::VIDIOC_TRY_DECODER_CMD;
pub use uapi::VIDIOC_TRY_ENCODER_CMD;

pub(super) const IOCTLS: &[IoctlInfo] = &[
    IoctlInfo::new(
        "VIDIOC_ENCODER_CMD",
        VIDIOC_ENCODER_CMD,
        ArgType::EncoderCmd,
        Family::V4l2,
    ),
    IoctlInfo::new(
        "VIDIOC_TRY_ENCODER_CMD",
        VIDIOC_TRY_ENCODER_CMD,
        ArgType::EncoderCmd,
        Family::V4l2,
    ),
    IoctlInfo::new(
        "VIDIOC_DECODER_CMD",
        VIDIOC_DECODER_CMD,
        ArgType::DecoderCmd,
        Family::V4l2,
    ),
    IoctlInfo::new(
        "VIDIOC_TRY_DECODER_CMD",
        VIDIOC_TRY_DECODER_CMD,
        ArgType::DecoderCmd,
        Family::V4l2,
    ),
];

/// `V4L2_DEC_CMD_START`.
pub const DEC_CMD_START: u32 = 0;
/// `V4L2_DEC_CMD_STOP`.
pub const DEC_CMD_STOP: u32 = 1;

/// `struct v4l2_decoder_cmd`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecoderCmd {
    pub cmd: u32,
    pub flags: u32,
    /// STOP: `stop.pts`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_pts: Option<u64>,
    /// START: `start.speed` and `start.format`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<(i32, u32)>,
}

impl DecoderCmd {
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, D::SIZE, "v4l2_decoder_cmd")?;
        let cmd = r.u32(D::CMD);
        Ok(DecoderCmd {
            cmd,
            flags: r.u32(D::FLAGS),
            stop_pts: (cmd == DEC_CMD_STOP).then(|| r.u64(D::STOP_PTS)),
            start: (cmd == DEC_CMD_START).then(|| (r.i32(D::START_SPEED), r.u32(D::START_FORMAT))),
        })
    }
}

impl fmt::Display for DecoderCmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = Fields::new();
        w.field("cmd", names::enum_name(names::DEC_CMDS, self.cmd));
        w.field_if(self.flags != 0, "flags", format!("{:#x}", self.flags));
        if let Some(pts) = self.stop_pts.filter(|&p| p != 0) {
            w.field("stop.pts", pts);
        }
        if let Some((speed, format)) = self.start.filter(|&s| s != (0, 0)) {
            w.field("start.speed", speed).field("start.format", format);
        }
        f.write_str(&w.finish())
    }
}
