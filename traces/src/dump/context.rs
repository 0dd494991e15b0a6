//! [`Context`]: what each fd of each traced process refers to, followed record by record
//! (open, MEDIA_IOC_REQUEST_ALLOC, VIDIOC_EXPBUF name fds; close, dup, fork, exec and exit move
//! them by the shared process model's rules, [`crate::procs`]), so a dump can print
//! `12<request:/dev/media0>` instead of `12`.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use crate::ioctl::{self, names};
use crate::procs::{Procs, O_CLOEXEC};
use crate::record::{DeviceInfo, DeviceKind, Header, Ioctl, Mmap, Record};

/// What an fd refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum FdKind {
    /// A V4L2 video node.
    Video {
        path: String,
        driver: Option<String>,
    },
    /// A media controller node.
    Media { path: String },
    /// A media request allocated on `media` (the media node's path, or its fd if unknown).
    Request { media: String },
    /// A dma-buf exported with VIDIOC_EXPBUF.
    DmaBuf {
        from: String,
        buf_type: u32,
        index: u32,
        plane: u32,
    },
    /// Any other opened path.
    Other { path: String },
}

impl FdKind {
    fn of_path(path: &str, driver: Option<String>) -> FdKind {
        let base = path.rsplit('/').next().unwrap_or(path);
        if base.starts_with("video") {
            FdKind::Video {
                path: path.to_string(),
                driver,
            }
        } else if base.starts_with("media") {
            FdKind::Media {
                path: path.to_string(),
            }
        } else {
            FdKind::Other {
                path: path.to_string(),
            }
        }
    }

    /// What an fd opened at `path` is: the kind the trace's device list gives the path, else
    /// what its name says (`video*`, `media*`).
    pub fn opened(path: &str, devices: &HashMap<String, DeviceInfo>) -> FdKind {
        let path_s = path.to_string();
        match devices.get(path) {
            Some(d) => match d.kind {
                DeviceKind::Video => FdKind::Video {
                    path: path_s,
                    driver: Some(d.driver.clone()),
                },
                DeviceKind::Media => FdKind::Media { path: path_s },
                DeviceKind::Other => FdKind::Other { path: path_s },
            },
            None => FdKind::of_path(path, None),
        }
    }

    /// The fd a successful ioctl created, with what it is and whether it is close-on-exec: a
    /// request (MEDIA_IOC_REQUEST_ALLOC, always close-on-exec) or an exported dma-buf
    /// (VIDIOC_EXPBUF, by its flags). `on` is what the ioctl's own fd is, if known.
    pub fn created_by(i: &Ioctl, on: Option<&FdKind>) -> Option<(i32, FdKind, bool)> {
        if i.errno().is_some() {
            return None;
        }
        match i.request {
            ioctl::media::MEDIA_IOC_REQUEST_ALLOC => match ioctl::decode(i.request, &i.after) {
                Ok(ioctl::Arg::Int(fd)) => {
                    let media = describe(on, i.fd);
                    Some((fd, FdKind::Request { media }, true))
                }
                _ => None,
            },
            ioctl::expbuf::VIDIOC_EXPBUF => match ioctl::decode(i.request, &i.after) {
                Ok(ioctl::Arg::ExportBuffer(e)) => {
                    let kind = FdKind::DmaBuf {
                        from: describe(on, i.fd),
                        buf_type: e.buf_type,
                        index: e.index,
                        plane: e.plane,
                    };
                    Some((e.fd, kind, e.flags & O_CLOEXEC != 0))
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// The device path, for device nodes and other opened paths.
    pub fn path(&self) -> Option<&str> {
        match self {
            FdKind::Video { path, .. } | FdKind::Media { path } | FdKind::Other { path } => {
                Some(path)
            }
            FdKind::Request { .. } | FdKind::DmaBuf { .. } => None,
        }
    }

    /// Whether this is a media request fd.
    pub fn is_request(&self) -> bool {
        matches!(self, FdKind::Request { .. })
    }
}

impl fmt::Display for FdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FdKind::Video { path, .. } | FdKind::Media { path } | FdKind::Other { path } => {
                f.write_str(path)
            }
            FdKind::Request { media } => write!(f, "request:{media}"),
            FdKind::DmaBuf {
                from,
                buf_type,
                index,
                plane,
            } => {
                let q = if names::is_output(*buf_type) {
                    "OUTPUT"
                } else {
                    "CAPTURE"
                };
                write!(f, "dmabuf:{from} {q}#{index}.{plane}")
            }
        }
    }
}

/// What a formatter asks about fds and mappings. [`Context`] answers it for `vatrace dump`; the
/// pool model ([`crate::pool::PoolModel`]) keeps the same names in its own fd table, so a viewer
/// that has the pool model follows one table, not two.
pub trait FdNames {
    /// What `fd` of process `pid` refers to, if known.
    fn fd_kind(&self, pid: u32, fd: i32) -> Option<&FdKind>;

    /// The live mapping at `addr` in `pid`, if it maps a traced fd.
    fn mapping(&self, pid: u32, addr: u64) -> Option<&Mapping>;

    /// CLOCK_MONOTONIC at trace start; timestamps print relative to it.
    fn start_ns(&self) -> u64;

    /// `5</dev/video0>`, or `5` when unknown.
    fn fd_label(&self, pid: u32, fd: i32) -> String {
        match self.fd_kind(pid, fd) {
            Some(k) => format!("{fd}<{k}>"),
            None => fd.to_string(),
        }
    }

    /// Seconds since trace start of a monotonic timestamp, as `12.345678`.
    fn rel_time(&self, ts: u64) -> String {
        let d = ts as i128 - self.start_ns() as i128;
        let sign = if d < 0 { "-" } else { "" };
        let d = d.unsigned_abs();
        format!(
            "{sign}{}.{:06}",
            d / 1_000_000_000,
            (d % 1_000_000_000) / 1000
        )
    }
}

/// What an fd is, as text: its kind, or `fd N` when unknown.
fn describe(kind: Option<&FdKind>, fd: i32) -> String {
    match kind {
        Some(k) => k.to_string(),
        None => format!("fd {fd}"),
    }
}

/// The fd tables of the traced processes and what the trace says about devices.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// CLOCK_MONOTONIC at trace start; timestamps print relative to it.
    pub start_ns: u64,
    /// Devices known from the header and `Device` records, by path.
    pub devices: HashMap<String, DeviceInfo>,
    /// Every traced process's fds (by what they refer to) and its live mappings of traced fds.
    procs: Procs<FdKind, Mapping>,
}

/// A live mmap of a device fd.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mapping {
    /// What the fd referred to (`/dev/video0`, or the fd number if unknown).
    pub what: String,
    /// The mmap offset (for V4L2 MMAP buffers, the plane's `m.mem_offset`).
    pub offset: u64,
    pub len: u64,
}

impl Mapping {
    /// The mapping a successful mmap made of its fd, which is `on` if known.
    pub fn of(m: &Mmap, on: Option<&FdKind>) -> Mapping {
        Mapping {
            what: describe(on, m.fd),
            offset: m.offset,
            len: m.len,
        }
    }
}

impl FdNames for Context {
    fn fd_kind(&self, pid: u32, fd: i32) -> Option<&FdKind> {
        self.procs.get(pid, fd)
    }

    fn mapping(&self, pid: u32, addr: u64) -> Option<&Mapping> {
        self.procs.mapping(pid, addr)
    }

    fn start_ns(&self) -> u64 {
        self.start_ns
    }
}

impl Context {
    /// A context for a trace with this header.
    pub fn new(header: &Header) -> Self {
        let mut c = Context {
            start_ns: header.start_monotonic_ns,
            ..Default::default()
        };
        for d in &header.devices {
            c.devices.insert(d.path.clone(), d.clone());
        }
        c
    }

    /// What `fd` of process `pid` refers to, if known.
    pub fn fd(&self, pid: u32, fd: i32) -> Option<&FdKind> {
        self.procs.get(pid, fd)
    }

    /// `5</dev/video0>`, or `5` when unknown.
    pub fn fd_label(&self, pid: u32, fd: i32) -> String {
        FdNames::fd_label(self, pid, fd)
    }

    /// Records that `fd` of `pid` now refers to `kind` (not close-on-exec).
    pub fn set_fd(&mut self, pid: u32, fd: i32, kind: FdKind) {
        self.procs.insert(pid, fd, kind, false);
    }

    /// The live mapping at `addr` in `pid`, if it maps a traced fd.
    pub fn mapping(&self, pid: u32, addr: u64) -> Option<&Mapping> {
        self.procs.mapping(pid, addr)
    }

    /// Every known fd of `pid`, in number order.
    pub fn fds_of(&self, pid: u32) -> impl Iterator<Item = (i32, &FdKind)> {
        self.procs.fds(pid)
    }

    /// Seconds since trace start of a monotonic timestamp, as `12.345678`.
    pub fn rel_time(&self, ts: u64) -> String {
        FdNames::rel_time(self, ts)
    }

    /// Follows one record (call after formatting it, so a close still shows what it closed).
    pub fn update(&mut self, record: &Record) {
        // Close, dup, fork, exec, exit and munmap are the process model's; names are dropped.
        self.procs.follow(record);
        match record {
            Record::Open(o) if o.ret >= 0 && o.ret <= i32::MAX as i64 => {
                let kind = FdKind::opened(&o.path, &self.devices);
                let cloexec = o.flags & O_CLOEXEC != 0;
                self.procs.insert(o.pid, o.ret as i32, kind, cloexec);
            }
            Record::Mmap(m) if m.errno().is_none() => {
                let map = Mapping::of(m, self.fd(m.pid, m.fd));
                self.procs.map(m.pid, m.ret, map);
            }
            Record::Device(d) => {
                self.devices.insert(d.path.clone(), d.clone());
            }
            Record::Ioctl(i) => {
                if let Some((fd, kind, cloexec)) = FdKind::created_by(i, self.fd(i.pid, i.fd)) {
                    self.procs.insert(i.pid, fd, kind, cloexec);
                }
            }
            _ => {}
        }
    }
}
