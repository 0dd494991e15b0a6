//! File-descriptor bookkeeping of traced processes: opens, closes, dups, mmaps of device fds and
//! polls on request/device fds.

use core::mem::size_of;

use aya_ebpf::helpers::generated::bpf_probe_read_user_str;
use tracer_common::{
    fd_flags, EventKind, FdEvent, MmapEvent, OpenEvent, PollEvent, PollFd, SegmentEvent,
    SegmentKind, MAX_ARGV, MAX_POLLFDS, NO_FD, PATH_MAX,
};

use crate::{
    emit::{header, read_user, scratch, submit},
    maps::{fd_kind, AddrKey, FdKey, MapKey, MapVal, FDS, MMAPS, MMAP_ADDRS},
};

/// Emits an `OpenEvent`-shaped record of `kind` with the path at user address `path`; returns
/// whether the path starts with /dev/.
#[inline(always)]
fn emit_path(kind: EventKind, dirfd: i32, path: u64, flags: u32, mode: u32, ret: i64) -> bool {
    let Some(base) = scratch() else { return false };
    let hdr_len = size_of::<OpenEvent>();
    // SAFETY: the data area follows the header inside the scratch value, PATH_MAX bytes fit.
    let data = unsafe { base.add(hdr_len) };
    // SAFETY: the helper checks the user address and writes at most PATH_MAX bytes to `data`.
    let n = unsafe { bpf_probe_read_user_str(data.cast(), PATH_MAX as u32, path as *const _) };
    // The helper counts the NUL; keep the path without it.
    let mut len = if n > 1 { (n - 1) as usize } else { 0 };
    if len > PATH_MAX {
        len = PATH_MAX;
    }
    let mut device = false;
    if len >= 5 {
        // SAFETY: at least 5 bytes were written just above.
        let prefix = unsafe { core::ptr::read_unaligned(data.cast::<[u8; 5]>()) };
        device = &prefix == b"/dev/";
    }
    let ev = OpenEvent {
        hdr: header(kind, hdr_len + len),
        ret,
        flags,
        path_len: len as u32,
        dirfd,
        mode,
    };
    // SAFETY: the scratch value is 8-byte aligned and larger than an OpenEvent.
    unsafe { base.cast::<OpenEvent>().write(ev) };
    submit(base, hdr_len + len);
    device
}

/// `open`/`openat`/`openat2` returned `ret` for the path at user address `path`.
#[inline(always)]
pub fn on_open(tgid: u32, dirfd: i32, path: u64, flags: u32, mode: u32, ret: i64) {
    if emit_path(EventKind::Open, dirfd, path, flags, mode, ret) && ret >= 0 {
        let _ = FDS.insert(
            &FdKey {
                tgid,
                fd: ret as i32,
            },
            &fd_kind::DEVICE,
            0,
        );
    }
}

/// `execve`/`execveat` entry: the program's path, then its arguments as an `Argv` segment
/// (the old image's memory is gone at exit).
#[inline(always)]
pub fn on_exec_enter(path: u64, argv: u64) {
    emit_path(EventKind::ExecEnter, NO_FD, path, 0, 0, 0);
    if argv == 0 {
        return;
    }
    let Some(base) = scratch() else { return };
    let mut ptrs = core::mem::MaybeUninit::<[u64; MAX_ARGV as usize]>::uninit();
    if !read_user(
        ptrs.as_mut_ptr().cast(),
        8 * MAX_ARGV as usize,
        8 * MAX_ARGV as usize,
        argv,
    ) {
        return;
    }
    // SAFETY: the helper wrote all of it (it succeeded).
    let ptrs = unsafe { ptrs.assume_init() };
    let hdr_len = size_of::<SegmentEvent>();
    let mut off: usize = 0;
    let mut count: u32 = 0;
    for p in ptrs {
        if p == 0 {
            break;
        }
        if off > (MAX_ARGV as usize - 1) * PATH_MAX {
            break;
        }
        // SAFETY: `off` ≤ (MAX_ARGV - 1) × PATH_MAX, so PATH_MAX bytes from there stay inside the
        // scratch value's data area (DATA_MAX + PATH_MAX bytes); the helper checks `p`.
        let n = unsafe {
            bpf_probe_read_user_str(
                base.add(hdr_len + off).cast(),
                PATH_MAX as u32,
                p as *const _,
            )
        };
        if n <= 0 {
            break;
        }
        // n counts the NUL, which separates the arguments.
        off += (n as usize) & (PATH_MAX * 2 - 1);
        count += 1;
    }
    let seg = SegmentEvent {
        hdr: header(EventKind::Segment, hdr_len + off),
        kind: SegmentKind::Argv as u32,
        phase: 0,
        index: count,
        len: off as u32,
        offset: 0,
        total: off as u32,
        addr: argv,
    };
    // SAFETY: the scratch value is 8-byte aligned and larger than a SegmentEvent.
    unsafe { base.cast::<SegmentEvent>().write(seg) };
    submit(base, hdr_len + off);
}

/// `execve`/`execveat` returned `ret` (0 in the new program).
#[inline(always)]
pub fn on_exec_exit(ret: i64) {
    emit_fd(EventKind::ExecExit, 0, NO_FD as i64, ret);
}

#[inline(always)]
fn emit_fd(kind: EventKind, fd: i64, arg: i64, ret: i64) {
    emit_fd_flags(kind, fd, arg, ret, 0);
}

#[inline(always)]
fn emit_fd_flags(kind: EventKind, fd: i64, arg: i64, ret: i64, flags: u32) {
    let Some(base) = scratch() else { return };
    let ev = FdEvent {
        hdr: header(kind, size_of::<FdEvent>()),
        fd,
        ret,
        arg,
        flags,
        _pad: 0,
    };
    // SAFETY: the scratch value is 8-byte aligned and larger than an FdEvent.
    unsafe { base.cast::<FdEvent>().write(ev) };
    submit(base, size_of::<FdEvent>());
}

/// `close(fd)` returned `ret`: forget the fd and report it if it was one of ours.
#[inline(always)]
pub fn on_close(tgid: u32, fd: i32, ret: i64) {
    let key = FdKey { tgid, fd };
    if FDS.get_ptr(&key).is_some() {
        let _ = FDS.remove(&key);
        emit_fd(EventKind::Close, fd as i64, NO_FD as i64, ret);
    }
}

/// A dup of `old` (to `new`, the fd asked for or the lower bound, or [`NO_FD`]) returned `ret`
/// (the new fd or -errno); `cloexec`: the new fd is close-on-exec (dup3 `O_CLOEXEC`,
/// `F_DUPFD_CLOEXEC`).
#[inline(always)]
pub fn on_dup(tgid: u32, old: i32, new: i64, ret: i64, cloexec: bool) {
    let old_key = FdKey { tgid, fd: old };
    // SAFETY: plain lookup, value copied out.
    let kind = unsafe { FDS.get(&old_key) }.copied();
    let new_key = FdKey {
        tgid,
        fd: ret as i32,
    };
    let replaced = ret >= 0 && FDS.get_ptr(&new_key).is_some();
    if let Some(kind) = kind {
        if ret >= 0 {
            let _ = FDS.insert(&new_key, &kind, 0);
        }
    } else if replaced {
        let _ = FDS.remove(&new_key);
    }
    if kind.is_some() || replaced {
        let flags = if cloexec { fd_flags::CLOEXEC } else { 0 };
        emit_fd_flags(EventKind::Dup, old as i64, new, ret, flags);
    }
}

/// True if `fd` is a device fd of the current process (mmap filter).
#[inline(always)]
pub fn is_device_fd(tgid: u32, fd: i32) -> bool {
    FDS.get_ptr(&FdKey { tgid, fd }).is_some()
}

#[inline(always)]
fn emit_mmap(
    kind: EventKind,
    fd: i32,
    addr: u64,
    len: u64,
    offset: u64,
    prot: u32,
    flags: u32,
    ret: i64,
) {
    let Some(base) = scratch() else { return };
    let ev = MmapEvent {
        hdr: header(kind, size_of::<MmapEvent>()),
        addr,
        len,
        offset,
        fd,
        prot,
        flags,
        _pad: 0,
        ret,
    };
    // SAFETY: the scratch value is 8-byte aligned and larger than an MmapEvent.
    unsafe { base.cast::<MmapEvent>().write(ev) };
    submit(base, size_of::<MmapEvent>());
}

/// `mmap(.., len, prot, flags, fd, offset)` of a device fd returned `ret`.
#[inline(always)]
pub fn on_mmap(tgid: u32, args: &[u64; 6], ret: i64) {
    let fd = args[4] as i32;
    let offset = args[5];
    if ret >= 0 || ret < -4095 {
        let key = MapKey { tgid, fd, offset };
        let _ = MMAPS.insert(
            &key,
            &MapVal {
                addr: ret as u64,
                len: args[1],
            },
            0,
        );
        let _ = MMAP_ADDRS.insert(
            &AddrKey {
                tgid,
                _pad: 0,
                addr: ret as u64,
            },
            &key,
            0,
        );
    }
    emit_mmap(
        EventKind::Mmap,
        fd,
        args[0],
        args[1],
        offset,
        args[2] as u32,
        args[3] as u32,
        ret,
    );
}

/// True if `addr` starts a device mapping of the current process (munmap filter).
#[inline(always)]
pub fn is_device_mapping(tgid: u32, addr: u64) -> bool {
    MMAP_ADDRS
        .get_ptr(&AddrKey {
            tgid,
            _pad: 0,
            addr,
        })
        .is_some()
}

/// `munmap(addr, len)` of a device mapping returned `ret`.
#[inline(always)]
pub fn on_munmap(tgid: u32, addr: u64, len: u64, ret: i64) {
    let akey = AddrKey {
        tgid,
        _pad: 0,
        addr,
    };
    // SAFETY: plain lookup, value copied out.
    let key = unsafe { MMAP_ADDRS.get(&akey) }.copied();
    let mut fd = -1;
    if ret == 0 {
        if let Some(key) = key {
            fd = key.fd;
            let _ = MMAPS.remove(&key);
        }
        let _ = MMAP_ADDRS.remove(&akey);
    }
    emit_mmap(EventKind::Munmap, fd, addr, len, 0, 0, 0, ret);
}

/// Builds a poll/ppoll record in the scratch area with the first pollfds (read in one go: a
/// per-element read would multiply the verifier's states); returns whether any of them is a
/// request or device fd.
#[inline(always)]
fn fill_poll(
    tgid: u32,
    kind: EventKind,
    fds: u64,
    nfds: u64,
    value: i64,
    is_ppoll: bool,
) -> Option<bool> {
    let base = scratch()?;
    let n = if nfds > MAX_POLLFDS as u64 {
        MAX_POLLFDS as u64
    } else {
        nfds
    };
    let array_off = core::mem::offset_of!(PollEvent, fds);
    // SAFETY: the pollfd array lies inside the PollEvent at the start of the scratch value.
    let array = unsafe { base.add(array_off) };
    let bytes = (n as usize * size_of::<PollFd>()) & 0xff;
    if !read_user(
        array,
        bytes,
        MAX_POLLFDS as usize * size_of::<PollFd>(),
        fds,
    ) {
        return Some(false);
    }
    let mut interesting = false;
    let mut i: u64 = 0;
    while i < MAX_POLLFDS as u64 {
        if i >= n {
            break;
        }
        // SAFETY: `i` < MAX_POLLFDS, so the pollfd lies inside the scratch value.
        let fd = unsafe {
            core::ptr::read_unaligned(array.add(i as usize * size_of::<PollFd>()).cast::<i32>())
        };
        // SAFETY: plain lookup.
        if let Some(k) = unsafe { FDS.get(&FdKey { tgid, fd }) } {
            if *k == fd_kind::REQUEST || *k == fd_kind::DEVICE {
                interesting = true;
                break;
            }
        }
        i += 1;
    }
    let hdr = header(kind, size_of::<PollEvent>());
    // SAFETY: the scratch value is 8-byte aligned and larger than a PollEvent; the fields are
    // written one by one so the pollfd array read above stays.
    unsafe {
        let ev = base.cast::<PollEvent>();
        (*ev).hdr = hdr;
        (*ev).value = value;
        (*ev).nfds = nfds as u32;
        (*ev).is_ppoll = is_ppoll as u32;
    }
    Some(interesting)
}

/// poll/ppoll entry: reports it (and returns true) if it waits on a request or device fd.
#[inline(always)]
pub fn on_poll_enter(tgid: u32, fds: u64, nfds: u64, timeout_ns: i64, is_ppoll: bool) -> bool {
    match fill_poll(tgid, EventKind::PollEnter, fds, nfds, timeout_ns, is_ppoll) {
        Some(true) => {
            if let Some(base) = scratch() {
                submit(base, size_of::<PollEvent>());
            }
            true
        }
        _ => false,
    }
}

/// poll/ppoll exit (only called when the entry was reported).
#[inline(always)]
pub fn on_poll_exit(tgid: u32, fds: u64, nfds: u64, ret: i64, is_ppoll: bool) {
    if fill_poll(tgid, EventKind::PollExit, fds, nfds, ret, is_ppoll).is_some() {
        if let Some(base) = scratch() {
            submit(base, size_of::<PollEvent>());
        }
    }
}
