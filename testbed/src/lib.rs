//! The vatrace test-bed: real kernel V4L2 on machines that have none.
//!
//! Builds a small Linux 6.12 kernel (Debian's `linux-source-6.12`, `tinyconfig` plus the fragment in
//! `testbed/kernel.config`: visl, vicodec, vim2m, vgem, 9p, BPF/BTF/BPF LSM, syscall tracepoints)
//! and boots it under `qemu-system-x86_64 -accel tcg` with the host's root shared read-only and
//! the repository shared read-write at its own path, so the guest runs the host's ffmpeg,
//! GStreamer and the project's binaries, and whatever it writes under the repository comes back.
//!
//! [`kernel`] builds and caches the kernel, [`run`] boots it and runs one command,
//! [`tools`] checks for the host programs both need.

pub mod clips;
pub mod kernel;
pub mod paths;
pub mod run;
pub mod tools;

pub use kernel::{build_kernel, cached_kernel, KernelKey};
pub use run::{run, run_sh, Outcome, RunOptions, RunOutput};
