//! The index of a zone's nodes by owner name.
//!
//! Owns: hashing owner names and finding, inserting, replacing and removing
//! [`Node`]s. The table holds only the nodes (one tagged pointer each, see
//! [`super::blob`]); the names live inside the nodes.
//! Must not: know about zone semantics (flags, cuts); [`super::build`] does.
//!
//! Open addressing with linear probing over one array of 8-byte slots, at
//! most [`MAX_LOAD`] full. A name's hash picks its home slot and gives the
//! 16-bit tag its node carries in the pointer, so a probe compares tags
//! within the slot's cache line and reads a node only when the tag matches
//! (one in 65,536 for another name): a lookup in a zone too large for the
//! CPU caches costs one miss for the slot line and one for the node, where a
//! table of control bytes beside separate buckets costs three.
//! Removal shifts the following entries back, so there are no tombstones.
//!
//! [`NodeTable::prefetch_slot`] and [`NodeTable::prefetch_node`] let a
//! caller with many lookups to do (a UDP worker's batch) overlap their
//! misses: first ask for every slot line, then (those lines now arriving)
//! for every node whose tag matches, then look up for real. Both are hints
//! only: they read slots, never nodes, and change nothing.
//!
//! A table made for a large zone ([`NodeTable::with_capacity`] of at least
//! [`BULK`] nodes) moves each node inserted into an [`Arena`] of huge pages
//! until [`NodeTable::shrink_to_fit`] ends the build.

// Safe code only, but for the one prefetch instruction in `prefetch_line`.
#![deny(unsafe_code)]

use super::arena::Arena;
use super::huge::HugeSlice;
use super::node::Node;

/// The slot array: in huge pages once it spans one (see [`super::huge`]).
type Slots = HugeSlice<Option<Node>>;

/// Fill above which the table grows (numerator, denominator).
const MAX_LOAD: (usize, usize) = (4, 5);
/// Fill after sizing or growing: probes stay short (1.8 on average for a
/// name present, 4 for one absent) and a few inserts fit before growing.
const SIZED_LOAD: (usize, usize) = (5, 8);

/// Nodes expected by a build from which they go to an arena: enough to
/// fill a few huge pages (a smaller zone keeps its nodes on the heap).
const BULK: usize = 1 << 15;

/// Nodes keyed by their lowercase wire owner name.
#[derive(Default)]
pub struct NodeTable {
    slots: Slots,
    len: usize,
    /// Where inserted nodes move while a large zone is built.
    arena: Option<Arena>,
}

impl std::fmt::Debug for NodeTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeTable").field("len", &self.len).field("slots", &self.slots.len()).finish()
    }
}

impl Clone for NodeTable {
    /// The same nodes (shared, not copied) in the same slots.
    fn clone(&self) -> Self {
        NodeTable { slots: Slots::from_fn(self.slots.len(), |i| self.slots[i].clone()), len: self.len, arena: None }
    }
}

#[inline]
fn hash(name: &[u8]) -> u64 {
    super::name_hash(name)
}

/// The home slot of `h` in a table of `cap` slots (the high bits of the
/// hash scaled to the table; the tag is the low bits).
#[inline]
fn home(h: u64, cap: usize) -> usize {
    ((h as u128 * cap as u128) >> 64) as usize
}

/// Slots for `n` nodes at [`SIZED_LOAD`] (none for none).
fn slots_for(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        (n * SIZED_LOAD.1 / SIZED_LOAD.0).max(n + 1).max(8)
    }
}

/// Slots [`NodeTable::prefetch_node`] reads at most: a probe for a name
/// present is 1.8 slots long on average, so a longer one is left to the lookup.
const PREFETCH_PROBE: usize = 8;

/// Asks the CPU to fetch the cache line holding `addr` into every cache
/// level. A hint: it never faults and changes no result (nothing on targets
/// other than x86-64).
#[inline(always)]
#[allow(unsafe_code)]
pub(crate) fn prefetch_line(addr: usize) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse"))]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: SSE is enabled (the cfg above; x86-64 always has it), and
        // PREFETCHT0 reads nothing the program sees and never faults, for
        // any address (the intrinsic is only unsafe for its target feature).
        unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::without_provenance(addr)) };
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse")))]
    let _ = addr;
}

impl NodeTable {
    /// Hints the CPU to fetch the slot line where a probe for the name of
    /// hash `h` ([`super::name_hash`]) starts.
    #[inline]
    pub fn prefetch_slot(&self, h: u64) {
        if let Some(slot) = self.slots.get(home(h, self.slots.len())) {
            prefetch_line(std::ptr::from_ref(slot).addr());
        }
    }

    /// Hints the CPU to fetch the first two lines of the node a lookup of
    /// the name of hash `h` would read: the first one whose tag matches
    /// along the probe (reading slots only, at most [`PREFETCH_PROBE`]).
    /// Returns that node's address ([`Node::memory_order`]), if any.
    #[inline]
    pub fn prefetch_node(&self, h: u64) -> Option<usize> {
        let cap = self.slots.len();
        let tag = super::blob::tag_bits(h);
        let mut i = home(h, cap);
        for _ in 0..PREFETCH_PROBE.min(cap) {
            match &self.slots[i] {
                None => return None,
                Some(n) if n.tag() == tag => {
                    let at = n.memory_order();
                    prefetch_line(at);
                    prefetch_line(at + 64);
                    return Some(at);
                }
                Some(_) => {}
            }
            i += 1;
            if i == cap {
                i = 0;
            }
        }
        None
    }

    /// An empty table with room for `n` nodes; from 32,768 nodes on (a
    /// zone's build), the nodes inserted move into huge pages until
    /// [`NodeTable::shrink_to_fit`].
    pub fn with_capacity(n: usize) -> Self {
        let arena = (n >= BULK).then(Arena::default);
        NodeTable { slots: Slots::from_fn(slots_for(n), |_| None), len: 0, arena }
    }

    /// The slot holding `name`, or the empty slot that ends its probe.
    #[inline]
    fn probe(&self, name: &[u8], h: u64) -> Result<usize, usize> {
        let cap = self.slots.len();
        let tag = super::blob::tag_bits(h);
        let mut i = home(h, cap);
        // The table is never full (MAX_LOAD < 1), so an empty slot ends the walk.
        loop {
            match &self.slots[i] {
                None => return Err(i),
                Some(n) if n.tag() == tag && n.name() == name => return Ok(i),
                Some(_) => {}
            }
            i += 1;
            if i == cap {
                i = 0;
            }
        }
    }

    /// The node at `name`, if any.
    #[inline]
    pub fn get(&self, name: &[u8]) -> Option<&Node> {
        if self.len == 0 {
            return None;
        }
        let i = self.probe(name, hash(name)).ok()?;
        self.slots[i].as_ref()
    }

    /// True when a node exists at `name`.
    #[inline]
    pub fn contains(&self, name: &[u8]) -> bool {
        self.get(name).is_some()
    }

    /// The node at `name`, for changing its flags (replace a node with
    /// [`NodeTable::insert`]).
    pub fn get_mut(&mut self, name: &[u8]) -> Option<&mut Node> {
        if self.len == 0 {
            return None;
        }
        let i = self.probe(name, hash(name)).ok()?;
        self.slots[i].as_mut()
    }

    /// Inserts `node`, replacing (and returning) any node with the same name.
    pub fn insert(&mut self, node: Node) -> Option<Node> {
        let node = match &mut self.arena {
            Some(a) => node.moved_into(a),
            None => node,
        };
        let h = hash(node.name());
        if (self.len + 1) * MAX_LOAD.1 > self.slots.len() * MAX_LOAD.0 {
            self.resize(slots_for(self.len + 1).max(self.slots.len() * 2));
        }
        match self.probe(node.name(), h) {
            Ok(i) => self.slots[i].replace(node),
            Err(i) => {
                self.slots[i] = Some(node);
                self.len += 1;
                None
            }
        }
    }

    /// Removes the node at `name`.
    pub fn remove(&mut self, name: &[u8]) -> Option<Node> {
        if self.len == 0 {
            return None;
        }
        let mut hole = self.probe(name, hash(name)).ok()?;
        let gone = self.slots[hole].take();
        self.len -= 1;
        // Move back each following entry whose probe passes the hole, so no
        // probe meets an empty slot before its node.
        let cap = self.slots.len();
        let mut j = hole;
        loop {
            j = if j + 1 == cap { 0 } else { j + 1 };
            let Some(n) = &self.slots[j] else { break };
            let k = home(hash(n.name()), cap);
            // The entry at j (home k) may fill the hole unless k lies
            // cyclically in (hole, j].
            let stays = if hole <= j { hole < k && k <= j } else { hole < k || k <= j };
            if !stays {
                self.slots[hole] = self.slots[j].take();
                hole = j;
            }
        }
        gone
    }

    /// Every node, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Node> + '_ {
        self.slots.iter().flatten()
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Gives back spare capacity, and ends the moves into an arena (the
    /// nodes keep its chunks).
    pub fn shrink_to_fit(&mut self) {
        self.arena = None;
        // Only when it saves a quarter or more: moving every node reads
        // every node (a cache miss each in a large zone), for a few percent
        // of the table when the build's estimate was close.
        let want = slots_for(self.len);
        if want * 4 <= self.slots.len() * 3 {
            self.resize(want);
        }
    }

    /// Moves every node into a table of `cap` slots.
    fn resize(&mut self, cap: usize) {
        let mut old = std::mem::replace(&mut self.slots, Slots::from_fn(cap, |_| None));
        for node in old.iter_mut().filter_map(Option::take) {
            let Err(i) = self.probe(node.name(), hash(node.name())) else { unreachable!("a name is in a table once") };
            self.slots[i] = Some(node);
        }
    }

    /// Octets of the table itself (its slots), not the nodes.
    pub fn table_size(&self) -> usize {
        self.slots.len() * std::mem::size_of::<Option<Node>>()
    }
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
