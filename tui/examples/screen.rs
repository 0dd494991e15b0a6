//! Prints the TUI's main screen as text for a trace file, after playing it to the end (or to
//! record N): `cargo run -p tui --example screen -- FILE [N] [WIDTHxHEIGHT]`. Handy to look at a
//! trace without a terminal, and in scripts.

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use traces::TraceReader;
use tui::{ui, App, Options};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: screen FILE [N] [WxH]")?;
    let upto: Option<usize> = args.next().and_then(|a| a.parse().ok());
    let (w, h) = args
        .next()
        .and_then(|a| a.split_once('x').and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?))))
        .unwrap_or((100u16, 32u16));
    let mut reader = TraceReader::open(&path)?;
    let header = reader.header().clone();
    let mut records = Vec::new();
    while let Some(r) = reader.next_record() {
        match r {
            Ok(r) => records.push(r),
            Err(e) => {
                eprintln!("trace cut short: {e}");
                break;
            }
        }
    }
    let n = upto.unwrap_or(records.len());
    let mut app = App::player(header, records, Options::default());
    app.seek(n);
    let mut term = Terminal::new(TestBackend::new(w, h))?;
    term.draw(|f| ui::draw(f, &mut app))?;
    let buf = term.backend().buffer();
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        println!("{}", line.trim_end());
    }
    let t = app.model().totals();
    println!(
        "records {} ioctls {} errors {} malformed {} lost {} leaked requests {} REQBUFS EBUSY {}",
        t.records, t.ioctls, t.errors, t.malformed, t.lost, t.requests_leaked, t.reqbufs_ebusy
    );
    Ok(())
}
