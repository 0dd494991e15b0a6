//! Playback of a recorded trace: a position in the record list, a trace-time clock advancing at
//! a chosen speed, stepping, and seeking in both directions (backward from model checkpoints
//! taken every [`CHECKPOINT_EVERY`] records, since the model only moves forward).

use std::time::Duration;

use traces::pool::PoolModel;
use traces::Record;

/// Records between two model checkpoints.
pub const CHECKPOINT_EVERY: usize = 4096;
/// An idle stretch of the trace longer than this (trace time) is skipped during playback.
pub const MAX_IDLE_NS: u64 = 2_000_000_000;

/// Where playback is.
#[derive(Debug, Clone)]
pub struct Player {
    /// Records applied so far (`records[..pos]`).
    pub pos: usize,
    /// Trace time playback has reached.
    pub clock: u64,
    /// Speed factor (1.0 = as recorded).
    pub speed: f64,
    pub paused: bool,
    checkpoints: Vec<(usize, PoolModel)>,
}

/// The timestamp of `records[i]`, or of the nearest earlier record that has one.
fn ts_at(records: &[Record], i: usize) -> Option<u64> {
    records
        .get(..=i)
        .unwrap_or(records)
        .iter()
        .rev()
        .take(64)
        .find_map(Record::ts)
}

impl Player {
    pub fn new(records: &[Record], start: PoolModel, speed: f64, paused: bool) -> Self {
        let clock = records.iter().find_map(Record::ts).unwrap_or(0);
        Player {
            pos: 0,
            clock,
            speed,
            paused,
            checkpoints: vec![(0, start)],
        }
    }

    /// Applies `records[pos]` and moves on; false at the end.
    pub fn step(&mut self, records: &[Record], model: &mut PoolModel) -> bool {
        let Some(r) = records.get(self.pos) else {
            return false;
        };
        model.apply(r);
        self.pos += 1;
        if let Some(ts) = r.ts() {
            self.clock = self.clock.max(ts);
        }
        if self
            .checkpoints
            .last()
            .is_some_and(|(p, _)| self.pos >= p + CHECKPOINT_EVERY)
        {
            self.checkpoints.push((self.pos, model.clone()));
        }
        true
    }

    /// Advances the clock by `elapsed` wall time at the current speed and applies every record
    /// due by then (at most `budget`). Returns how many were applied.
    pub fn advance(
        &mut self,
        elapsed: Duration,
        records: &[Record],
        model: &mut PoolModel,
        budget: usize,
    ) -> usize {
        if self.paused || self.pos >= records.len() {
            return 0;
        }
        let add = (elapsed.as_nanos() as f64 * self.speed).min(u64::MAX as f64 / 4.0) as u64;
        self.clock = self.clock.saturating_add(add);
        if let Some(next) = records[self.pos].ts() {
            if next > self.clock.saturating_add(MAX_IDLE_NS) {
                self.clock = next - MAX_IDLE_NS;
            }
        }
        let mut n = 0;
        while n < budget {
            let Some(r) = records.get(self.pos) else {
                break;
            };
            if r.ts().is_some_and(|ts| ts > self.clock) {
                break;
            }
            self.step(records, model);
            n += 1;
        }
        n
    }

    /// Moves to `target` (records applied), rebuilding the model from a checkpoint if backward.
    pub fn seek(&mut self, target: usize, records: &[Record], model: &mut PoolModel) {
        let target = target.min(records.len());
        if target < self.pos {
            let (p, m) = self
                .checkpoints
                .iter()
                .rev()
                .find(|(p, _)| *p <= target)
                .cloned()
                .unwrap_or_else(|| self.checkpoints[0].clone());
            *model = m;
            self.pos = p;
        }
        while self.pos < target {
            self.step(records, model);
        }
        if self.pos > 0 {
            if let Some(ts) = ts_at(records, self.pos - 1) {
                self.clock = ts;
            }
        } else {
            self.clock = records.iter().find_map(Record::ts).unwrap_or(0);
        }
    }

    /// Moves by `delta_ns` of trace time (backward if negative).
    pub fn seek_time(&mut self, delta_ns: i64, records: &[Record], model: &mut PoolModel) {
        let target_ts = if delta_ns >= 0 {
            self.clock.saturating_add(delta_ns as u64)
        } else {
            self.clock.saturating_sub(delta_ns.unsigned_abs())
        };
        let target = records.partition_point(|r| r.ts().is_none_or(|ts| ts <= target_ts));
        let target = if delta_ns < 0 {
            target.min(self.pos.saturating_sub(1))
        } else {
            target.max(self.pos + 1)
        };
        self.seek(target, records, model);
        self.clock = target_ts.max(self.clock.min(target_ts));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use traces::dump::FdNames;
    use traces::pool::synth;

    #[test]
    fn seek_back_rebuilds_the_same_model() {
        let (h, recs) = synth::leak_and_ebusy();
        let mut m = PoolModel::with_header(&h);
        let mut p = Player::new(&recs, m.clone(), 1.0, false);
        p.seek(recs.len(), &recs, &mut m);
        let at_end = m.snapshot(None, 10, 10);
        p.seek(10, &recs, &mut m);
        assert_eq!(p.pos, 10);
        assert_eq!(m.totals().records, 10);
        assert!(m.fd_label(synth::sample::PID, 3).contains("/dev/video0"));
        p.seek(recs.len(), &recs, &mut m);
        assert_eq!(m.snapshot(None, 10, 10), at_end);
    }

    #[test]
    fn playback_follows_the_clock() {
        let (h, recs) = synth::leak_and_ebusy();
        let mut m = PoolModel::with_header(&h);
        let mut p = Player::new(&recs, m.clone(), 1.0, false);
        let n = p.advance(Duration::from_millis(1), &recs, &mut m, usize::MAX);
        assert!(n > 0 && n < recs.len());
        p.speed = 1000.0;
        for _ in 0..100 {
            p.advance(Duration::from_millis(10), &recs, &mut m, usize::MAX);
        }
        assert_eq!(p.pos, recs.len());
    }
}
