//! Evaluating an [`Update`] against one zone version: the prerequisites
//! (RFC 2136 §3.2) and then the operations (§3.4.2), giving the records of
//! the next version.
//!
//! Owns: the meaning of each operation, including the rules that make some
//! of them silently do nothing (§3.4.2.2–§3.4.2.4): an SOA whose serial is not
//! newer, a CNAME beside other data or other data beside a CNAME, deleting
//! the apex SOA or NS RRset or the last apex NS, an SOA added below the apex.
//! RDATA is compared in canonical form (names inside lowercased, RFC 4034
//! §6.2), TTLs never (§1.1.1).
//! Must not: publish, persist or bump the serial (the zone editor does), or
//! read zone internals beyond [`zone_records`].
//!
//! Only the names the update mentions are taken apart; every other record is
//! passed through to the new version as it is.
//!
//! Beyond RFC 2136, as BIND does: an RR added to an RRset with another TTL
//! gives the whole RRset its TTL (an RRset has one TTL, RFC 2181 §5.2).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use super::message::{Op, Prereq, Update};
use super::names::{layout, skip_plain_name, Field};
use super::UpdateError;
use crate::wire::rtype;
use crate::xfr::diff::zone_records;
use crate::xfr::serial_gt;
use crate::zone::{Record, RecordSource, SourcePos, Zone};

/// The records of the next version.
#[derive(Debug)]
pub struct Applied {
    /// Every record of the zone after the update, SOA first.
    pub records: RecordSource,
    /// Whether any operation changed anything (§3.4.2.7: nothing to commit otherwise).
    pub changed: bool,
    /// The serial of an SOA the update itself put in (§3.4.2.2), if any.
    pub soa_serial: Option<u32>,
}

/// One RRset of a name the update touches.
#[derive(Debug)]
struct Set {
    rtype: u16,
    ttl: u32,
    rdatas: Vec<Box<[u8]>>,
}

type Names = HashMap<Box<[u8]>, Vec<Set>>;

/// Checks the prerequisites of `u` against `zone` and applies its operations.
/// `Err` when a prerequisite fails (its RCODE, §3.2); the zone is untouched.
pub fn apply(zone: &Zone, u: &Update) -> Result<Applied, UpdateError> {
    let touched: HashSet<&[u8]> = u.prereqs.iter().map(prereq_owner).chain(u.ops.iter().map(op_owner)).collect();
    let mut src = zone_records(zone);
    let all = std::mem::take(&mut src.records);
    let mut names: Names = HashMap::with_capacity(touched.len());
    src.records.reserve(all.len() + u.ops.len());
    for r in all {
        if touched.contains(&*r.owner) {
            insert(&mut names, r);
        } else {
            src.records.push(r);
        }
    }
    // §3.2.5: the value-dependent prerequisites are compared after the others.
    let (plain, by_value): (Vec<&Prereq>, Vec<&Prereq>) = u.prereqs.iter().partition(|p| !matches!(p, Prereq::RrsetEquals(..)));
    if let Some(p) = plain.into_iter().chain(by_value).find(|p| !holds(&names, p)) {
        return Err(UpdateError::Prereq(p.failure_rcode(), describe(p)));
    }
    let mut changed = false;
    let mut soa_serial = None;
    for op in &u.ops {
        let c = apply_op(&mut names, &zone.origin, op);
        if c && matches!(op, Op::Add { rtype: rtype::SOA, .. }) {
            soa_serial = names.get(&zone.origin).and_then(|s| find(s, rtype::SOA)).and_then(|s| soa_serial_of(&s.rdatas[0]));
        }
        changed |= c;
    }
    let first = src.records.len();
    for (owner, sets) in names {
        for set in sets {
            for rdata in set.rdatas {
                let class = crate::wire::class::IN;
                src.records.push(Record { owner: owner.clone(), rtype: set.rtype, class, ttl: set.ttl, rdata, src: SourcePos::default() });
            }
        }
    }
    if let Some(i) = src.records[first..].iter().position(|r| r.rtype == rtype::SOA && r.owner == zone.origin) {
        src.records.swap(0, first + i);
    }
    Ok(Applied { records: src, changed, soa_serial })
}

fn insert(names: &mut Names, r: Record) {
    let sets = names.entry(r.owner).or_default();
    match sets.iter_mut().find(|s| s.rtype == r.rtype) {
        Some(s) => s.rdatas.push(r.rdata),
        None => sets.push(Set { rtype: r.rtype, ttl: r.ttl, rdatas: vec![r.rdata] }),
    }
}

fn prereq_owner(p: &Prereq) -> &[u8] {
    match p {
        Prereq::NameInUse(o) | Prereq::NameNotInUse(o) | Prereq::RrsetExists(o, _) | Prereq::RrsetAbsent(o, _) | Prereq::RrsetEquals(o, _, _) => o,
    }
}

fn op_owner(op: &Op) -> &[u8] {
    match op {
        Op::Add { owner, .. } | Op::DeleteRrset(owner, _) | Op::DeleteName(owner) | Op::DeleteRr(owner, _, _) => owner,
    }
}

fn find(sets: &[Set], t: u16) -> Option<&Set> {
    sets.iter().find(|s| s.rtype == t)
}

fn describe(p: &Prereq) -> String {
    use crate::wire::name::DisplayName as N;
    use crate::wire::rtype::TypeName as T;
    match p {
        Prereq::NameInUse(o) => format!("{} is not in use", N(o)),
        Prereq::NameNotInUse(o) => format!("{} is in use", N(o)),
        Prereq::RrsetExists(o, t) => format!("no {} RRset at {}", T(*t), N(o)),
        Prereq::RrsetAbsent(o, t) => format!("{} has a {} RRset", N(o), T(*t)),
        Prereq::RrsetEquals(o, t, _) => format!("the {} RRset at {} differs", T(*t), N(o)),
    }
}

/// §3.2: whether `p` holds. Names are matched exactly: no wildcards (§3.2.1).
fn holds(names: &Names, p: &Prereq) -> bool {
    let sets = |o: &[u8]| names.get(o).map(Vec::as_slice).unwrap_or_default();
    match p {
        Prereq::NameInUse(o) => !sets(o).is_empty(),
        Prereq::NameNotInUse(o) => sets(o).is_empty(),
        Prereq::RrsetExists(o, t) => find(sets(o), *t).is_some(),
        Prereq::RrsetAbsent(o, t) => find(sets(o), *t).is_none(),
        Prereq::RrsetEquals(o, t, want) => find(sets(o), *t).is_some_and(|s| {
            let have: HashSet<Cow<'_, [u8]>> = s.rdatas.iter().map(|d| canonical(*t, d)).collect();
            let want: HashSet<Cow<'_, [u8]>> = want.iter().map(|d| canonical(*t, d)).collect();
            have == want
        }),
    }
}

/// Types that may share an owner with a CNAME (RFC 2181 §10.1, RFC 4035 §2.5),
/// as the zone builder allows.
fn beside_cname(t: u16) -> bool {
    matches!(t, rtype::CNAME | rtype::RRSIG | rtype::NSEC | 25 /* KEY */)
}

/// §3.4.2: applies one operation; true when it changed something.
fn apply_op(names: &mut Names, apex: &[u8], op: &Op) -> bool {
    match op {
        Op::Add { owner, rtype: t, ttl, rdata } => {
            let at_apex = **owner == *apex;
            add(names.entry(owner.clone()).or_default(), at_apex, *t, *ttl, rdata)
        }
        Op::DeleteRrset(owner, t) => {
            // §3.4.2.3: the apex SOA and NS RRsets stay.
            if **owner == *apex && matches!(*t, rtype::SOA | rtype::NS) {
                return false;
            }
            remove_sets(names, owner, |s| s.rtype == *t)
        }
        // §3.4.2.3: at the apex, everything but the SOA and NS.
        Op::DeleteName(owner) => remove_sets(names, owner, |s| **owner != *apex || !matches!(s.rtype, rtype::SOA | rtype::NS)),
        Op::DeleteRr(owner, t, rdata) => {
            let Some(sets) = names.get_mut(owner) else { return false };
            let Some(i) = sets.iter().position(|s| s.rtype == *t) else { return false };
            let set = &mut sets[i];
            // §3.4.2.4: never the SOA, never the last apex NS.
            if *t == rtype::SOA || (**owner == *apex && *t == rtype::NS && set.rdatas.len() == 1) {
                return false;
            }
            let want = canonical(*t, rdata);
            let Some(j) = set.rdatas.iter().position(|d| canonical(*t, d) == want) else { return false };
            set.rdatas.remove(j);
            if set.rdatas.is_empty() {
                sets.remove(i);
            }
            true
        }
    }
}

fn remove_sets(names: &mut Names, owner: &[u8], which: impl Fn(&Set) -> bool) -> bool {
    let Some(sets) = names.get_mut(owner) else { return false };
    let before = sets.len();
    sets.retain(|s| !which(s));
    sets.len() != before
}

/// §3.4.2.2: adds one RR to the sets of its owner.
fn add(sets: &mut Vec<Set>, at_apex: bool, t: u16, ttl: u32, rdata: &[u8]) -> bool {
    let cname = find(sets, rtype::CNAME).is_some();
    if t == rtype::CNAME && sets.iter().any(|s| !beside_cname(s.rtype)) {
        return false; // a CNAME beside other data: ignored
    }
    if !beside_cname(t) && cname {
        return false; // other data beside a CNAME: ignored
    }
    let Some(set) = sets.iter_mut().find(|s| s.rtype == t) else {
        if t == rtype::SOA {
            return false; // an SOA anywhere but at the apex
        }
        sets.push(Set { rtype: t, ttl, rdatas: vec![rdata.into()] });
        return true;
    };
    if t == rtype::SOA {
        // Replaces the SOA only with a newer serial.
        let (Some(new), Some(old)) = (soa_serial_of(rdata), set.rdatas.first().and_then(|d| soa_serial_of(d))) else { return false };
        if !at_apex || !serial_gt(new, old) {
            return false;
        }
    }
    let mut changed = set.ttl != ttl;
    set.ttl = ttl;
    if matches!(t, rtype::SOA | rtype::CNAME) {
        // One record only: the new one replaces it.
        changed |= set.rdatas.len() != 1 || *set.rdatas[0] != *rdata;
        set.rdatas = vec![rdata.into()];
        return changed;
    }
    let want = canonical(t, rdata);
    match set.rdatas.iter().position(|d| canonical(t, d) == want) {
        // A duplicate replaces the zone's record (§3.4.2.2): its case may differ.
        Some(j) if *set.rdatas[j] != *rdata => {
            set.rdatas[j] = rdata.into();
            true
        }
        Some(_) => changed,
        None => {
            set.rdatas.push(rdata.into());
            true
        }
    }
}

/// The serial of SOA RDATA (after MNAME and RNAME).
fn soa_serial_of(rdata: &[u8]) -> Option<u32> {
    crate::wire::soa::Soa::parse(rdata).map(|s| s.serial)
}

/// RDATA with the names inside lowercased (RFC 4034 §6.2), for comparisons.
fn canonical(t: u16, rdata: &[u8]) -> Cow<'_, [u8]> {
    let Some(fields) = layout(t) else { return Cow::Borrowed(rdata) };
    let mut out = rdata.to_vec();
    let mut p = 0;
    for f in fields {
        match f {
            Field::Fixed(n) => p += *n,
            Field::NaptrHead => match crate::wire::rr::naptr_head_end(rdata, p) {
                Some(end) => p = end,
                None => break,
            },
            Field::Name => {
                let Some(end) = skip_plain_name(rdata, p) else { break };
                crate::wire::name::lowercase_wire(&mut out[p..end]);
                p = end;
            }
        }
    }
    Cow::Owned(out)
}
