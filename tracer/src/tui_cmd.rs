//! `vatrace tui`: the pool monitor, on a trace file (playback) or live on a command or process.
//!
//! Live mode runs `vatrace record` as a child process (its own output and the traced command's
//! go to `<trace>.log`, so they cannot garble the screen) and follows the trace file it writes,
//! so the live screen and the trace kept afterwards are the same records.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use traces::source::FollowSource;

/// What `vatrace tui` was asked to show.
pub struct TuiArgs {
    /// A trace file to play, when neither a command nor a pid is given.
    pub file: Option<PathBuf>,
    /// Live: the trace file the recorder writes.
    pub output: PathBuf,
    /// Live: attach to this process.
    pub pid: Option<u32>,
    /// Live: the command to start and trace.
    pub command: Vec<String>,
    /// Highlight slots busy longer than this.
    pub busy_threshold: Duration,
    /// With a FILE: print this one frame as text instead of running the TUI.
    pub snapshot: Option<tui::snapshot::Frame>,
}

/// Runs `vatrace tui`.
pub fn run(args: TuiArgs) -> Result<i32> {
    let opts = tui::Options {
        busy_threshold: args.busy_threshold,
        ..Default::default()
    };
    if args.pid.is_none() && args.command.is_empty() {
        let Some(file) = args.file else {
            bail!("give a trace FILE to play, a command after `--`, or -p PID")
        };
        if let Some(frame) = args.snapshot {
            let text = tui::snapshot::snapshot_file(&file, frame, opts)
                .with_context(|| format!("drawing {}", file.display()))?;
            print!("{text}");
            return Ok(0);
        }
        tui::run_file(&file, opts).with_context(|| format!("playing {}", file.display()))?;
        return Ok(0);
    }
    if args.file.is_some() {
        bail!("give either a trace FILE to play or something to trace live (-- CMD or -p PID), not both");
    }
    let log_path = PathBuf::from(format!("{}.log", args.output.display()));
    let mut recorder = spawn_recorder(&args, &log_path)?;
    let source = match wait_for_header(&args.output, &mut recorder, &log_path) {
        Ok(s) => s,
        Err(e) => {
            let _ = recorder.kill();
            let _ = recorder.wait();
            return Err(e);
        }
    };
    let shown = tui::run_live(source, opts);
    // The user may quit before the traced command ends: stop the recorder cleanly (it writes End).
    if recorder.try_wait()?.is_none() {
        // SAFETY: kill(2) on our own child's pid, which has not been reaped yet.
        unsafe { libc::kill(recorder.id() as i32, libc::SIGTERM) };
    }
    let status = recorder.wait()?;
    shown.context("running the TUI")?;
    eprintln!(
        "vatrace: trace kept in {} (recorder's and command's output in {})",
        args.output.display(),
        log_path.display()
    );
    Ok(status.code().unwrap_or(1))
}

fn spawn_recorder(args: &TuiArgs, log_path: &Path) -> Result<Child> {
    let exe = std::env::current_exe().context("locating the vatrace binary")?;
    let log = File::create(log_path).with_context(|| format!("creating {}", log_path.display()))?;
    let _ = std::fs::remove_file(&args.output);
    let mut cmd = Command::new(exe);
    cmd.arg("record").arg("-o").arg(&args.output);
    match args.pid {
        Some(pid) => {
            cmd.arg("-p").arg(pid.to_string());
        }
        None => {
            cmd.arg("--").args(&args.command);
        }
    }
    cmd.stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    cmd.spawn().context("starting `vatrace record`")
}

/// Waits until the recorder has written the trace header, then follows the file.
fn wait_for_header(path: &Path, recorder: &mut Child, log_path: &Path) -> Result<FollowSource> {
    let started = Instant::now();
    loop {
        if let Some(status) = recorder.try_wait()? {
            // It may have finished a short command already: the file is then complete.
            if let Ok(s) = FollowSource::open(path, Duration::from_millis(50)) {
                return Ok(s);
            }
            let log = std::fs::read_to_string(log_path).unwrap_or_default();
            bail!(
                "`vatrace record` stopped ({status}) before writing a trace:\n{}",
                log.trim()
            );
        }
        if path.exists() {
            if let Ok(s) = FollowSource::open(path, Duration::from_millis(50)) {
                return Ok(s);
            }
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!(
                "`vatrace record` wrote no trace header within 60 s (see {})",
                log_path.display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
