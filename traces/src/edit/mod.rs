//! Trace editing that keeps a trace valid: the units a trace can lose ([`units`]), what each
//! record needs kept ([`deps`]), writing the kept records as a new trace ([`write`]), and
//! `vatrace cut`'s selection by frame or sequence range ([`cut`]). `vatrace minimize` (the
//! `minimize` crate) searches over the same units with replay as the judge.

pub mod cut;
pub mod deps;
pub mod units;
pub mod write;

#[cfg(test)]
mod tests;

use std::path::Path;

use crate::record::{End, Header, Record};
use crate::stream::{TraceError, TraceReader};

pub use cut::{cut, Selection};
pub use deps::Deps;
pub use units::{levels, Unit, UnitKind};
pub use write::write_kept;

/// A whole trace in memory: what editing works on.
#[derive(Debug, Clone)]
pub struct Trace {
    pub header: Header,
    /// Every record after the header, in order, `End` left out.
    pub records: Vec<Record>,
    /// The `End` record; `None` for a trace that was cut.
    pub end: Option<End>,
}

impl Trace {
    /// Reads the trace at `path`. A cut trace (no `End`) is read up to its cut; a damaged one is
    /// an error.
    pub fn read(path: impl AsRef<Path>) -> Result<Trace, TraceError> {
        Trace::from_reader(TraceReader::open(path)?)
    }

    /// Reads a whole trace from a reader.
    pub fn from_reader<R: std::io::Read>(mut reader: TraceReader<R>) -> Result<Trace, TraceError> {
        let mut records = Vec::new();
        let mut end = None;
        for r in &mut reader {
            match r {
                Ok(Record::End(e)) => end = Some(e),
                Ok(r) => records.push(r),
                Err(e) if e.is_truncated() => break,
                Err(e) => return Err(e),
            }
        }
        Ok(Trace {
            header: reader.header().clone(),
            records,
            end,
        })
    }

    /// The ioctls among the kept records.
    pub fn ioctls(&self, keep: &[bool]) -> u64 {
        self.records
            .iter()
            .zip(keep)
            .filter(|(r, k)| **k && matches!(r, Record::Ioctl(_)))
            .count() as u64
    }

    /// The dependency analysis of this trace's records.
    pub fn deps(&self) -> Deps {
        Deps::of(&self.records)
    }
}
