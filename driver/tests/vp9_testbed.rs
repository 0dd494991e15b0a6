//! VP9 through the driver in the test-bed (6.12 kernel, visl under QEMU): vainfo lists
//! VAProfileVP9Profile0 when visl offers `VP9F`; ffmpeg (`-hwaccel vaapi`) and GStreamer
//! (`vavp9dec`) decode generated libvpx-vp9 clips (two-pass with hidden alt-ref frames in
//! superframes; segmentation; error-resilient frames) to the exact NV12 size; FRAME and COMPRESSED_HDR equal GStreamer
//! `v4l2slvp9dec`'s on every frame (`vatrace diff`: only the README's client-behaviour fields
//! differ); the decode loop stays within 7 ioctls + 1 wait per frame; a stream changing size
//! on key frames (320x240 → 176x144 → 320x240) decodes every frame with no EBUSY, its controls
//! equal `v4l2slvp9dec`'s too.

use testbed::clips::{Clip, Codec};

mod common;
use common::{diff, per_frame, record_pairs, va_env};

fn clips() -> Vec<(&'static str, Clip)> {
    let seg = Clip {
        encoder_args: ["-aq-mode", "3"].map(String::from).to_vec(),
        ..Clip::small(Codec::Vp9)
    };
    let error_resilient = Clip {
        encoder_args: ["-error-resilient", "1", "-aq-mode", "3"]
            .map(String::from)
            .to_vec(),
        ..Clip::small(Codec::Vp9)
    };
    vec![
        ("plain", Clip::small(Codec::Vp9)),
        ("segmentation", seg),
        ("error-resilient", error_resilient),
    ]
}

#[test]
fn vainfo_lists_vp9_profile0() {
    common::assert_vainfo_lists(&["VAProfileVP9Profile0"]);
}

#[test]
fn ffmpeg_and_gstreamer_decode_every_vp9_clip() {
    let clips = clips();
    common::assert_decodes_every_clip(
        clips.iter().map(|(n, c)| (*n, c)),
        "ivfparse ! vp9parse ! vavp9dec",
    );
}

/// Frames (superframes split, hidden alt-refs included) of `clip`: the requests a decode sends.
fn decoded_frames(clip: &Clip) -> u64 {
    decoded_frames_of(&clip.generate().unwrap())
}

/// [`decoded_frames`] of a stream on disk.
fn decoded_frames_of(stream: &std::path::Path) -> u64 {
    let out = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-i"])
        .arg(stream)
        .args(["-c", "copy", "-bsf:v", "trace_headers", "-f", "null", "-"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    text.lines().filter(|l| l.ends_with("] Frame")).count() as u64
}

#[test]
fn plain_clip_has_hidden_alt_ref_frames() {
    let c = Clip::small(Codec::Vp9);
    assert!(
        decoded_frames(&c) > u64::from(c.frames),
        "superframes with hidden frames"
    );
}

#[test]
fn vp9_controls_equal_v4l2slvp9dec_within_the_ioctl_budget() {
    let clips = clips();
    let want: Vec<u64> = clips.iter().map(|(_, c)| decoded_frames(c)).collect();
    let mut report = Vec::new();
    for ((name, gst, va), want) in record_pairs(
        "driver-vp9-diff",
        clips,
        "ivfparse ! vp9parse ! v4l2slvp9dec",
        &va_env(),
    )
    .into_iter()
    .zip(want)
    {
        let (_, fields, v) = diff(&gst, &va, "VP9 fields where two clients differ");
        eprintln!("{name}: {}", v["summary"]);
        assert_eq!(v["frames_compared"].as_u64(), Some(want), "{name}: {v}");
        if !fields.is_empty() {
            report.push(format!("{name}: {fields:?}\n{v:#}"));
        }
        let (frames, ioctls, waits, eagain, by_name) = per_frame(&va);
        eprintln!(
            "{name}: {frames} frames, {ioctls:.2} ioctls + {waits:.2} waits per frame, {by_name:?}"
        );
        assert_eq!(frames, want, "{name}: one request per frame");
        assert!(
            ioctls <= 7.0 && waits <= 1.0 && eagain == 0,
            "{name}: {ioctls:.2} ioctls + {waits:.2} waits per frame, {eagain} EAGAIN: {by_name:?}"
        );
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

/// One IVF stream, 10 frames at 320x240, 10 at 176x144, 10 at 320x240 (the default two-pass
/// clip with hidden alt-refs), each part starting with a key frame of its size.
fn size_change_stream() -> std::path::PathBuf {
    let part = |w, h| {
        let c = Clip {
            width: w,
            height: h,
            frames: 10,
            ..Clip::small(Codec::Vp9)
        };
        std::fs::read(c.generate().unwrap()).unwrap()
    };
    let (a, b) = (part(320, 240), part(176, 144));
    let joined =
        testbed::paths::work_dir("driver-vp9-size-change").join("320x240-176x144-320x240.ivf");
    std::fs::write(&joined, testbed::clips::ivf_concat(&[&a, &b, &a]).unwrap()).unwrap();
    joined
}

#[test]
fn vp9_size_change_on_key_frames_decodes_every_frame() {
    let log = common::assert_size_change_decodes(&size_change_stream());
    let sessions: Vec<&str> = log.lines().filter(|l| l.contains("session")).collect();
    eprintln!("{sessions:#?}");
    // FFmpeg's VP9 decoder makes a new VA context at the key frame of the new size.
    assert!(
        sessions.iter().any(|l| l.contains("176x144")),
        "no session for the small size:\n{log}"
    );
    assert!(!log.contains("ERROR"), "{log}");
}

#[test]
fn vp9_size_change_controls_equal_v4l2slvp9dec() {
    let stream = size_change_stream();
    let want = decoded_frames_of(&stream);
    let pairs = common::record_file_pairs(
        "driver-vp9-size-change-diff",
        vec![("size-change", stream)],
        "ivfparse ! vp9parse ! v4l2slvp9dec",
        &va_env(),
        "-vf hwdownload,format=nv12",
    );
    let (_, gst, va) = &pairs[0];
    let (_, _, v) = diff(gst, va, "VP9 fields where two clients differ");
    eprintln!("size-change: {}", v["summary"]);
    assert_eq!(v["frames_compared"].as_u64(), Some(want), "{v}");
    assert_eq!(v["frames_differing"].as_u64(), Some(0), "{v:#}");
    // Only how the formats spread over sessions may differ: GStreamer sets each size on its one
    // video fd (320x240 → 176x144 → 320x240); the driver keeps the first session, whose
    // buffers FFmpeg still holds, opens a second for 176x144 and goes back to the first
    // (`A | B`). The same formats either way.
    let formats = |s: &str| -> std::collections::BTreeSet<String> {
        s.split(['→', '|']).map(|f| f.trim().to_string()).collect()
    };
    for f in v["fields"].as_array().unwrap() {
        let name = f["field"].as_str().unwrap();
        assert!(
            ["stream.capture_format", "stream.output_format"].contains(&name),
            "{name}\n{v:#}"
        );
        for e in f["examples"].as_array().unwrap() {
            let (a, b) = (e["a"].as_str().unwrap(), e["b"].as_str().unwrap());
            assert_eq!(formats(a), formats(b), "{name}: {a} / {b}");
            assert_eq!(formats(a).len(), 2, "{name}: two sizes: {a}");
        }
    }
}
