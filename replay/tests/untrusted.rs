//! Replay on the host (which has no V4L2 at all: nothing here needs it) of traces crafted to make
//! it touch what it must not, and of traces with holes (see `common`): each node that is not a
//! V4L2 or media character device, and an ioctl number of another subsystem, is refused with exit
//! 2 before any node is opened (strace shows only O_PATH resolutions); a trace with lost events,
//! or whose ioctls are all on fds replay cannot have, gets the INCOMPLETE verdict and exit 3, or
//! exit 0 with `--allow-incomplete` and the verdict still INCOMPLETE. `replay.rs` runs the same
//! in the test-bed.

mod common;

#[test]
fn crafted_traces_are_refused_before_any_open_and_holes_are_incomplete() {
    let d = tempfile::tempdir().unwrap();
    let refusals = common::craft_refusals(d.path());
    common::craft_holes(d.path());
    let rp = env!("CARGO_BIN_EXE_vatrace-replay");
    let out = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(common::script(rp, d.path(), &refusals))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::check(d.path(), &stdout, &refusals);
}

#[test]
fn help_says_what_a_trace_can_make_replay_do_and_the_exit_codes() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vatrace-replay"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for s in [
        "What a trace can make replay do",
        "What it cannot make replay do",
        "video4linux or media",
        "--strict",
        "--allow-incomplete",
        "3  INCOMPLETE",
    ] {
        assert!(help.contains(s), "--help lacks {s:?}:\n{help}");
    }
}
