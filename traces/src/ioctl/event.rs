//! Events: VIDIOC_SUBSCRIBE_EVENT / VIDIOC_UNSUBSCRIBE_EVENT and VIDIOC_DQEVENT (source change
//! on resolution change, end of stream, control changes).

use std::fmt;

use serde::Serialize;

use super::decode::{DecodeError, Fields};
use super::ext_ctrls::control_label;
use super::layout::{v4l2_event as E, v4l2_event_subscription as S};
use super::names;
use super::raw::Raw;
use super::{ArgType, Family, IoctlInfo};

pub use uapi::VIDIOC_DQEVENT;
pub use uapi::VIDIOC_SUBSCRIBE_EVENT;
pub use uapi::VIDIOC_UNSUBSCRIBE_EVENT;

pub(super) const IOCTLS: &[IoctlInfo] = &[
    IoctlInfo::new(
        "VIDIOC_DQEVENT",
        VIDIOC_DQEVENT,
        ArgType::Event,
        Family::V4l2,
    ),
    IoctlInfo::new(
        "VIDIOC_SUBSCRIBE_EVENT",
        VIDIOC_SUBSCRIBE_EVENT,
        ArgType::EventSubscription,
        Family::V4l2,
    ),
    IoctlInfo::new(
        "VIDIOC_UNSUBSCRIBE_EVENT",
        VIDIOC_UNSUBSCRIBE_EVENT,
        ArgType::EventSubscription,
        Family::V4l2,
    ),
];

/// `struct v4l2_event_subscription`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventSubscription {
    #[serde(rename = "type")]
    pub event_type: u32,
    pub id: u32,
    pub flags: u32,
}

impl EventSubscription {
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, S::SIZE, "v4l2_event_subscription")?;
        Ok(EventSubscription {
            event_type: r.u32(S::TYPE),
            id: r.u32(S::ID),
            flags: r.u32(S::FLAGS),
        })
    }
}

fn event_label(t: u32) -> String {
    names::enum_name(names::EVENT_TYPES, t)
}

impl fmt::Display for EventSubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = Fields::new();
        w.field("type", event_label(self.event_type));
        if self.event_type == names::EVENT_CTRL {
            w.field("id", control_label(self.id));
        } else {
            w.field_if(self.id != 0, "id", self.id);
        }
        w.field_if(
            self.flags != 0,
            "flags",
            names::flags(names::EVENT_SUB_FLAGS, self.flags),
        );
        f.write_str(&w.finish())
    }
}

/// The `u` union of `struct v4l2_event`, for the types a decoder sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum EventData {
    /// V4L2_EVENT_SOURCE_CHANGE: `changes` (RESOLUTION).
    SourceChange { changes: u32 },
    /// V4L2_EVENT_CTRL.
    Ctrl {
        changes: u32,
        ctrl_type: u32,
        value64: i64,
        flags: u32,
        minimum: i32,
        maximum: i32,
        step: i32,
        default_value: i32,
    },
    /// Anything else.
    Other,
}

/// `struct v4l2_event`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub event_type: u32,
    pub data: EventData,
    pub pending: u32,
    pub sequence: u32,
    pub timestamp_sec: i64,
    pub timestamp_nsec: i64,
    pub id: u32,
}

impl Event {
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, E::SIZE, "v4l2_event")?;
        let event_type = r.u32(E::TYPE);
        let data = match event_type {
            names::EVENT_SOURCE_CHANGE => EventData::SourceChange {
                changes: r.u32(E::U_SRC_CHANGE_CHANGES),
            },
            names::EVENT_CTRL => EventData::Ctrl {
                changes: r.u32(E::U_CTRL_CHANGES),
                ctrl_type: r.u32(E::U_CTRL_TYPE),
                value64: r.i64(E::U_CTRL_VALUE),
                flags: r.u32(E::U_CTRL_FLAGS),
                minimum: r.i32(E::U_CTRL_MINIMUM),
                maximum: r.i32(E::U_CTRL_MAXIMUM),
                step: r.i32(E::U_CTRL_STEP),
                default_value: r.i32(E::U_CTRL_DEFAULT_VALUE),
            },
            _ => EventData::Other,
        };
        Ok(Event {
            event_type,
            data,
            pending: r.u32(E::PENDING),
            sequence: r.u32(E::SEQUENCE),
            timestamp_sec: r.i64(E::TIMESTAMP),
            timestamp_nsec: r.i64(E::TIMESTAMP_TV_NSEC),
            id: r.u32(E::ID),
        })
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = Fields::new();
        w.field("type", event_label(self.event_type));
        match &self.data {
            EventData::SourceChange { changes } => {
                w.field("changes", names::flags(names::EVENT_SRC_CHANGES, *changes));
            }
            EventData::Ctrl {
                changes, value64, ..
            } => {
                w.field("id", control_label(self.id))
                    .field("changes", names::flags(names::EVENT_CTRL_CHANGES, *changes))
                    .field("value", value64);
            }
            EventData::Other => {}
        }
        w.field("pending", self.pending)
            .field("sequence", self.sequence);
        f.write_str(&w.finish())
    }
}
