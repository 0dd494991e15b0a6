//! The TUI's state without any terminal: the pool model, the event log, live or file-player
//! mode, and the viewer's settings (pause, speed, filter, help, focused context).

use std::time::Duration;

use traces::pool::{CtxId, PoolModel};
use traces::{Header, Record};

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
    fn new(header: Header, log: Log, mode: Mode, opts: Options) -> Self {
        App {
            state: PoolModel::with_header(&header),
            header,
            log,
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

    /// An app for a live source: call [`App::ingest`] for each record.
    pub fn live(header: Header, opts: Options) -> Self {
        let log = Log::new(Some(opts.log_capacity));
        App::new(header, log, Mode::Live { ended: false }, opts)
    }

    /// An app playing `records` (nothing applied yet; see [`App::tick`] and [`App::seek`]).
    pub fn player(header: Header, records: Vec<Record>, opts: Options) -> Self {
        let player = Player::new(
            &records,
            PoolModel::with_header(&header),
            opts.speed,
            opts.start_paused,
        );
        App::new(header, Log::from_records(records), Mode::File(player), opts)
    }

    /// Applies a live record to the model and keeps it for the log.
    pub fn ingest(&mut self, r: Record) {
        self.state.apply(&r);
        if matches!(r, Record::End(_)) {
            if let Mode::Live { ended } = &mut self.mode {
                *ended = true;
            }
        }
        self.log.push(r);
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
            Mode::Live { .. } => self.log.end(),
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
