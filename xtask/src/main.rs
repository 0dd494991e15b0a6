//! `cargo xtask`: the project's automation.
//!
//! - `setup`: installs everything a fresh Debian machine lacks (apt packages, the nightly's
//!   rust-src, bpf-linker built against the nightly's own LLVM, the 6.12 uapi headers v4l2r needs);
//!   `setup --arm64` adds the cross toolchain and what the arm64 test-bed needs.
//! - `testbed build` / `testbed run`: the QEMU test-bed with a real 6.12 kernel (see the `testbed` crate);
//!   `--arch arm64`: the arm64 one (`qemu-system-aarch64 -M virt`, a Debian arm64 root).
//! - `test`: setup + test-bed kernel + every test of the workspace (what `.ci/run` runs).
//! - `demo`: setup + test-bed kernel + the main job in the test-bed: mpv through the libva driver
//!   recorded, summarised, replayed; the request-leak reproducer recorded and replayed; the TUI's
//!   screen; `vatrace check` on both traces.
//! - `build --target aarch64`: release builds for arm64 (vatrace, the driver, the test clients),
//!   checked: ELF machine, the eBPF object's syscall table, and under qemu-user (see build.rs).
//! - `uapi [--check]`: regenerates (or checks) `uapi/src/generated.rs` from the uapi headers.
//! - `test --arch arm64`: the arm64 build, the arm64 test-bed (kernel, Debian root) and the
//!   `#[ignore]`d arm64 test-bed tests (see arm64_test.rs); not part of `.ci/run`.
//! - `samples`: regenerates `traces/samples/` (all recorded with `vatrace record` in the test-bed);
//!   `samples --bench`: replay speed of its decode samples.

mod arm64_test;
mod build;
mod demo;
mod samples;
mod setup;
mod syscall_table;
mod uapi;

use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "vatrace project automation")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Install what this machine lacks (idempotent; prints each step).
    Setup {
        /// Only report what is missing; change nothing.
        #[arg(long)]
        check: bool,
        /// Also the optional arm64 step: cross toolchain and what the arm64 test-bed needs.
        #[arg(long)]
        arm64: bool,
    },
    /// The QEMU test-bed with a real 6.12 kernel (visl, vicodec, vim2m, vgem).
    Testbed {
        #[command(subcommand)]
        cmd: TestbedCmd,
    },
    /// Set up, build the test-bed kernel, run every test of the workspace, and check the arm64 build.
    Test {
        /// Skip `setup` (when you know the machine is ready).
        #[arg(long)]
        no_setup: bool,
        /// `arm64`: instead, the arm64 build and the arm64 test-bed's tests (xtask/src/arm64_test.rs).
        #[arg(long, default_value = "x86_64")]
        arch: testbed::Arch,
        /// Extra arguments passed to `cargo test` (after `--`).
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Regenerate traces/samples/ with `vatrace record` in the test-bed (see xtask/src/samples.rs).
    Samples {
        /// Only check and install the recordings already in this folder (no build, no test-bed).
        #[arg(long, value_name = "DIR")]
        recorded: Option<std::path::PathBuf>,
        /// Instead: replay speed of the decode samples (`--pace fast`, release) against their recorded time.
        #[arg(long)]
        bench: bool,
        /// Replays per sample for --bench.
        #[arg(long, default_value_t = 3)]
        runs: u32,
    },
    /// Release builds for another architecture, checked (see xtask/src/build.rs).
    Build {
        /// The architecture: only `aarch64` (arm64 boards) so far.
        #[arg(long, value_enum)]
        target: BuildTarget,
        /// Skip `setup` and its arm64 step (fails if the cross toolchain is incomplete).
        #[arg(long)]
        no_setup: bool,
        /// A debug build instead of release (quicker; what `cargo xtask test` checks).
        #[arg(long)]
        debug: bool,
    },
    /// Regenerate uapi/src/generated.rs from the kernel's uapi headers (see xtask/src/uapi.rs).
    Uapi {
        /// Only check that the committed file is what the generator writes (fails if stale).
        #[arg(long)]
        check: bool,
    },
    /// Set up, build the test-bed kernel, and run the main job in the test-bed (record, summary,
    /// replay, the request-leak reproducer, the TUI's screen).
    Demo {
        /// Skip `setup`.
        #[arg(long)]
        no_setup: bool,
    },
}

/// `cargo xtask test`'s arm64 step: the arm64 setup unless `no_setup`, then the checked debug
/// build; a failure is reported and fails the run after everything else ran.
fn arm64_gate(no_setup: bool) -> ExitCode {
    let result = (|| {
        if !no_setup {
            setup::arm64(false)?;
        }
        build::aarch64(false, build::Profile::Debug)
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: the arm64 build failed: {e:#}");
            ExitCode::from(1)
        }
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum BuildTarget {
    /// aarch64-unknown-linux-gnu (arm64 boards: RK3568, RK3399, RK3588, Allwinner).
    Aarch64,
}

#[derive(Subcommand)]
enum TestbedCmd {
    /// Build (or find in the cache) the test-bed kernel.
    Build {
        /// Rebuild even if a cached kernel exists.
        #[arg(long)]
        force: bool,
        /// Parallel make jobs (default: number of CPUs).
        #[arg(long, short)]
        jobs: Option<usize>,
        /// The guest architecture: x86_64 or arm64 (arm64 also builds its Debian root).
        #[arg(long, default_value = "x86_64")]
        arch: testbed::Arch,
    },
    /// Boot the test-bed and run CMD in it (repository as working directory); exits with CMD's code.
    Run {
        /// Kill the guest after this many seconds (exit code 124).
        #[arg(long, default_value_t = 600)]
        timeout: u64,
        /// Extra kernel command-line arguments, e.g. "visl.visl_transtime_ms=5".
        #[arg(long)]
        append: Vec<String>,
        /// Virtual CPUs.
        #[arg(long, default_value_t = 2)]
        smp: u32,
        /// Guest memory in MiB.
        #[arg(long, default_value_t = 2048)]
        memory: u32,
        /// Environment for CMD, as NAME=VALUE (repeatable).
        #[arg(long = "env", short = 'e')]
        env: Vec<String>,
        /// Fail instead of building the kernel when it is not built yet.
        #[arg(long)]
        no_build: bool,
        /// The guest architecture: x86_64 or arm64 (`qemu-system-aarch64 -M virt`, Debian arm64 root).
        #[arg(long, default_value = "x86_64")]
        arch: testbed::Arch,
        /// The command and its arguments.
        #[arg(last = true, required = true)]
        cmd: Vec<String>,
    },
    /// Print the cached kernel's path (exit 1 if it is not built).
    Path {
        /// The guest architecture: x86_64 or arm64.
        #[arg(long, default_value = "x86_64")]
        arch: testbed::Arch,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn real_main(cli: Cli) -> Result<ExitCode> {
    match cli.cmd {
        Cmd::Setup { check, arm64 } => {
            let mut missing = setup::run(check)?;
            if arm64 {
                missing += setup::arm64_testbed(check)?;
            }
            if check && missing > 0 {
                return Ok(ExitCode::from(1));
            }
        }
        Cmd::Testbed { cmd } => return testbed_cmd(cmd),
        Cmd::Test {
            no_setup,
            arch: testbed::Arch::Aarch64,
            args,
        } => return arm64_test::run(!no_setup, &args),
        Cmd::Test { no_setup, args, .. } => {
            if !no_setup {
                setup::run(false)?;
            }
            build_kernel(false, None)?;
            // The house rules are gates: the generated uapi up to date, formatting and clippy
            // (with the workspace lints) first.
            let generated = match uapi::run(true) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("xtask: {e:#}");
                    ExitCode::from(1)
                }
            };
            let fmt = cargo_status(&["fmt", "--all", "--check"], &[])?;
            let clippy = cargo_status(
                &["clippy", "--workspace", "--all-targets"],
                &["-D".into(), "warnings".into()],
            )?;
            // The driver's test-only features compile test code no workspace build sees.
            let clippy_features = cargo_status(
                &[
                    "clippy",
                    "-p",
                    "v4l2-request-driver",
                    "--all-targets",
                    "--features",
                    "fault-injection,test-corrupt",
                ],
                &["-D".into(), "warnings".into()],
            )?;
            cargo(&["build", "--workspace", "--all-targets"], &[])?;
            let all = cargo_status(&["test", "--workspace", "--no-fail-fast"], &args)?;
            // The driver's fault-injection test needs the driver built with its test-only
            // feature, which no other build may have: run it on its own, after everything else.
            let only_faults: Vec<String> = std::iter::once("fault_injection".to_string())
                .chain(args.iter().cloned())
                .collect();
            let faults = cargo_status(&FAULT_INJECTION_TEST, &only_faults)?;
            // Likewise `vatrace diff`'s corrupted-field test (the driver built with `test-corrupt`).
            let only_corrupt: Vec<String> =
                std::iter::once("a_corrupted_field_is_reported_alone".to_string())
                    .chain(args.iter().cloned())
                    .collect();
            let corrupt = cargo_status(&CORRUPT_FIELD_TEST, &only_corrupt)?;
            // The users' architecture: every change must still build for arm64 (a debug build,
            // checked: ELF machine, the eBPF object's arm64 syscall numbers, `vatrace dump`
            // under qemu-user equal to the host's). The arm64 test-bed tests are
            // `cargo xtask test --arch arm64` (they do not fit CI's time).
            let arm64 = arm64_gate(no_setup);
            if fmt != ExitCode::SUCCESS {
                eprintln!("xtask: `cargo fmt --all --check` found unformatted code: run `cargo fmt --all`");
            }
            if clippy != ExitCode::SUCCESS || clippy_features != ExitCode::SUCCESS {
                eprintln!("xtask: clippy found warnings (denied): see its output above");
            }
            let worst = [
                generated,
                fmt,
                clippy,
                clippy_features,
                all,
                faults,
                corrupt,
                arm64,
            ]
            .into_iter()
            .find(|c| *c != ExitCode::SUCCESS);
            return Ok(worst.unwrap_or(ExitCode::SUCCESS));
        }
        Cmd::Build {
            target: BuildTarget::Aarch64,
            no_setup,
            debug,
        } => build::aarch64(
            !no_setup,
            if debug {
                build::Profile::Debug
            } else {
                build::Profile::Release
            },
        )?,
        Cmd::Samples {
            bench: true, runs, ..
        } => return samples::bench(runs),
        Cmd::Samples { recorded, .. } => return samples::regenerate(recorded),
        Cmd::Uapi { check } => uapi::run(check)?,
        Cmd::Demo { no_setup } => {
            if !no_setup {
                setup::run(false)?;
            }
            build_kernel(false, None)?;
            return demo::run();
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn build_kernel(force: bool, jobs: Option<usize>) -> Result<std::path::PathBuf> {
    build_kernel_for(testbed::Arch::X86_64, force, jobs)
}

/// Builds (or finds) `arch`'s test-bed kernel; for arm64 its Debian root as well.
fn build_kernel_for(
    arch: testbed::Arch,
    force: bool,
    jobs: Option<usize>,
) -> Result<std::path::PathBuf> {
    let mut opts = testbed::kernel::BuildOptions {
        force,
        ..Default::default()
    };
    if let Some(j) = jobs {
        opts.jobs = j;
    }
    let mut say = |line: &str| eprintln!("testbed: {line}");
    if arch == testbed::Arch::Aarch64 {
        // First: a minute, where the kernel takes many.
        let root = testbed::userland::build_root(false, &mut say)?;
        say(&format!("arm64 Debian root: {}", root.display()));
    }
    testbed::build_kernel_for(arch, &opts, &mut say)
}

fn testbed_cmd(cmd: TestbedCmd) -> Result<ExitCode> {
    match cmd {
        TestbedCmd::Build { force, jobs, arch } => {
            let image = build_kernel_for(arch, force, jobs)?;
            println!("{}", image.display());
        }
        TestbedCmd::Path { arch } => match testbed::cached_kernel_for(arch)? {
            Some(p) => println!("{}", p.display()),
            None => {
                eprintln!(
                    "the {arch} test-bed kernel ({}) is not built: run `cargo xtask testbed build --arch {arch}`",
                    testbed::KernelKey::for_arch(arch)?.bzimage().display()
                );
                return Ok(ExitCode::from(1));
            }
        },
        TestbedCmd::Run {
            timeout,
            append,
            smp,
            memory,
            env,
            no_build,
            arch,
            cmd,
        } => {
            let mut opts = testbed::RunOptions {
                timeout: Duration::from_secs(timeout),
                append,
                smp,
                memory_mib: memory,
                echo: true,
                build_if_missing: !no_build,
                arch,
                ..Default::default()
            };
            for kv in env {
                let Some((k, v)) = kv.split_once('=') else {
                    bail!("--env takes NAME=VALUE, got {kv:?}")
                };
                opts.env.push((k.to_string(), v.to_string()));
            }
            let out = testbed::run(&cmd, &opts)?;
            return Ok(match out.outcome {
                testbed::Outcome::Exited(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
                testbed::Outcome::TimedOut => {
                    eprintln!("xtask: {}", out.explain());
                    ExitCode::from(124)
                }
                testbed::Outcome::NoExitCode => {
                    eprintln!("xtask: {}", out.explain());
                    ExitCode::from(125)
                }
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `cargo ARGS -- EXTRA` in the repository, failing on a non-zero exit.
fn cargo(args: &[&str], extra: &[String]) -> Result<()> {
    let code = cargo_status(args, extra)?;
    if code != ExitCode::SUCCESS {
        bail!("cargo {} failed", args.join(" "));
    }
    Ok(())
}

/// `cargo test` arguments of the driver's fault-injection test (see driver/README.md).
const FAULT_INJECTION_TEST: [&str; 7] = [
    "test",
    "-p",
    "v4l2-request-driver",
    "--features",
    "fault-injection",
    "--test",
    "testbed",
];

/// `cargo test` arguments of `vatrace diff`'s corrupted-field test (driver/tests/diff_testbed.rs).
const CORRUPT_FIELD_TEST: [&str; 7] = [
    "test",
    "-p",
    "v4l2-request-driver",
    "--features",
    "test-corrupt",
    "--test",
    "diff_testbed",
];

/// Runs `cargo ARGS -- EXTRA` in the repository and returns its exit code.
fn cargo_status(args: &[&str], extra: &[String]) -> Result<ExitCode> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!(
        "xtask: cargo {} {}",
        args.join(" "),
        if extra.is_empty() {
            String::new()
        } else {
            format!("-- {}", extra.join(" "))
        }
    );
    let mut c = Command::new(cargo);
    c.args(args).current_dir(testbed::paths::repo_root());
    if !extra.is_empty() {
        c.arg("--").args(extra);
    }
    let status = c.status().context("running cargo")?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
        None => ExitCode::from(1),
    })
}
