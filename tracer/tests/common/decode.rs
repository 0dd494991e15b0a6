//! Checks of a `vatrace record` of a decode against what the same run produced beside it, shared
//! by the x86_64 (`testbed.rs`) and arm64 (`arm64_testbed.rs`) test-bed tests: the trace holds as
//! many V4L2/media/dma-buf ioctls as `strace -f` counted, loses nothing, carries every byte of
//! bitstream the client queued, holds for every request the control values visl printed in its
//! ftrace events, and meets issue 3's size goal (≤ 1.05 × captured bitstream + 1 KiB per frame).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use testbed::clips::Clip;
use traces::{
    ioctl::{decode_ioctl, Arg},
    record::{EndReason, Ioctl},
    Record, TraceReader,
};

/// Counts V4L2 ('V'), media ('|') and dma-buf ('b') ioctls in `strace -e raw=ioctl` output.
pub fn strace_count(text: &str) -> u64 {
    text.lines()
        .filter(|l| !l.contains("resumed>"))
        .filter_map(|l| {
            let rest = &l[l.find("ioctl(")? + 6..];
            let cmd = rest.split(", ").nth(1)?.split_whitespace().next()?;
            u32::from_str_radix(cmd.trim_start_matches("0x"), 16).ok()
        })
        .filter(|c| matches!((c >> 8) & 0xff, 0x56 | 0x7c | 0x62))
        .count() as u64
}

/// The argument a successful ioctl named `name` was called with, decoded by `traces::ioctl`.
fn argument(ioctl: &Ioctl, name: &str) -> Option<Arg> {
    let d = decode_ioctl(ioctl);
    if d.name != name || ioctl.ret != 0 {
        return None;
    }
    Some(
        d.before?
            .unwrap_or_else(|e| panic!("ioctl {} ({name}) does not decode: {e}", ioctl.seq)),
    )
}

/// The controls of a successful request-bound S_EXT_CTRLS (those with a payload), decoded.
fn request_controls(ioctl: &Ioctl) -> Option<Vec<traces::controls::ControlValue>> {
    let Arg::ExtControls(x) = argument(ioctl, "VIDIOC_S_EXT_CTRLS")? else {
        panic!("S_EXT_CTRLS decodes to v4l2_ext_controls");
    };
    if !x.is_request() {
        return None;
    }
    Some(
        x.controls
            .into_iter()
            .filter(|c| c.size != 0)
            .filter_map(|c| c.decoded)
            .collect(),
    )
}

/// The bytes an OUTPUT QBUF queued (single-planar `bytesused`, else plane 0's).
fn queued_bytes(ioctl: &Ioctl) -> Option<u64> {
    let Arg::Buffer(b) = argument(ioctl, "VIDIOC_QBUF")? else {
        panic!("QBUF decodes to v4l2_buffer");
    };
    if !traces::ioctl::names::is_output(b.buf_type) {
        return None;
    }
    Some(u64::from(match (b.is_mplane(), &b.planes) {
        (false, _) => b.bytesused,
        (true, Some(planes)) => planes.first().expect("an mplane QBUF has planes").bytesused,
        (true, None) => panic!(
            "ioctl {}: the plane array of an mplane QBUF was not captured",
            ioctl.seq
        ),
    }))
}

/// The trace and visl event file names of a recording with `vatrace record --attach MECHANISM`
/// ("" for vatrace's default): `gst.trace`/`visl.txt`, or `gst-fentry.trace`/`visl-fentry.txt`.
pub fn file_names(attach: &str) -> (String, String) {
    if attach.is_empty() {
        ("gst.trace".into(), "visl.txt".into())
    } else {
        (format!("gst-{attach}.trace"), format!("visl-{attach}.txt"))
    }
}

/// The guest script: checks `decoder` exists, enables visl's `visl_events` ftrace events, records
/// the GStreamer pipeline `filesrc ! parser ! decoder ! fakesink` of `clip` with `vatrace record`
/// once per mechanism of `attach` into `dir` (see [`file_names`]) with the ftrace buffer of each
/// run beside it, then runs the same pipeline once under `strace -f` into `dir/strace.txt`.
pub fn record_script_attach(
    vatrace: &str,
    clip: &Path,
    parser: &str,
    decoder: &str,
    visl_events: &str,
    dir: &Path,
    attach: &[&str],
) -> String {
    let pipeline = format!(
        "gst-launch-1.0 -q filesrc location={} ! {parser} ! {decoder} ! video/x-raw,format=NV12 ! fakesink",
        clip.display()
    );
    let mut records = String::new();
    for mechanism in attach {
        let (trace, visl) = file_names(mechanism);
        let flag = if mechanism.is_empty() {
            String::new()
        } else {
            format!("--attach {mechanism} ")
        };
        records.push_str(&format!(
            "echo > $T/trace
        echo 1 > $T/tracing_on
        {vatrace} record {flag}-o {dir}/{trace} -- {pipeline}
        echo 0 > $T/tracing_on
        cat $T/trace > {dir}/{visl}
        ",
            dir = dir.display(),
        ));
    }
    format!(
        r#"set -e
        gst-inspect-1.0 {decoder} > /dev/null
        T=/sys/kernel/tracing
        echo 16384 > $T/buffer_size_kb
        echo 1 > $T/events/{visl_events}/enable
        {records}strace -f -e trace=ioctl -e raw=ioctl -o {dir}/strace.txt {pipeline}
        "#,
        dir = dir.display(),
    )
}

/// Checks `dir/gst.trace` (recorded by `vatrace record` while `decoder` decoded `clip`) against
/// `dir/strace.txt` (`strace -f -e trace=ioctl -e raw=ioctl` of the same pipeline) and
/// `dir/visl.txt` (visl's ftrace events of the recorded run); panics on the first difference.
/// `attach` names the mechanism the recording was asked for ("" for the default; see
/// [`file_names`] for the files then read): the trace's header must say it was used.
pub fn check_decode_trace_attach(dir: &Path, clip: &Clip, decoder: &str, attach: &str) {
    let strace = std::fs::read_to_string(dir.join("strace.txt")).unwrap();
    let expected = strace_count(&strace);
    let (trace_name, visl_name) = file_names(attach);

    let mut reader = TraceReader::open(dir.join(&trace_name)).unwrap();
    if !attach.is_empty() {
        assert_eq!(
            reader.header().options.get("attach").map(String::as_str),
            Some(attach),
            "{trace_name}: the header names the mechanism asked for"
        );
    }
    let mut ioctls = 0u64;
    let mut queued = 0u64;
    let mut frames = 0u64;
    let mut seq_of_qbuf = HashMap::new();
    let mut blob_len = HashMap::new();
    let mut captured = 0u64;
    let mut end = None;
    let mut requests = Vec::new();
    // Bytes of the file per record kind (ioctls by name): where the trace's size goes.
    let mut sizes: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let header_bytes = reader.offset();
    let mut at = header_bytes;
    while let Some(rec) = reader.next_record() {
        let rec = rec.unwrap();
        let kind = match &rec {
            Record::Ioctl(i) => traces::ioctl::describe(i.request),
            other => other.tag().to_string(),
        };
        let entry = sizes.entry(kind).or_default();
        *entry = (entry.0 + 1, entry.1 + reader.offset() - at);
        at = reader.offset();
        match rec {
            Record::Ioctl(i) => {
                ioctls += 1;
                requests.extend(request_controls(&i));
                if let Some(bytes) = queued_bytes(&i) {
                    frames += 1;
                    queued += bytes;
                    seq_of_qbuf.insert(i.seq, bytes);
                }
            }
            Record::Blob(b) => {
                blob_len.insert(b.id, b.data.len() as u64);
            }
            Record::Bitstream(b) => {
                let q = seq_of_qbuf.get(&b.ioctl_seq).copied();
                assert_eq!(Some(b.len), q, "bitstream length = bytesused of its QBUF");
                assert_eq!(blob_len[&b.blob], b.len, "whole bitstream captured");
                captured += b.len;
            }
            Record::Lost(l) => panic!("lost events: {l:?}"),
            Record::End(e) => end = Some(e),
            _ => {}
        }
    }
    let end = end.expect("trace has an End record");
    assert_eq!(end.reason, EndReason::Exited);
    assert_eq!(end.exit_code, Some(0));
    assert_eq!(end.totals.lost, 0, "zero lost events");
    assert_eq!(
        ioctls, expected,
        "{trace_name}: V4L2/media/dma-buf ioctls: vatrace vs strace -f"
    );
    assert!(
        frames >= u64::from(clip.frames),
        "{frames} OUTPUT QBUFs for {} frames",
        clip.frames
    );
    assert!(queued > 0);
    assert_eq!(captured, queued, "bitstream bytes captured = bytes queued");

    // Every request's controls, decoded from the trace, equal what visl printed for it.
    let visl = std::fs::read_to_string(dir.join(&visl_name)).unwrap();
    let runs =
        traces::controls::visl_ftrace::split_runs(traces::controls::visl_ftrace::parse_text(&visl));
    assert_eq!(runs.len(), requests.len(), "one visl run per request");
    let mut fields = 0;
    for (i, (values, run)) in requests.iter().zip(&runs).enumerate() {
        assert!(!values.is_empty(), "request {i} has decoded controls");
        let diffs = traces::controls::visl_ftrace::compare(values, run);
        assert!(
            diffs.is_empty(),
            "request {i}: trace and visl differ: {diffs:#?}"
        );
        fields += values
            .iter()
            .map(|v| traces::controls::visl_fields(v).len())
            .sum::<usize>();
    }
    eprintln!(
        "{decoder} {trace_name}: {ioctls} ioctls (strace {expected}), {frames} OUTPUT QBUFs, {captured} bitstream bytes, \
         {} requests / {fields} control fields equal to visl's ftrace",
        requests.len()
    );

    // Issue 3's size goal: trace ≤ 1.05 × captured bitstream + 1 KiB per frame of the clip.
    let trace_bytes = std::fs::metadata(dir.join(&trace_name)).unwrap().len();
    let blob_bytes: u64 = blob_len.values().sum();
    let goal = captured * 105 / 100 + 1024 * u64::from(clip.frames);
    eprintln!(
        "{decoder}: trace {trace_bytes} bytes for {blob_bytes} bytes of distinct bitstream ({captured} captured), \
         {} frames: goal {goal} bytes ({:.2} of it)",
        clip.frames,
        trace_bytes as f64 / goal as f64
    );
    let mut by_size: Vec<_> = sizes.into_iter().collect();
    by_size.sort_by_key(|(_, (_, bytes))| std::cmp::Reverse(*bytes));
    let top: Vec<String> = by_size
        .iter()
        .take(8)
        .map(|(kind, (n, bytes))| format!("{kind} {n}× {bytes}"))
        .collect();
    eprintln!(
        "{decoder}: header {header_bytes} bytes, then by record kind: {}",
        top.join(", ")
    );
    assert!(
        trace_bytes <= goal,
        "trace of {trace_bytes} bytes is over the size goal of {goal} bytes"
    );
}
