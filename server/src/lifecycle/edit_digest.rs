//! A zone's content hash: order-independent and updated from a diff, so an
//! edit of a big zone does not rehash it.
//!
//! Each record (owner lowercased, type, TTL, RDATA; the SOA with its serial
//! zeroed) is hashed with SHA-256 and the digests are added lane by lane
//! (four wrapping 64-bit sums): equal content gives an equal hash whatever
//! the order or the serial, and the next version's hash is the previous one
//! minus the records a diff removes plus those it adds. It detects change;
//! it is not meant to resist someone crafting collisions.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use sha2::{Digest, Sha256};

use crate::xfr::diff::{body_records, soa_rr, Diff, Rr};
use crate::zone::Zone;

/// The sum of the records' SHA-256 digests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContentDigest([u64; 4]);

fn record_digest(owner: &[u8], rtype: u16, ttl: u32, rdata: &[u8]) -> [u64; 4] {
    let mut h = Sha256::new();
    h.update([owner.len() as u8]);
    h.update(owner);
    h.update(rtype.to_be_bytes());
    h.update(ttl.to_be_bytes());
    h.update((rdata.len() as u16).to_be_bytes());
    h.update(rdata);
    let d = h.finalize();
    std::array::from_fn(|i| u64::from_be_bytes(d[i * 8..i * 8 + 8].try_into().expect("8 octets")))
}

/// The SOA as hashed: serial zeroed.
fn soa_digest(soa: &Rr) -> [u64; 4] {
    let rdata = super::with_serial(&soa.rdata, 0).unwrap_or_else(|| soa.rdata.to_vec());
    record_digest(&soa.owner, soa.rtype, soa.ttl, &rdata)
}

impl ContentDigest {
    fn add(&mut self, d: [u64; 4]) {
        for (a, b) in self.0.iter_mut().zip(d) {
            *a = a.wrapping_add(b);
        }
    }

    fn sub(&mut self, d: [u64; 4]) {
        for (a, b) in self.0.iter_mut().zip(d) {
            *a = a.wrapping_sub(b);
        }
    }

    /// The digest of every record of `zone` (linear in its size).
    pub fn of(zone: &Zone) -> Self {
        let mut s = Self::default();
        s.add(soa_digest(&soa_rr(zone)));
        for (o, t, ttl, d) in body_records(zone) {
            s.add(record_digest(o, t, ttl, d));
        }
        s
    }

    /// The digest of the version `diff` leads to from the one `self` is of.
    pub fn apply(mut self, diff: &Diff) -> Self {
        self.sub(soa_digest(&diff.from_soa));
        self.add(soa_digest(&diff.to_soa));
        for r in &diff.removed {
            self.sub(record_digest(&r.owner, r.rtype, r.ttl, &r.rdata));
        }
        for r in &diff.added {
            self.add(record_digest(&r.owner, r.rtype, r.ttl, &r.rdata));
        }
        self
    }

    /// 64 hex digits.
    pub fn hex(&self) -> String {
        self.0.iter().map(|l| format!("{l:016x}")).collect()
    }
}

/// The content hash of `zone` (hex), computed in full.
pub fn content_hash(zone: &Zone) -> String {
    ContentDigest::of(zone).hex()
}

/// A digest and the version it is of.
type Cached = (Weak<Zone>, ContentDigest);

/// The digest of the last version seen of each zone, so a request or an
/// edit hashes a version at most once.
#[derive(Debug, Default)]
pub struct DigestCache {
    map: Mutex<HashMap<Box<[u8]>, Cached>>,
}

impl DigestCache {
    /// The digest of `zone`, from the cache or computed (blocking: linear in
    /// the zone's size when not cached).
    pub fn get(&self, zone: &Arc<Zone>) -> ContentDigest {
        let hit = self
            .map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&zone.origin)
            .filter(|(w, _)| w.upgrade().is_some_and(|z| Arc::ptr_eq(&z, zone)))
            .map(|(_, d)| *d);
        hit.unwrap_or_else(|| {
            let d = ContentDigest::of(zone);
            self.put(zone, d);
            d
        })
    }

    /// Remembers `d` as the digest of `zone`.
    pub fn put(&self, zone: &Arc<Zone>, d: ContentDigest) {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).insert(zone.origin.clone(), (Arc::downgrade(zone), d));
    }

    /// Forgets the zone at `apex` (deleted).
    pub fn forget(&self, apex: &[u8]) {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).remove(apex);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xfr::diff::diff_zones;
    use crate::xfr::diff::fixtures::zone;

    #[test]
    fn ignores_order_and_serial_follows_diffs() {
        let a = zone(1, "www IN A 192.0.2.10\nwww IN A 192.0.2.11\n");
        let b = zone(7, "www IN A 192.0.2.11\nwww IN A 192.0.2.10\n");
        let c = zone(8, "www 60 IN A 192.0.2.12\nnew IN TXT \"x\"\n");
        assert_eq!(content_hash(&a), content_hash(&b));
        assert_ne!(content_hash(&a), content_hash(&c));
        assert_eq!(content_hash(&a).len(), 64);
        assert_eq!(ContentDigest::of(&b).apply(&diff_zones(&b, &c)), ContentDigest::of(&c));
        assert_eq!(ContentDigest::of(&c).apply(&diff_zones(&c, &a)), ContentDigest::of(&a));
        let cache = DigestCache::default();
        let z = Arc::new(c);
        assert_eq!(cache.get(&z), ContentDigest::of(&z));
        cache.put(&z, ContentDigest::default());
        assert_eq!(cache.get(&z), ContentDigest::default(), "cached for this version");
        assert_eq!(cache.get(&Arc::new(zone(8, ""))), ContentDigest::of(&zone(8, "")), "another version misses");
    }
}
