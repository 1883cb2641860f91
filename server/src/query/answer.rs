//! Turning a zone lookup into response sections (RFC 1034 §4.3.2 steps 3–6).
//!
//! Owns: following CNAMEs and DNAME substitutions inside the zone (RFC 1034
//! §3.6.2, RFC 6672 §3.2, with a loop bound), NXDOMAIN/NODATA with the SOA
//! (RFC 2308 §3), referrals with glue (RFC 9471), additional-section data for
//! NS/MX/SRV answers (RFC 1035 §3.3, dropped silently when it does not fit).
//! Must not: allocate. Chain state lives in fixed arrays.

use std::hash::BuildHasher;

use crate::wire::name::{self, NameBuf};
use crate::wire::request::Question;
use crate::wire::writer::{MsgWriter, Owner, Section};
use crate::wire::{class, rcode, rtype};
use crate::zone::lookup::{self, Found};
use crate::zone::{Node, NodeHasher, Rrset, Zone};

/// Longest CNAME/DNAME chain followed inside one zone.
const MAX_CHAIN: usize = 16;

/// Keeps DNAME owner hashes apart from chain-name hashes in the loop check.
const DNAME_SALT: u64 = 0x9E37_79B9_7F4A_7C15;


/// The outcome for the header: RCODE and whether AA is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Outcome {
    pub rcode: u16,
    pub aa: bool,
}

/// Answers `q` from `zone` into `w`.
pub(super) fn answer(zone: &Zone, q: &Question<'_>, w: &mut MsgWriter<'_>) -> Outcome {
    // The name being looked up: the question's until a CNAME or DNAME moves
    // the chain (then lowercase for lookups and as written for owners).
    let mut chain: Option<(NameBuf, NameBuf)> = None;
    // Hashes of the names met (and, salted, of the DNAMEs applied), for loop checks.
    let mut seen = [0u64; 2 * MAX_CHAIN + 1];
    let mut nseen = 0;
    let ok = Outcome { rcode: rcode::NOERROR, aa: true };
    for _ in 0..MAX_CHAIN {
        let (cur, cased, owner) = match &chain {
            None => (q.lower.as_wire(), q.name, Owner::Qname),
            Some((l, c)) => (l.as_wire(), c.as_wire(), Owner::Name(c.as_wire())),
        };
        let next = match lookup::find(zone, cur, q.qtype) {
            Found::Exact(node) | Found::Wildcard(node) => {
                if q.qtype == rtype::ANY && !node.is_empty_non_terminal() {
                    for set in node.rrsets() {
                        if w.rrset(Section::Answer, owner, set.rtype, set.ttl, set.count, &set.data).is_err() {
                            break;
                        }
                    }
                    return ok;
                }
                if let Some(set) = node.get(q.qtype) {
                    if w.rrset(Section::Answer, owner, set.rtype, set.ttl, set.count, &set.data).is_ok() {
                        additional(zone, &set, w);
                    }
                    return ok;
                }
                let Some(cname) = node.get(rtype::CNAME) else {
                    negative(zone, w);
                    return ok; // NODATA (RFC 2308 §2.2), also for empty non-terminals
                };
                if w.rrset(Section::Answer, owner, rtype::CNAME, cname.ttl, cname.count, &cname.data).is_err() {
                    return ok;
                }
                match restart(zone, cname.rdatas().next().unwrap_or(b"\0")) {
                    Some(n) => n,
                    None => return ok,
                }
            }
            Found::Referral { cut, node } => {
                referral(zone, cut, node, w);
                // AA describes the answer section: set only when a CNAME led here.
                return Outcome { rcode: rcode::NOERROR, aa: chain.is_some() };
            }
            Found::Dname { owner: downer, rrset } => {
                let Some(target) = rrset.rdatas().next() else { return ok };
                // A DNAME met twice (a DNAME into its own subtree): stop
                // rather than repeat it (RFC 6672 §5.2 loop bound, RFC 2181 §5).
                let dh = NodeHasher::default().hash_one(downer) ^ DNAME_SALT;
                if seen[..nseen].contains(&dh) {
                    return ok;
                }
                seen[nseen] = dh;
                nseen += 1;
                if w.rrset(Section::Answer, Owner::Name(downer), rtype::DNAME, rrset.ttl, 1, &rrset.data).is_err() {
                    return ok;
                }
                // Substitute the DNAME owner suffix of the query name by its target.
                let prefix = &cased[..cur.len() - downer.len()];
                let mut synth = NameBuf::root();
                if synth.set_concat(prefix, target).is_err() {
                    return Outcome { rcode: rcode::YXDOMAIN, aa: true }; // RFC 6672 §2.2
                }
                if w.record(Section::Answer, owner, rtype::CNAME, class::IN, rrset.ttl, synth.as_wire(), true).is_err() {
                    return ok;
                }
                match restart(zone, synth.as_wire()).filter(|_| q.qtype != rtype::CNAME) {
                    Some(n) => n,
                    None => return ok,
                }
            }
            Found::NxDomain => {
                negative(zone, w);
                // After a CNAME the RCODE describes the last name (RFC 6604 §3).
                return Outcome { rcode: rcode::NXDOMAIN, aa: true };
            }
        };
        // A name seen before in this chain is a loop: stop with what we have.
        if chain.is_none() {
            seen[nseen] = NodeHasher::default().hash_one(cur);
            nseen += 1;
        }
        let h = NodeHasher::default().hash_one(next.0.as_wire());
        if seen[..nseen].contains(&h) {
            return ok;
        }
        seen[nseen] = h;
        nseen += 1;
        chain = Some(next);
    }
    ok
}

/// The chain's next name (lowercase, as written) when `target` lies in the zone.
fn restart(zone: &Zone, target: &[u8]) -> Option<(NameBuf, NameBuf)> {
    let cased = NameBuf::from_wire(target).ok()?;
    let mut lower = cased;
    lower.make_lowercase();
    name::is_subdomain(lower.as_wire(), &zone.origin).then_some((lower, cased))
}

/// The SOA in the authority section of a negative answer, with the TTL of
/// RFC 2308 §3: min(SOA TTL, SOA MINIMUM).
fn negative(zone: &Zone, w: &mut MsgWriter<'_>) {
    let soa = zone.soa();
    let _ = w.rrset(Section::Authority, Owner::Name(&zone.origin), rtype::SOA, zone.negative_ttl, soa.count, &soa.data);
}

/// A referral: the child's NS in authority, glue in additional. In-domain glue
/// (below the cut) is required and sets TC when it does not fit (RFC 9471);
/// sibling glue elsewhere in the zone is added when it fits.
fn referral(zone: &Zone, cut: &[u8], node: &Node, w: &mut MsgWriter<'_>) {
    let Some(ns) = node.get(rtype::NS) else { return };
    if w.rrset(Section::Authority, Owner::Name(cut), rtype::NS, ns.ttl, ns.count, &ns.data).is_err() {
        return;
    }
    for target in ns.rdatas() {
        let Some((glue, required)) = target_node(zone, target, cut) else { continue };
        for t in [rtype::A, rtype::AAAA] {
            if let Some(set) = glue.get(t) {
                let r = if required {
                    w.rrset(Section::Additional, Owner::Name(target), t, set.ttl, set.count, &set.data)
                } else {
                    w.rrset_optional(Section::Additional, Owner::Name(target), t, set.ttl, set.count, &set.data)
                };
                if r.is_err() && required {
                    return;
                }
            }
        }
    }
}

/// Addresses of in-zone NS, MX and SRV targets, when they fit (RFC 1035 §3.3.9).
fn additional(zone: &Zone, set: &Rrset, w: &mut MsgWriter<'_>) {
    let Some(off) = rtype::additional_name_offset(set.rtype) else { return };
    for rdata in set.rdatas() {
        let Some(target) = rdata.get(off..) else { continue };
        let Some((node, _)) = target_node(zone, target, &zone.origin) else { continue };
        if node.has(crate::zone::node_flags::OCCLUDED) {
            continue;
        }
        for t in [rtype::A, rtype::AAAA] {
            if let Some(a) = node.get(t) {
                if w.rrset_optional(Section::Additional, Owner::Name(target), t, a.ttl, a.count, &a.data).is_err() {
                    return;
                }
            }
        }
    }
}

/// The node owning `target` (a name in RDATA) when it lies in this zone, and
/// whether it lies at or below `cut`. Names in RDATA are usually lowercase
/// already; only mixed-case ones are copied to be lowercased.
fn target_node<'z>(zone: &'z Zone, target: &[u8], cut: &[u8]) -> Option<(&'z Node, bool)> {
    let lookup = |n: &[u8]| {
        if !name::is_subdomain(n, &zone.origin) {
            return None;
        }
        zone.node(n).map(|node| (node, name::is_subdomain(n, cut)))
    };
    if !target.iter().any(u8::is_ascii_uppercase) {
        return lookup(target);
    }
    let mut lower = NameBuf::from_wire(target).ok()?;
    lower.make_lowercase();
    lookup(lower.as_wire())
}
