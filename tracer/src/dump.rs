//! `vatrace dump`: print a trace's header and records, one line each (the `traces` crate's
//! strace-like formatter) or one JSON object each, and say clearly where an unreadable trace
//! breaks after printing everything before it.

use std::io::Write;

use anyhow::{Context as _, Result};
use traces::{dump::Dumper, TraceReader};

/// Prints the trace at `path`; errors (after printing what was readable) if it is cut or corrupt.
pub fn run(path: &std::path::Path, json: bool) -> Result<()> {
    let mut reader =
        TraceReader::open(path).with_context(|| format!("reading {}", path.display()))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut dumper = Dumper::new(reader.header());
    if json {
        writeln!(out, "{}", serde_json::to_string(reader.header())?)?;
    } else {
        write!(out, "{}", traces::dump::format_header(reader.header()))?;
    }
    while let Some(rec) = reader.next_record() {
        match rec {
            Ok(r) => {
                let line = if json {
                    dumper.json_line(&r)
                } else {
                    dumper.line(&r)
                };
                if let Err(e) = writeln!(out, "{line}") {
                    // A closed pipe (`vatrace dump … | head`) is not an error.
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        return Ok(());
                    }
                    return Err(e.into());
                }
            }
            Err(e) => {
                out.flush()?;
                return Err(e).with_context(|| format!("{} is damaged", path.display()));
            }
        }
    }
    out.flush()?;
    Ok(())
}
