//! Raw event layout shared by the eBPF programs (`tracer-ebpf`) and the user-space loader (`tracer`).
//!
//! Every record in the ring buffer starts with an [`EventHeader`]; its `kind` says which body
//! follows. An ioctl produces, in this order on its thread: [`IoctlEvent`] (phase enter, with the
//! argument struct before the call), zero or more [`SegmentEvent`]s (nested payloads before the
//! call, bitstream chunks), then the exit-phase segments and finally [`IoctlEvent`] (phase exit,
//! argument after the call, return value). User space pairs them per thread.
//!
//! All structs are `#[repr(C)]`, 8-byte aligned, with explicit padding so both sides agree.
#![no_std]

/// Size of the data area that follows a header in one ring-buffer record (argument bytes,
/// segment bytes, path strings). Larger payloads are split into several [`SegmentEvent`]s.
pub const DATA_MAX: usize = 16384;
/// Largest ioctl argument struct copied (the `_IOC_SIZE` field is 14 bits, so at most 16383).
pub const ARG_MAX: usize = 4096;
/// Elements (8 pids each) of the traced-process set: a byte for every pid up to the kernel's
/// `PID_MAX_LIMIT` (4,194,304 on 64-bit), 4 MiB.
pub const TRACED_ELEMS: u32 = (1 << 22) / 8;
/// Largest path copied from `openat`.
pub const PATH_MAX: usize = 256;
/// Most controls read from one `v4l2_ext_controls` array (stateless codecs set at most ~8 a
/// request; loop bounds cost verification time).
pub const MAX_CTRLS: u32 = 16;
/// Largest payload read for one control (bigger ones are cut and flagged).
pub const CTRL_PAYLOAD_MAX: u32 = 2 * DATA_MAX as u32;
/// Most planes read from one multi-planar `v4l2_buffer`.
pub const MAX_PLANES: u32 = 8;
/// Most chunks of `DATA_MAX` bytes read for one OUTPUT QBUF's bitstream (256 MiB, beyond any
/// plane a decoder allocates; read with `bpf_loop`, so the bound costs no verification time). A
/// plane is read up to its `bytesused` (at most the length of its mapping).
pub const MAX_LOOP_CHUNKS: u32 = 1 << 14;
/// Most chunks read for one MEDIA_IOC_G_TOPOLOGY array.
pub const MAX_TOPOLOGY_CHUNKS: u32 = 4;
/// Most `execve` arguments read (each at most [`PATH_MAX`] bytes).
pub const MAX_ARGV: u32 = 16;
/// Most `pollfd`s inspected in one poll/ppoll.
pub const MAX_POLLFDS: u32 = 16;

/// Index of the configuration entries in the `CONFIG` array map.
pub mod config {
    /// Offset of `child_pid` in `sched/sched_process_fork`'s record.
    pub const FORK_CHILD_PID_OFF: u32 = 0;
    /// Offset of `group_dead` in `sched/sched_process_exit`'s record, or `u64::MAX` if absent.
    pub const EXIT_GROUP_DEAD_OFF: u32 = 1;
    /// Number of ring-buffer bytes pending before a producer wakes the reader up.
    pub const WAKEUP_BYTES: u32 = 2;
    /// Number of entries.
    pub const LEN: u32 = 4;
}

/// What an [`EventHeader`] introduces.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// [`IoctlEvent`] at syscall entry (argument before the call).
    IoctlEnter = 1,
    /// [`IoctlEvent`] at syscall exit (argument after the call, return value).
    IoctlExit = 2,
    /// [`SegmentEvent`]: nested payload or bitstream chunk belonging to the thread's current call.
    Segment = 3,
    /// [`OpenEvent`]: `openat`/`open` returned (path, flags, fd or -errno).
    Open = 4,
    /// [`FdEvent`]: `close(fd)` returned.
    Close = 5,
    /// [`FdEvent`]: `dup`/`dup2`/`dup3`/`fcntl(F_DUPFD*)` returned a new fd for an old one.
    Dup = 6,
    /// [`MmapEvent`]: `mmap` of a device fd returned.
    Mmap = 7,
    /// [`MmapEvent`]: `munmap` of an address range we saw mapped from a device fd returned.
    Munmap = 8,
    /// [`PollEvent`] at entry of `poll`/`ppoll` that waits on a request or device fd.
    PollEnter = 9,
    /// [`PollEvent`] at exit, with `revents` filled in.
    PollExit = 10,
    /// [`ForkEvent`]: a traced thread created a thread or process.
    Fork = 11,
    /// [`ExitEvent`]: a traced thread exited.
    Exit = 12,
    /// [`OpenEvent`] layout: `execve`/`execveat` entry with the program's path (`ret` 0).
    ExecEnter = 13,
    /// [`FdEvent`] layout: `execve`/`execveat` returned `ret` (seen in the new program).
    ExecExit = 14,
    /// [`ProbeEvent`]: a uprobe on one of the libva driver's pool-transition functions fired.
    Probe = 15,
}

impl EventKind {
    /// Maps the raw `kind` field back to the enum.
    pub fn from_u32(v: u32) -> Option<Self> {
        Some(match v {
            1 => Self::IoctlEnter,
            2 => Self::IoctlExit,
            3 => Self::Segment,
            4 => Self::Open,
            5 => Self::Close,
            6 => Self::Dup,
            7 => Self::Mmap,
            8 => Self::Munmap,
            9 => Self::PollEnter,
            10 => Self::PollExit,
            11 => Self::Fork,
            12 => Self::Exit,
            13 => Self::ExecEnter,
            14 => Self::ExecExit,
            15 => Self::Probe,
            _ => return None,
        })
    }
}

/// Common prefix of every ring-buffer record.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct EventHeader {
    /// An [`EventKind`] value.
    pub kind: u32,
    /// Bytes of the whole record (header, body and data).
    pub len: u32,
    /// `bpf_ktime_get_ns()` (CLOCK_MONOTONIC).
    pub ts_ns: u64,
    /// Thread group id (the process id user space sees).
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
}

/// Body of `IoctlEnter` / `IoctlExit`; `arg_len` bytes of the argument struct follow.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct IoctlEvent {
    pub hdr: EventHeader,
    pub fd: i32,
    pub cmd: u32,
    /// User address of the argument.
    pub arg: u64,
    /// Return value (exit only): >= 0, or -errno.
    pub ret: i64,
    /// Bytes of argument that follow (may be less than `_IOC_SIZE(cmd)` if unreadable).
    pub arg_len: u32,
    /// [`ioctl_flags`] bits.
    pub flags: u32,
}

/// Bits of [`IoctlEvent::flags`].
pub mod ioctl_flags {
    /// The argument could not be read from user memory.
    pub const ARG_UNREADABLE: u32 = 1;
    /// Some nested payload was cut to its bound.
    pub const TRUNCATED: u32 = 2;
    /// Exit only: the call failed before the kernel looked at its argument (ENOTTY: no driver
    /// takes this request on that fd; EBADF: no such fd), so the argument and its payloads are
    /// what they were at entry and were not read again.
    pub const ARG_UNCHANGED: u32 = 4;
    /// Exit only: the call never reached its driver, vatrace's BPF LSM program failed it
    /// (`vatrace record --inject`); the return value is the injected `-errno`.
    pub const INJECTED: u32 = 8;
}

/// Most `--inject` rules one `vatrace record` takes (the LSM program's loop bound).
pub const MAX_INJECT: u32 = 32;

/// One `vatrace record --inject SPEC=ERRNO` rule, an element of the `INJECT_RULES` array map
/// (user space fills the first rules; an element with `nth` 0 ends the list): the call of ioctl
/// `cmd` that `kind` and `nth` pick, counted per process, fails with `-errno` before its driver
/// sees it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InjectRule {
    pub cmd: u32,
    /// Positive errno.
    pub errno: u32,
    /// 1-based: the call ([`inject_kind::CALL`]), the call on buffer `index`
    /// ([`inject_kind::BUFFER`]) or the frame ([`inject_kind::FRAME`]).
    pub nth: u64,
    /// What `nth` counts: one of [`inject_kind`].
    pub kind: u32,
    /// [`inject_kind::BUFFER`]: the `v4l2_buffer` index the call passes; else 0.
    pub index: u32,
}

/// What an [`InjectRule`]'s `nth` counts (the LSM program reads the `v4l2_buffer` argument for
/// the last two).
pub mod inject_kind {
    /// `NAME#K`: the K-th call of the ioctl.
    pub const CALL: u32 = 0;
    /// `NAME@bufI#K`: the K-th call of the ioctl (QBUF, QUERYBUF, PREPARE_BUF) passing buffer
    /// index I.
    pub const BUFFER: u32 = 1;
    /// `NAME@frameF`: frame F is the F-th VIDIOC_QBUF on a VIDEO_OUTPUT(_MPLANE) queue (an
    /// attempt: counted before the call); `VIDIOC_QBUF@frameF` is that QBUF,
    /// `MEDIA_REQUEST_IOC_QUEUE@frameF` the process's first request queue after it.
    pub const FRAME: u32 = 2;
}

/// Key of the per-process counters of the injection program (`INJECT_COUNTS`): calls of `cmd`
/// ([`inject_kind::CALL`], `index` 0), calls of `cmd` on buffer `index`
/// ([`inject_kind::BUFFER`]); with [`inject_kind::FRAME`] (`index` 0) the OUTPUT QBUFs so far
/// (`cmd` VIDIOC_QBUF) and the OUTPUT QBUF count at the last MEDIA_REQUEST_IOC_QUEUE (`cmd`
/// that).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InjectCountKey {
    pub tgid: u32,
    pub cmd: u32,
    pub kind: u32,
    pub index: u32,
}

/// Return values after which the argument is known to be untouched (see
/// [`ioctl_flags::ARG_UNCHANGED`]): -ENOTTY and -EBADF.
#[inline(always)]
pub fn arg_untouched(ret: i64) -> bool {
    ret == -25 || ret == -9
}

/// What a [`SegmentEvent`] holds.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentKind {
    /// The `v4l2_ext_control` array of `*_EXT_CTRLS` (`count` entries).
    CtrlArray = 1,
    /// Payload of the control at `index` (its `ptr`, `size` bytes).
    CtrlPayload = 2,
    /// The `v4l2_plane` array of a multi-planar buffer (`length` entries).
    Planes = 3,
    /// Bitstream bytes of an OUTPUT buffer's plane `index`, starting at `offset`.
    Bitstream = 4,
    /// A `MEDIA_IOC_G_TOPOLOGY` array: `index` 0 entities, 1 interfaces, 2 pads, 3 links.
    Topology = 5,
    /// `execve` arguments, each followed by a NUL (at most [`MAX_ARGV`] of [`PATH_MAX`] bytes).
    Argv = 6,
}

impl SegmentKind {
    /// Maps the raw `kind` field back to the enum.
    pub fn from_u32(v: u32) -> Option<Self> {
        Some(match v {
            1 => Self::CtrlArray,
            2 => Self::CtrlPayload,
            3 => Self::Planes,
            4 => Self::Bitstream,
            5 => Self::Topology,
            6 => Self::Argv,
            _ => return None,
        })
    }
}

/// Body of a `Segment` record; `len` data bytes follow.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SegmentEvent {
    pub hdr: EventHeader,
    /// A [`SegmentKind`] value.
    pub kind: u32,
    /// 0 = read before the call (entry), 1 = after the call (exit).
    pub phase: u32,
    /// Control / plane / topology-array index.
    pub index: u32,
    /// Bytes that follow.
    pub len: u32,
    /// Offset of these bytes inside the whole payload (chunked payloads).
    pub offset: u32,
    /// Size of the whole payload as the caller declared it (before any bound was applied).
    pub total: u32,
    /// User address the bytes were read from.
    pub addr: u64,
}

/// Body of an `Open` record; `path_len` bytes of path (no NUL) follow.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenEvent {
    pub hdr: EventHeader,
    /// fd returned, or -errno.
    pub ret: i64,
    pub flags: u32,
    pub path_len: u32,
    /// openat/openat2's directory fd; [`NO_FD`] for open and execve.
    pub dirfd: i32,
    /// The mode argument (used with O_CREAT).
    pub mode: u32,
}

/// "No fd" in [`OpenEvent::dirfd`] and [`FdEvent::arg`].
pub const NO_FD: i32 = i32::MIN;

/// Body of `Close` (fd, ret) and `Dup` (old fd `fd`, new fd `ret`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct FdEvent {
    pub hdr: EventHeader,
    pub fd: i64,
    pub ret: i64,
    /// Dup: the target fd asked for (dup2/dup3) or the lower bound (fcntl F_DUPFD*);
    /// [`NO_FD`] for dup and the other kinds.
    pub arg: i64,
    /// [`fd_flags`] bits (Dup only; 0 for the other kinds).
    pub flags: u32,
    pub _pad: u32,
}

/// Bits of [`FdEvent::flags`].
pub mod fd_flags {
    /// Dup: the new fd is close-on-exec (dup3 with `O_CLOEXEC`, `fcntl(F_DUPFD_CLOEXEC)`).
    pub const CLOEXEC: u32 = 1;
}

/// Body of `Mmap` / `Munmap`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct MmapEvent {
    pub hdr: EventHeader,
    /// mmap: the address hint passed in; munmap: the address unmapped.
    pub addr: u64,
    pub len: u64,
    /// File offset (the V4L2 `mem_offset` cookie). 0 for munmap.
    pub offset: u64,
    pub fd: i32,
    pub prot: u32,
    pub flags: u32,
    pub _pad: u32,
    /// Return value: mmap's address or -errno; munmap's 0 or -errno.
    pub ret: i64,
}

/// One `struct pollfd`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct PollFd {
    pub fd: i32,
    pub events: i16,
    pub revents: i16,
}

/// Body of `PollEnter` / `PollExit`: the first `nfds` (at most [`MAX_POLLFDS`]) entries.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct PollEvent {
    pub hdr: EventHeader,
    /// Timeout in ns (-1 = infinite) at entry; return value at exit.
    pub value: i64,
    /// Number of fds the caller passed.
    pub nfds: u32,
    /// 1 for ppoll, 0 for poll.
    pub is_ppoll: u32,
    pub fds: [PollFd; MAX_POLLFDS as usize],
}

/// Body of a `Fork` record.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ForkEvent {
    pub hdr: EventHeader,
    /// New task's thread id (its pid too when it is a process).
    pub child_tid: u32,
    /// 1 if the new task is a thread of the parent's process (CLONE_THREAD).
    pub is_thread: u32,
}

/// Body of an `Exit` record.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ExitEvent {
    pub hdr: EventHeader,
    /// Wait status as the kernel keeps it (`task_struct.exit_code`: code << 8 | signal), or -1
    /// if unknown (no BTF, and neither exit nor exit_group was seen).
    pub code: i32,
    /// 1 if the whole process is gone (last thread), 0 if only a thread, 2 if unknown.
    pub group_dead: u32,
}

/// Body of a `Probe` record: which driver function (the index in `traces::probe::ProbeKind::ALL`;
/// the uprobe program `probe_N` sends N) and its first four argument registers at entry.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ProbeEvent {
    pub hdr: EventHeader,
    pub func: u32,
    pub _pad: u32,
    pub args: [u64; 4],
}

/// Per-CPU scratch record: the largest record body plus its data area, built off the BPF stack.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Scratch {
    pub seg: SegmentEvent,
    pub data: [u8; DATA_MAX + PATH_MAX],
}

/// Counters kept per CPU in the `STATS` map (indices).
pub mod stats {
    /// Records that could not be written to the ring buffer (full).
    pub const LOST: u32 = 0;
    /// Bytes of records that could not be written.
    pub const LOST_BYTES: u32 = 1;
    /// Captured ioctls (entries).
    pub const IOCTLS: u32 = 2;
    /// Payloads cut to their bound.
    pub const TRUNCATED: u32 = 3;
    /// Number of counters.
    pub const LEN: u32 = 4;
}

/// True for ioctl numbers this tracer captures: type byte `'V'` (V4L2), `'|'` (media) or `'b'`
/// (DMA_BUF_IOCTL_SYNC); the one filter, in the generated uapi crate.
#[inline(always)]
pub fn is_traced_ioctl(cmd: u32) -> bool {
    uapi::ioc::is_v4l2_media_or_dma_buf(cmd)
}

#[cfg(feature = "user")]
mod pod {
    use super::*;
    // SAFETY: each of these is a `repr(C)` struct of integers whose fields are laid out without
    // implicit padding, so every bit pattern is a valid value and none holds a pointer.
    unsafe impl aya::Pod for EventHeader {}
    // SAFETY: as above.
    unsafe impl aya::Pod for IoctlEvent {}
    // SAFETY: as above.
    unsafe impl aya::Pod for SegmentEvent {}
    // SAFETY: as above.
    unsafe impl aya::Pod for OpenEvent {}
    // SAFETY: as above.
    unsafe impl aya::Pod for FdEvent {}
    // SAFETY: as above.
    unsafe impl aya::Pod for MmapEvent {}
    // SAFETY: as above.
    unsafe impl aya::Pod for PollEvent {}
    // SAFETY: as above.
    unsafe impl aya::Pod for ForkEvent {}
    // SAFETY: as above.
    unsafe impl aya::Pod for ExitEvent {}
    // SAFETY: as above.
    unsafe impl aya::Pod for InjectRule {}
    // SAFETY: as above.
    unsafe impl aya::Pod for InjectCountKey {}
    // SAFETY: as above.
    unsafe impl aya::Pod for ProbeEvent {}
}

/// A followed syscall as the fentry/fexit mechanism attaches it: user space attaches program
/// `fentry_NAME` (and `fexit_NAME` when `exit`) to the kernel's wrapper of syscall NAME
/// (`__x64_sys_NAME` on x86_64, `__arm64_sys_NAME` on arm64); `x86_only` ones do not exist on
/// arm64. The eBPF side defines exactly these programs (tracer-ebpf's trampolines.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trampoline {
    pub name: &'static str,
    pub exit: bool,
    pub x86_only: bool,
}

const fn tramp(name: &'static str, exit: bool, x86_only: bool) -> Trampoline {
    Trampoline {
        name,
        exit,
        x86_only,
    }
}

/// Every followed syscall (see [`Trampoline`]); ioctl first.
pub const TRAMPOLINES: [Trampoline; 19] = [
    tramp("ioctl", true, false),
    tramp("openat", true, false),
    tramp("openat2", true, false),
    tramp("close", true, false),
    tramp("dup", true, false),
    tramp("dup3", true, false),
    tramp("fcntl", true, false),
    tramp("mmap", true, false),
    tramp("munmap", true, false),
    tramp("ppoll", true, false),
    tramp("clone", true, false),
    tramp("clone3", true, false),
    tramp("execve", true, false),
    tramp("execveat", true, false),
    tramp("exit", false, false),
    tramp("exit_group", false, false),
    tramp("open", true, true),
    tramp("dup2", true, true),
    tramp("poll", true, true),
];
