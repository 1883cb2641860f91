//! Committing a new zone version: journal, served table, data directory.
//!
//! Owns: the one sequence every new version goes through, whoever made it
//! (a primary's load or reload, a secondary's transfer): record its diffs in
//! the in-memory journal, publish the snapshot, and write journal → zone →
//! timers to the data directory (the order [`crate::store`] asks for)
//! through the zone's [flush queue](super::flush). Also reading a zone's
//! saved state back at startup.
//! Must not: decide whether a version is wanted, or talk to the network.
//!
//! ```text
//!  publish(zone, diffs)            (a primary: its master file is the truth)
//!    journal.record(diff…) ─► ZoneSet::insert (atomic swap)
//!      ─► queued, in the background: zones/<z>.journal
//!      ─► COPY_DELAY later (one save for a burst of changes; at once on drain):
//!         zones/<z>.zone (atomic, skipped when the saved copy is this version) ─► malloc_trim
//!  commit(zone, diffs, timers)     (a secondary: what it answered with is on disk)
//!    by diffs (IXFR):  journal.record(diff…) ─► queued: journal ─► timers ─► wait
//!                      ─► ZoneSet::insert ─► save_served_later (zone file, coalesced)
//!    otherwise (AXFR): journal reset ─► queued: journal ─► zone ─► timers ─► wait ─► insert
//!  roll_forward(saved)             (start: the copy plus the journal past it)
//!  free_later(old)                 (the saved copy a restart compared with)
//!    queued: drop ─► malloc_trim
//!  publish: a failed write is logged and the version is served anyway (a
//!  primary's master file is the truth). commit: a version whose journal or
//!  zone file could not be written is not served and the in-memory journal
//!  is put back (CommitError), so a restart never goes back in time.
//! ```
//!
//! A primary's copy only gives the next start a base to diff against, and
//! writing a 1M-name zone takes seconds, so it never delays answering.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::flush::{Flusher, Queued};
use super::memory;
use crate::catalog::ZoneCtl;
use crate::store::{DataDir, Timers};
use crate::wire::name::DisplayName;
use crate::xfr::diff::Diff;
use crate::xfr::journal::{Journal, JournalLimits, JournalUndo};
use crate::xfr::next::next_version;
use crate::zone::set::{ZoneSet, ZoneStatus};
use crate::zone::Zone;

/// The data directory, or nothing when it cannot be used (then zones are
/// served from memory only, which is logged once at startup).
#[derive(Debug, Clone)]
pub struct Store {
    dir: Option<DataDir>,
    flush: Arc<Flusher>,
    /// The serial of each zone's saved copy, as far as this process knows.
    saved: Arc<Mutex<HashMap<Box<[u8]>, u32>>>,
    /// Zones whose copy is due ([`COPY_DELAY`]), with the table to save from.
    due: Arc<Mutex<Due>>,
}

/// Zones whose copy is due, by apex, with the table to save from.
type Due = HashMap<Box<[u8]>, Arc<ZoneSet>>;

/// How long a primary's zone copy waits after a change, so that a burst of
/// changes (and the CPU a big zone's file takes) does not slow the changes
/// themselves down; the journal is written at once.
pub const COPY_DELAY: Duration = Duration::from_secs(3);

/// Whether the data directory already holds the zone file of a version
/// being published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SavedCopy {
    /// It holds another version, or none: write this one.
    Stale,
    /// It holds this version (same serial, same data): only the journal is written.
    Current,
}

/// What was saved for a zone.
#[derive(Debug, Default)]
pub struct Saved {
    /// The zone file, built.
    pub zone: Option<Zone>,
    /// The journal (empty when none or unreadable).
    pub journal: Option<Journal>,
    /// The refresh timers.
    pub timers: Option<Timers>,
    /// True when `zone` is newer than the saved copy: the journal's history
    /// past it was applied ([`roll_forward`]).
    pub rolled_forward: bool,
}

/// Applies the journal's history past the saved zone copy, so a secondary
/// comes back with the last version it answered with: since an IXFR is
/// served once its diff is in the journal, the copy may lag behind.
/// Anything that does not apply is logged and the copy served as it is.
pub async fn roll_forward(name: &str, saved: Saved) -> Saved {
    let name = name.to_string();
    tokio::task::spawn_blocking(move || roll_forward_blocking(&name, saved)).await.unwrap_or_else(|e| {
        tracing::error!(op = "load", error = %e, "applying the journal panicked; transferring the zone anew");
        Saved::default()
    })
}

/// [`roll_forward`] on the calling thread.
pub fn roll_forward_blocking(name: &str, mut saved: Saved) -> Saved {
    let (Some(zone), Some(journal)) = (&saved.zone, &saved.journal) else { return saved };
    if journal.leads_to(zone) {
        return saved;
    }
    let Some(diff) = journal.condensed(zone.serial) else { return saved };
    let (from, to) = (diff.from_serial(), diff.to_serial());
    match next_version(zone, &diff) {
        Ok(next) => {
            tracing::info!(zone = %name, serial = to, op = "load", "zone {name}/IN: saved copy at serial {from}; journal applied up to serial {to}");
            saved.zone = Some(next);
            saved.rolled_forward = true;
        }
        Err(e) => {
            tracing::warn!(zone = %name, op = "load", error = %e, "zone {name}/IN: the journal does not apply to the saved copy (serial {from}); using the copy")
        }
    }
    saved
}

/// A new version that could not be made durable, and so was not served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("zone {zone}/IN: serial {serial} could not be saved to the data directory (is the disk full?); the previous version stays served")]
pub struct CommitError {
    /// The zone.
    pub zone: String,
    /// The serial that was not committed.
    pub serial: u32,
}

/// What to write to the journal file after [`Journal::record`].
#[derive(Debug)]
enum JournalWrite {
    Append(Vec<Diff>),
    Rewrite(Journal),
}

impl Store {
    /// Opens (creating) the data directory at `path`; on failure logs why and
    /// runs without one. Writes wait until [`release`](Self::release).
    pub fn open(path: &Path) -> Store {
        let flush = Arc::new(Flusher::held());
        match DataDir::open(path) {
            Ok(dir) => {
                tracing::info!(path = %path.display(), "data directory");
                Store { dir: Some(dir), flush, saved: Arc::default(), due: Arc::default() }
            }
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "cannot use the data directory; zones are kept in memory only and a restart will transfer them again");
                Store { dir: None, flush, saved: Arc::default(), due: Arc::default() }
            }
        }
    }

    /// A store that keeps nothing (tests, the built-in example zone).
    pub fn none() -> Store {
        Store { dir: None, flush: Arc::new(Flusher::released()), saved: Arc::default(), due: Arc::default() }
    }

    /// Lets queued writes run: called once the server answers, so that no
    /// write to the data directory comes before the first answer.
    pub fn release(&self) {
        self.flush.release();
    }

    /// Waits until the writes queued for `apex` are done; call before
    /// reading its files ([`load`](Self::load)).
    pub async fn settled(&self, apex: &[u8]) {
        self.flush.settled(apex).await;
    }

    /// Waits up to `deadline` for every queued write (shutdown). False when
    /// some were cut short: an atomic write then leaves the previous file.
    pub async fn drain(&self, deadline: Duration) -> bool {
        let due: Vec<(Box<[u8]>, Arc<ZoneSet>)> = self.due.lock().unwrap_or_else(|p| p.into_inner()).drain().collect();
        for (apex, zones) in due {
            self.save_served_later(&zones, &apex);
        }
        self.flush.drain(deadline).await
    }

    /// Saves the served version of `apex` after [`COPY_DELAY`] (coalesced:
    /// one save for every change within the delay).
    fn save_served_after_delay(&self, zones: &Arc<ZoneSet>, apex: &[u8]) {
        if self.dir.is_none() {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return self.save_served_later(zones, apex);
        };
        if self.due.lock().unwrap_or_else(|p| p.into_inner()).insert(apex.into(), zones.clone()).is_some() {
            return; // a save is already due
        }
        let (store, owned) = (self.clone(), Box::<[u8]>::from(apex));
        rt.spawn(async move {
            tokio::time::sleep(COPY_DELAY).await;
            let due = store.due.lock().unwrap_or_else(|p| p.into_inner()).remove(&owned);
            if let Some(zones) = due {
                store.save_served_later(&zones, &owned);
            }
        });
    }

    /// Reads the saved zone, journal and timers of `apex` (blocking). Damaged
    /// files are logged and ignored: the zone is transferred or reloaded anew.
    pub fn load(&self, apex: &[u8]) -> Saved {
        let Some(dir) = &self.dir else { return Saved::default() };
        let name = DisplayName(apex);
        let zone = dir.load_zone(apex).unwrap_or_else(|e| {
            tracing::warn!(zone = %name, op = "load", error = %e, "saved copy of the zone is unusable; ignoring it");
            None
        });
        let journal = match dir.load_journal(apex, JournalLimits::default()) {
            Ok(j) => Some(j),
            Err(e) => {
                tracing::warn!(zone = %name, op = "load", error = %e, "journal is unusable; IXFR history starts anew");
                self.save_journal(&Journal::new(apex, JournalLimits::default()));
                None
            }
        };
        let timers = dir.load_timers(apex).unwrap_or_else(|e| {
            tracing::warn!(zone = %name, op = "load", error = %e, "refresh timers are unusable; refreshing now");
            None
        });
        if let Some(z) = &zone {
            self.mark_saved(apex, z.serial);
        }
        Saved { zone, journal, timers, rolled_forward: false }
    }

    fn mark_saved(&self, apex: &[u8], serial: u32) {
        self.saved.lock().unwrap_or_else(|p| p.into_inner()).insert(apex.into(), serial);
    }

    /// Saves, behind the zone's queued writes, whatever version of `apex` is
    /// served by then, unless the data directory already holds it: a burst
    /// of small changes costs one zone file write, not one each.
    pub fn save_served_later(&self, zones: &Arc<ZoneSet>, apex: &[u8]) {
        if self.dir.is_none() {
            return;
        }
        let (store, zones, owned): (Store, Arc<ZoneSet>, Box<[u8]>) = (self.clone(), zones.clone(), apex.into());
        let _ = self.flush.queue(apex, move || {
            let Some(zone) = zones.load().get(&owned).map(|s| s.zone.clone()) else { return };
            let saved = store.saved.lock().unwrap_or_else(|p| p.into_inner()).get(&owned).copied();
            if saved != Some(zone.serial) {
                store.write(&owned, Some(&zone), JournalWrite::Append(Vec::new()), None);
                memory::release_free_memory();
            }
        });
    }

    /// Saves the timers of `apex` (blocking); failures are logged.
    pub fn save_timers(&self, apex: &[u8], t: &Timers) {
        if let Some(dir) = &self.dir {
            if let Err(e) = dir.save_timers(apex, t) {
                tracing::error!(zone = %DisplayName(apex), op = "flush", error = %e, "cannot save refresh timers");
            }
        }
    }

    /// Rewrites the journal file from `j`, queued behind the zone's other
    /// writes; failures are logged.
    pub fn save_journal(&self, j: &Journal) {
        let Some(dir) = self.dir.clone() else { return };
        let owned = j.clone();
        let _ = self.flush.queue(j.origin(), move || {
            let j = owned;
            if let Err(e) = dir.save_journal(&j) {
                tracing::error!(zone = %DisplayName(j.origin()), op = "flush", error = %e, "cannot write the journal");
            }
        });
    }

    /// Deletes every file of `apex` (a zone no longer configured), after the
    /// writes already queued for it.
    pub fn remove(&self, apex: &[u8]) {
        let Some(dir) = self.dir.clone() else { return };
        let owned: Box<[u8]> = apex.into();
        let _ = self.flush.queue(apex, move || {
            if let Err(e) = dir.remove_zone(&owned) {
                tracing::warn!(zone = %DisplayName(&owned), op = "remove", error = %e, "cannot remove the zone's files");
            }
        });
    }

    /// Frees `garbage` (a version no longer needed, such as the saved copy
    /// a new one was compared with) behind the zone's queued writes and
    /// returns the memory to the OS: for a big zone both take a while, which
    /// is better spent after the zone is served.
    pub fn free_later(&self, apex: &[u8], garbage: Zone) {
        let _ = self.flush.queue(apex, move || {
            drop(garbage);
            memory::release_free_memory();
        });
    }

    /// Publishes `zone` as the new version of `ctl`'s zone at once, then
    /// writes it to the data directory in the background. `diffs` (oldest
    /// first, leading to `zone`) go into the journal; `None` means the
    /// history cannot lead here (a full reload whose serial did not move
    /// forward, or no previous version) and clears it.
    pub fn publish(&self, zones: &Arc<ZoneSet>, ctl: &Arc<ZoneCtl>, zone: Zone, diffs: Option<Vec<Diff>>, copy: SavedCopy) -> Arc<ZoneStatus> {
        let zone = Arc::new(zone);
        let (write, _) = record(ctl, &zone, diffs);
        let status = zones.insert(zone.clone());
        if copy == SavedCopy::Current {
            self.mark_saved(&ctl.apex, zone.serial);
        }
        self.queue_write(&ctl.apex, None, write, None, None);
        if copy == SavedCopy::Stale {
            self.save_served_after_delay(zones, &ctl.apex);
        }
        status
    }

    /// Commits `zone` as the new version of `ctl`'s zone: records `diffs` as
    /// [`publish`](Self::publish) does and publishes once they are on disk.
    /// A version reached by diffs is served as soon as the journal holds
    /// them (the zone file follows, [`save_served_later`](Self::save_served_later);
    /// a restart rolls the copy forward); any other waits for the zone file.
    ///
    /// A version that could not be made durable (the disk is full) is not
    /// served: the in-memory journal is put back, the journal file was cut
    /// back ([`DataDir::append_journal`]) or left whole (atomic rewrite), and
    /// the error says so. So a restart never comes back at an older serial
    /// than was served. Without a data directory nothing is durable and
    /// every version is served.
    pub async fn commit(
        &self,
        zones: &Arc<ZoneSet>,
        ctl: &Arc<ZoneCtl>,
        zone: Zone,
        diffs: Option<Vec<Diff>>,
        timers: Option<Timers>,
    ) -> Result<Arc<ZoneStatus>, CommitError> {
        let zone = Arc::new(zone);
        let incremental = diffs.as_ref().is_some_and(|d| !d.is_empty());
        let (write, undo) = record(ctl, &zone, diffs);
        let file = (!incremental).then(|| zone.clone());
        let durable = Arc::new(AtomicBool::new(false));
        if let Some(queued) = self.queue_write(&ctl.apex, file, write, timers, Some(durable.clone())) {
            if !(queued.done().await && durable.load(Ordering::Acquire)) {
                ctl.journal.lock().unwrap_or_else(|p| p.into_inner()).undo(undo);
                crate::metrics::events::commit_failed();
                let e = CommitError { zone: crate::wire::name::BareName(&zone.origin).to_string(), serial: zone.serial };
                tracing::error!(zone = %DisplayName(&zone.origin), serial = zone.serial, op = "flush", "{e}");
                return Err(e);
            }
        }
        let status = zones.insert(zone);
        if incremental {
            self.save_served_later(zones, &ctl.apex);
        }
        Ok(status)
    }

    /// Queues the write of a new version: journal, then the zone file (when
    /// given), then the timers. `None` without a data directory.
    /// `durable`, when given, is set once the journal and the zone file were
    /// written.
    fn queue_write(
        &self,
        apex: &[u8],
        zone: Option<Arc<Zone>>,
        journal: JournalWrite,
        timers: Option<Timers>,
        durable: Option<Arc<AtomicBool>>,
    ) -> Option<Queued> {
        self.dir.as_ref()?;
        let (store, owned): (Store, Box<[u8]>) = (self.clone(), apex.into());
        Some(self.flush.queue(apex, move || {
            let ok = store.write(&owned, zone.as_deref(), journal, timers);
            if let Some(d) = durable {
                d.store(ok, Ordering::Release);
            }
            if zone.is_some() {
                // The save's buffers, and the previous version if this one replaced it.
                memory::release_free_memory();
            }
        }))
    }

    /// Writes journal, zone file and timers; true when the journal and the
    /// zone file (when given) are on disk.
    fn write(&self, apex: &[u8], zone: Option<&Zone>, journal: JournalWrite, timers: Option<Timers>) -> bool {
        let Some(dir) = &self.dir else { return false };
        let name = DisplayName(apex);
        let j = match journal {
            JournalWrite::Append(diffs) => diffs.iter().try_for_each(|d| dir.append_journal(apex, d)),
            JournalWrite::Rewrite(j) => dir.save_journal(&j),
        };
        if let Err(e) = &j {
            tracing::error!(zone = %name, op = "flush", error = %e, "cannot write the journal");
        }
        let mut ok = j.is_ok();
        if let Some(zone) = zone.filter(|_| ok) {
            match dir.save_zone(zone) {
                Ok(()) => self.mark_saved(apex, zone.serial),
                Err(e) => {
                    ok = false;
                    self.saved.lock().unwrap_or_else(|p| p.into_inner()).remove(apex);
                    tracing::error!(zone = %name, serial = zone.serial, op = "flush", error = %e, "cannot save the zone");
                }
            }
        }
        if let Some(t) = timers.filter(|_| ok) {
            self.save_timers(apex, &t);
        }
        ok
    }
}

/// Records `diffs` in the zone's journal and says what the file needs: an
/// append when the history only grew, a rewrite when it was cut or reset.
/// Also returns what it takes to put the in-memory journal back
/// ([`Journal::undo`]) should the write fail.
fn record(ctl: &ZoneCtl, zone: &Zone, diffs: Option<Vec<Diff>>) -> (JournalWrite, JournalUndo) {
    let mut j = ctl.journal.lock().unwrap_or_else(|p| p.into_inner());
    let Some(diffs) = diffs else {
        let undo = j.clear_undoable();
        return (JournalWrite::Rewrite(j.clone()), undo);
    };
    let (only_appended, undo) = j.record_undoable(diffs.clone(), zone);
    if only_appended {
        (JournalWrite::Append(diffs), undo)
    } else {
        (JournalWrite::Rewrite(j.clone()), undo)
    }
}

#[cfg(test)]
#[path = "commit_tests.rs"]
mod tests;
