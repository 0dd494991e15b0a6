//! Per-display driver state (behind `pDriverData`) and the VA operations on it, one module per
//! kind of VA object: [`config`], [`surface`], [`context`], [`buffer`], [`picture`] (decoding,
//! through the [`crate::codec`] interface), [`image`] and [`export`]. Decoder sessions are
//! reached through [`sessions::Sessions`]. One mutex per display serialises the client's
//! threads; several displays each have their own [`Driver`].

pub mod buffer;
pub mod config;
pub mod context;
pub mod export;
pub mod image;
pub mod picture;
pub mod sessions;
pub mod surface;

use std::sync::Mutex;

use crate::codec;
use crate::discovery::{self, DecoderNode};
use crate::objects::*;
use crate::va::{self, VaError, VaResult};

pub use buffer::{Buffer, BufferData};
pub use config::Config;
pub use context::Context;
pub use image::{nv12_format, Image};
pub use sessions::Sessions;
pub use surface::Surface;

pub struct State {
    pub nodes: Vec<DecoderNode>,
    pub configs: Objects<Config>,
    pub surfaces: Objects<Surface>,
    pub contexts: Objects<Context>,
    pub buffers: Objects<Buffer>,
    pub images: Objects<Image>,
    pub sessions: Sessions,
    next_timestamp_us: u64,
    /// Data of destroyed images, reused by vaCreateImage (FFmpeg creates and destroys one
    /// image per downloaded frame): no allocation and zeroing per frame.
    image_data_pool: Vec<Vec<u8>>,
    /// Data of destroyed buffers, reused by vaCreateBuffer (FFmpeg creates and destroys four
    /// per picture): malloc/free of varying sizes cost more than the copy VA-API demands.
    buffer_data_pool: Vec<Vec<u8>>,
}

pub struct Driver {
    pub state: Mutex<State>,
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
                sessions: Sessions::default(),
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

    /// The profiles of every codec whose OUTPUT format a discovered decoder offers.
    pub fn profiles(&self) -> Vec<va::VAProfile> {
        codec::CODECS
            .iter()
            .filter(|k| self.node_for(k.coded_format).is_some())
            .flat_map(|k| k.profiles.iter().copied())
            .collect()
    }
}
