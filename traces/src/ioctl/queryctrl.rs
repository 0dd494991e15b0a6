//! Control discovery: VIDIOC_QUERYCTRL, VIDIOC_QUERY_EXT_CTRL and VIDIOC_QUERYMENU.

use std::fmt;

use serde::Serialize;

use super::decode::{quoted, DecodeError, Fields};
use super::ext_ctrls::control_label;
use super::layout::{v4l2_query_ext_ctrl as X, v4l2_queryctrl as Q, v4l2_querymenu as M};
use super::names;
use super::raw::Raw;
use super::{ArgType, Family, IoctlInfo};

pub use uapi::VIDIOC_QUERYCTRL;
pub use uapi::VIDIOC_QUERYMENU;
pub use uapi::VIDIOC_QUERY_EXT_CTRL;

pub(super) const IOCTLS: &[IoctlInfo] = &[
    IoctlInfo::new(
        "VIDIOC_QUERYCTRL",
        VIDIOC_QUERYCTRL,
        ArgType::QueryCtrl,
        Family::V4l2,
    ),
    IoctlInfo::new(
        "VIDIOC_QUERYMENU",
        VIDIOC_QUERYMENU,
        ArgType::QueryMenu,
        Family::V4l2,
    ),
    IoctlInfo::new(
        "VIDIOC_QUERY_EXT_CTRL",
        VIDIOC_QUERY_EXT_CTRL,
        ArgType::QueryExtCtrl,
        Family::V4l2,
    ),
];

/// `V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND`: enumeration bits OR'd into ids.
pub const ID_NEXT_FLAGS: u32 = 0xc000_0000;

/// `struct v4l2_queryctrl` or `struct v4l2_query_ext_ctrl` (the extended fields are zero/empty
/// for the former).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueryCtrl {
    /// Whether this came from VIDIOC_QUERY_EXT_CTRL.
    pub extended: bool,
    /// The id, with any NEXT_CTRL / NEXT_COMPOUND bits.
    pub id: u32,
    #[serde(rename = "type")]
    pub ctrl_type: u32,
    pub name: String,
    pub minimum: i64,
    pub maximum: i64,
    pub step: u64,
    pub default_value: i64,
    pub flags: u32,
    pub elem_size: u32,
    pub elems: u32,
    pub nr_of_dims: u32,
    pub dims: [u32; 4],
}

impl QueryCtrl {
    /// Decodes a `v4l2_queryctrl`.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, Q::SIZE, "v4l2_queryctrl")?;
        Ok(QueryCtrl {
            extended: false,
            id: r.u32(Q::ID),
            ctrl_type: r.u32(Q::TYPE),
            name: r.cstr(Q::NAME, 32),
            minimum: r.i32(Q::MINIMUM).into(),
            maximum: r.i32(Q::MAXIMUM).into(),
            step: r.i32(Q::STEP) as u32 as u64,
            default_value: r.i32(Q::DEFAULT_VALUE).into(),
            flags: r.u32(Q::FLAGS),
            elem_size: 0,
            elems: 0,
            nr_of_dims: 0,
            dims: [0; 4],
        })
    }

    /// Decodes a `v4l2_query_ext_ctrl`.
    pub fn decode_ext(bytes: &[u8]) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, X::SIZE, "v4l2_query_ext_ctrl")?;
        Ok(QueryCtrl {
            extended: true,
            id: r.u32(X::ID),
            ctrl_type: r.u32(X::TYPE),
            name: r.cstr(X::NAME, 32),
            minimum: r.i64(X::MINIMUM),
            maximum: r.i64(X::MAXIMUM),
            step: r.u64(X::STEP),
            default_value: r.i64(X::DEFAULT_VALUE),
            flags: r.u32(X::FLAGS),
            elem_size: r.u32(X::ELEM_SIZE),
            elems: r.u32(X::ELEMS),
            nr_of_dims: r.u32(X::NR_OF_DIMS),
            dims: [
                r.u32(X::DIMS),
                r.u32(X::DIMS + 4),
                r.u32(X::DIMS + 8),
                r.u32(X::DIMS + 12),
            ],
        })
    }
}

/// A control id with its enumeration bits spelled out.
fn id_label(id: u32) -> String {
    let mut s = control_label(id & !ID_NEXT_FLAGS);
    if id & ID_NEXT_FLAGS != 0 {
        s.push('|');
        s.push_str(&names::flags(names::CTRL_FLAGS, id & ID_NEXT_FLAGS));
    }
    s
}

impl fmt::Display for QueryCtrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = Fields::new();
        w.field("id", id_label(self.id))
            .field("type", names::enum_name(names::CTRL_TYPES, self.ctrl_type))
            .field("name", quoted(&self.name))
            .field("minimum", self.minimum)
            .field("maximum", self.maximum)
            .field("step", self.step)
            .field("default_value", self.default_value)
            .field("flags", names::flags(names::CTRL_FLAGS, self.flags));
        if self.extended {
            w.field("elem_size", self.elem_size)
                .field("elems", self.elems);
            if self.nr_of_dims > 0 {
                let n = (self.nr_of_dims as usize).min(4);
                w.field("dims", format!("{:?}", &self.dims[..n]));
            }
        }
        f.write_str(&w.finish())
    }
}

/// `struct v4l2_querymenu`: `name` for menus, `value` for integer menus (same bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueryMenu {
    pub id: u32,
    pub index: u32,
    pub name: String,
    pub value: i64,
}

impl QueryMenu {
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, M::SIZE, "v4l2_querymenu")?;
        Ok(QueryMenu {
            id: r.u32(M::ID),
            index: r.u32(M::INDEX),
            name: r.cstr(M::NAME, 32),
            value: r.i64(M::NAME),
        })
    }
}

impl fmt::Display for QueryMenu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = Fields::new();
        w.field("id", control_label(self.id))
            .field("index", self.index);
        if !self.name.is_empty() && self.name.chars().all(|c| !c.is_control()) {
            w.field("name", quoted(&self.name));
        } else {
            w.field("value", self.value);
        }
        f.write_str(&w.finish())
    }
}
