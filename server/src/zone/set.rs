//! The table of served zones, swapped atomically.
//!
//! Owns: finding the zone for a query name (longest suffix, RFC 1034 §4.3.2 step 2)
//! and publishing new zone versions. Readers call [`ZoneSet::load`] and never
//! block; writers build a new table beside the old one and swap it in (RCU), so
//! a query or transfer in flight keeps the version it started with.
//!
//! Also owns the prefetch hints for a batch of queries ([`ZoneTable::prefetch`],
//! [`PrefetchHint`]): in a zone of [`PREFETCH_MIN_NODES`] names or more a
//! lookup misses the caches twice (slot line, then node), so a UDP worker
//! first asks the CPU for every query's slot line, then for every node, and
//! only then answers: the misses of a batch overlap instead of following one
//! another. A table without such a zone says so ([`ZoneTable::wants_prefetch`])
//! and its batches skip both passes.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::{ArcSwap, Guard};

use super::table::NodeTable;
use super::{NodeHasher, Zone};
use crate::wire::name;

/// Run-time state of a served zone that changes without a new snapshot.
/// Shared between the table and the zone's lifecycle task (secondaries).
#[derive(Debug, Default)]
pub struct ZoneStatus {
    expired: AtomicBool,
    /// A secondary's EXPIRE deadline (Unix seconds); 0 for none.
    expire_at: AtomicU64,
}

impl ZoneStatus {
    /// True when a secondary zone passed its EXPIRE timer without a successful
    /// refresh: queries get SERVFAIL until a transfer succeeds (RFC 1034 §4.3.5).
    #[inline]
    pub fn is_expired(&self) -> bool {
        self.expired.load(Ordering::Relaxed)
    }

    /// Marks the zone expired or fresh.
    pub fn set_expired(&self, expired: bool) {
        self.expired.store(expired, Ordering::Relaxed);
    }

    /// Sets a secondary's EXPIRE deadline (Unix seconds), for the EDNS
    /// EXPIRE option (RFC 7314); `None` when it is not counting down.
    pub fn set_expire_at(&self, at: Option<u64>) {
        self.expire_at.store(at.unwrap_or(0), Ordering::Relaxed);
    }

    /// A secondary's EXPIRE deadline, when it is counting down.
    pub fn expire_at(&self) -> Option<u64> {
        Some(self.expire_at.load(Ordering::Relaxed)).filter(|&t| t != 0)
    }
}

/// A served zone: the current snapshot and its run-time status.
#[derive(Debug, Clone)]
pub struct Served {
    /// The snapshot.
    pub zone: Arc<Zone>,
    /// Status that outlives snapshots (kept across `insert`s of new versions).
    pub status: Arc<ZoneStatus>,
}

impl Deref for Served {
    type Target = Zone;
    fn deref(&self) -> &Zone {
        &self.zone
    }
}

/// Up to this many zones, [`ZoneTable::find`] compares apexes directly
/// instead of hashing each suffix of the query name.
const FEW_ZONES: usize = 8;

/// Zones of at least this many names (those whose nodes live in huge pages,
/// too large for the CPU caches) get their lookups prefetched; a smaller
/// zone stays cached, and a batch would pay for the hints for nothing.
pub const PREFETCH_MIN_NODES: usize = 1 << 15;

/// What [`ZoneTable::prefetch`] asked the CPU for: the second pass
/// ([`PrefetchHint::prefetch_node`]) reads the slots it brought in.
#[derive(Debug, Clone, Copy)]
pub struct PrefetchHint<'t> {
    nodes: &'t NodeTable,
    hash: u64,
}

impl PrefetchHint<'_> {
    /// Hints the CPU to fetch the node the lookup will read (see
    /// [`NodeTable::prefetch_node`]); returns its address, if a slot's tag matched.
    #[inline]
    pub fn prefetch_node(&self) -> Option<usize> {
        self.nodes.prefetch_node(self.hash)
    }
}

/// An immutable map from apex (lowercase wire) to zone snapshot.
#[derive(Debug, Default)]
pub struct ZoneTable {
    zones: HashMap<Box<[u8]>, Served, NodeHasher>,
    /// Octets in the longest apex: longer suffixes of a query name are not looked up.
    max_len: usize,
    /// Every zone again when there are at most [`FEW_ZONES`] (else empty):
    /// a server with one or a few zones finds them with a length test and
    /// a word compare per suffix, no hashing.
    few: Box<[(Box<[u8]>, Served)]>,
    /// True when a zone holds [`PREFETCH_MIN_NODES`] names or more.
    large: bool,
}

impl ZoneTable {
    /// The zone that is the longest suffix of `qname` (lowercase wire), if any.
    ///
    /// The suffixes are tried longest first, walking the labels once; only
    /// those no longer than the longest apex are looked up.
    #[inline(always)]
    pub fn find(&self, qname: &[u8]) -> Option<&Served> {
        if self.zones.is_empty() {
            return None;
        }
        let mut pos = 0;
        loop {
            let rest = qname.get(pos..)?;
            if rest.len() <= self.max_len {
                if let Some(z) = self.lookup(rest) {
                    return Some(z);
                }
            }
            let l = *rest.first()? as usize;
            if l == 0 {
                return None;
            }
            pos += 1 + l;
        }
    }

    #[inline(always)]
    fn lookup(&self, apex: &[u8]) -> Option<&Served> {
        if self.few.is_empty() {
            return self.zones.get(apex);
        }
        self.few.iter().find(|(a, _)| name::same_octets(a, apex)).map(|(_, z)| z)
    }

    /// True when some zone is large enough for [`ZoneTable::prefetch`] to
    /// hint anything: without one, a batch skips the prefetch passes.
    #[inline]
    pub fn wants_prefetch(&self) -> bool {
        self.large
    }

    /// Hints the CPU to fetch the table slot line where the lookup of
    /// `qname` (lowercase wire) starts, when its zone holds
    /// [`PREFETCH_MIN_NODES`] names or more; the hint then fetches the node.
    /// Changes nothing: `None` whenever there is nothing worth fetching.
    #[inline]
    pub fn prefetch(&self, qname: &[u8]) -> Option<PrefetchHint<'_>> {
        if !self.large {
            return None;
        }
        let nodes = &self.find(qname)?.zone.nodes;
        if nodes.len() < PREFETCH_MIN_NODES {
            return None;
        }
        let hash = super::name_hash(qname);
        nodes.prefetch_slot(hash);
        Some(PrefetchHint { nodes, hash })
    }

    /// The zone with exactly this apex.
    pub fn get(&self, apex: &[u8]) -> Option<&Served> {
        self.zones.get(apex)
    }

    /// All zones.
    pub fn iter(&self) -> impl Iterator<Item = &Served> {
        self.zones.values()
    }

    /// Number of zones.
    pub fn len(&self) -> usize {
        self.zones.len()
    }

    /// True when no zone is served.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    fn rebuilt(&self, f: impl FnOnce(&mut HashMap<Box<[u8]>, Served, NodeHasher>)) -> Self {
        let mut zones = self.zones.clone();
        f(&mut zones);
        let max_len = zones.keys().map(|k| k.len()).max().unwrap_or(0);
        let few = if zones.len() <= FEW_ZONES { zones.iter().map(|(k, z)| (k.clone(), z.clone())).collect() } else { Box::default() };
        let large = zones.values().any(|z| z.nodes.len() >= PREFETCH_MIN_NODES);
        Self { zones, max_len, few, large }
    }
}

/// The served zones. Cheap to share (`Arc<ZoneSet>`); all methods take `&self`.
#[derive(Debug, Default)]
pub struct ZoneSet {
    table: ArcSwap<ZoneTable>,
    /// Serialises writers so two concurrent swaps never lose an update.
    write: Mutex<()>,
}

impl ZoneSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current table; never blocks, never allocates.
    #[inline]
    pub fn load(&self) -> Guard<Arc<ZoneTable>> {
        self.table.load()
    }

    /// A counted reference to the current table (for long-lived readers such as transfers).
    pub fn snapshot(&self) -> Arc<ZoneTable> {
        self.table.load_full()
    }

    /// Publishes `zone`, replacing any version with the same apex (whose
    /// status is kept). Returns the zone's status.
    pub fn insert(&self, zone: Arc<Zone>) -> Arc<ZoneStatus> {
        let _w = self.write.lock().unwrap_or_else(|p| p.into_inner());
        let cur = self.table.load();
        let status = cur.get(&zone.origin).map(|s| s.status.clone()).unwrap_or_default();
        let next = cur.rebuilt(|z| {
            z.insert(zone.origin.clone(), Served { zone, status: status.clone() });
        });
        self.table.store(Arc::new(next));
        status
    }

    /// Stops serving the zone with this apex; returns whether it was served.
    pub fn remove(&self, apex: &[u8]) -> bool {
        let _w = self.write.lock().unwrap_or_else(|p| p.into_inner());
        let cur = self.table.load();
        if cur.get(apex).is_none() {
            return false;
        }
        let next = cur.rebuilt(|z| {
            z.remove(apex);
        });
        self.table.store(Arc::new(next));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::name::from_dotted;
    use crate::zone::{
        build::{build_zone, hosts_zone},
        file::read_zone_str,
    };

    fn zone(origin: &str) -> Arc<Zone> {
        let o = from_dotted(origin).unwrap();
        let text = "@ 3600 IN SOA ns hostmaster 1 7200 3600 1209600 300\n@ 3600 IN NS ns\nns 3600 IN A 192.0.2.1\n";
        Arc::new(build_zone(&o, read_zone_str(text, "t.zone", &o, None).unwrap()).unwrap())
    }

    fn found(set: &ZoneSet, qname: &str) -> Option<String> {
        let table = set.load();
        table.find(&from_dotted(qname).unwrap()).map(|z| name::DisplayName(&z.origin).to_string())
    }

    /// The longest suffix wins, on label boundaries only, the same with a
    /// few zones (compared directly) as with many (hashed).
    #[test]
    fn find_takes_the_longest_suffix_with_few_and_many_zones() {
        for fillers in [0, FEW_ZONES] {
            let set = ZoneSet::new();
            for apex in ["com", "example.com", "sub.example.com", "ample.com"] {
                set.insert(zone(apex));
            }
            for i in 0..fillers {
                set.insert(zone(&format!("z{i}.org")));
            }
            assert_eq!(set.load().few.is_empty(), fillers > 0, "{fillers} fillers");
            let cases = [
                ("www.sub.example.com", Some("sub.example.com.")),
                ("sub.example.com", Some("sub.example.com.")),
                ("xsub.example.com", Some("example.com.")),
                ("example.com", Some("example.com.")),
                ("www.ample.com", Some("ample.com.")),
                ("xample.com", Some("com.")),
                ("com", Some("com.")),
                ("a.b.c.d.e.f.g.z1.org", (fillers > 0).then_some("z1.org.")),
                ("org", None),
                ("example.net", None),
                (".", None),
            ];
            for (q, want) in cases {
                assert_eq!(found(&set, q).as_deref(), want, "{q} with {fillers} fillers");
            }
            set.insert(zone("."));
            assert_eq!(found(&set, "example.net").as_deref(), Some("."));
            assert_eq!(found(&set, ".").as_deref(), Some("."));
            assert_eq!(found(&set, "www.example.com").as_deref(), Some("example.com."));
            assert!(set.remove(&from_dotted("example.com").unwrap()));
            assert_eq!(found(&set, "www.example.com").as_deref(), Some("com."));
        }
        assert_eq!(found(&ZoneSet::new(), "example.com"), None);
    }

    /// Only a zone of PREFETCH_MIN_NODES names is prefetched, and the hint
    /// fetches the very node the lookup reads.
    #[test]
    fn prefetch_hints_only_large_zones_and_finds_the_node() {
        let set = ZoneSet::new();
        set.insert(zone("small.org"));
        let q = |s: &str| from_dotted(s).unwrap();
        assert!(!set.load().wants_prefetch());
        assert!(set.load().prefetch(&q("ns.small.org")).is_none());
        let o = q("big.example");
        let big = Arc::new(hosts_zone("big.example", "h", PREFETCH_MIN_NODES));
        set.insert(big.clone());
        let table = set.load();
        assert!(table.wants_prefetch());
        assert!(table.prefetch(&q("ns.small.org")).is_none(), "a small zone beside a large one");
        assert!(table.prefetch(&q("example.net")).is_none(), "not served");
        for name in ["h0.big.example", "h777.big.example", "big.example"] {
            let n = q(name);
            let at = table.prefetch(&n).and_then(|h| h.prefetch_node());
            assert_eq!(at, big.nodes.get(&n).map(|n| n.memory_order()), "{name}");
            assert!(at.is_some(), "{name}");
        }
        assert!(table.prefetch(&q("nope.big.example")).is_some_and(|h| h.prefetch_node().is_none()));
        set.remove(&o);
        assert!(!set.load().wants_prefetch(), "gone with the zone");
    }
}
