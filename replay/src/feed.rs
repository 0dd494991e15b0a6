//! Streams a trace's records to the engine one action at a time, keeping aside what is not an
//! action: `Blob`s (kept by id until their last use) and `Bitstream`s (kept by the sequence
//! number of the QBUF they belong to, whether they come before or after it). The records come
//! from the trace file, or from the pre-pass when it kept them (a small trace is parsed once).

use std::collections::HashMap;
use std::io::Read;

use traces::record::{Bitstream, Record};
use traces::{TraceError, TraceReader};

/// What the feed gives next.
#[derive(Debug)]
pub enum Next {
    /// A record to act on (never a Blob or a Bitstream).
    Record(Box<Record>),
    /// The trace ends here, cut or damaged: the message says how.
    Cut(String),
    /// The trace ended normally (after `End`) or the source is exhausted.
    Done,
}

/// Where the records come from.
pub enum Source<R: Read> {
    /// The trace, read as it goes.
    Stream(Box<TraceReader<R>>),
    /// The records the pre-pass kept, then how the trace was cut (if it was).
    Kept {
        records: std::vec::IntoIter<Record>,
        cut: Option<String>,
    },
}

impl<R: Read> Source<R> {
    fn next_record(&mut self) -> Option<Result<Record, String>> {
        match self {
            Source::Stream(r) => r
                .next_record()
                .map(|r| r.map_err(|e: TraceError| e.to_string())),
            Source::Kept { records, cut } => match records.next() {
                Some(r) => Some(Ok(r)),
                None => cut.take().map(Err),
            },
        }
    }
}

/// The record feed.
pub struct Feed<R: Read> {
    reader: Source<R>,
    lookahead: Option<Result<Record, String>>,
    blobs: HashMap<u64, Vec<u8>>,
    /// Uses left per blob (from the pre-pass); a blob is dropped after its last use.
    uses: HashMap<u64, u32>,
    bitstreams: HashMap<u64, Vec<Bitstream>>,
    /// Records read so far (all kinds).
    pub records: u64,
}

impl<R: Read> Feed<R> {
    /// A feed over `reader` (its header already read).
    pub fn new(reader: TraceReader<R>) -> Self {
        Self::from_source(Source::Stream(Box::new(reader)))
    }

    /// A feed over `source`.
    pub fn from_source(reader: Source<R>) -> Self {
        Feed {
            reader,
            lookahead: None,
            blobs: HashMap::new(),
            uses: HashMap::new(),
            bitstreams: HashMap::new(),
            records: 0,
        }
    }

    fn pull(&mut self) -> Option<Result<Record, String>> {
        let r = self.lookahead.take().or_else(|| self.reader.next_record());
        if matches!(r, Some(Ok(_))) {
            self.records += 1;
        }
        r
    }

    fn stash(&mut self, r: Record) -> Option<Record> {
        match r {
            Record::Blob(b) => {
                self.blobs.insert(b.id, b.data);
                None
            }
            Record::Bitstream(b) => {
                self.bitstreams.entry(b.ioctl_seq).or_default().push(b);
                None
            }
            other => Some(other),
        }
    }

    /// The next action record. After it, every Blob/Bitstream that directly follows has been
    /// stashed too, so a QBUF's bitstream is available when the QBUF is acted on.
    pub fn next_action(&mut self) -> Next {
        let action = loop {
            match self.pull() {
                None => return Next::Done,
                Some(Err(e)) => return Next::Cut(e),
                Some(Ok(r)) => {
                    if let Some(a) = self.stash(r) {
                        break a;
                    }
                }
            }
        };
        loop {
            match self.reader.next_record() {
                Some(Ok(r)) => match r {
                    Record::Blob(_) | Record::Bitstream(_) => {
                        self.records += 1;
                        self.stash(r);
                    }
                    other => {
                        self.lookahead = Some(Ok(other));
                        break;
                    }
                },
                other => {
                    self.lookahead = other;
                    break;
                }
            }
        }
        Next::Record(Box::new(action))
    }

    /// Takes the bitstream records of the QBUF with sequence number `seq`.
    pub fn take_bitstreams(&mut self, seq: u64) -> Vec<Bitstream> {
        self.bitstreams.remove(&seq).unwrap_or_default()
    }

    /// Tells the feed how many times each blob will be used, so that [`Feed::release`] can
    /// drop it after its last use (memory stays bounded by the blobs in flight).
    pub fn set_blob_uses(&mut self, uses: HashMap<u64, u32>) {
        self.uses = uses;
    }

    /// One use of blob `id` is done; drops it after the last one.
    pub fn release(&mut self, id: u64) {
        if let Some(n) = self.uses.get_mut(&id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.uses.remove(&id);
                self.blobs.remove(&id);
            }
        }
    }

    /// Blobs held right now.
    pub fn blobs_held(&self) -> usize {
        self.blobs.len()
    }

    /// The bytes of blob `id`.
    pub fn blob(&self, id: u64) -> Option<&[u8]> {
        self.blobs.get(&id).map(Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use traces::record::{End, EndReason, Header, Ioctl};
    use traces::TraceWriter;

    #[test]
    fn bitstreams_after_their_qbuf_are_ready_when_it_is_acted_on() {
        let mut w = TraceWriter::new(Vec::new(), &Header::new()).unwrap();
        w.write(&Record::Ioctl(Ioctl {
            seq: 7,
            ..Default::default()
        }))
        .unwrap();
        w.write_bitstream(7, 0, 0, 3, b"abc").unwrap();
        w.write(&Record::Ioctl(Ioctl {
            seq: 8,
            ..Default::default()
        }))
        .unwrap();
        let bytes = w.finish(End::new(1, EndReason::Exited)).unwrap();
        let mut f = Feed::new(TraceReader::new(&bytes[..]).unwrap());
        let Next::Record(r) = f.next_action() else {
            panic!()
        };
        let Record::Ioctl(io) = *r else { panic!() };
        assert_eq!(io.seq, 7);
        let bs = f.take_bitstreams(7);
        assert_eq!(bs.len(), 1);
        assert_eq!(f.blob(bs[0].blob), Some(&b"abc"[..]));
        f.set_blob_uses([(bs[0].blob, 1)].into_iter().collect());
        f.release(bs[0].blob);
        assert_eq!((f.blob(bs[0].blob), f.blobs_held()), (None, 0));
        assert!(matches!(f.next_action(), Next::Record(r) if matches!(*r, Record::Ioctl(_))));
        assert!(matches!(f.next_action(), Next::Record(r) if matches!(*r, Record::End(_))));
        assert!(matches!(f.next_action(), Next::Done));
    }

    #[test]
    fn a_cut_trace_says_so_after_its_records() {
        let mut w = TraceWriter::new(Vec::new(), &Header::new()).unwrap();
        w.write(&Record::Ioctl(Ioctl {
            seq: 0,
            ..Default::default()
        }))
        .unwrap();
        w.flush().unwrap();
        let bytes = w.finish(End::new(1, EndReason::Exited)).unwrap();
        let cut = &bytes[..bytes.len() - 3];
        let mut f = Feed::new(TraceReader::new(cut).unwrap());
        assert!(matches!(f.next_action(), Next::Record(r) if matches!(*r, Record::Ioctl(_))));
        assert!(matches!(f.next_action(), Next::Cut(_)));
    }

    #[test]
    fn records_kept_by_the_pre_pass_replay_the_same_and_say_where_the_trace_was_cut() {
        let mut w = TraceWriter::new(Vec::new(), &Header::new()).unwrap();
        for seq in 0..3 {
            w.write(&Record::Ioctl(Ioctl {
                seq,
                ..Default::default()
            }))
            .unwrap();
        }
        w.flush().unwrap();
        let bytes = w.finish(End::new(1, EndReason::Exited)).unwrap();
        let cut = &bytes[..bytes.len() - 3];
        let plan = crate::validate::scan(TraceReader::new(cut).unwrap(), &[], 1 << 20);
        let kept = plan.kept.expect("a small trace is kept");
        assert_eq!(kept.len(), 3);
        let mut f: Feed<&[u8]> = Feed::from_source(Source::Kept {
            records: kept.into_iter(),
            cut: plan.cut.clone(),
        });
        for seq in 0..3 {
            assert!(
                matches!(f.next_action(), Next::Record(r) if matches!(*r, Record::Ioctl(ref io) if io.seq == seq))
            );
        }
        assert!(matches!(f.next_action(), Next::Cut(m) if Some(m.clone()) == plan.cut));
        // Over the budget: nothing kept, the replay streams the trace again.
        let plan = crate::validate::scan(TraceReader::new(&bytes[..]).unwrap(), &[], 100);
        assert!(plan.kept.is_none() && plan.cut.is_none());
    }
}
