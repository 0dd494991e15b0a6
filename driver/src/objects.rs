//! VA object tables: IDs handed to the client mapped to driver objects. Each kind of object
//! has its own ID range so a wrong-kind ID is rejected rather than aliased.

use rustc_hash::FxHashMap;

pub struct Objects<T> {
    /// FxHash: IDs are our own counters, not attacker-chosen keys, so SipHash's DoS resistance
    /// buys nothing and cost about 100 instructions per lookup, several lookups per VA call
    /// (see README, Performance).
    map: FxHashMap<u32, T>,
    next: u32,
    base: u32,
}

impl<T> Objects<T> {
    pub fn new(base: u32) -> Self {
        Objects {
            map: FxHashMap::default(),
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
