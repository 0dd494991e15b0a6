//! End-to-end: the `play` example (what `vatrace tui FILE` calls) on the sample trace, inside a
//! detached 80x24 tmux, read back with `tmux capture-pane`: the leaked slot and the EBUSY show,
//! and `q` quits with status 0. Skipped (with a note) where tmux or the example binary is missing
//! (CI builds examples with `cargo build --all-targets` first).

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use traces::pool::synth;
use traces::{Record, TraceWriter};

fn example(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?;
    let p = dir.join("examples").join(name);
    p.exists().then_some(p)
}

fn tmux(socket: &str, args: &[&str]) -> Option<String> {
    let out = Command::new("tmux")
        .arg("-L")
        .arg(socket)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Plays `trace` in a detached 80x24 tmux until every string of `want` is on screen (or 20 s
/// pass), quits with `q`, and returns the screen and the exit status.
fn play_in_tmux(trace: &std::path::Path, want: &[&str]) -> (String, String) {
    let status = trace.with_extension("status");
    run_in_tmux("play", &trace.display().to_string(), &status, want)
}

/// Runs example `name` with `args` in a detached 80x24 tmux (see [`play_in_tmux`]).
fn run_in_tmux(
    name: &str,
    args: &str,
    status: &std::path::Path,
    want: &[&str],
) -> (String, String) {
    let Some(bin) = example(name) else {
        panic!("examples/{name} is not built: run `cargo build -p tui --examples` (cargo xtask test builds all targets)");
    };
    if Command::new("tmux").arg("-V").output().is_err() {
        panic!("tmux is not installed: run `cargo xtask setup` (or apt-get install tmux)");
    }
    let _ = std::fs::remove_file(status);
    let socket = format!("vatrace-test-{}-{name}", std::process::id());
    let cmd = format!("{} {args}; echo $? > {}", bin.display(), status.display());
    tmux(
        &socket,
        &["new-session", "-d", "-x", "80", "-y", "24", &cmd],
    )
    .expect("tmux new-session");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut screen = String::new();
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(300));
        screen = tmux(&socket, &["capture-pane", "-p"]).unwrap_or_default();
        if want.iter().all(|w| screen.contains(w)) {
            break;
        }
    }
    tmux(&socket, &["send-keys", "q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !status.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let code = std::fs::read_to_string(status).unwrap_or_default();
    tmux(&socket, &["kill-server"]);
    (screen, code.trim().to_string())
}

#[test]
fn play_in_tmux_shows_leak_and_ebusy() {
    let dir = std::env::temp_dir().join(format!("vatrace-tui-tmux-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("leak_and_ebusy.vatrace");
    let (header, records) = synth::leak_and_ebusy();
    let mut w = TraceWriter::new(BufWriter::new(File::create(&trace).unwrap()), &header).unwrap();
    for r in &records {
        match r {
            Record::End(e) => {
                w.finish(e.clone()).unwrap();
                break;
            }
            r => w.write(r).unwrap(),
        }
    }
    let result = play_in_tmux(&trace, &["LEAK r12", "REQBUFS EBUSY x1"]);
    let _ = std::fs::remove_dir_all(&dir);
    let (screen, code) = result;
    assert!(screen.contains("2!LEAK r12"), "{screen}");
    assert!(screen.contains("REQBUFS EBUSY x1"), "{screen}");
    assert!(screen.contains("1 LEAKED"), "{screen}");
    assert_eq!(code, "0", "exit status; screen:\n{screen}");
}

#[test]
fn play_in_tmux_recorded_leak() {
    let dir = std::env::temp_dir().join(format!("vatrace-tui-tmux-rec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("leak.trace");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../traces/samples/request-leak.trace"
        ),
        &trace,
    )
    .unwrap();
    let result = play_in_tmux(&trace, &["3 LEAKED"]);
    let _ = std::fs::remove_dir_all(&dir);
    let (screen, code) = result;
    assert!(screen.contains("0 LEAK r5"), "{screen}");
    assert!(screen.contains("3 LEAKED"), "{screen}");
    assert_eq!(code, "0", "exit status; screen:\n{screen}");
}

#[test]
fn live_demo_in_tmux_ends_with_the_leak() {
    let status =
        std::env::temp_dir().join(format!("vatrace-tui-live-{}.status", std::process::id()));
    let (screen, code) = run_in_tmux(
        "live_demo",
        "7",
        &status,
        &["ended", "1 LEAKED", "REQBUFS EBUSY"],
    );
    let _ = std::fs::remove_file(&status);
    assert!(screen.contains("| ended"), "{screen}");
    assert!(screen.contains("5!LEAK r15"), "{screen}");
    assert!(screen.contains("REQBUFS EBUSY x1"), "{screen}");
    assert_eq!(code, "0", "exit status; screen:\n{screen}");
}
