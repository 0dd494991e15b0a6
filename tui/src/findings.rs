//! The findings panel's data: `traces::check` findings as they arise, and which one is selected.
//!
//! Live, every record goes through [`traces::check::Rules`] on the TUI's own pool model (the
//! model is applied once per record, by the rules), and findings are drained as they are made. A
//! file is checked once when it is loaded (the same streaming rules, over its records in order);
//! playback then shows the findings made at or before the position reached, so they appear as the
//! trace plays. No rule is written here: this module only keeps and selects what `check` found.

use traces::check::{Checker, Finding, Rules, Severity};
use traces::pool::PoolModel;
use traces::{Header, Record};

/// Findings and the selection.
#[derive(Default)]
pub struct Findings {
    /// Every finding so far, by record index (ascending).
    all: Vec<Finding>,
    /// Live only: the rules the records go through.
    rules: Option<Rules>,
    /// The selected finding (an index into [`Findings::shown`]); `None`: follow the newest.
    pub selected: Option<usize>,
    /// Live: the end-of-trace rules have run.
    ended: bool,
}

impl std::fmt::Debug for Findings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Findings")
            .field("all", &self.all.len())
            .field("live", &self.rules.is_some())
            .field("selected", &self.selected)
            .finish()
    }
}

impl Findings {
    /// For a live source: records are checked as [`Findings::ingest`] applies them.
    pub fn live(header: &Header) -> Self {
        Findings {
            all: Vec::new(),
            rules: Some(Rules::new(header, None)),
            selected: None,
            ended: false,
        }
    }

    /// For a trace file: every record checked now, in order. `cut`: why the file stopped early,
    /// if it did (the check's `trace-cut` note quotes it).
    pub fn of_file(header: &Header, records: &[Record], cut: Option<&str>) -> Self {
        let mut c = Checker::new(header, None);
        let mut all = Vec::new();
        for r in records {
            c.apply(r);
            all.extend(c.drain());
        }
        all.extend(c.finish(cut));
        // Findings come out in record order already; keep it an invariant `shown` relies on.
        all.sort_by_key(|f| f.record);
        Findings {
            all,
            rules: None,
            selected: None,
            ended: true,
        }
    }

    /// Live: checks `r` and applies it to `model` (the app's pool model), keeping what it finds.
    /// Without rules (a file), only applies it.
    pub fn ingest(&mut self, model: &mut PoolModel, r: &Record) {
        match self.rules.as_mut() {
            Some(rules) => {
                rules.apply(model, r);
                self.all.extend(rules.drain());
            }
            None => model.apply(r),
        }
    }

    /// Live: the source ended (`cut`: why, when it stopped without an `End` record and the reason
    /// is known). Runs the end-of-trace rules, once.
    pub fn end(&mut self, model: &PoolModel, cut: Option<&str>) {
        if self.ended {
            return;
        }
        self.ended = true;
        if let Some(rules) = self.rules.as_mut() {
            let found = rules.finish(model, cut);
            self.all.extend(found);
        }
    }

    /// The findings made before record index `pos` (`None`: all of them); at a file's end
    /// (`pos` = its length) also those made when the check finished.
    pub fn shown(&self, pos: Option<u64>, len: u64) -> &[Finding] {
        match pos {
            Some(p) if p < len => {
                let n = self.all.partition_point(|f| f.record < p);
                &self.all[..n]
            }
            _ => &self.all,
        }
    }

    /// Moves the selection by `delta` within `shown` findings (from the newest when none is
    /// selected).
    pub fn select(&mut self, delta: isize, shown: usize) {
        if shown == 0 {
            self.selected = None;
            return;
        }
        let cur = self.selected.unwrap_or(shown).min(shown) as isize;
        let to = (cur + delta).clamp(0, shown as isize - 1);
        self.selected = Some(to as usize);
    }

    /// The selected finding, if it is among the `shown` ones.
    pub fn selected<'a>(&self, shown: &'a [Finding]) -> Option<&'a Finding> {
        self.selected.and_then(|i| shown.get(i))
    }
}

/// Errors, warnings and notes among `f`.
pub fn counts(f: &[Finding]) -> (usize, usize, usize) {
    let n = |s| f.iter().filter(|x| x.severity == s).count();
    (n(Severity::Error), n(Severity::Warning), n(Severity::Note))
}

/// One panel line: severity, where (`#seq` for an ioctl, `rN` for another record), frame, rule
/// and statement.
pub fn line(f: &Finding) -> String {
    let at = match f.seq {
        Some(s) => format!("#{s}"),
        None => format!("r{}", f.record),
    };
    let frame = f.frame.map_or("-".to_string(), |n| format!("f{n}"));
    format!(
        "{:<7} {at:<6} {frame:<5} {}: {}",
        f.severity.name(),
        f.rule,
        f.statement
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use traces::pool::synth;

    #[test]
    fn live_and_file_find_the_same_and_apply_the_model_once() {
        let (h, recs) = synth::leak_and_ebusy();
        let file = Findings::of_file(&h, &recs, None);
        assert!(!file.all.is_empty());
        let mut live = Findings::live(&h);
        let mut model = PoolModel::with_header(&h);
        for r in &recs {
            live.ingest(&mut model, r);
        }
        live.end(&model, None);
        assert_eq!(live.all, file.all);
        assert_eq!(model.totals().records, recs.len() as u64);
        // Before the first finding's record nothing is shown; at the end everything is.
        let first = file.all[0].record;
        let len = recs.len() as u64;
        assert!(file.shown(Some(first), len).is_empty());
        let at_first = file.all.iter().filter(|f| f.record == first).count();
        assert_eq!(file.shown(Some(first + 1), len).len(), at_first);
        assert_eq!(file.shown(Some(len), len).len(), file.all.len());
    }

    #[test]
    fn selection_stays_within_what_is_shown() {
        let mut f = Findings::default();
        f.select(-1, 0);
        assert_eq!(f.selected, None);
        f.select(-1, 3);
        assert_eq!(f.selected, Some(2));
        f.select(-5, 3);
        assert_eq!(f.selected, Some(0));
        f.select(1, 3);
        f.select(9, 3);
        assert_eq!(f.selected, Some(2));
    }
}
