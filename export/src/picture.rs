//! The picture of the pools: request slots and CAPTURE buffers as lanes over time, each slice
//! coloured by state, failed calls marked with a red line and their name, and a histogram of
//! frame latency (a frame's first S_EXT_CTRLS/QBUF to the DQBUF of its CAPTURE buffer), drawn
//! with plotters as SVG or PNG. Gathers the lanes' slices while the timeline is built.
//!
//! Where the libva driver force-released a request slot or marked it dead (`Record::Probe`, put
//! on the request's lane by the builder, category `driver`), the lane has a small triangle:
//! [`DRIVER_COLOUR`] for a force-release, [`ERROR_COLOUR`] for a dead slot.

use std::path::Path;

use anyhow::Context as _;
use plotters::coord::Shift;
use plotters::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::timeline::{Event, EventKind, Pool, Sink, Track, TrackId};

/// Lane colours by state: requests and CAPTURE buffers use different colours for the same word,
/// so a reader (or a test) can tell a queued buffer from a queued request.
pub fn state_colour(pool: Pool, state: &str) -> RGBColor {
    match (pool, state) {
        (Pool::Requests, "alloc") => RGBColor(0xc7, 0xc7, 0xc7),
        (Pool::Requests, "bound") => RGBColor(0xff, 0x7f, 0x0e),
        (Pool::Requests, "queued") => RGBColor(0x17, 0xbe, 0xcf),
        (Pool::Requests, "complete") => RGBColor(0xbc, 0xbd, 0x22),
        (Pool::Requests, "reinit") => RGBColor(0xdb, 0xdb, 0x8d),
        (Pool::Requests, _) => RGBColor(0xe3, 0x77, 0xc2),
        (_, "in-req") => RGBColor(0x94, 0x67, 0xbd),
        (_, "queued") => RGBColor(0x1f, 0x77, 0xb4),
        (_, "held") => RGBColor(0x2c, 0xa0, 0x2c),
        _ => RGBColor(0x7f, 0x7f, 0x7f),
    }
}

/// The colour of failed-call markers and failed states' outlines.
pub const ERROR_COLOUR: RGBColor = RGBColor(0xd6, 0x27, 0x28);
/// The colour of the driver's force-release marks on request lanes (dead slots: [`ERROR_COLOUR`]).
pub const DRIVER_COLOUR: RGBColor = RGBColor(0x33, 0x33, 0x33);
const HIST_COLOUR: RGBColor = RGBColor(0x8c, 0x56, 0x4b);

const WIDTH: u32 = 1400;
const LANE_PX: u32 = 18;
const HIST_PX: u32 = 260;
const LEFT_PX: u32 = 170;

/// One lane: its slices so far.
#[derive(Debug, Clone)]
struct Lane {
    name: String,
    pool: Pool,
    group: Option<TrackId>,
    order: i32,
    slices: Vec<(u64, u64, String, bool)>,
    open: Vec<(u64, String, bool)>,
    /// The driver's marks: when, and whether the slot died.
    driver: Vec<(u64, bool)>,
}

/// Gathers what the picture shows.
#[derive(Debug, Default)]
pub struct PictureSink {
    lanes: FxHashMap<TrackId, Lane>,
    marks: Vec<(u64, String)>,
    flow_start: FxHashMap<u64, u64>,
    latencies_ms: Vec<f64>,
    t0: Option<u64>,
    t1: u64,
}

impl PictureSink {
    pub fn new() -> Self {
        PictureSink::default()
    }

    /// Frame latencies seen, in ms.
    pub fn latencies_ms(&self) -> &[f64] {
        &self.latencies_ms
    }

    /// Draws the picture into `path` as SVG (`png` false) or PNG.
    pub fn draw(&self, path: &Path, png: bool) -> anyhow::Result<()> {
        let lanes = self.ordered();
        let height = 60 + LANE_PX * lanes.len().max(1) as u32 + 60 + HIST_PX;
        // plotters measures text with the font even when writing SVG.
        register_font()?;
        if png {
            let root = BitMapBackend::new(path, (WIDTH, height)).into_drawing_area();
            self.draw_on(&root, &lanes)?;
            root.present()
                .with_context(|| format!("writing {}", path.display()))?;
        } else {
            let root = SVGBackend::new(path, (WIDTH, height)).into_drawing_area();
            self.draw_on(&root, &lanes)?;
            root.present()
                .with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(())
    }

    /// Request lanes first, then CAPTURE buffers, each group by its order.
    fn ordered(&self) -> Vec<&Lane> {
        let mut v: Vec<&Lane> = self
            .lanes
            .values()
            .filter(|l| l.pool != Pool::Output)
            .collect();
        v.sort_by_key(|l| (l.pool, l.group, l.order));
        v
    }

    fn draw_on<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        lanes: &[&Lane],
    ) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow::anyhow!("drawing: {e:?}");
        root.fill(&WHITE).map_err(err)?;
        let (w, h) = root.dim_in_pixel();
        let (top, bottom) = root.split_vertically(h - HIST_PX);
        // The time span of what is drawn (lanes and marks), with a little room on both sides.
        let starts = lanes.iter().flat_map(|l| {
            l.slices
                .iter()
                .map(|s| s.0)
                .chain(l.open.iter().map(|o| o.0))
        });
        let ends = lanes.iter().flat_map(|l| l.slices.iter().map(|s| s.1));
        let marks = self.marks.iter().map(|m| m.0);
        let lo = starts
            .clone()
            .chain(marks.clone())
            .min()
            .unwrap_or(self.t0.unwrap_or(0));
        let hi = ends
            .chain(marks)
            .chain(starts)
            .max()
            .unwrap_or(self.t1)
            .max(lo + 1_000);
        let pad = (hi - lo) / 50;
        let t0 = lo.saturating_sub(pad);
        let span_ms = ((hi + pad).saturating_sub(t0) as f64 / 1e6).max(0.001);
        let ms = |t: u64| t.saturating_sub(t0) as f64 / 1e6;
        let x_desc = format!(
            "ms since {:.3} s into the trace",
            (t0 - self.t0.unwrap_or(0).min(t0)) as f64 / 1e9
        );
        let n = lanes.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&top)
            .caption(
                "request slots and CAPTURE buffers over time",
                ("sans-serif", 16),
            )
            .margin(8)
            .margin_bottom(30)
            .margin_left(LEFT_PX)
            .x_label_area_size(28)
            .build_cartesian_2d(0f64..span_ms, 0f64..n)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc(x_desc)
            .draw()
            .map_err(err)?;
        for (i, lane) in lanes.iter().enumerate() {
            let y = n - i as f64 - 1.0;
            let (px, py) = chart.backend_coord(&(0.0, y + 0.5));
            root.draw(&Text::new(
                lane.name.clone(),
                (px - LEFT_PX as i32 + 4 - 8, py - 6),
                ("sans-serif", 12).into_font().color(&BLACK),
            ))
            .map_err(err)?;
            let mut all: Vec<(u64, u64, &str, bool)> = lane
                .slices
                .iter()
                .map(|(a, b, s, e)| (*a, *b, s.as_str(), *e))
                .collect();
            all.extend(
                lane.open
                    .iter()
                    .map(|(a, s, e)| (*a, self.t1, s.as_str(), *e)),
            );
            for (a, b, state, error) in all {
                let state = state.split(' ').next().unwrap_or(state);
                let c = state_colour(lane.pool, state);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [
                            (ms(a), y + 0.15),
                            (ms(b).max(ms(a) + span_ms / 2000.0), y + 0.85),
                        ],
                        c.filled(),
                    )))
                    .map_err(err)?;
                if error {
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [
                                (ms(a), y + 0.15),
                                (ms(b).max(ms(a) + span_ms / 2000.0), y + 0.85),
                            ],
                            ERROR_COLOUR.stroke_width(2),
                        )))
                        .map_err(err)?;
                }
            }
            // The driver's marks: a triangle pointing down onto the lane at the time.
            for (ts, dead) in &lane.driver {
                let (px, py) = chart.backend_coord(&(ms(*ts), y + 0.5));
                let colour = if *dead { ERROR_COLOUR } else { DRIVER_COLOUR };
                root.draw(&Polygon::new(
                    vec![(px - 5, py - 7), (px + 5, py - 7), (px, py + 3)],
                    colour.filled(),
                ))
                .map_err(err)?;
            }
        }
        if lanes.iter().any(|l| !l.driver.is_empty()) {
            let mut x = 10;
            for (label, colour) in [
                ("▼ driver force-released the slot", DRIVER_COLOUR),
                ("▼ driver: slot dead", ERROR_COLOUR),
            ] {
                root.draw(&Text::new(
                    label,
                    (x, 8),
                    ("sans-serif", 12).into_font().color(&colour),
                ))
                .map_err(err)?;
                x += 7 * label.chars().count() as i32 + 12;
            }
        }
        let mut labelled = FxHashSet::default();
        for (ts, label) in &self.marks {
            let x = ms(*ts);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, 0.0), (x, n)],
                    ERROR_COLOUR.stroke_width(1),
                )))
                .map_err(err)?;
            if labelled.insert(label.clone()) {
                let (px, py) = chart.backend_coord(&(x, n));
                // Labels of nearby marks step down so they do not overwrite each other.
                let dy = 12 * ((labelled.len() as i32 - 1) % 4);
                root.draw(&Text::new(
                    label.clone(),
                    (px + 2, py + 2 + dy),
                    ("sans-serif", 11).into_font().color(&ERROR_COLOUR),
                ))
                .map_err(err)?;
            }
        }
        // Legend: coloured words, no swatches (so every filled rectangle is a lane's slice).
        let mut x = 10;
        let legend: Vec<(String, RGBColor)> = [
            (Pool::Requests, "alloc"),
            (Pool::Requests, "bound"),
            (Pool::Requests, "queued"),
            (Pool::Requests, "complete"),
            (Pool::Requests, "reinit"),
            (Pool::Requests, "LEAKED"),
            (Pool::Capture, "in-req"),
            (Pool::Capture, "queued"),
            (Pool::Capture, "held"),
        ]
        .iter()
        .map(|(p, s)| {
            let who = if *p == Pool::Requests {
                "request"
            } else {
                "CAPTURE"
            };
            (format!("■ {who} {s}"), state_colour(*p, s))
        })
        .chain(std::iter::once(("| failed call".to_string(), ERROR_COLOUR)))
        .collect();
        for (label, colour) in legend {
            top.draw(&Text::new(
                label.clone(),
                (x, h as i32 - HIST_PX as i32 - 14),
                ("sans-serif", 12).into_font().color(&colour),
            ))
            .map_err(err)?;
            x += 8 * label.chars().count() as i32 + 12;
        }
        let _ = w;
        self.histogram(&bottom)
            .map_err(|e| anyhow::anyhow!("drawing the histogram: {e}"))?;
        Ok(())
    }

    fn histogram<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let lat = &self.latencies_ms;
        let max = lat.iter().cloned().fold(0.0, f64::max).max(1.0);
        const BINS: usize = 30;
        let bin = max / BINS as f64;
        let mut counts = [0u32; BINS];
        for l in lat {
            counts[((l / bin) as usize).min(BINS - 1)] += 1;
        }
        let top = counts.iter().copied().max().unwrap_or(0).max(1);
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!(
                    "frame latency (S_EXT_CTRLS/QBUF to CAPTURE DQBUF), {} frames",
                    lat.len()
                ),
                ("sans-serif", 14),
            )
            .margin(8)
            .margin_left(LEFT_PX)
            .x_label_area_size(28)
            .y_label_area_size(40)
            .build_cartesian_2d(0f64..max, 0u32..top + 1)
            .map_err(|e| format!("{e:?}"))?;
        chart
            .configure_mesh()
            .x_desc("ms")
            .y_desc("frames")
            .draw()
            .map_err(|e| format!("{e:?}"))?;
        chart
            .draw_series(
                counts
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c > 0)
                    .map(|(i, c)| {
                        Rectangle::new(
                            [(i as f64 * bin, 0), ((i + 1) as f64 * bin, *c)],
                            HIST_COLOUR.filled(),
                        )
                    }),
            )
            .map_err(|e| format!("{e:?}"))?;
        Ok(())
    }
}

/// plotters draws and measures text with a font it is given: DejaVu Sans, from the system
/// (read once per process).
fn register_font() -> anyhow::Result<()> {
    static DONE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    if DONE.get().is_some() {
        return Ok(());
    }
    const FONTS: &[&str] = &[
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    ];
    let path = FONTS.iter().find(|p| Path::new(p).exists()).context(
        "--svg and --png need the DejaVu Sans font (Debian: apt-get install fonts-dejavu-core)",
    )?;
    let bytes: &'static [u8] = Box::leak(std::fs::read(path)?.into_boxed_slice());
    plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
        .map_err(|_| anyhow::anyhow!("{path}: not a font plotters can read"))?;
    let _ = DONE.set(());
    Ok(())
}

impl Sink for PictureSink {
    fn track(&mut self, t: &Track) -> anyhow::Result<()> {
        if let Some(pool) = t.pool {
            self.lanes.insert(
                t.id,
                Lane {
                    name: t.name.clone(),
                    pool,
                    group: t.parent,
                    order: t.order,
                    slices: Vec::new(),
                    open: Vec::new(),
                    driver: Vec::new(),
                },
            );
        }
        Ok(())
    }

    fn event(&mut self, e: &Event) -> anyhow::Result<()> {
        self.t0.get_or_insert(e.ts);
        self.t0 = self.t0.map(|t| t.min(e.ts));
        self.t1 = self.t1.max(e.ts);
        for f in &e.flows {
            self.flow_start.entry(*f).or_insert(e.ts);
        }
        for f in &e.end_flows {
            if let Some(t) = self.flow_start.remove(f) {
                // A frame cut by the end of the trace has no latency.
                if e.category != "flow" {
                    self.latencies_ms.push(e.ts.saturating_sub(t) as f64 / 1e6);
                }
            }
        }
        if let Some(lane) = self.lanes.get_mut(&e.track) {
            match e.kind {
                EventKind::Begin => lane.open.push((e.ts, e.name.clone(), e.error)),
                EventKind::End => {
                    if let Some((a, s, err)) = lane.open.pop() {
                        lane.slices.push((a, e.ts, s, err));
                    }
                }
                EventKind::Instant if e.category == "driver" => lane.driver.push((e.ts, e.error)),
                _ => {}
            }
        } else if e.kind == EventKind::Begin && e.error && (e.category == "error") {
            let what = e
                .args
                .get("error")
                .and_then(|v| v.as_str())
                .unwrap_or("error");
            let name = e.name.strip_prefix("VIDIOC_").unwrap_or(&e.name);
            self.marks.push((e.ts, format!("{name} {what}")));
        }
        Ok(())
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
}
