//! The maps shared by the programs, and the configuration globals user space patches at load.

use aya_ebpf::{
    macros::map,
    maps::{Array, HashMap, LruHashMap, PerCpuArray, RingBuf},
};
use tracer_common::{stats, Scratch, TRACED_ELEMS};

/// Traced processes (thread-group ids): one byte per possible pid, 8 to an array element. User
/// space sets the root's byte; fork sets children's, the last thread's exit clears it. Every
/// syscall of every process on the machine asks this set, so it is an array the verifier
/// inlines (a load and a test), not a hash map (a helper call, a hash and a compare). A byte,
/// not a bit, per pid: processes with neighbouring pids fork and exit on other CPUs at once, and
/// a byte store needs no atomic read-modify-write (which BPF's Rust target does not offer).
#[map(name = "TRACED")]
pub static TRACED: Array<[u8; 8]> = Array::with_max_entries(TRACED_ELEMS, 0);

/// Whether thread group `tgid` is traced.
#[inline(always)]
pub fn is_traced(tgid: u32) -> bool {
    match TRACED.get(tgid >> 3) {
        Some(bytes) => bytes[(tgid & 7) as usize] != 0,
        None => false,
    }
}

/// Adds thread group `tgid` to the traced set, or (`on` false) removes it.
#[inline(always)]
pub fn set_traced(tgid: u32, on: bool) {
    if let Some(bytes) = TRACED.get_ptr_mut(tgid >> 3) {
        // SAFETY: an array map value, valid for the map's lifetime; one byte store.
        unsafe { (*bytes)[(tgid & 7) as usize] = on as u8 };
    }
}

/// A syscall of interest between entry and exit, per thread id.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct InFlight {
    pub nr: i64,
    pub args: [u64; 6],
    pub ts: u64,
}

#[map(name = "INFLIGHT")]
pub static INFLIGHT: HashMap<u32, InFlight> = HashMap::with_max_entries(16384, 0);

/// Key of an fd of a traced process.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FdKey {
    pub tgid: u32,
    pub fd: i32,
}

/// What we know about an fd (value of `FDS`).
pub mod fd_kind {
    /// Opened from a path under /dev/.
    pub const DEVICE: u32 = 1;
    /// Returned by MEDIA_IOC_REQUEST_ALLOC.
    pub const REQUEST: u32 = 2;
    /// Returned by VIDIOC_EXPBUF.
    pub const DMABUF: u32 = 3;
    /// Seen as the target of a captured ioctl, origin unknown.
    pub const SEEN: u32 = 4;
}

#[map(name = "FDS")]
pub static FDS: LruHashMap<FdKey, u32> = LruHashMap::with_max_entries(16384, 0);

/// Key of a device-buffer mapping: the fd it was mapped from and the mmap offset (V4L2's
/// `mem_offset` cookie).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct MapKey {
    pub tgid: u32,
    pub fd: i32,
    pub offset: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct MapVal {
    pub addr: u64,
    pub len: u64,
}

#[map(name = "MMAPS")]
pub static MMAPS: LruHashMap<MapKey, MapVal> = LruHashMap::with_max_entries(16384, 0);

/// A buffer exported with VIDIOC_EXPBUF: the video fd, queue type, buffer index and plane.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ExpKey {
    pub tgid: u32,
    pub fd: i32,
    pub buf_type: u32,
    pub index: u32,
    pub plane: u32,
    pub _pad: u32,
}

/// The dma-buf fd each exported buffer got (clients such as GStreamer map that fd, not the
/// video fd, so a QBUF's bitstream is found through it).
#[map(name = "EXPBUFS")]
pub static EXPBUFS: LruHashMap<ExpKey, i32> = LruHashMap::with_max_entries(4096, 0);

/// Reverse index of `MMAPS` for munmap.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct AddrKey {
    pub tgid: u32,
    pub _pad: u32,
    pub addr: u64,
}

#[map(name = "MMAP_ADDRS")]
pub static MMAP_ADDRS: LruHashMap<AddrKey, MapKey> = LruHashMap::with_max_entries(16384, 0);

/// Exit code given to exit_group (keyed by thread-group id, until the process is gone) or to a
/// thread's own exit (keyed by its thread id, until it is gone).
#[map(name = "EXIT_CODES")]
pub static EXIT_CODES: LruHashMap<u32, i32> = LruHashMap::with_max_entries(4096, 0);

/// Where records are built (off the 512-byte BPF stack).
#[map(name = "SCRATCH")]
pub static SCRATCH: PerCpuArray<Scratch> = PerCpuArray::with_max_entries(1, 0);

/// The payload `emit::segments_loop` is sending, for its `bpf_loop` callback.
#[map(name = "LOOP_CHUNKS")]
pub static LOOP_CHUNKS: PerCpuArray<crate::emit::Chunks> = PerCpuArray::with_max_entries(1, 0);

/// Bytes this CPU sent to the ring buffer since it last woke the reader.
#[map(name = "UNWOKEN")]
pub static UNWOKEN: PerCpuArray<u64> = PerCpuArray::with_max_entries(1, 0);

/// Counters, see `tracer_common::stats`.
#[map(name = "STATS")]
pub static STATS: PerCpuArray<u64> = PerCpuArray::with_max_entries(stats::LEN, 0);

/// The event stream. User space resizes it at load (`--ringbuf-size`).
#[map(name = "EVENTS")]
pub static EVENTS: RingBuf = RingBuf::with_byte_size(4 << 20, 0);

/// Offset of `child_pid` in `sched/sched_process_fork`'s record (from tracefs, set at load).
#[no_mangle]
pub static FORK_CHILD_PID_OFF: u64 = 20;
/// Offset of `group_dead` in `sched/sched_process_exit`'s record, or 0 if the field is absent.
#[no_mangle]
pub static EXIT_GROUP_DEAD_OFF: u64 = 0;
/// Offset of `exit_code` in the kernel's `struct task_struct` (from its BTF, set at load), or 0
/// if unknown (no BTF): exit codes then come from the exit/exit_group calls alone.
#[no_mangle]
pub static TASK_EXIT_CODE_OFF: u64 = 0;
/// Bytes a CPU sends to the ring buffer between two wake-ups of the reader (set at load).
#[no_mangle]
pub static WAKEUP_BYTES: u64 = 64 << 10;

/// Reads a load-time constant (volatile so the compiler does not fold the default in).
#[inline(always)]
pub fn global(v: &'static u64) -> u64 {
    // SAFETY: reading a plain `static` through a valid reference.
    unsafe { core::ptr::read_volatile(v) }
}

/// Adds `n` to this CPU's counter `idx`.
#[inline(always)]
pub fn count(idx: u32, n: u64) {
    if let Some(p) = STATS.get_ptr_mut(idx) {
        // SAFETY: per-CPU map value owned by this CPU while the program runs.
        unsafe { *p += n };
    }
}
