//! Hardware profiles: what one mainline stateless decoder driver accepts, read from its source in
//! Linux 6.12: the coded formats (codecs) and their size limits, the decoded formats, the H.264
//! decode mode and start code it takes, and the control fields its register programming reads.
//!
//! * `profile-codec` (error): an OUTPUT format the hardware has no decoder for;
//! * `profile-size` (error): a coded size outside the hardware's range or step;
//! * `profile-capture-format` (warning): a CAPTURE format the driver does not list;
//! * `profile-decode-mode` (error): an H.264 decode mode or start code the driver's menu excludes;
//! * `profile-sps` (error): an H.264 SPS the driver's try_ctrl refuses (4:2:0 8-bit only);
//! * `profile-h264-bit-sizes` (error, hantro-g1): DECODE_PARAMS bit sizes left at zero where the
//!   G1 programs them into its registers (zeroes decode garbage, all-zero frames on RK3566);
//! * `profile-slice-header` (error, cedrus): SLICE_PARAMS `header_bit_size` zero (cedrus skips
//!   that many bits to reach the slice data).

use std::fmt;

use super::decode::pix;
use super::Severity;
use crate::record::Header;

/// A hardware decoder whose rules `vatrace check --profile` applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Profile {
    /// Verisilicon Hantro G1 (RK3288/RK3399/i.MX8MQ VPU; `hantro-vpu` driver).
    HantroG1,
    /// Rockchip RK3399 video decoder (`rkvdec` driver).
    Rkvdec,
    /// Allwinner Video Engine (`cedrus` driver).
    Cedrus,
    /// The kernel's virtual stateless decoder (`visl`).
    Visl,
}

/// The size range one coded format takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coded {
    pub fourcc: u32,
    pub min: (u32, u32),
    pub max: (u32, u32),
    /// Width and height steps (1: any).
    pub step: (u32, u32),
}

const fn coded(fourcc: u32, min: (u32, u32), max: (u32, u32), step: (u32, u32)) -> Coded {
    Coded {
        fourcc,
        min,
        max,
        step,
    }
}

/// H.264 `DECODE_MODE` items: `SLICE_BASED` 0, `FRAME_BASED` 1; `START_CODE`: `NONE` 0, `ANNEX_B` 1.
pub const H264_SLICE_BASED: i64 = 0;
pub const H264_FRAME_BASED: i64 = 1;
pub const H264_START_NONE: i64 = 0;
pub const H264_START_ANNEX_B: i64 = 1;

impl Profile {
    /// Every profile, for help texts.
    pub const ALL: [Profile; 4] = [
        Profile::HantroG1,
        Profile::Rkvdec,
        Profile::Cedrus,
        Profile::Visl,
    ];

    /// `hantro-g1`, `rkvdec`, `cedrus` or `visl`.
    pub fn name(self) -> &'static str {
        match self {
            Profile::HantroG1 => "hantro-g1",
            Profile::Rkvdec => "rkvdec",
            Profile::Cedrus => "cedrus",
            Profile::Visl => "visl",
        }
    }

    /// The profile of a `--profile` name.
    pub fn parse(name: &str) -> Result<Profile, String> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| {
                format!(
                    "unknown profile {name:?}: use one of {}",
                    Profile::ALL.map(|p| p.name()).join(", ")
                )
            })
    }

    /// The profile of a V4L2 driver name (`v4l2_capability.driver`).
    pub fn from_driver(driver: &str) -> Option<Profile> {
        match driver {
            "hantro-vpu" => Some(Profile::HantroG1),
            "rkvdec" => Some(Profile::Rkvdec),
            "cedrus" => Some(Profile::Cedrus),
            "visl" => Some(Profile::Visl),
            _ => None,
        }
    }

    /// The profile of the first stateless decoder the trace's header lists.
    pub fn of_header(header: &Header) -> Option<Profile> {
        header
            .devices
            .iter()
            .find_map(|d| Profile::from_driver(&d.driver))
    }

    /// The driver source the profile is read from.
    pub fn source(self) -> &'static str {
        match self {
            Profile::HantroG1 => {
                "drivers/media/platform/verisilicon/rockchip_vpu_hw.c (rk3288_vpu_dec_fmts), hantro_drv.c \
                 (controls), hantro_g1_h264_dec.c"
            }
            Profile::Rkvdec => "drivers/staging/media/rkvdec/rkvdec.c (rkvdec_coded_fmts, controls), rkvdec-h264.c",
            Profile::Cedrus => {
                "drivers/staging/media/sunxi/cedrus/cedrus_video.c (formats, CEDRUS_MAX_WIDTH), cedrus.c \
                 (controls, cedrus_try_ctrl), cedrus_h264.c"
            }
            Profile::Visl => "drivers/media/test-drivers/visl/visl-video.c (visl_coded_fmts)",
        }
    }

    /// The coded formats (codecs) it decodes, with their size limits.
    pub fn coded(self) -> &'static [Coded] {
        const G1: &[Coded] = &[
            coded(pix::H264_SLICE, (48, 48), (4096, 2304), (16, 16)),
            coded(pix::MPEG2_SLICE, (48, 48), (1920, 1088), (16, 16)),
            coded(pix::VP8_FRAME, (48, 48), (1920, 1088), (16, 16)),
        ];
        const RKVDEC: &[Coded] = &[
            coded(pix::H264_SLICE, (48, 48), (4096, 2560), (16, 16)),
            coded(pix::VP9_FRAME, (64, 64), (4096, 2304), (64, 64)),
        ];
        const CEDRUS: &[Coded] = &[
            coded(pix::MPEG2_SLICE, (16, 16), (4096, 2304), (1, 1)),
            coded(pix::H264_SLICE, (16, 16), (4096, 2304), (1, 1)),
            coded(pix::HEVC_SLICE, (16, 16), (4096, 2304), (1, 1)),
            coded(pix::VP8_FRAME, (16, 16), (4096, 2304), (1, 1)),
        ];
        const VISL: &[Coded] = &[
            coded(pix::FWHT_STATELESS, (640, 360), (4096, 2160), (1, 1)),
            coded(pix::MPEG2_SLICE, (16, 16), (1920, 1152), (1, 1)),
            coded(pix::VP8_FRAME, (64, 64), (16383, 16383), (1, 1)),
            coded(pix::VP9_FRAME, (64, 64), (8192, 4352), (1, 1)),
            coded(pix::H264_SLICE, (64, 64), (4096, 2304), (1, 1)),
            coded(pix::HEVC_SLICE, (64, 64), (4096, 2304), (1, 1)),
            coded(pix::AV1_FRAME, (64, 64), (4096, 2304), (1, 1)),
        ];
        match self {
            Profile::HantroG1 => G1,
            Profile::Rkvdec => RKVDEC,
            Profile::Cedrus => CEDRUS,
            Profile::Visl => VISL,
        }
    }

    /// The decoded (CAPTURE) formats it lists.
    pub fn decoded(self) -> &'static [u32] {
        match self {
            Profile::HantroG1 => &[pix::NV12],
            Profile::Rkvdec => &[pix::NV12],
            Profile::Cedrus => &[pix::NV12_32L32, pix::NV12],
            Profile::Visl => &[pix::NV12, pix::YUV420],
        }
    }

    /// The H.264 decode modes and start codes its menus allow (`None`: any).
    pub fn h264_modes(self) -> Option<(&'static [i64], &'static [i64])> {
        match self {
            Profile::HantroG1 | Profile::Rkvdec => {
                Some((&[H264_FRAME_BASED], &[H264_START_ANNEX_B]))
            }
            Profile::Cedrus => Some((&[H264_SLICE_BASED], &[H264_START_NONE])),
            Profile::Visl => None,
        }
    }

    /// Whether its H.264 SPS check refuses anything but 4:2:0 8-bit.
    pub fn h264_420_8bit_only(self) -> bool {
        matches!(self, Profile::Rkvdec | Profile::Cedrus)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a coded size does not fit `c`, if it does not: outside the range (an error: the driver
/// clamps it to a size the stream is not) or off the step (a note: the driver rounds it up).
pub fn size_problem(c: &Coded, w: u32, h: u32) -> Option<(Severity, String)> {
    if w < c.min.0 || h < c.min.1 || w > c.max.0 || h > c.max.1 {
        return Some((
            Severity::Error,
            format!(
                "{w}x{h} is outside {}x{} .. {}x{}",
                c.min.0, c.min.1, c.max.0, c.max.1
            ),
        ));
    }
    if !w.is_multiple_of(c.step.0) || !h.is_multiple_of(c.step.1) {
        return Some((
            Severity::Note,
            format!(
                "{w}x{h} is not a multiple of {}x{}: the driver rounds it up",
                c.step.0, c.step.1
            ),
        ));
    }
    None
}
