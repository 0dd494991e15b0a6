//! `vatrace check` on traces recorded in the test-bed (QEMU, 6.12 kernel, visl): new runs of the
//! `request-leak` client (clients/src/bin/request-leak.rs) with other `--slots`/`--leak-at` than
//! the committed sample give a `request-leak` finding at exactly the frames it leaked on, and
//! `request-starved` from the frame after the last leak exactly when every slot leaked.
//!
//! Boots the test-bed once (tens of seconds under TCG); runs with the rest of `cargo xtask test`.

use std::process::Command;
use std::time::Duration;

use testbed::{run_sh, RunOptions};

mod common;

const VATRACE: &str = env!("CARGO_BIN_EXE_vatrace");

/// `(slots, frames, leak frames)` of each run.
const RUNS: &[(u32, u32, &[u64])] = &[(3, 20, &[2, 5, 9]), (2, 12, &[4, 6]), (5, 14, &[1, 8])];

#[test]
fn recorded_leaks_are_found_at_exactly_their_frames() {
    let bin = common::request_leak(VATRACE);
    let dir = testbed::paths::work_dir("check-request-leak");
    let mut script = String::from("set -e\n");
    for (i, (slots, frames, leaks)) in RUNS.iter().enumerate() {
        let at: Vec<String> = leaks.iter().map(u64::to_string).collect();
        script.push_str(&format!(
            "{VATRACE} record -o {dir}/run{i}.trace -- {bin} --slots {slots} --frames {frames} --leak-at {at} || true\n",
            dir = dir.display(),
            bin = bin.display(),
            at = at.join(","),
        ));
    }
    let opts = RunOptions {
        timeout: Duration::from_secs(600),
        ..Default::default()
    };
    let out = run_sh(&script, &opts).unwrap().check().unwrap();
    eprintln!("{}", out.stdout_str());
    for (i, (slots, _, leaks)) in RUNS.iter().enumerate() {
        let trace = dir.join(format!("run{i}.trace"));
        let o = Command::new(VATRACE)
            .args(["check", "--json"])
            .arg(&trace)
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(o.status.code(), Some(1), "run {i}: {doc:#}");
        let findings = doc["findings"].as_array().unwrap();
        let frames = |rule: &str| -> Vec<u64> {
            let mut v: Vec<u64> = findings
                .iter()
                .filter(|f| f["rule"] == rule)
                .map(|f| f["frame"].as_u64().unwrap())
                .collect();
            v.sort();
            v
        };
        assert_eq!(frames("request-leak"), leaks.to_vec(), "run {i}: {doc:#}");
        let starved = frames("request-starved");
        if leaks.len() as u32 == *slots {
            assert_eq!(starved, vec![leaks.last().unwrap() + 1], "run {i}: {doc:#}");
        } else {
            assert!(starved.is_empty(), "run {i}: {doc:#}");
        }
        // Nothing else is an error: the leaked slots' failed DQBUFs are the client's own probes.
        let other: Vec<&serde_json::Value> = findings
            .iter()
            .filter(|f| {
                f["severity"] == "error"
                    && f["rule"] != "request-leak"
                    && f["rule"] != "request-starved"
            })
            .collect();
        assert!(other.is_empty(), "run {i}: {other:#?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
