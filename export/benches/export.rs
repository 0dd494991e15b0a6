//! How fast `vatrace export` turns records into a Perfetto trace, and how much memory it holds:
//! a long synthetic H.264 decode (`traces::check::synthetic`, 8 records per frame) streamed one
//! record at a time into the Perfetto writer (output discarded). `cargo bench -p export`.
//!
//! First a memory pass: 50k frames (400k records) streamed from the generator (no record kept), printing
//! records per CPU second and the process's peak RSS (VmHWM) before and after, plus the export's in-flight
//! entries; then criterion's records/s on 2.5k frames for the Perfetto and JSON writers.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use export::{chrome::ChromeSink, perfetto::PerfettoSink, Builder};
use traces::check::synthetic;
use traces::record::Record;

const FRAMES: u64 = 2_500;
const LONG_FRAMES: u64 = 50_000;

/// CPU time (user + system) of this process so far, seconds (the machine is shared: wall time
/// says little).
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is the 12th, stime the 13th.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): utime (field 14) and stime (15) are its 12th and 13th.
    // /proc counts in USER_HZ ticks, 100 per second on Linux.
    let tick = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    (tick(11) + tick(12)) as f64 / 100.0
}

/// Peak resident set size of this process so far, KiB.
fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn memory_pass() {
    let before = vm_hwm_kib();
    let (h, recs) = synthetic::decode_stream(LONG_FRAMES);
    let mut b = Builder::new(&h, PerfettoSink::new(std::io::sink()));
    let start = Instant::now();
    let cpu0 = cpu_secs();
    let mut n = 0u64;
    let mut max_in_flight = 0;
    for r in recs {
        b.apply(&r).unwrap();
        n += 1;
        // Every 65536 records.
        if n.trailing_zeros() >= 16 {
            max_in_flight = max_in_flight.max(b.in_flight());
        }
    }
    let (_, stats) = b.finish(None).unwrap();
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu0;
    println!(
        "export memory pass: {n} records ({LONG_FRAMES} frames) in {secs:.2} s wall, {cpu:.2} s CPU = {:.0} records/s of CPU; \
         {} slices, {} flows; peak RSS {} KiB before, {} KiB after; in-flight entries at most {max_in_flight}",
        n as f64 / cpu.max(0.01),
        stats.slices,
        stats.flows,
        before,
        vm_hwm_kib()
    );
}

fn bench(c: &mut Criterion) {
    memory_pass();
    let mut group = c.benchmark_group("export");
    group.sample_size(10);
    let (h, recs) = synthetic::decode_stream(FRAMES);
    let records: Vec<Record> = recs.collect();
    group.throughput(Throughput::Elements(records.len() as u64));
    group.bench_function("perfetto-synthetic-h264-2500-frames", |b| {
        b.iter(|| {
            let (_, s) =
                export::build_records(&h, &records, PerfettoSink::new(std::io::sink())).unwrap();
            black_box(s.slices)
        })
    });
    group.bench_function("json-synthetic-h264-2500-frames", |b| {
        b.iter(|| {
            let (_, s) =
                export::build_records(&h, &records, ChromeSink::new(std::io::sink())).unwrap();
            black_box(s.slices)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
