//! Finding what a zone holds for a name: RFC 1034 §4.3.2 step 3, with
//! wildcards (RFC 4592 §3.3.1), DNAME (RFC 6672 §3.2) and empty non-terminals
//! (RFC 8020).
//!
//! Owns: walking from the apex towards the name, stopping at zone cuts and
//! DNAMEs, and finding the closest encloser and its wildcard.
//! Must not: allocate or write messages; the answer layer turns a [`Found`]
//! into sections.

use super::{node_flags, Node, Rrset, Zone};
use crate::wire::name::{self, NameBuf};
use crate::wire::rtype;

/// What the zone holds for a name.
#[derive(Debug, Clone, Copy)]
pub enum Found<'z> {
    /// The name exists (possibly as an empty non-terminal).
    Exact(&'z Node),
    /// The name lies at or below a zone cut: refer to the child.
    Referral {
        /// Owner of the cut (lowercase wire).
        cut: &'z [u8],
        /// The cut's node (its NS RRset and, at the parent side, DS).
        node: &'z Node,
    },
    /// The name lies below a DNAME owner.
    Dname {
        /// Owner of the DNAME (lowercase wire).
        owner: &'z [u8],
        /// The DNAME RRset.
        rrset: Rrset<'z>,
    },
    /// The name does not exist but a wildcard at its closest encloser covers it.
    Wildcard(&'z Node),
    /// The name does not exist.
    NxDomain,
}

/// Looks up `qname` (lowercase wire, at or below the apex) for `qtype`.
///
/// DS at a cut is parent-side data (RFC 4035 §3.1.4.1), so a DS query for the
/// cut's own name is answered from the cut node instead of being referred.
pub fn find<'z>(zone: &'z Zone, qname: &[u8], qtype: u16) -> Found<'z> {
    let labels = name::label_count(qname);
    let extra = labels.saturating_sub(zone.origin_labels);
    if extra == 0 {
        return Found::Exact(zone.apex());
    }
    let apex = zone.apex();
    if apex.has(node_flags::DNAME) {
        if let Some(rrset) = apex.get(rtype::DNAME) {
            return Found::Dname { owner: &zone.origin, rrset };
        }
    }
    // Walk down from the label below the apex to the name itself.
    for k in (0..extra).rev() {
        let cand = name::strip_labels(qname, k);
        let Some(node) = zone.nodes.get(cand) else {
            // `cand` does not exist: its parent is the closest encloser.
            return wildcard(zone, name::parent(cand));
        };
        if node.has(node_flags::CUT) && !(k == 0 && qtype == rtype::DS) {
            return Found::Referral { cut: node.name(), node };
        }
        if k > 0 && node.has(node_flags::DNAME) {
            if let Some(rrset) = node.get(rtype::DNAME) {
                return Found::Dname { owner: node.name(), rrset };
            }
        }
        if k == 0 {
            return Found::Exact(node);
        }
    }
    Found::NxDomain
}

/// The wildcard below the closest encloser `ce`, if any (RFC 4592 §3.3.1: the
/// only candidate is `*.<closest encloser>`).
fn wildcard<'z>(zone: &'z Zone, ce: &[u8]) -> Found<'z> {
    if !zone.has_wildcards {
        return Found::NxDomain;
    }
    match zone.nodes.get(ce) {
        Some(n) if n.has(node_flags::WILDCARD_CHILD) => {}
        _ => return Found::NxDomain,
    }
    let mut star = NameBuf::root();
    if star.set_concat(b"\x01*", ce).is_err() {
        return Found::NxDomain;
    }
    match zone.nodes.get(star.as_wire()) {
        Some(n) => Found::Wildcard(n),
        None => Found::NxDomain,
    }
}
