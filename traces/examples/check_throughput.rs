//! Runs `traces::check` (or, with `pool`, the pool model alone) once over a synthetic decode of
//! N frames generated one at a time (8 records each), and prints the record count and the
//! elapsed time. Measure CPU time with `perf stat -e task-clock` (or `/usr/bin/time`) around it
//! when the machine is shared: `cargo run --release -p traces --example check_throughput --
//! 125000 [pool]`.
//!
//! `check_throughput FRAMES write FILE` writes that decode as a trace file; `check_throughput
//! read FILE` then checks it as `vatrace check` does, reading the file one record at a time
//! (the trace reader's cost included), and prints records/s and the peak resident memory.

use std::time::Instant;

use traces::check::{synthetic, Checker};
use traces::pool::PoolModel;
use traces::record::{End, EndReason};
use traces::{Record, TraceReader, TraceWriter};

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

fn write(frames: u64, out: &str) {
    let (h, recs) = synthetic::decode_stream(frames);
    let file = std::fs::File::create(out).expect("create FILE");
    let mut w = TraceWriter::new(file, &h).expect("write header");
    let (mut n, mut last_ts) = (0u64, 0);
    for r in recs {
        if let Record::Ioctl(i) = &r {
            last_ts = i.ts_exit;
        }
        w.write(&r).expect("write");
        n += 1;
    }
    // The generator has no End: the trace ends as a complete one does.
    w.finish(End::new(last_ts, EndReason::Exited))
        .expect("finish");
    eprintln!("{out}: {n} records, {frames} frames");
}

fn read(path: &str) {
    let t = Instant::now();
    let mut reader = TraceReader::open(path).expect("open FILE");
    let mut c = Checker::new(reader.header(), None);
    let mut findings = 0;
    let mut n = 0u64;
    for r in &mut reader {
        c.apply(&r.expect("a whole trace"));
        findings += c.drain().len();
        n += 1;
    }
    findings += c.finish(None).len();
    let s = t.elapsed().as_secs_f64();
    println!(
        "{n} records read and checked in {s:.3} s: {:.0} records/s, {findings} findings, \
         peak RSS {} KiB",
        n as f64 / s,
        peak_rss_kib()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [frames, "write", out] => return write(frames.parse().expect("FRAMES"), out),
        ["read", path] => return read(path),
        _ => {}
    }
    let frames: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(125_000);
    let pool_only = args.get(1).map(String::as_str) == Some("pool");
    let (h, recs) = synthetic::decode_stream(frames);
    let t = Instant::now();
    let mut n = 0u64;
    if pool_only {
        let mut m = PoolModel::with_header(&h);
        for r in recs {
            m.apply(&r);
            n += 1;
        }
    } else {
        let mut c = Checker::new(&h, None);
        let mut findings = 0;
        for r in recs {
            c.apply(&r);
            findings += c.drain().len();
            n += 1;
        }
        findings += c.finish(None).len();
        eprintln!(
            "{findings} findings, {} entries in flight at the end",
            c.in_flight()
        );
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "{n} records in {s:.3} s: {:.0} records/s (generation included)",
        n as f64 / s
    );
}
