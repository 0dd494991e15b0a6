//! `cargo xtask demo`: vatrace's main job as a user meets it, in one test-bed run.
//!
//! On the host it builds what the demo runs (`vatrace` with its eBPF object, the pool-bug
//! reproducer `request-leak`, the libva driver through `driver/install.sh`) and generates an H.264
//! clip; in the test-bed `testbed/demo.sh` plays the clip with mpv through the driver under
//! `vatrace record`, summarises and replays the trace, records and replays `request-leak`
//! (showing the leak) and prints the TUI's screen as text, one line per step.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use testbed::clips::{Clip, Codec};

/// What the guest script needs, all inside the folders the test-bed shares.
struct Built {
    vatrace: PathBuf,
    request_leak: PathBuf,
    dri: PathBuf,
}

fn run_checked(c: &mut Command, what: &str) -> Result<()> {
    eprintln!("demo: {what}");
    let st = c
        .current_dir(testbed::paths::repo_root())
        .status()
        .with_context(|| format!("running {what}"))?;
    ensure!(st.success(), "{what} failed ({st})");
    Ok(())
}

/// Builds the debug binaries and the driver into the cargo target folder.
fn build(target: &Path) -> Result<Built> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run_checked(
        Command::new(&cargo).args([
            "build",
            "-p",
            "tracer",
            "--bin",
            "vatrace",
            "-p",
            "clients",
            "--bin",
            "request-leak",
        ]),
        "cargo build -p tracer --bin vatrace -p clients --bin request-leak",
    )?;
    // install.sh finds the target folder through CARGO_TARGET_DIR: name the one xtask uses.
    run_checked(
        Command::new("sh")
            .args(["driver/install.sh", "--debug"])
            .env("CARGO_TARGET_DIR", target),
        "driver/install.sh --debug",
    )?;
    let bin = target.join("debug");
    let built = Built {
        vatrace: bin.join("vatrace"),
        request_leak: bin.join("request-leak"),
        dri: target.join("dri"),
    };
    for f in [
        &built.vatrace,
        &built.request_leak,
        &built.dri.join("v4l2_request_drv_video.so"),
    ] {
        ensure!(f.exists(), "{} was not built", f.display());
    }
    Ok(built)
}

/// Builds, runs the demo in the test-bed and returns its exit code.
pub fn run() -> Result<ExitCode> {
    let started = Instant::now();
    let target = testbed::paths::target_dir();
    let built = build(&target)?;
    let clip = Clip::small(Codec::H264);
    eprintln!(
        "demo: generating the clip ({}x{}, {} frames, B-frames) with ffmpeg",
        clip.width, clip.height, clip.frames
    );
    let clip_path = clip.generate()?;
    let out = target.join("demo");
    let s = |p: &Path| p.display().to_string();
    let opts = testbed::RunOptions {
        timeout: Duration::from_secs(600),
        echo: true,
        env: vec![
            ("VATRACE".into(), s(&built.vatrace)),
            ("REQUEST_LEAK".into(), s(&built.request_leak)),
            ("DRI".into(), s(&built.dri)),
            ("CLIP".into(), s(&clip_path)),
            ("OUT".into(), s(&out)),
        ],
        ..Default::default()
    };
    eprintln!(
        "demo: booting the test-bed ({:.0} s of building and preparing so far)",
        started.elapsed().as_secs_f64()
    );
    let run = testbed::run(&["/bin/sh", "testbed/demo.sh"], &opts)?;
    eprintln!(
        "demo: test-bed run {:.0} s, whole demo {:.0} s",
        run.elapsed.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    match run.exit_code() {
        Some(0) => Ok(ExitCode::SUCCESS),
        Some(c) => {
            eprintln!("demo: a step failed (exit {c}): see its line above");
            Ok(ExitCode::from(u8::try_from(c).unwrap_or(1)))
        }
        None => bail!("{}", run.explain()),
    }
}
