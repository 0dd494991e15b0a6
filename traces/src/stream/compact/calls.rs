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
//! `syscall` is `0` for poll, `1` for ppoll, else the name as text.

use ciborium::Value;

use super::fields::{arr, int, opt, uint, wrapping_diff, Fields};
use super::Codec;
use crate::record::{Close, Dup, Mmap, Munmap, Open, Poll, PollFd, Record};

pub const POLL: u64 = 3;
pub const OPEN: u64 = 4;
pub const CLOSE: u64 = 5;
pub const DUP: u64 = 6;
pub const MMAP: u64 = 7;
pub const MUNMAP: u64 = 8;

impl Codec {
    /// The compact form of a syscall record this module handles, or `None`.
    pub(super) fn encode_call(&mut self, record: &Record) -> Option<Value> {
        let (kind, ts, pid, tid, rest) = match record {
            Record::Poll(p) => {
                let syscall = match p.syscall.as_str() {
                    "poll" => uint(0),
                    "ppoll" => uint(1),
                    other => Value::Text(other.to_string()),
                };
                let fds = p
                    .fds
                    .iter()
                    .flat_map(|f| [int(f.fd), int(f.events), int(f.revents)])
                    .collect();
                let rest = vec![syscall, arr(fds), opt(p.timeout_ns), int(p.ret)];
                (POLL, p.ts_enter, p.pid, p.tid, rest)
            }
            Record::Open(o) => {
                let rest = vec![
                    opt(o.dirfd),
                    Value::Text(o.path.clone()),
                    int(o.flags),
                    int(o.mode),
                    int(o.ret),
                ];
                (OPEN, o.ts, o.pid, o.tid, rest)
            }
            Record::Close(c) => (CLOSE, c.ts, c.pid, c.tid, vec![int(c.fd), int(c.ret)]),
            Record::Dup(d) => (
                DUP,
                d.ts,
                d.pid,
                d.tid,
                vec![int(d.old), opt(d.new), int(d.ret)],
            ),
            Record::Mmap(m) => {
                let rest = vec![
                    int(m.fd),
                    int(m.addr),
                    int(m.len),
                    int(m.prot),
                    int(m.flags),
                    int(m.offset),
                    int(m.ret),
                ];
                (MMAP, m.ts, m.pid, m.tid, rest)
            }
            Record::Munmap(m) => (
                MUNMAP,
                m.ts,
                m.pid,
                m.tid,
                vec![int(m.addr), int(m.len), int(m.ret)],
            ),
            _ => return None,
        };
        let mut scalars = self.stamp(ts, pid, tid);
        if let Record::Poll(p) = record {
            scalars.i(wrapping_diff(p.ts_exit, p.ts_enter));
        }
        let mut fields = vec![uint(kind), scalars.done()];
        fields.extend(rest);
        Some(arr(fields))
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
                    Value::Integer(i) if i128::from(i) == 0 => "poll".to_string(),
                    Value::Integer(i) if i128::from(i) == 1 => "ppoll".to_string(),
                    Value::Text(t) => t,
                    other => return Err(format!("poll: bad syscall {other:?}")),
                };
                let Value::Array(flat) = it.next("fds")? else {
                    return Err("poll: fds is not an array".into());
                };
                if flat.len() % 3 != 0 {
                    return Err(format!(
                        "poll: {} fd numbers, not a multiple of 3",
                        flat.len()
                    ));
                }
                let mut f = Fields::new(flat);
                let mut fds = Vec::new();
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
