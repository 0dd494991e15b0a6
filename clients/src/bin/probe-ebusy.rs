//! `probe-ebusy`: the resolution-change probe pattern of mpv/libplacebo-style clients, on visl.
//!
//! Sets the coded format (MPEG-2 or H.264 slices) at 128x128, allocates 4 small CAPTURE buffers,
//! maps and queues them and starts CAPTURE streaming, then switches to 1920x1080:
//! * default (the bug): `VIDIOC_REQBUFS(CAPTURE, 0)` while CAPTURE is still streaming, its buffers
//!   mapped and queued: the kernel answers EBUSY, and so do the re-format and the re-allocation,
//!   so the new size never applies. Exit code 2, after printing `EBUSY at call N`.
//! * `--fixed`: STREAMOFF, munmap, then `REQBUFS(0)` succeeds, the 1920x1080 formats apply and
//!   the re-allocated buffers are big enough. Exit code 0.
//!
//! Any other failure exits 1. Every call is numbered (`-v` prints them all), so the same call
//! number on every run is the determinism check.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use clients::synthetic::{visl_nodes, CallLog, H264_SLICE, MPEG2_SLICE, NV12};
use clients::v4l2::{BufferMap, VideoDevice, CAPTURE_MPLANE, OUTPUT_MPLANE};

#[derive(Parser, Debug)]
#[command(
    about = "Resolution-change probe pattern on visl: REQBUFS(0) on a live CAPTURE queue (EBUSY), or --fixed"
)]
struct Args {
    /// Drain CAPTURE (STREAMOFF, munmap) before REQBUFS(0): the right way.
    #[arg(long)]
    fixed: bool,
    /// Coded format: mpeg2 or h264.
    #[arg(long, default_value = "mpeg2")]
    codec: String,
    /// Video node (default: the one named "visl").
    #[arg(long)]
    video: Option<PathBuf>,
    /// Print every call, not only failures.
    #[arg(short, long)]
    verbose: bool,
}

const PROBE: (u32, u32) = (128, 128);
const REAL: (u32, u32) = (1920, 1080);
const COUNT: u32 = 4;

fn main() -> ExitCode {
    let args = Args::parse();
    let code = match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("probe-ebusy: {e}");
            1
        }
    };
    ExitCode::from(code)
}

/// A CAPTURE format as S_FMT returned it: (width, height, sizeimage).
type Format = (u32, u32, u32);

/// Sets the OUTPUT and CAPTURE formats to `size`, allocates `COUNT` CAPTURE buffers, queries
/// and maps each (refusing one too small for an NV12 frame of `size`); returns the CAPTURE format
/// (width, height, sizeimage) and the mappings.
fn allocate(
    dev: &VideoDevice,
    log: &mut CallLog,
    coded: u32,
    (width, height): (u32, u32),
) -> Result<(Format, Vec<BufferMap>), String> {
    let e = |e: clients::v4l2::CallError| e.to_string();
    log.call(
        &format!("VIDIOC_S_FMT(OUTPUT, {width}x{height})"),
        dev.s_fmt(OUTPUT_MPLANE, coded, width, height, 0),
    )
    .map_err(e)?;
    let format = log
        .call(
            &format!("VIDIOC_S_FMT(CAPTURE, {width}x{height})"),
            dev.s_fmt(CAPTURE_MPLANE, NV12, width, height, 0),
        )
        .map_err(e)?;
    let n = log
        .call(
            &format!("VIDIOC_REQBUFS(CAPTURE, {COUNT})"),
            dev.reqbufs(CAPTURE_MPLANE, COUNT),
        )
        .map_err(e)?;
    let mut maps = Vec::new();
    for i in 0..n {
        let p = log
            .call(
                &format!("VIDIOC_QUERYBUF(CAPTURE, {i})"),
                dev.querybuf(CAPTURE_MPLANE, i),
            )
            .map_err(e)?;
        if p.length < width * height * 3 / 2 {
            return Err(format!(
                "CAPTURE buffer {i} is {} bytes, too small for {width}x{height}",
                p.length
            ));
        }
        maps.push(dev.mmap(p).map_err(e)?);
    }
    Ok((format, maps))
}

fn run(args: &Args) -> Result<u8, String> {
    let coded = match args.codec.as_str() {
        "mpeg2" => MPEG2_SLICE,
        "h264" => H264_SLICE,
        other => return Err(format!("unknown codec {other:?} (mpeg2, h264)")),
    };
    let (video, _) = visl_nodes(args.video.clone(), Some(PathBuf::new()))?;
    let mut log = CallLog::new(args.verbose);
    let e = |e: clients::v4l2::CallError| e.to_string();

    let dev = VideoDevice::open(&video).map_err(e)?;
    let (driver, _) = log.call("VIDIOC_QUERYCAP", dev.querycap()).map_err(e)?;
    println!("device {} driver {driver}", video.display());

    // The probe surfaces.
    let (_, mut maps) = allocate(&dev, &mut log, coded, PROBE)?;
    let n = maps.len() as u32;
    for i in 0..n {
        log.call(
            &format!("VIDIOC_QBUF(CAPTURE, {i})"),
            dev.qbuf(CAPTURE_MPLANE, i, &[], 0, None),
        )
        .map_err(e)?;
    }
    log.call("VIDIOC_STREAMON(CAPTURE)", dev.streamon(CAPTURE_MPLANE))
        .map_err(e)?;
    println!(
        "probe: {n} CAPTURE buffers of {}x{} mapped, queued, streaming",
        PROBE.0, PROBE.1
    );

    // The resolution change.
    if args.fixed {
        log.call("VIDIOC_STREAMOFF(CAPTURE)", dev.streamoff(CAPTURE_MPLANE))
            .map_err(e)?;
        maps.clear(); // munmap
    }
    let freed = log.call("VIDIOC_REQBUFS(CAPTURE, 0)", dev.reqbufs(CAPTURE_MPLANE, 0));
    let code = match freed {
        Err(err) if err.errno.0 == libc::EBUSY => {
            let at = log.last();
            println!("EBUSY at call {at}: VIDIOC_REQBUFS(CAPTURE, 0) while CAPTURE is streaming with {n} buffers mapped");
            let f = log.call(
                "VIDIOC_S_FMT(OUTPUT, 1920x1080)",
                dev.s_fmt(OUTPUT_MPLANE, coded, REAL.0, REAL.1, 0),
            );
            let r = log.call(
                "VIDIOC_REQBUFS(CAPTURE, 4)",
                dev.reqbufs(CAPTURE_MPLANE, COUNT),
            );
            let size = log
                .call(
                    "VIDIOC_QUERYBUF(CAPTURE, 0)",
                    dev.querybuf(CAPTURE_MPLANE, 0),
                )
                .map_err(e)?;
            println!(
                "new size never applied: S_FMT {}, REQBUFS {}, CAPTURE buffer 0 still {} bytes",
                f.map(|_| "ok".to_string())
                    .unwrap_or_else(|e| e.errno.name()),
                r.map(|_| "ok".to_string())
                    .unwrap_or_else(|e| e.errno.name()),
                size.length
            );
            // Tear down the right way so the process exits cleanly.
            log.call("VIDIOC_STREAMOFF(CAPTURE)", dev.streamoff(CAPTURE_MPLANE))
                .map_err(e)?;
            maps.clear();
            log.call("VIDIOC_REQBUFS(CAPTURE, 0)", dev.reqbufs(CAPTURE_MPLANE, 0))
                .map_err(e)?;
            2
        }
        Err(err) => return Err(err.to_string()),
        Ok(_) => {
            let ((w, h, size), new_maps) = allocate(&dev, &mut log, coded, REAL)?;
            maps = new_maps;
            let n = maps.len();
            println!("new size applied: {n} CAPTURE buffers of {w}x{h} ({size} bytes)");
            maps.clear();
            log.call("VIDIOC_REQBUFS(CAPTURE, 0)", dev.reqbufs(CAPTURE_MPLANE, 0))
                .map_err(e)?;
            0
        }
    };
    println!("{} calls", log.last());
    Ok(code)
}
