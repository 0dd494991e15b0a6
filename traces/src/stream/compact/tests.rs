//! Tests of the compact records: exact round trips through a writer and a reader, that repeated
//! and slightly changed values shrink to a few bytes, and that bad references are clear errors.

use ciborium::Value;

use super::*;
use crate::record::{Close, Dup, End, EndReason, Mmap, Munmap, Open, Poll, PollFd};
use crate::stream::{read_all, TraceError, TraceWriter};

const S_EXT_CTRLS: u32 = 0xc020_5648;
const QBUF: u32 = 0xc058_560f;
const DQBUF: u32 = 0xc058_5611;

/// Pseudo-random bytes (xorshift), so payloads do not compress by accident.
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A frame's S_EXT_CTRLS: the SPS-like payload repeats, the decode-params-like one changes.
fn ext_ctrls(seq: u64, frame: u64, sps: &[u8]) -> Ioctl {
    let mut params = noise(7, 200);
    params[8..16].copy_from_slice(&frame.to_le_bytes());
    let mut array = noise(3, 40);
    array[0] = 1;
    Ioctl {
        seq,
        ts_enter: 1_000_000 + frame * 33_000_000,
        ts_exit: 1_000_000 + frame * 33_000_000 + 41_234,
        pid: 100,
        tid: 101,
        fd: 7,
        request: S_EXT_CTRLS,
        arg: 0x7ffd_0000_1000,
        before: noise(1, 32),
        after: noise(1, 32),
        payloads: vec![
            Payload {
                kind: PayloadKind::ExtControls,
                addr: 0x5555_0000_0000 + frame * 64,
                before: array.clone(),
                after: array,
            },
            Payload {
                kind: PayloadKind::Control { index: 0 },
                addr: 0x5555_1000_0000,
                before: sps.to_vec(),
                after: vec![],
            },
            Payload {
                kind: PayloadKind::Control { index: 1 },
                addr: 0x5555_2000_0000,
                before: params,
                after: vec![],
            },
        ],
        ret: 0,
        injected: false,
    }
}

/// A QBUF whose struct changes in a few bytes per frame, with the kernel's changes after.
fn qbuf(seq: u64, frame: u64, request: u32) -> Ioctl {
    let mut before = vec![0u8; 88];
    before[0] = (frame % 4) as u8;
    before[4] = 10;
    before[8..12].copy_from_slice(&(1000 + frame as u32).to_le_bytes());
    let mut after = before.clone();
    after[12] |= 0x3;
    Ioctl {
        seq,
        ts_enter: 2_000_000 + frame * 33_000_000,
        ts_exit: 2_000_000 + frame * 33_000_000 + 9_000,
        pid: 100,
        tid: 102,
        fd: 7,
        request,
        arg: 0x7ffd_0000_2000,
        before,
        after,
        payloads: vec![],
        ret: if frame == 5 { -11 } else { 0 },
        injected: false,
    }
}

fn other_records() -> Vec<Record> {
    vec![
        Record::Open(Open {
            ts: 5,
            pid: 100,
            tid: 100,
            dirfd: Some(-100),
            path: "/dev/video0".into(),
            flags: 2,
            mode: 0,
            ret: 7,
        }),
        Record::Open(Open {
            ts: 6,
            pid: 100,
            tid: 100,
            dirfd: None,
            path: "/dev/media0".into(),
            flags: 2,
            mode: 0o644,
            ret: -2,
        }),
        Record::Dup(Dup {
            ts: 7,
            pid: 100,
            tid: 100,
            old: 7,
            new: Some(9),
            ret: 9,
            cloexec: false,
        }),
        Record::Dup(Dup {
            ts: 8,
            pid: 100,
            tid: 100,
            old: 7,
            new: None,
            ret: -9,
            cloexec: false,
        }),
        Record::Mmap(Mmap {
            ts: 9,
            pid: 100,
            tid: 100,
            fd: 7,
            addr: 0,
            len: 4096,
            prot: 3,
            flags: 1,
            offset: 0x4000_0000,
            ret: u64::MAX - 8,
        }),
        Record::Munmap(Munmap {
            ts: 10,
            pid: 100,
            tid: 100,
            addr: 0x7f00_0000_0000,
            len: 4096,
            ret: 0,
        }),
        Record::Poll(Poll {
            ts_enter: 11,
            ts_exit: 5_000_011,
            pid: 100,
            tid: 103,
            syscall: "ppoll".into(),
            fds: vec![
                PollFd {
                    fd: 12,
                    events: 4,
                    revents: 4,
                },
                PollFd {
                    fd: -1,
                    events: 0,
                    revents: 0,
                },
            ],
            timeout_ns: Some(200_000_000),
            ret: 1,
        }),
        Record::Poll(Poll {
            ts_enter: 12,
            ts_exit: 0,
            pid: 1,
            tid: u32::MAX,
            syscall: "epoll_pwait".into(),
            fds: vec![],
            timeout_ns: None,
            ret: -4,
        }),
        Record::Close(Close {
            ts: 3,
            pid: 100,
            tid: 100,
            fd: 9,
            ret: 0,
        }),
        Record::Blob(Blob {
            id: 0,
            data: b"\0\0\x01\x65".to_vec(),
        }),
        Record::Bitstream(Bitstream {
            ioctl_seq: 0,
            plane: 0,
            offset: 0,
            len: 4,
            blob: 0,
        }),
        Record::Blob(Blob {
            id: 7,
            data: vec![],
        }),
        Record::Bitstream(Bitstream {
            ioctl_seq: u64::MAX,
            plane: 3,
            offset: 16,
            len: 1 << 40,
            blob: 0,
        }),
    ]
}

fn write(records: &[Record]) -> Vec<u8> {
    let mut w = TraceWriter::new(Vec::new(), &Header::new()).unwrap();
    for r in records {
        w.write(r).unwrap();
    }
    w.finish(End::new(1, EndReason::Exited)).unwrap()
}

fn read_back(bytes: &[u8]) -> Vec<Record> {
    let (_, mut records, err) = read_all(bytes).unwrap();
    assert!(err.is_none(), "{err:?}");
    assert!(matches!(records.pop(), Some(Record::End(_))));
    records
}

#[test]
fn every_compact_kind_round_trips() {
    let sps = noise(9, 1000);
    let mut records = other_records();
    for f in 0..10 {
        records.push(Record::Ioctl(ext_ctrls(3 * f, f, &sps)));
        records.push(Record::Ioctl(qbuf(3 * f + 1, f, QBUF)));
        records.push(Record::Ioctl(qbuf(3 * f + 2, f, DQBUF)));
    }
    // Lost exits, odd numbers, an unknown request number, a request with no argument.
    records.push(Record::Ioctl(Ioctl {
        seq: 5,
        ts_enter: 3,
        ts_exit: 0,
        pid: 0,
        tid: 0,
        fd: -1,
        request: 0x1234,
        ..Default::default()
    }));
    records.push(Record::Ioctl(Ioctl {
        seq: u64::MAX,
        ts_enter: u64::MAX,
        request: u32::MAX,
        arg: u64::MAX,
        ret: i64::MIN,
        payloads: vec![Payload {
            kind: PayloadKind::Other(u32::MAX),
            addr: 1,
            before: vec![],
            after: vec![0; 3],
        }],
        ..Default::default()
    }));
    let bytes = write(&records);
    assert_eq!(read_back(&bytes), records);
}

#[test]
fn repeated_and_slightly_changed_values_are_small() {
    let sps = noise(9, 1000);
    let trace = |frames: u64| {
        let records: Vec<Record> = (0..frames)
            .flat_map(|f| {
                [
                    Record::Ioctl(ext_ctrls(2 * f, f, &sps)),
                    Record::Ioctl(qbuf(2 * f + 1, f, QBUF)),
                ]
            })
            .collect();
        let bytes = write(&records);
        assert_eq!(read_back(&bytes), records);
        bytes.len()
    };
    let one = trace(1);
    let per_frame = (trace(31) - one) / 30;
    // Version 1 stored ~1,600 bytes a frame here (1,000 of them the repeated payload).
    assert!(per_frame < 100, "{per_frame} bytes a frame after the first");
    assert!(
        one > 1000 + 200,
        "the first frame stores the payloads in full ({one} bytes)"
    );
}

#[test]
fn unchanged_after_costs_almost_nothing() {
    let mut i = qbuf(0, 0, QBUF);
    i.before = noise(5, 88);
    i.after = i.before.clone();
    let same = write(&[Record::Ioctl(i.clone())]).len();
    i.after.clear();
    let without = write(&[Record::Ioctl(i)]).len();
    assert!(
        same <= without + 3,
        "an after equal to before: {same} vs {without} bytes without it"
    );
}

#[test]
fn injected_calls_round_trip_in_the_map_form_between_compact_ones() {
    let sps = noise(9, 1000);
    let mut records = Vec::new();
    for f in 0..6 {
        records.push(Record::Ioctl(ext_ctrls(3 * f, f, &sps)));
        let mut q = qbuf(3 * f + 1, f, QBUF);
        if f == 3 {
            q.ret = -16;
            q.injected = true;
        }
        records.push(Record::Ioctl(q));
        records.push(Record::Ioctl(qbuf(3 * f + 2, f, DQBUF)));
    }
    let bytes = write(&records);
    let back = read_back(&bytes);
    assert_eq!(back, records);
    assert_eq!(
        back.iter()
            .filter(|r| matches!(r, Record::Ioctl(i) if i.injected))
            .count(),
        1
    );
    // The injected call is the version-1 map, `{"Ioctl": {…, "inj": true}}`: readers before
    // format 2.2 read it too and ignore the field.
    let Record::Ioctl(injected) = &records[10] else {
        unreachable!()
    };
    let mut one = Vec::new();
    assert!(!Codec::new(&Header::new()).encode(&records[10], &mut one));
    let mut map = Vec::new();
    ciborium::into_writer(&records[10], &mut map).unwrap();
    let Value::Map(outer) = ciborium::from_reader::<Value, _>(&map[..]).unwrap() else {
        panic!("not a map")
    };
    assert_eq!(outer[0].0, Value::Text("Ioctl".into()));
    let Value::Map(fields) = &outer[0].1 else {
        panic!("not a map")
    };
    assert!(fields.contains(&(Value::Text("inj".into()), Value::Bool(true))));
    assert!(fields.contains(&(Value::Text("n".into()), Value::Integer(injected.seq.into()))));
    // Calls not injected do not carry the field.
    let mut plain = Vec::new();
    ciborium::into_writer(&records[1], &mut plain).unwrap();
    assert!(!plain.windows(3).any(|w| w == b"inj"));
}

/// Bytes of a trace with the given compact items after the header.
fn raw_trace(items: &[Value]) -> Vec<u8> {
    let mut bytes = write(&[]);
    let (_, records, _) = read_all(&bytes).unwrap();
    assert_eq!(records.len(), 1);
    // Drop the End record (a one-entry map at the end), then append the items.
    let end_len = {
        let mut b = Vec::new();
        ciborium::into_writer(&records[0], &mut b).unwrap();
        b.len()
    };
    bytes.truncate(bytes.len() - end_len);
    for item in items {
        ciborium::into_writer(item, &mut bytes).unwrap();
    }
    bytes
}

/// Packed scalars from these varints (signed ones already zigzagged by the caller).
fn scalars(varints: &[u64]) -> Value {
    let mut p = Packer::default();
    for &v in varints {
        p.u(v);
    }
    Value::Bytes(p.0)
}

/// An ioctl item at the expected time/task/seq/fd/arg, `request` as written (`2n`: table entry
/// `n`; `2r + 1`: request number `r`).
fn ioctl_item(request: u64, before: Vec<u8>) -> Value {
    Value::Array(vec![
        Value::Integer(0.into()),
        scalars(&[0, 0, 0, request]),
        Value::Bytes(before),
        Value::Bytes(vec![]),
    ])
}

fn corrupt_detail(items: &[Value]) -> String {
    let (_, records, err) = read_all(&raw_trace(items)).unwrap();
    match err {
        Some(TraceError::Corrupt { detail, .. }) => {
            eprintln!("{records:?} then {detail}");
            detail
        }
        other => panic!("expected a Corrupt error, got {other:?} after {records:?}"),
    }
}

#[test]
fn references_never_defined_are_errors() {
    let full = (u64::from(QBUF) << 1) | 1;
    // The first QBUF refers to the most recent earlier QBUF's `before`: there is none.
    let d = corrupt_detail(&[ioctl_item(full, vec![MODE_HISTORY, 4])]);
    assert!(
        d.contains("ioctl 0 (VIDIOC_QBUF)") && d.contains("never defined"),
        "{d}"
    );
    // Request table entry 3 was never defined.
    let d = corrupt_detail(&[ioctl_item(3 << 1, vec![])]);
    assert!(d.contains("request table entry 3"), "{d}");
    // The second QBUF may refer to the first one's, but not to the one before it.
    let ok = ioctl_item(full, vec![0, 1, 2, 3, 4]);
    let d = corrupt_detail(&[ok.clone(), ioctl_item(0, vec![MODE_HISTORY + 1, 4])]);
    assert!(
        d.contains("ioctl 1 (VIDIOC_QBUF)") && d.contains("1 calls back"),
        "{d}"
    );
    let (_, records, err) = read_all(&raw_trace(&[
        ok,
        ioctl_item(0, vec![MODE_HISTORY, 6, 4, 2, 9, 9]),
    ]))
    .unwrap();
    assert!(matches!(err, Some(TraceError::Truncated { .. })), "{err:?}");
    let Record::Ioctl(second) = &records[1] else {
        panic!("{records:?}")
    };
    assert_eq!(second.before, [1, 2, 3, 4, 9, 9]);
    // `after` against `before` is allowed, `before` against `before` is not.
    let d = corrupt_detail(&[ioctl_item(full, vec![MODE_BEFORE, 4])]);
    assert!(d.contains("`before`"), "{d}");
}

#[test]
fn malformed_items_are_errors_naming_the_field() {
    let i = |v: i64| Value::Integer(v.into());
    let cases = [
        (Value::Array(vec![i(0)]), "ends before its field `scalars`"),
        (
            Value::Array(vec![i(5), scalars(&[0, 0]), Value::Text("x".into()), i(0)]),
            "field `fd` is not an integer",
        ),
        // Task flag, pid 0 - 200 (zigzag 399).
        (
            Value::Array(vec![i(0), scalars(&[1, 0, 0, 1, 399, 0])]),
            "dpid",
        ),
        (
            Value::Array(vec![i(0), scalars(&[32, 0, 0, 1])]),
            "unknown bits",
        ),
        (
            Value::Array(vec![i(0), scalars(&[0, 0, 0, 1, 7])]),
            "unexpected bytes",
        ),
        (
            Value::Array(vec![i(0), Value::Bytes(vec![0, 0x80])]),
            "scalar `dts`",
        ),
        (
            Value::Array(vec![i(1), i(0), i(0), i(0), i(0), i(0), i(9)]),
            "unexpected fields",
        ),
        (
            Value::Array(vec![
                i(3),
                scalars(&[0, 0, 0]),
                i(0),
                Value::Array(vec![i(1)]),
            ]),
            "multiple of 3",
        ),
    ];
    for (item, expected) in cases {
        let d = corrupt_detail(&[item]);
        assert!(d.contains(expected), "{d:?} should say {expected:?}");
    }
    // A kind number from a newer minor version is reported, not fatal.
    let (_, records, err) = read_all(&raw_trace(&[Value::Array(vec![i(99), i(1)])])).unwrap();
    assert!(
        matches!(&records[..], [Record::Unknown { tag }] if tag == "Compact99"),
        "{records:?}"
    );
    assert!(matches!(err, Some(TraceError::Truncated { .. })));
}

#[test]
fn memory_stays_bounded_on_a_flood_of_distinct_values() {
    // 2,000 request numbers × 4 payloads of 8 KiB, all distinct: far more than the limits.
    let mut w = Codec::new(&Header::new());
    let mut r = Codec::new(&Header::new());
    for n in 0..2000u32 {
        let i = Ioctl {
            seq: u64::from(n),
            request: 0xc000_0000 | n,
            payloads: (0..4)
                .map(|k| Payload {
                    kind: PayloadKind::Control { index: k },
                    addr: 0,
                    before: noise(u64::from(n * 4 + k), 8192),
                    after: vec![],
                })
                .collect(),
            ..Default::default()
        };
        let mut bytes = Vec::new();
        assert!(w.encode(&Record::Ioctl(i.clone()), &mut bytes));
        assert_eq!(r.decode(&bytes).unwrap(), Record::Ioctl(i));
    }
    assert!(
        r.remembered_bytes() <= crate::stream::HISTORY_MAX_BYTES,
        "{} bytes",
        r.remembered_bytes()
    );
    assert_eq!(r.remembered_bytes(), w.remembered_bytes());
}

#[test]
fn a_record_cannot_resolve_to_more_than_its_budget() {
    // Ten payloads each claiming 16 MiB of zeros: a few bytes of input, 160 MiB if believed.
    let i = |v: i64| Value::Integer(v.into());
    let mut huge = vec![MODE_ZEROS];
    delta::put_varint(&mut huge, delta::MAX_LEN);
    let payload = |k: i64| {
        Value::Array(vec![
            i(-1 - k),
            i(0),
            Value::Bytes(huge.clone()),
            Value::Bytes(vec![]),
        ])
    };
    let mut item = match ioctl_item((u64::from(S_EXT_CTRLS) << 1) | 1, vec![]) {
        Value::Array(v) => v,
        _ => unreachable!(),
    };
    item.push(Value::Array((0..10).map(payload).collect()));
    let d = corrupt_detail(&[Value::Array(item)]);
    assert!(
        d.contains("payload 4 `before`") && d.contains("left of"),
        "{d}"
    );
}

/// Every compact kind, frames whose values patch earlier ones, and blobs larger than the
/// reader's 256 KiB buffer.
fn mixed_records() -> Vec<Record> {
    let sps = noise(9, 1000);
    let mut records = other_records();
    for f in 0..12 {
        records.push(Record::Ioctl(ext_ctrls(3 * f, f, &sps)));
        records.push(Record::Ioctl(qbuf(3 * f + 1, f, QBUF)));
        records.push(Record::Ioctl(qbuf(3 * f + 2, f, DQBUF)));
        let size = [10, 300 << 10, 1 << 20][f as usize % 3] + f as usize;
        records.push(Record::Blob(Blob {
            id: f,
            data: noise(f, size),
        }));
    }
    records
}

/// Hands out at most one byte per read: every record then crosses the reader's buffer.
struct OneByte<'a>(&'a [u8]);

impl std::io::Read for OneByte<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.0.len()).min(1);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn records_across_and_larger_than_the_read_buffer_read_exactly() {
    let records = mixed_records();
    let bytes = write(&records);
    assert_eq!(read_back(&bytes), records);
    let mut reader = crate::stream::TraceReader::new(OneByte(&bytes)).unwrap();
    let one_byte: Vec<Record> = reader.by_ref().map(Result::unwrap).collect();
    assert_eq!(one_byte[..one_byte.len() - 1], records[..]);
    assert!(reader.end().is_some());
    assert_eq!(reader.offset(), bytes.len() as u64);
    // Cut inside a blob larger than the buffer: the records before it, then "cut" with the
    // blob's bytes counted as dangling.
    let offsets = {
        let mut r = crate::stream::TraceReader::new(&bytes[..]).unwrap();
        let mut o = vec![r.offset()];
        while r.next_record().is_some() {
            o.push(r.offset());
        }
        o
    };
    let big = records
        .iter()
        .position(|r| matches!(r, Record::Blob(b) if b.data.len() > 1 << 20))
        .unwrap();
    let cut = offsets[big] as usize + (700 << 10);
    let (_, read, err) = read_all(&bytes[..cut]).unwrap();
    assert_eq!(read[..], records[..big]);
    match err {
        Some(TraceError::Truncated {
            offset,
            records: n,
            dangling,
        }) => {
            assert_eq!((offset, n), (offsets[big], big as u64));
            assert_eq!(offset + dangling, cut as u64);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_growing_file_cut_inside_a_compact_record_resumes_exactly() {
    // A live trace read while written: wherever the writer has got to, the record it is in the
    // middle of is left for later and the state it would change is not touched, so the rest
    // reads exactly once the file grows.
    let records: Vec<Record> = mixed_records()
        .into_iter()
        .filter(|r| !matches!(r, Record::Blob(b) if b.data.len() > 1000))
        .collect();
    let bytes = write(&records);
    let path = std::env::temp_dir().join(format!("vatrace-growing-{}.trace", std::process::id()));
    let header_end = {
        let r = crate::stream::TraceReader::new(&bytes[..]).unwrap();
        r.offset() as usize
    };
    for cut in (header_end..bytes.len()).step_by(7) {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let mut r = crate::stream::TraceReader::open(&path).unwrap();
        let mut read = Vec::new();
        while let Some(rec) = r.try_next_growing().unwrap() {
            read.push(rec);
        }
        assert!(r.end().is_none());
        std::fs::write(&path, &bytes).unwrap();
        while let Some(rec) = r.try_next_growing().unwrap() {
            read.push(rec);
        }
        assert!(r.end().is_some(), "cut at {cut}");
        assert!(matches!(read.pop(), Some(Record::End(_))));
        assert_eq!(read, records, "cut at {cut}");
    }
    std::fs::remove_file(&path).unwrap();
}

/// A trace of `items` (raw CBOR) after the header.
fn raw_bytes_trace(items: &[&[u8]]) -> Vec<u8> {
    let mut bytes = raw_trace(&[]);
    for item in items {
        bytes.extend_from_slice(item);
    }
    bytes
}

#[test]
fn indefinite_lengths_read_where_values_allow_them() {
    // vatrace never writes indefinite lengths, but CBOR allows them: a compact record may be an
    // indefinite-length array, and a newer kind may hold anything.
    // [_ 5, h'0000', 3, 0]: a Close of fd 3 at the header's time, returning 0.
    let close = [0x9f, 0x05, 0x42, 0, 0, 0x03, 0x00, 0xff];
    // [_ 99, (_ h'01' h'02'), {_ 1: 2}]: a kind from a newer minor version.
    let newer = [
        0x9f, 0x18, 99, 0x5f, 0x41, 1, 0x41, 2, 0xff, 0xbf, 1, 2, 0xff, 0xff,
    ];
    let (_, records, err) = read_all(&raw_bytes_trace(&[&close, &newer])).unwrap();
    assert_eq!(
        records,
        [
            Record::Close(Close {
                ts: 0,
                pid: 0,
                tid: 0,
                fd: 3,
                ret: 0,
            }),
            Record::Unknown {
                tag: "Compact99".into()
            }
        ]
    );
    assert!(matches!(err, Some(TraceError::Truncated { .. })), "{err:?}");
    // A known field as an indefinite-length string (the Value-based reader joined the chunks;
    // this one names the field): [5, (_ h'00' h'00'), 3, 0].
    let split = [0x84, 0x05, 0x5f, 0x41, 0, 0x41, 0, 0xff, 0x03, 0x00];
    let (_, records, err) = read_all(&raw_bytes_trace(&[&split])).unwrap();
    assert!(records.is_empty(), "{records:?}");
    match err {
        Some(TraceError::Corrupt { detail, .. }) => assert!(
            detail.contains("field `scalars` is not a byte string")
                && detail.contains("indefinite-length"),
            "{detail}"
        ),
        other => panic!("{other:?}"),
    }
    // A break where a field should be, and a reserved head: invalid CBOR, at that byte.
    for (item, what) in [
        (&[0x84, 0x05, 0xff][..], "break outside"),
        (&[0x84, 0x05, 0x1c][..], "reserved"),
    ] {
        let bytes = raw_bytes_trace(&[item]);
        let (_, _, err) = read_all(&bytes).unwrap();
        match err {
            Some(TraceError::Corrupt { offset, detail }) => {
                let at = offset + 2;
                assert!(
                    detail.contains(what) && detail.contains(&format!("byte {at}")),
                    "{detail}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
