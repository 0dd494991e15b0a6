//! The driver in the test-bed (a real 6.12 kernel with visl under QEMU, see the `testbed`
//! crate): vainfo lists the H.264 profiles; ffmpeg (`-hwaccel vaapi`) and GStreamer
//! (`vah264dec`) decode generated clips to the exact NV12 size in frame- and slice-based mode;
//! the controls visl receives from the driver equal GStreamer v4l2slh264dec's field by field
//! (with the differences VA-API makes unavoidable listed in [`EXPLAINED`]); a size change
//! mid-stream reconfigures the decoder with no EBUSY.
//!
//! The guest sees the host's root read-only: the built driver is loaded from the cargo target
//! directory, which the test-bed shares at its own path wherever it is.

use std::collections::BTreeMap;
use std::path::PathBuf;

use testbed::clips::{Clip, Codec};
use testbed::run_sh;
use traces::controls::visl_ftrace::{parse_text, split_runs, VislEvent};

mod common;
use common::{assert_lines, driver_dir, opts, va_env};

fn clip(frames: u32, w: u32, h: u32, args: &[&str]) -> Clip {
    Clip {
        codec: Codec::H264,
        width: w,
        height: h,
        frames,
        encoder_args: args.iter().map(|s| s.to_string()).collect(),
    }
}

/// The clips: CAVLC and CABAC, B-frames, 8x8 transform, a scaling matrix, two slices, two sizes,
/// interlaced (MBAFF).
fn clips() -> Vec<(&'static str, Clip)> {
    vec![
        (
            "baseline-cavlc",
            clip(30, 320, 240, &["-profile:v", "baseline"]),
        ),
        (
            "main-cabac-b",
            clip(30, 320, 240, &["-profile:v", "main", "-bf", "2"]),
        ),
        (
            "high-8x8-b",
            clip(30, 320, 240, &["-profile:v", "high", "-bf", "2"]),
        ),
        (
            "high-cqm",
            clip(
                30,
                320,
                240,
                &["-profile:v", "high", "-bf", "2", "-x264-params", "cqm=jvt"],
            ),
        ),
        (
            "high-2-slices",
            clip(
                30,
                320,
                240,
                &["-profile:v", "high", "-bf", "2", "-x264-params", "slices=2"],
            ),
        ),
        (
            "high-176x144-refs4",
            clip(
                30,
                176,
                144,
                &["-profile:v", "high", "-bf", "3", "-refs", "4"],
            ),
        ),
    ]
}

fn ffmpeg_cmd(env: &str, input: &str, out: &str) -> String {
    format!(
        "{env} ffmpeg -nostdin -loglevel error -hwaccel vaapi -hwaccel_output_format vaapi \
         -vaapi_device /dev/dri/renderD128 -i {input} -vf hwdownload,format=nv12 -f rawvideo -y {out}"
    )
}

#[test]
fn vainfo_lists_h264_profiles() {
    common::assert_vainfo_lists(&[
        "VAProfileH264ConstrainedBaseline",
        "VAProfileH264Main",
        "VAProfileH264High",
    ]);
}

#[test]
fn ffmpeg_and_gstreamer_decode_every_clip_in_both_modes() {
    let env = va_env();
    let mut script = String::from("set -u\n");
    let clips = clips();
    for (name, c) in &clips {
        let path = c.generate().unwrap();
        for mode in ["frame", "slice"] {
            let cmd = ffmpeg_cmd(
                &format!("{env} V4L2_REQUEST_H264_MODE={mode}"),
                &path.display().to_string(),
                "/tmp/out.yuv",
            );
            script += &format!("rm -f /tmp/out.yuv; {cmd}; echo \"ffmpeg {name} {mode} rc=$? size=$(stat -c %s /tmp/out.yuv)\"\n");
        }
        script += &format!(
            "rm -f /tmp/gst.yuv; GST_VA_ALL_DRIVERS=1 {env} gst-launch-1.0 -q filesrc location={} ! h264parse ! vah264dec ! \
             video/x-raw,format=NV12 ! filesink location=/tmp/gst.yuv; echo \"gst {name} frame rc=$? size=$(stat -c %s /tmp/gst.yuv)\"\n",
            path.display()
        );
    }
    let out = run_sh(&script, &opts()).unwrap();
    assert_lines(
        &out,
        clips.iter().flat_map(|(name, c)| {
            [("ffmpeg", "frame"), ("ffmpeg", "slice"), ("gst", "frame")].map(|(client, mode)| {
                format!("{client} {name} {mode} rc=0 size={}", c.nv12_bytes())
            })
        }),
    );
}

/// Fields that legitimately differ between this driver (fed by VA-API) and GStreamer (which
/// parses the SPS/PPS itself), with the reason.
const EXPLAINED: &[(&str, &str)] = &[
    ("v4l2_ctrl_h264_sps.level_idc", "VA-API does not pass level_idc"),
    (
        "v4l2_ctrl_h264_sps.constraint_set_flags",
        "VA-API passes a profile, not the flags; the driver sends the profile's defining ones",
    ),
    (
        "v4l2_ctrl_h264_pps.num_ref_idx_l0_default_active_minus1",
        "not in VA-API; learned from the first P/B slice without an override, so it differs on the first pictures (which do not use it)",
    ),
    (
        "v4l2_ctrl_h264_pps.num_ref_idx_l1_default_active_minus1",
        "as num_ref_idx_l0_default_active_minus1, from the first B slice without an override",
    ),
];

/// A run's fields as `event.field` → value.
fn fields(run: &[VislEvent]) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for ev in run {
        for (k, v) in &ev.fields {
            m.insert(format!("{}.{k}", ev.event), v.clone());
        }
    }
    m
}

/// visl's runs from an ftrace text; a header line whose event name landed on the next line is
/// joined back.
fn runs(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut joined = String::new();
    let mut lines = text.lines().peekable();
    while let Some(l) = lines.next() {
        joined += l;
        let dangling = l.trim_end().ends_with(':') && l.contains("] ");
        if !(dangling && lines.peek().is_some_and(|n| n.starts_with("v4l2_"))) {
            joined.push('\n');
        }
    }
    split_runs(parse_text(&joined))
        .iter()
        .map(|r| fields(r))
        .collect()
}

#[test]
fn controls_equal_gstreamer_v4l2slh264dec_field_by_field() {
    let env = va_env();
    let clips = clips();
    let mut script =
        String::from("T=/sys/kernel/tracing\necho 1 > $T/events/visl_h264_controls/enable\n");
    for (name, c) in &clips {
        let path = c.generate().unwrap().display().to_string();
        script += &format!(
            "echo > $T/trace\ngst-launch-1.0 -q filesrc location={path} ! h264parse ! v4l2slh264dec ! fakesink\n\
             cp $T/trace /tmp/gst-{name}.txt\necho > $T/trace\n{}\ncp $T/trace /tmp/va-{name}.txt\n\
             echo \"#####{name} gst\"; cat /tmp/gst-{name}.txt; echo \"#####{name} va\"; cat /tmp/va-{name}.txt\n",
            // GStreamer uses visl's default, slice-based mode without start codes: so does this.
            ffmpeg_cmd(&format!("{env} V4L2_REQUEST_H264_MODE=slice V4L2_REQUEST_H264_START_CODE=none"), &path, "/dev/null"),
        );
    }
    let out = run_sh(&script, &opts()).unwrap().check().unwrap();
    let text = out.stdout_str();
    let sections: BTreeMap<&str, &str> = text
        .split("#####")
        .skip(1)
        .filter_map(|s| s.split_once('\n'))
        .collect();
    let mut report = Vec::new();
    for (name, c) in &clips {
        let gst = runs(sections[format!("{name} gst").as_str()]);
        let va = runs(sections[format!("{name} va").as_str()]);
        let slices = if name.contains("2-slices") { 2 } else { 1 };
        assert_eq!(
            gst.len(),
            c.frames as usize * slices,
            "{name}: GStreamer's requests"
        );
        assert_eq!(va.len(), gst.len(), "{name}: the driver's requests");
        for (i, (g, v)) in gst.iter().zip(&va).enumerate() {
            for k in g
                .keys()
                .chain(v.keys())
                .collect::<std::collections::BTreeSet<_>>()
            {
                if g.get(k) != v.get(k) && !EXPLAINED.iter().any(|(f, _)| f == k) {
                    report.push(format!(
                        "{name} request {i}: {k}: gst {:?} driver {:?}",
                        g.get(k),
                        v.get(k)
                    ));
                }
            }
        }
    }
    assert!(
        report.is_empty(),
        "{} unexplained differences:\n{}",
        report.len(),
        report[..report.len().min(40)].join("\n")
    );
}

#[test]
fn size_change_mid_stream_decodes_every_frame() {
    // 10 frames at 320x240 then 10 at 176x144 (and back), one elementary stream.
    let joined =
        common::size_change_stream(&clip(10, 320, 240, &["-profile:v", "high", "-bf", "2"]));
    let env = format!("{} V4L2_REQUEST_LOG=info", va_env());
    let script = format!(
        "{} 2>/tmp/err.txt; echo rc=$?; echo frames=$(( $(stat -c %s /tmp/out.yuv) / (320*240*3/2) )); cat /tmp/err.txt >&2",
        ffmpeg_cmd(&env, &joined.display().to_string(), "/tmp/out.yuv")
    );
    let out = run_sh(&script, &opts()).unwrap();
    let (stdout, stderr) = (out.stdout_str(), out.stderr_str());
    assert!(stdout.contains("rc=0"), "{stdout}\n{stderr}");
    // ffmpeg scales to the first size: 30 frames of 320x240 come out.
    assert!(stdout.contains("frames=30"), "{stdout}\n{stderr}");
    // FFmpeg still reads frames of the old size after creating the new context: the driver
    // opens a second session rather than draining buffers that hold them.
    assert!(stderr.matches("session 176x144").count() == 1, "{stderr}");
    assert!(
        !stderr.contains("EBUSY") && !stderr.contains("busy"),
        "{stderr}"
    );
}

/// The example VA client (`examples/vaclient.rs`), built by `cargo test` next to the tests.
fn vaclient() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let p = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/vaclient");
    assert!(p.exists(), "{} not built", p.display());
    p
}

/// An I/P clip (one reference, no B-frames), which `vaclient` can drive.
fn ip_clip(frames: u32, w: u32, h: u32) -> PathBuf {
    clip(
        frames,
        w,
        h,
        &["-profile:v", "high", "-bf", "0", "-refs", "1"],
    )
    .generate()
    .unwrap()
}

#[test]
fn probe_pattern_then_1080p_decode_has_no_ebusy() {
    // mpv/libplacebo's pattern: 4 small surfaces + a context, an image derived and mapped, a
    // surface exported; all destroyed; then 1920x1080 surfaces, context, decode and read-back.
    let c = ip_clip(10, 1920, 1080);
    let trace = testbed::paths::work_dir("driver-probe-h264").join("vaclient.trace");
    let script = format!(
        "{} record -o {} -- env {} V4L2_REQUEST_LOG=info {} --probe --derive {}",
        common::vatrace().display(),
        trace.display(),
        va_env(),
        vaclient().display(),
        c.display()
    );
    let out = run_sh(&script, &opts()).unwrap();
    let (stdout, stderr) = (out.stdout_str(), out.stderr_str());
    assert_eq!(out.exit_code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("probe done"), "{stdout}");
    assert!(
        stdout.contains("frames ok=10 failed=0"),
        "{stdout}\n{stderr}"
    );
    // The idle 128x128 session was reconfigured: CAPTURE drained, REQBUFS(0) accepted.
    assert!(
        stderr.contains("session reconfigure 128x128 -> 1920x1088"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("EBUSY") && !stderr.contains("busy"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("WARN") && !stderr.contains("ERROR"),
        "{stderr}"
    );
    let fds: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("fds start"))
        .collect();
    assert_eq!(fds.len(), 1);
    let v: Vec<&str> = fds[0].split_whitespace().collect();
    assert_eq!(v[2], v[4], "fds leaked: {}", fds[0]);
    // No leaked request, no busy or orphaned buffer in the recorded decode.
    let (bad, summary) = common::check_findings(&trace);
    eprintln!("vatrace check: {summary}");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The preload library (`examples/vaprobe.rs`) running the probe pattern inside another client.
fn vaprobe() -> PathBuf {
    let p = vaclient().with_file_name("libvaprobe.so");
    assert!(p.exists(), "{} not built", p.display());
    p
}

/// The codecs `vaclient` cannot parse (MPEG-2, VP8, VP9, HEVC, AV1), a small clip each, for the
/// every-codec tests.
fn every_codec() -> Vec<Clip> {
    [
        Codec::Mpeg2,
        Codec::Vp8,
        Codec::Vp9,
        Codec::Hevc,
        Codec::Av1,
    ]
    .map(Clip::small)
    .to_vec()
}

/// The probe pattern for the codecs `vaclient` cannot parse, inside ffmpeg as mpv does it inside
/// itself: `vaprobe` probes every decode profile at 128x128 (config, 4 surfaces, a context, an
/// image derived and mapped, a surface exported, all destroyed) in ffmpeg's `vaInitialize`, then
/// ffmpeg decodes (AV1 with `-c:v av1`) on the same display, so the driver reconfigures its
/// idle 128x128 session.
/// Under `vatrace record`: every frame comes out, nothing answers EBUSY, `vatrace check` finds
/// no leaked request and no busy or orphaned buffer, the driver warns of nothing, and no video,
/// media, request or dma-buf fd is left open after vaTerminate.
#[test]
fn probe_pattern_then_every_codec_decodes_without_ebusy_or_leak() {
    let dir = testbed::paths::work_dir("driver-probe-every-codec");
    let clips = every_codec();
    let mut script = String::from("set -u\n");
    let mut traces = Vec::new();
    for c in &clips {
        let path = c.generate().unwrap();
        let t = dir.join(format!("{:?}.trace", c.codec));
        script += &format!(
            "rm -f /tmp/out.yuv; {v} record -o {t} -- env LD_PRELOAD={pre} V4L2_REQUEST_LOG=info {cmd} \
             2>/tmp/err.txt; echo \"{codec:?} rc=$? size=$(stat -c %s /tmp/out.yuv)\"; \
             sed 's/^/{codec:?} /' /tmp/err.txt\n",
            v = common::vatrace().display(),
            t = t.display(),
            pre = vaprobe().display(),
            cmd = common::ffmpeg_decode_codec(c.codec, &path, "/tmp/out.yuv", false),
            codec = c.codec
        );
        traces.push((c, t));
    }
    let out = run_sh(&script, &opts()).unwrap();
    assert_lines(
        &out,
        clips
            .iter()
            .map(|c| format!("{:?} rc=0 size={}", c.codec, c.nv12_bytes())),
    );
    let text = out.stdout_str();
    let mut report = Vec::new();
    for (c, trace) in traces {
        let prefix = format!("{:?} ", c.codec);
        let log: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix(&prefix))
            .collect();
        let has = |s: &str| log.iter().any(|l| l.contains(s));
        // Every profile the display lists was probed (H.264, MPEG-2, VP8, VP9, HEVC at least).
        let probed = log
            .iter()
            .filter(|l| l.starts_with("vaprobe: ") && l.contains(" 128x128 probe done"))
            .count();
        if probed < 5
            || log
                .iter()
                .any(|l| l.contains("probe vaC") || l.contains("failed"))
        {
            report.push(format!("{prefix}probes: {probed} done\n{}", log.join("\n")));
        }
        // The real decode reconfigured the idle probe session to the clip's size.
        let want = format!("session reconfigure 128x128 -> {}x{}", c.width, c.height);
        if !has(&want) || has("EBUSY") || has("busy") || has("WARN") || has("ERROR") {
            report.push(format!(
                "{prefix}wanted {want:?}, no EBUSY/WARN/ERROR:\n{}",
                log.join("\n")
            ));
        }
        let before = log
            .iter()
            .find(|l| l.starts_with("vaprobe: before vaInitialize"));
        let after = log
            .iter()
            .find(|l| l.starts_with("vaprobe: after vaTerminate"));
        if after != Some(&"vaprobe: after vaTerminate: video 0 media 0 request 0 dmabuf 0")
            || before.is_none()
        {
            report.push(format!("{prefix}device fds left: {before:?} {after:?}"));
        }
        let (bad, summary) = common::check_findings(&trace);
        eprintln!("{prefix}probes {probed}; vatrace check: {summary}");
        if !bad.is_empty() {
            report.push(format!("{prefix}vatrace check:\n{}", bad.join("\n")));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n\n"));
}

/// REINIT, DQBUF and request allocation fail on chosen calls, over 1000 times in a long decode:
/// decoding carries on, no fd leaks, dead slots are reported. Needs
/// `--features fault-injection`.
#[cfg(feature = "fault-injection")]
#[test]
fn fault_injection_1000_failures_no_starvation_no_leaks() {
    let c = ip_clip(50, 160, 120);
    let loops = 16;
    let script = format!(
        "{} V4L2_REQUEST_LOG=info V4L2_REQUEST_FAULTS=reinit:5:2,dqbuf:5,poll:13,alloc:60 {} --loops {loops} {}",
        va_env(),
        vaclient().display(),
        c.display()
    );
    let out = run_sh(
        &script,
        &testbed::RunOptions {
            timeout: std::time::Duration::from_secs(1200),
            ..opts()
        },
    )
    .unwrap();
    let (stdout, stderr) = (out.stdout_str(), out.stderr_str());
    assert_eq!(
        out.exit_code(),
        Some(0),
        "{stdout}\n{}",
        &stderr[stderr.len().saturating_sub(3000)..]
    );
    let frames = 50 * loops;
    assert!(
        stdout.contains(&format!("frames ok={frames} failed=0")),
        "{stdout}"
    );
    // Steady state: the fd count after each loop does not grow; all fds are back at the end.
    let per_loop: Vec<usize> = stdout
        .lines()
        .filter(|l| l.starts_with("loop "))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(per_loop.len(), loops);
    assert!(
        per_loop.windows(2).all(|w| w[1] <= w[0]),
        "fds grew: {per_loop:?}"
    );
    let end: Vec<&str> = stdout
        .lines()
        .find(|l| l.starts_with("fds start"))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(end[2], end[4], "fds leaked: {end:?}");
    // The pool's own account.
    let closed = stderr
        .lines()
        .find(|l| l.contains("session closed"))
        .expect("session stats line");
    let num = |key: &str| -> u64 {
        let i = closed
            .find(key)
            .unwrap_or_else(|| panic!("{key} in {closed}"))
            + key.len();
        closed[i..]
            .trim_start()
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let injected = num("faults injected: reinit") + num(" dqbuf ") + num(" poll ") + num(" alloc ");
    assert!(num(" poll ") > 0, "{closed}");
    eprintln!("{closed}");
    assert!(
        injected >= 1000,
        "only {injected} faults injected: {closed}"
    );
    assert!(num("force-released") > 0, "{closed}");
    // No buffer is left with the kernel once everything is synced.
    assert_eq!(
        (num("queued: OUTPUT"), num(" CAPTURE ")),
        (0, 0),
        "{closed}"
    );
    assert!(closed.contains("dead slots now"), "{closed}");
}

/// The recovery ladder is the shared session's, under every codec: ffmpeg decodes an MPEG-2, a
/// VP8, a VP9, an HEVC and an AV1 clip (FFmpeg's own AV1 decoder, `-c:v av1`) to the exact size while REINIT, DQBUF, poll and request
/// allocation fail on chosen calls; the session ends with nothing queued. Needs
/// `--features fault-injection`.
#[cfg(feature = "fault-injection")]
#[test]
fn fault_injection_every_codec_decodes_every_frame() {
    let clips = every_codec();
    let mut script = String::from("set -u\n");
    for c in &clips {
        let path = c.generate().unwrap();
        script += &format!(
            "rm -f /tmp/out.yuv; V4L2_REQUEST_LOG=info V4L2_REQUEST_FAULTS=reinit:5:2,dqbuf:5,poll:7,alloc:9 {} \
             2>/tmp/err.txt; echo \"{codec:?} rc=$? size=$(stat -c %s /tmp/out.yuv)\"; \
             echo \"{codec:?} $(grep 'session closed' /tmp/err.txt | tail -n 1)\"\n",
            common::ffmpeg_decode_codec(c.codec, &path, "/tmp/out.yuv", true),
            codec = c.codec
        );
    }
    let out = run_sh(&script, &opts()).unwrap();
    assert_lines(
        &out,
        clips
            .iter()
            .map(|c| format!("{:?} rc=0 size={}", c.codec, c.nv12_bytes())),
    );
    let text = out.stdout_str();
    for c in &clips {
        let closed = text
            .lines()
            .find(|l| l.starts_with(&format!("{:?} ", c.codec)) && l.contains("session closed"))
            .unwrap_or_else(|| panic!("{:?}: no session stats:\n{text}", c.codec));
        eprintln!("{closed}");
        let num = |key: &str| -> u64 {
            let i = closed
                .find(key)
                .unwrap_or_else(|| panic!("{key} in {closed}"))
                + key.len();
            closed[i..]
                .trim_start()
                .split(|ch: char| !ch.is_ascii_digit())
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        let injected =
            num("faults injected: reinit") + num(" dqbuf ") + num(" poll ") + num(" alloc ");
        assert!(injected > 0, "{closed}");
        assert!(num("force-released") > 0, "{closed}");
        assert_eq!(
            (num("queued: OUTPUT"), num(" CAPTURE ")),
            (0, 0),
            "{closed}"
        );
    }
}

#[test]
fn two_decoders_in_one_process_run_concurrently() {
    // One GStreamer process, two vah264dec on their own threads: two VA contexts at once, two
    // sessions (two opens of the decoder), one driver.
    let a = clip(30, 320, 240, &["-profile:v", "main", "-bf", "2"]);
    let b = clip(
        30,
        176,
        144,
        &["-profile:v", "high", "-bf", "3", "-refs", "4"],
    );
    let (pa, pb) = (a.generate().unwrap(), b.generate().unwrap());
    let branch = |p: &PathBuf, out: &str| {
        format!("filesrc location={} ! h264parse ! vah264dec ! video/x-raw,format=NV12 ! filesink location={out}", p.display())
    };
    let script = format!(
        "GST_VA_ALL_DRIVERS=1 {} gst-launch-1.0 -q {} {}; echo rc=$?; echo a=$(stat -c %s /tmp/a.yuv) b=$(stat -c %s /tmp/b.yuv)",
        va_env(),
        branch(&pa, "/tmp/a.yuv"),
        branch(&pb, "/tmp/b.yuv")
    );
    let out = run_sh(&script, &opts()).unwrap();
    let want = format!("a={} b={}", a.nv12_bytes(), b.nv12_bytes());
    assert!(
        out.stdout_str().contains("rc=0") && out.stdout_str().contains(&want),
        "{}\n{}",
        out.stdout_str(),
        out.stderr_str()
    );
}

#[test]
fn pool_transition_symbols_take_uprobes() {
    // The tracer's hook points: uprobes on the exported pool-transition functions count one
    // acquire and one release per frame in frame-based mode, no force-release, one CAPTURE
    // allocation.
    let so = driver_dir().join("v4l2_request_drv_video.so");
    let c = clip(30, 320, 240, &["-profile:v", "high", "-bf", "2"])
        .generate()
        .unwrap();
    let mut script = String::new();
    for f in [
        "slot_acquire",
        "slot_release",
        "slot_force_release",
        "capture_alloc",
        "capture_drain",
    ] {
        script += &format!(
            "perf probe -q -x {} --add v4l2_request_{f} || exit 3\n",
            so.display()
        );
    }
    script += &format!(
        "{} perf stat -x, -e 'probe_v4l2_request_drv_video:*' {} 2>&1 | grep probe_",
        va_env(),
        ffmpeg_cmd("", &c.display().to_string(), "/dev/null")
    );
    let out = run_sh(&script, &opts()).unwrap();
    let text = out.stdout_str();
    let count = |f: &str| -> u64 {
        let l = text
            .lines()
            .find(|l| l.contains(&format!(":v4l2_request_{f},")))
            .unwrap_or_else(|| panic!("{f}:\n{text}\n{}", out.stderr_str()));
        l.split(',').next().unwrap().parse().unwrap()
    };
    assert_eq!(count("slot_acquire"), 30, "{text}");
    assert_eq!(count("slot_release"), 30, "{text}");
    assert_eq!(count("slot_force_release"), 0, "{text}");
    assert_eq!(count("capture_alloc"), 1, "{text}");
}

#[test]
fn mpv_vaapi_copy_uses_the_driver() {
    let c = clip(30, 320, 240, &["-profile:v", "high", "-bf", "2"])
        .generate()
        .unwrap();
    common::assert_mpv_uses_driver(&c, "");
}

#[test]
fn frames_are_byte_identical_to_gstreamer_v4l2slh264dec() {
    // visl's frames are a deterministic picture of what it was sent (controls, timestamps,
    // references): with the same controls and the same timestamps as GStreamer, the decoded
    // and read back (vaGetImage) frames must be the same bytes, in either decode mode.
    let env = va_env();
    let clips = clips();
    let mut script = String::new();
    for (name, c) in &clips {
        let path = c.generate().unwrap().display().to_string();
        script += &format!(
            "gst-launch-1.0 -q filesrc location={path} ! h264parse ! v4l2slh264dec ! video/x-raw,format=NV12 ! \
             filesink location=/tmp/gst.yuv\necho \"{name} gst $(md5sum < /tmp/gst.yuv)\"\n"
        );
        for mode in ["slice", "frame"] {
            let cmd = ffmpeg_cmd(
                &format!("{env} V4L2_REQUEST_H264_MODE={mode}"),
                &path,
                "/tmp/va.yuv",
            );
            script += &format!("{cmd}\necho \"{name} {mode} $(md5sum < /tmp/va.yuv)\"\n");
        }
    }
    let out = run_sh(&script, &opts()).unwrap();
    let text = out.stdout_str();
    let sum = |name: &str, who: &str| -> String {
        let p = format!("{name} {who} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&p))
            .unwrap_or_else(|| panic!("{p}:\n{text}"))
            .to_string()
    };
    let mut bad = Vec::new();
    for (name, _) in &clips {
        let gst = sum(name, "gst");
        for mode in ["slice", "frame"] {
            // visl draws what the last request of a frame said about its slice: one request
            // per frame (frame-based) cannot look like GStreamer's two (slice-based).
            if mode == "frame" && name.contains("2-slices") {
                continue;
            }
            if sum(name, mode) != gst {
                bad.push(format!("{name} {mode}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "frames differ from GStreamer's: {bad:?}\n{text}\n{}",
        out.stderr_str()
    );
}
