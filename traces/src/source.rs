//! [`RecordSource`]: one interface over every place records come from (a trace file, a file
//! still being written, a live tracer, records held in memory), so the TUI, replay and checks
//! need not care which.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::Duration;

use crate::record::{Header, Record};
use crate::stream::{TraceError, TraceReader};

/// Something that yields a trace's header and then its records in order.
pub trait RecordSource {
    /// The trace's header.
    fn header(&self) -> &Header;

    /// The next record; blocks until one is available. `None` when the source is exhausted
    /// (after `End`, after an error was returned, or when a live tracer went away).
    fn next_record(&mut self) -> Option<Result<Record, TraceError>>;

    /// The next record if one is available without blocking; `Ok(None)` means "nothing yet" for
    /// a live source. The default blocks like [`RecordSource::next_record`] (files never wait).
    fn try_next_record(&mut self) -> Result<Option<Record>, SourceDone> {
        match self.next_record() {
            Some(Ok(r)) => Ok(Some(r)),
            Some(Err(e)) => Err(SourceDone::Error(e)),
            None => Err(SourceDone::Finished),
        }
    }

    /// Whether records can still arrive later (a live tracer) rather than being all there (a file).
    fn is_live(&self) -> bool {
        false
    }
}

/// Why [`RecordSource::try_next_record`] has nothing more to give.
#[derive(Debug)]
pub enum SourceDone {
    /// The source ended normally.
    Finished,
    /// The source ended on this error (for files, [`TraceError::Truncated`] for a cut trace).
    Error(TraceError),
}

impl<R: Read> RecordSource for TraceReader<R> {
    fn header(&self) -> &Header {
        TraceReader::header(self)
    }
    fn next_record(&mut self) -> Option<Result<Record, TraceError>> {
        TraceReader::next_record(self)
    }
}

/// Records held in memory (tests, records built by a tool).
#[derive(Debug, Clone)]
pub struct VecSource {
    header: Header,
    records: VecDeque<Record>,
}

impl VecSource {
    pub fn new(header: Header, records: impl IntoIterator<Item = Record>) -> Self {
        VecSource {
            header,
            records: records.into_iter().collect(),
        }
    }
}

impl RecordSource for VecSource {
    fn header(&self) -> &Header {
        &self.header
    }
    fn next_record(&mut self) -> Option<Result<Record, TraceError>> {
        self.records.pop_front().map(Ok)
    }
}

/// Records sent live over a channel, e.g. by the tracer's event loop running on another thread.
/// The source ends after `End` or when every sender is dropped.
pub struct ChannelSource {
    header: Header,
    rx: Receiver<Record>,
    done: bool,
}

impl ChannelSource {
    pub fn new(header: Header, rx: Receiver<Record>) -> Self {
        ChannelSource {
            header,
            rx,
            done: false,
        }
    }

    /// The next record, waiting at most `timeout`; `Ok(None)` on timeout.
    pub fn next_timeout(&mut self, timeout: Duration) -> Result<Option<Record>, SourceDone> {
        if self.done {
            return Err(SourceDone::Finished);
        }
        match self.rx.recv_timeout(timeout) {
            Ok(r) => Ok(Some(self.seen(r))),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => {
                self.done = true;
                Err(SourceDone::Finished)
            }
        }
    }

    fn seen(&mut self, r: Record) -> Record {
        if matches!(r, Record::End(_)) {
            self.done = true;
        }
        r
    }
}

impl RecordSource for ChannelSource {
    fn header(&self) -> &Header {
        &self.header
    }
    fn next_record(&mut self) -> Option<Result<Record, TraceError>> {
        if self.done {
            return None;
        }
        match self.rx.recv() {
            Ok(r) => Some(Ok(self.seen(r))),
            Err(_) => {
                self.done = true;
                None
            }
        }
    }
    fn try_next_record(&mut self) -> Result<Option<Record>, SourceDone> {
        if self.done {
            return Err(SourceDone::Finished);
        }
        match self.rx.try_recv() {
            Ok(r) => Ok(Some(self.seen(r))),
            Err(TryRecvError::Empty) => Ok(None),
            Err(TryRecvError::Disconnected) => {
                self.done = true;
                Err(SourceDone::Finished)
            }
        }
    }
    fn is_live(&self) -> bool {
        true
    }
}

/// A trace file that is still being written, read as it grows (the TUI's "live from file").
/// [`RecordSource::next_record`] waits (polling every `interval`) for the next whole record and
/// ends after `End`; [`RecordSource::try_next_record`] never waits.
pub struct FollowSource {
    reader: TraceReader<File>,
    interval: Duration,
    failed: bool,
}

impl FollowSource {
    /// Opens the trace at `path`; its header must already be written.
    pub fn open(path: impl AsRef<Path>, interval: Duration) -> Result<Self, TraceError> {
        Ok(FollowSource {
            reader: TraceReader::open(path)?,
            interval,
            failed: false,
        })
    }

    /// The underlying reader (offset, records read, `End`).
    pub fn reader(&self) -> &TraceReader<File> {
        &self.reader
    }
}

impl RecordSource for FollowSource {
    fn header(&self) -> &Header {
        self.reader.header()
    }
    fn next_record(&mut self) -> Option<Result<Record, TraceError>> {
        loop {
            match self.try_next_record() {
                Ok(Some(r)) => return Some(Ok(r)),
                Ok(None) => std::thread::sleep(self.interval),
                Err(SourceDone::Finished) => return None,
                Err(SourceDone::Error(e)) => return Some(Err(e)),
            }
        }
    }
    fn try_next_record(&mut self) -> Result<Option<Record>, SourceDone> {
        if self.failed || self.reader.end().is_some() {
            return Err(SourceDone::Finished);
        }
        match self.reader.try_next_growing() {
            Ok(r) => Ok(r),
            Err(e) => {
                self.failed = true;
                Err(SourceDone::Error(e))
            }
        }
    }
    fn is_live(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{End, EndReason, Lost};

    #[test]
    fn channel_source_ends_at_end() {
        let (tx, rx) = std::sync::mpsc::channel();
        let mut s = ChannelSource::new(Header::new(), rx);
        assert!(matches!(s.try_next_record(), Ok(None)));
        tx.send(Record::Lost(Lost {
            count: 1,
            at: 0,
            cpu: None,
        }))
        .unwrap();
        tx.send(Record::End(End::new(1, EndReason::Exited)))
            .unwrap();
        assert!(matches!(s.next_record(), Some(Ok(Record::Lost(_)))));
        assert!(matches!(s.next_record(), Some(Ok(Record::End(_)))));
        assert!(s.next_record().is_none());
        assert!(s.is_live());
    }

    #[test]
    fn follow_a_growing_file() {
        use crate::record::Close;
        use crate::stream::TraceWriter;
        use std::io::Write;

        let close = |fd| {
            Record::Close(Close {
                ts: 0,
                pid: 1,
                tid: 1,
                fd,
                ret: 0,
            })
        };
        let mut w = TraceWriter::new(Vec::new(), &Header::new()).unwrap();
        for fd in 0..3 {
            w.write(&close(fd)).unwrap();
        }
        let bytes = w.finish(End::new(9, EndReason::Exited)).unwrap();
        // Where the first two records end, as a reader of the whole file sees it.
        let mut whole = TraceReader::new(&bytes[..]).unwrap();
        whole.next_record().unwrap().unwrap();
        let first_end = whole.offset() as usize;
        whole.next_record().unwrap().unwrap();
        let second_end = whole.offset() as usize;

        let dir = std::env::temp_dir().join(format!("vatrace-follow-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("live.vatrace");
        let mut file = std::fs::File::create(&path).unwrap();
        // Header, one record and half of the next.
        let cut = (first_end + second_end) / 2;
        assert!(cut > first_end && cut < second_end);
        file.write_all(&bytes[..cut]).unwrap();
        file.flush().unwrap();

        let mut s = FollowSource::open(&path, Duration::from_millis(1)).unwrap();
        assert!(s.is_live());
        assert_eq!(s.try_next_record().unwrap(), Some(close(0)));
        assert_eq!(
            s.try_next_record().unwrap(),
            None,
            "half a record is not delivered"
        );
        assert_eq!(s.try_next_record().unwrap(), None);
        file.write_all(&bytes[cut..]).unwrap();
        file.flush().unwrap();
        assert_eq!(s.try_next_record().unwrap(), Some(close(1)));
        assert_eq!(s.next_record().unwrap().unwrap(), close(2));
        assert!(matches!(s.next_record(), Some(Ok(Record::End(_)))));
        assert!(s.next_record().is_none());
        assert!(matches!(s.try_next_record(), Err(SourceDone::Finished)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn vec_source() {
        let mut s = VecSource::new(
            Header::new(),
            vec![Record::End(End::new(1, EndReason::Exited))],
        );
        assert!(matches!(s.try_next_record(), Ok(Some(Record::End(_)))));
        assert!(matches!(s.try_next_record(), Err(SourceDone::Finished)));
    }
}
