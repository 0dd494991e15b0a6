//! Plays a trace file in the TUI without the `vatrace` binary: `cargo run -p tui --example play FILE`.

fn main() -> std::io::Result<()> {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: play FILE");
        std::process::exit(2);
    };
    tui::run_file(path, tui::Options::default())
}
