//! Boots the test-bed kernel under QEMU (TCG) and runs one command in it.
//!
//! The host writes the command (and its environment) as shell scripts into a fresh run folder
//! under `<target>/testbed/runs/`; the guest's init (`testbed/init.sh`) mounts the shared folders
//! ([`crate::shares`]: the repository, the cargo target folder) read-write at the host's own paths,
//! runs the command in the repository with stdout and stderr redirected into the run folder,
//! writes `exit_code`, and reboots, which `-no-reboot` turns into QEMU's exit. The host streams
//! the two output files while the guest runs, enforces the timeout, and keeps the serial
//! console's log for diagnosing a guest that hangs or panics.
//!
//! [`RunOptions::arch`] picks the guest: x86_64 (default) mounts the host's root; arm64 boots
//! `qemu-system-aarch64 -M virt` with the cross-built kernel and mounts the cached Debian arm64
//! root of [`crate::userland`] instead, into which the repository's init script is copied.

use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::shares::{self, Role};
use crate::{kernel, paths, tools, userland, Arch};

/// How to boot and run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Kill the guest after this long.
    pub timeout: Duration,
    /// Extra kernel command-line arguments, e.g. `visl.visl_transtime_ms=5`.
    pub append: Vec<String>,
    /// Virtual CPUs.
    pub smp: u32,
    /// Guest memory in MiB.
    pub memory_mib: u32,
    /// Environment variables set for the command (on top of PATH, HOME, LANG).
    pub env: Vec<(String, String)>,
    /// Working directory in the guest (default: the repository root).
    pub cwd: Option<PathBuf>,
    /// Copy the command's stdout/stderr to ours while it runs.
    pub echo: bool,
    /// Build the kernel first if it is not in the cache (else fail saying what to run).
    pub build_if_missing: bool,
    /// The repository the command runs in, whose `testbed/init.sh` is the guest's init
    /// (default: this one, [`paths::repo_root`]).
    pub repo: Option<PathBuf>,
    /// More host folders the guest sees read-write at their own paths (the repository and the
    /// cargo target folder always are).
    pub shares: Vec<PathBuf>,
    /// The guest's architecture (default x86_64).
    pub arch: Arch,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(600),
            append: Vec::new(),
            smp: 2,
            memory_mib: 2048,
            env: Vec::new(),
            cwd: None,
            echo: false,
            build_if_missing: true,
            repo: None,
            shares: Vec::new(),
            arch: Arch::X86_64,
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The command ran and exited with this code (128+N for a signal).
    Exited(i32),
    /// The guest was still running at the timeout and was killed.
    TimedOut,
    /// The guest stopped without the command's exit code: a kernel panic, an init failure.
    NoExitCode,
}

/// What a run produced.
#[derive(Debug)]
pub struct RunOutput {
    /// How it ended.
    pub outcome: Outcome,
    /// The command's standard output.
    pub stdout: Vec<u8>,
    /// The command's standard error.
    pub stderr: Vec<u8>,
    /// The guest's serial console (kernel messages, init's messages).
    pub console: String,
    /// The run folder (kept for inspection).
    pub run_dir: PathBuf,
    /// Wall time of the whole boot-run-poweroff.
    pub elapsed: Duration,
}

impl RunOutput {
    /// The command's exit code, when it ran to completion.
    pub fn exit_code(&self) -> Option<i32> {
        match self.outcome {
            Outcome::Exited(c) => Some(c),
            _ => None,
        }
    }

    /// Standard output as text.
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Standard error as text.
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// The last `n` lines of the console, for error messages.
    pub fn console_tail(&self, n: usize) -> String {
        let lines: Vec<&str> = self.console.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// A one-paragraph explanation of a failed run (empty for a success).
    pub fn explain(&self) -> String {
        match self.outcome {
            Outcome::Exited(0) => String::new(),
            Outcome::Exited(c) => format!(
                "the command exited with {c} in the test-bed\n--- stderr (tail) ---\n{}",
                tail_str(&self.stderr_str(), 30)
            ),
            Outcome::TimedOut => format!(
                "the test-bed guest was still running after the timeout and was killed (run folder {})\n\
                 --- console (tail) ---\n{}\n--- stderr (tail) ---\n{}",
                self.run_dir.display(),
                self.console_tail(30),
                tail_str(&self.stderr_str(), 15)
            ),
            Outcome::NoExitCode => format!(
                "the test-bed guest stopped without the command's exit code{} (run folder {})\n--- console (tail) ---\n{}",
                if self.console.contains("Kernel panic") { " (kernel panic)" } else { "" },
                self.run_dir.display(),
                self.console_tail(40)
            ),
        }
    }

    /// `Ok(self)` when the command exited 0, else an error with [`explain`](Self::explain)'s text.
    pub fn check(self) -> Result<Self> {
        if self.outcome == Outcome::Exited(0) {
            Ok(self)
        } else {
            bail!("{}", self.explain())
        }
    }
}

fn tail_str(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Quotes one argument for `/bin/sh`.
pub fn shell_quote(arg: &[u8]) -> String {
    let s = String::from_utf8_lossy(arg);
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b))
    {
        return s.into_owned();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

static RUN_COUNTER: AtomicU32 = AtomicU32::new(0);

/// Boots the test-bed, runs `cmd` (program and arguments) in it and returns how it went.
/// Errors are for the host side (no kernel, no QEMU, I/O); what happens in the guest is in
/// the [`RunOutput`].
pub fn run<S: AsRef<OsStr>>(cmd: &[S], opts: &RunOptions) -> Result<RunOutput> {
    if cmd.is_empty() {
        bail!("no command given to run in the test-bed");
    }
    let repo = std::path::absolute(opts.repo.clone().unwrap_or_else(paths::repo_root))?;
    let shares = plan_shares(&repo, opts)?;
    let init = paths::init_script_in(&repo);
    if !init.is_file() {
        bail!(
            "{} is missing: the test-bed's init script must be in the repository it runs in",
            init.display()
        );
    }
    let arch = opts.arch;
    tools::require(arch.run_tools())?;
    let mut say = |line: &str| eprintln!("testbed: {line}");
    let bzimage =
        match kernel::cached_kernel_for(arch)? {
            Some(k) => k,
            None if opts.build_if_missing => {
                kernel::build_kernel_for(arch, &kernel::BuildOptions::default(), &mut say)?
            }
            None => bail!(
            "the {arch} test-bed kernel ({}) is not built: run `cargo xtask testbed build{}` first",
            kernel::KernelKey::for_arch(arch)?.hash,
            if arch == Arch::X86_64 { "" } else { " --arch arm64" }
        ),
        };
    // The guest's root and the path of its init in it.
    let (root, init_in_guest) = match arch {
        Arch::X86_64 => (PathBuf::from("/"), init.display().to_string()),
        Arch::Aarch64 => {
            let root = match userland::cached_root()? {
                Some(r) => r,
                None if opts.build_if_missing => userland::build_root(false, &mut say)?,
                None => bail!(
                    "the arm64 test-bed's Debian root ({}) is not built: run `cargo xtask testbed build --arch arm64` first",
                    userland::RootKey::current()?.hash
                ),
            };
            let init_in_guest = userland::install_init(&root, &repo)?;
            userland::make_mount_points(&root, &shares)?;
            (root, init_in_guest)
        }
    };

    let run_dir = paths::runs_dir().join(format!(
        "{}-{}-{}",
        std::process::id(),
        RUN_COUNTER.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0)
    ));
    fs::create_dir_all(&run_dir).with_context(|| format!("creating {}", run_dir.display()))?;

    let mut script = String::from("# written by the vatrace test-bed runner\n");
    if let Some(cwd) = &opts.cwd {
        script += &format!(
            "cd {} || exit 126\n",
            shell_quote(cwd.as_os_str().as_bytes())
        );
    }
    script += "exec";
    for a in cmd {
        script.push(' ');
        script += &shell_quote(a.as_ref().as_bytes());
    }
    script.push('\n');
    fs::write(run_dir.join("cmd"), script)?;

    let mut env = String::new();
    // GStreamer's registry: each run gets its own copy, seeded from a shared one. A registry shared
    // live between concurrent guests is rewritten under a running client, which then rescans its
    // plugins (v4l2codecs probes every device: hundreds of extra ioctls in a traced run).
    // One per architecture: the plugins' paths differ.
    let shared_registry = paths::scratch_dir().join(match arch {
        Arch::X86_64 => "gst-registry.bin".to_string(),
        other => format!("gst-registry-{other}.bin"),
    });
    let registry = run_dir.join("gst-registry.bin");
    if shared_registry.exists() {
        let _ = fs::copy(&shared_registry, &registry);
    }
    env += &format!(
        "export GST_REGISTRY={}\n",
        shell_quote(registry.as_os_str().as_bytes())
    );
    for (k, v) in &opts.env {
        env += &format!("export {k}={}\n", shell_quote(v.as_bytes()));
    }
    fs::write(run_dir.join("env"), env)?;

    let console_path = run_dir.join("console.log");
    let mut append = format!(
        "console={} root=/dev/root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose ro \
         init={} panic=-1 oops=panic loglevel=4 random.trust_cpu=on vatrace.repo={} vatrace.run={}",
        arch.console(),
        init_in_guest,
        repo.display(),
        run_dir.display()
    );
    for a in arch.kernel_args() {
        append.push(' ');
        append += a;
    }
    for a in shares::kernel_args(&shares) {
        append.push(' ');
        append += &a;
    }
    for a in &opts.append {
        append.push(' ');
        append += a;
    }

    // A comma ends an option's value in QEMU; a doubled one stands for itself.
    let root_arg = root.display().to_string().replace(',', ",,");
    let mut qemu = Command::new(arch.qemu());
    qemu.args(arch.qemu_machine())
        .args([
            "-smp",
            &opts.smp.to_string(),
            "-m",
            &opts.memory_mib.to_string(),
        ])
        .args([
            "-display",
            "none",
            "-no-reboot",
            "-net",
            "none",
            "-monitor",
            "none",
        ])
        .arg("-kernel")
        .arg(&bzimage)
        .args(["-append", &append])
        .args([
            "-fsdev",
            format!(
                "local,id=hostroot,path={root_arg},security_model=none,readonly=on,multidevs=remap"
            )
            .as_str(),
        ])
        .args([
            "-device",
            "virtio-9p-pci,fsdev=hostroot,mount_tag=/dev/root",
        ])
        .args(shares::qemu_args(&shares))
        .arg("-serial")
        .arg(format!("file:{}", console_path.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());

    let started = Instant::now();
    let mut child = qemu
        .spawn()
        .with_context(|| format!("starting {}", arch.qemu()))?;
    let mut out = Follower::new(run_dir.join("stdout"));
    let mut err = Follower::new(run_dir.join("stderr"));
    let mut timed_out = false;
    let status = loop {
        if opts.echo {
            out.copy_to(&mut std::io::stdout());
            err.copy_to(&mut std::io::stderr());
        }
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() > opts.timeout {
            let _ = child.kill();
            let _ = child.wait();
            timed_out = true;
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if opts.echo {
        out.copy_to(&mut std::io::stdout());
        err.copy_to(&mut std::io::stderr());
    }
    let mut qemu_err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut qemu_err);
    }
    if let Some(status) = status {
        if !status.success() && !console_path.exists() {
            bail!(
                "{} failed to start ({status}): {}",
                arch.qemu(),
                qemu_err.trim()
            );
        }
    }

    if !shared_registry.exists() && registry.exists() {
        let tmp = shared_registry.with_extension(format!("tmp-{}", std::process::id()));
        if fs::copy(&registry, &tmp).is_ok() {
            let _ = fs::rename(&tmp, &shared_registry);
        }
    }
    let console =
        String::from_utf8_lossy(&fs::read(&console_path).unwrap_or_default()).into_owned();
    let outcome = if timed_out {
        Outcome::TimedOut
    } else {
        match fs::read_to_string(run_dir.join("exit_code"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            Some(code) => Outcome::Exited(code),
            None => Outcome::NoExitCode,
        }
    };
    Ok(RunOutput {
        outcome,
        stdout: fs::read(run_dir.join("stdout")).unwrap_or_default(),
        stderr: fs::read(run_dir.join("stderr")).unwrap_or_default(),
        console,
        run_dir,
        elapsed: started.elapsed(),
    })
}

/// The folders shared with the guest for a run in `repo`: the repository, the cargo target
/// folder (binaries, test files and the run folders live there) and the caller's.
fn plan_shares(repo: &Path, opts: &RunOptions) -> Result<Vec<shares::Share>> {
    let target = paths::target_dir();
    fs::create_dir_all(&target).with_context(|| format!("creating {}", target.display()))?;
    let mut folders = vec![
        (Role::Repository, repo.to_path_buf()),
        (Role::TargetDir, std::path::absolute(target)?),
    ];
    for s in &opts.shares {
        folders.push((Role::Extra, std::path::absolute(s)?));
    }
    Ok(shares::plan(&folders)?)
}

/// Follows a file that the guest appends to, like `tail -f`.
struct Follower {
    path: PathBuf,
    pos: u64,
}

impl Follower {
    fn new(path: PathBuf) -> Self {
        Self { path, pos: 0 }
    }

    fn copy_to(&mut self, to: &mut dyn Write) {
        let Ok(mut f) = File::open(&self.path) else {
            return;
        };
        if f.seek(SeekFrom::Start(self.pos)).is_err() {
            return;
        }
        let mut buf = Vec::new();
        if let Ok(n) = f.read_to_end(&mut buf) {
            self.pos += n as u64;
            let _ = to.write_all(&buf);
            let _ = to.flush();
        }
    }
}

/// Convenience for tests: runs `sh -c SCRIPT` in the test-bed.
pub fn run_sh(script: &str, opts: &RunOptions) -> Result<RunOutput> {
    run(&["/bin/sh", "-c", script], opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote(b"abc"), "abc");
        assert_eq!(shell_quote(b"a b"), "'a b'");
        assert_eq!(shell_quote(b"it's"), "'it'\\''s'");
        assert_eq!(shell_quote(b""), "''");
        assert_eq!(shell_quote(b"/dev/video0"), "/dev/video0");
    }
}
