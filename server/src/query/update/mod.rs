//! Dynamic update (RFC 2136) at the request layer.
//!
//! Owns: answering an UPDATE request — header checks as for any request,
//! TSIG (RFC 8945: a bad signature is NOTAUTH with the TSIG error), the zone
//! check (§3.1: NOTAUTH for a zone not served; REFUSED for a secondary, as
//! BIND without update forwarding), authorisation (`allowUpdate`: the request
//! must be signed with one of the zone's listed keys, else REFUSED, BIND's
//! "update denied", checked before the prerequisites so they leak nothing),
//! then handing the change to the [`ZoneEditor`], and the response (the zone
//! section echoed, TSIG-signed when the request was).
//! Must not: touch sockets or commit anything itself. [`message`] reads the
//! request, [`apply`] computes the next version; the editor (the server
//! runtime) serialises edits per zone and runs the change against the served
//! version, so checking the prerequisites and applying the operations are one
//! atomic step (§3.7), then bumps the serial (§3.6), journals, publishes,
//! persists and sends NOTIFY.
//!
//! ```text
//!  worker (UDP thread / TCP task)      tokio task                 zone editor
//!  Handler::is_update(req) ──owned req──► answer ─ parse, TSIG, zone, key
//!                                          └─ editor.edit(apex, change) ──► per-zone lock
//!                                                                       change(served zone):
//!                                                                       prerequisites ─► operations
//!                                                                       ─► serial, journal, swap, NOTIFY
//!  reply from the query's address ◄────── rcode (+ TSIG) ◄─────────────┘
//! ```

pub mod apply;
pub mod message;
mod names;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::pin::Pin;

use super::answer::Outcome;
use super::transfer::Peer;
use super::{RequestCtx, MAX_MESSAGE};
use crate::catalog::Catalog;
use crate::clock::unix_now;
use crate::tsig::{self, ResponseSigner, Verified};
use crate::wire::name::BareName;
use crate::wire::rcode;
use crate::wire::request::Request;
use crate::zone::set::ZoneSet;
use crate::zone::Zone;
use std::sync::Arc;

pub use apply::Applied;
pub use message::{Op, Prereq, Update};

/// Why an UPDATE is answered with an error, and which RCODE it gets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    /// The message breaks RFC 2136 §3.1–§3.4.1 (FORMERR).
    #[error("malformed update: {0}")]
    FormErr(String),
    /// A record names a name outside the zone (NOTZONE, §3.2, §3.4.1.3).
    #[error("{0}")]
    NotZone(String),
    /// We do not serve the zone (NOTAUTH, §3.1.2).
    #[error("not authoritative: {0}")]
    NotAuth(String),
    /// A prerequisite does not hold; its RCODE (§3.2).
    #[error("prerequisite not satisfied: {1}")]
    Prereq(u16, String),
    /// Not allowed, or the result is not a valid zone (REFUSED).
    #[error("{0}")]
    Refused(String),
    /// The change could not be committed (SERVFAIL).
    #[error("{0}")]
    ServFail(String),
}

impl UpdateError {
    /// The RCODE of the response.
    pub fn rcode(&self) -> u16 {
        match self {
            UpdateError::FormErr(_) => rcode::FORMERR,
            UpdateError::NotZone(_) => rcode::NOTZONE,
            UpdateError::NotAuth(_) => rcode::NOTAUTH,
            UpdateError::Prereq(rc, _) => *rc,
            UpdateError::Refused(_) => rcode::REFUSED,
            UpdateError::ServFail(_) => rcode::SERVFAIL,
        }
    }
}

/// What a change makes of the served version it is given.
#[derive(Debug)]
pub enum Next {
    /// Every operation was a no-op (§3.4.2.7): nothing to commit.
    Unchanged,
    /// The records of the next version (the editor sets its serial).
    Records(Applied),
}

/// A change to one zone, run by the editor against the version it serves.
pub type Change = Box<dyn FnOnce(&Zone) -> Result<Next, UpdateError> + Send>;

/// The future of one commit.
pub type EditFuture = Pin<Box<dyn Future<Output = Result<Committed, UpdateError>> + Send>>;

/// A committed (or empty) change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    /// Serial before.
    pub old_serial: u32,
    /// Serial after (the same when nothing changed).
    pub serial: u32,
}

/// What answering UPDATE needs from the request entry point
/// ([`super::Handler`] implements it): its TSIG, replay and ACL checks and
/// its response writing, so that UPDATE is checked as every request is.
pub(super) trait Host: Sync {
    /// Verifies the request's TSIG record at `at`.
    fn verify_tsig(&self, r: &Request<'_>, at: usize) -> Result<(Verified, ResponseSigner), Box<tsig::Failure>>;
    /// Admits a signed request once (replay guard); `None` for a retransmission in flight.
    fn admit_once(&self, v: (Verified, ResponseSigner)) -> Result<Option<(Verified, ResponseSigner)>, Box<tsig::Failure>>;
    /// Marks a signed request answered.
    fn finish_once(&self, v: &Verified);
    /// Writes the TSIG error response for `f`.
    fn tsig_error(&self, r: &Request<'_>, f: Box<tsig::Failure>, out: &mut [u8]) -> Option<usize>;
    /// Whether `allowQuery` admits `ip`.
    fn allows(&self, ip: std::net::IpAddr) -> bool;
    /// Writes a response with `outcome` and empty sections.
    fn respond_with(&self, r: &Request<'_>, ctx: &RequestCtx, out: &mut [u8], reserve: usize, outcome: Outcome) -> usize;
    /// The served zones.
    fn zones(&self) -> &Arc<ZoneSet>;
    /// The catalog, when transfers (and so TSIG keys) are attached.
    fn transfers(&self) -> Option<&Arc<Catalog>>;
}

/// Commits changes to served zones; implemented by the server runtime.
pub trait ZoneEditor: Send + Sync + std::fmt::Debug {
    /// Runs `change` against the served version of the zone at `apex` with no
    /// other edit of that zone in between, and publishes its result.
    fn edit(&self, apex: &[u8], change: Change) -> EditFuture;
}

/// True when `req` carries opcode UPDATE and QR = 0 (a header peek; the
/// query path pays one comparison).
#[inline]
pub fn is_update_request(req: &[u8]) -> bool {
    req.len() > 2 && req[2] & 0xF8 == crate::wire::opcode::UPDATE << 3
}

/// Answers the UPDATE `req`: the response message, or `None` to send nothing.
pub(super) async fn answer(h: &impl Host, editor: &dyn ZoneEditor, req: &[u8], ctx: &RequestCtx) -> Option<Vec<u8>> {
    let (r, malformed) = super::parse_request(req)?;
    let mut out = vec![0u8; MAX_MESSAGE];
    let mut signer = None;
    if let (Some(at), false) = (r.tsig_at, malformed) {
        match h.verify_tsig(&r, at).and_then(|v| h.admit_once(v)) {
            Ok(Some(v)) => signer = Some(v),
            Ok(None) => {
                tracing::debug!(remote = %Peer(ctx.peer), op = "update", "client {}: update: retransmission of an update in progress; dropped", Peer(ctx.peer));
                return None;
            }
            Err(f) => {
                tracing::info!(remote = %Peer(ctx.peer), op = "update", rcode = f.rcode, "client {}: update: {f}", Peer(ctx.peer));
                let n = h.tsig_error(&r, f, &mut out)?;
                out.truncate(n);
                return Some(out);
            }
        }
    }
    let rc = if malformed {
        rcode::FORMERR
    } else if r.edns.is_some_and(|e| e.version > 0) {
        rcode::BADVERS
    } else if !h.allows(ctx.peer.ip()) {
        rcode::REFUSED
    } else {
        let key = signer.as_ref().map(|(v, _)| v.key.display_name().to_string());
        match run(h, editor, &r, ctx, key.as_deref()).await {
            Ok(()) => rcode::NOERROR,
            Err(e) => e.rcode(),
        }
    };
    // Handled, whichever branch answered: a later copy is a replay, not a
    // retransmission to drop.
    if let Some((v, _)) = &signer {
        h.finish_once(v);
    }
    let reserve = signer.as_ref().map_or(0, |s| s.1.tsig_len());
    let len = h.respond_with(&r, ctx, &mut out, reserve, Outcome { rcode: rc, aa: false });
    let len = match signer {
        Some((_, mut s)) => {
            s.set_time(unix_now());
            s.sign(&mut out, len).ok()?
        }
        None => len,
    };
    out.truncate(len);
    Some(out)
}

/// The zone, the key, the change: logs what happened the way BIND words it.
async fn run(h: &impl Host, editor: &dyn ZoneEditor, r: &Request<'_>, ctx: &RequestCtx, key: Option<&str>) -> Result<(), UpdateError> {
    let client = match key {
        Some(k) => format!("{}/key {}", Peer(ctx.peer), k.trim_end_matches('.')),
        None => Peer(ctx.peer).to_string(),
    };
    let apex = message::zone_of(r).inspect_err(|e| tracing::info!(remote = %Peer(ctx.peer), op = "update", "client {client}: update failed: {e}"))?;
    let zone = BareName(&apex).to_string();
    let served = h.zones().load().get(&apex).is_some();
    let Some(ctl) = h.transfers().and_then(|reg| reg.get(&apex)) else {
        tracing::info!(remote = %Peer(ctx.peer), zone = %zone, op = "update", "client {client}: update '{zone}/IN' denied: not authoritative");
        return Err(UpdateError::NotAuth(zone));
    };
    let policy = ctl.policy();
    if policy.is_secondary() {
        tracing::info!(remote = %Peer(ctx.peer), zone = %zone, op = "update", "client {client}: update forwarding '{zone}/IN' denied");
        return Err(UpdateError::Refused(format!("{zone} is a secondary zone")));
    }
    if !served {
        tracing::info!(remote = %Peer(ctx.peer), zone = %zone, op = "update", "client {client}: update '{zone}/IN' denied: zone not loaded");
        return Err(UpdateError::NotAuth(zone));
    }
    let same = |a: &str, k: &str| a.trim_end_matches('.').eq_ignore_ascii_case(k.trim_end_matches('.'));
    if !key.is_some_and(|k| policy.allow_update.iter().any(|a| same(a, k))) {
        tracing::info!(remote = %Peer(ctx.peer), zone = %zone, op = "update", "client {client}: update '{zone}/IN' denied");
        return Err(UpdateError::Refused(format!("update of {zone} denied")));
    }
    let update = message::parse(r)
        .inspect_err(|e| tracing::info!(remote = %Peer(ctx.peer), zone = %zone, op = "update", "client {client}: updating zone '{zone}/IN': {e}"))?;
    let ops = update.ops.len();
    let change: Change = Box::new(move |z: &Zone| {
        let applied = apply::apply(z, &update)?;
        Ok(if applied.changed { Next::Records(applied) } else { Next::Unchanged })
    });
    match editor.edit(&apex, change).await {
        Ok(c) if c.serial == c.old_serial => {
            tracing::info!(remote = %Peer(ctx.peer), zone = %zone, op = "update", serial = c.serial, "client {client}: updating zone '{zone}/IN': no changes ({ops} operations)");
            Ok(())
        }
        Ok(c) => {
            tracing::info!(remote = %Peer(ctx.peer), zone = %zone, op = "update", serial = c.serial,
                "client {client}: updating zone '{zone}/IN': {ops} operations applied, serial {} -> {}", c.old_serial, c.serial);
            Ok(())
        }
        Err(e) => {
            tracing::info!(remote = %Peer(ctx.peer), zone = %zone, op = "update", rcode = e.rcode(), "client {client}: updating zone '{zone}/IN': update unsuccessful: {e}");
            Err(e)
        }
    }
}
