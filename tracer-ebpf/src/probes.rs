//! uprobes on the libva driver's pool-transition functions (`traces::probe::ProbeKind::ALL`): each
//! program `probe_N` sends a `Probe` record with function number N and the first four argument
//! registers, for traced processes only. The registers are read through aya-ebpf's `pt_regs`
//! accessors (x86_64: rdi, rsi, rdx, rcx; aarch64: x0–x3); user space cuts them to the C types.

use core::mem::size_of;

use aya_ebpf::{helpers::bpf_get_current_pid_tgid, macros::uprobe, programs::ProbeContext};
use tracer_common::{EventKind, ProbeEvent};

use crate::{
    emit::{header, scratch, submit},
    maps::is_traced,
};

/// Sends the `Probe` record of function `func` with the arguments in `ctx`'s registers.
#[inline(always)]
fn emit(ctx: &ProbeContext, func: u32) {
    let tgid = (bpf_get_current_pid_tgid() >> 32) as u32;
    if !is_traced(tgid) {
        return;
    }
    let Some(base) = scratch() else { return };
    let reg = |i: usize| ctx.arg::<u64>(i).unwrap_or(0);
    let ev = ProbeEvent {
        hdr: header(EventKind::Probe, size_of::<ProbeEvent>()),
        func,
        _pad: 0,
        args: [reg(0), reg(1), reg(2), reg(3)],
    };
    // SAFETY: the scratch value is 8-byte aligned and larger than a ProbeEvent.
    unsafe { base.cast::<ProbeEvent>().write(ev) };
    submit(base, size_of::<ProbeEvent>());
}

/// A uprobe program `$name` for function number `$func` of `PROBES`.
macro_rules! probe {
    ($name:ident, $func:expr) => {
        #[uprobe]
        pub fn $name(ctx: ProbeContext) -> u32 {
            emit(&ctx, $func);
            0
        }
    };
}

probe!(probe_0, 0);
probe!(probe_1, 1);
probe!(probe_2, 2);
probe!(probe_3, 3);
probe!(probe_4, 4);
probe!(probe_5, 5);
probe!(probe_6, 6);
