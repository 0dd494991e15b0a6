//! Describing V4L2 and media devices for the trace: vatrace opens each node itself (never inside
//! the traced process) and asks VIDIOC_QUERYCAP, VIDIOC_ENUM_FMT and MEDIA_IOC_DEVICE_INFO.

use std::{
    fs::{File, OpenOptions},
    os::{
        fd::AsRawFd,
        unix::fs::{MetadataExt, OpenOptionsExt},
    },
    path::Path,
};

use traces::record::{DeviceInfo, DeviceKind, FormatDesc, MediaInfo, QueueFormats};

use traces::ioctl::names::{
    BUF_TYPE_VIDEO_CAPTURE, BUF_TYPE_VIDEO_CAPTURE_MPLANE, BUF_TYPE_VIDEO_OUTPUT,
    BUF_TYPE_VIDEO_OUTPUT_MPLANE,
};
use traces::uapi::{MEDIA_IOC_DEVICE_INFO, VIDIOC_ENUM_FMT, VIDIOC_QUERYCAP};

/// Buffer types whose formats we list: CAPTURE, OUTPUT, CAPTURE_MPLANE, OUTPUT_MPLANE.
const BUF_TYPES: [u32; 4] = [
    BUF_TYPE_VIDEO_CAPTURE,
    BUF_TYPE_VIDEO_OUTPUT,
    BUF_TYPE_VIDEO_CAPTURE_MPLANE,
    BUF_TYPE_VIDEO_OUTPUT_MPLANE,
];

#[repr(C)]
struct Capability {
    driver: [u8; 16],
    card: [u8; 32],
    bus_info: [u8; 32],
    version: u32,
    capabilities: u32,
    device_caps: u32,
    reserved: [u32; 3],
}

#[repr(C)]
struct FmtDesc {
    index: u32,
    buf_type: u32,
    flags: u32,
    description: [u8; 32],
    pixelformat: u32,
    mbus_code: u32,
    reserved: [u32; 3],
}

#[repr(C)]
struct MediaDeviceInfo {
    driver: [u8; 16],
    model: [u8; 32],
    serial: [u8; 40],
    bus_info: [u8; 32],
    media_version: u32,
    hw_revision: u32,
    driver_version: u32,
    reserved: [u32; 31],
}

const _: () = assert!(std::mem::size_of::<Capability>() == 104);
const _: () = assert!(std::mem::size_of::<FmtDesc>() == 64);
const _: () = assert!(std::mem::size_of::<MediaDeviceInfo>() == 256);

fn cstr(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// `ioctl(fd, request, arg)` on vatrace's own descriptor; true on success.
fn ioctl<T>(file: &File, request: u32, arg: &mut T) -> bool {
    // SAFETY: `arg` is a live, exclusively borrowed `repr(C)` struct of exactly the size encoded
    // in `request` (checked by the const asserts above), on an fd we own.
    unsafe { libc::ioctl(file.as_raw_fd(), request as _, arg as *mut T) == 0 }
}

/// Whether `path` names a V4L2 or media node by its name.
pub fn kind_of_path(path: &str) -> Option<DeviceKind> {
    let name = path.strip_prefix("/dev/")?;
    if name.starts_with("video") || name.starts_with("v4l-subdev") {
        Some(DeviceKind::Video)
    } else if name.starts_with("media") {
        Some(DeviceKind::Media)
    } else {
        None
    }
}

/// Queries the node at `path`; None if it cannot be opened or is not a V4L2/media device.
pub fn describe(path: &str) -> Option<DeviceInfo> {
    let kind = kind_of_path(path)?;
    let file = OpenOptions::new()
        .read(true)
        .write(kind == DeviceKind::Video)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .or_else(|_| {
            OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(path)
        })
        .ok()?;
    let rdev = file.metadata().ok().map(|m| m.rdev());
    let mut info = DeviceInfo {
        path: path.to_string(),
        kind,
        rdev,
        driver: String::new(),
        card: String::new(),
        bus_info: String::new(),
        version: 0,
        capabilities: 0,
        device_caps: 0,
        formats: Vec::new(),
        media: None,
    };
    match kind {
        DeviceKind::Video => {
            // SAFETY: all-zero is a valid value of this plain integer struct.
            let mut cap: Capability = unsafe { std::mem::zeroed() };
            if !ioctl(&file, VIDIOC_QUERYCAP, &mut cap) {
                return None;
            }
            info.driver = cstr(&cap.driver);
            info.card = cstr(&cap.card);
            info.bus_info = cstr(&cap.bus_info);
            info.version = cap.version;
            info.capabilities = cap.capabilities;
            info.device_caps = cap.device_caps;
            for buf_type in BUF_TYPES {
                let mut formats = Vec::new();
                for index in 0..64 {
                    // SAFETY: all-zero is a valid value of this plain integer struct.
                    let mut d: FmtDesc = unsafe { std::mem::zeroed() };
                    d.index = index;
                    d.buf_type = buf_type;
                    if !ioctl(&file, VIDIOC_ENUM_FMT, &mut d) {
                        break;
                    }
                    formats.push(FormatDesc {
                        fourcc: d.pixelformat,
                        description: cstr(&d.description),
                        flags: d.flags,
                    });
                }
                if !formats.is_empty() {
                    info.formats.push(QueueFormats { buf_type, formats });
                }
            }
        }
        DeviceKind::Media => {
            // SAFETY: all-zero is a valid value of this plain integer struct.
            let mut d: MediaDeviceInfo = unsafe { std::mem::zeroed() };
            if !ioctl(&file, MEDIA_IOC_DEVICE_INFO, &mut d) {
                return None;
            }
            info.driver = cstr(&d.driver);
            info.card = cstr(&d.model);
            info.bus_info = cstr(&d.bus_info);
            info.media = Some(MediaInfo {
                driver: cstr(&d.driver),
                model: cstr(&d.model),
                serial: cstr(&d.serial),
                bus_info: cstr(&d.bus_info),
                media_version: d.media_version,
                hw_revision: d.hw_revision,
                driver_version: d.driver_version,
            });
        }
        DeviceKind::Other => return None,
    }
    Some(info)
}

/// Every V4L2/media node present now, described.
pub fn scan() -> Vec<DeviceInfo> {
    let mut paths: Vec<String> = std::fs::read_dir(Path::new("/dev"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| format!("/dev/{}", e.file_name().to_string_lossy()))
                .filter(|p| kind_of_path(p).is_some())
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    paths.iter().filter_map(|p| describe(p)).collect()
}

/// The media graph of the media node at `path` (MEDIA_IOC_G_TOPOLOGY: once for the counts, once
/// for the arrays), decoded by `traces`; None if the node cannot be opened or asked.
pub fn topology(path: &str) -> Option<traces::ioctl::media::Topology> {
    use traces::{
        ioctl::{
            layout::{
                media_v2_entity as VE, media_v2_interface as VI, media_v2_link as VL,
                media_v2_pad as VP, media_v2_topology as T,
            },
            media::{Topology, MEDIA_IOC_G_TOPOLOGY},
            Side,
        },
        record::{Payload, PayloadKind},
    };
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .ok()?;
    let mut topo = [0u64; T::SIZE / 8];
    if !ioctl(&file, MEDIA_IOC_G_TOPOLOGY, &mut topo) {
        return None;
    }
    let count = |t: &[u64; T::SIZE / 8], off: usize| t[off / 8] as u32 as usize;
    // The graph can grow between the two calls; room for a few more elements of each kind.
    let arrays: [(usize, usize, usize, PayloadKind); 4] = [
        (
            T::NUM_ENTITIES,
            T::PTR_ENTITIES,
            VE::SIZE,
            PayloadKind::TopologyEntities,
        ),
        (
            T::NUM_INTERFACES,
            T::PTR_INTERFACES,
            VI::SIZE,
            PayloadKind::TopologyInterfaces,
        ),
        (
            T::NUM_PADS,
            T::PTR_PADS,
            VP::SIZE,
            PayloadKind::TopologyPads,
        ),
        (
            T::NUM_LINKS,
            T::PTR_LINKS,
            VL::SIZE,
            PayloadKind::TopologyLinks,
        ),
    ];
    let mut bufs: Vec<Vec<u64>> = arrays
        .iter()
        .map(|&(num, _, size, _)| vec![0u64; (count(&topo, num) + 8) * size / 8])
        .collect();
    for (&(num, ptr, size, _), buf) in arrays.iter().zip(&mut bufs) {
        topo[num / 8] = (buf.len() * 8 / size) as u64;
        topo[ptr / 8] = buf.as_mut_ptr() as u64;
    }
    if !ioctl(&file, MEDIA_IOC_G_TOPOLOGY, &mut topo) {
        return None;
    }
    let bytes = |words: &[u64]| -> Vec<u8> { words.iter().flat_map(|w| w.to_ne_bytes()).collect() };
    let payloads: Vec<Payload> = arrays
        .iter()
        .zip(&bufs)
        .map(|((_, ptr, _, kind), buf)| Payload {
            kind: kind.clone(),
            addr: topo[ptr / 8],
            before: Vec::new(),
            after: bytes(buf),
        })
        .collect();
    Topology::decode(&bytes(&topo), &payloads, Side::After).ok()
}

/// Whether the video node at `path` has a queue of type `buf_type` that takes requests (what
/// makes a decoder stateless): VIDIOC_REQBUFS with count 0 frees nothing and reports the queue's
/// capabilities, among them `V4L2_BUF_CAP_SUPPORTS_REQUESTS`.
pub fn queue_takes_requests(path: &str, buf_type: u32) -> bool {
    use traces::ioctl::{layout::v4l2_requestbuffers as L, reqbufs::VIDIOC_REQBUFS};
    use traces::uapi::{V4L2_BUF_CAP_SUPPORTS_REQUESTS, V4L2_MEMORY_MMAP};
    let Ok(file) = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
    else {
        return false;
    };
    let mut req = [0u32; L::SIZE / 4];
    req[L::TYPE / 4] = buf_type;
    req[L::MEMORY / 4] = V4L2_MEMORY_MMAP;
    ioctl(&file, VIDIOC_REQBUFS, &mut req)
        && req[L::CAPABILITIES / 4] & V4L2_BUF_CAP_SUPPORTS_REQUESTS != 0
}
