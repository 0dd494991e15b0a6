//! Each trace of a `vatrace diff` read on its own thread: the thread decodes the records and runs
//! that side's [`TraceSide`] state machine, and hands finished units (one per frame or slice) to
//! the comparing thread. Records are made and freed on the thread that reads them (handing records
//! across made glibc's allocator the bottleneck: every free was a cross-thread free), and the two
//! decodes run on two cores. Memory stays bounded: at most [`BATCHES`] batches of [`BATCH`] units
//! wait.

use std::sync::mpsc::{sync_channel, Receiver};
use std::thread;

use super::side::{StreamFacts, Unit};
use super::{Input, Reading, SideState, Units};
use crate::record::Record;
use crate::stream::TraceError;

/// Units handed over at once.
pub const BATCH: usize = 64;
/// Batches that may wait.
pub const BATCHES: usize = 8;

enum Msg {
    /// Finished units; the first batch carries the stream's facts as they were when its first
    /// unit was finished (what [`super::check_same_stream`] compares).
    Units(Vec<Unit>, Option<StreamFacts>),
    /// The side's final state, after its last unit.
    End(SideState),
}

/// One trace read and turned into units on its own thread.
pub struct Remote {
    label: String,
    rx: Receiver<Msg>,
    current: std::vec::IntoIter<Unit>,
    facts: StreamFacts,
    end: Option<SideState>,
}

impl Remote {
    /// Starts reading `records` on a new thread.
    pub fn spawn<I>(label: String, records: I) -> Self
    where
        I: Iterator<Item = Result<Record, TraceError>> + Send + 'static,
    {
        let (tx, rx) = sync_channel::<Msg>(BATCHES);
        let thread_label = label.clone();
        thread::spawn(move || {
            let mut reading = Reading::new(Input {
                label: thread_label,
                records,
            });
            let (mut first, mut first_facts) = (true, None);
            let mut batch = Vec::with_capacity(BATCH);
            while let Some(u) = reading.next_unit() {
                if first {
                    first = false;
                    first_facts = Some(reading.side.facts());
                }
                batch.push(u);
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if tx.send(Msg::Units(full, first_facts.take())).is_err() {
                        return;
                    }
                }
            }
            if !batch.is_empty() && tx.send(Msg::Units(batch, first_facts.take())).is_err() {
                return;
            }
            let _ = tx.send(Msg::End(reading.state()));
        });
        Remote {
            label,
            rx,
            current: Vec::new().into_iter(),
            facts: StreamFacts::new(),
            end: None,
        }
    }
}

impl Units for Remote {
    fn label(&self) -> &str {
        &self.label
    }

    fn next_unit(&mut self) -> Option<Unit> {
        loop {
            if let Some(u) = self.current.next() {
                return Some(u);
            }
            if self.end.is_some() {
                return None;
            }
            match self.rx.recv() {
                Ok(Msg::Units(units, facts)) => {
                    if let Some(f) = facts {
                        self.facts = f;
                    }
                    self.current = units.into_iter();
                }
                Ok(Msg::End(state)) => {
                    self.facts = state.facts.clone();
                    self.end = Some(state);
                }
                // The reading thread panicked: what it read is all there is.
                Err(_) => {
                    self.end = Some(SideState {
                        facts: self.facts.clone(),
                        records: 0,
                        frames: 0,
                        complete: false,
                        cut: Some("the reading thread stopped".into()),
                        lost: 0,
                    });
                }
            }
        }
    }

    fn facts(&self) -> StreamFacts {
        self.facts.clone()
    }

    fn state(&self) -> SideState {
        self.end.clone().unwrap_or_else(|| SideState {
            facts: self.facts.clone(),
            records: 0,
            frames: 0,
            complete: false,
            cut: None,
            lost: 0,
        })
    }
}
