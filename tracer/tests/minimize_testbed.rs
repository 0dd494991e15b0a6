//! `vatrace minimize` and `vatrace cut` in the test-bed (QEMU, 6.12 kernel, visl): every
//! candidate replayed on the real device.
//!
//! * the committed `probe-ebusy` sample minimised against `errno:VIDIOC_REQBUFS=EBUSY` keeps at
//!   most 20 ioctls, and the result replays to the same EBUSY ten times out of ten;
//! * a new recording of `request-leak --slots 4 --frames 40 --leak-at 3` minimised against
//!   `leak` keeps at most the 4 slots' frames, still leaks on replay, and `vatrace check` finds
//!   the pool starved in it (the slots it did not need are gone with their frames);
//! * the same recording minimised against `check:request-leak` (the original's pool never
//!   starves: three slots are left) keeps at most 4 frames and `vatrace check` finds the pool of
//!   the result starved;
//! * the committed GStreamer decode with a REINIT failure injected by replay (`--inject @SEQ=EIO`)
//!   minimised against `leak`: the leaked request's frame and at most two more;
//! * `cut --frames 0..10` of the committed GStreamer decode replays clean: 10 frames, no
//!   divergence.
//!
//! Boots the test-bed once (minutes under TCG).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use replay::Report;
use testbed::{run_sh, RunOptions};
use traces::edit::Trace;
use traces::ioctl::{names, qbuf};
use traces::record::Record;

mod common;

const VATRACE: &str = env!("CARGO_BIN_EXE_vatrace");
const REPLAYS: u32 = 10;

fn load(p: &Path) -> Report {
    let s = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&s).unwrap()
}

fn summary(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn ioctls(t: &Trace) -> usize {
    t.records
        .iter()
        .filter(|r| matches!(r, Record::Ioctl(_)))
        .count()
}

fn output_qbufs(t: &Trace) -> usize {
    t.records
        .iter()
        .filter(|r| match r {
            Record::Ioctl(io) if io.request == qbuf::VIDIOC_QBUF && io.ret == 0 => {
                let b = if io.before.is_empty() {
                    &io.after
                } else {
                    &io.before
                };
                b.get(4..8)
                    .map(|t| u32::from_le_bytes([t[0], t[1], t[2], t[3]]))
                    .is_some_and(names::is_output)
            }
            _ => false,
        })
        .count()
}

/// The sequence number of the last MEDIA_REQUEST_IOC_REINIT of the request frame `frame` (from
/// 0) was queued with (GStreamer keeps its requests for the whole decode): failing it leaves
/// that request completed and never reinitialised until it is closed.
fn last_reinit_of_frame(t: &Trace, frame: usize) -> u64 {
    let qbufs: Vec<&traces::record::Ioctl> = t
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Ioctl(io) if io.request == qbuf::VIDIOC_QBUF && io.ret == 0 => Some(io),
            _ => None,
        })
        .filter(|io| {
            io.before
                .get(4..8)
                .map(|t| u32::from_le_bytes([t[0], t[1], t[2], t[3]]))
                .is_some_and(names::is_output)
        })
        .collect();
    let q = qbufs[frame];
    let at = traces::ioctl::layout::v4l2_buffer::REQUEST_FD;
    let fd = i32::from_le_bytes(q.before[at..at + 4].try_into().unwrap());
    t.records
        .iter()
        .rev()
        .find_map(|r| match r {
            Record::Ioctl(io)
                if io.request == traces::ioctl::request::MEDIA_REQUEST_IOC_REINIT
                    && io.fd == fd
                    && io.pid == q.pid
                    && io.seq > q.seq
                    && io.ret == 0 =>
            {
                Some(io.seq)
            }
            _ => None,
        })
        .expect("a REINIT of the frame's request")
}

fn check_rules(t: &Path) -> Vec<String> {
    let o = Command::new(VATRACE)
        .args(["check", "--json"])
        .arg(t)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn minimised_traces_still_show_their_bug_and_cuts_replay_clean() {
    let s = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/samples");
    let d = testbed::paths::work_dir("minimize");
    let leak_bin = common::request_leak(VATRACE);
    let gst = Trace::read(s.join("gst-v4l2slh264dec.trace")).unwrap();
    let reinit = last_reinit_of_frame(&gst, 15);
    let script = format!(
        "{v} minimize --quiet --until errno:VIDIOC_REQBUFS=EBUSY --report {d}/probe.json -o {d}/probe-min.trace {s}/probe-ebusy.trace 2> {d}/probe.err; echo \"min probe $?\"
         for i in $(seq {REPLAYS}); do
           {v} replay --quiet --report {d}/probe-$i.json {d}/probe-min.trace > /dev/null 2>&1; echo \"replay probe $i $?\"
         done
         {v} record -o {d}/leak.trace -- {leak} --slots 4 --frames 40 --leak-at 3 > {d}/leak.out 2>&1; echo \"record leak $?\"
         {v} minimize --quiet --until leak --report {d}/leak.json -o {d}/leak-min.trace {d}/leak.trace 2> {d}/leak.err; echo \"min leak $?\"
         {v} replay --quiet --report {d}/leak-min-replay.json {d}/leak-min.trace > /dev/null 2>&1; echo \"replay leak $?\"
         {v} minimize --quiet --until check:request-leak --report {d}/starve.json -o {d}/starve-min.trace {d}/leak.trace 2> {d}/starve.err; echo \"min starve $?\"
         {v} replay --quiet --report {d}/starve-min-replay.json {d}/starve-min.trace > /dev/null 2>&1; echo \"replay starve $?\"
         {v} minimize --quiet --until leak --inject @{reinit}=EIO --report {d}/gst.json -o {d}/gst-min.trace {s}/gst-v4l2slh264dec.trace 2> {d}/gst.err; echo \"min gst $?\"
         {v} replay --quiet --inject @{reinit}=EIO --report {d}/gst-min-replay.json {d}/gst-min.trace > /dev/null 2>&1; echo \"replay gst $?\"
         {v} cut --frames 0..10 -o {d}/gst-cut.trace {s}/gst-v4l2slh264dec.trace 2> {d}/cut.err; echo \"cut gst $?\"
         {v} replay --quiet --report {d}/gst-cut.json {d}/gst-cut.trace > {d}/gst-cut.txt 2>&1; echo \"replay cut $?\"
        ",
        v = VATRACE,
        d = d.display(),
        s = s.display(),
        leak = leak_bin.display(),
        reinit = reinit,
    );
    let opts = RunOptions {
        timeout: Duration::from_secs(1500),
        smp: 1,
        ..Default::default()
    };
    let out = run_sh(&script, &opts).unwrap().check().unwrap();
    let text = out.stdout_str();
    let read = |n: &str| std::fs::read_to_string(d.join(n)).unwrap_or_default();
    for e in ["probe.err", "leak.err", "starve.err", "gst.err", "cut.err"] {
        eprintln!("{}", read(e));
    }
    eprintln!("{text}");

    // probe-ebusy: at most 20 ioctls, the same EBUSY ten times out of ten.
    assert!(
        text.contains("min probe 0"),
        "{text}\n{}",
        read("probe.err")
    );
    let probe = summary(&d.join("probe.json"));
    let small = Trace::read(d.join("probe-min.trace")).unwrap();
    assert_eq!(
        probe["ioctls_after"].as_u64().unwrap() as usize,
        ioctls(&small)
    );
    assert!(ioctls(&small) <= 20, "{} ioctls", ioctls(&small));
    assert!(ioctls(&small) < probe["ioctls_before"].as_u64().unwrap() as usize);
    let derived = small
        .header
        .derived
        .as_ref()
        .expect("a derivation in the header");
    assert_eq!(derived.tool, "minimize");
    assert_eq!(derived.how, "errno:VIDIOC_REQBUFS=EBUSY");
    for i in 1..=REPLAYS {
        let r = load(&d.join(format!("probe-{i}.json")));
        assert!(
            r.recorded_failures
                .iter()
                .any(|f| f.call == "VIDIOC_REQBUFS" && f.replayed == "-EBUSY" && f.reproduced),
            "replay {i}: {}",
            r.text()
        );
    }

    // request-leak --leak-at 3: at most the 4 slots' frames, still leaking and starved.
    assert!(
        text.contains("record leak 0"),
        "{text}\n{}",
        read("leak.out")
    );
    assert!(text.contains("min leak 0"), "{text}\n{}", read("leak.err"));
    let leak = Trace::read(d.join("leak.trace")).unwrap();
    let leak_min = Trace::read(d.join("leak-min.trace")).unwrap();
    assert_eq!(output_qbufs(&leak), 40);
    assert!(
        output_qbufs(&leak_min) <= 4,
        "{} frames",
        output_qbufs(&leak_min)
    );
    assert!(output_qbufs(&leak_min) >= 1);
    let r = load(&d.join("leak-min-replay.json"));
    assert!(minimize::predicate::leaked(&r), "{}", r.text());
    // Against the check rule: the leaked slot's frame completes and is never reinitialised,
    // the slots it did not need are gone, so the pool it leaves is starved.
    assert!(
        text.contains("min starve 0"),
        "{text}\n{}",
        read("starve.err")
    );
    let starve_min = Trace::read(d.join("starve-min.trace")).unwrap();
    assert!(
        output_qbufs(&starve_min) <= 4,
        "{} frames",
        output_qbufs(&starve_min)
    );
    let rules = check_rules(&d.join("starve-min.trace"));
    assert!(rules.iter().any(|r| r == "request-leak"), "{rules:?}");
    assert!(rules.iter().any(|r| r == "request-starved"), "{rules:?}");
    assert!(!check_rules(&d.join("leak.trace"))
        .iter()
        .any(|r| r == "request-starved"));
    let r = load(&d.join("starve-min-replay.json"));
    assert!(minimize::predicate::leaked(&r), "{}", r.text());

    // GStreamer with an injected REINIT failure: the leaked request and at most two frames
    // around it.
    assert!(text.contains("min gst 0"), "{text}\n{}", read("gst.err"));
    let gst_min = Trace::read(d.join("gst-min.trace")).unwrap();
    assert!(
        output_qbufs(&gst_min) <= 3,
        "{} frames",
        output_qbufs(&gst_min)
    );
    assert!(gst_min
        .records
        .iter()
        .any(|r| matches!(r, Record::Ioctl(io) if io.seq == reinit)));
    let r = load(&d.join("gst-min-replay.json"));
    assert!(minimize::predicate::leaked(&r), "{}", r.text());

    // cut: ten frames of the GStreamer decode replay clean.
    assert!(text.contains("cut gst 0"), "{text}\n{}", read("cut.err"));
    assert!(
        text.contains("replay cut 0"),
        "{text}\n{}",
        read("gst-cut.txt")
    );
    let cut = load(&d.join("gst-cut.json"));
    assert_eq!(cut.divergences, 0, "{}", cut.text());
    assert_eq!(cut.frames.len(), 10, "{}", cut.text());
    assert!(!cut.is_incomplete());
}
