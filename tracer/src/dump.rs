//! `vatrace dump`: print a trace's header and records, one line each (or JSON lines), and say
//! clearly where an unreadable trace breaks after printing everything before it.

use std::io::Write;

use anyhow::{Context as _, Result};
use traces::{Record, TraceReader};

// TODO(traces::dump): use the `traces` crate's strace-like formatter once traces/src/dump.rs
// lands; until then this prints a compact generic line per record.
fn line(r: &Record) -> String {
    match r {
        Record::Ioctl(i) => format!(
            "{:>14} {}/{} ioctl(fd={}, {:#010x}, {:#x}) = {} [{}+{} bytes, {} payloads] {}us",
            i.ts_enter,
            i.pid,
            i.tid,
            i.fd,
            i.request,
            i.arg,
            i.ret,
            i.before.len(),
            i.after.len(),
            i.payloads.len(),
            i.duration_ns() / 1000
        ),
        other => {
            let ts = other.ts().map(|t| t.to_string()).unwrap_or_default();
            let mut json = serde_json::to_string(other).unwrap_or_default();
            if json.len() > 300 {
                json.truncate(300);
                json.push('…');
            }
            format!("{ts:>14} {json}")
        }
    }
}

/// Prints the trace at `path`; errors (after printing what was readable) if it is cut or corrupt.
pub fn run(path: &std::path::Path, json: bool) -> Result<()> {
    let mut reader = TraceReader::open(path).with_context(|| format!("reading {}", path.display()))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        writeln!(out, "{}", serde_json::to_string(reader.header())?)?;
    } else {
        let h = reader.header();
        writeln!(
            out,
            "# vatrace trace v{}.{} by {}: kernel {} {}, command {:?}, root pid {}, {} devices",
            h.format_version,
            h.format_minor,
            h.vatrace_version,
            h.kernel_release,
            h.machine,
            h.command,
            h.root_pid,
            h.devices.len()
        )?;
    }
    while let Some(rec) = reader.next_record() {
        match rec {
            Ok(r) => {
                if json {
                    writeln!(out, "{}", serde_json::to_string(&r)?)?;
                } else {
                    writeln!(out, "{}", line(&r))?;
                }
            }
            Err(e) => {
                out.flush()?;
                return Err(e).with_context(|| format!("{} is damaged", path.display()));
            }
        }
    }
    Ok(())
}
