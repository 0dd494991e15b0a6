//! Synthetic buggy V4L2 request-API clients, kept out of every library the tools ship: the
//! binaries `probe-ebusy` (REQBUFS(0) while CAPTURE buffers are queued and mapped: EBUSY) and
//! `request-leak` (an error path that never REINITs its request, until the slot pool starves),
//! each with a `--fixed` variant. They exist to be traced (`vatrace record`), checked, replayed
//! and minimized; the committed samples in `traces/samples/` are their traces.
//!
//! * [`v4l2`]: typed V4L2 and media-request calls on top of `replay::sys`;
//! * [`synthetic`]: what both clients share (MPEG-2 parameters, device discovery, a numbered call
//!   log).

pub mod synthetic;
pub mod v4l2;
