//! What format version 2 remembers between records, identically on the writing and the reading
//! side: the table of ioctl request numbers seen, and per request the last argument pointer and
//! the most recent distinct values of each captured field (argument before/after, each payload
//! kind before/after). A field of a later call is stored as a patch against one of those values
//! ([`super::delta`]), so a control payload that repeats (SPS, PPS, scaling matrix) or an argument
//! struct that changes in a few bytes (QBUF, DQBUF) costs a few bytes.
//!
//! Both sides apply the same deterministic rules to the same resolved values, so a reference the
//! writer makes always exists on the reading side of a well-formed trace. The rules also bound
//! the memory a reader spends on a hostile trace:
//! * at most [`MAX_REQUESTS`] request numbers get a table entry (later new ones are written in
//!   full and get no history);
//! * at most [`DEPTH`] values per field, each at most [`MAX_VALUE`] bytes;
//! * at most [`MAX_SLOTS`] fields and [`MAX_BYTES`] bytes of values in all: a value that would
//!   pass either limit is not remembered (the field keeps its older values).
//!
//! So a reader holds at most `MAX_BYTES` (16 MiB) of remembered values, plus small bookkeeping
//! per field and request.

use std::collections::VecDeque;

use rustc_hash::FxHashMap as HashMap;

use crate::record::PayloadKind;

/// Request numbers given a table entry.
pub const MAX_REQUESTS: usize = 1024;
/// Distinct recent values remembered per field.
pub const DEPTH: usize = 8;
/// Largest value remembered.
pub const MAX_VALUE: usize = 1 << 20;
/// Fields remembered in all.
pub const MAX_SLOTS: usize = 1 << 16;
/// Bytes of remembered values in all.
pub const MAX_BYTES: usize = 16 << 20;

/// Which captured field of a call.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field {
    /// The argument struct.
    Arg,
    /// A nested payload of this kind.
    Payload(PayloadKind),
}

/// A field and the side of the call it was read at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slot {
    pub field: Field,
    /// `false`: at entry (`before`); `true`: at exit (`after`).
    pub after: bool,
}

/// What is remembered of one request number.
#[derive(Debug)]
pub struct RequestState {
    /// The argument pointer of its last call.
    pub last_arg: u64,
    /// The fd of its last call (-1 before the first).
    pub last_fd: i32,
    /// Last address per payload kind.
    pub addrs: HashMap<PayloadKind, u64>,
    /// Recent distinct values of the argument, most recent first: `before` at 0, `after` at 1
    /// (`None` until the slot is taken; kept out of `payloads` to spare a lookup per call).
    args: [Option<Values>; 2],
    /// Recent distinct values per payload field, most recent first.
    payloads: HashMap<Slot, Values>,
}

/// The recent distinct values of one field, most recent first.
type Values = VecDeque<Vec<u8>>;

impl Default for RequestState {
    fn default() -> Self {
        RequestState {
            last_arg: 0,
            last_fd: -1,
            addrs: HashMap::default(),
            args: [None, None],
            payloads: HashMap::default(),
        }
    }
}

impl RequestState {
    /// The `k`-th most recent value of `slot`.
    pub fn value(&self, slot: &Slot, k: usize) -> Option<&[u8]> {
        self.slot(slot)?.get(k).map(Vec::as_slice)
    }

    /// The remembered values of `slot`, most recent first.
    pub fn values(&self, slot: &Slot) -> impl Iterator<Item = &[u8]> {
        self.slot(slot).into_iter().flatten().map(Vec::as_slice)
    }

    fn slot(&self, slot: &Slot) -> Option<&Values> {
        match slot.field {
            Field::Arg => self.args[usize::from(slot.after)].as_ref(),
            Field::Payload(_) => self.payloads.get(slot),
        }
    }

    fn slot_mut(&mut self, slot: &Slot) -> Option<&mut Values> {
        match slot.field {
            Field::Arg => self.args[usize::from(slot.after)].as_mut(),
            Field::Payload(_) => self.payloads.get_mut(slot),
        }
    }

    /// Takes `slot` (which has no values yet).
    fn new_slot(&mut self, slot: &Slot) -> &mut Values {
        match slot.field {
            Field::Arg => self.args[usize::from(slot.after)].insert(Values::new()),
            Field::Payload(_) => self.payloads.entry(slot.clone()).or_default(),
        }
    }
}

/// The remembered state of a trace being written or read.
#[derive(Debug, Default)]
pub struct History {
    requests: Vec<u32>,
    index: HashMap<u32, usize>,
    states: Vec<RequestState>,
    slots: usize,
    bytes: usize,
}

impl History {
    /// The table index of `request`, if it has one.
    pub fn index_of(&self, request: u32) -> Option<usize> {
        self.index.get(&request).copied()
    }

    /// The request number at table index `i`.
    pub fn request_at(&self, i: usize) -> Option<u32> {
        self.requests.get(i).copied()
    }

    /// Gives `request` a table entry if it has none and the table has room; its index if it has
    /// one afterwards.
    pub fn add_request(&mut self, request: u32) -> Option<usize> {
        if let Some(i) = self.index_of(request) {
            return Some(i);
        }
        if self.requests.len() >= MAX_REQUESTS {
            return None;
        }
        self.requests.push(request);
        self.states.push(RequestState::default());
        self.index.insert(request, self.requests.len() - 1);
        Some(self.requests.len() - 1)
    }

    /// The state of the request at table index `i`.
    pub fn state(&self, i: usize) -> &RequestState {
        &self.states[i]
    }

    /// Remembers a payload address of the request at `i` (counted as a slot).
    pub fn set_addr(&mut self, i: usize, kind: &PayloadKind, addr: u64) {
        let state = &mut self.states[i];
        if let Some(a) = state.addrs.get_mut(kind) {
            *a = addr;
        } else if self.slots < MAX_SLOTS {
            self.slots += 1;
            state.addrs.insert(kind.clone(), addr);
        }
    }

    /// Remembers the argument pointer and fd of the last call of the request at `i`.
    pub fn set_call(&mut self, i: usize, arg: u64, fd: i32) {
        self.states[i].last_arg = arg;
        self.states[i].last_fd = fd;
    }

    /// Remembers `value` as the most recent value of `slot` of the request at `i` (an equal older
    /// value moves to the front), within the limits the module describes. Empty values are not
    /// remembered.
    pub fn remember(&mut self, i: usize, slot: &Slot, value: &[u8]) {
        if value.is_empty() || value.len() > MAX_VALUE {
            return;
        }
        let state = &mut self.states[i];
        let values = match state.slot_mut(slot) {
            Some(v) => v,
            None => {
                if self.slots >= MAX_SLOTS || self.bytes + value.len() > MAX_BYTES {
                    return;
                }
                self.slots += 1;
                state.new_slot(slot)
            }
        };
        match values.iter().position(|v| v == value) {
            Some(0) => return, // already the most recent
            Some(pos) => {
                if let Some(v) = values.remove(pos) {
                    values.push_front(v);
                }
                return;
            }
            None => {}
        }
        let dropped = if values.len() >= DEPTH {
            values.back().map_or(0, Vec::len)
        } else {
            0
        };
        if self.bytes - dropped + value.len() > MAX_BYTES {
            return;
        }
        // Reuse the evicted value's allocation.
        let mut v = if values.len() >= DEPTH {
            values.pop_back().unwrap_or_default()
        } else {
            Vec::new()
        };
        v.clear();
        v.extend_from_slice(value);
        self.bytes = self.bytes - dropped + value.len();
        values.push_front(v);
    }

    /// Bytes of values remembered now.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg(after: bool) -> Slot {
        Slot {
            field: Field::Arg,
            after,
        }
    }

    #[test]
    fn most_recent_first_and_equal_values_move_up() {
        let mut h = History::default();
        let i = h.add_request(0xc058_560f).unwrap();
        for v in [b"a", b"b", b"c", b"b"] {
            h.remember(i, &arg(false), v);
        }
        let vals: Vec<&[u8]> = h.state(i).values(&arg(false)).collect();
        assert_eq!(vals, [&b"b"[..], b"c", b"a"]);
        assert_eq!(h.bytes(), 3);
        assert!(h.state(i).value(&arg(true), 0).is_none());
    }

    #[test]
    fn depth_is_bounded() {
        let mut h = History::default();
        let i = h.add_request(1).unwrap();
        for n in 0..100u32 {
            h.remember(i, &arg(true), &n.to_le_bytes());
        }
        assert_eq!(h.state(i).values(&arg(true)).count(), DEPTH);
        assert_eq!(h.bytes(), DEPTH * 4);
        assert_eq!(
            h.state(i).value(&arg(true), 0),
            Some(&99u32.to_le_bytes()[..])
        );
    }

    #[test]
    fn limits_hold_against_a_flood() {
        let mut h = History::default();
        for r in 0..(MAX_REQUESTS as u32 + 10) {
            let added = h.add_request(r);
            assert_eq!(added.is_some(), (r as usize) < MAX_REQUESTS);
        }
        assert_eq!(h.add_request(5), Some(5), "an existing entry is found");
        let big = vec![7u8; MAX_VALUE];
        for r in 0..MAX_REQUESTS {
            for k in 0..4u32 {
                let slot = Slot {
                    field: Field::Payload(PayloadKind::Control { index: k }),
                    after: false,
                };
                h.remember(r, &slot, &big);
                h.remember(r, &slot, &[1]);
            }
        }
        assert!(h.bytes() <= MAX_BYTES, "{} bytes", h.bytes());
        assert!(h.slots <= MAX_SLOTS);
        h.remember(0, &arg(false), &vec![1u8; MAX_VALUE + 1]);
        assert!(
            h.state(0).value(&arg(false), 0).is_none(),
            "too large to remember"
        );
    }
}
