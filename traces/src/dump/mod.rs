//! Presentation of records: [`format_record`] prints one strace-like line per record, decoded
//! for V4L2 (`ioctl(5</dev/video0>, VIDIOC_QBUF, {type=VIDEO_OUTPUT_MPLANE, …}) = 0`), and
//! [`record_json`] gives one JSON object per record for tools. Both read [`FdNames`], what each
//! fd is: a [`Context`] (which [`Dumper`] keeps up to date as records go by) or the pool model,
//! which keeps the same names in its own fd table.

mod context;
mod errno;
mod syscalls;

use serde_json::{json, Map, Value};

pub use context::{Context, FdKind, FdNames, Mapping};
pub use errno::{
    describe as describe_errno, errno_by_name, errno_message, errno_name, format_ret, EAGAIN,
    EBADF, EBUSY, ENOENT, ENOTTY,
};
pub use syscalls::{map_flags, open_flags, poll_events, prot, signal_name};

use crate::ioctl::{self, decode_ioctl, Arg, DecodedIoctl, Dir};
use crate::record::{EndReason, Header, Ioctl, Record};

fn prefix(ctx: &(impl FdNames + ?Sized), ts: u64, pid: u32, tid: u32) -> String {
    format!("{} [pid {pid}/{tid}] ", ctx.rel_time(ts))
}

/// The argument as printed: the decoded struct of the side that matters, else the pointer.
fn arg_text(i: &Ioctl, d: &DecodedIoctl) -> Option<String> {
    let Some(info) = d.info else {
        let len = i.before.len().max(i.after.len());
        return Some(if len > 0 {
            format!("{:#x} /* {len} bytes */", i.arg)
        } else {
            format!("{:#x}", i.arg)
        });
    };
    let failed = i.errno().is_some();
    let side = match info.dir {
        _ if info.arg == ioctl::ArgType::None => return None,
        Dir::Write => d.before.as_ref(),
        Dir::Read if failed => None,
        Dir::Read => d.after.as_ref(),
        Dir::ReadWrite if failed => d.before.as_ref().or(d.after.as_ref()),
        Dir::ReadWrite | Dir::None => d.best(),
    };
    Some(match side {
        Some(Ok(arg)) => arg.to_string(),
        Some(Err(e)) => format!("{:#x} /* {e} */", i.arg),
        None => format!("{:#x}", i.arg),
    })
}

/// One ioctl as a line.
fn format_ioctl(i: &Ioctl, ctx: &(impl FdNames + ?Sized)) -> String {
    let d = decode_ioctl(i);
    let name = match d.info {
        Some(info) => info.name.to_string(),
        None => ioctl::describe(i.request),
    };
    let mut line = prefix(ctx, i.ts_enter, i.pid, i.tid);
    line.push_str(&format!("ioctl({}, {name}", ctx.fd_label(i.pid, i.fd)));
    if let Some(arg) = arg_text(i, &d) {
        line.push_str(", ");
        line.push_str(&arg);
    }
    line.push_str(") = ");
    line.push_str(&format_ret(i.ret));
    if i.injected {
        line.push_str(" (INJECTED)");
    }
    // A failed EXT_CTRLS says which control the kernel refused.
    if i.errno().is_some() {
        if let Some(Ok(Arg::ExtControls(x))) = &d.after {
            if x.error_idx < x.count {
                let which = x
                    .controls
                    .get(x.error_idx as usize)
                    .map(|c| ioctl::ext_ctrls::control_label(c.id));
                line.push_str(&format!(
                    " /* error_idx={}{} */",
                    x.error_idx,
                    which.map(|w| format!(" ({w})")).unwrap_or_default()
                ));
            }
        }
    }
    line
}

/// One record as an strace-like line (no trailing newline). Call it before
/// [`Context::update`] for the same record.
pub fn format_record(record: &Record, ctx: &(impl FdNames + ?Sized)) -> String {
    match record {
        Record::Ioctl(i) => format_ioctl(i, ctx),
        Record::Open(o) => {
            let call = match o.dirfd {
                None => format!("open({:?}, {}", o.path, open_flags(o.flags)),
                Some(-100) => format!("openat(AT_FDCWD, {:?}, {}", o.path, open_flags(o.flags)),
                Some(d) => format!(
                    "openat({}, {:?}, {}",
                    ctx.fd_label(o.pid, d),
                    o.path,
                    open_flags(o.flags)
                ),
            };
            let mode = if o.flags & 0o100 != 0 {
                format!(", {:#o}", o.mode)
            } else {
                String::new()
            };
            format!(
                "{}{call}{mode}) = {}",
                prefix(ctx, o.ts, o.pid, o.tid),
                format_ret(o.ret)
            )
        }
        Record::Close(c) => {
            format!(
                "{}close({}) = {}",
                prefix(ctx, c.ts, c.pid, c.tid),
                ctx.fd_label(c.pid, c.fd),
                format_ret(c.ret)
            )
        }
        Record::Dup(d) => {
            let call = match (d.new, d.cloexec) {
                (Some(n), true) => format!("dup3({}, {n}, O_CLOEXEC)", ctx.fd_label(d.pid, d.old)),
                (Some(n), false) => format!("dup2({}, {n})", ctx.fd_label(d.pid, d.old)),
                (None, true) => format!("dup({}) [O_CLOEXEC]", ctx.fd_label(d.pid, d.old)),
                (None, false) => format!("dup({})", ctx.fd_label(d.pid, d.old)),
            };
            format!(
                "{}{call} = {}",
                prefix(ctx, d.ts, d.pid, d.tid),
                format_ret(d.ret)
            )
        }
        Record::Mmap(m) => {
            let addr = if m.addr == 0 {
                "NULL".to_string()
            } else {
                format!("{:#x}", m.addr)
            };
            let ret = match m.errno() {
                Some(_) => format_ret(m.ret as i64),
                None => format!("{:#x}", m.ret),
            };
            format!(
                "{}mmap({addr}, {}, {}, {}, {}, {:#x}) = {ret}",
                prefix(ctx, m.ts, m.pid, m.tid),
                m.len,
                prot(m.prot),
                map_flags(m.flags),
                ctx.fd_label(m.pid, m.fd),
                m.offset
            )
        }
        Record::Munmap(m) => {
            let what = match ctx.mapping(m.pid, m.addr) {
                Some(map) => format!(" /* {} offset {:#x} */", map.what, map.offset),
                None => String::new(),
            };
            format!(
                "{}munmap({:#x}, {}{what}) = {}",
                prefix(ctx, m.ts, m.pid, m.tid),
                m.addr,
                m.len,
                format_ret(m.ret)
            )
        }
        Record::Poll(p) => {
            let fds: Vec<String> = p
                .fds
                .iter()
                .map(|f| {
                    format!(
                        "{{fd={}, events={}}}",
                        ctx.fd_label(p.pid, f.fd),
                        poll_events(f.events)
                    )
                })
                .collect();
            let timeout = match p.timeout_ns {
                None => "NULL".to_string(),
                Some(ns) if p.syscall == "poll" => format!("{}", ns / 1_000_000),
                Some(ns) => format!(
                    "{{tv_sec={}, tv_nsec={}}}",
                    ns / 1_000_000_000,
                    ns % 1_000_000_000
                ),
            };
            let mut line = format!(
                "{}{}([{}], {}, {timeout}) = {}",
                prefix(ctx, p.ts_enter, p.pid, p.tid),
                p.syscall,
                fds.join(", "),
                p.fds.len(),
                format_ret(p.ret)
            );
            if p.ret > 0 {
                let ready: Vec<String> = p
                    .fds
                    .iter()
                    .filter(|f| f.revents != 0)
                    .map(|f| format!("{{fd={}, revents={}}}", f.fd, poll_events(f.revents)))
                    .collect();
                line.push_str(&format!(" ([{}])", ready.join(", ")));
            } else if p.ret == 0 {
                line.push_str(" (Timeout)");
            }
            line
        }
        Record::Fork(f) => {
            let what = if f.is_thread { "thread" } else { "process" };
            format!(
                "{}clone() = {} ({what})",
                prefix(ctx, f.ts, f.parent_pid, f.parent_tid),
                f.child
            )
        }
        Record::Exec(e) => {
            format!(
                "{}execve({:?}, {:?}) = 0",
                prefix(ctx, e.ts, e.pid, e.tid),
                e.path,
                e.argv
            )
        }
        Record::Exit(e) => {
            let status = e.code >> 8 & 0xff;
            let sig = e.code & 0x7f;
            let what = if sig != 0 {
                format!("killed by {}", signal_name(sig))
            } else {
                format!("exited with {status}")
            };
            let who = if e.pid == e.tid { "" } else { "thread " };
            format!("{}+++ {who}{what} +++", prefix(ctx, e.ts, e.pid, e.tid))
        }
        Record::Lost(l) => {
            let cpu = l.cpu.map(|c| format!(" on cpu {c}")).unwrap_or_default();
            format!(
                "{} !!! {} events lost{cpu} !!!",
                ctx.rel_time(l.at),
                l.count
            )
        }
        Record::Device(d) => {
            format!(
                "--- device {} ({:?}): driver={:?} card={:?} bus_info={:?} ---",
                d.path, d.kind, d.driver, d.card, d.bus_info
            )
        }
        Record::Bitstream(b) => {
            format!(
                "    bitstream of ioctl #{} plane {}: {} bytes at offset {} (blob {})",
                b.ioctl_seq, b.plane, b.len, b.offset, b.blob
            )
        }
        Record::Blob(b) => format!("    blob {}: {} bytes", b.id, b.data.len()),
        Record::Probe(p) => format!(
            "{}--- {} ---",
            prefix(ctx, p.ts, p.pid, p.tid),
            crate::probe::describe(p)
        ),
        Record::End(e) => {
            let why = match e.reason {
                EndReason::Exited => format!(
                    "command exited with {}",
                    e.exit_code.map_or("?".into(), |c| c.to_string())
                ),
                EndReason::Signaled => {
                    format!(
                        "command killed by {}",
                        e.signal.map_or("a signal".into(), signal_name)
                    )
                }
                EndReason::Interrupted => {
                    format!(
                        "tracer interrupted{}",
                        e.signal
                            .map(|s| format!(" by {}", signal_name(s)))
                            .unwrap_or_default()
                    )
                }
                EndReason::Detached => "tracer detached".to_string(),
                EndReason::Error => format!(
                    "tracer error: {}",
                    e.message.as_deref().unwrap_or("unknown")
                ),
            };
            let t = e.totals;
            format!(
                "{} +++ trace ends: {why}; {} records, {} ioctls, {} bitstream bytes in {} blobs, {} events lost +++",
                ctx.rel_time(e.ts),
                t.records,
                t.ioctls,
                t.bitstream_bytes,
                t.blobs,
                t.lost
            )
        }
        Record::Unknown { tag } => {
            format!("??? record of unknown kind {tag:?} (written by a newer vatrace)")
        }
    }
}

/// One record as a JSON object for tools: `kind`, timestamps, the fd's meaning, and for ioctls
/// the name, errno name and decoded argument on both sides. Blobs give their length, not data.
pub fn record_json(record: &Record, ctx: &(impl FdNames + ?Sized)) -> Value {
    let body = match record {
        Record::Ioctl(i) => ioctl_json(i),
        Record::Blob(b) => json!({ "id": b.id, "len": b.data.len() }),
        Record::Probe(p) => {
            let args: Map<String, Value> = p
                .func
                .arg_names()
                .iter()
                .zip(&p.args)
                .map(|(n, v)| (n.to_string(), json!(v)))
                .collect();
            json!({ "ts": p.ts, "pid": p.pid, "tid": p.tid, "func": p.func.name(), "args": args })
        }
        other => match serde_json::to_value(other) {
            // Externally tagged: {"Open": {...}} -> the inner object.
            Ok(Value::Object(mut m)) => m.remove(other.tag()).unwrap_or(Value::Null),
            _ => Value::Null,
        },
    };
    let mut map = match body {
        Value::Object(m) => m,
        other => {
            let mut m = Map::new();
            m.insert("value".into(), other);
            m
        }
    };
    map.insert("kind".into(), Value::String(record.tag().to_string()));
    if let Some(ts) = record.ts() {
        map.insert("t".into(), Value::String(ctx.rel_time(ts)));
    }
    if let (Some(fd), Some((pid, _))) = (fd_of(record), record.task()) {
        if let Some(k) = ctx.fd_kind(pid, fd) {
            map.insert("fd_is".into(), Value::String(k.to_string()));
        }
    }
    if let Some(e) = ret_of(record).and_then(crate::record::errno_of) {
        map.insert("errno".into(), json!(e));
        if let Some(n) = errno_name(e) {
            map.insert("errno_name".into(), Value::String(n.into()));
        }
    }
    Value::Object(map)
}

fn fd_of(record: &Record) -> Option<i32> {
    match record {
        Record::Ioctl(i) => Some(i.fd),
        Record::Close(c) => Some(c.fd),
        Record::Dup(d) => Some(d.old),
        Record::Mmap(m) => Some(m.fd),
        _ => None,
    }
}

fn ret_of(record: &Record) -> Option<i64> {
    match record {
        Record::Ioctl(i) => Some(i.ret),
        Record::Open(o) => Some(o.ret),
        Record::Close(c) => Some(c.ret),
        Record::Dup(d) => Some(d.ret),
        Record::Mmap(m) => Some(m.ret as i64),
        Record::Munmap(m) => Some(m.ret),
        Record::Poll(p) => Some(p.ret),
        _ => None,
    }
}

fn ioctl_json(i: &Ioctl) -> Value {
    let d = decode_ioctl(i);
    let side = |s: &Option<Result<Arg, ioctl::DecodeError>>| match s {
        None => Value::Null,
        Some(Ok(a)) => serde_json::to_value(a).unwrap_or(Value::Null),
        Some(Err(e)) => json!({ "error": e.to_string() }),
    };
    let mut m = Map::new();
    m.insert("seq".into(), json!(i.seq));
    m.insert("ts_enter".into(), json!(i.ts_enter));
    m.insert("ts_exit".into(), json!(i.ts_exit));
    m.insert("pid".into(), json!(i.pid));
    m.insert("tid".into(), json!(i.tid));
    m.insert("fd".into(), json!(i.fd));
    m.insert("name".into(), json!(d.name));
    m.insert("request".into(), json!(format!("{:#010x}", i.request)));
    m.insert("arg".into(), json!(format!("{:#x}", i.arg)));
    m.insert("ret".into(), json!(i.ret));
    if i.injected {
        m.insert("injected".into(), json!(true));
    }
    m.insert("before".into(), side(&d.before));
    m.insert("after".into(), side(&d.after));
    Value::Object(m)
}

/// Formats records in order while keeping a [`Context`] up to date.
#[derive(Debug, Clone)]
pub struct Dumper {
    pub ctx: Context,
}

impl Dumper {
    /// A dumper for a trace with this header.
    pub fn new(header: &Header) -> Self {
        Dumper {
            ctx: Context::new(header),
        }
    }

    /// The text line for `record`, then follows it.
    pub fn line(&mut self, record: &Record) -> String {
        let s = format_record(record, &self.ctx);
        self.ctx.update(record);
        s
    }

    /// The JSON line (compact, no newline) for `record`, then follows it.
    pub fn json_line(&mut self, record: &Record) -> String {
        let v = record_json(record, &self.ctx);
        self.ctx.update(record);
        v.to_string()
    }
}

/// A header's description as comment lines (`# kernel 6.12.0 x86_64 …`), for the top of a dump.
pub fn format_header(h: &Header) -> String {
    let mut s = format!(
        "# vatrace trace format {}.{} written by vatrace {}\n# {} {} on {}; command: {:?}; root pid {}\n",
        h.format_version, h.format_minor, h.vatrace_version, h.kernel_release, h.machine, h.hostname, h.command, h.root_pid
    );
    for d in &h.devices {
        s.push_str(&format!(
            "# device {} ({:?}): driver={:?} card={:?} bus_info={:?}",
            d.path, d.kind, d.driver, d.card, d.bus_info
        ));
        if d.capabilities != 0 {
            s.push_str(&format!(
                " device_caps={}",
                ioctl::names::flags(ioctl::names::CAPS, d.device_caps)
            ));
        }
        for q in &d.formats {
            let f: Vec<String> = q
                .formats
                .iter()
                .map(|f| ioctl::names::fourcc(f.fourcc))
                .collect();
            s.push_str(&format!(
                " {}=[{}]",
                ioctl::names::enum_name(ioctl::names::BUF_TYPES, q.buf_type),
                f.join(",")
            ));
        }
        s.push('\n');
    }
    let mut derived = h.derived.as_ref();
    while let Some(d) = derived {
        s.push_str(&format!(
            "# {} of {} ({}): {} of its {} ioctls\n",
            d.tool, d.source, d.how, d.ioctls_after, d.ioctls_before
        ));
        derived = d.parent.as_deref();
    }
    s
}

#[cfg(test)]
mod tests;
