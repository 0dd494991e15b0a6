//! SHA-256 of the dequeued CAPTURE frames, computed on a worker thread: the replay copies a
//! frame's bytes out of the buffer when it is dequeued (a memcpy) and goes on; the worker hashes
//! while the replay waits for the device. At most [`IN_FLIGHT`] copies wait for the worker, so
//! memory stays bounded; without a worker thread the hash is computed in place.

use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

/// Frames copied and not hashed yet, at most.
pub const IN_FLIGHT: usize = 4;

/// The hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Hashes frames in the background; [`Hasher::finish`] returns every hash by the caller's slot.
pub struct Hasher {
    tx: Option<SyncSender<(usize, Vec<u8>)>>,
    worker: Option<JoinHandle<Vec<(usize, String)>>>,
    /// Hashes computed in place (no worker).
    done: Vec<(usize, String)>,
}

impl Hasher {
    /// A hasher with its worker thread (or none if the thread cannot be started).
    pub fn start() -> Self {
        let (tx, rx) = sync_channel::<(usize, Vec<u8>)>(IN_FLIGHT);
        let worker = std::thread::Builder::new()
            .name("replay-sha256".into())
            .spawn(move || {
                rx.iter()
                    .map(|(slot, bytes)| (slot, sha256_hex(&bytes)))
                    .collect()
            })
            .ok();
        Hasher {
            tx: worker.as_ref().map(|_| tx),
            worker,
            done: Vec::new(),
        }
    }

    /// Hashes `bytes` for `slot`: on the worker, or here if it is gone.
    pub fn submit(&mut self, slot: usize, bytes: Vec<u8>) {
        let bytes = match &self.tx {
            Some(tx) => match tx.send((slot, bytes)) {
                Ok(()) => return,
                Err(e) => e.0 .1,
            },
            None => bytes,
        };
        self.done.push((slot, sha256_hex(&bytes)));
    }

    /// Waits for the worker; every slot submitted so far with its hash (later submissions are
    /// hashed in place).
    pub fn finish(&mut self) -> Vec<(usize, String)> {
        drop(self.tx.take());
        if let Some(w) = self.worker.take() {
            match w.join() {
                Ok(mut v) => self.done.append(&mut v),
                Err(_) => log::warn!("the checksum thread panicked; its frames have no checksum"),
            }
        }
        std::mem::take(&mut self.done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frame_gets_the_hash_of_its_bytes() {
        let mut h = Hasher::start();
        for i in 0..20 {
            h.submit(i, vec![i as u8; 1000 + i]);
        }
        let mut got = h.finish();
        got.sort();
        assert_eq!(got.len(), 20);
        for (i, (slot, hex)) in got.iter().enumerate() {
            assert_eq!(
                (*slot, hex.clone()),
                (i, sha256_hex(&vec![i as u8; 1000 + i]))
            );
        }
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
