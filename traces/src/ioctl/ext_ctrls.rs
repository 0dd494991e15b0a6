//! Controls: VIDIOC_G/S/TRY_EXT_CTRLS (the per-frame codec parameters of stateless decoding,
//! set with `which = V4L2_CTRL_WHICH_REQUEST_VAL` into a request) and the old single-control
//! VIDIOC_G_CTRL / VIDIOC_S_CTRL. Compound payloads are decoded by [`crate::controls`].

use std::fmt;

use serde::Serialize;

use super::decode::{payload_bytes, DecodeError, Fields, Side};
use super::layout::{v4l2_control as C, v4l2_ext_control as E, v4l2_ext_controls as L};
use super::names;
use super::raw::{elements, Raw};
use super::{ArgType, Family, IoctlInfo};
use crate::controls::{self, ControlValue};
use crate::record::{Payload, PayloadKind};

pub use uapi::VIDIOC_G_CTRL;
pub use uapi::VIDIOC_G_EXT_CTRLS;
pub use uapi::VIDIOC_S_CTRL;
pub use uapi::VIDIOC_S_EXT_CTRLS;
pub use uapi::VIDIOC_TRY_EXT_CTRLS;

pub(super) const IOCTLS: &[IoctlInfo] = &[
    IoctlInfo::new(
        "VIDIOC_G_CTRL",
        VIDIOC_G_CTRL,
        ArgType::Control,
        Family::V4l2,
    ),
    IoctlInfo::new(
        "VIDIOC_S_CTRL",
        VIDIOC_S_CTRL,
        ArgType::Control,
        Family::V4l2,
    ),
    IoctlInfo::new(
        "VIDIOC_G_EXT_CTRLS",
        VIDIOC_G_EXT_CTRLS,
        ArgType::ExtControls,
        Family::V4l2,
    ),
    IoctlInfo::new(
        "VIDIOC_S_EXT_CTRLS",
        VIDIOC_S_EXT_CTRLS,
        ArgType::ExtControls,
        Family::V4l2,
    ),
    IoctlInfo::new(
        "VIDIOC_TRY_EXT_CTRLS",
        VIDIOC_TRY_EXT_CTRLS,
        ArgType::ExtControls,
        Family::V4l2,
    ),
];

/// `V4L2_CTRL_MAX_DIMS`-independent cap on controls per call (the kernel's `V4L2_CID_MAX_CTRLS`).
pub const MAX_CTRLS: u32 = 1024;

/// A control id as a name (`STATELESS_H264_SPS`) or hex.
pub fn control_label(id: u32) -> String {
    match controls::control_name(id) {
        Some(n) => n.strip_prefix("V4L2_CID_").unwrap_or(n).to_string(),
        None => format!("{id:#x}"),
    }
}

/// `struct v4l2_control`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Control {
    pub id: u32,
    pub value: i32,
}

impl Control {
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, C::SIZE, "v4l2_control")?;
        Ok(Control {
            id: r.u32(0),
            value: r.i32(4),
        })
    }
}

impl fmt::Display for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            &Fields::new()
                .field("id", control_label(self.id))
                .field("value", self.value)
                .finish(),
        )
    }
}

/// One `struct v4l2_ext_control`, with its payload when captured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtControl {
    pub id: u32,
    /// `V4L2_CID_*` name, if known.
    pub name: Option<&'static str>,
    /// Payload size for pointer controls (0 for plain values).
    pub size: u32,
    /// The `value` / `value64` union: the value of plain controls, the pointer of others.
    pub value64: i64,
    /// Bytes captured at `ptr` (pointer controls only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_len: Option<usize>,
    /// The decoded value (payload for pointer controls, `value` for plain ones), if the control
    /// catalogue knows the id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoded: Option<ControlValue>,
}

impl ExtControl {
    /// Decodes one 20-byte array element and, if given, the bytes its `ptr` points to.
    pub fn decode(bytes: &[u8], payload: Option<&[u8]>) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, E::SIZE, "v4l2_ext_control")?;
        let id = r.u32(E::ID);
        let size = r.u32(E::SIZE_);
        let value64 = r.i64(E::VALUE);
        let decoded = if size == 0 {
            controls::decode(id, r.slice(E::VALUE, 4))
        } else {
            payload.and_then(|p| controls::decode(id, p))
        };
        Ok(ExtControl {
            id,
            name: controls::control_name(id),
            size,
            value64,
            payload_len: if size == 0 {
                None
            } else {
                payload.map(<[u8]>::len)
            },
            decoded,
        })
    }

    /// The plain value (`value`, 32 bits).
    pub fn value(&self) -> i32 {
        self.value64 as i32
    }
}

impl fmt::Display for ExtControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = Fields::new();
        w.field("id", control_label(self.id));
        if self.size == 0 {
            match &self.decoded {
                Some(ControlValue::Integer(_)) | None => w.field("value", self.value()),
                Some(v) => w.field("value", v),
            };
        } else {
            w.field("size", self.size);
            match (&self.decoded, self.payload_len) {
                (Some(v), _) => {
                    w.raw(&v.to_string());
                }
                (None, Some(n)) => {
                    w.field("payload", format!("<{n} bytes>"));
                }
                (None, None) => {
                    w.field("ptr", format!("{:#x}", self.value64 as u64));
                }
            }
        }
        f.write_str(&w.finish())
    }
}

/// `struct v4l2_ext_controls`, with the control array when captured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtControls {
    pub which: u32,
    pub count: u32,
    pub error_idx: u32,
    pub request_fd: i32,
    /// Address of the control array.
    pub controls_ptr: u64,
    /// The control array, if captured (`count` entries).
    pub controls: Vec<ExtControl>,
}

impl ExtControls {
    /// Decodes the struct and folds in the control array and control payloads from `payloads`.
    pub fn decode(bytes: &[u8], payloads: &[Payload], side: Side) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, L::SIZE, "v4l2_ext_controls")?;
        let count = r.u32(L::COUNT);
        let array = payload_bytes(payloads, &PayloadKind::ExtControls, side).unwrap_or(&[]);
        let controls = elements(array, E::SIZE, count.min(MAX_CTRLS) as usize)
            .enumerate()
            .filter_map(|(i, el)| {
                let kind = PayloadKind::Control { index: i as u32 };
                ExtControl::decode(el, payload_bytes(payloads, &kind, side)).ok()
            })
            .collect();
        Ok(ExtControls {
            which: r.u32(L::WHICH),
            count,
            error_idx: r.u32(L::ERROR_IDX),
            request_fd: r.i32(L::REQUEST_FD),
            controls_ptr: r.u64(L::CONTROLS),
            controls,
        })
    }

    /// Whether the controls go into (or come from) a request.
    pub fn is_request(&self) -> bool {
        self.which == names::CTRL_WHICH_REQUEST_VAL
    }
}

/// `which` as `CUR_VAL`, `DEF_VAL`, `REQUEST_VAL` or a control class.
pub fn which_name(which: u32) -> String {
    match names::lookup(names::CTRL_WHICH, which) {
        Some(n) => n.to_string(),
        None => format!("CLASS({which:#x})"),
    }
}

impl fmt::Display for ExtControls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = Fields::new();
        w.field("which", which_name(self.which))
            .field("count", self.count);
        if self.is_request() {
            w.field("request_fd", self.request_fd);
        }
        w.field_if(self.error_idx != 0, "error_idx", self.error_idx);
        if !self.controls.is_empty() {
            let parts: Vec<String> = self.controls.iter().map(|c| c.to_string()).collect();
            w.field("controls", format!("[{}]", parts.join(", ")));
        } else if self.count != 0 {
            w.field("controls", format!("{:#x}", self.controls_ptr));
        }
        f.write_str(&w.finish())
    }
}
