//! `vatrace check`: judges a trace file with the rules of `traces::check` (request API,
//! videobuf2, codec controls, a hardware profile) and prints the findings, as text or as one
//! JSON document. Reads the trace one record at a time; a cut trace is checked up to where it
//! ends, and a note says so. Exit code: 0 without errors, 1 with errors, 2 when the trace cannot
//! be read at all.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use traces::check::{Checker, Finding, Profile, Severity};
use traces::TraceReader;

/// Exit code when a finding is an error.
pub const EXIT_ERRORS: i32 = 1;
/// Exit code when the command was misused (an unknown profile) or the trace cannot be opened.
pub const EXIT_USAGE: i32 = 2;

/// Runs `vatrace check FILE [--profile NAME] [--json]`; returns the exit code.
pub fn run(path: &Path, profile: Option<&str>, json: bool) -> Result<i32> {
    let profile = match profile.map(Profile::parse).transpose() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("vatrace check: {e}");
            return Ok(EXIT_USAGE);
        }
    };
    let mut reader = match TraceReader::open(path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vatrace check: reading {}: {e}", path.display());
            return Ok(EXIT_USAGE);
        }
    };
    let mut checker = Checker::new(reader.header(), profile);
    let mut findings: Vec<Finding> = Vec::new();
    let mut cut = None;
    while let Some(rec) = reader.next_record() {
        match rec {
            Ok(r) => {
                checker.apply(&r);
                findings.extend(checker.drain());
            }
            Err(e) => {
                cut = Some(format!("{} {e}", path.display()));
                break;
            }
        }
    }
    findings.extend(checker.finish(cut.as_deref()));
    let summary = checker.summary();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let profile_name = checker.profile().map_or("none", Profile::name);
    if json {
        let doc = serde_json::json!({
            "trace": path.display().to_string(),
            "profile": checker.profile().map(Profile::name),
            "cut": cut,
            "summary": summary,
            "findings": findings,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        for f in &findings {
            writeln!(out, "{f}")?;
        }
        writeln!(
            out,
            "{}: {} records, {} ioctls, {} frames checked (profile {profile_name}){}: {} errors, {} warnings, {} notes",
            path.display(),
            summary.records,
            summary.ioctls,
            summary.frames,
            if cut.is_some() { ", trace cut" } else { "" },
            summary.errors,
            summary.warnings,
            summary.notes
        )?;
    }
    out.flush()?;
    Ok(if findings.iter().any(|f| f.severity == Severity::Error) {
        EXIT_ERRORS
    } else {
        0
    })
}
