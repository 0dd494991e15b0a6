//! Bitstream capture beyond 1 MiB (issue 17): GStreamer's `v4l2slh264dec` decodes, through visl
//! in the test-bed, a 1920x1080 H.264 clip of intra frames made of noise (about 2.2 MB each: over
//! the 1 MiB the tracer used to stop at, within GStreamer's OUTPUT buffers of w×h×3/2 = 3.1 MB)
//! while `vatrace record` traces it. Every OUTPUT
//! buffer's bitstream is captured whole (`decode::check_decode_trace_attach`: length = the
//! QBUF's `bytesused`, bytes captured = bytes queued, ioctl count = strace's, controls = visl's),
//! and the captured bytes are the clip's own: each frame's slice data is found in the file.

#[path = "common/decode.rs"]
mod decode;

use std::time::Duration;

use testbed::{
    clips::{Clip, Codec},
    run_sh, RunOptions,
};
use traces::{Record, TraceReader};

const VATRACE: &str = env!("CARGO_BIN_EXE_vatrace");

/// Where `needle` occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let head = &needle[..needle.len().min(64)];
    hay.windows(head.len())
        .enumerate()
        .filter(|(_, w)| *w == head)
        .map(|(i, _)| i)
        .find(|&i| hay.get(i..i + needle.len()) == Some(needle))
}

#[test]
fn output_buffers_over_1_mib_are_captured_whole() {
    let clip = Clip {
        codec: Codec::H264,
        width: 1920,
        height: 1080,
        frames: 3,
        encoder_args: ["-vf", "noise=alls=100:allf=t", "-qp", "22", "-g", "1"]
            .map(String::from)
            .to_vec(),
    };
    let clip_path = clip.generate().unwrap();
    let dir = testbed::paths::work_dir("tracer-bitstream-over-1mib");
    let script = decode::record_script_attach(
        VATRACE,
        &clip_path,
        "h264parse",
        "v4l2slh264dec",
        "visl_h264_controls",
        &dir,
        &[""],
    );
    let opts = RunOptions {
        timeout: Duration::from_secs(600),
        ..Default::default()
    };
    let out = run_sh(&script, &opts).unwrap().check().unwrap();
    eprintln!("{}", out.stderr_str());
    decode::check_decode_trace_attach(&dir, &clip, "v4l2slh264dec", "");

    // The captured bytes are the clip's: each buffer, after the start code GStreamer puts
    // before the slice, is a run of bytes of the file.
    let file = std::fs::read(&clip_path).unwrap();
    let (trace, _) = decode::file_names("");
    let mut blobs = std::collections::HashMap::new();
    let mut large = 0;
    for rec in TraceReader::open(dir.join(trace)).unwrap() {
        match rec.unwrap() {
            Record::Blob(b) => {
                blobs.insert(b.id, b.data);
            }
            Record::Bitstream(b) if b.len > 1 << 20 => {
                let data = &blobs[&b.blob];
                assert_eq!(data.len() as u64, b.len);
                let start = if data.starts_with(&[0, 0, 0, 1]) {
                    4
                } else {
                    3
                };
                assert!(
                    find(&file, &data[start..]).is_some(),
                    "QBUF #{}: the {} bytes captured are not in {}",
                    b.ioctl_seq,
                    b.len,
                    clip_path.display()
                );
                large += 1;
            }
            _ => {}
        }
    }
    assert!(large >= 3, "{large} OUTPUT buffers over 1 MiB");
}
