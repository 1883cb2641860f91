//! Reading an UPDATE message (RFC 2136 §2) into an [`Update`].
//!
//! Owns: the zone section check (§3.1.1: ZOCOUNT = 1, ZTYPE = SOA), the
//! checks of the prerequisite section (§3.2) that need no zone data (TTL 0,
//! RDLENGTH 0 for ANY/NONE, the class, NOTZONE), and the prescan of the update
//! section (§3.4.1). What each record means is decided here once: a
//! [`Prereq`] or an [`Op`].
//! Must not: look at zone data (that is [`super::apply`]) or decide who may
//! update (that is [`super`]).
//!
//! The class of a record says what it means (§2.4, §2.5):
//!
//! ```text
//!  prerequisite   CLASS  TYPE   RDATA   meaning                   fails with
//!                 ANY    ANY    empty   name is in use            NXDOMAIN
//!                 ANY    rrset  empty   RRset exists              NXRRSET
//!                 NONE   ANY    empty   name is not in use        YXDOMAIN
//!                 NONE   rrset  empty   RRset does not exist      YXRRSET
//!                 IN     rrset  rr      RRset exists with these   NXRRSET
//!  update         IN     rrset  rr      add to an RRset
//!                 ANY    ANY    empty   delete all RRsets at a name
//!                 ANY    rrset  empty   delete an RRset
//!                 NONE   rrset  rr      delete an RR
//! ```

use super::UpdateError;
use crate::wire::name::{is_subdomain, DisplayName};
use crate::wire::request::Request;
use crate::wire::rr::{read_sections, WireRr};
use crate::wire::rtype::{self, TypeName};
use crate::wire::{class, rcode};

/// A prerequisite (RFC 2136 §2.4). Owners are lowercase wire names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prereq {
    /// §2.4.4: at least one RR owned by the name.
    NameInUse(Box<[u8]>),
    /// §2.4.5: no RR owned by the name.
    NameNotInUse(Box<[u8]>),
    /// §2.4.1: an RRset of this type exists, whatever its records.
    RrsetExists(Box<[u8]>, u16),
    /// §2.4.3: no RRset of this type exists.
    RrsetAbsent(Box<[u8]>, u16),
    /// §2.4.2: the RRset exists and holds exactly these RDATAs (the records
    /// of one owner and type in the section, grouped).
    RrsetEquals(Box<[u8]>, u16, Vec<Box<[u8]>>),
}

impl Prereq {
    /// The RCODE when the prerequisite does not hold (§3.2.1–§3.2.3).
    pub fn failure_rcode(&self) -> u16 {
        match self {
            Prereq::NameInUse(_) => rcode::NXDOMAIN,
            Prereq::NameNotInUse(_) => rcode::YXDOMAIN,
            Prereq::RrsetExists(..) | Prereq::RrsetEquals(..) => rcode::NXRRSET,
            Prereq::RrsetAbsent(..) => rcode::YXRRSET,
        }
    }
}

/// One update operation (RFC 2136 §2.5), applied in message order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// §2.5.1: add an RR to an RRset.
    Add {
        /// Owner, lowercase wire.
        owner: Box<[u8]>,
        /// Type.
        rtype: u16,
        /// TTL.
        ttl: u32,
        /// RDATA, uncompressed.
        rdata: Box<[u8]>,
    },
    /// §2.5.2: delete an RRset.
    DeleteRrset(Box<[u8]>, u16),
    /// §2.5.3: delete all RRsets at a name.
    DeleteName(Box<[u8]>),
    /// §2.5.4: delete one RR (matched by RDATA; TTL ignored).
    DeleteRr(Box<[u8]>, u16, Box<[u8]>),
}

/// A parsed UPDATE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    /// The zone (ZNAME), lowercase wire.
    pub zone: Box<[u8]>,
    /// The prerequisites, in message order (value-dependent ones grouped
    /// per owner and type at the place of their first record).
    pub prereqs: Vec<Prereq>,
    /// The operations, in message order.
    pub ops: Vec<Op>,
}

fn formerr(what: String) -> UpdateError {
    UpdateError::FormErr(what)
}

/// The zone an UPDATE is for (§3.1.1): its lowercase apex. FORMERR when the
/// zone section is not one SOA question of class IN; a class we do not serve
/// is NOTAUTH.
pub fn zone_of(r: &Request<'_>) -> Result<Box<[u8]>, UpdateError> {
    let q = r.question.as_ref().filter(|_| r.counts[0] == 1).ok_or_else(|| formerr(format!("ZOCOUNT is {}, not 1", r.counts[0])))?;
    if q.qtype != rtype::SOA {
        return Err(formerr(format!("zone section type is {}, not SOA", TypeName(q.qtype))));
    }
    if q.qclass != class::IN {
        return Err(UpdateError::NotAuth(format!("class {} is not served", q.qclass)));
    }
    Ok(q.lower.as_wire().into())
}

/// Reads the prerequisite and update sections of `r` (the additional section
/// holds at most OPT and TSIG for us, and is ignored).
pub fn parse(r: &Request<'_>) -> Result<Update, UpdateError> {
    let zone = zone_of(r)?;
    let records = read_sections(r.msg, r.answer_at, r.counts).map_err(|e| formerr(format!("cannot read the records: {e}")))?;
    let mut u = Update { zone, prereqs: Vec::new(), ops: Vec::new() };
    for (section, rr) in records {
        match section {
            1 => prereq(&mut u, rr)?,
            2 => u.ops.push(op(&u.zone, rr)?),
            _ => {}
        }
    }
    Ok(u)
}

fn in_zone(zone: &[u8], rr: &WireRr) -> Result<(), UpdateError> {
    if is_subdomain(&rr.owner, zone) {
        Ok(())
    } else {
        Err(UpdateError::NotZone(format!("{} is not in zone {}", DisplayName(&rr.owner), DisplayName(zone))))
    }
}

/// §3.2: one prerequisite record.
fn prereq(u: &mut Update, rr: WireRr) -> Result<(), UpdateError> {
    let show = |rr: &WireRr| format!("{} {} {}", DisplayName(&rr.owner), rr.class, TypeName(rr.rtype));
    if rr.ttl != 0 {
        return Err(formerr(format!("prerequisite {} has TTL {}, not 0", show(&rr), rr.ttl)));
    }
    in_zone(&u.zone, &rr)?;
    let owner: Box<[u8]> = rr.owner.into();
    let p = match rr.class {
        class::ANY | class::NONE if !rr.rdata.is_empty() => {
            return Err(formerr(format!("prerequisite of class {} with RDATA", rr.class)));
        }
        class::ANY if rr.rtype == rtype::ANY => Prereq::NameInUse(owner),
        class::NONE if rr.rtype == rtype::ANY => Prereq::NameNotInUse(owner),
        class::ANY | class::NONE if rtype::is_meta(rr.rtype) => {
            return Err(formerr(format!("prerequisite on meta type {}", TypeName(rr.rtype))));
        }
        class::ANY => Prereq::RrsetExists(owner, rr.rtype),
        class::NONE => Prereq::RrsetAbsent(owner, rr.rtype),
        class::IN if rtype::is_meta(rr.rtype) => {
            return Err(formerr(format!("value-dependent prerequisite on meta type {}", TypeName(rr.rtype))));
        }
        class::IN => {
            let rdata: Box<[u8]> = rr.rdata.into();
            let existing = u.prereqs.iter_mut().find_map(|p| match p {
                Prereq::RrsetEquals(o, t, set) if *o == owner && *t == rr.rtype => Some(set),
                _ => None,
            });
            match existing {
                Some(set) => set.push(rdata),
                None => u.prereqs.push(Prereq::RrsetEquals(owner, rr.rtype, vec![rdata])),
            }
            return Ok(());
        }
        c => return Err(formerr(format!("prerequisite of class {c}"))),
    };
    u.prereqs.push(p);
    Ok(())
}

/// §3.4.1: prescan of one update record.
fn op(zone: &[u8], rr: WireRr) -> Result<Op, UpdateError> {
    in_zone(zone, &rr)?;
    let t = rr.rtype;
    let owner: Box<[u8]> = rr.owner.into();
    match rr.class {
        class::IN => {
            if rtype::is_meta(t) {
                return Err(formerr(format!("cannot add a record of type {}", TypeName(t))));
            }
            check_rdata(t, &rr.rdata)?;
            Ok(Op::Add { owner, rtype: t, ttl: rr.ttl, rdata: rr.rdata.into() })
        }
        class::ANY => {
            if rr.ttl != 0 || !rr.rdata.is_empty() {
                return Err(formerr("a deletion of class ANY has TTL 0 and no RDATA".into()));
            }
            match t {
                rtype::ANY => Ok(Op::DeleteName(owner)),
                _ if rtype::is_meta(t) => Err(formerr(format!("cannot delete type {}", TypeName(t)))),
                _ => Ok(Op::DeleteRrset(owner, t)),
            }
        }
        class::NONE => {
            if rr.ttl != 0 {
                return Err(formerr("a deletion of class NONE has TTL 0".into()));
            }
            if rtype::is_meta(t) {
                return Err(formerr(format!("cannot delete a record of type {}", TypeName(t))));
            }
            Ok(Op::DeleteRr(owner, t, rr.rdata.into()))
        }
        c => Err(formerr(format!("update record of class {c}"))),
    }
}

/// RDATA a record to add must have: the fixed length of A and AAAA, and
/// something for the types holding names (whose names were checked when the
/// record was read).
fn check_rdata(t: u16, rdata: &[u8]) -> Result<(), UpdateError> {
    let ok = match t {
        rtype::A => rdata.len() == 4,
        rtype::AAAA => rdata.len() == 16,
        _ if super::names::has_names(t) => !rdata.is_empty(),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(formerr(format!("{} RDATA of {} octets", TypeName(t), rdata.len())))
    }
}
