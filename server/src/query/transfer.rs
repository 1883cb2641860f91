//! Transfers out and NOTIFY in, at the request layer.
//!
//! Owns: access control for AXFR/IXFR (`allowTransfer` by address or TSIG key,
//! RFC 5936 §6: REFUSED when not allowed, NOTAUTH for a zone not served), the
//! choice of AXFR or IXFR stream, IXFR over UDP (RFC 1995 §2: we always answer
//! with the current SOA alone, so the client retries over TCP — the choice
//! RFC 9103 notes most servers make), and NOTIFY in (RFC 1996 §3.7: answer
//! every valid NOTIFY, accept it only from the zone's primaries or
//! `allowNotify`, then wake the zone's refresh task).
//! Must not: do I/O; streams are produced on demand by `xfr`.

use std::net::SocketAddr;
use std::sync::Arc;

use super::answer::Outcome;
use super::RequestCtx;
use crate::catalog::{Catalog, NotifySource, ZonePolicy};
use crate::wire::name::BareName as DisplayName;
use crate::wire::request::Request;
use crate::wire::rtype;
use crate::wire::writer::MsgWriter;
use crate::wire::{rcode, MessageStream};
use crate::xfr::axfr::AxfrStream;
use crate::xfr::ixfr::{self, IxfrStream};
use crate::zone::set::ZoneSet;

/// `ip#port` as BIND writes it in logs.
pub(crate) struct Peer(pub SocketAddr);

impl std::fmt::Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.0.ip(), self.0.port())
    }
}

/// `allowTransfer`: the client's address is listed, or the request was signed
/// with one of the listed TSIG keys (names compared ignoring case and a
/// trailing dot). An empty list allows nobody.
fn may_transfer(policy: &ZonePolicy, ctx: &RequestCtx, tsig_key: Option<&str>) -> bool {
    let same = |a: &str, k: &str| a.trim_end_matches('.').eq_ignore_ascii_case(k.trim_end_matches('.'));
    tsig_key.is_some_and(|k| policy.allow_transfer_keys.iter().any(|a| same(a, k))) || policy.allow_transfer.matches(ctx.peer.ip())
}

/// Decision for a transfer request.
pub(super) enum Decision {
    /// Answer with this RCODE in a single message.
    Refuse(u16),
    /// Stream these messages.
    Stream(Box<dyn MessageStream>),
}

/// Decides an AXFR/IXFR request received over TCP. `tsig_key` is the name of
/// the key that signed the request, when it verified.
pub(super) fn transfer(zones: &ZoneSet, reg: &Catalog, r: &Request<'_>, ctx: &RequestCtx, tsig_key: Option<&str>) -> Decision {
    let Some(q) = &r.question else { return Decision::Refuse(rcode::FORMERR) };
    let apex = q.lower.as_wire();
    let kind = if q.qtype == rtype::AXFR { "AXFR" } else { "IXFR" };
    let table = zones.load();
    let (Some(served), Some(ctl)) = (table.get(apex), reg.get(apex)) else {
        tracing::info!(remote = %Peer(ctx.peer), zone = %DisplayName(apex), "zone transfer '{}/{kind}/IN' denied: zone not served", DisplayName(apex));
        return Decision::Refuse(rcode::NOTAUTH);
    };
    let policy = ctl.policy();
    if !may_transfer(&policy, ctx, tsig_key) {
        tracing::info!(remote = %Peer(ctx.peer), zone = %DisplayName(apex), "client {}: zone transfer '{}/{kind}/IN' denied", Peer(ctx.peer), DisplayName(apex));
        return Decision::Refuse(rcode::REFUSED);
    }
    if served.status.is_expired() {
        return Decision::Refuse(rcode::SERVFAIL);
    }
    let zone = served.zone.clone();
    let question = (q.name, q.qtype, q.qclass);
    if q.qtype == rtype::AXFR {
        tracing::info!(remote = %Peer(ctx.peer), zone = %DisplayName(apex), serial = zone.serial, op = "AXFR",
            "client {}: transfer of '{}/IN': AXFR started (serial {})", Peer(ctx.peer), DisplayName(apex), zone.serial);
        return Decision::Stream(Box::new(AxfrStream::new(zone, r.id, question)));
    }
    let Some(client) = ixfr::client_serial(r) else { return Decision::Refuse(rcode::FORMERR) };
    // The journal's lock is held only to choose (and condense the diff):
    // the answer, a whole zone included, is produced after it is released.
    let plan = {
        let journal = ctl.journal.lock().unwrap_or_else(|p| p.into_inner());
        IxfrStream::plan(&zone, &journal, client)
    };
    let stream = IxfrStream::with_plan(Arc::clone(&zone), plan, client, r.id, question);
    tracing::info!(remote = %Peer(ctx.peer), zone = %DisplayName(apex), serial = zone.serial, op = "IXFR",
        "client {}: transfer of '{}/IN': IXFR started (serial {} -> {}, {})", Peer(ctx.peer), DisplayName(apex), client, zone.serial, stream.kind().as_str());
    Decision::Stream(Box::new(stream))
}

/// IXFR over UDP: the current SOA alone when allowed (RFC 1995 §2).
pub(super) fn ixfr_udp(zones: &ZoneSet, reg: &Catalog, r: &Request<'_>, ctx: &RequestCtx, tsig_key: Option<&str>, w: &mut MsgWriter<'_>) -> Outcome {
    let Some(q) = &r.question else { return Outcome { rcode: rcode::FORMERR, aa: false } };
    let table = zones.load();
    let (Some(served), Some(ctl)) = (table.get(q.lower.as_wire()), reg.get(q.lower.as_wire())) else {
        return Outcome { rcode: rcode::NOTAUTH, aa: false };
    };
    let policy = ctl.policy();
    if !may_transfer(&policy, ctx, tsig_key) {
        return Outcome { rcode: rcode::REFUSED, aa: false };
    }
    // As over TCP: an expired zone's SOA is no longer an answer (checklist T1).
    if served.status.is_expired() {
        return Outcome { rcode: rcode::SERVFAIL, aa: false };
    }
    let _ = ixfr::write_udp_answer(w, &served.zone);
    Outcome { rcode: rcode::NOERROR, aa: true }
}

/// NOTIFY in (RFC 1996 §3.7–3.11).
pub(super) fn notify(reg: &Catalog, r: &Request<'_>, ctx: &RequestCtx, tsig_key: Option<&str>) -> Outcome {
    let Some(q) = &r.question else { return Outcome { rcode: rcode::FORMERR, aa: false } };
    if q.qtype != rtype::SOA {
        return Outcome { rcode: rcode::FORMERR, aa: false };
    }
    let apex = q.lower.as_wire();
    // A secondary zone configured but not loaded yet is still ours: its first
    // NOTIFY should start its first transfer.
    let Some(ctl) = reg.get(apex) else {
        tracing::info!(remote = %Peer(ctx.peer), zone = %DisplayName(apex), "received notify for zone '{}' from {}: not authoritative", DisplayName(apex), Peer(ctx.peer));
        return Outcome { rcode: rcode::NOTAUTH, aa: false };
    };
    let policy = ctl.policy();
    if !policy.is_secondary() {
        tracing::info!(remote = %Peer(ctx.peer), zone = %DisplayName(apex), "received notify for zone '{}' from {}: not a secondary zone; refused", DisplayName(apex), Peer(ctx.peer));
        return Outcome { rcode: rcode::REFUSED, aa: false };
    }
    match policy.notify_from(ctx.peer.ip(), tsig_key) {
        NotifySource::Allowed => {}
        NotifySource::Stranger => {
            tracing::warn!(remote = %Peer(ctx.peer), zone = %DisplayName(apex), "refused notify for zone '{}' from non-primary {}", DisplayName(apex), Peer(ctx.peer));
            return Outcome { rcode: rcode::REFUSED, aa: false };
        }
        NotifySource::KeyRequired(want) => {
            tracing::warn!(remote = %Peer(ctx.peer), zone = %DisplayName(apex), key = tsig_key.unwrap_or("-"), "refused notify for zone '{}' from {}: the primary is configured with key {want}; the NOTIFY must be signed with it", DisplayName(apex), Peer(ctx.peer));
            return Outcome { rcode: rcode::REFUSED, aa: false };
        }
    }
    tracing::info!(remote = %Peer(ctx.peer), zone = %DisplayName(apex), "received notify for zone '{}' from {}", DisplayName(apex), Peer(ctx.peer));
    ctl.refresh.notify_one();
    Outcome { rcode: rcode::NOERROR, aa: true }
}
