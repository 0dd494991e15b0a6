//! Replays of traces recorded by the eBPF recorder (`vatrace record`) in the test-bed: a GStreamer
//! `v4l2slh264dec` decode (B-frames) and the two synthetic buggy clients, each replayed ten times.
//!
//! The recorder is another crate's binary: the `vatrace` built next to this crate's binaries
//! (`cargo xtask test` builds the whole workspace first), or `$VATRACE_BIN`.

use std::path::Path;
use std::time::Duration;

use replay::report::Report;
use testbed::clips::{Clip, Codec};
use testbed::{run_sh, RunOptions};

const REPLAYS: usize = 10;

/// The `vatrace` binary: `$VATRACE_BIN`, else the one next to this crate's binaries (the same
/// target folder; `cargo xtask test` builds the whole workspace before testing).
fn vatrace() -> String {
    if let Ok(p) = std::env::var("VATRACE_BIN") {
        assert!(Path::new(&p).exists(), "VATRACE_BIN={p} does not exist");
        return p;
    }
    let sibling = Path::new(env!("CARGO_BIN_EXE_vatrace-replay")).with_file_name("vatrace");
    assert!(
        sibling.exists(),
        "{} is not built: run `cargo build -p tracer` first (or set VATRACE_BIN)",
        sibling.display()
    );
    sibling.display().to_string()
}

fn load(p: &Path) -> Report {
    serde_json::from_str(
        &std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
    .unwrap()
}

#[test]
fn gstreamer_h264_and_buggy_clients_recorded_with_ebpf_replay_ten_times_identically() {
    let vt = vatrace();
    let clip = Clip::small(Codec::H264).generate().unwrap();
    let d = testbed::paths::work_dir("ebpf");
    let rp = env!("CARGO_BIN_EXE_vatrace-replay");
    let probe = env!("CARGO_BIN_EXE_probe-ebusy");
    let leak = env!("CARGO_BIN_EXE_request-leak");
    let script = format!(
        "{vt} record -o {d}/gst.trace -- gst-launch-1.0 -q filesrc location={clip} ! h264parse ! v4l2slh264dec ! \
           video/x-raw,format=NV12 ! fakesink > {d}/gst-rec.out 2>&1; echo \"record gst $?\"
         {vt} record -o {d}/probe.trace -- {probe} > {d}/probe-rec.out 2>&1; echo \"record probe $?\"
         {vt} record -o {d}/leak.trace -- {leak} > {d}/leak-rec.out 2>&1; echo \"record leak $?\"
         for t in gst probe leak; do
           for i in $(seq {REPLAYS}); do
             {rp} --quiet --report {d}/$t-$i.json {d}/$t.trace > {d}/$t-$i.txt 2>&1; echo \"replay $t $i $?\"
           done
         done",
        d = d.display(),
        clip = clip.display()
    );
    let out = run_sh(
        &script,
        &RunOptions {
            timeout: Duration::from_secs(1200),
            ..Default::default()
        },
    )
    .unwrap()
    .check()
    .unwrap();
    let text = out.stdout_str();
    assert!(text.contains("record gst 0"), "{text}");
    for t in ["gst", "probe", "leak"] {
        for i in 1..=REPLAYS {
            let txt = std::fs::read_to_string(d.join(format!("{t}-{i}.txt"))).unwrap_or_default();
            assert!(
                text.contains(&format!("replay {t} {i} 0")),
                "replay {t} {i}:\n{txt}"
            );
        }
    }
    let gst: Vec<Report> = (1..=REPLAYS)
        .map(|i| load(&d.join(format!("gst-{i}.json"))))
        .collect();
    for r in &gst {
        assert_eq!(r.divergences, 0, "{}", r.text());
        assert_eq!(r.frames.len(), 30, "{}", r.text());
        assert!(r.frames.iter().all(|f| !f.sha256.is_empty()));
        assert_eq!(
            r.frames, gst[0].frames,
            "CAPTURE checksums differ between replays"
        );
    }
    for i in 1..=REPLAYS {
        let r = load(&d.join(format!("probe-{i}.json")));
        let ebusy: Vec<_> = r
            .recorded_failures
            .iter()
            .filter(|f| f.recorded == "-EBUSY")
            .collect();
        assert!(
            !ebusy.is_empty() && ebusy[0].call == "VIDIOC_REQBUFS" && ebusy[0].reproduced,
            "{}",
            r.text()
        );
        let first = load(&d.join("probe-1.json"));
        assert_eq!(
            ebusy[0].seq,
            first
                .recorded_failures
                .iter()
                .find(|f| f.recorded == "-EBUSY")
                .unwrap()
                .seq
        );
        let l = load(&d.join(format!("leak-{i}.json")));
        assert_eq!(l.requests_never_reinit.len(), 4, "{}", l.text());
        assert_eq!(
            l.requests_never_reinit,
            load(&d.join("leak-1.json")).requests_never_reinit
        );
        assert_eq!(l.frames.len(), 12);
    }
}
