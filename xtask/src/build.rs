//! `cargo xtask build --target aarch64 [--debug]`: builds for arm64 boards (release by default;
//! `cargo xtask test` runs the quicker debug build as its arm64 gate) of `vatrace` (its eBPF
//! object built for the arm64 `pt_regs` and syscall numbers), the libva driver `.so` and the test
//! clients (`clients/src/bin`), then checks of what came out:
//!
//! - every output is an ELF for EM_AARCH64;
//! - the eBPF object embedded in `vatrace` compares syscall numbers against the arm64 table of
//!   `tracer-ebpf/src/syscalls.rs` (its `jeq` immediates, read with `llvm-objdump`);
//! - under `qemu-aarch64-static`, `vatrace --help` runs and `vatrace dump` of a committed sample
//!   prints exactly what the host's `vatrace dump` prints.
//!
//! Loading the eBPF programs is not possible under qemu-user (it does not emulate `bpf(2)`): that
//! needs an arm64 kernel (the arm64 test-bed of issue 20).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};

use crate::setup::{self, ARM64_TARGET};
use crate::syscall_table;

/// The binaries of the arm64 build, as (package, `cargo build` selector, output file).
const OUTPUTS: &[(&str, &str, &str)] = &[
    ("tracer", "--bin=vatrace", "vatrace"),
    ("tracer", "--bin=v4l2-ioctl-probe", "v4l2-ioctl-probe"),
    ("v4l2-request-driver", "--lib", "libv4l2_request.so"),
    ("replay", "--bin=vatrace-replay", "vatrace-replay"),
    ("clients", "--bin=request-leak", "request-leak"),
    ("clients", "--bin=probe-ebusy", "probe-ebusy"),
];

/// The committed sample whose `dump` must be the same on both architectures.
const DUMP_SAMPLE: &str = "traces/samples/request-leak.trace";

/// Where Debian's libc6-dev-arm64-cross puts the arm64 libraries (qemu's `-L`).
const ARM64_SYSROOT: &str = "/usr/aarch64-linux-gnu";

/// The cargo profile of an arm64 build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// `--release`: what runs on the boards and in the arm64 test-bed.
    Release,
    /// cargo's dev profile: the same code compiled and linked for arm64 in a fraction of the
    /// time (the gate `cargo xtask test` runs on every change).
    Debug,
}

impl Profile {
    /// The folder under `target/aarch64-unknown-linux-gnu/`.
    fn dir(self) -> &'static str {
        match self {
            Profile::Release => "release",
            Profile::Debug => "debug",
        }
    }
}

/// Builds for aarch64 and checks the result (see the module doc). `setup_first` runs both the
/// usual setup and its arm64 step.
pub fn aarch64(setup_first: bool, profile: Profile) -> Result<()> {
    if setup_first {
        setup::run(false)?;
        setup::arm64(false)?;
    } else if setup::arm64(true)? > 0 {
        bail!("the arm64 cross toolchain is incomplete: run `cargo xtask build --target aarch64` without --no-setup");
    }
    let root = testbed::paths::repo_root();
    let start = Instant::now();
    cargo_build(&root, profile)?;
    say(&format!(
        "built ({}) in {:.0} s",
        profile.dir(),
        start.elapsed().as_secs_f64()
    ));

    let out_dir = root.join("target").join(ARM64_TARGET).join(profile.dir());
    for (_, _, file) in OUTPUTS {
        let path = out_dir.join(file);
        check_aarch64_elf(&path)?;
        say(&format!("{}: ELF for aarch64", path.display()));
    }
    let object = ebpf_object(&out_dir)?;
    check_ebpf_arch(&object, &root)?;
    check_under_qemu(&root, &out_dir.join("vatrace"))?;
    say("arm64 build ready");
    Ok(())
}

fn say(msg: &str) {
    eprintln!("build: {msg}");
}

/// `cargo build [--release] --target aarch64-unknown-linux-gnu` of every output: with the stable
/// toolchain's prebuilt std when rustup could add it, else the nightly building std itself.
fn cargo_build(root: &Path, profile: Profile) -> Result<()> {
    // One cargo run per library (`--lib` applies to every `-p` given) and one for every binary
    // (`--bin=NAME` selectors, which cargo finds across the `-p` packages).
    let (libs, bins): (Vec<_>, Vec<_>) = OUTPUTS.iter().partition(|(_, sel, _)| *sel == "--lib");
    for group in [libs, bins] {
        let mut cmd = Command::new("cargo");
        if !setup::stable_has_arm64_std() {
            say("no prebuilt std for aarch64: using the nightly with -Z build-std");
            cmd.args(["+nightly", "build", "-Z", "build-std=std,panic_unwind"]);
        } else {
            cmd.arg("build");
        }
        if profile == Profile::Release {
            cmd.arg("--release");
        }
        cmd.args(["--target", ARM64_TARGET]);
        let packages: BTreeSet<&str> = group.iter().map(|(p, _, _)| *p).collect();
        for package in packages {
            cmd.args(["-p", package]);
        }
        let selectors: BTreeSet<&str> = group.iter().map(|(_, sel, _)| *sel).collect();
        cmd.args(selectors);
        // The linker comes from .cargo/config.toml. bindgen (v4l2r, the driver) passes clang
        // --target=aarch64-unknown-linux-gnu, which finds the cross glibc headers of
        // libc6-dev-arm64-cross by itself, then /usr/include/aarch64-linux-gnu and /usr/include
        // (libva's headers). No --sysroot: it would hide /usr/include/va.
        cmd.current_dir(root);
        say(&format!("running {cmd:?}"));
        let status = cmd.status().context("running cargo")?;
        ensure!(status.success(), "the aarch64 build failed ({status})");
    }
    Ok(())
}

/// EM_AARCH64 in an ELF header's `e_machine`.
const EM_AARCH64: u16 = 183;

/// Fails unless `path` is a 64-bit little-endian ELF for aarch64.
fn check_aarch64_elf(path: &Path) -> Result<()> {
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    ensure!(
        bytes.len() > 20 && bytes.starts_with(b"\x7fELF"),
        "{} is not an ELF file",
        path.display()
    );
    ensure!(
        bytes[4] == 2 && bytes[5] == 1,
        "{} is not a 64-bit little-endian ELF",
        path.display()
    );
    let machine = u16::from_le_bytes([bytes[18], bytes[19]]);
    ensure!(
        machine == EM_AARCH64,
        "{} is for ELF machine {machine}, not aarch64 ({EM_AARCH64})",
        path.display()
    );
    Ok(())
}

/// The eBPF object aya-build made for the arm64 `vatrace` (what `tracer/src/loader.rs` embeds).
fn ebpf_object(out_dir: &Path) -> Result<PathBuf> {
    let build = out_dir.join("build");
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = fs::read_dir(&build)
        .with_context(|| format!("reading {}", build.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("tracer-"))
        .map(|e| e.path().join("out").join("tracer"))
        .filter_map(|p| Some((fs::metadata(&p).ok()?.modified().ok()?, p)))
        .collect();
    found.sort();
    let (_, object) = found.pop().with_context(|| {
        format!(
            "no tracer-*/out/tracer eBPF object under {}",
            build.display()
        )
    })?;
    ensure!(
        fs::metadata(&object)?.len() > 0,
        "{} is empty (was AYA_BUILD_SKIP set?)",
        object.display()
    );
    Ok(object)
}

/// The syscall numbers the eBPF programs compare against (`if rN == IMM` immediates).
fn compared_immediates(object: &Path) -> Result<BTreeSet<i64>> {
    let out = Command::new("llvm-objdump")
        .args(["-d", "--no-show-raw-insn"])
        .arg(object)
        .output()
        .context("running llvm-objdump (Debian package llvm)")?;
    ensure!(
        out.status.success(),
        "llvm-objdump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(syscall_table::jeq_immediates(&String::from_utf8_lossy(
        &out.stdout,
    )))
}

/// Fails unless the eBPF object compares against every syscall number of the arm64 table and
/// against none of x86_64's distinctive ones (see [`syscall_table::wrong_table`]).
fn check_ebpf_arch(object: &Path, root: &Path) -> Result<()> {
    let source = fs::read_to_string(root.join(syscall_table::SOURCE))?;
    let arm64 = syscall_table::parse(&source, "aarch64")?;
    let x86 = syscall_table::parse(&source, "x86_64")?;
    let seen = compared_immediates(object)?;
    let problems = syscall_table::wrong_table(&seen, &arm64, &x86);
    ensure!(
        problems.is_empty(),
        "the eBPF object {} is not built for arm64: {}",
        object.display(),
        problems.join("; ")
    );
    say(&format!(
        "{}: eBPF compares against all {} arm64 syscall numbers (ioctl {}, openat {}, close {}), no x86_64 one",
        object.display(),
        arm64.values().filter(|n| **n >= 0).count(),
        arm64["IOCTL"],
        arm64["OPENAT"],
        arm64["CLOSE"]
    ));
    Ok(())
}

/// `vatrace --help` and `vatrace dump SAMPLE` under qemu-user; the dump must equal the host's.
fn check_under_qemu(root: &Path, vatrace: &Path) -> Result<()> {
    let qemu = |args: &[&str]| -> Result<String> {
        let out = Command::new("qemu-aarch64-static")
            .args(["-L", ARM64_SYSROOT])
            .arg(vatrace)
            .args(args)
            .current_dir(root)
            .output()
            .context("running qemu-aarch64-static (Debian package qemu-user-static)")?;
        ensure!(
            out.status.success(),
            "arm64 `vatrace {}` under qemu failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let help = qemu(&["--help"])?;
    ensure!(
        help.contains("dump"),
        "arm64 `vatrace --help` does not list `dump`:\n{help}"
    );
    say("qemu-aarch64: `vatrace --help` runs");
    let arm = qemu(&["dump", DUMP_SAMPLE])?;
    let out = Command::new("cargo")
        .args([
            "run",
            "--quiet",
            "-p",
            "tracer",
            "--bin",
            "vatrace",
            "--",
            "dump",
            DUMP_SAMPLE,
        ])
        .current_dir(root)
        .output()
        .context("running the host's vatrace dump")?;
    ensure!(
        out.status.success(),
        "host `vatrace dump {DUMP_SAMPLE}` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let host = String::from_utf8_lossy(&out.stdout);
    ensure!(
        !arm.is_empty(),
        "arm64 `vatrace dump {DUMP_SAMPLE}` printed nothing"
    );
    if arm != host {
        let line = arm
            .lines()
            .zip(host.lines())
            .position(|(a, h)| a != h)
            .unwrap_or(arm.lines().count().min(host.lines().count()));
        bail!(
            "arm64 and x86_64 `vatrace dump {DUMP_SAMPLE}` differ from line {}",
            line + 1
        );
    }
    say(&format!(
        "qemu-aarch64: `vatrace dump {DUMP_SAMPLE}` equals the host's ({} lines)",
        arm.lines().count()
    ));
    Ok(())
}
