//! Per-second rates over trace time (not wall-clock time, so a trace played back at any speed
//! shows the rates it was recorded with): frames/s, ioctls/s, errors/s and queue depth.

use std::collections::VecDeque;

/// What happened during one second of trace time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SecondStats {
    /// Seconds since the first timestamped record.
    pub sec: u64,
    /// Successful OUTPUT QBUFs (bitstream buffers submitted: frames or slices in).
    pub output_qbufs: u32,
    /// Successful CAPTURE DQBUFs (decoded frames out).
    pub capture_dqbufs: u32,
    /// Ioctls of any kind.
    pub ioctls: u32,
    /// Failed ioctls.
    pub errors: u32,
    /// Most buffers busy (queued or in a request) at once, over all contexts.
    pub depth_max: u32,
}

/// A ring of the last `cap` seconds.
#[derive(Debug, Clone)]
pub struct Rates {
    ring: VecDeque<SecondStats>,
    cap: usize,
    base_ns: Option<u64>,
}

impl Rates {
    pub fn new(cap: usize) -> Self {
        Rates {
            ring: VecDeque::with_capacity(cap.max(1)),
            cap: cap.max(1),
            base_ns: None,
        }
    }

    /// Counts seconds from `ts` (the trace's first timestamp); otherwise from the first `at`.
    pub fn start(&mut self, ts: u64) {
        if self.ring.is_empty() {
            self.base_ns = Some(ts);
        }
    }

    /// The bucket of trace time `ts`, opening empty seconds up to it. Timestamps going backward
    /// (several CPUs) land in the newest bucket.
    pub fn at(&mut self, ts: u64, depth: u32) -> &mut SecondStats {
        let base = *self.base_ns.get_or_insert(ts);
        let sec = ts.saturating_sub(base) / 1_000_000_000;
        let last = self.ring.back().map(|s| s.sec);
        match last {
            Some(l) if sec <= l => {}
            _ => {
                let from = match last {
                    Some(l) => (l + 1).max(sec.saturating_sub(self.cap as u64 - 1)),
                    None => sec,
                };
                for s in from..=sec {
                    if self.ring.len() == self.cap {
                        self.ring.pop_front();
                    }
                    // An empty second still had the depth the queues were left with.
                    self.ring.push_back(SecondStats {
                        sec: s,
                        depth_max: depth,
                        ..Default::default()
                    });
                }
            }
        }
        // The ring is never empty here.
        let back = self.ring.len() - 1;
        &mut self.ring[back]
    }

    /// The seconds held, oldest first.
    pub fn seconds(&self) -> impl DoubleEndedIterator<Item = &SecondStats> + ExactSizeIterator {
        self.ring.iter()
    }

    /// The last `n` seconds, oldest first.
    pub fn last(&self, n: usize) -> Vec<SecondStats> {
        let skip = self.ring.len().saturating_sub(n);
        self.ring.iter().skip(skip).copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_gaps_and_caps() {
        let mut r = Rates::new(4);
        r.at(0, 0).ioctls += 1;
        r.at(500_000_000, 0).ioctls += 1;
        r.at(2_100_000_000, 3).ioctls += 1;
        let v = r.last(10);
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].ioctls, 2);
        assert_eq!(v[1].ioctls, 0);
        assert_eq!(v[2].depth_max, 3);
        r.at(100_000_000_000, 0);
        assert_eq!(r.last(10).len(), 4);
        assert_eq!(r.last(10)[3].sec, 100);
    }
}
