//! Building a zone snapshot from records, with the semantic checks.
//!
//! Owns: grouping records into RRsets (one TTL per set, duplicates dropped,
//! RFC 2181 §5), the load-time checks (SOA and NS at the apex, no out-of-zone
//! data, CNAME alone at its owner, RFC 1034 §3.6.2 / RFC 2181 §10.1; no data
//! below a DNAME and no CNAME beside a DNAME, RFC 6672 §2.4), inserting empty
//! non-terminals (RFC 8020) and computing node flags.
//! Must not: do I/O. Errors name `file:line`.

use std::collections::HashMap;

use super::{node_flags, Node, NodeHasher, RecordSource, Rrset, SourcePos, Zone};
use crate::wire::name::{self, DisplayName};
use crate::wire::rtype::{self, TypeName};

/// Why records do not form a valid zone. Messages name `file:line`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// A semantic error at a position.
    #[error("{at}: {reason}")]
    At {
        /// `file:line`.
        at: String,
        /// What is wrong.
        reason: String,
    },
    /// A zone-wide error (missing SOA, …).
    #[error("{file}: {reason}")]
    Zone {
        /// The zone's main file (or source label).
        file: String,
        /// What is wrong.
        reason: String,
    },
}

/// Types that may share an owner with a CNAME (RFC 2181 §10.1, RFC 4035 §2.5).
fn allowed_beside_cname(t: u16) -> bool {
    matches!(t, rtype::CNAME | rtype::RRSIG | rtype::NSEC | 25 /* KEY */)
}

/// Builds the snapshot for the zone at `origin` (lowercase wire) from `src`.
pub fn build_zone(origin: &[u8], mut src: RecordSource) -> Result<Zone, BuildError> {
    let at = |src: &RecordSource, pos: SourcePos, reason: String| BuildError::At { at: src.locate(pos), reason };
    let zone_err = |src: &RecordSource, reason: String| BuildError::Zone {
        file: src.files.first().cloned().unwrap_or_else(|| "<zone>".into()),
        reason,
    };
    let zname = DisplayName(origin).to_string();

    for r in &src.records {
        if !name::is_subdomain(&r.owner, origin) {
            return Err(at(&src, r.src, format!("out-of-zone data: {} is not in zone {zname}", DisplayName(&r.owner))));
        }
    }
    // Group by (owner, type), keeping file order inside a group.
    let mut records = std::mem::take(&mut src.records);
    records.sort_by(|a, b| a.owner.cmp(&b.owner).then(a.rtype.cmp(&b.rtype)));

    let mut nodes: HashMap<Box<[u8]>, Node, NodeHasher> =
        HashMap::with_capacity_and_hasher(records.len() + records.len() / 8, NodeHasher::default());
    let mut i = 0;
    let mut owner_rrsets: Vec<Rrset> = Vec::new();
    let mut owner_pos: Vec<SourcePos> = Vec::new();
    let mut data: Vec<u8> = Vec::new();
    while i < records.len() {
        let owner = records[i].owner.clone();
        owner_rrsets.clear();
        owner_pos.clear();
        while i < records.len() && records[i].owner == owner {
            let t = records[i].rtype;
            let first = &records[i];
            let ttl = first.ttl;
            owner_pos.push(first.src);
            data.clear();
            let mut count: u16 = 0;
            let mut seen: Vec<&[u8]> = Vec::new();
            while i < records.len() && records[i].owner == owner && records[i].rtype == t {
                let r = &records[i];
                i += 1;
                if seen.iter().any(|s| **s == *r.rdata) {
                    continue; // duplicate RR (RFC 2181 §5)
                }
                if r.rdata.len() > 65535 {
                    return Err(at(&src, r.src, "RDATA longer than 65535 octets".into()));
                }
                if r.ttl != ttl {
                    tracing::warn!(zone = %zname, at = %src.locate(r.src), "TTL {} differs from {} of the RRset {} {}; using {} (RFC 2181 §5.2)",
                        r.ttl, ttl, DisplayName(&owner), TypeName(t), ttl);
                }
                seen.push(&r.rdata);
                count = count.checked_add(1).ok_or_else(|| at(&src, r.src, "more than 65535 records in one RRset".into()))?;
                crate::wire::writer::push_image(&mut data, t, ttl, &r.rdata);
            }
            owner_rrsets.push(Rrset { rtype: t, count, ttl, data: data.as_slice().into() });
        }
        check_owner(&src, &owner, origin, &owner_rrsets, &owner_pos)?;
        let mut flags = 0;
        let is_apex = *owner == *origin;
        for r in &owner_rrsets {
            match r.rtype {
                rtype::NS if !is_apex => flags |= node_flags::CUT,
                rtype::DNAME => flags |= node_flags::DNAME,
                rtype::CNAME => flags |= node_flags::CNAME,
                _ => {}
            }
        }
        nodes.insert(owner, Node { rrsets: owner_rrsets.as_slice().into(), flags });
    }

    let apex = nodes.get(origin).ok_or_else(|| zone_err(&src, format!("zone {zname} has no SOA record at its apex")))?;
    let soa = apex.get(rtype::SOA).ok_or_else(|| zone_err(&src, format!("zone {zname} has no SOA record at its apex")))?;
    if soa.count != 1 {
        return Err(zone_err(&src, format!("zone {zname} has {} SOA records at its apex; exactly one is allowed", soa.count)));
    }
    if apex.get(rtype::NS).is_none() {
        return Err(zone_err(&src, format!("zone {zname} has no NS records at its apex")));
    }
    let (serial, minimum) = soa_fields(soa.rdatas().next().unwrap_or_default())
        .ok_or_else(|| zone_err(&src, "malformed SOA RDATA".into()))?;
    let negative_ttl = soa.ttl.min(minimum);

    // Empty non-terminals (RFC 8020): every ancestor of an owner, up to the apex,
    // becomes a node. An existing parent is either an owner (whose own pass adds
    // its ancestors) or was added by an earlier pass with its ancestors.
    let owners: Vec<Box<[u8]>> = nodes.keys().cloned().collect();
    for o in &owners {
        let mut n: &[u8] = o;
        while n.len() > origin.len() {
            let p = name::parent(n);
            if nodes.contains_key(p) {
                break;
            }
            nodes.insert(p.into(), Node::default());
            n = p;
        }
    }
    // Wildcards (RFC 4592): flag the parent of every `*` owner.
    let wildcards: Vec<Box<[u8]>> = nodes.keys().filter(|n| n.len() > 2 && n[0] == 1 && n[1] == b'*').cloned().collect();
    for w in &wildcards {
        if let Some(p) = nodes.get_mut(name::parent(w)) {
            p.flags |= node_flags::WILDCARD_CHILD;
        }
    }
    // Occlusion: data below a cut is kept (glue) but flagged; data below a DNAME is refused.
    let mut occluded = Vec::new();
    let mut has_dnames = false;
    for o in &owners {
        has_dnames |= nodes[o].has(node_flags::DNAME);
        if o.len() <= origin.len() {
            continue;
        }
        let mut n: &[u8] = name::parent(o);
        loop {
            if let Some(anc) = nodes.get(n) {
                if anc.has(node_flags::DNAME) {
                    let pos = first_pos(&records, o);
                    return Err(at(&src, pos, format!("{} is below the DNAME at {} (occluded data, RFC 6672 §2.4)",
                        DisplayName(o), DisplayName(n))));
                }
                if anc.has(node_flags::CUT) {
                    occluded.push(o);
                }
            }
            if n.len() <= origin.len() {
                break;
            }
            n = name::parent(n);
        }
    }
    for o in occluded {
        if let Some(node) = nodes.get_mut(&o[..]) {
            node.flags |= node_flags::OCCLUDED;
        }
    }
    let has_wildcards = !wildcards.is_empty();
    nodes.shrink_to_fit();
    Ok(Zone {
        origin: origin.into(),
        origin_labels: name::label_count(origin),
        serial,
        negative_ttl,
        nodes,
        has_wildcards,
        has_dnames,
    })
}

fn first_pos(records: &[super::Record], owner: &[u8]) -> SourcePos {
    // Only on the error path: find where the offending owner was written.
    records.iter().filter(|r| *r.owner == *owner).map(|r| r.src).min_by_key(|p| (p.file, p.line)).unwrap_or_default()
}

fn check_owner(src: &RecordSource, owner: &[u8], origin: &[u8], sets: &[Rrset], pos: &[SourcePos]) -> Result<(), BuildError> {
    let at = |i: usize, reason: String| BuildError::At { at: src.locate(pos[i]), reason };
    let n = DisplayName(owner);
    for (i, r) in sets.iter().enumerate() {
        match r.rtype {
            rtype::CNAME if r.count > 1 => return Err(at(i, format!("{n} has more than one CNAME record"))),
            rtype::CNAME => {
                if let Some(o) = sets.iter().find(|o| !allowed_beside_cname(o.rtype)) {
                    return Err(at(i, format!("{n} has a CNAME and other data ({}) (RFC 1034 §3.6.2)", TypeName(o.rtype))));
                }
            }
            rtype::DNAME if r.count > 1 => return Err(at(i, format!("{n} has more than one DNAME record"))),
            rtype::SOA if owner != origin => return Err(at(i, format!("SOA record for {n} is not at the zone apex"))),
            rtype::SOA if r.count > 1 => return Err(at(i, format!("zone {n} has {} SOA records; exactly one is allowed", r.count))),
            t if rtype::is_meta(t) => return Err(at(i, format!("{} is a meta type and cannot be zone data", TypeName(t)))),
            _ => {}
        }
    }
    Ok(())
}

/// Serial and MINIMUM from SOA RDATA (RFC 1035 §3.3.13).
pub fn soa_fields(rdata: &[u8]) -> Option<(u32, u32)> {
    let p = name::skip_name(rdata, 0).ok()?;
    let p = name::skip_name(rdata, p).ok()?;
    let f = rdata.get(p..p + 20)?;
    let serial = u32::from_be_bytes([f[0], f[1], f[2], f[3]]);
    let minimum = u32::from_be_bytes([f[16], f[17], f[18], f[19]]);
    Some((serial, minimum))
}
