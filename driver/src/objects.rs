//! VA object tables: IDs handed to the client mapped to driver objects. Each kind of object
//! has its own ID range so a wrong-kind ID is rejected rather than aliased.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Hashes a VA ID with one multiplication (Fibonacci hashing: odd multiplier, so distinct IDs
/// keep distinct low bits, and the high bits hashbrown uses as tags are mixed). IDs are our own
/// counters, not attacker-chosen keys: SipHash's DoS resistance buys nothing here and cost about
/// 100 instructions per lookup, several lookups per VA call (see README, Performance).
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

pub struct Objects<T> {
    map: HashMap<u32, T, BuildHasherDefault<IdHasher>>,
    next: u32,
    base: u32,
}

impl<T> Objects<T> {
    pub fn new(base: u32) -> Self {
        Objects {
            map: HashMap::default(),
            next: 0,
            base,
        }
    }

    pub fn insert(&mut self, v: T) -> u32 {
        self.next = self.next.wrapping_add(1) & 0x00ff_ffff;
        let id = self.base | self.next;
        self.map.insert(id, v);
        id
    }

    /// Puts back an object taken out with [`Objects::remove`], under the same ID.
    pub fn restore(&mut self, id: u32, v: T) {
        self.map.insert(id, v);
    }

    pub fn get(&self, id: u32) -> Option<&T> {
        self.map.get(&id)
    }

    pub fn get_mut(&mut self, id: u32) -> Option<&mut T> {
        self.map.get_mut(&id)
    }

    pub fn remove(&mut self, id: u32) -> Option<T> {
        self.map.remove(&id)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&u32, &T)> {
        self.map.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&u32, &mut T)> {
        self.map.iter_mut()
    }

    pub fn clear(&mut self) {
        self.map.clear()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

pub const CONFIG_BASE: u32 = 0x0100_0000;
pub const CONTEXT_BASE: u32 = 0x0200_0000;
pub const SURFACE_BASE: u32 = 0x0400_0000;
pub const BUFFER_BASE: u32 = 0x0800_0000;
pub const IMAGE_BASE: u32 = 0x1000_0000;
