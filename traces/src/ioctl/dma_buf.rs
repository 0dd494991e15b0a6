//! DMA-BUF ioctls on exported buffer fds: DMA_BUF_IOCTL_SYNC (CPU-access brackets around reads
//! of exported CAPTURE buffers), the sync-file import/export, and SET_NAME.

use std::fmt;

use serde::Serialize;

use super::decode::{DecodeError, Fields};
use super::layout::{dma_buf_export_sync_file as X, dma_buf_sync as S};
use super::names;
use super::raw::Raw;
use super::{ArgType, Family, IoctlInfo};

pub use uapi::DMA_BUF_IOCTL_EXPORT_SYNC_FILE;
pub use uapi::DMA_BUF_IOCTL_IMPORT_SYNC_FILE;
pub use uapi::DMA_BUF_IOCTL_SYNC;
pub use uapi::DMA_BUF_SET_NAME_A;
pub use uapi::DMA_BUF_SET_NAME_B;

pub(super) const IOCTLS: &[IoctlInfo] = &[
    IoctlInfo::new(
        "DMA_BUF_IOCTL_SYNC",
        DMA_BUF_IOCTL_SYNC,
        ArgType::DmaBufSync,
        Family::DmaBuf,
    ),
    IoctlInfo::new(
        "DMA_BUF_SET_NAME_A",
        DMA_BUF_SET_NAME_A,
        ArgType::Opaque,
        Family::DmaBuf,
    ),
    IoctlInfo::new(
        "DMA_BUF_SET_NAME_B",
        DMA_BUF_SET_NAME_B,
        ArgType::Opaque,
        Family::DmaBuf,
    ),
    IoctlInfo::new(
        "DMA_BUF_IOCTL_EXPORT_SYNC_FILE",
        DMA_BUF_IOCTL_EXPORT_SYNC_FILE,
        ArgType::DmaBufSyncFile,
        Family::DmaBuf,
    ),
    IoctlInfo::new(
        "DMA_BUF_IOCTL_IMPORT_SYNC_FILE",
        DMA_BUF_IOCTL_IMPORT_SYNC_FILE,
        ArgType::DmaBufSyncFile,
        Family::DmaBuf,
    ),
];

/// `DMA_BUF_SYNC_END`.
pub const SYNC_END: u64 = 4;

/// `struct dma_buf_sync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sync {
    pub flags: u64,
}

impl Sync {
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, S::SIZE, "dma_buf_sync")?;
        Ok(Sync {
            flags: r.u64(S::FLAGS),
        })
    }
    /// Whether this opens (START) rather than closes (END) a CPU access.
    pub fn is_start(&self) -> bool {
        self.flags & SYNC_END == 0
    }
}

impl fmt::Display for Sync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            &Fields::new()
                .field("flags", names::dma_buf_sync_flags(self.flags))
                .finish(),
        )
    }
}

/// `struct dma_buf_export_sync_file` / `dma_buf_import_sync_file`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SyncFile {
    pub flags: u32,
    pub fd: i32,
}

impl SyncFile {
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let r = Raw::new(bytes, X::SIZE, "dma_buf_export_sync_file")?;
        Ok(SyncFile {
            flags: r.u32(0),
            fd: r.i32(4),
        })
    }
}

impl fmt::Display for SyncFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            &Fields::new()
                .field("flags", names::dma_buf_sync_flags(self.flags.into()))
                .field("fd", self.fd)
                .finish(),
        )
    }
}
