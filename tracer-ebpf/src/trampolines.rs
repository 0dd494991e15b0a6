//! The fentry/fexit entry points: one pair per followed syscall, attached by user space to that
//! syscall's wrapper (`__x64_sys_NAME`, `__arm64_sys_NAME`, named in
//! `tracer_common::TRAMPOLINES`). Each takes the wrapper's `pt_regs` argument (and fexit its
//! return value) and runs the shared `dispatch` path with its syscall number as a constant.
//! Unlike the raw syscall tracepoints they cost nothing to the syscalls nobody follows.

use aya_ebpf::{
    macros::{fentry, fexit},
    programs::{FEntryContext, FExitContext},
};

use crate::{dispatch, syscalls::*};

/// An fentry program `$entry` for syscall `$nr`, and with `$exit` its fexit program.
macro_rules! trampolines {
    ($nr:ident, $entry:ident) => {
        #[fentry]
        pub fn $entry(ctx: FEntryContext) -> u32 {
            dispatch::enter($nr, ctx.arg(0));
            0
        }
    };
    ($nr:ident, $entry:ident, $exit:ident) => {
        trampolines!($nr, $entry);

        #[fexit]
        pub fn $exit(ctx: FExitContext) -> u32 {
            dispatch::exit(Some($nr), ctx.arg(0), ctx.arg(1));
            0
        }
    };
}

trampolines!(IOCTL, fentry_ioctl, fexit_ioctl);
trampolines!(OPENAT, fentry_openat, fexit_openat);
trampolines!(OPENAT2, fentry_openat2, fexit_openat2);
trampolines!(CLOSE, fentry_close, fexit_close);
trampolines!(DUP, fentry_dup, fexit_dup);
trampolines!(DUP3, fentry_dup3, fexit_dup3);
trampolines!(FCNTL, fentry_fcntl, fexit_fcntl);
trampolines!(MMAP, fentry_mmap, fexit_mmap);
trampolines!(MUNMAP, fentry_munmap, fexit_munmap);
trampolines!(PPOLL, fentry_ppoll, fexit_ppoll);
trampolines!(CLONE, fentry_clone, fexit_clone);
trampolines!(CLONE3, fentry_clone3, fexit_clone3);
trampolines!(EXECVE, fentry_execve, fexit_execve);
trampolines!(EXECVEAT, fentry_execveat, fexit_execveat);
// exit and exit_group never return: their entry stashes the exit code for sched_process_exit.
trampolines!(EXIT, fentry_exit);
trampolines!(EXIT_GROUP, fentry_exit_group);

// Syscalls arm64 does not have (its libc uses openat, dup3, ppoll).
#[cfg(bpf_target_arch = "x86_64")]
mod legacy {
    use super::*;

    trampolines!(OPEN, fentry_open, fexit_open);
    trampolines!(DUP2, fentry_dup2, fexit_dup2);
    trampolines!(POLL, fentry_poll, fexit_poll);
}
