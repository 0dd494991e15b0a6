//! `vatrace diff` of this driver against GStreamer's `v4l2slh264dec` in the test-bed (a real
//! 6.12 kernel with visl, slice-based as GStreamer runs it): both decodes of each clip are
//! recorded with `vatrace record` in the guest, then compared on the host. Only the fields the
//! driver README lists as not carried by VA-API may differ (client behaviour, also listed there,
//! is left out with `--ignore`). With `--features test-corrupt`, a driver that sends one named
//! field wrong makes `diff` report exactly that field.
//!
//! The same recordings give the per-frame cost of the decode loop: ioctls and waits per frame
//! under ffmpeg and mpv at two sizes, within the budget of issue 14 (7 ioctls + 1 wait).
//!
//! Needs the `vatrace` binary next to the test executables' folder (`cargo build -p tracer`;
//! `cargo xtask test` builds the workspace first) and, like `testbed.rs`, a cargo target
//! directory outside /tmp.

use std::collections::BTreeSet;
use std::time::Duration;

use testbed::clips::{Clip, Codec};
use testbed::{run_sh, RunOptions};

mod common;
use common::{diff, driver_dir, per_frame, readme_fields, record_pairs, va_env, vatrace, Pair};

/// The README heading of the fields where two clients legitimately differ (left out).
const CLIENTS: &str = "Fields where two clients differ";

fn clip(args: &[&str]) -> Clip {
    Clip {
        codec: Codec::H264,
        width: 320,
        height: 240,
        frames: 30,
        encoder_args: args.iter().map(|s| s.to_string()).collect(),
    }
}

/// B-frames, two slices, weighted prediction, the 8x8 transform with a scaling matrix.
fn clips() -> Vec<(&'static str, Clip)> {
    vec![
        ("main-b", clip(&["-profile:v", "main", "-bf", "2"])),
        (
            "high-2-slices",
            clip(&["-profile:v", "high", "-bf", "2", "-x264-params", "slices=2"]),
        ),
        (
            "high-weightp",
            clip(&[
                "-profile:v",
                "high",
                "-bf",
                "2",
                "-x264-params",
                "weightp=2",
            ]),
        ),
        (
            "high-8x8-cqm",
            clip(&[
                "-profile:v",
                "high",
                "-bf",
                "2",
                "-x264-params",
                "8x8dct=1:cqm=jvt",
            ]),
        ),
    ]
}

/// Records GStreamer's and the driver's decode of every clip in one test-bed run; returns
/// `(name, gst trace, driver trace)`.
fn record_all(tag: &str, driver_env: &str) -> Vec<Pair> {
    let va_env = format!(
        "{} V4L2_REQUEST_H264_MODE=slice V4L2_REQUEST_H264_START_CODE=none {driver_env}",
        va_env()
    );
    record_pairs(
        &format!("driver-diff-{tag}"),
        clips(),
        "h264parse ! v4l2slh264dec",
        &va_env,
    )
}

#[test]
fn driver_differs_from_gstreamer_only_in_what_va_api_does_not_carry() {
    let not_carried: BTreeSet<String> = readme_fields("Fields VA-API does not carry")
        .into_iter()
        .collect();
    let mut report = Vec::new();
    for (name, gst, va) in record_all("clean", "") {
        // Against itself: the same, exit 0.
        for t in [&gst, &va] {
            let (code, fields, v) = diff(t, t, CLIENTS);
            assert_eq!(
                (code, fields.len()),
                (0, 0),
                "{name}: {} against itself: {v}",
                t.display()
            );
        }
        let (code, fields, v) = diff(&gst, &va, CLIENTS);
        let frames = v["frames_compared"].as_u64().unwrap();
        let slices = if name.contains("2-slices") { 2 } else { 1 };
        assert_eq!(frames, 30 * slices, "{name}: {v}");
        assert!(code == 0 || code == 1, "{name}: exit {code}: {v}");
        eprintln!("{name}: {}", v["summary"]);
        let unexplained: Vec<&String> = fields.difference(&not_carried).collect();
        if !unexplained.is_empty() {
            report.push(format!("{name}: {unexplained:?}\n{v:#}"));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

/// Needs `--features test-corrupt`.
#[cfg(feature = "test-corrupt")]
#[test]
fn a_corrupted_field_is_reported_alone() {
    let not_carried: BTreeSet<String> = readme_fields("Fields VA-API does not carry")
        .into_iter()
        .collect();
    let field = "h264_decode_params.pic_order_cnt_bit_size";
    for (name, gst, va) in record_all("corrupt", &format!("VATRACE_TEST_CORRUPT={field}")) {
        let (code, fields, v) = diff(&gst, &va, CLIENTS);
        assert_eq!(code, 1, "{name}: {v}");
        let left: Vec<&String> = fields.difference(&not_carried).collect();
        assert_eq!(left, [field], "{name}: {v:#}");
        let f = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == field)
            .unwrap();
        let frames = v["frames_compared"].as_u64().unwrap();
        assert_eq!(
            f["frames"].as_u64(),
            Some(frames),
            "{name}: every frame: {f}"
        );
    }
}

#[test]
fn ioctls_per_frame_within_budget() {
    let dir = testbed::paths::work_dir("driver-ioctl-budget");
    let va_env = format!(
        "LIBVA_DRIVERS_PATH={} LIBVA_DRIVER_NAME=v4l2_request",
        driver_dir().display()
    );
    let mut script = String::from("set -e\n");
    let mut traces = Vec::new();
    for (w, h) in [(320, 240), (1280, 720)] {
        let c = Clip {
            width: w,
            height: h,
            ..clip(&["-profile:v", "high", "-bf", "2"])
        };
        let path = c.generate().unwrap().display().to_string();
        let clients = [
            (
                "ffmpeg",
                format!(
                    "ffmpeg -nostdin -loglevel error -threads 1 -hwaccel vaapi \
                     -hwaccel_output_format vaapi -vaapi_device /dev/dri/renderD128 -i {path} \
                     -vf hwdownload,format=nv12 -f rawvideo -y /dev/null"
                ),
            ),
            (
                "mpv",
                format!(
                    "mpv --no-config --hwdec=vaapi-copy --vaapi-device=/dev/dri/renderD128 \
                     --vo=null --ao=null --untimed --really-quiet {path}"
                ),
            ),
        ];
        for (client, cmd) in clients {
            let t = dir.join(format!("{client}-{w}x{h}.trace"));
            script += &format!(
                "{v} record -o {t} -- env {va_env} {cmd}\n",
                v = vatrace().display(),
                t = t.display()
            );
            traces.push((format!("{client} {w}x{h}"), t));
        }
    }
    // MPEG-2 (one request per picture) under ffmpeg.
    let m2v = Clip {
        codec: Codec::Mpeg2,
        ..clip(&["-bf", "2"])
    };
    let path = m2v.generate().unwrap().display().to_string();
    let t = dir.join("ffmpeg-mpeg2-320x240.trace");
    script += &format!(
        "{v} record -o {t} -- env {va_env} ffmpeg -nostdin -loglevel error -threads 1 -hwaccel vaapi \
         -hwaccel_output_format vaapi -vaapi_device /dev/dri/renderD128 -i {path} \
         -vf hwdownload,format=nv12 -f rawvideo -y /dev/null\n",
        v = vatrace().display(),
        t = t.display()
    );
    traces.push(("ffmpeg MPEG-2 320x240".to_string(), t));
    let opts = RunOptions {
        timeout: Duration::from_secs(900),
        ..Default::default()
    };
    run_sh(&script, &opts).unwrap().check().unwrap();
    let mut report = Vec::new();
    for (name, t) in &traces {
        let (frames, ioctls, waits, eagain, by_name) = per_frame(t);
        let line = format!(
            "{name}: {frames} frames, {ioctls:.2} ioctls + {waits:.2} waits per frame, \
             {eagain} EAGAIN DQBUFs; {by_name:?}"
        );
        eprintln!("{line}");
        if ioctls > 7.0 || waits > 1.0 || eagain > 0 {
            report.push(line);
        }
    }
    assert!(report.is_empty(), "over budget:\n{}", report.join("\n"));
}
