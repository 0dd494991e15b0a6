//! Prints the TUI's main screen as text for a trace file, after playing it to the end (or to
//! record N), plus the model's totals: `cargo run -p tui --example screen -- FILE [N] [WIDTHxHEIGHT]`.
//! The screen is `tui::snapshot`'s (what `vatrace tui FILE --snapshot` prints).

use traces::TraceReader;
use tui::snapshot::{parse_size, render_text};
use tui::{App, Options};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: screen FILE [N] [WxH]")?;
    let upto: Option<usize> = args.next().and_then(|a| a.parse().ok());
    let (w, h) = match args.next() {
        Some(s) => parse_size(&s)?,
        None => (100, 32),
    };
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
    print!("{}", render_text(&mut app, w, h)?);
    let t = app.model().totals();
    println!(
        "records {} ioctls {} errors {} malformed {} lost {} leaked requests {} REQBUFS EBUSY {}",
        t.records, t.ioctls, t.errors, t.malformed, t.lost, t.requests_leaked, t.reqbufs_ebusy
    );
    Ok(())
}
