//! The pieces a trace can lose and stay a trace a client could have made: [`Unit`]s, coarse to
//! fine — whole child processes, whole threads, frames, runs of repeated probing, single calls.
//!
//! **Frames** are counted as [`crate::pool`] counts them (and `vatrace check` and replay's
//! `--inject NAME@frameF` do): frame `F` is the `F`-th successful OUTPUT `VIDIOC_QBUF`, from 0.
//! A frame holds, besides that QBUF and its bitstream:
//! * the `S_EXT_CTRLS` that set controls into its request, and the `DMA_BUF_IOCTL_SYNC`s of its
//!   process since the previous OUTPUT QBUF (the client writing the bitstream);
//! * the request's `MEDIA_REQUEST_IOC_QUEUE`, the polls that saw it complete, its `REINIT`;
//! * the `DQBUF` that returned its OUTPUT buffer, the CAPTURE `DQBUF` that returned its picture
//!   (matched by the timestamp the kernel copies from OUTPUT to CAPTURE), and the CAPTURE `QBUF`
//!   that gave that CAPTURE buffer back (so removing a frame leaves the CAPTURE queue as full as
//!   it was). A CAPTURE buffer's first QBUF is set-up, in no frame.
//!
//! **Probing runs**: two or more consecutive calls of one process on one fd that only ask
//! (`ENUM_FMT`, `ENUM_FRAMESIZES`, `QUERYCTRL`, `QUERY_EXT_CTRL`, `G_FMT`, `TRY_FMT`, …).
//! **Calls**: every ioctl, open, close, dup, mmap, munmap and poll on its own (removing an open
//! removes, through [`super::Deps::close`], everything done with its fd).

use std::collections::HashMap;

use crate::ioctl::{dma_buf, ext_ctrls, fmt, media, misc, names, qbuf, querycap, queryctrl};
use crate::ioctl::{request, streamon};
use crate::pool::args;
use crate::record::Record;

use super::Deps;

/// What a unit is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitKind {
    /// A child process (everything its pid did, and the fork that made it).
    Process(u32),
    /// A thread other than a process's main one.
    Thread(u32),
    /// Frame `F` (the `F`-th OUTPUT QBUF, from 0).
    Frame(u64),
    /// A run of probing calls.
    Probe,
    /// One call.
    Call,
}

/// A set of records removed together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub kind: UnitKind,
    /// Record indices, ascending.
    pub records: Vec<usize>,
}

/// The frame each record belongs to (`None`: set-up, tear-down, or not frame work).
pub fn frames(records: &[Record], deps: &Deps) -> Vec<Option<u64>> {
    let mut out = vec![None; records.len()];
    let mut n = 0u64;
    // (pid, request fd) -> frame queued with it (until REINIT), and controls waiting for a QBUF.
    let mut by_req: HashMap<(u32, i32), u64> = HashMap::new();
    let mut ctrls: HashMap<(u32, i32), Vec<usize>> = HashMap::new();
    // Syncs of a process waiting for its next OUTPUT QBUF.
    let mut syncs: HashMap<u32, Vec<usize>> = HashMap::new();
    // (ctx, type, index) of an OUTPUT buffer in flight -> frame.
    let mut out_bufs: HashMap<(usize, u32, u32), u64> = HashMap::new();
    // (ctx, OUTPUT timestamp) -> frame, for the CAPTURE DQBUF.
    let mut by_ts: HashMap<(usize, u64), u64> = HashMap::new();
    // (ctx, type, index) of a CAPTURE buffer dequeued -> the frame it held.
    let mut cap_held: HashMap<(usize, u32, u32), u64> = HashMap::new();
    let mut qbuf_seq: HashMap<u64, u64> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        let io = match r {
            Record::Ioctl(io) => io,
            Record::Bitstream(b) => {
                out[i] = qbuf_seq.get(&b.ioctl_seq).copied();
                continue;
            }
            Record::Poll(p) => {
                out[i] = p
                    .fds
                    .iter()
                    .filter(|f| f.revents != 0)
                    .find_map(|f| by_req.get(&(p.pid, f.fd)).copied());
                continue;
            }
            _ => continue,
        };
        let ok = io.ret >= 0;
        let ctx = deps.ctx(i);
        match io.request {
            ext_ctrls::VIDIOC_S_EXT_CTRLS => {
                if let Some((which, _, fd)) = args::ext_ctrls(io) {
                    if which == names::CTRL_WHICH_REQUEST_VAL {
                        ctrls.entry((io.pid, fd)).or_default().push(i);
                    }
                }
            }
            dma_buf::DMA_BUF_IOCTL_SYNC => syncs.entry(io.pid).or_default().push(i),
            qbuf::VIDIOC_QBUF => {
                let Some(b) = args::buffer_before(io) else {
                    continue;
                };
                let key = ctx.map(|c| (c, b.buf_type, b.index));
                if names::is_output(b.buf_type) {
                    if !ok {
                        continue;
                    }
                    let f = n;
                    n += 1;
                    out[i] = Some(f);
                    qbuf_seq.insert(io.seq, f);
                    for j in syncs.remove(&io.pid).unwrap_or_default() {
                        out[j] = Some(f);
                    }
                    if b.flags & 0x0080_0000 != 0 {
                        for j in ctrls.remove(&(io.pid, b.request_fd)).unwrap_or_default() {
                            out[j] = Some(f);
                        }
                        by_req.insert((io.pid, b.request_fd), f);
                    }
                    if let Some(k) = key {
                        out_bufs.insert(k, f);
                        by_ts.insert((k.0, b.ts_ns()), f);
                    }
                } else if let Some(f) = key.and_then(|k| cap_held.remove(&k)) {
                    out[i] = Some(f);
                }
            }
            qbuf::VIDIOC_DQBUF if ok => {
                let (Some(b), Some(c)) = (args::buffer_after(io), ctx) else {
                    continue;
                };
                let key = (c, b.buf_type, b.index);
                if names::is_output(b.buf_type) {
                    out[i] = out_bufs.remove(&key);
                } else if let Some(&f) = by_ts.get(&(c, b.ts_ns())) {
                    out[i] = Some(f);
                    cap_held.insert(key, f);
                }
            }
            request::MEDIA_REQUEST_IOC_QUEUE => out[i] = by_req.get(&(io.pid, io.fd)).copied(),
            request::MEDIA_REQUEST_IOC_REINIT => out[i] = by_req.remove(&(io.pid, io.fd)),
            streamon::VIDIOC_STREAMOFF => {}
            _ => {}
        }
    }
    out
}

/// Whether an ioctl only asks the device (a probe: nothing in the device changes).
pub fn is_probe(request: u32) -> bool {
    matches!(
        request,
        fmt::VIDIOC_ENUM_FMT
            | fmt::VIDIOC_G_FMT
            | fmt::VIDIOC_TRY_FMT
            | fmt::VIDIOC_ENUM_FRAMESIZES
            | misc::VIDIOC_ENUM_FRAMEINTERVALS
            | misc::VIDIOC_G_PARM
            | queryctrl::VIDIOC_QUERYCTRL
            | queryctrl::VIDIOC_QUERYMENU
            | queryctrl::VIDIOC_QUERY_EXT_CTRL
            | querycap::VIDIOC_QUERYCAP
            | ext_ctrls::VIDIOC_G_EXT_CTRLS
            | ext_ctrls::VIDIOC_G_CTRL
            | ext_ctrls::VIDIOC_TRY_EXT_CTRLS
            | media::MEDIA_IOC_DEVICE_INFO
            | media::MEDIA_IOC_G_TOPOLOGY
            | media::MEDIA_IOC_ENUM_ENTITIES
            | media::MEDIA_IOC_ENUM_LINKS
    )
}

/// Whether a record is a call a unit of its own can remove.
fn is_call(r: &Record) -> bool {
    matches!(
        r,
        Record::Ioctl(_)
            | Record::Open(_)
            | Record::Close(_)
            | Record::Dup(_)
            | Record::Mmap(_)
            | Record::Munmap(_)
            | Record::Poll(_)
    )
}

/// The units of each level, coarse to fine: child processes, threads, frames, probing runs,
/// single calls. Empty levels are left out.
pub fn levels(records: &[Record], root_pid: u32, deps: &Deps) -> Vec<Vec<Unit>> {
    let mut procs: Vec<(u32, Vec<usize>)> = Vec::new();
    let mut threads: Vec<(u32, Vec<usize>)> = Vec::new();
    let push = |v: &mut Vec<(u32, Vec<usize>)>, id: u32, i: usize| match v
        .iter_mut()
        .find(|(k, _)| *k == id)
    {
        Some((_, rs)) => rs.push(i),
        None => v.push((id, vec![i])),
    };
    for (i, r) in records.iter().enumerate() {
        let (pid, tid) = match r {
            Record::Fork(f) if f.is_thread => (f.parent_pid, f.child),
            Record::Fork(f) => (f.child, f.child),
            _ => match r.task() {
                Some(t) => t,
                None => continue,
            },
        };
        if pid != root_pid {
            push(&mut procs, pid, i);
        }
        if tid != pid {
            push(&mut threads, tid, i);
        }
    }
    let frame_of = frames(records, deps);
    let mut frames: Vec<Unit> = Vec::new();
    for (i, f) in frame_of.iter().enumerate() {
        let Some(f) = *f else { continue };
        match frames.iter_mut().find(|u| u.kind == UnitKind::Frame(f)) {
            Some(u) => u.records.push(i),
            None => frames.push(Unit {
                kind: UnitKind::Frame(f),
                records: vec![i],
            }),
        }
    }
    frames.sort_by_key(|u| match u.kind {
        UnitKind::Frame(f) => f,
        _ => 0,
    });
    // Probing runs: consecutive probes of one process on one fd, nothing else of that
    // process in between.
    let mut probes: Vec<Unit> = Vec::new();
    let mut run: Option<(u32, i32, Vec<usize>)> = None;
    let flush = |run: &mut Option<(u32, i32, Vec<usize>)>, probes: &mut Vec<Unit>| {
        if let Some((_, _, rs)) = run.take() {
            if rs.len() >= 2 {
                probes.push(Unit {
                    kind: UnitKind::Probe,
                    records: rs,
                });
            }
        }
    };
    for (i, r) in records.iter().enumerate() {
        match r {
            Record::Ioctl(io) if is_probe(io.request) => match &mut run {
                Some((p, fd, rs)) if *p == io.pid && *fd == io.fd => rs.push(i),
                _ => {
                    flush(&mut run, &mut probes);
                    run = Some((io.pid, io.fd, vec![i]));
                }
            },
            _ => {
                let same = run.as_ref().map(|(p, _, _)| *p);
                if r.task().map(|t| t.0).is_some_and(|p| Some(p) == same) {
                    flush(&mut run, &mut probes);
                }
            }
        }
    }
    flush(&mut run, &mut probes);
    let calls: Vec<Unit> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| is_call(r))
        .map(|(i, _)| Unit {
            kind: UnitKind::Call,
            records: vec![i],
        })
        .collect();
    let procs = procs.into_iter().map(|(p, records)| Unit {
        kind: UnitKind::Process(p),
        records,
    });
    let threads = threads.into_iter().map(|(t, records)| Unit {
        kind: UnitKind::Thread(t),
        records,
    });
    [procs.collect(), threads.collect(), frames, probes, calls]
        .into_iter()
        .filter(|l: &Vec<Unit>| !l.is_empty())
        .collect()
}
