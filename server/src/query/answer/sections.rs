//! The sections around the answer: the SOA of a negative answer, a referral's
//! NS and glue, additional addresses for NS/MX/SRV answers.
//!
//! Owns: where their owners point (into the name being looked up, or at the
//! NS RDATA just written) and which in-zone targets get addresses.
//! Must not: allocate, or follow the chain ([`super`] does).

use super::names::has_upper;
use super::{Cur, MAX_POINTER};
use crate::wire::name::{is_subdomain as in_domain, same_octets};
use crate::wire::name::{NameBuf, MAX_NAME_LEN};
use crate::wire::rtype;
use crate::wire::writer::{MsgWriter, Owner, Section, IMAGE_HEADER};
use crate::zone::{Node, Rrset, Zone};

/// The owner for `name`, a suffix of `cur` (lowercase): a pointer into `cur`
/// where the message holds the same octets, else the name itself (which the
/// writer compresses as well as it can).
pub(super) fn suffix_owner<'n>(w: &MsgWriter<'_>, cur: Cur<'_>, name: &'n [u8]) -> Owner<'n> {
    let end = cur.at + cur.lower.len();
    match end.checked_sub(name.len()) {
        Some(at) if at < MAX_POINTER && at >= cur.at && w.written().get(at..end).is_some_and(|s| same_octets(s, name)) => Owner::Pointer(at as u16),
        _ => Owner::Name(name),
    }
}

/// The SOA in the authority section of a negative answer, with the TTL of
/// RFC 2308 §3: min(SOA TTL, SOA MINIMUM).
pub(super) fn negative(zone: &Zone, cur: Cur<'_>, w: &mut MsgWriter<'_>) {
    let soa = zone.soa();
    let owner = suffix_owner(w, cur, &zone.origin);
    let _ = w.rrset(Section::Authority, owner, rtype::SOA, zone.negative_ttl, soa.count, soa.data);
}

/// A referral: the child's NS in authority, glue in additional. In-domain glue
/// (below the cut) is required and sets TC when it does not fit (RFC 9471);
/// sibling glue elsewhere in the zone is added when it fits. Glue owners
/// point at the NS RDATA just written.
pub(super) fn referral(zone: &Zone, cut: &[u8], node: &Node, cur: Cur<'_>, w: &mut MsgWriter<'_>) {
    let Some(ns) = node.get(rtype::NS) else { return };
    // Nothing after the glue searches for names; only when some RDATA may
    // land where no pointer reaches are they remembered for the glue owners.
    let remember = w.len() + MAX_NAME_LEN + ns.data.len() >= MAX_POINTER;
    let owner = suffix_owner(w, cur, cut);
    let Ok(base) = w.rrset_at(Section::Authority, owner, rtype::NS, ns.ttl, ns.count, ns.data, remember) else { return };
    let mut p = 0;
    while let Some(head) = ns.data.get(p..p + IMAGE_HEADER) {
        let rdata_at = base + p + IMAGE_HEADER;
        p += IMAGE_HEADER + u16::from_be_bytes([head[10], head[11]]) as usize;
        let Some(target) = ns.data.get(rdata_at - base..p) else { break };
        let Some((glue, required)) = target_node(zone, target, cut) else { continue };
        let owner = if rdata_at < MAX_POINTER { Owner::Pointer(rdata_at as u16) } else { Owner::Name(target) };
        // Addresses in type order, A then AAAA: a node's RRsets are sorted by type.
        for set in glue.rrsets() {
            if set.rtype > rtype::AAAA {
                break;
            }
            if (set.rtype == rtype::A || set.rtype == rtype::AAAA) && !add_glue(w, owner, set, required) {
                return;
            }
        }
    }
}

/// Adds one glue RRset; false when required glue did not fit (TC is set).
#[inline(always)]
fn add_glue(w: &mut MsgWriter<'_>, owner: Owner<'_>, set: Rrset<'_>, required: bool) -> bool {
    if let Owner::Pointer(at) = owner {
        // Addresses: no names inside to remember, the shortest write.
        return w.rrset_pointed(Section::Additional, at, set.ttl, set.count, set.data, required).is_ok() || !required;
    }
    if required {
        w.rrset(Section::Additional, owner, set.rtype, set.ttl, set.count, set.data).is_ok()
    } else {
        let _ = w.rrset_optional(Section::Additional, owner, set.rtype, set.ttl, set.count, set.data);
        true
    }
}

/// Addresses of in-zone NS, MX and SRV targets, when they fit (RFC 1035 §3.3.9).
pub(super) fn additional(zone: &Zone, set: &Rrset, w: &mut MsgWriter<'_>) {
    let Some(off) = rtype::additional_name_offset(set.rtype) else { return };
    for rdata in set.rdatas() {
        let Some(target) = rdata.get(off..) else { continue };
        let Some((node, _)) = target_node(zone, target, &zone.origin) else { continue };
        if node.has(crate::zone::node_flags::OCCLUDED) {
            continue;
        }
        for t in [rtype::A, rtype::AAAA] {
            if let Some(a) = node.get(t) {
                if w.rrset_optional(Section::Additional, Owner::Name(target), t, a.ttl, a.count, a.data).is_err() {
                    return;
                }
            }
        }
    }
}

/// The node owning `target` (a name in RDATA) when it lies in this zone, and
/// whether it lies at or below `cut` (itself at or below the apex). Names in
/// RDATA are usually lowercase already, and nodes are keyed by lowercase
/// names, so a name with a capital never finds one as written: capitals are
/// looked for only when the name is not found, and only then is it copied to
/// be lowercased.
#[inline]
fn target_node<'z>(zone: &'z Zone, target: &[u8], cut: &[u8]) -> Option<(&'z Node, bool)> {
    let below = in_domain(target, cut);
    if below || in_domain(target, &zone.origin) {
        if let Some(node) = zone.node(target) {
            return Some((node, below));
        }
    }
    if has_upper(target) {
        return mixed_case_target_node(zone, target, cut);
    }
    None
}

#[cold]
#[inline(never)]
fn mixed_case_target_node<'z>(zone: &'z Zone, target: &[u8], cut: &[u8]) -> Option<(&'z Node, bool)> {
    let mut lower = NameBuf::from_wire(target).ok()?;
    lower.make_lowercase();
    target_node(zone, lower.as_wire(), cut)
}
