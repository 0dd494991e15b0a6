//! Rendering tests: the main screen drawn into ratatui's TestBackend from the hand-built sample
//! trace (a request-slot leak and a CAPTURE REQBUFS(0) EBUSY) shows the slot states and counters.

use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use ratatui::Terminal;
use traces::pool::synth::{self, sample};
use tui::{ui, App, Options};

fn text(buf: &Buffer) -> String {
    let mut s = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            s.push_str(buf[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

/// Where `needle` starts on screen.
fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let t = text(buf);
    t.lines().enumerate().find_map(|(y, l)| {
        l.find(needle)
            .map(|byte| (l[..byte].chars().count() as u16, y as u16))
    })
}

fn render(app: &mut App, w: u16, h: u16) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| ui::draw(f, app)).unwrap();
    term.backend().buffer().clone()
}

fn played(upto: Option<usize>) -> App {
    let (h, recs) = synth::leak_and_ebusy();
    let n = upto.unwrap_or(recs.len());
    let mut app = App::player(h, recs, Options::default());
    app.seek(n);
    app
}

#[test]
fn leak_and_ebusy_at_80x24() {
    let mut app = played(None);
    let buf = render(&mut app, 80, 24);
    let screen = text(&buf);
    println!("{screen}");
    // Header: process, device, driver, codec, resolution.
    assert!(screen.contains(&format!("pid {}", sample::PID)), "{screen}");
    assert!(screen.contains("/dev/video0 visl"));
    assert!(screen.contains("S264"));
    assert!(screen.contains("128x128"));
    // The leaked slot, highlighted, with its request fd; the others recycled.
    let leak = format!(
        "{}!LEAK r{}",
        sample::LEAKED_SLOT,
        sample::REQ_FD0 + sample::LEAKED_SLOT as i32
    );
    let (x, y) = find(&buf, &leak).unwrap_or_else(|| panic!("no {leak:?} in\n{screen}"));
    assert_eq!(buf[(x, y)].bg, Color::Red);
    assert!(screen.contains(" 0 done r10"), "{screen}");
    assert!(screen.contains("oldest #2"));
    // CAPTURE: 2 queued, 2 held, all mapped, one exported.
    assert!(screen.contains("4 bufs 2 busy 2held 4m 1x"), "{screen}");
    assert!(screen.contains(" 0!que  mx"), "{screen}");
    assert!(screen.contains(" 2 held m"), "{screen}");
    // Error counters, with the EBUSY of REQBUFS highlighted, and the leak counter.
    let (x, y) = find(&buf, "REQBUFS EBUSY x1").expect("REQBUFS EBUSY counter");
    assert_eq!(buf[(x, y)].bg, Color::Red);
    assert!(screen.contains("REINIT EBUSY x1"));
    assert!(screen.contains("DQBUF EIO x1"));
    assert!(screen.contains("1 LEAKED"));
    // The latest alarm on the status line.
    assert!(screen.contains("! request fd 12 LEAKED"), "{screen}");
}

#[test]
fn ebusy_line_in_the_log_is_highlighted() {
    // Stop right after the failed REQBUFS(0) so it is in the visible log.
    let (_, recs) = synth::leak_and_ebusy();
    let at = recs
        .iter()
        .position(
            |r| matches!(r, traces::Record::Ioctl(io) if io.ret == -16 && io.before.len() == 20),
        )
        .unwrap();
    let mut app = played(Some(at + 1));
    let buf = render(&mut app, 100, 30);
    let screen = text(&buf);
    let (x, y) = find(
        &buf,
        "VIDIOC_REQBUFS fd=3 CAPTURE_MPLANE count=0 = -1 EBUSY",
    )
    .expect(&screen);
    assert_eq!(buf[(x, y)].bg, Color::Red);
    assert!(
        screen
            .contains("! REQBUFS(0) CAPTURE EBUSY: 4 bufs, 2 queued, 2 held, 4 mapped, 1 exported"),
        "{screen}"
    );
    // Before End the slot's request has failed but is not yet leaked.
    assert!(screen.contains(" 2 FAIL r12"), "{screen}");
}

#[test]
fn filter_and_help() {
    let mut app = played(None);
    app.log.set_filter("reinit");
    let buf = render(&mut app, 80, 24);
    let screen = text(&buf);
    assert!(screen.contains("events /reinit"));
    let log_lines: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("fd=1") && l.contains("MEDIA_"))
        .collect();
    assert!(!log_lines.is_empty());
    assert!(
        log_lines.iter().all(|l| l.contains("REINIT")),
        "{log_lines:?}"
    );
    app.help = true;
    let screen = text(&render(&mut app, 80, 24));
    assert!(screen.contains("seek to start / end"));
}

#[test]
fn small_and_large_terminals_and_empty_traces() {
    let mut app = played(Some(0));
    let screen = text(&render(&mut app, 80, 24));
    assert!(screen.contains("OUTPUT (no buffers)"));
    for (w, h) in [(1, 1), (3, 2), (20, 5), (80, 24), (200, 60)] {
        let mut app = played(None);
        render(&mut app, w, h);
    }
}

#[test]
fn live_app_ingests_every_record() {
    let (h, recs) = synth::leak_and_ebusy();
    let n = recs.len() as u64;
    let mut app = App::live(
        h,
        Options {
            log_capacity: 10,
            ..Options::default()
        },
    );
    for r in recs {
        app.ingest(r);
    }
    assert_eq!(app.model().totals().records, n);
    assert_eq!(app.log.len(), 10);
    let screen = text(&render(&mut app, 80, 24));
    assert!(screen.contains("ended"), "{screen}");
    assert!(screen.contains("LEAK"));
}

#[test]
fn live_findings_arise_as_records_arrive_and_equal_the_files() {
    let (h, recs) = synth::leak_and_ebusy();
    let file = App::player(h.clone(), recs.clone(), Options::default());
    let mut app = App::live(h, Options::default());
    let mut seen = 0;
    let mut grew = 0;
    for r in recs {
        app.ingest(r);
        let n = app.shown_findings().len();
        grew += usize::from(n > seen);
        seen = n;
    }
    app.end_live(None);
    // Found along the way, not all at the end.
    assert!(grew >= 2, "{:?}", app.shown_findings());
    let mut all = App::player(file.header.clone(), Vec::new(), Options::default());
    all.findings = file.findings;
    assert_eq!(app.shown_findings(), all.shown_findings());
    let newest = app.shown_findings().last().unwrap().clone();
    let screen = text(&render(&mut app, 100, 40));
    assert!(screen.contains(" findings: "), "{screen}");
    // The panel follows the newest finding.
    assert!(
        screen.contains(&format!("{}: ", newest.rule)),
        "{newest:?} in {screen}"
    );
}

#[test]
fn verbose_log_uses_the_dump_formatter() {
    let mut app = played(None);
    app.verbose = true;
    let screen = text(&render(&mut app, 160, 40));
    assert!(screen.contains("ioctl(3</dev/video0"), "{screen}");
    assert!(screen.contains("VIDIOC_REQBUFS"), "{screen}");
}

#[test]
fn recorded_leak_trace_shows_the_leaked_slots() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../traces/samples/request-leak.trace"
    );
    let (h, recs, _) = traces::stream::read_all(&std::fs::read(path).unwrap()).unwrap();
    let mut app = App::player(h, recs, Options::default());
    app.seek(usize::MAX);
    let screen = text(&render(&mut app, 80, 24));
    assert!(
        screen.contains("0 LEAK r5") && screen.contains("2 LEAK r7"),
        "{screen}"
    );
    assert!(screen.contains("3 LEAKED"), "{screen}");
}

#[test]
fn log_scrolls_back() {
    let mut app = played(None);
    app.log_scroll = 5;
    let screen = text(&render(&mut app, 80, 24));
    assert!(screen.contains("(-5 lines, PgDn)"), "{screen}");
    assert!(!screen.contains("END Exited"), "{screen}");
    app.log_scroll = 1_000_000;
    let screen = text(&render(&mut app, 80, 24));
    assert!(
        screen.contains("open /dev/video0"),
        "scrolled to the top:\n{screen}"
    );
    app.log_scroll = 0;
    let screen = text(&render(&mut app, 80, 24));
    assert!(screen.contains("END Exited"), "{screen}");
}
