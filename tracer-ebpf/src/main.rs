//! vatrace's eBPF programs: raw `sys_enter`/`sys_exit` tracepoints filtered on traced processes
//! and on the syscalls that matter for V4L2 (ioctl, open/close/dup, mmap/munmap, poll, clone),
//! or the same work as fentry/fexit programs on each of those syscalls' wrappers (see
//! `trampolines`; both share `dispatch`), plus `sched_process_fork`/`sched_process_exit` to
//! follow the process tree, and uprobes on the libva driver's pool transitions (`probes`).
#![no_std]
#![no_main]

mod abi;
mod dispatch;
mod emit;
mod files;
mod inject;
mod ioctl;
mod maps;
mod probes;
mod process;
mod syscalls;
mod trampolines;

use aya_ebpf::{
    macros::{raw_tracepoint, tracepoint},
    programs::{RawTracePointContext, TracePointContext},
};

use syscalls::is_interesting;

#[raw_tracepoint(tracepoint = "sys_enter")]
pub fn sys_enter(ctx: RawTracePointContext) -> i32 {
    // Cheapest test first: most syscalls of every process on the machine stop here.
    let nr: i64 = ctx.arg(1);
    if is_interesting(nr) {
        dispatch::enter(nr, ctx.arg(0));
    }
    0
}

#[raw_tracepoint(tracepoint = "sys_exit")]
pub fn sys_exit(ctx: RawTracePointContext) -> i32 {
    // The exit tracepoint does not pass the syscall number: it is read from the registers, after
    // the traced-process test (a helper call no untraced process should pay).
    dispatch::exit(None, ctx.arg(0), ctx.arg(1));
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
