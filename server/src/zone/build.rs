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

/// Builds the snapshot for the zone at `origin` (lowercase wire) from `src`,
/// in passes:
///
/// ```text
///  check_in_zone ─► group (sort indices by owner, type) ─► pack_owners
///    (one node per owner: RRsets, duplicates, TTLs, per-owner checks, flags)
///  ─► check_apex, below-DNAME error ─► add_empty_non_terminals (RFC 8020)
///  ─► flag_wildcard_parents (RFC 4592) ─► flag_occluded (below a cut)
/// ```
///
/// Memory: the records are consumed as their RRsets are built (each owner's
/// names and RDATA freed once copied into its node), so the peak is about
/// one copy of the zone, not two. Only what an error message needs is kept.
pub fn build_zone(origin: &[u8], mut src: RecordSource) -> Result<Zone, BuildError> {
    let zname = DisplayName(origin).to_string();
    let mut records = std::mem::take(&mut src.records);
    let any_dname = check_in_zone(&src, &records, origin, &zname)?;
    // Reported after the per-owner and apex checks, as before the records are gone.
    let below_dname = if any_dname { first_below_dname(&records, origin) } else { None };
    let order = group(&src, &records, &zname)?;
    let mut packed = pack_owners(&src, &mut records, &order, origin, &zname)?;
    drop(order);
    drop(records);

    let (serial, negative_ttl) = check_apex(&packed.nodes, origin, &zname).map_err(|e| zone_err(&src, e.to_string()))?;
    if let Some(b) = below_dname {
        return Err(at(
            &src,
            b.pos,
            format!("{} is below the DNAME at {} (occluded data, RFC 6672 §2.4)", DisplayName(&b.owner), DisplayName(&b.dname)),
        ));
    }
    add_empty_non_terminals(&mut packed, origin);
    flag_wildcard_parents(&mut packed.nodes, &packed.wildcards);
    flag_occluded(&mut packed.nodes, &packed.cuts, &packed.deep, origin);
    let Packed { mut nodes, wildcards, has_dnames, total, wire_size, owners, .. } = packed;
    nodes.shrink_to_fit();
    let apex = nodes.get(origin).cloned().ok_or_else(|| zone_err(&src, format!("zone {zname} has no apex")))?;
    Ok(Zone {
        apex,
        origin: origin.into(),
        origin_labels: name::label_count(origin),
        serial,
        negative_ttl,
        nodes,
        has_wildcards: !wildcards.is_empty(),
        has_dnames,
        records: total,
        owners,
        wire_size,
        transfer_order: Default::default(),
    })
}

fn at(src: &RecordSource, pos: SourcePos, reason: String) -> BuildError {
    BuildError::At { at: src.locate(pos), reason }
}

fn zone_err(src: &RecordSource, reason: String) -> BuildError {
    BuildError::Zone { file: src.files.first().cloned().unwrap_or_else(|| "<zone>".into()), reason }
}

/// Every owner must be at or below the apex; true when any record is a DNAME.
fn check_in_zone(src: &RecordSource, records: &[Record], origin: &[u8], zname: &str) -> Result<bool, BuildError> {
    let mut any_dname = false;
    for r in records {
        if !name::is_subdomain(&r.owner, origin) {
            return Err(at(src, r.src, format!("out-of-zone data: {} is not in zone {zname}", DisplayName(&r.owner))));
        }
        any_dname |= r.rtype == rtype::DNAME;
    }
    Ok(any_dname)
}

/// Record indices grouped by (owner, type), file order kept inside a group:
/// a stable sort of indices, so the 48-byte records never move.
fn group(src: &RecordSource, records: &[Record], zname: &str) -> Result<Vec<u32>, BuildError> {
    let n = u32::try_from(records.len()).map_err(|_| zone_err(src, format!("zone {zname} has more than {} records", u32::MAX)))?;
    let mut order: Vec<u32> = (0..n).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&records[a as usize], &records[b as usize]);
        a.owner.cmp(&b.owner).then(a.rtype.cmp(&b.rtype))
    });
    Ok(order)
}

/// The nodes, and what the passes after packing need (few entries each).
struct Packed {
    nodes: NodeTable,
    /// Owners of NS below the apex.
    cuts: HashSet<Box<[u8]>, NodeHasher>,
    /// `*` owners.
    wildcards: Vec<Box<[u8]>>,
    /// Owners more than one label below the apex: only they can need empty
    /// non-terminals above them or lie below a cut.
    deep: Vec<Box<[u8]>>,
    has_dnames: bool,
    /// Records kept (duplicates dropped).
    total: usize,
    /// Uncompressed wire octets of every node.
    wire_size: usize,
    owners: usize,
}

/// Reused buffers for one owner's RRsets.
#[derive(Default)]
struct OwnerScratch {
    /// The owner's sets: (type, count, TTL, end of its image in `data`).
    rrsets: Vec<(u16, u16, u32, usize)>,
    /// Where each set starts in the source, for error messages.
    pos: Vec<SourcePos>,
    /// The sets' images, one after another.
    data: Vec<u8>,
    /// Indices of the records kept in the set being packed.
    kept: Vec<usize>,
}

/// One node per owner, in `order`: RRsets packed, owners checked, flags set.
fn pack_owners(src: &RecordSource, records: &mut [Record], order: &[u32], origin: &[u8], zname: &str) -> Result<Packed, BuildError> {
    let mut p = Packed {
        nodes: NodeTable::with_capacity(records.len() + records.len() / 8),
        cuts: HashSet::default(),
        wildcards: Vec::new(),
        deep: Vec::new(),
        has_dnames: false,
        total: 0,
        wire_size: 0,
        owners: 0,
    };
    let mut o = OwnerScratch::default();
    let mut k = 0;
    while k < order.len() {
        let first = order[k] as usize;
        let owner_start = k;
        o.rrsets.clear();
        o.pos.clear();
        o.data.clear();
        while k < order.len() && records[order[k] as usize].owner == records[first].owner {
            k = pack_rrset(src, records, order, k, first, zname, &mut o)?;
            p.total += o.rrsets.last().map_or(0, |s| s.1 as usize);
        }
        // The owner's records are in its node now: free them (the first one's
        // name becomes the node's key), so the next nodes reuse the memory.
        let owner = std::mem::take(&mut records[first].owner);
        for &i in &order[owner_start..k] {
            let r = &mut records[i as usize];
            r.rdata = Box::default();
            r.owner = Box::default();
        }
        check_owner(src, &owner, origin, &o.rrsets, &o.pos)?;
        let mut flags = 0;
        let is_apex = *owner == *origin;
        for &(t, ..) in &o.rrsets {
            match t {
                rtype::NS if !is_apex => flags |= node_flags::CUT,
                rtype::DNAME => flags |= node_flags::DNAME,
                rtype::CNAME => flags |= node_flags::CNAME,
                _ => {}
            }
        }
        if flags & node_flags::CUT != 0 {
            p.cuts.insert(owner.clone());
        }
        p.has_dnames |= flags & node_flags::DNAME != 0;
        if is_wildcard(&owner) {
            p.wildcards.push(owner.clone());
        }
        if name::parent(&owner).len() > origin.len() {
            p.deep.push(owner.clone());
        }
        let data = &o.data;
        let sets = o.rrsets.iter().scan(0, |start, &(rtype, count, ttl, end)| {
            let image = &data[*start..end];
            *start = end;
            Some(SetSpec { rtype, count, ttl, image })
        });
        let node = Node::pack(&owner, flags, sets);
        p.wire_size += node.wire_size();
        p.owners += 1;
        p.nodes.insert(node);
    }
    Ok(p)
}

/// Packs the RRset starting at `order[k]` (owner of `order[first]`) into
/// `o`: duplicates dropped (RFC 2181 §5), one TTL (§5.2). Returns the
/// index after it.
fn pack_rrset(
    src: &RecordSource,
    records: &[Record],
    order: &[u32],
    mut k: usize,
    first: usize,
    zname: &str,
    o: &mut OwnerScratch,
) -> Result<usize, BuildError> {
    let r0 = &records[order[k] as usize];
    let (t, ttl) = (r0.rtype, r0.ttl);
    o.pos.push(r0.src);
    let set_start = o.data.len();
    o.kept.clear();
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
            None => o.kept.iter().any(|&j| records[j].rdata == r.rdata),
        };
        if duplicate {
            continue; // duplicate RR (RFC 2181 §5)
        }
        if r.rdata.len() > 65535 {
            return Err(at(src, r.src, "RDATA longer than 65535 octets".into()));
        }
        if r.ttl != ttl {
            tracing::warn!(zone = %zname, at = %src.locate(r.src), "TTL {} differs from {} of the RRset {} {}; using {} (RFC 2181 §5.2)",
                r.ttl, ttl, DisplayName(&r.owner), TypeName(t), ttl);
        }
        o.kept.push(i);
        if seen.is_none() && o.kept.len() >= DUPLICATE_SCAN_MAX {
            seen = Some(o.kept.iter().map(|&j| &*records[j].rdata).collect());
        }
        count = count.checked_add(1).ok_or_else(|| at(src, r.src, "more than 65535 records in one RRset".into()))?;
        crate::wire::writer::push_image(&mut o.data, t, ttl, &r.rdata);
    }
    debug_assert!(o.data.len() > set_start);
    o.rrsets.push((t, count, ttl, o.data.len()));
    Ok(k)
}

/// Empty non-terminals (RFC 8020): every ancestor of an owner, up to the
/// apex, becomes a node. The walk up from an owner stops at the first
/// ancestor that exists or was already added (its own ancestors are done).
fn add_empty_non_terminals(p: &mut Packed, origin: &[u8]) {
    let mut ents: HashSet<&[u8], NodeHasher> = HashSet::default();
    for o in &p.deep {
        let mut n: &[u8] = o;
        loop {
            let parent = name::parent(n);
            if parent.len() <= origin.len() || p.nodes.contains(parent) || !ents.insert(parent) {
                break;
            }
            n = parent;
        }
    }
    let ents: Vec<Box<[u8]>> = ents.into_iter().map(Box::from).collect();
    for e in ents {
        if is_wildcard(&e) {
            p.wildcards.push(e.clone());
        }
        p.nodes.insert(Node::empty(&e, 0));
    }
}

/// Wildcards (RFC 4592): flags the parent of every `*` owner.
fn flag_wildcard_parents(nodes: &mut NodeTable, wildcards: &[Box<[u8]>]) {
    for w in wildcards {
        if let Some(p) = nodes.get_mut(name::parent(w)) {
            p.set_flags(node_flags::WILDCARD_CHILD);
        }
    }
}

/// Occlusion: data below a cut is kept (glue) but flagged. (Data below a
/// DNAME was refused before.) Only ancestors below the apex can be cuts.
fn flag_occluded(nodes: &mut NodeTable, cuts: &HashSet<Box<[u8]>, NodeHasher>, deep: &[Box<[u8]>], origin: &[u8]) {
    if cuts.is_empty() {
        return;
    }
    for o in deep {
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

/// The apex must hold exactly one SOA and some NS: the serial and the
/// negative-answer TTL, min(SOA TTL, MINIMUM) (RFC 2308 §3).
fn check_apex(nodes: &NodeTable, origin: &[u8], zname: &str) -> Result<(u32, u32), ApexError> {
    let no_soa = || ApexError::NoSoa(zname.to_string());
    let apex = nodes.get(origin).ok_or_else(no_soa)?;
    let soa = apex.get(rtype::SOA).ok_or_else(no_soa)?;
    if soa.count != 1 {
        return Err(ApexError::ManySoa(zname.to_string(), soa.count));
    }
    if apex.get(rtype::NS).is_none() {
        return Err(ApexError::NoNs(zname.to_string()));
    }
    let (serial, minimum) = soa_fields(soa.rdatas().next().unwrap_or_default()).ok_or(ApexError::MalformedSoa)?;
    Ok((serial, soa.ttl.min(minimum)))
}

/// What is wrong at a zone's apex (the zone's name in each).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum ApexError {
    #[error("zone {0} has no SOA record at its apex")]
    NoSoa(String),
    #[error("zone {0} has {1} SOA records at its apex; exactly one is allowed")]
    ManySoa(String, u16),
    #[error("zone {0} has no NS records at its apex")]
    NoNs(String),
    #[error("malformed SOA RDATA")]
    MalformedSoa,
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
