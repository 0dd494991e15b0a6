//! VA surfaces: a decoded frame's identity, bound to a CAPTURE buffer of a session once a
//! context (or a decode) needs it, and named by the timestamp of its last decode.

use super::State;
use crate::capture_pool::Layout;
use crate::va::{self, VaError, VaResult};

pub struct Surface {
    pub width: u32,
    pub height: u32,
    /// (session index, CAPTURE buffer index) once bound.
    pub binding: Option<(usize, u32)>,
    /// Timestamp (µs) of the last decode into it: its name as a reference.
    pub timestamp_us: Option<u64>,
}

impl State {
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

    /// The surface `id`, or `INVALID_SURFACE`.
    pub(super) fn surface(&self, id: va::VASurfaceID) -> VaResult<&Surface> {
        self.surfaces
            .get(id)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_SURFACE)
    }

    /// The surface `id`, or `INVALID_SURFACE`, to change.
    pub(super) fn surface_mut(&mut self, id: va::VASurfaceID) -> VaResult<&mut Surface> {
        self.surfaces
            .get_mut(id)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_SURFACE)
    }

    pub fn destroy_surface(&mut self, id: va::VASurfaceID) -> VaResult<()> {
        let s = self
            .surfaces
            .remove(id)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_SURFACE)?;
        if let Some((si, idx)) = s.binding {
            if let Some(sess) = self.sessions.find(si) {
                sess.wait_capture(idx);
                sess.capture.unbind(id);
            }
        }
        Ok(())
    }

    /// Waits for the surface's pending decode. Err(DECODING_ERROR) if it failed.
    pub fn sync_surface(&mut self, id: va::VASurfaceID) -> VaResult<()> {
        let s = self.surface(id)?;
        let Some((si, idx)) = s.binding else {
            return Ok(());
        };
        let sess = self
            .sessions
            .get(si, VaError::VA_STATUS_ERROR_INVALID_SURFACE)?;
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
        let s = self.surface(id)?;
        let Some((si, idx)) = s.binding else {
            return Ok(false);
        };
        let Some(sess) = self.sessions.find(si) else {
            return Ok(false);
        };
        Ok(sess.capture_busy(idx))
    }

    /// The surface's session and CAPTURE layout, if bound.
    pub(super) fn bound(&mut self, id: va::VASurfaceID) -> VaResult<(usize, u32, Layout)> {
        let s = self.surface(id)?;
        let (si, idx) = s.binding.ok_or(VaError::VA_STATUS_ERROR_OPERATION_FAILED)?;
        let sess = self
            .sessions
            .get_ref(si, VaError::VA_STATUS_ERROR_OPERATION_FAILED)?;
        Ok((si, idx, sess.capture.layout))
    }

    /// Binds the surface to a CAPTURE buffer of session `si` (unbinding it from another
    /// session first); the buffer's index.
    pub(super) fn bind_surface(&mut self, id: va::VASurfaceID, si: usize) -> VaResult<u32> {
        let s = self.surface_mut(id)?;
        if let Some((old, idx)) = s.binding {
            if old == si {
                return Ok(idx);
            }
            if let Some(o) = self.sessions.find(old) {
                o.wait_capture(idx);
                o.capture.unbind(id);
            }
        }
        let sess = self
            .sessions
            .get(si, VaError::VA_STATUS_ERROR_INVALID_CONTEXT)?;
        let idx = sess.capture.bind(&sess.video, id).map_err(|e| {
            log::error!("binding surface {id:#x} to a CAPTURE buffer: {e}");
            VaError::VA_STATUS_ERROR_ALLOCATION_FAILED
        })?;
        let s = self.surface_mut(id)?;
        s.binding = Some((si, idx));
        s.timestamp_us = None;
        Ok(idx)
    }
}
