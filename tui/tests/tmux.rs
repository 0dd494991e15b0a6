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

fn play_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?;
    let p = dir.join("examples").join("play");
    p.exists().then_some(p)
}

fn tmux(socket: &str, args: &[&str]) -> Option<String> {
    let out = Command::new("tmux").arg("-L").arg(socket).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn play_in_tmux_shows_leak_and_ebusy() {
    let Some(play) = play_binary() else {
        eprintln!("skipped: examples/play not built (cargo build -p tui --examples)");
        return;
    };
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: no tmux");
        return;
    }
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
    let status = dir.join("status");
    let socket = format!("vatrace-test-{}", std::process::id());
    let cmd = format!("{} {}; echo $? > {}", play.display(), trace.display(), status.display());
    tmux(&socket, &["new-session", "-d", "-x", "80", "-y", "24", &cmd]).expect("tmux new-session");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut screen = String::new();
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(300));
        screen = tmux(&socket, &["capture-pane", "-p"]).unwrap_or_default();
        if screen.contains("LEAK r12") && screen.contains("REQBUFS EBUSY x1") {
            break;
        }
    }
    tmux(&socket, &["send-keys", "q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !status.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let code = std::fs::read_to_string(&status).unwrap_or_default();
    tmux(&socket, &["kill-server"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(screen.contains("2!LEAK r12"), "{screen}");
    assert!(screen.contains("REQBUFS EBUSY x1"), "{screen}");
    assert!(screen.contains("1 LEAKED"), "{screen}");
    assert_eq!(code.trim(), "0", "exit status; screen:\n{screen}");
}
