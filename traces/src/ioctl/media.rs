//! The media controller node: MEDIA_IOC_DEVICE_INFO, MEDIA_IOC_G_TOPOLOGY (how a client finds
//! the decoder's video node without hard-coded paths), MEDIA_IOC_ENUM_ENTITIES, ENUM_LINKS,
//! SETUP_LINK, and MEDIA_IOC_REQUEST_ALLOC, which creates request fds.

use std::fmt;

use serde::Serialize;

use super::decode::{payload_bytes, quoted, DecodeError, Fields, Side};
use super::layout::{
    media_device_info as DI, media_entity_desc as ED, media_v2_entity as VE,
    media_v2_interface as VI, media_v2_link as VL, media_v2_pad as VP, media_v2_topology as T,
};
use super::names;
use super::raw::{elements, Raw};
use super::{ArgType, Family, IoctlInfo};
use crate::record::{MediaInfo, Payload, PayloadKind};

pub use uapi::MEDIA_IOC_DEVICE_INFO;
pub use uapi::MEDIA_IOC_ENUM_ENTITIES;
pub use uapi::MEDIA_IOC_ENUM_LINKS;
pub use uapi::MEDIA_IOC_G_TOPOLOGY;
pub use uapi::MEDIA_IOC_REQUEST_ALLOC;
pub use uapi::MEDIA_IOC_SETUP_LINK;

pub(super) const IOCTLS: &[IoctlInfo] = &[
    IoctlInfo::new(
        "MEDIA_IOC_DEVICE_INFO",
        MEDIA_IOC_DEVICE_INFO,
        ArgType::MediaDeviceInfo,
        Family::Media,
    ),
    IoctlInfo::new(
        "MEDIA_IOC_ENUM_ENTITIES",
        MEDIA_IOC_ENUM_ENTITIES,
        ArgType::MediaEntityDesc,
        Family::Media,
    ),
    IoctlInfo::new(
        "MEDIA_IOC_ENUM_LINKS",
        MEDIA_IOC_ENUM_LINKS,
        ArgType::MediaLinksEnum,
        Family::Media,
    ),
    IoctlInfo::new(
        "MEDIA_IOC_SETUP_LINK",
        MEDIA_IOC_SETUP_LINK,
        ArgType::MediaLinkDesc,
        Family::Media,
    ),
    IoctlInfo::new(
        "MEDIA_IOC_G_TOPOLOGY",
        MEDIA_IOC_G_TOPOLOGY,
        ArgType::MediaTopology,
        Family::Media,
    ),
    IoctlInfo::new(
        "MEDIA_IOC_REQUEST_ALLOC",
        MEDIA_IOC_REQUEST_ALLOC,
        ArgType::Int,
        Family::Media,
    ),
];

/// Most topology elements decoded per array (hostile counts are clamped to this).
pub const MAX_TOPOLOGY_ELEMENTS: u32 = 4096;

/// `struct media_device_info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceInfo {
    pub driver: String,
    pub model: String,
    pub serial: String,
    pub bus_info: String,
    pub media_version: u32,
    pub hw_revision: u32,
    pub driver_version: u32,
}

impl DeviceInfo {
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, DI::SIZE, "media_device_info")?;
        Ok(DeviceInfo {
            driver: r.cstr(DI::DRIVER, 16),
            model: r.cstr(DI::MODEL, 32),
            serial: r.cstr(DI::SERIAL, 40),
            bus_info: r.cstr(DI::BUS_INFO, 32),
            media_version: r.u32(DI::MEDIA_VERSION),
            hw_revision: r.u32(DI::HW_REVISION),
            driver_version: r.u32(DI::DRIVER_VERSION),
        })
    }
}

impl From<DeviceInfo> for MediaInfo {
    fn from(d: DeviceInfo) -> MediaInfo {
        MediaInfo {
            driver: d.driver,
            model: d.model,
            serial: d.serial,
            bus_info: d.bus_info,
            media_version: d.media_version,
            hw_revision: d.hw_revision,
            driver_version: d.driver_version,
        }
    }
}

impl fmt::Display for DeviceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            &Fields::new()
                .field("driver", quoted(&self.driver))
                .field("model", quoted(&self.model))
                .field_if(!self.serial.is_empty(), "serial", quoted(&self.serial))
                .field("bus_info", quoted(&self.bus_info))
                .field(
                    "media_version",
                    super::querycap::kernel_version(self.media_version),
                )
                .field_if(
                    self.hw_revision != 0,
                    "hw_revision",
                    format!("{:#x}", self.hw_revision),
                )
                .field(
                    "driver_version",
                    super::querycap::kernel_version(self.driver_version),
                )
                .finish(),
        )
    }
}

/// `struct media_entity_desc` (MEDIA_IOC_ENUM_ENTITIES).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntityDesc {
    pub id: u32,
    pub name: String,
    #[serde(rename = "type")]
    pub entity_type: u32,
    pub flags: u32,
    pub pads: u16,
    pub links: u16,
    pub major: u32,
    pub minor: u32,
}

impl EntityDesc {
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, ED::SIZE, "media_entity_desc")?;
        Ok(EntityDesc {
            id: r.u32(0),
            name: r.cstr(4, 32),
            entity_type: r.u32(ED::TYPE),
            flags: r.u32(ED::FLAGS),
            pads: r.u16(ED::PADS),
            links: r.u16(ED::LINKS),
            major: r.u32(ED::DEV),
            minor: r.u32(ED::DEV + 4),
        })
    }
}

impl fmt::Display for EntityDesc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            &Fields::new()
                .field("id", format!("{:#x}", self.id))
                .field("name", quoted(&self.name))
                .field(
                    "type",
                    names::enum_name(names::MEDIA_ENT_FUNCTIONS, self.entity_type),
                )
                .field_if(
                    self.flags != 0,
                    "flags",
                    names::flags(names::MEDIA_ENT_FLAGS, self.flags),
                )
                .field("pads", self.pads)
                .field("links", self.links)
                .field_if(
                    self.major != 0 || self.minor != 0,
                    "dev",
                    format!("{}:{}", self.major, self.minor),
                )
                .finish(),
        )
    }
}

/// `struct media_v2_entity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entity {
    pub id: u32,
    pub name: String,
    pub function: u32,
    pub flags: u32,
}

/// `struct media_v2_interface` (devnode interfaces: major and minor of the device node).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interface {
    pub id: u32,
    pub intf_type: u32,
    pub flags: u32,
    pub major: u32,
    pub minor: u32,
}

/// `struct media_v2_pad`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pad {
    pub id: u32,
    pub entity_id: u32,
    pub flags: u32,
    pub index: u32,
}

/// `struct media_v2_link`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub id: u32,
    pub source_id: u32,
    pub sink_id: u32,
    pub flags: u32,
}

/// `struct media_v2_topology`, with the four arrays when captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Topology {
    pub topology_version: u64,
    pub num_entities: u32,
    pub num_interfaces: u32,
    pub num_pads: u32,
    pub num_links: u32,
    pub ptr_entities: u64,
    pub ptr_interfaces: u64,
    pub ptr_pads: u64,
    pub ptr_links: u64,
    pub entities: Vec<Entity>,
    pub interfaces: Vec<Interface>,
    pub pads: Vec<Pad>,
    pub links: Vec<Link>,
}

fn array<'a>(
    payloads: &'a [Payload],
    kind: PayloadKind,
    side: Side,
    size: usize,
    count: u32,
) -> impl Iterator<Item = Raw<'a>> {
    let bytes = payload_bytes(payloads, &kind, side).unwrap_or(&[]);
    elements(bytes, size, count.min(MAX_TOPOLOGY_ELEMENTS) as usize)
        .filter_map(move |b| Raw::new(b, size, "").ok())
}

impl Topology {
    /// Decodes the struct and folds in the four arrays from `payloads`.
    pub fn decode(bytes: &[u8], payloads: &[Payload], side: Side) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, T::SIZE, "media_v2_topology")?;
        let (ne, ni, np, nl) = (
            r.u32(T::NUM_ENTITIES),
            r.u32(T::NUM_INTERFACES),
            r.u32(T::NUM_PADS),
            r.u32(T::NUM_LINKS),
        );
        Ok(Topology {
            topology_version: r.u64(T::TOPOLOGY_VERSION),
            num_entities: ne,
            num_interfaces: ni,
            num_pads: np,
            num_links: nl,
            ptr_entities: r.u64(T::PTR_ENTITIES),
            ptr_interfaces: r.u64(T::PTR_INTERFACES),
            ptr_pads: r.u64(T::PTR_PADS),
            ptr_links: r.u64(T::PTR_LINKS),
            entities: array(payloads, PayloadKind::TopologyEntities, side, VE::SIZE, ne)
                .map(|e| Entity {
                    id: e.u32(VE::ID),
                    name: e.cstr(VE::NAME, 64),
                    function: e.u32(VE::FUNCTION),
                    flags: e.u32(VE::FLAGS),
                })
                .collect(),
            interfaces: array(
                payloads,
                PayloadKind::TopologyInterfaces,
                side,
                VI::SIZE,
                ni,
            )
            .map(|i| Interface {
                id: i.u32(VI::ID),
                intf_type: i.u32(VI::INTF_TYPE),
                flags: i.u32(VI::FLAGS),
                major: i.u32(VI::DEVNODE),
                minor: i.u32(VI::DEVNODE + 4),
            })
            .collect(),
            pads: array(payloads, PayloadKind::TopologyPads, side, VP::SIZE, np)
                .map(|p| Pad {
                    id: p.u32(VP::ID),
                    entity_id: p.u32(VP::ENTITY_ID),
                    flags: p.u32(VP::FLAGS),
                    index: p.u32(VP::INDEX),
                })
                .collect(),
            links: array(payloads, PayloadKind::TopologyLinks, side, VL::SIZE, nl)
                .map(|l| Link {
                    id: l.u32(VL::ID),
                    source_id: l.u32(VL::SOURCE_ID),
                    sink_id: l.u32(VL::SINK_ID),
                    flags: l.u32(VL::FLAGS),
                })
                .collect(),
        })
    }

    /// The decoder entities (`MEDIA_ENT_F_PROC_VIDEO_DECODER`).
    pub fn decoders(&self) -> impl Iterator<Item = &Entity> {
        self.entities
            .iter()
            .filter(|e| e.function == names::MEDIA_ENT_F_PROC_VIDEO_DECODER)
    }

    /// `(major, minor)` of every V4L video-node interface.
    pub fn video_nodes(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.interfaces
            .iter()
            .filter(|i| i.intf_type == names::MEDIA_INTF_T_V4L_VIDEO)
            .map(|i| (i.major, i.minor))
    }
}

impl fmt::Display for Topology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = Fields::new();
        w.field("topology_version", self.topology_version);
        let ents: Vec<String> = self
            .entities
            .iter()
            .map(|e| {
                format!(
                    "{{id={}, name={}, function={}}}",
                    e.id,
                    quoted(&e.name),
                    names::enum_name(names::MEDIA_ENT_FUNCTIONS, e.function)
                )
            })
            .collect();
        let intfs: Vec<String> = self
            .interfaces
            .iter()
            .map(|i| {
                format!(
                    "{{id={}, type={}, devnode={}:{}}}",
                    i.id,
                    names::enum_name(names::MEDIA_INTF_TYPES, i.intf_type),
                    i.major,
                    i.minor
                )
            })
            .collect();
        for (name, n, ptr, items) in [
            ("entities", self.num_entities, self.ptr_entities, ents),
            (
                "interfaces",
                self.num_interfaces,
                self.ptr_interfaces,
                intfs,
            ),
        ] {
            if !items.is_empty() {
                w.field(name, format!("[{}]", items.join(", ")));
            } else {
                w.field(&format!("num_{name}"), n);
                w.field_if(ptr != 0, &format!("ptr_{name}"), format!("{ptr:#x}"));
            }
        }
        w.field("num_pads", self.num_pads)
            .field("num_links", self.num_links);
        f.write_str(&w.finish())
    }
}
