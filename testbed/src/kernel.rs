//! Builds the test-bed kernel and caches it by the hash of what it was built from.
//!
//! Recipe: extract Debian's `/usr/src/linux-source-6.12.tar.xz`, `make tinyconfig`, merge
//! `testbed/kernel.config` with `scripts/kconfig/merge_config.sh`, `make olddefconfig`, check that
//! every option of the fragment survived, `make bzImage`. The result is cached under
//! `<cache>/testbed/kernel-<key>/bzImage`, where the key hashes the fragment, the source package's
//! version and [`RECIPE_VERSION`], so a second build costs nothing and a changed fragment rebuilds.
//!
//! arm64 ([`Arch::Aarch64`]): the same source cross-built (`ARCH=arm64
//! CROSS_COMPILE=aarch64-linux-gnu-`, `make Image`) from the same fragment followed by
//! `testbed/kernel-arm64.config` (what `-M virt` needs; a later line about an option overrides the
//! fragment's), cached under `<cache>/testbed/kernel-arm64-<key>/Image` with a key that also hashes
//! the addendum and the architecture. The x86_64 key is computed exactly as before arm64 existed.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::{paths, tools, Arch};

/// Bumped whenever the build steps change in a way that changes the kernel.
pub const RECIPE_VERSION: &str = "1";

/// The source tarball Debian's `linux-source-6.12` installs.
pub const SOURCE_TARBALL: &str = "/usr/src/linux-source-6.12.tar.xz";

/// What identifies one kernel build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelKey {
    /// The architecture the kernel is built for.
    pub arch: Arch,
    /// Version of the `linux-source-6.12` package.
    pub source_version: String,
    /// First 16 hex digits of the SHA-256 of fragment, source version and recipe version.
    pub hash: String,
}

impl KernelKey {
    /// The key for the fragment in the repository and the installed source package.
    pub fn current() -> Result<Self> {
        let fragment = fs::read(paths::config_fragment())
            .with_context(|| format!("reading {}", paths::config_fragment().display()))?;
        Ok(Self::new(&fragment, &source_version()?))
    }

    /// The key of `arch`'s kernel: for x86_64 [`current`](Self::current); for arm64 the shared
    /// fragment, the arm64 addendum and the architecture's name are hashed.
    pub fn for_arch(arch: Arch) -> Result<Self> {
        let Some(addendum_path) = arch.config_addendum() else {
            return Self::current();
        };
        let fragment = fs::read(paths::config_fragment())
            .with_context(|| format!("reading {}", paths::config_fragment().display()))?;
        let addendum = fs::read(&addendum_path)
            .with_context(|| format!("reading {}", addendum_path.display()))?;
        Ok(Self::with_addendum(
            arch,
            &fragment,
            &addendum,
            &source_version()?,
        ))
    }

    /// The key of a kernel for `arch` built from `fragment` then `addendum`.
    pub fn with_addendum(
        arch: Arch,
        fragment: &[u8],
        addendum: &[u8],
        source_version: &str,
    ) -> Self {
        let mut all = fragment.to_vec();
        all.push(0);
        all.extend_from_slice(arch.name().as_bytes());
        all.push(0);
        all.extend_from_slice(addendum);
        Self {
            arch,
            ..Self::new(&all, source_version)
        }
    }

    /// The key for a given fragment and source version.
    pub fn new(fragment: &[u8], source_version: &str) -> Self {
        let mut h = Sha256::new();
        h.update(fragment);
        h.update([0]);
        h.update(source_version.as_bytes());
        h.update([0]);
        h.update(RECIPE_VERSION.as_bytes());
        let hash = h
            .finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        Self {
            arch: Arch::X86_64,
            source_version: source_version.to_string(),
            hash,
        }
    }

    /// The folder holding this build's image and .config (`kernel-<hash>` for x86_64,
    /// `kernel-<arch>-<hash>` for the others).
    pub fn dir(&self) -> PathBuf {
        let name = match self.arch {
            Arch::X86_64 => format!("kernel-{}", self.hash),
            other => format!("kernel-{}-{}", other.name(), self.hash),
        };
        paths::cache_dir().join("testbed").join(name)
    }

    /// The cached image's path (which may not exist yet): `bzImage` on x86_64, `Image` on arm64.
    pub fn bzimage(&self) -> PathBuf {
        self.dir().join(self.arch.image_name())
    }
}

/// The installed `linux-source-6.12` package's version, or an error naming the package.
pub fn source_version() -> Result<String> {
    if !Path::new(SOURCE_TARBALL).exists() {
        bail!(
            "{SOURCE_TARBALL} not found: the test-bed kernel is built from Debian's linux-source-6.12; \
             run `cargo xtask setup` (or `apt-get install linux-source-6.12`)"
        );
    }
    let out = Command::new("dpkg-query")
        .args(["-W", "-f", "${Version}", "linux-source-6.12"])
        .output()
        .context("running dpkg-query")?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.success() && !v.is_empty() {
        Ok(v)
    } else {
        // Not installed through dpkg: key on the tarball's size and mtime instead.
        let m = fs::metadata(SOURCE_TARBALL)?;
        Ok(format!("tarball-{}-{:?}", m.len(), m.modified().ok()))
    }
}

/// The cached x86_64 kernel for the current fragment, if it has been built.
pub fn cached_kernel() -> Result<Option<PathBuf>> {
    cached_kernel_for(Arch::X86_64)
}

/// The cached kernel of `arch` for the current fragment(s), if it has been built.
pub fn cached_kernel_for(arch: Arch) -> Result<Option<PathBuf>> {
    let key = KernelKey::for_arch(arch)?;
    let image = key.bzimage();
    Ok(image.exists().then_some(image))
}

/// Options of a kernel build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Parallel make jobs (default: the number of CPUs).
    pub jobs: usize,
    /// Rebuild even when a cached kernel exists.
    pub force: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        let jobs = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Self { jobs, force: false }
    }
}

/// Builds (or finds in the cache) the x86_64 test-bed kernel and returns its bzImage's path.
/// `progress` receives one human-readable line every few seconds.
/// Concurrent callers wait for one another: only one build runs.
pub fn build_kernel(opts: &BuildOptions, progress: &mut dyn FnMut(&str)) -> Result<PathBuf> {
    build_kernel_for(Arch::X86_64, opts, progress)
}

/// `make` for `arch`: with `ARCH=` and `CROSS_COMPILE=` when cross-building.
fn make(arch: Arch) -> Command {
    let mut cmd = Command::new("make");
    if let Some(prefix) = arch.cross_compile() {
        cmd.env("ARCH", arch.kernel_arch())
            .env("CROSS_COMPILE", prefix);
    }
    cmd
}

/// Builds (or finds in the cache) `arch`'s test-bed kernel and returns its image's path.
pub fn build_kernel_for(
    arch: Arch,
    opts: &BuildOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<PathBuf> {
    let key = KernelKey::for_arch(arch)?;
    let image = key.bzimage();
    if image.exists() && !opts.force {
        return Ok(image);
    }
    tools::require(tools::KERNEL_BUILD)?;
    tools::require(arch.kernel_build_tools())?;
    let top = paths::cache_dir().join("testbed");
    fs::create_dir_all(&top).with_context(|| format!("creating {}", top.display()))?;
    let lock = File::create(top.join("build.lock"))?;
    progress("waiting for the kernel build lock");
    lock.lock().context("locking the kernel build")?;
    if image.exists() && !opts.force {
        return Ok(image); // Another process built it while we waited.
    }

    let work = top.join(format!("build-{}", key.hash));
    let log_path = top.join(format!("build-{}.log", key.hash));
    let started = Instant::now();
    if work.exists() {
        fs::remove_dir_all(&work).with_context(|| format!("removing {}", work.display()))?;
    }
    fs::create_dir_all(&work)?;
    let log =
        File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    progress(&format!(
        "building the {arch} test-bed kernel {} (linux-source-6.12 {}), log: {}",
        key.hash,
        key.source_version,
        log_path.display()
    ));

    progress(&format!("extracting {SOURCE_TARBALL}"));
    step(
        Command::new("tar")
            .args(["xf", SOURCE_TARBALL, "-C"])
            .arg(&work),
        &log,
        &log_path,
        "extracting the kernel source",
    )?;
    let src = find_source_dir(&work)?;
    let fragment = paths::config_fragment();
    let addendum = arch.config_addendum();

    progress(&format!(
        "configuring: tinyconfig + testbed/kernel.config{}",
        if addendum.is_some() {
            " + testbed/kernel-arm64.config"
        } else {
            ""
        }
    ));
    step(
        make(arch).arg("tinyconfig").current_dir(&src),
        &log,
        &log_path,
        "make tinyconfig",
    )?;
    step(
        Command::new("scripts/kconfig/merge_config.sh")
            .args(["-m", ".config"])
            .arg(&fragment)
            .args(&addendum)
            .current_dir(&src),
        &log,
        &log_path,
        "merging testbed/kernel.config",
    )?;
    step(
        make(arch).arg("olddefconfig").current_dir(&src),
        &log,
        &log_path,
        "make olddefconfig",
    )?;
    let mut wanted = fs::read_to_string(&fragment)?;
    if let Some(addendum) = &addendum {
        wanted = effective_fragment(&wanted, &fs::read_to_string(addendum)?);
    }
    let missing = missing_options(&wanted, &fs::read_to_string(src.join(".config"))?);
    if !missing.is_empty() {
        bail!(
            "these options of {} did not survive `make olddefconfig` (a dependency is missing from the fragment): {}",
            fragment.display(),
            missing.join(", ")
        );
    }

    progress(&format!(
        "compiling with {} jobs (about 6 minutes on 2 cores)",
        opts.jobs
    ));
    let mut child = make(arch)
        .arg(format!("-j{}", opts.jobs))
        .arg(arch.image_name())
        .current_dir(&src)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log.try_clone()?)
        .spawn()
        .context("starting make")?;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_secs(15));
        let (lines, last) = log_progress(&log_path);
        progress(&format!(
            "  {:>4}s, {lines} steps, at: {last}",
            started.elapsed().as_secs()
        ));
    };
    if !status.success() {
        bail!(
            "the kernel build failed ({status}); full log: {}\n{}",
            log_path.display(),
            tail(&log_path, 25)
        );
    }

    let dir = key.dir();
    fs::create_dir_all(&dir)?;
    fs::copy(src.join(".config"), dir.join("config"))?;
    let tmp = dir.join(format!("{}.tmp", arch.image_name()));
    fs::copy(src.join(arch.image_in_tree()), &tmp)?;
    fs::rename(&tmp, &image)?;
    progress(&format!(
        "built {} in {}s",
        image.display(),
        started.elapsed().as_secs()
    ));
    // The object tree is ~1.5 GB and only this image is needed again.
    let _ = fs::remove_dir_all(&work);
    Ok(image)
}

fn step(cmd: &mut Command, log: &File, log_path: &Path, what: &str) -> Result<()> {
    let status = cmd
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log.try_clone()?)
        .status()
        .with_context(|| format!("{what}: could not start {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!(
            "{what} failed ({status}); full log: {}\n{}",
            log_path.display(),
            tail(log_path, 25)
        );
    }
    Ok(())
}

fn find_source_dir(work: &Path) -> Result<PathBuf> {
    for entry in fs::read_dir(work)? {
        let p = entry?.path();
        if p.join("Makefile").exists() && p.join("Kconfig").exists() {
            return Ok(p);
        }
    }
    bail!(
        "no kernel source tree found in {} after extracting {SOURCE_TARBALL}",
        work.display()
    )
}

/// The `CONFIG_…=…` lines of `fragment` that `config` does not contain verbatim.
pub fn missing_options(fragment: &str, config: &str) -> Vec<String> {
    let have: std::collections::HashSet<&str> = config.lines().map(str::trim).collect();
    fragment
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("CONFIG_"))
        .filter(|l| !have.contains(l))
        .map(String::from)
        .collect()
}

/// The option symbol a fragment line sets (`CONFIG_X=…` or `# CONFIG_X is not set`).
fn option_symbol(line: &str) -> Option<&str> {
    let line = line.trim();
    if let Some(rest) = line.strip_prefix("# ") {
        return rest
            .strip_suffix(" is not set")
            .filter(|s| s.starts_with("CONFIG_"));
    }
    line.starts_with("CONFIG_")
        .then(|| line.split('=').next())
        .flatten()
}

/// `fragment` with the lines about options `addendum` sets removed, then `addendum`: what
/// `merge_config.sh` asks for when the addendum is merged last.
pub fn effective_fragment(fragment: &str, addendum: &str) -> String {
    let overridden: std::collections::HashSet<&str> =
        addendum.lines().filter_map(option_symbol).collect();
    let mut out: String = fragment
        .lines()
        .filter(|l| option_symbol(l).is_none_or(|s| !overridden.contains(s)))
        .map(|l| format!("{l}\n"))
        .collect();
    out += addendum;
    out
}

fn log_progress(log: &Path) -> (usize, String) {
    let Ok(f) = File::open(log) else {
        return (0, String::new());
    };
    let mut lines = 0;
    let mut last = String::new();
    for line in BufReader::new(f).lines().map_while(Result::ok) {
        lines += 1;
        if !line.trim().is_empty() {
            last = line;
        }
    }
    (lines, last.trim().to_string())
}

/// The last `n` lines of a file, for error messages.
pub fn tail(path: &Path, n: usize) -> String {
    let Ok(mut f) = File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)));
    let mut s = String::new();
    let _ = f.read_to_string(&mut s);
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_changes_with_fragment_and_source() {
        let a = KernelKey::new(b"CONFIG_A=y\n", "6.12.1");
        assert_eq!(a, KernelKey::new(b"CONFIG_A=y\n", "6.12.1"));
        assert_ne!(a.hash, KernelKey::new(b"CONFIG_A=n\n", "6.12.1").hash);
        assert_ne!(a.hash, KernelKey::new(b"CONFIG_A=y\n", "6.12.2").hash);
        assert_eq!(a.hash.len(), 16);
    }

    #[test]
    fn the_arm64_key_differs_and_x86_64s_is_unchanged() {
        let x86 = KernelKey::new(b"CONFIG_A=y\n", "6.12.1");
        let arm =
            KernelKey::with_addendum(Arch::Aarch64, b"CONFIG_A=y\n", b"CONFIG_B=y\n", "6.12.1");
        assert_eq!(x86.arch, Arch::X86_64);
        assert_ne!(x86.hash, arm.hash);
        assert_ne!(
            arm.hash,
            KernelKey::with_addendum(Arch::Aarch64, b"CONFIG_A=y\n", b"CONFIG_C=y\n", "6.12.1")
                .hash
        );
        assert!(arm.dir().ends_with(format!("kernel-arm64-{}", arm.hash)));
        assert!(arm.bzimage().ends_with("Image"));
        assert!(x86.dir().ends_with(format!("kernel-{}", x86.hash)));
        assert!(x86.bzimage().ends_with("bzImage"));
    }

    #[test]
    fn the_addendum_overrides_the_fragment() {
        let fragment = "# c\nCONFIG_A=y\nCONFIG_B=y\n";
        let addendum = "# CONFIG_B is not set\nCONFIG_C=y\n";
        let wanted = effective_fragment(fragment, addendum);
        assert_eq!(
            wanted,
            "# c\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=y\n"
        );
        let config = "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=y\n";
        assert!(missing_options(&wanted, config).is_empty());
    }

    #[test]
    fn missing_options_finds_dropped_lines() {
        let fragment = "# comment\nCONFIG_A=y\nCONFIG_B=y\nCONFIG_LSM=\"bpf\"\n";
        let config = "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_LSM=\"bpf\"\n";
        assert_eq!(
            missing_options(fragment, config),
            vec!["CONFIG_B=y".to_string()]
        );
    }
}
