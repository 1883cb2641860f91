//! Applying a small change to a zone snapshot without rebuilding it.
//!
//! Owns: making the next version of a zone from the current one and a list
//! of removed and added records (an IXFR, a journal entry, an UPDATE): only
//! the touched nodes are repacked; every other node is shared with the
//! current version, so a one-record change to a 100,000-name zone costs a
//! copy of the table of pointers, not a rebuild. The same per-owner checks as
//! [`super::build`] apply.
//! Must not: change the zone's structure in ways that need a whole-zone pass
//! (a zone cut or DNAME appearing or going away, a name appearing below a
//! missing empty non-terminal): it answers `Ok(None)` and the caller
//! rebuilds.

use std::collections::{BTreeMap, HashMap};

use super::build::{check_owner, soa_fields};
use super::{node_flags, Node, RecordSource, SetSpec, Zone};
use crate::wire::name::{self, DisplayName};
use crate::wire::rtype;
use crate::wire::writer::push_image;

/// One record of a change; `owner` is lowercase wire.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    /// Owner (lowercase wire).
    pub owner: &'a [u8],
    /// Type number.
    pub rtype: u16,
    /// TTL (ignored for removals).
    pub ttl: u32,
    /// RDATA, uncompressed wire form.
    pub rdata: &'a [u8],
}

/// Why a change does not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// `removed[i]` is not in the zone.
    #[error("removed record {0} is not in the zone")]
    Absent(usize),
    /// `added[i]` is already in the zone.
    #[error("added record {0} is already in the zone")]
    Exists(usize),
    /// The result is not a valid zone.
    #[error("{0}")]
    Invalid(String),
}

/// Above this share of the zone's nodes touched, rebuilding is as cheap.
const MAX_TOUCHED_SHARE: usize = 4;

/// One RRset being edited: TTL and RDATAs, each marked when it came from the change.
type EditSet<'a> = (u32, Vec<(&'a [u8], bool)>);

/// The version after removing `removed` and adding `added` to `zone`, with
/// the apex SOA replaced by (`soa_ttl`, `soa_rdata`). `Ok(None)`: the change
/// alters the zone's structure; rebuild it instead.
pub fn patch(zone: &Zone, soa_ttl: u32, soa_rdata: &[u8], removed: &[Change<'_>], added: &[Change<'_>]) -> Result<Option<Zone>, PatchError> {
    let (serial, minimum) = soa_fields(soa_rdata).ok_or_else(|| PatchError::Invalid("malformed SOA RDATA".into()))?;
    let mut by_owner: BTreeMap<&[u8], (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (i, c) in removed.iter().enumerate() {
        by_owner.entry(c.owner).or_default().0.push(i);
    }
    for (i, c) in added.iter().enumerate() {
        by_owner.entry(c.owner).or_default().1.push(i);
    }
    by_owner.entry(&zone.origin).or_default();
    if by_owner.len() > zone.nodes.len() / MAX_TOUCHED_SHARE + 1 {
        return Ok(None);
    }
    let mut nodes = zone.nodes.clone();
    let mut has_wildcards = zone.has_wildcards;
    let mut gone: Vec<&[u8]> = Vec::new();
    let mut new_wildcards: Vec<&[u8]> = Vec::new();
    let mut records = zone.records;
    let mut wire_size = zone.wire_size;
    let mut owners = zone.owners;
    for (&owner, (rem, add)) in &by_owner {
        if !name::is_subdomain(owner, &zone.origin) {
            let i = add.first().copied().unwrap_or(0);
            return Err(PatchError::Invalid(format!(
                "out-of-zone data: {} is not in zone {}",
                DisplayName(added.get(i).map_or(owner, |c| c.owner)),
                DisplayName(&zone.origin)
            )));
        }
        let old = zone.node(owner);
        let mut sets: BTreeMap<u16, EditSet<'_>> = BTreeMap::new();
        for set in old.iter().flat_map(|n| n.rrsets()) {
            sets.insert(set.rtype, (set.ttl, set.rdatas().map(|d| (d, false)).collect()));
        }
        for &i in rem {
            let c = &removed[i];
            let set = sets.get_mut(&c.rtype).ok_or(PatchError::Absent(i))?;
            let at = set.1.iter().position(|(d, _)| *d == c.rdata).ok_or(PatchError::Absent(i))?;
            set.1.remove(at);
            if set.1.is_empty() {
                sets.remove(&c.rtype);
            }
        }
        for &i in add {
            let c = &added[i];
            let set = sets.entry(c.rtype).or_insert((c.ttl, Vec::new()));
            match set.1.iter().find(|(d, _)| *d == c.rdata) {
                Some((_, false)) => return Err(PatchError::Exists(i)),
                Some((_, true)) => {} // the same record added twice
                None => set.1.push((c.rdata, true)),
            }
        }
        if owner == &*zone.origin {
            sets.insert(rtype::SOA, (soa_ttl, vec![(soa_rdata, true)]));
        }
        let Some(node) = repack(zone, owner, old, &sets)? else { return Ok(None) };
        records -= old.iter().flat_map(|n| n.rrsets()).map(|r| r.count as usize).sum::<usize>();
        records += sets.values().map(|(_, d)| d.len()).sum::<usize>();
        wire_size -= old.map_or(0, Node::wire_size);
        let had_data = old.is_some_and(|n| !n.is_empty_non_terminal());
        owners = owners + usize::from(node.is_some()) - usize::from(had_data);
        wire_size += node.as_ref().map_or(0, Node::wire_size);
        match node {
            Some(node) => {
                if old.is_none() && is_wildcard(owner) {
                    new_wildcards.push(owner);
                }
                nodes.insert(node);
            }
            None => gone.push(owner),
        }
    }
    for w in new_wildcards {
        has_wildcards = true;
        if let Some(p) = nodes.get_mut(name::parent(w)) {
            p.set_flags(node_flags::WILDCARD_CHILD);
        }
    }
    if !gone.is_empty() {
        // Deepest first, so a name whose children all go goes too.
        gone.sort_by_key(|n| std::cmp::Reverse(name::label_count(n)));
        remove_names(&mut nodes, &zone.origin, &gone);
        if gone.iter().any(|g| is_wildcard(g)) {
            has_wildcards = nodes.iter().any(|n| is_wildcard(n.name()));
        }
    }
    let apex = nodes.get(&zone.origin).cloned().ok_or_else(|| PatchError::Invalid("the apex is gone".into()))?;
    if apex.get(rtype::NS).is_none() {
        return Err(PatchError::Invalid(format!("zone {} has no NS records at its apex", DisplayName(&zone.origin))));
    }
    Ok(Some(Zone {
        origin: zone.origin.clone(),
        origin_labels: zone.origin_labels,
        serial,
        negative_ttl: soa_ttl.min(minimum),
        nodes,
        apex,
        has_wildcards,
        has_dnames: zone.has_dnames,
        records,
        owners,
        wire_size,
        transfer_order: Default::default(),
    }))
}

/// The node `owner` becomes: `Some(Some(node))`, `Some(None)` when it holds no
/// data any more, `None` when the change alters the zone's structure.
fn repack(zone: &Zone, owner: &[u8], old: Option<&Node>, sets: &BTreeMap<u16, EditSet<'_>>) -> Result<Option<Option<Node>>, PatchError> {
    let is_apex = owner == &*zone.origin;
    let mut flags = 0;
    for &t in sets.keys() {
        match t {
            rtype::NS if !is_apex => flags |= node_flags::CUT,
            rtype::DNAME => flags |= node_flags::DNAME,
            rtype::CNAME => flags |= node_flags::CNAME,
            _ => {}
        }
    }
    let structural = node_flags::CUT | node_flags::DNAME;
    let old_flags = old.map_or(0, Node::flags);
    if flags & structural != old_flags & structural {
        return Ok(None);
    }
    if sets.is_empty() {
        return Ok(Some(None));
    }
    let mut kept = old_flags & (node_flags::WILDCARD_CHILD | node_flags::OCCLUDED);
    if old.is_none() {
        match placement(zone, owner)? {
            Some(occluded) if occluded => kept |= node_flags::OCCLUDED,
            Some(_) => {}
            None => return Ok(None),
        }
    }
    let mut data = Vec::new();
    let mut dir: Vec<(u16, u16, u32, usize)> = Vec::with_capacity(sets.len());
    for (&t, (ttl, rdatas)) in sets {
        let count = u16::try_from(rdatas.len())
            .map_err(|_| PatchError::Invalid(format!("more than 65535 records in {} {}", DisplayName(owner), rtype::TypeName(t))))?;
        for (d, _) in rdatas {
            push_image(&mut data, t, *ttl, d);
        }
        dir.push((t, count, *ttl, data.len()));
    }
    let label = RecordSource { files: vec![format!("<change to {}>", DisplayName(&zone.origin))], records: Vec::new() };
    let pos = vec![Default::default(); dir.len()];
    check_owner(&label, owner, &zone.origin, &dir, &pos).map_err(|e| PatchError::Invalid(e.to_string()))?;
    let specs = dir.iter().scan(0, |start, &(rtype, count, ttl, end)| {
        let image = &data[*start..end];
        *start = end;
        Some(SetSpec { rtype, count, ttl, image })
    });
    Ok(Some(Some(Node::pack(owner, flags | kept, specs))))
}

/// For a new name: `Some(occluded)` when its parent exists (so no empty
/// non-terminal must appear), `None` otherwise. Below a DNAME is an error.
fn placement(zone: &Zone, owner: &[u8]) -> Result<Option<bool>, PatchError> {
    let parent = name::parent(owner);
    let Some(p) = zone.node(parent) else { return Ok(None) };
    let mut occluded = p.has(node_flags::OCCLUDED);
    let mut n = parent;
    while n.len() >= zone.origin.len() {
        let Some(node) = zone.node(n) else { return Ok(None) };
        if node.has(node_flags::DNAME) {
            return Err(PatchError::Invalid(format!(
                "{} is below the DNAME at {} (occluded data, RFC 6672 §2.4)",
                DisplayName(owner),
                DisplayName(n)
            )));
        }
        occluded |= n != &*zone.origin && node.has(node_flags::CUT);
        if n == &*zone.origin {
            break;
        }
        n = name::parent(n);
    }
    Ok(Some(occluded))
}

/// Removes the names in `gone` that have no children left (and the empty
/// non-terminals above them that lose their last child); a name that still
/// has children stays as an empty non-terminal (RFC 8020).
fn remove_names(nodes: &mut super::NodeTable, origin: &[u8], gone: &[&[u8]]) {
    let mut children: HashMap<Box<[u8]>, usize> = HashMap::new();
    for n in nodes.iter() {
        if n.name().len() > origin.len() {
            *children.entry(name::parent(n.name()).into()).or_default() += 1;
        }
    }
    for &g in gone {
        let keep_flags = nodes.get(g).map_or(0, |n| n.flags() & (node_flags::WILDCARD_CHILD | node_flags::OCCLUDED));
        if children.get(g).copied().unwrap_or(0) > 0 {
            nodes.insert(Node::empty(g, keep_flags));
            continue;
        }
        let mut n = g;
        loop {
            nodes.remove(n);
            let p = name::parent(n);
            if is_wildcard(n) {
                if let Some(pn) = nodes.get(p) {
                    let cleared = Node::pack(p, pn.flags() & !node_flags::WILDCARD_CHILD, pn.rrsets().map(SetSpec::from));
                    nodes.insert(cleared);
                }
            }
            let left = children.get_mut(p).map(|c| {
                *c -= 1;
                *c
            });
            let empty_parent = nodes.get(p).is_some_and(Node::is_empty_non_terminal);
            if p.len() <= origin.len() || left != Some(0) || !empty_parent {
                break;
            }
            n = p;
        }
    }
}

fn is_wildcard(n: &[u8]) -> bool {
    n.len() > 2 && n[0] == 1 && n[1] == b'*'
}
