//! Benchmark (harness = false): feeds 100,000 events per simulated second to the live TUI (pool
//! model + event log) and renders 30 frames per second to a TestBackend, then reports the CPU
//! time (this thread's, from /proc/thread-self/schedstat) that took per second of events (goal: under 5% of one core) and checks that the model
//! saw every event. Run with `cargo bench -p tui --bench feed`.
//!
//! Records are generated before each timed second (their cost belongs to the tracer).
//! `VATRACE_BENCH_LOG_CAP=N` sets the live log's capacity; `VATRACE_BENCH_QUICK=1` runs 1 s.

use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use traces::pool::state::buf_type::{VIDEO_CAPTURE_MPLANE as CAP, VIDEO_OUTPUT_MPLANE as OUT};
use traces::pool::synth::{self, Synth};
use traces::Record;
use tui::{ui, App, Options};

const EVENTS_PER_SEC: usize = 100_000;

/// CPU time this thread has used (Linux `/proc/thread-self/schedstat`), so that other processes
/// on a loaded machine do not count; wall-clock time where that file is missing.
struct CpuClock;

impl CpuClock {
    fn now() -> (Option<u64>, Instant) {
        let cpu = std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()));
        (cpu, Instant::now())
    }
    fn since(start: (Option<u64>, Instant)) -> Duration {
        let end = CpuClock::now();
        match (start.0, end.0) {
            (Some(a), Some(b)) => Duration::from_nanos(b.saturating_sub(a)),
            _ => end.1 - start.1,
        }
    }
}
const FPS: usize = 30;
const SLOTS: u32 = 16;

fn setup(s: &mut Synth) -> Vec<Record> {
    let mut r = vec![
        s.open("/dev/video0", 3),
        s.open("/dev/media0", 4),
        s.s_fmt(3, OUT, synth::FOURCC_S264, 1920, 1080, 0),
        s.s_fmt(3, CAP, synth::FOURCC_NV12, 1920, 1080, 0),
        s.reqbufs(3, OUT, SLOTS, SLOTS, 0),
        s.reqbufs(3, CAP, SLOTS, SLOTS, 0),
        s.streamon(3, OUT),
        s.streamon(3, CAP),
    ];
    for i in 0..SLOTS {
        r.push(s.request_alloc(4, 10 + i as i32));
    }
    r
}

/// One simulated second: `EVENTS_PER_SEC` records evenly spaced over 1 s of trace time.
fn second(s: &mut Synth, frame: &mut u32) -> Vec<Record> {
    s.step_ns = 1_000_000_000 / EVENTS_PER_SEC as u64 / 2;
    let mut out = Vec::with_capacity(EVENTS_PER_SEC + 8);
    while out.len() < EVENTS_PER_SEC {
        let slot = *frame % SLOTS;
        out.extend(synth::decode_frame(s, 3, 10 + slot as i32, slot, slot));
        *frame += 1;
    }
    out.truncate(EVENTS_PER_SEC);
    out
}

/// The TUI's options for a bench run: the default ones, with the log's capacity from
/// `VATRACE_BENCH_LOG_CAP` when set.
fn bench_options() -> Options {
    Options {
        log_capacity: std::env::var("VATRACE_BENCH_LOG_CAP")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(Options::default().log_capacity),
        ..Options::default()
    }
}

fn run(label: &str, seconds: usize, w: u16, h: u16, filter: Option<&str>) {
    let mut s = Synth::new(1, 1_000_000_000);
    let mut app = App::live(synth::sample_header(), bench_options());
    for r in setup(&mut s) {
        app.ingest(r);
    }
    if let Some(f) = filter {
        app.log.set_filter(f);
    }
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    let mut frame = 0u32;
    let mut fed = app.model().totals().records;
    let mut busy = Duration::ZERO;
    let mut frames = 0usize;
    for _ in 0..seconds {
        let batch = second(&mut s, &mut frame);
        let per_frame = batch.len().div_ceil(FPS);
        let mut it = batch.into_iter();
        let start = CpuClock::now();
        for _ in 0..FPS {
            for r in it.by_ref().take(per_frame) {
                app.ingest(r);
                fed += 1;
            }
            term.draw(|f| ui::draw(f, &mut app)).expect("draw");
            frames += 1;
        }
        busy += CpuClock::since(start);
    }
    let total = app.model().totals().records;
    let per_sec = busy.as_secs_f64() / seconds as f64;
    println!(
        "{label:<28} {w}x{h}: {:.2}% of a core per second of {EVENTS_PER_SEC} events/s at {FPS} fps \
         ({:.0} ns/event incl. render, {frames} frames); model saw {total}/{fed} records",
        per_sec * 100.0,
        busy.as_nanos() as f64 / (seconds * EVENTS_PER_SEC) as f64,
    );
    assert_eq!(total, fed, "events dropped from the model");
    if per_sec >= 0.05 {
        println!("  WARNING: above the 5% goal");
    }
}

/// The parts alone: the model applying records, and model + log without rendering.
fn parts(seconds: usize) {
    let mut s = Synth::new(1, 1_000_000_000);
    let mut frame = 0u32;
    let mut model = traces::pool::PoolModel::new();
    let mut app = App::live(synth::sample_header(), bench_options());
    for r in setup(&mut s) {
        model.apply(&r);
        app.ingest(r);
    }
    let (mut t_model, mut t_app) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..seconds {
        let batch = second(&mut s, &mut frame);
        let start = CpuClock::now();
        for r in &batch {
            model.apply(r);
        }
        t_model += CpuClock::since(start);
        let start = CpuClock::now();
        for r in batch {
            app.ingest(r);
        }
        t_app += CpuClock::since(start);
    }
    let n = (seconds * EVENTS_PER_SEC) as f64;
    println!(
        "parts: model alone {:.0} ns/event, model+log {:.0} ns/event",
        t_model.as_nanos() as f64 / n,
        t_app.as_nanos() as f64 / n
    );
}

fn main() {
    // `cargo test --benches` runs this too: keep that quick.
    let quick = std::env::args().any(|a| a == "--test")
        || std::env::var_os("VATRACE_BENCH_QUICK").is_some();
    let secs = if quick { 1 } else { 5 };
    if cfg!(debug_assertions) {
        println!(
            "(unoptimised build: the CPU shares below are not the benchmark's; use `cargo bench`)"
        );
    }
    parts(secs);
    run("model+log+render", secs, 80, 24, None);
    run("model+log+render", secs, 200, 60, None);
    run("with log filter 'REINIT'", secs, 80, 24, Some("REINIT"));
}
