//! Compact one-line descriptions of records for narrow event logs (the TUI's scrolling log at
//! 80 columns); `vatrace dump`'s strace-like lines are [`crate::dump::format_record`]. Arguments
//! are read through the ioctl catalogue's decoders ([`super::args`]). [`write_describe`] appends
//! to a caller's buffer without allocating, for filters that test every record.

use std::fmt::Write;

use super::args;
use super::state::Side;
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

fn write_result(out: &mut String, ret: i64) {
    let _ = match errno_of(ret) {
        Some(e) => match crate::dump::errno_name(e) {
            Some(n) => write!(out, "-1 {n}"),
            None => write!(out, "-1 errno {e}"),
        },
        None => write!(out, "{ret}"),
    };
}

/// Appends the argument summary of an ioctl (`OUTPUT_MPLANE index=2 request_fd=12`) to `s`,
/// preceded by a space; nothing if there is none.
fn write_ioctl_args(s: &mut String, io: &Ioctl) {
    let _ = match io.request {
        args::VIDIOC_QBUF | args::VIDIOC_DQBUF | args::VIDIOC_QUERYBUF => {
            let b = if io.request == args::VIDIOC_QBUF {
                args::buffer_before(io)
            } else {
                args::buffer_after(io)
            };
            if let Some(b) = b {
                let _ = write!(s, " {} index={}", buf_type_name(b.buf_type), b.index);
                if b.flags & args::BUF_FLAG_REQUEST_FD != 0 {
                    let _ = write!(s, " request_fd={}", b.request_fd);
                }
                if b.flags & args::BUF_FLAG_ERROR != 0 {
                    s.push_str(" ERROR");
                }
            }
            Ok(())
        }
        args::VIDIOC_REQBUFS => {
            if let Some(((count, t, _), got)) = args::reqbufs(io) {
                let _ = write!(s, " {} count={count}", buf_type_name(t));
                if let Some(g) = got.filter(|_| io.ret == 0) {
                    let _ = write!(s, "->{g}");
                }
            }
            Ok(())
        }
        args::VIDIOC_S_FMT | args::VIDIOC_G_FMT => match args::format(io) {
            Some((t, w, h, fourcc)) => {
                write!(s, " {} {} {w}x{h}", buf_type_name(t), args::fourcc(fourcc))
            }
            None => Ok(()),
        },
        args::VIDIOC_EXPBUF => match args::expbuf(io) {
            Some((t, i, _, fd)) => write!(s, " {} index={i} fd={fd}", buf_type_name(t)),
            None => Ok(()),
        },
        args::VIDIOC_STREAMON | args::VIDIOC_STREAMOFF => match args::int_before(io) {
            Some(t) => write!(s, " {}", buf_type_name(t as u32)),
            None => Ok(()),
        },
        args::VIDIOC_S_EXT_CTRLS => match args::ext_ctrls(io) {
            Some((which, count, rfd)) if which == args::CTRL_WHICH_REQUEST_VAL => {
                write!(s, " count={count} request_fd={rfd}")
            }
            Some((_, count, _)) => write!(s, " count={count}"),
            None => Ok(()),
        },
        args::MEDIA_IOC_REQUEST_ALLOC => match args::int_after(io).filter(|_| io.ret == 0) {
            Some(fd) => write!(s, " -> request_fd={fd}"),
            None => Ok(()),
        },
        _ => Ok(()),
    };
}

/// The argument summary of an ioctl (`OUTPUT_MPLANE index=2 request_fd=12`), empty if none.
pub fn ioctl_args(io: &Ioctl) -> String {
    let mut s = String::new();
    write_ioctl_args(&mut s, io);
    s.trim_start().to_string()
}

/// Appends the one-line description of `r` (without timestamp) to `out`.
pub fn write_describe(out: &mut String, r: &Record) {
    let _ = match r {
        Record::Ioctl(io) => {
            let _ = write!(out, "{} {} fd={}", io.pid, args::name(io.request), io.fd);
            write_ioctl_args(out, io);
            out.push_str(" = ");
            write_result(out, io.ret);
            Ok(())
        }
        Record::Open(o) => {
            let _ = write!(out, "{} open {} = ", o.pid, o.path);
            write_result(out, o.ret);
            Ok(())
        }
        Record::Close(c) => {
            let _ = write!(out, "{} close fd={} = ", c.pid, c.fd);
            write_result(out, c.ret);
            Ok(())
        }
        Record::Dup(d) => {
            let _ = write!(out, "{} dup fd={} = ", d.pid, d.old);
            write_result(out, d.ret);
            Ok(())
        }
        Record::Mmap(m) => {
            let _ = write!(
                out,
                "{} mmap fd={} offset={:#x} len={} = ",
                m.pid, m.fd, m.offset, m.len
            );
            match m.errno() {
                Some(_) => write_result(out, m.ret as i64),
                None => {
                    let _ = write!(out, "{:#x}", m.ret);
                }
            }
            Ok(())
        }
        Record::Munmap(m) => {
            let _ = write!(out, "{} munmap {:#x} len={} = ", m.pid, m.addr, m.len);
            write_result(out, m.ret);
            Ok(())
        }
        Record::Poll(p) => {
            let _ = write!(out, "{} {} [", p.pid, p.syscall);
            for (i, f) in p.fds.iter().enumerate() {
                let _ = write!(
                    out,
                    "{}{}:{:#x}",
                    if i > 0 { " " } else { "" },
                    f.fd,
                    f.revents
                );
            }
            out.push_str("] = ");
            write_result(out, p.ret);
            Ok(())
        }
        Record::Fork(f) => {
            write!(
                out,
                "{} {} {}",
                f.parent_pid,
                if f.is_thread { "thread" } else { "fork" },
                f.child
            )
        }
        Record::Exec(e) => write!(out, "{} exec {}", e.pid, e.path),
        Record::Exit(e) => write!(out, "{} exit code={}", e.pid, e.code),
        Record::Lost(l) => write!(out, "LOST {} events", l.count),
        Record::Probe(p) => write!(out, "{} {}", p.pid, crate::probe::describe(p)),
        Record::Device(d) => write!(out, "device {} ({})", d.path, d.driver),
        Record::End(e) => {
            let _ = write!(out, "END {:?}", e.reason);
            match e.exit_code {
                Some(c) => write!(out, " exit={c}"),
                None => Ok(()),
            }
        }
        Record::Bitstream(b) => write!(
            out,
            "bitstream of #{} plane {} {} bytes",
            b.ioctl_seq, b.plane, b.len
        ),
        Record::Blob(b) => write!(out, "blob {} ({} bytes)", b.id, b.data.len()),
        Record::Unknown { tag } => write!(out, "unknown record {tag}"),
    };
}

/// A one-line description of `r` without its timestamp.
pub fn describe(r: &Record) -> String {
    let mut s = String::new();
    write_describe(&mut s, r);
    s
}

/// Whether `r` is a REQBUFS or S_FMT that failed with EBUSY (the line to highlight).
pub fn is_ebusy_alloc(r: &Record) -> bool {
    match r {
        Record::Ioctl(io) => {
            (io.request == args::VIDIOC_REQBUFS || io.request == args::VIDIOC_S_FMT)
                && io.errno() == Some(16)
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
        // A request slot the driver could not recover.
        Record::Probe(p) => p.func == crate::probe::ProbeKind::SlotDead,
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
        assert_eq!(
            describe(&r),
            "7 VIDIOC_REQBUFS fd=3 CAPTURE_MPLANE count=0 = -1 EBUSY"
        );
        assert!(is_ebusy_alloc(&r) && is_failure(&r));
        assert_eq!(
            describe(&s.request_alloc(4, 10)),
            "7 MEDIA_IOC_REQUEST_ALLOC fd=4 -> request_fd=10 = 0"
        );
        // Garbage never panics.
        let g = s.ioctl(3, args::VIDIOC_QBUF, vec![1], vec![], -1);
        assert_eq!(describe(&g), "7 VIDIOC_QBUF fd=3 = -1 EPERM");
    }

    #[test]
    fn driver_probes_are_event_lines_and_dead_slots_failures() {
        use crate::probe::ProbeKind;
        use crate::record::Probe;
        let p = |kind, args: &[i64]| {
            Record::Probe(Probe {
                ts: 1,
                pid: 7,
                tid: 7,
                func: kind,
                args: args.to_vec(),
            })
        };
        let a = p(ProbeKind::SlotAcquire, &[2, 10]);
        assert_eq!(describe(&a), "7 driver slot_acquire(slot=2, request_fd=10)");
        assert!(!is_failure(&a));
        let d = p(ProbeKind::SlotDead, &[2, 10]);
        assert_eq!(describe(&d), "7 driver slot_dead(slot=2, old_fd=10)");
        assert!(is_failure(&d));
    }
}
