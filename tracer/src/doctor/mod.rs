//! `vatrace doctor`: checks what recording, replaying and the libva driver need on this machine
//! (privileges, BTF, tracefs, the eBPF attachments the kernel allows, the V4L2 stateless decoders
//! of the media graph, libva and the project's driver) and says for each one what it found and
//! how to fix it. Exits 0 when `vatrace record` would work.

mod kernel;
mod libva;
mod media;

use anyhow::Result;
use serde_json::{json, Value};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Present and working.
    Ok,
    /// Missing or refused, but `vatrace record` works without it.
    Warn,
    /// `vatrace record` cannot work until this is fixed.
    Fail,
}

impl Verdict {
    fn word(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Warn => "warn",
            Verdict::Fail => "FAIL",
        }
    }
}

/// One check: what was looked at, the verdict in one line, and the fix when it is not ok.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: &'static str,
    pub verdict: Verdict,
    pub says: String,
    pub fix: Option<String>,
}

impl Check {
    pub fn ok(name: &'static str, says: impl Into<String>) -> Check {
        Check {
            name,
            verdict: Verdict::Ok,
            says: says.into(),
            fix: None,
        }
    }

    pub fn warn(name: &'static str, says: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name,
            verdict: Verdict::Warn,
            says: says.into(),
            fix: Some(fix.into()),
        }
    }

    pub fn fail(name: &'static str, says: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name,
            verdict: Verdict::Fail,
            says: says.into(),
            fix: Some(fix.into()),
        }
    }

    fn text(&self) -> String {
        let mut s = format!("{:<4}  {}: {}", self.verdict.word(), self.name, self.says);
        if let Some(fix) = &self.fix {
            s.push_str(&format!("\n      fix: {fix}"));
        }
        s
    }

    fn json(&self) -> Value {
        json!({
            "check": self.name,
            "verdict": self.verdict.word().to_lowercase(),
            "says": self.says,
            "fix": self.fix,
        })
    }
}

/// Runs every check in order, printing each as it completes (text) or all at the end (JSON).
/// Returns the exit code: 0 when recording would work, 1 otherwise.
pub fn run(json_out: bool) -> Result<i32> {
    let mut checks = Vec::new();
    let mut emit = |c: Check| {
        if !json_out {
            println!("{}", c.text());
        }
        checks.push(c);
    };
    let privileged = kernel::privileges();
    let may_load = privileged.verdict == Verdict::Ok;
    emit(privileged);
    emit(kernel::btf());
    emit(kernel::tracefs());
    for c in kernel::attachments(may_load) {
        emit(c);
    }
    emit(media::decoders());
    for c in libva::checks() {
        emit(c);
    }
    emit(kernel::record(may_load));
    let record_works = checks.iter().all(|c| c.verdict != Verdict::Fail);
    if json_out {
        let v = json!({
            "record_would_work": record_works,
            "checks": checks.iter().map(Check::json).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else if record_works {
        println!("vatrace record would work here");
    } else {
        println!("vatrace record would not work here: fix the FAIL lines above");
    }
    Ok(if record_works { 0 } else { 1 })
}
