//! Decoding the ring buffer's raw records (layouts in `tracer-common`) into values; captured
//! bytes are borrowed from the record, so decoding allocates nothing for an ioctl.

use std::mem::size_of;

use tracer_common::{
    EventHeader, EventKind, ExitEvent, FdEvent, ForkEvent, IoctlEvent, MmapEvent, OpenEvent,
    PollEvent, PollFd, ProbeEvent, SegmentEvent, SegmentKind,
};

/// One record from the kernel side; `arg` and `data` point into the raw record.
#[derive(Debug, Clone)]
pub enum RawEvent<'a> {
    Ioctl {
        hdr: EventHeader,
        exit: bool,
        ev: IoctlEvent,
        arg: &'a [u8],
    },
    Segment {
        hdr: EventHeader,
        ev: SegmentEvent,
        kind: Option<SegmentKind>,
        data: &'a [u8],
    },
    Open {
        hdr: EventHeader,
        ev: OpenEvent,
        path: String,
    },
    Close {
        hdr: EventHeader,
        ev: FdEvent,
    },
    Dup {
        hdr: EventHeader,
        ev: FdEvent,
    },
    Mmap {
        hdr: EventHeader,
        ev: MmapEvent,
    },
    Munmap {
        hdr: EventHeader,
        ev: MmapEvent,
    },
    Poll {
        hdr: EventHeader,
        exit: bool,
        ev: PollEvent,
        fds: Vec<PollFd>,
    },
    Fork {
        hdr: EventHeader,
        ev: ForkEvent,
    },
    Exit {
        hdr: EventHeader,
        ev: ExitEvent,
    },
    ExecEnter {
        hdr: EventHeader,
        path: String,
    },
    ExecExit {
        hdr: EventHeader,
        ret: i64,
    },
    Probe {
        hdr: EventHeader,
        ev: ProbeEvent,
    },
}

/// Why a raw record could not be decoded (a version mismatch between the two sides, or a bug).
#[derive(Debug)]
pub struct BadRecord(pub String);

impl std::fmt::Display for BadRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads a `T` from the start of `bytes`.
fn read<T: aya::Pod>(bytes: &[u8]) -> Result<T, BadRecord> {
    if bytes.len() < size_of::<T>() {
        return Err(BadRecord(format!(
            "record of {} bytes is shorter than its {}-byte {}",
            bytes.len(),
            size_of::<T>(),
            std::any::type_name::<T>()
        )));
    }
    // SAFETY: `T: Pod` accepts any bit pattern, the length was checked, and `read_unaligned`
    // copes with the ring buffer's 8-byte (not necessarily T-) alignment.
    Ok(unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<T>()) })
}

/// The `n` bytes after a body of type `B`, bounded by the record.
fn tail<B>(bytes: &[u8], n: usize) -> Result<&[u8], BadRecord> {
    let start = size_of::<B>();
    bytes.get(start..start + n).ok_or_else(|| {
        BadRecord(format!(
            "record of {} bytes lacks its {n} data bytes",
            bytes.len()
        ))
    })
}

/// Decodes one ring-buffer record.
pub fn decode(bytes: &[u8]) -> Result<RawEvent<'_>, BadRecord> {
    let hdr: EventHeader = read(bytes)?;
    let kind = EventKind::from_u32(hdr.kind)
        .ok_or_else(|| BadRecord(format!("unknown record kind {}", hdr.kind)))?;
    Ok(match kind {
        EventKind::IoctlEnter | EventKind::IoctlExit => {
            let ev: IoctlEvent = read(bytes)?;
            let arg = tail::<IoctlEvent>(bytes, ev.arg_len as usize)?;
            RawEvent::Ioctl {
                hdr,
                exit: kind == EventKind::IoctlExit,
                ev,
                arg,
            }
        }
        EventKind::Segment => {
            let ev: SegmentEvent = read(bytes)?;
            let data = tail::<SegmentEvent>(bytes, ev.len as usize)?;
            RawEvent::Segment {
                hdr,
                kind: SegmentKind::from_u32(ev.kind),
                ev,
                data,
            }
        }
        EventKind::Open => {
            let ev: OpenEvent = read(bytes)?;
            let path = tail::<OpenEvent>(bytes, ev.path_len as usize)?;
            RawEvent::Open {
                hdr,
                ev,
                path: String::from_utf8_lossy(path).into_owned(),
            }
        }
        EventKind::Close => RawEvent::Close {
            hdr,
            ev: read(bytes)?,
        },
        EventKind::Dup => RawEvent::Dup {
            hdr,
            ev: read(bytes)?,
        },
        EventKind::Mmap => RawEvent::Mmap {
            hdr,
            ev: read(bytes)?,
        },
        EventKind::Munmap => RawEvent::Munmap {
            hdr,
            ev: read(bytes)?,
        },
        EventKind::PollEnter | EventKind::PollExit => {
            let ev: PollEvent = read(bytes)?;
            let n = (ev.nfds as usize).min(ev.fds.len());
            let fds = ev.fds[..n].to_vec();
            RawEvent::Poll {
                hdr,
                exit: kind == EventKind::PollExit,
                ev,
                fds,
            }
        }
        EventKind::Fork => RawEvent::Fork {
            hdr,
            ev: read(bytes)?,
        },
        EventKind::Exit => RawEvent::Exit {
            hdr,
            ev: read(bytes)?,
        },
        EventKind::ExecEnter => {
            let ev: OpenEvent = read(bytes)?;
            let path = tail::<OpenEvent>(bytes, ev.path_len as usize)?;
            RawEvent::ExecEnter {
                hdr,
                path: String::from_utf8_lossy(path).into_owned(),
            }
        }
        EventKind::ExecExit => {
            let ev: FdEvent = read(bytes)?;
            RawEvent::ExecExit { hdr, ret: ev.ret }
        }
        EventKind::Probe => RawEvent::Probe {
            hdr,
            ev: read(bytes)?,
        },
    })
}
