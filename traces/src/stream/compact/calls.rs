//! Compact forms of the syscall records other than ioctls: poll/ppoll (once per frame or so) and
//! the fd life cycle (open, close, dup, mmap, munmap). Each starts with `scalars`, varints packed
//! in a byte string ([`super::fields::Packer`]): `flags, dts[, dpid, dtid]` (`flags` bit 0: the
//! pid/tid differ from the previous compact record's and follow; `dts` from its time), and for a
//! poll then `duration`:
//!
//! | kind | array |
//! | --- | --- |
//! | 3 `Poll` | `[3, scalars, syscall, [fd, events, revents, …], timeout or null, ret]` |
//! | 4 `Open` | `[4, scalars, dirfd or null, path, flags, mode, ret]` |
//! | 5 `Close` | `[5, scalars, fd, ret]` |
//! | 6 `Dup` | `[6, scalars, old, new or null, ret]` |
//! | 7 `Mmap` | `[7, scalars, fd, addr, len, prot, flags, offset, ret]` |
//! | 8 `Munmap` | `[8, scalars, addr, len, ret]` |
//!
//! `syscall` is `0` for poll, `1` for ppoll, else the name as text. A `Dup` whose new fd is
//! close-on-exec is written in the map form instead (`cloexec: true`).

use super::fields::{self, cbor, wrapping_diff, Fields, Item, Packer};
use super::Codec;
use crate::record::{Close, Dup, Mmap, Munmap, Open, Poll, PollFd, Record};

pub const POLL: u64 = 3;
pub const OPEN: u64 = 4;
pub const CLOSE: u64 = 5;
pub const DUP: u64 = 6;
pub const MMAP: u64 = 7;
pub const MUNMAP: u64 = 8;

impl Codec {
    /// Appends the compact form of a syscall record this module handles and returns `true`, or
    /// returns `false` (appending nothing) for any other record.
    pub(super) fn encode_call(&mut self, record: &Record, out: &mut Vec<u8>) -> bool {
        match record {
            Record::Poll(p) => {
                let duration = wrapping_diff(p.ts_exit, p.ts_enter);
                self.call_head(out, POLL, 4, p.ts_enter, p.pid, p.tid, Some(duration));
                match p.syscall.as_str() {
                    "poll" => cbor::uint(out, 0),
                    "ppoll" => cbor::uint(out, 1),
                    other => cbor::text(out, other),
                }
                cbor::array(out, 3 * p.fds.len());
                for f in &p.fds {
                    cbor::int(out, f.fd.into());
                    cbor::uint(out, f.events.into());
                    cbor::uint(out, f.revents.into());
                }
                cbor::opt(out, p.timeout_ns);
                cbor::int(out, p.ret);
            }
            Record::Open(o) => {
                self.call_head(out, OPEN, 5, o.ts, o.pid, o.tid, None);
                cbor::opt(out, o.dirfd.map(i64::from));
                cbor::text(out, &o.path);
                cbor::uint(out, o.flags.into());
                cbor::uint(out, o.mode.into());
                cbor::int(out, o.ret);
            }
            Record::Close(c) => {
                self.call_head(out, CLOSE, 2, c.ts, c.pid, c.tid, None);
                cbor::int(out, c.fd.into());
                cbor::int(out, c.ret);
            }
            // A close-on-exec dup (rare) keeps the map form, which carries `cloexec` and which
            // readers before format 2.1 read too, ignoring the field.
            Record::Dup(d) if !d.cloexec => {
                self.call_head(out, DUP, 3, d.ts, d.pid, d.tid, None);
                cbor::int(out, d.old.into());
                cbor::opt(out, d.new.map(i64::from));
                cbor::int(out, d.ret);
            }
            Record::Mmap(m) => {
                self.call_head(out, MMAP, 7, m.ts, m.pid, m.tid, None);
                cbor::int(out, m.fd.into());
                cbor::uint(out, m.addr);
                cbor::uint(out, m.len);
                cbor::uint(out, m.prot.into());
                cbor::uint(out, m.flags.into());
                cbor::uint(out, m.offset);
                cbor::uint(out, m.ret);
            }
            Record::Munmap(m) => {
                self.call_head(out, MUNMAP, 3, m.ts, m.pid, m.tid, None);
                cbor::uint(out, m.addr);
                cbor::uint(out, m.len);
                cbor::int(out, m.ret);
            }
            _ => return false,
        }
        true
    }

    /// Appends the head of a call's array of `2 + fields` items, its kind and its scalars (the
    /// stamp, then `duration` for a poll); the caller appends the other `fields`.
    #[allow(clippy::too_many_arguments)]
    fn call_head(
        &mut self,
        out: &mut Vec<u8>,
        kind: u64,
        fields: usize,
        ts: u64,
        pid: u32,
        tid: u32,
        duration: Option<i64>,
    ) {
        let mut scalars = Packer::reuse(std::mem::take(&mut self.scratch.scalars));
        self.stamp(&mut scalars, ts, pid, tid);
        if let Some(d) = duration {
            scalars.i(d);
        }
        cbor::array(out, 2 + fields);
        cbor::uint(out, kind);
        self.scratch.scalars = scalars.done(out);
    }

    /// The record of compact kind `kind` (one of this module's), its fields after the kind.
    pub(super) fn decode_call(
        &mut self,
        kind: u64,
        it: &mut Fields,
    ) -> Result<Option<Record>, String> {
        if !(POLL..=MUNMAP).contains(&kind) {
            return Ok(None);
        }
        let (ts, pid, tid, mut scalars) = self.unstamp(it)?;
        let ts_exit = match kind {
            POLL => scalars.undiff("duration", ts)?,
            _ => 0,
        };
        scalars.end()?;
        Ok(Some(match kind {
            POLL => {
                let syscall = match it.next("syscall")? {
                    Item::Int(0) => "poll".to_string(),
                    Item::Int(1) => "ppoll".to_string(),
                    Item::Text(t) => fields::text("syscall", t)?,
                    other => return Err(format!("poll: bad syscall {other:?}")),
                };
                let Item::Array(mut f) = it.next("fds")? else {
                    return Err("poll: fds is not an array".into());
                };
                let numbers = f.len()?;
                if numbers % 3 != 0 {
                    return Err(format!("poll: {numbers} fd numbers, not a multiple of 3"));
                }
                let mut fds = Vec::with_capacity(numbers / 3);
                while !f.is_empty() {
                    fds.push(PollFd {
                        fd: f.i32("fd")?,
                        events: f.u16("events")?,
                        revents: f.u16("revents")?,
                    });
                }
                let timeout_ns = it.opt_int("timeout")?;
                let ret = it.i64("ret")?;
                Record::Poll(Poll {
                    ts_enter: ts,
                    ts_exit,
                    pid,
                    tid,
                    syscall,
                    fds,
                    timeout_ns,
                    ret,
                })
            }
            OPEN => Record::Open(Open {
                ts,
                pid,
                tid,
                dirfd: it.opt_int("dirfd")?,
                path: it.text("path")?,
                flags: it.u32("flags")?,
                mode: it.u32("mode")?,
                ret: it.i64("ret")?,
            }),
            CLOSE => Record::Close(Close {
                ts,
                pid,
                tid,
                fd: it.i32("fd")?,
                ret: it.i64("ret")?,
            }),
            DUP => Record::Dup(Dup {
                ts,
                pid,
                tid,
                old: it.i32("old")?,
                new: it.opt_int("new")?,
                ret: it.i64("ret")?,
                cloexec: false,
            }),
            MMAP => Record::Mmap(Mmap {
                ts,
                pid,
                tid,
                fd: it.i32("fd")?,
                addr: it.uint("addr")?,
                len: it.uint("len")?,
                prot: it.u32("prot")?,
                flags: it.u32("flags")?,
                offset: it.uint("offset")?,
                ret: it.uint("ret")?,
            }),
            _ => Record::Munmap(Munmap {
                ts,
                pid,
                tid,
                addr: it.uint("addr")?,
                len: it.uint("len")?,
                ret: it.i64("ret")?,
            }),
        }))
    }
}
