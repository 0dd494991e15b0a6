//! `request-leak`: a request-API MPEG-2 decode on visl whose error path leaks request slots.
//!
//! The client keeps a pool of `--slots` OUTPUT slots, each bound for life to one OUTPUT buffer
//! and one request fd (allocated once, REINIT'd between frames, as a good driver does). Per frame:
//! write a small bitstream chunk, `S_EXT_CTRLS` (SEQUENCE, PICTURE, QUANTISATION) into the request,
//! `QBUF` OUTPUT with the request, `MEDIA_REQUEST_IOC_QUEUE`, poll the request, `DQBUF` OUTPUT and
//! CAPTURE, re-queue the CAPTURE buffer, `REINIT`, release the slot.
//!
//! On the frames chosen by `--leak-every`/`--leak-at` the sync step hits a real kernel error
//! (its CAPTURE `DQBUF` is issued with the single-planar buffer type: EINVAL) and the buggy error path
//! returns without releasing the slot: no REINIT, the slot stays busy for ever. A REINIT that
//! fails (under `vatrace record --inject 'MEDIA_REQUEST_IOC_REINIT#K=EBUSY'`, say) takes the same
//! buggy path: the frame was decoded, but its request is dropped from the free list, never
//! REINIT'd again. Once every slot is leaked the pool is starved: the client prints `STARVED at
//! frame F` and exits 3. `--fixed` runs the proper error path (`force_release`: dequeue, REINIT;
//! after a failed REINIT, REINIT again) and decodes every frame (exit 0). Other failures exit 1.

use std::collections::BTreeSet;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use clients::synthetic::{mpeg2_chunk, mpeg2_controls, visl_nodes, CallLog, MPEG2_SLICE, NV12};
use clients::v4l2::{
    MediaDevice, MediaRequest, VideoDevice, CAPTURE_MPLANE, MEMORY_MMAP, OUTPUT_MPLANE,
};

#[derive(Parser, Debug)]
#[command(
    about = "MPEG-2 request decode on visl whose error path leaks request slots until the pool starves"
)]
struct Args {
    /// Request slots (one OUTPUT buffer and one request fd each).
    #[arg(long, default_value_t = 4)]
    slots: u32,
    /// Frames to decode.
    #[arg(long, default_value_t = 30)]
    frames: u32,
    /// Leak on every Nth frame (frames N-1, 2N-1, …); 0 for never.
    #[arg(long, default_value_t = 4)]
    leak_every: u32,
    /// Leak on these frames (0-based, comma-separated) instead of --leak-every.
    #[arg(long, value_delimiter = ',')]
    leak_at: Vec<u32>,
    /// Release the slot on the error path (REINIT): the pool never starves.
    #[arg(long)]
    fixed: bool,
    /// Coded width and height.
    #[arg(long, default_value_t = 320)]
    width: u16,
    #[arg(long, default_value_t = 240)]
    height: u16,
    /// Video node (default: the one named "visl").
    #[arg(long)]
    video: Option<PathBuf>,
    /// Media node (default: the one whose driver is "visl").
    #[arg(long)]
    media: Option<PathBuf>,
    /// Print every call, not only failures.
    #[arg(short, long)]
    verbose: bool,
}

struct Slot {
    request: MediaRequest,
    busy: bool,
    leaked_at: Option<u32>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let code = match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("request-leak: {e}");
            1
        }
    };
    ExitCode::from(code)
}

fn run(args: &Args) -> Result<u8, String> {
    if args.slots == 0 || args.slots > 32 {
        return Err("--slots must be 1..=32".into());
    }
    let leaks: BTreeSet<u32> = if !args.leak_at.is_empty() {
        args.leak_at.iter().copied().collect()
    } else {
        match args.frames.checked_div(args.leak_every) {
            Some(n) => (1..=n).map(|k| k * args.leak_every - 1).collect(),
            None => BTreeSet::new(),
        }
    };
    let (video, media) = visl_nodes(args.video.clone(), args.media.clone())?;
    let e = |e: clients::v4l2::CallError| e.to_string();
    let mut log = CallLog::new(args.verbose);
    let (w, h) = (u32::from(args.width), u32::from(args.height));

    let dev = VideoDevice::open(&video).map_err(e)?;
    let mdev = MediaDevice::open(&media).map_err(e)?;
    log.call("VIDIOC_QUERYCAP", dev.querycap()).map_err(e)?;
    log.call(
        "VIDIOC_S_FMT(OUTPUT)",
        dev.s_fmt(OUTPUT_MPLANE, MPEG2_SLICE, w, h, 0),
    )
    .map_err(e)?;
    log.call(
        "VIDIOC_S_FMT(CAPTURE)",
        dev.s_fmt(CAPTURE_MPLANE, NV12, w, h, 0),
    )
    .map_err(e)?;

    let n_out = log
        .call(
            "VIDIOC_REQBUFS(OUTPUT)",
            dev.reqbufs(OUTPUT_MPLANE, args.slots),
        )
        .map_err(e)?;
    if n_out < args.slots {
        return Err(format!(
            "asked for {} OUTPUT buffers, got {n_out}",
            args.slots
        ));
    }
    let mut out_maps = Vec::new();
    for i in 0..args.slots {
        let p = log
            .call("VIDIOC_QUERYBUF(OUTPUT)", dev.querybuf(OUTPUT_MPLANE, i))
            .map_err(e)?;
        out_maps.push(dev.mmap(p).map_err(e)?);
    }
    // Enough CAPTURE buffers that the leaked frames' undequeued ones never starve CAPTURE first.
    let n_cap = log
        .call(
            "VIDIOC_REQBUFS(CAPTURE)",
            dev.reqbufs(CAPTURE_MPLANE, args.slots + leaks.len() as u32 + 2),
        )
        .map_err(e)?;
    let mut cap_maps = Vec::new();
    for i in 0..n_cap {
        let p = log
            .call("VIDIOC_QUERYBUF(CAPTURE)", dev.querybuf(CAPTURE_MPLANE, i))
            .map_err(e)?;
        cap_maps.push(dev.mmap(p).map_err(e)?);
        log.call(
            "VIDIOC_QBUF(CAPTURE)",
            dev.qbuf(CAPTURE_MPLANE, i, &[], 0, None),
        )
        .map_err(e)?;
    }
    let mut slots = Vec::new();
    for _ in 0..args.slots {
        let request = log
            .call("MEDIA_IOC_REQUEST_ALLOC", mdev.alloc_request())
            .map_err(e)?;
        slots.push(Slot {
            request,
            busy: false,
            leaked_at: None,
        });
    }
    log.call("VIDIOC_STREAMON(OUTPUT)", dev.streamon(OUTPUT_MPLANE))
        .map_err(e)?;
    log.call("VIDIOC_STREAMON(CAPTURE)", dev.streamon(CAPTURE_MPLANE))
        .map_err(e)?;
    println!(
        "decoding {} frames of {w}x{h} MPEG-2 with {} request slots; errors on frames {:?}{}",
        args.frames,
        args.slots,
        leaks,
        if args.fixed {
            " (fixed error path)"
        } else {
            ""
        }
    );

    let mut decoded = 0;
    let mut starved = None;
    for frame in 0..args.frames {
        let Some(s) = slots.iter().position(|s| !s.busy) else {
            starved = Some(frame);
            break;
        };
        let chunk = mpeg2_chunk(frame);
        out_maps[s].as_mut_slice()[..chunk.len()].copy_from_slice(&chunk);
        let req = slots[s].request.as_raw_fd();
        let ctrls = mpeg2_controls(args.width, args.height);
        log.call("VIDIOC_S_EXT_CTRLS", dev.s_ext_ctrls_request(req, &ctrls))
            .map_err(e)?;
        let ts = u64::from(frame + 1) * 33_333;
        log.call(
            "VIDIOC_QBUF(OUTPUT)",
            dev.qbuf(OUTPUT_MPLANE, s as u32, &chunk, ts, Some(req)),
        )
        .map_err(e)?;
        log.call("MEDIA_REQUEST_IOC_QUEUE", slots[s].request.queue())
            .map_err(e)?;
        slots[s].busy = true;

        // Sync.
        if !slots[s].request.wait(5000).map_err(e)? {
            return Err(format!(
                "frame {frame}: request of slot {s} did not complete in 5 s"
            ));
        }
        log.call("VIDIOC_DQBUF(OUTPUT)", dev.dqbuf(OUTPUT_MPLANE))
            .map_err(e)?;
        if leaks.contains(&frame) {
            // The simulated error: a CAPTURE DQBUF with the single-planar buffer type on this
            // multi-planar queue fails for real (EINVAL).
            let r = log.call(
                "VIDIOC_DQBUF(VIDEO_CAPTURE)",
                dev.dqbuf_memory(1, MEMORY_MMAP),
            );
            let errno = r
                .err()
                .map(|e| e.errno.name())
                .unwrap_or_else(|| "no error?".into());
            if !args.fixed {
                // The bug: return from sync without releasing the slot.
                slots[s].leaked_at = Some(frame);
                let left = slots.iter().filter(|s| !s.busy).count();
                println!("frame {frame}: sync failed ({errno}); slot {s} leaked, {left} of {} slots left", args.slots);
                continue;
            }
            println!("frame {frame}: sync failed ({errno}); force_release(slot {s})");
        }
        let d = log
            .call("VIDIOC_DQBUF(CAPTURE)", dev.dqbuf(CAPTURE_MPLANE))
            .map_err(e)?;
        log.call(
            "VIDIOC_QBUF(CAPTURE)",
            dev.qbuf(CAPTURE_MPLANE, d.index, &[], 0, None),
        )
        .map_err(e)?;
        decoded += 1;
        if let Err(err) = log.call("MEDIA_REQUEST_IOC_REINIT", slots[s].request.reinit()) {
            let errno = err.errno.name();
            if !args.fixed {
                // The bug: the request is never REINIT'd again, the slot never freed.
                slots[s].leaked_at = Some(frame);
                let left = slots.iter().filter(|s| !s.busy).count();
                println!(
                    "frame {frame}: REINIT failed ({errno}); slot {s} leaked, {left} of {} slots left",
                    args.slots
                );
                continue;
            }
            println!(
                "frame {frame}: REINIT failed ({errno}); force_release(slot {s}): REINIT again"
            );
            log.call("MEDIA_REQUEST_IOC_REINIT", slots[s].request.reinit())
                .map_err(e)?;
        }
        slots[s].busy = false;
    }

    log.call("VIDIOC_STREAMOFF(OUTPUT)", dev.streamoff(OUTPUT_MPLANE))
        .map_err(e)?;
    log.call("VIDIOC_STREAMOFF(CAPTURE)", dev.streamoff(CAPTURE_MPLANE))
        .map_err(e)?;
    drop(out_maps);
    drop(cap_maps);
    log.call("VIDIOC_REQBUFS(OUTPUT, 0)", dev.reqbufs(OUTPUT_MPLANE, 0))
        .map_err(e)?;
    log.call("VIDIOC_REQBUFS(CAPTURE, 0)", dev.reqbufs(CAPTURE_MPLANE, 0))
        .map_err(e)?;
    drop(slots);
    match starved {
        Some(frame) => {
            println!(
                "STARVED at frame {frame}: all {} request slots leaked; {decoded} frames decoded",
                args.slots
            );
            Ok(3)
        }
        None => {
            println!("decoded {decoded} of {} frames", args.frames);
            Ok(0)
        }
    }
}
