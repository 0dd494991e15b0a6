//! `vatrace replay` as a command: runs [`crate::run`] (or `--compare`), prints the report (text
//! or `--json`) and turns the verdict into an exit code: 0 same, [`EXIT_DIVERGED`],
//! [`EXIT_ERROR`] (refused or failed), [`EXIT_INCOMPLETE`].

use std::process::ExitCode;

use crate::options::Args;
use crate::report::{compare_reports, Report};

/// Exit code of a replay that diverged from its recording (without `--allow-divergence`).
pub const EXIT_DIVERGED: u8 = 1;
/// Exit code of a replay refused or failed before or while running (bad trace, wrong device).
pub const EXIT_ERROR: u8 = 2;
/// Exit code of an INCOMPLETE replay (lost events, too little replayed) that did not diverge
/// (without `--allow-incomplete`).
pub const EXIT_INCOMPLETE: u8 = 3;

/// Runs `vatrace replay` with parsed arguments; returns the process's exit code.
pub fn main_with(args: &Args) -> ExitCode {
    ExitCode::from(exit_code(args))
}

/// Runs `vatrace replay` with parsed arguments; returns the exit code as a number
/// ([`EXIT_DIVERGED`], [`EXIT_ERROR`], [`EXIT_INCOMPLETE`] or 0).
pub fn exit_code(args: &Args) -> u8 {
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vatrace replay: {e:#}");
            EXIT_ERROR
        }
    }
}

/// The exit code of a finished replay: a divergence first (a finding, even on a trace with
/// holes), then an incomplete verdict.
pub fn verdict_code(report: &Report, allow_divergence: bool, allow_incomplete: bool) -> u8 {
    if report.diverged() && !allow_divergence {
        EXIT_DIVERGED
    } else if report.is_incomplete() && !allow_incomplete {
        EXIT_INCOMPLETE
    } else {
        0
    }
}

fn load(path: &std::path::Path) -> anyhow::Result<Report> {
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: not a replay report (--json output): {e}",
            path.display()
        )
    })
}

fn run(args: &Args) -> anyhow::Result<u8> {
    if let Some(pair) = &args.compare {
        let (a, b) = (load(&pair[0])?, load(&pair[1])?);
        let (text, same) = compare_reports(&a, &b);
        print!("{text}");
        return Ok(if same { 0 } else { EXIT_DIVERGED });
    }
    let Some(trace) = &args.trace else {
        anyhow::bail!("no trace given")
    };
    let report = crate::run(trace, &args.options())?;
    let json = serde_json::to_string_pretty(&report)?;
    if let Some(p) = &args.report {
        std::fs::write(p, &json).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
    }
    if args.json {
        println!("{json}");
    } else {
        print!("{}", report.text());
    }
    Ok(verdict_code(
        &report,
        args.allow_divergence,
        args.allow_incomplete,
    ))
}
