//! The command lines of `vatrace minimize` and `vatrace cut`, and their runs.
//!
//! Exit codes of `minimize`: 0 a smaller trace was written and every confirmation replay of it
//! satisfied the predicate; 1 written but a confirmation replay did not (a flaky predicate: raise
//! `--confirm` or the wait timeout); 2 refused (bad trace, the original does not satisfy the
//! predicate, replay refused it). `cut`: 0 written, 2 refused.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use traces::edit::{self, cut::Span, Selection, Trace};
use traces::record::Derivation;

use crate::search::{self, sha256_file};
use crate::Predicate;

/// `vatrace minimize`.
#[derive(Debug, Clone, Args)]
pub struct MinimizeArgs {
    /// The trace to minimise.
    pub trace: PathBuf,
    /// Where to write the smallest trace found.
    #[arg(short, long)]
    pub output: PathBuf,
    /// What the small trace must still show: errno:NAME=ERRNO (a call of NAME fails with ERRNO
    /// on replay), diverges, leak (a request queued and never reinitialised), check:RULE (a
    /// `vatrace check` finding), or cmd:SHELL (exits 0 given the replay's JSON report on stdin).
    #[arg(long, value_name = "PREDICATE")]
    pub until: Predicate,
    /// A fault every candidate's replay injects (as `vatrace replay --inject`); the call it hits
    /// is never removed. Repeatable.
    #[arg(long, value_name = "SPEC")]
    pub inject: Vec<replay::Inject>,
    /// Replace a device node of the trace: OLD=NEW. Repeatable.
    #[arg(long = "device-map", value_name = "OLD=NEW")]
    pub device_map: Vec<replay::options::DeviceMap>,
    /// How long a candidate's replay waits for a buffer or request the recording got, in ms
    /// (candidates missing a call wait this long, so keep it short).
    #[arg(long, default_value_t = 500)]
    pub wait_timeout_ms: u32,
    /// Replays of the result that must all satisfy the predicate.
    #[arg(long, default_value_t = 3)]
    pub confirm: u32,
    /// Also write the search's numbers as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `vatrace cut`.
#[derive(Debug, Clone, Args)]
#[command(group = clap::ArgGroup::new("range").required(true))]
pub struct CutArgs {
    /// The trace to cut.
    pub trace: PathBuf,
    /// Where to write the shorter trace.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Keep these frames (OUTPUT QBUFs counted from 0, as `vatrace check` numbers them), with
    /// the set-up and tear-down: A..B (B excluded), A..=B, A.., ..B.
    #[arg(long, group = "range", value_name = "A..B")]
    pub frames: Option<Span>,
    /// Keep the ioctls with these sequence numbers and what they need from before.
    #[arg(long, group = "range", value_name = "A..B")]
    pub seq: Option<Span>,
}

/// Runs `vatrace minimize`; returns the exit code.
pub fn minimize(args: &MinimizeArgs) -> i32 {
    let mut replay = replay::ReplayOptions::new();
    replay.inject = args.inject.clone();
    replay.device_map = args.device_map.clone();
    replay.wait_timeout_ms = args.wait_timeout_ms;
    replay.progress = false;
    let opts = search::Options {
        trace: args.trace.clone(),
        output: args.output.clone(),
        predicate: args.until.clone(),
        replay,
        confirm: args.confirm,
        progress: !args.quiet,
    };
    match search::minimize(&opts) {
        Ok(out) => {
            eprintln!("vatrace: {}", out.line());
            for l in &out.levels {
                eprintln!(
                    "  {}: {} of {} units removed, {} candidates, {} ioctls left",
                    l.level, l.removed, l.units, l.candidates, l.ioctls_after
                );
            }
            if let Some(p) = &args.report {
                let json = serde_json::to_string_pretty(&out).expect("serialisable");
                if let Err(e) = std::fs::write(p, json) {
                    eprintln!("vatrace: cannot write {}: {e}", p.display());
                    return 2;
                }
            }
            if out.confirmed < out.confirm {
                eprintln!(
                    "vatrace: only {} of {} replays of the result satisfied {}: the predicate is flaky here",
                    out.confirmed, out.confirm, out.predicate
                );
                1
            } else {
                0
            }
        }
        Err(e) => {
            eprintln!("vatrace minimize: {e:#}");
            2
        }
    }
}

/// Runs `vatrace cut`.
pub fn cut(args: &CutArgs) -> i32 {
    match run_cut(args) {
        Ok(line) => {
            eprintln!("vatrace: {line}");
            0
        }
        Err(e) => {
            eprintln!("vatrace cut: {e:#}");
            2
        }
    }
}

fn run_cut(args: &CutArgs) -> Result<String> {
    let trace =
        Trace::read(&args.trace).with_context(|| format!("reading {}", args.trace.display()))?;
    let sel = match (args.frames, args.seq) {
        (Some(f), _) => Selection::Frames(f),
        (None, Some(s)) => Selection::Seq(s),
        (None, None) => anyhow::bail!("give --frames A..B or --seq A..B"),
    };
    let deps = trace.deps();
    let keep = edit::cut(&trace.records, &deps, sel);
    let all = vec![true; keep.len()];
    let (before, after) = (trace.ioctls(&all), trace.ioctls(&keep));
    if after == 0 {
        anyhow::bail!(
            "{sel} keeps no ioctl of {} ({before} ioctls); check the range with `vatrace check` (frames) or `vatrace dump` (sequence numbers)",
            args.trace.display()
        );
    }
    let derived = Derivation {
        tool: "cut".into(),
        source: args.trace.display().to_string(),
        source_sha256: sha256_file(&args.trace)?,
        how: sel.to_string(),
        ioctls_before: before,
        ioctls_after: after,
        parent: None,
    };
    let f = std::fs::File::create(&args.output)
        .with_context(|| format!("creating {}", args.output.display()))?;
    edit::write_kept(&trace, &keep, Some(derived), f)?;
    Ok(format!(
        "cut {} {sel}: {before} -> {after} ioctls ({} -> {} records); wrote {}",
        args.trace.display(),
        keep.len(),
        keep.iter().filter(|k| **k).count(),
        args.output.display()
    ))
}
