//! `vatrace diff A B`: compares two traces of the same stream frame by frame (the `traces::diff`
//! module) and prints what differs, as text or one JSON object. Exit codes: 0 same, 1 different,
//! 2 refused (not the same stream, or a trace that cannot be opened).

use std::path::PathBuf;

use traces::diff::{compare_threaded, DiffError, Input, Options};
use traces::TraceReader;

/// `vatrace diff`'s arguments.
#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The first trace (A).
    pub a: PathBuf,
    /// The second trace (B).
    pub b: PathBuf,
    /// Leave out a field: its full name (`h264_sps.level_idc`), a prefix (`h264_sps`, `calls`,
    /// `stream`), or a pattern with `*` (`*.reserved`). Repeatable.
    #[arg(long = "ignore", value_name = "FIELD")]
    pub ignore: Vec<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Exit code when the traces differ.
pub const EXIT_DIFFERENT: i32 = 1;
/// Exit code when no comparison was made.
pub const EXIT_REFUSED: i32 = 2;

/// Runs the comparison and prints the report; returns the exit code.
pub fn run(args: &DiffArgs) -> i32 {
    let open = |p: &PathBuf| {
        TraceReader::open(p).map_err(|e| {
            format!(
                "vatrace diff: cannot read {}: {e} (is it a vatrace trace?)",
                p.display()
            )
        })
    };
    let (ra, rb) = match (open(&args.a), open(&args.b)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            return EXIT_REFUSED;
        }
    };
    let opts = Options {
        ignore: args.ignore.clone(),
    };
    let report = match compare_threaded(
        Input {
            label: args.a.display().to_string(),
            records: ra,
        },
        Input {
            label: args.b.display().to_string(),
            records: rb,
        },
        &opts,
    ) {
        Ok(r) => r,
        Err(DiffError::Refused(why)) => {
            if args.json {
                println!("{}", serde_json::json!({ "refused": why }));
            }
            eprintln!("vatrace diff: refused: {why}");
            return EXIT_REFUSED;
        }
    };
    if args.json {
        let mut v = serde_json::to_value(&report).unwrap_or_default();
        v["summary"] = report.summary().into();
        v["different"] = report.differs().into();
        println!("{v}");
    } else {
        print!("{}", report.text());
    }
    if report.differs() {
        EXIT_DIFFERENT
    } else {
        0
    }
}
