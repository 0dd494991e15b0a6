//! `vatrace export`: a trace as a timeline for other tools and as a picture.
//!
//! * [`Format::Perfetto`]: Perfetto's native protobuf trace (TrackEvent): a track per thread with
//!   a slice per ioctl/poll (decoded fields as args, errors marked), a track per media request and
//!   per OUTPUT/CAPTURE buffer index with their states as slices, counters (requests in flight,
//!   CAPTURE buffers queued and held, frames per second), flows following each frame from
//!   S_EXT_CTRLS to the DQBUF of its CAPTURE buffer, instants for lost events and `check`
//!   findings, and a "driver" track per process with the libva driver's probe records
//!   (`Record::Probe`: slot acquire/release/force-release/dead, CAPTURE alloc/drain/free) as
//!   instants, args as `traces::probe` names them ([`perfetto`]);
//! * [`Format::Json`]: the same as Chrome trace-event JSON ([`chrome`]);
//! * [`Format::Svg`] / [`Format::Png`]: pool occupancy over time (with the driver's
//!   force-released and dead slots marked on their request lanes) and a frame-latency histogram
//!   ([`picture`]).
//!
//! Everything is built by [`builder::Builder`] from `traces`' own models (the pool model inside
//! the [`traces::check::Checker`], the ioctl decoders, the dump's JSON of each call), one record
//! at a time, into a [`timeline::Sink`]; the Perfetto and JSON writers stream, so memory is what
//! is in flight, not the trace's length.
#![forbid(unsafe_code)]

pub mod builder;
pub mod chrome;
pub mod cli;
pub mod perfetto;
pub mod picture;
pub mod timeline;

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::Context as _;
use traces::{Header, Record, RecordSource, TraceReader};

pub use builder::{Builder, Stats};

/// What `vatrace export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Perfetto,
    Json,
    Svg,
    Png,
}

/// Runs every record of `source` through a [`Builder`] into `sink`; returns the sink and counts.
/// A cut trace (no `End`) is exported up to its last record, its open slices closed there.
pub fn build<S: timeline::Sink>(
    source: &mut dyn RecordSource,
    sink: S,
) -> anyhow::Result<(S, Stats)> {
    let header: Header = source.header().clone();
    let mut b = Builder::new(&header, sink);
    let mut cut = None;
    while let Some(r) = source.next_record() {
        match r {
            Ok(rec) => b.apply(&rec)?,
            Err(e) if e.is_truncated() => {
                cut = Some(e.to_string());
                break;
            }
            Err(e) => return Err(e).context("reading the trace"),
        }
    }
    b.finish(cut.as_deref())
}

/// Exports records held in memory (tests, benchmarks) into `sink`.
pub fn build_records<'a, S: timeline::Sink>(
    header: &Header,
    records: impl IntoIterator<Item = &'a Record>,
    sink: S,
) -> anyhow::Result<(S, Stats)> {
    let mut b = Builder::new(header, sink);
    for r in records {
        b.apply(r)?;
    }
    b.finish(None)
}

/// Exports the trace file `trace` as `format` into `out`.
pub fn export_file(trace: &Path, format: Format, out: &Path) -> anyhow::Result<Stats> {
    let mut reader = TraceReader::open(trace).with_context(|| {
        format!(
            "{}: not a readable vatrace trace (record one with `vatrace record`)",
            trace.display()
        )
    })?;
    let create = || {
        File::create(out).map(BufWriter::new).with_context(|| {
            format!(
                "cannot create {} (does its directory exist?)",
                out.display()
            )
        })
    };
    let stats = match format {
        Format::Perfetto => build(&mut reader, perfetto::PerfettoSink::new(create()?))?.1,
        Format::Json => build(&mut reader, chrome::ChromeSink::new(create()?))?.1,
        Format::Svg | Format::Png => {
            let (pic, stats) = build(&mut reader, picture::PictureSink::new())?;
            pic.draw(out, format == Format::Png)?;
            stats
        }
    };
    Ok(stats)
}
