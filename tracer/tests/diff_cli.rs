//! `vatrace diff` on the committed sample traces (host only): each against itself is the same
//! (exit 0); GStreamer's decode against the libva driver's differs in the fields VA-API does
//! not carry and in how the two clients drive the device (exit 1); an MPEG-2 trace against an
//! H.264 one is refused naming both (exit 2); a cut copy is compared up to its cut and says so.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const VATRACE: &str = env!("CARGO_BIN_EXE_vatrace");

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../traces/samples")
        .join(name)
}

fn diff(args: &[&str]) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(VATRACE)
        .arg("diff")
        .args(args)
        .output()
        .unwrap();
    (
        status.code().unwrap(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

#[test]
fn every_sample_against_itself_exits_0() {
    for name in [
        "gst-v4l2slh264dec.trace",
        "ffmpeg-vaapi.trace",
        "probe-ebusy.trace",
        "request-leak.trace",
        "request-leak-fixed.trace",
    ] {
        let p = sample(name);
        let p = p.to_str().unwrap();
        let (code, out, err) = diff(&[p, p]);
        assert_eq!(code, 0, "{name}: {out}{err}");
        assert!(out.lines().last().unwrap().starts_with("same:"), "{out}");
    }
}

#[test]
fn gstreamer_against_the_driver_names_the_fields_and_exits_1() {
    let (a, b) = (
        sample("gst-v4l2slh264dec.trace"),
        sample("ffmpeg-vaapi.trace"),
    );
    let (code, out, err) = diff(&[
        "--json",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--ignore",
        "calls",
        "--ignore",
        "stream",
        // The sample's driver ran frame-based: no slice parameters or weights to compare.
        "--ignore",
        "h264_slice_params",
        "--ignore",
        "h264_pred_weights",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let fields: Vec<&str> = v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "h264_sps.level_idc",
            "h264_pps.num_ref_idx_l0_default_active_minus1"
        ],
        "{v:#}"
    );
    assert_eq!(v["frames_compared"], 30);
    assert_eq!(v["first"]["frame"], "0");
    // Without the ignores, the clients' different behaviour shows too.
    let (code, out, _) = diff(&[a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("\ncalls: differs in 30 of 30 frames"), "{out}");
    assert!(
        out.contains("stream.decode_mode (stream)\n    stream: A SLICE_BASED  B FRAME_BASED"),
        "{out}"
    );
}

#[test]
fn different_codecs_are_refused_with_exit_2() {
    let (a, b) = (
        sample("gst-v4l2slh264dec.trace"),
        sample("request-leak.trace"),
    );
    let (code, out, err) = diff(&[a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("refused: not the same stream"), "{err}");
    assert!(err.contains("S264") && err.contains("MG2S"), "{err}");
}

#[test]
fn a_cut_trace_says_so() {
    let whole = std::fs::read(sample("gst-v4l2slh264dec.trace")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.trace");
    std::fs::write(&cut, &whole[..whole.len() * 3 / 4]).unwrap();
    let a = sample("gst-v4l2slh264dec.trace");
    let (code, out, err) = diff(&[a.to_str().unwrap(), cut.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("cut.trace is cut ("), "{out}");
    assert!(out.contains("frames more than"), "{out}");
    // Frames both traces hold are equal.
    assert!(!out.contains("h264_"), "{out}");
}
