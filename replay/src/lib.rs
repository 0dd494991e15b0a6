//! `vatrace replay`: re-executes a recorded trace against V4L2 devices and judges every call.
//!
//! Entry points: [`run`] (a trace and [`ReplayOptions`] in, a [`Report`] out) and, for the
//! `vatrace` binary, [`Args`] (clap) with [`cli::main_with`].
//!
//! * [`validate`]: the pre-pass that refuses out-of-range traces before any ioctl;
//! * [`node`]: which device nodes may be opened (V4L2/media character devices only);
//! * [`feed`]: streams records, keeps blobs and bitstreams aside;
//! * [`args`]: rebuilds each argument (nested arrays, pointers, fds) for the replay process;
//! * [`engine`]: the replay loop; [`report`]: verdicts, report, `--compare`;
//!   [`hasher`]: the CAPTURE checksums, on a worker thread;
//! * [`options`]: options and the command line; [`cli`]: the command;
//! * [`target`]: frame and buffer-index injections resolved to calls;
//! * [`sys`]: the syscall boundary (the crate's only `unsafe`; also used by the synthetic
//!   clients of the `clients` crate); [`bytes`]: field access.

pub mod args;
pub mod bytes;
pub mod cli;
pub mod engine;
pub mod feed;
pub mod hasher;
pub mod node;
pub mod options;
pub mod report;
pub mod sys;
pub mod target;
pub mod validate;

pub use options::{Args, Inject, Pace, ReplayOptions};
pub use report::Report;

/// Replays the trace at `path` with `opts`: refuses out-of-range traces, paths that are not V4L2
/// or media nodes and mismatched devices (an error, nothing issued), else re-issues every call
/// and returns the verdict.
pub fn run(path: impl AsRef<std::path::Path>, opts: &ReplayOptions) -> anyhow::Result<Report> {
    engine::run(path.as_ref(), opts)
}
