//! Where a frame or buffer-index injection lands: `--inject NAME@frameF=ERRNO` and
//! `--inject NAME@bufI#K=ERRNO` are resolved to the sequence number of one recorded ioctl during
//! the pre-pass, so the engine only ever matches sequence numbers.
//!
//! **Frame F** (1-based) is the F-th successful OUTPUT `VIDIOC_QBUF` of the recording, as
//! `traces::pool` counts frames (`Totals::output_qbufs`; with slice-based decoding a frame of two
//! slices counts twice). The calls belonging to frame F:
//! - `VIDIOC_QBUF`: that QBUF;
//! - `VIDIOC_S_EXT_CTRLS`: the first one setting controls into that QBUF's request (since the
//!   request was last queued or reinitialised);
//! - `MEDIA_REQUEST_IOC_QUEUE`, `MEDIA_REQUEST_IOC_REINIT`: the first one on that request after
//!   the QBUF;
//! - `VIDIOC_DQBUF`: the successful DQBUF that returns that OUTPUT buffer (same fd, same index);
//! - any other ioctl: the first call of it after the QBUF.
//!
//! **Buffer I** (`NAME@bufI#K`): the K-th call (1-based, `#K` optional) of `NAME`, an ioctl on a
//! `v4l2_buffer` (QBUF, DQBUF, QUERYBUF, PREPARE_BUF), whose recorded buffer index is I (the index
//! the kernel returned for a successful DQBUF, the one passed otherwise), on any queue.

use std::collections::HashMap;

use traces::ioctl::layout::{v4l2_buffer as B, v4l2_ext_controls as X};
use traces::ioctl::{self, ext_ctrls, names, qbuf, request};
use traces::record::Ioctl;

use crate::bytes::{i32_at, u32_at};
use crate::options::InjectAt;

/// Whether `name` is an ioctl whose argument is a `v4l2_buffer` (the buffer-index form's calls).
pub fn takes_buffer(name: &str) -> bool {
    ioctl::by_name(name).is_some_and(|i| i.arg == ioctl::ArgType::Buffer)
}

/// The frame of one injection: the QBUF once seen, then the call sought.
#[derive(Debug, Clone)]
struct FrameWatch {
    /// (pid, video fd, index, request fd) of the frame's QBUF.
    qbuf: Option<(u32, i32, u32, Option<i32>)>,
}

/// Resolves the frame and buffer forms of a replay's injections while the pre-pass reads the
/// trace. Feed every ioctl to [`Resolver::ioctl`], then read [`Resolver::resolved`].
#[derive(Debug, Default)]
pub struct Resolver {
    /// (index in the injection list, what it asks for, per-frame state).
    wanted: Vec<(usize, InjectAt, FrameWatch)>,
    /// The sequence number found for each injection index (`None`: the trace cannot have it).
    found: HashMap<usize, Option<u64>>,
    /// Successful OUTPUT QBUFs so far.
    frames: u64,
    /// The first S_EXT_CTRLS into each (pid, request fd) since it was last queued/reinitialised.
    ctrls: HashMap<(u32, i32), u64>,
    /// Calls of (name, buffer index) so far.
    on_buffer: HashMap<(String, u32), u64>,
}

impl Resolver {
    /// A resolver for the frame and buffer forms among `targets` (the others are left alone).
    pub fn new<'a>(targets: impl IntoIterator<Item = &'a InjectAt>) -> Self {
        let wanted = targets
            .into_iter()
            .enumerate()
            .filter(|(_, t)| matches!(t, InjectAt::Frame { .. } | InjectAt::Buffer { .. }))
            .map(|(i, t)| (i, t.clone(), FrameWatch { qbuf: None }))
            .collect();
        Resolver {
            wanted,
            ..Default::default()
        }
    }

    /// Successful OUTPUT QBUFs seen: the trace's frame count.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The sequence number each frame or buffer injection resolved to (by its position in the
    /// list given to [`Resolver::new`]); absent when the trace has no such call.
    pub fn resolved(&self, i: usize) -> Option<u64> {
        self.found.get(&i).copied().flatten()
    }

    /// Whether any injection needs the trace read.
    pub fn is_idle(&self) -> bool {
        self.wanted.len() == self.found.len()
    }

    /// One recorded ioctl, in trace order.
    pub fn ioctl(&mut self, io: &Ioctl) {
        if self.is_idle() {
            return;
        }
        let name = ioctl::name(io.request);
        let ok = io.ret >= 0;
        let arg = if io.before.is_empty() {
            &io.after
        } else {
            &io.before
        };
        // Requests: controls set into them, and their end of use.
        if io.request == ext_ctrls::VIDIOC_S_EXT_CTRLS
            && u32_at(arg, X::WHICH) == Some(names::CTRL_WHICH_REQUEST_VAL)
        {
            if let Some(fd) = i32_at(arg, X::REQUEST_FD) {
                self.ctrls.entry((io.pid, fd)).or_insert(io.seq);
            }
        }
        let ends_request = io.request == request::MEDIA_REQUEST_IOC_QUEUE
            || io.request == request::MEDIA_REQUEST_IOC_REINIT;
        // Buffer-index calls.
        let index = if ioctl::lookup(io.request).is_some_and(|i| i.arg == ioctl::ArgType::Buffer) {
            let side = if ok && !io.after.is_empty() {
                &io.after
            } else {
                arg
            };
            u32_at(side, B::INDEX)
        } else {
            None
        };
        let nth_on_buffer = index.map(|i| {
            let n = self.on_buffer.entry((name.to_string(), i)).or_default();
            *n += 1;
            *n
        });
        // A new frame: a successful OUTPUT QBUF.
        let output_qbuf = (io.request == qbuf::VIDIOC_QBUF && ok)
            .then(|| u32_at(&io.before, B::TYPE))
            .flatten()
            .filter(|&t| names::is_output(t));
        if output_qbuf.is_some() {
            self.frames += 1;
        }
        for (i, at, watch) in &mut self.wanted {
            if self.found.contains_key(i) {
                continue;
            }
            let hit = match at {
                InjectAt::Buffer {
                    name: n,
                    index: want,
                    nth,
                } => *n == name && index == Some(*want) && nth_on_buffer == Some(*nth),
                InjectAt::Frame { name: n, frame } => match watch.qbuf {
                    None if output_qbuf.is_some() && self.frames == *frame => {
                        let req = (u32_at(&io.before, B::FLAGS).unwrap_or(0)
                            & names::BUF_FLAG_REQUEST_FD
                            != 0)
                            .then(|| i32_at(&io.before, B::REQUEST_FD))
                            .flatten();
                        watch.qbuf = Some((
                            io.pid,
                            io.fd,
                            u32_at(&io.before, B::INDEX).unwrap_or(0),
                            req,
                        ));
                        if *n == "VIDIOC_S_EXT_CTRLS" {
                            let seq = req.and_then(|r| self.ctrls.get(&(io.pid, r)).copied());
                            self.found.insert(*i, seq);
                            continue;
                        }
                        *n == name
                    }
                    None => false,
                    Some((pid, fd, index, req)) => {
                        *n == name
                            && match n.as_str() {
                                "VIDIOC_DQBUF" => {
                                    ok && io.pid == pid
                                        && io.fd == fd
                                        && u32_at(&io.after, B::TYPE).is_some_and(names::is_output)
                                        && u32_at(&io.after, B::INDEX) == Some(index)
                                }
                                "MEDIA_REQUEST_IOC_QUEUE" | "MEDIA_REQUEST_IOC_REINIT" => {
                                    io.pid == pid && Some(io.fd) == req
                                }
                                _ => true,
                            }
                    }
                },
                _ => false,
            };
            if hit {
                self.found.insert(*i, Some(io.seq));
            }
        }
        if ends_request {
            self.ctrls.remove(&(io.pid, io.fd));
        }
    }
}
