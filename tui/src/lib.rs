//! `vatrace tui`: a live and offline pool-occupancy monitor (ratatui). It feeds every record of a
//! [`RecordSource`] to the shared pool model ([`traces::pool::PoolModel`]) and draws the focused
//! decoder's OUTPUT request slots and CAPTURE buffers coloured by state, rates, errors, the
//! findings of `traces::check` as they arise (the same streaming rules as `vatrace check`), and a
//! filterable event log.
//!
//! Entry points for the `vatrace` binary:
//! * [`run_file`]: play a recorded trace (pause, step, speed, seek);
//! * [`run_live`]: watch a live source (a tracer's [`traces::source::ChannelSource`]);
//! * [`run`]: either, depending on [`RecordSource::is_live`];
//! * [`snapshot::snapshot_file`]: one frame of a trace as plain text, no terminal.
//!
//! [`App`] and [`ui::draw`] are public so tests and benchmarks can drive the screen without a
//! terminal (ratatui's `TestBackend`).
#![forbid(unsafe_code)]

pub mod app;
pub mod findings;
mod keys;
pub mod log;
pub mod player;
pub mod snapshot;
mod term;
pub mod ui;

use std::io;
use std::path::Path;
use std::time::Duration;

use traces::{RecordSource, TraceReader};

pub use app::App;

/// Settings of a TUI session.
#[derive(Debug, Clone)]
pub struct Options {
    /// Screen refreshes per second (at most).
    pub fps: u32,
    /// A slot busy longer than this (trace time) is highlighted.
    pub busy_threshold: Duration,
    /// Records kept for the event log in live mode (the model sees every record regardless).
    pub log_capacity: usize,
    /// File playback speed (1.0 = as recorded).
    pub speed: f64,
    /// Start file playback paused.
    pub start_paused: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            fps: 30,
            busy_threshold: Duration::from_millis(500),
            log_capacity: 20_000,
            speed: 1.0,
            start_paused: false,
        }
    }
}

fn trace_err(e: traces::TraceError) -> io::Error {
    io::Error::other(e.to_string())
}

/// Plays the trace file at `path`.
pub fn run_file(path: impl AsRef<Path>, opts: Options) -> io::Result<()> {
    let reader = TraceReader::open(path.as_ref()).map_err(trace_err)?;
    run_player(reader, opts)
}

/// Watches a live source until it ends and the user quits (q). Every record reaches the model.
pub fn run_live<S: RecordSource>(source: S, opts: Options) -> io::Result<()> {
    let app = App::live(source.header().clone(), opts);
    term::run(app, Some(Box::new(source)))
}

/// Runs on any source: live ones as [`run_live`], finite ones as a player (read fully first).
pub fn run<S: RecordSource>(source: S, opts: Options) -> io::Result<()> {
    if source.is_live() {
        run_live(source, opts)
    } else {
        run_player(source, opts)
    }
}

/// A finite source read to its end: its header, its records, and the status line's note when it
/// was cut short (what was readable is kept, as the player shows it).
pub(crate) fn read_all<S: RecordSource>(
    mut source: S,
) -> (traces::Header, Vec<traces::Record>, Option<String>) {
    let header = source.header().clone();
    let mut records = Vec::new();
    let mut note = None;
    while let Some(r) = source.next_record() {
        match r {
            Ok(r) => records.push(r),
            Err(e) => {
                note = Some(format!("trace cut short: {e}"));
                break;
            }
        }
    }
    (header, records, note)
}

fn run_player<S: RecordSource>(source: S, opts: Options) -> io::Result<()> {
    let (header, records, note) = read_all(source);
    let app = App::player_cut(header, records, note, opts);
    term::run(app, None)
}
