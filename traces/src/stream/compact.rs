//! Format version 2's compact records: the per-frame record kinds (`Ioctl`, `Poll`, `Bitstream`,
//! `Blob`) as CBOR arrays of numbers led by a kind number, each value stored as the difference
//! from what the previous records make expected (sequence numbers, timestamps, pid/tid, argument
//! pointers), request numbers as indexes into a table, and captured bytes as patches
//! ([`super::delta`]) against remembered values ([`super::history`]).
//!
//! [`Codec`] holds that state; the writer and the reader each run one and feed it the same
//! records in the same order, so both always agree on it. Any other record kind is written as in
//! version 1 (serde's externally tagged map) and does not touch the state; so does an `Ioctl`
//! marked `injected` (format 2.2), which the map form carries.
//!
//! Layouts (`d…` = signed difference, wrapping in 64 bits; `bytes` = a [`super::delta`] field):
//!
//! | kind | array |
//! | --- | --- |
//! | 0 `Ioctl` | `[0, scalars, before, after, payloads?]` |
//! | 1 `Bitstream` | `[1, dseq, plane, offset, len, dblob]` |
//! | 2 `Blob` | `[2, did, data]` |
//! | 3–8 | poll, open, close, dup, mmap, munmap: see [`calls`] |
//!
//! * An ioctl's `scalars` are varints packed in one byte string ([`fields::Packer`], signed ones
//!   zigzag): `flags, dts, duration, request`, then only the fields `flags` says differ from what
//!   is expected: bit 0 `dpid, dtid` (else the previous compact record's), bit 1 `dseq` (else the
//!   previous ioctl's seq + 1), bit 2 `fd` (else the same request's previous fd), bit 3 `darg`
//!   (else the same request's previous argument pointer, 0 without a table entry), bit 4 `ret`
//!   (else 0).
//! * `dts`: from the previous compact record's (entry) time, the header's `start_monotonic_ns`
//!   at first; `dpid`/`dtid`: from the previous compact record's (the header's `root_pid` at
//!   first); `duration` = exit − entry.
//! * `request`: `2n` is the table index `n` of an earlier request number; `2r + 1` is the request
//!   number `r` itself, which then gets the next table index (up to
//!   [`super::history::MAX_REQUESTS`]). `darg`: from the same request's previous pointer.
//! * `dseq` of a Bitstream: from the last ioctl's seq; `dblob`/`did`: from the last Blob's id (+ 1
//!   for `did`).
//! * `payloads`: `[kind, daddr, before, after]` each; kind `0` ExtControls, `1` Planes, `2..=5`
//!   Topology entities/interfaces/pads/links, `6`/`7` LinksEnum pads/links, `-1 - i`
//!   `Control { index: i }`, `16 + n` `Other(n)`; `daddr` from the last address of that kind for
//!   the same request.
//! * Patch modes of `bytes` fields: `1` against zeros, `2` against the same call's `before` (an
//!   `after` field only; for a payload, that payload's `before`), `3 + k` against the `k`-th most
//!   recent distinct value of the same field of the same request.

mod calls;
mod fields;

use super::delta;
use super::history::{Field, History, Slot, DEPTH};
use crate::record::{Bitstream, Blob, Header, Ioctl, Payload, PayloadKind, Record};
use fields::{cbor, undiff, wrapping_diff, Fields, Packer, Unpacker};

/// Kind numbers of the compact records (3–8: [`calls`]).
const IOCTL: u64 = 0;

/// Flags of an ioctl's scalars: which fields differ from what is expected (see the module doc).
const TASK: u64 = 1;
const SEQ: u64 = 2;
const FD: u64 = 4;
const ARG: u64 = 8;
const RET: u64 = 16;
const BITSTREAM: u64 = 1;
const BLOB: u64 = 2;

/// Patch modes (see the module doc).
const MODE_ZEROS: u8 = 1;
const MODE_BEFORE: u8 = 2;
const MODE_HISTORY: u8 = 3;

/// The state both sides keep while going through a version-2 trace.
#[derive(Debug)]
pub struct Codec {
    history: History,
    last_seq: u64,
    last_ts: u64,
    last_pid: u32,
    last_tid: u32,
    last_blob: u64,
    /// The encoder's working buffers, kept between records for their allocations.
    scratch: Scratch,
}

/// Buffers the encoder reuses from record to record (none of it is state of the format).
#[derive(Debug, Default)]
struct Scratch {
    /// Packed scalars.
    scalars: Vec<u8>,
    /// The ops of the patch being sized, and of the shortest one so far.
    ops: Vec<(usize, usize)>,
    best_ops: Vec<(usize, usize)>,
}

impl Codec {
    /// The state at the start of the trace with this header.
    pub fn new(header: &Header) -> Self {
        Codec {
            history: History::default(),
            last_seq: u64::MAX,
            last_ts: header.start_monotonic_ns,
            last_pid: header.root_pid,
            last_tid: header.root_pid,
            last_blob: u64::MAX,
            scratch: Scratch::default(),
        }
    }

    /// Bytes of field values remembered now (bounded by [`super::history::MAX_BYTES`]).
    pub fn remembered_bytes(&self) -> usize {
        self.history.bytes()
    }

    /// Appends the compact form of `record` to `out` and returns `true`, or returns `false`
    /// (appending nothing) if it is written as in version 1.
    pub fn encode(&mut self, record: &Record, out: &mut Vec<u8>) -> bool {
        match record {
            // An injected call (rare) keeps the map form, which carries `injected` and which
            // readers before format 2.2 read too, ignoring the field.
            Record::Ioctl(i) if !i.injected => self.encode_ioctl(i, out),
            Record::Ioctl(_) => return false,
            Record::Bitstream(b) => {
                cbor::array(out, 6);
                cbor::uint(out, BITSTREAM);
                cbor::diff(out, b.ioctl_seq, self.last_seq);
                cbor::uint(out, b.plane.into());
                cbor::uint(out, b.offset);
                cbor::uint(out, b.len);
                cbor::diff(out, b.blob, self.last_blob);
            }
            Record::Blob(b) => {
                cbor::array(out, 3);
                cbor::uint(out, BLOB);
                cbor::diff(out, b.id, self.last_blob.wrapping_add(1));
                cbor::bytes(out, &b.data);
                self.last_blob = b.id;
            }
            other => return self.encode_call(other, out),
        }
        true
    }

    /// Packs the scalars `flags, dts[, dpid, dtid]` of an event at `ts` on `pid`/`tid` into
    /// `p`, which becomes the reference; the caller may pack more scalars.
    fn stamp(&mut self, p: &mut Packer, ts: u64, pid: u32, tid: u32) {
        let task = (pid, tid) != (self.last_pid, self.last_tid);
        p.u(if task { TASK } else { 0 });
        p.i(wrapping_diff(ts, self.last_ts));
        if task {
            p.i(i64::from(pid) - i64::from(self.last_pid));
            p.i(i64::from(tid) - i64::from(self.last_tid));
        }
        (self.last_ts, self.last_pid, self.last_tid) = (ts, pid, tid);
    }

    /// Reads what [`Codec::stamp`] wrote, which becomes the reference; the rest of the scalars
    /// are left in the returned reader.
    fn unstamp<'a>(
        &mut self,
        it: &mut Fields<'a>,
    ) -> Result<(u64, u32, u32, Unpacker<'a>), String> {
        let mut p = Unpacker::new(it.bytes("scalars")?);
        let flags = p.u("flags")?;
        if flags & !TASK != 0 {
            return Err(format!("flags {flags:#x} has unknown bits"));
        }
        let ts = p.undiff("dts", self.last_ts)?;
        let (pid, tid) = if flags & TASK != 0 {
            (
                p.undiff_u32("dpid", self.last_pid)?,
                p.undiff_u32("dtid", self.last_tid)?,
            )
        } else {
            (self.last_pid, self.last_tid)
        };
        (self.last_ts, self.last_pid, self.last_tid) = (ts, pid, tid);
        Ok((ts, pid, tid, p))
    }

    /// The record the compact item `bytes` stands for (a whole CBOR array, as
    /// [`super::item::extent`] delimits it); the error says what is wrong with it.
    pub fn decode(&mut self, bytes: &[u8]) -> Result<Record, String> {
        let mut it = Fields::new(bytes)?;
        let kind = it.uint("kind")?;
        let record = match kind {
            IOCTL => Record::Ioctl(self.decode_ioctl(&mut it)?),
            BITSTREAM => {
                let b = Bitstream {
                    ioctl_seq: undiff(&mut it, "dseq", self.last_seq)?,
                    plane: it.u32("plane")?,
                    offset: it.uint("offset")?,
                    len: it.uint("len")?,
                    blob: undiff(&mut it, "dblob", self.last_blob)?,
                };
                Record::Bitstream(b)
            }
            BLOB => {
                let id = undiff(&mut it, "did", self.last_blob.wrapping_add(1))?;
                let data = it.bytes("data")?.to_vec();
                self.last_blob = id;
                Record::Blob(Blob { id, data })
            }
            other => match self.decode_call(other, &mut it)? {
                Some(r) => r,
                None => {
                    return Ok(Record::Unknown {
                        tag: format!("Compact{other}"),
                    })
                }
            },
        };
        it.end()?;
        Ok(record)
    }

    fn encode_ioctl(&mut self, i: &Ioctl, out: &mut Vec<u8>) {
        let known = self.history.index_of(i.request);
        let (ref_arg, ref_fd) = known.map_or((0, -1), |ix| {
            let s = self.history.state(ix);
            (s.last_arg, s.last_fd)
        });
        let expected_seq = self.last_seq.wrapping_add(1);
        let flags = [
            ((i.pid, i.tid) != (self.last_pid, self.last_tid), TASK),
            (i.seq != expected_seq, SEQ),
            (i.fd != ref_fd, FD),
            (i.arg != ref_arg, ARG),
            (i.ret != 0, RET),
        ]
        .iter()
        .filter(|(set, _)| *set)
        .fold(0, |f, (_, bit)| f | bit);
        let mut p = Packer::reuse(std::mem::take(&mut self.scratch.scalars));
        p.u(flags);
        p.i(wrapping_diff(i.ts_enter, self.last_ts));
        p.i(wrapping_diff(i.ts_exit, i.ts_enter));
        p.u(match known {
            Some(ix) => (ix as u64) << 1,
            None => (u64::from(i.request) << 1) | 1,
        });
        if flags & TASK != 0 {
            p.i(i64::from(i.pid) - i64::from(self.last_pid));
            p.i(i64::from(i.tid) - i64::from(self.last_tid));
        }
        if flags & SEQ != 0 {
            p.i(wrapping_diff(i.seq, expected_seq));
        }
        if flags & FD != 0 {
            p.i(i.fd.into());
        }
        if flags & ARG != 0 {
            p.i(wrapping_diff(i.arg, ref_arg));
        }
        if flags & RET != 0 {
            p.i(i.ret);
        }
        (self.last_ts, self.last_pid, self.last_tid) = (i.ts_enter, i.pid, i.tid);
        cbor::array(out, if i.payloads.is_empty() { 4 } else { 5 });
        cbor::uint(out, IOCTL);
        self.scratch.scalars = p.done(out);
        let arg = |after| Slot {
            field: Field::Arg,
            after,
        };
        self.encode_field(out, known, &arg(false), &i.before, None);
        self.encode_field(out, known, &arg(true), &i.after, Some(&i.before));
        if !i.payloads.is_empty() {
            cbor::array(out, i.payloads.len());
            for p in &i.payloads {
                let ref_addr =
                    known.and_then(|ix| self.history.state(ix).addrs.get(&p.kind).copied());
                let slot = |after| Slot {
                    field: Field::Payload(p.kind.clone()),
                    after,
                };
                cbor::array(out, 4);
                cbor::int(out, kind_code(&p.kind));
                cbor::diff(out, p.addr, ref_addr.unwrap_or(0));
                self.encode_field(out, known, &slot(false), &p.before, None);
                self.encode_field(out, known, &slot(true), &p.after, Some(&p.before));
            }
        }
        self.after_ioctl(i);
    }

    /// Appends `value` as a byte string holding its smallest encoding among the references
    /// available.
    fn encode_field(
        &mut self,
        out: &mut Vec<u8>,
        known: Option<usize>,
        slot: &Slot,
        value: &[u8],
        before: Option<&[u8]>,
    ) {
        if value.is_empty() {
            cbor::bytes_head(out, 0);
            return;
        }
        // The shortest among the literal and a patch against each reference: equal values first
        // (the common case, 2–4 bytes), then patches sized (and planned) without writing them.
        let Scratch { ops, best_ops, .. } = &mut self.scratch;
        let len_bytes = 1 + value.len().max(1).ilog2() as usize / 7;
        let mut best: (usize, u8, &[u8]) = (1 + value.len(), delta::LITERAL, &[]);
        let history = known
            .into_iter()
            .flat_map(|ix| self.history.state(ix).values(slot));
        let candidates = history
            .enumerate()
            .take(DEPTH)
            .map(|(k, old)| (MODE_HISTORY + k as u8, old))
            .chain(before.filter(|b| !b.is_empty()).map(|b| (MODE_BEFORE, b)))
            .chain(std::iter::once((MODE_ZEROS, &[][..])));
        for (mode, reference) in candidates {
            if best.0 <= 1 + len_bytes {
                break; // nothing beats an exact match
            }
            let len = if reference == value {
                ops.clear();
                1 + len_bytes
            } else {
                delta::plan(value, reference, best.0, ops)
            };
            if len < best.0 {
                best = (len, mode, reference);
                std::mem::swap(ops, best_ops);
            }
        }
        cbor::bytes_head(out, best.0);
        match best.1 {
            delta::LITERAL => delta::write_literal(out, value),
            mode => delta::write_patch(out, mode, value, best_ops),
        }
    }

    /// Updates the state with an ioctl both sides now know in full.
    fn after_ioctl(&mut self, i: &Ioctl) {
        self.last_seq = i.seq;
        let Some(ix) = self.history.add_request(i.request) else {
            return;
        };
        self.history.set_call(ix, i.arg, i.fd);
        self.history.remember(
            ix,
            &Slot {
                field: Field::Arg,
                after: false,
            },
            &i.before,
        );
        self.history.remember(
            ix,
            &Slot {
                field: Field::Arg,
                after: true,
            },
            &i.after,
        );
        for p in &i.payloads {
            self.history.set_addr(ix, &p.kind, p.addr);
            for (after, bytes) in [(false, &p.before), (true, &p.after)] {
                self.history.remember(
                    ix,
                    &Slot {
                        field: Field::Payload(p.kind.clone()),
                        after,
                    },
                    bytes,
                );
            }
        }
    }

    fn decode_ioctl(&mut self, it: &mut Fields) -> Result<Ioctl, String> {
        let mut p = Unpacker::new(it.bytes("scalars")?);
        let flags = p.u("flags")?;
        if flags & !(TASK | SEQ | FD | ARG | RET) != 0 {
            return Err(format!("ioctl flags {flags:#x} has unknown bits"));
        }
        let ts_enter = p.undiff("dts", self.last_ts)?;
        let ts_exit = p.undiff("duration", ts_enter)?;
        let rq = p.u("request")?;
        let (request, known) = if rq & 1 == 0 {
            let ix = usize::try_from(rq >> 1).ok();
            let request = ix
                .and_then(|ix| self.history.request_at(ix))
                .ok_or_else(|| {
                    format!(
                        "an ioctl names request table entry {}, which the trace never defined",
                        rq >> 1
                    )
                })?;
            (request, ix)
        } else {
            let r = u32::try_from(rq >> 1)
                .map_err(|_| format!("request {:#x} is out of range", rq >> 1))?;
            (r, None)
        };
        let (ref_arg, ref_fd) = known.map_or((0, -1), |ix| {
            let s = self.history.state(ix);
            (s.last_arg, s.last_fd)
        });
        let (pid, tid) = if flags & TASK != 0 {
            (
                p.undiff_u32("dpid", self.last_pid)?,
                p.undiff_u32("dtid", self.last_tid)?,
            )
        } else {
            (self.last_pid, self.last_tid)
        };
        let expected_seq = self.last_seq.wrapping_add(1);
        let seq = if flags & SEQ != 0 {
            p.undiff("dseq", expected_seq)?
        } else {
            expected_seq
        };
        let fd = if flags & FD != 0 {
            p.ranged("fd")?
        } else {
            ref_fd
        };
        let arg = if flags & ARG != 0 {
            p.undiff("darg", ref_arg)?
        } else {
            ref_arg
        };
        let ret = if flags & RET != 0 { p.i("ret")? } else { 0 };
        p.end()?;
        (self.last_ts, self.last_pid, self.last_tid) = (ts_enter, pid, tid);
        let what = || format!("ioctl {seq} ({})", crate::ioctl::describe(request));
        let mut budget = delta::MAX_RECORD;
        let budget = &mut budget;
        let before = self
            .decode_field(
                budget,
                known,
                &Slot {
                    field: Field::Arg,
                    after: false,
                },
                it.bytes("before")?,
                None,
            )
            .map_err(|e| format!("{}: `before`: {e}", what()))?;
        let after = self
            .decode_field(
                budget,
                known,
                &Slot {
                    field: Field::Arg,
                    after: true,
                },
                it.bytes("after")?,
                Some(&before),
            )
            .map_err(|e| format!("{}: `after`: {e}", what()))?;
        let mut payloads = Vec::new();
        if let Some(list) = it.optional_array("payloads")? {
            let mut list = list;
            let mut n = 0;
            while let Some(p) = list.optional_array("payload").transpose() {
                let mut pf = p.map_err(|_| format!("{}: payload {n} is not an array", what()))?;
                let kind = kind_of(pf.int("payload kind")?)
                    .map_err(|e| format!("{}: payload {n}: {e}", what()))?;
                let ref_addr =
                    known.and_then(|ix| self.history.state(ix).addrs.get(&kind).copied());
                let addr = undiff(&mut pf, "daddr", ref_addr.unwrap_or(0))?;
                let slot = |after| Slot {
                    field: Field::Payload(kind.clone()),
                    after,
                };
                let pb = self
                    .decode_field(budget, known, &slot(false), pf.bytes("before")?, None)
                    .map_err(|e| format!("{}: payload {n} `before`: {e}", what()))?;
                let pa = self
                    .decode_field(budget, known, &slot(true), pf.bytes("after")?, Some(&pb))
                    .map_err(|e| format!("{}: payload {n} `after`: {e}", what()))?;
                pf.end()?;
                payloads.push(Payload {
                    kind,
                    addr,
                    before: pb,
                    after: pa,
                });
                n += 1;
            }
        }
        let ioctl = Ioctl {
            seq,
            ts_enter,
            ts_exit,
            pid,
            tid,
            fd,
            request,
            arg,
            before,
            after,
            payloads,
            ret,
            injected: false,
        };
        self.after_ioctl(&ioctl);
        Ok(ioctl)
    }

    fn decode_field(
        &self,
        budget: &mut u64,
        known: Option<usize>,
        slot: &Slot,
        field: &[u8],
        before: Option<&[u8]>,
    ) -> Result<Vec<u8>, String> {
        delta::decode(field, budget, |mode| match mode {
            MODE_ZEROS => Ok(&[]),
            MODE_BEFORE => before.ok_or_else(|| {
                "patched against `before`, which a `before` field cannot be".to_string()
            }),
            m if m >= MODE_HISTORY && usize::from(m - MODE_HISTORY) < DEPTH => {
                let k = usize::from(m - MODE_HISTORY);
                known
                    .and_then(|ix| self.history.state(ix).value(slot, k))
                    .ok_or_else(|| format!("refers to the value {k} calls back of that field, which the trace never defined"))
            }
            m => Err(format!("unknown patch mode {m}")),
        })
    }
}

fn kind_code(kind: &PayloadKind) -> i64 {
    match kind {
        PayloadKind::ExtControls => 0,
        PayloadKind::Planes => 1,
        PayloadKind::TopologyEntities => 2,
        PayloadKind::TopologyInterfaces => 3,
        PayloadKind::TopologyPads => 4,
        PayloadKind::TopologyLinks => 5,
        PayloadKind::LinksEnumPads => 6,
        PayloadKind::LinksEnumLinks => 7,
        PayloadKind::Control { index } => -1 - i64::from(*index),
        PayloadKind::Other(n) => 16 + i64::from(*n),
    }
}

fn kind_of(code: i128) -> Result<PayloadKind, String> {
    Ok(match code {
        0 => PayloadKind::ExtControls,
        1 => PayloadKind::Planes,
        2 => PayloadKind::TopologyEntities,
        3 => PayloadKind::TopologyInterfaces,
        4 => PayloadKind::TopologyPads,
        5 => PayloadKind::TopologyLinks,
        6 => PayloadKind::LinksEnumPads,
        7 => PayloadKind::LinksEnumLinks,
        c if c < 0 => PayloadKind::Control {
            index: u32::try_from(-1 - c)
                .map_err(|_| format!("control index {} out of range", -1 - c))?,
        },
        c if c >= 16 => PayloadKind::Other(
            u32::try_from(c - 16).map_err(|_| format!("payload kind {c} out of range"))?,
        ),
        c => return Err(format!("unknown payload kind {c}")),
    })
}

#[cfg(test)]
mod tests;
