//! The EDNS EXPIRE option (RFC 7314): what a response says when asked.
//!
//! Owns: the value: a secondary's seconds left before it expires (0 once
//! expired), a primary's SOA EXPIRE. Must not: decide whether to send it
//! (the handler does, when the request carried the option).

use crate::clock::unix_now;
use crate::wire::request::Request;
use crate::wire::soa::Soa;
use crate::zone::set::ZoneSet;

/// Octets the EXPIRE option takes inside the OPT record: code, length, value.
pub(super) const OPTION_LEN: usize = 8;

/// The EXPIRE value for the zone of `r`'s question (rare: kept out of line).
#[cold]
#[inline(never)]
pub(super) fn value(zones: &ZoneSet, r: &Request<'_>) -> Option<u32> {
    let q = r.question.as_ref()?;
    let table = zones.load();
    let served = table.find(q.lower.as_wire())?;
    if served.status.is_expired() {
        return Some(0);
    }
    if let Some(at) = served.status.expire_at() {
        let now = unix_now();
        return Some(u32::try_from(at.saturating_sub(now)).unwrap_or(u32::MAX));
    }
    let soa = served.zone.soa();
    Soa::parse(soa.rdatas().next()?).map(|s| s.expire)
}
