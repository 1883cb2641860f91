//! Zones: immutable snapshots of authoritative data, and the set of served zones.
//!
//! Owns: the in-memory zone representation ([`Zone`], [`Node`], [`Rrset`]), building
//! a snapshot from records with the semantic checks of RFC 1034/2181/6672
//! ([`build`]), the RFC 1035 master-file reader ([`file`]), the lookup
//! algorithm of RFC 1034 §4.3.2 ([`lookup`]) and the atomically swapped
//! table of served zones ([`set`]).
//! Must not: do network I/O, or lock on the query path. A snapshot never changes
//! once built; a new version is built beside it and swapped in.

#[allow(unsafe_code)]
mod arena;
#[allow(unsafe_code)]
mod blob;
pub mod build;
pub mod file;
#[allow(unsafe_code)]
mod huge;
pub mod limits;
pub mod lookup;
mod node;
pub mod patch;
pub mod rebase;
pub mod set;
mod table;

pub use node::{node_flags, Node, RdataIter, Rrset, RrsetIter, SetSpec};
pub use table::NodeTable;

use foldhash::fast::FixedState;

use crate::wire::rtype;

/// One record as read from a zone file (or, later, a transfer or the control API),
/// before it is grouped into RRsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Owner in lowercase uncompressed wire form.
    pub owner: Box<[u8]>,
    /// Type number.
    pub rtype: u16,
    /// Class number (IN for all served data).
    pub class: u16,
    /// Time to live.
    pub ttl: u32,
    /// RDATA in uncompressed wire form; names inside keep their case.
    pub rdata: Box<[u8]>,
    /// Where the record came from, for error messages: source index into
    /// [`RecordSource::files`] and 1-based line.
    pub src: SourcePos,
}

/// A position in a zone file: which file (index into the list of files read,
/// so `$INCLUDE` is reported precisely) and which line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SourcePos {
    /// Index into the list of files read for this zone.
    pub file: u16,
    /// 1-based line number.
    pub line: u32,
}

/// All records of one zone with the files they came from.
#[derive(Debug, Clone, Default)]
pub struct RecordSource {
    /// Files read, main file first; [`SourcePos::file`] indexes into this.
    pub files: Vec<String>,
    /// The records in file order.
    pub records: Vec<Record>,
}

impl RecordSource {
    /// `file:line` for a position, for error messages.
    pub fn locate(&self, pos: SourcePos) -> String {
        let f = self.files.get(pos.file as usize).map(String::as_str).unwrap_or("<zone>");
        format!("{f}:{}", pos.line)
    }
}

/// The hasher for node tables: fast, and fixed so lookups need no per-table state.
pub type NodeHasher = FixedState;

/// The hash of a lowercase wire name with [`NodeHasher`]: where the node table
/// puts the name, and the tag its node carries.
#[inline]
pub(crate) fn name_hash(name: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    NodeHasher::default().hash_one(name)
}

/// An immutable snapshot of one zone version.
#[derive(Debug)]
pub struct Zone {
    /// Apex in lowercase wire form.
    pub origin: Box<[u8]>,
    /// Labels in the apex (not counting the root).
    pub origin_labels: usize,
    /// Serial of the apex SOA.
    pub serial: u32,
    /// TTL to use on the SOA in negative answers: min(SOA TTL, SOA MINIMUM) (RFC 2308 §3).
    pub negative_ttl: u32,
    /// Every owner name and every empty non-terminal, keyed by lowercase wire name.
    pub nodes: NodeTable,
    /// The apex node (also in `nodes`), kept at hand: every negative answer needs its SOA.
    pub apex: Node,
    /// True when the zone holds any wildcard owner (skips the wildcard probe otherwise).
    pub has_wildcards: bool,
    /// True when the zone holds any DNAME.
    pub has_dnames: bool,
    /// Number of records (counted once when built or patched).
    pub records: usize,
    /// Number of names holding data (empty non-terminals aside).
    pub owners: usize,
    /// The nodes in memory order, made by the first transfer of this version
    /// and kept for the next ones (see [`Zone::in_memory_order`]).
    pub transfer_order: std::sync::OnceLock<Box<[Node]>>,
    /// Octets of every record (the SOA once) in uncompressed wire form: the
    /// zone's size for the journal's bound (RFC 1995 §5), kept up to date
    /// when built or patched.
    pub wire_size: usize,
}

impl Zone {
    /// The node at `name` (lowercase wire), if it exists.
    #[inline]
    pub fn node(&self, name: &[u8]) -> Option<&Node> {
        self.nodes.get(name)
    }

    /// The apex node.
    #[inline]
    pub fn apex(&self) -> &Node {
        &self.apex
    }

    /// The apex SOA RRset.
    #[inline]
    pub fn soa(&self) -> Rrset<'_> {
        self.apex().get(rtype::SOA).expect("zone built without SOA")
    }

    /// The nodes in the order they sit in memory (for a zone built from a
    /// file, close to the order they were built in): a walk over them
    /// streams through memory instead of jumping around it in hash order.
    /// Made once per version, on first use (zone transfers).
    pub fn in_memory_order(&self) -> &[Node] {
        self.transfer_order.get_or_init(|| {
            let mut nodes: Vec<Node> = self.nodes.iter().cloned().collect();
            nodes.sort_unstable_by_key(Node::memory_order);
            nodes.into_boxed_slice()
        })
    }

    /// Number of records in the zone.
    pub fn record_count(&self) -> usize {
        self.records
    }
}
