//! Turning a zone lookup into response sections (RFC 1034 §4.3.2 steps 3–6).
//!
//! Owns: following CNAMEs and DNAME substitutions inside the zone (RFC 1034
//! §3.6.2, RFC 6672 §3.2, with a loop bound), NXDOMAIN/NODATA with the SOA
//! (RFC 2308 §3), referrals with glue (RFC 9471), additional-section data for
//! NS/MX/SRV answers (RFC 1035 §3.3, dropped silently when it does not fit).
//! Must not: allocate. Chain state lives in fixed arrays.
//!
//! Every name the chain visits is already in the message, uncompressed: the
//! question at offset 12, then each CNAME target in the RDATA just written
//! (or the synthesized CNAME's). So the chain keeps offsets, not copies:
//! owners of the next records are pointers to those names, names a lookup
//! found as their suffix (a cut, a DNAME owner, the apex for the SOA) are
//! pointers into them when the octets match exactly, glue owners are pointers
//! to the NS RDATA, and the loop check compares against the earlier names in
//! the message.

mod names;
mod sections;
#[cfg(test)]
mod tests;

use crate::wire::name::is_subdomain as in_domain;
use crate::wire::name::NameBuf;
use crate::wire::request::Question;
use crate::wire::writer::{MsgWriter, Owner, Section, IMAGE_HEADER};
use crate::wire::{class, rcode, rtype};
use crate::zone::lookup::{self, Found};
use crate::zone::{Rrset, Zone};
use names::{has_upper, plain_name};
use sections::{additional, negative, referral, suffix_owner};

/// Longest CNAME/DNAME chain followed inside one zone.
const MAX_CHAIN: usize = 16;

/// Offsets from here on cannot be the target of a compression pointer.
const MAX_POINTER: usize = 0x4000;

/// The outcome for the header: RCODE and whether AA is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Outcome {
    pub rcode: u16,
    pub aa: bool,
}

const OK: Outcome = Outcome { rcode: rcode::NOERROR, aa: true };

/// The name being looked up: lowercase for the lookup, and where the message
/// holds it as written (uncompressed, `lower.len()` octets).
#[derive(Clone, Copy)]
struct Cur<'a> {
    lower: &'a [u8],
    at: usize,
}

/// Where a CNAME or DNAME moved the chain.
struct Next<'z> {
    /// The new name in the message (uncompressed) and its length.
    at: usize,
    len: usize,
    /// Its lowercase form when the zone holds it so (else it is lowercased from the message).
    lower: Option<&'z [u8]>,
    /// The DNAME applied: where its owner sits in the message (a suffix of the old name) and its length.
    dname: Option<(usize, usize)>,
}

enum Step<'z> {
    Done(Outcome),
    Next(Next<'z>),
}

/// Answers `q` from `zone` into `w`. With `any_one`, QTYPE ANY gets one
/// RRset of the name rather than all of them (RFC 8482 §4.1, for UDP).
pub(super) fn answer(zone: &Zone, q: &Question<'_>, any_one: bool, w: &mut MsgWriter<'_>) -> Outcome {
    match step(zone, q, Cur { lower: q.lower.as_wire(), at: 12 }, None, any_one, w) {
        Step::Done(o) => o,
        Step::Next(next) => chase(zone, q, next, any_one, w),
    }
}

/// Follows the chain after the question's own CNAME or DNAME.
fn chase<'z>(zone: &'z Zone, q: &Question<'_>, mut next: Next<'z>, any_one: bool, w: &mut MsgWriter<'_>) -> Outcome {
    let mut seen = Seen { names: [0; MAX_CHAIN + 1], dnames: [0; MAX_CHAIN], n: 1, nd: 0 };
    seen.names[0] = pack(12, q.lower.len());
    let mut buf: Option<NameBuf> = None;
    for _ in 1..MAX_CHAIN {
        if let Some((at, len)) = next.dname {
            seen.dnames[seen.nd] = pack(at, len);
            seen.nd += 1;
        }
        // A name seen before in this chain is a loop: stop with what we have.
        let msg = w.written();
        let cased = &msg[next.at..next.at + next.len];
        if seen.names[..seen.n].iter().any(|&e| unpack(msg, e).eq_ignore_ascii_case(cased)) {
            return OK;
        }
        seen.names[seen.n] = pack(next.at, next.len);
        seen.n += 1;
        let lower = match next.lower {
            Some(l) => l,
            None => {
                let Ok(b) = NameBuf::from_wire(cased) else { return OK };
                let b = buf.insert(b);
                b.make_lowercase();
                b.as_wire()
            }
        };
        if !in_domain(lower, &zone.origin) {
            return OK; // the chain leaves the zone: the client follows it
        }
        match step(zone, q, Cur { lower, at: next.at }, Some(&seen), any_one, w) {
            Step::Done(o) => return o,
            Step::Next(n) => next = n,
        }
    }
    OK
}

/// Names and DNAME owners the chain met, as packed (offset, length) in the message.
struct Seen {
    names: [u32; MAX_CHAIN + 1],
    dnames: [u32; MAX_CHAIN],
    n: usize,
    nd: usize,
}

fn pack(at: usize, len: usize) -> u32 {
    ((at as u32) << 8) | len as u32
}

fn unpack(msg: &[u8], e: u32) -> &[u8] {
    let at = (e >> 8) as usize;
    &msg[at..at + (e & 0xFF) as usize]
}

/// One lookup of the chain: writes what it finds for `cur`, and says where
/// the chain goes next, if anywhere.
fn step<'z>(zone: &'z Zone, q: &Question<'_>, cur: Cur<'_>, seen: Option<&Seen>, any_one: bool, w: &mut MsgWriter<'_>) -> Step<'z> {
    // Owner of this name's records: a pointer to where the message holds it.
    let mut far = None;
    let owner = match cur.at {
        12 => Owner::Qname,
        at if at < MAX_POINTER => Owner::Pointer(at as u16),
        at => match NameBuf::from_wire(&w.written()[at..at + cur.lower.len()]) {
            Ok(b) => Owner::Name(far.insert(b).as_wire()),
            Err(_) => return Step::Done(OK),
        },
    };
    match lookup::find(zone, cur.lower, q.qtype) {
        Found::Exact(node) | Found::Wildcard(node) => {
            if q.qtype == rtype::ANY && !node.is_empty_non_terminal() {
                if any_one {
                    return Step::Done(any_minimal(zone, node, owner, cur, w));
                }
                for set in node.rrsets() {
                    if w.rrset(Section::Answer, owner, set.rtype, set.ttl, set.count, set.data).is_err() {
                        break;
                    }
                }
                return Step::Done(OK);
            }
            if let Some(set) = node.get(q.qtype) {
                if w.rrset(Section::Answer, owner, set.rtype, set.ttl, set.count, set.data).is_ok() {
                    additional(zone, &set, w);
                }
                return Step::Done(OK);
            }
            let Some(cname) = node.get(rtype::CNAME) else {
                negative(zone, cur, w);
                return Step::Done(OK); // NODATA (RFC 2308 §2.2), also for empty non-terminals
            };
            let Ok(base) = w.rrset_at(Section::Answer, owner, rtype::CNAME, cname.ttl, cname.count, cname.data, true) else {
                return Step::Done(OK);
            };
            let Some(target) = cname.rdatas().next().and_then(plain_name) else { return Step::Done(OK) };
            let lower = (!has_upper(target)).then_some(target);
            Step::Next(Next { at: base + IMAGE_HEADER, len: target.len(), lower, dname: None })
        }
        Found::Referral { cut, node } => {
            referral(zone, cut, node, cur, w);
            // AA describes the answer section: set only when a CNAME led here.
            Step::Done(Outcome { rcode: rcode::NOERROR, aa: cur.at != 12 })
        }
        Found::Dname { owner: downer, rrset } => dname(q, cur, owner, downer, rrset, seen, w),
        Found::NxDomain => {
            negative(zone, cur, w);
            // After a CNAME the RCODE describes the last name (RFC 6604 §3).
            Step::Done(Outcome { rcode: rcode::NXDOMAIN, aa: true })
        }
    }
}

/// The RFC 8482 §4.1 answer to ANY (over UDP): the name's smallest RRset
/// alone (fewest octets; the lowest type among equals), so an ANY query is
/// worth no more to a reflection attack than any other. BIND's
/// `minimal-any` also answers one RRset; RRSIGs are not added here.
fn any_minimal(zone: &Zone, node: &crate::zone::Node, owner: Owner<'_>, cur: Cur<'_>, w: &mut MsgWriter<'_>) -> Outcome {
    let Some(set) = node.rrsets().min_by_key(|s| (s.data.len(), s.rtype)) else {
        negative(zone, cur, w);
        return OK;
    };
    let _ = w.rrset(Section::Answer, owner, set.rtype, set.ttl, set.count, set.data);
    OK
}

/// Applies the DNAME owned by `downer` (a suffix of `cur`): the DNAME, then
/// the CNAME it synthesizes (RFC 6672 §3.2).
fn dname<'z>(
    q: &Question<'_>,
    cur: Cur<'_>,
    owner: Owner<'_>,
    downer: &[u8],
    rrset: Rrset<'_>,
    seen: Option<&Seen>,
    w: &mut MsgWriter<'_>,
) -> Step<'z> {
    let Some(target) = rrset.rdatas().next() else { return Step::Done(OK) };
    let Some(prefix_len) = cur.lower.len().checked_sub(downer.len()) else { return Step::Done(OK) };
    let downer_at = cur.at + prefix_len;
    // A DNAME met twice (a DNAME into its own subtree): stop rather than
    // repeat it (RFC 6672 §5.2 loop bound, RFC 2181 §5).
    let msg = w.written();
    if seen.is_some_and(|s| s.dnames[..s.nd].iter().any(|&e| unpack(msg, e).eq_ignore_ascii_case(downer))) {
        return Step::Done(OK);
    }
    // Substitute the DNAME owner suffix of the name by its target.
    let mut synth = NameBuf::root();
    let too_long = synth.set_concat(&msg[cur.at..downer_at], target).is_err();
    // A DNAME RRset holds one record (RFC 6672 §2.4): write only the first.
    let first = &rrset.data[..IMAGE_HEADER + target.len()];
    if w.rrset(Section::Answer, suffix_owner(w, cur, downer), rtype::DNAME, rrset.ttl, 1, first).is_err() {
        return Step::Done(OK);
    }
    if too_long {
        return Step::Done(Outcome { rcode: rcode::YXDOMAIN, aa: true }); // RFC 6672 §2.2
    }
    if w.record(Section::Answer, owner, rtype::CNAME, class::IN, rrset.ttl, synth.as_wire(), true).is_err() {
        return Step::Done(OK);
    }
    if q.qtype == rtype::CNAME {
        return Step::Done(OK);
    }
    let len = synth.len();
    Step::Next(Next { at: w.len() - len, len, lower: None, dname: Some((downer_at, downer.len())) })
}
