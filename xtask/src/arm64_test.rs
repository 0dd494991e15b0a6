//! `cargo xtask test --arch arm64`: the arm64 build (`build --target aarch64`, checked), both
//! test-bed kernels (x86_64 replays the arm64 trace) and the arm64 Debian root, then the
//! `#[ignore]`d arm64 test-bed tests: `tracer/tests/arm64_testbed.rs` (record on arm64 equal to
//! strace and visl's ftrace, replay on x86_64) and `driver/tests/arm64_testbed.rs` (ffmpeg VA-API
//! through the arm64 driver). Not part of `cargo xtask test` nor `.ci/run`: arm64 TCG is slow.

use std::process::ExitCode;

use anyhow::Result;

use crate::{build, build_kernel_for, cargo_status, setup};

/// The arm64 test binaries, as (package, test target).
const TESTS: &[(&str, &str)] = &[
    ("tracer", "arm64_testbed"),
    ("v4l2-request-driver", "arm64_testbed"),
];

/// Runs the arm64 chain; `setup_first` installs what it needs (`setup` and its arm64 steps).
/// `args` go to every `cargo test` after `--ignored`.
pub fn run(setup_first: bool, args: &[String]) -> Result<ExitCode> {
    if setup_first {
        setup::run(false)?;
        setup::arm64_testbed(false)?;
    }
    build::aarch64(false, build::Profile::Release)?;
    build_kernel_for(testbed::Arch::X86_64, false, None)?;
    build_kernel_for(testbed::Arch::Aarch64, false, None)?;
    let extra: Vec<String> = std::iter::once("--ignored".to_string())
        .chain(args.iter().cloned())
        .collect();
    let mut worst = ExitCode::SUCCESS;
    for (package, test) in TESTS {
        let code = cargo_status(&["test", "-p", package, "--test", test], &extra)?;
        if code != ExitCode::SUCCESS {
            worst = code;
        }
    }
    Ok(worst)
}
