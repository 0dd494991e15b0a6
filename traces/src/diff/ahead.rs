//! Reading a trace on its own thread, a bounded number of records ahead of the comparison, so
//! `vatrace diff` decodes both files at once on two cores. Memory stays bounded: at most
//! [`BATCHES`] batches of [`BATCH`] records wait.

use std::sync::mpsc::{sync_channel, IntoIter};
use std::thread;

/// Records handed over at once.
pub const BATCH: usize = 512;
/// Batches that may wait.
pub const BATCHES: usize = 8;

/// The items of `input`, produced on a new thread.
pub fn read_ahead<I>(input: I) -> ReadAhead<I::Item>
where
    I: Iterator + Send + 'static,
    I::Item: Send + 'static,
{
    let (tx, rx) = sync_channel::<Vec<I::Item>>(BATCHES);
    thread::spawn(move || {
        let mut batch = Vec::with_capacity(BATCH);
        for item in input {
            batch.push(item);
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                if tx.send(full).is_err() {
                    return;
                }
            }
        }
        if !batch.is_empty() {
            let _ = tx.send(batch);
        }
    });
    ReadAhead {
        rx: rx.into_iter(),
        current: Vec::new().into_iter(),
    }
}

/// The iterator [`read_ahead`] returns.
pub struct ReadAhead<T> {
    rx: IntoIter<Vec<T>>,
    current: std::vec::IntoIter<T>,
}

impl<T> Iterator for ReadAhead<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        loop {
            if let Some(x) = self.current.next() {
                return Some(x);
            }
            self.current = self.rx.next()?.into_iter();
        }
    }
}
