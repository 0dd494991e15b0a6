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
    pub fn bind(&mut self, video: &File, surface: va::VASurfaceID) -> ioctl::Result<u32> {
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
        let b = self.bufs.last_mut().unwrap();
        b.surface = Some(surface);
        Ok(b.index)
    }

    /// Creates `count` more buffers.
    pub fn grow(&mut self, video: &File, count: u32) -> ioctl::Result<()> {
        let (first, n) = ioctl::create_bufs(video, &self.format, count)?;
        v4l2_request_capture_alloc(first, n, self.layout.width, self.layout.height);
        for index in first..first + n {
            let mut b = ioctl::Buffer::new(self.type_, index, self.mplane);
            ioctl::querybuf(video, &mut b)?;
            let maps = (0..b.num_planes())
                .map(|p| {
                    let (off, len) = b.plane_mapping(p);
                    Mapping::new(video, off, len)
                })
                .collect::<ioctl::Result<Vec<_>>>()?;
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
    pub fn drain(&mut self, video: &File) -> ioctl::Result<()> {
        let queued = self.bufs.iter().filter(|b| b.queued).count() as u32;
        v4l2_request_capture_drain(self.bufs.len() as u32, queued);
        // Dequeue what is done; STREAMOFF returns the rest.
        for _ in 0..queued {
            match ioctl::dqbuf(video, self.type_, self.mplane) {
                Ok(b) => {
                    if let Some(cb) = self.by_index(b.buf.index) {
                        cb.queued = false;
                    }
                }
                Err(_) => break,
            }
        }
        ioctl::streamoff(video, self.type_)?;
        // Drop mappings and exported fds: the kernel refuses REQBUFS(0) while they exist.
        self.bufs.clear();
        ioctl::reqbufs(video, self.type_, 0)?;
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
