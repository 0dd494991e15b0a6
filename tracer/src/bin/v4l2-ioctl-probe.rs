//! Test and benchmark helper for the tracer: issues V4L2 / media / dma-buf ioctl numbers with
//! real argument structs on an ordinary fd (/dev/null answers ENOTTY), so tracing can be checked
//! on machines without V4L2.
//!
//! * `v4l2-ioctl-probe sequence` — a fixed set of calls from the main thread, a second thread
//!   and a child process; prints a JSON description of what it did; exits 3.
//! * `v4l2-ioctl-probe child` — what the child of `sequence` runs.
//! * `v4l2-ioctl-probe loop N` — N × VIDIOC_DQBUF on /dev/null as fast as possible (ENOTTY).
//! * `v4l2-ioctl-probe loop N DEVICE` — N × VIDIOC_G_FMT(VIDEO_OUTPUT_MPLANE) on a real V4L2
//!   node (which succeeds: the driver fills the format in).
//! * `v4l2-ioctl-probe delayed N` — prints its pid, waits for a line on stdin, then N ×
//!   VIDIOC_DQBUF (for attaching with `vatrace record -p`).
//! * `v4l2-ioctl-probe cloexec DEVICE` — opens DEVICE, duplicates it with dup3(O_CLOEXEC) onto
//!   50, fcntl(F_DUPFD_CLOEXEC) from 60 and dup2 onto 70, then execs itself as `after-exec`,
//!   which issues VIDIOC_QUERYCAP on each of the three numbers and prints
//!   `{"dup3": r, "dupfd": [fd, r], "dup2": r}` (exec closed the first two: EBADF).

use std::{fs::File, os::fd::AsRawFd};

use traces::uapi::{
    DMA_BUF_IOCTL_SYNC, MEDIA_IOC_REQUEST_ALLOC, VIDIOC_DQBUF, VIDIOC_G_FMT, VIDIOC_QBUF,
    VIDIOC_QUERYCAP, VIDIOC_S_EXT_CTRLS, VIDIOC_S_FMT,
};
const TCGETS: u32 = 0x5401;

/// Deterministic bytes: what the test expects to find in the trace.
pub fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed))
        .collect()
}

/// `ioctl(fd, request, arg)` returning -errno like the raw syscall.
fn ioctl(fd: i32, request: u32, arg: *mut u8) -> i64 {
    // SAFETY: every caller passes a pointer to a live buffer at least `_IOC_SIZE(request)` long
    // (or null for calls without an argument); the kernel only reads/writes within it.
    let r = unsafe { libc::ioctl(fd, request as _, arg) };
    if r < 0 {
        -(std::io::Error::last_os_error().raw_os_error().unwrap_or(0) as i64)
    } else {
        r as i64
    }
}

fn put_u32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_ne_bytes());
}
fn put_u64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_ne_bytes());
}

fn tid() -> i64 {
    // SAFETY: gettid has no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) }
}

fn sequence() -> i32 {
    let null = File::options()
        .read(true)
        .write(true)
        .open("/dev/null")
        .expect("open /dev/null");
    let fd = null.as_raw_fd();
    let mut out = serde_json::Map::new();
    out.insert("pid".into(), std::process::id().into());
    out.insert("fd".into(), fd.into());

    let mut cap = vec![0u8; 104];
    let r_cap = ioctl(fd, VIDIOC_QUERYCAP, cap.as_mut_ptr());

    let mut fmt = pattern(1, 208);
    let r_fmt = ioctl(fd, VIDIOC_S_FMT, fmt.as_mut_ptr());

    // S_EXT_CTRLS: two controls, the first with a 64-byte payload.
    let mut payload = pattern(2, 64);
    let mut ctrls = vec![0u8; 40];
    put_u32(&mut ctrls, 0, 0x00a4_0a00); // an id
    put_u32(&mut ctrls, 4, 64);
    put_u64(&mut ctrls, 12, payload.as_mut_ptr() as u64);
    put_u32(&mut ctrls, 20, 0x0098_0900);
    put_u32(&mut ctrls, 24, 0);
    put_u32(&mut ctrls, 32, 42);
    let mut ext = vec![0u8; 32];
    put_u32(&mut ext, 0, 0x0f01_0000); // V4L2_CTRL_WHICH_REQUEST_VAL
    put_u32(&mut ext, 4, 2);
    put_u32(&mut ext, 12, 7); // request_fd
    put_u64(&mut ext, 24, ctrls.as_mut_ptr() as u64);
    let r_ext = ioctl(fd, VIDIOC_S_EXT_CTRLS, ext.as_mut_ptr());

    // QBUF OUTPUT_MPLANE (MMAP, nothing mapped) with one plane.
    let mut planes = pattern(3, 64);
    let mut buf = vec![0u8; 88];
    put_u32(&mut buf, 0, 5); // index
    put_u32(&mut buf, 4, 10); // OUTPUT_MPLANE
    put_u32(&mut buf, 60, 1); // MMAP
    put_u64(&mut buf, 64, planes.as_mut_ptr() as u64);
    put_u32(&mut buf, 72, 1);
    let r_qbuf_mp = ioctl(fd, VIDIOC_QBUF, buf.as_mut_ptr());

    // QBUF OUTPUT (USERPTR): the tracer reads the bitstream from the pointer (3 chunks).
    let mut bits = pattern(4, 20_000);
    let mut ubuf = vec![0u8; 88];
    put_u32(&mut ubuf, 0, 1);
    put_u32(&mut ubuf, 4, 2); // OUTPUT
    put_u32(&mut ubuf, 8, bits.len() as u32); // bytesused
    put_u32(&mut ubuf, 60, 2); // USERPTR
    put_u64(&mut ubuf, 64, bits.as_mut_ptr() as u64);
    put_u32(&mut ubuf, 72, bits.len() as u32);
    let r_qbuf_up = ioctl(fd, VIDIOC_QBUF, ubuf.as_mut_ptr());

    let mut req = vec![0u8; 4];
    let r_req = ioctl(fd, MEDIA_IOC_REQUEST_ALLOC, req.as_mut_ptr());
    let mut sync = pattern(5, 8);
    let r_sync = ioctl(fd, DMA_BUF_IOCTL_SYNC, sync.as_mut_ptr());
    // Not V4L2: must not be traced.
    let mut termios = vec![0u8; 64];
    let _ = ioctl(fd, TCGETS, termios.as_mut_ptr());

    let thread = std::thread::spawn(move || {
        let mut cap = vec![0u8; 104];
        let r = ioctl(fd, VIDIOC_QUERYCAP, cap.as_mut_ptr());
        (tid(), r)
    });
    let (thread_tid, r_thread) = thread.join().unwrap();

    // A dup of the device fd onto a chosen number, then closed.
    const DUP_TARGET: i32 = 100;
    // SAFETY: dup2/close on fds this process owns; no memory is involved.
    let dup_ret = unsafe { libc::dup2(fd, DUP_TARGET) };
    // SAFETY: as above.
    unsafe { libc::close(DUP_TARGET) };
    out.insert("dup_ret".into(), dup_ret.into());

    let exe = std::env::current_exe().unwrap();
    let child = std::process::Command::new(exe)
        .arg("child")
        .output()
        .expect("run child");
    let child_pid: u32 = String::from_utf8_lossy(&child.stdout)
        .trim()
        .parse()
        .unwrap_or(0);

    out.insert("thread_tid".into(), thread_tid.into());
    out.insert("child_pid".into(), child_pid.into());
    out.insert(
        "rets".into(),
        vec![
            r_cap, r_fmt, r_ext, r_qbuf_mp, r_qbuf_up, r_req, r_sync, r_thread,
        ]
        .into(),
    );
    out.insert("payload_addr".into(), (payload.as_ptr() as u64).into());
    out.insert("bits_len".into(), bits.len().into());
    println!("{}", serde_json::Value::Object(out));
    drop((
        cap, fmt, payload, ctrls, ext, planes, buf, bits, ubuf, req, sync,
    ));
    3
}

fn child() -> i32 {
    let null = File::options()
        .read(true)
        .write(true)
        .open("/dev/null")
        .expect("open /dev/null");
    let mut fmt = pattern(6, 208);
    let _ = ioctl(null.as_raw_fd(), VIDIOC_G_FMT, fmt.as_mut_ptr());
    println!("{}", std::process::id());
    0
}

fn cloexec(device: &str) -> i32 {
    let file = File::options()
        .read(true)
        .write(true)
        .open(device)
        .expect("open the device");
    let fd = file.as_raw_fd();
    // SAFETY: dup3/fcntl/dup2 on an fd this process owns; no memory is involved.
    let (a, b, c) = unsafe {
        (
            libc::dup3(fd, 50, libc::O_CLOEXEC),
            libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 60),
            libc::dup2(fd, 70),
        )
    };
    assert!(a == 50 && b >= 60 && c == 70, "dups: {a} {b} {c}");
    use std::os::unix::process::CommandExt;
    let err = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("after-exec")
        .arg(b.to_string())
        .exec();
    eprintln!("exec: {err}");
    1
}

fn after_exec(dupfd: i32) -> i32 {
    let querycap = |fd: i32| {
        let mut cap = vec![0u8; 104];
        ioctl(fd, VIDIOC_QUERYCAP, cap.as_mut_ptr())
    };
    println!(
        "{}",
        serde_json::json!({
            "dup3": querycap(50),
            "dupfd": [dupfd, querycap(dupfd)],
            "dup2": querycap(70),
        })
    );
    0
}

fn bench_loop(n: u64, device: Option<&str>) -> i32 {
    let path = device.unwrap_or("/dev/null");
    let file = match File::options().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("v4l2-ioctl-probe: cannot open {path}: {e}");
            return 2;
        }
    };
    let fd = file.as_raw_fd();
    let (request, mut buf) = match device {
        None => {
            let mut buf = vec![0u8; 88];
            put_u32(&mut buf, 4, 1); // CAPTURE
            put_u32(&mut buf, 60, 1); // MMAP
            (VIDIOC_DQBUF, buf)
        }
        Some(_) => {
            let mut buf = vec![0u8; 208];
            put_u32(&mut buf, 0, 10); // VIDEO_OUTPUT_MPLANE
            if ioctl(fd, VIDIOC_G_FMT, buf.as_mut_ptr()) != 0 {
                eprintln!("v4l2-ioctl-probe: VIDIOC_G_FMT(OUTPUT_MPLANE) fails on {path}: not a stateless decoder node");
                return 2;
            }
            (VIDIOC_G_FMT, buf)
        }
    };
    let start = std::time::Instant::now();
    for _ in 0..n {
        ioctl(fd, request, buf.as_mut_ptr());
    }
    let el = start.elapsed();
    eprintln!(
        "{n} ioctls in {:.3} s: {:.0} ioctls/s",
        el.as_secs_f64(),
        n as f64 / el.as_secs_f64()
    );
    0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let code = match args.get(1).map(String::as_str) {
        Some("sequence") => sequence(),
        Some("child") => child(),
        Some("cloexec") => cloexec(args.get(2).map_or("/dev/video0", String::as_str)),
        Some("after-exec") => after_exec(args.get(2).and_then(|s| s.parse().ok()).unwrap_or(60)),
        Some("loop") => bench_loop(
            args.get(2)
                .and_then(|s| s.parse().ok())
                .unwrap_or(1_000_000),
            args.get(3).map(String::as_str),
        ),
        Some("delayed") => {
            println!("{}", std::process::id());
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
            bench_loop(args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10), None)
        }
        _ => {
            eprintln!(
                "usage: v4l2-ioctl-probe sequence | child | loop N [DEVICE] | delayed N | cloexec DEVICE"
            );
            2
        }
    };
    std::process::exit(code);
}
