//! MPEG-2 through the driver in the test-bed (6.12 kernel, visl under QEMU): vainfo lists the
//! MPEG-2 profiles when visl offers `MG2S`; ffmpeg (`-hwaccel vaapi`) and GStreamer
//! (`vampeg2dec`) decode generated clips (B-frames, interlaced coding, non-default quantiser
//! matrices) to the exact NV12 size; the QUANTISATION control visl receives holds the clip's
//! own matrices; mpv uses the driver for MPEG-2 when allowed to; a stream whose size changes twice
//! decodes every frame without EBUSY.

use testbed::clips::{Clip, Codec};

mod common;
use common::{readme_fields, record_pairs, va_env};

/// A non-default intra matrix (single digits: the clip's file name holds the encoder
/// arguments and must stay under 255 bytes, which also leaves the inter matrix at its default).
fn intra_matrix() -> Vec<u32> {
    (0..64).map(|i| 7 + (i + 1) % 3).collect()
}

fn join(m: &[u32]) -> String {
    m.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

fn clip(args: &[String]) -> Clip {
    Clip {
        codec: Codec::Mpeg2,
        width: 320,
        height: 240,
        frames: 30,
        encoder_args: args.to_vec(),
    }
}

fn clips() -> Vec<(&'static str, Clip)> {
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        ("b-frames", clip(&s(&["-bf", "2"]))),
        (
            "interlaced",
            clip(&s(&[
                "-bf",
                "2",
                "-flags",
                "+ilme+ildct",
                "-top",
                "1",
                "-alternate_scan",
                "1",
            ])),
        ),
        (
            "matrices",
            clip(
                &[
                    s(&["-bf", "2", "-intra_matrix"]),
                    vec![join(&intra_matrix())],
                ]
                .concat(),
            ),
        ),
    ]
}

#[test]
fn vainfo_lists_mpeg2_profiles() {
    common::assert_vainfo_lists(&["VAProfileMPEG2Simple", "VAProfileMPEG2Main"]);
}

#[test]
fn ffmpeg_and_gstreamer_decode_every_mpeg2_clip() {
    let clips = clips();
    common::assert_decodes_every_clip(
        clips.iter().map(|(n, c)| (*n, c)),
        "mpegvideoparse ! vampeg2dec",
    );
}

#[test]
fn mpeg2_controls_differ_from_v4l2slmpeg2dec_only_where_documented() {
    let documented = readme_fields("MPEG-2 fields VA-API does not carry");
    let mut report = Vec::new();
    for (name, gst, va) in record_pairs(
        "driver-mpeg2-diff",
        clips(),
        "mpegvideoparse ! v4l2slmpeg2dec",
        &va_env(),
    ) {
        let ignored = "MPEG-2 fields where two clients differ";
        report.extend(common::undocumented_differences(
            name,
            &gst,
            &va,
            ignored,
            &documented,
            30,
        ));
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn mpv_decodes_mpeg2_through_the_driver() {
    // mpv leaves MPEG-2 to software unless told otherwise (`--hwdec-codecs=all`).
    let c = clip(&["-bf".into(), "2".into()]).generate().unwrap();
    common::assert_mpv_uses_driver(&c, "--hwdec-codecs=all");
}

#[test]
fn mpeg2_size_change_mid_stream_decodes_every_frame() {
    // 10 frames at 320x240, 10 at 176x144, 10 at 320x240: one elementary stream (each part
    // starts with its own sequence header).
    let part = |w, h| {
        Clip {
            width: w,
            height: h,
            frames: 10,
            ..clip(&["-bf".into(), "2".into()])
        }
        .generate()
        .unwrap()
    };
    let (a, b) = (part(320, 240), part(176, 144));
    let joined = a
        .parent()
        .unwrap()
        .join("sizechange-320x240-176x144-320x240.m2v");
    let mut bytes = std::fs::read(&a).unwrap();
    bytes.extend(std::fs::read(&b).unwrap());
    bytes.extend(std::fs::read(&a).unwrap());
    std::fs::write(&joined, bytes).unwrap();
    let log = common::assert_size_change_decodes(&joined);
    // FFmpeg's MPEG-2 decoder makes a new VA context for the new size.
    assert_eq!(
        log.matches("session 176x144").count(),
        1,
        "one session for the small size:\n{log}"
    );
}
