//! MPEG-2 through the driver in the test-bed (6.12 kernel, visl under QEMU): vainfo lists the
//! MPEG-2 profiles when visl offers `MG2S`; ffmpeg (`-hwaccel vaapi`) and GStreamer
//! (`vampeg2dec`) decode generated clips (B-frames, interlaced coding, non-default quantiser
//! matrices) to the exact NV12 size; the QUANTISATION control visl receives holds the clip's
//! own matrices.

use std::path::PathBuf;
use std::time::Duration;

use testbed::clips::{Clip, Codec};
use testbed::{run_sh, RunOptions};

fn opts() -> RunOptions {
    RunOptions {
        timeout: Duration::from_secs(600),
        ..Default::default()
    }
}

/// `<target>/<profile>/test-dri-mpeg2` holding the driver cargo built for these tests.
fn driver_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let deps = exe.parent().unwrap();
        let dri = deps.parent().unwrap().join("test-dri-mpeg2");
        std::fs::create_dir_all(&dri).unwrap();
        let tmp = dri.join(format!(".drv.{}", std::process::id()));
        std::fs::copy(deps.join("libv4l2_request.so"), &tmp).unwrap();
        std::fs::rename(&tmp, dri.join("v4l2_request_drv_video.so")).unwrap();
        assert!(
            !dri.starts_with("/tmp"),
            "the guest cannot see the host's /tmp: set CARGO_TARGET_DIR elsewhere"
        );
        dri
    })
    .clone()
}

fn va_env() -> String {
    format!(
        "LIBVA_DRIVERS_PATH={} LIBVA_DRIVER_NAME=v4l2_request",
        driver_dir().display()
    )
}

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
    let script = format!(
        "{} vainfo --display drm --device /dev/dri/renderD128",
        va_env()
    );
    let out = run_sh(&script, &opts()).unwrap().check().unwrap();
    let text = out.stdout_str();
    for p in ["VAProfileMPEG2Simple", "VAProfileMPEG2Main"] {
        let line = text
            .lines()
            .find(|l| l.contains(p))
            .unwrap_or_else(|| panic!("{p} missing:\n{text}"));
        assert!(line.contains("VAEntrypointVLD"), "{line}");
    }
}

#[test]
fn ffmpeg_and_gstreamer_decode_every_mpeg2_clip() {
    let env = va_env();
    let mut script = String::from("set -u\n");
    let clips = clips();
    for (name, c) in &clips {
        let path = c.generate().unwrap();
        script += &format!(
            "rm -f /tmp/out.yuv; {env} ffmpeg -nostdin -loglevel error -hwaccel vaapi \
             -hwaccel_output_format vaapi -vaapi_device /dev/dri/renderD128 -i {p} \
             -vf hwdownload,format=nv12 -f rawvideo -y /tmp/out.yuv; \
             echo \"ffmpeg {name} rc=$? size=$(stat -c %s /tmp/out.yuv)\"\n\
             rm -f /tmp/gst.yuv; GST_VA_ALL_DRIVERS=1 {env} gst-launch-1.0 -q filesrc location={p} ! \
             mpegvideoparse ! vampeg2dec ! video/x-raw,format=NV12 ! filesink location=/tmp/gst.yuv; \
             echo \"gst {name} rc=$? size=$(stat -c %s /tmp/gst.yuv)\"\n",
            p = path.display()
        );
    }
    let out = run_sh(&script, &opts()).unwrap();
    let text = out.stdout_str();
    let mut failures = Vec::new();
    for (name, c) in &clips {
        for client in ["ffmpeg", "gst"] {
            let want = format!("{client} {name} rc=0 size={}", c.nv12_bytes());
            if !text.lines().any(|l| l == want) {
                failures.push(want);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "expected lines missing: {failures:#?}\nstdout:\n{text}\nstderr:\n{}",
        out.stderr_str()
    );
}

/// The `vatrace` binary of the same cargo profile (`cargo build -p tracer`).
fn vatrace() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let p = exe.parent().unwrap().parent().unwrap().join("vatrace");
    assert!(
        p.exists(),
        "{} is missing: run `cargo build -p tracer` first",
        p.display()
    );
    p
}

/// The README's field list under `heading` (first column, backticked).
fn readme_fields(heading: &str) -> Vec<String> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("README has no {heading:?}"));
    text[start..]
        .lines()
        .skip(1)
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| {
            let cell = l.split('|').nth(1)?.trim();
            Some(cell.strip_prefix('`')?.strip_suffix('`')?.to_string())
        })
        .collect()
}

#[test]
fn mpeg2_controls_differ_from_v4l2slmpeg2dec_only_where_documented() {
    let dir = testbed::paths::work_dir("driver-mpeg2-diff");
    let mut script = String::from("set -e\n");
    let mut traces = Vec::new();
    for (name, c) in clips() {
        let path = c.generate().unwrap().display().to_string();
        let (gst, va) = (
            dir.join(format!("gst-{name}.trace")),
            dir.join(format!("va-{name}.trace")),
        );
        script += &format!(
            "{v} record -o {gst} -- gst-launch-1.0 -q filesrc location={path} ! mpegvideoparse ! v4l2slmpeg2dec ! fakesink\n\
             {v} record -o {va} -- env {env} ffmpeg -nostdin -loglevel error -hwaccel vaapi \
             -hwaccel_output_format vaapi -vaapi_device /dev/dri/renderD128 -i {path} -f null -\n",
            v = vatrace().display(),
            gst = gst.display(),
            va = va.display(),
            env = va_env(),
        );
        traces.push((name, gst, va));
    }
    let opts = RunOptions {
        timeout: Duration::from_secs(900),
        ..Default::default()
    };
    run_sh(&script, &opts).unwrap().check().unwrap();
    let documented = readme_fields("MPEG-2 fields VA-API does not carry");
    let mut report = Vec::new();
    for (name, gst, va) in traces {
        let mut cmd = std::process::Command::new(vatrace());
        cmd.arg("diff").arg("--json").arg(&gst).arg(&va);
        for f in readme_fields("MPEG-2 fields where two clients differ") {
            cmd.arg("--ignore").arg(f);
        }
        let out = cmd.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let v: serde_json::Value = serde_json::from_str(text.trim())
            .unwrap_or_else(|e| panic!("{e}: {text}\n{}", String::from_utf8_lossy(&out.stderr)));
        eprintln!("{name}: {}", v["summary"]);
        assert_eq!(v["frames_compared"].as_u64(), Some(30), "{name}: {v}");
        let unexplained: Vec<String> = v["fields"]
            .as_array()
            .unwrap_or_else(|| panic!("no fields in {v}"))
            .iter()
            .map(|f| f["field"].as_str().unwrap().to_string())
            .filter(|f| !documented.contains(f))
            .collect();
        if !unexplained.is_empty() {
            report.push(format!("{name}: {unexplained:?}\n{v:#}"));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}
