//! What the driver's test-bed tests share: the driver installed where the guest loads it, the
//! VA environment that selects it, the `vatrace` binary, vainfo's profile list, the README's
//! field tables, and the record-both-clients-then-`vatrace diff` step of the control-fidelity
//! tests (GStreamer's `v4l2sl*dec` against ffmpeg + this driver on the same clips), mpv's check.
//!
//! Each test file uses part of it.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use testbed::clips::{Clip, Codec};
use testbed::{run_sh, RunOptions};

/// A test-bed run of up to 10 minutes.
pub fn opts() -> RunOptions {
    RunOptions {
        timeout: Duration::from_secs(600),
        ..Default::default()
    }
}

/// `<target>/<profile>/test-dri` holding `v4l2_request_drv_video.so`, copied from the cdylib
/// cargo built for these tests (in `deps/`, next to the test executable), once per test process
/// (a file's tests run in parallel; the copy is renamed into place, so two processes never see
/// half a file). The test-bed shares the cargo target directory at its own path.
pub fn driver_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let deps = exe.parent().unwrap();
        let dri = testbed::paths::install_driver(
            &deps.join("libv4l2_request.so"),
            &deps.parent().unwrap().join("test-dri"),
        )
        .unwrap();
        assert!(
            !dri.starts_with("/tmp"),
            "the guest cannot see the host's /tmp: set CARGO_TARGET_DIR elsewhere"
        );
        dri
    })
    .clone()
}

/// The environment that makes libva load this driver.
pub fn va_env() -> String {
    format!(
        "LIBVA_DRIVERS_PATH={} LIBVA_DRIVER_NAME=v4l2_request",
        driver_dir().display()
    )
}

/// The `vatrace` binary of the same cargo profile (`cargo build -p tracer`; `cargo xtask test`
/// builds the workspace first).
pub fn vatrace() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let p = exe.parent().unwrap().parent().unwrap().join("vatrace");
    assert!(
        p.exists(),
        "{} is missing: run `cargo build -p tracer` first",
        p.display()
    );
    p
}

/// vainfo in the test-bed lists each of `profiles` with the VLD (decode) entry point.
pub fn assert_vainfo_lists(profiles: &[&str]) {
    let script = format!(
        "{} vainfo --display drm --device /dev/dri/renderD128",
        va_env()
    );
    let out = run_sh(&script, &opts()).unwrap().check().unwrap();
    let text = out.stdout_str();
    for p in profiles {
        let line = text
            .lines()
            .find(|l| l.contains(p))
            .unwrap_or_else(|| panic!("{p} missing:\n{text}"));
        assert!(line.contains("VAEntrypointVLD"), "{line}");
    }
}

/// The driver README's field list under `heading` (a table whose rows' first column holds one
/// backticked field name): fields VA-API does not carry, fields where two clients differ.
pub fn readme_fields(heading: &str) -> Vec<String> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("README has no {heading:?}"));
    let fields: Vec<String> = text[start..]
        .lines()
        .skip(1)
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| {
            let cell = l.split('|').nth(1)?.trim();
            Some(cell.strip_prefix('`')?.strip_suffix('`')?.to_string())
        })
        .collect();
    assert!(!fields.is_empty(), "no fields under {heading:?}");
    fields
}

/// One clip decoded by both clients: `(name, GStreamer's trace, ffmpeg + driver's trace)`.
pub type Pair = (&'static str, PathBuf, PathBuf);

/// Records, in one test-bed run, GStreamer's decode of every clip through `gst_elements`
/// (e.g. `h264parse ! v4l2slh264dec`) and ffmpeg's through this driver with `va_env`, into
/// `<work>/<tag>/`.
pub fn record_pairs(
    tag: &str,
    clips: Vec<(&'static str, Clip)>,
    gst_elements: &str,
    va_env: &str,
) -> Vec<Pair> {
    let files = clips
        .into_iter()
        .map(|(name, c)| (name, c.generate().unwrap()))
        .collect();
    record_file_pairs(tag, files, gst_elements, va_env, "")
}

/// [`record_pairs`] of streams already on disk (e.g. IVF files joined by
/// `testbed::clips::ivf_concat`); `ffmpeg_filter` is put before ffmpeg's null output (e.g.
/// `-vf hwdownload,format=nv12`: FFmpeg's automatic scaler cannot take VA frames when the size
/// changes mid-stream).
pub fn record_file_pairs(
    tag: &str,
    files: Vec<(&'static str, PathBuf)>,
    gst_elements: &str,
    va_env: &str,
    ffmpeg_filter: &str,
) -> Vec<Pair> {
    let dir = testbed::paths::work_dir(tag);
    let mut script = String::from("set -e\n");
    let mut out = Vec::new();
    for (name, path) in files {
        let path = path.display();
        let (gst, va) = (
            dir.join(format!("gst-{name}.trace")),
            dir.join(format!("va-{name}.trace")),
        );
        script += &format!(
            "{v} record -o {gst} -- gst-launch-1.0 -q filesrc location={path} ! {gst_elements} ! fakesink\n\
             {v} record -o {va} -- env {va_env} ffmpeg -nostdin -loglevel error -hwaccel vaapi \
             -hwaccel_output_format vaapi -vaapi_device /dev/dri/renderD128 -i {path} {ffmpeg_filter} -f null -\n",
            v = vatrace().display(),
            gst = gst.display(),
            va = va.display(),
        );
        out.push((name, gst, va));
    }
    let opts = RunOptions {
        timeout: Duration::from_secs(900),
        ..Default::default()
    };
    run_sh(&script, &opts).unwrap().check().unwrap();
    out
}

/// `vatrace diff --json A B`, ignoring the fields listed under the README heading `ignored`
/// (client behaviour): the exit code, the fields reported, and the whole report.
pub fn diff(a: &Path, b: &Path, ignored: &str) -> (i32, BTreeSet<String>, serde_json::Value) {
    let mut cmd = Command::new(vatrace());
    cmd.arg("diff").arg("--json").arg(a).arg(b);
    for f in readme_fields(ignored) {
        cmd.arg("--ignore").arg(f);
    }
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("{e}: {text}\n{}", String::from_utf8_lossy(&out.stderr)));
    let fields = v["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no fields in {v}"))
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    (out.status.code().unwrap_or(-1), fields, v)
}

/// `vatrace diff` of `gst` (GStreamer's `v4l2sl*dec`) against `other` on clip `name`, the
/// README's `ignored` table passed as `--ignore`: asserts `frames` frames compared, and returns a
/// report line when a field outside `documented` (the README's "not carried by VA-API" table)
/// differs.
pub fn undocumented_differences(
    name: &str,
    gst: &Path,
    other: &Path,
    ignored: &str,
    documented: &[String],
    frames: u64,
) -> Option<String> {
    let (code, fields, v) = diff(gst, other, ignored);
    eprintln!("{name}: {}", v["summary"]);
    assert!(code == 0 || code == 1, "{name}: exit {code}: {v}");
    assert_eq!(v["frames_compared"].as_u64(), Some(frames), "{name}: {v}");
    let unexplained: Vec<&String> = fields.iter().filter(|f| !documented.contains(f)).collect();
    (!unexplained.is_empty()).then(|| format!("{name}: {unexplained:?}\n{v:#}"))
}

/// `vatrace dump --json` of `trace`: one JSON record per line.
pub fn dump_json(trace: &Path) -> String {
    let out = Command::new(vatrace())
        .args(["dump", "--json"])
        .arg(trace)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "vatrace dump {}: {}",
        trace.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Per-frame figures of one recorded decode: (frames, ioctls per frame, waits per frame,
/// DQBUFs answered EAGAIN, counts by ioctl name). Frames are requests queued (frame-based
/// mode: one per frame); per-frame ioctls are QBUF, DQBUF, S_EXT_CTRLS bound to a request,
/// MEDIA_REQUEST_IOC_QUEUE/REINIT and DMA_BUF_IOCTL_SYNC; waits are poll/ppoll calls.
pub fn per_frame(trace: &Path) -> (u64, f64, f64, u64, std::collections::BTreeMap<String, u64>) {
    let dump = dump_json(trace);
    let mut by_name = std::collections::BTreeMap::new();
    let (mut frames, mut ioctls, mut waits, mut eagain) = (0u64, 0u64, 0u64, 0u64);
    for line in dump.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        match v["kind"].as_str() {
            Some("Poll") => waits += 1,
            Some("Ioctl") => {
                let name = v["name"].as_str().unwrap_or("?").to_string();
                let counted = match name.as_str() {
                    "VIDIOC_QBUF"
                    | "VIDIOC_DQBUF"
                    | "MEDIA_REQUEST_IOC_QUEUE"
                    | "MEDIA_REQUEST_IOC_REINIT"
                    | "DMA_BUF_IOCTL_SYNC" => true,
                    "VIDIOC_S_EXT_CTRLS" => {
                        v["before"]["ExtControls"]["request_fd"]
                            .as_i64()
                            .unwrap_or(0)
                            > 0
                    }
                    _ => false,
                };
                if name == "MEDIA_REQUEST_IOC_QUEUE" {
                    frames += 1;
                }
                if name == "VIDIOC_DQBUF" && v["ret"].as_i64() != Some(0) {
                    eagain += 1;
                }
                if counted {
                    ioctls += 1;
                    *by_name.entry(name).or_insert(0) += 1;
                }
            }
            _ => {}
        }
    }
    assert!(frames > 0, "{}: no request queued", trace.display());
    let f = frames as f64;
    (frames, ioctls as f64 / f, waits as f64 / f, eagain, by_name)
}

/// Every line of `wants` appears, whole, in the run's stdout (the scripts echo one line per
/// decode: client, clip, mode, exit code, output size); else fails listing the missing ones.
pub fn assert_lines(out: &testbed::RunOutput, wants: impl IntoIterator<Item = String>) {
    let text = out.stdout_str();
    let failures: Vec<String> = wants
        .into_iter()
        .filter(|want| !text.lines().any(|l| l == want))
        .collect();
    assert!(
        failures.is_empty(),
        "expected lines missing: {failures:#?}\nstdout:\n{text}\nstderr:\n{}",
        out.stderr_str()
    );
}

/// mpv (`--hwdec=vaapi-copy`, no video output) plays `clip` through this driver without falling
/// back to software; `extra` is added to its options (e.g. `--hwdec-codecs=all`).
pub fn assert_mpv_uses_driver(clip: &Path, extra: &str) {
    let script = format!(
        "{} mpv --no-config --hwdec=vaapi-copy {extra} --vaapi-device=/dev/dri/renderD128 --vo=null \
         --ao=null --untimed --msg-level=all=v {} 2>&1; echo rc=$?",
        va_env(),
        clip.display()
    );
    let out = run_sh(&script, &opts()).unwrap();
    let text = out.stdout_str();
    assert!(
        text.contains("Using hardware decoding (vaapi-copy)"),
        "{text}"
    );
    assert!(!text.to_lowercase().contains("fallback"), "{text}");
    assert!(text.contains("rc=0"), "{text}");
}

/// The shell command decoding `clip` with `ffmpeg -hwaccel vaapi` through this driver, every
/// frame downloaded as NV12 into `out` (`/dev/null` to discard); `-threads 1` when `one_thread`
/// (the ioctl budget tests count one decoder's calls).
pub fn ffmpeg_decode(clip: &Path, out: &str, one_thread: bool) -> String {
    ffmpeg_decode_with("", clip, out, one_thread)
}

/// FFmpeg's input options choosing the decoder for `codec`: for AV1 its own decoder
/// (`-c:v av1`), the one with the VA hwaccel (the default, libdav1d, has none); none otherwise.
pub fn ffmpeg_decoder(codec: Codec) -> &'static str {
    match codec {
        Codec::Av1 => " -c:v av1",
        _ => "",
    }
}

/// [`ffmpeg_decode`] of a `codec` stream, with the decoder [`ffmpeg_decoder`] chooses.
pub fn ffmpeg_decode_codec(codec: Codec, clip: &Path, out: &str, one_thread: bool) -> String {
    ffmpeg_decode_with(ffmpeg_decoder(codec), clip, out, one_thread)
}

fn ffmpeg_decode_with(decoder: &str, clip: &Path, out: &str, one_thread: bool) -> String {
    format!(
        "{} ffmpeg -nostdin -loglevel error{} -hwaccel vaapi -hwaccel_output_format vaapi \
         -vaapi_device /dev/dri/renderD128{decoder} -i {} -vf hwdownload,format=nv12 -f rawvideo -y {out}",
        va_env(),
        if one_thread { " -threads 1" } else { "" },
        clip.display()
    )
}

/// ffmpeg and GStreamer (`gst_decode`: the parser and the `va` decoder, e.g. `ivfparse !
/// vavp8dec`) each decode every clip through this driver to exactly its NV12 size, exit 0.
pub fn assert_decodes_every_clip<'a>(
    clips: impl IntoIterator<Item = (&'a str, &'a Clip)>,
    gst_decode: &str,
) {
    let env = va_env();
    let clips: Vec<(&str, &Clip)> = clips.into_iter().collect();
    let mut script = String::from("set -u\n");
    for (name, c) in &clips {
        let path = c.generate().unwrap();
        script += &format!(
            "rm -f /tmp/out.yuv; {ffmpeg}; echo \"ffmpeg {name} rc=$? size=$(stat -c %s /tmp/out.yuv)\"\n\
             rm -f /tmp/gst.yuv; GST_VA_ALL_DRIVERS=1 {env} gst-launch-1.0 -q filesrc location={p} ! \
             {gst_decode} ! video/x-raw,format=NV12 ! filesink location=/tmp/gst.yuv; \
             echo \"gst {name} rc=$? size=$(stat -c %s /tmp/gst.yuv)\"\n",
            ffmpeg = ffmpeg_decode_codec(c.codec, &path, "/tmp/out.yuv", false),
            p = path.display()
        );
    }
    let out = run_sh(&script, &opts()).unwrap();
    assert_lines(
        &out,
        clips.iter().flat_map(|(name, c)| {
            ["ffmpeg", "gst"].map(|client| format!("{client} {name} rc=0 size={}", c.nv12_bytes()))
        }),
    );
}

/// Records, with `vatrace record` in one test-bed run, ffmpeg decoding each clip on one thread
/// (every frame downloaded) into `<work dir>/ffmpeg-NAME.trace`; returns (name, trace).
pub fn record_ffmpeg_decodes<'a>(
    work: &str,
    clips: impl IntoIterator<Item = (&'a str, &'a Clip)>,
) -> Vec<(String, PathBuf)> {
    let dir = testbed::paths::work_dir(work);
    let mut script = String::from("set -e\n");
    let mut traces = Vec::new();
    for (name, c) in clips {
        let path = c.generate().unwrap();
        let t = dir.join(format!("ffmpeg-{name}.trace"));
        script += &format!(
            "{v} record -o {t} -- env {cmd}\n",
            v = vatrace().display(),
            t = t.display(),
            cmd = ffmpeg_decode(&path, "/dev/null", true)
        );
        traces.push((name.to_string(), t));
    }
    let opts = RunOptions {
        timeout: Duration::from_secs(900),
        ..Default::default()
    };
    run_sh(&script, &opts).unwrap().check().unwrap();
    traces
}

/// ffmpeg decodes `stream`, whose size goes 320x240 → 176x144 → 320x240 (10 frames each), through
/// the driver: all 30 frames come out (ffmpeg scales to the first size) and nothing answers
/// One elementary stream changing size where each part starts afresh (sequence header, IDR or
/// key frame): 10 frames of `base` at 320x240, 10 at 176x144, 10 at 320x240, joined byte for byte
/// (Annex-B and MPEG-2 elementary streams; IVF files need `testbed::clips::ivf_concat`).
pub fn size_change_stream(base: &Clip) -> PathBuf {
    let part = |width, height| {
        Clip {
            width,
            height,
            frames: 10,
            ..base.clone()
        }
        .generate()
        .unwrap()
    };
    let (a, b) = (part(320, 240), part(176, 144));
    let joined = a.with_file_name(format!(
        "sizechange-320x240-176x144-320x240-{}",
        a.file_name().unwrap().to_string_lossy()
    ));
    let mut bytes = std::fs::read(&a).unwrap();
    bytes.extend(std::fs::read(&b).unwrap());
    bytes.extend(std::fs::read(&a).unwrap());
    std::fs::write(&joined, bytes).unwrap();
    joined
}

/// EBUSY. Returns the driver's log (`V4L2_REQUEST_LOG=info`) for what depends on the client.
pub fn assert_size_change_decodes(stream: &Path) -> String {
    assert_size_change_decodes_with("", stream)
}

/// [`assert_size_change_decodes`] of a `codec` stream, with the decoder [`ffmpeg_decoder`]
/// chooses (AV1: `-c:v av1`).
pub fn assert_size_change_decodes_codec(codec: Codec, stream: &Path) -> String {
    assert_size_change_decodes_with(ffmpeg_decoder(codec), stream)
}

fn assert_size_change_decodes_with(decoder: &str, stream: &Path) -> String {
    let script = format!(
        "V4L2_REQUEST_LOG=info {} 2>/tmp/err.txt; echo rc=$?; \
         echo frames=$(( $(stat -c %s /tmp/out.yuv) / (320*240*3/2) )); cat /tmp/err.txt >&2",
        ffmpeg_decode_with(decoder, stream, "/tmp/out.yuv", false)
    );
    let out = run_sh(&script, &opts()).unwrap();
    let (stdout, stderr) = (out.stdout_str(), out.stderr_str());
    assert!(stdout.contains("rc=0"), "{stdout}\n{stderr}");
    assert!(stdout.contains("frames=30"), "{stdout}\n{stderr}");
    assert!(
        !stderr.contains("EBUSY") && !stderr.contains("busy"),
        "{stderr}"
    );
    stderr
}

/// `vatrace check --json` of `trace`: its findings above a note (`request-leak`, `reqbufs-busy`,
/// `reqbufs-orphans`, `fmt-busy`, `create-bufs-busy`, `capture-never-returned`…), one line
/// each, and the summary.
pub fn check_findings(trace: &Path) -> (Vec<String>, serde_json::Value) {
    let o = Command::new(vatrace())
        .args(["check", "--json"])
        .arg(trace)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    let bad = v["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings in {v}"))
        .iter()
        .filter(|f| f["severity"] != "note")
        .map(|f| format!("{} {}: {}", f["severity"], f["rule"], f["statement"]))
        .collect();
    (bad, v["summary"].clone())
}
