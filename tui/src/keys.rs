//! Key bindings: what each key does to the [`App`].

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::app::{App, Mode};

/// Fastest and slowest playback speeds.
const MAX_SPEED: f64 = 1024.0;
const MIN_SPEED: f64 = 1.0 / 64.0;
/// Lines PgUp/PgDn scroll the log by.
const LOG_PAGE: usize = 10;

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
        KeyCode::Char('v') => app.verbose = !app.verbose,
        KeyCode::PageUp => app.log_scroll += LOG_PAGE,
        KeyCode::PageDown => app.log_scroll = app.log_scroll.saturating_sub(LOG_PAGE),
        KeyCode::Char(' ') => {
            match &mut app.mode {
                Mode::File(p) => p.paused = !p.paused,
                Mode::Live { .. } => app.frozen = !app.frozen,
            }
            if !app.paused() {
                app.mark = None;
            }
        }
        KeyCode::Up => app.select_finding(-1),
        KeyCode::Down => app.select_finding(1),
        KeyCode::Enter => app.jump_to_finding(),
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
        p.seek_time(delta_ns, recs, &mut app.state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Options;
    use traces::pool::synth;

    fn press(app: &mut App, code: KeyCode) {
        handle(app, KeyEvent::new(code, KeyModifiers::NONE));
    }

    #[test]
    fn player_keys() {
        let (h, recs) = synth::leak_and_ebusy();
        let n = recs.len();
        let mut app = App::player(h, recs, Options::default());
        let pos = |app: &App| match &app.mode {
            Mode::File(p) => (p.pos, p.paused, p.speed),
            Mode::Live { .. } => unreachable!(),
        };
        press(&mut app, KeyCode::Char('G'));
        assert_eq!(pos(&app).0, n);
        press(&mut app, KeyCode::Left);
        assert_eq!(pos(&app).0, n - 1);
        assert!(pos(&app).1);
        press(&mut app, KeyCode::Char('n'));
        assert_eq!(pos(&app).0, n);
        press(&mut app, KeyCode::Char('g'));
        assert_eq!(pos(&app).0, 0);
        press(&mut app, KeyCode::Right);
        assert_eq!(app.model().totals().records, 1);
        press(&mut app, KeyCode::Char(']'));
        assert!(pos(&app).0 > 1);
        press(&mut app, KeyCode::Char('['));
        press(&mut app, KeyCode::Char(' '));
        assert!(!pos(&app).1);
        press(&mut app, KeyCode::Char('+'));
        assert_eq!(pos(&app).2, 2.0);
        for _ in 0..20 {
            press(&mut app, KeyCode::Char('-'));
        }
        assert_eq!(pos(&app).2, MIN_SPEED);
        for c in "/reinit".chars() {
            press(&mut app, KeyCode::Char(c));
        }
        assert_eq!(app.editing.as_deref(), Some("reinit"));
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.log.filter(), Some("reinit"));
        press(&mut app, KeyCode::Char('?'));
        assert!(app.help);
        press(&mut app, KeyCode::Char('x'));
        assert!(!app.help && !app.quit);
        press(&mut app, KeyCode::Char('v'));
        assert!(app.verbose);
        press(&mut app, KeyCode::Char('q'));
        assert!(app.quit);
    }

    #[test]
    fn up_down_select_a_finding_and_enter_jumps_to_its_record() {
        let (h, recs) = synth::leak_and_ebusy();
        let n = recs.len();
        let mut app = App::player(h, recs, Options::default());
        press(&mut app, KeyCode::Enter);
        assert!(app.status.contains("select a finding"), "{}", app.status);
        press(&mut app, KeyCode::Char('G'));
        let shown = app.shown_findings().len();
        assert!(shown >= 2, "{:?}", app.shown_findings());
        press(&mut app, KeyCode::Up);
        press(&mut app, KeyCode::Up);
        assert_eq!(app.findings.selected, Some(shown - 2));
        let want = app.shown_findings()[shown - 2].record;
        press(&mut app, KeyCode::Enter);
        let Mode::File(p) = &app.mode else {
            unreachable!()
        };
        assert_eq!(p.pos as u64, want.min(n as u64 - 1) + 1);
        assert!(p.paused);
        assert_eq!(app.mark, Some(want.min(n as u64 - 1)));
        // The selected finding is still among those shown at the new position.
        assert_eq!(
            app.findings.selected(app.shown_findings()).unwrap().record,
            want
        );
        press(&mut app, KeyCode::Char(' '));
        assert_eq!(app.mark, None);
    }
}
