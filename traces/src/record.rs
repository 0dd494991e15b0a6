//! The versioned trace format's data model: the [`Header`] that opens a trace and the [`Record`]s
//! that follow it, one per traced event.
//!
//! A trace file is the 8-byte [`MAGIC`], then a sequence of CBOR items: one [`Header`], then
//! [`Record`]s in the order they arrived, and last a [`Record::End`]. A file without `End` was cut
//! (the tracer crashed or was killed). [`crate::stream`] reads and writes that layout.
//!
//! Compatibility rules (bump [`FORMAT_MINOR`] for the first two, [`FORMAT_VERSION`] for the rest):
//! * adding an optional field (`#[serde(default)]`) or a new `Record` variant is a minor change:
//!   old readers ignore unknown fields and report unknown variants as [`Record::Unknown`];
//! * renaming, removing or changing the type of a field is a major change: readers refuse a file
//!   whose major version is newer than theirs.
//!
//! The records that occur once per ioctl ([`Ioctl`], [`Payload`], [`Bitstream`]) use one- to
//! three-letter field names because version 1 stored every field name in every record; the rare
//! ones keep readable names. Version 2 writes the frequent kinds in a compact form instead
//! ([`crate::stream`], `traces/FORMAT.md`) and reads back these same types. All timestamps are
//! CLOCK_MONOTONIC nanoseconds; [`Header`] relates them to wall-clock time.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The first 8 bytes of every trace file.
pub const MAGIC: [u8; 8] = *b"VATRACE\0";

/// Major format version: a reader refuses a trace whose major version is newer than its own.
/// Version 2 (compact per-frame records) is written; versions 1 and 2 are read.
pub const FORMAT_VERSION: u32 = 2;

/// Minor format version: additions a reader of the same major version can skip.
/// 1: `Dup.cloexec` and `Exit.group_dead` (absent in minor 0 traces: close-on-exec dups and
/// whether an exit ended the process were not recorded).
/// 2: `Ioctl.injected` (absent in older traces: no call was injected live) and `Record::Probe`, the
/// libva driver's pool transitions (uprobes; older readers see `Record::Unknown { tag: "Probe" }`).
pub const FORMAT_MINOR: u32 = 2;

/// Opens every trace: what was traced, where, when, and the devices it could see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Major format version ([`FORMAT_VERSION`] when written by this crate).
    pub format_version: u32,
    /// Minor format version ([`FORMAT_MINOR`] when written by this crate).
    #[serde(default)]
    pub format_minor: u32,
    /// Version of the vatrace that wrote the trace.
    pub vatrace_version: String,
    /// `uname -r` of the traced machine.
    pub kernel_release: String,
    /// `uname -m` of the traced machine (x86_64, aarch64, …).
    pub machine: String,
    /// Host name of the traced machine.
    pub hostname: String,
    /// The traced command line (empty when attaching to running processes).
    pub command: Vec<String>,
    /// Wall-clock time at start, nanoseconds since the Unix epoch.
    pub start_unix_ns: u64,
    /// CLOCK_MONOTONIC at the same instant as `start_unix_ns`, nanoseconds.
    pub start_monotonic_ns: u64,
    /// Pid of the traced root process.
    pub root_pid: u32,
    /// V4L2 and media devices present when tracing started.
    pub devices: Vec<DeviceInfo>,
    /// Free-form settings of the tracer (ring-buffer size, capture limits, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
    /// For a trace made from another one (`vatrace cut`, `vatrace minimize`): what it was made
    /// from and how. Absent in recorded traces; older readers ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived: Option<Derivation>,
}

/// Where a cut or minimised trace comes from ([`Header::derived`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Derivation {
    /// The tool that made it: `"cut"` or `"minimize"`.
    pub tool: String,
    /// The source trace's path as given on the command line.
    pub source: String,
    /// SHA-256 of the source trace file, hex.
    #[serde(default)]
    pub source_sha256: String,
    /// The selection (`--frames 3..5`) or the predicate (`errno:VIDIOC_REQBUFS=EBUSY`).
    pub how: String,
    /// Ioctls in the source and in this trace.
    pub ioctls_before: u64,
    pub ioctls_after: u64,
    /// The source's own derivation, if it was itself cut or minimised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Box<Derivation>>,
}

impl Header {
    /// A header with this crate's format version and version string, everything else empty.
    pub fn new() -> Self {
        Header {
            format_version: FORMAT_VERSION,
            format_minor: FORMAT_MINOR,
            vatrace_version: env!("CARGO_PKG_VERSION").to_string(),
            kernel_release: String::new(),
            machine: String::new(),
            hostname: String::new(),
            command: Vec::new(),
            start_unix_ns: 0,
            start_monotonic_ns: 0,
            root_pid: 0,
            devices: Vec::new(),
            options: BTreeMap::new(),
            derived: None,
        }
    }

    /// Converts a CLOCK_MONOTONIC timestamp of this trace to Unix-epoch nanoseconds.
    pub fn to_unix_ns(&self, monotonic_ns: u64) -> u64 {
        let delta = monotonic_ns as i128 - self.start_monotonic_ns as i128;
        (self.start_unix_ns as i128 + delta).clamp(0, u64::MAX as i128) as u64
    }
}

impl Default for Header {
    fn default() -> Self {
        Header::new()
    }
}

/// What kind of device node a [`DeviceInfo`] describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DeviceKind {
    /// A V4L2 video node (`/dev/videoN`).
    Video,
    /// A media controller node (`/dev/mediaN`).
    Media,
    /// Anything else (a DRM render node, a dma-buf heap, …).
    Other,
}

/// One device node as the tracer found it: identity, capabilities and formats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// Path of the node, e.g. `/dev/video0`.
    pub path: String,
    /// Video, media or other.
    pub kind: DeviceKind,
    /// Device number (`st_rdev`) of the node, so fds can be matched to it by `fstat`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rdev: Option<u64>,
    /// `v4l2_capability.driver` (or `media_device_info.driver`).
    pub driver: String,
    /// `v4l2_capability.card` (or `media_device_info.model`).
    pub card: String,
    /// `v4l2_capability.bus_info` (or `media_device_info.bus_info`).
    pub bus_info: String,
    /// `v4l2_capability.version` (kernel version encoded as in KERNEL_VERSION).
    #[serde(default)]
    pub version: u32,
    /// `v4l2_capability.capabilities`.
    pub capabilities: u32,
    /// `v4l2_capability.device_caps`.
    pub device_caps: u32,
    /// Formats per buffer type, as VIDIOC_ENUM_FMT listed them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub formats: Vec<QueueFormats>,
    /// For media devices, MEDIA_IOC_DEVICE_INFO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<MediaInfo>,
}

/// The formats one queue (buffer type) offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueFormats {
    /// `enum v4l2_buf_type` value.
    pub buf_type: u32,
    /// What VIDIOC_ENUM_FMT returned, in index order.
    pub formats: Vec<FormatDesc>,
}

/// One VIDIOC_ENUM_FMT answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormatDesc {
    /// `v4l2_fmtdesc.pixelformat`.
    pub fourcc: u32,
    /// `v4l2_fmtdesc.description`.
    pub description: String,
    /// `v4l2_fmtdesc.flags`.
    pub flags: u32,
}

/// `struct media_device_info` of a media controller node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaInfo {
    pub driver: String,
    pub model: String,
    pub serial: String,
    pub bus_info: String,
    pub media_version: u32,
    pub hw_revision: u32,
    pub driver_version: u32,
}

/// One traced event. Written in arrival order; `Blob` precedes the first `Bitstream` using it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Record {
    /// An ioctl on any fd of a traced process whose number [`crate::ioctl::is_v4l2_or_media`] accepts.
    Ioctl(Ioctl),
    /// Bitstream bytes of one plane of an OUTPUT buffer, read when it was queued.
    Bitstream(Bitstream),
    /// A distinct bitstream chunk, stored once and referred to by id from `Bitstream` records.
    Blob(Blob),
    /// open/openat/openat2 of a path.
    Open(Open),
    /// close of an fd.
    Close(Close),
    /// dup/dup2/dup3/fcntl(F_DUPFD*) of an fd.
    Dup(Dup),
    /// mmap of a device fd.
    Mmap(Mmap),
    /// munmap of a range.
    Munmap(Munmap),
    /// poll/ppoll whose fd set includes a device or request fd.
    Poll(Poll),
    /// A new process or thread.
    Fork(Fork),
    /// A successful execve.
    Exec(Exec),
    /// A thread or process exit.
    Exit(Exit),
    /// Events the kernel side could not deliver (ring buffer full, …).
    Lost(Lost),
    /// A device discovered while tracing.
    Device(DeviceInfo),
    /// A libva driver pool transition, from a uprobe on the driver's exported function (2.2).
    Probe(Probe),
    /// The last record of a complete trace.
    End(End),
    /// A record of a variant this reader does not know (written by a newer minor version).
    /// Never written by this crate's writer on its own.
    Unknown {
        /// The variant's name in the file.
        tag: String,
    },
}

/// One ioctl call: its argument struct before and after, nested payloads and result.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ioctl {
    /// Sequence number of this ioctl in the trace, from 0 upward; `Bitstream` refers to it.
    #[serde(rename = "n")]
    pub seq: u64,
    /// Monotonic ns at syscall entry.
    #[serde(rename = "t0")]
    pub ts_enter: u64,
    /// Monotonic ns at syscall exit.
    #[serde(rename = "t1")]
    pub ts_exit: u64,
    /// Process id (thread group id).
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// The fd the ioctl was issued on.
    pub fd: i32,
    /// The ioctl request number.
    #[serde(rename = "rq")]
    pub request: u32,
    /// The user-space address of the argument.
    #[serde(rename = "ar")]
    pub arg: u64,
    /// Argument struct bytes at entry (empty if not read, e.g. for `_IOR` ioctls).
    #[serde(rename = "b", with = "serde_bytes", default)]
    pub before: Vec<u8>,
    /// Argument struct bytes at exit (empty if not read, e.g. for `_IOW` ioctls).
    #[serde(rename = "a", with = "serde_bytes", default)]
    pub after: Vec<u8>,
    /// Memory the argument points to (control arrays, plane arrays, …).
    #[serde(rename = "p", default, skip_serializing_if = "Vec::is_empty")]
    pub payloads: Vec<Payload>,
    /// Raw syscall return value: `>= 0` on success, `-errno` on failure.
    #[serde(rename = "r")]
    pub ret: i64,
    /// The call never reached its driver: `vatrace record --inject` failed it with `ret` (BPF
    /// LSM). Since format 2.2; older traces read as `false`.
    #[serde(rename = "inj", default, skip_serializing_if = "std::ops::Not::not")]
    pub injected: bool,
}

impl Ioctl {
    /// The errno the call failed with, if it failed.
    pub fn errno(&self) -> Option<i32> {
        errno_of(self.ret)
    }

    /// The first payload of the given kind.
    pub fn payload(&self, kind: &PayloadKind) -> Option<&Payload> {
        self.payloads.iter().find(|p| &p.kind == kind)
    }

    /// Duration of the call in nanoseconds.
    pub fn duration_ns(&self) -> u64 {
        self.ts_exit.saturating_sub(self.ts_enter)
    }
}

/// The errno a raw syscall return value stands for (`-4095..=-1` is an error, as in the kernel).
pub fn errno_of(ret: i64) -> Option<i32> {
    if (-4095..0).contains(&ret) {
        Some((-ret) as i32)
    } else {
        None
    }
}

/// Memory an ioctl argument points to, read at entry and/or exit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// What this memory is.
    #[serde(rename = "k")]
    pub kind: PayloadKind,
    /// Its user-space address.
    #[serde(rename = "ad")]
    pub addr: u64,
    /// Bytes at entry (empty if not read).
    #[serde(rename = "b", with = "serde_bytes", default)]
    pub before: Vec<u8>,
    /// Bytes at exit (empty if not read).
    #[serde(rename = "a", with = "serde_bytes", default)]
    pub after: Vec<u8>,
}

/// What a [`Payload`] holds. [`crate::ioctl::payload_specs`] says which ioctl has which.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PayloadKind {
    /// `v4l2_ext_controls.controls`: `count` × `struct v4l2_ext_control`.
    ExtControls,
    /// One control's `ptr` (`size` bytes); `index` is its position in the control array.
    Control { index: u32 },
    /// `v4l2_buffer.m.planes`: `length` × `struct v4l2_plane`.
    Planes,
    /// `media_v2_topology.ptr_entities`.
    TopologyEntities,
    /// `media_v2_topology.ptr_interfaces`.
    TopologyInterfaces,
    /// `media_v2_topology.ptr_pads`.
    TopologyPads,
    /// `media_v2_topology.ptr_links`.
    TopologyLinks,
    /// `media_links_enum.pads`.
    LinksEnumPads,
    /// `media_links_enum.links`.
    LinksEnumLinks,
    /// Anything else, by a tracer-defined number.
    Other(u32),
}

/// Bitstream bytes of one plane of an OUTPUT buffer at VIDIOC_QBUF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bitstream {
    /// `seq` of the QBUF [`Ioctl`] record this belongs to.
    #[serde(rename = "n")]
    pub ioctl_seq: u64,
    /// Plane index (0 for single-planar buffers).
    #[serde(rename = "pl")]
    pub plane: u32,
    /// Offset of the captured bytes within the plane (usually `data_offset`).
    #[serde(rename = "o")]
    pub offset: u64,
    /// Number of bytes the buffer holds there (`bytesused - data_offset`); the blob may be
    /// shorter if the tracer's capture limit cut it.
    #[serde(rename = "l")]
    pub len: u64,
    /// Id of the [`Blob`] with the bytes.
    #[serde(rename = "id")]
    pub blob: u64,
}

/// A distinct chunk of captured bytes, written once per content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blob {
    /// Unique id within the trace (0, 1, 2, … in the order written).
    pub id: u64,
    /// The bytes.
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

/// open/openat/openat2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Open {
    pub ts: u64,
    pub pid: u32,
    pub tid: u32,
    /// The directory fd of openat/openat2; `None` for open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dirfd: Option<i32>,
    pub path: String,
    pub flags: u32,
    #[serde(default)]
    pub mode: u32,
    /// The new fd, or `-errno`.
    pub ret: i64,
}

/// close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Close {
    pub ts: u64,
    pub pid: u32,
    pub tid: u32,
    pub fd: i32,
    /// 0 or `-errno`.
    pub ret: i64,
}

/// dup/dup2/dup3/fcntl(F_DUPFD, F_DUPFD_CLOEXEC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dup {
    pub ts: u64,
    pub pid: u32,
    pub tid: u32,
    /// The fd duplicated.
    pub old: i32,
    /// The target fd asked for (dup2/dup3) or the lower bound (F_DUPFD); `None` for dup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<i32>,
    /// The new fd, or `-errno`.
    pub ret: i64,
    /// The new fd is close-on-exec (dup3 with `O_CLOEXEC`, `fcntl(F_DUPFD_CLOEXEC)`). Since
    /// format 2.1; older traces read as `false`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cloexec: bool,
}

/// mmap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mmap {
    pub ts: u64,
    pub pid: u32,
    pub tid: u32,
    pub fd: i32,
    /// Address hint passed in.
    pub addr: u64,
    pub len: u64,
    pub prot: u32,
    pub flags: u32,
    /// File offset: for V4L2 MMAP buffers the plane's `m.mem_offset`.
    pub offset: u64,
    /// The mapped address, or `-errno` as a two's-complement value.
    pub ret: u64,
}

impl Mmap {
    /// The errno the call failed with, if it failed.
    pub fn errno(&self) -> Option<i32> {
        errno_of(self.ret as i64)
    }
}

/// munmap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Munmap {
    pub ts: u64,
    pub pid: u32,
    pub tid: u32,
    pub addr: u64,
    pub len: u64,
    pub ret: i64,
}

/// One `struct pollfd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollFd {
    pub fd: i32,
    pub events: u16,
    /// Filled at exit; 0 if the call failed or timed out.
    pub revents: u16,
}

/// poll/ppoll (and other waits that name fds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Poll {
    pub ts_enter: u64,
    pub ts_exit: u64,
    pub pid: u32,
    pub tid: u32,
    /// Which syscall: `"poll"`, `"ppoll"`, …
    pub syscall: String,
    pub fds: Vec<PollFd>,
    /// Timeout in nanoseconds; `None` waits forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ns: Option<i64>,
    /// Number of ready fds, 0 on timeout, or `-errno`.
    pub ret: i64,
}

/// A new process (`is_thread == false`) or thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fork {
    pub ts: u64,
    /// Pid (thread group id) of the parent.
    pub parent_pid: u32,
    /// Thread that forked.
    pub parent_tid: u32,
    /// Tid of the new task (its pid too when it is a process).
    pub child: u32,
    pub is_thread: bool,
}

/// A successful execve/execveat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exec {
    pub ts: u64,
    pub pid: u32,
    pub tid: u32,
    pub path: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub argv: Vec<String>,
}

/// A thread or process exit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exit {
    pub ts: u64,
    pub pid: u32,
    pub tid: u32,
    /// Exit code as the kernel reports it (`exit_code`: status << 8 | signal).
    pub code: i32,
    /// Whether this exit ended the process (its last thread): the kernel's `group_dead` of
    /// `sched_process_exit`. `None` when the kernel does not say (kernels without the field) and
    /// in traces before format 2.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_dead: Option<bool>,
}

/// A gap: events the kernel side produced but could not deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lost {
    /// How many events were lost.
    pub count: u64,
    /// Monotonic ns at which the loss was noticed.
    pub at: u64,
    /// The CPU whose buffer overflowed, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
}

/// A uprobe on one of the libva driver's pool-transition functions fired (`crate::probe`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    pub ts: u64,
    pub pid: u32,
    pub tid: u32,
    /// Which transition.
    pub func: crate::probe::ProbeKind,
    /// The function's arguments in declaration order (`ProbeKind::arg_names`), sign-extended
    /// from their C types.
    pub args: Vec<i64>,
}

/// Why a trace ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndReason {
    /// The traced command exited on its own (see `exit_code`).
    Exited,
    /// The traced command was killed by a signal (see `signal`).
    Signaled,
    /// The tracer was asked to stop (Ctrl-C, SIGTERM) and detached.
    Interrupted,
    /// The tracer detached from processes it had attached to.
    Detached,
    /// The tracer hit an error and stopped.
    Error,
}

/// Counts over the whole trace, filled in by [`crate::stream::TraceWriter::finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Totals {
    /// Records written before `End` (blobs included).
    pub records: u64,
    pub ioctls: u64,
    /// Bitstream records and the bytes they describe.
    pub bitstreams: u64,
    pub bitstream_bytes: u64,
    /// Distinct blobs and their bytes (what deduplication left).
    pub blobs: u64,
    pub blob_bytes: u64,
    /// Sum of `Lost::count`.
    pub lost: u64,
}

/// The last record of a complete trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct End {
    pub ts: u64,
    pub reason: EndReason,
    /// The traced command's exit code, when it exited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The signal that killed it (or that stopped the tracer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    /// A message for `EndReason::Error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub totals: Totals,
}

impl End {
    /// An `End` with the given reason at `ts`, totals left for the writer to fill in.
    pub fn new(ts: u64, reason: EndReason) -> Self {
        End {
            ts,
            reason,
            exit_code: None,
            signal: None,
            message: None,
            totals: Totals::default(),
        }
    }
}

impl Record {
    /// The name of this record's variant as stored in the file.
    pub fn tag(&self) -> &str {
        match self {
            Record::Ioctl(_) => "Ioctl",
            Record::Bitstream(_) => "Bitstream",
            Record::Blob(_) => "Blob",
            Record::Open(_) => "Open",
            Record::Close(_) => "Close",
            Record::Dup(_) => "Dup",
            Record::Mmap(_) => "Mmap",
            Record::Munmap(_) => "Munmap",
            Record::Poll(_) => "Poll",
            Record::Fork(_) => "Fork",
            Record::Exec(_) => "Exec",
            Record::Exit(_) => "Exit",
            Record::Lost(_) => "Lost",
            Record::Device(_) => "Device",
            Record::Probe(_) => "Probe",
            Record::End(_) => "End",
            Record::Unknown { tag } => tag,
        }
    }

    /// The monotonic timestamp of the event (entry time for calls), if it has one.
    pub fn ts(&self) -> Option<u64> {
        match self {
            Record::Ioctl(r) => Some(r.ts_enter),
            Record::Open(r) => Some(r.ts),
            Record::Close(r) => Some(r.ts),
            Record::Dup(r) => Some(r.ts),
            Record::Mmap(r) => Some(r.ts),
            Record::Munmap(r) => Some(r.ts),
            Record::Poll(r) => Some(r.ts_enter),
            Record::Fork(r) => Some(r.ts),
            Record::Exec(r) => Some(r.ts),
            Record::Exit(r) => Some(r.ts),
            Record::Lost(r) => Some(r.at),
            Record::Probe(r) => Some(r.ts),
            Record::End(r) => Some(r.ts),
            Record::Bitstream(_) | Record::Blob(_) | Record::Device(_) | Record::Unknown { .. } => {
                None
            }
        }
    }

    /// `(pid, tid)` of the thread the event happened on, if it has one.
    pub fn task(&self) -> Option<(u32, u32)> {
        match self {
            Record::Ioctl(r) => Some((r.pid, r.tid)),
            Record::Open(r) => Some((r.pid, r.tid)),
            Record::Close(r) => Some((r.pid, r.tid)),
            Record::Dup(r) => Some((r.pid, r.tid)),
            Record::Mmap(r) => Some((r.pid, r.tid)),
            Record::Munmap(r) => Some((r.pid, r.tid)),
            Record::Poll(r) => Some((r.pid, r.tid)),
            Record::Fork(r) => Some((r.parent_pid, r.parent_tid)),
            Record::Exec(r) => Some((r.pid, r.tid)),
            Record::Exit(r) => Some((r.pid, r.tid)),
            Record::Probe(r) => Some((r.pid, r.tid)),
            _ => None,
        }
    }
}

/// Names of the `Record` variants this crate knows, as stored in files.
pub const RECORD_TAGS: &[&str] = &[
    "Ioctl",
    "Bitstream",
    "Blob",
    "Open",
    "Close",
    "Dup",
    "Mmap",
    "Munmap",
    "Poll",
    "Fork",
    "Exec",
    "Exit",
    "Lost",
    "Device",
    "Probe",
    "End",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_range() {
        assert_eq!(errno_of(0), None);
        assert_eq!(errno_of(5), None);
        assert_eq!(errno_of(-16), Some(16));
        assert_eq!(errno_of(-4095), Some(4095));
        assert_eq!(errno_of(-4096), None);
    }

    #[test]
    fn unix_time_of_monotonic() {
        let mut h = Header::new();
        h.start_unix_ns = 1_000_000;
        h.start_monotonic_ns = 500;
        assert_eq!(h.to_unix_ns(600), 1_000_100);
        assert_eq!(h.to_unix_ns(0), 999_500);
    }

    #[test]
    fn tags_match_serde_names() {
        let r = Record::Lost(Lost {
            count: 1,
            at: 2,
            cpu: None,
        });
        let v = ciborium::Value::serialized(&r).unwrap();
        let map = v.as_map().unwrap();
        assert_eq!(map[0].0.as_text(), Some(r.tag()));
        assert!(RECORD_TAGS.contains(&r.tag()));
    }
}
