//! Typed V4L2 and media-request calls for the synthetic clients (`probe-ebusy`, `request-leak`):
//! multi-planar formats, buffers, streaming, extended controls and requests, on top of
//! [`replay::sys`] and v4l2r's bindgen structs (generated from the 6.12 uapi headers).
//!
//! Traces of the clients are made by `vatrace record` like any other program's. The replay engine
//! does not use this module: it re-issues recorded argument bytes.

use std::fs;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use v4l2r::bindings as b;

use replay::sys::{self, Errno, Pod};

pub use v4l2r::bindings;

/// Request numbers the clients issue, from the `traces` ioctl catalogue.
pub mod nr {
    pub use traces::ioctl::ext_ctrls::VIDIOC_S_EXT_CTRLS;
    pub use traces::ioctl::fmt::{VIDIOC_G_FMT, VIDIOC_S_FMT};
    pub use traces::ioctl::media::{MEDIA_IOC_DEVICE_INFO, MEDIA_IOC_REQUEST_ALLOC};
    pub use traces::ioctl::qbuf::{VIDIOC_DQBUF, VIDIOC_QBUF, VIDIOC_QUERYBUF};
    pub use traces::ioctl::querycap::VIDIOC_QUERYCAP;
    pub use traces::ioctl::reqbufs::VIDIOC_REQBUFS;
    pub use traces::ioctl::request::{MEDIA_REQUEST_IOC_QUEUE, MEDIA_REQUEST_IOC_REINIT};
    pub use traces::ioctl::streamon::{VIDIOC_STREAMOFF, VIDIOC_STREAMON};
}

/// `V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE`.
pub const OUTPUT_MPLANE: u32 = b::v4l2_buf_type_V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
/// `V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE`.
pub const CAPTURE_MPLANE: u32 = b::v4l2_buf_type_V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
/// `V4L2_MEMORY_MMAP`.
pub const MEMORY_MMAP: u32 = b::v4l2_memory_V4L2_MEMORY_MMAP;

/// A fourcc code from its four characters (the catalogue's).
pub use traces::ioctl::names::fourcc_code as fourcc;

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
    r.map_err(|errno| CallError {
        call: what(),
        errno,
    })
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

/// A mapping of a buffer plane made by a client (unmapped on drop).
pub struct BufferMap {
    map: sys::Mapping,
}

impl BufferMap {
    /// The mapped bytes, writable.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        self.map.as_mut_slice()
    }
    /// The mapped bytes.
    pub fn as_slice(&self) -> &[u8] {
        self.map.as_slice()
    }
}

fn open_node(path: &Path) -> CallResult<OwnedFd> {
    call(
        || format!("open({})", path.display()),
        sys::open_device(path),
    )
}

impl VideoDevice {
    /// Opens `path`.
    pub fn open(path: &Path) -> CallResult<Self> {
        Ok(VideoDevice {
            fd: open_node(path)?,
            path: path.to_path_buf(),
        })
    }

    fn raw(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// `VIDIOC_QUERYCAP`: the whole capability struct.
    pub fn querycap_full(&self) -> CallResult<b::v4l2_capability> {
        let mut cap = Pod::<b::v4l2_capability>::zeroed(1);
        // SAFETY: v4l2_capability is QUERYCAP's argument and holds no pointers.
        let r = unsafe { sys::ioctl_pod(self.raw(), nr::VIDIOC_QUERYCAP, &mut cap) };
        call(|| "VIDIOC_QUERYCAP".into(), r)?;
        Ok(cap[0])
    }

    /// `VIDIOC_QUERYCAP`: (driver, device_caps).
    pub fn querycap(&self) -> CallResult<(String, u32)> {
        let cap = self.querycap_full()?;
        Ok((cstr(&cap.driver), cap.device_caps))
    }

    /// `VIDIOC_S_FMT` of a single-plane multi-planar format; returns (width, height, sizeimage).
    pub fn s_fmt(
        &self,
        ty: u32,
        fourcc: u32,
        width: u32,
        height: u32,
        sizeimage: u32,
    ) -> CallResult<(u32, u32, u32)> {
        let mut f = Pod::<b::v4l2_format>::zeroed(1);
        f[0].type_ = ty;
        // SAFETY: writing fields of the `pix_mp` member of a zeroed union: plain integers.
        unsafe {
            f[0].fmt.pix_mp.width = width;
            f[0].fmt.pix_mp.height = height;
            f[0].fmt.pix_mp.pixelformat = fourcc;
            f[0].fmt.pix_mp.num_planes = 1;
            f[0].fmt.pix_mp.plane_fmt[0].sizeimage = sizeimage;
        }
        // SAFETY: v4l2_format is S_FMT's argument and holds no pointers.
        let r = unsafe { sys::ioctl_pod(self.raw(), nr::VIDIOC_S_FMT, &mut f) };
        call(
            || format!("VIDIOC_S_FMT({}, {width}x{height})", queue_name(ty)),
            r,
        )?;
        // SAFETY: the kernel filled `pix_mp` for a multi-planar type.
        let pix = unsafe { f[0].fmt.pix_mp };
        Ok((pix.width, pix.height, pix.plane_fmt[0].sizeimage))
    }

    /// `VIDIOC_REQBUFS` (MMAP); returns the count granted.
    pub fn reqbufs(&self, ty: u32, count: u32) -> CallResult<u32> {
        let mut r = Pod::<b::v4l2_requestbuffers>::zeroed(1);
        r[0].count = count;
        r[0].type_ = ty;
        r[0].memory = MEMORY_MMAP;
        // SAFETY: v4l2_requestbuffers holds no pointers.
        let res = unsafe { sys::ioctl_pod(self.raw(), nr::VIDIOC_REQBUFS, &mut r) };
        call(
            || format!("VIDIOC_REQBUFS({}, {count})", queue_name(ty)),
            res,
        )?;
        Ok(r[0].count)
    }

    /// A one-plane `v4l2_buffer` pointing at `planes`.
    fn buffer(
        ty: u32,
        index: u32,
        memory: u32,
        planes: &mut Pod<b::v4l2_plane>,
    ) -> Pod<b::v4l2_buffer> {
        let mut buf = Pod::<b::v4l2_buffer>::zeroed(1);
        buf[0].index = index;
        buf[0].type_ = ty;
        buf[0].memory = memory;
        buf[0].length = 1;
        buf[0].m.planes = planes.as_mut_ptr();
        buf
    }

    /// `VIDIOC_QUERYBUF` of a one-plane buffer.
    pub fn querybuf(&self, ty: u32, index: u32) -> CallResult<PlaneInfo> {
        let mut planes = Pod::<b::v4l2_plane>::zeroed(1);
        let mut buf = Self::buffer(ty, index, MEMORY_MMAP, &mut planes);
        // SAFETY: `buf.m.planes` points to `length` (1) live planes for the call.
        let r = unsafe { sys::ioctl_pod(self.raw(), nr::VIDIOC_QUERYBUF, &mut buf) };
        call(
            || format!("VIDIOC_QUERYBUF({}, {index})", queue_name(ty)),
            r,
        )?;
        Ok(PlaneInfo {
            length: planes[0].length,
            // SAFETY: for MMAP planes the kernel fills `m.mem_offset`.
            mem_offset: unsafe { planes[0].m.mem_offset },
        })
    }

    /// Maps plane 0 of a buffer.
    pub fn mmap(&self, plane: PlaneInfo) -> CallResult<BufferMap> {
        let map = call(
            || {
                format!(
                    "mmap(offset {:#x}, {} bytes)",
                    plane.mem_offset, plane.length
                )
            },
            sys::Mapping::map(self.raw(), plane.length as usize, plane.mem_offset as u64),
        )?;
        Ok(BufferMap { map })
    }

    /// `VIDIOC_QBUF` of a one-plane MMAP buffer, optionally bound to a request; `bitstream` is
    /// what the buffer holds (its length is the plane's `bytesused`).
    pub fn qbuf(
        &self,
        ty: u32,
        index: u32,
        bitstream: &[u8],
        timestamp_us: u64,
        request: Option<RawFd>,
    ) -> CallResult<()> {
        let mut planes = Pod::<b::v4l2_plane>::zeroed(1);
        planes[0].bytesused = bitstream.len() as u32;
        let mut buf = Self::buffer(ty, index, MEMORY_MMAP, &mut planes);
        buf[0].timestamp.tv_sec = (timestamp_us / 1_000_000) as _;
        buf[0].timestamp.tv_usec = (timestamp_us % 1_000_000) as _;
        if let Some(fd) = request {
            buf[0].flags |= b::V4L2_BUF_FLAG_REQUEST_FD;
            buf[0].__bindgen_anon_1.request_fd = fd;
        }
        // SAFETY: `buf.m.planes` points to `length` (1) live planes for the call.
        let r = unsafe { sys::ioctl_pod(self.raw(), nr::VIDIOC_QBUF, &mut buf) };
        call(|| format!("VIDIOC_QBUF({}, {index})", queue_name(ty)), r).map(drop)
    }

    /// `VIDIOC_DQBUF` of a one-plane buffer with the given buffer and memory types (wrong ones fail).
    pub fn dqbuf_memory(&self, ty: u32, memory: u32) -> CallResult<Dequeued> {
        let mut planes = Pod::<b::v4l2_plane>::zeroed(1);
        let mut buf = Self::buffer(ty, 0, memory, &mut planes);
        // SAFETY: `buf.m.planes` points to `length` (1) live planes for the call.
        let r = unsafe { sys::ioctl_pod(self.raw(), nr::VIDIOC_DQBUF, &mut buf) };
        call(|| format!("VIDIOC_DQBUF({})", queue_name(ty)), r)?;
        let t = buf[0].timestamp;
        Ok(Dequeued {
            index: buf[0].index,
            flags: buf[0].flags,
            sequence: buf[0].sequence,
            bytesused: planes[0].bytesused,
            timestamp_us: t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64,
        })
    }

    /// `VIDIOC_DQBUF` of a one-plane MMAP buffer.
    pub fn dqbuf(&self, ty: u32) -> CallResult<Dequeued> {
        self.dqbuf_memory(ty, MEMORY_MMAP)
    }

    fn stream(&self, request: u32, ty: u32, what: &str) -> CallResult<()> {
        let mut t = Pod::<i32>::zeroed(1);
        t[0] = ty as i32;
        // SAFETY: STREAMON/STREAMOFF take a pointer to an int.
        let r = unsafe { sys::ioctl_pod(self.raw(), request, &mut t) };
        call(|| format!("{what}({})", queue_name(ty)), r).map(drop)
    }

    /// `VIDIOC_STREAMON`.
    pub fn streamon(&self, ty: u32) -> CallResult<()> {
        self.stream(nr::VIDIOC_STREAMON, ty, "VIDIOC_STREAMON")
    }

    /// `VIDIOC_STREAMOFF`.
    pub fn streamoff(&self, ty: u32) -> CallResult<()> {
        self.stream(nr::VIDIOC_STREAMOFF, ty, "VIDIOC_STREAMOFF")
    }

    /// `VIDIOC_S_EXT_CTRLS` of compound controls `(id, payload bytes)` into `request`.
    pub fn s_ext_ctrls_request(
        &self,
        request: RawFd,
        controls: &[(u32, Vec<u8>)],
    ) -> CallResult<()> {
        let mut payloads: Vec<Pod<u8>> = controls
            .iter()
            .map(|(_, bytes)| {
                let mut p = Pod::<u8>::zeroed(bytes.len());
                p[..bytes.len()].copy_from_slice(bytes);
                p
            })
            .collect();
        let mut ctrls = Pod::<b::v4l2_ext_control>::zeroed(controls.len());
        for (i, (id, bytes)) in controls.iter().enumerate() {
            ctrls[i].id = *id;
            ctrls[i].size = bytes.len() as u32;
            ctrls[i].__bindgen_anon_1.ptr = payloads[i].as_mut_ptr() as *mut libc::c_void;
        }
        let mut ext = Pod::<b::v4l2_ext_controls>::zeroed(1);
        ext[0].count = controls.len() as u32;
        ext[0].request_fd = request;
        ext[0].controls = ctrls.as_mut_ptr();
        ext[0].__bindgen_anon_1.which = b::V4L2_CTRL_WHICH_REQUEST_VAL;
        // SAFETY: `controls` points to `count` live controls, each `ptr` to `size` live bytes.
        let r = unsafe { sys::ioctl_pod(self.raw(), nr::VIDIOC_S_EXT_CTRLS, &mut ext) };
        call(|| "VIDIOC_S_EXT_CTRLS(request)".into(), r).map(drop)
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
        Ok(MediaDevice {
            fd: open_node(path)?,
            path: path.to_path_buf(),
        })
    }

    /// `MEDIA_IOC_DEVICE_INFO`: the raw 256-byte `media_device_info`.
    pub fn device_info(&self) -> CallResult<Vec<u8>> {
        let mut info = Pod::<u8>::zeroed(256);
        // SAFETY: media_device_info is 256 bytes without pointers.
        let r =
            unsafe { sys::ioctl_pod(self.fd.as_raw_fd(), nr::MEDIA_IOC_DEVICE_INFO, &mut info) };
        call(|| "MEDIA_IOC_DEVICE_INFO".into(), r)?;
        Ok(info.bytes().to_vec())
    }

    /// `MEDIA_IOC_DEVICE_INFO`: the driver name.
    pub fn driver(&self) -> CallResult<String> {
        Ok(cstr_u8(&self.device_info()?[..16]))
    }

    /// `MEDIA_IOC_REQUEST_ALLOC`.
    pub fn alloc_request(&self) -> CallResult<MediaRequest> {
        let mut fd = Pod::<i32>::zeroed(1);
        fd[0] = -1;
        // SAFETY: REQUEST_ALLOC writes one int.
        let r =
            unsafe { sys::ioctl_pod(self.fd.as_raw_fd(), nr::MEDIA_IOC_REQUEST_ALLOC, &mut fd) };
        call(|| "MEDIA_IOC_REQUEST_ALLOC".into(), r)?;
        Ok(MediaRequest {
            // SAFETY: on success the kernel installed a new request fd that we now own.
            fd: unsafe { sys::own_fd(fd[0]) },
        })
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
    fn none_ioctl(&self, request: u32, what: &str) -> CallResult<()> {
        call(|| what.into(), sys::ioctl_none(self.as_raw_fd(), request)).map(drop)
    }
    /// `MEDIA_REQUEST_IOC_QUEUE`.
    pub fn queue(&self) -> CallResult<()> {
        self.none_ioctl(nr::MEDIA_REQUEST_IOC_QUEUE, "MEDIA_REQUEST_IOC_QUEUE")
    }
    /// `MEDIA_REQUEST_IOC_REINIT`.
    pub fn reinit(&self) -> CallResult<()> {
        self.none_ioctl(nr::MEDIA_REQUEST_IOC_REINIT, "MEDIA_REQUEST_IOC_REINIT")
    }
    /// Waits for completion (POLLPRI); `false` on timeout.
    pub fn wait(&self, timeout_ms: i32) -> CallResult<bool> {
        let r = sys::poll_one(self.as_raw_fd(), libc::POLLPRI, timeout_ms);
        let r = call(|| "poll(request)".into(), r)?;
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
        if fs::read_to_string(e.path().join("name"))
            .map(|n| n.trim() == name)
            .unwrap_or(false)
        {
            video = Some(Path::new("/dev").join(e.file_name()));
            break;
        }
    }
    let video =
        video.ok_or_else(|| format!("no video node named {name:?} in /sys/class/video4linux"))?;
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
