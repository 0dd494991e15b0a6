//! Formats: VIDIOC_ENUM_FMT, VIDIOC_G_FMT / S_FMT / TRY_FMT (single- and multi-planar pixel
//! formats) and VIDIOC_ENUM_FRAMESIZES.

use std::fmt;

use serde::Serialize;

use super::decode::{list, quoted, DecodeError, Fields, Fourcc};
use super::layout::{
    v4l2_fmtdesc as D, v4l2_format as F, v4l2_frmsizeenum as Z, v4l2_pix_format as P,
    v4l2_pix_format_mplane as M, v4l2_plane_pix_format as PP,
};
use super::names;
use super::raw::Raw;
use super::{ArgType, Family, IoctlInfo};

pub use uapi::VIDIOC_ENUM_FMT;
pub use uapi::VIDIOC_ENUM_FRAMESIZES;
pub use uapi::VIDIOC_G_FMT;
pub use uapi::VIDIOC_S_FMT;
pub use uapi::VIDIOC_TRY_FMT;

pub(super) const IOCTLS: &[IoctlInfo] = &[
    IoctlInfo::new(
        "VIDIOC_ENUM_FMT",
        VIDIOC_ENUM_FMT,
        ArgType::FmtDesc,
        Family::V4l2,
    ),
    IoctlInfo::new("VIDIOC_G_FMT", VIDIOC_G_FMT, ArgType::Format, Family::V4l2),
    IoctlInfo::new("VIDIOC_S_FMT", VIDIOC_S_FMT, ArgType::Format, Family::V4l2),
    IoctlInfo::new(
        "VIDIOC_TRY_FMT",
        VIDIOC_TRY_FMT,
        ArgType::Format,
        Family::V4l2,
    ),
    IoctlInfo::new(
        "VIDIOC_ENUM_FRAMESIZES",
        VIDIOC_ENUM_FRAMESIZES,
        ArgType::FrmSizeEnum,
        Family::V4l2,
    ),
];

/// `VIDEO_MAX_PLANES`.
pub const VIDEO_MAX_PLANES: usize = 8;

/// `struct v4l2_fmtdesc`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FmtDesc {
    pub index: u32,
    #[serde(rename = "type")]
    pub buf_type: u32,
    pub flags: u32,
    pub description: String,
    pub pixelformat: Fourcc,
    pub mbus_code: u32,
}

impl FmtDesc {
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, D::SIZE, "v4l2_fmtdesc")?;
        Ok(FmtDesc {
            index: r.u32(D::INDEX),
            buf_type: r.u32(D::TYPE),
            flags: r.u32(D::FLAGS),
            description: r.cstr(D::DESCRIPTION, 32),
            pixelformat: Fourcc(r.u32(D::PIXELFORMAT)),
            mbus_code: r.u32(D::MBUS_CODE),
        })
    }
}

impl fmt::Display for FmtDesc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            &Fields::new()
                .field("index", self.index)
                .field("type", names::enum_name(names::BUF_TYPES, self.buf_type))
                .field("flags", names::flags(names::FMT_FLAGS, self.flags))
                .field("description", quoted(&self.description))
                .field("pixelformat", self.pixelformat)
                .field_if(
                    self.mbus_code != 0,
                    "mbus_code",
                    format!("{:#x}", self.mbus_code),
                )
                .finish(),
        )
    }
}

/// Colorimetry shared by both pixel formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Colorimetry {
    pub colorspace: u32,
    pub ycbcr_enc: u8,
    pub quantization: u8,
    pub xfer_func: u8,
}

impl Colorimetry {
    fn is_default(&self) -> bool {
        self.colorspace == 0 && self.ycbcr_enc == 0 && self.quantization == 0 && self.xfer_func == 0
    }
    fn write(&self, w: &mut Fields) {
        if self.is_default() {
            return;
        }
        w.field(
            "colorspace",
            names::enum_name(names::COLORSPACES, self.colorspace),
        );
        w.field_if(
            self.ycbcr_enc != 0,
            "ycbcr_enc",
            names::enum_name(names::YCBCR_ENCS, self.ycbcr_enc.into()),
        );
        w.field_if(
            self.quantization != 0,
            "quantization",
            names::enum_name(names::QUANTIZATIONS, self.quantization.into()),
        );
        w.field_if(
            self.xfer_func != 0,
            "xfer_func",
            names::enum_name(names::XFER_FUNCS, self.xfer_func.into()),
        );
    }
}

/// `struct v4l2_pix_format`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PixFormat {
    pub width: u32,
    pub height: u32,
    pub pixelformat: Fourcc,
    pub field: u32,
    pub bytesperline: u32,
    pub sizeimage: u32,
    pub colorimetry: Colorimetry,
    pub priv_: u32,
    pub flags: u32,
}

/// `struct v4l2_plane_pix_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PlanePixFormat {
    pub sizeimage: u32,
    pub bytesperline: u32,
}

impl fmt::Display for PlanePixFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{sizeimage={}, bytesperline={}}}",
            self.sizeimage, self.bytesperline
        )
    }
}

/// `struct v4l2_pix_format_mplane`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PixFormatMplane {
    pub width: u32,
    pub height: u32,
    pub pixelformat: Fourcc,
    pub field: u32,
    pub colorimetry: Colorimetry,
    pub num_planes: u8,
    /// The first `num_planes` (at most [`VIDEO_MAX_PLANES`]) plane formats.
    pub plane_fmt: Vec<PlanePixFormat>,
    pub flags: u8,
}

/// The `fmt` union of `struct v4l2_format`, by buffer type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum FormatKind {
    /// VIDEO_CAPTURE / VIDEO_OUTPUT.
    Pix(PixFormat),
    /// VIDEO_CAPTURE_MPLANE / VIDEO_OUTPUT_MPLANE.
    PixMp(PixFormatMplane),
    /// Any other buffer type (not decoded).
    Other,
}

/// `struct v4l2_format`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Format {
    #[serde(rename = "type")]
    pub buf_type: u32,
    pub fmt: FormatKind,
}

impl Format {
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, F::SIZE, "v4l2_format")?;
        Ok(Self::decode_raw(&r, 0))
    }

    /// Decodes a `v4l2_format` starting at `base` in `r` (also used inside v4l2_create_buffers).
    pub(crate) fn decode_raw(r: &Raw<'_>, base: usize) -> Self {
        let buf_type = r.u32(base + F::TYPE);
        let u = base + F::FMT;
        let fmt = match buf_type {
            1 | 2 => FormatKind::Pix(PixFormat {
                width: r.u32(u + P::WIDTH),
                height: r.u32(u + P::HEIGHT),
                pixelformat: Fourcc(r.u32(u + P::PIXELFORMAT)),
                field: r.u32(u + P::FIELD),
                bytesperline: r.u32(u + P::BYTESPERLINE),
                sizeimage: r.u32(u + P::SIZEIMAGE),
                colorimetry: Colorimetry {
                    colorspace: r.u32(u + P::COLORSPACE),
                    ycbcr_enc: r.u32(u + P::YCBCR_ENC) as u8,
                    quantization: r.u32(u + P::QUANTIZATION) as u8,
                    xfer_func: r.u32(u + P::XFER_FUNC) as u8,
                },
                priv_: r.u32(u + P::PRIV),
                flags: r.u32(u + P::FLAGS),
            }),
            9 | 10 => {
                let num_planes = r.u8(u + M::NUM_PLANES);
                let plane_fmt = (0..usize::from(num_planes).min(VIDEO_MAX_PLANES))
                    .map(|i| {
                        let p = u + M::PLANE_FMT + i * PP::SIZE;
                        PlanePixFormat {
                            sizeimage: r.u32(p + PP::SIZEIMAGE),
                            bytesperline: r.u32(p + PP::BYTESPERLINE),
                        }
                    })
                    .collect();
                FormatKind::PixMp(PixFormatMplane {
                    width: r.u32(u + M::WIDTH),
                    height: r.u32(u + M::HEIGHT),
                    pixelformat: Fourcc(r.u32(u + M::PIXELFORMAT)),
                    field: r.u32(u + M::FIELD),
                    colorimetry: Colorimetry {
                        colorspace: r.u32(u + M::COLORSPACE),
                        ycbcr_enc: r.u8(u + M::YCBCR_ENC),
                        quantization: r.u8(u + M::QUANTIZATION),
                        xfer_func: r.u8(u + M::XFER_FUNC),
                    },
                    num_planes,
                    plane_fmt,
                    flags: r.u8(u + M::FLAGS),
                })
            }
            _ => FormatKind::Other,
        };
        Format { buf_type, fmt }
    }

    /// Width and height, for pixel formats.
    pub fn size(&self) -> Option<(u32, u32)> {
        match &self.fmt {
            FormatKind::Pix(p) => Some((p.width, p.height)),
            FormatKind::PixMp(p) => Some((p.width, p.height)),
            FormatKind::Other => None,
        }
    }

    /// The pixel format, for pixel formats.
    pub fn pixelformat(&self) -> Option<Fourcc> {
        match &self.fmt {
            FormatKind::Pix(p) => Some(p.pixelformat),
            FormatKind::PixMp(p) => Some(p.pixelformat),
            FormatKind::Other => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = Fields::new();
        w.field("type", names::enum_name(names::BUF_TYPES, self.buf_type));
        match &self.fmt {
            FormatKind::Pix(p) => {
                w.field("width", p.width)
                    .field("height", p.height)
                    .field("pixelformat", p.pixelformat)
                    .field("field", names::enum_name(names::FIELDS, p.field))
                    .field("bytesperline", p.bytesperline)
                    .field("sizeimage", p.sizeimage);
                p.colorimetry.write(&mut w);
                w.field_if(
                    p.flags != 0,
                    "flags",
                    names::flags(names::PIX_FMT_FLAGS, p.flags),
                );
            }
            FormatKind::PixMp(p) => {
                w.field("width", p.width)
                    .field("height", p.height)
                    .field("pixelformat", p.pixelformat)
                    .field("field", names::enum_name(names::FIELDS, p.field));
                p.colorimetry.write(&mut w);
                w.field("num_planes", p.num_planes)
                    .field("plane_fmt", list(&p.plane_fmt));
                w.field_if(
                    p.flags != 0,
                    "flags",
                    names::flags(names::PIX_FMT_FLAGS, p.flags.into()),
                );
            }
            FormatKind::Other => {}
        }
        f.write_str(&w.finish())
    }
}

/// The size union of `struct v4l2_frmsizeenum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FrmSize {
    Discrete {
        width: u32,
        height: u32,
    },
    Stepwise {
        min_width: u32,
        max_width: u32,
        step_width: u32,
        min_height: u32,
        max_height: u32,
        step_height: u32,
    },
}

/// `struct v4l2_frmsizeenum`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrmSizeEnum {
    pub index: u32,
    pub pixel_format: Fourcc,
    #[serde(rename = "type")]
    pub size_type: u32,
    pub size: FrmSize,
}

impl FrmSizeEnum {
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, Z::SIZE, "v4l2_frmsizeenum")?;
        let size_type = r.u32(Z::TYPE);
        let size = if size_type == 1 {
            FrmSize::Discrete {
                width: r.u32(Z::DISCRETE),
                height: r.u32(Z::DISCRETE + 4),
            }
        } else {
            FrmSize::Stepwise {
                min_width: r.u32(Z::STEPWISE),
                max_width: r.u32(Z::STEPWISE_MAX_WIDTH),
                step_width: r.u32(Z::STEPWISE_STEP_WIDTH),
                min_height: r.u32(Z::STEPWISE_MIN_HEIGHT),
                max_height: r.u32(Z::STEPWISE_MAX_HEIGHT),
                step_height: r.u32(Z::STEPWISE_STEP_HEIGHT),
            }
        };
        Ok(FrmSizeEnum {
            index: r.u32(Z::INDEX),
            pixel_format: Fourcc(r.u32(Z::PIXEL_FORMAT)),
            size_type,
            size,
        })
    }
}

impl fmt::Display for FrmSizeEnum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = Fields::new();
        w.field("index", self.index)
            .field("pixel_format", self.pixel_format)
            .field(
                "type",
                names::enum_name(names::FRMSIZE_TYPES, self.size_type),
            );
        match self.size {
            FrmSize::Discrete { width, height } => {
                w.field("discrete", format!("{width}x{height}"));
            }
            FrmSize::Stepwise {
                min_width,
                max_width,
                step_width,
                min_height,
                max_height,
                step_height,
            } => {
                w.field("width", format!("{min_width}..{max_width}/{step_width}"))
                    .field(
                        "height",
                        format!("{min_height}..{max_height}/{step_height}"),
                    );
            }
        }
        f.write_str(&w.finish())
    }
}
