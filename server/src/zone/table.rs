//! The index of a zone's nodes by owner name.
//!
//! Owns: hashing owner names and finding, inserting, replacing and removing
//! [`Node`]s. The table holds only the nodes (a pointer and a length each);
//! the names live inside the nodes, so a lookup reads one slot and one node.
//! Must not: know about zone semantics (flags, cuts); [`super::build`] does.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use super::node::Node;
use super::NodeHasher;

/// Nodes keyed by their lowercase wire owner name.
#[derive(Clone, Default)]
pub struct NodeTable {
    table: HashTable<Node>,
}

impl std::fmt::Debug for NodeTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeTable").field("len", &self.table.len()).finish()
    }
}

#[inline]
fn hash(name: &[u8]) -> u64 {
    NodeHasher::default().hash_one(name)
}

impl NodeTable {
    /// An empty table with room for `n` nodes.
    pub fn with_capacity(n: usize) -> Self {
        NodeTable { table: HashTable::with_capacity(n) }
    }

    /// The node at `name`, if any.
    #[inline]
    pub fn get(&self, name: &[u8]) -> Option<&Node> {
        self.table.find(hash(name), |n| n.name() == name)
    }

    /// True when a node exists at `name`.
    #[inline]
    pub fn contains(&self, name: &[u8]) -> bool {
        self.get(name).is_some()
    }

    /// The node at `name`, for changing its flags.
    pub fn get_mut(&mut self, name: &[u8]) -> Option<&mut Node> {
        self.table.find_mut(hash(name), |n| n.name() == name)
    }

    /// Inserts `node`, replacing (and returning) any node with the same name.
    pub fn insert(&mut self, node: Node) -> Option<Node> {
        let h = hash(node.name());
        match self.table.find_mut(h, |n| n.name() == node.name()) {
            Some(slot) => Some(std::mem::replace(slot, node)),
            None => {
                self.table.insert_unique(h, node, |n| hash(n.name()));
                None
            }
        }
    }

    /// Removes the node at `name`.
    pub fn remove(&mut self, name: &[u8]) -> Option<Node> {
        match self.table.find_entry(hash(name), |n| n.name() == name) {
            Ok(e) => Some(e.remove().0),
            Err(_) => None,
        }
    }

    /// Every node, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Node> + '_ {
        self.table.iter()
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True when there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Gives back spare capacity.
    pub fn shrink_to_fit(&mut self) {
        self.table.shrink_to_fit(|n| hash(n.name()));
    }

    /// Octets of the table itself (slots and control bytes), not the nodes.
    pub fn table_size(&self) -> usize {
        self.table.capacity() * (std::mem::size_of::<Node>() + 1)
    }
}
