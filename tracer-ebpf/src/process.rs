//! Following the traced process tree: fork/clone (threads and processes) and exit.

use core::mem::size_of;

use aya_ebpf::{
    helpers::{bpf_get_current_pid_tgid, bpf_get_current_task, bpf_probe_read_kernel},
    programs::TracePointContext,
};
use tracer_common::{EventKind, ExitEvent, ForkEvent};

use crate::{
    emit::{header, scratch, submit},
    maps::{
        global, is_traced, set_traced, EXIT_CODES, EXIT_GROUP_DEAD_OFF, FORK_CHILD_PID_OFF,
        INFLIGHT, TASK_EXIT_CODE_OFF,
    },
    syscalls::{CLONE, CLONE3, CLONE_THREAD},
};

/// `sched/sched_process_fork`: runs in the parent. A new process of a traced one is traced too;
/// threads are covered already (tracing is per thread group) but are reported.
pub fn on_fork(ctx: &TracePointContext) {
    let pid_tgid = bpf_get_current_pid_tgid();
    let tgid = (pid_tgid >> 32) as u32;
    if !is_traced(tgid) {
        return;
    }
    // SAFETY: reads a field of the tracepoint record at the offset tracefs gave us.
    let Ok(child) = (unsafe { ctx.read_at::<i32>(global(&FORK_CHILD_PID_OFF) as usize) }) else {
        return;
    };
    // The clone flags were stashed at syscall entry (fork/vfork have none: never a thread).
    let tid = pid_tgid as u32;
    // SAFETY: plain lookup, value copied out.
    let is_thread = match unsafe { INFLIGHT.get(&tid) } {
        Some(f) if f.nr == CLONE || f.nr == CLONE3 => f.args[0] & CLONE_THREAD != 0,
        _ => false,
    };
    if !is_thread {
        set_traced(child as u32, true);
    }
    let Some(base) = scratch() else { return };
    let ev = ForkEvent {
        hdr: header(EventKind::Fork, size_of::<ForkEvent>()),
        child_tid: child as u32,
        is_thread: is_thread as u32,
    };
    // SAFETY: the scratch value is 8-byte aligned and larger than a ForkEvent.
    unsafe { base.cast::<ForkEvent>().write(ev) };
    submit(base, size_of::<ForkEvent>());
}

/// The exiting task's `exit_code` (wait status: code << 8 | signal, 0x80 for a core dump), read
/// at the offset BTF gave user space; None if that offset is unknown or the read fails.
fn task_exit_code() -> Option<i32> {
    let off = global(&TASK_EXIT_CODE_OFF);
    if off == 0 {
        return None;
    }
    // SAFETY: bpf_get_current_task has no arguments; it returns the running task's address.
    let task = unsafe { bpf_get_current_task() } as *const u8;
    // SAFETY: bpf_probe_read_kernel checks the address itself and fails instead of faulting.
    unsafe { bpf_probe_read_kernel(task.wrapping_add(off as usize).cast::<i32>()) }.ok()
}

/// `sched/sched_process_exit`: runs in the exiting thread.
pub fn on_exit(ctx: &TracePointContext) {
    let pid_tgid = bpf_get_current_pid_tgid();
    let tgid = (pid_tgid >> 32) as u32;
    let tid = pid_tgid as u32;
    if !is_traced(tgid) {
        return;
    }
    let _ = INFLIGHT.remove(&tid);
    let off = global(&EXIT_GROUP_DEAD_OFF);
    let group_dead = if off == 0 {
        2
    } else {
        // SAFETY: reads a field of the tracepoint record at the offset tracefs gave us.
        (unsafe { ctx.read_at::<u8>(off as usize) }.unwrap_or(0) != 0) as u32
    };
    // A thread that called exit() left its code under its tid, exit_group under the tgid.
    // SAFETY: plain lookups, values copied out.
    let own = if tid != tgid {
        unsafe { EXIT_CODES.get(&tid) }.copied()
    } else {
        None
    };
    if own.is_some() {
        let _ = EXIT_CODES.remove(&tid);
    }
    // SAFETY: as above.
    let called = own.or_else(|| unsafe { EXIT_CODES.get(&tgid) }.copied());
    let gone = group_dead == 1 || (group_dead == 2 && tid == tgid);
    if gone {
        let _ = EXIT_CODES.remove(&tgid);
    }
    // The kernel's own status (set by do_exit before this tracepoint) covers deaths by signal
    // too; without BTF, the code the exit call was given (status << 8), else -1 (unknown).
    let code = match task_exit_code() {
        Some(status) => status,
        None => called.map_or(-1, |c| (c & 0xff) << 8),
    };
    let Some(base) = scratch() else { return };
    let ev = ExitEvent {
        hdr: header(EventKind::Exit, size_of::<ExitEvent>()),
        code,
        group_dead,
    };
    // SAFETY: the scratch value is 8-byte aligned and larger than an ExitEvent.
    unsafe { base.cast::<ExitEvent>().write(ev) };
    submit(base, size_of::<ExitEvent>());
    if gone {
        // After the record: user space must see the exit before the pid is forgotten.
        set_traced(tgid, false);
    }
}
