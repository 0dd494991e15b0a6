//! `vatrace check` on the committed sample traces (host only): exit codes, the findings each
//! sample's README promises, `--json`, `--profile`, a cut trace and bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

const VATRACE: &str = env!("CARGO_BIN_EXE_vatrace");

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../traces/samples")
        .join(name)
}

fn check(args: &[&str], file: &Path) -> (i32, serde_json::Value) {
    let out = Command::new(VATRACE)
        .arg("check")
        .arg("--json")
        .args(args)
        .arg(file)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), doc)
}

fn rules(doc: &serde_json::Value) -> Vec<(String, String, Option<u64>)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["frame"].as_u64(),
            )
        })
        .collect()
}

#[test]
fn samples_exit_by_their_verdicts() {
    for (name, code) in [
        ("probe-ebusy.trace", 1),
        ("request-leak.trace", 1),
        ("request-leak-fixed.trace", 0),
        ("gst-v4l2slh264dec.trace", 0),
        ("ffmpeg-vaapi.trace", 0),
    ] {
        let (got, doc) = check(&[], &sample(name));
        assert_eq!(got, code, "{name}: {doc:#}");
        let errors = doc["summary"]["errors"].as_u64().unwrap();
        assert_eq!(errors > 0, code == 1, "{name}: {doc:#}");
        assert_eq!(doc["profile"], "visl", "{name}: the recorded driver");
    }
}

#[test]
fn request_leak_findings_name_the_frames() {
    let (_, doc) = check(&[], &sample("request-leak.trace"));
    let r = rules(&doc);
    let mut leaks: Vec<u64> = r
        .iter()
        .filter(|f| f.1 == "request-leak")
        .map(|f| f.2.unwrap())
        .collect();
    leaks.sort();
    assert_eq!(leaks, [3, 7, 11, 15]);
    assert!(
        r.contains(&("error".into(), "request-starved".into(), Some(16))),
        "{r:?}"
    );
    // Every finding names its source and explanation.
    for f in doc["findings"].as_array().unwrap() {
        assert!(!f["source"].as_str().unwrap().is_empty());
        assert!(!f["explanation"].as_str().unwrap().is_empty());
        assert!(f["seq"].is_u64() || f["record"].is_u64());
    }
}

#[test]
fn hantro_profile_passes_gstreamer_and_text_output_summarises() {
    let (code, doc) = check(
        &["--profile", "hantro-g1"],
        &sample("gst-v4l2slh264dec.trace"),
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["profile"], "hantro-g1");
    let out = Command::new(VATRACE)
        .arg("check")
        .arg(sample("probe-ebusy.trace"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(text.contains("error[reqbufs-busy]"), "{text}");
    assert!(text.lines().last().unwrap().contains("errors"), "{text}");
}

#[test]
fn a_cut_trace_is_checked_to_its_end_and_bad_input_is_refused() {
    let dir = std::env::temp_dir().join(format!("vatrace-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = std::fs::read(sample("request-leak.trace")).unwrap();
    let cut = dir.join("cut.trace");
    std::fs::write(&cut, &bytes[..bytes.len() * 3 / 4]).unwrap();
    let (code, doc) = check(&[], &cut);
    assert!(
        doc["cut"].as_str().unwrap().contains("cut at byte"),
        "{doc:#}"
    );
    let r = rules(&doc);
    assert!(r.iter().any(|f| f.1 == "trace-cut"), "{r:?}");
    // Cut after the frame-3 leak: that leak is still found (judged at the cut).
    assert!(
        r.iter().any(|f| f.1 == "request-leak" && f.2 == Some(3)),
        "{r:?}"
    );
    assert_eq!(code, 1);
    // Unknown profile, foreign file: exit 2 with a message naming the fix.
    let out = Command::new(VATRACE)
        .args(["check", "--profile", "g1"])
        .arg(&cut)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("hantro-g1, rkvdec, cedrus, visl"));
    let foreign = dir.join("foreign");
    std::fs::write(&foreign, b"not a trace at all").unwrap();
    let out = Command::new(VATRACE)
        .arg("check")
        .arg(&foreign)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a vatrace trace"));
    let _ = std::fs::remove_dir_all(&dir);
}
