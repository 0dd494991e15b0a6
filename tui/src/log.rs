//! The event log: records kept for display (all of them for a file, the newest `capacity` live),
//! addressed by absolute index, and an incremental filter that formats each record at most once
//! while a filter is set (so an unfiltered log costs nothing until lines are drawn).

use std::collections::VecDeque;

use traces::pool::describe;
use traces::Record;

/// Records scanned backward at most when a filter is set or changed.
pub const FILTER_SCAN_LIMIT: u64 = 200_000;

/// Stored records, oldest first.
#[derive(Debug, Default)]
pub struct Log {
    records: VecDeque<Record>,
    /// Absolute index of `records[0]`.
    base: u64,
    capacity: Option<usize>,
    filter: Option<FilterCache>,
}

#[derive(Debug)]
struct FilterCache {
    needle: String,
    /// Absolute indices of matching records, ascending.
    matches: VecDeque<u64>,
    /// Records `[.., scanned)` have been tested.
    scanned: u64,
}

impl Log {
    /// A log keeping at most `capacity` records (`None`: all).
    pub fn new(capacity: Option<usize>) -> Self {
        Log {
            records: VecDeque::new(),
            base: 0,
            capacity,
            filter: None,
        }
    }

    /// A log holding all of `records`.
    pub fn from_records(records: Vec<Record>) -> Self {
        Log {
            records: records.into(),
            base: 0,
            capacity: None,
            filter: None,
        }
    }

    /// The records of a file log (built by [`Log::from_records`], never pushed to) as one slice;
    /// for a ring that wrapped, only its first contiguous part.
    pub fn as_slice(&self) -> &[Record] {
        self.records.as_slices().0
    }

    pub fn push(&mut self, r: Record) {
        if let Some(cap) = self.capacity {
            if self.records.len() >= cap.max(1) {
                self.records.pop_front();
                self.base += 1;
            }
        }
        self.records.push_back(r);
    }

    /// One past the absolute index of the newest record.
    pub fn end(&self) -> u64 {
        self.base + self.records.len() as u64
    }

    /// Absolute index of the oldest record kept.
    pub fn start(&self) -> u64 {
        self.base
    }

    pub fn get(&self, abs: u64) -> Option<&Record> {
        abs.checked_sub(self.base)
            .and_then(|i| self.records.get(i as usize))
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The filter text, if one is set.
    pub fn filter(&self) -> Option<&str> {
        self.filter.as_ref().map(|f| f.needle.as_str())
    }

    /// Sets (non-empty) or clears the filter: a case-insensitive substring of the log line.
    pub fn set_filter(&mut self, text: &str) {
        let t = text.trim();
        self.filter = (!t.is_empty()).then(|| FilterCache {
            needle: t.to_lowercase(),
            matches: VecDeque::new(),
            scanned: 0,
        });
    }

    /// The absolute indices of the last `rows` records shown when the view ends at `end`
    /// (oldest first), applying the filter.
    pub fn visible(&mut self, end: u64, rows: usize) -> Vec<u64> {
        let end = end.min(self.end());
        let start = self.base;
        let Some(f) = self.filter.as_mut() else {
            let from = end.saturating_sub(rows as u64).max(start);
            return (from..end).collect();
        };
        while f.matches.front().is_some_and(|&m| m < start) {
            f.matches.pop_front();
        }
        if f.scanned > end {
            while f.matches.back().is_some_and(|&m| m >= end) {
                f.matches.pop_back();
            }
            f.scanned = end;
        }
        let from = f
            .scanned
            .max(start)
            .max(end.saturating_sub(FILTER_SCAN_LIMIT));
        if from > f.scanned {
            // Records before `from` were never tested: forget older matches to stay ordered.
            f.matches.retain(|&m| m < f.scanned);
        }
        let mut line = String::with_capacity(160);
        for abs in from..end {
            if let Some(r) = abs
                .checked_sub(self.base)
                .and_then(|i| self.records.get(i as usize))
            {
                line.clear();
                describe::write_describe(&mut line, r);
                if contains_ignore_case(&line, &f.needle) {
                    f.matches.push_back(abs);
                }
            }
        }
        f.scanned = f.scanned.max(end);
        let n = f.matches.len();
        f.matches
            .iter()
            .skip(n.saturating_sub(rows))
            .copied()
            .collect()
    }
}

/// Whether `hay` contains `needle` (already lower-case), ASCII case-insensitively.
fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    n.is_empty()
        || h.windows(n.len())
            .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b))
}

/// The log line of `r`: seconds since `t0`, then the record's description.
pub fn line(r: &Record, t0: u64) -> String {
    let d = describe::describe(r);
    match r.ts() {
        Some(ts) => {
            let rel = ts.saturating_sub(t0);
            format!(
                "{:>4}.{:06} {d}",
                rel / 1_000_000_000,
                (rel % 1_000_000_000) / 1000
            )
        }
        None => format!("{:>11} {d}", ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use traces::pool::synth::Synth;

    #[test]
    fn ring_and_filter() {
        let mut s = Synth::new(1, 0);
        let mut log = Log::new(Some(5));
        for i in 0..8 {
            log.push(s.request_queue(10 + (i % 2), 0));
        }
        assert_eq!((log.start(), log.end()), (3, 8));
        assert_eq!(log.visible(8, 3), vec![5, 6, 7]);
        log.set_filter("fd=11");
        assert_eq!(log.visible(8, 10), vec![3, 5, 7]);
        log.push(s.request_queue(11, 0));
        assert_eq!(log.visible(9, 2), vec![7, 8]);
        // Seeking back (file player) drops later matches.
        assert_eq!(log.visible(6, 10), vec![5]);
        log.set_filter("");
        assert_eq!(log.visible(9, 2), vec![7, 8]);
    }
}
