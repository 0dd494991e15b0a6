//! The terminal side: raw mode and the alternate screen, restored on exit, on error and on panic
//! (a panic hook), and the event loop that feeds records, reads keys and redraws at most `fps`
//! times a second.

use std::io::{self, Stdout};
use std::time::{Duration, Instant};

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event};
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::crossterm::{cursor, execute};
use ratatui::Terminal;
use traces::source::SourceDone;
use traces::RecordSource;

use crate::app::App;
use crate::{keys, ui};

/// Set in the environment, the TUI panics after its first frame (to test terminal restoration).
pub const PANIC_TEST_VAR: &str = "VATRACE_TUI_TEST_PANIC";

/// Longest time spent draining a live source between two looks at the keyboard.
const DRAIN_BUDGET: Duration = Duration::from_millis(20);

fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), LeaveAlternateScreen, cursor::Show);
}

/// Restores the terminal when dropped (normal exit and errors).
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

fn setup() -> io::Result<(Guard, Terminal<CrosstermBackend<Stdout>>)> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    enable_raw_mode()?;
    let guard = Guard;
    execute!(io::stdout(), EnterAlternateScreen, cursor::Hide)?;
    let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    Ok((guard, terminal))
}

/// Drains what a live source has now (bounded by [`DRAIN_BUDGET`]); every record is applied.
fn drain(app: &mut App, source: &mut dyn RecordSource) -> bool {
    let start = Instant::now();
    let mut n = 0u32;
    loop {
        match source.try_next_record() {
            Ok(Some(r)) => app.ingest(r),
            Ok(None) => return true,
            Err(SourceDone::Finished) => {
                app.end_live(None);
                return false;
            }
            Err(SourceDone::Error(e)) => {
                app.end_live(Some(e.to_string()));
                return false;
            }
        }
        n += 1;
        if n & 1023 == 0 && start.elapsed() >= DRAIN_BUDGET {
            return true;
        }
    }
}

/// Runs the event loop until the user quits.
pub fn run(mut app: App, mut source: Option<Box<dyn RecordSource + '_>>) -> io::Result<()> {
    let (_guard, mut terminal) = setup()?;
    let frame = Duration::from_secs_f64(1.0 / app.opts.fps.clamp(1, 120) as f64);
    let mut last_tick = Instant::now();
    let mut last_draw: Option<Instant> = None;
    while !app.quit {
        if let Some(src) = source.as_mut() {
            if !drain(&mut app, src.as_mut()) {
                source = None;
            }
        }
        let now = Instant::now();
        app.tick(now - last_tick);
        last_tick = now;
        if last_draw.is_none() || (!app.frozen && last_draw.is_some_and(|t| t.elapsed() >= frame)) {
            terminal.draw(|f| ui::draw(f, &mut app))?;
            last_draw = Some(Instant::now());
            // Lets tests check that a panic restores the terminal.
            if std::env::var_os(PANIC_TEST_VAR).is_some() {
                panic!("panic requested by {PANIC_TEST_VAR}");
            }
        }
        let wait = frame.saturating_sub(last_draw.map_or(Duration::ZERO, |t| t.elapsed()));
        let wait = if source.is_some() {
            wait.min(Duration::from_millis(5))
        } else {
            wait
        };
        if event::poll(wait)? {
            match event::read()? {
                Event::Key(k) => {
                    keys::handle(&mut app, k);
                    last_draw = None;
                }
                Event::Resize(..) => last_draw = None,
                _ => {}
            }
        }
    }
    Ok(())
}
