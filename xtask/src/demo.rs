//! `cargo xtask demo`: the main job, run in the test-bed: generate an H.264 clip, decode it
//! with GStreamer's request-API client through visl, and show what visl received.

use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{bail, Context, Result};

/// Runs the demo and returns the guest command's exit code.
pub fn run() -> Result<ExitCode> {
    let repo = testbed::paths::repo_root();
    let dir = repo.join("target/demo");
    std::fs::create_dir_all(&dir)?;
    let clip = dir.join("clip.h264");
    eprintln!("demo: generating {} (320x240, 30 frames, B-frames) with ffmpeg", clip.display());
    let ok = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-frames:v", "30"])
        .args(["-c:v", "libx264", "-profile:v", "high", "-bf", "2", "-pix_fmt", "yuv420p"])
        .arg(&clip)
        .status()
        .context("running ffmpeg (run `cargo xtask setup`)")?
        .success();
    if !ok {
        bail!("ffmpeg could not generate the clip");
    }
    let opts = testbed::RunOptions { timeout: Duration::from_secs(600), echo: true, ..Default::default() };
    let out = testbed::run(&["/bin/sh", "testbed/demo.sh", clip.to_str().unwrap_or_default()], &opts)?;
    if let Some(c) = out.exit_code() {
        return Ok(ExitCode::from(u8::try_from(c).unwrap_or(1)));
    }
    bail!("{}", out.explain())
}
