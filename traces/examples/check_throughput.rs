//! Runs `traces::check` (or, with `pool`, the pool model alone) once over a synthetic decode of
//! N frames generated one at a time (8 records each), and prints the record count and the
//! elapsed time. Measure CPU time with `perf stat -e task-clock` around it when the machine is
//! shared: `cargo run --release -p traces --example check_throughput -- 125000 [pool]`.

use std::time::Instant;

use traces::check::{synthetic, Checker};
use traces::pool::PoolModel;

fn main() {
    let mut args = std::env::args().skip(1);
    let frames: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(125_000);
    let pool_only = args.next().as_deref() == Some("pool");
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
