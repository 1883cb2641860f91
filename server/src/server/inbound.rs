//! One refresh of a secondary zone from one primary: SOA query, then IXFR
//! with fallback to AXFR (RFC 1995 §4, RFC 5936), turned into a new snapshot.
//!
//! Owns: deciding whether to transfer (RFC 1982 serial comparison), the
//! IXFR → AXFR fallback, converting the client's [`Delta`]s into journal
//! [`Diff`]s and checking that they chain from our serial, building the new
//! [`Zone`] off the runtime threads, and the BIND-style log lines
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

use crate::metrics::events::{self, XfrKind, XfrResult};
use crate::tsig::KeyRing;
use crate::wire::rr::WireRr;
use crate::wire::{class, rtype};
use crate::xfr::client::{self, Delta, Stats, Transfer};
use crate::xfr::diff::{self, diff_zones, Diff, Rr};
use crate::xfr::next::next_version;
use crate::xfr::registry::Remote;
use crate::xfr::serial_gt;
use crate::zone::build::build_zone;
use crate::zone::{Record, RecordSource, SourcePos, Zone};

use super::remote::{auth_for, failure, short, Peer};

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
    New(NewVersion),
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
    /// The SOA query failed.
    #[error("SOA query: {0}")]
    Soa(String),
    /// The transfer failed.
    #[error("transfer: {0}")]
    Transfer(String),
}

/// Refreshes from `primary`: transfers when its serial is newer than
/// `current`'s (or when there is no current version).
pub async fn refresh_from(t: &Target, primary: &Remote, keys: &KeyRing, current: Option<Arc<Zone>>) -> Result<Refreshed, RefreshError> {
    let peer = Peer(primary.addr);
    let auth = auth_for(primary, keys).map_err(|e| {
        tracing::warn!(zone = %t.name, remote = %peer, "zone {}/IN: refresh: primary {peer}: {e}", t.name);
        RefreshError::Soa(e)
    })?;
    let soa = client::query_soa(primary.endpoint(), &t.apex, auth, t.soa_timeout).await.map_err(|e| {
        tracing::warn!(zone = %t.name, remote = %peer, op = "refresh", "zone {}/IN: refresh: failure trying primary {peer}: {}", t.name, short(&e));
        RefreshError::Soa(short(&e))
    })?;
    let theirs = client::soa_serial(&soa);
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
struct Fallback(String);

async fn ixfr(t: &Target, primary: &Remote, keys: &KeyRing, cur: &Arc<Zone>) -> Result<Refreshed, Fallback> {
    let ours = to_wire(&diff::soa_rr(cur));
    let auth = auth_for(primary, keys).map_err(Fallback)?;
    let (transfer, stats) = client::transfer(primary.endpoint(), &t.apex, Some(&ours), auth, t.xfr_timeout)
        .await
        .map_err(|e| Fallback(failure(&e)))?;
    match transfer {
        Transfer::UpToDate { soa } => Ok(Refreshed::UpToDate { serial: client::soa_serial(&soa) }),
        Transfer::Full(records) => finish_full(t, primary.addr, records, Some(cur), stats, "IXFR").await.map_err(Fallback),
        Transfer::Incremental(deltas) => {
            let (zone, diffs) = apply_deltas(t, cur.clone(), deltas).await.map_err(Fallback)?;
            Ok(Refreshed::New(NewVersion { zone, diffs, kind: "IXFR", from: primary.addr, stats }))
        }
    }
}

async fn axfr(t: &Target, primary: &Remote, keys: &KeyRing, cur: Option<&Zone>) -> Result<Refreshed, RefreshError> {
    let peer = Peer(primary.addr);
    let fail = |why: String| {
        tracing::warn!(zone = %t.name, remote = %peer, op = "axfr", "transfer of '{}/IN' from {peer}: {why}", t.name);
        RefreshError::Transfer(why)
    };
    let auth = auth_for(primary, keys).map_err(fail)?;
    let (transfer, stats) = client::transfer(primary.endpoint(), &t.apex, None, auth, t.xfr_timeout).await.map_err(|e| fail(failure(&e)))?;
    match transfer {
        Transfer::Full(records) => finish_full(t, primary.addr, records, cur, stats, "AXFR").await.map_err(fail),
        Transfer::UpToDate { .. } | Transfer::Incremental(_) => Err(fail("failed while receiving responses: not an AXFR answer".into())),
    }
}

/// Builds a full transfer and checks that it moves the serial forward.
async fn finish_full(t: &Target, from: SocketAddr, records: Vec<WireRr>, cur: Option<&Zone>, stats: Stats, kind: &'static str) -> Result<Refreshed, String> {
    let label = format!("<{kind} {} from {}>", t.name, Peer(from));
    let apex = t.apex.clone();
    let src = RecordSource { files: vec![label], records: records.into_iter().map(to_record).collect() };
    let zone = tokio::task::spawn_blocking(move || build_zone(&apex, src))
        .await
        .map_err(|e| format!("building the zone panicked: {e}"))?
        .map_err(|e| format!("failed: the transferred zone is not valid: {e}"))?;
    let mut diffs = Vec::new();
    if let Some(cur) = cur {
        if !serial_gt(zone.serial, cur.serial) {
            return Err(format!("failed: transferred serial {} is not newer than ours ({})", zone.serial, cur.serial));
        }
        diffs.push(diff_zones(cur, &zone));
    }
    Ok(Refreshed::New(NewVersion { zone, diffs, kind, from, stats }))
}

/// Checks that the diffs chain from our serial (RFC 1995 §4), applies them
/// (condensed into one, RFC 1995 §5) and builds the result.
async fn apply_deltas(t: &Target, cur: Arc<Zone>, deltas: Vec<Delta>) -> Result<(Zone, Vec<Diff>), String> {
    let diffs: Vec<Diff> = deltas.into_iter().map(|d| to_diff(&t.apex, d)).collect::<Result<_, _>>()?;
    let mut at = cur.serial;
    for d in &diffs {
        if d.from_serial() != at {
            return Err(format!("inconsistent history: difference from serial {} where serial {at} was expected", d.from_serial()));
        }
        if !serial_gt(d.to_serial(), d.from_serial()) {
            return Err(format!("inconsistent history: difference from serial {} to {} does not move forward", d.from_serial(), d.to_serial()));
        }
        at = d.to_serial();
    }
    let built = tokio::task::spawn_blocking(move || {
        let Some(all) = diff::condense(&diffs) else { return Err("empty difference sequence".to_string()) };
        let zone = next_version(&cur, &all).map_err(|e| e.to_string())?;
        Ok((zone, diffs))
    })
    .await
    .map_err(|e| format!("applying the differences panicked: {e}"))??;
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

/// A client difference as a journal diff. SOAs at the apex are only the
/// delimiters (RFC 1995 §4); one inside the lists is dropped.
pub fn to_diff(apex: &[u8], d: Delta) -> Result<Diff, String> {
    let (Some(from), Some(to)) = (d.from_soa, d.to_soa) else {
        return Err("incomplete difference sequence".into());
    };
    let keep = |r: &WireRr| !(r.rtype == rtype::SOA && r.owner == apex);
    Ok(Diff {
        from_soa: to_rr(&from),
        to_soa: to_rr(&to),
        removed: d.removed.iter().filter(|r| keep(r)).map(to_rr).collect(),
        added: d.added.iter().filter(|r| keep(r)).map(to_rr).collect(),
    })
}

fn to_rr(r: &WireRr) -> Rr {
    Rr::new(&r.owner, r.rtype, r.ttl, &r.rdata)
}

/// A journal record as the client's type (for the IXFR query's SOA).
pub fn to_wire(r: &Rr) -> WireRr {
    WireRr { owner: r.owner.to_vec(), rtype: r.rtype, class: class::IN, ttl: r.ttl, rdata: r.rdata.to_vec() }
}

fn to_record(r: WireRr) -> Record {
    Record { owner: r.owner.into(), rtype: r.rtype, class: r.class, ttl: r.ttl, rdata: r.rdata.into(), src: SourcePos::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn soa(serial: u32) -> WireRr {
        let mut rdata = vec![0u8, 0];
        for v in [serial, 7200, 3600, 1_209_600, 300] {
            rdata.extend_from_slice(&v.to_be_bytes());
        }
        WireRr { owner: b"\x07example\x03com\x00".to_vec(), rtype: rtype::SOA, class: class::IN, ttl: 3600, rdata }
    }

    #[test]
    fn deltas_become_diffs_without_soas() {
        let apex = b"\x07example\x03com\x00";
        let a = WireRr { owner: b"\x03www\x07example\x03com\x00".to_vec(), rtype: 1, class: 1, ttl: 60, rdata: vec![192, 0, 2, 1] };
        let d = Delta { from_soa: Some(soa(1)), removed: vec![a.clone()], to_soa: Some(soa(2)), added: vec![soa(2), a] };
        let diff = to_diff(apex, d).unwrap();
        assert_eq!((diff.from_serial(), diff.to_serial(), diff.removed.len(), diff.added.len()), (1, 2, 1, 1));
        assert!(to_diff(apex, Delta { from_soa: Some(soa(1)), ..Default::default() }).is_err());
        assert_eq!(to_wire(&diff.to_soa), soa(2));
    }
}
