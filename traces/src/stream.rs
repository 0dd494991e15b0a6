//! Reading and writing trace files: [`TraceWriter`] streams records out as they arrive,
//! [`TraceReader`] streams them back in, one record at a time, and never panics on bad input.
//!
//! Layout: [`MAGIC`], one CBOR [`Header`], CBOR [`Record`]s, last a [`Record::End`].
//! Version 2 (written now) stores the per-frame records compactly ([`compact`]: differences,
//! patches against remembered values); the reader resolves them, decoding each straight from its
//! bytes ([`item`] finds where it ends), so every consumer gets the same whole [`Record`]s as
//! from a version-1 trace, which it still reads.
//! A reader tells apart four ways a file can be wrong: not a trace ([`TraceError::BadMagic`]),
//! too new ([`TraceError::UnsupportedVersion`]), cut short ([`TraceError::Truncated`]: no `End`,
//! possibly half a record at the end) and damaged ([`TraceError::Corrupt`]: a record that does not
//! decode). Every record before the problem is delivered first.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use ciborium::Value;
use sha2::{Digest, Sha256};

use crate::record::{
    Bitstream, Blob, End, Header, Record, Totals, FORMAT_MINOR, FORMAT_VERSION, MAGIC, RECORD_TAGS,
};
use item::Scan;

mod compact;
mod delta;
mod header;
mod history;
mod item;

pub use compact::Codec;
pub use history::{MAX_BYTES as HISTORY_MAX_BYTES, MAX_REQUESTS as HISTORY_MAX_REQUESTS};

/// Deepest CBOR nesting a reader accepts; records nest far less, and the limit keeps hostile
/// input from exhausting the stack.
const RECURSION_LIMIT: usize = 64;

/// The largest record buffer a reader keeps between records (a bigger one, for a large blob, is
/// freed after use).
const SEEN_KEPT: usize = 1 << 20;

/// Everything that can go wrong reading or writing a trace.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The underlying file or stream failed.
    #[error("I/O error at byte {offset} of the trace: {source}")]
    Io {
        offset: u64,
        #[source]
        source: io::Error,
    },
    /// The input does not start with [`MAGIC`].
    #[error(
        "not a vatrace trace: it starts with {found:02x?} instead of the magic bytes \"VATRACE\\0\" \
         (byte 0); check the file name, or re-record it with `vatrace record`"
    )]
    BadMagic {
        /// The first bytes found (at most 8).
        found: Vec<u8>,
    },
    /// The header's major format version is newer than this reader's.
    #[error(
        "trace format version {found} (in the header at byte 8) is newer than the version {supported} \
         this vatrace reads; upgrade vatrace to read this trace"
    )]
    UnsupportedVersion { found: u32, supported: u32 },
    /// The input ends before an `End` record: the tracer crashed or was killed.
    #[error(
        "trace is cut at byte {offset}: {records} whole records were read, then {}, and no End record; \
         the tracer was probably killed or crashed. The records before byte {offset} are valid",
        if *dangling == 0 { "the file ends".to_string() } else { format!("{dangling} bytes of an unfinished record") }
    )]
    Truncated {
        /// Where the last whole record ends (where an unfinished one starts).
        offset: u64,
        /// Whole records read after the header.
        records: u64,
        /// Bytes of an unfinished record after `offset`.
        dangling: u64,
    },
    /// A record (or the header) does not decode.
    #[error(
        "corrupt trace: the item at byte {offset} does not decode ({detail}); the records before it \
         are valid, nothing after it can be trusted"
    )]
    Corrupt { offset: u64, detail: String },
    /// A record could not be encoded (a bug, or a writer error).
    #[error("cannot write record {record} of the trace: {detail}")]
    Encode { record: u64, detail: String },
}

impl TraceError {
    /// Whether this error only says the trace was cut (records before it are all valid).
    pub fn is_truncated(&self) -> bool {
        matches!(self, TraceError::Truncated { .. })
    }
}

/// Counts bytes passing through a reader or writer.
struct Counting<T> {
    inner: T,
    count: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes a trace: the header at creation, then records, then [`TraceWriter::finish`].
///
/// Output is buffered and flushed every [`TraceWriter::FLUSH_EVERY`] records or
/// [`TraceWriter::FLUSH_INTERVAL`], whichever comes first (the clock is read every
/// [`TraceWriter::CLOCK_EVERY`] records), so a killed tracer loses little; call
/// [`TraceWriter::flush`] when idle. Identical bitstream chunks are stored once
/// ([`TraceWriter::write_bitstream`]); per-frame records are stored compactly (format version 2),
/// encoded straight to bytes.
pub struct TraceWriter<W: Write> {
    out: Counting<BufWriter<W>>,
    codec: Codec,
    /// The compact record being encoded (kept for its allocation).
    record: Vec<u8>,
    totals: Totals,
    unflushed: u32,
    last_flush: Instant,
    blobs: HashMap<[u8; 32], u64>,
    next_blob: u64,
}

impl<W: Write> TraceWriter<W> {
    /// Records written between flushes at most.
    pub const FLUSH_EVERY: u32 = 256;
    /// Time between flushes at most (checked when a record is written, every
    /// [`TraceWriter::CLOCK_EVERY`] records: reading the clock per record would cost more than
    /// encoding one).
    pub const FLUSH_INTERVAL: Duration = Duration::from_millis(200);
    /// Records between two looks at the clock for [`TraceWriter::FLUSH_INTERVAL`].
    pub const CLOCK_EVERY: u32 = 16;

    /// Starts a trace on `out`: writes the magic and `header` (with this crate's format version,
    /// whatever `header` says), and flushes.
    pub fn new(out: W, header: &Header) -> Result<Self, TraceError> {
        let mut header = header.clone();
        header.format_version = FORMAT_VERSION;
        header.format_minor = FORMAT_MINOR;
        let header = &header;
        let mut w = TraceWriter {
            codec: Codec::new(header),
            record: Vec::new(),
            out: Counting {
                inner: BufWriter::with_capacity(256 * 1024, out),
                count: 0,
            },
            totals: Totals::default(),
            unflushed: 0,
            last_flush: Instant::now(),
            blobs: HashMap::new(),
            next_blob: 0,
        };
        let offset = w.out.count;
        w.out
            .write_all(&MAGIC)
            .map_err(|source| TraceError::Io { offset, source })?;
        let value = Value::serialized(header).map_err(|e| TraceError::Encode {
            record: 0,
            detail: format!("header: {e}"),
        })?;
        ciborium::into_writer(&header::compact(value), &mut w.out)
            .map_err(|e| w.encode_error(e))?;
        w.flush()?;
        Ok(w)
    }

    fn encode_error(&self, e: ciborium::ser::Error<io::Error>) -> TraceError {
        match e {
            ciborium::ser::Error::Io(source) => TraceError::Io {
                offset: self.out.count,
                source,
            },
            ciborium::ser::Error::Value(detail) => TraceError::Encode {
                record: self.totals.records,
                detail,
            },
        }
    }

    /// Appends one record. Use [`TraceWriter::finish`] for `End` and
    /// [`TraceWriter::write_bitstream`] for bitstream bytes (writing `Blob`/`Bitstream` directly
    /// works but bypasses deduplication).
    pub fn write(&mut self, record: &Record) -> Result<(), TraceError> {
        self.record.clear();
        if self.codec.encode(record, &mut self.record) {
            let offset = self.out.count;
            self.out
                .write_all(&self.record)
                .map_err(|source| TraceError::Io { offset, source })?;
        } else {
            ciborium::into_writer(record, &mut self.out).map_err(|e| self.encode_error(e))?;
        }
        let t = &mut self.totals;
        t.records += 1;
        match record {
            Record::Ioctl(_) => t.ioctls += 1,
            Record::Bitstream(b) => {
                t.bitstreams += 1;
                t.bitstream_bytes += b.len;
            }
            Record::Blob(b) => {
                t.blobs += 1;
                t.blob_bytes += b.data.len() as u64;
            }
            Record::Lost(l) => t.lost += l.count,
            _ => {}
        }
        self.unflushed += 1;
        // `%` rather than `is_multiple_of`, which needs a newer Rust than the workspace's 1.85.
        #[allow(clippy::manual_is_multiple_of)]
        if self.unflushed >= Self::FLUSH_EVERY
            || (self.unflushed % Self::CLOCK_EVERY == 0
                && self.last_flush.elapsed() >= Self::FLUSH_INTERVAL)
        {
            self.flush()?;
        }
        Ok(())
    }

    /// Returns the blob id for `data`, writing a [`Record::Blob`] first if this content is new.
    pub fn blob(&mut self, data: &[u8]) -> Result<u64, TraceError> {
        let digest: [u8; 32] = Sha256::digest(data).into();
        if let Some(&id) = self.blobs.get(&digest) {
            return Ok(id);
        }
        let id = self.next_blob;
        self.write(&Record::Blob(Blob {
            id,
            data: data.to_vec(),
        }))?;
        self.next_blob += 1;
        self.blobs.insert(digest, id);
        Ok(id)
    }

    /// Writes the bitstream bytes of one plane of the QBUF with sequence number `ioctl_seq`:
    /// a `Blob` if the content is new, then a `Bitstream` record. `len` is the length the buffer
    /// claims; `data` may be shorter if the capture was cut. Returns the blob id.
    pub fn write_bitstream(
        &mut self,
        ioctl_seq: u64,
        plane: u32,
        offset: u64,
        len: u64,
        data: &[u8],
    ) -> Result<u64, TraceError> {
        let blob = self.blob(data)?;
        self.write(&Record::Bitstream(Bitstream {
            ioctl_seq,
            plane,
            offset,
            len,
            blob,
        }))?;
        Ok(blob)
    }

    /// Flushes buffered records to the underlying writer.
    pub fn flush(&mut self) -> Result<(), TraceError> {
        let offset = self.out.count;
        self.out
            .flush()
            .map_err(|source| TraceError::Io { offset, source })?;
        self.unflushed = 0;
        self.last_flush = Instant::now();
        Ok(())
    }

    /// Counts so far.
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Bytes written so far (including buffered ones).
    pub fn bytes_written(&self) -> u64 {
        self.out.count
    }

    /// Ends the trace: writes `end` with its `totals` replaced by the writer's counts, flushes,
    /// and hands back the underlying writer.
    pub fn finish(mut self, mut end: End) -> Result<W, TraceError> {
        end.totals = self.totals;
        ciborium::into_writer(&Record::End(end), &mut self.out)
            .map_err(|e| self.encode_error(e))?;
        self.flush()?;
        let offset = self.out.count;
        self.out.inner.into_inner().map_err(|e| TraceError::Io {
            offset,
            source: e.into_error(),
        })
    }
}

/// Where a reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reading,
    /// `End` was read (or an error reported): the iterator is exhausted.
    Done,
}

/// Reads a trace one record at a time (never the whole file).
///
/// Iterating yields every whole record, then, if the trace is not complete, one error
/// ([`TraceError::Truncated`] or [`TraceError::Corrupt`]), then `None`.
pub struct TraceReader<R: Read> {
    input: Counting<BufReader<R>>,
    header: Header,
    records: u64,
    state: State,
    end: Option<End>,
    /// Bytes of the record being decoded: kept for the fallback decode (version 1), or a
    /// compact record gathered when it does not fit in what the input buffer holds.
    seen: Vec<u8>,
    /// The version-2 state (`None` for a version-1 trace).
    codec: Option<Codec>,
}

impl TraceReader<File> {
    /// Opens the trace at `path` and reads its header.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, TraceError> {
        let file = File::open(path.as_ref()).map_err(|source| TraceError::Io {
            offset: 0,
            source: io::Error::new(
                source.kind(),
                format!("{}: {source}", path.as_ref().display()),
            ),
        })?;
        TraceReader::new(file)
    }
}

/// What decoding one CBOR item gave.
enum Item {
    Value(Value),
    /// Clean end of input at an item boundary.
    Eof,
}

impl<R: Read> TraceReader<R> {
    /// Reads the magic and header from `input`.
    pub fn new(input: R) -> Result<Self, TraceError> {
        let mut input = Counting {
            inner: BufReader::with_capacity(256 * 1024, input),
            count: 0,
        };
        let mut magic = Vec::with_capacity(8);
        (&mut input)
            .take(8)
            .read_to_end(&mut magic)
            .map_err(|source| TraceError::Io { offset: 0, source })?;
        if magic != MAGIC {
            return Err(TraceError::BadMagic { found: magic });
        }
        let value = match read_item(&mut input, 0)? {
            Item::Value(v) => v,
            Item::Eof => {
                return Err(TraceError::Truncated {
                    offset: 8,
                    records: 0,
                    dangling: 0,
                });
            }
        };
        let header = header_from_value(value)?;
        let codec = (header.format_version >= 2).then(|| Codec::new(&header));
        Ok(TraceReader {
            codec,
            input,
            header,
            records: 0,
            state: State::Reading,
            end: None,
            seen: Vec::new(),
        })
    }

    /// The trace's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Byte offset of the next record.
    pub fn offset(&self) -> u64 {
        self.input.count
    }

    /// Whole records read so far (after the header).
    pub fn records_read(&self) -> u64 {
        self.records
    }

    /// The `End` record, once read: `Some` means the trace is complete.
    pub fn end(&self) -> Option<&End> {
        self.end.as_ref()
    }

    /// The next record, `None` after `End` or after an error was reported.
    pub fn next_record(&mut self) -> Option<Result<Record, TraceError>> {
        if self.state == State::Done {
            return None;
        }
        let offset = self.input.count;
        let result = self.read_record(offset);
        match result {
            Ok(record) => {
                self.records += 1;
                if let Record::End(end) = &record {
                    self.end = Some(end.clone());
                    self.state = State::Done;
                }
                Some(Ok(record))
            }
            Err(e) => {
                self.state = State::Done;
                Some(Err(e))
            }
        }
    }

    /// Decodes the record at `offset` straight into [`Record`] (the fast path), falling back to a
    /// generic decode of the same item when that fails, to tell a record kind from a newer
    /// vatrace ([`Record::Unknown`]) from a damaged record.
    fn read_record(&mut self, offset: u64) -> Result<Record, TraceError> {
        if self.codec.is_some() {
            return self.read_record_v2(offset);
        }
        match self.input.inner.fill_buf() {
            Ok([]) => {
                return Err(TraceError::Truncated {
                    offset,
                    records: self.records,
                    dangling: 0,
                })
            }
            Ok(_) => {}
            Err(source) => return Err(TraceError::Io { offset, source }),
        }
        self.seen.clear();
        let mut tee = Tee {
            inner: &mut self.input,
            seen: &mut self.seen,
        };
        let direct =
            ciborium::de::from_reader_with_recursion_limit::<Record, _>(&mut tee, RECURSION_LIMIT);
        match direct {
            Ok(record) => Ok(record),
            Err(ciborium::de::Error::Semantic(..)) => {
                // Replay the bytes already consumed, then the rest of the item, as a generic value.
                let seen = std::mem::take(&mut self.seen);
                let chained = (&seen[..]).chain(&mut self.input);
                let generic = ciborium::de::from_reader_with_recursion_limit::<Value, _>(
                    chained,
                    RECURSION_LIMIT,
                );
                self.seen = seen;
                match generic {
                    Ok(value) => record_from_value(value, offset),
                    Err(e) => Err(item_error(e, offset, self.input.count, self.records)),
                }
            }
            Err(e) => Err(item_error(e, offset, self.input.count, self.records)),
        }
    }

    /// Decodes the version-2 item at `offset`: a compact record (resolved against the state the
    /// records before it built) or a record stored as in version 1.
    fn read_record_v2(&mut self, offset: u64) -> Result<Record, TraceError> {
        let first = match self.input.inner.fill_buf() {
            Ok([]) => {
                return Err(TraceError::Truncated {
                    offset,
                    records: self.records,
                    dangling: 0,
                })
            }
            Ok(buf) => buf[0],
            Err(source) => return Err(TraceError::Io { offset, source }),
        };
        if first >> 5 != item::ARRAY {
            return match read_item(&mut self.input, self.records)? {
                Item::Value(v) => record_from_value(v, offset),
                Item::Eof => unreachable!("the input held a byte"),
            };
        }
        // A compact record: found whole (in the input buffer, else gathered in `seen`) before
        // the codec sees it, so a cut one leaves the codec as it was (see `try_next_growing`).
        let records = self.records;
        let codec = self.codec.as_mut().expect("version 2");
        let corrupt = |detail: String| TraceError::Corrupt {
            offset,
            detail: format!("record {records}: {detail}"),
        };
        let malformed = |e: item::Malformed| match e.what {
            item::TOO_DEEP => TraceError::Corrupt {
                offset,
                detail: format!("nested deeper than {RECURSION_LIMIT} levels"),
            },
            what => TraceError::Corrupt {
                offset,
                detail: format!("invalid CBOR at byte {}: {what}", offset + e.at as u64),
            },
        };
        let buf = self.input.inner.buffer();
        let need = match item::extent(buf, 0, RECURSION_LIMIT).map_err(malformed)? {
            Scan::Done(len) => {
                let record = codec.decode(&buf[..len]).map_err(corrupt);
                self.input.inner.consume(len);
                self.input.count += len as u64;
                return record;
            }
            Scan::Need(need) => need,
        };
        self.seen.clear();
        let mut need = need;
        let len = loop {
            let missing = (need - self.seen.len()) as u64;
            let read = (&mut self.input)
                .take(missing)
                .read_to_end(&mut self.seen)
                .map_err(|source| TraceError::Io {
                    offset: self.input.count,
                    source,
                })?;
            if (read as u64) < missing {
                return Err(TraceError::Truncated {
                    offset,
                    records,
                    dangling: self.input.count - offset,
                });
            }
            match item::extent(&self.seen, 0, RECURSION_LIMIT).map_err(malformed)? {
                Scan::Done(len) => break len,
                Scan::Need(more) => need = more,
            }
        };
        let record = codec.decode(&self.seen[..len]).map_err(corrupt);
        if self.seen.capacity() > SEEN_KEPT {
            self.seen = Vec::new();
        }
        record
    }

    /// After `End`: whether bytes follow it (a sign of a damaged or concatenated file).
    pub fn has_trailing_data(&mut self) -> bool {
        self.end.is_some()
            && self
                .input
                .inner
                .fill_buf()
                .map(|b| !b.is_empty())
                .unwrap_or(false)
    }
}

impl<R: Read + Seek> TraceReader<R> {
    /// For a trace that is still being written (a live file): the next record if it is whole;
    /// `Ok(None)` if the input currently ends before the next record does, in which case the
    /// reader rewinds to that record's start so a later call picks it up once written, or if
    /// the trace is complete ([`TraceReader::end`] is then `Some`). Corruption is still an error.
    pub fn try_next_growing(&mut self) -> Result<Option<Record>, TraceError> {
        let offset = self.input.count;
        match self.next_record() {
            Some(Ok(r)) => Ok(Some(r)),
            Some(Err(TraceError::Truncated { .. })) => {
                self.input
                    .inner
                    .seek(SeekFrom::Start(offset))
                    .map_err(|source| TraceError::Io { offset, source })?;
                self.input.count = offset;
                self.state = State::Reading;
                Ok(None)
            }
            Some(Err(e)) => Err(e),
            None => Ok(None),
        }
    }
}

impl<R: Read> Iterator for TraceReader<R> {
    type Item = Result<Record, TraceError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_record()
    }
}

/// Decodes one CBOR item, telling a clean end of input from a cut item.
fn read_item<R: Read>(
    input: &mut Counting<BufReader<R>>,
    records: u64,
) -> Result<Item, TraceError> {
    let offset = input.count;
    match input.inner.fill_buf() {
        Ok([]) => return Ok(Item::Eof),
        Ok(_) => {}
        Err(source) => return Err(TraceError::Io { offset, source }),
    }
    match ciborium::de::from_reader_with_recursion_limit::<Value, _>(&mut *input, RECURSION_LIMIT) {
        Ok(v) => Ok(Item::Value(v)),
        Err(e) => Err(item_error(e, offset, input.count, records)),
    }
}

/// Copies every byte read into `seen`.
struct Tee<'a, R> {
    inner: &'a mut R,
    seen: &'a mut Vec<u8>,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// The [`TraceError`] for a decode error of the item that starts at `offset`, the input being
/// at `now`.
fn item_error(
    e: ciborium::de::Error<io::Error>,
    offset: u64,
    now: u64,
    records: u64,
) -> TraceError {
    match e {
        ciborium::de::Error::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            TraceError::Truncated {
                offset,
                records,
                dangling: now - offset,
            }
        }
        ciborium::de::Error::Io(source) => TraceError::Io {
            offset: now,
            source,
        },
        ciborium::de::Error::Syntax(at) => TraceError::Corrupt {
            offset,
            detail: format!("invalid CBOR at byte {}", offset + at as u64),
        },
        ciborium::de::Error::Semantic(at, msg) => TraceError::Corrupt {
            offset,
            detail: match at {
                Some(at) => format!("{msg} at byte {}", offset + at as u64),
                None => msg,
            },
        },
        ciborium::de::Error::RecursionLimitExceeded => TraceError::Corrupt {
            offset,
            detail: format!("nested deeper than {RECURSION_LIMIT} levels"),
        },
    }
}

fn header_from_value(value: Value) -> Result<Header, TraceError> {
    let corrupt = |detail: String| TraceError::Corrupt { offset: 8, detail };
    let Some(map) = value.as_map() else {
        return Err(corrupt("the header is not a CBOR map".into()));
    };
    let version = map
        .iter()
        .find(|(k, _)| k.as_text() == Some("format_version"))
        .and_then(|(_, v)| v.as_integer())
        .and_then(|i| u32::try_from(i).ok())
        .ok_or_else(|| corrupt("the header has no format_version".into()))?;
    if version > FORMAT_VERSION {
        return Err(TraceError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if version == 0 {
        return Err(corrupt("format_version 0 is not a valid version".into()));
    }
    let value = if version >= 2 {
        header::expand(value).map_err(|e| corrupt(format!("bad header: {e}")))?
    } else {
        value
    };
    value
        .deserialized::<Header>()
        .map_err(|e| corrupt(format!("bad header: {e}")))
}

fn record_from_value(value: Value, offset: u64) -> Result<Record, TraceError> {
    // An externally tagged variant: a map of one entry, or a bare string for unit variants.
    let tag = match &value {
        Value::Map(m) if m.len() == 1 => m[0].0.as_text().map(str::to_string),
        Value::Text(t) => Some(t.clone()),
        _ => None,
    };
    let Some(tag) = tag else {
        return Err(TraceError::Corrupt {
            offset,
            detail: "expected a record (a map with one variant name)".into(),
        });
    };
    if !RECORD_TAGS.contains(&tag.as_str()) {
        if tag == "Unknown" || tag.is_empty() || !tag.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(TraceError::Corrupt {
                offset,
                detail: format!("invalid record kind {tag:?}"),
            });
        }
        return Ok(Record::Unknown { tag });
    }
    value
        .deserialized::<Record>()
        .map_err(|e| TraceError::Corrupt {
            offset,
            detail: format!("bad {tag} record: {e}"),
        })
}

/// Reads a whole trace held in memory; convenience for tests and small tools.
pub fn read_all(bytes: &[u8]) -> Result<(Header, Vec<Record>, Option<TraceError>), TraceError> {
    let mut reader = TraceReader::new(bytes)?;
    let mut records = Vec::new();
    let mut error = None;
    for r in &mut reader {
        match r {
            Ok(r) => records.push(r),
            Err(e) => error = Some(e),
        }
    }
    Ok((reader.header.clone(), records, error))
}

#[cfg(test)]
mod tests;
