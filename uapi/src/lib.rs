//! The Linux 6.12 V4L2, media-controller and dma-buf uapi, generated from the kernel's headers:
//! `repr(C)` structs, enum values and `#define` numbers (bindgen), every ioctl number, and the
//! names of the codec controls. `no_std` and dependency-free, so the eBPF programs
//! (`tracer-ebpf`) and the host library (`traces`) read the same definitions.
//!
//! `generated.rs` is written by `cargo xtask uapi` and committed; `cargo xtask uapi --check`
//! fails when regenerating would change it. Only `ioc` below is written by hand: the kernel's
//! `_IOC` encoding (`include/uapi/asm-generic/ioctl.h`, shared by x86_64 and arm64).
#![no_std]

pub mod ioc;

#[allow(
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    missing_docs,
    clippy::all,
    clippy::undocumented_unsafe_blocks
)]
#[rustfmt::skip]
mod generated;

pub use generated::*;
