//! The TUI's state without any terminal: the pool model, the event log, the check's findings,
//! live or file-player mode, and the viewer's settings (pause, speed, filter, help, focused
//! context, the record jumped to).

use std::time::Duration;

use traces::pool::{CtxId, PoolModel};
use traces::{Header, Record};

use crate::findings::Findings;
use crate::log::Log;
use crate::player::Player;
use crate::Options;

/// Live monitoring or file playback.
#[derive(Debug)]
pub enum Mode {
    /// Records arrive from a live source.
    Live {
        /// The source ended (the traced program exited or the tracer stopped).
        ended: bool,
    },
    /// A recorded trace; the log holds all of its records.
    File(Player),
}

/// Everything the screen shows and the keys change.
#[derive(Debug)]
pub struct App {
    pub header: Header,
    /// The pool model; its fd table also names fds for the verbose log (`dump::FdNames`).
    pub state: PoolModel,
    pub log: Log,
    /// What `traces::check` found so far (live) or in the whole file (shown as playback reaches
    /// each finding's record).
    pub findings: Findings,
    /// The record a finding was jumped to (highlighted in the log; live: the log view ends there
    /// while the screen is frozen).
    pub mark: Option<u64>,
    pub mode: Mode,
    pub opts: Options,
    /// Live mode: the screen is frozen (records are still applied).
    pub frozen: bool,
    pub help: bool,
    /// Log lines in the dump formatter's strace-like form instead of the compact one.
    pub verbose: bool,
    /// Lines the log view is scrolled back from its newest line.
    pub log_scroll: usize,
    /// The filter being typed after `/`.
    pub editing: Option<String>,
    /// A context picked with Tab (default: the model's most active one).
    pub focus: Option<CtxId>,
    /// A message for the status line.
    pub status: String,
    pub quit: bool,
}

impl App {
    fn new(header: Header, log: Log, findings: Findings, mode: Mode, opts: Options) -> Self {
        App {
            state: PoolModel::with_header(&header),
            header,
            log,
            findings,
            mark: None,
            mode,
            opts,
            frozen: false,
            help: false,
            verbose: false,
            log_scroll: 0,
            editing: None,
            focus: None,
            status: String::new(),
            quit: false,
        }
    }

    /// An app for a live source: call [`App::ingest`] for each record, [`App::end_live`] when
    /// the source stops.
    pub fn live(header: Header, opts: Options) -> Self {
        let log = Log::new(Some(opts.log_capacity));
        let findings = Findings::live(&header);
        App::new(header, log, findings, Mode::Live { ended: false }, opts)
    }

    /// An app playing `records` (nothing applied yet; see [`App::tick`] and [`App::seek`]).
    pub fn player(header: Header, records: Vec<Record>, opts: Options) -> Self {
        App::player_cut(header, records, None, opts)
    }

    /// An app playing `records` read from a trace that was cut short for the reason `cut` (shown
    /// on the status line and in the check's `trace-cut` note).
    pub fn player_cut(
        header: Header,
        records: Vec<Record>,
        cut: Option<String>,
        opts: Options,
    ) -> Self {
        let player = Player::new(
            &records,
            PoolModel::with_header(&header),
            opts.speed,
            opts.start_paused,
        );
        let findings = Findings::of_file(&header, &records, cut.as_deref());
        let log = Log::from_records(records);
        let mut app = App::new(header, log, findings, Mode::File(player), opts);
        if let Some(c) = cut {
            app.status = c;
        }
        app
    }

    /// Applies a live record to the model (through the check's rules) and keeps it for the log.
    pub fn ingest(&mut self, r: Record) {
        self.findings.ingest(&mut self.state, &r);
        if matches!(r, Record::End(_)) {
            self.end_live(None);
        }
        self.log.push(r);
    }

    /// Live: the source stopped (`error`: why, if it failed). The end-of-trace rules run once.
    pub fn end_live(&mut self, error: Option<String>) {
        if let Mode::Live { ended } = &mut self.mode {
            *ended = true;
        }
        self.findings.end(&self.state, error.as_deref());
        if let Some(e) = error {
            self.status = format!("source error: {e}");
        }
    }

    /// The findings shown now: every one live, those made up to the playback position in a file.
    pub fn shown_findings(&self) -> &[traces::check::Finding] {
        match &self.mode {
            Mode::File(p) => self
                .findings
                .shown(Some(p.pos as u64), self.log.len() as u64),
            Mode::Live { .. } => self.findings.shown(None, 0),
        }
    }

    /// Moves the findings selection by `delta`.
    pub fn select_finding(&mut self, delta: isize) {
        let n = self.shown_findings().len();
        self.findings.select(delta, n);
    }

    /// Jumps to the selected finding's record: a file plays to just after it (paused); live,
    /// the screen freezes with the log ending at it. The record is highlighted in the log.
    pub fn jump_to_finding(&mut self) {
        let Some(rec) = self
            .findings
            .selected(self.shown_findings())
            .map(|f| f.record)
        else {
            self.status = "select a finding first (Up/Down)".to_string();
            return;
        };
        let rec = rec.min(self.log.end().saturating_sub(1));
        self.log_scroll = 0;
        if self.log.filter().is_some() {
            self.log.set_filter("");
        }
        match &mut self.mode {
            Mode::File(p) => {
                p.paused = true;
                self.seek(rec as usize + 1);
                self.mark = Some(rec);
            }
            Mode::Live { .. } => {
                if rec < self.log.start() {
                    self.status = format!(
                        "record {rec} is no longer in the live log (it keeps the newest {})",
                        self.opts.log_capacity
                    );
                    return;
                }
                self.frozen = true;
                self.mark = Some(rec);
            }
        }
    }

    /// File mode: advances playback by `elapsed` wall time. Returns records applied.
    pub fn tick(&mut self, elapsed: Duration) -> usize {
        let Mode::File(p) = &mut self.mode else {
            return 0;
        };
        let recs = self.log.as_slice();
        p.advance(elapsed, recs, &mut self.state, 1_000_000)
    }

    /// File mode: moves to `pos` records applied.
    pub fn seek(&mut self, pos: usize) {
        if let Mode::File(p) = &mut self.mode {
            let recs = self.log.as_slice();
            p.seek(pos, recs, &mut self.state);
        }
    }

    /// File mode: applies one record (pausing playback).
    pub fn step(&mut self) {
        if let Mode::File(p) = &mut self.mode {
            p.paused = true;
            let recs = self.log.as_slice();
            p.step(recs, &mut self.state);
        }
    }

    /// Absolute log index one past the newest record shown.
    pub fn view_end(&self) -> u64 {
        match &self.mode {
            Mode::File(p) => p.pos as u64,
            Mode::Live { .. } => match self.mark {
                Some(m) if self.frozen && m >= self.log.start() => m + 1,
                _ => self.log.end(),
            },
        }
    }

    /// Whether playback or display is paused.
    pub fn paused(&self) -> bool {
        match &self.mode {
            Mode::File(p) => p.paused,
            Mode::Live { .. } => self.frozen,
        }
    }

    /// The pool model.
    pub fn model(&self) -> &PoolModel {
        &self.state
    }

    /// Moves focus to the next context the model knows.
    pub fn cycle_focus(&mut self) {
        let ids: Vec<CtxId> = self.state.contexts().map(|c| c.id).collect();
        if ids.is_empty() {
            return;
        }
        let cur = self.focus.or_else(|| self.state.focus());
        let i = cur
            .and_then(|c| ids.iter().position(|&x| x == c))
            .map_or(0, |i| (i + 1) % ids.len());
        self.focus = Some(ids[i]);
    }
}
