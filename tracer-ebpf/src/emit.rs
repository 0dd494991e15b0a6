//! Building records in the per-CPU scratch area and sending them to the ring buffer, with loss
//! accounting and batched wake-ups.

use core::mem::size_of;

use core::ffi::c_void;

use aya_ebpf::helpers::{
    bpf_get_current_pid_tgid, bpf_ktime_get_ns,
    generated::{bpf_loop, bpf_probe_read_user},
};
use tracer_common::{
    stats, EventHeader, EventKind, Scratch, SegmentEvent, DATA_MAX, MAX_LOOP_CHUNKS,
};

use crate::maps::{count, global, EVENTS, LOOP_CHUNKS, SCRATCH, UNWOKEN, WAKEUP_BYTES};

const BPF_RB_NO_WAKEUP: u64 = 1;
const BPF_RB_FORCE_WAKEUP: u64 = 2;

/// This CPU's scratch area.
#[inline(always)]
pub fn scratch() -> Option<*mut u8> {
    SCRATCH.get_ptr_mut(0).map(|p| p.cast::<u8>())
}

/// A header for a record of `len` bytes from the current thread.
#[inline(always)]
pub fn header(kind: EventKind, len: usize) -> EventHeader {
    let pid_tgid = bpf_get_current_pid_tgid();
    EventHeader {
        kind: kind as u32,
        len: len as u32,
        // SAFETY: helper without memory arguments.
        ts_ns: unsafe { bpf_ktime_get_ns() },
        pid: (pid_tgid >> 32) as u32,
        tid: pid_tgid as u32,
    }
}

/// Sends the first `len` bytes of the scratch area `base` to the ring buffer.
#[inline(always)]
pub fn submit(base: *mut u8, len: usize) {
    if len > size_of::<Scratch>() {
        return;
    }
    // Wake the reader once per `WAKEUP_BYTES` sent from this CPU, not per record: a wake-up (an
    // IPI) costs more than the record, and so does asking the ring how full it is (its consumer
    // position lives in a cache line the reader writes on another CPU). The reader polls with a
    // short timeout and never sleeps while data is pending, so nothing waits long.
    let flags = match UNWOKEN.get_ptr_mut(0) {
        Some(unwoken) => {
            // SAFETY: per-CPU map value owned by this CPU while the program runs.
            let sent = unsafe { *unwoken } + len as u64 + 8;
            let wake = sent >= global(&WAKEUP_BYTES);
            // SAFETY: as above.
            unsafe { *unwoken = if wake { 0 } else { sent } };
            if wake {
                BPF_RB_FORCE_WAKEUP
            } else {
                BPF_RB_NO_WAKEUP
            }
        }
        None => BPF_RB_FORCE_WAKEUP,
    };
    // SAFETY: `base` is this CPU's scratch map value and `len` is within it (checked above).
    let bytes = unsafe { core::slice::from_raw_parts(base as *const u8, len) };
    if EVENTS.output::<[u8]>(bytes, flags).is_err() {
        count(stats::LOST, 1);
        count(stats::LOST_BYTES, len as u64);
    }
}

/// Copies `len` (clamped to `max`) bytes of user memory at `src` to `dst`; false if it faulted.
#[inline(always)]
pub fn read_user(dst: *mut u8, len: usize, max: usize, src: u64) -> bool {
    let mut n = len;
    if n > max {
        n = max;
    }
    // SAFETY: `dst` points into the scratch map value with at least `max` bytes behind it; the
    // helper checks `src` and fails cleanly on a fault.
    unsafe { bpf_probe_read_user(dst.cast(), n as u32, src as *const _) == 0 }
}

/// Emits chunk `i` (bytes `i * DATA_MAX ..`, at most `DATA_MAX` of them) of the `total` bytes
/// of user memory at `addr` as one `Segment` record. Returns false past the end or on a fault.
#[inline(always)]
fn chunk(base: *mut u8, kind: u32, phase: u32, index: u32, addr: u64, total: u32, i: u32) -> bool {
    let off = i.wrapping_mul(DATA_MAX as u32);
    if off >= total {
        return false;
    }
    let mut n = total - off;
    if n > DATA_MAX as u32 {
        n = DATA_MAX as u32;
    }
    let n = n as usize & (DATA_MAX * 2 - 1);
    if n > DATA_MAX {
        return false;
    }
    let hdr_len = size_of::<SegmentEvent>();
    // SAFETY: the data area follows the segment header inside the scratch value.
    let data = unsafe { base.add(hdr_len) };
    if !read_user(data, n, DATA_MAX, addr + off as u64) {
        return false;
    }
    let seg = SegmentEvent {
        hdr: header(EventKind::Segment, hdr_len + n),
        kind,
        phase,
        index,
        len: n as u32,
        offset: off,
        total,
        addr: addr + off as u64,
    };
    // SAFETY: the scratch value is 8-byte aligned and larger than a SegmentEvent.
    unsafe { base.cast::<SegmentEvent>().write(seg) };
    submit(base, hdr_len + n);
    true
}

/// What [`loop_chunk`] needs: kept in this CPU's [`LOOP_CHUNKS`] slot, not on the calling
/// program's stack (the caller's frame plus the callback's must stay within 512 bytes: with the
/// `Chunks` on the stack, arm64's tracepoint `sys_enter` needed 544).
#[repr(C)]
pub struct Chunks {
    kind: u32,
    phase: u32,
    index: u32,
    total: u32,
    addr: u64,
    /// Cleared when a chunk could not be read.
    whole: u64,
}

/// `bpf_loop` callback: emits chunk `i` of the payload `ctx` describes; stops the loop on a
/// fault.
extern "C" fn loop_chunk(i: u64, _ctx: *mut c_void) -> i64 {
    let Some(c) = LOOP_CHUNKS.get_ptr_mut(0) else {
        return 1;
    };
    // SAFETY: this CPU's slot, filled by `segments_loop` before the (synchronous) loop.
    let c = unsafe { &mut *c };
    let Some(base) = scratch() else {
        c.whole = 0;
        return 1;
    };
    if chunk(base, c.kind, c.phase, c.index, c.addr, c.total, i as u32) {
        0
    } else {
        c.whole = 0;
        1
    }
}

/// Emits `total` bytes of user memory at `addr` as `Segment` records of `DATA_MAX` bytes, all of
/// them (up to [`MAX_LOOP_CHUNKS`]): the loop is the kernel's `bpf_loop` (5.17+), whose body
/// the verifier checks once whatever the count, where a bounded loop costs one pass per chunk.
/// Returns false if the payload was cut.
#[inline(always)]
pub fn segments_loop(kind: u32, phase: u32, index: u32, addr: u64, total: u32) -> bool {
    let chunks = total.div_ceil(DATA_MAX as u32);
    let n = if chunks > MAX_LOOP_CHUNKS {
        MAX_LOOP_CHUNKS
    } else {
        chunks
    };
    let Some(slot) = LOOP_CHUNKS.get_ptr_mut(0) else {
        return false;
    };
    // SAFETY: this CPU's slot of a per-CPU array; the program is not re-entered on this CPU.
    unsafe {
        slot.write(Chunks {
            kind,
            phase,
            index,
            total,
            addr,
            whole: 1,
        })
    };
    // The callback goes to the kernel as a function pointer (a BPF_PSEUDO_FUNC load).
    let callback = loop_chunk as extern "C" fn(u64, *mut c_void) -> i64;
    // SAFETY: the callback takes no context (it reads `LOOP_CHUNKS`); the loop is synchronous.
    let done = unsafe { bpf_loop(n, callback as *mut c_void, core::ptr::null_mut(), 0) };
    // SAFETY: as above; the callback only cleared `whole`.
    let whole = unsafe { (*slot).whole };
    done == n as i64 && whole != 0 && chunks <= MAX_LOOP_CHUNKS
}

/// Emits `total` bytes of user memory at `addr` as `Segment` records of at most `DATA_MAX`
/// bytes, at most `max_chunks` of them (a bounded loop: for small bounds). Returns false if the
/// payload was cut.
#[inline(always)]
pub fn segments(kind: u32, phase: u32, index: u32, addr: u64, total: u32, max_chunks: u32) -> bool {
    let Some(base) = scratch() else { return false };
    let mut i: u32 = 0;
    while i < max_chunks {
        if i * DATA_MAX as u32 >= total {
            return true;
        }
        if !chunk(base, kind, phase, index, addr, total, i) {
            return false;
        }
        i += 1;
    }
    total <= max_chunks * DATA_MAX as u32
}
