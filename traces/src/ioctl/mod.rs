//! The ioctl catalogue: every V4L2, media-controller, media-request and DMA-BUF ioctl a stateless
//! decoder stack issues, with its number, direction, argument size and argument type, the nested
//! memory each one points to (so the tracer and replay agree on what to capture), and decoders
//! from raw argument bytes to typed values.
//!
//! One module per ioctl family, as in v4l2r. Numbers use the `_IOC` encoding shared by x86_64 and
//! arm64 (`nr` bits 0–7, `type` 8–15, `size` 16–29, `dir` 30–31); struct layouts are LP64 and are
//! taken from the generated `uapi` crate by [`layout`] and checked against gcc in `crate::layout_check`. 32-bit (compat) callers are not covered.

use std::borrow::Cow;
use std::fmt as stdfmt;

use serde::Serialize;

pub mod layout;
pub mod names;
mod raw;

pub mod create_bufs;
pub mod decoder_cmd;
pub mod dma_buf;
pub mod event;
pub mod expbuf;
pub mod ext_ctrls;
pub mod fmt;
pub mod media;
pub mod misc;
pub mod qbuf;
pub mod querycap;
pub mod queryctrl;
pub mod reqbufs;
pub mod request;
pub mod streamon;

mod decode;
mod payloads;

/// Re-exported: the kind of a captured nested payload, named by [`PayloadSpec::kind`].
pub use crate::record::PayloadKind;
pub use decode::{
    decode, decode_ioctl, decode_with_payloads, Arg, DecodeError, DecodedIoctl, Fourcc, Side,
};
pub use payloads::{
    control_reads, nested_reads, payload_specs, Capture, Condition, NestedRead, PayloadSpec,
    CONTROL_PAYLOAD_MAX, CONTROL_PAYLOAD_PTR_OFFSET, CONTROL_PAYLOAD_SIZE_OFFSET,
};

/// `_IOC_NONE`: no argument copied.
pub const IOC_NONE: u32 = uapi::ioc::NONE;
/// `_IOC_WRITE`: user space writes the argument (the kernel reads it).
pub const IOC_WRITE: u32 = uapi::ioc::WRITE;
/// `_IOC_READ`: user space reads the argument (the kernel writes it).
pub const IOC_READ: u32 = uapi::ioc::READ;

/// `_IOC(dir, type, nr, size)`, for numbers the headers do not define (the catalogue's own
/// numbers are the generated `uapi` crate's).
pub const fn ioc(dir: u32, ty: u8, nr: u8, size: usize) -> u32 {
    uapi::ioc::ioc(dir, ty, nr as u32, size)
}
/// `_IO(type, nr)`.
pub const fn io(ty: u8, nr: u8) -> u32 {
    ioc(IOC_NONE, ty, nr, 0)
}
/// `_IOR(type, nr, size)`.
pub const fn ior(ty: u8, nr: u8, size: usize) -> u32 {
    ioc(IOC_READ, ty, nr, size)
}
/// `_IOW(type, nr, size)`.
pub const fn iow(ty: u8, nr: u8, size: usize) -> u32 {
    ioc(IOC_WRITE, ty, nr, size)
}
/// `_IOWR(type, nr, size)`.
pub const fn iowr(ty: u8, nr: u8, size: usize) -> u32 {
    ioc(IOC_READ | IOC_WRITE, ty, nr, size)
}

/// Which way an ioctl's argument struct travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Dir {
    /// `_IO`: no argument struct (the argument, if any, is a plain value).
    None,
    /// `_IOW`: user space → kernel; capture it at entry.
    Write,
    /// `_IOR`: kernel → user space; capture it at exit.
    Read,
    /// `_IOWR`: both; capture at entry and exit.
    ReadWrite,
}

impl Dir {
    /// The direction encoded in bits 30–31 of a request number.
    pub const fn of(request: u32) -> Dir {
        match request >> 30 {
            0 => Dir::None,
            1 => Dir::Write,
            2 => Dir::Read,
            _ => Dir::ReadWrite,
        }
    }
    /// Whether the argument should be read at syscall entry.
    pub const fn reads_before(self) -> bool {
        matches!(self, Dir::Write | Dir::ReadWrite)
    }
    /// Whether the argument should be read at syscall exit.
    pub const fn reads_after(self) -> bool {
        matches!(self, Dir::Read | Dir::ReadWrite)
    }
    /// `"R"`, `"W"`, `"RW"` or `"-"`.
    pub const fn short(self) -> &'static str {
        match self {
            Dir::None => "-",
            Dir::Write => "W",
            Dir::Read => "R",
            Dir::ReadWrite => "RW",
        }
    }
}

/// The type of an ioctl's argument, which picks its decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ArgType {
    /// No argument.
    None,
    /// A pointer to an `int` (STREAMON's buffer type, REQUEST_ALLOC's fd, G_INPUT, …).
    Int,
    /// A pointer to an `int` holding an `enum v4l2_buf_type` (STREAMON/STREAMOFF).
    BufType,
    /// A pointer to a `__u32`.
    U32,
    /// A pointer to a `__u64`.
    U64,
    Capability,
    FmtDesc,
    Format,
    RequestBuffers,
    Buffer,
    ExportBuffer,
    Control,
    ExtControls,
    QueryCtrl,
    QueryExtCtrl,
    QueryMenu,
    EventSubscription,
    Event,
    CreateBuffers,
    RemoveBuffers,
    DecoderCmd,
    EncoderCmd,
    FrmSizeEnum,
    FrmIvalEnum,
    StreamParm,
    Selection,
    MediaDeviceInfo,
    MediaEntityDesc,
    MediaLinksEnum,
    MediaLinkDesc,
    MediaTopology,
    DmaBufSync,
    DmaBufSyncFile,
    /// Known ioctl whose argument is not decoded.
    Opaque,
}

/// Which subsystem an ioctl belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Family {
    /// `VIDIOC_*` on a video node (type `'V'`).
    V4l2,
    /// `MEDIA_IOC_*` on a media node (type `'|'`, nr < 0x80).
    Media,
    /// `MEDIA_REQUEST_IOC_*` on a request fd (type `'|'`, nr ≥ 0x80).
    Request,
    /// `DMA_BUF_*` on a dma-buf fd (type `'b'`).
    DmaBuf,
}

/// One entry of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IoctlInfo {
    /// The C macro name, e.g. `"VIDIOC_QBUF"`.
    pub name: &'static str,
    /// The request number.
    pub request: u32,
    /// Direction of the argument struct.
    pub dir: Dir,
    /// Size of the argument struct (0 for `_IO`).
    pub size: usize,
    /// What the argument is.
    pub arg: ArgType,
    /// Subsystem.
    pub family: Family,
}

impl IoctlInfo {
    /// A catalogue entry; direction and size are taken from the number itself.
    pub const fn new(name: &'static str, request: u32, arg: ArgType, family: Family) -> Self {
        IoctlInfo {
            name,
            request,
            dir: Dir::of(request),
            size: ((request >> 16) & 0x3fff) as usize,
            arg,
            family,
        }
    }
}

/// A request number split into its `_IOC` fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IocFields {
    pub dir: Dir,
    /// The type byte (`'V'`, `'|'`, `'b'`, …).
    pub ty: u8,
    pub nr: u8,
    pub size: usize,
}

impl IocFields {
    /// Splits `request`.
    pub const fn split(request: u32) -> Self {
        IocFields {
            dir: Dir::of(request),
            ty: (request >> 8) as u8,
            nr: request as u8,
            size: ((request >> 16) & 0x3fff) as usize,
        }
    }
}

impl stdfmt::Display for IocFields {
    fn fmt(&self, f: &mut stdfmt::Formatter<'_>) -> stdfmt::Result {
        let ty = if self.ty.is_ascii_graphic() {
            format!("'{}'", self.ty as char)
        } else {
            format!("{:#04x}", self.ty)
        };
        write!(
            f,
            "dir={}, type={ty}, nr={:#04x}, size={}",
            self.dir.short(),
            self.nr,
            self.size
        )
    }
}

/// Every family's table, in the order `all()` yields them.
const FAMILIES: &[&[IoctlInfo]] = &[
    querycap::IOCTLS,
    fmt::IOCTLS,
    reqbufs::IOCTLS,
    qbuf::IOCTLS,
    expbuf::IOCTLS,
    streamon::IOCTLS,
    ext_ctrls::IOCTLS,
    queryctrl::IOCTLS,
    event::IOCTLS,
    create_bufs::IOCTLS,
    decoder_cmd::IOCTLS,
    misc::IOCTLS,
    media::IOCTLS,
    request::IOCTLS,
    dma_buf::IOCTLS,
];

/// Every ioctl in the catalogue.
pub fn all() -> impl Iterator<Item = &'static IoctlInfo> {
    FAMILIES.iter().flat_map(|f| f.iter())
}

/// The catalogue entry for `request`, if it is a known ioctl.
pub fn lookup(request: u32) -> Option<&'static IoctlInfo> {
    all().find(|i| i.request == request)
}

/// The catalogue entry with the given C name.
pub fn by_name(name: &str) -> Option<&'static IoctlInfo> {
    all().find(|i| i.name == name)
}

/// Whether `request` belongs to V4L2 (`'V'`), the media controller or requests (`'|'`), or
/// DMA-BUF (`'b'`): the filter the tracer applies to every ioctl.
pub const fn is_v4l2_or_media(request: u32) -> bool {
    uapi::ioc::is_v4l2_media_or_dma_buf(request)
}

/// The name of `request`: its C name, or `UNKNOWN(0x…)` for numbers the catalogue lacks.
pub fn name(request: u32) -> Cow<'static, str> {
    match lookup(request) {
        Some(info) => Cow::Borrowed(info.name),
        None => Cow::Owned(format!("UNKNOWN({request:#010x})")),
    }
}

/// A full description of `request`: the name, or for unknown numbers `UNKNOWN(0x…)` with its
/// direction, type, number and size split out. Never fails.
pub fn describe(request: u32) -> String {
    match lookup(request) {
        Some(info) => info.name.to_string(),
        None => format!("UNKNOWN({request:#010x}: {})", IocFields::split(request)),
    }
}

#[cfg(test)]
mod tests;
