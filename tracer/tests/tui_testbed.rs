//! `vatrace tui FILE` in the test-bed, in an 80x24 tmux: the sample traces recorded there show
//! the leaked request slots and the REQBUFS EBUSY, and `q` ends the program.

use std::time::Duration;

use testbed::{run_sh, RunOptions};

const VATRACE: &str = env!("CARGO_BIN_EXE_vatrace");

/// Plays `trace` in tmux inside the test-bed, seeks to the end, and returns the screen text.
fn screen_at_end(trace: &str) -> String {
    let script = format!(
        r#"set -e
        export TERM=xterm-256color
        tmux new-session -d -x 80 -y 24 -s tui "{VATRACE} tui {trace}; echo exited-$? > /tmp/tui-exit; sleep 60"
        for i in $(seq 50); do tmux capture-pane -p -t tui | grep -q 'vatrace' && break; sleep 0.2; done
        tmux send-keys -t tui G
        sleep 2
        tmux capture-pane -p -t tui
        tmux send-keys -t tui q
        for i in $(seq 50); do [ -f /tmp/tui-exit ] && break; sleep 0.2; done
        cat /tmp/tui-exit
        "#
    );
    let opts = RunOptions {
        timeout: Duration::from_secs(300),
        ..Default::default()
    };
    run_sh(&script, &opts)
        .unwrap()
        .check()
        .unwrap()
        .stdout_str()
}

#[test]
fn tui_shows_the_leaked_request_slots() {
    let screen = screen_at_end("traces/samples/request-leak.trace");
    assert!(screen.contains("OUTPUT MG2S 320x240"), "{screen}");
    assert!(
        screen.matches("LEAK").count() >= 3,
        "leaked slots in the OUTPUT grid:\n{screen}"
    );
    assert!(screen.contains("LEAKED"), "{screen}");
    assert!(screen.contains("DQBUF EINVAL"), "{screen}");
    assert!(
        screen.contains("exited-0"),
        "q ends vatrace tui with 0:\n{screen}"
    );
}

#[test]
fn tui_shows_the_reqbufs_ebusy() {
    let screen = screen_at_end("traces/samples/probe-ebusy.trace");
    assert!(screen.contains("REQBUFS EBUSY"), "{screen}");
    assert!(
        screen.contains("CAPTURE EBUSY: 4 bufs, 4 queued"),
        "{screen}"
    );
    assert!(
        screen.contains("exited-0"),
        "q ends vatrace tui with 0:\n{screen}"
    );
}

#[test]
fn tui_live_mode_follows_a_gstreamer_decode() {
    let clip = testbed::clips::Clip::small(testbed::clips::Codec::H264)
        .generate()
        .unwrap();
    let dir = testbed::paths::work_dir("tui-live");
    let script = format!(
        r#"set -e
        export TERM=xterm-256color
        gst-inspect-1.0 v4l2slh264dec > /dev/null
        tmux new-session -d -x 80 -y 24 -s tui "{VATRACE} tui -o {dir}/live.trace -- gst-launch-1.0 -q filesrc location={clip} ! h264parse ! v4l2slh264dec ! video/x-raw,format=NV12 ! fakesink; echo exited-\$? > /tmp/tui-exit; sleep 60"
        for i in $(seq 300); do grep -q 'Exited' {dir}/live.trace 2>/dev/null && break; sleep 0.2; done
        sleep 2
        tmux capture-pane -p -t tui
        tmux send-keys -t tui q
        for i in $(seq 50); do [ -f /tmp/tui-exit ] && break; sleep 0.2; done
        cat /tmp/tui-exit
        "#,
        dir = dir.display(),
        clip = clip.display(),
    );
    let opts = RunOptions {
        timeout: Duration::from_secs(300),
        ..Default::default()
    };
    let screen = run_sh(&script, &opts)
        .unwrap()
        .check()
        .unwrap()
        .stdout_str();
    assert!(screen.contains("OUTPUT S264 320x240"), "{screen}");
    assert!(screen.contains("CAPTURE NV12 320x240"), "{screen}");
    assert!(
        screen.contains("exited-0"),
        "vatrace tui returns the command's exit code 0:\n{screen}"
    );
    // The trace written in live mode is complete and holds the decode.
    let mut reader = traces::TraceReader::open(dir.join("live.trace")).unwrap();
    let mut qbufs = 0;
    let mut ended = false;
    while let Some(r) = reader.next_record() {
        match r.unwrap() {
            traces::Record::Ioctl(i) if i.request == 0xc058_560f => qbufs += 1,
            traces::Record::End(_) => ended = true,
            _ => {}
        }
    }
    assert!(ended, "live trace has its End record");
    assert!(
        qbufs >= 60,
        "{qbufs} QBUFs in the live trace (30 frames, OUTPUT + CAPTURE)"
    );
}
