//! Syscall numbers and the layout of `struct pt_regs` for the architectures we build for: the
//! raw `sys_enter` tracepoint hands us the registers, not decoded arguments.

use core::mem::MaybeUninit;

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
    pub const EXIT: i64 = 60;
    pub const EXECVE: i64 = 59;
    pub const EXECVEAT: i64 = 322;
    /// `pt_regs` words read at once (r10, r9, r8, ax, cx, dx, si, di, orig_ax), from byte offset 56...
    pub const REGS_START: usize = 56;
    pub const REGS_WORDS: usize = 9;
    /// ...where the six argument registers (di, si, dx, r10, r8, r9) are among them...
    pub const ARG_INDEX: [usize; 6] = [7, 6, 5, 0, 2, 1];
    /// ...and at syscall exit (`ax` holds the return value by then, the arguments are intact).
    pub const EXIT_ARG_INDEX: [usize; 6] = ARG_INDEX;
    /// Where the syscall number (`orig_ax`) is among them.
    pub const NR_INDEX: usize = 8;
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
    pub const EXIT: i64 = 93;
    pub const EXECVE: i64 = 221;
    pub const EXECVEAT: i64 = 281;
    /// `pt_regs` (arch/arm64/include/asm/ptrace.h in 6.12): x0..x30 (`regs[31]`), sp, pc, pstate,
    /// orig_x0, then the word whose low half is the s32 `syscallno`. Read as two blocks, x0..x5
    /// and orig_x0 + syscallno (the whole 36 words on the stack pushed `sys_enter` with its
    /// `bpf_loop` callback past the 512-byte stack). At syscall entry x0 still holds the first
    /// argument; at exit it holds the return value and orig_x0 the argument.
    pub const REGS_START: usize = 0;
    pub const REGS_WORDS: usize = 6;
    pub const TAIL_START: usize = 34 * 8;
    pub const TAIL_WORDS: usize = 2;
}

pub use arch::*;

/// `fcntl` commands that duplicate an fd.
pub const F_DUPFD: u64 = 0;
pub const F_DUPFD_CLOEXEC: u64 = 1030;
/// `O_CLOEXEC` in dup3's flags (the generic value: x86, Arm and RISC-V).
pub const O_CLOEXEC: u64 = 0o2_000_000;
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
        || nr == EXIT
        || nr == EXECVE
        || nr == EXECVEAT
}

/// Reads `N` words of the `pt_regs` at `regs`, from byte offset `start`.
#[inline(always)]
fn regs_words<const N: usize>(regs: u64, start: usize) -> [u64; N] {
    // Left uninitialised on purpose: a zeroed array costs a byte-wise memset call per syscall.
    let mut words = MaybeUninit::<[u64; N]>::uninit();
    // SAFETY: `regs` is the kernel `pt_regs` pointer given to `raw_syscalls/sys_enter`/`sys_exit`;
    // bpf_probe_read_kernel checks the access and writes all N words (zeros if it faults).
    unsafe {
        bpf_probe_read_kernel(
            words.as_mut_ptr().cast(),
            (N * 8) as u32,
            (regs as *const u8).add(start).cast(),
        );
        words.assume_init()
    }
}

/// Reads the syscall number and the six syscall arguments from the `pt_regs` a raw
/// `sys_enter`/`sys_exit` tracepoint passed (one helper call). At exit they come from the
/// registers the kernel keeps intact, so nothing needs stashing between entry and exit.
#[cfg(bpf_target_arch = "x86_64")]
#[inline(always)]
pub fn read_regs(regs: u64, exit: bool) -> (i64, [u64; 6]) {
    let words = regs_words::<REGS_WORDS>(regs, REGS_START);
    let index = if exit { EXIT_ARG_INDEX } else { ARG_INDEX };
    let nr = words.get(NR_INDEX).copied().unwrap_or(0) as i32 as i64;
    (nr, index.map(|i| words.get(i).copied().unwrap_or(0)))
}

/// Reads the syscall number and the six syscall arguments from the `pt_regs` a raw
/// `sys_enter`/`sys_exit` tracepoint passed (two helper calls: x0..x5, then orig_x0 and the
/// 32-bit `syscallno`). At exit x0 holds the return value: the first argument is orig_x0.
#[cfg(bpf_target_arch = "aarch64")]
#[inline(always)]
pub fn read_regs(regs: u64, exit: bool) -> (i64, [u64; 6]) {
    let mut args = regs_words::<REGS_WORDS>(regs, REGS_START);
    let tail = regs_words::<TAIL_WORDS>(regs, TAIL_START);
    if exit {
        args[0] = tail[0];
    }
    (tail[1] as i32 as i64, args)
}
