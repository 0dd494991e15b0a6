//! What "the trace still shows the bug" means for `vatrace minimize --until PREDICATE`:
//!
//! * `errno:NAME=ERRNO` — replaying the candidate, a `NAME` ioctl fails with `ERRNO`
//!   (`errno:VIDIOC_REQBUFS=EBUSY`);
//! * `diverges` — the replay diverges from the recording at a call of the same name as the
//!   original trace's first divergence;
//! * `leak` — the replay leaves a request queued and never reinitialised (a request queued
//!   successfully: one whose QUEUE failed is not a leak);
//! * `check:RULE` — `vatrace check` finds `RULE` (`check:request-starved`) in the candidate, and
//!   the candidate replays (not refused, not INCOMPLETE);
//!
//! `leak` and `check:RULE` also want the replay *faithful*: unless a fault is injected, every call
//! that failed in the recording fails the same way, no other call fails, and every wait the
//! recording saw end (poll on a request) ends. Other differences (buffer indices, `sequence`
//! counters, formats the kernel adjusts) follow from removing calls and are allowed; a call
//! answering otherwise would mean the candidate made its own bug (a QUEUE failing for want of
//! the QBUF that was cut, say), not kept the recorded one.
//! * `cmd:SHELL` — `sh -c SHELL` exits 0, given the replay's JSON report on stdin and the
//!   candidate's path in `VATRACE_CANDIDATE`.

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::str::FromStr;

use anyhow::{bail, Context, Result};
use replay::Report;

/// A predicate (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Predicate {
    Errno {
        ioctl: String,
        errno: i32,
    },
    /// The call name of the original's first divergence, once the original was judged.
    Diverges(Option<String>),
    Leak,
    Check(String),
    Cmd(String),
}

const FORMS: &str = "errno:NAME=ERRNO (e.g. errno:VIDIOC_REQBUFS=EBUSY), diverges, leak, \
                     check:RULE (e.g. check:request-starved) or cmd:SHELL";

impl FromStr for Predicate {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(rest) = s.strip_prefix("errno:") {
            let (name, errno) = rest.split_once('=').ok_or_else(|| {
                format!("--until {s:?}: write errno:NAME=ERRNO, e.g. errno:VIDIOC_REQBUFS=EBUSY")
            })?;
            let name = name.trim().to_ascii_uppercase();
            if traces::ioctl::by_name(&name).is_none() {
                return Err(format!(
                    "--until {s:?}: {name} is not an ioctl vatrace knows"
                ));
            }
            let errno = replay::sys::errno_by_name(errno.trim()).ok_or_else(|| {
                format!(
                    "--until {s:?}: unknown errno {errno:?} (a name such as EBUSY, or a number)"
                )
            })?;
            return Ok(Predicate::Errno { ioctl: name, errno });
        }
        if let Some(rule) = s.strip_prefix("check:") {
            if rule.trim().is_empty() {
                return Err(format!("--until {s:?}: name a rule, e.g. check:request-starved (traces/CHECK.md lists them)"));
            }
            return Ok(Predicate::Check(rule.trim().to_string()));
        }
        if let Some(cmd) = s.strip_prefix("cmd:") {
            if cmd.trim().is_empty() {
                return Err(format!("--until {s:?}: give a shell command after cmd:"));
            }
            return Ok(Predicate::Cmd(cmd.to_string()));
        }
        match s {
            "diverges" => Ok(Predicate::Diverges(None)),
            "leak" => Ok(Predicate::Leak),
            _ => Err(format!("--until {s:?} is not a predicate: use {FORMS}")),
        }
    }
}

impl fmt::Display for Predicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Predicate::Errno { ioctl, errno } => {
                write!(f, "errno:{ioctl}={}", replay::sys::errno_name(*errno))
            }
            Predicate::Diverges(_) => write!(f, "diverges"),
            Predicate::Leak => write!(f, "leak"),
            Predicate::Check(r) => write!(f, "check:{r}"),
            Predicate::Cmd(c) => write!(f, "cmd:{c}"),
        }
    }
}

/// Whether `report` (the replay of the trace at `trace`) failed `name` with `errno`.
fn failed_with(report: &Report, name: &str, errno: i32) -> bool {
    let want = format!("-{}", replay::sys::errno_name(errno));
    report
        .recorded_failures
        .iter()
        .any(|f| f.call == name && f.replayed == want)
        || report
            .first_divergence
            .as_ref()
            .is_some_and(|d| d.call == name && d.replayed.contains(&want[1..]))
        || report
            .injections
            .iter()
            .any(|i| i.call.split('#').next() == Some(name) && i.injected == want)
}

/// Whether the replay did what the recording did (see the module doc).
pub fn faithful(report: &Report) -> bool {
    if !report.injections.is_empty() {
        return true;
    }
    let failures = &report.recorded_failures;
    // The report keeps the first 64 recorded failures: beyond that the count cannot be compared.
    let same_failures = failures.iter().all(|f| f.reproduced)
        && (failures.len() >= 64 || report.pool.errors == failures.len() as u64);
    let waits_end = !report
        .divergences_by_call
        .keys()
        .any(|k| k.starts_with("poll") || k.starts_with("ppoll") || k == "mmap");
    same_failures && waits_end
}

/// Whether the check rule `rule` fires on the trace at `trace`.
pub fn check_finds(trace: &Path, rule: &str) -> Result<bool> {
    let t =
        traces::edit::Trace::read(trace).with_context(|| format!("reading {}", trace.display()))?;
    let records: Vec<traces::Record> = t
        .records
        .into_iter()
        .chain(t.end.map(traces::Record::End))
        .collect();
    let findings = traces::check::check_all(&t.header, None, &records);
    Ok(findings.iter().any(|f| f.rule == rule))
}

impl Predicate {
    /// Fixes what the predicate learns from the original's replay (the call `diverges` looks
    /// for); an error when the original does not satisfy it.
    pub fn learn(&mut self, original: &Report) -> Result<()> {
        if let Predicate::Diverges(call) = self {
            match &original.first_divergence {
                Some(d) => *call = Some(d.call.clone()),
                None => bail!(
                    "the original trace replays without a divergence, so `--until diverges` has nothing to keep; \
                     pick another predicate (errno:NAME=ERRNO, leak, check:RULE, cmd:SHELL) or inject a fault with --inject"
                ),
            }
        }
        Ok(())
    }

    /// Whether the candidate at `trace`, whose replay gave `report`, still shows the bug.
    pub fn holds(&self, trace: &Path, report: &Report) -> Result<bool> {
        Ok(match self {
            Predicate::Errno { ioctl, errno } => failed_with(report, ioctl, *errno),
            Predicate::Diverges(call) => match (&report.first_divergence, call) {
                (Some(d), Some(c)) => &d.call == c,
                (Some(_), None) => true,
                (None, _) => false,
            },
            Predicate::Leak => leaked(report) && faithful(report),
            Predicate::Check(rule) => {
                !report.is_incomplete() && faithful(report) && check_finds(trace, rule)?
            }
            Predicate::Cmd(cmd) => {
                let json = serde_json::to_vec(report)?;
                let mut child = Command::new("sh")
                    .arg("-c")
                    .arg(cmd)
                    .env("VATRACE_CANDIDATE", trace)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .spawn()
                    .with_context(|| format!("running sh -c {cmd:?}"))?;
                if let Some(mut stdin) = child.stdin.take() {
                    // A command that does not read its input closes the pipe early: not an error.
                    let _ = stdin.write_all(&json);
                }
                child.wait()?.success()
            }
        })
    }
}

/// Whether the replay's check findings (the same rules `vatrace check` runs) name a request
/// whose slot leaked: queued, completed and never REINIT'd before its fd was closed.
pub fn leaked(report: &Report) -> bool {
    report.findings.iter().any(|f| f.rule == "request-leak")
}

#[cfg(test)]
mod tests {
    use super::*;
    use replay::report::{Divergence, Failure};

    #[test]
    fn parses_every_form_and_refuses_the_rest() {
        assert_eq!(
            "errno:vidioc_reqbufs=EBUSY".parse::<Predicate>().unwrap(),
            Predicate::Errno {
                ioctl: "VIDIOC_REQBUFS".into(),
                errno: libc::EBUSY
            }
        );
        assert_eq!("leak".parse::<Predicate>().unwrap(), Predicate::Leak);
        assert_eq!(
            "check:request-starved".parse::<Predicate>().unwrap(),
            Predicate::Check("request-starved".into())
        );
        assert!(matches!(
            "cmd:true".parse::<Predicate>().unwrap(),
            Predicate::Cmd(_)
        ));
        assert!("errno:VIDIOC_NOPE=EBUSY"
            .parse::<Predicate>()
            .unwrap_err()
            .contains("not an ioctl"));
        assert!("errno:VIDIOC_REQBUFS=EWHAT".parse::<Predicate>().is_err());
        assert!("slow"
            .parse::<Predicate>()
            .unwrap_err()
            .contains("errno:NAME=ERRNO"));
        let p: Predicate = "errno:VIDIOC_REQBUFS=EBUSY".parse().unwrap();
        assert_eq!(p.to_string(), "errno:VIDIOC_REQBUFS=EBUSY");
    }

    fn failure(call: &str, replayed: &str) -> Failure {
        Failure {
            seq: 3,
            call: call.into(),
            recorded: "-EBUSY".into(),
            replayed: replayed.into(),
            reproduced: replayed == "-EBUSY",
        }
    }

    #[test]
    fn judges_reports() {
        let t = Path::new("/nonexistent");
        let p: Predicate = "errno:VIDIOC_REQBUFS=EBUSY".parse().unwrap();
        let mut r = Report::default();
        assert!(!p.holds(t, &r).unwrap());
        r.recorded_failures.push(failure("VIDIOC_REQBUFS", "0"));
        assert!(!p.holds(t, &r).unwrap());
        r.recorded_failures
            .push(failure("VIDIOC_REQBUFS", "-EBUSY"));
        assert!(p.holds(t, &r).unwrap());

        let mut leak = Report::default();
        assert!(!Predicate::Leak.holds(t, &leak).unwrap());
        leak.pool.requests_leaked = 1;
        assert!(
            !Predicate::Leak.holds(t, &leak).unwrap(),
            "a failed request is no leak"
        );
        leak.findings.push(traces::check::Finding {
            severity: traces::check::Severity::Error,
            rule: "request-leak".into(),
            record: 12,
            seq: None,
            ts: None,
            frame: Some(3),
            pid: None,
            request_fd: Some(12),
            statement: "request fd 12 was never REINIT'd".into(),
            explanation: String::new(),
            source: "test".into(),
        });
        assert!(Predicate::Leak.holds(t, &leak).unwrap());
        // A call that succeeded when recorded fails on replay: the candidate made its own bug.
        let mut made_up = leak.clone();
        made_up.pool.errors = 1;
        assert!(!Predicate::Leak.holds(t, &made_up).unwrap());
        // The recorded failure, reproduced: faithful.
        made_up
            .recorded_failures
            .push(failure("VIDIOC_DQBUF", "-EBUSY"));
        assert!(Predicate::Leak.holds(t, &made_up).unwrap());
        // A wait the recording saw end times out.
        made_up.divergences_by_call.insert("poll(fd 7)".into(), 1);
        assert!(!Predicate::Leak.holds(t, &made_up).unwrap());

        let mut d: Predicate = "diverges".parse().unwrap();
        assert!(d.learn(&Report::default()).is_err());
        let mut div = Report {
            first_divergence: Some(Divergence {
                seq: 1,
                call: "VIDIOC_DQBUF".into(),
                fields: Vec::new(),
                recorded: String::new(),
                replayed: String::new(),
            }),
            ..Default::default()
        };
        d.learn(&div).unwrap();
        assert!(d.holds(t, &div).unwrap());
        div.first_divergence.as_mut().unwrap().call = "VIDIOC_QBUF".into();
        assert!(!d.holds(t, &div).unwrap());

        let yes: Predicate = "cmd:grep -q request-leak".parse().unwrap();
        assert!(yes.holds(t, &leak).unwrap());
        let no: Predicate = "cmd:test \"$VATRACE_CANDIDATE\" = /elsewhere"
            .parse()
            .unwrap();
        assert!(!no.holds(t, &leak).unwrap());
    }
}
