//! The vatrace test-bed: real kernel V4L2 on machines that have none.
//!
//! Builds a small Linux 6.12 kernel (Debian's `linux-source-6.12`, `tinyconfig` plus the fragment in
//! `testbed/kernel.config`: visl, vicodec, vim2m, vgem, 9p, BPF/BTF/BPF LSM, syscall tracepoints)
//! and boots it under `qemu-system-x86_64 -accel tcg` with the host's root shared read-only and
//! the repository and the cargo target folder shared read-write at their own paths (wherever
//! they are: under `/root` or `/tmp` too), so the guest runs the host's ffmpeg, GStreamer and
//! the project's binaries, and whatever it writes there comes back.
//!
//! [`kernel`] builds and caches the kernel, [`run`] boots it and runs one command,
//! [`shares`] plans the shared folders, [`tools`] checks for the host programs both need.
//!
//! An arm64 guest ([`Arch::Aarch64`], `RunOptions::arch`) boots the same kernel source cross-built
//! for arm64 in `qemu-system-aarch64 -M virt`, on a cached Debian arm64 root ([`userland`]).

pub mod arch;
pub mod clips;
pub mod kernel;
pub mod paths;
pub mod run;
pub mod shares;
pub mod tools;
pub mod userland;

pub use arch::Arch;
pub use kernel::{build_kernel, build_kernel_for, cached_kernel, cached_kernel_for, KernelKey};
pub use run::{run, run_sh, Outcome, RunOptions, RunOutput};
