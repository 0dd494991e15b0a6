//! VA contexts: a config bound to a decoder session (opened, reused or reconfigured here), with
//! the codec instance that turns its pictures into requests.

use super::picture::Picture;
use super::State;
use crate::codec::{self, Codec};
use crate::discovery::DecoderNode;
use crate::session::{self, Session};
use crate::va::{self, VaError, VaResult};

pub struct Context {
    pub config: va::VAConfigID,
    pub session: usize,
    pub profile: va::VAProfile,
    pub codec: Box<dyn Codec>,
    pub pic: Picture,
}

impl State {
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
        let kind =
            codec::for_profile(profile).ok_or(VaError::VA_STATUS_ERROR_UNSUPPORTED_PROFILE)?;
        let fmt = kind.coded_format;
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
        let unbound: Vec<va::VASurfaceID> = targets
            .iter()
            .copied()
            .filter(|t| {
                self.surfaces
                    .get(*t)
                    .is_some_and(|s| s.binding.map(|b| b.0) != Some(si))
            })
            .collect();
        let sess = self
            .sessions
            .get(si, VaError::VA_STATUS_ERROR_OPERATION_FAILED)?;
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
        self.sessions
            .get(si, VaError::VA_STATUS_ERROR_OPERATION_FAILED)?
            .in_use = true;
        Ok(self.contexts.insert(Context {
            config,
            session: si,
            profile,
            codec: (kind.new)(profile),
            pic: Picture::default(),
        }))
    }

    /// An idle session with this configuration; else an idle one no live surface uses,
    /// reconfigured (its CAPTURE pool drained first); else a new one. A session whose buffers
    /// still hold frames of live surfaces is never reconfigured: the client may still read them
    /// (FFmpeg downloads frames of the old size after creating the new context).
    fn session_for(&mut self, node: &DecoderNode, cfg: session::Config) -> VaResult<usize> {
        let idle = |s: &Session| !s.in_use && s.node.video_path == node.video_path;
        if let Some(i) = self
            .sessions
            .matching(|s| idle(s) && s.config == cfg)
            .next()
        {
            return Ok(i);
        }
        let surfaces = &self.surfaces;
        let unused = |i: usize| {
            !surfaces
                .iter()
                .any(|(_, s)| s.binding.is_some_and(|b| b.0 == i))
        };
        let reusable = self.sessions.matching(idle).find(|&i| unused(i));
        if let Some(i) = reusable {
            let sess = self
                .sessions
                .get(i, VaError::VA_STATUS_ERROR_OPERATION_FAILED)?;
            match sess.reconfigure(cfg) {
                Ok(()) => return Ok(i),
                Err(e) => {
                    log::warn!("reconfiguring the idle session failed ({e}); opening a new one");
                    self.sessions.close(i);
                }
            }
        }
        let s = Session::open(node, cfg).map_err(|_| VaError::VA_STATUS_ERROR_OPERATION_FAILED)?;
        Ok(self.sessions.insert(s))
    }

    pub fn destroy_context(&mut self, id: va::VAContextID) -> VaResult<()> {
        let c = self
            .contexts
            .remove(id)
            .ok_or(VaError::VA_STATUS_ERROR_INVALID_CONTEXT)?;
        if let Some(sess) = self.sessions.find(c.session) {
            if let Some(slot) = c.pic.slot {
                sess.output.release(slot, &sess.media);
            }
            sess.sync_all();
            sess.in_use = false;
        }
        Ok(())
    }
}
