//! The libva driver built for arm64 (`cargo xtask build --target aarch64`) in the arm64 test-bed
//! (`qemu-system-aarch64 -M virt`, the 6.12 kernel with visl and vgem cross-built, a Debian arm64
//! root with ffmpeg): `ffmpeg -hwaccel vaapi` decodes H.264 clips through it in frame- and
//! slice-based mode to exactly the NV12 size of every frame, as on x86_64 (`testbed.rs`); the
//! arm64 vatrace records one of those decodes with the driver probes (uprobes on the arm64 `.so`).
//!
//! `#[ignore]`d: it needs the arm64 build and test-bed; `cargo xtask test --arch arm64` builds
//! both and runs it.

use std::path::PathBuf;
use std::time::Duration;

use testbed::clips::{Clip, Codec};
use testbed::{run_sh, Arch, RunOptions};

mod common;
use common::assert_lines;

/// `<target>/testbed/arm64-dri` holding the arm64 build's driver as `v4l2_request_drv_video.so`.
fn arm64_driver_dir() -> PathBuf {
    let so = testbed::paths::target_dir()
        .join(Arch::Aarch64.rust_target())
        .join("release")
        .join("libv4l2_request.so");
    assert!(
        so.exists(),
        "{} is not built: run `cargo xtask build --target aarch64` (or `cargo xtask test --arch arm64`)",
        so.display()
    );
    testbed::paths::install_driver(&so, &testbed::paths::scratch_dir().join("arm64-dri")).unwrap()
}

/// Two of the x86_64 test's clips: 320x240, 30 frames, baseline CAVLC and main CABAC with B-frames.
fn clips() -> Vec<(&'static str, Clip)> {
    let clip = |args: &[&str]| Clip {
        encoder_args: args.iter().map(|s| s.to_string()).collect(),
        ..Clip::small(Codec::H264)
    };
    vec![
        ("baseline-cavlc", clip(&["-profile:v", "baseline"])),
        ("main-cabac-b", clip(&["-profile:v", "main", "-bf", "2"])),
    ]
}

#[test]
#[ignore = "arm64 test-bed: run with `cargo xtask test --arch arm64`"]
fn arm64_ffmpeg_vaapi_decodes_every_clip_to_the_exact_size() {
    let env = format!(
        "LIBVA_DRIVERS_PATH={} LIBVA_DRIVER_NAME=v4l2_request",
        arm64_driver_dir().display()
    );
    let mut script = String::from("set -u\nuname -m\n");
    let clips = clips();
    for (name, c) in &clips {
        let path = c.generate().unwrap();
        for mode in ["frame", "slice"] {
            script += &format!(
                "rm -f /tmp/out.yuv; {env} V4L2_REQUEST_H264_MODE={mode} ffmpeg -nostdin -loglevel error \
                 -hwaccel vaapi -hwaccel_output_format vaapi -vaapi_device /dev/dri/renderD128 -i {} \
                 -vf hwdownload,format=nv12 -f rawvideo -y /tmp/out.yuv; \
                 echo \"ffmpeg {name} {mode} rc=$? size=$(stat -c %s /tmp/out.yuv)\"\n",
                path.display()
            );
        }
    }
    // The arm64 vatrace records one decode with its driver probes (uprobes on the arm64 driver's
    // pool transitions: arguments read from x0..x3).
    let vatrace = testbed::paths::target_dir()
        .join(Arch::Aarch64.rust_target())
        .join("release")
        .join("vatrace");
    let trace = testbed::paths::work_dir("arm64-driver-probes").join("ffmpeg.trace");
    let (_, probed) = &clips[0];
    script += &format!(
        "{vatrace} record -o {trace} -- env {env} ffmpeg -nostdin -loglevel error -hwaccel vaapi \
         -hwaccel_output_format vaapi -vaapi_device /dev/dri/renderD128 -i {} -f null -; \
         echo \"record rc=$?\"\n",
        probed.generate().unwrap().display(),
        vatrace = vatrace.display(),
        trace = trace.display(),
    );
    let opts = RunOptions {
        arch: Arch::Aarch64,
        timeout: Duration::from_secs(1800),
        ..Default::default()
    };
    let out = run_sh(&script, &opts).unwrap();
    let text = out.stdout_str();
    eprintln!("{text}arm64 run: {:.0} s", out.elapsed.as_secs_f64());
    assert_eq!(text.lines().next(), Some("aarch64"), "{}", out.explain());
    assert_lines(
        &out,
        clips.iter().flat_map(|(name, c)| {
            ["frame", "slice"]
                .map(|mode| format!("ffmpeg {name} {mode} rc=0 size={}", c.nv12_bytes()))
        }),
    );
    assert_lines(&out, ["record rc=0".to_string()]);
    let dump = std::process::Command::new(common::vatrace())
        .arg("dump")
        .arg(&trace)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&dump.stdout);
    assert!(dump.status.success(), "{text}");
    // One slot acquired and released per frame, with a slot number and a request fd read from
    // the arm64 argument registers.
    let probes = |func: &str| {
        text.lines()
            .filter(|l| l.contains(&format!("driver {func}(slot=")) && l.contains("request_fd="))
            .count() as u32
    };
    assert_eq!(probes("slot_acquire"), probed.frames, "{text}");
    assert_eq!(probes("slot_release"), probed.frames, "{text}");
}
