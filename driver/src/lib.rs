//! `v4l2_request_drv_video.so`: a libva (VA-API) driver for V4L2 stateless decoders (the media
//! request API), written on v4l2r. libva loads it and calls `__vaDriverInit_1_17`; see
//! README.md for building and installing.
//!
//! Modules, one concern each: [`va`] (generated libva bindings), [`entry`] (the C entry
//! points), [`driver`] (per-display state and VA objects), [`session`] (one configured
//! decoder), [`request_pool`] and [`capture_pool`] (the two buffer pools), [`h264`] (slice
//! header parsing and VA→V4L2 controls), [`discovery`] (finding the device), [`ioctl`] (the
//! kernel boundary) and [`fault`] (test-only fault injection).

pub mod capture_pool;
pub mod discovery;
pub mod driver;
pub mod entry;
pub mod fault;
pub mod h264;
pub mod ioctl;
pub mod logger;
pub mod objects;
pub mod request_pool;
pub mod session;
pub mod va;
