//! The table of served zones, swapped atomically.
//!
//! Owns: finding the zone for a query name (longest suffix, RFC 1034 §4.3.2 step 2)
//! and publishing new zone versions. Readers call [`ZoneSet::load`] and never
//! block; writers build a new table beside the old one and swap it in (RCU), so
//! a query or transfer in flight keeps the version it started with.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::{ArcSwap, Guard};

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

/// An immutable map from apex (lowercase wire) to zone snapshot.
#[derive(Debug, Default)]
pub struct ZoneTable {
    zones: HashMap<Box<[u8]>, Served, NodeHasher>,
    /// Most labels in any apex: the longest-suffix search starts no deeper.
    max_labels: usize,
}

impl ZoneTable {
    /// The zone that is the longest suffix of `qname` (lowercase wire), if any.
    #[inline]
    pub fn find(&self, qname: &[u8]) -> Option<&Served> {
        if self.zones.is_empty() {
            return None;
        }
        let labels = name::label_count(qname);
        let mut n = name::strip_labels(qname, labels.saturating_sub(self.max_labels));
        loop {
            if let Some(z) = self.zones.get(n) {
                return Some(z);
            }
            if n.len() <= 1 {
                return None;
            }
            n = name::parent(n);
        }
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
        let max_labels = zones.keys().map(|k| name::label_count(k)).max().unwrap_or(0);
        Self { zones, max_labels }
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
