//! VIDIOC_QUERYCAP: what a video node is (driver, card, bus) and can do (capabilities).

use std::fmt;

use serde::Serialize;

use super::decode::{quoted, DecodeError, Fields};
use super::layout::v4l2_capability as L;
use super::names;
use super::raw::Raw;
use super::{ArgType, Family, IoctlInfo};

pub use uapi::VIDIOC_QUERYCAP;

pub(super) const IOCTLS: &[IoctlInfo] = &[IoctlInfo::new(
    "VIDIOC_QUERYCAP",
    VIDIOC_QUERYCAP,
    ArgType::Capability,
    Family::V4l2,
)];

/// `struct v4l2_capability`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capability {
    pub driver: String,
    pub card: String,
    pub bus_info: String,
    pub version: u32,
    pub capabilities: u32,
    pub device_caps: u32,
}

impl Capability {
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, L::SIZE, "v4l2_capability")?;
        Ok(Capability {
            driver: r.cstr(L::DRIVER, 16),
            card: r.cstr(L::CARD, 32),
            bus_info: r.cstr(L::BUS_INFO, 32),
            version: r.u32(L::VERSION),
            capabilities: r.u32(L::CAPABILITIES),
            device_caps: r.u32(L::DEVICE_CAPS),
        })
    }
}

/// `KERNEL_VERSION`-encoded number as `a.b.c`.
pub fn kernel_version(v: u32) -> String {
    format!("{}.{}.{}", v >> 16, (v >> 8) & 0xff, v & 0xff)
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            &Fields::new()
                .field("driver", quoted(&self.driver))
                .field("card", quoted(&self.card))
                .field("bus_info", quoted(&self.bus_info))
                .field("version", kernel_version(self.version))
                .field("capabilities", names::flags(names::CAPS, self.capabilities))
                .field("device_caps", names::flags(names::CAPS, self.device_caps))
                .finish(),
        )
    }
}
