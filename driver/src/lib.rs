//! `v4l2_request_drv_video.so`: a libva (VA-API) driver for V4L2 stateless decoders (the media
//! request API), written on v4l2r. libva loads it and calls `__vaDriverInit_1_17`; see
//! README.md for building and installing.
//!
//! Modules, one concern each: [`va`] (generated libva bindings), [`entry`] (the C entry
//! points), [`driver`] (per-display state, one module per kind of VA object), [`codec`] (the
//! stateless-codec interface between the VA objects and the codecs), [`session`] (one
//! configured decoder), [`request_pool`] and [`capture_pool`] (the two buffer pools), one folder
//! per codec ([`h264`]: slice header parsing, VA→V4L2 controls, its [`codec::Codec`]; [`mpeg2`],
//! [`vp8`], [`vp9`], [`hevc`], [`av1`]),
//! [`discovery`] (finding the device), [`ioctl`] (the kernel boundary) and [`fault`] (test-only
//! fault injection).
//!
//! The FFI layer's rules are in README.md ("The FFI layer"): `unsafe` only in [`entry`] and
//! [`ioctl`] (and in reading bindgen unions), every block with a `// SAFETY:` line.

#![deny(unsafe_op_in_unsafe_fn)]

// Every entry point turns a panic into VA_STATUS_ERROR_OPERATION_FAILED with `catch_unwind`,
// which needs unwinding: with `panic = "abort"` a panic would kill the client application.
#[cfg(panic = "abort")]
compile_error!(
    "v4l2-request-driver must be built with panic = \"unwind\": its entry points catch panics \
     so that none crosses into libva (set `panic = \"unwind\"` in the workspace profile)"
);

pub mod av1;
pub mod capture_pool;
pub mod codec;
pub mod discovery;
pub mod driver;
pub mod entry;
pub mod fault;
pub mod h264;
pub mod hevc;
pub mod ioctl;
pub mod logger;
pub mod mpeg2;
pub mod objects;
pub mod request_pool;
pub mod session;
pub mod va;
pub mod vp8;
pub mod vp9;
