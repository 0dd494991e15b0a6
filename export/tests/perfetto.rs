//! The Perfetto export of every committed sample, decoded by Perfetto's own schema (the PyPI
//! `perfetto` package's protobuf bindings, through `perfetto_decode.py`): no field the schema does
//! not know, tracks declared before use, every slice closed, every flow ended, one slice per
//! ioctl and poll record of the trace, and the leak sample's leaked requests open to the end.
//! Needs `cargo xtask setup` (pip step); fails, never skips silently, without it.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use common::decode;
use traces::{Record, TraceReader};

fn samples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/samples");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "trace"))
        .collect();
    v.sort();
    assert!(
        v.len() >= 5,
        "the committed samples are missing from {}",
        dir.display()
    );
    v
}

/// Ioctl records by name and poll records by syscall, as the trace has them.
fn call_counts(trace: &Path) -> BTreeMap<String, u64> {
    let mut r = TraceReader::open(trace).unwrap();
    let mut n = BTreeMap::new();
    while let Some(rec) = r.next_record() {
        match rec.unwrap() {
            Record::Ioctl(io) => {
                *n.entry(traces::ioctl::name(io.request).into_owned())
                    .or_insert(0) += 1
            }
            Record::Poll(p) => *n.entry(p.syscall.clone()).or_insert(0) += 1,
            _ => {}
        }
    }
    n
}

#[test]
fn every_sample_decodes_against_perfettos_schema_and_holds_together() {
    let dir = tempfile::tempdir().unwrap();
    for trace in samples() {
        let name = trace.file_stem().unwrap().to_string_lossy().to_string();
        let out = dir.path().join(format!("{name}.perfetto-trace"));
        let stats = export::export_file(&trace, export::Format::Perfetto, &out).unwrap();
        let d = decode(&out);
        assert_eq!(
            d["unknown"],
            serde_json::json!([]),
            "{name}: fields Perfetto's schema does not know"
        );
        let items = d["items"].as_array().unwrap();
        assert!(
            d["packets"].as_u64().unwrap() as usize == items.len(),
            "{name}: packets that are neither tracks nor events"
        );

        let mut declared: HashMap<u64, (String, String)> = HashMap::new();
        let mut depth: HashMap<u64, i64> = HashMap::new();
        let mut live: HashSet<u64> = HashSet::new();
        let mut ended: HashSet<u64> = HashSet::new();
        let mut slices: BTreeMap<String, u64> = BTreeMap::new();
        let mut last_ts = 0;
        for it in items {
            if let Some(uuid) = it["desc"].as_u64() {
                if let Some(p) = it["parent"].as_u64() {
                    assert!(
                        declared.contains_key(&p),
                        "{name}: track {uuid} declared before its parent {p}"
                    );
                }
                let old = declared.insert(
                    uuid,
                    (
                        it["name"].as_str().unwrap().into(),
                        it["kind"].as_str().unwrap().into(),
                    ),
                );
                assert!(old.is_none(), "{name}: track {uuid} declared twice");
                continue;
            }
            let track = it["track"].as_u64().unwrap();
            let (tname, kind) = declared.get(&track).unwrap_or_else(|| {
                panic!("{name}: event on track {track} before it was declared: {it}")
            });
            let ts = it["ts"].as_u64().unwrap();
            last_ts = last_ts.max(ts);
            match it["ev"].as_str().unwrap() {
                "TYPE_SLICE_BEGIN" => {
                    *depth.entry(track).or_insert(0) += 1;
                    assert!(
                        !it["name"].as_str().unwrap().is_empty(),
                        "{name}: unnamed slice on {tname}"
                    );
                    if kind == "thread" {
                        *slices
                            .entry(it["name"].as_str().unwrap().into())
                            .or_insert(0) += 1;
                        assert!(
                            !it["args"].as_array().unwrap().is_empty(),
                            "{name}: a call's slice without its decoded fields"
                        );
                    }
                }
                "TYPE_SLICE_END" => {
                    let d = depth.entry(track).or_insert(0);
                    *d -= 1;
                    assert!(*d >= 0, "{name}: a slice ended on {tname} with none open");
                }
                "TYPE_INSTANT" | "TYPE_COUNTER" => {}
                other => panic!("{name}: unexpected event type {other}"),
            }
            for f in it["flows"].as_array().unwrap() {
                let f = f.as_u64().unwrap();
                assert!(
                    !ended.contains(&f),
                    "{name}: flow {f} continued after it ended"
                );
                live.insert(f);
            }
            for f in it["end_flows"].as_array().unwrap() {
                let f = f.as_u64().unwrap();
                assert!(
                    live.remove(&f),
                    "{name}: flow {f} ended without having started"
                );
                ended.insert(f);
            }
        }
        let open: Vec<&String> = depth
            .iter()
            .filter(|(_, d)| **d != 0)
            .map(|(t, _)| &declared[t].0)
            .collect();
        assert!(open.is_empty(), "{name}: slices never closed on {open:?}");
        assert!(live.is_empty(), "{name}: flows never ended: {live:?}");
        assert_eq!(
            ended.len() as u64,
            stats.flows,
            "{name}: flows written vs. ended"
        );
        let calls = call_counts(&trace);
        assert_eq!(
            slices, calls,
            "{name}: slices per call name vs. the trace's calls"
        );
        let requests = declared
            .values()
            .filter(|(n, _)| n.starts_with("request fd "))
            .count() as u64;
        let allocs = calls.get("MEDIA_IOC_REQUEST_ALLOC").copied().unwrap_or(0);
        assert!(
            requests >= allocs.min(1),
            "{name}: {allocs} requests allocated, {requests} request tracks"
        );
        if stats.flows > 0 {
            assert!(
                ended.len() >= 16,
                "{name}: a decode whose frames have no flows"
            );
        }
        let _ = last_ts;
    }
}

#[test]
fn the_leak_samples_leaked_requests_stay_open_to_the_end() {
    let trace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/samples/request-leak.trace");
    let bytes = std::fs::read(&trace).unwrap();
    let (h, records, _) = traces::stream::read_all(&bytes).unwrap();
    let leaks = traces::check::check_all(&h, None, &records)
        .iter()
        .filter(|f| f.rule == "request-leak")
        .count();
    assert_eq!(leaks, 4, "the sample's documented leak: its 4 slots");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("leak.perfetto-trace");
    export::export_file(&trace, export::Format::Perfetto, &out).unwrap();
    let d = decode(&out);
    let items = d["items"].as_array().unwrap();
    let last_ts = items.iter().filter_map(|i| i["ts"].as_u64()).max().unwrap();
    let names: HashMap<u64, String> = items
        .iter()
        .filter_map(|i| Some((i["desc"].as_u64()?, i["name"].as_str()?.to_string())))
        .collect();
    // Per request track: open depth when LEAKED was marked, and when its last slice ended.
    let mut depth: HashMap<u64, i64> = HashMap::new();
    let mut leaked: HashMap<u64, i64> = HashMap::new();
    let mut last_end: HashMap<u64, u64> = HashMap::new();
    for it in items.iter().filter(|i| i["ev"].is_string()) {
        let t = it["track"].as_u64().unwrap();
        if !names[&t].starts_with("request fd ") {
            continue;
        }
        match it["ev"].as_str().unwrap() {
            "TYPE_SLICE_BEGIN" => *depth.entry(t).or_insert(0) += 1,
            "TYPE_SLICE_END" => {
                *depth.entry(t).or_insert(0) -= 1;
                last_end.insert(t, it["ts"].as_u64().unwrap());
            }
            "TYPE_INSTANT" if it["name"] == "LEAKED" => {
                leaked.insert(t, depth.get(&t).copied().unwrap_or(0));
            }
            _ => {}
        }
    }
    assert_eq!(
        leaked.len(),
        leaks,
        "LEAKED marks on request tracks vs. check's request-leak findings"
    );
    for (t, d) in &leaked {
        assert_eq!(*d, 1, "{}: no slice open when it leaked", names[t]);
        assert_eq!(
            last_end[t], last_ts,
            "{}: its leaked slice ends before the trace does",
            names[t]
        );
    }
}
