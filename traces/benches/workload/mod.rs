//! Record streams for measuring and pinning the trace writer: the committed sample traces read
//! back to records, the records of `v4l2-ioctl-probe loop` (the tracer's overhead benchmark), and
//! a deterministic mixed stream that goes through every branch of the version-2 encoder.
//!
//! Shared by the writer benchmark (`benches/writer.rs`) and the byte-identity test in
//! `src/stream/tests.rs` (which includes this file by path), so both use the same streams. It is
//! a directory's `mod.rs` so that cargo does not take it for a bench of its own.

#![allow(dead_code)]

// `crate::record` and `crate::TraceWriter`: this crate's in the test, the bench's `use traces::…`
// there.
use crate::record::*;
use crate::TraceWriter;

/// VIDIOC_DQBUF, what `v4l2-ioctl-probe loop` calls.
pub const DQBUF: u32 = 0xc058_5611;
const QBUF: u32 = 0xc058_560f;
const S_EXT_CTRLS: u32 = 0xc020_5648;
const G_TOPOLOGY: u32 = 0xc048_7c04;
const ENOTTY: i64 = 25;

/// The sample traces under `traces/samples/`, by file name, as their bytes.
pub fn sample_files() -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("traces/samples")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "trace"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("sample trace"))
        })
        .collect()
}

/// A fixed header (not [`Header::new`]'s, whose version string follows the crate's).
pub fn header() -> Header {
    let mut h = Header::new();
    h.vatrace_version = "0.0.0-workload".into();
    h.kernel_release = "6.12.0".into();
    h.machine = "x86_64".into();
    h.hostname = "bench".into();
    h.command = vec!["v4l2-ioctl-probe".into(), "loop".into()];
    h.start_unix_ns = 1_700_000_000_000_000_000;
    h.start_monotonic_ns = 5_000_000_000;
    h.root_pid = 4242;
    h
}

/// The probe's DQBUF argument: a `v4l2_buffer` with type CAPTURE and memory MMAP.
fn dqbuf_arg() -> Vec<u8> {
    let mut b = vec![0u8; 88];
    b[4] = 1;
    b[60] = 1;
    b
}

/// What the tracer makes of `v4l2-ioctl-probe loop n`: `n` VIDIOC_DQBUFs on one fd failing with
/// ENOTTY, the argument unchanged, a few hundred nanoseconds apart.
pub fn ioctl_loop(n: u64) -> Vec<Record> {
    let arg = dqbuf_arg();
    (0..n)
        .map(|seq| {
            let t = 5_000_100_000 + seq * 310 + (seq * 7919 % 13);
            Record::Ioctl(Ioctl {
                seq,
                ts_enter: t,
                ts_exit: t + 120 + seq % 5,
                pid: 4242,
                tid: 4242,
                fd: 3,
                request: DQBUF,
                arg: 0x5555_5555_a2c0,
                before: arg.clone(),
                after: arg.clone(),
                payloads: Vec::new(),
                ret: -ENOTTY,
                injected: false,
            })
        })
        .collect()
}

/// xorshift64*: deterministic pseudo-random numbers (also the stream tests' fuzzing source).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    /// Random bytes, fewer than `max` of them.
    fn bytes_below(&mut self, max: u64) -> Vec<u8> {
        let n = self.below(max) as usize;
        self.bytes(n)
    }
}

/// One item of the mixed stream: a record, or bitstream bytes for `TraceWriter::write_bitstream`.
#[allow(clippy::large_enum_variant)] // test data, built once
pub enum Item {
    Record(Record),
    Bitstream {
        seq: u64,
        plane: u32,
        offset: u64,
        len: u64,
        data: Vec<u8>,
    },
}

/// Writes `items` with `w`.
pub fn write_items<W: std::io::Write>(w: &mut TraceWriter<W>, items: &[Item]) {
    for item in items {
        match item {
            Item::Record(r) => w.write(r).unwrap(),
            Item::Bitstream {
                seq,
                plane,
                offset,
                len,
                data,
            } => {
                w.write_bitstream(*seq, *plane, *offset, *len, data)
                    .unwrap();
            }
        }
    }
}

/// A deterministic stream of `n` (or a few more) items touching every compact kind and branch:
/// task switches, sequence jumps, fd/argument/return changes, time going backwards, fields equal
/// to, slightly different from or unlike remembered ones, byte strings and texts across CBOR's
/// length-header sizes, more request numbers than the table holds, every payload kind, the rare
/// record kinds, and repeated bitstream content.
pub fn mixed(n: usize) -> Vec<Item> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::with_capacity(n + 16);
    let mut seq = 0u64;
    let mut ts = 5_000_000_000u64;
    let sps = rng.bytes(1000);
    let big = rng.bytes(70_000);
    let mut qbuf = dqbuf_arg();
    let kinds = [
        PayloadKind::ExtControls,
        PayloadKind::Planes,
        PayloadKind::TopologyEntities,
        PayloadKind::TopologyInterfaces,
        PayloadKind::TopologyPads,
        PayloadKind::TopologyLinks,
        PayloadKind::LinksEnumPads,
        PayloadKind::LinksEnumLinks,
        PayloadKind::Control { index: 0 },
        PayloadKind::Control { index: 1000 },
        PayloadKind::Other(0),
        PayloadKind::Other(0xb17),
    ];
    let lens = [0usize, 1, 4, 23, 24, 25, 255, 256, 300, 65_535, 65_536];
    let pids = [(4242u32, 4242u32), (4242, 4250), (77, 78), (u32::MAX, 0)];
    let mut task = pids[0];
    for i in 0..n {
        ts = match rng.below(20) {
            0 => 0,                                 // an ioctl whose entry was lost
            1 => ts.wrapping_sub(rng.below(1_000)), // threads interleaving
            2 => ts.wrapping_add(rng.below(1 << 40)),
            _ => ts.wrapping_add(rng.below(100_000)),
        };
        if rng.below(10) == 0 {
            task = pids[rng.below(pids.len() as u64) as usize];
        }
        let (pid, tid) = task;
        let record = match rng.below(24) {
            0..=7 => {
                // The probe's loop, sometimes with another result or fd.
                let mut arg = dqbuf_arg();
                if rng.below(4) == 0 {
                    arg[0] = rng.next() as u8;
                }
                Record::Ioctl(Ioctl {
                    seq,
                    ts_enter: ts,
                    ts_exit: ts.wrapping_add(rng.below(2_000)),
                    pid,
                    tid,
                    fd: if rng.below(8) == 0 { 7 } else { 3 },
                    request: DQBUF,
                    arg: 0x5555_5555_a2c0,
                    before: arg.clone(),
                    after: if rng.below(3) == 0 { arg } else { dqbuf_arg() },
                    payloads: Vec::new(),
                    ret: [-ENOTTY, 0, 1, -22][rng.below(4) as usize],
                    injected: false,
                })
            }
            8..=11 => {
                // QBUF with planes: a few bytes change per frame.
                qbuf[0] = (i % 4) as u8;
                qbuf[8..16].copy_from_slice(&(ts / 1000).to_le_bytes());
                let mut planes = vec![0u8; 128];
                planes[0..4].copy_from_slice(&(rng.below(300_000) as u32).to_le_bytes());
                planes[64..68].copy_from_slice(&(i as u32).to_le_bytes());
                let mut planes_after = planes.clone();
                planes_after[40] = 9;
                Record::Ioctl(Ioctl {
                    seq,
                    ts_enter: ts,
                    ts_exit: ts.wrapping_add(5_000),
                    pid,
                    tid,
                    fd: 4,
                    request: QBUF,
                    arg: 0x7ffd_0000_1000 + rng.below(4) * 0x100,
                    before: qbuf.clone(),
                    after: qbuf.clone(),
                    payloads: vec![Payload {
                        kind: PayloadKind::Planes,
                        addr: 0x7ffd_0000_2000 + rng.below(2) * 0x80,
                        before: planes,
                        after: planes_after,
                    }],
                    ret: 0,
                    injected: false,
                })
            }
            12..=13 => {
                // S_EXT_CTRLS: a repeating SPS, a changing one, sizes across header lengths.
                let mut params = sps[..200].to_vec();
                params[8..16].copy_from_slice(&(i as u64).to_le_bytes());
                let len = lens[rng.below(lens.len() as u64) as usize];
                let odd = if len > 1_000 {
                    big[..len].to_vec()
                } else {
                    rng.bytes(len)
                };
                Record::Ioctl(Ioctl {
                    seq,
                    ts_enter: ts,
                    ts_exit: ts.wrapping_add(40_000),
                    pid,
                    tid,
                    fd: 5,
                    request: S_EXT_CTRLS,
                    arg: 0x7ffd_0000_3000,
                    before: rng.bytes(32),
                    after: rng.bytes(32),
                    payloads: vec![
                        Payload {
                            kind: PayloadKind::ExtControls,
                            addr: 0x7ffd_0000_4000,
                            before: rng.bytes(60),
                            after: Vec::new(),
                        },
                        Payload {
                            kind: PayloadKind::Control { index: 0 },
                            addr: 0x5555_0000_0000,
                            before: sps.clone(),
                            after: Vec::new(),
                        },
                        Payload {
                            kind: PayloadKind::Control { index: 1 },
                            addr: 0x5555_0000_1000,
                            before: params,
                            after: vec![0; 16],
                        },
                        Payload {
                            kind: PayloadKind::Control { index: 2 },
                            addr: rng.next(),
                            before: odd,
                            after: Vec::new(),
                        },
                    ],
                    ret: if rng.below(5) == 0 { -22 } else { 0 },
                    injected: false,
                })
            }
            14 => {
                // Any payload kind, on one of many request numbers (more than the table holds).
                let kind = kinds[rng.below(kinds.len() as u64) as usize].clone();
                Record::Ioctl(Ioctl {
                    seq: if rng.below(3) == 0 { rng.next() } else { seq },
                    ts_enter: ts,
                    ts_exit: if rng.below(4) == 0 {
                        0
                    } else {
                        ts.wrapping_add(1)
                    },
                    pid,
                    tid,
                    fd: -1 - rng.below(3) as i32,
                    request: if rng.below(2) == 0 {
                        G_TOPOLOGY
                    } else {
                        0x4000_0000 | rng.below(3_000) as u32
                    },
                    arg: rng.next(),
                    before: rng.bytes_below(40),
                    after: vec![0; rng.below(40) as usize],
                    payloads: vec![Payload {
                        kind,
                        addr: rng.next(),
                        before: rng.bytes_below(30),
                        after: rng.bytes_below(30),
                    }],
                    ret: rng.next() as i64,
                    injected: false,
                })
            }
            15 => Record::Poll(Poll {
                ts_enter: ts,
                ts_exit: ts.wrapping_add(rng.below(50_000_000)),
                pid,
                tid,
                syscall: ["poll", "ppoll", "epoll_wait_with_a_long_name"][rng.below(3) as usize]
                    .into(),
                fds: (0..rng.below(4))
                    .map(|k| PollFd {
                        fd: k as i32 + 3,
                        events: 0x41,
                        revents: (rng.next() as u16) & 0x1f,
                    })
                    .collect(),
                timeout_ns: [None, Some(0), Some(-1), Some(33_000_000)][rng.below(4) as usize],
                ret: rng.below(3) as i64 - 1,
            }),
            16 => Record::Open(Open {
                ts,
                pid,
                tid,
                dirfd: [None, Some(-100), Some(7)][rng.below(3) as usize],
                path: [
                    "/dev/video0",
                    "/dev/v4l/by-path/platform-visl-video-index0",
                    "",
                ][rng.below(3) as usize]
                    .into(),
                flags: 0x80002,
                mode: rng.below(2) as u32 * 0o644,
                ret: [3, 4, -2][rng.below(3) as usize],
            }),
            17 => Record::Close(Close {
                ts,
                pid,
                tid,
                fd: rng.below(10) as i32,
                ret: [0, -9][rng.below(2) as usize],
            }),
            18 => Record::Dup(Dup {
                ts,
                pid,
                tid,
                old: 3,
                new: [None, Some(10), Some(-1)][rng.below(3) as usize],
                ret: [10, -24][rng.below(2) as usize],
                // dup3(O_CLOEXEC) now and then (the map form), without drawing from `rng`.
                cloexec: ts % 4 == 1,
            }),
            19 => Record::Mmap(Mmap {
                ts,
                pid,
                tid,
                fd: 4,
                addr: [0, 0x7f00_0000_0000, u64::MAX][rng.below(3) as usize],
                len: 0x1_0000 + rng.below(1 << 33),
                prot: 3,
                flags: 1,
                offset: rng.below(1 << 36),
                ret: [0x7f12_3456_0000, (-12i64) as u64, u64::MAX][rng.below(3) as usize],
            }),
            20 => Record::Munmap(Munmap {
                ts,
                pid,
                tid,
                addr: 0x7f12_3456_0000,
                len: 0x1_0000,
                ret: [0, -22][rng.below(2) as usize],
            }),
            21 => {
                // Bitstream bytes, repeating now and then (a blob written once).
                let data = if rng.below(2) == 0 {
                    sps[..100].to_vec()
                } else {
                    rng.bytes_below(3_000)
                };
                out.push(Item::Bitstream {
                    seq: seq.wrapping_sub(1),
                    plane: rng.below(2) as u32,
                    offset: rng.below(100),
                    len: data.len() as u64 + rng.below(2),
                    data,
                });
                continue;
            }
            22 => match rng.below(5) {
                0 => Record::Fork(Fork {
                    ts,
                    parent_pid: pid,
                    parent_tid: tid,
                    child: pid.wrapping_add(1),
                    is_thread: rng.below(2) == 0,
                }),
                1 => Record::Exec(Exec {
                    ts,
                    pid,
                    tid,
                    path: "/usr/bin/gst-launch-1.0".into(),
                    argv: vec!["gst-launch-1.0".into(), "filesrc".into()],
                }),
                2 => Record::Exit(Exit {
                    ts,
                    pid,
                    tid,
                    code: 256,
                    group_dead: [None, Some(true), Some(false)][(ts % 3) as usize],
                }),
                3 => Record::Lost(Lost {
                    count: rng.below(1000),
                    at: ts,
                    cpu: None,
                }),
                _ => Record::Lost(Lost {
                    count: 1,
                    at: ts,
                    cpu: Some(1),
                }),
            },
            _ => Record::Blob(Blob {
                id: 1_000_000 + i as u64,
                data: rng.bytes_below(40),
            }),
        };
        if matches!(record, Record::Ioctl(_)) {
            seq += 1;
        }
        out.push(Item::Record(record));
    }
    out
}
