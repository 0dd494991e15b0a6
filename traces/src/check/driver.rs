//! Driver rules: what the libva driver's own pool transitions say (`Record::Probe`, from
//! `vatrace record`'s uprobes on the driver, `traces::probe`), next to the ioctls they explain.
//!
//! * `driver-slot-force-released` (note): the driver took a request slot back after an error
//!   (REINIT or DQBUF failed): by REINIT, or by closing the request and allocating a new one;
//! * `driver-slot-dead` (warning): a slot the driver could not recover: its pool is one request
//!   smaller from then on;
//! * `driver-capture-free-failed` (warning): REQBUFS(0) failed when the driver freed its
//!   CAPTURE pool (buffers still held: the memory stays allocated).

use super::{At, Severity, Sink};
use crate::probe::{ProbeKind, FORCE_DEAD, FORCE_REALLOCATED, FORCE_REINIT_OK};
use crate::record::Record;

const SOURCE: &str = "driver/src/request_pool.rs (RequestPool::force_release)";
const SOURCE_CAPTURE: &str = "driver/src/capture_pool.rs (CapturePool::drain)";

/// Checks one record (the driver rules keep no state).
pub(super) fn check(rec: &Record, at: &At, s: &mut Sink) {
    let Record::Probe(p) = rec else { return };
    let arg = |n: &str| p.arg(n).unwrap_or(-1);
    let at = At {
        request_fd: p
            .arg("request_fd")
            .or(p.arg("old_fd"))
            .filter(|fd| *fd >= 0)
            .map(|fd| fd as i32),
        ..*at
    };
    match p.func {
        ProbeKind::SlotForceRelease if arg("outcome") != FORCE_DEAD => {
            let how = match arg("outcome") {
                FORCE_REINIT_OK => format!("REINIT of request fd {}", arg("request_fd")),
                FORCE_REALLOCATED => format!(
                    "closing its request and allocating request fd {}",
                    arg("request_fd")
                ),
                o => format!("outcome {o}"),
            };
            s.push(
                &at,
                Severity::Note,
                "driver-slot-force-released",
                None,
                format!("the driver force-released request slot {} by {how}", arg("slot")),
                "A REINIT or DQBUF failed for this slot's frame; the driver took the slot back anyway, so \
                 its pool does not shrink (the path a client without it turns into a request-leak).",
                SOURCE,
            );
        }
        ProbeKind::SlotDead => s.push(
            &at,
            Severity::Warning,
            "driver-slot-dead",
            None,
            format!(
                "request slot {} is dead: request fd {} was closed and no new request could be allocated",
                arg("slot"),
                arg("old_fd")
            ),
            "Neither REINIT nor a new MEDIA_IOC_REQUEST_ALLOC worked, so the driver skips this slot from now \
             on: decoding goes on with one request fewer, and stops if every slot dies.",
            SOURCE,
        ),
        ProbeKind::CaptureFree if arg("errno") != 0 => s.push(
            &at,
            Severity::Warning,
            "driver-capture-free-failed",
            None,
            format!(
                "REQBUFS(0) failed with errno {} when the driver freed its {} CAPTURE buffers",
                arg("errno"),
                arg("buffers")
            ),
            "The driver drops its mappings and exported fds before REQBUFS(0); a failure means something else \
             still holds a buffer, and the memory stays allocated until it lets go.",
            SOURCE_CAPTURE,
        ),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{Checker, Severity};
    use crate::probe::ProbeKind;
    use crate::record::{Header, Probe, Record};

    fn probe(ts: u64, kind: ProbeKind, args: &[i64]) -> Record {
        Record::Probe(Probe {
            ts,
            pid: 5,
            tid: 5,
            func: kind,
            args: args.to_vec(),
        })
    }

    #[test]
    fn force_released_and_dead_slots_are_findings() {
        let mut c = Checker::new(&Header::new(), None);
        for r in [
            probe(1, ProbeKind::SlotAcquire, &[0, 10]),
            probe(2, ProbeKind::SlotRelease, &[0, 10]),
            probe(3, ProbeKind::SlotForceRelease, &[1, 11, 0]),
            probe(4, ProbeKind::SlotForceRelease, &[2, 14, 1]),
            probe(5, ProbeKind::SlotForceRelease, &[3, -1, 2]),
            probe(5, ProbeKind::SlotDead, &[3, 13]),
            probe(6, ProbeKind::CaptureFree, &[4, 0]),
            probe(7, ProbeKind::CaptureFree, &[4, 16]),
        ] {
            c.apply(&r);
        }
        let f = c.finish(None);
        let rules: Vec<(&str, Severity, Option<i32>)> = f
            .iter()
            .filter(|f| f.rule.starts_with("driver-"))
            .map(|f| (f.rule.as_ref(), f.severity, f.request_fd))
            .collect();
        assert_eq!(
            rules,
            vec![
                ("driver-slot-force-released", Severity::Note, Some(11)),
                ("driver-slot-force-released", Severity::Note, Some(14)),
                ("driver-slot-dead", Severity::Warning, Some(13)),
                ("driver-capture-free-failed", Severity::Warning, None),
            ],
            "{f:#?}"
        );
        assert!(
            f[1].statement.contains("allocating request fd 14"),
            "{}",
            f[1].statement
        );
        assert!(
            f[2].statement.contains("slot 3 is dead"),
            "{}",
            f[2].statement
        );
    }
}
