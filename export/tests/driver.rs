//! The libva driver's probe records (`Record::Probe`) in every export format, on a trace written
//! here through the real `traces::TraceWriter` (no committed sample has probe records yet): the
//! pool model's sample decoder (`traces::pool::synth`) with the probes the driver fires around
//! it — CAPTURE allocation, a slot acquire per frame and a release after each REINIT, one slot
//! force-released by a second REINIT, one slot dead (REINIT twice failed, request closed,
//! re-allocation failed), the CAPTURE pool drained and freed.
//!
//! * Perfetto, decoded with Perfetto's schema: one "driver" track under the process track, whose
//!   instant events are the probe records, in order, with their kind's name, timestamp and every
//!   argument `traces::probe` names (values equal), the tid, and `traces::probe::describe`'s line;
//!   the dead slot marked as an error; the force-release and the dead slot marked on the lanes of
//!   their request fds.
//! * Chrome JSON: the same instants (`"ph":"i"`) on the process's "driver" thread.
//! * The REINIT failed by live injection carries `injected: true` in both formats, no other
//!   call does.
//! * SVG: a triangle on request fd 10's lane (force-release) and a red one on fd 11's (dead).

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;
use traces::pool::state::buf_type;
use traces::pool::synth::sample::{CAPTURE_BUFS, MEDIA_FD, PID, REQ_FD0, SLOTS, VIDEO_FD};
use traces::pool::synth::{self, Synth, RET_EIO};
use traces::probe::{self, ProbeKind};
use traces::record::{Header, Probe};
use traces::{Record, TraceWriter};

/// `ENOMEM` as a return value.
const RET_ENOMEM: i64 = -12;
/// Frames decoded; frame `FORCED` is force-released, frame `DEAD` kills its slot.
const FRAMES: u64 = 6;
const FORCED: u64 = 4;
const DEAD: u64 = 5;

fn probe_at(s: &mut Synth, kind: ProbeKind, args: &[i64]) -> Record {
    let ts = s.ts;
    s.sleep(10_000);
    Record::Probe(Probe {
        ts,
        pid: PID,
        tid: PID + 1,
        func: kind,
        args: args.to_vec(),
    })
}

/// The trace, and its probe records in order.
fn driver_trace() -> (Header, Vec<Record>) {
    let mut s = Synth::new(PID, 1_000_000_000);
    let mut r = synth::sample_buffers(&mut s, 0x7f10_0000_0000);
    r.push(probe_at(
        &mut s,
        ProbeKind::CaptureAlloc,
        &[0, i64::from(CAPTURE_BUFS), 128, 128],
    ));
    r.extend(synth::sample_start(&mut s));
    for n in 0..FRAMES {
        s.sleep(33_000_000);
        let slot = (n % u64::from(SLOTS)) as u32;
        let req = REQ_FD0 + slot as i32;
        r.push(probe_at(
            &mut s,
            ProbeKind::SlotAcquire,
            &[i64::from(slot), i64::from(req)],
        ));
        let mut frame = synth::decode_frame(
            &mut s,
            VIDEO_FD,
            req,
            slot,
            (n % u64::from(CAPTURE_BUFS)) as u32,
        );
        let reinit = frame.pop().unwrap();
        let (slot, req) = (i64::from(slot), i64::from(req));
        match n {
            FORCED => {
                // Failed by live injection (`record --inject`), as the driver meets it.
                let mut failed = s.request_reinit(req as i32, RET_EIO);
                if let Record::Ioctl(io) = &mut failed {
                    io.injected = true;
                }
                frame.push(failed);
                frame.push(s.request_reinit(req as i32, 0));
                frame.push(probe_at(
                    &mut s,
                    ProbeKind::SlotForceRelease,
                    &[slot, req, probe::FORCE_REINIT_OK],
                ));
            }
            DEAD => {
                frame.push(s.request_reinit(req as i32, RET_EIO));
                frame.push(s.request_reinit(req as i32, RET_EIO));
                frame.push(s.close(req as i32));
                let mut alloc = s.request_alloc(MEDIA_FD, 0);
                if let Record::Ioctl(io) = &mut alloc {
                    io.ret = RET_ENOMEM;
                    io.after.clear();
                }
                frame.push(alloc);
                frame.push(probe_at(
                    &mut s,
                    ProbeKind::SlotForceRelease,
                    &[slot, -1, probe::FORCE_DEAD],
                ));
                frame.push(probe_at(&mut s, ProbeKind::SlotDead, &[slot, req]));
            }
            _ => {
                frame.push(reinit);
                frame.push(probe_at(&mut s, ProbeKind::SlotRelease, &[slot, req]));
            }
        }
        r.extend(frame);
    }
    let cap_t = buf_type::VIDEO_CAPTURE_MPLANE;
    r.push(probe_at(
        &mut s,
        ProbeKind::CaptureDrain,
        &[i64::from(CAPTURE_BUFS), 0],
    ));
    r.push(s.streamoff(VIDEO_FD, cap_t));
    r.push(s.reqbufs(VIDEO_FD, cap_t, 0, 0, 0));
    r.push(probe_at(
        &mut s,
        ProbeKind::CaptureFree,
        &[i64::from(CAPTURE_BUFS), 0],
    ));
    (synth::sample_header(), r)
}

/// Writes the trace with the writer `vatrace record` uses; returns its path and probe records.
fn write_trace(dir: &Path) -> (PathBuf, Vec<Probe>) {
    let (h, records) = driver_trace();
    let path = dir.join("driver.trace");
    let mut w = TraceWriter::new(std::fs::File::create(&path).unwrap(), &h).unwrap();
    for r in &records {
        w.write(r).unwrap();
    }
    let end = records.iter().filter_map(Record::ts).max().unwrap() + 1_000;
    let mut e = traces::record::End::new(end, traces::record::EndReason::Exited);
    e.exit_code = Some(0);
    w.finish(e).unwrap();
    let probes: Vec<Probe> = records
        .into_iter()
        .filter_map(|r| match r {
            Record::Probe(p) => Some(p),
            _ => None,
        })
        .collect();
    // What the trace is meant to hold: 3 CAPTURE pool probes, 6 acquires, 4 releases,
    // 2 force-releases, 1 dead slot.
    assert_eq!(probes.len(), 16);
    (path, probes)
}

/// The event's args equal the probe record's: every named argument, the tid, the description.
fn assert_args(p: &Probe, vals: &Value, what: &str) {
    assert_eq!(p.args.len(), p.func.arg_names().len());
    for (name, v) in p.func.arg_names().iter().zip(&p.args) {
        assert_eq!(
            vals[*name].as_i64(),
            Some(*v),
            "{what}: arg {name} of {p:?}"
        );
    }
    assert_eq!(vals["tid"].as_u64(), Some(u64::from(p.tid)), "{what}: tid");
    assert_eq!(vals["symbol"], p.func.symbol(), "{what}: symbol");
    assert_eq!(vals["call"], probe::describe(p), "{what}: call");
}

#[test]
fn perfetto_has_a_driver_track_whose_instants_are_the_probe_records() {
    let dir = tempfile::tempdir().unwrap();
    let (trace, probes) = write_trace(dir.path());
    let out = dir.path().join("driver.perfetto-trace");
    export::export_file(&trace, export::Format::Perfetto, &out).unwrap();
    let d = common::decode(&out);
    assert_eq!(
        d["unknown"],
        serde_json::json!([]),
        "fields Perfetto's schema does not know"
    );
    let (tracks, events) = common::driver_instants(&d);
    assert_eq!(tracks, 1, "one driver track, under the process track");
    assert_eq!(
        events.len(),
        probes.len(),
        "driver instants vs. probe records"
    );
    for (e, p) in events.iter().zip(&probes) {
        assert_eq!(e["name"], p.func.name());
        assert_eq!(e["ts"].as_u64(), Some(p.ts), "{p:?}");
        assert_eq!(e["cat"], serde_json::json!(["driver"]));
        assert_args(p, &e["vals"], "perfetto");
        // A dead slot is an error, nothing else is.
        assert_eq!(
            e["vals"]["error"] == true,
            p.func == ProbeKind::SlotDead,
            "{p:?}"
        );
    }
    // The force-release of fd 10 and the dead slot of fd 11, on their request lanes.
    let items = d["items"].as_array().unwrap();
    let lane = |uuid: u64| {
        items
            .iter()
            .find(|i| i["desc"] == uuid)
            .map(|i| i["name"].as_str().unwrap().to_string())
            .unwrap()
    };
    let marks: Vec<(String, String)> = items
        .iter()
        .filter(|i| i["ev"] == "TYPE_INSTANT" && i["cat"] == serde_json::json!(["driver"]))
        .filter_map(|i| {
            let l = lane(i["track"].as_u64()?);
            l.starts_with("request fd ")
                .then(|| (l, i["name"].as_str().unwrap().to_string()))
        })
        .collect();
    let fd = |slot: u64| REQ_FD0 + (slot % u64::from(SLOTS)) as i32;
    assert_eq!(marks.len(), 2, "{marks:?}");
    assert!(marks[0]
        .0
        .starts_with(&format!("request fd {} ", fd(FORCED))));
    assert_eq!(marks[0].1, "driver slot_force_release");
    assert!(marks[1].0.starts_with(&format!("request fd {} ", fd(DEAD))));
    assert_eq!(marks[1].1, "driver slot_dead");
}

#[test]
fn chrome_json_has_the_probe_records_as_instants_on_the_driver_thread() {
    let dir = tempfile::tempdir().unwrap();
    let (trace, probes) = write_trace(dir.path());
    let out = dir.path().join("driver.json");
    export::export_file(&trace, export::Format::Json, &out).unwrap();
    let events: Vec<Value> = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let driver: Vec<(u64, u64)> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name" && e["args"]["name"] == "driver")
        .map(|e| (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap()))
        .collect();
    assert_eq!(driver.len(), 1, "one driver thread");
    assert_eq!(
        driver[0].0,
        u64::from(PID),
        "the driver thread is in the process"
    );
    let instants: Vec<&Value> = events
        .iter()
        .filter(|e| (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap_or(0)) == driver[0])
        .filter(|e| e["ph"] != "M")
        .collect();
    assert_eq!(
        instants.len(),
        probes.len(),
        "driver events vs. probe records"
    );
    for (e, p) in instants.iter().zip(&probes) {
        assert_eq!(e["ph"], "i", "{e}");
        assert_eq!(e["name"], p.func.name());
        assert_eq!(e["cat"], "driver");
        assert_eq!(e["ts"].as_f64(), Some(p.ts as f64 / 1000.0));
        assert_args(p, &e["args"], "json");
    }
    // The injected REINIT: one call slice says so, no other.
    let injected: Vec<&Value> = events
        .iter()
        .filter(|e| e["args"]["injected"] == true)
        .collect();
    assert_eq!(injected.len(), 1, "{injected:#?}");
    assert!(
        injected[0]["name"]
            .as_str()
            .is_some_and(|n| n.contains("MEDIA_REQUEST_IOC_REINIT")),
        "{}",
        injected[0]
    );
}

#[test]
fn svg_marks_the_force_released_and_the_dead_slot_on_their_request_lanes() {
    use export::picture::{DRIVER_COLOUR, ERROR_COLOUR};
    let dir = tempfile::tempdir().unwrap();
    let (trace, _) = write_trace(dir.path());
    let out = dir.path().join("pools.svg");
    export::export_file(&trace, export::Format::Svg, &out).unwrap();
    let svg = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = svg.lines().collect();
    let hex = |c: plotters::style::RGBColor| format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
    // Each triangle's tip (its lowest point), by colour.
    let tips = |colour: &str| -> Vec<(f64, f64)> {
        lines
            .iter()
            .filter(|l| l.starts_with("<polygon") && l.contains(&format!("fill=\"{colour}\"")))
            .map(|l| {
                let pts: Vec<(f64, f64)> = l
                    .split("points=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
                    .split_whitespace()
                    .map(|p| {
                        let (x, y) = p.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect();
                assert_eq!(pts.len(), 3, "{l}");
                pts.into_iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap()
            })
            .collect()
    };
    // A lane's label is drawn 6 px above its middle; the triangle's tip 3 px below it.
    let lane_middle = |fd: i32| -> f64 {
        let i = lines
            .iter()
            .position(|l| l.trim().starts_with(&format!("request fd {fd} (")))
            .unwrap_or_else(|| panic!("no lane for request fd {fd}"));
        let el = lines[i - 1];
        let y = el.split(" y=\"").nth(1).unwrap().split('"').next().unwrap();
        y.parse::<f64>().unwrap() + 6.0
    };
    let forced = tips(&hex(DRIVER_COLOUR));
    let dead = tips(&hex(ERROR_COLOUR));
    assert_eq!(forced.len(), 1, "force-release marks: {forced:?}");
    assert_eq!(dead.len(), 1, "dead-slot marks: {dead:?}");
    let fd = |frame: u64| REQ_FD0 + (frame % u64::from(SLOTS)) as i32;
    assert!(
        (forced[0].1 - 3.0 - lane_middle(fd(FORCED))).abs() < 1.0,
        "{forced:?}"
    );
    assert!(
        (dead[0].1 - 3.0 - lane_middle(fd(DEAD))).abs() < 1.0,
        "{dead:?}"
    );
    assert!(svg.contains("driver: slot dead"), "no legend for the marks");
}
