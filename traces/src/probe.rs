//! The libva driver's pool transitions that `vatrace record` puts uprobes on
//! (`driver/README.md`, "Symbols for uprobes"): one [`ProbeKind`] per exported function, its
//! symbol, its argument names and a one-line description of a [`Probe`] record.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::record::Probe;

/// Which driver function a [`Probe`] record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProbeKind {
    /// A request slot was taken for a frame.
    SlotAcquire,
    /// A slot came back after a successful REINIT.
    SlotRelease,
    /// A slot was taken back after an error (REINIT, re-allocation, or dead: `outcome`).
    SlotForceRelease,
    /// A slot could not be recovered and is skipped from now on.
    SlotDead,
    /// CAPTURE buffers were created.
    CaptureAlloc,
    /// The CAPTURE pool is being drained (before STREAMOFF + REQBUFS(0)).
    CaptureDrain,
    /// The CAPTURE pool's buffers were freed (REQBUFS(0) done).
    CaptureFree,
    /// A kind a newer vatrace wrote.
    #[serde(other)]
    Unknown,
}

/// `outcome` of `v4l2_request_slot_force_release`: REINIT worked.
pub const FORCE_REINIT_OK: i64 = 0;
/// `outcome`: the request was closed and a new one allocated.
pub const FORCE_REALLOCATED: i64 = 1;
/// `outcome`: no way back, the slot is dead.
pub const FORCE_DEAD: i64 = 2;

impl ProbeKind {
    /// Every kind the driver exports, in the order the eBPF programs number them.
    pub const ALL: [ProbeKind; 7] = [
        ProbeKind::SlotAcquire,
        ProbeKind::SlotRelease,
        ProbeKind::SlotForceRelease,
        ProbeKind::SlotDead,
        ProbeKind::CaptureAlloc,
        ProbeKind::CaptureDrain,
        ProbeKind::CaptureFree,
    ];

    /// The number the eBPF side sends for this kind (its index in [`ProbeKind::ALL`]).
    pub fn from_index(i: u32) -> ProbeKind {
        Self::ALL
            .get(i as usize)
            .copied()
            .unwrap_or(ProbeKind::Unknown)
    }

    /// The driver's exported symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            ProbeKind::SlotAcquire => "v4l2_request_slot_acquire",
            ProbeKind::SlotRelease => "v4l2_request_slot_release",
            ProbeKind::SlotForceRelease => "v4l2_request_slot_force_release",
            ProbeKind::SlotDead => "v4l2_request_slot_dead",
            ProbeKind::CaptureAlloc => "v4l2_request_capture_alloc",
            ProbeKind::CaptureDrain => "v4l2_request_capture_drain",
            ProbeKind::CaptureFree => "v4l2_request_capture_free",
            ProbeKind::Unknown => "?",
        }
    }

    /// Short name, as `dump` and the TUI show it.
    pub fn name(self) -> &'static str {
        match self {
            ProbeKind::SlotAcquire => "slot_acquire",
            ProbeKind::SlotRelease => "slot_release",
            ProbeKind::SlotForceRelease => "slot_force_release",
            ProbeKind::SlotDead => "slot_dead",
            ProbeKind::CaptureAlloc => "capture_alloc",
            ProbeKind::CaptureDrain => "capture_drain",
            ProbeKind::CaptureFree => "capture_free",
            ProbeKind::Unknown => "unknown",
        }
    }

    /// The function's arguments (C types: `u32` counts and indices, `i32` fds and results).
    pub fn arg_names(self) -> &'static [&'static str] {
        match self {
            ProbeKind::SlotAcquire | ProbeKind::SlotRelease => &["slot", "request_fd"],
            ProbeKind::SlotForceRelease => &["slot", "request_fd", "outcome"],
            ProbeKind::SlotDead => &["slot", "old_fd"],
            ProbeKind::CaptureAlloc => &["first", "count", "width", "height"],
            ProbeKind::CaptureDrain => &["buffers", "queued"],
            ProbeKind::CaptureFree => &["buffers", "errno"],
            ProbeKind::Unknown => &[],
        }
    }

    /// Which arguments are signed 32-bit (the others are `u32`).
    fn signed(self, i: usize) -> bool {
        matches!(
            self.arg_names().get(i),
            Some(&"request_fd" | &"outcome" | &"old_fd" | &"errno")
        )
    }

    /// The arguments as the registers held them (64 bits, upper half undefined), cut to their
    /// C types and sign-extended.
    pub fn args_from_registers(self, regs: &[u64]) -> Vec<i64> {
        (0..self.arg_names().len())
            .map(|i| {
                let r = regs.get(i).copied().unwrap_or(0);
                if self.signed(i) {
                    i64::from(r as u32 as i32)
                } else {
                    i64::from(r as u32)
                }
            })
            .collect()
    }
}

impl Probe {
    /// Argument `name` of this record, if its kind has it.
    pub fn arg(&self, name: &str) -> Option<i64> {
        let i = self.func.arg_names().iter().position(|n| *n == name)?;
        self.args.get(i).copied()
    }

    /// The slot index of a `Slot*` record.
    pub fn slot(&self) -> Option<i64> {
        self.arg("slot")
    }
}

/// `name(arg=value, …)`, with the force-release outcome named.
pub fn describe(p: &Probe) -> String {
    let mut s = format!("driver {}(", p.func.name());
    for (i, v) in p.args.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let name = p.func.arg_names().get(i).copied().unwrap_or("?");
        let _ = write!(s, "{name}={v}");
        if name == "outcome" {
            s.push_str(match *v {
                FORCE_REINIT_OK => " reinit",
                FORCE_REALLOCATED => " reallocated",
                FORCE_DEAD => " dead",
                _ => "",
            });
        }
    }
    s.push(')');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Record, TraceReader, TraceWriter};

    fn probe(kind: ProbeKind, regs: &[u64]) -> Probe {
        Probe {
            ts: 1_000,
            pid: 7,
            tid: 8,
            func: kind,
            args: kind.args_from_registers(regs),
        }
    }

    #[test]
    fn index_symbol_and_arguments_agree() {
        for (i, k) in ProbeKind::ALL.iter().enumerate() {
            assert_eq!(ProbeKind::from_index(i as u32), *k);
            assert!(k.symbol().starts_with("v4l2_request_"));
            assert!(k.symbol().ends_with(k.name()), "{k:?}");
            assert!(!k.arg_names().is_empty());
        }
        assert_eq!(ProbeKind::from_index(99), ProbeKind::Unknown);
    }

    #[test]
    fn registers_are_cut_to_the_c_types() {
        // Upper halves are garbage; -1 as an i32 fd stays -1, a u32 stays unsigned.
        let p = probe(
            ProbeKind::SlotForceRelease,
            &[0xdead_0000_0003, 0xffff_ffff_ffff_ffff, 0x1_0000_0002, 9],
        );
        assert_eq!(p.args, vec![3, -1, 2]);
        assert_eq!(p.slot(), Some(3));
        assert_eq!(
            describe(&p),
            "driver slot_force_release(slot=3, request_fd=-1, outcome=2 dead)"
        );
        let a = probe(ProbeKind::CaptureAlloc, &[0xffff_ffff, 4, 320, 240]);
        assert_eq!(a.args, vec![0xffff_ffff, 4, 320, 240]);
    }

    #[test]
    fn probe_records_round_trip_through_a_trace() {
        let records: Vec<Record> = ProbeKind::ALL
            .iter()
            .enumerate()
            .map(|(i, k)| Record::Probe(probe(*k, &[i as u64, 5, 6, 7])))
            .collect();
        let mut buf = Vec::new();
        let mut w = TraceWriter::new(&mut buf, &crate::Header::new()).unwrap();
        for r in &records {
            w.write(r).unwrap();
        }
        w.finish(crate::record::End::new(
            2_000,
            crate::record::EndReason::Exited,
        ))
        .unwrap();
        let mut r = TraceReader::new(&buf[..]).unwrap();
        let back: Vec<Record> = r
            .by_ref()
            .map(|x| x.unwrap())
            .filter(|x| matches!(x, Record::Probe(_)))
            .collect();
        assert_eq!(back, records);
    }

    #[test]
    fn dump_json_names_the_function_and_its_arguments() {
        let r = Record::Probe(probe(ProbeKind::SlotAcquire, &[2, 10]));
        let v = crate::dump::record_json(&r, &crate::dump::Context::new(&crate::Header::new()));
        assert_eq!(v["kind"], "Probe");
        assert_eq!(v["func"], "slot_acquire");
        assert_eq!(v["args"]["slot"], 2);
        assert_eq!(v["args"]["request_fd"], 10);
    }

    #[test]
    fn an_unknown_kind_from_a_newer_writer_still_reads() {
        let v: ProbeKind = ciborium::from_reader(&b"\x6aSlotFrozen"[..]).unwrap();
        assert_eq!(v, ProbeKind::Unknown);
    }
}
