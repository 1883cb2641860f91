//! Building a zone snapshot from records, with the semantic checks.
//!
//! Owns: grouping records into RRsets (one TTL per set, duplicates dropped,
//! RFC 2181 §5), the load-time checks (SOA and NS at the apex, no out-of-zone
//! data, CNAME alone at its owner, RFC 1034 §3.6.2 / RFC 2181 §10.1; no data
//! below a DNAME and no CNAME beside a DNAME, RFC 6672 §2.4), inserting empty
//! non-terminals (RFC 8020) and computing node flags.
//! Must not: do I/O. Errors name `file:line`.

use std::collections::HashSet;

use super::{node_flags, Node, NodeHasher, NodeTable, Record, RecordSource, SetSpec, SourcePos, Zone};
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

/// RRsets up to this size are checked for duplicates by a scan; bigger ones
/// with a hash set.
const DUPLICATE_SCAN_MAX: usize = 16;

/// Types that may share an owner with a CNAME (RFC 2181 §10.1, RFC 4035 §2.5).
fn allowed_beside_cname(t: u16) -> bool {
    matches!(t, rtype::CNAME | rtype::RRSIG | rtype::NSEC | 25 /* KEY */)
}

/// Builds the snapshot for the zone at `origin` (lowercase wire) from `src`.
///
/// Memory: the records are consumed as their RRsets are built (each owner's
/// names and RDATA freed once copied into its node), so the peak is about
/// one copy of the zone, not two. Only what an error message needs is kept.
pub fn build_zone(origin: &[u8], mut src: RecordSource) -> Result<Zone, BuildError> {
    let at = |src: &RecordSource, pos: SourcePos, reason: String| BuildError::At { at: src.locate(pos), reason };
    let zone_err =
        |src: &RecordSource, reason: String| BuildError::Zone { file: src.files.first().cloned().unwrap_or_else(|| "<zone>".into()), reason };
    let zname = DisplayName(origin).to_string();

    let mut records = std::mem::take(&mut src.records);
    let mut any_dname = false;
    for r in &records {
        if !name::is_subdomain(&r.owner, origin) {
            return Err(at(&src, r.src, format!("out-of-zone data: {} is not in zone {zname}", DisplayName(&r.owner))));
        }
        any_dname |= r.rtype == rtype::DNAME;
    }
    // Reported after the per-owner and apex checks, as before the records are gone.
    let below_dname = if any_dname { first_below_dname(&records, origin) } else { None };

    // Group by (owner, type), keeping file order inside a group: a stable
    // sort of indices, so the 48-byte records never move.
    let n = u32::try_from(records.len()).map_err(|_| zone_err(&src, format!("zone {zname} has more than {} records", u32::MAX)))?;
    let mut order: Vec<u32> = (0..n).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&records[a as usize], &records[b as usize]);
        a.owner.cmp(&b.owner).then(a.rtype.cmp(&b.rtype))
    });

    let mut nodes = NodeTable::with_capacity(records.len() + records.len() / 8);
    // What the passes after grouping need, gathered on the way (few entries each).
    let mut cuts: HashSet<Box<[u8]>, NodeHasher> = HashSet::default();
    let mut wildcards: Vec<Box<[u8]>> = Vec::new();
    // Owners more than one label below the apex: only they can need empty
    // non-terminals above them or lie below a cut.
    let mut deep: Vec<Box<[u8]>> = Vec::new();
    let mut has_dnames = false;
    // The owner's sets: (type, count, TTL, end of its image in `data`).
    let mut owner_rrsets: Vec<(u16, u16, u32, usize)> = Vec::new();
    let mut owner_pos: Vec<SourcePos> = Vec::new();
    let mut data: Vec<u8> = Vec::new();
    let mut kept: Vec<usize> = Vec::new();
    let mut k = 0;
    let mut total = 0usize;
    let mut wire_size = 0usize;
    let mut owners = 0usize;
    while k < order.len() {
        let first = order[k] as usize;
        let owner_start = k;
        owner_rrsets.clear();
        owner_pos.clear();
        data.clear();
        while k < order.len() && records[order[k] as usize].owner == records[first].owner {
            let r0 = &records[order[k] as usize];
            let (t, ttl) = (r0.rtype, r0.ttl);
            owner_pos.push(r0.src);
            let set_start = data.len();
            kept.clear();
            let mut count: u16 = 0;
            // Duplicates (RFC 2181 §5): a scan of the kept records while the
            // set is small, a hash set of their RDATA once it is not, so a
            // big RRset costs linear time, not quadratic.
            let mut seen: Option<HashSet<&[u8], NodeHasher>> = None;
            while k < order.len() {
                let i = order[k] as usize;
                let r = &records[i];
                if r.rtype != t || r.owner != records[first].owner {
                    break;
                }
                k += 1;
                let duplicate = match seen.as_mut() {
                    Some(s) => !s.insert(&*r.rdata),
                    None => kept.iter().any(|&j| records[j].rdata == r.rdata),
                };
                if duplicate {
                    continue; // duplicate RR (RFC 2181 §5)
                }
                if r.rdata.len() > 65535 {
                    return Err(at(&src, r.src, "RDATA longer than 65535 octets".into()));
                }
                if r.ttl != ttl {
                    tracing::warn!(zone = %zname, at = %src.locate(r.src), "TTL {} differs from {} of the RRset {} {}; using {} (RFC 2181 §5.2)",
                        r.ttl, ttl, DisplayName(&r.owner), TypeName(t), ttl);
                }
                kept.push(i);
                if seen.is_none() && kept.len() >= DUPLICATE_SCAN_MAX {
                    seen = Some(kept.iter().map(|&j| &*records[j].rdata).collect());
                }
                count = count.checked_add(1).ok_or_else(|| at(&src, r.src, "more than 65535 records in one RRset".into()))?;
                crate::wire::writer::push_image(&mut data, t, ttl, &r.rdata);
            }
            debug_assert!(data.len() > set_start);
            owner_rrsets.push((t, count, ttl, data.len()));
            total += count as usize;
        }
        // The owner's records are in its node now: free them (the first one's
        // name becomes the node's key), so the next nodes reuse the memory.
        let owner = std::mem::take(&mut records[first].owner);
        for &i in &order[owner_start..k] {
            let r = &mut records[i as usize];
            r.rdata = Box::default();
            r.owner = Box::default();
        }
        check_owner(&src, &owner, origin, &owner_rrsets, &owner_pos)?;
        let mut flags = 0;
        let is_apex = *owner == *origin;
        for &(t, ..) in &owner_rrsets {
            match t {
                rtype::NS if !is_apex => flags |= node_flags::CUT,
                rtype::DNAME => flags |= node_flags::DNAME,
                rtype::CNAME => flags |= node_flags::CNAME,
                _ => {}
            }
        }
        if flags & node_flags::CUT != 0 {
            cuts.insert(owner.clone());
        }
        has_dnames |= flags & node_flags::DNAME != 0;
        if is_wildcard(&owner) {
            wildcards.push(owner.clone());
        }
        if name::parent(&owner).len() > origin.len() {
            deep.push(owner.clone());
        }
        let sets = owner_rrsets.iter().scan(0, |start, &(rtype, count, ttl, end)| {
            let image = &data[*start..end];
            *start = end;
            Some(SetSpec { rtype, count, ttl, image })
        });
        let node = Node::pack(&owner, flags, sets);
        wire_size += node.wire_size();
        owners += 1;
        nodes.insert(node);
    }
    drop(order);
    drop(records);

    let (serial, negative_ttl) = check_apex(&nodes, origin, &zname).map_err(|reason| zone_err(&src, reason))?;
    if let Some(b) = below_dname {
        return Err(at(
            &src,
            b.pos,
            format!("{} is below the DNAME at {} (occluded data, RFC 6672 §2.4)", DisplayName(&b.owner), DisplayName(&b.dname)),
        ));
    }

    // Empty non-terminals (RFC 8020): every ancestor of an owner, up to the
    // apex, becomes a node. The walk up from an owner stops at the first
    // ancestor that exists or was already added (its own ancestors are done).
    let mut ents: HashSet<&[u8], NodeHasher> = HashSet::default();
    for o in &deep {
        let mut n: &[u8] = o;
        loop {
            let p = name::parent(n);
            if p.len() <= origin.len() || nodes.contains(p) || !ents.insert(p) {
                break;
            }
            n = p;
        }
    }
    let ents: Vec<Box<[u8]>> = ents.into_iter().map(Box::from).collect();
    for e in ents {
        if is_wildcard(&e) {
            wildcards.push(e.clone());
        }
        nodes.insert(Node::empty(&e, 0));
    }
    // Wildcards (RFC 4592): flag the parent of every `*` owner.
    for w in &wildcards {
        if let Some(p) = nodes.get_mut(name::parent(w)) {
            p.set_flags(node_flags::WILDCARD_CHILD);
        }
    }
    // Occlusion: data below a cut is kept (glue) but flagged. (Data below a
    // DNAME was refused above.) Only ancestors below the apex can be cuts.
    if !cuts.is_empty() {
        for o in &deep {
            let mut n: &[u8] = name::parent(o);
            while n.len() > origin.len() {
                if cuts.contains(n) {
                    if let Some(node) = nodes.get_mut(&o[..]) {
                        node.set_flags(node_flags::OCCLUDED);
                    }
                    break;
                }
                n = name::parent(n);
            }
        }
    }
    let has_wildcards = !wildcards.is_empty();
    nodes.shrink_to_fit();
    let apex = nodes.get(origin).cloned().ok_or_else(|| zone_err(&src, format!("zone {zname} has no apex")))?;
    Ok(Zone {
        apex,
        origin: origin.into(),
        origin_labels: name::label_count(origin),
        serial,
        negative_ttl,
        nodes,
        has_wildcards,
        has_dnames,
        records: total,
        owners,
        wire_size,
        transfer_order: Default::default(),
    })
}

/// The apex must hold exactly one SOA and some NS: the serial and the
/// negative-answer TTL, min(SOA TTL, MINIMUM) (RFC 2308 §3).
fn check_apex(nodes: &NodeTable, origin: &[u8], zname: &str) -> Result<(u32, u32), String> {
    let no_soa = || format!("zone {zname} has no SOA record at its apex");
    let apex = nodes.get(origin).ok_or_else(no_soa)?;
    let soa = apex.get(rtype::SOA).ok_or_else(no_soa)?;
    if soa.count != 1 {
        return Err(format!("zone {zname} has {} SOA records at its apex; exactly one is allowed", soa.count));
    }
    if apex.get(rtype::NS).is_none() {
        return Err(format!("zone {zname} has no NS records at its apex"));
    }
    let (serial, minimum) = soa_fields(soa.rdatas().next().unwrap_or_default()).ok_or_else(|| "malformed SOA RDATA".to_string())?;
    Ok((serial, soa.ttl.min(minimum)))
}

/// True when the first label of wire name `n` is `*`.
fn is_wildcard(n: &[u8]) -> bool {
    n.len() > 2 && n[0] == 1 && n[1] == b'*'
}

/// A record below a DNAME (RFC 6672 §2.4), for the error message.
struct BelowDname {
    pos: SourcePos,
    owner: Box<[u8]>,
    dname: Box<[u8]>,
}

/// The first record, in the order read, whose owner lies below a DNAME
/// owner (the apex included). Only called when the zone has a DNAME.
fn first_below_dname(records: &[Record], origin: &[u8]) -> Option<BelowDname> {
    let dnames: HashSet<&[u8], NodeHasher> = records.iter().filter(|r| r.rtype == rtype::DNAME).map(|r| &*r.owner).collect();
    records.iter().find_map(|r| {
        let mut n: &[u8] = &r.owner;
        while n.len() > origin.len() {
            n = name::parent(n);
            if dnames.contains(n) {
                return Some(BelowDname { pos: r.src, owner: r.owner.clone(), dname: n.into() });
            }
        }
        None
    })
}

/// The per-owner checks; `sets` are (type, count, TTL, image end) as grouped.
pub(super) fn check_owner(
    src: &RecordSource,
    owner: &[u8],
    origin: &[u8],
    sets: &[(u16, u16, u32, usize)],
    pos: &[SourcePos],
) -> Result<(), BuildError> {
    let at = |i: usize, reason: String| BuildError::At { at: src.locate(pos[i]), reason };
    let n = DisplayName(owner);
    for (i, &(t, count, ..)) in sets.iter().enumerate() {
        match t {
            rtype::CNAME if count > 1 => return Err(at(i, format!("{n} has more than one CNAME record"))),
            rtype::CNAME => {
                if let Some(&(o, ..)) = sets.iter().find(|o| !allowed_beside_cname(o.0)) {
                    return Err(at(i, format!("{n} has a CNAME and other data ({}) (RFC 1034 §3.6.2)", TypeName(o))));
                }
            }
            rtype::DNAME if count > 1 => return Err(at(i, format!("{n} has more than one DNAME record"))),
            rtype::SOA if owner != origin => return Err(at(i, format!("SOA record for {n} is not at the zone apex"))),
            rtype::SOA if count > 1 => return Err(at(i, format!("zone {n} has {} SOA records; exactly one is allowed", count))),
            t if rtype::is_meta(t) => return Err(at(i, format!("{} is a meta type and cannot be zone data", TypeName(t)))),
            _ => {}
        }
    }
    Ok(())
}

/// Serial and MINIMUM from SOA RDATA (RFC 1035 §3.3.13).
pub fn soa_fields(rdata: &[u8]) -> Option<(u32, u32)> {
    crate::wire::soa::Soa::parse(rdata).map(|s| (s.serial, s.minimum))
}

/// A zone at `origin` holding `n` names `{label}{i}`, one A record each,
/// beside the apex SOA and NS: for tests of the large-zone paths.
#[cfg(test)]
pub(crate) fn hosts_zone(origin: &str, label: &str, n: usize) -> Zone {
    let o = name::from_dotted(origin).expect("origin");
    let mut text = String::from("@ 60 IN SOA ns hm 1 7200 3600 1209600 300\n@ 60 IN NS ns\n");
    for i in 0..n {
        text.push_str(&format!("{label}{i} 60 IN A 192.0.2.1\n"));
    }
    let src = super::file::read_zone_str(&text, "hosts.zone", &o, None).expect("zone text");
    build_zone(&o, src).expect("zone")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Duplicates are dropped whether the RRset is checked by scan (small)
    /// or by hash set (big), wherever in the set they come.
    #[test]
    fn duplicates_dropped_in_small_and_big_rrsets() {
        let o = name::from_dotted("example.com").unwrap();
        for distinct in [3usize, DUPLICATE_SCAN_MAX - 1, DUPLICATE_SCAN_MAX, 5000] {
            let mut text = String::from("@ 60 IN SOA ns hm 1 7200 3600 1209600 300\n@ 60 IN NS ns\n");
            for round in 0..2 {
                for i in 0..distinct {
                    let i = if round == 0 { i } else { distinct - 1 - i };
                    text.push_str(&format!("big 60 IN A 10.{}.{}.{}\n", i >> 16, (i >> 8) & 255, i & 255));
                }
            }
            let zone = build_zone(&o, crate::zone::file::read_zone_str(&text, "t", &o, None).unwrap()).unwrap();
            assert_eq!(zone.records, distinct + 2, "{distinct} distinct records, each twice");
            let big = name::from_dotted("big.example.com").unwrap();
            assert_eq!(zone.nodes.get(&big).unwrap().get(rtype::A).unwrap().count as usize, distinct);
        }
    }
}
