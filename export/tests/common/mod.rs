//! What the Perfetto tests share: decoding an export with Perfetto's own schema (the PyPI
//! `perfetto` package's protobuf bindings, through `perfetto_decode.py`). Also used by
//! `tracer/tests/driver_probes_testbed.rs` (by path), so the script is found from the workspace.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Decodes `file` with Perfetto's schema: `{"packets", "unknown", "items"}` as
/// `perfetto_decode.py` prints it. Panics (never skips) without python3 or the package.
pub fn decode(file: &Path) -> Value {
    // `export/` and `tracer/` are both one level under the workspace root.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../export/tests/perfetto_decode.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(file)
        .output()
        .expect("python3 is needed for this test (cargo xtask setup)");
    if out.status.code() == Some(3) {
        panic!(
            "the PyPI `perfetto` package is not installed: run `cargo xtask setup` first ({})",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    assert!(
        out.status.success(),
        "Perfetto's schema refused {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The instant events on the "driver" track(s) whose parent is a process track, in order, and
/// how many such driver tracks there are.
pub fn driver_instants(d: &Value) -> (usize, Vec<Value>) {
    let items = d["items"].as_array().unwrap();
    let processes: std::collections::HashSet<u64> = items
        .iter()
        .filter(|i| i["kind"] == "process")
        .filter_map(|i| i["desc"].as_u64())
        .collect();
    let driver: std::collections::HashSet<u64> = items
        .iter()
        .filter(|i| i["name"] == "driver" && i["kind"] == "track")
        .filter(|i| i["parent"].as_u64().is_some_and(|p| processes.contains(&p)))
        .filter_map(|i| i["desc"].as_u64())
        .collect();
    let events = items
        .iter()
        .filter(|i| i["ev"] == "TYPE_INSTANT")
        .filter(|i| i["track"].as_u64().is_some_and(|t| driver.contains(&t)))
        .cloned()
        .collect();
    (driver.len(), events)
}
