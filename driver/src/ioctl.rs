//! The driver's whole kernel boundary: thin wrappers over the V4L2, media-request, media
//! controller and dma-buf ioctls the driver issues. Where v4l2r's ioctl API has the call
//! (QUERYCAP, ENUM_FMT, G/S_FMT, REQBUFS, CREATE_BUFS, STREAMON/OFF, EXPBUF, QUERYCTRL, the
//! request ioctls) it is used; the buffer calls with their plane arrays (QUERYBUF, QBUF, DQBUF),
//! S_EXT_CTRLS with borrowed compound payloads, MEDIA_IOC_G_TOPOLOGY and DMA_BUF_IOCTL_SYNC are
//! issued here on bindgen structs marked [`Zeroable`]/[`Plain`]. Every `unsafe` that talks to
//! the kernel lives here, and so do the fault-injection hooks ([`crate::fault`]).

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};

use nix::errno::Errno;
use v4l2r::bindings as v4l2;
use v4l2r::ioctl::{self as v4l2_ioctl, Request};
use v4l2r::memory::MemoryType;
use v4l2r::QueueType;

use crate::fault::{self, Op};
use crate::va;

pub type Result<T> = std::result::Result<T, Errno>;

mod raw {
    use super::v4l2;
    use crate::va;
    nix::ioctl_readwrite!(querybuf, b'V', 9, v4l2::v4l2_buffer);
    nix::ioctl_readwrite!(qbuf, b'V', 15, v4l2::v4l2_buffer);
    nix::ioctl_readwrite!(dqbuf, b'V', 17, v4l2::v4l2_buffer);
    nix::ioctl_readwrite!(s_ext_ctrls, b'V', 72, v4l2::v4l2_ext_controls);
    nix::ioctl_readwrite!(media_g_topology, b'|', 0x04, va::media_v2_topology);
    nix::ioctl_write_ptr!(dma_buf_sync, b'b', 0, u64);
}

/// Types for which all-zero bytes are a valid value: the kernel's and libva's plain C structs
/// this module hands out zeroed (never references, `bool`s, enums or other types with niches).
///
/// # Safety
/// Implement only for `#[repr(C)]` types whose every field (padding aside) accepts all-zero bytes.
pub unsafe trait Zeroable: Sized {}

/// [`Zeroable`] types for which *any* bytes are a valid value (integers, arrays of them, unions of
/// them and raw pointers): what the kernel may write into an ioctl argument, or a client into a
/// VA buffer. They may have padding, so they are never viewed as `&[u8]`; bytes only flow into
/// them (by the kernel through a pointer, or by [`read_plain`]).
///
/// # Safety
/// Implement only for `#[repr(C)]` types every bit pattern of which is a valid value.
pub unsafe trait Plain: Zeroable + Copy {}

macro_rules! plain {
    ($($t:ty),* $(,)?) => {$(
        // SAFETY: a bindgen `#[repr(C)]` struct of integers, arrays, unions of those and raw
        // pointers: all-zero and every other bit pattern are valid values of each field.
        unsafe impl Zeroable for $t {}
        // SAFETY: as above.
        unsafe impl Plain for $t {}
    )*};
}

plain!(
    v4l2::v4l2_buffer,
    v4l2::v4l2_format,
    v4l2::v4l2_plane,
    v4l2::v4l2_ext_control,
    v4l2::v4l2_ext_controls,
    v4l2::v4l2_ctrl_h264_sps,
    v4l2::v4l2_ctrl_h264_pps,
    v4l2::v4l2_ctrl_h264_scaling_matrix,
    v4l2::v4l2_ctrl_h264_decode_params,
    v4l2::v4l2_ctrl_h264_slice_params,
    v4l2::v4l2_ctrl_h264_pred_weights,
    v4l2::v4l2_ctrl_mpeg2_sequence,
    v4l2::v4l2_ctrl_mpeg2_picture,
    v4l2::v4l2_ctrl_mpeg2_quantisation,
    v4l2::v4l2_ctrl_vp9_frame,
    v4l2::v4l2_ctrl_vp9_compressed_hdr,
    v4l2::v4l2_ctrl_hevc_sps,
    v4l2::v4l2_ctrl_hevc_pps,
    v4l2::v4l2_ctrl_hevc_slice_params,
    v4l2::v4l2_ctrl_hevc_scaling_matrix,
    v4l2::v4l2_ctrl_hevc_decode_params,
    v4l2::v4l2_ctrl_av1_sequence,
    v4l2::v4l2_ctrl_av1_frame,
    v4l2::v4l2_ctrl_av1_tile_group_entry,
    v4l2::v4l2_ctrl_av1_film_grain,
    va::VADecPictureParameterBufferAV1,
    va::VASliceParameterBufferAV1,
    va::VAPictureParameterBufferHEVC,
    va::VASliceParameterBufferHEVC,
    va::VAIQMatrixBufferHEVC,
    va::media_v2_topology,
    va::media_v2_interface,
    va::VAImage,
    va::VAImageFormat,
    va::VAPictureParameterBufferH264,
    va::VAIQMatrixBufferH264,
    va::VASliceParameterBufferH264,
    va::VAPictureParameterBufferMPEG2,
    va::VAIQMatrixBufferMPEG2,
    va::VASliceParameterBufferMPEG2,
    va::VADecPictureParameterBufferVP9,
    va::VASliceParameterBufferVP9,
);

plain!(
    u32,
    v4l2::v4l2_ctrl_vp8_frame,
    va::VAPictureParameterBufferVP8,
    va::VAProbabilityDataBufferVP8,
    va::VAIQMatrixBufferVP8,
    va::VASliceParameterBufferVP8,
);

// SAFETY: `VAGenericValue` is a union of integers, a float, a raw pointer and an
// `Option<fn>`, all valid when zero (the Option is `None`); the rest are integers.
unsafe impl Zeroable for va::VASurfaceAttrib {}
// SAFETY: integers, fixed arrays of a struct of integers, and a `uint32_t` array.
unsafe impl Zeroable for va::VADRMPRIMESurfaceDescriptor {}
// SAFETY: an array of `Zeroable` elements is all-zero exactly when each element is.
unsafe impl<T: Zeroable, const N: usize> Zeroable for [T; N] {}
// SAFETY: an array of `Plain` elements accepts any bytes exactly when each element does.
unsafe impl<T: Plain, const N: usize> Plain for [T; N] {}

/// An all-zero `T`.
pub fn zeroed<T: Zeroable>() -> T {
    // SAFETY: `T: Zeroable`: all-zero bytes are a valid `T`.
    unsafe { std::mem::zeroed() }
}

/// The `index`th `T` of a client's byte buffer (a VA parameter buffer holding an array of C
/// structs), or None if the buffer is too short.
pub fn read_plain<T: Plain>(data: &[u8], index: usize) -> Option<T> {
    let size = std::mem::size_of::<T>();
    let bytes = data.get(index.checked_mul(size)?..index.checked_add(1)?.checked_mul(size)?)?;
    // SAFETY: `bytes` holds `size_of::<T>()` initialised bytes; `T: Plain` accepts any bytes;
    // the read is unaligned because a byte buffer need not be aligned for `T`.
    Some(unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<T>()) })
}

/// `num` consecutive `T`s from the start of `data` (a VA buffer of `num` elements), or None when
/// `data` is too short.
pub fn read_plain_array<T: Plain>(data: &[u8], num: u32) -> Option<Vec<T>> {
    (0..num as usize).map(|i| read_plain(data, i)).collect()
}

/// v4l2r's queue type for a `v4l2_buf_type` value (EINVAL for one v4l2r does not know).
fn queue(type_: u32) -> Result<QueueType> {
    QueueType::n(type_).ok_or(Errno::EINVAL)
}

pub fn querycap(fd: &impl AsRawFd) -> Result<v4l2::v4l2_capability> {
    Ok(v4l2_ioctl::querycap(fd)?)
}

/// The `index`th format of queue `type_`, or None past the end.
pub fn enum_fmt(fd: &impl AsRawFd, type_: u32, index: u32) -> Option<u32> {
    let d: v4l2::v4l2_fmtdesc = v4l2_ioctl::enum_fmt(fd, queue(type_).ok()?, index).ok()?;
    Some(d.pixelformat)
}

pub fn g_fmt(fd: &impl AsRawFd, type_: u32) -> Result<v4l2::v4l2_format> {
    Ok(v4l2_ioctl::g_fmt(fd, queue(type_)?)?)
}

pub fn s_fmt(fd: &impl AsRawFd, f: &mut v4l2::v4l2_format) -> Result<()> {
    *f = v4l2_ioctl::s_fmt(&mut fd.as_raw_fd(), *f)?;
    Ok(())
}

/// REQBUFS with MMAP memory; returns (count granted, capabilities).
pub fn reqbufs(fd: &impl AsRawFd, type_: u32, count: u32) -> Result<(u32, u32)> {
    let r: v4l2::v4l2_requestbuffers = v4l2_ioctl::reqbufs(
        fd,
        queue(type_)?,
        MemoryType::Mmap,
        count,
        v4l2_ioctl::MemoryConsistency::empty(),
    )?;
    Ok((r.count, r.capabilities))
}

/// CREATE_BUFS of `count` MMAP buffers in the queue's current format; returns the first index.
pub fn create_bufs(
    fd: &impl AsRawFd,
    format: &v4l2::v4l2_format,
    count: u32,
) -> Result<(u32, u32)> {
    let c: v4l2::v4l2_create_buffers =
        v4l2_ioctl::create_bufs(fd, count, MemoryType::Mmap, *format)?;
    Ok((c.index, c.count))
}

/// A v4l2_buffer together with its plane array (the kernel reads `m.planes` through a pointer,
/// so both live in one place and the pointer is set right before each call).
pub struct Buffer {
    pub buf: v4l2::v4l2_buffer,
    pub planes: [v4l2::v4l2_plane; 4],
}

impl Buffer {
    pub fn new(type_: u32, index: u32, mplane: bool) -> Self {
        let mut b = Buffer {
            buf: zeroed(),
            planes: zeroed(),
        };
        b.buf.type_ = type_;
        b.buf.index = index;
        b.buf.memory = v4l2::v4l2_memory_V4L2_MEMORY_MMAP;
        if mplane {
            b.buf.length = b.planes.len() as u32;
        }
        b
    }

    fn mplane(&self) -> bool {
        self.buf.type_ == v4l2::v4l2_buf_type_V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE
            || self.buf.type_ == v4l2::v4l2_buf_type_V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE
    }

    fn prepare(&mut self) -> *mut v4l2::v4l2_buffer {
        if self.mplane() {
            self.buf.m.planes = self.planes.as_mut_ptr();
        }
        &mut self.buf
    }

    /// (offset for mmap, length) of plane `p`.
    pub fn plane_mapping(&self, p: usize) -> (u32, u32) {
        if self.mplane() {
            // SAFETY: `mem_offset` is the member QUERYBUF fills for MMAP buffers.
            (
                unsafe { self.planes[p].m.mem_offset },
                self.planes[p].length,
            )
        } else {
            // SAFETY: `offset` is the member QUERYBUF fills for MMAP buffers.
            (unsafe { self.buf.m.offset }, self.buf.length)
        }
    }

    pub fn num_planes(&self) -> usize {
        if self.mplane() {
            self.buf.length as usize
        } else {
            1
        }
    }

    pub fn set_bytesused(&mut self, n: u32) {
        if self.mplane() {
            self.planes[0].bytesused = n;
        } else {
            self.buf.bytesused = n;
        }
    }

    /// The buffer's timestamp in nanoseconds, as V4L2 reference timestamps are expressed.
    pub fn timestamp_ns(&self) -> u64 {
        self.buf.timestamp.tv_sec as u64 * 1_000_000_000 + self.buf.timestamp.tv_usec as u64 * 1000
    }
}

pub fn querybuf(fd: &impl AsRawFd, b: &mut Buffer) -> Result<()> {
    let p = b.prepare();
    // SAFETY: `p` points to a v4l2_buffer whose plane pointer (mplane) references `b.planes`.
    unsafe { raw::querybuf(fd.as_raw_fd(), p) }.map(drop)
}

pub fn qbuf(fd: &impl AsRawFd, b: &mut Buffer) -> Result<()> {
    let p = b.prepare();
    // SAFETY: as in querybuf.
    unsafe { raw::qbuf(fd.as_raw_fd(), p) }.map(drop)
}

/// DQBUF of the next finished buffer of queue `type_` (EAGAIN when none, the fd being
/// non-blocking).
pub fn dqbuf(fd: &impl AsRawFd, type_: u32, mplane: bool) -> Result<Buffer> {
    if fault::should_fail(Op::Dqbuf) {
        return Err(Errno::EIO);
    }
    let mut b = Buffer::new(type_, 0, mplane);
    let p = b.prepare();
    // SAFETY: as in querybuf.
    unsafe { raw::dqbuf(fd.as_raw_fd(), p) }?;
    Ok(b)
}

pub fn streamon(fd: &impl AsRawFd, type_: u32) -> Result<()> {
    Ok(v4l2_ioctl::streamon(fd, queue(type_)?)?)
}

pub fn streamoff(fd: &impl AsRawFd, type_: u32) -> Result<()> {
    Ok(v4l2_ioctl::streamoff(fd, queue(type_)?)?)
}

/// EXPBUF of plane `plane` of buffer `index` as a dma-buf fd.
pub fn expbuf(fd: &impl AsRawFd, type_: u32, index: u32, plane: u32) -> Result<OwnedFd> {
    let flags = v4l2_ioctl::ExpbufFlags::CLOEXEC | v4l2_ioctl::ExpbufFlags::RDWR;
    Ok(v4l2_ioctl::expbuf(
        fd,
        queue(type_)?,
        index as usize,
        plane as usize,
        flags,
    )?)
}

/// (minimum, maximum, default) of a menu/integer control, or None if the device lacks it.
pub fn queryctrl(fd: &impl AsRawFd, id: u32) -> Option<(i32, i32, i32)> {
    let id = v4l2_ioctl::CtrlId::new(id).ok()?;
    let q: v4l2::v4l2_queryctrl =
        v4l2_ioctl::queryctrl(fd, id, v4l2_ioctl::QueryCtrlFlags::empty()).ok()?;
    Some((q.minimum, q.maximum, q.default_value))
}

/// One control of an S_EXT_CTRLS call: a value or a compound payload (see [`Ctrl::compound`]).
pub enum Ctrl<'a> {
    Value(u32, i32),
    Compound(Compound<'a>),
}

/// A compound control's payload: a pointer to a borrowed plain C struct and its size.
pub struct Compound<'a> {
    id: u32,
    ptr: *mut std::ffi::c_void,
    size: u32,
    _borrow: std::marker::PhantomData<&'a mut ()>,
}

impl<'a> Ctrl<'a> {
    /// Control `id` with payload `v` (a kernel control struct, which the kernel may read and
    /// write back during the call).
    pub fn compound<T: Plain>(id: u32, v: &'a mut T) -> Self {
        Ctrl::Compound(Compound {
            id,
            ptr: (v as *mut T).cast(),
            size: std::mem::size_of::<T>() as u32,
            _borrow: std::marker::PhantomData,
        })
    }

    /// Dynamic-array control `id` with the elements `v` (the kernel takes as many elements as
    /// `v` holds).
    pub fn array<T: Plain>(id: u32, v: &'a mut [T]) -> Self {
        Ctrl::Compound(Compound {
            id,
            ptr: v.as_mut_ptr().cast(),
            size: std::mem::size_of_val(v) as u32,
            _borrow: std::marker::PhantomData,
        })
    }
}

const MAX_CTRLS: usize = 8;

/// S_EXT_CTRLS of up to 8 controls (EINVAL for more), into `request` if given, else the
/// current values.
pub fn s_ext_ctrls(fd: &impl AsRawFd, request: Option<RawFd>, ctrls: &mut [Ctrl]) -> Result<()> {
    let mut arr: [v4l2::v4l2_ext_control; MAX_CTRLS] = zeroed();
    if ctrls.len() > MAX_CTRLS {
        return Err(Errno::EINVAL);
    }
    let n = ctrls.len();
    for (slot, c) in arr.iter_mut().zip(ctrls.iter_mut()) {
        match c {
            Ctrl::Value(id, v) => {
                slot.id = *id;
                slot.__bindgen_anon_1.value = *v;
            }
            Ctrl::Compound(p) => {
                slot.id = p.id;
                slot.size = p.size;
                slot.__bindgen_anon_1.ptr = p.ptr;
            }
        }
    }
    let mut c: v4l2::v4l2_ext_controls = zeroed();
    c.count = n as u32;
    c.controls = arr.as_mut_ptr();
    match request {
        Some(fd) => {
            c.__bindgen_anon_1.which = v4l2::V4L2_CTRL_WHICH_REQUEST_VAL;
            c.request_fd = fd;
        }
        None => c.__bindgen_anon_1.which = v4l2::V4L2_CTRL_WHICH_CUR_VAL,
    }
    // SAFETY: `c.controls` points to `n` initialised controls; each compound's pointer and size
    // cover a `Plain` struct (or slice of them) mutably borrowed by `ctrls` for the duration of
    // the call.
    unsafe { raw::s_ext_ctrls(fd.as_raw_fd(), &mut c) }.map(drop)
}

/// MEDIA_IOC_REQUEST_ALLOC.
pub fn request_alloc(media: &impl AsRawFd) -> Result<Request> {
    if fault::should_fail(Op::Alloc) {
        return Err(Errno::ENOMEM);
    }
    Request::alloc(media).map_err(request_errno)
}

/// MEDIA_REQUEST_IOC_QUEUE.
pub fn request_queue(r: &Request) -> Result<()> {
    r.queue().map_err(request_errno)
}

/// MEDIA_REQUEST_IOC_REINIT.
pub fn request_reinit(r: &Request) -> Result<()> {
    if fault::should_fail(Op::Reinit) {
        return Err(Errno::EIO);
    }
    r.reinit().map_err(request_errno)
}

fn request_errno(e: v4l2r::ioctl::RequestError) -> Errno {
    match e {
        v4l2r::ioctl::RequestError::IoctlError(e) => e,
        _ => Errno::EINVAL,
    }
}

/// Waits until request `fd` completes (POLLPRI); Ok(false) on timeout.
pub fn poll_request(fd: &impl AsRawFd, timeout_ms: u16) -> Result<bool> {
    if fault::should_fail(Op::Poll) {
        return Err(Errno::EIO);
    }
    // SAFETY: the fd is owned by the caller's Request and outlives this call.
    let bfd = unsafe { BorrowedFd::borrow_raw(fd.as_raw_fd()) };
    let mut pfd = [nix::poll::PollFd::new(bfd, nix::poll::PollFlags::POLLPRI)];
    let n = nix::poll::poll(&mut pfd, nix::poll::PollTimeout::from(timeout_ms))?;
    Ok(n > 0)
}

/// Waits until the video device has a buffer to dequeue (POLLIN/POLLOUT); Ok(false) on timeout.
pub fn poll_device(fd: &impl AsRawFd, timeout_ms: u16) -> Result<bool> {
    // SAFETY: the fd is owned by the caller and outlives this call.
    let bfd = unsafe { BorrowedFd::borrow_raw(fd.as_raw_fd()) };
    let flags = nix::poll::PollFlags::POLLIN | nix::poll::PollFlags::POLLOUT;
    let mut pfd = [nix::poll::PollFd::new(bfd, flags)];
    let n = nix::poll::poll(&mut pfd, nix::poll::PollTimeout::from(timeout_ms))?;
    Ok(n > 0)
}

/// A shared read/write mapping of a device buffer, unmapped on drop.
pub struct Mapping {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain memory; access is serialised by the owner's lock.
unsafe impl Send for Mapping {}

impl Mapping {
    pub fn new(fd: &impl AsRawFd, offset: u32, len: u32) -> Result<Mapping> {
        // SAFETY: a fresh shared mapping of a device buffer; no existing Rust memory is affected.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                offset as libc::off_t,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(Errno::last());
        }
        Ok(Mapping {
            ptr: ptr as *mut u8,
            len: len as usize,
        })
    }

    /// Anonymous memory standing in for a device buffer (host tests of the pools).
    #[cfg(test)]
    pub fn anonymous(len: usize) -> Result<Mapping> {
        // SAFETY: a fresh private anonymous mapping; no existing Rust memory is affected.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(Errno::last());
        }
        Ok(Mapping {
            ptr: ptr as *mut u8,
            len,
        })
    }

    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: the mapping is `len` bytes long and lives as long as `self`.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in as_slice, with exclusive access through `&mut self`.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }

    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` come from a successful mmap not unmapped before.
        unsafe { libc::munmap(self.ptr as *mut libc::c_void, self.len) };
    }
}

/// DMA_BUF_IOCTL_SYNC start (`end == false`) or end of a CPU read/write access.
pub fn dma_buf_sync(fd: &impl AsRawFd, end: bool) -> Result<()> {
    const READ: u64 = 1;
    const WRITE: u64 = 2;
    const END: u64 = 4;
    let flags = READ | WRITE | if end { END } else { 0 };
    // SAFETY: the argument is a pointer to a valid struct dma_buf_sync (a single u64).
    unsafe { raw::dma_buf_sync(fd.as_raw_fd(), &flags) }.map(drop)
}

/// The interfaces of a media device's topology: (interface type, major, minor).
pub fn media_interfaces(media: &impl AsRawFd) -> Result<Vec<(u32, u32, u32)>> {
    let mut t: va::media_v2_topology = zeroed();
    // SAFETY: first call with null arrays only fills the counts.
    unsafe { raw::media_g_topology(media.as_raw_fd(), &mut t) }?;
    let mut intfs: Vec<va::media_v2_interface> = vec![zeroed(); t.num_interfaces as usize];
    t.ptr_interfaces = intfs.as_mut_ptr() as u64;
    t.num_entities = 0;
    t.num_pads = 0;
    t.num_links = 0;
    // SAFETY: ptr_interfaces points to num_interfaces writable entries; the other arrays are null.
    unsafe { raw::media_g_topology(media.as_raw_fd(), &mut t) }?;
    intfs.truncate(t.num_interfaces as usize);
    Ok(intfs
        .iter()
        .map(|i| {
            // SAFETY: `devnode` is the union member the kernel fills for device-node interfaces.
            let dn = unsafe { i.__bindgen_anon_1.devnode };
            (i.intf_type, dn.major, dn.minor)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_plain_reads_unaligned_elements_and_refuses_short_buffers() {
        type Slice = va::VASliceParameterBufferH264;
        let size = std::mem::size_of::<Slice>();
        let size_at = std::mem::offset_of!(Slice, slice_data_size);
        let offset_at = std::mem::offset_of!(Slice, slice_data_offset);
        // Two elements behind one byte, so that they are unaligned.
        let mut bytes = vec![0u8; 1 + 2 * size];
        let data = &mut bytes[1..];
        for (i, offset) in [7u32, 9].into_iter().enumerate() {
            let e = &mut data[i * size..];
            e[size_at..size_at + 4].copy_from_slice(&0x1234_5678u32.to_ne_bytes());
            e[offset_at..offset_at + 4].copy_from_slice(&offset.to_ne_bytes());
        }
        let data = &bytes[1..];
        let x: Slice = read_plain(data, 1).unwrap();
        assert_eq!((x.slice_data_size, x.slice_data_offset), (0x1234_5678, 9));
        let x: Slice = read_plain(data, 0).unwrap();
        assert_eq!(x.slice_data_offset, 7);
        assert!(read_plain::<Slice>(data, 2).is_none());
        assert!(read_plain::<Slice>(&data[..size - 1], 0).is_none());
        assert!(read_plain::<Slice>(data, usize::MAX).is_none());
    }

    #[test]
    fn more_controls_than_one_call_takes_are_refused() {
        let f = std::fs::File::open("/dev/null").unwrap();
        let mut ctrls: Vec<Ctrl> = (0..MAX_CTRLS as u32 + 1)
            .map(|i| Ctrl::Value(i, 0))
            .collect();
        assert_eq!(s_ext_ctrls(&f, None, &mut ctrls), Err(Errno::EINVAL));
    }
}
