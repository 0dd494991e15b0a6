//! Fault injection for the ioctl layer (cargo feature `fault-injection`, off by default).
//!
//! `V4L2_REQUEST_FAULTS` picks the calls that fail, as `op:every[:burst]` items separated by
//! commas, e.g. `reinit:7,dqbuf:11:2` = every 7th MEDIA_REQUEST_IOC_REINIT fails, and every 11th
//! VIDIOC_DQBUF fails together with the one after it. Ops: `reinit`, `dqbuf`, `poll` (of a
//! request fd), `alloc` (MEDIA_IOC_REQUEST_ALLOC). Failed calls never reach the kernel and
//! return EIO. Without the feature, [`should_fail`] is a constant `false` and compiles away.

/// The ioctls that can be made to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Reinit = 0,
    Dqbuf = 1,
    Poll = 2,
    Alloc = 3,
}

#[cfg(feature = "fault-injection")]
mod imp {
    use super::Op;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;

    const OPS: usize = 4;

    struct Plan {
        every: [u64; OPS],
        burst: [u64; OPS],
    }

    static CALLS: [AtomicU64; OPS] = [const { AtomicU64::new(0) }; OPS];
    static INJECTED: [AtomicU64; OPS] = [const { AtomicU64::new(0) }; OPS];
    static PLAN: OnceLock<Plan> = OnceLock::new();

    fn plan() -> &'static Plan {
        PLAN.get_or_init(|| {
            let mut p = Plan {
                every: [0; OPS],
                burst: [1; OPS],
            };
            let spec = std::env::var("V4L2_REQUEST_FAULTS").unwrap_or_default();
            for item in spec.split(',').filter(|s| !s.is_empty()) {
                let mut f = item.split(':');
                let op = match f.next() {
                    Some("reinit") => Op::Reinit,
                    Some("dqbuf") => Op::Dqbuf,
                    Some("poll") => Op::Poll,
                    Some("alloc") => Op::Alloc,
                    _ => {
                        log::warn!("V4L2_REQUEST_FAULTS: unknown item {item:?}");
                        continue;
                    }
                } as usize;
                p.every[op] = f.next().and_then(|n| n.parse().ok()).unwrap_or(0);
                p.burst[op] = f.next().and_then(|n| n.parse().ok()).unwrap_or(1).max(1);
            }
            if !spec.is_empty() {
                log::warn!("fault injection active: {spec}");
            }
            p
        })
    }

    pub fn should_fail(op: Op) -> bool {
        let i = op as usize;
        let p = plan();
        if p.every[i] == 0 {
            return false;
        }
        let n = CALLS[i].fetch_add(1, Ordering::Relaxed) + 1;
        // Calls every, every+1, ..., every+burst-1 of each period fail.
        let fail = n % p.every[i] < p.burst[i] && n >= p.every[i];
        if fail {
            INJECTED[i].fetch_add(1, Ordering::Relaxed);
        }
        fail
    }

    pub fn injected(op: Op) -> u64 {
        INJECTED[op as usize].load(Ordering::Relaxed)
    }
}

#[cfg(feature = "fault-injection")]
pub use imp::{injected, should_fail};

/// Whether this call of `op` must fail (fault injection is compiled out).
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn should_fail(_op: Op) -> bool {
    false
}

/// How many calls of `op` were made to fail so far.
#[cfg(not(feature = "fault-injection"))]
pub fn injected(_op: Op) -> u64 {
    0
}
