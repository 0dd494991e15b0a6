//! Decoding a picture (vaBeginPicture, vaRenderPicture, vaEndPicture): the VA side of it. The
//! context's codec reads the buffers and decides what goes in each request; this module gives it
//! [`Requests`]: OUTPUT slots of the session to fill, submission with the target's CAPTURE
//! buffer, and the reference timestamps of surfaces.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use super::buffer::BufferData;
use super::surface::Surface;
use super::State;
use crate::codec::{Mode, Requests};
use crate::ioctl::Ctrl;
use crate::objects::Objects;
use crate::session::Session;
use crate::va::{self, VaError, VaResult};

/// The VA side of the picture being assembled between BeginPicture and EndPicture.
#[derive(Default)]
pub struct Picture {
    pub target: Option<va::VASurfaceID>,
    /// The target's CAPTURE buffer.
    pub capture: u32,
    pub timestamp_us: u64,
    /// The OUTPUT slot being filled, if any.
    pub slot: Option<usize>,
    /// The CAPTURE buffer went out with an earlier request of this picture.
    pub capture_queued: bool,
    /// The last request sent holds the CAPTURE buffer (first field of a field pair): the next
    /// picture into the same surface continues this one.
    pub held: bool,
    pub failed: bool,
}

/// [`Requests`] over one context's picture and session.
struct Sink<'a> {
    pic: &'a mut Picture,
    session: &'a mut Session,
    surfaces: &'a Objects<Surface>,
}

impl Requests for Sink<'_> {
    fn mode(&self) -> Mode {
        self.session.mode
    }

    fn append(&mut self, parts: &[&[u8]]) -> VaResult<()> {
        let slot = match self.pic.slot {
            Some(s) => s,
            None => {
                let s = self
                    .session
                    .acquire_slot()
                    .ok_or(VaError::VA_STATUS_ERROR_OPERATION_FAILED)?;
                self.pic.slot = Some(s);
                s
            }
        };
        let s = &mut self.session.output.slots[slot];
        let need: usize = parts.iter().map(|p| p.len()).sum();
        let buf = s.map.as_mut_slice();
        if s.used + need > buf.len() {
            log::error!(
                "bitstream of {} bytes does not fit the OUTPUT buffer ({})",
                s.used + need,
                buf.len()
            );
            return Err(VaError::VA_STATUS_ERROR_NOT_ENOUGH_BUFFER);
        }
        for p in parts {
            buf[s.used..s.used + p.len()].copy_from_slice(p);
            s.used += p.len();
        }
        Ok(())
    }

    fn submit(&mut self, ctrls: &mut [Ctrl], hold_capture: bool) -> VaResult<()> {
        let slot = self
            .pic
            .slot
            .take()
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_PARAMETER)?;
        let r = self.session.submit(
            slot,
            self.pic.capture,
            !self.pic.capture_queued,
            self.pic.timestamp_us,
            hold_capture,
            ctrls,
        );
        self.pic.capture_queued = true;
        self.pic.held = hold_capture;
        r.map_err(|_| VaError::VA_STATUS_ERROR_OPERATION_FAILED)
    }

    fn reference_ns(&self, surface: va::VASurfaceID) -> Option<u64> {
        self.surfaces.get(surface)?.timestamp_us.map(|t| t * 1000)
    }

    fn timestamp_ns(&self) -> u64 {
        self.pic.timestamp_us * 1000
    }
}

/// What [`State::with_codec`] hands its closure: the codec and a [`Requests`] sink.
type CodecCall<'f> =
    dyn FnMut(&mut dyn crate::codec::Codec, &mut dyn Requests) -> VaResult<()> + 'f;

impl State {
    /// Runs `f` with context `ctx`'s codec and the requests of its current picture.
    fn with_codec(&mut self, ctx: va::VAContextID, f: &mut CodecCall) -> VaResult<()> {
        let State {
            contexts,
            surfaces,
            sessions,
            ..
        } = self;
        let c = contexts
            .get_mut(ctx)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_CONTEXT)?;
        let session = sessions.get(c.session, VaError::VA_STATUS_ERROR_INVALID_CONTEXT)?;
        let mut sink = Sink {
            pic: &mut c.pic,
            session,
            surfaces,
        };
        f(c.codec.as_mut(), &mut sink)
    }

    pub fn begin_picture(&mut self, ctx: va::VAContextID, target: va::VASurfaceID) -> VaResult<()> {
        let si = self
            .contexts
            .get(ctx)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_CONTEXT)?
            .session;
        if self.surfaces.get(target).is_none() {
            return Err(VaError::VA_STATUS_ERROR_INVALID_SURFACE);
        }
        let capture = self.bind_surface(target, si)?;
        let c = self
            .contexts
            .get_mut(ctx)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_CONTEXT)?;
        // The second field of a pair: same CAPTURE buffer (held by the kernel), same timestamp.
        let second_field = c.pic.held && c.pic.target == Some(target) && c.pic.capture == capture;
        let sess = self
            .sessions
            .get(si, VaError::VA_STATUS_ERROR_INVALID_CONTEXT)?;
        if let Some(slot) = c.pic.slot.take() {
            sess.output.release(slot, &sess.media);
        }
        let ts = if second_field {
            c.pic.timestamp_us
        } else {
            // The target must not still be decoding (or held by the kernel).
            sess.wait_capture(capture);
            // Decode index in µs, from 0: the same reference timestamps GStreamer uses.
            self.next_timestamp_us += 1;
            self.next_timestamp_us - 1
        };
        c.pic = Picture {
            target: Some(target),
            capture,
            timestamp_us: ts,
            capture_queued: second_field,
            ..Default::default()
        };
        c.codec.begin_picture();
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
            if b.type_ != va::VASliceDataBufferType {
                let c = self
                    .contexts
                    .get_mut(ctx)
                    .ok_or(VaError::VA_STATUS_ERROR_INVALID_CONTEXT)?;
                c.codec.parameters(b.type_, data, b.num_elements)?;
                continue;
            }
            // Moved out and back so `self` can be borrowed mutably meanwhile; put back before a
            // panic goes on unwinding, so the client's buffer is never lost.
            let b = self
                .buffers
                .remove(bid)
                .ok_or(VaError::VA_STATUS_ERROR_INVALID_BUFFER)?;
            let r = catch_unwind(AssertUnwindSafe(|| match &b.data {
                BufferData::Owned(data) => {
                    self.with_codec(ctx, &mut |codec, req| codec.slice_data(data, req))
                }
                _ => Ok(()),
            }));
            self.buffers.restore(bid, b);
            let r = r.unwrap_or_else(|p| resume_unwind(p));
            if let Err(e) = r {
                if let Some(c) = self.contexts.get_mut(ctx) {
                    c.pic.failed = true;
                }
                return Err(e);
            }
        }
        Ok(())
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
        let (failed, slot, si) = (c.pic.failed, c.pic.slot.take(), c.session);
        if failed {
            if let (Some(slot), Some(sess)) = (slot, self.sessions.find(si)) {
                sess.output.release(slot, &sess.media);
            }
            return Err(VaError::VA_STATUS_ERROR_DECODING_ERROR);
        }
        c.pic.slot = slot;
        let r = self.with_codec(ctx, &mut |codec, req| codec.end_picture(req));
        // A picture the codec did not send (no slice): its slot goes back.
        if let Some(c) = self.contexts.get_mut(ctx) {
            if let (Some(slot), Some(sess)) = (c.pic.slot.take(), self.sessions.find(si)) {
                sess.output.release(slot, &sess.media);
            }
        }
        // Named as a reference once something was sent into it, even if that failed.
        let sent = self.contexts.get(ctx).is_some_and(|c| c.pic.capture_queued);
        if let Some(s) = self.surfaces.get_mut(target).filter(|_| sent) {
            s.timestamp_us = Some(ts);
        }
        r
    }
}
