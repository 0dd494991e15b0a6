//! Driver probes in the test-bed: `vatrace record` of ffmpeg decoding the 30-frame H.264 clip
//! through the libva driver (`-hwaccel vaapi`, visl) puts uprobes on the driver's pool
//! transitions by itself (`--driver-probes auto`: the command's `env LIBVA_DRIVERS_PATH=…`), and
//! the trace holds one slot acquire and one release per frame, on the ioctls' timeline: each
//! acquire comes before the MEDIA_REQUEST_IOC_QUEUE of its request fd, each release after it;
//! `vatrace dump` shows them; `vatrace export --perfetto` of the trace (run on the host, decoded
//! with Perfetto's schema by export's `perfetto_decode.py`) has one instant on the process's
//! "driver" track per probe record.
//!
//! The driver comes from the cargo target directory (`cargo build -p v4l2-request-driver`;
//! `cargo xtask test` builds the workspace first), as in the driver's own test-bed tests.

#[path = "../../driver/tests/common/mod.rs"]
mod common;
#[path = "../../export/tests/common/mod.rs"]
mod perfetto;

use testbed::{
    clips::{Clip, Codec},
    run_sh,
};
use traces::{
    ioctl::request::MEDIA_REQUEST_IOC_QUEUE, probe::ProbeKind, record::Probe, Record, TraceReader,
};

use std::collections::HashMap;

fn read(path: &std::path::Path) -> Vec<Record> {
    let f = std::fs::File::open(path).unwrap();
    TraceReader::new(std::io::BufReader::new(f))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

fn probes_of(records: &[Record]) -> impl Iterator<Item = &Probe> {
    records.iter().filter_map(|r| match r {
        Record::Probe(p) => Some(p),
        _ => None,
    })
}

#[test]
fn ffmpeg_decode_shows_each_slot_acquired_before_its_request_is_queued() {
    let clip = Clip::small(Codec::H264);
    let path = clip.generate().unwrap();
    let dir = testbed::paths::work_dir("tracer-driver-probes");
    let trace = dir.join("ffmpeg.trace");
    let script = format!(
        "set -e\n{v} record -o {t} -- env {cmd}\n{v} dump {t} | grep -c -- '--- driver slot_acquire' || true\n",
        v = common::vatrace().display(),
        t = trace.display(),
        cmd = common::ffmpeg_decode(&path, "/dev/null", true)
    );
    let out = run_sh(&script, &common::opts()).unwrap().check().unwrap();
    let records = read(&trace);
    // The driver runs in the traced ffmpeg itself (the root process: `env` execs it).
    let root = TraceReader::new(std::fs::File::open(&trace).unwrap())
        .unwrap()
        .header()
        .root_pid;
    assert!(probes_of(&records).all(|p| p.pid == root));

    let probes: Vec<&Probe> = probes_of(&records).collect();
    let count = |k: ProbeKind| probes.iter().filter(|p| p.func == k).count();
    assert_eq!(count(ProbeKind::SlotAcquire), 30, "{probes:?}");
    assert_eq!(count(ProbeKind::SlotRelease), 30, "{probes:?}");
    assert_eq!(count(ProbeKind::SlotForceRelease), 0, "{probes:?}");
    assert_eq!(count(ProbeKind::SlotDead), 0, "{probes:?}");
    assert_eq!(count(ProbeKind::CaptureAlloc), 1, "{probes:?}");
    // `vatrace dump` shows them.
    assert_eq!(out.stdout_str().trim(), "30", "{}", out.stdout_str());
    // `vatrace export --perfetto`: one driver track, one instant on it per probe record.
    let exported = dir.join("ffmpeg.perfetto-trace");
    let export = std::process::Command::new(common::vatrace())
        .args(["export", "--perfetto"])
        .arg(&trace)
        .arg("-o")
        .arg(&exported)
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "vatrace export: {}",
        String::from_utf8_lossy(&export.stderr)
    );
    let (tracks, instants) = perfetto::driver_instants(&perfetto::decode(&exported));
    assert_eq!(tracks, 1, "driver tracks in the Perfetto export");
    assert_eq!(
        instants.len(),
        probes.len(),
        "driver instants in the Perfetto export vs. probe records"
    );

    // In trace order (records arrive as they happen; timestamps in the test-bed's TCG guest
    // tick in 4 ms steps, so a probe and the next ioctl often share one): every QUEUE of a
    // request fd follows exactly one acquire of that fd by the same process, not later than it,
    // and the slot's release follows the QUEUE.
    #[derive(PartialEq, Debug)]
    enum Slot {
        Acquired(u64),
        Queued(u64),
    }
    let mut slots: HashMap<i64, Slot> = HashMap::new();
    let (mut queued, mut released) = (0, 0);
    for r in &records {
        match r {
            Record::Probe(p) if p.func == ProbeKind::SlotAcquire => {
                let fd = p.arg("request_fd").unwrap();
                let prev = slots.insert(fd, Slot::Acquired(p.ts));
                assert!(prev.is_none(), "{p:?}: fd {fd} acquired while {prev:?}");
            }
            Record::Ioctl(q) if q.request == MEDIA_REQUEST_IOC_QUEUE => {
                let fd = i64::from(q.fd);
                match slots.remove(&fd) {
                    Some(Slot::Acquired(ts)) if ts <= q.ts_enter && q.pid == root => {
                        slots.insert(fd, Slot::Queued(q.ts_exit));
                        queued += 1;
                    }
                    other => panic!("{q:?} of fd {fd} without an acquire before it: {other:?}"),
                }
            }
            Record::Probe(p) if p.func == ProbeKind::SlotRelease => {
                let fd = p.arg("request_fd").unwrap();
                match slots.remove(&fd) {
                    Some(Slot::Queued(ts)) if ts <= p.ts => released += 1,
                    other => panic!("{p:?} of a slot not queued: {other:?}"),
                }
            }
            _ => {}
        }
    }
    assert_eq!((queued, released), (30, 30));
}
