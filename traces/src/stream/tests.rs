//! Tests of the trace file format: round trips, cut and damaged files, hostile input.

use super::*;
use crate::record::*;

fn sample_header() -> Header {
    let mut h = Header::new();
    h.kernel_release = "6.12.0".into();
    h.machine = "x86_64".into();
    h.hostname = "testbed".into();
    h.command = vec!["gst-launch-1.0".into(), "filesrc".into()];
    h.start_unix_ns = 1_700_000_000_000_000_000;
    h.start_monotonic_ns = 12_345;
    h.root_pid = 42;
    h.devices.push(DeviceInfo {
        path: "/dev/video0".into(),
        kind: DeviceKind::Video,
        rdev: Some(0x5100),
        driver: "visl".into(),
        card: "visl".into(),
        bus_info: "platform:visl".into(),
        version: 0x060c00,
        capabilities: 0x8420_4000,
        device_caps: 0x0420_4000,
        formats: vec![QueueFormats {
            buf_type: 10,
            formats: vec![FormatDesc {
                fourcc: u32::from_le_bytes(*b"S264"),
                description: "H.264 Parsed Slice Data".into(),
                flags: 0x100,
            }],
        }],
        media: None,
    });
    h
}

fn sample_records() -> Vec<Record> {
    vec![
        Record::Open(Open {
            ts: 1,
            pid: 42,
            tid: 42,
            dirfd: Some(-100),
            path: "/dev/video0".into(),
            flags: 2,
            mode: 0,
            ret: 5,
        }),
        Record::Ioctl(Ioctl {
            seq: 0,
            ts_enter: 2,
            ts_exit: 3,
            pid: 42,
            tid: 43,
            fd: 5,
            request: 0xc058_560f,
            arg: 0x7fff_0000,
            before: vec![1; 88],
            after: vec![2; 88],
            payloads: vec![Payload {
                kind: PayloadKind::Planes,
                addr: 0x7fff_1000,
                before: vec![3; 64],
                after: vec![],
            }],
            ret: 0,
        }),
        Record::Ioctl(Ioctl {
            seq: 1,
            fd: 5,
            request: 0xc0145608,
            ret: -16,
            ..Default::default()
        }),
        Record::Mmap(Mmap {
            ts: 4,
            pid: 42,
            tid: 42,
            fd: 5,
            addr: 0,
            len: 4096,
            prot: 3,
            flags: 1,
            offset: 0,
            ret: 0x7f00_0000,
        }),
        Record::Poll(Poll {
            ts_enter: 5,
            ts_exit: 6,
            pid: 42,
            tid: 42,
            syscall: "ppoll".into(),
            fds: vec![PollFd {
                fd: 12,
                events: 1,
                revents: 0x40,
            }],
            timeout_ns: None,
            ret: 1,
        }),
        Record::Fork(Fork {
            ts: 7,
            parent_pid: 42,
            parent_tid: 42,
            child: 44,
            is_thread: true,
        }),
        Record::Dup(Dup {
            ts: 8,
            pid: 42,
            tid: 42,
            old: 5,
            new: None,
            ret: 7,
            cloexec: false,
        }),
        Record::Dup(Dup {
            ts: 8,
            pid: 42,
            tid: 42,
            old: 5,
            new: Some(9),
            ret: 9,
            cloexec: true,
        }),
        Record::Close(Close {
            ts: 9,
            pid: 42,
            tid: 42,
            fd: 7,
            ret: 0,
        }),
        Record::Munmap(Munmap {
            ts: 10,
            pid: 42,
            tid: 42,
            addr: 0x7f00_0000,
            len: 4096,
            ret: 0,
        }),
        Record::Exec(Exec {
            ts: 11,
            pid: 42,
            tid: 42,
            path: "/usr/bin/true".into(),
            argv: vec!["true".into()],
        }),
        Record::Lost(Lost {
            count: 3,
            at: 12,
            cpu: Some(1),
        }),
        Record::Device(sample_header().devices[0].clone()),
        Record::Exit(Exit {
            ts: 13,
            pid: 42,
            tid: 42,
            code: 0,
            group_dead: Some(true),
        }),
    ]
}

/// A complete trace: header, sample records, two bitstreams of identical content, End.
fn sample_trace() -> Vec<u8> {
    let mut w = TraceWriter::new(Vec::new(), &sample_header()).unwrap();
    for r in sample_records() {
        w.write(&r).unwrap();
    }
    assert_eq!(w.write_bitstream(0, 0, 0, 5, b"\0\0\x01ab").unwrap(), 0);
    assert_eq!(w.write_bitstream(1, 0, 0, 5, b"\0\0\x01ab").unwrap(), 0);
    assert_eq!(w.write_bitstream(2, 0, 0, 3, b"xyz").unwrap(), 1);
    let mut end = End::new(99, EndReason::Exited);
    end.exit_code = Some(0);
    w.finish(end).unwrap()
}

#[test]
fn round_trip() {
    let bytes = sample_trace();
    assert_eq!(&bytes[..8], b"VATRACE\0");
    let (header, records, error) = read_all(&bytes).unwrap();
    assert!(error.is_none(), "{error:?}");
    assert_eq!(header, sample_header());
    let expected = sample_records();
    assert_eq!(&records[..expected.len()], &expected[..]);
    let rest = &records[expected.len()..];
    // Blob 0, Bitstream, Bitstream (deduplicated), Blob 1, Bitstream, End.
    assert!(matches!(&rest[0], Record::Blob(Blob { id: 0, data }) if data == b"\0\0\x01ab"));
    assert!(matches!(
        &rest[1],
        Record::Bitstream(Bitstream {
            ioctl_seq: 0,
            blob: 0,
            ..
        })
    ));
    assert!(matches!(
        &rest[2],
        Record::Bitstream(Bitstream {
            ioctl_seq: 1,
            blob: 0,
            ..
        })
    ));
    assert!(matches!(&rest[3], Record::Blob(Blob { id: 1, .. })));
    assert!(matches!(
        &rest[4],
        Record::Bitstream(Bitstream {
            ioctl_seq: 2,
            blob: 1,
            ..
        })
    ));
    let Record::End(end) = &rest[5] else {
        panic!("no End: {:?}", rest[5])
    };
    assert_eq!(end.exit_code, Some(0));
    assert_eq!(end.totals.ioctls, 2);
    assert_eq!(end.totals.blobs, 2);
    assert_eq!(end.totals.bitstreams, 3);
    assert_eq!(end.totals.bitstream_bytes, 13);
    assert_eq!(end.totals.lost, 3);
    assert_eq!(end.totals.records, records.len() as u64 - 1);
    assert_eq!(rest.len(), 6);
}

#[test]
fn reader_reports_end_and_stops() {
    let bytes = sample_trace();
    let mut r = TraceReader::new(&bytes[..]).unwrap();
    let n = r.by_ref().count();
    assert!(r.end().is_some());
    assert_eq!(r.records_read(), n as u64);
    assert!(r.next().is_none());
    assert!(!r.has_trailing_data());
    assert_eq!(r.offset(), bytes.len() as u64);
}

#[test]
fn file_round_trip() {
    let dir = std::env::temp_dir().join(format!("vatrace-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("t.vatrace");
    std::fs::write(&path, sample_trace()).unwrap();
    let r = TraceReader::open(&path).unwrap();
    assert_eq!(r.header().root_pid, 42);
    assert!(r
        .map(|r| r.unwrap())
        .last()
        .is_some_and(|r| matches!(r, Record::End(_))));
    std::fs::remove_dir_all(&dir).unwrap();
    let err = TraceReader::open(dir.join("missing")).err().unwrap();
    assert!(err.to_string().contains("missing"), "{err}");
}

/// Offsets at which each record starts, found by reading.
fn record_offsets(bytes: &[u8]) -> Vec<u64> {
    let mut r = TraceReader::new(bytes).unwrap();
    let mut offsets = vec![r.offset()];
    while let Some(rec) = r.next_record() {
        rec.unwrap();
        offsets.push(r.offset());
    }
    offsets
}

#[test]
fn cut_at_every_byte() {
    let bytes = sample_trace();
    let offsets = record_offsets(&bytes);
    let header_end = offsets[0];
    for cut in 0..bytes.len() {
        let part = &bytes[..cut];
        match TraceReader::new(part) {
            Err(TraceError::BadMagic { .. }) => assert!(cut < 8),
            Err(TraceError::Truncated {
                offset: 8,
                records: 0,
                ..
            }) => assert!(cut < header_end as usize),
            Err(e) => panic!("cut at {cut}: unexpected {e}"),
            Ok(reader) => {
                assert!(cut >= header_end as usize);
                let results: Vec<_> = reader.collect();
                let whole = offsets.iter().filter(|&&o| o <= cut as u64).count() - 1;
                assert_eq!(results.len(), whole + 1, "cut at {cut}");
                assert!(results[..whole].iter().all(|r| r.is_ok()));
                match results.last().unwrap() {
                    Err(TraceError::Truncated {
                        offset,
                        records,
                        dangling,
                    }) => {
                        assert_eq!(*records, whole as u64);
                        assert_eq!(*offset, offsets[whole]);
                        assert_eq!(*offset + *dangling, cut as u64);
                    }
                    other => panic!("cut at {cut}: {other:?}"),
                }
            }
        }
    }
}

#[test]
fn truncated_message_says_cut() {
    let bytes = sample_trace();
    let offsets = record_offsets(&bytes);
    let (_, records, error) = read_all(&bytes[..offsets[3] as usize + 2]).unwrap();
    assert_eq!(records.len(), 3);
    let e = error.unwrap();
    assert!(e.is_truncated());
    let msg = e.to_string();
    assert!(
        msg.contains("cut") && msg.contains(&offsets[3].to_string()),
        "{msg}"
    );
}

#[test]
fn corrupt_record_gives_offset() {
    let bytes = sample_trace();
    let offsets = record_offsets(&bytes);
    // Record 5 is a Fork, stored as in version 1: `{"Fork": {...}}`. Turn its variant name's
    // first letter into a character that no variant has.
    let start = offsets[5] as usize;
    assert_eq!(&bytes[start + 2..start + 6], b"Fork");
    let mut bad = bytes.clone();
    bad[start + 2] = b'?';
    let (_, records, error) = read_all(&bad).unwrap();
    assert_eq!(records.len(), 5);
    match error {
        Some(TraceError::Corrupt { offset, ref detail }) => {
            assert_eq!(offset, offsets[5]);
            assert!(detail.contains("invalid record kind"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    // A field of the wrong type.
    let mut bad = bytes.clone();
    let pos = start
        + bytes[start..]
            .windows(9)
            .position(|w| w == b"is_thread")
            .unwrap();
    bad[pos + 9] = 0x60; // is_thread: "" (an empty text string instead of a bool)
    let (_, records, error) = read_all(&bad).unwrap();
    assert_eq!(records.len(), 5);
    assert!(
        matches!(error, Some(TraceError::Corrupt { offset, ref detail }) if offset == offsets[5] && detail.contains("Fork")),
        "{error:?}"
    );
    // Record 2 is a compact Ioctl: `[0, …]`. A kind that is not a number.
    let start = offsets[2] as usize;
    assert_eq!(bytes[start] & 0xe0, 0x80, "an array");
    let mut bad = bytes.clone();
    bad[start + 1] = 0x60;
    let (_, records, error) = read_all(&bad).unwrap();
    assert_eq!(records.len(), 2);
    assert!(
        matches!(error, Some(TraceError::Corrupt { offset, ref detail }) if offset == offsets[2] && detail.contains("`kind`")),
        "{error:?}"
    );
    // A reserved CBOR initial byte (0x1c) where the record should start.
    let mut bad = bytes.clone();
    bad[start] = 0x1c;
    let (_, records, error) = read_all(&bad).unwrap();
    assert_eq!(records.len(), 2);
    let e = error.unwrap();
    assert!(
        matches!(e, TraceError::Corrupt { offset, .. } if offset == offsets[2]),
        "{e:?}"
    );
    assert!(
        e.to_string().contains(&format!("byte {}", offsets[2])),
        "{e}"
    );
}

#[test]
fn unknown_variant_is_reported_not_fatal() {
    // Written by a newer minor version: a version-2 header as the writer makes it.
    let mut bytes = TraceWriter::new(Vec::new(), &sample_header())
        .unwrap()
        .finish(End::new(0, EndReason::Exited))
        .unwrap();
    let offsets = record_offsets(&bytes);
    bytes.truncate(offsets[0] as usize);
    let future = Value::Map(vec![(Value::Text("Future".into()), Value::Map(vec![]))]);
    ciborium::into_writer(&future, &mut bytes).unwrap();
    ciborium::into_writer(&Record::End(End::new(1, EndReason::Detached)), &mut bytes).unwrap();
    let (_, records, error) = read_all(&bytes).unwrap();
    assert!(error.is_none());
    assert_eq!(
        records[0],
        Record::Unknown {
            tag: "Future".into()
        }
    );
    assert!(matches!(records[1], Record::End(_)));
}

#[test]
fn bad_magic_and_newer_version() {
    let e = TraceReader::new(&b"GIF89a.."[..]).err().unwrap();
    assert!(matches!(e, TraceError::BadMagic { .. }));
    assert!(e.to_string().contains("not a vatrace trace"));
    assert!(matches!(
        TraceReader::new(&b""[..]),
        Err(TraceError::BadMagic { .. })
    ));

    let mut h = sample_header();
    h.format_version = FORMAT_VERSION + 1;
    let mut bytes = MAGIC.to_vec();
    ciborium::into_writer(&h, &mut bytes).unwrap();
    let e = TraceReader::new(&bytes[..]).err().unwrap();
    assert!(
        matches!(e, TraceError::UnsupportedVersion { found, .. } if found == FORMAT_VERSION + 1)
    );
    assert!(e.to_string().contains("upgrade vatrace"), "{e}");

    // A newer header that also changed shape is still refused by version, not as corrupt.
    let v = Value::Map(vec![(
        Value::Text("format_version".into()),
        Value::Integer(7.into()),
    )]);
    let mut bytes = MAGIC.to_vec();
    ciborium::into_writer(&v, &mut bytes).unwrap();
    assert!(matches!(
        TraceReader::new(&bytes[..]),
        Err(TraceError::UnsupportedVersion { found: 7, .. })
    ));
}

#[test]
fn data_after_end_is_visible() {
    let mut bytes = sample_trace();
    bytes.extend_from_slice(b"junk");
    let mut r = TraceReader::new(&bytes[..]).unwrap();
    assert!(r.by_ref().all(|r| r.is_ok()));
    assert!(r.end().is_some());
    assert!(r.has_trailing_data());
}

/// Reads everything, checking the reader terminates and never yields after an error.
fn drain(bytes: &[u8]) {
    if let Ok(reader) = TraceReader::new(bytes) {
        let mut seen_err = false;
        for (i, r) in reader.enumerate() {
            assert!(!seen_err, "record after an error");
            assert!(i <= bytes.len(), "more records than bytes");
            seen_err = r.is_err();
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = workload::Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3000 {
        let len = rng.below(300);
        let mut bytes = MAGIC.to_vec();
        bytes.extend((0..len).map(|_| rng.next() as u8));
        drain(&bytes);
        drain(&bytes[8..]);
    }
}

#[test]
fn mutated_traces_never_panic() {
    let good = sample_trace();
    let mut rng = workload::Rng(12345);
    for _ in 0..3000 {
        let mut bytes = good.clone();
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(bytes.len() as u64) as usize;
            match rng.below(3) {
                0 => bytes[i] = rng.next() as u8,
                1 => bytes[i] ^= 1 << rng.below(8),
                _ => {
                    let n = (rng.below(16) as usize).min(bytes.len() - i);
                    bytes.drain(i..i + n);
                    if bytes.is_empty() {
                        break;
                    }
                }
            }
        }
        drain(&bytes);
    }
}

#[test]
fn huge_declared_lengths_do_not_allocate() {
    // A byte string claiming 2^62 bytes, and an array claiming 2^62 items: must fail as cut,
    // not try to allocate.
    let mut bytes = sample_trace();
    let header_end = record_offsets(&bytes)[0] as usize;
    bytes.truncate(header_end);
    let mut a = bytes.clone();
    a.extend_from_slice(&[0x5b, 0x40, 0, 0, 0, 0, 0, 0, 0]);
    let (_, _, e) = read_all(&a).unwrap();
    assert!(matches!(e, Some(TraceError::Truncated { .. })), "{e:?}");
    let mut b = bytes.clone();
    b.extend_from_slice(&[
        0xa1, 0x65, b'I', b'o', b'c', b't', b'l', 0x9b, 0x40, 0, 0, 0, 0, 0, 0, 0,
    ]);
    let (_, _, e) = read_all(&b).unwrap();
    assert!(matches!(e, Some(TraceError::Truncated { .. })), "{e:?}");
}

#[test]
fn deep_nesting_is_corrupt() {
    let bytes = sample_trace();
    let header_end = record_offsets(&bytes)[0] as usize;
    let mut a = bytes[..header_end].to_vec();
    a.extend(std::iter::repeat_n(0x81u8, 10_000));
    let (_, _, e) = read_all(&a).unwrap();
    assert!(matches!(e, Some(TraceError::Corrupt { .. })), "{e:?}");
}

#[test]
fn flushes_without_finish() {
    // A writer that is dropped (tracer killed) after FLUSH_EVERY records has flushed them.
    struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let buf = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let mut w = TraceWriter::new(Shared(buf.clone()), &sample_header()).unwrap();
    let n = TraceWriter::<Shared>::FLUSH_EVERY as usize;
    for i in 0..n {
        w.write(&Record::Close(Close {
            ts: i as u64,
            pid: 1,
            tid: 1,
            fd: 3,
            ret: 0,
        }))
        .unwrap();
    }
    std::mem::forget(w); // as if killed: no Drop flush
    let bytes = buf.borrow().clone();
    let (_, records, e) = read_all(&bytes).unwrap();
    assert_eq!(records.len(), n);
    assert!(matches!(e, Some(TraceError::Truncated { dangling: 0, .. })));
}

#[test]
fn ioctl_record_is_compact() {
    let r = Record::Ioctl(Ioctl {
        seq: 1000,
        ts_enter: 1_000_000_000_000,
        ts_exit: 1_000_000_010_000,
        pid: 1234,
        tid: 1235,
        fd: 5,
        request: 0xc058_560f,
        arg: 0x7ffd_1234_5678,
        before: vec![0; 88],
        after: vec![0; 88],
        payloads: vec![],
        ret: 0,
    });
    let mut out = Vec::new();
    ciborium::into_writer(&r, &mut out).unwrap();
    // 176 bytes of argument; ~45 bytes of values (timestamps, pointer, ids), ~40 of names.
    assert!(out.len() <= 176 + 90, "{} bytes", out.len());
}

/// Writes a sample trace for the fuzzer's seed corpus:
/// `VATRACE_FUZZ_SEED=fuzz/corpus/trace_reader/sample cargo test -p traces -- --ignored write_fuzz_seed`.
#[test]
#[ignore]
fn write_fuzz_seed() {
    if let Some(path) = std::env::var_os("VATRACE_FUZZ_SEED") {
        std::fs::write(path, sample_trace()).unwrap();
    }
}

/// Rough read/write throughput on QBUF-sized ioctl records (run with `--ignored --nocapture`,
/// in release mode for meaningful numbers).
#[test]
#[ignore]
fn throughput() {
    let n = 200_000u64;
    let t = std::time::Instant::now();
    let mut w = TraceWriter::new(Vec::new(), &sample_header()).unwrap();
    for seq in 0..n {
        w.write(&Record::Ioctl(Ioctl {
            seq,
            ts_enter: seq * 1000,
            ts_exit: seq * 1000 + 500,
            pid: 42,
            tid: 43,
            fd: 5,
            request: 0xc058_560f,
            arg: 0x7fff_0000,
            before: vec![seq as u8; 88],
            after: vec![seq as u8; 88],
            payloads: vec![Payload {
                kind: PayloadKind::Planes,
                addr: 0x7fff_1000,
                before: vec![3; 64],
                after: vec![4; 64],
            }],
            ret: 0,
        }))
        .unwrap();
    }
    let bytes = w.finish(End::new(0, EndReason::Exited)).unwrap();
    let write = t.elapsed();
    let t = std::time::Instant::now();
    let (_, records, e) = read_all(&bytes).unwrap();
    let read = t.elapsed();
    assert!(e.is_none());
    assert_eq!(records.len() as u64, n + 1);
    println!(
        "{n} ioctl records, {} bytes ({} per record): write {:.0} ns/record, read {:.0} ns/record",
        bytes.len(),
        bytes.len() as u64 / n,
        write.as_nanos() as f64 / n as f64,
        read.as_nanos() as f64 / n as f64
    );
}

/// A version-1 trace as version 1's writer made it: serde maps for the header and every record.
fn v1_trace(records: &[Record]) -> Vec<u8> {
    let mut h = sample_header();
    h.format_version = 1;
    let mut bytes = MAGIC.to_vec();
    ciborium::into_writer(&h, &mut bytes).unwrap();
    for r in records {
        ciborium::into_writer(r, &mut bytes).unwrap();
    }
    bytes
}

#[test]
fn reads_version_1_traces() {
    let mut records = sample_records();
    records.push(Record::Blob(Blob {
        id: 0,
        data: b"\0\0\x01ab".to_vec(),
    }));
    records.push(Record::Bitstream(Bitstream {
        ioctl_seq: 0,
        plane: 0,
        offset: 0,
        len: 5,
        blob: 0,
    }));
    records.push(Record::End(End::new(99, EndReason::Exited)));
    let (header, read, error) = read_all(&v1_trace(&records)).unwrap();
    assert!(error.is_none(), "{error:?}");
    assert_eq!(header.format_version, 1);
    assert_eq!(read, records);
    // The same records in version 2: identical once read, and smaller.
    let v2 = sample_trace();
    let (header2, read2, _) = read_all(&v2).unwrap();
    assert_eq!(header2.format_version, FORMAT_VERSION);
    assert_eq!(
        read2[..sample_records().len()],
        read[..sample_records().len()]
    );
    assert!(v2.len() < v1_trace(&records).len());
}

/// Real version-1 recordings (made by vatrace record before format version 2; the GStreamer one
/// keeps the first three frames of `traces/samples/gst-v4l2slh264dec.trace` minus the
/// format/control enumeration, and is cut there) read in full, and rewrite to version 2 exactly.
#[test]
fn recorded_version_1_traces_read_and_rewrite_exactly() {
    let samples: [(&str, &[u8]); 2] = [
        (
            "v1-probe-ebusy.trace",
            include_bytes!("testdata/v1-probe-ebusy.trace"),
        ),
        (
            "v1-gst-h264-cut.trace",
            include_bytes!("testdata/v1-gst-h264-cut.trace"),
        ),
    ];
    for (name, v1) in samples {
        let (header, records, error) = read_all(v1).unwrap();
        assert_eq!(header.format_version, 1, "{name}");
        let complete = matches!(records.last(), Some(Record::End(_)));
        match &error {
            None => assert!(complete, "{name}"),
            Some(TraceError::Truncated { dangling: 0, .. }) => assert!(!complete, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
        let ioctls = records
            .iter()
            .filter(|r| matches!(r, Record::Ioctl(_)))
            .count();
        assert!(ioctls > 20, "{name}: {ioctls} ioctls");
        let mut w = TraceWriter::new(Vec::new(), &header).unwrap();
        for r in records.iter().filter(|r| !matches!(r, Record::End(_))) {
            w.write(r).unwrap();
        }
        let v2 = w.finish(End::new(0, EndReason::Exited)).unwrap();
        let (header2, records2, error2) = read_all(&v2).unwrap();
        assert!(error2.is_none(), "{name}: {error2:?}");
        assert_eq!(
            Header {
                format_version: 1,
                format_minor: 0,
                ..header2
            },
            header,
            "{name}"
        );
        assert_eq!(header2.format_minor, FORMAT_MINOR, "{name}");
        let n = records.len() - usize::from(complete);
        assert_eq!(records2[..n], records[..n], "{name}");
        assert!(
            v2.len() * 2 < v1.len(),
            "{name}: {} bytes in version 2, {} in version 1",
            v2.len(),
            v1.len()
        );
        eprintln!(
            "{name}: {} bytes in version 1, {} in version 2",
            v1.len(),
            v2.len()
        );
    }
    let (_, gst, _) = read_all(include_bytes!("testdata/v1-gst-h264-cut.trace")).unwrap();
    assert_eq!(
        gst.iter()
            .filter(|r| matches!(r, Record::Bitstream(_)))
            .count(),
        3
    );
    assert!(
        gst.iter()
            .any(|r| matches!(r, Record::Ioctl(i) if i.payloads.len() > 3)),
        "control payloads"
    );
}

#[path = "../../benches/workload/mod.rs"]
mod workload;

/// Writes `items` as a trace with `header`, ending it with `end`.
fn write_items(header: &Header, items: Vec<workload::Item>, end: End) -> Vec<u8> {
    let mut w = TraceWriter::new(Vec::new(), header).unwrap();
    workload::write_items(&mut w, &items);
    w.finish(end).unwrap()
}

/// Where two byte strings first differ, for a readable failure.
fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    let n = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    (n < a.len().max(b.len())).then_some(n)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The writer's output is pinned byte for byte: every committed sample trace (format 2, written
/// by `vatrace record`), read back to records and written again, gives the very same file
/// (magic, header, records and `End` with its totals); and two synthetic streams (the probe's
/// DQBUF loop, and a mixed stream through every branch of the encoder) give the bytes recorded
/// when this test was written. A change to the writer that moves a single byte fails here.
#[test]
fn writer_output_is_pinned() {
    let samples = workload::sample_files();
    assert!(samples.len() >= 5, "{} sample traces", samples.len());
    for (name, original) in samples {
        let (header, records, error) = read_all(&original).unwrap();
        assert!(error.is_none(), "{name}: {error:?}");
        assert_eq!(header.format_version, FORMAT_VERSION, "{name}");
        let Some((Record::End(end), body)) = records.split_last() else {
            panic!("{name}: no End record");
        };
        let items = body.iter().cloned().map(workload::Item::Record).collect();
        let rewritten = write_items(&header, items, end.clone());
        // The samples were written by format 2.0; the writer writes its own minor version (2.1:
        // `Dup.cloexec`, `Exit.group_dead`, absent from these samples). That header byte, and
        // nothing else, differs.
        let mut expected = original.clone();
        if header.format_minor != FORMAT_MINOR {
            let at = first_difference(&rewritten, &original).expect("the minor version differs");
            expected[at] = rewritten[at];
            let (h2, _, _) = read_all(&rewritten).unwrap();
            assert_eq!(h2.format_minor, FORMAT_MINOR, "{name}");
            assert_eq!(
                Header {
                    format_minor: header.format_minor,
                    ..h2
                },
                header,
                "{name}: only the minor version changed"
            );
        }
        assert_eq!(
            first_difference(&rewritten, &expected),
            None,
            "{name}: {} bytes rewritten, {} originally",
            rewritten.len(),
            original.len()
        );
    }
    let header = workload::header();
    let end = || End::new(9_000_000_000, EndReason::Exited);
    let probe = write_items(
        &header,
        workload::ioctl_loop(10_000)
            .into_iter()
            .map(workload::Item::Record)
            .collect(),
        end(),
    );
    let mixed = write_items(&header, workload::mixed(20_000), end());
    for (name, bytes) in [("probe loop", &probe), ("mixed", &mixed)] {
        let (_, records, error) = read_all(bytes).unwrap();
        assert!(error.is_none(), "{name}: {error:?}");
        assert!(records.len() > 10_000, "{name}");
    }
    let pinned = [
        (
            "probe loop",
            &probe,
            // Format 2.2: one header byte (the minor version) changed.
            160_359,
            "a6b128b26c6b3fca2adb92941b0e7cb6bb5249c93c48b0a655b249fa1a00c507",
        ),
        (
            "mixed",
            &mixed,
            // Format 2.1: the workload's close-on-exec dups (a quarter of them) in the map form,
            // its exits with `group_dead`; 2.2: the minor version in the header.
            5_303_475,
            "c086130d473b4345bc9e74452b245cf279a2820a8e49184b67336422c59bb7b2",
        ),
    ];
    for (name, bytes, len, digest) in pinned {
        assert_eq!(
            (bytes.len(), sha256_hex(bytes).as_str()),
            (len, digest),
            "{name}"
        );
    }
}
