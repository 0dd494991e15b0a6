//! Live fault injection, `vatrace record --inject NAME#K=ERRNO` (BPF LSM `file_ioctl`).
//!
//! Test-bed (QEMU, 6.12 with CONFIG_BPF_LSM and `bpf` among its LSMs; one boot): `ffmpeg
//! -hwaccel vaapi` decoding the 30-frame H.264 clip through our libva driver, with four
//! `MEDIA_REQUEST_IOC_REINIT#K=EBUSY` injections, still decodes every frame (the driver's
//! force-release REINITs the slot again); the trace holds exactly those four failures, marked
//! injected, at exactly the K-th REINITs, each followed by a successful REINIT of the same request;
//! `dump` marks them. The buggy `request-leak` client under the same injections stops at the
//! first one with the request never reinitialised, and `vatrace check` reports the leak there.
//!
//! Host: where the kernel refuses BPF LSM (this development machine: EPERM), `record --inject`
//! fails before running anything, naming the problem and the fix; forms the kernel cannot match
//! live are refused with the alternative.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use testbed::clips::{Clip, Codec};
use testbed::{run_sh, RunOptions};
use traces::ioctl::request::MEDIA_REQUEST_IOC_REINIT;
use traces::{Record, TraceReader};

mod common;

const VATRACE: &str = env!("CARGO_BIN_EXE_vatrace");

/// The REINIT calls (1-based, per process) that fail.
const KS: [u64; 4] = [3, 9, 15, 22];

fn inject_args() -> String {
    KS.iter()
        .map(|k| format!(" --inject 'MEDIA_REQUEST_IOC_REINIT#{k}=EBUSY'"))
        .collect()
}

/// The libva driver cargo built (`cargo build -p v4l2-request-driver`), copied where libva
/// looks for it under the target directory (the guest sees the target directory, not /tmp).
fn driver_dir() -> PathBuf {
    let debug = Path::new(VATRACE).parent().unwrap();
    let so = debug.join("deps/libv4l2_request.so");
    assert!(
        so.exists(),
        "{} missing: `cargo build -p v4l2-request-driver` first",
        so.display()
    );
    let dri = debug.join("test-dri-inject");
    std::fs::create_dir_all(&dri).unwrap();
    let tmp = dri.join(format!(".drv.{}", std::process::id()));
    std::fs::copy(&so, &tmp).unwrap();
    std::fs::rename(&tmp, dri.join("v4l2_request_drv_video.so")).unwrap();
    dri
}

/// The ioctls of a trace, in order.
fn ioctls(path: &Path) -> Vec<traces::record::Ioctl> {
    TraceReader::open(path)
        .unwrap()
        .filter_map(|r| match r.unwrap() {
            Record::Ioctl(i) => Some(i),
            _ => None,
        })
        .collect()
}

#[test]
fn ffmpeg_recovers_from_injected_reinit_failures_and_request_leak_leaks() {
    let clip = Clip::small(Codec::H264);
    let path = clip.generate().unwrap();
    let dri = driver_dir();
    let leak = common::request_leak(VATRACE);
    let dir = testbed::paths::work_dir("inject");
    let (ff, rl) = (dir.join("ffmpeg.trace"), dir.join("leak.trace"));
    let doctor = dir.join("doctor.json");
    let script = format!(
        "set -u\n\
         echo \"lsm=$(cat /sys/kernel/security/lsm)\"\n\
         {VATRACE} doctor --json > {doctor}\n\
         rm -f /tmp/out.yuv\n\
         {VATRACE} record -o {ff}{inj} -- env LIBVA_DRIVERS_PATH={dri} LIBVA_DRIVER_NAME=v4l2_request \
           ffmpeg -nostdin -loglevel error -threads 1 -hwaccel vaapi -hwaccel_output_format vaapi \
           -vaapi_device /dev/dri/renderD128 -i {clip} -vf hwdownload,format=nv12 -f rawvideo -y /tmp/out.yuv\n\
         echo \"ffmpeg rc=$? size=$(stat -c %s /tmp/out.yuv)\"\n\
         {VATRACE} record -o {rl}{inj} -- {leak} --slots 4 --frames 30 --leak-every 0\n\
         echo \"request-leak rc=$?\"\n",
        ff = ff.display(),
        rl = rl.display(),
        doctor = doctor.display(),
        inj = inject_args(),
        dri = dri.display(),
        clip = path.display(),
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

    // ffmpeg: every frame, through the four failures.
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
        injected, KS,
        "the K-th REINITs, and only they, were injected"
    );
    assert!(calls.iter().filter(|i| i.injected).all(|i| i.ret == -16));
    assert_eq!(calls.iter().filter(|i| i.injected).count(), KS.len());
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
    assert_eq!(marked.len(), KS.len(), "{marked:#?}");
    assert!(
        marked
            .iter()
            .all(|l| l.contains("MEDIA_REQUEST_IOC_REINIT") && l.contains("EBUSY")),
        "{marked:#?}"
    );
    let header = TraceReader::open(&ff).unwrap().header().clone();
    assert!(header.options["inject"].contains("MEDIA_REQUEST_IOC_REINIT#22=EBUSY"));

    // request-leak treats a failed REINIT as fatal (exit 1) and leaves its request as it was:
    // the first injection is the only one it reaches, and `check` finds the leaked request on
    // that frame (frame K-1 from 0: one REINIT a frame).
    assert!(text.contains("request-leak rc=1"), "{text}");
    let calls = ioctls(&rl);
    let failed: Vec<(u32, i64, bool)> = calls
        .iter()
        .filter(|i| i.ret < 0)
        .map(|i| (i.request, i.ret, i.injected))
        .collect();
    assert_eq!(failed, [(MEDIA_REQUEST_IOC_REINIT, -16, true)]);
    let o = Command::new(VATRACE)
        .args(["check", "--json"])
        .arg(&rl)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(o.status.code(), Some(1), "{doc:#}");
    let leaks: Vec<u64> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "request-leak")
        .map(|f| f["frame"].as_u64().unwrap())
        .collect();
    assert_eq!(leaks, [KS[0] - 1], "{doc:#}");
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
