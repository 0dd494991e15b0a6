//! `vatrace bench`: the tracer's overhead on a tight loop of V4L2 ioctls (`v4l2-ioctl-probe loop
//! N`: VIDIOC_DQBUF on /dev/null, which fails with ENOTTY; with `--device`, VIDIOC_G_FMT on a real
//! V4L2 node, which succeeds): untraced; with programs that do nothing attached to the same
//! tracepoints (the mechanism's floor); with the programs attached but the process not traced
//! (what every other process pays); traced into a trace file; traced with the events discarded
//! (kernel side alone); and under `strace -f`.

use std::{
    path::PathBuf,
    process::{Command, Stdio},
};

use anyhow::{bail, Context as _, Result};

use crate::loader::{EmptyPrograms, Options, Tracer};

/// One measured configuration.
struct Row {
    name: &'static str,
    ioctls: u64,
    secs: f64,
    lost: Option<u64>,
}

/// Reads the probe's "N ioctls in S s" line.
fn probe_secs(stderr: &str) -> Option<(u64, f64)> {
    stderr.lines().find_map(|l| {
        let (n, rest) = l.split_once(" ioctls in ")?;
        let (s, _) = rest.split_once(" s")?;
        Some((n.trim().parse().ok()?, s.trim().parse().ok()?))
    })
}

/// Reads vatrace's summary line's lost-event count.
fn lost_of(stderr: &str) -> Option<u64> {
    stderr.lines().find_map(|l| {
        let before = l.split(" lost events").next()?;
        if before.len() == l.len() {
            return None;
        }
        before.rsplit(", ").next()?.trim().parse().ok()
    })
}

fn run(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("running {cmd:?}"))?;
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        bail!("{cmd:?} failed ({}): {err}", out.status);
    }
    Ok(err)
}

/// Runs the benchmark with `count` ioctls per configuration (strace gets `count / 100`).
pub fn run_bench(count: u64, ringbuf_size: u32, device: Option<&str>) -> Result<()> {
    let me = std::env::current_exe()?;
    let probe = me.with_file_name("v4l2-ioctl-probe");
    if !probe.exists() {
        bail!(
            "{} not found: build it with `cargo build -p tracer --bins`",
            probe.display()
        );
    }
    // `v4l2-ioctl-probe loop N [DEVICE]`.
    let probe_args = |n: u64| {
        ["loop".to_string(), n.to_string()]
            .into_iter()
            .chain(device.map(str::to_string))
    };
    let loop_args: Vec<String> = probe_args(count).collect();
    let strace_args: Vec<String> = probe_args((count / 100).max(1)).collect();
    let mut rows = Vec::new();
    let measure = |name, err: &str, lost| -> Result<Row> {
        let (ioctls, secs) =
            probe_secs(err).with_context(|| format!("no timing from the probe: {err}"))?;
        Ok(Row {
            name,
            ioctls,
            secs,
            lost,
        })
    };

    let err = run(Command::new(&probe).args(&loop_args))?;
    rows.push(measure("untraced", &err, None)?);
    {
        // Programs that do nothing on the same tracepoints: the mechanism's own cost.
        let _empty = EmptyPrograms::attach()?;
        let err = run(Command::new(&probe).args(&loop_args))?;
        rows.push(measure("empty programs attached", &err, None)?);
    }
    {
        // Programs attached, this process not in the traced set.
        let _tracer = Tracer::load(&Options {
            ringbuf_size,
            ..Default::default()
        })?;
        let err = run(Command::new(&probe).args(&loop_args))?;
        rows.push(measure("attached, not traced", &err, None)?);
    }
    let trace: PathBuf =
        std::env::temp_dir().join(format!("vatrace-bench-{}.trace", std::process::id()));
    let size = ringbuf_size.to_string();
    let err = run(Command::new(&me)
        .arg("record")
        .arg("-o")
        .arg(&trace)
        .args(["--ringbuf-size", &size, "--"])
        .arg(&probe)
        .args(&loop_args))?;
    let trace_bytes = std::fs::metadata(&trace).map(|m| m.len()).unwrap_or(0);
    let _ = std::fs::remove_file(&trace);
    rows.push(measure("traced (trace file)", &err, lost_of(&err))?);
    let err = run(Command::new(&me)
        .args([
            "record",
            "--discard",
            "-o",
            "/dev/null",
            "--ringbuf-size",
            &size,
            "--",
        ])
        .arg(&probe)
        .args(&loop_args))?;
    rows.push(measure("traced (events discarded)", &err, lost_of(&err))?);
    match run(Command::new("strace")
        .args(["-f", "-e", "trace=ioctl", "-o", "/dev/null"])
        .arg(&probe)
        .args(&strace_args))
    {
        Ok(err) => rows.push(measure("strace -f", &err, None)?),
        Err(e) => eprintln!("strace skipped: {e:#}"),
    }

    let base = rows[0].secs / rows[0].ioctls as f64;
    println!(
        "{:<28} {:>10} {:>10} {:>12} {:>9} {:>6}",
        "configuration", "ioctls", "seconds", "ioctls/s", "x untraced", "lost"
    );
    for r in &rows {
        let per = r.secs / r.ioctls as f64;
        println!(
            "{:<28} {:>10} {:>10.3} {:>12.0} {:>9.2}x {:>6}",
            r.name,
            r.ioctls,
            r.secs,
            r.ioctls as f64 / r.secs,
            per / base,
            r.lost.map(|l| l.to_string()).unwrap_or_else(|| "-".into())
        );
    }
    println!("trace file for {count} ioctls: {trace_bytes} bytes");
    Ok(())
}
