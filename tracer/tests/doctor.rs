//! `vatrace doctor` where it runs: on the host (no V4L2 here: the decoder check must say so,
//! recording still works as root) and in the test-bed (6.12 with visl: every check passes, visl
//! is found through the media graph with its codecs, and the eBPF attachments load).

use std::{process::Command, time::Duration};

use serde_json::Value;
use testbed::{run_sh, RunOptions};

mod common;

const VATRACE: &str = env!("CARGO_BIN_EXE_vatrace");

/// The check named `name` in doctor's JSON.
fn check<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["checks"]
        .as_array()
        .expect("a checks array")
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no {name:?} check in {doc:#}"))
}

/// Every check has a verdict and a line, and a fix whenever it is not ok.
fn assert_well_formed(doc: &Value) {
    for c in doc["checks"].as_array().unwrap() {
        let verdict = c["verdict"].as_str().unwrap();
        assert!(["ok", "warn", "fail"].contains(&verdict), "{c}");
        assert!(!c["says"].as_str().unwrap().is_empty(), "{c}");
        assert_eq!(c["fix"].is_string(), verdict != "ok", "{c}");
    }
}

/// True if this machine has media nodes (a developer's board or laptop): the host test's V4L2
/// assertion is about machines without them.
fn host_has_media_nodes() -> bool {
    std::fs::read_dir("/dev")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .any(|e| e.file_name().to_string_lossy().starts_with("media"))
        })
        .unwrap_or(false)
}

#[test]
fn doctor_on_the_host_names_the_missing_v4l2() {
    let out = Command::new(VATRACE)
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    let doc: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("doctor --json: {e}\n{text}\nstderr:\n{err}"));
    assert_well_formed(&doc);
    let works = doc["record_would_work"].as_bool().unwrap();
    assert_eq!(
        out.status.code(),
        Some(if works { 0 } else { 1 }),
        "{doc:#}"
    );
    // SAFETY: geteuid has no arguments and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        assert!(works, "recording works as root on this host: {doc:#}");
        assert_eq!(check(&doc, "raw tracepoints")["verdict"], "ok", "{doc:#}");
        assert_eq!(check(&doc, "record")["verdict"], "ok", "{doc:#}");
    }
    if !host_has_media_nodes() {
        let v4l2 = check(&doc, "V4L2 decoders");
        assert_eq!(v4l2["verdict"], "warn", "{doc:#}");
        assert!(
            v4l2["says"]
                .as_str()
                .unwrap()
                .contains("no V4L2 stateless decoder"),
            "{doc:#}"
        );
    }
}

#[test]
fn doctor_without_privileges_fails_and_says_what_to_do() {
    // SAFETY: geteuid has no arguments and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: dropping to nobody needs root");
        return;
    }
    use std::os::unix::process::CommandExt;
    let (_dir, vatrace) = common::vatrace_for_nobody(VATRACE);
    let out = Command::new(vatrace)
        .arg("doctor")
        .current_dir("/")
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("FAIL  privileges:"))
        .unwrap_or_else(|| panic!("no failed privileges check:\n{text}"));
    assert!(line.contains("CAP_BPF"), "{text}");
    assert!(text.contains("fix: run vatrace as root"), "{text}");
    assert!(
        text.contains("vatrace record would not work here"),
        "{text}"
    );
}

#[test]
fn doctor_in_the_testbed_passes_and_finds_visl() {
    let script = format!(
        "{VATRACE} doctor; echo \"doctor exit $?\"; {VATRACE} doctor --json > /tmp/doctor.json; \
         echo \"json exit $?\"; cat /tmp/doctor.json"
    );
    let opts = RunOptions {
        timeout: Duration::from_secs(300),
        ..Default::default()
    };
    let out = run_sh(&script, &opts).unwrap().check().unwrap();
    let text = out.stdout_str();
    let (human, json) = text
        .split_once("doctor exit 0\n")
        .unwrap_or_else(|| panic!("doctor did not exit 0:\n{text}\n{}", out.stderr_str()));
    eprintln!("{human}");
    let json = json
        .strip_prefix("json exit 0\n")
        .unwrap_or_else(|| panic!("doctor --json did not exit 0:\n{text}"));
    let doc: Value = serde_json::from_str(json).unwrap();
    assert_well_formed(&doc);
    assert_eq!(doc["record_would_work"], true, "{doc:#}");
    for name in [
        "privileges",
        "BTF",
        "tracefs",
        "raw tracepoints",
        "uprobes",
        "V4L2 decoders",
        "record",
    ] {
        assert_eq!(check(&doc, name)["verdict"], "ok", "{name}: {doc:#}");
    }
    // fentry/fexit and LSM programs load there; whether they attach depends on the kernel's
    // ftrace options, which the verdict explains either way.
    for name in ["fentry/fexit", "BPF LSM"] {
        let says = check(&doc, name)["says"].as_str().unwrap();
        assert!(says.contains("programs load"), "{name}: {says}");
    }
    let lsm = check(&doc, "BPF LSM")["says"].as_str().unwrap();
    assert!(
        lsm.contains("active LSMs: ") && lsm.contains("bpf"),
        "{lsm}"
    );
    // visl, found through its media graph, with the stateless codecs of its OUTPUT queue.
    let decoders = check(&doc, "V4L2 decoders")["says"].as_str().unwrap();
    let visl = decoders
        .split("; ")
        .find(|d| d.contains("(visl,"))
        .unwrap_or_else(|| panic!("visl not among the decoders: {decoders}"));
    for codec in ["S264", "MG2S", "VP8F"] {
        assert!(visl.contains(codec), "{codec} missing from {visl}");
    }
    // vicodec's media graph also holds its stateful encoder and decoder: only the stateless
    // one (its OUTPUT queue takes requests) counts.
    let vicodec: Vec<&str> = decoders
        .split("; ")
        .filter(|d| d.contains("(vicodec,"))
        .collect();
    assert_eq!(vicodec.len(), 1, "{decoders}");
    assert!(vicodec[0].ends_with(": SFWH"), "{decoders}");
    assert!(human.contains("ok    V4L2 decoders:"), "{human}");
    assert!(
        human.ends_with("vatrace record would work here\n"),
        "{human}"
    );
}
