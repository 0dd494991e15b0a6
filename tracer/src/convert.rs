//! Turning the kernel side's raw events into `traces` records: pairs each ioctl's entry, nested
//! payload segments and exit (per thread), reassembles chunked bitstreams, pairs poll entry and
//! exit, and keeps an fd table (the shared process model, `traces::procs`) so that only relevant
//! opens reach the trace.

use std::io::Write;

use anyhow::Result;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use tracer_common::{fd_flags, ioctl_flags, PollEvent, SegmentKind, NO_FD};
use traces::{
    ioctl::Dir,
    procs::{Procs, O_CLOEXEC},
    record::{
        Close, Dup, Exec, Exit, Fork, Ioctl, Lost, Mmap, Munmap, Open, Payload, PayloadKind, Poll,
        PollFd,
    },
    Record, TraceWriter,
};

use traces::ioctl::names::{BUF_TYPE_VIDEO_OUTPUT, BUF_TYPE_VIDEO_OUTPUT_MPLANE};
use traces::ioctl::qbuf::VIDIOC_QBUF;

use crate::{devices, raw::RawEvent};

const O_DIRECTORY: u32 = libc::O_DIRECTORY as u32;
const EBADF: i64 = libc::EBADF as i64;

/// Counts for the closing summary.
#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    /// Raw events received from the kernel side.
    pub events: u64,
    pub ioctls: u64,
    /// OUTPUT QBUFs.
    pub frames: u64,
    /// Bitstream bytes captured.
    pub bitstream_bytes: u64,
    pub lost: u64,
    /// Raw records that did not decode.
    pub bad: u64,
}

/// An ioctl between its entry and exit.
struct PendingIoctl {
    ts_enter: u64,
    pid: u32,
    fd: i32,
    cmd: u32,
    arg: u64,
    before: Vec<u8>,
    payloads: Vec<Payload>,
    /// Bitstream per plane: (declared total, bytes).
    bitstream: Vec<(u32, u32, Vec<u8>)>,
    /// Failed by `vatrace record --inject` (known at exit).
    injected: bool,
}

/// What we know of an fd of a traced process.
#[derive(Clone)]
struct FdInfo {
    /// The open that created it, until it has been written to the trace.
    unwritten_open: Option<Open>,
}

/// Converts and writes records.
pub struct Converter<W: Write> {
    pub writer: TraceWriter<W>,
    pending: HashMap<u32, PendingIoctl>,
    polls: HashMap<u32, PollEvent>,
    /// execve entries (ts, path) waiting for their result, per thread.
    /// execve entries waiting for their exit, per thread: time, path, arguments.
    execs: HashMap<u32, (u64, String, Vec<String>)>,
    /// Every traced process's fds: dup, fork, exec and exit (by the kernel's `group_dead`) follow
    /// the rules trace readers apply.
    fds: Procs<FdInfo>,
    described: HashSet<String>,
    seq: u64,
    /// Byte buffers of records already written, reused for the next ones' captured bytes (an
    /// ioctl's argument before and after), so a traced call costs no allocation.
    spare: Vec<Vec<u8>>,
    pub summary: Summary,
}

/// Spare buffers kept at most, and the largest one kept.
const MAX_SPARE: usize = 64;
const MAX_SPARE_CAPACITY: usize = 4096;

fn payload_kind(kind: SegmentKind, index: u32) -> PayloadKind {
    match kind {
        SegmentKind::CtrlArray => PayloadKind::ExtControls,
        SegmentKind::CtrlPayload => PayloadKind::Control { index },
        SegmentKind::Planes => PayloadKind::Planes,
        SegmentKind::Topology => match index {
            0 => PayloadKind::TopologyEntities,
            1 => PayloadKind::TopologyInterfaces,
            2 => PayloadKind::TopologyPads,
            _ => PayloadKind::TopologyLinks,
        },
        SegmentKind::Bitstream => PayloadKind::Other(0xb17),
        // Handled before any payload is made (it belongs to an execve, not an ioctl).
        SegmentKind::Argv => PayloadKind::Other(0xa7),
    }
}

fn u32_at(bytes: &[u8], off: usize) -> Option<u32> {
    bytes
        .get(off..off + 4)
        .map(|b| u32::from_ne_bytes(b.try_into().unwrap()))
}

impl<W: Write> Converter<W> {
    /// Starts converting into `writer`; `described` are device paths already in the header.
    pub fn new(writer: TraceWriter<W>, described: impl IntoIterator<Item = String>) -> Self {
        Converter {
            writer,
            pending: HashMap::default(),
            polls: HashMap::default(),
            execs: HashMap::default(),
            fds: Procs::new(),
            described: described.into_iter().collect(),
            seq: 0,
            spare: Vec::new(),
            summary: Summary::default(),
        }
    }

    /// A copy of `bytes` in a spare buffer if there is one.
    fn copy(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut v = self.spare.pop().unwrap_or_default();
        v.clear();
        v.extend_from_slice(bytes);
        v
    }

    /// Keeps `v` for [`Converter::copy`] if it is worth keeping.
    fn recycle(&mut self, v: Vec<u8>) {
        if v.capacity() > 0 && v.capacity() <= MAX_SPARE_CAPACITY && self.spare.len() < MAX_SPARE {
            self.spare.push(v);
        }
    }

    /// Handles one raw event.
    pub fn push(&mut self, ev: RawEvent<'_>) -> Result<()> {
        self.summary.events += 1;
        match ev {
            RawEvent::Ioctl {
                hdr,
                exit: false,
                ev,
                arg,
            } => {
                if let Some(old) = self.pending.remove(&hdr.tid) {
                    // Its exit was lost: write what we have.
                    self.finish_ioctl(hdr.tid, old, 0, 0, Vec::new())?;
                }
                let before = self.copy(arg);
                self.pending.insert(
                    hdr.tid,
                    PendingIoctl {
                        ts_enter: hdr.ts_ns,
                        pid: hdr.pid,
                        fd: ev.fd,
                        cmd: ev.cmd,
                        arg: ev.arg,
                        before,
                        payloads: Vec::new(),
                        bitstream: Vec::new(),
                        injected: false,
                    },
                );
            }
            RawEvent::Ioctl {
                hdr,
                exit: true,
                ev,
                arg,
            } => {
                let mut p = self.pending.remove(&hdr.tid).unwrap_or(PendingIoctl {
                    ts_enter: 0,
                    pid: hdr.pid,
                    fd: ev.fd,
                    cmd: ev.cmd,
                    arg: ev.arg,
                    before: Vec::new(),
                    payloads: Vec::new(),
                    bitstream: Vec::new(),
                    injected: false,
                });
                p.injected = ev.flags & ioctl_flags::INJECTED != 0;
                // Untouched by a failed call: the argument is what it was at entry (for an ioctl
                // whose argument comes back at all).
                let after = if ev.flags & ioctl_flags::ARG_UNCHANGED == 0 {
                    self.copy(arg)
                } else if Dir::of(ev.cmd).reads_after() {
                    self.copy(&p.before)
                } else {
                    Vec::new()
                };
                self.finish_ioctl(hdr.tid, p, hdr.ts_ns, ev.ret, after)?;
            }
            RawEvent::Segment {
                hdr,
                ev,
                kind,
                data,
            } => {
                let Some(kind) = kind else { return Ok(()) };
                if kind == SegmentKind::Argv {
                    if let Some((_, _, argv)) = self.execs.get_mut(&hdr.tid) {
                        *argv = split_argv(data);
                    }
                    return Ok(());
                }
                let Some(p) = self.pending.get_mut(&hdr.tid) else {
                    return Ok(());
                };
                if kind == SegmentKind::Bitstream {
                    match p
                        .bitstream
                        .iter_mut()
                        .find(|(plane, _, _)| *plane == ev.index)
                    {
                        Some((_, _, bytes)) => bytes.extend_from_slice(data),
                        None => p.bitstream.push((ev.index, ev.total, data.to_vec())),
                    }
                    return Ok(());
                }
                let pk = payload_kind(kind, ev.index);
                let exit = ev.phase != 0;
                let slot = match p.payloads.iter_mut().position(|x| x.kind == pk) {
                    Some(i) => &mut p.payloads[i],
                    None => {
                        p.payloads.push(Payload {
                            kind: pk,
                            addr: ev.addr - ev.offset as u64,
                            before: Vec::new(),
                            after: Vec::new(),
                        });
                        p.payloads.last_mut().unwrap()
                    }
                };
                if exit {
                    slot.after.extend_from_slice(data);
                } else {
                    slot.before.extend_from_slice(data);
                }
            }
            RawEvent::Open { hdr, ev, path } => {
                let open = Open {
                    ts: hdr.ts_ns,
                    pid: hdr.pid,
                    tid: hdr.tid,
                    dirfd: (ev.dirfd != NO_FD).then_some(ev.dirfd),
                    path: path.clone(),
                    flags: ev.flags,
                    mode: ev.mode,
                    ret: ev.ret,
                };
                if ev.ret >= 0 {
                    // Device opens go out at once; others only if the fd is used later.
                    let unwritten_open = if path.starts_with("/dev/") && ev.flags & O_DIRECTORY == 0
                    {
                        self.describe(&path)?;
                        self.writer.write(&Record::Open(open))?;
                        None
                    } else {
                        Some(open)
                    };
                    let cloexec = ev.flags & O_CLOEXEC != 0;
                    self.fds
                        .insert(hdr.pid, ev.ret as i32, FdInfo { unwritten_open }, cloexec);
                } else if path.starts_with("/dev/") && ev.flags & O_DIRECTORY == 0 {
                    self.writer.write(&Record::Open(open))?;
                }
            }
            RawEvent::Close { hdr, ev } => {
                // A close that failed with EBADF closed nothing; any other frees the number.
                let known = if ev.ret == -EBADF {
                    None
                } else {
                    self.fds.close(hdr.pid, ev.fd as i32)
                };
                if !matches!(
                    known,
                    Some(FdInfo {
                        unwritten_open: Some(_)
                    })
                ) {
                    self.writer.write(&Record::Close(Close {
                        ts: hdr.ts_ns,
                        pid: hdr.pid,
                        tid: hdr.tid,
                        fd: ev.fd as i32,
                        ret: ev.ret,
                    }))?;
                }
            }
            RawEvent::Dup { hdr, ev } => {
                self.ensure_open_written(hdr.pid, ev.fd as i32)?;
                // dup3(O_CLOEXEC) and F_DUPFD_CLOEXEC make the new fd close-on-exec.
                let cloexec = ev.flags & fd_flags::CLOEXEC != 0;
                if ev.ret >= 0 {
                    self.fds.dup(hdr.pid, ev.fd as i32, ev.ret as i32, cloexec);
                }
                self.writer.write(&Record::Dup(Dup {
                    ts: hdr.ts_ns,
                    pid: hdr.pid,
                    tid: hdr.tid,
                    old: ev.fd as i32,
                    new: (ev.arg != NO_FD as i64).then_some(ev.arg as i32),
                    ret: ev.ret,
                    cloexec,
                }))?;
            }
            RawEvent::Mmap { hdr, ev } => {
                self.ensure_open_written(hdr.pid, ev.fd)?;
                self.writer.write(&Record::Mmap(Mmap {
                    ts: hdr.ts_ns,
                    pid: hdr.pid,
                    tid: hdr.tid,
                    fd: ev.fd,
                    addr: ev.addr,
                    len: ev.len,
                    prot: ev.prot,
                    flags: ev.flags,
                    offset: ev.offset,
                    ret: ev.ret as u64,
                }))?;
            }
            RawEvent::Munmap { hdr, ev } => {
                self.writer.write(&Record::Munmap(Munmap {
                    ts: hdr.ts_ns,
                    pid: hdr.pid,
                    tid: hdr.tid,
                    addr: ev.addr,
                    len: ev.len,
                    ret: ev.ret,
                }))?;
            }
            RawEvent::Poll {
                hdr,
                exit: false,
                ev,
                ..
            } => {
                self.polls.insert(hdr.tid, ev);
            }
            RawEvent::Poll {
                hdr,
                exit: true,
                ev,
                fds,
            } => {
                let enter = self.polls.remove(&hdr.tid);
                let (ts_enter, timeout) = match &enter {
                    Some(e) => (e.hdr.ts_ns, e.value),
                    None => (0, -1),
                };
                self.writer.write(&Record::Poll(Poll {
                    ts_enter,
                    ts_exit: hdr.ts_ns,
                    pid: hdr.pid,
                    tid: hdr.tid,
                    syscall: if ev.is_ppoll != 0 { "ppoll" } else { "poll" }.to_string(),
                    fds: fds
                        .iter()
                        .map(|f| PollFd {
                            fd: f.fd,
                            events: f.events as u16,
                            revents: f.revents as u16,
                        })
                        .collect(),
                    timeout_ns: (timeout >= 0).then_some(timeout),
                    ret: ev.value,
                }))?;
            }
            RawEvent::ExecEnter { hdr, path } => {
                self.execs.insert(hdr.tid, (hdr.ts_ns, path, Vec::new()));
            }
            RawEvent::ExecExit { hdr, ret } => {
                if let Some((ts, path, argv)) = self.execs.remove(&hdr.tid) {
                    if ret == 0 {
                        // The new program keeps only the fds without close-on-exec.
                        self.fds.exec(hdr.pid);
                        self.writer.write(&Record::Exec(Exec {
                            ts,
                            pid: hdr.pid,
                            tid: hdr.tid,
                            path,
                            argv,
                        }))?;
                    }
                }
            }
            RawEvent::Probe { hdr, ev } => {
                let kind = traces::probe::ProbeKind::from_index(ev.func);
                self.writer.write(&Record::Probe(traces::record::Probe {
                    ts: hdr.ts_ns,
                    pid: hdr.pid,
                    tid: hdr.tid,
                    func: kind,
                    args: kind.args_from_registers(&ev.args),
                }))?;
            }
            RawEvent::Fork { hdr, ev } => {
                if ev.is_thread == 0 {
                    // The child inherits the parent's fds (and their held-back opens).
                    self.fds.fork(hdr.pid, ev.child_tid);
                }
                self.writer.write(&Record::Fork(Fork {
                    ts: hdr.ts_ns,
                    parent_pid: hdr.pid,
                    parent_tid: hdr.tid,
                    child: ev.child_tid,
                    is_thread: ev.is_thread != 0,
                }))?;
            }
            RawEvent::Exit { hdr, ev } => {
                if let Some(p) = self.pending.remove(&hdr.tid) {
                    self.finish_ioctl(hdr.tid, p, 0, 0, Vec::new())?;
                }
                self.polls.remove(&hdr.tid);
                let group_dead = match ev.group_dead {
                    0 => Some(false),
                    1 => Some(true),
                    _ => None,
                };
                self.fds.exit(hdr.pid, hdr.tid, group_dead);
                self.writer.write(&Record::Exit(Exit {
                    ts: hdr.ts_ns,
                    pid: hdr.pid,
                    tid: hdr.tid,
                    // Already a wait status (code << 8 | signal), or -1 if unknown.
                    code: ev.code,
                    group_dead,
                }))?;
            }
        }
        Ok(())
    }

    /// Writes `Lost` for `count` events noticed missing at `at`.
    pub fn lost(&mut self, count: u64, at: u64) -> Result<()> {
        self.summary.lost += count;
        self.writer.write(&Record::Lost(Lost {
            count,
            at,
            cpu: None,
        }))?;
        Ok(())
    }

    /// Writes the ioctls still waiting for their exit (the trace is ending).
    pub fn flush_pending(&mut self) -> Result<()> {
        let tids: Vec<u32> = self.pending.keys().copied().collect();
        for tid in tids {
            if let Some(p) = self.pending.remove(&tid) {
                self.finish_ioctl(tid, p, 0, 0, Vec::new())?;
            }
        }
        Ok(())
    }

    fn describe(&mut self, path: &str) -> Result<()> {
        // /dev/v4l/by-path/… and other links name the same nodes as the header.
        let real = std::fs::canonicalize(path)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| path.to_string());
        if devices::kind_of_path(&real).is_some() && self.described.insert(real.clone()) {
            if let Some(info) = devices::describe(&real) {
                self.writer.write(&Record::Device(info))?;
            }
        }
        Ok(())
    }

    /// Writes the open that created `fd` if it was held back.
    fn ensure_open_written(&mut self, pid: u32, fd: i32) -> Result<()> {
        match self.fds.get_mut(pid, fd) {
            Some(info) => {
                if let Some(open) = info.unwritten_open.take() {
                    self.writer.write(&Record::Open(open))?;
                }
            }
            None => {
                let info = FdInfo {
                    unwritten_open: None,
                };
                self.fds.insert(pid, fd, info, false);
            }
        }
        Ok(())
    }

    fn finish_ioctl(
        &mut self,
        tid: u32,
        p: PendingIoctl,
        ts_exit: u64,
        ret: i64,
        after: Vec<u8>,
    ) -> Result<()> {
        self.ensure_open_written(p.pid, p.fd)?;
        let seq = self.seq;
        self.seq += 1;
        self.summary.ioctls += 1;
        let is_output_qbuf = p.cmd == VIDIOC_QBUF
            && matches!(
                u32_at(&p.before, traces::ioctl::layout::v4l2_buffer::TYPE),
                Some(BUF_TYPE_VIDEO_OUTPUT | BUF_TYPE_VIDEO_OUTPUT_MPLANE)
            );
        if is_output_qbuf {
            self.summary.frames += 1;
        }
        let record = Record::Ioctl(Ioctl {
            seq,
            ts_enter: p.ts_enter,
            ts_exit,
            pid: p.pid,
            tid,
            fd: p.fd,
            request: p.cmd,
            arg: p.arg,
            before: p.before,
            after,
            payloads: p.payloads,
            ret,
            injected: p.injected,
        });
        self.writer.write(&record)?;
        if let Record::Ioctl(i) = record {
            self.recycle(i.before);
            self.recycle(i.after);
            for p in i.payloads {
                self.recycle(p.before);
                self.recycle(p.after);
            }
        }
        for (plane, total, data) in p.bitstream {
            self.summary.bitstream_bytes += data.len() as u64;
            self.writer
                .write_bitstream(seq, plane, 0, total as u64, &data)?;
        }
        Ok(())
    }
}

/// The arguments of an `Argv` segment: each one followed by a NUL.
fn split_argv(data: &[u8]) -> Vec<String> {
    if data.is_empty() {
        return Vec::new();
    }
    let body = data.strip_suffix(&[0]).unwrap_or(data);
    body.split(|&b| b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

#[cfg(test)]
mod tests;
