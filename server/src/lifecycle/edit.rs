//! Editing a served primary zone: the one path for every change that does
//! not come from a master file or a transfer (the control API's `PUT`, RFC
//! 2136 UPDATE).
//!
//! Owns: the per-zone edit lock ([`EditLocks`], also taken by a SIGHUP
//! reload of that zone), deciding the new serial (RFC 1982, never
//! backwards), and committing a changed version the way every new version
//! is: diff ─► journal (on disk) ─► swap ─► zone file later ─► NOTIFY
//! ([`crate::store::Store::commit`], [`super::notify::Notifier`]). Also
//! the zone's content hash ([`content_hash`], kept up to date from diffs).
//! Must not: parse requests (callers hand over records), look inside a
//! [`Zone`] beyond its serial, origin and [`crate::xfr::diff`] views, or
//! touch secondaries (their data comes from their primaries).
//!
//! ```text
//!  edit_zone(apex, change)
//!    lock(apex) ─► served? no → NotFound · secondary → Secondary
//!    change(&served) → wanted records (SOA serial = hint)
//!    build with serial = hint if RFC 1982-greater than served, else served+1
//!      └─ build error → Invalid (nothing served changed)
//!    diff(served, new): no change besides the serial → Edited { changed: false, same serial }
//!    else over the zone's max_records / max_zone_bytes → Refused (counted, nothing changed)
//!    else journal written ─► swap ─► NOTIFY ─► Edited { changed: true }
//!         (a restart rolls the saved zone file forward with the journal)
//! ```

#![forbid(unsafe_code)]

#[path = "edit_digest.rs"]
mod digest;

pub use digest::{content_hash, ContentDigest, DigestCache};

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use super::Shared;
use crate::metrics::events::{self, LimitSource};
use crate::wire::name::{self, DisplayName};
use crate::wire::rtype;
use crate::xfr::diff::diff_zones;
use crate::xfr::serial_gt;
use crate::zone::build::{build_zone, BuildError};
use crate::zone::limits::Tally;
use crate::zone::{RecordSource, Zone};

/// Why an edit was refused; nothing served changed.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The zone is not served here.
    #[error("zone {0} is not served here")]
    NotFound(String),
    /// The zone is a secondary: its data comes from its primaries.
    #[error("zone {0} is a secondary zone; its data comes from its primaries and cannot be written here")]
    Secondary(String),
    /// The wanted records are not a valid zone.
    #[error("{field}: {reason}")]
    Invalid {
        /// What is wrong, as the caller names it (`rrsets[3].rdata[0]`, `soa`, …).
        field: String,
        /// Why.
        reason: String,
    },
    /// Refused for another reason (policy).
    #[error("{0}")]
    Refused(String),
    /// The server failed (a task panicked); nothing changed.
    #[error("internal error: {0}")]
    Internal(String),
    /// The change could not be saved (the disk is full); nothing changed.
    #[error(transparent)]
    NotSaved(#[from] crate::store::CommitError),
}

/// The outcome of an accepted edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    /// The serial served now.
    pub serial: u32,
    /// True when a new version was published.
    pub changed: bool,
    /// [`content_hash`] of the version served now.
    pub content_hash: String,
}

/// One async lock per zone apex: edits of a zone (and reloads of it) run one
/// at a time; different zones do not wait for each other.
#[derive(Debug, Default)]
pub struct EditLocks {
    locks: std::sync::Mutex<HashMap<Box<[u8]>, ZoneLock>>,
    /// Content digests of the versions last seen.
    pub digests: DigestCache,
}

/// The lock of one zone.
type ZoneLock = Arc<AsyncMutex<()>>;

/// Entries kept before unused ones are pruned.
const PRUNE_ABOVE: usize = 1024;

impl EditLocks {
    /// Waits for the edit lock of `apex` (lowercase wire).
    pub async fn lock(&self, apex: &[u8]) -> OwnedMutexGuard<()> {
        let m = {
            let mut map = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            if map.len() > PRUNE_ABOVE {
                map.retain(|_, m| Arc::strong_count(m) > 1);
            }
            map.entry(apex.into()).or_default().clone()
        };
        m.lock_owned().await
    }

    /// Waits for the locks of every apex in `apexes` (a reload of several
    /// zones), taken in sorted order so two such callers cannot deadlock.
    pub async fn lock_all<'a>(&self, apexes: impl IntoIterator<Item = &'a [u8]>) -> Vec<OwnedMutexGuard<()>> {
        let mut sorted: Vec<&[u8]> = apexes.into_iter().collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut guards = Vec::with_capacity(sorted.len());
        for a in sorted {
            guards.push(self.lock(a).await);
        }
        guards
    }
}

/// SOA RDATA with its serial replaced; `None` when it is not SOA RDATA.
pub fn with_serial(rdata: &[u8], serial: u32) -> Option<Vec<u8>> {
    crate::wire::soa::Soa::with_serial(rdata, serial)
}

/// The serial in SOA RDATA.
fn serial_of(rdata: &[u8]) -> Option<u32> {
    crate::wire::soa::Soa::parse(rdata).map(|s| s.serial)
}

/// The serial after `served` for a new version asked to have `hint`: the
/// hint when it moves forward (RFC 1982), else one more than served.
pub fn next_serial(served: u32, hint: u32) -> u32 {
    if serial_gt(hint, served) {
        hint
    } else {
        served.wrapping_add(1)
    }
}

/// Sets the serial of the apex SOA in `src` (the one SOA there must be).
fn set_soa_serial(src: &mut RecordSource, apex: &[u8], serial: u32) -> Result<u32, EditError> {
    let mut soas = src.records.iter_mut().filter(|r| r.rtype == rtype::SOA && name::eq_ignore_case(&r.owner, apex));
    let Some(soa) = soas.next() else {
        return Err(EditError::Invalid { field: "soa".into(), reason: format!("zone {} needs an SOA record at its apex", DisplayName(apex)) });
    };
    let hint = serial_of(&soa.rdata).ok_or_else(|| EditError::Invalid { field: "soa".into(), reason: "malformed SOA RDATA".into() })?;
    soa.rdata = with_serial(&soa.rdata, serial).expect("checked above").into();
    Ok(hint)
}

/// A build failure as an edit error (the message names the record).
pub fn invalid(e: BuildError) -> EditError {
    match e {
        BuildError::At { at, reason } => EditError::Invalid { field: at, reason },
        BuildError::Zone { file, reason } => EditError::Invalid { field: file, reason },
    }
}

/// What the blocking half of an edit decided.
enum Outcome {
    Unchanged,
    Changed { zone: Box<Zone>, diff: crate::xfr::diff::Diff },
}

/// Builds the wanted version and compares it with the served one (blocking).
fn prepare(apex: &[u8], served: &Zone, mut wanted: RecordSource) -> Result<Outcome, EditError> {
    // Built with the serial it will have if it differs; compared ignoring the serial.
    let hint = set_soa_serial(&mut wanted, apex, 0)?;
    let serial = next_serial(served.serial, hint);
    set_soa_serial(&mut wanted, apex, serial)?;
    let zone = build_zone(apex, wanted).map_err(invalid)?;
    let diff = diff_zones(served, &zone);
    let same_soa = diff.from_soa.ttl == diff.to_soa.ttl && with_serial(&diff.from_soa.rdata, 0) == with_serial(&diff.to_soa.rdata, 0);
    if diff.change_count() == 0 && same_soa {
        return Ok(Outcome::Unchanged);
    }
    Ok(Outcome::Changed { zone: Box::new(zone), diff })
}

impl Shared {
    /// Serialised per zone (one edit at a time per zone, also against SIGHUP
    /// reloads of that zone). `change` gets the served zone and returns the
    /// wanted records ([`RecordSource`], SOA included; its serial is a hint).
    /// If the content (ignoring the SOA serial) equals what is served:
    /// nothing changes, same serial. Else serial = the wanted serial if it is
    /// RFC 1982-greater than the served one, otherwise served+1 (RFC 1982
    /// wrap); built with the semantic checks ([`EditError::Invalid`]),
    /// diffed, journalled, published, persisted and NOTIFYed. Returns once
    /// the change is in the journal on disk and the new version is served.
    pub async fn edit_zone<F>(self: &Arc<Self>, apex: &[u8], change: F) -> Result<Edited, EditError>
    where
        F: FnOnce(&Zone) -> Result<RecordSource, EditError> + Send + 'static,
    {
        let zname = DisplayName(apex).to_string();
        let _guard = self.edits.lock(apex).await;
        let Some(served) = self.zones.load().get(apex).map(|s| s.zone.clone()) else {
            return Err(EditError::NotFound(zname));
        };
        let Some(ctl) = self.catalog.get(apex) else {
            return Err(EditError::NotFound(zname));
        };
        if ctl.policy().is_secondary() {
            return Err(EditError::Secondary(zname));
        }
        let (owned_apex, base, rt) = (Box::<[u8]>::from(apex), served.clone(), self.clone());
        let outcome = tokio::task::spawn_blocking(move || {
            let wanted = change(&base)?;
            let outcome = prepare(&owned_apex, &base, wanted)?;
            Ok::<_, EditError>((outcome, rt.edits.digests.get(&base)))
        })
        .await
        .map_err(|e| EditError::Internal(format!("edit of zone {zname} panicked: {e}")))??;
        let (outcome, digest) = outcome;
        match outcome {
            Outcome::Unchanged => {
                tracing::debug!(zone = %zname, serial = served.serial, op = "edit", "zone unchanged");
                Ok(Edited { serial: served.serial, changed: false, content_hash: digest.hex() })
            }
            Outcome::Changed { zone, diff } => {
                // An edit (RFC 2136 UPDATE above all) must not grow the zone
                // past its size limits any more than a transfer or a file may.
                let limits = ctl.policy().limits(self.transfer.zone_limits());
                if let Err(l) = Tally::check(limits, zone.records as u64, zone.wire_size as u64) {
                    events::zone_limit_exceeded(LimitSource::Update, l.which);
                    tracing::warn!(zone = %zname, serial = served.serial, op = "edit", limit = l.which.label(), max = l.limit, "zone edit refused: {l}");
                    return Err(EditError::Refused(format!("zone edit refused: {l}")));
                }
                let (serial, changes) = (zone.serial, diff.change_count());
                let digest = digest.apply(&diff);
                // Served once the journal holds the change (durable); the zone file follows.
                self.store.commit(&self.zones, &ctl, *zone, Some(vec![diff]), None).await?;
                if let Some(now) = self.zones.load().get(apex).map(|s| s.zone.clone()) {
                    self.edits.digests.put(&now, digest);
                }
                tracing::info!(zone = %zname, serial, old_serial = served.serial, changes, op = "edit", "zone edited: serial {} -> {serial}", served.serial);
                self.notifier.zone_changed(apex);
                Ok(Edited { serial, changed: true, content_hash: digest.hex() })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xfr::diff::fixtures::zone;

    #[test]
    fn serials_move_forward_with_wrap() {
        assert_eq!(next_serial(5, 9), 9);
        assert_eq!(next_serial(5, 5), 6);
        assert_eq!(next_serial(5, 1), 6);
        assert_eq!(next_serial(u32::MAX, 0), 0);
        assert_eq!(next_serial(u32::MAX, 3), 3);
        assert_eq!(next_serial(10, 10u32.wrapping_add(1 << 31)), 11, "half the space away is not greater");
    }

    #[test]
    fn prepare_decides_serial_and_change() {
        let served = zone(10, "www IN A 192.0.2.10\n");
        let origin = crate::xfr::diff::fixtures::origin();
        let same = crate::xfr::diff::zone_records(&zone(3, "www IN A 192.0.2.10\n"));
        assert!(matches!(prepare(&origin, &served, same).unwrap(), Outcome::Unchanged));
        let changed = crate::xfr::diff::zone_records(&zone(3, "www IN A 192.0.2.11\n"));
        let Outcome::Changed { zone: z, diff, .. } = prepare(&origin, &served, changed).unwrap() else { panic!("changed") };
        assert_eq!((z.serial, diff.from_serial(), diff.to_serial(), diff.change_count()), (11, 10, 11, 2));
        let ahead = crate::xfr::diff::zone_records(&zone(2024, "www IN A 192.0.2.11\n"));
        let Outcome::Changed { zone: z, .. } = prepare(&origin, &served, ahead).unwrap() else { panic!("changed") };
        assert_eq!(z.serial, 2024);
        let text = "$ORIGIN example.com.\n@ 300 SOA ns1 hostmaster 3 1 1 1 1\n@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.10\nwww CNAME ns1\n";
        let cname = crate::zone::file::read_zone_str(text, "t", &origin, None).unwrap();
        assert!(matches!(prepare(&origin, &served, cname), Err(EditError::Invalid { .. })));
    }
}
