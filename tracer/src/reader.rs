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

/// Raw records drained in one go, stored back to back: one allocation per batch rather than
/// one per record (at a million ioctls a second the per-record allocations, freed on the other
/// thread, cost the reader more than the copying).
#[derive(Debug, Default)]
pub struct Batch {
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl Batch {
    /// Records past which a batch is handed over.
    const MAX_RECORDS: usize = 4096;
    /// Bytes past which a batch is handed over.
    const MAX_BYTES: usize = 1 << 20;

    fn push(&mut self, record: &[u8]) {
        self.data.extend_from_slice(record);
        self.ends.push(self.data.len());
    }

    fn is_full(&self) -> bool {
        self.ends.len() >= Self::MAX_RECORDS || self.data.len() >= Self::MAX_BYTES
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True if there is no record.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Bytes of all records.
    pub fn bytes(&self) -> u64 {
        self.data.len() as u64
    }

    /// The records, in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(s, e)| &self.data[s..e])
    }
}

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
    rx: Receiver<Batch>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Reader {
    /// Starts draining `ring` on its own thread.
    pub fn spawn(ring: RingBuf<MapData>) -> std::io::Result<Reader> {
        let shared = Arc::new(Shared::default());
        let (tx, rx) = mpsc::channel();
        let s = shared.clone();
        // Returns once the thread runs (and so carries its name, which a new thread takes only
        // when it starts): the traced command is released right after this.
        let (started_tx, started_rx) = mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("ringbuf".into())
            .spawn(move || {
                let _ = started_tx.send(());
                run(ring, tx, s)
            })?;
        started_rx
            .recv()
            .map_err(|_| std::io::Error::other("the ring-buffer reader thread ended at start"))?;
        Ok(Reader {
            rx,
            shared,
            thread: Some(thread),
        })
    }

    /// The next batch of raw records, waiting at most `timeout`.
    pub fn recv(&self, timeout: std::time::Duration) -> Option<Batch> {
        let batch = self.rx.recv_timeout(timeout).ok()?;
        self.shared
            .queued
            .fetch_sub(batch.bytes(), Ordering::Relaxed);
        Some(batch)
    }

    /// Records the reader had to drop so far.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Stops the thread after one last drain of the ring buffer; returns the batches still
    /// queued and the number of records dropped in all.
    pub fn finish(mut self) -> (Vec<Batch>, u64) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        (self.rx.try_iter().collect(), self.dropped())
    }
}

fn run(mut ring: RingBuf<MapData>, tx: Sender<Batch>, shared: Arc<Shared>) {
    loop {
        // Read the flag before draining: everything produced before a stop is taken.
        let stopping = shared.stop.load(Ordering::Relaxed);
        let mut batch = Batch::default();
        while let Some(item) = ring.next() {
            if shared.queued.load(Ordering::Relaxed) + batch.bytes() > MAX_QUEUED_BYTES {
                shared.dropped.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            batch.push(&item);
            drop(item);
            if batch.is_full() {
                shared.queued.fetch_add(batch.bytes(), Ordering::Relaxed);
                if tx.send(std::mem::take(&mut batch)).is_err() {
                    return;
                }
            }
        }
        if !batch.is_empty() {
            shared.queued.fetch_add(batch.bytes(), Ordering::Relaxed);
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
