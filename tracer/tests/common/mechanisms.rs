//! The tracer's process-following checks, for both attachment mechanisms, shared by the x86_64
//! and arm64 test-bed tests: the probe's `sequence` (main thread, a second thread, a child
//! process) recorded whole, and `vatrace record -p` attached to a waiting probe.

use testbed::{run_sh, RunOptions};
use traces::{Record, TraceReader};

/// The two mechanisms `--attach` can ask for.
pub const MECHANISMS: [&str; 2] = ["fentry", "tracepoint"];

/// The header's mechanism of the trace at `path`.
pub fn attach_of(path: &std::path::Path) -> String {
    let reader = TraceReader::open(path).unwrap();
    reader.header().options["attach"].clone()
}

/// Per mechanism, in one boot: the probe's `sequence` (main thread, a second thread, a child
/// process) and `vatrace record -p` attached to a waiting probe. Both mechanisms must see the
/// same calls from the same roles, the child's and the thread's included.
pub fn threads_children_and_attach_by_pid(vatrace: &str, probe: &str, tag: &str, opts: RunOptions) {
    let dir = testbed::paths::work_dir(tag);
    let d = dir.display();
    let mut script = String::from("set +e\n");
    for m in MECHANISMS {
        script.push_str(&format!(
            "{vatrace} record --attach {m} -o {d}/seq-{m}.trace -- {probe} sequence \
             > {d}/seq-{m}.json 2> {d}/seq-{m}.log
            echo $? > {d}/seq-{m}.rc
            rm -f {d}/p-{m}.log
            {{ for i in $(seq 600); do grep -qs 'tracing pid' {d}/p-{m}.log && break; sleep 0.1; done
              echo go; }} | {probe} delayed 25 > {d}/delayed-{m}.out &
            P=$!
            {vatrace} record --attach {m} -o {d}/p-{m}.trace -p $P 2> {d}/p-{m}.log &
            R=$!
            wait $P; wait $R
            echo $P > {d}/p-{m}.pid\n"
        ));
    }
    run_sh(&script, &opts).unwrap().check().unwrap();
    let mut seen = Vec::new();
    for m in MECHANISMS {
        let read = |name: String| std::fs::read_to_string(dir.join(name)).unwrap();
        let log = read(format!("seq-{m}.log"));
        assert_eq!(read(format!("seq-{m}.rc")).trim(), "3", "{m}: {log}");
        let info: serde_json::Value = serde_json::from_str(&read(format!("seq-{m}.json")))
            .unwrap_or_else(|e| panic!("{m}: the probe's JSON: {e}"));
        let pid = info["pid"].as_u64().unwrap() as u32;
        let thread = info["thread_tid"].as_u64().unwrap() as u32;
        let child = info["child_pid"].as_u64().unwrap() as u32;
        let trace = dir.join(format!("seq-{m}.trace"));
        assert_eq!(attach_of(&trace), m);
        // (role, request, ret) of every ioctl: roles, not pids, compare across runs.
        let mut calls = Vec::new();
        let mut forks = 0;
        for r in TraceReader::open(&trace).unwrap() {
            match r.unwrap() {
                Record::Ioctl(i) => {
                    let role = match (i.pid, i.tid) {
                        (p, t) if p == pid && t == thread => "thread",
                        (p, _) if p == pid => "main",
                        (p, _) if p == child => "child",
                        _ => "other",
                    };
                    calls.push((role, i.request, i.ret));
                }
                Record::Fork(_) => forks += 1,
                _ => {}
            }
        }
        for role in ["main", "thread", "child"] {
            assert!(
                calls.iter().any(|c| c.0 == role),
                "{m}: no ioctl from the {role}: {calls:?}\n{log}"
            );
        }
        assert!(forks >= 2, "{m}: the thread and the child are reported");
        // Sorted: the thread and the child run beside the main thread.
        calls.sort();
        seen.push(calls);

        let p_trace = dir.join(format!("p-{m}.trace"));
        let p_log = read(format!("p-{m}.log"));
        assert_eq!(attach_of(&p_trace), m, "{p_log}");
        let probe_pid: u32 = read(format!("p-{m}.pid")).trim().parse().unwrap();
        let n = TraceReader::open(&p_trace)
            .unwrap()
            .filter(|r| {
                matches!(r, Ok(Record::Ioctl(i)) if i.pid == probe_pid && i.request == 0xc058_5611)
            })
            .count();
        assert_eq!(n, 25, "{m}: the 25 DQBUFs after attaching by pid\n{p_log}");
    }
    assert_eq!(seen[0], seen[1], "both mechanisms see the same calls");
}
