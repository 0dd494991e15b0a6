//! The one record-building path of a followed syscall's entry and exit, shared by both attach
//! mechanisms: the raw `sys_enter`/`sys_exit` tracepoints (syscall number read from the
//! registers) and the fentry/fexit programs on each syscall's wrapper (number known statically,
//! so inlining keeps only that syscall's branch).

use aya_ebpf::helpers::{bpf_get_current_pid_tgid, bpf_ktime_get_ns, bpf_probe_read_user};
use tracer_common::{is_traced_ioctl, NO_FD};

use crate::{
    files, ioctl,
    maps::{is_traced, InFlight, EXIT_CODES, INFLIGHT},
    syscalls::*,
};

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

/// Entry of syscall `nr` (one of `is_interesting`'s) with the `pt_regs` at `regs`.
#[inline(always)]
pub fn enter(nr: i64, regs: u64) {
    let pid_tgid = bpf_get_current_pid_tgid();
    let tgid = (pid_tgid >> 32) as u32;
    if !is_traced(tgid) {
        return;
    }
    let (_, mut args) = read_regs(regs, false);
    let tid = pid_tgid as u32;
    if nr == IOCTL {
        let cmd = args[1] as u32;
        if is_traced_ioctl(cmd) {
            ioctl::on_enter(tgid, args[0] as i32, cmd, args[2]);
        }
        // The exit reads the arguments back from the registers: nothing to stash.
        return;
    } else if nr == MMAP {
        if !files::is_device_fd(tgid, args[4] as i32) {
            return;
        }
    } else if nr == MUNMAP {
        if !files::is_device_mapping(tgid, args[0]) {
            return;
        }
    } else if nr == POLL {
        if !files::on_poll_enter(
            tgid,
            args[0],
            args[1],
            (args[2] as i32 as i64).wrapping_mul(1_000_000),
            false,
        ) {
            return;
        }
    } else if nr == PPOLL {
        if !files::on_poll_enter(tgid, args[0], args[1], timespec_ns(args[2]), true) {
            return;
        }
    } else if nr == FCNTL {
        if args[1] != F_DUPFD && args[1] != F_DUPFD_CLOEXEC {
            return;
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
        return;
    } else if nr == EXIT {
        // A thread's own exit (pthread_exit): keyed by its tid, which no live process shares.
        if tid != tgid {
            let _ = EXIT_CODES.insert(&tid, &(args[0] as i32), 0);
        }
        return;
    }
    // The rarer syscalls stash their arguments: an exec replaces the registers, a clone's child
    // must be told apart from its parent, and the exit handlers want the entry's view.
    // SAFETY: helper without memory arguments.
    let ts = unsafe { bpf_ktime_get_ns() };
    let _ = INFLIGHT.insert(&tid, &InFlight { nr, args, ts }, 0);
}

/// Exit of a syscall returning `ret`, the `pt_regs` at `regs`; `nr` is the syscall's number
/// when the caller knows it (fexit), else None (read from the registers).
#[inline(always)]
pub fn exit(nr: Option<i64>, regs: u64, ret: i64) {
    let pid_tgid = bpf_get_current_pid_tgid();
    let tgid = (pid_tgid >> 32) as u32;
    if !is_traced(tgid) {
        return;
    }
    let (read_nr, args) = read_regs(regs, true);
    let known = nr;
    let nr = known.unwrap_or(read_nr);
    if nr == IOCTL {
        let cmd = args[1] as u32;
        if is_traced_ioctl(cmd) {
            ioctl::on_exit(tgid, args[0] as i32, cmd, args[2], ret);
        }
        return;
    }
    if !is_interesting(nr) {
        return;
    }
    let tid = pid_tgid as u32;
    // SAFETY: plain lookup, value copied out before the entry is removed.
    let Some(f) = (unsafe { INFLIGHT.get(&tid) }).copied() else {
        return;
    };
    let _ = INFLIGHT.remove(&tid);
    // A known number is a constant after inlining: each fexit program keeps only its branch.
    let nr = match known {
        Some(nr) if nr != f.nr => return,
        Some(nr) => nr,
        None => f.nr,
    };
    let a = &f.args;
    if nr == OPENAT {
        files::on_open(tgid, a[0] as i32, a[1], a[2] as u32, a[3] as u32, ret);
    } else if nr == OPENAT2 {
        files::on_open(tgid, a[0] as i32, a[1], a[4] as u32, a[5] as u32, ret);
    } else if nr == OPEN {
        files::on_open(tgid, NO_FD, a[0], a[1] as u32, a[2] as u32, ret);
    } else if nr == CLOSE {
        files::on_close(tgid, a[0] as i32, ret);
    } else if nr == DUP {
        files::on_dup(tgid, a[0] as i32, NO_FD as i64, ret, false);
    } else if nr == DUP2 {
        files::on_dup(tgid, a[0] as i32, a[1] as i32 as i64, ret, false);
    } else if nr == DUP3 {
        let cloexec = a[2] & O_CLOEXEC != 0;
        files::on_dup(tgid, a[0] as i32, a[1] as i32 as i64, ret, cloexec);
    } else if nr == FCNTL {
        let cloexec = a[1] == F_DUPFD_CLOEXEC;
        files::on_dup(tgid, a[0] as i32, a[2] as i32 as i64, ret, cloexec);
    } else if nr == MMAP {
        files::on_mmap(tgid, a, ret);
    } else if nr == MUNMAP {
        files::on_munmap(tgid, a[0], a[1], ret);
    } else if nr == EXECVE || nr == EXECVEAT {
        files::on_exec_exit(ret);
    } else if nr == POLL || nr == PPOLL {
        files::on_poll_exit(tgid, a[0], a[1], ret, nr == PPOLL);
    }
}
