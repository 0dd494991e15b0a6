//! The replay engine in the test-bed, on traces recorded there with `vatrace record`: a GStreamer
//! `v4l2slh264dec` decode (B-frames) and the synthetic clients. Ten replays of each give the same
//! verdict every time (no divergence and identical CAPTURE checksums for the clean decodes, the
//! EBUSY at the same call for the probe pattern, the same leaked requests for the leak); a device
//! swapped for another driver is refused; an out-of-range trace is refused before any device is
//! opened; a truncated trace replays up to its end and says so; `--inject` fails exactly the
//! chosen call. The committed samples (`traces/samples/`) replay with their documented verdicts.
//!
//! The recorder is another crate's binary: the `vatrace` built next to this crate's binaries
//! (`cargo xtask test` builds the whole workspace first), or `$VATRACE_BIN`.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{load, rewrite};
use replay::report::Report;
use testbed::clips::{Clip, Codec};
use testbed::{run_sh, RunOptions};
use traces::ioctl::layout::v4l2_buffer as B;
use traces::record::Record;
use traces::TraceReader;

const REPLAYS: usize = 10;

fn opts() -> RunOptions {
    RunOptions {
        timeout: Duration::from_secs(1500),
        ..Default::default()
    }
}

/// The `vatrace` binary: `$VATRACE_BIN`, else the one next to this crate's binaries (the same
/// target folder; `cargo xtask test` builds the whole workspace before testing).
fn vatrace() -> String {
    if let Ok(p) = std::env::var("VATRACE_BIN") {
        assert!(Path::new(&p).exists(), "VATRACE_BIN={p} does not exist");
        return p;
    }
    let sibling = Path::new(env!("CARGO_BIN_EXE_vatrace-replay")).with_file_name("vatrace");
    assert!(
        sibling.exists(),
        "{} is not built: run `cargo build -p tracer` first (or set VATRACE_BIN)",
        sibling.display()
    );
    sibling.display().to_string()
}

/// The guest script recording, with `vatrace record`, each of `which` into `d/NAME.trace`:
/// `gst` (GStreamer H.264 decode), `probe` (EBUSY), `leak` (starves), `clean` (the fixed leak
/// client). Prints `record NAME CODE` per recording.
fn record_script(d: &Path, which: &[&str]) -> String {
    let vt = vatrace();
    let here = Path::new(env!("CARGO_BIN_EXE_vatrace-replay"));
    let client = |name| {
        testbed::paths::client_bin(here, name)
            .unwrap()
            .display()
            .to_string()
    };
    let (probe, leak) = (client("probe-ebusy"), client("request-leak"));
    which
        .iter()
        .map(|&t| {
            let cmd = match t {
                "gst" => {
                    let clip = Clip::small(Codec::H264).generate().unwrap();
                    format!(
                        "gst-launch-1.0 -q filesrc location={} ! h264parse ! v4l2slh264dec ! \
                         video/x-raw,format=NV12 ! fakesink",
                        clip.display()
                    )
                }
                "probe" => probe.clone(),
                "leak" => leak.clone(),
                "clean" => format!("{leak} --fixed"),
                other => panic!("no recording named {other}"),
            };
            format!(
                "{vt} record -o {d}/{t}.trace -- {cmd} > {d}/{t}.out 2>&1; echo \"record {t} $?\"\n",
                d = d.display()
            )
        })
        .collect()
}

/// The sequence number of the trace's first ioctl that failed with EBUSY, a REQBUFS.
/// The frames of the `request-leak` findings `traces::check` made over the replayed calls.
fn leaked_frames(r: &Report) -> Vec<Option<u64>> {
    r.findings
        .iter()
        .filter(|f| f.rule == "request-leak")
        .map(|f| f.frame)
        .collect()
}

fn first_ebusy(trace: &Path) -> u64 {
    let io = TraceReader::open(trace)
        .unwrap()
        .find_map(|r| match r.unwrap() {
            Record::Ioctl(io) if io.ret == -i64::from(libc::EBUSY) => Some(io),
            _ => None,
        })
        .expect("an EBUSY in the trace");
    assert_eq!(io.request, traces::ioctl::reqbufs::VIDIOC_REQBUFS);
    io.seq
}

/// (ioctl records, bitstream bytes) of a trace.
fn totals(trace: &Path) -> (u64, u64) {
    let (mut ioctls, mut bitstream) = (0, 0);
    for r in TraceReader::open(trace).unwrap() {
        match r.unwrap() {
            Record::Ioctl(_) => ioctls += 1,
            Record::Bitstream(b) => bitstream += b.len,
            _ => {}
        }
    }
    (ioctls, bitstream)
}

#[test]
fn ten_replays_of_each_recording_give_the_same_verdict() {
    let d = testbed::paths::work_dir("ten");
    let rp = env!("CARGO_BIN_EXE_vatrace-replay");
    let script = format!(
        "{rec}
         for t in gst probe leak clean; do
           for i in $(seq {REPLAYS}); do
             {rp} --quiet --report {d}/$t-$i.json {d}/$t.trace > {d}/$t-$i.txt 2>&1; echo \"replay $t $i $?\"
           done
         done
         {rp} --compare {d}/clean-1.json {d}/clean-{REPLAYS}.json; echo \"compare clean $?\"
         {rp} --compare {d}/gst-1.json {d}/gst-{REPLAYS}.json; echo \"compare gst $?\"
        ",
        rec = record_script(&d, &["gst", "probe", "leak", "clean"]),
        d = d.display()
    );
    let out = run_sh(&script, &opts()).unwrap().check().unwrap();
    let text = out.stdout_str();
    let read = |n: &str| std::fs::read_to_string(d.join(n)).unwrap_or_default();
    for (t, code) in [("gst", 0), ("probe", 2), ("leak", 3), ("clean", 0)] {
        assert!(
            text.contains(&format!("record {t} {code}")),
            "{text}\n{}",
            read(&format!("{t}.out"))
        );
        for i in 1..=REPLAYS {
            assert!(
                text.contains(&format!("replay {t} {i} 0")),
                "replay {t} {i} did not exit 0:\n{text}\n{}",
                read(&format!("{t}-{i}.txt"))
            );
        }
    }
    assert!(
        text.contains("compare clean 0") && text.contains("compare gst 0"),
        "{text}"
    );

    // The clean decodes: no divergence, 30 checksummed frames, identical every time, the whole
    // recorded bitstream written.
    for (t, bitstream) in [("clean", 30 * 60), ("gst", totals(&d.join("gst.trace")).1)] {
        assert!(bitstream > 0, "{t}: no bitstream in the recording");
        let runs: Vec<Report> = (1..=REPLAYS)
            .map(|i| load(&d.join(format!("{t}-{i}.json"))))
            .collect();
        for r in &runs {
            assert_eq!(r.divergences, 0, "{}", r.text());
            assert!(r.complete);
            assert_eq!(r.frames.len(), 30, "{}", r.text());
            assert!(r.frames.iter().all(|f| f.sha256.len() == 64 && f.bytes > 0));
            assert_eq!(
                r.frames, runs[0].frames,
                "{t}: CAPTURE checksums differ between replays"
            );
            assert!(leaked_frames(r).is_empty(), "{}", r.text());
            assert_eq!(r.bitstream_bytes, bitstream, "{t}");
        }
    }

    // The probe pattern: REQBUFS(0) answered EBUSY at the same call every time.
    let ebusy = first_ebusy(&d.join("probe.trace"));
    for i in 1..=REPLAYS {
        let r = load(&d.join(format!("probe-{i}.json")));
        assert_eq!(r.divergences, 0, "{}", r.text());
        let f = &r.recorded_failures[0];
        assert_eq!(
            (f.seq, f.call.as_str(), f.replayed.as_str(), f.reproduced),
            (ebusy, "VIDIOC_REQBUFS", "-EBUSY", true),
            "{}",
            r.text()
        );
        assert_eq!(r.recorded_failures.len(), 3);
        assert_eq!(r.recorded_exit_code, Some(2));
    }

    // The leak: the same four requests never reinitialised, 12 frames, every time.
    let leak: Vec<Report> = (1..=REPLAYS)
        .map(|i| load(&d.join(format!("leak-{i}.json"))))
        .collect();
    for r in &leak {
        assert_eq!(r.divergences, 0, "{}", r.text());
        assert_eq!(leaked_frames(r).len(), 4, "{}", r.text());
        assert_eq!(leaked_frames(r), leaked_frames(&leak[0]));
        assert_eq!(r.frames.len(), 12);
        assert_eq!(r.frames, leak[0].frames);
        assert!(r
            .recorded_failures
            .iter()
            .all(|f| f.reproduced && f.recorded == "-EINVAL"));
        assert_eq!(r.recorded_failures.len(), 4, "{}", r.text());
        assert_eq!(r.recorded_exit_code, Some(3));
    }
}

#[test]
fn refusals_truncation_and_injection() {
    let d = testbed::paths::work_dir("edge");
    let rec = run_sh(&record_script(&d, &["clean"]), &opts())
        .unwrap()
        .check()
        .unwrap();
    assert!(
        rec.stdout_str().contains("record clean 0"),
        "{}",
        rec.stdout_str()
    );
    let clean = d.join("clean.trace");

    // An OUTPUT QBUF naming buffer 99 of 4.
    let mut done = false;
    rewrite(
        &clean,
        &d.join("bad-index.trace"),
        |_| {},
        |mut rec| {
            if let Record::Ioctl(io) = &mut rec {
                if !done && io.request == traces::ioctl::qbuf::VIDIOC_QBUF {
                    io.before[B::INDEX] = 99;
                    io.after[B::INDEX] = 99;
                    done = true;
                }
            }
            vec![rec]
        },
    );
    // The first CAPTURE DQBUF recorded with sequence 999.
    let mut done = false;
    rewrite(
        &clean,
        &d.join("bad-seq.trace"),
        |_| {},
        |mut rec| {
            if let Record::Ioctl(io) = &mut rec {
                let capture = io.after.get(B::TYPE)
                    == Some(&(traces::ioctl::names::BUF_TYPE_VIDEO_CAPTURE_MPLANE as u8));
                if !done
                    && io.request == traces::ioctl::qbuf::VIDIOC_DQBUF
                    && io.ret == 0
                    && capture
                {
                    io.after[B::SEQUENCE..B::SEQUENCE + 4].copy_from_slice(&999u32.to_le_bytes());
                    done = true;
                }
            }
            vec![rec]
        },
    );
    // The trace cut at 60 % of its bytes.
    let bytes = std::fs::read(&clean).unwrap();
    std::fs::write(d.join("cut.trace"), &bytes[..bytes.len() * 6 / 10]).unwrap();
    // The third REINIT's sequence number.
    let reinit3 = TraceReader::open(&clean)
        .unwrap()
        .filter_map(|r| match r.unwrap() {
            Record::Ioctl(io) if io.request == traces::ioctl::request::MEDIA_REQUEST_IOC_REINIT => {
                Some(io.seq)
            }
            _ => None,
        })
        .nth(2)
        .unwrap();

    let rp = env!("CARGO_BIN_EXE_vatrace-replay");
    let script = format!(
        r#"V=$(for n in /sys/class/video4linux/*; do [ "$(cat $n/name)" = vim2m ] && echo /dev/$(basename $n); done | head -1)
           {rp} --quiet --device-map /dev/video4=$V {d}/clean.trace 2> {d}/swap.err; echo "swap $?"
           strace -f -e trace=openat,ioctl -o {d}/bad.strace {rp} --quiet {d}/bad-index.trace 2> {d}/bad.err; echo "bad $?"
           {rp} --quiet --report {d}/cut.json {d}/cut.trace > {d}/cut.txt; echo "cut $?"
           {rp} --quiet --report {d}/inject.json --inject 'MEDIA_REQUEST_IOC_REINIT#3=EBUSY' {d}/clean.trace > {d}/inject.txt; echo "inject $?"
           {rp} --quiet --json {d}/bad-seq.trace > {d}/bad-seq.json; echo "seq $?"
           {rp} --quiet --allow-divergence --inject '@{reinit3}=EIO' {d}/clean.trace > /dev/null; echo "allowed $?"
        "#,
        d = d.display()
    );
    let out = run_sh(&script, &opts()).unwrap().check().unwrap();
    let text = out.stdout_str();
    let read = |n: &str| std::fs::read_to_string(d.join(n)).unwrap_or_default();

    assert!(text.contains("swap 2"), "{text}");
    let swap = read("swap.err");
    assert!(
        swap.contains("refusing") && swap.contains("\"visl\"") && swap.contains("\"vim2m\""),
        "{swap}"
    );

    assert!(text.contains("bad 2"), "{text}");
    let bad = read("bad.err");
    assert!(
        bad.contains("buffer index 99 out of range") && bad.contains("nothing was issued"),
        "{bad}"
    );
    let strace = read("bad.strace");
    assert!(
        !strace.contains("/dev/video") && !strace.contains("/dev/media"),
        "a device was opened:\n{strace}"
    );

    assert!(text.contains("cut 0"), "{text}");
    let cut = load(&d.join("cut.json"));
    assert!(!cut.complete && cut.cut.is_some(), "{}", cut.text());
    assert_eq!(cut.divergences, 0, "{}", cut.text());
    let (ioctls, _) = totals(&clean);
    assert!(
        cut.ioctls_replayed > 0 && cut.ioctls_replayed < ioctls,
        "{} of {ioctls}",
        cut.ioctls_replayed
    );
    assert!(read("cut.txt").contains("TRUNCATED TRACE"));

    assert!(text.contains("inject 1"), "{text}");
    let inj = load(&d.join("inject.json"));
    assert_eq!(inj.injections.len(), 1);
    assert_eq!(inj.injections[0].seq, reinit3);
    assert_eq!(inj.injections[0].injected, "-EBUSY");
    assert_eq!(inj.injections[0].recorded, "0");
    let first = inj.first_divergence.as_ref().unwrap();
    assert_eq!(
        (first.seq, first.call.as_str()),
        (reinit3, "MEDIA_REQUEST_IOC_REINIT")
    );
    assert!(!inj.injections[0].next.is_empty());
    assert!(text.contains("allowed 0"), "{text}");

    // A kernel-written field that differs: the first divergence names it, both sides decoded.
    assert!(text.contains("seq 1"), "{text}");
    let seq = load(&d.join("bad-seq.json"));
    let first = seq.first_divergence.as_ref().unwrap();
    assert_eq!(first.call, "VIDIOC_DQBUF");
    assert_eq!(first.fields.len(), 1, "{:?}", first.fields);
    assert_eq!(
        (
            first.fields[0].field.as_str(),
            first.fields[0].recorded.as_str()
        ),
        ("sequence", "999")
    );
    assert!(
        first.recorded.contains("sequence=999") && first.replayed.contains("CAPTURE"),
        "{first:?}"
    );
    assert_eq!(seq.divergences, 1);
}

/// The committed samples (traces/samples/, `cargo xtask samples`) still replay with their
/// documented verdicts; `--until` and `--pace original` on the clean one.
#[test]
fn committed_samples_replay_with_their_documented_verdicts() {
    let s = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/samples");
    let d = testbed::paths::work_dir("samples");
    let rp = env!("CARGO_BIN_EXE_vatrace-replay");
    let script = format!(
        "for t in probe-ebusy request-leak request-leak-fixed gst-v4l2slh264dec ffmpeg-vaapi; do
           {rp} --quiet --report {d}/$t.json {s}/$t.trace > {d}/$t.txt 2>&1; echo \"replay $t $?\"
         done
         {rp} --quiet --until 50 --report {d}/until.json {s}/request-leak-fixed.trace > /dev/null; echo \"until $?\"
         {rp} --quiet --pace original --report {d}/orig.json {s}/request-leak-fixed.trace > /dev/null; echo \"orig $?\"",
        d = d.display(),
        s = s.display()
    );
    let out = run_sh(&script, &opts()).unwrap().check().unwrap();
    let text = out.stdout_str();
    for t in [
        "probe-ebusy",
        "request-leak",
        "request-leak-fixed",
        "gst-v4l2slh264dec",
        "until",
        "orig",
    ] {
        assert!(
            text.contains(&format!("{t} 0")),
            "{t}:\n{text}\n{}",
            std::fs::read_to_string(d.join(format!("{t}.txt"))).unwrap_or_default()
        );
    }
    let probe = load(&d.join("probe-ebusy.json"));
    assert_eq!(
        (
            probe.recorded_failures[0].seq,
            probe.recorded_failures[0].replayed.as_str()
        ),
        (first_ebusy(&s.join("probe-ebusy.trace")), "-EBUSY")
    );
    let leak = load(&d.join("request-leak.json"));
    // Check's findings over the replayed calls: one leak per leaked request, at the frames
    // `vatrace check` names on the recording, and the starvation from frame 16.
    let mut frames = leaked_frames(&leak);
    frames.sort();
    assert_eq!(
        frames,
        [Some(3), Some(7), Some(11), Some(15)],
        "{}",
        leak.text()
    );
    assert!(
        leak.findings
            .iter()
            .any(|f| f.rule == "request-starved" && f.frame == Some(16)),
        "{}",
        leak.text()
    );
    assert!(
        leak.text().contains("error[request-leak]"),
        "{}",
        leak.text()
    );
    assert_eq!(leak.pool.requests_allocated, 4, "{}", leak.text());
    let fixed = load(&d.join("request-leak-fixed.json"));
    assert_eq!((fixed.divergences, fixed.frames.len()), (0, 30));
    assert_eq!(fixed.check.errors, 0, "{}", fixed.text());
    // The pool model sees the replay's DQBUFs (it once saw none: the replay's request and
    // dma-buf fd numbers were fed to it in place of the recorded ones).
    for t in [
        "probe-ebusy",
        "request-leak",
        "request-leak-fixed",
        "gst-v4l2slh264dec",
        "ffmpeg-vaapi",
    ] {
        let r = load(&d.join(format!("{t}.json")));
        assert_eq!(
            r.pool.capture_dqbufs,
            r.frames.len() as u64,
            "{t}: {}",
            r.text()
        );
        assert!(!r.is_incomplete(), "{t}: {}", r.text());
        assert!(
            r.text()
                .contains(&format!("{} CAPTURE dequeues", r.frames.len())),
            "{t}: {}",
            r.text()
        );
    }
    let gst = load(&d.join("gst-v4l2slh264dec.json"));
    assert_eq!(
        (gst.divergences, gst.frames.len()),
        (0, 30),
        "{}",
        gst.text()
    );
    let ff = load(&d.join("ffmpeg-vaapi.json"));
    assert_eq!((ff.divergences, ff.frames.len()), (0, 30), "{}", ff.text());
    assert!(ff.bitstream_bytes > 0, "{}", ff.text());
    let until = load(&d.join("until.json"));
    assert_eq!((until.stopped_after, until.ioctls_replayed), (Some(50), 51));
    let orig = load(&d.join("orig.json"));
    assert!(
        orig.replay_ns >= orig.recorded_ns,
        "original pace replayed in {} ns, recorded {} ns",
        orig.replay_ns,
        orig.recorded_ns
    );
}

/// `--inject` by frame and by buffer index on the clean committed sample: each lands on exactly
/// the call the trace says belongs to that frame (found here by walking the trace: the client
/// handles one frame at a time) or is that buffer's K-th call; the report shows what the
/// recording did next; a frame the trace does not have is refused before any ioctl.
#[test]
fn injection_by_frame_and_by_buffer_index_hits_the_chosen_call() {
    use traces::ioctl::{ext_ctrls, names, qbuf, request};
    let trace =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/samples/request-leak-fixed.trace");
    let ioctls: Vec<traces::record::Ioctl> = TraceReader::open(&trace)
        .unwrap()
        .filter_map(|r| match r.unwrap() {
            Record::Ioctl(io) => Some(io),
            _ => None,
        })
        .collect();
    let ty = |b: &[u8]| u32::from_le_bytes(b[B::TYPE..B::TYPE + 4].try_into().unwrap());
    let index = |b: &[u8]| u32::from_le_bytes(b[B::INDEX..B::INDEX + 4].try_into().unwrap());
    // Frame 5: the 5th successful OUTPUT QBUF.
    let q5 = ioctls
        .iter()
        .filter(|io| {
            io.request == qbuf::VIDIOC_QBUF && io.ret == 0 && names::is_output(ty(&io.before))
        })
        .nth(4)
        .unwrap();
    let after_q5 = ioctls.iter().skip_while(|io| io.seq <= q5.seq);
    let dq5 = after_q5
        .clone()
        .find(|io| {
            io.request == qbuf::VIDIOC_DQBUF && io.ret == 0 && names::is_output(ty(&io.after))
        })
        .unwrap();
    assert_eq!(index(&dq5.after), index(&q5.before));
    let reinit5 = after_q5
        .clone()
        .find(|io| io.request == request::MEDIA_REQUEST_IOC_REINIT)
        .unwrap();
    let ctrls5 = ioctls
        .iter()
        .rev()
        .find(|io| io.seq < q5.seq && io.request == ext_ctrls::VIDIOC_S_EXT_CTRLS)
        .unwrap();
    // The 3rd QBUF naming buffer index 2 (either queue).
    let qbuf_2_3 = ioctls
        .iter()
        .filter(|io| io.request == qbuf::VIDIOC_QBUF && index(&io.before) == 2)
        .nth(2)
        .unwrap();

    let cases = [
        ("VIDIOC_DQBUF@frame5=EIO", dq5.seq, "VIDIOC_DQBUF", "-EIO"),
        (
            "VIDIOC_S_EXT_CTRLS@frame5=EINVAL",
            ctrls5.seq,
            "VIDIOC_S_EXT_CTRLS",
            "-EINVAL",
        ),
        (
            "MEDIA_REQUEST_IOC_REINIT@frame5=EBUSY",
            reinit5.seq,
            "MEDIA_REQUEST_IOC_REINIT",
            "-EBUSY",
        ),
        (
            "VIDIOC_QBUF@frame5=ENOMEM",
            q5.seq,
            "VIDIOC_QBUF",
            "-ENOMEM",
        ),
        (
            "VIDIOC_QBUF@buf2#3=EINVAL",
            qbuf_2_3.seq,
            "VIDIOC_QBUF",
            "-EINVAL",
        ),
    ];
    let d = testbed::paths::work_dir("inject-frame");
    let rp = env!("CARGO_BIN_EXE_vatrace-replay");
    let mut script = String::new();
    for (i, (spec, ..)) in cases.iter().enumerate() {
        script += &format!(
            "{rp} --quiet --wait-timeout-ms 300 --report {d}/{i}.json --inject '{spec}' {t} > {d}/{i}.txt 2>&1; echo \"case {i} $?\"\n",
            d = d.display(),
            t = trace.display()
        );
    }
    script += &format!(
        "strace -f -e trace=openat -o {d}/far.strace {rp} --quiet --inject 'VIDIOC_QBUF@frame99=EIO' {t} 2> {d}/far.err; echo \"far $?\"\n",
        d = d.display(),
        t = trace.display()
    );
    let out = run_sh(&script, &opts()).unwrap().check().unwrap();
    let text = out.stdout_str();
    let read = |n: &str| std::fs::read_to_string(d.join(n)).unwrap_or_default();
    for (i, (spec, seq, call, errno)) in cases.iter().enumerate() {
        assert!(
            text.contains(&format!("case {i} 1")),
            "{spec}:\n{text}\n{}",
            read(&format!("{i}.txt"))
        );
        let r = load(&d.join(format!("{i}.json")));
        assert_eq!(r.injections.len(), 1, "{spec}: {}", r.text());
        let inj = &r.injections[0];
        // The call is named with its count, e.g. `VIDIOC_DQBUF#10`.
        let name = inj.call.split('#').next().unwrap();
        assert_eq!(
            (inj.seq, name, inj.injected.as_str(), inj.recorded.as_str()),
            (*seq, *call, *errno, "0"),
            "{spec}: {}",
            r.text()
        );
        let first = r.first_divergence.as_ref().unwrap();
        assert_eq!((first.seq, first.call.as_str()), (*seq, *call), "{spec}");
        // What the recording did next, with the replay's side.
        assert!(
            !inj.next.is_empty() && inj.next.iter().all(|n| n.0 > *seq),
            "{spec}: {:?}",
            inj.next
        );
        assert!(r.text().contains(spec), "{spec}: {}", r.text());
    }
    assert!(text.contains("far 2"), "{text}");
    let far = read("far.err");
    assert!(
        far.contains("VIDIOC_QBUF@frame99=EIO")
            && far.contains("30 frames")
            && far.contains("nothing was issued"),
        "{far}"
    );
    let strace = read("far.strace");
    assert!(
        !strace.contains("/dev/video") && !strace.contains("/dev/media"),
        "a device was opened:\n{strace}"
    );
}

/// The committed samples with their recorded environment rewritten (the header's kernel
/// release, the header devices' versions, every QUERYCAP's version and MEDIA_IOC_DEVICE_INFO's
/// media and driver versions): each replays with its documented verdict, the differences listed
/// as environment, never counted; `--strict` counts them (exit 1).
#[test]
fn samples_with_other_versions_replay_clean_and_list_them_as_environment() {
    use traces::ioctl::layout::{media_device_info as DI, v4l2_capability as C};
    use traces::ioctl::{media::MEDIA_IOC_DEVICE_INFO, querycap::VIDIOC_QUERYCAP};
    // KERNEL_VERSION(6, 12, 250): no kernel the test-bed builds.
    const VERSION: u32 = (6 << 16) | (12 << 8) | 250;
    const RELEASE: &str = "6.12.250-vatrace-test";
    let put = |b: &mut Vec<u8>, off: usize| {
        if b.len() >= off + 4 {
            b[off..off + 4].copy_from_slice(&VERSION.to_le_bytes());
        }
    };
    let s = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/samples");
    let d = testbed::paths::work_dir("environment");
    let samples = [
        "probe-ebusy",
        "request-leak",
        "request-leak-fixed",
        "gst-v4l2slh264dec",
        "ffmpeg-vaapi",
    ];
    let mut rewritten = Vec::new();
    for t in samples {
        let (mut querycaps, mut device_infos) = (0, 0);
        rewrite(
            &s.join(format!("{t}.trace")),
            &d.join(format!("{t}.trace")),
            |h| {
                h.kernel_release = RELEASE.into();
                for dev in &mut h.devices {
                    dev.version = VERSION;
                    if let Some(m) = &mut dev.media {
                        (m.media_version, m.driver_version) = (VERSION, VERSION);
                    }
                }
            },
            |mut rec| {
                if let Record::Ioctl(io) = &mut rec {
                    if io.request == VIDIOC_QUERYCAP && io.ret == 0 {
                        put(&mut io.after, C::VERSION);
                        querycaps += 1;
                    }
                    if io.request == MEDIA_IOC_DEVICE_INFO && io.ret == 0 {
                        put(&mut io.after, DI::MEDIA_VERSION);
                        put(&mut io.after, DI::DRIVER_VERSION);
                        device_infos += 1;
                    }
                }
                vec![rec]
            },
        );
        assert!(querycaps + device_infos > 0, "{t}: no call rewritten");
        rewritten.push((t, querycaps, device_infos));
    }
    let rp = env!("CARGO_BIN_EXE_vatrace-replay");
    let script = format!(
        "for t in {list}; do
           {rp} --quiet --report {d}/$t.json {d}/$t.trace > {d}/$t.txt 2>&1; echo \"replay $t $?\"
           {rp} --quiet --strict --report {d}/$t-strict.json {d}/$t.trace > {d}/$t-strict.txt 2>&1; echo \"strict $t $?\"
         done",
        list = samples.join(" "),
        d = d.display()
    );
    let out = run_sh(&script, &opts()).unwrap().check().unwrap();
    let text = out.stdout_str();
    let read = |n: &str| std::fs::read_to_string(d.join(n)).unwrap_or_default();
    for (t, querycaps, device_infos) in rewritten {
        assert!(
            text.contains(&format!("replay {t} 0\n")),
            "{t}:\n{text}\n{}",
            read(&format!("{t}.txt"))
        );
        let r = load(&d.join(format!("{t}.json")));
        assert_eq!(r.divergences, 0, "{t}: {}", r.text());
        assert!(!r.strict);
        let env = |at: &str, field: &str| {
            r.environment
                .iter()
                .find(|e| e.at == at && e.field == field)
                .unwrap_or_else(|| panic!("{t}: no {at} {field} in the environment:\n{}", r.text()))
        };
        assert_eq!(env("header", "kernel_release").recorded, RELEASE);
        if querycaps > 0 {
            let e = env("VIDIOC_QUERYCAP", "version");
            assert_eq!(e.recorded, "6.12.250", "{t}");
        }
        if device_infos > 0 {
            assert_eq!(
                env("MEDIA_IOC_DEVICE_INFO", "media_version").recorded,
                "6.12.250"
            );
            assert_eq!(
                env("MEDIA_IOC_DEVICE_INFO", "driver_version").recorded,
                "6.12.250"
            );
        }
        // The nodes' identities checked before the replay: the header's versions differ too.
        assert!(
            r.environment
                .iter()
                .any(|e| e.at.starts_with("device /dev/") && e.recorded == "6.12.250"),
            "{t}: {}",
            r.text()
        );
        let txt = read(&format!("{t}.txt"));
        assert!(
            txt.contains("environment: ") && txt.contains("not divergences; --strict counts them"),
            "{t}: {txt}"
        );

        assert!(
            text.contains(&format!("strict {t} 1\n")),
            "{t} --strict:\n{text}\n{}",
            read(&format!("{t}-strict.txt"))
        );
        let strict = load(&d.join(format!("{t}-strict.json")));
        assert!(strict.strict && strict.divergences > 0, "{}", strict.text());
        assert_eq!(strict.environment, r.environment, "{t}");
    }
}

/// The crafted traces of `common` in the test-bed, where V4L2 nodes exist and /dev/v4l is made
/// a real directory (so `/dev/v4l/../null` resolves to /dev/null): refused before any open,
/// exit 2; holes give INCOMPLETE, exit 3 (0 with --allow-incomplete). And a real recording (the
/// clean committed sample) with lost events inserted: it replays without a divergence, all 30
/// frames, but the verdict is INCOMPLETE and names the holes.
#[test]
fn crafted_traces_in_the_testbed_and_a_recording_with_lost_events() {
    use traces::record::Lost;
    let d = testbed::paths::work_dir("untrusted");
    let refusals = common::craft_refusals(&d);
    common::craft_holes(&d);
    let sample =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/samples/request-leak-fixed.trace");
    let mut n = 0;
    let mut last_seq = 0;
    let mut hole = None;
    rewrite(
        &sample,
        &d.join("sample-lost.trace"),
        |_| {},
        |rec| {
            n += 1;
            // Lost events just before the first ioctl from the 150th record on.
            if let Record::Ioctl(io) = &rec {
                if n >= 150 && hole.is_none() {
                    hole = Some((last_seq, io.seq));
                    let at = io.ts_enter;
                    return vec![
                        Record::Lost(Lost {
                            count: 77,
                            at,
                            cpu: Some(0),
                        }),
                        rec,
                    ];
                }
                last_seq = io.seq;
            }
            vec![rec]
        },
    );
    let (after, before) = hole.expect("the sample has ioctls after its 150th record");
    let rp = env!("CARGO_BIN_EXE_vatrace-replay");
    let script = format!(
        "mkdir -p /dev/v4l\n{}\
         {rp} --quiet --report {d}/sample-lost.json {d}/sample-lost.trace > {d}/sample-lost.txt 2>&1; echo \"case sample-lost $?\"\n\
         {rp} --quiet --allow-incomplete {d}/sample-lost.trace > /dev/null 2>&1; echo \"case sample-lost-allowed $?\"\n",
        common::script(rp, &d, &refusals),
        d = d.display()
    );
    let out = run_sh(&script, &opts()).unwrap().check().unwrap();
    let text = out.stdout_str();
    assert!(text.contains("v4l-dir"), "{text}");
    common::check(&d, &text, &refusals);

    let r = load(&d.join("sample-lost.json"));
    assert!(
        text.contains("case sample-lost 3\n"),
        "{text}\n{}",
        r.text()
    );
    assert!(text.contains("case sample-lost-allowed 0\n"), "{text}");
    assert_eq!((r.divergences, r.frames.len()), (0, 30), "{}", r.text());
    assert_eq!(r.lost_events, 77);
    assert_eq!(
        (r.lost_spans[0].after_seq, r.lost_spans[0].before_seq),
        (Some(after), Some(before)),
        "{}",
        r.text()
    );
    assert!(
        r.incomplete.iter().any(|i| i.contains(&format!(
            "77 events lost between ioctl {after} and ioctl {before}"
        ))),
        "{:?}",
        r.incomplete
    );
}
