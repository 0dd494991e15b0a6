//! `vatrace replay`: re-executes a recorded trace against V4L2 devices and judges every call;
//! plus the synthetic buggy clients' building blocks.
//!
//! * [`sys`]: the syscall boundary (the crate's only `unsafe`);
//! * [`v4l2`]: typed calls for the synthetic clients (`probe-ebusy`, `request-leak` in `src/bin/`);
//! * [`synthetic`]: their MPEG-2 parameter set, bitstream chunk and call log.

pub mod feed;
pub mod options;
pub mod selfrec;
pub mod synthetic;
pub mod sys;
pub mod v4l2;
