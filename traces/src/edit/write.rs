//! Writes the kept records of a trace as a new, valid trace through the ordinary
//! [`TraceWriter`]: the header (with [`Derivation`] saying where it came from), every kept record
//! in its original order with its original sequence numbers (so a finding, a replay report or an
//! `--inject @SEQ` of the small trace names the same calls as in the big one), the bitstream of
//! each kept QBUF stored again (blobs only for what is kept, deduplicated, renumbered), and an
//! `End` (the source's, totals recounted).
//!
//! Fds and buffer indices are kept as recorded: replay maps recorded fd numbers to its own (a
//! removed request leaves a gap in the numbers, not a hole in the replay), and removing calls
//! never removes the `REQBUFS` a kept buffer index comes from ([`super::Deps`]), so every kept
//! index is still allocated.

use std::collections::HashMap;
use std::io::Write;

use crate::record::{Derivation, End, EndReason, Record, Totals};
use crate::stream::{TraceError, TraceWriter};

use super::Trace;

/// Writes the records of `trace` whose `keep` entry is true to `out`, with `derived` in the
/// header. Returns the written trace's totals.
pub fn write_kept<W: Write>(
    trace: &Trace,
    keep: &[bool],
    derived: Option<Derivation>,
    out: W,
) -> Result<Totals, TraceError> {
    let mut header = trace.header.clone();
    if let Some(mut d) = derived {
        d.parent = header.derived.take().map(Box::new);
        header.derived = Some(d);
    }
    let blobs: HashMap<u64, &[u8]> = trace
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Blob(b) => Some((b.id, b.data.as_slice())),
            _ => None,
        })
        .collect();
    let mut w = TraceWriter::new(out, &header)?;
    let mut last_ts = header.start_monotonic_ns;
    for (r, _) in trace
        .records
        .iter()
        .zip(keep)
        .filter(|(r, k)| **k && !matches!(r, Record::Blob(_) | Record::End(_)))
    {
        last_ts = r.ts().unwrap_or(last_ts).max(last_ts);
        match r {
            Record::Bitstream(b) => {
                let data = blobs.get(&b.blob).copied().unwrap_or(&[]);
                w.write_bitstream(b.ioctl_seq, b.plane, b.offset, b.len, data)?;
            }
            _ => w.write(r)?,
        }
    }
    let end = trace.end.clone().unwrap_or_else(|| {
        let mut e = End::new(last_ts, EndReason::Interrupted);
        e.message = Some("made from a trace without an End record".into());
        e
    });
    let totals = w.totals();
    w.finish(end)?;
    Ok(totals)
}
