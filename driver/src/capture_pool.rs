//! The CAPTURE pool: decoded-frame buffers of one decoder session, each bound to at most one VA
//! surface, with its CPU mappings and its exported dma-buf. Buffers are created with
//! VIDIOC_CREATE_BUFS when surfaces need them (so surfaces created after the context still get
//! one) and only freed by [`CapturePool::drain`]: dequeue what the kernel holds, STREAMOFF, drop
//! mappings and exported fds, and only then REQBUFS(0), which would otherwise fail with EBUSY.

use std::fs::File;
use std::os::fd::OwnedFd;

use v4l2r::bindings as v4l2;

use crate::ioctl::{self, Mapping};
use crate::va;

/// The few calls the pool makes on the video device: implemented by the device's [`File`] and
/// by the host tests' fake.
pub trait CaptureDevice {
    /// VIDIOC_CREATE_BUFS: (first index, count created).
    fn create_bufs(&self, format: &v4l2::v4l2_format, count: u32) -> ioctl::Result<(u32, u32)>;
    /// VIDIOC_QUERYBUF and mmap of every memory plane of buffer `index`.
    fn map(&self, type_: u32, index: u32, mplane: bool) -> ioctl::Result<Vec<Mapping>>;
    /// VIDIOC_DQBUF: (index, flags).
    fn dqbuf(&self, type_: u32, mplane: bool) -> ioctl::Result<(u32, u32)>;
    fn streamoff(&self, type_: u32) -> ioctl::Result<()>;
    /// VIDIOC_REQBUFS.
    fn reqbufs(&self, type_: u32, count: u32) -> ioctl::Result<()>;
}

impl CaptureDevice for File {
    fn create_bufs(&self, format: &v4l2::v4l2_format, count: u32) -> ioctl::Result<(u32, u32)> {
        ioctl::create_bufs(self, format, count)
    }
    fn map(&self, type_: u32, index: u32, mplane: bool) -> ioctl::Result<Vec<Mapping>> {
        let mut b = ioctl::Buffer::new(type_, index, mplane);
        ioctl::querybuf(self, &mut b)?;
        (0..b.num_planes())
            .map(|p| {
                let (off, len) = b.plane_mapping(p);
                Mapping::new(self, off, len)
            })
            .collect()
    }
    fn dqbuf(&self, type_: u32, mplane: bool) -> ioctl::Result<(u32, u32)> {
        ioctl::dqbuf(self, type_, mplane).map(|b| (b.buf.index, b.buf.flags))
    }
    fn streamoff(&self, type_: u32) -> ioctl::Result<()> {
        ioctl::streamoff(self, type_)
    }
    fn reqbufs(&self, type_: u32, count: u32) -> ioctl::Result<()> {
        ioctl::reqbufs(self, type_, count).map(drop)
    }
}

#[no_mangle]
#[inline(never)]
pub extern "C" fn v4l2_request_capture_drain(buffers: u32, queued: u32) {
    std::hint::black_box((0xb1u32, buffers, queued));
}

#[no_mangle]
#[inline(never)]
pub extern "C" fn v4l2_request_capture_alloc(first: u32, count: u32, width: u32, height: u32) {
    std::hint::black_box((0xb2u32, first, count, width, height));
}

/// The pool's `buffers` buffers are freed (after STREAMOFF, before REQBUFS(0)); `ret` is
/// REQBUFS(0)'s result: 0, or the errno it failed with.
#[no_mangle]
#[inline(never)]
pub extern "C" fn v4l2_request_capture_free(buffers: u32, ret: i32) {
    std::hint::black_box((0xb3u32, buffers, ret));
}

pub struct CaptureBuf {
    pub index: u32,
    /// One mapping per memory plane.
    pub maps: Vec<Mapping>,
    /// Our dma-buf export of plane 0 (dup'ed to clients), made on first export.
    pub dmabuf: Option<OwnedFd>,
    pub surface: Option<va::VASurfaceID>,
    /// Owned by the kernel (queued, not dequeued yet).
    pub queued: bool,
    /// The last decode into it failed.
    pub error: bool,
}

/// Layout of the decoded NV12 frames.
#[derive(Debug, Clone, Copy, Default)]
pub struct Layout {
    pub width: u32,
    pub height: u32,
    pub bytesperline: u32,
    /// Offset of the CbCr plane from the start of the (first) buffer, or of plane 1 if separate.
    pub uv_offset: u32,
    /// Two memory planes (NV12M) rather than one.
    pub separate_planes: bool,
    pub size: u32,
}

pub struct CapturePool {
    pub bufs: Vec<CaptureBuf>,
    pub format: v4l2::v4l2_format,
    pub layout: Layout,
    pub mplane: bool,
    pub type_: u32,
}

impl CapturePool {
    pub fn new(format: v4l2::v4l2_format, mplane: bool) -> Self {
        let layout = layout_of(&format, mplane);
        CapturePool {
            bufs: Vec::new(),
            type_: format.type_,
            format,
            layout,
            mplane,
        }
    }

    /// The buffer bound to `surface`, binding a free one (or creating one) if needed.
    pub fn bind(
        &mut self,
        video: &impl CaptureDevice,
        surface: va::VASurfaceID,
    ) -> ioctl::Result<u32> {
        if let Some(b) = self.bufs.iter().find(|b| b.surface == Some(surface)) {
            return Ok(b.index);
        }
        if let Some(b) = self
            .bufs
            .iter_mut()
            .find(|b| b.surface.is_none() && !b.queued)
        {
            b.surface = Some(surface);
            return Ok(b.index);
        }
        self.grow(video, 1)?;
        let b = self.bufs.last_mut().ok_or(nix::errno::Errno::ENOMEM)?;
        b.surface = Some(surface);
        Ok(b.index)
    }

    /// Creates `count` more buffers.
    pub fn grow(&mut self, video: &impl CaptureDevice, count: u32) -> ioctl::Result<()> {
        let (first, n) = video.create_bufs(&self.format, count)?;
        v4l2_request_capture_alloc(first, n, self.layout.width, self.layout.height);
        for index in first..first + n {
            let maps = video.map(self.type_, index, self.mplane)?;
            self.bufs.push(CaptureBuf {
                index,
                maps,
                dmabuf: None,
                surface: None,
                queued: false,
                error: false,
            });
        }
        Ok(())
    }

    pub fn unbind(&mut self, surface: va::VASurfaceID) {
        for b in self.bufs.iter_mut().filter(|b| b.surface == Some(surface)) {
            b.surface = None;
        }
    }

    pub fn by_index(&mut self, index: u32) -> Option<&mut CaptureBuf> {
        self.bufs.iter_mut().find(|b| b.index == index)
    }

    /// Frees every buffer safely (see the module doc). The caller has stopped the OUTPUT side.
    pub fn drain(&mut self, video: &impl CaptureDevice) -> ioctl::Result<()> {
        let queued = self.bufs.iter().filter(|b| b.queued).count() as u32;
        v4l2_request_capture_drain(self.bufs.len() as u32, queued);
        // Dequeue what is done; STREAMOFF returns the rest.
        for _ in 0..queued {
            match video.dqbuf(self.type_, self.mplane) {
                Ok((index, _)) => {
                    if let Some(cb) = self.by_index(index) {
                        cb.queued = false;
                    }
                }
                Err(_) => break,
            }
        }
        video.streamoff(self.type_)?;
        // Drop mappings and exported fds: the kernel refuses REQBUFS(0) while they exist.
        let buffers = self.bufs.len() as u32;
        self.bufs.clear();
        let r = video.reqbufs(self.type_, 0);
        v4l2_request_capture_free(buffers, r.as_ref().err().map_or(0, |e| *e as i32));
        r?;
        Ok(())
    }
}

pub fn layout_of(f: &v4l2::v4l2_format, mplane: bool) -> Layout {
    if mplane {
        // SAFETY: `pix_mp` is the member G_FMT/S_FMT fill for *_MPLANE queues.
        let p = unsafe { f.fmt.pix_mp };
        let bpl = p.plane_fmt[0].bytesperline;
        let separate = p.num_planes > 1;
        Layout {
            width: p.width,
            height: p.height,
            bytesperline: bpl,
            uv_offset: if separate { 0 } else { bpl * p.height },
            separate_planes: separate,
            size: p.plane_fmt[0].sizeimage
                + if separate {
                    p.plane_fmt[1].sizeimage
                } else {
                    0
                },
        }
    } else {
        // SAFETY: `pix` is the member G_FMT/S_FMT fill for single-planar queues.
        let p = unsafe { f.fmt.pix };
        Layout {
            width: p.width,
            height: p.height,
            bytesperline: p.bytesperline,
            uv_offset: p.bytesperline * p.height,
            separate_planes: false,
            size: p.sizeimage,
        }
    }
}

#[cfg(test)]
mod tests {
    //! The pool's binding and drain order on the host, through a fake video device that
    //! records the calls it gets. (Whether the kernel really answers EBUSY to a REQBUFS(0)
    //! with buffers still mapped is what the test-bed's probe-pattern test checks.)

    use super::*;
    use nix::errno::Errno;
    use std::cell::RefCell;

    #[derive(Default)]
    struct FakeVideo {
        calls: RefCell<Vec<String>>,
        /// Indexes the kernel has finished with, in completion order.
        done: RefCell<Vec<u32>>,
        next: RefCell<u32>,
    }

    impl CaptureDevice for FakeVideo {
        fn create_bufs(&self, _f: &v4l2::v4l2_format, count: u32) -> ioctl::Result<(u32, u32)> {
            self.calls.borrow_mut().push(format!("CREATE_BUFS {count}"));
            let first = *self.next.borrow();
            *self.next.borrow_mut() += count;
            Ok((first, count))
        }
        fn map(&self, _t: u32, index: u32, _mplane: bool) -> ioctl::Result<Vec<Mapping>> {
            self.calls.borrow_mut().push(format!("QUERYBUF {index}"));
            Ok(vec![Mapping::anonymous(4096)?])
        }
        fn dqbuf(&self, _t: u32, _mplane: bool) -> ioctl::Result<(u32, u32)> {
            let mut done = self.done.borrow_mut();
            if done.is_empty() {
                self.calls.borrow_mut().push("DQBUF EAGAIN".into());
                return Err(Errno::EAGAIN);
            }
            let i = done.remove(0);
            self.calls.borrow_mut().push(format!("DQBUF {i}"));
            Ok((i, 0))
        }
        fn streamoff(&self, _t: u32) -> ioctl::Result<()> {
            self.calls.borrow_mut().push("STREAMOFF".into());
            Ok(())
        }
        fn reqbufs(&self, _t: u32, count: u32) -> ioctl::Result<()> {
            self.calls.borrow_mut().push(format!("REQBUFS {count}"));
            Ok(())
        }
    }

    fn pool() -> CapturePool {
        let mut f: v4l2::v4l2_format = ioctl::zeroed();
        f.type_ = v4l2::v4l2_buf_type_V4L2_BUF_TYPE_VIDEO_CAPTURE;
        CapturePool::new(f, false)
    }

    #[test]
    fn bind_reuses_free_buffers_before_creating_more() {
        let v = FakeVideo::default();
        let mut p = pool();
        p.grow(&v, 2).unwrap();
        assert_eq!(p.bind(&v, 0x400_0001).unwrap(), 0);
        assert_eq!(
            p.bind(&v, 0x400_0001).unwrap(),
            0,
            "same surface, same buffer"
        );
        assert_eq!(p.bind(&v, 0x400_0002).unwrap(), 1);
        // A queued buffer is not free even when unbound.
        p.by_index(0).unwrap().queued = true;
        p.unbind(0x400_0001);
        assert_eq!(p.bind(&v, 0x400_0003).unwrap(), 2);
        assert_eq!(
            *v.calls.borrow(),
            [
                "CREATE_BUFS 2",
                "QUERYBUF 0",
                "QUERYBUF 1",
                "CREATE_BUFS 1",
                "QUERYBUF 2"
            ]
        );
    }

    #[test]
    fn drain_dequeues_what_is_done_then_stops_then_frees() {
        let v = FakeVideo::default();
        let mut p = pool();
        p.grow(&v, 3).unwrap();
        for i in [0, 2] {
            p.by_index(i).unwrap().queued = true;
        }
        v.done.borrow_mut().push(2);
        v.calls.borrow_mut().clear();
        p.drain(&v).unwrap();
        assert_eq!(
            *v.calls.borrow(),
            ["DQBUF 2", "DQBUF EAGAIN", "STREAMOFF", "REQBUFS 0"]
        );
        assert!(p.bufs.is_empty());
    }
}
