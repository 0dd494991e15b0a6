//! `vatrace record` on the host, without V4L2: the probe program issues V4L2/media/dma-buf ioctl
//! numbers with real argument structs on /dev/null, from a thread and a child process too; the
//! trace must hold them with the right numbers, bytes, payloads and ret = -ENOTTY.
//! Needs root (BPF); skipped with a message otherwise.

use std::{
    io::{BufRead as _, BufReader, Read as _, Write as _},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};

use traces::{
    record::{EndReason, PayloadKind},
    Record, TraceReader,
};

mod common;

const VATRACE: &str = env!("CARGO_BIN_EXE_vatrace");
const PROBE: &str = env!("CARGO_BIN_EXE_v4l2-ioctl-probe");
const ENOTTY: i64 = -25;

fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed))
        .collect()
}

fn can_trace() -> bool {
    // SAFETY: geteuid has no arguments and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        eprintln!("skipped: tracing needs root (BPF)");
    }
    root
}

fn scratch_dir() -> PathBuf {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tempfile::tempdir_in(base).unwrap().keep()
}

fn read_trace(path: &Path) -> (traces::Header, Vec<Record>) {
    let mut r = TraceReader::open(path).expect("open trace");
    let mut recs = Vec::new();
    while let Some(rec) = r.next_record() {
        recs.push(rec.expect("record"));
    }
    (r.header().clone(), recs)
}

#[test]
fn probe_sequence_is_traced() {
    if !can_trace() {
        return;
    }
    let dir = scratch_dir();
    let trace = dir.join("seq.trace");
    let out = Command::new(VATRACE)
        .args(["record", "-o"])
        .arg(&trace)
        .args(["--", PROBE, "sequence"])
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "vatrace returns the command's exit code"
    );
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).expect("probe output");
    let pid = info["pid"].as_u64().unwrap() as u32;
    let thread_tid = info["thread_tid"].as_u64().unwrap() as u32;
    let child_pid = info["child_pid"].as_u64().unwrap() as u32;
    let fd = info["fd"].as_i64().unwrap() as i32;

    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&trace).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let (header, recs) = read_trace(&trace);
    assert_eq!(header.root_pid, pid);
    let ioctls: Vec<_> = recs
        .iter()
        .filter_map(|r| match r {
            Record::Ioctl(i) => Some(i),
            _ => None,
        })
        .collect();
    let main: Vec<_> = ioctls.iter().filter(|i| i.tid == pid).collect();
    let requests: Vec<u32> = main.iter().map(|i| i.request).collect();
    assert_eq!(
        requests,
        [
            0x8068_5600,
            0xc0d0_5605,
            0xc020_5648,
            0xc058_560f,
            0xc058_560f,
            0x8004_7c05,
            0x4008_6200
        ],
        "main thread's V4L2/media/dma-buf ioctls in order, TCGETS left out"
    );
    for i in &main {
        assert_eq!(i.ret, ENOTTY);
        assert_eq!(i.fd, fd);
        assert_eq!(i.pid, pid);
        assert!(i.ts_exit >= i.ts_enter && i.ts_enter > 0);
    }
    // _IOR: after only; _IOWR: both; _IOW: before only. A call that failed with ENOTTY left its
    // argument untouched: the tracer does not read it again, so an _IOR one has nothing after
    // and an _IOWR one has its entry bytes after.
    assert!(main[0].before.is_empty() && main[0].after.is_empty());
    assert_eq!(main[1].before, pattern(1, 208));
    assert_eq!(main[1].after, pattern(1, 208));
    let ext = main[2];
    let ctrls = ext
        .payload(&PayloadKind::ExtControls)
        .expect("control array");
    assert_eq!(ctrls.before.len(), 40);
    let c0 = ext
        .payload(&PayloadKind::Control { index: 0 })
        .expect("control 0 payload");
    assert_eq!(c0.before, pattern(2, 64));
    assert_eq!(c0.addr, info["payload_addr"].as_u64().unwrap());
    assert!(
        ext.payload(&PayloadKind::Control { index: 1 }).is_none(),
        "no payload for an int control"
    );
    let planes = main[3].payload(&PayloadKind::Planes).expect("plane array");
    assert_eq!(planes.before, pattern(3, 64));
    assert_eq!(main[6].before, pattern(5, 8));
    assert!(main[6].after.is_empty());

    // The USERPTR OUTPUT QBUF's bitstream, read in chunks and reassembled.
    let blobs: std::collections::HashMap<u64, &Vec<u8>> = recs
        .iter()
        .filter_map(|r| match r {
            Record::Blob(b) => Some((b.id, &b.data)),
            _ => None,
        })
        .collect();
    let bits: Vec<_> = recs
        .iter()
        .filter_map(|r| match r {
            Record::Bitstream(b) => Some(b),
            _ => None,
        })
        .collect();
    assert_eq!(bits.len(), 1);
    assert_eq!(bits[0].ioctl_seq, main[4].seq);
    assert_eq!(bits[0].len, 20_000);
    assert_eq!(blobs[&bits[0].blob], &pattern(4, 20_000));

    // The thread and the child process are followed.
    let t: Vec<_> = ioctls.iter().filter(|i| i.tid == thread_tid).collect();
    assert_eq!(t.len(), 1);
    assert_eq!(
        (t[0].pid, t[0].request, t[0].ret),
        (pid, 0x8068_5600, ENOTTY)
    );
    let c: Vec<_> = ioctls.iter().filter(|i| i.pid == child_pid).collect();
    assert_eq!(c.len(), 1);
    assert_eq!((c[0].request, c[0].ret), (0xc0d0_5604, ENOTTY));
    assert_eq!(c[0].before, pattern(6, 208));
    let forks: Vec<_> = recs
        .iter()
        .filter_map(|r| match r {
            Record::Fork(f) => Some((f.child, f.is_thread)),
            _ => None,
        })
        .collect();
    assert!(forks.contains(&(thread_tid, true)), "{forks:?}");
    assert!(forks.contains(&(child_pid, false)), "{forks:?}");
    let thread_exit = recs.iter().find_map(|r| match r {
        Record::Exit(e) if e.tid == thread_tid => Some(e.code),
        _ => None,
    });
    assert_eq!(thread_exit, Some(0), "the thread's own exit(0) is its code");
    const AT_FDCWD: i32 = -100;
    let open = recs
        .iter()
        .find_map(|r| match r {
            Record::Open(o) if o.path == "/dev/null" && o.pid == pid && o.ret == fd as i64 => {
                Some(o)
            }
            _ => None,
        })
        .expect("open of /dev/null");
    assert_eq!(
        open.dirfd,
        Some(AT_FDCWD),
        "std opens with openat(AT_FDCWD, …)"
    );
    assert_eq!(open.flags & 3, 2, "O_RDWR");
    // dup2(fd, 100): the old fd, the target asked for and the result.
    assert_eq!(info["dup_ret"].as_i64(), Some(100));
    let dup = recs
        .iter()
        .find_map(|r| match r {
            Record::Dup(d) if d.pid == pid => Some(d),
            _ => None,
        })
        .expect("dup2 of the device fd");
    assert_eq!((dup.old, dup.new, dup.ret), (fd, Some(100), 100));
    for (p, arg) in [(pid, "sequence"), (child_pid, "child")] {
        let exec = recs
            .iter()
            .find_map(|r| match r {
                Record::Exec(e) if e.pid == p => Some(e),
                _ => None,
            })
            .unwrap_or_else(|| panic!("exec of the probe in {p}"));
        assert!(exec.path.ends_with("v4l2-ioctl-probe"), "{exec:?}");
        assert_eq!(exec.argv.len(), 2, "{exec:?}");
        assert!(
            exec.argv[0].ends_with("v4l2-ioctl-probe") && exec.argv[1] == arg,
            "{exec:?}"
        );
    }

    match recs.last() {
        Some(Record::End(e)) => {
            assert_eq!(e.reason, EndReason::Exited);
            assert_eq!(e.exit_code, Some(3));
            assert_eq!(e.totals.lost, 0);
        }
        other => panic!("trace does not end with End: {other:?}"),
    }

    // A cut trace: every whole record before the cut is read, then a clear error, no panic.
    let bytes = std::fs::read(&trace).unwrap();
    let cut = dir.join("cut.trace");
    for len in [bytes.len() - 1, bytes.len() * 2 / 3, bytes.len() / 2, 9, 3] {
        std::fs::write(&cut, &bytes[..len]).unwrap();
        let dump = Command::new(VATRACE)
            .arg("dump")
            .arg(&cut)
            .output()
            .unwrap();
        assert!(!dump.status.success(), "dump of a cut trace fails");
        let err = String::from_utf8_lossy(&dump.stderr);
        assert!(
            err.contains("cut at byte")
                || err.contains("not a vatrace trace")
                || err.contains("byte"),
            "{err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn attach_to_running_process() {
    if !can_trace() {
        return;
    }
    let dir = scratch_dir();
    let trace = dir.join("attach.trace");
    let mut probe = Command::new(PROBE)
        .args(["delayed", "25"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = probe.id();
    let mut rec = Command::new(VATRACE)
        .args(["record", "-o"])
        .arg(&trace)
        .args(["-p", &pid.to_string()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Release the probe once vatrace says it is attached; everything vatrace said is kept for
    // the failure messages.
    let mut err = BufReader::new(rec.stderr.take().unwrap());
    let mut said = String::new();
    let mut attached = false;
    while !attached && err.read_line(&mut said).unwrap() > 0 {
        attached = said.lines().any(|l| l.contains("tracing pid"));
    }
    if !attached {
        let _ = probe.kill();
        let status = rec.wait().unwrap();
        panic!("vatrace did not attach ({status:?}); its stderr:\n{said}");
    }
    probe.stdin.take().unwrap().write_all(b"go\n").unwrap();
    assert!(probe.wait().unwrap().success());
    let status = rec.wait().unwrap();
    err.read_to_string(&mut said).unwrap();
    assert!(status.success(), "{status:?}; vatrace's stderr:\n{said}");
    let (header, recs) = read_trace(&trace);
    assert_eq!(header.root_pid, pid);
    let n = recs
        .iter()
        .filter(|r| matches!(r, Record::Ioctl(i) if i.pid == pid && i.request == 0xc058_5611))
        .count();
    assert_eq!(n, 25);
    assert!(matches!(recs.last(), Some(Record::End(_))));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigint_closes_the_trace() {
    if !can_trace() {
        return;
    }
    let dir = scratch_dir();
    let trace = dir.join("int.trace");
    let mut rec = Command::new(VATRACE)
        .args(["record", "-o"])
        .arg(&trace)
        .args(["--", "sleep", "30"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    // SAFETY: plain kill(2) on our own child.
    unsafe { libc::kill(rec.id() as i32, libc::SIGINT) };
    let status = rec.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let (header, recs) = read_trace(&trace);
    match recs.last() {
        Some(Record::End(e)) => assert_eq!(e.reason, EndReason::Interrupted),
        other => panic!("no End: {other:?}"),
    }
    // SAFETY: plain kill(2) of the sleep vatrace started.
    unsafe { libc::kill(header.root_pid as i32, libc::SIGKILL) };
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctrl_c_to_the_group_traces_the_command_to_its_end() {
    if !can_trace() {
        return;
    }
    use std::os::unix::process::CommandExt;
    let dir = scratch_dir();
    let trace = dir.join("group.trace");
    // As a terminal's Ctrl-C does: SIGINT to vatrace and the command alike, once the command
    // runs (a fixed wait here lost to vatrace's program loading on a loaded machine: the signal
    // came before the command existed, and the trace rightly ended "Interrupted").
    let mut rec = Command::new(VATRACE)
        .args(["record", "-o"])
        .arg(&trace)
        .args(["--", "sh", "-c", "echo running; exec sleep 30"])
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(rec.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // SAFETY: plain killpg(2) of the group we just created.
    unsafe { libc::killpg(rec.id() as i32, libc::SIGINT) };
    let status = rec.wait().unwrap();
    let mut said = String::new();
    rec.stderr
        .take()
        .unwrap()
        .read_to_string(&mut said)
        .unwrap();
    assert_eq!(
        line, "running\n",
        "the command never ran; vatrace's stderr:\n{said}"
    );
    assert_eq!(
        status.code(),
        Some(130),
        "128 + SIGINT, from the command; vatrace's stderr:\n{said}"
    );
    let (_, recs) = read_trace(&trace);
    match recs.last() {
        Some(Record::End(e)) => {
            assert_eq!(e.reason, EndReason::Signaled, "{said}");
            assert_eq!(e.signal, Some(libc::SIGINT), "{said}");
        }
        other => panic!("no End: {other:?}; vatrace's stderr:\n{said}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dump_explains_a_missing_or_foreign_file() {
    let dir = scratch_dir();
    let foreign = dir.join("foreign");
    std::fs::write(&foreign, b"hello world, not a trace").unwrap();
    let out = Command::new(VATRACE)
        .arg("dump")
        .arg(&foreign)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a vatrace trace"));
    let out = Command::new(VATRACE)
        .arg("dump")
        .arg(dir.join("missing"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_full_ring_buffer_is_counted_as_lost() {
    if !can_trace() {
        return;
    }
    let dir = scratch_dir();
    let trace = dir.join("lost.trace");
    let out = Command::new(VATRACE)
        .args(["record", "--ringbuf-size", "8K", "-o"])
        .arg(&trace)
        .args(["--", PROBE, "loop", "200000"])
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{:?}; vatrace's stderr:\n{summary}",
        out.status
    );
    let (_, recs) = read_trace(&trace);
    let lost: u64 = recs
        .iter()
        .filter_map(|r| match r {
            Record::Lost(l) => Some(l.count),
            _ => None,
        })
        .sum();
    assert!(
        lost > 0,
        "an 8 KiB ring buffer cannot hold 200000 ioctls: {summary}"
    );
    match recs.last() {
        Some(Record::End(e)) => assert_eq!(e.totals.lost, lost),
        other => panic!("no End: {other:?}"),
    }
    assert!(
        summary.contains(&format!("{lost} lost events")),
        "{summary}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_privileges_the_error_says_what_to_do() {
    if !can_trace() {
        return;
    }
    use std::os::unix::process::CommandExt;
    let (_dir, vatrace) = common::vatrace_for_nobody(VATRACE);
    let out = Command::new(vatrace)
        .args(["record", "-o", "/dev/null", "--", "true"])
        .current_dir("/")
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("CAP_BPF") && err.contains("root"), "{err}");
}

#[test]
fn bench_measures_every_configuration() {
    if !can_trace() {
        return;
    }
    let count = 20_000u64;
    let out = Command::new(VATRACE)
        .args(["bench", "--count", &count.to_string()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "vatrace bench failed: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Each row: name (34 columns), ioctls, seconds, ioctls/s, "N.NNx", lost.
    let row = |name: &str| -> Option<Vec<String>> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        Some(line[34..].split_whitespace().map(str::to_string).collect())
    };
    // fentry rows where this kernel takes fentry (vatrace says why it skipped them otherwise).
    let err = String::from_utf8_lossy(&out.stderr);
    let fentry = !err.contains("fentry rows skipped");
    let mut expected: Vec<(String, u64, &str)> = vec![
        ("untraced".into(), count, "-"),
        ("tracepoint: empty programs".into(), count, "-"),
        ("strace -f".into(), count / 100, "-"),
    ];
    for m in ["tracepoint", "fentry"] {
        if m == "fentry" && !fentry {
            assert!(row("fentry:").is_none(), "{text}");
            assert!(
                err.contains("CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS"),
                "{err}"
            );
            continue;
        }
        for (what, lost) in [
            ("attached, untraced", "-"),
            ("traced (trace file)", "0"),
            ("traced (discarded)", "0"),
        ] {
            expected.push((format!("{m}: {what}"), count, lost));
        }
    }
    for (name, ioctls, lost) in expected {
        let name = name.as_str();
        let cols = row(name).unwrap_or_else(|| panic!("no {name:?} row in:\n{text}"));
        assert_eq!(cols[0].parse::<u64>().unwrap(), ioctls, "{name}: {cols:?}");
        assert!(cols[1].parse::<f64>().unwrap() > 0.0, "{name}: {cols:?}");
        assert!(
            cols[3].trim_end_matches('x').parse::<f64>().unwrap() > 0.0,
            "{name}: {cols:?}"
        );
        assert_eq!(cols[4], lost, "{name}: {cols:?}");
    }
    // Two records a call, each at least a few bytes.
    let bytes: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix(&format!("trace file for {count} ioctls: ")))
        .and_then(|rest| rest.strip_suffix(" bytes"))
        .unwrap_or_else(|| panic!("no trace size in:\n{text}"))
        .parse()
        .unwrap();
    assert!(bytes > 2 * count, "{bytes} bytes for {count} ioctls");
}

/// Niceness (field 19 of /proc/…/stat) of each line of `stat` text, by thread name.
fn nice_by_comm(stat: &str) -> Vec<(String, i32)> {
    stat.lines()
        .filter_map(|l| {
            let (_, rest) = l.split_once(" (")?;
            let (comm, fields) = rest.rsplit_once(") ")?;
            // After the comm: state is field 3, so nice (field 19) is the 17th.
            let nice = fields.split_whitespace().nth(16)?.parse().ok()?;
            Some((comm.to_string(), nice))
        })
        .collect()
}

#[test]
fn converting_thread_gives_way_to_the_command() {
    if !can_trace() {
        return;
    }
    let dir = scratch_dir();
    for (nice, expected) in [(None, 10), (Some("0"), 0), (Some("4"), 4)] {
        let trace = dir.join("nice.trace");
        // The command waits until vatrace's main thread has been reniced (or 5 s), then prints
        // the stat lines of vatrace's threads and of itself.
        let script = format!(
            "for i in $(seq 50); do grep -q '^[0-9]* (vatrace) . \\([^ ]* \\)\\{{15\\}}{expected} ' /proc/$PPID/stat && break; sleep 0.1; done; \
             cat /proc/$PPID/task/*/stat; echo; cat /proc/$$/stat"
        );
        let mut cmd = Command::new(VATRACE);
        cmd.args(["record", "-o"]).arg(&trace);
        if let Some(n) = nice {
            cmd.args(["--nice", n]);
        }
        let out = cmd.args(["--", "sh", "-c", &script]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let (threads, own) = text.split_once("\n\n").expect("two parts");
        let threads = nice_by_comm(threads);
        assert!(
            threads.contains(&("vatrace".to_string(), expected)),
            "{threads:?}"
        );
        assert!(threads.contains(&("ringbuf".to_string(), 0)), "{threads:?}");
        assert_eq!(nice_by_comm(own), [("sh".to_string(), 0)]);
    }
}

#[test]
fn a_command_killed_by_a_signal_has_it_in_its_exit_record() {
    if !can_trace() {
        return;
    }
    let dir = scratch_dir();
    let trace = dir.join("segv.trace");
    let out = Command::new(VATRACE)
        .args(["record", "-o"])
        .arg(&trace)
        .args(["--", "sh", "-c", "kill -SEGV $$"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(128 + libc::SIGSEGV),
        "vatrace's stderr:\n{said}"
    );
    let (header, recs) = read_trace(&trace);
    let exit = recs
        .iter()
        .find_map(|r| match r {
            Record::Exit(e) if e.pid == header.root_pid && e.tid == header.root_pid => Some(e),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no exit record of the command; vatrace's stderr:\n{said}"));
    // Wait status: the signal in the low 7 bits (0x80 if it dumped core), no exit code.
    assert_eq!(exit.code & 0x7f, libc::SIGSEGV, "{exit:?}");
    assert_eq!(exit.code >> 8, 0, "{exit:?}");
    match recs.last() {
        Some(Record::End(e)) => {
            assert_eq!(e.reason, EndReason::Signaled);
            assert_eq!(e.signal, Some(libc::SIGSEGV));
        }
        other => panic!("no End: {other:?}"),
    }
    // The dump says the same in both places, every line ending with a newline.
    let dump = Command::new(VATRACE)
        .arg("dump")
        .arg(&trace)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&dump.stdout);
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    assert!(text.contains("+++ killed by SIGSEGV +++"), "{text}");
    assert!(
        text.contains("trace ends: command killed by SIGSEGV"),
        "{text}"
    );
    assert!(
        text.ends_with('\n'),
        "the dump's last line has no newline:\n{text}"
    );
    let json = Command::new(VATRACE)
        .args(["dump", "--json"])
        .arg(&trace)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&json.stdout);
    assert!(json.status.success());
    assert!(
        text.ends_with('\n'),
        "the JSON dump's last line has no newline:\n{text}"
    );
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// As on a machine where nothing has mounted tracefs yet (the first `cargo test` of a fresh
/// machine, whose first two tests start vatrace at the same moment): recorder A finds tracefs
/// unmounted and goes to mount it, recorder B mounts it meanwhile, and the kernel refuses A's
/// mount of the same filesystem on the same mount point (EBUSY). A must still trace. The
/// interleaving is made certain by strace delaying A's mount(2); this runs in a private mount
/// namespace (unshare) with tracefs unmounted there, leaving the machine's mounts alone.
#[test]
fn a_recorder_that_loses_the_tracefs_mount_race_still_traces() {
    if !can_trace() {
        return;
    }
    for tool in ["unshare", "strace"] {
        if Command::new(tool).arg("--help").output().is_err() {
            eprintln!("skipped: no {tool}(1)");
            return;
        }
    }
    let dir = scratch_dir();
    let script = format!(
        r#"for m in /sys/kernel/debug/tracing /sys/kernel/tracing /sys/kernel/debug; do
             while umount "$m" 2>/dev/null; do :; done
           done
           if [ -d /sys/kernel/tracing/events ]; then echo "tracefs still mounted"; exit 99; fi
           strace -o "$D/a.strace" -e trace=mount -e inject=mount:delay_enter=2000000 \
             {VATRACE} record -o "$D/a.trace" -- true 2> "$D/a.err" &
           sleep 0.5
           {VATRACE} record -o "$D/b.trace" -- true 2> "$D/b.err"; echo "b exit $?"
           wait $!; echo "a exit $?""#
    );
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", &script])
        .env("D", &dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let said =
        |who: &str| std::fs::read_to_string(dir.join(format!("{who}.err"))).unwrap_or_default();
    let strace = std::fs::read_to_string(dir.join("a.strace")).unwrap_or_default();
    assert!(
        strace.contains("EBUSY"),
        "A's mount was not refused: the race did not happen as staged\n{strace}\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("b exit 0"),
        "{text}B's stderr:\n{}",
        said("b")
    );
    assert!(
        text.contains("a exit 0"),
        "{text}A's stderr:\n{}\n{strace}",
        said("a")
    );
    for who in ["a", "b"] {
        let (_, recs) = read_trace(&dir.join(format!("{who}.trace")));
        assert!(matches!(recs.last(), Some(Record::End(_))), "{who}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--attach fentry` either works here (and then `auto` picks it too) or fails naming the fix,
/// and then `auto` falls back to the tracepoints and still traces the probe's ioctls.
#[test]
fn attach_fentry_works_or_names_the_fix_and_auto_falls_back() {
    if !can_trace() {
        return;
    }
    let dir = scratch_dir();
    let record = |attach: &str, name: &str| {
        let trace = dir.join(name);
        let out = Command::new(VATRACE)
            .args(["record", "--attach", attach, "-o"])
            .arg(&trace)
            .args(["--", PROBE, "loop", "100"])
            .output()
            .unwrap();
        (out, trace)
    };
    let (fentry, fentry_trace) = record("fentry", "fentry.trace");
    let fentry_err = String::from_utf8_lossy(&fentry.stderr);
    let (auto, auto_trace) = record("auto", "auto.trace");
    assert_eq!(
        auto.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&auto.stderr)
    );
    let (header, recs) = read_trace(&auto_trace);
    let ioctls = recs
        .iter()
        .filter(|r| matches!(r, Record::Ioctl(_)))
        .count();
    assert_eq!(ioctls, 100, "auto traced the loop's ioctls");
    if fentry.status.success() {
        assert_eq!(
            header.options["attach"], "fentry",
            "auto takes fentry where it works"
        );
        let (h, _) = read_trace(&fentry_trace);
        assert_eq!(h.options["attach"], "fentry");
    } else {
        assert!(
            fentry_err.contains("--attach fentry")
                && fentry_err.contains("CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS")
                && fentry_err.contains("--attach tracepoint"),
            "the error names the kernel options and the fallback: {fentry_err}"
        );
        assert_eq!(header.options["attach"], "tracepoint", "auto fell back");
        assert!(
            !fentry_trace.exists() || std::fs::metadata(&fentry_trace).unwrap().len() == 0,
            "no trace written when attaching failed"
        );
    }
}
