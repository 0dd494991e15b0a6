//! The ring-buffer reader thread: drains the kernel's ring buffer as fast as it fills and hands
//! the raw records over in batches, so that converting and writing (CBOR encoding, a disk that
//! stalls) never hold the ring buffer up and make the kernel side drop events.

use std::{
    os::fd::{AsRawFd, BorrowedFd},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        mpsc::{self, Receiver, Sender},
        Arc,
    },
    thread::JoinHandle,
};

use aya::maps::{MapData, RingBuf};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

/// Raw records waiting in user space past this many bytes are dropped (and counted) rather than
/// growing without bound.
pub const MAX_QUEUED_BYTES: u64 = 1 << 30;

/// Counters shared with the reader thread.
#[derive(Debug, Default)]
pub struct Shared {
    stop: AtomicBool,
    /// Bytes handed over and not yet taken by [`Reader::recv`]'s caller.
    queued: AtomicU64,
    /// Records dropped because the queue was full.
    pub dropped: AtomicU64,
}

/// Handle on the reader thread.
pub struct Reader {
    rx: Receiver<Vec<Vec<u8>>>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Reader {
    /// Starts draining `ring` on its own thread.
    pub fn spawn(ring: RingBuf<MapData>) -> std::io::Result<Reader> {
        let shared = Arc::new(Shared::default());
        let (tx, rx) = mpsc::channel();
        let s = shared.clone();
        let thread = std::thread::Builder::new().name("ringbuf".into()).spawn(move || run(ring, tx, s))?;
        Ok(Reader { rx, shared, thread: Some(thread) })
    }

    /// The next batch of raw records, waiting at most `timeout`.
    pub fn recv(&self, timeout: std::time::Duration) -> Option<Vec<Vec<u8>>> {
        let batch = self.rx.recv_timeout(timeout).ok()?;
        let bytes: u64 = batch.iter().map(|r| r.len() as u64).sum();
        self.shared.queued.fetch_sub(bytes, Ordering::Relaxed);
        Some(batch)
    }

    /// Records the reader had to drop so far.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Stops the thread after one last drain of the ring buffer; returns the batches still
    /// queued and the number of records dropped in all.
    pub fn finish(mut self) -> (Vec<Vec<Vec<u8>>>, u64) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        (self.rx.try_iter().collect(), self.dropped())
    }
}

fn run(mut ring: RingBuf<MapData>, tx: Sender<Vec<Vec<u8>>>, shared: Arc<Shared>) {
    loop {
        // Read the flag before draining: everything produced before a stop is taken.
        let stopping = shared.stop.load(Ordering::Relaxed);
        let mut batch = Vec::new();
        let mut bytes = 0u64;
        while let Some(item) = ring.next() {
            if shared.queued.load(Ordering::Relaxed) + bytes > MAX_QUEUED_BYTES {
                shared.dropped.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            bytes += item.len() as u64;
            batch.push(item.to_vec());
            if batch.len() >= 4096 {
                shared.queued.fetch_add(bytes, Ordering::Relaxed);
                if tx.send(std::mem::take(&mut batch)).is_err() {
                    return;
                }
                bytes = 0;
            }
        }
        if !batch.is_empty() {
            shared.queued.fetch_add(bytes, Ordering::Relaxed);
            if tx.send(batch).is_err() {
                return;
            }
        }
        if stopping {
            return;
        }
        // SAFETY: the ring buffer's fd stays open for the whole borrow (`ring` owns it).
        let fd = unsafe { BorrowedFd::borrow_raw(ring.as_raw_fd()) };
        let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
        let _ = poll(&mut fds, PollTimeout::from(20u16));
    }
}
