//! Capture of V4L2 / media / dma-buf ioctls: the argument struct before and after the call, the
//! nested payloads it points to, and the bitstream of OUTPUT buffers being queued.

use core::mem::size_of;

use aya_ebpf::helpers::bpf_probe_read_user;
use tracer_common::{
    arg_untouched, ioctl_flags, stats, EventKind, IoctlEvent, SegmentKind, ARG_MAX,
    CTRL_PAYLOAD_MAX, DATA_MAX, MAX_CTRLS, MAX_PLANES, MAX_TOPOLOGY_CHUNKS,
};

use crate::{
    abi::*,
    emit::{header, read_user, scratch, segments, segments_loop, submit},
    maps::{count, fd_kind, ExpKey, FdKey, MapKey, EXPBUFS, FDS, MMAPS},
};

pub const PHASE_ENTER: u32 = 0;
pub const PHASE_EXIT: u32 = 1;

/// Reads a `T` at `addr + off` in user memory, or zero if unreadable.
#[inline(always)]
fn user<T: Default>(addr: u64, off: u64) -> T {
    // SAFETY: bpf_probe_read_user checks the address and fails cleanly.
    unsafe { bpf_probe_read_user((addr + off) as *const T) }.unwrap_or_default()
}

/// Remembers that `fd` of the current process is a V4L2-ish fd (for poll/mmap filtering).
#[inline(always)]
pub fn note_fd(tgid: u32, fd: i32, kind: u32) {
    let key = FdKey { tgid, fd };
    if kind == fd_kind::SEEN && FDS.get_ptr(&key).is_some() {
        return;
    }
    let _ = FDS.insert(&key, &kind, 0);
}

/// Emits an `IoctlEnter`/`IoctlExit` record with the argument struct's bytes when they travel
/// in that direction.
#[inline(always)]
fn emit_call(kind: EventKind, fd: i32, cmd: u32, arg: u64, ret: i64) {
    let Some(base) = scratch() else { return };
    // The argument travels in at entry (_IOW) and/or out at exit (_IOR): read it only then.
    let dir = uapi::ioc::dir(cmd);
    let wanted = if kind == EventKind::IoctlEnter {
        uapi::ioc::WRITE
    } else {
        uapi::ioc::READ
    };
    let mut size = uapi::ioc::size(cmd);
    let untouched = kind == EventKind::IoctlExit && arg_untouched(ret);
    if dir & wanted == 0 || arg == 0 || untouched {
        size = 0;
    }
    if size > ARG_MAX {
        size = ARG_MAX;
    }
    let hdr_len = size_of::<IoctlEvent>();
    let mut flags = 0;
    if untouched {
        flags |= ioctl_flags::ARG_UNCHANGED;
    }
    if kind == EventKind::IoctlExit && crate::inject::take_injected() {
        flags |= ioctl_flags::INJECTED;
    }
    // SAFETY: the data area follows the header inside the scratch value.
    let data = unsafe { base.add(hdr_len) };
    if size > 0 && !read_user(data, size, ARG_MAX, arg) {
        flags |= ioctl_flags::ARG_UNREADABLE;
        size = 0;
    }
    let ev = IoctlEvent {
        hdr: header(kind, hdr_len + size),
        fd,
        cmd,
        arg,
        ret,
        arg_len: size as u32,
        flags,
    };
    // SAFETY: the scratch value is 8-byte aligned and larger than an IoctlEvent.
    unsafe { base.cast::<IoctlEvent>().write(ev) };
    submit(base, hdr_len + size);
}

/// Syscall entry of a captured ioctl.
#[inline(always)]
pub fn on_enter(tgid: u32, fd: i32, cmd: u32, arg: u64) {
    count(stats::IOCTLS, 1);
    emit_call(EventKind::IoctlEnter, fd, cmd, arg, 0);
    if arg != 0 {
        nested(tgid, fd, cmd, arg, PHASE_ENTER);
    }
}

/// Syscall exit of a captured ioctl.
#[inline(always)]
pub fn on_exit(tgid: u32, fd: i32, cmd: u32, arg: u64, ret: i64) {
    // An fd that answers a V4L2/media ioctl is one (poll and mmap filtering use this); one that
    // fails them (ENOTTY on an ordinary file) is not worth a map update per call.
    if ret >= 0 {
        note_fd(tgid, fd, fd_kind::SEEN);
    }
    // After ENOTTY/EBADF nothing was written back: no payload is read again (and the exit
    // record says so, see `emit_call`).
    if arg != 0 && !arg_untouched(ret) {
        nested(tgid, fd, cmd, arg, PHASE_EXIT);
        if ret == 0 && cmd == MEDIA_IOC_REQUEST_ALLOC {
            note_fd(tgid, user::<i32>(arg, REQUEST_ALLOC_FD), fd_kind::REQUEST);
        } else if ret == 0 && cmd == VIDIOC_EXPBUF {
            let dmabuf: i32 = user(arg, EXPBUF_FD);
            note_fd(tgid, dmabuf, fd_kind::DMABUF);
            let key = ExpKey {
                tgid,
                fd,
                buf_type: user(arg, EXPBUF_TYPE),
                index: user(arg, EXPBUF_INDEX),
                plane: user(arg, EXPBUF_PLANE),
                _pad: 0,
            };
            let _ = EXPBUFS.insert(&key, &dmabuf, 0);
        }
    }
    emit_call(EventKind::IoctlExit, fd, cmd, arg, ret);
}

/// Nested payloads of the argument at `arg`, read in `phase`.
#[inline(always)]
fn nested(tgid: u32, fd: i32, cmd: u32, arg: u64, phase: u32) {
    let mut cut = false;
    if cmd == VIDIOC_S_EXT_CTRLS || cmd == VIDIOC_G_EXT_CTRLS || cmd == VIDIOC_TRY_EXT_CTRLS {
        // Payloads go in for S and TRY and come out of G (as traces::ioctl::payload_specs says).
        let payloads = if cmd == VIDIOC_G_EXT_CTRLS {
            phase == PHASE_EXIT
        } else {
            phase == PHASE_ENTER
        };
        cut = !ext_ctrls(arg, phase, payloads);
    } else if cmd == VIDIOC_QBUF
        || cmd == VIDIOC_DQBUF
        || cmd == VIDIOC_QUERYBUF
        || cmd == VIDIOC_PREPARE_BUF
    {
        // Plane arrays go in for QBUF/PREPARE_BUF (and come back), come out of DQBUF/QUERYBUF.
        let planes_now = phase == PHASE_EXIT || cmd == VIDIOC_QBUF || cmd == VIDIOC_PREPARE_BUF;
        if !planes_now {
            return;
        }
        let ty: u32 = user(arg, BUFFER_TYPE);
        if ty == BUF_TYPE_VIDEO_CAPTURE_MPLANE || ty == BUF_TYPE_VIDEO_OUTPUT_MPLANE {
            let planes: u64 = user(arg, BUFFER_M);
            let n: u32 = user(arg, BUFFER_LENGTH);
            if planes != 0 && n > 0 {
                let n = if n > MAX_PLANES { MAX_PLANES } else { n };
                cut |= !segments(
                    SegmentKind::Planes as u32,
                    phase,
                    0,
                    planes,
                    n * PLANE_SIZE,
                    1,
                );
            }
        }
        if cmd == VIDIOC_QBUF && phase == PHASE_ENTER {
            if ty == BUF_TYPE_VIDEO_OUTPUT {
                cut |= !bitstream_single(tgid, fd, arg);
            } else if ty == BUF_TYPE_VIDEO_OUTPUT_MPLANE {
                cut |= !bitstream_mplane(tgid, fd, arg);
            }
        }
    } else if cmd == MEDIA_IOC_G_TOPOLOGY && phase == PHASE_EXIT {
        for (i, (num_off, ptr_off, elem)) in TOPOLOGY.iter().enumerate() {
            let num: u32 = user(arg, *num_off);
            let ptr: u64 = user(arg, *ptr_off);
            if ptr != 0 && num > 0 && num < 4096 {
                let kind = SegmentKind::Topology as u32;
                cut |= !segments(kind, phase, i as u32, ptr, num * elem, MAX_TOPOLOGY_CHUNKS);
            }
        }
    }
    if cut {
        count(stats::TRUNCATED, 1);
    }
}

/// The `v4l2_ext_control` array and, if `payloads`, each control's pointed-to payload.
#[inline(always)]
fn ext_ctrls(arg: u64, phase: u32, payloads: bool) -> bool {
    let count: u32 = user(arg, EXT_CTRLS_COUNT);
    let controls: u64 = user(arg, EXT_CTRLS_CONTROLS);
    if controls == 0 || count == 0 {
        return true;
    }
    let n = if count > MAX_CTRLS { MAX_CTRLS } else { count };
    let mut whole = count <= MAX_CTRLS;
    whole &= segments(
        SegmentKind::CtrlArray as u32,
        phase,
        0,
        controls,
        n * EXT_CONTROL_SIZE,
        1,
    );
    if !payloads {
        return whole;
    }
    let mut i: u32 = 0;
    while i < MAX_CTRLS {
        if i >= n {
            break;
        }
        let ctrl = controls + (i * EXT_CONTROL_SIZE) as u64;
        let size: u32 = user(ctrl, EXT_CONTROL_SIZE_FIELD);
        if size > 0 {
            let ptr: u64 = user(ctrl, EXT_CONTROL_PTR);
            let max_chunks = CTRL_PAYLOAD_MAX / DATA_MAX as u32;
            whole &= segments(
                SegmentKind::CtrlPayload as u32,
                phase,
                i,
                ptr,
                size,
                max_chunks,
            );
        }
        i += 1;
    }
    whole
}

/// Where buffer `index`'s `plane` (memory `m`: an mmap offset, a user pointer or a dma-buf fd)
/// is mapped in the process, and the mapping's length.
#[inline(always)]
fn buffer_address(
    tgid: u32,
    fd: i32,
    buf_type: u32,
    index: u32,
    plane: u32,
    memory: u32,
    m: u64,
    length: u32,
) -> Option<(u64, u32)> {
    if memory == MEMORY_USERPTR {
        return Some((m, length));
    }
    let key = if memory == MEMORY_MMAP {
        let direct = MapKey {
            tgid,
            fd,
            offset: m & 0xffff_ffff,
        };
        // SAFETY: plain lookup; the value is copied out at once.
        if let Some(v) = unsafe { MMAPS.get(&direct) } {
            return Some((v.addr, v.len as u32));
        }
        // Not mapped through the video fd: maybe through the dma-buf it was exported as.
        let exp = ExpKey {
            tgid,
            fd,
            buf_type,
            index,
            plane,
            _pad: 0,
        };
        // SAFETY: plain lookup; the value is copied out at once.
        let dmabuf = unsafe { EXPBUFS.get(&exp) }.copied()?;
        MapKey {
            tgid,
            fd: dmabuf,
            offset: 0,
        }
    } else if memory == MEMORY_DMABUF {
        MapKey {
            tgid,
            fd: m as u32 as i32,
            offset: 0,
        }
    } else {
        return None;
    };
    // SAFETY: plain lookup; the value is copied out at once.
    let v = unsafe { MMAPS.get(&key) }?;
    Some((v.addr, v.len as u32))
}

#[inline(always)]
fn emit_bitstream(plane: u32, addr: u64, bytesused: u32, maplen: u32) -> bool {
    let n = if bytesused > maplen {
        maplen
    } else {
        bytesused
    };
    segments_loop(SegmentKind::Bitstream as u32, PHASE_ENTER, plane, addr, n) && n == bytesused
}

/// Bitstream of a single-planar OUTPUT buffer being queued.
#[inline(always)]
fn bitstream_single(tgid: u32, fd: i32, arg: u64) -> bool {
    let index: u32 = user(arg, BUFFER_INDEX);
    let bytesused: u32 = user(arg, BUFFER_BYTESUSED);
    let memory: u32 = user(arg, BUFFER_MEMORY);
    let m: u64 = user(arg, BUFFER_M);
    let length: u32 = user(arg, BUFFER_LENGTH);
    match buffer_address(tgid, fd, BUF_TYPE_VIDEO_OUTPUT, index, 0, memory, m, length) {
        Some((addr, maplen)) => emit_bitstream(0, addr, bytesused, maplen),
        None => bytesused == 0,
    }
}

/// Bitstream of a multi-planar OUTPUT buffer being queued: plane 0 (compressed formats have one
/// plane; each further plane would add a full chunk loop to verify).
#[inline(always)]
fn bitstream_mplane(tgid: u32, fd: i32, arg: u64) -> bool {
    let index: u32 = user(arg, BUFFER_INDEX);
    let memory: u32 = user(arg, BUFFER_MEMORY);
    let planes: u64 = user(arg, BUFFER_M);
    let n: u32 = user(arg, BUFFER_LENGTH);
    if planes == 0 || n == 0 {
        return true;
    }
    let bytesused: u32 = user(planes, PLANE_BYTESUSED);
    let length: u32 = user(planes, PLANE_LENGTH);
    let m: u64 = user(planes, PLANE_M);
    let ty = BUF_TYPE_VIDEO_OUTPUT_MPLANE;
    let whole = match buffer_address(tgid, fd, ty, index, 0, memory, m, length) {
        Some((addr, maplen)) => emit_bitstream(0, addr, bytesused, maplen),
        None => bytesused == 0,
    };
    whole && n == 1
}
