//! Live fault injection (`vatrace record --inject NAME#K=ERRNO`): a BPF LSM program on the
//! `file_ioctl` hook, which the kernel runs before an ioctl reaches its driver. For a traced
//! process and an ioctl some rule names, it counts the call (per process and ioctl number) and
//! fails the call a rule picks with `-errno`; the thread's ioctl exit then marks its record
//! injected (`ioctl_flags::INJECTED`). User space loads this program only when asked to inject.

use aya_ebpf::{
    helpers::bpf_get_current_pid_tgid,
    macros::{lsm, map},
    maps::{Array, HashMap, LruHashMap},
    programs::LsmContext,
};
use tracer_common::{InjectCountKey, InjectRule, MAX_INJECT};

use crate::maps::{global, is_traced};

/// The rules, in the order given (an element with `nth` 0 ends the list).
#[map(name = "INJECT_RULES")]
pub static INJECT_RULES: Array<InjectRule> = Array::with_max_entries(MAX_INJECT, 0);

/// Calls seen so far of each ruled ioctl number, per traced process.
#[map(name = "INJECT_COUNTS")]
pub static INJECT_COUNTS: LruHashMap<InjectCountKey, u64> = LruHashMap::with_max_entries(4096, 0);

/// Threads whose ioctl in progress was failed by injection: thread id → errno, taken by the
/// ioctl's exit.
#[map(name = "INJECTED")]
pub static INJECTED: HashMap<u32, u32> = HashMap::with_max_entries(4096, 0);

/// Non-zero when user space loaded the injection program (set at load): the ioctl exit looks
/// into `INJECTED` only then (the verifier drops the lookup otherwise).
#[no_mangle]
pub static INJECTING: u64 = 0;

/// Zero (see its use in `inject_file_ioctl`).
#[no_mangle]
pub static INJECT_ZERO: u64 = 0;

/// `security_file_ioctl(file, cmd, arg)`; the last argument is an earlier LSM program's verdict.
#[lsm(hook = "file_ioctl")]
pub fn inject_file_ioctl(ctx: LsmContext) -> i32 {
    let earlier: i32 = ctx.arg(3);
    if earlier != 0 {
        return earlier;
    }
    let pid_tgid = bpf_get_current_pid_tgid();
    let tgid = (pid_tgid >> 32) as u32;
    if !is_traced(tgid) {
        return 0;
    }
    let cmd = ctx.arg::<u64>(1) as u32;
    if !ruled(cmd) {
        return 0;
    }
    let key = InjectCountKey { tgid, cmd };
    let n = match INJECT_COUNTS.get_ptr_mut(&key) {
        Some(p) => {
            // SAFETY: a map value, valid while the program runs. Two threads of one process
            // issuing this ioctl at the same instant can both read the old count (BPF's Rust
            // target has no fetch-and-add); clients issue these from one thread.
            unsafe {
                *p += 1;
                *p
            }
        }
        None => {
            let _ = INJECT_COUNTS.insert(&key, &1, 0);
            1
        }
    };
    let mut i = 0;
    while i < MAX_INJECT {
        let Some(rule) = INJECT_RULES.get(i) else {
            break;
        };
        if rule.nth == 0 {
            break;
        }
        let errno = rule.errno & 0xfff;
        if rule.cmd == cmd && rule.nth == n && errno > 0 {
            let _ = INJECTED.insert(&(pid_tgid as u32), &errno, 0);
            // The verifier wants the return in [-4095, 0], and does not follow a negation's
            // range: a subtraction from a zero the compiler cannot see (a read-only global)
            // it does follow.
            return global(&INJECT_ZERO).wrapping_sub(u64::from(errno)) as i64 as i32;
        }
        i += 1;
    }
    0
}

/// Whether some rule names ioctl `cmd`.
#[inline(always)]
fn ruled(cmd: u32) -> bool {
    let mut i = 0;
    while i < MAX_INJECT {
        let Some(rule) = INJECT_RULES.get(i) else {
            return false;
        };
        if rule.nth == 0 {
            return false;
        }
        if rule.cmd == cmd {
            return true;
        }
        i += 1;
    }
    false
}

/// Whether the current thread's ioctl (now exiting) was failed by injection; forgets it.
#[inline(always)]
pub fn take_injected() -> bool {
    if global(&INJECTING) == 0 {
        return false;
    }
    let tid = bpf_get_current_pid_tgid() as u32;
    // SAFETY: plain lookup; nothing is kept past the remove.
    if unsafe { INJECTED.get(&tid) }.is_none() {
        return false;
    }
    let _ = INJECTED.remove(&tid);
    true
}
