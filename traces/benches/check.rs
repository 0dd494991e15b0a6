//! How fast `traces::check` judges records: a long synthetic H.264 decode (records generated
//! one at a time, 8 per frame, see `traces::check::synthetic`) and the committed GStreamer
//! sample. `cargo bench -p traces --bench check`; records/s is criterion's throughput.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use traces::check::{synthetic, Checker};
use traces::record::Record;

const FRAMES: u64 = 25_000;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("check");
    group.sample_size(10);
    let (h, recs) = synthetic::decode_stream(FRAMES);
    let records: Vec<Record> = recs.collect();
    group.throughput(Throughput::Elements(records.len() as u64));
    group.bench_function("synthetic-h264-25k-frames", |b| {
        b.iter(|| {
            let mut c = Checker::new(&h, None);
            for r in &records {
                c.apply(r);
            }
            black_box(c.finish(None).len())
        })
    });
    // The pool model alone, for comparison: what the rules add on top of it.
    group.bench_function("synthetic-h264-25k-frames-pool-model-only", |b| {
        b.iter(|| {
            let mut m = traces::pool::PoolModel::with_header(&h);
            for r in &records {
                m.apply(r);
            }
            black_box(m.totals().records)
        })
    });
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/samples/gst-v4l2slh264dec.trace"
    ))
    .unwrap();
    let (h, records, _) = traces::stream::read_all(&bytes).unwrap();
    group.throughput(Throughput::Elements(records.len() as u64));
    group.bench_function("gst-v4l2slh264dec-sample", |b| {
        b.iter(|| {
            let mut c = Checker::new(&h, None);
            for r in &records {
                c.apply(r);
            }
            black_box(c.finish(None).len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
