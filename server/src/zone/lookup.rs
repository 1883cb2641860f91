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
    // The labels above the apex, found in one walk: `starts[i]` is where the
    // name's `i`-th label starts (0: the name itself), so each candidate on
    // the way down is a slice, not a fresh walk from the top of the name.
    let cut = qname.len().saturating_sub(zone.origin.len());
    let mut starts = [0u8; MAX_LABELS];
    let mut extra = 0;
    let mut pos = 0;
    while pos < cut && extra < MAX_LABELS {
        starts[extra] = pos as u8;
        extra += 1;
        pos += 1 + qname[pos] as usize;
    }
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
        let cand = &qname[starts[k] as usize..];
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

/// Most labels a name can have above an apex (a 255-octet name holds at most
/// 127 labels of one octet each).
const MAX_LABELS: usize = 128;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::name::from_dotted;
    use crate::zone::{build::build_zone, file::read_zone_str};

    const ZONE: &str = "\
@        3600 IN SOA ns hostmaster 1 7200 3600 1209600 300
@        3600 IN NS ns
ns       3600 IN A 192.0.2.1
a.b.ent  3600 IN A 192.0.2.2
*.wild   3600 IN A 192.0.2.3
sub      3600 IN NS ns.sub
sub      3600 IN DS 1 8 2 00112233
ns.sub   3600 IN A 192.0.2.4
old      3600 IN DNAME new.example.com.
";

    fn kind(f: Found<'_>) -> String {
        match f {
            Found::Exact(n) => format!("exact {}", name::DisplayName(n.name())),
            Found::Referral { cut, .. } => format!("referral {}", name::DisplayName(cut)),
            Found::Dname { owner, .. } => format!("dname {}", name::DisplayName(owner)),
            Found::Wildcard(n) => format!("wildcard {}", name::DisplayName(n.name())),
            Found::NxDomain => "nxdomain".into(),
        }
    }

    /// A name of `n` one-octet labels above `below` (dotted).
    fn deep(n: usize, below: &str) -> Vec<u8> {
        let mut w: Vec<u8> = (0..n).flat_map(|_| [1, b'x']).collect();
        w.extend_from_slice(&from_dotted(below).unwrap());
        w
    }

    #[test]
    fn walks_down_from_the_apex_label_by_label() {
        let origin = from_dotted("example.com").unwrap();
        let zone = build_zone(&origin, read_zone_str(ZONE, "t.zone", &origin, None).unwrap()).unwrap();
        let find = |q: &[u8], t: u16| kind(find(&zone, q, t));
        let dotted = |q: &str, t: u16| find(&from_dotted(q).unwrap(), t);
        assert_eq!(dotted("example.com", rtype::A), "exact example.com.");
        assert_eq!(dotted("ns.example.com", rtype::A), "exact ns.example.com.");
        assert_eq!(dotted("b.ent.example.com", rtype::A), "exact b.ent.example.com.");
        assert_eq!(dotted("x.b.ent.example.com", rtype::A), "nxdomain");
        assert_eq!(dotted("nope.example.com", rtype::A), "nxdomain");
        assert_eq!(dotted("q.wild.example.com", rtype::A), "wildcard *.wild.example.com.");
        assert_eq!(dotted("sub.example.com", rtype::A), "referral sub.example.com.");
        assert_eq!(dotted("sub.example.com", rtype::DS), "exact sub.example.com.");
        assert_eq!(dotted("a.ns.sub.example.com", rtype::DS), "referral sub.example.com.");
        assert_eq!(dotted("x.old.example.com", rtype::A), "dname old.example.com.");
        assert_eq!(dotted("old.example.com", rtype::A), "exact old.example.com.");
        // The longest names: 120 labels under the wildcard, and a 255-octet
        // name of 121 one-octet labels under the apex.
        assert_eq!(find(&deep(120, "wild.example.com"), rtype::A), "wildcard *.wild.example.com.");
        let longest = deep(121, "example.com");
        assert_eq!(longest.len(), 255);
        assert_eq!(find(&longest, rtype::A), "nxdomain");
        assert_eq!(find(&deep(3, "sub.example.com"), rtype::A), "referral sub.example.com.");
    }
}
