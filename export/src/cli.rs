//! The `vatrace export` command line: which format, which trace, which output file.

use std::path::PathBuf;

use crate::Format;

/// `vatrace export`: a trace as a Perfetto timeline, Chrome JSON, or a picture of the pools.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("format").required(true).args(["perfetto", "json", "svg", "png"])))]
pub struct ExportArgs {
    /// Perfetto's protobuf trace (open it in ui.perfetto.dev): threads' calls, request and
    /// buffer lanes, counters, frame flows, check findings, the libva driver's probe records.
    #[arg(long)]
    pub perfetto: bool,
    /// Chrome trace-event JSON of the same timeline.
    #[arg(long)]
    pub json: bool,
    /// An SVG picture of pool occupancy over time and frame latency.
    #[arg(long)]
    pub svg: bool,
    /// The same picture as PNG.
    #[arg(long)]
    pub png: bool,
    /// The trace to export.
    pub trace: PathBuf,
    /// The file to write.
    #[arg(short, long)]
    pub output: PathBuf,
}

impl ExportArgs {
    pub fn format(&self) -> Format {
        if self.perfetto {
            Format::Perfetto
        } else if self.json {
            Format::Json
        } else if self.svg {
            Format::Svg
        } else {
            Format::Png
        }
    }
}

/// Runs `vatrace export`; prints what was written. Exit code 0.
pub fn run(args: &ExportArgs) -> anyhow::Result<i32> {
    let s = crate::export_file(&args.trace, args.format(), &args.output)?;
    eprintln!(
        "{}: {} records, {} tracks, {} slices, {} frame flows, {} instants",
        args.output.display(),
        s.records,
        s.tracks,
        s.slices,
        s.flows,
        s.instants
    );
    Ok(0)
}
