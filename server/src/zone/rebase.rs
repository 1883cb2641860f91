//! What a re-read zone file changes, found without building the new zone.
//!
//! Owns: grouping a file's records by owner and type exactly as
//! [`super::build`] does (file order inside a set, duplicates dropped, the
//! first TTL) and comparing each group with the served zone's node, so a
//! reload of a big zone with a small change yields just that change; the
//! caller patches it in ([`super::patch`]).
//! Must not: report errors. Anything unusual (records out of the zone, names
//! gone from the file, a malformed apex) answers `None` and the caller
//! builds the zone in full, which says what is wrong with `file:line`.

use super::{Record, RecordSource, Zone};
use crate::wire::name;
use crate::wire::rtype;
use crate::wire::writer::push_image;

/// One record of a change, borrowed from the zone or the file.
pub type Rec<'a> = (&'a [u8], u16, u32, &'a [u8]);

/// The change from a zone to a file's records.
#[derive(Debug, Default)]
pub struct Changes<'a> {
    /// The file's apex SOA: TTL and RDATA.
    pub soa: (u32, &'a [u8]),
    /// Records of the zone the file lacks (SOA aside).
    pub removed: Vec<Rec<'a>>,
    /// Records of the file the zone lacks (SOA aside).
    pub added: Vec<Rec<'a>>,
}

/// The changes that turn `zone` into the zone `src` describes, or `None`
/// when the file must be built in full.
pub fn changes<'a>(zone: &'a Zone, src: &'a RecordSource) -> Option<Changes<'a>> {
    let records = &src.records;
    if records.iter().any(|r| !name::is_subdomain(&r.owner, &zone.origin)) {
        return None;
    }
    let n = u32::try_from(records.len()).ok()?;
    let mut order: Vec<u32> = (0..n).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&records[a as usize], &records[b as usize]);
        a.owner.cmp(&b.owner).then(a.rtype.cmp(&b.rtype))
    });
    let mut out = Changes::default();
    let mut soa = None;
    // Names holding data in both: fewer than the zone's means some are gone.
    let mut owners = 0usize;
    let mut image = Vec::new();
    let mut k = 0;
    while k < order.len() {
        let owner: &[u8] = &records[order[k] as usize].owner;
        let end = k + order[k..].iter().take_while(|&&i| *records[i as usize].owner == *owner).count();
        let group = &order[k..end];
        k = end;
        let old = zone.node(owner);
        if old.is_none_or(|n| n.is_empty_non_terminal()) {
            if owner == &*zone.origin {
                return None;
            }
            for set in sets(records, group) {
                out.added.extend(set.rdatas.iter().map(|d| (owner, set.rtype, set.ttl, *d)));
            }
            continue;
        }
        let old = old?;
        owners += 1; // a name both hold
        let mut seen_types = 0usize;
        for set in sets(records, group) {
            if set.rtype == rtype::SOA {
                if owner != &*zone.origin || set.rdatas.len() != 1 || soa.is_some() {
                    return None;
                }
                soa = Some((set.ttl, set.rdatas[0]));
                seen_types += 1;
                continue;
            }
            image.clear();
            set.rdatas.iter().for_each(|d| push_image(&mut image, set.rtype, set.ttl, d));
            match old.get(set.rtype) {
                Some(o) => {
                    seen_types += 1;
                    if o.ttl == set.ttl && o.data == &image[..] {
                        continue;
                    }
                    let old_rdatas: Vec<&[u8]> = o.rdatas().collect();
                    let changed_ttl = o.ttl != set.ttl;
                    let old_name = old.name();
                    out.removed.extend(old_rdatas.iter().filter(|d| changed_ttl || !set.rdatas.contains(d)).map(|d| (old_name, o.rtype, o.ttl, *d)));
                    out.added.extend(set.rdatas.iter().filter(|d| changed_ttl || !old_rdatas.contains(d)).map(|d| (owner, set.rtype, set.ttl, *d)));
                }
                None => out.added.extend(set.rdatas.iter().map(|d| (owner, set.rtype, set.ttl, *d))),
            }
        }
        if seen_types < old.len() {
            // Types the file no longer has at this name.
            for o in old.rrsets().filter(|o| o.rtype != rtype::SOA) {
                if !group.iter().any(|&i| records[i as usize].rtype == o.rtype) {
                    out.removed.extend(o.rdatas().map(|d| (old.name(), o.rtype, o.ttl, d)));
                }
            }
        }
    }
    // A name the file no longer has: let the full build and diff handle it.
    if owners < zone.owners {
        return None;
    }
    out.soa = soa?;
    Some(out)
}

/// One grouped RRset: type, TTL (the first record's) and RDATAs without duplicates.
struct Set<'a> {
    rtype: u16,
    ttl: u32,
    rdatas: Vec<&'a [u8]>,
}

/// The RRsets of one owner's records (`group`, sorted by type, file order inside).
fn sets<'a>(records: &'a [Record], group: &[u32]) -> Vec<Set<'a>> {
    let mut out: Vec<Set<'a>> = Vec::new();
    for &i in group {
        let r = &records[i as usize];
        match out.last_mut() {
            Some(s) if s.rtype == r.rtype => {
                if !s.rdatas.contains(&&*r.rdata) {
                    s.rdatas.push(&r.rdata);
                }
            }
            _ => out.push(Set { rtype: r.rtype, ttl: r.ttl, rdatas: vec![&r.rdata] }),
        }
    }
    out
}
