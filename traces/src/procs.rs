//! The one model of the traced processes: per process (keyed by tgid, so its threads share it)
//! an fd table and its mappings, each fd and mapping carrying whatever its user attaches (`T`,
//! `M`), followed through the kernel's rules for open, close, dup, fork, exec and exit.
//!
//! The pool model, the dump's fd names, replay and the tracer's converter all keep "what is fd 12
//! of pid 400" the same way through [`Procs`], so they cannot disagree on what a dup, a fork or
//! an exit did. Users attach their own values (`Procs::insert` for an open, a request alloc, an
//! export; `Procs::map` for an mmap) and call [`Procs::follow`] with every record; the model
//! applies the rules and hands back in [`Released`] what the record let go of, for the user to
//! release (reference counts, kernel fds).
//!
//! The rules, as the kernel applies them:
//! * **threads** share their process's table; a new thread (`Fork` with `is_thread`) joins it;
//! * **fork** gives the child a copy of the parent's fds (with their close-on-exec flags) and of
//!   its mappings (shared device mappings are inherited, and hold their buffers);
//! * **dup** (dup/dup2/dup3/`F_DUPFD`) makes the new fd refer to what the old one does, replacing
//!   what the new number held; a dup of an fd the model does not know makes the new one unknown;
//!   `dup2(fd, fd)` changes nothing. The new fd is close-on-exec as the `Dup` record's `cloexec`
//!   says (dup3 `O_CLOEXEC`, `F_DUPFD_CLOEXEC`; traces before format 2.1 lack it: not);
//! * **close** releases the fd whatever the call returned, except `EBADF` (Linux frees the number
//!   even when close reports `EINTR` or `EIO`);
//! * **exec** closes the close-on-exec fds and unmaps everything;
//! * **exit** of a thread ends the process only when it was the last thread. The kernel tells
//!   the tracer (`group_dead` of `sched_process_exit`, in kernels that have it), which passes it
//!   to [`Procs::exit`] and writes it in the `Exit` record (`group_dead`, format 2.1), which
//!   [`Procs::follow`] obeys. When the kernel does not say (or an older trace), the leader's exit
//!   (`pid == tid`) ends the process: the rule the tracer applies then, after which it traces
//!   nothing more of the process.
//!   (Counting live threads instead fails on real traces: the test-bed kernel, 6.12, has no
//!   `group_dead`, so the exits of threads outliving their leader are not in its traces.)
//!
//! `close_range`, `fcntl(F_SETFD)` and `CLONE_FILES` sharing between processes are not in traces.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::record::{errno_of, Record};

/// `O_CLOEXEC` in open flags (the generic value, used by x86, Arm and RISC-V).
pub const O_CLOEXEC: u32 = 0o2_000_000;

/// `EBADF`: the one errno for which close leaves the fd table alone.
use crate::dump::EBADF;

/// One fd of a process: what its user attached and whether exec closes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fd<T> {
    pub value: T,
    pub cloexec: bool,
}

/// One traced process: its fd table and its mappings (by start address).
#[derive(Debug, Clone)]
pub struct Process<T, M = ()> {
    fds: BTreeMap<i32, Fd<T>>,
    maps: BTreeMap<u64, M>,
}

impl<T, M> Process<T, M> {
    fn new() -> Self {
        Process {
            fds: BTreeMap::new(),
            maps: BTreeMap::new(),
        }
    }

    /// Its fds, in number order.
    pub fn fds(&self) -> impl Iterator<Item = (i32, &Fd<T>)> {
        self.fds.iter().map(|(fd, f)| (*fd, f))
    }

    /// Its mappings, by start address.
    pub fn maps(&self) -> impl Iterator<Item = (u64, &M)> {
        self.maps.iter().map(|(a, m)| (*a, m))
    }

    fn into_released(self, pid: u32, exited: bool) -> Released<T, M> {
        Released {
            pid,
            exited,
            fds: self.fds.into_iter().map(|(fd, f)| (fd, f.value)).collect(),
            maps: self.maps.into_iter().collect(),
        }
    }
}

/// What one step let go of, for the user to release: fds no longer referring to their value
/// (closed, replaced, closed on exec, dropped with their process) and mappings gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released<T, M = ()> {
    /// The process the fds and mappings belonged to.
    pub pid: u32,
    /// Whether the process itself ended (its last thread exited, or its pid was reused).
    pub exited: bool,
    /// `(fd, value)` in fd order.
    pub fds: Vec<(i32, T)>,
    /// `(start address, value)` in address order.
    pub maps: Vec<(u64, M)>,
}

impl<T, M> Released<T, M> {
    fn none(pid: u32) -> Self {
        Released {
            pid,
            exited: false,
            fds: Vec::new(),
            maps: Vec::new(),
        }
    }

    /// What one fd of `pid` released: its old `value`, if any (for a user's own replacement).
    pub fn of(pid: u32, fd: i32, value: Option<T>) -> Self {
        let mut r = Released::none(pid);
        r.fds.extend(value.map(|v| (fd, v)));
        r
    }

    /// Nothing released and the process did not end.
    pub fn is_empty(&self) -> bool {
        !self.exited && self.fds.is_empty() && self.maps.is_empty()
    }
}

/// The process table: every traced process by tgid.
#[derive(Debug, Clone)]
pub struct Procs<T, M = ()> {
    procs: FxHashMap<u32, Process<T, M>>,
}

impl<T, M> Default for Procs<T, M> {
    fn default() -> Self {
        Procs {
            procs: FxHashMap::default(),
        }
    }
}

impl<T: Clone, M: Clone> Procs<T, M> {
    /// An empty table.
    pub fn new() -> Self {
        Procs::default()
    }

    /// Follows one record's effect on processes and fd tables: close, dup, fork, exec, exit and
    /// munmap, and a successful open, which replaces whatever the returned fd number held.
    /// Values for new fds and mappings are the user's to attach afterwards ([`Procs::insert`],
    /// [`Procs::map`]).
    pub fn follow(&mut self, record: &Record) -> Released<T, M> {
        match record {
            Record::Fork(f) if f.is_thread => Released::none(f.parent_pid),
            Record::Fork(f) => self.fork(f.parent_pid, f.child),
            Record::Exit(e) => self.exit(e.pid, e.tid, e.group_dead),
            Record::Exec(e) => self.exec(e.pid),
            Record::Open(o) => match fd_of(o.ret) {
                Some(fd) => Released::of(o.pid, fd, self.close(o.pid, fd)),
                None => Released::none(o.pid),
            },
            Record::Close(c) if errno_of(c.ret) != Some(EBADF) => {
                Released::of(c.pid, c.fd, self.close(c.pid, c.fd))
            }
            Record::Dup(d) => match fd_of(d.ret) {
                Some(new) => Released::of(d.pid, new, self.dup(d.pid, d.old, new, d.cloexec)),
                None => Released::none(d.pid),
            },
            Record::Munmap(m) if m.ret == 0 => {
                let mut r = Released::none(m.pid);
                r.maps = self.unmap(m.pid, m.addr, m.len);
                r
            }
            _ => Released::none(record.task().map_or(0, |(pid, _)| pid)),
        }
    }

    /// Binds `fd` of `pid` to `value` (an open, a request alloc, an export); returns what the
    /// number referred to before (a close the trace did not show).
    pub fn insert(&mut self, pid: u32, fd: i32, value: T, cloexec: bool) -> Option<T> {
        let p = self.procs.entry(pid).or_insert_with(|| Process::new());
        p.fds.insert(fd, Fd { value, cloexec }).map(|f| f.value)
    }

    /// Removes `fd` of `pid` (closed, or reused for something nobody tracks); returns its value.
    pub fn close(&mut self, pid: u32, fd: i32) -> Option<T> {
        self.procs.get_mut(&pid)?.fds.remove(&fd).map(|f| f.value)
    }

    /// `new = dup(old)`: `new` refers to what `old` does (or to nothing known if `old` is
    /// unknown), with the given close-on-exec flag; returns what `new` referred to before.
    pub fn dup(&mut self, pid: u32, old: i32, new: i32, cloexec: bool) -> Option<T> {
        if old == new {
            return None;
        }
        let p = self.procs.get_mut(&pid)?;
        match p.fds.get(&old).map(|f| f.value.clone()) {
            Some(value) => p.fds.insert(new, Fd { value, cloexec }).map(|f| f.value),
            None => p.fds.remove(&new).map(|f| f.value),
        }
    }

    /// A new process `child` forked from `parent`: a copy of the parent's fds and mappings.
    /// Returns what an earlier process with the same pid still held (its exit was missed).
    pub fn fork(&mut self, parent: u32, child: u32) -> Released<T, M> {
        let p = match self.procs.get(&parent) {
            Some(p) => p.clone(),
            None => Process::new(),
        };
        match self.procs.insert(child, p) {
            Some(old) => old.into_released(child, true),
            None => Released::none(child),
        }
    }

    /// A successful exec in `pid`: close-on-exec fds closed, every mapping gone.
    pub fn exec(&mut self, pid: u32) -> Released<T, M> {
        let mut r = Released::none(pid);
        let Some(p) = self.procs.get_mut(&pid) else {
            return r;
        };
        let closing: Vec<i32> = p
            .fds
            .iter()
            .filter(|(_, f)| f.cloexec)
            .map(|(fd, _)| *fd)
            .collect();
        for fd in closing {
            r.fds.extend(p.fds.remove(&fd).map(|f| (fd, f.value)));
        }
        r.maps = std::mem::take(&mut p.maps).into_iter().collect();
        r
    }

    /// Thread `tid` of `pid` exited. `group_dead` is the kernel's word on whether it was the
    /// last thread; when unknown, the leader's exit (`tid == pid`) ends the process. When the
    /// process ends, everything it held comes back with `exited` set.
    pub fn exit(&mut self, pid: u32, tid: u32, group_dead: Option<bool>) -> Released<T, M> {
        if !group_dead.unwrap_or(tid == pid) {
            return Released::none(pid);
        }
        match self.procs.remove(&pid) {
            Some(p) => p.into_released(pid, true),
            None => Released::none(pid),
        }
    }

    /// Records a mapping at `addr` in `pid`; returns the one it replaced at the same address.
    pub fn map(&mut self, pid: u32, addr: u64, value: M) -> Option<M> {
        self.procs
            .entry(pid)
            .or_insert_with(|| Process::new())
            .maps
            .insert(addr, value)
    }

    /// Removes the mappings of `pid` starting in `[addr, addr + len)` (at least `addr` itself).
    pub fn unmap(&mut self, pid: u32, addr: u64, len: u64) -> Vec<(u64, M)> {
        let Some(p) = self.procs.get_mut(&pid) else {
            return Vec::new();
        };
        let end = addr.saturating_add(len.max(1));
        let gone: Vec<u64> = p.maps.range(addr..end).map(|(a, _)| *a).collect();
        gone.into_iter()
            .filter_map(|a| p.maps.remove(&a).map(|m| (a, m)))
            .collect()
    }

    /// Removes every process, returning what each held (a replay's teardown).
    pub fn drain(&mut self) -> Vec<Released<T, M>> {
        let mut pids: Vec<u32> = self.procs.keys().copied().collect();
        pids.sort_unstable();
        pids.into_iter()
            .filter_map(|pid| self.procs.remove(&pid).map(|p| p.into_released(pid, true)))
            .collect()
    }
}

impl<T, M> Procs<T, M> {
    /// What `fd` of `pid` refers to.
    pub fn get(&self, pid: u32, fd: i32) -> Option<&T> {
        self.fd(pid, fd).map(|f| &f.value)
    }

    /// What `fd` of `pid` refers to, to change it in place.
    pub fn get_mut(&mut self, pid: u32, fd: i32) -> Option<&mut T> {
        self.procs
            .get_mut(&pid)?
            .fds
            .get_mut(&fd)
            .map(|f| &mut f.value)
    }

    /// `fd` of `pid` with its close-on-exec flag.
    pub fn fd(&self, pid: u32, fd: i32) -> Option<&Fd<T>> {
        self.procs.get(&pid)?.fds.get(&fd)
    }

    /// The fds of `pid`, in number order.
    pub fn fds(&self, pid: u32) -> impl Iterator<Item = (i32, &T)> {
        self.procs
            .get(&pid)
            .into_iter()
            .flat_map(|p| p.fds.iter().map(|(fd, f)| (*fd, &f.value)))
    }

    /// The mapping of `pid` starting at `addr`.
    pub fn mapping(&self, pid: u32, addr: u64) -> Option<&M> {
        self.procs.get(&pid)?.maps.get(&addr)
    }

    /// One process.
    pub fn process(&self, pid: u32) -> Option<&Process<T, M>> {
        self.procs.get(&pid)
    }

    /// Every process with its pid, in no particular order.
    pub fn processes(&self) -> impl Iterator<Item = (u32, &Process<T, M>)> {
        self.procs.iter().map(|(pid, p)| (*pid, p))
    }
}

/// The fd a syscall returned, if it succeeded.
fn fd_of(ret: i64) -> Option<i32> {
    (0..=i32::MAX as i64).contains(&ret).then_some(ret as i32)
}

#[cfg(test)]
mod tests;
