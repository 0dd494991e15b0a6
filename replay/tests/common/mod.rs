//! Shared by the replay tests: a trace rewriter, and traces crafted with the `traces` writer
//! that replay must not trust — nodes that are not V4L2 (a header device `/dev/null`, an open
//! of `/dev/v4l/../null`, a `--device-map` to `/dev/zero`), an ioctl number of another
//! subsystem — or that have holes (lost events; ioctls all on fds replay cannot have). The shell
//! script that replays them and the checks of what it left behind are the same on the host and
//! in the test-bed.
#![allow(dead_code)]

use std::path::Path;

use replay::report::Report;
use traces::ioctl::{self, layout::v4l2_capability as C, querycap::VIDIOC_QUERYCAP};
use traces::record::{DeviceInfo, DeviceKind, End, EndReason, Header, Ioctl, Lost, Open, Record};
use traces::{TraceReader, TraceWriter};

/// Rewrites `src` into `dst`: `header` edits the header, `f` turns each record into the records
/// written in its place (none to drop it); the End record goes through `f` too.
pub fn rewrite(
    src: &Path,
    dst: &Path,
    header: impl FnOnce(&mut Header),
    mut f: impl FnMut(Record) -> Vec<Record>,
) {
    let mut r = TraceReader::open(src).unwrap();
    let mut h = r.header().clone();
    header(&mut h);
    let mut w = TraceWriter::new(std::fs::File::create(dst).unwrap(), &h).unwrap();
    let mut end = None;
    for rec in &mut r {
        for rec in f(rec.unwrap()) {
            match rec {
                Record::End(e) => end = Some(e),
                other => w.write(&other).unwrap(),
            }
        }
    }
    w.finish(end.expect("the trace has an End record")).unwrap();
}

/// Writes a trace of `records` (an End record is added).
pub fn write_trace(dst: &Path, header: &Header, records: &[Record]) {
    let mut w = TraceWriter::new(std::fs::File::create(dst).unwrap(), header).unwrap();
    for r in records {
        w.write(r).unwrap();
    }
    w.finish(End::new(1_000_000, EndReason::Exited)).unwrap();
}

/// The traced process's open of `path`, returning `fd`.
pub fn open(fd: i32, path: &str) -> Record {
    Record::Open(Open {
        ts: 1000 + fd as u64,
        pid: 100,
        tid: 100,
        dirfd: None,
        path: path.into(),
        flags: libc::O_RDWR as u32,
        mode: 0,
        ret: i64::from(fd),
    })
}

/// An ioctl `request` on `fd` with a zeroed argument of its size.
pub fn ioctl(seq: u64, fd: i32, request: u32) -> Record {
    let size = ioctl::IocFields::split(request).size;
    Record::Ioctl(Ioctl {
        seq,
        ts_enter: 2000 + seq * 10,
        ts_exit: 2005 + seq * 10,
        pid: 100,
        tid: 100,
        fd,
        request,
        before: vec![0; size],
        after: vec![0; size],
        ..Default::default()
    })
}

/// A QUERYCAP on `fd` answered by a "visl" video node.
pub fn querycap(seq: u64, fd: i32) -> Record {
    let mut r = ioctl(seq, fd, VIDIOC_QUERYCAP);
    if let Record::Ioctl(io) = &mut r {
        io.before = Vec::new();
        io.after[C::DRIVER..C::DRIVER + 4].copy_from_slice(b"visl");
    }
    r
}

fn video_device(path: &str) -> DeviceInfo {
    DeviceInfo {
        path: path.into(),
        kind: DeviceKind::Video,
        rdev: None,
        driver: "visl".into(),
        card: "visl".into(),
        bus_info: "platform:visl".into(),
        version: 0x060c00,
        capabilities: 0x8420_4000,
        device_caps: 0x0420_4000,
        formats: Vec::new(),
        media: None,
    }
}

/// A trace that must be refused: its name, the extra arguments, and what the refusal must say.
pub struct Refusal {
    pub name: &'static str,
    pub args: &'static str,
    /// Every one of these is in the refusal message.
    pub says: &'static [&'static str],
}

/// `_IOR('W', 5, int)`: WDIOC_KEEPALIVE, a watchdog's ioctl.
pub const WDIOC_KEEPALIVE: u32 = ioctl::ior(b'W', 5, 4);

/// Writes the traces replay must refuse into `d`; returns their cases.
pub fn craft_refusals(d: &Path) -> Vec<Refusal> {
    let mut h = Header::new();
    h.devices.push(video_device("/dev/null"));
    write_trace(
        &d.join("header-null.trace"),
        &h,
        &[open(3, "/dev/null"), querycap(0, 3)],
    );
    let plain = Header::new();
    write_trace(
        &d.join("v4l-dotdot.trace"),
        &plain,
        &[open(3, "/dev/v4l/../null"), querycap(0, 3)],
    );
    write_trace(
        &d.join("map-zero.trace"),
        &plain,
        &[open(3, "/dev/video0"), querycap(0, 3)],
    );
    write_trace(
        &d.join("other-subsystem.trace"),
        &plain,
        &[
            open(3, "/dev/video0"),
            querycap(0, 3),
            ioctl(1, 3, WDIOC_KEEPALIVE),
        ],
    );
    vec![
        Refusal {
            name: "header-null",
            args: "",
            says: &[
                "/dev/null",
                "character device 1:3 of subsystem \"mem\"",
                "a device node the trace opens",
                "--device-map",
            ],
        },
        Refusal {
            name: "v4l-dotdot",
            args: "",
            says: &["/dev/v4l/../null", "a device node the trace opens"],
        },
        Refusal {
            name: "map-zero",
            args: "--device-map /dev/video0=/dev/zero",
            says: &[
                "/dev/zero",
                "subsystem \"mem\"",
                "--device-map target for the trace's /dev/video0",
            ],
        },
        Refusal {
            name: "other-subsystem",
            args: "",
            says: &[
                "ioctl 1",
                "type='W'",
                "another subsystem",
                "nothing was issued",
            ],
        },
    ]
}

/// Writes the traces with holes into `d`: `no-fds` (ioctls all on an fd the trace never
/// opened, as when tracing attached to a running program) and `lost` (lost events).
pub fn craft_holes(d: &Path) {
    let h = Header::new();
    let calls: Vec<Record> = (0..10).map(|i| querycap(i, 7)).collect();
    write_trace(&d.join("no-fds.trace"), &h, &calls);
    write_trace(
        &d.join("lost.trace"),
        &h,
        &[
            Record::Lost(Lost {
                count: 1000,
                at: 5000,
                cpu: Some(0),
            }),
            Record::Lost(Lost {
                count: 24,
                at: 9000,
                cpu: Some(1),
            }),
        ],
    );
}

/// The shell script that replays the crafted traces in `d` with `rp`: refusals under strace
/// (`case NAME CODE`), holes with and without `--allow-incomplete`.
pub fn script(rp: &str, d: &Path, refusals: &[Refusal]) -> String {
    let d = d.display();
    let mut s = String::from("[ -d /dev/v4l ] && echo v4l-dir\n");
    for r in refusals {
        s += &format!(
            "strace -f -e trace=open,openat,openat2 -o {d}/{n}.strace {rp} --quiet {a} {d}/{n}.trace \
             < {d}/{n}.trace > {d}/{n}.out 2> {d}/{n}.err; echo \"case {n} $?\"\n",
            n = r.name,
            a = r.args
        );
    }
    for n in ["no-fds", "lost"] {
        s += &format!(
            "{rp} --quiet --report {d}/{n}.json {d}/{n}.trace > {d}/{n}.txt 2>&1; echo \"case {n} $?\"\n\
             {rp} --quiet --allow-incomplete {d}/{n}.trace > {d}/{n}-allowed.txt 2>&1; echo \"case {n}-allowed $?\"\n"
        );
    }
    s
}

fn read(d: &Path, n: &str) -> String {
    std::fs::read_to_string(d.join(n)).unwrap_or_default()
}

/// Loads a JSON report.
pub fn load(p: &Path) -> Report {
    serde_json::from_str(
        &std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Checks what [`script`] printed (`stdout`) and left in `d`.
pub fn check(d: &Path, stdout: &str, refusals: &[Refusal]) {
    for r in refusals {
        let err = read(d, &format!("{}.err", r.name));
        assert!(
            stdout.contains(&format!("case {} 2\n", r.name)),
            "{}: not refused with exit 2:\n{stdout}\n{err}",
            r.name
        );
        for s in r.says {
            assert!(
                err.contains(s),
                "{}: the refusal does not say {s:?}:\n{err}",
                r.name
            );
        }
        assert!(err.contains("refusing to replay"), "{}: {err}", r.name);
        // Nothing opened: no node reopened through its checked handle, and every open of a
        // path under /dev only an O_PATH resolution (which calls no driver).
        let strace = read(d, &format!("{}.strace", r.name));
        assert!(!strace.is_empty(), "{}: no strace output", r.name);
        for line in strace.lines() {
            assert!(
                !line.contains("\"/proc/self/fd/"),
                "{}: a checked node was opened:\n{line}",
                r.name
            );
            if line.contains("\"/dev/") {
                assert!(
                    line.contains("O_PATH"),
                    "{}: a node was opened:\n{line}",
                    r.name
                );
            }
        }
        if r.name == "other-subsystem" {
            assert!(
                !strace.contains("/dev/video0"),
                "the pre-pass refusal came after a node was looked at:\n{strace}"
            );
        }
    }
    let dotdot = read(d, "v4l-dotdot.err");
    if stdout.contains("v4l-dir") {
        assert!(
            dotdot.contains("resolves to /dev/null") && dotdot.contains("\"mem\""),
            "{dotdot}"
        );
    } else {
        assert!(dotdot.contains("cannot be resolved"), "{dotdot}");
    }

    for (n, why) in [
        ("no-fds", "nothing replayed: 0 of 10 ioctls issued"),
        ("lost", "the recording lost 1024 events (2 holes"),
    ] {
        let text = read(d, &format!("{n}.txt"));
        assert!(
            stdout.contains(&format!("case {n} 3\n")),
            "{n}: not exit 3:\n{stdout}\n{text}"
        );
        let r = load(&d.join(format!("{n}.json")));
        assert!(r.is_incomplete(), "{}", r.text());
        assert!(
            r.incomplete.iter().any(|i| i.contains(why)),
            "{n}: {:?}",
            r.incomplete
        );
        assert_eq!(r.divergences, 0, "{}", r.text());
        assert!(text.contains(&format!("INCOMPLETE: {why}")), "{n}: {text}");
        let allowed = read(d, &format!("{n}-allowed.txt"));
        assert!(
            stdout.contains(&format!("case {n}-allowed 0\n")),
            "{n}: --allow-incomplete did not exit 0:\n{stdout}\n{allowed}"
        );
        assert!(allowed.contains("INCOMPLETE: "), "{n}: {allowed}");
    }
    let no_fds = load(&d.join("no-fds.json"));
    assert_eq!(
        (no_fds.ioctls_replayed, no_fds.ioctls_skipped),
        (0, 10),
        "{}",
        no_fds.text()
    );
    let lost = load(&d.join("lost.json"));
    assert_eq!(lost.lost_events, 1024);
    assert_eq!(lost.lost_spans.len(), 2);
}
