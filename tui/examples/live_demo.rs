//! Live mode without a tracer: a thread plays a synthetic decoder (16 request slots, 8 CAPTURE
//! buffers, one frame every `--frame-ms`) into a `ChannelSource`; after a few seconds one slot's
//! REINIT fails and the client never releases it, then a CAPTURE REQBUFS(0) fails with EBUSY.
//!
//! Usage: `cargo run -p tui --example live_demo [-- SECONDS]`

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use traces::pool::state::buf_type::{VIDEO_CAPTURE_MPLANE as CAP, VIDEO_OUTPUT_MPLANE as OUT};
use traces::pool::synth::{self, Synth, RET_EBUSY, RET_EIO};
use traces::source::ChannelSource;

const SLOTS: u32 = 16;
const BUFS: u32 = 8;

fn main() -> std::io::Result<()> {
    let secs: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let (tx, rx) = mpsc::channel();
    let header = synth::sample_header();
    thread::spawn(move || {
        let start = Instant::now();
        let now = || 1_000_000_000 + start.elapsed().as_nanos() as u64;
        let mut s = Synth::new(4242, now());
        s.step_ns = 20_000;
        let send = |r| tx.send(r).is_ok();
        let setup = vec![
            s.open("/dev/video0", 3),
            s.open("/dev/media0", 4),
            s.querycap(3, "visl", "visl"),
            s.s_fmt(3, OUT, synth::FOURCC_S264, 1920, 1080, 0),
            s.s_fmt(3, CAP, synth::FOURCC_NV12, 1920, 1080, 0),
            s.reqbufs(3, OUT, SLOTS, SLOTS, 0),
            s.reqbufs(3, CAP, BUFS, BUFS, 0),
            s.streamon(3, OUT),
            s.streamon(3, CAP),
        ];
        for r in setup {
            send(r);
        }
        for i in 0..SLOTS {
            let r = s.request_alloc(4, 10 + i as i32);
            send(r);
        }
        let mut frame = 0u32;
        let leak_at = 60;
        let mut leaked = false;
        while start.elapsed() < Duration::from_secs(secs) {
            thread::sleep(Duration::from_millis(33));
            s.ts = now();
            let slot = frame % SLOTS;
            let req = 10 + slot as i32;
            let recs = if slot == 5 && frame >= leak_at && !leaked {
                // The error path without force_release(): slot 5 is never recycled.
                leaked = true;
                vec![
                    s.s_ext_ctrls(3, req, 5, 0),
                    s.qbuf(3, OUT, slot, Some(req), 0),
                    s.request_queue(req, 0),
                    s.dqbuf(3, OUT, slot, 0, RET_EIO),
                    s.request_reinit(req, RET_EBUSY),
                ]
            } else if slot == 5 && leaked {
                frame += 1;
                continue;
            } else {
                synth::decode_frame(&mut s, 3, req, slot, frame % BUFS)
            };
            for r in recs {
                if !send(r) {
                    return;
                }
            }
            if frame == leak_at + 40 {
                let r = s.qbuf(3, CAP, 0, None, 0);
                send(r);
                let r = s.reqbufs(3, CAP, 0, 0, RET_EBUSY);
                send(r);
            }
            frame += 1;
        }
        let r = s.end();
        send(r);
    });
    tui::run_live(ChannelSource::new(header, rx), tui::Options::default())
}
