//! The synthetic buggy clients, run in the test-bed against visl: the EBUSY of the probe pattern
//! happens at the same call on every run, the request-slot leak starves the pool at the same
//! frame on every run, and both `--fixed` variants succeed.

use std::time::Duration;

use testbed::{run_sh, RunOptions};

const RUNS: usize = 3;

fn opts() -> RunOptions {
    RunOptions {
        timeout: Duration::from_secs(300),
        ..Default::default()
    }
}

/// Runs `cmd` `RUNS` times in one guest; returns each run's (exit code, stdout).
fn repeat(cmd: &str) -> Vec<(i32, String)> {
    let script = format!(
        r#"for i in $(seq {RUNS}); do
             echo "=== run $i"
             {cmd}
             echo "=== rc $?"
           done"#
    );
    let out = run_sh(&script, &opts()).unwrap().check().unwrap();
    let text = out.stdout_str();
    let mut runs = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        if line.starts_with("=== run") {
            cur.clear();
        } else if let Some(rc) = line.strip_prefix("=== rc ") {
            runs.push((rc.trim().parse().unwrap(), std::mem::take(&mut cur)));
        } else {
            cur.push_str(line);
            cur.push('\n');
        }
    }
    assert_eq!(runs.len(), RUNS, "{text}\n{}", out.stderr_str());
    runs
}

#[test]
fn probe_ebusy_is_deterministic_and_fixed_variant_applies_the_new_size() {
    let bin = env!("CARGO_BIN_EXE_probe-ebusy");
    let runs = repeat(&format!("{bin}; {bin} --fixed"));
    let first = &runs[0].1;
    for (rc, out) in &runs {
        // The buggy run exits 2; the shell sees the last command's code (the fixed one: 0).
        assert_eq!(*rc, 0, "{out}");
        assert!(
            out.contains("EBUSY at call 14: VIDIOC_REQBUFS(CAPTURE, 0)"),
            "{out}"
        );
        assert!(
            out.contains("new size never applied: S_FMT EBUSY, REQBUFS EBUSY"),
            "{out}"
        );
        assert!(
            out.contains("new size applied: 4 CAPTURE buffers of 1920x1080"),
            "{out}"
        );
        assert_eq!(out, first, "runs differ");
    }
    let wrong = repeat(bin);
    assert!(wrong.iter().all(|(rc, _)| *rc == 2), "{wrong:?}");
}

#[test]
fn request_leak_starves_at_the_same_frame_and_fixed_variant_decodes_all() {
    let bin = env!("CARGO_BIN_EXE_request-leak");
    let runs = repeat(&format!("{bin} --slots 4 --frames 30 --leak-every 4"));
    for (rc, out) in &runs {
        assert_eq!(*rc, 3, "{out}");
        assert!(
            out.contains("STARVED at frame 16: all 4 request slots leaked; 12 frames decoded"),
            "{out}"
        );
        assert_eq!(out, &runs[0].1, "runs differ");
    }
    let runs = repeat(&format!("{bin} --slots 3 --frames 20 --leak-at 2,5,9"));
    for (rc, out) in &runs {
        assert_eq!(*rc, 3, "{out}");
        assert!(
            out.contains("STARVED at frame 10: all 3 request slots leaked; 7 frames decoded"),
            "{out}"
        );
    }
    let fixed = repeat(&format!(
        "{bin} --slots 4 --frames 30 --leak-every 4 --fixed"
    ));
    for (rc, out) in &fixed {
        assert_eq!(*rc, 0, "{out}");
        assert!(out.contains("decoded 30 of 30 frames"), "{out}");
    }
}
