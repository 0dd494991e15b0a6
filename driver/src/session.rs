//! A decoder session: one open of the video + media device pair, configured for a coded format
//! and size, with its request pool (OUTPUT) and CAPTURE pool. Sessions outlive VA contexts: a
//! new context of the same format and size reuses an idle session as is; another size
//! reconfigures it (drain CAPTURE and OUTPUT, S_FMT, reallocate; the request fds are kept).

use std::fs::File;
use std::os::fd::AsRawFd;

use nix::errno::Errno;
use v4l2r::bindings as v4l2;

use crate::capture_pool::CapturePool;
use crate::codec::{self, Mode};
use crate::discovery::{self, DecoderNode};
use crate::ioctl::{self, Ctrl, Mapping};
use crate::request_pool::{RequestPool, SlotState};

/// Default number of OUTPUT slots (request fds).
pub const DEFAULT_SLOTS: usize = 16;
const POLL_TIMEOUT_MS: u16 = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    pub coded_format: u32,
    pub width: u32,
    pub height: u32,
}

pub struct Session {
    pub node: DecoderNode,
    pub video: File,
    pub media: File,
    pub config: Config,
    /// How the device takes the bitstream.
    pub mode: Mode,
    pub output: RequestPool,
    pub capture: CapturePool,
    output_streaming: bool,
    capture_streaming: bool,
    /// Bound to a live VA context.
    pub in_use: bool,
    pub frames_decoded: u64,
}

fn slots_wanted() -> usize {
    std::env::var("V4L2_REQUEST_SLOTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0 && n <= 32)
        .unwrap_or(DEFAULT_SLOTS)
}

fn e(what: &str) -> impl Fn(Errno) -> Errno + '_ {
    move |err| {
        log::error!("{what}: {err}");
        err
    }
}

impl Session {
    pub fn open(node: &DecoderNode, config: Config) -> ioctl::Result<Session> {
        let video = discovery::open_rw(&node.video_path, true).map_err(|err| {
            log::error!("open {}: {err}", node.video_path.display());
            Errno::from_raw(err.raw_os_error().unwrap_or(libc::EIO))
        })?;
        let media = discovery::open_rw(&node.media_path, false).map_err(|err| {
            log::error!("open {}: {err}", node.media_path.display());
            Errno::from_raw(err.raw_os_error().unwrap_or(libc::EIO))
        })?;
        let (output, capture, mode) = Self::configure(&video, &media, node, config, Vec::new())?;
        Ok(Session {
            node: node.clone(),
            video,
            media,
            config,
            mode,
            output,
            capture,
            output_streaming: false,
            capture_streaming: false,
            in_use: false,
            frames_decoded: 0,
        })
    }

    fn configure(
        video: &File,
        media: &File,
        node: &DecoderNode,
        c: Config,
        requests: Vec<Option<v4l2r::ioctl::Request>>,
    ) -> ioctl::Result<(RequestPool, CapturePool, Mode)> {
        let (out_t, cap_t) = (node.output_type(), node.capture_type());
        // OUTPUT format first: it determines what CAPTURE can be.
        let mut f = ioctl::g_fmt(video, out_t).map_err(e("G_FMT(OUTPUT)"))?;
        let coded_size = (c.width * c.height * 3 / 2).max(512 * 1024);
        if node.mplane {
            // SAFETY: `pix_mp` is the active member for *_MPLANE queues.
            let p = unsafe { &mut f.fmt.pix_mp };
            p.pixelformat = c.coded_format;
            p.width = c.width;
            p.height = c.height;
            p.num_planes = 1;
            p.plane_fmt[0].sizeimage = coded_size;
        } else {
            // SAFETY: `pix` is the active member for single-planar queues.
            let p = unsafe { &mut f.fmt.pix };
            p.pixelformat = c.coded_format;
            p.width = c.width;
            p.height = c.height;
            p.sizeimage = coded_size;
        }
        ioctl::s_fmt(video, &mut f).map_err(e("S_FMT(OUTPUT)"))?;

        // Codec-wide controls (H.264's decode mode and start codes).
        let kind = codec::for_format(c.coded_format).ok_or_else(|| {
            log::error!("no codec for {}", discovery::fourcc_str(c.coded_format));
            Errno::EINVAL
        })?;
        let mode = (kind.set_up)(video)?;

        // CAPTURE: NV12 at the coded size (the driver aligns it).
        let mut cf = ioctl::g_fmt(video, cap_t).map_err(e("G_FMT(CAPTURE)"))?;
        if node.mplane {
            // SAFETY: as above.
            let p = unsafe { &mut cf.fmt.pix_mp };
            p.pixelformat = discovery::PIX_FMT_NV12;
            p.width = c.width;
            p.height = c.height;
        } else {
            // SAFETY: as above.
            let p = unsafe { &mut cf.fmt.pix };
            p.pixelformat = discovery::PIX_FMT_NV12;
            p.width = c.width;
            p.height = c.height;
        }
        ioctl::s_fmt(video, &mut cf).map_err(e("S_FMT(CAPTURE)"))?;
        let got = if node.mplane {
            // SAFETY: as above.
            unsafe { cf.fmt.pix_mp.pixelformat }
        } else {
            // SAFETY: as above.
            unsafe { cf.fmt.pix.pixelformat }
        };
        if got != discovery::PIX_FMT_NV12 {
            log::error!(
                "decoder offers {} on CAPTURE, not NV12",
                discovery::fourcc_str(got)
            );
            return Err(Errno::EINVAL);
        }

        // OUTPUT buffers, one per slot, mapped once.
        let (n, _) =
            ioctl::reqbufs(video, out_t, slots_wanted() as u32).map_err(e("REQBUFS(OUTPUT)"))?;
        let mut maps = Vec::with_capacity(n as usize);
        for i in 0..n {
            let mut b = ioctl::Buffer::new(out_t, i, node.mplane);
            ioctl::querybuf(video, &mut b).map_err(e("QUERYBUF(OUTPUT)"))?;
            let (off, len) = b.plane_mapping(0);
            maps.push(Mapping::new(video, off, len).map_err(e("mmap(OUTPUT)"))?);
        }
        let pool = RequestPool::new(media, maps, requests);
        let capture = CapturePool::new(cf, node.mplane);
        log::info!(
            "session {}x{} {}: {} slots, {} mode{}, CAPTURE {}x{} stride {}",
            c.width,
            c.height,
            discovery::fourcc_str(c.coded_format),
            pool.slots.len(),
            if mode.frame_based { "frame" } else { "slice" },
            if mode.annex_b { " + Annex-B" } else { "" },
            capture.layout.width,
            capture.layout.height,
            capture.layout.bytesperline
        );
        Ok((pool, capture, mode))
    }

    /// Switches to another format/size: waits for what is in flight, drains CAPTURE and OUTPUT
    /// (no EBUSY: nothing queued, mapped or exported is left), then configures again. The
    /// request fds stay bound to their slots.
    pub fn reconfigure(&mut self, config: Config) -> ioctl::Result<()> {
        log::info!(
            "session reconfigure {}x{} -> {}x{}",
            self.config.width,
            self.config.height,
            config.width,
            config.height
        );
        self.sync_all();
        let out_t = self.node.output_type();
        self.capture
            .drain(&self.video)
            .map_err(e("CAPTURE drain"))?;
        self.capture_streaming = false;
        ioctl::streamoff(&self.video, out_t).map_err(e("STREAMOFF(OUTPUT)"))?;
        self.output_streaming = false;
        let pool = std::mem::replace(
            &mut self.output,
            RequestPool::new(&self.media, Vec::new(), Vec::new()),
        );
        let mut requests = pool.into_requests(); // drops the OUTPUT mappings
        for r in requests.iter().flatten() {
            let _ = ioctl::request_reinit(r);
        }
        ioctl::reqbufs(&self.video, out_t, 0).map_err(e("REQBUFS(OUTPUT, 0)"))?;
        let (output, capture, mode) = Self::configure(
            &self.video,
            &self.media,
            &self.node,
            config,
            std::mem::take(&mut requests),
        )?;
        self.output = output;
        self.capture = capture;
        self.mode = mode;
        self.config = config;
        Ok(())
    }

    /// A slot to fill; syncs the oldest in-flight slot when all are taken.
    pub fn acquire_slot(&mut self) -> Option<usize> {
        for _ in 0..=self.output.slots.len() {
            if let Some(i) = self.output.acquire() {
                return Some(i);
            }
            // Pick up OUTPUT buffers of released slots whose DQBUF failed earlier (only then:
            // a DQBUF with nothing to dequeue is an ioctl spent on EAGAIN).
            let stranded =
                |s: &crate::request_pool::Slot| s.state == SlotState::Free && s.out_queued;
            if self.output.slots.iter().any(stranded) {
                let _ = self.dequeue_ready();
                if let Some(i) = self.output.acquire() {
                    return Some(i);
                }
            }
            if self.output.busy_count() == 0 && self.output.revive_one(&self.media) {
                continue;
            }
            match self.output.oldest_in_flight() {
                Some(i) => self.sync_slot(i),
                None => {
                    if !ioctl::poll_device(&self.video, POLL_TIMEOUT_MS).unwrap_or(false) {
                        break;
                    }
                }
            }
        }
        log::error!(
            "no request slot available ({} busy, {} dead of {})",
            self.output.busy_count(),
            self.output.dead_count(),
            self.output.slots.len()
        );
        None
    }

    /// Queues slot `i`'s controls, bitstream and CAPTURE buffer (when `queue_capture`), and the
    /// request. On failure the slot is force-released.
    pub fn submit(
        &mut self,
        i: usize,
        capture: u32,
        queue_capture: bool,
        timestamp_us: u64,
        hold_capture: bool,
        ctrls: &mut [Ctrl],
    ) -> ioctl::Result<()> {
        let r = self.submit_inner(i, capture, queue_capture, timestamp_us, hold_capture, ctrls);
        if r.is_err() {
            self.output.force_release(i, &self.media);
        }
        r
    }

    fn submit_inner(
        &mut self,
        i: usize,
        capture: u32,
        queue_capture: bool,
        timestamp_us: u64,
        hold_capture: bool,
        ctrls: &mut [Ctrl],
    ) -> ioctl::Result<()> {
        let rfd = self.output.slots[i].request_fd();
        ioctl::s_ext_ctrls(&self.video, Some(rfd), ctrls).map_err(e("S_EXT_CTRLS(request)"))?;
        let mplane = self.node.mplane;
        if queue_capture {
            let cap_t = self.node.capture_type();
            if let Some(cb) = self.capture.by_index(capture) {
                if !cb.queued {
                    let mut b = ioctl::Buffer::new(cap_t, capture, mplane);
                    if mplane {
                        b.buf.length = cb.maps.len() as u32;
                    }
                    ioctl::qbuf(&self.video, &mut b).map_err(e("QBUF(CAPTURE)"))?;
                    cb.queued = true;
                    cb.error = false;
                }
            }
        }
        let slot = &mut self.output.slots[i];
        let mut b = ioctl::Buffer::new(self.node.output_type(), slot.buffer, mplane);
        if mplane {
            b.buf.length = 1;
        }
        b.set_bytesused(slot.used as u32);
        b.buf.flags = v4l2::V4L2_BUF_FLAG_REQUEST_FD;
        if hold_capture {
            b.buf.flags |= v4l2::V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF;
        }
        b.buf.__bindgen_anon_1.request_fd = rfd;
        b.buf.timestamp.tv_sec = (timestamp_us / 1_000_000) as _;
        b.buf.timestamp.tv_usec = (timestamp_us % 1_000_000) as _;
        ioctl::qbuf(&self.video, &mut b).map_err(e("QBUF(OUTPUT)"))?;
        slot.out_queued = true;
        slot.capture = capture;
        slot.hold = hold_capture;
        if let Some(r) = &slot.request {
            ioctl::request_queue(r).map_err(e("MEDIA_REQUEST_IOC_QUEUE"))?;
        }
        slot.in_flight = true;
        if !self.output_streaming {
            ioctl::streamon(&self.video, self.node.output_type()).map_err(e("STREAMON(OUTPUT)"))?;
            self.output_streaming = true;
        }
        if !self.capture_streaming {
            ioctl::streamon(&self.video, self.node.capture_type())
                .map_err(e("STREAMON(CAPTURE)"))?;
            self.capture_streaming = true;
        }
        Ok(())
    }

    /// Dequeues what slot `i`'s completed request gave back: its OUTPUT buffer and, unless the
    /// request holds it, its CAPTURE buffer. The kernel returns both before it signals the
    /// request (CAPTURE first), and in queue order, so each DQBUF here returns a buffer: none
    /// is spent on EAGAIN. Err if a DQBUF failed.
    fn dequeue_completed(&mut self, i: usize) -> ioctl::Result<()> {
        let mplane = self.node.mplane;
        let mut result = Ok(());
        while self.output.slots[i].out_queued {
            match ioctl::dqbuf(&self.video, self.node.output_type(), mplane) {
                Ok(b) => {
                    if let Some(s) = self.output.slots.get_mut(b.buf.index as usize) {
                        s.out_queued = false;
                    }
                }
                Err(err) => {
                    log::warn!("DQBUF(OUTPUT) for slot {i}: {err}");
                    result = Err(err);
                    break;
                }
            }
        }
        let (capture, hold) = (self.output.slots[i].capture, self.output.slots[i].hold);
        while !hold && self.capture.by_index(capture).is_some_and(|cb| cb.queued) {
            match ioctl::dqbuf(&self.video, self.node.capture_type(), mplane) {
                Ok(b) => self.captured(&b),
                Err(err) => {
                    log::warn!("DQBUF(CAPTURE {capture}) for slot {i}: {err}");
                    result = result.and(Err(err));
                    break;
                }
            }
        }
        result
    }

    fn captured(&mut self, b: &ioctl::Buffer) {
        let error = b.buf.flags & v4l2::V4L2_BUF_FLAG_ERROR != 0;
        if let Some(cb) = self.capture.by_index(b.buf.index) {
            cb.queued = false;
            cb.error = error;
        }
        self.frames_decoded += 1;
    }

    /// Syncs the requests decoding into CAPTURE buffer `index` that have completed, without
    /// waiting (a zero-timeout poll on each request fd, oldest first); true while the buffer is
    /// still the kernel's.
    pub fn capture_busy(&mut self, index: u32) -> bool {
        while let Some(i) = self.oldest_into(index) {
            let done = self.output.slots[i]
                .request
                .as_ref()
                .is_some_and(|r| ioctl::poll_request(r, 0).unwrap_or(false));
            if !done {
                break;
            }
            self.sync_slot(i);
        }
        self.capture.by_index(index).is_some_and(|cb| cb.queued)
    }

    /// The in-flight slot decoding into CAPTURE buffer `index` submitted first.
    fn oldest_into(&self, index: u32) -> Option<usize> {
        (0..self.output.slots.len())
            .filter(|&i| {
                let s = &self.output.slots[i];
                s.state == SlotState::Busy && s.in_flight && s.capture == index
            })
            .min_by_key(|&i| self.output.slots[i].seq)
    }

    /// Dequeues every finished OUTPUT and CAPTURE buffer, probing until EAGAIN: for the paths
    /// where what completed is unknown (after a failure, at teardown). Err if a DQBUF failed
    /// (not EAGAIN).
    pub fn dequeue_ready(&mut self) -> ioctl::Result<()> {
        let mplane = self.node.mplane;
        let mut result = Ok(());
        // DQBUF on a queue that is not streaming is EINVAL, not "nothing yet".
        while self.output_streaming {
            match ioctl::dqbuf(&self.video, self.node.output_type(), mplane) {
                Ok(b) => {
                    if let Some(s) = self.output.slots.get_mut(b.buf.index as usize) {
                        s.out_queued = false;
                    }
                }
                Err(Errno::EAGAIN) => break,
                Err(err) => {
                    log::warn!("DQBUF(OUTPUT): {err}");
                    result = Err(err);
                    break;
                }
            }
        }
        while self.capture_streaming {
            match ioctl::dqbuf(&self.video, self.node.capture_type(), mplane) {
                Ok(b) => self.captured(&b),
                Err(Errno::EAGAIN) => break,
                Err(err) => {
                    log::warn!("DQBUF(CAPTURE): {err}");
                    result = Err(err);
                    break;
                }
            }
        }
        result
    }

    /// Waits for slot `i`'s request, dequeues, and releases the slot; any failure on the way
    /// force-releases it instead.
    pub fn sync_slot(&mut self, i: usize) {
        let s = &self.output.slots[i];
        if s.state != SlotState::Busy {
            return;
        }
        if !s.in_flight {
            // Acquired but never queued (e.g. an abandoned picture).
            self.output.release(i, &self.media);
            return;
        }
        let ok = match s
            .request
            .as_ref()
            .map(|r| ioctl::poll_request(r, POLL_TIMEOUT_MS))
        {
            Some(Ok(true)) => true,
            Some(Ok(false)) => {
                log::warn!("slot {i}: request {} timed out", s.request_fd());
                false
            }
            Some(Err(err)) => {
                log::warn!("slot {i}: poll on request {}: {err}", s.request_fd());
                false
            }
            None => false,
        };
        if !ok {
            self.output.force_release(i, &self.media);
            let _ = self.dequeue_ready();
            return;
        }
        if self.dequeue_completed(i).is_err() {
            self.output.force_release(i, &self.media);
            return;
        }
        self.output.release(i, &self.media);
    }

    /// Syncs every in-flight slot.
    pub fn sync_all(&mut self) {
        while let Some(i) = self.output.oldest_in_flight() {
            self.sync_slot(i);
        }
        // Buffers still the kernel's once every request is synced were stranded by a failure:
        // only then probe for them.
        let stranded = self.output.slots.iter().any(|s| s.out_queued)
            || self.capture.bufs.iter().any(|b| b.queued);
        if stranded {
            let _ = self.dequeue_ready();
        }
    }

    /// Waits until CAPTURE buffer `index` is back from the kernel. Returns false if it is still
    /// queued after the slots decoding into it were synced (the frame is lost).
    pub fn wait_capture(&mut self, index: u32) -> bool {
        for _ in 0..4 {
            match self.capture.by_index(index) {
                Some(cb) if cb.queued => {}
                _ => return true,
            }
            // Sync the slots decoding into it, oldest first (no allocation: one at a time).
            let mut synced = false;
            while let Some(i) = self.oldest_into(index) {
                self.sync_slot(i);
                synced = true;
            }
            if !synced {
                // Its request was force-released: the buffer may still come back.
                let _ = ioctl::poll_device(&self.video, POLL_TIMEOUT_MS);
                let _ = self.dequeue_ready();
            }
        }
        !self.capture.by_index(index).is_some_and(|cb| cb.queued)
    }

    pub fn video_fd(&self) -> i32 {
        self.video.as_raw_fd()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.sync_all();
        // What the kernel still holds after syncing everything: buffers lost to failures.
        let out_held = self.output.slots.iter().filter(|s| s.out_queued).count();
        let cap_held = self.capture.bufs.iter().filter(|b| b.queued).count();
        let _ = ioctl::streamoff(&self.video, self.node.output_type());
        let _ = ioctl::streamoff(&self.video, self.node.capture_type());
        let st = self.output.stats;
        log::info!(
            "session closed: {} frames decoded, {} slot uses, force-released {} (REINIT {}, re-allocated {}, \
             dead {}), revived {}, dead slots now {} of {}, buffers still queued: OUTPUT {} CAPTURE {}; \
             faults injected: reinit {} dqbuf {} poll {} alloc {}",
            self.frames_decoded,
            st.acquired,
            st.force_reinit + st.force_realloc + st.force_dead,
            st.force_reinit,
            st.force_realloc,
            st.force_dead,
            st.revived,
            self.output.dead_count(),
            self.output.slots.len(),
            out_held,
            cap_held,
            crate::fault::injected(crate::fault::Op::Reinit),
            crate::fault::injected(crate::fault::Op::Dqbuf),
            crate::fault::injected(crate::fault::Op::Poll),
            crate::fault::injected(crate::fault::Op::Alloc),
        );
    }
}
