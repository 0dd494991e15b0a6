//! Writes a long synthetic H.264 decode trace (`traces::diff::synth`) for `vatrace diff`'s
//! throughput measurement: `cargo run --release -p traces --example diff_synth -- OUT FRAMES
//! [TS_BASE]` (a different TS_BASE gives the same stream with another timestamp numbering).

use traces::diff::synth::H264Synth;
use traces::{Record, TraceWriter};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(out), Some(frames)) = (args.first(), args.get(1).and_then(|n| n.parse().ok())) else {
        eprintln!("usage: diff_synth OUT FRAMES [TS_BASE]");
        std::process::exit(2);
    };
    let mut g = H264Synth::new(frames, 320, 240);
    g.ts_base = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(0);
    let file = std::io::BufWriter::new(std::fs::File::create(out).expect("create OUT"));
    let mut w = TraceWriter::new(file, &H264Synth::header()).expect("write header");
    let mut n = 0u64;
    for r in g {
        match r {
            Record::End(e) => {
                w.finish(e).expect("finish");
                break;
            }
            r => w.write(&r).expect("write"),
        }
        n += 1;
    }
    eprintln!("{out}: {n} records, {frames} frames");
}
