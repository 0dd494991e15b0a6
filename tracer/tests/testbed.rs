//! `vatrace record` against real V4L2 in the test-bed (QEMU, 6.12 kernel with visl): GStreamer's
//! stateless decoders decode a generated clip through visl while vatrace traces them. The trace
//! must hold as many V4L2/media/dma-buf ioctls as `strace -f` counts for the same pipeline, lose
//! nothing, carry every byte of bitstream the client queued, and hold for every request the
//! control values visl printed in its ftrace events. The trace's size must meet issue 3's goal:
//! at most 1.05 × the bitstream it captured + 1 KiB per frame of the clip.
//!
//! A probe that duplicates a video fd with dup3(O_CLOEXEC) and F_DUPFD_CLOEXEC, then execs:
//! the trace says which dups are close-on-exec, and the one fd model (`vatrace dump`'s names)
//! closes those at the exec and keeps the plain dup2.
//!
//! Each test boots the test-bed (QEMU under TCG, tens of seconds); they run with the rest of
//! `cargo xtask test`.

#[path = "common/decode.rs"]
mod decode;
#[path = "common/mechanisms.rs"]
mod mechanisms;

use std::time::Duration;

use decode::strace_count;
use mechanisms::{attach_of, MECHANISMS};
use testbed::{
    clips::{Clip, Codec},
    run_sh, RunOptions,
};
use traces::{Record, TraceReader};

const VATRACE: &str = env!("CARGO_BIN_EXE_vatrace");

/// Records the decode once per mechanism of `attach` ("" for vatrace's default) in one boot and
/// checks each trace.
fn record_decode(clip: Clip, parser: &str, decoder: &str, visl_events: &str, attach: &[&str]) {
    let clip_path = clip.generate().unwrap();
    let stem = clip_path
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let dir = testbed::paths::work_dir(&format!("tracer-{decoder}-{stem}"));
    let script = decode::record_script_attach(
        VATRACE,
        &clip_path,
        parser,
        decoder,
        visl_events,
        &dir,
        attach,
    );
    let opts = RunOptions {
        timeout: Duration::from_secs(600),
        ..Default::default()
    };
    let out = run_sh(&script, &opts).unwrap().check().unwrap();
    eprintln!("{}", out.stderr_str());

    for mechanism in attach {
        decode::check_decode_trace_attach(&dir, &clip, decoder, mechanism);
    }
}

#[test]
fn gstreamer_h264_through_visl() {
    record_decode(
        Clip::small(Codec::H264),
        "h264parse",
        "v4l2slh264dec",
        "visl_h264_controls",
        // Both mechanisms: the same counts as strace's, the same bytes, the same controls.
        &["fentry", "tracepoint"],
    );
}

#[test]
fn gstreamer_h264_two_slices_through_visl() {
    // Two slices a frame: two requests per frame, the first holding the CAPTURE buffer.
    let mut clip = Clip::small(Codec::H264);
    clip.encoder_args
        .extend(["-x264-params".to_string(), "slices=2".to_string()]);
    record_decode(
        clip,
        "h264parse",
        "v4l2slh264dec",
        "visl_h264_controls",
        &[""],
    );
}

#[test]
fn gstreamer_mpeg2_through_visl() {
    record_decode(
        Clip::small(Codec::Mpeg2),
        "mpegvideoparse",
        "v4l2slmpeg2dec",
        "visl_mpeg2_controls",
        &[""],
    );
}

#[test]
fn gstreamer_vp8_through_visl() {
    record_decode(
        Clip::small(Codec::Vp8),
        "ivfparse",
        "v4l2slvp8dec",
        "visl_vp8_controls",
        &[""],
    );
}

#[test]
fn strace_counting() {
    let text = "58    ioctl(0x3, 0x5401, 0x7ffc) = -1 ENOTTY\n\
                59    ioctl(0x4, 0xc058560f, 0x7f58) = 0\n\
                59    ioctl(0x4, 0x7c80 <unfinished ...>\n\
                59    <... ioctl resumed>) = 0\n\
                60    ioctl(0x9, 0x40086200, 0x7f00) = 0\n";
    assert_eq!(strace_count(text), 3);
}

#[test]
fn cloexec_dups_are_recorded_and_closed_by_exec() {
    let probe = env!("CARGO_BIN_EXE_v4l2-ioctl-probe");
    let dir = testbed::paths::work_dir("cloexec");
    let d = dir.display();
    let mut script = String::from("set -e\n");
    for m in MECHANISMS {
        script.push_str(&format!(
            "{VATRACE} record --attach {m} -o {d}/c-{m}.trace -- {probe} cloexec /dev/video0 \
             > {d}/probe-{m}.json 2> {d}/record-{m}.log
            {VATRACE} dump {d}/c-{m}.trace > {d}/dump-{m}.txt\n"
        ));
    }
    let opts = RunOptions {
        timeout: Duration::from_secs(600),
        ..Default::default()
    };
    run_sh(&script, &opts).unwrap().check().unwrap();
    for m in MECHANISMS {
        check_cloexec(&dir, m);
    }
}

/// Checks the cloexec probe's run recorded with `--attach m`.
fn check_cloexec(dir: &std::path::Path, m: &str) {
    let read = |name: String| std::fs::read_to_string(dir.join(name)).unwrap();
    let probe_json = read(format!("probe-{m}.json"));
    let out = read(format!("dump-{m}.txt"));
    let probe_out: serde_json::Value =
        serde_json::from_str(probe_json.lines().next().unwrap()).expect("the probe's JSON");
    const EBADF: i64 = -9;
    assert_eq!(probe_out["dup3"], EBADF, "{m}: {probe_json}");
    assert_eq!(probe_out["dupfd"][1], EBADF, "{m}: {probe_json}");
    assert_eq!(probe_out["dup2"], 0, "{m}: {probe_json}");
    let dupfd = probe_out["dupfd"][0].as_i64().unwrap() as i32;

    let trace = dir.join(format!("c-{m}.trace"));
    assert_eq!(attach_of(&trace), m);
    let mut reader = TraceReader::open(&trace).unwrap();
    let mut dups = Vec::new();
    for r in &mut reader {
        if let Record::Dup(x) = r.unwrap() {
            dups.push((x.ret as i32, x.cloexec));
        }
    }
    assert_eq!(dups, [(50, true), (dupfd, true), (70, false)], "{m}: {out}");
    // The dump's fd names after the exec: the close-on-exec dups are gone, dup2's is the device.
    let after: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.contains("execve("))
        .filter(|l| l.contains("VIDIOC_QUERYCAP"))
        .collect();
    assert_eq!(after.len(), 3, "{m}: {out}");
    assert!(
        after[0].contains("ioctl(50, ") && after[0].contains("EBADF"),
        "{m}: {out}"
    );
    assert!(
        after[1].contains(&format!("ioctl({dupfd}, ")) && after[1].contains("EBADF"),
        "{m}: {out}"
    );
    assert!(after[2].contains("ioctl(70</dev/video0"), "{m}: {out}");
    assert!(
        out.contains("dup3(") && out.contains(", 50, O_CLOEXEC)"),
        "{m}: {out}"
    );
}

/// Per mechanism, in one boot: threads, children and `-p` (`common/mechanisms.rs`).
#[test]
fn threads_children_and_attach_by_pid_on_both_mechanisms() {
    mechanisms::threads_children_and_attach_by_pid(
        VATRACE,
        env!("CARGO_BIN_EXE_v4l2-ioctl-probe"),
        "mechanisms",
        RunOptions {
            timeout: Duration::from_secs(600),
            ..Default::default()
        },
    );
}
