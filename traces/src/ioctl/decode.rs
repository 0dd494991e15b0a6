//! From raw captured bytes to typed values: [`decode`] turns one argument struct into an [`Arg`],
//! [`decode_ioctl`] a whole [`Ioctl`] record (argument before and after, with its nested payloads
//! such as plane arrays, control arrays and topology arrays folded in).

use std::fmt;

use serde::Serialize;

use super::{
    create_bufs, decoder_cmd, dma_buf, event, expbuf, ext_ctrls, fmt as vfmt, lookup, media, misc,
    names, qbuf, querycap, queryctrl, reqbufs, ArgType, IoctlInfo,
};
use crate::record::{Ioctl, Payload, PayloadKind};

/// Why an argument could not be decoded. Decoding never panics; it gives one of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub enum DecodeError {
    /// Fewer bytes were captured than the struct needs.
    #[error("{what}: {got} of {need} bytes captured")]
    Short {
        what: &'static str,
        need: usize,
        got: usize,
    },
    /// Nothing was captured for this side of the call.
    #[error("not captured")]
    Missing,
}

/// A decoded argument struct.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Arg {
    /// No argument.
    None,
    /// An `int`.
    Int(i32),
    /// A `__u32`.
    U32(u32),
    /// A `__u64`.
    U64(u64),
    /// An `int` holding an `enum v4l2_buf_type` (STREAMON/STREAMOFF).
    BufType(u32),
    Capability(querycap::Capability),
    FmtDesc(vfmt::FmtDesc),
    Format(vfmt::Format),
    FrmSizeEnum(vfmt::FrmSizeEnum),
    RequestBuffers(reqbufs::RequestBuffers),
    Buffer(qbuf::Buffer),
    ExportBuffer(expbuf::ExportBuffer),
    Control(ext_ctrls::Control),
    ExtControls(ext_ctrls::ExtControls),
    QueryCtrl(queryctrl::QueryCtrl),
    QueryMenu(queryctrl::QueryMenu),
    EventSubscription(event::EventSubscription),
    Event(event::Event),
    CreateBuffers(create_bufs::CreateBuffers),
    RemoveBuffers(create_bufs::RemoveBuffers),
    DecoderCmd(decoder_cmd::DecoderCmd),
    Selection(misc::Selection),
    MediaDeviceInfo(media::DeviceInfo),
    MediaEntityDesc(media::EntityDesc),
    MediaTopology(media::Topology),
    DmaBufSync(dma_buf::Sync),
    DmaBufSyncFile(dma_buf::SyncFile),
    /// A known ioctl whose argument this crate does not decode, or an unknown ioctl.
    Opaque {
        len: usize,
    },
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::None => Ok(()),
            Arg::Int(v) => write!(f, "[{v}]"),
            Arg::U32(v) => write!(f, "[{v}]"),
            Arg::U64(v) => write!(f, "[{v}]"),
            Arg::BufType(t) => write!(f, "[{}]", names::enum_name(names::BUF_TYPES, *t)),
            Arg::Capability(v) => v.fmt(f),
            Arg::FmtDesc(v) => v.fmt(f),
            Arg::Format(v) => v.fmt(f),
            Arg::FrmSizeEnum(v) => v.fmt(f),
            Arg::RequestBuffers(v) => v.fmt(f),
            Arg::Buffer(v) => v.fmt(f),
            Arg::ExportBuffer(v) => v.fmt(f),
            Arg::Control(v) => v.fmt(f),
            Arg::ExtControls(v) => v.fmt(f),
            Arg::QueryCtrl(v) => v.fmt(f),
            Arg::QueryMenu(v) => v.fmt(f),
            Arg::EventSubscription(v) => v.fmt(f),
            Arg::Event(v) => v.fmt(f),
            Arg::CreateBuffers(v) => v.fmt(f),
            Arg::RemoveBuffers(v) => v.fmt(f),
            Arg::DecoderCmd(v) => v.fmt(f),
            Arg::Selection(v) => v.fmt(f),
            Arg::MediaDeviceInfo(v) => v.fmt(f),
            Arg::MediaEntityDesc(v) => v.fmt(f),
            Arg::MediaTopology(v) => v.fmt(f),
            Arg::DmaBufSync(v) => v.fmt(f),
            Arg::DmaBufSyncFile(v) => v.fmt(f),
            Arg::Opaque { len } => write!(f, "<{len} bytes>"),
        }
    }
}

/// Decodes the argument struct of `request` from `bytes` (no nested payloads; see
/// [`decode_with_payloads`]). Unknown requests decode as [`Arg::Opaque`].
pub fn decode(request: u32, bytes: &[u8]) -> Result<Arg, DecodeError> {
    decode_with_payloads(request, bytes, &[], Side::After)
}

/// Which side of a call is being decoded: picks `before` or `after` bytes of payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Side {
    Before,
    After,
}

/// The bytes of the payload of `kind` for `side`, falling back to the other side.
pub(crate) fn payload_bytes<'a>(
    payloads: &'a [Payload],
    kind: &PayloadKind,
    side: Side,
) -> Option<&'a [u8]> {
    let p = payloads.iter().find(|p| &p.kind == kind)?;
    let (first, second) = match side {
        Side::Before => (&p.before, &p.after),
        Side::After => (&p.after, &p.before),
    };
    if !first.is_empty() {
        Some(first)
    } else if !second.is_empty() {
        Some(second)
    } else {
        None
    }
}

/// Decodes the argument struct of `request` from `bytes`, folding in `payloads` (plane arrays,
/// control arrays and payloads, topology arrays) as seen on `side` of the call.
pub fn decode_with_payloads(
    request: u32,
    bytes: &[u8],
    payloads: &[Payload],
    side: Side,
) -> Result<Arg, DecodeError> {
    let Some(info) = lookup(request) else {
        return Ok(Arg::Opaque { len: bytes.len() });
    };
    decode_info(info, bytes, payloads, side)
}

fn int(bytes: &[u8]) -> Result<i32, DecodeError> {
    let raw = super::raw::Raw::new(bytes, 4, "int")?;
    Ok(raw.i32(0))
}

fn decode_info(
    info: &IoctlInfo,
    bytes: &[u8],
    payloads: &[Payload],
    side: Side,
) -> Result<Arg, DecodeError> {
    Ok(match info.arg {
        ArgType::None => Arg::None,
        ArgType::Int => Arg::Int(int(bytes)?),
        ArgType::BufType => Arg::BufType(int(bytes)? as u32),
        ArgType::U32 => Arg::U32(int(bytes)? as u32),
        ArgType::U64 => {
            let raw = super::raw::Raw::new(bytes, 8, "__u64")?;
            Arg::U64(raw.u64(0))
        }
        ArgType::Capability => Arg::Capability(querycap::Capability::decode(bytes)?),
        ArgType::FmtDesc => Arg::FmtDesc(vfmt::FmtDesc::decode(bytes)?),
        ArgType::Format => Arg::Format(vfmt::Format::decode(bytes)?),
        ArgType::FrmSizeEnum => Arg::FrmSizeEnum(vfmt::FrmSizeEnum::decode(bytes)?),
        ArgType::RequestBuffers => Arg::RequestBuffers(reqbufs::RequestBuffers::decode(bytes)?),
        ArgType::Buffer => {
            let planes = payload_bytes(payloads, &PayloadKind::Planes, side);
            Arg::Buffer(qbuf::Buffer::decode(bytes, planes)?)
        }
        ArgType::ExportBuffer => Arg::ExportBuffer(expbuf::ExportBuffer::decode(bytes)?),
        ArgType::Control => Arg::Control(ext_ctrls::Control::decode(bytes)?),
        ArgType::ExtControls => {
            Arg::ExtControls(ext_ctrls::ExtControls::decode(bytes, payloads, side)?)
        }
        ArgType::QueryCtrl => Arg::QueryCtrl(queryctrl::QueryCtrl::decode(bytes)?),
        ArgType::QueryExtCtrl => Arg::QueryCtrl(queryctrl::QueryCtrl::decode_ext(bytes)?),
        ArgType::QueryMenu => Arg::QueryMenu(queryctrl::QueryMenu::decode(bytes)?),
        ArgType::EventSubscription => {
            Arg::EventSubscription(event::EventSubscription::decode(bytes)?)
        }
        ArgType::Event => Arg::Event(event::Event::decode(bytes)?),
        ArgType::CreateBuffers => Arg::CreateBuffers(create_bufs::CreateBuffers::decode(bytes)?),
        ArgType::RemoveBuffers => Arg::RemoveBuffers(create_bufs::RemoveBuffers::decode(bytes)?),
        ArgType::DecoderCmd => Arg::DecoderCmd(decoder_cmd::DecoderCmd::decode(bytes)?),
        ArgType::Selection => Arg::Selection(misc::Selection::decode(bytes)?),
        ArgType::MediaDeviceInfo => Arg::MediaDeviceInfo(media::DeviceInfo::decode(bytes)?),
        ArgType::MediaEntityDesc => Arg::MediaEntityDesc(media::EntityDesc::decode(bytes)?),
        ArgType::MediaTopology => {
            Arg::MediaTopology(media::Topology::decode(bytes, payloads, side)?)
        }
        ArgType::DmaBufSync => Arg::DmaBufSync(dma_buf::Sync::decode(bytes)?),
        ArgType::DmaBufSyncFile => Arg::DmaBufSyncFile(dma_buf::SyncFile::decode(bytes)?),
        ArgType::EncoderCmd
        | ArgType::FrmIvalEnum
        | ArgType::StreamParm
        | ArgType::MediaLinksEnum
        | ArgType::MediaLinkDesc
        | ArgType::Opaque => Arg::Opaque { len: bytes.len() },
    })
}

/// An [`Ioctl`] record decoded: its name and both sides of its argument.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecodedIoctl {
    /// The ioctl's name, or `UNKNOWN(0x…)`.
    pub name: String,
    /// The catalogue entry, if known.
    #[serde(skip)]
    pub info: Option<&'static IoctlInfo>,
    /// The argument at entry, if captured.
    pub before: Option<Result<Arg, DecodeError>>,
    /// The argument at exit, if captured.
    pub after: Option<Result<Arg, DecodeError>>,
}

impl DecodedIoctl {
    /// The most informative side: `after` if it was captured and decoded, else `before`.
    pub fn best(&self) -> Option<&Result<Arg, DecodeError>> {
        match &self.after {
            Some(Ok(_)) => self.after.as_ref(),
            _ => self.before.as_ref().or(self.after.as_ref()),
        }
    }
}

/// Decodes both sides of an [`Ioctl`] record.
pub fn decode_ioctl(ioctl: &Ioctl) -> DecodedIoctl {
    let info = lookup(ioctl.request);
    let side = |bytes: &[u8], side: Side| -> Option<Result<Arg, DecodeError>> {
        match info {
            Some(info) if info.arg == ArgType::None => Some(Ok(Arg::None)),
            _ if bytes.is_empty() => None,
            Some(info) => Some(decode_info(info, bytes, &ioctl.payloads, side)),
            None => Some(Ok(Arg::Opaque { len: bytes.len() })),
        }
    };
    DecodedIoctl {
        name: super::name(ioctl.request).into_owned(),
        info,
        before: side(&ioctl.before, Side::Before),
        after: side(&ioctl.after, Side::After),
    }
}

/// Builds `{a=1, b=2}` strings for the Display impls.
pub(crate) struct Fields {
    out: String,
    any: bool,
}

impl Fields {
    pub(crate) fn new() -> Self {
        Fields {
            out: String::from("{"),
            any: false,
        }
    }
    pub(crate) fn field(&mut self, name: &str, value: impl fmt::Display) -> &mut Self {
        use fmt::Write;
        if self.any {
            self.out.push_str(", ");
        }
        self.any = true;
        let _ = write!(self.out, "{name}={value}");
        self
    }
    /// Adds the field only when `cond` holds.
    pub(crate) fn field_if(
        &mut self,
        cond: bool,
        name: &str,
        value: impl fmt::Display,
    ) -> &mut Self {
        if cond {
            self.field(name, value);
        }
        self
    }
    pub(crate) fn raw(&mut self, text: &str) -> &mut Self {
        if self.any {
            self.out.push_str(", ");
        }
        self.any = true;
        self.out.push_str(text);
        self
    }
    pub(crate) fn finish(&mut self) -> String {
        let mut s = std::mem::take(&mut self.out);
        s.push('}');
        s
    }
}

/// A string field printed with quotes and escapes, as strace does.
pub(crate) fn quoted(s: &str) -> String {
    format!("{s:?}")
}

/// Joins Display items as `[a, b]`.
pub(crate) fn list<T: fmt::Display>(items: &[T]) -> String {
    let parts: Vec<String> = items.iter().map(|i| i.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// A fourcc code, serialized as its four characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fourcc(pub u32);

impl Serialize for Fourcc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&names::fourcc(self.0))
    }
}

impl fmt::Display for Fourcc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&names::fourcc(self.0))
    }
}
