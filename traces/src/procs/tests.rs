//! Unit tests of the process/fd model on hand-built records.

use super::*;
use crate::record::{Close, Dup, Exec, Exit, Fork, Mmap, Munmap, Open};

const PID: u32 = 100;

/// A table whose fds carry the path they were opened with, as a user would attach.
type Names = Procs<String, &'static str>;

/// Follows an open of `path` returning `ret`, attaching the path as the user does.
fn open(
    p: &mut Names,
    pid: u32,
    path: &str,
    flags: u32,
    ret: i64,
) -> Released<String, &'static str> {
    let r = Record::Open(Open {
        ts: 0,
        pid,
        tid: pid,
        dirfd: None,
        path: path.into(),
        flags,
        mode: 0,
        ret,
    });
    let released = p.follow(&r);
    if ret >= 0 {
        assert_eq!(
            p.insert(pid, ret as i32, path.into(), flags & O_CLOEXEC != 0),
            None
        );
    }
    released
}

fn close(pid: u32, fd: i32, ret: i64) -> Record {
    Record::Close(Close {
        ts: 0,
        pid,
        tid: pid,
        fd,
        ret,
    })
}

fn dup(pid: u32, old: i32, new: Option<i32>, ret: i64) -> Record {
    Record::Dup(Dup {
        ts: 0,
        pid,
        tid: pid,
        old,
        new,
        ret,
        cloexec: false,
    })
}

fn fork(parent: u32, tid: u32, child: u32, is_thread: bool) -> Record {
    Record::Fork(Fork {
        ts: 0,
        parent_pid: parent,
        parent_tid: tid,
        child,
        is_thread,
    })
}

fn exit(pid: u32, tid: u32) -> Record {
    Record::Exit(Exit {
        ts: 0,
        pid,
        tid,
        code: 0,
        group_dead: None,
    })
}

fn exec(pid: u32) -> Record {
    Record::Exec(Exec {
        ts: 0,
        pid,
        tid: pid,
        path: "/bin/true".into(),
        argv: vec![],
    })
}

fn name(p: &Names, pid: u32, fd: i32) -> Option<&str> {
    p.get(pid, fd).map(String::as_str)
}

fn released_fds<'a>(r: &'a Released<String, &'static str>) -> Vec<(i32, &'a str)> {
    r.fds.iter().map(|(fd, v)| (*fd, v.as_str())).collect()
}

#[test]
fn open_binds_and_a_reused_number_releases_the_old_value() {
    let mut p = Names::new();
    assert!(open(&mut p, PID, "/dev/video0", 0, 3).is_empty());
    assert_eq!(name(&p, PID, 3), Some("/dev/video0"));
    assert!(!p.fd(PID, 3).unwrap().cloexec);
    // The trace missed the close: the open that got number 3 again releases what it was.
    let r = open(&mut p, PID, "/dev/media0", O_CLOEXEC, 3);
    assert_eq!(released_fds(&r), vec![(3, "/dev/video0")]);
    assert_eq!(name(&p, PID, 3), Some("/dev/media0"));
    assert!(p.fd(PID, 3).unwrap().cloexec);
    // A failed open changes nothing.
    assert!(open(&mut p, PID, "/dev/video1", 0, -2).is_empty());
    assert_eq!(name(&p, PID, 3), Some("/dev/media0"));
}

#[test]
fn dup_and_dup2_share_the_value_and_replace_the_target() {
    let mut p = Names::new();
    open(&mut p, PID, "/dev/video0", O_CLOEXEC, 3);
    open(&mut p, PID, "/dev/media0", 0, 4);
    // dup(3) = 5: same value, close-on-exec cleared as the kernel does.
    assert!(p.follow(&dup(PID, 3, None, 5)).is_empty());
    assert_eq!(name(&p, PID, 5), Some("/dev/video0"));
    assert!(!p.fd(PID, 5).unwrap().cloexec);
    // dup2(3, 4): 4 was the media node, now the video node.
    let r = p.follow(&dup(PID, 3, Some(4), 4));
    assert_eq!(released_fds(&r), vec![(4, "/dev/media0")]);
    assert_eq!(name(&p, PID, 4), Some("/dev/video0"));
    // dup2(3, 3) changes nothing.
    assert!(p.follow(&dup(PID, 3, Some(3), 3)).is_empty());
    assert_eq!(name(&p, PID, 3), Some("/dev/video0"));
    assert!(p.fd(PID, 3).unwrap().cloexec);
    // A failed dup2 leaves the target alone.
    assert!(p.follow(&dup(PID, 9, Some(4), -9)).is_empty());
    assert_eq!(name(&p, PID, 4), Some("/dev/video0"));
    // dup2 of an fd nobody knows makes the target unknown (its old value released).
    let r = p.follow(&dup(PID, 9, Some(4), 4));
    assert_eq!(released_fds(&r), vec![(4, "/dev/video0")]);
    assert_eq!(name(&p, PID, 4), None);
}

#[test]
fn fcntl_dupfd_takes_the_first_free_number_from_the_bound() {
    let mut p = Names::new();
    open(&mut p, PID, "/dev/video0", 0, 3);
    // fcntl(3, F_DUPFD, 10) returned 10; F_DUPFD_CLOEXEC through the primitive.
    p.follow(&dup(PID, 3, Some(10), 10));
    assert_eq!(name(&p, PID, 10), Some("/dev/video0"));
    assert_eq!(p.dup(PID, 3, 11, true), None);
    assert!(p.fd(PID, 11).unwrap().cloexec);
    let fds: Vec<i32> = p.fds(PID).map(|(fd, _)| fd).collect();
    assert_eq!(fds, vec![3, 10, 11]);
}

#[test]
fn close_releases_even_on_eintr_but_not_on_ebadf() {
    let mut p = Names::new();
    open(&mut p, PID, "/dev/video0", 0, 3);
    open(&mut p, PID, "/dev/video1", 0, 4);
    open(&mut p, PID, "/dev/media0", 0, 5);
    assert_eq!(
        released_fds(&p.follow(&close(PID, 3, 0))),
        vec![(3, "/dev/video0")]
    );
    assert_eq!(name(&p, PID, 3), None);
    // Linux frees the number even when close reports EINTR (or EIO).
    assert_eq!(
        released_fds(&p.follow(&close(PID, 4, -4))),
        vec![(4, "/dev/video1")]
    );
    // EBADF: the fd was not open, whatever the model thought; nothing to release here.
    assert!(p.follow(&close(PID, 5, -9)).is_empty());
    assert_eq!(name(&p, PID, 5), Some("/dev/media0"));
    // Closing an fd of an unknown process or number is harmless.
    assert!(p.follow(&close(PID + 1, 5, 0)).is_empty());
}

#[test]
fn fork_copies_the_table_and_the_copies_live_apart() {
    let mut p = Names::new();
    open(&mut p, PID, "/dev/video0", O_CLOEXEC, 3);
    p.map(PID, 0x1000, "buf0");
    assert!(p.follow(&fork(PID, PID, 200, false)).is_empty());
    assert_eq!(name(&p, 200, 3), Some("/dev/video0"));
    assert!(p.fd(200, 3).unwrap().cloexec, "the flag is inherited");
    assert_eq!(p.mapping(200, 0x1000), Some(&"buf0"));
    // Closing in the parent leaves the child's copy.
    p.follow(&close(PID, 3, 0));
    assert_eq!(name(&p, PID, 3), None);
    assert_eq!(name(&p, 200, 3), Some("/dev/video0"));
    // A pid reused by a later fork: the old process's leftovers come back.
    let r = p.follow(&fork(PID, PID, 200, false));
    assert!(r.exited);
    assert_eq!(released_fds(&r), vec![(3, "/dev/video0")]);
    assert_eq!(r.maps, vec![(0x1000, "buf0")]);
    assert_eq!(name(&p, 200, 3), None);
}

#[test]
fn threads_share_the_table() {
    let mut p = Names::new();
    open(&mut p, PID, "/dev/video0", 0, 3);
    p.follow(&fork(PID, PID, PID + 1, true));
    // The thread's dup is seen by the leader: one table per tgid.
    let d = Record::Dup(Dup {
        ts: 0,
        pid: PID,
        tid: PID + 1,
        old: 3,
        new: None,
        ret: 7,
        cloexec: false,
    });
    p.follow(&d);
    assert_eq!(name(&p, PID, 7), Some("/dev/video0"));
    assert!(p.process(PID + 1).is_none(), "a thread is no process");
}

#[test]
fn a_thread_exit_keeps_the_process_and_the_leaders_ends_it() {
    let mut p = Names::new();
    open(&mut p, PID, "/dev/video0", 0, 3);
    p.map(PID, 0x1000, "buf0");
    p.follow(&fork(PID, PID, PID + 1, true));
    // A worker thread exits: nothing released.
    assert!(p.follow(&exit(PID, PID + 1)).is_empty());
    assert_eq!(name(&p, PID, 3), Some("/dev/video0"));
    // The leader's exit ends the process (the record does not say group_dead; the tracer traces
    // nothing more of a process after its leader's exit then) and returns what it held.
    let r = p.follow(&exit(PID, PID));
    assert!(r.exited);
    assert_eq!(released_fds(&r), vec![(3, "/dev/video0")]);
    assert_eq!(r.maps, vec![(0x1000, "buf0")]);
    assert!(p.process(PID).is_none());
    // An exit of a process nobody knows is harmless.
    assert!(p.follow(&exit(PID + 7, PID + 7)).is_empty());
}

#[test]
fn group_dead_when_known_decides() {
    let mut p = Names::new();
    open(&mut p, PID, "/dev/video0", 0, 3);
    // The leader exits first (pthread_exit in main) and the kernel says others live on.
    assert!(p.exit(PID, PID, Some(false)).is_empty());
    assert_eq!(name(&p, PID, 3), Some("/dev/video0"));
    // The last thread, not the leader, ends the group.
    let r = p.exit(PID, PID + 3, Some(true));
    assert!(r.exited);
    assert_eq!(released_fds(&r), vec![(3, "/dev/video0")]);
}

#[test]
fn exec_closes_cloexec_fds_and_unmaps_everything() {
    let mut p = Names::new();
    open(&mut p, PID, "/dev/video0", O_CLOEXEC, 3);
    open(&mut p, PID, "/dev/media0", 0, 4);
    p.insert(PID, 5, "request".into(), true);
    p.map(PID, 0x1000, "buf0");
    p.follow(&fork(PID, PID, PID + 1, true));
    let r = p.follow(&exec(PID));
    assert!(!r.exited);
    assert_eq!(released_fds(&r), vec![(3, "/dev/video0"), (5, "request")]);
    assert_eq!(r.maps, vec![(0x1000, "buf0")]);
    assert_eq!(
        name(&p, PID, 4),
        Some("/dev/media0"),
        "no close-on-exec: kept"
    );
    assert!(p.follow(&exit(PID, PID)).exited);
}

#[test]
fn fork_then_exec_in_the_child_leaves_the_parent_alone() {
    let mut p = Names::new();
    open(&mut p, PID, "/dev/video0", O_CLOEXEC, 3);
    p.follow(&fork(PID, PID, 200, false));
    let r = p.follow(&exec(200));
    assert_eq!(released_fds(&r), vec![(3, "/dev/video0")]);
    assert_eq!(name(&p, PID, 3), Some("/dev/video0"));
    assert_eq!(name(&p, 200, 3), None);
}

#[test]
fn munmap_removes_the_mappings_in_its_range() {
    let mut p = Names::new();
    let mmap = |addr| {
        Record::Mmap(Mmap {
            ts: 0,
            pid: PID,
            tid: PID,
            fd: 3,
            addr: 0,
            len: 0x1000,
            prot: 3,
            flags: 1,
            offset: 0,
            ret: addr,
        })
    };
    for (addr, v) in [(0x1000, "a"), (0x2000, "b"), (0x5000, "c")] {
        assert!(p.follow(&mmap(addr)).is_empty());
        assert_eq!(p.map(PID, addr, v), None);
    }
    let unmap = |addr, len, ret| {
        Record::Munmap(Munmap {
            ts: 0,
            pid: PID,
            tid: PID,
            addr,
            len,
            ret,
        })
    };
    assert!(
        p.follow(&unmap(0x1000, 0x2000, -22)).maps.is_empty(),
        "a failed munmap"
    );
    assert_eq!(
        p.follow(&unmap(0x1000, 0x2000, 0)).maps,
        vec![(0x1000, "a"), (0x2000, "b")]
    );
    assert_eq!(p.mapping(PID, 0x5000), Some(&"c"));
}

#[test]
fn drain_returns_every_process() {
    let mut p = Names::new();
    open(&mut p, PID, "/dev/video0", 0, 3);
    p.follow(&fork(PID, PID, 200, false));
    let all = p.drain();
    assert_eq!(
        all.iter().map(|r| r.pid).collect::<Vec<_>>(),
        vec![PID, 200]
    );
    assert!(all.iter().all(|r| r.exited && r.fds.len() == 1));
    assert!(p.processes().next().is_none());
}

#[test]
fn a_cloexec_dup_record_is_closed_by_exec_and_a_plain_one_kept() {
    let mut p = Names::new();
    open(&mut p, PID, "/dev/video0", 0, 3);
    let mut d = dup(PID, 3, Some(50), 50);
    if let Record::Dup(x) = &mut d {
        x.cloexec = true;
    }
    p.follow(&d);
    p.follow(&dup(PID, 3, Some(70), 70));
    assert!(p.fd(PID, 50).unwrap().cloexec);
    assert!(!p.fd(PID, 70).unwrap().cloexec);
    let r = p.follow(&exec(PID));
    assert_eq!(released_fds(&r), vec![(50, "/dev/video0")]);
    assert_eq!(name(&p, PID, 70), Some("/dev/video0"));
    assert_eq!(name(&p, PID, 3), Some("/dev/video0"));
}

#[test]
fn an_exit_record_with_group_dead_is_obeyed() {
    let exit_gd = |tid, gd| {
        let mut e = exit(PID, tid);
        if let Record::Exit(x) = &mut e {
            x.group_dead = Some(gd);
        }
        e
    };
    let mut p = Names::new();
    open(&mut p, PID, "/dev/video0", 0, 3);
    // The leader's exit that the kernel says is not the last thread's keeps the process.
    assert!(p.follow(&exit_gd(PID, false)).is_empty());
    assert_eq!(name(&p, PID, 3), Some("/dev/video0"));
    // A non-leader's exit the kernel says was the last one ends it.
    let r = p.follow(&exit_gd(PID + 3, true));
    assert!(r.exited);
    assert_eq!(released_fds(&r), vec![(3, "/dev/video0")]);
}
