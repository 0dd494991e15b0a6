//! Writes the hand-built sample trace (a request-slot leak and a CAPTURE REQBUFS(0) EBUSY) to a
//! file, for trying `vatrace tui FILE` (or `cargo run -p tui --example play FILE`).
//!
//! Usage: `cargo run -p tui --example sample_trace -- OUT.vatrace`

use std::fs::File;
use std::io::BufWriter;

use traces::pool::synth;
use traces::{Record, TraceWriter};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "leak_and_ebusy.vatrace".to_string());
    let (header, records) = synth::leak_and_ebusy();
    let mut w = TraceWriter::new(BufWriter::new(File::create(&path)?), &header)?;
    let mut end = None;
    for r in &records {
        match r {
            Record::End(e) => end = Some(e.clone()),
            r => w.write(r)?,
        }
    }
    if let Some(e) = end {
        w.finish(e)?;
    }
    eprintln!("wrote {} records to {path}", records.len());
    Ok(())
}
