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
    let joined = common::size_change_stream(&clip(&["-bf".into(), "2".into()]));
    let log = common::assert_size_change_decodes(&joined);
    // FFmpeg's MPEG-2 decoder makes a new VA context for the new size.
    assert_eq!(
        log.matches("session 176x144").count(),
        1,
        "one session for the small size:\n{log}"
    );
}

/// `b`'s start codes: (offset of the `00 00 01` prefix, the code byte after it).
fn start_codes(b: &[u8]) -> Vec<(usize, u8)> {
    b.windows(4)
        .enumerate()
        .filter(|(_, w)| w[..3] == [0, 0, 1])
        .map(|(i, w)| (i, w[3]))
        .collect()
}

/// One field of a frame: the access unit `au` (sequence header to the next one) of a
/// progressive intra picture of the field's size, rewritten into a field picture of a frame
/// `height` high: the sequence header's `vertical_size_value`, the sequence extension's
/// `progressive_sequence` 0, the picture coding extension's `picture_structure` (1 top, 2
/// bottom), `top_field_first` and `frame_pred_frame_dct` 0 (field pictures have neither) and
/// `progressive_frame` 0. An intra picture's macroblocks are coded alike in a frame picture with
/// frame DCT and in a field picture, and a field of a 240-line frame has the 8 macroblock rows
/// (slices 1 to 8) of a 120-line picture: the slices are kept as they are.
fn as_field(au: &[u8], structure: u8, height: u16) -> Vec<u8> {
    let mut au = au.to_vec();
    let codes = start_codes(&au);
    let ext = |id: u8| {
        codes
            .iter()
            .find(|&&(i, c)| c == 0xb5 && au[i + 4] >> 4 == id)
            .map(|&(i, _)| i)
            .unwrap_or_else(|| panic!("no extension {id}"))
    };
    let (seq_ext, pic_ext) = (ext(1), ext(8));
    let seq = codes.iter().find(|&&(_, c)| c == 0xb3).unwrap().0;
    // horizontal_size_value (12 bits), vertical_size_value (12 bits).
    au[seq + 5] = (au[seq + 5] & 0xf0) | (height >> 8) as u8;
    au[seq + 6] = height as u8;
    // id (4), escape + profile_and_level (8), progressive_sequence (bit 3 of byte 5).
    au[seq_ext + 5] &= !0x08;
    // id (4), f_codes (16), intra_dc_precision (2), picture_structure (2) | top_field_first,
    // frame_pred_frame_dct, … | progressive_frame.
    assert_eq!(au[pic_ext + 6] & 3, 3, "a frame picture to start from");
    au[pic_ext + 6] = (au[pic_ext + 6] & !3) | structure;
    au[pic_ext + 7] &= !0xc0;
    au[pic_ext + 8] &= !0x80;
    au
}

/// An interlaced MPEG-2 stream of field pictures (top field first, I/I pairs) from two
/// progressive intra-only streams of the top and bottom fields (ffmpeg's `mpeg2video` writes
/// frame pictures only, and the only field-picture encoder Debian has, mjpegtools' `mpeg2enc
/// -I 2`, crashes: see the README's Limitations). FFmpeg decodes it in software to the
/// source frames.
fn field_pictures(top: &[u8], bottom: &[u8], height: u16) -> Vec<u8> {
    let aus = |b: &[u8]| -> Vec<Vec<u8>> {
        let seqs: Vec<usize> = start_codes(b)
            .into_iter()
            .filter(|&(_, c)| c == 0xb3)
            .map(|(i, _)| i)
            .collect();
        let ends = seqs.iter().skip(1).copied().chain([b.len()]);
        seqs.iter()
            .zip(ends)
            .map(|(&s, e)| b[s..e].to_vec())
            .collect()
    };
    let (top, bottom) = (aus(top), aus(bottom));
    assert_eq!(top.len(), bottom.len(), "one access unit per field");
    let mut out = Vec::new();
    for (t, b) in top.iter().zip(&bottom) {
        out.extend(as_field(t, 1, height));
        // The second field: its picture header on (no sequence header or GOP between fields).
        let b = as_field(b, 2, height);
        let pic = start_codes(&b)
            .into_iter()
            .find(|&(_, c)| c == 0)
            .unwrap()
            .0;
        out.extend(&b[pic..]);
    }
    out
}

/// The 30-frame, 320x240 field-picture clip, made once per test process.
fn field_picture_clip() -> std::path::PathBuf {
    static PATH: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let field = |parity: &str| {
            let args = ["-vf", &format!("field={parity}"), "-g", "1", "-bf", "0"];
            let c = clip(&args.map(String::from));
            std::fs::read(c.generate().unwrap()).unwrap()
        };
        let bytes = field_pictures(&field("top"), &field("bottom"), 240);
        let p = testbed::paths::work_dir("driver-mpeg2-field-clip").join("field-pictures.m2v");
        std::fs::write(&p, bytes).unwrap();
        p
    })
    .clone()
}

/// Field pictures (two requests into one CAPTURE buffer, the first with
/// `V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF`): ffmpeg and GStreamer `vampeg2dec` decode every frame
/// through the driver to the exact size; the driver queues 60 OUTPUT buffers, every first field
/// holding; its controls differ from `v4l2slmpeg2dec`'s only where the README says.
#[test]
fn mpeg2_field_pictures_decode_and_match_v4l2slmpeg2dec() {
    let path = field_picture_clip();
    let want = 30 * 320 * 240 * 3 / 2;
    let script = format!(
        "rm -f /tmp/out.yuv; {ffmpeg}; echo \"ffmpeg rc=$? size=$(stat -c %s /tmp/out.yuv)\"\n\
         rm -f /tmp/gst.yuv; GST_VA_ALL_DRIVERS=1 {env} gst-launch-1.0 -q filesrc location={p} ! \
         mpegvideoparse ! vampeg2dec ! video/x-raw,format=NV12 ! filesink location=/tmp/gst.yuv; \
         echo \"gst rc=$? size=$(stat -c %s /tmp/gst.yuv)\"\n",
        ffmpeg = common::ffmpeg_decode(&path, "/tmp/out.yuv", false),
        env = va_env(),
        p = path.display()
    );
    let out = testbed::run_sh(&script, &common::opts()).unwrap();
    common::assert_lines(
        &out,
        ["ffmpeg", "gst"].map(|client| format!("{client} rc=0 size={want}")),
    );
    let documented = readme_fields("MPEG-2 fields VA-API does not carry");
    let mut report = Vec::new();
    for (name, gst, va) in common::record_file_pairs(
        "driver-mpeg2-fields-diff",
        vec![("field-pictures", path.clone())],
        "mpegvideoparse ! v4l2slmpeg2dec",
        &va_env(),
        "",
    ) {
        // OUTPUT QBUFs of the driver's decode: (count, with HOLD_CAPTURE_BUF).
        let dump = common::dump_json(&va);
        let (mut queued, mut held) = (0, 0);
        for v in dump
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["name"] == "VIDIOC_QBUF" && v["ret"] == 0)
        {
            let b = &v["before"]["Buffer"];
            if b["type"] == 10 {
                queued += 1;
                held += u32::from(b["flags"].as_u64().unwrap_or(0) & 0x200 != 0);
            }
        }
        assert_eq!((queued, held), (60, 30), "{name}: OUTPUT QBUFs, held");
        report.extend(common::undocumented_differences(
            name,
            &gst,
            &va,
            "MPEG-2 fields where two clients differ",
            &documented,
            60,
        ));
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}
