//! `vatrace diff`'s throughput measurement on long synthetic H.264 decode traces
//! (`traces::diff::synth`):
//!
//! ```sh
//! cargo run --release -p traces --example diff_synth -- write OUT FRAMES [TS_BASE]
//! cargo run --release -p traces --example diff_synth -- compare A B
//! ```
//!
//! `write` makes a trace (a different TS_BASE gives the same stream with another timestamp
//! numbering); `compare` runs `traces::diff::compare` on two files, as `vatrace diff` does, and
//! prints records per second and the peak resident memory.

use std::time::Instant;

use traces::diff::synth::H264Synth;
use traces::diff::{compare, compare_threaded, Input, Options};
use traces::{Record, TraceReader, TraceWriter};

fn usage() -> ! {
    eprintln!("usage: diff_synth write OUT FRAMES [TS_BASE] | diff_synth compare A B");
    std::process::exit(2);
}

fn write(out: &str, frames: u64, ts_base: u64) {
    let mut g = H264Synth::new(frames, 320, 240);
    g.ts_base = ts_base;
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

/// VmHWM (peak resident set) of this process, in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn run_compare(a: &str, b: &str, threads: bool) {
    let t = Instant::now();
    let (ra, rb) = (
        TraceReader::open(a).expect("open A"),
        TraceReader::open(b).expect("open B"),
    );
    let opts = Options::default();
    let r = if threads {
        compare_threaded(
            Input {
                label: a.into(),
                records: ra,
            },
            Input {
                label: b.into(),
                records: rb,
            },
            &opts,
        )
    } else {
        compare(
            Input {
                label: a.into(),
                records: ra,
            },
            Input {
                label: b.into(),
                records: rb,
            },
            &opts,
        )
    }
    .expect("same stream");
    let secs = t.elapsed().as_secs_f64();
    let records = r.a.records + r.b.records;
    println!(
        "{records} records ({} + {}) in {secs:.2} s: {:.2} M records/s, {:.0} frames/s per trace; \
         peak RSS {} KiB; {}",
        r.a.records,
        r.b.records,
        records as f64 / secs / 1e6,
        r.frames_compared as f64 / secs,
        peak_rss_kib(),
        r.summary()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["write", out, frames] => write(out, frames.parse().unwrap_or_else(|_| usage()), 0),
        ["write", out, frames, base] => write(
            out,
            frames.parse().unwrap_or_else(|_| usage()),
            base.parse().unwrap_or_else(|_| usage()),
        ),
        ["compare", a, b] => run_compare(a, b, true),
        ["compare-one-thread", a, b] => run_compare(a, b, false),
        ["compare-in-memory", a] => {
            // The comparison alone, records already decoded (reading excluded).
            let recs: Vec<Record> = TraceReader::open(a)
                .expect("open")
                .map(|r| r.unwrap())
                .collect();
            let t = Instant::now();
            let r = compare(
                Input {
                    label: "a".into(),
                    records: recs.iter().cloned().map(Ok),
                },
                Input {
                    label: "b".into(),
                    records: recs.iter().cloned().map(Ok),
                },
                &Options::default(),
            )
            .expect("same stream");
            let secs = t.elapsed().as_secs_f64();
            let n = r.a.records + r.b.records;
            println!(
                "compared {n} records in {secs:.2} s: {:.2} M records/s (clones included)",
                n as f64 / secs / 1e6
            );
        }
        ["read", a] => {
            let t = Instant::now();
            let n = TraceReader::open(a).expect("open").count();
            let secs = t.elapsed().as_secs_f64();
            println!(
                "read {n} records in {secs:.2} s: {:.2} M records/s",
                n as f64 / secs / 1e6
            );
        }
        _ => usage(),
    }
}
