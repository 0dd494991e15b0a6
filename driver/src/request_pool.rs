//! The OUTPUT request pool: N slots, each bound 1:1 to one OUTPUT buffer and one media request
//! fd allocated once and REINIT'd between uses (never re-allocated per frame: the kernel would
//! hand back the same fd number and confuse the pool).
//!
//! Any failure while a slot is synced (poll, DQBUF, REINIT) ends in [`RequestPool::force_release`]:
//! REINIT; if that fails, close the fd and allocate a new one; if that fails too, the slot is
//! marked dead and skipped. The pool therefore never starves on errors.
//!
//! Pool transitions call the `#[no_mangle]` functions `v4l2_request_slot_*`: stable symbols for
//! uprobes (the tracer attaches to them). They do nothing else.

use std::fs::File;
use std::os::fd::AsRawFd;

use v4l2r::ioctl::Request;

use crate::ioctl::{self, Mapping};

/// The few calls the pool makes on the media device: implemented by the media device's
/// [`File`] (MEDIA_IOC_REQUEST_ALLOC, MEDIA_REQUEST_IOC_REINIT) and by the host tests' fake.
pub trait RequestDevice {
    type Request: AsRawFd;
    fn alloc(&self) -> ioctl::Result<Self::Request>;
    fn reinit(&self, r: &Self::Request) -> ioctl::Result<()>;
}

impl RequestDevice for File {
    type Request = Request;
    fn alloc(&self) -> ioctl::Result<Request> {
        ioctl::request_alloc(self)
    }
    fn reinit(&self, r: &Request) -> ioctl::Result<()> {
        ioctl::request_reinit(r)
    }
}

/// Where a slot is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotState {
    /// Ready for [`RequestPool::acquire`] (once its OUTPUT buffer is back, see `out_queued`).
    Free,
    /// Acquired: being filled, or queued to the kernel.
    Busy,
    /// Lost its request fd for good: skipped.
    Dead,
}

pub struct Slot<R = Request> {
    pub state: SlotState,
    pub request: Option<R>,
    /// OUTPUT buffer index (== slot index).
    pub buffer: u32,
    pub map: Mapping,
    /// Bytes of bitstream written for the current use.
    pub used: usize,
    /// The OUTPUT buffer is owned by the kernel (queued and not dequeued yet).
    pub out_queued: bool,
    /// The request was queued and not yet seen completing.
    pub in_flight: bool,
    /// CAPTURE buffer this use decodes into.
    pub capture: u32,
    /// The request holds the CAPTURE buffer for a later request (HOLD_CAPTURE_BUF): its
    /// completion does not give the CAPTURE buffer back.
    pub hold: bool,
    /// Submission order, to sync the oldest first.
    pub seq: u64,
}

impl<R: AsRawFd> Slot<R> {
    pub fn request_fd(&self) -> i32 {
        self.request.as_ref().map_or(-1, |r| r.as_raw_fd())
    }
}

/// Outcome codes passed to `v4l2_request_slot_force_release`.
pub const FORCE_REINIT_OK: i32 = 0;
pub const FORCE_REALLOCATED: i32 = 1;
pub const FORCE_DEAD: i32 = 2;

#[no_mangle]
#[inline(never)]
pub extern "C" fn v4l2_request_slot_acquire(slot: u32, request_fd: i32) {
    // A distinct tag per function: identical bodies would be folded into one address, and a
    // uprobe on one would fire for the other.
    std::hint::black_box((0xa1u32, slot, request_fd));
}

#[no_mangle]
#[inline(never)]
pub extern "C" fn v4l2_request_slot_release(slot: u32, request_fd: i32) {
    std::hint::black_box((0xa2u32, slot, request_fd));
}

#[no_mangle]
#[inline(never)]
pub extern "C" fn v4l2_request_slot_force_release(slot: u32, request_fd: i32, outcome: i32) {
    std::hint::black_box((0xa3u32, slot, request_fd, outcome));
}

/// The slot `slot` (whose request fd was `old_fd`, now closed) is dead: skipped from now on.
#[no_mangle]
#[inline(never)]
pub extern "C" fn v4l2_request_slot_dead(slot: u32, old_fd: i32) {
    std::hint::black_box((0xa4u32, slot, old_fd));
}

/// What the pool went through, for the session-close log line.
#[derive(Debug, Default, Clone, Copy)]
pub struct PoolStats {
    pub acquired: u64,
    pub force_reinit: u64,
    pub force_realloc: u64,
    pub force_dead: u64,
    pub revived: u64,
}

pub struct RequestPool<D: RequestDevice = File> {
    pub slots: Vec<Slot<D::Request>>,
    next_seq: u64,
    pub stats: PoolStats,
}

impl<D: RequestDevice> RequestPool<D> {
    /// Binds OUTPUT buffers `0..maps.len()` to request fds, reusing `requests` (kept across
    /// reconfigurations) and allocating the missing ones.
    pub fn new(media: &D, maps: Vec<Mapping>, mut requests: Vec<Option<D::Request>>) -> Self {
        let slots =
            maps.into_iter()
                .enumerate()
                .map(|(i, map)| {
                    let request =
                        requests.get_mut(i).and_then(Option::take).or_else(|| {
                            match media.alloc() {
                                Ok(r) => Some(r),
                                Err(e) => {
                                    log::error!("MEDIA_IOC_REQUEST_ALLOC for slot {i}: {e}");
                                    None
                                }
                            }
                        });
                    Slot {
                        state: if request.is_some() {
                            SlotState::Free
                        } else {
                            SlotState::Dead
                        },
                        request,
                        buffer: i as u32,
                        map,
                        used: 0,
                        out_queued: false,
                        in_flight: false,
                        capture: 0,
                        hold: false,
                        seq: 0,
                    }
                })
                .collect();
        RequestPool {
            slots,
            next_seq: 0,
            stats: PoolStats::default(),
        }
    }

    /// Gives the request fds back (for a reconfiguration that keeps them).
    pub fn into_requests(self) -> Vec<Option<D::Request>> {
        self.slots.into_iter().map(|s| s.request).collect()
    }

    pub fn dead_count(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| s.state == SlotState::Dead)
            .count()
    }

    pub fn busy_count(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| s.state == SlotState::Busy)
            .count()
    }

    /// A free slot whose OUTPUT buffer is back, now Busy; None when all are taken.
    pub fn acquire(&mut self) -> Option<usize> {
        let i = self
            .slots
            .iter()
            .position(|s| s.state == SlotState::Free && !s.out_queued)?;
        let s = &mut self.slots[i];
        s.state = SlotState::Busy;
        s.used = 0;
        s.in_flight = false;
        self.next_seq += 1;
        s.seq = self.next_seq;
        self.stats.acquired += 1;
        v4l2_request_slot_acquire(i as u32, s.request_fd());
        Some(i)
    }

    /// The busy, queued slot submitted first.
    pub fn oldest_in_flight(&self) -> Option<usize> {
        (0..self.slots.len())
            .filter(|&i| self.slots[i].state == SlotState::Busy && self.slots[i].in_flight)
            .min_by_key(|&i| self.slots[i].seq)
    }

    /// Tries to give one dead slot a request fd again (when the pool runs dry).
    pub fn revive_one(&mut self, media: &D) -> bool {
        let Some(i) = self.slots.iter().position(|s| s.state == SlotState::Dead) else {
            return false;
        };
        match media.alloc() {
            Ok(r) => {
                let s = &mut self.slots[i];
                log::warn!("slot {i}: revived with request fd {}", r.as_raw_fd());
                s.request = Some(r);
                s.state = SlotState::Free;
                self.stats.revived += 1;
                v4l2_request_slot_force_release(i as u32, s.request_fd(), FORCE_REALLOCATED);
                true
            }
            Err(_) => false,
        }
    }

    /// Normal release after the request completed: REINIT, or force-release if that fails.
    pub fn release(&mut self, i: usize, media: &D) {
        let s = &mut self.slots[i];
        if s.state != SlotState::Busy {
            return;
        }
        s.in_flight = false;
        let r = s.request.as_ref().map(|r| media.reinit(r));
        match r {
            Some(Ok(())) => {
                s.state = SlotState::Free;
                v4l2_request_slot_release(i as u32, s.request_fd());
            }
            Some(Err(e)) => {
                log::warn!("slot {i}: MEDIA_REQUEST_IOC_REINIT failed ({e}): force-releasing");
                self.force_release(i, media);
            }
            None => self.force_release(i, media),
        }
    }

    /// Gets a slot back whatever happened: REINIT; else close + re-alloc; else dead.
    pub fn force_release(&mut self, i: usize, media: &D) {
        let s = &mut self.slots[i];
        if s.state == SlotState::Dead {
            return;
        }
        s.in_flight = false;
        let old_fd = s.request_fd();
        if let Some(r) = &s.request {
            if media.reinit(r).is_ok() {
                s.state = SlotState::Free;
                self.stats.force_reinit += 1;
                v4l2_request_slot_force_release(i as u32, old_fd, FORCE_REINIT_OK);
                return;
            }
        }
        // Close first so the new fd is a fresh request, not a reinit of the broken one.
        s.request = None;
        match media.alloc() {
            Ok(r) => {
                log::warn!(
                    "slot {i}: request fd {old_fd} closed, re-allocated as {}",
                    r.as_raw_fd()
                );
                s.request = Some(r);
                s.state = SlotState::Free;
                self.stats.force_realloc += 1;
                v4l2_request_slot_force_release(i as u32, s.request_fd(), FORCE_REALLOCATED);
            }
            Err(e) => {
                log::error!("slot {i}: cannot re-allocate a request ({e}): slot is dead");
                s.state = SlotState::Dead;
                self.stats.force_dead += 1;
                v4l2_request_slot_force_release(i as u32, -1, FORCE_DEAD);
                v4l2_request_slot_dead(i as u32, old_fd);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The pool's ladder on the host, through a fake media device whose REINIT and ALLOC fail
    //! on demand (the test-bed's fault-injection test covers the same through the kernel).

    use super::*;
    use std::cell::{Cell, RefCell};
    use std::os::fd::RawFd;

    /// A request as the fake hands it out: an fd number, never a real fd.
    #[derive(Debug)]
    struct FakeRequest(RawFd);

    impl AsRawFd for FakeRequest {
        fn as_raw_fd(&self) -> RawFd {
            self.0
        }
    }

    /// Counts calls; fails the next `fail_reinit` REINITs and `fail_alloc` ALLOCs.
    #[derive(Default)]
    struct FakeMedia {
        next_fd: Cell<RawFd>,
        fail_reinit: Cell<u32>,
        fail_alloc: Cell<u32>,
        reinits: RefCell<Vec<RawFd>>,
        allocs: Cell<u32>,
    }

    fn take(n: &Cell<u32>) -> bool {
        let v = n.get();
        n.set(v.saturating_sub(1));
        v > 0
    }

    impl RequestDevice for FakeMedia {
        type Request = FakeRequest;
        fn alloc(&self) -> ioctl::Result<FakeRequest> {
            if take(&self.fail_alloc) {
                return Err(nix::errno::Errno::ENOMEM);
            }
            self.allocs.set(self.allocs.get() + 1);
            self.next_fd.set(self.next_fd.get() + 1);
            Ok(FakeRequest(100 + self.next_fd.get()))
        }
        fn reinit(&self, r: &FakeRequest) -> ioctl::Result<()> {
            self.reinits.borrow_mut().push(r.0);
            if take(&self.fail_reinit) {
                return Err(nix::errno::Errno::EIO);
            }
            Ok(())
        }
    }

    fn pool(media: &FakeMedia, n: usize) -> RequestPool<FakeMedia> {
        let maps = (0..n).map(|_| Mapping::anonymous(4096).unwrap()).collect();
        RequestPool::new(media, maps, Vec::new())
    }

    #[test]
    fn every_slot_gets_its_own_request_once() {
        let m = FakeMedia::default();
        let p = pool(&m, 4);
        assert_eq!(m.allocs.get(), 4);
        let fds: Vec<_> = p.slots.iter().map(|s| s.request_fd()).collect();
        assert_eq!(fds, [101, 102, 103, 104]);
        assert!(p.slots.iter().all(|s| s.state == SlotState::Free));
    }

    #[test]
    fn a_slot_whose_first_alloc_fails_starts_dead_and_is_skipped() {
        let m = FakeMedia::default();
        m.fail_alloc.set(1);
        let mut p = pool(&m, 2);
        assert_eq!(p.slots[0].state, SlotState::Dead);
        assert_eq!(p.acquire(), Some(1));
        assert_eq!(p.acquire(), None);
        assert!(p.revive_one(&m));
        assert_eq!(p.acquire(), Some(0));
        assert_eq!(p.stats.revived, 1);
    }

    #[test]
    fn release_reinits_and_keeps_the_fd() {
        let m = FakeMedia::default();
        let mut p = pool(&m, 1);
        let i = p.acquire().unwrap();
        p.release(i, &m);
        assert_eq!(*m.reinits.borrow(), [101]);
        assert_eq!(p.slots[i].state, SlotState::Free);
        assert_eq!(p.slots[i].request_fd(), 101);
        assert_eq!(m.allocs.get(), 1);
    }

    #[test]
    fn force_release_first_rung_reinit() {
        let m = FakeMedia::default();
        let mut p = pool(&m, 1);
        let i = p.acquire().unwrap();
        p.slots[i].in_flight = true;
        p.force_release(i, &m);
        assert_eq!(p.slots[i].state, SlotState::Free);
        assert!(!p.slots[i].in_flight);
        assert_eq!(p.slots[i].request_fd(), 101);
        assert_eq!(
            (
                p.stats.force_reinit,
                p.stats.force_realloc,
                p.stats.force_dead
            ),
            (1, 0, 0)
        );
    }

    #[test]
    fn force_release_second_rung_reallocates_when_reinit_fails() {
        let m = FakeMedia::default();
        let mut p = pool(&m, 1);
        let i = p.acquire().unwrap();
        m.fail_reinit.set(1);
        p.force_release(i, &m);
        assert_eq!(p.slots[i].state, SlotState::Free);
        assert_eq!(
            p.slots[i].request_fd(),
            102,
            "a fresh request replaces the broken one"
        );
        assert_eq!(
            (
                p.stats.force_reinit,
                p.stats.force_realloc,
                p.stats.force_dead
            ),
            (0, 1, 0)
        );
    }

    #[test]
    fn force_release_last_rung_marks_dead_then_revives() {
        let m = FakeMedia::default();
        let mut p = pool(&m, 2);
        let i = p.acquire().unwrap();
        m.fail_reinit.set(1);
        m.fail_alloc.set(1);
        p.force_release(i, &m);
        assert_eq!(p.slots[i].state, SlotState::Dead);
        assert_eq!(p.slots[i].request_fd(), -1);
        assert_eq!(p.stats.force_dead, 1);
        assert_eq!(p.dead_count(), 1);
        // A dead slot is skipped, and left alone by a later force-release.
        assert_eq!(p.acquire(), Some(1 - i));
        p.force_release(i, &m);
        assert_eq!(p.stats.force_dead, 1);
        assert!(p.revive_one(&m));
        assert_eq!(p.dead_count(), 0);
    }

    #[test]
    fn a_failing_reinit_on_release_falls_into_the_ladder() {
        let m = FakeMedia::default();
        let mut p = pool(&m, 1);
        let i = p.acquire().unwrap();
        // release's REINIT and force_release's REINIT both fail: re-allocated.
        m.fail_reinit.set(2);
        p.release(i, &m);
        assert_eq!(p.slots[i].state, SlotState::Free);
        assert_eq!(p.stats.force_realloc, 1);
        assert_eq!(m.reinits.borrow().len(), 2);
    }

    #[test]
    fn errors_never_starve_the_pool() {
        // More failures than slots: every use ends in a force-release, and the pool still
        // hands out a slot each time.
        let m = FakeMedia::default();
        let mut p = pool(&m, 4);
        for round in 0..40 {
            let i = p
                .acquire()
                .unwrap_or_else(|| panic!("pool starved at use {round}"));
            p.slots[i].in_flight = true;
            m.fail_reinit.set(1);
            p.force_release(i, &m);
        }
        assert_eq!(p.stats.force_realloc, 40);
        assert_eq!(p.dead_count(), 0);
    }

    #[test]
    fn acquire_waits_for_the_output_buffer_and_orders_in_flight() {
        let m = FakeMedia::default();
        let mut p = pool(&m, 2);
        let a = p.acquire().unwrap();
        let b = p.acquire().unwrap();
        p.slots[a].in_flight = true;
        p.slots[b].in_flight = true;
        assert_eq!(p.oldest_in_flight(), Some(a));
        p.slots[a].out_queued = true;
        p.release(a, &m);
        // Free, but its OUTPUT buffer is still the kernel's: not handed out.
        assert_eq!(p.acquire(), None);
        p.slots[a].out_queued = false;
        assert_eq!(p.acquire(), Some(a));
        assert_eq!(p.oldest_in_flight(), Some(b));
    }
}
