//! `vatrace replay` as a command: runs [`crate::run`] (or `--compare`), prints the report (text
//! or `--json`) and turns the verdict into an exit code.

use std::process::ExitCode;

use crate::options::Args;
use crate::report::{compare_reports, Report};

/// Exit code of a replay that diverged from its recording (without `--allow-divergence`).
pub const EXIT_DIVERGED: u8 = 1;
/// Exit code of a replay refused or failed before or while running (bad trace, wrong device).
pub const EXIT_ERROR: u8 = 2;

/// Runs `vatrace replay` with parsed arguments; returns the process's exit code.
pub fn main_with(args: &Args) -> ExitCode {
    match run(args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("vatrace replay: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
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
    Ok(if report.diverged() && !args.allow_divergence {
        EXIT_DIVERGED
    } else {
        0
    })
}
