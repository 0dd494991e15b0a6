//! One frame of the TUI as plain text, without a terminal: a trace played to a position (its end
//! by default) and drawn into ratatui's `TestBackend` at a chosen size, one text line per screen
//! row (colours dropped, trailing blanks trimmed). For `vatrace tui FILE --snapshot`: demos,
//! bug reports and logs that cannot host a terminal.

use std::io;
use std::path::Path;

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use traces::{RecordSource, TraceReader};

use crate::{App, Options};

/// Where and how big the frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    /// Records applied before drawing; `None` (or past the end): all of them.
    pub at: Option<usize>,
    /// Screen width in columns.
    pub width: u16,
    /// Screen height in rows.
    pub height: u16,
}

impl Default for Frame {
    fn default() -> Self {
        Frame {
            at: None,
            width: 100,
            height: 32,
        }
    }
}

/// Parses a screen size written `WIDTHxHEIGHT` (e.g. `100x32`); at least 40x12.
pub fn parse_size(s: &str) -> Result<(u16, u16), String> {
    let bad = || format!("bad screen size {s:?}: write WIDTHxHEIGHT, e.g. 100x32 (at least 40x12)");
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let (w, h): (u16, u16) = (
        w.trim().parse().map_err(|_| bad())?,
        h.trim().parse().map_err(|_| bad())?,
    );
    if w < 40 || h < 12 {
        return Err(bad());
    }
    Ok((w, h))
}

/// The frame of the trace file at `path`, as text.
pub fn snapshot_file(path: impl AsRef<Path>, frame: Frame, opts: Options) -> io::Result<String> {
    let reader = TraceReader::open(path.as_ref()).map_err(|e| io::Error::other(e.to_string()))?;
    snapshot(reader, frame, opts)
}

/// The frame of a finite source (read fully first), as text. A trace cut short is drawn up to
/// where it ends, with the reason on the status line, as the interactive player does.
pub fn snapshot<S: RecordSource>(source: S, frame: Frame, opts: Options) -> io::Result<String> {
    let (header, records, note) = crate::read_all(source);
    let n = records.len();
    let mut app = App::player_cut(
        header,
        records,
        note,
        Options {
            start_paused: true,
            ..opts
        },
    );
    app.seek(frame.at.unwrap_or(n).min(n));
    render_text(&mut app, frame.width, frame.height)
}

/// Draws `app` once on a `width`x`height` screen and returns its text.
pub fn render_text(app: &mut App, width: u16, height: u16) -> io::Result<String> {
    let mut term = Terminal::new(TestBackend::new(width, height))?;
    term.draw(|f| crate::ui::draw(f, app))?;
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_bad_ones_say_the_form() {
        assert_eq!(parse_size("100x32"), Ok((100, 32)));
        assert_eq!(parse_size("80X24"), Ok((80, 24)));
        for bad in ["100", "x32", "10x5", "ax b", "100x"] {
            let err = parse_size(bad).unwrap_err();
            assert!(err.contains("WIDTHxHEIGHT"), "{bad}: {err}");
        }
    }
}
