//! `cargo xtask samples`: regenerates the sample traces of `traces/samples/`, all recorded with
//! `vatrace record` in one test-bed run, and `cargo xtask samples --bench`: the replay speed of
//! the decode samples (`--pace fast`, release build) against their recorded wall time.
//!
//! Regeneration builds what it needs (the `vatrace` binary with its eBPF object, the synthetic
//! clients `probe-ebusy` and `request-leak`, the libva driver through `driver/install.sh`),
//! generates the H.264 clip (`testbed::clips`), records every sample into a scratch folder, checks
//! each one (the command's exit code, no lost events, every decode's bitstream captured: the
//! bytes in the trace equal the bytes its OUTPUT QBUFs queued) and only then replaces
//! `traces/samples/*.trace`. Nothing is replaced when a check fails.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};

/// One sample: its file name (without `.trace`), the command recorded, and the exit code the
/// recorded command must return.
struct Sample {
    name: &'static str,
    exit: i64,
    /// A decode: its bitstream must be in the trace.
    decode: bool,
}

const SAMPLES: [Sample; 5] = [
    Sample {
        name: "gst-v4l2slh264dec",
        exit: 0,
        decode: true,
    },
    Sample {
        name: "ffmpeg-vaapi",
        exit: 0,
        decode: true,
    },
    Sample {
        name: "probe-ebusy",
        exit: 2,
        decode: false,
    },
    Sample {
        name: "request-leak",
        exit: 3,
        decode: false,
    },
    Sample {
        name: "request-leak-fixed",
        exit: 0,
        decode: false,
    },
];

/// The committed samples' folder.
pub fn samples_dir() -> PathBuf {
    testbed::paths::repo_root().join("traces/samples")
}

/// The cargo target folder (`$CARGO_TARGET_DIR`, else the workspace's `target/`).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| testbed::paths::repo_root().join("target"))
}

fn run_checked(c: &mut Command, what: &str) -> Result<()> {
    eprintln!("samples: {what}");
    let st = c
        .current_dir(testbed::paths::repo_root())
        .status()
        .with_context(|| format!("running {what}"))?;
    ensure!(st.success(), "{what} failed ({st})");
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Builds vatrace (eBPF object included), the synthetic clients and the driver; returns the
/// debug binaries' folder and the driver's folder.
fn build() -> Result<(PathBuf, PathBuf)> {
    run_checked(
        cargo().args(["build", "-p", "tracer", "-p", "clients", "--bins"]),
        "cargo build -p tracer -p clients --bins",
    )?;
    run_checked(
        Command::new("sh").args(["driver/install.sh", "--debug"]),
        "driver/install.sh --debug",
    )?;
    let bin = target_dir().join("debug");
    for b in ["vatrace", "probe-ebusy", "request-leak"] {
        ensure!(
            bin.join(b).exists(),
            "{} was not built",
            bin.join(b).display()
        );
    }
    let dri = target_dir().join("dri");
    ensure!(
        dri.join("v4l2_request_drv_video.so").exists(),
        "driver/install.sh left no driver in {}",
        dri.display()
    );
    Ok((bin, dri))
}

/// The guest script recording every sample into `out`; each exit code into `NAME.exit`.
fn record_script(out: &Path, bin: &Path, dri: &Path, clip: &Path) -> String {
    let vt = bin.join("vatrace");
    let (o, b, d, c, vt) = (
        out.display(),
        bin.display(),
        dri.display(),
        clip.display(),
        vt.display(),
    );
    let cmds = [
        (
            "gst-v4l2slh264dec",
            format!(
                "gst-launch-1.0 -q filesrc location={c} ! h264parse ! v4l2slh264dec ! video/x-raw,format=NV12 ! fakesink"
            ),
        ),
        (
            "ffmpeg-vaapi",
            format!(
                "env LIBVA_DRIVERS_PATH={d} LIBVA_DRIVER_NAME=v4l2_request ffmpeg -nostdin -loglevel error \
                 -hwaccel vaapi -hwaccel_output_format vaapi -vaapi_device /dev/dri/renderD128 -i {c} \
                 -vf hwdownload,format=nv12 -f null -"
            ),
        ),
        ("probe-ebusy", format!("{b}/probe-ebusy")),
        ("request-leak", format!("{b}/request-leak")),
        ("request-leak-fixed", format!("{b}/request-leak --fixed")),
    ];
    cmds.iter()
        .map(|(name, cmd)| {
            format!("{vt} record -o {o}/{name}.trace -- {cmd} > {o}/{name}.log 2>&1; echo $? > {o}/{name}.exit\n")
        })
        .collect()
}

/// What a trace holds, from `vatrace dump --json`: the recorded command's exit code, the
/// bitstream bytes captured, the lost events, and the bytes its successful OUTPUT QBUFs declared
/// (`bytesused` of every plane on entry: a request-bound QBUF's exit side still shows the
/// buffer's previous state).
struct Summary {
    exit: Option<i64>,
    bitstream: u64,
    lost: u64,
    queued: u64,
}

/// The unsigned numbers following each `"key":` in `json`.
fn numbers(json: &str, key: &str) -> Vec<u64> {
    let pat = format!("\"{key}\":");
    json.match_indices(&pat)
        .filter_map(|(i, _)| {
            let rest = json[i + pat.len()..].trim_start();
            rest[..rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len())]
                .parse()
                .ok()
        })
        .collect()
}

fn summarize(vatrace: &Path, trace: &Path) -> Result<Summary> {
    let out = Command::new(vatrace)
        .args(["dump", "--json"])
        .arg(trace)
        .output()
        .context("running vatrace dump")?;
    ensure!(
        out.status.success(),
        "vatrace dump {}: {}",
        trace.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut s = Summary {
        exit: None,
        bitstream: 0,
        lost: 0,
        queued: 0,
    };
    for line in text.lines() {
        if line.contains("\"kind\":\"Bitstream\"") {
            s.bitstream += numbers(line, "l").first().copied().unwrap_or(0);
        } else if line.contains("\"kind\":\"End\"") {
            s.exit = numbers(line, "exit_code").first().map(|&c| c as i64);
            s.lost = numbers(line, "lost")
                .first()
                .copied()
                .context("no lost-event total in the End record")?;
        } else if line.contains("\"name\":\"VIDIOC_QBUF\"") && line.contains("\"ret\":0,") {
            // The entry side: from `"before":` to the next top-level key.
            let Some(b) = line.find("\"before\":") else {
                continue;
            };
            let before = &line[b..line[b..].find(",\"fd\":").map_or(line.len(), |e| b + e)];
            // OUTPUT (2) or OUTPUT_MPLANE (10): the buffer's `type` closes the struct.
            if before.ends_with("\"type\":10}}") || before.ends_with("\"type\":2}}") {
                s.queued += numbers(before, "bytesused").iter().sum::<u64>();
            }
        }
    }
    Ok(s)
}

/// `cargo xtask samples`: build, record in the test-bed, check, replace `traces/samples/`.
/// With `recorded`, only checks the recordings already in that folder and installs them.
pub fn regenerate(recorded: Option<PathBuf>) -> Result<ExitCode> {
    let (bin, out) = match recorded {
        Some(dir) => (target_dir().join("debug"), dir),
        None => {
            let (bin, dri) = build()?;
            let out = testbed::paths::repo_root().join("target/samples-new");
            record(&out, &bin, &dri)?;
            (bin, out)
        }
    };
    check(&bin.join("vatrace"), &out)?;
    let dir = samples_dir();
    std::fs::create_dir_all(&dir)?;
    for s in &SAMPLES {
        let name = format!("{}.trace", s.name);
        std::fs::copy(out.join(&name), dir.join(&name))
            .with_context(|| format!("copying {name}"))?;
        // `vatrace record` writes 0600; the samples are for everyone to read.
        std::fs::set_permissions(
            dir.join(&name),
            std::os::unix::fs::PermissionsExt::from_mode(0o644),
        )?;
    }
    eprintln!(
        "samples: {} traces written to {}",
        SAMPLES.len(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Records every sample into `out` (emptied first) in one test-bed run; each recording's exit
/// code goes to `out/NAME.exit`.
fn record(out: &Path, bin: &Path, dri: &Path) -> Result<()> {
    let clip = testbed::clips::Clip::small(testbed::clips::Codec::H264).generate()?;
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out)?;
    let script = record_script(out, bin, dri, &clip);
    let opts = testbed::RunOptions {
        timeout: Duration::from_secs(900),
        echo: true,
        ..Default::default()
    };
    let run = testbed::run_sh(&script, &opts)?;
    ensure!(run.exit_code().is_some(), "{}", run.explain());
    Ok(())
}

/// Checks the recordings in `out`: each command's exit code, no lost events, and each decode's
/// bitstream fully captured.
fn check(vatrace: &Path, out: &Path) -> Result<()> {
    let mut problems = Vec::new();
    for s in &SAMPLES {
        let trace = out.join(format!("{}.trace", s.name));
        let code =
            std::fs::read_to_string(out.join(format!("{}.exit", s.name))).unwrap_or_default();
        if code.trim() != s.exit.to_string() {
            let log =
                std::fs::read_to_string(out.join(format!("{}.log", s.name))).unwrap_or_default();
            problems.push(format!(
                "{}: the recording exited {:?}, want {}:\n{log}",
                s.name,
                code.trim(),
                s.exit
            ));
            continue;
        }
        let sum = summarize(vatrace, &trace)?;
        eprintln!(
            "samples: {:<20} exit {:?}, {} bitstream bytes (OUTPUT QBUFs queued {}), {} events lost",
            s.name, sum.exit, sum.bitstream, sum.queued, sum.lost
        );
        if sum.exit != Some(s.exit) {
            problems.push(format!(
                "{}: the trace ends with exit {:?}, want {}",
                s.name, sum.exit, s.exit
            ));
        }
        if sum.lost != 0 {
            problems.push(format!("{}: {} events lost", s.name, sum.lost));
        }
        if s.decode && (sum.bitstream == 0 || sum.bitstream != sum.queued) {
            problems.push(format!(
                "{}: {} bitstream bytes in the trace, but the OUTPUT QBUFs queued {}",
                s.name, sum.bitstream, sum.queued
            ));
        }
    }
    if !problems.is_empty() {
        bail!("traces/samples/ left unchanged:\n{}", problems.join("\n"));
    }
    Ok(())
}

/// `cargo xtask samples --bench`: each decode sample replayed `runs` times with `--pace fast`
/// (release build) in one test-bed run; prints per run the recorded span, the whole process's
/// wall time (what a user waits for) and its parts from the report (pre-pass, devices, replay).
pub fn bench(runs: u32) -> Result<ExitCode> {
    run_checked(
        cargo().args([
            "build",
            "--release",
            "-p",
            "replay",
            "--bin",
            "vatrace-replay",
        ]),
        "cargo build --release -p replay --bin vatrace-replay",
    )?;
    let rp = target_dir().join("release/vatrace-replay");
    let out = testbed::paths::repo_root().join("target/samples-bench");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out)?;
    let decodes: Vec<&str> = SAMPLES
        .iter()
        .filter(|s| s.decode)
        .map(|s| s.name)
        .collect();
    // The binary runs from the guest's tmpfs: run from the 9p share, every page of it is faulted
    // in over virtio (100-300 ms per start under TCG), a test-bed artefact a local disk does not
    // have. Times are bash's $EPOCHREALTIME (no process of its own) around each command.
    let script = format!(
        "cp {rp} /tmp/vatrace-replay; R=/tmp/vatrace-replay
         for i in 1 2 3; do s=$EPOCHREALTIME; /bin/true; e=$EPOCHREALTIME; echo \"floor $s $e\"; done
         for i in 1 2 3; do s=$EPOCHREALTIME; $R --help > /dev/null; e=$EPOCHREALTIME; echo \"startup $s $e\"; done
         for t in {names}; do for i in $(seq {runs}); do
           s=$EPOCHREALTIME; $R --quiet --report {o}/$t-$i.json {dir}/$t.trace > {o}/$t-$i.txt 2>&1; rc=$?; e=$EPOCHREALTIME
           echo \"bench $t $i $rc $s $e\"
         done; done",
        names = decodes.join(" "),
        rp = rp.display(),
        o = out.display(),
        dir = samples_dir().display(),
    );
    let opts = testbed::RunOptions {
        timeout: Duration::from_secs(900),
        ..Default::default()
    };
    let run = testbed::run(&["/bin/bash", "-c", &script], &opts)?;
    ensure!(run.exit_code().is_some(), "{}", run.explain());
    // "S E" (two $EPOCHREALTIME values) to nanoseconds.
    let span = |se: &str| -> u64 {
        let t: Vec<f64> = se
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        match t[..] {
            [s, e] => ((e - s) * 1e9) as u64,
            _ => u64::MAX,
        }
    };
    let ms = |ns: u64| ns as f64 / 1e6;
    println!(
        "{:<20} {:>3} {:>10} {:>10} {:>6} {:>9} {:>9} {:>9} {:>9}",
        "sample",
        "run",
        "recorded",
        "process",
        "speed",
        "pre-pass",
        "devices",
        "replay",
        "peak RSS"
    );
    let mut speeds: Vec<(String, f64)> = Vec::new();
    let stdout = run.stdout_str();
    let times = |tag: &str| -> String {
        let v: Vec<String> = stdout
            .lines()
            .filter_map(|l| l.strip_prefix(tag))
            .map(|se| format!("{:.0} ms", ms(span(se))))
            .collect();
        v.join(", ")
    };
    println!("/bin/true measured the same way: {}", times("floor "));
    println!(
        "vatrace-replay --help (start and exit alone): {}",
        times("startup ")
    );
    for line in stdout.lines().filter_map(|l| l.strip_prefix("bench ")) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [name, i, rc, s, e] = f[..] else { continue };
        let json =
            std::fs::read_to_string(out.join(format!("{name}-{i}.json"))).unwrap_or_default();
        let get = |k: &str| numbers(&json, k).first().copied().unwrap_or(0);
        ensure!(
            rc == "0",
            "{name} run {i}: replay exited {rc}:\n{}",
            std::fs::read_to_string(out.join(format!("{name}-{i}.txt"))).unwrap_or_default()
        );
        let wall = span(&format!("{s} {e}"));
        let speed = get("recorded_ns") as f64 / wall as f64;
        speeds.push((name.to_string(), speed));
        let phases: Vec<String> = [
            "read",
            "issue",
            "wait",
            "verdict",
            "pool",
            "bookkeeping",
            "checksum",
        ]
        .iter()
        .map(|p| format!("{p} {:.0}", ms(get(p))))
        .collect();
        println!(
            "{name:<20} {i:>3} {:>8.0}ms {:>8.0}ms {speed:>5.1}x {:>7.1}ms {:>7.1}ms {:>7.1}ms {:>6}KiB  ({} ms)",
            ms(get("recorded_ns")),
            ms(wall),
            ms(get("prepass_ns")),
            ms(get("devices_ns")),
            ms(get("replay_ns")),
            get("peak_rss_kib"),
            phases.join(", ")
        );
    }
    for name in &decodes {
        let mut v: Vec<f64> = speeds
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, s)| *s)
            .collect();
        v.sort_by(f64::total_cmp);
        if let (Some(lo), Some(hi)) = (v.first(), v.last()) {
            println!(
                "{name}: {lo:.1}x to {hi:.1}x faster than recorded, median {:.1}x (goal: 5x)",
                v[v.len() / 2]
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
