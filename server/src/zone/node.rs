//! One owner name and all its RRsets, packed into a single allocation.
//!
//! Owns: the packed node layout and the borrowed views over it ([`Node`],
//! [`Rrset`], [`RdataIter`]).
//! Must not: know about lookups or zones; [`super::table`] indexes nodes and
//! [`super::build`] makes them.
//!
//! A query for a name touches one hash-table slot and then one node: the
//! owner name, the flags, the RRset directory and the answer images sit side
//! by side, so a cold name costs two cache misses instead of one per
//! separate allocation. Nodes are reference-counted, so a new zone version
//! made by a small change shares every untouched node with the old one.
//! A node is one word (a [`Blob`]: a thin pointer carrying the tag of its
//! name's hash), so the table's slots are small and a probe skips other
//! names without reading their nodes.
//!
//! ```text
//!  0        1         2..4       4..4+N   then S × 12            then the images
//!  flags ‖ name len N ‖ S (u16) ‖ name  ‖ type,count,ttl,len … ‖ image 0 ‖ image 1 …
//! ```

use super::blob::{tag_bits, Blob};

use crate::wire::writer::IMAGE_HEADER;

/// Bytes before the owner name.
const HEAD: usize = 4;
/// Bytes per RRset directory entry: type u16, count u16, TTL u32, image length u32.
const DIR: usize = 12;

/// Flags summarising a node, so lookups test one byte instead of scanning RRsets.
pub mod node_flags {
    /// The node owns an NS RRset and is not the apex: a zone cut.
    pub const CUT: u8 = 1;
    /// The node owns a DNAME.
    pub const DNAME: u8 = 2;
    /// The node owns a CNAME.
    pub const CNAME: u8 = 4;
    /// The node has a `*` child (a wildcard directly below it).
    pub const WILDCARD_CHILD: u8 = 8;
    /// The node lies below a zone cut or a DNAME: occluded, never answered (RFC 2181 §6).
    pub const OCCLUDED: u8 = 16;
}

/// An RRset: all records of one owner and type, sharing one TTL (RFC 2181 §5.2),
/// borrowed from its node.
///
/// The records are kept as a wire *image* ready to copy into an answer (see
/// [`crate::wire::writer::push_image`]): per record `C0 0C ‖ TYPE ‖ CLASS ‖ TTL ‖
/// RDLENGTH ‖ RDATA`, owners pointing at the question name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rrset<'a> {
    /// Type number.
    pub rtype: u16,
    /// Number of records.
    pub count: u16,
    /// TTL shared by every record of the set.
    pub ttl: u32,
    /// The wire image of the records.
    pub data: &'a [u8],
}

impl<'a> Rrset<'a> {
    /// Iterates over the RDATA of each record.
    pub fn rdatas(&self) -> RdataIter<'a> {
        RdataIter { data: self.data, pos: 0 }
    }
}

/// Iterator over the RDATA entries of an [`Rrset`].
pub struct RdataIter<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for RdataIter<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let head = self.data.get(self.pos..self.pos + IMAGE_HEADER)?;
        let len = u16::from_be_bytes([head[IMAGE_HEADER - 2], head[IMAGE_HEADER - 1]]) as usize;
        let start = self.pos + IMAGE_HEADER;
        self.pos = start + len;
        self.data.get(start..start + len)
    }
}

/// One RRset to pack: type, count, TTL and its image.
#[derive(Debug, Clone, Copy)]
pub struct SetSpec<'a> {
    /// Type number.
    pub rtype: u16,
    /// Number of records in `image`.
    pub count: u16,
    /// TTL of the set.
    pub ttl: u32,
    /// The wire image (see [`Rrset`]).
    pub image: &'a [u8],
}

impl<'a> From<Rrset<'a>> for SetSpec<'a> {
    fn from(r: Rrset<'a>) -> Self {
        SetSpec { rtype: r.rtype, count: r.count, ttl: r.ttl, image: r.data }
    }
}

/// All RRsets of one owner name. A node with no RRsets is an empty non-terminal.
#[derive(Clone)]
#[repr(transparent)]
pub struct Node {
    blob: Blob,
}

impl PartialEq for Node {
    fn eq(&self, other: &Node) -> bool {
        self.same(other) || self.b() == other.b()
    }
}

impl Eq for Node {}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("name", &crate::wire::name::DisplayName(self.name()).to_string())
            .field("flags", &self.flags())
            .field("rrsets", &self.rrsets().map(|r| (r.rtype, r.count)).collect::<Vec<_>>())
            .finish()
    }
}

impl Node {
    /// Packs `name` (lowercase wire, at most 255 octets), `flags` and `sets`
    /// (sorted by type, at most 65535 of them).
    pub fn new(name: &[u8], flags: u8, sets: &[SetSpec<'_>]) -> Node {
        Node::pack(name, flags, sets.iter().copied())
    }

    /// [`Node::new`] from an iterator walked twice (directory, then images).
    pub fn pack<'a>(name: &[u8], flags: u8, sets: impl Iterator<Item = SetSpec<'a>> + Clone) -> Node {
        let (n, images) = sets.clone().fold((0usize, 0usize), |(n, l), s| (n + 1, l + s.image.len()));
        debug_assert!(name.len() <= 255 && n <= u16::MAX as usize);
        let tag = tag_bits(super::name_hash(name));
        let blob = Blob::new(HEAD + name.len() + DIR * n + images, tag, |b| {
            let mut at = 0;
            let mut put = |src: &[u8]| {
                b[at..at + src.len()].copy_from_slice(src);
                at += src.len();
            };
            put(&[flags, name.len() as u8]);
            put(&(n as u16).to_ne_bytes());
            put(name);
            for s in sets.clone() {
                put(&s.rtype.to_ne_bytes());
                put(&s.count.to_ne_bytes());
                put(&s.ttl.to_ne_bytes());
                put(&(s.image.len() as u32).to_ne_bytes());
            }
            for s in sets {
                put(s.image);
            }
        });
        Node { blob }
    }

    /// The node's bytes (the layout in the module doc).
    #[inline]
    fn b(&self) -> &[u8] {
        self.blob.bytes()
    }

    /// The node, moved into `arena` unless shared or there already.
    pub(super) fn moved_into(self, arena: &mut super::arena::Arena) -> Node {
        Node { blob: self.blob.moved_into(arena) }
    }

    /// True when the node lives in an arena (see [`super::arena`]).
    #[cfg(test)]
    pub(super) fn in_arena(&self) -> bool {
        self.blob.in_arena()
    }

    /// The tag of its name's hash, as [`tag_bits`] places it (for the table).
    #[inline]
    pub(super) fn tag(&self) -> usize {
        self.blob.tag()
    }

    /// An empty non-terminal at `name`.
    pub fn empty(name: &[u8], flags: u8) -> Node {
        Node::new(name, flags, &[])
    }

    /// The owner name, lowercase wire.
    #[inline]
    pub fn name(&self) -> &[u8] {
        let b = self.b();
        &b[HEAD..HEAD + b[1] as usize]
    }

    /// [`node_flags`] bits.
    #[inline]
    pub fn flags(&self) -> u8 {
        self.b()[0]
    }

    /// True when any of `flags` is set.
    #[inline]
    pub fn has(&self, flags: u8) -> bool {
        self.b()[0] & flags != 0
    }

    /// Sets `flags`, copying the node first if another version shares it.
    pub fn set_flags(&mut self, flags: u8) {
        if self.flags() | flags != self.flags() {
            self.blob.make_mut()[0] |= flags;
        }
    }

    /// Number of RRsets.
    #[inline]
    #[allow(clippy::len_without_is_empty)] // no RRsets: see `is_empty_non_terminal`
    pub fn len(&self) -> usize {
        let b = self.b();
        u16::from_ne_bytes([b[2], b[3]]) as usize
    }

    /// True when the node holds no data (an empty non-terminal).
    #[inline]
    pub fn is_empty_non_terminal(&self) -> bool {
        self.len() == 0
    }

    /// Directory entry `i` and where the first image starts.
    #[inline]
    fn dir(&self, i: usize) -> (u16, u16, u32, usize) {
        let b = self.b();
        let at = HEAD + b[1] as usize + DIR * i;
        let d = &b[at..at + DIR];
        (
            u16::from_ne_bytes([d[0], d[1]]),
            u16::from_ne_bytes([d[2], d[3]]),
            u32::from_ne_bytes([d[4], d[5], d[6], d[7]]),
            u32::from_ne_bytes([d[8], d[9], d[10], d[11]]) as usize,
        )
    }

    /// The RRset of type `t`, if any.
    #[inline]
    pub fn get(&self, t: u16) -> Option<Rrset<'_>> {
        self.rrsets().find(|r| r.rtype == t)
    }

    /// The RRsets, sorted by type.
    #[inline]
    pub fn rrsets(&self) -> RrsetIter<'_> {
        let n = self.len();
        RrsetIter { node: self, i: 0, n, pos: HEAD + self.b()[1] as usize + DIR * n }
    }

    /// True when both are the same allocation (shared between zone versions).
    #[inline]
    pub fn same(&self, other: &Node) -> bool {
        self.blob.addr() == other.blob.addr()
    }

    /// True when both hold the same name and RRsets (flags aside): shared
    /// between versions, or packed from the same data.
    #[inline]
    pub fn same_data(&self, other: &Node) -> bool {
        self.same(other) || self.b()[1..] == other.b()[1..]
    }

    /// Octets its records take in uncompressed wire form (each image
    /// record has a 2-octet pointer where the owner name goes).
    pub fn wire_size(&self) -> usize {
        let owner = self.name().len();
        self.rrsets().map(|r| r.data.len() + r.count as usize * owner).sum::<usize>() - 2 * self.rrsets().map(|r| r.count as usize).sum::<usize>()
    }

    /// A key that sorts nodes by where they sit in memory.
    pub fn memory_order(&self) -> usize {
        self.blob.addr()
    }

    /// Octets held by the node's allocation.
    pub fn heap_size(&self) -> usize {
        self.blob.len() + 8
    }
}

/// Iterator over the RRsets of a [`Node`].
#[derive(Clone)]
pub struct RrsetIter<'a> {
    node: &'a Node,
    i: usize,
    n: usize,
    pos: usize,
}

impl<'a> Iterator for RrsetIter<'a> {
    type Item = Rrset<'a>;
    #[inline]
    fn next(&mut self) -> Option<Rrset<'a>> {
        if self.i >= self.n {
            return None;
        }
        let (rtype, count, ttl, len) = self.node.dir(self.i);
        let data = &self.node.b()[self.pos..self.pos + len];
        self.i += 1;
        self.pos += len;
        Some(Rrset { rtype, count, ttl, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_reads_back() {
        let img_a = [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1];
        let img_txt = [0xC0, 0x0C, 0, 16, 0, 1, 0, 0, 1, 44, 0, 2, 1, b'x'];
        let sets = [SetSpec { rtype: 1, count: 1, ttl: 60, image: &img_a }, SetSpec { rtype: 16, count: 1, ttl: 300, image: &img_txt }];
        let mut n = Node::new(b"\x03www\x00", node_flags::CNAME, &sets);
        assert_eq!(n.name(), b"\x03www\x00");
        assert!(n.has(node_flags::CNAME) && !n.has(node_flags::CUT));
        assert_eq!(n.len(), 2);
        let a = n.get(1).unwrap();
        assert_eq!((a.count, a.ttl, a.data), (1, 60, &img_a[..]));
        assert_eq!(a.rdatas().collect::<Vec<_>>(), vec![&[192, 0, 2, 1][..]]);
        assert_eq!(n.get(16).unwrap().rdatas().next(), Some(&b"\x01x"[..]));
        assert!(n.get(28).is_none());
        let shared = n.clone();
        n.set_flags(node_flags::CUT);
        assert!(n.has(node_flags::CUT) && !shared.has(node_flags::CUT) && !n.same(&shared));
        let e = Node::empty(b"\x01a\x00", 0);
        assert!(e.is_empty_non_terminal() && e.rrsets().next().is_none());
    }
}
