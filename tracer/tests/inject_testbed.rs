//! Live fault injection, `vatrace record --inject SPEC=ERRNO` (BPF LSM `file_ioctl`).
//!
//! Test-bed, second boot: the frame and buffer-index forms. ffmpeg decodes the 30-frame H.264
//! clip through our libva driver under `VIDIOC_QBUF@frame5=EIO`, `VIDIOC_QBUF@buf1#3=EIO` and
//! `MEDIA_REQUEST_IOC_QUEUE@frame7=EBUSY` (one recording each): each trace holds exactly one
//! injected call, with that errno, exactly the one named (the 5th QBUF on an OUTPUT queue; the 3rd
//! QBUF passing index 1; the first request queue after the 7th OUTPUT QBUF), and replays clean on
//! visl with that call injected again.
//!
//! Test-bed (QEMU, 6.12 with CONFIG_BPF_LSM and `bpf` among its LSMs; one boot): `ffmpeg
//! -hwaccel vaapi` decoding the 30-frame H.264 clip through our libva driver, with 20
//! `MEDIA_REQUEST_IOC_REINIT#K=EBUSY` injections, still decodes every frame (the driver's
//! force-release REINITs the slot again); the trace holds exactly those 20 failures, marked
//! injected, at exactly the K-th REINITs, each followed by a successful REINIT of the same request;
//! `dump` marks them. The driver probes (on by default: the command names the driver's directory)
//! show each slot recovered: one `slot_force_release` per injection, of the slot holding that
//! request fd, outcome REINIT, no slot dead; `vatrace check` reports them as
//! `driver-slot-force-released` notes. The buggy `request-leak` client (four slots) under four such
//! injections leaks the request of each failed REINIT and starves after the fourth; `vatrace
//! check` reports the four leaks and the starvation. Both traces replay clean on visl: the
//! recorded injections are injected again by `vatrace replay`, not issued, no divergence.
//!
//! Host: where the kernel refuses BPF LSM (this development machine: EPERM), `record --inject`
//! fails before running anything, naming the problem and the fix; forms the kernel cannot match
//! live are refused with the alternative.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use testbed::clips::{Clip, Codec};
use testbed::{run_sh, RunOptions};
use traces::ioctl::layout::v4l2_buffer as B;
use traces::ioctl::names;
use traces::ioctl::qbuf::VIDIOC_QBUF;
use traces::ioctl::request::{MEDIA_REQUEST_IOC_QUEUE, MEDIA_REQUEST_IOC_REINIT};
use traces::probe::{ProbeKind, FORCE_REINIT_OK};
use traces::{Record, TraceReader};

mod common;

const VATRACE: &str = env!("CARGO_BIN_EXE_vatrace");

/// The REINIT calls (1-based, per process) that fail under ffmpeg: 20 of them, every other one
/// from the 3rd (each injected REINIT is followed by the driver's own REINIT of the same
/// request, its force-release; 30 frames make 30 REINITs, 50 with the force-releases).
const FFMPEG_KS: [u64; 20] = [
    3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33, 35, 37, 39, 41,
];

/// The REINIT calls that fail under `request-leak` (four slots: it starves after the fourth).
const LEAK_KS: [u64; 4] = [3, 9, 15, 22];

fn inject_args(ks: &[u64]) -> String {
    ks.iter()
        .map(|k| format!(" --inject 'MEDIA_REQUEST_IOC_REINIT#{k}=EBUSY'"))
        .collect()
}

/// ffmpeg decoding `clip` through our libva driver (in `dri`) on the test-bed's render node,
/// NV12 frames to `out`; `wrap` goes before `ffmpeg` (e.g. a `timeout`).
fn ffmpeg_through_driver(dri: &Path, clip: &Path, wrap: &str, out: &str) -> String {
    format!(
        "env LIBVA_DRIVERS_PATH={dri} LIBVA_DRIVER_NAME=v4l2_request {wrap}ffmpeg -nostdin \
         -loglevel error -threads 1 -hwaccel vaapi -hwaccel_output_format vaapi \
         -vaapi_device /dev/dri/renderD128 -i {clip} -vf hwdownload,format=nv12 -f rawvideo -y {out}",
        dri = dri.display(),
        clip = clip.display(),
    )
}

/// The exit code a guest script printed as `WHAT rc=N` ("?" if it printed none).
fn rc_of(text: &str, what: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{what} rc=")))
        .unwrap_or("?")
        .to_string()
}

/// The libva driver cargo built (`cargo build -p v4l2-request-driver`), copied where libva
/// looks for it under the target directory (the guest sees the target directory, not /tmp).
/// Made once per test process: its tests run on parallel threads.
fn driver_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(install_driver).clone()
}

fn install_driver() -> PathBuf {
    let debug = Path::new(VATRACE).parent().unwrap();
    let so = debug.join("deps/libv4l2_request.so");
    assert!(
        so.exists(),
        "{} missing: `cargo build -p v4l2-request-driver` first",
        so.display()
    );
    testbed::paths::install_driver(&so, &debug.join("test-dri-inject")).unwrap()
}

/// The records of a trace, in order.
fn records(path: &Path) -> Vec<Record> {
    TraceReader::open(path)
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

/// The ioctls of a trace, in order.
fn ioctls(path: &Path) -> Vec<traces::record::Ioctl> {
    records(path)
        .into_iter()
        .filter_map(|r| match r {
            Record::Ioctl(i) => Some(i),
            _ => None,
        })
        .collect()
}

/// `vatrace check --json` of a trace (run on the host: it needs no device).
fn check(path: &Path) -> (Option<i32>, serde_json::Value) {
    let o = Command::new(VATRACE)
        .args(["check", "--json"])
        .arg(path)
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("check --json: {e}: {}", String::from_utf8_lossy(&o.stderr)));
    (o.status.code(), doc)
}

/// The findings of rule `rule` in a `check --json` document.
fn findings<'a>(doc: &'a serde_json::Value, rule: &str) -> Vec<&'a serde_json::Value> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// The recorded injections of the JSON replay report at `path`, which the guest's `vatrace
/// replay` exited `rc` with, after asserting what every such replay shows: exit 0, no divergence,
/// no injection but the recorded ones, and each recorded injection a recorded failure the replay
/// reproduced.
fn replayed_injections(name: &str, rc: &str, path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let r: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{name}: replay report {}: {e}: {text}", path.display()));
    assert_eq!(rc, "0", "{name}: {r:#}");
    assert_eq!(r["divergences"], 0, "{name}: {r:#}");
    assert!(r["first_divergence"].is_null(), "{name}: {r:#}");
    assert!(r["injections"].as_array().unwrap().is_empty(), "{r:#}");
    let again = r["recorded_injections"].as_array().unwrap().clone();
    let failures = r["recorded_failures"].as_array().unwrap();
    for i in &again {
        assert!(
            failures
                .iter()
                .any(|f| f["seq"] == i["seq"] && f["reproduced"] == true),
            "{name}: {i} not among the reproduced failures {failures:#?}"
        );
    }
    again
}

/// A clean replay (see [`replayed_injections`]) that injected the `injected` recorded EBUSY
/// REINITs again.
fn assert_replays_clean(name: &str, rc: &str, path: &Path, injected: usize) {
    let again = replayed_injections(name, rc, path);
    assert_eq!(again.len(), injected, "{name}: {again:#?}");
    assert!(
        again.iter().all(|i| i["result"] == "-EBUSY"
            && i["call"]
                .as_str()
                .unwrap()
                .starts_with("MEDIA_REQUEST_IOC_REINIT#")),
        "{name}: {again:#?}"
    );
}

#[test]
fn ffmpeg_recovers_from_injected_reinit_failures_and_request_leak_leaks() {
    let clip = Clip::small(Codec::H264);
    let path = clip.generate().unwrap();
    let dri = driver_dir();
    let leak = common::request_leak(VATRACE);
    let dir = testbed::paths::work_dir("inject");
    let (ff, rl) = (dir.join("ffmpeg.trace"), dir.join("leak.trace"));
    let (ff_replay, rl_replay) = (dir.join("ffmpeg.replay.json"), dir.join("leak.replay.json"));
    let doctor = dir.join("doctor.json");
    let script = format!(
        "set -u\n\
         echo \"lsm=$(cat /sys/kernel/security/lsm)\"\n\
         {VATRACE} doctor --json > {doctor}\n\
         rm -f /tmp/out.yuv\n\
         {VATRACE} record -o {ff}{ff_inj} -- {ffmpeg}\n\
         echo \"ffmpeg rc=$? size=$(stat -c %s /tmp/out.yuv)\"\n\
         {VATRACE} record -o {rl}{rl_inj} -- {leak} --slots 4 --frames 30 --leak-every 0\n\
         echo \"request-leak rc=$?\"\n\
         {VATRACE} replay --json {ff} > {ffr}\n\
         echo \"replay ffmpeg rc=$?\"\n\
         {VATRACE} replay --json {rl} > {rlr}\n\
         echo \"replay request-leak rc=$?\"\n",
        ff = ff.display(),
        rl = rl.display(),
        ffr = ff_replay.display(),
        rlr = rl_replay.display(),
        doctor = doctor.display(),
        ff_inj = inject_args(&FFMPEG_KS),
        rl_inj = inject_args(&LEAK_KS),
        ffmpeg = ffmpeg_through_driver(&dri, &path, "", "/tmp/out.yuv"),
        leak = leak.display(),
    );
    let opts = RunOptions {
        timeout: Duration::from_secs(900),
        ..Default::default()
    };
    let out = run_sh(&script, &opts).unwrap();
    let text = out.stdout_str();
    eprintln!("{text}\n{}", String::from_utf8_lossy(&out.stderr));
    let lsm = text.lines().find_map(|l| l.strip_prefix("lsm=")).unwrap();
    assert!(
        lsm.split(',').any(|m| m == "bpf"),
        "the test-bed kernel's LSMs: {lsm}"
    );

    // doctor says live injection works there.
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&doctor).unwrap()).unwrap();
    let lsm_check = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "BPF LSM")
        .unwrap();
    assert_eq!(lsm_check["verdict"], "ok", "{lsm_check:#}");
    assert!(
        lsm_check["says"]
            .as_str()
            .unwrap()
            .contains("live fault injection (`record --inject`) works here"),
        "{lsm_check:#}"
    );

    // ffmpeg: every frame, through the 20 failures.
    assert!(
        text.contains(&format!("ffmpeg rc=0 size={}", clip.nv12_bytes())),
        "{text}"
    );
    let calls = ioctls(&ff);
    let reinits: Vec<&traces::record::Ioctl> = calls
        .iter()
        .filter(|i| i.request == MEDIA_REQUEST_IOC_REINIT)
        .collect();
    let injected: Vec<u64> = reinits
        .iter()
        .enumerate()
        .filter(|(_, i)| i.injected)
        .map(|(n, _)| n as u64 + 1)
        .collect();
    assert_eq!(
        injected, FFMPEG_KS,
        "the K-th REINITs, and only they, were injected"
    );
    assert!(calls.iter().filter(|i| i.injected).all(|i| i.ret == -16));
    assert_eq!(calls.iter().filter(|i| i.injected).count(), FFMPEG_KS.len());
    // No REINIT failed but the injected ones, and each injected one was followed by the
    // driver's force-release REINIT of the same request, which succeeded.
    for (n, r) in reinits.iter().enumerate() {
        if r.injected {
            let next = reinits[n + 1];
            assert_eq!(
                (next.fd, next.ret, next.injected),
                (r.fd, 0, false),
                "{r:?}"
            );
        } else {
            assert_eq!(r.ret, 0, "{r:?}");
        }
    }
    let dump = Command::new(VATRACE).arg("dump").arg(&ff).output().unwrap();
    let dump = String::from_utf8_lossy(&dump.stdout);
    let marked: Vec<&str> = dump.lines().filter(|l| l.contains("(INJECTED)")).collect();
    assert_eq!(marked.len(), FFMPEG_KS.len(), "{marked:#?}");
    assert!(
        marked
            .iter()
            .all(|l| l.contains("MEDIA_REQUEST_IOC_REINIT") && l.contains("EBUSY")),
        "{marked:#?}"
    );
    let header = TraceReader::open(&ff).unwrap().header().clone();
    assert!(header.options["inject"].contains("MEDIA_REQUEST_IOC_REINIT#41=EBUSY"));

    // The driver probes (found by themselves: the command's LIBVA_DRIVERS_PATH) show each slot
    // recovered: after each injected REINIT of a request fd, one force-release of the slot that
    // request belongs to, by REINIT (outcome 0), before the next injection; no slot dead.
    assert!(
        header
            .options
            .get("driver_probes")
            .is_some_and(|p| p.contains("v4l2_request_drv_video.so")),
        "{:?}",
        header.options
    );
    let mut slot_of_fd = std::collections::HashMap::new();
    let mut waiting: Option<i32> = None; // request fd of the last injected REINIT
    let mut recovered = Vec::new();
    for r in records(&ff) {
        match r {
            Record::Probe(p) if p.func == ProbeKind::SlotAcquire => {
                slot_of_fd.insert(p.arg("request_fd").unwrap(), p.slot().unwrap());
            }
            Record::Probe(p) if p.func == ProbeKind::SlotForceRelease => {
                let fd = p.arg("request_fd").unwrap();
                assert_eq!(waiting.take().map(i64::from), Some(fd), "{p:?}");
                assert_eq!(p.arg("outcome"), Some(FORCE_REINIT_OK), "{p:?}");
                assert_eq!(p.slot(), slot_of_fd.get(&fd).copied(), "{p:?}");
                recovered.push(fd as i32);
            }
            Record::Probe(p) => assert_ne!(p.func, ProbeKind::SlotDead, "{p:?}"),
            Record::Ioctl(i) if i.injected => {
                assert_eq!(waiting, None, "{i:?}: the previous injection not recovered");
                waiting = Some(i.fd);
            }
            _ => {}
        }
    }
    assert_eq!(waiting, None, "the last injection not recovered");
    let injected_fds: Vec<i32> = calls.iter().filter(|i| i.injected).map(|i| i.fd).collect();
    assert_eq!(recovered, injected_fds);
    // `check` says the same: one force-release note per injection, on that request, none dead.
    let (code, doc) = check(&ff);
    assert_ne!(code, Some(2), "{doc:#}");
    let notes: Vec<(String, i64)> = findings(&doc, "driver-slot-force-released")
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_string(),
                f["request_fd"].as_i64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, i64)> = injected_fds
        .iter()
        .map(|fd| ("note".to_string(), i64::from(*fd)))
        .collect();
    assert_eq!(notes, want, "{doc:#}");
    assert!(findings(&doc, "driver-slot-dead").is_empty(), "{doc:#}");

    // request-leak drops the request of a failed REINIT from its free list (the seed bug): each
    // of the four injections leaks one of its four slots, and it starves at the frame after the
    // fourth (one REINIT a frame: REINIT #K is frame K-1's, from 0).
    let leaked: Vec<u64> = LEAK_KS.iter().map(|k| k - 1).collect();
    let starved = leaked[3] + 1;
    assert!(
        text.contains(&format!(
            "STARVED at frame {starved}: all 4 request slots leaked; {starved} frames decoded"
        )) && text.contains("request-leak rc=3"),
        "{text}"
    );
    let calls = ioctls(&rl);
    let failed: Vec<(u32, i64, bool)> = calls
        .iter()
        .filter(|i| i.ret < 0)
        .map(|i| (i.request, i.ret, i.injected))
        .collect();
    assert_eq!(
        failed,
        [(MEDIA_REQUEST_IOC_REINIT, -16, true); LEAK_KS.len()]
    );
    // The failed REINITs' request fds, never REINIT'd again.
    let lost: Vec<i32> = calls.iter().filter(|i| i.injected).map(|i| i.fd).collect();
    for fd in &lost {
        let last = calls
            .iter()
            .rev()
            .find(|i| i.request == MEDIA_REQUEST_IOC_REINIT && i.fd == *fd)
            .unwrap();
        assert!(last.injected, "fd {fd} REINIT'd again: {last:?}");
    }
    let (code, doc) = check(&rl);
    assert_eq!(code, Some(1), "{doc:#}");
    let mut leaks: Vec<(u64, i64)> = findings(&doc, "request-leak")
        .iter()
        .map(|f| {
            (
                f["frame"].as_u64().unwrap(),
                f["request_fd"].as_i64().unwrap(),
            )
        })
        .collect();
    leaks.sort();
    let want: Vec<(u64, i64)> = leaked
        .iter()
        .copied()
        .zip(lost.iter().map(|fd| i64::from(*fd)))
        .collect();
    assert_eq!(leaks, want, "{doc:#}");
    let starvation: Vec<u64> = findings(&doc, "request-starved")
        .iter()
        .map(|f| f["frame"].as_u64().unwrap())
        .collect();
    assert_eq!(starvation, [starved], "{doc:#}");

    // Replay (in the guest, on visl) injects the recorded failures again: no divergence.
    let rc = |what: &str| rc_of(&text, &format!("replay {what}"));
    assert_replays_clean("ffmpeg", &rc("ffmpeg"), &ff_replay, FFMPEG_KS.len());
    assert_replays_clean(
        "request-leak",
        &rc("request-leak"),
        &rl_replay,
        LEAK_KS.len(),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The `v4l2_buffer` field at `off` of a recorded argument.
fn buf_field(arg: &[u8], off: usize) -> Option<u32> {
    arg.get(off..off + 4)
        .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
}

/// Whether a recorded call is a VIDIOC_QBUF on a VIDEO_OUTPUT(_MPLANE) queue (a live frame).
fn output_qbuf(i: &traces::record::Ioctl) -> bool {
    i.request == VIDIOC_QBUF
        && matches!(
            buf_field(&i.before, B::TYPE),
            Some(names::BUF_TYPE_VIDEO_OUTPUT | names::BUF_TYPE_VIDEO_OUTPUT_MPLANE)
        )
}

/// The one injected call of a trace recorded with one `--inject`: exactly one, failed with
/// `-errno`, and the calls of its process in order.
fn one_injected(path: &Path, errno: i32) -> (traces::record::Ioctl, Vec<traces::record::Ioctl>) {
    let calls = ioctls(path);
    let injected: Vec<&traces::record::Ioctl> = calls.iter().filter(|i| i.injected).collect();
    assert_eq!(injected.len(), 1, "{}: {injected:#?}", path.display());
    let hit = injected[0].clone();
    assert_eq!(hit.ret, -i64::from(errno), "{hit:?}");
    let mut own: Vec<traces::record::Ioctl> =
        calls.into_iter().filter(|i| i.pid == hit.pid).collect();
    own.sort_by_key(|i| i.seq);
    (hit, own)
}

/// A clean replay (see [`replayed_injections`]) that injected the trace's one recorded
/// injection, call `call` at `seq`, again.
fn assert_replays_injection(name: &str, rc: &str, path: &Path, seq: u64, call: &str, result: &str) {
    let again = replayed_injections(name, rc, path);
    assert_eq!(again.len(), 1, "{name}: {again:#?}");
    assert_eq!(again[0]["seq"], seq, "{name}: {again:#?}");
    assert_eq!(again[0]["result"], result, "{name}: {again:#?}");
    assert!(
        again[0]["call"].as_str().unwrap().starts_with(call),
        "{name}: {again:#?}"
    );
}

/// Frame and buffer-index specs live (`VIDIOC_QBUF@frame5`, `VIDIOC_QBUF@buf1#3`,
/// `MEDIA_REQUEST_IOC_QUEUE@frame7`): ffmpeg through our driver on visl, one recording per spec,
/// each trace holding exactly one injected call, exactly the one the spec names, which `vatrace
/// replay` injects again.
#[test]
fn frame_and_buffer_specs_fail_exactly_the_named_call() {
    let clip = Clip::small(Codec::H264);
    let path = clip.generate().unwrap();
    let dri = driver_dir();
    let dir = testbed::paths::work_dir("inject-frame");
    let specs = [
        ("qbuf-frame", "VIDIOC_QBUF@frame5=EIO"),
        ("qbuf-buf", "VIDIOC_QBUF@buf1#3=EIO"),
        ("queue-frame", "MEDIA_REQUEST_IOC_QUEUE@frame7=EBUSY"),
    ];
    let mut script = String::from("set -u\n");
    for (name, spec) in specs {
        let trace = dir.join(format!("{name}.trace"));
        let report = dir.join(format!("{name}.replay.json"));
        script.push_str(&format!(
            "timeout 180 {VATRACE} record -o {t} --inject '{spec}' -- {ffmpeg}\n\
             echo \"{name} record rc=$?\"\n\
             timeout 180 {VATRACE} replay --json {t} > {r}\n\
             echo \"{name} replay rc=$?\"\n",
            t = trace.display(),
            r = report.display(),
            ffmpeg =
                ffmpeg_through_driver(&dri, &path, "timeout 120 ", &format!("/tmp/{name}.yuv")),
        ));
    }
    let opts = RunOptions {
        timeout: Duration::from_secs(900),
        ..Default::default()
    };
    let out = run_sh(&script, &opts).unwrap();
    let text = out.stdout_str();
    eprintln!("{text}\n{}", String::from_utf8_lossy(&out.stderr));
    let rc = |what: &str| rc_of(&text, what);
    // VIDIOC_QBUF@frame5: the 5th QBUF on an OUTPUT queue, counted in call order.
    let trace = dir.join("qbuf-frame.trace");
    let (hit, own) = one_injected(&trace, libc::EIO);
    let fifth = own.iter().filter(|i| output_qbuf(i)).nth(4).unwrap();
    assert_eq!(fifth.seq, hit.seq, "{hit:?}");
    let header = TraceReader::open(&trace).unwrap().header().clone();
    assert_eq!(header.options["inject"], "VIDIOC_QBUF@frame5=EIO");
    assert_replays_injection(
        "qbuf-frame",
        &rc("qbuf-frame replay"),
        &dir.join("qbuf-frame.replay.json"),
        hit.seq,
        "VIDIOC_QBUF#",
        "-EIO",
    );

    // VIDIOC_QBUF@buf1#3: the 3rd QBUF passing index 1 (either queue).
    let trace = dir.join("qbuf-buf.trace");
    let (hit, own) = one_injected(&trace, libc::EIO);
    let third = own
        .iter()
        .filter(|i| i.request == VIDIOC_QBUF && buf_field(&i.before, B::INDEX) == Some(1))
        .nth(2)
        .unwrap();
    assert_eq!(third.seq, hit.seq, "{hit:?}");
    assert_replays_injection(
        "qbuf-buf",
        &rc("qbuf-buf replay"),
        &dir.join("qbuf-buf.replay.json"),
        hit.seq,
        "VIDIOC_QBUF#",
        "-EIO",
    );

    // MEDIA_REQUEST_IOC_QUEUE@frame7: the process's first request queue after the 7th OUTPUT
    // QBUF.
    let trace = dir.join("queue-frame.trace");
    let (hit, own) = one_injected(&trace, libc::EBUSY);
    let seventh = own.iter().filter(|i| output_qbuf(i)).nth(6).unwrap();
    let queue = own
        .iter()
        .find(|i| i.seq > seventh.seq && i.request == MEDIA_REQUEST_IOC_QUEUE)
        .unwrap();
    assert_eq!(queue.seq, hit.seq, "{hit:?}");
    assert_replays_injection(
        "queue-frame",
        &rc("queue-frame replay"),
        &dir.join("queue-frame.replay.json"),
        hit.seq,
        "MEDIA_REQUEST_IOC_QUEUE#",
        "-EBUSY",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn host_without_bpf_lsm_gets_the_problem_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.trace");
    let run = |spec: &str| {
        Command::new(VATRACE)
            .args(["record", "-o"])
            .arg(&trace)
            .args(["--inject", spec, "--", "true"])
            .output()
            .unwrap()
    };
    // A form the kernel cannot match live: refused before anything is loaded, as anyone.
    let o = run("VIDIOC_DQBUF@frame5=EIO");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("NAME#K") && err.contains("vatrace replay --inject"),
        "{err}"
    );
    // SAFETY: geteuid has no arguments and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: the BPF LSM refusal is not reached");
        return;
    }
    let lsm_listed = std::fs::read_to_string("/sys/kernel/security/lsm")
        .is_ok_and(|l| l.trim().split(',').any(|m| m == "bpf"));
    let o = run("MEDIA_REQUEST_IOC_REINIT#2=EBUSY");
    let err = String::from_utf8_lossy(&o.stderr);
    if o.status.success() {
        // A kernel with BPF LSM: injection works here (nothing to refuse).
        assert!(lsm_listed, "{err}");
        return;
    }
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("BPF LSM"), "{err}");
    assert!(
        err.contains("CONFIG_BPF_LSM") && err.contains("lsm=...,bpf"),
        "{err}"
    );
    assert!(
        !trace.exists(),
        "no trace is started when injection cannot be"
    );
}
