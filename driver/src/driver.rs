//! Per-display driver state (behind `pDriverData`) and the VA operations on it: configs,
//! surfaces, contexts, buffers, pictures, sync, images and export. One mutex per display
//! serialises the client's threads; several displays each have their own [`Driver`].

use std::os::fd::AsRawFd;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use crate::capture_pool::Layout;
use crate::discovery::{self, DecoderNode};
use crate::h264::controls::{self as h264c, SurfaceTimestamps};
use crate::h264::slice_header::{self, SliceHeader, SLICE_B, SLICE_P, SLICE_SP};
use crate::ioctl::{self, Ctrl};
use crate::objects::*;
use crate::session::{self, Session};
use crate::va::{self, VaError, VaResult};

use v4l2r::bindings as v4l2;

pub const H264_PROFILES: [va::VAProfile; 3] = [
    va::VAProfileH264ConstrainedBaseline,
    va::VAProfileH264Main,
    va::VAProfileH264High,
];

pub struct Config {
    pub profile: va::VAProfile,
    pub entrypoint: va::VAEntrypoint,
}

pub struct Surface {
    pub width: u32,
    pub height: u32,
    /// (session index, CAPTURE buffer index) once bound.
    pub binding: Option<(usize, u32)>,
    /// Timestamp (µs) of the last decode into it: its name as a reference.
    pub timestamp_us: Option<u64>,
}

/// The picture being assembled between BeginPicture and EndPicture.
#[derive(Default)]
pub struct Picture {
    pub target: Option<va::VASurfaceID>,
    pub timestamp_us: u64,
    pub pic_param: Option<va::VAPictureParameterBufferH264>,
    pub iq: Option<va::VAIQMatrixBufferH264>,
    /// Slice parameters of the last slice-parameter buffer (reused allocation).
    pub slice_params: Vec<va::VASliceParameterBufferH264>,
    /// Slot being filled and the slice it holds (slice-based mode) or the first slice
    /// (frame-based mode).
    pub slot: Option<usize>,
    pub slot_slice: Option<(va::VASliceParameterBufferH264, SliceHeader)>,
    pub first_header: Option<SliceHeader>,
    pub capture_queued: bool,
    pub failed: bool,
}

pub struct Context {
    pub config: va::VAConfigID,
    pub session: usize,
    pub profile: va::VAProfile,
    pub pic: Picture,
    /// The PPS's default active reference counts, learned from slices without an override.
    pub num_ref_idx_default: (u8, u8),
    /// The client's POC offset, learned at each IDR (see `h264::controls::poc_base`).
    pub poc_base: i32,
}

pub enum BufferData {
    Owned(Vec<u8>),
    /// An image derived from a surface: maps onto the CAPTURE buffer itself.
    Derived(va::VASurfaceID),
}

pub struct Buffer {
    pub type_: va::VABufferType,
    pub size: u32,
    pub num_elements: u32,
    pub data: BufferData,
}

pub struct Image {
    pub image: va::VAImage,
    pub derived_from: Option<va::VASurfaceID>,
}

pub struct State {
    pub nodes: Vec<DecoderNode>,
    pub configs: Objects<Config>,
    pub surfaces: Objects<Surface>,
    pub contexts: Objects<Context>,
    pub buffers: Objects<Buffer>,
    pub images: Objects<Image>,
    pub sessions: Vec<Option<Session>>,
    next_timestamp_us: u64,
    /// Data of destroyed images, reused by vaCreateImage (FFmpeg creates and destroys one
    /// image per downloaded frame): no allocation and zeroing per frame.
    image_data_pool: Vec<Vec<u8>>,
    /// Data of destroyed buffers, reused by vaCreateBuffer (FFmpeg creates and destroys four
    /// per picture): malloc/free of varying sizes cost more than the copy VA-API demands.
    buffer_data_pool: Vec<Vec<u8>>,
}

const IMAGE_DATA_POOL: usize = 4;
const BUFFER_DATA_POOL: usize = 16;
/// Larger buffers go back to the allocator rather than stay pooled.
const BUFFER_DATA_POOL_MAX_BYTES: usize = 8 << 20;

pub struct Driver {
    pub state: Mutex<State>,
}

struct Timestamps<'a>(&'a Objects<Surface>);

impl SurfaceTimestamps for Timestamps<'_> {
    fn timestamp_ns(&self, s: va::VASurfaceID) -> Option<u64> {
        self.0.get(s)?.timestamp_us.map(|t| t * 1000)
    }
}

fn coded_format(profile: va::VAProfile) -> Option<u32> {
    H264_PROFILES
        .contains(&profile)
        .then_some(discovery::PIX_FMT_H264_SLICE)
}

/// Copies the CAPTURE side `cap` into the image side `img` (`vaGetImage`) or back (`vaPutImage`).
fn copy_between(cap: &mut [u8], img: &mut [u8], to_image: bool) {
    if to_image {
        img.copy_from_slice(cap);
    } else {
        cap.copy_from_slice(img);
    }
}

impl Default for Driver {
    fn default() -> Self {
        Self::new()
    }
}

impl Driver {
    pub fn new() -> Driver {
        let nodes = discovery::find_decoders();
        Driver {
            state: Mutex::new(State {
                nodes,
                configs: Objects::new(CONFIG_BASE),
                surfaces: Objects::new(SURFACE_BASE),
                contexts: Objects::new(CONTEXT_BASE),
                buffers: Objects::new(BUFFER_BASE),
                images: Objects::new(IMAGE_BASE),
                sessions: Vec::new(),
                next_timestamp_us: 0,
                image_data_pool: Vec::new(),
                buffer_data_pool: Vec::new(),
            }),
        }
    }

    /// The display's state, or VA_STATUS_ERROR_OPERATION_FAILED once a panic (caught at the
    /// entry point) has poisoned the lock: the state may then be half-updated, so no later
    /// call trusts it; vaTerminate, which does not lock, still frees everything.
    pub fn lock(&self) -> VaResult<std::sync::MutexGuard<'_, State>> {
        self.state.lock().map_err(|_| {
            log::error!(
                "driver state poisoned by an earlier panic: VA_STATUS_ERROR_OPERATION_FAILED"
            );
            VaError::VA_STATUS_ERROR_OPERATION_FAILED
        })
    }
}

impl State {
    pub fn node_for(&self, fmt: u32) -> Option<&DecoderNode> {
        self.nodes.iter().find(|n| n.supports(fmt))
    }

    pub fn profiles(&self) -> Vec<va::VAProfile> {
        if self.node_for(discovery::PIX_FMT_H264_SLICE).is_some() {
            H264_PROFILES.to_vec()
        } else {
            Vec::new()
        }
    }

    // ---- configs ----

    pub fn create_config(
        &mut self,
        profile: va::VAProfile,
        entrypoint: va::VAEntrypoint,
    ) -> VaResult<u32> {
        if !self.profiles().contains(&profile) {
            return Err(VaError::VA_STATUS_ERROR_UNSUPPORTED_PROFILE);
        }
        if entrypoint != va::VAEntrypointVLD {
            return Err(VaError::VA_STATUS_ERROR_UNSUPPORTED_ENTRYPOINT);
        }
        Ok(self.configs.insert(Config {
            profile,
            entrypoint,
        }))
    }

    // ---- surfaces ----

    pub fn create_surfaces(&mut self, width: u32, height: u32, out: &mut [va::VASurfaceID]) {
        for s in out.iter_mut() {
            *s = self.surfaces.insert(Surface {
                width,
                height,
                binding: None,
                timestamp_us: None,
            });
        }
    }

    pub fn destroy_surface(&mut self, id: va::VASurfaceID) -> VaResult<()> {
        let s = self
            .surfaces
            .remove(id)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_SURFACE)?;
        if let Some((si, idx)) = s.binding {
            if let Some(sess) = self.sessions.get_mut(si).and_then(Option::as_mut) {
                sess.wait_capture(idx);
                sess.capture.unbind(id);
            }
        }
        Ok(())
    }

    /// Waits for the surface's pending decode. Err(DECODING_ERROR) if it failed.
    pub fn sync_surface(&mut self, id: va::VASurfaceID) -> VaResult<()> {
        let s = self
            .surfaces
            .get(id)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_SURFACE)?;
        let Some((si, idx)) = s.binding else {
            return Ok(());
        };
        let sess = self
            .sessions
            .get_mut(si)
            .and_then(Option::as_mut)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_SURFACE)?;
        if !sess.wait_capture(idx) {
            log::error!("surface {id:#x}: decode did not complete");
            return Err(VaError::VA_STATUS_ERROR_DECODING_ERROR);
        }
        if sess.capture.by_index(idx).is_some_and(|b| b.error) {
            log::warn!("surface {id:#x}: the decoder flagged an error");
        }
        Ok(())
    }

    pub fn surface_busy(&mut self, id: va::VASurfaceID) -> VaResult<bool> {
        let s = self
            .surfaces
            .get(id)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_SURFACE)?;
        let Some((si, idx)) = s.binding else {
            return Ok(false);
        };
        let Some(sess) = self.sessions.get_mut(si).and_then(Option::as_mut) else {
            return Ok(false);
        };
        let _ = sess.dequeue_ready();
        Ok(sess.capture.by_index(idx).is_some_and(|b| b.queued))
    }

    /// The surface's session and CAPTURE layout, if bound.
    fn bound(&mut self, id: va::VASurfaceID) -> VaResult<(usize, u32, Layout)> {
        let s = self
            .surfaces
            .get(id)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_SURFACE)?;
        let (si, idx) = s.binding.ok_or(VaError::VA_STATUS_ERROR_OPERATION_FAILED)?;
        let sess = self
            .sessions
            .get(si)
            .and_then(Option::as_ref)
            .ok_or(VaError::VA_STATUS_ERROR_OPERATION_FAILED)?;
        Ok((si, idx, sess.capture.layout))
    }

    // ---- contexts ----

    pub fn create_context(
        &mut self,
        config: va::VAConfigID,
        width: u32,
        height: u32,
        targets: &[va::VASurfaceID],
    ) -> VaResult<u32> {
        let profile = self
            .configs
            .get(config)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_CONFIG)?
            .profile;
        let fmt = coded_format(profile).ok_or(VaError::VA_STATUS_ERROR_UNSUPPORTED_PROFILE)?;
        let node = self
            .node_for(fmt)
            .ok_or(VaError::VA_STATUS_ERROR_UNSUPPORTED_PROFILE)?
            .clone();
        let cfg = session::Config {
            coded_format: fmt,
            width,
            height,
        };
        let si = self.session_for(&node, cfg)?;
        // Bind the render targets now (CAPTURE is allocated here, after the coded format is
        // set: visl/cedrus refuse OUTPUT S_FMT while CAPTURE has buffers).
        let sess = self.sessions[si].as_mut().unwrap();
        let unbound: Vec<va::VASurfaceID> = targets
            .iter()
            .copied()
            .filter(|t| {
                self.surfaces
                    .get(*t)
                    .is_some_and(|s| s.binding.map(|b| b.0) != Some(si))
            })
            .collect();
        let free = sess
            .capture
            .bufs
            .iter()
            .filter(|b| b.surface.is_none() && !b.queued)
            .count();
        if unbound.len() > free {
            sess.capture
                .grow(&sess.video, (unbound.len() - free) as u32)
                .map_err(|e| {
                    log::error!("CREATE_BUFS(CAPTURE, {}): {e}", unbound.len() - free);
                    VaError::VA_STATUS_ERROR_ALLOCATION_FAILED
                })?;
        }
        for t in unbound {
            self.bind_surface(t, si)?;
        }
        self.sessions[si].as_mut().unwrap().in_use = true;
        Ok(self.contexts.insert(Context {
            config,
            session: si,
            profile,
            pic: Picture::default(),
            num_ref_idx_default: (0, 0),
            poc_base: 0,
        }))
    }

    /// An idle session with this configuration; else an idle one no live surface uses,
    /// reconfigured (its CAPTURE pool drained first); else a new one. A session whose buffers
    /// still hold frames of live surfaces is never reconfigured: the client may still read them
    /// (FFmpeg downloads frames of the old size after creating the new context).
    fn session_for(&mut self, node: &DecoderNode, cfg: session::Config) -> VaResult<usize> {
        let idle = |s: &Option<Session>| {
            s.as_ref()
                .is_some_and(|s| !s.in_use && s.node.video_path == node.video_path)
        };
        if let Some(i) = self
            .sessions
            .iter()
            .position(|s| idle(s) && s.as_ref().unwrap().config == cfg)
        {
            return Ok(i);
        }
        let unused = |i: usize| {
            !self
                .surfaces
                .iter()
                .any(|(_, s)| s.binding.is_some_and(|b| b.0 == i))
        };
        if let Some(i) = (0..self.sessions.len()).find(|&i| idle(&self.sessions[i]) && unused(i)) {
            let sess = self.sessions[i].as_mut().unwrap();
            match sess.reconfigure(cfg) {
                Ok(()) => return Ok(i),
                Err(e) => {
                    log::warn!("reconfiguring the idle session failed ({e}); opening a new one");
                    self.sessions[i] = None;
                }
            }
        }
        let s = Session::open(node, cfg).map_err(|_| VaError::VA_STATUS_ERROR_OPERATION_FAILED)?;
        if let Some(i) = self.sessions.iter().position(Option::is_none) {
            self.sessions[i] = Some(s);
            Ok(i)
        } else {
            self.sessions.push(Some(s));
            Ok(self.sessions.len() - 1)
        }
    }

    fn bind_surface(&mut self, id: va::VASurfaceID, si: usize) -> VaResult<u32> {
        let s = self
            .surfaces
            .get_mut(id)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_SURFACE)?;
        if let Some((old, idx)) = s.binding {
            if old == si {
                return Ok(idx);
            }
            if let Some(o) = self.sessions.get_mut(old).and_then(Option::as_mut) {
                o.wait_capture(idx);
                o.capture.unbind(id);
            }
        }
        let sess = self.sessions[si]
            .as_mut()
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_CONTEXT)?;
        let idx = sess.capture.bind(&sess.video, id).map_err(|e| {
            log::error!("binding surface {id:#x} to a CAPTURE buffer: {e}");
            VaError::VA_STATUS_ERROR_ALLOCATION_FAILED
        })?;
        let s = self.surfaces.get_mut(id).unwrap();
        s.binding = Some((si, idx));
        s.timestamp_us = None;
        Ok(idx)
    }

    pub fn destroy_context(&mut self, id: va::VAContextID) -> VaResult<()> {
        let c = self
            .contexts
            .remove(id)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_CONTEXT)?;
        if let Some(sess) = self.sessions.get_mut(c.session).and_then(Option::as_mut) {
            if let Some(slot) = c.pic.slot {
                sess.output.release(slot, &sess.media);
            }
            sess.sync_all();
            sess.in_use = false;
        }
        Ok(())
    }

    // ---- buffers ----

    /// `data`: the client's initial contents (`size * num` bytes), if any.
    pub fn create_buffer(
        &mut self,
        type_: va::VABufferType,
        size: u32,
        num: u32,
        data: Option<&[u8]>,
    ) -> VaResult<u32> {
        let len = size as usize * num as usize;
        // The smallest pooled allocation that holds `len` bytes, else a new one.
        let mut v = self
            .buffer_data_pool
            .iter()
            .enumerate()
            .filter(|(_, v)| v.capacity() >= len)
            .min_by_key(|(_, v)| v.capacity())
            .map(|(i, _)| i)
            .map(|i| self.buffer_data_pool.swap_remove(i))
            .unwrap_or_else(|| Vec::with_capacity(len));
        v.clear();
        match data {
            Some(d) => v.extend_from_slice(d),
            None => v.resize(len, 0),
        }
        Ok(self.buffers.insert(Buffer {
            type_,
            size,
            num_elements: num,
            data: BufferData::Owned(v),
        }))
    }

    pub fn destroy_buffer(&mut self, id: va::VABufferID) -> VaResult<()> {
        let b = self
            .buffers
            .remove(id)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_BUFFER)?;
        if let BufferData::Owned(v) = b.data {
            if v.capacity() <= BUFFER_DATA_POOL_MAX_BYTES {
                if self.buffer_data_pool.len() == BUFFER_DATA_POOL {
                    // Drop the smallest: the large ones are the costly ones to allocate.
                    let smallest = (0..BUFFER_DATA_POOL)
                        .min_by_key(|&i| self.buffer_data_pool[i].capacity())
                        .unwrap();
                    self.buffer_data_pool.swap_remove(smallest);
                }
                self.buffer_data_pool.push(v);
            }
        }
        Ok(())
    }

    pub fn map_buffer(&mut self, id: va::VABufferID) -> VaResult<*mut u8> {
        let b = self
            .buffers
            .get(id)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_BUFFER)?;
        match &b.data {
            BufferData::Owned(_) => {
                let Some(Buffer {
                    data: BufferData::Owned(v),
                    ..
                }) = self.buffers.get_mut(id)
                else {
                    unreachable!()
                };
                Ok(v.as_mut_ptr())
            }
            &BufferData::Derived(surface) => {
                self.sync_surface(surface)?;
                let (si, idx, _) = self.bound(surface)?;
                let sess = self.sessions[si].as_mut().unwrap();
                let cb = sess
                    .capture
                    .by_index(idx)
                    .ok_or(VaError::VA_STATUS_ERROR_INVALID_BUFFER)?;
                if let Some(fd) = &cb.dmabuf {
                    let _ = ioctl::dma_buf_sync(fd, false);
                }
                Ok(cb.maps[0].as_ptr())
            }
        }
    }

    pub fn unmap_buffer(&mut self, id: va::VABufferID) -> VaResult<()> {
        let b = self
            .buffers
            .get(id)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_BUFFER)?;
        if let BufferData::Derived(surface) = b.data {
            if let Ok((si, idx, _)) = self.bound(surface) {
                if let Some(cb) = self.sessions[si].as_mut().unwrap().capture.by_index(idx) {
                    if let Some(fd) = &cb.dmabuf {
                        let _ = ioctl::dma_buf_sync(fd, true);
                    }
                }
            }
        }
        Ok(())
    }

    // ---- decoding ----

    pub fn begin_picture(&mut self, ctx: va::VAContextID, target: va::VASurfaceID) -> VaResult<()> {
        let si = self
            .contexts
            .get(ctx)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_CONTEXT)?
            .session;
        if self.surfaces.get(target).is_none() {
            return Err(VaError::VA_STATUS_ERROR_INVALID_SURFACE);
        }
        let idx = self.bind_surface(target, si)?;
        // The target must not still be decoding (or held by the kernel).
        self.sessions[si].as_mut().unwrap().wait_capture(idx);
        // Decode index in µs, from 0: the same reference timestamps GStreamer uses.
        let ts = self.next_timestamp_us;
        self.next_timestamp_us += 1;
        let c = self.contexts.get_mut(ctx).unwrap();
        if let Some(slot) = c.pic.slot.take() {
            let sess = self.sessions[si].as_mut().unwrap();
            sess.output.release(slot, &sess.media);
        }
        let mut slice_params = std::mem::take(&mut c.pic.slice_params);
        slice_params.clear();
        c.pic = Picture {
            target: Some(target),
            timestamp_us: ts,
            slice_params,
            ..Default::default()
        };
        Ok(())
    }

    pub fn render_picture(
        &mut self,
        ctx: va::VAContextID,
        buffers: &[va::VABufferID],
    ) -> VaResult<()> {
        for &bid in buffers {
            let b = self
                .buffers
                .get(bid)
                .ok_or(VaError::VA_STATUS_ERROR_INVALID_BUFFER)?;
            let BufferData::Owned(data) = &b.data else {
                return Err(VaError::VA_STATUS_ERROR_INVALID_BUFFER);
            };
            let c = self
                .contexts
                .get_mut(ctx)
                .ok_or(VaError::VA_STATUS_ERROR_INVALID_CONTEXT)?;
            match b.type_ {
                va::VAPictureParameterBufferType => {
                    c.pic.pic_param = Some(
                        ioctl::read_plain(data, 0)
                            .ok_or(VaError::VA_STATUS_ERROR_INVALID_BUFFER)?,
                    );
                }
                va::VAIQMatrixBufferType => {
                    c.pic.iq = Some(
                        ioctl::read_plain(data, 0)
                            .ok_or(VaError::VA_STATUS_ERROR_INVALID_BUFFER)?,
                    );
                }
                va::VASliceParameterBufferType => {
                    c.pic.slice_params.clear();
                    for i in 0..b.num_elements as usize {
                        let sp = ioctl::read_plain(data, i)
                            .ok_or(VaError::VA_STATUS_ERROR_INVALID_BUFFER)?;
                        c.pic.slice_params.push(sp);
                    }
                }
                va::VASliceDataBufferType => {
                    // Moved out and back so `self` can be borrowed mutably meanwhile; put back
                    // before a panic goes on unwinding, so the client's buffer is never lost.
                    let b = self
                        .buffers
                        .remove(bid)
                        .ok_or(VaError::VA_STATUS_ERROR_INVALID_BUFFER)?;
                    let r = catch_unwind(AssertUnwindSafe(|| match &b.data {
                        BufferData::Owned(data) => self.add_slice_data(ctx, data),
                        _ => Ok(()),
                    }));
                    self.buffers_put_back(bid, b);
                    let r = r.unwrap_or_else(|p| resume_unwind(p));
                    if let Err(e) = r {
                        if let Some(c) = self.contexts.get_mut(ctx) {
                            c.pic.failed = true;
                        }
                        return Err(e);
                    }
                }
                t => log::debug!("ignoring buffer type {t}"),
            }
        }
        Ok(())
    }

    fn buffers_put_back(&mut self, id: u32, b: Buffer) {
        // Re-insert under the same ID.
        self.buffers.restore(id, b);
    }

    fn add_slice_data(&mut self, ctx: va::VAContextID, data: &[u8]) -> VaResult<()> {
        let c = self
            .contexts
            .get_mut(ctx)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_CONTEXT)?;
        let si = c.session;
        let pp = c
            .pic
            .pic_param
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_PARAMETER)?;
        let slices = std::mem::take(&mut c.pic.slice_params);
        let mut result = Ok(());
        for sp in &slices {
            let off = sp.slice_data_offset as usize;
            let Some(nal) = data.get(off..off + sp.slice_data_size as usize) else {
                result = Err(VaError::VA_STATUS_ERROR_INVALID_BUFFER);
                break;
            };
            let header = match slice_header::parse(nal, &h264c::parse_params(&pp, sp)) {
                Ok(h) => h,
                Err(_) => {
                    log::warn!("slice header parse failed; using VA values only");
                    SliceHeader {
                        slice_type: sp.slice_type as u32 % 5,
                        ..Default::default()
                    }
                }
            };
            let c = self.contexts.get_mut(ctx).unwrap();
            let t = header.slice_type;
            if (t == SLICE_P || t == SLICE_SP || t == SLICE_B)
                && !header.num_ref_idx_active_override
            {
                c.num_ref_idx_default.0 = sp.num_ref_idx_l0_active_minus1;
                if t == SLICE_B {
                    c.num_ref_idx_default.1 = sp.num_ref_idx_l1_active_minus1;
                }
            }
            if c.pic.first_header.is_none() {
                c.pic.first_header = Some(header);
            }
            let frame_based = self.sessions[si].as_ref().unwrap().frame_based;
            if !frame_based && self.contexts.get(ctx).unwrap().pic.slot.is_some() {
                // Slice-based: the previous slice goes out now, holding the CAPTURE buffer.
                if let Err(e) = self.submit(ctx, true) {
                    result = Err(e);
                    break;
                }
            }
            let c = self.contexts.get_mut(ctx).unwrap();
            let sess = self.sessions[si].as_mut().unwrap();
            let slot = match c.pic.slot {
                Some(s) => s,
                None => match sess.acquire_slot() {
                    Some(s) => {
                        c.pic.slot = Some(s);
                        c.pic.slot_slice = Some((*sp, header));
                        s
                    }
                    None => {
                        result = Err(VaError::VA_STATUS_ERROR_OPERATION_FAILED);
                        break;
                    }
                },
            };
            let annex_b = sess.annex_b;
            let s = &mut sess.output.slots[slot];
            let start: &[u8] = if annex_b { &[0, 0, 1] } else { &[] };
            let need = start.len() + nal.len();
            let buf = s.map.as_mut_slice();
            if s.used + need > buf.len() {
                log::error!(
                    "bitstream of {} bytes does not fit the OUTPUT buffer ({})",
                    s.used + need,
                    buf.len()
                );
                result = Err(VaError::VA_STATUS_ERROR_NOT_ENOUGH_BUFFER);
                break;
            }
            buf[s.used..s.used + start.len()].copy_from_slice(start);
            buf[s.used + start.len()..s.used + need].copy_from_slice(nal);
            s.used += need;
        }
        let c = self.contexts.get_mut(ctx).unwrap();
        c.pic.slice_params = slices;
        result
    }

    /// Sends the context's current slot: controls, bitstream, request.
    fn submit(&mut self, ctx: va::VAContextID, hold_capture: bool) -> VaResult<()> {
        let State {
            contexts,
            surfaces,
            sessions,
            ..
        } = self;
        let c = contexts
            .get_mut(ctx)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_CONTEXT)?;
        let slot = c
            .pic
            .slot
            .take()
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_PARAMETER)?;
        let (sp, sh) = c
            .pic
            .slot_slice
            .take()
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_PARAMETER)?;
        let pp = c
            .pic
            .pic_param
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_PARAMETER)?;
        let first = c.pic.first_header.unwrap_or(sh);
        let target = c
            .pic
            .target
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_SURFACE)?;
        let (_, cap) = surfaces
            .get(target)
            .and_then(|s| s.binding)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_SURFACE)?;
        let sess = sessions[c.session]
            .as_mut()
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_CONTEXT)?;
        let ts = Timestamps(surfaces);

        let iq_present = c.pic.iq.as_ref().is_some_and(|iq| !h264c::is_flat(iq));
        let mut sps = h264c::sps(c.profile, &pp);
        let mut pps = h264c::pps(&pp, &first, c.num_ref_idx_default, iq_present);
        if let Some(base) = h264c::poc_base(&pp, &first) {
            c.poc_base = base;
        }
        let mut dp = h264c::decode_params(&pp, &first, &ts, c.poc_base);
        let mut sm = c.pic.iq.as_ref().map(h264c::scaling_matrix).unwrap_or(
            v4l2::v4l2_ctrl_h264_scaling_matrix {
                scaling_list_4x4: [[16; 16]; 6],
                scaling_list_8x8: [[16; 64]; 6],
            },
        );
        let mut slp = h264c::slice_params(&sp, &sh, &dp.dpb, &ts);
        let mut pw = h264c::pred_weights(
            &sp,
            h264c::needs_pred_weights(&pp, sh.slice_type),
            sh.slice_type,
        );
        crate::h264::corrupt::apply(&mut sps, &mut pps, &mut dp, &mut slp);
        let frame_based = sess.frame_based;
        let mut ctrls: [Ctrl; 6] = [
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_H264_SPS, &mut sps),
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_H264_PPS, &mut pps),
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_H264_SCALING_MATRIX, &mut sm),
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_H264_DECODE_PARAMS, &mut dp),
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_H264_SLICE_PARAMS, &mut slp),
            Ctrl::compound(v4l2::V4L2_CID_STATELESS_H264_PRED_WEIGHTS, &mut pw),
        ];
        // Frame-based devices parse slices themselves; slice-based ones get both per slice.
        let n = if frame_based { 4 } else { 6 };
        let queue_capture = !c.pic.capture_queued;
        let r = sess.submit(
            slot,
            cap,
            queue_capture,
            c.pic.timestamp_us,
            hold_capture,
            &mut ctrls[..n],
        );
        c.pic.capture_queued = true;
        r.map_err(|_| VaError::VA_STATUS_ERROR_OPERATION_FAILED)
    }

    pub fn end_picture(&mut self, ctx: va::VAContextID) -> VaResult<()> {
        let c = self
            .contexts
            .get_mut(ctx)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_CONTEXT)?;
        let target = c
            .pic
            .target
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_SURFACE)?;
        let ts = c.pic.timestamp_us;
        if c.pic.failed || c.pic.slot.is_none() {
            if let Some(slot) = c.pic.slot.take() {
                let si = c.session;
                let sess = self.sessions[si].as_mut().unwrap();
                sess.output.release(slot, &sess.media);
            }
            return Err(VaError::VA_STATUS_ERROR_DECODING_ERROR);
        }
        let r = self.submit(ctx, false);
        if let Some(s) = self.surfaces.get_mut(target) {
            s.timestamp_us = Some(ts);
        }
        r
    }

    // ---- images ----

    pub fn create_image(
        &mut self,
        format: &va::VAImageFormat,
        width: u32,
        height: u32,
    ) -> VaResult<va::VAImage> {
        if format.fourcc != va::FOURCC_NV12 {
            return Err(VaError::VA_STATUS_ERROR_INVALID_IMAGE_FORMAT);
        }
        let (w, h) = ((width + 1) & !1, (height + 1) & !1);
        let size = w * h * 3 / 2;
        let data = match self
            .image_data_pool
            .iter()
            .position(|v| v.len() == size as usize)
        {
            Some(i) => self.image_data_pool.swap_remove(i),
            None => vec![0; size as usize],
        };
        let buf = self.buffers.insert(Buffer {
            type_: va::VAImageBufferType,
            size,
            num_elements: 1,
            data: BufferData::Owned(data),
        });
        let mut image: va::VAImage = ioctl::zeroed();
        image.format = *format;
        image.buf = buf;
        image.width = width as u16;
        image.height = height as u16;
        image.data_size = size;
        image.num_planes = 2;
        image.pitches[0] = w;
        image.pitches[1] = w;
        image.offsets[1] = w * h;
        let id = self.images.insert(Image {
            image,
            derived_from: None,
        });
        let img = &mut self.images.get_mut(id).unwrap().image;
        img.image_id = id;
        Ok(*img)
    }

    pub fn derive_image(&mut self, surface: va::VASurfaceID) -> VaResult<va::VAImage> {
        let (width, height) = {
            let s = self
                .surfaces
                .get(surface)
                .ok_or(VaError::VA_STATUS_ERROR_INVALID_SURFACE)?;
            (s.width, s.height)
        };
        let (_, _, layout) = self.bound(surface)?;
        if layout.separate_planes {
            return Err(VaError::VA_STATUS_ERROR_OPERATION_FAILED);
        }
        let buf = self.buffers.insert(Buffer {
            type_: va::VAImageBufferType,
            size: layout.size,
            num_elements: 1,
            data: BufferData::Derived(surface),
        });
        let mut image: va::VAImage = ioctl::zeroed();
        image.format = nv12_format();
        image.buf = buf;
        image.width = width as u16;
        image.height = height as u16;
        image.data_size = layout.size;
        image.num_planes = 2;
        image.pitches[0] = layout.bytesperline;
        image.pitches[1] = layout.bytesperline;
        image.offsets[1] = layout.uv_offset;
        let id = self.images.insert(Image {
            image,
            derived_from: Some(surface),
        });
        let img = &mut self.images.get_mut(id).unwrap().image;
        img.image_id = id;
        Ok(*img)
    }

    pub fn destroy_image(&mut self, id: va::VAImageID) -> VaResult<()> {
        let img = self
            .images
            .remove(id)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_IMAGE)?;
        if let Some(Buffer {
            data: BufferData::Owned(v),
            ..
        }) = self.buffers.remove(img.image.buf)
        {
            if self.image_data_pool.len() == IMAGE_DATA_POOL {
                self.image_data_pool.remove(0);
            }
            self.image_data_pool.push(v);
        }
        Ok(())
    }

    /// Copies a surface region into an image (`to_image`) or an image into a surface.
    pub fn copy_image(
        &mut self,
        surface: va::VASurfaceID,
        image: va::VAImageID,
        (x, y, w, h): (u32, u32, u32, u32),
        to_image: bool,
    ) -> VaResult<()> {
        self.sync_surface(surface)?;
        let (si, idx, layout) = self.bound(surface)?;
        let img = self
            .images
            .get(image)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_IMAGE)?
            .image;
        if img.format.fourcc != va::FOURCC_NV12 {
            return Err(VaError::VA_STATUS_ERROR_INVALID_IMAGE_FORMAT);
        }
        let Some(Buffer {
            data: BufferData::Owned(dst),
            ..
        }) = self.buffers.get_mut(img.buf)
        else {
            return Err(VaError::VA_STATUS_ERROR_INVALID_IMAGE);
        };
        let sess = self.sessions[si].as_mut().unwrap();
        let cb = sess
            .capture
            .by_index(idx)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_SURFACE)?;
        let w = w.min(img.width as u32).min(layout.width.saturating_sub(x)) as usize;
        let h = h
            .min(img.height as u32)
            .min(layout.height.saturating_sub(y)) as usize;
        if let Some(fd) = &cb.dmabuf {
            let _ = ioctl::dma_buf_sync(fd, false);
        }
        let (x, y, bpl) = (
            x as usize & !1,
            y as usize & !1,
            layout.bytesperline as usize,
        );
        for plane in 0..2usize {
            let rows = if plane == 0 { h } else { h / 2 };
            let (map, base) = match (plane, layout.separate_planes) {
                (0, _) => (0, 0),
                (_, true) => (1, 0),
                (_, false) => (0, layout.uv_offset as usize),
            };
            let Some(cap) = cb.maps.get_mut(map).map(|m| m.as_mut_slice()) else {
                break;
            };
            let (ioff, ipitch) = (img.offsets[plane] as usize, img.pitches[plane] as usize);
            let sy0 = if plane == 0 { y } else { y / 2 };
            if w == bpl && ipitch == bpl {
                // Full-width rows without padding on either side: the plane is one block, and
                // one large copy costs a fraction of `rows` small ones.
                let (s_off, len) = (base + sy0 * bpl, rows * bpl);
                if let (Some(c), Some(d)) = (
                    cap.get_mut(s_off..s_off + len),
                    dst.get_mut(ioff..ioff + len),
                ) {
                    copy_between(c, d, to_image);
                    continue;
                }
            }
            for row in 0..rows {
                let s_off = base + (sy0 + row) * bpl + x;
                let d_off = ioff + row * ipitch;
                let (Some(c), Some(d)) =
                    (cap.get_mut(s_off..s_off + w), dst.get_mut(d_off..d_off + w))
                else {
                    break;
                };
                copy_between(c, d, to_image);
            }
        }
        if let Some(fd) = &cb.dmabuf {
            let _ = ioctl::dma_buf_sync(fd, true);
        }
        Ok(())
    }

    // ---- export ----

    pub fn export_surface(
        &mut self,
        surface: va::VASurfaceID,
        flags: u32,
    ) -> VaResult<va::VADRMPRIMESurfaceDescriptor> {
        let (width, height) = {
            let s = self
                .surfaces
                .get(surface)
                .ok_or(VaError::VA_STATUS_ERROR_INVALID_SURFACE)?;
            (s.width, s.height)
        };
        let (si, idx, layout) = self.bound(surface)?;
        if layout.separate_planes {
            return Err(VaError::VA_STATUS_ERROR_UNIMPLEMENTED);
        }
        let sess = self.sessions[si].as_mut().unwrap();
        let (video_type, video) = (sess.capture.type_, &sess.video);
        let cb = sess
            .capture
            .bufs
            .iter_mut()
            .find(|b| b.index == idx)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_SURFACE)?;
        if cb.dmabuf.is_none() {
            cb.dmabuf = Some(ioctl::expbuf(video, video_type, idx, 0).map_err(|e| {
                log::error!("EXPBUF(CAPTURE {idx}): {e}");
                VaError::VA_STATUS_ERROR_OPERATION_FAILED
            })?);
        }
        let fd = cb
            .dmabuf
            .as_ref()
            .unwrap()
            .try_clone()
            .map_err(|_| VaError::VA_STATUS_ERROR_OPERATION_FAILED)?;
        let mut d: va::VADRMPRIMESurfaceDescriptor = ioctl::zeroed();
        d.fourcc = va::FOURCC_NV12;
        d.width = width;
        d.height = height;
        d.num_objects = 1;
        d.objects[0].fd = std::os::fd::IntoRawFd::into_raw_fd(fd);
        d.objects[0].size = cb.maps.iter().map(|m| m.len() as u32).sum();
        d.objects[0].drm_format_modifier = 0; // DRM_FORMAT_MOD_LINEAR
        let bpl = layout.bytesperline;
        if flags & va::VA_EXPORT_SURFACE_SEPARATE_LAYERS != 0 {
            d.num_layers = 2;
            d.layers[0].drm_format = va::fourcc(b"R8  ");
            d.layers[0].num_planes = 1;
            d.layers[0].pitch[0] = bpl;
            d.layers[1].drm_format = va::fourcc(b"GR88");
            d.layers[1].num_planes = 1;
            d.layers[1].offset[0] = layout.uv_offset;
            d.layers[1].pitch[0] = bpl;
        } else {
            d.num_layers = 1;
            d.layers[0].drm_format = va::fourcc(b"NV12");
            d.layers[0].num_planes = 2;
            d.layers[0].pitch = [bpl, bpl, 0, 0];
            d.layers[0].offset = [0, layout.uv_offset, 0, 0];
        }
        let _ = video.as_raw_fd();
        Ok(d)
    }
}

pub fn nv12_format() -> va::VAImageFormat {
    let mut f: va::VAImageFormat = ioctl::zeroed();
    f.fourcc = va::FOURCC_NV12;
    f.byte_order = va::VA_LSB_FIRST;
    f.bits_per_pixel = 12;
    f
}
