//! The `cargo xtask` command line: exit codes of `testbed run`, and clear errors.

use std::process::Command;

fn xtask() -> Command {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
}

#[test]
fn testbed_run_exits_with_the_commands_code() {
    let out = xtask()
        .args([
            "testbed",
            "run",
            "--timeout",
            "300",
            "--",
            "sh",
            "-c",
            "echo hello; exit 42",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(42),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello\n");
}

#[test]
fn testbed_run_reports_a_timeout_as_failure() {
    let out = xtask()
        .args(["testbed", "run", "--timeout", "20", "--", "sleep", "600"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(124));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("still running after the timeout"), "{err}");
}

#[test]
fn testbed_run_without_a_kernel_says_what_to_run() {
    let empty = std::env::temp_dir().join(format!("vatrace-empty-cache-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let out = xtask()
        .env("VATRACE_CACHE_DIR", &empty)
        .args(["testbed", "run", "--no-build", "--", "true"])
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&empty);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is not built: run `cargo xtask testbed build`"),
        "{err}"
    );
}

#[test]
fn setup_check_finds_nothing_missing_after_setup() {
    // `cargo xtask test` runs setup before the tests, so the machine must now be complete.
    let out = xtask().args(["setup", "--check"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("everything is in place"), "{err}");
}
