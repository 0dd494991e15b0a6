//! One-line descriptions of records for event logs (the TUI's scrolling log).
//!
//! TODO(traces-dump): replace with the traces dump formatter once it exists; until then this
//! reads argument fields only through [`super::args`].

use std::fmt::Write;

use super::args;
use super::state::Side;
use super::{errno_name, ioctl_name};
use crate::record::{errno_of, Ioctl, Record};

fn buf_type_name(t: u32) -> &'static str {
    match t {
        1 => "CAPTURE",
        2 => "OUTPUT",
        9 => "CAPTURE_MPLANE",
        10 => "OUTPUT_MPLANE",
        _ => "TYPE?",
    }
}

fn result(ret: i64) -> String {
    match errno_of(ret) {
        Some(e) => format!("-1 {}", errno_name(e)),
        None => ret.to_string(),
    }
}

/// The argument summary of an ioctl (`OUTPUT_MPLANE index=2 request_fd=12`), empty if none.
pub fn ioctl_args(io: &Ioctl) -> String {
    let mut s = String::new();
    match io.request {
        args::VIDIOC_QBUF | args::VIDIOC_DQBUF | args::VIDIOC_QUERYBUF => {
            let b = if io.request == args::VIDIOC_QBUF { args::buffer_before(io) } else { args::buffer_after(io) };
            if let Some(b) = b {
                let _ = write!(s, "{} index={}", buf_type_name(b.buf_type), b.index);
                if b.flags & args::BUF_FLAG_REQUEST_FD != 0 {
                    let _ = write!(s, " request_fd={}", b.request_fd);
                }
                if b.flags & args::BUF_FLAG_ERROR != 0 {
                    s.push_str(" ERROR");
                }
            }
        }
        args::VIDIOC_REQBUFS => {
            if let Some(((count, t, _), got)) = args::reqbufs(io) {
                let _ = write!(s, "{} count={count}", buf_type_name(t));
                if let Some(g) = got.filter(|_| io.ret == 0) {
                    let _ = write!(s, "->{g}");
                }
            }
        }
        args::VIDIOC_S_FMT | args::VIDIOC_G_FMT => {
            if let Some((t, w, h, fourcc)) = args::format(io) {
                let _ = write!(s, "{} {} {w}x{h}", buf_type_name(t), super::snapshot::fourcc(fourcc));
            }
        }
        args::VIDIOC_EXPBUF => {
            if let Some((t, i, _, fd)) = args::expbuf(io) {
                let _ = write!(s, "{} index={i} fd={fd}", buf_type_name(t));
            }
        }
        args::VIDIOC_STREAMON | args::VIDIOC_STREAMOFF => {
            if let Some(t) = args::int_before(io) {
                s.push_str(buf_type_name(t as u32));
            }
        }
        args::VIDIOC_S_EXT_CTRLS => {
            if let Some((which, count, rfd)) = args::ext_ctrls(io) {
                if which == args::CTRL_WHICH_REQUEST_VAL {
                    let _ = write!(s, "count={count} request_fd={rfd}");
                } else {
                    let _ = write!(s, "count={count}");
                }
            }
        }
        args::MEDIA_IOC_REQUEST_ALLOC => {
            if let Some(fd) = args::int_after(io).filter(|_| io.ret == 0) {
                let _ = write!(s, "-> request_fd={fd}");
            }
        }
        _ => {}
    }
    s
}

/// A one-line description of `r` without its timestamp.
pub fn describe(r: &Record) -> String {
    match r {
        Record::Ioctl(io) => {
            let a = ioctl_args(io);
            let sep = if a.is_empty() { "" } else { " " };
            format!("{} {} fd={}{sep}{a} = {}", io.pid, ioctl_name(io.request), io.fd, result(io.ret))
        }
        Record::Open(o) => format!("{} open {} = {}", o.pid, o.path, result(o.ret)),
        Record::Close(c) => format!("{} close fd={} = {}", c.pid, c.fd, result(c.ret)),
        Record::Dup(d) => format!("{} dup fd={} = {}", d.pid, d.old, result(d.ret)),
        Record::Mmap(m) => format!(
            "{} mmap fd={} offset={:#x} len={} = {}",
            m.pid,
            m.fd,
            m.offset,
            m.len,
            match m.errno() {
                Some(e) => errno_name(e),
                None => format!("{:#x}", m.ret),
            }
        ),
        Record::Munmap(m) => format!("{} munmap {:#x} len={} = {}", m.pid, m.addr, m.len, result(m.ret)),
        Record::Poll(p) => {
            let fds: Vec<String> = p.fds.iter().map(|f| format!("{}:{:#x}", f.fd, f.revents)).collect();
            format!("{} {} [{}] = {}", p.pid, p.syscall, fds.join(" "), result(p.ret))
        }
        Record::Fork(f) => format!(
            "{} {} {}",
            f.parent_pid,
            if f.is_thread { "thread" } else { "fork" },
            f.child
        ),
        Record::Exec(e) => format!("{} exec {}", e.pid, e.path),
        Record::Exit(e) => format!("{} exit code={}", e.pid, e.code),
        Record::Lost(l) => format!("LOST {} events", l.count),
        Record::Device(d) => format!("device {} ({})", d.path, d.driver),
        Record::End(e) => format!("END {:?}{}", e.reason, e.exit_code.map(|c| format!(" exit={c}")).unwrap_or_default()),
        Record::Bitstream(b) => format!("bitstream of #{} plane {} {} bytes", b.ioctl_seq, b.plane, b.len),
        Record::Blob(b) => format!("blob {} ({} bytes)", b.id, b.data.len()),
        Record::Unknown { tag } => format!("unknown record {tag}"),
    }
}

/// Whether `r` is a REQBUFS or S_FMT that failed with EBUSY (the line to highlight).
pub fn is_ebusy_alloc(r: &Record) -> bool {
    match r {
        Record::Ioctl(io) => {
            (io.request == args::VIDIOC_REQBUFS || io.request == args::VIDIOC_S_FMT) && io.errno() == Some(16)
        }
        _ => false,
    }
}

/// Whether `r` failed (an ioctl or call with an error return), except DQBUF's EAGAIN.
pub fn is_failure(r: &Record) -> bool {
    match r {
        Record::Ioctl(io) => match io.errno() {
            Some(11) => io.request != args::VIDIOC_DQBUF,
            Some(_) => true,
            None => false,
        },
        Record::Lost(_) => true,
        _ => false,
    }
}

/// The side an OUTPUT/CAPTURE buffer ioctl is about, for colouring.
pub fn side_of(r: &Record) -> Option<Side> {
    match r {
        Record::Ioctl(io) if matches!(io.request, args::VIDIOC_QBUF | args::VIDIOC_DQBUF) => {
            args::buffer_before(io).map(|b| Side::of(b.buf_type))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::synth::{Synth, RET_EBUSY};
    use super::*;

    #[test]
    fn lines() {
        let mut s = Synth::new(7, 0);
        assert_eq!(
            describe(&s.qbuf(3, 10, 2, Some(12), 0)),
            "7 VIDIOC_QBUF fd=3 OUTPUT_MPLANE index=2 request_fd=12 = 0"
        );
        let r = s.reqbufs(3, 9, 0, 0, RET_EBUSY);
        assert_eq!(describe(&r), "7 VIDIOC_REQBUFS fd=3 CAPTURE_MPLANE count=0 = -1 EBUSY");
        assert!(is_ebusy_alloc(&r) && is_failure(&r));
        assert_eq!(describe(&s.request_alloc(4, 10)), "7 MEDIA_IOC_REQUEST_ALLOC fd=4 -> request_fd=10 = 0");
        // Garbage never panics.
        let g = s.ioctl(3, args::VIDIOC_QBUF, vec![1], vec![], -1);
        assert_eq!(describe(&g), "7 VIDIOC_QBUF fd=3 = -1 EPERM");
    }
}
