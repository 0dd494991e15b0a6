//! A self-recorder for the synthetic clients: with `--trace FILE`, every call they make through
//! [`crate::v4l2`] (opens, ioctls with their argument bytes before and after and their nested
//! payloads, mmaps, polls, closes, the bitstream of each OUTPUT QBUF) is written as a `traces`
//! trace, exactly the records `vatrace record` would produce for the same calls. It gives the
//! replay engine real-kernel traces of the bug patterns independently of the eBPF recorder.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::sync::Mutex;

use traces::record::{
    Close, DeviceInfo, End, EndReason, Header, Ioctl, Mmap, Munmap, Open, Payload, Poll, PollFd,
    Record,
};
use traces::TraceWriter;

use crate::sys;

struct Recorder {
    w: TraceWriter<BufWriter<File>>,
    seq: u64,
    pid: u32,
}

static REC: Mutex<Option<Recorder>> = Mutex::new(None);

fn with<R>(f: impl FnOnce(&mut Recorder) -> R) -> Option<R> {
    let mut g = REC.lock().unwrap_or_else(|e| e.into_inner());
    g.as_mut().map(f)
}

/// Starts recording into `path` with these devices in the header.
pub fn start(path: &Path, devices: Vec<DeviceInfo>) -> Result<(), String> {
    let mut h = Header::new();
    let uts = uname();
    h.kernel_release = uts.0;
    h.machine = uts.1;
    h.command = std::env::args().collect();
    h.start_monotonic_ns = sys::monotonic_ns();
    h.start_unix_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    h.root_pid = std::process::id();
    h.devices = devices;
    h.options
        .insert("recorder".into(), "replay::selfrec".into());
    let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let w = TraceWriter::new(BufWriter::new(file), &h).map_err(|e| e.to_string())?;
    *REC.lock().unwrap_or_else(|e| e.into_inner()) = Some(Recorder {
        w,
        seq: 0,
        pid: std::process::id(),
    });
    Ok(())
}

/// Whether a recording is under way.
pub fn active() -> bool {
    with(|_| ()).is_some()
}

fn uname() -> (String, String) {
    let rel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_string();
    (rel, std::env::consts::ARCH.to_string())
}

fn put(r: &mut Recorder, rec: Record) {
    if let Err(e) = r.w.write(&rec) {
        eprintln!("selfrec: {e}");
    }
}

/// An ioctl; returns its sequence number (for [`bitstream`]).
#[allow(clippy::too_many_arguments)]
pub fn ioctl(
    fd: i32,
    request: u32,
    t0: u64,
    before: &[u8],
    after: &[u8],
    payloads: Vec<Payload>,
    arg: u64,
    ret: i64,
) -> Option<u64> {
    let t1 = sys::monotonic_ns();
    with(|r| {
        let seq = r.seq;
        r.seq += 1;
        let rec = Ioctl {
            seq,
            ts_enter: t0,
            ts_exit: t1,
            pid: r.pid,
            tid: r.pid,
            fd,
            request,
            arg,
            before: before.to_vec(),
            after: after.to_vec(),
            payloads,
            ret,
        };
        put(r, Record::Ioctl(rec));
        seq
    })
}

/// The bitstream of plane 0 of the OUTPUT QBUF `seq`.
pub fn bitstream(seq: u64, data: &[u8]) {
    with(|r| {
        if let Err(e) = r.w.write_bitstream(seq, 0, 0, data.len() as u64, data) {
            eprintln!("selfrec: {e}");
        }
    });
}

/// An open.
pub fn open(path: &Path, flags: i32, ret: i64) {
    let ts = sys::monotonic_ns();
    with(|r| {
        let rec = Open {
            ts,
            pid: r.pid,
            tid: r.pid,
            dirfd: Some(libc::AT_FDCWD),
            path: path.display().to_string(),
            flags: flags as u32,
            mode: 0,
            ret,
        };
        put(r, Record::Open(rec))
    });
}

/// A close.
pub fn close(fd: i32) {
    let ts = sys::monotonic_ns();
    with(|r| {
        put(
            r,
            Record::Close(Close {
                ts,
                pid: r.pid,
                tid: r.pid,
                fd,
                ret: 0,
            }),
        )
    });
}

/// An mmap of `len` bytes at `offset` of `fd`, mapped at `addr`.
pub fn mmap(fd: i32, len: u64, offset: u64, addr: u64) {
    let ts = sys::monotonic_ns();
    with(|r| {
        let rec = Mmap {
            ts,
            pid: r.pid,
            tid: r.pid,
            fd,
            addr: 0,
            len,
            prot: (libc::PROT_READ | libc::PROT_WRITE) as u32,
            flags: libc::MAP_SHARED as u32,
            offset,
            ret: addr,
        };
        put(r, Record::Mmap(rec))
    });
}

/// A munmap.
pub fn munmap(addr: u64, len: u64) {
    let ts = sys::monotonic_ns();
    with(|r| {
        put(
            r,
            Record::Munmap(Munmap {
                ts,
                pid: r.pid,
                tid: r.pid,
                addr,
                len,
                ret: 0,
            }),
        )
    });
}

/// A poll of one fd.
pub fn poll(t0: u64, fd: i32, events: i16, revents: i16, timeout_ms: i32, ret: i64) {
    let t1 = sys::monotonic_ns();
    with(|r| {
        let rec = Poll {
            ts_enter: t0,
            ts_exit: t1,
            pid: r.pid,
            tid: r.pid,
            syscall: "poll".into(),
            fds: vec![PollFd {
                fd,
                events: events as u16,
                revents: revents as u16,
            }],
            timeout_ns: (timeout_ms >= 0).then_some(timeout_ms as i64 * 1_000_000),
            ret,
        };
        put(r, Record::Poll(rec))
    });
}

/// Ends the trace with the process's exit code.
pub fn finish(exit_code: i32) {
    let mut g = REC.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = g.take() {
        let mut end = End::new(sys::monotonic_ns(), EndReason::Exited);
        end.exit_code = Some(exit_code);
        if let Err(e) = r.w.finish(end) {
            eprintln!("selfrec: {e}");
        }
    }
}
