//! `vatrace record` built for arm64 in the arm64 test-bed (`qemu-system-aarch64 -M virt`, the
//! same 6.12 kernel cross-built, a Debian arm64 root): GStreamer's `v4l2slh264dec` decodes a clip
//! through visl while the arm64 vatrace (its eBPF programs built for the arm64 syscall numbers and
//! `pt_regs`) traces it. The same checks as the x86_64 test-bed's (`common/decode.rs`): as many
//! V4L2/media/dma-buf ioctls as `strace -f`, nothing lost, every bitstream byte, every request's
//! controls equal to visl's ftrace, on both attachment mechanisms (fentry/fexit trampolines and
//! the raw syscall tracepoints). Then the arm64 trace replays on the x86_64 test-bed (same visl
//! driver) with no divergence: only environment differences. And the threads, children and `-p`
//! checks of the x86_64 test-bed (`common/mechanisms.rs`).
//!
//! `#[ignore]`d: arm64 TCG is slow and needs the arm64 build (`cargo xtask build --target
//! aarch64`) and test-bed; `cargo xtask test --arch arm64` builds both and runs these.

#[path = "common/decode.rs"]
mod decode;
#[path = "common/mechanisms.rs"]
mod mechanisms;

use std::path::PathBuf;
use std::time::Duration;

use replay::report::Report;
use testbed::clips::{Clip, Codec};
use testbed::{run_sh, Arch, RunOptions};

/// The x86_64 vatrace (for the replay on x86_64).
const VATRACE: &str = env!("CARGO_BIN_EXE_vatrace");

/// A binary of the arm64 release build, which the test-bed shares with the guest.
fn arm64_bin(name: &str) -> PathBuf {
    let p = testbed::paths::target_dir()
        .join(Arch::Aarch64.rust_target())
        .join("release")
        .join(name);
    assert!(
        p.exists(),
        "{} is not built: run `cargo xtask build --target aarch64` (or `cargo xtask test --arch arm64`)",
        p.display()
    );
    p
}

/// The x86_64 test's H.264 clip (320x240, 30 frames, B-frames): GStreamer decodes it through visl
/// in under 2 s in the arm64 test-bed.
fn clip() -> Clip {
    Clip::small(Codec::H264)
}

#[test]
#[ignore = "arm64 test-bed: run with `cargo xtask test --arch arm64`"]
fn arm64_gstreamer_h264_record_equals_strace_and_visl_and_replays_on_x86_64() {
    let clip = clip();
    let clip_path = clip.generate().unwrap();
    let dir = testbed::paths::work_dir("arm64-v4l2slh264dec");
    let vatrace = arm64_bin("vatrace");
    let script = format!(
        "uname -m > {d}/machine\n{}",
        decode::record_script_attach(
            &vatrace.display().to_string(),
            &clip_path,
            "h264parse",
            "v4l2slh264dec",
            "visl_h264_controls",
            &dir,
            &mechanisms::MECHANISMS,
        ),
        d = dir.display()
    );
    let opts = RunOptions {
        arch: Arch::Aarch64,
        timeout: Duration::from_secs(1800),
        ..Default::default()
    };
    let out = run_sh(&script, &opts).unwrap().check().unwrap();
    eprintln!(
        "arm64 record + strace: {:.0} s\n{}",
        out.elapsed.as_secs_f64(),
        out.stderr_str()
    );
    let machine = std::fs::read_to_string(dir.join("machine")).unwrap();
    assert_eq!(machine.trim(), "aarch64", "the guest is arm64");
    for m in mechanisms::MECHANISMS {
        decode::check_decode_trace_attach(&dir, &clip, "v4l2slh264dec", m);
    }

    // The arm64 trace replayed on x86_64: no divergence, every frame decoded.
    let r = replay_clean(
        &format!("{VATRACE} replay"),
        &dir.join(decode::file_names("fentry").0),
        &dir.join("replay-x86_64.json"),
        Arch::X86_64,
    );
    assert_eq!(r.lost_events, 0);
    assert_eq!(r.frames.len(), clip.frames as usize, "{}", r.text());
    assert!(r.bitstream_bytes > 0);
    eprintln!(
        "replayed on x86_64: {} ioctls matched, {} frames, environment differences: {:#?}",
        r.ioctls_matched,
        r.frames.len(),
        r.environment
    );
}

/// The x86_64 test's threads, children and `-p` checks (`common/mechanisms.rs`) with the arm64
/// build in the arm64 test-bed, on both mechanisms: arm64 has no `open`, `dup2` or `poll`
/// syscalls and keeps the syscall number in `syscallno`; the same calls must be seen from the
/// same roles.
#[test]
#[ignore = "arm64 test-bed: run with `cargo xtask test --arch arm64`"]
fn arm64_threads_children_and_attach_by_pid_on_both_mechanisms() {
    mechanisms::threads_children_and_attach_by_pid(
        &arm64_bin("vatrace").display().to_string(),
        &arm64_bin("v4l2-ioctl-probe").display().to_string(),
        "arm64-mechanisms",
        RunOptions {
            arch: Arch::Aarch64,
            timeout: Duration::from_secs(1800),
            ..Default::default()
        },
    );
}

/// The other direction: the committed x86_64 recording of GStreamer `v4l2slh264dec` on visl
/// (`traces/samples/`) replayed by the arm64 build in the arm64 test-bed: no divergence, every
/// frame, only environment differences.
#[test]
#[ignore = "arm64 test-bed: run with `cargo xtask test --arch arm64`"]
fn arm64_replays_an_x86_64_recording_clean() {
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../traces/samples/gst-v4l2slh264dec.trace");
    let dir = testbed::paths::work_dir("arm64-replay-x86_64");
    let r = replay_clean(
        &arm64_bin("vatrace-replay").display().to_string(),
        &sample,
        &dir.join("replay-arm64.json"),
        Arch::Aarch64,
    );
    assert!(!r.frames.is_empty(), "{}", r.text());
    eprintln!(
        "x86_64 recording replayed on arm64: {} ioctls matched, {} frames, environment differences: {:#?}",
        r.ioctls_matched,
        r.frames.len(),
        r.environment
    );
}

/// Replays `trace` with `replay` (a command taking `--quiet --report FILE TRACE`) in the `arch`
/// test-bed; asserts it ran on that architecture, exited 0, read the whole trace and found no
/// divergence; returns the report.
fn replay_clean(
    replay: &str,
    trace: &std::path::Path,
    report: &std::path::Path,
    arch: Arch,
) -> Report {
    let script = format!(
        "uname -m; {replay} --quiet --report {} {}",
        report.display(),
        trace.display()
    );
    let out = run_sh(
        &script,
        &RunOptions {
            arch,
            timeout: Duration::from_secs(900),
            ..Default::default()
        },
    )
    .unwrap();
    let machine = match arch {
        Arch::X86_64 => "x86_64",
        Arch::Aarch64 => "aarch64",
    };
    assert_eq!(
        out.stdout_str().lines().next(),
        Some(machine),
        "{}",
        out.explain()
    );
    assert_eq!(out.exit_code(), Some(0), "{}", out.explain());
    let r: Report = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    assert_eq!(r.divergences, 0, "{}", r.text());
    assert!(r.complete, "{}", r.text());
    r
}
