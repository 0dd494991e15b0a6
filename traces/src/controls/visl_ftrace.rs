//! A parser for visl's ftrace text output (`/sys/kernel/tracing/trace` or `trace_pipe`), so
//! the controls visl received can be compared field by field with what vatrace decoded (see
//! [`super::visl_fields`]).
//!
//! An event is a header line (`task-pid [cpu] flags ts: event_name: ` followed by the start of
//! the event's text) plus, for visl's multi-line `TP_printk` formats, continuation lines.
//! Three text shapes occur in visl-trace-*.h and are all handled:
//! - one `name value` pair per line (`\nprofile_idc %u\nlevel_idc %u…`), where a
//!   `__print_hex_dump` value is `{` then rows of hex bytes then a `}` line;
//! - `name value` pairs on one line separated by spaces (`v4l2_ctrl_fwht_params`), where an
//!   empty `__print_flags` value shows as two spaces in a row;
//! - per-element events `[%d]: name value, name value…` (`v4l2_h264_dpb_entry`,
//!   `v4l2_h264_ref_pic_list0/1`), whose fields are named `dpb[i].name` /
//!   `ref_pic_list0[i].name`. HEVC's `v4l2_hevc_dpb_entry` prints no index: [`parse_text`]
//!   numbers consecutive ones.
//!
//! [`split_runs`] cuts a parsed trace into visl's per-request runs and [`compare`] checks the
//! controls vatrace decoded for a request against one run, field by field.
//!
//! Field names lose a trailing `:` (MPEG-2's `picture_coding_type:`, AV1's `name: %u` and
//! `name:%s`); values lose a trailing
//! `,` and their surrounding spaces; hex dumps become one line of `xx` bytes separated by
//! single spaces (`{`, `}` and row breaks removed).

use super::{visl_fields, ControlValue};

/// One parsed ftrace event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VislEvent {
    /// The event name, e.g. `v4l2_ctrl_h264_sps`.
    pub event: String,
    /// (field name, value as printed) in print order.
    pub fields: Vec<(String, String)>,
}

impl VislEvent {
    /// The value of one field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The array name under which per-element events' fields are reported.
fn element_prefix(event: &str) -> Option<&'static str> {
    Some(match event {
        "v4l2_h264_dpb_entry" => "dpb",
        "v4l2_h264_ref_pic_list0" => "ref_pic_list0",
        "v4l2_h264_ref_pic_list1" => "ref_pic_list1",
        _ => return None,
    })
}

/// Splits a header line into (event name, rest of the line after `event: `). Accepts the
/// full ftrace header (`… 123.456789: name: rest`) and a bare `name: rest` whose name starts
/// with `v4l2_` (as `trace-cmd` and hand-cut excerpts show it).
fn split_header(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    let mut search = 0;
    while let Some(rel) = line[search..].find(": ") {
        let colon = search + rel;
        // The timestamp: digits '.' digits right before the colon.
        let ts_start = line[..colon]
            .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
            .map_or(0, |i| i + 1);
        let ts = &line[ts_start..colon];
        let is_ts = ts.contains('.')
            && ts
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            && (ts_start == 0 || bytes[ts_start - 1] == b' ');
        if is_ts {
            let after = &line[colon + 2..];
            let end = after.find(':')?;
            let name = &after[..end];
            if !is_ident(name) {
                return None;
            }
            let rest = after[end + 1..]
                .strip_prefix(' ')
                .unwrap_or(&after[end + 1..]);
            return Some((name, rest));
        }
        search = colon + 2;
    }
    let end = line.find(':')?;
    let name = &line[..end];
    if name.starts_with("v4l2_") && is_ident(name) {
        let rest = &line[end + 1..];
        return Some((name, rest.strip_prefix(' ').unwrap_or(rest)));
    }
    None
}

fn is_ident(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn clean_key(k: &str) -> String {
    k.trim().trim_end_matches(':').to_string()
}

fn clean_value(v: &str) -> String {
    v.trim().trim_end_matches(',').to_string()
}

/// Parses `name value name value …` on one line, keeping empty values (double spaces).
fn parse_pairs(text: &str, prefix: &str, out: &mut Vec<(String, String)>) {
    let tokens: Vec<&str> = text.trim_end_matches(['\n', '\r']).split(' ').collect();
    let mut i = 0;
    // Skip leading empty tokens (leading spaces).
    while i < tokens.len() && tokens[i].is_empty() {
        i += 1;
    }
    while i < tokens.len() {
        let key = tokens[i];
        if key.is_empty() {
            i += 1;
            continue;
        }
        let value = tokens.get(i + 1).copied().unwrap_or("");
        out.push((format!("{prefix}{}", clean_key(key)), clean_value(value)));
        i += 2;
    }
}

/// Parses the body lines of a multi-line event (one `name value` per line, hex dumps).
fn parse_body(lines: &[&str], out: &mut Vec<(String, String)>) {
    let mut i = 0;
    while i < lines.len() {
        // Some formats put a space after the newline (VP9's "\n coef {%s}", "\n joint %s").
        let line = lines[i].trim_end_matches('\r').trim_start();
        i += 1;
        if line.trim().is_empty() {
            continue;
        }
        // The key ends at the first space or colon (AV1 prints `name: %u` and, in places,
        // `name:%s` with no space); values contain neither colons nor, except hex-dump
        // rows, spaces.
        let (key, value) = match line.find([' ', ':']) {
            Some(at) => {
                let value = line[at..].strip_prefix(':').unwrap_or(&line[at..]);
                (
                    clean_key(&line[..at]),
                    value.strip_prefix(' ').unwrap_or(value),
                )
            }
            None => (clean_key(line), ""),
        };
        if value.trim_end() == "{" {
            // A hex dump: rows until a line that is `}`.
            let mut bytes: Vec<&str> = Vec::new();
            while i < lines.len() {
                let row = lines[i].trim();
                i += 1;
                if row == "}" {
                    break;
                }
                bytes.extend(row.split_whitespace());
            }
            out.push((key, bytes.join(" ")));
        } else {
            out.push((key, clean_value(value)));
        }
    }
}

/// Parses one event: its header line, followed (newline-separated) by its continuation lines
/// if it has any. `None` if the first line is not an event header.
pub fn parse_line(line: &str) -> Option<VislEvent> {
    let mut lines = line.split('\n');
    let first = lines.next()?;
    let (event, rest) = split_header(first)?;
    let mut fields = Vec::new();
    let rest_lines: Vec<&str> = lines.collect();
    let indexed = rest.trim_start().starts_with('[');
    if let (Some(prefix), true) = (element_prefix(event), indexed) {
        // `[%d]: name value, name value …`
        let rest = rest.trim_start();
        let (index, body) = match rest.strip_prefix('[').and_then(|r| r.split_once("]:")) {
            Some((idx, body)) => (idx.trim().to_string(), body),
            None => (String::new(), rest),
        };
        let p = if index.is_empty() {
            format!("{prefix}.")
        } else {
            format!("{prefix}[{index}].")
        };
        parse_pairs(body, &p, &mut fields);
    } else if rest.trim().is_empty() {
        parse_body(&rest_lines, &mut fields);
    } else if rest_lines.iter().all(|l| l.trim().is_empty()) {
        parse_pairs(rest, "", &mut fields);
    } else {
        // Text on the header line and more lines: treat all as one-pair-per-line.
        let mut all = vec![rest];
        all.extend(rest_lines);
        parse_body(&all, &mut fields);
    }
    Some(VislEvent {
        event: event.to_string(),
        fields,
    })
}

/// Parses a whole trace text into events, grouping each header line with the continuation
/// lines after it. Comment lines (`#`) and text before the first header are skipped.
pub fn parse_text(text: &str) -> Vec<VislEvent> {
    let mut events = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with('#') && current.is_none() {
            continue;
        }
        if split_header(line).is_some() {
            if let Some(ev) = current.take().and_then(|t| parse_line(&t)) {
                events.push(ev);
            }
            current = Some(line.to_string());
        } else if let Some(cur) = current.as_mut() {
            cur.push('\n');
            cur.push_str(line);
        }
    }
    if let Some(ev) = current.and_then(|t| parse_line(&t)) {
        events.push(ev);
    }
    number_hevc_dpb(&mut events);
    events
}

/// Prefixes the fields of each run of consecutive `v4l2_hevc_dpb_entry` events with
/// `dpb[i].` (visl prints them in DPB order without an index).
fn number_hevc_dpb(events: &mut [VislEvent]) {
    let mut i = 0;
    for ev in events.iter_mut() {
        if ev.event != "v4l2_hevc_dpb_entry" {
            i = 0;
            continue;
        }
        for (k, _) in ev.fields.iter_mut() {
            *k = format!("dpb[{i}].{k}");
        }
        i += 1;
    }
}

/// The event visl prints first for each request of a codec (`visl_trace_ctrls`).
const RUN_START: &[&str] = &[
    "v4l2_ctrl_fwht_params",
    "v4l2_ctrl_mpeg2_sequence",
    "v4l2_ctrl_vp8_frame",
    "v4l2_ctrl_vp9_frame",
    "v4l2_ctrl_h264_sps",
    "v4l2_ctrl_hevc_sps",
    "v4l2_ctrl_av1_sequence",
];

/// Splits parsed events into visl's per-request runs (each starts at the first control event
/// visl prints for a request). Events before the first run start are dropped.
pub fn split_runs(events: Vec<VislEvent>) -> Vec<Vec<VislEvent>> {
    let mut runs: Vec<Vec<VislEvent>> = Vec::new();
    for ev in events {
        if RUN_START.contains(&ev.event.as_str()) {
            runs.push(Vec::new());
        }
        if let Some(run) = runs.last_mut() {
            run.push(ev);
        }
    }
    runs
}

/// One field where a decoded control and visl's event disagree.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldDiff {
    /// The (first) visl event of the control, e.g. `v4l2_ctrl_h264_decode_params`.
    pub event: &'static str,
    /// The field, named as visl prints it.
    pub field: String,
    /// The value as vatrace decoded it, formatted as visl prints it.
    pub decoded: String,
    /// The value visl printed, `None` if the run has no such field.
    pub visl: Option<String>,
}

/// Compares decoded controls with one visl run (see [`split_runs`]): every field of every
/// value's [`visl_fields`] against the fields of the run's events that print that control
/// ([`ControlValue::visl_events`]). Values visl does not trace are skipped.
pub fn compare(values: &[ControlValue], run: &[VislEvent]) -> Vec<FieldDiff> {
    let mut diffs = Vec::new();
    for value in values {
        let names = value.visl_events();
        let Some(&first) = names.first() else {
            continue;
        };
        let printed: std::collections::HashMap<&str, &str> = run
            .iter()
            .filter(|e| names.contains(&e.event.as_str()))
            .flat_map(|e| e.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .collect();
        for (field, decoded) in visl_fields(value) {
            let visl = printed.get(field.as_str()).copied();
            if visl != Some(decoded.as_str()) {
                diffs.push(FieldDiff {
                    event: first,
                    field,
                    decoded,
                    visl: visl.map(str::to_string),
                });
            }
        }
    }
    diffs
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod real_tests;
