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
    (dir << 30) | ((size as u32) << 16) | ((ty as u32) << 8) | nr
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
