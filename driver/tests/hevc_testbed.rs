//! HEVC through the driver in the test-bed (6.12 kernel, visl under QEMU): vainfo lists
//! VAProfileHEVCMain when visl offers `S265`; ffmpeg (`-hwaccel vaapi`) and GStreamer
//! (`vah265dec`) decode libx265 clips (B-frames; scaling lists; two slices per picture with
//! wavefront parallel processing) to the exact NV12 size in the default frame-based mode, and
//! ffmpeg the two-slice clip in slice-based mode too; the controls visl receives in slice-based
//! mode differ from GStreamer's `v4l2slh265dec` only in the fields the README lists; in
//! frame-based mode each picture is one request carrying all its SLICE_PARAMS and the
//! ENTRY_POINT_OFFSETS `trace_headers` prints, within 7 ioctls + 1 wait per frame.

use testbed::clips::{Clip, Codec};

mod common;
use common::{readme_fields, record_pairs, va_env};

fn clip(params: &str) -> Clip {
    Clip {
        codec: Codec::Hevc,
        width: 320,
        height: 240,
        frames: 30,
        encoder_args: vec![
            "-x265-params".to_string(),
            format!("log-level=error:{params}"),
        ],
    }
}

/// (name, clip, slices per picture).
fn clips() -> Vec<(&'static str, Clip, u64)> {
    vec![
        ("b-frames", clip("bframes=3:no-wpp=1"), 1),
        (
            "scaling-lists",
            clip("bframes=2:no-wpp=1:scaling-list=default"),
            1,
        ),
        // x265 makes several slices only with wavefront parallel processing on.
        ("2-slices-wpp", clip("bframes=2:slices=2:wpp=1"), 2),
    ]
}

/// The clips GStreamer 1.22's `v4l2slh265dec` decodes on visl: it crashes (SIGSEGV) on every
/// stream with wavefront parallel processing, so the multi-slice clip has no reference.
fn reference_clips() -> Vec<(&'static str, Clip, u64)> {
    clips()
        .into_iter()
        .filter(|(name, _, _)| !name.contains("wpp"))
        .collect()
}

/// What one request of a recorded decode set: `num_entry_point_offsets` of each of its
/// SLICE_PARAMS, and its ENTRY_POINT_OFFSETS (empty when not sent).
#[derive(Debug)]
struct RequestSlices {
    entry_point_counts: Vec<u64>,
    entry_points: Vec<u64>,
}

/// The requests (S_EXT_CTRLS with SLICE_PARAMS) of a recorded decode, in order.
fn request_slices(trace: &std::path::Path) -> Vec<RequestSlices> {
    let dump = common::dump_json(trace);
    let mut requests = Vec::new();
    for line in dump.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["name"] != "VIDIOC_S_EXT_CTRLS" {
            continue;
        }
        let Some(ctrls) = v["before"]["ExtControls"]["controls"].as_array() else {
            continue;
        };
        let numbers = |c: &serde_json::Value, key: &str, field: Option<&str>| -> Vec<u64> {
            c["decoded"][key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| field.map_or(e, |f| &e[f]).as_u64())
                .collect()
        };
        let mut r = RequestSlices {
            entry_point_counts: Vec::new(),
            entry_points: Vec::new(),
        };
        let mut has_slices = false;
        for c in ctrls {
            has_slices |= c["decoded"]["HevcSliceParams"].is_array();
            r.entry_point_counts.extend(numbers(
                c,
                "HevcSliceParams",
                Some("num_entry_point_offsets"),
            ));
            r.entry_points
                .extend(numbers(c, "HevcEntryPointOffsets", None));
        }
        if has_slices {
            requests.push(r);
        }
    }
    requests
}

/// `entry_point_offset_minus1[]` of every slice of `clip` in decode order, as
/// `ffmpeg -bsf:v trace_headers` prints them.
fn trace_headers_entry_points(clip: &Clip) -> Vec<u64> {
    let out = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-i"])
        .arg(clip.generate().unwrap())
        .args(["-c", "copy", "-bsf:v", "trace_headers", "-f", "null", "-"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains("entry_point_offset_minus1["))
        .filter_map(|l| l.rsplit("= ").next()?.trim().parse().ok())
        .collect()
}

#[test]
fn vainfo_lists_hevc_main() {
    common::assert_vainfo_lists(&["VAProfileHEVCMain"]);
}

#[test]
fn ffmpeg_and_gstreamer_decode_every_hevc_clip() {
    let clips = clips();
    common::assert_decodes_every_clip(
        clips.iter().map(|(n, c, _)| (*n, c)),
        "h265parse ! vah265dec",
    );
}

#[test]
fn hevc_controls_differ_from_v4l2slh265dec_only_where_documented() {
    let documented = readme_fields("HEVC fields VA-API does not carry");
    let mut report = Vec::new();
    let slices: Vec<u64> = reference_clips().iter().map(|c| c.2).collect();
    for ((name, gst, va), slices) in record_pairs(
        "driver-hevc-diff",
        reference_clips()
            .into_iter()
            .map(|(n, c, _)| (n, c))
            .collect(),
        "h265parse ! v4l2slh265dec",
        // GStreamer sends one slice per request (visl's default, slice-based): compare like
        // with like.
        &format!("{} V4L2_REQUEST_HEVC_MODE=slice", va_env()),
    )
    .into_iter()
    .zip(slices)
    {
        report.extend(common::undocumented_differences(
            name,
            &gst,
            &va,
            "HEVC fields where two clients differ",
            &documented,
            30 * slices,
        ));
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn hevc_frame_based_one_request_per_frame_with_entry_points_within_budget() {
    let clips = clips();
    let recorded = common::record_ffmpeg_decodes(
        "driver-hevc-ioctl-budget",
        clips.iter().map(|(n, c, _)| (*n, c)),
    );
    let mut report = Vec::new();
    for ((name, t), (_, clip, slices)) in recorded.iter().zip(&clips) {
        // Frame-based (the default on visl, which offers both modes): one request per frame.
        let (requests, ioctls, waits, eagain, by_name) = common::per_frame(t);
        let line = format!(
            "{name}: {requests} requests, {ioctls:.2} ioctls + {waits:.2} waits per frame, {eagain} EAGAIN DQBUFs; {by_name:?}"
        );
        eprintln!("{line}");
        assert_eq!(requests, 30, "{line}");
        let sent = request_slices(t);
        assert_eq!(sent.len(), 30, "{name}: {sent:?}");
        for r in &sent {
            assert_eq!(
                r.entry_point_counts.len() as u64,
                *slices,
                "{name}: {sent:?}"
            );
        }
        let offsets: Vec<u64> = sent.iter().flat_map(|r| r.entry_points.clone()).collect();
        if name.contains("wpp") {
            // 320x240 in 64x64 CTBs: 4 rows, 2 per slice: one WPP entry point per slice, which
            // VA (through FFmpeg) leaves at 0 and the driver reads from the slice header.
            assert!(
                sent.iter().all(|r| r.entry_point_counts == [1, 1]),
                "{name}: {sent:?}"
            );
            let want = trace_headers_entry_points(clip);
            assert_eq!(want.len(), 60, "{name}: {want:?}");
            assert_eq!(offsets, want, "{name}");
        } else {
            assert!(offsets.is_empty(), "{name}: {sent:?}");
        }
        if ioctls > 7.0 || waits > 1.0 || eagain > 0 {
            report.push(line);
        }
    }
    assert!(report.is_empty(), "over budget:\n{}", report.join("\n"));
}

#[test]
fn two_slice_wpp_clip_decodes_in_both_modes() {
    let (_, clip, _) = clips()
        .into_iter()
        .find(|(n, _, _)| n.contains("wpp"))
        .unwrap();
    let path = clip.generate().unwrap();
    let mut script = String::from("set -u\n");
    for mode in ["frame", "slice"] {
        script += &format!(
            "rm -f /tmp/out.yuv; V4L2_REQUEST_HEVC_MODE={mode} V4L2_REQUEST_LOG=info {ffmpeg} 2>/tmp/log.txt; \
             echo \"{mode} rc=$? size=$(stat -c %s /tmp/out.yuv)\"; grep -o 'HEVC: [a-z]*-based' /tmp/log.txt | sort -u\n",
            ffmpeg = common::ffmpeg_decode(&path, "/tmp/out.yuv", false),
        );
    }
    let out = testbed::run_sh(&script, &common::opts()).unwrap();
    let size = clip.nv12_bytes();
    common::assert_lines(
        &out,
        [
            format!("frame rc=0 size={size}"),
            "HEVC: frame-based".to_string(),
            format!("slice rc=0 size={size}"),
            "HEVC: slice-based".to_string(),
        ],
    );
}

/// A stream changing size on IDR frames: 10 frames at 320x240, 10 at 176x144, 10 at 320x240
/// (three libx265 Annex-B streams joined; each starts with its VPS/SPS/PPS and an IDR).
#[test]
fn hevc_size_change_mid_stream_decodes_every_frame() {
    let joined = common::size_change_stream(&clip("bframes=2:no-wpp=1"));
    let log = common::assert_size_change_decodes(&joined);
    assert!(
        log.contains("176x144"),
        "the driver saw the new size: {log}"
    );
}
