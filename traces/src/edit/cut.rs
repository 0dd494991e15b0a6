//! `vatrace cut`: a shorter valid trace chosen by range, without search.
//!
//! * `--frames A..B`: every frame outside the range goes (frames as [`super::units`] groups
//!   them: controls, QBUFs, QUEUE, polls, DQBUFs, REINIT), with whatever needed only what went
//!   ([`super::Deps::close`]); set-up and tear-down stay.
//! * `--seq A..B`: the ioctls with sequence numbers in the range, the other calls made while they
//!   ran, and everything they need from before ([`super::Deps::add_needs`]: opens, request
//!   allocations, REQBUFS, QUERYBUF + mmap, STREAMON, formats).
//!
//! Ranges are Rust's: `A..B` (B excluded), `A..=B`, `A..`, `..B`; frames count from 0, as
//! `vatrace check` numbers them.

use std::fmt;
use std::str::FromStr;

use crate::record::Record;

use super::{units, Deps};

/// A half-open range `[start, end)`; `end` `None` is unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: u64,
    pub end: Option<u64>,
}

impl Span {
    pub fn contains(&self, n: u64) -> bool {
        n >= self.start && self.end.is_none_or(|e| n < e)
    }
}

impl FromStr for Span {
    type Err = String;
    fn from_str(s: &str) -> Result<Span, String> {
        let bad = || format!("{s:?} is not a range: write A..B (B excluded), A..=B, A.. or ..B");
        let (a, b) = s.split_once("..").ok_or_else(bad)?;
        let num = |t: &str| t.trim().parse::<u64>().map_err(|_| bad());
        let start = if a.trim().is_empty() { 0 } else { num(a)? };
        let end = match b.strip_prefix('=') {
            Some(b) => Some(num(b)? + 1),
            None if b.trim().is_empty() => None,
            None => Some(num(b)?),
        };
        if end.is_some_and(|e| e <= start) {
            return Err(format!("the range {s:?} is empty"));
        }
        Ok(Span { start, end })
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.end {
            Some(e) => write!(f, "{}..{}", self.start, e),
            None => write!(f, "{}..", self.start),
        }
    }
}

/// What to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Frames (OUTPUT QBUFs, from 0) in the span.
    Frames(Span),
    /// Ioctls whose sequence numbers are in the span.
    Seq(Span),
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selection::Frames(s) => write!(f, "--frames {s}"),
            Selection::Seq(s) => write!(f, "--seq {s}"),
        }
    }
}

/// Which records of `records` a cut to `sel` keeps.
pub fn cut(records: &[Record], deps: &Deps, sel: Selection) -> Vec<bool> {
    let mut keep = vec![true; records.len()];
    match sel {
        Selection::Frames(span) => {
            for (k, f) in keep.iter_mut().zip(units::frames(records, deps)) {
                if f.is_some_and(|f| !span.contains(f)) {
                    *k = false;
                }
            }
        }
        Selection::Seq(span) => {
            let in_span = |r: &Record| matches!(r, Record::Ioctl(io) if span.contains(io.seq));
            let first = records.iter().position(in_span);
            let last = records.iter().rposition(in_span);
            for (i, (k, r)) in keep.iter_mut().zip(records).enumerate() {
                let within = first.is_some_and(|a| i >= a) && last.is_some_and(|b| i <= b);
                *k = match r {
                    Record::Ioctl(io) => span.contains(io.seq),
                    Record::Open(_)
                    | Record::Close(_)
                    | Record::Dup(_)
                    | Record::Mmap(_)
                    | Record::Munmap(_)
                    | Record::Poll(_) => within,
                    // Bitstreams follow their QBUF (dropped below with it).
                    _ => true,
                };
            }
            // Fork/exec/exit/device records stay; what the kept calls need comes back.
            let mut needed = keep.clone();
            for (n, r) in needed.iter_mut().zip(records) {
                if matches!(r, Record::Bitstream(_)) {
                    *n = false;
                }
            }
            deps.add_needs(&mut needed);
            for (k, n) in keep.iter_mut().zip(needed) {
                *k |= n;
            }
        }
    }
    deps.close(&mut keep);
    keep
}
