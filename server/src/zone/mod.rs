//! Zones: immutable snapshots of authoritative data, and the set of served zones.
//!
//! Owns: the in-memory zone representation ([`Zone`], [`Node`], [`Rrset`]), building
//! a snapshot from records with the semantic checks of RFC 1034/2181/6672
//! ([`build`]), the RFC 1035 master-file reader ([`file`]), the lookup
//! algorithm of RFC 1034 §4.3.2 ([`lookup`]) and the atomically swapped
//! table of served zones ([`set`]).
//! Must not: do network I/O, or lock on the query path. A snapshot never changes
//! once built; a new version is built beside it and swapped in.

pub mod build;
pub mod file;
pub mod lookup;
pub mod set;

use foldhash::fast::FixedState;
use std::collections::HashMap;

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

/// An RRset: all records of one owner and type, sharing one TTL (RFC 2181 §5.2).
///
/// The records are kept as a wire *image* ready to copy into an answer (see
/// [`crate::wire::writer::push_image`]): per record `C0 0C ‖ TYPE ‖ CLASS ‖ TTL ‖
/// RDLENGTH ‖ RDATA`, owners pointing at the question name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rrset {
    /// Type number.
    pub rtype: u16,
    /// Number of records.
    pub count: u16,
    /// TTL shared by every record of the set.
    pub ttl: u32,
    /// The wire image of the records.
    pub data: Box<[u8]>,
}

impl Rrset {
    /// Iterates over the RDATA of each record.
    pub fn rdatas(&self) -> RdataIter<'_> {
        RdataIter { data: &self.data, pos: 0 }
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
        const H: usize = crate::wire::writer::IMAGE_HEADER;
        if self.pos + H > self.data.len() {
            return None;
        }
        let len = u16::from_be_bytes([self.data[self.pos + H - 2], self.data[self.pos + H - 1]]) as usize;
        let start = self.pos + H;
        self.pos = start + len;
        Some(&self.data[start..start + len])
    }
}

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

/// All RRsets of one owner name. A node with no RRsets is an empty non-terminal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    /// The RRsets, sorted by type.
    pub rrsets: Box<[Rrset]>,
    /// [`node_flags`] bits.
    pub flags: u8,
}

impl Node {
    /// The RRset of type `t`, if any.
    #[inline]
    pub fn get(&self, t: u16) -> Option<&Rrset> {
        self.rrsets.iter().find(|r| r.rtype == t)
    }

    /// True when the node holds no data (an empty non-terminal).
    #[inline]
    pub fn is_empty_non_terminal(&self) -> bool {
        self.rrsets.is_empty()
    }

    /// True when any of `flags` is set.
    #[inline]
    pub fn has(&self, flags: u8) -> bool {
        self.flags & flags != 0
    }
}

/// The hasher for node tables: fast, and fixed so lookups need no per-table state.
pub type NodeHasher = FixedState;

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
    pub nodes: HashMap<Box<[u8]>, Node, NodeHasher>,
    /// True when the zone holds any wildcard owner (skips the wildcard probe otherwise).
    pub has_wildcards: bool,
    /// True when the zone holds any DNAME.
    pub has_dnames: bool,
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
        // The builder guarantees the apex exists with an SOA.
        &self.nodes[&self.origin]
    }

    /// The apex SOA RRset.
    #[inline]
    pub fn soa(&self) -> &Rrset {
        self.apex().get(rtype::SOA).expect("zone built without SOA")
    }

    /// Number of records in the zone.
    pub fn record_count(&self) -> usize {
        self.nodes.values().flat_map(|n| n.rrsets.iter()).map(|r| r.count as usize).sum()
    }
}
