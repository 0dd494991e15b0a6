//! Typed V4L2 and media-request calls for the synthetic clients (`probe-ebusy`, `request-leak`):
//! multi-planar formats, buffers, streaming, extended controls and requests, on top of
//! [`crate::sys`] and v4l2r's bindgen structs (generated from the 6.12 uapi headers).
//!
//! The replay engine does not use this module: it re-issues recorded argument bytes.

use std::fs;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use v4l2r::bindings as b;

use crate::sys::{self, Errno};

pub use v4l2r::bindings;

const fn ioc(dir: u32, ty: u8, nr: u8, size: usize) -> u32 {
    (dir << 30) | (((size as u32) & 0x3fff) << 16) | ((ty as u32) << 8) | nr as u32
}
const fn iowr<T>(ty: u8, nr: u8) -> u32 {
    ioc(3, ty, nr, std::mem::size_of::<T>())
}

/// Request numbers the clients issue (LP64).
pub mod nr {
    use super::*;
    pub const VIDIOC_QUERYCAP: u32 = ioc(2, b'V', 0, std::mem::size_of::<b::v4l2_capability>());
    pub const VIDIOC_G_FMT: u32 = iowr::<b::v4l2_format>(b'V', 4);
    pub const VIDIOC_S_FMT: u32 = iowr::<b::v4l2_format>(b'V', 5);
    pub const VIDIOC_REQBUFS: u32 = iowr::<b::v4l2_requestbuffers>(b'V', 8);
    pub const VIDIOC_QUERYBUF: u32 = iowr::<b::v4l2_buffer>(b'V', 9);
    pub const VIDIOC_QBUF: u32 = iowr::<b::v4l2_buffer>(b'V', 15);
    pub const VIDIOC_DQBUF: u32 = iowr::<b::v4l2_buffer>(b'V', 17);
    pub const VIDIOC_STREAMON: u32 = ioc(1, b'V', 18, 4);
    pub const VIDIOC_STREAMOFF: u32 = ioc(1, b'V', 19, 4);
    pub const VIDIOC_S_EXT_CTRLS: u32 = iowr::<b::v4l2_ext_controls>(b'V', 72);
    /// `struct media_device_info` is 256 bytes.
    pub const MEDIA_IOC_DEVICE_INFO: u32 = ioc(3, b'|', 0x00, 256);
    pub const MEDIA_IOC_REQUEST_ALLOC: u32 = ioc(2, b'|', 0x05, 4);
    pub const MEDIA_REQUEST_IOC_QUEUE: u32 = ioc(0, b'|', 0x80, 0);
    pub const MEDIA_REQUEST_IOC_REINIT: u32 = ioc(0, b'|', 0x81, 0);
}

/// `V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE`.
pub const OUTPUT_MPLANE: u32 = b::v4l2_buf_type_V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
/// `V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE`.
pub const CAPTURE_MPLANE: u32 = b::v4l2_buf_type_V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
/// `V4L2_MEMORY_MMAP`.
pub const MEMORY_MMAP: u32 = b::v4l2_memory_V4L2_MEMORY_MMAP;

/// A fourcc code from its four characters.
pub const fn fourcc(c: &[u8; 4]) -> u32 {
    (c[0] as u32) | ((c[1] as u32) << 8) | ((c[2] as u32) << 16) | ((c[3] as u32) << 24)
}

/// Annotates an errno with the call that returned it.
#[derive(Debug, thiserror::Error)]
#[error("{call}: {errno}")]
pub struct CallError {
    /// What was called, e.g. `VIDIOC_REQBUFS(CAPTURE, 0)`.
    pub call: String,
    /// What the kernel answered.
    pub errno: Errno,
}

/// Result of a client call.
pub type CallResult<T> = Result<T, CallError>;

fn call<T>(what: impl FnOnce() -> String, r: Result<T, Errno>) -> CallResult<T> {
    r.map_err(|errno| CallError { call: what(), errno })
}

fn queue_name(ty: u32) -> &'static str {
    match ty {
        OUTPUT_MPLANE => "OUTPUT",
        CAPTURE_MPLANE => "CAPTURE",
        _ => "?",
    }
}

/// A V4L2 video node opened by a client.
#[derive(Debug)]
pub struct VideoDevice {
    fd: OwnedFd,
    /// Its path.
    pub path: PathBuf,
}

impl AsRawFd for VideoDevice {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// One plane as QUERYBUF described it.
#[derive(Debug, Clone, Copy)]
pub struct PlaneInfo {
    /// `length`.
    pub length: u32,
    /// `m.mem_offset`.
    pub mem_offset: u32,
}

/// What DQBUF returned.
#[derive(Debug, Clone, Copy)]
pub struct Dequeued {
    pub index: u32,
    pub flags: u32,
    pub sequence: u32,
    pub bytesused: u32,
    pub timestamp_us: u64,
}

impl VideoDevice {
    /// Opens `path`.
    pub fn open(path: &Path) -> CallResult<Self> {
        let fd = call(|| format!("open({})", path.display()), sys::open_device(path))?;
        Ok(VideoDevice { fd, path: path.to_path_buf() })
    }

    fn raw(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// `VIDIOC_QUERYCAP`: (driver, device_caps).
    pub fn querycap(&self) -> CallResult<(String, u32)> {
        let mut cap = b::v4l2_capability::default();
        // SAFETY: v4l2_capability is QUERYCAP's argument and holds no pointers.
        call(|| "VIDIOC_QUERYCAP".into(), unsafe { sys::ioctl_typed(self.raw(), nr::VIDIOC_QUERYCAP, &mut cap) })?;
        Ok((cstr(&cap.driver), cap.device_caps))
    }

    /// `VIDIOC_S_FMT` of a single-plane multi-planar format; returns (width, height, sizeimage).
    pub fn s_fmt(&self, ty: u32, fourcc: u32, width: u32, height: u32, sizeimage: u32) -> CallResult<(u32, u32, u32)> {
        let mut f = b::v4l2_format { type_: ty, ..Default::default() };
        // SAFETY: writing the `pix_mp` member of a zeroed union; all its fields are integers.
        let pix = unsafe { &mut f.fmt.pix_mp };
        pix.width = width;
        pix.height = height;
        pix.pixelformat = fourcc;
        pix.num_planes = 1;
        pix.plane_fmt[0].sizeimage = sizeimage;
        // SAFETY: v4l2_format is S_FMT's argument and holds no pointers.
        call(
            || format!("VIDIOC_S_FMT({}, {width}x{height})", queue_name(ty)),
            unsafe { sys::ioctl_typed(self.raw(), nr::VIDIOC_S_FMT, &mut f) },
        )?;
        // SAFETY: the kernel filled `pix_mp` for a multi-planar type.
        let pix = unsafe { f.fmt.pix_mp };
        Ok((pix.width, pix.height, pix.plane_fmt[0].sizeimage))
    }

    /// `VIDIOC_REQBUFS` (MMAP); returns the count granted.
    pub fn reqbufs(&self, ty: u32, count: u32) -> CallResult<u32> {
        let mut r = b::v4l2_requestbuffers { count, type_: ty, memory: MEMORY_MMAP, ..Default::default() };
        // SAFETY: v4l2_requestbuffers holds no pointers.
        call(
            || format!("VIDIOC_REQBUFS({}, {count})", queue_name(ty)),
            unsafe { sys::ioctl_typed(self.raw(), nr::VIDIOC_REQBUFS, &mut r) },
        )?;
        Ok(r.count)
    }

    /// `VIDIOC_QUERYBUF` of a one-plane buffer.
    pub fn querybuf(&self, ty: u32, index: u32) -> CallResult<PlaneInfo> {
        let mut planes = [b::v4l2_plane::default(); 1];
        let mut buf = b::v4l2_buffer { index, type_: ty, memory: MEMORY_MMAP, length: 1, ..Default::default() };
        buf.m.planes = planes.as_mut_ptr();
        // SAFETY: `buf.m.planes` points to `length` (1) live planes for the call.
        call(
            || format!("VIDIOC_QUERYBUF({}, {index})", queue_name(ty)),
            unsafe { sys::ioctl_typed(self.raw(), nr::VIDIOC_QUERYBUF, &mut buf) },
        )?;
        // SAFETY: for MMAP planes the kernel fills `m.mem_offset`.
        Ok(PlaneInfo { length: planes[0].length, mem_offset: unsafe { planes[0].m.mem_offset } })
    }

    /// Maps plane 0 of a buffer.
    pub fn mmap(&self, plane: PlaneInfo) -> CallResult<sys::Mapping> {
        call(
            || format!("mmap(offset {:#x}, {} bytes)", plane.mem_offset, plane.length),
            sys::Mapping::map(self.raw(), plane.length as usize, plane.mem_offset as u64),
        )
    }

    /// `VIDIOC_QBUF` of a one-plane MMAP buffer, optionally bound to a request.
    pub fn qbuf(&self, ty: u32, index: u32, bytesused: u32, timestamp_us: u64, request: Option<RawFd>) -> CallResult<()> {
        let mut planes = [b::v4l2_plane { bytesused, ..Default::default() }; 1];
        let mut buf = b::v4l2_buffer { index, type_: ty, memory: MEMORY_MMAP, length: 1, ..Default::default() };
        buf.m.planes = planes.as_mut_ptr();
        buf.timestamp.tv_sec = (timestamp_us / 1_000_000) as _;
        buf.timestamp.tv_usec = (timestamp_us % 1_000_000) as _;
        if let Some(fd) = request {
            buf.flags |= b::V4L2_BUF_FLAG_REQUEST_FD;
            buf.__bindgen_anon_1.request_fd = fd;
        }
        // SAFETY: `buf.m.planes` points to `length` (1) live planes for the call.
        call(
            || format!("VIDIOC_QBUF({}, {index})", queue_name(ty)),
            unsafe { sys::ioctl_typed(self.raw(), nr::VIDIOC_QBUF, &mut buf) },
        )
        .map(drop)
    }

    /// `VIDIOC_DQBUF` of a one-plane buffer with the given buffer and memory types (wrong ones fail).
    pub fn dqbuf_memory(&self, ty: u32, memory: u32) -> CallResult<Dequeued> {
        let mut planes = [b::v4l2_plane::default(); 1];
        let mut buf = b::v4l2_buffer { type_: ty, memory, length: 1, ..Default::default() };
        buf.m.planes = planes.as_mut_ptr();
        // SAFETY: `buf.m.planes` points to `length` (1) live planes for the call.
        call(
            || format!("VIDIOC_DQBUF({})", queue_name(ty)),
            unsafe { sys::ioctl_typed(self.raw(), nr::VIDIOC_DQBUF, &mut buf) },
        )?;
        Ok(Dequeued {
            index: buf.index,
            flags: buf.flags,
            sequence: buf.sequence,
            bytesused: planes[0].bytesused,
            timestamp_us: buf.timestamp.tv_sec as u64 * 1_000_000 + buf.timestamp.tv_usec as u64,
        })
    }

    /// `VIDIOC_DQBUF` of a one-plane MMAP buffer.
    pub fn dqbuf(&self, ty: u32) -> CallResult<Dequeued> {
        self.dqbuf_memory(ty, MEMORY_MMAP)
    }

    /// `VIDIOC_STREAMON`.
    pub fn streamon(&self, ty: u32) -> CallResult<()> {
        let mut t = ty as i32;
        // SAFETY: STREAMON takes a pointer to an int.
        call(|| format!("VIDIOC_STREAMON({})", queue_name(ty)), unsafe {
            sys::ioctl_typed(self.raw(), nr::VIDIOC_STREAMON, &mut t)
        })
        .map(drop)
    }

    /// `VIDIOC_STREAMOFF`.
    pub fn streamoff(&self, ty: u32) -> CallResult<()> {
        let mut t = ty as i32;
        // SAFETY: STREAMOFF takes a pointer to an int.
        call(|| format!("VIDIOC_STREAMOFF({})", queue_name(ty)), unsafe {
            sys::ioctl_typed(self.raw(), nr::VIDIOC_STREAMOFF, &mut t)
        })
        .map(drop)
    }

    /// `VIDIOC_S_EXT_CTRLS` of compound controls `(id, payload bytes)` into `request`.
    pub fn s_ext_ctrls_request(&self, request: RawFd, controls: &mut [(u32, Vec<u8>)]) -> CallResult<()> {
        let mut ctrls: Vec<b::v4l2_ext_control> = controls
            .iter_mut()
            .map(|(id, payload)| {
                let mut c = b::v4l2_ext_control { id: *id, size: payload.len() as u32, ..Default::default() };
                c.__bindgen_anon_1.ptr = payload.as_mut_ptr() as *mut libc::c_void;
                c
            })
            .collect();
        let mut ext = b::v4l2_ext_controls {
            count: ctrls.len() as u32,
            request_fd: request,
            controls: ctrls.as_mut_ptr(),
            ..Default::default()
        };
        ext.__bindgen_anon_1.which = b::V4L2_CTRL_WHICH_REQUEST_VAL;
        // SAFETY: `controls` points to `count` live controls, each `ptr` to `size` live bytes.
        call(|| "VIDIOC_S_EXT_CTRLS(request)".into(), unsafe {
            sys::ioctl_typed(self.raw(), nr::VIDIOC_S_EXT_CTRLS, &mut ext)
        })
        .map(drop)
    }
}

/// A media controller node.
#[derive(Debug)]
pub struct MediaDevice {
    fd: OwnedFd,
    /// Its path.
    pub path: PathBuf,
}

impl MediaDevice {
    /// Opens `path`.
    pub fn open(path: &Path) -> CallResult<Self> {
        let fd = call(|| format!("open({})", path.display()), sys::open_device(path))?;
        Ok(MediaDevice { fd, path: path.to_path_buf() })
    }

    /// `MEDIA_IOC_DEVICE_INFO`: the driver name.
    pub fn driver(&self) -> CallResult<String> {
        let mut info = [0u8; 256];
        // SAFETY: media_device_info is 256 bytes without pointers.
        call(|| "MEDIA_IOC_DEVICE_INFO".into(), unsafe {
            sys::ioctl_bytes(self.fd.as_raw_fd(), nr::MEDIA_IOC_DEVICE_INFO, &mut info)
        })?;
        Ok(cstr_u8(&info[..16]))
    }

    /// `MEDIA_IOC_REQUEST_ALLOC`.
    pub fn alloc_request(&self) -> CallResult<MediaRequest> {
        let mut fd: i32 = -1;
        // SAFETY: REQUEST_ALLOC writes one int.
        call(|| "MEDIA_IOC_REQUEST_ALLOC".into(), unsafe {
            sys::ioctl_typed(self.fd.as_raw_fd(), nr::MEDIA_IOC_REQUEST_ALLOC, &mut fd)
        })?;
        // SAFETY: on success the kernel installed a new request fd that we now own.
        Ok(MediaRequest { fd: unsafe { sys::own_fd(fd) } })
    }
}

/// A request fd.
#[derive(Debug)]
pub struct MediaRequest {
    fd: OwnedFd,
}

impl AsRawFd for MediaRequest {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl MediaRequest {
    /// `MEDIA_REQUEST_IOC_QUEUE`.
    pub fn queue(&self) -> CallResult<()> {
        call(|| "MEDIA_REQUEST_IOC_QUEUE".into(), sys::ioctl_none(self.as_raw_fd(), nr::MEDIA_REQUEST_IOC_QUEUE)).map(drop)
    }
    /// `MEDIA_REQUEST_IOC_REINIT`.
    pub fn reinit(&self) -> CallResult<()> {
        call(|| "MEDIA_REQUEST_IOC_REINIT".into(), sys::ioctl_none(self.as_raw_fd(), nr::MEDIA_REQUEST_IOC_REINIT)).map(drop)
    }
    /// Waits for completion (POLLPRI); `false` on timeout.
    pub fn wait(&self, timeout_ms: i32) -> CallResult<bool> {
        let r = call(|| "poll(request)".into(), sys::poll_one(self.as_raw_fd(), libc::POLLPRI, timeout_ms))?;
        Ok(r & libc::POLLPRI != 0)
    }
}

fn cstr(chars: &[u8]) -> String {
    cstr_u8(chars)
}

fn cstr_u8(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&c| c == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// The `/dev/videoN` whose sysfs name is `name` (e.g. `visl`), and the `/dev/mediaN` whose
/// driver is `driver`.
pub fn find_nodes(name: &str, driver: &str) -> Result<(PathBuf, PathBuf), String> {
    let mut video = None;
    let mut entries: Vec<_> = fs::read_dir("/sys/class/video4linux")
        .map_err(|e| format!("no /sys/class/video4linux ({e}): no V4L2 here; run in the test-bed"))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        if fs::read_to_string(e.path().join("name")).map(|n| n.trim() == name).unwrap_or(false) {
            video = Some(Path::new("/dev").join(e.file_name()));
            break;
        }
    }
    let video = video.ok_or_else(|| format!("no video node named {name:?} in /sys/class/video4linux"))?;
    let mut media_nodes: Vec<_> = fs::read_dir("/dev")
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("media"))
        .map(|e| e.path())
        .collect();
    media_nodes.sort();
    for m in media_nodes {
        if let Ok(dev) = MediaDevice::open(&m) {
            if dev.driver().map(|d| d == driver).unwrap_or(false) {
                return Ok((video, m));
            }
        }
    }
    Err(format!("no /dev/media* with driver {driver:?}"))
}
