//! `vatrace bench`: the tracer's overhead on a tight loop of V4L2 ioctls (`v4l2-ioctl-probe loop
//! N`: VIDIOC_DQBUF on /dev/null, which fails with ENOTTY; with `--device`, VIDIOC_G_FMT on a real
//! V4L2 node, which succeeds): untraced; with programs that do nothing attached to the raw syscall
//! tracepoints (that mechanism's floor); then per attach mechanism the kernel takes (tracepoint,
//! fentry): the programs attached but the process not traced (what every other process pays),
//! traced into a trace file, traced with the events discarded (kernel side alone); and under
//! `strace -f`.

use std::{
    path::PathBuf,
    process::{Command, Stdio},
};

use anyhow::{bail, Context as _, Result};

use crate::{
    attach::{Attach, Mechanism},
    loader::{EmptyPrograms, Options, Tracer},
};

/// The runs of one configuration.
struct Row {
    name: String,
    ioctls: u64,
    /// Seconds of each run.
    secs: Vec<f64>,
    /// Most events lost in a run (traced configurations).
    lost: Option<u64>,
}

/// The middle value (the upper one of an even count).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
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

/// Runs the benchmark: `runs` rounds of every configuration in turn, `count` ioctls each (strace
/// gets `count / 100`). Each run's ratio is taken against the same round's untraced run, so a
/// machine whose speed drifts between rounds moves both sides of it.
pub fn run_bench(count: u64, runs: u32, ringbuf_size: u32, device: Option<&str>) -> Result<()> {
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
    let trace: PathBuf =
        std::env::temp_dir().join(format!("vatrace-bench-{}.trace", std::process::id()));
    let size = ringbuf_size.to_string();
    // The loop alone, and the loop under `vatrace record EXTRA -o OUT` (its output and how many
    // events it lost).
    let untraced = || run(Command::new(&probe).args(&loop_args));
    let record = |extra: &[&str], out: &PathBuf| -> Result<(String, Option<u64>)> {
        let err = run(Command::new(&me)
            .arg("record")
            .args(extra)
            .arg("-o")
            .arg(out)
            .args(["--ringbuf-size", &size, "--"])
            .arg(&probe)
            .args(&loop_args))?;
        let lost = lost_of(&err);
        Ok((err, lost))
    };

    // The mechanisms this kernel takes (fentry is refused by some: the tracepoints always work).
    let mut mechanisms = vec![Mechanism::Tracepoint];
    match Tracer::load(&Options {
        ringbuf_size,
        attach: Attach::FEntry,
        ..Default::default()
    }) {
        Ok(_) => mechanisms.push(Mechanism::FEntry),
        Err(e) => eprintln!("fentry rows skipped: {e:#}"),
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut strace = true;
    let mut trace_bytes = 0;
    for _ in 0..runs.max(1) {
        let mut round: Vec<(String, String, Option<u64>)> = Vec::new();
        round.push(("untraced".into(), untraced()?, None));
        {
            // Programs that do nothing on the same tracepoints: the mechanism's own cost.
            let _empty = EmptyPrograms::attach()?;
            round.push(("tracepoint: empty programs".into(), untraced()?, None));
        }
        for &m in &mechanisms {
            let attach = match m {
                Mechanism::FEntry => Attach::FEntry,
                Mechanism::Tracepoint => Attach::Tracepoint,
            };
            {
                // Programs attached, this process not in the traced set.
                let _tracer = Tracer::load(&Options {
                    ringbuf_size,
                    attach,
                    ..Default::default()
                })?;
                round.push((format!("{m}: attached, untraced"), untraced()?, None));
            }
            let flag = ["--attach", m.name()];
            let (err, lost) = record(&flag, &trace)?;
            trace_bytes = std::fs::metadata(&trace).map(|m| m.len()).unwrap_or(0);
            let _ = std::fs::remove_file(&trace);
            round.push((format!("{m}: traced (trace file)"), err, lost));
            let (err, lost) = record(
                &[flag[0], flag[1], "--discard"],
                &PathBuf::from("/dev/null"),
            )?;
            round.push((format!("{m}: traced (discarded)"), err, lost));
        }
        if strace {
            let traced = run(Command::new("strace")
                .args(["-f", "-e", "trace=ioctl", "-o", "/dev/null"])
                .arg(&probe)
                .args(&strace_args));
            match traced {
                Ok(err) => round.push(("strace -f".into(), err, None)),
                Err(e) => {
                    eprintln!("strace skipped: {e:#}");
                    strace = false;
                }
            }
        }
        for (i, (name, err, lost)) in round.into_iter().enumerate() {
            let (ioctls, secs) = probe_secs(&err)
                .with_context(|| format!("no timing from the probe ({name}): {err}"))?;
            if rows.len() <= i {
                rows.push(Row {
                    name: name.clone(),
                    ioctls,
                    secs: Vec::new(),
                    lost: None,
                });
            }
            let row = &mut rows[i];
            row.secs.push(secs);
            row.lost = row.lost.max(lost);
        }
    }

    // Seconds per ioctl of each round's untraced run.
    let base: Vec<f64> = rows[0]
        .secs
        .iter()
        .map(|s| s / rows[0].ioctls as f64)
        .collect();
    println!(
        "{:<34} {:>10} {:>10} {:>12} {:>10} {:>6} {:>15}",
        "configuration", "ioctls", "seconds", "ioctls/s", "x untraced", "lost", "x range"
    );
    for r in &rows {
        let ratios: Vec<f64> = r
            .secs
            .iter()
            .zip(&base)
            .map(|(s, b)| s / r.ioctls as f64 / b)
            .collect();
        let (lo, hi) = ratios
            .iter()
            .fold((f64::MAX, 0f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        let secs = median(r.secs.clone());
        println!(
            "{:<34} {:>10} {:>10.3} {:>12.0} {:>9.2}x {:>6} {:>15}",
            r.name,
            r.ioctls,
            secs,
            r.ioctls as f64 / secs,
            median(ratios),
            r.lost.map(|l| l.to_string()).unwrap_or_else(|| "-".into()),
            format!("{lo:.2}-{hi:.2}x"),
        );
    }
    println!(
        "median of {} runs each (seconds, and each run against its own round's untraced run)",
        runs.max(1)
    );
    println!("trace file for {count} ioctls: {trace_bytes} bytes");
    Ok(())
}
