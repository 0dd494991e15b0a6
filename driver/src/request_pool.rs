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

pub struct Slot {
    pub state: SlotState,
    pub request: Option<Request>,
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
    /// Submission order, to sync the oldest first.
    pub seq: u64,
}

impl Slot {
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

/// What the pool went through, for the session-close log line.
#[derive(Debug, Default, Clone, Copy)]
pub struct PoolStats {
    pub acquired: u64,
    pub force_reinit: u64,
    pub force_realloc: u64,
    pub force_dead: u64,
    pub revived: u64,
}

pub struct RequestPool {
    pub slots: Vec<Slot>,
    next_seq: u64,
    pub stats: PoolStats,
}

impl RequestPool {
    /// Binds OUTPUT buffers `0..maps.len()` to request fds, reusing `requests` (kept across
    /// reconfigurations) and allocating the missing ones.
    pub fn new(media: &File, maps: Vec<Mapping>, mut requests: Vec<Option<Request>>) -> Self {
        let slots =
            maps.into_iter()
                .enumerate()
                .map(|(i, map)| {
                    let request = requests.get_mut(i).and_then(Option::take).or_else(|| {
                        match ioctl::request_alloc(media) {
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
    pub fn into_requests(self) -> Vec<Option<Request>> {
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
    pub fn revive_one(&mut self, media: &File) -> bool {
        let Some(i) = self.slots.iter().position(|s| s.state == SlotState::Dead) else {
            return false;
        };
        match ioctl::request_alloc(media) {
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
    pub fn release(&mut self, i: usize, media: &File) {
        let s = &mut self.slots[i];
        if s.state != SlotState::Busy {
            return;
        }
        s.in_flight = false;
        let r = s.request.as_ref().map(ioctl::request_reinit);
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
    pub fn force_release(&mut self, i: usize, media: &File) {
        let s = &mut self.slots[i];
        if s.state == SlotState::Dead {
            return;
        }
        s.in_flight = false;
        let old_fd = s.request_fd();
        if let Some(r) = &s.request {
            if ioctl::request_reinit(r).is_ok() {
                s.state = SlotState::Free;
                self.stats.force_reinit += 1;
                v4l2_request_slot_force_release(i as u32, old_fd, FORCE_REINIT_OK);
                return;
            }
        }
        // Close first so the new fd is a fresh request, not a reinit of the broken one.
        s.request = None;
        match ioctl::request_alloc(media) {
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
            }
        }
    }
}
