//! What each record of a trace needs kept for it to replay: the dependency analysis behind
//! `vatrace cut` and `vatrace minimize`. One forward pass over the records follows fds through
//! the shared process model ([`crate::procs`]) and records, per record, the earlier records it
//! needs:
//! * any call on an fd: the records that made the fd (its open, the `MEDIA_IOC_REQUEST_ALLOC`
//!   of a request fd, the `VIDIOC_EXPBUF` of a dma-buf fd, every dup on the way) and the fork
//!   that gave its process (or thread) life;
//! * a request fd passed inside an argument (`S_EXT_CTRLS`, `QBUF` with `REQUEST_FD`): its alloc;
//! * a buffer call (`QUERYBUF`, `QBUF`, `DQBUF`, `EXPBUF`, `STREAMON`…): the `REQBUFS` or
//!   `CREATE_BUFS` that allocated its queue, which needs the `S_FMT`s set before it;
//!   a `DQBUF`: the `STREAMON`s of its device;
//! * an mmap of a device buffer: the last `QUERYBUF` that reported its offset; a munmap: its mmap;
//! * a poll: the fds it waits on; a `Bitstream`: its `QBUF`.
//!
//! Every need points to an earlier record, so [`Deps::close`] (drop whatever lost a need) is a
//! single forward pass, and [`Deps::add_needs`] (bring back whatever a kept record needs) a single
//! backward one.

use std::collections::HashMap;

use crate::ioctl::{
    create_bufs, expbuf, ext_ctrls, fmt, media, names, qbuf, reqbufs, request, streamon,
};
use crate::pool::args;
use crate::procs::{Procs, O_CLOEXEC};
use crate::record::Record;

/// How an fd came to be: the records that made it, first the one that created the object.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Obj {
    /// Records needed for the fd to exist in a replay (open or alloc or export, then dups).
    chain: Vec<usize>,
    /// The video device (context) the object belongs to: its open's record index.
    ctx: Option<usize>,
}

/// Per record, the earlier records it needs, and the device context it acts on.
#[derive(Debug, Clone, Default)]
pub struct Deps {
    needs: Vec<Vec<usize>>,
    ctx: Vec<Option<usize>>,
}

/// `V4L2_BUF_FLAG_REQUEST_FD`.
const BUF_FLAG_REQUEST_FD: u32 = 0x0080_0000;

impl Deps {
    /// Analyses `records` (a trace's records after its header, `End` included or not).
    pub fn of(records: &[Record]) -> Self {
        let mut d = Builder::default();
        for (i, r) in records.iter().enumerate() {
            d.record(i, r);
        }
        Deps {
            needs: d.needs,
            ctx: d.ctx,
        }
    }

    /// The records record `i` needs (earlier indices).
    pub fn needs(&self, i: usize) -> &[usize] {
        self.needs.get(i).map_or(&[], Vec::as_slice)
    }

    /// The video device context (its open's record index) record `i` acts on, if any.
    pub fn ctx(&self, i: usize) -> Option<usize> {
        self.ctx.get(i).copied().flatten()
    }

    /// Drops from `keep` every record one of whose needs is not kept (transitively).
    pub fn close(&self, keep: &mut [bool]) {
        for i in 0..keep.len() {
            if keep[i] && self.needs(i).iter().any(|&j| !keep[j]) {
                keep[i] = false;
            }
        }
    }

    /// Adds to `keep` every record a kept record needs (transitively).
    pub fn add_needs(&self, keep: &mut [bool]) {
        for i in (0..keep.len()).rev() {
            if keep[i] {
                for &j in self.needs(i) {
                    keep[j] = true;
                }
            }
        }
    }
}

#[derive(Default)]
struct Builder {
    needs: Vec<Vec<usize>>,
    ctx: Vec<Option<usize>>,
    procs: Procs<Obj>,
    /// The fork that made each process or thread.
    forks: HashMap<u32, usize>,
    /// Per (context, buffer type): the last successful S_FMT, and REQBUFS/CREATE_BUFS.
    formats: HashMap<(usize, u32), usize>,
    queues: HashMap<(usize, u32), usize>,
    /// Per context: its successful STREAMONs by buffer type.
    streamons: HashMap<(usize, u32), usize>,
    /// Per (context, mem offset): the buffer call that reported it.
    offsets: HashMap<(usize, u32), usize>,
    /// Per (pid, address): the mmap that made the mapping.
    maps: HashMap<(u32, u64), usize>,
    /// Per QBUF sequence number: its record.
    qbufs: HashMap<u64, usize>,
}

impl Builder {
    fn task(&self, pid: u32, tid: u32, needs: &mut Vec<usize>) {
        needs.extend(self.forks.get(&pid));
        if tid != pid {
            needs.extend(self.forks.get(&tid));
        }
    }

    fn fd(&self, pid: u32, fd: i32) -> Option<&Obj> {
        self.procs.get(pid, fd)
    }

    fn record(&mut self, i: usize, r: &Record) {
        let mut needs = Vec::new();
        let mut ctx = None;
        if let Some((pid, tid)) = r.task() {
            self.task(pid, tid, &mut needs);
        }
        match r {
            Record::Close(c) => {
                if let Some(o) = self.fd(c.pid, c.fd) {
                    needs.extend(&o.chain);
                }
            }
            Record::Dup(d) => {
                if let Some(o) = self.fd(d.pid, d.old) {
                    needs.extend(&o.chain);
                }
            }
            Record::Mmap(m) => {
                if let Some(o) = self.fd(m.pid, m.fd).cloned() {
                    needs.extend(&o.chain);
                    ctx = o.ctx;
                    if let Some(c) = o.ctx {
                        if let Ok(off) = u32::try_from(m.offset) {
                            needs.extend(self.offsets.get(&(c, off)));
                        }
                    }
                }
                if m.errno().is_none() {
                    self.maps.insert((m.pid, m.ret), i);
                }
            }
            Record::Munmap(m) => {
                needs.extend(self.maps.get(&(m.pid, m.addr)));
            }
            Record::Poll(p) => {
                for f in &p.fds {
                    if let Some(o) = self.fd(p.pid, f.fd) {
                        needs.extend(&o.chain);
                    }
                }
            }
            Record::Bitstream(b) => {
                needs.extend(self.qbufs.get(&b.ioctl_seq));
            }
            Record::Ioctl(io) => {
                let obj = self.fd(io.pid, io.fd).cloned();
                if let Some(o) = &obj {
                    needs.extend(&o.chain);
                    ctx = o.ctx;
                }
                self.ioctl(i, io, ctx, &mut needs);
            }
            _ => {}
        }
        // What the record did to fd tables (close, dup, fork, exec, exit, munmap, an open
        // replacing a number), then the new fds it made.
        let _ = self.procs.follow(r);
        match r {
            Record::Fork(f) => {
                self.forks.insert(f.child, i);
            }
            Record::Open(o) if (0..=i32::MAX as i64).contains(&o.ret) => {
                let obj = Obj {
                    chain: vec![i],
                    ctx: Some(i),
                };
                self.procs
                    .insert(o.pid, o.ret as i32, obj, o.flags & O_CLOEXEC != 0);
            }
            Record::Dup(d) if d.ret >= 0 && d.ret != d.old as i64 => {
                if let Some(o) = self.procs.get_mut(d.pid, d.ret as i32) {
                    o.chain.push(i);
                }
            }
            Record::Ioctl(io) if io.ret >= 0 => {
                let new = match io.request {
                    media::MEDIA_IOC_REQUEST_ALLOC => args::int_after(io).map(|fd| (fd, None)),
                    expbuf::VIDIOC_EXPBUF => args::expbuf(io).map(|(_, _, _, fd)| (fd, ctx)),
                    _ => None,
                };
                if let Some((fd, ctx)) = new.filter(|(fd, _)| *fd >= 0) {
                    let obj = Obj {
                        chain: needs.iter().copied().chain([i]).collect(),
                        ctx,
                    };
                    self.procs.insert(io.pid, fd, obj, false);
                }
            }
            _ => {}
        }
        needs.sort_unstable();
        needs.dedup();
        needs.retain(|&j| j < i);
        self.needs.push(needs);
        self.ctx.push(ctx);
    }

    fn ioctl(
        &mut self,
        i: usize,
        io: &crate::record::Ioctl,
        ctx: Option<usize>,
        needs: &mut Vec<usize>,
    ) {
        let ok = io.ret >= 0;
        // A request fd inside the argument.
        let req_fd = match io.request {
            ext_ctrls::VIDIOC_S_EXT_CTRLS
            | ext_ctrls::VIDIOC_G_EXT_CTRLS
            | ext_ctrls::VIDIOC_TRY_EXT_CTRLS => args::ext_ctrls(io)
                .filter(|(which, _, _)| *which == names::CTRL_WHICH_REQUEST_VAL)
                .map(|(_, _, fd)| fd),
            qbuf::VIDIOC_QBUF | qbuf::VIDIOC_PREPARE_BUF => args::buffer_before(io)
                .filter(|b| b.flags & BUF_FLAG_REQUEST_FD != 0)
                .map(|b| b.request_fd),
            _ => None,
        };
        if let Some(o) = req_fd.and_then(|fd| self.fd(io.pid, fd)) {
            needs.extend(o.chain.clone());
        }
        if io.request == request::MEDIA_REQUEST_IOC_QUEUE {
            return;
        }
        let Some(c) = ctx else { return };
        // The buffer type the call is about.
        let buf_type = match io.request {
            qbuf::VIDIOC_QBUF
            | qbuf::VIDIOC_DQBUF
            | qbuf::VIDIOC_QUERYBUF
            | qbuf::VIDIOC_PREPARE_BUF => args::buffer_after(io).map(|b| b.buf_type),
            expbuf::VIDIOC_EXPBUF => args::expbuf(io).map(|e| e.0),
            streamon::VIDIOC_STREAMON | streamon::VIDIOC_STREAMOFF => {
                args::int_before(io).map(|t| t as u32)
            }
            reqbufs::VIDIOC_REQBUFS => args::reqbufs(io).map(|((_, t, _), _)| t),
            create_bufs::VIDIOC_CREATE_BUFS => args::create_bufs_passed(io).map(|c| c.3),
            _ => None,
        };
        match io.request {
            fmt::VIDIOC_S_FMT => {
                if let (true, Some((t, ..))) = (ok, args::format_passed(io)) {
                    self.formats.insert((c, t), i);
                }
            }
            reqbufs::VIDIOC_REQBUFS | create_bufs::VIDIOC_CREATE_BUFS => {
                let t = buf_type.unwrap_or(0);
                // The formats in force: this queue's, and for CAPTURE the OUTPUT one it follows.
                needs.extend(
                    self.formats
                        .iter()
                        .filter(|((cc, _), _)| *cc == c)
                        .map(|(_, &f)| f),
                );
                let asked = args::reqbufs(io).map_or(1, |((n, _, _), _)| n);
                if ok && (io.request == create_bufs::VIDIOC_CREATE_BUFS || asked > 0) {
                    self.queues.insert((c, t), i);
                } else if ok {
                    self.queues.remove(&(c, t));
                    self.streamons.remove(&(c, t));
                }
            }
            _ => {
                if let Some(t) = buf_type {
                    needs.extend(self.queues.get(&(c, t)));
                }
            }
        }
        match io.request {
            qbuf::VIDIOC_DQBUF => {
                needs.extend(
                    self.streamons
                        .iter()
                        .filter(|((cc, _), _)| *cc == c)
                        .map(|(_, &s)| s),
                );
            }
            streamon::VIDIOC_STREAMON if ok => {
                self.streamons.insert((c, buf_type.unwrap_or(0)), i);
            }
            streamon::VIDIOC_STREAMOFF if ok => {
                self.streamons.remove(&(c, buf_type.unwrap_or(0)));
            }
            _ => {}
        }
        if ok && io.request == qbuf::VIDIOC_QUERYBUF {
            let mut offs = args::plane_offsets(io);
            if let Some(b) = args::buffer_after(io).filter(|b| b.mem_offset != 0) {
                offs.push(b.mem_offset);
            }
            for off in offs {
                self.offsets.insert((c, off), i);
            }
        }
        if io.request == qbuf::VIDIOC_QBUF {
            self.qbufs.insert(io.seq, i);
        }
    }
}
