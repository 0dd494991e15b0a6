//! vatrace's eBPF programs: raw `sys_enter`/`sys_exit` tracepoints filtered on traced processes
//! and on the syscalls that matter for V4L2 (ioctl, open/close/dup, mmap/munmap, poll, clone),
//! plus `sched_process_fork`/`sched_process_exit` to follow the process tree.
#![no_std]
#![no_main]

mod abi;
mod emit;
mod files;
mod ioctl;
mod maps;
mod process;
mod syscalls;

use aya_ebpf::{
    helpers::{bpf_get_current_pid_tgid, bpf_ktime_get_ns, bpf_probe_read_user},
    macros::{raw_tracepoint, tracepoint},
    programs::{RawTracePointContext, TracePointContext},
};
use tracer_common::{is_traced_ioctl, NO_FD};

use maps::{is_traced, InFlight, EXIT_CODES, INFLIGHT};
use syscalls::*;

/// Reads a timespec at `ptr` as nanoseconds, -1 for a NULL pointer (infinite timeout).
#[inline(always)]
fn timespec_ns(ptr: u64) -> i64 {
    if ptr == 0 {
        return -1;
    }
    // SAFETY: the helper checks the user address.
    let ts: [i64; 2] = unsafe { bpf_probe_read_user(ptr as *const [i64; 2]) }.unwrap_or([0, 0]);
    ts[0].wrapping_mul(1_000_000_000).wrapping_add(ts[1])
}

#[raw_tracepoint(tracepoint = "sys_enter")]
pub fn sys_enter(ctx: RawTracePointContext) -> i32 {
    // Cheapest test first: most syscalls of every process on the machine stop here.
    let nr: i64 = ctx.arg(1);
    if !is_interesting(nr) {
        return 0;
    }
    let pid_tgid = bpf_get_current_pid_tgid();
    let tgid = (pid_tgid >> 32) as u32;
    if !is_traced(tgid) {
        return 0;
    }
    let regs: u64 = ctx.arg(0);
    let (_, mut args) = read_regs(regs, false);
    let tid = pid_tgid as u32;
    if nr == IOCTL {
        let cmd = args[1] as u32;
        if is_traced_ioctl(cmd) {
            ioctl::on_enter(tgid, args[0] as i32, cmd, args[2]);
        }
        // The exit reads the arguments back from the registers: nothing to stash.
        return 0;
    } else if nr == MMAP {
        if !files::is_device_fd(tgid, args[4] as i32) {
            return 0;
        }
    } else if nr == MUNMAP {
        if !files::is_device_mapping(tgid, args[0]) {
            return 0;
        }
    } else if nr == POLL {
        if !files::on_poll_enter(
            tgid,
            args[0],
            args[1],
            (args[2] as i32 as i64).wrapping_mul(1_000_000),
            false,
        ) {
            return 0;
        }
    } else if nr == PPOLL {
        if !files::on_poll_enter(tgid, args[0], args[1], timespec_ns(args[2]), true) {
            return 0;
        }
    } else if nr == FCNTL {
        if args[1] != F_DUPFD && args[1] != F_DUPFD_CLOEXEC {
            return 0;
        }
    } else if nr == CLONE3 {
        // clone3(struct clone_args *, size): flags are the first field.
        // SAFETY: the helper checks the user address.
        args[0] = unsafe { bpf_probe_read_user(args[0] as *const u64) }.unwrap_or(0);
    } else if nr == EXECVE {
        files::on_exec_enter(args[0], args[1]);
    } else if nr == EXECVEAT {
        files::on_exec_enter(args[1], args[2]);
    } else if nr == OPENAT2 {
        // openat2(dirfd, path, struct open_how { u64 flags, mode, resolve } *, size): keep
        // flags and mode in the stashed arguments' unused slots.
        // SAFETY: the helper checks the user address.
        let how: [u64; 2] =
            unsafe { bpf_probe_read_user(args[2] as *const [u64; 2]) }.unwrap_or([0, 0]);
        args[4] = how[0];
        args[5] = how[1];
    } else if nr == EXIT_GROUP {
        let _ = EXIT_CODES.insert(&tgid, &(args[0] as i32), 0);
        return 0;
    } else if nr == EXIT {
        // A thread's own exit (pthread_exit): keyed by its tid, which no live process shares.
        if tid != tgid {
            let _ = EXIT_CODES.insert(&tid, &(args[0] as i32), 0);
        }
        return 0;
    }
    // The rarer syscalls stash their arguments: an exec replaces the registers, a clone's child
    // must be told apart from its parent, and the exit handlers want the entry's view.
    // SAFETY: helper without memory arguments.
    let ts = unsafe { bpf_ktime_get_ns() };
    let _ = INFLIGHT.insert(&tid, &InFlight { nr, args, ts }, 0);
    0
}

#[raw_tracepoint(tracepoint = "sys_exit")]
pub fn sys_exit(ctx: RawTracePointContext) -> i32 {
    // Cheapest test first: the exit tracepoint does not pass the syscall number, and reading it
    // from the registers is a helper call that no untraced process should pay.
    let pid_tgid = bpf_get_current_pid_tgid();
    let tgid = (pid_tgid >> 32) as u32;
    if !is_traced(tgid) {
        return 0;
    }
    let (nr, args) = read_regs(ctx.arg(0), true);
    let ret: i64 = ctx.arg(1);
    if nr == IOCTL {
        let cmd = args[1] as u32;
        if is_traced_ioctl(cmd) {
            ioctl::on_exit(tgid, args[0] as i32, cmd, args[2], ret);
        }
        return 0;
    }
    if !is_interesting(nr) {
        return 0;
    }
    let tid = pid_tgid as u32;
    // SAFETY: plain lookup, value copied out before the entry is removed.
    let Some(f) = (unsafe { INFLIGHT.get(&tid) }).copied() else {
        return 0;
    };
    let _ = INFLIGHT.remove(&tid);
    let a = &f.args;
    if f.nr == OPENAT {
        files::on_open(tgid, a[0] as i32, a[1], a[2] as u32, a[3] as u32, ret);
    } else if f.nr == OPENAT2 {
        files::on_open(tgid, a[0] as i32, a[1], a[4] as u32, a[5] as u32, ret);
    } else if f.nr == OPEN {
        files::on_open(tgid, NO_FD, a[0], a[1] as u32, a[2] as u32, ret);
    } else if f.nr == CLOSE {
        files::on_close(tgid, a[0] as i32, ret);
    } else if f.nr == DUP {
        files::on_dup(tgid, a[0] as i32, NO_FD as i64, ret, false);
    } else if f.nr == DUP2 {
        files::on_dup(tgid, a[0] as i32, a[1] as i32 as i64, ret, false);
    } else if f.nr == DUP3 {
        let cloexec = a[2] & O_CLOEXEC != 0;
        files::on_dup(tgid, a[0] as i32, a[1] as i32 as i64, ret, cloexec);
    } else if f.nr == FCNTL {
        let cloexec = a[1] == F_DUPFD_CLOEXEC;
        files::on_dup(tgid, a[0] as i32, a[2] as i32 as i64, ret, cloexec);
    } else if f.nr == MMAP {
        files::on_mmap(tgid, a, ret);
    } else if f.nr == MUNMAP {
        files::on_munmap(tgid, a[0], a[1], ret);
    } else if f.nr == EXECVE || f.nr == EXECVEAT {
        files::on_exec_exit(ret);
    } else if f.nr == POLL || f.nr == PPOLL {
        files::on_poll_exit(tgid, a[0], a[1], ret, f.nr == PPOLL);
    }
    0
}

/// Does nothing, attached only by `vatrace bench` beside `empty_exit`: the floor, what the raw
/// syscall tracepoints cost every syscall of every process before any program work.
#[raw_tracepoint(tracepoint = "sys_enter")]
pub fn empty_enter(_ctx: RawTracePointContext) -> i32 {
    0
}

/// See `empty_enter`.
#[raw_tracepoint(tracepoint = "sys_exit")]
pub fn empty_exit(_ctx: RawTracePointContext) -> i32 {
    0
}

#[tracepoint(category = "sched", name = "sched_process_fork")]
pub fn sched_process_fork(ctx: TracePointContext) -> u32 {
    process::on_fork(&ctx);
    0
}

#[tracepoint(category = "sched", name = "sched_process_exit")]
pub fn sched_process_exit(ctx: TracePointContext) -> u32 {
    process::on_exit(&ctx);
    0
}

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}

#[link_section = "license"]
#[no_mangle]
static LICENSE: [u8; 13] = *b"Dual MIT/GPL\0";
