//! VP8 through the driver in the test-bed (6.12 kernel, visl under QEMU): vainfo lists
//! VAProfileVP8Version0_3 when visl offers `VP8F`; ffmpeg (`-hwaccel vaapi`, which strips the
//! frame tag) and GStreamer (`vavp8dec`, which keeps it) decode generated libvpx clips (4 token
//! partitions with altref frames; segmentation) to the exact NV12 size; the FRAME control
//! differs from GStreamer `v4l2slvp8dec`'s only in the fields the README lists; the decode loop
//! stays within 7 ioctls + 1 wait per frame.

use std::time::Duration;

use testbed::clips::{Clip, Codec};
use testbed::{run_sh, RunOptions};

mod common;
use common::{
    assert_lines, diff, driver_dir, opts, per_frame, readme_fields, record_pairs, va_env, vatrace,
};

fn clip(args: &[&str]) -> Clip {
    Clip {
        codec: Codec::Vp8,
        width: 320,
        height: 240,
        frames: 30,
        encoder_args: args.iter().map(|s| s.to_string()).collect(),
    }
}

fn clips() -> Vec<(&'static str, Clip)> {
    vec![
        // libvpx `-slices 4`: 4 token partitions; golden and altref refreshes.
        (
            "partitions-altref",
            clip(&["-slices", "4", "-auto-alt-ref", "1", "-lag-in-frames", "16"]),
        ),
        // Real-time error-resilient mode: segmentation on every frame (cyclic refresh, delta
        // quantisers), a loop filter level that changes per frame.
        (
            "segmentation",
            clip(&[
                "-deadline",
                "realtime",
                "-error-resilient",
                "1",
                "-cpu-used",
                "8",
                "-b:v",
                "200k",
            ]),
        ),
    ]
}

#[test]
fn vainfo_lists_vp8_profile() {
    common::assert_vainfo_lists(&["VAProfileVP8Version0_3"]);
}

#[test]
fn ffmpeg_and_gstreamer_decode_every_vp8_clip() {
    let env = va_env();
    let mut script = String::from("set -u\n");
    let clips = clips();
    for (name, c) in &clips {
        let path = c.generate().unwrap();
        script += &format!(
            "rm -f /tmp/out.yuv; {env} ffmpeg -nostdin -loglevel error -hwaccel vaapi \
             -hwaccel_output_format vaapi -vaapi_device /dev/dri/renderD128 -i {p} \
             -vf hwdownload,format=nv12 -f rawvideo -y /tmp/out.yuv; \
             echo \"ffmpeg {name} rc=$? size=$(stat -c %s /tmp/out.yuv)\"\n\
             rm -f /tmp/gst.yuv; GST_VA_ALL_DRIVERS=1 {env} gst-launch-1.0 -q filesrc location={p} ! \
             ivfparse ! vavp8dec ! video/x-raw,format=NV12 ! filesink location=/tmp/gst.yuv; \
             echo \"gst {name} rc=$? size=$(stat -c %s /tmp/gst.yuv)\"\n",
            p = path.display()
        );
    }
    let out = run_sh(&script, &opts()).unwrap();
    assert_lines(
        &out,
        clips.iter().flat_map(|(name, c)| {
            ["ffmpeg", "gst"].map(|client| format!("{client} {name} rc=0 size={}", c.nv12_bytes()))
        }),
    );
}

#[test]
fn vp8_controls_differ_from_v4l2slvp8dec_only_where_documented() {
    let documented = readme_fields("VP8 fields VA-API does not carry");
    let mut report = Vec::new();
    for (name, gst, va) in record_pairs(
        "driver-vp8-diff",
        clips(),
        "ivfparse ! v4l2slvp8dec",
        &va_env(),
    ) {
        let (_, fields, v) = diff(&gst, &va, "VP8 fields where two clients differ");
        eprintln!("{name}: {}", v["summary"]);
        assert_eq!(v["frames_compared"].as_u64(), Some(30), "{name}: {v}");
        let unexplained: Vec<&String> = fields.iter().filter(|f| !documented.contains(f)).collect();
        if !unexplained.is_empty() {
            report.push(format!("{name}: {unexplained:?}\n{v:#}"));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

/// As `diff_testbed.rs::ioctls_per_frame_within_budget` for H.264: ffmpeg, one thread,
/// downloading every frame, on each clip.
#[test]
fn vp8_ioctls_per_frame_within_budget() {
    let dir = testbed::paths::work_dir("driver-vp8-ioctl-budget");
    let va_env = format!(
        "LIBVA_DRIVERS_PATH={} LIBVA_DRIVER_NAME=v4l2_request",
        driver_dir().display()
    );
    let mut script = String::from("set -e\n");
    let mut traces = Vec::new();
    for (name, c) in clips() {
        let path = c.generate().unwrap().display().to_string();
        let t = dir.join(format!("ffmpeg-{name}.trace"));
        script += &format!(
            "{v} record -o {t} -- env {va_env} ffmpeg -nostdin -loglevel error -threads 1 \
             -hwaccel vaapi -hwaccel_output_format vaapi -vaapi_device /dev/dri/renderD128 \
             -i {path} -vf hwdownload,format=nv12 -f rawvideo -y /dev/null\n",
            v = vatrace().display(),
            t = t.display()
        );
        traces.push((name, t));
    }
    let opts = RunOptions {
        timeout: Duration::from_secs(900),
        ..Default::default()
    };
    run_sh(&script, &opts).unwrap().check().unwrap();
    let mut report = Vec::new();
    for (name, t) in &traces {
        let (frames, ioctls, waits, eagain, by_name) = per_frame(t);
        let line = format!(
            "VP8 {name}: {frames} frames, {ioctls:.2} ioctls + {waits:.2} waits per frame, \
             {eagain} EAGAIN DQBUFs; {by_name:?}"
        );
        eprintln!("{line}");
        assert_eq!(frames, 30, "{line}");
        if ioctls > 7.0 || waits > 1.0 || eagain > 0 {
            report.push(line);
        }
    }
    assert!(report.is_empty(), "over budget:\n{}", report.join("\n"));
}
