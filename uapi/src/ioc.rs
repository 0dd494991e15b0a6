//! The kernel's ioctl number encoding (`include/uapi/asm-generic/ioctl.h`, which x86_64 and
//! arm64 use): direction in bits 30..32, argument size in 16..30, type in 8..16, number in 0..8.

use core::mem::size_of;

/// `_IOC_NONE`, `_IOC_WRITE`, `_IOC_READ`: the direction bits.
pub const NONE: u32 = 0;
/// User space writes the argument (the kernel reads it).
pub const WRITE: u32 = 1;
/// The kernel writes the argument back.
pub const READ: u32 = 2;

/// `_IOC(dir, type, nr, size)`.
pub const fn ioc(dir: u32, ty: u8, nr: u32, size: usize) -> u32 {
    (dir << 30) | (((size as u32) & 0x3fff) << 16) | ((ty as u32) << 8) | nr
}

/// `_IO(type, nr)`.
pub const fn io(ty: u8, nr: u32) -> u32 {
    ioc(NONE, ty, nr, 0)
}

/// `_IOR(type, nr, T)`.
pub const fn ior<T>(ty: u8, nr: u32) -> u32 {
    ioc(READ, ty, nr, size_of::<T>())
}

/// `_IOW(type, nr, T)`.
pub const fn iow<T>(ty: u8, nr: u32) -> u32 {
    ioc(WRITE, ty, nr, size_of::<T>())
}

/// `_IOWR(type, nr, T)`.
pub const fn iowr<T>(ty: u8, nr: u32) -> u32 {
    ioc(READ | WRITE, ty, nr, size_of::<T>())
}

/// The argument size an ioctl number encodes.
pub const fn size(cmd: u32) -> usize {
    ((cmd >> 16) & 0x3fff) as usize
}

/// The direction bits of an ioctl number (`WRITE`, `READ`, both or `NONE`).
pub const fn dir(cmd: u32) -> u32 {
    cmd >> 30
}

/// The type byte of an ioctl number (`'V'`, `'|'`, `'b'`, …).
pub const fn ty(cmd: u32) -> u8 {
    (cmd >> 8) as u8
}

/// Whether `cmd` is a V4L2 (`'V'`), media-controller or media-request (`'|'`) or dma-buf
/// (`'b'`) ioctl: the filter the tracer applies to every ioctl (the type bytes are those of the
/// headers' own ioctls).
pub const fn is_v4l2_media_or_dma_buf(cmd: u32) -> bool {
    let t = ty(cmd);
    t == ty(crate::VIDIOC_QUERYCAP)
        || t == ty(crate::MEDIA_IOC_DEVICE_INFO)
        || t == crate::DMA_BUF_BASE
}
