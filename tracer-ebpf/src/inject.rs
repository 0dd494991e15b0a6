//! Live fault injection (`vatrace record --inject SPEC=ERRNO`): a BPF LSM program on the
//! `file_ioctl` hook, which the kernel runs before an ioctl reaches its driver. For a traced
//! process and an ioctl some rule names, it counts the call per process: per ioctl number
//! (`NAME#K`), per ioctl number and `v4l2_buffer` index (`NAME@bufI#K`), and OUTPUT QBUFs as
//! frames (`NAME@frameF`); it fails the call a rule picks with `-errno`; the thread's ioctl exit
//! then marks its record injected (`ioctl_flags::INJECTED`). User space loads this program only
//! when asked to inject.
//!
//! The buffer index and type are read from the user argument with `bpf_probe_read_user` in this
//! (non-sleepable) program, as the tracer reads every argument: the client wrote the struct just
//! before the call, so it is resident; a read that fails (a swapped-out page) leaves the call
//! uncounted by the buffer and frame rules.

use aya_ebpf::{
    helpers::{bpf_get_current_pid_tgid, bpf_probe_read_user},
    macros::{lsm, map},
    maps::{Array, HashMap, LruHashMap},
    programs::LsmContext,
};
use tracer_common::{inject_kind, InjectCountKey, InjectRule, MAX_INJECT};

use crate::{
    abi::{
        BUFFER_INDEX, BUFFER_TYPE, BUF_TYPE_VIDEO_OUTPUT, BUF_TYPE_VIDEO_OUTPUT_MPLANE, VIDIOC_QBUF,
    },
    maps::{global, is_traced},
};

/// The rules, in the order given (an element with `nth` 0 ends the list).
#[map(name = "INJECT_RULES")]
pub static INJECT_RULES: Array<InjectRule> = Array::with_max_entries(MAX_INJECT, 0);

/// Per traced process: calls seen so far of each ruled ioctl number (and buffer index), and
/// the frame counters (see `InjectCountKey`).
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

const QBUF: u32 = VIDIOC_QBUF;
const REQUEST_QUEUE: u32 = uapi::MEDIA_REQUEST_IOC_QUEUE;

/// What the rules need counted for one call of ioctl `cmd`.
#[derive(Clone, Copy)]
struct Needs {
    calls: bool,
    buffers: bool,
    frames: bool,
}

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
    let want = needs(cmd);
    let frame_call = want.frames && (cmd == QBUF || cmd == REQUEST_QUEUE);
    if !want.calls && !want.buffers && !frame_call {
        return 0;
    }
    let n_call = if want.calls {
        bump(InjectCountKey {
            tgid,
            cmd,
            kind: inject_kind::CALL,
            index: 0,
        })
    } else {
        0
    };
    // The argument's `v4l2_buffer` index and type.
    let buf: Option<[u32; 2]> = if want.buffers || (want.frames && cmd == QBUF) {
        let arg = ctx.arg::<u64>(2);
        let field = |off: u64| {
            // SAFETY: bpf_probe_read_user checks the address and fails cleanly.
            unsafe { bpf_probe_read_user((arg + off) as *const u32) }.ok()
        };
        match (field(BUFFER_INDEX), field(BUFFER_TYPE)) {
            (Some(index), Some(ty)) => Some([index, ty]),
            _ => None,
        }
    } else {
        None
    };
    let (index, n_buf) = match buf {
        Some([index, _]) if want.buffers => (
            index,
            bump(InjectCountKey {
                tgid,
                cmd,
                kind: inject_kind::BUFFER,
                index,
            }),
        ),
        _ => (0, 0),
    };
    // Frames: the frame this QBUF starts, or the frames (last, now] whose first request queue
    // this is.
    let frames_key = InjectCountKey {
        tgid,
        cmd: QBUF,
        kind: inject_kind::FRAME,
        index: 0,
    };
    let (mut frame_lo, mut frame_hi) = (0u64, 0u64);
    if want.frames && cmd == QBUF {
        if let Some([_, ty]) = buf {
            if ty == BUF_TYPE_VIDEO_OUTPUT || ty == BUF_TYPE_VIDEO_OUTPUT_MPLANE {
                let f = bump(frames_key);
                (frame_lo, frame_hi) = (f - 1, f);
            }
        }
    } else if want.frames && cmd == REQUEST_QUEUE {
        // SAFETY: plain lookup, copied out at once.
        let now = unsafe { INJECT_COUNTS.get(&frames_key) }.copied().unwrap_or(0);
        let last_key = InjectCountKey {
            tgid,
            cmd: REQUEST_QUEUE,
            kind: inject_kind::FRAME,
            index: 0,
        };
        // SAFETY: as above.
        let last = unsafe { INJECT_COUNTS.get(&last_key) }.copied().unwrap_or(0);
        let _ = INJECT_COUNTS.insert(&last_key, &now, 0);
        (frame_lo, frame_hi) = (last, now);
    }
    let mut i = 0;
    while i < MAX_INJECT {
        let Some(rule) = INJECT_RULES.get(i) else {
            break;
        };
        if rule.nth == 0 {
            break;
        }
        let errno = rule.errno & 0xfff;
        let hit = rule.cmd == cmd
            && match rule.kind {
                inject_kind::CALL => rule.nth == n_call,
                inject_kind::BUFFER => n_buf != 0 && rule.index == index && rule.nth == n_buf,
                inject_kind::FRAME => frame_lo < rule.nth && rule.nth <= frame_hi,
                _ => false,
            };
        if hit && errno > 0 {
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

/// Adds one to the counter `key` and returns it.
#[inline(always)]
fn bump(key: InjectCountKey) -> u64 {
    match INJECT_COUNTS.get_ptr_mut(&key) {
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
    }
}

/// What the rules need counted for ioctl `cmd`: its calls, its calls per buffer index, frames
/// (any frame rule: the QBUFs that make frames are counted even when only a request-queue rule
/// names a frame).
#[inline(always)]
fn needs(cmd: u32) -> Needs {
    let mut n = Needs {
        calls: false,
        buffers: false,
        frames: false,
    };
    let mut i = 0;
    while i < MAX_INJECT {
        let Some(rule) = INJECT_RULES.get(i) else {
            break;
        };
        if rule.nth == 0 {
            break;
        }
        match rule.kind {
            inject_kind::CALL => n.calls |= rule.cmd == cmd,
            inject_kind::BUFFER => n.buffers |= rule.cmd == cmd,
            inject_kind::FRAME => n.frames = true,
            _ => {}
        }
        i += 1;
    }
    n
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
