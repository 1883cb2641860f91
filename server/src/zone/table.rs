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
//! A table made for a large zone ([`NodeTable::with_capacity`] of at least
//! [`BULK`] nodes) moves each node inserted into an [`Arena`] of huge pages
//! until [`NodeTable::shrink_to_fit`] ends the build.

#![forbid(unsafe_code)]

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
        f.debug_struct("NodeTable")
            .field("len", &self.len)
            .field("slots", &self.slots.len())
            .finish()
    }
}

impl Clone for NodeTable {
    /// The same nodes (shared, not copied) in the same slots.
    fn clone(&self) -> Self {
        NodeTable {
            slots: Slots::from_fn(self.slots.len(), |i| self.slots[i].clone()),
            len: self.len,
            arena: None,
        }
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

impl NodeTable {
    /// An empty table with room for `n` nodes; from 32,768 nodes on (a
    /// zone's build), the nodes inserted move into huge pages until
    /// [`NodeTable::shrink_to_fit`].
    pub fn with_capacity(n: usize) -> Self {
        let arena = (n >= BULK).then(Arena::default);
        NodeTable {
            slots: Slots::from_fn(slots_for(n), |_| None),
            len: 0,
            arena,
        }
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
            let stays = if hole <= j {
                hole < k && k <= j
            } else {
                hole < k || k <= j
            };
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
            let Err(i) = self.probe(node.name(), hash(node.name())) else {
                unreachable!("a name is in a table once")
            };
            self.slots[i] = Some(node);
        }
    }

    /// Octets of the table itself (its slots), not the nodes.
    pub fn table_size(&self) -> usize {
        self.slots.len() * std::mem::size_of::<Option<Node>>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::name::from_dotted;
    use crate::zone::SetSpec;

    fn names(n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| from_dotted(&format!("h{i}.example.")).unwrap_or_default())
            .collect()
    }

    #[test]
    fn inserts_finds_replaces_removes() {
        let names = names(3000);
        let mut t = NodeTable::default();
        assert!(t.get(&names[0]).is_none() && t.remove(&names[0]).is_none());
        for n in &names {
            assert!(t.insert(Node::empty(n, 0)).is_none());
        }
        assert_eq!(t.len(), 3000);
        assert!(t.slots.len() * MAX_LOAD.0 >= t.len() * MAX_LOAD.1);
        let old = t.insert(Node::empty(&names[7], 1));
        assert_eq!(old.map(|o| o.flags()), Some(0));
        assert_eq!(
            (t.len(), t.get(&names[7]).map(Node::flags)),
            (3000, Some(1))
        );
        // Remove every third name: the rest must stay reachable (backward shift).
        for n in names.iter().step_by(3) {
            assert_eq!(t.remove(n).map(|o| o.name().to_vec()), Some(n.clone()));
            assert!(t.remove(n).is_none());
        }
        for (i, n) in names.iter().enumerate() {
            assert_eq!(t.contains(n), i % 3 != 0, "{i}");
        }
        assert_eq!(t.len(), 2000);
        assert_eq!(t.iter().count(), 2000);
        let cap = t.slots.len();
        t.shrink_to_fit();
        assert!(t.slots.len() <= cap && t.slots.len() > t.len());
        let mut over = NodeTable::with_capacity(4 * names.len());
        for n in &names[..100] {
            over.insert(Node::empty(n, 0));
        }
        over.shrink_to_fit();
        assert_eq!(
            over.slots.len(),
            slots_for(100),
            "an estimate far too large is given back"
        );
        assert!(names[..100].iter().all(|n| over.contains(n)));
        let c = t.clone();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(t.get(n).is_some(), i % 3 != 0);
            assert!(c
                .get(n)
                .map_or(i % 3 == 0, |m| t.get(n).is_some_and(|o| o.same(m))));
        }
        if let Some(n) = t.get_mut(&names[1]) {
            n.set_flags(4);
        }
        assert_eq!(
            (
                t.get(&names[1]).map(Node::flags),
                c.get(&names[1]).map(Node::flags)
            ),
            (Some(4), Some(0))
        );
        assert!(!t.contains(b"\x07missing\x00"));
    }

    #[test]
    fn a_large_build_moves_its_nodes_into_an_arena_until_shrunk() {
        let names = names(4);
        let mut small = NodeTable::with_capacity(BULK - 1);
        small.insert(Node::empty(&names[0], 0));
        assert!(small.get(&names[0]).is_some_and(|n| !n.in_arena()));
        let mut t = NodeTable::with_capacity(BULK);
        let shared = Node::empty(&names[1], 0);
        t.insert(Node::empty(&names[0], 0));
        t.insert(shared.clone());
        let on_linux = cfg!(target_os = "linux");
        assert!(t.get(&names[0]).is_some_and(|n| n.in_arena() == on_linux));
        assert!(
            t.get(&names[1])
                .is_some_and(|n| !n.in_arena() && n.same(&shared)),
            "a shared node stays put"
        );
        if let Some(n) = t.get_mut(&names[0]) {
            n.set_flags(2);
        }
        assert!(
            t.get(&names[0])
                .is_some_and(|n| n.in_arena() == on_linux && n.flags() == 2),
            "flags set in place"
        );
        let c = t.clone();
        t.shrink_to_fit();
        t.insert(Node::empty(&names[2], 0));
        assert!(
            t.get(&names[2]).is_some_and(|n| !n.in_arena()),
            "the build is over"
        );
        drop(t);
        assert!(
            c.get(&names[0])
                .is_some_and(|n| n.in_arena() == on_linux && n.name() == &names[0][..]),
            "kept by the clone"
        );
    }

    #[test]
    fn a_new_version_keeps_arena_nodes_after_the_old_one_goes() {
        // Enough 150-byte nodes to fill several chunks.
        let image = [7u8; 100];
        let node = |n: &[u8], flags| {
            let set = SetSpec {
                rtype: 1,
                count: 1,
                ttl: 60,
                image: &image,
            };
            Node::new(n, flags, &[set])
        };
        let names = names(BULK + 8000);
        let mut old = NodeTable::with_capacity(names.len());
        for n in &names {
            old.insert(node(n, 0));
        }
        old.shrink_to_fit();
        assert!(old
            .iter()
            .all(|n| n.in_arena() == cfg!(target_os = "linux")));
        // What a patch does: clone, replace, remove, set flags on shared nodes.
        let mut new = old.clone();
        for (i, n) in names.iter().enumerate() {
            match i % 6 {
                0 => assert!(new.remove(n).is_some()),
                1 => assert!(new.insert(node(n, 1)).is_some()),
                2 => new.get_mut(n).expect("present").set_flags(2),
                _ => {}
            }
        }
        drop(old);
        for (i, n) in names.iter().enumerate() {
            let got = new
                .get(n)
                .map(|m| (m.flags(), m.get(1).map(|r| r.data.to_vec())));
            let want = (i % 6 != 0).then(|| ([0, 1, 2, 0, 0, 0][i % 6], Some(image.to_vec())));
            assert_eq!(got, want, "{i}");
        }
    }

    #[test]
    fn removal_in_a_full_cluster_that_wraps() {
        // A tiny table where most homes collide: every order of removal keeps the rest findable.
        let names = names(6);
        for skip in 0..names.len() {
            let mut t = NodeTable::with_capacity(1);
            for n in &names {
                t.insert(Node::empty(n, 0));
            }
            t.remove(&names[skip]);
            for (i, n) in names.iter().enumerate() {
                assert_eq!(t.contains(n), i != skip);
            }
        }
    }
}
