//! The test-bed itself, tested in the test-bed: the devices exist, GStreamer's reference
//! request-API client decodes through visl, and the runner reports exit codes and time-outs.

use std::time::Duration;

use testbed::clips::{Clip, Codec};
use testbed::{run, run_sh, Outcome, RunOptions};

fn opts() -> RunOptions {
    RunOptions {
        timeout: Duration::from_secs(300),
        ..Default::default()
    }
}

#[test]
fn devices_btf_and_bpf_lsm_are_present() {
    let script = r#"
        for n in /sys/class/video4linux/*/name; do echo "video $(basename $(dirname $n)) $(cat $n)"; done
        for m in /dev/media*; do echo "media $m"; done
        [ -c /dev/dri/renderD128 ] && echo "render /dev/dri/renderD128"
        [ -s /sys/kernel/btf/vmlinux ] && echo "btf yes"
        echo "lsm $(cat /sys/kernel/security/lsm)"
        [ -d /sys/kernel/tracing/events/visl_h264_controls ] && echo "visl-events yes"
    "#;
    let out = run_sh(script, &opts()).unwrap().check().unwrap();
    let text = out.stdout_str();
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("video "))
        .filter_map(|l| l.split_once(' ').map(|(_, n)| n))
        .collect();
    for expected in [
        "visl",
        "stateless-decoder",
        "stateful-decoder",
        "stateful-encoder",
        "vim2m",
    ] {
        assert!(
            names.contains(&expected),
            "no /dev/video* named {expected:?} in {names:?}"
        );
    }
    assert!(
        text.lines()
            .filter(|l| l.starts_with("media /dev/media"))
            .count()
            >= 2,
        "{text}"
    );
    assert!(text.contains("render /dev/dri/renderD128"), "{text}");
    assert!(text.contains("btf yes"), "{text}");
    let lsm = text
        .lines()
        .find_map(|l| l.strip_prefix("lsm "))
        .unwrap_or("");
    assert!(
        lsm.split(',').any(|l| l == "bpf"),
        "BPF LSM not active: {lsm:?}"
    );
    assert!(text.contains("visl-events yes"), "{text}");
}

/// Decodes `clip` with GStreamer's `pipeline` (filesrc ! PARSER ! DECODER ! NV12 ! filesink)
/// through visl with `event` enabled, and checks the output size and one event per frame.
fn gst_decode(clip: Clip, parser: &str, decoder: &str, event: &str) {
    let path = clip.generate().unwrap();
    let out_file = path.with_extension(format!("{decoder}.yuv"));
    let _ = std::fs::remove_file(&out_file);
    let script = format!(
        r#"set -e
        T=/sys/kernel/tracing
        echo 1 > $T/events/{event}/enable
        gst-launch-1.0 -q filesrc location={clip} ! {parser} ! {decoder} ! video/x-raw,format=NV12 ! filesink location={out}
        echo 0 > $T/tracing_on
        echo "events $(grep -c '{name}:' $T/trace)"
        "#,
        clip = path.display(),
        out = out_file.display(),
        name = event.rsplit('/').next().unwrap(),
    );
    let out = run_sh(&script, &opts()).unwrap().check().unwrap();
    let size = std::fs::metadata(&out_file).unwrap().len();
    assert_eq!(
        size,
        clip.nv12_bytes(),
        "{decoder}: {} frames of {}x{} NV12",
        clip.frames,
        clip.width,
        clip.height
    );
    let events: u32 = out
        .stdout_str()
        .lines()
        .find_map(|l| l.strip_prefix("events "))
        .and_then(|n| n.trim().parse().ok())
        .expect("event count");
    assert_eq!(events, clip.frames, "{event} events");
}

#[test]
fn gstreamer_h264_decodes_through_visl() {
    gst_decode(
        Clip::small(Codec::H264),
        "h264parse",
        "v4l2slh264dec",
        "visl_h264_controls/v4l2_ctrl_h264_sps",
    );
}

#[test]
fn gstreamer_mpeg2_decodes_through_visl() {
    gst_decode(
        Clip::small(Codec::Mpeg2),
        "mpegvideoparse",
        "v4l2slmpeg2dec",
        "visl_mpeg2_controls/v4l2_ctrl_mpeg2_sequence",
    );
}

#[test]
fn gstreamer_vp8_decodes_through_visl() {
    gst_decode(
        Clip::small(Codec::Vp8),
        "ivfparse",
        "v4l2slvp8dec",
        "visl_vp8_controls/v4l2_ctrl_vp8_frame",
    );
}

#[test]
fn runner_propagates_the_exit_code_and_output() {
    let out = run(
        &[
            "/bin/sh",
            "-c",
            "echo to-stdout; echo to-stderr >&2; exit 7",
        ],
        &opts(),
    )
    .unwrap();
    assert_eq!(out.outcome, Outcome::Exited(7));
    assert_eq!(out.stdout_str(), "to-stdout\n");
    assert_eq!(out.stderr_str(), "to-stderr\n");
    assert!(out.check().is_err());
}

#[test]
fn runner_kills_a_hung_guest_at_the_timeout() {
    let o = RunOptions {
        timeout: Duration::from_secs(25),
        ..Default::default()
    };
    let out = run(&["/bin/sleep", "1000"], &o).unwrap();
    assert_eq!(out.outcome, Outcome::TimedOut);
    assert!(out.elapsed < Duration::from_secs(60));
    let msg = out.explain();
    assert!(msg.contains("timeout"), "{msg}");
    assert!(msg.contains("console"), "{msg}");
}

#[test]
fn runner_reports_a_kernel_panic() {
    // An unknown init makes the kernel panic; the runner must say so rather than hang.
    let o = RunOptions {
        timeout: Duration::from_secs(120),
        append: vec!["init=/nonexistent".into()],
        ..Default::default()
    };
    let out = run(&["/bin/true"], &o).unwrap();
    assert_eq!(out.outcome, Outcome::NoExitCode);
    assert!(out.explain().contains("kernel panic"), "{}", out.explain());
}

#[test]
fn runner_passes_environment_and_kernel_arguments() {
    let o = RunOptions {
        append: vec!["visl.visl_transtime_ms=5".into()],
        env: vec![("VATRACE_PROBE".into(), "a b'c".into())],
        ..opts()
    };
    let out = run_sh(
        "echo \"$VATRACE_PROBE\"; cat /sys/module/visl/parameters/visl_transtime_ms; pwd",
        &o,
    )
    .unwrap()
    .check()
    .unwrap();
    let text = out.stdout_str();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "a b'c");
    assert_eq!(lines[1], "5");
    assert_eq!(lines[2], testbed::paths::repo_root().to_str().unwrap());
}
