//! One refresh of a secondary zone from one primary: SOA query, then IXFR
//! with fallback to AXFR (RFC 1995 §4, RFC 5936), turned into a new snapshot.
//!
//! Owns: deciding whether to transfer (RFC 1982 serial comparison), the
//! IXFR → AXFR fallback, converting the client's difference [`Span`]s into
//! journal [`Diff`]s and checking that they chain from our serial, building
//! the new [`Zone`] off the runtime threads, the zone's size limits (checked
//! by the client while receiving, and on a version an IXFR leads to; a
//! transfer over one is aborted, logged and counted in
//! `ironbind_zone_limit_exceeded_total{source="transfer"}`), and the
//! BIND-style log lines
//! (`transfer of 'zone/IN' from ip#port: Transfer completed: …`, which
//! the caller emits through [`Completed::log`] once the version is served).
//! Must not: publish, persist or schedule; [`super::secondary`] does that
//! with the [`Refreshed`] result, so a failed attempt never touches what is
//! served.
//!
//! ```text
//!  query SOA ──err──► Err (log: refresh: failure trying primary)
//!     │ serial ≤ ours (RFC 1982) ─► UpToDate   (lower: log "serial went backwards")
//!     ▼ newer, or no data yet
//!  have data? ──yes──► IXFR ─ok─► Incremental: chain check, condense, apply, build
//!     │                 │ └─────► Full (AXFR-style answer): build
//!     │                 └ error, or the diffs do not apply ─► AXFR (same primary)
//!     └──no────► AXFR ─► build ─► serial must be newer than ours
//! ```

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::catalog::Remote;
use crate::metrics::events::{self, LimitSource, XfrKind, XfrResult};
use crate::remote::{self, Stats, Transfer, XfrError};
use crate::tsig::KeyRing;
use crate::wire::class;
use crate::wire::rr::WireRr;
use crate::xfr::diff::{self, diff_zones, Diff, Rr};
use crate::xfr::next::{next_version, NextError};
use crate::xfr::receive::{Records, Span};
use crate::xfr::serial_gt;
use crate::zone::build::{build_zone, BuildError};
use crate::zone::limits::{LimitExceeded, Tally, ZoneLimits};
use crate::zone::Zone;

use crate::remote::peer::{auth_for, failure, short, Peer, UnknownKey};

/// What one zone is and how long its requests may take.
#[derive(Debug, Clone)]
pub struct Target {
    /// Apex, lowercase wire.
    pub apex: Box<[u8]>,
    /// Apex for logs, without the trailing dot (`example.com`).
    pub name: String,
    /// SOA query timeout.
    pub soa_timeout: Duration,
    /// Whole-transfer timeout.
    pub xfr_timeout: Duration,
    /// How big the zone may grow (per zone, else the `[transfer]` defaults).
    pub limits: ZoneLimits,
}

/// The outcome of a successful refresh from one primary.
#[derive(Debug)]
pub enum Refreshed {
    /// The primary holds no newer version; its SOA serial.
    UpToDate {
        /// The primary's serial.
        serial: u32,
    },
    /// A new version, built and checked, not yet published.
    New(Box<NewVersion>),
}

/// A transferred version of the zone.
#[derive(Debug)]
pub struct NewVersion {
    /// The snapshot.
    pub zone: Zone,
    /// Diffs from the served version to this one, oldest first, for the
    /// journal; empty when there was no served version.
    pub diffs: Vec<Diff>,
    /// `IXFR` or `AXFR`.
    pub kind: &'static str,
    /// The primary it came from.
    pub from: SocketAddr,
    /// Counters for the "Transfer completed" line, logged by the caller
    /// once the version is served.
    pub stats: Stats,
}

/// Why a refresh from one primary failed (already logged).
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// The primary names a TSIG key that is not configured.
    #[error("SOA query: {0}")]
    Key(UnknownKey),
    /// The SOA query failed.
    #[error("SOA query: {}", short(.0))]
    Soa(XfrError),
    /// The transfer failed.
    #[error("transfer: {0}")]
    Transfer(TransferError),
}

/// Why one transfer (IXFR or AXFR) from one primary failed, in the words
/// of the log line after `transfer of 'zone/IN' from ip#port: `.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The primary names a TSIG key that is not configured.
    #[error("{0}")]
    Key(#[from] UnknownKey),
    /// The exchange failed, in BIND's words ([`failure`]).
    #[error("{}", failure(.0))]
    Xfr(XfrError),
    /// An AXFR request was answered with something else.
    #[error("failed while receiving responses: not an AXFR answer")]
    NotAxfr,
    /// The received records do not make a valid zone.
    #[error("failed: the transferred zone is not valid: {0}")]
    Invalid(BuildError),
    /// A full transfer of a version that is not newer (RFC 1982) than the served one.
    #[error("failed: transferred serial {theirs} is not newer than ours ({ours})")]
    NotNewer {
        /// The transferred serial.
        theirs: u32,
        /// The served serial.
        ours: u32,
    },
    /// IXFR differences that do not start where the previous one ended (RFC 1995 §4).
    #[error("inconsistent history: difference from serial {found} where serial {expected} was expected")]
    Gap {
        /// The difference's starting serial.
        found: u32,
        /// The serial it should start from.
        expected: u32,
    },
    /// An IXFR difference that does not move the serial forward.
    #[error("inconsistent history: difference from serial {from} to {to} does not move forward")]
    Backwards {
        /// Its starting serial.
        from: u32,
        /// Its ending serial.
        to: u32,
    },
    /// An IXFR answer with no difference in it.
    #[error("empty difference sequence")]
    NoDifference,
    /// The differences do not apply to the served version.
    #[error("{0}")]
    Apply(NextError),
    /// The version an IXFR leads to is over a size limit.
    #[error("the version it leads to is too big: {0}")]
    TooBig(LimitExceeded),
    /// Building the zone panicked.
    #[error("building the zone panicked: {0}")]
    BuildPanicked(tokio::task::JoinError),
    /// Applying the differences panicked.
    #[error("applying the differences panicked: {0}")]
    ApplyPanicked(tokio::task::JoinError),
}

/// Refreshes from `primary`: transfers when its serial is newer than
/// `current`'s (or when there is no current version).
pub async fn refresh_from(t: &Target, primary: &Remote, keys: &KeyRing, current: Option<Arc<Zone>>) -> Result<Refreshed, RefreshError> {
    let peer = Peer(primary.addr);
    let auth = auth_for(primary, keys).map_err(|e| {
        tracing::warn!(zone = %t.name, remote = %peer, "zone {}/IN: refresh: primary {peer}: {e}", t.name);
        RefreshError::Key(e)
    })?;
    let soa = remote::query_soa(remote::endpoint(primary), &t.apex, auth, t.soa_timeout).await.map_err(|e| {
        tracing::warn!(zone = %t.name, remote = %peer, op = "refresh", "zone {}/IN: refresh: failure trying primary {peer}: {}", t.name, short(&e));
        RefreshError::Soa(e)
    })?;
    let theirs = remote::soa_serial(&soa);
    if let Some(cur) = &current {
        if !serial_gt(theirs, cur.serial) {
            if theirs != cur.serial {
                tracing::warn!(zone = %t.name, remote = %peer, serial = cur.serial, op = "refresh",
                    "zone {}/IN: refresh: serial {theirs} received from primary {peer} < ours ({}); not transferring", t.name, cur.serial);
            } else {
                tracing::debug!(zone = %t.name, remote = %peer, serial = theirs, op = "refresh", "zone {}/IN: refresh: up to date", t.name);
            }
            return Ok(Refreshed::UpToDate { serial: theirs });
        }
    }
    tracing::info!(zone = %t.name, remote = %peer, serial = theirs, op = "refresh",
        "zone {}/IN: refresh: primary {peer} has serial {theirs}, ours {}: transferring", t.name,
        current.as_ref().map_or("none".to_string(), |z| z.serial.to_string()));
    if let Some(cur) = &current {
        match ixfr(t, primary, keys, cur).await {
            Ok(r) => {
                events::transfer_in(XfrKind::Ixfr, XfrResult::Success);
                return Ok(r);
            }
            Err(Fallback(why)) => {
                events::transfer_in(XfrKind::Ixfr, XfrResult::Failure);
                tracing::info!(zone = %t.name, remote = %peer, op = "ixfr", "transfer of '{}/IN' from {peer}: IXFR failed ({why}); falling back to AXFR", t.name);
            }
        }
    }
    let r = axfr(t, primary, keys, current.as_deref()).await;
    events::transfer_in(XfrKind::Axfr, if r.is_ok() { XfrResult::Success } else { XfrResult::Failure });
    r
}

/// An IXFR that did not work out; try AXFR.
struct Fallback(TransferError);

/// Logs and counts a transfer aborted at a size limit; the served version
/// stays.
fn over_limit(t: &Target, peer: Peer, kind: &str, l: &LimitExceeded) {
    events::zone_limit_exceeded(LimitSource::Transfer, l.which);
    tracing::error!(zone = %t.name, remote = %peer, op = kind.to_ascii_lowercase(), limit = l.which.label(), max = l.limit,
        "transfer of '{}/IN' from {peer}: {kind} aborted: {l}; keeping the served version", t.name);
}

/// Runs one transfer; a limit crossed is logged and counted here.
async fn fetch(t: &Target, primary: &Remote, keys: &KeyRing, ours: Option<&WireRr>, kind: &str) -> Result<(Transfer, Stats), TransferError> {
    let auth = auth_for(primary, keys)?;
    remote::transfer(remote::endpoint(primary), &t.apex, ours, t.limits, auth, t.xfr_timeout).await.map_err(|e| {
        if let XfrError::Limit(l) = &e {
            over_limit(t, Peer(primary.addr), kind, l);
        }
        TransferError::Xfr(e)
    })
}

async fn ixfr(t: &Target, primary: &Remote, keys: &KeyRing, cur: &Arc<Zone>) -> Result<Refreshed, Fallback> {
    let ours = to_wire(&diff::soa_rr(cur));
    let (transfer, stats) = fetch(t, primary, keys, Some(&ours), "IXFR").await.map_err(Fallback)?;
    match transfer {
        Transfer::UpToDate { soa } => Ok(Refreshed::UpToDate { serial: remote::soa_serial(&soa) }),
        Transfer::Full(records) => finish_full(t, primary.addr, records, Some(cur), stats, "IXFR").await.map_err(Fallback),
        Transfer::Incremental(records, spans) => {
            let (zone, diffs) = apply_deltas(t, cur.clone(), &records, &spans).await.map_err(Fallback)?;
            if let Err(l) = Tally::check(t.limits, zone.records as u64, zone.wire_size as u64) {
                over_limit(t, Peer(primary.addr), "IXFR", &l);
                return Err(Fallback(TransferError::TooBig(l)));
            }
            Ok(Refreshed::New(Box::new(NewVersion { zone, diffs, kind: "IXFR", from: primary.addr, stats })))
        }
    }
}

async fn axfr(t: &Target, primary: &Remote, keys: &KeyRing, cur: Option<&Zone>) -> Result<Refreshed, RefreshError> {
    let peer = Peer(primary.addr);
    let fail = |why: TransferError| {
        tracing::warn!(zone = %t.name, remote = %peer, op = "axfr", "transfer of '{}/IN' from {peer}: {why}", t.name);
        RefreshError::Transfer(why)
    };
    let (transfer, stats) = fetch(t, primary, keys, None, "AXFR").await.map_err(fail)?;
    match transfer {
        Transfer::Full(records) => finish_full(t, primary.addr, records, cur, stats, "AXFR").await.map_err(fail),
        Transfer::UpToDate { .. } | Transfer::Incremental(..) => Err(fail(TransferError::NotAxfr)),
    }
}

/// Builds a full transfer and checks that it moves the serial forward.
async fn finish_full(
    t: &Target,
    from: SocketAddr,
    records: Records,
    cur: Option<&Zone>,
    stats: Stats,
    kind: &'static str,
) -> Result<Refreshed, TransferError> {
    let label = format!("<{kind} {} from {}>", t.name, Peer(from));
    let apex = t.apex.clone();
    let zone = tokio::task::spawn_blocking(move || build_zone(&apex, records.into_source(label)))
        .await
        .map_err(TransferError::BuildPanicked)?
        .map_err(TransferError::Invalid)?;
    let mut diffs = Vec::new();
    if let Some(cur) = cur {
        if !serial_gt(zone.serial, cur.serial) {
            return Err(TransferError::NotNewer { theirs: zone.serial, ours: cur.serial });
        }
        diffs.push(diff_zones(cur, &zone));
    }
    Ok(Refreshed::New(Box::new(NewVersion { zone, diffs, kind, from, stats })))
}

/// Checks that the diffs chain from our serial (RFC 1995 §4), applies them
/// (condensed into one, RFC 1995 §5) and builds the result.
async fn apply_deltas(t: &Target, cur: Arc<Zone>, records: &Records, spans: &[Span]) -> Result<(Zone, Vec<Diff>), TransferError> {
    let diffs: Vec<Diff> = spans.iter().map(|s| to_diff(&t.apex, records, s)).collect();
    let mut at = cur.serial;
    for d in &diffs {
        if d.from_serial() != at {
            return Err(TransferError::Gap { found: d.from_serial(), expected: at });
        }
        if !serial_gt(d.to_serial(), d.from_serial()) {
            return Err(TransferError::Backwards { from: d.from_serial(), to: d.to_serial() });
        }
        at = d.to_serial();
    }
    let built = tokio::task::spawn_blocking(move || {
        let Some(all) = diff::condense(&diffs) else { return Err(TransferError::NoDifference) };
        let zone = next_version(&cur, &all).map_err(TransferError::Apply)?;
        Ok((zone, diffs))
    })
    .await
    .map_err(TransferError::ApplyPanicked)??;
    Ok(built)
}

/// What BIND's "Transfer completed" line reports.
#[derive(Debug, Clone, Copy)]
pub struct Completed {
    kind: &'static str,
    from: SocketAddr,
    stats: Stats,
    serial: u32,
}

impl NewVersion {
    /// The transfer's summary, to log once the version is served.
    pub fn completed(&self) -> Completed {
        Completed { kind: self.kind, from: self.from, stats: self.stats, serial: self.zone.serial }
    }
}

impl Completed {
    /// Logs BIND's "Transfer completed" line for zone `name`; called once
    /// the version is saved and served, so the line means "answering it".
    pub fn log(&self, name: &str) {
        let (peer, s, serial) = (Peer(self.from), &self.stats, self.serial);
        tracing::info!(zone = %name, remote = %peer, serial, op = self.kind.to_ascii_lowercase(),
            "transfer of '{name}/IN' from {peer}: Transfer completed: {} messages, {} records, {} bytes, {:.3} secs (serial {serial})",
            s.messages, s.records, s.bytes, s.secs);
    }
}

/// A received difference as a journal diff. Every SOA at the apex was a
/// delimiter ([`crate::xfr::receive`]), so the lists hold none.
pub fn to_diff(apex: &[u8], records: &Records, s: &Span) -> Diff {
    let rr = |i: usize| {
        let r = records.get(i);
        Rr { owner: r.owner(apex), rtype: r.rtype, ttl: r.ttl, rdata: r.rdata.into() }
    };
    Diff { from_soa: rr(s.from), to_soa: rr(s.to), removed: s.removed().map(rr).collect(), added: s.added().map(rr).collect() }
}

/// A journal record as the client's type (for the IXFR query's SOA).
pub fn to_wire(r: &Rr) -> WireRr {
    WireRr { owner: r.owner.to_vec(), rtype: r.rtype, class: class::IN, ttl: r.ttl, rdata: r.rdata.to_vec() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::rr::read_rr_into;
    use crate::wire::rtype;
    use crate::xfr::receive::Receiver;

    fn soa(serial: u32) -> WireRr {
        let mut rdata = vec![0u8, 0];
        for v in [serial, 7200, 3600, 1_209_600, 300] {
            rdata.extend_from_slice(&v.to_be_bytes());
        }
        WireRr { owner: b"\x07example\x03com\x00".to_vec(), rtype: rtype::SOA, class: class::IN, ttl: 3600, rdata }
    }

    /// Feeds records to a receiver as if they came in one message.
    fn receive(ours: u32, rrs: &[WireRr]) -> Transfer {
        let mut rx = Receiver::new(b"\x07example\x03com\x00", Some(ours), ZoneLimits::default());
        let mut buf = Vec::new();
        for r in rrs {
            let mut m = vec![0u8; 12];
            m.extend_from_slice(&r.owner);
            m.extend_from_slice(&r.rtype.to_be_bytes());
            m.extend_from_slice(&r.class.to_be_bytes());
            m.extend_from_slice(&r.ttl.to_be_bytes());
            m.extend_from_slice(&(r.rdata.len() as u16).to_be_bytes());
            m.extend_from_slice(&r.rdata);
            let (head, _) = read_rr_into(&m, 12, &mut buf).unwrap();
            rx.push(&head, &buf).unwrap();
        }
        rx.finish().unwrap()
    }

    #[test]
    fn spans_become_diffs_without_soas() {
        let apex = b"\x07example\x03com\x00";
        let a = WireRr { owner: b"\x03www\x07example\x03com\x00".to_vec(), rtype: 1, class: 1, ttl: 60, rdata: vec![192, 0, 2, 1] };
        let t = receive(1, &[soa(2), soa(1), a.clone(), soa(2), a, soa(2)]);
        let Transfer::Incremental(records, spans) = t else { panic!("not incremental: {t:?}") };
        assert_eq!(spans.len(), 1);
        let diff = to_diff(apex, &records, &spans[0]);
        assert_eq!((diff.from_serial(), diff.to_serial(), diff.removed.len(), diff.added.len()), (1, 2, 1, 1));
        assert_eq!(to_wire(&diff.to_soa), soa(2));
        assert_eq!(&*diff.added[0].owner, b"\x03www\x07example\x03com\x00");
    }

    #[test]
    fn failures_keep_their_wording() {
        let key = UnknownKey("k".into());
        assert_eq!(RefreshError::Key(key.clone()).to_string(), "SOA query: TSIG key \"k\" is not configured");
        assert_eq!(RefreshError::Soa(XfrError::Timeout).to_string(), "SOA query: timed out");
        assert_eq!(RefreshError::Transfer(key.into()).to_string(), "transfer: TSIG key \"k\" is not configured");
        let timeout = TransferError::Xfr(XfrError::Timeout);
        assert_eq!(RefreshError::Transfer(timeout).to_string(), "transfer: failed while receiving responses: timed out");
        assert_eq!(
            TransferError::Gap { found: 3, expected: 2 }.to_string(),
            "inconsistent history: difference from serial 3 where serial 2 was expected"
        );
        assert_eq!(
            TransferError::Backwards { from: 3, to: 3 }.to_string(),
            "inconsistent history: difference from serial 3 to 3 does not move forward"
        );
        assert_eq!(TransferError::NotNewer { theirs: 1, ours: 2 }.to_string(), "failed: transferred serial 1 is not newer than ours (2)");
    }
}
