//! Differences between two versions of a zone: the unit of IXFR (RFC 1995).
//!
//! Owns: the [`Diff`] between two snapshots (records removed, records added,
//! and the SOA before and after), computing it ([`diff_zones`]), applying it
//! to a snapshot ([`apply`], the check RFC 1995 §4 calls "inconsistent"
//! history), and condensing a run of diffs into one ([`condense`], RFC 1995 §5).
//! Must not: build snapshots (callers pass the records to
//! [`build_zone`](crate::zone::build::build_zone)), render messages, or do I/O.
//!
//! A diff is a set difference over whole records `(owner, type, TTL, RDATA)`:
//! a TTL change is a removal plus an addition. The SOA appears only as
//! [`Diff::from_soa`] and [`Diff::to_soa`], never in the lists. Owners are
//! lowercase wire names; RDATA is compared octet for octet.

use std::collections::{HashMap, HashSet};

use crate::wire::name::{lowercase_wire, DisplayName};
use crate::wire::rtype::{self, TypeName};
use crate::zone::build::soa_fields;
use crate::zone::file::format_rdata;
use crate::zone::{Record, RecordSource, Rrset, SourcePos, Zone};

/// One resource record of class IN, in uncompressed wire form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rr {
    /// Owner, lowercase wire form.
    pub owner: Box<[u8]>,
    /// Type number.
    pub rtype: u16,
    /// Time to live.
    pub ttl: u32,
    /// RDATA, uncompressed.
    pub rdata: Box<[u8]>,
}

impl Rr {
    /// A record from borrowed parts.
    pub fn new(owner: &[u8], rtype: u16, ttl: u32, rdata: &[u8]) -> Self {
        Self { owner: owner.into(), rtype, ttl, rdata: rdata.into() }
    }

    /// Octets the record takes in a message without compression.
    pub fn wire_size(&self) -> usize {
        self.owner.len() + 10 + self.rdata.len()
    }

    /// The serial when this is a well-formed SOA record.
    pub fn soa_serial(&self) -> Option<u32> {
        (self.rtype == rtype::SOA).then(|| soa_fields(&self.rdata).map(|f| f.0)).flatten()
    }
}

impl std::fmt::Display for Rr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} IN {} {}", DisplayName(&self.owner), self.ttl, TypeName(self.rtype), format_rdata(self.rtype, &self.rdata))
    }
}

/// The change from one zone version to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    /// The SOA of the older version.
    pub from_soa: Rr,
    /// The SOA of the newer version.
    pub to_soa: Rr,
    /// Records of the older version that the newer one lacks (SOA excluded).
    pub removed: Vec<Rr>,
    /// Records of the newer version that the older one lacks (SOA excluded).
    pub added: Vec<Rr>,
}

impl Diff {
    /// Serial of the older version (0 when `from_soa` is not a valid SOA;
    /// diffs built here and loaded from disk always carry valid SOAs).
    pub fn from_serial(&self) -> u32 {
        self.from_soa.soa_serial().unwrap_or(0)
    }

    /// Serial of the newer version.
    pub fn to_serial(&self) -> u32 {
        self.to_soa.soa_serial().unwrap_or(0)
    }

    /// Octets the diff takes in an IXFR response without compression: the
    /// measure the journal bounds (RFC 1995 §5 "exceeds the zone size").
    pub fn wire_size(&self) -> usize {
        self.from_soa.wire_size() + self.to_soa.wire_size() + self.removed.iter().chain(&self.added).map(Rr::wire_size).sum::<usize>()
    }

    /// Number of records removed plus added.
    pub fn change_count(&self) -> usize {
        self.removed.len() + self.added.len()
    }
}

/// Why a diff does not apply to a zone. Any of these means the history is
/// inconsistent (RFC 1995 §4): the caller falls back to a full transfer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// The diff starts from another version than the zone holds.
    #[error("diff starts at serial {diff} but the zone is at serial {zone}")]
    SerialMismatch {
        /// The zone's serial.
        zone: u32,
        /// The diff's starting serial.
        diff: u32,
    },
    /// A removal names a record the zone does not hold.
    #[error("cannot delete {0}: not in the zone")]
    Absent(String),
    /// An addition names a record the zone already holds.
    #[error("cannot add {0}: already in the zone")]
    Exists(String),
    /// An SOA in the removed or added list, or a target SOA that is not one.
    #[error("malformed diff: {0}")]
    BadSoa(String),
}

/// The apex SOA of `zone` as a record.
pub fn soa_rr(zone: &Zone) -> Rr {
    let soa = zone.soa();
    Rr::new(&zone.origin, rtype::SOA, soa.ttl, soa.rdatas().next().unwrap_or_default())
}

/// Every record of `zone` except the SOA, in no particular order.
pub fn body_records(zone: &Zone) -> impl Iterator<Item = (&[u8], u16, u32, &[u8])> {
    zone.nodes.iter().flat_map(|node| {
        let owner = node.name();
        node.rrsets().filter(|r| r.rtype != rtype::SOA).flat_map(move |r| r.rdatas().map(move |d| (owner, r.rtype, r.ttl, d)))
    })
}

/// Octets the zone takes in an AXFR without compression (one SOA counted).
pub fn zone_size(zone: &Zone) -> usize {
    zone.wire_size
}

/// [`zone_size`] counted record by record (for tests of the kept figure).
#[cfg(test)]
pub fn zone_size_counted(zone: &Zone) -> usize {
    soa_rr(zone).wire_size() + body_records(zone).map(|(o, _, _, d)| o.len() + 10 + d.len()).sum::<usize>()
}

/// The records of `zone`, SOA first, ready for [`build_zone`](crate::zone::build::build_zone).
pub fn zone_records(zone: &Zone) -> RecordSource {
    let soa = soa_rr(zone);
    let mut records = Vec::with_capacity(zone.record_count());
    records.push(record(&soa.owner, soa.rtype, soa.ttl, &soa.rdata));
    records.extend(body_records(zone).map(|(o, t, ttl, d)| record(o, t, ttl, d)));
    RecordSource { files: vec![format!("<zone {} serial {}>", DisplayName(&zone.origin), zone.serial)], records }
}

fn record(owner: &[u8], rtype: u16, ttl: u32, rdata: &[u8]) -> Record {
    Record { owner: owner.into(), rtype, class: crate::wire::class::IN, ttl, rdata: rdata.into(), src: SourcePos::default() }
}

/// The diff that turns `old` into `new`. Lists come out sorted.
///
/// One pass over `new` looking each name up in `old`; a second pass over
/// `old` only when some of its names were not met (names removed).
pub fn diff_zones(old: &Zone, new: &Zone) -> Diff {
    let mut removed = Vec::new();
    let mut added = Vec::new();
    let mut met = 0usize;
    for node in new.nodes.iter() {
        let owner = node.name();
        let Some(old_node) = old.node(owner) else {
            node.rrsets().filter(|r| r.rtype != rtype::SOA).for_each(|set| push_all(&mut added, owner, &set));
            continue;
        };
        met += 1;
        if old_node.same_data(node) {
            continue; // shared between the versions, or equal: unchanged
        }
        for set in old_node.rrsets().filter(|r| r.rtype != rtype::SOA) {
            match node.get(set.rtype) {
                None => push_all(&mut removed, owner, &set),
                Some(ns) if ns.ttl != set.ttl => {
                    push_all(&mut removed, owner, &set);
                    push_all(&mut added, owner, &ns);
                }
                Some(ns) if ns.data == set.data => {}
                Some(ns) => {
                    push_missing(&mut removed, owner, &set, &ns);
                    push_missing(&mut added, owner, &ns, &set);
                }
            }
        }
        for set in node.rrsets().filter(|r| r.rtype != rtype::SOA) {
            if old_node.get(set.rtype).is_none() {
                push_all(&mut added, owner, &set);
            }
        }
    }
    if met < old.nodes.len() {
        for node in old.nodes.iter().filter(|n| new.node(n.name()).is_none()) {
            node.rrsets().filter(|r| r.rtype != rtype::SOA).for_each(|set| push_all(&mut removed, node.name(), &set));
        }
    }
    removed.sort_unstable();
    added.sort_unstable();
    Diff { from_soa: soa_rr(old), to_soa: soa_rr(new), removed, added }
}

fn push_all(out: &mut Vec<Rr>, owner: &[u8], set: &Rrset<'_>) {
    out.extend(set.rdatas().map(|d| Rr::new(owner, set.rtype, set.ttl, d)));
}

/// Pushes the records of `set` that `other` lacks.
fn push_missing(out: &mut Vec<Rr>, owner: &[u8], set: &Rrset<'_>, other: &Rrset<'_>) {
    if other.count <= 8 {
        for d in set.rdatas().filter(|d| !other.rdatas().any(|o| o == *d)) {
            out.push(Rr::new(owner, set.rtype, set.ttl, d));
        }
    } else {
        let have: HashSet<&[u8]> = other.rdatas().collect();
        for d in set.rdatas().filter(|d| !have.contains(d)) {
            out.push(Rr::new(owner, set.rtype, set.ttl, d));
        }
    }
}

/// The records of the version `diff` leads to, given the version it starts
/// from. Removals match on owner, type and RDATA (the TTL of a deleted record
/// does not matter, as in RFC 2136 §2.5.4); owners are lowercased.
pub fn apply(zone: &Zone, diff: &Diff) -> Result<RecordSource, ApplyError> {
    let from = diff.from_soa.soa_serial().ok_or_else(|| ApplyError::BadSoa("the starting SOA is not an SOA record".into()))?;
    if from != zone.serial {
        return Err(ApplyError::SerialMismatch { zone: zone.serial, diff: from });
    }
    let to = diff.to_soa.soa_serial().ok_or_else(|| ApplyError::BadSoa("the target SOA is not an SOA record".into()))?;
    if !lower(&diff.to_soa.owner).eq(&zone.origin) {
        return Err(ApplyError::BadSoa(format!("the target SOA is owned by {}, not the apex", DisplayName(&diff.to_soa.owner))));
    }
    if let Some(r) = diff.removed.iter().chain(&diff.added).find(|r| r.rtype == rtype::SOA) {
        return Err(ApplyError::BadSoa(format!("SOA record inside the diff body: {r}")));
    }
    let removed_owners: Vec<Box<[u8]>> = diff.removed.iter().map(|r| lower(&r.owner)).collect();
    let added_owners: Vec<Box<[u8]>> = diff.added.iter().map(|r| lower(&r.owner)).collect();
    let mut removals: HashMap<(&[u8], u16, &[u8]), bool> =
        diff.removed.iter().zip(&removed_owners).map(|(r, o)| ((&**o, r.rtype, &*r.rdata), false)).collect();
    let additions: HashSet<(&[u8], u16, &[u8])> = diff.added.iter().zip(&added_owners).map(|(r, o)| (&**o, r.rtype, &*r.rdata)).collect();

    let mut records = Vec::with_capacity(zone.record_count() + diff.added.len());
    records.push(record(&zone.origin, rtype::SOA, diff.to_soa.ttl, &diff.to_soa.rdata));
    for (owner, t, ttl, rdata) in body_records(zone) {
        if let Some(found) = removals.get_mut(&(owner, t, rdata)) {
            *found = true;
        } else if additions.contains(&(owner, t, rdata)) {
            return Err(ApplyError::Exists(Rr::new(owner, t, ttl, rdata).to_string()));
        } else {
            records.push(record(owner, t, ttl, rdata));
        }
    }
    if let Some((r, o)) = diff.removed.iter().zip(&removed_owners).find(|(r, o)| !removals[&(&***o, r.rtype, &*r.rdata)]) {
        return Err(ApplyError::Absent(Rr::new(o, r.rtype, r.ttl, &r.rdata).to_string()));
    }
    records.extend(diff.added.iter().zip(&added_owners).map(|(r, o)| record(o, r.rtype, r.ttl, &r.rdata)));
    let label = format!("<IXFR {} {from} → {to}>", DisplayName(&zone.origin));
    Ok(RecordSource { files: vec![label], records })
}

fn lower(owner: &[u8]) -> Box<[u8]> {
    let mut o: Box<[u8]> = owner.into();
    lowercase_wire(&mut o);
    o
}

/// Merges consecutive diffs (each starting where the previous one ended) into
/// one from the first version to the last (RFC 1995 §5): a record added and
/// later removed again disappears from both lists. `None` for no diffs.
pub fn condense<'a>(diffs: impl IntoIterator<Item = &'a Diff>) -> Option<Diff> {
    let mut diffs = diffs.into_iter();
    let first = diffs.next()?;
    let mut removed: HashSet<Rr> = first.removed.iter().cloned().collect();
    let mut added: HashSet<Rr> = first.added.iter().cloned().collect();
    let mut to_soa = &first.to_soa;
    for d in diffs {
        for r in &d.removed {
            if !added.remove(r) {
                removed.insert(r.clone());
            }
        }
        for r in &d.added {
            if !removed.remove(r) {
                added.insert(r.clone());
            }
        }
        to_soa = &d.to_soa;
    }
    let mut removed: Vec<Rr> = removed.into_iter().collect();
    let mut added: Vec<Rr> = added.into_iter().collect();
    removed.sort_unstable();
    added.sort_unstable();
    Some(Diff { from_soa: first.from_soa.clone(), to_soa: to_soa.clone(), removed, added })
}

/// Zones for the tests of the transfer modules.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::wire::name::from_dotted;
    use crate::zone::build::build_zone;
    use crate::zone::file::read_zone_str;
    use crate::zone::{RecordSource, Zone};

    use super::{body_records, soa_rr, Rr};

    /// Builds `example.com` from `body` below an SOA with `serial`.
    pub fn zone(serial: u32, body: &str) -> Zone {
        let text = format!(
            "$ORIGIN example.com.\n$TTL 3600\n@ IN SOA ns1 hostmaster {serial} 7200 3600 1209600 300\n@ IN NS ns1\nns1 IN A 192.0.2.1\n{body}"
        );
        build(read_zone_str(&text, "test.zone", &origin(), None).unwrap())
    }

    /// Builds `example.com` from records.
    pub fn build(src: RecordSource) -> Zone {
        build_zone(&origin(), src).unwrap()
    }

    /// Same SOA and the same records, whatever the order inside RRsets.
    pub fn same(a: &Zone, b: &Zone) -> bool {
        let all = |z: &Zone| {
            let mut v: Vec<Rr> = body_records(z).map(|(o, t, ttl, d)| Rr::new(o, t, ttl, d)).collect();
            v.sort_unstable();
            v
        };
        soa_rr(a) == soa_rr(b) && all(a) == all(b)
    }

    /// `example.com` in wire form.
    pub fn origin() -> Vec<u8> {
        from_dotted("example.com").unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{build, same, zone};
    use super::*;

    #[test]
    fn diff_then_apply_reproduces_the_new_version() {
        let old = zone(1, "www IN A 192.0.2.10\nmail IN MX 10 mx\nttl IN TXT \"x\"\ngone IN A 192.0.2.9\nbig IN A 10.0.0.1\nbig IN A 10.0.0.2\n");
        let new = zone(
            2,
            "www IN A 192.0.2.11\nmail IN MX 10 mx\nttl 60 IN TXT \"x\"\nnew.sub IN AAAA 2001:db8::1\nbig IN A 10.0.0.2\nbig IN A 10.0.0.3\n",
        );
        let d = diff_zones(&old, &new);
        assert_eq!((d.from_serial(), d.to_serial()), (1, 2));
        let show = |v: &[Rr]| v.iter().map(|r| r.to_string()).collect::<Vec<_>>();
        assert_eq!(
            show(&d.removed),
            [
                "big.example.com. 3600 IN A 10.0.0.1",
                "ttl.example.com. 3600 IN TXT \"x\"",
                "www.example.com. 3600 IN A 192.0.2.10",
                "gone.example.com. 3600 IN A 192.0.2.9",
            ]
        );
        assert_eq!(d.added.len(), 4, "{:?}", show(&d.added));
        assert!(d.added.iter().any(|r| r.to_string() == "ttl.example.com. 60 IN TXT \"x\""));
        let rebuilt = build(apply(&old, &d).unwrap());
        assert!(same(&rebuilt, &new));
        // Applying twice is inconsistent history.
        assert_eq!(apply(&new, &d).unwrap_err(), ApplyError::SerialMismatch { zone: 2, diff: 1 });
        // The round trip through zone_records is lossless.
        assert!(same(&build(zone_records(&new)), &new));
    }

    #[test]
    fn apply_rejects_absent_deletions_and_existing_additions() {
        let old = zone(5, "www IN A 192.0.2.10\n");
        let new = zone(6, "www IN A 192.0.2.11\n");
        let mut d = diff_zones(&old, &new);
        d.removed.push(Rr::new(&crate::wire::name::from_dotted("nope.example.com").unwrap(), 1, 60, &[1, 2, 3, 4]));
        assert!(matches!(apply(&old, &d), Err(ApplyError::Absent(m)) if m.contains("nope.example.com. 60 IN A 1.2.3.4")));
        let mut d = diff_zones(&old, &new);
        d.added.push(Rr::new(&crate::wire::name::from_dotted("NS1.example.com").unwrap(), 1, 60, &[192, 0, 2, 1]));
        assert!(matches!(apply(&old, &d), Err(ApplyError::Exists(_))));
        let mut d = diff_zones(&old, &new);
        d.added.push(d.to_soa.clone());
        assert!(matches!(apply(&old, &d), Err(ApplyError::BadSoa(_))));
    }

    #[test]
    fn condensing_cancels_transient_records() {
        let v1 = zone(1, "a IN A 192.0.2.1\n");
        let v2 = zone(2, "a IN A 192.0.2.1\nb IN A 192.0.2.2\n");
        let v3 = zone(3, "b IN A 192.0.2.2\nc IN A 192.0.2.3\n");
        let v4 = zone(4, "a IN A 192.0.2.1\nc IN A 192.0.2.3\n");
        let ds = [diff_zones(&v1, &v2), diff_zones(&v2, &v3), diff_zones(&v3, &v4)];
        let c = condense(&ds).unwrap();
        assert_eq!((c.from_serial(), c.to_serial()), (1, 4));
        assert!(c.removed.is_empty(), "{:?}", c.removed);
        assert_eq!(c.added.iter().map(|r| r.to_string()).collect::<Vec<_>>(), ["c.example.com. 3600 IN A 192.0.2.3"]);
        assert!(same(&build(apply(&v1, &c).unwrap()), &v4));
        assert!(condense(&[]).is_none());
    }
}
