//! Syscall numbers and the layout of `struct pt_regs` for the architectures we build for: the
//! raw `sys_enter` tracepoint hands us the registers, not decoded arguments.

use aya_ebpf::helpers::generated::bpf_probe_read_kernel;

#[cfg(bpf_target_arch = "x86_64")]
mod arch {
    pub const IOCTL: i64 = 16;
    pub const OPEN: i64 = 2;
    pub const OPENAT: i64 = 257;
    pub const OPENAT2: i64 = 437;
    pub const CLOSE: i64 = 3;
    pub const DUP: i64 = 32;
    pub const DUP2: i64 = 33;
    pub const DUP3: i64 = 292;
    pub const FCNTL: i64 = 72;
    pub const MMAP: i64 = 9;
    pub const MUNMAP: i64 = 11;
    pub const POLL: i64 = 7;
    pub const PPOLL: i64 = 271;
    pub const CLONE: i64 = 56;
    pub const CLONE3: i64 = 435;
    pub const EXIT_GROUP: i64 = 231;
    pub const EXECVE: i64 = 59;
    pub const EXECVEAT: i64 = 322;
    /// `pt_regs` words read at once (r10, r9, r8, ax, cx, dx, si, di), from byte offset 56...
    pub const REGS_START: usize = 56;
    pub const REGS_WORDS: usize = 8;
    /// ...and where the six argument registers (di, si, dx, r10, r8, r9) are among them.
    pub const ARG_INDEX: [usize; 6] = [7, 6, 5, 0, 2, 1];
}

#[cfg(bpf_target_arch = "aarch64")]
mod arch {
    pub const IOCTL: i64 = 29;
    pub const OPEN: i64 = -1;
    pub const OPENAT: i64 = 56;
    pub const OPENAT2: i64 = 437;
    pub const CLOSE: i64 = 57;
    pub const DUP: i64 = 23;
    pub const DUP2: i64 = -1;
    pub const DUP3: i64 = 24;
    pub const FCNTL: i64 = 25;
    pub const MMAP: i64 = 222;
    pub const MUNMAP: i64 = 215;
    pub const POLL: i64 = -1;
    pub const PPOLL: i64 = 73;
    pub const CLONE: i64 = 220;
    pub const CLONE3: i64 = 435;
    pub const EXIT_GROUP: i64 = 94;
    pub const EXECVE: i64 = 221;
    pub const EXECVEAT: i64 = 281;
    /// `pt_regs` words read at once: x0..x5 (at syscall entry x0 still holds the first argument).
    pub const REGS_START: usize = 0;
    pub const REGS_WORDS: usize = 6;
    pub const ARG_INDEX: [usize; 6] = [0, 1, 2, 3, 4, 5];
}

pub use arch::*;

/// `fcntl` commands that duplicate an fd.
pub const F_DUPFD: u64 = 0;
pub const F_DUPFD_CLOEXEC: u64 = 1030;
/// `clone` flag: the new task shares the thread group.
pub const CLONE_THREAD: u64 = 0x10000;

/// The syscalls whose entry we look at for a traced process.
#[inline(always)]
pub fn is_interesting(nr: i64) -> bool {
    nr == IOCTL
        || nr == OPENAT
        || nr == OPEN
        || nr == OPENAT2
        || nr == CLOSE
        || nr == DUP
        || nr == DUP2
        || nr == DUP3
        || nr == FCNTL
        || nr == MMAP
        || nr == MUNMAP
        || nr == POLL
        || nr == PPOLL
        || nr == CLONE
        || nr == CLONE3
        || nr == EXIT_GROUP
        || nr == EXECVE
        || nr == EXECVEAT
}

/// Reads the six syscall arguments from the `pt_regs` the raw tracepoint passed (one helper call).
#[inline(always)]
pub fn read_args(regs: u64) -> [u64; 6] {
    let mut words = [0u64; REGS_WORDS];
    // SAFETY: `regs` is the kernel `pt_regs` pointer given to `raw_syscalls/sys_enter`;
    // bpf_probe_read_kernel checks the access and leaves zeros if it faults.
    unsafe {
        bpf_probe_read_kernel(
            words.as_mut_ptr().cast(),
            (REGS_WORDS * 8) as u32,
            (regs as *const u8).add(REGS_START).cast(),
        )
    };
    let mut out = [0u64; 6];
    for (slot, i) in out.iter_mut().zip(ARG_INDEX) {
        if let Some(w) = words.get(i) {
            *slot = *w;
        }
    }
    out
}
