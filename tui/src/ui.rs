//! Drawing the main screen from an [`App`]: header, OUTPUT slot grid, CAPTURE buffer grid,
//! sparklines, error counters, the check's findings, event log, status line, and the help
//! overlay. Layout fits 80x24
//! and grows with the terminal; ratatui diffs frames, so nothing flickers.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Sparkline};
use ratatui::Frame;
use traces::check::Severity;
use traces::pool::describe;
use traces::pool::snapshot::{fourcc, NotableView, QueueView, SlotView, Snapshot};
use traces::pool::{BufState, ReqState, SecondStats, Side};

use crate::app::{App, Mode};
use crate::{findings, log};

/// Width of one grid cell, border included.
const CELL: u16 = 12;

/// Formats nanoseconds as a short age: `850ms`, `2.3s`, `4m05s`.
pub fn age(ns: u64) -> String {
    let ms = ns / 1_000_000;
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{}.{}s", ms / 1000, (ms % 1000) / 100)
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms / 1000) % 60)
    }
}

/// The label and style of one slot.
pub fn slot_cell(s: &SlotView, side: Side, threshold_ns: u64) -> (String, Style) {
    let req = s.request.as_ref();
    let (label, color) = match (req.map(|r| (r.state, r.failed)), s.state) {
        (Some((ReqState::Leaked, _)), _) => ("LEAK", Color::LightRed),
        _ if req.is_some_and(|r| r.stuck) => ("STCK", Color::Red),
        (Some((st, true)), _) if st != ReqState::Closed => ("FAIL", Color::Red),
        (_, BufState::Free) => ("free", Color::DarkGray),
        (_, BufState::InRequest) => ("bind", Color::Yellow),
        (_, BufState::Queued) => ("que", Color::LightBlue),
        (Some((ReqState::Complete, _)), BufState::Done) => ("cmpl", Color::Magenta),
        (_, BufState::Done) => ("done", Color::Green),
        (_, BufState::Held) => ("held", Color::Cyan),
    };
    let mut extra = String::new();
    match side {
        Side::Output => {
            if let Some(r) = req {
                extra.push_str(&format!("r{}", r.fd));
            }
        }
        _ => {
            if s.mapped {
                extra.push('m');
            }
            if s.exported > 0 {
                extra.push('x');
            }
        }
    }
    if s.error {
        extra.push('E');
    }
    let over = s.busy_since.is_some() && s.busy_ns >= threshold_ns;
    let mark = if over { "!" } else { " " };
    let text = format!("{:>2}{mark}{label:<4} {extra:<4}", s.index);
    let mut style = Style::default().fg(color);
    if label == "LEAK" || over {
        style = Style::default()
            .fg(Color::White)
            .bg(Color::Red)
            .add_modifier(Modifier::BOLD);
    } else if label == "FAIL" || label == "STCK" {
        style = style.add_modifier(Modifier::BOLD);
    }
    (text, style)
}

fn queue_title(q: &QueueView, threshold_ns: u64, t0: u64) -> Line<'static> {
    let c = &q.census;
    let mut spans = vec![Span::styled(
        format!(" {} ", q.side.name()),
        Style::default().add_modifier(Modifier::BOLD),
    )];
    if q.fourcc != 0 {
        spans.push(Span::raw(format!(
            "{} {}x{} ",
            fourcc(q.fourcc),
            q.width,
            q.height
        )));
    }
    spans.push(Span::raw(if q.streaming { "on " } else { "off " }));
    if let Some(t) = q.freed_at {
        let rel = t.saturating_sub(t0);
        spans.push(Span::styled(
            format!(
                "as of @{}.{:03}: ",
                rel / 1_000_000_000,
                rel % 1_000_000_000 / 1_000_000
            ),
            Style::default().fg(Color::DarkGray),
        ));
    }
    let mut counts = format!("{} bufs {} busy", c.buffers, c.queued);
    if q.side == Side::Capture {
        counts.push_str(&format!(" {}held {}m {}x", c.held, c.mapped, c.exported));
    }
    spans.push(Span::raw(counts));
    if let Some(o) = q.oldest() {
        let style = if o.busy_ns >= threshold_ns {
            Style::default()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(Color::Yellow)
        };
        let since = o.busy_since.unwrap_or(t0).saturating_sub(t0);
        spans.push(Span::styled(
            format!(
                " oldest #{} {} @{}.{:03} ",
                o.index,
                age(o.busy_ns),
                since / 1_000_000_000,
                since % 1_000_000_000 / 1_000_000
            ),
            style,
        ));
    }
    Line::from(spans)
}

/// Rows a grid of `n` cells needs in `width` columns (border included).
fn grid_height(n: usize, width: u16) -> u16 {
    let per_row = (width.saturating_sub(2) / CELL).max(1) as usize;
    2 + n.div_ceil(per_row).max(1) as u16
}

fn draw_grid(
    f: &mut Frame,
    area: Rect,
    q: Option<&QueueView>,
    side: Side,
    threshold_ns: u64,
    t0: u64,
) {
    let Some(q) = q else {
        let b = Block::bordered().title(format!(" {} (no buffers) ", side.name()));
        f.render_widget(b, area);
        return;
    };
    let block = Block::bordered().title(queue_title(q, threshold_ns, t0));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let per_row = (inner.width / CELL).max(1) as usize;
    let lines: Vec<Line> = q
        .slots
        .chunks(per_row)
        .take(inner.height as usize)
        .map(|row| {
            Line::from(
                row.iter()
                    .map(|s| {
                        let (t, mut st) = slot_cell(s, side, threshold_ns);
                        if q.freed_at.is_some() && st.bg != Some(Color::Red) {
                            st = st.add_modifier(Modifier::DIM);
                        }
                        Span::styled(format!("{t:<w$}", w = CELL as usize), st)
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

fn draw_rates(f: &mut Frame, area: Rect, rates: &[SecondStats], ended: bool) {
    let block = Block::bordered().title(" per second ");
    let inner = block.inner(area);
    f.render_widget(block, area);
    let label_w = 16u16;
    fn frames(s: &SecondStats) -> u64 {
        s.capture_dqbufs.max(s.output_qbufs) as u64
    }
    fn depth(s: &SecondStats) -> u64 {
        s.depth_max as u64
    }
    fn ioctls(s: &SecondStats) -> u64 {
        s.ioctls as u64
    }
    type Series = (&'static str, fn(&SecondStats) -> u64, Color);
    let series: [Series; 3] = [
        ("frames/s", frames, Color::Green),
        ("depth", depth, Color::LightBlue),
        ("ioctl/s", ioctls, Color::Yellow),
    ];
    let rows = Layout::vertical([Constraint::Length(1); 3]).split(inner);
    let width = inner.width.saturating_sub(label_w) as usize;
    let skip = rates.len().saturating_sub(width);
    for (i, (name, get, color)) in series.iter().enumerate() {
        let Some(row) = rows.get(i).copied() else {
            break;
        };
        if row.height == 0 {
            continue;
        }
        let data: Vec<u64> = rates.iter().skip(skip).map(get).collect();
        // The last complete second (the newest one is still filling), or the newest once the
        // trace has ended.
        let shown = if ended {
            rates.last()
        } else {
            rates.iter().rev().nth(1).or(rates.last())
        };
        let last = shown.map(get).unwrap_or(0);
        let [l, r] =
            Layout::horizontal([Constraint::Length(label_w), Constraint::Min(0)]).areas(row);
        f.render_widget(Paragraph::new(format!("{name:<9}{last:>6} ")), l);
        f.render_widget(
            Sparkline::default()
                .data(&data)
                .style(Style::default().fg(*color)),
            r,
        );
    }
}

fn draw_errors(f: &mut Frame, area: Rect, snap: &Snapshot) {
    let block = Block::bordered().title(format!(" errors {} ", snap.totals.errors));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let alarm_style = Style::default()
        .fg(Color::White)
        .bg(Color::Red)
        .add_modifier(Modifier::BOLD);
    let mut cells: Vec<(bool, Span)> = Vec::new();
    for e in &snap.errors {
        let name = e.ioctl.strip_prefix("VIDIOC_").unwrap_or(&e.ioctl);
        let name = name
            .strip_prefix("MEDIA_REQUEST_IOC_")
            .map(|n| {
                if n == "REINIT" {
                    n.to_string()
                } else {
                    format!("REQ_{n}")
                }
            })
            .unwrap_or(name.to_string());
        let alarm = e.errno == 16 && (e.ioctl == "VIDIOC_REQBUFS" || e.ioctl == "VIDIOC_S_FMT");
        let style = if alarm {
            alarm_style
        } else if e.errno == 11 {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default().fg(Color::LightRed)
        };
        cells.push((
            alarm,
            Span::styled(format!("{name} {} x{}", e.errno_name, e.count), style),
        ));
    }
    // Alarms first, then by count (the snapshot's order).
    cells.sort_by_key(|(alarm, _)| !*alarm);
    let rows = (inner.height as usize).saturating_sub(1);
    let cols = if cells.len() > rows && inner.width >= 30 {
        2
    } else {
        1
    };
    let col_w = (inner.width as usize / cols).max(1);
    let mut lines: Vec<Line> = cells
        .chunks(cols)
        .take(rows)
        .map(|row| {
            Line::from(
                row.iter()
                    .map(|(_, sp)| {
                        let t: String = sp.content.chars().take(col_w.saturating_sub(1)).collect();
                        Span::styled(format!("{t:<w$}", w = col_w), sp.style)
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let r = &snap.requests;
    let mut req = format!("req {} open {} busy", r.open, r.busy);
    if r.failed > 0 {
        req.push_str(&format!(" {} failed", r.failed));
    }
    if r.stuck > 0 {
        req.push_str(&format!(" {} stuck", r.stuck));
    }
    if r.leaked > 0 {
        req.push_str(&format!(" {} LEAKED", r.leaked));
    }
    let style = if r.leaked > 0 || r.failed > 0 || r.stuck > 0 {
        alarm_style
    } else {
        Style::default()
    };
    lines.push(Line::styled(req, style));
    f.render_widget(Paragraph::new(lines), inner);
}

fn log_style(r: &traces::Record) -> Style {
    if describe::is_ebusy_alloc(r) {
        Style::default()
            .fg(Color::White)
            .bg(Color::Red)
            .add_modifier(Modifier::BOLD)
    } else if describe::is_failure(r) {
        Style::default().fg(Color::LightRed)
    } else if matches!(r, traces::Record::Probe(_)) {
        // The driver's own pool transitions (uprobes), between the ioctls they explain.
        Style::default().fg(Color::Magenta)
    } else {
        match describe::side_of(r) {
            Some(Side::Output) => Style::default().fg(Color::Yellow),
            Some(Side::Capture) => Style::default().fg(Color::Cyan),
            _ => Style::default(),
        }
    }
}

fn draw_log(f: &mut Frame, area: Rect, app: &mut App, t0: u64) {
    let rows = area.height.saturating_sub(2) as usize;
    let end = app.view_end();
    let idx = app.log.visible(end, rows + app.log_scroll);
    // Scrolled back: the window ends `log_scroll` lines before the newest.
    let scroll = app.log_scroll.min(idx.len().saturating_sub(rows));
    app.log_scroll = scroll;
    let shown = &idx[idx.len().saturating_sub(rows + scroll)..idx.len() - scroll];
    let mut title = match app.log.filter() {
        Some(flt) => format!(" events /{flt} "),
        None => " events ".to_string(),
    };
    if scroll > 0 {
        title.push_str(&format!("(-{scroll} lines, PgDn) "));
    }
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let (verbose, names) = (app.verbose, &app.state);
    let mark = app.mark;
    let lines: Vec<Line> = shown
        .iter()
        .filter_map(|&i| app.log.get(i).map(|r| (i, r)))
        .map(|(i, r)| {
            let text = if verbose {
                traces::dump::format_record(r, names)
            } else {
                log::line(r, t0)
            };
            let mut style = log_style(r);
            if mark == Some(i) {
                style = style.add_modifier(Modifier::REVERSED);
            }
            Line::styled(text, style)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

/// Rows the findings panel takes out of `log_h` rows: its findings plus a border, at most half
/// (at least a 3-row box saying there are none); none when the log area is too small to share.
fn findings_height(n: usize, log_h: u16) -> u16 {
    if log_h < 8 {
        return 0;
    }
    (n as u16 + 2).clamp(3, log_h / 2)
}

fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Error => Style::default().fg(Color::LightRed),
        Severity::Warning => Style::default().fg(Color::Yellow),
        Severity::Note => Style::default().fg(Color::DarkGray),
    }
}

fn draw_findings(f: &mut Frame, area: Rect, app: &App) {
    let shown = app.shown_findings();
    let (e, w, n) = findings::counts(shown);
    let title = if shown.is_empty() {
        " findings: none ".to_string()
    } else {
        format!(" findings: {e} errors, {w} warnings, {n} notes (Up/Down, Enter: jump) ")
    };
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if shown.is_empty() {
        let live = matches!(app.mode, Mode::Live { ended: false });
        let text = if live {
            "no finding so far"
        } else {
            "no finding"
        };
        f.render_widget(
            Paragraph::new(Line::styled(text, Style::default().fg(Color::DarkGray))),
            inner,
        );
        return;
    }
    let rows = inner.height as usize;
    let sel = app.findings.selected.filter(|&i| i < shown.len());
    // The newest rows, or a window keeping the selection in view.
    let end = match sel {
        Some(i) => (i + 1).max(rows.min(shown.len())),
        None => shown.len(),
    };
    let start = end.saturating_sub(rows);
    let lines: Vec<Line> = shown[start..end]
        .iter()
        .enumerate()
        .map(|(k, x)| {
            let mut style = severity_style(x.severity);
            if sel == Some(start + k) {
                style = style.add_modifier(Modifier::REVERSED);
            }
            Line::styled(findings::line(x), style)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

fn header_line(app: &App, snap: &Snapshot) -> Line<'static> {
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let mut spans = vec![Span::styled(
        " vatrace ",
        Style::default().fg(Color::Black).bg(Color::Cyan),
    )];
    match &snap.focus {
        Some(c) => {
            spans.push(Span::styled(format!(" pid {} ", c.pid), bold));
            let driver = if c.driver.is_empty() {
                String::new()
            } else {
                format!(" {}", c.driver)
            };
            spans.push(Span::raw(format!(
                "{}{}{} ",
                c.path,
                driver,
                if c.closed { " (closed)" } else { "" }
            )));
            let codec = c.codec();
            if !codec.is_empty() {
                spans.push(Span::styled(
                    format!("{codec} "),
                    Style::default().fg(Color::Yellow),
                ));
            }
            if let Some((w, h)) = c.resolution() {
                spans.push(Span::raw(format!("{w}x{h} ")));
            }
        }
        None => {
            let cmd = app.header.command.join(" ");
            spans.push(Span::raw(format!(
                " {} (no decoder yet) ",
                if cmd.is_empty() { "waiting" } else { &cmd }
            )));
        }
    }
    let state = match &app.mode {
        Mode::File(p) => format!(
            "| {} {}x {}/{} ",
            if p.paused { "||" } else { ">" },
            fmt_speed(p.speed),
            p.pos,
            app.log.len()
        ),
        Mode::Live { ended } => format!(
            "| {} {} rec ",
            if *ended {
                "ended"
            } else if app.frozen {
                "frozen"
            } else {
                "live"
            },
            snap.totals.records
        ),
    };
    spans.push(Span::raw(state));
    spans.push(Span::raw(format!("+{} ", age(snap.elapsed_ns()))));
    if snap.totals.lost > 0 {
        spans.push(Span::styled(
            format!("LOST {} ", snap.totals.lost),
            Style::default().fg(Color::Red),
        ));
    }
    Line::from(spans)
}

fn fmt_speed(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.0}")
    } else {
        format!("1/{:.0}", 1.0 / s)
    }
}

fn status_line(app: &App, alarm: Option<&NotableView>) -> Line<'static> {
    if let Some(text) = &app.editing {
        return Line::from(vec![
            Span::styled(format!("/{text}"), Style::default().fg(Color::Yellow)),
            Span::raw("_"),
        ]);
    }
    if let Some(n) = alarm {
        return Line::styled(
            format!("! {}", n.text),
            Style::default()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
        );
    }
    if !app.status.is_empty() {
        return Line::raw(app.status.clone());
    }
    let keys = match app.mode {
        Mode::File(_) => {
            "q quit  spc pause  n/→ step  +/- speed  g/G [ ] seek  / filter  v  tab  ? help"
        }
        Mode::Live { .. } => "q quit  space freeze  / filter  tab context  ? help",
    };
    Line::styled(keys, Style::default().fg(Color::DarkGray))
}

const HELP: &[&str] = &[
    "vatrace tui: request slots and CAPTURE buffers of a V4L2 stateless decoder",
    "",
    "q, Ctrl-C   quit                 space   pause playback / freeze screen",
    "n, Right    step one record      Left    step back one record",
    "+ / -       speed x2 / x1/2      g / G   seek to start / end",
    "[ / ]       seek -1 s / +1 s     tab     next device context",
    "/           filter the log (Enter applies, empty clears, Esc cancels)",
    "PgUp/PgDn   scroll the log back / forward",
    "Up/Down     select a finding     Enter   jump to its record",
    "v           log lines: compact / strace-like (vatrace dump)",
    "?           this help",
    "",
    "OUTPUT cells: index, state, request fd. States: free, bind (QBUF into a",
    "request), que (owned by the driver), cmpl (request done, awaiting REINIT),",
    "done, FAIL (request op failed), STCK (not recycled while the pool cycled",
    "twice), LEAK (failed or stuck request never released).",
    "CAPTURE cells: held = dequeued frame the app holds; m mapped, x exported,",
    "E dequeued with ERROR. '!' and red: busy longer than the threshold.",
];

fn draw_help(f: &mut Frame, area: Rect) {
    let w = area.width.min(80);
    let h = area.height.min(HELP.len() as u16 + 2);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    f.render_widget(Clear, r);
    let lines: Vec<Line> = HELP.iter().map(|l| Line::raw(*l)).collect();
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" help ")),
        r,
    );
}

/// Draws the whole screen.
pub fn draw(f: &mut Frame, app: &mut App) {
    let area = f.area();
    let snap = app.state.snapshot(app.focus, area.width as usize, 32);
    let t0 = snap.first_ts.unwrap_or(0);
    let threshold = app.opts.busy_threshold.as_nanos().min(u64::MAX as u128) as u64;
    let focus = snap.focus.as_ref();
    let out = focus.and_then(|c| c.output.as_ref());
    let cap = focus.and_then(|c| c.capture.as_ref());
    // Grids get what they need, up to a third of the screen each; the log gets the rest.
    let max_grid = (area.height / 3).max(3);
    let out_h = grid_height(out.map_or(0, |q| q.slots.len()), area.width).min(max_grid);
    let cap_h = grid_height(cap.map_or(0, |q| q.slots.len()), area.width).min(max_grid);
    let mid_h = if area.height >= 30 { 7 } else { 6 };
    let [head, out_a, cap_a, mid, log_a, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(out_h),
        Constraint::Length(cap_h),
        Constraint::Length(mid_h),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    f.render_widget(Paragraph::new(header_line(app, &snap)), head);
    draw_grid(f, out_a, out, Side::Output, threshold, t0);
    draw_grid(f, cap_a, cap, Side::Capture, threshold, t0);
    let [rates_a, err_a] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(mid);
    let ended =
        snap.ended.is_some() || matches!(&app.mode, Mode::File(p) if p.pos >= app.log.len());
    draw_rates(f, rates_a, &snap.rates, ended);
    draw_errors(f, err_a, &snap);
    let find_h = findings_height(app.shown_findings().len(), log_a.height);
    let [find_a, log_a] =
        Layout::vertical([Constraint::Length(find_h), Constraint::Min(0)]).areas(log_a);
    if find_h > 0 {
        draw_findings(f, find_a, app);
    }
    draw_log(f, log_a, app, t0);
    let alarm = snap.notable.iter().rev().find(|n| n.alarm);
    f.render_widget(Paragraph::new(status_line(app, alarm)), foot);
    if app.help {
        draw_help(f, area);
    }
}
