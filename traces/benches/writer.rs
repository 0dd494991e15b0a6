//! How fast [`traces::TraceWriter`] encodes records (format version 2) into a sink: the records of
//! the committed sample traces, of `v4l2-ioctl-probe loop` (what `vatrace bench` and the
//! tracer's overhead numbers trace), and a mixed stream through every encoder branch.
//!
//! `cargo bench -p traces --bench writer`; per-record times are the reported time divided by the
//! element count criterion prints as throughput.

use std::hint::black_box;
use std::io;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
// `record` and `TraceWriter` at the crate root are what `workload` names `crate::…`.
use traces::record::{self, End, EndReason, Header, Record};
use traces::TraceWriter;

mod workload;

/// Writes a whole trace of `items` into a sink; returns the bytes it took.
fn write(header: &Header, items: &[workload::Item]) -> u64 {
    let mut w = TraceWriter::new(io::sink(), header).unwrap();
    workload::write_items(&mut w, items);
    let bytes = w.bytes_written();
    w.finish(End::new(0, EndReason::Exited)).unwrap();
    bytes
}

fn records(records: Vec<Record>) -> Vec<workload::Item> {
    records.into_iter().map(workload::Item::Record).collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("write");
    // The five samples back to back, each with its own header (the real recordings).
    let samples: Vec<(Header, Vec<workload::Item>)> = workload::sample_files()
        .into_iter()
        .map(|(name, bytes)| {
            let (header, mut rs, error) = traces::stream::read_all(&bytes).unwrap();
            assert!(error.is_none(), "{name}: {error:?}");
            rs.retain(|r| !matches!(r, Record::End(_)));
            (header, records(rs))
        })
        .collect();
    let n: usize = samples.iter().map(|(_, items)| items.len()).sum();
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("samples", |b| {
        b.iter(|| {
            for (header, items) in &samples {
                black_box(write(header, items));
            }
        })
    });

    let header = workload::header();
    let probe = records(workload::ioctl_loop(100_000));
    group.throughput(Throughput::Elements(probe.len() as u64));
    group.bench_function("probe_loop", |b| {
        b.iter(|| black_box(write(&header, &probe)))
    });

    let mixed = workload::mixed(20_000);
    group.throughput(Throughput::Elements(mixed.len() as u64));
    group.bench_function("mixed", |b| b.iter(|| black_box(write(&header, &mixed))));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
