//! Key bindings: what each key does to the [`App`].

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::app::{App, Mode};

/// Fastest and slowest playback speeds.
const MAX_SPEED: f64 = 1024.0;
const MIN_SPEED: f64 = 1.0 / 64.0;

/// Applies one key press.
pub fn handle(app: &mut App, key: KeyEvent) {
    if key.kind == KeyEventKind::Release {
        return;
    }
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        app.quit = true;
        return;
    }
    if let Some(text) = app.editing.as_mut() {
        match key.code {
            KeyCode::Enter => {
                let t = std::mem::take(text);
                app.editing = None;
                app.log.set_filter(&t);
            }
            KeyCode::Esc => app.editing = None,
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c) => text.push(c),
            _ => {}
        }
        return;
    }
    if app.help && key.code != KeyCode::Char('q') {
        app.help = false;
        return;
    }
    app.status.clear();
    match key.code {
        KeyCode::Char('q') => app.quit = true,
        KeyCode::Char('?') => app.help = true,
        KeyCode::Char('/') => app.editing = Some(app.log.filter().unwrap_or("").to_string()),
        KeyCode::Tab => app.cycle_focus(),
        KeyCode::Char(' ') => match &mut app.mode {
            Mode::File(p) => p.paused = !p.paused,
            Mode::Live { .. } => app.frozen = !app.frozen,
        },
        KeyCode::Char('n') | KeyCode::Right => app.step(),
        KeyCode::Left => {
            if let Mode::File(p) = &mut app.mode {
                p.paused = true;
                let to = p.pos.saturating_sub(1);
                app.seek(to);
            }
        }
        KeyCode::Char('+') | KeyCode::Char('=') => speed(app, 2.0),
        KeyCode::Char('-') => speed(app, 0.5),
        KeyCode::Char('g') | KeyCode::Home => app.seek(0),
        KeyCode::Char('G') | KeyCode::End => app.seek(usize::MAX),
        KeyCode::Char('[') => seek_time(app, -1_000_000_000),
        KeyCode::Char(']') => seek_time(app, 1_000_000_000),
        _ => {}
    }
}

fn speed(app: &mut App, factor: f64) {
    if let Mode::File(p) = &mut app.mode {
        p.speed = (p.speed * factor).clamp(MIN_SPEED, MAX_SPEED);
    }
}

fn seek_time(app: &mut App, delta_ns: i64) {
    if let Mode::File(p) = &mut app.mode {
        let recs = app.log.as_slice();
        p.seek_time(delta_ns, recs, &mut app.model);
    }
}
