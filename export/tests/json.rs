//! The Chrome trace-event JSON export of every committed sample: valid JSON, every `B` closed by
//! an `E` on the same thread, every flow started (`s`) ended (`f`), every event on a named
//! thread, and one ioctl slice per ioctl record. And a file that is not a trace is refused with
//! an error that says so.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

#[test]
fn every_sample_exports_as_balanced_chrome_json() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/samples");
    let tmp = tempfile::tempdir().unwrap();
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let trace = e.unwrap().path();
        if trace.extension().is_none_or(|x| x != "trace") {
            continue;
        }
        n += 1;
        let out = tmp.path().join("t.json");
        let stats = export::export_file(&trace, export::Format::Json, &out).unwrap();
        let events: Vec<Value> = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        let mut named = std::collections::HashSet::new();
        let mut depth: HashMap<(u64, u64), i64> = HashMap::new();
        let mut flows: HashMap<u64, bool> = HashMap::new();
        let mut begins = 0;
        for e in &events {
            let key = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap_or(0));
            match e["ph"].as_str().unwrap() {
                "M" => {
                    named.insert(key);
                    continue;
                }
                "B" => {
                    *depth.entry(key).or_default() += 1;
                    // Failed calls are in category "error"; an ioctl's args carry its sequence number.
                    if e["cat"] == "ioctl" || (e["cat"] == "error" && e["args"]["seq"].is_u64()) {
                        begins += 1;
                    }
                }
                "E" => {
                    let d = depth.entry(key).or_default();
                    *d -= 1;
                    assert!(*d >= 0, "{}: E without B on {key:?}", trace.display());
                }
                "s" => assert!(flows.insert(e["id"].as_u64().unwrap(), true).is_none()),
                "t" => assert!(flows.contains_key(&e["id"].as_u64().unwrap())),
                "f" => assert!(flows.remove(&e["id"].as_u64().unwrap()).is_some()),
                "i" | "C" => {}
                other => panic!("unexpected phase {other}"),
            }
            assert!(
                named.contains(&key),
                "{}: event on an unnamed thread {key:?}",
                trace.display()
            );
        }
        assert!(
            depth.values().all(|d| *d == 0),
            "{}: unclosed slices",
            trace.display()
        );
        assert!(flows.is_empty(), "{}: flows never ended", trace.display());
        let (_, records, _) = traces::stream::read_all(&std::fs::read(&trace).unwrap()).unwrap();
        let ioctls = records
            .iter()
            .filter(|r| matches!(r, traces::Record::Ioctl(_)))
            .count();
        assert_eq!(begins, ioctls, "{}: ioctl slices", trace.display());
        assert!(stats.slices as usize >= ioctls);
    }
    assert!(n >= 5);
}

#[test]
fn a_file_that_is_not_a_trace_is_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("notes.txt");
    std::fs::write(&bad, "not a trace").unwrap();
    let err =
        export::export_file(&bad, export::Format::Perfetto, &tmp.path().join("o")).unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("not a readable vatrace trace"), "{msg}");
    assert!(msg.contains("notes.txt"), "{msg}");
}
