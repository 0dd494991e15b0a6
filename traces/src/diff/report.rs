//! What `vatrace diff` found: per differing field the frames where it differs (as ranges) and
//! the first few pairs of values, the first differing frame in full, the stream-level
//! differences, notes (cut traces, lost events), and the text and JSON renderings.
//! Memory is bounded by the number of distinct fields, not by the trace.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Serialize;

/// How many frame ranges a field keeps (the rest are counted).
pub const RANGES_KEEP: usize = 32;
/// How many value pairs a field keeps as examples.
pub const EXAMPLES_KEEP: usize = 3;

/// One side's identity and reading outcome.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SideSummary {
    /// The name given on the command line.
    pub label: String,
    /// Records read.
    pub records: u64,
    /// Decode units (OUTPUT QBUFs) found.
    pub frames: u64,
    /// Whether the trace ended with its `End` record.
    pub complete: bool,
    /// Why reading stopped early, for a cut or damaged trace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut: Option<String>,
    /// Events the tracer lost while recording.
    pub lost: u64,
}

/// A pair of values of one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Example {
    /// Where: a frame label (`12`, `12.1` for slice 1 of frame 12), or `stream`.
    pub frame: String,
    pub a: Option<String>,
    pub b: Option<String>,
}

/// Consecutive frames (decode ordinals) where a field differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrameRange {
    pub first: u64,
    pub last: u64,
    /// Labels of the first and last frame.
    pub from: String,
    pub to: String,
}

/// One field that differs.
#[derive(Debug, Clone, Serialize)]
pub struct FieldDiff {
    pub field: String,
    /// Frames where it differs (0 for a stream-level field).
    pub frames: u64,
    pub ranges: Vec<FrameRange>,
    /// Ranges not kept (past [`RANGES_KEEP`]).
    pub more_ranges: u64,
    pub examples: Vec<Example>,
}

/// The first frame that differs, in full.
#[derive(Debug, Clone, Serialize)]
pub struct FirstDiff {
    pub frame: String,
    pub ordinal: u64,
    /// Sequence numbers of the OUTPUT QBUF in each trace.
    pub seq_a: u64,
    pub seq_b: u64,
    pub calls_a: String,
    pub calls_b: String,
    /// Each control as one line (`vatrace dump`'s summaries).
    pub controls_a: Vec<String>,
    pub controls_b: Vec<String>,
    /// The fields that differ.
    pub differing: Vec<(String, Option<String>, Option<String>)>,
    /// Every compared field of each side.
    pub fields_a: Vec<(String, String)>,
    pub fields_b: Vec<(String, String)>,
}

/// The result of a comparison.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub a: SideSummary,
    pub b: SideSummary,
    /// Frames present in both traces and compared.
    pub frames_compared: u64,
    /// Of those, frames with at least one differing field (after `--ignore`).
    pub frames_differing: u64,
    /// Differing fields, in the order they first differed.
    pub fields: Vec<FieldDiff>,
    pub first: Option<FirstDiff>,
    pub notes: Vec<String>,
    /// The `--ignore` patterns applied.
    pub ignored: Vec<String>,
    #[serde(skip)]
    pub(crate) index: HashMap<String, usize>,
}

impl Report {
    /// Whether anything differs.
    pub fn differs(&self) -> bool {
        !self.fields.is_empty()
    }

    /// Records that `field` differs at frame `ordinal` (labelled `label`), or at stream level
    /// when `ordinal` is `None`.
    pub fn add(
        &mut self,
        field: &str,
        ordinal: Option<u64>,
        label: &str,
        a: Option<&str>,
        b: Option<&str>,
    ) {
        let i = match self.index.get(field) {
            Some(&i) => i,
            None => {
                self.fields.push(FieldDiff {
                    field: field.to_string(),
                    frames: 0,
                    ranges: Vec::new(),
                    more_ranges: 0,
                    examples: Vec::new(),
                });
                self.index.insert(field.to_string(), self.fields.len() - 1);
                self.fields.len() - 1
            }
        };
        let f = &mut self.fields[i];
        if let Some(n) = ordinal {
            f.frames += 1;
            let kept = f.ranges.len();
            match f.ranges.last_mut() {
                Some(r) if r.last + 1 == n => {
                    r.last = n;
                    r.to = label.to_string();
                }
                _ if kept >= RANGES_KEEP => f.more_ranges += 1,
                _ => f.ranges.push(FrameRange {
                    first: n,
                    last: n,
                    from: label.to_string(),
                    to: label.to_string(),
                }),
            }
        }
        if f.examples.len() < EXAMPLES_KEEP {
            let ex = Example {
                frame: label.to_string(),
                a: a.map(str::to_string),
                b: b.map(str::to_string),
            };
            // Keep distinct pairs of values.
            if !f.examples.iter().any(|e| e.a == ex.a && e.b == ex.b) {
                f.examples.push(ex);
            }
        }
    }

    /// The one-line verdict.
    pub fn summary(&self) -> String {
        if !self.differs() {
            return format!(
                "same: {} frames compared, no difference{}",
                self.frames_compared,
                if self.ignored.is_empty() {
                    String::new()
                } else {
                    format!(" (ignoring {})", self.ignored.join(", "))
                }
            );
        }
        let names: Vec<&str> = self.fields.iter().map(|f| f.field.as_str()).collect();
        let shown = names.len().min(8);
        format!(
            "different: {} of {} frames differ; {} field{} differ{}: {}{}",
            self.frames_differing,
            self.frames_compared,
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            if names.len() == 1 { "s" } else { "" },
            names[..shown].join(", "),
            if names.len() > shown { ", …" } else { "" }
        )
    }

    /// The human-readable report.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for (tag, side) in [("A", &self.a), ("B", &self.b)] {
            let _ = writeln!(
                s,
                "{tag}: {} ({} records, {} frames{}{})",
                side.label,
                side.records,
                side.frames,
                if side.complete { "" } else { ", cut" },
                if side.lost > 0 {
                    format!(", {} events lost", side.lost)
                } else {
                    String::new()
                }
            );
        }
        for n in &self.notes {
            let _ = writeln!(s, "note: {n}");
        }
        for f in &self.fields {
            if f.frames == 0 {
                let _ = writeln!(s, "\n{} (stream)", f.field);
            } else {
                let ranges: Vec<String> = f
                    .ranges
                    .iter()
                    .map(|r| {
                        if r.first == r.last {
                            r.from.clone()
                        } else {
                            format!("{}-{}", r.from, r.to)
                        }
                    })
                    .collect();
                let _ = writeln!(
                    s,
                    "\n{}: differs in {} of {} frames: {}{}",
                    f.field,
                    f.frames,
                    self.frames_compared,
                    ranges.join(", "),
                    if f.more_ranges > 0 {
                        format!(" and {} more ranges", f.more_ranges)
                    } else {
                        String::new()
                    }
                );
            }
            for e in &f.examples {
                let _ = writeln!(
                    s,
                    "    {}: A {}  B {}",
                    if f.frames == 0 {
                        "stream".to_string()
                    } else {
                        format!("frame {}", e.frame)
                    },
                    e.a.as_deref().unwrap_or("(absent)"),
                    e.b.as_deref().unwrap_or("(absent)")
                );
            }
        }
        if let Some(d) = &self.first {
            let _ = writeln!(
                s,
                "\nfirst differing frame: {} (decode ordinal {}; A's OUTPUT QBUF is record #{}, B's #{})",
                d.frame, d.ordinal, d.seq_a, d.seq_b
            );
            let _ = writeln!(s, "  A calls: {}", d.calls_a);
            let _ = writeln!(s, "  B calls: {}", d.calls_b);
            for c in &d.controls_a {
                let _ = writeln!(s, "  A {c}");
            }
            for c in &d.controls_b {
                let _ = writeln!(s, "  B {c}");
            }
            for (k, a, b) in &d.differing {
                let _ = writeln!(
                    s,
                    "  * {k}: A {}  B {}",
                    a.as_deref().unwrap_or("(absent)"),
                    b.as_deref().unwrap_or("(absent)")
                );
            }
        }
        let _ = writeln!(s, "\n{}", self.summary());
        s
    }
}
