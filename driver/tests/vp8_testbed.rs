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
use common::{opts, per_frame, readme_fields, record_pairs, va_env, vatrace};

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
    let clips = clips();
    common::assert_decodes_every_clip(clips.iter().map(|(n, c)| (*n, c)), "ivfparse ! vavp8dec");
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
        let ignored = "VP8 fields where two clients differ";
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

/// As `diff_testbed.rs::ioctls_per_frame_within_budget` for H.264: ffmpeg, one thread,
/// downloading every frame, on each clip.
#[test]
fn vp8_ioctls_per_frame_within_budget() {
    let clips = clips();
    let traces = common::record_ffmpeg_decodes(
        "driver-vp8-ioctl-budget",
        clips.iter().map(|(n, c)| (*n, c)),
    );
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

/// The sizes of the OUTPUT buffers a recorded decode queued (bytesused), in queue order.
fn output_sizes(trace: &std::path::Path) -> Vec<u64> {
    common::dump_json(trace)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["name"] == "VIDIOC_QBUF" && v["ret"] == 0)
        .filter_map(|v| {
            let b = &v["before"]["Buffer"];
            // V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE
            (b["type"] == 10).then(|| b["planes"][0]["bytesused"].as_u64().unwrap())
        })
        .collect()
}

/// Both ways a VA client hands VP8 in: FFmpeg strips the frame tag (the driver rebuilds it, on
/// all 30 frames by its debug log), GStreamer's `vavp8dec` leaves it before
/// `slice_data_offset` (the driver keeps it, on all 30 frames). Either
/// way each OUTPUT buffer holds exactly the clip's frame (its IVF size), and GStreamer `va`
/// through the driver sends what `v4l2slvp8dec` sends but for the README's fields.
#[test]
fn vp8_frames_reach_the_device_whole_from_ffmpeg_and_gstreamer_va() {
    let dir = testbed::paths::work_dir("driver-vp8-whole-frames");
    let env = va_env();
    let v = vatrace().display().to_string();
    let mut script = String::from("set -e\n");
    let mut runs = Vec::new();
    for (name, c) in clips() {
        let path = c.generate().unwrap();
        let p = path.display();
        let t = |client: &str| dir.join(format!("{client}-{name}.trace"));
        let (gst, gst_va, ffmpeg) = (t("v4l2sl"), t("gst-va"), t("ffmpeg"));
        let log = |t: &std::path::Path| t.with_extension("log");
        let (gst_va_log, ffmpeg_log) = (log(&gst_va), log(&ffmpeg));
        script += &format!(
            "{v} record -o {gst} -- gst-launch-1.0 -q filesrc location={p} ! ivfparse ! \
             v4l2slvp8dec ! fakesink\n\
             {v} record -o {gst_va} -- env GST_VA_ALL_DRIVERS=1 V4L2_REQUEST_LOG=debug {env} \
             gst-launch-1.0 -q filesrc location={p} ! ivfparse ! vavp8dec ! fakesink \
             2> {gst_va_log}\n\
             {v} record -o {ffmpeg} -- env V4L2_REQUEST_LOG=debug {env} ffmpeg -nostdin \
             -loglevel error -hwaccel vaapi -hwaccel_output_format vaapi \
             -vaapi_device /dev/dri/renderD128 -i {p} -f null - 2> {ffmpeg_log}\n",
            gst_va_log = gst_va_log.display(),
            ffmpeg_log = ffmpeg_log.display(),
            gst = gst.display(),
            gst_va = gst_va.display(),
            ffmpeg = ffmpeg.display(),
        );
        runs.push((name, path, gst, gst_va, ffmpeg, gst_va_log, ffmpeg_log));
    }
    let opts = RunOptions {
        timeout: Duration::from_secs(900),
        ..Default::default()
    };
    run_sh(&script, &opts).unwrap().check().unwrap();
    let documented = readme_fields("VP8 fields VA-API does not carry");
    let mut report = Vec::new();
    for (name, path, gst, gst_va, ffmpeg, gst_va_log, ffmpeg_log) in runs {
        // The driver's own account of each frame's tag (V4L2_REQUEST_LOG=debug).
        for (log, want) in [
            (&gst_va_log, "frame tag kept"),
            (&ffmpeg_log, "frame tag rebuilt"),
        ] {
            let text = std::fs::read_to_string(log).unwrap();
            let n = text.lines().filter(|l| l.contains(want)).count();
            assert_eq!(n, 30, "{name}: {want} in {}:\n{text}", log.display());
        }
        let ivf = std::fs::read(&path).unwrap();
        let sizes: Vec<u64> = testbed::clips::ivf_frames(&ivf)
            .unwrap()
            .iter()
            .map(|f| f.len() as u64)
            .collect();
        assert_eq!(sizes.len(), 30, "{name}");
        for (client, t) in [
            ("v4l2slvp8dec", &gst),
            ("vavp8dec", &gst_va),
            ("ffmpeg", &ffmpeg),
        ] {
            assert_eq!(output_sizes(t), sizes, "{name}: {client}'s OUTPUT buffers");
        }
        report.extend(common::undocumented_differences(
            &format!("{name} (vavp8dec)"),
            &gst,
            &gst_va,
            "VP8 fields where two clients differ",
            &documented,
            30,
        ));
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn mpv_vaapi_copy_decodes_vp8_through_the_driver() {
    let (_, c) = &clips()[0];
    common::assert_mpv_uses_driver(&c.generate().unwrap(), "");
}

/// visl draws into each frame what it was sent of the references and timestamps (not every
/// FRAME field: the segmentation clip's frames are equal too, though its `segment` fields
/// differ): ffmpeg's frames through the driver must be GStreamer `v4l2slvp8dec`'s, byte for
/// byte, on every clip.
#[test]
fn vp8_frames_byte_identical_to_v4l2slvp8dec() {
    let env = va_env();
    let clips = clips();
    let mut script = String::from("set -e\n");
    for (name, c) in &clips {
        let path = c.generate().unwrap().display().to_string();
        script += &format!(
            "gst-launch-1.0 -q filesrc location={path} ! ivfparse ! v4l2slvp8dec ! \
             video/x-raw,format=NV12 ! filesink location=/tmp/gst.yuv\n\
             echo \"{name} gst $(md5sum < /tmp/gst.yuv)\"\n\
             {env} ffmpeg -nostdin -loglevel error -hwaccel vaapi -hwaccel_output_format vaapi \
             -vaapi_device /dev/dri/renderD128 -i {path} -vf hwdownload,format=nv12 \
             -f rawvideo -y /tmp/va.yuv\n\
             echo \"{name} va $(md5sum < /tmp/va.yuv)\"\n\
             echo \"{name} size $(stat -c %s /tmp/va.yuv)\"\n"
        );
    }
    let out = run_sh(&script, &opts()).unwrap().check().unwrap();
    let text = out.stdout_str();
    for (name, c) in &clips {
        let line = |who: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{name} {who} ")))
                .unwrap_or_else(|| panic!("no {name} {who} line:\n{text}"))
                .to_string()
        };
        assert_eq!(line("size"), c.nv12_bytes().to_string(), "{text}");
        assert_eq!(line("gst"), line("va"), "{name}: {text}");
    }
}

#[test]
fn vp8_size_change_on_key_frames_decodes_every_frame() {
    // 10 frames at 320x240, 10 at 176x144, 10 at 320x240: one IVF stream, each part starting
    // with a key frame of its size.
    let part = |w, h| {
        let c = Clip {
            width: w,
            height: h,
            frames: 10,
            ..clip(&[])
        };
        std::fs::read(c.generate().unwrap()).unwrap()
    };
    let (a, b) = (part(320, 240), part(176, 144));
    let joined =
        testbed::paths::work_dir("driver-vp8-size-change").join("320x240-176x144-320x240.ivf");
    std::fs::write(&joined, testbed::clips::ivf_concat(&[&a, &b, &a]).unwrap()).unwrap();
    // FFmpeg's VP8 decoder keeps its first VA context (320x240 surfaces) across the key frames
    // of the other size: the driver decodes the 176x144 frames into the session it has.
    let log = common::assert_size_change_decodes(&joined);
    assert!(log.contains("30 frames decoded"), "{log}");
}
